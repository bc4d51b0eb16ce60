/* cio-bench - cio's side of the peer benchmarks W1-W3.
 *
 *   cio-bench w1  [-n N]            spawn N tasks returning 2*i, join them all
 *   cio-bench w2a [-m M]            one task yields (cio_sleep(0)) M times
 *   cio-bench w2b [-m M]            two tasks ping-pong M round trips through
 *                                   two one-slot queues
 *   cio-bench w3  [-n N] [--seed S] N tasks each sleep a pseudo-random
 *                                   0-1000 ms (the peers' LCG), then finish
 *   cio-bench spawn [-n N] [-c C]   start and wait for N /bin/true, C at a
 *                                   time (default 1000, 16)
 *   cio-bench echo-server [--port P] W4's server: listens on 127.0.0.1:P
 *                                   (28001), prints "READY 127.0.0.1:P", and
 *                                   echoes what it reads (64 KiB reads,
 *                                   TCP_NODELAY) until SIGTERM / SIGINT
 *   cio-bench http-server [--port P] an HTTP server: serves the peers' 313-byte
 *                                   ip.json at /ip.json (application/json)
 *                                   on 127.0.0.1:P (28080) with cio's HTTP
 *                                   server, prints "READY 127.0.0.1:P", until
 *                                   SIGTERM / SIGINT
 *   cio-bench idle-conns [-n N]     N idle connections to a cio server (their
 *                                   handlers parked in read): resident memory
 *                                   per connection (stream + handler task)
 *   cio-bench http-client [--url URL] [-n N] [-c C] [--http2] [--cafile F]
 *                                   W5: N GETs of a JSON document (20000), C
 *                                   in flight (64), each body parsed and its
 *                                   "ip" checked; --http2: HTTP/2 over TLS,
 *                                   verified against F (bench/http_client.c)
 *
 * Options: --stack-size BYTES (the loop's default task stack, 0 = cio's
 * default); --compact makes every task a compact one
 * (cio_loop_options.compact_tasks: the W3 and W2b rows "cio-compact");
 * for w1, --gather joins with cio_gather (as the Python peers do)
 * instead of awaiting each task in order (as Tokio awaits each JoinHandle;
 * Go's WaitGroup is closer to that too); --eager starts each task eagerly
 * (cio_task_options.eager: it runs inside cio_create_task, as libdill's
 * go() and neco's start do, and is done when it returns); --group spawns
 * into a cio_taskgroup instead, keeps no handle, each child stores 2*i in
 * an array and the group is waited for at the end: libdill's program
 * (bundle_go, bundle_wait) line for line. `w1 --eager --group` is the
 * figure to set beside libdill's and neco's (their children always start
 * at once); plain `w1` (lazy, handles kept and awaited) beside Tokio's.
 *
 * Workloads, parameters, defaults and output are those of the peers
 * (shared/peers/README.md): every result is a line `METRIC name value unit`,
 * timings are taken inside the program around the workload only with a
 * monotonic clock, and the last two lines are `minflt` (minor page faults,
 * getrusage) and `peak_rss` (VmHWM from /proc/self/status, in KiB; not
 * ru_maxrss, which after fork+exec can report the parent's size).
 * Exit status 0 when the workload ran (its `ok` metric says whether the
 * result check passed), 1 on an error, 2 on a usage error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <cio.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

/* The peers' 64-bit LCG (Knuth's MMIX constants): W3's delays are the same
 * in every program. */
#define LCG_A UINT64_C(6364136223846793005)
#define LCG_C UINT64_C(1442695040888963407)

typedef struct bench_args {
    const char *cmd;
    long n;        /* tasks (w1, w3) */
    long m;        /* yields (w2a) / round trips (w2b) */
    long c;        /* spawn: children at a time */
    uint64_t seed; /* w3 */
    int gather;    /* w1: join with cio_gather instead of awaiting each task */
    int eager;     /* w1: start each task eagerly */
    int group;     /* w1: spawn into a task group, keep no handle */
    int failed;    /* set by a workload on an error (not a failed check) */
    long port;     /* echo-server */
    int sigfd;     /* echo-server: a signalfd for SIGTERM and SIGINT */
} bench_args;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void metric_s(const char *name, const char *value, const char *unit) {
    printf("METRIC %s %s %s\n", name, value, unit);
}

static void metric_l(const char *name, long value, const char *unit) {
    printf("METRIC %s %ld %s\n", name, value, unit);
}

static void metric_f(const char *name, const char *fmt, double value,
                     const char *unit) {
    char buf[64];
    snprintf(buf, sizeof buf, fmt, value);
    metric_s(name, buf, unit);
}

/* A field of /proc/self/status ("VmHWM:", "VmRSS:") in KiB, -1 if
 * unreadable. */
static long status_kib(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    char line[256];
    long kib = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, field, n) == 0) {
            kib = strtol(line + n, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib;
}

/* The peak resident set (VmHWM) / the current one (VmRSS), KiB. */
static long peak_rss_kib(void) {
    return status_kib("VmHWM:");
}
static long rss_kib(void) {
    return status_kib("VmRSS:");
}

static void fail(bench_args *a, const char *what) {
    fprintf(stderr, "cio-bench %s: %s: %s\n", a->cmd, what,
            cio_last_error_message());
    a->failed = 1;
}

/* ------------------------------------------------------------------------ */
/* W1 spawn + join                                                          */
/* ------------------------------------------------------------------------ */

/* The array of task handles a workload keeps (timed with it, as the peers
 * time theirs). */
static cio_future **new_handles(bench_args *a, long n, const char *w) {
    cio_future **tasks = malloc((size_t)(n > 0 ? n : 1) * sizeof *tasks);
    if (tasks == NULL) {
        fprintf(stderr, "cio-bench %s: out of memory\n", w);
        a->failed = 1;
    }
    return tasks;
}

static void *w1_child(void *arg) {
    return (void *)((uintptr_t)arg * 2);
}

/* Awaits tasks[0..n) in order, adds their results to *sum, releases them.
 * 1 if every task succeeded. */
static int w1_join_each(cio_future **tasks, long n, uint64_t *sum) {
    int ok = 1;
    for (long i = 0; i < n; i++) {
        void *r = NULL;
        int err = cio_await(tasks[i], &r);
        if (err != 0) {
            fprintf(stderr, "cio-bench w1: task %ld: %s\n", i,
                    cio_strerror(err));
            ok = 0;
        }
        *sum += (uint64_t)(uintptr_t)r;
        cio_release(tasks[i]);
    }
    return ok;
}

/* The same with cio_gather, as the Python peers join with asyncio.gather. */
static int w1_join_gather(cio_future **tasks, long n, uint64_t *sum) {
    void **results = malloc((size_t)(n > 0 ? n : 1) * sizeof *results);
    if (results == NULL) {
        fprintf(stderr, "cio-bench w1: out of memory\n");
        return w1_join_each(tasks, n, sum);
    }
    int err = cio_gather(tasks, (size_t)n, results);
    if (err != 0)
        fprintf(stderr, "cio-bench w1: cio_gather: %s\n", cio_strerror(err));
    for (long i = 0; i < n; i++)
        *sum += (uint64_t)(uintptr_t)results[i];
    cio_release_all(tasks, (size_t)n);
    free(results);
    return err == 0;
}

/* w1 --group: libdill's program. The children store their results in an
 * array; the group keeps nothing of a child that succeeded. */
static long *w1_results;

static void *w1_group_child(void *arg) {
    uintptr_t i = (uintptr_t)arg;
    w1_results[i] = (long)(2 * i);
    return NULL;
}

/* Spawns n children into a group and waits for it; 1 if all succeeded. */
static int w1_group(bench_args *a, long n, long *spawned) {
    cio_taskgroup *g = cio_taskgroup_new();
    if (g == NULL) {
        fail(a, "cio_taskgroup_new");
        return 0;
    }
    const cio_task_options opts = {.eager = a->eager != 0};
    for (; *spawned < n; (*spawned)++) {
        int err = cio_taskgroup_spawn_ex(
            g, w1_group_child, (void *)(uintptr_t)*spawned, &opts, NULL);
        if (err != 0) {
            fprintf(stderr, "cio-bench w1: spawn: %s\n", cio_strerror(err));
            a->failed = 1;
            break;
        }
    }
    int err = cio_taskgroup_wait(g, 0);
    if (err != 0)
        fprintf(stderr, "cio-bench w1: cio_taskgroup_wait: %s\n",
                cio_strerror(err));
    cio_taskgroup_free(g);
    return err == 0;
}

static void *w1_bundle(bench_args *a) {
    long n = a->n;
    double t0 = now();
    w1_results = malloc((size_t)(n > 0 ? n : 1) * sizeof *w1_results);
    if (w1_results == NULL) {
        fprintf(stderr, "cio-bench w1: out of memory\n");
        a->failed = 1;
        return NULL;
    }
    long spawned = 0;
    int ok = w1_group(a, n, &spawned);
    double dt = now() - t0;
    uint64_t sum = 0;
    for (long i = 0; i < spawned; i++)
        sum += (uint64_t)w1_results[i];
    free(w1_results);
    ok = ok && !a->failed && spawned == n &&
         (n == 0 || sum == (uint64_t)n * (uint64_t)(n - 1));
    metric_l("w1.tasks", n, "count");
    metric_f("w1.wall", "%.6f", dt, "s");
    if (n > 0)
        metric_f("w1.ns_per_task", "%.1f", dt * 1e9 / (double)n, "ns");
    metric_l("w1.ok", ok, "bool");
    metric_l("w1.gather", 0, "bool");
    metric_l("w1.eager", a->eager, "bool");
    metric_l("w1.group", 1, "bool");
    return NULL;
}

static void *w1(void *arg) {
    bench_args *a = arg;
    if (a->group)
        return w1_bundle(a);
    long n = a->n;
    double t0 = now();
    cio_future **tasks = new_handles(a, n, "w1");
    if (tasks == NULL)
        return NULL;
    long spawned = 0;
    const cio_task_options opts = {.eager = a->eager != 0};
    for (; spawned < n; spawned++) {
        tasks[spawned] = cio_create_task_ex(NULL, w1_child,
                                            (void *)(uintptr_t)spawned, &opts);
        if (tasks[spawned] == NULL) {
            fail(a, "cio_create_task");
            break;
        }
    }
    uint64_t sum = 0;
    int gather = a->gather;
    int ok;
    if (!gather)
        ok = w1_join_each(tasks, spawned, &sum);
    else
        ok = w1_join_gather(tasks, spawned, &sum);
    free(tasks);
    double dt = now() - t0;
    ok = ok && !a->failed && spawned == n &&
         (n == 0 || sum == (uint64_t)n * (uint64_t)(n - 1));
    metric_l("w1.tasks", n, "count");
    metric_f("w1.wall", "%.6f", dt, "s");
    if (n > 0)
        metric_f("w1.ns_per_task", "%.1f", dt * 1e9 / (double)n, "ns");
    metric_l("w1.ok", ok, "bool");
    metric_l("w1.gather", gather, "bool");
    metric_l("w1.eager", a->eager, "bool");
    metric_l("w1.group", 0, "bool");
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* W2a one task yields M times                                              */
/* ------------------------------------------------------------------------ */

static void *w2a_yielder(void *arg) {
    long m = *(long *)arg;
    double t0 = now();
    for (long i = 0; i < m; i++)
        cio_sleep(0);
    double *dt = malloc(sizeof *dt);
    if (dt != NULL)
        *dt = now() - t0;
    return dt;
}

static void *w2a(void *arg) {
    bench_args *a = arg;
    cio_future *t = cio_create_task(w2a_yielder, &a->m);
    if (t == NULL) {
        fail(a, "cio_create_task");
        return NULL;
    }
    void *r = NULL;
    int err = cio_await(t, &r);
    cio_release(t);
    if (err != 0 || r == NULL) {
        fprintf(stderr, "cio-bench w2a: %s\n",
                err ? cio_strerror(err) : "out of memory");
        a->failed = 1;
        free(r);
        return NULL;
    }
    double dt = *(double *)r;
    free(r);
    metric_l("w2a.yields", a->m, "count");
    metric_f("w2a.wall", "%.6f", dt, "s");
    if (a->m > 0)
        metric_f("w2a.ns_per_yield", "%.1f", dt * 1e9 / (double)a->m, "ns");
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* W2b ping-pong through two one-slot queues                                */
/* ------------------------------------------------------------------------ */

typedef struct w2b_state {
    long m;
    cio_queue *ping, *pong;
    double dt;
    uint64_t acc;
    int err;
} w2b_state;

static void *w2b_ponger(void *arg) {
    w2b_state *s = arg;
    for (long i = 0; i < s->m; i++) {
        void *v = NULL;
        int err = cio_queue_get(s->ping, &v);
        if (err == 0)
            err = cio_queue_put(s->pong, (void *)((uintptr_t)v + 1));
        if (err != 0) {
            s->err = err;
            break;
        }
    }
    return NULL;
}

static void *w2b_pinger(void *arg) {
    w2b_state *s = arg;
    double t0 = now();
    uint64_t acc = 0;
    for (long i = 0; i < s->m; i++) {
        void *v = NULL;
        int err = cio_queue_put(s->ping, (void *)(uintptr_t)i);
        if (err == 0)
            err = cio_queue_get(s->pong, &v);
        if (err != 0) {
            s->err = err;
            break;
        }
        acc += (uint64_t)(uintptr_t)v - (uint64_t)i;
    }
    s->dt = now() - t0;
    s->acc = acc;
    return NULL;
}

static void *w2b(void *arg) {
    bench_args *a = arg;
    /* static, not on this task's stack: with --compact, nothing may point
     * into a waiting compact task's stack */
    static w2b_state s;
    s = (w2b_state){.m = a->m};
    s.ping = cio_queue_new(1);
    s.pong = cio_queue_new(1);
    if (s.ping == NULL || s.pong == NULL) {
        fail(a, "cio_queue_new");
        if (s.ping != NULL)
            cio_queue_free(s.ping);
        if (s.pong != NULL)
            cio_queue_free(s.pong);
        return NULL;
    }
    cio_future *pong = cio_create_task(w2b_ponger, &s);
    cio_future *ping = pong ? cio_create_task(w2b_pinger, &s) : NULL;
    if (ping == NULL) {
        fail(a, "cio_create_task");
        if (pong != NULL) {
            cio_cancel(pong, NULL);
            cio_await(pong, NULL);
            cio_release(pong);
        }
        cio_queue_free(s.ping);
        cio_queue_free(s.pong);
        return NULL;
    }
    int e1 = cio_await(ping, NULL);
    int e2 = cio_await(pong, NULL);
    cio_release(ping);
    cio_release(pong);
    cio_queue_free(s.ping);
    cio_queue_free(s.pong);
    int err = e1 ? e1 : e2 ? e2 : s.err;
    if (err != 0)
        fprintf(stderr, "cio-bench w2b: %s\n", cio_strerror(err));
    metric_l("w2b.round_trips", a->m, "count");
    metric_f("w2b.wall", "%.6f", s.dt, "s");
    if (a->m > 0)
        metric_f("w2b.ns_per_round_trip", "%.1f", s.dt * 1e9 / (double)a->m,
                 "ns");
    metric_l("w2b.ok", err == 0 && s.acc == (uint64_t)a->m, "bool");
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* W3 sleepers                                                              */
/* ------------------------------------------------------------------------ */

static void *w3_sleeper(void *arg) {
    uintptr_t ms = (uintptr_t)arg;
    int err = cio_sleep((double)ms / 1000.0);
    return err ? cio_raise(err, NULL) : NULL;
}

static void *w3(void *arg) {
    bench_args *a = arg;
    long n = a->n;
    long rss0 = rss_kib(); /* before the tasks, their handles, the heap */
    double t0 = now();
    cio_future **tasks = new_handles(a, n, "w3");
    if (tasks == NULL)
        return NULL;
    uint64_t x = a->seed;
    long spawned = 0;
    for (; spawned < n; spawned++) {
        x = x * LCG_A + LCG_C;
        uintptr_t ms = (uintptr_t)((x >> 33) % 1001);
        tasks[spawned] = cio_create_task(w3_sleeper, (void *)ms);
        if (tasks[spawned] == NULL) {
            fail(a, "cio_create_task");
            break;
        }
    }
    double spawn_dt = now() - t0;
    long bad = 0;
    for (long i = 0; i < spawned; i++) {
        if (cio_await(tasks[i], NULL) != 0)
            bad++;
        cio_release(tasks[i]);
    }
    double dt = now() - t0;
    free(tasks);
    if (bad != 0)
        fprintf(stderr, "cio-bench w3: %ld sleepers failed\n", bad);
    metric_l("w3.tasks", n, "count");
    /* the run's own estimate (bench/run derives bytes_per_task from an
     * empty run instead): peak resident memory above what the process held
     * before spawning, per task */
    if (n > 0 && rss0 > 0)
        metric_f("w3.bytes_above_start_per_task", "%.0f",
                 (double)(peak_rss_kib() - rss0) * 1024.0 / (double)n, "B");
    metric_f("w3.spawn_wall", "%.6f", spawn_dt, "s");
    metric_f("w3.wall", "%.6f", dt, "s");
    metric_l("w3.ok", !a->failed && bad == 0 && spawned == n, "bool");
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* spawn: N /bin/true, C at a time                                          */
/* ------------------------------------------------------------------------ */

typedef struct spawn_state {
    long left, bad; /* children still to start; failures */
} spawn_state;

/* One of the C workers: start a child, wait for it, until none is left. */
static void *spawn_worker(void *arg) {
    spawn_state *s = arg;
    static const char *const argv[] = {"/bin/true", NULL};
    while (s->left > 0) {
        s->left--;
        cio_process *p = cio_create_subprocess_exec(argv, NULL);
        int code = -1;
        if (p == NULL || cio_process_wait(p, &code) != 0 || code != 0) {
            if (s->bad++ == 0)
                fprintf(stderr, "cio-bench spawn: %s\n",
                        p ? "/bin/true failed" : cio_last_error_message());
        }
        cio_process_free(p);
    }
    return NULL;
}

static void *spawn_bench(void *arg) {
    bench_args *a = arg;
    long c = a->c > 0 ? a->c : 1;
    spawn_state s = {.left = a->n};
    double t0 = now();
    cio_future **workers = new_handles(a, c, "spawn");
    if (workers == NULL)
        return NULL;
    long started = 0;
    for (; started < c; started++) {
        workers[started] = cio_create_task(spawn_worker, &s);
        if (workers[started] == NULL) {
            fail(a, "cio_create_task");
            break;
        }
    }
    if (cio_gather(workers, (size_t)started, NULL) != 0)
        a->failed = 1;
    cio_release_all(workers, (size_t)started);
    free(workers);
    double dt = now() - t0;
    metric_l("spawn.processes", a->n, "count");
    metric_l("spawn.concurrency", c, "count");
    metric_f("spawn.wall", "%.6f", dt, "s");
    if (a->n > 0)
        metric_f("spawn.us_per_process", "%.1f", dt * 1e6 / (double)a->n, "us");
    metric_l("spawn.ok", !a->failed && s.bad == 0 && s.left == 0, "bool");
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* W4: echo server; memory of idle connections                              */
/* ------------------------------------------------------------------------ */

static void echo_conn(cio_stream *s, void *arg) {
    (void)arg;
    char buf[65536];
    ssize_t n;
    while ((n = cio_stream_read(s, buf, sizeof buf)) > 0)
        if (cio_stream_write(s, buf, (size_t)n) < 0 || cio_stream_drain(s) < 0)
            break;
}

static void *echo_server(void *arg) {
    bench_args *a = arg;
    cio_server *srv = NULL;
    if (cio_start_server(echo_conn, NULL, "127.0.0.1", (int)a->port, NULL,
                         &srv) < 0) {
        fprintf(stderr, "cio-bench echo-server: %s\n",
                cio_last_error_message());
        a->failed = 1;
        return NULL;
    }
    printf("READY 127.0.0.1:%d\n", cio_server_port(srv));
    fflush(stdout);
    /* serve until a signal: the signal fd is watched like any fd */
    int sfd = a->sigfd;
    cio_wait_readable(sfd, -1);
    cio_server_close(srv);
    cio_server_abort_clients(srv);
    cio_server_wait_closed(srv);
    cio_server_free(srv);
    return NULL;
}

static int idle_open;

static void idle_conn(cio_stream *s, void *arg) {
    (void)arg;
    char b[1];
    idle_open++;
    cio_stream_read(s, b, 1); /* parked until the client goes */
    idle_open--;
}

static void *idle_conns(void *arg) {
    bench_args *a = arg;
    cio_server *srv = NULL;
    cio_server_options so = {.backlog = 4096};
    if (cio_start_server(idle_conn, NULL, "127.0.0.1", 0, &so, &srv) < 0) {
        a->failed = 1;
        return NULL;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)cio_server_port(srv))};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* warm up: one connection, so one-time costs are not counted */
    int warm = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(warm, (struct sockaddr *)&sa, sizeof sa);
    while (idle_open < 1)
        cio_sleep(0.001);
    cio_sleep(0.05);
    long before = rss_kib();
    int *fds = malloc((size_t)a->n * sizeof *fds);
    long made = 0;
    for (; made < a->n; made++) {
        fds[made] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fds[made] < 0)
            break;
        connect(fds[made], (struct sockaddr *)&sa, sizeof sa);
        if (made % 256 == 255)
            cio_sleep(0.001);
    }
    for (int i = 0; i < 5000 && idle_open < made + 1; i++)
        cio_sleep(0.001);
    cio_sleep(0.1);
    long after = rss_kib();
    /* the client sockets' own user memory is nil: raw fds */
    metric_l("idle.conns", idle_open - 1, "count");
    metric_f("idle.bytes_per_conn", "%.0f",
             made ? (double)(after - before) * 1024.0 / (double)made : 0, "B");
    metric_l("idle.ok", idle_open - 1 == made, "bool");
    for (long i = 0; i < made; i++)
        close(fds[i]);
    close(warm);
    free(fds);
    cio_server_close(srv);
    cio_server_wait_closed(srv);
    cio_server_free(srv);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* HTTP server: the 313-byte JSON of the peers' nginx (W5), served by cio   */
/* ------------------------------------------------------------------------ */

static const char ip_json[] =
    "{\"ip\": \"203.0.113.7\", \"hostname\": \"host-203-0-113-7.example.net\", "
    "\"city\": \"Springfield\", \"region\": \"Example Region\", \"country\": "
    "\"ZZ\", \"loc\": \"0.0000,0.0000\", \"org\": \"AS64500 Example Networks "
    "(documentation address range)\", \"postal\": \"00000\", \"timezone\": "
    "\"Etc/UTC\", \"asn\": 64500, \"anycast\": false, \"bogon\": false}\n";

static int ip_route(cio_web_request *req, cio_web_response *resp, void *arg) {
    (void)req;
    (void)arg;
    return cio_web_response_set_body(resp, ip_json, sizeof ip_json - 1,
                                     "application/json");
}

static void *http_server(void *arg) {
    bench_args *a = arg;
    cio_web_app *app = cio_web_app_new();
    cio_web_server *srv = NULL;
    cio_web_server_options o = {.net.backlog = 1024};
    if (!app || cio_web_app_route(app, "GET", "/ip.json", ip_route, NULL) ||
        cio_web_serve(app, "127.0.0.1", (int)a->port, &o, &srv)) {
        fprintf(stderr, "cio-bench http-server: %s\n",
                cio_last_error_message());
        a->failed = 1;
        cio_web_app_free(app);
        return NULL;
    }
    printf("READY 127.0.0.1:%d\n", cio_web_server_port(srv));
    fflush(stdout);
    cio_wait_readable(a->sigfd, -1); /* until SIGTERM or SIGINT */
    cio_web_server_shutdown(srv, 1);
    cio_web_server_free(srv);
    cio_web_app_free(app);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* main                                                                     */
/* ------------------------------------------------------------------------ */

static int usage(void) {
    fprintf(stderr,
            "usage: cio-bench w1 [-n N] | w2a [-m M] | w2b [-m M] |"
            " w3 [-n N] [--seed S] | spawn [-n N] [-c C]\n"
            "       [--stack-size BYTES] [--gather (w1)] [--eager (w1)]"
            " [--group (w1)] [--compact]\n"
            "defaults: w1 -n 1000000, w2a -m 1000000, w2b -m 200000,"
            " w3 -n 100000 --seed 42, spawn -n 1000 -c 16\n"
            "       echo-server [--port P (28001)] |"
            " idle-conns [-n N (5000)] |"
            " http-server [--port P (28080)] |\n"
            "       http-client [--url URL] [-n N] [-c C] [--http2] [--cafile "
            "PEM]\n");
    return 2;
}

static int parse_num(const char *s, long long *out) {
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0)
        return -1;
    *out = v;
    return 0;
}

int cio_bench_http_client(int argc, char **argv); /* http_client.c */

int main(int argc, char **argv) {
    if (argc < 2)
        return usage();
    if (strcmp(argv[1], "http-client") == 0) {
        int rc = cio_bench_http_client(argc, argv);
        fflush(stdout);
        if (rc != 2) {
            struct rusage ru;
            getrusage(RUSAGE_SELF, &ru);
            metric_l("minflt", ru.ru_minflt, "count");
            metric_l("peak_rss", peak_rss_kib(), "KiB");
        }
        return rc;
    }
    bench_args a = {.cmd = argv[1], .n = -1, .m = -1, .c = 16, .seed = 42};
    cio_task_fn fn;
    long dn = 0, dm = 0;
    if (strcmp(a.cmd, "w1") == 0) {
        fn = w1;
        dn = 1000000;
    } else if (strcmp(a.cmd, "w2a") == 0) {
        fn = w2a;
        dm = 1000000;
    } else if (strcmp(a.cmd, "w2b") == 0) {
        fn = w2b;
        dm = 200000;
    } else if (strcmp(a.cmd, "w3") == 0) {
        fn = w3;
        dn = 100000;
    } else if (strcmp(a.cmd, "spawn") == 0) {
        fn = spawn_bench;
        dn = 1000;
    } else if (strcmp(a.cmd, "echo-server") == 0) {
        fn = echo_server;
        a.port = 28001;
    } else if (strcmp(a.cmd, "http-server") == 0) {
        fn = http_server;
        a.port = 28080;
    } else if (strcmp(a.cmd, "idle-conns") == 0) {
        fn = idle_conns;
        dn = 5000;
    } else {
        return usage();
    }
    cio_loop_options opts = {0};
    for (int i = 2; i < argc; i++) {
        const char *o = argv[i];
        if (o[0] == '-' && o[1] == '-')
            o++; /* --seed and -seed alike, as Go's flag package */
        if (strcmp(o, "-gather") == 0) {
            a.gather = 1;
            continue;
        }
        if (strcmp(o, "-eager") == 0) {
            a.eager = 1;
            continue;
        }
        if (strcmp(o, "-compact") == 0) { /* every task compact */
            opts.compact_tasks = true;
            continue;
        }
        if (strcmp(o, "-group") == 0) {
            a.group = 1;
            continue;
        }
        long long v;
        if (i + 1 >= argc || parse_num(argv[i + 1], &v) != 0)
            return usage();
        i++;
        if (strcmp(o, "-n") == 0)
            a.n = (long)v;
        else if (strcmp(o, "-m") == 0)
            a.m = (long)v;
        else if (strcmp(o, "-c") == 0)
            a.c = (long)v;
        else if (strcmp(o, "-seed") == 0)
            a.seed = (uint64_t)v;
        else if (strcmp(o, "-stack-size") == 0)
            opts.stack_size = (size_t)v;
        else if (strcmp(o, "-port") == 0 && v <= 65535)
            a.port = (long)v;
        else
            return usage();
    }
    if (a.n < 0)
        a.n = dn;
    if (a.m < 0)
        a.m = dm;

    if (fn == echo_server || fn == http_server) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigprocmask(SIG_BLOCK, &set, NULL);
        a.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    }
    if (fn == idle_conns) {
        struct rlimit r;
        getrlimit(RLIMIT_NOFILE, &r);
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
    int err = cio_run_ex(fn, &a, NULL, &opts);
    fflush(stdout);
    if (err != 0) {
        fprintf(stderr, "cio-bench %s: cio_run: %s\n", a.cmd,
                cio_strerror(err));
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    metric_l("minflt", ru.ru_minflt, "count");
    metric_l("peak_rss", peak_rss_kib(), "KiB");
    return a.failed ? 1 : 0;
}
