/* Integration: the HTTP server against real clients on 127.0.0.1: raw
 * requests over a socket (keep-alive, pipelining, malformed and oversized
 * requests, slow clients) and curl (keep-alive, chunked uploads, JSON).
 * ctest-timeout: 600
 */
#include "../cio_test.h"

#include <sys/wait.h>

/* ---- the application under test ---------------------------------------- */

static int h_hello(cio_web_request *req, cio_web_response *resp, void *arg) {
    (void)arg;
    const char *name = cio_web_request_query(req, "name");
    return cio_web_response_set_text(resp, "hello %s", name ? name : "world");
}

static int h_user(cio_web_request *req, cio_web_response *resp, void *arg) {
    (void)arg;
    json_t *j = json_pack("{s:s,s:s}", "id", cio_web_request_param(req, "id"),
                          "path", cio_web_request_path(req));
    int err = cio_web_response_set_json(resp, j);
    json_decref(j);
    return err;
}

/* POST /echo: the body back, with its length in a header. */
static int h_echo(cio_web_request *req, cio_web_response *resp, void *arg) {
    (void)arg;
    const char *body;
    ssize_t n = cio_web_request_body(req, &body);
    if (n < 0)
        return (int)n;
    char len[32];
    snprintf(len, sizeof len, "%zd", n);
    int err = cio_web_response_add_header(resp, "X-Body-Length", len);
    if (!err)
        err = cio_web_response_set_body(resp, body, (size_t)n, "text/plain");
    return err;
}

/* POST /sum: {"a": 1, "b": 2} -> {"sum": 3}; invalid JSON answers 400. */
static int h_sum(cio_web_request *req, cio_web_response *resp, void *arg) {
    (void)arg;
    json_t *j;
    int err = cio_web_request_json(req, &j);
    if (err)
        return err;
    json_t *out = json_pack("{s:I}", "sum",
                            json_integer_value(json_object_get(j, "a")) +
                                json_integer_value(json_object_get(j, "b")));
    err = cio_web_response_set_json(resp, out);
    json_decref(out);
    return err;
}

/* GET /stream?n=N: N chunks of "line i\n", streamed. */
static int h_stream(cio_web_request *req, cio_web_response *resp, void *arg) {
    (void)arg;
    const char *ns = cio_web_request_query(req, "n");
    int n = ns ? atoi(ns) : 3;
    for (int i = 0; i < n; i++) {
        char line[32];
        int len = snprintf(line, sizeof line, "line %d\n", i);
        int err = cio_web_response_write(resp, line, (size_t)len);
        if (err)
            return err;
    }
    return 0;
}

static int h_fail(cio_web_request *req, cio_web_response *resp, void *arg) {
    (void)req;
    (void)resp;
    (void)arg;
    return -EIO; /* a failure of the handler's own */
}

static int h_slow(cio_web_request *req, cio_web_response *resp, void *arg) {
    (void)arg;
    const char *s = cio_web_request_query(req, "s");
    int err = cio_sleep(s ? atof(s) : 0.2);
    return err ? err : cio_web_response_set_text(resp, "slept");
}

/* GET /cut: declares 1000 bytes, sends 10, drops the connection. */
static int h_cut(cio_web_request *req, cio_web_response *resp, void *arg) {
    (void)req;
    (void)arg;
    int err = cio_web_response_set_length(resp, 1000);
    if (!err)
        err = cio_web_response_write(resp, "0123456789", 10);
    cio_web_response_abort(resp);
    return err;
}

static cio_web_app *make_app(void) {
    cio_web_app *app = cio_web_app_new();
    CHECK(app != NULL);
    CHECK_INT(cio_web_app_route(app, "GET", "/hello", h_hello, NULL), 0);
    CHECK_INT(cio_web_app_route(app, "GET", "/users/{id}", h_user, NULL), 0);
    CHECK_INT(cio_web_app_route(app, "DELETE", "/users/{id}", h_user, NULL), 0);
    CHECK_INT(cio_web_app_route(app, "POST", "/echo", h_echo, NULL), 0);
    CHECK_INT(cio_web_app_route(app, "POST", "/sum", h_sum, NULL), 0);
    CHECK_INT(cio_web_app_route(app, "GET", "/stream", h_stream, NULL), 0);
    CHECK_INT(cio_web_app_route(app, "GET", "/fail", h_fail, NULL), 0);
    CHECK_INT(cio_web_app_route(app, "GET", "/slow", h_slow, NULL), 0);
    CHECK_INT(cio_web_app_route(app, "GET", "/cut", h_cut, NULL), 0);
    return app;
}

/* ---- a raw client ------------------------------------------------------ */

/* Send `req` and read everything until the server closes (or 10 s). The
 * caller frees the answer. */
static char *exchange(int port, const char *req, size_t len) {
    cio_stream *s = NULL;
    CHECK_INT(cio_open_connection("127.0.0.1", port, NULL, &s), 0);
    if (!s)
        return NULL;
    CHECK_INT(cio_stream_write(s, req, len), 0);
    size_t cap = 1 << 16, have = 0;
    char *out = malloc(cap);
    cio_timeout_scope *ts = cio_timeout(10);
    for (;;) {
        if (cap - have < 4096)
            out = realloc(out, cap *= 2);
        ssize_t n = cio_stream_read(s, out + have, cap - have - 1);
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    CHECK_INT(cio_timeout_end(ts, 0), 0);
    out[have] = '\0';
    cio_stream_free(s);
    return out;
}

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

typedef struct fixture {
    cio_web_app *app;
    cio_web_server *srv;
    int port;
    int logged, last_status;
} fixture;

static void log_line(const cio_web_access *e, void *arg) {
    fixture *fx = arg;
    fx->logged++;
    fx->last_status = e->status;
}

static void fx_start(fixture *fx, cio_web_server_options *o) {
    cio_web_server_options d = {0};
    if (!o)
        o = &d;
    o->access_log = log_line;
    o->access_log_arg = fx;
    fx->app = make_app();
    CHECK_INT(cio_web_serve(fx->app, "127.0.0.1", 0, o, &fx->srv), 0);
    fx->port = cio_web_server_port(fx->srv);
    CHECK(fx->port > 0);
}

static void fx_stop(fixture *fx) {
    cio_web_server_free(fx->srv);
    cio_sleep(0.01); /* the connection tasks end */
    CHECK_INT(cio_web_app_free(fx->app), 0);
}

/* ---- tests ------------------------------------------------------------- */

static void *routes_main(void *arg) {
    (void)arg;
    fixture fx = {0};
    fx_start(&fx, NULL);
    static const char pipeline[] =
        "GET /hello?name=a%20b+c HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /users/42 HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
        "PUT /users/7 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
        "HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /stream?n=2 HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /fail HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    char *r = exchange(fx.port, pipeline, sizeof pipeline - 1);
    CHECK(r != NULL);
    /* seven answers, in order, on one connection */
    const char *p = r;
    const char *order[] = {"HTTP/1.1 200 OK",
                           "hello a b c",
                           "\"id\":\"42\"",
                           "HTTP/1.1 404 Not Found",
                           "HTTP/1.1 405 Method Not Allowed",
                           "Allow: GET, HEAD, DELETE",
                           "HTTP/1.1 200 OK",
                           "Transfer-Encoding: chunked",
                           "7\r\nline 0\n\r\n7\r\nline 1\n\r\n0\r\n\r\n",
                           "HTTP/1.1 500 Internal Server Error",
                           "Connection: close"};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *q = strstr(p, order[i]);
        if (!q)
            ct_failed(__FILE__, __LINE__,
                      "'%s' missing after offset %ld in:\n%s", order[i],
                      (long)(p - r), r);
        else
            p = q + strlen(order[i]);
    }
    CHECK_INT(count(r, "HTTP/1.1 "), 7);
    CHECK_INT(count(r, "Date: "), 7);
    /* HEAD: the GET's length, no body */
    CHECK(strstr(r, "Content-Length: 11\r\n\r\nHTTP/1.1 200") != NULL);
    CHECK_INT(fx.logged, 7);
    CHECK_INT(fx.last_status, 500);
    free(r);
    fx_stop(&fx);
    return NULL;
}

static void test_routes_pipelined(void **state) {
    (void)state;
    diag_capture();
    assert_int_equal(cio_run(routes_main, NULL, NULL), 0);
    checks_assert();
    /* the failing handler was reported once, with the route */
    assert_int_equal(diag_count("GET /fail: handler failed"), 1);
    diag_restore();
}

static void *limits_main(void *arg) {
    (void)arg;
    fixture fx = {0};
    cio_web_server_options o = {.max_line = 64,
                                .max_header_size = 256,
                                .max_body = 100,
                                .read_timeout = 0.3};
    fx_start(&fx, &o);
    struct {
        const char *req;
        const char *want;
    } cases[] = {
        {"GET "
         "/hello?x="
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaa HTTP/1.1\r\n\r\n",
         "HTTP/1.1 414 URI Too Long"},
        {"GET /hello HTTP/1.1\r\nX-Big: "
         "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
         "b"
         "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
         "b"
         "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
         "b"
         "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n\r\n",
         "HTTP/1.1 431 Request Header Fields Too Large"},
        {"POST /echo HTTP/1.1\r\nContent-Length: 500\r\n\r\n",
         "HTTP/1.1 413 Payload Too Large"},
        {"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
         "64\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n"
         "10\r\nyyyyyyyyyyyyyyyy\r\n0\r\n\r\n",
         "HTTP/1.1 413 Payload Too Large"},
        {"GARBAGE\r\n\r\n", "HTTP/1.1 400 Bad Request"},
        {"GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n",
         "HTTP/1.1 400 Bad Request"},
        /* a handler's 400 keeps the connection: this client closes it */
        {"POST /sum HTTP/1.1\r\nConnection: close\r\nContent-Length: 9\r\n"
         "\r\n{\"a\": 1,}",
         "HTTP/1.1 400 Bad Request"},
        /* a slow client: half a request, then nothing */
        {"GET /hello HTTP/1.1\r\nHo", "HTTP/1.1 408 Request Timeout"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *r = exchange(fx.port, cases[i].req, strlen(cases[i].req));
        if (!r || strncmp(r, cases[i].want, strlen(cases[i].want)) != 0)
            ct_failed(__FILE__, __LINE__, "case %zu: want '%s', got '%.80s'", i,
                      cases[i].want, r ? r : "(null)");
        /* one answer each; the server closes after a refusal */
        if (r)
            CHECK_INT(count(r, "HTTP/1.1 "), 1);
        if (i == 6 && r) /* jansson's position and reason */
            CHECK(strstr(r, "line 1, column 9") != NULL);
        free(r);
    }
    /* a good request still works after all that */
    const char ok[] = "POST /sum HTTP/1.1\r\nConnection: close\r\n"
                      "Content-Length: 15\r\n\r\n{\"a\": 1, \"b\":2}";
    char *r = exchange(fx.port, ok, sizeof ok - 1);
    CHECK(r && strstr(r, "{\"sum\":3}") != NULL);
    free(r);
    fx_stop(&fx);
    return NULL;
}

static void test_limits_and_malformed(void **state) {
    (void)state;
    assert_int_equal(cio_run(limits_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- curl as the client ------------------------------------------------- */

typedef struct curl_job {
    char cmd[1024];
    char out[65536];
    int status;
} curl_job;

static void *run_cmd(void *arg) {
    curl_job *j = arg;
    FILE *f = popen(j->cmd, "r");
    if (!f)
        return NULL;
    size_t n = fread(j->out, 1, sizeof j->out - 1, f);
    j->out[n] = '\0';
    j->status = pclose(f);
    return j;
}

static bool have_curl(void) {
    return system("curl --version >/dev/null 2>&1") == 0;
}

static void *curl_main(void *arg) {
    (void)arg;
    fixture fx = {0};
    fx_start(&fx, NULL);
    static curl_job j;
    /* two URLs in one curl: the second reuses the connection */
    snprintf(j.cmd, sizeof j.cmd,
             "curl -sS -v http://127.0.0.1:%d/hello?name=curl "
             "http://127.0.0.1:%d/users/9 2>&1",
             fx.port, fx.port);
    cio_future *f = cio_to_thread(run_cmd, &j);
    CHECK_INT(cio_await(f, NULL), 0);
    cio_release(f);
    CHECK_INT(j.status, 0);
    CHECK(strstr(j.out, "hello curl") != NULL);
    CHECK(strstr(j.out, "\"id\":\"9\"") != NULL);
    CHECK(strstr(j.out, "Re-using existing connection") != NULL);
    /* a chunked upload of 300 KB, with Expect: 100-continue */
    snprintf(j.cmd, sizeof j.cmd,
             "head -c 300000 /dev/zero | tr '\\0' 'z' | curl -sS -H "
             "'Transfer-Encoding: chunked' -H 'Expect: 100-continue' "
             "--data-binary @- -D - -o /dev/null "
             "http://127.0.0.1:%d/echo 2>&1",
             fx.port);
    /* over the default 1 MiB? no: 300 KB passes */
    f = cio_to_thread(run_cmd, &j);
    CHECK_INT(cio_await(f, NULL), 0);
    cio_release(f);
    CHECK(strstr(j.out, "X-Body-Length: 300000") != NULL);
    /* JSON in, JSON out */
    snprintf(j.cmd, sizeof j.cmd,
             "curl -sS -H 'Content-Type: application/json' -d "
             "'{\"a\": 40, \"b\": 2}' http://127.0.0.1:%d/sum",
             fx.port);
    f = cio_to_thread(run_cmd, &j);
    CHECK_INT(cio_await(f, NULL), 0);
    cio_release(f);
    CHECK_STR(j.out, "{\"sum\":42}");
    /* a body cut short: curl reports a partial transfer (18) or the reset
     * (56), never success */
    snprintf(j.cmd, sizeof j.cmd,
             "curl -sS -o /dev/null http://127.0.0.1:%d/cut 2>&1; echo rc=$?",
             fx.port);
    f = cio_to_thread(run_cmd, &j);
    CHECK_INT(cio_await(f, NULL), 0);
    cio_release(f);
    CHECK(strstr(j.out, "rc=18") != NULL || strstr(j.out, "rc=56") != NULL);
    fx_stop(&fx);
    return NULL;
}

static void test_curl(void **state) {
    (void)state;
    if (!have_curl())
        skip();
    assert_int_equal(cio_run(curl_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- graceful shutdown -------------------------------------------------- */

typedef struct slow_client {
    int port;
    char *answer;
} slow_client;

static void *slow_request(void *arg) {
    slow_client *sc = arg;
    const char req[] = "GET /slow?s=0.3 HTTP/1.1\r\nHost: x\r\n\r\n";
    sc->answer = exchange(sc->port, req, sizeof req - 1);
    return NULL;
}

static void *shutdown_main(void *arg) {
    (void)arg;
    fixture fx = {0};
    fx_start(&fx, NULL);
    slow_client sc = {.port = fx.port};
    cio_future *t = cio_create_task(slow_request, &sc);
    /* an idle keep-alive connection too */
    cio_stream *idle = NULL;
    CHECK_INT(cio_open_connection("127.0.0.1", fx.port, NULL, &idle), 0);
    cio_sleep(0.1); /* the slow request is in its handler */
    double t0 = now_real();
    CHECK_INT(cio_web_server_shutdown(fx.srv, 5), 0);
    CHECK(now_real() - t0 < 4);
    CHECK_INT(cio_await(t, NULL), 0);
    cio_release(t);
    /* the request in flight finished, told to close */
    CHECK(sc.answer && strstr(sc.answer, "slept") != NULL);
    CHECK(sc.answer && strstr(sc.answer, "Connection: close") != NULL);
    free(sc.answer);
    char b[8];
    CHECK_INT(cio_stream_read(idle, b, sizeof b), 0); /* closed by the server */
    cio_stream_free(idle);
    /* new connections are refused */
    cio_stream *s = NULL;
    CHECK(cio_open_connection("127.0.0.1", fx.port, NULL, &s) < 0);
    fx_stop(&fx);
    return NULL;
}

static void test_graceful_shutdown(void **state) {
    (void)state;
    assert_int_equal(cio_run(shutdown_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- connection limits, keep-alive, HTTP/1.0 ------------------------------
 */

static void *conns_main(void *arg) {
    (void)arg;
    fixture fx = {0};
    cio_web_server_options o = {.max_connections = 2, .keepalive_timeout = 0.2};
    fx_start(&fx, &o);
    cio_stream *a = NULL, *b = NULL;
    CHECK_INT(cio_open_connection("127.0.0.1", fx.port, NULL, &a), 0);
    CHECK_INT(cio_open_connection("127.0.0.1", fx.port, NULL, &b), 0);
    cio_sleep(0.05);
    /* a third connection is told 503 and closed */
    const char get[] = "GET /hello HTTP/1.1\r\n\r\n";
    char *r = exchange(fx.port, get, sizeof get - 1);
    CHECK(r && strncmp(r, "HTTP/1.1 503 Service Unavailable", 32) == 0);
    free(r);
    /* the idle ones are closed after the keep-alive timeout */
    char buf[64];
    double t0 = now_real();
    CHECK_INT(cio_stream_read(a, buf, sizeof buf), 0);
    CHECK_INT(cio_stream_read(b, buf, sizeof buf), 0);
    CHECK(now_real() - t0 < 5);
    cio_stream_free(a);
    cio_stream_free(b);
    /* HTTP/1.0 without keep-alive: one answer, then the server closes */
    const char old[] = "GET /hello?name=1.0 HTTP/1.0\r\n\r\n";
    r = exchange(fx.port, old, sizeof old - 1);
    CHECK(r && strstr(r, "Connection: close") && strstr(r, "hello 1.0"));
    free(r);
    /* HTTP/1.0 with keep-alive: told so, and a streamed body ends with the
     * connection (no chunked encoding in 1.0) */
    const char ka[] = "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                      "GET /stream?n=2 HTTP/1.0\r\nConnection: keep-alive\r\n"
                      "\r\n";
    r = exchange(fx.port, ka, sizeof ka - 1);
    CHECK(r && strstr(r, "Connection: keep-alive") != NULL);
    CHECK(r && strstr(r, "line 0\nline 1\n") != NULL);
    CHECK(r && strstr(r, "chunked") == NULL);
    free(r);
    fx_stop(&fx);
    return NULL;
}

static void test_connections_and_keepalive(void **state) {
    (void)state;
    assert_int_equal(cio_run(conns_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- clients cancelled at random ------------------------------------------
 */

static int g_port, g_answered;

static void *one_client(void *arg) {
    (void)arg;
    cio_stream *s = NULL;
    int err = cio_open_connection("127.0.0.1", g_port, NULL, &s);
    if (err)
        return cio_raise(err, NULL);
    const char req[] = "POST /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
    cio_stream_write(s, req, sizeof req - 1);
    char buf[512];
    size_t have = 0;
    ssize_t n;
    while (have < sizeof buf - 1 &&
           (n = cio_stream_read(s, buf + have, sizeof buf - 1 - have)) > 0) {
        have += (size_t)n;
        buf[have] = '\0';
        if (strstr(buf, "\r\n\r\nhello")) {
            g_answered++;
            break;
        }
    }
    cio_stream_free(s);
    return NULL;
}

static void *cancel_main(void *arg) {
    (void)arg;
    fixture fx = {0};
    fx_start(&fx, NULL);
    g_port = fx.port;
    g_answered = 0;
    int n = 2000 / ct_slow();
    unsigned seed = 12345;
    int cancelled = 0;
    for (int i = 0; i < n; i += 50) {
        cio_future *t[50];
        for (int k = 0; k < 50; k++)
            t[k] = cio_create_task(one_client, NULL);
        /* let them get somewhere, then cancel a random third */
        for (int y = 0; y < (int)(rand_r(&seed) % 8); y++)
            cio_sleep(0);
        for (int k = 0; k < 50; k++)
            if (rand_r(&seed) % 3 == 0)
                cancelled += cio_cancel(t[k], NULL) == 1;
        for (int k = 0; k < 50; k++)
            cio_await(t[k], NULL);
        cio_release_all(t, 50);
    }
    CHECK(g_answered > 0);
    CHECK(g_answered + cancelled >= n);
    /* the server is unharmed: one more request, then a prompt shutdown */
    const char get[] = "GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n";
    char *r = exchange(fx.port, get, sizeof get - 1);
    CHECK(r && strstr(r, "hello world") != NULL);
    free(r);
    CHECK_INT(cio_web_server_shutdown(fx.srv, 5), 0);
    fx_stop(&fx);
    return NULL;
}

static void test_clients_cancelled_at_random(void **state) {
    (void)state;
    assert_int_equal(cio_run(cancel_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- bad input ----------------------------------------------------------- */

static void test_bad_input(void **state) {
    (void)state;
    cio_web_app *app = cio_web_app_new();
    assert_non_null(app);
    assert_int_equal(cio_web_app_route(NULL, "GET", "/", h_hello, NULL),
                     CIO_EINVAL);
    assert_int_equal(cio_web_app_route(app, "G T", "/", h_hello, NULL),
                     CIO_EINVAL);
    assert_int_equal(cio_web_app_route(app, "GET", "x", h_hello, NULL),
                     CIO_EINVAL);
    assert_int_equal(cio_web_app_route(app, "GET", "/a/{b", h_hello, NULL),
                     CIO_EINVAL);
    assert_int_equal(cio_web_app_route(app, "GET", "/a/x{b}", h_hello, NULL),
                     CIO_EINVAL);
    assert_int_equal(cio_web_app_route(app, "GET", "/", NULL, NULL),
                     CIO_EINVAL);
    assert_int_equal(cio_web_serve(NULL, "127.0.0.1", 0, NULL, NULL),
                     CIO_EINVAL);
    assert_int_equal(cio_web_server_port(NULL), CIO_EINVAL);
    assert_int_equal(cio_web_server_shutdown(NULL, 1), CIO_EINVAL);
    cio_web_server_free(NULL);
    assert_int_equal(cio_web_app_free(app), 0);
    assert_int_equal(cio_web_app_free(NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_routes_pipelined),
        CIO_TEST(test_limits_and_malformed),
        CIO_TEST(test_curl),
        CIO_TEST(test_graceful_shutdown),
        CIO_TEST(test_connections_and_keepalive),
        CIO_TEST(test_clients_cancelled_at_random),
        CIO_TEST(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
