/* tls_bench.c - TLS throughput through cio, beside `openssl s_server`.
 *
 *   cio-tls-bench server --port P --cert C --key K --file F [--ciphersuites S]
 *       a cio TLS server on 127.0.0.1:P. A connection that sends
 *       "GET /...\r\n..." gets "HTTP/1.0 200 ok\r\n\r\n" and the bytes of F
 *       (what `openssl s_server -WWW` does with a file); one that sends
 *       "ECHO\n" gets everything it sends after that echoed. Runs until
 *       killed.
 *   cio-tls-bench get --port P --path /F [--ciphersuites S]
 *       a cio TLS client: fetches /F, prints METRIC tls_get_mbps.
 *   cio-tls-bench echo --port P --mb N [--ciphersuites S]
 *       sends N MiB through an echo server while a second task reads them
 *       back, prints METRIC tls_echo_mbps.
 *   cio-tls-bench hold --port P --conns N
 *       opens N echo connections, prints "HELD" and keeps them idle until
 *       killed (bench/tls.sh reads the server's memory meanwhile).
 *
 * The clients do not verify (the point is the cipher's cost, not trust).
 * bench/tls.sh runs the comparison.
 */
#include <cio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int port;
static const char *cert, *key, *file, *path = "/", *suites;
static double mb = 256;
static char *content;
static size_t content_len;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- server ----------------------------------------------------------------
 */

static void handler(cio_stream *s, void *arg) {
    (void)arg;
    char *line = NULL;
    if (cio_stream_readline(s, &line) <= 0)
        return;
    bool echo = strcmp(line, "ECHO\n") == 0;
    free(line);
    if (!echo) {
        cio_stream_write(s, "HTTP/1.0 200 ok\r\n\r\n", 19);
        for (size_t off = 0; off < content_len; off += 256 * 1024) {
            size_t n =
                content_len - off < 256 * 1024 ? content_len - off : 256 * 1024;
            if (cio_stream_write(s, content + off, n) < 0 ||
                cio_stream_drain(s) < 0)
                return;
        }
        return;
    }
    static char buf[256 * 1024];
    ssize_t n;
    while ((n = cio_stream_read(s, buf, sizeof buf)) > 0)
        if (cio_stream_write(s, buf, (size_t)n) < 0 || cio_stream_drain(s) < 0)
            return;
}

static void *serve(void *arg) {
    (void)arg;
    cio_tls_context *ctx =
        cio_tls_context_new(&(cio_tls_options){.server = true,
                                               .cert_file = cert,
                                               .key_file = key,
                                               .ciphersuites = suites});
    if (!ctx)
        return cio_raise(cio_last_error(), "%s", cio_last_error_message());
    cio_server *srv;
    int rc = cio_start_server(handler, NULL, "127.0.0.1", port,
                              &(cio_server_options){.tls = ctx}, &srv);
    if (rc)
        return cio_raise(rc, "%s", cio_last_error_message());
    printf("ACCEPT\n");
    fflush(stdout);
    rc = cio_server_serve_forever(srv);
    cio_server_free(srv);
    cio_tls_context_release(ctx);
    return NULL;
}

/* ---- clients ---------------------------------------------------------------
 */

static bool quiet;

static int connect_tls(cio_stream **s) {
    cio_tls_context *ctx = cio_tls_context_new(
        &(cio_tls_options){.no_verify = true, .ciphersuites = suites});
    if (!ctx)
        return cio_last_error();
    int rc = cio_open_connection("127.0.0.1", port,
                                 &(cio_connect_options){.tls = ctx}, s);
    cio_tls_context_release(ctx);
    if (rc == 0 && !quiet)
        fprintf(stderr, "%s %s\n", cio_stream_tls_version(*s),
                cio_stream_tls_cipher(*s));
    return rc;
}

static void *get(void *arg) {
    (void)arg;
    cio_stream *s;
    int rc = connect_tls(&s);
    if (rc)
        return cio_raise(rc, "%s", cio_last_error_message());
    char req[512];
    int len = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\n\r\n", path);
    double t0 = now();
    cio_stream_write(s, req, (size_t)len);
    static char buf[256 * 1024];
    size_t total = 0;
    ssize_t n;
    while ((n = cio_stream_read(s, buf, sizeof buf)) > 0)
        total += (size_t)n;
    double dt = now() - t0;
    printf("METRIC tls_get_bytes %zu B\n", total);
    printf("METRIC tls_get_mbps %.1f MB/s\n", (double)total / dt / 1e6);
    cio_stream_abort(s);
    cio_stream_free(s);
    return n < 0 && n != CIO_ETLSEOF ? cio_raise((int)n, NULL) : NULL;
}

static void *echo_reader(void *arg) {
    cio_stream *s = arg;
    static char buf[256 * 1024];
    size_t want = (size_t)(mb * 1024 * 1024), got = 0;
    while (got < want) {
        ssize_t n = cio_stream_read(s, buf, sizeof buf);
        if (n <= 0)
            return cio_raise(n ? (int)n : CIO_EINCOMPLETE, NULL);
        got += (size_t)n;
    }
    return NULL;
}

static void *echo(void *arg) {
    (void)arg;
    cio_stream *s;
    int rc = connect_tls(&s);
    if (rc)
        return cio_raise(rc, "%s", cio_last_error_message());
    static char chunk[64 * 1024];
    memset(chunk, 'x', sizeof chunk);
    size_t total = (size_t)(mb * 1024 * 1024);
    double t0 = now();
    cio_stream_write(s, "ECHO\n", 5);
    cio_future *r = cio_create_task(echo_reader, s);
    for (size_t sent = 0; sent < total && rc == 0; sent += sizeof chunk) {
        rc = cio_stream_write(s, chunk, sizeof chunk);
        if (rc == 0)
            rc = cio_stream_drain(s);
    }
    if (rc == 0)
        rc = cio_await(r, NULL);
    double dt = now() - t0;
    cio_release(r);
    if (rc == 0)
        printf("METRIC tls_echo_mbps %.1f MB/s\n", (double)total / dt / 1e6);
    cio_stream_abort(s);
    cio_stream_free(s);
    return rc ? cio_raise(rc, NULL) : NULL;
}

static int conns = 1000;

static void *hold(void *arg) {
    (void)arg;
    cio_stream **s = calloc((size_t)conns, sizeof *s);
    quiet = true;
    int rc = 0, n = 0;
    for (; s && n < conns && rc == 0; n++) {
        rc = connect_tls(&s[n]);
        if (rc == 0)
            rc = cio_stream_write(s[n], "ECHO\n", 5);
    }
    if (rc == 0) {
        printf("HELD %d\n", n);
        fflush(stdout);
        cio_sleep(3600);
    }
    for (int i = 0; i < n; i++)
        cio_stream_free(s[i]);
    free(s);
    return rc ? cio_raise(rc, NULL) : NULL;
}

static int load(const char *name) {
    FILE *f = fopen(name, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    content = malloc(len > 0 ? (size_t)len : 1);
    content_len = content ? fread(content, 1, (size_t)len, f) : 0;
    fclose(f);
    return content ? 0 : -1;
}

static int usage(void) {
    fprintf(stderr,
            "usage: cio-tls-bench server --port P --cert C --key K --file F\n"
            "       cio-tls-bench get --port P --path /F\n"
            "       cio-tls-bench echo --port P --mb N\n"
            "       cio-tls-bench hold --port P --conns N\n"
            "       (each with an optional --ciphersuites S)\n");
    return 2;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return usage();
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *o = argv[i], *v = argv[i + 1];
        if (!strcmp(o, "--port"))
            port = atoi(v);
        else if (!strcmp(o, "--cert"))
            cert = v;
        else if (!strcmp(o, "--key"))
            key = v;
        else if (!strcmp(o, "--file"))
            file = v;
        else if (!strcmp(o, "--path"))
            path = v;
        else if (!strcmp(o, "--mb"))
            mb = atof(v);
        else if (!strcmp(o, "--conns"))
            conns = atoi(v);
        else if (!strcmp(o, "--ciphersuites"))
            suites = v;
        else
            return usage();
    }
    cio_task_fn fn = NULL;
    if (!strcmp(argv[1], "server") && cert && key && file) {
        if (load(file) != 0) {
            perror(file);
            return 1;
        }
        fn = serve;
    } else if (!strcmp(argv[1], "get")) {
        fn = get;
    } else if (!strcmp(argv[1], "echo")) {
        fn = echo;
    } else if (!strcmp(argv[1], "hold") && conns > 0) {
        fn = hold;
    }
    if (!fn || port <= 0)
        return usage();
    int rc = cio_run(fn, NULL, NULL);
    if (rc)
        fprintf(stderr, "cio-tls-bench: %s\n", cio_strerror(rc));
    free(content);
    return rc ? 1 : 0;
}
