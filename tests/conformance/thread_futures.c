/* Conformance: concurrent.futures semantics of executors, thread-side
 * futures, wait and as_completed (CPython's test_concurrent_futures is the
 * reference). Threads are ordered with gates, never with sleeps. */
#include "../cio_test.h"
#include "../thread_helpers.h"

#include <stdatomic.h>

static atomic_int ran;

static void *count_and_return(void *arg) {
    atomic_fetch_add(&ran, 1);
    return arg;
}

static void *fail_eio(void *arg) {
    return cio_raise(-EIO, "failed on %d", PINT(arg));
}

/* Pass the gate, then fail. */
static void *gated_then_fail(void *arg) {
    gate_pass(arg);
    return cio_raise(-EIO, "gated failure");
}

/* ---- cancel ------------------------------------------------------------- */

static void test_cancel_before_start(void **state) {
    (void)state;
    atomic_store(&ran, 0);
    gate g;
    gate_init(&g);
    cio_executor *ex = cio_executor_new(1);
    cio_tfuture *busy = cio_executor_submit(ex, gated, &g);
    cio_tfuture *queued = cio_executor_submit(ex, count_and_return, IPTR(1));
    gate_arrivals(&g, 1); /* the only worker is busy: `queued` waits */
    assert_int_equal(cio_tfuture_state(busy), CIO_RUNNING);
    assert_int_equal(cio_tfuture_state(queued), CIO_PENDING);
    assert_int_equal(cio_tfuture_cancel(queued), 1);
    assert_int_equal(cio_tfuture_state(queued), CIO_CANCELLED);
    gate_open(&g);
    assert_int_equal(cio_tfuture_result(queued, CIO_NO_TIMEOUT, NULL),
                     CIO_ECANCELED);
    assert_int_equal(cio_tfuture_result(busy, CIO_NO_TIMEOUT, NULL), 0);
    cio_executor_free(ex); /* joins: a cancelled item would have run by now */
    assert_int_equal(atomic_load(&ran), 0);
    cio_tfuture_release(busy);
    cio_tfuture_release(queued);
    gate_destroy(&g);
}

static void test_cancel_after_start(void **state) {
    (void)state;
    gate g;
    gate_init(&g);
    cio_executor *ex = cio_executor_new(2);
    cio_tfuture *f = cio_executor_submit(ex, gated, &g);
    gate_arrivals(&g, 1);
    assert_true(cio_tfuture_running(f));
    assert_int_equal(cio_tfuture_cancel(f), 0);
    assert_int_equal(cio_tfuture_state(f), CIO_RUNNING);
    gate_open(&g);
    void *r = NULL;
    assert_int_equal(cio_tfuture_result(f, CIO_NO_TIMEOUT, &r), 0);
    assert_ptr_equal(r, &g);
    assert_int_equal(cio_tfuture_cancel(f), 0); /* done: too late */
    assert_int_equal(cio_tfuture_state(f), CIO_DONE);
    cio_tfuture_release(f);
    cio_executor_free(ex);
    gate_destroy(&g);
}

/* ---- result ------------------------------------------------------------- */

static void test_result_timeout(void **state) {
    (void)state;
    gate g;
    gate_init(&g);
    cio_executor *ex = cio_executor_new(1);
    cio_tfuture *f = cio_executor_submit(ex, gated, &g);
    void *r = IPTR(1);
    assert_int_equal(cio_tfuture_result(f, 0.02, &r), CIO_ETIMEDOUT);
    assert_null(r);
    assert_false(cio_tfuture_done(f));
    gate_open(&g);
    assert_int_equal(cio_tfuture_result(f, 60, &r), 0);
    assert_ptr_equal(r, &g);
    cio_tfuture_release(f);
    cio_executor_free(ex);
    gate_destroy(&g);
}

static void test_raise_in_worker(void **state) {
    (void)state;
    cio_executor *ex = cio_executor_new(1);
    cio_tfuture *f = cio_executor_submit(ex, fail_eio, IPTR(4));
    assert_int_equal(cio_tfuture_result(f, CIO_NO_TIMEOUT, NULL), -EIO);
    assert_string_equal(cio_tfuture_error_message(f), "failed on 4");
    assert_int_equal(cio_tfuture_state(f), CIO_DONE);
    /* the next item on the same worker is not affected */
    cio_tfuture *g = cio_executor_submit(ex, count_and_return, IPTR(5));
    void *r;
    assert_int_equal(cio_tfuture_result(g, CIO_NO_TIMEOUT, &r), 0);
    assert_int_equal(PINT(r), 5);
    cio_tfuture_release(f);
    cio_tfuture_release(g);
    cio_executor_free(ex);
}

/* ---- wait --------------------------------------------------------------- */

typedef struct trio {
    gate g[3];
    cio_executor *ex;
    cio_tfuture *f[3];
} trio;

static void trio_start(trio *t) {
    t->ex = cio_executor_new(3);
    for (int i = 0; i < 3; i++) {
        gate_init(&t->g[i]);
        t->f[i] = cio_executor_submit(t->ex, gated, &t->g[i]);
    }
    for (int i = 0; i < 3; i++)
        gate_arrivals(&t->g[i], 1);
}

static void trio_end(trio *t, cio_tfuture **fs) {
    for (int i = 0; i < 3; i++)
        gate_open(&t->g[i]);
    cio_executor_free(t->ex);
    for (int i = 0; i < 3; i++) {
        cio_tfuture_release(fs[i]);
        gate_destroy(&t->g[i]);
    }
}

static void test_wait_first_completed(void **state) {
    (void)state;
    trio t;
    trio_start(&t);
    cio_tfuture *fs[3] = {t.f[0], t.f[1], t.f[2]};
    assert_int_equal(cio_tfuture_wait(fs, 3, CIO_FIRST_COMPLETED, 0), 0);
    gate_open(&t.g[1]);
    assert_int_equal(cio_tfuture_wait(fs, 3, CIO_FIRST_COMPLETED, 60), 1);
    assert_ptr_equal(fs[0], t.f[1]); /* done first, the rest in order */
    assert_ptr_equal(fs[1], t.f[0]);
    assert_ptr_equal(fs[2], t.f[2]);
    trio_end(&t, fs);
}

static void test_wait_all_completed_and_timeout(void **state) {
    (void)state;
    trio t;
    trio_start(&t);
    cio_tfuture *fs[3] = {t.f[0], t.f[1], t.f[2]};
    gate_open(&t.g[2]);
    cio_tfuture_result(t.f[2], CIO_NO_TIMEOUT, NULL);
    /* a timeout is not an error: what is done comes first */
    assert_int_equal(cio_tfuture_wait(fs, 3, CIO_ALL_COMPLETED, 0.02), 1);
    assert_ptr_equal(fs[0], t.f[2]);
    gate_open(&t.g[0]);
    gate_open(&t.g[1]);
    assert_int_equal(cio_tfuture_wait(fs, 3, CIO_ALL_COMPLETED, 60), 3);
    trio_end(&t, fs);
}

static void test_wait_first_exception(void **state) {
    (void)state;
    gate g[3];
    for (int i = 0; i < 3; i++)
        gate_init(&g[i]);
    cio_executor *ex = cio_executor_new(3);
    cio_tfuture *fs[3] = {cio_executor_submit(ex, gated, &g[0]),
                          cio_executor_submit(ex, gated_then_fail, &g[1]),
                          cio_executor_submit(ex, gated, &g[2])};
    cio_tfuture *failing = fs[1];
    /* a success does not end a FIRST_EXCEPTION wait */
    gate_open(&g[0]);
    cio_tfuture_result(fs[0], CIO_NO_TIMEOUT, NULL);
    assert_int_equal(cio_tfuture_wait(fs, 3, CIO_FIRST_EXCEPTION, 0.02), 1);
    gate_open(&g[1]);
    long n = cio_tfuture_wait(fs, 3, CIO_FIRST_EXCEPTION, 60);
    assert_int_equal(n, 2);
    assert_true(fs[0] == failing || fs[1] == failing);
    assert_false(cio_tfuture_done(fs[2]));
    gate_open(&g[2]);
    cio_executor_free(ex);
    for (int i = 0; i < 3; i++) {
        cio_tfuture_release(fs[i]);
        gate_destroy(&g[i]);
    }
}

static void test_wait_first_exception_ignores_cancel(void **state) {
    (void)state;
    cio_tfuture *a = cio_tfuture_new(), *b = cio_tfuture_new();
    cio_tfuture *fs[2] = {a, b};
    cio_tfuture_cancel(a);
    /* cancelled is done, not failed: still waiting for b */
    assert_int_equal(cio_tfuture_wait(fs, 2, CIO_FIRST_EXCEPTION, 0.01), 1);
    cio_tfuture_set_error(b, -EIO, NULL);
    assert_int_equal(cio_tfuture_wait(fs, 2, CIO_FIRST_EXCEPTION, 0), 2);
    /* with everything done before the call, it returns at once */
    assert_int_equal(cio_tfuture_wait(fs, 2, CIO_ALL_COMPLETED, 60), 2);
    cio_tfuture_release(a);
    cio_tfuture_release(b);
}

static void test_wait_arguments(void **state) {
    (void)state;
    cio_tfuture *f = cio_tfuture_new();
    cio_tfuture *fs[2] = {f, NULL};
    assert_int_equal(cio_tfuture_wait(NULL, 0, CIO_ALL_COMPLETED, 0), 0);
    assert_int_equal(cio_tfuture_wait(NULL, 1, CIO_ALL_COMPLETED, 0),
                     CIO_EINVAL);
    assert_int_equal(cio_tfuture_wait(fs, 2, CIO_ALL_COMPLETED, 0), CIO_EINVAL);
    assert_int_equal(cio_tfuture_wait(fs, 1, (cio_return_when)42, 0),
                     CIO_EINVAL);
    assert_int_equal(cio_tfuture_wait(fs, 1, CIO_ALL_COMPLETED, -1),
                     CIO_EINVAL);
    /* duplicates count per entry */
    cio_tfuture *dup[2] = {f, f};
    cio_tfuture_set_result(f, NULL);
    assert_int_equal(cio_tfuture_wait(dup, 2, CIO_ALL_COMPLETED, 0), 2);
    cio_tfuture_release(f);
}

/* A thread that finishes futures in a given order, each when told. */
typedef struct finisher {
    cio_tfuture **fs;
    int order[4];
    int n;
    gate *step[4];
} finisher;

static void *finish_in_order(void *arg) {
    finisher *fin = arg;
    for (int i = 0; i < fin->n; i++) {
        gate_pass(fin->step[i]);
        cio_tfuture_set_result(fin->fs[fin->order[i]], IPTR(fin->order[i]));
    }
    return NULL;
}

/* ---- as_completed ------------------------------------------------------ */

static void test_as_completed_order(void **state) {
    (void)state;
    cio_tfuture *fs[4];
    for (int i = 0; i < 4; i++)
        fs[i] = cio_tfuture_new();
    cio_tfuture_set_result(fs[3], IPTR(3)); /* done before: first */
    gate steps[3];
    finisher fin = {fs, {2, 0, 1}, 3, {&steps[0], &steps[1], &steps[2]}};
    for (int i = 0; i < 3; i++)
        gate_init(&steps[i]);
    cio_tcompleted *it = cio_tfuture_as_completed(fs, 4, 60);
    assert_non_null(it);
    pthread_t t;
    pthread_create(&t, NULL, finish_in_order, &fin);
    int want[4] = {3, 2, 0, 1};
    for (int i = 0; i < 4; i++) {
        if (i > 0)
            gate_open(&steps[i - 1]); /* one more finishes */
        cio_tfuture *f = NULL;
        assert_int_equal(cio_tcompleted_next(it, &f), 1);
        assert_ptr_equal(f, fs[want[i]]);
    }
    cio_tfuture *f = IPTR(1);
    assert_int_equal(cio_tcompleted_next(it, &f), 0);
    assert_null(f);
    pthread_join(t, NULL);
    cio_tcompleted_free(it);
    for (int i = 0; i < 4; i++)
        cio_tfuture_release(fs[i]);
    for (int i = 0; i < 3; i++)
        gate_destroy(&steps[i]);
}

static void test_as_completed_timeout_and_duplicates(void **state) {
    (void)state;
    cio_tfuture *a = cio_tfuture_new(), *b = cio_tfuture_new();
    cio_tfuture_set_result(a, NULL);
    cio_tfuture *fs[3] = {a, b, a}; /* a twice: yielded once */
    cio_tcompleted *it = cio_tfuture_as_completed(fs, 3, 0.05);
    /* the caller's references may go: the iterator holds its own */
    cio_tfuture_retain(b);
    cio_tfuture_release(a);
    cio_tfuture_release(b);
    cio_tfuture *f;
    assert_int_equal(cio_tcompleted_next(it, &f), 1);
    assert_ptr_equal(f, a);
    double t0 = now_real();
    assert_int_equal(cio_tcompleted_next(it, &f), CIO_ETIMEDOUT);
    assert_true(now_real() - t0 < 30);
    cio_tfuture_set_result(b, NULL);
    /* over once timed out, as Python's generator */
    assert_int_equal(cio_tcompleted_next(it, &f), CIO_ETIMEDOUT);
    cio_tcompleted_free(it);
    cio_tfuture_release(b);
}

static void test_as_completed_arguments(void **state) {
    (void)state;
    assert_null(cio_tfuture_as_completed(NULL, 1, 0));
    assert_int_equal(cio_last_error(), CIO_EINVAL);
    cio_tfuture *f = cio_tfuture_new();
    assert_null(cio_tfuture_as_completed(&f, 1, -2));
    cio_tcompleted *it = cio_tfuture_as_completed(NULL, 0, 0);
    assert_non_null(it);
    cio_tfuture *out;
    assert_int_equal(cio_tcompleted_next(it, &out), 0);
    assert_int_equal(cio_tcompleted_next(NULL, &out), CIO_EINVAL);
    assert_int_equal(cio_tcompleted_next(it, NULL), CIO_EINVAL);
    cio_tcompleted_free(it);
    cio_tcompleted_free(NULL);
    cio_tfuture_release(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_cancel_before_start),
        CIO_TEST(test_cancel_after_start),
        CIO_TEST(test_result_timeout),
        CIO_TEST(test_raise_in_worker),
        CIO_TEST(test_wait_first_completed),
        CIO_TEST(test_wait_all_completed_and_timeout),
        CIO_TEST(test_wait_first_exception),
        CIO_TEST(test_wait_first_exception_ignores_cancel),
        CIO_TEST(test_wait_arguments),
        CIO_TEST(test_as_completed_order),
        CIO_TEST(test_as_completed_timeout_and_duplicates),
        CIO_TEST(test_as_completed_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
