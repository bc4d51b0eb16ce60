/* tls_server.c - the echo server over TLS, with one certificate per host
 * name (SNI) and keys protected by a password: Python's
 * ssl.create_default_context(Purpose.CLIENT_AUTH) + load_cert_chain(...,
 * password=...) + an sni_callback, in cio.
 *
 *     KEY_PASSWORD=secret ./net_tls_server PORT CERT KEY [NAME CERT KEY]...
 *
 * Listens on 127.0.0.1:PORT (0: a free port, printed). A client that asks
 * for NAME gets that certificate; any other gets the first. Each line a
 * client sends comes back ("quit" ends the connection); the first line
 * says which protocol was agreed.
 */
#include <cio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void handle(cio_stream *s, void *arg) {
    (void)arg;
    const char *name = cio_stream_tls_server_name(s); /* SNI, or NULL */
    char hello[320];
    int n = snprintf(hello, sizeof hello, "hello over %s as %s\n",
                     cio_stream_tls_version(s), name ? name : "(no name)");
    cio_stream_write(s, hello, (size_t)n);
    char *line;
    ssize_t len;
    while ((len = cio_stream_readline(s, &line)) > 0) {
        bool quit = strcmp(line, "quit\n") == 0;
        if (!quit)
            cio_stream_write(s, line, (size_t)len);
        free(line);
        if (quit || cio_stream_drain(s) < 0)
            break; /* the server closes the connection (close_notify) */
    }
}

typedef struct args {
    int port, nnames;
    char **argv; /* CERT KEY [NAME CERT KEY]... */
} args;

static void *amain(void *arg) {
    args *a = arg;
    cio_tls_sni_cert names[8];
    for (int i = 0; i < a->nnames; i++)
        names[i] = (cio_tls_sni_cert){.server_name = a->argv[2 + 3 * i],
                                      .cert_file = a->argv[3 + 3 * i],
                                      .key_file = a->argv[4 + 3 * i]};
    cio_tls_context *tls = cio_tls_context_new(
        &(cio_tls_options){.server = true,
                           .cert_file = a->argv[0],
                           .key_file = a->argv[1],
                           .key_password = getenv("KEY_PASSWORD"),
                           .sni_certs = names,
                           .sni_count = (size_t)a->nnames});
    if (!tls)
        return cio_raise(cio_last_error(), "%s", cio_last_error_message());
    cio_server *server;
    int rc = cio_start_server(handle, NULL, "127.0.0.1", a->port,
                              &(cio_server_options){.tls = tls}, &server);
    if (rc == 0) {
        printf("Serving TLS on 127.0.0.1:%d\n", cio_server_port(server));
        fflush(stdout);
        cio_server_serve_forever(server); /* until cancelled (Ctrl-C) */
        cio_server_free(server);
    }
    cio_tls_context_release(tls); /* after the server: it keeps none */
    return rc ? cio_raise(rc, "%s", cio_last_error_message()) : NULL;
}

int main(int argc, char **argv) {
    if (argc < 4 || (argc - 4) % 3 != 0 || (argc - 4) / 3 > 8) {
        fprintf(stderr,
                "usage: %s PORT CERT KEY [NAME CERT KEY]... (up to 8)\n",
                argv[0]);
        return 2;
    }
    args a = {atoi(argv[1]), (argc - 4) / 3, argv + 2};
    int rc = cio_run(amain, &a, NULL);
    if (rc)
        fprintf(stderr, "tls_server: %s\n", cio_last_error_message());
    return rc ? 1 : 0;
}
