/* The fast path of eager tasks (sched.c's cio__task_eager_start): a task
 * started by a call on its new stack (the plain x86-64 build), finishing
 * during its start or suspending there, the stack it leaves kept for the
 * next eager start until the loop idles, its record reused; and task group
 * children on that path that succeed, fail or suspend, and are cancelled.
 * The loop's kept stack is read from the core's records. */
#include "../cio_test.h"
#include "core/internal.h" /* cio_loop: eager_stack */

static const cio_task_options eager = {.eager = true};

/* ---- records and stacks reused -------------------------------------- */

enum { BURST = 1000 };
static uintptr_t g_frame[BURST];  /* where each child's local lived */
static cio_future *g_self[BURST]; /* each child's task (not retained) */

static void *note_frame(void *arg) {
    long i = (long)(intptr_t)arg;
    volatile char local = 0;
    g_frame[i] = (uintptr_t)&local;
    g_self[i] = cio_current_task();
    return arg;
}

static void *burst_main(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    cio_taskgroup *g = cio_taskgroup_new();
    CHECK(g != NULL);
    for (long i = 0; i < BURST; i++)
        CHECK_INT(cio_taskgroup_spawn_ex(g, note_frame, (void *)(intptr_t)i,
                                         &eager, NULL),
                  0);
    CHECK_INT(cio_taskgroup_wait(g, 0), 0);
    cio_taskgroup_free(g);
    /* each child ran on the stack the one before left, at the same depth,
     * and, in the plain build, in the record the one before left */
    for (long i = 1; i < BURST; i++) {
        CHECK(g_frame[i] == g_frame[0]);
        if (!CIO_TEST_ASAN && !CIO_TEST_TSAN)
            CHECK_PTR(g_self[i], g_self[0]);
    }
    /* the stack is kept out of the pool while the loop is busy... */
#if defined(CIO__CORO_CALL)
    CHECK(loop->eager_stack != NULL);
#endif
    /* ...and goes back to it when the loop idles (nothing is ready: the
     * poll that would block, where the virtual clock jumps instead) */
    CHECK_INT(cio_sleep(1), 0);
    CHECK(loop->eager_stack == NULL);
    return NULL;
}

static void test_records_and_stacks_reused(void **state) {
    (void)state;
    CHECK_INT(run_vt(burst_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- a kept stack is only for a task of its size --------------------- */

/* Uses most of a 1 MiB stack: on a kept 256 KiB stack it would fault. */
static void *deep(void *arg) {
    volatile char big[768 * 1024];
    memset((char *)big, 1, sizeof big);
    return (void *)(intptr_t)(big[0] + big[sizeof big - 1] + (arg != NULL));
}

static void *sizes_main(void *arg) {
    (void)arg;
    cio_future *t = cio_create_task_ex(NULL, note_frame, NULL, &eager);
    CHECK(t != NULL && cio_future_done(t));
    cio_release(t);
    const cio_task_options big = {.eager = true, .stack_size = 1 << 20};
    t = cio_create_task_ex(NULL, deep, NULL, &big);
    CHECK(t != NULL && cio_future_done(t));
    CHECK_PTR(cio_future_result(t), (void *)2);
    cio_release(t);
    /* and back to the default size, then a small one */
    const cio_task_options small = {.eager = true, .stack_size = 64 * 1024};
    for (int i = 0; i < 3; i++) {
        t = cio_create_task_ex(NULL, note_frame, (void *)1,
                               i == 1 ? &small : &eager);
        CHECK(t != NULL && cio_future_done(t));
        CHECK_PTR(cio_future_result(t), (void *)1);
        cio_release(t);
    }
    return NULL;
}

static void test_kept_stack_matches_size(void **state) {
    (void)state;
    CHECK_INT(cio_run(sizes_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- group children: at once, failing, suspending, cancelled ---------- */

static int g_done_at_once, g_resumed, g_cancelled;

static void *at_once(void *arg) {
    g_done_at_once++;
    return arg;
}

static void *fails_at_once(void *arg) {
    (void)arg;
    return cio_raise(-EDOM, "failed during its eager start");
}

/* Suspends during its eager start: waits for ever unless cancelled. */
static void *suspends(void *arg) {
    cio_future *never = arg;
    int rc = cio_await(never, NULL);
    if (rc == CIO_ECANCELED)
        g_cancelled++;
    else
        g_resumed++;
    return NULL;
}

/* Suspends once, then ends (on the scheduler's side of the fast path). */
static void *yields_once(void *arg) {
    CHECK(cio_sleep(0) == 0);
    g_resumed++;
    return arg;
}

static void *mixed_main(void *arg) {
    (void)arg;
    long n = 2000 / ct_slow();
    cio_taskgroup *g = cio_taskgroup_new();
    for (long i = 0; i < n; i++) {
        cio_task_fn fn = i % 2 ? at_once : yields_once;
        CHECK_INT(cio_taskgroup_spawn_ex(g, fn, NULL, &eager, NULL), 0);
    }
    CHECK_INT(g_done_at_once, (int)(n / 2)); /* ran inside the spawn */
    CHECK_INT(g_resumed, 0);                 /* not yet */
    CHECK_INT(cio_taskgroup_wait(g, 0), 0);
    CHECK_INT(g_resumed, (int)(n - n / 2));
    CHECK_INT((int)cio_taskgroup_errors(g, NULL), 0);
    cio_taskgroup_free(g);

    /* one that fails at once aborts the group: the suspended ones are
     * cancelled, the ones done at once were let go */
    g = cio_taskgroup_new();
    cio_future *never = cio_future_new(NULL);
    g_cancelled = 0;
    for (int i = 0; i < 100; i++) {
        CHECK_INT(cio_taskgroup_spawn_ex(g, suspends, never, &eager, NULL), 0);
        CHECK_INT(cio_taskgroup_spawn_ex(g, at_once, NULL, &eager, NULL), 0);
    }
    cio_future *bad = NULL;
    CHECK_INT(cio_taskgroup_spawn_ex(g, fails_at_once, NULL, &eager, &bad), 0);
    CHECK(bad != NULL && cio_future_done(bad));
    int err = cio_sleep(1);
    CHECK_INT(err, CIO_ECANCELED);
    CHECK_INT(cio_taskgroup_wait(g, err), CIO_ETASKGROUP);
    CHECK_INT(g_cancelled, 100);
    const cio_taskgroup_error *e;
    CHECK_INT((int)cio_taskgroup_errors(g, &e), 1);
    CHECK_INT(e[0].code, -EDOM);
    CHECK_PTR(e[0].task, bad);
    cio_taskgroup_free(g);
    cio_release(bad);
    cio_release(never);
    return NULL;
}

static void test_group_children_on_the_fast_path(void **state) {
    (void)state;
    g_done_at_once = g_resumed = g_cancelled = 0;
    CHECK_INT(cio_run(mixed_main, NULL, NULL), 0);
    checks_assert();
}

/* The group's parent cancelled from outside while eager children that
 * suspended in their start wait, and more are started at once meanwhile:
 * the waiting ones are cancelled, the wait reports the cancellation. */
static void *cancelled_parent(void *arg) {
    cio_future *never = arg;
    cio_taskgroup *g = cio_taskgroup_new();
    for (int i = 0; i < 50; i++) {
        CHECK_INT(cio_taskgroup_spawn_ex(g, suspends, never, &eager, NULL), 0);
        CHECK_INT(cio_taskgroup_spawn_ex(g, at_once, NULL, &eager, NULL), 0);
    }
    int rc = cio_taskgroup_wait(g, 0);
    cio_taskgroup_free(g);
    return (void *)(intptr_t)rc;
}

static void *cancel_main(void *arg) {
    (void)arg;
    cio_future *never = cio_future_new(NULL);
    g_cancelled = g_resumed = 0;
    cio_future *p = cio_create_task(cancelled_parent, never);
    CHECK_INT(cio_sleep(0), 0); /* p spawned its children and waits */
    CHECK_INT(cio_cancel(p, "stop"), 1);
    CHECK_INT(cio_await(p, NULL), CIO_ECANCELED);
    CHECK(cio_future_cancelled(p));
    CHECK_INT(g_cancelled, 50);
    CHECK_INT(g_resumed, 0);
    cio_release(p);
    cio_release(never);
    return NULL;
}

static void test_group_cancelled_while_children_wait(void **state) {
    (void)state;
    CHECK_INT(cio_run(cancel_main, NULL, NULL), 0);
    checks_assert();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_records_and_stacks_reused),
        CIO_TEST(test_kept_stack_matches_size),
        CIO_TEST(test_group_children_on_the_fast_path),
        CIO_TEST(test_group_cancelled_while_children_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
