/* cio/tls.h - TLS contexts: the settings that TLS connections share.
 *
 * A context is what Python's ssl.SSLContext is: certificates, keys, trust,
 * protocol versions, ALPN, made once and shared by every connection that
 * uses it (cio/net.h takes one in its connect, server and start_tls
 * options). It wraps an OpenSSL 3 SSL_CTX.
 *
 *     cio_tls_context *tls = cio_tls_context_new(&(cio_tls_options){
 *         .alpn = (const char *const[]){"http/1.1", NULL}});
 *     ... connect with .tls = tls ...
 *     cio_tls_context_release(tls);
 *
 * A client context verifies by default: the peer's chain against the
 * system's trust store (OpenSSL's default paths, which honour the
 * environment variables SSL_CERT_FILE and SSL_CERT_DIR, as Python does),
 * and the peer's name against the host name the connection is made to.
 * Turning that off takes an explicit `no_verify`.
 *
 * OWNERSHIP follows cio/core.h: cio_tls_context_new hands the caller one
 * reference, given back with cio_tls_context_release. A connection keeps a
 * reference of its own for as long as it lives, and a server for as long as
 * it lives, so the caller may release its reference as soon as it has
 * started its connections or its server. Unlike loop
 * objects, a context is not bound to a thread: its reference count is
 * atomic and OpenSSL lets connections of many threads share one SSL_CTX.
 */
#ifndef CIO_TLS_H
#define CIO_TLS_H

#include "core.h"
#include "net.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_tls_context cio_tls_context;

/* Protocol versions for cio_tls_options.min_version / max_version. */
typedef enum cio_tls_version {
    CIO_TLS_VERSION_DEFAULT = 0, /* min: TLS 1.2; max: the newest (TLS 1.3) */
    CIO_TLS_VERSION_1_2 = 0x0303,
    CIO_TLS_VERSION_1_3 = 0x0304
} cio_tls_version;

/* What a server asks of its clients' certificates. */
typedef enum cio_tls_client_cert {
    CIO_TLS_CLIENT_CERT_NONE = 0, /* do not ask for one (the default) */
    CIO_TLS_CLIENT_CERT_OPTIONAL, /* ask; verify one if it is sent */
    CIO_TLS_CLIENT_CERT_REQUIRED  /* ask, and refuse a client without one */
} cio_tls_client_cert;

/* A server identity chosen by the name a client asks for (SNI), for
 * cio_tls_options.sni_certs. */
typedef struct cio_tls_sni_cert {
    /* The host name it serves, compared without case: "beta.example",
     * or a wildcard "*.example" (one label: "a.example", not "example"
     * nor "a.b.example"). */
    const char *server_name;
    /* Its certificate chain (PEM, leaf first) and private key (PEM;
     * NULL: in cert_file), as cio_tls_options' cert_file / key_file. */
    const char *cert_file;
    const char *key_file;
    /* The key's password; NULL: cio_tls_options.key_password. */
    const char *key_password;
} cio_tls_sni_cert;

/* Settings of a context. Zero is the default for every field, so a client
 * needs no options at all (cio_tls_context_new(NULL)). Strings are copied
 * or loaded by cio_tls_context_new; nothing is kept. */
typedef struct cio_tls_options {
    /* A server context (accepting side) instead of a client context. */
    bool server;

    /* Certificate chain (PEM, leaf first) and its private key (PEM): a
     * server's identity (required for a server), or a client certificate
     * (optional for a client). key_file NULL: the key is in cert_file. */
    const char *cert_file;
    const char *key_file;

    /* Trust: CA certificates (a PEM file, and/or a directory prepared with
     * `openssl rehash`) to verify the peer with. When both are NULL the
     * system's store is used (see the top of this file). */
    const char *ca_file;
    const char *ca_dir;

    /* Client: turn verification OFF (no chain check, no host name check).
     * Only for tests and peers you reach over a channel you trust. */
    bool no_verify;

    /* Server: whether to ask clients for a certificate (verified against
     * ca_file / ca_dir, or the system store). */
    cio_tls_client_cert client_cert;

    /* ALPN protocols, most preferred first, as a NULL-terminated array
     * ("h2", "http/1.1"). A client offers them; a server picks the first of
     * its list the client also offers, and goes on without ALPN if there is
     * none in common (as Python does). Each name is 1 to 255 bytes. */
    const char *const *alpn;

    /* Protocol versions; TLS 1.2 is the lowest cio allows. */
    cio_tls_version min_version;
    cio_tls_version max_version;

    /* OpenSSL cipher lists: `ciphers` for TLS 1.2 ("ECDHE+AESGCM"),
     * `ciphersuites` for TLS 1.3 ("TLS_AES_128_GCM_SHA256"); NULL keeps
     * OpenSSL's defaults. */
    const char *ciphers;
    const char *ciphersuites;

    /* The password of an encrypted PEM private key (key_file's, or
     * cert_file's when the key is in it). NULL: the key is not encrypted.
     * A wrong password fails with CIO_ETLSCONFIG ("cannot load key file
     * 'k.pem': bad decrypt"), and so does an encrypted key without one
     * ("... it is encrypted, and no key_password was given"): cio never
     * asks on the terminal, as OpenSSL does by default. The string is not
     * kept. */
    const char *key_password;

    /* Server: more identities, chosen by the name the client sends (SNI),
     * each loaded (and its key checked against its certificate) by
     * cio_tls_context_new. The first entry whose server_name matches
     * wins; a client that sends no name, or a name no entry matches, gets
     * cert_file's identity. The rest of the handshake (the check of
     * client certificates, ALPN, versions) is the context's, whichever
     * identity is chosen. sni_count entries; CIO_EINVAL for a client
     * context, an entry without server_name or cert_file, or sni_count
     * without sni_certs. */
    const cio_tls_sni_cert *sni_certs;
    size_t sni_count;

    /* Certificate revocation lists (a PEM file, one or more CRLs) to check
     * the peer's certificate against: a server's clients (client_cert
     * OPTIONAL or REQUIRED), a client's server. The peer's own certificate
     * is checked (X509_V_FLAG_CRL_CHECK): one listed fails the handshake
     * with CIO_ETLSVERIFY ("certificate verify failed: certificate
     * revoked"; the peer gets the alert "certificate revoked"), and so
     * does one whose issuer has no CRL in the file ("unable to get
     * certificate CRL"). CIO_EINVAL on a context that does not verify its
     * peer; CIO_ETLSCONFIG when the file holds no CRL. */
    const char *crl_file;
    /* With crl_file: check every certificate of the peer's chain, not only
     * the peer's own (X509_V_FLAG_CRL_CHECK_ALL; Python's
     * VERIFY_CRL_CHECK_CHAIN): a revoked intermediate CA fails the
     * handshake too, and every CA of the chain then needs its CRL in the
     * file. CIO_EINVAL without crl_file. */
    bool crl_check_chain;
} cio_tls_options;

/* A new context with `opts` (NULL: a client context with the defaults).
 * New reference. NULL on failure, with cio_last_error() set to CIO_EINVAL
 * for inconsistent options (a server without a certificate, a version
 * below TLS 1.2, a max below the min, an empty or too long ALPN name, SNI
 * identities on a client, a CRL file without verification,
 * crl_check_chain without a CRL file),
 * CIO_ETLSCONFIG when OpenSSL refuses a file or a cipher list (the message
 * names the file and gives OpenSSL's reason: "cannot load certificate
 * file 'x.pem': no such file"), CIO_ENOMEM. */
CIO_API cio_tls_context *cio_tls_context_new(const cio_tls_options *opts);

/* Take one more reference (returns ctx) / give one back (frees the context
 * with the last). Both accept NULL; both may be called from any thread. */
CIO_API cio_tls_context *cio_tls_context_retain(cio_tls_context *ctx);
CIO_API void cio_tls_context_release(cio_tls_context *ctx);

/* Whether the context is a server context; false for NULL. */
CIO_API bool cio_tls_context_is_server(const cio_tls_context *ctx);

/* The OpenSSL SSL_CTX under the context (borrowed, as `void *` so that this
 * header does not need OpenSSL's), for settings cio has no option for.
 * Change it before the first connection uses the context. NULL for NULL. */
CIO_API void *cio_tls_context_ssl_ctx(cio_tls_context *ctx);

/* ------------------------------------------------------------------------ */
/* TLS on streams                                                           */
/* ------------------------------------------------------------------------ */

/* Connections and servers get TLS from their options (cio/net.h):
 *
 *     cio_open_connection("example.org", 443, &(cio_connect_options){
 *         .tls = ctx}, &s);     // verifies the certificate names example.org
 *     cio_start_server(handler, arg, "127.0.0.1", 8443, &(cio_server_options){
 *         .tls = server_ctx}, &srv);
 *
 * and then read and write plain text with the ordinary stream calls. The
 * handshake is done before cio_open_connection returns, and before a
 * server's handler is called (a client that fails it is dropped without
 * reaching the handler). Its failures come back as CIO_ETLSVERIFY ("TLS
 * handshake with example.org: certificate verify failed: self-signed
 * certificate"), CIO_ETLS ("...: wrong version number": plain text where
 * TLS was expected), CIO_ETLSEOF, CIO_ETIMEDOUT (tls_handshake_timeout,
 * default 60 s), or the connection's own error.
 *
 * A server keeps no reference to its options' context: keep the context
 * alive until the server is closed. Each accepted connection keeps one.
 *
 * Over TLS, a read fails with CIO_ETLSEOF when the peer closed the
 * connection without close_notify (after the bytes that came before:
 * truncation is reported, not taken for an EOF); cio_stream_close and
 * cio_stream_write_eof send close_notify before the socket is shut. */

/* STARTTLS: upgrade an open plain stream, in the calling task, with `ctx`
 * (a client context: this side connects; a server context: it accepts).
 * server_hostname: as cio_connect_options' (NULL only with no_verify).
 * Bytes already received but not read are taken as the start of the
 * handshake. timeout: seconds for the handshake, 0: 60. Returns 0, the
 * handshake's codes above, CIO_EINVALIDSTATE (already TLS), CIO_ECLOSED,
 * CIO_EINVAL, CIO_ECANCELED, CIO_ENOTASK. A handshake that began and
 * failed (or was cancelled) cannot be undone: the stream is then aborted
 * (free it as usual); after a refusal before it began (CIO_EINVAL: no
 * host name to verify, a server context on the connecting side...) the
 * plain stream is left as it was. */
CIO_API int cio_stream_start_tls(cio_stream *s, cio_tls_context *ctx,
                                 const char *server_hostname, double timeout);

/* Orderly TLS shutdown, waiting: send close_notify, then suspend until the
 * peer's close_notify arrives (what it sent before stays readable) or
 * `timeout` seconds pass (0: 30, asyncio's ssl_shutdown_timeout). The
 * stream stays open; close it next. Returns 0, CIO_ETIMEDOUT, CIO_ETLSEOF
 * (the peer closed the socket without close_notify), the connection's
 * error, CIO_ECLOSED, CIO_ECANCELED, CIO_ENOTASK, CIO_EINVAL for a stream
 * without TLS. Writes fail with CIO_EINVALIDSTATE after it. */
CIO_API int cio_stream_tls_shutdown(cio_stream *s, double timeout);

/* get_extra_info for TLS streams, once the handshake is done (NULL for a
 * stream without TLS). The strings live as long as the stream.
 *   version:      "TLSv1.3", "TLSv1.2"
 *   cipher:       "TLS_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256"
 *   alpn:         the agreed protocol ("h2"), NULL if none was agreed
 *   peer_subject: the peer certificate's subject, RFC 2253
 *                 ("CN=localhost,O=cio test"), NULL if the peer sent none
 *   server_name:  the host name of the client's hello (SNI): on a server's
 *                 stream the name the client asked for (which of the
 *                 sni_certs answered), on a client's the name it sent;
 *                 NULL if none was sent (a literal address, or no
 *                 server_hostname) */
CIO_API const char *cio_stream_tls_version(const cio_stream *s);
CIO_API const char *cio_stream_tls_cipher(const cio_stream *s);
CIO_API const char *cio_stream_tls_alpn(const cio_stream *s);
CIO_API const char *cio_stream_tls_server_name(const cio_stream *s);
CIO_API const char *cio_stream_tls_peer_subject(const cio_stream *s);

#ifdef __cplusplus
}
#endif

#endif /* CIO_TLS_H */
