/* Unit tests: happy eyeballs (staggered attempts, fallback after a
 * failure, a stuck first address), connect and stream options (local
 * address, TCP_NODELAY, keep-alive, water marks), one reader at a time,
 * server operations (deferred serving, close_clients, abort_clients,
 * serve_forever cancelled, free with handlers running, reuse_port), and
 * the two seams of src/net/internal.h: a filter between raw and plain
 * (what TLS plugs in) and a libuv pipe for a child process. */
#include "../cio_test.h"
#include "net/internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

static void hello(cio_stream *s, void *arg) {
    (void)arg;
    cio_stream_write(s, "hello", 5);
}

static void hello_hold(cio_stream *s, void *arg) {
    (void)arg;
    cio_stream_write(s, "hello", 5);
    cio_sleep(0.1);
}

/* ---- happy eyeballs -------------------------------------------------------
 */

typedef struct two_addrs {
    struct addrinfo ai[2];
    struct sockaddr_in sa[2];
} two_addrs;

static struct addrinfo *make_list(two_addrs *t, int port0, int port1) {
    memset(t, 0, sizeof *t);
    int ports[2] = {port0, port1};
    for (int i = 0; i < 2; i++) {
        t->sa[i].sin_family = AF_INET;
        t->sa[i].sin_port = htons((uint16_t)ports[i]);
        t->sa[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        t->ai[i].ai_family = AF_INET;
        t->ai[i].ai_socktype = SOCK_STREAM;
        t->ai[i].ai_addr = (struct sockaddr *)&t->sa[i];
        t->ai[i].ai_addrlen = sizeof t->sa[i];
    }
    t->ai[0].ai_next = &t->ai[1];
    return &t->ai[0];
}

static void *t_happy(void *arg) {
    (void)arg;
    cio__net_reg *reg = cio__net_reg_get(NULL, "test");
    cio_server *srv;
    CHECK_INT(cio_start_server(hello, NULL, "127.0.0.1", 0, NULL, &srv), 0);
    int good = cio_server_port(srv);
    /* a first address that never answers: its accept queue is full */
    int stuck;
    int lfd = raw_listener(0, &stuck);
    int fill[4];
    for (int i = 0; i < 4; i++) {
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)stuck)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connect(fill[i], (struct sockaddr *)&a, sizeof a);
    }
    cio_sleep(0.05);
    cio_loop *loop = cio_get_running_loop();
    two_addrs t;
    cio_stream *s = NULL;
    /* staggered: the second attempt starts after 0.1 s and wins */
    cio_connect_options o = {.happy_eyeballs_delay = 0.1, .timeout = 5};
    double t0 = cio_loop_time(loop);
    CHECK_INT(
        cio__net_connect_list(reg, make_list(&t, stuck, good), &o, NULL, &s),
        0);
    double took = cio_loop_time(loop) - t0;
    CHECK(took >= 0.09 && took < 3);
    char b[5];
    CHECK_INT(cio_stream_readexactly(s, b, 5, NULL), 5);
    cio_stream_free(s);
    /* one after the other: stuck on the first until the timeout */
    o.happy_eyeballs_delay = -1;
    o.timeout = 0.3;
    CHECK_INT(
        cio__net_connect_list(reg, make_list(&t, stuck, good), &o, NULL, &s),
        CIO_ETIMEDOUT);
    /* one after the other: a refused first address falls through */
    int refused;
    close(raw_listener(1, &refused));
    o.timeout = 5;
    CHECK_INT(
        cio__net_connect_list(reg, make_list(&t, refused, good), &o, NULL, &s),
        0);
    cio_stream_free(s);
    /* both refused: the error of the attempts */
    CHECK_INT(cio__net_connect_list(reg, make_list(&t, refused, refused), &o,
                                    NULL, &s),
              -ECONNREFUSED);
    for (int i = 0; i < 4; i++)
        close(fill[i]);
    close(lfd);
    cio_server_free(srv);
    return NULL;
}

static void test_happy_eyeballs(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_happy, NULL, NULL), 0);
    checks_assert();
}

/* ---- options, one reader ------------------------------------------------- */

static int sockopt(cio_stream *s, int level, int opt) {
    int v = -1;
    socklen_t l = sizeof v;
    getsockopt(cio_stream_fileno(s), level, opt, &v, &l);
    return v;
}

static void *reader(void *arg) {
    char b[8];
    return (void *)(intptr_t)cio_stream_read(arg, b, sizeof b);
}

static void *t_options(void *arg) {
    (void)arg;
    cio_server *srv;
    CHECK_INT(cio_start_server(hello_hold, NULL, "127.0.0.1", 0, NULL, &srv),
              0);
    int port = cio_server_port(srv);
    cio_stream *s;
    cio_connect_options o = {.local_host = "127.0.0.1", .keep_alive = 30};
    CHECK_INT(cio_open_connection("127.0.0.1", port, &o, &s), 0);
    CHECK_INT(sockopt(s, IPPROTO_TCP, TCP_NODELAY) != 0, 1);
    CHECK_INT(sockopt(s, SOL_SOCKET, SO_KEEPALIVE) != 0, 1);
    CHECK_INT(sockopt(s, IPPROTO_TCP, TCP_KEEPIDLE), 30);
    struct sockaddr_in me;
    socklen_t ml = sizeof me;
    CHECK_INT(cio_stream_sockname(s, (struct sockaddr *)&me, &ml), 0);
    CHECK_INT(me.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    CHECK_INT(cio_stream_set_write_buffer_limits(s, 10, 20), CIO_EINVAL);
    CHECK_INT(cio_stream_set_write_buffer_limits(s, 0, 0), 0);
    cio_stream_free(s);
    /* a family the address does not have */
    cio_connect_options o6 = {.family = AF_INET6};
    CHECK(cio_open_connection("127.0.0.1", port, &o6, &s) < 0);
    cio_connect_options o2 = {.no_nodelay = true, .family = AF_INET};
    CHECK_INT(cio_open_connection("127.0.0.1", port, &o2, &s), 0);
    CHECK_INT(sockopt(s, IPPROTO_TCP, TCP_NODELAY), 0);
    CHECK_INT(sockopt(s, SOL_SOCKET, SO_KEEPALIVE), 0);
    /* one reader at a time; a stream a task waits on is not freed */
    char b[16];
    CHECK_INT(cio_stream_readexactly(s, b, 5, NULL), 5);
    cio_future *r = cio_create_task(reader, s);
    cio_sleep(0.01);
    CHECK_INT(cio_stream_read(s, b, sizeof b), -EBUSY);
    CHECK_INT(cio_stream_free(s), CIO_EHASWAITERS);
    CHECK_INT(cio_await(r, NULL), 0); /* the server closed: EOF */
    CHECK_INT(PINT(cio_future_result(r)), 0);
    cio_release(r);
    CHECK_INT(cio_stream_free(s), 0);
    cio_server_free(srv);
    return NULL;
}

static void test_options(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_options, NULL, NULL), 0);
    checks_assert();
}

/* ---- server operations ------------------------------------------------------
 */

static int handlers_done;
static int last_read;

static void wait_for_close(cio_stream *s, void *arg) {
    (void)arg;
    char b[4];
    last_read = (int)cio_stream_read(s, b, sizeof b);
    handlers_done++;
}

static void *forever(void *arg) {
    return (void *)(intptr_t)cio_server_serve_forever(arg);
}

static void *t_server_ops(void *arg) {
    (void)arg;
    cio_server *srv;
    cio_server_options so = {.defer_serving = true, .reuse_port = true};
    CHECK_INT(cio_start_server(wait_for_close, NULL, "127.0.0.1", 0, &so, &srv),
              0);
    CHECK(!cio_server_is_serving(srv));
    int port = cio_server_port(srv);
    /* reuse_port: a second server on the same port */
    cio_server *twin;
    CHECK_INT(
        cio_start_server(wait_for_close, NULL, "127.0.0.1", port, &so, &twin),
        0);
    cio_server_free(twin);
    CHECK_INT(cio_server_start_serving(srv), 0);
    CHECK(cio_server_is_serving(srv));
    cio_stream *c[3];
    for (int i = 0; i < 3; i++)
        CHECK_INT(cio_open_connection("127.0.0.1", port, NULL, &c[i]), 0);
    cio_sleep(0.05);
    cio_server_close_clients(srv); /* the handlers' reads end: ECLOSED */
    cio_sleep(0.05);
    CHECK_INT(handlers_done, 3);
    CHECK_INT(last_read, CIO_ECLOSED);
    char b[4];
    for (int i = 0; i < 3; i++) {
        CHECK_INT(cio_stream_read(c[i], b, sizeof b), 0); /* EOF */
        cio_stream_free(c[i]);
    }
    /* abort_clients: the clients see a reset */
    CHECK_INT(cio_open_connection("127.0.0.1", port, NULL, &c[0]), 0);
    cio_sleep(0.05);
    cio_server_abort_clients(srv);
    CHECK_INT(cio_stream_read(c[0], b, sizeof b), -ECONNRESET);
    cio_stream_free(c[0]);
    /* serve_forever until cancelled, which closes the server */
    cio_future *f = cio_create_task(forever, srv);
    cio_sleep(0.01);
    CHECK_INT(cio_server_serve_forever(srv), CIO_EINVALIDSTATE);
    cio_cancel(f, NULL);
    CHECK_INT(cio_await(f, NULL), CIO_ECANCELED);
    cio_release(f);
    CHECK(!cio_server_is_serving(srv));
    CHECK_INT(cio_server_start_serving(srv), CIO_ECLOSED);
    CHECK_INT(cio_open_connection("127.0.0.1", port, NULL, &c[0]),
              -ECONNREFUSED);
    CHECK_INT(cio_server_wait_closed(srv), 0);
    cio_server_free(srv);

    /* freeing a server cancels the handlers still running */
    handlers_done = 0;
    CHECK_INT(
        cio_start_server(wait_for_close, NULL, "127.0.0.1", 0, NULL, &srv), 0);
    CHECK_INT(
        cio_open_connection("127.0.0.1", cio_server_port(srv), NULL, &c[0]), 0);
    cio_sleep(0.05);
    cio_server_free(srv);
    cio_sleep(0.05);
    CHECK_INT(handlers_done, 1);
    CHECK_INT(last_read, CIO_ECANCELED);
    CHECK_INT(cio_stream_read(c[0], b, sizeof b), 0);
    cio_stream_free(c[0]);
    return NULL;
}

static void test_server_ops(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_server_ops, NULL, NULL), 0);
    checks_assert();
}

/* ---- every interface, both families ----------------------------------------
 */

static bool have_ipv6(void) {
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a = {.sin6_family = AF_INET6,
                             .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static void *t_families(void *arg) {
    (void)arg;
    cio_server *srv;
    /* host NULL: 0.0.0.0 and :: on one port, as asyncio */
    CHECK_INT(cio_start_server(hello, NULL, NULL, 0, NULL, &srv), 0);
    struct sockaddr_storage ss[4];
    int n = cio_server_addresses(srv, ss, 4);
    CHECK_INT(n, 2);
    CHECK(ss[0].ss_family != ss[1].ss_family);
    int port = cio_server_port(srv);
    const char *hosts[] = {"127.0.0.1", "::1"};
    for (int i = 0; i < 2; i++) {
        cio_stream *s;
        CHECK_INT(cio_open_connection(hosts[i], port, NULL, &s), 0);
        char b[5];
        CHECK_INT(cio_stream_readexactly(s, b, 5, NULL), 5);
        cio_stream_free(s);
    }
    cio_server_free(srv);
    /* dual_stack: one socket takes both */
    cio_server_options so = {.dual_stack = true};
    CHECK_INT(cio_start_server(hello, NULL, NULL, 0, &so, &srv), 0);
    CHECK_INT(cio_server_addresses(srv, ss, 4), 1);
    CHECK_INT(ss[0].ss_family, AF_INET6);
    for (int i = 0; i < 2; i++) {
        cio_stream *s;
        CHECK_INT(cio_open_connection(hosts[i], cio_server_port(srv), NULL, &s),
                  0);
        char b[5];
        CHECK_INT(cio_stream_readexactly(s, b, 5, NULL), 5);
        cio_stream_free(s);
    }
    cio_server_free(srv);
    return NULL;
}

static void test_families(void **state) {
    (void)state;
    if (!have_ipv6())
        skip(); /* no ::1 on this machine */
    assert_int_equal(cio_run(t_families, NULL, NULL), 0);
    checks_assert();
}

/* ---- the filter seam: a XOR "cipher" between raw and plain -----------------
 */

typedef struct xor_ctx {
    unsigned char key;
    int freed;
    bool eof_seen;
} xor_ctx;

static int xor_input(cio_stream *s, void *ctx, const char *data, size_t n) {
    xor_ctx *x = ctx;
    char tmp[512];
    while (n) {
        size_t m = n < sizeof tmp ? n : sizeof tmp;
        for (size_t i = 0; i < m; i++)
            tmp[i] = (char)(data[i] ^ x->key);
        cio__stream_feed(s, tmp, m);
        data += m;
        n -= m;
    }
    cio__stream_filter_wake(s);
    return 0;
}

static int xor_eof(cio_stream *s, void *ctx) {
    ((xor_ctx *)ctx)->eof_seen = true;
    cio__stream_feed_eof(s);
    return 0;
}

static int xor_write(cio_stream *s, void *ctx, const cio_buf *bufs, size_t n) {
    xor_ctx *x = ctx;
    for (size_t k = 0; k < n; k++) {
        char *tmp = malloc(bufs[k].len ? bufs[k].len : 1);
        for (size_t i = 0; i < bufs[k].len; i++)
            tmp[i] = (char)(((const char *)bufs[k].base)[i] ^ x->key);
        cio_buf b = {tmp, bufs[k].len};
        int rc = cio__stream_raw_write(s, &b, 1);
        free(tmp);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void xor_free(void *ctx) {
    ((xor_ctx *)ctx)->freed++;
}

static const cio__filter_ops xor_ops = {xor_input, xor_eof, xor_write, NULL,
                                        xor_free};

static void *t_filter(void *arg) {
    (void)arg;
    int sv[2];
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    cio_stream *a = cio_stream_open_fd(sv[0], NULL);
    cio_stream *b = cio_stream_open_fd(sv[1], NULL);
    /* STARTTLS-like: a plain line, then raw bytes already buffered when
     * the filter goes in */
    CHECK_INT(cio_stream_write(a, "PLAIN\n", 6), 0);
    char enc[6];
    const char *secret = "hi!\nx";
    for (int i = 0; i < 5; i++)
        enc[i] = (char)(secret[i] ^ 0x5a);
    CHECK_INT(cio_stream_write(a, enc, 5), 0);
    char *line = NULL;
    CHECK_INT(cio_stream_readline(b, &line), 6);
    free(line);
    cio_sleep(0.01); /* the encrypted bytes are in b's buffer now */
    xor_ctx xb = {.key = 0x5a}, xa = {.key = 0x5a};
    CHECK_INT(cio__stream_set_filter(b, &xor_ops, &xb, NULL), 0);
    CHECK_INT(cio__stream_set_filter(b, &xor_ops, &xb, NULL),
              CIO_EINVALIDSTATE);
    CHECK(cio__stream_filter_ctx(b, &xor_ops) == &xb);
    CHECK(cio__stream_filter_ctx(a, &xor_ops) == NULL);
    CHECK_INT(cio_stream_readline(b, &line), 4);
    CHECK_STR(line, "hi!\n");
    free(line);
    CHECK_INT(cio__stream_set_filter(a, &xor_ops, &xa, NULL), 0);
    /* through both filters: readexactly, readuntil, writelines, drain */
    cio_buf parts[2] = {{"abc", 3}, {"|def", 4}};
    CHECK_INT(cio_stream_writelines(a, parts, 2), 0);
    CHECK_INT(cio_stream_drain(a), 0);
    char buf[8];
    CHECK_INT(cio_stream_readexactly(b, buf, 1, NULL), 1);
    CHECK(buf[0] == 'x');
    CHECK_INT(cio_stream_readuntil(b, "|", 1, &line, NULL), 4);
    CHECK_STR(line, "abc|");
    free(line);
    CHECK_INT(cio_stream_readexactly(b, buf, 3, NULL), 3);
    CHECK(memcmp(buf, "def", 3) == 0);
    /* a filter's own wait, woken by input; then a timeout */
    CHECK_INT(cio_stream_write(a, "z", 1), 0);
    CHECK_INT(cio__stream_filter_wait(b, 0), 0);
    double now = cio_loop_time(cio_get_running_loop());
    CHECK_INT(cio__stream_filter_wait(b, now + 0.02), CIO_ETIMEDOUT);
    CHECK_INT(cio_stream_read(b, buf, 1), 1);
    CHECK(buf[0] == 'z');
    /* EOF goes through the filter */
    cio_stream_close(a);
    CHECK_INT(cio_stream_wait_closed(a), 0);
    CHECK_INT(cio_stream_read(b, buf, 1), 0);
    CHECK(xb.eof_seen);
    /* a failed stream reports the filter's error and message */
    cio__stream_fail(b, -EPROTO, "bad record mac");
    CHECK_INT(cio_stream_read(b, buf, 1), -EPROTO);
    CHECK(strstr(cio_last_error_message(), "bad record mac"));
    cio_stream_free(a);
    cio_stream_free(b);
    cio_sleep(0.01);
    CHECK_INT(xa.freed, 1);
    CHECK_INT(xb.freed, 1);
    return NULL;
}

static void test_filter_seam(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_filter, NULL, NULL), 0);
    checks_assert();
}

/* ---- the pipe seam: cat as a child ------------------------------------------
 */

static void on_exit_cb(uv_process_t *p, int64_t status, int sig) {
    (void)status;
    (void)sig;
    uv_close((uv_handle_t *)p, NULL);
}

static void *t_pipe(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    cio_stream *in = cio__stream_new_pipe(loop, NULL);
    cio_stream *out = cio__stream_new_pipe(loop, NULL);
    CHECK(in && out);
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_CREATE_PIPE | UV_READABLE_PIPE,
         .data.stream = cio__stream_uv(in)},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE,
         .data.stream = cio__stream_uv(out)},
        {.flags = UV_IGNORE}};
    char *args[] = {"cat", NULL};
    uv_process_options_t po = {.file = "cat",
                               .args = args,
                               .exit_cb = on_exit_cb,
                               .stdio = stdio,
                               .stdio_count = 3};
    static uv_process_t proc;
    CHECK_INT(uv_spawn(cio_loop_uv(loop), &proc, &po), 0);
    CHECK_INT(cio_stream_write(in, "through cat\n", 12), 0);
    CHECK_INT(cio_stream_write_eof(in), 0); /* closes the child's stdin */
    char *line = NULL;
    CHECK_INT(cio_stream_readline(out, &line), 12);
    CHECK_STR(line, "through cat\n");
    free(line);
    char b[4];
    CHECK_INT(cio_stream_read(out, b, sizeof b), 0); /* cat ended */
    cio_stream_free(in);
    cio_stream_free(out);
    cio_sleep(0.05);
    return NULL;
}

static void test_pipe_seam(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_pipe, NULL, NULL), 0);
    checks_assert();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_happy_eyeballs), CIO_TEST(test_options),
        CIO_TEST(test_server_ops),     CIO_TEST(test_filter_seam),
        CIO_TEST(test_pipe_seam),      CIO_TEST(test_families),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
