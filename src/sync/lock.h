/* lock.h - the lock's insides, shared with the condition built on it. */
#ifndef CIO_SYNC_LOCK_H
#define CIO_SYNC_LOCK_H

#include "sync/internal.h"

struct cio_lock {
    cio__sync base;
    bool locked;
    cio_future *owner;  /* a reference to the holding task, or NULL */
    cio__waitq waiters; /* at most one woken at a time */
};

/* The calls without the argument and loop checks (done by the caller). */
int cio__lock_acquire(cio_lock *lock, const char *file, int line);
void cio__lock_release(cio_lock *lock);
/* 0 if the calling task holds the lock, else CIO_ENOTLOCKED/ENOTOWNER. */
int cio__lock_check_owner(const cio_lock *lock);
/* Whether tasks wait on the lock or have been woken by it. */
bool cio__lock_busy(const cio_lock *lock);

#endif /* CIO_SYNC_LOCK_H */
