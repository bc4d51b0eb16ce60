/* Unit tests: the combinators in compact tasks (cio_task_options.compact).
 * Each keeps its state off the waiting task's stack, or refuses with
 * CIO_ECOMPACT: never a write into another compact task's frames. Each
 * combinator runs in a compact task while other compact tasks take the
 * shared stack in turn, checking their own frames. */
#include "../cio_test.h"

#include <cio/combine.h>

static const cio_task_options compact_opts = {.compact = true};

static cio_future *spawn(cio_task_fn fn, void *arg) {
    return cio_create_task_ex(NULL, fn, arg, &compact_opts);
}

#define WORDS 32
static void *churn(void *arg) {
    volatile uint64_t a[WORDS];
    for (int i = 0; i < WORDS; i++)
        a[i] = (uint64_t)PINT(arg) * 31u + (uint64_t)i;
    for (int r = 0; r < 20; r++) {
        cio_sleep(0.01);
        for (int i = 0; i < WORDS; i++)
            if (a[i] != (uint64_t)PINT(arg) * 31u + (uint64_t)i)
                return IPTR(-1);
    }
    return arg;
}

static void *value_after(void *arg) {
    cio_sleep(0.05);
    return arg;
}

enum which { GATHER, WAIT, WAIT_FOR, TIMEOUT, TASKGROUP, AS_COMPLETED };
static const char *const names[] = {"gather",  "wait",      "wait_for",
                                    "timeout", "taskgroup", "as_completed"};

static void *use(void *arg) {
    volatile uint64_t guard[WORDS];
    for (int i = 0; i < WORDS; i++)
        guard[i] = 0x5a5a5a5a00000000u + (uint64_t)i;
    int rc = 0;
    cio_future *f[2] = {cio_create_task(value_after, IPTR(1)),
                        spawn(value_after, IPTR(2))};
    switch ((enum which)PINT(arg)) {
    case GATHER: {
        void *res[2] = {0};
        rc = cio_gather(f, 2, res);
        if (rc == 0)
            CHECK(PINT(res[0]) == 1 && PINT(res[1]) == 2);
        break;
    }
    case WAIT: {
        long n = cio_wait(f, 2, CIO_ALL_COMPLETED, CIO_NO_TIMEOUT);
        rc = n < 0 ? (int)n : 0;
        break;
    }
    case WAIT_FOR: {
        void *r = NULL;
        rc = cio_wait_for(f[0], 1.0, &r);
        if (rc == 0)
            CHECK_INT(PINT(r), 1);
        break;
    }
    case TIMEOUT: {
        cio_timeout_scope *s = cio_timeout(0.02);
        if (!s) {
            rc = cio_last_error();
            break;
        }
        int e = cio_sleep(1);
        rc = cio_timeout_end(s, e);
        CHECK(rc == CIO_ETIMEDOUT || rc == CIO_ECOMPACT);
        if (rc == CIO_ETIMEDOUT)
            rc = 0;
        break;
    }
    case TASKGROUP: {
        cio_taskgroup *g = cio_taskgroup_new();
        if (!g) {
            rc = cio_last_error();
            break;
        }
        rc = cio_taskgroup_spawn(g, value_after, IPTR(3), NULL);
        int w = cio_taskgroup_wait(g, rc);
        cio_taskgroup_free(g);
        rc = rc ? rc : w;
        break;
    }
    case AS_COMPLETED: {
        cio_as_completed_iter *it = cio_as_completed(f, 2, CIO_NO_TIMEOUT);
        if (!it) {
            rc = cio_last_error();
            break;
        }
        cio_future *next = NULL;
        int got = 0;
        while ((rc = cio_as_completed_next(it, &next)) == 0 && next) {
            got++;
            cio_release(next);
            next = NULL;
        }
        if (rc == CIO_ESTOPPED || rc == 1)
            rc = 0;
        cio_as_completed_free(it);
        break;
    }
    }
    for (int i = 0; i < 2; i++) {
        cio_await(f[i], NULL);
        cio_release(f[i]);
    }
    for (int i = 0; i < WORDS; i++)
        CHECK(guard[i] == 0x5a5a5a5a00000000u + (uint64_t)i);
    return IPTR(rc);
}

static void *combine_main(void *arg) {
    cio_future *c[4];
    for (int i = 0; i < 4; i++)
        c[i] = spawn(churn, IPTR(i + 1));
    cio_future *u = spawn(use, arg);
    void *r = NULL;
    CHECK_INT(cio_await(u, &r), 0);
    print_message("  %s in a compact task: %d (%s)\n", names[PINT(arg)],
                  PINT(r), PINT(r) ? cio_strerror(PINT(r)) : "works");
    CHECK(PINT(r) == 0 || PINT(r) == CIO_ECOMPACT);
    for (int i = 0; i < 4; i++) {
        void *v = NULL;
        CHECK_INT(cio_await(c[i], &v), 0);
        CHECK_INT(PINT(v), i + 1);
    }
    cio_release_all(c, 4);
    cio_release(u);
    return NULL;
}

static void test_combinators(void **state) {
    (void)state;
    for (int w = GATHER; w <= AS_COMPLETED; w++)
        CHECK_INT(run_vt(combine_main, IPTR(w), NULL), 0);
    checks_assert();
}

/* Cancelled while it waits in each combinator: the combinator's records
 * (some of them in the waiting task's frames, reached while it is saved)
 * are given up and nothing leaks; the neighbours' frames stay intact. */
static void *slow(void *arg) {
    cio_sleep(10);
    return arg;
}

/* each waiter's children, outside its frame: a closed loop abandons the
 * frame, and the test releases them after */
static cio_future *kids[AS_COMPLETED + 1][2];

static void *wait_in(void *arg) {
    volatile uint64_t guard[WORDS];
    for (int i = 0; i < WORDS; i++)
        guard[i] = 0x7700000000000000u + (uint64_t)i;
    cio_future **f = kids[PINT(arg)];
    f[0] = spawn(slow, IPTR(1));
    f[1] = spawn(slow, IPTR(2));
    int rc = 0;
    switch ((enum which)PINT(arg)) {
    case GATHER: {
        void *res[2];
        rc = cio_gather(f, 2, res);
        break;
    }
    case WAIT: {
        long n = cio_wait(f, 2, CIO_ALL_COMPLETED, CIO_NO_TIMEOUT);
        rc = n < 0 ? (int)n : 0;
        break;
    }
    case WAIT_FOR:
        rc = cio_wait_for(f[0], 100, NULL);
        break;
    case TIMEOUT: {
        cio_timeout_scope *s = cio_timeout(100);
        rc = cio_timeout_end(s, cio_sleep(50));
        break;
    }
    case TASKGROUP: {
        cio_taskgroup *g = cio_taskgroup_new();
        rc = cio_taskgroup_spawn(g, slow, IPTR(3), NULL);
        rc = cio_taskgroup_wait(g, rc);
        cio_taskgroup_free(g);
        break;
    }
    case AS_COMPLETED: {
        cio_as_completed_iter *it = cio_as_completed(f, 2, CIO_NO_TIMEOUT);
        cio_future *next = NULL;
        rc = cio_as_completed_next(it, &next);
        if (next)
            cio_release(next);
        cio_as_completed_free(it);
        break;
    }
    }
    for (int i = 0; i < 2; i++) {
        cio_cancel(f[i], NULL);
        cio_await(f[i], NULL);
        cio_release(f[i]);
        f[i] = NULL;
    }
    for (int i = 0; i < WORDS; i++)
        CHECK(guard[i] == 0x7700000000000000u + (uint64_t)i);
    return IPTR(rc);
}

static void *cancel_main(void *arg) {
    cio_future *c[3];
    for (int i = 0; i < 3; i++)
        c[i] = spawn(churn, IPTR(i + 1));
    cio_future *u = spawn(wait_in, arg);
    CHECK_INT(cio_sleep(0.05), 0); /* it waits in the combinator */
    CHECK_INT(cio_cancel(u, NULL), 1);
    void *r = NULL;
    int rc = cio_await(u, &r);
    /* cancelled, or it caught the cancellation and returned its code */
    CHECK(rc == CIO_ECANCELED || (rc == 0 && PINT(r) == CIO_ECANCELED));
    for (int i = 0; i < 3; i++) {
        void *v = NULL;
        CHECK_INT(cio_await(c[i], &v), 0);
        CHECK_INT(PINT(v), i + 1);
    }
    cio_release_all(c, 3);
    cio_release(u);
    return NULL;
}

static void test_cancelled_in_combinators(void **state) {
    (void)state;
    for (int w = GATHER; w <= AS_COMPLETED; w++)
        CHECK_INT(run_vt(cancel_main, IPTR(w), NULL), 0);
    checks_assert();
}

/* The loop closes with compact tasks waiting in each combinator: their
 * clean-ups run with their frames back on the shared stack. */
static void test_closed_while_in_combinators(void **state) {
    (void)state;
    diag_capture();
    cio_loop *loop = cio_loop_new(vt_opts());
    cio_future *t[AS_COMPLETED + 1];
    for (int w = GATHER; w <= AS_COMPLETED; w++)
        t[w] = spawn(wait_in, IPTR(w));
    CHECK_INT(cio_loop_stop(loop), 0);
    CHECK_INT(cio_loop_run_forever(loop), 0);
    CHECK_INT(cio_loop_stop(loop), 0);
    CHECK_INT(cio_loop_run_forever(loop), 0); /* all of them wait now */
    CHECK_INT(cio_loop_close(loop), 0);
    CHECK(diag_count("was destroyed but it is pending") >= AS_COMPLETED + 1);
    cio_release_all(t, AS_COMPLETED + 1);
    for (int w = GATHER; w <= AS_COMPLETED; w++)
        cio_release_all(kids[w], 2);
    diag_restore();
    checks_assert();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_combinators),
        CIO_TEST(test_cancelled_in_combinators),
        CIO_TEST(test_closed_while_in_combinators),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
