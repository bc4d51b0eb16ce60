/* Integration: one loop per thread. Several threads run their own loops at
 * once without seeing each other's current loop or task, and creating and
 * closing thousands of loops in a row leaks no file descriptors. */
#include "../cio_test.h"

#include <dirent.h>
#include <pthread.h>

#define THREADS 4
/* ThreadSanitizer counts each task as a thread, and stops near 8,000 */
#define PER_THREAD (CIO_TEST_TSAN ? 500 : 2000)

typedef struct {
    int id;
    int rc;
    long finished;
    int wrong_loop;
    cio_loop *loop;
} worker;

static _Thread_local worker *tl_worker;

static void *sleeper(void *arg) {
    worker *w = arg;
    if (cio_get_running_loop() != w->loop)
        w->wrong_loop++;
    cio_sleep((double)(w->finished % 7) / 100.0);
    if (cio_get_running_loop() != w->loop)
        w->wrong_loop++;
    w->finished++;
    return NULL;
}

static void *worker_main(void *arg) {
    worker *w = arg;
    tl_worker = w;
    w->loop = cio_get_running_loop();
    cio_future **t = malloc(sizeof *t * PER_THREAD);
    if (!t)
        return cio_raise(CIO_ENOMEM, NULL);
    for (int i = 0; i < PER_THREAD; i++)
        t[i] = cio_create_task(sleeper, w);
    for (int i = 0; i < PER_THREAD; i++)
        cio_await(t[i], NULL);
    cio_release_all(t, PER_THREAD);
    free(t);
    return IPTR(w->id);
}

static void *thread_fn(void *arg) {
    worker *w = arg;
    void *r = NULL;
    w->rc = cio_run_ex(worker_main, w, &r, vt_opts());
    if (w->rc == 0 && PINT(r) != w->id)
        w->rc = -1;
    if (cio_get_loop() != NULL)
        w->rc = -2; /* cio_run leaves no loop behind */
    return NULL;
}

static void test_one_loop_per_thread(void **state) {
    (void)state;
    pthread_t th[THREADS];
    worker w[THREADS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < THREADS; i++) {
        w[i].id = i + 1;
        assert_int_equal(pthread_create(&th[i], NULL, thread_fn, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(w[i].rc, 0);
        assert_int_equal(w[i].finished, PER_THREAD);
        assert_int_equal(w[i].wrong_loop, 0);
        for (int j = 0; j < i; j++)
            assert_ptr_not_equal(w[i].loop, w[j].loop);
    }
    assert_null(cio_get_loop()); /* nothing leaked onto this thread */
}

static int count_fds(void) {
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static void *nop(void *arg) {
    return arg;
}

static void test_loops_leak_no_fds(void **state) {
    (void)state;
    int before = count_fds();
    if (before < 0)
        skip();
    int runs = under_valgrind() || CIO_TEST_TSAN ? 200 : 3000;
    for (int i = 0; i < runs; i++) {
        void *r = NULL;
        if (cio_run(nop, IPTR(i), &r) != 0 || PINT(r) != i)
            fail_msg("run %d failed", i);
    }
    for (int i = 0; i < runs / 10; i++) {
        cio_loop *l = cio_loop_new(NULL);
        assert_non_null(l);
        assert_int_equal(cio_loop_close(l), 0);
    }
    assert_int_equal(count_fds(), before);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_one_loop_per_thread),
        CIO_TEST(test_loops_leak_no_fds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
