/* Integration (big): 1,000,000 concurrently sleeping tasks, real time,
 * sleeps of 0.01-0.2 s. Checks only that every one completes.
 *
 * Built with AddressSanitizer or run under valgrind, N is scaled down to
 * 10,000 and the test says so on stdout.
 *
 * ctest-labels: big
 * ctest-timeout: 1200 */
#include "../cio_test.h"

static long g_n = 1000000;
static long g_done, g_failed, g_started;
static cio_future *g_all_done;

static void *sleeper(void *arg) {
    long i = (long)(intptr_t)arg;
    g_started++;
    /* 10..200 ms, spread deterministically */
    double d = 0.01 + (double)((i * 7919) % 191) / 1000.0;
    if (cio_sleep(d) != 0)
        g_failed++;
    if (++g_done == g_n)
        cio_future_set_result(g_all_done, NULL);
    return NULL;
}

static void *main_task(void *arg) {
    (void)arg;
    g_all_done = cio_future_new(NULL);
    for (long i = 0; i < g_n; i++) {
        cio_future *t = cio_create_task(sleeper, (void *)(intptr_t)i);
        if (!t) {
            CHECK(t != NULL);
            print_error("create #%ld failed: %s\n", i,
                        cio_last_error_message());
            break;
        }
        cio_release(t); /* fire and forget: the loop keeps its own reference */
    }
    CHECK_INT(cio_await(g_all_done, NULL), 0);
    cio_release(g_all_done);
    return NULL;
}

static void test_million_sleepers(void **state) {
    (void)state;
    if (CIO_TEST_ASAN || CIO_TEST_TSAN || under_valgrind()) {
        g_n = CIO_TEST_TSAN ? 2000 : 10000;
        print_message("%s: N scaled down to %ld\n",
                      CIO_TEST_ASAN   ? "built with AddressSanitizer"
                      : CIO_TEST_TSAN ? "built with ThreadSanitizer"
                                      : "running under valgrind",
                      g_n);
    }
    g_done = g_failed = g_started = 0;
    double r0 = now_real();
    int rc = cio_run(main_task, NULL, NULL);
    print_message("%ld tasks: %.3f s\n", g_n, now_real() - r0);
    assert_int_equal(rc, 0);
    checks_assert();
    assert_int_equal(g_started, g_n);
    assert_int_equal(g_done, g_n);
    assert_int_equal(g_failed, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_million_sleepers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
