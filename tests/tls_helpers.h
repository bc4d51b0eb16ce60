/* tls_helpers.h - certificates made at run time, and openssl peers.
 *
 * tls_certs_make() writes, into a fresh temporary directory, P-256 keys
 * and certificates made with the OpenSSL API (tests/common/tls_certs.c):
 *
 *   ca          "cio test CA", the CA the tests trust
 *   server      CN=localhost, SAN DNS:localhost + IP:127.0.0.1, by ca
 *   expired     the same names, by ca, valid two days ago only
 *   selfsigned  the same names, signed by its own key
 *   client      CN=cio client (clientAuth), by ca
 *   other_ca    a CA that signed none of these (an untrusted store)
 *   beta        CN=beta.test, SAN DNS:beta.test + DNS:*.wild.test, by ca
 *               (a second server identity, for SNI)
 *   revoked     CN=cio revoked client (clientAuth), by ca, listed in crl
 *   crl         ca's revocation list (PEM), revoking `revoked` only
 *   server_key_enc  server's key encrypted (AES-256) with TLS_KEY_PASSWORD
 *   inter_ca    "cio intermediate CA", by ca
 *   chained     CN=cio chained client (clientAuth), by inter_ca; its file
 *               holds inter_ca's certificate after its own (the chain)
 *   chain_crl   ca's list revoking inter_ca, then inter_ca's, empty
 *
 * Each has NAME (certificate, PEM) and NAME_key (PEM) paths.
 * tls_certs_remove() deletes the files and the directory.
 *
 * tls_peer_start() runs the openssl CLI (s_server, s_client) with its
 * stdin and stdout on pipes, waits until it prints `ready` (NULL: do not
 * wait), and tls_peer_stop() kills it by pid and reaps it.
 */
#ifndef CIO_TESTS_TLS_HELPERS_H
#define CIO_TESTS_TLS_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TLS_PATH 320

typedef struct tls_certs {
    char dir[200];
    char ca[TLS_PATH], ca_key[TLS_PATH];
    char server[TLS_PATH], server_key[TLS_PATH];
    char expired[TLS_PATH], expired_key[TLS_PATH];
    char selfsigned[TLS_PATH], selfsigned_key[TLS_PATH];
    char client[TLS_PATH], client_key[TLS_PATH];
    char other_ca[TLS_PATH], other_ca_key[TLS_PATH];
    char beta[TLS_PATH], beta_key[TLS_PATH];
    char revoked[TLS_PATH], revoked_key[TLS_PATH];
    char crl[TLS_PATH], server_key_enc[TLS_PATH];
    char inter_ca[TLS_PATH], inter_ca_key[TLS_PATH];
    char chained[TLS_PATH], chained_key[TLS_PATH];
    char chain_crl[TLS_PATH];
} tls_certs;

#define TLS_KEY_PASSWORD "cio-secret"

/* 0, or -1 with a message on stderr. */
int tls_certs_make(tls_certs *c);
void tls_certs_remove(tls_certs *c);

typedef struct tls_peer {
    pid_t pid;
    int in;          /* write end of the peer's stdin */
    int out;         /* read end of its stdout (and stderr) */
    char seen[8192]; /* what it printed while we waited for `ready` */
    size_t nseen;
} tls_peer;

/* argv[0] is the program ("openssl"). 0, or -1 if it could not start or
 * did not print `ready` within `timeout` seconds (it is then stopped). */
int tls_peer_start(tls_peer *p, char *const argv[], const char *ready,
                   double timeout);
/* Read what it prints until `text` appears (true) or EOF/timeout (false);
 * everything read is appended to p->seen. */
bool tls_peer_wait_for(tls_peer *p, const char *text, double timeout);
void tls_peer_stop(tls_peer *p);

/* Whether the openssl CLI can be run. */
bool tls_have_openssl_cli(void);

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int tls_free_port(void);

#endif /* CIO_TESTS_TLS_HELPERS_H */
