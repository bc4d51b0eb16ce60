/* Conformance: cio_lock and cio_event, re-expressing CPython's
 * Lib/test/test_asyncio/test_locks.py (LockTests, EventTests). Each test
 * names the CPython test it follows. asyncio's Lock has no owner, so its
 * tests sometimes release a lock from the test body while a task holds it;
 * cio's lock may only be released by its holder (CIO_ENOTOWNER), so those
 * tests let the holder release it when told to. `_waiters` peeks become
 * peeks at the wait queue (tests may include src/ internals). */
#include "../cio_test.h"
#include "sync/lock.h"

static cio_lock *g_lock;
static cio_event *g_go[8]; /* per-task "release now" signals */

/* Acquire, log the index, wait for its go signal (if any), release. */
static void *locker(void *arg) {
    int i = PINT(arg);
    int rc = cio_lock_acquire(g_lock);
    if (rc)
        return cio_raise(rc, NULL);
    ev_log(i);
    if (g_go[i])
        CHECK_INT(cio_event_wait(g_go[i]), 0);
    CHECK_INT(cio_lock_release(g_lock), 0);
    return IPTR(i);
}

/* Acquire and keep the lock (the task ends holding it). */
static void *acquirer(void *arg) {
    (void)arg;
    int rc = cio_lock_acquire(g_lock);
    return rc ? cio_raise(rc, NULL) : IPTR(1);
}

static void *acquire_fifo_main(void *arg) {
    (void)arg;
    g_lock = cio_lock_new(NULL);
    for (int i = 1; i <= 3; i++)
        g_go[i] = cio_event_new(NULL);
    CHECK_INT(cio_lock_acquire(g_lock), 0);
    cio_future *t1 = cio_create_task(locker, IPTR(1));
    cio_future *t2 = cio_create_task(locker, IPTR(2));
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 0);
    CHECK_INT(cio_lock_release(g_lock), 0);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 1); /* t1 has it */
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 1);
    cio_future *t3 = cio_create_task(locker, IPTR(3)); /* queues behind t2 */
    CHECK_INT(cio_event_set(g_go[1]), 0);
    CHECK_INT(cio_sleep(0), 0); /* t1 releases, t3 queues */
    CHECK_INT(cio_sleep(0), 0); /* t2 takes it */
    CHECK_INT(ev_n, 2);
    CHECK_INT(cio_event_set(g_go[2]), 0);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 3);
    CHECK_INT(cio_event_set(g_go[3]), 0);
    cio_future *t[] = {t1, t2, t3};
    for (int i = 0; i < 3; i++) {
        void *r = NULL;
        CHECK_INT(cio_await(t[i], &r), 0);
        CHECK_INT(PINT(r), i + 1);
    }
    cio_release_all(t, 3);
    CHECK(!cio_lock_locked(g_lock));
    for (int i = 1; i <= 3; i++) {
        CHECK_INT(cio_event_free(g_go[i]), 0);
        g_go[i] = NULL;
    }
    CHECK_INT(cio_lock_free(g_lock), 0);
    return NULL;
}

/* LockTests.test_acquire: waiters acquire in arrival order, and a task that
 * arrives later (t3) queues behind those already waiting. */
static void test_lock_acquire_fifo(void **state) {
    (void)state;
    assert_int_equal(run_vt(acquire_fifo_main, NULL, NULL), 0);
    checks_assert();
    ev_assert(1, 2, 3);
}

static void cancel_cb(void *arg) {
    cio_cancel(arg, NULL);
}

static void *acquire_cancel_main(void *arg) {
    (void)arg;
    g_lock = cio_lock_new(NULL);
    CHECK_INT(cio_lock_acquire(g_lock), 0);
    cio_future *t = cio_create_task(acquirer, NULL);
    CHECK_INT(cio_call_soon(NULL, cancel_cb, t, NULL), 0);
    CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
    CHECK_INT(cio__lock_of(g_lock)->waiters.count, 0);
    CHECK_INT(cio__lock_of(g_lock)->waiters.woken, 0);
    CHECK(cio_lock_locked(g_lock));
    CHECK_INT(cio_lock_release(g_lock), 0);
    cio_release(t);
    CHECK_INT(cio_lock_free(g_lock), 0);
    return NULL;
}

/* LockTests.test_acquire_cancel: a waiter cancelled while queued leaves the
 * queue. */
static void test_lock_acquire_cancel(void **state) {
    (void)state;
    assert_int_equal(run_vt(acquire_cancel_main, NULL, NULL), 0);
    checks_assert();
}

/* lockit(blocker): acquire, await the blocker (if any), release. */
static void *lockit(void *arg) {
    int rc = cio_lock_acquire(g_lock);
    if (rc)
        return cio_raise(rc, NULL);
    if (arg)
        rc = cio_await((cio_future *)arg, NULL);
    CHECK_INT(cio_lock_release(g_lock), 0);
    return rc ? cio_raise(rc, NULL) : NULL;
}

static void *cancel_race_main(void *arg) {
    (void)arg;
    g_lock = cio_lock_new(NULL);
    cio_future *fa = cio_future_new(NULL);
    cio_future *ta = cio_create_task(lockit, fa);
    CHECK_INT(cio_sleep(0), 0);
    CHECK(cio_lock_locked(g_lock));
    cio_future *tb = cio_create_task(lockit, NULL);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio__lock_of(g_lock)->waiters.count, 1);
    cio_future *tc = cio_create_task(lockit, NULL);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio__lock_of(g_lock)->waiters.count, 2);
    /* The race: B is cancelled as A releases. */
    CHECK_INT(cio_future_set_result(fa, NULL), 0);
    CHECK_INT(cio_cancel(tb, NULL), 1);
    CHECK(cio__lock_of(g_lock)->waiters.head &&
          cio__waiter_cancelled(cio__lock_of(g_lock)->waiters.head));
    CHECK_INT(cio_sleep(0), 0);
    CHECK(!cio_lock_locked(g_lock));
    CHECK(cio_future_done(ta));
    CHECK(cio_future_cancelled(tb));
    CHECK_INT(cio_await(tc, NULL), 0);
    cio_future *all[] = {fa, ta, tb, tc};
    cio_release_all(all, 4);
    CHECK_INT(cio_lock_free(g_lock), 0);
    return NULL;
}

/* LockTests.test_cancel_race: a release finding the first waiter cancelled
 * does not lose the lock: C gets it. */
static void test_lock_cancel_race(void **state) {
    (void)state;
    assert_int_equal(run_vt(cancel_race_main, NULL, NULL), 0);
    checks_assert();
}

static int g_lock_count, g_call_count;
static void *count_locks(void *arg) {
    (void)arg;
    g_call_count++;
    int rc = cio_lock_acquire(g_lock);
    if (rc == 0)
        g_lock_count++;
    return rc ? cio_raise(rc, NULL) : NULL;
}

static void *cancel_release_race_main(void *arg) {
    (void)arg;
    g_lock = cio_lock_new(NULL);
    g_lock_count = g_call_count = 0;
    CHECK_INT(cio_lock_acquire(g_lock), 0);
    cio_future *t[3];
    for (int i = 0; i < 3; i++)
        t[i] = cio_create_task(count_locks, NULL);
    CHECK_INT(cio_sleep(0), 0);
    /* asyncio's trigger(): cancel the first waiter, then release. */
    CHECK_INT(cio_cancel(t[0], NULL), 1);
    CHECK_INT(cio_lock_release(g_lock), 0);
    CHECK_INT(cio_await(t[0], NULL), CIO_ECANCELED);
    CHECK_INT(g_lock_count, 1); /* only one acquired */
    CHECK_INT(g_call_count, 3);
    CHECK(cio_future_cancelled(t[0]) && cio_future_done(t[1]));
    CHECK_INT(cio_cancel(t[2], NULL), 1);
    CHECK_INT(cio_sleep(0), 0);
    CHECK(cio_future_cancelled(t[2]));
    cio_release_all(t, 3);
    CHECK_INT(cio_lock_free(g_lock), 0);
    return NULL;
}

/* LockTests.test_cancel_release_race (bpo-32734): cancelling the first
 * waiter as the lock is released lets exactly one other task take it. */
static void test_lock_cancel_release_race(void **state) {
    (void)state;
    assert_int_equal(run_vt(cancel_release_race_main, NULL, NULL), 0);
    checks_assert();
}

static void *finished_waiter_cancelled_main(void *arg) {
    (void)arg;
    g_lock = cio_lock_new(NULL);
    CHECK_INT(cio_lock_acquire(g_lock), 0);
    cio_future *tb = cio_create_task(acquirer, NULL);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio__lock_of(g_lock)->waiters.count, 1);
    /* A second waiter; cancel the first, then release. */
    cio_future *tc = cio_create_task(acquirer, NULL);
    CHECK_INT(cio_cancel(tb, NULL), 1);
    CHECK_INT(cio_lock_release(g_lock), 0);
    CHECK_INT(cio_sleep(0), 0);
    CHECK(cio_lock_locked(g_lock));
    CHECK(cio_future_cancelled(tb));
    CHECK_INT(cio_await(tc, NULL), 0);
    cio_release(tb);
    cio_release(tc);
    CHECK_INT(cio_lock_free(g_lock), 0); /* held by finished tc: fine */
    return NULL;
}

/* LockTests.test_finished_waiter_cancelled: the second waiter is not left
 * waiting when the first is cancelled. */
static void test_lock_finished_waiter_cancelled(void **state) {
    (void)state;
    assert_int_equal(run_vt(finished_waiter_cancelled_main, NULL, NULL), 0);
    checks_assert();
}

static void *release_other(void *arg) {
    (void)arg;
    CHECK_INT(cio_lock_release(g_lock), CIO_ENOTOWNER);
    return NULL;
}

static void *release_errors_main(void *arg) {
    (void)arg;
    g_lock = cio_lock_new(NULL);
    CHECK_INT(cio_lock_release(g_lock), CIO_ENOTLOCKED);
    CHECK_INT(cio_lock_acquire(g_lock), 0);
    CHECK(cio_lock_locked(g_lock));
    cio_future *t = cio_create_task(release_other, NULL);
    CHECK_INT(cio_await(t, NULL), 0);
    cio_release(t);
    CHECK(cio_lock_locked(g_lock));
    CHECK_INT(cio_lock_release(g_lock), 0);
    CHECK(!cio_lock_locked(g_lock));
    CHECK_INT(cio_lock_release(g_lock), CIO_ENOTLOCKED);
    CHECK_INT(cio_lock_free(g_lock), 0);
    return NULL;
}

/* LockTests.test_release_not_acquired, test_release_no_waiters; and (cio)
 * a lock held by another task cannot be released. */
static void test_lock_release_errors(void **state) {
    (void)state;
    assert_int_equal(run_vt(release_errors_main, NULL, NULL), 0);
    checks_assert();
}

/* Acquire, log, yield once, release. */
static void *log_hold_release(void *arg) {
    int rc = cio_lock_acquire(g_lock);
    if (rc)
        return cio_raise(rc, NULL);
    ev_log(PINT(arg));
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_lock_release(g_lock), 0);
    return NULL;
}

static void *woken_cancel_main(void *arg) {
    (void)arg;
    g_lock = cio_lock_new(NULL);
    CHECK_INT(cio_lock_acquire(g_lock), 0);
    cio_future *t[5];
    for (int i = 1; i <= 3; i++)
        t[i] = cio_create_task(log_hold_release, IPTR(i));
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_lock_release(g_lock), 0); /* wakes t1 */
    CHECK(!cio_lock_locked(g_lock));
    CHECK_INT(cio_lock_try_acquire(g_lock), 0);        /* t1's turn, not ours */
    t[4] = cio_create_task(log_hold_release, IPTR(4)); /* a newcomer */
    CHECK_INT(cio_cancel(t[1], NULL), 1);              /* woken, cancelled */
    for (int i = 1; i <= 4; i++)
        CHECK_INT(cio_await(t[i], NULL), i == 1 ? CIO_ECANCELED : 0);
    cio_release_all(t + 1, 4);
    CHECK_INT(cio_lock_try_acquire(g_lock), 1);
    CHECK_INT(cio_lock_release(g_lock), 0);
    CHECK_INT(cio_lock_free(g_lock), 0);
    return NULL;
}

/* asyncio's Lock.acquire rule (locks.py): a woken waiter cancelled before
 * it runs passes its turn to the next waiter, and a newcomer arriving while
 * the lock is free but promised does not jump the queue. */
static void test_lock_woken_waiter_cancelled_passes_on(void **state) {
    (void)state;
    assert_int_equal(run_vt(woken_cancel_main, NULL, NULL), 0);
    checks_assert();
    ev_assert(2, 3, 4);
}

static void *try_acquire_main(void *arg) {
    (void)arg;
    g_lock = cio_lock_new(NULL);
    CHECK_INT(cio_lock_try_acquire(g_lock), 1);
    CHECK_INT(cio_lock_try_acquire(g_lock), 0);
    CHECK_INT(cio_lock_release(g_lock), 0);
    CHECK_INT(cio_lock_free(g_lock), 0);
    return NULL;
}

/* (cio) try_acquire takes a free lock, never suspends. */
static void test_lock_try_acquire(void **state) {
    (void)state;
    assert_int_equal(run_vt(try_acquire_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- Event -------------------------------------------------------------- */

static cio_event *g_ev;

static void *ev_waiter(void *arg) {
    int rc = cio_event_wait(g_ev);
    if (rc == 0)
        ev_log(PINT(arg));
    return rc ? cio_raise(rc, NULL) : NULL;
}

static void *event_wait_main(void *arg) {
    (void)arg;
    g_ev = cio_event_new(NULL);
    CHECK(!cio_event_is_set(g_ev));
    cio_future *t[3];
    t[0] = cio_create_task(ev_waiter, IPTR(1));
    t[1] = cio_create_task(ev_waiter, IPTR(2));
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 0);
    t[2] = cio_create_task(ev_waiter, IPTR(3));
    CHECK_INT(cio_event_set(g_ev), 0);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 3);
    for (int i = 0; i < 3; i++) {
        CHECK(cio_future_done(t[i]));
        CHECK_INT(cio_future_error(t[i]), 0);
    }
    cio_release_all(t, 3);
    CHECK_INT(cio_event_free(g_ev), 0);
    return NULL;
}

/* EventTests.test_wait: set() wakes every waiter; t3, started after the
 * others waited, sees the flag set at once and runs first. */
static void test_event_wait(void **state) {
    (void)state;
    assert_int_equal(run_vt(event_wait_main, NULL, NULL), 0);
    checks_assert();
    ev_assert(3, 1, 2);
}

static void *event_wait_on_set_main(void *arg) {
    (void)arg;
    g_ev = cio_event_new(NULL);
    CHECK_INT(cio_event_set(g_ev), 0);
    CHECK_INT(cio_event_wait(g_ev), 0);
    CHECK_INT(cio_event_clear(g_ev), 0);
    CHECK(!cio_event_is_set(g_ev));
    CHECK_INT(cio_event_set(g_ev), 0);
    CHECK(cio_event_is_set(g_ev));
    CHECK_INT(cio_event_free(g_ev), 0);
    return NULL;
}

/* EventTests.test_wait_on_set, test_clear. */
static void test_event_wait_on_set_and_clear(void **state) {
    (void)state;
    assert_int_equal(run_vt(event_wait_on_set_main, NULL, NULL), 0);
    checks_assert();
}

static void *event_wait_cancel_main(void *arg) {
    (void)arg;
    g_ev = cio_event_new(NULL);
    cio_future *t = cio_create_task(ev_waiter, IPTR(1));
    CHECK_INT(cio_call_soon(NULL, cancel_cb, t, NULL), 0);
    CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
    cio_release(t);
    CHECK_INT(cio_event_free(g_ev), 0); /* no waiter left behind */
    return NULL;
}

/* EventTests.test_wait_cancel. */
static void test_event_wait_cancel(void **state) {
    (void)state;
    assert_int_equal(run_vt(event_wait_cancel_main, NULL, NULL), 0);
    checks_assert();
    assert_int_equal(ev_n, 0);
}

static void *event_clear_with_waiters_main(void *arg) {
    (void)arg;
    g_ev = cio_event_new(NULL);
    cio_future *t = cio_create_task(ev_waiter, IPTR(1));
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 0);
    CHECK_INT(cio_event_set(g_ev), 0);
    CHECK_INT(cio_event_clear(g_ev), 0);
    CHECK(!cio_event_is_set(g_ev));
    CHECK_INT(cio_event_set(g_ev), 0);
    CHECK_INT(cio_event_set(g_ev), 0);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 1);
    CHECK(cio_future_done(t));
    CHECK_INT(cio_future_error(t), 0);
    cio_release(t);
    CHECK_INT(cio_event_free(g_ev), 0);
    return NULL;
}

/* EventTests.test_clear_with_waiters: a waiter woken by set() returns
 * normally even if the event is cleared before it runs. */
static void test_event_clear_with_waiters(void **state) {
    (void)state;
    assert_int_equal(run_vt(event_clear_with_waiters_main, NULL, NULL), 0);
    checks_assert();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_lock_acquire_fifo),
        CIO_TEST(test_lock_acquire_cancel),
        CIO_TEST(test_lock_cancel_race),
        CIO_TEST(test_lock_cancel_release_race),
        CIO_TEST(test_lock_finished_waiter_cancelled),
        CIO_TEST(test_lock_release_errors),
        CIO_TEST(test_lock_woken_waiter_cancelled_passes_on),
        CIO_TEST(test_lock_try_acquire),
        CIO_TEST(test_event_wait),
        CIO_TEST(test_event_wait_on_set_and_clear),
        CIO_TEST(test_event_wait_cancel),
        CIO_TEST(test_event_clear_with_waiters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
