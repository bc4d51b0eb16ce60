/* Fault: every allocation of the network areas may fail. As enomem.c
 * does for the core, each scenario below (a TCP and a UNIX server with
 * their clients, UDP, fd waits; the web server with cio's HTTP client as
 * its client) runs with its 1st, 2nd, ... nth allocation failing until a
 * run makes fewer than n, on a fresh loop, then once more cleanly on the
 * same loop. Both ends live in the same task group, so a failure on one
 * side shows on the other as the connection going away: with the
 * failure fired, the scenario may fail with CIO_ENOMEM or with the peer's
 * error, never hang (a timeout is a failure), never crash; no task is left
 * over, the loop is usable after it, and under ASan/LeakSanitizer and
 * valgrind nothing leaks.
 *
 * ctest-wrap: malloc calloc realloc strdup vasprintf mmap
 * ctest-timeout: 600
 */
#include "../cio_test.h"
#include "common/failalloc.h"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#define TRY(expr)                                                              \
    do {                                                                       \
        rc = (int)(expr);                                                      \
        if (rc < 0)                                                            \
            goto out;                                                          \
    } while (0)
#define MADE(p)                                                                \
    do {                                                                       \
        if (!(p)) {                                                            \
            rc = cio_last_error();                                             \
            goto out;                                                          \
        }                                                                      \
    } while (0)

/* A result that is wrong, not an error: a bug, reported with its line. */
static int wrong(int line) {
    print_message("enomem_net.c:%d: a wrong result\n", line);
    return -1;
}
#define WRONG wrong(__LINE__)

/* ---- streams and servers ------------------------------------------------ */

/* Echo lines until EOF. */
static void echo_handler(cio_stream *s, void *arg) {
    (void)arg;
    char *line = NULL;
    while (cio_stream_readline(s, &line) > 0) {
        int rc = cio_stream_write(s, line, strlen(line));
        free(line);
        line = NULL;
        if (rc < 0 || cio_stream_drain(s) < 0)
            return;
    }
    free(line);
}

/* One client's exchange with an echo server. */
static int echo_client(cio_stream *s) {
    int rc = 0;
    char *line = NULL;
    char buf[6] = {0};
    TRY(cio_stream_write(s, "hello\n", 6));
    cio_buf two[2] = {{"wor", 3}, {"ld\n", 3}};
    TRY(cio_stream_writelines(s, two, 2));
    TRY(cio_stream_drain(s));
    TRY(cio_stream_readline(s, &line));
    rc = !line ? CIO_EINCOMPLETE /* the server's side failed */
         : strcmp(line, "hello\n") == 0 ? 0
                                        : WRONG;
    TRY(rc);
    TRY(cio_stream_readexactly(s, buf, 6, NULL));
    rc = memcmp(buf, "world\n", 6) == 0 ? 0 : WRONG;
    TRY(rc);
    TRY(cio_stream_write_eof(s));
    ssize_t n = cio_stream_read(s, buf, sizeof buf);
    rc = n == 0 ? 0 : n < 0 ? (int)n : WRONG; /* the server's EOF */
out:
    free(line);
    return rc;
}

static int stream_scenario(void) {
    int rc = 0;
    cio_server *srv = NULL, *usrv = NULL;
    cio_stream *s = NULL, *u = NULL, *adopted = NULL;
    char path[64];
    snprintf(path, sizeof path, "/tmp/cio-enomem-net-%d.sock", (int)getpid());
    int sv[2] = {-1, -1};
    TRY(cio_start_server(echo_handler, NULL, "127.0.0.1", 0, NULL, &srv));
    TRY(cio_open_connection("127.0.0.1", cio_server_port(srv), NULL, &s));
    TRY(echo_client(s));
    cio_stream_close(s);
    TRY(cio_stream_wait_closed(s));
    TRY(cio_start_unix_server(echo_handler, NULL, path, NULL, &usrv));
    TRY(cio_open_unix_connection(path, NULL, &u));
    TRY(echo_client(u));
    /* an adopted socket, with a server-side stream on its other end */
    TRY(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 ? 0 : WRONG);
    MADE(adopted = cio_stream_open_fd(sv[0], NULL));
    sv[0] = -1;
    TRY(write(sv[1], "fd line\n", 8) == 8 ? 0 : WRONG);
    char *line = NULL;
    rc = (int)cio_stream_readline(adopted, &line);
    free(line);
    TRY(rc);
    cio_server_close(srv);
    TRY(cio_server_wait_closed(srv));
out:
    cio_stream_free(s);
    cio_stream_free(u);
    cio_stream_free(adopted);
    if (sv[0] >= 0)
        close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
    /* the handlers end before the scenario does */
    cio_server *both[2] = {srv, usrv};
    for (int i = 0; i < 2; i++) {
        cio_server_close(both[i]);
        cio_server_abort_clients(both[i]);
        if (both[i] && cio_server_wait_closed(both[i]) < 0 && rc == 0)
            rc = WRONG;
        cio_server_free(both[i]);
    }
    return rc;
}

/* ---- UDP, resolution, fd waits ----------------------------------------- */

static int udp_scenario(void) {
    int rc = 0;
    cio_udp *a = NULL, *b = NULL;
    struct addrinfo *res = NULL;
    int p[2] = {-1, -1};
    cio_udp_options ao = {.local_host = "127.0.0.1"};
    TRY(cio_udp_open(&ao, &a));
    struct sockaddr_storage me;
    socklen_t ml = sizeof me;
    TRY(cio_udp_sockname(a, (struct sockaddr *)&me, &ml));
    cio_udp_options bo = {.local_host = "127.0.0.1"};
    TRY(cio_udp_open(&bo, &b));
    for (int i = 0; i < 3; i++)
        TRY(cio_udp_sendto(b, "dgram", 5, (struct sockaddr *)&me));
    char buf[8];
    for (int i = 0; i < 3; i++) {
        cio_timeout_scope *ts = cio_timeout(1);
        MADE(ts);
        rc = cio_timeout_end(ts,
                             (int)cio_udp_recvfrom(a, buf, sizeof buf, NULL));
        /* with no memory for it, a datagram is dropped (as the kernel
         * would): it never comes */
        if (rc == CIO_ETIMEDOUT && failalloc_fired())
            rc = CIO_ENOMEM;
        TRY(rc == 5 ? 0 : rc < 0 ? rc : WRONG);
    }
    TRY(cio_getaddrinfo("127.0.0.1", "80", NULL, &res));
    char host[64];
    TRY(cio_getnameinfo(res->ai_addr, NI_NUMERICHOST | NI_NUMERICSERV, host,
                        sizeof host, NULL, 0));
    TRY(pipe2(p, O_NONBLOCK) == 0 ? 0 : WRONG);
    TRY(write(p[1], "x", 1) == 1 ? 0 : WRONG);
    TRY(cio_wait_readable(p[0], 5));
    TRY(cio_wait_writable(p[1], 5));
out:
    cio_freeaddrinfo(res);
    if (p[0] >= 0) {
        close(p[0]);
        close(p[1]);
    }
    cio_udp_close(a);
    cio_udp_close(b);
    return rc;
}

/* ---- the web server and the HTTP client --------------------------------- */

static int h_hello(cio_web_request *req, cio_web_response *resp, void *arg) {
    (void)arg;
    const char *name = cio_web_request_query(req, "name");
    if (!name) { /* it is in every request: memory ran out */
        CHECK_INT(cio_last_error(), CIO_ENOMEM);
        return CIO_ENOMEM;
    }
    return cio_web_response_set_text(resp, "hello %s", name);
}

static int h_sum(cio_web_request *req, cio_web_response *resp, void *arg) {
    (void)arg;
    json_t *j;
    int err = cio_web_request_json(req, &j);
    if (err)
        return err;
    json_t *out = json_pack("{s:I}", "sum",
                            json_integer_value(json_object_get(j, "a")) +
                                json_integer_value(json_object_get(j, "b")));
    err = out ? cio_web_response_set_json(resp, out) : CIO_ENOMEM;
    json_decref(out);
    return err;
}

static int h_stream(cio_web_request *req, cio_web_response *resp, void *arg) {
    (void)req;
    (void)arg;
    int err = cio_web_response_add_header(resp, "X-Kind", "stream");
    for (int i = 0; i < 3 && !err; i++)
        err = cio_web_response_write(resp, "chunk\n", 6);
    return err;
}

/* The server's failure, as the client sees it: 500 (no memory to read the
 * request, or its handler failed); never 400, the request was fine. */
static int status_ok(const cio_http_response *r) {
    int status = cio_http_response_status(r);
    return status == 200 ? 0 : status == 500 ? CIO_EHTTP_STATUS : WRONG;
}

static int web_scenario(void) {
    int rc = 0;
    cio_web_app *app = NULL;
    cio_web_server *srv = NULL;
    cio_http_session *s = NULL;
    cio_http_response *r = NULL;
    json_t *body = NULL, *got = NULL;
    char url[96];
    MADE(app = cio_web_app_new());
    TRY(cio_web_app_route(app, "GET", "/hello/{x}", h_hello, NULL));
    TRY(cio_web_app_route(app, "POST", "/sum", h_sum, NULL));
    TRY(cio_web_app_route(app, "GET", "/stream", h_stream, NULL));
    TRY(cio_web_serve(app, "127.0.0.1", 0, NULL, &srv));
    int port = cio_web_server_port(srv);
    MADE(s = cio_http_session_new(NULL, NULL));
    static const char *const params[] = {"name", "a b", NULL};
    static const char *const headers[] = {"X-Test: 1", NULL};
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hello/1", port);
    cio_http_request req = {.url = url, .params = params, .headers = headers};
    TRY(cio_http_request_send(s, &req, &r));
    TRY(status_ok(r));
    const char *text = NULL;
    TRY(cio_http_response_text(r, &text, NULL));
    rc = cio_http_response_status(r) == 200 && strcmp(text, "hello a b") == 0
             ? 0
             : WRONG;
    TRY(rc);
    cio_http_response_release(r);
    r = NULL;
    MADE(body = json_pack("{s:i,s:i}", "a", 40, "b", 2));
    snprintf(url, sizeof url, "http://127.0.0.1:%d/sum", port);
    TRY(cio_http_post_json(s, url, body, &r));
    TRY(status_ok(r));
    TRY(cio_http_response_json(r, &got, 0));
    rc = json_integer_value(json_object_get(got, "sum")) == 42 ? 0 : WRONG;
    TRY(rc);
    cio_http_response_release(r);
    r = NULL;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/stream", port);
    TRY(cio_http_get(s, url, &r));
    TRY(status_ok(r));
    const char *data = NULL;
    size_t len = 0;
    TRY(cio_http_response_read(r, &data, &len));
    rc = len == 18 ? 0 : WRONG;
    TRY(rc);
    TRY(cio_web_server_shutdown(srv, 5));
out:
    json_decref(body);
    json_decref(got);
    cio_http_response_release(r);
    if (s)
        cio_http_session_close(s);
    cio_web_server_free(srv);
    if (cio_get_running_loop())
        cio_sleep(0); /* the connection tasks end */
    if (cio_web_app_free(app) != 0)
        rc = -1;
    return rc;
}

/* ---- the harness -------------------------------------------------------- */

typedef int (*scenario_fn)(void);

static void *run_scenario(void *arg) {
    scenario_fn fn = (scenario_fn)(uintptr_t)arg;
    cio_timeout_scope *ts = cio_timeout(30);
    if (!ts)
        return IPTR(cio_last_error());
    int rc = fn();
    return IPTR(cio_timeout_end(ts, rc));
}

static int run_failing(cio_loop *loop, scenario_fn fn, long n, long *calls,
                       bool *fired) {
    void *r = NULL;
    failalloc_arm(n);
    int rc = cio_loop_run_until_complete(loop, run_scenario,
                                         (void *)(uintptr_t)fn, &r);
    *fired = failalloc_fired();
    *calls = failalloc_disarm();
    return rc ? rc : (int)(intptr_t)r;
}

/* The allocation failed: CIO_ENOMEM, or the other end's view of it (the
 * connection went away, the server answered 500, a request failed). A
 * timeout means something waits for ever: never accepted. */
static bool acceptable(int rc) {
    return rc < 0 && rc != CIO_ETIMEDOUT && rc != -1;
}

static void check_scenario(const char *name, scenario_fn fn) {
    long calls, clean, n, enomem = 0;
    /* to debug one failure: CIO_ENOMEM_ONLY=n (with CIO_FAILALLOC_TRACE=1
     * for the allocation's backtrace) */
    const char *only = getenv("CIO_ENOMEM_ONLY");
    diag_capture(); /* the dropped connections' diagnostics */
    for (n = only ? atol(only) : 1;; n++) {
        cio_loop *loop = cio_loop_new(NULL);
        assert_non_null(loop);
        bool fired = false;
        int rc = run_failing(loop, fn, n, &calls, &fired);
        if (rc != 0 && !(fired && acceptable(rc)))
            fail_msg("%s: allocation %ld failed%s: %s (%d)", name, n,
                     fired ? "" : " (not reached)", cio_strerror(rc), rc);
        enomem += rc == CIO_ENOMEM;
        if (cio_all_tasks(loop, NULL, 0) != 0)
            fail_msg("%s: allocation %ld failed: tasks are left", name, n);
        rc = run_failing(loop, fn, 0, &clean, &fired);
        if (rc != 0)
            fail_msg("%s: after allocation %ld failed, a clean run: %s", name,
                     n, cio_strerror(rc));
        assert_int_equal(cio_loop_close(loop), 0);
        if (calls < n || only)
            break;
    }
    diag_restore();
    if (only)
        return;
    print_message("%s: %ld allocations, each failed once: %ld runs "
                  "returned CIO_ENOMEM\n",
                  name, n - 1, enomem);
    assert_true(enomem > 0);
}

static void test_streams_and_servers(void **state) {
    (void)state;
    check_scenario("streams", stream_scenario);
}

static void test_udp_resolve_fdwait(void **state) {
    (void)state;
    check_scenario("udp", udp_scenario);
}

static void test_web_and_http_client(void **state) {
    (void)state;
    check_scenario("web", web_scenario);
    checks_assert();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_streams_and_servers),
        CIO_TEST(test_udp_resolve_fdwait),
        CIO_TEST(test_web_and_http_client),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
