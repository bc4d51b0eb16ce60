/* run_many - run several shell commands at the same time, each with a
 * timeout, and print their outputs as they finish (fastest first).
 *
 *     run_many [-t SECONDS] 'CMD' 'CMD' ...
 *
 * The asyncio program it mirrors:
 *
 *     async def run(cmd):
 *         p = await asyncio.create_subprocess_shell(cmd, stdout=PIPE,
 *                                                   stderr=STDOUT,
 *                                                   start_new_session=True)
 *         try:
 *             async with asyncio.timeout(limit):
 *                 out, _ = await p.communicate()
 *         except TimeoutError:
 *             os.killpg(p.pid, signal.SIGKILL)   # start_new_session=True
 *             out, _ = await p.communicate()
 *         return cmd, p.returncode, out
 *
 *     for next_done in asyncio.as_completed([run(c) for c in cmds]):
 *         cmd, code, out = await next_done
 *         print(f"[{cmd}] exit {code}\n{out.decode()}", end="")
 */
#include <cio.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct job {
    const char *cmd;
    double limit;
    int code;
    bool timed_out;
    char *out;
} job;

static void *run(void *arg) {
    job *j = arg;
    /* a session of its own: on timeout the shell and whatever it started
     * (which holds the pipe open too) are killed together */
    cio_process *p = cio_create_subprocess_shell(
        j->cmd, &(cio_process_options){.out = CIO_STDIO_PIPE,
                                       .err = CIO_STDIO_STDOUT,
                                       .new_session = true});
    if (!p)
        return cio_raise(cio_last_error(), "%s", cio_last_error_message());
    cio_timeout_scope *ts = cio_timeout(j->limit);
    int err = cio_process_communicate(p, NULL, 0, &j->out, NULL, NULL, NULL);
    err = cio_timeout_end(ts, err);
    if (err == CIO_ETIMEDOUT) { /* what it printed so far is kept */
        j->timed_out = true;
        kill(-cio_process_pid(p), SIGKILL); /* the whole process group */
        err = cio_process_communicate(p, NULL, 0, &j->out, NULL, NULL, NULL);
    }
    cio_process_returncode(p, &j->code);
    cio_process_free(p);
    return err ? cio_raise(err, "%s: %s", j->cmd, cio_strerror(err)) : j;
}

typedef struct plan {
    int n;
    char **cmds;
    double limit;
} plan;

static void *amain(void *arg) {
    plan *pl = arg;
    job *jobs = calloc((size_t)pl->n, sizeof *jobs);
    cio_future **tasks = calloc((size_t)pl->n, sizeof *tasks);
    for (int i = 0; i < pl->n; i++) {
        jobs[i] = (job){.cmd = pl->cmds[i], .limit = pl->limit};
        tasks[i] = cio_create_task(run, &jobs[i]);
    }
    cio_as_completed_iter *it =
        cio_as_completed(tasks, (size_t)pl->n, CIO_NO_TIMEOUT);
    cio_future *f;
    while (cio_as_completed_next(it, &f) > 0) {
        job *j = cio_future_result(f);
        if (!j) {
            printf("[?] failed: %s\n", cio_future_error_message(f));
            continue;
        }
        if (j->timed_out)
            printf("[%s] killed after %g s (%d)\n", j->cmd, j->limit, j->code);
        else
            printf("[%s] exit %d\n", j->cmd, j->code);
        fputs(j->out ? j->out : "", stdout);
        fflush(stdout);
    }
    cio_as_completed_free(it);
    cio_release_all(tasks, (size_t)pl->n);
    for (int i = 0; i < pl->n; i++)
        free(jobs[i].out);
    free(tasks);
    free(jobs);
    return NULL;
}

int main(int argc, char **argv) {
    plan pl = {.limit = 2.0};
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "-t") == 0) {
        pl.limit = atof(argv[2]);
        first = 3;
    }
    static char *defaults[] = {"sleep 1; echo one second", "echo at once",
                               "echo start; sleep 30; echo never",
                               "ls /no/such/dir"};
    pl.cmds = argc > first ? argv + first : defaults;
    pl.n = argc > first ? argc - first : 4;
    return cio_exit_status(cio_run(amain, &pl, NULL));
}
