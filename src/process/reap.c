/* reap.c - noticing that children exit, without libuv's uv_spawn.
 *
 * Each loop that started a child listens for SIGCHLD with a uv_signal_t
 * (libuv multiplexes its signal watchers, so this coexists with uv_spawn
 * users and with cio_add_signal_handler) and, when it arrives, asks each
 * of its own children still running with waitpid(pid, WNOHANG). It never
 * calls waitpid(-1), which would steal other code's children. SIGCHLDs
 * coalesce: one delivery may stand for several exits, hence the scan.
 *
 * A SIGCHLD is sent to the process, and any thread that does not block it
 * may take it. Under ThreadSanitizer a handler waits until its thread
 * next enters an intercepted call, and an idle thread of the program (a
 * thread pool's) may hold it for ever: so while children run, the loop
 * also re-checks them every RECHECK_MS, which costs a wake-up per period
 * and nothing per child. */
#include "process/proc.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

static void free_watcher(uv_handle_t *h) {
    free(h);
}

#define RECHECK_MS 250

static void unlink_proc(cio__proc_area *a, cio_process *p) {
    if (p->prev)
        p->prev->next = p->next;
    else
        a->procs = p->next;
    if (p->next)
        p->next->prev = p->prev;
    p->prev = p->next = NULL;
    p->area = NULL;
    if (!a->procs) { /* no child left: the watcher keeps nothing alive */
        uv_unref((uv_handle_t *)a->sigchld);
        uv_timer_stop(a->recheck);
    }
}

/* The child is no longer ours: waitpid gave its `status`, or (lost)
 * someone else reaped it first. */
static void reaped(cio__proc_area *a, cio_process *p, int status, bool lost) {
    unlink_proc(a, p);
    p->gone = true;
    if (!lost) {
        p->exited = true;
        p->returncode =
            WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
    }
    if (p->freed)
        cio__process_destroy(p);
    else
        cio__waitq_wake_all(&p->waiters);
}

static void scan(cio__proc_area *a) {
    cio_process *next;
    for (cio_process *p = a->procs; p; p = next) {
        next = p->next; /* reaped() unlinks p */
        int status = 0;
        pid_t r;
        do
            r = waitpid(p->pid, &status, WNOHANG);
        while (r < 0 && errno == EINTR);
        if (r == p->pid)
            reaped(a, p, status, false);
        else if (r < 0 && errno == ECHILD)
            reaped(a, p, 0, true);
    }
}

static void on_sigchld(uv_signal_t *h, int signum) {
    (void)signum;
    scan(h->data);
}

static void on_recheck(uv_timer_t *t) {
    scan(t->data);
}

int cio__reaper_start(cio__proc_area *a, cio_loop *loop, const char *who) {
    if (a->sigchld)
        return 0;
    uv_signal_t *h = malloc(sizeof *h);
    if (!h) {
        cio__set_error(CIO_ENOMEM, "%s: out of memory", who);
        return CIO_ENOMEM;
    }
    uv_signal_init(&loop->uv, h);
    h->data = a;
    int rc = uv_signal_start(h, on_sigchld, SIGCHLD);
    if (rc != 0) {
        uv_close((uv_handle_t *)h, free_watcher);
        cio__set_error(rc, "%s: cannot watch SIGCHLD: %s", who,
                       uv_strerror(rc));
        return rc;
    }
    uv_timer_t *t = malloc(sizeof *t);
    if (!t) {
        uv_close((uv_handle_t *)h, free_watcher);
        cio__set_error(CIO_ENOMEM, "%s: out of memory", who);
        return CIO_ENOMEM;
    }
    uv_timer_init(&loop->uv, t);
    t->data = a;
    uv_unref((uv_handle_t *)t); /* (the SIGCHLD watcher keeps the loop) */
    uv_unref((uv_handle_t *)h);
    a->sigchld = h;
    a->recheck = t;
    return 0;
}

void cio__reaper_track(cio__proc_area *a, cio_process *p, pid_t pid) {
    p->pid = pid;
    p->area = a;
    p->next = a->procs;
    if (a->procs)
        a->procs->prev = p;
    else { /* a child to wait for keeps the loop alive, as any I/O */
        uv_ref((uv_handle_t *)a->sigchld);
        uv_timer_start(a->recheck, on_recheck, RECHECK_MS, RECHECK_MS);
    }
    a->procs = p;
}

/* ---- the loop closes ---------------------------------------------------- */

static void *reap_thread(void *arg) {
    pid_t pid = *(pid_t *)arg;
    free(arg);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        continue;
    return NULL;
}

/* The loop can no longer wait for the child: a detached thread takes
 * over, so that it does not stay a zombie. */
static void hand_to_thread(cio_process *p) {
    pthread_attr_t attr;
    pthread_t t;
    pid_t *pid = malloc(sizeof *pid);
    int rc = pid ? pthread_attr_init(&attr) : ENOMEM;
    if (rc == 0) {
        *pid = p->pid;
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, (size_t)64 * 1024);
        rc = pthread_create(&t, &attr, reap_thread, pid);
        pthread_attr_destroy(&attr);
    }
    if (rc != 0)
        free(pid);
    cio__diag("process %d (%s) was still running when its loop closed: left "
              "running%s",
              (int)p->pid, p->name,
              rc == 0 ? ", its exit status will be lost"
                      : "; no thread could wait for it, it will stay a "
                        "zombie once it exits");
}

void cio__processes_close(cio__proc_area *a) {
    while (a->procs) {
        cio_process *p = a->procs;
        unlink_proc(a, p);
        hand_to_thread(p);
        p->gone = true;
        if (p->freed) {
            cio__process_destroy(p);
            continue;
        }
        /* the tasks that waited were abandoned with their stacks */
        p->waiters = (cio__waitq){0};
        p->busy = 0;
    }
    if (a->sigchld) {
        uv_close((uv_handle_t *)a->sigchld, free_watcher);
        uv_close((uv_handle_t *)a->recheck, free_watcher);
    }
    a->sigchld = NULL;
    a->recheck = NULL;
}
