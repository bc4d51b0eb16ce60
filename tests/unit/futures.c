/* Unit tests: futures (states, results, errors, cancellation, done
 * callbacks, lifetime). */
#include "../cio_test.h"

static cio_loop *g_loop;

static cio_loop *new_loop(void) {
    g_loop = cio_loop_new(vt_opts());
    assert_non_null(g_loop);
    return g_loop;
}

static cio_future *g_cb_future;
static cio_state g_cb_state;
static void *g_cb_result;
static void done_log(cio_future *f, void *arg) {
    ev_log(PINT(arg));
    g_cb_future = f;
    g_cb_state = cio_future_state(f);
    g_cb_result = cio_future_result(f);
}

/* ------------------------------------------------------------------------ */

static void test_pending_to_done(void **state) {
    (void)state;
    cio_loop *loop = new_loop();
    cio_future *f = cio_future_new(loop);
    assert_non_null(f);
    assert_int_equal(cio_future_state(f), CIO_PENDING);
    assert_false(cio_future_done(f));
    assert_false(cio_future_cancelled(f));
    assert_false(cio_is_task(f));
    assert_ptr_equal(cio_future_loop(f), loop);
    /* nothing to read yet */
    assert_null(cio_future_result(f));
    assert_int_equal(cio_future_error(f), CIO_EINVALIDSTATE);
    assert_null(cio_future_error_message(f));

    assert_int_equal(cio_future_set_result(f, IPTR(42)), 0);
    assert_int_equal(cio_future_state(f), CIO_DONE);
    assert_true(cio_future_done(f));
    assert_false(cio_future_cancelled(f));
    assert_int_equal(PINT(cio_future_result(f)), 42);
    assert_int_equal(cio_future_error(f), 0);
    assert_null(cio_future_error_message(f)); /* successful: no message */
    cio_release(f);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void test_pending_to_cancelled(void **state) {
    (void)state;
    cio_loop *loop = new_loop();
    cio_future *f = cio_future_new(loop);
    assert_non_null(f);
    assert_int_equal(cio_cancel(f, "why not"), 1);
    assert_int_equal(cio_future_state(f), CIO_CANCELLED);
    assert_true(cio_future_done(f));
    assert_true(cio_future_cancelled(f));
    assert_null(cio_future_result(f));
    assert_int_equal(cio_future_error(f), CIO_ECANCELED);
    assert_string_equal(cio_future_error_message(f), "why not");
    /* cancelling again, or setting, is refused */
    assert_int_equal(cio_cancel(f, "again"), 0);
    assert_string_equal(cio_future_error_message(f), "why not");
    assert_int_equal(cio_future_set_result(f, IPTR(1)), CIO_EINVALIDSTATE);
    assert_int_equal(cio_future_set_error(f, -EIO, NULL), CIO_EINVALIDSTATE);
    assert_int_equal(cio_future_state(f), CIO_CANCELLED);
    cio_release(f);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void test_cancel_message_copied_and_default_empty(void **state) {
    (void)state;
    cio_loop *loop = new_loop();
    cio_future *f = cio_future_new(loop), *g = cio_future_new(loop);
    char msg[32];
    strcpy(msg, "original");
    assert_int_equal(cio_cancel(f, msg), 1);
    strcpy(msg, "scribbled");
    assert_string_equal(cio_future_error_message(f), "original");
    assert_int_equal(cio_cancel(g, NULL), 1);
    assert_string_equal(cio_future_error_message(g), "");
    cio_release(f);
    cio_release(g);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void test_set_result_twice(void **state) {
    (void)state;
    cio_loop *loop = new_loop();
    cio_future *f = cio_future_new(loop);
    assert_int_equal(cio_future_set_result(f, IPTR(1)), 0);
    assert_int_equal(cio_future_set_result(f, IPTR(2)), CIO_EINVALIDSTATE);
    assert_int_equal(PINT(cio_future_result(f)), 1);
    assert_int_equal(cio_future_set_error(f, -EIO, "late"), CIO_EINVALIDSTATE);
    assert_int_equal(cio_future_error(f), 0);
    assert_int_equal(cio_cancel(f, NULL), 0); /* cancel of a done future */
    assert_int_equal(cio_future_state(f), CIO_DONE);
    cio_release(f);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void test_set_error_formats_message(void **state) {
    (void)state;
    cio_loop *loop = new_loop();
    cio_future *f = cio_future_new(loop);
    assert_int_equal(
        cio_future_set_error(f, -ENOENT, "file %s, line %d", "a.txt", 3), 0);
    assert_int_equal(cio_future_state(f), CIO_DONE);
    assert_false(cio_future_cancelled(f));
    assert_int_equal(cio_future_error(f), -ENOENT);
    assert_string_equal(cio_future_error_message(f), "file a.txt, line 3");
    assert_null(cio_future_result(f));
    assert_int_equal(cio_future_set_error(f, -EIO, "again"), CIO_EINVALIDSTATE);
    assert_int_equal(cio_future_set_result(f, NULL), CIO_EINVALIDSTATE);
    assert_int_equal(cio_future_error(f), -ENOENT);

    /* NULL format: the message is cio_strerror(code) */
    cio_future *g = cio_future_new(loop);
    assert_int_equal(cio_future_set_error(g, CIO_ETIMEDOUT, NULL), 0);
    assert_int_equal(cio_future_error(g), CIO_ETIMEDOUT);
    assert_string_equal(cio_future_error_message(g),
                        cio_strerror(CIO_ETIMEDOUT));

    /* a long message is kept whole */
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    cio_future *h = cio_future_new(loop);
    assert_int_equal(cio_future_set_error(h, -EIO, "%s!", big), 0);
    assert_int_equal(strlen(cio_future_error_message(h)), sizeof big);
    assert_int_equal(cio_future_error(h), -EIO);

    /* a code that is not negative is refused and leaves the future pending */
    cio_future *k = cio_future_new(loop);
    assert_int_equal(cio_future_set_error(k, 5, "positive"), CIO_EINVAL);
    assert_int_equal(cio_future_set_error(k, 0, "zero"), CIO_EINVAL);
    assert_int_equal(cio_future_state(k), CIO_PENDING);
    cio_future *all[] = {f, g, h, k, NULL};
    cio_release_all(all, 5);
    assert_int_equal(cio_loop_close(loop), 0);
}

/* set_error with CIO_ECANCELED is a cancellation, like cio_cancel. */
static void test_set_error_ecanceled_cancels(void **state) {
    (void)state;
    cio_loop *loop = new_loop();
    cio_future *f = cio_future_new(loop);
    assert_int_equal(cio_future_set_error(f, CIO_ECANCELED, "stop %d", 1), 0);
    assert_int_equal(cio_future_state(f), CIO_CANCELLED);
    assert_true(cio_future_cancelled(f));
    assert_int_equal(cio_future_error(f), CIO_ECANCELED);
    assert_string_equal(cio_future_error_message(f), "stop 1");
    assert_int_equal(cio_cancel(f, NULL), 0);
    cio_release(f);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void test_retain_release(void **state) {
    (void)state;
    cio_loop *loop = new_loop();
    cio_future *f = cio_future_new(loop);
    assert_ptr_equal(cio_retain(f), f);
    assert_null(cio_retain(NULL));
    cio_release(f);
    /* still alive: we hold the second reference */
    assert_int_equal(cio_future_set_result(f, IPTR(3)), 0);
    assert_int_equal(PINT(cio_future_result(f)), 3);
    cio_release(f);
    cio_release(NULL);
    cio_release_all(NULL, 0);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void test_future_new_uses_current_loop(void **state) {
    (void)state;
    cio_loop *loop = new_loop();
    cio_future *f = cio_future_new(NULL);
    assert_non_null(f);
    assert_ptr_equal(cio_future_loop(f), loop);
    cio_release(f);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void *not_inline_main(void *arg) {
    (void)arg;
    cio_future *f = cio_future_new(NULL);
    CHECK(f != NULL);
    CHECK_INT(cio_future_add_done_callback(f, done_log, IPTR(1)), 0);
    CHECK_INT(cio_future_set_result(f, IPTR(9)), 0);
    CHECK_INT(ev_n, 0); /* not called inline */
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 1); /* called on the next pass */
    CHECK_PTR(g_cb_future, f);
    CHECK_INT(g_cb_state, CIO_DONE);
    CHECK_INT(PINT(g_cb_result), 9);
    cio_release(f);
    return NULL;
}

static void test_done_callback_not_inline(void **state) {
    (void)state;
    assert_int_equal(run_vt(not_inline_main, NULL, NULL), 0);
    ev_assert(1);
    checks_assert();
}

/* Outside a running loop: the callback waits for the loop's next pass. */
static void test_done_callback_runs_on_next_pass(void **state) {
    (void)state;
    cio_loop *loop = new_loop();
    cio_future *f = cio_future_new(loop);
    assert_int_equal(cio_future_add_done_callback(f, done_log, IPTR(5)), 0);
    assert_int_equal(cio_future_set_result(f, NULL), 0);
    assert_int_equal(ev_n, 0);
    assert_int_equal(cio_loop_stop(loop), 0); /* one pass */
    assert_int_equal(cio_loop_run_forever(loop), 0);
    ev_assert(5);
    cio_release(f);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void *order_main(void *arg) {
    (void)arg;
    cio_future *f = cio_future_new(NULL), *g = cio_future_new(NULL);
    for (int i = 1; i <= 3; i++)
        CHECK_INT(cio_future_add_done_callback(f, done_log, IPTR(i)), 0);
    CHECK_INT(cio_future_add_done_callback(g, done_log, IPTR(10)), 0);
    CHECK_INT(cio_future_add_done_callback(f, done_log, IPTR(4)), 0);
    /* g finishes first, so its callback is scheduled first */
    CHECK_INT(cio_future_set_error(g, -EIO, NULL), 0);
    CHECK_INT(cio_future_set_result(f, NULL), 0);
    CHECK_INT(cio_sleep(0), 0);
    cio_release(f);
    cio_release(g);
    return NULL;
}

static void test_done_callbacks_in_order_added(void **state) {
    (void)state;
    assert_int_equal(run_vt(order_main, NULL, NULL), 0);
    ev_assert(10, 1, 2, 3, 4);
    checks_assert();
}

static void *already_done_main(void *arg) {
    (void)arg;
    cio_future *f = cio_future_new(NULL);
    CHECK_INT(cio_future_set_result(f, IPTR(4)), 0);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_future_add_done_callback(f, done_log, IPTR(1)), 0);
    CHECK_INT(ev_n, 0); /* scheduled, not called */
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 1);
    CHECK_INT(PINT(g_cb_result), 4);
    cio_release(f);
    return NULL;
}

static void test_done_callback_on_done_future_is_scheduled(void **state) {
    (void)state;
    assert_int_equal(run_vt(already_done_main, NULL, NULL), 0);
    ev_assert(1);
    checks_assert();
}

static void *cancel_cb_main(void *arg) {
    (void)arg;
    cio_future *f = cio_future_new(NULL);
    CHECK_INT(cio_future_add_done_callback(f, done_log, IPTR(1)), 0);
    CHECK_INT(cio_cancel(f, "stop"), 1);
    CHECK_INT(ev_n, 0);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 1);
    CHECK_INT(g_cb_state, CIO_CANCELLED);
    cio_release(f);
    return NULL;
}

static void test_done_callback_on_cancel(void **state) {
    (void)state;
    assert_int_equal(run_vt(cancel_cb_main, NULL, NULL), 0);
    checks_assert();
}

static void *remove_main(void *arg) {
    (void)arg;
    cio_future *f = cio_future_new(NULL);
    CHECK_INT(cio_future_add_done_callback(f, done_log, IPTR(1)), 0);
    CHECK_INT(cio_future_add_done_callback(f, done_log, IPTR(2)), 0);
    CHECK_INT(cio_future_add_done_callback(f, done_log, IPTR(1)), 0);
    CHECK_INT(cio_future_add_done_callback(f, done_log, IPTR(3)), 0);
    CHECK_INT(cio_future_remove_done_callback(f, done_log, IPTR(1)), 2);
    CHECK_INT(cio_future_remove_done_callback(f, done_log, IPTR(1)), 0);
    CHECK_INT(cio_future_remove_done_callback(f, done_log, IPTR(99)), 0);
    CHECK_INT(cio_future_set_result(f, NULL), 0);
    CHECK_INT(cio_sleep(0), 0);
    cio_release(f);
    return NULL;
}

static void test_remove_done_callback_counts(void **state) {
    (void)state;
    assert_int_equal(run_vt(remove_main, NULL, NULL), 0);
    ev_assert(2, 3);
    checks_assert();
}

static void *released_main(void *arg) {
    (void)arg;
    cio_future *f = cio_future_new(NULL);
    CHECK_INT(cio_future_add_done_callback(f, done_log, IPTR(1)), 0);
    CHECK_INT(cio_future_set_result(f, IPTR(6)), 0);
    cio_release(f); /* the scheduled callback keeps the future alive */
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 1);
    CHECK_INT(PINT(g_cb_result), 6);
    return NULL;
}

static void test_callback_keeps_future_alive(void **state) {
    (void)state;
    assert_int_equal(run_vt(released_main, NULL, NULL), 0);
    checks_assert();
}

/* Closing a loop drops callbacks that never ran, and the futures they
 * referenced are freed once released (LeakSanitizer checks this). */
static void test_close_drops_scheduled_done_callbacks(void **state) {
    (void)state;
    cio_loop *loop = new_loop();
    cio_future *f = cio_future_new(loop);
    assert_int_equal(cio_future_add_done_callback(f, done_log, IPTR(1)), 0);
    assert_int_equal(cio_future_set_result(f, NULL), 0);
    cio_release(f);
    cio_future *g = cio_future_new(loop); /* pending with a callback */
    assert_int_equal(cio_future_add_done_callback(g, done_log, IPTR(2)), 0);
    assert_int_equal(cio_loop_close(loop), 0);
    assert_int_equal(ev_n, 0);
    cio_release(g);
}

/* A future outlives its loop: it can be inspected and released, and calls
 * that would schedule work say CIO_ELOOPCLOSED. */
static void test_future_outlives_loop(void **state) {
    (void)state;
    cio_loop *loop = new_loop();
    cio_future *pending = cio_future_new(loop);
    cio_future *done = cio_future_new(loop);
    assert_int_equal(cio_future_set_result(done, IPTR(11)), 0);
    assert_int_equal(cio_loop_close(loop), 0);
    assert_null(cio_future_loop(pending));
    assert_null(cio_future_loop(done));
    assert_int_equal(cio_future_state(pending), CIO_PENDING);
    assert_int_equal(cio_future_set_result(pending, NULL), CIO_ELOOPCLOSED);
    assert_int_equal(cio_future_set_error(pending, -EIO, NULL),
                     CIO_ELOOPCLOSED);
    assert_int_equal(cio_cancel(pending, NULL), CIO_ELOOPCLOSED);
    assert_int_equal(cio_future_state(done), CIO_DONE);
    assert_int_equal(PINT(cio_future_result(done)), 11);
    assert_int_equal(cio_future_error(done), 0);
    cio_release(pending);
    cio_release(done);
}

static void cb_set(void *arg) {
    cio_future_set_result((cio_future *)arg, IPTR(21));
}

static void *await_main(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    /* awaiting a future that is done returns at once, without a pass */
    cio_future *done = cio_future_new(NULL);
    CHECK_INT(cio_future_set_result(done, IPTR(7)), 0);
    void *r = NULL;
    cio_future *marker = cio_future_new(NULL);
    CHECK_INT(cio_future_set_result(marker, NULL), 0);
    CHECK_INT(cio_future_add_done_callback(marker, done_log, IPTR(1)),
              0); /* next pass */
    CHECK_INT(cio_await(done, &r), 0);
    CHECK_INT(PINT(r), 7);
    CHECK_INT(ev_n, 0); /* the await did not let a pass run */
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(ev_n, 1);

    /* awaiting a pending future suspends until a timer sets it */
    cio_future *later = cio_future_new(NULL);
    double t0 = cio_loop_time(loop);
    CHECK_INT(cio_call_later(NULL, 0.5, cb_set, later, NULL), 0);
    r = NULL;
    CHECK_INT(cio_await(later, &r), 0);
    CHECK_INT(PINT(r), 21);
    CHECK(cio_loop_time(loop) - t0 >= 0.5 - T_EPS);

    /* an error is returned as the await's status */
    cio_future *bad = cio_future_new(NULL);
    CHECK_INT(cio_future_set_error(bad, -EACCES, "denied"), 0);
    CHECK_INT(cio_await(bad, NULL), -EACCES);

    /* a cancelled future: CIO_ECANCELED, but the awaiting task itself is
     * not being cancelled */
    cio_future *gone = cio_future_new(NULL);
    CHECK_INT(cio_cancel(gone, NULL), 1);
    CHECK_INT(cio_await(gone, NULL), CIO_ECANCELED);
    CHECK_INT(cio_task_cancelling(cio_current_task()), 0);

    cio_future *all[] = {done, marker, later, bad, gone};
    cio_release_all(all, 5);
    return IPTR(1);
}

static void test_await_futures(void **state) {
    (void)state;
    void *res = NULL;
    assert_int_equal(run_vt(await_main, NULL, &res), 0);
    assert_int_equal(PINT(res),
                     1); /* ended DONE despite awaiting a cancelled future */
    checks_assert();
}

static void test_state_names(void **state) {
    (void)state;
    assert_string_equal(cio_state_name(CIO_PENDING), "PENDING");
    assert_string_equal(cio_state_name(CIO_RUNNING), "RUNNING");
    assert_string_equal(cio_state_name(CIO_DONE), "DONE");
    assert_string_equal(cio_state_name(CIO_CANCELLED), "CANCELLED");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_pending_to_done),
        CIO_TEST(test_pending_to_cancelled),
        CIO_TEST(test_cancel_message_copied_and_default_empty),
        CIO_TEST(test_set_result_twice),
        CIO_TEST(test_set_error_formats_message),
        CIO_TEST(test_set_error_ecanceled_cancels),
        CIO_TEST(test_retain_release),
        CIO_TEST(test_future_new_uses_current_loop),
        CIO_TEST(test_done_callback_not_inline),
        CIO_TEST(test_done_callback_runs_on_next_pass),
        CIO_TEST(test_done_callbacks_in_order_added),
        CIO_TEST(test_done_callback_on_done_future_is_scheduled),
        CIO_TEST(test_done_callback_on_cancel),
        CIO_TEST(test_remove_done_callback_counts),
        CIO_TEST(test_callback_keeps_future_alive),
        CIO_TEST(test_close_drops_scheduled_done_callbacks),
        CIO_TEST(test_future_outlives_loop),
        CIO_TEST(test_await_futures),
        CIO_TEST(test_state_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
