/* park.c - the records a task keeps while it waits: parking (how src/sync
 * makes a task wait without allocating) and clean-ups (what a closing loop
 * runs for a task it cannot unwind).
 */
#include "core/sched.h"

int cio__park_cancelled(cio__parking *p, const char *file, int line) {
    cio__task *t = p->task;
    t->fut.must_cancel = false;
    p->state = CIO__PARK_CANCELLED;
    cio__schedule(t->fut.loop, &t->step.node);
    cio__suspend(t, file, line);
    t->fut.must_cancel = false; /* cancelled again meanwhile: one delivery */
    return CIO_ECANCELED;
}

int cio__park(cio__parking *p, const char *file, int line) {
    if (cio__compact_misplaced(p)) /* others reach it while we wait */
        return cio__compact_refuse("this wait");
    return cio__park_inline(p, file, line);
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
    /* a compact task's records may be in its save buffer, not where
     * their addresses say (cio__task_compact_locate) */
    for (cio__cleanup **p = &t->cleanups; *p;
         p = &((cio__cleanup *)cio__task_compact_locate(t, *p))->next)
        if (*p == c) {
            *p = ((cio__cleanup *)cio__task_compact_locate(t, c))->next;
            return;
        }
}
