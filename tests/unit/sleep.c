/* Unit tests: cio_sleep (real and virtual time, yielding, argument
 * checking, wake-up order). */
#include "../cio_test.h"

#include <uv.h>

static double g_elapsed_real, g_elapsed_loop;
static int g_rc;

static void *real_sleep(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    double r0 = now_real(), l0 = cio_loop_time(loop);
    g_rc = cio_sleep(0.05);
    g_elapsed_real = now_real() - r0;
    g_elapsed_loop = cio_loop_time(loop) - l0;
    return NULL;
}

/* Real time is the point here: generous bounds only. */
static void test_real_time_sleep(void **state) {
    (void)state;
    g_rc = 1;
    assert_int_equal(cio_run(real_sleep, NULL, NULL), 0);
    assert_int_equal(g_rc, 0);
    if (!(g_elapsed_real >= 0.045 && g_elapsed_real < 5))
        fail_msg("sleep(0.05) took %f s of real time", g_elapsed_real);
    if (!(g_elapsed_loop >= 0.045 && g_elapsed_loop < 5))
        fail_msg("sleep(0.05) advanced the loop clock by %f s", g_elapsed_loop);
}

static void *long_virtual_sleep(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    double r0 = now_real(), l0 = cio_loop_time(loop);
    g_rc = cio_sleep(86400.0);
    g_elapsed_real = now_real() - r0;
    g_elapsed_loop = cio_loop_time(loop) - l0;
    return NULL;
}

static void test_virtual_day_takes_no_time(void **state) {
    (void)state;
    g_rc = 1;
    assert_int_equal(run_vt(long_virtual_sleep, NULL, NULL), 0);
    assert_int_equal(g_rc, 0);
    assert_true(g_elapsed_loop >= 86400.0 - T_EPS && g_elapsed_loop < 86400.01);
    assert_true(g_elapsed_real < 1.0);
}

static void *logger(void *arg) {
    ev_log(PINT(arg));
    return NULL;
}

static void *negative_sleep(void *arg) {
    (void)arg;
    cio_future *t = cio_create_task(logger, IPTR(2));
    ev_log(1);
    CHECK_INT(cio_sleep(-5), 0); /* counts as 0: still a yield */
    ev_log(3);
    CHECK_INT(cio_sleep(NAN), CIO_EINVAL);
    cio_release(t);
    return NULL;
}

static void test_negative_sleep_yields_nan_refused(void **state) {
    (void)state;
    assert_int_equal(run_vt(negative_sleep, NULL, NULL), 0);
    ev_assert(1, 2, 3);
    checks_assert();
}

static void *round_robin(void *arg) {
    int id = PINT(arg);
    for (int i = 0; i < 3; i++) {
        ev_log(id * 10 + i);
        CHECK_INT(cio_sleep(0), 0);
    }
    return NULL;
}

static void *round_robin_main(void *arg) {
    (void)arg;
    cio_future *t[3];
    for (int i = 0; i < 3; i++)
        t[i] = cio_create_task(round_robin, IPTR(i + 1));
    for (int i = 0; i < 3; i++)
        CHECK_INT(cio_await(t[i], NULL), 0);
    cio_release_all(t, 3);
    return NULL;
}

/* sleep(0) lets every other ready task run once before continuing. */
static void test_sleep_zero_round_robin(void **state) {
    (void)state;
    assert_int_equal(run_vt(round_robin_main, NULL, NULL), 0);
    ev_assert(10, 20, 30, 11, 21, 31, 12, 22, 32);
    checks_assert();
}

static const double g_durations[] = {0.3, 0.1, 0.2, 0.1, 0.05, 0.3};
static void *sleeper(void *arg) {
    int i = PINT(arg);
    CHECK_INT(cio_sleep(g_durations[i]), 0);
    ev_log(i);
    return NULL;
}

static void *wake_order_main(void *arg) {
    (void)arg;
    cio_future *t[6];
    for (int i = 0; i < 6; i++)
        t[i] = cio_create_task(sleeper, IPTR(i));
    for (int i = 0; i < 6; i++)
        CHECK_INT(cio_await(t[i], NULL), 0);
    cio_release_all(t, 6);
    return NULL;
}

/* Sleepers wake by deadline; equal deadlines in the order they slept. */
static void test_sleepers_wake_in_deadline_order(void **state) {
    (void)state;
    assert_int_equal(run_vt(wake_order_main, NULL, NULL), 0);
    ev_assert(4, 1, 3, 2, 0, 5);
    checks_assert();
}

static double g_t_after[3];
static void *timed_sequence(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    double t0 = cio_loop_time(loop);
    cio_sleep(0.25);
    g_t_after[0] = cio_loop_time(loop) - t0;
    cio_sleep(0.75);
    g_t_after[1] = cio_loop_time(loop) - t0;
    cio_sleep(0);
    g_t_after[2] = cio_loop_time(loop) - t0;
    return NULL;
}

/* test_tasks.py: test_sleep -- consecutive sleeps add up on the loop clock. */
static void test_sleeps_add_up(void **state) {
    (void)state;
    assert_int_equal(run_vt(timed_sequence, NULL, NULL), 0);
    assert_true(g_t_after[0] >= 0.25 - T_EPS && g_t_after[0] < 0.26);
    assert_true(g_t_after[1] >= 1.0 - T_EPS && g_t_after[1] < 1.01);
    assert_true(g_t_after[2] >= 1.0 - T_EPS && g_t_after[2] < 1.01);
}

static volatile int g_timer_fired, g_uv_fired;
static long g_spins;
static void on_timer(void *arg) {
    (void)arg;
    g_timer_fired = 1;
}
static void on_uv(uv_timer_t *t) {
    (void)t;
    g_uv_fired = 1;
}
static void on_uv_close(uv_handle_t *h) {
    (void)h;
}

static void *spinner(void *arg) {
    (void)arg;
    double r0 = now_real();
    while ((!g_timer_fired || !g_uv_fired) && now_real() - r0 < 5) {
        cio_sleep(0);
        g_spins++;
    }
    return NULL;
}

static void *spin_main(void *arg) {
    (void)arg;
    static uv_timer_t uvt;
    uv_timer_init(cio_loop_uv(cio_get_running_loop()), &uvt);
    uv_timer_start(&uvt, on_uv, 20, 0);
    CHECK_INT(cio_call_later(NULL, 0.02, on_timer, NULL, NULL), 0);
    cio_future *t = cio_create_task(spinner, NULL);
    CHECK_INT(cio_await(t, NULL), 0);
    cio_release(t);
    uv_close((uv_handle_t *)&uvt, on_uv_close);
    cio_sleep(0.001);
    return NULL;
}

/* A task that yields in a tight loop (sleep(0), never blocking) starves
 * neither timers nor libuv I/O callbacks (real time, generous bound). */
static void test_yielding_task_does_not_starve_timers_or_io(void **state) {
    (void)state;
    g_timer_fired = g_uv_fired = 0;
    g_spins = 0;
    double r0 = now_real();
    assert_int_equal(cio_run(spin_main, NULL, NULL), 0);
    double dt = now_real() - r0;
    assert_int_equal(g_timer_fired, 1);
    assert_int_equal(g_uv_fired, 1);
    assert_true(g_spins > 0);
    if (!(dt >= 0.015 && dt < 5))
        fail_msg("took %f s", dt);
    checks_assert();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_real_time_sleep),
        CIO_TEST(test_virtual_day_takes_no_time),
        CIO_TEST(test_negative_sleep_yields_nan_refused),
        CIO_TEST(test_sleep_zero_round_robin),
        CIO_TEST(test_sleepers_wake_in_deadline_order),
        CIO_TEST(test_sleeps_add_up),
        CIO_TEST(test_yielding_task_does_not_starve_timers_or_io),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
