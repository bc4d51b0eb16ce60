/* Unit tests of src/coro: the context switch and the stack pool, without a
 * loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "coro/coro.h"

#include <fenv.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#define TOTAL(st) ((st).regions + (st).guarded + (st).slab)

/* Lines of /proc/self/maps: the process's mappings. */
static int count_maps(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    int n = 0, ch;
    while ((ch = fgetc(f)) != EOF)
        n += ch == '\n';
    fclose(f);
    return n;
}

/* Whether writing at `p` kills a child with SIGSEGV. */
static bool write_faults(char *p) {
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        *(volatile char *)p = 1;
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}

/* Under valgrind and ASan a child's fault is their report, not a death
 * by SIGSEGV: the guards' faults are checked in the plain builds. */
static bool faults_hidden(void) {
#if defined(CIO_ASAN)
    return true;
#else
    const char *p = getenv("LD_PRELOAD");
    return p && strstr(p, "vgpreload");
#endif
}

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

/* The floating-point control words are each coroutine's own (the ABI
 * preserves them across a call, and a switch is a call): a rounding mode
 * one coroutine sets is not the other's, whatever the sticky exception
 * flags (which the ABI does not preserve, and the switch compares apart
 * from the control bits) say. */
static volatile double fp_one = 1.0, fp_three = 3.0;
static int fp_seen[4];

static void fp_rounder(void *arg) {
    (void)arg;
    fesetround(FE_UPWARD);
    fp_seen[0] = fegetround();
    volatile double third = fp_one / fp_three; /* raises FE_INEXACT */
    (void)third;
    cio__coro_switch(&b, &main_coro); /* flags and mode differ from main's */
    fp_seen[1] = fegetround();
    cio__coro_switch(&b, &main_coro);
    fp_seen[2] = fegetround();
    fesetround(FE_TONEAREST);
    cio__coro_exit(&b, &main_coro);
}

static void test_fp_control_per_coroutine(void **state) {
    (void)state;
    cio__stack_pool *pool = cio__stack_pool_new();
    cio__coro_init_main(&main_coro);
    cio__stack *s = cio__stack_get(pool, 64 * 1024);
    fesetround(FE_TONEAREST);
    feclearexcept(FE_ALL_EXCEPT);
    double nearest = fp_one / fp_three;
    cio__coro_start(&b, s, fp_rounder, NULL);
    cio__coro_switch(&main_coro, &b);
    assert_int_equal(fegetround(), FE_TONEAREST);
    assert_true(fp_one / fp_three == nearest);
    /* another mode, and no flags, while b has its mode and inexact */
    fesetround(FE_DOWNWARD);
    feclearexcept(FE_ALL_EXCEPT);
    cio__coro_switch(&main_coro, &b);
    assert_int_equal(fegetround(), FE_DOWNWARD);
    fesetround(FE_TONEAREST);
    cio__coro_switch(&main_coro, &b);
    assert_int_equal(fp_seen[0], FE_UPWARD);
    assert_int_equal(fp_seen[1], FE_UPWARD);
    assert_int_equal(fp_seen[2], FE_UPWARD);
    assert_int_equal(fegetround(), FE_TONEAREST);
#if defined(__x86_64__)
    /* SSE arithmetic follows MXCSR, which fegetround does not read */
    assert_int_equal(_mm_getcsr() & 0x6000u, 0); /* round to nearest */
#endif
    cio__coro_destroy(&b);
    cio__stack_put(pool, s);
    cio__stack_pool_free(pool);
}

#if defined(__x86_64__)
/* MXCSR alone (flush to zero, denormals are zero: SSE only, the x87 word
 * stays the same): the switch compares each word. */
#define FTZ_DAZ 0x8040u
static unsigned mxcsr_seen[2];

static void ftz_setter(void *arg) {
    (void)arg;
    _mm_setcsr(_mm_getcsr() | FTZ_DAZ);
    mxcsr_seen[0] = _mm_getcsr() & FTZ_DAZ;
    cio__coro_switch(&b, &main_coro);
    mxcsr_seen[1] = _mm_getcsr() & FTZ_DAZ;
    _mm_setcsr(_mm_getcsr() & ~FTZ_DAZ);
    cio__coro_exit(&b, &main_coro);
}

static void test_mxcsr_per_coroutine(void **state) {
    (void)state;
    cio__stack_pool *pool = cio__stack_pool_new();
    cio__coro_init_main(&main_coro);
    cio__stack *s = cio__stack_get(pool, 64 * 1024);
    feclearexcept(FE_ALL_EXCEPT); /* as a new coroutine's: only FTZ differs */
    cio__coro_start(&b, s, ftz_setter, NULL);
    cio__coro_switch(&main_coro, &b);
    assert_int_equal(_mm_getcsr() & FTZ_DAZ, 0);
    cio__coro_switch(&main_coro, &b);
    /* valgrind runs SSE with its own MXCSR and does not take these bits */
    if (!faults_hidden() || mxcsr_seen[0]) {
        assert_int_equal(mxcsr_seen[0], FTZ_DAZ);
        assert_int_equal(mxcsr_seen[1], FTZ_DAZ);
    }
    assert_int_equal(_mm_getcsr() & FTZ_DAZ, 0);
    cio__coro_destroy(&b);
    cio__stack_put(pool, s);
    cio__stack_pool_free(pool);
}
#endif

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
    assert_int_equal(TOTAL(st), 1);
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
    assert_int_equal(TOTAL(st2), TOTAL(st));
    for (int i = 0; i < N; i++)
        cio__stack_put(pool, s[i]);
    cio__stack_pool_free(pool);
}

/* Slab stacks (past the guard budget) carry a canary that an overflow
 * breaks, and trimming a neighbour does not break it. */
static void test_slab_canary(void **state) {
    (void)state;
    cio__stack_set_guard_regions(false);
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
    /* its slab has a stack in use: trimmed once the pool has idled, not
     * at the first trim after a put */
    assert_int_equal(cio__stack_pool_trim(pool, 10), 0);
    assert_int_equal(cio__stack_pool_trim(pool, 10), 1);
    cio__stack_pool_stats(pool, &st);
    assert_int_equal(st.cold, 1);
    assert_int_equal(lower->hi[-100], 0); /* trimmed: reads back zero */
    assert_true(cio__stack_canary_ok(upper));
    /* the canary is the 64 bytes below the stack: any word of it broken is
     * seen, and the crash of the lower task points at the upper one */
    assert_ptr_equal(cio__stack_above(lower), upper);
    for (int w = 0; w < 8; w++) {
        char *at = upper->lo - 64 + 8 * w;
        char saved = *at;
        *at ^= 1;
        assert_false(cio__stack_canary_ok(upper));
        *at = saved;
        assert_true(cio__stack_canary_ok(upper));
    }
    cio__stack_put(pool, upper);
    assert_ptr_equal(cio__stack_above(lower), NULL); /* no longer in use */
    for (int i = 64; i < ng; i++)
        cio__stack_put(pool, g[i]);
    cio__stack_pool_free(pool);
    assert_int_equal(cio__guard_budget_left(), left);
    cio__stack_set_guard_regions(true);
}

/* The fallback without a budget: guard pages while it lasts (200 here),
 * slab stacks after, and the budget comes back when the pool is freed. */
static void test_fallback_budget(void **state) {
    (void)state;
    cio__stack_set_guard_regions(false);
    cio__stack_pool *pool = cio__stack_pool_new();
    long left = cio__guard_budget_left();
    enum { N = 300 };
    static cio__stack *s[N];
    for (int i = 0; i < N; i++) {
        s[i] = cio__stack_get(pool, 16 * 1024);
        assert_non_null(s[i]);
        bool paged = i < left;
        assert_int_equal(s[i]->guard != NULL, paged);
        assert_int_equal(s[i]->canary != NULL, !paged);
        if (paged)
            assert_ptr_equal(s[i]->guard + CIO__GUARD_SIZE, s[i]->lo);
    }
    assert_int_equal(cio__guard_budget_left(), 0);
    if (!faults_hidden())
        assert_true(write_faults(s[0]->lo - 1)); /* the guard, both ends */
    if (!faults_hidden())
        assert_true(write_faults(s[0]->guard));
    for (int i = 0; i < N; i++)
        cio__stack_put(pool, s[i]);
    cio__stack_pool_free(pool);
    assert_int_equal(cio__guard_budget_left(), left);
    cio__stack_set_guard_regions(true);
}

/* With guard regions, every stack gets a 64 KiB guard that faults, and no
 * mapping of its own: 1,000 stacks add a handful of mappings (slabs). */
static void test_guard_regions(void **state) {
    (void)state;
    if (!cio__stack_guard_regions()) {
        print_message("skipped: no guard regions (kernel before 6.13, or "
                      "CIO_GUARD_REGIONS=0)\n");
        skip();
    }
    long left = cio__guard_budget_left();
    int maps = count_maps();
    cio__stack_pool *pool = cio__stack_pool_new();
    enum { N = 1000 };
    static cio__stack *s[N];
    for (int i = 0; i < N; i++) {
        s[i] = cio__stack_get(pool, 16 * 1024);
        assert_non_null(s[i]);
        assert_ptr_equal(s[i]->guard + CIO__GUARD_SIZE, s[i]->lo);
        assert_null(s[i]->canary);
        s[i]->hi[-1] = 1;
        s[i]->lo[0] = 1; /* the whole stack is usable */
    }
    cio__stack_stats st;
    cio__stack_pool_stats(pool, &st);
    assert_int_equal(st.regions, N);
    assert_int_equal(cio__guard_budget_left(), left); /* no guard page */
    int added = count_maps() - maps;
    print_message("%d stacks with guard regions added %d mappings\n", N, added);
    assert_true(added <= 10);
    if (!faults_hidden()) {
        assert_true(write_faults(s[N - 1]->lo - 1));
        assert_true(write_faults(s[N - 1]->guard));
        assert_true(write_faults(s[0]->lo - CIO__GUARD_SIZE / 2));
    }
    /* a slab whose stacks all finished is trimmed in one system call, the
     * rest once the pool has idled; trimming keeps the guards */
    for (int i = 0; i < N; i++)
        cio__stack_put(pool, s[i]);
    size_t whole = cio__stack_pool_trim(pool, 1);
    print_message("one call trimmed %zu stacks\n", whole);
    assert_true(whole > 64);
    assert_int_equal(whole + cio__stack_pool_trim(pool, N), N - 64);
    cio__stack_pool_stats(pool, &st);
    assert_int_equal(st.cold, N - 64);
    assert_int_equal(st.dirty, 0);
    cio__stack *again = NULL;
    for (int i = 0; i < N; i++)
        s[i] = cio__stack_get(pool, 16 * 1024);
    again = s[N - 1];
    if (!faults_hidden())
        assert_true(write_faults(again->lo - 1));
    cio__stack_pool_stats(pool, &st);
    assert_int_equal(st.regions, N); /* all reused, none new */
    for (int i = 0; i < N; i++)
        cio__stack_put(pool, s[i]);
    cio__stack_pool_free(pool);
}

/* What linux.c reads: this test program runs one thread; the mapping
 * limit is positive; guard regions are what the kernel answers. */
static void test_os_readers(void **state) {
    (void)state;
#if defined(__linux__)
    /* 1 natively; qemu-user's emulated /proc/self/stat says 0 */
    long threads = cio__os_thread_count();
    assert_true(threads == 1 || threads == 0);
    assert_true(cio__os_max_map_count() > 0);
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    long want = 0;
    if (f) {
        assert_int_equal(fscanf(f, "%ld", &want), 1);
        fclose(f);
        assert_int_equal(cio__os_max_map_count(), want);
    }
#else
    assert_int_equal(cio__os_thread_count(), -1);
#endif
    (void)cio__os_thp_always(); /* either answer is right */
    if (getenv("CIO_GUARD_REGIONS") == NULL)
        assert_int_equal(cio__stack_guard_regions(), cio__os_guard_regions());
}

static int regions_back_on(void **state) {
    (void)state;
    cio__stack_set_guard_regions(true);
    return 0;
}

/* Compact coroutines (compact.c): each fills a frame with its own pattern
 * and a pointer to that frame, switches to main, and checks both when it
 * comes back; main re-enters them in an order that makes every entry evict
 * the occupant and copy the newcomer back (one shared stack). */
#define NCOMPACT 6
static cio__coro compact_co[NCOMPACT];
static int compact_rounds[NCOMPACT], compact_bad;

static __attribute__((noinline)) void compact_body(int id, int depth) {
    volatile uint64_t frame[48];
    volatile uint64_t *volatile self = frame; /* a pointer into the frame */
    for (int i = 0; i < 48; i++)
        frame[i] = (uint64_t)id * 1000 + (uint64_t)(i + depth);
    if (depth > 0) {
        compact_body(id, depth - 1); /* frames of several sizes */
    } else {
        for (int r = 0; r < 3; r++) {
            cio__coro_switch(&compact_co[id], &main_coro);
            compact_rounds[id]++;
        }
    }
    for (int i = 0; i < 48; i++)
        if (self[i] != (uint64_t)id * 1000 + (uint64_t)(i + depth))
            compact_bad++;
}

static void compact_fn(void *arg) {
    int id = (int)(intptr_t)arg;
    compact_body(id, id % 3);
    cio__coro_exit(&compact_co[id], &main_coro);
}

static void test_compact_copies(void **state) {
    (void)state;
    setenv("CIO_COMPACT_STACKS", "1", 1); /* every entry copies */
    cio__stack_pool *pool = cio__stack_pool_new();
    assert_non_null(pool);
    cio__compact *cp = cio__compact_new(pool);
    unsetenv("CIO_COMPACT_STACKS");
    assert_non_null(cp);
    cio__coro_init_main(&main_coro);
    memset(compact_rounds, 0, sizeof compact_rounds);
    compact_bad = 0;
    for (int i = 0; i < NCOMPACT; i++) {
        memset(&compact_co[i], 0, sizeof compact_co[i]);
        cio__stack *s = cio__compact_enter(cp, &compact_co[i], 64 * 1024);
        assert_non_null(s);
        cio__coro_start(&compact_co[i], s, compact_fn, (void *)(intptr_t)i);
        cio__coro_switch(&main_coro, &compact_co[i]);
    }
    size_t bytes = 0, count = 0;
    cio__compact_stats(cp, &bytes, &count);
    assert_int_equal(count, NCOMPACT - 1); /* all but the occupant saved */
    assert_true(bytes > 0 && bytes < (size_t)NCOMPACT * 4096);
    /* 3 more entries each (the last one runs to the end), backwards then
     * forwards: each evicts another */
    for (int round = 0; round < 3; round++)
        for (int k = 0; k < NCOMPACT; k++) {
            int i = round % 2 ? k : NCOMPACT - 1 - k;
            assert_non_null(cio__compact_enter(cp, &compact_co[i], 0));
            cio__coro_switch(&main_coro, &compact_co[i]);
            if (round == 2) /* it ended: its frames are dead */
                cio__compact_drop(cp, &compact_co[i]);
        }
    for (int i = 0; i < NCOMPACT; i++) {
        assert_int_equal(compact_rounds[i], 3);
        cio__coro_destroy(&compact_co[i]);
    }
    assert_int_equal(compact_bad, 0);
    cio__compact_stats(cp, &bytes, &count);
    assert_int_equal(count, 0);
    assert_int_equal(bytes, 0);
    cio__compact_free(cp);
    cio__stack_pool_free(pool);
}

int main(void) {
    /* A small guard budget reaches the slab path quickly (and keeps the
     * mapping count within what valgrind can track). */
    setenv("CIO_GUARD_BUDGET", "200", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_switch_round_trip),
        cmocka_unit_test(test_registers_preserved),
        cmocka_unit_test(test_fp_control_per_coroutine),
#if defined(__x86_64__)
        cmocka_unit_test(test_mxcsr_per_coroutine),
#endif
        cmocka_unit_test(test_warm_reuse),
        cmocka_unit_test(test_many_stacks_beyond_warm),
        cmocka_unit_test_teardown(test_slab_canary, regions_back_on),
        cmocka_unit_test_teardown(test_fallback_budget, regions_back_on),
        cmocka_unit_test(test_guard_regions),
        cmocka_unit_test(test_os_readers),
        cmocka_unit_test(test_compact_copies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
