/* tls_certs.c - test certificates made with the OpenSSL API, and openssl
 * CLI peers started and stopped by pid (see tls_helpers.h). */
#include "tls_helpers.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct cert_spec {
    const char *cn;
    const char *san; /* subjectAltName value, or NULL */
    const char *eku; /* extendedKeyUsage value, or NULL */
    bool ca;
    long from, until; /* validity, seconds from now */
} cert_spec;

static bool add_ext(X509 *cert, X509 *issuer, int nid, const char *value) {
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (!ext)
        return false;
    bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

static bool write_pem(const char *path, X509 *cert, EVP_PKEY *key) {
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    bool ok =
        cert ? PEM_write_X509(f, cert) == 1
             : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
    return fclose(f) == 0 && ok;
}

static bool fill_cert(X509 *cert, const cert_spec *s, EVP_PKEY *key,
                      X509 *issuer, EVP_PKEY *issuer_key) {
    static long serial = 1;
    X509 *iss = issuer ? issuer : cert;
    X509_NAME *name = X509_get_subject_name(cert);
    bool ok =
        X509_set_version(cert, 2) == 1 &&
        ASN1_INTEGER_set(X509_get_serialNumber(cert),
                         (long)time(NULL) % 100000 * 100 + serial++) == 1 &&
        X509_gmtime_adj(X509_getm_notBefore(cert), s->from) &&
        X509_gmtime_adj(X509_getm_notAfter(cert), s->until) &&
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   (const unsigned char *)"cio test", -1, -1,
                                   0) == 1 &&
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   (const unsigned char *)s->cn, -1, -1,
                                   0) == 1 &&
        X509_set_issuer_name(cert, X509_get_subject_name(iss)) == 1 &&
        X509_set_pubkey(cert, key) == 1;
    ok = ok && add_ext(cert, iss, NID_subject_key_identifier, "hash");
    if (s->ca)
        ok = ok &&
             add_ext(cert, iss, NID_basic_constraints, "critical,CA:TRUE") &&
             add_ext(cert, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
    else
        ok = ok && add_ext(cert, iss, NID_basic_constraints, "CA:FALSE") &&
             add_ext(cert, iss, NID_key_usage,
                     "critical,digitalSignature,keyEncipherment");
    if (issuer)
        ok = ok && add_ext(cert, iss, NID_authority_key_identifier, "keyid");
    if (s->san)
        ok = ok && add_ext(cert, iss, NID_subject_alt_name, s->san);
    if (s->eku)
        ok = ok && add_ext(cert, iss, NID_ext_key_usage, s->eku);
    return ok &&
           X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()) > 0;
}

/* dir/name.pem and dir/name.key; *cert_out / *key_out keep them (for
 * signing others) if not NULL. */
static bool make(tls_certs *c, const char *name, const cert_spec *s,
                 X509 *issuer, EVP_PKEY *issuer_key, char *cert_path,
                 char *key_path, X509 **cert_out, EVP_PKEY **key_out) {
    snprintf(cert_path, TLS_PATH, "%s/%s.pem", c->dir, name);
    snprintf(key_path, TLS_PATH, "%s/%s.key", c->dir, name);
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    bool ok = key && cert && fill_cert(cert, s, key, issuer, issuer_key) &&
              write_pem(cert_path, cert, NULL) &&
              write_pem(key_path, NULL, key);
    if (ok && cert_out) {
        *cert_out = cert;
        cert = NULL;
    }
    if (ok && key_out) {
        *key_out = key;
        key = NULL;
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    if (!ok) {
        fprintf(stderr, "tls_certs_make: cannot make %s: %s\n", name,
                ERR_reason_error_string(ERR_peek_error()));
        ERR_clear_error();
    }
    return ok;
}

/* The key again, encrypted with TLS_KEY_PASSWORD. */
static bool write_enc_key(const char *path, EVP_PKEY *key) {
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    static const char pw[] = TLS_KEY_PASSWORD;
    bool ok = PEM_write_PrivateKey(f, key, EVP_aes_256_cbc(),
                                   (const unsigned char *)pw,
                                   (int)sizeof pw - 1, NULL, NULL) == 1;
    return fclose(f) == 0 && ok;
}

/* ca's CRL (valid from yesterday for 30 days) revoking `revoked` (NULL:
 * none), written to path or (mode "a") after what path holds. */
static bool write_crl(const char *path, const char *mode, X509 *ca,
                      EVP_PKEY *ca_key, X509 *revoked) {
    X509_CRL *crl = X509_CRL_new();
    X509_REVOKED *r = X509_REVOKED_new();
    ASN1_TIME *last = X509_gmtime_adj(NULL, -86400);
    ASN1_TIME *next = X509_gmtime_adj(NULL, 30 * 86400);
    bool ok = crl && r && last && next && X509_CRL_set_version(crl, 1) &&
              X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) &&
              X509_CRL_set1_lastUpdate(crl, last) &&
              X509_CRL_set1_nextUpdate(crl, next);
    if (ok && revoked) {
        ok = X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(revoked)) &&
             X509_REVOKED_set_revocationDate(r, last) &&
             X509_CRL_add0_revoked(crl, r);
        if (ok)
            r = NULL; /* the CRL's now */
    }
    ok = ok && X509_CRL_sort(crl) &&
         X509_CRL_sign(crl, ca_key, EVP_sha256()) > 0;
    FILE *f = ok ? fopen(path, mode) : NULL;
    ok = f && PEM_write_X509_CRL(f, crl) == 1;
    if (f && fclose(f) != 0)
        ok = false;
    X509_REVOKED_free(r);
    X509_CRL_free(crl);
    ASN1_TIME_free(last);
    ASN1_TIME_free(next);
    return ok;
}

/* dst, then src's bytes after it. */
static bool append_file(const char *dst, const char *src) {
    FILE *in = fopen(src, "r");
    FILE *out = in ? fopen(dst, "a") : NULL;
    bool ok = in && out;
    char buf[4096];
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        ok = false;
    return ok;
}

/* An intermediate CA under ca, a client it signed (its file carries the
 * intermediate after it, as a client sends its chain), and a CRL file:
 * ca's list revoking the intermediate, then the intermediate's, empty. */
static bool make_chain(tls_certs *c, X509 *ca_cert, EVP_PKEY *ca_key) {
    const long day = 86400;
    cert_spec inter = {"cio intermediate CA", NULL, NULL, true, -day, 30 * day};
    cert_spec leaf = {
        "cio chained client", NULL, "clientAuth", false, -day, 30 * day};
    X509 *inter_cert = NULL;
    EVP_PKEY *inter_key = NULL;
    bool ok = make(c, "inter_ca", &inter, ca_cert, ca_key, c->inter_ca,
                   c->inter_ca_key, &inter_cert, &inter_key) &&
              make(c, "chained", &leaf, inter_cert, inter_key, c->chained,
                   c->chained_key, NULL, NULL) &&
              append_file(c->chained, c->inter_ca);
    if (ok) {
        snprintf(c->chain_crl, TLS_PATH, "%s/chain.crl", c->dir);
        ok = write_crl(c->chain_crl, "w", ca_cert, ca_key, inter_cert) &&
             write_crl(c->chain_crl, "a", inter_cert, inter_key, NULL);
    }
    X509_free(inter_cert);
    EVP_PKEY_free(inter_key);
    return ok;
}

int tls_certs_make(tls_certs *c) {
    memset(c, 0, sizeof *c);
    const char *tmp = getenv("TMPDIR");
    snprintf(c->dir, sizeof c->dir, "%s/cio-tls-XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(c->dir)) {
        perror("tls_certs_make: mkdtemp");
        return -1;
    }
    const long day = 86400;
    const char *names = "DNS:localhost,IP:127.0.0.1";
    cert_spec ca = {"cio test CA", NULL, NULL, true, -day, 30 * day};
    cert_spec other = {"cio other CA", NULL, NULL, true, -day, 30 * day};
    cert_spec server = {"localhost", names, "serverAuth",
                        false,       -day,  30 * day};
    cert_spec expired = {"localhost", names,    "serverAuth",
                         false,       -3 * day, -2 * day};
    cert_spec client = {"cio client", NULL, "clientAuth",
                        false,        -day, 30 * day};
    cert_spec beta = {"beta.test",  "DNS:beta.test,DNS:*.wild.test",
                      "serverAuth", false,
                      -day,         30 * day};
    cert_spec revoked = {
        "cio revoked client", NULL, "clientAuth", false, -day, 30 * day};
    X509 *ca_cert = NULL, *revoked_cert = NULL;
    EVP_PKEY *ca_key = NULL, *server_key = NULL;
    bool ok =
        make(c, "ca", &ca, NULL, NULL, c->ca, c->ca_key, &ca_cert, &ca_key) &&
        make(c, "other_ca", &other, NULL, NULL, c->other_ca, c->other_ca_key,
             NULL, NULL) &&
        make(c, "server", &server, ca_cert, ca_key, c->server, c->server_key,
             NULL, &server_key) &&
        make(c, "expired", &expired, ca_cert, ca_key, c->expired,
             c->expired_key, NULL, NULL) &&
        make(c, "selfsigned", &server, NULL, NULL, c->selfsigned,
             c->selfsigned_key, NULL, NULL) &&
        make(c, "client", &client, ca_cert, ca_key, c->client, c->client_key,
             NULL, NULL) &&
        make(c, "beta", &beta, ca_cert, ca_key, c->beta, c->beta_key, NULL,
             NULL) &&
        make(c, "revoked", &revoked, ca_cert, ca_key, c->revoked,
             c->revoked_key, &revoked_cert, NULL);
    if (ok) {
        snprintf(c->crl, TLS_PATH, "%s/ca.crl", c->dir);
        snprintf(c->server_key_enc, TLS_PATH, "%s/server_enc.key", c->dir);
        ok = write_crl(c->crl, "w", ca_cert, ca_key, revoked_cert) &&
             write_enc_key(c->server_key_enc, server_key) &&
             make_chain(c, ca_cert, ca_key);
        if (!ok)
            fprintf(stderr, "tls_certs_make: cannot make the CRLs, the "
                            "encrypted key or the chain\n");
    }
    X509_free(ca_cert);
    X509_free(revoked_cert);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(server_key);
    if (!ok) {
        tls_certs_remove(c);
        return -1;
    }
    return 0;
}

void tls_certs_remove(tls_certs *c) {
    const char *files[] = {
        c->ca,      c->ca_key,         c->server,     c->server_key,
        c->expired, c->expired_key,    c->selfsigned, c->selfsigned_key,
        c->client,  c->client_key,     c->other_ca,   c->other_ca_key,
        c->beta,    c->beta_key,       c->revoked,    c->revoked_key,
        c->crl,     c->server_key_enc, c->inter_ca,   c->inter_ca_key,
        c->chained, c->chained_key,    c->chain_crl};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (files[i][0])
            unlink(files[i]);
    if (c->dir[0])
        rmdir(c->dir);
    c->dir[0] = '\0';
}

/* ---- peers ----------------------------------------------------------------
 */

bool tls_have_openssl_cli(void) {
    return system("openssl version >/dev/null 2>&1") == 0;
}

int tls_free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static double now_mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

bool tls_peer_wait_for(tls_peer *p, const char *text, double timeout) {
    double end = now_mono() + timeout;
    for (;;) {
        p->seen[p->nseen] = '\0';
        if (strstr(p->seen, text))
            return true;
        double left = end - now_mono();
        if (left <= 0 || p->nseen + 1 >= sizeof p->seen)
            return false;
        struct pollfd pfd = {.fd = p->out, .events = POLLIN};
        int r = poll(&pfd, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        ssize_t n =
            read(p->out, p->seen + p->nseen, sizeof p->seen - 1 - p->nseen);
        if (n <= 0)
            return false;
        p->nseen += (size_t)n;
    }
}

int tls_peer_start(tls_peer *p, char *const argv[], const char *ready,
                   double timeout) {
    int in[2], out[2];
    memset(p, 0, sizeof *p);
    p->pid = -1;
    if (pipe2(in, O_CLOEXEC) != 0)
        return -1;
    if (pipe2(out, O_CLOEXEC) != 0) {
        close(in[0]);
        close(in[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(out[1], 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    p->pid = pid;
    p->in = in[1];
    p->out = out[0];
    if (pid < 0) {
        tls_peer_stop(p);
        return -1;
    }
    if (ready && !tls_peer_wait_for(p, ready, timeout)) {
        fprintf(stderr, "tls_peer_start: %s did not print '%s'; it said:\n%s\n",
                argv[1] ? argv[1] : argv[0], ready, p->seen);
        tls_peer_stop(p);
        return -1;
    }
    return 0;
}

void tls_peer_stop(tls_peer *p) {
    if (p->pid > 0) {
        kill(p->pid, SIGTERM);
        waitpid(p->pid, NULL, 0);
    }
    if (p->in > 0)
        close(p->in);
    if (p->out > 0)
        close(p->out);
    p->pid = -1;
    p->in = p->out = -1;
}
