/* Unit tests: compact tasks (cio_task_options.compact). A compact task's
 * frames leave the shared stack while it waits and come back to the same
 * addresses: its locals survive sleeps, awaits, locks, queues, events,
 * conditions, deep recursion and thousands of neighbours (compact and
 * not); a cancellation at each suspension point leaks nothing; the misuse
 * the rule forbids is refused (always for cio's own records, in debug mode
 * for queue items and results); the loop option makes every task compact;
 * the save buffers hold what the waiting tasks use, no more. */
#include "../cio_test.h"
#include "core/internal.h"

#include <cio/net.h>
#include <cio/sync.h>
#include <cio/thread.h>
#include <string.h>

static const cio_task_options compact_opts = {.compact = true};

static cio_future *spawn(cio_task_fn fn, void *arg) {
    return cio_create_task_ex(NULL, fn, arg, &compact_opts);
}

/* Fill a local array with a pattern of the task's own, suspend, check it. */
#define PATTERN_WORDS 64
static void fill(uint64_t *a, uint64_t seed) {
    for (int i = 0; i < PATTERN_WORDS; i++)
        a[i] = seed * 1000003u + (uint64_t)i;
}
static bool intact(const uint64_t *a, uint64_t seed) {
    for (int i = 0; i < PATTERN_WORDS; i++)
        if (a[i] != seed * 1000003u + (uint64_t)i)
            return false;
    return true;
}

/* ---- sleep --------------------------------------------------------------- */

static void *sleeper(void *arg) {
    intptr_t id = (intptr_t)arg;
    volatile uint64_t a[PATTERN_WORDS];
    fill((uint64_t *)a, (uint64_t)id);
    for (int i = 0; i < 3; i++) {
        CHECK_INT(cio_sleep(0.01 * (double)(id % 5)), 0);
        CHECK(intact((const uint64_t *)a, (uint64_t)id));
        ev_log((int)id);
    }
    return IPTR(id * 2);
}

static void *sleep_main(void *arg) {
    (void)arg;
    cio_future *t[8];
    for (int i = 0; i < 8; i++)
        t[i] = spawn(sleeper, IPTR(i + 1));
    for (int i = 0; i < 8; i++) {
        void *r = NULL;
        CHECK_INT(cio_await(t[i], &r), 0);
        CHECK_INT(PINT(r), (i + 1) * 2);
    }
    cio_release_all(t, 8);
    return NULL;
}

static void test_sleep(void **state) {
    (void)state;
    CHECK_INT(run_vt(sleep_main, NULL, NULL), 0);
    CHECK_INT(ev_n, 24);
    checks_assert();
}

/* ---- await --------------------------------------------------------------- */

static void *child(void *arg) {
    volatile uint64_t a[PATTERN_WORDS];
    fill((uint64_t *)a, 77);
    CHECK_INT(cio_sleep(0.5), 0);
    CHECK(intact((const uint64_t *)a, 77));
    return arg;
}

static void *setter(void *arg) {
    CHECK_INT(cio_sleep(0.2), 0);
    CHECK_INT(cio_future_set_result(arg, IPTR(5)), 0);
    return NULL;
}

static void *awaiter(void *arg) {
    (void)arg;
    volatile uint64_t a[PATTERN_WORDS];
    fill((uint64_t *)a, 9);
    cio_future *f = cio_future_new(NULL);
    cio_future *s = cio_create_task(setter, f); /* an ordinary task */
    void *r = NULL;
    CHECK_INT(cio_await(f, &r), 0);
    CHECK_INT(PINT(r), 5);
    CHECK(intact((const uint64_t *)a, 9));
    cio_future *c = spawn(child, IPTR(11)); /* a compact child */
    CHECK_INT(cio_await(c, &r), 0);
    CHECK_INT(PINT(r), 11);
    CHECK(intact((const uint64_t *)a, 9));
    cio_release(c);
    cio_release(s);
    cio_release(f);
    return IPTR(1);
}

static void *await_main(void *arg) {
    (void)arg;
    cio_future *t = spawn(awaiter, NULL);
    void *r = NULL;
    CHECK_INT(cio_await(t, &r), 0);
    CHECK_INT(PINT(r), 1);
    cio_release(t);
    return NULL;
}

static void test_await(void **state) {
    (void)state;
    CHECK_INT(run_vt(await_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- cancellation at each suspension point ------------------------------- */

enum point {
    AT_SLEEP,
    AT_AWAIT,
    AT_LOCK,
    AT_QUEUE,
    AT_EVENT,
    AT_CONDITION,
    AT_SEMAPHORE,
    NPOINTS
};

typedef struct shared_objs {
    cio_lock *lock;
    cio_queue *queue;
    cio_event *event;
    cio_condition *cond;
    cio_semaphore *sem;
    cio_future *never;
} shared_objs;

static shared_objs objs;

static void *wait_at(void *arg) {
    volatile uint64_t a[PATTERN_WORDS];
    fill((uint64_t *)a, 3);
    int rc = 0;
    void *item = NULL;
    switch ((enum point)PINT(arg)) {
    case AT_SLEEP:
        rc = cio_sleep(100);
        break;
    case AT_AWAIT:
        rc = cio_await(objs.never, NULL);
        break;
    case AT_LOCK:
        rc = cio_lock_acquire(objs.lock);
        break;
    case AT_QUEUE:
        rc = cio_queue_get(objs.queue, &item);
        break;
    case AT_EVENT:
        rc = cio_event_wait(objs.event);
        break;
    case AT_CONDITION:
        CHECK_INT(cio_condition_acquire(objs.cond), 0);
        rc = cio_condition_wait(objs.cond);
        CHECK(cio_condition_locked(objs.cond)); /* held again on the way out */
        CHECK_INT(cio_condition_release(objs.cond), 0);
        break;
    case AT_SEMAPHORE:
        rc = cio_semaphore_acquire(objs.sem);
        break;
    default:
        break;
    }
    CHECK(intact((const uint64_t *)a, 3));
    return IPTR(rc);
}

static void *cancel_main(void *arg) {
    (void)arg;
    objs.lock = cio_lock_new(NULL);
    objs.queue = cio_queue_new(0);
    objs.event = cio_event_new(NULL);
    objs.cond = cio_condition_new(NULL, NULL);
    objs.sem = cio_semaphore_new(NULL, 0);
    objs.never = cio_future_new(NULL);
    CHECK_INT(cio_lock_acquire(objs.lock), 0); /* the waiter must wait */
    for (int p = 0; p < NPOINTS; p++) {
        /* two waiters at each point, so that the one cancelled is linked
         * among others (its neighbours' links go through the heap) */
        cio_future *t[2] = {spawn(wait_at, IPTR(p)), spawn(wait_at, IPTR(p))};
        CHECK_INT(cio_sleep(0.1), 0); /* both wait now */
        CHECK_INT(cio_cancel(t[0], "stop"), 1);
        CHECK_INT(cio_await(t[0], NULL), CIO_ECANCELED);
        CHECK(cio_future_cancelled(t[0]));
        /* the second may be done already, as in asyncio: the future
         * both await was cancelled with the first; the condition passes
         * the first one's notification on */
        int cancelled = cio_cancel(t[1], NULL);
        CHECK_INT(cio_await(t[1], NULL), cancelled ? CIO_ECANCELED : 0);
        CHECK(cancelled || p == AT_AWAIT || p == AT_CONDITION);
        cio_release_all(t, 2);
    }
    CHECK_INT(cio_lock_release(objs.lock), 0);
    CHECK_INT(cio_lock_free(objs.lock), 0);
    CHECK_INT(cio_queue_free(objs.queue), 0);
    CHECK_INT(cio_event_free(objs.event), 0);
    CHECK_INT(cio_condition_free(objs.cond), 0);
    CHECK_INT(cio_semaphore_free(objs.sem), 0);
    cio_release(objs.never);
    return NULL;
}

static void test_cancel_each_point(void **state) {
    (void)state;
    CHECK_INT(run_vt(cancel_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- deep recursion between suspensions ---------------------------------- */

/* Each level keeps a frame of its own, suspends, and checks it after. */
static int descend(int depth, int salt) {
    volatile char frame[512];
    for (size_t i = 0; i < sizeof frame; i++)
        frame[i] = (char)(depth * 7 + salt + (int)i);
    int below = 0;
    if (depth > 0) {
        if (depth % 16 == 0)
            CHECK_INT(cio_sleep(0.001), 0);
        below = descend(depth - 1, salt);
    } else {
        CHECK_INT(cio_sleep(0.01), 0); /* the deepest point */
    }
    int bad = 0;
    for (size_t i = 0; i < sizeof frame; i++)
        bad += frame[i] != (char)(depth * 7 + salt + (int)i);
    return below + bad;
}

static void *recurse_task(void *arg) {
    return IPTR(descend(160, PINT(arg))); /* about 100 KiB deep */
}

static void *recurse_main(void *arg) {
    (void)arg;
    cio_future *t[4];
    for (int i = 0; i < 4; i++)
        t[i] = spawn(recurse_task, IPTR(i * 13));
    for (int i = 0; i < 4; i++) {
        void *r = IPTR(-1);
        CHECK_INT(cio_await(t[i], &r), 0);
        CHECK_INT(PINT(r), 0); /* no byte of any frame changed */
    }
    cio_release_all(t, 4);
    return NULL;
}

static void test_recurse_deep(void **state) {
    (void)state;
    CHECK_INT(run_vt(recurse_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- a lock held across suspensions -------------------------------------- */

static int in_section, max_in_section, sections;

static void *locker(void *arg) {
    volatile uint64_t a[PATTERN_WORDS];
    fill((uint64_t *)a, (uint64_t)PINT(arg));
    for (int i = 0; i < 5; i++) {
        CHECK_INT(cio_lock_acquire(objs.lock), 0);
        in_section++;
        if (in_section > max_in_section)
            max_in_section = in_section;
        CHECK_INT(cio_sleep(0.01), 0); /* holds the lock while it waits */
        CHECK(intact((const uint64_t *)a, (uint64_t)PINT(arg)));
        in_section--;
        sections++;
        CHECK_INT(cio_lock_release(objs.lock), 0);
        CHECK_INT(cio_sleep(0), 0);
    }
    return NULL;
}

static void *lock_main(void *arg) {
    (void)arg;
    objs.lock = cio_lock_new(NULL);
    cio_future *t[6];
    for (int i = 0; i < 6; i++)
        t[i] =
            i % 2 ? spawn(locker, IPTR(i)) : cio_create_task(locker, IPTR(i));
    for (int i = 0; i < 6; i++)
        CHECK_INT(cio_await(t[i], NULL), 0);
    cio_release_all(t, 6);
    CHECK_INT(cio_lock_free(objs.lock), 0);
    return NULL;
}

static void test_lock(void **state) {
    (void)state;
    in_section = max_in_section = sections = 0;
    CHECK_INT(run_vt(lock_main, NULL, NULL), 0);
    CHECK_INT(max_in_section, 1);
    CHECK_INT(sections, 30);
    checks_assert();
}

/* ---- a queue of values --------------------------------------------------- */

/* The producer's values are computed in its frame and put by value (the
 * rule: no pointer into a compact task's stack). */
static void *producer(void *arg) {
    volatile intptr_t local[16];
    for (int i = 0; i < 16; i++)
        local[i] = PINT(arg) * 100 + i;
    for (int i = 0; i < 16; i++)
        CHECK_INT(cio_queue_put(objs.queue, IPTR(local[i])), 0);
    return NULL;
}

static void *consumer(void *arg) {
    (void)arg;
    long sum = 0;
    for (int i = 0; i < 32; i++) {
        void *item = NULL;
        CHECK_INT(cio_queue_get(objs.queue, &item), 0);
        sum += PINT(item);
        CHECK_INT(cio_queue_task_done(objs.queue), 0);
    }
    return IPTR(sum);
}

static void *queue_main(void *arg) {
    (void)arg;
    objs.queue = cio_queue_new(2); /* small: producers wait too */
    cio_future *c = spawn(consumer, NULL);
    cio_future *p1 = spawn(producer, IPTR(1));
    cio_future *p2 = spawn(producer, IPTR(2));
    void *sum = NULL;
    CHECK_INT(cio_await(c, &sum), 0);
    /* 100*16 + 200*16 + 2 * (0+...+15) */
    CHECK_INT(PINT(sum), 1600 + 3200 + 240);
    CHECK_INT(cio_await(p1, NULL), 0);
    CHECK_INT(cio_await(p2, NULL), 0);
    CHECK_INT(cio_queue_join(objs.queue), 0);
    cio_release(c);
    cio_release(p1);
    cio_release(p2);
    CHECK_INT(cio_queue_free(objs.queue), 0);
    return NULL;
}

static void test_queue_values(void **state) {
    (void)state;
    CHECK_INT(run_vt(queue_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- thousands, compact and not, interleaved ----------------------------- */

static int survived;

static void *crowd_member(void *arg) {
    intptr_t id = (intptr_t)arg;
    volatile uint64_t a[PATTERN_WORDS];
    fill((uint64_t *)a, (uint64_t)id);
    for (int round = 0; round < 3; round++) {
        CHECK_INT(cio_sleep(round == 1 ? 0 : 0.001 * (double)(id % 7)), 0);
        if (!intact((const uint64_t *)a, (uint64_t)id))
            return IPTR(0);
    }
    survived++;
    return IPTR(1);
}

static void *crowd_main(void *arg) {
    int n = PINT(arg);
    cio_future **t = calloc((size_t)n, sizeof *t);
    for (int i = 0; i < n; i++)
        t[i] = i % 3 == 0 ? cio_create_task(crowd_member, IPTR(i))
                          : spawn(crowd_member, IPTR(i));
    for (int i = 0; i < n; i++) {
        void *r = NULL;
        CHECK_INT(cio_await(t[i], &r), 0);
        CHECK_INT(PINT(r), 1);
    }
    cio_release_all(t, (size_t)n);
    free(t);
    return NULL;
}

static void test_ten_thousand_interleaved(void **state) {
    (void)state;
    int n = 10000 / ct_slow();
    survived = 0;
    CHECK_INT(run_vt(crowd_main, IPTR(n), NULL), 0);
    CHECK_INT(survived, n);
    checks_assert();
}

/* ---- the save buffers ---------------------------------------------------- */

static void *idle(void *arg) {
    (void)arg;
    CHECK_INT(cio_sleep(1), 0);
    return NULL;
}

static void *buffers_main(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    cio_future *t[100];
    for (int i = 0; i < 100; i++)
        t[i] = spawn(idle, NULL);
    CHECK_INT(cio_sleep(0.5), 0); /* all asleep */
    size_t bytes = 0, count = 0;
    cio__compact_stats(loop->compact, &bytes, &count);
    /* the last ones to start still occupy the 4 shared stacks */
    CHECK_INT((int)count, 96);
    CHECK(bytes > 96 * 64);
    if (!CIO_TEST_ASAN) /* ASan's frames are larger */
        CHECK(bytes / 96 <= 1024);
    for (int i = 0; i < 100; i++)
        CHECK_INT(cio_await(t[i], NULL), 0);
    cio__compact_stats(loop->compact, &bytes, &count);
    CHECK_INT((int)count, 0);
    CHECK_INT((int)bytes, 0);
    cio_release_all(t, 100);
    return NULL;
}

static void test_save_buffers(void **state) {
    (void)state;
    CHECK_INT(run_vt(buffers_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- the rule, enforced -------------------------------------------------- */

static void on_done(cio_future *f, void *arg) {
    (void)f;
    (void)arg;
}

static void *misuse_task(void *arg) {
    bool debug = PINT(arg);
    int local = 42;
    cio_queue *q = cio_queue_new(0);
    cio_future *f = cio_future_new(NULL);
    /* cio's own records: refused in every mode */
    CHECK_INT(cio_future_add_done_callback(f, on_done, &local), CIO_ECOMPACT);
    CHECK_INT(cio_last_error(), CIO_ECOMPACT);
    CHECK(strstr(cio_last_error_message(), "compact task") != NULL);
    /* a child or a worker handed the address of a local: refused in every
     * mode */
    CHECK(cio_create_task(child, &local) == NULL);
    CHECK_INT(cio_last_error(), CIO_ECOMPACT);
    CHECK(cio_to_thread(child, &local) == NULL);
    CHECK_INT(cio_last_error(), CIO_ECOMPACT);
    CHECK(cio_run_in_executor(NULL, child, &local) == NULL);
    CHECK_INT(cio_last_error(), CIO_ECOMPACT);
    /* values: a pointer to a local is refused in debug mode */
    int rc = cio_queue_put_nowait(q, &local);
    CHECK_INT(rc, debug ? CIO_ECOMPACT : 0);
    rc = cio_future_set_result(f, &local);
    CHECK_INT(rc, debug ? CIO_ECOMPACT : 0);
    /* a value, or heap memory, is fine */
    CHECK_INT(cio_queue_put_nowait(q, IPTR(local)), 0);
    if (debug)
        CHECK_INT(cio_future_set_result(f, IPTR(1)), 0);
    cio_release(f);
    CHECK_INT(cio_queue_free(q), 0);
    return NULL;
}

static void *misuse_main(void *arg) {
    cio_future *t = spawn(misuse_task, arg);
    CHECK_INT(cio_await(t, NULL), 0);
    cio_release(t);
    return NULL;
}

static void test_misuse_refused(void **state) {
    (void)state;
    cio_loop_options o = {.virtual_time = true, .debug = true};
    CHECK_INT(cio_run_ex(misuse_main, IPTR(1), NULL, &o), 0);
    o.debug = false;
    CHECK_INT(cio_run_ex(misuse_main, IPTR(0), NULL, &o), 0);
    CHECK_STR(cio_strerror(CIO_ECOMPACT),
              "the call would leave a pointer into a compact task's stack "
              "while it waits");
    checks_assert();
}

/* Socket waits keep records on the task's stack: refused up front, before
 * anything is resolved, opened or sent. */
static void *net_task(void *arg) {
    (void)arg;
    cio_stream *s = NULL;
    CHECK_INT(cio_open_connection("127.0.0.1", 9, NULL, &s), CIO_ECOMPACT);
    CHECK(s == NULL);
    CHECK_INT(cio_last_error(), CIO_ECOMPACT);
    struct addrinfo *res = NULL;
    CHECK_INT(cio_getaddrinfo("127.0.0.1", "80", NULL, &res), CIO_ECOMPACT);
    CHECK(res == NULL);
    return NULL;
}

static void *net_main(void *arg) {
    (void)arg;
    cio_future *t = spawn(net_task, NULL);
    CHECK_INT(cio_await(t, NULL), 0);
    cio_release(t);
    return NULL;
}

static void test_socket_waits_refused(void **state) {
    (void)state;
    CHECK_INT(run_vt(net_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- the loop option ----------------------------------------------------- */

static void *check_compact(void *arg) {
    (void)arg;
    int local = 1;
    cio_future *f = cio_future_new(NULL);
    int rc = cio_future_add_done_callback(f, on_done, &local);
    if (rc == 0)
        cio_future_remove_done_callback(f, on_done, &local);
    cio_release(f);
    CHECK_INT(cio_sleep(0.1), 0);
    return IPTR(rc == CIO_ECOMPACT);
}

static void *loop_option_main(void *arg) {
    (void)arg;
    cio_future *t = cio_create_task(check_compact, NULL);
    cio_future *e = cio_create_task_ex(NULL, check_compact, NULL,
                                       &(cio_task_options){.eager = true});
    void *r = NULL;
    CHECK_INT(cio_await(t, &r), 0);
    CHECK_INT(PINT(r), 1);
    CHECK_INT(cio_await(e, &r), 0);
    CHECK_INT(PINT(r), 1);
    cio_release(t);
    cio_release(e);
    return NULL;
}

static void test_loop_option(void **state) {
    (void)state;
    cio_loop_options o = {.virtual_time = true, .compact_tasks = true};
    CHECK_INT(cio_run_ex(loop_option_main, NULL, NULL, &o), 0);
    checks_assert();
}

/* An eager compact task is scheduled as usual: it has not run yet when
 * cio_create_task returns. */
static int ran;
static void *mark(void *arg) {
    (void)arg;
    ran = 1;
    return NULL;
}

static void *eager_main(void *arg) {
    (void)arg;
    ran = 0;
    cio_future *t = cio_create_task_ex(
        NULL, mark, NULL, &(cio_task_options){.eager = true, .compact = true});
    CHECK_INT(ran, 0);
    CHECK_INT(cio_await(t, NULL), 0);
    CHECK_INT(ran, 1);
    cio_release(t);
    return NULL;
}

static void test_not_eager(void **state) {
    (void)state;
    CHECK_INT(run_vt(eager_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- a loop closed with compact tasks waiting ---------------------------- */

static void *forever(void *arg) {
    volatile uint64_t a[PATTERN_WORDS];
    fill((uint64_t *)a, 1);
    cio_sleep(arg ? 1000 : 2000);
    return NULL;
}

static void test_close_with_waiting(void **state) {
    (void)state;
    diag_capture();
    cio_loop *loop = cio_loop_new(vt_opts());
    cio_future *t[3] = {spawn(forever, NULL), spawn(forever, IPTR(1)),
                        cio_create_task(forever, NULL)};
    cio_loop_stop(loop);
    CHECK_INT(cio_loop_run_forever(loop), 0); /* one pass: all asleep */
    CHECK_INT(cio_loop_close(loop), 0);
    CHECK_INT(diag_count("was destroyed but it is pending"), 3);
    cio_release_all(t, 3);
    diag_restore();
    checks_assert();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_sleep),
        CIO_TEST(test_await),
        CIO_TEST(test_cancel_each_point),
        CIO_TEST(test_recurse_deep),
        CIO_TEST(test_lock),
        CIO_TEST(test_queue_values),
        CIO_TEST(test_ten_thousand_interleaved),
        CIO_TEST(test_save_buffers),
        CIO_TEST(test_misuse_refused),
        CIO_TEST(test_socket_waits_refused),
        CIO_TEST(test_loop_option),
        CIO_TEST(test_not_eager),
        CIO_TEST(test_close_with_waiting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
