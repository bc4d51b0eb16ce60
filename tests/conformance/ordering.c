/* Conformance: asyncio's ordering rules, re-expressed in C. Each test names
 * the asyncio behaviour or CPython test it follows. */
#include "../cio_test.h"

/* The notebook's first cell: two tasks hand control back and forth with
 * asyncio.sleep(0), and the prints interleave in a fixed order. */
static void *foo(void *arg) {
    (void)arg;
    slog("Running in foo");
    CHECK_INT(cio_sleep(0), 0);
    slog("Explicit context switch to foo again");
    return NULL;
}

static void *bar(void *arg) {
    (void)arg;
    slog("Explicit context to bar");
    CHECK_INT(cio_sleep(0), 0);
    slog("Implicit context switch back to bar");
    return NULL;
}

static void *notebook_main(void *arg) {
    (void)arg;
    cio_future *tasks[] = {cio_create_task(foo, NULL),
                           cio_create_task(bar, NULL)};
    CHECK(tasks[0] && tasks[1]);
    CHECK_INT(cio_await(tasks[0], NULL), 0);
    CHECK_INT(cio_await(tasks[1], NULL), 0);
    cio_release_all(tasks, 2);
    return NULL;
}

static void test_notebook_foo_bar(void **state) {
    (void)state;
    assert_int_equal(cio_run(notebook_main, NULL, NULL), 0);
    checks_assert();
    const char *want[] = {"Running in foo", "Explicit context to bar",
                          "Explicit context switch to foo again",
                          "Implicit context switch back to bar"};
    assert_int_equal(slog_n, 4);
    for (int i = 0; i < 4; i++)
        assert_string_equal(slog_buf[i], want[i]);
}

static void cb_log(void *arg) {
    ev_log(PINT(arg));
}
static void *task_log(void *arg) {
    ev_log(PINT(arg));
    return NULL;
}

static void *create_fifo_main(void *arg) {
    (void)arg;
    CHECK_INT(cio_call_soon(NULL, cb_log, IPTR(1), NULL), 0);
    cio_future *t = cio_create_task(task_log, IPTR(2));
    CHECK_INT(cio_call_soon(NULL, cb_log, IPTR(3), NULL), 0);
    cio_future *u = cio_create_task(task_log, IPTR(4));
    ev_log(0);
    CHECK_INT(cio_await(t, NULL), 0);
    CHECK_INT(cio_await(u, NULL), 0);
    ev_log(5);
    cio_release(t);
    cio_release(u);
    return NULL;
}

/* asyncio Task.__init__ schedules the first step with loop.call_soon: a new
 * task starts in FIFO order with callbacks scheduled around it. */
static void test_task_start_is_fifo_with_call_soon(void **state) {
    (void)state;
    assert_int_equal(run_vt(create_fifo_main, NULL, NULL), 0);
    ev_assert(0, 1, 2, 3, 4, 5);
    checks_assert();
}

static cio_future *g_shared;
static void *waiter(void *arg) {
    void *r = NULL;
    CHECK_INT(cio_await(g_shared, &r), 0);
    ev_log(PINT(arg) * 100 + PINT(r));
    return NULL;
}

static void *same_future_main(void *arg) {
    (void)arg;
    g_shared = cio_future_new(NULL);
    cio_future *t[3];
    /* they start waiting in the order 3, 1, 2 */
    t[2] = cio_create_task(waiter, IPTR(3));
    t[0] = cio_create_task(waiter, IPTR(1));
    t[1] = cio_create_task(waiter, IPTR(2));
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_future_set_result(g_shared, IPTR(7)), 0);
    for (int i = 0; i < 3; i++)
        CHECK_INT(cio_await(t[i], NULL), 0);
    cio_release_all(t, 3);
    cio_release(g_shared);
    return NULL;
}

/* asyncio: tasks awaiting one future are woken by its done callbacks, which
 * run in the order they were added, i.e. the order the tasks began to wait. */
static void test_waiters_resume_in_wait_order(void **state) {
    (void)state;
    assert_int_equal(run_vt(same_future_main, NULL, NULL), 0);
    ev_assert(307, 107, 207);
    checks_assert();
}

static void done_log(cio_future *f, void *arg) {
    (void)f;
    ev_log(PINT(arg));
}

static void *await_logs(void *arg) {
    CHECK_INT(cio_await(g_shared, NULL), 0);
    ev_log(PINT(arg));
    return NULL;
}

static void *callback_vs_task_main(void *arg) {
    (void)arg;
    g_shared = cio_future_new(NULL);
    CHECK_INT(cio_future_add_done_callback(g_shared, done_log, IPTR(1)), 0);
    cio_future *t = cio_create_task(await_logs, IPTR(2));
    CHECK_INT(cio_sleep(0), 0); /* t now waits on g_shared */
    CHECK_INT(cio_future_add_done_callback(g_shared, done_log, IPTR(3)), 0);
    CHECK_INT(cio_future_set_result(g_shared, NULL), 0);
    CHECK_INT(cio_await(t, NULL), 0);
    cio_release(t);
    cio_release(g_shared);
    return NULL;
}

/* asyncio: a task's wake-up is one more done callback of the future it
 * awaits, in the order it was added among the others. */
static void test_task_wakeup_ordered_with_done_callbacks(void **state) {
    (void)state;
    assert_int_equal(run_vt(callback_vs_task_main, NULL, NULL), 0);
    ev_assert(1, 2, 3);
    checks_assert();
}

static void *schedules_then_returns(void *arg) {
    (void)arg;
    CHECK_INT(cio_call_soon(NULL, cb_log, IPTR(1), NULL), 0);
    return NULL;
}

static void *awaiter_main(void *arg) {
    (void)arg;
    cio_future *t = cio_create_task(schedules_then_returns, NULL);
    CHECK_INT(cio_await(t, NULL), 0);
    ev_log(2);
    cio_release(t);
    return NULL;
}

/* asyncio: when a task finishes, whoever awaits it resumes on a later pass,
 * after the callbacks the finishing task had already scheduled. */
static void test_awaiter_resumes_after_earlier_callbacks(void **state) {
    (void)state;
    assert_int_equal(run_vt(awaiter_main, NULL, NULL), 0);
    ev_assert(1, 2);
    checks_assert();
}

static void cb_set_shared(void *arg) {
    ev_log(PINT(arg));
    cio_future_set_result(g_shared, NULL);
}

static void *woken_by_callback_main(void *arg) {
    (void)arg;
    g_shared = cio_future_new(NULL);
    CHECK_INT(cio_call_soon(NULL, cb_set_shared, IPTR(1), NULL), 0);
    CHECK_INT(cio_call_soon(NULL, cb_log, IPTR(2), NULL), 0);
    CHECK_INT(cio_await(g_shared, NULL), 0);
    ev_log(3);
    cio_release(g_shared);
    return NULL;
}

/* asyncio: set_result() in a callback schedules the waiter's wake-up at the
 * end of the ready queue, behind callbacks already queued in that pass. */
static void test_wakeup_goes_behind_queued_callbacks(void **state) {
    (void)state;
    assert_int_equal(run_vt(woken_by_callback_main, NULL, NULL), 0);
    ev_assert(1, 2, 3);
    checks_assert();
}

static void done_removes_next(cio_future *f, void *arg) {
    ev_log(PINT(arg));
    /* the future is done: its callbacks are already scheduled */
    CHECK_INT(cio_future_remove_done_callback(f, done_log, IPTR(2)), 0);
}

static void *list_mutation_main(void *arg) {
    (void)arg;
    cio_future *f = cio_future_new(NULL);
    CHECK_INT(cio_future_add_done_callback(f, done_removes_next, IPTR(1)), 0);
    CHECK_INT(cio_future_add_done_callback(f, done_log, IPTR(2)), 0);
    CHECK_INT(cio_future_add_done_callback(f, done_log, IPTR(3)), 0);
    CHECK_INT(cio_future_set_result(f, NULL), 0);
    CHECK_INT(cio_sleep(0), 0);
    cio_release(f);
    return NULL;
}

/* test_futures.py: test_schedule_callbacks_list_mutation_1 -- a done
 * callback that removes another one after completion changes nothing: all
 * were scheduled when the future finished. */
static void test_schedule_callbacks_list_mutation(void **state) {
    (void)state;
    assert_int_equal(run_vt(list_mutation_main, NULL, NULL), 0);
    ev_assert(1, 2, 3);
    checks_assert();
}

static cio_future *g_tasks[2];
static int g_current_ok;
static void *interleaved(void *arg) {
    int i = PINT(arg);
    if (cio_current_task() == g_tasks[i])
        g_current_ok++;
    cio_sleep(0);
    if (cio_current_task() == g_tasks[i])
        g_current_ok++;
    cio_sleep(0.01);
    if (cio_current_task() == g_tasks[i])
        g_current_ok++;
    return NULL;
}

static void *interleaving_main(void *arg) {
    (void)arg;
    g_tasks[0] = cio_create_task(interleaved, IPTR(0));
    g_tasks[1] = cio_create_task(interleaved, IPTR(1));
    CHECK_INT(cio_await(g_tasks[1], NULL), 0);
    CHECK_INT(cio_await(g_tasks[0], NULL), 0);
    cio_release_all(g_tasks, 2);
    return NULL;
}

/* test_tasks.py: test_current_task_with_interleaving_tasks */
static void test_current_task_with_interleaving_tasks(void **state) {
    (void)state;
    g_current_ok = 0;
    assert_int_equal(run_vt(interleaving_main, NULL, NULL), 0);
    assert_int_equal(g_current_ok, 6);
    checks_assert();
}

static void *await_done_main(void *arg) {
    (void)arg;
    cio_future *f = cio_future_new(NULL);
    CHECK_INT(cio_future_set_result(f, IPTR(5)), 0);
    cio_future *t = cio_create_task(task_log, IPTR(1));
    void *r = NULL;
    CHECK_INT(cio_await(f, &r), 0); /* done: no suspension, t has not run */
    CHECK_INT(PINT(r), 5);
    ev_log(0);
    CHECK_INT(cio_await(t, NULL), 0);
    ev_log(2);
    cio_release(t);
    cio_release(f);
    return NULL;
}

/* asyncio Future.__await__: awaiting a future that is already done returns
 * its result without yielding to the loop. */
static void test_await_done_future_does_not_yield(void **state) {
    (void)state;
    assert_int_equal(run_vt(await_done_main, NULL, NULL), 0);
    ev_assert(0, 1, 2);
    checks_assert();
}

static void *sleeper_log(void *arg) {
    cio_sleep(PINT(arg) / 10.0);
    ev_log(PINT(arg));
    return NULL;
}

static void cb_stop_loop(void *arg) {
    cio_loop_stop((cio_loop *)arg);
}

/* test_base_events.py: test_run_once / timers and ready callbacks -- a
 * timer that is due runs before a timer that is due later, whichever was
 * set first, and tasks woken by timers run in deadline order. */
static void test_timers_and_tasks_interleave_by_deadline(void **state) {
    (void)state;
    cio_loop *loop = cio_loop_new(vt_opts());
    assert_non_null(loop);
    cio_future *t3 = cio_create_task_ex(loop, sleeper_log, IPTR(3), NULL);
    assert_int_equal(cio_call_later(loop, 0.2, cb_log, IPTR(20), NULL), 0);
    cio_future *t1 = cio_create_task_ex(loop, sleeper_log, IPTR(1), NULL);
    assert_int_equal(cio_call_later(loop, 0.05, cb_log, IPTR(5), NULL), 0);
    assert_int_equal(cio_call_later(loop, 0.4, cb_stop_loop, loop, NULL), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    ev_assert(5, 1, 20, 3);
    assert_true(cio_future_done(t1) && cio_future_done(t3));
    cio_release(t1);
    cio_release(t3);
    assert_int_equal(cio_loop_close(loop), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_notebook_foo_bar),
        CIO_TEST(test_task_start_is_fifo_with_call_soon),
        CIO_TEST(test_waiters_resume_in_wait_order),
        CIO_TEST(test_task_wakeup_ordered_with_done_callbacks),
        CIO_TEST(test_awaiter_resumes_after_earlier_callbacks),
        CIO_TEST(test_wakeup_goes_behind_queued_callbacks),
        CIO_TEST(test_schedule_callbacks_list_mutation),
        CIO_TEST(test_current_task_with_interleaving_tasks),
        CIO_TEST(test_await_done_future_does_not_yield),
        CIO_TEST(test_timers_and_tasks_interleave_by_deadline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
