/* Conformance: asyncio's cancellation semantics, re-expressed in C. In C
 * nothing unwinds the stack: CIO_ECANCELED is returned by the suspension
 * point, and a task that returns while its cancellation stands (cancelling()
 * > 0) ends CANCELLED; cio_task_uncancel() is how a task "catches" it. */
#include "../cio_test.h"

static cio_loop *g_loop;
static cio_loop *vt_loop(void) {
    g_loop = cio_loop_new(vt_opts());
    assert_non_null(g_loop);
    return g_loop;
}

/* Steps: a task calls step(k) just before a suspension the test wants to
 * reach; the test runs the loop until that step's future is done, which
 * does not depend on how many passes a wake-up takes. */
static cio_future *g_step[3];
static void steps_new(cio_loop *loop) {
    for (int i = 0; i < 3; i++)
        g_step[i] = cio_future_new(loop);
}
static void step(int i) {
    if (g_step[i] && !cio_future_done(g_step[i]))
        cio_future_set_result(g_step[i], NULL);
}
static void run_to_step(cio_loop *loop, int i) {
    assert_int_equal(cio_loop_run_until_done(loop, g_step[i], NULL), 0);
}
static void steps_release(void) {
    cio_release_all(g_step, 3);
    memset(g_step, 0, sizeof g_step);
}

static int g_rc[4];
static double g_when;
static int g_ran;

static void *sleep10(void *arg) {
    (void)arg;
    g_ran = 1;
    g_rc[0] = cio_sleep(10);
    g_when = cio_loop_time(cio_get_running_loop());
    ev_log(1);
    return IPTR(12);
}

static void cb_cancel(void *arg) {
    cio_cancel((cio_future *)arg, NULL);
}

/* test_tasks.py: test_cancel -- a task sleeping 10 s is cancelled from a
 * callback: its sleep returns CIO_ECANCELED at once, it ends CANCELLED,
 * and cancelling it again returns 0. */
static void test_cancel_sleeping_task(void **state) {
    (void)state;
    cio_loop *loop = vt_loop();
    double t0 = cio_loop_time(loop);
    g_rc[0] = 1;
    cio_future *t = cio_create_task_ex(loop, sleep10, NULL, NULL);
    assert_int_equal(cio_call_soon(loop, cb_cancel, t, NULL), 0);
    void *r = IPTR(1);
    assert_int_equal(cio_loop_run_until_done(loop, t, &r), CIO_ECANCELED);
    assert_int_equal(g_rc[0], CIO_ECANCELED);
    assert_true(g_when - t0 < 1.0); /* it did not sleep the 10 s */
    assert_true(cio_future_done(t));
    assert_true(cio_future_cancelled(t));
    assert_int_equal(cio_future_state(t), CIO_CANCELLED);
    assert_int_equal(cio_future_error(t), CIO_ECANCELED);
    assert_null(cio_future_result(t));
    assert_int_equal(cio_cancel(t, NULL), 0);
    ev_assert(1); /* the body went on after its sleep and returned */
    cio_release(t);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void *two_yields(void *arg) {
    (void)arg;
    g_rc[0] = cio_sleep(0);
    g_rc[1] = cio_sleep(0);
    return IPTR(12);
}

/* test_tasks.py: test_cancel_yield -- cancelled after it started, at a
 * plain yield; only the first suspension sees the cancellation. */
static void test_cancel_yield(void **state) {
    (void)state;
    cio_loop *loop = vt_loop();
    g_rc[0] = g_rc[1] = 1;
    cio_future *t = cio_create_task_ex(loop, two_yields, NULL, NULL);
    assert_int_equal(cio_loop_stop(loop), 0); /* run one pass: start it */
    assert_int_equal(cio_loop_run_forever(loop), 0);
    assert_int_equal(cio_future_state(t), CIO_RUNNING);
    assert_int_equal(cio_cancel(t, NULL), 1);
    assert_int_equal(cio_loop_run_until_done(loop, t, NULL), CIO_ECANCELED);
    assert_int_equal(g_rc[0], CIO_ECANCELED);
    assert_int_equal(g_rc[1], 0);
    assert_true(cio_future_cancelled(t));
    assert_int_equal(cio_cancel(t, NULL), 0);
    cio_release(t);
    assert_int_equal(cio_loop_close(loop), 0);
}

/* test_tasks.py: test_cancel_with_message_before_starting_task -- a task
 * cancelled before its first step never runs its body. */
static void test_cancel_before_start(void **state) {
    (void)state;
    cio_loop *loop = vt_loop();
    g_ran = 0;
    cio_future *t = cio_create_task_ex(loop, sleep10, NULL, NULL);
    assert_int_equal(cio_future_state(t), CIO_PENDING);
    assert_int_equal(cio_cancel(t, "my message"), 1);
    assert_int_equal(cio_loop_run_until_done(loop, t, NULL), CIO_ECANCELED);
    assert_int_equal(g_ran, 0);
    assert_int_equal(cio_future_state(t), CIO_CANCELLED);
    assert_string_equal(cio_future_error_message(t), "my message");
    cio_release(t);
    assert_int_equal(cio_loop_close(loop), 0);
}

static cio_future *g_fut, *g_fut2, *g_fut3;
static void *await_g_fut(void *arg) {
    (void)arg;
    g_rc[0] = cio_await(g_fut, NULL);
    return IPTR(12);
}

/* test_tasks.py: test_task_cancel_waiter_future -- cancelling a task that
 * awaits a future cancels that future too. */
static void test_cancel_task_cancels_awaited_future(void **state) {
    (void)state;
    cio_loop *loop = vt_loop();
    g_fut = cio_future_new(loop);
    cio_future *t = cio_create_task_ex(loop, await_g_fut, NULL, NULL);
    assert_int_equal(cio_loop_stop(loop), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    assert_false(cio_future_done(g_fut));
    assert_int_equal(cio_cancel(t, "cancel msg"), 1);
    /* the future is cancelled now, the task at its next step */
    assert_int_equal(cio_future_state(g_fut), CIO_CANCELLED);
    assert_int_equal(cio_loop_run_until_done(loop, t, NULL), CIO_ECANCELED);
    assert_int_equal(g_rc[0], CIO_ECANCELED);
    assert_int_equal(cio_future_state(t), CIO_CANCELLED);
    assert_string_equal(cio_future_error_message(t), "cancel msg");
    /* asyncio passes the message on to the awaited future */
    assert_string_equal(cio_future_error_message(g_fut), "cancel msg");
    cio_release(t);
    cio_release(g_fut);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void *await_g_fut_propagate(void *arg) {
    (void)arg;
    int rc = cio_await(g_fut, NULL);
    g_rc[0] = rc;
    g_rc[1] = cio_task_cancelling(cio_current_task());
    if (rc)
        return cio_raise(rc, "inner future failed");
    return IPTR(12);
}

/* test_tasks.py: test_cancel_inner_future -- the awaited future (not the
 * task) is cancelled: the await returns CIO_ECANCELED, the task itself has
 * no cancellation request, and it fails with what it chooses to return. */
static void test_cancel_inner_future(void **state) {
    (void)state;
    cio_loop *loop = vt_loop();
    g_fut = cio_future_new(loop);
    cio_future *t = cio_create_task_ex(loop, await_g_fut_propagate, NULL, NULL);
    assert_int_equal(cio_loop_stop(loop), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    assert_int_equal(cio_cancel(g_fut, NULL), 1);
    assert_int_equal(cio_loop_run_until_done(loop, t, NULL), CIO_ECANCELED);
    assert_int_equal(g_rc[0], CIO_ECANCELED);
    assert_int_equal(g_rc[1], 0);
    assert_int_equal(cio_future_error(t), CIO_ECANCELED);
    assert_true(cio_future_cancelled(g_fut));
    cio_release(t);
    cio_release(g_fut);
    assert_int_equal(cio_loop_close(loop), 0);
}

/* test_tasks.py: test_cancel_both_task_and_inner_future */
static void test_cancel_both_task_and_inner_future(void **state) {
    (void)state;
    cio_loop *loop = vt_loop();
    g_fut = cio_future_new(loop);
    cio_future *t = cio_create_task_ex(loop, await_g_fut, NULL, NULL);
    assert_int_equal(cio_loop_stop(loop), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    assert_int_equal(cio_cancel(g_fut, NULL), 1);
    assert_int_equal(cio_cancel(t, NULL), 1);
    assert_int_equal(cio_loop_run_until_done(loop, t, NULL), CIO_ECANCELED);
    assert_true(cio_future_done(t));
    assert_true(cio_future_cancelled(g_fut));
    assert_true(cio_future_cancelled(t));
    cio_release(t);
    cio_release(g_fut);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void *catching(void *arg) {
    (void)arg;
    CHECK_INT(cio_await(g_fut, NULL), 0);
    step(0);
    int rc = cio_await(g_fut2, NULL);
    if (rc == CIO_ECANCELED) {
        CHECK_INT(cio_task_uncancel(cio_current_task()), 0);
        return IPTR(42);
    }
    return IPTR(1);
}

static void one_pass(cio_loop *loop) {
    assert_int_equal(cio_loop_stop(loop), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
}

/* test_tasks.py: test_cancel_task_catching -- the task catches the
 * cancellation and returns 42. In cio the task takes the request back with
 * uncancel() (cio's documented difference), then ends DONE with 42. */
static void test_cancel_task_catching(void **state) {
    (void)state;
    cio_loop *loop = vt_loop();
    g_fut = cio_future_new(loop);
    g_fut2 = cio_future_new(loop);
    steps_new(loop);
    cio_future *t = cio_create_task_ex(loop, catching, NULL, NULL);
    one_pass(loop); /* waiting on g_fut */
    assert_int_equal(cio_future_set_result(g_fut, NULL), 0);
    run_to_step(loop, 0); /* now waiting on g_fut2 */
    assert_int_equal(cio_cancel(t, NULL), 1);
    assert_true(cio_future_cancelled(g_fut2));
    void *r = NULL;
    assert_int_equal(cio_loop_run_until_done(loop, t, &r), 0);
    assert_int_equal(PINT(r), 42);
    assert_false(cio_future_cancelled(t));
    assert_int_equal(cio_future_state(t), CIO_DONE);
    assert_int_equal(cio_task_cancelling(t), 0);
    cio_release(t);
    cio_release(g_fut);
    cio_release(g_fut2);
    steps_release();
    assert_int_equal(cio_loop_close(loop), 0);
    checks_assert();
}

static void *ignoring(void *arg) {
    bool uncancel = PINT(arg);
    CHECK_INT(cio_await(g_fut, NULL), 0);
    step(0);
    g_rc[0] = cio_await(g_fut2, NULL);
    if (uncancel && g_rc[0] == CIO_ECANCELED)
        cio_task_uncancel(cio_current_task());
    void *r = NULL;
    step(1);
    g_rc[1] = cio_await(g_fut3, &r); /* not cancelled again */
    return r;
}

static void run_ignoring(bool uncancel) {
    cio_loop *loop = vt_loop();
    g_fut = cio_future_new(loop);
    g_fut2 = cio_future_new(loop);
    g_fut3 = cio_future_new(loop);
    g_rc[0] = g_rc[1] = 1;
    steps_new(loop);
    cio_future *t = cio_create_task_ex(loop, ignoring, IPTR(uncancel), NULL);
    one_pass(loop);
    assert_int_equal(cio_future_set_result(g_fut, NULL), 0);
    run_to_step(loop, 0); /* waiting on g_fut2 */
    assert_int_equal(cio_cancel(t, NULL), 1);
    assert_true(cio_future_cancelled(g_fut2));
    run_to_step(loop, 1); /* now waiting on g_fut3 */
    assert_false(cio_future_done(t));
    assert_int_equal(cio_future_set_result(g_fut3, IPTR(42)), 0);
    void *r = NULL;
    int rc = cio_loop_run_until_done(loop, t, &r);
    assert_int_equal(g_rc[0], CIO_ECANCELED);
    assert_int_equal(g_rc[1], 0);
    if (uncancel) {
        assert_int_equal(rc, 0);
        assert_int_equal(PINT(r), 42);
        assert_int_equal(cio_future_state(t), CIO_DONE);
    } else {
        /* the request was delivered once, then stood until the return */
        assert_int_equal(rc, CIO_ECANCELED);
        assert_int_equal(cio_future_state(t), CIO_CANCELLED);
    }
    cio_release(t);
    cio_release(g_fut);
    cio_release(g_fut2);
    cio_release(g_fut3);
    steps_release();
    assert_int_equal(cio_loop_close(loop), 0);
    checks_assert();
}

/* test_tasks.py: test_cancel_task_ignoring -- after the cancellation was
 * delivered, the task keeps awaiting (not cancelled a second time) and,
 * having uncancelled, returns fut3's result. */
static void test_cancel_task_ignoring(void **state) {
    (void)state;
    run_ignoring(true);
}

/* The same without uncancel(): cio ends the task CANCELLED although it
 * returned a value, because its cancellation request still stands. */
static void test_cancel_task_ignoring_without_uncancel(void **state) {
    (void)state;
    run_ignoring(false);
}

static void *cancels_itself_then_sleeps(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    double t0 = cio_loop_time(loop);
    CHECK_INT(cio_cancel(cio_current_task(), NULL), 1);
    CHECK_INT(cio_task_cancelling(cio_current_task()), 1);
    g_rc[0] = cio_sleep(100); /* cancelled at once */
    g_when = cio_loop_time(loop) - t0;
    return IPTR(12);
}

/* test_tasks.py: test_cancel_current_task */
static void test_cancel_current_task(void **state) {
    (void)state;
    cio_loop *loop = vt_loop();
    cio_future *t =
        cio_create_task_ex(loop, cancels_itself_then_sleeps, NULL, NULL);
    assert_false(cio_future_cancelled(t));
    assert_int_equal(cio_loop_run_until_done(loop, t, NULL), CIO_ECANCELED);
    assert_int_equal(g_rc[0], CIO_ECANCELED);
    assert_true(g_when < 1);
    assert_true(cio_future_cancelled(t));
    assert_int_equal(cio_cancel(t, NULL), 0);
    cio_release(t);
    assert_int_equal(cio_loop_close(loop), 0);
    checks_assert();
}

static void *cancel_at_end(void *arg) {
    (void)arg;
    CHECK_INT(cio_cancel(cio_current_task(), NULL), 1);
    return IPTR(12);
}

/* test_tasks.py: test_cancel_at_end -- the task cancels itself and
 * returns: it ends CANCELLED, not DONE with 12. */
static void test_cancel_at_end(void **state) {
    (void)state;
    cio_loop *loop = vt_loop();
    cio_future *t = cio_create_task_ex(loop, cancel_at_end, NULL, NULL);
    void *r = NULL;
    assert_int_equal(cio_loop_run_until_done(loop, t, &r), CIO_ECANCELED);
    assert_true(cio_future_cancelled(t));
    assert_null(cio_future_result(t));
    assert_int_equal(cio_cancel(t, NULL), 0);
    cio_release(t);
    assert_int_equal(cio_loop_close(loop), 0);
    checks_assert();
}

static void *sleep_arg(void *arg) {
    g_rc[1] = cio_sleep(PINT(arg));
    ev_log(1);
    return NULL;
}

static void *doit(void *arg) {
    (void)arg;
    cio_future *sleeper = cio_create_task(sleep_arg, IPTR(5000));
    CHECK_INT(cio_call_later(NULL, 0.1, cb_cancel, sleeper, NULL), 0);
    int rc = cio_await(sleeper, NULL);
    ev_log(2);
    cio_release(sleeper);
    return rc == CIO_ECANCELED ? "cancelled" : "slept in";
}

/* test_tasks.py: test_task_cancel_sleeping_task -- a task awaits another
 * that sleeps 5000 s; a timer cancels the sleeper after 0.1 s. */
static void test_task_cancel_sleeping_task(void **state) {
    (void)state;
    cio_loop *loop = vt_loop();
    double t0 = cio_loop_time(loop);
    void *r = NULL;
    assert_int_equal(cio_loop_run_until_complete(loop, doit, NULL, &r), 0);
    assert_non_null(r);
    assert_string_equal((const char *)r, "cancelled");
    assert_int_equal(g_rc[1], CIO_ECANCELED);
    ev_assert(1, 2);
    double dt = cio_loop_time(loop) - t0;
    if (!(dt >= 0.1 - T_EPS && dt < 0.11))
        fail_msg("loop time advanced %f s", dt);
    assert_int_equal(cio_loop_close(loop), 0);
    checks_assert();
}

static void *inner_sleeps(void *arg) {
    (void)arg;
    step(0);
    g_rc[0] = cio_sleep(100);
    ev_log(1);
    return NULL;
}

static cio_future *g_inner;
static void *outer_awaits_inner(void *arg) {
    (void)arg;
    g_inner = cio_create_task(inner_sleeps, NULL);
    g_rc[1] = cio_await(g_inner, NULL);
    ev_log(2);
    return NULL;
}

/* asyncio Task.cancel(): what the task awaits (here another task) is
 * cancelled too; the inner task sees the cancellation first. */
static void test_cancel_outer_cancels_inner_task(void **state) {
    (void)state;
    cio_loop *loop = vt_loop();
    g_inner = NULL;
    steps_new(loop);
    cio_future *outer =
        cio_create_task_ex(loop, outer_awaits_inner, NULL, NULL);
    run_to_step(loop, 0); /* the inner task sleeps, the outer awaits it */
    assert_non_null(g_inner);
    assert_int_equal(cio_future_state(g_inner), CIO_RUNNING);
    assert_int_equal(cio_cancel(outer, "stop all"), 1);
    assert_int_equal(cio_task_cancelling(g_inner), 1);
    assert_int_equal(cio_loop_run_until_done(loop, outer, NULL), CIO_ECANCELED);
    assert_int_equal(g_rc[0], CIO_ECANCELED);
    assert_int_equal(g_rc[1], CIO_ECANCELED);
    ev_assert(1, 2);
    assert_true(cio_future_cancelled(g_inner));
    assert_true(cio_future_cancelled(outer));
    assert_string_equal(cio_future_error_message(outer), "stop all");
    cio_release(g_inner);
    cio_release(outer);
    steps_release();
    assert_int_equal(cio_loop_close(loop), 0);
}

/* test_tasks.py: test_task_cancel_message_getter */
static void test_cancel_message_travels(void **state) {
    (void)state;
    cio_loop *loop = vt_loop();
    cio_future *t = cio_create_task_ex(loop, sleep10, NULL, NULL);
    one_pass(loop);
    assert_int_equal(cio_cancel(t, "my message"), 1);
    assert_int_equal(cio_loop_run_until_done(loop, t, NULL), CIO_ECANCELED);
    assert_string_equal(cio_future_error_message(t), "my message");
    cio_release(t);
    assert_int_equal(cio_loop_close(loop), 0);
}

/* test_tasks.py: test_cancelling -- each cancel() of a pending task counts. */
static void test_cancelling_counts_requests(void **state) {
    (void)state;
    cio_loop *loop = vt_loop();
    cio_future *t = cio_create_task_ex(loop, sleep10, NULL, NULL);
    one_pass(loop);
    assert_int_equal(cio_task_cancelling(t), 0);
    assert_int_equal(cio_cancel(t, NULL), 1);
    assert_int_equal(cio_task_cancelling(t), 1);
    assert_int_equal(cio_cancel(t, NULL), 1);
    assert_int_equal(cio_task_cancelling(t), 2);
    assert_int_equal(cio_loop_run_until_done(loop, t, NULL), CIO_ECANCELED);
    assert_true(cio_future_cancelled(t));
    cio_release(t);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void *uncancel_basic(void *arg) {
    (void)arg;
    int rc = cio_sleep(10);
    if (rc == CIO_ECANCELED) {
        g_rc[0] = cio_task_uncancel(cio_current_task());
        step(0);
        g_rc[1] = cio_sleep(10);
    }
    return IPTR(7);
}

/* test_tasks.py: test_uncancel_basic -- the first cancellation is taken
 * back with uncancel(); the second one ends the task CANCELLED. */
static void test_uncancel_basic(void **state) {
    (void)state;
    cio_loop *loop = vt_loop();
    g_rc[0] = g_rc[1] = 1;
    steps_new(loop);
    cio_future *t = cio_create_task_ex(loop, uncancel_basic, NULL, NULL);
    one_pass(loop);
    assert_int_equal(cio_cancel(t, NULL), 1);
    assert_int_equal(cio_task_cancelling(t), 1);
    assert_false(cio_future_cancelled(t));
    run_to_step(loop, 0); /* caught, uncancelled, sleeping again */
    assert_int_equal(g_rc[0], 0);
    assert_int_equal(cio_task_cancelling(t), 0);
    assert_false(cio_future_done(t));
    assert_int_equal(cio_cancel(t, NULL), 1);
    assert_int_equal(cio_task_cancelling(t), 1);
    assert_int_equal(cio_loop_run_until_done(loop, t, NULL), CIO_ECANCELED);
    assert_int_equal(g_rc[1], CIO_ECANCELED);
    assert_true(cio_future_cancelled(t));
    cio_release(t);
    steps_release();
    assert_int_equal(cio_loop_close(loop), 0);
}

static void *swallow_twice(void *arg) {
    (void)arg;
    int rc = cio_sleep(10);
    g_rc[0] = rc;
    g_rc[1] = cio_task_uncancel(cio_current_task());
    g_rc[2] = cio_task_uncancel(cio_current_task());
    return IPTR(99);
}

/* Two requests, two uncancels: the count reaches 0 and the task ends DONE
 * with what it returned. */
static void test_uncancel_to_zero_finishes_done(void **state) {
    (void)state;
    cio_loop *loop = vt_loop();
    cio_future *t = cio_create_task_ex(loop, swallow_twice, NULL, NULL);
    one_pass(loop);
    assert_int_equal(cio_cancel(t, NULL), 1);
    assert_int_equal(cio_cancel(t, NULL), 1);
    void *r = NULL;
    assert_int_equal(cio_loop_run_until_done(loop, t, &r), 0);
    assert_int_equal(g_rc[0], CIO_ECANCELED); /* delivered once */
    assert_int_equal(g_rc[1], 1);
    assert_int_equal(g_rc[2], 0);
    assert_int_equal(PINT(r), 99);
    assert_int_equal(cio_future_state(t), CIO_DONE);
    cio_release(t);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void *ret_value(void *arg) {
    return arg;
}

/* test_tasks.py: test_cancel_done_future -- cancel() of a finished task is
 * refused with 0 and changes nothing. */
static void test_cancel_done_task(void **state) {
    (void)state;
    cio_loop *loop = vt_loop();
    cio_future *t = cio_create_task_ex(loop, ret_value, IPTR(3), NULL);
    assert_int_equal(cio_loop_run_until_done(loop, t, NULL), 0);
    assert_int_equal(cio_cancel(t, NULL), 0);
    assert_int_equal(cio_future_state(t), CIO_DONE);
    assert_int_equal(PINT(cio_future_result(t)), 3);
    assert_int_equal(cio_task_cancelling(t), 0);
    cio_release(t);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void cb_set_then_cancel(void *arg) {
    cio_future *t = (cio_future *)arg;
    cio_future_set_result(g_fut, IPTR(5)); /* t is woken: queued */
    cio_cancel(t, NULL);                   /* before it runs again */
}

/* asyncio Task.__step with _must_cancel: a task woken (queued to resume)
 * and cancelled before it runs gets the cancellation at that resumption,
 * even though the future it awaited finished with a result. */
static void test_cancel_while_ready_queued(void **state) {
    (void)state;
    cio_loop *loop = vt_loop();
    g_fut = cio_future_new(loop);
    g_rc[0] = 1;
    cio_future *t = cio_create_task_ex(loop, await_g_fut, NULL, NULL);
    one_pass(loop);
    assert_int_equal(cio_call_soon(loop, cb_set_then_cancel, t, NULL), 0);
    assert_int_equal(cio_loop_run_until_done(loop, t, NULL), CIO_ECANCELED);
    assert_int_equal(g_rc[0], CIO_ECANCELED);
    assert_int_equal(cio_future_state(g_fut), CIO_DONE); /* was already done */
    assert_int_equal(PINT(cio_future_result(g_fut)), 5);
    assert_true(cio_future_cancelled(t));
    cio_release(t);
    cio_release(g_fut);
    assert_int_equal(cio_loop_close(loop), 0);
}

static cio_future *g_victim;
static void *yielder(void *arg) {
    (void)arg;
    g_rc[0] = cio_sleep(0);
    g_rc[1] = cio_sleep(0);
    return NULL;
}
static void *canceller(void *arg) {
    (void)arg;
    CHECK_INT(cio_sleep(0), 0);
    /* the victim yielded in the previous pass and is queued behind us */
    CHECK_INT(cio_cancel(g_victim, NULL), 1);
    return NULL;
}

/* The same with sleep(0): the victim yielded (it sits in the ready queue)
 * and a task that runs before it in the same pass cancels it. */
static void test_cancel_yielded_task_in_same_pass(void **state) {
    (void)state;
    cio_loop *loop = vt_loop();
    g_rc[0] = g_rc[1] = 1;
    cio_future *c = cio_create_task_ex(loop, canceller, NULL, NULL);
    g_victim = cio_create_task_ex(loop, yielder, NULL, NULL);
    assert_int_equal(cio_loop_run_until_done(loop, g_victim, NULL),
                     CIO_ECANCELED);
    assert_int_equal(g_rc[0], CIO_ECANCELED);
    assert_int_equal(g_rc[1], 0);
    assert_int_equal(cio_loop_run_until_done(loop, c, NULL), 0);
    cio_release(c);
    cio_release(g_victim);
    assert_int_equal(cio_loop_close(loop), 0);
    checks_assert();
}

static void *self_cancel_yield(void *arg) {
    (void)arg;
    CHECK_INT(cio_cancel(cio_current_task(), "self"), 1);
    g_rc[0] = cio_sleep(0);
    g_rc[1] = cio_sleep(0); /* delivered once only */
    return NULL;
}

/* Self-cancel, then yield: the yield returns CIO_ECANCELED. */
static void test_self_cancel_then_yield(void **state) {
    (void)state;
    cio_loop *loop = vt_loop();
    g_rc[0] = g_rc[1] = 1;
    cio_future *t = cio_create_task_ex(loop, self_cancel_yield, NULL, NULL);
    assert_int_equal(cio_loop_run_until_done(loop, t, NULL), CIO_ECANCELED);
    assert_int_equal(g_rc[0], CIO_ECANCELED);
    assert_int_equal(g_rc[1], 0);
    assert_string_equal(cio_future_error_message(t), "self");
    cio_release(t);
    assert_int_equal(cio_loop_close(loop), 0);
    checks_assert();
}

static void *keeps_working(void *arg) {
    (void)arg;
    int total = 0;
    for (int i = 0; i < 5; i++) {
        int rc = cio_sleep(1);
        if (rc == CIO_ECANCELED) {
            ev_log(100 + i);
            CHECK_INT(cio_task_uncancel(cio_current_task()), 0);
            continue;
        }
        CHECK_INT(rc, 0);
        total++;
    }
    return IPTR(total);
}

static void cb_cancel_log(void *arg) {
    ev_log(1);
    cio_cancel((cio_future *)arg, NULL);
}

/* A task that catches the cancellation, uncancels and keeps working
 * finishes DONE with its own result. */
static void test_catch_uncancel_keep_working(void **state) {
    (void)state;
    cio_loop *loop = vt_loop();
    cio_future *t = cio_create_task_ex(loop, keeps_working, NULL, NULL);
    assert_int_equal(cio_call_later(loop, 2.5, cb_cancel_log, t, NULL), 0);
    void *r = NULL;
    assert_int_equal(cio_loop_run_until_done(loop, t, &r), 0);
    assert_int_equal(PINT(r), 4);
    ev_assert(1, 102);
    assert_int_equal(cio_future_state(t), CIO_DONE);
    cio_release(t);
    assert_int_equal(cio_loop_close(loop), 0);
    checks_assert();
}

static void *cleanup_suspends(void *arg) {
    (void)arg;
    int rc = cio_sleep(100);
    ev_log(rc == CIO_ECANCELED ? 1 : -1);
    /* cleanup that itself suspends: the request was delivered already */
    g_rc[0] = cio_sleep(0.5);
    ev_log(2);
    return NULL;
}

/* A cancelled task may await during its cleanup; it ends CANCELLED after
 * the cleanup, and the wait is not cut short. */
static void test_cleanup_after_cancel_can_suspend(void **state) {
    (void)state;
    cio_loop *loop = vt_loop();
    cio_future *t = cio_create_task_ex(loop, cleanup_suspends, NULL, NULL);
    one_pass(loop);
    double t0 = cio_loop_time(loop);
    assert_int_equal(cio_cancel(t, NULL), 1);
    assert_int_equal(cio_loop_run_until_done(loop, t, NULL), CIO_ECANCELED);
    assert_int_equal(g_rc[0], 0);
    ev_assert(1, 2);
    assert_true(cio_loop_time(loop) - t0 >= 0.5 - T_EPS);
    cio_release(t);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void *await_shared(void *arg) {
    g_rc[PINT(arg)] = cio_await(g_fut, NULL);
    return NULL;
}

/* asyncio (no shield): cancelling one of two tasks awaiting the same future
 * cancels the future, so the other task's await ends CIO_ECANCELED too,
 * though that task itself has no cancellation request. */
static void test_cancel_shared_future_reaches_other_waiter(void **state) {
    (void)state;
    cio_loop *loop = vt_loop();
    g_fut = cio_future_new(loop);
    cio_future *a = cio_create_task_ex(loop, await_shared, IPTR(0), NULL);
    cio_future *b = cio_create_task_ex(loop, await_shared, IPTR(1), NULL);
    one_pass(loop);
    assert_int_equal(cio_cancel(a, NULL), 1);
    assert_int_equal(cio_loop_run_until_done(loop, b, NULL), 0);
    assert_int_equal(g_rc[0], CIO_ECANCELED);
    assert_int_equal(g_rc[1], CIO_ECANCELED);
    assert_true(cio_future_cancelled(g_fut));
    assert_true(cio_future_cancelled(a));
    assert_int_equal(cio_future_state(b), CIO_DONE);
    assert_int_equal(cio_task_cancelling(b), 0);
    cio_release(a);
    cio_release(b);
    cio_release(g_fut);
    assert_int_equal(cio_loop_close(loop), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_cancel_sleeping_task),
        CIO_TEST(test_cancel_yield),
        CIO_TEST(test_cancel_before_start),
        CIO_TEST(test_cancel_task_cancels_awaited_future),
        CIO_TEST(test_cancel_inner_future),
        CIO_TEST(test_cancel_both_task_and_inner_future),
        CIO_TEST(test_cancel_task_catching),
        CIO_TEST(test_cancel_task_ignoring),
        CIO_TEST(test_cancel_task_ignoring_without_uncancel),
        CIO_TEST(test_cancel_current_task),
        CIO_TEST(test_cancel_at_end),
        CIO_TEST(test_task_cancel_sleeping_task),
        CIO_TEST(test_cancel_outer_cancels_inner_task),
        CIO_TEST(test_cancel_message_travels),
        CIO_TEST(test_cancelling_counts_requests),
        CIO_TEST(test_uncancel_basic),
        CIO_TEST(test_uncancel_to_zero_finishes_done),
        CIO_TEST(test_cancel_done_task),
        CIO_TEST(test_cancel_while_ready_queued),
        CIO_TEST(test_cancel_yielded_task_in_same_pass),
        CIO_TEST(test_self_cancel_then_yield),
        CIO_TEST(test_catch_uncancel_keep_working),
        CIO_TEST(test_cleanup_after_cancel_can_suspend),
        CIO_TEST(test_cancel_shared_future_reaches_other_waiter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
