/* lock.c - asyncio.Lock, with an owner.
 *
 * Fairness follows asyncio: unlock wakes the first waiter, which takes the
 * lock when it runs. Until then the lock looks free but a newcomer still
 * queues behind it (the wait queue's `woken` count), so nobody jumps the
 * queue. A woken waiter cancelled before it runs passes the turn on. A
 * waiter cancelled before it was woken stays first in line until it runs;
 * unlock then wakes nobody, and the cancelled task, when it runs, wakes the
 * next one (asyncio's order exactly).
 */
#include "sync/lock.h"

#include <stdlib.h>

CIO__SYNC_FITS(cio_lock, cio__lock);

static int init(cio_lock *storage, cio_loop *loop, bool heap, const char *who) {
    cio__lock *lock = cio__lock_of(storage);
    int rc = cio__sync_init(&lock->base, loop, heap, who);
    if (rc == 0) {
        lock->locked = false;
        lock->owner = NULL;
        lock->waiters = (cio__waitq){0};
    }
    return rc;
}

int cio_lock_init(cio_lock *lock, cio_loop *loop) {
    if (!lock)
        return cio__error(CIO_EINVAL, "cio_lock_init: lock is NULL");
    return init(lock, loop, false, "cio_lock_init");
}

cio_lock *cio_lock_new(cio_loop *loop) {
    cio_lock *lock = malloc(sizeof *lock);
    if (!lock)
        return cio__sync_fail(CIO_ENOMEM, "cio_lock_new", "out of memory");
    if (init(lock, loop, true, "cio_lock_new") != 0) {
        free(lock);
        return NULL;
    }
    return lock;
}

void cio__lock_fini(cio__lock *lock, bool live) {
    if (live)
        cio__waitq_close(&lock->waiters);
    cio_release(lock->owner);
    lock->owner = NULL;
    lock->locked = false;
}

int cio_lock_close(cio_lock *storage) {
    if (!storage)
        return 0;
    cio__lock *lock = cio__lock_of(storage);
    bool live;
    int rc = cio__sync_close_begin(&lock->base, &live);
    if (rc == 0) {
        cio__lock_fini(lock, live);
        cio__sync_close_end(&lock->base);
    }
    return rc;
}

/* asyncio: free, and every waiter (if any) cancelled. */
static bool can_take(const cio__lock *lock) {
    return !lock->locked && lock->waiters.woken == 0 &&
           !cio__waitq_has_live(&lock->waiters);
}

static void take(cio__lock *lock) {
    lock->locked = true;
    lock->owner = cio_retain(cio_current_task());
}

/* Let the first waiter take the lock, unless one already has its turn or
 * the first was cancelled (it passes the turn on when it runs). */
static void wake_first(cio__lock *lock) {
    cio__waiter *w = lock->waiters.head;
    if (lock->waiters.woken == 0 && w)
        cio__waiter_wake(&lock->waiters, w);
}

int cio__lock_acquire(cio__lock *lock, const char *file, int line) {
    if (can_take(lock)) {
        take(lock);
        return 0;
    }
    cio__waiter w;
    int rc = cio__waiter_wait(&lock->waiters, &w, file, line);
    if (rc == CIO_ECLOSED)
        return rc;
    if (rc == 0) {
        take(lock);
        return 0;
    }
    if (!lock->locked)
        wake_first(lock);
    return rc;
}

int cio_lock_acquire_at(cio_lock *storage, const char *file, int line) {
    if (!storage)
        return cio__error(CIO_EINVAL, "cio_lock_acquire: lock is NULL");
    cio__lock *lock = cio__lock_of(storage);
    int rc = cio__sync_check_task(&lock->base);
    return rc ? rc : cio__lock_acquire(lock, file, line);
}

int cio_lock_try_acquire(cio_lock *storage) {
    if (!storage)
        return cio__error(CIO_EINVAL, "cio_lock_try_acquire: lock is NULL");
    cio__lock *lock = cio__lock_of(storage);
    int rc = cio__sync_check(&lock->base);
    if (rc)
        return rc;
    if (!can_take(lock))
        return 0;
    take(lock);
    return 1;
}

int cio__lock_check_owner(const cio__lock *lock) {
    if (!lock->locked)
        return cio__error(
            CIO_ENOTLOCKED,
            "cio_lock_unlock or cio_condition_*: the lock is not acquired");
    if (lock->owner != cio_current_task())
        return cio__error(CIO_ENOTOWNER, "cio_lock_unlock or cio_condition_*: "
                                         "the lock is held by another task");
    return 0;
}

void cio__lock_release(cio__lock *lock) {
    cio_future *owner = lock->owner;
    lock->owner = NULL;
    lock->locked = false;
    wake_first(lock);
    cio_release(owner);
}

int cio_lock_unlock(cio_lock *storage) {
    if (!storage)
        return cio__error(CIO_EINVAL, "cio_lock_unlock: lock is NULL");
    cio__lock *lock = cio__lock_of(storage);
    int rc = cio__sync_check(&lock->base);
    if (rc == 0)
        rc = cio__lock_check_owner(lock);
    if (rc == 0)
        cio__lock_release(lock);
    return rc;
}

bool cio_lock_locked(const cio_lock *storage) {
    const cio__lock *lock = (const cio__lock *)(const void *)storage;
    return lock && lock->base.loop && lock->locked;
}
