/* Conformance: asyncio.wait (and the cancel-the-rest recipe), re-expressed
 * with cio_wait and cio_cancel_all. Each test names the CPython
 * test_asyncio case or the asyncio documentation paragraph it follows.
 * asyncio returns (done, pending) sets; cio partitions the array in place,
 * done first, and returns the done count. */
#include "../cio_test.h"
#include "../combine_util.h"

/* test_tasks.py test_wait: ALL_COMPLETED (the default) returns when every
 * future is done; the done part comes in the order they finished. */
static void *wait_all(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 0.1};
    job b = {.id = 2, .delay = 0.15};
    cio_future *ta = spawn(&a), *tb = spawn(&b);
    cio_future *f[] = {tb, ta};
    double t0 = now();
    CHECK_INT(cio_wait(f, 2, CIO_ALL_COMPLETED, CIO_NO_TIMEOUT), 2);
    CHECK(now() - t0 >= 0.15 - 1e-9);
    CHECK_PTR(f[0], ta);
    CHECK_PTR(f[1], tb);
    cio_release_all(f, 2);
    return NULL;
}

static void test_wait_all_completed(void **state) {
    (void)state;
    RUN(wait_all, NULL);
}

/* test_tasks.py test_wait_first_completed: returns as soon as one is done;
 * the other is pending and was not cancelled. */
static void *first_completed(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 10};
    job b = {.id = 2, .delay = 0.1, .value = 5};
    cio_future *ta = spawn(&a), *tb = spawn(&b);
    cio_future *f[] = {tb, ta};
    CHECK_INT(cio_wait(f, 2, CIO_FIRST_COMPLETED, CIO_NO_TIMEOUT), 1);
    CHECK_PTR(f[0], tb);
    CHECK_PTR(f[1], ta);
    CHECK(!cio_future_done(ta));
    CHECK_INT(cio_task_cancelling(ta), 0);
    CHECK_INT(PINT(cio_future_result(tb)), 5);
    CHECK_INT(cio_cancel_all(f + 1, 1), 0);
    cio_release_all(f, 2);
    return NULL;
}

static void test_wait_first_completed(void **state) {
    (void)state;
    RUN(first_completed, NULL);
}

static void *yield_n(void *arg) {
    for (int i = 0; i < PINT(arg); i++)
        cio_sleep(0);
    return NULL;
}

/* test_tasks.py test_wait_really_done: a future that became done after the
 * first one, before wait's task ran again, is in the done part too. */
static void *really_done(void *arg) {
    (void)arg;
    cio_future *a = cio_create_task(yield_n, IPTR(1));
    cio_future *b = cio_create_task(yield_n, IPTR(2));
    cio_future *f[] = {b, a};
    CHECK_INT(cio_wait(f, 2, CIO_FIRST_COMPLETED, CIO_NO_TIMEOUT), 2);
    CHECK_PTR(f[0], a); /* seen first */
    CHECK_PTR(f[1], b);
    CHECK(cio_future_done(a) && cio_future_done(b));
    cio_release_all(f, 2);
    return NULL;
}

static void test_wait_really_done(void **state) {
    (void)state;
    RUN(really_done, NULL);
}

/* test_tasks.py test_wait_first_exception: a future that has already
 * failed ends the wait; the other stays pending. */
static void *first_exception_already(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 10};
    job b = {.id = 2, .delay = 0, .code = -EIO};
    cio_future *ta = spawn(&a), *tb = spawn(&b);
    cio_future *f[] = {tb, ta};
    CHECK_INT(cio_wait(f, 2, CIO_FIRST_EXCEPTION, CIO_NO_TIMEOUT), 1);
    CHECK_PTR(f[0], tb);
    CHECK_INT(cio_future_error(tb), -EIO);
    CHECK(!cio_future_done(ta));
    CHECK_INT(cio_cancel_all(&ta, 1), 0);
    cio_release_all(f, 2);
    return NULL;
}

static void test_wait_first_exception(void **state) {
    (void)state;
    RUN(first_exception_already, NULL);
}

/* test_tasks.py test_wait_first_exception_in_wait: the failure happens
 * while waiting; the wait ends then (at 0.01 s), not at the end. */
static void *first_exception_in_wait(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 10};
    job b = {.id = 2, .delay = 0.01, .code = -EIO};
    cio_future *ta = spawn(&a), *tb = spawn(&b);
    cio_future *f[] = {tb, ta};
    double t0 = now();
    CHECK_INT(cio_wait(f, 2, CIO_FIRST_EXCEPTION, CIO_NO_TIMEOUT), 1);
    CHECK(now() - t0 < 1);
    CHECK_PTR(f[0], tb);
    CHECK_INT(cio_future_error(tb), -EIO);
    CHECK_INT(cio_cancel_all(&ta, 1), 0);
    cio_release_all(f, 2);
    return NULL;
}

static void test_wait_first_exception_in_wait(void **state) {
    (void)state;
    RUN(first_exception_in_wait, NULL);
}

static void cb_cancel(void *arg) {
    cio_cancel((cio_future *)arg, NULL);
}

/* docs, asyncio.wait: "FIRST_EXCEPTION: The function will return when any
 * future finishes by raising an exception. If no future raises an
 * exception then it is equivalent to ALL_COMPLETED." A cancelled future
 * raised nothing (asyncio.tasks._wait checks `not f.cancelled()`). */
static void *first_exception_ignores_cancelled(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 10};
    job b = {.id = 2, .delay = 2, .value = 1};
    cio_future *ta = spawn(&a), *tb = spawn(&b);
    cio_future *f[] = {ta, tb};
    CHECK_INT(cio_call_later(NULL, 1, cb_cancel, ta, NULL), 0);
    double t0 = now();
    CHECK_INT(cio_wait(f, 2, CIO_FIRST_EXCEPTION, CIO_NO_TIMEOUT), 2);
    CHECK(now() - t0 >= 2 - 1e-9); /* the cancellation did not end it */
    CHECK(cio_future_cancelled(ta));
    cio_release_all(f, 2);
    return NULL;
}

static void test_wait_first_exception_not_on_cancel(void **state) {
    (void)state;
    RUN(first_exception_ignores_cancelled, NULL);
}

/* test_tasks.py test_wait_with_exception: ALL_COMPLETED with a failure
 * waits for all; the failure stays in its future. */
static void *with_exception(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 0.15};
    job b = {.id = 2, .delay = 0.1, .code = -EIO};
    cio_future *f[] = {spawn(&a), spawn(&b)};
    CHECK_INT(cio_wait(f, 2, CIO_ALL_COMPLETED, CIO_NO_TIMEOUT), 2);
    CHECK(a.ended);
    CHECK_INT(cio_future_error(f[0]), -EIO); /* b finished first */
    cio_release_all(f, 2);
    return NULL;
}

static void test_wait_with_exception(void **state) {
    (void)state;
    RUN(with_exception, NULL);
}

/* test_tasks.py test_wait_with_timeout, and docs, asyncio.wait: "Note that
 * this function does not raise TimeoutError. Futures or Tasks that aren't
 * done when the timeout occurs are simply returned in the second set." */
static void *with_timeout(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 0.1};
    job b = {.id = 2, .delay = 0.15};
    cio_future *ta = spawn(&a), *tb = spawn(&b);
    cio_future *f[] = {tb, ta};
    double t0 = now();
    CHECK_INT(cio_wait(f, 2, CIO_ALL_COMPLETED, 0.11), 1);
    CHECK(now() - t0 < 0.15);
    CHECK_PTR(f[0], ta);
    CHECK_PTR(f[1], tb);
    CHECK(!cio_future_done(tb));
    CHECK_INT(cio_task_cancelling(tb), 0); /* nothing cancelled */
    CHECK_INT(cio_wait(f + 1, 1, CIO_ALL_COMPLETED, CIO_NO_TIMEOUT), 1);
    CHECK_INT(b.sleep_rc, 0);
    cio_release_all(f, 2);
    return NULL;
}

static void test_wait_with_timeout(void **state) {
    (void)state;
    RUN(with_timeout, NULL);
}

/* test_tasks.py test_wait_concurrent_complete: a timeout equal to one
 * future's delay still sees that future done (its timer was set first). */
static void *concurrent_complete(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 0.1};
    job b = {.id = 2, .delay = 0.15};
    cio_future *ta = spawn(&a), *tb = spawn(&b);
    CHECK_INT(cio_sleep(0), 0); /* let them start and arm their timers */
    cio_future *f[] = {tb, ta};
    CHECK_INT(cio_wait(f, 2, CIO_ALL_COMPLETED, 0.1), 1);
    CHECK_PTR(f[0], ta);
    CHECK_INT(cio_cancel_all(f + 1, 1), 0);
    cio_release_all(f, 2);
    return NULL;
}

static void test_wait_concurrent_complete(void **state) {
    (void)state;
    RUN(concurrent_complete, NULL);
}

/* docs, asyncio.wait, timeout: 0 means look once. What is done is
 * returned; the rest stays pending, untouched. */
static void *timeout_zero(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 0};
    job b = {.id = 2, .delay = 5};
    cio_future *ta = spawn(&a), *tb = spawn(&b);
    CHECK_INT(cio_sleep(0.5), 0);
    CHECK(cio_future_done(ta));
    cio_future *f[] = {tb, ta};
    CHECK_INT(cio_wait(f, 2, CIO_ALL_COMPLETED, 0), 1);
    CHECK_PTR(f[0], ta);
    CHECK(!cio_future_done(tb));
    CHECK_INT(cio_wait(&tb, 1, CIO_FIRST_COMPLETED, 0), 0); /* none done */
    CHECK_INT(cio_cancel_all(&tb, 1), 0);
    cio_release_all(f, 2);
    return NULL;
}

static void test_wait_timeout_zero(void **state) {
    (void)state;
    RUN(timeout_zero, NULL);
}

/* test_tasks.py test_wait_errors: an empty set, or a bad return_when, is
 * a ValueError: CIO_EINVAL, and nothing waited for. */
static void *wait_errors(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 1};
    cio_future *t = spawn(&a);
    cio_future *none[1] = {NULL};
    CHECK_INT(cio_wait(none, 0, CIO_ALL_COMPLETED, CIO_NO_TIMEOUT), CIO_EINVAL);
    CHECK_INT(cio_wait(NULL, 0, CIO_FIRST_COMPLETED, 1.0), CIO_EINVAL);
    CHECK_INT(cio_wait(&t, 1, (cio_return_when)7, CIO_NO_TIMEOUT), CIO_EINVAL);
    CHECK_INT(cio_wait(&t, 1, CIO_ALL_COMPLETED, CIO_NO_TIMEOUT), 1);
    cio_release(t);
    return NULL;
}

static void test_wait_empty_set_is_an_error(void **state) {
    (void)state;
    RUN(wait_errors, NULL);
}

/* test_tasks.py test_wait_duplicate_coroutines: a future listed twice.
 * asyncio's set keeps it once; cio's array keeps both entries, and both
 * land in the done part. */
static void *duplicates(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 1, .value = 3};
    cio_future *t = spawn(&a);
    cio_future *f[] = {t, t};
    CHECK_INT(cio_wait(f, 2, CIO_FIRST_COMPLETED, CIO_NO_TIMEOUT), 2);
    CHECK(f[0] == t && f[1] == t);
    cio_release(t);
    return NULL;
}

static void test_wait_duplicate_future(void **state) {
    (void)state;
    RUN(duplicates, NULL);
}

/* docs, asyncio.wait: "Unlike wait_for(), wait() does not cancel the
 * futures when a timeout occurs." Nor when the waiting task is cancelled:
 * the wait returns CancelledError and the futures go on. */
static cio_future *g_f[2];
static long g_rc;
static void *waiter_task(void *arg) {
    (void)arg;
    g_rc = cio_wait(g_f, 2, CIO_ALL_COMPLETED, CIO_NO_TIMEOUT);
    return NULL;
}

static void *cancel_waiting_task(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 3, .value = 1};
    job b = {.id = 2, .delay = 4, .value = 2};
    g_f[0] = spawn(&a);
    g_f[1] = spawn(&b);
    cio_future *w = cio_create_task(waiter_task, NULL);
    CHECK_INT(cio_sleep(1), 0);
    cio_cancel(w, NULL);
    CHECK_INT(cio_await(w, NULL), CIO_ECANCELED);
    CHECK_INT(g_rc, CIO_ECANCELED);
    CHECK(!cio_future_done(g_f[0]) && !cio_future_done(g_f[1]));
    CHECK_INT(cio_gather(g_f, 2, NULL), 0); /* they finish normally */
    cio_release(w);
    cio_release_all(g_f, 2);
    return NULL;
}

static void test_wait_cancelled_does_not_cancel_futures(void **state) {
    (void)state;
    RUN(cancel_waiting_task, NULL);
}

/* docs, Waiting Primitives (and DESIGN.md's race): the first answer wins,
 * the losers are cancelled and awaited, so nothing is left pending. The
 * losers here take a while to cancel (cleanup), and cio_cancel_all waits
 * for that. */
static void *race(void *arg) {
    (void)arg;
    job s1 = {.id = 1, .delay = 0.3, .value = 1, .cleanup = 0.5};
    job s2 = {.id = 2, .delay = 0.2, .value = 2, .cleanup = 0.5};
    job s3 = {.id = 3, .delay = 0.4, .value = 3, .cleanup = 0.5};
    cio_future *f[] = {spawn(&s1), spawn(&s2), spawn(&s3)};
    long ndone = cio_wait(f, 3, CIO_FIRST_COMPLETED, CIO_NO_TIMEOUT);
    CHECK_INT(ndone, 1);
    CHECK_INT(PINT(cio_future_result(f[0])), 2);
    CHECK_INT(cio_cancel_all(f + ndone, 3 - (size_t)ndone), 0);
    CHECK(s1.ended && s3.ended);
    CHECK(cio_future_cancelled(f[1]) && cio_future_cancelled(f[2]));
    cio_future *all[4];
    CHECK_INT(cio_all_tasks(NULL, all, 4), 1); /* only this task is left */
    cio_release(all[0]);
    cio_release_all(f, 3);
    return NULL;
}

static void test_wait_race_losers_cancelled_cleanly(void **state) {
    (void)state;
    RUN(race, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_wait_all_completed),
        CIO_TEST(test_wait_first_completed),
        CIO_TEST(test_wait_really_done),
        CIO_TEST(test_wait_first_exception),
        CIO_TEST(test_wait_first_exception_in_wait),
        CIO_TEST(test_wait_first_exception_not_on_cancel),
        CIO_TEST(test_wait_with_exception),
        CIO_TEST(test_wait_with_timeout),
        CIO_TEST(test_wait_concurrent_complete),
        CIO_TEST(test_wait_timeout_zero),
        CIO_TEST(test_wait_empty_set_is_an_error),
        CIO_TEST(test_wait_duplicate_future),
        CIO_TEST(test_wait_cancelled_does_not_cancel_futures),
        CIO_TEST(test_wait_race_losers_cancelled_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
