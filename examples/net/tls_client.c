/* tls_client.c - fetch a page over TLS (asyncio's open_connection with
 * ssl=): connect, verify the server's certificate, send a request, print
 * the answer.
 *
 *     tls_client HOST PORT [CAFILE]
 *
 * The certificate is checked against CAFILE if given, else against the
 * system's store (SSL_CERT_FILE / SSL_CERT_DIR are honoured). Try it with
 * `openssl s_server -www -accept 8443 -cert c.pem -key k.pem`.
 */
#include <cio.h>

#include <stdio.h>
#include <stdlib.h>

static const char *host, *port, *cafile;

static void *fetch(void *arg) {
    (void)arg;
    cio_tls_context *tls =
        cio_tls_context_new(&(cio_tls_options){.ca_file = cafile});
    if (!tls) {
        fprintf(stderr, "tls_client: %s\n", cio_last_error_message());
        return cio_raise(cio_last_error(), NULL);
    }
    cio_stream *s;
    int err = cio_open_connection(host, atoi(port),
                                  &(cio_connect_options){.tls = tls}, &s);
    cio_tls_context_release(tls);
    if (err) {
        fprintf(stderr, "tls_client: %s\n", cio_last_error_message());
        return cio_raise(err, NULL);
    }
    fprintf(stderr, "connected: %s, %s\n", cio_stream_tls_version(s),
            cio_stream_tls_cipher(s));

    cio_stream_write(s, "GET / HTTP/1.0\r\n\r\n", 18);
    char *line;
    while (cio_stream_readline(s, &line) > 0) {
        fputs(line, stdout);
        free(line);
    }
    cio_stream_close(s);
    cio_stream_wait_closed(s);
    cio_stream_free(s);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s HOST PORT [CAFILE]\n", argv[0]);
        return 2;
    }
    host = argv[1];
    port = argv[2];
    cafile = argc > 3 ? argv[3] : NULL;
    return cio_run(fetch, NULL, NULL) ? 1 : 0;
}
