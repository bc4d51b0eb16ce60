/* Unit tests: streams over TCP and UNIX sockets on loopback, against a cio
 * server: echo by lines, readexactly / readuntil / readline semantics
 * (limits, EOF in the middle, nothing consumed on a limit overrun),
 * half-close both ways, write buffer water marks, addresses, bad input. */
#include "../cio_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

/* ---- an echo-by-lines server ------------------------------------------- */

static void echo_lines(cio_stream *s, void *arg) {
    (void)arg;
    CHECK_INT(cio_stream_free(s), CIO_EINVALIDSTATE); /* the server's */
    char *line;
    ssize_t n;
    while ((n = cio_stream_readline(s, &line)) > 0) {
        cio_stream_write(s, line, (size_t)n);
        free(line);
        if (cio_stream_drain(s) < 0)
            break;
    }
}

static void *t_echo(void *arg) {
    (void)arg;
    cio_server *srv;
    CHECK_INT(cio_start_server(echo_lines, NULL, "127.0.0.1", 0, NULL, &srv),
              0);
    int port = cio_server_port(srv);
    CHECK(port > 0);
    struct sockaddr_storage ss;
    CHECK_INT(cio_server_addresses(srv, &ss, 1), 1);
    CHECK_INT(ss.ss_family, AF_INET);
    cio_stream *c;
    CHECK_INT(cio_open_connection("127.0.0.1", port, NULL, &c), 0);
    CHECK_INT(cio_stream_write(c, "hello\nworld\n", 12), 0);
    char *line = NULL;
    CHECK_INT(cio_stream_readline(c, &line), 6);
    CHECK_STR(line, "hello\n");
    free(line);
    char buf[16] = {0};
    CHECK_INT(cio_stream_readexactly(c, buf, 3, NULL), 3);
    CHECK(memcmp(buf, "wor", 3) == 0);
    CHECK_INT(cio_stream_readuntil(c, "d\n", 2, &line, NULL), 3);
    CHECK_STR(line, "ld\n");
    free(line);
    /* the addresses of both ends */
    struct sockaddr_in peer, me;
    socklen_t pl = sizeof peer, ml = sizeof me;
    CHECK_INT(cio_stream_peername(c, (struct sockaddr *)&peer, &pl), 0);
    CHECK_INT(cio_stream_sockname(c, (struct sockaddr *)&me, &ml), 0);
    CHECK_INT(ntohs(peer.sin_port), port);
    CHECK(cio_stream_fileno(c) >= 0);
    CHECK(cio_stream_tls(c) == NULL);
    /* half-close: the server's readline sees EOF, its handler returns and
     * the server closes its side: we read EOF */
    CHECK_INT(cio_stream_write(c, "last\n", 5), 0);
    CHECK_INT(cio_stream_write_eof(c), 0);
    CHECK_INT(cio_stream_write(c, "x", 1), CIO_ECLOSED);
    CHECK_INT(cio_stream_readline(c, &line), 5);
    CHECK_STR(line, "last\n");
    free(line);
    CHECK_INT(cio_stream_read(c, buf, sizeof buf), 0);
    CHECK(cio_stream_at_eof(c));
    cio_stream_close(c);
    CHECK(cio_stream_is_closing(c));
    CHECK_INT(cio_stream_wait_closed(c), 0);
    CHECK_INT(cio_stream_free(c), 0);
    cio_server_close(srv);
    CHECK(!cio_server_is_serving(srv));
    CHECK_INT(cio_server_wait_closed(srv), 0);
    cio_server_free(srv);
    return NULL;
}

static void test_echo(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_echo, NULL, NULL), 0);
    checks_assert();
}

/* ---- reads against a server that writes a script ------------------------ */

typedef struct script {
    const char *data;
    size_t len;
    bool then_read; /* keep the connection open until the client closes */
} script;

static void play(cio_stream *s, void *arg) {
    script *sc = arg;
    cio_stream_write(s, sc->data, sc->len);
    cio_stream_drain(s);
    if (sc->then_read) {
        char b[64];
        while (cio_stream_read(s, b, sizeof b) > 0) {
        }
    }
}

static cio_stream *connect_to(cio_server *srv) {
    cio_stream *c = NULL;
    CHECK_INT(cio_open_connection("127.0.0.1", cio_server_port(srv), NULL, &c),
              0);
    return c;
}

static void *t_eof_mid_read(void *arg) {
    (void)arg;
    script sc = {"abcdef", 6, false};
    cio_server *srv;
    CHECK_INT(cio_start_server(play, &sc, "127.0.0.1", 0, NULL, &srv), 0);
    cio_stream *c = connect_to(srv);
    char buf[16];
    size_t partial = 99;
    CHECK_INT(cio_stream_readexactly(c, buf, 4, &partial), 4);
    CHECK_INT(cio_stream_readexactly(c, buf, 10, &partial), CIO_EINCOMPLETE);
    CHECK_INT(partial, 2);
    CHECK(memcmp(buf, "ef", 2) == 0);
    CHECK(strstr(cio_last_error_message(), "2 bytes read on a total of 10"));
    CHECK(cio_stream_at_eof(c));
    cio_stream_free(c);

    /* EOF in the middle of readuntil: the partial bytes, consumed */
    c = connect_to(srv);
    char *line = NULL;
    CHECK_INT(cio_stream_readuntil(c, "XY", 2, &line, &partial),
              CIO_EINCOMPLETE);
    CHECK_INT(partial, 6);
    CHECK_STR(line, "abcdef");
    free(line);
    CHECK_INT(cio_stream_readuntil(c, "XY", 2, &line, &partial),
              CIO_EINCOMPLETE);
    CHECK_INT(partial, 0);
    CHECK(line == NULL);
    cio_stream_free(c);

    /* readline gives the unterminated last line, then 0 */
    c = connect_to(srv);
    CHECK_INT(cio_stream_readline(c, &line), 6);
    CHECK_STR(line, "abcdef");
    free(line);
    CHECK_INT(cio_stream_readline(c, &line), 0);
    CHECK(line == NULL);
    cio_stream_free(c);
    cio_server_free(srv);
    return NULL;
}

static void test_eof_mid_read(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_eof_mid_read, NULL, NULL), 0);
    checks_assert();
}

static void *t_limit(void *arg) {
    (void)arg;
    /* 40 bytes before the separator, limit 16 */
    static const char text[] = "0123456789012345678901234567890123456789\nok\n";
    script sc = {text, sizeof text - 1, true};
    cio_server *srv;
    CHECK_INT(cio_start_server(play, &sc, "127.0.0.1", 0, NULL, &srv), 0);
    cio_connect_options o = {.stream.limit = 16};
    cio_stream *c;
    CHECK_INT(cio_open_connection("127.0.0.1", cio_server_port(srv), &o, &c),
              0);
    char *line = NULL;
    CHECK_INT(cio_stream_readuntil(c, "\n", 1, &line, NULL), CIO_ELIMIT);
    CHECK(line == NULL);
    CHECK(strstr(cio_last_error_message(), "limit"));
    /* nothing consumed: the bytes are all still there */
    char buf[45];
    CHECK_INT(cio_stream_readexactly(c, buf, 41, NULL), 41);
    CHECK(memcmp(buf, text, 41) == 0);
    CHECK_INT(cio_stream_readline(c, &line), 3);
    CHECK_STR(line, "ok\n");
    free(line);
    cio_stream_free(c);

    /* readline past the limit drops the over-long line, as asyncio */
    CHECK_INT(cio_open_connection("127.0.0.1", cio_server_port(srv), &o, &c),
              0);
    CHECK_INT(cio_stream_readexactly(c, buf, 1, NULL), 1); /* wait for it */
    cio_sleep(0.05);
    CHECK_INT(cio_stream_readline(c, &line), CIO_ELIMIT);
    CHECK_INT(cio_stream_readline(c, &line), 3);
    CHECK_STR(line, "ok\n");
    free(line);
    cio_stream_free(c);
    cio_server_free(srv);
    return NULL;
}

static void test_limit(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_limit, NULL, NULL), 0);
    checks_assert();
}

/* ---- the server half-closes, the client goes on writing ----------------- */

static void half_server(cio_stream *s, void *arg) {
    (void)arg;
    cio_stream_write(s, "bye", 3);
    CHECK_INT(cio_stream_write_eof(s), 0);
    char *line = NULL;
    CHECK_INT(cio_stream_readline(s, &line), 6);
    CHECK_STR(line, "still\n");
    free(line);
    CHECK_INT(cio_stream_write(s, "x", 1), CIO_ECLOSED);
}

static void *t_half_close_server(void *arg) {
    (void)arg;
    cio_server *srv;
    CHECK_INT(cio_start_server(half_server, NULL, "127.0.0.1", 0, NULL, &srv),
              0);
    cio_stream *c = connect_to(srv);
    char buf[8];
    CHECK_INT(cio_stream_readexactly(c, buf, 3, NULL), 3);
    CHECK_INT(cio_stream_read(c, buf, sizeof buf), 0); /* EOF from the server */
    CHECK_INT(cio_stream_write(c, "still\n", 6), 0);   /* we still write */
    CHECK_INT(cio_stream_drain(c), 0);
    cio_stream_close(c);
    CHECK_INT(cio_stream_wait_closed(c), 0);
    cio_stream_free(c);
    cio_server_close(srv);
    CHECK_INT(cio_server_wait_closed(srv), 0);
    cio_server_free(srv);
    return NULL;
}

static void test_half_close_server(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_half_close_server, NULL, NULL), 0);
    checks_assert();
}

/* ---- UNIX sockets and adopted fds ---------------------------------------- */

static void *t_unix(void *arg) {
    (void)arg;
    char path[64];
    snprintf(path, sizeof path, "/tmp/cio-net-test-%d.sock", (int)getpid());
    cio_server *srv;
    CHECK_INT(cio_start_unix_server(echo_lines, NULL, path, NULL, &srv), 0);
    cio_stream *c = NULL;
    CHECK_INT(cio_open_unix_connection(path, NULL, &c), 0);
    CHECK_INT(cio_stream_write(c, "unix\n", 5), 0);
    char *line = NULL;
    CHECK_INT(cio_stream_readline(c, &line), 5);
    CHECK_STR(line, "unix\n");
    free(line);
    cio_stream_free(c);
    cio_server_close(srv);
    CHECK_INT(access(path, F_OK), -1); /* the socket file is gone */
    CHECK_INT(cio_open_unix_connection(path, NULL, &c), -ENOENT);
    CHECK_INT(cio_server_wait_closed(srv), 0);
    cio_server_free(srv);

    /* a socketpair adopted by two streams */
    int sv[2];
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    cio_stream *a = cio_stream_open_fd(sv[0], NULL);
    cio_stream *b = cio_stream_open_fd(sv[1], NULL);
    CHECK(a && b);
    CHECK_INT(cio_stream_write(a, "pair", 4), 0);
    char buf[4];
    CHECK_INT(cio_stream_readexactly(b, buf, 4, NULL), 4);
    CHECK(memcmp(buf, "pair", 4) == 0);
    cio_stream_free(a);
    CHECK_INT(cio_stream_read(b, buf, 4), 0);
    cio_stream_free(b);
    /* a pipe */
    int p[2];
    CHECK_INT(pipe(p), 0);
    a = cio_stream_open_fd(p[1], NULL);
    b = cio_stream_open_fd(p[0], NULL);
    CHECK_INT(cio_stream_write(a, "pipe", 4), 0);
    CHECK_INT(cio_stream_write_eof(a), 0); /* a pipe's write end closes */
    CHECK_INT(cio_stream_readexactly(b, buf, 4, NULL), 4);
    CHECK_INT(cio_stream_read(b, buf, 4), 0);
    cio_stream_free(a);
    cio_stream_free(b);
    return NULL;
}

static void test_unix(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_unix, NULL, NULL), 0);
    checks_assert();
}

/* ---- bad input ----------------------------------------------------------- */

static void *t_bad_input(void *arg) {
    (void)arg;
    cio_stream *c = NULL;
    CHECK_INT(cio_open_connection(NULL, 80, NULL, &c), CIO_EINVAL);
    CHECK_INT(cio_open_connection("127.0.0.1", 70000, NULL, &c), CIO_EINVAL);
    CHECK_INT(cio_open_connection("127.0.0.1", 80, NULL, NULL), CIO_EINVAL);
    CHECK(cio_stream_open_fd(-1, NULL) == NULL);
    CHECK_INT(cio_last_error(), CIO_EINVAL);
    CHECK(cio_stream_open_fd(0 + 1000, NULL) == NULL);
    cio_server *srv = NULL;
    CHECK_INT(cio_start_server(NULL, NULL, "127.0.0.1", 0, NULL, &srv),
              CIO_EINVAL);
    CHECK_INT(cio_start_server(echo_lines, NULL, "no.such.host.invalid", 0,
                               NULL, &srv) < 0,
              1);
    CHECK_INT(cio_stream_read(NULL, NULL, 0), CIO_EINVAL);
    CHECK_INT(cio_stream_write(NULL, "x", 1), CIO_EINVAL);
    CHECK_INT(cio_stream_readuntil(NULL, "x", 1, NULL, NULL), CIO_EINVAL);
    CHECK_INT(cio_stream_drain(NULL), CIO_EINVAL);
    CHECK_INT(cio_stream_free(NULL), 0);
    cio_server_free(NULL);
    CHECK_INT(cio_server_port(NULL), CIO_EINVAL);
    /* an address in use */
    CHECK_INT(cio_start_server(echo_lines, NULL, "127.0.0.1", 0, NULL, &srv),
              0);
    cio_server *srv2 = NULL;
    cio_server_options so = {.no_reuse_address = true};
    CHECK_INT(cio_start_server(echo_lines, NULL, "127.0.0.1",
                               cio_server_port(srv), &so, &srv2),
              -EADDRINUSE);
    CHECK(strstr(cio_last_error_message(), "in use") != NULL);
    cio_server_free(srv);
    return NULL;
}

static void test_bad_input(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_bad_input, NULL, NULL), 0);
    checks_assert();
    /* outside a task */
    cio_stream *c;
    assert_int_equal(cio_open_connection("127.0.0.1", 1, NULL, &c),
                     CIO_ENOTASK);
}

/* ---- a loop closed with everything still open ---------------------------- */

static void park_in_read(cio_stream *s, void *arg) {
    (void)arg;
    char b[4];
    cio_stream_read(s, b, sizeof b); /* never returns: the loop closes */
}

static void *client_read(void *arg) {
    char b[4];
    cio_stream_read(arg, b, sizeof b);
    return NULL;
}

static int abandon_sv[2];
static cio_stream *kept;
static cio_udp *kept_udp;

static void *fd_wait(void *arg) {
    (void)arg;
    cio_wait_readable(abandon_sv[0], -1);
    return NULL;
}

static void *udp_wait(void *arg) {
    char b[4];
    cio_udp_recvfrom(arg, b, sizeof b, NULL);
    return NULL;
}

static void *t_abandon(void *arg) {
    cio_server **srv = arg;
    CHECK_INT(cio_start_server(park_in_read, NULL, "127.0.0.1", 0, NULL, srv),
              0);
    CHECK_INT(
        cio_open_connection("127.0.0.1", cio_server_port(*srv), NULL, &kept),
        0);
    cio_stream_write(kept, "x", 1); /* buffered or sent: either is freed */
    cio_release(cio_create_task(client_read, kept));
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, abandon_sv), 0);
    cio_release(cio_create_task(fd_wait, NULL));
    cio_udp_options uo = {.local_host = "127.0.0.1"};
    CHECK_INT(cio_udp_open(&uo, &kept_udp), 0);
    cio_release(cio_create_task(udp_wait, kept_udp));
    cio_sleep(0.05); /* everyone parked */
    return NULL;
}

static void test_loop_closed_with_all_open(void **state) {
    (void)state;
    diag_capture();
    cio_loop *loop = cio_loop_new(NULL);
    cio_server *srv = NULL;
    assert_int_equal(cio_loop_run_until_complete(loop, t_abandon, &srv, NULL),
                     0);
    /* tasks parked in reads and waits: the loop abandons them */
    assert_int_equal(cio_loop_close(loop), 0);
    diag_restore();
    checks_assert();
    /* what the program still holds is freed after the loop */
    assert_int_equal(cio_stream_free(kept), 0);
    assert_int_equal(cio_udp_close(kept_udp), 0);
    cio_server_free(srv);
    close(abandon_sv[0]);
    close(abandon_sv[1]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_echo),
        CIO_TEST(test_eof_mid_read),
        CIO_TEST(test_limit),
        CIO_TEST(test_half_close_server),
        CIO_TEST(test_unix),
        CIO_TEST(test_bad_input),
        CIO_TEST(test_loop_closed_with_all_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
