/* proc.h - the process object, shared by spawn.c (starting a child),
 * process.c (its life: exit, wait, signals, free) and communicate.c. */
#ifndef CIO_PROCESS_PROC_H
#define CIO_PROCESS_PROC_H

#include "process/internal.h"
#include "sync/internal.h" /* the loop binding and the wait queue */

typedef struct cio__reader {
    struct cio_process *p;
    int i; /* 1: stdout, 2: stderr */
} cio__reader;

struct cio_process {
    cio__sync base; /* first: the loop binding */
    uv_process_t handle;
    cio__proc_area *area;            /* set while in area->procs */
    struct cio_process *prev, *next; /* area->procs: handle open */
    cio_stream *pipes[3];            /* CIO_STDIO_PIPE streams, or NULL */
    char *name;                      /* argv[0], for messages */
    int pid, returncode;
    bool exited, handle_open, freed;
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
/* A spawn that failed: free everything (the handle, if uv_spawn
 * initialised it, is closed first). */
void cio__process_discard(cio_process *p);
/* uv_spawn succeeded: note the pid, join the area's list. */
void cio__process_started(cio_process *p, cio__proc_area *area);
/* libuv's exit callback. */
void cio__process_exited(uv_process_t *h, int64_t status, int term_signal);
/* Wait for the exit, in a task of p's loop (checked by the caller). */
int cio__process_wait_exit(cio_process *p);

#endif /* CIO_PROCESS_PROC_H */
