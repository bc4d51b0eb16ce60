/* proc.h - the process object, shared by spawn.c (starting a child),
 * reap.c (noticing its exit), process.c (its life: wait, signals, free)
 * and communicate.c. */
#ifndef CIO_PROCESS_PROC_H
#define CIO_PROCESS_PROC_H

#include "process/internal.h"
#include "sync/internal.h" /* the loop binding and the wait queue */

#include <sys/types.h>

typedef struct cio__reader {
    struct cio_process *p;
    int i; /* 1: stdout, 2: stderr */
} cio__reader;

struct cio_process {
    cio__sync base;                  /* first: the loop binding */
    cio__proc_area *area;            /* set while the child is ours to reap */
    struct cio_process *prev, *next; /* area->procs */
    cio_stream *pipes[3];            /* CIO_STDIO_PIPE streams, or NULL */
    char *name;                      /* argv[0], for messages */
    pid_t pid;
    int returncode;
    /* exited: reaped by us, returncode known; gone: no longer ours to wait
     * for or signal (exited, reaped by someone else, or handed over when
     * the loop closed) */
    bool exited, gone, freed;
    cio__waitq waiters; /* tasks in cio_process_wait */
    unsigned busy;      /* tasks inside cio_process_communicate */
    /* communicate: what was read and not handed out yet, how far the input
     * went; kept across a cancelled call */
    char *acc[3];
    size_t acc_len[3], acc_cap[3];
    bool eof[3];
    size_t in_written;
    bool in_closed;
    cio__reader readers[3];
};

/* A new object bound to `loop` (NULL and the error recorded for `who`). */
cio_process *cio__process_new(cio_loop *loop, const char *name,
                              const char *who);
/* A spawn that failed: free everything. */
void cio__process_discard(cio_process *p);
/* Free the object for good (its child is no longer ours). */
void cio__process_destroy(cio_process *p);
/* Wait for the exit, in a task of p's loop (checked by the caller). */
int cio__process_wait_exit(cio_process *p);

/* reap.c: make sure `a` listens for SIGCHLD on `loop` (before the first
 * spawn, so that no exit goes unseen); 0 or an error recorded for `who`. */
int cio__reaper_start(cio__proc_area *a, cio_loop *loop, const char *who);
/* The child `pid` of p was started: reap it when it exits. */
void cio__reaper_track(cio__proc_area *a, cio_process *p, pid_t pid);

#endif /* CIO_PROCESS_PROC_H */
