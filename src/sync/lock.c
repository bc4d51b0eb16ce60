/* lock.c - asyncio.Lock, with an owner.
 *
 * Fairness follows asyncio: release() unlocks and wakes the first waiter,
 * which takes the lock when it runs. Until then the lock looks free but a
 * newcomer still queues behind it (the wait queue's `woken` count), so
 * nobody jumps the queue. A woken waiter cancelled before it runs passes the
 * turn on. A waiter cancelled before it was woken stays first in line until it
 * runs; release() then wakes nobody, and the cancelled task, when it runs,
 * wakes the next one (asyncio's order exactly).
 */
#include "sync/lock.h"

#include <stdlib.h>

cio_lock *cio_lock_new(cio_loop *loop) {
    cio_lock *lock = calloc(1, sizeof *lock);
    if (!lock)
        return cio__sync_fail(CIO_ENOMEM, "cio_lock_new", "out of memory");
    if (cio__sync_init(&lock->base, loop, "cio_lock_new") != 0) {
        free(lock);
        return NULL;
    }
    return lock;
}

bool cio__lock_busy(const cio_lock *lock) {
    return cio__waitq_busy(&lock->waiters);
}

static void lock_fini(cio__sync *s) {
    cio_release(((cio_lock *)(void *)s)->owner);
}

int cio_lock_free(cio_lock *lock) {
    _Static_assert(offsetof(cio_lock, base) == 0, "cio__sync_free frees base");
    return lock ? cio__sync_free(&lock->base, cio__lock_busy(lock), lock_fini)
                : 0;
}

/* asyncio: free, and every waiter (if any) cancelled. */
static bool can_take(const cio_lock *lock) {
    return !lock->locked && lock->waiters.woken == 0 &&
           !cio__waitq_has_live(&lock->waiters);
}

static void take(cio_lock *lock) {
    lock->locked = true;
    lock->owner = cio_retain(cio_current_task());
}

/* Let the first waiter take the lock, unless one already has its turn or
 * the first was cancelled (it passes the turn on when it runs). */
static void wake_first(cio_lock *lock) {
    cio__waiter *w = lock->waiters.head;
    if (lock->waiters.woken == 0 && w)
        cio__waiter_wake(&lock->waiters, w);
}

int cio__lock_acquire(cio_lock *lock, const char *file, int line) {
    if (can_take(lock)) {
        take(lock);
        return 0;
    }
    cio__waiter w;
    int rc = cio__waiter_wait(&lock->waiters, &w, file, line);
    if (rc == 0) {
        take(lock);
        return 0;
    }
    if (!lock->locked)
        wake_first(lock);
    return rc;
}

int cio_lock_acquire_at(cio_lock *lock, const char *file, int line) {
    if (!lock)
        return CIO_EINVAL;
    int rc = cio__sync_check_task(&lock->base);
    return rc ? rc : cio__lock_acquire(lock, file, line);
}

int cio_lock_try_acquire(cio_lock *lock) {
    if (!lock)
        return CIO_EINVAL;
    int rc = cio__sync_check(&lock->base);
    if (rc)
        return rc;
    if (!can_take(lock))
        return 0;
    take(lock);
    return 1;
}

int cio__lock_check_owner(const cio_lock *lock) {
    if (!lock->locked)
        return CIO_ENOTLOCKED;
    return lock->owner == cio_current_task() ? 0 : CIO_ENOTOWNER;
}

void cio__lock_release(cio_lock *lock) {
    cio_future *owner = lock->owner;
    lock->owner = NULL;
    lock->locked = false;
    wake_first(lock);
    cio_release(owner);
}

int cio_lock_release(cio_lock *lock) {
    if (!lock)
        return CIO_EINVAL;
    int rc = cio__sync_check(&lock->base);
    if (rc == 0)
        rc = cio__lock_check_owner(lock);
    if (rc == 0)
        cio__lock_release(lock);
    return rc;
}

bool cio_lock_locked(const cio_lock *lock) {
    return lock && lock->locked;
}
