/* Unit tests: every error of the HTTP client, each with its code and its
 * sentence, against real servers on 127.0.0.1 (nginx, the fault fixture,
 * openssl s_server with a certificate nobody trusts), and misuse (NULLs,
 * bad options, calls outside a task) that must return an error, never
 * crash or leak. */
#include "common/http_test.h"

static hs_server ht_untrusted;

static int setup_all(void **state) {
    ht_setup_all(state);
    if (ht_started)
        ht_started = hs_s_server_start(&ht_untrusted, ht_cert);
    return 0;
}

static int teardown_all(void **state) {
    hs_stop(&ht_untrusted);
    return ht_teardown_all(state);
}

/* The request's code, and its message containing `words`. */
#define CHECK_FAILS(s, req, code, words)                                       \
    do {                                                                       \
        cio_http_response *r_ = (cio_http_response *)1;                        \
        CHECK_INT(cio_http_request_send((s), (req), &r_), (code));             \
        CHECK(r_ == NULL);                                                     \
        check_words(cio_last_error_message(), (words), __LINE__);              \
    } while (0)

static void check_words(const char *msg, const char *words, int line) {
    if (!msg || !strstr(msg, words))
        ct_failed(__FILE__, line, "message \"%s\" lacks \"%s\"",
                  msg ? msg : "(null)", words);
}

/* ---- connecting -----------------------------------------------------------
 */

static void *connect_body(void *arg) {
    (void)arg;
    cio_http_session *s = cio_http_session_new(NULL, NULL);
    cio_http_request req = {.url = ht_url("http", hs_free_port(), "/")};
    CHECK_FAILS(s, &req, CIO_EHTTP_CONNECT,
                "cannot connect (http://127.0.0.1:");
    check_words(cio_last_error_message(), "Couldn't connect to server",
                __LINE__);
    /* a 70-character label: glibc refuses it before any DNS query is sent */
    req.url =
        "http://"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaa.invalid/";
    CHECK_FAILS(s, &req, CIO_EHTTP_RESOLVE, "cannot resolve the host");
    check_words(cio_last_error_message(), "Could not resolve host", __LINE__);
    cio_http_session_close(s);
    return NULL;
}

static void test_refused_and_unknown_host(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(connect_body, NULL);
}

/* ---- TLS ------------------------------------------------------------------
 */

static void *tls_body(void *arg) {
    (void)arg;
    const char *url = ht_url("https", ht_untrusted.port, "/");
    unsetenv("SSL_CERT_FILE");
    unsetenv("SSL_CERT_DIR");
    cio_http_session *s = cio_http_session_new(NULL, NULL);
    cio_http_request req = {.url = url};
    CHECK_FAILS(s, &req, CIO_EHTTP_TLS, "TLS failed");
    /* OpenSSL's own reason */
    check_words(cio_last_error_message(), "self-signed certificate", __LINE__);
    cio_http_session_close(s);

    char ca[200];
    snprintf(ca, sizeof ca, "%s/cert.pem", ht_cert);
    cio_http_session_options trust = {.ca_file = ca};
    s = cio_http_session_new(NULL, &trust);
    CHECK_INT(ht_get_status(s, url), 200);
    CHECK_INT(ht_get_status(s, NGINX_TLS("/ip.json")), 200);
    cio_http_session_close(s);

    setenv("SSL_CERT_FILE", ca, 1); /* honoured, as OpenSSL's default context */
    s = cio_http_session_new(NULL, NULL);
    unsetenv("SSL_CERT_FILE");
    CHECK_INT(ht_get_status(s, url), 200);
    cio_http_session_close(s);

    cio_http_session_options off = {.tls_no_verify = true};
    s = cio_http_session_new(NULL, &off);
    CHECK_INT(ht_get_status(s, url), 200);
    cio_http_session_close(s);
    return NULL;
}

static void test_tls_verification(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(tls_body, NULL);
}

/* ---- the three timeouts -------------------------------------------------- */

static void *timeouts_body(void *arg) {
    (void)arg;
    /* the codes are the check; the bound only says nothing hung */
    double bound = under_valgrind() ? 30 : 2.5;
    cio_http_session_options o = {.timeout = {.total = 0.3}};
    cio_http_session *s = cio_http_session_new(NULL, &o);
    cio_http_request req = {.url = FAULT("/slow?delay=3")};
    double t0 = now_real();
    CHECK_FAILS(s, &req, CIO_EHTTP_TIMEOUT_TOTAL, "total timeout expired");
    CHECK(now_real() - t0 < bound);
    /* the server accepts but never speaks TLS: the handshake is connect's */
    req = (cio_http_request){.url = ht_url("https", ht_fault.port2, "/"),
                             .timeout = {.connect = 0.3, .total = 5}};
    t0 = now_real();
    CHECK_FAILS(s, &req, CIO_EHTTP_TIMEOUT_CONNECT, "connect timeout expired");
    CHECK(now_real() - t0 < bound);
    /* headers never come, then a body stops half-way */
    req = (cio_http_request){.url = FAULT("/slow?delay=3"),
                             .timeout = {.sock_read = 0.3, .total = 5}};
    CHECK_FAILS(s, &req, CIO_EHTTP_TIMEOUT_SOCK_READ,
                "sock_read timeout (0.300 s)");
    req.url = FAULT("/slowbody?delay=3");
    CHECK_FAILS(s, &req, CIO_EHTTP_TIMEOUT_SOCK_READ, "sent nothing");
    /* a per-request total replaces the session's */
    req = (cio_http_request){.url = FAULT("/slow?delay=0.5"),
                             .timeout = {.total = 3}};
    cio_http_response *r = NULL;
    CHECK_INT(cio_http_request_send(s, &req, &r), 0);
    cio_http_response_release(r);
    CHECK_INT(ht_get_status(s, NGINX("/ip.json")), 200);
    cio_http_session_close(s);
    return NULL;
}

static void test_timeouts(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(timeouts_body, NULL);
}

/* Total timeouts of different lengths at once: each expires at its own
 * time, in order, and the session goes on. */
typedef struct timed_get {
    cio_http_session *s;
    double total;
    int rc, *order, *next;
} timed_get;

static void *timed_get_task(void *arg) {
    timed_get *g = arg;
    cio_http_request req = {.url = FAULT("/slow?delay=3"),
                            .timeout = {.total = g->total}};
    cio_http_response *r = NULL;
    g->rc = cio_http_request_send(g->s, &req, &r);
    cio_http_response_release(r);
    *g->order = (*g->next)++;
    return NULL;
}

static void *deadlines_body(void *arg) {
    (void)arg;
    cio_http_session_options o = {.timeout = {.total = 10}};
    cio_http_session *s = cio_http_session_new(NULL, &o);
    int order[3] = {-1, -1, -1}, next = 0;
    /* started longest first: each shorter one goes before the others */
    timed_get g[3] = {{s, 1.2, 1, &order[0], &next},
                      {s, 0.8, 1, &order[1], &next},
                      {s, 0.3, 1, &order[2], &next}};
    cio_future *t[3];
    for (int i = 0; i < 3; i++)
        t[i] = cio_create_task(timed_get_task, &g[i]);
    for (int i = 0; i < 3; i++) {
        cio_await(t[i], NULL);
        cio_release(t[i]);
        CHECK_INT(g[i].rc, CIO_EHTTP_TIMEOUT_TOTAL);
    }
    CHECK_INT(order[2], 0);
    CHECK_INT(order[1], 1);
    CHECK_INT(order[0], 2);
    /* a streamed body that outlasts its total ends with that error */
    cio_http_request req = {.url = FAULT("/slowbody?delay=3"),
                            .stream = true,
                            .timeout = {.total = 0.4}};
    cio_http_response *r = NULL;
    CHECK_INT(cio_http_request_send(s, &req, &r), 0);
    char buf[64];
    ssize_t k;
    while ((k = cio_http_response_read_chunk(r, buf, sizeof buf)) > 0)
        ;
    CHECK_INT((int)k, CIO_EHTTP_TIMEOUT_TOTAL);
    check_words(cio_last_error_message(), "total timeout expired", __LINE__);
    cio_http_response_release(r);
    CHECK_INT(ht_get_status(s, NGINX("/ip.json")), 200);
    cio_http_session_close(s);
    return NULL;
}

static void test_deadlines(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(deadlines_body, NULL);
}

/* ---- redirects, sizes, statuses ------------------------------------------ */

static void *limits_body(void *arg) {
    (void)arg;
    cio_http_session *s = cio_http_session_new(NULL, NULL);
    cio_http_request req = {.url = FAULT("/loop")};
    CHECK_FAILS(s, &req, CIO_EHTTP_REDIRECTS, "too many redirects");
    check_words(cio_last_error_message(), "Maximum (10) redirects", __LINE__);
    req = (cio_http_request){.url = FAULT("/redirect/5"), .max_redirects = 2};
    CHECK_FAILS(s, &req, CIO_EHTTP_REDIRECTS, "Maximum (2) redirects");

    req = (cio_http_request){.url = FAULT("/huge?n=100000"), .max_body = 1000};
    CHECK_FAILS(s, &req, CIO_EHTTP_TOO_LARGE, "body larger than max_body");
    req.url = FAULT("/chunked?n=100000&c=500"); /* no Content-Length */
    CHECK_FAILS(s, &req, CIO_EHTTP_TOO_LARGE, "body larger than max_body");
    req.max_body = 100000;
    cio_http_response *r = NULL;
    CHECK_INT(cio_http_request_send(s, &req, &r), 0);
    cio_http_response_release(r);

    /* streamed: the limit ends the stream */
    req = (cio_http_request){.url = FAULT("/chunked?n=100000&c=500"),
                             .max_body = 5000,
                             .stream = true};
    CHECK_INT(cio_http_request_send(s, &req, &r), 0);
    char buf[1024];
    ssize_t k;
    size_t got = 0;
    while ((k = cio_http_response_read_chunk(r, buf, sizeof buf)) > 0)
        got += (size_t)k;
    CHECK_INT((int)k, CIO_EHTTP_TOO_LARGE);
    CHECK(got <= 5000);
    cio_http_response_release(r);

    /* a status >= 400: a response, unless raise_for_status */
    CHECK_INT(cio_http_get(s, FAULT("/status/404"), &r), 0);
    CHECK_INT(cio_http_response_status(r), 404);
    CHECK_INT(cio_http_response_raise_for_status(r), CIO_EHTTP_STATUS);
    check_words(cio_last_error_message(), "404 Not Found for http://",
                __LINE__);
    cio_http_response_release(r);
    cio_http_session_close(s);

    cio_http_session_options o = {.raise_for_status = true};
    s = cio_http_session_new(NULL, &o);
    req = (cio_http_request){.url = FAULT("/status/503")};
    CHECK_FAILS(s, &req, CIO_EHTTP_STATUS, "503 Service Unavailable for");
    CHECK_INT(ht_get_status(s, FAULT("/status/204")), 204);
    cio_http_session_close(s);
    return NULL;
}

static void test_redirects_sizes_statuses(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(limits_body, NULL);
}

/* ---- bodies: JSON, content type, cut connection ---------------------------
 */

static void *bodies_body(void *arg) {
    (void)arg;
    cio_http_session *s = cio_http_session_new(NULL, NULL);
    cio_http_response *r = NULL;
    json_t *doc = (json_t *)1;
    CHECK_INT(cio_http_get(s, FAULT("/badjson"), &r), 0);
    CHECK_INT(cio_http_response_json(r, &doc, 0), CIO_EHTTP_JSON);
    CHECK(doc == NULL);
    check_words(cio_last_error_message(),
                "invalid JSON at line 2, column 7: ", __LINE__);
    check_words(cio_last_error_message(), "unexpected token", __LINE__);
    cio_http_response_release(r);

    CHECK_INT(cio_http_get(s, FAULT("/html"), &r), 0);
    CHECK_INT(cio_http_response_json(r, &doc, 0), CIO_EHTTP_CONTENT_TYPE);
    check_words(cio_last_error_message(), "unexpected content type 'text/html'",
                __LINE__);
    /* told to ignore the type, it parses, and fails as not JSON */
    CHECK_INT(cio_http_response_json(r, &doc, CIO_HTTP_JSON_ANY_TYPE),
              CIO_EHTTP_JSON);
    CHECK_INT(cio_http_response_json(r, &doc, 0x80), CIO_EINVAL);
    cio_http_response_release(r);

    CHECK_INT(cio_http_get(s, FAULT("/empty"), &r), 0);
    const char *data = NULL;
    size_t len = 9;
    CHECK_INT(cio_http_response_read(r, &data, &len), 0);
    CHECK_INT((int)len, 0);
    CHECK_STR(data, "");
    CHECK_INT(cio_http_response_json(r, &doc, CIO_HTTP_JSON_ANY_TYPE),
              CIO_EHTTP_JSON);
    cio_http_response_release(r);

    cio_http_request req = {.url = FAULT("/drop")};
    CHECK_FAILS(s, &req, CIO_EHTTP_PAYLOAD,
                "connection closed before the whole "
                "response came");
    check_words(cio_last_error_message(), "900 bytes remaining", __LINE__);
    req.stream = true; /* streamed: the bytes that came, then the error */
    CHECK_INT(cio_http_request_send(s, &req, &r), 0);
    char buf[4096];
    ssize_t k;
    size_t got = 0;
    while ((k = cio_http_response_read_chunk(r, buf, sizeof buf)) > 0)
        got += (size_t)k;
    CHECK_INT((int)k, CIO_EHTTP_PAYLOAD);
    CHECK_INT((int)got, 100);
    cio_http_response_release(r);
    CHECK_INT(ht_get_status(s, FAULT("/echo")), 200);
    cio_http_session_close(s);
    return NULL;
}

static void test_json_content_type_and_cut_body(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(bodies_body, NULL);
}

/* A text body in a charset it is not valid in, and an unknown charset. */
static void *decode_body(void *arg) {
    (void)arg;
    cio_http_session *s = cio_http_session_new(NULL, NULL);
    const char *cases[][2] = {{"/charset/utf-8", "byte 2 is not valid utf-8"},
                              {"/charset/x-nope", "unknown charset 'x-nope'"}};
    for (int i = 0; i < 2; i++) {
        cio_http_response *r = NULL;
        CHECK_INT(cio_http_get(s, FAULT(cases[i][0]), &r), 0);
        const char *t = NULL;
        CHECK_INT(cio_http_response_text(r, &t, NULL), CIO_EHTTP_DECODE);
        check_words(cio_last_error_message(), cases[i][1], __LINE__);
        const char *data;
        size_t n;
        CHECK_INT(cio_http_response_read(r, &data, &n),
                  0); /* bytes still there */
        CHECK_INT((int)n, 3);
        cio_http_response_release(r);
    }
    cio_http_session_close(s);
    return NULL;
}

static void test_decode_errors(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(decode_body, NULL);
}

/* ---- a session closed under a streaming response --------------------------
 */

static void *closed_body(void *arg) {
    (void)arg;
    cio_http_session *s = cio_http_session_new(NULL, NULL);
    cio_http_request req = {.url = FAULT("/slowbody?delay=3"), .stream = true};
    cio_http_response *r = NULL;
    CHECK_INT(cio_http_request_send(s, &req, &r), 0);
    CHECK_INT(cio_http_session_close(s), 0);
    char buf[64];
    ssize_t k, got = 0;
    while ((k = cio_http_response_read_chunk(r, buf, sizeof buf)) > 0)
        got += k;
    CHECK_INT((int)k, CIO_EHTTP_CLOSED);
    check_words(cio_last_error_message(), "session was closed", __LINE__);
    CHECK(got <= 5);
    cio_http_response_release(r);
    return NULL;
}

static void test_closed_session(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(closed_body, NULL);
}

/* ---- misuse ------------------------------------------------------------- */

static void *bad_input_body(void *arg) {
    (void)arg;
    cio_http_session *s = cio_http_session_new(NULL, NULL);
    cio_http_response *r = NULL;
    cio_http_request req = {.url = NULL};
    CHECK_INT(cio_http_request_send(NULL, &req, &r), CIO_EINVAL);
    CHECK_INT(cio_http_request_send(s, NULL, &r), CIO_EINVAL);
    CHECK_INT(cio_http_request_send(s, &req, &r), CIO_EINVAL);
    CHECK_INT(cio_http_get(s, "http://127.0.0.1:1/", NULL), CIO_EINVAL);
    CHECK_INT(cio_http_post_json(s, "http://x/", NULL, &r), CIO_EINVAL);
    req = (cio_http_request){.url = FAULT("/echo"), .method = "BREW"};
    CHECK_FAILS(s, &req, CIO_EINVAL, "unknown method 'BREW'");
    req = (cio_http_request){.url = "http://[::1/"};
    CHECK_FAILS(s, &req, CIO_EINVAL, "bad URL");
    const char *odd[] = {"k", NULL};
    req = (cio_http_request){.url = FAULT("/echo"), .params = odd};
    CHECK_FAILS(s, &req, CIO_EINVAL, "parameter 'k' has no value");
    req = (cio_http_request){.url = FAULT("/echo"), .form = odd};
    CHECK_FAILS(s, &req, CIO_EINVAL, "form field 'k' has no value");
    req = (cio_http_request){
        .url = FAULT("/echo"), .text = "a", .body = "b", .body_len = 1};
    CHECK_FAILS(s, &req, CIO_EINVAL, "more than one body");
    const char *bad_hdr[] = {"no colon", NULL};
    req = (cio_http_request){.url = FAULT("/echo"), .headers = bad_hdr};
    CHECK_FAILS(s, &req, CIO_EINVAL, "not 'Name: value'");
    req = (cio_http_request){.url = FAULT("/echo"), .bearer = "t", .user = "u"};
    CHECK_FAILS(s, &req, CIO_EINVAL, "both basic");
    cio_http_part part = {.name = NULL};
    req =
        (cio_http_request){.url = FAULT("/echo"), .parts = &part, .nparts = 1};
    CHECK_FAILS(s, &req, CIO_EINVAL, "needs a name");
    cio_http_part nofile = {.name = "f", .path = "/nonexistent/file"};
    req = (cio_http_request){
        .method = "POST", .url = FAULT("/echo"), .parts = &nofile, .nparts = 1};
    CHECK_FAILS(s, &req, CIO_EINVAL, "multipart part 'f'");
    CHECK_INT((int)cio_http_session_active(s), 0);
    /* the session still works after all that */
    CHECK_INT(ht_get_status(s, FAULT("/echo")), 200);
    CHECK_INT(cio_http_session_close(s), 0);
    return NULL;
}

static void test_bad_input(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(bad_input_body, NULL);
}

static void test_outside_a_task(void **state) {
    (void)state;
    assert_null(cio_http_session_new(NULL, NULL)); /* no loop */
    assert_int_equal(cio_last_error(), CIO_ENOLOOP);
    cio_loop *loop = cio_loop_new(NULL);
    cio_http_session_options bad = {.limit = -2};
    assert_null(cio_http_session_new(loop, &bad));
    assert_int_equal(cio_last_error(), CIO_EINVAL);
    bad = (cio_http_session_options){.timeout = {.total = -3}};
    assert_null(cio_http_session_new(loop, &bad));
    bad = (cio_http_session_options){.version = 9};
    assert_null(cio_http_session_new(loop, &bad));
    const char *hdr[] = {"bad", NULL};
    bad = (cio_http_session_options){.headers = hdr};
    assert_null(cio_http_session_new(loop, &bad));
    assert_int_equal(cio_last_error(), CIO_EINVAL);
    cio_http_session *s = cio_http_session_new(loop, NULL);
    assert_non_null(s);
    cio_http_response *r = NULL;
    assert_int_equal(cio_http_get(s, "http://127.0.0.1:1/", &r), CIO_ENOTASK);
    assert_null(r);
    assert_int_equal(cio_http_response_status(NULL), 0);
    assert_null(cio_http_response_header(NULL, "x"));
    assert_int_equal(cio_http_response_raise_for_status(NULL), CIO_EINVAL);
    assert_true(cio_http_response_read_chunk(NULL, NULL, 0) == CIO_EINVAL);
    cio_http_response_release(NULL);
    assert_int_equal(cio_http_session_close(s), 0); /* nothing in flight */
    assert_int_equal(cio_http_session_close(NULL), 0);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void test_error_sentences(void **state) {
    (void)state;
    for (int c = CIO_EHTTP_DECODE; c <= CIO_EHTTP; c++) {
        const char *s = cio_strerror(c);
        assert_string_not_equal(s, "unknown error");
        for (int d = c + 1; d <= CIO_EHTTP; d++)
            assert_string_not_equal(s, cio_strerror(d));
    }
    assert_true(CIO_EHTTP == -10500 && CIO_EHTTP_DECODE > -10600);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_refused_and_unknown_host),
        CIO_TEST(test_tls_verification),
        CIO_TEST(test_timeouts),
        CIO_TEST(test_deadlines),
        CIO_TEST(test_redirects_sizes_statuses),
        CIO_TEST(test_json_content_type_and_cut_body),
        CIO_TEST(test_decode_errors),
        CIO_TEST(test_closed_session),
        CIO_TEST(test_bad_input),
        CIO_TEST(test_outside_a_task),
        CIO_TEST(test_error_sentences),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
