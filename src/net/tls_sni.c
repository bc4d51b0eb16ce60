/* tls_sni.c - a server's identities chosen by the client's server name
 * (SNI), and the loading of password-protected keys.
 *
 * Each identity (certificate, chain, key) is loaded once, when the
 * context is made. The server-name callback, which OpenSSL runs while it
 * reads the ClientHello and before it picks a certificate, puts the
 * matching identity on that one connection (SSL_use_cert_and_key). The
 * connection keeps its context, so verification, ALPN and versions stay
 * the context's: swapping the whole SSL_CTX (SSL_set_SSL_CTX) would also
 * swap the trust store that client certificates are checked against.
 */
#include "net/internal.h"
#include "net/tls_engine.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

typedef struct sni_ident {
    char *name; /* lower or upper case, as given; "*.x" for a wildcard */
    X509 *cert;
    STACK_OF(X509) * chain; /* the rest of the PEM file, or NULL */
    EVP_PKEY *key;
} sni_ident;

struct cio__tls_sni {
    size_t n;
    sni_ident id[];
};

/* Set when OpenSSL asked for a password nobody gave (per thread, as
 * OpenSSL's error queue). */
static CIO_TLS bool password_missing;

bool cio__tls_password_was_missing(void) {
    bool was = password_missing;
    password_missing = false;
    return was;
}

int cio__tls_password_cb(char *buf, int size, int rwflag, void *u) {
    (void)rwflag;
    const char *pw = u;
    if (!pw) {
        password_missing = true;
        return -1; /* never OpenSSL's prompt on the terminal */
    }
    size_t n = strlen(pw);
    if (size < 1 || n >= (size_t)size)
        return -1;
    memcpy(buf, pw, n + 1); /* with its NUL */
    return (int)n;
}

static int load_error(const char *what, const char *file) {
    char reason[200];
    cio__tls_openssl_reason(reason, sizeof reason);
    cio__set_error(CIO_ETLSCONFIG,
                   "cio_tls_context_new: cannot load %s '%s': %s", what, file,
                   reason);
    return CIO_ETLSCONFIG;
}

int cio__tls_key_needs_password(const char *path) {
    ERR_clear_error();
    cio__set_error(CIO_ETLSCONFIG,
                   "cio_tls_context_new: cannot load key file '%s': it is "
                   "encrypted, and no key_password was given",
                   path);
    return CIO_ETLSCONFIG;
}

static FILE *open_pem(const char *what, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        cio__set_error(CIO_ETLSCONFIG,
                       "cio_tls_context_new: cannot load %s '%s': %s", what,
                       path, strerror(errno));
    return f;
}

/* The leaf and the chain after it. */
static int load_chain(sni_ident *id, const char *path) {
    FILE *f = open_pem("certificate file", path);
    if (!f)
        return CIO_ETLSCONFIG;
    int rc = 0;
    id->cert = PEM_read_X509(f, NULL, NULL, NULL);
    if (!id->cert)
        rc = load_error("certificate file", path);
    X509 *x;
    while (rc == 0 && (x = PEM_read_X509(f, NULL, NULL, NULL))) {
        if ((!id->chain && !(id->chain = sk_X509_new_null())) ||
            !sk_X509_push(id->chain, x)) {
            X509_free(x);
            rc = load_error("certificate file", path);
        }
    }
    ERR_clear_error(); /* the end of the file reads as "no start line" */
    fclose(f);
    return rc;
}

static int load_key(sni_ident *id, const char *path, const char *password) {
    FILE *f = open_pem("key file", path);
    if (!f)
        return CIO_ETLSCONFIG;
    cio__tls_password_was_missing();
    id->key =
        PEM_read_PrivateKey(f, NULL, cio__tls_password_cb, (void *)password);
    fclose(f);
    if (!id->key && cio__tls_password_was_missing())
        return cio__tls_key_needs_password(path);
    if (!id->key)
        return load_error("key file", path);
    if (X509_check_private_key(id->cert, id->key) != 1) {
        ERR_clear_error();
        cio__set_error(CIO_ETLSCONFIG,
                       "cio_tls_context_new: key file '%s' does not match "
                       "the certificate of '%s'",
                       path, id->name);
        return CIO_ETLSCONFIG;
    }
    return 0;
}

static int load_ident(sni_ident *id, const cio_tls_sni_cert *e,
                      const char *password) {
    if (!e->server_name || !e->server_name[0] || !e->cert_file) {
        cio__set_error(CIO_EINVAL, "cio_tls_context_new: an SNI entry needs "
                                   "server_name and cert_file");
        return CIO_EINVAL;
    }
    if (!(id->name = strdup(e->server_name))) {
        cio__set_error(CIO_ENOMEM, "cio_tls_context_new: out of memory");
        return CIO_ENOMEM;
    }
    int rc = load_chain(id, e->cert_file);
    if (rc == 0)
        rc = load_key(id, e->key_file ? e->key_file : e->cert_file,
                      e->key_password ? e->key_password : password);
    return rc;
}

void cio__tls_sni_free(cio__tls_sni *t) {
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->id[i].name);
        X509_free(t->id[i].cert);
        sk_X509_pop_free(t->id[i].chain, X509_free);
        EVP_PKEY_free(t->id[i].key);
    }
    free(t);
}

int cio__tls_sni_load(const cio_tls_options *o, cio__tls_sni **out) {
    *out = NULL;
    if (!o->sni_count)
        return 0;
    if (!o->sni_certs || !o->server) {
        cio__set_error(CIO_EINVAL, "cio_tls_context_new: %s",
                       !o->server ? "SNI identities are for a server context"
                                  : "sni_count without sni_certs");
        return CIO_EINVAL;
    }
    cio__tls_sni *t = calloc(1, sizeof *t + o->sni_count * sizeof t->id[0]);
    if (!t) {
        cio__set_error(CIO_ENOMEM, "cio_tls_context_new: out of memory");
        return CIO_ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i < o->sni_count && rc == 0; i++, t->n++)
        rc = load_ident(&t->id[i], &o->sni_certs[i], o->key_password);
    if (rc < 0) {
        cio__tls_sni_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* "*.example" matches one label before ".example"; other names match
 * exactly; both without case, as DNS names compare. */
static bool name_matches(const char *pattern, const char *name) {
    if (pattern[0] == '*' && pattern[1] == '.') {
        const char *dot = strchr(name, '.');
        return dot && dot != name && strcasecmp(dot, pattern + 1) == 0;
    }
    return strcasecmp(pattern, name) == 0;
}

/* OpenSSL's server-name callback: the identity for the name asked. */
static int on_servername(SSL *ssl, int *alert, void *arg) {
    const cio__tls_sni *t = arg;
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (!name)
        return SSL_TLSEXT_ERR_NOACK; /* no name: the default identity */
    for (size_t i = 0; i < t->n; i++) {
        const sni_ident *id = &t->id[i];
        if (!name_matches(id->name, name))
            continue;
        if (SSL_use_cert_and_key(ssl, id->cert, id->key, id->chain, 1) != 1) {
            *alert = SSL_AD_INTERNAL_ERROR;
            return SSL_TLSEXT_ERR_ALERT_FATAL;
        }
        return SSL_TLSEXT_ERR_OK;
    }
    return SSL_TLSEXT_ERR_NOACK; /* unknown name: the default identity */
}

void cio__tls_sni_install(SSL_CTX *ssl, cio__tls_sni *t) {
    if (!t)
        return;
    SSL_CTX_set_tlsext_servername_callback(ssl, on_servername);
    SSL_CTX_set_tlsext_servername_arg(ssl, t);
}
