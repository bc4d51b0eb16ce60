/* Unit tests: the loop's timer heap (src/core/timer.c) in a crowd. Sleepers
 * with pseudo-random deadlines, many of them equal, wake in deadline order
 * and, among equal deadlines, in the order they went to sleep, each at its
 * own deadline (virtual clock); sleepers cancelled while deep in the heap
 * leave it without disturbing the order of the others. */
#include "../cio_test.h"

#include <math.h>
#include <stdlib.h>

typedef struct sleeper {
    int ms;         /* its sleep */
    int woke;       /* its place in the wake order, or -1 */
    double woke_at; /* the loop's time then */
    int err;        /* what cio_sleep returned */
    bool cancel;    /* the test cancels it at CANCEL_AT */
} sleeper;

#define CANCEL_AT 0.060 /* s */

static sleeper *crowd;
static int wakes;

static void *sleep_task(void *arg) {
    sleeper *s = &crowd[PINT(arg)];
    s->err = cio_sleep(s->ms / 1000.0);
    s->woke = wakes++;
    s->woke_at = cio_loop_time(cio_get_running_loop());
    return NULL;
}

/* Deadlines 0-199 ms: about n/200 sleepers share each one. */
static int make_crowd(int n, bool cancel_some) {
    crowd = calloc((size_t)n, sizeof *crowd);
    if (!crowd)
        return -1;
    uint64_t x = 7;
    for (int i = 0; i < n; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        crowd[i].ms = (int)((x >> 33) % 200);
        crowd[i].woke = -1;
        crowd[i].cancel = cancel_some && i % 3 == 0 && crowd[i].ms > 80;
    }
    wakes = 0;
    return 0;
}

static void *crowd_main(void *arg) {
    int n = PINT(arg);
    cio_future **t = calloc((size_t)n, sizeof *t);
    CHECK(t != NULL);
    if (!t)
        return NULL;
    for (int i = 0; i < n; i++)
        t[i] = cio_create_task(sleep_task, IPTR(i));
    CHECK_INT(cio_sleep(CANCEL_AT), 0);
    for (int i = 0; i < n; i++)
        if (crowd[i].cancel)
            CHECK_INT(cio_cancel(t[i], NULL), 1);
    for (int i = 0; i < n; i++)
        cio_await(t[i], NULL);
    cio_release_all(t, (size_t)n);
    free(t);
    return NULL;
}

/* Is a's wake expected before b's? Deadline, then the order of sleeping
 * (the tasks start, and so sleep, in index order). */
static bool expected_before(int a, int b) {
    return crowd[a].ms < crowd[b].ms || (crowd[a].ms == crowd[b].ms && a < b);
}

static void check_order(int n) {
    int *order = calloc((size_t)n, sizeof *order);
    CHECK(order != NULL);
    if (!order)
        return;
    for (int i = 0; i < n; i++)
        if (crowd[i].woke >= 0 && crowd[i].woke < n)
            order[crowd[i].woke] = i;
    int prev = -1;
    for (int w = 0; w < n; w++) {
        int who = order[w];
        if (crowd[who].cancel)
            continue; /* (checked by run_crowd) */
        CHECK_INT(crowd[who].err, 0);
        CHECK(fabs(crowd[who].woke_at - crowd[who].ms / 1000.0) < T_EPS);
        if (prev >= 0)
            CHECK(expected_before(prev, who));
        prev = who;
    }
    free(order);
}

static void run_crowd(int n, bool cancel_some) {
    CHECK_INT(make_crowd(n, cancel_some), 0);
    CHECK_INT(run_vt(crowd_main, IPTR(n), NULL), 0);
    int cancelled = 0;
    for (int i = 0; i < n; i++) {
        CHECK(crowd[i].woke >= 0);
        if (crowd[i].cancel) {
            cancelled++;
            CHECK_INT(crowd[i].err, CIO_ECANCELED);
            CHECK(fabs(crowd[i].woke_at - CANCEL_AT) < T_EPS);
        }
    }
    if (cancel_some)
        CHECK(cancelled > n / 10);
    check_order(n);
    free(crowd);
    crowd = NULL;
}

static void test_order_in_a_crowd(void **state) {
    (void)state;
    run_crowd(3000 / ct_slow(), false);
    checks_assert();
}

static void test_cancel_deep_in_the_heap(void **state) {
    (void)state;
    run_crowd(3000 / ct_slow(), true);
    checks_assert();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_order_in_a_crowd),
        CIO_TEST(test_cancel_deep_in_the_heap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
