/* Integration: 100,000 concurrent tasks, each sleeping a pseudo-random
 * 0-1 s on a virtual clock. All complete, each no earlier than its
 * deadline, and they wake exactly in deadline order (ties in the order the
 * sleeps began). Under valgrind N drops to 10,000 (said on stdout). */
#include "../cio_test.h"

static int g_n = 100000;
static int *g_ms;         /* each task's sleep, in whole milliseconds */
static int *g_wake_order; /* task indices in the order they woke */
static int g_woken, g_early, g_failed, g_started;

static void *sleeper(void *arg) {
    int i = PINT(arg);
    cio_loop *loop = cio_get_running_loop();
    double t0 = cio_loop_time(loop);
    double d = g_ms[i] / 1000.0;
    g_started++;
    int rc = cio_sleep(d);
    if (rc != 0) {
        g_failed++;
        return NULL;
    }
    /* the clock counts whole nanoseconds: allow for rounding, no more */
    if (cio_loop_time(loop) < t0 + d - T_EPS)
        g_early++;
    if (g_woken < g_n)
        g_wake_order[g_woken] = i;
    g_woken++;
    return NULL;
}

static void *main_task(void *arg) {
    (void)arg;
    cio_future **t = calloc((size_t)g_n, sizeof *t);
    CHECK(t != NULL);
    if (!t)
        return NULL;
    for (int i = 0; i < g_n; i++) {
        t[i] = cio_create_task(sleeper, IPTR(i));
        if (!t[i]) {
            CHECK(t[i] != NULL);
            break;
        }
    }
    for (int i = 0; i < g_n && t[i]; i++)
        CHECK_INT(cio_await(t[i], NULL), 0);
    /* everything is done: the loop has only this task left */
    CHECK_INT(cio_all_tasks(NULL, NULL, 0), 1);
    cio_release_all(t, (size_t)g_n);
    free(t);
    return NULL;
}

static int cmp_expected(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    if (g_ms[x] != g_ms[y])
        return g_ms[x] < g_ms[y] ? -1 : 1;
    return x < y ? -1 : (x > y);
}

static void test_hundred_thousand_sleepers(void **state) {
    (void)state;
    if (under_valgrind() || CIO_TEST_TSAN) {
        g_n = CIO_TEST_TSAN ? 2000 : 10000;
        print_message("%s: N scaled down to %d\n",
                      CIO_TEST_TSAN ? "built with ThreadSanitizer"
                                    : "running under valgrind",
                      g_n);
    }
    g_ms = malloc(sizeof(int) * (size_t)g_n);
    g_wake_order = malloc(sizeof(int) * (size_t)g_n);
    assert_non_null(g_ms);
    assert_non_null(g_wake_order);
    uint32_t x = 2463534242u; /* xorshift32: fixed sequence */
    for (int i = 0; i < g_n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        g_ms[i] = (int)(x % 1000);
    }
    g_woken = g_early = g_failed = g_started = 0;
    double r0 = now_real();
    int rc = run_vt(main_task, NULL, NULL);
    double dt = now_real() - r0;
    print_message("%d tasks: %.3f s real time\n", g_n, dt);
    assert_int_equal(rc, 0);
    checks_assert();
    assert_int_equal(g_started, g_n);
    assert_int_equal(g_failed, 0);
    assert_int_equal(g_woken, g_n);
    assert_int_equal(g_early, 0);

    int *want = malloc(sizeof(int) * (size_t)g_n);
    assert_non_null(want);
    for (int i = 0; i < g_n; i++)
        want[i] = i;
    qsort(want, (size_t)g_n, sizeof(int), cmp_expected);
    int bad = -1;
    for (int i = 0; i < g_n; i++)
        if (g_wake_order[i] != want[i]) {
            bad = i;
            break;
        }
    if (bad >= 0)
        print_error("wake #%d: task %d (%d ms), expected task %d (%d ms)\n",
                    bad, g_wake_order[bad], g_ms[g_wake_order[bad]], want[bad],
                    g_ms[want[bad]]);
    free(want);
    free(g_ms);
    free(g_wake_order);
    assert_int_equal(bad, -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_hundred_thousand_sleepers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
