/* Integration: Ctrl-C under cio_run, with real signals sent to a forked
 * child that runs cio_run. The child reports what it does, one letter at a
 * time, through a pipe; the parent sends SIGINT at known points and checks
 * the order of events, the clean-up and how the child ended:
 *   - one SIGINT: main cancelled, its clean-up (which suspends) runs, the
 *     other tasks are cancelled after it, cio_run returns CIO_EINTERRUPTED,
 *     and cio_exit_status gives 130;
 *   - a second SIGINT during a clean-up that never yields ends the child
 *     at once, killed by SIGINT;
 *   - with no_sigint, the first SIGINT kills it;
 *   - with SIGINT ignored before cio_run, cio_run leaves it ignored. */
#include "../cio_test.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static int report_fd = -1;

static void say(char c) {
    if (write(report_fd, &c, 1) != 1)
        _exit(99);
}

static void *helper(void *arg) {
    (void)arg;
    if (cio_sleep(60) == CIO_ECANCELED)
        say('H');
    return NULL;
}

/* S: started; C: main cancelled; D: main's clean-up done. */
static void *clean_main(void *arg) {
    (void)arg;
    cio_release(cio_create_task(helper, NULL));
    cio_sleep(0); /* the helper is asleep before we report */
    say('S');
    if (cio_sleep(60) != CIO_ECANCELED)
        return NULL;
    say('C');
    if (cio_sleep(0.02) == 0) /* a clean-up may suspend again */
        say('D');
    return NULL; /* ends CANCELLED: the cancellation stands */
}

static void *stubborn_main(void *arg) {
    (void)arg;
    say('S');
    if (cio_sleep(60) != CIO_ECANCELED)
        return NULL;
    say('C');
    for (;;) /* a clean-up that never yields */
        usleep(1000);
}

static void on_usr1(int signum, void *arg) {
    (void)signum;
    cio_event_set(arg);
}

static void *ignored_main(void *arg) {
    (void)arg;
    cio_event *ev = cio_event_new(NULL);
    cio_add_signal_handler(NULL, SIGUSR1, on_usr1, ev);
    say('S');
    if (cio_event_wait(ev) == 0)
        say('U');
    cio_event_free(ev);
    return NULL;
}

enum { CLEAN, STUBBORN, NO_SIGINT, IGNORED };

static void child(int mode) {
    int rc;
    switch (mode) {
    case CLEAN:
        rc = cio_run(clean_main, NULL, NULL);
        if (rc == CIO_EINTERRUPTED)
            say('R');
        break;
    case STUBBORN:
        rc = cio_run(stubborn_main, NULL, NULL);
        break;
    case NO_SIGINT: {
        cio_loop_options o = {.no_sigint = true};
        rc = cio_run_ex(stubborn_main, NULL, NULL, &o);
        break;
    }
    default:
        signal(SIGINT, SIG_IGN);
        rc = cio_run(ignored_main, NULL, NULL);
        break;
    }
    _exit(cio_exit_status(rc));
}

typedef struct kid {
    pid_t pid;
    int fd;
    char got[16];
    size_t n;
} kid;

static kid start(int mode) {
    int p[2];
    assert_int_equal(pipe(p), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        report_fd = p[1];
        child(mode);
    }
    close(p[1]);
    return (kid){.pid = pid, .fd = p[0]};
}

/* Read until `want` letters came or EOF (a generous bound: the child is
 * slow only under valgrind). */
static void read_until(kid *k, size_t want) {
    while (k->n < want && k->n < sizeof k->got - 1) {
        struct pollfd pfd = {.fd = k->fd, .events = POLLIN};
        int r = poll(&pfd, 1, 60 * 1000);
        assert_int_equal(r, 1);
        ssize_t n = read(k->fd, k->got + k->n, 1);
        if (n <= 0)
            break;
        k->n++;
    }
    k->got[k->n] = '\0';
}

static int finish(kid *k) {
    read_until(k, sizeof k->got - 1);
    close(k->fd);
    int status;
    assert_int_equal(waitpid(k->pid, &status, 0), k->pid);
    return status;
}

static void test_first_sigint_cancels_main(void **state) {
    (void)state;
    kid k = start(CLEAN);
    read_until(&k, 1);
    assert_string_equal(k.got, "S");
    assert_int_equal(kill(k.pid, SIGINT), 0);
    int status = finish(&k);
    /* main cancelled and cleaned up, then the other task, then cio_run */
    assert_string_equal(k.got, "SCDHR");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 130);
}

static void test_second_sigint_ends_at_once(void **state) {
    (void)state;
    /* ThreadSanitizer emulates SA_RESETHAND and defers signals to its own
     * safe points; under load it once lost the first SIGINT here (60 s
     * without 'C'). The signal logic has no threads for TSan to check. */
    if (CIO_TEST_TSAN)
        skip();
    kid k = start(STUBBORN);
    read_until(&k, 1);
    assert_int_equal(kill(k.pid, SIGINT), 0);
    read_until(&k, 2);
    assert_string_equal(k.got, "SC");
    assert_int_equal(kill(k.pid, SIGINT), 0);
    int status = finish(&k);
    assert_string_equal(k.got, "SC");
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGINT);
}

static void test_no_sigint_option(void **state) {
    (void)state;
    kid k = start(NO_SIGINT);
    read_until(&k, 1);
    assert_int_equal(kill(k.pid, SIGINT), 0);
    int status = finish(&k);
    assert_string_equal(k.got, "S");
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGINT);
}

static void test_ignored_sigint_left_alone(void **state) {
    (void)state;
    kid k = start(IGNORED);
    read_until(&k, 1);
    /* an ignored signal is dropped when sent: SIGUSR1 comes after it */
    assert_int_equal(kill(k.pid, SIGINT), 0);
    assert_int_equal(kill(k.pid, SIGUSR1), 0);
    int status = finish(&k);
    assert_string_equal(k.got, "SU");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_first_sigint_cancels_main),
        CIO_TEST(test_second_sigint_ends_at_once),
        CIO_TEST(test_no_sigint_option),
        CIO_TEST(test_ignored_sigint_left_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
