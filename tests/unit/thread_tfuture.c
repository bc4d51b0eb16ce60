/* Unit tests: thread-side futures on their own (states, results, errors,
 * cancellation, done callbacks, blocking result with a timeout). */
#include "../cio_test.h"
#include "../thread_helpers.h"

#include <pthread.h>

static void test_pending_to_done(void **state) {
    (void)state;
    cio_tfuture *f = cio_tfuture_new();
    assert_non_null(f);
    assert_int_equal(cio_tfuture_state(f), CIO_PENDING);
    assert_false(cio_tfuture_done(f));
    assert_false(cio_tfuture_running(f));
    assert_null(cio_tfuture_error_message(f));
    assert_int_equal(cio_tfuture_set_running(f), 1);
    assert_true(cio_tfuture_running(f));
    assert_int_equal(cio_tfuture_set_running(f), CIO_EINVALIDSTATE);
    assert_int_equal(cio_tfuture_set_result(f, IPTR(7)), 0);
    assert_int_equal(cio_tfuture_state(f), CIO_DONE);
    assert_true(cio_tfuture_done(f));
    void *r = NULL;
    assert_int_equal(cio_tfuture_result(f, 0, &r), 0);
    assert_int_equal(PINT(r), 7);
    assert_null(cio_tfuture_error_message(f));
    /* done is final */
    assert_int_equal(cio_tfuture_set_result(f, IPTR(8)), CIO_EINVALIDSTATE);
    assert_int_equal(cio_tfuture_set_error(f, -EIO, NULL), CIO_EINVALIDSTATE);
    assert_int_equal(cio_tfuture_cancel(f), 0);
    assert_int_equal(cio_tfuture_set_running(f), CIO_EINVALIDSTATE);
    cio_tfuture_release(f);
}

static void test_error_and_message(void **state) {
    (void)state;
    cio_tfuture *f = cio_tfuture_new();
    assert_int_equal(cio_tfuture_set_error(f, 5, NULL), CIO_EINVAL);
    assert_int_equal(cio_tfuture_set_error(f, -EIO, "disk %d", 3), 0);
    void *r = IPTR(1);
    assert_int_equal(cio_tfuture_result(f, CIO_NO_TIMEOUT, &r), -EIO);
    assert_null(r);
    assert_string_equal(cio_tfuture_error_message(f), "disk 3");
    assert_int_equal(cio_tfuture_state(f), CIO_DONE);
    cio_tfuture_release(f);

    f = cio_tfuture_new();
    assert_int_equal(cio_tfuture_set_error(f, CIO_ETIMEDOUT, NULL), 0);
    assert_string_equal(cio_tfuture_error_message(f), "timed out");
    cio_tfuture_release(f);

    /* CIO_ECANCELED cancels, as in the core */
    f = cio_tfuture_new();
    assert_int_equal(cio_tfuture_set_error(f, CIO_ECANCELED, "stop"), 0);
    assert_true(cio_tfuture_cancelled(f));
    assert_int_equal(cio_tfuture_result(f, 0, NULL), CIO_ECANCELED);
    cio_tfuture_release(f);
}

static void test_cancel_pending_only(void **state) {
    (void)state;
    cio_tfuture *f = cio_tfuture_new();
    assert_int_equal(cio_tfuture_cancel(f), 1);
    assert_true(cio_tfuture_cancelled(f));
    assert_true(cio_tfuture_done(f));
    assert_int_equal(cio_tfuture_cancel(f), 1); /* already cancelled: true */
    assert_int_equal(cio_tfuture_set_running(f), 0);
    assert_int_equal(cio_tfuture_set_result(f, NULL), CIO_EINVALIDSTATE);
    assert_string_equal(cio_tfuture_error_message(f), "");
    assert_int_equal(cio_tfuture_result(f, 1.0, NULL), CIO_ECANCELED);
    cio_tfuture_release(f);

    f = cio_tfuture_new();
    assert_int_equal(cio_tfuture_set_running(f), 1);
    assert_int_equal(cio_tfuture_cancel(f), 0); /* running: too late */
    assert_int_equal(cio_tfuture_state(f), CIO_RUNNING);
    cio_tfuture_set_result(f, NULL);
    cio_tfuture_release(f);
}

static void test_null_and_bad_arguments(void **state) {
    (void)state;
    assert_int_equal(cio_tfuture_state(NULL), CIO_PENDING);
    assert_false(cio_tfuture_done(NULL));
    assert_int_equal(cio_tfuture_cancel(NULL), CIO_EINVAL);
    assert_int_equal(cio_tfuture_set_running(NULL), CIO_EINVAL);
    assert_int_equal(cio_tfuture_set_result(NULL, NULL), CIO_EINVAL);
    assert_int_equal(cio_tfuture_set_error(NULL, -1, NULL), CIO_EINVAL);
    assert_int_equal(cio_tfuture_result(NULL, 0, NULL), CIO_EINVAL);
    assert_null(cio_tfuture_error_message(NULL));
    assert_null(cio_tfuture_retain(NULL));
    cio_tfuture_release(NULL);
    cio_tfuture *f = cio_tfuture_new();
    assert_int_equal(cio_tfuture_result(f, -1, NULL), CIO_EINVAL);
    assert_int_equal(cio_tfuture_result(f, NAN, NULL), CIO_EINVAL);
    assert_int_equal(cio_tfuture_add_done_callback(f, NULL, NULL), CIO_EINVAL);
    assert_int_equal(cio_tfuture_add_done_callback(NULL, NULL, NULL),
                     CIO_EINVAL);
    cio_tfuture_release(f);
}

static void test_result_timeout_then_value(void **state) {
    (void)state;
    cio_tfuture *f = cio_tfuture_new();
    void *r = IPTR(1);
    assert_int_equal(cio_tfuture_result(f, 0, &r), CIO_ETIMEDOUT);
    assert_null(r);
    double t0 = now_real();
    assert_int_equal(cio_tfuture_result(f, 0.05, &r), CIO_ETIMEDOUT);
    assert_true(now_real() - t0 >= 0.04); /* it did wait */
    assert_false(cio_tfuture_done(f));
    cio_tfuture_set_result(f, IPTR(3));
    assert_int_equal(cio_tfuture_result(f, 0, &r), 0);
    assert_int_equal(PINT(r), 3);
    cio_tfuture_release(f);
}

/* ---- blocking result across threads ------------------------------------ */

typedef struct setter {
    cio_tfuture *f;
    gate *g;
} setter;

static void *set_later(void *arg) {
    setter *s = arg;
    gate_pass(s->g);
    cio_tfuture_set_result(s->f, IPTR(99));
    return NULL;
}

static void test_result_blocks_until_set(void **state) {
    (void)state;
    gate g;
    gate_init(&g);
    setter s = {cio_tfuture_new(), &g};
    pthread_t t;
    pthread_create(&t, NULL, set_later, &s);
    gate_arrivals(&g, 1);
    gate_open(&g);
    void *r = NULL;
    assert_int_equal(cio_tfuture_result(s.f, CIO_NO_TIMEOUT, &r), 0);
    assert_int_equal(PINT(r), 99);
    pthread_join(t, NULL);
    cio_tfuture_release(s.f);
    gate_destroy(&g);
}

/* ---- done callbacks ----------------------------------------------------- */

static pthread_t cb_thread[4];
static int cb_order[4], cb_n;

static void record(cio_tfuture *f, void *arg) {
    (void)f;
    cb_thread[cb_n] = pthread_self();
    cb_order[cb_n++] = PINT(arg);
}

static void test_callbacks_in_order_in_finishing_thread(void **state) {
    (void)state;
    cb_n = 0;
    gate g;
    gate_init(&g);
    setter s = {cio_tfuture_new(), &g};
    assert_int_equal(cio_tfuture_add_done_callback(s.f, record, IPTR(1)), 0);
    assert_int_equal(cio_tfuture_add_done_callback(s.f, record, IPTR(2)), 0);
    pthread_t t;
    pthread_create(&t, NULL, set_later, &s);
    gate_open(&g);
    pthread_join(t, NULL);
    assert_int_equal(cb_n, 2);
    assert_int_equal(cb_order[0], 1);
    assert_int_equal(cb_order[1], 2);
    assert_true(pthread_equal(cb_thread[0], t));
    /* added when done: called at once, here */
    assert_int_equal(cio_tfuture_add_done_callback(s.f, record, IPTR(3)), 0);
    assert_int_equal(cb_n, 3);
    assert_true(pthread_equal(cb_thread[2], pthread_self()));
    cio_tfuture_release(s.f);
    gate_destroy(&g);
}

static void test_callbacks_on_cancel_and_never_finished(void **state) {
    (void)state;
    cb_n = 0;
    cio_tfuture *f = cio_tfuture_new();
    cio_tfuture_add_done_callback(f, record, IPTR(5));
    cio_tfuture_cancel(f);
    assert_int_equal(cb_n, 1);
    assert_int_equal(cb_order[0], 5);
    cio_tfuture_release(f);
    /* a future released unfinished frees its callbacks without calling */
    f = cio_tfuture_new();
    cio_tfuture_add_done_callback(f, record, IPTR(6));
    cio_tfuture_release(f);
    assert_int_equal(cb_n, 1);
}

/* A callback may drop the last reference but the finisher's. */
static void release_in_cb(cio_tfuture *f, void *arg) {
    (void)arg;
    cio_tfuture_release(f);
}

static void test_callback_releases_reference(void **state) {
    (void)state;
    cio_tfuture *f = cio_tfuture_new();
    cio_tfuture_retain(f);
    cio_tfuture_add_done_callback(f, release_in_cb, NULL);
    assert_int_equal(cio_tfuture_set_result(f, NULL), 0);
    assert_true(cio_tfuture_done(f));
    cio_tfuture_release(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_pending_to_done),
        CIO_TEST(test_error_and_message),
        CIO_TEST(test_cancel_pending_only),
        CIO_TEST(test_null_and_bad_arguments),
        CIO_TEST(test_result_timeout_then_value),
        CIO_TEST(test_result_blocks_until_set),
        CIO_TEST(test_callbacks_in_order_in_finishing_thread),
        CIO_TEST(test_callbacks_on_cancel_and_never_finished),
        CIO_TEST(test_callback_releases_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
