/* process.c - a child's life: its exit, wait, signals, the object's free,
 * and what the loop's closing does to children still running. */
#include "process/proc.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

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

static void destroy(cio_process *p) {
    free_pipes(p);
    cio__sync_close_end(&p->base); /* the loop binding goes */
    free(p->name);
    free(p);
}

static void on_handle_closed(uv_handle_t *h) {
    cio_process *p = cio__container_of((uv_process_t *)h, cio_process, handle);
    p->handle_open = false;
    if (p->freed)
        destroy(p);
}

static void unlink_proc(cio_process *p) {
    cio__proc_area *a = p->area;
    if (!a)
        return;
    if (p->prev)
        p->prev->next = p->next;
    else
        a->procs = p->next;
    if (p->next)
        p->next->prev = p->prev;
    p->prev = p->next = NULL;
    p->area = NULL;
}

void cio__process_discard(cio_process *p) {
    free_pipes(p);
    if (p->handle_open) {
        p->freed = true;
        uv_close((uv_handle_t *)&p->handle, on_handle_closed);
    } else {
        destroy(p);
    }
}

void cio__process_started(cio_process *p, cio__proc_area *area) {
    p->pid = p->handle.pid;
    p->area = area;
    p->next = area->procs;
    if (area->procs)
        area->procs->prev = p;
    area->procs = p;
}

void cio__process_exited(uv_process_t *h, int64_t status, int term_signal) {
    cio_process *p = cio__container_of(h, cio_process, handle);
    p->exited = true;
    p->returncode = term_signal ? -term_signal : (int)status;
    unlink_proc(p);
    uv_close((uv_handle_t *)h, on_handle_closed);
    cio__waitq_wake_all(&p->waiters);
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
    while (!p->exited) {
        cio__waiter w;
        int rc = cio__waiter_wait(&p->waiters, &w, __FILE__, __LINE__);
        if (rc != 0)
            return rc; /* a wake-up lost to a cancel is no loss: wake_all */
    }
    return 0;
}

int cio_process_wait(cio_process *p, int *returncode) {
    if (!p)
        return CIO_EINVAL;
    int rc =
        p->exited ? cio__sync_check(&p->base) : cio__sync_check_task(&p->base);
    if (rc == 0)
        rc = cio__process_wait_exit(p);
    if (rc == 0 && returncode)
        *returncode = p->returncode;
    return rc;
}

int cio_process_send_signal(cio_process *p, int signum) {
    if (!p || signum < 0 || signum >= NSIG)
        return CIO_EINVAL;
    int rc = cio__sync_check(&p->base);
    if (rc)
        return rc;
    /* after the exit libuv has reaped the pid: it may be another's now */
    if (p->exited || !p->handle_open)
        return -ESRCH;
    return uv_process_kill(&p->handle, signum);
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
            return CIO_EHASWAITERS;
    }
    if (p->handle_open) { /* still running: freed when it has exited */
        free_pipes(p);
        p->freed = true;
        return 0;
    }
    destroy(p);
    return 0;
}

/* ---- the loop closes ---------------------------------------------------- */

static void *reap(void *arg) {
    pid_t pid = *(pid_t *)arg;
    free(arg);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        continue;
    return NULL;
}

/* libuv stops waiting for a child whose handle is closed: a detached
 * thread takes over, so that the child does not stay a zombie. */
static void hand_to_reaper(cio_process *p) {
    pthread_attr_t attr;
    pthread_t t;
    pid_t *pid = malloc(sizeof *pid);
    int rc = pid ? pthread_attr_init(&attr) : ENOMEM;
    if (rc == 0) {
        *pid = p->pid;
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, (size_t)64 * 1024);
        rc = pthread_create(&t, &attr, reap, pid);
        pthread_attr_destroy(&attr);
    }
    if (rc != 0)
        free(pid);
    cio__diag("process %d (%s) was still running when its loop closed: left "
              "running%s",
              p->pid, p->name,
              rc == 0 ? ", its exit status will be lost"
                      : "; no thread could wait for it, it will stay a "
                        "zombie once it exits");
}

void cio__processes_close(cio__proc_area *a) {
    while (a->procs) {
        cio_process *p = a->procs;
        unlink_proc(p);
        hand_to_reaper(p);
        /* the tasks that waited were abandoned with their stacks */
        p->waiters = (cio__waitq){0};
        p->busy = 0;
        uv_close((uv_handle_t *)&p->handle, on_handle_closed);
    }
}
