/* waiter.c - the wait queues' rarer paths: waking every waiter, closing an
 * object under its waiters, records an object knows without a wait. The
 * hot path (wait, wake the next) is inline, in waiter_inline.h, which says
 * how a waiter works.
 */
#include "sync/internal.h"

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
