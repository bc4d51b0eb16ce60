/* Conformance: cio_condition and cio_semaphore, re-expressing CPython's
 * Lib/test/test_asyncio/test_locks.py (ConditionTests, SemaphoreTests).
 * Each test names the CPython test it follows. asyncio's lock has no owner,
 * so its Condition tests let the test body release a lock a task re-took;
 * in cio the task that holds the lock releases it itself. */
#include "../cio_test.h"

static cio_condition *g_cond;

static void cancel_cb(void *arg) {
    cio_cancel(arg, NULL);
}

/* acquire, wait, log i, release. */
static void *cond_waiter(void *arg) {
    CHECK_INT(cio_condition_acquire(g_cond), 0);
    int rc = cio_condition_wait(g_cond);
    CHECK(cio_condition_locked(g_cond)); /* held again, even if cancelled */
    if (rc == 0)
        ev_log(PINT(arg));
    CHECK_INT(cio_condition_release(g_cond), 0);
    return rc ? cio_raise(rc, NULL) : IPTR(1);
}

static void *cond_wait_main(void *arg) {
    (void)arg;
    g_cond = cio_condition_new(NULL, NULL);
    cio_future *t[3];
    for (int i = 0; i < 3; i++)
        t[i] = cio_create_task(cond_waiter, IPTR(i + 1));
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 0);
    CHECK(!cio_condition_locked(g_cond));
    CHECK_INT(cio_condition_acquire(g_cond), 0);
    CHECK_INT(cio_condition_notify(g_cond, 1), 1);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 0); /* notified, but the lock is ours */
    CHECK(cio_condition_locked(g_cond));
    CHECK_INT(cio_condition_release(g_cond), 0);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 1);
    CHECK_INT(cio_condition_acquire(g_cond), 0);
    CHECK_INT(cio_condition_notify(g_cond, 2), 2);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 1);
    CHECK_INT(cio_condition_release(g_cond), 0);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 2);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 3);
    for (int i = 0; i < 3; i++) {
        void *r = NULL;
        CHECK_INT(cio_await(t[i], &r), 0);
        CHECK_INT(PINT(r), 1);
    }
    cio_release_all(t, 3);
    CHECK_INT(cio_condition_free(g_cond), 0);
    return NULL;
}

/* ConditionTests.test_wait: notify(n) wakes the n oldest waiters, which go
 * on only once they have the lock back, one at a time, in order. */
static void test_condition_wait(void **state) {
    (void)state;
    assert_int_equal(run_vt(cond_wait_main, NULL, NULL), 0);
    checks_assert();
    ev_assert(1, 2, 3);
}

static void *cond_wait_cancel_main(void *arg) {
    (void)arg;
    g_cond = cio_condition_new(NULL, NULL);
    cio_future *t = cio_create_task(cond_waiter, IPTR(1));
    CHECK_INT(cio_call_soon(NULL, cancel_cb, t, NULL), 0);
    CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
    CHECK(!cio_condition_locked(g_cond)); /* the task released it */
    cio_release(t);
    CHECK_INT(cio_condition_free(g_cond), 0); /* no waiter left */
    return NULL;
}

/* ConditionTests.test_wait_cancel: a cancelled wait leaves no waiter and
 * returns with the lock held. */
static void test_condition_wait_cancel(void **state) {
    (void)state;
    assert_int_equal(run_vt(cond_wait_cancel_main, NULL, NULL), 0);
    checks_assert();
    assert_int_equal(ev_n, 0);
}

static void *cond_wait_cancel_contested_main(void *arg) {
    (void)arg;
    g_cond = cio_condition_new(NULL, NULL);
    cio_future *t = cio_create_task(cond_waiter, IPTR(1));
    CHECK_INT(cio_sleep(0), 0);
    CHECK(!cio_condition_locked(g_cond));
    /* Notify, but contest the lock before the waiter is cancelled. */
    CHECK_INT(cio_condition_acquire(g_cond), 0);
    CHECK_INT(cio_condition_notify(g_cond, 1), 1);
    CHECK_INT(cio_call_soon(NULL, cancel_cb, t, NULL), 0);
    CHECK_INT(cio_sleep(0), 0); /* t queues for the lock, is cancelled */
    CHECK_INT(cio_condition_release(g_cond), 0);
    int rc = cio_await(t, NULL);
    CHECK(rc == 0 || rc == CIO_ECANCELED); /* as asyncio's test allows */
    CHECK(!cio_condition_locked(g_cond));
    cio_release(t);
    CHECK_INT(cio_condition_free(g_cond), 0);
    return NULL;
}

/* ConditionTests.test_wait_cancel_contested: cancelled while it waits to
 * re-take the lock, wait still re-takes it. */
static void test_condition_wait_cancel_contested(void **state) {
    (void)state;
    assert_int_equal(run_vt(cond_wait_cancel_contested_main, NULL, NULL), 0);
    checks_assert();
}

static void *cond_wait_cancel_after_notify_main(void *arg) {
    (void)arg;
    g_cond = cio_condition_new(NULL, NULL);
    cio_future *t = cio_create_task(cond_waiter, IPTR(1));
    CHECK_INT(cio_sleep(0), 0); /* start waiting */
    CHECK_INT(cio_condition_acquire(g_cond), 0);
    CHECK_INT(cio_condition_notify(g_cond, 1), 1);
    CHECK_INT(cio_sleep(0), 0); /* t is in acquire() */
    CHECK_INT(cio_cancel(t, NULL), 1);
    CHECK_INT(cio_sleep(0), 0); /* the cancellation is delivered */
    CHECK_INT(cio_condition_release(g_cond), 0);
    CHECK_INT(cio_sleep(0), 0); /* t re-takes the lock, returns */
    CHECK(cio_future_cancelled(t));
    cio_release(t);
    CHECK_INT(cio_condition_free(g_cond), 0);
    return NULL;
}

/* ConditionTests.test_wait_cancel_after_notify (bpo-32841). */
static void test_condition_wait_cancel_after_notify(void **state) {
    (void)state;
    assert_int_equal(run_vt(cond_wait_cancel_after_notify_main, NULL, NULL), 0);
    checks_assert();
}

static void *cond_hold(void *arg) {
    (void)arg;
    return IPTR(cio_condition_acquire(g_cond));
}

static bool g_pred;
static int g_pred_calls;
static bool pred(void *arg) {
    (void)arg;
    g_pred_calls++;
    return g_pred;
}

static void *cond_unacquired_main(void *arg) {
    (void)arg;
    g_cond = cio_condition_new(NULL, NULL);
    CHECK_INT(cio_condition_wait(g_cond), CIO_ENOTLOCKED);
    CHECK_INT(cio_condition_notify(g_cond, 1), CIO_ENOTLOCKED);
    CHECK_INT(cio_condition_notify_all(g_cond), CIO_ENOTLOCKED);
    g_pred = true; /* a predicate already true needs no lock */
    CHECK_INT(cio_condition_wait_for(g_cond, pred, NULL), 0);
    g_pred = false;
    CHECK_INT(cio_condition_wait_for(g_cond, pred, NULL), CIO_ENOTLOCKED);
    /* (cio) held by another task */
    cio_future *t = cio_create_task(cond_hold, NULL);
    CHECK_INT(cio_await(t, NULL), 0);
    cio_release(t);
    CHECK_INT(cio_condition_wait(g_cond), CIO_ENOTOWNER);
    CHECK_INT(cio_condition_notify(g_cond, 1), CIO_ENOTOWNER);
    CHECK_INT(cio_condition_free(g_cond), 0);
    return NULL;
}

/* ConditionTests.test_wait_unacquired, test_wait_for_unacquired,
 * test_notify_unacquired, test_notify_all_unacquired. */
static void test_condition_unacquired(void **state) {
    (void)state;
    assert_int_equal(run_vt(cond_unacquired_main, NULL, NULL), 0);
    checks_assert();
}

static void *wait_for_task(void *arg) {
    (void)arg;
    CHECK_INT(cio_condition_acquire(g_cond), 0);
    int rc = cio_condition_wait_for(g_cond, pred, NULL);
    if (rc == 0)
        ev_log(1);
    CHECK_INT(cio_condition_release(g_cond), 0);
    return IPTR(rc);
}

static void *cond_wait_for_main(void *arg) {
    (void)arg;
    g_cond = cio_condition_new(NULL, NULL);
    g_pred = false;
    g_pred_calls = 0;
    cio_future *t = cio_create_task(wait_for_task, NULL);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 0);
    CHECK_INT(cio_condition_acquire(g_cond), 0);
    CHECK_INT(cio_condition_notify(g_cond, 1), 1);
    CHECK_INT(cio_condition_release(g_cond), 0);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 0); /* woken, predicate still false: waits again */
    g_pred = true;
    CHECK_INT(cio_condition_acquire(g_cond), 0);
    CHECK_INT(cio_condition_notify(g_cond, 1), 1);
    CHECK_INT(cio_condition_release(g_cond), 0);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 1);
    CHECK_INT(g_pred_calls, 3);
    CHECK(cio_future_done(t));
    CHECK_INT(PINT(cio_future_result(t)), 0);
    cio_release(t);
    CHECK_INT(cio_condition_free(g_cond), 0);
    return NULL;
}

/* ConditionTests.test_wait_for. */
static void test_condition_wait_for(void **state) {
    (void)state;
    assert_int_equal(run_vt(cond_wait_for_main, NULL, NULL), 0);
    checks_assert();
}

static void *cond_notify_main(void *arg) {
    bool all = arg != NULL;
    g_cond = cio_condition_new(NULL, NULL);
    int n = all ? 2 : 3;
    cio_future *t[3];
    for (int i = 0; i < n; i++)
        t[i] = cio_create_task(cond_waiter, IPTR(i + 1));
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 0);
    CHECK_INT(cio_condition_acquire(g_cond), 0);
    if (all) {
        CHECK_INT(cio_condition_notify_all(g_cond), 2);
    } else {
        CHECK_INT(cio_condition_notify(g_cond, 1), 1);
        CHECK_INT(cio_condition_release(g_cond), 0);
        CHECK_INT(cio_sleep(0), 0);
        CHECK_INT(ev_n, 1);
        CHECK_INT(cio_condition_acquire(g_cond), 0);
        CHECK_INT(cio_condition_notify(g_cond, 1), 1);
        CHECK_INT(cio_condition_notify(g_cond, 2048), 1);
    }
    CHECK_INT(cio_condition_release(g_cond), 0);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, n);
    for (int i = 0; i < n; i++)
        CHECK_INT(cio_await(t[i], NULL), 0);
    cio_release_all(t, (size_t)n);
    CHECK_INT(cio_condition_free(g_cond), 0);
    return NULL;
}

/* ConditionTests.test_notify: notify(1), then notify(1) and notify(2048)
 * (which wakes only the one left). */
static void test_condition_notify(void **state) {
    (void)state;
    assert_int_equal(run_vt(cond_notify_main, NULL, NULL), 0);
    checks_assert();
    ev_assert(1, 2, 3);
}

/* ConditionTests.test_notify_all. */
static void test_condition_notify_all(void **state) {
    (void)state;
    assert_int_equal(run_vt(cond_notify_main, IPTR(1), NULL), 0);
    checks_assert();
    ev_assert(1, 2);
}

static void *cond_explicit_lock_main(void *arg) {
    (void)arg;
    cio_lock *lock = cio_lock_new(NULL);
    cio_condition *c = cio_condition_new(NULL, lock);
    CHECK_PTR(cio_condition_lock(c), lock);
    CHECK(!cio_lock_locked(lock) && !cio_condition_locked(c));
    CHECK_INT(cio_condition_acquire(c), 0);
    CHECK(cio_lock_locked(lock) && cio_condition_locked(c));
    CHECK_INT(cio_lock_release(lock), 0); /* the same lock */
    CHECK(!cio_condition_locked(c));
    CHECK_INT(cio_lock_acquire(lock), 0);
    CHECK(cio_condition_locked(c));
    CHECK_INT(cio_condition_release(c), 0);
    CHECK_INT(cio_condition_free(c), 0);
    CHECK_INT(cio_lock_free(lock), 0); /* not freed with the condition */
    return NULL;
}

/* ConditionTests.test_explicit_lock: a condition over a given lock. */
static void test_condition_explicit_lock(void **state) {
    (void)state;
    assert_int_equal(run_vt(cond_explicit_lock_main, NULL, NULL), 0);
    checks_assert();
}

static void *cond_pass_on_main(void *arg) {
    (void)arg;
    g_cond = cio_condition_new(NULL, NULL);
    cio_future *a = cio_create_task(cond_waiter, IPTR(1));
    cio_future *b = cio_create_task(cond_waiter, IPTR(2));
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_condition_acquire(g_cond), 0);
    CHECK_INT(cio_condition_notify(g_cond, 1), 1); /* wakes a */
    CHECK_INT(cio_cancel(a, NULL), 1);             /* before it runs */
    CHECK_INT(cio_condition_release(g_cond), 0);
    CHECK_INT(cio_await(a, NULL), CIO_ECANCELED);
    CHECK_INT(cio_await(b, NULL), 0); /* got the notification a lost */
    cio_release(a);
    cio_release(b);
    CHECK_INT(cio_condition_free(g_cond), 0);
    return NULL;
}

/* asyncio's Condition.wait (3.12+): a waiter notified and then cancelled
 * notifies another one, so the notification is not lost. */
static void test_condition_cancelled_waiter_passes_notification(void **state) {
    (void)state;
    assert_int_equal(run_vt(cond_pass_on_main, NULL, NULL), 0);
    checks_assert();
    ev_assert(2);
}

/* ---- Semaphore ---------------------------------------------------------- */

static cio_semaphore *g_sem;

static void *sem_acquirer(void *arg) {
    int rc = cio_semaphore_acquire(g_sem);
    if (rc == 0)
        ev_log(PINT(arg));
    return rc ? cio_raise(rc, NULL) : IPTR(1);
}

static void *sem_acquire_main(void *arg) {
    (void)arg;
    g_sem = cio_semaphore_new(NULL, 3);
    CHECK_INT(cio_semaphore_acquire(g_sem), 0);
    CHECK_INT(cio_semaphore_acquire(g_sem), 0);
    CHECK(!cio_semaphore_locked(g_sem));
    cio_future *t[4];
    for (int i = 0; i < 3; i++)
        t[i] = cio_create_task(sem_acquirer, IPTR(i + 1));
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 1);
    CHECK(cio_semaphore_locked(g_sem));
    CHECK_INT(cio_semaphore_value(g_sem), 0);
    t[3] = cio_create_task(sem_acquirer, IPTR(4));
    CHECK_INT(cio_semaphore_release(g_sem), 0);
    CHECK_INT(cio_semaphore_release(g_sem), 0);
    CHECK_INT(cio_semaphore_value(g_sem), 0); /* promised to t2, t3 */
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_semaphore_value(g_sem), 0);
    CHECK_INT(ev_n, 3);
    CHECK(cio_semaphore_locked(g_sem));
    CHECK(cio_future_done(t[0]));
    int done = 0;
    for (int i = 1; i < 4; i++)
        done += cio_future_done(t[i]);
    CHECK_INT(done, 2);
    CHECK(!cio_future_done(t[3])); /* cio: FIFO, so the newcomer waits */
    CHECK_INT(cio_semaphore_release(g_sem), 0);
    for (int i = 0; i < 4; i++)
        CHECK_INT(cio_await(t[i], NULL), 0);
    cio_release_all(t, 4);
    CHECK_INT(cio_semaphore_free(g_sem), 0);
    return NULL;
}

/* SemaphoreTests.test_acquire. */
static void test_semaphore_acquire(void **state) {
    (void)state;
    assert_int_equal(run_vt(sem_acquire_main, NULL, NULL), 0);
    checks_assert();
    ev_assert(1, 2, 3, 4);
}

static void *sem_acquire_cancel_main(void *arg) {
    (void)arg;
    g_sem = cio_semaphore_new(NULL, 1);
    CHECK_INT(cio_semaphore_acquire(g_sem), 0);
    cio_future *t = cio_create_task(sem_acquirer, IPTR(1));
    CHECK_INT(cio_call_soon(NULL, cancel_cb, t, NULL), 0);
    CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
    cio_release(t);
    CHECK_INT(cio_semaphore_free(g_sem), 0); /* no waiter left behind */
    return NULL;
}

/* SemaphoreTests.test_acquire_cancel. */
static void test_semaphore_acquire_cancel(void **state) {
    (void)state;
    assert_int_equal(run_vt(sem_acquire_cancel_main, NULL, NULL), 0);
    checks_assert();
}

static void *sem_cancel_before_awoken_main(void *arg) {
    (void)arg;
    g_sem = cio_semaphore_new(NULL, 0);
    CHECK(cio_semaphore_locked(g_sem)); /* test_initial_value_zero */
    cio_future *t[4];
    for (int i = 0; i < 4; i++)
        t[i] = cio_create_task(sem_acquirer, IPTR(i + 1));
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_cancel(t[0], NULL), 1);
    CHECK_INT(cio_cancel(t[1], NULL), 1);
    CHECK_INT(cio_semaphore_release(g_sem), 0);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_sleep(0), 0);
    CHECK(cio_future_done(t[2]));
    CHECK(!cio_future_done(t[3]));
    CHECK_INT(cio_cancel(t[3], NULL), 1);
    CHECK_INT(cio_sleep(0), 0);
    CHECK(cio_future_cancelled(t[3]));
    cio_release_all(t, 4);
    CHECK_INT(cio_semaphore_free(g_sem), 0);
    return NULL;
}

/* SemaphoreTests.test_acquire_cancel_before_awoken, test_acquire_hang and
 * test_initial_value_zero: a release skips waiters already cancelled. */
static void test_semaphore_acquire_cancel_before_awoken(void **state) {
    (void)state;
    assert_int_equal(run_vt(sem_cancel_before_awoken_main, NULL, NULL), 0);
    checks_assert();
    ev_assert(3);
}

static cio_future *g_t2;
static void *no_hang_c1(void *arg) {
    (void)arg;
    CHECK_INT(cio_semaphore_acquire(g_sem), 0);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_semaphore_release(g_sem), 0);
    cio_cancel(g_t2, NULL); /* woken, then cancelled before it runs */
    return NULL;
}

static void *sem_no_hang_main(void *arg) {
    (void)arg;
    g_sem = cio_semaphore_new(NULL, 1);
    cio_future *t1 = cio_create_task(no_hang_c1, NULL);
    g_t2 = cio_create_task(sem_acquirer, IPTR(2));
    CHECK_INT(cio_await(t1, NULL), 0);
    CHECK_INT(cio_await(g_t2, NULL), CIO_ECANCELED);
    CHECK_INT(cio_semaphore_value(g_sem), 1);   /* the unit came back */
    CHECK_INT(cio_semaphore_acquire(g_sem), 0); /* and no hang */
    CHECK_INT(cio_semaphore_release(g_sem), 0);
    cio_release(t1);
    cio_release(g_t2);
    CHECK_INT(cio_semaphore_free(g_sem), 0);
    return NULL;
}

/* SemaphoreTests.test_acquire_no_hang. */
static void test_semaphore_acquire_no_hang(void **state) {
    (void)state;
    assert_int_equal(run_vt(sem_no_hang_main, NULL, NULL), 0);
    checks_assert();
    assert_int_equal(ev_n, 0);
}

static void *sem_bounded_main(void *arg) {
    (void)arg;
    g_sem = cio_bounded_semaphore_new(NULL, 1);
    CHECK_INT(cio_semaphore_release(g_sem), CIO_EOVERRELEASE);
    CHECK_INT(cio_semaphore_acquire(g_sem), 0);
    CHECK(cio_semaphore_locked(g_sem));
    CHECK_INT(cio_semaphore_release(g_sem), 0);
    CHECK(!cio_semaphore_locked(g_sem));
    /* (cio) a unit promised to a woken waiter still counts */
    CHECK_INT(cio_semaphore_acquire(g_sem), 0);
    cio_future *t = cio_create_task(sem_acquirer, IPTR(1));
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_semaphore_release(g_sem), 0); /* to t, not run yet */
    CHECK_INT(cio_semaphore_release(g_sem), CIO_EOVERRELEASE);
    CHECK_INT(cio_await(t, NULL), 0);
    CHECK_INT(cio_semaphore_release(g_sem), 0);
    cio_release(t);
    CHECK_INT(cio_semaphore_free(g_sem), 0);
    /* test_semaphore_value: a negative value */
    CHECK(cio_semaphore_new(NULL, -1) == NULL);
    CHECK_INT(cio_last_error(), CIO_EINVAL);
    CHECK(cio_bounded_semaphore_new(NULL, -1) == NULL);
    return NULL;
}

/* SemaphoreTests.test_release_not_acquired, test_release_no_waiters,
 * test_semaphore_value. */
static void test_semaphore_bounded(void **state) {
    (void)state;
    assert_int_equal(run_vt(sem_bounded_main, NULL, NULL), 0);
    checks_assert();
}

static void *fifo_coro(void *arg) {
    int tag = PINT(arg);
    for (int round = 1; round <= 2; round++) {
        CHECK_INT(cio_semaphore_acquire(g_sem), 0);
        ev_log(tag * 10 + round);
        CHECK_INT(cio_sleep(0.01), 0);
        CHECK_INT(cio_semaphore_release(g_sem), 0);
    }
    return NULL;
}

static void *sem_fifo_main(void *arg) {
    (void)arg;
    g_sem = cio_semaphore_new(NULL, 1);
    cio_future *t[3];
    for (int i = 0; i < 3; i++)
        t[i] = cio_create_task(fifo_coro, IPTR(i + 1));
    for (int i = 0; i < 3; i++)
        CHECK_INT(cio_await(t[i], NULL), 0);
    cio_release_all(t, 3);
    CHECK_INT(cio_semaphore_free(g_sem), 0);
    return NULL;
}

/* SemaphoreTests.test_acquire_fifo_order. */
static void test_semaphore_fifo_order(void **state) {
    (void)state;
    assert_int_equal(run_vt(sem_fifo_main, NULL, NULL), 0);
    checks_assert();
    ev_assert(11, 21, 31, 12, 22, 32);
}

static void *fifo2_c2(void *arg) {
    (void)arg;
    CHECK_INT(cio_semaphore_acquire(g_sem), 0);
    ev_log(2);
    CHECK_INT(cio_semaphore_release(g_sem), 0);
    CHECK_INT(cio_semaphore_acquire(g_sem), 0);
    ev_log(4);
    return NULL;
}

static void *sem_fifo2_main(void *arg) {
    (void)arg;
    g_sem = cio_semaphore_new(NULL, 1);
    cio_future *t[3];
    t[0] = cio_create_task(sem_acquirer, IPTR(1));
    t[1] = cio_create_task(fifo2_c2, NULL);
    t[2] = cio_create_task(sem_acquirer, IPTR(3));
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_semaphore_release(g_sem), 0);
    CHECK_INT(cio_semaphore_release(g_sem), 0);
    for (int i = 0; i < 3; i++)
        CHECK_INT(cio_await(t[i], NULL), 0);
    cio_release_all(t, 3);
    CHECK_INT(cio_semaphore_free(g_sem), 0);
    return NULL;
}

/* SemaphoreTests.test_acquire_fifo_order_2: c2 releases and re-acquires,
 * and queues behind c3. */
static void test_semaphore_fifo_order_2(void **state) {
    (void)state;
    assert_int_equal(run_vt(sem_fifo2_main, NULL, NULL), 0);
    checks_assert();
    ev_assert(1, 2, 3, 4);
}

static void *sem_fifo3_main(void *arg) {
    (void)arg;
    g_sem = cio_semaphore_new(NULL, 0);
    cio_future *t[3];
    for (int i = 0; i < 3; i++)
        t[i] = cio_create_task(sem_acquirer, IPTR(i + 1));
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_cancel(t[0], NULL), 1);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_semaphore_release(g_sem), 0);
    CHECK_INT(cio_semaphore_release(g_sem), 0);
    CHECK_INT(cio_await(t[0], NULL), CIO_ECANCELED);
    CHECK_INT(cio_await(t[1], NULL), 0);
    CHECK_INT(cio_await(t[2], NULL), 0);
    cio_release_all(t, 3);
    CHECK_INT(cio_semaphore_free(g_sem), 0);
    return NULL;
}

/* SemaphoreTests.test_acquire_fifo_order_3. */
static void test_semaphore_fifo_order_3(void **state) {
    (void)state;
    assert_int_equal(run_vt(sem_fifo3_main, NULL, NULL), 0);
    checks_assert();
    ev_assert(2, 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_condition_wait),
        CIO_TEST(test_condition_wait_cancel),
        CIO_TEST(test_condition_wait_cancel_contested),
        CIO_TEST(test_condition_wait_cancel_after_notify),
        CIO_TEST(test_condition_unacquired),
        CIO_TEST(test_condition_wait_for),
        CIO_TEST(test_condition_notify),
        CIO_TEST(test_condition_notify_all),
        CIO_TEST(test_condition_explicit_lock),
        CIO_TEST(test_condition_cancelled_waiter_passes_notification),
        CIO_TEST(test_semaphore_acquire),
        CIO_TEST(test_semaphore_acquire_cancel),
        CIO_TEST(test_semaphore_acquire_cancel_before_awoken),
        CIO_TEST(test_semaphore_acquire_no_hang),
        CIO_TEST(test_semaphore_bounded),
        CIO_TEST(test_semaphore_fifo_order),
        CIO_TEST(test_semaphore_fifo_order_2),
        CIO_TEST(test_semaphore_fifo_order_3),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
