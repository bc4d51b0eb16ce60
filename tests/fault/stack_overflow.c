/* Fault: a task that overflows its stack ends the process with SIGABRT and
 * a message naming the task -- never a silent SIGSEGV or corruption.
 *
 * Each case runs in a fork()ed child whose stderr goes to a temporary file;
 * the parent checks how the child died and what it printed. Two paths:
 *   - guard page: a lone task's stack has a guard page below it; running
 *     into it is caught and reported;
 *   - canary: with CIO_GUARD_BUDGET=0 no stack gets a guard page; stacks
 *     carry a canary that is checked at every switch.
 * Skipped under valgrind and AddressSanitizer (both take over the signals
 * and the stacks these checks rely on). */
#include "../cio_test.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEEP_STACK (64 * 1024)
#define EXPECTED "cio: task 'deep' overflowed its 64 KiB stack"

static volatile int g_limit = 1
                              << 30; /* volatile: no infinite-recursion proof */

/* Unbounded recursion, 1 KiB per frame, every frame written. */
static int recurse_forever(int depth) {
    volatile char frame[1024];
    for (size_t i = 0; i < sizeof frame; i += 64)
        frame[i] = (char)depth;
    if (depth >= g_limit)
        return frame[0];
    return recurse_forever(depth + 1) + frame[sizeof frame / 2];
}

static void *deep_guard(void *arg) {
    (void)arg;
    return IPTR(recurse_forever(0));
}

/* Recursion to `bytes` of stack, writing every byte of every frame, then
 * returning normally (the damage is below the stack, where the canary is). */
static int recurse_to(long bytes) {
    volatile char frame[1024];
    for (size_t i = 0; i < sizeof frame; i++)
        frame[i] = (char)(bytes & 0x7f);
    if (bytes <= (long)sizeof frame)
        return frame[1];
    return recurse_to(bytes - (long)sizeof frame) + frame[sizeof frame - 1] -
           frame[0];
}

static void *deep_canary(void *arg) {
    (void)arg;
    int v = recurse_to(DEEP_STACK + 16 * 1024);
    cio_sleep(0); /* the switch checks the canary */
    return IPTR(v);
}

static void *idle(void *arg) {
    (void)arg;
    cio_sleep(1000);
    return NULL;
}

static void *at_once(void *arg) {
    return arg;
}

/* mode bit 0: canary path; bit 1: ten other tasks are alive meanwhile;
 * bit 2: a default-stack task that finishes at once starts just before the
 * deep one, in the same pass */
static void *spawn_deep(void *arg) {
    int mode = PINT(arg);
    cio_task_fn fn = (mode & 1) ? deep_canary : deep_guard;
    if (mode & 2) {
        for (int i = 0; i < 10; i++) {
            char name[16];
            snprintf(name, sizeof name, "idle-%d", i);
            /* (a compound literal with two designators would split into two
             * macro arguments, hence the variable) */
            cio_task_options o = {.stack_size = DEEP_STACK, .name = name};
            cio_release(cio_create_task_ex(NULL, idle, NULL, &o));
        }
        cio_sleep(0);
    }
    if (mode & 4)
        cio_release(cio_create_task(at_once, NULL));
    cio_task_options opts = {.stack_size = DEEP_STACK, .name = "deep"};
    cio_future *t = cio_create_task_ex(NULL, fn, NULL, &opts);
    if (!t)
        return cio_raise(cio_last_error(), "create failed");
    cio_await(t, NULL);
    cio_release(t);
    return NULL;
}

typedef struct {
    int status;
    char out[4096];
} child_result;

/* Run spawn_deep(mode) in a child; mode bit 0 selects the no-guard-page
 * path. */
static void run_child(int mode, child_result *res) {
    char path[] = "/tmp/cio-overflow-XXXXXX";
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
        if (mode & 1)
            setenv("CIO_GUARD_BUDGET", "0", 1);
        else
            unsetenv("CIO_GUARD_BUDGET");
        cio_set_diagnostic_handler(NULL, NULL);
        int rc = cio_run(spawn_deep, IPTR(mode), NULL);
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

static void check_child(const child_result *r) {
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
    if (!strstr(r->out, EXPECTED)) {
        print_error("child stderr lacks \"%s\":\n%s\n", EXPECTED, r->out);
        fail();
    }
    print_message("child died by SIGABRT; its stderr: %s", r->out);
}

static bool must_skip(void) {
    if (CIO_TEST_ASAN) {
        print_message("skipped: built with AddressSanitizer\n");
        return true;
    }
    if (under_valgrind()) {
        print_message("skipped: running under valgrind\n");
        return true;
    }
    return false;
}

/* A lone task runs into the guard page below its stack. */
static void test_overflow_guard_page(void **state) {
    (void)state;
    if (must_skip())
        skip();
    child_result r;
    run_child(0, &r);
    check_child(&r);
}

/* No guard pages at all (CIO_GUARD_BUDGET=0): the canary at the far end of
 * the stack is found damaged at the next switch. */
static void test_overflow_canary(void **state) {
    (void)state;
    if (must_skip())
        skip();
    child_result r;
    run_child(1, &r);
    check_child(&r);
}

/* Both paths again with other tasks alive: the report names the task that
 * overflowed, not a neighbour. */
static void test_overflow_names_the_right_task(void **state) {
    (void)state;
    if (must_skip())
        skip();
    child_result r;
    run_child(2, &r);
    check_child(&r);
    assert_null(strstr(r.out, "idle-"));
    run_child(3, &r);
    check_child(&r);
    assert_null(strstr(r.out, "idle-"));
}

/* The deep task starts right after another task finished in the same pass:
 * it still has (and overflows) its own 64 KiB stack. */
static void test_overflow_after_a_finished_task(void **state) {
    (void)state;
    if (must_skip())
        skip();
    child_result r;
    run_child(4, &r);
    check_child(&r);
    run_child(5, &r);
    check_child(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_overflow_guard_page),
        CIO_TEST(test_overflow_canary),
        CIO_TEST(test_overflow_names_the_right_task),
        CIO_TEST(test_overflow_after_a_finished_task),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
