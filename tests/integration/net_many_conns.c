/* 10,000 concurrent connections to one cio server, every echo checked.
 * The clients run in a forked child (its own loop and fd table), so that
 * neither process needs more than about 10,000 fds; both raise
 * RLIMIT_NOFILE to the hard limit. Every client connects, sends its number,
 * checks the echo, and holds its connection until all N are open at once
 * (the server counts the peak). 2,000 under sanitizers, 300 under valgrind.
 * ctest-labels: big
 * ctest-timeout: 600 */
#include "../cio_test.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int nconn;
static int port;

static void raise_nofile(void) {
    struct rlimit r;
    getrlimit(RLIMIT_NOFILE, &r);
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
}

/* ---- the server (parent) ------------------------------------------------- */

static int open_now, peak, served;
static cio_event *all_served;

static void echo(cio_stream *s, void *arg) {
    (void)arg;
    if (++open_now > peak)
        peak = open_now;
    char *line = NULL;
    ssize_t n = cio_stream_readline(s, &line);
    if (n > 0) {
        cio_stream_write(s, line, (size_t)n);
        free(line);
        char b[1];
        cio_stream_read(s, b, 1); /* until the client closes */
    }
    open_now--;
    if (++served == nconn)
        cio_event_set(all_served);
}

static void *server_main(void *arg) {
    cio_server *srv = arg;
    CHECK_INT(cio_event_wait(all_served), 0);
    cio_server_close(srv);
    CHECK_INT(cio_server_wait_closed(srv), 0);
    cio_server_free(srv);
    cio_event_free(all_served);
    return NULL;
}

/* ---- the clients (child) --------------------------------------------------
 */

static int connected, ok;
static cio_event *all_open;

static void *client(void *arg) {
    int i = PINT(arg);
    cio_stream *s = NULL;
    cio_connect_options o = {.happy_eyeballs_delay = -1};
    int rc = cio_open_connection("127.0.0.1", port, &o, &s);
    if (rc < 0) {
        fprintf(stderr, "client %d: %s\n", i, cio_last_error_message());
        cio_event_set(all_open); /* let the others finish */
        return NULL;
    }
    char msg[32], *line = NULL;
    int len = snprintf(msg, sizeof msg, "%d\n", i);
    cio_stream_write(s, msg, (size_t)len);
    if (cio_stream_readline(s, &line) == len && strcmp(line, msg) == 0)
        ok++;
    free(line);
    if (++connected == nconn)
        cio_event_set(all_open);
    cio_event_wait(all_open);
    cio_stream_close(s);
    cio_stream_wait_closed(s);
    cio_stream_free(s);
    return NULL;
}

static void *clients_main(void *arg) {
    (void)arg;
    all_open = cio_event_new(NULL);
    cio_future **t = calloc((size_t)nconn, sizeof *t);
    for (int i = 0; i < nconn; i++)
        t[i] = cio_create_task_ex(NULL, client, IPTR(i),
                                  &(cio_task_options){.stack_size = 32768});
    for (int i = 0; i < nconn; i++) {
        cio_await(t[i], NULL);
        cio_release(t[i]);
    }
    free(t);
    cio_event_free(all_open);
    return NULL;
}

static void *setup(void *arg) {
    cio_server **out = arg;
    cio_server_options so = {.backlog = 4096, .task_stack = 32768};
    CHECK_INT(cio_start_server(echo, NULL, "127.0.0.1", 0, &so, out), 0);
    port = cio_server_port(*out);
    all_served = cio_event_new(NULL);
    return NULL;
}

static void test_many(void **state) {
    (void)state;
    nconn = 10000;
    if (CIO_TEST_ASAN || CIO_TEST_TSAN)
        nconn = 2000;
    if (under_valgrind())
        nconn = 300;
    raise_nofile();
    struct rlimit r;
    getrlimit(RLIMIT_NOFILE, &r);
    if (r.rlim_cur < (rlim_t)nconn + 200)
        nconn = (int)r.rlim_cur - 200;
    cio_loop *loop = cio_loop_new(NULL);
    cio_server *srv = NULL;
    assert_int_equal(cio_loop_run_until_complete(loop, setup, &srv, NULL), 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        /* the child leaves the parent's loop alone and makes its own */
        cio_set_loop(NULL);
        int rc = cio_run(clients_main, NULL, NULL);
        _exit(rc == 0 && ok == nconn && ct_fail_count == 0 ? 0 : 1);
    }
    assert_true(pid > 0);
    assert_int_equal(cio_loop_run_until_complete(loop, server_main, srv, NULL),
                     0);
    int st = 0;
    waitpid(pid, &st, 0);
    cio_loop_close(loop);
    printf("# %d connections, peak %d open at once\n", nconn, peak);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(served, nconn);
    assert_int_equal(peak, nconn);
    checks_assert();
}

int main(void) {
    const struct CMUnitTest tests[] = {CIO_TEST(test_many)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
