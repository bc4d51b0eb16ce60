/* Integration: a TLS server's identities and its checks of clients, on
 * 127.0.0.1, against cio's own client and `openssl s_client`:
 *   - SNI: several certificates chosen by the name the client sends
 *     (exact and wildcard entries; no name or an unknown one gets the
 *     default identity);
 *   - a private key protected by a password (right, wrong, missing);
 *   - CRL checking of client certificates (a revoked one is refused, the
 *     handler never runs for it);
 *   - bad options: each a clear error.
 * The openssl peers run on the test's own server's port and are stopped
 * by pid; their output is read through a stream over their stdout.
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

/* The server's context: localhost's certificate with its encrypted key,
 * beta.test and *.wild.test by SNI; optionally client certificates
 * checked against the CRL. */
static cio_tls_context *server_ctx(bool client_certs) {
    const cio_tls_sni_cert sni[] = {{.server_name = "beta.test",
                                     .cert_file = certs.beta,
                                     .key_file = certs.beta_key},
                                    {.server_name = "*.wild.test",
                                     .cert_file = certs.beta,
                                     .key_file = certs.beta_key}};
    cio_tls_options o = {.server = true,
                         .cert_file = certs.server,
                         .key_file = certs.server_key_enc,
                         .key_password = TLS_KEY_PASSWORD,
                         .sni_certs = sni,
                         .sni_count = 2};
    if (client_certs) {
        o.client_cert = CIO_TLS_CLIENT_CERT_REQUIRED;
        o.ca_file = certs.ca;
        o.crl_file = certs.crl;
    }
    return cio_tls_context_new(&o);
}

static int handled;

/* the server name each connection's hello carried, as the handler saw it */
static char seen_name[64];

static void hello(cio_stream *s, void *arg) {
    (void)arg;
    handled++;
    const char *name = cio_stream_tls_server_name(s);
    snprintf(seen_name, sizeof seen_name, "%s", name ? name : "(none)");
    cio_stream_write(s, "hi", 2);
    cio_stream_drain(s);
    char b[1];
    cio_stream_read(s, b, 1); /* until the client goes */
}

typedef struct sni_case {
    const char *name;    /* sent as SNI (and verified unless no_verify) */
    bool no_verify;      /* a name the certificates do not carry */
    const char *subject; /* the identity the client must see */
} sni_case;

static void *t_sni(void *arg) {
    (void)arg;
    cio_tls_context *sctx = server_ctx(false);
    CHECK(sctx != NULL);
    if (!sctx)
        return NULL;
    cio_server *srv;
    CHECK_INT(cio_start_server(hello, NULL, "127.0.0.1", 0,
                               &(cio_server_options){.tls = sctx}, &srv),
              0);
    cio_tls_context *verify =
        cio_tls_context_new(&(cio_tls_options){.ca_file = certs.ca});
    cio_tls_context *trusting =
        cio_tls_context_new(&(cio_tls_options){.no_verify = true});
    const sni_case cases[] = {
        {"beta.test", false, "CN=beta.test,O=cio test"},
        {"BETA.test", false, "CN=beta.test,O=cio test"},
        {"a.wild.test", false, "CN=beta.test,O=cio test"},
        {"localhost", false, "CN=localhost,O=cio test"},
        {"nobody.test", true, "CN=localhost,O=cio test"},
        {"a.b.wild.test", true, "CN=localhost,O=cio test"},
        {"wild.test", true, "CN=localhost,O=cio test"},
        {NULL, true, "CN=localhost,O=cio test"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const sni_case *c = &cases[i];
        cio_stream *s = NULL;
        /* a literal address and no server_hostname: no SNI at all */
        int rc = cio_open_connection(
            "127.0.0.1", cio_server_port(srv),
            &(cio_connect_options){.tls = c->no_verify ? trusting : verify,
                                   .server_hostname = c->name},
            &s);
        CHECK_INT(rc, 0);
        if (rc < 0) {
            printf("# %s: %s\n", c->name ? c->name : "(none)",
                   cio_last_error_message());
            continue;
        }
        CHECK_STR(cio_stream_tls_peer_subject(s), c->subject);
        if (c->name)
            CHECK_STR(cio_stream_tls_server_name(s), c->name);
        else
            CHECK(cio_stream_tls_server_name(s) == NULL);
        char b[2];
        CHECK_INT(cio_stream_readexactly(s, b, 2, NULL), 2);
        /* (the handler wrote "hi" after it looked) */
        CHECK_STR(seen_name, c->name ? c->name : "(none)");
        cio_stream_close(s);
        cio_stream_wait_closed(s);
        cio_stream_free(s);
    }
    cio_tls_context_release(verify);
    cio_tls_context_release(trusting);
    cio_server_close(srv);
    cio_server_abort_clients(srv);
    CHECK_INT(cio_server_wait_closed(srv), 0);
    cio_server_free(srv);
    cio_tls_context_release(sctx);
    return NULL;
}

static void test_sni_cio_client(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_sni, NULL, NULL), 0);
    checks_assert();
}

/* ---- against openssl s_client ------------------------------------------- */

/* Run s_client against port with extra args (NULL-terminated, up to 8),
 * its stdin closed at once (it does the handshake, prints, and ends), and
 * read everything it prints; true if `want` was among it. */
static bool s_client_says(int port, const char *const *extra,
                          const char *want) {
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    char *argv[24] = {"openssl", "s_client", "-connect", addr,
                      "-CAfile", certs.ca,   NULL};
    int n = 6;
    for (const char *const *e = extra; *e && n < 22; e++)
        argv[n++] = (char *)*e;
    argv[n] = NULL;
    tls_peer p;
    if (tls_peer_start(&p, argv, NULL, 0) != 0)
        return false;
    close(p.in); /* no input: it ends after the handshake */
    p.in = -1;
    cio_stream *out = cio_stream_open_fd(dup(p.out), NULL);
    bool seen = false;
    char *line = NULL;
    while (out && cio_stream_readline(out, &line) > 0) {
        if (strstr(line, want))
            seen = true;
        free(line);
        line = NULL;
    }
    free(line);
    tls_peer_stop(&p);
    if (out) {
        cio_stream_close(out);
        cio_stream_wait_closed(out);
        cio_stream_free(out);
    }
    if (!seen)
        printf("# s_client did not say '%s'\n", want);
    return seen;
}

static void *t_openssl_client(void *arg) {
    (void)arg;
    cio_tls_context *sctx = server_ctx(false);
    CHECK(sctx != NULL);
    if (!sctx)
        return NULL;
    cio_server *srv;
    CHECK_INT(cio_start_server(hello, NULL, "127.0.0.1", 0,
                               &(cio_server_options){.tls = sctx}, &srv),
              0);
    int port = cio_server_port(srv);
    const char *beta[] = {"-servername",          "beta.test",
                          "-verify_hostname",     "beta.test",
                          "-verify_return_error", NULL};
    CHECK(s_client_says(port, beta, "CN = beta.test"));
    CHECK(s_client_says(port, beta, "Verify return code: 0 (ok)"));
    const char *wild[] = {"-servername",          "x.wild.test",
                          "-verify_hostname",     "x.wild.test",
                          "-verify_return_error", NULL};
    CHECK(s_client_says(port, wild, "CN = beta.test"));
    const char *local[] = {"-servername", "localhost", "-verify_return_error",
                           NULL};
    CHECK(s_client_says(port, local, "CN = localhost"));
    const char *none[] = {"-noservername", NULL};
    CHECK(s_client_says(port, none, "CN = localhost"));
    cio_server_close(srv);
    cio_server_abort_clients(srv);
    CHECK_INT(cio_server_wait_closed(srv), 0);
    cio_server_free(srv);
    cio_tls_context_release(sctx);
    return NULL;
}

static void test_sni_openssl_client(void **state) {
    (void)state;
    if (!have_cli)
        skip();
    assert_int_equal(cio_run(t_openssl_client, NULL, NULL), 0);
    checks_assert();
}

/* ---- client certificates and the CRL ------------------------------------ */

static int connect_with(int port, const char *cert, const char *key,
                        cio_tls_version max, cio_stream **s) {
    cio_tls_context *ctx =
        cio_tls_context_new(&(cio_tls_options){.ca_file = certs.ca,
                                               .cert_file = cert,
                                               .key_file = key,
                                               .max_version = max});
    CHECK(ctx != NULL);
    int rc = cio_open_connection(
        "127.0.0.1", port,
        &(cio_connect_options){.tls = ctx, .server_hostname = "localhost"}, s);
    cio_tls_context_release(ctx);
    return rc;
}

static void end(cio_stream *s) {
    cio_stream_close(s);
    cio_stream_wait_closed(s);
    cio_stream_free(s);
}

static void *t_crl(void *arg) {
    (void)arg;
    cio_tls_context *sctx = server_ctx(true);
    CHECK(sctx != NULL);
    if (!sctx)
        return NULL;
    cio_server *srv;
    CHECK_INT(cio_start_server(hello, NULL, "127.0.0.1", 0,
                               &(cio_server_options){.tls = sctx}, &srv),
              0);
    int port = cio_server_port(srv);
    handled = 0;
    /* a client whose certificate is not revoked is served */
    cio_stream *s = NULL;
    CHECK_INT(connect_with(port, certs.client, certs.client_key, 0, &s), 0);
    char b[2];
    if (s) {
        CHECK_INT(cio_stream_readexactly(s, b, 2, NULL), 2);
        end(s);
    }
    CHECK_INT(handled, 1);
    /* TLS 1.2: the server checks the certificate before it finishes, so
     * the client's handshake fails with the server's alert */
    s = NULL;
    int rc = connect_with(port, certs.revoked, certs.revoked_key,
                          CIO_TLS_VERSION_1_2, &s);
    CHECK_INT(rc, CIO_ETLS);
    CHECK(strstr(cio_last_error_message(), "certificate revoked") != NULL);
    CHECK_PTR(s, NULL);
    /* TLS 1.3: the client is done first; its first read gets the alert */
    rc = connect_with(port, certs.revoked, certs.revoked_key, 0, &s);
    if (rc == 0) {
        CHECK_INT(cio_stream_readexactly(s, b, 2, NULL), CIO_ETLS);
        CHECK(strstr(cio_last_error_message(), "certificate revoked") != NULL);
        end(s);
    } else {
        CHECK_INT(rc, CIO_ETLS);
    }
    /* a client without a certificate: refused too */
    rc = connect_with(port, NULL, NULL, CIO_TLS_VERSION_1_2, &s);
    CHECK_INT(rc, CIO_ETLS);
    if (have_cli) {
        /* (TLS 1.2: s_client, its input closed, could otherwise end
         * before the server's alert arrives) */
        const char *revoked[] = {"-servername", "localhost", "-cert",
                                 certs.revoked, "-key",      certs.revoked_key,
                                 "-tls1_2",     NULL};
        CHECK(s_client_says(port, revoked, "certificate revoked"));
        const char *good[] = {"-servername", "localhost", "-cert",
                              certs.client,  "-key",      certs.client_key,
                              NULL};
        CHECK(s_client_says(port, good, "Verify return code: 0 (ok)"));
    }
    cio_server_close(srv);
    cio_server_abort_clients(srv);
    CHECK_INT(cio_server_wait_closed(srv), 0);
    cio_server_free(srv);
    /* the good clients only: cio's and (with the CLI) s_client's */
    CHECK_INT(handled, have_cli ? 2 : 1);
    cio_tls_context_release(sctx);
    return NULL;
}

static void test_crl_client_certs(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_crl, NULL, NULL), 0);
    checks_assert();
}

/* The chained client (by an intermediate CA that the root's CRL revokes):
 * served when only its own certificate is checked, refused when the whole
 * chain is (crl_check_chain). Returns what the handshake and a read gave. */
static int chained_client(bool check_chain) {
    cio_tls_options o = {.server = true,
                         .cert_file = certs.server,
                         .key_file = certs.server_key,
                         .client_cert = CIO_TLS_CLIENT_CERT_REQUIRED,
                         .ca_file = certs.ca,
                         .crl_file = certs.chain_crl,
                         .crl_check_chain = check_chain};
    cio_tls_context *sctx = cio_tls_context_new(&o);
    CHECK(sctx != NULL);
    if (!sctx)
        return CIO_EINVAL;
    cio_server *srv;
    CHECK_INT(cio_start_server(hello, NULL, "127.0.0.1", 0,
                               &(cio_server_options){.tls = sctx}, &srv),
              0);
    cio_stream *s = NULL;
    int rc = connect_with(cio_server_port(srv), certs.chained,
                          certs.chained_key, CIO_TLS_VERSION_1_2, &s);
    if (rc == 0) {
        char b[2];
        rc = (int)cio_stream_readexactly(s, b, 2, NULL);
        rc = rc == 2 ? 0 : rc;
        end(s);
    }
    cio_server_close(srv);
    cio_server_abort_clients(srv);
    CHECK_INT(cio_server_wait_closed(srv), 0);
    cio_server_free(srv);
    cio_tls_context_release(sctx);
    return rc;
}

static void *t_crl_chain(void *arg) {
    (void)arg;
    handled = 0;
    CHECK_INT(chained_client(false), 0);
    CHECK_INT(handled, 1);
    CHECK_INT(chained_client(true), CIO_ETLS);
    CHECK(strstr(cio_last_error_message(), "certificate revoked") != NULL);
    CHECK_INT(handled, 1);
    return NULL;
}

static void test_crl_chain(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_crl_chain, NULL, NULL), 0);
    checks_assert();
}

/* ---- bad options ----------------------------------------------------------
 */

/* cio_tls_context_new(o) fails with code and a message holding `text`. */
static void refused(const cio_tls_options *o, int code, const char *text) {
    cio_tls_context *ctx = cio_tls_context_new(o);
    assert_null(ctx);
    assert_int_equal(cio_last_error(), code);
    if (!strstr(cio_last_error_message(), text))
        fail_msg("'%s' does not say '%s'", cio_last_error_message(), text);
}

static void test_bad_options(void **state) {
    (void)state;
    cio_tls_options o = {.server = true,
                         .cert_file = certs.server,
                         .key_file = certs.server_key_enc};
    /* the encrypted key: no password, a wrong one */
    refused(&o, CIO_ETLSCONFIG, "encrypted, and no key_password");
    o.key_password = "wrong";
    refused(&o, CIO_ETLSCONFIG, "server_enc.key");
    refused(&o, CIO_ETLSCONFIG, "bad decrypt");
    o.key_password = TLS_KEY_PASSWORD;
    cio_tls_context *ok = cio_tls_context_new(&o);
    assert_non_null(ok);
    cio_tls_context_release(ok);
    /* SNI entries: a key that is not the certificate's, a missing file,
     * no name, a count without entries, SNI on a client */
    cio_tls_sni_cert e = {.server_name = "beta.test",
                          .cert_file = certs.beta,
                          .key_file = certs.server_key};
    o.sni_certs = &e;
    o.sni_count = 1;
    refused(&o, CIO_ETLSCONFIG, "does not match");
    e.key_file = certs.beta_key;
    e.cert_file = "/nonexistent/beta.pem";
    refused(&o, CIO_ETLSCONFIG, "No such file");
    e.cert_file = certs.beta;
    e.server_name = NULL;
    refused(&o, CIO_EINVAL, "server_name");
    e.server_name = "beta.test";
    o.sni_certs = NULL;
    refused(&o, CIO_EINVAL, "sni_count");
    o.sni_certs = &e;
    o.server = false;
    refused(&o, CIO_EINVAL, "server context");
    /* the entry's own password wins over the options' */
    o.server = true;
    e.key_file = certs.server_key_enc;
    e.cert_file = certs.server;
    e.key_password = "wrong";
    refused(&o, CIO_ETLSCONFIG, "bad decrypt");
    e.key_password = NULL;
    o.key_password = NULL;
    o.key_file = certs.server_key;
    refused(&o, CIO_ETLSCONFIG, "encrypted, and no key_password");
    o.key_password = TLS_KEY_PASSWORD; /* used by the entry */
    e.key_password = TLS_KEY_PASSWORD;
    ok = cio_tls_context_new(&o);
    assert_non_null(ok);
    cio_tls_context_release(ok);
    /* a CRL file: without verification, not a CRL, missing */
    cio_tls_options c = {.server = true,
                         .cert_file = certs.server,
                         .key_file = certs.server_key,
                         .crl_file = certs.crl};
    refused(&c, CIO_EINVAL, "does not verify");
    c.client_cert = CIO_TLS_CLIENT_CERT_OPTIONAL;
    c.ca_file = certs.ca;
    c.crl_file = certs.ca;
    refused(&c, CIO_ETLSCONFIG, "CRL file");
    c.crl_file = "/nonexistent/ca.crl";
    refused(&c, CIO_ETLSCONFIG, "No such file");
    cio_tls_options nv = {.no_verify = true, .crl_file = certs.crl};
    refused(&nv, CIO_EINVAL, "does not verify");
    c.crl_file = NULL;
    c.crl_check_chain = true;
    refused(&c, CIO_EINVAL, "crl_check_chain without a crl_file");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_sni_cio_client), CIO_TEST(test_sni_openssl_client),
        CIO_TEST(test_crl_client_certs), CIO_TEST(test_crl_chain),
        CIO_TEST(test_bad_options)};
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
