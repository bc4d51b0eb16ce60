/* Conformance: cio_run is asyncio.run (test_runners.py re-expressed). */
#include "../cio_test.h"

static void *ret_arg(void *arg) {
    return arg;
}

/* test_runners.py: test_asyncio_run_return */
static void test_run_returns_main_result(void **state) {
    (void)state;
    void *r = NULL;
    assert_int_equal(cio_run(ret_arg, IPTR(123), &r), 0);
    assert_int_equal(PINT(r), 123);
    assert_int_equal(cio_run(ret_arg, IPTR(5), NULL), 0); /* result optional */
}

static void *raises(void *arg) {
    (void)arg;
    cio_sleep(0);
    return cio_raise(-EBADMSG, "spam");
}

/* test_runners.py: test_asyncio_run_raises -- main's error is the status. */
static void test_run_returns_main_error(void **state) {
    (void)state;
    diag_capture();
    assert_int_equal(run_vt(raises, NULL, NULL), -EBADMSG);
    diag_restore();
    assert_int_equal(diag_count("never retrieved"), 0);
}

static void *main_cancels_itself(void *arg) {
    (void)arg;
    cio_cancel(cio_current_task(), NULL);
    cio_sleep(1);
    return IPTR(1);
}

static void test_run_main_cancelled(void **state) {
    (void)state;
    assert_int_equal(run_vt(main_cancels_itself, NULL, NULL), CIO_ECANCELED);
}

/* test_runners.py: test_asyncio_run_only_coro */
static void test_run_only_function(void **state) {
    (void)state;
    assert_int_equal(cio_run(NULL, NULL, NULL), CIO_EINVAL);
}

static int g_nested_rc;
static void *nested(void *arg) {
    (void)arg;
    g_nested_rc = cio_run(ret_arg, NULL, NULL);
    return NULL;
}

/* test_runners.py: test_asyncio_run_from_running_loop */
static void test_run_from_running_loop(void **state) {
    (void)state;
    g_nested_rc = 0;
    assert_int_equal(run_vt(nested, NULL, NULL), 0);
    assert_int_equal(g_nested_rc, CIO_ELOOPRUNNING);
}

static cio_future *g_leftover;
static int g_leftover_rc;
static void *leftover(void *arg) {
    (void)arg;
    ev_log(1);
    g_leftover_rc = cio_sleep(100);
    ev_log(2); /* cleanup */
    return NULL;
}

static void *main_leaves_task(void *arg) {
    (void)arg;
    g_leftover = cio_create_task_ex(NULL, leftover, NULL,
                                    &(cio_task_options){.name = "leftover"});
    cio_sleep(0);
    ev_log(3);
    return IPTR(123);
}

/* test_runners.py: test_asyncio_run_cancels_hanging_tasks -- the task left
 * sleeping is cancelled, sees CIO_ECANCELED, and its cleanup runs before
 * cio_run returns. */
static void test_run_cancels_hanging_tasks(void **state) {
    (void)state;
    diag_capture();
    g_leftover_rc = 1;
    void *r = NULL;
    double r0 = now_real();
    assert_int_equal(run_vt(main_leaves_task, NULL, &r), 0);
    diag_restore();
    assert_int_equal(PINT(r), 123);
    assert_true(now_real() - r0 < 5);
    ev_assert(1, 3, 2);
    assert_int_equal(g_leftover_rc, CIO_ECANCELED);
    /* our reference outlived the loop */
    assert_true(cio_future_done(g_leftover));
    assert_true(cio_future_cancelled(g_leftover));
    assert_null(cio_future_loop(g_leftover));
    cio_release(g_leftover);
    if (diag_n)
        diag_print();
    assert_int_equal(diag_n, 0);
}

static void *leftover_with_slow_cleanup(void *arg) {
    int id = PINT(arg);
    int rc = cio_sleep(1000);
    if (rc == CIO_ECANCELED) {
        /* asynchronous cleanup: cio_run waits for it */
        rc = cio_sleep(0.5 * id);
        ev_log(rc == 0 ? id : -id);
    }
    return NULL;
}

static void *main_leaves_three(void *arg) {
    (void)arg;
    for (int i = 1; i <= 3; i++)
        cio_release(cio_create_task(leftover_with_slow_cleanup, IPTR(i)));
    cio_sleep(0.1);
    return NULL;
}

/* asyncio.run's _cancel_all_tasks gathers the cancelled tasks: their
 * cleanup may suspend, and cio_run waits for all of it. */
static void test_run_waits_for_cleanup(void **state) {
    (void)state;
    diag_capture();
    assert_int_equal(run_vt(main_leaves_three, NULL, NULL), 0);
    diag_restore();
    ev_assert(1, 2, 3); /* by their cleanup deadlines */
    assert_int_equal(diag_n, 0);
}

static void *fails_on_cancel(void *arg) {
    (void)arg;
    int rc = cio_sleep(100);
    if (rc == CIO_ECANCELED)
        return cio_raise(-EIO, "boom during shutdown");
    return NULL;
}

static void *main_leaves_failing(void *arg) {
    (void)arg;
    cio_release(cio_create_task_ex(NULL, fails_on_cancel, NULL,
                                   &(cio_task_options){.name = "leftover"}));
    cio_sleep(0);
    return IPTR(123);
}

/* test_runners.py: test_asyncio_run_reports_hanging_tasks_errors -- a task
 * that fails while being cancelled at shutdown is reported, not lost. */
static void test_run_reports_hanging_task_errors(void **state) {
    (void)state;
    diag_capture();
    void *r = NULL;
    assert_int_equal(run_vt(main_leaves_failing, NULL, &r), 0);
    diag_restore();
    assert_int_equal(PINT(r), 123);
    if (diag_count("boom during shutdown") != 1)
        diag_print();
    assert_int_equal(diag_count("boom during shutdown"), 1);
    assert_int_equal(diag_count("'leftover'"), 1);
}

static int g_late_rc;
static void *late_sleeper(void *arg) {
    (void)arg;
    ev_log(2);
    g_late_rc = cio_sleep(100);
    ev_log(3);
    return NULL;
}

static void *spawns_on_cancel(void *arg) {
    (void)arg;
    int rc = cio_sleep(100);
    ev_log(1);
    if (rc == CIO_ECANCELED)
        cio_release(cio_create_task_ex(NULL, late_sleeper, NULL,
                                       &(cio_task_options){.name = "late"}));
    return NULL;
}

static void *main_leaves_spawner(void *arg) {
    (void)arg;
    cio_release(cio_create_task(spawns_on_cancel, NULL));
    cio_sleep(0);
    return NULL;
}

/* asyncio.run cancels what is pending when main returns and never sits out
 * the full life of a task that appears during that shutdown (asyncio
 * destroys it at close, with its warning). cio's header: "cancel every task
 * still pending and wait for them to finish". A task spawned by a cleanup
 * is still pending: it must be cancelled (or destroyed with the
 * diagnostic), not awaited through its whole 100 s sleep. */
static void test_run_cancels_tasks_spawned_during_shutdown(void **state) {
    (void)state;
    diag_capture();
    g_late_rc = 12345;
    assert_int_equal(run_vt(main_leaves_spawner, NULL, NULL), 0);
    diag_restore();
    if (g_late_rc == 0)
        fail_msg("the task spawned during shutdown slept its full 100 s "
                 "uncancelled");
    /* 12345: its body never ran (cancelled before its first step, as
     * asyncio does with a task cancelled before it starts) */
    if (g_late_rc != 12345)
        assert_int_equal(g_late_rc, CIO_ECANCELED);
}

static int task_number(cio_future *t) {
    const char *name = cio_task_get_name(t);
    if (!name || strncmp(name, "Task-", 5) != 0)
        return -1;
    return atoi(name + 5);
}

static int g_num;
static void *record_number(void *arg) {
    (void)arg;
    g_num = task_number(cio_current_task());
    return NULL;
}

/* Default task names count per process, across loops (asyncio's
 * _task_name_counter). */
static void test_task_numbers_continue_across_runs(void **state) {
    (void)state;
    g_num = -1;
    assert_int_equal(run_vt(record_number, NULL, NULL), 0);
    int first = g_num;
    assert_true(first >= 1);
    assert_int_equal(run_vt(record_number, NULL, NULL), 0);
    assert_true(g_num > first);
}

static void *check_debug(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    return IPTR(loop != NULL);
}

/* test_runners.py: test_asyncio_run_debug -- options reach the loop; a run
 * with debug on works as usual. */
static void test_run_ex_with_options(void **state) {
    (void)state;
    cio_loop_options o = {
        .virtual_time = true, .debug = true, .slow_callback_duration = 10};
    void *r = NULL;
    assert_int_equal(cio_run_ex(check_debug, NULL, &r, &o), 0);
    assert_int_equal(PINT(r), 1);
    assert_int_equal(cio_run_ex(check_debug, NULL, &r, NULL), 0);
    assert_int_equal(PINT(r), 1);
}

static void *hog(void *arg) {
    (void)arg;
    double r0 = now_real();
    while (now_real() - r0 < 0.2) {
    }
    return NULL;
}

static void *main_with_hog(void *arg) {
    (void)arg;
    cio_future *t =
        cio_create_task_ex(NULL, hog, NULL, &(cio_task_options){.name = "hog"});
    cio_await(t, NULL);
    cio_release(t);
    return NULL;
}

/* asyncio debug mode: a step that runs longer than slow_callback_duration
 * is reported with the task's name and where it was created. */
static void test_debug_reports_slow_task(void **state) {
    (void)state;
    diag_capture();
    cio_loop_options o = {.debug = true, .slow_callback_duration = 0.05};
    assert_int_equal(cio_run_ex(main_with_hog, NULL, NULL, &o), 0);
    diag_restore();
    int hits = 0;
    for (int i = 0; i < diag_n && i < DIAG_MAX; i++)
        if (strstr(diag_msgs[i], "hog") && strstr(diag_msgs[i], "run.c"))
            hits++;
    if (hits < 1)
        diag_print();
    assert_true(hits >= 1);
}

static void slow_callback(void *arg) {
    (void)arg;
    double r0 = now_real();
    while (now_real() - r0 < 0.2) {
    }
}

static void *main_with_slow_callback(void *arg) {
    (void)arg;
    cio_call_soon(NULL, slow_callback, NULL, NULL);
    cio_sleep(0.01);
    return NULL;
}

/* Debug mode reports plain callbacks too. */
static void test_debug_reports_slow_callback(void **state) {
    (void)state;
    diag_capture();
    cio_loop_options o = {.debug = true, .slow_callback_duration = 0.05};
    assert_int_equal(cio_run_ex(main_with_slow_callback, NULL, NULL, &o), 0);
    diag_restore();
    if (diag_n < 1)
        diag_print();
    assert_true(diag_n >= 1);
    assert_non_null(strstr(diag_msgs[0], "callback"));
}

/* CIO_DEBUG=1 in the environment turns debug mode on. */
static void test_cio_debug_environment(void **state) {
    (void)state;
    const char *old = getenv("CIO_DEBUG");
    char *saved = old ? strdup(old) : NULL;
    setenv("CIO_DEBUG", "1", 1);
    diag_capture();
    int rc = cio_run_ex(main_with_hog, NULL, NULL, NULL);
    diag_restore();
    if (saved) {
        setenv("CIO_DEBUG", saved, 1);
        free(saved);
    } else {
        unsetenv("CIO_DEBUG");
    }
    assert_int_equal(rc, 0);
    int hits = 0;
    for (int i = 0; i < diag_n && i < DIAG_MAX; i++)
        if (strstr(diag_msgs[i], "hog"))
            hits++;
    if (hits < 1)
        diag_print();
    assert_true(hits >= 1);
}

/* Without debug (and without CIO_DEBUG=1) nothing is reported. */
static void test_no_slow_report_without_debug(void **state) {
    (void)state;
    const char *env = getenv("CIO_DEBUG");
    if (env && strcmp(env, "1") == 0)
        skip();
    diag_capture();
    assert_int_equal(cio_run_ex(main_with_hog, NULL, NULL, NULL), 0);
    diag_restore();
    if (diag_n)
        diag_print();
    assert_int_equal(diag_n, 0);
}

static int g_child_rc;
static void *child_of_last_pass(void *arg) {
    (void)arg;
    ev_log(2);
    g_child_rc = cio_sleep(1);
    ev_log(4);
    return NULL;
}

static void *main_spawns_and_returns(void *arg) {
    (void)arg;
    cio_release(cio_create_task(child_of_last_pass, NULL));
    ev_log(1);
    return NULL;
}

static void on_last_pass(void *arg) {
    (void)arg;
    ev_log(3);
}

static void *main_spawns_and_schedules(void *arg) {
    cio_loop *loop = cio_get_running_loop();
    cio_release(cio_create_task(child_of_last_pass, NULL));
    CHECK_INT(cio_call_soon(loop, on_last_pass, NULL, NULL), 0);
    ev_log(1);
    return arg;
}

/* asyncio.run: run_until_complete stops the loop from main's done callback,
 * one pass after main returns, so a task main created just before returning
 * starts (and runs to its first await) before asyncio.run cancels it; a
 * later timer does not fire (found by tests/diff: stop-in-main-pass). */
static void test_run_runs_one_pass_after_main(void **state) {
    (void)state;
    g_child_rc = 1;
    assert_int_equal(run_vt(main_spawns_and_returns, NULL, NULL), 0);
    checks_assert();
    ev_assert(1, 2, 4);
    assert_int_equal(g_child_rc, CIO_ECANCELED);
}

/* The same for cio_loop_run_until_complete: the callback and the task
 * scheduled in main's last pass run once, then the loop stops with the
 * child suspended in its sleep. */
static void test_run_until_complete_runs_one_pass_after(void **state) {
    (void)state;
    g_child_rc = 1;
    cio_loop *loop = cio_loop_new(vt_opts());
    assert_non_null(loop);
    void *r = NULL;
    assert_int_equal(cio_loop_run_until_complete(
                         loop, main_spawns_and_schedules, IPTR(7), &r),
                     0);
    assert_int_equal(PINT(r), 7);
    checks_assert();
    ev_assert(1, 2, 3);
    assert_int_equal(g_child_rc, 1); /* still sleeping */
    diag_capture();
    assert_int_equal(cio_loop_close(loop), 0);
    diag_restore();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_run_returns_main_result),
        CIO_TEST(test_run_returns_main_error),
        CIO_TEST(test_run_main_cancelled),
        CIO_TEST(test_run_only_function),
        CIO_TEST(test_run_from_running_loop),
        CIO_TEST(test_run_cancels_hanging_tasks),
        CIO_TEST(test_run_runs_one_pass_after_main),
        CIO_TEST(test_run_until_complete_runs_one_pass_after),
        CIO_TEST(test_run_waits_for_cleanup),
        CIO_TEST(test_run_reports_hanging_task_errors),
        CIO_TEST(test_run_cancels_tasks_spawned_during_shutdown),
        CIO_TEST(test_task_numbers_continue_across_runs),
        CIO_TEST(test_run_ex_with_options),
        CIO_TEST(test_debug_reports_slow_task),
        CIO_TEST(test_debug_reports_slow_callback),
        CIO_TEST(test_cio_debug_environment),
        CIO_TEST(test_no_slow_report_without_debug),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
