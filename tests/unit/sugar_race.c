/* Unit tests: the race and the results-as-they-come forms of cio/sugar.h -
 * cio_wait_first (the winner's result or failure, the losers left pending,
 * the ties seen), cio_first_completed (the same with its tasks made for it,
 * the losers left to the loop, cancelled with a cancelled caller),
 * cio_as_completed_next_result, cio_foreach_result and
 * cio_as_completed_range / cio_foreach_range_result (positions, the first
 * failure stops the loop with its message, timeouts, break), and their bad
 * input, on the virtual clock. */
#include "../cio_test.h"

#include <math.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

typedef struct job {
    double delay;
    long value; /* the result, or a failure's code when negative */
} job;

static void *work(void *arg) {
    job *j = arg;
    CIO_TRY(cio_sleep(j->delay));
    if (j->value < 0)
        return cio_raise((int)j->value, "job of %.1f s failed", j->delay);
    return cio_from_int(j->value);
}

static int diags;
static void count_diag(const char *message, void *arg) {
    (void)arg;
    if (strstr(message, "never retrieved"))
        diags++;
}

/* ---- cio_wait_first ------------------------------------------------------ */

static void *wait_first_main(void *arg) {
    (void)arg;
    job jobs[] = {{0.3, 1}, {0.1, 2}, {0.2, 3}};
    cio_future *t[3];
    CHECK_INT(cio_create_each(t, work, jobs, 3), 0);
    cio_future *winner = t[1];
    void *result = (void *)1;
    double t0 = cio_time();
    CHECK_INT(cio_wait_first(t, 3, &result), 0);
    CHECK(cio_time() - t0 < 0.1 + 1e-6);
    CHECK_INT(cio_int(result), 2);
    CHECK(t[0] == winner);
    CHECK(!cio_future_done(t[1]) && !cio_future_done(t[2])); /* not cancelled */
    CHECK_INT(cio_cancel_release_all(t, 3), 0);

    /* the winner failed: its code, its message for cio_raise_if */
    job bad[] = {{0.2, 1}, {0.1, -EPIPE}};
    CHECK_INT(cio_create_each(t, work, bad, 2), 0);
    result = (void *)1;
    CHECK_INT(cio_wait_first(t, 2, &result), -EPIPE);
    CHECK(result == NULL);
    CHECK_STR(cio_last_error_message(), "job of 0.1 s failed");
    CHECK_INT(cio_cancel_release_all(t, 2), 0);
    CHECK_STR(cio_last_error_message(), "job of 0.1 s failed");

    /* a tie of two failures: the first is returned, the other seen */
    job tie[] = {{0.1, -EIO}, {0.1, -EPIPE}, {1.0, 3}};
    diags = 0;
    CHECK_INT(cio_create_each(t, work, tie, 3), 0);
    CHECK_INT(cio_wait_first(t, 3, NULL), -EIO);
    cio_release_all(t, 3); /* the third is left to cio_run to cancel */
    CHECK_INT(diags, 0);

    /* bad input: nothing waited for */
    CHECK_INT(cio_wait_first(t, 0, &result), CIO_EINVAL);
    CHECK(cio_last_error_message()[0] != '\0');
    cio_future *holes[2] = {NULL, NULL};
    CHECK_INT(cio_wait_first(holes, 2, NULL), CIO_EINVAL);
    return NULL;
}

static void test_wait_first(void **state) {
    (void)state;
    cio_set_diagnostic_handler(count_diag, NULL);
    assert_int_equal(run_vt(wait_first_main, NULL, NULL), 0);
    cio_set_diagnostic_handler(NULL, NULL);
    checks_assert();
}

static int raced;
static void *racer(void *arg) {
    cio_future **t = arg;
    raced = cio_wait_first(t, 2, NULL);
    return cio_raise_if(raced);
}

static void *wait_first_cancelled_main(void *arg) {
    (void)arg;
    job jobs[] = {{5, 1}, {6, 2}};
    cio_future *t[2];
    CHECK_INT(cio_create_each(t, work, jobs, 2), 0);
    cio_future *r = cio_create_task(racer, t);
    CHECK_INT(cio_sleep(1), 0);
    CHECK_INT(cio_cancel(r, NULL), 1);
    CHECK_INT(cio_await(r, NULL), CIO_ECANCELED);
    CHECK_INT(raced, CIO_ECANCELED);
    CHECK(!cio_future_done(t[0]) && !cio_future_done(t[1]));
    cio_release(r);
    CHECK_INT(cio_cancel_release_all(t, 2), 0);
    return NULL;
}

static void test_wait_first_cancelled_and_outside(void **state) {
    (void)state;
    assert_int_equal(run_vt(wait_first_cancelled_main, NULL, NULL), 0);
    checks_assert();
    cio_loop *loop = cio_loop_new(NULL);
    cio_future *g = cio_future_new(loop);
    assert_int_equal(cio_wait_first(&g, 1, NULL), CIO_ENOTASK);
    cio_release(g);
    assert_int_equal(cio_loop_close(loop), 0);
}

/* ---- cio_first_completed ------------------------------------------------ */

static int finished; /* how many `counted` jobs ran to their end */
static void *counted(void *arg) {
    job *j = arg;
    CIO_TRY(cio_sleep(j->delay)); /* a cancelled one does not count */
    finished++;
    return cio_from_int(j->value);
}

static void *first_completed_main(void *arg) {
    (void)arg;
    job jobs[] = {{0.3, 1}, {0.1, 2}, {0.2, 3}};
    void *result = (void *)1;
    finished = 0;
    double t0 = cio_time();
    CHECK_INT(cio_first_completed(counted, jobs, 3, &result), 0);
    CHECK(cio_time() - t0 < 0.1 + T_EPS);
    CHECK_INT(cio_int(result), 2);
    CHECK_INT(finished, 1);
    /* the losers run on, held by the loop */
    CHECK_INT(cio_sleep(0.5), 0);
    CHECK_INT(finished, 3);

    /* the winner failed: its code, its message */
    job bad[] = {{0.2, 1}, {0.1, -EPIPE}};
    result = (void *)1;
    CHECK_INT(cio_first_completed(work, bad, 2, &result), -EPIPE);
    CHECK(result == NULL);
    CHECK_STR(cio_last_error_message(), "job of 0.1 s failed");
    CHECK_INT(cio_sleep(0.5), 0);

    /* more tasks than the call keeps on its stack; a NULL result */
    job many[10];
    for (int i = 0; i < 10; i++)
        many[i] = (job){1.0 - i * 0.05, i};
    CHECK_INT(cio_first_completed(work, many, 10, NULL), 0);

    /* a loser that fails later is reported, as asyncio reports it */
    job late[] = {{0.1, 1}, {0.2, -EIO}};
    diags = 0;
    CHECK_INT(cio_first_completed(work, late, 2, &result), 0);
    CHECK_INT(cio_sleep(2), 0); /* the ten's losers end too */
    CHECK_INT(diags, 1);

    /* bad input: nothing created */
    finished = 0;
    CHECK_INT(cio_first_completed(counted, jobs, 0, &result), CIO_EINVAL);
    CHECK(cio_last_error_message()[0] != '\0');
    CHECK_INT(cio_first_completed_at(NULL, jobs, sizeof *jobs, 3, NULL,
                                     __FILE__, __LINE__),
              CIO_EINVAL);
    CHECK_INT(cio_first_completed_at(counted, NULL, sizeof *jobs, 3, NULL,
                                     __FILE__, __LINE__),
              CIO_EINVAL);
    CHECK_INT(cio_sleep(1), 0);
    CHECK_INT(finished, 0);

    /* the last race's loser is left pending: cio_run cancels it */
    job last[] = {{0.1, 1}, {50, 2}};
    CHECK_INT(cio_first_completed(counted, last, 2, NULL), 0);
    return NULL;
}

static void test_first_completed(void **state) {
    (void)state;
    cio_set_diagnostic_handler(count_diag, NULL);
    assert_int_equal(run_vt(first_completed_main, NULL, NULL), 0);
    cio_set_diagnostic_handler(NULL, NULL);
    checks_assert();
    assert_int_equal(finished, 1); /* the 50 s loser never finished */
}

static void *first_completer(void *arg) {
    (void)arg;
    job jobs[] = {{5, 1}, {6, 2}};
    raced = cio_first_completed(counted, jobs, 2, NULL);
    return cio_raise_if(raced);
}

static void *first_completed_cancelled_main(void *arg) {
    (void)arg;
    finished = 0;
    cio_future *r = cio_create_task(first_completer, NULL);
    CHECK_INT(cio_sleep(1), 0);
    CHECK_INT(cio_cancel(r, NULL), 1);
    CHECK_INT(cio_await(r, NULL), CIO_ECANCELED);
    CHECK_INT(raced, CIO_ECANCELED);
    cio_release(r);
    CHECK_INT(cio_sleep(10), 0); /* the tasks were cancelled with it */
    CHECK_INT(finished, 0);
    return NULL;
}

static void test_first_completed_cancelled_and_outside(void **state) {
    (void)state;
    assert_int_equal(run_vt(first_completed_cancelled_main, NULL, NULL), 0);
    checks_assert();
    job jobs[] = {{0, 1}};
    cio_loop *loop = cio_loop_new(NULL);
    diag_capture();
    assert_int_equal(cio_first_completed(counted, jobs, 1, NULL), CIO_ENOTASK);
    assert_int_equal(cio_loop_close(loop), 0);
    diag_restore();
    assert_int_equal(diag_n, 0); /* nothing was created to be destroyed */
}

/* ---- results as they come ------------------------------------------------ */

static void *foreach_main(void *arg) {
    (void)arg;
    job jobs[] = {{0.4, 1}, {0.1, 2}, {0.3, 3}, {0.2, 4}};
    cio_future *t[4];
    CHECK_INT(cio_create_each(t, work, jobs, 4), 0);
    void *r;
    int i, seen = 0;
    long order[4] = {0};
    cio_foreach_result(r, t, 4, CIO_NO_TIMEOUT, i) {
        CHECK_INT(i, seen + 1);
        order[seen++] = cio_int(r);
    }
    CHECK_INT(i, 0);
    CHECK_INT(seen, 4);
    CHECK(order[0] == 2 && order[1] == 4 && order[2] == 3 && order[3] == 1);
    cio_release_all(t, 4);

    /* the first failure stops the loop, with its message */
    job bad[] = {{0.1, 1}, {0.2, -EIO}, {0.3, 3}};
    CHECK_INT(cio_create_each(t, work, bad, 3), 0);
    seen = 0;
    cio_foreach_result(r, t, 3, CIO_NO_TIMEOUT, i) seen++;
    CHECK_INT(i, -EIO);
    CHECK_INT(seen, 1);
    CHECK_STR(cio_last_error_message(), "job of 0.2 s failed");
    CHECK(!cio_future_done(t[2])); /* still running: the caller's */
    CHECK_INT(cio_cancel_release_all(t, 3), 0);

    /* a timeout: what finished before it, then CIO_ETIMEDOUT */
    job slow[] = {{0.1, 1}, {5, 2}};
    CHECK_INT(cio_create_each(t, work, slow, 2), 0);
    seen = 0;
    cio_foreach_result(r, t, 2, 0.5, i) seen++;
    CHECK_INT(i, CIO_ETIMEDOUT);
    CHECK_INT(seen, 1);
    /* break: the iterator is freed, pos is the position */
    cio_foreach_result(r, t, 2, CIO_NO_TIMEOUT, i) break;
    CHECK_INT(i, 1);
    CHECK_INT(cio_cancel_release_all(t, 2), 0);
    return NULL;
}

static void test_foreach_result(void **state) {
    (void)state;
    assert_int_equal(run_vt(foreach_main, NULL, NULL), 0);
    checks_assert();
}

static void *next_result_main(void *arg) {
    (void)arg;
    job jobs[] = {{0.2, 7}, {0.1, 8}};
    cio_future *t[3];
    CHECK_INT(cio_create_each(t, work, jobs, 2), 0);
    t[2] = t[0]; /* listed twice: yielded once */
    cio_as_completed_iter *it = cio_as_completed(t, 3, CIO_NO_TIMEOUT);
    void *r = (void *)1;
    CHECK_INT(cio_as_completed_next_result(it, &r), 1);
    CHECK_INT(cio_int(r), 8);
    CHECK_INT(cio_as_completed_next_result(it, NULL), 2);
    r = (void *)1;
    CHECK_INT(cio_as_completed_next_result(it, &r), 0);
    CHECK(r == NULL);
    CHECK_INT(cio_as_completed_free(it), 0);
    r = (void *)1;
    CHECK_INT(cio_as_completed_next_result(NULL, &r), CIO_EINVAL);
    CHECK(r == NULL);
    CHECK(strstr(cio_last_error_message(), "next_result") != NULL);
    cio_release_all(t, 2);
    return NULL;
}

static void test_next_result(void **state) {
    (void)state;
    assert_int_equal(run_vt(next_result_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- as_completed over the tasks it starts --------------------------------
 */

static const double range_delays[] = {0.4, 0.1, 0.3, 0.2}; /* fn(0)..fn(3) */
static bool range_fails;
static void *ranged(void *arg) {
    long i = cio_int(arg);
    CIO_TRY(cio_sleep(range_delays[i]));
    finished++;
    if (range_fails && i == 1)
        return cio_raise(CIO_ETIMEDOUT, "task %ld gave up", i);
    return cio_from_int(10 + i);
}

static void *range_main(void *arg) {
    (void)arg;
    long *r;
    int i, order[4] = {0}, seen = 0;
    finished = 0;
    cio_foreach_range_result(r, ranged, 0, 4, i) {
        CHECK_INT(i, seen + 1);
        order[seen++] = (int)cio_int(r);
    }
    CHECK_INT(i, 0);
    CHECK_INT(seen, 4);
    CHECK(order[0] == 11 && order[1] == 13 && order[2] == 12 && order[3] == 10);

    /* a break: the tasks not yet yielded run on, held by the loop */
    finished = 0;
    cio_foreach_range_result(r, ranged, 0, 4, i) break;
    CHECK_INT(i, 1);
    CHECK_INT(finished, 1);
    CHECK_INT(cio_sleep(1), 0);
    CHECK_INT(finished, 4);

    /* the first failure stops the loop with its code and message */
    range_fails = true; /* fn(1), the first to finish, fails */
    seen = 0;
    cio_foreach_range_result(r, ranged, 0, 4, i) seen++;
    CHECK_INT(i, CIO_ETIMEDOUT);
    CHECK_INT(seen, 0);
    CHECK_STR(cio_last_error_message(), "task 1 gave up");
    range_fails = false;
    CHECK_INT(cio_sleep(1), 0);

    /* an empty range yields nothing; a NULL fn is an error */
    seen = 0;
    cio_foreach_range_result(r, ranged, 5, 5, i) seen++;
    CHECK_INT(i, 0);
    CHECK_INT(seen, 0);
    cio_foreach_range_result(r, NULL, 0, 2, i) seen++;
    CHECK_INT(i, CIO_EINVAL);
    CHECK_INT(seen, 0);

    /* with a timeout; a bad timeout makes nothing run */
    finished = 0;
    cio_as_completed_iter *it = cio_as_completed_range(ranged, 0, 4, 0.25);
    CHECK(it != NULL);
    void *v;
    CHECK_INT(cio_as_completed_next_result(it, &v), 1);
    CHECK_INT(cio_as_completed_next_result(it, &v), 2);
    CHECK_INT(cio_as_completed_next_result(it, &v), CIO_ETIMEDOUT);
    CHECK_INT(cio_as_completed_free(it), 0);
    CHECK(cio_as_completed_range(ranged, 0, 4, NAN) == NULL);
    CHECK_INT(cio_last_error(), CIO_EINVAL);
    CHECK_INT(cio_sleep(1), 0);
    CHECK_INT(finished, 4); /* the first four; the bad timeout's none */
    return NULL;
}

static void test_range_result(void **state) {
    (void)state;
    cio_set_diagnostic_handler(count_diag, NULL);
    diags = 0;
    assert_int_equal(run_vt(range_main, NULL, NULL), 0);
    cio_set_diagnostic_handler(NULL, NULL);
    checks_assert();
    assert_int_equal(diags, 0);
    cio_loop *loop = cio_loop_new(NULL);
    assert_null(cio_as_completed_range(ranged, 0, 2, CIO_NO_TIMEOUT));
    assert_int_equal(cio_last_error(), CIO_ENOTASK);
    assert_int_equal(cio_loop_close(loop), 0);
}

/* ---- cio_loop_main ------------------------------------------------------ */

static void *ok_main(void *arg) {
    CIO_TRY(cio_sleep(0));
    (*(int *)arg)++;
    return NULL;
}

static void *failing_main(void *arg) {
    (void)arg;
    CIO_TRY(cio_sleep(0));
    return cio_raise(CIO_ETIMEDOUT, "no answer from %s", "ipify");
}

/* cio_loop_main(loop, fn, arg) with stderr going to a file: what it
 * printed, and the status in *status. */
static const char *loop_main(cio_loop *loop, cio_task_fn fn, void *arg,
                             int *status) {
    static char text[1024];
    char path[] = "/tmp/cio-race-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    *status = cio_loop_main(loop, fn, arg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    text[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
    return text;
}

/* A thread with no error recorded yet: a NULL loop is a misuse. */
static void *null_loop_thread(void *arg) {
    int status;
    const char *err = loop_main(NULL, ok_main, NULL, &status);
    *(int *)arg = status == 1 && strstr(err, "cio_loop_main: NULL loop");
    return NULL;
}

static void test_loop_main(void **state) {
    (void)state;
    cio_loop *loop = cio_loop_new(NULL);
    assert_non_null(loop);
    int runs = 0, status = -1;
    assert_string_equal(loop_main(loop, ok_main, &runs, &status), "");
    assert_int_equal(status, 0);
    assert_int_equal(runs, 1);
    /* the loop stays open: it runs a second main */
    const char *err = loop_main(loop, failing_main, NULL, &status);
    assert_int_equal(status, 1);
    assert_non_null(strstr(err, ": no answer from ipify (CIO_ETIMEDOUT)\n"));
    err = loop_main(loop, NULL, NULL, &status);
    assert_int_equal(status, 1);
    assert_non_null(strstr(err, ": cio_loop_main: NULL function (CIO_EINVAL)"));
    assert_int_equal(cio_loop_close(loop), 0);
    /* a failed cio_loop_new: its own error is what is reported */
    cio_loop_options bad = {.stack_size = 1};
    assert_null(cio_loop_new(&bad));
    err = loop_main(NULL, ok_main, &runs, &status);
    assert_int_equal(status, 1);
    assert_non_null(strstr(err, "(CIO_EINVAL)"));
    assert_null(strstr(err, "NULL loop"));
    assert_int_equal(runs, 1);
    pthread_t th;
    int ok = 0;
    assert_int_equal(pthread_create(&th, NULL, null_loop_thread, &ok), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(ok);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_wait_first),
        CIO_TEST(test_wait_first_cancelled_and_outside),
        CIO_TEST(test_first_completed),
        CIO_TEST(test_first_completed_cancelled_and_outside),
        CIO_TEST(test_foreach_result),
        CIO_TEST(test_range_result),
        CIO_TEST(test_next_result),
        CIO_TEST(test_loop_main),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
