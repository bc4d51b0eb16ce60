/* Unit tests: the loop's blocking poll ends as soon as there is work.
 *
 * libuv (1.44, Debian 12) runs the timers that are due at the top of
 * uv_run, before it polls. The loop blocks in uv_run(UV_RUN_ONCE) when
 * nothing is ready; work that such a timer makes (a libuv timer of a
 * higher layer finishing a future: libcurl's 0 ms timer after a resumed
 * transfer did) or the loop's own wake timer firing there, early, must
 * stop the poll from blocking until the next libuv timer. Here a "guard"
 * libuv timer far in the future stands for the one the poll blocked on (a
 * transfer's 300 s timeout): each test asserts its task went on before the
 * guard fired. */
#include "../cio_test.h"

#include <uv.h>

#define GUARD_MS 5000 /* far beyond what a wake-up takes, even in valgrind */

static uv_timer_t g_guard, g_kick;
static bool g_guard_fired;

static void on_guard(uv_timer_t *t) {
    (void)t;
    g_guard_fired = true;
}

static void start_guard(uv_loop_t *uv) {
    g_guard_fired = false;
    uv_timer_init(uv, &g_guard);
    uv_timer_start(&g_guard, on_guard, GUARD_MS, 0);
}

static void stop_guard(void) {
    uv_timer_stop(&g_guard);
    uv_close((uv_handle_t *)&g_guard, NULL);
}

static void on_kick(uv_timer_t *t) {
    CHECK_INT(cio_future_set_result(t->data, IPTR(7)), 0);
}

/* A libuv timer of 0 ms, started by the task before it waits, fires at the
 * top of the next uv_run and finishes the future the task awaits. */
static void *await_libuv_timer(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    start_guard(cio_loop_uv(loop));
    cio_future *f = cio_future_new(loop);
    uv_timer_init(cio_loop_uv(loop), &g_kick);
    g_kick.data = f;
    uv_timer_start(&g_kick, on_kick, 0, 0);
    void *result = NULL;
    CHECK_INT(cio_await(f, &result), 0);
    CHECK(result == IPTR(7));
    CHECK(!g_guard_fired);
    cio_release(f);
    uv_close((uv_handle_t *)&g_kick, NULL);
    stop_guard();
    return NULL;
}

static void test_work_from_a_libuv_timer(void **state) {
    (void)state;
    CHECK_INT(cio_run(await_libuv_timer, NULL, NULL), 0);
}

/* The same through a callback the libuv timer schedules with cio_call_soon
 * (it then finishes the future). */
static void finish(void *arg) {
    ev_log(1);
    CHECK_INT(cio_future_set_result(arg, NULL), 0);
}

static void on_kick_soon(uv_timer_t *t) {
    cio_future *f = t->data;
    CHECK_INT(cio_call_soon(cio_future_loop(f), finish, f, NULL), 0);
}

static void *callback_from_libuv_timer(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    start_guard(cio_loop_uv(loop));
    cio_future *f = cio_future_new(loop);
    uv_timer_init(cio_loop_uv(loop), &g_kick);
    g_kick.data = f;
    uv_timer_start(&g_kick, on_kick_soon, 0, 0);
    CHECK_INT(cio_await(f, NULL), 0);
    ev_log(2);
    CHECK(!g_guard_fired);
    ev_assert(1, 2);
    cio_release(f);
    uv_close((uv_handle_t *)&g_kick, NULL);
    stop_guard();
    return NULL;
}

static void test_callback_from_a_libuv_timer(void **state) {
    (void)state;
    CHECK_INT(cio_run(callback_from_libuv_timer, NULL, NULL), 0);
}

/* A task that computes for a while without suspending leaves libuv's
 * cached clock behind; its sleep must still end on time, not when the
 * next libuv timer comes. */
static void *sleep_after_busy(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    start_guard(cio_loop_uv(loop));
    for (int i = 0; i < 3; i++) {
        double t0 = now_real();
        while (now_real() - t0 < 0.03) /* longer than the sleep below */
            ;
        CHECK_INT(cio_sleep(0.01), 0);
        CHECK(!g_guard_fired);
    }
    stop_guard();
    return NULL;
}

static void test_sleep_after_busy_task(void **state) {
    (void)state;
    CHECK_INT(cio_run(sleep_after_busy, NULL, NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_work_from_a_libuv_timer),
        CIO_TEST(test_callback_from_a_libuv_timer),
        CIO_TEST(test_sleep_after_busy_task),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
