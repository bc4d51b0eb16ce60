/* Unit tests: tasks (lazy start, states, results, errors via cio_raise,
 * misuse errors, names, current task, all_tasks, dump_tasks, unretrieved
 * error diagnostics, stacks). */
#include "../cio_test.h"

static void *ret_arg(void *arg) {
    return arg;
}

static int g_flag;
static void *set_flag(void *arg) {
    (void)arg;
    g_flag = 1;
    return NULL;
}

static void *lazy_main(void *arg) {
    (void)arg;
    g_flag = 0;
    cio_future *t = cio_create_task(set_flag, NULL);
    CHECK(t != NULL);
    CHECK_INT(g_flag, 0); /* not started by create */
    CHECK_INT(cio_future_state(t), CIO_PENDING);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(g_flag, 1); /* started on the next pass */
    CHECK(cio_future_done(t));
    cio_release(t);
    return NULL;
}

static void test_task_starts_on_next_pass(void **state) {
    (void)state;
    assert_int_equal(run_vt(lazy_main, NULL, NULL), 0);
    checks_assert();
}

static cio_state g_inside_state;
static cio_future *g_inside_current;
static void *record_state(void *arg) {
    (void)arg;
    g_inside_current = cio_current_task();
    g_inside_state = cio_future_state(cio_current_task());
    CHECK_INT(cio_sleep(0.5), 0);
    return IPTR(99);
}

static void *states_main(void *arg) {
    (void)arg;
    cio_future *t = cio_create_task(record_state, NULL);
    CHECK(cio_is_task(t));
    CHECK_INT(cio_future_state(t), CIO_PENDING);
    CHECK(!cio_future_done(t));
    CHECK_INT(cio_sleep(0.1), 0);
    CHECK_INT(cio_future_state(t), CIO_RUNNING); /* started, suspended */
    CHECK(!cio_future_done(t));
    void *r = NULL;
    CHECK_INT(cio_await(t, &r), 0);
    CHECK_INT(PINT(r), 99);
    CHECK_INT(cio_future_state(t), CIO_DONE);
    CHECK_INT(PINT(cio_future_result(t)), 99);
    CHECK_INT(cio_future_error(t), 0);
    CHECK_PTR(g_inside_current, t);
    CHECK_INT(g_inside_state, CIO_RUNNING);
    cio_release(t);
    return NULL;
}

static void test_task_states(void **state) {
    (void)state;
    assert_int_equal(run_vt(states_main, NULL, NULL), 0);
    checks_assert();
}

static void *raiser(void *arg) {
    (void)arg;
    CHECK_INT(cio_sleep(0), 0);
    return cio_raise(-42, "bad %d", 7);
}
static void *raiser_null_fmt(void *arg) {
    (void)arg;
    return cio_raise(CIO_ETIMEDOUT, NULL);
}
static void *raiser_positive(void *arg) {
    (void)arg;
    return cio_raise(3, "positive code");
}

static void *raise_main(void *arg) {
    (void)arg;
    cio_future *t = cio_create_task(raiser, NULL);
    void *r = IPTR(1);
    CHECK_INT(cio_await(t, &r), -42);
    CHECK_INT(cio_future_state(t), CIO_DONE);
    CHECK(!cio_future_cancelled(t));
    CHECK_INT(cio_future_error(t), -42);
    CHECK_STR(cio_future_error_message(t), "bad 7");
    CHECK(cio_future_result(t) == NULL);

    cio_future *u = cio_create_task(raiser_null_fmt, NULL);
    CHECK_INT(cio_await(u, NULL), CIO_ETIMEDOUT);
    CHECK_STR(cio_future_error_message(u), cio_strerror(CIO_ETIMEDOUT));

    cio_future *v = cio_create_task(raiser_positive, NULL);
    CHECK_INT(cio_await(v, NULL), CIO_EINVAL);
    CHECK_INT(cio_future_error(v), CIO_EINVAL);
    cio_future *all[] = {t, u, v};
    cio_release_all(all, 3);
    return NULL;
}

static void test_task_raise(void **state) {
    (void)state;
    diag_capture();
    assert_int_equal(run_vt(raise_main, NULL, NULL), 0);
    diag_restore();
    assert_int_equal(diag_count("never retrieved"), 0);
    checks_assert();
}

/* cio_loop_run_until_complete returns main's error, cio_run too. */
static void test_main_error_is_run_status(void **state) {
    (void)state;
    diag_capture();
    assert_int_equal(run_vt(raiser, NULL, NULL), -42);
    diag_restore();
    assert_int_equal(diag_count("never retrieved"), 0);
    checks_assert();
}

static void *await_self(void *arg) {
    (void)arg;
    CHECK_INT(cio_await(cio_current_task(), NULL), CIO_EINVAL);
    CHECK_INT(cio_await(NULL, NULL), CIO_EINVAL);
    return IPTR(5);
}

static void test_task_awaiting_itself(void **state) {
    (void)state;
    void *r = NULL;
    assert_int_equal(run_vt(await_self, NULL, &r), 0);
    assert_int_equal(PINT(r), 5);
    checks_assert();
}

static int g_cb_await_rc, g_cb_sleep_rc, g_cb_ran;
static cio_future *g_cb_current;
static cio_future *g_some_future;
static void cb_tries_to_suspend(void *arg) {
    (void)arg;
    g_cb_ran = 1;
    g_cb_current = cio_current_task();
    g_cb_await_rc = cio_await(g_some_future, NULL);
    g_cb_sleep_rc = cio_sleep(0);
}

static void *notask_main(void *arg) {
    (void)arg;
    g_some_future = cio_future_new(NULL);
    CHECK_INT(cio_call_soon(NULL, cb_tries_to_suspend, NULL, NULL), 0);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_future_set_result(g_some_future, NULL), 0);
    cio_release(g_some_future);
    return NULL;
}

static void test_suspending_outside_a_task(void **state) {
    (void)state;
    /* no loop at all */
    assert_int_equal(cio_sleep(0), CIO_ENOTASK);
    assert_int_equal(cio_sleep(1), CIO_ENOTASK);
    assert_null(cio_current_task());
    /* a loop, but not inside a task */
    cio_loop *loop = cio_loop_new(NULL);
    cio_future *f = cio_future_new(loop);
    assert_int_equal(cio_await(f, NULL), CIO_ENOTASK);
    assert_int_equal(cio_sleep(0), CIO_ENOTASK);
    cio_release(f);
    assert_int_equal(cio_loop_close(loop), 0);
    /* inside a loop callback */
    g_cb_ran = 0;
    g_cb_current = (cio_future *)&g_cb_current;
    assert_int_equal(run_vt(notask_main, NULL, NULL), 0);
    assert_int_equal(g_cb_ran, 1);
    assert_null(g_cb_current);
    assert_int_equal(g_cb_await_rc, CIO_ENOTASK);
    assert_int_equal(g_cb_sleep_rc, CIO_ENOTASK);
    checks_assert();
}

static int g_wrong_rc;
static void *await_foreign(void *arg) {
    g_wrong_rc = cio_await((cio_future *)arg, NULL);
    return NULL;
}

static void test_await_future_of_another_loop(void **state) {
    (void)state;
    cio_loop *a = cio_loop_new(vt_opts());
    cio_loop *b = cio_loop_new(vt_opts());
    assert_non_null(a);
    assert_non_null(b);
    cio_future *fb = cio_future_new(b);
    assert_ptr_equal(cio_future_loop(fb), b);
    g_wrong_rc = 0;
    assert_int_equal(cio_loop_run_until_complete(a, await_foreign, fb, NULL),
                     0);
    assert_int_equal(g_wrong_rc, CIO_EWRONGLOOP);
    assert_int_equal(cio_future_state(fb), CIO_PENDING);
    cio_release(fb);
    assert_int_equal(cio_loop_close(b), 0);
    assert_int_equal(cio_loop_close(a), 0);
}

static void test_task_on_explicit_loop(void **state) {
    (void)state;
    cio_loop *a = cio_loop_new(vt_opts());
    cio_loop *b = cio_loop_new(vt_opts());
    assert_ptr_equal(cio_get_loop(), a);
    cio_future *t = cio_create_task_ex(b, ret_arg, IPTR(31), NULL);
    assert_non_null(t);
    assert_ptr_equal(cio_future_loop(t), b);
    void *r = NULL;
    assert_int_equal(cio_loop_run_until_done(b, t, &r), 0);
    assert_int_equal(PINT(r), 31);
    cio_release(t);
    assert_int_equal(cio_loop_close(b), 0);
    assert_int_equal(cio_loop_close(a), 0);
}

static int task_number(const char *name) {
    if (!name || strncmp(name, "Task-", 5) != 0)
        return -1;
    char *end = NULL;
    long n = strtol(name + 5, &end, 10);
    if (end == name + 5 || *end != 0 || n < 1)
        return -1;
    return (int)n;
}

static void *names_main(void *arg) {
    (void)arg;
    CHECK(task_number(cio_task_get_name(cio_current_task())) >= 1);
    cio_future *t1 = cio_create_task(ret_arg, NULL);
    cio_future *t2 = cio_create_task(ret_arg, NULL);
    int n1 = task_number(cio_task_get_name(t1)),
        n2 = task_number(cio_task_get_name(t2));
    CHECK(n1 >= 1);
    CHECK_INT(n2, n1 + 1);
    cio_future *w = cio_create_task_ex(NULL, ret_arg, NULL,
                                       &(cio_task_options){.name = "worker"});
    CHECK_STR(cio_task_get_name(w), "worker");
    char buf[16];
    strcpy(buf, "alpha");
    CHECK_INT(cio_task_set_name(t1, buf), 0);
    strcpy(buf, "beta");
    CHECK_STR(cio_task_get_name(t1), "alpha");
    /* the name given in options is copied too */
    char opt[16];
    strcpy(opt, "gamma");
    cio_future *g = cio_create_task_ex(NULL, ret_arg, NULL,
                                       &(cio_task_options){.name = opt});
    strcpy(opt, "delta");
    CHECK_STR(cio_task_get_name(g), "gamma");
    /* a plain future has no name */
    cio_future *f = cio_future_new(NULL);
    CHECK(cio_task_get_name(f) == NULL);
    CHECK_INT(cio_task_set_name(f, "x"), CIO_EINVAL);
    cio_future *all[] = {t1, t2, w, g, f};
    cio_release_all(all, 5);
    return NULL;
}

static void test_task_names(void **state) {
    (void)state;
    assert_int_equal(run_vt(names_main, NULL, NULL), 0);
    checks_assert();
}

static cio_future *g_cur[2];
static int g_cur_ok;
static void *check_current(void *arg) {
    int i = PINT(arg);
    for (int k = 0; k < 3; k++) {
        if (cio_current_task() == g_cur[i])
            g_cur_ok++;
        cio_sleep(0);
    }
    return NULL;
}

static void *current_main(void *arg) {
    (void)arg;
    cio_future *self = cio_current_task();
    CHECK(self != NULL);
    g_cur[0] = cio_create_task(check_current, IPTR(0));
    g_cur[1] = cio_create_task(check_current, IPTR(1));
    CHECK_INT(cio_await(g_cur[0], NULL), 0);
    CHECK_PTR(cio_current_task(), self);
    CHECK_INT(cio_await(g_cur[1], NULL), 0);
    CHECK_PTR(cio_current_task(), self);
    cio_release_all(g_cur, 2);
    return NULL;
}

static void test_current_task(void **state) {
    (void)state;
    assert_null(cio_current_task());
    g_cur_ok = 0;
    assert_int_equal(run_vt(current_main, NULL, NULL), 0);
    assert_int_equal(g_cur_ok, 6);
    assert_null(cio_current_task());
    checks_assert();
}

static void *sleep_arg(void *arg) {
    cio_sleep((double)PINT(arg));
    return NULL;
}

static void *all_tasks_main(void *arg) {
    (void)arg;
    cio_future *self = cio_current_task();
    cio_future *t[3];
    for (int i = 0; i < 3; i++)
        t[i] = cio_create_task(sleep_arg, IPTR(i + 1));
    cio_future *out[8] = {0};
    long n = cio_all_tasks(NULL, out, 8);
    CHECK_INT(n, 4);
    CHECK_PTR(out[0], self); /* in creation order */
    CHECK_PTR(out[1], t[0]);
    CHECK_PTR(out[2], t[1]);
    CHECK_PTR(out[3], t[2]);
    cio_release_all(out, n > 8 ? 8 : (size_t)(n < 0 ? 0 : n));
    /* fewer slots than tasks: the count is still the full count */
    cio_future *one[1] = {0};
    CHECK_INT(cio_all_tasks(NULL, one, 1), 4);
    CHECK_PTR(one[0], self);
    cio_release(one[0]);
    CHECK_INT(cio_all_tasks(NULL, NULL, 0), 4);
    CHECK_INT(cio_sleep(1.5), 0); /* t[0] is done now */
    CHECK_INT(cio_all_tasks(NULL, NULL, 0), 3);
    CHECK_INT(cio_sleep(5), 0);
    CHECK_INT(cio_all_tasks(cio_get_running_loop(), NULL, 0), 1);
    cio_release_all(t, 3);
    return NULL;
}

static void test_all_tasks(void **state) {
    (void)state;
    assert_int_equal(run_vt(all_tasks_main, NULL, NULL), 0);
    checks_assert();
}

static int g_create_line, g_suspend_line;
static void *dumpee(void *arg) {
    (void)arg;
    /* clang-format off */
    g_suspend_line = __LINE__; cio_sleep(10); /* keep on one line */
    /* clang-format on */
    return NULL;
}

static bool has_number(const char *s, int n) {
    char num[16];
    snprintf(num, sizeof num, "%d", n);
    size_t len = strlen(num);
    for (const char *p = strstr(s, num); p; p = strstr(p + 1, num)) {
        bool left = (p == s) || !(p[-1] >= '0' && p[-1] <= '9');
        bool right = !(p[len] >= '0' && p[len] <= '9');
        if (left && right)
            return true;
    }
    return false;
}

static char *g_dump;
static void *dump_main(void *arg) {
    (void)arg;
    cio_future *t;
    /* clang-format off */
    g_create_line = __LINE__; t = cio_create_task_ex(NULL, dumpee, NULL, &(cio_task_options){.name = "dumpee"});
    /* clang-format on */
    cio_future *u = cio_create_task_ex(
        NULL, dumpee, NULL, &(cio_task_options){.name = "sleeper-two"});
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_sleep(0), 0);
    cio_future *p = cio_create_task_ex(
        NULL, dumpee, NULL, &(cio_task_options){.name = "not-started"});
    size_t len = 0;
    FILE *mem = open_memstream(&g_dump, &len);
    CHECK(mem != NULL);
    if (mem) {
        CHECK_INT(cio_dump_tasks(NULL, mem), 0);
        fclose(mem);
    }
    CHECK_INT(cio_cancel(t, NULL), 1);
    CHECK_INT(cio_cancel(u, NULL), 1);
    CHECK_INT(cio_cancel(p, NULL), 1);
    cio_sleep(0);
    cio_future *all[] = {t, u, p};
    cio_release_all(all, 3);
    return NULL;
}

static void test_dump_tasks(void **state) {
    (void)state;
    g_dump = NULL;
    assert_int_equal(run_vt(dump_main, NULL, NULL), 0);
    checks_assert();
    assert_non_null(g_dump);
    const char *out = g_dump;
    bool ok = strstr(out, "dumpee") && strstr(out, "sleeper-two") &&
              strstr(out, "not-started") && strstr(out, "RUNNING") &&
              strstr(out, "PENDING") && strstr(out, "tasks.c") &&
              has_number(out, g_create_line) && has_number(out, g_suspend_line);
    if (!ok)
        print_error("dump (create line %d, suspend line %d):\n%s\n",
                    g_create_line, g_suspend_line, out);
    free(g_dump);
    assert_true(ok);
}

static void test_dump_tasks_errors(void **state) {
    (void)state;
    cio_loop *loop = cio_loop_new(NULL);
    assert_int_equal(cio_dump_tasks(loop, NULL), CIO_EINVAL);
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    assert_int_equal(cio_dump_tasks(loop, mem), 0); /* no tasks: fine */
    fclose(mem);
    free(buf);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void *fail_soon(void *arg) {
    (void)arg;
    cio_sleep(0.1);
    return cio_raise(-EIO, "disk on fire");
}

static void *unretrieved_main(void *arg) {
    (void)arg;
    /* released before it fails */
    cio_release(cio_create_task_ex(NULL, fail_soon, NULL,
                                   &(cio_task_options){.name = "failer"}));
    /* released after it failed, error never read */
    cio_future *late = cio_create_task_ex(NULL, fail_soon, NULL,
                                          &(cio_task_options){.name = "late"});
    /* these are read, so no report */
    cio_future *awaited = cio_create_task_ex(
        NULL, fail_soon, NULL, &(cio_task_options){.name = "awaited"});
    cio_future *read = cio_create_task_ex(NULL, fail_soon, NULL,
                                          &(cio_task_options){.name = "read"});
    CHECK_INT(cio_await(awaited, NULL), -EIO);
    CHECK_INT(cio_sleep(1), 0);
    CHECK_INT(cio_future_error(read), -EIO);
    CHECK(cio_future_done(late));
    cio_release(late);
    cio_release(awaited);
    cio_release(read);
    CHECK_INT(cio_sleep(0), 0);
    return NULL;
}

static void test_unretrieved_error_diagnostic(void **state) {
    (void)state;
    diag_capture();
    assert_int_equal(run_vt(unretrieved_main, NULL, NULL), 0);
    diag_restore();
    if (diag_n != 2)
        diag_print();
    assert_int_equal(
        diag_count("task 'failer' error was never retrieved: disk on fire"), 1);
    assert_int_equal(
        diag_count("task 'late' error was never retrieved: disk on fire"), 1);
    assert_int_equal(diag_count("'awaited'"), 0);
    assert_int_equal(diag_count("'read'"), 0);
    assert_int_equal(diag_n, 2);
    checks_assert();
}

static void *sleeps_forever(void *arg) {
    (void)arg;
    cio_sleep(1000);
    return NULL;
}

/* A cancelled task is not an error nobody read. */
static void *cancelled_main(void *arg) {
    (void)arg;
    cio_future *t = cio_create_task_ex(NULL, sleeps_forever, NULL,
                                       &(cio_task_options){.name = "quiet"});
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_cancel(t, "enough"), 1);
    cio_release(t);
    CHECK_INT(cio_sleep(0.1), 0);
    return NULL;
}

static void test_cancelled_task_not_reported(void **state) {
    (void)state;
    diag_capture();
    assert_int_equal(run_vt(cancelled_main, NULL, NULL), 0);
    diag_restore();
    if (diag_n)
        diag_print();
    assert_int_equal(diag_n, 0);
    checks_assert();
}

static void *rename_main(void *arg) {
    (void)arg;
    cio_future *t = cio_create_task(fail_soon, NULL);
    CHECK_INT(cio_task_set_name(t, "renamed"), 0);
    CHECK_STR(cio_task_get_name(t), "renamed");
    cio_release(t);
    CHECK_INT(cio_sleep(1), 0);
    return NULL;
}

/* Diagnostics use the task's current name. */
static void test_renamed_task_in_diagnostics(void **state) {
    (void)state;
    diag_capture();
    assert_int_equal(run_vt(rename_main, NULL, NULL), 0);
    diag_restore();
    if (diag_n != 1)
        diag_print();
    assert_int_equal(
        diag_count("task 'renamed' error was never retrieved: disk on fire"),
        1);
    assert_int_equal(diag_n, 1);
    checks_assert();
}

static void *uncancel_zero(void *arg) {
    (void)arg;
    cio_future *self = cio_current_task();
    CHECK_INT(cio_task_cancelling(self), 0);
    CHECK_INT(cio_task_uncancel(self), 0); /* nothing to take back: stays 0 */
    CHECK_INT(cio_task_cancelling(self), 0);
    CHECK_INT(cio_sleep(0), 0);
    return IPTR(3);
}

static void test_uncancel_without_request(void **state) {
    (void)state;
    void *r = NULL;
    assert_int_equal(run_vt(uncancel_zero, NULL, &r), 0);
    assert_int_equal(PINT(r), 3);
    checks_assert();
}

static void *fire_and_forget_main(void *arg) {
    (void)arg;
    g_flag = 0;
    cio_release(cio_create_task(set_flag, NULL));
    CHECK_INT(cio_sleep(0.01), 0);
    CHECK_INT(g_flag, 1);
    return NULL;
}

static void test_fire_and_forget(void **state) {
    (void)state;
    assert_int_equal(run_vt(fire_and_forget_main, NULL, NULL), 0);
    checks_assert();
}

static void *task_set_result_main(void *arg) {
    (void)arg;
    cio_future *t = cio_create_task(ret_arg, IPTR(1));
    CHECK_INT(cio_future_set_result(t, IPTR(2)), CIO_EINVAL);
    CHECK_INT(cio_future_set_error(t, -EIO, NULL), CIO_EINVAL);
    CHECK_INT(cio_future_set_result(cio_current_task(), NULL), CIO_EINVAL);
    void *r = NULL;
    CHECK_INT(cio_await(t, &r), 0);
    CHECK_INT(PINT(r), 1);
    cio_release(t);
    return NULL;
}

static void test_task_cannot_be_set(void **state) {
    (void)state;
    assert_int_equal(run_vt(task_set_result_main, NULL, NULL), 0);
    checks_assert();
}

static void test_create_task_without_loop(void **state) {
    (void)state;
    assert_null(cio_get_loop());
    assert_null(cio_create_task(ret_arg, NULL));
    assert_int_equal(cio_last_error(), CIO_ENOLOOP);
    assert_non_null(cio_last_error_message());
    assert_true(strlen(cio_last_error_message()) > 0);
    cio_loop *loop = cio_loop_new(NULL);
    assert_null(cio_create_task_ex(loop, NULL, NULL, NULL));
    assert_int_equal(cio_last_error(), CIO_EINVAL);
    assert_int_equal(cio_loop_close(loop), 0);
}

/* A chain: each task awaits the next one's result. */
static void *chain(void *arg) {
    int n = PINT(arg);
    if (n == 0) {
        cio_sleep(0.01);
        return IPTR(1000);
    }
    cio_future *t = cio_create_task(chain, IPTR(n - 1));
    void *r = NULL;
    int rc = cio_await(t, &r);
    cio_release(t);
    if (rc)
        return cio_raise(rc, NULL);
    return IPTR(PINT(r) + 1);
}

static void test_await_chain(void **state) {
    (void)state;
    void *r = NULL;
    assert_int_equal(run_vt(chain, IPTR(50), &r), 0);
    assert_int_equal(PINT(r), 1050);
}

/* Locals survive across suspensions while many tasks interleave. */
#define NLOCAL 100
static int g_local_bad;
static void *keeps_locals(void *arg) {
    int id = PINT(arg);
    unsigned char buf[2048];
    memset(buf, id, sizeof buf);
    for (int round = 0; round < 5; round++) {
        cio_sleep(0);
        for (size_t i = 0; i < sizeof buf; i++)
            if (buf[i] != (unsigned char)id) {
                g_local_bad++;
                break;
            }
        memset(buf, id + round + 1, sizeof buf);
        id = id + round + 1;
    }
    return IPTR(id);
}

static void *locals_main(void *arg) {
    (void)arg;
    cio_future *t[NLOCAL];
    for (int i = 0; i < NLOCAL; i++)
        t[i] = cio_create_task(keeps_locals, IPTR(i));
    for (int i = 0; i < NLOCAL; i++) {
        void *r = NULL;
        CHECK_INT(cio_await(t[i], &r), 0);
        CHECK_INT(PINT(r), i + 15);
    }
    cio_release_all(t, NLOCAL);
    return NULL;
}

static void test_locals_survive_switches(void **state) {
    (void)state;
    g_local_bad = 0;
    assert_int_equal(run_vt(locals_main, NULL, NULL), 0);
    assert_int_equal(g_local_bad, 0);
    checks_assert();
}

/* Recursion that uses `bytes` of stack, touching each frame. */
static int deep(int n) {
    volatile char frame[1024];
    frame[0] = (char)n;
    frame[sizeof frame - 1] = (char)n;
    if (n <= 1)
        return frame[0];
    return deep(n - 1) + frame[sizeof frame - 1] - frame[0] + 1;
}

static void *recurse_kib(void *arg) {
    int kib = PINT(arg);
    cio_sleep(0);
    return IPTR(deep(kib));
}

static void *stacks_main(void *arg) {
    (void)arg;
    /* default stack (256 KiB): 96 KiB of frames */
    cio_future *a = cio_create_task(recurse_kib, IPTR(96));
    /* a 1 MiB stack: 384 KiB of frames */
    cio_future *b =
        cio_create_task_ex(NULL, recurse_kib, IPTR(384),
                           &(cio_task_options){.stack_size = 1024 * 1024});
    /* the smallest stack still runs a shallow task */
    cio_future *c =
        cio_create_task_ex(NULL, recurse_kib, IPTR(2),
                           &(cio_task_options){.stack_size = CIO_STACK_MIN});
    void *r = NULL;
    CHECK_INT(cio_await(a, &r), 0);
    CHECK_INT(PINT(r), 96);
    CHECK_INT(cio_await(b, &r), 0);
    CHECK_INT(PINT(r), 384);
    CHECK_INT(cio_await(c, &r), 0);
    CHECK_INT(PINT(r), 2);
    cio_future *all[] = {a, b, c};
    cio_release_all(all, 3);
    return NULL;
}

static void test_stack_sizes(void **state) {
    (void)state;
    assert_int_equal(run_vt(stacks_main, NULL, NULL), 0);
    checks_assert();
}

static void *ret_at_once(void *arg) {
    return arg;
}
static void *recurse_now(void *arg) {
    return IPTR(deep(PINT(arg)));
}

static void *back_to_back_main(void *arg) {
    (void)arg;
    cio_task_options small = {.stack_size = CIO_STACK_MIN};
    cio_task_options big = {.stack_size = 1024 * 1024};
    /* both start in the same pass, the small one finishing first */
    cio_future *a = cio_create_task_ex(NULL, ret_at_once, IPTR(1), &small);
    cio_future *b = cio_create_task_ex(NULL, recurse_now, IPTR(512), &big);
    cio_future *c = cio_create_task_ex(NULL, ret_at_once, IPTR(2), &small);
    cio_future *d = cio_create_task_ex(NULL, recurse_now, IPTR(512), &big);
    void *r = NULL;
    CHECK_INT(cio_await(b, &r), 0);
    CHECK_INT(PINT(r), 512);
    CHECK_INT(cio_await(d, &r), 0);
    CHECK_INT(PINT(r), 512);
    CHECK_INT(cio_await(a, NULL), 0);
    CHECK_INT(cio_await(c, NULL), 0);
    cio_future *all[] = {a, b, c, d};
    cio_release_all(all, 4);
    return NULL;
}

/* Tasks that start one after another in a pass each get the stack size
 * they asked for, whatever ran just before them. */
static void test_stack_size_honoured_back_to_back(void **state) {
    (void)state;
    assert_int_equal(run_vt(back_to_back_main, NULL, NULL), 0);
    checks_assert();
}

/* The loop option sets the default stack size of its tasks. */
static void test_loop_default_stack_size(void **state) {
    (void)state;
    cio_loop_options o = {.virtual_time = true, .stack_size = 1024 * 1024};
    void *r = NULL;
    assert_int_equal(cio_run_ex(recurse_kib, IPTR(512), &r, &o), 0);
    assert_int_equal(PINT(r), 512);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_task_starts_on_next_pass),
        CIO_TEST(test_task_states),
        CIO_TEST(test_task_raise),
        CIO_TEST(test_main_error_is_run_status),
        CIO_TEST(test_task_awaiting_itself),
        CIO_TEST(test_suspending_outside_a_task),
        CIO_TEST(test_await_future_of_another_loop),
        CIO_TEST(test_task_on_explicit_loop),
        CIO_TEST(test_task_names),
        CIO_TEST(test_current_task),
        CIO_TEST(test_all_tasks),
        CIO_TEST(test_dump_tasks),
        CIO_TEST(test_dump_tasks_errors),
        CIO_TEST(test_unretrieved_error_diagnostic),
        CIO_TEST(test_cancelled_task_not_reported),
        CIO_TEST(test_renamed_task_in_diagnostics),
        CIO_TEST(test_uncancel_without_request),
        CIO_TEST(test_fire_and_forget),
        CIO_TEST(test_task_cannot_be_set),
        CIO_TEST(test_create_task_without_loop),
        CIO_TEST(test_await_chain),
        CIO_TEST(test_locals_survive_switches),
        CIO_TEST(test_stack_sizes),
        CIO_TEST(test_stack_size_honoured_back_to_back),
        CIO_TEST(test_loop_default_stack_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
