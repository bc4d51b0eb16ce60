/* Unit tests of the HTTP client's short forms (cio/http.h, "short forms")
 * against real servers on 127.0.0.1 (nginx, the fault fixture): a request
 * on a session of its own (cio_http_request_once / get_once), a request's
 * JSON or text in one call with raise_for_status (request_json, get_json,
 * call_json, get_text), each failure with its code and its message, bad
 * input, cancellation in the middle of a one-off request, and
 * cio_http_response_auto (released however the task ends). */
#include "common/http_test.h"

static void check_words(const char *msg, const char *words, int line) {
    if (!msg || !strstr(msg, words))
        ct_failed(__FILE__, line, "message \"%s\" lacks \"%s\"",
                  msg ? msg : "(null)", words);
}

/* ---- a request on a session of its own ----------------------------------- */

static void *once_body(void *arg) {
    (void)arg;
    cio_http_response *r = (cio_http_response *)1;
    CHECK_INT(cio_http_get_once(NGINX("/ip.json"), &r), 0);
    /* the session is closed: the response still has all it had */
    CHECK_INT(cio_http_response_status(r), 200);
    CHECK_STR(cio_http_response_header(r, "content-length"), "313");
    const char *data = NULL;
    size_t len = 0;
    CHECK_INT(cio_http_response_read(r, &data, &len), 0);
    CHECK_INT((int)len, 313);
    CHECK(data && memcmp(data, hs_ip_json, 313) == 0);
    cio_http_response_release(r);

    /* no raise_for_status: a 404 is a response */
    CHECK_INT(cio_http_get_once(FAULT("/status/404"), &r), 0);
    CHECK_INT(cio_http_response_status(r), 404);
    cio_http_response_release(r);

    /* a request with a method and a body */
    cio_http_request req = {
        .method = "PUT", .url = FAULT("/echo"), .text = "hi"};
    CHECK_INT(cio_http_request_once(&req, &r), 0);
    json_t *doc = NULL;
    CHECK_INT(cio_http_response_json(r, &doc, 0), 0);
    CHECK_STR(json_string_value(json_object_get(doc, "method")), "PUT");
    CHECK_STR(json_string_value(json_object_get(doc, "body")), "hi");
    json_decref(doc);
    cio_http_response_release(r);

    /* failures: nothing in *out, the transfer's own message */
    r = (cio_http_response *)1;
    CHECK_INT(cio_http_get_once(ht_url("http", hs_free_port(), "/"), &r),
              CIO_EHTTP_CONNECT);
    CHECK(r == NULL);
    check_words(cio_last_error_message(),
                "cannot connect (http://127.0.0.1:", __LINE__);
    r = (cio_http_response *)1;
    CHECK_INT(cio_http_get_once(FAULT("/drop"), &r), CIO_EHTTP_PAYLOAD);
    CHECK(r == NULL);
    check_words(cio_last_error_message(), "900 bytes remaining", __LINE__);
    return NULL;
}

static void test_once(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(once_body, NULL);
}

/* ---- JSON in one call ---------------------------------------------------- */

static void *json_body(void *arg) {
    (void)arg;
    json_t *doc = NULL;
    /* on a one-off session, then on the caller's */
    CHECK_INT(cio_http_get_json(NULL, NGINX("/ip.json"), &doc), 0);
    CHECK_STR(json_string_value(json_object_get(doc, "ip")), "203.0.113.7");
    json_decref(doc);
    cio_http_session *s = cio_http_session_new(NULL, NULL);
    CHECK(s != NULL);
    for (int i = 0; i < 3; i++) {
        doc = NULL;
        CHECK_INT(cio_http_get_json(s, NGINX("/ip.json"), &doc), 0);
        CHECK_STR(json_string_value(json_object_get(doc, "ip")), "203.0.113.7");
        json_decref(doc);
    }
    CHECK_INT((int)cio_http_session_active(s), 0);

    /* a streamed request: its body is read whole */
    cio_http_request req = {.url = NGINX("/ip.json"), .stream = true};
    CHECK_INT(cio_http_request_json(s, &req, &doc), 0);
    CHECK_STR(json_string_value(json_object_get(doc, "ip")), "203.0.113.7");
    json_decref(doc);

    /* a JSON body out, a JSON answer back */
    json_t *item = json_pack("{s:s, s:i}", "name", "pen", "n", 3);
    CHECK_INT(cio_http_call_json(s, "POST", FAULT("/echo"), item, &doc), 0);
    json_decref(item);
    CHECK_STR(json_string_value(json_object_get(doc, "method")), "POST");
    CHECK_STR(json_string_value(json_object_get(doc, "body")),
              "{\"name\":\"pen\",\"n\":3}");
    json_t *hdrs = json_object_get(doc, "headers");
    CHECK_STR(json_string_value(json_object_get(hdrs, "content-type")),
              "application/json");
    json_decref(doc);
    /* method NULL is GET, body NULL sends none */
    CHECK_INT(cio_http_call_json(NULL, NULL, FAULT("/echo"), NULL, &doc), 0);
    CHECK_STR(json_string_value(json_object_get(doc, "method")), "GET");
    CHECK_STR(json_string_value(json_object_get(doc, "body")), "");
    json_decref(doc);
    CHECK_INT(cio_http_session_close(s), 0);
    return NULL;
}

static void test_json(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(json_body, NULL);
}

/* Each step's failure: its code, its message, *out NULL; on a one-off
 * session (NULL) and on the caller's, which stays usable. */
static void json_fails(cio_http_session *s, const char *url, int code,
                       const char *words, int line) {
    json_t *doc = (json_t *)1;
    int rc = cio_http_get_json(s, url, &doc);
    if (rc != code)
        ct_failed(__FILE__, line, "get_json(%s): %d, want %d (%s)", url, rc,
                  code, cio_last_error_message());
    if (doc != NULL)
        ct_failed(__FILE__, line, "get_json(%s): *out not NULL", url);
    check_words(cio_last_error_message(), words, line);
}

static void *json_errors_body(void *arg) {
    (void)arg;
    cio_http_session *s = cio_http_session_new(NULL, NULL);
    cio_http_session *both[] = {NULL, s};
    for (int i = 0; i < 2; i++) {
        cio_http_session *x = both[i];
        json_fails(x, FAULT("/status/404"), CIO_EHTTP_STATUS,
                   "404 Not Found for http://127.0.0.1:", __LINE__);
        json_fails(x, FAULT("/status/503"), CIO_EHTTP_STATUS,
                   "503 Service Unavailable", __LINE__);
        json_fails(x, FAULT("/html"), CIO_EHTTP_CONTENT_TYPE,
                   "unexpected content type 'text/html'", __LINE__);
        json_fails(x, FAULT("/badjson"), CIO_EHTTP_JSON,
                   "invalid JSON at line 2, column 7: ", __LINE__);
        json_fails(x, FAULT("/drop"), CIO_EHTTP_PAYLOAD, "900 bytes remaining",
                   __LINE__);
        json_fails(x, ht_url("http", hs_free_port(), "/"), CIO_EHTTP_CONNECT,
                   "cannot connect", __LINE__);
    }
    json_t *doc = NULL;
    CHECK_INT(cio_http_get_json(s, NGINX("/ip.json"), &doc), 0);
    json_decref(doc);
    CHECK_INT(cio_http_session_close(s), 0);
    return NULL;
}

static void test_json_errors(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(json_errors_body, NULL);
}

/* ---- text in one call ---------------------------------------------------- */

static void *text_body(void *arg) {
    (void)arg;
    char *text = NULL;
    size_t len = 0;
    CHECK_INT(cio_http_get_text(NULL, FAULT("/latin1"), &text, &len), 0);
    CHECK_STR(text, "caf\xc3\xa9"); /* converted to UTF-8 */
    CHECK_INT((int)len, 5);
    free(text);
    cio_http_session *s = cio_http_session_new(NULL, NULL);
    CHECK_INT(cio_http_get_text(s, FAULT("/status/200"), &text, NULL), 0);
    CHECK_STR(text, "status 200\n");
    free(text);
    text = (char *)1;
    CHECK_INT(cio_http_get_text(s, FAULT("/status/404"), &text, &len),
              CIO_EHTTP_STATUS);
    CHECK(text == NULL);
    check_words(cio_last_error_message(), "404 Not Found", __LINE__);
    text = (char *)1;
    CHECK_INT(cio_http_get_text(s, FAULT("/charset/x-no-such"), &text, NULL),
              CIO_EHTTP_DECODE);
    CHECK(text == NULL);
    CHECK_INT(cio_http_session_close(s), 0);
    return NULL;
}

static void test_text(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(text_body, NULL);
}

/* ---- values out of a document ------------------------------------------ */

static void test_json_unpack(void **state) {
    (void)state;
    json_t *doc = json_pack("{s:s, s:i, s:[s]}", "ip", "203.0.113.7", "n", 4,
                            "list", "a");
    assert_non_null(doc);
    const char *ip = NULL, *first = NULL;
    int n = 0;
    assert_int_equal(cio_json_unpack(doc, "{s:s, s:i, s:[s]}", "ip", &ip, "n",
                                     &n, "list", &first),
                     0);
    assert_string_equal(ip, "203.0.113.7");
    assert_int_equal(n, 4);
    assert_string_equal(first, "a");
    /* Python's KeyError and TypeError, in jansson's words */
    assert_int_equal(cio_json_unpack(doc, "{s:s}", "query", &ip),
                     CIO_EHTTP_JSON);
    assert_non_null(strstr(cio_last_error_message(), "query"));
    assert_int_equal(cio_json_unpack(doc, "{s:s}", "n", &ip), CIO_EHTTP_JSON);
    assert_non_null(strstr(cio_last_error_message(), "Expected string"));
    assert_int_equal(cio_json_unpack(doc, "[s]", &ip), CIO_EHTTP_JSON);
    assert_int_equal(cio_json_unpack(NULL, "{s:s}", "ip", &ip), CIO_EINVAL);
    assert_non_null(strstr(cio_last_error_message(), "NULL document"));
    assert_int_equal(cio_json_unpack(doc, NULL), CIO_EINVAL);
    json_decref(doc);
}

/* ---- bad input, outside a task, cancelled -------------------------------- */

static void *bad_input_body(void *arg) {
    (void)arg;
    cio_http_response *r = (cio_http_response *)1;
    json_t *doc = (json_t *)1;
    CHECK_INT(cio_http_request_once(NULL, &r), CIO_EINVAL);
    check_words(cio_last_error_message(), "NULL request", __LINE__);
    cio_http_request req = {.url = NGINX("/ip.json")};
    CHECK_INT(cio_http_request_once(&req, NULL), CIO_EINVAL);
    req.stream = true;
    CHECK_INT(cio_http_request_once(&req, &r), CIO_EINVAL);
    CHECK(r == NULL);
    check_words(cio_last_error_message(), "streamed", __LINE__);
    CHECK_INT(cio_http_get_once(NULL, &r), CIO_EINVAL); /* no URL */
    CHECK(r == NULL);
    CHECK_INT(cio_http_request_json(NULL, NULL, &doc), CIO_EINVAL);
    CHECK_INT(cio_http_request_json(NULL, &req, NULL), CIO_EINVAL);
    CHECK_INT(cio_http_get_json(NULL, NULL, &doc), CIO_EINVAL);
    CHECK(doc == NULL);
    CHECK_INT(cio_http_call_json(NULL, "POST", "no-scheme", NULL, &doc) < 0, 1);
    CHECK_INT(cio_http_get_text(NULL, NGINX("/ip.json"), NULL, NULL),
              CIO_EINVAL);
    char *text = (char *)1;
    CHECK_INT(cio_http_get_text(NULL, NULL, &text, NULL), CIO_EINVAL);
    CHECK(text == NULL);
    return NULL;
}

static void test_bad_input(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(bad_input_body, NULL);
}

static void test_outside_a_task(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    cio_loop *loop = cio_loop_new(NULL);
    assert_non_null(loop);
    assert_int_equal(cio_set_loop(loop), 0);
    json_t *doc = (json_t *)1;
    assert_int_equal(cio_http_get_json(NULL, NGINX("/ip.json"), &doc),
                     CIO_ENOTASK);
    assert_null(doc);
    cio_http_response *r = (cio_http_response *)1;
    assert_int_equal(cio_http_get_once(NGINX("/ip.json"), &r), CIO_ENOTASK);
    assert_null(r);
    assert_int_equal(cio_set_loop(NULL), 0);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void *slow_json(void *arg) {
    json_t *doc = (json_t *)1;
    int rc = arg ? cio_http_get_json(NULL, FAULT("/slow?delay=3"), &doc)
                 : cio_http_get_text(NULL, FAULT("/slow?delay=3"),
                                     (char **)&doc, NULL);
    CHECK(doc == NULL);
    return cio_from_int(rc);
}

static void *cancel_body(void *arg) {
    (void)arg;
    for (int i = 0; i < 2; i++) {
        double t0 = now_real();
        cio_future *t = cio_create_task(slow_json, i ? "json" : NULL);
        CHECK_INT(cio_sleep(0.2), 0);
        CHECK_INT(cio_cancel(t, NULL), 1);
        CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
        CHECK(now_real() - t0 < 2.0);
        cio_release(t);
    }
    return NULL;
}

static void test_cancelled(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(cancel_body, NULL);
}

/* ---- a response released with its scope --------------------------------- */

static char date_line[128];
static void *auto_body(void *arg) {
    cio_http_response_auto *r = NULL;
    CIO_TRY_IN(cio_http_get_once(arg, &r), "GET %s", (char *)arg);
    if (cio_http_response_status(r) != 200) /* an early return releases */
        return cio_raise(CIO_EHTTP_STATUS, "status %d",
                         cio_http_response_status(r));
    return cio_return_format(date_line, "Date: %s",
                             cio_http_response_header(r, "Date"));
}

/* auto_body on a copy of url (the task reads it while it runs) */
static cio_future *start_auto(const char *url) {
    static char copy[512];
    snprintf(copy, sizeof copy, "%s", url);
    return cio_create_task(auto_body, copy);
}

static void *auto_main(void *arg) {
    (void)arg;
    char *line = NULL;
    cio_future *t = start_auto(NGINX("/ip.json"));
    CHECK_INT(cio_await(t, (void **)&line), 0);
    CHECK(line == date_line && strncmp(line, "Date: ", 6) == 0);
    cio_release(t);
    t = start_auto(FAULT("/status/404"));
    CHECK_INT(cio_await(t, NULL), CIO_EHTTP_STATUS);
    CHECK_STR(cio_future_error_message(t), "status 404");
    cio_release(t);
    /* a failed request leaves NULL, which the release ignores */
    t = start_auto(FAULT("/drop"));
    CHECK_INT(cio_await(t, NULL), CIO_EHTTP_PAYLOAD);
    check_words(cio_future_error_message(t), "GET http://127.0.0.1:", __LINE__);
    cio_release(t);
    /* cancelled in the middle of the request */
    t = start_auto(FAULT("/slow?delay=3"));
    CHECK_INT(cio_sleep(0.2), 0);
    CHECK_INT(cio_cancel(t, NULL), 1);
    CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
    cio_release(t);
    return NULL;
}

/* What it gives back is seen by ASan and valgrind, which fail the test on
 * a leak. */
static void test_response_auto(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    ht_run(auto_main, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_once),          CIO_TEST(test_json),
        CIO_TEST(test_json_errors),   CIO_TEST(test_text),
        CIO_TEST(test_bad_input),     CIO_TEST(test_outside_a_task),
        CIO_TEST(test_cancelled),     CIO_TEST(test_json_unpack),
        CIO_TEST(test_response_auto),
    };
    return cmocka_run_group_tests(tests, ht_setup_all, ht_teardown_all);
}
