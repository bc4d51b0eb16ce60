/* Unit tests: bad input to the combinators. Empty arrays, NULL arrays and
 * entries, the calling task in its own set, futures of another loop,
 * negative and NaN timeouts, calls outside a task, a task group used after
 * it closed, a group or an iterator freed while a task waits in it, an
 * iterator of a closed loop, a timer that cannot be set: each returns its
 * documented error, has no effect, and leaks nothing (the suite runs under
 * valgrind and LeakSanitizer). */
#include "../cio_test.h"
#include "../combine_util.h"

#include <pthread.h>

static cio_loop *g_other;
static cio_future *g_foreign;

/* A pending future of another (open) loop. */
static void other_loop_new(void) {
    g_other = cio_loop_new(NULL);
    CHECK(g_other != NULL);
    g_foreign = cio_future_new(g_other);
    CHECK(g_foreign != NULL);
}

static void other_loop_free(void) {
    cio_release(g_foreign);
    CHECK_INT(cio_loop_close(g_other), 0);
}

static void *gather_bad(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 1, .value = 1};
    cio_future *t = spawn(&a);
    cio_future *self = cio_current_task();
    void *r[2] = {IPTR(1), IPTR(1)};

    CHECK_INT(cio_gather(NULL, 2, NULL), CIO_EINVAL);
    CHECK_INT(cio_gather(((cio_future *[]){t, NULL}), 2, r), CIO_EINVAL);
    CHECK(r[0] == NULL && r[1] == NULL); /* results cleared all the same */
    CHECK_INT(cio_gather(((cio_future *[]){t, self}), 2, NULL), CIO_EINVAL);
    CHECK_INT(cio_gather_ex(&t, 1, NULL, 0x40), CIO_EINVAL);
    other_loop_new();
    CHECK_INT(cio_gather(((cio_future *[]){t, g_foreign}), 2, NULL),
              CIO_EWRONGLOOP);
    CHECK(cio_gather_future(((cio_future *[]){t, g_foreign}), 2, 0) == NULL);
    CHECK_INT(cio_last_error(), CIO_EWRONGLOOP);
    CHECK(cio_gather_future(((cio_future *[]){t, NULL}), 2, 0) == NULL);
    CHECK_INT(cio_last_error(), CIO_EINVAL);
    CHECK(cio_gather_future(&t, 1, 0x40) == NULL);
    CHECK_INT(cio_last_error(), CIO_EINVAL);
    other_loop_free();
    CHECK(!cio_future_done(t) && cio_task_cancelling(t) == 0); /* untouched */
    CHECK_INT(cio_gather(&t, 1, NULL), 0);
    cio_release(t);
    return NULL;
}

static void test_gather_bad_input(void **state) {
    (void)state;
    RUN(gather_bad, NULL);
}

static void *wait_bad(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 1};
    cio_future *t = spawn(&a);
    cio_future *f[2] = {t, NULL};
    CHECK_INT(cio_wait(f, 0, CIO_ALL_COMPLETED, CIO_NO_TIMEOUT), CIO_EINVAL);
    CHECK_INT(cio_wait(NULL, 1, CIO_ALL_COMPLETED, CIO_NO_TIMEOUT), CIO_EINVAL);
    CHECK_INT(cio_wait(f, 2, CIO_ALL_COMPLETED, CIO_NO_TIMEOUT), CIO_EINVAL);
    /* (a negative timeout is "time out now": tests/conformance/
     * negative_timeouts.c) */
    CHECK_INT(cio_wait(f, 1, CIO_ALL_COMPLETED, NAN), CIO_EINVAL);
    CHECK_INT(cio_wait(f, 1, (cio_return_when)-1, 1.0), CIO_EINVAL);
    f[1] = cio_current_task();
    CHECK_INT(cio_wait(f, 2, CIO_FIRST_COMPLETED, 1.0), CIO_EINVAL);
    other_loop_new();
    f[1] = g_foreign;
    CHECK_INT(cio_wait(f, 2, CIO_FIRST_COMPLETED, 1.0), CIO_EWRONGLOOP);
    CHECK(f[0] == t && f[1] == g_foreign); /* not partitioned */
    other_loop_free();
    CHECK_INT(cio_wait(&t, 1, CIO_ALL_COMPLETED, CIO_NO_TIMEOUT), 1);
    cio_release(t);
    return NULL;
}

static void test_wait_bad_input(void **state) {
    (void)state;
    RUN(wait_bad, NULL);
}

static void *as_completed_bad(void *arg) {
    (void)arg;
    cio_future *p = cio_future_new(NULL);
    CHECK(cio_as_completed(&p, 1, NAN) == NULL);
    CHECK_INT(cio_last_error(), CIO_EINVAL);
    CHECK(cio_as_completed(NULL, 3, 1) == NULL);
    CHECK_INT(cio_last_error(), CIO_EINVAL);
    CHECK(cio_as_completed(((cio_future *[]){p, NULL}), 2, 1) == NULL);
    CHECK_INT(cio_last_error(), CIO_EINVAL);
    other_loop_new();
    CHECK(cio_as_completed(((cio_future *[]){p, g_foreign}), 2, 1) == NULL);
    CHECK_INT(cio_last_error(), CIO_EWRONGLOOP);
    other_loop_free();
    cio_future *f = IPTR(1);
    CHECK_INT(cio_as_completed_next(NULL, &f), CIO_EINVAL);
    CHECK_PTR(f, NULL);
    cio_as_completed_iter *it = cio_as_completed(&p, 1, CIO_NO_TIMEOUT);
    CHECK_INT(cio_as_completed_next(it, NULL), CIO_EINVAL);
    cio_as_completed_free(it);
    cio_as_completed_free(NULL);
    int err = 1, n = 0;
    cio_foreach_completed(f, ((cio_future *[]){p, NULL}), 2, 1, err) {
        n++;
    }
    CHECK_INT(err, CIO_EINVAL);
    CHECK_INT(n, 0);
    cio_release(p);
    return NULL;
}

static void test_as_completed_bad_input(void **state) {
    (void)state;
    RUN(as_completed_bad, NULL);
}

static void *wait_for_bad(void *arg) {
    (void)arg;
    cio_future *p = cio_future_new(NULL);
    void *r = IPTR(1);
    CHECK_INT(cio_wait_for(NULL, 1, &r), CIO_EINVAL);
    CHECK_PTR(r, NULL);
    CHECK_INT(cio_wait_for(p, NAN, NULL), CIO_EINVAL);
    CHECK_INT(cio_wait_for(cio_current_task(), 1, NULL), CIO_EINVAL);
    other_loop_new();
    CHECK_INT(cio_wait_for(g_foreign, 1, NULL), CIO_EWRONGLOOP);
    other_loop_free();
    CHECK(!cio_future_done(p));
    cio_release(p);
    return NULL;
}

static void test_wait_for_bad_input(void **state) {
    (void)state;
    RUN(wait_for_bad, NULL);
}

static void *timeout_bad(void *arg) {
    (void)arg;
    CHECK(cio_timeout(NAN) == NULL);
    CHECK_INT(cio_last_error(), CIO_EINVAL);
    CHECK(cio_timeout_at(NAN) == NULL);
    CHECK_INT(cio_last_error(), CIO_EINVAL);
    CHECK_INT(cio_timeout_end(NULL, 0), CIO_EINVAL);
    CHECK_INT(cio_timeout_reschedule(NULL, 1), CIO_EINVAL);
    CHECK(isnan(cio_timeout_when(NULL)));
    CHECK(!cio_timeout_expired(NULL));
    cio_timeout_scope *ts = cio_timeout(5);
    CHECK_INT(cio_timeout_reschedule(ts, NAN), CIO_EINVAL);
    CHECK_INT(cio_timeout_end(ts, 0), 0);
    return NULL;
}

static void test_timeout_bad_input(void **state) {
    (void)state;
    RUN(timeout_bad, NULL);
}

/* A scope ended by another task than the one that began it is refused and
 * left alone (its own task ends it). */
static cio_timeout_scope *g_scope;
static int g_end_rc;
static void *end_other(void *arg) {
    (void)arg;
    g_end_rc = cio_timeout_end(g_scope, 0);
    return NULL;
}

static void *timeout_wrong_task(void *arg) {
    (void)arg;
    g_scope = cio_timeout(5);
    cio_future *t = cio_create_task(end_other, NULL);
    CHECK_INT(cio_await(t, NULL), 0);
    CHECK_INT(g_end_rc, CIO_EINVAL);
    CHECK_INT(cio_timeout_end(g_scope, 0), 0);
    cio_release(t);
    return NULL;
}

static void test_timeout_end_from_other_task(void **state) {
    (void)state;
    RUN(timeout_wrong_task, NULL);
}

static void *shield_bad(void *arg) {
    (void)arg;
    CHECK(cio_shield(NULL) == NULL);
    CHECK_INT(cio_last_error(), CIO_EINVAL);
    return NULL;
}

static void test_shield_bad_input(void **state) {
    (void)state;
    RUN(shield_bad, NULL);
}

/* A pending future whose loop has been closed cannot be shielded. */
static void test_shield_closed_loop(void **state) {
    (void)state;
    cio_loop *loop = cio_loop_new(NULL);
    cio_future *f = cio_future_new(loop);
    assert_int_equal(cio_loop_close(loop), 0);
    assert_null(cio_shield(f));
    assert_int_equal(cio_last_error(), CIO_ELOOPCLOSED);
    cio_release(f);
}

static cio_taskgroup *g_group;
static int g_rc;
static void *wait_other(void *arg) {
    (void)arg;
    g_rc = cio_taskgroup_wait(g_group, 0);
    return NULL;
}

static void *taskgroup_bad(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 1};
    cio_future *out = IPTR(1);
    CHECK_INT(cio_taskgroup_spawn(NULL, job_run, &a, &out), CIO_EINVAL);
    CHECK_PTR(out, NULL);
    g_group = cio_taskgroup_new();
    CHECK_INT(cio_taskgroup_spawn(g_group, NULL, &a, NULL), CIO_EINVAL);
    CHECK_INT(cio_taskgroup_wait(NULL, 0), CIO_EINVAL);
    CHECK_INT(cio_taskgroup_errors(NULL, NULL), 0);
    const cio_taskgroup_error *e = IPTR(1);
    CHECK_INT(cio_taskgroup_errors(NULL, &e), 0);
    CHECK_PTR(e, NULL);
    cio_future *t = cio_create_task(wait_other, NULL);
    CHECK_INT(cio_await(t, NULL), 0);
    CHECK_INT(g_rc, CIO_EINVAL); /* not the group's task */
    cio_release(t);
    CHECK_INT(cio_taskgroup_spawn(g_group, job_run, &a, NULL), 0);
    CHECK_INT(cio_taskgroup_wait(g_group, 0), 0);
    /* used after it closed */
    CHECK_INT(cio_taskgroup_spawn(g_group, job_run, &a, &out),
              CIO_EINVALIDSTATE);
    CHECK_PTR(out, NULL);
    CHECK_INT(cio_taskgroup_wait(g_group, 0), CIO_EINVALIDSTATE);
    CHECK_INT(cio_taskgroup_errors(g_group, NULL), 0);
    cio_taskgroup_free(g_group);
    cio_taskgroup_free(NULL);
    return NULL;
}

static void test_taskgroup_bad_input(void **state) {
    (void)state;
    RUN(taskgroup_bad, NULL);
}

/* A group freed without being waited for cancels its tasks and leaks
 * nothing; the tasks finish on their own. */
static job g_jobs[2];
static void *taskgroup_abandoned(void *arg) {
    (void)arg;
    g_jobs[0] = (job){.id = 1, .delay = 5, .cleanup = 0.5};
    g_jobs[1] = (job){.id = 2, .delay = 5};
    cio_taskgroup *g = cio_taskgroup_new();
    cio_future *t[2];
    cio_taskgroup_spawn(g, job_run, &g_jobs[0], &t[0]);
    cio_taskgroup_spawn(g, job_run, &g_jobs[1], &t[1]);
    CHECK_INT(cio_sleep(0.1), 0);
    cio_taskgroup_free(g);
    CHECK_INT(cio_gather_ex(t, 2, NULL, CIO_RETURN_ERRORS), 0);
    CHECK(cio_future_cancelled(t[0]) && cio_future_cancelled(t[1]));
    CHECK_INT(cio_task_cancelling(cio_current_task()), 0);
    cio_release_all(t, 2);
    return NULL;
}

static void test_taskgroup_freed_without_wait(void **state) {
    (void)state;
    RUN(taskgroup_abandoned, NULL);
}

/* cio_taskgroup_free from another task while the parent waits in
 * cio_taskgroup_wait is refused (it would free the group under the
 * parent) and has no effect; once the parent is out, it frees. */
static void *tg_parent(void *arg) {
    job *a = arg;
    g_group = cio_taskgroup_new();
    CHECK_INT(cio_taskgroup_spawn(g_group, job_run, a, NULL), 0);
    g_rc = cio_taskgroup_wait(g_group, 0);
    return NULL;
}

static void *taskgroup_free_busy(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 1};
    cio_future *p = cio_create_task(tg_parent, &a);
    CHECK_INT(cio_sleep(0.5), 0); /* the parent waits in cio_taskgroup_wait */
    CHECK_INT(cio_taskgroup_free(g_group), CIO_EINVALIDSTATE);
    CHECK_INT(cio_await(p, NULL), 0);
    CHECK_INT(g_rc, 0);
    CHECK(a.ended);
    CHECK_INT(cio_taskgroup_free(g_group), 0);
    cio_release(p);
    return NULL;
}

static void test_taskgroup_free_while_waiting(void **state) {
    (void)state;
    RUN(taskgroup_free_busy, NULL);
}

/* cio_as_completed_free while a task waits in next() is refused (the task
 * would wake up in freed memory) and has no effect: the task still gets
 * its future, or CIO_ECANCELED; then the free succeeds. */
static cio_as_completed_iter *g_it;
static int g_next_rc;
static cio_future *g_next;
static void *next_one(void *arg) {
    (void)arg;
    g_next_rc = cio_as_completed_next(g_it, &g_next);
    return NULL;
}

static void *as_completed_free_busy(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 1, .value = 5};
    cio_future *t = spawn(&a);
    g_it = cio_as_completed(&t, 1, CIO_NO_TIMEOUT);
    cio_future *c = cio_create_task(next_one, NULL);
    CHECK_INT(cio_sleep(0.5), 0); /* c waits in next() */
    CHECK_INT(cio_as_completed_free(g_it), CIO_EINVALIDSTATE);
    CHECK_INT(cio_await(c, NULL), 0);
    CHECK_INT(g_next_rc, 1);
    CHECK_PTR(g_next, t);
    CHECK_INT(cio_as_completed_free(g_it), 0);
    cio_release(c);

    cio_future *never = cio_future_new(NULL);
    g_it = cio_as_completed(&never, 1, CIO_NO_TIMEOUT);
    c = cio_create_task(next_one, NULL);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_as_completed_free(g_it), CIO_EINVALIDSTATE);
    cio_cancel(c, NULL);
    CHECK_INT(cio_await(c, NULL), CIO_ECANCELED);
    CHECK_INT(g_next_rc, CIO_ECANCELED);
    CHECK_INT(cio_as_completed_free(g_it), 0);
    cio_release_all((cio_future *[]){c, never, t}, 3);
    return NULL;
}

static void test_as_completed_free_while_waiting(void **state) {
    (void)state;
    RUN(as_completed_free_busy, NULL);
}

/* next() on an iterator of a closed loop says so (not CIO_ENOMEM), and on
 * an iterator of another loop says that. */
static int g_want;
static void *next_elsewhere(void *arg) {
    (void)arg;
    cio_future *f = IPTR(1);
    CHECK_INT(cio_as_completed_next(g_it, &f), g_want);
    CHECK_PTR(f, NULL);
    return NULL;
}

static void test_as_completed_next_other_or_closed_loop(void **state) {
    (void)state;
    cio_loop *loop = cio_loop_new(NULL);
    cio_future *p = cio_future_new(loop);
    g_it = cio_as_completed(&p, 1, 10); /* outside a task: p's loop */
    assert_non_null(g_it);
    g_want = CIO_EWRONGLOOP;
    RUN(next_elsewhere, NULL);
    assert_int_equal(cio_loop_close(loop), 0);
    g_want = CIO_ELOOPCLOSED;
    RUN(next_elsewhere, NULL);
    assert_int_equal(cio_as_completed_free(g_it), 0);
    cio_release(p);
}

/* A reschedule from another thread (here while the loop's thread waits for
 * it) is refused and leaves the scope as it was: its deadline still
 * expires. (A reschedule whose timer cannot be set, CIO_ENOMEM, leaves the
 * scope without a deadline, as the header says; no test can cause it.) */
static void *reschedule_elsewhere(void *arg) {
    cio_timeout_scope *ts = arg;
    g_rc = cio_timeout_reschedule(ts, cio_timeout_when(ts) - 4);
    return NULL;
}

static void *reschedule_fails(void *arg) {
    (void)arg;
    cio_timeout_scope *ts = cio_timeout(5);
    double when = cio_timeout_when(ts);
    pthread_t th;
    CHECK_INT(pthread_create(&th, NULL, reschedule_elsewhere, ts), 0);
    CHECK_INT(pthread_join(th, NULL), 0);
    CHECK_INT(g_rc, CIO_EWRONGLOOP);
    CHECK(cio_timeout_when(ts) == when);
    double t0 = cio_loop_time(cio_get_running_loop());
    CHECK_INT(cio_sleep(10), CIO_ECANCELED); /* the deadline is kept */
    CHECK(cio_timeout_expired(ts));
    CHECK(cio_loop_time(cio_get_running_loop()) - t0 >= 5 - 1e-3);
    CHECK_INT(cio_timeout_end(ts, CIO_ECANCELED), CIO_ETIMEDOUT);
    return NULL;
}

static void test_timeout_reschedule_failure(void **state) {
    (void)state;
    RUN(reschedule_fails, NULL);
}

static void *cancel_all_bad(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 5};
    cio_future *t = spawn(&a);
    CHECK_INT(cio_cancel_all(NULL, 1), CIO_EINVAL);
    CHECK_INT(cio_cancel_all(NULL, 0), 0);
    CHECK_INT(cio_cancel_all(((cio_future *[]){t, cio_current_task()}), 2),
              CIO_EINVAL);
    other_loop_new();
    CHECK_INT(cio_cancel_all(((cio_future *[]){t, g_foreign}), 2),
              CIO_EWRONGLOOP);
    other_loop_free();
    CHECK(!cio_future_done(t) && cio_task_cancelling(t) == 0);
    /* NULL entries are skipped, as cio_release_all skips them */
    CHECK_INT(cio_cancel_all(((cio_future *[]){NULL, t, NULL}), 3), 0);
    CHECK(cio_future_cancelled(t));
    cio_release(t);
    return NULL;
}

static void test_cancel_all_bad_input(void **state) {
    (void)state;
    RUN(cancel_all_bad, NULL);
}

/* Outside a task: the suspending calls say CIO_ENOTASK, the others work
 * with the thread's loop (or say there is none). */
static void test_outside_a_task(void **state) {
    (void)state;
    assert_null(cio_gather_future(NULL, 0, 0));
    assert_int_equal(cio_last_error(), CIO_ENOLOOP);
    assert_null(cio_timeout(1));
    assert_int_equal(cio_last_error(), CIO_ENOTASK);
    assert_null(cio_taskgroup_new());
    assert_int_equal(cio_last_error(), CIO_ENOTASK);

    cio_loop *loop = cio_loop_new(vt_opts());
    cio_future *f = cio_future_new(loop);
    cio_future *fs[] = {f};
    assert_int_equal(cio_gather(fs, 1, NULL), CIO_ENOTASK);
    assert_int_equal(cio_wait(fs, 1, CIO_ALL_COMPLETED, 1), CIO_ENOTASK);
    assert_int_equal(cio_wait_for(f, 1, NULL), CIO_ENOTASK);
    assert_int_equal(cio_cancel_all(fs, 1), CIO_ENOTASK);
    assert_false(cio_future_done(f));

    /* as_completed and gather_future may be created outside a task */
    cio_as_completed_iter *it = cio_as_completed(fs, 1, 1.0);
    assert_non_null(it);
    cio_future *out;
    assert_int_equal(cio_as_completed_next(it, &out), CIO_ENOTASK);
    cio_future *g = cio_gather_future(fs, 1, 0);
    assert_non_null(g);
    cio_future_set_result(f, IPTR(3));
    assert_int_equal(cio_loop_run_until_done(loop, g, NULL), 0);
    cio_as_completed_free(it);
    cio_release(g);
    cio_future *empty = cio_gather_future(NULL, 0, 0); /* the thread's loop */
    assert_non_null(empty);
    assert_true(cio_future_done(empty));
    cio_release(empty);
    cio_release(f);
    assert_int_equal(cio_loop_close(loop), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_gather_bad_input),
        CIO_TEST(test_wait_bad_input),
        CIO_TEST(test_as_completed_bad_input),
        CIO_TEST(test_wait_for_bad_input),
        CIO_TEST(test_timeout_bad_input),
        CIO_TEST(test_timeout_end_from_other_task),
        CIO_TEST(test_shield_bad_input),
        CIO_TEST(test_shield_closed_loop),
        CIO_TEST(test_taskgroup_bad_input),
        CIO_TEST(test_taskgroup_freed_without_wait),
        CIO_TEST(test_taskgroup_free_while_waiting),
        CIO_TEST(test_as_completed_free_while_waiting),
        CIO_TEST(test_as_completed_next_other_or_closed_loop),
        CIO_TEST(test_timeout_reschedule_failure),
        CIO_TEST(test_cancel_all_bad_input),
        CIO_TEST(test_outside_a_task),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
