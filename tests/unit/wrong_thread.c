/* Unit tests: a loop's objects refuse calls that change them from a thread
 * other than the loop's (CIO_EWRONGLOOP, a message naming the thread-safe
 * way), and are left as they were. Run under TSan too: the refusal must
 * not race with the loop. */
#include "../cio_test.h"

#include <pthread.h>

/* What the foreign thread gets from each call. */
enum {
    SET_RESULT,
    SET_ERROR,
    CANCEL_FUTURE,
    CANCEL_TASK,
    ADD_CB,
    REMOVE_CB,
    LOOP_STOP,
    LOOP_CLOSE,
    HANDLE_CANCEL,
    SET_NAME,
    UNCANCEL,
    RUN_FOREVER,
    SET_LOOP,
    NCALLS
};

typedef struct {
    cio_loop *loop;
    cio_future *future, *task;
    cio_handle *handle;
    int rc[NCALLS];
    char message[NCALLS][320];
} foreign;

static void noop_done(cio_future *f, void *arg) {
    (void)f;
    (void)arg;
}

static void noop_cb(void *arg) {
    (void)arg;
}

static void record(foreign *w, int i, int rc) {
    w->rc[i] = rc;
    snprintf(w->message[i], sizeof w->message[i], "%s",
             cio_last_error_message());
}

static void *foreign_calls(void *arg) {
    foreign *w = arg;
    record(w, SET_RESULT, cio_future_set_result(w->future, IPTR(1)));
    record(w, SET_ERROR, cio_future_set_error(w->future, CIO_ETIMEDOUT, NULL));
    record(w, CANCEL_FUTURE, cio_cancel(w->future, "x"));
    record(w, CANCEL_TASK, cio_cancel(w->task, "x"));
    record(w, ADD_CB, cio_future_add_done_callback(w->future, noop_done, w));
    record(w, REMOVE_CB,
           cio_future_remove_done_callback(w->future, noop_done, NULL));
    record(w, LOOP_STOP, cio_loop_stop(w->loop));
    record(w, LOOP_CLOSE, cio_loop_close(w->loop));
    record(w, HANDLE_CANCEL, cio_handle_cancel(w->handle));
    record(w, SET_NAME, cio_task_set_name(w->task, "renamed"));
    record(w, UNCANCEL, cio_task_uncancel(w->task));
    record(w, RUN_FOREVER, cio_loop_run_forever(w->loop));
    record(w, SET_LOOP, cio_set_loop(w->loop));
    return NULL;
}

static void check_refused(const foreign *w) {
    for (int i = 0; i < NCALLS; i++) {
        if (w->rc[i] != CIO_EWRONGLOOP)
            fail_msg("call %d returned %d, expected CIO_EWRONGLOOP", i,
                     w->rc[i]);
        if (!strstr(w->message[i], "cio_call_soon_threadsafe") ||
            !strstr(w->message[i], "cio_run_coroutine_threadsafe"))
            fail_msg("call %d: message lacks the thread-safe way: %s", i,
                     w->message[i]);
    }
}

static void *sleeper(void *arg) {
    (void)arg;
    cio_sleep(10);
    return NULL;
}

/* A loop at rest: each call from another thread is refused, and nothing
 * changed: the future is still pending, the task not cancelled, the
 * handle still scheduled, the loop still open. */
static void test_refused_at_rest(void **state) {
    (void)state;
    foreign w = {0};
    w.loop = cio_loop_new(vt_opts());
    assert_non_null(w.loop);
    w.future = cio_future_new(w.loop);
    w.task = cio_create_task_ex(w.loop, sleeper, NULL,
                                &(cio_task_options){.name = "kept"});
    assert_non_null(w.future);
    assert_non_null(w.task);
    assert_int_equal(cio_call_later(w.loop, 1, noop_cb, NULL, &w.handle), 0);
    assert_int_equal(cio_future_add_done_callback(w.future, noop_done, NULL),
                     0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, foreign_calls, &w), 0);
    pthread_join(th, NULL);
    check_refused(&w);
    assert_int_equal(cio_future_state(w.future), CIO_PENDING);
    assert_int_equal(cio_task_cancelling(w.task), 0);
    assert_string_equal(cio_task_get_name(w.task), "kept");
    assert_false(cio_handle_cancelled(w.handle));
    assert_ptr_equal(cio_future_loop(w.future), w.loop);
    /* the callback registered on the loop's thread is still there */
    assert_int_equal(cio_future_remove_done_callback(w.future, noop_done, NULL),
                     1);
    /* and the same calls work on the loop's own thread */
    assert_int_equal(cio_future_set_result(w.future, IPTR(7)), 0);
    assert_int_equal(cio_cancel(w.task, NULL), 1);
    assert_int_equal(cio_loop_run_until_done(w.loop, w.task, NULL),
                     CIO_ECANCELED);
    cio_handle_release(w.handle);
    cio_release(w.future);
    cio_release(w.task);
    assert_int_equal(cio_loop_close(w.loop), 0);
}

/* The same while the loop runs: a task awaits a future and a thread tries
 * to finish it, stop the loop and close it directly (refused), then does
 * it the thread-safe way. */
typedef struct {
    foreign w;
    pthread_t th;
} running_ctx;

static void set_on_loop(void *arg) {
    foreign *w = arg;
    CHECK_INT(cio_future_set_result(w->future, IPTR(42)), 0);
}

static void *foreign_then_threadsafe(void *arg) {
    foreign *w = arg;
    foreign_calls(w);
    /* the thread-safe way that the messages name */
    int rc = cio_call_soon_threadsafe(w->loop, set_on_loop, w);
    return IPTR(rc);
}

static void *awaiter(void *arg) {
    running_ctx *c = arg;
    c->w.loop = cio_get_running_loop();
    c->w.future = cio_future_new(NULL);
    c->w.task = cio_current_task();
    CHECK(c->w.future != NULL);
    CHECK_INT(cio_call_later(NULL, 1000, noop_cb, NULL, &c->w.handle), 0);
    CHECK_INT(pthread_create(&c->th, NULL, foreign_then_threadsafe, &c->w), 0);
    void *result = NULL;
    int rc = cio_await(c->w.future, &result);
    CHECK_INT(rc, 0);
    CHECK_INT(PINT(result), 42);
    cio_handle_cancel(c->w.handle);
    cio_handle_release(c->w.handle);
    cio_release(c->w.future);
    return NULL;
}

static void test_refused_while_running(void **state) {
    (void)state;
    running_ctx c = {0};
    assert_int_equal(cio_run(awaiter, &c, NULL), 0);
    void *trc = NULL;
    pthread_join(c.th, &trc);
    assert_int_equal(PINT(trc), 0);
    check_refused(&c.w);
    checks_assert();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_refused_at_rest),
        CIO_TEST(test_refused_while_running),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
