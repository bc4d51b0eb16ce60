/* tls_engine.c - an OpenSSL connection over memory BIOs (see tls_engine.h).
 */
#include "core/internal.h"
#include "net/tls_engine.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cio__tls {
    SSL *ssl;
    BIO *in;  /* ciphertext from the peer, read by OpenSSL */
    BIO *out; /* ciphertext OpenSSL wrote for the peer */
    cio_tls_context *ctx;
    char *hostname; /* what the peer's certificate must name, or NULL */
    char *subject;  /* the peer certificate's subject, made on demand */
    int error;
    bool handshake_done, sent_close, got_close;
    char alpn[256]; /* the agreed ALPN protocol, "" if none */
    char message[256];
};

static bool is_ip_address(const char *s) {
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* SNI, and the name (or address) verification expects. */
static int set_peer_name(cio__tls *t, const char *name) {
    bool ip = is_ip_address(name);
    if (!ip && SSL_set_tlsext_host_name(t->ssl, name) != 1)
        return CIO_EINVAL;
    if (!cio__tls_context_verifies(t->ctx))
        return 0;
    if (ip) {
        X509_VERIFY_PARAM *p = SSL_get0_param(t->ssl);
        return X509_VERIFY_PARAM_set1_ip_asc(p, name) == 1 ? 0 : CIO_EINVAL;
    }
    SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return SSL_set1_host(t->ssl, name) == 1 ? 0 : CIO_EINVAL;
}

static int setup(cio__tls *t, const char *server_hostname) {
    bool server = cio_tls_context_is_server(t->ctx);
    t->ssl = SSL_new(cio__tls_context_ssl(t->ctx));
    t->in = BIO_new(BIO_s_mem());
    t->out = BIO_new(BIO_s_mem());
    if (!t->ssl || !t->in || !t->out) {
        cio__set_error(CIO_ENOMEM, "TLS: out of memory");
        return CIO_ENOMEM;
    }
    /* An empty BIO means "wait for more", not EOF, until feed_eof. */
    BIO_set_mem_eof_return(t->in, -1);
    BIO_set_mem_eof_return(t->out, -1);
    SSL_set_bio(t->ssl, t->in, t->out); /* the SSL owns both from here */
    if (server) {
        SSL_set_accept_state(t->ssl);
        return 0;
    }
    SSL_set_connect_state(t->ssl);
    if (!server_hostname || !*server_hostname) {
        if (!cio__tls_context_verifies(t->ctx))
            return 0;
        cio__set_error(CIO_EINVAL,
                       "TLS: a verifying client needs the "
                       "server's host name (or a context with no_verify)");
        return CIO_EINVAL;
    }
    t->hostname = cio__strdup(server_hostname);
    if (!t->hostname) {
        cio__set_error(CIO_ENOMEM, "TLS: out of memory");
        return CIO_ENOMEM;
    }
    if (set_peer_name(t, server_hostname) != 0) {
        char reason[160];
        cio__tls_openssl_reason(reason, sizeof reason);
        cio__set_error(CIO_EINVAL,
                       "TLS: invalid server host name '%.100s': "
                       "%s",
                       server_hostname, reason);
        return CIO_EINVAL;
    }
    return 0;
}

cio__tls *cio__tls_new(cio_tls_context *ctx, const char *server_hostname) {
    if (!ctx) {
        cio__set_error(CIO_EINVAL, "TLS: no context");
        return NULL;
    }
    cio__tls *t = calloc(1, sizeof *t);
    if (!t) {
        cio__set_error(CIO_ENOMEM, "TLS: out of memory");
        return NULL;
    }
    t->ctx = cio_tls_context_retain(ctx);
    ERR_clear_error();
    if (setup(t, server_hostname) != 0) {
        if (!t->ssl) { /* else SSL_free frees them */
            BIO_free(t->in);
            BIO_free(t->out);
        }
        cio__tls_free(t);
        return NULL;
    }
    return t;
}

void cio__tls_free(cio__tls *t) {
    if (!t)
        return;
    SSL_free(t->ssl);
    cio_tls_context_release(t->ctx);
    free(t->hostname);
    free(t->subject);
    free(t);
    ERR_clear_error();
}

bool cio__tls_is_server(const cio__tls *t) {
    return cio_tls_context_is_server(t->ctx);
}

int cio__tls_feed(cio__tls *t, const void *data, size_t len) {
    while (len > 0) {
        int chunk = len > (1u << 30) ? 1 << 30 : (int)len;
        if (BIO_write(t->in, data, chunk) != chunk) {
            ERR_clear_error();
            return CIO_ENOMEM;
        }
        data = (const char *)data + chunk;
        len -= (size_t)chunk;
    }
    return 0;
}

void cio__tls_feed_eof(cio__tls *t) {
    BIO_set_mem_eof_return(t->in, 0);
}

size_t cio__tls_out_pending(const cio__tls *t) {
    return BIO_ctrl_pending(t->out);
}

size_t cio__tls_out_take(cio__tls *t, void *buf, size_t cap) {
    size_t n = 0;
    if (cap == 0 || BIO_read_ex(t->out, buf, cap, &n) != 1)
        n = 0;
    return n;
}

/* ---- errors ------------------------------------------------------------ */

static int fail(cio__tls *t, int code, const char *fmt, ...) CIO_PRINTF(3, 4);
static int fail(cio__tls *t, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->message, sizeof t->message, fmt, ap);
    va_end(ap);
    t->error = code;
    ERR_clear_error();
    return code;
}

/* A verification failure, with X509's reason: "certificate verify failed:
 * self-signed certificate", "...: hostname mismatch (...)". */
static int verify_failure(cio__tls *t) {
    long v = SSL_get_verify_result(t->ssl);
    const char *why = X509_verify_cert_error_string(v);
    if (v == X509_V_ERR_HOSTNAME_MISMATCH ||
        v == X509_V_ERR_IP_ADDRESS_MISMATCH)
        return fail(t, CIO_ETLSVERIFY,
                    "certificate verify failed: %s (the "
                    "certificate is not valid for '%.100s')",
                    why, t->hostname ? t->hostname : "");
    return fail(t, CIO_ETLSVERIFY, "certificate verify failed: %s", why);
}

/* Turn a failed SSL_* call's outcome into WANT_INPUT, a clean EOF (0) or
 * an error code with OpenSSL's reason. */
static int map_error(cio__tls *t, int ret) {
    int e = SSL_get_error(t->ssl, ret);
    if (e == SSL_ERROR_WANT_READ) {
        ERR_clear_error();
        return CIO__TLS_WANT_INPUT;
    }
    if (e == SSL_ERROR_ZERO_RETURN) {
        t->got_close = true;
        ERR_clear_error();
        return 0;
    }
    if (e == SSL_ERROR_SSL) {
        unsigned long err = ERR_peek_error();
        int reason = ERR_GET_REASON(err);
        if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED)
            return verify_failure(t);
        char r[200];
        cio__tls_openssl_reason(r, sizeof r);
        if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING)
            return fail(t, CIO_ETLSEOF, "unexpected eof: %s", r);
        return fail(t, CIO_ETLS, "%s", r);
    }
    if (e == SSL_ERROR_SYSCALL) /* the input ended (memory BIOs only) */
        return fail(t, CIO_ETLSEOF,
                    "unexpected eof: the peer closed the "
                    "connection without close_notify");
    return fail(t, CIO_ETLS, "TLS error %d", e);
}

int cio__tls_error(const cio__tls *t) {
    return t->error;
}

const char *cio__tls_message(const cio__tls *t) {
    return t->message;
}

/* ---- the connection ------------------------------------------------------ */

int cio__tls_handshake(cio__tls *t) {
    if (t->error)
        return t->error;
    if (t->handshake_done)
        return 0;
    ERR_clear_error();
    int ret = SSL_do_handshake(t->ssl);
    if (ret == 1) {
        const unsigned char *p = NULL;
        unsigned len = 0;
        SSL_get0_alpn_selected(t->ssl, &p, &len);
        if (p && len < sizeof t->alpn) { /* OpenSSL's copy is unterminated */
            memcpy(t->alpn, p, len);
            t->alpn[len] = '\0';
        }
        t->handshake_done = true;
        return 0;
    }
    int r = map_error(t, ret);
    if (r == 0) /* close_notify during the handshake */
        return fail(t, CIO_ETLSEOF,
                    "unexpected eof: the peer closed the "
                    "connection during the handshake");
    return r;
}

bool cio__tls_handshake_done(const cio__tls *t) {
    return t->handshake_done;
}

long cio__tls_read(cio__tls *t, void *buf, size_t cap) {
    if (t->error)
        return t->error;
    if (!t->handshake_done)
        return fail(t, CIO_EINVALIDSTATE, "TLS read before the handshake");
    if (t->got_close)
        return 0;
    size_t n = 0;
    ERR_clear_error();
    int ret = SSL_read_ex(t->ssl, buf, cap, &n);
    if (ret == 1)
        return (long)n;
    return map_error(t, ret);
}

size_t cio__tls_read_pending(const cio__tls *t) {
    int n = SSL_pending(t->ssl);
    return n > 0 ? (size_t)n : 0;
}

int cio__tls_write(cio__tls *t, const void *data, size_t len) {
    if (t->error)
        return t->error;
    if (!t->handshake_done || t->sent_close) {
        cio__set_error(CIO_EINVALIDSTATE, "TLS write %s",
                       t->sent_close ? "after close_notify"
                                     : "before the handshake");
        return CIO_EINVALIDSTATE;
    }
    if (len == 0)
        return 0;
    size_t n = 0;
    ERR_clear_error();
    int ret = SSL_write_ex(t->ssl, data, len, &n);
    if (ret == 1)
        return 0;
    int r = map_error(t, ret);
    /* The output BIO never fills and renegotiation is off: a write that
     * waits for input means the peer closed or broke the connection. */
    if (r == 0 || r == CIO__TLS_WANT_INPUT)
        return fail(t, CIO_ETLS,
                    "TLS write refused: the connection is "
                    "closing");
    return r;
}

int cio__tls_shutdown(cio__tls *t) {
    if (t->sent_close)
        return 0;
    t->sent_close = true;
    if (!t->handshake_done || t->error)
        return 0; /* nothing to close cleanly */
    ERR_clear_error();
    int ret = SSL_shutdown(t->ssl);
    if (ret >= 0)
        return 0;
    int r = map_error(t, ret);
    return r == CIO__TLS_WANT_INPUT ? 0 : r;
}

bool cio__tls_sent_close_notify(const cio__tls *t) {
    return t->sent_close;
}

bool cio__tls_got_close_notify(const cio__tls *t) {
    return t->got_close;
}

/* ---- what was agreed ----------------------------------------------------- */

const char *cio__tls_version(const cio__tls *t) {
    return t->handshake_done ? SSL_get_version(t->ssl) : NULL;
}

const char *cio__tls_cipher(const cio__tls *t) {
    return t->handshake_done ? SSL_get_cipher_name(t->ssl) : NULL;
}

const char *cio__tls_alpn(const cio__tls *t) {
    return t->handshake_done && t->alpn[0] ? t->alpn : NULL;
}

const char *cio__tls_server_name(const cio__tls *t) {
    /* (the session's copy: a server's is what the client's hello said, a
     * client's what it sent) */
    return t->handshake_done
               ? SSL_get_servername(t->ssl, TLSEXT_NAMETYPE_host_name)
               : NULL;
}

const char *cio__tls_peer_subject(cio__tls *t) {
    if (t->subject || !t->handshake_done)
        return t->subject;
    X509 *cert = SSL_get0_peer_certificate(t->ssl);
    if (!cert)
        return NULL;
    BIO *mem = BIO_new(BIO_s_mem());
    if (!mem)
        return NULL;
    X509_NAME_print_ex(mem, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
    char *data = NULL;
    long len = BIO_get_mem_data(mem, &data);
    t->subject = malloc((size_t)len + 1);
    if (t->subject) {
        memcpy(t->subject, data, (size_t)len);
        t->subject[len] = '\0';
    }
    BIO_free(mem);
    ERR_clear_error();
    return t->subject;
}
