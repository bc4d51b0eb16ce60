/* waiter.c - wait queues of tasks, and how a waiting task sleeps and wakes.
 *
 * A waiter lives on the waiting task's stack and parks the task there
 * (cio__park: no allocation, so a wait cannot fail for lack of memory); a
 * waker unparks it. This is the one file that knows how a task sleeps.
 *
 * A queue knows every waiter that will touch the object again: those still
 * waiting (in arrival order) and those woken whose tasks have not run yet
 * (the woken list). Closing the object walks both and marks each waiter
 * gone, so that a task coming back from its wait leaves the object alone:
 * the object's memory may be the caller's, and gone already.
 */
#include "sync/internal.h"

#include <stdlib.h>

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

/* The woken list: unordered, doubly linked through the same fields. */
static void woken_push(cio__waitq *q, cio__waiter *w) {
    w->prev = NULL;
    w->next = q->woken_head;
    if (q->woken_head)
        q->woken_head->prev = w;
    q->woken_head = w;
    q->woken++;
}

static void woken_unlink(cio__waitq *q, cio__waiter *w) {
    if (w->prev)
        w->prev->next = w->next;
    else
        q->woken_head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
    q->woken--;
}

static int wait_here(cio__waitq *q, cio__waiter *w, const char *file,
                     int line) {
    w->woken = false;
    w->linked = false;
    w->gone = false;
    push(q, w);
    int rc = cio__park(&w->park, file, line);
    if (w->gone)
        return CIO_ECLOSED;  /* q may be freed: touch nothing */
    cio__waitq_unlink(q, w); /* still there only if cancelled, unwoken */
    if (w->woken)
        woken_unlink(q, w);
    /* CIO_ECANCELED both when cancelled while waiting and when cancelled
     * after the wake-up (then w->woken says to pass the wake-up on) */
    return rc;
}

/* A compact task's stack is not where its addresses say while it waits
 * (cio_task_options.compact): its waiter waits on the heap, and what the
 * caller reads after the wait is copied back. */
int cio__waiter_wait(cio__waitq *q, cio__waiter *w, const char *file,
                     int line) {
    if (!cio__compact_misplaced(w))
        return wait_here(q, w, file, line);
    cio__waiter *h = malloc(sizeof *h);
    if (!h)
        return CIO_ENOMEM;
    int rc = wait_here(q, h, file, line);
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

bool cio__waiter_cancelled(const cio__waiter *w) {
    return w->park.state == CIO__PARK_CANCELLED;
}

bool cio__waiter_wake(cio__waitq *q, cio__waiter *w) {
    cio__waitq_unlink(q, w);
    if (cio__waiter_cancelled(w))
        return false;
    w->woken = true;
    woken_push(q, w);
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

void cio__waitq_close(cio__waitq *q) {
    while (q->head) {
        cio__waiter *w = q->head;
        cio__waitq_unlink(q, w);
        w->gone = true;
        cio__unpark(&w->park); /* false if cancelled: scheduled already */
    }
    while (q->woken_head) {
        cio__waiter *w = q->woken_head;
        woken_unlink(q, w);
        w->gone = true; /* scheduled already: it finds out when it runs */
    }
}

void cio__waitq_enter(cio__waitq *q, cio__waiter *w) {
    w->gone = false;
    w->linked = false;
    woken_push(q, w);
}

void cio__waitq_leave(cio__waitq *q, cio__waiter *w) {
    if (!w->gone)
        woken_unlink(q, w);
}
