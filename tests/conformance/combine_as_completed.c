/* Conformance: asyncio.as_completed, re-expressed with cio_as_completed,
 * cio_as_completed_next and cio_foreach_completed. Each test names the
 * CPython test_asyncio case or the asyncio documentation paragraph it
 * follows. In C the iterator yields the futures themselves (as asyncio
 * 3.13's `async for` does); their results are read from them. */
#include "../cio_test.h"
#include "../combine_util.h"

/* test_tasks.py test_as_completed: the futures come in the order they
 * finish, not the order given. */
static void *completion_order(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 0.1, .value = 'a'};
    job b = {.id = 2, .delay = 0.15, .value = 'b'};
    job c = {.id = 3, .delay = 0.05, .value = 'c'};
    cio_future *t[] = {spawn(&b), spawn(&c), spawn(&a)};
    cio_as_completed_iter *it = cio_as_completed(t, 3, CIO_NO_TIMEOUT);
    CHECK(it != NULL);
    cio_future *f;
    int rc;
    while ((rc = cio_as_completed_next(it, &f)) > 0)
        ev_log(PINT(cio_future_result(f)));
    CHECK_INT(rc, 0);
    CHECK_PTR(f, NULL);
    CHECK_INT(cio_as_completed_next(it, &f), 0); /* stays at the end */
    cio_as_completed_free(it);
    cio_release_all(t, 3);
    return NULL;
}

static void test_as_completed_order(void **state) {
    (void)state;
    RUN(completion_order, NULL);
    ev_assert(3, 'c', 1, 'a', 2, 'b'); /* each yielded as it ends */
}

/* test_tasks.py test_as_completed_with_timeout: what finished before the
 * timeout is yielded, then the next call fails with TimeoutError; the
 * pending future is not cancelled. */
static void *with_timeout(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 0.1, .value = 'a'};
    job b = {.id = 2, .delay = 0.15, .value = 'b'};
    cio_future *t[] = {spawn(&a), spawn(&b)};
    double t0 = now();
    cio_as_completed_iter *it = cio_as_completed(t, 2, 0.12);
    cio_future *f;
    CHECK_INT(cio_as_completed_next(it, &f), 1);
    CHECK_PTR(f, t[0]);
    CHECK_INT(cio_as_completed_next(it, &f), CIO_ETIMEDOUT);
    CHECK(now() - t0 < 0.15); /* at the deadline, before b */
    CHECK(!cio_future_done(t[1]));
    CHECK_INT(cio_as_completed_next(it, &f), CIO_ETIMEDOUT); /* sticky */
    cio_as_completed_free(it);
    CHECK_INT(cio_await(t[1], NULL), 0); /* b was not cancelled */
    cio_release_all(t, 2);
    return NULL;
}

static void test_as_completed_with_timeout(void **state) {
    (void)state;
    RUN(with_timeout, NULL);
}

/* test_tasks.py test_as_completed_with_timeout, second half: futures that
 * finished before the deadline but were not taken yet still come first. */
static void *done_before_deadline_first(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 0.1, .value = 'a'};
    job b = {.id = 2, .delay = 0.2, .value = 'b'};
    job c = {.id = 3, .delay = 5, .value = 'c'};
    cio_future *t[] = {spawn(&a), spawn(&b), spawn(&c)};
    cio_as_completed_iter *it = cio_as_completed(t, 3, 1.0);
    CHECK_INT(cio_sleep(2), 0); /* a and b finish, then the deadline */
    cio_future *f;
    CHECK_INT(cio_as_completed_next(it, &f), 1);
    CHECK_PTR(f, t[0]);
    CHECK_INT(cio_as_completed_next(it, &f), 1);
    CHECK_PTR(f, t[1]);
    CHECK_INT(cio_as_completed_next(it, &f), CIO_ETIMEDOUT);
    cio_as_completed_free(it);
    CHECK_INT(cio_cancel_all(t, 3), 0);
    cio_release_all(t, 3);
    return NULL;
}

static void test_as_completed_done_before_timeout_come_first(void **state) {
    (void)state;
    RUN(done_before_deadline_first, NULL);
}

/* test_tasks.py test_as_completed_with_unused_timeout: everything finishes
 * in time: no TimeoutError, the iteration simply ends. */
static void *unused_timeout(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 0.01, .value = 'a'};
    cio_future *t = spawn(&a);
    cio_as_completed_iter *it = cio_as_completed(&t, 1, 1.0);
    cio_future *f;
    CHECK_INT(cio_as_completed_next(it, &f), 1);
    CHECK_INT(PINT(cio_future_result(f)), 'a');
    CHECK_INT(cio_as_completed_next(it, &f), 0);
    CHECK_INT(cio_sleep(2), 0); /* past the deadline: still just the end */
    CHECK_INT(cio_as_completed_next(it, &f), 0);
    cio_as_completed_free(it);
    cio_release(t);
    return NULL;
}

static void test_as_completed_with_unused_timeout(void **state) {
    (void)state;
    RUN(unused_timeout, NULL);
}

/* docs, asyncio.as_completed: "Run awaitable objects in the aws iterable
 * concurrently. The returned object can be iterated to obtain the results
 * of the awaitables as they finish." Ties: futures that finish in the same
 * loop pass come in the order they finished (tasks sleeping equally long
 * wake in the order they went to sleep; futures set by one callback, in
 * the order they were set). */
static void set_b_then_a(void *arg) {
    cio_future **fs = arg;
    cio_future_set_result(fs[1], IPTR('b'));
    cio_future_set_result(fs[0], IPTR('a'));
}

static void *ties(void *arg) {
    (void)arg;
    job x = {.id = 1, .delay = 1, .value = 'x'};
    job y = {.id = 2, .delay = 1, .value = 'y'};
    job z = {.id = 3, .delay = 1, .value = 'z'};
    cio_future *t[] = {spawn(&z), spawn(&x), spawn(&y)}; /* z sleeps first */
    cio_future *f;
    int err;
    cio_foreach_completed(f, t, 3, CIO_NO_TIMEOUT, err) {
        ev_log(PINT(cio_future_result(f)));
    }
    CHECK_INT(err, 0);
    cio_release_all(t, 3);

    cio_future *p[] = {cio_future_new(NULL), cio_future_new(NULL)};
    CHECK_INT(cio_call_later(NULL, 1, set_b_then_a, p, NULL), 0);
    cio_foreach_completed(f, p, 2, CIO_NO_TIMEOUT, err) {
        ev_log(PINT(cio_future_result(f)));
    }
    CHECK_INT(err, 0);
    cio_release_all(p, 2);
    return NULL;
}

static void test_as_completed_ties(void **state) {
    (void)state;
    RUN(ties, NULL);
    ev_assert(3, 1, 2, 'z', 'x', 'y', 'b', 'a');
}

/* test_tasks.py test_as_completed_duplicate_coroutines: a future given
 * twice is yielded once. */
static void *duplicates(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 1, .value = 'h'};
    job b = {.id = 2, .delay = 2, .value = 's'};
    cio_future *ta = spawn(&a), *tb = spawn(&b);
    cio_future *t[] = {ta, ta, tb};
    cio_future *f;
    int err, n = 0;
    cio_foreach_completed(f, t, 3, CIO_NO_TIMEOUT, err) {
        n++;
    }
    CHECK_INT(err, 0);
    CHECK_INT(n, 2);
    cio_release(ta);
    cio_release(tb);
    return NULL;
}

static void test_as_completed_duplicate_future(void **state) {
    (void)state;
    RUN(duplicates, NULL);
}

/* docs, asyncio.as_completed: an empty iterable yields nothing. */
static void *empty(void *arg) {
    (void)arg;
    cio_future *f = IPTR(1);
    int err = 1, n = 0;
    cio_foreach_completed(f, NULL, 0, 1.0, err) {
        n++;
    }
    CHECK_INT(err, 0);
    CHECK_INT(n, 0);
    CHECK_PTR(f, NULL);
    return NULL;
}

static void test_as_completed_empty(void **state) {
    (void)state;
    RUN(empty, NULL);
}

/* docs, asyncio.as_completed: futures already done are yielded too (in the
 * order given, their callbacks being scheduled in that order), before one
 * that finishes later. */
static void *already_done(void *arg) {
    (void)arg;
    cio_future *p[] = {cio_future_new(NULL), cio_future_new(NULL),
                       cio_future_new(NULL)};
    cio_future_set_result(p[2], IPTR('c'));
    cio_future_set_result(p[1], IPTR('b'));
    cio_as_completed_iter *it = cio_as_completed(p, 3, CIO_NO_TIMEOUT);
    cio_future *f;
    CHECK_INT(cio_as_completed_next(it, &f), 1);
    CHECK_PTR(f, p[1]);
    CHECK_INT(cio_as_completed_next(it, &f), 1);
    CHECK_PTR(f, p[2]);
    cio_future_set_result(p[0], IPTR('a'));
    CHECK_INT(cio_as_completed_next(it, &f), 1);
    CHECK_PTR(f, p[0]);
    CHECK_INT(cio_as_completed_next(it, &f), 0);
    cio_as_completed_free(it);
    cio_release_all(p, 3);
    return NULL;
}

static void test_as_completed_already_done(void **state) {
    (void)state;
    RUN(already_done, NULL);
}

/* docs, asyncio.as_completed: "Raises TimeoutError if the timeout occurs
 * before all awaitables are done." With timeout 0, what is already done
 * comes out, then the TimeoutError. */
static void *timeout_zero(void *arg) {
    (void)arg;
    cio_future *p[] = {cio_future_new(NULL), cio_future_new(NULL)};
    cio_future_set_result(p[1], NULL);
    cio_future *f;
    int err, n = 0;
    cio_foreach_completed(f, p, 2, 0, err) {
        CHECK_PTR(f, p[1]);
        n++;
    }
    CHECK_INT(n, 1);
    CHECK_INT(err, CIO_ETIMEDOUT);
    CHECK(!cio_future_done(p[0]));
    cio_release_all(p, 2);
    return NULL;
}

static void test_as_completed_timeout_zero(void **state) {
    (void)state;
    RUN(timeout_zero, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_as_completed_order),
        CIO_TEST(test_as_completed_with_timeout),
        CIO_TEST(test_as_completed_done_before_timeout_come_first),
        CIO_TEST(test_as_completed_with_unused_timeout),
        CIO_TEST(test_as_completed_ties),
        CIO_TEST(test_as_completed_duplicate_future),
        CIO_TEST(test_as_completed_empty),
        CIO_TEST(test_as_completed_already_done),
        CIO_TEST(test_as_completed_timeout_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
