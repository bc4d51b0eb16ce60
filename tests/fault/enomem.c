/* Fault: every allocation a public call makes may fail. Each scenario
 * below runs the public creators and suspending calls of one area, the
 * way a careful program does (every error checked, what was made given
 * back); it is run with its 1st, 2nd, ... nth allocation failing
 * (tests/common/failalloc.c), until a run makes fewer allocations than n,
 * so that every allocation site on the way has failed once. After each
 * failing run the same scenario must run cleanly on the same loop (the
 * failure left the loop usable), no task may be left over, and under
 * ASan/LeakSanitizer and valgrind nothing may leak.
 *
 * ctest-wrap: malloc calloc realloc strdup vasprintf mmap
 * ctest-timeout: 600
 */
#include "../cio_test.h"
#include "common/failalloc.h"

/* An error, or -1 for "the scenario went wrong" (a bug: checked below). */
#define TRY(expr)                                                              \
    do {                                                                       \
        rc = (expr);                                                           \
        if (rc < 0)                                                            \
            goto out;                                                          \
    } while (0)
#define MADE(p)                                                                \
    do {                                                                       \
        if (!(p)) {                                                            \
            rc = cio_last_error();                                             \
            goto out;                                                          \
        }                                                                      \
    } while (0)

static void *echo(void *arg) {
    CIO_TRY(cio_sleep(0.001));
    return arg;
}

static void *failing(void *arg) {
    (void)arg;
    return cio_raise(-EPIPE, "broken %s", "pipe");
}

static void callback(void *arg) {
    (*(int *)arg)++;
}

static void done_cb(cio_future *f, void *arg) {
    (void)f;
    (*(int *)arg)++;
}

/* ---- core: futures, tasks, callbacks, timers ---------------------------- */

static int core_scenario(void) {
    int rc = 0, calls = 0;
    cio_future *f = NULL, *t = NULL, *bad = NULL;
    cio_handle *h = NULL, *h2 = NULL;
    MADE(f = cio_future_new(NULL));
    TRY(cio_future_add_done_callback(f, done_cb, &calls));
    TRY(cio_future_add_done_callback(f, done_cb, NULL)); /* taken back: */
    TRY(cio_future_remove_done_callback(f, done_cb, NULL) == 1 ? 0 : -1);
    TRY(cio_future_set_error(f, -EIO, "disk %d failed", 2));
    MADE(t = cio_create_task_ex(NULL, echo, IPTR(5),
                                &(cio_task_options){.name = "echo"}));
    TRY(cio_task_set_name(t, "renamed"));
    TRY(cio_call_soon(NULL, callback, &calls, &h));
    TRY(cio_call_later(NULL, 0.002, callback, &calls, &h2));
    TRY(cio_call_at(NULL, cio_time() + 0.001, callback, &calls, NULL));
    void *r = NULL;
    TRY(cio_await(t, &r));
    TRY(cio_sleep(0.005));
    MADE(bad = cio_create_task(failing, NULL));
    rc = cio_await(bad, NULL);
    if (rc != -EPIPE && rc != CIO_ENOMEM)
        rc = -1;
    if (rc == -EPIPE)
        rc = 0;
    TRY(rc);
    cio_future *all[4];
    long n = cio_all_tasks(NULL, all, 4);
    TRY((int)n);
    cio_release_all(all, n < 4 ? (size_t)n : 4);
    TRY(cio_cancel(f, "too late") == 0 ? 0 : -1);
out:
    if (f && cio_future_done(f))
        cio_future_error(f); /* retrieved: no diagnostic */
    cio_handle_release(h);
    cio_handle_release(h2);
    if (t && !cio_future_done(t)) {
        cio_cancel(t, NULL);
        cio_await(t, NULL);
    }
    cio_release(t);
    cio_release(bad);
    cio_release(f);
    return rc;
}

/* ---- combine ------------------------------------------------------------ */

static int make_two(cio_future **t) {
    t[0] = t[1] = NULL;
    return cio_create_all(t, {echo, IPTR(1)}, {echo, IPTR(2)});
}

static int combine_scenario(void) {
    int rc = 0;
    cio_future *t[2] = {NULL, NULL}, *g = NULL, *s = NULL;
    cio_taskgroup *tg = NULL;
    bool waited = false;
    void *r[2];
    TRY(make_two(t));
    TRY(cio_gather(t, 2, r));
    cio_release_all(t, 2);
    TRY(make_two(t));
    MADE(g = cio_gather_future(t, 2, 0));
    TRY(cio_await(g, NULL));
    cio_release(g);
    g = NULL;
    cio_release_all(t, 2);
    TRY(make_two(t));
    TRY((int)cio_wait(t, 2, CIO_ALL_COMPLETED, 1.0));
    cio_release_all(t, 2);
    TRY(make_two(t));
    TRY((int)cio_wait(t, 2, CIO_FIRST_EXCEPTION, 1.0));
    TRY(cio_cancel_all(t, 2));
    cio_release_all(t, 2);
    TRY(make_two(t));
    cio_as_completed_iter *it = cio_as_completed(t, 2, 1.0);
    MADE(it);
    while ((rc = cio_as_completed_next(it, &g)) > 0)
        ;
    cio_as_completed_free(it);
    g = NULL;
    TRY(rc);
    cio_release_all(t, 2);
    TRY(make_two(t));
    cio_future *f;
    int err;
    cio_foreach_completed(f, t, 2, 1.0, err) {}
    TRY(err);
    cio_release_all(t, 2);
    TRY(make_two(t));
    TRY(cio_wait_for(t[0], 1.0, NULL));
    MADE(s = cio_shield(t[1]));
    TRY(cio_await(s, NULL));
    cio_timeout_scope *ts = cio_timeout(1.0);
    MADE(ts);
    TRY(cio_timeout_end(ts, cio_sleep(0.001)));
    MADE(ts = cio_timeout_at(CIO_NO_TIMEOUT));
    rc = cio_timeout_reschedule(ts, cio_time() + 1.0);
    TRY(cio_timeout_end(ts, rc ? rc : cio_sleep(0.001)));
    MADE(tg = cio_taskgroup_new());
    TRY(cio_taskgroup_spawn(tg, echo, NULL, NULL));
    TRY(cio_taskgroup_spawn_ex(tg, echo, NULL,
                               &(cio_task_options){.name = "grouped"}, NULL));
    rc = cio_taskgroup_wait(tg, 0);
    waited = true;
    if (rc == CIO_ETASKGROUP) { /* a task of the group failed: ENOMEM? */
        const cio_taskgroup_error *e;
        rc = cio_taskgroup_errors(tg, &e) == 1 && e[0].code == CIO_ENOMEM
                 ? CIO_ENOMEM
                 : -1;
    }
    TRY(rc);
    TRY(cio_gather_all(NULL, {echo, NULL}, {echo, NULL}));
    TRY(cio_gather_range(echo, 0, 20, NULL));
out:
    if (tg && !waited) /* leaving the block with an error: cancel, wait */
        cio_taskgroup_wait(tg, rc);
    cio_cancel_all(t, 2);
    cio_release_all(t, 2);
    cio_release(g);
    cio_release(s);
    cio_taskgroup_free(tg);
    return rc;
}

/* ---- the races of sugar.h: tasks made for the call ---------------------- */

static void *instant(void *arg) {
    return arg;
}

/* cio_first_completed and cio_foreach_range_result make tasks they leave
 * to the loop (or cancel when they fail): the tasks of `instant` end in
 * their first step, and a few yields let cancelled ones end too, so that
 * none is left over when the scenario returns. */
static int race_scenario(void) {
    int rc = 0;
    long ids[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    void *w = NULL;
    TRY(cio_first_completed(instant, ids, 3, &w));
    TRY(cio_first_completed(instant, ids, 10, &w)); /* n > 8: the heap */
    void *r;
    int pos;
    cio_foreach_range_result(r, instant, 0, 3, pos) {}
    TRY(pos);
out:
    for (int i = 0; i < 3; i++)
        (void)cio_sleep(0);
    return rc;
}

/* ---- sync --------------------------------------------------------------- */

static cio_queue *g_q;

static void *consumer(void *arg) {
    (void)arg;
    void *item;
    int rc;
    while ((rc = cio_queue_get(g_q, &item)) == 0)
        CIO_TRY(cio_queue_task_done(g_q));
    return cio_raise_if(rc == CIO_EQUEUESHUTDOWN ? 0 : rc);
}

static cio_condition *g_cond;
static cio_barrier *g_bar;
static bool g_flag;

static void *notifier(void *arg) {
    (void)arg;
    CIO_TRY(cio_condition_acquire(g_cond));
    g_flag = true;
    int rc = cio_condition_notify_all(g_cond);
    CIO_TRY(cio_condition_unlock(g_cond));
    CIO_TRY(rc);
    CIO_TRY(cio_barrier_wait(g_bar));
    return NULL;
}

static bool flag_set(void *arg) {
    (void)arg;
    return g_flag;
}

static int by_value(const void *a, const void *b, void *arg) {
    (void)arg;
    return (a > b) - (a < b);
}

static int sync_scenario(void) {
    int rc = 0;
    cio_lock *lk = NULL;
    cio_event *ev = NULL;
    cio_condition *c = NULL;
    cio_semaphore *sem = NULL;
    cio_barrier *b = NULL;
    cio_future *t = NULL;
    cio_lock slk;
    cio_condition sc;
    bool inited = false;
    g_q = NULL;
    TRY(cio_lock_init(&slk, NULL));
    rc = cio_condition_init(&sc, NULL, NULL);
    if (rc) {
        cio_lock_close(&slk);
        goto out;
    }
    inited = true;
    MADE(lk = cio_lock_new(NULL));
    MADE(ev = cio_event_new(NULL));
    MADE(c = cio_condition_new(NULL, lk));
    MADE(sem = cio_bounded_semaphore_new(NULL, 1));
    MADE(b = cio_barrier_new(NULL, 1));
    MADE(g_q = cio_queue_new(0));
    for (int kind = 0; kind < 2; kind++) { /* LIFO, priority: they grow */
        cio_queue *q = kind ? cio_priority_queue_new(0, by_value, NULL)
                            : cio_lifo_queue_new(0);
        MADE(q);
        for (int i = 0; i < 100 && rc >= 0; i++)
            rc = cio_queue_put_nowait(q, IPTR(100 - i));
        cio_queue_close(q);
        TRY(rc);
    }
    cio_barrier *b2 = cio_barrier_new(NULL, 2);
    MADE(b2);
    g_bar = b2;
    g_cond = c;
    g_flag = false;
    cio_future *n = cio_create_task(notifier, NULL);
    if (!n)
        cio_barrier_close(b2);
    MADE(n);
    rc = cio_condition_acquire(c);
    if (rc == 0) {
        rc = cio_condition_wait_for(c, flag_set, NULL);
        if (rc != CIO_ECLOSED)
            cio_condition_unlock(c);
    }
    if (rc == 0)
        rc = cio_barrier_wait(b2) < 0 ? -1 : 0;
    if (rc == 0)
        rc = cio_await(n, NULL);
    cio_cancel(n, NULL);
    cio_await(n, NULL);
    cio_release(n);
    cio_barrier_close(b2);
    TRY(rc);
    TRY(cio_lock_acquire(lk));
    TRY(cio_condition_notify(c, 1));
    TRY(cio_lock_unlock(lk));
    TRY(cio_event_set(ev));
    TRY(cio_event_wait(ev));
    TRY(cio_semaphore_acquire(sem));
    TRY(cio_semaphore_post(sem));
    TRY(cio_barrier_wait(b));
    MADE(t = cio_create_task(consumer, NULL));
    for (int i = 0; i < 200; i++) /* the store grows */
        TRY(cio_queue_put(g_q, IPTR(i + 1)));
    TRY(cio_queue_join(g_q));
    TRY(cio_queue_shutdown(g_q, false));
    TRY(cio_await(t, NULL));
out:
    if (g_q)
        cio_queue_shutdown(g_q, true);
    if (t && !cio_future_done(t)) {
        cio_cancel(t, NULL);
        cio_await(t, NULL);
    }
    cio_release(t);
    cio_close(g_q);
    cio_close(b);
    cio_close(sem);
    cio_close(c);
    cio_close(ev);
    cio_close(lk);
    if (inited) {
        cio_close(&sc);
        cio_close(&slk);
    }
    return rc;
}

/* ---- thread ------------------------------------------------------------- */

static void *work(void *arg) {
    return arg;
}

static void threadsafe_cb(void *arg) {
    (*(int *)arg)++;
}

static int thread_scenario(void) {
    int rc = 0, n = 0;
    cio_future *f = NULL, *g = NULL;
    cio_executor *ex = NULL;
    cio_tfuture *tf = NULL, *tf2 = NULL;
    cio_tcompleted *it = NULL;
    MADE(f = cio_run_in_executor(NULL, work, IPTR(3)));
    TRY(cio_await(f, NULL));
    MADE(g = cio_to_thread(work, IPTR(4)));
    TRY(cio_await(g, NULL));
    MADE(ex = cio_executor_new(1));
    MADE(tf = cio_executor_submit(ex, work, IPTR(5)));
    TRY(cio_tfuture_result(tf, 5.0, NULL));
    cio_future *w = cio_wrap_tfuture(tf);
    MADE(w);
    rc = cio_await(w, NULL);
    cio_release(w);
    TRY(rc);
    TRY(cio_executor_shutdown(ex, true, false));
    MADE(tf2 = cio_tfuture_new());
    TRY(cio_tfuture_set_result(tf2, IPTR(6)));
    TRY((int)cio_tfuture_wait(&tf2, 1, CIO_ALL_COMPLETED, 1.0));
    MADE(it = cio_tfuture_as_completed(&tf2, 1, 1.0));
    cio_tfuture *out;
    TRY(cio_tcompleted_next(it, &out));
    TRY(cio_call_soon_threadsafe(cio_get_running_loop(), threadsafe_cb, &n));
    TRY(cio_sleep(0.001));
out:
    cio_tcompleted_free(it);
    cio_tfuture_release(tf);
    cio_tfuture_release(tf2);
    cio_executor_free(ex);
    cio_release(f);
    cio_release(g);
    return rc;
}

/* ---- compact tasks ------------------------------------------------------ */

/* A local that must survive its frames being copied off the shared stack
 * and back while the task sleeps. */
static void *compact_sleeper(void *arg) {
    volatile long local = PINT(arg) * 7;
    CIO_TRY(cio_sleep(0.001));
    CIO_TRY(cio_sleep(0));
    return IPTR(local);
}

/* Frames over 8 KiB: each save takes a buffer of its own from malloc, so
 * that a failing allocation can meet a task that resumes, not only one
 * that starts. */
static void *compact_big(void *arg) {
    volatile char big[10000];
    big[0] = (char)PINT(arg);
    big[sizeof big - 1] = (char)PINT(arg);
    CIO_TRY(cio_sleep(0.001));
    CIO_TRY(cio_sleep(0));
    return IPTR(big[0] == big[sizeof big - 1] ? big[0] * 7 : -1);
}

/* More compact tasks than shared stacks (4 a size), so that they evict
 * each other's frames: a save buffer that cannot be had fails a task that
 * has not started with CIO_ENOMEM, and makes one that has wait for its
 * turn (compact_retry, sched.c), never run on another's frames. */
static int compact_scenario(void) {
    int rc = 0;
    enum { N = 6 };
    cio_future *t[N] = {NULL};
    cio_task_options o = {.compact = true};
    for (int i = 0; i < N; i++)
        MADE(t[i] = cio_create_task_ex(
                 NULL, i % 2 ? compact_big : compact_sleeper, IPTR(i + 1), &o));
    for (int i = 0; i < N; i++) {
        void *r = NULL;
        TRY(cio_await(t[i], &r));
        TRY(PINT(r) == (i + 1) * 7 ? 0 : -1);
    }
out:
    for (int i = 0; i < N; i++) {
        if (t[i] && !cio_future_done(t[i])) {
            cio_cancel(t[i], NULL);
            cio_await(t[i], NULL);
        }
        if (t[i] && cio_future_done(t[i]))
            cio_future_error(t[i]); /* retrieved: no diagnostic */
        cio_release(t[i]);
    }
    return rc;
}

/* ---- the harness -------------------------------------------------------- */

typedef int (*scenario_fn)(void);

static void *run_scenario(void *arg) {
    scenario_fn fn = (scenario_fn)(uintptr_t)arg;
    return IPTR(fn());
}

/* Run fn in a task of loop with the nth allocation failing (0: none);
 * returns its status, and in *calls how many allocations were counted. */
static int run_failing(cio_loop *loop, scenario_fn fn, long n, long *calls) {
    void *r = NULL;
    failalloc_arm(n);
    int rc = cio_loop_run_until_complete(loop, run_scenario,
                                         (void *)(uintptr_t)fn, &r);
    *calls = failalloc_disarm();
    return rc ? rc : (int)(intptr_t)r;
}

/* For n = 1, 2, ...: a new loop, the scenario with its nth allocation
 * failing (so that the cold paths of a new loop fail too: stack pools,
 * task memory), then the scenario again on the same loop, cleanly; until a
 * run makes fewer than n allocations. */
static void check_scenario(const char *name, scenario_fn fn) {
    long calls, clean, n, enomem = 0;
    for (n = 1;; n++) {
        cio_loop *loop = cio_loop_new(NULL);
        assert_non_null(loop);
        if (getenv("CIO_ENOMEM_TRACE"))
            print_message("%s: allocation %ld fails\n", name, n);
        int rc = run_failing(loop, fn, n, &calls);
        if (rc != 0 && rc != CIO_ENOMEM)
            fail_msg("%s: allocation %ld failed: %s (%d)", name, n,
                     cio_strerror(rc), rc);
        enomem += rc == CIO_ENOMEM;
        assert_int_equal(cio_all_tasks(loop, NULL, 0), 0);
        /* the loop is still usable */
        rc = run_failing(loop, fn, 0, &clean);
        if (rc != 0)
            fail_msg("%s: after allocation %ld failed, a clean run: %s", name,
                     n, cio_strerror(rc));
        assert_int_equal(cio_loop_close(loop), 0);
        if (calls < n)
            break;
    }
    print_message("%s: %ld allocations, each failed once: %ld runs "
                  "returned CIO_ENOMEM\n",
                  name, n - 1, enomem);
    assert_true(enomem > 0);
}

static void test_core(void **state) {
    (void)state;
    check_scenario("core", core_scenario);
}

static void test_combine(void **state) {
    (void)state;
    check_scenario("combine", combine_scenario);
    check_scenario("race", race_scenario);
}

static void test_sync(void **state) {
    (void)state;
    check_scenario("sync", sync_scenario);
}

static void test_thread(void **state) {
    (void)state;
    check_scenario("thread", thread_scenario);
}

static void test_compact(void **state) {
    (void)state;
    check_scenario("compact", compact_scenario);
}

/* Creating a loop, and cio_run around a scenario. */
static void *run_main(void *arg) {
    return run_scenario(arg);
}

static void test_loop_and_run(void **state) {
    (void)state;
    long n, enomem = 0;
    for (n = 1;; n++) {
        failalloc_arm(n);
        cio_loop *loop = cio_loop_new(NULL);
        long calls = failalloc_disarm();
        if (loop)
            assert_int_equal(cio_loop_close(loop), 0);
        else
            enomem += cio_last_error() == CIO_ENOMEM;
        if (calls < n)
            break;
    }
    assert_true(enomem > 0);
    for (n = 1;; n++) {
        failalloc_arm(n);
        int rc = cio_run(run_main, (void *)(uintptr_t)core_scenario, NULL);
        long calls = failalloc_disarm();
        assert_true(rc == 0 || rc == CIO_ENOMEM);
        if (calls < n)
            break;
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_loop_and_run), CIO_TEST(test_core),
        CIO_TEST(test_combine),      CIO_TEST(test_sync),
        CIO_TEST(test_thread),       CIO_TEST(test_compact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
