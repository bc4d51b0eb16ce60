/* The floating-point control words (rounding mode: MXCSR and the x87
 * control word on x86-64, FPCR on aarch64) belong to each task: the
 * switch saves and restores them, as the ABI wants of a call, whatever
 * exception flags are set on either side (flags are status, not control:
 * a switch need not carry them). */
#include "../cio_test.h"

#include <fenv.h>

static int g_seen_other, g_seen_own;

static void *downward(void *arg) {
    (void)arg;
    fesetround(FE_DOWNWARD);
    volatile double x = 1.0;
    x /= 3.0; /* sets the inexact flag on this side */
    (void)x;
    for (int i = 0; i < 3; i++) {
        cio_sleep(0);
        if (fegetround() == FE_DOWNWARD)
            g_seen_own++;
    }
    return NULL;
}

static void *nearest(void *arg) {
    (void)arg;
    feclearexcept(FE_ALL_EXCEPT); /* no flag on this side */
    for (int i = 0; i < 3; i++) {
        if (fegetround() == FE_TONEAREST)
            g_seen_other++;
        cio_sleep(0);
    }
    return NULL;
}

/* An eager task started from a task with another rounding mode may change
 * it; its creator gets its own mode back. (A new task starts with the
 * defaults with cio's own switch, with its creator's with the ucontext
 * fallback, which captures the creator's environment.) */
static int g_eager_start_mode;
static void *eager_child(void *arg) {
    int *mode = arg;
    g_eager_start_mode = fegetround();
    fesetround(FE_TOWARDZERO);
    *mode = fegetround();
    return NULL;
}

static void *fp_main(void *arg) {
    (void)arg;
    cio_future *a = cio_create_task(downward, NULL);
    cio_future *b = cio_create_task(nearest, NULL);
    CHECK_INT(cio_await(a, NULL), 0);
    CHECK_INT(cio_await(b, NULL), 0);
    cio_release(a);
    cio_release(b);
    CHECK_INT(fegetround(), FE_TONEAREST);
    fesetround(FE_UPWARD);
    volatile double y = 2.0;
    y /= 3.0;
    (void)y;
    int child_mode = -1;
    const cio_task_options eager = {.eager = true};
    cio_future *c = cio_create_task_ex(NULL, eager_child, &child_mode, &eager);
    CHECK(cio_future_done(c));
    CHECK_INT(child_mode, FE_TOWARDZERO);
#if !defined(CIO_CORO_UCONTEXT)
    CHECK_INT(g_eager_start_mode, FE_TONEAREST); /* the defaults */
#else
    CHECK_INT(g_eager_start_mode, FE_UPWARD); /* the creator's */
#endif
    CHECK_INT(fegetround(), FE_UPWARD);
    fesetround(FE_TONEAREST);
    cio_release(c);
    return NULL;
}

static void test_rounding_mode_per_task(void **state) {
    (void)state;
    g_seen_own = g_seen_other = 0;
    CHECK_INT(cio_run(fp_main, NULL, NULL), 0);
    CHECK_INT(g_seen_own, 3);
    CHECK_INT(g_seen_other, 3);
    checks_assert();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_rounding_mode_per_task),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
