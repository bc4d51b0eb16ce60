/* Unit tests: misuse of sync.h never aborts. NULL objects, suspending
 * outside a task, objects of another loop, of another thread, of a closed
 * loop, closing objects tasks wait on (a condition a task is still inside
 * included), bad constructor arguments, a semaphore at LONG_MAX, the error
 * sentences. */
#include "../cio_test.h"
#include "../thread_helpers.h"
#include "sync/internal.h"

#include <limits.h>

static void test_null_objects(void **state) {
    (void)state;
    void *item = IPTR(1);
    assert_int_equal(cio_lock_acquire(NULL), CIO_EINVAL);
    assert_int_equal(cio_lock_try_acquire(NULL), CIO_EINVAL);
    assert_int_equal(cio_lock_release(NULL), CIO_EINVAL);
    assert_false(cio_lock_locked(NULL));
    assert_int_equal(cio_event_set(NULL), CIO_EINVAL);
    assert_int_equal(cio_event_clear(NULL), CIO_EINVAL);
    assert_int_equal(cio_event_wait(NULL), CIO_EINVAL);
    assert_false(cio_event_is_set(NULL));
    assert_int_equal(cio_condition_wait(NULL), CIO_EINVAL);
    assert_int_equal(cio_condition_acquire(NULL), CIO_EINVAL);
    assert_int_equal(cio_condition_release(NULL), CIO_EINVAL);
    assert_int_equal(cio_condition_notify(NULL, 1), CIO_EINVAL);
    assert_int_equal(cio_condition_notify_all(NULL), CIO_EINVAL);
    assert_null(cio_condition_lock(NULL));
    assert_int_equal(cio_semaphore_acquire(NULL), CIO_EINVAL);
    assert_int_equal(cio_semaphore_try_acquire(NULL), CIO_EINVAL);
    assert_int_equal(cio_semaphore_release(NULL), CIO_EINVAL);
    assert_int_equal(cio_semaphore_value(NULL), 0);
    assert_int_equal(cio_barrier_wait(NULL), CIO_EINVAL);
    assert_int_equal(cio_barrier_reset(NULL), CIO_EINVAL);
    assert_int_equal(cio_barrier_abort(NULL), CIO_EINVAL);
    assert_int_equal(cio_barrier_parties(NULL), 0);
    assert_int_equal(cio_queue_put(NULL, NULL), CIO_EINVAL);
    assert_int_equal(cio_queue_get(NULL, &item), CIO_EINVAL);
    assert_null(item);
    assert_int_equal(cio_queue_put_nowait(NULL, NULL), CIO_EINVAL);
    assert_int_equal(cio_queue_get_nowait(NULL, &item), CIO_EINVAL);
    assert_int_equal(cio_queue_task_done(NULL), CIO_EINVAL);
    assert_int_equal(cio_queue_join(NULL), CIO_EINVAL);
    assert_int_equal(cio_queue_shutdown(NULL, true), CIO_EINVAL);
    assert_int_equal(cio_queue_qsize(NULL), 0);
    assert_true(cio_queue_empty(NULL));
    assert_false(cio_queue_full(NULL));
    /* free(NULL) is fine, as free() */
    assert_int_equal(cio_lock_free(NULL), 0);
    assert_int_equal(cio_event_free(NULL), 0);
    assert_int_equal(cio_condition_free(NULL), 0);
    assert_int_equal(cio_semaphore_free(NULL), 0);
    assert_int_equal(cio_barrier_free(NULL), 0);
    assert_int_equal(cio_queue_free(NULL), 0);
}

static void test_constructors_without_a_loop(void **state) {
    (void)state;
    assert_null(cio_get_loop());
    assert_null(cio_lock_new(NULL));
    assert_int_equal(cio_last_error(), CIO_ENOLOOP);
    assert_null(cio_event_new(NULL));
    assert_null(cio_condition_new(NULL, NULL));
    assert_null(cio_semaphore_new(NULL, 1));
    assert_null(cio_barrier_new(NULL, 1));
    assert_null(cio_queue_new(0));
    assert_int_equal(cio_last_error(), CIO_ENOLOOP);
    assert_non_null(strstr(cio_last_error_message(), "cio_queue_new"));
}

static void *bad_args_main(void *arg) {
    (void)arg;
    CHECK(cio_priority_queue_new(0, NULL, NULL) == NULL);
    CHECK_INT(cio_last_error(), CIO_EINVAL);
    CHECK(cio_queue_new_ex(NULL, NULL) == NULL);
    CHECK(cio_queue_new_ex(NULL, &(cio_queue_options){.kind = 7}) == NULL);
    CHECK(cio_semaphore_new(NULL, -1) == NULL);
    CHECK(cio_barrier_new(NULL, 0) == NULL);
    cio_queue *q = cio_queue_new(0);
    CHECK_INT(cio_queue_get_nowait(q, NULL), CIO_EINVAL);
    CHECK_INT(cio_queue_get(q, NULL), CIO_EINVAL);
    CHECK_INT(cio_queue_free(q), 0);
    cio_condition *c = cio_condition_new(NULL, NULL);
    CHECK_INT(cio_condition_acquire(c), 0);
    CHECK_INT(cio_condition_notify(c, -1), CIO_EINVAL);
    CHECK_INT(cio_condition_wait_for(c, NULL, NULL), CIO_EINVAL);
    CHECK_INT(cio_condition_release(c), 0);
    CHECK_INT(cio_condition_free(c), 0);
    return NULL;
}

static void test_bad_arguments(void **state) {
    (void)state;
    assert_int_equal(run_vt(bad_args_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- outside a task ----------------------------------------------------- */

static cio_lock *g_lock;
static cio_queue *g_q;
static cio_event *g_ev;
static int g_cb_rc[8];

static void cb_misuse(void *arg) {
    (void)arg;
    void *item;
    g_cb_rc[0] = cio_lock_acquire(g_lock);
    g_cb_rc[1] = cio_queue_get(g_q, &item);
    g_cb_rc[2] = cio_queue_put(g_q, NULL);
    g_cb_rc[3] = cio_event_wait(g_ev);
    /* non-suspending calls are fine in a callback of the loop */
    g_cb_rc[4] = cio_queue_put_nowait(g_q, IPTR(3));
    g_cb_rc[5] = cio_lock_try_acquire(g_lock); /* owner: no task */
    g_cb_rc[6] = cio_lock_release(g_lock);
    g_cb_rc[7] = cio_event_set(g_ev);
}

static void *callback_main(void *arg) {
    (void)arg;
    g_lock = cio_lock_new(NULL);
    g_q = cio_queue_new(0);
    g_ev = cio_event_new(NULL);
    CHECK_INT(cio_call_soon(NULL, cb_misuse, NULL, NULL), 0);
    CHECK_INT(cio_event_wait(g_ev), 0);
    void *item = NULL;
    CHECK_INT(cio_queue_get(g_q, &item), 0);
    CHECK_INT(PINT(item), 3);
    CHECK_INT(cio_lock_free(g_lock), 0);
    CHECK_INT(cio_queue_free(g_q), 0);
    CHECK_INT(cio_event_free(g_ev), 0);
    return NULL;
}

static void test_suspending_in_a_callback(void **state) {
    (void)state;
    assert_int_equal(run_vt(callback_main, NULL, NULL), 0);
    checks_assert();
    int want[] = {CIO_ENOTASK, CIO_ENOTASK, CIO_ENOTASK, CIO_ENOTASK,
                  0,           1,           0,           0};
    for (int i = 0; i < 8; i++)
        assert_int_equal(g_cb_rc[i], want[i]);
}

/* ---- objects of another loop, of a closed loop --------------------------- */

static cio_loop *g_other;
static cio_lock *g_olock;
static cio_semaphore *g_osem;
static cio_barrier *g_obar;
static cio_condition *g_ocond;

static void *wrong_loop_main(void *arg) {
    (void)arg;
    void *item;
    CHECK_INT(cio_lock_acquire(g_olock), CIO_EWRONGLOOP);
    CHECK_INT(cio_lock_try_acquire(g_olock), CIO_EWRONGLOOP);
    CHECK_INT(cio_lock_release(g_olock), CIO_EWRONGLOOP);
    CHECK_INT(cio_event_wait(g_ev), CIO_EWRONGLOOP);
    CHECK_INT(cio_event_set(g_ev), CIO_EWRONGLOOP);
    CHECK_INT(cio_event_clear(g_ev), CIO_EWRONGLOOP);
    CHECK_INT(cio_semaphore_acquire(g_osem), CIO_EWRONGLOOP);
    CHECK_INT(cio_semaphore_release(g_osem), CIO_EWRONGLOOP);
    CHECK_INT(cio_barrier_wait(g_obar), CIO_EWRONGLOOP);
    CHECK_INT(cio_barrier_abort(g_obar), CIO_EWRONGLOOP);
    CHECK_INT(cio_condition_wait(g_ocond), CIO_EWRONGLOOP);
    CHECK_INT(cio_condition_notify(g_ocond, 1), CIO_EWRONGLOOP);
    CHECK_INT(cio_queue_put(g_q, NULL), CIO_EWRONGLOOP);
    CHECK_INT(cio_queue_get(g_q, &item), CIO_EWRONGLOOP);
    CHECK_INT(cio_queue_put_nowait(g_q, NULL), CIO_EWRONGLOOP);
    CHECK_INT(cio_queue_get_nowait(g_q, &item), CIO_EWRONGLOOP);
    CHECK_INT(cio_queue_task_done(g_q), CIO_EWRONGLOOP);
    CHECK_INT(cio_queue_join(g_q), CIO_EWRONGLOOP);
    CHECK_INT(cio_queue_shutdown(g_q, false), CIO_EWRONGLOOP);
    /* a condition cannot mix loops */
    cio_lock *mine = cio_lock_new(NULL);
    CHECK(cio_condition_new(g_other, mine) == NULL);
    CHECK_INT(cio_last_error(), CIO_EWRONGLOOP);
    CHECK_INT(cio_lock_free(mine), 0);
    return NULL;
}

static void test_wrong_and_closed_loop(void **state) {
    (void)state;
    g_other = cio_loop_new(NULL);
    g_olock = cio_lock_new(g_other);
    g_ev = cio_event_new(g_other);
    g_osem = cio_semaphore_new(g_other, 1);
    g_obar = cio_barrier_new(g_other, 2);
    g_ocond = cio_condition_new(NULL, g_olock); /* the lock's loop */
    g_q = cio_queue_new_ex(g_other, &(cio_queue_options){0});
    assert_non_null(g_q);
    assert_non_null(g_ocond);
    /* cio_run makes its own loop: everything above is of another loop */
    assert_int_equal(run_vt(wrong_loop_main, NULL, NULL), 0);
    checks_assert();
    /* on the loop's thread, no loop running: setting up is allowed */
    assert_int_equal(cio_queue_put_nowait(g_q, IPTR(1)), 0);
    assert_int_equal(cio_event_set(g_ev), 0);
    assert_int_equal(cio_lock_try_acquire(g_olock), 1);
    assert_int_equal(cio_lock_release(g_olock), 0);
    assert_int_equal(cio_lock_acquire(g_olock), CIO_ENOTASK);
    /* once the loop is closed: CIO_ELOOPCLOSED, and free still works */
    assert_int_equal(cio_loop_close(g_other), 0);
    void *item;
    assert_int_equal(cio_queue_put_nowait(g_q, NULL), CIO_ELOOPCLOSED);
    assert_int_equal(cio_queue_get_nowait(g_q, &item), CIO_ELOOPCLOSED);
    assert_int_equal(cio_event_set(g_ev), CIO_ELOOPCLOSED);
    assert_int_equal(cio_lock_try_acquire(g_olock), CIO_ELOOPCLOSED);
    assert_int_equal(cio_semaphore_release(g_osem), CIO_ELOOPCLOSED);
    assert_int_equal(cio_barrier_reset(g_obar), CIO_ELOOPCLOSED);
    assert_int_equal(cio_queue_qsize(g_q), 1); /* inspection still works */
    assert_int_equal(cio_condition_free(g_ocond), 0);
    assert_int_equal(cio_lock_free(g_olock), 0);
    assert_int_equal(cio_event_free(g_ev), 0);
    assert_int_equal(cio_semaphore_free(g_osem), 0);
    assert_int_equal(cio_barrier_free(g_obar), 0);
    assert_int_equal(cio_queue_free(g_q), 0);
}

/* The suspending calls on objects of a closed loop say CIO_ELOOPCLOSED, as
 * the others do (the header's promise), from a task of a new loop and from
 * outside any task alike: the closed loop is named first. */
static bool never_true(void *arg) {
    (void)arg;
    return false;
}

static void *closed_loop_main(void *arg) {
    (void)arg;
    void *item = IPTR(1);
    CHECK_INT(cio_lock_acquire(g_olock), CIO_ELOOPCLOSED);
    CHECK_INT(cio_event_wait(g_ev), CIO_ELOOPCLOSED);
    CHECK_INT(cio_semaphore_acquire(g_osem), CIO_ELOOPCLOSED);
    CHECK_INT(cio_barrier_wait(g_obar), CIO_ELOOPCLOSED);
    CHECK_INT(cio_condition_wait(g_ocond), CIO_ELOOPCLOSED);
    CHECK_INT(cio_condition_wait_for(g_ocond, never_true, NULL),
              CIO_ELOOPCLOSED);
    CHECK_INT(cio_queue_put(g_q, NULL), CIO_ELOOPCLOSED);
    CHECK_INT(cio_queue_get(g_q, &item), CIO_ELOOPCLOSED);
    CHECK_PTR(item, NULL);
    CHECK_INT(cio_queue_join(g_q), CIO_ELOOPCLOSED);
    return NULL;
}

static void test_closed_loop_suspending_calls(void **state) {
    (void)state;
    g_other = cio_loop_new(NULL);
    g_olock = cio_lock_new(g_other);
    g_ev = cio_event_new(g_other);
    g_osem = cio_semaphore_new(g_other, 0);
    g_obar = cio_barrier_new(g_other, 2);
    g_ocond = cio_condition_new(g_other, NULL);
    g_q = cio_queue_new_ex(g_other, &(cio_queue_options){.maxsize = 1});
    assert_int_equal(cio_queue_put_nowait(g_q, NULL), 0); /* full, unfinished */
    assert_int_equal(cio_loop_close(g_other), 0);
    assert_int_equal(run_vt(closed_loop_main, NULL, NULL), 0);
    checks_assert();
    assert_int_equal(cio_lock_acquire(g_olock), CIO_ELOOPCLOSED);
    assert_int_equal(cio_event_wait(g_ev), CIO_ELOOPCLOSED);
    assert_int_equal(cio_condition_free(g_ocond), 0);
    assert_int_equal(cio_lock_free(g_olock), 0);
    assert_int_equal(cio_event_free(g_ev), 0);
    assert_int_equal(cio_semaphore_free(g_osem), 0);
    assert_int_equal(cio_barrier_free(g_obar), 0);
    assert_int_equal(cio_queue_free(g_q), 0);
}

/* Objects belong to their loop's thread (not to the thread that happens to
 * create them): a loop of another thread gets none (CIO_EWRONGLOOP), and
 * the calls that do not suspend refuse every thread but the loop's, even
 * while no loop runs anywhere. */
static gate g_made, g_done;
static cio_loop *g_tloop;
static cio_event *g_tev;

static void *loop_thread(void *arg) {
    (void)arg;
    g_tloop = cio_loop_new(NULL);
    g_tev = cio_event_new(g_tloop);
    gate_pass(&g_made);
    gate_pass(&g_done);
    CHECK_INT(cio_event_free(g_tev), 0);
    CHECK_INT(cio_loop_close(g_tloop), 0);
    return NULL;
}

static void test_objects_of_another_thread(void **state) {
    (void)state;
    gate_init(&g_made);
    gate_init(&g_done);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, loop_thread, NULL), 0);
    gate_arrivals(&g_made, 1);
    assert_non_null(g_tev);
    assert_null(cio_event_new(g_tloop));
    assert_int_equal(cio_last_error(), CIO_EWRONGLOOP);
    assert_null(cio_lock_new(g_tloop));
    assert_null(cio_semaphore_new(g_tloop, 1));
    assert_null(cio_barrier_new(g_tloop, 1));
    assert_null(cio_condition_new(g_tloop, NULL));
    assert_null(cio_queue_new_ex(g_tloop, &(cio_queue_options){0}));
    assert_int_equal(cio_last_error(), CIO_EWRONGLOOP);
    assert_int_equal(cio_event_set(g_tev), CIO_EWRONGLOOP);
    assert_int_equal(cio_event_clear(g_tev), CIO_EWRONGLOOP);
    assert_false(cio_event_is_set(g_tev));
    gate_open(&g_made);
    gate_open(&g_done);
    assert_int_equal(pthread_join(th, NULL), 0);
    gate_destroy(&g_made);
    gate_destroy(&g_done);
    checks_assert();
}

/* ---- freeing what tasks wait on ----------------------------------------- */

static cio_semaphore *g_sem;
static cio_barrier *g_bar;
static cio_condition *g_cond;

static void *wait_lock(void *arg) {
    (void)arg;
    return IPTR(cio_lock_acquire(g_lock));
}
static void *wait_event(void *arg) {
    (void)arg;
    return IPTR(cio_event_wait(g_ev));
}
static void *wait_sem(void *arg) {
    (void)arg;
    return IPTR(cio_semaphore_acquire(g_sem));
}
static void *wait_barrier(void *arg) {
    (void)arg;
    return IPTR(cio_barrier_wait(g_bar));
}
static void *wait_queue(void *arg) {
    (void)arg;
    void *item;
    return IPTR(cio_queue_get(g_q, &item));
}
static void *wait_cond(void *arg) {
    (void)arg;
    CHECK_INT(cio_condition_acquire(g_cond), 0);
    int rc = cio_condition_wait(g_cond);
    if (rc != CIO_ECLOSED) /* closed: the condition is gone */
        CHECK_INT(cio_condition_unlock(g_cond), 0);
    return IPTR(rc);
}

/* Closing an object tasks wait on never fails: each waiter returns
 * CIO_ECLOSED without touching the (freed) object, a woken waiter that has
 * not run yet included, and nothing leaks (ASan, valgrind). */
static void *close_busy_main(void *arg) {
    (void)arg;
    g_lock = cio_lock_new(NULL);
    g_ev = cio_event_new(NULL);
    g_sem = cio_semaphore_new(NULL, 0);
    g_bar = cio_barrier_new(NULL, 2);
    g_q = cio_queue_new(0);
    g_cond = cio_condition_new(NULL, NULL);
    CHECK_INT(cio_lock_acquire(g_lock), 0);
    cio_task_fn fns[] = {wait_lock,    wait_event, wait_sem,
                         wait_barrier, wait_queue, wait_cond};
    cio_future *t[6];
    for (int i = 0; i < 6; i++)
        t[i] = cio_create_task(fns[i], NULL);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_lock_unlock(g_lock), 0); /* woken, not run yet */
    CHECK_INT(cio_lock_close(g_lock), 0);
    CHECK_INT(cio_event_close(g_ev), 0);
    CHECK_INT(cio_semaphore_close(g_sem), 0);
    CHECK_INT(cio_barrier_close(g_bar), 0);
    CHECK_INT(cio_queue_close(g_q), 0);
    CHECK_INT(cio_condition_close(g_cond), 0);
    for (int i = 0; i < 6; i++) {
        void *r = NULL;
        CHECK_INT(cio_await(t[i], &r), 0);
        CHECK_INT((int)(intptr_t)r, CIO_ECLOSED);
    }
    cio_release_all(t, 6);
    return NULL;
}

static void test_close_with_waiters(void **state) {
    (void)state;
    assert_int_equal(run_vt(close_busy_main, NULL, NULL), 0);
    checks_assert();
}

/* A notified task of a condition over an outside lock waits for that lock,
 * no longer on the condition, yet it would use the condition again once it
 * has the lock: closing the condition meanwhile makes its wait return
 * CIO_ECLOSED, without the lock (it unlocks what it re-took). */
static void *wait_cond_outside_lock(void *arg) {
    (void)arg;
    CHECK_INT(cio_lock_acquire(g_lock), 0);
    int rc = cio_condition_wait(g_cond);
    if (rc != CIO_ECLOSED)
        CHECK_INT(cio_lock_unlock(g_lock), 0);
    return IPTR(rc);
}

static void *close_reacquiring_main(void *arg) {
    (void)arg;
    cio_lock lock;
    cio_condition cond;
    CHECK_INT(cio_lock_init(&lock, NULL), 0);
    CHECK_INT(cio_condition_init(&cond, NULL, &lock), 0);
    g_lock = &lock;
    g_cond = &cond;
    cio_future *t = cio_create_task(wait_cond_outside_lock, NULL);
    CHECK_INT(cio_sleep(0), 0); /* t waits on the condition */
    CHECK_INT(cio_lock_acquire(&lock), 0);
    CHECK_INT(cio_condition_notify(&cond, 1), 1);
    CHECK_INT(cio_sleep(0), 0); /* t is back on the lock, which we hold */
    CHECK_INT(cio_condition_close(&cond), 0);
    CHECK_INT(cio_condition_notify(&cond, 1), CIO_ECLOSED);
    CHECK_INT(cio_condition_close(&cond), CIO_ECLOSED);
    CHECK_INT(cio_lock_unlock(&lock), 0);
    void *r = NULL;
    CHECK_INT(cio_await(t, &r), 0);
    CHECK_INT((int)(intptr_t)r, CIO_ECLOSED);
    CHECK(!cio_lock_locked(&lock)); /* t gave it back */
    CHECK_INT(cio_lock_close(&lock), 0);
    cio_release(t);
    return NULL;
}

static void test_close_condition_while_reacquiring(void **state) {
    (void)state;
    assert_int_equal(run_vt(close_reacquiring_main, NULL, NULL), 0);
    checks_assert();
}

static void *leave_a_getter(void *arg) {
    (void)arg;
    cio_release(cio_create_task(wait_queue, NULL));
    CHECK_INT(cio_sleep(0), 0);
    return NULL;
}

/* A loop closed with a task still waiting: the task is abandoned (and
 * reported), and the queue can be closed afterwards; nothing leaks (a
 * parked task holds no memory of its own). */
static void test_close_after_loop_close_with_waiter(void **state) {
    (void)state;
    cio_loop *loop = cio_loop_new(vt_opts());
    g_q = cio_queue_new_ex(loop, &(cio_queue_options){0});
    diag_capture();
    assert_int_equal(
        cio_loop_run_until_complete(loop, leave_a_getter, NULL, NULL), 0);
    assert_int_equal(cio_loop_close(loop), 0);
    diag_restore();
    assert_int_equal(diag_count("destroyed but it is pending"), 1);
    assert_int_equal(cio_queue_close(g_q), 0);
    checks_assert();
}

/* An unbounded semaphore's value is a long: a release at LONG_MAX is
 * refused (CIO_EOVERRELEASE) instead of overflowing, and the semaphore
 * stays usable. */
static void test_semaphore_release_at_long_max(void **state) {
    (void)state;
    cio_loop *loop = cio_loop_new(NULL);
    cio_semaphore *s = cio_semaphore_new(loop, LONG_MAX);
    cio_semaphore *b = cio_bounded_semaphore_new(loop, LONG_MAX);
    assert_int_equal(cio_semaphore_release(s), CIO_EOVERRELEASE);
    assert_int_equal(cio_semaphore_value(s), LONG_MAX);
    assert_false(cio_semaphore_locked(s));
    assert_int_equal(cio_semaphore_try_acquire(s), 1);
    assert_int_equal(cio_semaphore_release(s), 0);
    assert_int_equal(cio_semaphore_release(s), CIO_EOVERRELEASE);
    assert_int_equal(cio_semaphore_release(b), CIO_EOVERRELEASE);
    assert_int_equal(cio_semaphore_free(s), 0);
    assert_int_equal(cio_semaphore_free(b), 0);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void test_error_sentences(void **state) {
    (void)state;
    int codes[] = {CIO_EQUEUEFULL,     CIO_EQUEUEEMPTY, CIO_EQUEUESHUTDOWN,
                   CIO_EBROKENBARRIER, CIO_ENOTLOCKED,  CIO_ENOTOWNER,
                   CIO_EOVERRELEASE};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        assert_true(codes[i] <= -10200 && codes[i] > -10300);
        const char *s = cio_strerror(codes[i]);
        assert_string_not_equal(s, "unknown error");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(s, cio_strerror(codes[j]));
    }
    assert_string_equal(cio_strerror(-10299), "unknown error");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_null_objects),
        CIO_TEST(test_constructors_without_a_loop),
        CIO_TEST(test_bad_arguments),
        CIO_TEST(test_suspending_in_a_callback),
        CIO_TEST(test_wrong_and_closed_loop),
        CIO_TEST(test_closed_loop_suspending_calls),
        CIO_TEST(test_objects_of_another_thread),
        CIO_TEST(test_close_with_waiters),
        CIO_TEST(test_close_condition_while_reacquiring),
        CIO_TEST(test_close_after_loop_close_with_waiter),
        CIO_TEST(test_semaphore_release_at_long_max),
        CIO_TEST(test_error_sentences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
