/* Unit tests: loops (cio_loop_new/close, run_until_complete, run_forever,
 * stop, run_until_done, loop time, current/running loop, cio_run errors). */
#include "../cio_test.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

static void *ret_arg(void *arg) {
    return arg;
}

static void *ret_error(void *arg) {
    (void)arg;
    return cio_raise(-EPIPE, "pipe %s", "broke");
}

static void *self_cancel_and_return(void *arg) {
    (void)arg;
    CHECK_INT(cio_cancel(cio_current_task(), "bye"), 1);
    return IPTR(5);
}

static void cb_log(void *arg) {
    ev_log(PINT(arg));
}
static void cb_stop(void *arg) {
    cio_loop_stop((cio_loop *)arg);
}

/* ------------------------------------------------------------------------ */

static void test_loop_new_close(void **state) {
    (void)state;
    assert_null(cio_get_running_loop());
    cio_loop *loop = cio_loop_new(NULL);
    assert_non_null(loop);
    /* the first loop of the thread becomes its current loop */
    assert_ptr_equal(cio_get_loop(), loop);
    assert_null(cio_get_running_loop());
    assert_non_null(cio_loop_uv(loop));
    assert_int_equal(cio_loop_close(loop), 0);
    /* a closed loop is no longer the thread's current loop */
    assert_null(cio_get_loop());
}

static void test_second_loop_not_current(void **state) {
    (void)state;
    cio_loop *a = cio_loop_new(NULL);
    cio_loop *b = cio_loop_new(NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    assert_ptr_equal(cio_get_loop(), a); /* b did not replace it */
    assert_int_equal(cio_set_loop(b), 0);
    assert_ptr_equal(cio_get_loop(), b);
    assert_int_equal(cio_set_loop(NULL), 0);
    assert_null(cio_get_loop());
    assert_int_equal(cio_set_loop(a), 0);
    assert_int_equal(cio_loop_close(b), 0);
    assert_ptr_equal(cio_get_loop(), a);
    assert_int_equal(cio_loop_close(a), 0);
    assert_null(cio_get_loop());
}

static void test_run_until_complete_status_and_result(void **state) {
    (void)state;
    diag_capture();
    cio_loop *loop = cio_loop_new(vt_opts());
    assert_non_null(loop);
    void *res = NULL;
    assert_int_equal(
        cio_loop_run_until_complete(loop, ret_arg, IPTR(1234), &res), 0);
    assert_int_equal(PINT(res), 1234);
    assert_int_equal(cio_loop_run_until_complete(loop, ret_error, NULL, NULL),
                     -EPIPE);
    assert_int_equal(
        cio_loop_run_until_complete(loop, self_cancel_and_return, NULL, &res),
        CIO_ECANCELED);
    /* a NULL result pointer is fine */
    assert_int_equal(cio_loop_run_until_complete(loop, ret_arg, IPTR(1), NULL),
                     0);
    assert_int_equal(cio_loop_close(loop), 0);
    diag_restore();
    /* the status was handed to the caller: the error counts as retrieved */
    if (diag_count("never retrieved"))
        diag_print();
    assert_int_equal(diag_count("never retrieved"), 0);
    checks_assert();
}

/* asyncio: loop.stop() from a callback ends run_forever after the current
 * pass; what that pass scheduled runs when the loop is run again. */
static cio_loop *g_loop;
static void cb_a_stops(void *arg) {
    (void)arg;
    ev_log(1);
    CHECK_INT(cio_loop_stop(g_loop), 0);
    CHECK_INT(cio_call_soon(g_loop, cb_log, IPTR(3), NULL), 0);
}

static void test_run_forever_stop_and_continue(void **state) {
    (void)state;
    cio_loop *loop = g_loop = cio_loop_new(NULL);
    assert_non_null(loop);
    assert_int_equal(cio_call_soon(loop, cb_a_stops, NULL, NULL), 0);
    assert_int_equal(cio_call_soon(loop, cb_log, IPTR(2), NULL), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    ev_assert(1, 2);
    assert_null(cio_get_running_loop());
    /* run again: the callback scheduled during the stopped pass runs now */
    assert_int_equal(cio_call_soon(loop, cb_log, IPTR(4), NULL), 0);
    assert_int_equal(cio_call_soon(loop, cb_stop, loop, NULL), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    ev_assert(1, 2, 3, 4);
    assert_int_equal(cio_loop_close(loop), 0);
    checks_assert();
}

static void cb_log_and_schedule(void *arg) {
    ev_log(PINT(arg));
    CHECK_INT(cio_call_soon(g_loop, cb_log, IPTR(PINT(arg) + 10), NULL), 0);
}

/* asyncio: stop() before run_forever() makes the run do exactly one pass. */
static void test_stop_before_run_runs_one_pass(void **state) {
    (void)state;
    cio_loop *loop = g_loop = cio_loop_new(NULL);
    assert_non_null(loop);
    assert_int_equal(cio_call_soon(loop, cb_log_and_schedule, IPTR(1), NULL),
                     0);
    assert_int_equal(cio_loop_stop(loop), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    ev_assert(1);
    assert_int_equal(cio_loop_stop(loop), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    ev_assert(1, 11);
    assert_int_equal(cio_loop_close(loop), 0);
    checks_assert();
}

static void *stepper_x(void *arg) {
    (void)arg;
    ev_log(1);
    cio_sleep(0);
    ev_log(3);
    cio_sleep(0);
    ev_log(5);
    return NULL;
}

static void *stepper_y(void *arg) {
    (void)arg;
    ev_log(2);
    cio_loop_stop(cio_get_running_loop());
    cio_sleep(0);
    ev_log(4);
    return NULL;
}

/* stop() from a task: the pass completes, nothing of the next pass runs
 * until the loop is run again; passes of tasks go one at a time. */
static void test_stop_from_task_ends_after_pass(void **state) {
    (void)state;
    cio_loop *loop = cio_loop_new(vt_opts());
    assert_non_null(loop);
    cio_future *x = cio_create_task_ex(loop, stepper_x, NULL, NULL);
    cio_future *y = cio_create_task_ex(loop, stepper_y, NULL, NULL);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    ev_assert(1, 2);
    assert_int_equal(cio_loop_stop(loop), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    ev_assert(1, 2, 3, 4);
    assert_int_equal(cio_loop_run_until_done(loop, x, NULL), 0);
    ev_assert(1, 2, 3, 4, 5);
    assert_true(cio_future_done(y));
    cio_release(x);
    cio_release(y);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void *sleeps_long(void *arg) {
    (void)arg;
    ev_log(1);
    cio_sleep(100);
    ev_log(2);
    return NULL;
}

static void *yield_twice(void *arg) {
    (void)arg;
    cio_sleep(0);
    cio_sleep(0);
    return NULL;
}

static void test_close_with_pending_tasks_reports_them(void **state) {
    (void)state;
    diag_capture();
    cio_loop *loop = cio_loop_new(vt_opts());
    assert_non_null(loop);
    cio_future *sleepy = cio_create_task_ex(
        loop, sleeps_long, NULL, &(cio_task_options){.name = "sleepy"});
    assert_non_null(sleepy);
    assert_int_equal(cio_loop_run_until_complete(loop, yield_twice, NULL, NULL),
                     0);
    ev_assert(1); /* sleepy started and is suspended in its sleep */
    cio_release(sleepy);
    /* one that never started, whose reference we keep across the close */
    cio_future *unstarted = cio_create_task_ex(
        loop, sleeps_long, NULL, &(cio_task_options){.name = "unstarted"});
    assert_non_null(unstarted);
    assert_int_equal(diag_n, 0);
    assert_int_equal(cio_loop_close(loop), 0);
    diag_restore();
    if (diag_n != 2)
        diag_print();
    assert_int_equal(
        diag_count("task 'sleepy' was destroyed but it is pending"), 1);
    assert_int_equal(
        diag_count("task 'unstarted' was destroyed but it is pending"), 1);
    assert_int_equal(diag_n, 2);
    ev_assert(1); /* neither body went on */
    /* a future outlives its loop */
    assert_null(cio_future_loop(unstarted));
    assert_string_equal(cio_task_get_name(unstarted), "unstarted");
    cio_release(unstarted);
}

static void test_close_drops_pending_callbacks(void **state) {
    (void)state;
    cio_loop *loop = cio_loop_new(NULL);
    assert_non_null(loop);
    cio_handle *h = NULL;
    assert_int_equal(cio_call_soon(loop, cb_log, IPTR(1), &h), 0);
    assert_int_equal(cio_call_later(loop, 10, cb_log, IPTR(2), NULL), 0);
    assert_int_equal(cio_loop_close(loop), 0);
    assert_int_equal(ev_n, 0);
    /* the handle outlives the loop and can still be released */
    cio_handle_release(h);
}

static void test_loop_time_monotonic(void **state) {
    (void)state;
    cio_loop *loop = cio_loop_new(NULL);
    assert_non_null(loop);
    double prev = cio_loop_time(loop);
    double start_real = now_real();
    assert_true(prev >= 0);
    int rounds = 0;
    while (now_real() - start_real < 0.02) {
        double t = cio_loop_time(loop);
        assert_true(t >= prev);
        prev = t;
        rounds++;
    }
    assert_true(rounds > 0);
    assert_int_equal(cio_loop_close(loop), 0);
}

static double g_dt, g_real;
static void *vt_sleep2(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    double t0 = cio_loop_time(loop), r0 = now_real();
    CHECK_INT(cio_sleep(2), 0);
    g_dt = cio_loop_time(loop) - t0;
    g_real = now_real() - r0;
    return NULL;
}

static void test_virtual_time_sleep_advances_clock(void **state) {
    (void)state;
    g_dt = g_real = -1;
    assert_int_equal(run_vt(vt_sleep2, NULL, NULL), 0);
    checks_assert();
    if (!(g_dt >= 2.0 - T_EPS && g_dt < 2.01))
        fail_msg("virtual dt = %.9f, want [2, 2.01)", g_dt);
    if (!(g_real >= 0 && g_real < 1.0))
        fail_msg("real time %.3f s for a virtual sleep(2)", g_real);
}

static cio_loop *g_seen_task, *g_seen_cb, *g_seen_cb_get;
static void cb_record_loop(void *arg) {
    (void)arg;
    g_seen_cb = cio_get_running_loop();
    g_seen_cb_get = cio_get_loop();
}
static void *record_loop(void *arg) {
    (void)arg;
    g_seen_task = cio_get_running_loop();
    CHECK_PTR(cio_get_loop(), g_seen_task);
    CHECK_INT(cio_call_soon(NULL, cb_record_loop, NULL, NULL), 0);
    cio_sleep(0);
    return NULL;
}

static void test_running_loop_inside_and_outside(void **state) {
    (void)state;
    assert_null(cio_get_running_loop());
    cio_loop *loop = cio_loop_new(NULL);
    assert_non_null(loop);
    assert_null(cio_get_running_loop());
    g_seen_task = g_seen_cb = g_seen_cb_get = NULL;
    assert_int_equal(cio_loop_run_until_complete(loop, record_loop, NULL, NULL),
                     0);
    assert_ptr_equal(g_seen_task, loop);
    assert_ptr_equal(g_seen_cb, loop);
    assert_ptr_equal(g_seen_cb_get, loop);
    assert_null(cio_get_running_loop());
    assert_int_equal(cio_loop_close(loop), 0);
    checks_assert();
}

static void *nested_runs(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    CHECK(loop != NULL);
    CHECK_INT(cio_run(ret_arg, NULL, NULL), CIO_ELOOPRUNNING);
    CHECK_INT(cio_run_ex(ret_arg, NULL, NULL, vt_opts()), CIO_ELOOPRUNNING);
    CHECK_INT(cio_loop_run_forever(loop), CIO_ELOOPRUNNING);
    CHECK_INT(cio_loop_run_until_complete(loop, ret_arg, NULL, NULL),
              CIO_ELOOPRUNNING);
    CHECK_INT(cio_loop_close(loop), CIO_ELOOPRUNNING);
    /* another loop cannot run on this thread while this one runs either */
    cio_loop *other = cio_loop_new(NULL);
    CHECK(other != NULL);
    if (other) {
        CHECK_INT(cio_loop_run_forever(other), CIO_ELOOPRUNNING);
        CHECK_INT(cio_loop_close(other), 0);
    }
    CHECK_PTR(cio_get_running_loop(), loop);
    return IPTR(77);
}

static void test_run_inside_running_loop(void **state) {
    (void)state;
    void *res = NULL;
    assert_int_equal(cio_run(nested_runs, NULL, &res), 0);
    assert_int_equal(PINT(res), 77);
    checks_assert();
}

static void test_run_null_main(void **state) {
    (void)state;
    assert_int_equal(cio_run(NULL, NULL, NULL), CIO_EINVAL);
    assert_int_equal(cio_run_ex(NULL, NULL, NULL, vt_opts()), CIO_EINVAL);
    assert_null(cio_get_loop());
}

static int g_await_rc;
static void *await_forever(void *arg) {
    (void)arg;
    cio_future *f = cio_future_new(NULL);
    CHECK(f != NULL);
    g_await_rc = cio_await(f, NULL);
    cio_release(f);
    return NULL;
}

/* Nothing can ever set the future: cio says so instead of hanging. */
static void test_run_deadlock(void **state) {
    (void)state;
    diag_capture();
    g_await_rc = 12345;
    double r0 = now_real();
    assert_int_equal(cio_run(await_forever, NULL, NULL), CIO_EDEADLK);
    assert_true(now_real() - r0 < 5.0);
    diag_restore();
    /* cio_run cancels what is left (main included) and waits for it */
    assert_int_equal(g_await_rc, CIO_ECANCELED);
    if (diag_count("destroyed"))
        diag_print();
    assert_int_equal(diag_count("destroyed but it is pending"), 0);
    assert_null(cio_get_loop());
    checks_assert();
}

static void test_run_forever_deadlock(void **state) {
    (void)state;
    cio_loop *loop = cio_loop_new(NULL);
    assert_non_null(loop);
    g_await_rc = 12345;
    cio_future *t = cio_create_task_ex(loop, await_forever, NULL, NULL);
    assert_non_null(t);
    assert_int_equal(cio_loop_run_forever(loop), CIO_EDEADLK);
    assert_int_equal(g_await_rc, 12345);
    assert_int_equal(cio_future_state(t), CIO_RUNNING);
    assert_int_equal(cio_cancel(t, NULL), 1);
    assert_int_equal(cio_loop_run_until_done(loop, t, NULL), CIO_ECANCELED);
    assert_int_equal(g_await_rc, CIO_ECANCELED);
    assert_int_equal(cio_future_state(t), CIO_CANCELLED);
    cio_release(t);
    assert_int_equal(cio_loop_close(loop), 0);
    checks_assert();
}

static void *stop_then_sleep(void *arg) {
    (void)arg;
    CHECK_INT(cio_loop_stop(cio_get_running_loop()), 0);
    CHECK_INT(cio_sleep(0.1), 0);
    return IPTR(3);
}

/* test_events.py: test_run_until_complete_stopped, with run_until_done. */
static void test_run_until_done_stopped(void **state) {
    (void)state;
    cio_loop *loop = cio_loop_new(vt_opts());
    assert_non_null(loop);
    cio_future *t = cio_create_task_ex(loop, stop_then_sleep, NULL, NULL);
    assert_non_null(t);
    assert_int_equal(cio_loop_run_until_done(loop, t, NULL), CIO_ESTOPPED);
    assert_false(cio_future_done(t));
    void *res = NULL;
    assert_int_equal(cio_loop_run_until_done(loop, t, &res), 0);
    assert_int_equal(PINT(res), 3);
    cio_release(t);
    assert_int_equal(cio_loop_close(loop), 0);
    checks_assert();
}

static void cb_set_result(void *arg) {
    cio_future_set_result((cio_future *)arg, IPTR(8));
}

static void test_run_until_done_future(void **state) {
    (void)state;
    cio_loop *loop = cio_loop_new(vt_opts());
    assert_non_null(loop);
    cio_future *f = cio_future_new(loop);
    assert_non_null(f);
    assert_int_equal(cio_call_later(loop, 0.5, cb_set_result, f, NULL), 0);
    double t0 = cio_loop_time(loop);
    void *res = NULL;
    assert_int_equal(cio_loop_run_until_done(loop, f, &res), 0);
    assert_int_equal(PINT(res), 8);
    assert_true(cio_loop_time(loop) - t0 >= 0.5 - T_EPS);
    /* a future that is done already: returns its status at once */
    cio_future *g = cio_future_new(loop);
    assert_int_equal(cio_future_set_error(g, -ENOENT, "gone"), 0);
    assert_int_equal(cio_loop_run_until_done(loop, g, NULL), -ENOENT);
    cio_release(g);
    cio_release(f);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void test_cio_run_clears_loop(void **state) {
    (void)state;
    void *res = NULL;
    assert_int_equal(run_vt(ret_arg, IPTR(9), &res), 0);
    assert_int_equal(PINT(res), 9);
    assert_null(cio_get_loop());
    assert_null(cio_get_running_loop());
    /* and a second run works just as well */
    assert_int_equal(cio_run(ret_arg, IPTR(10), &res), 0);
    assert_int_equal(PINT(res), 10);
    assert_null(cio_get_loop());
}

/* A future keeps its closed loop's object alive; calls that would schedule
 * work on that loop answer CIO_ELOOPCLOSED, and closing again is a no-op. */
static void done_nop(cio_future *f, void *arg) {
    (void)f;
    ev_log(PINT(arg));
}

static void test_closed_loop_refuses_work(void **state) {
    (void)state;
    cio_loop *loop = cio_loop_new(NULL);
    assert_non_null(loop);
    cio_future *pending = cio_future_new(loop), *done = cio_future_new(loop);
    assert_int_equal(cio_future_set_result(done, NULL), 0);
    assert_int_equal(cio_loop_close(loop), 0);
    /* `loop` stays allocated while futures of it are referenced */
    assert_int_equal(cio_call_soon(loop, cb_log, IPTR(1), NULL),
                     CIO_ELOOPCLOSED);
    assert_int_equal(cio_call_later(loop, 1, cb_log, IPTR(2), NULL),
                     CIO_ELOOPCLOSED);
    assert_int_equal(cio_call_at(loop, 1, cb_log, IPTR(3), NULL),
                     CIO_ELOOPCLOSED);
    assert_null(cio_future_new(loop));
    assert_int_equal(cio_last_error(), CIO_ELOOPCLOSED);
    assert_null(cio_create_task_ex(loop, ret_arg, NULL, NULL));
    assert_int_equal(cio_last_error(), CIO_ELOOPCLOSED);
    assert_int_equal(cio_loop_run_forever(loop), CIO_ELOOPCLOSED);
    assert_int_equal(cio_loop_run_until_complete(loop, ret_arg, NULL, NULL),
                     CIO_ELOOPCLOSED);
    assert_int_equal(cio_future_add_done_callback(done, done_nop, IPTR(4)),
                     CIO_ELOOPCLOSED);
    assert_int_equal(cio_loop_close(loop), 0);
    assert_int_equal(ev_n, 0);
    cio_release(pending);
    cio_release(done);
}

static void test_run_until_done_other_loop(void **state) {
    (void)state;
    cio_loop *a = cio_loop_new(NULL), *b = cio_loop_new(NULL);
    cio_future *fb = cio_future_new(b);
    assert_int_equal(cio_loop_run_until_done(a, fb, NULL), CIO_EWRONGLOOP);
    cio_release(fb);
    assert_int_equal(cio_loop_close(b), 0);
    assert_int_equal(cio_loop_close(a), 0);
}

/* A libuv handle of the user's own keeps the loop alive: no false
 * deadlock, and its callback may set a future that a task awaits. */
static cio_future *g_uv_future;
static int g_uv_closed;
static void on_uv_timer(uv_timer_t *t) {
    (void)t;
    cio_future_set_result(g_uv_future, IPTR(7));
}
static void on_uv_close(uv_handle_t *h) {
    (void)h;
    g_uv_closed = 1;
}
static void *await_uv_timer(void *arg) {
    (void)arg;
    static uv_timer_t timer;
    cio_loop *loop = cio_get_running_loop();
    g_uv_future = cio_future_new(NULL);
    CHECK_INT(uv_timer_init(cio_loop_uv(loop), &timer), 0);
    CHECK_INT(uv_timer_start(&timer, on_uv_timer, 30, 0), 0);
    void *r = NULL;
    CHECK_INT(cio_await(g_uv_future, &r), 0);
    CHECK_INT(PINT(r), 7);
    uv_close((uv_handle_t *)&timer, on_uv_close);
    for (int i = 0; i < 100 && !g_uv_closed; i++)
        cio_sleep(0.001);
    cio_release(g_uv_future);
    return NULL;
}

static void test_user_uv_handle_keeps_loop_alive(void **state) {
    (void)state;
    g_uv_closed = 0;
    assert_int_equal(cio_run(await_uv_timer, NULL, NULL), 0);
    assert_int_equal(g_uv_closed, 1);
    checks_assert();
}

/* Run `fn` in a child; it must exit 0 within `seconds` (alarm). */
static void run_in_child(void (*fn)(void), unsigned seconds, const char *what) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(seconds);
        fn();
        _exit(0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        fail_msg("%s: still running after %u s (hangs)", what, seconds);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("%s: child status 0x%x", what, status);
}

static void *helper_thread(void *arg) {
    (void)arg;
    usleep(100 * 1000); /* lives a little while, touches no loop, exits */
    return NULL;
}

static void deadlock_with_exited_thread(void) {
    pthread_t th;
    if (pthread_create(&th, NULL, helper_thread, NULL) != 0)
        _exit(2);
    pthread_detach(th);
    int rc = cio_run(await_forever, NULL, NULL);
    _exit(rc == CIO_EDEADLK ? 0 : 3);
}

/* The deadlock verdict must not depend on an unrelated thread that existed
 * when the loop went idle: once it has exited, nothing can wake the loop
 * and cio_run must say CIO_EDEADLK instead of hanging. */
static void test_deadlock_after_helper_thread_exits(void **state) {
    (void)state;
#if defined(__SANITIZE_THREAD__)
    /* ThreadSanitizer keeps a thread of its own: the loop rightly cannot
     * tell that no other thread will ever post to it. */
    skip();
#endif
    run_in_child(deadlock_with_exited_thread, 10,
                 "cio_run deadlocked after a helper thread exited");
}

/* A stack below CIO_STACK_MIN would fail every task: refused up front. */
static void test_loop_new_rejects_tiny_stack(void **state) {
    (void)state;
    cio_loop *l = cio_loop_new(&(cio_loop_options){.stack_size = 4096});
    assert_null(l);
    assert_int_equal(cio_last_error(), CIO_EINVAL);
}

static void *set_other_loop(void *arg) {
    return (void *)(intptr_t)cio_set_loop(arg);
}

/* Another thread's loop cannot become this thread's current loop. */
static void test_set_loop_of_another_thread(void **state) {
    (void)state;
    cio_loop *l = cio_loop_new(NULL);
    assert_non_null(l);
    pthread_t th;
    void *rc = NULL;
    assert_int_equal(pthread_create(&th, NULL, set_other_loop, l), 0);
    assert_int_equal(pthread_join(th, &rc), 0);
    assert_int_equal((int)(intptr_t)rc, CIO_EWRONGLOOP);
    assert_int_equal(cio_loop_close(l), 0);
}

static void test_loop_uv(void **state) {
    (void)state;
    assert_null(cio_loop_uv(NULL));
    cio_loop *loop = cio_loop_new(NULL);
    assert_non_null(loop);
    assert_non_null(cio_loop_uv(loop));
    assert_int_equal(cio_loop_close(loop), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_loop_new_close),
        CIO_TEST(test_second_loop_not_current),
        CIO_TEST(test_run_until_complete_status_and_result),
        CIO_TEST(test_run_forever_stop_and_continue),
        CIO_TEST(test_stop_before_run_runs_one_pass),
        CIO_TEST(test_stop_from_task_ends_after_pass),
        CIO_TEST(test_close_with_pending_tasks_reports_them),
        CIO_TEST(test_close_drops_pending_callbacks),
        CIO_TEST(test_loop_time_monotonic),
        CIO_TEST(test_virtual_time_sleep_advances_clock),
        CIO_TEST(test_running_loop_inside_and_outside),
        CIO_TEST(test_run_inside_running_loop),
        CIO_TEST(test_run_null_main),
        CIO_TEST(test_run_deadlock),
        CIO_TEST(test_run_forever_deadlock),
        CIO_TEST(test_run_until_done_stopped),
        CIO_TEST(test_run_until_done_future),
        CIO_TEST(test_cio_run_clears_loop),
        CIO_TEST(test_closed_loop_refuses_work),
        CIO_TEST(test_run_until_done_other_loop),
        CIO_TEST(test_user_uv_handle_keeps_loop_alive),
        CIO_TEST(test_deadlock_after_helper_thread_exits),
        CIO_TEST(test_loop_new_rejects_tiny_stack),
        CIO_TEST(test_set_loop_of_another_thread),
        CIO_TEST(test_loop_uv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
