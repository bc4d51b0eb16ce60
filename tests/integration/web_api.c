/* Integration: the HTTP server's request and response calls as a handler
 * sees them, against raw HTTP/1.1 clients on 127.0.0.1 and on a UNIX
 * socket: every request accessor, the reason phrase of each status, a
 * redirect, percent-decoding, Allow lists, the response calls' answers to
 * misuse (after the headers went, past a declared length, NULLs), a
 * handler that fails after sending its headers, serve_forever. */
#include "../cio_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

/* ---- handlers ---------------------------------------------------------- */

/* GET /probe/{id}: every request accessor, as JSON. */
static int h_probe(cio_web_request *req, cio_web_response *resp, void *arg) {
    (void)arg;
    json_t *hdrs = json_array();
    size_t n = cio_web_request_header_count(req);
    for (size_t i = 0; i < n; i++) {
        const char *name = NULL, *value = NULL;
        CHECK_INT(cio_web_request_header_at(req, i, &name, &value), 0);
        json_array_append_new(hdrs, json_pack("[s,s]", name, value));
    }
    CHECK_INT(cio_web_request_header_at(req, n, NULL, NULL), CIO_EINVAL);
    CHECK_INT(cio_web_request_header_at(req, 0, NULL, NULL), 0);
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    CHECK_INT(cio_web_request_peer(req, (struct sockaddr *)&peer, &plen), 0);
    char ip[64] = "";
    if (peer.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&peer)->sin_addr, ip,
                  sizeof ip);
    CHECK(cio_web_request_stream(req) != NULL);
    const char *x = cio_web_request_header(req, "x-TEST");
    json_t *j = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s?,s:i,s:o,s:s,s:s?}", "method",
        cio_web_request_method(req), "target", cio_web_request_target(req),
        "path", cio_web_request_path(req), "query",
        cio_web_request_query_string(req), "id",
        cio_web_request_param(req, "id"), "x", x, "version",
        cio_web_request_version(req), "headers", hdrs, "peer", ip, "missing",
        cio_web_request_header(req, "x-missing"));
    int err = cio_web_response_set_json(resp, j);
    json_decref(j);
    return err;
}

/* GET /status/{code}: that status, an empty body. */
static int h_status(cio_web_request *req, cio_web_response *resp, void *arg) {
    (void)arg;
    return cio_web_response_set_status(
        resp, atoi(cio_web_request_param(req, "code")));
}

/* GET /go: a permanent redirect to /probe/1. */
static int h_go(cio_web_request *req, cio_web_response *resp, void *arg) {
    (void)req;
    (void)arg;
    CHECK_INT(cio_web_response_redirect(resp, 200, "/x"), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "200") != NULL);
    CHECK_INT(cio_web_response_redirect(resp, 302, "bad\r\nvalue"), CIO_EINVAL);
    return cio_web_response_redirect(resp, 308, "/probe/1");
}

/* GET /misuse: each response call's answer to bad input, then a streamed
 * body of a declared length. */
static int h_misuse(cio_web_request *req, cio_web_response *resp, void *arg) {
    (void)req;
    (void)arg;
    CHECK_INT(cio_web_response_set_status(NULL, 200), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "NULL response") != NULL);
    CHECK_INT(cio_web_response_set_status(resp, 99), CIO_EINVAL);
    CHECK_INT(cio_web_response_set_status(resp, 1000), CIO_EINVAL);
    CHECK_INT(cio_web_response_set_body(resp, NULL, 3, NULL), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "NULL data") != NULL);
    CHECK_INT(cio_web_response_set_body(resp, NULL, 0, NULL), 0);
    CHECK_INT(cio_web_response_set_text(resp, NULL), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "NULL format") != NULL);
    CHECK_INT(cio_web_response_set_json(resp, NULL), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "NULL value") != NULL);
    CHECK_INT(cio_web_response_add_header(resp, "Content-Length", "1"),
              CIO_EINVAL);
    CHECK_INT(cio_web_response_add_header(resp, "Bad Name", "1"), CIO_EINVAL);
    CHECK_INT(cio_web_response_set_header(resp, "X-A", "1"), 0);
    CHECK_INT(cio_web_response_add_header(resp, "X-A", "2"), 0);
    CHECK_INT(cio_web_response_set_header(resp, "x-a", "3"), 0); /* both go */
    CHECK_INT(cio_web_response_write(NULL, "x", 1), CIO_EINVAL);
    CHECK_INT(cio_web_response_write(resp, NULL, 1), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "NULL argument") != NULL);
    CHECK_INT(cio_web_response_finish(NULL), CIO_EINVAL);
    CHECK_INT(cio_web_response_set_length(resp, 10), 0);
    CHECK_INT(cio_web_response_prepare(resp), 0);
    /* the headers went: every call that would change them refuses */
    CHECK_INT(cio_web_response_prepare(resp), CIO_EWEB_HEADERS_SENT);
    CHECK(strstr(cio_last_error_message(), "the headers are sent") != NULL);
    CHECK_INT(cio_web_response_set_status(resp, 201), CIO_EWEB_HEADERS_SENT);
    CHECK_INT(cio_web_response_set_header(resp, "X-B", "1"),
              CIO_EWEB_HEADERS_SENT);
    CHECK_INT(cio_web_response_add_header(resp, "X-B", "1"),
              CIO_EWEB_HEADERS_SENT);
    CHECK_INT(cio_web_response_set_body(resp, "x", 1, NULL),
              CIO_EWEB_HEADERS_SENT);
    CHECK_INT(cio_web_response_set_length(resp, 1), CIO_EWEB_HEADERS_SENT);
    CHECK_INT(cio_web_response_write(resp, "01234", 5), 0);
    CHECK_INT(cio_web_response_write(resp, "", 0), 0);
    CHECK_INT(cio_web_response_write(resp, "0123456", 7), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "declared length 10") != NULL);
    CHECK_INT(cio_web_response_write(resp, "56789", 5), 0);
    CHECK_INT(cio_web_response_finish(resp), 0);
    CHECK_INT(cio_web_response_finish(resp), 0); /* once is enough */
    CHECK_INT(cio_web_response_write(resp, "x", 1), CIO_ECLOSED);
    CHECK(strstr(cio_last_error_message(), "finished") != NULL);
    return 0;
}

/* GET /short: declares 10 bytes, sends 4, finishes: CIO_EINVAL, and the
 * connection closes (the client sees the body end early). */
static int h_short(cio_web_request *req, cio_web_response *resp, void *arg) {
    (void)req;
    (void)arg;
    CHECK_INT(cio_web_response_set_length(resp, 10), 0);
    CHECK_INT(cio_web_response_write(resp, "abcd", 4), 0);
    CHECK_INT(cio_web_response_finish(resp), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "4 of the declared 10") != NULL);
    return 0;
}

/* GET /late-fail: headers sent, then an error: the connection is dropped
 * (the client cannot be told any more). */
static int h_late_fail(cio_web_request *req, cio_web_response *resp,
                       void *arg) {
    (void)req;
    (void)arg;
    CHECK_INT(cio_web_response_write(resp, "partial", 7), 0);
    return -EIO;
}

/* GET /aborted: abort, then the calls on the aborted response. */
static int h_aborted(cio_web_request *req, cio_web_response *resp, void *arg) {
    (void)req;
    (void)arg;
    CHECK_INT(cio_web_response_write(resp, "x", 1), 0);
    cio_web_response_abort(resp);
    cio_web_response_abort(resp); /* twice: nothing more */
    cio_web_response_abort(NULL);
    CHECK_INT(cio_web_response_write(resp, "y", 1), CIO_ECLOSED);
    return 0;
}

/* POST /body: the request calls' answers to NULLs, then the body. */
static int h_body(cio_web_request *req, cio_web_response *resp, void *arg) {
    (void)arg;
    const char *data = NULL;
    CHECK_INT(cio_web_request_read(NULL, NULL, 0), CIO_EINVAL);
    CHECK_INT(cio_web_request_read(req, NULL, 4), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "NULL argument") != NULL);
    CHECK_INT(cio_web_request_body(req, NULL), CIO_EINVAL);
    CHECK_INT(cio_web_request_body(NULL, &data), CIO_EINVAL);
    CHECK_INT(cio_web_request_json(req, NULL), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "NULL argument") != NULL);
    char none;
    CHECK_INT(cio_web_request_read(req, &none, 0), 0);
    ssize_t n = cio_web_request_body(req, &data);
    if (n < 0)
        return (int)n;
    return cio_web_response_set_text(resp, "%zd:%s", n, data);
}

static cio_web_app *make_app(void) {
    cio_web_app *app = cio_web_app_new();
    CHECK(app != NULL);
    CHECK_INT(cio_web_app_route(app, "GET", "/probe/{id}", h_probe, NULL), 0);
    CHECK_INT(cio_web_app_route(app, "GET", "/status/{code}", h_status, NULL),
              0);
    CHECK_INT(cio_web_app_route(app, "GET", "/go", h_go, NULL), 0);
    CHECK_INT(cio_web_app_route(app, "GET", "/misuse", h_misuse, NULL), 0);
    CHECK_INT(cio_web_app_route(app, "GET", "/short", h_short, NULL), 0);
    CHECK_INT(cio_web_app_route(app, "GET", "/late-fail", h_late_fail, NULL),
              0);
    CHECK_INT(cio_web_app_route(app, "GET", "/aborted", h_aborted, NULL), 0);
    CHECK_INT(cio_web_app_route(app, "POST", "/body", h_body, NULL), 0);
    /* two routes whose path matches /dup/x with the same method: Allow
     * names it once */
    CHECK_INT(cio_web_app_route(app, "PUT", "/dup/{v}", h_body, NULL), 0);
    CHECK_INT(cio_web_app_route(app, "PUT", "/dup/x", h_body, NULL), 0);
    return app;
}

/* ---- raw clients ------------------------------------------------------- */

static char *read_all(cio_stream *s, const char *req) {
    CHECK_INT(cio_stream_write(s, req, strlen(req)), 0);
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

/* Send `req` (which should ask for Connection: close) and read the answer
 * until the server closes. The caller frees it. */
static char *exchange(int port, const char *req) {
    cio_stream *s = NULL;
    CHECK_INT(cio_open_connection("127.0.0.1", port, NULL, &s), 0);
    return s ? read_all(s, req) : strdup("");
}

#define CLOSE "Host: x\r\nConnection: close\r\n\r\n"

static void expect(const char *r, const char *what) {
    if (!strstr(r, what))
        ct_failed(__FILE__, __LINE__, "'%s' missing in:\n%s", what, r);
}

/* ---- tests ------------------------------------------------------------- */

static void *accessors_main(void *arg) {
    (void)arg;
    cio_web_app *app = make_app();
    cio_web_server *srv = NULL;
    CHECK_INT(cio_web_serve(app, "127.0.0.1", 0, NULL, &srv), 0);
    int port = cio_web_server_port(srv);
    char *r = exchange(port, "GET /probe/%C3%a9?a=1&b HTTP/1.0\r\n"
                             "X-Test: yes\r\nHost: h\r\n\r\n");
    expect(r, "HTTP/1.1 200 OK");
    char *body = strstr(r, "\r\n\r\n");
    json_error_t e;
    json_t *j = body ? json_loads(body + 4, 0, &e) : NULL;
    CHECK(j != NULL);
    if (j) {
        CHECK_STR(json_string_value(json_object_get(j, "method")), "GET");
        CHECK_STR(json_string_value(json_object_get(j, "target")),
                  "/probe/%C3%a9?a=1&b");
        CHECK_STR(json_string_value(json_object_get(j, "path")),
                  "/probe/\xC3\xA9");
        CHECK_STR(json_string_value(json_object_get(j, "id")), "\xC3\xA9");
        CHECK_STR(json_string_value(json_object_get(j, "query")), "a=1&b");
        CHECK_STR(json_string_value(json_object_get(j, "x")), "yes");
        CHECK_INT(json_integer_value(json_object_get(j, "version")), 10);
        CHECK_STR(json_string_value(json_object_get(j, "peer")), "127.0.0.1");
        CHECK(json_is_null(json_object_get(j, "missing")));
        json_t *h = json_object_get(j, "headers");
        CHECK_INT(json_array_size(h), 2);
        CHECK_STR(json_string_value(json_array_get(json_array_get(h, 0), 0)),
                  "X-Test");
        CHECK_STR(json_string_value(json_array_get(json_array_get(h, 1), 1)),
                  "h");
        json_decref(j);
    }
    /* HTTP/1.0 without keep-alive: the server closes after the answer */
    expect(r, "Connection: close");
    free(r);
    /* targets the server cannot route: a bad escape in the path, a NUL,
     * the absolute form (for proxies): 400, and the server goes on */
    static const char *const bad[] = {
        "GET /probe/%zz HTTP/1.1\r\n" CLOSE,
        "GET /probe/%4 HTTP/1.1\r\n" CLOSE,
        "GET /probe/a%00b HTTP/1.1\r\n" CLOSE,
        "GET http://127.0.0.1/probe/1 HTTP/1.1\r\n" CLOSE,
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = exchange(port, bad[i]);
        expect(r, "HTTP/1.1 400 Bad Request");
        expect(r, "Connection: close");
        free(r);
    }
    /* Allow: PUT named once, though two PUT routes match */
    r = exchange(port, "GET /dup/x HTTP/1.1\r\n" CLOSE);
    expect(r, "HTTP/1.1 405 Method Not Allowed");
    expect(r, "Allow: PUT\r\n");
    free(r);
    cio_web_server_free(srv);
    CHECK_INT(cio_sleep(0.01), 0);
    CHECK_INT(cio_web_app_free(app), 0);
    return NULL;
}

static void test_request_accessors(void **state) {
    (void)state;
    assert_int_equal(cio_run(accessors_main, NULL, NULL), 0);
    checks_assert();
    /* outside a handler (NULL request) the accessors answer NULL / codes */
    assert_null(cio_web_request_method(NULL));
    assert_null(cio_web_request_target(NULL));
    assert_null(cio_web_request_path(NULL));
    assert_null(cio_web_request_query_string(NULL));
    assert_null(cio_web_request_query(NULL, "a"));
    assert_null(cio_web_request_param(NULL, "a"));
    assert_null(cio_web_request_header(NULL, "a"));
    assert_int_equal(cio_web_request_header_count(NULL), 0);
    assert_int_equal(cio_web_request_header_at(NULL, 0, NULL, NULL),
                     CIO_EINVAL);
    assert_int_equal(cio_web_request_version(NULL), CIO_EINVAL);
    assert_int_equal(cio_web_request_peer(NULL, NULL, NULL), CIO_EINVAL);
    assert_null(cio_web_request_stream(NULL));
}

/* Every status has its reason phrase (RFC 9110's); an unlisted one gets
 * a generic phrase of its class. */
static void *reasons_main(void *arg) {
    (void)arg;
    static const struct {
        int code;
        const char *line;
    } want[] = {
        {201, "201 Created"},
        {202, "202 Accepted"},
        {204, "204 No Content"},
        {206, "206 Partial Content"},
        {301, "301 Moved Permanently"},
        {302, "302 Found"},
        {303, "303 See Other"},
        {304, "304 Not Modified"},
        {307, "307 Temporary Redirect"},
        {308, "308 Permanent Redirect"},
        {401, "401 Unauthorized"},
        {403, "403 Forbidden"},
        {409, "409 Conflict"},
        {415, "415 Unsupported Media Type"},
        {422, "422 Unprocessable Entity"},
        {429, "429 Too Many Requests"},
        {501, "501 Not Implemented"},
        {502, "502 Bad Gateway"},
        {503, "503 Service Unavailable"},
        {504, "504 Gateway Timeout"},
        {299, "299 OK"},
        {399, "399 Redirect"},
        {499, "499 Error"},
        {599, "599 Error"},
    };
    cio_web_app *app = make_app();
    cio_web_server *srv = NULL;
    CHECK_INT(cio_web_serve(app, "127.0.0.1", 0, NULL, &srv), 0);
    int port = cio_web_server_port(srv);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char req[128], line[64];
        snprintf(req, sizeof req, "GET /status/%d HTTP/1.1\r\n" CLOSE,
                 want[i].code);
        char *r = exchange(port, req);
        snprintf(line, sizeof line, "HTTP/1.1 %s\r\n", want[i].line);
        CHECK(strncmp(r, line, strlen(line)) == 0);
        if (strncmp(r, line, strlen(line)) != 0)
            print_error("got: %.60s\n", r);
        /* 204 and 304 have no body, so no Content-Length either */
        if (want[i].code == 204 || want[i].code == 304)
            CHECK(strstr(r, "Content-Length") == NULL);
        free(r);
    }
    cio_web_server_free(srv);
    CHECK_INT(cio_sleep(0.01), 0);
    CHECK_INT(cio_web_app_free(app), 0);
    return NULL;
}

static void test_reason_phrases(void **state) {
    (void)state;
    assert_int_equal(cio_run(reasons_main, NULL, NULL), 0);
    checks_assert();
}

static void *responses_main(void *arg) {
    (void)arg;
    cio_web_app *app = make_app();
    cio_web_server *srv = NULL;
    CHECK_INT(cio_web_serve(app, "127.0.0.1", 0, NULL, &srv), 0);
    int port = cio_web_server_port(srv);
    char *r = exchange(port, "GET /go HTTP/1.1\r\n" CLOSE);
    expect(r, "HTTP/1.1 308 Permanent Redirect\r\n");
    expect(r, "Location: /probe/1\r\n");
    free(r);
    r = exchange(port, "GET /misuse HTTP/1.1\r\n" CLOSE);
    expect(r, "HTTP/1.1 200 OK\r\n");
    expect(r, "x-a: 3\r\n");
    CHECK(strstr(r, "X-A: 1") == NULL && strstr(r, "X-A: 2") == NULL);
    expect(r, "Content-Length: 10\r\n");
    expect(r, "\r\n\r\n0123456789");
    free(r);
    /* a short body: the connection closes after the 4 bytes, even though
     * the client asked to keep it */
    r = exchange(port, "GET /short HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(r, "Content-Length: 10\r\n");
    CHECK(strlen(strstr(r, "\r\n\r\n")) == 4 + 4);
    free(r);
    /* failing after the headers: the connection is dropped mid-body */
    diag_capture();
    r = exchange(port, "GET /late-fail HTTP/1.1\r\n" CLOSE);
    expect(r, "Transfer-Encoding: chunked");
    expect(r, "7\r\npartial\r\n");
    CHECK(strstr(r, "0\r\n\r\n") == NULL); /* never the last chunk */
    free(r);
    CHECK_INT(diag_count("handler failed after sending the headers"), 1);
    diag_restore();
    r = exchange(port, "GET /aborted HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(r, "1\r\nx\r\n");
    free(r);
    /* the request calls */
    r = exchange(port,
                 "POST /body HTTP/1.1\r\nContent-Length: 5\r\n" CLOSE "hello");
    expect(r, "\r\n\r\n5:hello");
    free(r);
    cio_web_server_free(srv);
    CHECK_INT(cio_sleep(0.01), 0);
    CHECK_INT(cio_web_app_free(app), 0);
    return NULL;
}

static void test_response_calls(void **state) {
    (void)state;
    assert_int_equal(cio_run(responses_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- a UNIX socket, serve_forever, routes while serving --------------- */

static int g_forever_rc;

static void *forever(void *arg) {
    g_forever_rc = cio_web_server_serve_forever(arg);
    return NULL;
}

static void *unix_main(void *arg) {
    (void)arg;
    char path[108];
    snprintf(path, sizeof path, "/tmp/cio-web-api-%d.sock", (int)getpid());
    cio_web_app *app = make_app();
    cio_web_server *srv = NULL;
    CHECK_INT(cio_web_serve_unix(app, NULL, NULL, &srv), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "NULL path") != NULL);
    CHECK_INT(cio_web_serve_unix(app, path, NULL, &srv), 0);
    /* the app is being served: it takes no new routes, cannot be freed */
    CHECK_INT(cio_web_app_route(app, "GET", "/new", h_status, NULL), -EBUSY);
    CHECK(strstr(cio_last_error_message(), "served") != NULL);
    CHECK_INT(cio_web_app_free(app), -EBUSY);
    cio_future *t = cio_create_task(forever, srv);
    CHECK_INT(cio_sleep(0), 0);
    cio_stream *s = NULL;
    CHECK_INT(cio_open_unix_connection(path, NULL, &s), 0);
    if (s) {
        char *r = read_all(s, "GET /status/202 HTTP/1.1\r\n" CLOSE);
        expect(r, "HTTP/1.1 202 Accepted");
        free(r);
    }
    CHECK_INT(cio_cancel(t, NULL), 1);
    CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
    CHECK_INT(g_forever_rc, CIO_ECANCELED);
    cio_release(t);
    CHECK_INT(cio_web_server_shutdown(srv, 1), 0);
    cio_web_server_free(srv);
    CHECK_INT(cio_sleep(0.01), 0);
    CHECK_INT(cio_web_app_free(app), 0);
    unlink(path);
    return NULL;
}

static void test_unix_and_serve_forever(void **state) {
    (void)state;
    assert_int_equal(cio_run(unix_main, NULL, NULL), 0);
    checks_assert();
    assert_int_equal(cio_web_server_serve_forever(NULL), CIO_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_request_accessors),
        CIO_TEST(test_reason_phrases),
        CIO_TEST(test_response_calls),
        CIO_TEST(test_unix_and_serve_forever),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
