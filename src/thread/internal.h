/* internal.h - what the files of src/thread share.
 *
 * A tfuture is guarded by its own mutex. Besides user done callbacks (run
 * outside the lock, in the finishing thread) it keeps a list of watchers:
 * nodes whose notify() runs under the future's lock the moment it finishes.
 * wait and as_completed are built on watchers. The lock order is always
 * future, then watcher: a watcher's owner never holds its own lock while
 * taking a future's.
 */
#ifndef CIO_THREAD_INTERNAL_H
#define CIO_THREAD_INTERNAL_H

#include "core/internal.h"

#include <pthread.h>
#include <stdatomic.h>

/* ---- deadlines (clock.c) ------------------------------------------------ */

typedef struct cio__deadline {
    bool forever;
    struct timespec at; /* CLOCK_MONOTONIC */
} cio__deadline;

/* From a timeout in seconds: 0, or CIO_EINVAL for negative or NaN. */
int cio__deadline_set(cio__deadline *d, double timeout);
/* A condition variable timed on the monotonic clock. */
void cio__cond_init(pthread_cond_t *cv);
/* Wait once on cv: 0 when woken (maybe spuriously), ETIMEDOUT when the
 * deadline has passed. */
int cio__cond_wait(pthread_cond_t *cv, pthread_mutex_t *mu,
                   const cio__deadline *d);

/* ---- thread-side futures (tfuture.c) ------------------------------------ */

typedef struct cio__tnode cio__tnode;
struct cio__tnode {
    cio__tnode *prev, *next;
    bool linked;
    /* Called once, with the future locked, when it finishes. */
    void (*notify)(cio__tnode *node, cio_tfuture *f);
};

typedef struct cio__tcb cio__tcb;

struct cio_tfuture {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* broadcast when the future finishes */
    atomic_uint refs;
    atomic_int state; /* cio_state; changed under mu */
    int error;        /* these three are fixed once done */
    void *result;
    char *message;
    cio__tcb *cbs, *cbs_tail; /* done callbacks, in order */
    cio__tnode *watchers;
};

static inline bool cio__tstate_done(int s) {
    return s == CIO_DONE || s == CIO_CANCELLED;
}

/* Finish a PENDING or RUNNING future; takes `message` (malloc'd or NULL).
 * 0 or CIO_EINVALIDSTATE (the message is freed then). */
int cio__tfuture_finish(cio_tfuture *f, int state, int error, void *result,
                        char *message);
/* Add a watcher unless the future is done: false if it was done already
 * (the node is not added). */
bool cio__tfuture_watch(cio_tfuture *f, cio__tnode *node);
/* Remove a watcher if it is still there. */
void cio__tfuture_unwatch(cio_tfuture *f, cio__tnode *node);
/* Remove one (cb, arg) done callback that has not been called: true if
 * removed (it will never be called). */
bool cio__tfuture_remove_done_callback(cio_tfuture *f, cio_tdone_fn cb,
                                       void *arg);

/* ---- executors (executor.c) --------------------------------------------- */

/* Shut down without waiting, cancel what is queued, and let go: the last
 * worker frees the executor (a loop's default executor at close). */
void cio__executor_abandon(cio_executor *ex);

/* ---- per-loop data (tloop.c) -------------------------------------------- */

/* Something that must be settled when its loop closes: a bridge between a
 * loop future and a tfuture, a coroutine run for another thread. Linked and
 * unlinked on the loop's thread only. */
typedef struct cio__tlink cio__tlink;
typedef struct cio__tloop cio__tloop;
struct cio__tlink {
    cio__tlink *prev, *next;
    cio__tloop *owner;                  /* NULL when not linked */
    void (*on_close)(cio__tlink *link); /* the loop is closing: settle */
};

/* The thread layer's data of a loop, created on first use (loop thread
 * only). NULL with the error recorded if the loop is closed or memory ran
 * out. */
cio__tloop *cio__tloop_get(cio_loop *loop, const char *who);
void cio__tloop_link(cio__tloop *tl, cio__tlink *link);
void cio__tlink_unlink(cio__tlink *link);
/* The loop's default executor, created on first use; NULL with the error
 * recorded. */
cio_executor *cio__tloop_default_executor(cio__tloop *tl, const char *who);

/* ---- other threads into a loop (call_threadsafe.c) ---------------------- */

/* The loop's inbox (a new reference), or NULL once the loop has closed.
 * Any thread; the loop object must still exist. */
cio__inbox *cio__inbox_of(cio_loop *loop);
/* (cio__on_loop_thread, whether the calling thread is the loop's own, is
 * core's: src/core/internal.h) */

#endif /* CIO_THREAD_INTERNAL_H */
