/* waiter.c - the wait queues' rarer paths: waking every waiter, closing an
 * object under its waiters, records an object knows without a wait. The
 * hot path (wait, wake the next) is inline, in waiter_inline.h, which says
 * how a waiter works.
 */
#include "sync/internal.h"

#include <stdlib.h>

/* A compact task's stack is not where its addresses say while it waits
 * (cio_task_options.compact): its waiter waits on the heap, and what the
 * caller reads after the wait is copied back. */
int cio__waiter_wait_compact(cio__waitq *q, cio__waiter *w, const char *file,
                             int line) {
    cio__waiter *h = malloc(sizeof *h);
    if (!h)
        return CIO_ENOMEM;
    int rc = cio__waiter_wait_here(q, h, file, line);
    *w = *h;
    free(h);
    return rc;
}

cio__waiter *cio__waiter_pin(cio__waiter *local) {
    return cio__compact_misplaced(local) ? malloc(sizeof *local) : local;
}

void cio__waiter_unpin(cio__waiter *w, const cio__waiter *local) {
    if (w != local)
        free(w);
}

size_t cio__waitq_wake_all(cio__waitq *q) {
    size_t n = 0;
    while (q->head)
        n += cio__waiter_wake(q, q->head);
    return n;
}

bool cio__waitq_has_live(const cio__waitq *q) {
    for (const cio__waiter *w = q->head; w; w = w->next)
        if (!cio__waiter_cancelled(w))
            return true;
    return false;
}

void cio__waitq_close(cio__waitq *q) {
    while (q->head) {
        cio__waiter *w = q->head;
        cio__waitq_unlink(q, w);
        w->gone = true;
        cio__unpark(&w->park); /* false if cancelled: scheduled already */
    }
    while (q->woken_head) {
        cio__waiter *w = q->woken_head;
        cio__waitq_woken_unlink(q, w);
        w->gone = true; /* scheduled already: it finds out when it runs */
    }
}

void cio__waitq_enter(cio__waitq *q, cio__waiter *w) {
    w->gone = false;
    w->linked = false;
    cio__waitq_woken_push(q, w);
}

void cio__waitq_leave(cio__waitq *q, cio__waiter *w) {
    if (!w->gone)
        cio__waitq_woken_unlink(q, w);
}
