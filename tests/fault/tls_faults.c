/* Fault tests of TLS streams, each with its clear error: an untrusted, a
 * self-signed, an expired certificate and a wrong host name (against
 * `openssl s_server`), verification off, plain text on a TLS port (both
 * directions), truncation without close_notify (s_server killed), and
 * handshake timeouts on the client and on the server side.
 * ctest-labels: tls */
#include "../cio_test.h"
#include "../tls_helpers.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static tls_certs certs;
static bool have_cli;

static int group_setup(void **state) {
    (void)state;
    have_cli = tls_have_openssl_cli();
    return tls_certs_make(&certs);
}

static int group_teardown(void **state) {
    (void)state;
    tls_certs_remove(&certs);
    return 0;
}

static int start_s_server(tls_peer *p, int *port, const char *cert,
                          const char *key) {
    char accept[32];
    for (int attempt = 0; attempt < 5; attempt++) {
        *port = tls_free_port();
        snprintf(accept, sizeof accept, "127.0.0.1:%d", *port);
        char *argv[] = {"openssl",    "s_server", "-accept",   accept, "-cert",
                        (char *)cert, "-key",     (char *)key, "-rev", NULL};
        if (tls_peer_start(p, argv, "ACCEPT", 10) == 0)
            return 0;
    }
    return -1;
}

typedef struct conn_case {
    int port;
    cio_tls_context *ctx;
    const char *name; /* server_hostname */
    int code;         /* what connecting returns */
    const char *text; /* what its message contains */
    bool kill_after_reply;
    pid_t pid;
} conn_case;

static void *t_connect(void *arg) {
    conn_case *cc = arg;
    cio_stream *s = NULL;
    int rc = cio_open_connection(
        "127.0.0.1", cc->port,
        &(cio_connect_options){.tls = cc->ctx, .server_hostname = cc->name},
        &s);
    CHECK_INT(rc, cc->code);
    if (rc != 0) {
        CHECK(s == NULL);
        if (!strstr(cio_last_error_message(), cc->text))
            CHECK_STR(cio_last_error_message(), cc->text);
        return NULL;
    }
    CHECK_INT(cio_stream_write(s, "abc\n", 4), 0);
    char *line = NULL;
    CHECK_INT(cio_stream_readline(s, &line), 4);
    CHECK_STR(line, "cba\n");
    free(line);
    if (cc->kill_after_reply) {
        /* the peer dies: its socket closes with no close_notify */
        kill(cc->pid, SIGKILL);
        char buf[16];
        ssize_t n = cio_stream_read(s, buf, sizeof buf);
        CHECK_INT(n, CIO_ETLSEOF);
        CHECK(strstr(cio_last_error_message(), "unexpected eof") != NULL);
        CHECK_INT(cio_stream_read(s, buf, sizeof buf), CIO_ETLSEOF);
    }
    cio_stream_close(s);
    CHECK_INT(cio_stream_wait_closed(s), 0);
    cio_stream_free(s);
    return NULL;
}

/* Connect to an s_server showing cert/key with a client of `o`. */
static void against_s_server(const char *cert, const char *key,
                             const cio_tls_options *o, conn_case *cc) {
    if (!have_cli)
        skip();
    tls_peer p;
    assert_int_equal(start_s_server(&p, &cc->port, cert, key), 0);
    cc->ctx = cio_tls_context_new(o);
    cc->pid = p.pid;
    assert_non_null(cc->ctx);
    int rc = cio_run(t_connect, cc, NULL);
    cio_tls_context_release(cc->ctx);
    tls_peer_stop(&p);
    assert_int_equal(rc, 0);
    checks_assert();
}

static void test_untrusted(void **state) {
    (void)state;
    conn_case cc = {.name = "localhost",
                    .code = CIO_ETLSVERIFY,
                    .text = "TLS handshake with localhost: certificate verify "
                            "failed: unable to get local issuer certificate"};
    against_s_server(certs.server, certs.server_key,
                     &(cio_tls_options){.ca_file = certs.other_ca}, &cc);
}

static void test_self_signed(void **state) {
    (void)state;
    conn_case cc = {.name = "localhost",
                    .code = CIO_ETLSVERIFY,
                    .text = "certificate verify failed: self-signed "
                            "certificate"};
    against_s_server(certs.selfsigned, certs.selfsigned_key,
                     &(cio_tls_options){.ca_file = certs.ca}, &cc);
}

static void test_wrong_hostname(void **state) {
    (void)state;
    conn_case cc = {.name = "www.example.org",
                    .code = CIO_ETLSVERIFY,
                    .text = "certificate verify failed: hostname mismatch"};
    against_s_server(certs.server, certs.server_key,
                     &(cio_tls_options){.ca_file = certs.ca}, &cc);
}

static void test_expired(void **state) {
    (void)state;
    conn_case cc = {.name = "localhost",
                    .code = CIO_ETLSVERIFY,
                    .text = "certificate verify failed: certificate has "
                            "expired"};
    against_s_server(certs.expired, certs.expired_key,
                     &(cio_tls_options){.ca_file = certs.ca}, &cc);
}

/* The same self-signed, expired server is fine with verification off. */
static void test_verification_off(void **state) {
    (void)state;
    conn_case cc = {.name = "www.example.org", .code = 0};
    against_s_server(certs.selfsigned, certs.selfsigned_key,
                     &(cio_tls_options){.no_verify = true}, &cc);
    conn_case cc2 = {.name = NULL, .code = 0};
    against_s_server(certs.expired, certs.expired_key,
                     &(cio_tls_options){.no_verify = true}, &cc2);
}

static void test_truncation(void **state) {
    (void)state;
    conn_case cc = {.name = "localhost", .code = 0, .kill_after_reply = true};
    against_s_server(certs.server, certs.server_key,
                     &(cio_tls_options){.ca_file = certs.ca}, &cc);
}

/* ---- plain text and silence, with cio on both sides --------------------- */

static void plain_talker(cio_stream *s, void *arg) {
    (void)arg;
    cio_stream_write(s, "220 plain text service ready\r\n", 30);
    char b[64];
    while (cio_stream_read(s, b, sizeof b) > 0)
        ;
}

static void silent(cio_stream *s, void *arg) {
    (void)arg;
    char b[64];
    while (cio_stream_read(s, b, sizeof b) > 0)
        ;
}

static void never_called(cio_stream *s, void *arg) {
    (void)s;
    (*(int *)arg)++;
}

static void *t_plain_and_silence(void *arg) {
    (void)arg;
    cio_tls_context *cctx =
        cio_tls_context_new(&(cio_tls_options){.ca_file = certs.ca});
    cio_tls_context *sctx =
        cio_tls_context_new(&(cio_tls_options){.server = true,
                                               .cert_file = certs.server,
                                               .key_file = certs.server_key});
    cio_server *plain, *quiet, *tls;
    int handled = 0;
    CHECK_INT(
        cio_start_server(plain_talker, NULL, "127.0.0.1", 0, NULL, &plain), 0);
    CHECK_INT(cio_start_server(silent, NULL, "127.0.0.1", 0, NULL, &quiet), 0);
    double hs = under_valgrind() ? 2.0 : 0.3;
    CHECK_INT(cio_start_server(never_called, &handled, "127.0.0.1", 0,
                               &(cio_server_options){
                                   .tls = sctx, .tls_handshake_timeout = hs},
                               &tls),
              0);

    /* a TLS client on a plain port */
    cio_stream *s = NULL;
    CHECK_INT(
        cio_open_connection(
            "127.0.0.1", cio_server_port(plain),
            &(cio_connect_options){.tls = cctx, .server_hostname = "localhost"},
            &s),
        CIO_ETLS);
    CHECK(strstr(cio_last_error_message(), "wrong version number") != NULL);

    /* a server that never answers the ClientHello */
    double t0 = now_real();
    CHECK_INT(cio_open_connection(
                  "127.0.0.1", cio_server_port(quiet),
                  &(cio_connect_options){.tls = cctx,
                                         .server_hostname = "localhost",
                                         .tls_handshake_timeout = hs},
                  &s),
              CIO_ETIMEDOUT);
    if (!strstr(cio_last_error_message(), "timed out"))
        CHECK_STR(cio_last_error_message(), "timed out");
    CHECK(now_real() - t0 >= hs * 0.9);

    /* plain text to a TLS server: it drops the connection, handler unrun */
    CHECK_INT(cio_open_connection("127.0.0.1", cio_server_port(tls), NULL, &s),
              0);
    CHECK_INT(cio_stream_write(s, "GET / HTTP/1.0\r\n\r\n", 18), 0);
    char buf[256];
    ssize_t n;
    while ((n = cio_stream_read(s, buf, sizeof buf)) > 0)
        ; /* an alert, then EOF */
    CHECK(n == 0 || n == -ECONNRESET);
    cio_stream_free(s);

    /* a client that says nothing to a TLS server: dropped after its
     * handshake timeout */
    CHECK_INT(cio_open_connection("127.0.0.1", cio_server_port(tls), NULL, &s),
              0);
    t0 = now_real();
    n = cio_stream_read(s, buf, sizeof buf);
    CHECK(n == 0 || n == -ECONNRESET);
    CHECK(now_real() - t0 >= hs * 0.9);
    cio_stream_free(s);
    CHECK_INT(handled, 0);

    cio_server *all[] = {plain, quiet, tls};
    for (int i = 0; i < 3; i++) {
        cio_server_close(all[i]);
        cio_server_close_clients(all[i]);
        CHECK_INT(cio_server_wait_closed(all[i]), 0);
        cio_server_free(all[i]);
    }
    cio_tls_context_release(cctx);
    cio_tls_context_release(sctx);
    return NULL;
}

static void test_plain_text_and_timeouts(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_plain_and_silence, NULL, NULL), 0);
    checks_assert();
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_untrusted),
        CIO_TEST(test_self_signed),
        CIO_TEST(test_wrong_hostname),
        CIO_TEST(test_expired),
        CIO_TEST(test_verification_off),
        CIO_TEST(test_truncation),
        CIO_TEST(test_plain_text_and_timeouts),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
