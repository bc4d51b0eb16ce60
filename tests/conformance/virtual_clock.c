/* Conformance: the virtual clock and deadlines made of double seconds.
 *
 * asyncio's loop.call_at(loop.time() + d) and loop.call_later(d) are the
 * same deadline, and timers with equal deadlines run in the order they were
 * scheduled; asyncio's test loops (test_utils.TestLoop) start their clock
 * at 0. cio keeps its clock in nanoseconds: a deadline given in double
 * seconds (cio_call_at, cio_timeout, cio_wait_for) must round to the
 * nearest nanosecond, or it lands one nanosecond early and its timer runs
 * before timers of the same moment armed earlier (the differential
 * tester's runs differed from one run to the next because of it).
 */
#include "../cio_test.h"

/* A moment at which loop time + 2 s, in double seconds, is 1e-9 s below the
 * exact sum (tests/diff found the like by chance, with the clock at the
 * machine's uptime). */
#define ODD_MOMENT 4268.552

static void test_virtual_clock_starts_at_zero(void **state) {
    (void)state;
    cio_loop *loop = cio_loop_new(vt_opts());
    assert_non_null(loop);
    assert_true(cio_loop_time(loop) == 0.0);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void on_timer(void *arg) {
    ev_log(PINT(arg));
}

static void *call_at_vs_call_later(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    CHECK_INT(cio_sleep(ODD_MOMENT), 0);
    CHECK(cio_loop_time(loop) == ODD_MOMENT);
    cio_handle *later = NULL, *at = NULL;
    CHECK_INT(cio_call_later(loop, 2, on_timer, IPTR(1), &later), 0);
    CHECK_INT(
        cio_call_at(loop, cio_loop_time(loop) + 2, on_timer, IPTR(2), &at), 0);
    CHECK(cio_handle_when(later) == cio_handle_when(at));
    CHECK_INT(cio_sleep(3), 0);
    cio_handle_release(later);
    cio_handle_release(at);
    return NULL;
}

/* test_events.py: call_at(time() + d) is call_later(d); equal deadlines
 * run in scheduling order (asyncio's heap of (when, seq) in the runner of
 * tests/diff; cio's timer heap). */
static void test_call_at_same_deadline_as_call_later(void **state) {
    (void)state;
    assert_int_equal(run_vt(call_at_vs_call_later, NULL, NULL), 0);
    checks_assert();
    ev_assert(1, 2);
}

static void *sleeper(void *arg) {
    (void)arg;
    CHECK_INT(cio_sleep(2), 0);
    ev_log(1); /* its timer was armed before the scope's */
    return NULL;
}

static void *timeout_vs_sleep(void *arg) {
    (void)arg;
    CHECK_INT(cio_sleep(ODD_MOMENT), 0);
    cio_future *s = cio_create_task(sleeper, NULL);
    CHECK_INT(cio_sleep(0), 0); /* the sleeper arms its timer */
    cio_timeout_scope *ts = cio_timeout(2);
    CHECK(ts != NULL);
    int err = cio_sleep(5);
    CHECK_INT(cio_timeout_end(ts, err), CIO_ETIMEDOUT);
    ev_log(2);
    CHECK_INT(cio_await(s, NULL), 0);
    cio_release(s);
    return NULL;
}

/* A sleep and a timeout scope due at the same moment: the timer armed
 * first wins, whatever the clock read when they were armed (asyncio:
 * `async with timeout(2): await sleep(5)` against another task's sleep(2)
 * armed earlier). */
static void test_timeout_deadline_is_exact(void **state) {
    (void)state;
    assert_int_equal(run_vt(timeout_vs_sleep, NULL, NULL), 0);
    checks_assert();
    ev_assert(1, 2);
}

static void *decimal_sleep(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    CHECK_INT(cio_sleep(ODD_MOMENT), 0);
    /* the same moment as a deadline in double seconds: exact */
    CHECK(cio_loop_time(loop) == ODD_MOMENT);
    CHECK_INT(cio_sleep(0.1), 0);
    CHECK(cio_loop_time(loop) == 4268.652);
    return NULL;
}

/* asyncio.sleep(0.1) under a clock at 0: exactly 0.1 s later. */
static void test_decimal_sleeps_are_exact(void **state) {
    (void)state;
    assert_int_equal(run_vt(decimal_sleep, NULL, NULL), 0);
    checks_assert();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_virtual_clock_starts_at_zero),
        CIO_TEST(test_call_at_same_deadline_as_call_later),
        CIO_TEST(test_timeout_deadline_is_exact),
        CIO_TEST(test_decimal_sleeps_are_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
