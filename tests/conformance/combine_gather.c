/* Conformance: asyncio.gather, re-expressed with cio_gather,
 * cio_gather_ex and cio_gather_future. Each test names the CPython
 * test_asyncio case or the asyncio documentation paragraph it follows.
 * Virtual time: every delay is exact and every order deterministic. */
#include "../cio_test.h"
#include "../combine_util.h"

static cio_future *g_t[4];
static int g_rc;
static double g_at;

/* docs, asyncio.gather: "If all awaitables are completed successfully, the
 * result is an aggregate list of returned values. The order of result
 * values corresponds to the order of awaitables in aws."
 * (test_tasks.py GatherTestsBase.test_constructor_homogenous_futures) */
static void *results_in_input_order(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 3, .value = 10};
    job b = {.id = 2, .delay = 2, .value = 20};
    job c = {.id = 3, .delay = 1, .value = 30};
    cio_future *t[] = {spawn(&a), spawn(&b), spawn(&c)};
    void *r[3] = {IPTR(1), IPTR(1), IPTR(1)};
    CHECK_INT(cio_gather(t, 3, r), 0);
    CHECK_INT(PINT(r[0]), 10);
    CHECK_INT(PINT(r[1]), 20);
    CHECK_INT(PINT(r[2]), 30);
    cio_release_all(t, 3);
    return NULL;
}

static void test_gather_results_in_input_order(void **state) {
    (void)state;
    RUN(results_in_input_order, NULL);
    ev_assert(3, 2, 1); /* they finished in reverse */
}

/* docs, asyncio.gather: "If return_exceptions is False (default), the first
 * raised exception is immediately propagated to the task that awaits on
 * gather(). Other awaitables in the aws sequence won't be cancelled and
 * will continue to run." (GatherTestsBase.test_one_exception) */
static void *first_error_at_once(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 1, .code = -EIO};
    job b = {.id = 2, .delay = 3, .value = 2};
    cio_future *t[] = {spawn(&a), spawn(&b)};
    double t0 = now();
    void *r[2] = {IPTR(1), IPTR(1)};
    CHECK_INT(cio_gather(t, 2, r), -EIO);
    CHECK(now() - t0 < 2); /* at a's failure, not at the end */
    CHECK_PTR(r[0], NULL);
    CHECK_PTR(r[1], NULL);
    CHECK(!cio_future_done(t[1])); /* b goes on */
    void *v;
    CHECK_INT(cio_await(t[1], &v), 0);
    CHECK_INT(PINT(v), 2);
    CHECK(!b.sleep_rc);
    cio_release_all(t, 2);
    return NULL;
}

static void test_gather_first_error_propagates_others_run(void **state) {
    (void)state;
    RUN(first_error_at_once, NULL);
}

/* Which error wins: the first to happen, not the first in input order
 * (GatherTestsBase.test_one_exception, with two failures). */
static void *earliest_error_wins(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 2, .code = -EIO};
    job b = {.id = 2, .delay = 1, .code = -EPERM};
    cio_future *t[] = {spawn(&a), spawn(&b)};
    CHECK_INT(cio_gather(t, 2, NULL), -EPERM);
    CHECK_INT(cio_cancel_all(t, 2), 0);
    cio_release_all(t, 2);
    return NULL;
}

static void test_gather_earliest_error_wins(void **state) {
    (void)state;
    RUN(earliest_error_wins, NULL);
}

/* docs, asyncio.gather: "If return_exceptions is True, exceptions are
 * treated the same as successful results, and aggregated in the result
 * list." (GatherTestsBase.test_return_exceptions) In C the failed entry's
 * result is NULL and the future keeps its own error. */
static void *return_errors(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 1, .code = -EIO};
    job b = {.id = 2, .delay = 2, .value = 7};
    job c = {.id = 3, .delay = 3, .code = -EPERM};
    cio_future *t[] = {spawn(&a), spawn(&b), spawn(&c)};
    void *r[3];
    CHECK_INT(cio_gather_ex(t, 3, r, CIO_RETURN_ERRORS), 0);
    CHECK(c.ended); /* it waited for all */
    CHECK_PTR(r[0], NULL);
    CHECK_INT(PINT(r[1]), 7);
    CHECK_PTR(r[2], NULL);
    CHECK_INT(cio_future_error(t[0]), -EIO);
    CHECK_STR(cio_future_error_message(t[0]), "job 1 failed");
    CHECK_INT(cio_future_error(t[2]), -EPERM);
    cio_release_all(t, 3);
    return NULL;
}

static void test_gather_return_errors(void **state) {
    (void)state;
    RUN(return_errors, NULL);
}

static void cb_cancel(void *arg) {
    cio_cancel((cio_future *)arg, NULL);
}

/* docs, asyncio.gather: "If any Task or Future from the aws sequence is
 * cancelled, it is treated as if it raised CancelledError - the gather()
 * call is not cancelled in this case. This is to prevent the cancellation
 * of one submitted Task/Future to cause other Tasks/Futures to be
 * cancelled." (FutureGatherTests.test_one_cancellation) */
static void *child_cancelled(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 5, .value = 1};
    job b = {.id = 2, .delay = 5, .value = 2};
    cio_future *t[] = {spawn(&a), spawn(&b)};
    CHECK_INT(cio_call_later(NULL, 1, cb_cancel, t[0], NULL), 0);
    CHECK_INT(cio_gather(t, 2, NULL), CIO_ECANCELED);
    CHECK_INT(cio_task_cancelling(cio_current_task()), 0); /* not us */
    CHECK(cio_future_cancelled(t[0]));
    CHECK(!cio_future_done(t[1]));
    void *v;
    CHECK_INT(cio_await(t[1], &v), 0); /* b was left alone */
    CHECK_INT(PINT(v), 2);
    cio_release_all(t, 2);
    return NULL;
}

static void test_gather_child_cancelled_fails_gather_only(void **state) {
    (void)state;
    RUN(child_cancelled, NULL);
}

/* FutureGatherTests.test_result_exception_one_cancellation: with
 * return_exceptions the cancelled child is one more entry. */
static void *child_cancelled_return_errors(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 5, .value = 1};
    job b = {.id = 2, .delay = 5, .value = 2};
    cio_future *t[] = {spawn(&a), spawn(&b)};
    CHECK_INT(cio_call_later(NULL, 1, cb_cancel, t[0], NULL), 0);
    void *r[2];
    CHECK_INT(cio_gather_ex(t, 2, r, CIO_RETURN_ERRORS), 0);
    CHECK_PTR(r[0], NULL);
    CHECK_INT(PINT(r[1]), 2);
    CHECK_INT(cio_future_error(t[0]), CIO_ECANCELED);
    cio_release_all(t, 2);
    return NULL;
}

static void test_gather_child_cancelled_reported_per_child(void **state) {
    (void)state;
    RUN(child_cancelled_return_errors, NULL);
}

/* The awaiting task, for the cancellation tests. */
static job g_a, g_b;
static int g_flags;
static bool g_b_ended_when_returned;
static void *gather_two(void *arg) {
    (void)arg;
    g_rc = cio_gather_ex(g_t, 2, NULL, g_flags);
    g_at = now();
    g_b_ended_when_returned = g_b.ended;
    return NULL;
}

/* docs, asyncio.gather: "If gather() is cancelled, all submitted awaitables
 * (that have not completed yet) are also cancelled."
 * (CoroutineGatherTests.test_cancellation_broadcast) Without
 * return_exceptions the first child to end cancelled ends the gather; the
 * other child may still be cleaning up. */
static void *cancel_awaiting_task(void *arg) {
    (void)arg;
    double t0 = now();
    g_a = (job){.id = 1, .delay = 10, .cleanup = 1};
    g_b = (job){.id = 2, .delay = 10, .cleanup = 2};
    g_t[0] = spawn(&g_a);
    g_t[1] = spawn(&g_b);
    g_flags = 0;
    cio_future *outer = cio_create_task(gather_two, NULL);
    CHECK_INT(cio_sleep(1), 0);
    CHECK_INT(cio_cancel(outer, NULL), 1);
    CHECK_INT(cio_await(outer, NULL), CIO_ECANCELED);
    CHECK_INT(g_rc, CIO_ECANCELED);
    CHECK_INT(g_a.sleep_rc, CIO_ECANCELED);
    CHECK_INT(g_b.sleep_rc, CIO_ECANCELED);
    CHECK(g_at - t0 >= 2 - 1e-9); /* after a had finished cancelling */
    CHECK(!g_b_ended_when_returned);
    CHECK_INT(cio_await(g_t[1], NULL), CIO_ECANCELED);
    cio_release(outer);
    cio_release_all(g_t, 2);
    return NULL;
}

static void test_gather_cancel_awaiting_task_cancels_children(void **state) {
    (void)state;
    RUN(cancel_awaiting_task, NULL);
}

/* bpo-32684 (GatherTestsBase, "gather with return_exceptions=True is still
 * cancellable"): cancelling the awaiting task cancels the children, waits
 * for all of them, and ends in CancelledError, not a result list. */
static void *cancel_awaiting_task_return_errors(void *arg) {
    (void)arg;
    g_a = (job){.id = 1, .delay = 10, .cleanup = 1};
    g_b = (job){.id = 2, .delay = 10, .cleanup = 2};
    g_t[0] = spawn(&g_a);
    g_t[1] = spawn(&g_b);
    g_flags = CIO_RETURN_ERRORS;
    cio_future *outer = cio_create_task(gather_two, NULL);
    CHECK_INT(cio_sleep(1), 0);
    cio_cancel(outer, NULL);
    CHECK_INT(cio_await(outer, NULL), CIO_ECANCELED);
    CHECK_INT(g_rc, CIO_ECANCELED);
    CHECK(g_b_ended_when_returned); /* it waited for both */
    CHECK(cio_future_cancelled(g_t[0]) && cio_future_cancelled(g_t[1]));
    cio_release(outer);
    cio_release_all(g_t, 2);
    return NULL;
}

static void test_gather_return_errors_still_cancellable(void **state) {
    (void)state;
    RUN(cancel_awaiting_task_return_errors, NULL);
}

/* test_tasks.py test_cancel_gather_2: the cancellation message given to the
 * task awaiting gather reaches the children. */
static void *cancel_message(void *arg) {
    (void)arg;
    g_a = (job){.id = 1, .delay = 10};
    g_b = (job){.id = 2, .delay = 10};
    g_t[0] = spawn(&g_a);
    g_t[1] = spawn(&g_b);
    g_flags = CIO_RETURN_ERRORS;
    cio_future *outer = cio_create_task(gather_two, NULL);
    CHECK_INT(cio_sleep(1), 0);
    cio_cancel(outer, "my message");
    CHECK_INT(cio_await(outer, NULL), CIO_ECANCELED);
    CHECK_STR(cio_future_error_message(g_t[0]), "my message");
    CHECK_STR(cio_future_error_message(g_t[1]), "my message");
    CHECK_STR(cio_future_error_message(outer), "my message");
    cio_release(outer);
    cio_release_all(g_t, 2);
    return NULL;
}

static void test_gather_cancel_message_reaches_children(void **state) {
    (void)state;
    RUN(cancel_message, NULL);
}

static int g_flag;
static void *set_flag(void *arg) {
    (void)arg;
    g_flag = 1;
    return NULL;
}

/* GatherTestsBase.test_constructor_empty_sequence: gather() of nothing is
 * done at once, with an empty result: awaiting it does not suspend. */
static void *empty_gather(void *arg) {
    (void)arg;
    g_flag = 0;
    cio_future *t = cio_create_task(set_flag, NULL);
    CHECK_INT(cio_gather(NULL, 0, NULL), 0);
    CHECK_INT(cio_gather_ex(NULL, 0, NULL, CIO_RETURN_ERRORS), 0);
    CHECK_INT(g_flag, 0); /* nobody else ran: no suspension */
    cio_future *g = cio_gather_future(NULL, 0, 0);
    CHECK(g && cio_future_done(g));
    CHECK_INT(cio_future_error(g), 0);
    cio_release(g);
    CHECK_INT(cio_await(t, NULL), 0);
    cio_release(t);
    return NULL;
}

static void test_gather_empty(void **state) {
    (void)state;
    RUN(empty_gather, NULL);
}

/* CoroutineGatherTests.test_cancellation_broadcast, with the gather as a
 * future: cancelling the task that awaits it cancels the gather, which
 * cancels every child; afterwards the gather refuses another cancel. */
static cio_future *g_gatherer;
static int g_proof;
static void *outer_awaits_gatherer(void *arg) {
    (void)arg;
    g_gatherer = cio_gather_future(g_t, 2, 0);
    CHECK(g_gatherer != NULL);
    if (cio_await(g_gatherer, NULL) == 0)
        g_proof += 100;
    return NULL;
}

static void *gather_future_cancellation_broadcast(void *arg) {
    (void)arg;
    g_proof = 0;
    g_a = (job){.id = 1, .delay = 10};
    g_b = (job){.id = 2, .delay = 10};
    g_t[0] = spawn(&g_a);
    g_t[1] = spawn(&g_b);
    cio_future *outer = cio_create_task(outer_awaits_gatherer, NULL);
    CHECK_INT(cio_sleep(0.5), 0);
    CHECK_INT(cio_cancel(outer, NULL), 1);
    CHECK_INT(cio_await(outer, NULL), CIO_ECANCELED);
    CHECK_INT(cio_cancel(g_gatherer, NULL), 0); /* already done */
    CHECK(cio_future_cancelled(g_gatherer));
    CHECK(cio_future_cancelled(g_t[0]));
    CHECK(cio_future_cancelled(g_t[1]));
    CHECK_INT(g_proof, 0);
    cio_release(g_gatherer);
    cio_release(outer);
    cio_release_all(g_t, 2);
    return NULL;
}

static void test_gather_future_cancellation_broadcast(void **state) {
    (void)state;
    RUN(gather_future_cancellation_broadcast, NULL);
}

/* The gather future finishes with the first failure's code and message,
 * or succeeds (result NULL) with the results left in the children. */
static void *gather_future_outcomes(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 1, .value = 5};
    job b = {.id = 2, .delay = 2, .code = -EIO};
    cio_future *t[] = {spawn(&a), spawn(&b)};
    cio_future *g = cio_gather_future(t, 2, 0);
    cio_future *g2 = cio_gather_future(t, 2, CIO_RETURN_ERRORS);
    cio_future *g3 = cio_gather_future(t, 1, 0);
    CHECK_INT(cio_await(g, NULL), -EIO);
    CHECK_STR(cio_future_error_message(g), "job 2 failed");
    CHECK_INT(cio_await(g2, NULL), 0);
    CHECK_INT(cio_await(g3, NULL), 0);
    CHECK_INT(PINT(cio_future_result(t[0])), 5);
    cio_release(g);
    cio_release(g2);
    cio_release(g3);
    cio_release_all(t, 2);
    return NULL;
}

static void test_gather_future_outcome(void **state) {
    (void)state;
    RUN(gather_future_outcomes, NULL);
}

/* CoroutineGatherTests.test_duplicate_coroutines: the same future twice
 * gives its result twice. */
static void *duplicates(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 1, .value = 3};
    cio_future *t = spawn(&a);
    cio_future *fs[] = {t, t, t};
    void *r[3];
    CHECK_INT(cio_gather(fs, 3, r), 0);
    CHECK(PINT(r[0]) == 3 && PINT(r[1]) == 3 && PINT(r[2]) == 3);
    cio_release(t);
    return NULL;
}

static void test_gather_duplicate_future(void **state) {
    (void)state;
    RUN(duplicates, NULL);
}

/* CoroutineGatherTests.test_exception_marking: gather marks the errors of
 * its children as retrieved, also of those that fail after gather has
 * already returned the first error: no "never retrieved" report. */
static void *exception_marking(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 1, .code = -EIO};
    job b = {.id = 2, .delay = 2, .code = -EPERM};
    cio_future *t[] = {spawn(&a), spawn(&b)};
    CHECK_INT(cio_gather(t, 2, NULL), -EIO);
    cio_release_all(t, 2); /* b still runs; the loop holds it */
    CHECK_INT(cio_sleep(5), 0);
    CHECK(b.ended);
    return NULL;
}

static void test_gather_marks_errors_retrieved(void **state) {
    (void)state;
    diag_capture();
    RUN(exception_marking, NULL);
    diag_restore();
    if (diag_n)
        diag_print();
    assert_int_equal(diag_count("never retrieved"), 0);
}

/* A future awaited by two gathers: both get its outcome; cancelling one of
 * the gathers cancels it, and the other then fails with CancelledError, as
 * asyncio's two gathering futures would. */
static cio_future *g_shared;
static int g_rcs[2];
static void *gather_shared(void *arg) {
    int i = PINT(arg);
    void *r;
    g_rcs[i] = cio_gather(&g_shared, 1, &r);
    if (g_rcs[i] == 0)
        g_rcs[i] = PINT(r);
    return NULL;
}

static void *two_gathers(void *arg) {
    (void)arg;
    g_shared = cio_future_new(NULL);
    cio_future *x = cio_create_task(gather_shared, IPTR(0));
    cio_future *y = cio_create_task(gather_shared, IPTR(1));
    CHECK_INT(cio_sleep(1), 0);
    cio_future_set_result(g_shared, IPTR(42));
    CHECK_INT(cio_await(x, NULL), 0);
    CHECK_INT(cio_await(y, NULL), 0);
    CHECK(g_rcs[0] == 42 && g_rcs[1] == 42);
    cio_release_all((cio_future *[]){x, y, g_shared}, 3);

    g_shared = cio_future_new(NULL);
    x = cio_create_task(gather_shared, IPTR(0));
    y = cio_create_task(gather_shared, IPTR(1));
    CHECK_INT(cio_sleep(1), 0);
    cio_cancel(x, NULL);
    CHECK_INT(cio_await(x, NULL), CIO_ECANCELED);
    CHECK_INT(cio_await(y, NULL), 0);
    CHECK_INT(g_rcs[1], CIO_ECANCELED);
    CHECK(cio_future_cancelled(g_shared));
    cio_release_all((cio_future *[]){x, y, g_shared}, 3);
    return NULL;
}

static void test_gather_future_in_two_gathers(void **state) {
    (void)state;
    RUN(two_gathers, NULL);
}

/* ---- the caller's cancellation reaches the children at once ---------- */

static int g_ran;
static void *mark_ran(void *arg) {
    (void)arg;
    g_ran++;
    return IPTR(20);
}

static void *gather_with_cancel_pending(void *arg) {
    (void)arg;
    cio_cancel(cio_current_task(), NULL); /* pending, not delivered yet */
    cio_future *c = cio_create_task(mark_ran, NULL);
    CHECK(c != NULL);
    CHECK_INT(cio_gather(&c, 1, NULL), CIO_ECANCELED);
    CHECK(cio_future_cancelled(c));
    cio_release(c);
    return NULL;
}

/* asyncio: a task with a cancellation pending (_must_cancel) that awaits
 * gather() cancels the gathering future as it suspends, and
 * _GatheringFuture.cancel() cancels the children there: a child created
 * just before never runs. (tests/diff: gather-cancels-late) */
static void test_gather_pending_cancel_children_never_run(void **state) {
    (void)state;
    g_ran = 0;
    assert_int_equal(run_vt(gather_with_cancel_pending, NULL, NULL),
                     CIO_ECANCELED);
    checks_assert();
    assert_int_equal(g_ran, 0);
}

static void *sleepy_child(void *arg) {
    int rc = cio_sleep(10);
    ev_log(rc == CIO_ECANCELED ? 1 : -1);
    if (arg) { /* swallow the first cancellation, then sleep again */
        rc = cio_sleep(10);
        ev_log(rc == CIO_ECANCELED ? 3 : -3);
    }
    return NULL;
}

static void *gatherer(void *arg) {
    g_rc = cio_gather((cio_future **)arg, 1, NULL);
    ev_log(4);
    return NULL;
}

static void *cancel_reaches_child_now(void *arg) {
    (void)arg;
    cio_future *c = cio_create_task(sleepy_child, IPTR(1));
    cio_future *g = cio_create_task(gatherer, &c);
    CHECK_INT(cio_sleep(1), 0); /* both wait */
    CHECK_INT(cio_cancel(g, NULL), 1);
    /* inside cio_cancel, as _GatheringFuture.cancel() does */
    CHECK_INT(cio_task_cancelling(c), 1);
    CHECK_INT(cio_sleep(1), 0); /* the child swallows it, sleeps again */
    ev_log(2);
    CHECK(!cio_future_done(g));        /* the gatherer waits for the outcome */
    CHECK_INT(cio_cancel(g, NULL), 1); /* again: reaches the child again */
    CHECK_INT(cio_task_cancelling(c), 2);
    /* it returns with the requests standing: CANCELLED (cio's rule) */
    CHECK_INT(cio_await(g, NULL), CIO_ECANCELED);
    CHECK_INT(g_rc, CIO_ECANCELED);
    CHECK(cio_future_cancelled(c));
    cio_release(c);
    cio_release(g);
    return NULL;
}

/* asyncio: Task.cancel() of a task awaiting gather() calls
 * _GatheringFuture.cancel(), which cancels each child then and there, on
 * every request (a timeout after a first cancellation reaches the children
 * too); the task is woken only by the gather's outcome. */
static void test_gather_caller_cancel_reaches_children_at_once(void **state) {
    (void)state;
    assert_int_equal(run_vt(cancel_reaches_child_now, NULL, NULL), 0);
    checks_assert();
    ev_assert(1, 2, 3, 4);
}

static void *returns_now(void *arg) {
    return arg;
}

static void *other_sleeper(void *arg) {
    (void)arg;
    int rc = cio_sleep(10);
    ev_log(rc == CIO_ECANCELED ? 1 : -1);
    return NULL;
}

static void *cancel_with_children_done(void *arg) {
    (void)arg;
    cio_future *c = cio_create_task(returns_now, IPTR(5));
    CHECK_INT(cio_sleep(0), 0); /* c is done, before anyone gathers it */
    cio_future *g = cio_create_task(gatherer, &c);
    cio_future *o = cio_create_task(other_sleeper, NULL);
    CHECK_INT(cio_sleep(0), 0); /* g gathers: its callback is on its way */
    CHECK_INT(cio_cancel(g, NULL), 1); /* nothing left to cancel */
    CHECK_INT(cio_cancel(o, NULL), 1);
    CHECK_INT(cio_await(g, NULL), CIO_ECANCELED);
    CHECK_INT(g_rc, CIO_ECANCELED);
    CHECK_INT(PINT(cio_future_result(c)), 5);
    cio_release_all((cio_future *[]){c, g, o}, 3);
    return NULL;
}

/* asyncio: _GatheringFuture.cancel() returns False when every child is
 * done; Task.cancel() then sets _must_cancel, and the task gets its
 * CancelledError when the gather's outcome wakes it, a pass after a task
 * cancelled at the same moment runs. */
static void test_gather_cancel_with_children_done_waits_outcome(void **state) {
    (void)state;
    assert_int_equal(run_vt(cancel_with_children_done, NULL, NULL), 0);
    checks_assert();
    ev_assert(1, 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_gather_results_in_input_order),
        CIO_TEST(test_gather_first_error_propagates_others_run),
        CIO_TEST(test_gather_earliest_error_wins),
        CIO_TEST(test_gather_return_errors),
        CIO_TEST(test_gather_child_cancelled_fails_gather_only),
        CIO_TEST(test_gather_child_cancelled_reported_per_child),
        CIO_TEST(test_gather_cancel_awaiting_task_cancels_children),
        CIO_TEST(test_gather_return_errors_still_cancellable),
        CIO_TEST(test_gather_cancel_message_reaches_children),
        CIO_TEST(test_gather_empty),
        CIO_TEST(test_gather_future_cancellation_broadcast),
        CIO_TEST(test_gather_future_outcome),
        CIO_TEST(test_gather_duplicate_future),
        CIO_TEST(test_gather_marks_errors_retrieved),
        CIO_TEST(test_gather_future_in_two_gathers),
        CIO_TEST(test_gather_pending_cancel_children_never_run),
        CIO_TEST(test_gather_caller_cancel_reaches_children_at_once),
        CIO_TEST(test_gather_cancel_with_children_done_waits_outcome),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
