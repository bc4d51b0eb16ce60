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
 * Only waiter.c knows how a task is suspended and resumed: it parks the
 * task on the waiter (cio__park of the core), which allocates nothing.
 */
#ifndef CIO_SYNC_INTERNAL_H
#define CIO_SYNC_INTERNAL_H

#include "cio.h"
#include "cio/sync.h"
#include "core/internal.h" /* cio__park, cio__set_error */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* ---- the loop binding --------------------------------------------------- */

typedef struct cio__sync {
    cio_loop *loop;
    /* A future of the loop, never finished: its reference keeps the loop
     * object alive (so `loop` is never reused by a later loop), and
     * cio_future_loop() of it says when the loop has been closed. */
    cio_future *anchor;
    pthread_t thread; /* the loop's thread */
} cio__sync;

/* Bind to `loop` (NULL: the current one), which must be open and of the
 * calling thread; on failure record the error for `who` (cio_last_error)
 * and return it. */
int cio__sync_init(cio__sync *s, cio_loop *loop, const char *who);
void cio__sync_fini(cio__sync *s);
bool cio__sync_closed(const cio__sync *s);
int cio__sync_check_slow(const cio__sync *s, cio_loop *running);

/* The end of every cio_X_free: CIO_EHASWAITERS while `busy` (tasks wait on
 * the object or will touch it when they run) and the loop is open; else
 * fini(s) (NULL: nothing) frees what the object owns, the binding goes and
 * the object is freed. `s` must be the object's first member. */
int cio__sync_free(cio__sync *s, bool busy, void (*fini)(cio__sync *s));

/* May the caller use the object without suspending? 0 or an error. */
static inline int cio__sync_check(const cio__sync *s) {
    cio_loop *running = cio_get_running_loop();
    return running == s->loop ? 0 : cio__sync_check_slow(s, running);
}

/* May the caller suspend on the object? 0 or an error; a closed loop says
 * so first (the running loop cannot be the object's then: the binding keeps
 * the loop's address from being reused). */
static inline int cio__sync_check_task(const cio__sync *s) {
    if (cio_get_running_loop() == s->loop)
        return cio_current_task() ? 0 : CIO_ENOTASK;
    if (cio__sync_closed(s))
        return CIO_ELOOPCLOSED;
    return cio_current_task() ? CIO_EWRONGLOOP : CIO_ENOTASK;
}

/* Record an error for cio_last_error() and return NULL (constructors). */
void *cio__sync_fail(int code, const char *who, const char *what);

/* ---- waiting tasks ------------------------------------------------------ */

typedef struct cio__waiter {
    struct cio__waiter *prev, *next;
    cio__parking park; /* where the waiting task sleeps (core/internal.h) */
    bool linked;       /* in a wait queue */
    bool woken;        /* a waker chose it (it may still be cancelled after) */
} cio__waiter;

typedef struct cio__waitq {
    cio__waiter *head, *tail;
    size_t count; /* linked waiters, cancelled ones included */
    size_t woken; /* woken waiters whose tasks have not run yet */
} cio__waitq;

/* Whether a task waits on q, or was woken by it and has not run yet (and
 * will touch q, and the object around it, when it does). */
static inline bool cio__waitq_busy(const cio__waitq *q) {
    return q->count > 0 || q->woken > 0;
}

/* Link w at the tail of q, wait until it is woken or the task cancelled,
 * and unlink it if it is still linked. Returns 0 (woken), CIO_ECANCELED
 * (w->woken tells whether a wake-up came first, which the caller must then
 * pass on), or CIO_ENOMEM (not linked, nothing happened). The caller has
 * checked that it runs in a task of the right loop. */
int cio__waiter_wait(cio__waitq *q, cio__waiter *w, const char *file, int line);

/* Whether w's task was cancelled while it waited (and w was not woken). */
bool cio__waiter_cancelled(const cio__waiter *w);

/* Take w off q and wake it: true; false (and only unlinked) if its task was
 * cancelled meanwhile. */
bool cio__waiter_wake(cio__waitq *q, cio__waiter *w);

/* Wake the first waiter not cancelled, unlinking the cancelled ones before
 * it: true if one was woken. Inline for the common case: nobody waits. */
bool cio__waitq_wake_next_slow(cio__waitq *q);
static inline bool cio__waitq_wake_next(cio__waitq *q) {
    return q->head && cio__waitq_wake_next_slow(q);
}

/* Wake every waiter; returns how many were woken (cancelled ones are only
 * unlinked). */
size_t cio__waitq_wake_all(cio__waitq *q);

/* Whether some linked waiter has not been cancelled. */
bool cio__waitq_has_live(const cio__waitq *q);

void cio__waitq_unlink(cio__waitq *q, cio__waiter *w);

#endif /* CIO_SYNC_INTERNAL_H */
