/* Unit tests: error codes, cio_strerror, cio_last_error, the diagnostic
 * handler, and every call's answer to NULL arguments. */
#include "../cio_test.h"

#include <ctype.h>
#include <unistd.h>

static bool contains_nocase(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] &&
               tolower((unsigned char)hay[i]) ==
                   tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return n == 0;
}

static void test_strerror_cio_codes(void **state) {
    (void)state;
    const int codes[] = {CIO_EINVAL,      CIO_ENOMEM,     CIO_ECANCELED,
                         CIO_ETIMEDOUT,   CIO_EDEADLK,    CIO_EINVALIDSTATE,
                         CIO_ENOTASK,     CIO_EWRONGLOOP, CIO_ELOOPRUNNING,
                         CIO_ELOOPCLOSED, CIO_ENOLOOP,    CIO_ESTOPPED,
                         CIO_ECOMPACT};
    const size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++) {
        const char *s = cio_strerror(codes[i]);
        assert_non_null(s);
        if (strlen(s) < 4)
            fail_msg("cio_strerror(%d) = \"%s\"", codes[i], s);
        for (size_t j = 0; j < i; j++)
            if (strcmp(s, cio_strerror(codes[j])) == 0)
                fail_msg("codes %d and %d share the text \"%s\"", codes[i],
                         codes[j], s);
    }
    /* the static string stays the same */
    assert_ptr_equal(cio_strerror(CIO_ENOTASK), cio_strerror(CIO_ENOTASK));
    /* success and unknown codes still get a sentence */
    assert_non_null(cio_strerror(0));
    assert_true(strlen(cio_strerror(0)) > 0);
    assert_non_null(cio_strerror(-99999));
    assert_true(strlen(cio_strerror(-99999)) > 0);
    assert_string_not_equal(cio_strerror(0), cio_strerror(CIO_EINVAL));
}

static void test_strerror_errno_values(void **state) {
    (void)state;
    const int errs[] = {ENOENT, EPIPE, ECONNREFUSED, EACCES};
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        const char *s = cio_strerror(-errs[i]);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        if (!contains_nocase(s, strerror(errs[i])))
            fail_msg("cio_strerror(-%d) = \"%s\", strerror says \"%s\"",
                     errs[i], s, strerror(errs[i]));
    }
    assert_string_not_equal(cio_strerror(-ENOENT), cio_strerror(-EPIPE));
}

static void test_last_error(void **state) {
    (void)state;
    assert_null(cio_get_loop());
    assert_null(cio_future_new(NULL));
    assert_int_equal(cio_last_error(), CIO_ENOLOOP);
    const char *m = cio_last_error_message();
    assert_non_null(m);
    assert_true(strlen(m) > 0);
    /* a successful call does not clear it */
    cio_loop *loop = cio_loop_new(NULL);
    assert_non_null(loop);
    cio_future *f = cio_future_new(NULL);
    assert_non_null(f);
    assert_int_equal(cio_last_error(), CIO_ENOLOOP);
    /* the next failure replaces it */
    assert_null(cio_create_task_ex(loop, NULL, NULL, NULL));
    assert_int_equal(cio_last_error(), CIO_EINVAL);
    cio_release(f);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void cb_nop(void *arg) {
    (void)arg;
}
static void done_nop(cio_future *f, void *arg) {
    (void)f;
    (void)arg;
}

static int g_in_task_rc[4];
static void *null_in_task(void *arg) {
    (void)arg;
    g_in_task_rc[0] = cio_await(NULL, NULL);
    g_in_task_rc[1] = cio_task_uncancel(NULL);
    g_in_task_rc[2] = cio_sleep(NAN);
    return NULL;
}

/* One walk over every call with a NULL where a pointer is required. */
static void test_null_arguments(void **state) {
    (void)state;
    cio_loop *loop = cio_loop_new(NULL);
    assert_non_null(loop);
    cio_future *f = cio_future_new(loop);
    assert_non_null(f);

    /* loops */
    assert_int_equal(cio_loop_run_forever(NULL), CIO_EINVAL);
    assert_int_equal(cio_loop_run_until_complete(NULL, NULL, NULL, NULL),
                     CIO_EINVAL);
    assert_int_equal(cio_loop_run_until_complete(loop, NULL, NULL, NULL),
                     CIO_EINVAL);
    assert_int_equal(cio_loop_run_until_done(NULL, f, NULL), CIO_EINVAL);
    assert_int_equal(cio_loop_run_until_done(loop, NULL, NULL), CIO_EINVAL);
    assert_int_equal(cio_loop_stop(NULL), CIO_EINVAL);
    assert_null(cio_loop_uv(NULL));
    assert_int_equal(cio_run(NULL, NULL, NULL), CIO_EINVAL);
    assert_int_equal(cio_run_ex(NULL, NULL, NULL, NULL), CIO_EINVAL);

    /* callbacks and handles */
    assert_int_equal(cio_call_soon(loop, NULL, NULL, NULL), CIO_EINVAL);
    assert_int_equal(cio_call_later(loop, 1, NULL, NULL, NULL), CIO_EINVAL);
    assert_int_equal(cio_call_at(loop, 1, NULL, NULL, NULL), CIO_EINVAL);
    assert_int_equal(cio_handle_cancel(NULL), CIO_EINVAL);
    assert_false(cio_handle_cancelled(NULL));

    /* futures */
    assert_null(cio_retain(NULL));
    cio_release(NULL);
    assert_int_equal(cio_future_set_result(NULL, NULL), CIO_EINVAL);
    assert_int_equal(cio_future_set_error(NULL, -EIO, NULL), CIO_EINVAL);
    assert_int_equal(cio_cancel(NULL, NULL), CIO_EINVAL);
    assert_false(cio_future_done(NULL));
    assert_false(cio_future_cancelled(NULL));
    assert_null(cio_future_result(NULL));
    assert_int_equal(cio_future_error(NULL), CIO_EINVAL);
    assert_null(cio_future_error_message(NULL));
    assert_null(cio_future_loop(NULL));
    assert_int_equal(cio_future_add_done_callback(NULL, done_nop, NULL),
                     CIO_EINVAL);
    assert_int_equal(cio_future_add_done_callback(f, NULL, NULL), CIO_EINVAL);
    assert_int_equal(cio_future_remove_done_callback(NULL, done_nop, NULL),
                     CIO_EINVAL);
    assert_int_equal(cio_future_remove_done_callback(f, NULL, NULL),
                     CIO_EINVAL);

    /* tasks */
    assert_null(cio_create_task_ex(loop, NULL, NULL, NULL));
    assert_int_equal(cio_last_error(), CIO_EINVAL);
    assert_false(cio_is_task(NULL));
    assert_null(cio_task_get_name(NULL));
    assert_int_equal(cio_task_set_name(NULL, "x"), CIO_EINVAL);
    assert_true(cio_task_cancelling(NULL) <= 0);
    assert_int_equal(cio_task_uncancel(NULL), CIO_EINVAL);
    assert_int_equal(cio_task_uncancel(f), CIO_EINVAL); /* a plain future */
    assert_int_equal(cio_task_cancelling(f), 0);
    assert_int_equal(cio_dump_tasks(loop, NULL), CIO_EINVAL);
    assert_true(cio_all_tasks(loop, NULL, 0) >= 0);

    /* the future is untouched by all of that */
    assert_int_equal(cio_future_state(f), CIO_PENDING);
    cio_release(f);

    /* inside a task */
    g_in_task_rc[0] = g_in_task_rc[1] = g_in_task_rc[2] = 1;
    assert_int_equal(
        cio_loop_run_until_complete(loop, null_in_task, NULL, NULL), 0);
    assert_int_equal(g_in_task_rc[0], CIO_EINVAL);
    assert_int_equal(g_in_task_rc[1], CIO_EINVAL);
    assert_int_equal(g_in_task_rc[2], CIO_EINVAL);
    assert_int_equal(cio_call_soon(loop, cb_nop, NULL, NULL), 0);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void test_no_loop_errors(void **state) {
    (void)state;
    assert_null(cio_get_loop());
    assert_null(cio_future_new(NULL));
    assert_int_equal(cio_last_error(), CIO_ENOLOOP);
    assert_null(cio_create_task(null_in_task, NULL));
    assert_int_equal(cio_last_error(), CIO_ENOLOOP);
    assert_int_equal(cio_call_soon(NULL, cb_nop, NULL, NULL), CIO_ENOLOOP);
    assert_true(cio_all_tasks(NULL, NULL, 0) < 0);
}

static void *lost_task(void *arg) {
    (void)arg;
    cio_sleep(100);
    return NULL;
}

static void *yield_once(void *arg) {
    (void)arg;
    cio_sleep(0);
    return NULL;
}

/* The default handler writes "cio: MESSAGE\n" to stderr. */
static void test_default_diagnostic_handler(void **state) {
    (void)state;
    char path[] = "/tmp/cio-diag-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fd, 2), 2);

    cio_set_diagnostic_handler(NULL, NULL);
    cio_loop *loop = cio_loop_new(vt_opts());
    cio_future *t = cio_create_task_ex(loop, lost_task, NULL,
                                       &(cio_task_options){.name = "lost"});
    int rc = cio_loop_run_until_complete(loop, yield_once, NULL, NULL);
    cio_release(t);
    int crc = cio_loop_close(loop);
    fflush(stderr);

    dup2(saved, 2);
    close(saved);
    char buf[4096] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    assert_int_equal(rc, 0);
    assert_int_equal(crc, 0);
    assert_true(n > 0);
    if (!strstr(buf, "cio: task 'lost' was destroyed but it is pending"))
        fail_msg("stderr was: %s", buf);
}

static void test_diagnostic_handler_receives_message(void **state) {
    (void)state;
    diag_capture();
    cio_loop *loop = cio_loop_new(vt_opts());
    cio_future *t = cio_create_task_ex(loop, lost_task, NULL,
                                       &(cio_task_options){.name = "lost2"});
    assert_int_equal(cio_loop_run_until_complete(loop, yield_once, NULL, NULL),
                     0);
    cio_release(t);
    assert_int_equal(cio_loop_close(loop), 0);
    diag_restore();
    assert_int_equal(diag_n, 1);
    /* the handler gets the bare message, without the "cio: " prefix */
    const char *want = "task 'lost2' was destroyed but it is pending";
    if (strncmp(diag_msgs[0], want, strlen(want)) != 0)
        fail_msg("diagnostic was \"%s\"", diag_msgs[0]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_strerror_cio_codes),
        CIO_TEST(test_strerror_errno_values),
        CIO_TEST(test_last_error),
        CIO_TEST(test_null_arguments),
        CIO_TEST(test_no_loop_errors),
        CIO_TEST(test_default_diagnostic_handler),
        CIO_TEST(test_diagnostic_handler_receives_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
