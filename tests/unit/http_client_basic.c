/* Unit tests of the HTTP client against real servers on 127.0.0.1 (nginx,
 * the fault fixture): GET with JSON, response fields and headers, every
 * method and body kind, query parameters, session and request headers,
 * authentication, cookies, proxies (explicit and trust_env), redirects and
 * their history, charsets, decompression, streaming with back-pressure,
 * keep-alive (sockets kept and closed), cancellation and closing a session with
 * requests in flight. */
#include "common/http_test.h"
#include "http/client_internal.h"

#include <fcntl.h>
#include <sys/socket.h>

static json_t *get_json(cio_http_session *s, const cio_http_request *req) {
    cio_http_response *r = NULL;
    json_t *doc = NULL;
    int rc = cio_http_request_send(s, req, &r);
    CHECK_INT(rc, 0);
    if (rc)
        return NULL;
    CHECK_INT(cio_http_response_status(r), 200);
    CHECK_INT(cio_http_response_json(r, &doc, 0), 0);
    cio_http_response_release(r);
    return doc;
}

static const char *jstr(json_t *doc, const char *a, const char *b) {
    json_t *v = json_object_get(doc, a);
    if (b)
        v = json_object_get(v, b);
    return json_string_value(v) ? json_string_value(v) : "(none)";
}

/* ---- GET and the response ------------------------------------------------ */

static void *get_body(void *arg) {
    (void)arg;
    cio_http_session *s = cio_http_session_new(NULL, NULL);
    CHECK(s != NULL);
    cio_http_response *r = NULL;
    CHECK_INT(cio_http_get(s, NGINX("/ip.json"), &r), 0);
    CHECK_INT(cio_http_response_status(r), 200);
    CHECK_STR(cio_http_response_reason(r), "OK");
    CHECK_STR(cio_http_response_version(r), "HTTP/1.1");
    CHECK_STR(cio_http_response_url(r), NGINX("/ip.json"));
    CHECK_STR(cio_http_response_content_type(r), "application/json");
    CHECK(cio_http_response_charset(r) == NULL);
    CHECK_STR(cio_http_response_header(r, "CONTENT-length"), "313");
    CHECK_STR(cio_http_response_header(r, "server") ? "has" : "no", "has");
    CHECK(cio_http_response_header(r, "x-nothing") == NULL);
    CHECK_INT((int)cio_http_response_history_count(r), 0);
    const char *name, *value;
    CHECK(cio_http_response_header_at(r, 0, &name, &value));
    CHECK(!cio_http_response_header_at(r, cio_http_response_header_count(r),
                                       &name, &value));
    const char *data;
    size_t len;
    CHECK_INT(cio_http_response_read(r, &data, &len), 0);
    CHECK_INT((int)len, 313);
    CHECK_INT(memcmp(data, hs_ip_json, 313), 0);
    json_t *doc = NULL;
    CHECK_INT(cio_http_response_json(r, &doc, 0), 0);
    CHECK_STR(jstr(doc, "ip", NULL), "203.0.113.7");
    json_decref(doc);
    CHECK_INT(cio_http_response_raise_for_status(r), 0);
    cio_http_response_release(r);
    /* keep-alive: one connection for sequential requests */
    char conn[32] = "";
    for (int i = 0; i < 5; i++) {
        CHECK_INT(cio_http_get(s, NGINX("/ip.json"), &r), 0);
        const char *c = cio_http_response_header(r, "x-conn");
        if (i == 0)
            snprintf(conn, sizeof conn, "%s", c ? c : "?");
        CHECK_STR(c, conn);
        cio_http_response_release(r);
    }
    CHECK_INT(cio_http_session_close(s), 0);
    return NULL;
}

static void test_get(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(get_body, NULL);
}

/* ---- methods, bodies, parameters, headers, auth -------------------------- */

static void *methods_body(void *arg) {
    (void)arg;
    const char *defaults[] = {"X-Session: s", "X-Both: session", NULL};
    cio_http_session_options o = {.headers = defaults};
    cio_http_session *s = cio_http_session_new(NULL, &o);
    const char *hdrs[] = {"X-Both: request", "X-Multi: 1", NULL};
    const char *params[] = {"a b", "x&y=z", "ü", "1", NULL};
    cio_http_request req = {
        .url = FAULT("/echo?k=v"), .params = params, .headers = hdrs};
    json_t *d = get_json(s, &req);
    CHECK_STR(jstr(d, "method", NULL), "GET");
    CHECK_STR(jstr(d, "query", "a b"), "x&y=z");
    CHECK_STR(jstr(d, "query", "k"), "v");
    CHECK_STR(jstr(d, "query", "ü"), "1");
    CHECK_STR(jstr(d, "headers", "x-session"), "s");
    CHECK_STR(jstr(d, "headers", "x-both"), "request");
    CHECK(strncmp(jstr(d, "headers", "user-agent"),
                  "cio/" CIO_VERSION_STRING " libcurl/", 17) == 0);
    json_decref(d);

    json_t *j = json_pack("{s:i,s:s}", "n", 42, "s", "é");
    req =
        (cio_http_request){.method = "POST", .url = FAULT("/echo"), .json = j};
    d = get_json(s, &req);
    CHECK_STR(jstr(d, "method", NULL), "POST");
    CHECK_STR(jstr(d, "headers", "content-type"), "application/json");
    json_t *back = json_loads(jstr(d, "body", NULL), 0, NULL);
    CHECK_INT((int)json_integer_value(json_object_get(back, "n")), 42);
    json_decref(back);
    json_decref(d);
    json_decref(j);

    req = (cio_http_request){
        .method = "PUT", .url = FAULT("/echo"), .text = "hi"};
    d = get_json(s, &req);
    CHECK_STR(jstr(d, "method", NULL), "PUT");
    CHECK_STR(jstr(d, "body", NULL), "hi");
    CHECK_STR(jstr(d, "headers", "content-type"), "text/plain; charset=utf-8");
    json_decref(d);

    const char *form[] = {"name", "a&b c", "x", "=", NULL};
    req = (cio_http_request){
        .method = "PATCH", .url = FAULT("/echo"), .form = form};
    d = get_json(s, &req);
    CHECK_STR(jstr(d, "method", NULL), "PATCH");
    CHECK_STR(jstr(d, "body", NULL), "name=a%26b%20c&x=%3D");
    CHECK_STR(jstr(d, "headers", "content-type"),
              "application/x-www-form-urlencoded");
    json_decref(d);

    static const char raw[] = {1, 'A', 2};
    req = (cio_http_request){.method = "POST",
                             .url = FAULT("/echo"),
                             .body = raw,
                             .body_len = 3,
                             .content_type = "application/x-raw"};
    d = get_json(s, &req);
    CHECK_STR(jstr(d, "body", NULL), "\x01"
                                     "A\x02");
    CHECK_STR(jstr(d, "headers", "content-length"), "3");
    CHECK_STR(jstr(d, "headers", "content-type"), "application/x-raw");
    json_decref(d);

    cio_http_part parts[] = {{.name = "field", .data = "value", .len = 5},
                             {.name = "file",
                              .data = "abc",
                              .len = 3,
                              .filename = "a.txt",
                              .content_type = "text/plain"}};
    req = (cio_http_request){
        .method = "POST", .url = FAULT("/echo"), .parts = parts, .nparts = 2};
    d = get_json(s, &req);
    CHECK(strncmp(jstr(d, "headers", "content-type"),
                  "multipart/form-data; boundary=", 30) == 0);
    CHECK(strstr(jstr(d, "body", NULL), "name=\"file\"; filename=\"a.txt\"") !=
          NULL);
    CHECK(strstr(jstr(d, "body", NULL), "value") != NULL);
    json_decref(d);

    const char *methods[] = {"DELETE", "OPTIONS"};
    for (int i = 0; i < 2; i++) {
        req = (cio_http_request){.method = methods[i], .url = FAULT("/echo")};
        d = get_json(s, &req);
        CHECK_STR(jstr(d, "method", NULL), methods[i]);
        json_decref(d);
    }
    cio_http_response *r = NULL;
    req = (cio_http_request){.method = "HEAD", .url = NGINX("/ip.json")};
    CHECK_INT(cio_http_request_send(s, &req, &r), 0);
    CHECK_INT(cio_http_response_status(r), 200);
    CHECK_STR(cio_http_response_header(r, "content-length"), "313");
    const char *data;
    size_t len = 99;
    CHECK_INT(cio_http_response_read(r, &data, &len), 0);
    CHECK_INT((int)len, 0);
    cio_http_response_release(r);

    req = (cio_http_request){
        .url = FAULT("/echo"), .user = "user", .password = "pass"};
    d = get_json(s, &req);
    CHECK_STR(jstr(d, "headers", "authorization"), "Basic dXNlcjpwYXNz");
    json_decref(d);
    req = (cio_http_request){.url = FAULT("/echo"), .bearer = "tok123"};
    d = get_json(s, &req);
    CHECK_STR(jstr(d, "headers", "authorization"), "Bearer tok123");
    json_decref(d);
    cio_http_session_close(s);
    return NULL;
}

static void test_methods_bodies_headers(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(methods_body, NULL);
}

/* ---- easy handles reused: nothing of one request reaches the next; the
 * default headers (User-Agent, Accept-Encoding) and turning them off ---- */

/* One task, requests one after another: each takes the easy handle the one
 * before gave back, so every option a request set must be gone (or set
 * anew) for the next. */
static void *reuse_body(void *arg) {
    (void)arg;
    cio_http_session *s = cio_http_session_new(NULL, NULL);
    json_t *j = json_pack("{s:i}", "n", 1);
    cio_http_request req = {.url = FAULT("/echo"), .json = j}; /* GET */
    json_t *d = get_json(s, &req);
    CHECK_STR(jstr(d, "body", NULL), "{\"n\":1}");
    json_decref(d);
    json_decref(j);
    req = (cio_http_request){.url = FAULT("/echo")};
    d = get_json(s, &req);
    CHECK_STR(jstr(d, "method", NULL), "GET");
    CHECK_STR(jstr(d, "body", NULL), "");
    CHECK_STR(jstr(d, "headers", "content-type"), "(none)");
    json_decref(d);
    req = (cio_http_request){.url = FAULT("/echo"), .bearer = "t"};
    d = get_json(s, &req);
    CHECK_STR(jstr(d, "headers", "authorization"), "Bearer t");
    json_decref(d);
    req = (cio_http_request){.url = FAULT("/echo")};
    d = get_json(s, &req);
    CHECK_STR(jstr(d, "headers", "authorization"), "(none)");
    json_decref(d);

    const char *hdrs[] = {"X-Once: 1", "Accept-Encoding: identity", NULL};
    req = (cio_http_request){.url = FAULT("/echo"), .headers = hdrs};
    d = get_json(s, &req);
    CHECK_STR(jstr(d, "headers", "x-once"), "1");
    CHECK_STR(jstr(d, "headers", "accept-encoding"), "identity");
    json_decref(d);
    req = (cio_http_request){.url = FAULT("/echo")};
    d = get_json(s, &req);
    CHECK_STR(jstr(d, "headers", "x-once"), "(none)");
    CHECK(strstr(jstr(d, "headers", "accept-encoding"), "gzip") != NULL);
    json_decref(d);

    cio_http_response *r = NULL;
    req = (cio_http_request){.method = "HEAD", .url = NGINX("/ip.json")};
    CHECK_INT(cio_http_request_send(s, &req, &r), 0);
    cio_http_response_release(r);
    CHECK_INT(cio_http_get(s, NGINX("/ip.json"), &r), 0);
    const char *data;
    size_t len = 0;
    CHECK_INT(cio_http_response_read(r, &data, &len), 0);
    CHECK_INT((int)len, 313);
    cio_http_response_release(r);

    req = (cio_http_request){.url = FAULT("/huge?n=100"), .max_body = 10};
    CHECK_INT(cio_http_request_send(s, &req, &r), CIO_EHTTP_TOO_LARGE);
    CHECK_INT(cio_http_get(s, FAULT("/huge?n=100"), &r), 0);
    CHECK_INT(cio_http_response_read(r, &data, &len), 0);
    CHECK_INT((int)len, 100);
    cio_http_response_release(r);

    req = (cio_http_request){.url = FAULT("/redirect/1"), .max_redirects = -1};
    CHECK_INT(ht_get_status(s, FAULT("/status/201")), 201);
    CHECK_INT(cio_http_request_send(s, &req, &r), 0);
    CHECK_INT(cio_http_response_status(r), 302);
    cio_http_response_release(r);
    CHECK_INT(ht_get_status(s, FAULT("/redirect/1")), 200);
    cio_http_session_close(s);

    /* User-Agent "": none sent; a session header of the name wins */
    cio_http_session_options o = {.user_agent = ""};
    s = cio_http_session_new(NULL, &o);
    req = (cio_http_request){.url = FAULT("/echo")};
    d = get_json(s, &req);
    CHECK_STR(jstr(d, "headers", "user-agent"), "(none)");
    json_decref(d);
    cio_http_session_close(s);
    const char *ua[] = {"user-agent: mine", NULL};
    o = (cio_http_session_options){.user_agent = "other", .headers = ua};
    s = cio_http_session_new(NULL, &o);
    d = get_json(s, &req);
    CHECK_STR(jstr(d, "headers", "user-agent"), "mine");
    json_decref(d);
    cio_http_session_close(s);

    /* no_decompress: no compressed body asked for */
    o = (cio_http_session_options){.no_decompress = true};
    s = cio_http_session_new(NULL, &o);
    d = get_json(s, &req);
    CHECK_STR(jstr(d, "headers", "accept-encoding"), "(none)");
    json_decref(d);
    CHECK_INT(cio_http_get(s, FAULT("/gzip"), &r), 0);
    CHECK(cio_http_response_header(r, "content-encoding") == NULL);
    CHECK_INT(cio_http_response_json(r, &d, 0), 0);
    json_decref(d);
    cio_http_response_release(r);
    cio_http_session_close(s);
    return NULL;
}

static void test_handles_reused(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(reuse_body, NULL);
}

/* ---- base URL, cookies, redirects --------------------------------------- */

static void *session_body(void *arg) {
    (void)arg;
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d/", ht_fault.port);
    cio_http_session_options o = {.base_url = base};
    cio_http_session *s = cio_http_session_new(NULL, &o);
    CHECK_INT(ht_get_status(s, "cookie/set?sid=abc&lang=fr"), 200);
    /* a header sent twice: every value, in order */
    cio_http_response *sc = NULL;
    CHECK_INT(cio_http_get(s, "cookie/set?a=1&b=2", &sc), 0);
    const char *vals[3] = {NULL, NULL, NULL};
    CHECK_INT((int)cio_http_response_header_values(sc, "SET-COOKIE", vals, 3),
              2);
    CHECK_STR(vals[0], "a=1; Path=/");
    CHECK_STR(vals[1], "b=2; Path=/");
    CHECK(vals[2] == NULL);
    vals[0] = vals[1] = NULL;
    CHECK_INT((int)cio_http_response_header_values(sc, "set-cookie", vals, 1),
              2); /* how many there are, the first stored */
    CHECK_STR(vals[0], "a=1; Path=/");
    CHECK(vals[1] == NULL);
    CHECK_INT((int)cio_http_response_header_values(sc, "set-cookie", NULL, 0),
              2);
    CHECK_INT((int)cio_http_response_header_values(sc, "x-none", vals, 3), 0);
    CHECK_INT((int)cio_http_response_header_values(sc, NULL, vals, 3), 0);
    CHECK_INT((int)cio_http_response_header_values(NULL, "a", vals, 3), 0);
    CHECK_STR(cio_http_response_header(sc, "set-cookie"), "a=1; Path=/");
    cio_http_response_release(sc);
    cio_http_request req = {.url = "echo"};
    json_t *d = get_json(s, &req);
    const char *ck = jstr(d, "headers", "cookie");
    CHECK(strstr(ck, "sid=abc") && strstr(ck, "lang=fr"));
    json_decref(d);

    cio_http_response *r = NULL;
    CHECK_INT(cio_http_get(s, "/redirect/3", &r), 0);
    CHECK_INT(cio_http_response_status(r), 200);
    CHECK_STR(cio_http_response_url(r), FAULT("/echo"));
    CHECK_INT((int)cio_http_response_history_count(r), 3);
    int st = 0;
    CHECK_STR(cio_http_response_history_url(r, 0, &st), FAULT("/redirect/3"));
    CHECK_INT(st, 302);
    CHECK_STR(cio_http_response_history_url(r, 2, &st), FAULT("/redirect/1"));
    CHECK(cio_http_response_history_url(r, 3, &st) == NULL);
    cio_http_response_release(r);

    req = (cio_http_request){.url = "/redirect/2", .max_redirects = -1};
    CHECK_INT(cio_http_request_send(s, &req, &r), 0);
    CHECK_INT(cio_http_response_status(r), 302);
    CHECK_STR(cio_http_response_header(r, "location"), "/redirect/1");
    cio_http_response_release(r);
    cio_http_session_close(s);

    cio_http_session_options none = {.base_url = base, .no_cookies = true};
    s = cio_http_session_new(NULL, &none);
    CHECK_INT(ht_get_status(s, "cookie/set?sid=abc"), 200);
    req = (cio_http_request){.url = "echo"};
    d = get_json(s, &req);
    CHECK_STR(jstr(d, "headers", "cookie"), "(none)");
    json_decref(d);
    cio_http_session_close(s);
    return NULL;
}

static void test_session_cookies_redirects(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(session_body, NULL);
}

/* ---- proxies --------------------------------------------------------------
 */

/* The fault fixture answers absolute-form requests too, so it serves as an
 * HTTP proxy: the host below resolves nowhere (a 70-character label fails
 * in the resolver before any query), so only a proxy can answer for it. */
#define NOWHERE                                                                \
    "http://"                                                                  \
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"       \
    "aaaa.invalid/echo"

static void *proxy_body(void *arg) {
    (void)arg;
    char proxy[64];
    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", ht_fault.port);
    cio_http_session_options o = {.proxy = proxy};
    cio_http_session *s = cio_http_session_new(NULL, &o);
    cio_http_request req = {.url = NOWHERE};
    json_t *d = get_json(s, &req);
    CHECK(strncmp(jstr(d, "headers", "host"), "aaaa", 4) == 0);
    json_decref(d);
    cio_http_session_close(s);

    /* the environment's proxy: only with trust_env */
    setenv("http_proxy", proxy, 1);
    s = cio_http_session_new(NULL, NULL);
    cio_http_response *r = NULL;
    CHECK_INT(cio_http_get(s, NOWHERE, &r), CIO_EHTTP_RESOLVE);
    cio_http_session_close(s);
    o = (cio_http_session_options){.trust_env = true};
    s = cio_http_session_new(NULL, &o);
    CHECK_INT(ht_get_status(s, NOWHERE), 200);
    cio_http_session_close(s);
    unsetenv("http_proxy");
    return NULL;
}

static void test_proxies(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(proxy_body, NULL);
}

/* ---- text, charsets, decompression ------------------------------------- */

static void *text_body(void *arg) {
    (void)arg;
    cio_http_session *s = cio_http_session_new(NULL, NULL);
    cio_http_response *r = NULL;
    CHECK_INT(cio_http_get(s, NGINX("/latin1.txt"), &r), 0);
    CHECK_STR(cio_http_response_content_type(r), "text/plain");
    CHECK_STR(cio_http_response_charset(r), "iso-8859-1");
    const char *t;
    size_t n;
    CHECK_INT(cio_http_response_text(r, &t, &n), 0);
    CHECK_STR(t, "caf\xc3\xa9 cr\xc3\xa8me");
    CHECK_INT((int)n, 12);
    cio_http_response_release(r);
    CHECK_INT(cio_http_get(s, FAULT("/html"), &r), 0);
    CHECK_INT(cio_http_response_text(r, &t, &n), 0);
    CHECK_STR(t, "<html><body>hello</body></html>");
    CHECK_STR(cio_http_response_charset(r), "utf-8");
    cio_http_response_release(r);
    CHECK_INT(cio_http_get(s, FAULT("/gzip"), &r), 0);
    CHECK_STR(cio_http_response_header(r, "content-encoding"), "gzip");
    json_t *d = NULL;
    CHECK_INT(cio_http_response_json(r, &d, 0), 0);
    CHECK(json_is_true(json_object_get(d, "zipped")));
    json_decref(d);
    cio_http_response_release(r);
    cio_http_session_close(s);
    return NULL;
}

static void test_text_and_decompression(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(text_body, NULL);
}

/* ---- streaming with back-pressure --------------------------------------- */

static void *stream_body(void *arg) {
    (void)arg;
    cio_http_session *s = cio_http_session_new(NULL, NULL);
    const size_t total = 2000000, chunk = 10000;
    char url[128];
    snprintf(url, sizeof url, "/chunked?n=%zu&c=%zu", total, chunk);
    cio_http_request req = {.url = FAULT(url), .stream = true};
    cio_http_response *r = NULL;
    CHECK_INT(cio_http_request_send(s, &req, &r), 0);
    CHECK_INT(cio_http_response_status(r), 200);
    CHECK_INT((int)cio_http_session_active(s), 1);
    /* not reading: the transfer pauses with a bounded buffer */
    cio_sleep(0.3);
    CHECK(r->paused);
    CHECK(r->body.len - r->taken <= 64 * 1024 + CURL_MAX_WRITE_SIZE);
    CHECK(!r->done);
    size_t got = 0;
    bool order = true;
    char buf[4096];
    ssize_t k;
    while ((k = cio_http_response_read_chunk(r, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < k; i++)
            order &= buf[i] == (char)('0' + (got + (size_t)i) / chunk % 10);
        got += (size_t)k;
        if (got % 500000 < sizeof buf)
            cio_sleep(0.01);
    }
    CHECK_INT((int)k, 0);
    CHECK(got == total);
    CHECK(order);
    cio_http_response_release(r);
    CHECK_INT((int)cio_http_session_active(s), 0);

    /* read() after a streamed start: the rest, whole */
    CHECK_INT(cio_http_request_send(s, &req, &r), 0);
    CHECK((k = cio_http_response_read_chunk(r, buf, 100)) == 100);
    const char *data;
    size_t len;
    CHECK_INT(cio_http_response_read(r, &data, &len), 0);
    CHECK(len == total - 100);
    cio_http_response_release(r);

    /* released mid-stream: the transfer stops, the session stays usable */
    CHECK_INT(cio_http_request_send(s, &req, &r), 0);
    CHECK(cio_http_response_read_chunk(r, buf, sizeof buf) > 0);
    cio_http_response_release(r);
    CHECK_INT((int)cio_http_session_active(s), 0);
    CHECK_INT(ht_get_status(s, NGINX("/ip.json")), 200);
    cio_http_session_close(s);
    return NULL;
}

static void test_streaming(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(stream_body, NULL);
}

/* ---- cancellation and closing ------------------------------------------- */

static void *slow_get(void *arg) {
    cio_http_response *r = NULL;
    int rc = cio_http_get(arg, FAULT("/slow?delay=3"), &r);
    CHECK(r == NULL);
    return (void *)(intptr_t)rc;
}

static void *cancel_body(void *arg) {
    (void)arg;
    cio_http_session *s = cio_http_session_new(NULL, NULL);
    double t0 = now_real();
    cio_future *t = cio_create_task(slow_get, s);
    cio_sleep(0.2);
    CHECK_INT((int)cio_http_session_active(s), 1);
    cio_cancel(t, NULL);
    CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
    CHECK_INT((int)cio_http_session_active(s), 0);
    cio_release(t);
    CHECK(now_real() - t0 < 2.0);
    CHECK_INT(ht_get_status(s, NGINX("/ip.json")), 200);

    /* closing with requests in flight cancels them and waits for them */
    cio_future *ts[3];
    for (int i = 0; i < 3; i++)
        ts[i] = cio_create_task(slow_get, s);
    cio_sleep(0.2);
    CHECK_INT((int)cio_http_session_active(s), 3);
    t0 = now_real();
    CHECK_INT(cio_http_session_close(s), 0);
    for (int i = 0; i < 3; i++) {
        CHECK(cio_future_done(ts[i]));
        CHECK_INT(cio_await(ts[i], NULL), CIO_ECANCELED);
    }
    CHECK(now_real() - t0 < 2.0);
    cio_release_all(ts, 3);
    return NULL;
}

static void test_cancel_and_close(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(cancel_body, NULL);
}

/* ---- kept-alive sockets -------------------------------------------------- */

/* The session's cached sockets: each is found by its fd, and its fd is
 * open (libcurl closes a socket only through the session). */
static int check_socks(cio_http_session *hs) {
    cio__session *s = &hs->s;
    int n = 0;
    for (cio__sock *k = s->socks; k; k = k->next, n++) {
        CHECK(k->fd >= 0 && (size_t)k->fd < s->nbyfd);
        CHECK(s->byfd[k->fd] == k);
        CHECK(fcntl(k->fd, F_GETFD) != -1);
    }
    for (size_t fd = 0; fd < s->nbyfd; fd++)
        if (s->byfd[fd])
            n--;
    CHECK_INT(n, 0);
    return n;
}

static void *closing_gets(void *arg) {
    static const char *const close_hdr[] = {"Connection: close", NULL};
    int bad = 0;
    for (int i = 0; i < 12; i++) {
        cio_http_request req = {.url = NGINX("/ip.json"),
                                .headers = i % 3 == 1 ? close_hdr : NULL};
        cio_http_response *r = NULL;
        if (cio_http_request_send(arg, &req, &r) != 0 ||
            cio_http_response_status(r) != 200)
            bad++;
        cio_http_response_release(r);
    }
    return (void *)(intptr_t)bad;
}

static void run_closing_gets(cio_http_session *s) {
    cio_future *ts[8];
    for (int i = 0; i < 8; i++)
        ts[i] = cio_create_task(closing_gets, s);
    for (int i = 0; i < 8; i++) {
        void *bad = NULL;
        CHECK_INT(cio_await(ts[i], &bad), 0);
        CHECK_INT((int)(intptr_t)bad, 0);
    }
    cio_release_all(ts, 8);
}

static void *keepalive_body(void *arg) {
    (void)arg;
    cio_http_session *s = cio_http_session_new(NULL, NULL);
    /* connections closed after a response, their fd numbers given to new
     * ones while others are kept alive */
    run_closing_gets(s);
    check_socks(s);
    CHECK(s->s.socks != NULL);
    /* kept-alive connections that die while idle (as when the server
     * closes them): their polls see it, the next requests reconnect */
    for (cio__sock *k = s->s.socks; k; k = k->next) {
        CHECK(k->idle);
        shutdown(k->fd, SHUT_RDWR);
    }
    cio_sleep(0.05);
    run_closing_gets(s);
    check_socks(s);
    CHECK_INT(ht_get_status(s, NGINX("/ip.json")), 200);
    CHECK_INT(cio_http_session_close(s), 0);
    return NULL;
}

static void test_kept_alive_sockets(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(keepalive_body, NULL);
}

/* A session the program forgot: the loop's close frees it, and a request
 * whose task the loop abandons frees its transfer. */
static void *forgotten_body(void *arg) {
    (void)arg;
    cio_http_session *s = cio_http_session_new(NULL, NULL);
    CHECK_INT(ht_get_status(s, NGINX("/ip.json")), 200);
    cio_release(cio_create_task(slow_get, s));
    cio_sleep(0.1);
    return NULL;
}

static void test_forgotten_session(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    cio_loop *loop = cio_loop_new(NULL);
    CHECK_INT(cio_loop_run_until_complete(loop, forgotten_body, NULL, NULL), 0);
    diag_capture();
    CHECK_INT(cio_loop_close(loop), 0);
    diag_restore();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_get),
        CIO_TEST(test_methods_bodies_headers),
        CIO_TEST(test_handles_reused),
        CIO_TEST(test_session_cookies_redirects),
        CIO_TEST(test_proxies),
        CIO_TEST(test_text_and_decompression),
        CIO_TEST(test_streaming),
        CIO_TEST(test_cancel_and_close),
        CIO_TEST(test_kept_alive_sockets),
        CIO_TEST(test_forgotten_session),
    };
    return cmocka_run_group_tests(tests, ht_setup_all, ht_teardown_all);
}
