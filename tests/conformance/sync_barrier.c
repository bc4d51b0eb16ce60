/* Conformance: cio_barrier, re-expressing CPython's
 * Lib/test/test_asyncio/test_locks.py (BarrierTests). Each test names the
 * CPython test it follows. asyncio's reset() and abort() are coroutines (they
 * take the barrier's internal condition); cio's need no lock and do not
 * suspend. "draining" in repr() becomes cio_barrier_get_state(). */
#include "../cio_test.h"

#define N 5

static cio_barrier *g_b;
static int g_results1, g_results2, g_results3, g_count;

/* Create n tasks of fn, await them all, store their results in res. */
static void gather(int n, cio_task_fn fn, int *res) {
    cio_future *t[16];
    for (int i = 0; i < n; i++)
        t[i] = cio_create_task(fn, IPTR(i));
    for (int i = 0; i < n; i++) {
        void *r = NULL;
        CHECK_INT(cio_await(t[i], &r), 0);
        if (res)
            res[i] = PINT(r);
    }
    cio_release_all(t, (size_t)n);
}

static void *just_wait(void *arg) {
    (void)arg;
    return IPTR(cio_barrier_wait(g_b));
}

static void *gather_indices_main(void *arg) {
    (void)arg;
    g_b = cio_barrier_new(NULL, 3);
    CHECK_INT(cio_barrier_parties(g_b), 3);
    int res[3], seen = 0;
    gather(3, just_wait, res);
    for (int i = 0; i < 3; i++) {
        CHECK(res[i] >= 0 && res[i] < 3);
        seen |= 1 << (res[i] < 0 ? 0 : res[i]);
    }
    CHECK_INT(seen, 7); /* each index once */
    CHECK_INT(cio_barrier_n_waiting(g_b), 0);
    CHECK(!cio_barrier_broken(g_b));
    CHECK_INT(cio_barrier_free(g_b), 0);
    /* test_barrier_parties */
    CHECK(cio_barrier_new(NULL, 0) == NULL);
    CHECK_INT(cio_last_error(), CIO_EINVAL);
    CHECK(cio_barrier_new(NULL, -4) == NULL);
    /* test_filling_one_task */
    g_b = cio_barrier_new(NULL, 1);
    CHECK_INT(cio_barrier_wait(g_b), 0);
    CHECK_INT(cio_barrier_wait(g_b), 0);
    CHECK_INT(cio_barrier_n_waiting(g_b), 0);
    CHECK_INT(cio_barrier_free(g_b), 0);
    return NULL;
}

/* BarrierTests.test_context_manager, test_barrier_parties,
 * test_filling_one_task(_twice): indices 0..parties-1, one each. */
static void test_barrier_indices(void **state) {
    (void)state;
    assert_int_equal(run_vt(gather_indices_main, NULL, NULL), 0);
    checks_assert();
}

static void *task_by_task_main(void *arg) {
    (void)arg;
    g_b = cio_barrier_new(NULL, 3);
    cio_future *t[3];
    for (int i = 0; i < 3; i++) {
        t[i] = cio_create_task(just_wait, NULL);
        CHECK_INT(cio_sleep(0), 0);
        if (i < 2) {
            CHECK_INT(cio_barrier_n_waiting(g_b), i + 1);
            CHECK_INT(cio_barrier_get_state(g_b), CIO_BARRIER_FILLING);
        }
    }
    for (int i = 0; i < 3; i++) {
        void *r = NULL;
        CHECK_INT(cio_await(t[i], &r), 0);
        CHECK_INT(PINT(r), i); /* arrival order */
    }
    cio_release_all(t, 3);
    CHECK_INT(cio_barrier_n_waiting(g_b), 0);
    CHECK(!cio_barrier_broken(g_b));
    CHECK_INT(cio_barrier_free(g_b), 0);
    return NULL;
}

/* BarrierTests.test_filling_task_by_task. */
static void test_barrier_filling_task_by_task(void **state) {
    (void)state;
    assert_int_equal(run_vt(task_by_task_main, NULL, NULL), 0);
    checks_assert();
}

static void *wait_twice(void *arg) {
    (void)arg;
    CHECK(cio_barrier_wait(g_b) >= 0);
    g_results1++;
    int i = cio_barrier_wait(g_b);
    CHECK(i >= 0);
    g_results2++;
    return IPTR(i);
}

static void *wait_twice_main(void *arg) {
    (void)arg;
    g_b = cio_barrier_new(NULL, N);
    int res[N], seen = 0;
    gather(N, wait_twice, res);
    for (int i = 0; i < N; i++)
        seen |= 1 << res[i];
    CHECK_INT(seen, (1 << N) - 1);
    CHECK_INT(g_results1, N);
    CHECK_INT(g_results2, N);
    CHECK_INT(cio_barrier_n_waiting(g_b), 0);
    CHECK_INT(cio_barrier_free(g_b), 0);
    return NULL;
}

/* BarrierTests.test_filling_tasks_wait_twice,
 * test_filling_tasks_check_return_value. */
static void test_barrier_wait_twice(void **state) {
    (void)state;
    g_results1 = g_results2 = 0;
    assert_int_equal(run_vt(wait_twice_main, NULL, NULL), 0);
    checks_assert();
}

static void *log_draining(void *arg) {
    (void)arg;
    CHECK(cio_barrier_wait(g_b) >= 0);
    ev_log(cio_barrier_get_state(g_b) == CIO_BARRIER_DRAINING);
    return NULL;
}

static void *draining_main(void *arg) {
    (void)arg;
    g_b = cio_barrier_new(NULL, N);
    gather(N, log_draining, NULL);
    CHECK_INT(cio_barrier_free(g_b), 0);
    return NULL;
}

/* BarrierTests.test_draining_state: draining until the last task leaves. */
static void test_barrier_draining_state(void **state) {
    (void)state;
    assert_int_equal(run_vt(draining_main, NULL, NULL), 0);
    checks_assert();
    ev_assert(1, 1, 1, 1, 0);
}

static cio_barrier *g_b2;
static int g_rewait;
static void *blocking_while_draining(void *arg) {
    (void)arg;
    CHECK(cio_barrier_wait(g_b) >= 0);
    if (g_rewait > 0) {
        g_rewait--;
        CHECK(cio_barrier_wait(g_b) >= 0);
    } else {
        CHECK(cio_barrier_wait(g_b2) >= 0);
        CHECK(cio_barrier_wait(g_b) >= 0);
    }
    return NULL;
}

static void *blocking_while_draining_main(void *arg) {
    (void)arg;
    g_rewait = 2;
    g_b = cio_barrier_new(NULL, N);
    g_b2 = cio_barrier_new(NULL, N - 2);
    gather(N, blocking_while_draining, NULL);
    CHECK_INT(cio_barrier_free(g_b), 0);
    CHECK_INT(cio_barrier_free(g_b2), 0);
    return NULL;
}

/* BarrierTests.test_blocking_tasks_while_draining: tasks arriving while the
 * barrier drains wait for the next round. */
static void test_barrier_blocking_while_draining(void **state) {
    (void)state;
    assert_int_equal(run_vt(blocking_while_draining_main, NULL, NULL), 0);
    checks_assert();
}

static void *cancel_one_main(void *arg) {
    (void)arg;
    g_b = cio_barrier_new(NULL, 3);
    cio_future *t[4];
    t[0] = cio_create_task(just_wait, NULL);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_barrier_n_waiting(g_b), 1);
    t[1] = cio_create_task(just_wait, NULL);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_barrier_n_waiting(g_b), 2);
    CHECK_INT(cio_cancel(t[0], NULL), 1);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_barrier_n_waiting(g_b), 1);
    CHECK_INT(cio_await(t[0], NULL), CIO_ECANCELED);
    t[2] = cio_create_task(just_wait, NULL);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_barrier_n_waiting(g_b), 2);
    t[3] = cio_create_task(just_wait, NULL);
    for (int i = 1; i < 4; i++) {
        void *r = NULL;
        CHECK_INT(cio_await(t[i], &r), 0);
        CHECK(PINT(r) >= 0);
    }
    cio_release_all(t, 4);
    CHECK_INT(cio_barrier_n_waiting(g_b), 0);
    CHECK(!cio_barrier_broken(g_b));
    CHECK_INT(cio_barrier_free(g_b), 0);
    return NULL;
}

/* BarrierTests.test_filling_tasks_cancel_one: a cancelled waiter leaves. */
static void test_barrier_cancel_one(void **state) {
    (void)state;
    assert_int_equal(run_vt(cancel_one_main, NULL, NULL), 0);
    checks_assert();
}

static void *broken_counter(void *arg) {
    (void)arg;
    int rc = cio_barrier_wait(g_b);
    if (rc == CIO_EBROKENBARRIER)
        g_results1++;
    return NULL;
}

static void *reset_waiting_main(void *arg) {
    (void)arg;
    g_b = cio_barrier_new(NULL, N);
    /* test_reset_barrier: a reset of an empty barrier */
    CHECK_INT(cio_barrier_reset(g_b), 0);
    CHECK_INT(cio_barrier_get_state(g_b), CIO_BARRIER_FILLING);
    cio_future *t[N - 1];
    for (int i = 0; i < N - 1; i++)
        t[i] = cio_create_task(broken_counter, NULL);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_barrier_reset(g_b), 0);
    CHECK_INT(cio_barrier_get_state(g_b), CIO_BARRIER_RESETTING);
    for (int i = 0; i < N - 1; i++)
        CHECK_INT(cio_await(t[i], NULL), 0);
    cio_release_all(t, N - 1);
    CHECK_INT(g_results1, N - 1);
    CHECK_INT(cio_barrier_n_waiting(g_b), 0);
    CHECK_INT(cio_barrier_get_state(g_b), CIO_BARRIER_FILLING);
    CHECK(!cio_barrier_broken(g_b));
    CHECK_INT(cio_barrier_free(g_b), 0);
    return NULL;
}

/* BarrierTests.test_reset_barrier, test_reset_barrier_while_tasks_waiting:
 * waiting tasks get CIO_EBROKENBARRIER, then the barrier is usable. */
static void test_barrier_reset_while_waiting(void **state) {
    (void)state;
    g_results1 = 0;
    assert_int_equal(run_vt(reset_waiting_main, NULL, NULL), 0);
    checks_assert();
}

static void *half_draining(void *arg) {
    (void)arg;
    int rc = cio_barrier_wait(g_b);
    if (rc == CIO_EBROKENBARRIER) {
        g_results1++; /* still waiting to be drained */
    } else {
        CHECK(rc >= 0);
        /* the first out resets while the others are still inside */
        if (++g_count == 1)
            CHECK_INT(cio_barrier_reset(g_b), 0);
    }
    return NULL;
}

static void *half_draining_main(void *arg) {
    (void)arg;
    g_b = cio_barrier_new(NULL, N);
    gather(N, half_draining, NULL);
    CHECK_INT(cio_barrier_n_waiting(g_b), 0);
    CHECK(cio_barrier_get_state(g_b) != CIO_BARRIER_RESETTING);
    CHECK(!cio_barrier_broken(g_b));
    CHECK_INT(cio_barrier_free(g_b), 0);
    return NULL;
}

/* BarrierTests.test_reset_barrier_when_tasks_half_draining: a reset while
 * woken tasks have not left breaks their wait. */
static void test_barrier_reset_half_draining(void **state) {
    (void)state;
    g_results1 = g_count = 0;
    assert_int_equal(run_vt(half_draining_main, NULL, NULL), 0);
    checks_assert();
    /* The releaser (index N-1) leaves first and resets: all N-1 others,
     * woken but not out yet, see the reset. */
    assert_int_equal(g_results1, N - 1);
}

static void *reset_then_wait_again(void *arg) {
    (void)arg;
    if (cio_barrier_wait(g_b) == CIO_EBROKENBARRIER)
        g_results1++;
    CHECK(cio_barrier_wait(g_b) >= 0);
    g_results2++;
    return NULL;
}

static void *one_more(void *arg) {
    (void)arg;
    CHECK(cio_barrier_wait(g_b) >= 0);
    g_results2++;
    return NULL;
}

static void *reset_wait_again_main(void *arg) {
    (void)arg;
    g_b = cio_barrier_new(NULL, N);
    cio_future *t[N];
    for (int i = 0; i < N - 1; i++)
        t[i] = cio_create_task(reset_then_wait_again, NULL);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_barrier_reset(g_b), 0);
    CHECK_INT(cio_sleep(0), 0);
    t[N - 1] = cio_create_task(one_more, NULL);
    for (int i = 0; i < N; i++)
        CHECK_INT(cio_await(t[i], NULL), 0);
    cio_release_all(t, N);
    CHECK(!cio_barrier_broken(g_b));
    CHECK_INT(g_results1, N - 1);
    CHECK_INT(g_results2, N);
    CHECK_INT(cio_barrier_n_waiting(g_b), 0);
    CHECK_INT(cio_barrier_free(g_b), 0);
    return NULL;
}

/* BarrierTests.test_reset_barrier_while_tasks_waiting_and_waiting_again. */
static void test_barrier_reset_and_wait_again(void **state) {
    (void)state;
    g_results1 = g_results2 = 0;
    assert_int_equal(run_vt(reset_wait_again_main, NULL, NULL), 0);
    checks_assert();
}

static void *reset_draining(void *arg) {
    (void)arg;
    CHECK(cio_barrier_wait(g_b) >= 0);
    if (++g_count == N) {
        CHECK_INT(cio_barrier_reset(g_b), 0); /* the last one out */
        CHECK(cio_barrier_wait(g_b) >= 0);
    } else {
        if (cio_barrier_wait(g_b) >= 0)
            g_results1++;
        else
            g_results2++;
    }
    CHECK(cio_barrier_wait(g_b) >= 0);
    g_results3++;
    return NULL;
}

static void *reset_draining_main(void *arg) {
    (void)arg;
    g_b = cio_barrier_new(NULL, N);
    gather(N, reset_draining, NULL);
    CHECK(!cio_barrier_broken(g_b));
    CHECK_INT(g_results1, N - 1);
    CHECK_INT(g_results2, 0);
    CHECK_INT(g_results3, N);
    CHECK_INT(cio_barrier_n_waiting(g_b), 0);
    CHECK_INT(cio_barrier_free(g_b), 0);
    return NULL;
}

/* BarrierTests.test_reset_barrier_while_tasks_draining: a reset by the last
 * task out (the barrier is empty) breaks nobody. */
static void test_barrier_reset_while_draining(void **state) {
    (void)state;
    g_results1 = g_results2 = g_results3 = g_count = 0;
    assert_int_equal(run_vt(reset_draining_main, NULL, NULL), 0);
    checks_assert();
}

static void *abort_half(void *arg) {
    (void)arg;
    int rc = cio_barrier_wait(g_b);
    if (rc == CIO_EBROKENBARRIER) {
        g_results1++;
    } else if (++g_count > N / 2) {
        CHECK_INT(cio_barrier_abort(g_b), 0);
    } else if (cio_barrier_wait(g_b) == CIO_EBROKENBARRIER) {
        g_results2++;
    }
    return NULL;
}

static void *abort_half_main(void *arg) {
    (void)arg;
    g_b = cio_barrier_new(NULL, 1);
    CHECK_INT(cio_barrier_abort(g_b), 0); /* test_abort_barrier */
    CHECK(cio_barrier_broken(g_b));
    CHECK_INT(cio_barrier_wait(g_b), CIO_EBROKENBARRIER);
    CHECK_INT(cio_barrier_free(g_b), 0);
    g_b = cio_barrier_new(NULL, N);
    gather(N, abort_half, NULL);
    CHECK(cio_barrier_broken(g_b));
    CHECK_INT(cio_barrier_n_waiting(g_b), 0);
    CHECK_INT(cio_barrier_free(g_b), 0);
    return NULL;
}

/* BarrierTests.test_abort_barrier,
 * test_abort_barrier_when_tasks_half_draining_half_blocking. */
static void test_barrier_abort(void **state) {
    (void)state;
    g_results1 = g_results2 = g_count = 0;
    assert_int_equal(run_vt(abort_half_main, NULL, NULL), 0);
    checks_assert();
    /* In cio's FIFO order the first N/2 out wait again, the next one
     * aborts, and the rest, not out yet, see the abort. */
    assert_int_equal(g_results1, N - N / 2 - 1);
    assert_int_equal(g_results2, N / 2);
}

static void *abort_then_reset(void *arg) {
    (void)arg;
    int i = cio_barrier_wait(g_b);
    if (i == CIO_EBROKENBARRIER) {
        g_results2++; /* still inside when the barrier broke */
    } else if (i == N / 2) {
        CHECK_INT(cio_barrier_abort(g_b), 0); /* asyncio: RuntimeError */
    } else if (i >= 0) {
        if (cio_barrier_wait(g_b) == CIO_EBROKENBARRIER)
            g_results2++;
        else
            g_results1++;
    }
    /* Everyone out before the reset; nobody in before it. */
    if (cio_barrier_wait(g_b2) == N / 2)
        CHECK_INT(cio_barrier_reset(g_b), 0);
    CHECK(cio_barrier_wait(g_b2) >= 0);
    CHECK(cio_barrier_wait(g_b) >= 0);
    g_results3++;
    return NULL;
}

static void *abort_then_reset_main(void *arg) {
    (void)arg;
    g_b = cio_barrier_new(NULL, N);
    g_b2 = cio_barrier_new(NULL, N);
    gather(N, abort_then_reset, NULL);
    CHECK(!cio_barrier_broken(g_b));
    CHECK_INT(g_results1, 0);
    CHECK_INT(g_results2, N - 1);
    CHECK_INT(g_results3, N);
    CHECK_INT(cio_barrier_n_waiting(g_b), 0);
    CHECK_INT(cio_barrier_free(g_b), 0);
    CHECK_INT(cio_barrier_free(g_b2), 0);
    return NULL;
}

/* BarrierTests.test_abort_barrier_when_exception_then_resetting. */
static void test_barrier_abort_then_reset(void **state) {
    (void)state;
    g_results1 = g_results2 = g_results3 = 0;
    assert_int_equal(run_vt(abort_then_reset_main, NULL, NULL), 0);
    checks_assert();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_barrier_indices),
        CIO_TEST(test_barrier_filling_task_by_task),
        CIO_TEST(test_barrier_wait_twice),
        CIO_TEST(test_barrier_draining_state),
        CIO_TEST(test_barrier_blocking_while_draining),
        CIO_TEST(test_barrier_cancel_one),
        CIO_TEST(test_barrier_reset_while_waiting),
        CIO_TEST(test_barrier_reset_half_draining),
        CIO_TEST(test_barrier_reset_and_wait_again),
        CIO_TEST(test_barrier_reset_while_draining),
        CIO_TEST(test_barrier_abort),
        CIO_TEST(test_barrier_abort_then_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
