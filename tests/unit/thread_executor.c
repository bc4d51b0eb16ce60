/* Unit tests: executors without a loop (sizes, lazy threads, FIFO order,
 * shutdown modes, freeing from a worker, errors). */
#include "../cio_test.h"
#include "../thread_helpers.h"

#include <stdatomic.h>

static void *identity(void *arg) {
    return arg;
}

static void test_default_size(void **state) {
    (void)state;
    int n = cio_executor_default_workers();
    assert_true(n >= 5 && n <= 32); /* min(32, cpus + 4), cpus >= 1 */
    cio_executor *ex = cio_executor_new(0);
    assert_non_null(ex);
    assert_int_equal(cio_executor_max_workers(ex), n);
    assert_int_equal(cio_executor_threads(ex), 0); /* lazily */
    cio_executor_free(ex);
    assert_null(cio_executor_new(-1));
    assert_int_equal(cio_last_error(), CIO_EINVAL);
    assert_int_equal(cio_executor_threads(NULL), CIO_EINVAL);
    assert_int_equal(cio_executor_max_workers(NULL), CIO_EINVAL);
    assert_int_equal(cio_executor_shutdown(NULL, true, true), CIO_EINVAL);
    assert_int_equal(cio_executor_free(NULL), CIO_EINVAL);
}

static void test_idle_thread_reused(void **state) {
    (void)state;
    cio_executor *ex = cio_executor_new(8);
    for (int i = 0; i < 20; i++) {
        cio_tfuture *f = cio_executor_submit(ex, identity, IPTR(i));
        void *r;
        assert_int_equal(cio_tfuture_result(f, CIO_NO_TIMEOUT, &r), 0);
        assert_int_equal(PINT(r), i);
        cio_tfuture_release(f);
    }
    /* one at a time: an idle worker always took it (the count is only an
     * upper bound, as a worker may still be on its way back to idle) */
    assert_true(cio_executor_threads(ex) <= 8);
    assert_true(cio_executor_threads(ex) >= 1);
    cio_executor_free(ex);
}

static void test_grows_to_max_under_load(void **state) {
    (void)state;
    gate g;
    gate_init(&g);
    cio_executor *ex = cio_executor_new(3);
    cio_tfuture *fs[5];
    for (int i = 0; i < 5; i++)
        fs[i] = cio_executor_submit(ex, gated, &g);
    gate_arrivals(&g, 3); /* three run at once, no more */
    assert_int_equal(cio_executor_threads(ex), 3);
    assert_int_equal(gate_arrived(&g), 3);
    gate_open(&g);
    assert_int_equal(cio_tfuture_wait(fs, 5, CIO_ALL_COMPLETED, 60), 5);
    for (int i = 0; i < 5; i++)
        cio_tfuture_release(fs[i]);
    cio_executor_free(ex);
    gate_destroy(&g);
}

/* FIFO with one worker: items run in the order submitted. */
static int order[16];
static atomic_int norder;

static void *log_order(void *arg) {
    order[atomic_fetch_add(&norder, 1)] = PINT(arg);
    return NULL;
}

static void test_fifo(void **state) {
    (void)state;
    atomic_store(&norder, 0);
    cio_executor *ex = cio_executor_new(1);
    for (int i = 0; i < 16; i++)
        cio_tfuture_release(cio_executor_submit(ex, log_order, IPTR(i)));
    cio_executor_free(ex); /* waits for the queue */
    assert_int_equal(atomic_load(&norder), 16);
    for (int i = 0; i < 16; i++)
        assert_int_equal(order[i], i);
}

static void test_submit_errors(void **state) {
    (void)state;
    cio_executor *ex = cio_executor_new(1);
    assert_null(cio_executor_submit(NULL, identity, NULL));
    assert_int_equal(cio_last_error(), CIO_EINVAL);
    assert_null(cio_executor_submit(ex, NULL, NULL));
    assert_int_equal(cio_last_error(), CIO_EINVAL);
    assert_int_equal(cio_executor_shutdown(ex, false, false), 0);
    assert_null(cio_executor_submit(ex, identity, NULL));
    assert_int_equal(cio_last_error(), CIO_ESHUTDOWN);
    assert_non_null(strstr(cio_last_error_message(), "shut down"));
    /* shutting down again, now waiting, is fine */
    assert_int_equal(cio_executor_shutdown(ex, true, false), 0);
    cio_executor_free(ex);
}

static void test_shutdown_runs_or_cancels_queue(void **state) {
    (void)state;
    for (int cancel = 0; cancel <= 1; cancel++) {
        gate g;
        gate_init(&g);
        cio_executor *ex = cio_executor_new(1);
        cio_tfuture *busy = cio_executor_submit(ex, gated, &g);
        cio_tfuture *queued = cio_executor_submit(ex, identity, IPTR(5));
        gate_arrivals(&g, 1);
        assert_int_equal(cio_executor_shutdown(ex, false, cancel), 0);
        assert_int_equal(cio_tfuture_state(queued),
                         cancel ? CIO_CANCELLED : CIO_PENDING);
        assert_int_equal(cio_tfuture_state(busy), CIO_RUNNING);
        gate_open(&g);
        assert_int_equal(cio_executor_shutdown(ex, true, false), 0);
        /* after a waiting shutdown everything has finished */
        assert_int_equal(cio_tfuture_state(busy), CIO_DONE);
        assert_int_equal(cio_tfuture_state(queued),
                         cancel ? CIO_CANCELLED : CIO_DONE);
        cio_tfuture_release(busy);
        cio_tfuture_release(queued);
        cio_executor_free(ex);
        gate_destroy(&g);
    }
}

/* A worker shutting down (or freeing) its own executor. */
static cio_executor *self_ex;
static atomic_int self_rc;

static void *shutdown_self(void *arg) {
    (void)arg;
    atomic_store(&self_rc, cio_executor_shutdown(self_ex, true, false));
    return NULL;
}

static void *free_self(void *arg) {
    (void)arg;
    atomic_store(&self_rc, cio_executor_free(self_ex));
    return NULL;
}

static void test_shutdown_from_own_worker(void **state) {
    (void)state;
    self_ex = cio_executor_new(2);
    cio_tfuture *f = cio_executor_submit(self_ex, shutdown_self, NULL);
    assert_int_equal(cio_tfuture_result(f, CIO_NO_TIMEOUT, NULL), 0);
    assert_int_equal(atomic_load(&self_rc), CIO_EDEADLK);
    assert_null(cio_executor_submit(self_ex, identity, NULL));
    assert_int_equal(cio_last_error(), CIO_ESHUTDOWN);
    cio_tfuture_release(f);
    cio_executor_free(self_ex);
}

static void test_free_from_own_worker(void **state) {
    (void)state;
    self_ex = cio_executor_new(2);
    cio_tfuture *f = cio_executor_submit(self_ex, free_self, NULL);
    /* the futures outlive the executor; its last worker frees it */
    assert_int_equal(cio_tfuture_result(f, CIO_NO_TIMEOUT, NULL), 0);
    assert_int_equal(atomic_load(&self_rc), 0);
    cio_tfuture_release(f);
}

/* Many threads submitting at once to one executor. */
typedef struct submitter {
    cio_executor *ex;
    atomic_int *sum;
} submitter;

static void *add_one(void *arg) {
    atomic_fetch_add((atomic_int *)arg, 1);
    return NULL;
}

static void *submit_many(void *arg) {
    submitter *s = arg;
    cio_tfuture *fs[100];
    for (int i = 0; i < 100; i++)
        fs[i] = cio_executor_submit(s->ex, add_one, s->sum);
    for (int i = 0; i < 100; i++) {
        cio_tfuture_result(fs[i], CIO_NO_TIMEOUT, NULL);
        cio_tfuture_release(fs[i]);
    }
    return NULL;
}

static void test_concurrent_submitters(void **state) {
    (void)state;
    atomic_int sum = 0;
    submitter s = {cio_executor_new(4), &sum};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, submit_many, &s);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&sum), 400);
    assert_true(cio_executor_threads(s.ex) <= 4);
    cio_executor_free(s.ex);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_default_size),
        CIO_TEST(test_idle_thread_reused),
        CIO_TEST(test_grows_to_max_under_load),
        CIO_TEST(test_fifo),
        CIO_TEST(test_submit_errors),
        CIO_TEST(test_shutdown_runs_or_cancels_queue),
        CIO_TEST(test_shutdown_from_own_worker),
        CIO_TEST(test_free_from_own_worker),
        CIO_TEST(test_concurrent_submitters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
