/* Unit tests: the short forms of cio/sugar.h - integers as results,
 * re-raising, CIO_TRY, CIO_TRY_IN / cio_raise_in (a failure with its
 * context), cio_return_format (a formatted result, never cut), cio_err_name,
 * cio_main, cio_gather_calls / cio_gather_all, cio_close on every kind of
 * object. */
#include "../cio_test.h"
#include "core/internal.h" /* cio__set_error */

#include <fcntl.h>
#include <unistd.h>

static void *square(void *arg) {
    return cio_from_int(cio_int(arg) * cio_int(arg));
}

static void *square_at(void *arg) {
    long x = *(long *)arg;
    return cio_from_int(x * x);
}

static void *fail_with(void *arg) {
    CIO_TRY(cio_sleep(0.01 * (double)cio_int(arg)));
    return cio_raise(-EPIPE, "pipe %ld broke", (long)cio_int(arg));
}

static void *sleeper(void *arg) {
    (void)arg;
    CIO_TRY(cio_sleep(10)); /* cancelled: the task ends CANCELLED */
    return cio_from_int(1);
}

static int slept_out;
static void *count_cancel(void *arg) {
    (void)arg;
    int rc = cio_sleep(10);
    if (rc == CIO_ECANCELED)
        slept_out++;
    return cio_raise_if(rc);
}

static void *ints_main(void *arg) {
    (void)arg;
    cio_future *t = cio_create_task(square, cio_from_int(-7));
    CHECK_INT(cio_await(t, NULL), 0);
    CHECK_INT(cio_result_int(t), 49);
    cio_close(t);
    CHECK_INT(cio_int(cio_from_int(INTPTR_MIN)) == INTPTR_MIN, 1);
    CHECK_INT(cio_result_int(NULL), 0);
    return NULL;
}

static void test_ints(void **state) {
    (void)state;
    assert_int_equal(run_vt(ints_main, NULL, NULL), 0);
    checks_assert();
}

static void *reraise_queue(void *arg) {
    (void)arg;
    cio_queue *q = cio_queue_new_ex(NULL, NULL); /* refused: no options */
    if (!q)
        return cio_reraise();
    return NULL;
}

static void *reraise_nothing(void *arg) {
    (void)arg;
    cio__set_error(0, "%s", "");
    return cio_reraise();
}

static void *raise_if_main(void *arg) {
    int err = (int)cio_int(arg);
    cio__set_error(CIO_ETIMEDOUT, "the service did not answer");
    return cio_raise_if(err);
}

static void test_reraise_and_raise_if(void **state) {
    (void)state;
    cio_loop *loop = cio_loop_new(vt_opts());
    cio_future *t = cio_create_task_ex(loop, reraise_queue, NULL, NULL);
    assert_int_equal(cio_loop_run_until_done(loop, t, NULL), CIO_EINVAL);
    assert_string_equal(cio_future_error_message(t),
                        "cio_queue_new_ex: no options");
    cio_close(t);
    t = cio_create_task_ex(loop, reraise_nothing, NULL, NULL);
    assert_int_equal(cio_loop_run_until_done(loop, t, NULL), CIO_EINVALIDSTATE);
    assert_non_null(strstr(cio_future_error_message(t), "no error"));
    cio_close(t);
    /* 0 and positive: success; the same code: the recorded message */
    int codes[] = {0, 3, CIO_ETIMEDOUT, CIO_EINVAL};
    const char *msgs[] = {NULL, NULL, "the service did not answer",
                          "Invalid argument"};
    for (int i = 0; i < 4; i++) {
        void *r = cio_from_int(99);
        t = cio_create_task_ex(loop, raise_if_main, cio_from_int(codes[i]),
                               NULL);
        assert_int_equal(cio_loop_run_until_done(loop, t, &r),
                         codes[i] < 0 ? codes[i] : 0);
        assert_null(r);
        if (msgs[i])
            assert_string_equal(cio_future_error_message(t), msgs[i]);
        cio_close(t);
    }
    assert_int_equal(cio_close(loop), 0);
}

/* ---- a failure with its context; a formatted result ---------------------- */

static void *try_in_main(void *arg) {
    long code = cio_int(arg);
    cio__set_error(CIO_ETIMEDOUT, "the service did not answer");
    CIO_TRY_IN((int)code, "service %s", "ipify");
    return cio_from_int(7);
}

static void *raise_in_null_fmt(void *arg) {
    (void)arg;
    cio__set_error(-EPIPE, "the pipe broke");
    return cio_raise_in(-EPIPE, NULL);
}

static char line[16];
static void *format_main(void *arg) {
    const char *word = arg;
    return cio_return_format(line, "<%s>", word);
}

static void *format_bad(void *arg) {
    return cio_return_format_n(arg ? line : NULL, arg ? 0 : sizeof line, "x");
}

static void *format_null_fmt(void *arg) {
    (void)arg;
    return cio_return_format_n(line, sizeof line, NULL);
}

static int run_task(cio_loop *loop, cio_task_fn fn, void *arg, void **result,
                    char *msg, size_t size) {
    cio_future *t = cio_create_task_ex(loop, fn, arg, NULL);
    int rc = cio_loop_run_until_done(loop, t, result);
    snprintf(msg, size, "%s", rc < 0 ? cio_future_error_message(t) : "");
    cio_close(t);
    return rc;
}

static void test_raise_in_and_format(void **state) {
    (void)state;
    cio_loop *loop = cio_loop_new(vt_opts());
    char msg[256];
    void *r = NULL;
    /* the recorded message of the same code, with its context */
    assert_int_equal(run_task(loop, try_in_main, cio_from_int(CIO_ETIMEDOUT),
                              &r, msg, sizeof msg),
                     CIO_ETIMEDOUT);
    assert_string_equal(msg, "service ipify: the service did not answer");
    /* another code: its cio_strerror */
    assert_int_equal(run_task(loop, try_in_main, cio_from_int(CIO_EINVAL), &r,
                              msg, sizeof msg),
                     CIO_EINVAL);
    assert_string_equal(msg, "service ipify: Invalid argument");
    /* no failure: the task goes on */
    assert_int_equal(
        run_task(loop, try_in_main, cio_from_int(0), &r, msg, sizeof msg), 0);
    assert_int_equal(cio_int(r), 7);
    assert_null(cio_raise_in(0, "nothing"));
    assert_null(cio_raise_in(5, NULL));
    assert_int_equal(
        run_task(loop, raise_in_null_fmt, NULL, &r, msg, sizeof msg), -EPIPE);
    assert_string_equal(msg, "the pipe broke");

    /* a formatted result: in the buffer, or a failure, never cut */
    assert_int_equal(run_task(loop, format_main, "ipify", &r, msg, sizeof msg),
                     0);
    assert_ptr_equal(r, line);
    assert_string_equal(line, "<ipify>");
    assert_int_equal(
        run_task(loop, format_main, "0123456789abcd", &r, msg, sizeof msg),
        CIO_EINVAL);
    assert_string_equal(
        msg, "cio_return_format: the text needs 17 bytes, the buffer has 16");
    assert_int_equal(run_task(loop, format_bad, NULL, &r, msg, sizeof msg),
                     CIO_EINVAL);
    assert_non_null(strstr(msg, "no buffer"));
    assert_int_equal(run_task(loop, format_bad, line, &r, msg, sizeof msg),
                     CIO_EINVAL);
    assert_int_equal(run_task(loop, format_null_fmt, NULL, &r, msg, sizeof msg),
                     CIO_EINVAL);
    assert_non_null(strstr(msg, "NULL format"));
    assert_int_equal(cio_close(loop), 0);
}

static void test_err_name(void **state) {
    (void)state;
    struct {
        int code;
        const char *name;
    } want[] = {
        {CIO_EINVAL, "CIO_EINVAL"},
        {CIO_ENOMEM, "CIO_ENOMEM"},
        {CIO_ECANCELED, "CIO_ECANCELED"},
        {CIO_ETIMEDOUT, "CIO_ETIMEDOUT"},
        {CIO_EDEADLK, "CIO_EDEADLK"},
        {CIO_EINVALIDSTATE, "CIO_EINVALIDSTATE"},
        {CIO_ENOTASK, "CIO_ENOTASK"},
        {CIO_EWRONGLOOP, "CIO_EWRONGLOOP"},
        {CIO_ELOOPRUNNING, "CIO_ELOOPRUNNING"},
        {CIO_ELOOPCLOSED, "CIO_ELOOPCLOSED"},
        {CIO_ENOLOOP, "CIO_ENOLOOP"},
        {CIO_ESTOPPED, "CIO_ESTOPPED"},
        {CIO_ETASKGROUP, "CIO_ETASKGROUP"},
        {CIO_EQUEUEFULL, "CIO_EQUEUEFULL"},
        {CIO_EQUEUEEMPTY, "CIO_EQUEUEEMPTY"},
        {CIO_EQUEUESHUTDOWN, "CIO_EQUEUESHUTDOWN"},
        {CIO_EBROKENBARRIER, "CIO_EBROKENBARRIER"},
        {CIO_ENOTLOCKED, "CIO_ENOTLOCKED"},
        {CIO_ENOTOWNER, "CIO_ENOTOWNER"},
        {CIO_EOVERRELEASE, "CIO_EOVERRELEASE"},
        {CIO_ESHUTDOWN, "CIO_ESHUTDOWN"},
        {CIO_ECLOSED, "CIO_ECLOSED"},
        {-ECONNRESET, "ECONNRESET"},
        {-EPIPE, "EPIPE"},
        {0, "0"},
        {-10999, "UNKNOWN"},
        {5, "UNKNOWN"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_string_equal(cio_err_name(want[i].code), want[i].name);
    /* every name of a cio code is distinct, and so is its sentence */
    for (size_t i = 0; i < 22; i++)
        assert_string_not_equal(cio_strerror(want[i].code), "unknown error");
}

/* ---- cio_main ----------------------------------------------------------- */

static void *main_ok(void *arg) {
    CIO_TRY(cio_sleep(0));
    (*(int *)arg)++;
    return NULL;
}

static void *main_fails(void *arg) {
    (void)arg;
    CIO_TRY(cio_sleep(0));
    return cio_raise(CIO_ETIMEDOUT, "no answer from %s", "example.org");
}

static void *main_cancels_itself(void *arg) {
    (void)arg;
    cio_cancel(cio_current_task(), NULL);
    CIO_TRY(cio_sleep(1));
    return NULL;
}

/* Run fn with cio_main, stderr going to a file; returns what it printed. */
static const char *run_main(cio_task_fn fn, void *arg, int *status,
                            const cio_loop_options *opts) {
    static char text[1024];
    char path[] = "/tmp/cio-sugar-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    *status = opts ? cio_main_ex(fn, arg, opts) : cio_main(fn, arg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    text[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
    return text;
}

static void test_main(void **state) {
    (void)state;
    int runs = 0, status;
    assert_string_equal(run_main(main_ok, &runs, &status, NULL), "");
    assert_int_equal(status, 0);
    assert_int_equal(runs, 1);
    assert_string_equal(run_main(main_ok, &runs, &status, vt_opts()), "");
    assert_int_equal(runs, 2);
    const char *err = run_main(main_fails, NULL, &status, NULL);
    assert_int_equal(status, 1);
    assert_non_null(
        strstr(err, ": no answer from example.org (CIO_ETIMEDOUT)\n"));
    err = run_main(main_cancels_itself, NULL, &status, NULL);
    assert_int_equal(status, 1);
    assert_non_null(strstr(err, "(CIO_ECANCELED)"));
    err = run_main(NULL, NULL, &status, NULL);
    assert_int_equal(status, 1);
    assert_non_null(strstr(err, "(CIO_EINVAL)"));
}

/* ---- gather_calls ------------------------------------------------------- */

static void *gather_ok_main(void *arg) {
    (void)arg;
    void *r[3];
    CHECK_INT(cio_gather_all(r, {square, cio_from_int(2)},
                             {square, cio_from_int(3)}, {square, NULL}),
              0);
    CHECK_INT(cio_int(r[0]), 4);
    CHECK_INT(cio_int(r[1]), 9);
    CHECK_INT(cio_int(r[2]), 0);
    /* more than fit on its stack */
    cio_call calls[40];
    void *rs[40];
    for (int i = 0; i < 40; i++)
        calls[i] = (cio_call){square, cio_from_int(i)};
    CHECK_INT(cio_gather_calls(calls, 40, rs), 0);
    for (int i = 0; i < 40; i++)
        CHECK_INT(cio_int(rs[i]), i * i);
    CHECK_INT(cio_gather_calls(NULL, 0, NULL), 0);
    CHECK_INT(cio_gather_calls(NULL, 1, NULL), CIO_EINVAL);
    CHECK_INT(cio_gather_all(rs, {NULL, NULL}), CIO_EINVAL);
    CHECK(rs[0] == NULL);
    CHECK_INT(cio_all_tasks(NULL, NULL, 0), 1); /* nothing left behind */
    return NULL;
}

static void *gather_fail_main(void *arg) {
    (void)arg;
    void *r[3] = {cio_from_int(1), cio_from_int(1), cio_from_int(1)};
    slept_out = 0;
    int err =
        cio_gather_all(r, {count_cancel, NULL}, {fail_with, cio_from_int(2)},
                       {fail_with, cio_from_int(1)});
    CHECK_INT(err, -EPIPE);
    CHECK_INT(cio_last_error(), -EPIPE);
    CHECK_STR(cio_last_error_message(), "pipe 1 broke");
    CHECK(r[0] == NULL && r[1] == NULL && r[2] == NULL);
    CHECK_INT(slept_out, 1); /* the sleeper was cancelled and awaited */
    CHECK_INT(cio_all_tasks(NULL, NULL, 0), 1);
    return cio_raise_if(err); /* the message travels on */
}

static void test_gather_calls(void **state) {
    (void)state;
    assert_int_equal(run_vt(gather_ok_main, NULL, NULL), 0);
    cio_loop *loop = cio_loop_new(vt_opts());
    cio_future *t = cio_create_task_ex(loop, gather_fail_main, NULL, NULL);
    assert_int_equal(cio_loop_run_until_done(loop, t, NULL), -EPIPE);
    assert_string_equal(cio_future_error_message(t), "pipe 1 broke");
    cio_close(t);
    cio_close(loop);
    assert_int_equal(cio_gather_all(NULL, {square, NULL}), CIO_ENOTASK);
    checks_assert();
}

static void *gather_sleepers(void *arg) {
    (void)arg;
    return cio_raise_if(
        cio_gather_all(NULL, {sleeper, NULL}, {count_cancel, NULL}));
}

/* The caller cancelled: its tasks are cancelled and awaited too. */
static void *gather_cancelled_main(void *arg) {
    (void)arg;
    slept_out = 0;
    cio_future *t = cio_create_task(gather_sleepers, NULL);
    CHECK_INT(cio_sleep(1), 0);
    CHECK_INT(cio_cancel(t, NULL), 1);
    CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
    CHECK(cio_future_cancelled(t));
    CHECK_INT(slept_out, 1);
    CHECK_INT(cio_all_tasks(NULL, NULL, 0), 1);
    cio_close(t);
    return NULL;
}

static void test_gather_calls_cancelled(void **state) {
    (void)state;
    assert_int_equal(run_vt(gather_cancelled_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- create_tasks, gather_range, named tasks, cio_time, cio_state_of ---- */

static void *create_main(void *arg) {
    (void)arg;
    cio_future *t[3] = {NULL, NULL, NULL};
    CHECK_INT(
        cio_create_all(t, {square, cio_from_int(3)}, {square, cio_from_int(4)}),
        0);
    CHECK_STR(cio_state_of(t[0]), "PENDING");
    CHECK_INT(cio_gather(t, 2, NULL), 0);
    CHECK_STR(cio_state_of(t[1]), "DONE");
    CHECK_INT(cio_result_int(t[0]) + cio_result_int(t[1]), 25);
    cio_release_all(t, 2);
    /* all or none: a NULL fn is refused before anything is made */
    CHECK_INT(cio_create_all(t, {square, NULL}, {NULL, NULL}), CIO_EINVAL);
    CHECK_INT(cio_create_tasks(NULL, NULL, 1), CIO_EINVAL);
    CHECK_INT(cio_create_tasks(t, NULL, 0), 0);
    CHECK_INT(cio_all_tasks(NULL, NULL, 0), 1);
    /* range: fn over start..stop-1 */
    void *r[5];
    CHECK_INT(cio_gather_range(square, -2, 3, r), 0);
    for (int i = 0; i < 5; i++)
        CHECK_INT(cio_int(r[i]), (i - 2) * (i - 2));
    CHECK_INT(cio_gather_range(square, 3, 3, NULL), 0);
    CHECK_INT(cio_gather_range(square, 5, 1, NULL), 0);
    CHECK_INT(cio_gather_range(NULL, 0, 1, NULL), CIO_EINVAL);
    CHECK_INT(cio_gather_range(fail_with, 0, 2, NULL), -EPIPE);
    CHECK_STR(cio_last_error_message(), "pipe 0 broke");
    /* a named task */
    cio_future *n = cio_create_named_task("squarer", square, NULL);
    CHECK_STR(cio_task_get_name(n), "squarer");
    CHECK_INT(cio_await(n, NULL), 0);
    cio_close(n);
    /* the loop's clock, virtual here */
    double t0 = cio_time();
    CHECK_INT(cio_sleep(2.5), 0);
    CHECK(cio_time() - t0 >= 2.5 && cio_time() - t0 < 2.6);
    CHECK(cio_time() == cio_loop_time(cio_get_running_loop()));
    return NULL;
}

static void test_create_and_range(void **state) {
    (void)state;
    assert_int_equal(run_vt(create_main, NULL, NULL), 0);
    assert_true(cio_time() == 0.0); /* no loop */
    /* outside a task: made on the current loop, undone by cancelling */
    cio_loop *loop = cio_loop_new(vt_opts());
    cio_future *t[2];
    assert_int_equal(cio_create_all(t, {square, NULL}, {sleeper, NULL}), 0);
    assert_int_equal(cio_loop_run_until_done(loop, t[0], NULL), 0);
    assert_int_equal(cio_cancel(t[1], NULL), 1);
    assert_int_equal(cio_loop_run_until_done(loop, t[1], NULL), CIO_ECANCELED);
    cio_release_all(t, 2);
    assert_int_equal(cio_loop_close(loop), 0);
    checks_assert();
}

/* ---- cio_close ---------------------------------------------------------- */

static void *noop_work(void *arg) {
    return arg;
}

static void *close_main(void *arg) {
    (void)arg;
    cio_future *f = cio_future_new(NULL);
    cio_handle *h = NULL;
    CHECK_INT(cio_call_soon(NULL, (cio_callback_fn)free, NULL, &h), 0);
    cio_lock lk;
    cio_event ev;
    cio_condition cond;
    cio_semaphore sem;
    CHECK_INT(cio_lock_init(&lk, NULL), 0);
    CHECK_INT(cio_event_init(&ev, NULL), 0);
    CHECK_INT(cio_condition_init(&cond, NULL, &lk), 0);
    CHECK_INT(cio_semaphore_init(&sem, NULL, 1), 0);
    cio_barrier *b = cio_barrier_new(NULL, 2);
    cio_queue *q = cio_queue_new(0);
    cio_taskgroup *g = cio_taskgroup_new();
    cio_future *fs[] = {f};
    cio_as_completed_iter *it = cio_as_completed(fs, 1, CIO_NO_TIMEOUT);
    cio_tfuture *tf = cio_tfuture_new();
    cio_tcompleted *tc = cio_tfuture_as_completed(&tf, 1, CIO_NO_TIMEOUT);
    cio_executor *ex = cio_executor_new(1);
    cio_tfuture *sub = cio_executor_submit(ex, noop_work, NULL);
    CHECK(f && h && b && q && g && it && tf && tc && ex && sub);
    CHECK_INT(cio_close(it), 0);
    CHECK_INT(cio_close(f), 0);
    CHECK_INT(cio_close(h), 0);
    CHECK_INT(cio_close(&cond), 0);
    CHECK_INT(cio_close(&lk), 0);
    CHECK_INT(cio_close(&lk), CIO_ECLOSED);
    CHECK_INT(cio_close(&ev), 0);
    CHECK_INT(cio_close(&sem), 0);
    CHECK_INT(cio_close(b), 0);
    CHECK_INT(cio_close(q), 0);
    CHECK_INT(cio_close(g), 0);
    CHECK_INT(cio_close(tc), 0);
    CHECK_INT(cio_close(tf), 0);
    CHECK_INT(cio_close(ex), 0);
    CHECK_INT(cio_close(sub), 0);
    CHECK_INT(cio_close((cio_queue *)NULL), 0);
    CHECK_INT(cio_close((cio_future *)NULL), 0);
    CHECK_INT(cio_close((cio_lock *)NULL), 0);
    CHECK_INT(cio_close((cio_taskgroup *)NULL), 0);
    CHECK_INT(cio_close((cio_loop *)NULL), CIO_EINVAL);
    CHECK_INT(cio_close((cio_executor *)NULL), CIO_EINVAL);
    return NULL;
}

static void test_close(void **state) {
    (void)state;
    assert_int_equal(run_vt(close_main, NULL, NULL), 0);
    cio_loop *loop = cio_loop_new(NULL);
    assert_int_equal(cio_close(loop), 0);
    checks_assert();
}

/* ---- cio_await_result, cio_create_each, cio_cancel_release_all -------- */

static void *reraiser(void *arg) {
    void *r = NULL;
    CIO_TRY(cio_await_result(arg, &r));
    return r;
}

static void *await_result_main(void *arg) {
    (void)arg;
    /* a result comes through */
    cio_future *ok = cio_create_task(square, cio_from_int(5));
    void *r = NULL;
    CHECK_INT(cio_await_result(ok, &r), 0);
    CHECK_INT(cio_int(r), 25);
    /* a failure comes through with its message, and CIO_TRY passes it on */
    cio_future *bad = cio_create_task(fail_with, cio_from_int(3));
    cio_future *up = cio_create_task(reraiser, bad);
    CHECK_INT(cio_await(up, NULL), -EPIPE);
    CHECK_STR(cio_future_error_message(up), "pipe 3 broke");
    CHECK_INT(cio_await_result(bad, &r), -EPIPE);
    CHECK_STR(cio_last_error_message(), "pipe 3 broke");
    CHECK(r == NULL);
    /* cancelled, and a bad argument: cio_strerror's text */
    cio_future *slow = cio_create_task(sleeper, NULL);
    CHECK_INT(cio_cancel(slow, "stop"), 1);
    CHECK_INT(cio_await_result(slow, NULL), CIO_ECANCELED);
    CHECK_STR(cio_last_error_message(), "stop");
    CHECK_INT(cio_await_result(NULL, NULL), CIO_EINVAL);
    CHECK_STR(cio_last_error_message(), cio_strerror(CIO_EINVAL));
    cio_future *all[] = {ok, bad, up, slow};
    cio_release_all(all, 4);
    return NULL;
}

static void test_await_result(void **state) {
    (void)state;
    assert_int_equal(run_vt(await_result_main, NULL, NULL), 0);
    assert_int_equal(cio_await_result(NULL, NULL), CIO_ENOTASK); /* no task */
    assert_int_equal(cio_last_error(), CIO_ENOTASK);
    checks_assert();
}

typedef struct pair {
    long a, b;
} pair;

static void *add_pair(void *arg) {
    pair *p = arg;
    return cio_from_int(p->a + p->b);
}

static void *each_main(void *arg) {
    (void)arg;
    pair ps[] = {{1, 2}, {3, 4}, {5, 6}};
    cio_future *t[20] = {NULL};
    CHECK_INT(cio_create_each(t, add_pair, ps, 3), 0);
    CHECK_INT(cio_gather(t, 3, NULL), 0);
    for (int i = 0; i < 3; i++)
        CHECK_INT(cio_result_int(t[i]), 4 * i + 3);
    CHECK_INT(cio_cancel_release_all(t, 3), 0); /* all done: only released */
    /* more than fit on the stack */
    long xs[20];
    for (int i = 0; i < 20; i++)
        xs[i] = i;
    CHECK_INT(cio_create_each(t, square_at, xs, 20), 0);
    CHECK_INT(cio_gather(t, 20, NULL), 0);
    CHECK_INT(cio_result_int(t[19]), 361);
    cio_release_all(t, 20);
    /* bad input, nothing made */
    CHECK_INT(cio_create_each(t, NULL, xs, 2), CIO_EINVAL);
    CHECK_STR(cio_last_error_message(), "cio_create_each: no function");
    CHECK_INT(cio_create_each(t, square_at, (long *)NULL, 2), CIO_EINVAL);
    CHECK_INT(cio_create_each(t, square_at, xs, 0), 0);
    CHECK_INT(cio_all_tasks(NULL, NULL, 0), 1);
    /* the losers of a race are cancelled, awaited and released */
    slept_out = 0;
    CHECK_INT(cio_create_all(t, {square, NULL}, {count_cancel, NULL},
                             {count_cancel, NULL}),
              0);
    CHECK_INT(cio_wait(t, 3, CIO_FIRST_COMPLETED, CIO_NO_TIMEOUT), 1);
    cio__set_error(-EPIPE, "kept");
    CHECK_INT(cio_cancel_release_all(t, 3), 0);
    CHECK_INT(slept_out, 2);
    CHECK_INT(cio_last_error(), -EPIPE); /* what was recorded before */
    CHECK_STR(cio_last_error_message(), "kept");
    CHECK_INT(cio_all_tasks(NULL, NULL, 0), 1);
    CHECK_INT(cio_cancel_release_all(NULL, 0), 0);
    /* a range of integers */
    CHECK_INT(cio_create_range(t, square, -1, 2), 0);
    CHECK_INT(cio_gather(t, 3, NULL), 0);
    CHECK_INT(cio_result_int(t[0]) + cio_result_int(t[1]) * 10 +
                  cio_result_int(t[2]) * 100,
              101);
    cio_release_all(t, 3);
    CHECK_INT(cio_create_range(t, square, 2, 2), 0);
    CHECK_INT(cio_create_range(NULL, square, 0, 1), CIO_EINVAL);
    CHECK_INT(cio_create_range(t, NULL, 0, 1), CIO_EINVAL);
    CHECK_STR(cio_last_error_message(), "cio_create_range: no function");
    CHECK_INT(cio_all_tasks(NULL, NULL, 0), 1);
    return NULL;
}

static void test_create_each(void **state) {
    (void)state;
    assert_int_equal(run_vt(each_main, NULL, NULL), 0);
    checks_assert();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_ints),
        CIO_TEST(test_reraise_and_raise_if),
        CIO_TEST(test_err_name),
        CIO_TEST(test_raise_in_and_format),
        CIO_TEST(test_main),
        CIO_TEST(test_gather_calls),
        CIO_TEST(test_gather_calls_cancelled),
        CIO_TEST(test_create_and_range),
        CIO_TEST(test_close),
        CIO_TEST(test_await_result),
        CIO_TEST(test_create_each),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
