/* Integration: 10,000 producers and 10,000 consumers through one bounded
 * queue; every item put is delivered exactly once, even though 1% of the
 * producers and 1% of the consumers are cancelled at random moments (a
 * cancelled put puts nothing, a cancelled get takes nothing, and a wake-up
 * given to a task that is then cancelled passes to the next one). Virtual
 * time and a fixed seed make the run the same every time.
 *
 * CIO_SYNC_STRESS_N sets the number of producers (= consumers); under
 * valgrind the default is 500.
 *
 * ctest-timeout: 600
 */
#include "../cio_test.h"

#define ITEMS_PER_PRODUCER 10
#define QUEUE_SIZE 64

static int g_n;
static cio_queue *g_q;
static unsigned char *g_put_ok, *g_seen;
static uint64_t g_rng = 12345;
static long g_got, g_dup, g_shutdown_seen;

static unsigned rnd(unsigned n) {
    g_rng = g_rng * 6364136223846793005u + 1442695040888963407u;
    return (unsigned)(g_rng >> 33) % n;
}

static void *producer(void *arg) {
    int p = PINT(arg);
    for (int k = 0; k < ITEMS_PER_PRODUCER; k++) {
        int id = p * ITEMS_PER_PRODUCER + k;
        int rc = cio_queue_put(g_q, IPTR(id + 1));
        if (rc)
            return cio_raise(rc, NULL); /* cancelled: nothing put */
        g_put_ok[id] = 1;
        if (rnd(4) == 0 && cio_sleep(rnd(3) * 0.001) != 0)
            return NULL;
    }
    return NULL;
}

static void *consumer(void *arg) {
    (void)arg;
    for (;;) {
        void *item = NULL;
        int rc = cio_queue_get(g_q, &item);
        if (rc == CIO_EQUEUESHUTDOWN)
            g_shutdown_seen++;
        if (rc)
            return NULL; /* shut down, or cancelled: nothing taken */
        CHECK(item != NULL);
        int id = PINT(item) - 1;
        if (g_seen[id]++)
            g_dup++;
        g_got++;
        CHECK_INT(cio_queue_task_done(g_q), 0);
        if (rnd(4) == 0 && cio_sleep(rnd(3) * 0.001) != 0)
            return NULL;
    }
}

static void cancel_later(void *arg) {
    cio_cancel(arg, "stress");
    cio_release(arg);
}

static cio_future **spawn(cio_task_fn fn, int n) {
    cio_future **t = calloc((size_t)n, sizeof *t);
    cio_task_options opts = {.stack_size = CIO_STACK_MIN};
    for (int i = 0; i < n && t; i++) {
        t[i] = cio_create_task_ex(NULL, fn, IPTR(i), &opts);
        CHECK(t[i] != NULL);
        if (rnd(100) == 0) /* 1%: cancel it at some random moment */
            CHECK_INT(cio_call_later(NULL, rnd(50) * 0.001, cancel_later,
                                     cio_retain(t[i]), NULL),
                      0);
    }
    return t;
}

static void *stress_main(void *arg) {
    (void)arg;
    g_q = cio_queue_new(QUEUE_SIZE);
    cio_future **cons = spawn(consumer, g_n);
    cio_future **prod = spawn(producer, g_n);
    for (int i = 0; i < g_n; i++) {
        int rc = cio_await(prod[i], NULL);
        CHECK(rc == 0 || rc == CIO_ECANCELED);
    }
    CHECK_INT(cio_queue_join(g_q), 0); /* every item put was processed */
    CHECK_INT(cio_queue_qsize(g_q), 0);
    CHECK_INT(cio_queue_shutdown(g_q, false), 0);
    for (int i = 0; i < g_n; i++) {
        int rc = cio_await(cons[i], NULL);
        CHECK(rc == 0 || rc == CIO_ECANCELED);
    }
    cio_release_all(prod, (size_t)g_n);
    cio_release_all(cons, (size_t)g_n);
    free(prod);
    free(cons);
    CHECK_INT(cio_sleep(0.1), 0); /* let the last cancel timers fire */
    CHECK_INT(cio_queue_free(g_q), 0);
    return NULL;
}

static void test_bounded_queue_stress(void **state) {
    (void)state;
    const char *env = getenv("CIO_SYNC_STRESS_N");
    g_n = env ? atoi(env) : under_valgrind() || CIO_TEST_TSAN ? 500 : 10000;
    size_t items = (size_t)g_n * ITEMS_PER_PRODUCER;
    g_put_ok = calloc(items, 1);
    g_seen = calloc(items, 1);
    assert_non_null(g_put_ok);
    assert_non_null(g_seen);
    assert_int_equal(run_vt(stress_main, NULL, NULL), 0);
    checks_assert();
    long put = 0, lost = 0, phantom = 0;
    for (size_t i = 0; i < items; i++) {
        put += g_put_ok[i];
        lost += g_put_ok[i] && !g_seen[i];
        phantom += !g_put_ok[i] && g_seen[i];
    }
    print_message("  %d producers, %d consumers: %ld items put, %ld "
                  "delivered, %ld consumers saw the shutdown\n",
                  g_n, g_n, put, g_got, g_shutdown_seen);
    assert_int_equal(lost, 0);
    assert_int_equal(phantom, 0);
    assert_int_equal(g_dup, 0);
    assert_int_equal(g_got, put);
    assert_true(put > (long)items * 9 / 10); /* most were put */
    assert_true(g_shutdown_seen > g_n * 9 / 10);
    free(g_put_ok);
    free(g_seen);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_bounded_queue_stress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
