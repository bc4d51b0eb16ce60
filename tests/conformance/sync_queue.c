/* Conformance: cio_queue, re-expressing CPython's
 * Lib/test/test_asyncio/test_queues.py (Python 3.13: QueueBasicTests,
 * QueueGetTests, QueuePutTests, LifoQueueTests, PriorityQueueTests, the
 * join and shutdown mixins run for each kind). Each test names the CPython
 * test it follows. Items are small integers in pointers. Peeks at
 * `_getters`/`_putters` become cio_queue_free() succeeding (it refuses while
 * a task waits). */
#include "../cio_test.h"

static cio_queue *g_q;
static cio_queue_kind g_kind;

static int by_value(const void *a, const void *b, void *arg) {
    (void)arg;
    intptr_t x = (intptr_t)a, y = (intptr_t)b;
    return (x > y) - (x < y);
}

static cio_queue *new_q(size_t maxsize) {
    return cio_queue_new_ex(NULL, &(cio_queue_options){.kind = g_kind,
                                                       .maxsize = maxsize,
                                                       .compare = by_value});
}

static void cancel_cb(void *arg) {
    cio_cancel(arg, NULL);
}

static void *getter(void *arg) {
    (void)arg;
    void *item = NULL;
    int rc = cio_queue_get(g_q, &item);
    return rc ? cio_raise(rc, NULL) : item;
}

static void *putter(void *arg) {
    int rc = cio_queue_put(g_q, arg);
    return rc ? cio_raise(rc, NULL) : IPTR(1);
}

static int get_int(void) {
    void *item = NULL;
    CHECK_INT(cio_queue_get(g_q, &item), 0);
    return PINT(item);
}

/* ---- QueueBasicTests ---------------------------------------------------- */

static void *basic_main(void *arg) {
    (void)arg;
    g_q = new_q(0);
    CHECK(cio_queue_empty(g_q)); /* test_empty */
    CHECK_INT(cio_queue_put(g_q, IPTR(1)), 0);
    CHECK(!cio_queue_empty(g_q));
    CHECK_INT(get_int(), 1);
    CHECK(cio_queue_empty(g_q));
    CHECK(!cio_queue_full(g_q)); /* test_full: never for maxsize 0 */
    CHECK_INT(cio_queue_free(g_q), 0);
    g_q = new_q(1);
    CHECK_INT(cio_queue_put(g_q, IPTR(1)), 0);
    CHECK(cio_queue_full(g_q));
    CHECK_INT(cio_queue_maxsize(g_q), 1);
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

/* QueueBasicTests.test_empty, test_full. */
static void test_queue_empty_full(void **state) {
    (void)state;
    g_kind = CIO_QUEUE_FIFO;
    assert_int_equal(run_vt(basic_main, NULL, NULL), 0);
    checks_assert();
}

static void *order_main(void *arg) {
    (void)arg;
    g_q = new_q(0);
    int in[] = {1, 3, 2};
    for (int i = 0; i < 3; i++)
        CHECK_INT(cio_queue_put(g_q, IPTR(in[i])), 0);
    for (int i = 0; i < 3; i++)
        ev_log(get_int());
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

/* QueueBasicTests.test_order. */
static void test_queue_order_fifo(void **state) {
    (void)state;
    g_kind = CIO_QUEUE_FIFO;
    assert_int_equal(run_vt(order_main, NULL, NULL), 0);
    checks_assert();
    ev_assert(1, 3, 2);
}

/* LifoQueueTests.test_order. */
static void test_queue_order_lifo(void **state) {
    (void)state;
    g_kind = CIO_QUEUE_LIFO;
    assert_int_equal(run_vt(order_main, NULL, NULL), 0);
    checks_assert();
    ev_assert(2, 3, 1);
}

/* PriorityQueueTests.test_order. */
static void test_queue_order_priority(void **state) {
    (void)state;
    g_kind = CIO_QUEUE_PRIORITY;
    assert_int_equal(run_vt(order_main, NULL, NULL), 0);
    checks_assert();
    ev_assert(1, 2, 3);
}

/* Items are (priority, id) packed as priority * 100 + id. */
static int by_priority(const void *a, const void *b, void *arg) {
    CHECK_PTR(arg, &g_q);
    intptr_t x = (intptr_t)a / 100, y = (intptr_t)b / 100;
    return (x > y) - (x < y);
}

static void *stability_main(void *arg) {
    (void)arg;
    g_q = cio_priority_queue_new(0, by_priority, &g_q);
    /* ids 1..12 with priorities 2,1,3,2,1,... : equal ones keep put order */
    for (int id = 1; id <= 12; id++)
        CHECK_INT(cio_queue_put_nowait(g_q, IPTR((id * 7 % 3 + 1) * 100 + id)),
                  0);
    while (!cio_queue_empty(g_q))
        ev_log(get_int());
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

/* (cio) a priority queue is stable: equal priorities come out FIFO (with
 * a heap and a comparator of its own; asyncio compares the items). */
static void test_queue_priority_stable(void **state) {
    (void)state;
    assert_int_equal(run_vt(stability_main, NULL, NULL), 0);
    checks_assert();
    /* id*7%3+1: id 1->2, 2->3, 3->1, 4->2, 5->3, 6->1, 7->2, 8->3, ... */
    ev_assert(103, 106, 109, 112, 201, 204, 207, 210, 302, 305, 308, 311);
}

static int g_have_been_put[8], g_nput;
static void *put_three(void *arg) {
    (void)arg;
    for (int i = 0; i < 3; i++) {
        CHECK_INT(cio_queue_put(g_q, IPTR(i)), 0);
        g_have_been_put[g_nput++] = i;
    }
    return IPTR(1);
}

static void *maxsize_main(void *arg) {
    (void)arg;
    g_nput = 0;
    g_q = new_q(2);
    CHECK_INT(cio_queue_maxsize(g_q), 2);
    cio_future *t = cio_create_task(put_three, NULL);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(g_nput, 2); /* blocked after two */
    CHECK_INT(get_int(), 0);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(g_nput, 3);
    CHECK_INT(get_int(), 1);
    CHECK_INT(get_int(), 2);
    CHECK(cio_future_done(t));
    CHECK_INT(PINT(cio_future_result(t)), 1);
    cio_release(t);
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

/* QueueBasicTests.test_maxsize. */
static void test_queue_maxsize(void **state) {
    (void)state;
    g_kind = CIO_QUEUE_FIFO;
    assert_int_equal(run_vt(maxsize_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- QueueGetTests ------------------------------------------------------ */

static void *get_basics_main(void *arg) {
    (void)arg;
    g_q = new_q(0);
    void *item = IPTR(9);
    CHECK_INT(cio_queue_get_nowait(g_q, &item), CIO_EQUEUEEMPTY);
    CHECK(item == NULL);
    CHECK_INT(cio_queue_put_nowait(g_q, IPTR(1)), 0);
    CHECK_INT(cio_queue_get_nowait(g_q, &item), 0); /* test_nonblocking_get */
    CHECK_INT(PINT(item), 1);
    CHECK_INT(cio_queue_put_nowait(g_q, IPTR(1)), 0);
    CHECK_INT(get_int(), 1); /* test_blocking_get */
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

/* QueueGetTests.test_blocking_get, test_nonblocking_get,
 * test_nonblocking_get_exception. */
static void test_queue_get_basics(void **state) {
    (void)state;
    g_kind = CIO_QUEUE_FIFO;
    assert_int_equal(run_vt(get_basics_main, NULL, NULL), 0);
    checks_assert();
}

static void put_one_cb(void *arg) {
    CHECK_INT(cio_queue_put_nowait(g_q, arg), 0);
}

static void *get_wait_main(void *arg) {
    (void)arg;
    g_q = new_q(0);
    cio_future *t = cio_create_task(getter, NULL);
    CHECK_INT(cio_sleep(0), 0);
    CHECK(!cio_future_done(t));
    CHECK_INT(cio_call_later(NULL, 0.01, put_one_cb, IPTR(1), NULL), 0);
    void *r = NULL;
    CHECK_INT(cio_await(t, &r), 0);
    CHECK_INT(PINT(r), 1);
    cio_release(t);
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

/* QueueGetTests.test_blocking_get_wait: put_nowait from a callback wakes a
 * waiting getter. */
static void test_queue_blocking_get_wait(void **state) {
    (void)state;
    g_kind = CIO_QUEUE_FIFO;
    assert_int_equal(run_vt(get_wait_main, NULL, NULL), 0);
    checks_assert();
}

static void *get_cancelled_race_main(void *arg) {
    (void)arg;
    g_q = new_q(0);
    cio_future *t1 = cio_create_task(getter, NULL);
    cio_future *t2 = cio_create_task(getter, NULL);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_cancel(t1, NULL), 1);
    CHECK_INT(cio_sleep(0), 0);
    CHECK(cio_future_done(t1));
    CHECK_INT(cio_queue_put(g_q, IPTR('a')), 0);
    CHECK_INT(cio_sleep(0), 0);
    void *r = NULL;
    CHECK_INT(cio_await(t2, &r), 0);
    CHECK_INT(PINT(r), 'a');
    cio_release(t1);
    cio_release(t2);
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

/* QueueGetTests.test_get_cancelled_race. */
static void test_queue_get_cancelled_race(void **state) {
    (void)state;
    g_kind = CIO_QUEUE_FIFO;
    assert_int_equal(run_vt(get_cancelled_race_main, NULL, NULL), 0);
    checks_assert();
}

static void *get_with_putters_main(void *arg) {
    (void)arg;
    g_q = new_q(1);
    cio_future *a = cio_create_task(putter, IPTR('a'));
    cio_future *b = cio_create_task(putter, IPTR('b'));
    CHECK_INT(get_int(), 'a');
    CHECK_INT(get_int(), 'b');
    CHECK_INT(cio_await(a, NULL), 0);
    CHECK_INT(cio_await(b, NULL), 0);
    cio_release(a);
    cio_release(b);
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

/* QueueGetTests.test_get_with_waiting_putters, test_get_with_putters. */
static void test_queue_get_with_waiting_putters(void **state) {
    (void)state;
    g_kind = CIO_QUEUE_FIFO;
    assert_int_equal(run_vt(get_with_putters_main, NULL, NULL), 0);
    checks_assert();
}

static void *producer(void *arg) {
    for (int i = 0; i < PINT(arg); i++)
        CHECK_INT(cio_queue_put(g_q, IPTR(i)), 0);
    return NULL;
}

static void *consumer(void *arg) {
    for (int i = 0; i < PINT(arg); i++)
        CHECK_INT(get_int(), i);
    return NULL;
}

static void *getters_waiting_main(void *arg) {
    (void)arg;
    g_q = new_q(1);
    cio_future *p = cio_create_task(producer, IPTR(5));
    cio_future *c = cio_create_task(consumer, IPTR(5));
    CHECK_INT(cio_await(p, NULL), 0);
    CHECK_INT(cio_await(c, NULL), 0);
    cio_release(p);
    cio_release(c);
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

/* QueueGetTests.test_why_are_getters_waiting. */
static void test_queue_why_are_getters_waiting(void **state) {
    (void)state;
    g_kind = CIO_QUEUE_FIFO;
    assert_int_equal(run_vt(getters_waiting_main, NULL, NULL), 0);
    checks_assert();
}

static void *cancelled_getters_main(void *arg) {
    (void)arg;
    g_q = new_q(5);
    cio_future *t = cio_create_task(getter, NULL);
    CHECK_INT(cio_call_later(NULL, 0.1, cancel_cb, t, NULL), 0);
    CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
    cio_release(t);
    CHECK_INT(cio_queue_free(g_q), 0); /* no getter held */
    return NULL;
}

/* QueueGetTests.test_cancelled_getters_not_being_held_in_self_getters
 * (asyncio's wait_for timeout is a cancellation by a timer here). */
static void test_queue_cancelled_getters_not_held(void **state) {
    (void)state;
    g_kind = CIO_QUEUE_FIFO;
    assert_int_equal(run_vt(cancelled_getters_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- QueuePutTests ------------------------------------------------------ */

static void *drop_one_reader_main(void *arg) {
    (void)arg;
    g_q = new_q(0);
    cio_future *reader = cio_create_task(getter, NULL);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_queue_put_nowait(g_q, IPTR(1)), 0);
    CHECK_INT(cio_queue_put_nowait(g_q, IPTR(2)), 0);
    CHECK_INT(cio_cancel(reader, NULL), 1); /* woken, then cancelled */
    void *r = NULL;
    int rc = cio_await(reader, &r);
    cio_release(reader);
    if (rc == CIO_ECANCELED) { /* try again */
        reader = cio_create_task(getter, NULL);
        CHECK_INT(cio_await(reader, &r), 0);
        cio_release(reader);
    }
    CHECK_INT(PINT(r), 1); /* 2 would mean 1 was dropped */
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

/* QueuePutTests.test_get_cancel_drop_one_pending_reader. */
static void test_queue_get_cancel_drop_one_reader(void **state) {
    (void)state;
    g_kind = CIO_QUEUE_FIFO;
    assert_int_equal(run_vt(drop_one_reader_main, NULL, NULL), 0);
    checks_assert();
}

static void *drop_many_readers_main(void *arg) {
    (void)arg;
    g_q = new_q(0);
    cio_future *r[3];
    for (int i = 0; i < 3; i++)
        r[i] = cio_create_task(getter, NULL);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_queue_put_nowait(g_q, IPTR(1)), 0);
    CHECK_INT(cio_queue_put_nowait(g_q, IPTR(2)), 0);
    CHECK_INT(cio_cancel(r[0], NULL), 1);
    CHECK_INT(cio_await(r[0], NULL), CIO_ECANCELED);
    void *a = NULL, *b = NULL;
    CHECK_INT(cio_await(r[2], &b), 0);
    CHECK_INT(cio_await(r[1], &a), 0);
    CHECK_INT(PINT(a) + PINT(b), 3); /* {1, 2} in some order */
    CHECK(PINT(a) != PINT(b));
    cio_release_all(r, 3);
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

/* QueuePutTests.test_get_cancel_drop_many_pending_readers: the wake-up of a
 * cancelled reader goes to reader 3. */
static void test_queue_get_cancel_drop_many_readers(void **state) {
    (void)state;
    g_kind = CIO_QUEUE_FIFO;
    assert_int_equal(run_vt(drop_many_readers_main, NULL, NULL), 0);
    checks_assert();
}

static void *put_cancel_drop_main(void *arg) {
    (void)arg;
    g_q = new_q(1);
    CHECK_INT(cio_queue_put_nowait(g_q, IPTR(1)), 0);
    cio_future *w = cio_create_task(putter, IPTR(2));
    CHECK_INT(cio_sleep(0), 0);
    void *item = NULL;
    CHECK_INT(cio_queue_get_nowait(g_q, &item), 0);
    CHECK_INT(PINT(item), 1);
    CHECK_INT(cio_cancel(w, NULL), 1);
    int rc = cio_await(w, NULL);
    cio_release(w);
    if (rc == CIO_ECANCELED) { /* try again */
        w = cio_create_task(putter, IPTR(2));
        CHECK_INT(cio_await(w, NULL), 0);
        cio_release(w);
    }
    CHECK_INT(cio_queue_get_nowait(g_q, &item), 0);
    CHECK_INT(PINT(item), 2);
    CHECK_INT(cio_queue_qsize(g_q), 0);
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

/* QueuePutTests.test_put_cancel_drop, test_cancelled_put_silence_value_
 * error_exception. */
static void test_queue_put_cancel_drop(void **state) {
    (void)state;
    g_kind = CIO_QUEUE_FIFO;
    assert_int_equal(run_vt(put_cancel_drop_main, NULL, NULL), 0);
    checks_assert();
}

static void *put_basics_main(void *arg) {
    (void)arg;
    g_q = new_q(0);
    CHECK_INT(cio_queue_put(g_q, IPTR(1)), 0); /* unbounded: no wait */
    CHECK_INT(get_int(), 1);
    CHECK_INT(cio_queue_free(g_q), 0);
    g_q = new_q(1);
    CHECK_INT(cio_queue_put_nowait(g_q, IPTR(1)), 0);
    CHECK_INT(cio_queue_put_nowait(g_q, IPTR(2)), CIO_EQUEUEFULL);
    CHECK_INT(cio_queue_qsize(g_q), 1);
    CHECK_INT(cio_queue_free(g_q), 0);
    /* test_put_cancelled: a put waited on by a task */
    g_q = new_q(0);
    cio_future *t = cio_create_task(putter, IPTR(1));
    CHECK_INT(get_int(), 1);
    CHECK(cio_future_done(t));
    CHECK_INT(PINT(cio_future_result(t)), 1);
    cio_release(t);
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

/* QueuePutTests.test_blocking_put, test_nonblocking_put(_exception),
 * test_put_cancelled. */
static void test_queue_put_basics(void **state) {
    (void)state;
    g_kind = CIO_QUEUE_FIFO;
    assert_int_equal(run_vt(put_basics_main, NULL, NULL), 0);
    checks_assert();
}

static void *put_cancelled_race_main(void *arg) {
    (void)arg;
    g_q = new_q(1);
    cio_future *a = cio_create_task(putter, IPTR('a'));
    cio_future *b = cio_create_task(putter, IPTR('b'));
    cio_future *c = cio_create_task(putter, IPTR('X'));
    CHECK_INT(cio_sleep(0), 0);
    CHECK(cio_future_done(a));
    CHECK(!cio_future_done(b));
    CHECK_INT(cio_cancel(c, NULL), 1);
    CHECK_INT(cio_sleep(0), 0);
    CHECK(cio_future_done(c));
    void *item = NULL;
    CHECK_INT(cio_queue_get_nowait(g_q, &item), 0);
    CHECK_INT(PINT(item), 'a');
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_queue_get_nowait(g_q, &item), 0);
    CHECK_INT(PINT(item), 'b');
    CHECK_INT(cio_await(b, NULL), 0);
    cio_future *all[] = {a, b, c};
    cio_release_all(all, 3);
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

/* QueuePutTests.test_put_cancelled_race. */
static void test_queue_put_cancelled_race(void **state) {
    (void)state;
    g_kind = CIO_QUEUE_FIFO;
    assert_int_equal(run_vt(put_cancelled_race_main, NULL, NULL), 0);
    checks_assert();
}

static void *drain_getter(void *arg) {
    (void)arg;
    CHECK_INT(cio_sleep(0), 0);
    size_t n = cio_queue_qsize(g_q);
    for (size_t i = 0; i < n; i++) {
        void *item;
        CHECK_INT(cio_queue_get_nowait(g_q, &item), 0);
    }
    return NULL;
}

static void *putters_waiting_main(void *arg) {
    (void)arg;
    g_q = new_q(2);
    cio_future *t[5];
    t[0] = cio_create_task(drain_getter, NULL);
    for (int i = 0; i < 4; i++)
        t[i + 1] = cio_create_task(putter, IPTR(i));
    for (int i = 0; i < 5; i++)
        CHECK_INT(cio_await(t[i], NULL), 0);
    cio_release_all(t, 5);
    CHECK_INT(cio_queue_qsize(g_q), 2);
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

/* QueuePutTests.test_why_are_putters_waiting: get_nowait wakes putters. */
static void test_queue_why_are_putters_waiting(void **state) {
    (void)state;
    g_kind = CIO_QUEUE_FIFO;
    assert_int_equal(run_vt(putters_waiting_main, NULL, NULL), 0);
    checks_assert();
}

static void *cancelled_puts_main(void *arg) {
    (void)arg;
    g_q = new_q(1);
    CHECK_INT(cio_queue_put_nowait(g_q, IPTR(1)), 0);
    cio_future *t = cio_create_task(putter, IPTR(1));
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_cancel(t, NULL), 1);
    CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
    cio_release(t);
    CHECK_INT(cio_queue_qsize(g_q), 1);
    CHECK_INT(cio_queue_free(g_q), 0); /* none held */
    return NULL;
}

/* QueuePutTests.test_cancelled_puts_not_being_held_in_self_putters. */
static void test_queue_cancelled_puts_not_held(void **state) {
    (void)state;
    g_kind = CIO_QUEUE_FIFO;
    assert_int_equal(run_vt(cancelled_puts_main, NULL, NULL), 0);
    checks_assert();
}

static void *put_with_getters_main(void *arg) {
    (void)arg;
    g_q = new_q(0);
    cio_future *t = cio_create_task(getter, NULL);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_queue_put(g_q, IPTR('a')), 0);
    void *r = NULL;
    CHECK_INT(cio_await(t, &r), 0);
    CHECK_INT(PINT(r), 'a');
    cio_release(t);
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

/* QueuePutTests.test_put_with_waiting_getters. */
static void test_queue_put_with_waiting_getters(void **state) {
    (void)state;
    g_kind = CIO_QUEUE_FIFO;
    assert_int_equal(run_vt(put_with_getters_main, NULL, NULL), 0);
    checks_assert();
}

static void *getters_fifo_main(void *arg) {
    (void)arg;
    g_q = new_q(0);
    cio_future *t[4];
    for (int i = 0; i < 4; i++)
        t[i] = cio_create_task(getter, NULL);
    CHECK_INT(cio_sleep(0), 0);
    for (int i = 0; i < 4; i++)
        CHECK_INT(cio_queue_put_nowait(g_q, IPTR(i + 1)), 0);
    for (int i = 0; i < 4; i++) {
        void *r = NULL;
        CHECK_INT(cio_await(t[i], &r), 0);
        ev_log(PINT(r));
    }
    cio_release_all(t, 4);
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

/* asyncio's Queue._wakeup_next: getters are served in the order they began
 * to wait. */
static void test_queue_getters_fifo(void **state) {
    (void)state;
    g_kind = CIO_QUEUE_FIFO;
    assert_int_equal(run_vt(getters_fifo_main, NULL, NULL), 0);
    checks_assert();
    ev_assert(1, 2, 3, 4);
}

/* asyncio's Queue only wakes the first getter when an item comes; it does
 * not reserve the item. A task that calls get before the woken getter runs
 * takes the item without waiting, and the woken getter waits again (as
 * asyncio's does: `while self.empty(): await getter`). sync.h says so. */
static void *jump_main(void *arg) {
    (void)arg;
    g_q = new_q(0);
    cio_future *first = cio_create_task(getter, NULL);
    CHECK_INT(cio_sleep(0), 0);                       /* first waits in get */
    CHECK_INT(cio_queue_put_nowait(g_q, IPTR(7)), 0); /* wakes first */
    CHECK_INT(get_int(), 7); /* before first runs: taken at once */
    CHECK_INT(cio_sleep(0), 0);
    CHECK(!cio_future_done(first)); /* back to waiting */
    CHECK_INT(cio_queue_put_nowait(g_q, IPTR(8)), 0);
    void *r = NULL;
    CHECK_INT(cio_await(first, &r), 0);
    CHECK_INT(PINT(r), 8);
    cio_release(first);
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

static void test_queue_woken_getter_reserves_nothing(void **state) {
    (void)state;
    g_kind = CIO_QUEUE_FIFO;
    assert_int_equal(run_vt(jump_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- join (_QueueJoinTestMixin), for each kind -------------------------- */

static long g_acc;
static bool g_running;
static void *worker(void *arg) {
    (void)arg;
    while (g_running) {
        void *item = NULL;
        if (cio_queue_get(g_q, &item) != 0)
            break;
        g_acc += PINT(item);
        CHECK_INT(cio_queue_task_done(g_q), 0);
    }
    return NULL;
}

static void *join_main(void *arg) {
    (void)arg;
    g_q = new_q(0);
    CHECK_INT(cio_queue_task_done(g_q), CIO_EOVERRELEASE); /* underflow */
    CHECK_INT(cio_queue_join(g_q), 0); /* test_join_empty_queue */
    CHECK_INT(cio_queue_join(g_q), 0);
    for (int i = 0; i < 100; i++)
        CHECK_INT(cio_queue_put_nowait(g_q, IPTR(i)), 0);
    CHECK_INT(cio_queue_unfinished(g_q), 100);
    g_acc = 0;
    g_running = true;
    cio_future *w[2] = {cio_create_task(worker, NULL),
                        cio_create_task(worker, NULL)};
    CHECK_INT(cio_queue_join(g_q), 0);
    CHECK_INT(g_acc, 4950);
    CHECK_INT(cio_queue_unfinished(g_q), 0);
    g_running = false;
    for (int i = 0; i < 2; i++)
        CHECK_INT(cio_queue_put_nowait(g_q, IPTR(0)), 0);
    for (int i = 0; i < 2; i++)
        CHECK_INT(cio_await(w[i], NULL), 0);
    cio_release_all(w, 2);
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

/* _QueueJoinTestMixin.test_task_done_underflow, test_task_done,
 * test_join_empty_queue, for Queue, LifoQueue and PriorityQueue. */
static void test_queue_join(void **state) {
    (void)state;
    cio_queue_kind kinds[] = {CIO_QUEUE_FIFO, CIO_QUEUE_LIFO,
                              CIO_QUEUE_PRIORITY};
    for (int k = 0; k < 3; k++) {
        g_kind = kinds[k];
        assert_int_equal(run_vt(join_main, NULL, NULL), 0);
        checks_assert();
    }
}

/* ---- shutdown (_QueueShutdownTestMixin), for each kind ------------------ */

static void *joiner(void *arg) {
    (void)arg;
    int rc = cio_queue_join(g_q);
    return rc ? cio_raise(rc, NULL) : NULL;
}

/* After a shutdown: every put and get fails with CIO_EQUEUESHUTDOWN. */
static void check_all_shut(void) {
    void *item;
    CHECK_INT(cio_queue_put(g_q, IPTR(1)), CIO_EQUEUESHUTDOWN);
    CHECK_INT(cio_queue_put_nowait(g_q, IPTR(1)), CIO_EQUEUESHUTDOWN);
    CHECK_INT(cio_queue_get(g_q, &item), CIO_EQUEUESHUTDOWN);
    CHECK_INT(cio_queue_get_nowait(g_q, &item), CIO_EQUEUESHUTDOWN);
}

static void *shutdown_empty_main(void *arg) {
    (void)arg;
    g_q = new_q(0);
    cio_future *t = cio_create_task(getter, NULL);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_queue_shutdown(g_q, false), 0);
    CHECK(cio_queue_is_shutdown(g_q));
    CHECK_INT(cio_queue_qsize(g_q), 0);
    CHECK_INT(cio_queue_join(g_q), 0);
    CHECK_INT(cio_sleep(0), 0);
    CHECK(cio_future_done(t));
    CHECK_INT(cio_await(t, NULL), CIO_EQUEUESHUTDOWN);
    cio_release(t);
    check_all_shut();
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

static void *shutdown_nonempty_main(void *arg) {
    (void)arg;
    g_q = new_q(1);
    CHECK_INT(cio_queue_put_nowait(g_q, IPTR(7)), 0);
    cio_future *j = cio_create_task(joiner, NULL);
    cio_future *p = cio_create_task(putter, IPTR(8));
    CHECK_INT(cio_sleep(0), 0);
    CHECK(!cio_future_done(p));
    CHECK_INT(cio_queue_shutdown(g_q, false), 0); /* unfinished: 1 -> 1 */
    CHECK_INT(cio_queue_qsize(g_q), 1);
    CHECK_INT(cio_sleep(0), 0);
    CHECK(cio_future_done(p));
    CHECK_INT(cio_await(p, NULL), CIO_EQUEUESHUTDOWN);
    CHECK_INT(get_int(), 7); /* getters drain what is left */
    CHECK_INT(cio_sleep(0), 0);
    CHECK(!cio_future_done(j));
    check_all_shut();
    CHECK_INT(cio_queue_task_done(g_q), 0);
    CHECK_INT(cio_sleep(0), 0);
    CHECK(cio_future_done(j));
    CHECK_INT(cio_await(j, NULL), 0);
    CHECK_INT(cio_queue_task_done(g_q), CIO_EOVERRELEASE);
    cio_release(j);
    cio_release(p);
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

static int g_destroyed;
static void count_destroy(void *item, void *arg) {
    CHECK_PTR(arg, &g_destroyed);
    (void)item;
    g_destroyed++;
}

static cio_queue *new_q_destroy(void) {
    return cio_queue_new_ex(NULL,
                            &(cio_queue_options){.kind = g_kind,
                                                 .compare = by_value,
                                                 .destroy = count_destroy,
                                                 .destroy_arg = &g_destroyed});
}

static void *shutdown_immediate_main(void *arg) {
    (void)arg;
    g_destroyed = 0;
    g_q = new_q_destroy();
    CHECK_INT(cio_queue_put_nowait(g_q, IPTR(1)), 0);
    cio_future *j = cio_create_task(joiner, NULL);
    CHECK_INT(cio_queue_shutdown(g_q, true), 0); /* unfinished: 1 -> 0 */
    CHECK_INT(cio_queue_qsize(g_q), 0);
    CHECK_INT(g_destroyed, 1);
    CHECK_INT(cio_sleep(0), 0);
    CHECK(cio_future_done(j));
    CHECK_INT(cio_await(j, NULL), 0);
    check_all_shut();
    CHECK_INT(cio_queue_task_done(g_q), CIO_EOVERRELEASE);
    cio_release(j);
    CHECK_INT(cio_queue_free(g_q), 0);
    CHECK_INT(g_destroyed, 1);
    return NULL;
}

static void *shutdown_immediate_unfinished_main(void *arg) {
    (void)arg;
    g_destroyed = 0;
    g_q = new_q_destroy();
    CHECK_INT(cio_queue_put_nowait(g_q, IPTR(1)), 0);
    CHECK_INT(cio_queue_put_nowait(g_q, IPTR(1)), 0);
    cio_future *j = cio_create_task(joiner, NULL);
    CHECK_INT(get_int(), 1);
    CHECK_INT(cio_queue_shutdown(g_q, true), 0); /* unfinished: 2 -> 1 */
    CHECK_INT(cio_queue_qsize(g_q), 0);
    CHECK_INT(g_destroyed, 1);
    CHECK_INT(cio_sleep(0), 0);
    CHECK(!cio_future_done(j));
    check_all_shut();
    CHECK_INT(cio_queue_task_done(g_q), 0);
    CHECK_INT(cio_queue_task_done(g_q), CIO_EOVERRELEASE);
    CHECK_INT(cio_sleep(0), 0);
    CHECK(cio_future_done(j));
    CHECK_INT(cio_await(j, NULL), 0);
    cio_release(j);
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

static void *shutdown_wakes_all_main(void *arg) {
    (void)arg;
    g_q = new_q(1);
    cio_future *g[3], *p[2];
    for (int i = 0; i < 3; i++)
        g[i] = cio_create_task(getter, NULL);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_queue_put_nowait(g_q, IPTR(5)), 0); /* wakes g[0] */
    for (int i = 0; i < 2; i++)
        p[i] = cio_create_task(putter, IPTR(6));
    CHECK_INT(cio_sleep(0), 0); /* g[0] takes 5; p[0] puts 6 (g[1]) */
    CHECK_INT(cio_queue_shutdown(g_q, true), 0);
    void *r = NULL;
    CHECK_INT(cio_await(g[0], &r), 0);
    CHECK_INT(PINT(r), 5);
    CHECK_INT(cio_await(p[0], NULL), 0);
    for (int i = 1; i < 3; i++) {
        int rc = cio_await(g[i], &r);
        CHECK(rc == CIO_EQUEUESHUTDOWN || (rc == 0 && PINT(r) == 6));
    }
    CHECK_INT(cio_await(p[1], NULL), CIO_EQUEUESHUTDOWN);
    cio_release_all(g, 3);
    cio_release_all(p, 2);
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

/* _QueueShutdownTestMixin.test_shutdown_empty, test_shutdown_nonempty,
 * test_shutdown_immediate, test_shutdown_immediate_with_unfinished, for the
 * three kinds; and (cio) the destroy function gets the discarded items, and
 * a shutdown wakes every waiting getter and putter. */
static void test_queue_shutdown(void **state) {
    (void)state;
    cio_queue_kind kinds[] = {CIO_QUEUE_FIFO, CIO_QUEUE_LIFO,
                              CIO_QUEUE_PRIORITY};
    cio_task_fn mains[] = {
        shutdown_empty_main, shutdown_nonempty_main, shutdown_immediate_main,
        shutdown_immediate_unfinished_main, shutdown_wakes_all_main};
    for (int k = 0; k < 3; k++) {
        g_kind = kinds[k];
        for (int m = 0; m < 5; m++) {
            assert_int_equal(run_vt(mains[m], NULL, NULL), 0);
            checks_assert();
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_queue_empty_full),
        CIO_TEST(test_queue_order_fifo),
        CIO_TEST(test_queue_order_lifo),
        CIO_TEST(test_queue_order_priority),
        CIO_TEST(test_queue_priority_stable),
        CIO_TEST(test_queue_maxsize),
        CIO_TEST(test_queue_get_basics),
        CIO_TEST(test_queue_blocking_get_wait),
        CIO_TEST(test_queue_get_cancelled_race),
        CIO_TEST(test_queue_get_with_waiting_putters),
        CIO_TEST(test_queue_why_are_getters_waiting),
        CIO_TEST(test_queue_cancelled_getters_not_held),
        CIO_TEST(test_queue_get_cancel_drop_one_reader),
        CIO_TEST(test_queue_get_cancel_drop_many_readers),
        CIO_TEST(test_queue_put_cancel_drop),
        CIO_TEST(test_queue_put_basics),
        CIO_TEST(test_queue_put_cancelled_race),
        CIO_TEST(test_queue_why_are_putters_waiting),
        CIO_TEST(test_queue_cancelled_puts_not_held),
        CIO_TEST(test_queue_put_with_waiting_getters),
        CIO_TEST(test_queue_getters_fifo),
        CIO_TEST(test_queue_woken_getter_reserves_nothing),
        CIO_TEST(test_queue_join),
        CIO_TEST(test_queue_shutdown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
