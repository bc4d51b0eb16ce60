/* internal.h - what the files of src/process share: the per-loop state of
 * the area (signal handlers, processes still running), found through a
 * loop hook so that closing the loop can release it. */
#ifndef CIO_PROCESS_INTERNAL_H
#define CIO_PROCESS_INTERNAL_H

#include "cio.h"
#include "cio/process.h"
#include "core/internal.h"

typedef struct cio__sig_handler cio__sig_handler;

typedef struct cio__proc_area {
    cio__sig_handler *handlers; /* signal.c */
    struct cio_process *procs;  /* reap.c: the children not reaped yet */
    uv_signal_t *sigchld;       /* reap.c: started with the first spawn */
    uv_timer_t *recheck;        /* reap.c: a slow re-check while children run */
} cio__proc_area;

/* The area's state of `loop` (an open loop of this thread), made on first
 * use when `create`; NULL if there is none (or, creating, out of memory). */
cio__proc_area *cio__proc_area_get(cio_loop *loop, bool create);

/* Called by the area's hook when the loop closes, before its handles are
 * closed: each closes what it keeps on the loop. */
void cio__signals_close(cio__proc_area *a);   /* signal.c */
void cio__processes_close(cio__proc_area *a); /* reap.c */

#endif /* CIO_PROCESS_INTERNAL_H */
