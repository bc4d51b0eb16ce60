/* Download a file in chunks as they arrive, with a progress line: aiohttp's
 *
 *     async with session.get(url) as resp:
 *         total = int(resp.headers.get("Content-Length", 0))
 *         with open(path, "wb") as f:
 *             async for chunk in resp.content.iter_chunked(65536):
 *                 f.write(chunk); done += len(chunk)
 *                 print(f"\r{done}/{total} bytes", end="")
 *
 * usage: http_stream_download URL FILE */
#include <cio.h>
#include <stdio.h>
#include <stdlib.h>

static char **args;

static void *amain(void *arg) {
    (void)arg;
    cio_http_session *session = cio_http_session_new(NULL, NULL);
    cio_http_request req = {.url = args[1], .stream = true};
    cio_http_response *resp;
    FILE *f = fopen(args[2], "wb");
    if (!f || cio_http_request_send(session, &req, &resp) != 0) {
        fprintf(stderr, "error: %s\n", f ? cio_last_error_message() : args[2]);
    } else {
        const char *len = cio_http_response_header(resp, "Content-Length");
        long total = len ? atol(len) : 0, done = 0;
        static char chunk[65536];
        ssize_t n;
        while ((n = cio_http_response_read_chunk(resp, chunk, sizeof chunk)) >
               0) {
            fwrite(chunk, 1, (size_t)n, f);
            done += n;
            printf("\r%ld/%ld bytes", done, total);
            fflush(stdout);
        }
        printf(n == 0 ? "\ndone\n" : "\nerror: %s\n", cio_last_error_message());
        cio_http_response_release(resp);
    }
    if (f)
        fclose(f);
    cio_http_session_close(session);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s URL FILE\n", argv[0]);
        return 2;
    }
    args = argv;
    return cio_run(amain, NULL, NULL) ? 1 : 0;
}
