/* Fault: a release that cannot be right -- of an object already freed, or
 * of the loop's own reference to a task still pending or a handle still
 * scheduled -- ends the process with SIGABRT and a message naming the
 * object (glibc's "double free detected"), in every build; never a silent
 * use after free in the scheduler.
 *
 * Each case runs in a fork()ed child whose stderr goes to a temporary file;
 * the parent checks that the child died by SIGABRT and what it printed.
 * The cases that touch freed memory are skipped under AddressSanitizer and
 * ThreadSanitizer (which report the use after free themselves, as they
 * should) and valgrind. */
#include "../cio_test.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static void *quick(void *arg) {
    return arg;
}

static void *sleepy(void *arg) {
    (void)arg;
    cio_sleep(100);
    return NULL;
}

/* The line the victim task is created on, for the "created at" check. */
enum { VICTIM_LINE = __LINE__ + 3 };
static cio_future *make_victim(cio_task_fn fn) {
    cio_task_options o = {.name = "victim"};
    return cio_create_task_ex(NULL, fn, NULL, &o);
}

/* A task that finished, released by the caller twice. */
static void *release_done_task_twice(void *arg) {
    (void)arg;
    cio_future *t = make_victim(quick);
    cio_await(t, NULL);
    cio_sleep(0); /* the loop drops its reference */
    cio_release(t);
    cio_release(t); /* freed already */
    return NULL;
}

/* A pending task released twice: the second takes the loop's own
 * reference. */
static void *release_pending_task_twice(void *arg) {
    (void)arg;
    cio_future *t = make_victim(sleepy);
    cio_release(t);
    cio_release(t);
    return NULL;
}

static void *release_future_twice(void *arg) {
    (void)arg;
    cio_future *f = cio_future_new(NULL);
    cio_release(f);
    cio_release(f);
    return NULL;
}

static void noop(void *arg) {
    (void)arg;
}

static void *release_handle_twice(void *arg) {
    (void)arg;
    cio_handle *h = NULL;
    cio_call_soon(NULL, noop, NULL, &h);
    cio_sleep(0); /* it ran: the loop dropped its reference */
    cio_handle_release(h);
    cio_handle_release(h);
    return NULL;
}

static void *release_scheduled_handle_twice(void *arg) {
    (void)arg;
    cio_handle *h = NULL;
    cio_call_later(NULL, 10, noop, NULL, &h);
    cio_handle_release(h);
    cio_handle_release(h); /* the loop's own */
    return NULL;
}

static void *release_tfuture_twice(void *arg) {
    (void)arg;
    cio_tfuture *f = cio_tfuture_new();
    cio_tfuture_release(f);
    cio_tfuture_release(f);
    return NULL;
}

typedef struct {
    int status;
    char out[4096];
} child_result;

static void run_child(cio_task_fn body, child_result *res) {
    char path[] = "/tmp/cio-release-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        dup2(fd, 2);
        close(fd);
        cio_set_diagnostic_handler(NULL, NULL);
        int rc = cio_run(body, NULL, NULL);
        fprintf(stderr, "child: cio_run returned %d\n", rc);
        _exit(0); /* surviving is a failure: the parent sees exit 0 */
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    res->status = status;
    memset(res->out, 0, sizeof res->out);
    ssize_t n = pread(fd, res->out, sizeof res->out - 1, 0);
    if (n < 0)
        res->out[0] = 0;
    close(fd);
}

static void expect_abort(const child_result *r, const char *want1,
                         const char *want2) {
    if (!WIFSIGNALED(r->status) || WTERMSIG(r->status) != SIGABRT) {
        if (WIFSIGNALED(r->status))
            print_error("child died by signal %d (%s), expected SIGABRT\n",
                        WTERMSIG(r->status), strsignal(WTERMSIG(r->status)));
        else
            print_error("child exited with %d, expected death by SIGABRT\n",
                        WEXITSTATUS(r->status));
        print_error("child stderr:\n%s\n", r->out);
        fail();
    }
    const char *want[] = {want1, want2};
    for (int i = 0; i < 2; i++)
        if (want[i] && !strstr(r->out, want[i])) {
            print_error("child stderr lacks \"%s\":\n%s\n", want[i], r->out);
            fail();
        }
    print_message("child died by SIGABRT; its stderr: %s", r->out);
}

static bool touches_freed_memory_skip(void) {
    if (CIO_TEST_ASAN || CIO_TEST_TSAN) {
        print_message("skipped: the sanitizer reports this use after free "
                      "itself\n");
        return true;
    }
    if (under_valgrind()) {
        print_message("skipped: running under valgrind\n");
        return true;
    }
    return false;
}

static void test_done_task_released_twice(void **state) {
    (void)state;
    if (touches_freed_memory_skip())
        skip();
    child_result r;
    run_child(release_done_task_twice, &r);
    char where[128];
    snprintf(where, sizeof where, "double_release.c:%d", VICTIM_LINE);
    expect_abort(&r, "cio: cio_release: task 'victim' (created at ", where);
    expect_abort(&r, "was already freed", NULL);
}

static void test_pending_task_released_twice(void **state) {
    (void)state;
    child_result r;
    run_child(release_pending_task_twice, &r);
    char where[128];
    snprintf(where, sizeof where, "double_release.c:%d)", VICTIM_LINE);
    expect_abort(&r, "cio: cio_release: task 'victim' (created at ", where);
    expect_abort(&r, "is still pending", "the loop's own");
}

static void test_future_released_twice(void **state) {
    (void)state;
    if (touches_freed_memory_skip())
        skip();
    child_result r;
    run_child(release_future_twice, &r);
    expect_abort(&r, "cio: cio_release: ", "was already freed");
}

static void test_handle_released_twice(void **state) {
    (void)state;
    if (touches_freed_memory_skip())
        skip();
    child_result r;
    run_child(release_handle_twice, &r);
    expect_abort(&r, "cio: cio_handle_release: handle ", "was already freed");
}

static void test_scheduled_handle_released_twice(void **state) {
    (void)state;
    child_result r;
    run_child(release_scheduled_handle_twice, &r);
    expect_abort(&r, "cio: cio_handle_release: handle ", "is still scheduled");
}

static void test_tfuture_released_twice(void **state) {
    (void)state;
    if (touches_freed_memory_skip())
        skip();
    child_result r;
    run_child(release_tfuture_twice, &r);
    expect_abort(&r, "cio: cio_tfuture_release: thread future ",
                 "was already freed");
}

/* The releases that are right never abort: a task released while pending
 * (the loop keeps its own), then done; retained and released in pairs. */
static void *balanced(void *arg) {
    (void)arg;
    cio_future *t = make_victim(sleepy);
    cio_retain(t);
    cio_release(t);
    cio_future *again = cio_retain(t);
    cio_release(t); /* the loop's reference and `again` remain */
    cio_cancel(again, NULL);
    CHECK_INT(cio_await(again, NULL), CIO_ECANCELED);
    cio_release(again);
    return NULL;
}

static void test_balanced_releases_pass(void **state) {
    (void)state;
    assert_int_equal(cio_run(balanced, NULL, NULL), 0);
    checks_assert();
}

/* Absurd stack sizes are refused where they are given, not by every
 * task later. */
static void test_absurd_stack_size_refused(void **state) {
    (void)state;
    size_t bad[] = {SIZE_MAX, SIZE_MAX / 2, CIO_STACK_MAX + 1,
                    CIO_STACK_MIN - 1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cio_loop_options o = {.stack_size = bad[i]};
        assert_null(cio_loop_new(&o));
        assert_int_equal(cio_last_error(), CIO_EINVAL);
        assert_non_null(strstr(cio_last_error_message(), "stack_size"));
    }
    cio_loop_options ok = {.stack_size = CIO_STACK_MAX};
    cio_loop *loop = cio_loop_new(&ok);
    assert_non_null(loop);
    cio_task_options big = {.stack_size = SIZE_MAX};
    assert_null(cio_create_task_ex(loop, quick, NULL, &big));
    assert_int_equal(cio_last_error(), CIO_EINVAL);
    assert_int_equal(cio_loop_close(loop), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_done_task_released_twice),
        CIO_TEST(test_pending_task_released_twice),
        CIO_TEST(test_future_released_twice),
        CIO_TEST(test_handle_released_twice),
        CIO_TEST(test_scheduled_handle_released_twice),
        CIO_TEST(test_tfuture_released_twice),
        CIO_TEST(test_balanced_releases_pass),
        CIO_TEST(test_absurd_stack_size_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
