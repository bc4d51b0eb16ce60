/* Unit tests: what the combinators promise beyond asyncio's conformance
 * cases: the order of wait's done part, abandoning an as_completed
 * iteration in every way, a gather future cancelled before it runs, big
 * sets, the examples of DESIGN.md, and a loop closed while a task waits in
 * a combinator. */
#include "../cio_test.h"
#include "../combine_util.h"

/* wait's done part comes in the order the futures finished, the pending
 * part in input order. */
static void *wait_order(void *arg) {
    (void)arg;
    job j[5] = {{.id = 1, .delay = 3},
                {.id = 2, .delay = 1},
                {.id = 3, .delay = 9},
                {.id = 4, .delay = 2},
                {.id = 5, .delay = 8}};
    cio_future *t[5], *f[5];
    for (int i = 0; i < 5; i++)
        f[i] = t[i] = spawn(&j[i]);
    CHECK_INT(cio_wait(f, 5, CIO_ALL_COMPLETED, 5), 3);
    CHECK_PTR(f[0], t[1]);
    CHECK_PTR(f[1], t[3]);
    CHECK_PTR(f[2], t[0]);
    CHECK_PTR(f[3], t[2]); /* pending, input order */
    CHECK_PTR(f[4], t[4]);
    CHECK_INT(cio_cancel_all(f + 3, 2), 0);
    cio_release_all(t, 5);
    return NULL;
}

static void test_wait_done_in_completion_order(void **state) {
    (void)state;
    RUN(wait_order, NULL);
}

/* Abandoning an as_completed iteration: break out of the loop form, return
 * from inside it, free the iterator with futures pending, or right after a
 * future finished (its callback still scheduled). The futures go on, no
 * callback of the iterator runs on freed memory (valgrind, ASan), nothing
 * leaks. */
static int iterate_and_return(cio_future **t) {
    cio_future *f;
    int err;
    cio_foreach_completed(f, t, 3, CIO_NO_TIMEOUT, err) {
        return PINT(cio_future_result(f)); /* the iterator is freed */
    }
    return err;
}

static void *abandon(void *arg) {
    (void)arg;
    job j[3] = {{.id = 1, .delay = 1, .value = 1},
                {.id = 2, .delay = 2, .value = 2},
                {.id = 3, .delay = 3, .value = 3}};
    cio_future *t[3];
    for (int i = 0; i < 3; i++)
        t[i] = spawn(&j[i]);
    cio_future *f;
    int err, n = 0;
    cio_foreach_completed(f, t, 3, CIO_NO_TIMEOUT, err) {
        n++;
        break;
    }
    CHECK_INT(n, 1);
    CHECK_INT(err, 1);
    CHECK_INT(iterate_and_return(t), 1); /* t[0] is done: at once */

    cio_as_completed_iter *it = cio_as_completed(t, 3, 10);
    cio_as_completed_free(it); /* t[0]'s callback is scheduled: freed later */
    it = cio_as_completed(t, 3, 10);
    CHECK_INT(cio_as_completed_next(it, &f), 1);
    CHECK_INT(cio_sleep(1.5), 0); /* t[1] finishes while nobody asks */
    cio_as_completed_free(it);
    CHECK_INT(cio_gather(t, 3, NULL), 0); /* they all went on */
    cio_release_all(t, 3);
    return NULL;
}

static void test_as_completed_abandoned(void **state) {
    (void)state;
    RUN(abandon, NULL);
}

/* A task cancelled inside next() gets CIO_ECANCELED; the futures are not
 * cancelled and the iterator can go on. */
static cio_as_completed_iter *g_it;
static int g_rc[3];
static void *consumer(void *arg) {
    (void)arg;
    cio_future *f;
    g_rc[0] = cio_as_completed_next(g_it, &f);
    cio_task_uncancel(cio_current_task());
    g_rc[1] = cio_as_completed_next(g_it, &f);
    g_rc[2] = PINT(cio_future_result(f));
    return NULL;
}

static void *next_cancelled(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 2, .value = 7};
    cio_future *t = spawn(&a);
    g_it = cio_as_completed(&t, 1, CIO_NO_TIMEOUT);
    cio_future *c = cio_create_task(consumer, NULL);
    CHECK_INT(cio_sleep(1), 0);
    cio_cancel(c, NULL);
    CHECK_INT(cio_await(c, NULL), 0);
    CHECK_INT(g_rc[0], CIO_ECANCELED);
    CHECK_INT(g_rc[1], 1);
    CHECK_INT(g_rc[2], 7);
    CHECK(!cio_future_cancelled(t));
    cio_as_completed_free(g_it);
    cio_release_all((cio_future *[]){t, c}, 2);
    return NULL;
}

static void test_as_completed_next_cancelled(void **state) {
    (void)state;
    RUN(next_cancelled, NULL);
}

/* A gather future cancelled before its task ever ran still cancels the
 * children (asyncio's gathering future cancels them in cancel()). */
static void *gather_future_cancelled_early(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 5}, b = {.id = 2, .delay = 5};
    cio_future *t[] = {spawn(&a), spawn(&b)};
    cio_future *g = cio_gather_future(t, 2, 0);
    CHECK_INT(cio_cancel(g, "stop"), 1);
    CHECK_INT(cio_await(g, NULL), CIO_ECANCELED);
    CHECK_INT(cio_gather_ex(t, 2, NULL, CIO_RETURN_ERRORS), 0);
    CHECK(cio_future_cancelled(t[0]) && cio_future_cancelled(t[1]));
    CHECK_STR(cio_future_error_message(t[0]), "stop");
    cio_release(g);
    cio_release_all(t, 2);
    return NULL;
}

static void test_gather_future_cancelled_before_start(void **state) {
    (void)state;
    RUN(gather_future_cancelled_early, NULL);
}

/* ... and it finishes only once the children have (asyncio's gathering
 * future stays pending until they are done): here the child takes a second
 * to clean up after the cancellation. */
static void *gather_future_cancelled_early_waits(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 10, .cleanup = 1};
    cio_future *c = spawn(&a);
    CHECK_INT(cio_sleep(0), 0); /* the child sleeps */
    cio_future *g = cio_gather_future(&c, 1, 0);
    double t0 = now();
    CHECK_INT(cio_cancel(g, NULL), 1); /* before its task started */
    CHECK_INT(cio_await(g, NULL), CIO_ECANCELED);
    CHECK(cio_future_cancelled(g));
    CHECK(cio_future_cancelled(c) && a.ended);
    CHECK(now() - t0 > 1 - T_EPS);
    cio_release_all((cio_future *[]){g, c}, 2);
    return NULL;
}

static void test_gather_future_cancelled_before_start_waits(void **state) {
    (void)state;
    RUN(gather_future_cancelled_early_waits, NULL);
}

/* The gather future keeps its futures alive: the caller may release them
 * at once. */
static void *gather_future_owns(void *arg) {
    (void)arg;
    cio_future *p = cio_future_new(NULL);
    cio_future *g = cio_gather_future(&p, 1, 0);
    cio_future_set_result(p, IPTR(4));
    cio_release(p);
    CHECK_INT(cio_await(g, NULL), 0);
    cio_release(g);
    return NULL;
}

static void test_gather_future_holds_references(void **state) {
    (void)state;
    RUN(gather_future_owns, NULL);
}

/* Big sets: a thousand futures through gather, wait, as_completed (with
 * duplicates) and a task group (its arrays grow). */
#define BIG 1000
static void *big_sets(void *arg) {
    (void)arg;
    static job j[BIG];
    static cio_future *t[2 * BIG];
    static void *r[BIG];
    for (int i = 0; i < BIG; i++) {
        j[i] = (job){
            .id = i, .delay = (double)((i * 7919) % BIG) / BIG, .value = i};
        t[i] = t[BIG + i] = spawn(&j[i]);
    }
    CHECK_INT(cio_wait(t, BIG, CIO_FIRST_COMPLETED, CIO_NO_TIMEOUT), 1);
    cio_future *f;
    int err, n = 0;
    double last = 0;
    cio_foreach_completed(f, t, 2 * BIG, CIO_NO_TIMEOUT, err) {
        double at = j[PINT(cio_future_result(f))].ended_at;
        CHECK(at >= last);
        last = at;
        n++;
    }
    CHECK_INT(err, 0);
    CHECK_INT(n, BIG);
    for (int i = 0; i < BIG; i++)
        t[i] = t[BIG + i];
    CHECK_INT(cio_gather(t, BIG, r), 0);
    for (int i = 0; i < BIG; i++)
        CHECK_INT(PINT(r[i]), i);
    cio_release_all(t, BIG);

    cio_taskgroup *g = cio_taskgroup_new();
    for (int i = 0; i < BIG; i++) {
        j[i] = (job){.id = i, .delay = 0.5, .code = i == 500 ? -EIO : 0};
        CHECK_INT(cio_taskgroup_spawn(g, job_run, &j[i], NULL), 0);
    }
    CHECK_INT(cio_taskgroup_wait(g, 0), CIO_ETASKGROUP);
    CHECK_INT(cio_taskgroup_errors(g, NULL), 1);
    cio_taskgroup_free(g);
    return NULL;
}

static void test_big_sets(void **state) {
    (void)state;
    RUN(big_sets, NULL);
}

/* DESIGN.md: the notebook's first cell with cio_gather, and the race of two
 * services with the losers cancelled. */
static void *foo(void *arg) {
    (void)arg;
    slog("Running in foo");
    cio_sleep(0);
    slog("Explicit context switch to foo again");
    return NULL;
}

static void *bar(void *arg) {
    (void)arg;
    slog("Explicit context to bar");
    cio_sleep(0);
    slog("Implicit context switch back to bar");
    return NULL;
}

static void *design_examples(void *arg) {
    (void)arg;
    cio_future *tasks[] = {cio_create_task(foo, NULL),
                           cio_create_task(bar, NULL)};
    int err = cio_gather(tasks, 2, NULL);
    CHECK_INT(err, 0);
    cio_release_all(tasks, 2);

    job s1 = {.id = 1, .delay = 0.2, .value = 'a'};
    job s2 = {.id = 2, .delay = 0.1, .value = 'b'};
    cio_future *f[2] = {spawn(&s1), spawn(&s2)};
    long ndone = cio_wait(f, 2, CIO_FIRST_COMPLETED, CIO_NO_TIMEOUT);
    CHECK_INT(ndone, 1);
    CHECK_INT(PINT(cio_future_result(f[0])), 'b');
    CHECK_INT(cio_cancel_all(f + ndone, 2 - (size_t)ndone), 0);
    cio_release_all(f, 2);
    return NULL;
}

static void test_design_examples(void **state) {
    (void)state;
    RUN(design_examples, NULL);
    const char *want[] = {"Running in foo", "Explicit context to bar",
                          "Explicit context switch to foo again",
                          "Implicit context switch back to bar"};
    assert_int_equal(slog_n, 4);
    for (int i = 0; i < 4; i++)
        assert_string_equal(slog_buf[i], want[i]);
}

/* A loop closed while a task is suspended in a combinator abandons the
 * task (core.h) and still frees everything the combinator holds: its
 * state, timers, waiters, references (and through them the loop object).
 * What is checked here is that nothing is left: by LeakSanitizer and
 * valgrind, which the suite runs under. The futures the victim holds
 * itself are kept in globals and released after the close. */
enum {
    M_GATHER,
    M_CANCEL_ALL,
    M_WAIT,
    M_WAIT_FOR,
    M_WAIT_FOR_NOW,
    M_TIMEOUT,
    M_AS_COMPLETED,
    M_NEXT_NOT_OWNER,
    M_GATHER_FUTURE,
    M_TASKGROUP_WAIT,
    M_TASKGROUP_BODY,
    M_SHIELD,
    M_COUNT
};
static cio_future *g_never; /* a plain future that never finishes */
static cio_future *g_held;  /* the victim's own reference */
static cio_as_completed_iter *g_outside; /* made outside any task */

/* A task that takes back every cancellation: it never finishes. */
static void *resist(void *arg) {
    (void)arg;
    while (cio_sleep(1000) == CIO_ECANCELED)
        cio_task_uncancel(cio_current_task());
    return NULL;
}

static void victim_group(bool wait) {
    cio_taskgroup *tg = cio_taskgroup_new();
    CHECK_INT(cio_taskgroup_spawn(tg, resist, NULL, NULL), 0);
    if (wait)
        cio_taskgroup_wait(tg, 0);
    else
        cio_await(g_never, NULL); /* the body */
    CHECK(false);                 /* never resumed */
}

static void *victim(void *arg) {
    cio_future *c = cio_create_task(resist, NULL);
    cio_future *fs[] = {c, g_never}, *f;
    cio_release(c);             /* the loop's reference keeps it */
    CHECK_INT(cio_sleep(0), 0); /* c starts (it would never, cancelled) */
    switch (*(int *)arg) {
    case M_GATHER:
        cio_gather(fs, 2, NULL);
        break;
    case M_CANCEL_ALL:
        cio_cancel_all(fs, 2);
        break;
    case M_WAIT:
        cio_wait(fs, 2, CIO_ALL_COMPLETED, 100);
        break;
    case M_WAIT_FOR:
        cio_wait_for(c, 100, NULL);
        break;
    case M_WAIT_FOR_NOW: /* cancels c and waits for it */
        cio_wait_for(c, 0, NULL);
        break;
    case M_TIMEOUT:
        cio_timeout(100);
        cio_await(c, NULL);
        break;
    case M_AS_COMPLETED:
        cio_as_completed_next(cio_as_completed(fs, 2, 100), &f);
        break;
    case M_NEXT_NOT_OWNER:
        cio_as_completed_next(g_outside, &f);
        break;
    case M_GATHER_FUTURE:
        g_held = cio_gather_future(fs, 2, 0);
        cio_await(g_held, NULL);
        break;
    case M_TASKGROUP_WAIT:
    case M_TASKGROUP_BODY:
        victim_group(*(int *)arg == M_TASKGROUP_WAIT);
        break;
    case M_SHIELD:
        g_held = cio_shield(c);
        cio_await(g_held, NULL);
        break;
    }
    CHECK(false); /* never resumed */
    return NULL;
}

static void *close_main(void *arg) {
    cio_release(cio_create_task(victim, arg));
    for (int i = 0; i < 5; i++)
        CHECK_INT(cio_sleep(0), 0);
    return NULL;
}

static void test_loop_closed_while_suspended(void **state) {
    (void)state;
    for (int m = 0; m < M_COUNT; m++) {
        cio_loop *loop = cio_loop_new(vt_opts());
        g_never = cio_future_new(loop);
        g_held = NULL;
        g_outside =
            m == M_NEXT_NOT_OWNER ? cio_as_completed(&g_never, 1, 100) : NULL;
        diag_capture();
        assert_int_equal(
            cio_loop_run_until_complete(loop, close_main, &m, NULL), 0);
        assert_int_equal(cio_loop_close(loop), 0);
        diag_restore();
        checks_assert();
        assert_true(diag_count("destroyed but it is pending") >= 2);
        /* not its maker's: left for the maker to free, after the close */
        assert_int_equal(cio_as_completed_free(g_outside), 0);
        cio_release(g_held);
        cio_release(g_never);
    }
}

/* The suspending calls record where the task waits, for cio_dump_tasks. */
static cio_future *g_p;
static int g_line;
static void *dumped(void *arg) {
    (void)arg;
    g_line = __LINE__ + 1;
    CHECK_INT(cio_gather(&g_p, 1, NULL), 0);
    return NULL;
}

static void dump_cb(void *arg) {
    (void)arg;
    char *buf = NULL, site[64];
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    cio_dump_tasks(NULL, out);
    fclose(out);
    snprintf(site, sizeof site, "combine_misc.c:%d", g_line);
    slog(strstr(buf, site) ? "site" : "no site");
    if (!strstr(buf, site))
        print_message("%s", buf);
    free(buf);
    cio_future_set_result(g_p, NULL);
}

static void *dump_main(void *arg) {
    (void)arg;
    g_p = cio_future_new(NULL);
    cio_future *t = cio_create_task(dumped, NULL);
    CHECK_INT(cio_sleep(0.1), 0);
    CHECK_INT(cio_call_soon(NULL, dump_cb, NULL, NULL), 0);
    CHECK_INT(cio_await(t, NULL), 0);
    cio_release(g_p);
    cio_release(t);
    return NULL;
}

static void test_suspension_site_recorded(void **state) {
    (void)state;
    RUN(dump_main, NULL);
    assert_int_equal(slog_n, 1);
    assert_string_equal(slog_buf[0], "site");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_wait_done_in_completion_order),
        CIO_TEST(test_as_completed_abandoned),
        CIO_TEST(test_as_completed_next_cancelled),
        CIO_TEST(test_gather_future_cancelled_before_start),
        CIO_TEST(test_gather_future_cancelled_before_start_waits),
        CIO_TEST(test_gather_future_holds_references),
        CIO_TEST(test_big_sets),
        CIO_TEST(test_design_examples),
        CIO_TEST(test_loop_closed_while_suspended),
        CIO_TEST(test_suspension_site_recorded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
