/* Integration: the two programs of examples/process, run as a user would.
 * run_many runs three commands with a timeout of 1 s and must print them
 * fastest first, the slow one killed; stop_on_ctrl_c gets a real SIGINT
 * once its child is ticking and must stop the child, say so and end with
 * status 130. Run from the build directory (ctest's working directory);
 * skipped when the examples were not built. */
#include "../cio_test.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct prog {
    pid_t pid;
    int fd;
    char out[4096];
    size_t n;
} prog;

static void start(prog *p, char *const argv[]) {
    if (access(argv[0], X_OK) != 0)
        skip(); /* examples not built (CIO_BUILD_EXAMPLES=OFF) */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    p->pid = fork();
    assert_true(p->pid >= 0);
    if (p->pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        signal(SIGINT, SIG_DFL); /* whatever ran us: a user's terminal */
        execv(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    p->fd = fds[0];
    p->n = 0;
}

/* Read until `until` appears in the output (NULL: EOF); false on EOF or
 * after 60 s without data (a generous bound). */
static bool read_until(prog *p, const char *until) {
    for (;;) {
        p->out[p->n] = '\0';
        if (until && strstr(p->out, until))
            return true;
        struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
        if (poll(&pfd, 1, 60 * 1000) != 1 || p->n + 1 >= sizeof p->out)
            return false;
        ssize_t k = read(p->fd, p->out + p->n, sizeof p->out - 1 - p->n);
        if (k <= 0)
            return until == NULL;
        p->n += (size_t)k;
    }
}

static int finish(prog *p) {
    assert_true(read_until(p, NULL));
    close(p->fd);
    int status;
    assert_int_equal(waitpid(p->pid, &status, 0), p->pid);
    return status;
}

static void test_run_many(void **state) {
    (void)state;
    char *argv[] = {"examples/process/process_run_many",
                    "-t",
                    "1",
                    "sleep 0.3; echo b",
                    "echo a",
                    "echo s; sleep 30; echo never",
                    NULL};
    prog p;
    double t0 = now_real();
    start(&p, argv);
    int status = finish(&p);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_string_equal(p.out, "[echo a] exit 0\n"
                               "a\n"
                               "[sleep 0.3; echo b] exit 0\n"
                               "b\n"
                               "[echo s; sleep 30; echo never] killed after "
                               "1 s (-9)\n"
                               "s\n");
    assert_true(now_real() - t0 < 25); /* the sleep was killed */
}

static void test_stop_on_ctrl_c(void **state) {
    (void)state;
    char *argv[] = {"examples/process/process_stop_on_ctrl_c", NULL};
    prog p;
    start(&p, argv);
    assert_true(read_until(&p, "child says tick\n"));
    assert_int_equal(kill(p.pid, SIGINT), 0);
    int status = finish(&p);
    const char *tail = strstr(p.out, "Ctrl-C");
    assert_non_null(tail);
    assert_string_equal(tail, "Ctrl-C: stopping the child\n"
                              "child ended with -15\n"
                              "stopped cleanly\n");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 130);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_run_many),
        CIO_TEST(test_stop_on_ctrl_c),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
