/* tls_engine.h - a TLS connection that knows nothing of sockets.
 *
 * The engine is an OpenSSL SSL object between two memory BIOs. Whoever
 * drives it (the stream's TLS transport, or a test with two engines)
 * moves bytes by hand:
 *
 *   ciphertext from the peer  -> cio__tls_feed()  (cio__tls_feed_eof() at
 *                                                  the transport's EOF)
 *   ciphertext for the peer   <- cio__tls_out_pending() / cio__tls_out_take()
 *   plaintext to send         -> cio__tls_write()
 *   plaintext received        <- cio__tls_read()
 *
 * After every call, output may be pending (handshake messages, alerts,
 * key updates, close_notify): the driver writes it to the peer.
 *
 * Errors are cio codes (CIO_ETLS, CIO_ETLSVERIFY, CIO_ETLSEOF, CIO_ENOMEM)
 * and the engine keeps a message with OpenSSL's reason
 * (cio__tls_message): "certificate verify failed: self-signed
 * certificate", "wrong version number". An engine that failed stays failed:
 * every later call returns the same code.
 */
#ifndef CIO_NET_TLS_ENGINE_H
#define CIO_NET_TLS_ENGINE_H

#include "cio.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct cio__tls cio__tls;

/* What the engine reads of a context (tls_context.c). */
struct ssl_ctx_st;
struct ssl_ctx_st *cio__tls_context_ssl(const cio_tls_context *ctx);
bool cio__tls_context_verifies(const cio_tls_context *ctx);
/* OpenSSL's reason for the oldest error queued on this thread, into buf;
 * the queue is cleared. */
void cio__tls_openssl_reason(char *buf, size_t cap);

/* A server's SNI identities (tls_sni.c). load: from o->sni_certs (NULL
 * when there are none), 0 or a code with its message; install: OpenSSL's
 * server-name callback on ssl (nothing for NULL); free accepts NULL. */
typedef struct cio__tls_sni cio__tls_sni;
int cio__tls_sni_load(const cio_tls_options *o, cio__tls_sni **out);
void cio__tls_sni_install(struct ssl_ctx_st *ssl, cio__tls_sni *t);
void cio__tls_sni_free(cio__tls_sni *t);
/* OpenSSL's pem_password_cb: u is the password, NULL for none (then the
 * load fails instead of OpenSSL asking on the terminal). */
int cio__tls_password_cb(char *buf, int size, int rwflag, void *u);
/* Whether the callback was asked for a password it did not have since the
 * last call (clears the flag); the error for that case (CIO_ETLSCONFIG). */
bool cio__tls_password_was_missing(void);
int cio__tls_key_needs_password(const char *path);

/* More ciphertext from the peer is needed before the call can go on (flush
 * the pending output first). Not an error, and never returned to users;
 * negative so that a read's byte count cannot be mistaken for it (the last
 * code of the TLS range, which no public code uses). */
#define CIO__TLS_WANT_INPUT (-10499)

/* A connection of `ctx` (a reference is kept). server_hostname (client
 * only, may be NULL) is sent as SNI unless it is an IP address, and, when
 * the context verifies, is what the peer's certificate must name (a DNS
 * name or an IP address). NULL with cio__set_error on failure. */
cio__tls *cio__tls_new(cio_tls_context *ctx, const char *server_hostname);
void cio__tls_free(cio__tls *t);

bool cio__tls_is_server(const cio__tls *t);

/* Ciphertext received from the peer: 0 or CIO_ENOMEM. */
int cio__tls_feed(cio__tls *t, const void *data, size_t len);
/* The transport reached EOF: reads past the data fed so far see it. */
void cio__tls_feed_eof(cio__tls *t);

/* Ciphertext waiting to be sent, and taking it (returns bytes copied). */
size_t cio__tls_out_pending(const cio__tls *t);
size_t cio__tls_out_take(cio__tls *t, void *buf, size_t cap);

/* Advance the handshake: 0 once it is complete, CIO__TLS_WANT_INPUT, or
 * an error. */
int cio__tls_handshake(cio__tls *t);
bool cio__tls_handshake_done(const cio__tls *t);

/* Plaintext received: > 0 bytes read into buf, 0 at the peer's
 * close_notify (a clean EOF), CIO__TLS_WANT_INPUT (nothing was read), or
 * an error (CIO_ETLSEOF when the transport ended without
 * close_notify). Call only after the handshake completed. */
long cio__tls_read(cio__tls *t, void *buf, size_t cap);

/* Plaintext that the engine has decrypted and holds (SSL_pending). */
size_t cio__tls_read_pending(const cio__tls *t);

/* Encrypt all of data[0..len) into the pending output: 0 or an error.
 * Call only after the handshake completed. */
int cio__tls_write(cio__tls *t, const void *data, size_t len);

/* Queue our close_notify (once; later calls do nothing): 0 or an error.
 * After it, cio__tls_write fails with CIO_EINVALIDSTATE. */
int cio__tls_shutdown(cio__tls *t);
bool cio__tls_sent_close_notify(const cio__tls *t);
bool cio__tls_got_close_notify(const cio__tls *t);

/* The last error's code (0 if none) and message ("" if none). */
int cio__tls_error(const cio__tls *t);
const char *cio__tls_message(const cio__tls *t);

/* After the handshake: "TLSv1.3", the cipher ("TLS_AES_256_GCM_SHA384"),
 * the ALPN protocol (NULL if none was agreed) and the peer certificate's
 * subject in RFC 2253 form ("CN=localhost,O=cio test"; NULL without a
 * peer certificate), and the server name of the client's hello (SNI; NULL
 * if none was sent). Valid while the engine lives. */
const char *cio__tls_version(const cio__tls *t);
const char *cio__tls_cipher(const cio__tls *t);
const char *cio__tls_alpn(const cio__tls *t);
const char *cio__tls_server_name(const cio__tls *t);
const char *cio__tls_peer_subject(cio__tls *t);

/* What a context's head (net/internal.h's cio__tls_head) holds: the
 * stream handshake of tls_stream.c. */
extern const struct cio__tls_head cio__tls_stream_head;

#endif /* CIO_NET_TLS_ENGINE_H */
