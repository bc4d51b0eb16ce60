/* condition.c - asyncio.Condition over a lock.
 *
 * wait() releases the lock, sleeps until notified, and re-acquires the lock
 * even when cancelled, retrying as often as it is cancelled meanwhile; a
 * cancelled (or failed) wait then notifies one other waiter, as asyncio
 * does, because it may have consumed a notification meant for someone.
 * A notified task waits on the lock, not on the condition, yet still uses
 * the condition when it gets the lock back: `inside` counts the tasks
 * anywhere in wait(), so that free refuses while any is.
 */
#include "sync/lock.h"

#include <stdlib.h>

struct cio_condition {
    cio__sync base;
    cio_lock *lock;
    bool own_lock;
    size_t inside; /* tasks in wait(), from releasing the lock to return */
    cio__waitq waiters;
};

cio_condition *cio_condition_new(cio_loop *loop, cio_lock *lock) {
    if (lock && loop && loop != lock->base.loop)
        return cio__sync_fail(CIO_EWRONGLOOP, "cio_condition_new",
                              "the lock belongs to another loop");
    if (lock && !loop)
        loop = lock->base.loop;
    cio_condition *c = calloc(1, sizeof *c);
    if (!c)
        return cio__sync_fail(CIO_ENOMEM, "cio_condition_new", "out of memory");
    if (cio__sync_init(&c->base, loop, "cio_condition_new") != 0) {
        free(c);
        return NULL;
    }
    c->lock = lock ? lock : cio_lock_new(c->base.loop);
    if (!c->lock) {
        cio__sync_fini(&c->base);
        free(c);
        return NULL;
    }
    c->own_lock = !lock;
    return c;
}

static void condition_fini(cio__sync *s) {
    cio_condition *c = (cio_condition *)(void *)s;
    if (c->own_lock)
        cio_lock_free(c->lock); /* not busy, or its loop is closed */
}

int cio_condition_free(cio_condition *c) {
    _Static_assert(offsetof(cio_condition, base) == 0,
                   "cio__sync_free frees base");
    if (!c)
        return 0;
    bool busy = c->inside > 0 || cio__waitq_busy(&c->waiters) ||
                (c->own_lock && cio__lock_busy(c->lock));
    return cio__sync_free(&c->base, busy, condition_fini);
}

cio_lock *cio_condition_lock(cio_condition *c) {
    return c ? c->lock : NULL;
}

static int notify(cio_condition *c, int n) {
    int woken = 0;
    while (woken < n && cio__waitq_wake_next(&c->waiters))
        woken++;
    return woken;
}

/* Take the lock back whatever happens; remember a cancellation. */
static int reacquire(cio_condition *c, int rc, const char *file, int line) {
    for (;;) {
        int r = cio__lock_acquire(c->lock, file, line);
        if (r == 0)
            return rc;
        if (r != CIO_ECANCELED)
            return r; /* CIO_ENOMEM: give up, without the lock */
        rc = CIO_ECANCELED;
    }
}

int cio_condition_wait_at(cio_condition *c, const char *file, int line) {
    if (!c)
        return CIO_EINVAL;
    int rc = cio__sync_check_task(&c->base);
    if (rc == 0)
        rc = cio__lock_check_owner(c->lock);
    if (rc)
        return rc;
    c->inside++;
    cio__lock_release(c->lock);
    cio__waiter w;
    rc = cio__waiter_wait(&c->waiters, &w, file, line);
    rc = reacquire(c, rc, file, line);
    if (rc)
        notify(c, 1);
    c->inside--;
    return rc;
}

int cio_condition_wait_for_at(cio_condition *c, cio_predicate_fn pred,
                              void *arg, const char *file, int line) {
    if (!c || !pred)
        return CIO_EINVAL;
    /* As asyncio: a predicate already true needs no lock (wait checks). */
    int rc = cio__sync_check_task(&c->base);
    while (rc == 0 && !pred(arg))
        rc = cio_condition_wait_at(c, file, line);
    return rc;
}

int cio_condition_notify(cio_condition *c, int n) {
    if (!c || n < 0)
        return CIO_EINVAL;
    int rc = cio__sync_check(&c->base);
    if (rc == 0)
        rc = cio__lock_check_owner(c->lock);
    return rc ? rc : notify(c, n);
}

int cio_condition_notify_all(cio_condition *c) {
    return cio_condition_notify(c, c ? (int)c->waiters.count : 0);
}
