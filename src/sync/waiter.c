/* waiter.c - wait queues of tasks, and how a waiting task sleeps and wakes.
 *
 * A waiter lives on the waiting task's stack and parks the task there
 * (cio__park: no allocation, so a wait cannot fail for lack of memory); a
 * waker unparks it. This is the one file that knows how a task sleeps.
 */
#include "sync/internal.h"

static void push(cio__waitq *q, cio__waiter *w) {
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

void cio__waitq_unlink(cio__waitq *q, cio__waiter *w) {
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

int cio__waiter_wait(cio__waitq *q, cio__waiter *w, const char *file,
                     int line) {
    w->woken = false;
    w->linked = false;
    push(q, w);
    int rc = cio__park(&w->park, file, line);
    cio__waitq_unlink(q, w); /* still there only if cancelled, unwoken */
    if (w->woken)
        q->woken--;
    /* CIO_ECANCELED both when cancelled while waiting and when cancelled
     * after the wake-up (then w->woken says to pass the wake-up on) */
    return rc;
}

bool cio__waiter_cancelled(const cio__waiter *w) {
    return w->park.state == CIO__PARK_CANCELLED;
}

bool cio__waiter_wake(cio__waitq *q, cio__waiter *w) {
    cio__waitq_unlink(q, w);
    if (cio__waiter_cancelled(w))
        return false;
    w->woken = true;
    q->woken++;
    cio__unpark(&w->park);
    return true;
}

bool cio__waitq_wake_next_slow(cio__waitq *q) {
    while (q->head)
        if (cio__waiter_wake(q, q->head))
            return true;
    return false;
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
