/* diffrun.c - run programs of the differential tester on cio.
 *
 *     diffrun FILE      (one JSON program per line, as tests/diff/gen.py
 *                        writes them; - for stdin)
 *
 * For each program, prints "=== K" and the event log, line for line what
 * tests/diff/run_asyncio.py prints for the same program on asyncio. The
 * loop runs on virtual time, so a program's log depends on nothing but the
 * program. The language is described in tests/diff/gen.py; the log format in
 * run_asyncio.py (which this file mirrors statement by statement).
 */
#include <cio.h>

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The program's errors E1, E2, E3 are these codes. */
#define ERR_BASE (-20000)

typedef struct interp {
    json_t *prog;
    size_t ntasks;
    cio_future **task; /* NULL: not spawned */
    size_t nlocks, nsems, nqueues, nevents;
    cio_lock **locks;
    cio_semaphore **sems;
    cio_queue **queues;
    cio_event **events;
    bool main_done;
} interp;

static interp *I;

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* The log's name of a failure, as run_asyncio.py's outcome_of_exc. */
static const char *outcome(int err, char *buf, size_t cap) {
    if (err == CIO_ECANCELED)
        return "cancelled";
    if (err == CIO_ETIMEDOUT)
        return "timeout";
    if (err <= ERR_BASE - 1 && err >= ERR_BASE - 9)
        snprintf(buf, cap, "err E%d", ERR_BASE - err);
    else /* not a failure the program can produce: shows as a mismatch */
        snprintf(buf, cap, "cio error %d (%s)", err, cio_strerror(err));
    return buf;
}

static long jint(json_t *o, const char *key) {
    return (long)json_integer_value(json_object_get(o, key));
}

static bool catches(json_t *st) {
    return jint(st, "c") != 0;
}

/* Log "Ti desc -> okSUFFIX" or "Ti desc -> failure"; the status to pass on:
 * the failure unless the statement catches it. */
static int finish(int i, json_t *st, const char *desc, int err,
                  const char *ok_suffix) {
    char buf[64];
    if (err) {
        logf_("T%d %s -> %s", i, desc, outcome(err, buf, sizeof buf));
        return catches(st) ? 0 : err;
    }
    logf_("T%d %s -> ok%s", i, desc, ok_suffix);
    return 0;
}

static cio_future *spawned(long t) {
    return t >= 0 && (size_t)t < I->ntasks ? I->task[t] : NULL;
}

static void *task_main(void *arg);
static int exec_body(int i, json_t *stmts);

static int do_spawn(int i, long t) {
    if (I->main_done) {
        logf_("T%d spawn T%ld refused", i, t);
        return 0;
    }
    logf_("T%d spawn T%ld", i, t);
    I->task[t] = cio_create_task(task_main, (void *)(intptr_t)t);
    return I->task[t] ? 0 : cio_last_error();
}

static int do_cancel(int i, long t) {
    cio_future *f = spawned(t);
    if (!f) {
        logf_("T%d cancel T%ld -> unspawned", i, t);
        return 0;
    }
    int rc = cio_cancel(f, NULL);
    if (rc < 0)
        logf_("T%d cancel T%ld -> cio error %d", i, t, rc);
    else
        logf_("T%d cancel T%ld -> %s", i, t, rc ? "True" : "False");
    return 0;
}

/* await, shield, wait_for of one task. */
static int do_await(int i, json_t *st, const char *op) {
    long t = jint(st, "t");
    char desc[64], ok[32];
    if (!strcmp(op, "wait_for"))
        snprintf(desc, sizeof desc, "wait_for T%ld %ld", t, jint(st, "d"));
    else
        snprintf(desc, sizeof desc, "%s T%ld", op, t);
    cio_future *f = spawned(t);
    if (!f) {
        logf_("T%d %s -> unspawned", i, desc);
        return 0;
    }
    void *r = NULL;
    int err;
    if (!strcmp(op, "await")) {
        err = cio_await(f, &r);
    } else if (!strcmp(op, "shield")) {
        cio_future *s = cio_shield(f);
        err = s ? cio_await(s, &r) : cio_last_error();
        cio_release(s);
    } else {
        err = cio_wait_for(f, (double)jint(st, "d"), &r);
    }
    snprintf(ok, sizeof ok, " %ld", (long)(intptr_t)r);
    return finish(i, st, desc, err, ok);
}

/* The spawned tasks of st["ts"], their indices in idx; the count. */
static size_t collect(json_t *st, cio_future **fs, long *idx, char *names,
                      size_t cap) {
    size_t n = 0, k;
    json_t *v;
    size_t len = (size_t)snprintf(names, cap, "[");
    json_array_foreach(json_object_get(st, "ts"), k, v) {
        long t = (long)json_integer_value(v);
        if (!spawned(t))
            continue;
        len +=
            (size_t)snprintf(names + len, cap - len, "%sT%ld", n ? "," : "", t);
        idx[n] = t;
        fs[n++] = spawned(t);
    }
    snprintf(names + len, cap - len, "]");
    return n;
}

#define MAXT 64

static int do_gather(int i, json_t *st) {
    cio_future *fs[MAXT];
    long idx[MAXT];
    void *res[MAXT] = {0};
    char names[256], desc[300], ok[512];
    size_t n = collect(st, fs, idx, names, sizeof names);
    int ret_exc = (int)jint(st, "r");
    snprintf(desc, sizeof desc, "gather %s %d", names, ret_exc);
    int err = cio_gather_ex(fs, n, res, ret_exc ? CIO_RETURN_ERRORS : 0);
    size_t len = (size_t)snprintf(ok, sizeof ok, " [");
    for (size_t k = 0; k < n && !err; k++) {
        char buf[64];
        int e = ret_exc ? cio_future_error(fs[k]) : 0;
        if (e)
            len += (size_t)snprintf(ok + len, sizeof ok - len, "%s%s",
                                    k ? "," : "", outcome(e, buf, sizeof buf));
        else
            len += (size_t)snprintf(ok + len, sizeof ok - len, "%s%ld",
                                    k ? "," : "", (long)(intptr_t)res[k]);
    }
    snprintf(ok + len, sizeof ok - len, "]");
    return finish(i, st, desc, err, ok);
}

static int do_wait(int i, json_t *st) {
    cio_future *fs[MAXT], *part[MAXT];
    long idx[MAXT];
    char names[256], desc[300], ok[300];
    size_t n = collect(st, fs, idx, names, sizeof names);
    const char *when = json_string_value(json_object_get(st, "when"));
    json_t *d = json_object_get(st, "d");
    if (json_is_integer(d))
        snprintf(desc, sizeof desc, "wait %s %s %lld", names, when,
                 (long long)json_integer_value(d));
    else
        snprintf(desc, sizeof desc, "wait %s %s None", names, when);
    if (n == 0) {
        logf_("T%d %s -> empty", i, desc);
        return 0;
    }
    cio_return_when w = !strcmp(when, "FIRST_COMPLETED") ? CIO_FIRST_COMPLETED
                        : !strcmp(when, "ALL_COMPLETED") ? CIO_ALL_COMPLETED
                                                         : CIO_FIRST_EXCEPTION;
    memcpy(part, fs, n * sizeof *fs);
    long ndone = cio_wait(part, n, w,
                          json_is_integer(d) ? (double)json_integer_value(d)
                                             : CIO_NO_TIMEOUT);
    if (ndone < 0)
        return finish(i, st, desc, (int)ndone, "");
    /* The done ones, in input order, as run_asyncio.py lists them. */
    size_t len = (size_t)snprintf(ok, sizeof ok, " ["), shown = 0;
    for (size_t k = 0; k < n; k++)
        for (long j = 0; j < ndone; j++)
            if (part[j] == fs[k]) {
                len += (size_t)snprintf(ok + len, sizeof ok - len, "%sT%ld",
                                        shown++ ? "," : "", idx[k]);
                break;
            }
    snprintf(ok + len, sizeof ok - len, "]");
    return finish(i, st, desc, 0, ok);
}

/* lock / sem: acquire, run the body, release whatever the body did. */
static int do_guarded_block(int i, json_t *st, bool is_lock) {
    long l = jint(st, "l");
    char name[32], buf[64];
    snprintf(name, sizeof name, "%s %c%ld", is_lock ? "lock" : "sem",
             is_lock ? 'L' : 'S', l);
    int err = is_lock ? cio_lock_acquire(I->locks[l])
                      : cio_semaphore_acquire(I->sems[l]);
    if (err) {
        logf_("T%d %s -> %s", i, name, outcome(err, buf, sizeof buf));
        return catches(st) ? 0 : err;
    }
    logf_("T%d %s -> acquired", i, name);
    err = exec_body(i, json_object_get(st, "body"));
    int rel = is_lock ? cio_lock_release(I->locks[l])
                      : cio_semaphore_release(I->sems[l]);
    if (rel)
        logf_("T%d %s release: cio error %d", i, name, rel);
    logf_("T%d %s released", i, name);
    return err;
}

static int do_timeout(int i, json_t *st) {
    long d = jint(st, "d");
    char desc[32];
    logf_("T%d timeout %ld begin", i, d);
    snprintf(desc, sizeof desc, "timeout %ld end", d);
    cio_timeout_scope *ts = cio_timeout((double)d);
    if (!ts)
        return finish(i, st, desc, cio_last_error(), "");
    int err = exec_body(i, json_object_get(st, "body"));
    return finish(i, st, desc, cio_timeout_end(ts, err), "");
}

static int do_queue(int i, json_t *st, bool put) {
    long q = jint(st, "q");
    char desc[48], ok[32] = "";
    if (put) {
        long v = jint(st, "v");
        snprintf(desc, sizeof desc, "put Q%ld %ld", q, v);
        return finish(i, st, desc,
                      cio_queue_put(I->queues[q], (void *)(intptr_t)v), "");
    }
    void *item = NULL;
    snprintf(desc, sizeof desc, "get Q%ld", q);
    int err = cio_queue_get(I->queues[q], &item);
    snprintf(ok, sizeof ok, " %ld", (long)(intptr_t)item);
    return finish(i, st, desc, err, ok);
}

static int exec_stmt(int i, json_t *st) {
    const char *op = json_string_value(json_object_get(st, "op"));
    char desc[48];
    if (!op)
        return CIO_EINVAL;
    if (!strcmp(op, "sleep")) {
        snprintf(desc, sizeof desc, "sleep %ld", jint(st, "d"));
        return finish(i, st, desc, cio_sleep((double)jint(st, "d")), "");
    }
    if (!strcmp(op, "spawn"))
        return do_spawn(i, jint(st, "t"));
    if (!strcmp(op, "cancel"))
        return do_cancel(i, jint(st, "t"));
    if (!strcmp(op, "await") || !strcmp(op, "shield") ||
        !strcmp(op, "wait_for"))
        return do_await(i, st, op);
    if (!strcmp(op, "gather"))
        return do_gather(i, st);
    if (!strcmp(op, "wait"))
        return do_wait(i, st);
    if (!strcmp(op, "lock") || !strcmp(op, "sem"))
        return do_guarded_block(i, st, op[0] == 'l');
    if (!strcmp(op, "timeout"))
        return do_timeout(i, st);
    if (!strcmp(op, "put") || !strcmp(op, "get"))
        return do_queue(i, st, op[0] == 'p');
    long e = jint(st, "e");
    if (!strcmp(op, "set") || !strcmp(op, "clear")) {
        int rc = op[0] == 's' ? cio_event_set(I->events[e])
                              : cio_event_clear(I->events[e]);
        logf_("T%d %s V%ld", i, op, e);
        return rc;
    }
    if (!strcmp(op, "evwait")) {
        snprintf(desc, sizeof desc, "evwait V%ld", e);
        return finish(i, st, desc, cio_event_wait(I->events[e]), "");
    }
    fprintf(stderr, "diffrun: unknown op '%s'\n", op);
    return CIO_EINVAL;
}

static int exec_body(int i, json_t *stmts) {
    size_t k;
    json_t *st;
    json_array_foreach(stmts, k, st) {
        int err = exec_stmt(i, st);
        if (err)
            return err;
    }
    return 0;
}

static void *task_main(void *arg) {
    int i = (int)(intptr_t)arg;
    json_t *t = json_array_get(json_object_get(I->prog, "tasks"), (size_t)i);
    logf_("T%d start", i);
    int err = exec_body(i, json_object_get(t, "body"));
    json_t *end = json_object_get(t, "end");
    void *ret = NULL;
    if (err) {
        ret = cio_raise(err, "passed on");
    } else if (json_object_get(end, "raise")) {
        long k = jint(end, "raise");
        logf_("T%d raise E%ld", i, k);
        ret = cio_raise(ERR_BASE - (int)k, "E%ld", k);
    } else {
        logf_("T%d return %ld", i, jint(end, "ret"));
        ret = (void *)(intptr_t)jint(end, "ret");
    }
    if (i == 0) {
        I->main_done = true;
        logf_("=== main done");
    }
    return ret;
}

static void *amain(void *arg) {
    (void)arg;
    for (size_t k = 0; k < I->nlocks; k++)
        I->locks[k] = cio_lock_new(NULL);
    json_t *sems = json_object_get(I->prog, "sems");
    for (size_t k = 0; k < I->nsems; k++)
        I->sems[k] = cio_semaphore_new(
            NULL, (long)json_integer_value(json_array_get(sems, k)));
    json_t *queues = json_object_get(I->prog, "queues");
    for (size_t k = 0; k < I->nqueues; k++)
        I->queues[k] = cio_queue_new(
            (size_t)json_integer_value(json_array_get(queues, k)));
    for (size_t k = 0; k < I->nevents; k++)
        I->events[k] = cio_event_new(NULL);
    return task_main((void *)(intptr_t)0);
}

static void final_states(void) {
    char buf[64];
    for (size_t k = 1; k < I->ntasks; k++) {
        cio_future *f = I->task[k];
        if (!f) {
            logf_("final T%zu unspawned", k);
        } else if (!cio_future_done(f)) {
            logf_("final T%zu pending", k);
        } else if (cio_future_cancelled(f)) {
            logf_("final T%zu cancelled", k);
        } else {
            int err = cio_future_error(f);
            if (err)
                logf_("final T%zu %s", k, outcome(err, buf, sizeof buf));
            else
                logf_("final T%zu ok %ld", k,
                      (long)(intptr_t)cio_future_result(f));
        }
    }
}

static void run_program(json_t *prog) {
    interp in = {.prog = prog};
    I = &in;
    in.ntasks = json_array_size(json_object_get(prog, "tasks"));
    in.nlocks = (size_t)jint(prog, "locks");
    in.nsems = json_array_size(json_object_get(prog, "sems"));
    in.nqueues = json_array_size(json_object_get(prog, "queues"));
    in.nevents = (size_t)jint(prog, "events");
    in.task = calloc(in.ntasks + 1, sizeof *in.task);
    in.locks = calloc(in.nlocks + 1, sizeof *in.locks);
    in.sems = calloc(in.nsems + 1, sizeof *in.sems);
    in.queues = calloc(in.nqueues + 1, sizeof *in.queues);
    in.events = calloc(in.nevents + 1, sizeof *in.events);
    if (!in.task || !in.locks || !in.sems || !in.queues || !in.events) {
        fprintf(stderr, "diffrun: out of memory\n");
        exit(2);
    }
    cio_loop_options opts = {.virtual_time = true};
    void *result = NULL;
    int rc = cio_run_ex(amain, NULL, &result, &opts);
    char buf[64];
    if (rc == CIO_EDEADLK)
        logf_("deadlock");
    else if (rc)
        logf_("final T0 %s", outcome(rc, buf, sizeof buf));
    else
        logf_("final T0 ok %ld", (long)(intptr_t)result);
    if (rc != CIO_EDEADLK)
        final_states();
    for (size_t k = 0; k < in.ntasks; k++)
        cio_release(in.task[k]);
    for (size_t k = 0; k < in.nlocks; k++)
        cio_lock_free(in.locks[k]);
    for (size_t k = 0; k < in.nsems; k++)
        cio_semaphore_free(in.sems[k]);
    for (size_t k = 0; k < in.nqueues; k++)
        cio_queue_free(in.queues[k]);
    for (size_t k = 0; k < in.nevents; k++)
        cio_event_free(in.events[k]);
    free(in.task);
    free(in.locks);
    free(in.sems);
    free(in.queues);
    free(in.events);
    I = NULL;
}

/* cio's diagnostics ("never retrieved", "destroyed but pending") are not
 * part of the log: asyncio's are not compared either. */
static void quiet(const char *message, void *arg) {
    (void)arg;
    if (getenv("DIFFRUN_DIAG"))
        fprintf(stderr, "diag: %s\n", message);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE|-\n", argv[0]);
        return 2;
    }
    FILE *in = strcmp(argv[1], "-") ? fopen(argv[1], "r") : stdin;
    if (!in) {
        perror(argv[1]);
        return 2;
    }
    cio_set_diagnostic_handler(quiet, NULL);
    char *line = NULL;
    size_t cap = 0;
    long k = 0;
    while (getline(&line, &cap, in) > 0) {
        json_error_t jerr;
        json_t *prog = json_loads(line, 0, &jerr);
        if (prog) {
            printf("=== %ld\n", k);
            run_program(prog);
            json_decref(prog);
            fflush(stdout);
        } else if (line[strspn(line, " \t\r\n")]) {
            fprintf(stderr, "diffrun: line %ld: %s\n", k + 1, jerr.text);
            free(line);
            return 2;
        }
        k++;
    }
    free(line);
    if (in != stdin)
        fclose(in);
    return 0;
}
