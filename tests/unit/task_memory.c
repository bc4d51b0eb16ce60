/* Task memory: the loop finds its live tasks in its task memory (the
 * plain build) or in a list (the sanitizer builds); either way
 * cio_all_tasks, cio_dump_tasks, cio_run's final cancellation and the
 * loop's close see every task not done, in creation order, also when new
 * tasks reuse the blocks of freed ones. */
#include "../cio_test.h"
#include "core/internal.h" /* cio__site_of, cio__site_get */

static void *quick(void *arg) {
    return arg;
}

static void *sleeper(void *arg) {
    int *cancelled = arg;
    if (cio_sleep(3600) == CIO_ECANCELED && cancelled)
        ++*cancelled;
    return NULL;
}

/* Tasks created after others were freed (their blocks reused) are listed
 * after the older ones still pending. */
static void *order_with_reuse(void *arg) {
    (void)arg;
    enum { N = 300 };
    static cio_future *done[N], *kept[N], *late[N];
    for (int i = 0; i < N; i++) {
        done[i] = cio_create_task(quick, NULL);
        kept[i] = cio_create_task(sleeper, NULL);
    }
    CHECK_INT(cio_gather(done, N, NULL), 0);
    cio_release_all(done, N); /* their blocks go to the free list */
    for (int i = 0; i < N; i++)
        late[i] = cio_create_task(sleeper, NULL); /* and are reused */
    cio_future *all[2 * N + 1];
    long n = cio_all_tasks(NULL, all, 2 * N + 1);
    CHECK_INT((int)n, 2 * N + 1); /* this task too */
    CHECK_PTR(all[0], cio_current_task());
    for (int i = 0; i < N; i++) {
        CHECK_PTR(all[1 + i], kept[i]);
        CHECK_PTR(all[1 + N + i], late[i]);
    }
    cio_release_all(all, (size_t)n);
    /* a small array: the count is still all of them */
    CHECK_INT((int)cio_all_tasks(NULL, all, 1), 2 * N + 1);
    cio_release(all[0]);
    cio_cancel_all(kept, N);
    cio_cancel_all(late, N);
    CHECK_INT((int)cio_all_tasks(NULL, NULL, 0), 1);
    cio_release_all(kept, N);
    cio_release_all(late, N);
    return NULL;
}

static void test_all_tasks_order_with_reuse(void **state) {
    (void)state;
    CHECK_INT(cio_run(order_with_reuse, NULL, NULL), 0);
    checks_assert();
}

/* cio_run cancels every task left, however many chunks of task memory
 * they fill; cio_dump_tasks lists them. */
static int g_cancelled;
static void *leave_many(void *arg) {
    long n = *(long *)arg;
    for (long i = 0; i < n; i++) {
        cio_future *t = cio_create_task(sleeper, &g_cancelled);
        CHECK(t != NULL);
        cio_release(t);
    }
    cio_sleep(0);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CHECK_INT(cio_dump_tasks(NULL, f), 0);
    fclose(f);
    char head[64];
    snprintf(head, sizeof head, "cio: %ld tasks not done\n", n + 1);
    CHECK(strncmp(text, head, strlen(head)) == 0);
    size_t lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    CHECK_INT((int)lines, (int)n + 2);
    free(text);
    return NULL;
}

static void test_run_cancels_all_left(void **state) {
    (void)state;
    long n = 20000 / ct_slow();
    g_cancelled = 0;
    CHECK_INT(cio_run(leave_many, &n, NULL), 0);
    CHECK_INT(g_cancelled, (int)n);
    checks_assert();
}

/* A loop closed with tasks pending abandons each of them once (they are
 * reported), whatever blocks they occupy. */
static void *pend_forever(void *arg) {
    (void)arg;
    cio_sleep(1e9); /* (a frame that owns nothing: nothing to clean up) */
    return NULL;
}

static void test_close_abandons_all(void **state) {
    (void)state;
    cio_loop *loop = cio_loop_new(NULL);
    assert_non_null(loop);
    cio_future *t[40];
    for (int i = 0; i < 40; i++)
        t[i] =
            cio_create_task_ex(loop, i % 2 ? pend_forever : quick, NULL, NULL);
    cio_release_all(t, 40);
    cio_loop_stop(loop);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    diag_capture();
    assert_int_equal(cio_loop_close(loop), 0);
    diag_restore();
    assert_int_equal(diag_count("was destroyed but it is pending"), 20);
}

/* A task keeps where it was created as a site number: many distinct sites
 * (more than a page of the table and the thread's cache) come back as they
 * went in, the same pair gets the same number, a NULL file is "?". */
static void test_sites_round_trip(void **state) {
    (void)state;
    static const char *files[2] = {"a.c", "b.c"};
    enum { LINES = 3000 };
    static uint32_t ids[2][LINES];
    for (int f = 0; f < 2; f++)
        for (int l = 0; l < LINES; l++) {
            ids[f][l] = cio__site_of(files[f], l + 1);
            assert_true(ids[f][l] != 0);
        }
    for (int f = 0; f < 2; f++)
        for (int l = 0; l < LINES; l++) {
            assert_int_equal(cio__site_of(files[f], l + 1), ids[f][l]);
            const char *file;
            int line;
            cio__site_get(ids[f][l], &file, &line);
            assert_ptr_equal(file, files[f]);
            assert_int_equal(line, l + 1);
        }
    assert_int_not_equal(ids[0][0], ids[1][0]);
    const char *file;
    int line;
    cio__site_get(cio__site_of(NULL, 7), &file, &line);
    assert_string_equal(file, "?");
    assert_int_equal(line, 0);
}

/* The creation site reaches the diagnostics: cio_dump_tasks prints it. */
static void *dump_site(void *arg) {
    (void)arg;
    cio_future *t = cio_create_task_at(NULL, quick, NULL, NULL, "here.c", 4242);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CHECK_INT(cio_dump_tasks(NULL, f), 0);
    fclose(f);
    CHECK(strstr(text, "created at here.c:4242, not started") != NULL);
    free(text);
    CHECK_INT(cio_await(t, NULL), 0);
    cio_release(t);
    return NULL;
}

static void test_dump_shows_site(void **state) {
    (void)state;
    CHECK_INT(cio_run(dump_site, NULL, NULL), 0);
    checks_assert();
}

/* A task's name is one of its clean-up records: it lives beside the
 * records of what the task waits in (a gather's cancel check and clean-up
 * here), survives a rename while it waits, and an abandon. */
static void *gatherer(void *arg) {
    (void)arg;
    cio_future *kids[2] = {cio_create_task(sleeper, NULL),
                           cio_create_task(sleeper, NULL)};
    int rc = cio_gather(kids, 2, NULL);
    cio_release_all(kids, 2);
    return rc == CIO_ECANCELED ? NULL : cio_raise(-EDOM, "not cancelled");
}

static void *names(void *arg) {
    (void)arg;
    cio_task_options o = {.name = "alpha"};
    cio_future *t = cio_create_task_ex(NULL, gatherer, NULL, &o);
    cio_sleep(0);
    CHECK_STR(cio_task_get_name(t), "alpha");
    CHECK_INT(cio_task_set_name(t, "beta"), 0); /* while it waits */
    CHECK_STR(cio_task_get_name(t), "beta");
    CHECK_INT(cio_cancel(t, NULL), 1);
    CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
    CHECK_STR(cio_task_get_name(t), "beta");
    cio_release(t);
    cio_future *u = cio_create_task(quick, NULL);
    const char *n = cio_task_get_name(u); /* made on demand: Task-<id> */
    CHECK(n != NULL && strncmp(n, "Task-", 5) == 0);
    CHECK_STR(cio_task_get_name(u), n);
    cio_await(u, NULL);
    cio_release(u);
    return NULL;
}

static void test_names_among_records(void **state) {
    (void)state;
    CHECK_INT(cio_run(names, NULL, NULL), 0);
    checks_assert();
}

static void test_abandoned_task_named(void **state) {
    (void)state;
    cio_loop *loop = cio_loop_new(NULL);
    assert_non_null(loop);
    cio_task_options o = {.name = "gamma"};
    cio_future *t = cio_create_task_ex(loop, pend_forever, NULL, &o);
    cio_loop_stop(loop);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    diag_capture();
    assert_int_equal(cio_loop_close(loop), 0);
    diag_restore();
    assert_int_equal(diag_count("task 'gamma' was destroyed"), 1);
    assert_string_equal(cio_task_get_name(t), "gamma");
    cio_release(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_all_tasks_order_with_reuse),
        CIO_TEST(test_run_cancels_all_left),
        CIO_TEST(test_close_abandons_all),
        CIO_TEST(test_sites_round_trip),
        CIO_TEST(test_dump_shows_site),
        CIO_TEST(test_names_among_records),
        CIO_TEST(test_abandoned_task_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
