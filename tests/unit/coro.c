/* Unit tests of src/coro: the context switch and the stack pool, without a
 * loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "coro/coro.h"

#include <stdlib.h>
#include <string.h>

static cio__coro main_coro, a, b;
static int trace[16], ntrace;

static void ping(void *arg) {
    (void)arg;
    trace[ntrace++] = 1;
    cio__coro_switch(&a, &main_coro);
    trace[ntrace++] = 3;
    cio__coro_exit(&a, &main_coro);
}

static void test_switch_round_trip(void **state) {
    (void)state;
    cio__stack_pool *pool = cio__stack_pool_new();
    assert_non_null(pool);
    cio__coro_init_main(&main_coro);
    cio__stack *s = cio__stack_get(pool, 64 * 1024);
    assert_non_null(s);
    ntrace = 0;
    cio__coro_start(&a, s, ping, NULL);
    cio__coro_switch(&main_coro, &a);
    trace[ntrace++] = 2;
    cio__coro_switch(&main_coro, &a);
    trace[ntrace++] = 4;
    assert_int_equal(ntrace, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(trace[i], i + 1);
    cio__coro_destroy(&a);
    cio__stack_put(pool, s);
    cio__stack_pool_free(pool);
}

/* Callee-saved state survives switches: a coroutine computing with doubles
 * and many live integers while another coroutine clobbers registers. */
static volatile double sink;
static void clobber(void *arg) {
    (void)arg;
    for (int i = 0; i < 3; i++) {
        double x = 1.0;
        for (int j = 0; j < 100; j++)
            x = x * 1.0001 + (double)j;
        sink = x;
        cio__coro_switch(&b, &main_coro);
    }
    cio__coro_exit(&b, &main_coro);
}

static void test_registers_preserved(void **state) {
    (void)state;
    cio__stack_pool *pool = cio__stack_pool_new();
    cio__coro_init_main(&main_coro);
    cio__stack *s = cio__stack_get(pool, 64 * 1024);
    cio__coro_start(&b, s, clobber, NULL);
    double acc = 0.5;
    long l1 = 11, l2 = 22, l3 = 33, l4 = 44, l5 = 55, l6 = 66;
    for (int i = 0; i < 3; i++) {
        cio__coro_switch(&main_coro, &b);
        acc = acc * 2.0 + 0.25;
        l1 += 1, l2 += 2, l3 += 3, l4 += 4, l5 += 5, l6 += 6;
    }
    cio__coro_switch(&main_coro, &b); /* lets it exit */
    assert_true(acc == ((0.5 * 2 + 0.25) * 2 + 0.25) * 2 + 0.25);
    assert_int_equal(l1 + l2 + l3 + l4 + l5 + l6, 231 + 3 * 21);
    cio__coro_destroy(&b);
    cio__stack_put(pool, s);
    cio__stack_pool_free(pool);
}

static void test_warm_reuse(void **state) {
    (void)state;
    cio__stack_pool *pool = cio__stack_pool_new();
    cio__stack *s1 = cio__stack_get(pool, 100 * 1024);
    assert_non_null(s1);
    /* rounded up to whole pages, at least what was asked */
    assert_true((size_t)(s1->hi - s1->lo) >= 100 * 1024);
    memset(s1->lo, 0xab, (size_t)(s1->hi - s1->lo)); /* all usable */
    cio__stack_put(pool, s1);
    cio__stack *s2 = cio__stack_get(pool, 100 * 1024);
    assert_ptr_equal(s1, s2); /* the warm one comes back */
    cio__stack_stats st;
    cio__stack_pool_stats(pool, &st);
    assert_int_equal(st.in_use, 1);
    assert_int_equal(st.guarded + st.slab, 1);
    cio__stack_put(pool, s2);
    cio__stack_pool_free(pool);
}

static void test_many_stacks_beyond_warm(void **state) {
    (void)state;
    enum { N = 300 };
    cio__stack_pool *pool = cio__stack_pool_new();
    static cio__stack *s[N];
    for (int i = 0; i < N; i++) {
        s[i] = cio__stack_get(pool, 32 * 1024);
        assert_non_null(s[i]);
        s[i]->hi[-1] = (char)i; /* touch the top page */
    }
    for (int i = 0; i < N; i++)
        assert_int_equal((unsigned char)s[i]->hi[-1], (unsigned char)i);
    for (int i = 0; i < N; i++)
        cio__stack_put(pool, s[i]);
    cio__stack_stats st;
    cio__stack_pool_stats(pool, &st);
    assert_int_equal(st.in_use, 0);
    assert_int_equal(st.warm + st.dirty + st.cold, N);
    assert_true(st.warm <= 64);
    /* reusing them creates none */
    for (int i = 0; i < N; i++)
        s[i] = cio__stack_get(pool, 32 * 1024);
    cio__stack_stats st2;
    cio__stack_pool_stats(pool, &st2);
    assert_int_equal(st2.guarded + st2.slab, st.guarded + st.slab);
    for (int i = 0; i < N; i++)
        cio__stack_put(pool, s[i]);
    cio__stack_pool_free(pool);
}

/* Slab stacks (past the guard budget) carry a canary that an overflow
 * breaks, and trimming a neighbour does not break it. */
static void test_slab_canary(void **state) {
    (void)state;
    cio__stack_pool *pool = cio__stack_pool_new();
    long left = cio__guard_budget_left();
    /* use up the budget so that the next stacks come from a slab */
    enum { MAX = 40000 };
    static cio__stack *g[MAX];
    int ng = 0;
    cio__stack *x;
    while ((x = cio__stack_get(pool, 16 * 1024)) != NULL && x->guard &&
           ng < MAX)
        g[ng++] = x;
    assert_non_null(x);
    assert_null(x->guard);
    assert_true(ng <= left);
    cio__stack *y = cio__stack_get(pool, 16 * 1024);
    assert_non_null(y->canary);
    assert_true(cio__stack_canary_ok(x) && cio__stack_canary_ok(y));
    /* y sits above x in the slab: trimming x keeps y's canary */
    cio__stack *lower = x->lo < y->lo ? x : y, *upper = x->lo < y->lo ? y : x;
    assert_true(ng >= 64);
    for (int i = 0; i < 64; i++) /* fill the warm list: the next put trims */
        cio__stack_put(pool, g[i]);
    cio__stack_stats st;
    cio__stack_pool_stats(pool, &st);
    assert_int_equal(st.warm, 64);
    lower->hi[-100] = 1; /* a page that the trim returns */
    cio__stack_put(pool, lower);
    cio__stack_pool_stats(pool, &st);
    assert_int_equal(st.dirty, 1); /* trimmed only when the loop idles */
    assert_int_equal(cio__stack_pool_trim(pool, 10), 1);
    cio__stack_pool_stats(pool, &st);
    assert_int_equal(st.cold, 1);
    assert_int_equal(lower->hi[-100], 0); /* trimmed: reads back zero */
    assert_true(cio__stack_canary_ok(upper));
    /* an overflow of the upper stack by a few bytes breaks its canary */
    memset(upper->lo - 16, 0, 16);
    assert_false(cio__stack_canary_ok(upper));
    cio__stack_put(pool, upper);
    for (int i = 64; i < ng; i++)
        cio__stack_put(pool, g[i]);
    cio__stack_pool_free(pool);
    assert_int_equal(cio__guard_budget_left(), left);
}

int main(void) {
    /* A small guard budget reaches the slab path quickly (and keeps the
     * mapping count within what valgrind can track). */
    setenv("CIO_GUARD_BUDGET", "200", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_switch_round_trip),
        cmocka_unit_test(test_registers_preserved),
        cmocka_unit_test(test_warm_reuse),
        cmocka_unit_test(test_many_stacks_beyond_warm),
        cmocka_unit_test(test_slab_canary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
