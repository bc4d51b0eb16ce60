/* barrier.c - asyncio.Barrier.
 *
 * The states and transitions are asyncio's (FILLING, DRAINING, RESETTING,
 * BROKEN). asyncio runs them under a Condition; here one wait queue plays
 * its part: every state change wakes all the waiting tasks, and each checks
 * again whether it may go on, as after asyncio's notify_all(). No lock is
 * needed, so reset() and abort() do not suspend.
 */
#include "sync/internal.h"

#include <stdlib.h>

struct cio_barrier {
    cio__sync base;
    int parties;
    int count; /* tasks inside wait(), from arrival to leaving */
    cio_barrier_state state;
    cio__waitq waiters;
};

cio_barrier *cio_barrier_new(cio_loop *loop, int parties) {
    _Static_assert(offsetof(cio_barrier, base) == 0, "close frees base");
    if (parties < 1)
        return cio__sync_fail(CIO_EINVAL, "cio_barrier_new",
                              "parties must be >= 1");
    cio_barrier *b = calloc(1, sizeof *b);
    if (!b)
        return cio__sync_fail(CIO_ENOMEM, "cio_barrier_new", "out of memory");
    if (cio__sync_init(&b->base, loop, true, "cio_barrier_new") != 0) {
        free(b);
        return NULL;
    }
    b->parties = parties;
    b->state = CIO_BARRIER_FILLING;
    return b;
}

int cio_barrier_close(cio_barrier *b) {
    if (!b)
        return 0;
    bool live;
    int rc = cio__sync_close_begin(&b->base, &live);
    if (rc == 0) {
        if (live) /* every task in wait() is in the wait queue */
            cio__waitq_close(&b->waiters);
        cio__sync_close_end(&b->base);
    }
    return rc;
}

static void changed(cio_barrier *b) {
    cio__waitq_wake_all(&b->waiters);
}

/* Wait for the next state change. */
static int wait_change(cio_barrier *b, const char *file, int line) {
    cio__waiter w;
    return cio__waiter_wait(&b->waiters, &w, file, line);
}

/* The last task out ends a drain or a reset. */
static void leave(cio_barrier *b) {
    if (--b->count == 0) {
        if (b->state == CIO_BARRIER_RESETTING ||
            b->state == CIO_BARRIER_DRAINING)
            b->state = CIO_BARRIER_FILLING;
        changed(b);
    }
}

/* Wait in the barrier until it fills (or breaks, or is reset). */
static int wait_filled(cio_barrier *b, const char *file, int line) {
    while (b->state == CIO_BARRIER_FILLING) {
        int rc = wait_change(b, file, line);
        if (rc)
            return rc;
    }
    if (b->state == CIO_BARRIER_BROKEN || b->state == CIO_BARRIER_RESETTING)
        return cio__error(CIO_EBROKENBARRIER,
                          "cio_barrier_wait: the barrier is broken");
    return 0;
}

int cio_barrier_wait_at(cio_barrier *b, const char *file, int line) {
    if (!b)
        return cio__error(CIO_EINVAL, "cio_barrier_wait: barrier is NULL");
    int rc = cio__sync_check_task(&b->base);
    /* Let the previous round drain or reset first. */
    while (rc == 0 && (b->state == CIO_BARRIER_DRAINING ||
                       b->state == CIO_BARRIER_RESETTING))
        rc = wait_change(b, file, line);
    if (rc)
        return rc;
    if (b->state == CIO_BARRIER_BROKEN)
        return cio__error(CIO_EBROKENBARRIER,
                          "cio_barrier_wait: the barrier is broken");
    int index = b->count++;
    if (index + 1 == b->parties) {
        b->state = CIO_BARRIER_DRAINING; /* the last one releases all */
        changed(b);
    } else {
        rc = wait_filled(b, file, line);
        if (rc == CIO_ECLOSED)
            return rc; /* the barrier may be gone */
    }
    leave(b);
    return rc ? rc : index;
}

int cio_barrier_reset(cio_barrier *b) {
    if (!b)
        return cio__error(CIO_EINVAL, "cio_barrier_reset: barrier is NULL");
    int rc = cio__sync_check(&b->base);
    if (rc)
        return rc;
    b->state = b->count > 0 ? CIO_BARRIER_RESETTING : CIO_BARRIER_FILLING;
    changed(b);
    return 0;
}

int cio_barrier_abort(cio_barrier *b) {
    if (!b)
        return cio__error(CIO_EINVAL, "cio_barrier_abort: barrier is NULL");
    int rc = cio__sync_check(&b->base);
    if (rc)
        return rc;
    b->state = CIO_BARRIER_BROKEN;
    changed(b);
    return 0;
}

int cio_barrier_parties(const cio_barrier *b) {
    return b ? b->parties : 0;
}

int cio_barrier_n_waiting(const cio_barrier *b) {
    return b && b->state == CIO_BARRIER_FILLING ? b->count : 0;
}

bool cio_barrier_broken(const cio_barrier *b) {
    return b && b->state == CIO_BARRIER_BROKEN;
}

cio_barrier_state cio_barrier_get_state(const cio_barrier *b) {
    return b ? b->state : CIO_BARRIER_BROKEN;
}
