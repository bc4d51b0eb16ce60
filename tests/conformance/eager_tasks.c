/* Conformance: eager tasks, asyncio 3.12's eager_task_factory and
 * Task(eager_start=True) (Lib/test/test_asyncio/test_eager_task_factory.py
 * re-expressed; Lib/asyncio/tasks.py __eager_start). */
#include "../cio_test.h"

static const cio_task_options eager_opts = {.eager = true};

#define create_eager(fn, arg) cio_create_task_ex(NULL, (fn), (arg), &eager_opts)

/* Run main under virtual time; it must return 0 with every CHECK held. */
#define RUN_OK(main)                                                           \
    do {                                                                       \
        int run_rc_ = run_vt((main), NULL, NULL);                              \
        checks_assert();                                                       \
        assert_int_equal(run_rc_, 0);                                          \
    } while (0)

static void *returns_at_once(void *arg) {
    ev_log(PINT(arg));
    return arg;
}

static void *logs_around_a_yield(void *arg) {
    ev_log(PINT(arg));
    cio_sleep(0);
    ev_log(PINT(arg) + 1);
    return NULL;
}

static void *main_eager_order(void *arg) {
    (void)arg;
    /* test_eager_completion: a coroutine that finishes without suspending
     * is done when the task is created; its result is there */
    ev_log(1);
    cio_future *t = create_eager(returns_at_once, IPTR(2));
    ev_log(3);
    CHECK(cio_future_done(t));
    CHECK_INT(PINT(cio_future_result(t)), 2);
    /* test_eager_task_factory_set: a task runs up to its first suspension
     * inside create_task, then the creator goes on, then the task */
    cio_future *u = create_eager(logs_around_a_yield, IPTR(4));
    ev_log(6);
    CHECK_INT(cio_future_state(u), CIO_RUNNING);
    CHECK_INT(cio_await(u, NULL), 0);
    ev_log(7);
    cio_release(t);
    cio_release(u);
    return NULL;
}

static void test_eager_runs_until_first_suspension(void **state) {
    (void)state;
    RUN_OK(main_eager_order);
    ev_assert(1, 2, 3, 4, 6, 5, 7);
}

/* ---- current_task and all_tasks --------------------------------------- */

typedef struct {
    cio_future *creator;
    cio_future *self_seen;
    long listed; /* all_tasks count while it ran, -1 if it was not in it */
} seen;

static void *looks_around(void *arg) {
    seen *s = arg;
    s->self_seen = cio_current_task();
    cio_future *all[16];
    long n = cio_all_tasks(NULL, all, 16);
    s->listed = -1;
    for (long i = 0; i < n && i < 16; i++)
        if (all[i] == s->self_seen)
            s->listed = n;
    cio_release_all(all, (size_t)(n < 16 ? n : 16));
    CHECK(cio_current_task() != s->creator);
    return NULL;
}

static void *main_current_task(void *arg) {
    (void)arg;
    seen s = {.creator = cio_current_task()};
    cio_future *t = create_eager(looks_around, &s);
    /* test_current_task / test_all_tasks: inside, current_task() is the
     * new task and all_tasks() lists it; afterwards the creator is current
     * again, and a task done eagerly is no longer listed */
    CHECK(s.self_seen == t);
    CHECK(s.listed == 2); /* main and itself */
    CHECK(cio_current_task() == s.creator);
    CHECK_INT(cio_all_tasks(NULL, NULL, 0), 1);
    cio_release(t);
    return NULL;
}

static void test_eager_current_task_and_all_tasks(void **state) {
    (void)state;
    RUN_OK(main_current_task);
}

/* ---- from a callback, and nested -------------------------------------- */

static cio_future *g_from_callback;
static cio_future *g_current_after;

static void creates_in_callback(void *arg) {
    (void)arg;
    g_from_callback = create_eager(returns_at_once, IPTR(8));
    g_current_after = cio_current_task();
}

static void *inner_nested(void *arg) {
    ev_log(PINT(arg));
    cio_sleep(0);
    ev_log(PINT(arg) + 1);
    return NULL;
}

static void *outer_nested(void *arg) {
    (void)arg;
    ev_log(10);
    cio_future *inner = create_eager(inner_nested, IPTR(11));
    ev_log(13);
    cio_sleep(0);
    ev_log(14);
    cio_await(inner, NULL);
    cio_release(inner);
    return NULL;
}

static void *main_callback_and_nested(void *arg) {
    (void)arg;
    /* a callback is not a task: an eager task started there runs on its
     * own stack all the same, and the callback's current task is NULL
     * again after */
    cio_call_soon(NULL, creates_in_callback, NULL, NULL);
    cio_sleep(0);
    CHECK(g_from_callback && cio_future_done(g_from_callback));
    CHECK(g_current_after == NULL);
    cio_release(g_from_callback);
    ev_reset();
    /* an eager task creating an eager task: each runs up to its first
     * suspension inside its creator's create_task */
    cio_future *outer = create_eager(outer_nested, NULL);
    ev_log(15);
    cio_await(outer, NULL);
    cio_release(outer);
    return NULL;
}

static void test_eager_from_callback_and_nested(void **state) {
    (void)state;
    RUN_OK(main_callback_and_nested);
    /* outer: 10, inner 11 (suspends), 13, outer suspends, main 15; next
     * pass: inner 12, outer 14 */
    ev_assert(10, 11, 13, 15, 12, 14);
}

/* ---- cancellation, errors --------------------------------------------- */

static void *sleeps(void *arg) {
    (void)arg;
    return IPTR(cio_sleep(10));
}

static void *cancels_itself(void *arg) {
    (void)arg;
    cio_cancel(cio_current_task(), "self");
    return IPTR(cio_sleep(0));
}

static void *raises_at_once(void *arg) {
    (void)arg;
    return cio_raise(CIO_ETIMEDOUT, "eager failure");
}

static void *main_cancellation(void *arg) {
    (void)arg;
    /* test_cancellation: an eager task suspended in its first await is
     * cancelled like any task */
    cio_future *t = create_eager(sleeps, NULL);
    CHECK(!cio_future_done(t));
    CHECK_INT(cio_cancel(t, NULL), 1);
    void *r = NULL;
    CHECK_INT(cio_await(t, &r), CIO_ECANCELED);
    /* a task that finished eagerly cannot be cancelled any more */
    cio_future *d = create_eager(returns_at_once, IPTR(1));
    CHECK_INT(cio_cancel(d, NULL), 0);
    CHECK(!cio_future_cancelled(d));
    /* cancelling itself during its eager start: the first suspension gets
     * CIO_ECANCELED, and the task ends CANCELLED */
    cio_future *c = create_eager(cancels_itself, NULL);
    CHECK_INT(cio_await(c, NULL), CIO_ECANCELED);
    CHECK_STR(cio_future_error_message(c), "self");
    /* test_eager_task_factory_raises: a failure without suspending is the
     * task's outcome when create_task returns */
    cio_future *e = create_eager(raises_at_once, NULL);
    CHECK(cio_future_done(e));
    CHECK_INT(cio_future_error(e), CIO_ETIMEDOUT);
    CHECK_STR(cio_future_error_message(e), "eager failure");
    cio_release(t);
    cio_release(d);
    cio_release(c);
    cio_release(e);
    return NULL;
}

static void test_eager_cancellation_and_errors(void **state) {
    (void)state;
    RUN_OK(main_cancellation);
}

/* ---- the loop option, and a loop that is not running ------------------ */

static void *main_loop_option(void *arg) {
    (void)arg;
    ev_log(1);
    cio_future *t = cio_create_task(returns_at_once, IPTR(2));
    ev_log(3);
    CHECK(cio_future_done(t));
    cio_release(t);
    return NULL;
}

static void test_eager_loop_option(void **state) {
    (void)state;
    /* eager_task_factory: every task created while the loop runs starts
     * eagerly; main itself, created before the loop runs, does not */
    cio_loop_options o = {.virtual_time = true, .eager_tasks = true};
    assert_int_equal(cio_run_ex(main_loop_option, NULL, NULL, &o), 0);
    checks_assert();
    ev_assert(1, 2, 3);
}

static void test_eager_needs_a_running_loop(void **state) {
    (void)state;
    /* tasks.py: `if eager_start and self._loop.is_running()`; otherwise
     * the task is scheduled as usual */
    cio_loop *loop = cio_loop_new(vt_opts());
    assert_non_null(loop);
    cio_future *t =
        cio_create_task_ex(loop, returns_at_once, IPTR(4), &eager_opts);
    assert_non_null(t);
    assert_int_equal(cio_future_state(t), CIO_PENDING);
    assert_int_equal(ev_n, 0);
    void *r = NULL;
    assert_int_equal(cio_loop_run_until_done(loop, t, &r), 0);
    assert_int_equal(PINT(r), 4);
    cio_release(t);
    assert_int_equal(cio_loop_close(loop), 0);
    ev_assert(4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_eager_runs_until_first_suspension),
        CIO_TEST(test_eager_current_task_and_all_tasks),
        CIO_TEST(test_eager_from_callback_and_nested),
        CIO_TEST(test_eager_cancellation_and_errors),
        CIO_TEST(test_eager_loop_option),
        CIO_TEST(test_eager_needs_a_running_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
