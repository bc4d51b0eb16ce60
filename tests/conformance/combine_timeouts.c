/* Conformance: asyncio.timeout() and asyncio.timeout_at(), re-expressed
 * with cio_timeout, cio_timeout_at, cio_timeout_reschedule and
 * cio_timeout_end. Each test names the CPython test_timeouts.py case or
 * the asyncio documentation paragraph it follows. `async with` becomes a
 * scope begun with cio_timeout() and ended with
 * `err = cio_timeout_end(ts, err)`; the scope is freed at its end, so what
 * asyncio reads from the context manager afterwards (expired(), when())
 * is read just before the end here. */
#include "../cio_test.h"
#include "../combine_util.h"

/* test_timeout_basic and test_waiter_cancelled: the block's await sees
 * CancelledError, the end of the scope turns it into TimeoutError. */
static void *basic(void *arg) {
    (void)arg;
    cio_timeout_scope *ts = cio_timeout(0.01);
    CHECK(ts != NULL);
    CHECK(!cio_timeout_expired(ts));
    int err = cio_sleep(10);
    CHECK_INT(err, CIO_ECANCELED);
    CHECK(cio_timeout_expired(ts));
    CHECK_INT(cio_timeout_end(ts, err), CIO_ETIMEDOUT);
    CHECK_INT(cio_task_cancelling(cio_current_task()), 0);
    return NULL;
}

static void test_timeout_basic(void **state) {
    (void)state;
    RUN(basic, NULL);
}

/* test_timeout_at_basic */
static void *at_basic(void *arg) {
    (void)arg;
    double deadline = now() + 0.01;
    cio_timeout_scope *ts = cio_timeout_at(deadline);
    int err = cio_sleep(10);
    CHECK(cio_timeout_expired(ts));
    CHECK(cio_timeout_when(ts) == deadline);
    CHECK_INT(cio_timeout_end(ts, err), CIO_ETIMEDOUT);
    CHECK(now() - deadline < 1);
    return NULL;
}

static void test_timeout_at_basic(void **state) {
    (void)state;
    RUN(at_basic, NULL);
}

/* test_timeout_not_called: the block finishes in time: nothing happens. */
static void *not_called(void *arg) {
    (void)arg;
    double t0 = now();
    cio_timeout_scope *ts = cio_timeout(10);
    int err = cio_sleep(0.01);
    CHECK(!cio_timeout_expired(ts));
    CHECK_INT(cio_timeout_end(ts, err), 0);
    CHECK(now() - t0 < 2);
    CHECK_INT(cio_sleep(20), 0); /* the deadline was disarmed */
    return NULL;
}

static void test_timeout_not_called(void **state) {
    (void)state;
    RUN(not_called, NULL);
}

/* test_timeout_disabled and test_timeout_at_disabled: None (here
 * CIO_NO_TIMEOUT) sets no deadline. */
static void *disabled(void *arg) {
    (void)arg;
    cio_timeout_scope *ts = cio_timeout(CIO_NO_TIMEOUT);
    cio_timeout_scope *ts2 = cio_timeout_at(CIO_NO_TIMEOUT);
    int err = cio_sleep(0.01);
    CHECK(!cio_timeout_expired(ts) && !cio_timeout_expired(ts2));
    CHECK(cio_timeout_when(ts) == CIO_NO_TIMEOUT);
    CHECK(cio_timeout_when(ts2) == CIO_NO_TIMEOUT);
    err = cio_timeout_end(ts2, err);
    CHECK_INT(cio_timeout_end(ts, err), 0);
    return NULL;
}

static void test_timeout_disabled(void **state) {
    (void)state;
    RUN(disabled, NULL);
}

/* test_timeout_zero: a zero delay expires at the block's first await. */
static void *zero(void *arg) {
    (void)arg;
    double t0 = now();
    cio_timeout_scope *ts = cio_timeout(0);
    int err = cio_sleep(10);
    CHECK(cio_timeout_expired(ts));
    CHECK_INT(cio_timeout_end(ts, err), CIO_ETIMEDOUT);
    CHECK(now() - t0 < 2);
    return NULL;
}

static void test_timeout_zero(void **state) {
    (void)state;
    RUN(zero, NULL);
}

/* test_timeout_in_the_past_sleep_zero: a deadline in the past interrupts
 * even a bare yield (asyncio.timeout(-11); cio spells a past deadline with
 * timeout_at, a negative delay being an error). */
static void *past_sleep_zero(void *arg) {
    (void)arg;
    cio_timeout_scope *ts = cio_timeout_at(now() - 11);
    int err = cio_sleep(0);
    CHECK_INT(err, CIO_ECANCELED);
    CHECK_INT(cio_timeout_end(ts, err), CIO_ETIMEDOUT);
    return NULL;
}

static void test_timeout_in_the_past_sleep_zero(void **state) {
    (void)state;
    RUN(past_sleep_zero, NULL);
}

/* test_foreign_exception_passed: another error leaves the block unchanged,
 * and the scope did not expire. */
static void *foreign_error(void *arg) {
    (void)arg;
    cio_timeout_scope *ts = cio_timeout(0.01);
    CHECK(!cio_timeout_expired(ts));
    CHECK_INT(cio_timeout_end(ts, -EPERM), -EPERM);
    CHECK_INT(cio_sleep(1), 0);
    return NULL;
}

static void test_timeout_foreign_error_passed(void **state) {
    (void)state;
    RUN(foreign_error, NULL);
}

/* test_foreign_exception_on_timeout: the scope expired, but the block
 * ended with another error: that error, not TimeoutError. */
static void *foreign_error_on_timeout(void *arg) {
    (void)arg;
    cio_timeout_scope *ts = cio_timeout(0.01);
    int err = cio_sleep(10);
    CHECK_INT(err, CIO_ECANCELED);
    CHECK_INT(cio_timeout_end(ts, -EIO), -EIO);
    CHECK_INT(cio_task_cancelling(cio_current_task()), 0);
    return NULL;
}

static void test_timeout_foreign_error_on_timeout(void **state) {
    (void)state;
    RUN(foreign_error_on_timeout, NULL);
}

/* test_foreign_cancel_doesnt_timeout_if_not_expired: a cancellation from
 * elsewhere stays a cancellation. */
static void *foreign_cancel(void *arg) {
    (void)arg;
    cio_timeout_scope *ts = cio_timeout(10);
    cio_cancel(cio_current_task(), NULL);
    int err = cio_sleep(10);
    CHECK(!cio_timeout_expired(ts));
    CHECK_INT(cio_timeout_end(ts, err), CIO_ECANCELED);
    CHECK_INT(cio_task_uncancel(cio_current_task()), 0);
    return NULL;
}

static void test_timeout_foreign_cancel_not_a_timeout(void **state) {
    (void)state;
    RUN(foreign_cancel, NULL);
}

/* test_outer_task_is_not_cancelled: the task whose block timed out and
 * that handled the TimeoutError ends normally, not CANCELLED. */
static void *times_out_inside(void *arg) {
    (void)arg;
    cio_timeout_scope *ts = cio_timeout(0.001);
    int err = cio_timeout_end(ts, cio_sleep(10));
    CHECK_INT(err, CIO_ETIMEDOUT);
    return IPTR(5);
}

static void *outer_not_cancelled(void *arg) {
    (void)arg;
    cio_future *t = cio_create_task(times_out_inside, NULL);
    void *r = NULL;
    CHECK_INT(cio_await(t, &r), 0);
    CHECK_INT(PINT(r), 5);
    CHECK(!cio_future_cancelled(t));
    cio_release(t);
    return NULL;
}

static void test_timeout_outer_task_is_not_cancelled(void **state) {
    (void)state;
    RUN(outer_not_cancelled, NULL);
}

/* test_nested_timeouts: two scopes with the same deadline; both expire,
 * only the topmost raises TimeoutError, the inner lets CancelledError
 * through. */
static void *nested_same_deadline(void *arg) {
    (void)arg;
    double deadline = now() + 0.01;
    cio_timeout_scope *cm1 = cio_timeout_at(deadline);
    cio_timeout_scope *cm2 = cio_timeout_at(deadline);
    int err = cio_sleep(10);
    CHECK(cio_timeout_expired(cm1) && cio_timeout_expired(cm2));
    err = cio_timeout_end(cm2, err);
    CHECK_INT(err, CIO_ECANCELED);
    CHECK_INT(cio_timeout_end(cm1, err), CIO_ETIMEDOUT);
    CHECK_INT(cio_task_cancelling(cio_current_task()), 0);
    return NULL;
}

static void test_timeout_nested_same_deadline(void **state) {
    (void)state;
    RUN(nested_same_deadline, NULL);
}

/* test_nested_timeouts_loop_busy: the inner deadline fires first and the
 * inner scope handles it; the outer one then interrupts the next await. */
static void *nested_inner_first(void *arg) {
    (void)arg;
    double t0 = now();
    cio_timeout_scope *outer = cio_timeout(0.1);
    cio_timeout_scope *inner = cio_timeout(0.01);
    int err = cio_sleep(1);
    CHECK(cio_timeout_expired(inner) && !cio_timeout_expired(outer));
    CHECK_INT(cio_timeout_end(inner, err), CIO_ETIMEDOUT);
    err = cio_sleep(10); /* interrupted by the outer deadline */
    CHECK_INT(cio_timeout_end(outer, err), CIO_ETIMEDOUT);
    CHECK(now() - t0 < 1);
    return NULL;
}

static void test_timeout_nested_inner_fires_first(void **state) {
    (void)state;
    RUN(nested_inner_first, NULL);
}

/* docs, asyncio.timeout: "the top-most affected timeout() context manager
 * will transform the CancelledError into a TimeoutError". An outer
 * deadline that passes inside an inner scope is not swallowed by the inner
 * scope: it passes through it as CancelledError. */
static void *outer_fires_inside_inner(void *arg) {
    (void)arg;
    cio_timeout_scope *outer = cio_timeout(1);
    cio_timeout_scope *inner = cio_timeout(5);
    int err = cio_sleep(10);
    CHECK(!cio_timeout_expired(inner));
    err = cio_timeout_end(inner, err);
    CHECK_INT(err, CIO_ECANCELED);
    CHECK_INT(cio_timeout_end(outer, err), CIO_ETIMEDOUT);
    return NULL;
}

static void test_timeout_outer_not_swallowed_by_inner(void **state) {
    (void)state;
    RUN(outer_fires_inside_inner, NULL);
}

/* test_reschedule: the deadline can be moved later, and removed; a task
 * whose scope has no deadline any more is cancelled by hand, and that is a
 * cancellation. */
static cio_future *g_ready;
static void *reschedulable(void *arg) {
    double deadline1 = *(double *)arg;
    cio_timeout_scope *cm = cio_timeout_at(deadline1);
    cio_future_set_result(g_ready, cm);
    int err = cio_sleep(50);
    CHECK(!cio_timeout_expired(cm));
    return cio_raise(cio_timeout_end(cm, err), NULL);
}

static void *reschedule(void *arg) {
    (void)arg;
    double deadline1 = now() + 10, deadline2 = deadline1 + 20;
    g_ready = cio_future_new(NULL);
    cio_future *t = cio_create_task(reschedulable, &deadline1);
    void *p = NULL;
    CHECK_INT(cio_await(g_ready, &p), 0);
    cio_timeout_scope *cm = p;
    CHECK(cio_timeout_when(cm) == deadline1);
    CHECK_INT(cio_timeout_reschedule(cm, deadline2), 0);
    CHECK(cio_timeout_when(cm) == deadline2);
    CHECK_INT(cio_timeout_reschedule(cm, CIO_NO_TIMEOUT), 0);
    CHECK(cio_timeout_when(cm) == CIO_NO_TIMEOUT);
    CHECK_INT(cio_sleep(40), 0); /* neither deadline fires */
    cio_cancel(t, NULL);
    CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
    cio_release(t);
    cio_release(g_ready);
    return NULL;
}

static void test_timeout_reschedule(void **state) {
    (void)state;
    RUN(reschedule, NULL);
}

/* test_reschedule, the other way: moved earlier (and into the past) it
 * fires then; once expired it cannot be rescheduled (asyncio:
 * RuntimeError "Cannot change state of expiring Timeout"). */
static void *reschedule_earlier(void *arg) {
    (void)arg;
    double t0 = now();
    cio_timeout_scope *cm = cio_timeout(100);
    CHECK_INT(cio_timeout_reschedule(cm, t0 + 1), 0);
    int err = cio_sleep(50);
    CHECK(now() - t0 < 2);
    CHECK_INT(cio_timeout_reschedule(cm, t0 + 100), CIO_EINVALIDSTATE);
    CHECK_INT(cio_timeout_end(cm, err), CIO_ETIMEDOUT);

    cm = cio_timeout(100);
    CHECK_INT(cio_timeout_reschedule(cm, now() - 1), 0);
    err = cio_sleep(0);
    CHECK_INT(cio_timeout_end(cm, err), CIO_ETIMEDOUT);
    return NULL;
}

static void test_timeout_reschedule_earlier(void **state) {
    (void)state;
    RUN(reschedule_earlier, NULL);
}

/* test_timeout_after_cancellation: a task that was cancelled and handled
 * it (its cancellation still counted) can still time out in cleanup. */
static void *after_cancellation(void *arg) {
    (void)arg;
    cio_cancel(cio_current_task(), NULL);
    CHECK_INT(cio_sleep(1), CIO_ECANCELED);
    cio_timeout_scope *ts = cio_timeout(0.0);
    int err = cio_sleep(1);
    CHECK_INT(cio_timeout_end(ts, err), CIO_ETIMEDOUT);
    CHECK_INT(cio_task_cancelling(cio_current_task()), 1);
    return NULL; /* ends CANCELLED: the first cancellation stands */
}

static void test_timeout_after_cancellation(void **state) {
    (void)state;
    assert_int_equal(run_vt(after_cancellation, NULL, NULL), CIO_ECANCELED);
    checks_assert();
}

/* test_cancel_in_timeout_after_cancellation: a new cancellation inside the
 * scope stays a cancellation even if the deadline passes too. */
static void *cancel_in_timeout_after_cancellation(void *arg) {
    (void)arg;
    cio_cancel(cio_current_task(), NULL);
    CHECK_INT(cio_sleep(1), CIO_ECANCELED);
    cio_timeout_scope *ts = cio_timeout(1.0);
    cio_cancel(cio_current_task(), NULL);
    int err = cio_sleep(2);
    CHECK_INT(cio_timeout_end(ts, err), CIO_ECANCELED);
    return NULL;
}

static void test_timeout_cancel_in_timeout_after_cancellation(void **state) {
    (void)state;
    assert_int_equal(run_vt(cancel_in_timeout_after_cancellation, NULL, NULL),
                     CIO_ECANCELED);
    checks_assert();
}

/* docs, asyncio.timeout: the deadline cancels whatever the block awaits at
 * that moment (here a task), and the block only goes on once that has
 * finished cancelling. */
static void *cancels_awaited_task(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 10, .cleanup = 0.5};
    cio_future *t = spawn(&a);
    double t0 = now();
    cio_timeout_scope *ts = cio_timeout(1);
    int err = cio_await(t, NULL);
    CHECK(a.ended);
    CHECK(now() - t0 >= 1.5 - T_EPS); /* loop times are rounded doubles */
    CHECK_INT(cio_timeout_end(ts, err), CIO_ETIMEDOUT);
    CHECK(cio_future_cancelled(t));
    cio_release(t);
    return NULL;
}

static void test_timeout_cancels_awaited_task(void **state) {
    (void)state;
    RUN(cancels_awaited_task, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_timeout_basic),
        CIO_TEST(test_timeout_at_basic),
        CIO_TEST(test_timeout_not_called),
        CIO_TEST(test_timeout_disabled),
        CIO_TEST(test_timeout_zero),
        CIO_TEST(test_timeout_in_the_past_sleep_zero),
        CIO_TEST(test_timeout_foreign_error_passed),
        CIO_TEST(test_timeout_foreign_error_on_timeout),
        CIO_TEST(test_timeout_foreign_cancel_not_a_timeout),
        CIO_TEST(test_timeout_outer_task_is_not_cancelled),
        CIO_TEST(test_timeout_nested_same_deadline),
        CIO_TEST(test_timeout_nested_inner_fires_first),
        CIO_TEST(test_timeout_outer_not_swallowed_by_inner),
        CIO_TEST(test_timeout_reschedule),
        CIO_TEST(test_timeout_reschedule_earlier),
        CIO_TEST(test_timeout_after_cancellation),
        CIO_TEST(test_timeout_cancel_in_timeout_after_cancellation),
        CIO_TEST(test_timeout_cancels_awaited_task),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
