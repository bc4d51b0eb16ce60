/* Integration: cio's TLS against OpenSSL's own tools on 127.0.0.1.
 * A cio client against `openssl s_server -rev` (lines come back reversed)
 * with ALPN and a client certificate; a cio server against
 * `openssl s_client`, whose output the test reads through a stream over
 * its stdout pipe. The peers run on free ports and are stopped by pid.
 * ctest-labels: tls */
#include "../cio_test.h"
#include "../tls_helpers.h"

#include <stdlib.h>
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

/* `openssl s_server -rev` on a free port with cert/key; extra args (up to
 * 4) appended. 0 or -1. */
static int start_s_server(tls_peer *p, int *port, const char *cert,
                          const char *key, const char *const *extra) {
    char accept[32];
    for (int attempt = 0; attempt < 5; attempt++) {
        *port = tls_free_port();
        snprintf(accept, sizeof accept, "127.0.0.1:%d", *port);
        char *argv[24] = {"openssl", "s_server",   "-accept", accept,
                          "-cert",   (char *)cert, "-key",    (char *)key,
                          "-rev",    "-naccept",   "1"};
        int n = 11;
        for (int i = 0; extra && extra[i]; i++)
            argv[n++] = (char *)extra[i];
        argv[n] = NULL;
        if (tls_peer_start(p, argv, "ACCEPT", 10) == 0)
            return 0;
    }
    return -1;
}

/* ---- cio client, openssl server ------------------------------------------ */

typedef struct client_case {
    int port;
    const char *alpn_expected;
    cio_tls_version max_version;
    const char *ciphers, *version_expected;
} client_case;

static void *t_client(void *arg) {
    client_case *cc = arg;
    const char *const alpn[] = {"h2", "http/1.1", NULL};
    cio_tls_context *ctx =
        cio_tls_context_new(&(cio_tls_options){.ca_file = certs.ca,
                                               .alpn = alpn,
                                               .cert_file = certs.client,
                                               .key_file = certs.client_key,
                                               .max_version = cc->max_version,
                                               .ciphers = cc->ciphers});
    CHECK(ctx != NULL);
    cio_stream *s = NULL;
    int rc = cio_open_connection(
        "127.0.0.1", cc->port,
        &(cio_connect_options){.tls = ctx, .server_hostname = "localhost"}, &s);
    cio_tls_context_release(ctx);
    CHECK_INT(rc, 0);
    if (rc)
        return NULL;
    CHECK_STR(cio_stream_tls_version(s), cc->version_expected);
    if (cc->ciphers)
        CHECK_STR(cio_stream_tls_cipher(s), cc->ciphers);
    if (cc->alpn_expected)
        CHECK_STR(cio_stream_tls_alpn(s), cc->alpn_expected);
    else
        CHECK(cio_stream_tls_alpn(s) == NULL);
    CHECK_STR(cio_stream_tls_peer_subject(s), "CN=localhost,O=cio test");
    /* lines of growing length, reversed by the server */
    char line[4096], want[4096];
    for (int i = 1; i < 40; i++) {
        size_t n = (size_t)i * 97 % 3000 + 1;
        for (size_t k = 0; k < n; k++)
            line[k] = (char)('a' + (k * 7 + (size_t)i) % 26);
        line[n] = '\n';
        CHECK_INT(cio_stream_write(s, line, n + 1), 0);
        for (size_t k = 0; k < n; k++)
            want[k] = line[n - 1 - k];
        want[n] = '\n';
        want[n + 1] = '\0';
        char *got = NULL;
        ssize_t r = cio_stream_readline(s, &got);
        CHECK_INT(r, (ssize_t)n + 1);
        if (got)
            CHECK_STR(got, want);
        free(got);
        if (r <= 0)
            break;
    }
    cio_stream_close(s);
    CHECK_INT(cio_stream_wait_closed(s), 0);
    cio_stream_free(s);
    return NULL;
}

static void test_cio_client_openssl_server(void **state) {
    (void)state;
    if (!have_cli)
        skip();
    const char *const extra[] = {"-alpn",   "h2,http/1.1", "-Verify", "1",
                                 "-CAfile", certs.ca,      NULL};
    tls_peer p;
    client_case cc = {.alpn_expected = "h2", .version_expected = "TLSv1.3"};
    assert_int_equal(
        start_s_server(&p, &cc.port, certs.server, certs.server_key, extra), 0);
    int rc = cio_run(t_client, &cc, NULL);
    /* s_server says who the client was */
    bool saw_client = tls_peer_wait_for(&p, "cio client", 5);
    tls_peer_stop(&p);
    assert_int_equal(rc, 0);
    checks_assert();
    assert_true(saw_client);
}

/* TLS 1.2 with a chosen cipher, and no ALPN on the server's side. */
static void test_cio_client_tls12(void **state) {
    (void)state;
    if (!have_cli)
        skip();
    const char *const extra[] = {"-tls1_2", NULL};
    tls_peer p;
    client_case cc = {.alpn_expected = NULL,
                      .version_expected = "TLSv1.2",
                      .max_version = CIO_TLS_VERSION_1_2,
                      .ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256"};
    assert_int_equal(
        start_s_server(&p, &cc.port, certs.server, certs.server_key, extra), 0);
    int rc = cio_run(t_client, &cc, NULL);
    tls_peer_stop(&p);
    assert_int_equal(rc, 0);
    checks_assert();
}

/* ---- cio server, openssl client ------------------------------------------ */

typedef struct server_case {
    int port;
    cio_tls_context *ctx;
    char subject[128], version[32];
    int handled;
} server_case;

static void echo_handler(cio_stream *s, void *arg) {
    server_case *sc = arg;
    const char *p = cio_stream_tls_peer_subject(s);
    snprintf(sc->subject, sizeof sc->subject, "%s", p ? p : "-");
    snprintf(sc->version, sizeof sc->version, "%s", cio_stream_tls_version(s));
    sc->handled++;
    char *line;
    while (cio_stream_readline(s, &line) > 0) {
        size_t n = strlen(line);
        cio_stream_write(s, "echo: ", 6);
        cio_stream_write(s, line, n);
        free(line);
        if (cio_stream_drain(s) < 0)
            break;
    }
}

static void *t_server(void *arg) {
    server_case *sc = arg;
    cio_server *srv;
    CHECK_INT(cio_start_server(echo_handler, sc, "127.0.0.1", 0,
                               &(cio_server_options){.tls = sc->ctx}, &srv),
              0);
    char port[16];
    snprintf(port, sizeof port, "127.0.0.1:%d", cio_server_port(srv));
    char *argv[] = {"openssl",
                    "s_client",
                    "-connect",
                    port,
                    "-CAfile",
                    certs.ca,
                    "-verify_return_error",
                    "-servername",
                    "localhost",
                    "-cert",
                    certs.client,
                    "-key",
                    certs.client_key,
                    "-quiet",
                    NULL};
    tls_peer p;
    CHECK_INT(tls_peer_start(&p, argv, NULL, 0), 0);
    /* s_client's stdout as a stream: read it without blocking the loop */
    cio_stream *out = cio_stream_open_fd(dup(p.out), NULL);
    CHECK(out != NULL);
    const char *msgs[] = {"first line\n", "second, longer line\n"};
    for (int i = 0; i < 2 && out; i++) {
        CHECK((size_t)write(p.in, msgs[i], strlen(msgs[i])) == strlen(msgs[i]));
        char *line = NULL;
        /* skip s_client's own chatter (verify lines on stderr) */
        while (cio_stream_readline(out, &line) > 0 &&
               strncmp(line, "echo: ", 6) != 0) {
            free(line);
            line = NULL;
        }
        CHECK(line != NULL);
        if (line)
            CHECK_STR(line + 6, msgs[i]);
        free(line);
    }
    tls_peer_stop(&p);
    if (out) {
        cio_stream_close(out);
        cio_stream_wait_closed(out);
        cio_stream_free(out);
    }
    cio_server_close(srv);
    CHECK_INT(cio_server_wait_closed(srv), 0);
    cio_server_free(srv);
    return NULL;
}

static void test_cio_server_openssl_client(void **state) {
    (void)state;
    if (!have_cli)
        skip();
    server_case sc = {.ctx = cio_tls_context_new(&(cio_tls_options){
                          .server = true,
                          .cert_file = certs.server,
                          .key_file = certs.server_key,
                          .ca_file = certs.ca,
                          .client_cert = CIO_TLS_CLIENT_CERT_REQUIRED})};
    assert_non_null(sc.ctx);
    assert_int_equal(cio_run(t_server, &sc, NULL), 0);
    cio_tls_context_release(sc.ctx);
    checks_assert();
    assert_int_equal(sc.handled, 1);
    assert_string_equal(sc.subject, "CN=cio client,O=cio test");
    assert_string_equal(sc.version, "TLSv1.3");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_cio_client_openssl_server),
        CIO_TEST(test_cio_client_tls12),
        CIO_TEST(test_cio_server_openssl_client),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
