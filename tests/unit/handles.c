/* Unit tests: callbacks and timers (call_soon, call_later, call_at) and their
 * handles (cancel, cancelled, when, release). */
#include "../cio_test.h"

static cio_loop *g_loop;

static void cb_log(void *arg) {
    ev_log(PINT(arg));
}
static void cb_stop(void *arg) {
    (void)arg;
    cio_loop_stop(g_loop);
}

static cio_loop *new_loop(bool virtual_time) {
    cio_loop_options o = {.virtual_time = virtual_time};
    g_loop = cio_loop_new(&o);
    assert_non_null(g_loop);
    return g_loop;
}

/* ------------------------------------------------------------------------ */

static void test_call_soon_fifo(void **state) {
    (void)state;
    cio_loop *loop = new_loop(false);
    for (int i = 0; i < 10; i++)
        assert_int_equal(cio_call_soon(loop, cb_log, IPTR(i), NULL), 0);
    assert_int_equal(cio_call_soon(loop, cb_stop, NULL, NULL), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    ev_assert(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void cb_c(void *arg) {
    (void)arg;
    ev_log(3);
    cio_loop_stop(g_loop);
}
static void cb_a(void *arg) {
    (void)arg;
    ev_log(1);
    CHECK_INT(cio_call_soon(g_loop, cb_c, NULL, NULL), 0);
}

/* A schedules C while B (scheduled before C) is queued: A, B, C. */
static void test_scheduled_during_pass_runs_after(void **state) {
    (void)state;
    cio_loop *loop = new_loop(false);
    assert_int_equal(cio_call_soon(loop, cb_a, NULL, NULL), 0);
    assert_int_equal(cio_call_soon(loop, cb_log, IPTR(2), NULL), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    ev_assert(1, 2, 3);
    assert_int_equal(cio_loop_close(loop), 0);
    checks_assert();
}

static void cb_a_quiet(void *arg) {
    (void)arg;
    ev_log(1);
    CHECK_INT(cio_call_soon(g_loop, cb_log, IPTR(3), NULL), 0);
}
static void cb_b_stops(void *arg) {
    (void)arg;
    ev_log(2);
    cio_loop_stop(g_loop);
}

/* What a pass schedules is not run by that pass: stopping in B (the last
 * callback of the pass) leaves C for the next run. */
static void test_pass_runs_only_what_was_queued_at_its_start(void **state) {
    (void)state;
    cio_loop *loop = new_loop(false);
    assert_int_equal(cio_call_soon(loop, cb_a_quiet, NULL, NULL), 0);
    assert_int_equal(cio_call_soon(loop, cb_b_stops, NULL, NULL), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    ev_assert(1, 2);
    assert_int_equal(cio_call_soon(loop, cb_stop, NULL, NULL), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    ev_assert(1, 2, 3);
    assert_int_equal(cio_loop_close(loop), 0);
    checks_assert();
}

static void *timers_main(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    double t = cio_loop_time(loop);
    CHECK_INT(cio_call_later(loop, 0.3, cb_log, IPTR(3), NULL), 0);
    CHECK_INT(cio_call_at(loop, t + 0.5, cb_log, IPTR(50), NULL), 0);
    CHECK_INT(cio_call_later(loop, 0.1, cb_log, IPTR(1), NULL), 0);
    CHECK_INT(cio_call_at(loop, t + 0.5, cb_log, IPTR(51), NULL), 0);
    CHECK_INT(cio_call_later(loop, 0.25, cb_log, IPTR(30), NULL), 0);
    CHECK_INT(cio_call_later(loop, 0.2, cb_log, IPTR(2), NULL), 0);
    CHECK_INT(cio_call_at(loop, t + 0.5, cb_log, IPTR(52), NULL), 0);
    CHECK_INT(cio_call_later(loop, 0.25, cb_log, IPTR(31), NULL), 0);
    CHECK_INT(cio_call_at(loop, t + 0.05, cb_log, IPTR(0), NULL), 0);
    CHECK_INT(cio_sleep(1), 0);
    return NULL;
}

/* Deadline order regardless of insertion order; equal deadlines keep the
 * order they were set in. */
static void test_timers_fire_in_deadline_order(void **state) {
    (void)state;
    assert_int_equal(run_vt(timers_main, NULL, NULL), 0);
    ev_assert(0, 1, 2, 30, 31, 3, 50, 51, 52);
    checks_assert();
}

static uint32_t g_rng = 12345;
static uint32_t rng(void) {
    g_rng = g_rng * 1103515245u + 12345u;
    return (g_rng >> 16) & 0x7fff;
}

#define NTIMERS 1000
static int g_slot[NTIMERS];
static void *many_timers_main(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    double t = cio_loop_time(loop);
    for (int i = 0; i < NTIMERS; i++) {
        g_slot[i] = (int)(rng() % 20);
        CHECK_INT(
            cio_call_at(loop, t + g_slot[i] * 0.01, cb_log, IPTR(i), NULL), 0);
    }
    CHECK_INT(cio_sleep(1), 0);
    return NULL;
}

static void test_many_timers_sorted_and_stable(void **state) {
    (void)state;
    assert_int_equal(run_vt(many_timers_main, NULL, NULL), 0);
    checks_assert();
    assert_int_equal(ev_n, NTIMERS);
    /* expected: by slot, then by index (a stable sort) */
    int want[NTIMERS], k = 0;
    for (int s = 0; s < 20; s++)
        for (int i = 0; i < NTIMERS; i++)
            if (g_slot[i] == s)
                want[k++] = i;
    assert_int_equal(k, NTIMERS);
    for (int i = 0; i < NTIMERS; i++)
        if (ev_buf[i] != want[i])
            fail_msg(
                "position %d: timer %d fired, expected %d (slots %d vs %d)", i,
                ev_buf[i], want[i], g_slot[ev_buf[i]], g_slot[want[i]]);
}

static void test_handle_cancel_prevents_call(void **state) {
    (void)state;
    cio_loop *loop = new_loop(false);
    cio_handle *h = NULL;
    assert_int_equal(cio_call_soon(loop, cb_log, IPTR(1), &h), 0);
    assert_non_null(h);
    assert_int_equal(cio_call_soon(loop, cb_log, IPTR(2), NULL), 0);
    assert_int_equal(cio_call_soon(loop, cb_stop, NULL, NULL), 0);
    assert_false(cio_handle_cancelled(h));
    assert_int_equal(cio_handle_cancel(h), 1);
    assert_true(cio_handle_cancelled(h));
    assert_int_equal(cio_handle_cancel(h), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    ev_assert(2);
    assert_int_equal(cio_handle_cancel(h), 0);
    assert_true(cio_handle_cancelled(h));
    cio_handle_release(h);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void test_timer_handle_cancel(void **state) {
    (void)state;
    cio_loop *loop = new_loop(true);
    cio_handle *h1 = NULL, *h2 = NULL;
    assert_int_equal(cio_call_later(loop, 0.1, cb_log, IPTR(1), &h1), 0);
    assert_int_equal(cio_call_later(loop, 0.2, cb_log, IPTR(2), &h2), 0);
    assert_int_equal(cio_call_later(loop, 0.3, cb_stop, NULL, NULL), 0);
    assert_int_equal(cio_handle_cancel(h2), 1);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    ev_assert(1);
    /* h1 ran: too late to cancel it */
    assert_int_equal(cio_handle_cancel(h1), 0);
    assert_false(cio_handle_cancelled(h1));
    assert_true(cio_handle_cancelled(h2));
    cio_handle_release(h1);
    cio_handle_release(h2);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void test_handle_cancel_after_run(void **state) {
    (void)state;
    cio_loop *loop = new_loop(false);
    cio_handle *h = NULL;
    assert_int_equal(cio_call_soon(loop, cb_log, IPTR(1), &h), 0);
    assert_int_equal(cio_call_soon(loop, cb_stop, NULL, NULL), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    ev_assert(1);
    assert_int_equal(cio_handle_cancel(h), 0);
    assert_false(cio_handle_cancelled(h));
    cio_handle_release(h);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void test_handle_when(void **state) {
    (void)state;
    cio_loop *loop = new_loop(true);
    double t = cio_loop_time(loop);
    cio_handle *at = NULL, *later = NULL, *soon = NULL;
    assert_int_equal(cio_call_at(loop, t + 5, cb_log, IPTR(1), &at), 0);
    assert_int_equal(cio_call_later(loop, 3, cb_log, IPTR(2), &later), 0);
    assert_int_equal(cio_call_soon(loop, cb_log, IPTR(3), &soon), 0);
    assert_true(fabs(cio_handle_when(at) - (t + 5)) < T_EPS);
    double w = cio_handle_when(later);
    if (!(w >= t + 3 - 1e-6 && w < t + 3 + 1e-3))
        fail_msg("when = %f, now = %f", w, t);
    assert_true(cio_handle_when(soon) == 0.0);
    assert_int_equal(cio_handle_cancel(at), 1);
    assert_int_equal(cio_handle_cancel(later), 1);
    assert_int_equal(cio_handle_cancel(soon), 1);
    cio_handle_release(at);
    cio_handle_release(later);
    cio_handle_release(soon);
    assert_int_equal(cio_loop_close(loop), 0);
    assert_int_equal(ev_n, 0);
}

/* test_base_events.py: test_call_later_negative_delays. cio differs on
 * purpose: a negative delay counts as 0 (the header says so), so two
 * negative delays are equal deadlines and keep the order they were set in,
 * where asyncio runs the "more negative" one first. */
static void test_negative_delay_counts_as_zero(void **state) {
    (void)state;
    cio_loop *loop = new_loop(true);
    double t = cio_loop_time(loop);
    cio_handle *h = NULL;
    assert_int_equal(cio_call_later(loop, -1, cb_log, IPTR(1), &h), 0);
    assert_int_equal(cio_call_later(loop, -2, cb_log, IPTR(2), NULL), 0);
    assert_int_equal(cio_call_later(loop, 0.01, cb_stop, NULL, NULL), 0);
    double w = cio_handle_when(h);
    if (!(w >= t - 1e-9 && w < t + 1e-3))
        fail_msg("when = %f for delay -1 at %f", w, t);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    ev_assert(1, 2);
    cio_handle_release(h);
    assert_int_equal(cio_loop_close(loop), 0);
}

static double g_fired_at[4];
static void cb_record_time(void *arg) {
    g_fired_at[PINT(arg)] = cio_loop_time(g_loop);
}

static void test_timer_fires_at_its_deadline(void **state) {
    (void)state;
    cio_loop *loop = new_loop(true);
    double t = cio_loop_time(loop);
    g_fired_at[0] = g_fired_at[1] = -1;
    assert_int_equal(cio_call_at(loop, t + 1.5, cb_record_time, IPTR(0), NULL),
                     0);
    assert_int_equal(cio_call_later(loop, 0.25, cb_record_time, IPTR(1), NULL),
                     0);
    assert_int_equal(cio_call_later(loop, 2, cb_stop, NULL, NULL), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    if (!(g_fired_at[0] >= t + 1.5 - T_EPS && g_fired_at[0] < t + 1.51))
        fail_msg("call_at(t+1.5) ran at t+%f", g_fired_at[0] - t);
    if (!(g_fired_at[1] >= t + 0.25 - T_EPS && g_fired_at[1] < t + 0.26))
        fail_msg("call_later(0.25) ran at t+%f", g_fired_at[1] - t);
    assert_true(cio_loop_time(loop) >= t + 2 - T_EPS);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void test_call_soon_null_loop_uses_current(void **state) {
    (void)state;
    cio_loop *loop = new_loop(false);
    assert_int_equal(cio_call_soon(NULL, cb_log, IPTR(7), NULL), 0);
    assert_int_equal(cio_call_later(NULL, 0, cb_log, IPTR(8), NULL), 0);
    assert_int_equal(cio_call_later(NULL, 0.001, cb_stop, NULL, NULL), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    assert_int_equal(ev_n, 2);
    assert_int_equal(ev_buf[0] + ev_buf[1], 15);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void *task_schedules(void *arg) {
    (void)arg;
    ev_log(1);
    CHECK_INT(cio_call_soon(NULL, cb_log, IPTR(2), NULL), 0);
    ev_log(3);
    CHECK_INT(cio_sleep(0), 0);
    ev_log(4);
    return NULL;
}

/* A callback scheduled by a task runs when the task yields, not inline. */
static void test_call_soon_from_task(void **state) {
    (void)state;
    assert_int_equal(run_vt(task_schedules, NULL, NULL), 0);
    ev_assert(1, 3, 2, 4);
    checks_assert();
}

/* Releasing a handle gives back a reference; it does not cancel the call. */
static void test_release_does_not_cancel(void **state) {
    (void)state;
    cio_loop *loop = new_loop(true);
    cio_handle *h1 = NULL, *h2 = NULL;
    assert_int_equal(cio_call_soon(loop, cb_log, IPTR(1), &h1), 0);
    assert_int_equal(cio_call_later(loop, 0.5, cb_log, IPTR(2), &h2), 0);
    assert_int_equal(cio_call_later(loop, 1, cb_stop, NULL, NULL), 0);
    cio_handle_release(h1);
    cio_handle_release(h2);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    ev_assert(1, 2);
    assert_int_equal(cio_loop_close(loop), 0);
}

static long g_spins;
static void cb_spin(void *arg) {
    (void)arg;
    g_spins++;
    cio_call_soon(g_loop, cb_spin, NULL, NULL);
}

/* A callback that always reschedules itself must not starve timers (real
 * time: the scheduler polls at a bounded interval). */
static void test_busy_ready_queue_does_not_starve_timers(void **state) {
    (void)state;
    cio_loop *loop = new_loop(false);
    g_spins = 0;
    cio_handle *spin = NULL;
    assert_int_equal(cio_call_soon(loop, cb_spin, NULL, &spin), 0);
    assert_int_equal(cio_call_later(loop, 0.02, cb_stop, NULL, NULL), 0);
    double r0 = now_real();
    assert_int_equal(cio_loop_run_forever(loop), 0);
    double dt = now_real() - r0;
    assert_true(g_spins > 1);
    if (!(dt >= 0.015 && dt < 5))
        fail_msg("run took %f s for a 0.02 s timer", dt);
    cio_handle_release(spin);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void test_call_errors(void **state) {
    (void)state;
    cio_loop *loop = new_loop(false);
    cio_handle *h = (cio_handle *)&h;
    assert_int_equal(cio_call_soon(loop, NULL, NULL, &h), CIO_EINVAL);
    assert_int_equal(cio_call_later(loop, 1, NULL, NULL, NULL), CIO_EINVAL);
    assert_int_equal(cio_call_at(loop, 1, NULL, NULL, NULL), CIO_EINVAL);
    assert_int_equal(cio_call_later(loop, NAN, cb_log, NULL, NULL), CIO_EINVAL);
    assert_int_equal(cio_handle_cancel(NULL), CIO_EINVAL);
    assert_false(cio_handle_cancelled(NULL));
    assert_int_equal(cio_loop_close(loop), 0);
    /* no loop on this thread at all */
    assert_null(cio_get_loop());
    assert_int_equal(cio_call_soon(NULL, cb_log, NULL, NULL), CIO_ENOLOOP);
    assert_int_equal(cio_call_later(NULL, 1, cb_log, NULL, NULL), CIO_ENOLOOP);
    assert_int_equal(cio_call_at(NULL, 1, cb_log, NULL, NULL), CIO_ENOLOOP);
    assert_int_equal(ev_n, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_call_soon_fifo),
        CIO_TEST(test_scheduled_during_pass_runs_after),
        CIO_TEST(test_pass_runs_only_what_was_queued_at_its_start),
        CIO_TEST(test_timers_fire_in_deadline_order),
        CIO_TEST(test_many_timers_sorted_and_stable),
        CIO_TEST(test_handle_cancel_prevents_call),
        CIO_TEST(test_timer_handle_cancel),
        CIO_TEST(test_handle_cancel_after_run),
        CIO_TEST(test_handle_when),
        CIO_TEST(test_negative_delay_counts_as_zero),
        CIO_TEST(test_timer_fires_at_its_deadline),
        CIO_TEST(test_call_soon_null_loop_uses_current),
        CIO_TEST(test_call_soon_from_task),
        CIO_TEST(test_release_does_not_cancel),
        CIO_TEST(test_busy_ready_queue_does_not_starve_timers),
        CIO_TEST(test_call_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
