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

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_combinators),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
