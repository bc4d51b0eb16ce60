/* echo_server.c - asyncio's TCP echo server (the streams documentation's
 * example) in cio.
 *
 *     ./net_echo_server [port]     (127.0.0.1:8888; 0 picks a free port)
 */
#include <cio.h>
#include <stdio.h>
#include <stdlib.h>

static void handle_echo(cio_stream *s, void *arg) {
    (void)arg;
    char data[100], addr[64];
    ssize_t n = cio_stream_read(s, data, sizeof data);
    if (n < 0)
        return;
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    cio_stream_peername(s, (struct sockaddr *)&peer, &len);
    printf("Received '%.*s' from %s\n", (int)n, data,
           cio_sockaddr_str((struct sockaddr *)&peer, addr, sizeof addr));
    printf("Send: '%.*s'\n", (int)n, data);
    cio_stream_write(s, data, (size_t)n);
    cio_stream_drain(s);
    printf("Close the connection\n");
    fflush(stdout);
    cio_stream_close(s);
    cio_stream_wait_closed(s);
}

static void *amain(void *arg) {
    cio_server *server;
    if (cio_start_server(handle_echo, NULL, "127.0.0.1", *(int *)arg, NULL,
                         &server) < 0)
        return cio_raise(cio_last_error(), "%s", cio_last_error_message());
    struct sockaddr_storage addr;
    char text[64];
    cio_server_addresses(server, &addr, 1);
    printf("Serving on %s\n",
           cio_sockaddr_str((struct sockaddr *)&addr, text, sizeof text));
    fflush(stdout);
    cio_server_serve_forever(server); /* until cancelled (Ctrl-C ends all) */
    cio_server_free(server);
    return NULL;
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 8888;
    void *res;
    int rc = cio_run(amain, &port, &res);
    if (rc)
        fprintf(stderr, "echo_server: %s\n", cio_last_error_message());
    return rc ? 1 : 0;
}
