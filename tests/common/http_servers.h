/* http_servers.h - real servers on 127.0.0.1 for the HTTP client's tests.
 *
 * Each is a child process started on a free port and stopped by its pid:
 *   nginx            plain HTTP/1.1, TLS, HTTP/2 over TLS, h2c; from a
 *                    config written into a temporary directory
 *                    (daemon off; master_process off), with files in www/:
 *                    ip.json (313 bytes), big.bin (1 MiB), latin1.txt
 *   fault_server.py  the tests' own misbehaving server (see the script)
 *   openssl s_server a TLS server whose certificate nobody trusts
 * A start function returns false (with the reason on stderr) when the
 * program is missing or does not come up: the test then skips.
 */
#ifndef CIO_TESTS_HTTP_SERVERS_H
#define CIO_TESTS_HTTP_SERVERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct hs_server {
    pid_t pid;
    int port, port2; /* port2: fault_server's silent port, nginx's TLS port */
    char dir[128];   /* its temporary directory ("" for none) */
} hs_server;

/* HS_MTLS: the TLS server asks for a client certificate signed by
 * cert_dir's ca.pem (ssl_verify_client on): without one, status 400 */
enum { HS_TLS = 1, HS_H2 = 2, HS_H2C = 4, HS_MTLS = 8 };

/* A temporary directory with cert.pem and key.pem: a self-signed
 * certificate for localhost and 127.0.0.1, made now by openssl. */
bool hs_make_cert(char *dir, size_t cap);
/* Into such a directory: a test CA (ca.pem, ca.key) and a client
 * certificate it signs (client.pem, client.key, CN=cio-test-client). */
bool hs_make_client_cert(const char *dir);
/* nginx serving www/ on `port` (plain, or h2c with HS_H2C) and, with
 * HS_TLS, on port2 with cert_dir's certificate (HTTP/2 too with HS_H2). */
bool hs_nginx_start(hs_server *sv, unsigned flags, const char *cert_dir);
bool hs_fault_start(hs_server *sv);
bool hs_s_server_start(hs_server *sv, const char *cert_dir);
void hs_stop(hs_server *sv);
void hs_rmdir(const char *dir);
/* true once something accepts connections on 127.0.0.1:port */
bool hs_wait_port(int port, double seconds);
int hs_free_port(void);
/* the 313-byte JSON document nginx serves as /ip.json */
extern const char hs_ip_json[];

#endif
