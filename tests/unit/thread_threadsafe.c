/* Unit tests: into a loop from other threads (call_soon_threadsafe,
 * run_coroutine_threadsafe), including what happens when the loop closes
 * first. A task joins its helper thread through cio_to_thread, so that the
 * loop keeps serving while it waits. */
#include "../cio_test.h"
#include "../thread_helpers.h"

#include <stdatomic.h>

static void *join_thread(void *arg) {
    pthread_join(*(pthread_t *)arg, NULL);
    return NULL;
}

/* Run fn(arg) on a new thread and await its end from the calling task. */
static int await_thread(void *(*fn)(void *), void *arg) {
    pthread_t t;
    if (pthread_create(&t, NULL, fn, arg) != 0)
        return -1;
    cio_future *f = cio_to_thread(join_thread, &t);
    int rc = cio_await(f, NULL);
    cio_release(f);
    return rc;
}

/* ---- call_soon_threadsafe ----------------------------------------------- */

typedef struct wake_ctx {
    cio_loop *loop;
    cio_future *sleeper;
    int seq[100];
    int nseq;
    pthread_t cb_thread;
} wake_ctx;

static void cancel_sleeper(void *arg) {
    wake_ctx *w = arg;
    w->cb_thread = pthread_self();
    cio_cancel(w->sleeper, "woken");
}

static wake_ctx *g_wake;
static void record_seq(void *arg) {
    g_wake->seq[g_wake->nseq++] = PINT(arg);
}

static void *post_from_thread(void *arg) {
    wake_ctx *w = arg;
    for (int i = 0; i < 100; i++)
        cio_call_soon_threadsafe(w->loop, record_seq, IPTR(i));
    cio_call_soon_threadsafe(w->loop, cancel_sleeper, w);
    return NULL;
}

static void *sleep_long(void *arg) {
    (void)arg;
    return IPTR(cio_sleep(60));
}

static void *main_wake(void *arg) {
    wake_ctx *w = arg;
    w->loop = cio_get_running_loop();
    w->sleeper = cio_create_task(sleep_long, NULL);
    cio_sleep(0); /* the sleeper sleeps: the loop would block for 60 s */
    double t0 = now_real();
    pthread_t t;
    pthread_create(&t, NULL, post_from_thread, w);
    CHECK_INT(cio_await(w->sleeper, NULL), CIO_ECANCELED);
    CHECK(now_real() - t0 < 30); /* woken at once, not at the timer */
    CHECK(pthread_equal(w->cb_thread, pthread_self()));
    cio_future *j = cio_to_thread(join_thread, &t);
    cio_await(j, NULL);
    cio_release(j);
    cio_release(w->sleeper);
    return NULL;
}

static void test_call_soon_threadsafe_wakes_and_keeps_order(void **state) {
    (void)state;
    wake_ctx w = {0};
    g_wake = &w;
    assert_int_equal(cio_run(main_wake, &w, NULL), 0);
    checks_assert();
    assert_int_equal(w.nseq, 100);
    for (int i = 0; i < 100; i++)
        assert_int_equal(w.seq[i], i);
}

static int own_ran;
static void set_flag(void *arg) {
    *(int *)arg = 1;
}

static void *main_own_thread(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    CHECK_INT(cio_call_soon_threadsafe(loop, set_flag, &own_ran), 0);
    CHECK_INT(own_ran, 0); /* scheduled, not called inline */
    cio_sleep(0);
    cio_sleep(0);
    CHECK_INT(own_ran, 1);
    CHECK_INT(cio_call_soon_threadsafe(loop, NULL, NULL), CIO_EINVAL);
    return NULL;
}

static void test_call_soon_threadsafe_from_loop_thread(void **state) {
    (void)state;
    assert_int_equal(cio_run(main_own_thread, NULL, NULL), 0);
    checks_assert();
}

static void test_call_soon_threadsafe_dropped_at_close(void **state) {
    (void)state;
    int ran = 0;
    cio_loop *loop = cio_loop_new(NULL);
    assert_int_equal(cio_call_soon_threadsafe(loop, set_flag, &ran), 0);
    assert_int_equal(cio_loop_close(loop), 0); /* never ran, nothing leaks */
    assert_int_equal(ran, 0);
}

/* ---- run_coroutine_threadsafe ------------------------------------------- */

static void *coro_add_one(void *arg) {
    cio_sleep(0.001);
    return IPTR(PINT(arg) + 1);
}

static void *coro_fail(void *arg) {
    (void)arg;
    cio_sleep(0);
    return cio_raise(-EPIPE, "pipe broke");
}

static cio_tfuture *saw_cancel; /* set by coro_sleep_long when cancelled */

static void *coro_sleep_long(void *arg) {
    (void)arg;
    int rc = cio_sleep(60);
    cio_tfuture_set_result(saw_cancel, IPTR(rc));
    return NULL;
}

static void *client(void *arg) {
    cio_loop *loop = arg;
    void *r = NULL;
    cio_tfuture *f = cio_run_coroutine_threadsafe(loop, coro_add_one, IPTR(20));
    CHECK_INT(cio_tfuture_result(f, 60, &r), 0);
    CHECK_INT(PINT(r), 21);
    cio_tfuture_release(f);

    f = cio_run_coroutine_threadsafe(loop, coro_fail, NULL);
    CHECK_INT(cio_tfuture_result(f, 60, NULL), -EPIPE);
    CHECK_STR(cio_tfuture_error_message(f), "pipe broke");
    cio_tfuture_release(f);

    /* cancel it from here while it sleeps: the task is cancelled */
    f = cio_run_coroutine_threadsafe(loop, coro_sleep_long, NULL);
    CHECK_INT(cio_tfuture_result(f, 0.05, NULL), CIO_ETIMEDOUT);
    CHECK_INT(cio_tfuture_state(f), CIO_PENDING); /* as in asyncio */
    CHECK_INT(cio_tfuture_cancel(f), 1);
    CHECK_INT(cio_tfuture_result(saw_cancel, 60, &r), 0);
    CHECK_INT(PINT(r), CIO_ECANCELED);
    cio_tfuture_release(f);
    return NULL;
}

static void *main_serve_client(void *arg) {
    (void)arg;
    CHECK_INT(await_thread(client, cio_get_running_loop()), 0);
    return NULL;
}

static void test_run_coroutine_threadsafe(void **state) {
    (void)state;
    saw_cancel = cio_tfuture_new();
    assert_int_equal(cio_run(main_serve_client, NULL, NULL), 0);
    checks_assert();
    cio_tfuture_release(saw_cancel);
}

/* To its own loop, awaited through wrap: no other thread is involved, so
 * nothing may wait for the loop's inbox. */
static void *main_own_loop(void *arg) {
    (void)arg;
    cio_tfuture *tf = cio_run_coroutine_threadsafe(cio_get_running_loop(),
                                                   coro_add_one, IPTR(1));
    cio_future *f = cio_wrap_tfuture(tf);
    void *r = NULL;
    CHECK_INT(cio_await(f, &r), 0);
    CHECK_INT(PINT(r), 2);
    cio_release(f);
    cio_tfuture_release(tf);
    return NULL;
}

static void test_run_coroutine_threadsafe_on_own_loop(void **state) {
    (void)state;
    assert_int_equal(cio_run(main_own_loop, NULL, NULL), 0);
    checks_assert();
}

static atomic_int coro_ran;
static void *coro_count(void *arg) {
    (void)arg;
    atomic_fetch_add(&coro_ran, 1);
    return NULL;
}

static void *main_cancel_before_start(void *arg) {
    (void)arg;
    cio_tfuture *f =
        cio_run_coroutine_threadsafe(cio_get_running_loop(), coro_count, NULL);
    CHECK_INT(cio_tfuture_cancel(f), 1);
    for (int i = 0; i < 4; i++)
        cio_sleep(0);
    CHECK_INT(atomic_load(&coro_ran), 0);
    cio_tfuture_release(f);
    /* left running when main returns: cio_run cancels it */
    f = cio_run_coroutine_threadsafe(cio_get_running_loop(), coro_sleep_long,
                                     NULL);
    cio_sleep(0);
    cio_sleep(0);
    return f;
}

static void test_cancel_before_start_and_cancelled_by_cio_run(void **state) {
    (void)state;
    atomic_store(&coro_ran, 0);
    saw_cancel = cio_tfuture_new();
    void *r = NULL;
    assert_int_equal(cio_run(main_cancel_before_start, NULL, &r), 0);
    checks_assert();
    cio_tfuture *f = r;
    assert_int_equal(cio_tfuture_result(f, 0, NULL), CIO_ECANCELED);
    cio_tfuture_release(f);
    cio_tfuture_release(saw_cancel);
}

static void *yield_twice(void *arg) {
    (void)arg;
    cio_sleep(0);
    cio_sleep(0);
    return NULL;
}

typedef struct remote {
    cio_loop *loop;
    cio_tfuture *f;
} remote;

static void *submit_remotely(void *arg) {
    remote *r = arg;
    r->f = cio_run_coroutine_threadsafe(r->loop, coro_count, NULL);
    return NULL;
}

static void test_loop_closes_first(void **state) {
    (void)state;
    saw_cancel = cio_tfuture_new();
    /* never started: the loop closed with the start still in its inbox */
    cio_loop *loop = cio_loop_new(NULL);
    remote rem = {loop, NULL};
    pthread_t t;
    pthread_create(&t, NULL, submit_remotely, &rem);
    pthread_join(t, NULL);
    cio_tfuture *f = rem.f;
    assert_non_null(f);
    assert_int_equal(cio_loop_close(loop), 0);
    assert_int_equal(cio_tfuture_result(f, 0, NULL), CIO_ELOOPCLOSED);
    assert_non_null(strstr(cio_tfuture_error_message(f), "started"));
    cio_tfuture_release(f);

    /* started, still pending at close: destroyed, and the future says so */
    diag_capture();
    loop = cio_loop_new(NULL);
    f = cio_run_coroutine_threadsafe(loop, coro_sleep_long, NULL);
    assert_int_equal(cio_loop_run_until_complete(loop, yield_twice, NULL, NULL),
                     0);
    assert_int_equal(cio_loop_close(loop), 0);
    assert_int_equal(diag_count("destroyed but it is pending"), 1);
    assert_int_equal(cio_tfuture_result(f, 0, NULL), CIO_ELOOPCLOSED);
    assert_non_null(strstr(cio_tfuture_error_message(f), "finished"));
    cio_tfuture_release(f);
    diag_restore();
    cio_tfuture_release(saw_cancel);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_call_soon_threadsafe_wakes_and_keeps_order),
        CIO_TEST(test_call_soon_threadsafe_from_loop_thread),
        CIO_TEST(test_call_soon_threadsafe_dropped_at_close),
        CIO_TEST(test_run_coroutine_threadsafe_on_own_loop),
        CIO_TEST(test_run_coroutine_threadsafe),
        CIO_TEST(test_cancel_before_start_and_cancelled_by_cio_run),
        CIO_TEST(test_loop_closes_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
