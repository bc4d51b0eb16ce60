/* The task group lets go of a task as soon as it is done and succeeded
 * (asyncio's TaskGroup discards it from its set), at once if it finished
 * during its eager start, and keeps a failed one for its list of errors.
 * The reference counts are read from the core's records. */
#include "../cio_test.h"
#include "core/internal.h" /* struct cio_future: refs */

static void *store_double(void *arg) {
    long *slot = arg;
    *slot = 2 * slot[1];
    return NULL;
}

static void *fail_now(void *arg) {
    (void)arg;
    return cio_raise(-EDOM, "child failed");
}

static void *yield_then_return(void *arg) {
    cio_sleep(0);
    return arg;
}

/* An eager child that returns at once: the group holds nothing of it. */
static void *eager_dropped(void *arg) {
    (void)arg;
    cio_taskgroup *g = cio_taskgroup_new();
    CHECK(g != NULL);
    const cio_task_options eager = {.eager = true};
    enum { N = 1000 };
    static long slots[N][2];
    for (long i = 0; i < N; i++) {
        slots[i][1] = i;
        cio_future *t = NULL;
        CHECK_INT(cio_taskgroup_spawn_ex(g, store_double, slots[i], &eager, &t),
                  0);
        CHECK(cio_future_done(t));
        CHECK_INT((int)t->refs, 1); /* ours alone */
        cio_release(t);
    }
    CHECK_INT(cio_taskgroup_wait(g, 0), 0);
    CHECK_INT((int)cio_taskgroup_errors(g, NULL), 0);
    cio_taskgroup_free(g);
    for (long i = 0; i < N; i++)
        CHECK_INT((int)slots[i][0], (int)(2 * i));
    return NULL;
}

static void test_eager_child_dropped(void **state) {
    (void)state;
    CHECK_INT(cio_run(eager_dropped, NULL, NULL), 0);
    checks_assert();
}

/* A lazy child is held while it runs and let go once done. */
static void *lazy_dropped(void *arg) {
    (void)arg;
    cio_taskgroup *g = cio_taskgroup_new();
    cio_future *t = NULL;
    CHECK_INT(cio_taskgroup_spawn(g, yield_then_return, (void *)7, &t), 0);
    CHECK_INT((int)t->refs, 3); /* ours, the group's, the loop's */
    CHECK_INT(cio_taskgroup_wait(g, 0), 0);
    CHECK(cio_future_done(t));
    CHECK_INT((int)t->refs, 1);
    CHECK_PTR(cio_future_result(t), (void *)7);
    cio_taskgroup_free(g);
    cio_release(t);
    return NULL;
}

static void test_lazy_child_dropped_when_done(void **state) {
    (void)state;
    CHECK_INT(cio_run(lazy_dropped, NULL, NULL), 0);
    checks_assert();
}

/* Slots are reused: many children, few pending at once, all accounted. */
static void *many_lazy(void *arg) {
    (void)arg;
    cio_taskgroup *g = cio_taskgroup_new();
    long n = 20000 / ct_slow();
    for (long i = 0; i < n; i++) {
        CHECK_INT(cio_taskgroup_spawn(g, yield_then_return, NULL, NULL), 0);
        if (i % 100 == 99)
            cio_sleep(0);
    }
    CHECK_INT(cio_taskgroup_wait(g, 0), 0);
    cio_taskgroup_free(g);
    return NULL;
}

static void test_many_children_slots_reused(void **state) {
    (void)state;
    CHECK_INT(cio_run(many_lazy, NULL, NULL), 0);
    checks_assert();
}

/* An eager child that fails at once is kept and reported, the group
 * aborts at once (asyncio calls _on_task_done from create_task), the
 * parent's await sees the cancellation, and no spawn is accepted after. */
static void *eager_failure(void *arg) {
    (void)arg;
    cio_taskgroup *g = cio_taskgroup_new();
    const cio_task_options eager = {.eager = true};
    cio_future *slow = NULL, *bad = NULL;
    CHECK_INT(cio_taskgroup_spawn(g, yield_then_return, NULL, &slow), 0);
    CHECK_INT(cio_taskgroup_spawn_ex(g, fail_now, NULL, &eager, &bad), 0);
    CHECK(cio_future_done(bad));
    CHECK_INT((int)bad->refs, 2); /* ours and the group's, for its errors */
    CHECK_INT(cio_taskgroup_spawn(g, yield_then_return, NULL, NULL),
              CIO_EINVALIDSTATE);
    int err = cio_sleep(1);
    CHECK_INT(err, CIO_ECANCELED);
    CHECK_INT(cio_taskgroup_wait(g, err), CIO_ETASKGROUP);
    CHECK(cio_future_cancelled(slow));
    const cio_taskgroup_error *e;
    CHECK_INT((int)cio_taskgroup_errors(g, &e), 1);
    CHECK_INT(e[0].code, -EDOM);
    CHECK_PTR(e[0].task, bad);
    CHECK_STR(e[0].message, "child failed");
    cio_taskgroup_free(g);
    CHECK_INT((int)bad->refs, 1);
    cio_release(bad);
    cio_release(slow);
    return NULL;
}

static void test_eager_failure_kept_and_reported(void **state) {
    (void)state;
    CHECK_INT(cio_run(eager_failure, NULL, NULL), 0);
    checks_assert();
}

/* A group freed while a finished child's node waits in the ready queue:
 * the node lets the child go when it runs (nothing leaks, nothing is
 * touched after the free). */
static void *free_with_node_queued(void *arg) {
    (void)arg;
    cio_taskgroup *g = cio_taskgroup_new();
    cio_future *t = NULL;
    CHECK_INT(cio_taskgroup_spawn(g, yield_then_return, NULL, &t), 0);
    while (!cio_future_done(t))
        cio_sleep(0);
    CHECK_INT((int)t->refs, 2); /* ours and the group's: its node is due */
    cio_taskgroup_free(g);      /* never waited for */
    cio_sleep(0);
    CHECK_INT((int)t->refs, 1);
    cio_release(t);
    return NULL;
}

static void test_free_with_node_queued(void **state) {
    (void)state;
    CHECK_INT(cio_run(free_with_node_queued, NULL, NULL), 0);
    checks_assert();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_eager_child_dropped),
        CIO_TEST(test_lazy_child_dropped_when_done),
        CIO_TEST(test_many_children_slots_reused),
        CIO_TEST(test_eager_failure_kept_and_reported),
        CIO_TEST(test_free_with_node_queued),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
