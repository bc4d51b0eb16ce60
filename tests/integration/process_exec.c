/* Integration: subprocesses against real programs (sh, cat, sleep, true,
 * false, pwd, head). Exit codes and signal deaths as asyncio's returncode,
 * each stdio mode (PIPE, DEVNULL, inherit, a caller's fd, stderr to
 * stdout), cwd, env, a new session, communicate with megabytes both ways,
 * cancellation in wait and in communicate (the child keeps running, the
 * object stays usable, no byte lost), signals, freeing a running child and
 * closing a loop with one (no zombie either way). */
#include "../cio_test.h"
#include "../process_helpers.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

static cio_process *sh(const char *cmd, const cio_process_options *o) {
    cio_process *p = cio_create_subprocess_shell(cmd, o);
    if (!p)
        print_error("spawn failed: %s\n", cio_last_error_message());
    return p;
}

static void *exit_codes_main(void *arg) {
    (void)arg;
    int code = -1000;
    cio_process *p = cio_create_subprocess_exec(ARGV("true"), NULL);
    CHECK(p != NULL);
    CHECK(cio_process_pid(p) > 0);
    CHECK(!cio_process_returncode(p, &code));
    CHECK_INT(cio_process_wait(p, &code), 0);
    CHECK_INT(code, 0);
    CHECK(cio_process_returncode(p, &code));
    CHECK_INT(code, 0);
    CHECK_INT(cio_process_wait(p, &code), 0); /* again: at once */
    CHECK_INT(cio_process_free(p), 0);

    p = sh("exit 42", NULL);
    CHECK_INT(cio_process_wait(p, &code), 0);
    CHECK_INT(code, 42);
    CHECK_INT(cio_process_free(p), 0);

    p = sh("kill -TERM $$", NULL);
    CHECK_INT(cio_process_wait(p, &code), 0);
    CHECK_INT(code, -SIGTERM);
    CHECK_INT(cio_process_free(p), 0);

    p = sh("nonexistent-command-cio-test 2>/dev/null", NULL);
    CHECK_INT(cio_process_wait(p, &code), 0);
    CHECK_INT(code, 127);
    CHECK_INT(cio_process_free(p), 0);
    return NULL;
}

static void test_exit_codes(void **state) {
    (void)state;
    assert_int_equal(cio_run(exit_codes_main, NULL, NULL), 0);
    checks_assert();
}

static void *stdio_main(void *arg) {
    const char *dir = arg;
    char *out = NULL, *err = NULL;
    size_t n = 0, en = 0;
    int code = -1;

    /* stdout and stderr separate */
    cio_process *p = sh(
        "echo out; echo err >&2; exit 3",
        &(cio_process_options){.out = CIO_STDIO_PIPE, .err = CIO_STDIO_PIPE});
    CHECK(cio_process_stdin(p) == NULL);
    CHECK(cio_process_stdout(p) != NULL);
    CHECK_INT(cio_process_communicate(p, NULL, 0, &out, &n, &err, &en), 0);
    CHECK_STR(out, "out\n");
    CHECK_INT(n, 4);
    CHECK_STR(err, "err\n");
    CHECK(cio_process_returncode(p, &code));
    CHECK_INT(code, 3);
    free(out);
    free(err);
    cio_process_free(p);

    /* stderr to stdout, in order */
    p = sh(
        "echo 1; echo 2 >&2; echo 3",
        &(cio_process_options){.out = CIO_STDIO_PIPE, .err = CIO_STDIO_STDOUT});
    CHECK(cio_process_stderr(p) == NULL);
    CHECK_INT(cio_process_communicate(p, NULL, 0, &out, &n, &err, &en), 0);
    CHECK_STR(out, "1\n2\n3\n");
    CHECK(err == NULL);
    CHECK_INT(en, 0);
    free(out);
    cio_process_free(p);

    /* DEVNULL: stdin reads EOF at once, output vanishes */
    p = sh("cat; echo gone", &(cio_process_options){.in = CIO_STDIO_DEVNULL,
                                                    .out = CIO_STDIO_DEVNULL,
                                                    .err = CIO_STDIO_PIPE});
    CHECK_INT(cio_process_communicate(p, NULL, 0, &out, &n, &err, &en), 0);
    CHECK(out == NULL);
    CHECK_STR(err, "");
    free(err);
    cio_process_free(p);

    /* a caller's fd: output into a file, input from one */
    char path[256];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    p = sh("echo to-file",
           &(cio_process_options){.out = CIO_STDIO_FD, .out_fd = fd});
    CHECK_INT(cio_process_wait(p, &code), 0);
    cio_process_free(p);
    char buf[64] = "";
    CHECK_INT(pread(fd, buf, sizeof buf - 1, 0), 8);
    CHECK_STR(buf, "to-file\n");
    lseek(fd, 0, SEEK_SET); /* the child shares the offset */
    p = cio_create_subprocess_exec(
        ARGV("cat"), &(cio_process_options){.in = CIO_STDIO_FD,
                                            .in_fd = fd,
                                            .out = CIO_STDIO_PIPE});
    CHECK_INT(cio_process_communicate(p, NULL, 0, &out, &n, NULL, NULL), 0);
    CHECK_STR(out, "to-file\n");
    free(out);
    cio_process_free(p);
    CHECK(fcntl(fd, F_GETFD) != -1); /* still ours */
    close(fd);
    unlink(path);

    /* the pipes' stream options: a readline limit of 8 bytes */
    p = sh("echo 0123456789abcdef",
           &(cio_process_options){.out = CIO_STDIO_PIPE,
                                  .stream = &(cio_stream_options){.limit = 8}});
    char *line = NULL;
    CHECK_INT(cio_stream_readline(cio_process_stdout(p), &line), CIO_ELIMIT);
    free(line);
    CHECK_INT(cio_process_wait(p, &code), 0);
    cio_process_free(p);

    /* cwd and env */
    const char *const env[] = {"CIO_TEST_VAR=hello", "PATH=/usr/bin:/bin",
                               NULL};
    p = sh(
        "pwd; echo $CIO_TEST_VAR; echo ${HOME:-nohome}",
        &(cio_process_options){.out = CIO_STDIO_PIPE, .cwd = dir, .env = env});
    CHECK_INT(cio_process_communicate(p, NULL, 0, &out, &n, NULL, NULL), 0);
    char want[512];
    snprintf(want, sizeof want, "%s\nhello\nnohome\n", dir);
    CHECK_STR(out, want);
    free(out);
    cio_process_free(p);
    return NULL;
}

static void test_stdio_cwd_env(void **state) {
    (void)state;
    char dir[] = "/tmp/cio-proc-XXXXXX";
    assert_non_null(mkdtemp(dir));
    int fds = count_fds();
    assert_int_equal(cio_run(stdio_main, dir, NULL), 0);
    checks_assert();
    assert_int_equal(count_fds(), fds);
    rmdir(dir);
}

static void *session_main(void *arg) {
    (void)arg;
    cio_process *p = cio_create_subprocess_exec(
        ARGV("sleep", "30"), &(cio_process_options){.new_session = true});
    int pid = cio_process_pid(p);
    CHECK_INT(getsid(pid), pid);
    CHECK_INT(getpgid(pid), pid);
    CHECK_INT(cio_process_kill(p), 0);
    int code = 0;
    CHECK_INT(cio_process_wait(p, &code), 0);
    CHECK_INT(code, -SIGKILL);
    cio_process_free(p);

    p = cio_create_subprocess_exec(ARGV("sleep", "30"), NULL);
    pid = cio_process_pid(p);
    CHECK_INT(getsid(pid), getsid(0));
    CHECK_INT(cio_process_send_signal(p, 0), 0);
    CHECK_INT(cio_process_send_signal(p, -1), CIO_EINVAL);
    CHECK_INT(cio_process_terminate(p), 0);
    CHECK_INT(cio_process_wait(p, &code), 0);
    CHECK_INT(code, -SIGTERM);
    CHECK_INT(cio_process_send_signal(p, SIGTERM), -ESRCH);
    CHECK_INT(cio_process_kill(p), -ESRCH);
    cio_process_free(p);
    return NULL;
}

static void test_session_and_signals(void **state) {
    (void)state;
    assert_int_equal(cio_run(session_main, NULL, NULL), 0);
    checks_assert();
}

/* A pattern that a reader can check at any offset. */
static char *pattern(size_t n) {
    char *b = malloc(n);
    for (size_t i = 0; i < n; i++)
        b[i] = (char)('a' + (i * 7 + i / 4096) % 26);
    return b;
}

static void *megabytes_main(void *arg) {
    size_t n = *(size_t *)arg;
    char *in = pattern(n);
    /* cat writes as it reads: without concurrent reading and writing both
     * pipes would fill and both sides would wait forever */
    cio_process *p = cio_create_subprocess_exec(
        ARGV("cat"),
        &(cio_process_options){.in = CIO_STDIO_PIPE, .out = CIO_STDIO_PIPE});
    char *out = NULL;
    size_t got = 0;
    CHECK_INT(cio_process_communicate(p, in, n, &out, &got, NULL, NULL), 0);
    CHECK_INT(got, n);
    CHECK(out && memcmp(out, in, n) == 0);
    free(out);
    cio_process_free(p);

    /* the same amount on stdout and stderr before reading any input */
    char cmd[160];
    snprintf(cmd, sizeof cmd,
             "head -c %zu /dev/zero; head -c %zu /dev/zero >&2; "
             "cat >/dev/null",
             n, n);
    p = sh(cmd, &(cio_process_options){.in = CIO_STDIO_PIPE,
                                       .out = CIO_STDIO_PIPE,
                                       .err = CIO_STDIO_PIPE});
    char *err = NULL;
    size_t en = 0;
    CHECK_INT(cio_process_communicate(p, in, n, &out, &got, &err, &en), 0);
    CHECK_INT(got, n);
    CHECK_INT(en, n);
    free(out);
    free(err);
    cio_process_free(p);

    /* a child that exits without reading its input: no error */
    p = sh("exit 0", &(cio_process_options){.in = CIO_STDIO_PIPE});
    CHECK_INT(cio_process_communicate(p, in, n, NULL, NULL, NULL, NULL), 0);
    cio_process_free(p);
    free(in);
    return NULL;
}

static void test_communicate_megabytes(void **state) {
    (void)state;
    size_t n = (CIO_TEST_ASAN || under_valgrind() ? 1 : 8) << 20;
    int fds = count_fds();
    assert_int_equal(cio_run(megabytes_main, &n, NULL), 0);
    checks_assert();
    assert_int_equal(count_fds(), fds);
}

static void *waiter(void *arg) {
    int code = 0;
    int rc = cio_process_wait(arg, &code);
    return rc ? cio_raise(rc, NULL) : IPTR(code);
}

static void *cancel_wait_main(void *arg) {
    (void)arg;
    cio_process *p = cio_create_subprocess_exec(
        ARGV("cat"), &(cio_process_options){.in = CIO_STDIO_PIPE});
    cio_future *t = cio_create_task(waiter, p);
    cio_sleep(0.01);
    CHECK_INT(cio_process_free(p), CIO_EHASWAITERS);
    cio_cancel(t, NULL);
    CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
    cio_release(t);
    /* the child still runs; the object works */
    CHECK(!cio_process_returncode(p, NULL));
    CHECK(is_our_child(cio_process_pid(p)));
    CHECK_INT(cio_process_send_signal(p, 0), 0);
    t = cio_create_task(waiter, p);
    cio_stream_close(cio_process_stdin(p)); /* cat sees EOF and exits */
    void *res = NULL;
    CHECK_INT(cio_await(t, &res), 0);
    CHECK_INT(PINT(res), 0);
    cio_release(t);
    CHECK_INT(cio_process_free(p), 0);
    return NULL;
}

static void test_cancel_wait(void **state) {
    (void)state;
    assert_int_equal(cio_run(cancel_wait_main, NULL, NULL), 0);
    checks_assert();
}

typedef struct comm {
    cio_process *p;
    const char *in;
    size_t n;
    char *out;
    size_t got;
} comm;

static void *communicator(void *arg) {
    comm *c = arg;
    int rc = cio_process_communicate(c->p, c->in, c->n, &c->out, &c->got, NULL,
                                     NULL);
    return rc ? cio_raise(rc, NULL) : NULL;
}

/* A child that echoes its input slowly: cancel communicate half-way, then
 * a second communicate gets every byte. */
static void *cancel_communicate_main(void *arg) {
    (void)arg;
    size_t n = 256 * 1024;
    char *in = pattern(n);
    /* dd reads exactly what it echoes (head could read ahead) */
    cio_process *p =
        sh("dd bs=1000 count=100 iflag=fullblock 2>/dev/null; "
           "sleep 0.2; cat",
           &(cio_process_options){.in = CIO_STDIO_PIPE, .out = CIO_STDIO_PIPE});
    comm c = {.p = p, .in = in, .n = n};
    cio_future *t = cio_create_task(communicator, &c);
    cio_sleep(0.05);
    CHECK(!cio_future_done(t));
    cio_cancel(t, NULL);
    CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
    cio_release(t);
    CHECK(c.out == NULL);
    CHECK(!cio_process_returncode(p, NULL));
    t = cio_create_task(communicator, &c);
    CHECK_INT(cio_await(t, NULL), 0);
    cio_release(t);
    CHECK_INT(c.got, n);
    CHECK(c.out && memcmp(c.out, in, n) == 0);
    free(c.out);
    int code = -1;
    CHECK(cio_process_returncode(p, &code));
    CHECK_INT(code, 0);
    CHECK_INT(cio_process_free(p), 0);
    free(in);
    return NULL;
}

static void test_cancel_communicate(void **state) {
    (void)state;
    assert_int_equal(cio_run(cancel_communicate_main, NULL, NULL), 0);
    checks_assert();
}

static int freed_pid;

static void *free_running_main(void *arg) {
    (void)arg;
    cio_process *p = cio_create_subprocess_exec(
        ARGV("sh", "-c", "sleep 0.1"),
        &(cio_process_options){.out = CIO_STDIO_PIPE});
    freed_pid = cio_process_pid(p);
    CHECK_INT(cio_process_free(p), 0); /* not killed */
    CHECK(is_our_child(freed_pid));
    CHECK_INT(kill(freed_pid, 0), 0);
    cio_sleep(0.5); /* the loop still reaps it */
    return NULL;
}

static void test_free_running_child(void **state) {
    (void)state;
    int fds = count_fds();
    assert_int_equal(cio_run(free_running_main, NULL, NULL), 0);
    checks_assert();
    assert_true(wait_gone(freed_pid, 30));
    assert_int_equal(count_fds(), fds);
}

static cio_process *left;

static void *leave_running_main(void *arg) {
    (void)arg;
    left = cio_create_subprocess_exec(
        ARGV("sleep", "0.3"),
        &(cio_process_options){.in = CIO_STDIO_PIPE, .out = CIO_STDIO_PIPE});
    CHECK(left != NULL);
    return NULL;
}

static void test_loop_closes_with_child(void **state) {
    (void)state;
    int fds = count_fds();
    diag_capture();
    assert_int_equal(cio_run(leave_running_main, NULL, NULL), 0);
    diag_restore();
    checks_assert();
    int pid = cio_process_pid(left);
    assert_int_equal(diag_count("was still running when its loop closed"), 1);
    assert_int_equal(kill(pid, 0), 0); /* not killed */
    assert_false(cio_process_returncode(left, NULL));
    assert_int_equal(cio_process_free(left), 0);
    assert_true(wait_gone(pid, 30)); /* reaped: no zombie */
    assert_int_equal(count_fds(), fds);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_exit_codes),
        CIO_TEST(test_stdio_cwd_env),
        CIO_TEST(test_session_and_signals),
        CIO_TEST(test_communicate_megabytes),
        CIO_TEST(test_cancel_wait),
        CIO_TEST(test_cancel_communicate),
        CIO_TEST(test_free_running_child),
        CIO_TEST(test_loop_closes_with_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
