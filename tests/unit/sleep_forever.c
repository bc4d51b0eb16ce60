/* Unit tests: a sleep of INFINITY (or a timer saturated at the end of
 * time) never fires and does not move the clock. Under virtual time the
 * clock jumps to the next timer when the loop is idle; a timer at infinity
 * is not "the next timer": jumping to it pinned the clock at its maximum,
 * after which every sleep ended at that same instant and deadlines came in
 * the order they were set, not the order they fall. */
#include "../cio_test.h"

#include <pthread.h>
#include <unistd.h>

static void *sleep_forever(void *arg) {
    int *rc = arg;
    *rc = cio_sleep(INFINITY);
    return NULL;
}

static void set_result(void *arg) {
    cio_future_set_result(arg, NULL);
}

typedef struct {
    cio_loop *loop;
    cio_future *f;
} poster;

/* Another thread finishes the future a little later: the loop, idle with
 * only the infinite timer, must wait for it without touching the clock. */
static void *post_later(void *arg) {
    poster *p = arg;
    usleep(20 * 1000);
    CHECK_INT(cio_call_soon_threadsafe(p->loop, set_result, p->f), 0);
    return NULL;
}

static void *sleep_and_log(void *arg) {
    cio_sleep((double)PINT(arg));
    ev_log(PINT(arg));
    return NULL;
}

static void *main_with_a_sleeper(void *arg) {
    (void)arg;
    int sleeper_rc = 1;
    cio_future *forever = cio_create_task(sleep_forever, &sleeper_rc);
    cio_sleep(0);
    double t0 = cio_loop_time(cio_get_running_loop());
    poster p = {cio_get_running_loop(), cio_future_new(NULL)};
    pthread_t th;
    CHECK_INT(pthread_create(&th, NULL, post_later, &p), 0);
    CHECK_INT(cio_await(p.f, NULL), 0);
    pthread_join(th, NULL);
    double t1 = cio_loop_time(cio_get_running_loop());
    CHECK(t1 - t0 < 1.0); /* not pinned at the end of time */
    /* deadlines still fall in order, and the clock moves by what they say */
    cio_future *t[2] = {cio_create_task(sleep_and_log, IPTR(2)),
                        cio_create_task(sleep_and_log, IPTR(1))};
    cio_await(t[0], NULL);
    double t2 = cio_loop_time(cio_get_running_loop());
    CHECK(t2 - t1 >= 2.0 - 1e-6 && t2 - t1 < 2.5);
    CHECK(!cio_future_done(forever));
    cio_cancel(forever, NULL);
    cio_await(forever, NULL);
    CHECK_INT(sleeper_rc, CIO_ECANCELED);
    cio_release_all(t, 2);
    cio_release(forever);
    cio_release(p.f);
    return NULL;
}

static void test_virtual_clock_not_pinned_by_infinite_sleep(void **state) {
    (void)state;
    assert_int_equal(run_vt(main_with_a_sleeper, NULL, NULL), 0);
    checks_assert();
    ev_assert(1, 2);
}

static void *sleeps_forever_alone(void *arg) {
    (void)arg;
    return IPTR(cio_sleep(INFINITY));
}

/* A program whose only task sleeps for ever, with no other thread to wake
 * it, can never go on: CIO_EDEADLK, with virtual time or real. */
static void test_infinite_sleep_alone_is_a_deadlock(void **state) {
    (void)state;
    if (CIO_TEST_TSAN) {
        /* ThreadSanitizer keeps a thread of its own once a test made one:
         * the loop rightly cannot tell that no thread will ever post to it
         * (tests/unit/loop.c's deadlock tests say the same) */
        print_message("skipped: built with ThreadSanitizer\n");
        skip();
    }
    cio_loop_options real = {0};
    const cio_loop_options *opts[2] = {vt_opts(), &real};
    for (int i = 0; i < 2; i++) {
        cio_loop *loop = cio_loop_new(opts[i]);
        assert_non_null(loop);
        cio_future *t =
            cio_create_task_ex(loop, sleeps_forever_alone, NULL, NULL);
        assert_int_equal(cio_loop_run_until_done(loop, t, NULL), CIO_EDEADLK);
        assert_true(cio_loop_time(loop) < 1e9); /* the clock stayed put */
        cio_cancel(t, NULL);
        assert_int_equal(cio_loop_run_until_done(loop, t, NULL), CIO_ECANCELED);
        cio_release(t);
        assert_int_equal(cio_loop_close(loop), 0);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_virtual_clock_not_pinned_by_infinite_sleep),
        CIO_TEST(test_infinite_sleep_alone_is_a_deadlock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
