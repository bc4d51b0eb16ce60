/* waiter_inline.h - how a task waits in a wait queue and is woken: the
 * hot path of every queue, lock and event, inline (as calls, the
 * wait-and-wake path of a queue round trip was one call in three). The
 * rest, for closing and for the rarer wake-ups, is waiter.c.
 *
 * A waiter lives on the waiting task's stack and parks the task there
 * (cio__park: no allocation, so a wait cannot fail for lack of memory); a
 * waker unparks it.
 *
 * A queue knows every waiter that will touch the object again: those still
 * waiting (in arrival order) and those woken whose tasks have not run yet
 * (the woken list). Closing the object walks both and marks each waiter
 * gone, so that a task coming back from its wait leaves the object alone:
 * the object's memory may be the caller's, and gone already.
 *
 * Included by sync/internal.h only.
 */
#ifndef CIO_SYNC_WAITER_INLINE_H
#define CIO_SYNC_WAITER_INLINE_H

#include "core/sched.h" /* cio__park_inline */

static inline void cio__waitq_push(cio__waitq *q, cio__waiter *w) {
    w->next = NULL;
    w->prev = q->tail;
    if (q->tail)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
    q->count++;
    w->linked = true;
}

static inline void cio__waitq_unlink(cio__waitq *q, cio__waiter *w) {
    if (!w->linked)
        return;
    if (w->prev)
        w->prev->next = w->next;
    else
        q->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->tail = w->prev;
    w->prev = w->next = NULL;
    w->linked = false;
    q->count--;
}

/* The woken list: unordered, doubly linked through the same fields. */
static inline void cio__waitq_woken_push(cio__waitq *q, cio__waiter *w) {
    w->prev = NULL;
    w->next = q->woken_head;
    if (q->woken_head)
        q->woken_head->prev = w;
    q->woken_head = w;
    q->woken++;
}

static inline void cio__waitq_woken_unlink(cio__waitq *q, cio__waiter *w) {
    if (w->prev)
        w->prev->next = w->next;
    else
        q->woken_head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
    q->woken--;
}

static inline int cio__waiter_wait_here(cio__waitq *q, cio__waiter *w,
                                        const char *file, int line) {
    w->woken = false;
    w->linked = false;
    w->gone = false;
    cio__waitq_push(q, w);
    int rc = cio__park_inline(&w->park, file, line);
    if (w->gone)
        return CIO_ECLOSED;  /* q may be freed: touch nothing */
    cio__waitq_unlink(q, w); /* still there only if cancelled, unwoken */
    if (w->woken)
        cio__waitq_woken_unlink(q, w);
    /* CIO_ECANCELED both when cancelled while waiting and when cancelled
     * after the wake-up (then w->woken says to pass the wake-up on) */
    return rc;
}

/* (waiter.c) a compact task waits on a copy of its waiter on the heap */
int cio__waiter_wait_compact(cio__waitq *q, cio__waiter *w, const char *file,
                             int line);

static inline int cio__waiter_wait(cio__waitq *q, cio__waiter *w,
                                   const char *file, int line) {
    if (__builtin_expect(cio__compact_misplaced(w), 0))
        return cio__waiter_wait_compact(q, w, file, line);
    return cio__waiter_wait_here(q, w, file, line);
}

static inline bool cio__waiter_cancelled(const cio__waiter *w) {
    return w->park.state == CIO__PARK_CANCELLED;
}

static inline bool cio__waiter_wake(cio__waitq *q, cio__waiter *w) {
    cio__waitq_unlink(q, w);
    if (cio__waiter_cancelled(w))
        return false;
    w->woken = true;
    cio__waitq_woken_push(q, w);
    cio__unpark(&w->park);
    return true;
}

static inline bool cio__waitq_wake_next(cio__waitq *q) {
    while (q->head)
        if (cio__waiter_wake(q, q->head))
            return true;
    return false;
}

#endif /* CIO_SYNC_WAITER_INLINE_H */
