/* condition.c - asyncio.Condition over a lock.
 *
 * wait() releases the lock, sleeps until notified, and re-acquires the lock
 * even when cancelled, retrying as often as it is cancelled meanwhile; a
 * cancelled (or failed) wait then notifies one other waiter, as asyncio
 * does, because it may have consumed a notification meant for someone.
 * A notified task waits on the lock, not on the condition, yet still uses
 * the condition when it gets the lock back: each task in wait() keeps a
 * record in `inside`, so that closing the condition can tell it to leave
 * the condition alone.
 */
#include "sync/lock.h"

#include <stdlib.h>

typedef struct cio__condition {
    cio__sync base;
    cio__lock *lock;
    cio_lock own;      /* the lock, when none was given */
    cio__waitq inside; /* one record per task in wait() (woken list only) */
    cio__waitq waiters;
} cio__condition;

CIO__SYNC_FITS(cio_condition, cio__condition);

static cio__condition *C(cio_condition *c) {
    return (cio__condition *)(void *)c;
}

static int init(cio_condition *storage, cio_loop *loop, cio_lock *lock_arg,
                bool heap, const char *who) {
    cio__condition *c = C(storage);
    cio__lock *lock = lock_arg ? cio__lock_of(lock_arg) : NULL;
    if (lock && !lock->base.loop) {
        cio__sync_fail(CIO_EINVAL, who,
                       "the lock is closed or not initialized");
        return CIO_EINVAL;
    }
    if (lock && loop && loop != lock->base.loop) {
        cio__sync_fail(CIO_EWRONGLOOP, who, "the lock belongs to another loop");
        return CIO_EWRONGLOOP;
    }
    if (lock && !loop)
        loop = lock->base.loop;
    int rc = cio__sync_init(&c->base, loop, heap, who);
    if (rc == 0 && !lock && (rc = cio_lock_init(&c->own, c->base.loop)) != 0) {
        c->base.heap = false; /* the caller frees heap memory itself */
        cio__sync_close_end(&c->base);
    }
    if (rc == 0) {
        c->lock = lock ? lock : cio__lock_of(&c->own);
        c->inside = (cio__waitq){0};
        c->waiters = (cio__waitq){0};
    }
    return rc;
}

int cio_condition_init(cio_condition *c, cio_loop *loop, cio_lock *lock) {
    return c ? init(c, loop, lock, false, "cio_condition_init") : CIO_EINVAL;
}

cio_condition *cio_condition_new(cio_loop *loop, cio_lock *lock) {
    cio_condition *c = malloc(sizeof *c);
    if (!c)
        return cio__sync_fail(CIO_ENOMEM, "cio_condition_new", "out of memory");
    if (init(c, loop, lock, true, "cio_condition_new") != 0) {
        free(c);
        return NULL;
    }
    return c;
}

int cio_condition_close(cio_condition *storage) {
    if (!storage)
        return 0;
    cio__condition *c = C(storage);
    bool live;
    int rc = cio__sync_close_begin(&c->base, &live);
    if (rc)
        return rc;
    if (live) {
        cio__waitq_close(&c->waiters);
        cio__waitq_close(&c->inside);
    }
    if (c->lock == cio__lock_of(&c->own)) {
        cio__lock_fini(c->lock, live);
        cio__sync_close_end(&c->lock->base);
    }
    cio__sync_close_end(&c->base);
    return 0;
}

cio_lock *cio_condition_lock(cio_condition *c) {
    return c && C(c)->base.loop ? (cio_lock *)(void *)C(c)->lock : NULL;
}

static int notify(cio__condition *c, int n) {
    int woken = 0;
    while (woken < n && cio__waitq_wake_next(&c->waiters))
        woken++;
    return woken;
}

/* Take the lock back whatever happens; remember a cancellation. */
static int reacquire(cio__lock *lock, int rc, const char *file, int line) {
    for (;;) {
        /* a lock of the caller's closed before the condition (misuse) */
        int r =
            lock->base.loop ? cio__lock_acquire(lock, file, line) : CIO_ECLOSED;
        if (r == 0)
            return rc;
        if (r != CIO_ECANCELED)
            return r; /* CIO_ECLOSED: the condition (and its lock) closed */
        rc = CIO_ECANCELED;
    }
}

int cio_condition_wait_at(cio_condition *storage, const char *file, int line) {
    if (!storage)
        return cio__error(CIO_EINVAL, "cio_condition_wait: condition is NULL");
    cio__condition *c = C(storage);
    int rc = cio__sync_check_task(&c->base);
    if (rc == 0)
        rc = cio__lock_check_owner(c->lock);
    if (rc)
        return rc;
    cio__lock *lock = c->lock; /* outlives the condition if not its own */
    cio__waiter in_local, w;
    cio__waiter *in = cio__waiter_pin(&in_local); /* compact tasks: heap */
    if (!in)
        return cio__error(CIO_ENOMEM, "cio_condition_wait: out of memory");
    cio__waitq_enter(&c->inside, in);
    cio__lock_release(lock);
    rc = cio__waiter_wait(&c->waiters, &w, file, line);
    if (rc != CIO_ECLOSED)
        rc = reacquire(lock, rc, file, line);
    if (in->gone) { /* closed while we waited: leave it alone */
        cio__waiter_unpin(in, &in_local);
        if (rc != CIO_ECLOSED)
            cio__lock_release(lock); /* a lock of the caller's */
        return cio__error(CIO_ECLOSED, "cio_condition_wait: the condition was "
                                       "freed while the task waited");
    }
    if (rc)
        notify(c, 1);
    cio__waitq_leave(&c->inside, in);
    cio__waiter_unpin(in, &in_local);
    return rc;
}

int cio_condition_wait_for_at(cio_condition *storage, cio_predicate_fn pred,
                              void *arg, const char *file, int line) {
    if (!storage || !pred)
        return cio__error(CIO_EINVAL,
                          "cio_condition_wait_for: condition or pred is NULL");
    /* As asyncio: a predicate already true needs no lock (wait checks). */
    int rc = cio__sync_check_task(&C(storage)->base);
    while (rc == 0 && !pred(arg))
        rc = cio_condition_wait_at(storage, file, line);
    return rc;
}

int cio_condition_notify(cio_condition *storage, int n) {
    if (!storage || n < 0)
        return cio__error(
            CIO_EINVAL,
            "cio_condition_notify: condition is NULL or n (%d) is negative", n);
    cio__condition *c = C(storage);
    int rc = cio__sync_check(&c->base);
    if (rc == 0)
        rc = cio__lock_check_owner(c->lock);
    return rc ? rc : notify(c, n);
}

int cio_condition_notify_all(cio_condition *c) {
    return cio_condition_notify(c, c ? (int)C(c)->waiters.count : 0);
}
