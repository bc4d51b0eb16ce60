/* Fault tests of streams and servers, all on loopback: connection refused,
 * connect timeout (a listener whose accept queue is full drops SYNs),
 * peer reset in the middle of a read, writing to a peer that has gone (an
 * error, never SIGPIPE), a writer whose peer never reads (drain suspends,
 * the buffer stays bounded), EMFILE on accept (the server pauses, says so
 * once, does not spin, and serves everyone once fds are back).
 * ctest-labels: fault */
#include "../cio_test.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

static int raw_listener(int backlog, int *port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&a, sizeof a);
    listen(fd, backlog);
    socklen_t al = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &al);
    *port = ntohs(a.sin_port);
    return fd;
}

static int raw_connect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connect(fd, (struct sockaddr *)&a, sizeof a);
    return fd;
}

/* ---- refused, timeout --------------------------------------------------- */

static void *t_refused_timeout(void *arg) {
    (void)arg;
    int port;
    int fd = raw_listener(1, &port);
    close(fd); /* nobody listens on port now */
    cio_stream *s = NULL;
    CHECK_INT(cio_open_connection("127.0.0.1", port, NULL, &s), -ECONNREFUSED);
    CHECK(s == NULL);
    CHECK(strstr(cio_last_error_message(), "refused"));
    cio_connect_options uo = {0};
    char path[64];
    snprintf(path, sizeof path, "/tmp/cio-no-such-%d.sock", (int)getpid());
    CHECK_INT(cio_open_unix_connection(path, &uo, &s), -ENOENT);

    /* a full accept queue: the kernel drops further SYNs */
    fd = raw_listener(0, &port);
    int fill[4];
    for (int i = 0; i < 4; i++)
        fill[i] = raw_connect(port);
    cio_sleep(0.05);
    cio_connect_options o = {.timeout = 0.3};
    double t0 = cio_loop_time(cio_get_running_loop());
    CHECK_INT(cio_open_connection("127.0.0.1", port, &o, &s), CIO_ETIMEDOUT);
    double took = cio_loop_time(cio_get_running_loop()) - t0;
    CHECK(took >= 0.29 && took < 5);
    for (int i = 0; i < 4; i++)
        close(fill[i]);
    close(fd);
    return NULL;
}

static void test_refused_timeout(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_refused_timeout, NULL, NULL), 0);
    checks_assert();
}

/* ---- reset mid-read, write to a gone peer -------------------------------- */

static void reset_after_data(cio_stream *s, void *arg) {
    (void)arg;
    char b[1];
    cio_stream_readexactly(s, b, 1, NULL); /* the client is ready */
    cio_stream_write(s, "partial", 7);
    cio_sleep(0.05);
    cio_stream_abort(s); /* RST */
}

static void reset_at_once(cio_stream *s, void *arg) {
    (void)arg;
    cio_stream_abort(s);
}

static void *t_reset(void *arg) {
    (void)arg;
    cio_server *srv;
    CHECK_INT(
        cio_start_server(reset_after_data, NULL, "127.0.0.1", 0, NULL, &srv),
        0);
    cio_stream *c;
    CHECK_INT(cio_open_connection("127.0.0.1", cio_server_port(srv), NULL, &c),
              0);
    cio_stream_write(c, "g", 1);
    char buf[64];
    size_t got = 0;
    ssize_t n;
    while ((n = cio_stream_read(c, buf, sizeof buf)) > 0)
        got += (size_t)n;
    CHECK_INT(n, -ECONNRESET);
    CHECK(got <= 7);
    CHECK_INT(cio_stream_read(c, buf, sizeof buf), -ECONNRESET); /* sticks */
    CHECK_INT(cio_stream_write(c, "x", 1), -ECONNRESET);
    cio_stream_free(c);
    cio_server_free(srv);

    /* write to a peer that has gone: an error, the process lives */
    CHECK_INT(cio_start_server(reset_at_once, NULL, "127.0.0.1", 0, NULL, &srv),
              0);
    CHECK_INT(cio_open_connection("127.0.0.1", cio_server_port(srv), NULL, &c),
              0);
    cio_sleep(0.05);
    static char chunk[65536];
    int rc = 0;
    for (int i = 0; i < 1000 && rc == 0; i++) {
        rc = cio_stream_write(c, chunk, sizeof chunk);
        if (rc == 0)
            rc = cio_stream_drain(c);
        if (rc == 0)
            cio_sleep(0.001);
    }
    CHECK(rc == -EPIPE || rc == -ECONNRESET);
    cio_stream_free(c);
    cio_server_free(srv);
    return NULL;
}

static void test_reset(void **state) {
    (void)state;
    signal(SIGPIPE, SIG_DFL); /* cio must protect itself */
    assert_int_equal(cio_run(t_reset, NULL, NULL), 0);
    checks_assert();
}

/* ---- a peer that never reads ----------------------------------------------
 */

static size_t written;
static size_t max_buffered;

static void *flood(void *arg) {
    cio_stream *c = arg;
    static char chunk[16384];
    for (;;) {
        if (cio_stream_write(c, chunk, sizeof chunk) < 0)
            break;
        written += sizeof chunk;
        size_t b = cio_stream_write_buffer_size(c);
        if (b > max_buffered)
            max_buffered = b;
        if (cio_stream_drain(c) < 0)
            break;
    }
    return NULL;
}

static void never_read(cio_stream *s, void *arg) {
    (void)s;
    cio_event_wait((cio_event *)arg);
}

static void *t_never_reads(void *arg) {
    (void)arg;
    cio_event *done = cio_event_new(NULL);
    cio_server *srv;
    CHECK_INT(cio_start_server(never_read, done, "127.0.0.1", 0, NULL, &srv),
              0);
    cio_stream *c;
    CHECK_INT(cio_open_connection("127.0.0.1", cio_server_port(srv), NULL, &c),
              0);
    cio_future *w = cio_create_task(flood, c);
    cio_sleep(0.3);
    size_t at = written;
    cio_sleep(0.3);
    CHECK_INT(written, at); /* the writer is parked in drain */
    CHECK(cio_stream_write_buffer_size(c) > CIO_STREAM_LOW_WATER);
    CHECK(max_buffered <= CIO_STREAM_HIGH_WATER + 16384);
    cio_cancel(w, NULL);
    CHECK_INT(cio_await(w, NULL), CIO_ECANCELED);
    cio_release(w);
    cio_stream_abort(c);
    cio_stream_free(c);
    cio_event_set(done);
    cio_server_close(srv);
    CHECK_INT(cio_server_wait_closed(srv), 0);
    cio_server_free(srv);
    cio_event_free(done);
    return NULL;
}

static void test_never_reads(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_never_reads, NULL, NULL), 0);
    checks_assert();
}

/* ---- EMFILE on accept ------------------------------------------------------
 */

#define NCLIENTS 10

static void greet(cio_stream *s, void *arg) {
    (void)arg;
    cio_stream_write(s, "hi", 2);
}

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void *t_emfile(void *arg) {
    (void)arg;
    cio_server *srv;
    CHECK_INT(cio_start_server(greet, NULL, "127.0.0.1", 0, NULL, &srv), 0);
    int port = cio_server_port(srv);
    int fds[NCLIENTS];
    for (int i = 0; i < NCLIENTS; i++)
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    /* room for two more fds only */
    int top = dup(0);
    close(top);
    struct rlimit old, low;
    getrlimit(RLIMIT_NOFILE, &old);
    low = old;
    low.rlim_cur = (rlim_t)top + 2;
    CHECK_INT(setrlimit(RLIMIT_NOFILE, &low), 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < NCLIENTS; i++)
        connect(fds[i], (struct sockaddr *)&a, sizeof a);
    double cpu0 = cpu_seconds();
    cio_sleep(0.5);
    double cpu = cpu_seconds() - cpu0;
    if (!under_valgrind())
        CHECK(cpu < 0.25); /* paused, not spinning on EMFILE */
    CHECK_INT(diag_count("accepting paused"), 1);
    setrlimit(RLIMIT_NOFILE, &old);
    /* after the retry delay every client is served */
    for (int i = 0; i < NCLIENTS; i++) {
        char b[2];
        CHECK_INT(cio_sock_recv(fds[i], b, 2), 2);
        close(fds[i]);
    }
    CHECK_INT(diag_count("accepting paused"), 1);
    cio_server_close(srv);
    CHECK_INT(cio_server_wait_closed(srv), 0);
    cio_server_free(srv);
    return NULL;
}

static void test_emfile(void **state) {
    (void)state;
    if (under_valgrind())
        skip(); /* valgrind emulates RLIMIT_NOFILE with fds of its own */
    diag_capture();
    int rc = cio_run(t_emfile, NULL, NULL);
    diag_restore();
    assert_int_equal(rc, 0);
    checks_assert();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_refused_timeout),
        CIO_TEST(test_reset),
        CIO_TEST(test_never_reads),
        CIO_TEST(test_emfile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
