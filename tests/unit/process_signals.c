/* Unit tests: cio_add_signal_handler / cio_remove_signal_handler. Bad and
 * uncatchable signals, a handler run as a loop callback on the loop's
 * thread, replacement and removal, a handler keeping a waiting loop alive,
 * a SIGINT handler taking over from cio_run's, cio_exit_status, and a
 * short sleep after a long step with a handler installed (no hang).
 * ctest-timeout: 60 */
#include "../cio_test.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

static void never(int signum, void *arg) {
    (void)signum;
    (void)arg;
}

static void test_bad_signals(void **state) {
    (void)state;
    /* without a loop */
    assert_int_equal(cio_add_signal_handler(NULL, SIGUSR1, never, NULL),
                     CIO_ENOLOOP);
    assert_int_equal(cio_remove_signal_handler(NULL, SIGUSR1), CIO_ENOLOOP);
    cio_loop *loop = cio_loop_new(NULL);
    assert_non_null(loop);
    const int bad[] = {0, -1, NSIG, 100000};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(cio_add_signal_handler(loop, bad[i], never, NULL),
                         CIO_EINVAL);
        assert_non_null(strstr(cio_last_error_message(), "not a signal"));
        assert_int_equal(cio_remove_signal_handler(loop, bad[i]), CIO_EINVAL);
    }
    const int uncatchable[] = {SIGKILL, SIGSTOP, SIGSEGV,
                               SIGBUS,  SIGFPE,  SIGILL};
    for (size_t i = 0; i < sizeof uncatchable / sizeof uncatchable[0]; i++) {
        assert_int_equal(
            cio_add_signal_handler(loop, uncatchable[i], never, NULL),
            CIO_EBADSIGNAL);
        assert_non_null(strstr(cio_last_error_message(), "cannot be handled"));
    }
    assert_int_equal(cio_add_signal_handler(loop, SIGUSR1, NULL, NULL),
                     CIO_EINVAL);
    assert_int_equal(cio_remove_signal_handler(loop, SIGUSR1), 0);
    assert_int_equal(cio_loop_close(loop), 0);
    assert_int_equal(cio_add_signal_handler(NULL, SIGUSR1, never, NULL),
                     CIO_ENOLOOP); /* closed: no longer the thread's loop */
    assert_string_equal(cio_strerror(CIO_EBADSIGNAL),
                        "this signal cannot be handled by a loop callback "
                        "(SIGKILL and SIGSTOP cannot be caught; SIGSEGV, "
                        "SIGBUS, SIGFPE and SIGILL report faults that must be "
                        "handled where they happen)");
    assert_non_null(strstr(cio_strerror(CIO_EINTERRUPTED), "SIGINT"));
}

typedef struct seen {
    cio_event *ev;
    int signum, calls;
    bool in_task;
    cio_loop *running;
    pthread_t thread;
} seen;

static void record(int signum, void *arg) {
    seen *s = arg;
    s->signum = signum;
    s->calls++;
    s->in_task = cio_current_task() != NULL;
    s->running = cio_get_running_loop();
    s->thread = pthread_self();
    cio_event_set(s->ev);
}

static void *handler_main(void *arg) {
    seen *s = arg;
    s->ev = cio_event_new(NULL);
    CHECK_INT(cio_add_signal_handler(NULL, SIGUSR1, record, s), 0);
    CHECK_INT(kill(getpid(), SIGUSR1), 0);
    CHECK_INT(cio_event_wait(s->ev), 0);
    CHECK_INT(s->calls, 1);
    CHECK_INT(s->signum, SIGUSR1);
    CHECK(!s->in_task);
    CHECK_PTR(s->running, cio_get_running_loop());
    CHECK(pthread_equal(s->thread, pthread_self()));
    /* a second delivery */
    cio_event_clear(s->ev);
    CHECK_INT(kill(getpid(), SIGUSR1), 0);
    CHECK_INT(cio_event_wait(s->ev), 0);
    CHECK_INT(s->calls, 2);
    CHECK_INT(cio_remove_signal_handler(NULL, SIGUSR1), 1);
    CHECK_INT(cio_remove_signal_handler(NULL, SIGUSR1), 0);
    cio_event_free(s->ev);
    return NULL;
}

static void test_handler_is_a_loop_callback(void **state) {
    (void)state;
    /* keep SIGUSR1 from killing us between the removal and the end */
    seen s = {0};
    assert_int_equal(cio_run(handler_main, &s, NULL), 0);
    checks_assert();
}

static void first(int signum, void *arg) {
    (void)signum;
    *(int *)arg += 1;
}
static void second(int signum, void *arg) {
    (void)signum;
    *(int *)arg += 100;
}

static void *replace_main(void *arg) {
    int *count = arg;
    CHECK_INT(cio_add_signal_handler(NULL, SIGUSR2, first, count), 0);
    CHECK_INT(cio_add_signal_handler(NULL, SIGUSR2, second, count), 0);
    CHECK_INT(kill(getpid(), SIGUSR2), 0);
    for (int i = 0; i < 200 && *count == 0; i++)
        cio_sleep(0.005);
    CHECK_INT(*count, 100);
    return NULL; /* the loop closes with the handler installed */
}

static void test_replace_and_close_with_handler(void **state) {
    (void)state;
    int count = 0;
    assert_int_equal(cio_run(replace_main, &count, NULL), 0);
    checks_assert();
    /* closing the loop removed the handler: SIGUSR2 has its default
     * action back (checked without raising it) */
    struct sigaction sa;
    assert_int_equal(sigaction(SIGUSR2, NULL, &sa), 0);
    assert_ptr_equal((void *)sa.sa_handler, (void *)SIG_DFL);
}

static void *send_later(void *arg) {
    (void)arg;
    usleep(50 * 1000);
    kill(getpid(), SIGUSR1);
    return NULL;
}

static void set_event(int signum, void *arg) {
    (void)signum;
    cio_event_set(arg);
}

/* Only the signal can wake the loop: it waits for it, no CIO_EDEADLK. */
static void *alive_main(void *arg) {
    (void)arg;
    cio_event *ev = cio_event_new(NULL);
    CHECK_INT(cio_add_signal_handler(NULL, SIGUSR1, set_event, ev), 0);
    pthread_t t;
    CHECK_INT(pthread_create(&t, NULL, send_later, NULL), 0);
    CHECK_INT(cio_event_wait(ev), 0);
    pthread_join(t, NULL);
    CHECK_INT(cio_remove_signal_handler(NULL, SIGUSR1), 1);
    cio_event_free(ev);
    return NULL;
}

static void test_handler_keeps_loop_alive(void **state) {
    (void)state;
    assert_int_equal(cio_run(alive_main, NULL, NULL), 0);
    checks_assert();
}

/* A SIGINT handler of the program's replaces cio_run's Ctrl-C handling:
 * the main task is not cancelled. */
static void *sigint_main(void *arg) {
    int *count = arg;
    CHECK_INT(cio_add_signal_handler(NULL, SIGINT, first, count), 0);
    CHECK_INT(kill(getpid(), SIGINT), 0);
    int rc = 0;
    for (int i = 0; i < 200 && *count == 0 && rc == 0; i++)
        rc = cio_sleep(0.005);
    CHECK_INT(rc, 0);
    CHECK_INT(*count, 1);
    CHECK_INT(cio_task_cancelling(cio_current_task()), 0);
    return NULL;
}

static void test_program_sigint_handler(void **state) {
    (void)state;
    int count = 0;
    assert_int_equal(cio_run(sigint_main, &count, NULL), 0);
    checks_assert();
}

/* A step that runs longer than the sleep that follows it, while a signal
 * handler keeps the loop's I/O alive: the wake-up timer is due before
 * libuv polls, and the poll must not block (it did, forever, with libuv
 * 1.44, which runs due timers before its poll). */
static void *long_step_main(void *arg) {
    (void)arg;
    CHECK_INT(cio_add_signal_handler(NULL, SIGUSR1, never, NULL), 0);
    for (int i = 0; i < 3; i++) {
        double end = now_real() + 0.02;
        while (now_real() < end)
            continue; /* no yield */
        CHECK_INT(cio_sleep(0.001), 0);
    }
    CHECK_INT(cio_remove_signal_handler(NULL, SIGUSR1), 1);
    return NULL;
}

static void test_long_step_then_short_sleep(void **state) {
    (void)state;
    /* a hang would end the test by ctest's timeout */
    assert_int_equal(cio_run(long_step_main, NULL, NULL), 0);
    checks_assert();
}

static void test_exit_status(void **state) {
    (void)state;
    assert_int_equal(cio_exit_status(0), 0);
    assert_int_equal(cio_exit_status(CIO_EINTERRUPTED), 130);
    assert_int_equal(cio_exit_status(CIO_ECANCELED), 1);
    assert_int_equal(cio_exit_status(-ENOENT), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_bad_signals),
        CIO_TEST(test_handler_is_a_loop_callback),
        CIO_TEST(test_replace_and_close_with_handler),
        CIO_TEST(test_handler_keeps_loop_alive),
        CIO_TEST(test_program_sigint_handler),
        CIO_TEST(test_long_step_then_short_sleep),
        CIO_TEST(test_exit_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
