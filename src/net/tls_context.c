/* tls_context.c - cio_tls_context: an SSL_CTX made from cio_tls_options. */
#include "net/internal.h"
#include "net/tls_engine.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct cio_tls_context {
    cio__tls_head head; /* first: how net starts TLS (net/internal.h) */
    atomic_uint refs;
    SSL_CTX *ssl;
    bool server;
    bool verify;
    unsigned char *alpn; /* wire format (length-prefixed names) or NULL */
    unsigned alpn_len;
    cio__tls_sni *sni; /* a server's identities by name, or NULL */
};

SSL_CTX *cio__tls_context_ssl(const cio_tls_context *ctx) {
    return ctx->ssl;
}

bool cio__tls_context_verifies(const cio_tls_context *ctx) {
    return ctx->verify;
}

/* OpenSSL's reason for the oldest error in the thread's queue (the root
 * cause; later entries are the callers that passed it on), then the
 * queue is emptied. */
void cio__tls_openssl_reason(char *buf, size_t cap) {
    unsigned long e = ERR_peek_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    if (r)
        snprintf(buf, cap, "%s", r);
    else if (e)
        snprintf(buf, cap, "OpenSSL error %lu", e);
    else
        snprintf(buf, cap, "unknown OpenSSL error");
    ERR_clear_error();
}

static int config_error(const char *what, const char *file) {
    char reason[200];
    cio__tls_openssl_reason(reason, sizeof reason);
    if (file)
        cio__set_error(CIO_ETLSCONFIG,
                       "cio_tls_context_new: cannot load %s "
                       "'%s': %s",
                       what, file, reason);
    else
        cio__set_error(CIO_ETLSCONFIG, "cio_tls_context_new: %s: %s", what,
                       reason);
    return CIO_ETLSCONFIG;
}

/* A file OpenSSL would fail on with a vague "system lib": say why. */
static int check_readable(const char *what, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        int err = errno;
        cio__set_error(CIO_ETLSCONFIG,
                       "cio_tls_context_new: cannot load %s "
                       "'%s': %s",
                       what, path, strerror(err));
        return CIO_ETLSCONFIG;
    }
    fclose(f);
    return 0;
}

/* OpenSSL reads a CA directory lazily: check now that it is one. */
static int check_directory(const char *path) {
    struct stat st;
    const char *why = NULL;
    if (stat(path, &st) != 0)
        why = strerror(errno);
    else if (!S_ISDIR(st.st_mode))
        why = "not a directory";
    if (!why)
        return 0;
    cio__set_error(CIO_ETLSCONFIG,
                   "cio_tls_context_new: cannot use CA "
                   "directory '%s': %s",
                   path, why);
    return CIO_ETLSCONFIG;
}

static int build_alpn(cio_tls_context *ctx, const char *const *names) {
    size_t total = 0;
    for (const char *const *p = names; *p; p++) {
        size_t n = strlen(*p);
        if (n == 0 || n > 255) {
            cio__set_error(CIO_EINVAL,
                           "cio_tls_context_new: ALPN protocol "
                           "names are 1 to 255 bytes ('%.40s' is %zu)",
                           *p, n);
            return CIO_EINVAL;
        }
        total += 1 + n;
    }
    if (total == 0 || total > 65535) {
        cio__set_error(CIO_EINVAL, "cio_tls_context_new: the ALPN list is "
                                   "empty or longer than 65535 bytes");
        return CIO_EINVAL;
    }
    ctx->alpn = malloc(total);
    if (!ctx->alpn) {
        cio__set_error(CIO_ENOMEM, "cio_tls_context_new: out of memory");
        return CIO_ENOMEM;
    }
    unsigned char *w = ctx->alpn;
    for (const char *const *p = names; *p; p++) {
        size_t n = strlen(*p);
        *w++ = (unsigned char)n;
        memcpy(w, *p, n);
        w += n;
    }
    ctx->alpn_len = (unsigned)total;
    return 0;
}

/* Server: the first of our protocols the client offers; none in common
 * goes on without ALPN (as Python's ssl module does). */
static int alpn_select(SSL *ssl, const unsigned char **out,
                       unsigned char *outlen, const unsigned char *in,
                       unsigned inlen, void *arg) {
    (void)ssl;
    const cio_tls_context *ctx = arg;
    unsigned char *chosen = NULL;
    if (SSL_select_next_proto(&chosen, outlen, ctx->alpn, ctx->alpn_len, in,
                              inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

static int set_versions(cio_tls_context *ctx, const cio_tls_options *o) {
    int min = o->min_version ? (int)o->min_version : TLS1_2_VERSION;
    int max = (int)o->max_version;
    bool ok_min = min == TLS1_2_VERSION || min == TLS1_3_VERSION;
    bool ok_max = max == 0 || max == TLS1_2_VERSION || max == TLS1_3_VERSION;
    if (!ok_min || !ok_max || (max && max < min)) {
        cio__set_error(CIO_EINVAL,
                       "cio_tls_context_new: versions must be "
                       "TLS 1.2 or 1.3, with max_version >= min_version "
                       "(min 0x%x, max 0x%x)",
                       (unsigned)o->min_version, (unsigned)o->max_version);
        return CIO_EINVAL;
    }
    if (!SSL_CTX_set_min_proto_version(ctx->ssl, min) ||
        !SSL_CTX_set_max_proto_version(ctx->ssl, max))
        return config_error("protocol versions", NULL);
    return 0;
}

static int load_identity(cio_tls_context *ctx, const cio_tls_options *o) {
    if (!o->cert_file) {
        if (!o->key_file)
            return 0;
        cio__set_error(CIO_EINVAL, "cio_tls_context_new: key_file without "
                                   "cert_file");
        return CIO_EINVAL;
    }
    const char *key = o->key_file ? o->key_file : o->cert_file;
    int err = check_readable("certificate file", o->cert_file);
    if (!err)
        err = check_readable("key file", key);
    if (err)
        return err;
    /* the key's password, if any; without one OpenSSL would prompt */
    SSL_CTX_set_default_passwd_cb(ctx->ssl, cio__tls_password_cb);
    SSL_CTX_set_default_passwd_cb_userdata(ctx->ssl, (void *)o->key_password);
    if (SSL_CTX_use_certificate_chain_file(ctx->ssl, o->cert_file) != 1)
        return config_error("certificate file", o->cert_file);
    /* (this also checks that the key matches the certificate) */
    cio__tls_password_was_missing();
    int ok = SSL_CTX_use_PrivateKey_file(ctx->ssl, key, SSL_FILETYPE_PEM);
    /* the password is not kept: the options' string may go away */
    SSL_CTX_set_default_passwd_cb_userdata(ctx->ssl, NULL);
    if (ok != 1 && cio__tls_password_was_missing())
        return cio__tls_key_needs_password(key);
    if (ok != 1)
        return config_error("key file", key);
    return 0;
}

static int load_trust(cio_tls_context *ctx, const cio_tls_options *o) {
    if (!o->ca_file && !o->ca_dir) {
        /* honours SSL_CERT_FILE and SSL_CERT_DIR */
        if (SSL_CTX_set_default_verify_paths(ctx->ssl) != 1)
            return config_error("the system's trust store", NULL);
        return 0;
    }
    int err = o->ca_file ? check_readable("CA file", o->ca_file) : 0;
    if (!err && o->ca_dir)
        err = check_directory(o->ca_dir);
    if (err)
        return err;
    if (SSL_CTX_load_verify_locations(ctx->ssl, o->ca_file, o->ca_dir) != 1)
        return config_error(o->ca_file ? "CA file" : "CA directory",
                            o->ca_file ? o->ca_file : o->ca_dir);
    if (ctx->server && o->ca_file) {
        /* the CAs a server names when it asks for a client certificate */
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(o->ca_file);
        if (names)
            SSL_CTX_set_client_CA_list(ctx->ssl, names);
        ERR_clear_error();
    }
    return 0;
}

/* Revocation lists for the peer's certificate (its own, or with `chain`
 * every certificate of its chain). */
static int load_crls(cio_tls_context *ctx, const char *path, bool chain) {
    if (!ctx->verify) {
        cio__set_error(CIO_EINVAL, "cio_tls_context_new: crl_file on a "
                                   "context that does not verify its peer");
        return CIO_EINVAL;
    }
    int err = check_readable("CRL file", path);
    if (err)
        return err;
    X509_STORE *store = SSL_CTX_get_cert_store(ctx->ssl);
    X509_LOOKUP *lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
    if (!lookup || X509_load_crl_file(lookup, path, X509_FILETYPE_PEM) <= 0)
        return config_error("CRL file", path);
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK |
                                    (chain ? X509_V_FLAG_CRL_CHECK_ALL : 0));
    return 0;
}

static int set_verify(cio_tls_context *ctx, const cio_tls_options *o) {
    int mode = SSL_VERIFY_NONE;
    if (ctx->server) {
        if (o->client_cert == CIO_TLS_CLIENT_CERT_OPTIONAL)
            mode = SSL_VERIFY_PEER;
        else if (o->client_cert == CIO_TLS_CLIENT_CERT_REQUIRED)
            mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        else if (o->client_cert != CIO_TLS_CLIENT_CERT_NONE) {
            cio__set_error(CIO_EINVAL,
                           "cio_tls_context_new: client_cert %d "
                           "is not a cio_tls_client_cert",
                           (int)o->client_cert);
            return CIO_EINVAL;
        }
    } else if (!o->no_verify) {
        mode = SSL_VERIFY_PEER;
    }
    ctx->verify = mode != SSL_VERIFY_NONE;
    SSL_CTX_set_verify(ctx->ssl, mode, NULL);
    int err = ctx->verify ? load_trust(ctx, o) : 0;
    if (!err && o->crl_check_chain && !o->crl_file) {
        cio__set_error(CIO_EINVAL, "cio_tls_context_new: crl_check_chain "
                                   "without a crl_file");
        err = CIO_EINVAL;
    }
    if (!err && o->crl_file)
        err = load_crls(ctx, o->crl_file, o->crl_check_chain);
    return err;
}

static int set_ciphers(cio_tls_context *ctx, const cio_tls_options *o) {
    if (o->ciphers && SSL_CTX_set_cipher_list(ctx->ssl, o->ciphers) != 1)
        return config_error("cipher list", o->ciphers);
    if (o->ciphersuites &&
        SSL_CTX_set_ciphersuites(ctx->ssl, o->ciphersuites) != 1)
        return config_error("TLS 1.3 cipher suites", o->ciphersuites);
    return 0;
}

static int configure(cio_tls_context *ctx, const cio_tls_options *o) {
    int err = set_versions(ctx, o);
    if (!err)
        err = set_ciphers(ctx, o);
    if (!err)
        err = load_identity(ctx, o);
    if (!err && ctx->server && !o->cert_file) {
        cio__set_error(CIO_EINVAL, "cio_tls_context_new: a server context "
                                   "needs cert_file (and key_file)");
        err = CIO_EINVAL;
    }
    if (!err)
        err = set_verify(ctx, o);
    if (!err && o->alpn)
        err = build_alpn(ctx, o->alpn);
    if (!err)
        err = cio__tls_sni_load(o, &ctx->sni);
    if (err)
        return err;
    cio__tls_sni_install(ctx->ssl, ctx->sni);
    if (ctx->alpn && ctx->server)
        SSL_CTX_set_alpn_select_cb(ctx->ssl, alpn_select, ctx);
    else if (ctx->alpn &&
             SSL_CTX_set_alpn_protos(ctx->ssl, ctx->alpn, ctx->alpn_len) != 0)
        return config_error("ALPN list", NULL);
    /* Renegotiation would let the peer make a write wait for a read; idle
     * connections give their record buffers back. */
    SSL_CTX_set_options(ctx->ssl, SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(ctx->ssl, SSL_MODE_RELEASE_BUFFERS);
    if (ctx->server) {
        static const unsigned char sid[] = "cio";
        SSL_CTX_set_session_id_context(ctx->ssl, sid, sizeof sid - 1);
    }
    return 0;
}

cio_tls_context *cio_tls_context_new(const cio_tls_options *opts) {
    static const cio_tls_options defaults;
    const cio_tls_options *o = opts ? opts : &defaults;
    cio_tls_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        cio__set_error(CIO_ENOMEM, "cio_tls_context_new: out of memory");
        return NULL;
    }
    ctx->head = cio__tls_stream_head;
    atomic_init(&ctx->refs, 1);
    ctx->server = o->server;
    ERR_clear_error();
    ctx->ssl =
        SSL_CTX_new(o->server ? TLS_server_method() : TLS_client_method());
    if (!ctx->ssl) {
        config_error("SSL_CTX_new", NULL);
        free(ctx);
        return NULL;
    }
    if (configure(ctx, o) != 0) {
        ERR_clear_error();
        SSL_CTX_free(ctx->ssl);
        cio__tls_sni_free(ctx->sni);
        free(ctx->alpn);
        free(ctx);
        return NULL;
    }
    return ctx;
}

cio_tls_context *cio_tls_context_retain(cio_tls_context *ctx) {
    if (ctx)
        atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed);
    return ctx;
}

void cio_tls_context_release(cio_tls_context *ctx) {
    if (!ctx ||
        atomic_fetch_sub_explicit(&ctx->refs, 1, memory_order_acq_rel) != 1)
        return;
    SSL_CTX_free(ctx->ssl);
    cio__tls_sni_free(ctx->sni);
    free(ctx->alpn);
    free(ctx);
}

bool cio_tls_context_is_server(const cio_tls_context *ctx) {
    return ctx && ctx->server;
}

void *cio_tls_context_ssl_ctx(cio_tls_context *ctx) {
    return ctx ? ctx->ssl : NULL;
}
