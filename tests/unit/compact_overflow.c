/* Unit tests: a compact task that overflows the shared stack it runs on is
 * reported as any task is ("cio: task 'deep' overflowed its 64 KiB stack
 * (created at ...)", then SIGABRT), with compact tasks waiting in their
 * save buffers meanwhile: by the guard below the shared stack (guard
 * regions, the default), and by its canary, checked at the switch away,
 * where stacks are guard-less (CIO_GUARD_REGIONS=0 CIO_GUARD_BUDGET=0).
 * Each case runs in a fork()ed child. Skipped under valgrind and ASan,
 * which take over the signals and stacks these checks rely on.
 *
 * ctest-labels: novalgrind */
#include "../cio_test.h"

#include "coro/coro.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEEP_STACK (64 * 1024)
#define OVERFLOWED "cio: task 'deep' overflowed its 64 KiB stack (created at "

static volatile int g_limit = 1 << 30; /* no infinite-recursion proof */
static bool g_canary_case;

static int recurse_forever(int depth) {
    volatile char frame[1024];
    for (size_t i = 0; i < sizeof frame; i += 64)
        frame[i] = (char)depth;
    if (depth >= g_limit)
        return frame[0];
    return recurse_forever(depth + 1) + frame[sizeof frame / 2];
}

/* Recursion to `bytes` of stack, writing every byte, then returning: the
 * damage is below the stack, where a guard-less stack's canary lies. */
static int recurse_to(long bytes) {
    volatile char frame[1024];
    for (size_t i = 0; i < sizeof frame; i++)
        frame[i] = (char)(bytes & 0x7f);
    if (bytes <= (long)sizeof frame)
        return frame[1];
    return recurse_to(bytes - (long)sizeof frame) + frame[sizeof frame - 1] -
           frame[0];
}

static void *deep(void *arg) {
    (void)arg;
    if (!g_canary_case)
        return IPTR(recurse_forever(0));
    int v = recurse_to(DEEP_STACK + 16 * 1024);
    cio_sleep(0); /* the switch away checks the canary */
    return IPTR(v);
}

static void *idle(void *arg) {
    (void)arg;
    cio_sleep(10);
    return NULL;
}

static void *spawn_deep(void *arg) {
    (void)arg;
    for (int i = 0; i < 8; i++) {
        cio_task_options o = {.stack_size = DEEP_STACK, .compact = true};
        cio_future *t = cio_create_task_ex(NULL, idle, NULL, &o);
        if (!t)
            return cio_raise(cio_last_error(), "create failed");
        cio_release(t);
    }
    cio_sleep(0); /* every idle task is asleep, its frames saved */
    cio_task_options o = {
        .stack_size = DEEP_STACK, .name = "deep", .compact = true};
    cio_future *t = cio_create_task_ex(NULL, deep, NULL, &o);
    if (!t)
        return cio_raise(cio_last_error(), "create failed");
    cio_await(t, NULL);
    cio_release(t);
    return NULL;
}

static void run_case(bool canary) {
    if (under_valgrind() || CIO_TEST_ASAN || CIO_TEST_TSAN)
        skip(); /* they take over the signals and the stacks */
    char path[] = "/tmp/cio-compact-overflow-XXXXXX";
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
        signal(SIGSEGV, SIG_DFL); /* not cmocka's */
        signal(SIGBUS, SIG_DFL);
        if (canary) {
            setenv("CIO_GUARD_REGIONS", "0", 1);
            setenv("CIO_GUARD_BUDGET", "0", 1);
        }
        g_canary_case = canary;
        int rc = cio_run(spawn_deep, NULL, NULL);
        fprintf(stderr, "child: cio_run returned %d\n", rc);
        _exit(0); /* surviving is a failure */
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    char out[4096] = "";
    ssize_t n = pread(fd, out, sizeof out - 1, 0);
    out[n > 0 ? n : 0] = '\0';
    close(fd);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT) {
        print_error("child status %d, expected SIGABRT; stderr:\n%s\n", status,
                    out);
        fail();
    }
    if (!strstr(out, OVERFLOWED) || !strstr(out, "compact_overflow.c:")) {
        print_error("child stderr lacks the report:\n%s\n", out);
        fail();
    }
}

static void test_guard_catches_compact(void **state) {
    (void)state;
    run_case(false);
}

static void test_canary_catches_compact(void **state) {
    (void)state;
    run_case(true);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_guard_catches_compact),
        CIO_TEST(test_canary_catches_compact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
