/* Fault: a task that overflows its stack ends the process with a message
 * naming the task and where it was created -- never a silent SIGSEGV or
 * corruption -- on every kind of stack:
 *   - region: the default where the kernel has guard regions (Linux 6.13+),
 *     a 64 KiB guard region below every stack;
 *   - page:   the fallback (CIO_GUARD_REGIONS=0), a PROT_NONE guard page
 *     below each stack while the mapping budget lasts;
 *   - slab:   the fallback past the budget (CIO_GUARD_BUDGET=0), no guard, a
 *     canary below each stack checked at every switch.
 * Each case runs in a fork()ed child whose stderr goes to a temporary file;
 * the parent checks how the child died and what it printed. Skipped under
 * valgrind and AddressSanitizer (both take over the signals and the stacks
 * these checks rely on).
 *
 * ctest-labels: novalgrind
 * ctest-timeout: 600 */
#include "../cio_test.h"

#include "coro/coro.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEEP_STACK (64 * 1024)
#define OVERFLOWED "cio: task 'deep' overflowed its 64 KiB stack (created at "
#define HERE "stack_overflow.c:"

enum kind { REGION, PAGE, SLAB };
static const char *const kind_env[][2] = {
    /* CIO_GUARD_REGIONS, CIO_GUARD_BUDGET (NULL: unset) */
    [REGION] = {NULL, NULL},
    [PAGE] = {"0", NULL},
    [SLAB] = {"0", "0"},
};
static const char *const kind_name[] = {"region", "page", "slab"};

enum scenario {
    RECURSE,       /* unbounded recursion, every 64th byte written */
    CANARY,        /* recursion a little past the end, return, switch */
    BIG_FRAME,     /* one 272 KiB frame, suspending inside it */
    BIG_UNPROBED,  /* the same without stack-clash probes (GCC) */
    JUMP_CANARY,   /* a frame that writes over the neighbour's stack only */
    MANY_SLEEPERS, /* RECURSE after `nidle` tasks went to sleep */
};

static volatile int g_limit = 1 << 30; /* volatile: no infinite-recursion
                                          proof for the compiler */

static int recurse_forever(int depth) {
    volatile char frame[1024];
    for (size_t i = 0; i < sizeof frame; i += 64)
        frame[i] = (char)depth;
    if (depth >= g_limit)
        return frame[0];
    return recurse_forever(depth + 1) + frame[sizeof frame / 2];
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

/* A local array of 272 KiB (the size the review used) on a 64 KiB stack:
 * its lowest byte is written, then the task suspends inside the frame. */
#define BIG (272 * 1024)
static __attribute__((noinline)) int big_frame(void) {
    volatile char a[BIG];
    a[0] = 1;
    a[BIG / 2] = 2;
    /* the whole array must exist: clang would keep only the two bytes */
    __asm__ volatile("" : : "r"(a) : "memory");
    cio_sleep(0.001); /* (a yield with nothing else ready does not switch) */
    return a[0] + a[BIG / 2];
}

#if defined(__GNUC__) && !defined(__clang__)
/* GCC: the same frame without the probes -fstack-clash-protection adds, as
 * in a user's program built without it. */
__attribute__((noinline, optimize("no-stack-clash-protection"))) static int
big_frame_unprobed(void) {
    volatile char a[BIG];
    a[0] = 1;
    a[BIG / 2] = 2;
    /* the whole array must exist: clang would keep only the two bytes */
    __asm__ volatile("" : : "r"(a) : "memory");
    cio_sleep(0.001); /* (a yield with nothing else ready does not switch) */
    return a[0] + a[BIG / 2];
}
#else
#define big_frame_unprobed big_frame
#endif

/* One frame larger than the stack that writes 16 KiB of the stack just
 * below this one (its neighbour's in a slab), skipping the 64 bytes of
 * canary between the two, and returns: nothing of this task is left broken
 * when it next switches. */
#define JUMP_FRAME (96 * 1024)
static __attribute__((noinline)) int jump_canary(void) {
    volatile char a[JUMP_FRAME];
    const char *lo = cio__coro_current->stack->lo;
    const char *from = lo - 64 - 16 * 1024, *to = lo - 64;
    for (size_t i = 0; i < sizeof a; i++) {
        const char *at = (const char *)&a[i];
        if (at >= from && at < to)
            a[i] = 0x41;
    }
    return a[JUMP_FRAME - 1];
}

typedef struct spec {
    enum kind kind;
    enum scenario scenario;
    int nidle;          /* tasks asleep (64 KiB stacks) before 'deep' starts */
    double idle_sleep;  /* how long they sleep */
    const char *ran_on; /* the kind of stack 'deep' gets, if not `kind` */
} spec;

static const spec *g_spec;

static const char *stack_kind(const cio__stack *s) {
    return s->canary ? "slab" : s->slab ? "region" : "page";
}

static void *deep(void *arg) {
    (void)arg;
    fprintf(stderr, "child: deep runs on a %s stack\n",
            stack_kind(cio__coro_current->stack));
    switch (g_spec->scenario) {
    case RECURSE:
    case MANY_SLEEPERS:
        return IPTR(recurse_forever(0));
    case CANARY: {
        int v = recurse_to(DEEP_STACK + 16 * 1024);
        cio_sleep(0); /* the switch checks the canary */
        return IPTR(v);
    }
    case BIG_FRAME:
        return IPTR(big_frame());
    case BIG_UNPROBED:
        return IPTR(big_frame_unprobed());
    case JUMP_CANARY: {
        int v = jump_canary();
        cio_sleep(10); /* while the neighbour wakes up on a broken stack */
        return IPTR(v);
    }
    }
    return NULL;
}

static void *idle(void *arg) {
    (void)arg;
    cio_sleep(g_spec->idle_sleep);
    return NULL;
}

static void *spawn_deep(void *arg) {
    (void)arg;
    for (int i = 0; i < g_spec->nidle; i++) {
        char name[16];
        snprintf(name, sizeof name, "idle-%d", i);
        cio_task_options o = {.stack_size = DEEP_STACK, .name = name};
        cio_future *t = cio_create_task_ex(NULL, idle, NULL, &o);
        if (!t)
            return cio_raise(cio_last_error(), "create failed");
        cio_release(t);
    }
    cio_sleep(0); /* every idle task is asleep on its stack */
    cio_task_options opts = {.stack_size = DEEP_STACK, .name = "deep"};
    cio_future *t = cio_create_task_ex(NULL, deep, NULL, &opts);
    if (!t)
        return cio_raise(cio_last_error(), "create failed");
    cio_await(t, NULL);
    cio_release(t);
    return NULL;
}

typedef struct {
    int status;
    char out[8192];
} child_result;

static void set_env(const char *name, const char *value) {
    if (value)
        setenv(name, value, 1);
    else
        unsetenv(name);
}

static void run_child(const spec *sp, child_result *res) {
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
        signal(SIGSEGV, SIG_DFL); /* not cmocka's: it would go on testing */
        signal(SIGBUS, SIG_DFL);
        signal(SIGILL, SIG_DFL);
        set_env("CIO_GUARD_REGIONS", kind_env[sp->kind][0]);
        set_env("CIO_GUARD_BUDGET", kind_env[sp->kind][1]);
        g_spec = sp;
        cio_set_diagnostic_handler(NULL, NULL);
        int rc = cio_run(spawn_deep, NULL, NULL);
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

static void expect_text(const child_result *r, const char *text) {
    if (!strstr(r->out, text)) {
        print_error("child stderr lacks \"%s\":\n%s\n", text, r->out);
        fail();
    }
}

static void expect_signal(const child_result *r, int sig) {
    if (!WIFSIGNALED(r->status) || WTERMSIG(r->status) != sig) {
        if (WIFSIGNALED(r->status))
            print_error("child died by signal %d (%s), expected %s\n",
                        WTERMSIG(r->status), strsignal(WTERMSIG(r->status)),
                        strsignal(sig));
        else
            print_error("child exited with %d, expected death by %s\n",
                        WEXITSTATUS(r->status), strsignal(sig));
        print_error("child stderr:\n%s\n", r->out);
        fail();
    }
}

/* The child ran 'deep' on a stack of the kind asked for, and died by
 * SIGABRT after naming it and where it was created. */
static void expect_overflow_report(const spec *sp, const child_result *r) {
    char ran[64];
    snprintf(ran, sizeof ran, "deep runs on a %s stack",
             sp->ran_on ? sp->ran_on : kind_name[sp->kind]);
    expect_text(r, ran);
    expect_signal(r, SIGABRT);
    expect_text(r, OVERFLOWED);
    expect_text(r, HERE);
    assert_null(strstr(r->out, "idle-")); /* not blamed on a neighbour */
    print_message("%s", r->out);
}

static bool must_skip(enum kind kind) {
    if (CIO_TEST_ASAN) {
        print_message("skipped: built with AddressSanitizer\n");
        return true;
    }
    if (under_valgrind()) {
        print_message("skipped: running under valgrind\n");
        return true;
    }
    if (kind == REGION && !cio__os_guard_regions()) {
        print_message("skipped: the kernel has no guard regions "
                      "(MADV_GUARD_INSTALL, Linux 6.13)\n");
        return true;
    }
    return false;
}

static void overflow_case(enum kind kind, enum scenario scenario, int nidle) {
    if (must_skip(kind))
        skip();
    spec sp = {kind, scenario, nidle, 1000, NULL};
    child_result r;
    run_child(&sp, &r);
    expect_overflow_report(&sp, &r);
}

/* Unbounded recursion: into the guard region, the guard page, or down the
 * slab (where it may step over the canary and fault further down). */
static void test_recursion_region(void **state) {
    (void)state;
    overflow_case(REGION, RECURSE, 0);
}
static void test_recursion_page(void **state) {
    (void)state;
    overflow_case(PAGE, RECURSE, 0);
}
static void test_recursion_slab(void **state) {
    (void)state;
    overflow_case(SLAB, RECURSE, 0);
    overflow_case(SLAB, RECURSE, 10); /* neighbours below it in the slab */
}

/* A slab task that went a little past its end and came back: the canary
 * is found broken at its next switch. */
static void test_canary_slab(void **state) {
    (void)state;
    overflow_case(SLAB, CANARY, 0);
    overflow_case(SLAB, CANARY, 10);
}

/* One frame far larger than the guard (272 KiB): probed into the guard
 * (cio and its tests are built with -fstack-clash-protection), or, without
 * probes or a guard, caught by the stack pointer: at the fault it makes
 * below the stack or at its next switch. */
static void test_big_frame(void **state) {
    (void)state;
    for (enum kind k = REGION; k <= SLAB; k++) {
        overflow_case(k, BIG_FRAME, 10);
        overflow_case(k, BIG_UNPROBED, 10);
    }
}

/* A frame that jumps the guard (probed: it cannot) or the canary and writes
 * only into the neighbour's stack. With a guard, the overflow is caught at
 * once. On a slab the neighbour crashes later: the report names it and
 * the task above it, 'deep', as the likely cause. */
static void test_jump_into_neighbour(void **state) {
    (void)state;
    overflow_case(REGION, JUMP_CANARY, 10);
    overflow_case(PAGE, JUMP_CANARY, 10);
    if (must_skip(SLAB))
        skip();
    spec sp = {SLAB, JUMP_CANARY, 10, 0.05, NULL};
    child_result r;
    run_child(&sp, &r);
    expect_text(&r, "deep runs on a slab stack");
    expect_signal(&r, SIGSEGV);
    expect_text(&r, "cio: task 'idle-9' (created at ");
    expect_text(&r, "crashed on a guard-less stack; task 'deep' (created at ");
    expect_text(&r, "may have overflowed into it");
    print_message("%s", r.out);
}

/* With 17,000 and 40,000 tasks asleep, a new task still gets a guard
 * region; in the fallback the guard pages' budget (a quarter of
 * vm.max_map_count, 16,382 by default) is spent and it gets a slab stack.
 * Either way its overflow is reported. */
static void test_many_sleepers(void **state) {
    (void)state;
    if (must_skip(PAGE))
        skip();
    if (CIO_TEST_TSAN) { /* it stops at about 8,000 fibers */
        print_message("skipped: ThreadSanitizer cannot hold 17,000 tasks\n");
        skip();
    }
    long budget = cio__os_max_map_count() / 4;
    int counts[] = {17000, 40000};
    for (int i = 0; i < 2; i++) {
        if (cio__os_guard_regions())
            overflow_case(REGION, MANY_SLEEPERS, counts[i]);
        spec sp = {PAGE, MANY_SLEEPERS, counts[i], 1000,
                   counts[i] >= budget ? "slab" : "page"};
        child_result r;
        run_child(&sp, &r);
        expect_overflow_report(&sp, &r);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_recursion_region), CIO_TEST(test_recursion_page),
        CIO_TEST(test_recursion_slab),   CIO_TEST(test_canary_slab),
        CIO_TEST(test_big_frame),        CIO_TEST(test_jump_into_neighbour),
        CIO_TEST(test_many_sleepers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
