/* lock.h - the lock's insides, shared with the condition built on it. */
#ifndef CIO_SYNC_LOCK_H
#define CIO_SYNC_LOCK_H

#include "sync/internal.h"

typedef struct cio__lock {
    cio__sync base;
    bool locked;
    cio_future *owner;  /* a reference to the holding task, or NULL */
    cio__waitq waiters; /* at most one woken at a time */
} cio__lock;

/* The public cio_lock is opaque storage for a cio__lock. */
static inline cio__lock *cio__lock_of(cio_lock *lock) {
    return (cio__lock *)(void *)lock;
}

/* The calls without the argument and loop checks (done by the caller). */
int cio__lock_acquire(cio__lock *lock, const char *file, int line);
void cio__lock_release(cio__lock *lock);
/* 0 if the calling task holds the lock, else CIO_ENOTLOCKED/ENOTOWNER. */
int cio__lock_check_owner(const cio__lock *lock);
/* Send the waiters away (CIO_ECLOSED) if `live`, drop the owner. */
void cio__lock_fini(cio__lock *lock, bool live);

#endif /* CIO_SYNC_LOCK_H */
