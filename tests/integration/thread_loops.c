/* Integration: several loops, one per thread, each with its own tasks.
 * Four loops on four threads pass work around a ring through
 * run_coroutine_threadsafe, each awaiting the answers as loop futures; and
 * cio_run on a second thread while the first runs. */
#include "../cio_test.h"
#include "../thread_helpers.h"

#include <stdatomic.h>

#define NLOOPS 4
#define NTASKS 8
#define NROUNDS 25

typedef struct node {
    int id;
    cio_loop *loop;
    cio_future *quit;
    int rc;
    long answered;  /* requests this loop's tasks got answers to */
    long served;    /* requests this loop ran for others */
    int wrong_loop; /* requests that ran on the wrong loop */
} node;

static node nodes[NLOOPS];
static pthread_barrier_t ready;
static atomic_int finished;

#define ENC(target, value) IPTR((target) << 24 | (value))

/* Runs on the target loop: check that it is that loop, answer value + 1. */
static void *serve(void *arg) {
    int target = PINT(arg) >> 24, value = PINT(arg) & 0xffffff;
    node *me = &nodes[target];
    if (cio_get_running_loop() != me->loop)
        me->wrong_loop++;
    me->served++;
    if (value % 3 == 0)
        cio_sleep(0);
    return IPTR(value + 1);
}

typedef struct asker {
    node *me;
    int task;
} asker;

static void *ask_neighbour(void *arg) {
    asker *a = arg;
    int target = (a->me->id + 1) % NLOOPS;
    for (int r = 0; r < NROUNDS; r++) {
        int value = a->task * 1000 + r;
        cio_tfuture *tf = cio_run_coroutine_threadsafe(
            nodes[target].loop, serve, ENC(target, value));
        cio_future *f = cio_wrap_tfuture(tf);
        cio_tfuture_release(tf);
        void *res = NULL;
        int err = cio_await(f, &res);
        cio_release(f);
        if (err != 0 || PINT(res) != value + 1)
            return cio_raise(-EPROTO, "bad answer %d to %d", PINT(res), value);
        a->me->answered++;
    }
    return NULL;
}

/* A task sleeping for an hour keeps a timer armed, which keeps the waiting
 * loop from counting the process's threads (src/core/loop.c only_thread)
 * while another thread closes its own loop: libuv closes its epoll fd with
 * a raw system call that ThreadSanitizer does not see, and the directory
 * fd that the count opens may reuse that number, which ThreadSanitizer then
 * takes for a race. Cancelled once the wait is over. */
static void *sleep_an_hour(void *arg) {
    (void)arg;
    cio_sleep(3600);
    return NULL;
}

static int await_kept_awake(cio_future *f, void **result) {
    cio_future *keeper = cio_create_task(sleep_an_hour, NULL);
    int rc = cio_await(f, result);
    cio_cancel(keeper, NULL);
    cio_await(keeper, NULL);
    cio_release(keeper);
    return rc;
}

static void set_quit(void *arg) {
    node *n = arg;
    cio_future_set_result(n->quit, NULL);
}

static void *node_main(void *arg) {
    node *me = arg;
    me->loop = cio_get_running_loop();
    me->quit = cio_future_new(NULL);
    pthread_barrier_wait(&ready); /* every loop is known before any asks */
    asker a[NTASKS];
    cio_future *t[NTASKS];
    for (int i = 0; i < NTASKS; i++) {
        a[i] = (asker){me, i};
        t[i] = cio_create_task(ask_neighbour, &a[i]);
    }
    int rc = 0;
    for (int i = 0; i < NTASKS; i++) {
        int err = cio_await(t[i], NULL);
        rc = rc ? rc : err;
    }
    cio_release_all(t, NTASKS);
    /* The last to finish tells every loop to stop: until then each keeps
     * serving its neighbour. */
    if (atomic_fetch_add(&finished, 1) + 1 == NLOOPS)
        for (int i = 0; i < NLOOPS; i++)
            cio_call_soon_threadsafe(nodes[i].loop, set_quit, &nodes[i]);
    await_kept_awake(me->quit, NULL);
    cio_release(me->quit);
    return IPTR(rc);
}

static void *node_thread(void *arg) {
    node *me = arg;
    void *res = NULL;
    me->rc = cio_run(node_main, me, &res);
    if (me->rc == 0)
        me->rc = PINT(res);
    return NULL;
}

static void test_four_loops_in_a_ring(void **state) {
    (void)state;
    pthread_barrier_init(&ready, NULL, NLOOPS);
    atomic_store(&finished, 0);
    pthread_t t[NLOOPS];
    for (int i = 0; i < NLOOPS; i++) {
        nodes[i] = (node){.id = i};
        pthread_create(&t[i], NULL, node_thread, &nodes[i]);
    }
    for (int i = 0; i < NLOOPS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < NLOOPS; i++) {
        assert_int_equal(nodes[i].rc, 0);
        assert_int_equal(nodes[i].answered, NTASKS * NROUNDS);
        assert_int_equal(nodes[i].served, NTASKS * NROUNDS);
        assert_int_equal(nodes[i].wrong_loop, 0);
    }
    pthread_barrier_destroy(&ready);
}

/* ---- cio_run on a second thread while the first runs -------------------- */

static cio_loop *loop_a, *loop_b;
static atomic_int b_ticks;

static void *tick(void *arg) {
    for (int i = 0; i < 5; i++) {
        cio_sleep(0.001);
        atomic_fetch_add(&b_ticks, 1);
    }
    return arg;
}

static void *main_b(void *arg) {
    (void)arg;
    loop_b = cio_get_running_loop();
    cio_future *t = cio_create_task(tick, IPTR(9));
    void *r = NULL;
    cio_await(t, &r);
    cio_release(t);
    return r;
}

static void *run_b(void *arg) {
    void *r = NULL;
    int rc = cio_run(main_b, NULL, &r);
    *(int *)arg = rc ? rc : PINT(r);
    return NULL;
}

static void *join_b(void *arg) {
    pthread_join(*(pthread_t *)arg, NULL);
    return NULL;
}

static void *main_a(void *arg) {
    int *b_result = arg;
    loop_a = cio_get_running_loop();
    pthread_t b;
    pthread_create(&b, NULL, run_b, b_result);
    cio_future *a_ticks = cio_create_task(tick, NULL);
    cio_future *j = cio_to_thread(join_b, &b);
    CHECK_INT(await_kept_awake(j, NULL), 0);
    CHECK_INT(cio_await(a_ticks, NULL), 0);
    CHECK(cio_get_running_loop() == loop_a);
    cio_release(j);
    cio_release(a_ticks);
    return NULL;
}

static void test_cio_run_on_a_second_thread(void **state) {
    (void)state;
    int b_result = -1;
    assert_int_equal(cio_run(main_a, &b_result, NULL), 0);
    checks_assert();
    assert_int_equal(b_result, 9);
    assert_true(loop_a != NULL && loop_b != NULL);
    assert_int_equal(atomic_load(&b_ticks),
                     10); /* five from each loop's task */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_four_loops_in_a_ring),
        CIO_TEST(test_cio_run_on_a_second_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
