/* Conformance: asyncio's rules for shutdown, timeouts and cancellation of
 * finished futures, each test naming the asyncio behaviour it re-expresses
 * (Lib/asyncio/runners.py, tasks.py, futures.py, timeouts.py). */
#include "../cio_test.h"

#include "../combine_util.h"

/* ---- asyncio.run cancels every pending task ---------------------------- */

typedef struct {
    int wakes;           /* how many times its sleep returned */
    int last_rc;         /* what the last sleep returned */
    bool cleaned;        /* its clean-up ran (it ended, not destroyed) */
    cio_future *forever; /* a future nobody finishes, for the waiter */
} stubborn;

/* Swallows the first cancellation, then sleeps a very long time. */
static void *swallow_once_then_sleep(void *arg) {
    stubborn *s = arg;
    int rc = cio_sleep(1);
    s->wakes++;
    if (rc == CIO_ECANCELED)
        cio_task_uncancel(cio_current_task());
    s->last_rc = cio_sleep(1e6);
    s->wakes++;
    s->cleaned = true;
    return NULL;
}

/* Swallows a cancellation (keeps the request: cancelling() stays 1), then
 * waits for a future nobody will finish. */
static void *swallow_then_wait_forever(void *arg) {
    stubborn *s = arg;
    cio_sleep(1);
    s->wakes++;
    s->last_rc = cio_await(s->forever, NULL);
    s->cleaned = true;
    return NULL;
}

static void *main_leaves_stubborn(void *arg) {
    stubborn *s = arg;
    s[1].forever = cio_future_new(NULL);
    cio_future *a = cio_create_task(swallow_once_then_sleep, &s[0]);
    cio_future *b = cio_create_task(swallow_then_wait_forever, &s[1]);
    cio_sleep(0);
    cio_cancel(a, NULL); /* a swallows this one */
    cio_cancel(b, NULL); /* b's sleep returns; it ignores it */
    cio_sleep(0.5);
    CHECK_INT(cio_task_cancelling(b), 1);
    cio_release(a);
    cio_release(b);
    return NULL;
}

/* runners.py _cancel_all_tasks: asyncio.run() cancels every task still
 * pending when main returns, whatever its cancelling() count, and waits
 * for them: a task that swallowed an earlier cancellation gets a new one
 * (its long sleep ends at once), and a task whose count is still up and
 * that waits on a future nobody finishes is woken (the future is
 * cancelled), so both end and run their clean-up; none is destroyed
 * pending. */
static void test_run_cancels_tasks_that_swallowed_a_cancel(void **state) {
    (void)state;
    stubborn s[2] = {{0}};
    diag_capture();
    double t0 = now_real();
    assert_int_equal(run_vt(main_leaves_stubborn, s, NULL), 0);
    diag_restore();
    assert_int_equal(diag_count("destroyed but it is pending"), 0);
    assert_true(s[0].cleaned);
    assert_int_equal(s[0].last_rc, CIO_ECANCELED);
    assert_true(s[1].cleaned);
    assert_int_equal(s[1].last_rc, CIO_ECANCELED);
    assert_true(now_real() - t0 < 60); /* not the 1e6 s sleep, even virtual */
    cio_release(s[1].forever);
}

/* ---- negative timeouts mean "time out now" ----------------------------- */

static void *negative_timeouts(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 10, .value = 5};
    /* tasks.py wait_for: `if timeout <= 0`: a pending future is cancelled
     * and TimeoutError raised at once */
    cio_future *t = spawn(&a);
    double t0 = now();
    CHECK_INT(cio_wait_for(t, -0.001, NULL), CIO_ETIMEDOUT);
    CHECK(cio_future_cancelled(t));
    CHECK(now() - t0 < 1e-3);
    cio_release(t);
    /* ... and a done one gives its result */
    cio_future *f = cio_future_new(NULL);
    cio_future_set_result(f, IPTR(9));
    void *r = NULL;
    CHECK_INT(cio_wait_for(f, -1, &r), 0);
    CHECK_INT(PINT(r), 9);
    CHECK_INT(cio_wait_for(f, -INFINITY, NULL), 0);

    /* tasks.py wait: a timeout <= 0 returns what is done after one look;
     * the pending stay pending */
    job b = {.id = 2, .delay = 10};
    cio_future *fs[2] = {spawn(&b), f};
    t0 = now();
    CHECK_INT(cio_wait(fs, 2, CIO_ALL_COMPLETED, -5), 1);
    CHECK(fs[0] == f); /* done ones first */
    CHECK(now() - t0 < 1e-3);
    CHECK(!cio_future_done(fs[1]));
    cio_cancel(fs[1], NULL);
    cio_await(fs[1], NULL);
    cio_release(fs[1]);

    /* timeouts.py: a deadline already past expires on the next pass */
    cio_timeout_scope *ts = cio_timeout(-2);
    CHECK(ts != NULL);
    CHECK(cio_timeout_when(ts) <= now());
    CHECK_INT(cio_sleep(10), CIO_ECANCELED);
    CHECK_INT(cio_timeout_end(ts, CIO_ECANCELED), CIO_ETIMEDOUT);
    CHECK(now() - t0 < 1e-3);

    /* tasks.py as_completed: a timeout <= 0 times out what is pending */
    job c = {.id = 3, .delay = 10};
    cio_future *g[2] = {f, spawn(&c)};
    cio_as_completed_iter *it = cio_as_completed(g, 2, -0.5);
    CHECK(it != NULL);
    cio_future *next = NULL;
    CHECK_INT(cio_as_completed_next(it, &next), 1);
    CHECK(next == f);
    CHECK_INT(cio_as_completed_next(it, &next), CIO_ETIMEDOUT);
    CHECK(now() - t0 < 1e-3);
    cio_as_completed_free(it);
    cio_cancel(g[1], NULL);
    cio_await(g[1], NULL);
    cio_release(g[1]);

    /* NaN stays an error */
    CHECK_INT(cio_wait_for(f, NAN, NULL), CIO_EINVAL);
    CHECK(cio_timeout(NAN) == NULL);
    cio_release(f);
    return NULL;
}

static void test_negative_timeouts_time_out_now(void **state) {
    (void)state;
    RUN(negative_timeouts, NULL);
}

/* ---- cancelling what already failed ------------------------------------ */

static void *fails(void *arg) {
    (void)arg;
    return cio_raise(CIO_ETIMEDOUT, "failed on purpose");
}

static void *cancel_failed(void *arg) {
    (void)arg;
    cio_future *t = cio_create_task(fails, NULL);
    cio_sleep(0);
    CHECK(cio_future_done(t));
    CHECK_INT(cio_cancel(t, NULL), 0);
    CHECK(!cio_future_cancelled(t));
    cio_future *f = cio_future_new(NULL);
    cio_future_set_error(f, CIO_ETIMEDOUT, "plain");
    CHECK_INT(cio_cancel(f, NULL), 0);
    cio_release(t); /* never read: the cancel said it is not wanted */
    cio_release(f);
    return NULL;
}

/* futures.py Future.cancel() / tasks.py Task.cancel(): `self.__log_traceback
 * = False` comes before `if self.done(): return False`, so cancelling a
 * future or task that already failed returns False and silences "exception
 * was never retrieved". */
static void test_cancel_of_failed_marks_error_retrieved(void **state) {
    (void)state;
    diag_capture();
    RUN(cancel_failed, NULL);
    diag_restore();
    assert_int_equal(diag_count("never retrieved"), 0);
}

/* ---- cancelling a gather whose children are done ----------------------- */

static void *gather_cancel_late(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 1, .value = 10};
    job b = {.id = 2, .delay = 2, .value = 20};
    cio_future *t[2] = {spawn(&a), spawn(&b)};
    cio_future *g = cio_gather_future(t, 2, 0);
    CHECK(g != NULL);
    /* wait for the children, not for the gather: it finishes a pass
     * after its last child */
    CHECK_INT(cio_await(t[1], NULL), 0);
    CHECK(!cio_future_done(g));
    CHECK_INT(cio_cancel(g, "too late"), 0);
    CHECK_INT(cio_task_cancelling(g), 0);
    CHECK_INT(cio_await(g, NULL), 0);
    CHECK(!cio_future_cancelled(g));
    CHECK_INT(PINT(cio_future_result(t[0])), 10);
    CHECK_INT(PINT(cio_future_result(t[1])), 20);
    /* while a child is pending the cancel goes through, as before */
    job c = {.id = 3, .delay = 5};
    cio_future *u = spawn(&c);
    cio_future *g2 = cio_gather_future(&u, 1, 0);
    cio_sleep(1);
    CHECK_INT(cio_cancel(g2, NULL), 1);
    CHECK_INT(cio_await(g2, NULL), CIO_ECANCELED);
    CHECK(cio_future_cancelled(u));
    cio_release(g2);
    cio_release(u);
    cio_release(g);
    cio_release_all(t, 2);
    return NULL;
}

/* tasks.py _GatheringFuture.cancel(): `for child in self._children: if
 * child.cancel(msg): ret = True` -- when every child is done nothing is
 * cancelled, cancel() returns False and the gather keeps its results. */
static void test_gather_cancel_after_children_done(void **state) {
    (void)state;
    RUN(gather_cancel_late, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_run_cancels_tasks_that_swallowed_a_cancel),
        CIO_TEST(test_negative_timeouts_time_out_now),
        CIO_TEST(test_cancel_of_failed_marks_error_retrieved),
        CIO_TEST(test_gather_cancel_after_children_done),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
