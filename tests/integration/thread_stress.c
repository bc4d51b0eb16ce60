/* Integration: 100,000 cio_call_soon_threadsafe calls from 8 threads into
 * one loop, none lost, none duplicated, each thread's calls in the order it
 * made them. (Scaled down under valgrind, which runs one thread at a
 * time.) Then the same through run_coroutine_threadsafe and executors.
 * ctest-timeout: 600 */
#include "../cio_test.h"
#include "../thread_helpers.h"

#include <stdatomic.h>

#define NTHREADS 8
#define FULL_PER_THREAD 12500 /* 8 x 12,500 = 100,000 */

static int per_thread;

typedef struct stress {
    cio_loop *loop;
    gate start, leave;
    cio_future *done;
    long total;
    int next[NTHREADS]; /* the next sequence number expected per thread */
    long out_of_order;
} stress;

static stress S;

static void on_call(void *arg) {
    uintptr_t v = (uintptr_t)arg;
    int th = (int)(v >> 24), seq = (int)(v & 0xffffff);
    if (th >= NTHREADS || seq != S.next[th])
        S.out_of_order++;
    else
        S.next[th]++;
    if (++S.total == (long)NTHREADS * per_thread)
        cio_future_set_result(S.done, NULL);
}

static void *producer(void *arg) {
    uintptr_t th = (uintptr_t)arg;
    gate_pass(&S.start);
    for (int i = 0; i < per_thread; i++) {
        int rc;
        while ((rc = cio_call_soon_threadsafe(
                    S.loop, on_call, (void *)((th << 24) | (uintptr_t)i))) ==
               CIO_ENOMEM)
            sleep_s(0.001);
        if (rc != 0)
            return IPTR(rc);
    }
    /* stay until the loop has seen everything: a loop with nothing else
     * to wait for gives up once it is the only thread left */
    gate_pass(&S.leave);
    return NULL;
}

static void *main_stress(void *arg) {
    (void)arg;
    S.loop = cio_get_running_loop();
    S.done = cio_future_new(NULL);
    pthread_t t[NTHREADS];
    for (uintptr_t i = 0; i < NTHREADS; i++)
        pthread_create(&t[i], NULL, producer, (void *)i);
    gate_arrivals(&S.start, NTHREADS);
    gate_open(&S.start); /* all at once */
    CHECK_INT(cio_await(S.done, NULL), 0);
    gate_open(&S.leave);
    for (int i = 0; i < NTHREADS; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        CHECK_INT(PINT(rc), 0);
    }
    cio_release(S.done);
    return NULL;
}

static void test_100k_threadsafe_calls(void **state) {
    (void)state;
    gate_init(&S.start);
    gate_init(&S.leave);
    double t0 = now_real();
    assert_int_equal(cio_run(main_stress, NULL, NULL), 0);
    checks_assert();
    assert_int_equal(S.total, (long)NTHREADS * per_thread);
    assert_int_equal(S.out_of_order, 0);
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(S.next[i], per_thread);
    print_message("  %ld calls from %d threads in %.3f s\n", S.total, NTHREADS,
                  now_real() - t0);
    gate_destroy(&S.start);
    gate_destroy(&S.leave);
}

/* ---- many coroutines from many threads ---------------------------------- */

static cio_loop *server_loop;
static atomic_long coro_sum;

static void *add_coro(void *arg) {
    if (PINT(arg) % 7 == 0)
        cio_sleep(0); /* some of them suspend */
    return IPTR(PINT(arg) + 1);
}

static void *coro_client(void *arg) {
    int n = per_thread / 50;
    cio_tfuture **fs = calloc((size_t)n, sizeof *fs);
    for (int i = 0; i < n; i++)
        fs[i] = cio_run_coroutine_threadsafe(server_loop, add_coro, IPTR(i));
    long sum = 0, bad = 0;
    for (int i = 0; i < n; i++) {
        void *r;
        if (cio_tfuture_result(fs[i], 120, &r) != 0 || PINT(r) != i + 1)
            bad++;
        sum += PINT(r);
        cio_tfuture_release(fs[i]);
    }
    free(fs);
    atomic_fetch_add(&coro_sum, sum);
    (void)arg;
    return (void *)bad;
}

static void *join_all(void *arg) {
    pthread_t *t = arg;
    long bad = 0;
    for (int i = 0; i < NTHREADS; i++) {
        void *b;
        pthread_join(t[i], &b);
        bad += (long)b;
    }
    return (void *)bad;
}

static void *main_server(void *arg) {
    (void)arg;
    server_loop = cio_get_running_loop();
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        pthread_create(&t[i], NULL, coro_client, NULL);
    /* joined from an executor thread: the loop keeps serving */
    cio_future *j = cio_to_thread(join_all, t);
    void *bad = IPTR(-1);
    CHECK_INT(cio_await(j, &bad), 0);
    CHECK_INT((long)bad, 0);
    cio_release(j);
    return NULL;
}

static void test_run_coroutine_threadsafe_from_8_threads(void **state) {
    (void)state;
    atomic_store(&coro_sum, 0);
    assert_int_equal(cio_run(main_server, NULL, NULL), 0);
    checks_assert();
    long n = per_thread / 50;
    assert_int_equal(atomic_load(&coro_sum), NTHREADS * (n * (n + 1) / 2));
}

int main(void) {
    per_thread = under_valgrind() ? 1000 : FULL_PER_THREAD;
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_100k_threadsafe_calls),
        CIO_TEST(test_run_coroutine_threadsafe_from_8_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
