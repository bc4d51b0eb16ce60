/* Conformance: asyncio.wait_for, re-expressed with cio_wait_for. Each test
 * names the CPython test_asyncio case (test_waitfor.py, test_tasks.py) it
 * follows. In C a task "catches" CancelledError by looking at the status of
 * its await, and takes the cancellation back with cio_task_uncancel(). */
#include "../cio_test.h"
#include "../combine_util.h"

/* test_waitfor.py test_wait_for: the timeout cancels the future, which has
 * finished (its cleanup ran) when TimeoutError is raised. */
static void *times_out(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 10, .value = 1};
    cio_future *t = spawn(&a);
    double t0 = now();
    void *r = IPTR(1);
    CHECK_INT(cio_wait_for(t, 0.1, &r), CIO_ETIMEDOUT);
    CHECK_PTR(r, NULL);
    CHECK(now() - t0 < 1);
    CHECK(cio_future_cancelled(t));
    CHECK(a.ended); /* the "finally" has run */
    CHECK_INT(cio_task_cancelling(cio_current_task()), 0);
    cio_release(t);
    return NULL;
}

static void test_wait_for_times_out_and_cancels(void **state) {
    (void)state;
    RUN(times_out, NULL);
}

/* test_waitfor.py test_wait_for_race_condition: the future is done before
 * the timeout: its result. */
static void set_ok(void *arg) {
    cio_future_set_result(arg, IPTR(7));
}

static void *in_time(void *arg) {
    (void)arg;
    cio_future *f = cio_future_new(NULL);
    CHECK_INT(cio_call_later(NULL, 0.1, set_ok, f, NULL), 0);
    void *r = NULL;
    CHECK_INT(cio_wait_for(f, 0.2, &r), 0);
    CHECK_INT(PINT(r), 7);
    CHECK_INT(cio_sleep(1), 0); /* the disarmed timeout never fires */
    CHECK_INT(cio_task_cancelling(cio_current_task()), 0);
    cio_release(f);
    return NULL;
}

static void test_wait_for_race_condition(void **state) {
    (void)state;
    RUN(in_time, NULL);
}

/* test_waitfor.py test_wait_for_timeout_less_then_0_or_0_future_done: a
 * done future with timeout 0 gives its result. */
static void *zero_done(void *arg) {
    (void)arg;
    cio_future *f = cio_future_new(NULL);
    cio_future_set_result(f, IPTR(3));
    void *r = NULL;
    CHECK_INT(cio_wait_for(f, 0, &r), 0);
    CHECK_INT(PINT(r), 3);
    cio_release(f);
    return NULL;
}

static void test_wait_for_timeout_0_future_done(void **state) {
    (void)state;
    RUN(zero_done, NULL);
}

/* test_waitfor.py
 * test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started: with
 * timeout 0, a task that has not started is cancelled and never runs. */
static void *zero_not_started(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 0, .value = 1};
    cio_future *t = spawn(&a);
    CHECK_INT(cio_wait_for(t, 0, NULL), CIO_ETIMEDOUT);
    CHECK(!a.started);
    CHECK(cio_future_cancelled(t));
    cio_release(t);
    return NULL;
}

static void test_wait_for_timeout_0_task_not_started(void **state) {
    (void)state;
    RUN(zero_not_started, NULL);
}

/* test_waitfor.py test_wait_for_waits_for_task_cancellation: the inner
 * task takes time to cancel; TimeoutError comes only after it is done. */
static void *waits_for_cancellation(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 10, .cleanup = 0.5};
    cio_future *t = spawn(&a);
    double t0 = now();
    CHECK_INT(cio_wait_for(t, 0.01, NULL), CIO_ETIMEDOUT);
    CHECK(a.ended);
    CHECK(now() - t0 >= 0.5 - T_EPS); /* loop times are rounded doubles */
    CHECK(cio_future_cancelled(t));
    cio_release(t);
    return NULL;
}

static void test_wait_for_waits_for_task_cancellation(void **state) {
    (void)state;
    RUN(waits_for_cancellation, NULL);
}

/* test_waitfor.py test_wait_for_waits_for_task_cancellation_w_timeout_0 */
static void *waits_for_cancellation_0(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 10, .cleanup = 0.5};
    cio_future *t = spawn(&a);
    CHECK_INT(cio_sleep(0.01), 0); /* it has started */
    CHECK_INT(cio_wait_for(t, 0, NULL), CIO_ETIMEDOUT);
    CHECK(a.ended);
    cio_release(t);
    return NULL;
}

static void test_wait_for_waits_for_task_cancellation_timeout_0(void **state) {
    (void)state;
    RUN(waits_for_cancellation_0, NULL);
}

/* test_waitfor.py test_wait_for_reraises_exception_during_cancellation:
 * an inner task that fails with another error while being cancelled: that
 * error, not TimeoutError. */
static void *fail_on_cancel(void *arg) {
    (void)arg;
    if (cio_sleep(0.2) == CIO_ECANCELED) {
        cio_task_uncancel(cio_current_task());
        return cio_raise(-EIO, "failed while cancelled");
    }
    return NULL;
}

static void *reraises(void *arg) {
    (void)arg;
    cio_future *t = cio_create_task(fail_on_cancel, NULL);
    CHECK_INT(cio_wait_for(t, 0.01, NULL), -EIO);
    cio_release(t);
    t = cio_create_task(fail_on_cancel, NULL);
    CHECK_INT(cio_sleep(0.01), 0);
    CHECK_INT(cio_wait_for(t, 0, NULL), -EIO);
    cio_release(t);
    return NULL;
}

static void test_wait_for_reraises_error_during_cancellation(void **state) {
    (void)state;
    RUN(reraises, NULL);
}

/* test_waitfor.py test_wait_for_cancel_suppressed (GH-86296): a future
 * that swallows the cancellation and returns a value: wait_for returns the
 * value. */
static void *cancel_suppressed(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 10, .value = 42, .stubborn = true};
    cio_future *t = spawn(&a);
    void *r = NULL;
    CHECK_INT(cio_wait_for(t, 0.1, &r), 0);
    CHECK_INT(PINT(r), 42);
    CHECK_INT(cio_task_cancelling(cio_current_task()), 0);
    cio_release(t);
    return NULL;
}

static void test_wait_for_cancel_suppressed(void **state) {
    (void)state;
    RUN(cancel_suppressed, NULL);
}

/* test_tasks.py test_cancel_wait_for and test_cancel_blocking_wait_for
 * (bpo-23219): cancelling the task in wait_for cancels the future too, and
 * is a cancellation, not a timeout. */
static cio_future *g_inner;
static int g_rc;
static double g_timeout;
static void *wait_for_inner(void *arg) {
    (void)arg;
    g_rc = cio_wait_for(g_inner, g_timeout, NULL);
    return NULL;
}

static void *cancel_wait_for(void *arg) {
    (void)arg;
    double timeouts[] = {60.0, CIO_NO_TIMEOUT};
    for (int i = 0; i < 2; i++) {
        g_inner = cio_future_new(NULL); /* never set */
        g_timeout = timeouts[i];
        cio_future *w = cio_create_task(wait_for_inner, NULL);
        CHECK_INT(cio_sleep(0), 0);
        cio_cancel(w, NULL);
        CHECK_INT(cio_await(w, NULL), CIO_ECANCELED);
        CHECK_INT(g_rc, CIO_ECANCELED);
        CHECK(cio_future_cancelled(g_inner));
        cio_release(w);
        cio_release(g_inner);
    }
    return NULL;
}

static void test_cancel_wait_for(void **state) {
    (void)state;
    RUN(cancel_wait_for, NULL);
}

/* test_waitfor.py test_wait_for_self_cancellation: wait_for stays
 * cancellable while the inner task holds up its cancellations; the inner
 * finishes with its result all the same. (The task running wait_for ends
 * CANCELLED: its own cancellation stands when it returns.) */
static void *holdout(void *arg) {
    (void)arg;
    cio_future *me = cio_current_task();
    if (cio_sleep(0.3) == CIO_ECANCELED) {
        cio_task_uncancel(me);
        if (cio_sleep(0.3) == CIO_ECANCELED) {
            cio_task_uncancel(me);
            cio_sleep(0.3);
        }
    }
    return IPTR(42);
}

static void *self_cancellation(void *arg) {
    (void)arg;
    g_inner = cio_create_task(holdout, NULL);
    g_timeout = 0.1;
    cio_future *w = cio_create_task(wait_for_inner, NULL);
    CHECK_INT(cio_sleep(0.2), 0);
    cio_cancel(w, NULL);
    CHECK_INT(cio_await(w, NULL), CIO_ECANCELED);
    void *r = NULL;
    CHECK_INT(cio_await(g_inner, &r), 0);
    CHECK_INT(PINT(r), 42);
    cio_release(w);
    cio_release(g_inner);
    return NULL;
}

static void test_wait_for_self_cancellation(void **state) {
    (void)state;
    RUN(self_cancellation, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_wait_for_times_out_and_cancels),
        CIO_TEST(test_wait_for_race_condition),
        CIO_TEST(test_wait_for_timeout_0_future_done),
        CIO_TEST(test_wait_for_timeout_0_task_not_started),
        CIO_TEST(test_wait_for_waits_for_task_cancellation),
        CIO_TEST(test_wait_for_waits_for_task_cancellation_timeout_0),
        CIO_TEST(test_wait_for_reraises_error_during_cancellation),
        CIO_TEST(test_wait_for_cancel_suppressed),
        CIO_TEST(test_cancel_wait_for),
        CIO_TEST(test_wait_for_self_cancellation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
