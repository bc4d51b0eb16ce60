/* Conformance: asyncio.TaskGroup, re-expressed with cio_taskgroup_*. Each
 * test names the CPython test_taskgroups.py case it follows. `async with
 * TaskGroup() as g:` becomes cio_taskgroup_new(); the end of the block is
 * `err = cio_taskgroup_wait(g, err)` with the status the body ended with;
 * an ExceptionGroup is CIO_ETASKGROUP with the list of failures from
 * cio_taskgroup_errors(). ZeroDivisionError is spelled -EDOM. */
#include "../cio_test.h"
#include "../combine_util.h"

static size_t errors_with(cio_taskgroup *g, int code) {
    const cio_taskgroup_error *e;
    size_t n = cio_taskgroup_errors(g, &e), k = 0;
    for (size_t i = 0; i < n; i++)
        k += e[i].code == code;
    return k;
}

/* test_taskgroup_01: leaving the group waits for its tasks. */
static void *tg01(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 0.1, .value = 42};
    job b = {.id = 2, .delay = 0.2, .value = 11};
    cio_taskgroup *g = cio_taskgroup_new();
    cio_future *t1, *t2;
    CHECK_INT(cio_taskgroup_spawn(g, job_run, &a, &t1), 0);
    CHECK_INT(cio_taskgroup_spawn(g, job_run, &b, &t2), 0);
    CHECK_INT(cio_taskgroup_wait(g, 0), 0);
    CHECK_INT(PINT(cio_future_result(t1)), 42);
    CHECK_INT(PINT(cio_future_result(t2)), 11);
    CHECK_INT(cio_taskgroup_errors(g, NULL), 0);
    cio_taskgroup_free(g);
    cio_release(t1);
    cio_release(t2);
    return NULL;
}

static void test_taskgroup_01_waits_for_all(void **state) {
    (void)state;
    RUN(tg01, NULL);
}

/* test_taskgroup_02 and test_taskgroup_03: tasks spawned during the body;
 * a task cancelled explicitly is not a failure, the group goes on. */
static void *tg03(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 1, .value = 42};
    job b = {.id = 2, .delay = 0.2, .value = 11};
    cio_taskgroup *g = cio_taskgroup_new();
    cio_future *t1, *t2;
    CHECK_INT(cio_taskgroup_spawn(g, job_run, &a, &t1), 0);
    CHECK_INT(cio_sleep(0.15), 0);
    cio_cancel(t1, NULL);
    CHECK_INT(cio_taskgroup_spawn(g, job_run, &b, &t2), 0);
    CHECK_INT(cio_taskgroup_wait(g, 0), 0);
    CHECK(cio_future_cancelled(t1));
    CHECK_INT(PINT(cio_future_result(t2)), 11);
    cio_taskgroup_free(g);
    cio_release(t1);
    cio_release(t2);
    return NULL;
}

static void test_taskgroup_03_cancelled_task_is_not_failure(void **state) {
    (void)state;
    RUN(tg03, NULL);
}

/* test_cancel_children_on_child_error (and test_taskgroup_04): a failing
 * task cancels its siblings and the body's await; every failure is
 * reported, here three at the same moment (TaskGroup with several
 * failures). The parent's own cancellation is taken back. */
static int g_num;
static bool g_runner_cancelled;
static void *children_on_child_error(void *arg) {
    (void)arg;
    job f1 = {.id = 1, .delay = 0.1, .code = -EDOM};
    job f2 = {.id = 2, .delay = 0.1, .code = -EDOM};
    job f3 = {.id = 3, .delay = 0.1, .code = -EDOM};
    job slow = {.id = 4, .delay = 5, .value = 1};
    cio_taskgroup *g = cio_taskgroup_new();
    cio_future *t4;
    cio_taskgroup_spawn(g, job_run, &f1, NULL);
    cio_taskgroup_spawn(g, job_run, &f2, NULL);
    cio_taskgroup_spawn(g, job_run, &f3, NULL);
    cio_taskgroup_spawn(g, job_run, &slow, &t4);
    int err = cio_sleep(10);
    g_runner_cancelled = err == CIO_ECANCELED;
    err = cio_taskgroup_wait(g, err);
    CHECK_INT(err, CIO_ETASKGROUP);
    CHECK_INT(cio_taskgroup_errors(g, NULL), 3);
    CHECK_INT(errors_with(g, -EDOM), 3);
    const cio_taskgroup_error *e;
    cio_taskgroup_errors(g, &e);
    CHECK_STR(e[0].message, "job 1 failed");
    CHECK(e[0].task != NULL);
    CHECK_INT(slow.sleep_rc, CIO_ECANCELED);
    CHECK(cio_future_cancelled(t4));
    CHECK(g_runner_cancelled);
    CHECK_INT(cio_task_cancelling(cio_current_task()), 0);
    CHECK_INT(cio_sleep(0.1), 0); /* nothing left standing */
    cio_taskgroup_free(g);
    cio_release(t4);
    return NULL;
}

static void test_cancel_children_on_child_error(void **state) {
    (void)state;
    RUN(children_on_child_error, NULL);
}

/* The runner task for the "parent cancelled" tests. */
static job g_jobs[5];
static int g_wait_rc, g_ntasks;
static bool g_sleep_in_body;
static void *runner(void *arg) {
    (void)arg;
    int n = g_ntasks;
    cio_taskgroup *g = cio_taskgroup_new();
    for (int i = 0; i < n; i++)
        CHECK_INT(cio_taskgroup_spawn(g, job_run, &g_jobs[i], NULL), 0);
    int err = 0;
    if (g_sleep_in_body) {
        err = cio_sleep(10);
        if (err == CIO_ECANCELED)
            g_num += 10;
    }
    g_wait_rc = cio_taskgroup_wait(g, err);
    cio_taskgroup_free(g);
    return NULL;
}

static void *cancel_runner(void *arg) {
    (void)arg;
    g_num = 0;
    cio_future *r = cio_create_task(runner, NULL);
    CHECK_INT(cio_sleep(0.1), 0);
    CHECK(!cio_future_done(r));
    cio_cancel(r, NULL);
    CHECK_INT(cio_await(r, NULL), CIO_ECANCELED);
    for (int i = 0; i < g_ntasks; i++)
        if (g_jobs[i].sleep_rc == CIO_ECANCELED)
            g_num++;
    cio_release(r);
    return NULL;
}

/* test_cancellation: the parent, waiting at the end of the block, is
 * cancelled: all five tasks are cancelled, the group passes on
 * CancelledError. */
static void test_taskgroup_cancellation_while_waiting(void **state) {
    (void)state;
    for (int i = 0; i < 5; i++)
        g_jobs[i] = (job){.id = i + 1, .delay = 5};
    g_ntasks = 5;
    g_sleep_in_body = false;
    RUN(cancel_runner, NULL);
    assert_int_equal(g_num, 5);
    assert_int_equal(g_wait_rc, CIO_ECANCELED);
}

/* test_taskgroup_07: the parent is cancelled in the body's await: the body
 * sees it, and the group cancels its tasks. */
static void test_taskgroup_07_cancelled_in_body(void **state) {
    (void)state;
    for (int i = 0; i < 5; i++)
        g_jobs[i] = (job){.id = i + 1, .delay = 5};
    g_ntasks = 5;
    g_sleep_in_body = true;
    RUN(cancel_runner, NULL);
    assert_int_equal(g_num, 15);
    assert_int_equal(g_wait_rc, CIO_ECANCELED);
}

/* test_taskgroup_08: tasks that fail while being cancelled: their errors
 * win over the CancelledError. */
static void test_taskgroup_08_errors_win_over_cancel(void **state) {
    (void)state;
    for (int i = 0; i < 5; i++)
        g_jobs[i] =
            (job){.id = i + 1, .delay = 10, .stubborn = true, .code = -EDOM};
    g_ntasks = 5;
    g_sleep_in_body = true;
    RUN(cancel_runner, NULL);
    assert_int_equal(g_wait_rc, CIO_ETASKGROUP);
}

/* test_taskgroup_17: a group with no tasks; the parent is cancelled in the
 * body: CancelledError. */
static void test_taskgroup_17_no_tasks_cancelled(void **state) {
    (void)state;
    g_ntasks = 0;
    g_sleep_in_body = true;
    RUN(cancel_runner, NULL);
    assert_int_equal(g_num, 10);
    assert_int_equal(g_wait_rc, CIO_ECANCELED);
}

/* test_taskgroup_09 and test_taskgroup_10: the body fails: its tasks are
 * cancelled and its error is part of the group's failures. */
static void *body_fails(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 1, .value = 42};
    job b = {.id = 2, .delay = 2, .value = 11};
    cio_taskgroup *g = cio_taskgroup_new();
    cio_future *t1, *t2;
    cio_taskgroup_spawn(g, job_run, &a, &t1);
    cio_taskgroup_spawn(g, job_run, &b, &t2);
    CHECK_INT(cio_sleep(0.1), 0);
    CHECK_INT(cio_taskgroup_wait(g, -EDOM), CIO_ETASKGROUP);
    const cio_taskgroup_error *e;
    CHECK_INT(cio_taskgroup_errors(g, &e), 1);
    CHECK_INT(e[0].code, -EDOM);
    CHECK_PTR(e[0].task, NULL);
    CHECK(cio_future_cancelled(t1) && cio_future_cancelled(t2));
    cio_taskgroup_free(g);
    cio_release(t1);
    cio_release(t2);
    return NULL;
}

static void test_taskgroup_09_body_error(void **state) {
    (void)state;
    RUN(body_fails, NULL);
}

/* test_taskgroup_13 and test_taskgroup_14: nested groups. The inner
 * group's failure reaches the outer one as the inner block's error (an
 * ExceptionGroup inside the outer ExceptionGroup); an outer failure
 * cancels the parent, which ends the inner group with CancelledError. */
static void *nested(void *arg) {
    int which = PINT(arg);
    job outer_job = {.id = 1, .delay = which == 13 ? 0.1 : 10, .code = -EINVAL};
    job inner_job = {.id = 2, .delay = which == 13 ? 10 : 0.1, .code = -EINVAL};
    cio_taskgroup *g1 = cio_taskgroup_new();
    cio_taskgroup_spawn(g1, job_run, &outer_job, NULL);
    cio_taskgroup *g2 = cio_taskgroup_new();
    cio_taskgroup_spawn(g2, job_run, &inner_job, NULL);
    int err = cio_taskgroup_wait(g2, 0);
    CHECK_INT(err, which == 13 ? CIO_ECANCELED : CIO_ETASKGROUP);
    err = cio_taskgroup_wait(g1, err);
    CHECK_INT(err, CIO_ETASKGROUP);
    const cio_taskgroup_error *e;
    CHECK_INT(cio_taskgroup_errors(g1, &e), 1);
    CHECK_INT(e[0].code, which == 13 ? -EINVAL : CIO_ETASKGROUP);
    CHECK_INT(cio_task_cancelling(cio_current_task()), 0);
    cio_taskgroup_free(g2);
    cio_taskgroup_free(g1);
    return NULL;
}

static void test_taskgroup_13_nested_outer_fails(void **state) {
    (void)state;
    RUN(nested, IPTR(13));
}

static void test_taskgroup_14_nested_inner_fails(void **state) {
    (void)state;
    RUN(nested, IPTR(14));
}

/* test_taskgroup_15: the parent is cancelled from outside, and a task
 * fails while the body is still cleaning up: the failure wins. */
static void *tg15_runner(void *arg) {
    (void)arg;
    job crash = {.id = 1, .delay = 0.3, .code = -EDOM};
    cio_taskgroup *g = cio_taskgroup_new();
    cio_taskgroup_spawn(g, job_run, &crash, NULL);
    int err = cio_sleep(10);
    if (err == CIO_ECANCELED)
        cio_sleep(0.5); /* cleanup; interrupted */
    g_wait_rc = cio_taskgroup_wait(g, err);
    cio_taskgroup_free(g);
    return cio_raise(g_wait_rc, NULL);
}

static void *tg15(void *arg) {
    (void)arg;
    cio_future *r = cio_create_task(tg15_runner, NULL);
    CHECK_INT(cio_sleep(0.1), 0);
    cio_cancel(r, NULL);
    CHECK_INT(cio_await(r, NULL), CIO_ETASKGROUP);
    cio_release(r);
    return NULL;
}

static void test_taskgroup_15_failure_during_cancel_cleanup(void **state) {
    (void)state;
    RUN(tg15, NULL);
}

/* test_taskgroup_22: the parent is cancelled while its tasks sleep:
 * CancelledError, the tasks cancelled. */
static void *tg22(void *arg) {
    (void)arg;
    g_sleep_in_body = false;
    g_jobs[0] = (job){.id = 1, .delay = 1, .value = 42};
    g_jobs[1] = (job){.id = 2, .delay = 2, .value = 11};
    g_ntasks = 2;
    cio_future *r = cio_create_task(runner, NULL);
    CHECK_INT(cio_sleep(0.05), 0);
    cio_cancel(r, NULL);
    CHECK_INT(cio_await(r, NULL), CIO_ECANCELED);
    CHECK_INT(g_wait_rc, CIO_ECANCELED);
    CHECK(g_jobs[0].sleep_rc == CIO_ECANCELED);
    cio_release(r);
    return NULL;
}

static void test_taskgroup_22_parent_cancelled(void **state) {
    (void)state;
    RUN(tg22, NULL);
}

/* test_taskgroup_24: a task of the group spawns more tasks into it while
 * the parent waits at the end of the block. */
static job g_later[2];
static cio_taskgroup *g_group;
static void *root(void *arg) {
    (void)arg;
    cio_sleep(0.1);
    CHECK_INT(cio_taskgroup_spawn(g_group, job_run, &g_later[0], NULL), 0);
    CHECK_INT(cio_taskgroup_spawn(g_group, job_run, &g_later[1], NULL), 0);
    return NULL;
}

static void *tg24(void *arg) {
    (void)arg;
    g_later[0] = (job){.id = 1, .delay = 0.1};
    g_later[1] = (job){.id = 2, .delay = 0.2};
    g_group = cio_taskgroup_new();
    cio_taskgroup_spawn(g_group, root, NULL, NULL);
    CHECK_INT(cio_taskgroup_wait(g_group, 0), 0);
    CHECK(g_later[0].ended && g_later[1].ended);
    cio_taskgroup_free(g_group);
    return NULL;
}

static void test_taskgroup_24_spawn_while_waiting(void **state) {
    (void)state;
    RUN(tg24, NULL);
}

/* test_taskgroup_no_create_task_after_failure: once a task has failed the
 * group is shutting down and refuses new tasks. */
static void *refuser(void *arg) {
    (void)arg;
    if (cio_sleep(1) == CIO_ECANCELED)
        g_num = cio_taskgroup_spawn(g_group, job_run, &g_later[0], NULL);
    return NULL;
}

static void *no_spawn_after_failure(void *arg) {
    (void)arg;
    job crash = {.id = 1, .delay = 0.001, .code = -EDOM};
    g_num = 0;
    g_group = cio_taskgroup_new();
    cio_taskgroup_spawn(g_group, job_run, &crash, NULL);
    cio_taskgroup_spawn(g_group, refuser, NULL, NULL);
    CHECK_INT(cio_taskgroup_wait(g_group, 0), CIO_ETASKGROUP);
    CHECK_INT(g_num, CIO_EINVALIDSTATE);
    CHECK_INT(errors_with(g_group, -EDOM), 1);
    cio_taskgroup_free(g_group);
    return NULL;
}

static void test_taskgroup_no_spawn_after_failure(void **state) {
    (void)state;
    RUN(no_spawn_after_failure, NULL);
}

/* test_taskgroup_finished and test_taskgroup_double_enter: a closed group
 * refuses new tasks and a second exit. */
static void *finished(void *arg) {
    (void)arg;
    cio_taskgroup *g = cio_taskgroup_new();
    CHECK_INT(cio_taskgroup_wait(g, 0), 0);
    cio_future *t = IPTR(1);
    CHECK_INT(cio_taskgroup_spawn(g, job_run, &g_later[0], &t),
              CIO_EINVALIDSTATE);
    CHECK_PTR(t, NULL);
    CHECK_INT(cio_taskgroup_wait(g, 0), CIO_EINVALIDSTATE);
    cio_taskgroup_free(g);
    return NULL;
}

static void test_taskgroup_finished(void **state) {
    (void)state;
    RUN(finished, NULL);
}

/* test_cancelling_level_preserved: after a group whose task failed, the
 * parent's cancellation count is back to what it was. */
static void *level_preserved(void *arg) {
    (void)arg;
    job crash = {.id = 1, .delay = 0, .code = -EPERM};
    cio_taskgroup *g = cio_taskgroup_new();
    cio_taskgroup_spawn(g, job_run, &crash, NULL);
    CHECK_INT(cio_taskgroup_wait(g, 0), CIO_ETASKGROUP);
    cio_taskgroup_free(g);
    CHECK_INT(cio_task_cancelling(cio_current_task()), 0);
    CHECK_INT(cio_sleep(0), 0); /* test_cancellation_does_not_leak_out_of_tg */
    return NULL;
}

static void test_taskgroup_cancelling_level_preserved(void **state) {
    (void)state;
    RUN(level_preserved, NULL);
}

/* test_nested_groups_both_cancelled: an inner and an outer group's tasks
 * fail at once; after the inner group the outer group's cancellation of
 * the parent still stands (cancelling() == 1), after the outer none. */
static void *both_cancelled(void *arg) {
    (void)arg;
    job r = {.id = 1, .delay = 0, .code = -EPERM};
    job v = {.id = 2, .delay = 0, .code = -EINVAL};
    cio_taskgroup *outer = cio_taskgroup_new();
    cio_taskgroup *inner = cio_taskgroup_new();
    cio_taskgroup_spawn(inner, job_run, &r, NULL);
    cio_taskgroup_spawn(outer, job_run, &v, NULL);
    CHECK_INT(cio_taskgroup_wait(inner, 0), CIO_ETASKGROUP);
    CHECK_INT(errors_with(inner, -EPERM), 1);
    CHECK_INT(cio_task_cancelling(cio_current_task()), 1);
    CHECK_INT(cio_taskgroup_wait(outer, 0), CIO_ETASKGROUP);
    CHECK_INT(errors_with(outer, -EINVAL), 1);
    CHECK_INT(cio_task_cancelling(cio_current_task()), 0);
    cio_taskgroup_free(inner);
    cio_taskgroup_free(outer);
    return NULL;
}

static void test_taskgroup_nested_groups_both_cancelled(void **state) {
    (void)state;
    RUN(both_cancelled, NULL);
}

/* test_error_and_cancel: the parent is cancelled from outside and a task
 * fails: the group reports the failure, and the outside cancellation still
 * stands (the next await sees it; the task ends CANCELLED). */
static cio_future *g_event;
static void *raise_error(void *arg) {
    (void)arg;
    cio_future_set_result(g_event, NULL);
    cio_sleep(0);
    return cio_raise(-EPERM, "runtime error");
}

static int g_after_sleep;
static void *error_and_cancel_inner(void *arg) {
    (void)arg;
    cio_taskgroup *g = cio_taskgroup_new();
    cio_taskgroup_spawn(g, raise_error, NULL, NULL);
    int err = cio_sleep(1);
    CHECK_INT(err, CIO_ECANCELED);
    CHECK_INT(cio_taskgroup_wait(g, err), CIO_ETASKGROUP);
    CHECK_INT(errors_with(g, -EPERM), 1);
    cio_taskgroup_free(g);
    CHECK_INT(cio_task_cancelling(cio_current_task()), 1);
    g_after_sleep = cio_sleep(1);
    return NULL;
}

static void *error_and_cancel(void *arg) {
    (void)arg;
    g_event = cio_future_new(NULL);
    cio_future *t = cio_create_task(error_and_cancel_inner, NULL);
    CHECK_INT(cio_await(g_event, NULL), 0);
    CHECK_INT(cio_task_cancelling(t), 0);
    cio_cancel(t, NULL);
    CHECK_INT(cio_task_cancelling(t), 1);
    CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
    CHECK(cio_future_cancelled(t));
    CHECK_INT(g_after_sleep, CIO_ECANCELED);
    cio_release(t);
    cio_release(g_event);
    return NULL;
}

static void test_taskgroup_error_and_cancel(void **state) {
    (void)state;
    RUN(error_and_cancel, NULL);
}

/* test_taskgroup_task_name: spawn_ex passes task options on. */
static void *named(void *arg) {
    (void)arg;
    cio_taskgroup *g = cio_taskgroup_new();
    cio_future *t;
    cio_task_options o = {.name = "yolo"};
    job j = {.id = 1, .delay = 0};
    CHECK_INT(cio_taskgroup_spawn_ex(g, job_run, &j, &o, &t), 0);
    CHECK_STR(cio_task_get_name(t), "yolo");
    CHECK_INT(cio_taskgroup_wait(g, 0), 0);
    cio_taskgroup_free(g);
    cio_release(t);
    return NULL;
}

static void test_taskgroup_task_name(void **state) {
    (void)state;
    RUN(named, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_taskgroup_01_waits_for_all),
        CIO_TEST(test_taskgroup_03_cancelled_task_is_not_failure),
        CIO_TEST(test_cancel_children_on_child_error),
        CIO_TEST(test_taskgroup_cancellation_while_waiting),
        CIO_TEST(test_taskgroup_07_cancelled_in_body),
        CIO_TEST(test_taskgroup_08_errors_win_over_cancel),
        CIO_TEST(test_taskgroup_17_no_tasks_cancelled),
        CIO_TEST(test_taskgroup_09_body_error),
        CIO_TEST(test_taskgroup_13_nested_outer_fails),
        CIO_TEST(test_taskgroup_14_nested_inner_fails),
        CIO_TEST(test_taskgroup_15_failure_during_cancel_cleanup),
        CIO_TEST(test_taskgroup_22_parent_cancelled),
        CIO_TEST(test_taskgroup_24_spawn_while_waiting),
        CIO_TEST(test_taskgroup_no_spawn_after_failure),
        CIO_TEST(test_taskgroup_finished),
        CIO_TEST(test_taskgroup_cancelling_level_preserved),
        CIO_TEST(test_taskgroup_nested_groups_both_cancelled),
        CIO_TEST(test_taskgroup_error_and_cancel),
        CIO_TEST(test_taskgroup_task_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
