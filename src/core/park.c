/* park.c - the records a task keeps while it waits: parking (how src/sync
 * makes a task wait without allocating) and clean-ups (what a closing loop
 * runs for a task it cannot unwind).
 */
#include "core/sched.h"

int cio__park(cio__parking *p, const char *file, int line) {
    cio__task *t = cio__current_task;
    p->task = t;
    if (t->fut
            .must_cancel) { /* cancelled before it parked: one pass, then out */
        t->fut.must_cancel = false;
        p->state = CIO__PARK_CANCELLED;
        cio__schedule(t->fut.loop, &t->step.node);
        cio__suspend(t, file, line);
        t->fut.must_cancel =
            false; /* cancelled again meanwhile: one delivery */
        return CIO_ECANCELED;
    }
    p->state = CIO__PARKED;
    t->parked = p;
    cio__suspend(t, file, line);
    if (p->state == CIO__PARK_CANCELLED) {
        t->fut.must_cancel =
            false; /* cancelled again meanwhile: one delivery */
        return CIO_ECANCELED;
    }
    if (t->fut.must_cancel) { /* cancelled after the wake-up, before it ran */
        t->fut.must_cancel = false;
        return CIO_ECANCELED;
    }
    return 0;
}

bool cio__unpark(cio__parking *p) {
    if (p->state != CIO__PARKED)
        return false;
    p->state = CIO__UNPARKED;
    p->task->parked = NULL;
    cio__schedule(p->task->fut.loop, &p->task->step.node);
    return true;
}

void cio__cleanup_push(cio__cleanup *c, void (*fn)(void *arg), void *arg) {
    cio__task *t = cio__current_task;
    c->fn = fn;
    c->arg = arg;
    c->next = NULL;
    if (t) {
        c->next = t->cleanups;
        t->cleanups = c;
    }
}

void cio__cleanup_pop(cio__cleanup *c) {
    cio__task *t = cio__current_task;
    if (t && t->cleanups == c)
        t->cleanups = c->next;
    else if (t) /* a cancel check was set after it */
        cio__cleanup_remove(&t->fut, c);
}

void cio__cleanup_remove(cio_future *task, cio__cleanup *c) {
    cio__task *t = cio__as_task(task);
    if (!t)
        return;
    for (cio__cleanup **p = &t->cleanups; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            return;
        }
}
