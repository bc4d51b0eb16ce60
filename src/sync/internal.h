/* internal.h - what the files of src/sync share: the loop binding every
 * object has, and the queue of waiting tasks.
 *
 * A waiting task is a cio__waiter on its own stack (the task is stackful:
 * the frame lives while it waits), linked into the object's wait queue.
 * Waking it takes it off the queue. A waiter whose task was cancelled stays
 * linked until its task runs again and unlinks it; wakers skip it (or, for
 * the lock, stop at it, as asyncio does), so a wake-up never goes to a task
 * that will not take it.
 *
 * Only waiter_inline.h and waiter.c know how a task is suspended and
 * resumed: it is parked on the waiter (cio__park of the core), which
 * allocates nothing.
 */
#ifndef CIO_SYNC_INTERNAL_H
#define CIO_SYNC_INTERNAL_H

#include "cio.h"
#include "cio/sync.h"
#include "core/internal.h" /* cio__park, cio__set_error */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the loop binding --------------------------------------------------- */

typedef struct cio__sync {
    /* A counted reference to the loop (cio__loop_ref): it keeps the loop
     * object allocated after the loop is closed, so `loop` is never reused
     * by a later loop, and loop->closed says when it has been closed. NULL
     * in storage that was never initialized or has been closed. */
    cio_loop *loop;
    pthread_t thread; /* the loop's thread */
    uint32_t magic;   /* CIO__SYNC_OPEN, or CIO__SYNC_CLOSED after close */
    bool heap;        /* made by cio_X_new: close frees the memory */
} cio__sync;

enum { CIO__SYNC_OPEN = 0x63696f73u, CIO__SYNC_CLOSED = 0x636c6f73u };

/* Bind to `loop` (NULL: the current one), which must be open and of the
 * calling thread; on failure record the error for `who` (cio_last_error)
 * and return it. */
int cio__sync_init(cio__sync *s, cio_loop *loop, bool heap, const char *who);
bool cio__sync_closed(const cio__sync *s);
int cio__sync_check_slow(const cio__sync *s, cio_loop *running);

/* The start of every cio_X_close: 0 if the object may be closed now, with
 * *live telling whether its loop is still open (then its waiters must be
 * sent away: their stacks exist; a closed loop's abandoned tasks never run
 * again and their stacks are gone, so they must not be touched), or an
 * error: CIO_EWRONGLOOP from a thread other than the loop's, CIO_ECLOSED
 * for an object closed already. */
int cio__sync_close_begin(cio__sync *s, bool *live);
/* The end: the loop reference goes, the object is marked closed, and
 * freed if cio_X_new made it. `s` must be the object's first member. */
void cio__sync_close_end(cio__sync *s);

/* May the caller use the object without suspending? 0 or an error. (The
 * core's thread-locals are read directly, not through
 * cio_get_running_loop()/cio_current_task(): two calls per operation were
 * a tenth of a queue round trip.) */
static inline int cio__sync_check(const cio__sync *s) {
    cio_loop *running = cio__running_loop;
    return running && running == s->loop ? 0 : cio__sync_check_slow(s, running);
}

/* May the caller suspend on the object? 0 or an error; a closed loop says
 * so first (the running loop cannot be the object's then: the binding keeps
 * the loop's address from being reused). */
static inline int cio__sync_check_task(const cio__sync *s) {
    cio_loop *running = cio__running_loop;
    if (running && running == s->loop)
        return cio__current_task
                   ? 0
                   : cio__error(CIO_ENOTASK, "sync object: this call waits, "
                                             "so it must run in a task");
    int rc = cio__sync_check_slow(s, running);
    if (rc == 0 || rc == CIO_EWRONGLOOP)
        return cio__current_task
                   ? cio__error(CIO_EWRONGLOOP, "sync object: it belongs to "
                                                "another event loop or thread")
                   : cio__error(CIO_ENOTASK, "sync object: this call waits, "
                                             "so it must run in a task");
    return rc;
}

/* Caller-owned storage: the public union must hold the real struct. */
#define CIO__SYNC_FITS(pub, real)                                              \
    _Static_assert(sizeof(pub) >= sizeof(real) &&                              \
                       _Alignof(pub) >= _Alignof(real) &&                      \
                       offsetof(real, base) == 0,                              \
                   #real " fits in " #pub)

/* Record an error for cio_last_error() and return NULL (constructors). */
void *cio__sync_fail(int code, const char *who, const char *what);

/* ---- waiting tasks ------------------------------------------------------ */

typedef struct cio__waiter {
    struct cio__waiter *prev, *next;
    cio__parking park; /* where the waiting task sleeps (core/internal.h) */
    bool linked;       /* in the queue of waiting tasks */
    bool woken;        /* a waker chose it (it may still be cancelled after) */
    bool gone;         /* the object was closed: do not touch it again */
} cio__waiter;

typedef struct cio__waitq {
    cio__waiter *head, *tail; /* waiting, in arrival order */
    cio__waiter *woken_head;  /* woken, whose tasks have not run yet */
    size_t count;             /* waiting, cancelled ones included */
    size_t woken;             /* length of the woken list */
} cio__waitq;

/* Link w at the tail of q, wait until it is woken or the task cancelled,
 * and unlink it if it is still linked. Returns 0 (woken), CIO_ECANCELED
 * (w->woken tells whether a wake-up came first, which the caller must then
 * pass on), or CIO_ECLOSED: the object was closed meanwhile, and the
 * caller must return at once without touching it (it may be freed). The
 * caller has checked that it runs in a task of the right loop. */
static inline int cio__waiter_wait(cio__waitq *q, cio__waiter *w,
                                   const char *file, int line);

/* Whether w's task was cancelled while it waited (and w was not woken). */
static inline bool cio__waiter_cancelled(const cio__waiter *w);

/* Take w off q and wake it: true; false (and only unlinked) if its task was
 * cancelled meanwhile. */
static inline bool cio__waiter_wake(cio__waitq *q, cio__waiter *w);

/* Wake the first waiter not cancelled, unlinking the cancelled ones before
 * it: true if one was woken. */
static inline bool cio__waitq_wake_next(cio__waitq *q);

/* Wake every waiter; returns how many were woken (cancelled ones are only
 * unlinked). */
size_t cio__waitq_wake_all(cio__waitq *q);

/* Whether a task waits on q, or was woken by it and has not run yet (and
 * will touch q, and the object around it, when it does). */
static inline bool cio__waitq_busy(const cio__waitq *q) {
    return q->count > 0 || q->woken > 0;
}

/* Whether some linked waiter has not been cancelled. */
bool cio__waitq_has_live(const cio__waitq *q);

static inline void cio__waitq_unlink(cio__waitq *q, cio__waiter *w);

/* The object is being closed: every waiter, waiting or woken, is marked
 * gone and its task scheduled; its wait returns CIO_ECLOSED. */
void cio__waitq_close(cio__waitq *q);

/* Where a waiter that others reach while the task waits must live: `local`
 * (on the caller's stack), or for a compact task a copy on the heap (NULL
 * on ENOMEM); unpin frees it. */
cio__waiter *cio__waiter_pin(cio__waiter *local);
void cio__waiter_unpin(cio__waiter *w, const cio__waiter *local);

/* A record on a task's stack that the object knows about without the task
 * waiting in one of its queues (a condition's task re-taking its lock):
 * closing the object marks it gone. Kept in a wait queue's woken list. */
void cio__waitq_enter(cio__waitq *q, cio__waiter *w);
void cio__waitq_leave(cio__waitq *q, cio__waiter *w);

/* The bodies of the inline calls above: every wait and wake-up of a queue,
 * lock or event runs through them. */
#include "sync/waiter_inline.h"

#endif /* CIO_SYNC_INTERNAL_H */
