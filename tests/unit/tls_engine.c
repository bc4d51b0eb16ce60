/* Unit tests of the TLS engine (src/net/tls_engine.c) and of TLS contexts:
 * two engines, a client and a server, talk to each other in memory, so
 * every outcome is deterministic: handshakes, data both ways, close_notify,
 * the verification failures with OpenSSL's reasons, plain text where TLS
 * is expected, truncation, client certificates, ALPN, versions and cipher
 * lists, and the context's bad options. */
#include "../cio_test.h"
#include "../tls_helpers.h"
#include "net/tls_engine.h"

#include <openssl/ssl.h>
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

/* Move every pending byte from `from` to `to`. */
static size_t move(cio__tls *from, cio__tls *to) {
    char buf[4096];
    size_t total = 0, n;
    while ((n = cio__tls_out_take(from, buf, sizeof buf)) > 0) {
        assert_int_equal(cio__tls_feed(to, buf, n), 0);
        total += n;
    }
    return total;
}

/* Run both handshakes until neither moves; the outcomes in *rc, *rs. */
static void handshake(cio__tls *c, cio__tls *s, int *rc, int *rs) {
    *rc = *rs = CIO__TLS_WANT_INPUT;
    for (int i = 0; i < 20; i++) {
        if (*rc == CIO__TLS_WANT_INPUT)
            *rc = cio__tls_handshake(c);
        size_t moved = move(c, s);
        if (*rs == CIO__TLS_WANT_INPUT)
            *rs = cio__tls_handshake(s);
        moved += move(s, c);
        if (moved == 0)
            break;
    }
}

static cio_tls_context *server_ctx(const char *cert, const char *key) {
    cio_tls_context *ctx = cio_tls_context_new(
        &(cio_tls_options){.server = true, .cert_file = cert, .key_file = key});
    assert_non_null(ctx);
    return ctx;
}

static cio_tls_context *client_ctx(const char *ca) {
    cio_tls_context *ctx =
        cio_tls_context_new(&(cio_tls_options){.ca_file = ca});
    assert_non_null(ctx);
    return ctx;
}

typedef struct pair {
    cio_tls_context *cctx, *sctx;
    cio__tls *c, *s;
    int rc, rs;
} pair;

/* A client of cctx for `name` and a server of sctx; the contexts are
 * released at once (the engines keep references). */
static void pair_run(pair *p, cio_tls_context *cctx, cio_tls_context *sctx,
                     const char *name) {
    p->c = cio__tls_new(cctx, name);
    p->s = cio__tls_new(sctx, NULL);
    assert_non_null(p->c);
    assert_non_null(p->s);
    cio_tls_context_release(cctx);
    cio_tls_context_release(sctx);
    assert_false(cio__tls_is_server(p->c));
    assert_true(cio__tls_is_server(p->s));
    handshake(p->c, p->s, &p->rc, &p->rs);
}

static void pair_free(pair *p) {
    cio__tls_free(p->c);
    cio__tls_free(p->s);
}

/* Read everything `to` can decrypt into buf (appending at *len). */
static long drain_plain(cio__tls *to, char *buf, size_t cap, size_t *len) {
    long r;
    while ((r = cio__tls_read(to, buf + *len, cap - *len)) > 0)
        *len += (size_t)r;
    return r;
}

static void test_handshake_data_and_close(void **state) {
    (void)state;
    pair p;
    pair_run(&p, client_ctx(certs.ca),
             server_ctx(certs.server, certs.server_key), "localhost");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.rs, 0);
    assert_true(cio__tls_handshake_done(p.c));
    assert_string_equal(cio__tls_version(p.c), "TLSv1.3");
    assert_string_equal(cio__tls_cipher(p.c), cio__tls_cipher(p.s));
    assert_string_equal(cio__tls_peer_subject(p.c), "CN=localhost,O=cio test");
    assert_null(cio__tls_peer_subject(p.s)); /* no client certificate */
    assert_null(cio__tls_alpn(p.c));

    /* 1 MiB from the client, a reply from the server */
    size_t big = 1 << 20;
    char *data = malloc(big), *got = malloc(big);
    for (size_t i = 0; i < big; i++)
        data[i] = (char)(i * 7 + i / 4096);
    assert_int_equal(cio__tls_write(p.c, data, big), 0);
    assert_true(cio__tls_out_pending(p.c) > big);
    move(p.c, p.s);
    size_t len = 0;
    assert_int_equal(drain_plain(p.s, got, big, &len), CIO__TLS_WANT_INPUT);
    assert_int_equal(len, big);
    assert_memory_equal(got, data, big);
    assert_int_equal(cio__tls_write(p.s, "pong", 4), 0);
    assert_int_equal(cio__tls_write(p.s, "", 0), 0);
    move(p.s, p.c);
    len = 0;
    assert_int_equal(drain_plain(p.c, got, big, &len), CIO__TLS_WANT_INPUT);
    assert_int_equal(len, 4);
    assert_memory_equal(got, "pong", 4);

    /* the server closes; the client reads a clean EOF, then answers */
    assert_int_equal(cio__tls_shutdown(p.s), 0);
    assert_true(cio__tls_sent_close_notify(p.s));
    assert_int_equal(cio__tls_shutdown(p.s), 0); /* once */
    assert_int_equal(cio__tls_write(p.s, "x", 1), CIO_EINVALIDSTATE);
    move(p.s, p.c);
    assert_int_equal(cio__tls_read(p.c, got, big), 0);
    assert_true(cio__tls_got_close_notify(p.c));
    assert_int_equal(cio__tls_read(p.c, got, big), 0); /* EOF stays */
    assert_int_equal(cio__tls_shutdown(p.c), 0);
    move(p.c, p.s);
    assert_int_equal(cio__tls_read(p.s, got, big), 0);
    assert_true(cio__tls_got_close_notify(p.s));
    assert_int_equal(cio__tls_error(p.c), 0);
    assert_string_equal(cio__tls_message(p.c), "");
    free(data);
    free(got);
    pair_free(&p);
}

/* A record split into 1-byte pieces still decrypts: the engine waits. */
static void test_input_in_pieces(void **state) {
    (void)state;
    pair p;
    pair_run(&p, client_ctx(certs.ca),
             server_ctx(certs.server, certs.server_key), "127.0.0.1");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.rs, 0);
    assert_int_equal(cio__tls_write(p.c, "hello", 5), 0);
    char wire[256], got[16];
    size_t n = cio__tls_out_take(p.c, wire, sizeof wire);
    assert_true(n > 5);
    for (size_t i = 0; i + 1 < n; i++) {
        assert_int_equal(cio__tls_feed(p.s, wire + i, 1), 0);
        assert_int_equal(cio__tls_read(p.s, got, sizeof got),
                         CIO__TLS_WANT_INPUT);
    }
    assert_int_equal(cio__tls_feed(p.s, wire + n - 1, 1), 0);
    assert_int_equal(cio__tls_read(p.s, got, 2), 2);
    assert_int_equal(cio__tls_read_pending(p.s), 3);
    assert_int_equal(cio__tls_read(p.s, got + 2, sizeof got - 2), 3);
    assert_memory_equal(got, "hello", 5);
    pair_free(&p);
}

static void expect_verify_failure(const char *ca, const char *cert,
                                  const char *key, const char *name,
                                  const char *message) {
    pair p;
    pair_run(&p, client_ctx(ca), server_ctx(cert, key), name);
    assert_int_equal(p.rc, CIO_ETLSVERIFY);
    assert_int_equal(cio__tls_error(p.c), CIO_ETLSVERIFY);
    if (!strstr(cio__tls_message(p.c), message))
        fail_msg("message '%s' lacks '%s'", cio__tls_message(p.c), message);
    /* the server hears of it through the client's alert */
    assert_true(p.rs < 0);
    assert_int_equal(p.rs, CIO_ETLS);
    assert_non_null(strstr(cio__tls_message(p.s), "alert"));
    /* a failed engine stays failed */
    char buf[8];
    assert_int_equal(cio__tls_handshake(p.c), CIO_ETLSVERIFY);
    assert_int_equal(cio__tls_read(p.c, buf, sizeof buf), CIO_ETLSVERIFY);
    assert_int_equal(cio__tls_write(p.c, "x", 1), CIO_ETLSVERIFY);
    assert_int_equal(cio__tls_shutdown(p.c), 0);
    pair_free(&p);
}

static void test_self_signed(void **state) {
    (void)state;
    expect_verify_failure(certs.ca, certs.selfsigned, certs.selfsigned_key,
                          "localhost",
                          "certificate verify failed: self-signed certificate");
}

static void test_untrusted(void **state) {
    (void)state;
    expect_verify_failure(
        certs.other_ca, certs.server, certs.server_key, "localhost",
        "certificate verify failed: unable to get local issuer certificate");
}

static void test_hostname_mismatch(void **state) {
    (void)state;
    expect_verify_failure(certs.ca, certs.server, certs.server_key,
                          "wrong.example",
                          "certificate verify failed: hostname mismatch (the "
                          "certificate is not valid for 'wrong.example')");
    expect_verify_failure(certs.ca, certs.server, certs.server_key, "127.0.0.2",
                          "IP address mismatch");
}

static void test_expired(void **state) {
    (void)state;
    expect_verify_failure(certs.ca, certs.expired, certs.expired_key,
                          "localhost",
                          "certificate verify failed: certificate has expired");
}

static void test_no_verify(void **state) {
    (void)state;
    pair p;
    cio_tls_context *c =
        cio_tls_context_new(&(cio_tls_options){.no_verify = true});
    assert_non_null(c);
    pair_run(&p, c, server_ctx(certs.selfsigned, certs.selfsigned_key),
             "wrong.example");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.rs, 0);
    pair_free(&p);
    /* without a name too */
    c = cio_tls_context_new(&(cio_tls_options){.no_verify = true});
    pair_run(&p, c, server_ctx(certs.expired, certs.expired_key), NULL);
    assert_int_equal(p.rc, 0);
    pair_free(&p);
}

/* The system store by default, which SSL_CERT_FILE replaces. */
static void test_ssl_cert_file(void **state) {
    (void)state;
    pair p;
    const char *old = getenv("SSL_CERT_FILE");
    char *saved = old ? strdup(old) : NULL;
    setenv("SSL_CERT_FILE", certs.ca, 1);
    cio_tls_context *c = cio_tls_context_new(NULL);
    assert_non_null(c);
    pair_run(&p, c, server_ctx(certs.server, certs.server_key), "localhost");
    assert_int_equal(p.rc, 0);
    pair_free(&p);
    setenv("SSL_CERT_FILE", certs.other_ca, 1);
    c = cio_tls_context_new(NULL);
    pair_run(&p, c, server_ctx(certs.server, certs.server_key), "localhost");
    assert_int_equal(p.rc, CIO_ETLSVERIFY);
    pair_free(&p);
    if (saved)
        setenv("SSL_CERT_FILE", saved, 1);
    else
        unsetenv("SSL_CERT_FILE");
    free(saved);
}

/* Plain text where TLS records are expected, from either side. */
static void test_plain_text(void **state) {
    (void)state;
    cio_tls_context *cctx = client_ctx(certs.ca);
    cio__tls *c = cio__tls_new(cctx, "localhost");
    cio_tls_context_release(cctx);
    assert_int_equal(cio__tls_handshake(c), CIO__TLS_WANT_INPUT);
    assert_true(cio__tls_out_pending(c) > 0); /* the ClientHello */
    const char *reply = "HTTP/1.1 400 Bad Request\r\n\r\n";
    assert_int_equal(cio__tls_feed(c, reply, strlen(reply)), 0);
    assert_int_equal(cio__tls_handshake(c), CIO_ETLS);
    assert_string_equal(cio__tls_message(c), "wrong version number");
    cio__tls_free(c);

    cio_tls_context *sctx = server_ctx(certs.server, certs.server_key);
    cio__tls *s = cio__tls_new(sctx, NULL);
    cio_tls_context_release(sctx);
    const char *hello = "hello, plain world\r\n";
    assert_int_equal(cio__tls_feed(s, hello, strlen(hello)), 0);
    assert_int_equal(cio__tls_handshake(s), CIO_ETLS);
    assert_string_equal(cio__tls_message(s), "wrong version number");
    cio__tls_free(s);
}

/* The transport ends without close_notify: after the data that came,
 * CIO_ETLSEOF; and during the handshake too. */
static void test_truncation(void **state) {
    (void)state;
    pair p;
    pair_run(&p, client_ctx(certs.ca),
             server_ctx(certs.server, certs.server_key), "localhost");
    assert_int_equal(cio__tls_write(p.s, "partial", 7), 0);
    move(p.s, p.c);
    cio__tls_feed_eof(p.c);
    char buf[64];
    assert_int_equal(cio__tls_read(p.c, buf, sizeof buf), 7);
    assert_int_equal(cio__tls_read(p.c, buf, sizeof buf), CIO_ETLSEOF);
    assert_non_null(strstr(cio__tls_message(p.c), "unexpected eof"));
    pair_free(&p);

    cio_tls_context *cctx = client_ctx(certs.ca);
    cio__tls *c = cio__tls_new(cctx, "localhost");
    cio_tls_context_release(cctx);
    assert_int_equal(cio__tls_handshake(c), CIO__TLS_WANT_INPUT);
    cio__tls_feed_eof(c);
    assert_int_equal(cio__tls_handshake(c), CIO_ETLSEOF);
    assert_non_null(strstr(cio__tls_message(c), "unexpected eof"));
    cio__tls_free(c);
}

/* A damaged record after the handshake: the reader gets OpenSSL's reason. */
static void test_damaged_record(void **state) {
    (void)state;
    pair p;
    pair_run(&p, client_ctx(certs.ca),
             server_ctx(certs.server, certs.server_key), "localhost");
    assert_int_equal(cio__tls_write(p.c, "hello", 5), 0);
    char wire[256], buf[16];
    size_t n = cio__tls_out_take(p.c, wire, sizeof wire);
    wire[n - 3] ^= 0x40; /* flip a bit of the tag */
    assert_int_equal(cio__tls_feed(p.s, wire, n), 0);
    assert_int_equal(cio__tls_read(p.s, buf, sizeof buf), CIO_ETLS);
    assert_string_equal(cio__tls_message(p.s),
                        "decryption failed or bad record mac");
    assert_true(cio__tls_out_pending(p.s) > 0); /* its alert for the peer */
    move(p.s, p.c);
    assert_int_equal(cio__tls_read(p.c, buf, sizeof buf), CIO_ETLS);
    assert_non_null(strstr(cio__tls_message(p.c), "bad record mac"));
    pair_free(&p);
}

static void test_alpn(void **state) {
    (void)state;
    const char *const cl[] = {"h2", "http/1.1", NULL};
    const char *const sv[] = {"http/1.1", "h2", NULL};
    const char *const other[] = {"smtp", NULL};
    pair p;
    cio_tls_context *c = cio_tls_context_new(
        &(cio_tls_options){.ca_file = certs.ca, .alpn = cl});
    cio_tls_context *s =
        cio_tls_context_new(&(cio_tls_options){.server = true,
                                               .cert_file = certs.server,
                                               .key_file = certs.server_key,
                                               .alpn = sv});
    assert_non_null(c);
    assert_non_null(s);
    pair_run(&p, c, s, "localhost");
    assert_int_equal(p.rc, 0);
    assert_string_equal(cio__tls_alpn(p.c), "http/1.1"); /* server's choice */
    assert_string_equal(cio__tls_alpn(p.s), "http/1.1");
    pair_free(&p);
    /* nothing in common: no ALPN, the connection goes on */
    c = cio_tls_context_new(
        &(cio_tls_options){.ca_file = certs.ca, .alpn = cl});
    s = cio_tls_context_new(&(cio_tls_options){.server = true,
                                               .cert_file = certs.server,
                                               .key_file = certs.server_key,
                                               .alpn = other});
    pair_run(&p, c, s, "localhost");
    assert_int_equal(p.rc, 0);
    assert_null(cio__tls_alpn(p.c));
    pair_free(&p);
}

static void test_client_certificates(void **state) {
    (void)state;
    cio_tls_options so = {.server = true,
                          .cert_file = certs.server,
                          .key_file = certs.server_key,
                          .ca_file = certs.ca,
                          .client_cert = CIO_TLS_CLIENT_CERT_REQUIRED};
    pair p;
    /* with a certificate: the server sees who it is */
    cio_tls_context *c =
        cio_tls_context_new(&(cio_tls_options){.ca_file = certs.ca,
                                               .cert_file = certs.client,
                                               .key_file = certs.client_key});
    assert_non_null(c);
    pair_run(&p, c, cio_tls_context_new(&so), "localhost");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.rs, 0);
    assert_string_equal(cio__tls_peer_subject(p.s), "CN=cio client,O=cio test");
    pair_free(&p);
    /* required but missing: the server refuses; in TLS 1.3 the client
     * hears it on its first read */
    pair_run(&p, client_ctx(certs.ca), cio_tls_context_new(&so), "localhost");
    assert_int_equal(p.rs, CIO_ETLS);
    assert_non_null(strstr(cio__tls_message(p.s), "certificate"));
    char buf[8];
    if (p.rc == 0) {
        assert_int_equal(cio__tls_read(p.c, buf, sizeof buf), CIO_ETLS);
    } else {
        assert_int_equal(p.rc, CIO_ETLS);
    }
    assert_non_null(strstr(cio__tls_message(p.c), "alert"));
    pair_free(&p);
    /* optional and missing: accepted, no subject */
    so.client_cert = CIO_TLS_CLIENT_CERT_OPTIONAL;
    pair_run(&p, client_ctx(certs.ca), cio_tls_context_new(&so), "localhost");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.rs, 0);
    assert_null(cio__tls_peer_subject(p.s));
    pair_free(&p);
    /* a client certificate the server does not trust */
    so.ca_file = certs.other_ca;
    so.client_cert = CIO_TLS_CLIENT_CERT_REQUIRED;
    c = cio_tls_context_new(&(cio_tls_options){.ca_file = certs.ca,
                                               .cert_file = certs.client,
                                               .key_file = certs.client_key});
    pair_run(&p, c, cio_tls_context_new(&so), "localhost");
    assert_int_equal(p.rs, CIO_ETLSVERIFY);
    /* (the client sends its CA along, found in its own store) */
    if (!strstr(cio__tls_message(p.s), "certificate verify failed: "))
        fail_msg("server says '%s'", cio__tls_message(p.s));
    pair_free(&p);
}

static void test_versions_and_ciphers(void **state) {
    (void)state;
    pair p;
    cio_tls_context *c = cio_tls_context_new(
        &(cio_tls_options){.ca_file = certs.ca,
                           .max_version = CIO_TLS_VERSION_1_2,
                           .ciphers = "ECDHE-ECDSA-CHACHA20-POLY1305"});
    assert_non_null(c);
    pair_run(&p, c, server_ctx(certs.server, certs.server_key), "localhost");
    assert_int_equal(p.rc, 0);
    assert_string_equal(cio__tls_version(p.c), "TLSv1.2");
    assert_string_equal(cio__tls_cipher(p.c), "ECDHE-ECDSA-CHACHA20-POLY1305");
    pair_free(&p);

    c = cio_tls_context_new(&(cio_tls_options){
        .ca_file = certs.ca, .ciphersuites = "TLS_AES_128_GCM_SHA256"});
    pair_run(&p, c, server_ctx(certs.server, certs.server_key), "localhost");
    assert_int_equal(p.rc, 0);
    assert_string_equal(cio__tls_cipher(p.s), "TLS_AES_128_GCM_SHA256");
    pair_free(&p);

    /* a setting made on the SSL_CTX itself, which cio has no option for */
    c = client_ctx(certs.ca);
    SSL_CTX *raw = cio_tls_context_ssl_ctx(c);
    assert_non_null(raw);
    assert_int_equal(SSL_CTX_set_max_proto_version(raw, TLS1_2_VERSION), 1);
    pair_run(&p, c, server_ctx(certs.server, certs.server_key), "localhost");
    assert_int_equal(p.rc, 0);
    assert_string_equal(cio__tls_version(p.c), "TLSv1.2");
    pair_free(&p);

    /* a 1.3-only client and a 1.2-only server share no version */
    c = cio_tls_context_new(&(cio_tls_options){
        .ca_file = certs.ca, .min_version = CIO_TLS_VERSION_1_3});
    cio_tls_context *s = cio_tls_context_new(
        &(cio_tls_options){.server = true,
                           .cert_file = certs.server,
                           .key_file = certs.server_key,
                           .max_version = CIO_TLS_VERSION_1_2});
    pair_run(&p, c, s, "localhost");
    assert_int_equal(p.rs, CIO_ETLS);
    assert_non_null(strstr(cio__tls_message(p.s), "protocol"));
    assert_true(p.rc < 0);
    pair_free(&p);
}

static void expect_context_error(const cio_tls_options *o, int code,
                                 const char *text) {
    cio_tls_context *ctx = cio_tls_context_new(o);
    if (ctx)
        fail_msg("no error for '%s'", text);
    assert_int_equal(cio_last_error(), code);
    if (!strstr(cio_last_error_message(), text))
        fail_msg("message '%s' lacks '%s'", cio_last_error_message(), text);
}

static void test_context_errors(void **state) {
    (void)state;
    const char *const empty_name[] = {"", NULL};
    const char *const none[] = {NULL};
    char long_name[300];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    const char *const too_long[] = {long_name, NULL};

    expect_context_error(&(cio_tls_options){.server = true}, CIO_EINVAL,
                         "needs cert_file");
    expect_context_error(&(cio_tls_options){.key_file = certs.server_key},
                         CIO_EINVAL, "key_file without cert_file");
    expect_context_error(
        &(cio_tls_options){.server = true, .cert_file = "/nonexistent/x.pem"},
        CIO_ETLSCONFIG,
        "cannot load certificate file '/nonexistent/x.pem': No such file");
    expect_context_error(&(cio_tls_options){.ca_file = "/nonexistent/ca.pem"},
                         CIO_ETLSCONFIG, "No such file");
    expect_context_error(&(cio_tls_options){.ca_dir = "/nonexistent"},
                         CIO_ETLSCONFIG, "CA directory");
    expect_context_error(&(cio_tls_options){.server = true,
                                            .cert_file = certs.server,
                                            .key_file = certs.client_key},
                         CIO_ETLSCONFIG, "key values mismatch");
    expect_context_error(&(cio_tls_options){.server = true,
                                            .cert_file = certs.server_key,
                                            .key_file = certs.server_key},
                         CIO_ETLSCONFIG, "cannot load certificate file");
    expect_context_error(&(cio_tls_options){.ciphers = "NO-SUCH-CIPHER"},
                         CIO_ETLSCONFIG, "cipher list");
    expect_context_error(&(cio_tls_options){.ciphersuites = "TLS_NOPE"},
                         CIO_ETLSCONFIG, "cipher suites");
    expect_context_error(&(cio_tls_options){.min_version = 0x0301}, CIO_EINVAL,
                         "TLS 1.2 or 1.3");
    expect_context_error(&(cio_tls_options){.min_version = CIO_TLS_VERSION_1_3,
                                            .max_version = CIO_TLS_VERSION_1_2},
                         CIO_EINVAL, "max_version >= min_version");
    expect_context_error(&(cio_tls_options){.alpn = empty_name}, CIO_EINVAL,
                         "1 to 255 bytes");
    expect_context_error(&(cio_tls_options){.alpn = too_long}, CIO_EINVAL,
                         "1 to 255 bytes");
    expect_context_error(&(cio_tls_options){.alpn = none}, CIO_EINVAL, "empty");
    expect_context_error(&(cio_tls_options){.server = true,
                                            .cert_file = certs.server,
                                            .key_file = certs.server_key,
                                            .client_cert = 7},
                         CIO_EINVAL, "client_cert");

    /* NULL is accepted where it means nothing */
    cio_tls_context_release(NULL);
    assert_null(cio_tls_context_retain(NULL));
    assert_false(cio_tls_context_is_server(NULL));
    assert_null(cio_tls_context_ssl_ctx(NULL));
    cio_tls_context *c = cio_tls_context_new(NULL);
    assert_non_null(cio_tls_context_ssl_ctx(c));
    assert_ptr_equal(cio_tls_context_retain(c), c);
    cio_tls_context_release(c);
    cio_tls_context_release(c);

    /* engines: a verifying client needs a name; bad names are refused */
    c = client_ctx(certs.ca);
    assert_null(cio__tls_new(c, NULL));
    assert_int_equal(cio_last_error(), CIO_EINVAL);
    assert_non_null(strstr(cio_last_error_message(), "host name"));
    assert_null(cio__tls_new(NULL, "localhost"));
    assert_int_equal(cio_last_error(), CIO_EINVAL);
    cio__tls *t = cio__tls_new(c, "localhost");
    char buf[4];
    assert_int_equal(cio__tls_read(t, buf, sizeof buf), CIO_EINVALIDSTATE);
    cio__tls_free(t);
    t = cio__tls_new(c, "localhost");
    assert_int_equal(cio__tls_write(t, "x", 1), CIO_EINVALIDSTATE);
    assert_null(cio__tls_version(t));
    assert_null(cio__tls_cipher(t));
    assert_null(cio__tls_alpn(t));
    assert_null(cio__tls_peer_subject(t));
    assert_int_equal(cio__tls_shutdown(t), 0); /* nothing to close yet */
    cio__tls_free(t);
    cio__tls_free(NULL);
    cio_tls_context_release(c);
}

static void test_error_sentences(void **state) {
    (void)state;
    assert_non_null(strstr(cio_strerror(CIO_ETLS), "TLS"));
    assert_non_null(strstr(cio_strerror(CIO_ETLSVERIFY), "verify"));
    assert_non_null(strstr(cio_strerror(CIO_ETLSEOF), "close_notify"));
    assert_non_null(strstr(cio_strerror(CIO_ETLSCONFIG), "OpenSSL"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_data_and_close),
        cmocka_unit_test(test_input_in_pieces),
        cmocka_unit_test(test_self_signed),
        cmocka_unit_test(test_untrusted),
        cmocka_unit_test(test_hostname_mismatch),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_no_verify),
        cmocka_unit_test(test_ssl_cert_file),
        cmocka_unit_test(test_plain_text),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_damaged_record),
        cmocka_unit_test(test_alpn),
        cmocka_unit_test(test_client_certificates),
        cmocka_unit_test(test_versions_and_ciphers),
        cmocka_unit_test(test_context_errors),
        cmocka_unit_test(test_error_sentences),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
