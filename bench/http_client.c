/* http_client.c - cio-bench http-client: the peers' W5 on cio's HTTP client.
 *
 *   cio-bench http-client [--url URL] [-n N] [-c C] [--want IP] [--http2]
 *                         [--insecure] [--cafile PEM] [--bare]
 *
 * One session (connection limit C), C tasks issuing N GETs in all over
 * keep-alive connections; every body is parsed as JSON (jansson) and counts
 * as a success only if its "ip" equals IP (203.0.113.7 by default), as the
 * peers check theirs. --http2 asks for HTTP/2 with multiplexing (one
 * connection, C streams); --insecure skips certificate verification (a
 * local server with a self-signed certificate). --bare turns off what
 * the session does by default and the raw libcurl client does not (the
 * User-Agent, compressed bodies asked for and decoded, the cookie jar):
 * the same work as that client without its -a. Prints the METRIC lines of
 * the peers' raw libcurl client: w5.requests, w5.ok, w5.errors, w5.wall,
 * w5.req_per_s, w5.client_cpu, w5.cpu_per_req (user+sys CPU of the
 * process during the requests, per request).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <cio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct w5 {
    const char *url, *want, *cafile;
    long n, issued, ok, errors;
    int c;
    bool http2, insecure, bare;
    cio_http_session *s;
} w5;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static bool fetch_one(w5 *w) {
    cio_http_response *r = NULL;
    int rc = cio_http_get(w->s, w->url, &r);
    if (rc != 0) {
        if (w->errors < 5)
            fprintf(stderr, "cio-bench http-client: %s\n",
                    cio_last_error_message());
        return false;
    }
    json_t *doc = NULL;
    bool good = cio_http_response_status(r) == 200 &&
                cio_http_response_json(r, &doc, 0) == 0;
    if (good) {
        const char *ip = json_string_value(json_object_get(doc, "ip"));
        good = ip && strcmp(ip, w->want) == 0;
        json_decref(doc);
    }
    cio_http_response_release(r);
    return good;
}

static void *worker(void *arg) {
    w5 *w = arg;
    while (w->issued < w->n) {
        w->issued++;
        if (fetch_one(w))
            w->ok++;
        else
            w->errors++;
    }
    return NULL;
}

static void *run(void *arg) {
    w5 *w = arg;
    cio_http_session_options o = {
        .limit = w->c,
        .version = w->http2 ? CIO_HTTP_VERSION_2_TLS : CIO_HTTP_VERSION_1_1,
        .tls_no_verify = w->insecure,
        .ca_file = w->cafile, /* NULL: the system's store */
        .user_agent = w->bare ? "" : NULL,
        .no_decompress = w->bare,
        .no_cookies = w->bare,
    };
    w->s = cio_http_session_new(NULL, &o);
    if (!w->s) {
        fprintf(stderr, "cio-bench http-client: %s\n",
                cio_last_error_message());
        return NULL;
    }
    cio_future **tasks = calloc((size_t)w->c, sizeof *tasks);
    double t0 = now_s(), c0 = cpu_s();
    for (int i = 0; i < w->c; i++)
        tasks[i] = cio_create_task(worker, w);
    for (int i = 0; i < w->c; i++) {
        cio_await(tasks[i], NULL);
        cio_release(tasks[i]);
    }
    double dt = now_s() - t0, cpu = cpu_s() - c0;
    free(tasks);
    cio_http_session_close(w->s);
    long done = w->ok + w->errors;
    printf("METRIC w5.requests %ld count\n", w->n);
    printf("METRIC w5.ok %ld count\n", w->ok);
    printf("METRIC w5.errors %ld count\n", w->errors);
    printf("METRIC w5.wall %.6f s\n", dt);
    printf("METRIC w5.req_per_s %.1f req/s\n", (double)w->ok / dt);
    printf("METRIC w5.client_cpu %.3f s\n", cpu);
    printf("METRIC w5.cpu_per_req %.1f us\n",
           cpu * 1e6 / (double)(done ? done : 1));
    return NULL;
}

int cio_bench_http_client(int argc, char **argv) {
    w5 w = {.url = "http://127.0.0.1:28080/ip.json",
            .want = "203.0.113.7",
            .n = 20000,
            .c = 64};
    for (int i = 2; i < argc; i++) {
        const char *o = argv[i];
        if (o[0] == '-' && o[1] == '-')
            o++;
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "-http2") == 0)
            w.http2 = true;
        else if (strcmp(o, "-insecure") == 0)
            w.insecure = true;
        else if (strcmp(o, "-bare") == 0)
            w.bare = true;
        else if (v && (strcmp(o, "-url") == 0 || strcmp(o, "-u") == 0))
            w.url = argv[++i];
        else if (v && strcmp(o, "-want") == 0)
            w.want = argv[++i];
        else if (v && strcmp(o, "-cafile") == 0)
            w.cafile = argv[++i];
        else if (v && strcmp(o, "-n") == 0)
            w.n = atol(argv[++i]);
        else if (v && strcmp(o, "-c") == 0)
            w.c = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: cio-bench http-client [--url URL] [-n N] "
                            "[-c C] [--want IP] [--http2] [--insecure] "
                            "[--cafile PEM] [--bare]\n");
            return 2;
        }
    }
    if (w.n < 1 || w.c < 1) {
        fprintf(stderr, "cio-bench http-client: -n and -c must be >= 1\n");
        return 2;
    }
    if (w.c > w.n)
        w.c = (int)w.n;
    int err = cio_run(run, &w, NULL);
    if (err != 0 || !w.s) {
        fprintf(stderr, "cio-bench http-client: %s\n", cio_strerror(err));
        return 1;
    }
    return w.errors ? 1 : 0;
}
