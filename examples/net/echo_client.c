/* echo_client.c - asyncio's TCP echo client (the streams documentation's
 * example) in cio.
 *
 *     ./net_echo_client [port] [message]     (127.0.0.1:8888, "Hello World!")
 */
#include <cio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int port = 8888;

static void *tcp_echo_client(void *message) {
    cio_stream *s;
    if (cio_open_connection("127.0.0.1", port, NULL, &s) < 0)
        return cio_raise(cio_last_error(), "%s", cio_last_error_message());
    printf("Send: '%s'\n", (char *)message);
    cio_stream_write(s, message, strlen(message));
    cio_stream_drain(s);
    char data[100];
    ssize_t n = cio_stream_read(s, data, sizeof data);
    printf("Received: '%.*s'\n", (int)(n > 0 ? n : 0), data);
    printf("Close the connection\n");
    cio_stream_close(s);
    cio_stream_wait_closed(s);
    cio_stream_free(s);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1)
        port = atoi(argv[1]);
    int rc =
        cio_run(tcp_echo_client, argc > 2 ? argv[2] : "Hello World!", NULL);
    if (rc)
        fprintf(stderr, "echo_client: %s\n", cio_last_error_message());
    return rc ? 1 : 0;
}
