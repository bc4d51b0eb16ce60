/* Unit tests: the loop and threads (run_in_executor, to_thread,
 * wrap_tfuture, call_soon_threadsafe, run_coroutine_threadsafe, the default
 * executor's life). */
#include "../cio_test.h"
#include "../thread_helpers.h"

#include <stdatomic.h>

static atomic_int work_ran;

static void *triple(void *arg) {
    atomic_fetch_add(&work_ran, 1);
    return IPTR(PINT(arg) * 3);
}

static void *fail_eio(void *arg) {
    (void)arg;
    return cio_raise(-EIO, "no disk");
}

/* ---- run_in_executor / to_thread --------------------------------------- */

static pthread_t cb_thread;
static void note_thread(cio_future *f, void *arg) {
    (void)f;
    (void)arg;
    cb_thread = pthread_self();
}

static void *main_run_in_executor(void *arg) {
    cio_executor *ex = arg;
    cio_future *f = cio_run_in_executor(ex, triple, IPTR(14));
    CHECK(f != NULL);
    CHECK(cio_future_add_done_callback(f, note_thread, NULL) == 0);
    void *r = NULL;
    CHECK_INT(cio_await(f, &r), 0);
    CHECK_INT(PINT(r), 42);
    cio_release(f);
    cio_sleep(0); /* let the done callback run */
    CHECK(pthread_equal(cb_thread, pthread_self())); /* on the loop thread */

    f = cio_to_thread(fail_eio, NULL);
    CHECK_INT(cio_await(f, NULL), -EIO);
    CHECK_STR(cio_future_error_message(f), "no disk");
    cio_release(f);
    return NULL;
}

static void test_run_in_executor_and_to_thread(void **state) {
    (void)state;
    cio_executor *ex = cio_executor_new(2);
    assert_int_equal(cio_run(main_run_in_executor, ex, NULL), 0);
    assert_int_equal(cio_run(main_run_in_executor, NULL, NULL), 0);
    checks_assert();
    cio_executor_free(ex);
}

static void test_outside_a_loop(void **state) {
    (void)state;
    assert_null(cio_to_thread(triple, NULL));
    assert_int_equal(cio_last_error(), CIO_ENOLOOP);
    assert_null(cio_run_in_executor(NULL, NULL, NULL));
    assert_int_equal(cio_last_error(), CIO_EINVAL);
    assert_null(cio_wrap_tfuture(NULL));
    assert_int_equal(cio_last_error(), CIO_EINVAL);
    assert_int_equal(cio_call_soon_threadsafe(NULL, NULL, NULL), CIO_EINVAL);
    assert_null(cio_run_coroutine_threadsafe(NULL, triple, NULL));
    assert_int_equal(cio_last_error(), CIO_EINVAL);
}

/* ---- cancellation ---------------------------------------------------- */

typedef struct cancel_ctx {
    cio_executor *ex; /* one worker */
    gate busy_gate;
    cio_future *busy;
    int awaited;
} cancel_ctx;

static void *await_work(void *arg) {
    cancel_ctx *c = arg;
    cio_future *f = cio_run_in_executor(c->ex, triple, IPTR(1));
    c->awaited = cio_await(f, NULL);
    cio_release(f);
    return NULL;
}

static void *main_cancel_before_start(void *arg) {
    cancel_ctx *c = arg;
    c->busy = cio_run_in_executor(c->ex, gated, &c->busy_gate);
    cio_future *t = cio_create_task(await_work, c);
    cio_sleep(0); /* t submits its work, queued behind `busy` */
    cio_sleep(0);
    CHECK_INT(cio_cancel(t, NULL), 1);
    CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
    CHECK_INT(c->awaited, CIO_ECANCELED);
    cio_sleep(0); /* the cancellation reaches the tfuture */
    gate_open(&c->busy_gate);
    CHECK_INT(cio_await(c->busy, NULL), 0);
    cio_release(c->busy);
    cio_release(t);
    return NULL;
}

static void test_cancel_awaiting_task_before_work_started(void **state) {
    (void)state;
    atomic_store(&work_ran, 0);
    cancel_ctx c = {.ex = cio_executor_new(1)};
    gate_init(&c.busy_gate);
    assert_int_equal(cio_run(main_cancel_before_start, &c, NULL), 0);
    checks_assert();
    cio_executor_free(c.ex); /* joins: the work would have run by now */
    assert_int_equal(atomic_load(&work_ran), 0);
    gate_destroy(&c.busy_gate);
}

static void *await_gated(void *arg) {
    cancel_ctx *c = arg;
    cio_future *f = cio_run_in_executor(c->ex, gated, &c->busy_gate);
    c->awaited = cio_await(f, NULL);
    cio_release(f);
    return NULL;
}

static void *main_cancel_while_running(void *arg) {
    cancel_ctx *c = arg;
    cio_future *t = cio_create_task(await_gated, c);
    cio_sleep(0);
    /* wait (blocking the loop: fine in a test) until the worker has it */
    gate_arrivals(&c->busy_gate, 1);
    cio_cancel(t, NULL);
    CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
    gate_open(&c->busy_gate); /* the work finishes; its result is dropped */
    cio_release(t);
    return NULL;
}

static void test_cancel_awaiting_task_while_work_runs(void **state) {
    (void)state;
    cancel_ctx c = {.ex = cio_executor_new(1)};
    gate_init(&c.busy_gate);
    assert_int_equal(cio_run(main_cancel_while_running, &c, NULL), 0);
    checks_assert();
    assert_int_equal(c.awaited, CIO_ECANCELED);
    assert_int_equal(gate_arrived(&c.busy_gate), 1);
    cio_executor_free(c.ex);
    gate_destroy(&c.busy_gate);
}

/* ---- the default executor's life --------------------------------------- */

static atomic_int slow_done;

static void *slow_work(void *arg) {
    sleep_s(0.1);
    atomic_store(&slow_done, PINT(arg));
    return NULL;
}

static void *main_leave_work_running(void *arg) {
    (void)arg;
    cio_release(cio_to_thread(slow_work, IPTR(7)));
    return NULL; /* cio_run must wait for slow_work */
}

static void test_cio_run_waits_for_default_executor(void **state) {
    (void)state;
    atomic_store(&slow_done, 0);
    assert_int_equal(cio_run(main_leave_work_running, NULL, NULL), 0);
    assert_int_equal(atomic_load(&slow_done), 7);
}

/* Static: abandoned workers may still be inside it after the test. */
static gate close_gate;
static atomic_int close_left;

static void *gated_count(void *arg) {
    gate_pass(arg);
    atomic_fetch_add(&close_left, 1);
    return NULL;
}

static void *main_start_gated(void *arg) {
    cio_release(cio_to_thread(gated_count, arg));
    cio_release(cio_to_thread(gated_count, arg)); /* a second worker */
    return NULL;
}

static void test_loop_close_does_not_wait(void **state) {
    (void)state;
    gate_init(&close_gate);
    cio_loop *loop = cio_loop_new(NULL);
    assert_int_equal(
        cio_loop_run_until_complete(loop, main_start_gated, &close_gate, NULL),
        0);
    gate_arrivals(&close_gate, 2);
    /* the work is still blocked: closing must not wait for it */
    assert_int_equal(cio_loop_close(loop), 0);
    gate_open(&close_gate); /* the workers finish and free the executor */
    for (int i = 0; i < 6000 && atomic_load(&close_left) < 2; i++)
        sleep_s(0.005);
    assert_int_equal(atomic_load(&close_left), 2);
}

/* ---- wrap_tfuture -------------------------------------------------------- */

typedef struct setter {
    cio_tfuture *tf;
    gate go, leave;
} setter;

/* Sets the result, then stays until told to leave: a loop with nothing to
 * do waits for other threads only while they exist (see the report on
 * CIO_EDEADLK in docs/design.md). */
static void *set_from_thread(void *arg) {
    setter *s = arg;
    gate_pass(&s->go);
    cio_tfuture_set_result(s->tf, IPTR(5));
    gate_pass(&s->leave);
    return NULL;
}

static void *main_wrap(void *arg) {
    setter *s = arg;
    cio_future *f = cio_wrap_tfuture(s->tf);
    CHECK(f != NULL);
    pthread_t t;
    pthread_create(&t, NULL, set_from_thread, s);
    gate_open(&s->go);
    void *r = NULL;
    CHECK_INT(cio_await(f, &r), 0);
    CHECK_INT(PINT(r), 5);
    cio_release(f);
    /* a tfuture done before wrapping: done on the next pass */
    f = cio_wrap_tfuture(s->tf);
    CHECK(!cio_future_done(f));
    CHECK_INT(cio_await(f, &r), 0);
    cio_release(f);
    /* cancelling the loop future cancels a pending tfuture */
    cio_tfuture *other = cio_tfuture_new();
    f = cio_wrap_tfuture(other);
    cio_cancel(f, NULL);
    cio_sleep(0);
    CHECK(cio_tfuture_cancelled(other));
    cio_release(f);
    cio_tfuture_release(other);
    gate_open(&s->leave);
    pthread_join(t, NULL);
    return NULL;
}

static void test_wrap_tfuture(void **state) {
    (void)state;
    setter s = {.tf = cio_tfuture_new()};
    gate_init(&s.go);
    gate_init(&s.leave);
    assert_int_equal(cio_run(main_wrap, &s, NULL), 0);
    checks_assert();
    cio_tfuture_release(s.tf);
    gate_destroy(&s.go);
    gate_destroy(&s.leave);
}

static void *main_wrap_never_finished(void *arg) {
    /* a wrapped tfuture that never finishes: the loop closes cleanly */
    cio_future *f = cio_wrap_tfuture(arg);
    cio_release(f);
    return NULL;
}

static void test_wrap_never_finished(void **state) {
    (void)state;
    cio_tfuture *tf = cio_tfuture_new();
    assert_int_equal(cio_run(main_wrap_never_finished, tf, NULL), 0);
    /* the bridge let go of its callback: finishing now touches nothing */
    cio_tfuture_set_result(tf, NULL);
    cio_tfuture_release(tf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_run_in_executor_and_to_thread),
        CIO_TEST(test_outside_a_loop),
        CIO_TEST(test_cancel_awaiting_task_before_work_started),
        CIO_TEST(test_cancel_awaiting_task_while_work_runs),
        CIO_TEST(test_cio_run_waits_for_default_executor),
        CIO_TEST(test_loop_close_does_not_wait),
        CIO_TEST(test_wrap_tfuture),
        CIO_TEST(test_wrap_never_finished),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
