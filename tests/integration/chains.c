/* Integration: long await chains, cancellation through a chain, ping-pong
 * between two tasks, and many short-lived tasks (stack reuse). */
#include "../cio_test.h"

/* The sizes shrink under the slow instrumentations (ct_slow()): a chain of
 * 5,000 awaiting tasks took 3.8 GB and over 300 s under ThreadSanitizer. */
#define CHAIN (1000 / ct_slow())

static cio_future *g_bottom;
static int g_cancelled_seen, g_cleanup;
static cio_future *g_top;

static void *link_task(void *arg) {
    int n = PINT(arg);
    int rc;
    if (n == 0) {
        rc = cio_await(g_bottom, NULL);
    } else {
        cio_future *next = cio_create_task(link_task, IPTR(n - 1));
        rc = cio_await(next, NULL);
        cio_release(next);
    }
    if (rc == CIO_ECANCELED)
        g_cancelled_seen++;
    g_cleanup++;
    return IPTR(n);
}

static void cb_cancel_top(void *arg) {
    (void)arg;
    cio_cancel(g_top, "chain cut");
}

static void *chain_main(void *arg) {
    (void)arg;
    g_bottom = cio_future_new(NULL);
    g_top = cio_create_task(link_task, IPTR(CHAIN - 1));
    /* let the whole chain build up: each link starts one pass later */
    while (cio_all_tasks(NULL, NULL, 0) < CHAIN + 1)
        CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_all_tasks(NULL, NULL, 0), CHAIN + 1);
    CHECK_INT(cio_call_soon(NULL, cb_cancel_top, NULL, NULL), 0);
    CHECK_INT(cio_await(g_top, NULL), CIO_ECANCELED);
    CHECK(cio_future_cancelled(g_top));
    CHECK_STR(cio_future_error_message(g_top), "chain cut");
    CHECK(cio_future_cancelled(g_bottom));
    CHECK_INT(cio_all_tasks(NULL, NULL, 0), 1);
    cio_release(g_top);
    cio_release(g_bottom);
    return NULL;
}

/* Cancelling the top of a 1000-task await chain cancels every link down to
 * the plain future at the bottom; each link sees CIO_ECANCELED. */
static void test_cancel_through_chain(void **state) {
    (void)state;
    g_cancelled_seen = g_cleanup = 0;
    assert_int_equal(run_vt(chain_main, NULL, NULL), 0);
    checks_assert();
    assert_int_equal(g_cancelled_seen, CHAIN);
    assert_int_equal(g_cleanup, CHAIN);
}

static void *value_chain(void *arg) {
    int n = PINT(arg);
    if (n == 0)
        return IPTR(0);
    cio_future *next = cio_create_task(value_chain, IPTR(n - 1));
    void *r = NULL;
    int rc = cio_await(next, &r);
    cio_release(next);
    if (rc)
        return cio_raise(rc, NULL);
    return IPTR(PINT(r) + 1);
}

/* A result travels up 5000 awaiting tasks (250 under TSan and valgrind). */
static void test_result_up_a_long_chain(void **state) {
    (void)state;
    void *r = NULL;
    int n = 5000 / ct_slow();
    assert_int_equal(run_vt(value_chain, IPTR(n), &r), 0);
    assert_int_equal(PINT(r), n);
}

#define ROUNDS (100000 / ct_slow())
static cio_future *g_ball[2];
static long g_hits[2];

static void *player(void *arg) {
    int me = PINT(arg), other = 1 - me;
    for (;;) {
        void *v = NULL;
        int rc = cio_await(g_ball[me], &v);
        if (rc)
            return cio_raise(rc, NULL);
        cio_release(g_ball[me]);
        g_ball[me] = cio_future_new(NULL);
        long n = (long)(intptr_t)v;
        g_hits[me]++;
        if (n >= ROUNDS) {
            cio_future_set_result(g_ball[other], (void *)(intptr_t)(n + 1));
            return NULL;
        }
        cio_future_set_result(g_ball[other], (void *)(intptr_t)(n + 1));
        if (n + 1 >= ROUNDS)
            return NULL;
    }
}

static void *ping_pong_main(void *arg) {
    (void)arg;
    g_ball[0] = cio_future_new(NULL);
    g_ball[1] = cio_future_new(NULL);
    cio_future *p[2] = {cio_create_task(player, IPTR(0)),
                        cio_create_task(player, IPTR(1))};
    CHECK_INT(cio_future_set_result(g_ball[0], IPTR(1)), 0);
    CHECK_INT(cio_await(p[0], NULL), 0);
    CHECK_INT(cio_await(p[1], NULL), 0);
    cio_release_all(p, 2);
    cio_release_all(g_ball, 2);
    return NULL;
}

/* Two tasks hand a counter back and forth through futures 100,000 times
 * (fewer under the slow instrumentations). */
static void test_ping_pong(void **state) {
    (void)state;
    g_hits[0] = g_hits[1] = 0;
    assert_int_equal(run_vt(ping_pong_main, NULL, NULL), 0);
    checks_assert();
    assert_int_equal(g_hits[0] + g_hits[1], ROUNDS);
    assert_int_equal(g_hits[0], ROUNDS / 2);
}

static long g_sum;
static void *tiny(void *arg) {
    char buf[512];
    memset(buf, PINT(arg) & 0x7f, sizeof buf);
    cio_sleep(0);
    g_sum += buf[PINT(arg) % (int)sizeof buf];
    return arg;
}

static void *churn_main(void *arg) {
    (void)arg;
    long expect = 0;
    for (int round = 0; round < 200 / ct_slow(); round++) {
        cio_future *t[1000];
        for (int i = 0; i < 1000; i++)
            t[i] = cio_create_task(tiny, IPTR(i));
        for (int i = 0; i < 1000; i++) {
            void *r = NULL;
            CHECK_INT(cio_await(t[i], &r), 0);
            CHECK_INT(PINT(r), i);
            expect += i & 0x7f;
        }
        cio_release_all(t, 1000);
    }
    CHECK_INT(g_sum, expect);
    return NULL;
}

/* 200,000 short-lived tasks in batches of 1000 (fewer batches under the
 * slow instrumentations): stacks are reused. */
static void test_task_churn(void **state) {
    (void)state;
    g_sum = 0;
    assert_int_equal(run_vt(churn_main, NULL, NULL), 0);
    checks_assert();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_cancel_through_chain),
        CIO_TEST(test_result_up_a_long_chain),
        CIO_TEST(test_ping_pong),
        CIO_TEST(test_task_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
