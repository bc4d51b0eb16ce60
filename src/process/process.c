/* process.c - the process object: wait, signals, its free. Its child's
 * exit, and what the loop's closing does to children still running, are
 * reap.c's. */
#include "process/proc.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

cio_process *cio__process_new(cio_loop *loop, const char *name,
                              const char *who) {
    cio_process *p = calloc(1, sizeof *p);
    char *copy = cio__strdup(name);
    if (!p || !copy) {
        free(p);
        free(copy);
        cio__set_error(CIO_ENOMEM, "%s: out of memory", who);
        return NULL;
    }
    if (cio__sync_init(&p->base, loop, false, who) != 0) {
        free(p);
        free(copy);
        return NULL;
    }
    p->name = copy;
    p->pid = -1;
    return p;
}

static void free_pipes(cio_process *p) {
    for (int i = 0; i < 3; i++) {
        cio_stream_free(p->pipes[i]);
        p->pipes[i] = NULL;
        free(p->acc[i]);
        p->acc[i] = NULL;
    }
}

void cio__process_destroy(cio_process *p) {
    free_pipes(p);
    cio__sync_close_end(&p->base); /* the loop binding goes */
    free(p->name);
    free(p);
}

void cio__process_discard(cio_process *p) {
    cio__process_destroy(p);
}

int cio_process_pid(const cio_process *p) {
    return p ? p->pid : -1;
}

bool cio_process_returncode(const cio_process *p, int *returncode) {
    if (!p || !p->exited)
        return false;
    if (returncode)
        *returncode = p->returncode;
    return true;
}

static cio_stream *pipe_of(cio_process *p, int i) {
    return p ? p->pipes[i] : NULL;
}
cio_stream *cio_process_stdin(cio_process *p) {
    return pipe_of(p, 0);
}
cio_stream *cio_process_stdout(cio_process *p) {
    return pipe_of(p, 1);
}
cio_stream *cio_process_stderr(cio_process *p) {
    return pipe_of(p, 2);
}

int cio__process_wait_exit(cio_process *p) {
    while (!p->gone) {
        cio__waiter w;
        int rc = cio__waiter_wait(&p->waiters, &w, __FILE__, __LINE__);
        if (rc != 0)
            return rc; /* a wake-up lost to a cancel is no loss: wake_all */
    }
    if (!p->exited) {
        cio__set_error(-ECHILD,
                       "process %d (%s) was reaped by someone else (a "
                       "waitpid(-1), or SIGCHLD set to SIG_IGN): its exit "
                       "status is lost",
                       (int)p->pid, p->name);
        return -ECHILD;
    }
    return 0;
}

int cio_process_wait(cio_process *p, int *returncode) {
    if (!p)
        return cio__error(CIO_EINVAL, "cio_process_wait: process is NULL");
    int rc =
        p->gone ? cio__sync_check(&p->base) : cio__sync_check_task(&p->base);
    if (rc == 0)
        rc = cio__process_wait_exit(p);
    if (rc == 0 && returncode)
        *returncode = p->returncode;
    return rc;
}

int cio_process_send_signal(cio_process *p, int signum) {
    if (!p || signum < 0 || signum >= NSIG)
        return cio__error(CIO_EINVAL,
                          "cio_process_send_signal: process is NULL or signal "
                          "%d is out of range",
                          signum);
    int rc = cio__sync_check(&p->base);
    if (rc)
        return rc;
    /* once reaped, the pid may be another process's now */
    if (p->gone)
        return cio__error(
            -ESRCH,
            "cio_process_send_signal: the process has already been reaped");
    return kill(p->pid, signum) == 0 ? 0 : -errno;
}

int cio_process_terminate(cio_process *p) {
    return cio_process_send_signal(p, SIGTERM);
}

int cio_process_kill(cio_process *p) {
    return cio_process_send_signal(p, SIGKILL);
}

int cio_process_free(cio_process *p) {
    if (!p)
        return 0;
    if (!cio__sync_closed(&p->base)) {
        int rc = cio__sync_check(&p->base);
        if (rc)
            return rc;
        if (p->busy || cio__waitq_busy(&p->waiters))
            return cio__error(
                CIO_EHASWAITERS,
                "cio_process_free: a task still waits on the process");
    }
    if (p->area) { /* still running: freed when it has exited */
        free_pipes(p);
        p->freed = true;
        return 0;
    }
    cio__process_destroy(p);
    return 0;
}
