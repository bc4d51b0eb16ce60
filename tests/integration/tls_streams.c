/* Integration: TLS streams, cio against itself on 127.0.0.1. Echo by lines
 * (readline, readexactly, readuntil), a large transfer with drain, the
 * get_extra_info accessors, ALPN, client certificates, STARTTLS on both
 * sides, the waiting shutdown, reads cancelled at random moments losing no
 * byte, and misuse. Certificates are made at run time (tls_helpers.h). */
#include "../cio_test.h"
#include "../tls_helpers.h"

#include <stdlib.h>

static tls_certs certs;

static int group_setup(void **state) {
    (void)state;
    return tls_certs_make(&certs);
}

static int group_teardown(void **state) {
    (void)state;
    tls_certs_remove(&certs);
    return 0;
}

static cio_tls_context *server_ctx(const char *const *alpn,
                                   cio_tls_client_cert cc) {
    cio_tls_context *c =
        cio_tls_context_new(&(cio_tls_options){.server = true,
                                               .cert_file = certs.server,
                                               .key_file = certs.server_key,
                                               .ca_file = certs.ca,
                                               .alpn = alpn,
                                               .client_cert = cc});
    CHECK(c != NULL);
    return c;
}

/* ---- echo -----------------------------------------------------------------
 */

typedef struct seen {
    char version[32], alpn[32], subject[128];
} seen;

static void echo_lines(cio_stream *s, void *arg) {
    seen *w = arg;
    if (w) {
        const char *a = cio_stream_tls_alpn(s),
                   *p = cio_stream_tls_peer_subject(s);
        snprintf(w->version, sizeof w->version, "%s",
                 cio_stream_tls_version(s));
        snprintf(w->alpn, sizeof w->alpn, "%s", a ? a : "-");
        snprintf(w->subject, sizeof w->subject, "%s", p ? p : "-");
    }
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
    const char *const alpn_s[] = {"h2", "http/1.1", NULL};
    const char *const alpn_c[] = {"http/1.1", "h2", NULL};
    cio_tls_context *sctx = server_ctx(alpn_s, CIO_TLS_CLIENT_CERT_OPTIONAL);
    cio_tls_context *cctx =
        cio_tls_context_new(&(cio_tls_options){.ca_file = certs.ca,
                                               .alpn = alpn_c,
                                               .cert_file = certs.client,
                                               .key_file = certs.client_key});
    seen w;
    memset(&w, 0, sizeof w);
    cio_server *srv;
    CHECK_INT(cio_start_server(echo_lines, &w, "127.0.0.1", 0,
                               &(cio_server_options){.tls = sctx}, &srv),
              0);
    cio_tls_context_release(sctx); /* the server keeps its own */
    cio_stream *c = NULL;
    CHECK_INT(
        cio_open_connection(
            "127.0.0.1", cio_server_port(srv),
            &(cio_connect_options){.tls = cctx, .server_hostname = "localhost"},
            &c),
        0);
    cio_tls_context_release(cctx); /* the stream keeps its own */
    CHECK(cio_stream_tls(c) != NULL);
    CHECK_STR(cio_stream_tls_version(c), "TLSv1.3");
    CHECK(cio_stream_tls_cipher(c) != NULL);
    CHECK_STR(cio_stream_tls_alpn(c), "h2"); /* the server's preference */
    CHECK_STR(cio_stream_tls_peer_subject(c), "CN=localhost,O=cio test");
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
    CHECK_STR(w.version, "TLSv1.3");
    CHECK_STR(w.alpn, "h2");
    CHECK_STR(w.subject, "CN=cio client,O=cio test");

    /* 4 MiB of lines through the echo, written with drain */
    size_t nlines = under_valgrind() ? 2000 : 64 * 1024, got = 0;
    char text[64];
    for (size_t i = 0; i < nlines; i++) {
        int len =
            snprintf(text, sizeof text, "line %zu of the big transfer\n", i);
        CHECK_INT(cio_stream_write(c, text, (size_t)len), 0);
        if (i % 512 == 511) {
            CHECK_INT(cio_stream_drain(c), 0);
            /* read what came back so far, so that neither side stalls */
            while (got <= i - 256) {
                CHECK(cio_stream_readline(c, &line) > 0);
                snprintf(text, sizeof text, "line %zu of the big transfer\n",
                         got);
                CHECK_STR(line, text);
                free(line);
                got++;
            }
        }
    }
    while (got < nlines) {
        CHECK(cio_stream_readline(c, &line) > 0);
        snprintf(text, sizeof text, "line %zu of the big transfer\n", got);
        if (strcmp(line, text) != 0) {
            CHECK_STR(line, text);
            free(line);
            break;
        }
        free(line);
        got++;
    }
    /* half-close: close_notify; the server's handler sees EOF and closes */
    CHECK_INT(cio_stream_write_eof(c), 0);
    CHECK_INT(cio_stream_read(c, buf, sizeof buf), 0);
    CHECK(cio_stream_at_eof(c));
    cio_stream_close(c);
    CHECK_INT(cio_stream_wait_closed(c), 0);
    CHECK_INT(cio_stream_free(c), 0);
    cio_server_close(srv);
    CHECK_INT(cio_server_wait_closed(srv), 0);
    cio_server_free(srv);
    return NULL;
}

static void test_echo(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_echo, NULL, NULL), 0);
    checks_assert();
}

/* ---- STARTTLS -------------------------------------------------------------
 */

/* A plain line protocol: "STARTTLS\n" -> "GO\n", then TLS on both sides. */
static void starttls_server(cio_stream *s, void *arg) {
    cio_tls_context *ctx = arg;
    char *line = NULL;
    if (cio_stream_readline(s, &line) <= 0)
        return;
    CHECK_STR(line, "STARTTLS\n");
    free(line);
    CHECK_INT(cio_stream_write(s, "GO\n", 3), 0);
    CHECK(cio_stream_tls_version(s) == NULL);
    CHECK_INT(cio_stream_start_tls(s, ctx, NULL, 5), 0);
    CHECK_INT(cio_stream_start_tls(s, ctx, NULL, 5), CIO_EINVALIDSTATE);
    echo_lines(s, NULL);
}

static void *t_starttls(void *arg) {
    (void)arg;
    cio_tls_context *sctx = server_ctx(NULL, CIO_TLS_CLIENT_CERT_NONE);
    cio_tls_context *cctx =
        cio_tls_context_new(&(cio_tls_options){.ca_file = certs.ca});
    cio_server *srv;
    CHECK_INT(
        cio_start_server(starttls_server, sctx, "127.0.0.1", 0, NULL, &srv), 0);
    cio_stream *c;
    CHECK_INT(cio_open_connection("127.0.0.1", cio_server_port(srv), NULL, &c),
              0);
    CHECK_INT(cio_stream_write(c, "STARTTLS\n", 9), 0);
    char *line = NULL;
    CHECK_INT(cio_stream_readline(c, &line), 3);
    CHECK_STR(line, "GO\n");
    free(line);
    CHECK_INT(cio_stream_start_tls(c, cctx, "localhost", 5), 0);
    CHECK_STR(cio_stream_tls_version(c), "TLSv1.3");
    CHECK_INT(cio_stream_write(c, "secret\n", 7), 0);
    CHECK_INT(cio_stream_readline(c, &line), 7);
    CHECK_STR(line, "secret\n");
    free(line);
    /* the waiting shutdown: our close_notify, the server's EOF, its
     * close_notify back */
    CHECK_INT(cio_stream_tls_shutdown(c, 5), 0);
    CHECK_INT(cio_stream_write(c, "x", 1), CIO_EINVALIDSTATE);
    char buf[4];
    CHECK_INT(cio_stream_read(c, buf, sizeof buf), 0);
    cio_stream_close(c);
    CHECK_INT(cio_stream_wait_closed(c), 0);
    cio_stream_free(c);
    cio_server_close(srv);
    CHECK_INT(cio_server_wait_closed(srv), 0);
    cio_server_free(srv);
    cio_tls_context_release(sctx);
    cio_tls_context_release(cctx);
    return NULL;
}

static void test_starttls(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_starttls, NULL, NULL), 0);
    checks_assert();
}

/* ---- cancelled reads lose nothing -----------------------------------------
 */

/* The server sends `total` bytes of a known pattern in pieces of odd
 * sizes; the client reads with reads that a timeout cancels at whatever
 * moment it fires, and must see every byte in order. */
typedef struct xfer {
    size_t total;
} xfer;

static unsigned char pattern(size_t i) {
    return (unsigned char)(i * 131 + (i >> 9));
}

static void sender(cio_stream *s, void *arg) {
    xfer *x = arg;
    unsigned char buf[7777];
    size_t sent = 0;
    while (sent < x->total) {
        size_t n = sizeof buf - (sent % 1000);
        if (n > x->total - sent)
            n = x->total - sent;
        for (size_t i = 0; i < n; i++)
            buf[i] = pattern(sent + i);
        if (cio_stream_write(s, buf, n) < 0 || cio_stream_drain(s) < 0)
            return;
        sent += n;
        if (sent % 5 == 0)
            cio_sleep(0.0005);
    }
}

static void cancel_me(void *arg) {
    cio_cancel(arg, "read timeout");
}

static void *t_cancelled_reads(void *arg) {
    (void)arg;
    xfer x = {.total = under_valgrind() ? 256 * 1024 : 8 * 1024 * 1024};
    cio_tls_context *sctx = server_ctx(NULL, CIO_TLS_CLIENT_CERT_NONE);
    cio_tls_context *cctx =
        cio_tls_context_new(&(cio_tls_options){.ca_file = certs.ca});
    cio_server *srv;
    CHECK_INT(cio_start_server(sender, &x, "127.0.0.1", 0,
                               &(cio_server_options){.tls = sctx}, &srv),
              0);
    cio_stream *c;
    CHECK_INT(cio_open_connection("127.0.0.1", cio_server_port(srv),
                                  &(cio_connect_options){.tls = cctx}, &c),
              0);
    unsigned char buf[5000];
    size_t got = 0, cancelled = 0, bad = 0;
    unsigned seed = 12345;
    cio_future *me = cio_current_task();
    while (got < x.total) {
        /* a cancellation 0 to 200 us from now: sometimes before any data,
         * sometimes in the middle of a burst, sometimes after the read */
        cio_handle *h = NULL;
        CHECK_INT(cio_call_later(NULL, (rand_r(&seed) % 200) * 1e-6, cancel_me,
                                 me, &h),
                  0);
        ssize_t n = cio_stream_read(c, buf, 1 + rand_r(&seed) % sizeof buf);
        cio_handle_cancel(h);
        cio_handle_release(h);
        if (cio_task_cancelling(me) > 0)
            cio_task_uncancel(me);
        if (n == CIO_ECANCELED) { /* cancelled while it waited */
            cancelled++;
            continue;
        }
        if (n <= 0) {
            CHECK_INT(n, 1);
            break;
        }
        for (size_t i = 0; i < (size_t)n; i++)
            bad += buf[i] != pattern(got + i);
        got += (size_t)n;
    }
    CHECK_INT(got, x.total);
    CHECK_INT(bad, 0);
    CHECK(cancelled > 0);
    char b;
    CHECK_INT(cio_stream_read(c, &b, 1), 0); /* the server's close_notify */
    cio_stream_close(c);
    CHECK_INT(cio_stream_wait_closed(c), 0);
    cio_stream_free(c);
    cio_server_close(srv);
    CHECK_INT(cio_server_wait_closed(srv), 0);
    cio_server_free(srv);
    cio_tls_context_release(sctx);
    cio_tls_context_release(cctx);
    return NULL;
}

static void test_cancelled_reads(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_cancelled_reads, NULL, NULL), 0);
    checks_assert();
}

/* ---- a cancelled handshake, a shutdown without answer -------------------- */

static void silent(cio_stream *s, void *arg) {
    (void)arg;
    char b[64];
    while (cio_stream_read(s, b, sizeof b) > 0)
        ;
}

/* Reads nothing after the handshake until told: our close_notify is not
 * answered meanwhile. */
static void deaf(cio_stream *s, void *arg) {
    (void)s;
    cio_event_wait(arg);
}

static void count_handler(cio_stream *s, void *arg) {
    (void)s;
    (*(int *)arg)++;
}

static void *connect_task(void *arg) {
    int *port = arg;
    cio_tls_context *ctx =
        cio_tls_context_new(&(cio_tls_options){.ca_file = certs.ca});
    cio_stream *s = NULL;
    int rc = cio_open_connection(
        "127.0.0.1", *port,
        &(cio_connect_options){.tls = ctx, .server_hostname = "localhost"}, &s);
    cio_tls_context_release(ctx);
    CHECK(s == NULL);
    return rc ? cio_raise(rc, NULL) : NULL;
}

static void *t_cancel_and_shutdown(void *arg) {
    (void)arg;
    cio_server *quiet, *srv;
    CHECK_INT(cio_start_server(silent, NULL, "127.0.0.1", 0, NULL, &quiet), 0);
    int port = cio_server_port(quiet);
    /* cancelled in the middle of the handshake: nothing is left behind */
    cio_future *t = cio_create_task(connect_task, &port);
    CHECK_INT(cio_sleep(0.05), 0);
    CHECK_INT(cio_cancel(t, NULL), 1);
    CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
    cio_release(t);

    cio_event *done = cio_event_new(NULL);
    cio_tls_context *sctx = server_ctx(NULL, CIO_TLS_CLIENT_CERT_NONE);
    CHECK_INT(cio_start_server(deaf, done, "127.0.0.1", 0,
                               &(cio_server_options){.tls = sctx}, &srv),
              0);
    cio_tls_context *cctx =
        cio_tls_context_new(&(cio_tls_options){.ca_file = certs.ca});
    cio_stream *c;
    CHECK_INT(
        cio_open_connection(
            "127.0.0.1", cio_server_port(srv),
            &(cio_connect_options){.tls = cctx, .server_hostname = "localhost"},
            &c),
        0);
    double t0 = now_real();
    CHECK_INT(cio_stream_tls_shutdown(c, 0.2), CIO_ETIMEDOUT);
    CHECK(strstr(cio_last_error_message(), "no close_notify") != NULL);
    CHECK(now_real() - t0 >= 0.18);
    cio_event_set(done);
    cio_stream_close(c);
    CHECK_INT(cio_stream_wait_closed(c), 0);
    cio_stream_free(c);

    /* a server that requires a client certificate we do not have: in TLS
     * 1.3 the connect succeeds and the refusal (an alert) fails the read */
    cio_server *strict;
    cio_tls_context *rctx = server_ctx(NULL, CIO_TLS_CLIENT_CERT_REQUIRED);
    int handled = 0;
    CHECK_INT(cio_start_server(count_handler, &handled, "127.0.0.1", 0,
                               &(cio_server_options){.tls = rctx}, &strict),
              0);
    CHECK_INT(
        cio_open_connection(
            "127.0.0.1", cio_server_port(strict),
            &(cio_connect_options){.tls = cctx, .server_hostname = "localhost"},
            &c),
        0);
    char b[8];
    CHECK_INT(cio_stream_read(c, b, sizeof b), CIO_ETLS);
    CHECK(strstr(cio_last_error_message(), "alert certificate required") !=
          NULL);
    CHECK_INT(cio_stream_write(c, "x", 1), CIO_ECLOSED); /* failed: closed */
    cio_stream_free(c);
    CHECK_INT(handled, 0);
    cio_server_close(strict);
    CHECK_INT(cio_server_wait_closed(strict), 0);
    cio_server_free(strict);
    cio_tls_context_release(rctx);

    cio_server *all[] = {quiet, srv};
    for (int i = 0; i < 2; i++) {
        cio_server_close(all[i]);
        cio_server_close_clients(all[i]);
        CHECK_INT(cio_server_wait_closed(all[i]), 0);
        cio_server_free(all[i]);
    }
    cio_event_free(done);
    cio_tls_context_release(sctx);
    cio_tls_context_release(cctx);
    return NULL;
}

static void test_cancel_and_shutdown(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_cancel_and_shutdown, NULL, NULL), 0);
    checks_assert();
}

/* ---- misuse ------------------------------------------------------------- */

static void quiet(cio_stream *s, void *arg) {
    (void)arg;
    char b;
    cio_stream_read(s, &b, 1);
}

static void *t_misuse(void *arg) {
    (void)arg;
    cio_tls_context *sctx = server_ctx(NULL, CIO_TLS_CLIENT_CERT_NONE);
    cio_tls_context *cctx =
        cio_tls_context_new(&(cio_tls_options){.ca_file = certs.ca});
    cio_server *srv;
    CHECK_INT(cio_start_server(quiet, NULL, "127.0.0.1", 0, NULL, &srv), 0);
    int port = cio_server_port(srv);
    cio_stream *c;
    CHECK_INT(cio_open_connection("127.0.0.1", port, NULL, &c), 0);
    CHECK_INT(cio_stream_start_tls(NULL, cctx, "localhost", 1), CIO_EINVAL);
    CHECK_INT(cio_stream_start_tls(c, NULL, "localhost", 1), CIO_EINVAL);
    CHECK_INT(cio_stream_tls_shutdown(c, 1), CIO_EINVAL); /* not TLS */
    CHECK_INT(cio_stream_tls_shutdown(NULL, 1), CIO_EINVAL);
    CHECK(cio_stream_tls_version(c) == NULL);
    CHECK(cio_stream_tls_cipher(NULL) == NULL);
    CHECK(cio_stream_tls_alpn(c) == NULL);
    CHECK(cio_stream_tls_peer_subject(c) == NULL);
    /* a verifying client context without a name to check */
    CHECK_INT(cio_stream_start_tls(c, cctx, NULL, 1), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "host name") != NULL);
    CHECK_INT(cio_stream_write(c, "still plain\n", 12), 0); /* untouched */
    CHECK(!cio_stream_is_closing(c));
    cio_stream_free(c);
    /* a server context to connect with */
    CHECK_INT(cio_open_connection("127.0.0.1", port,
                                  &(cio_connect_options){.tls = sctx}, &c),
              CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "server context") != NULL);
    CHECK_INT(cio_open_connection("127.0.0.1", port, NULL, &c), 0);
    cio_stream_close(c);
    CHECK_INT(cio_stream_start_tls(c, cctx, "localhost", 1), CIO_ECLOSED);
    cio_stream_free(c);
    cio_server_close(srv);
    CHECK_INT(cio_server_wait_closed(srv), 0);
    cio_server_free(srv);
    cio_tls_context_release(sctx);
    cio_tls_context_release(cctx);
    return NULL;
}

static void test_misuse(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_misuse, NULL, NULL), 0);
    checks_assert();
    /* outside a task */
    assert_int_equal(cio_stream_start_tls(NULL, NULL, NULL, 0), CIO_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_echo),
        CIO_TEST(test_starttls),
        CIO_TEST(test_cancelled_reads),
        CIO_TEST(test_cancel_and_shutdown),
        CIO_TEST(test_misuse),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
