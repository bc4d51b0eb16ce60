/* semaphore.c - asyncio.Semaphore and BoundedSemaphore (Python 3.12+ rules).
 *
 * release() hands a unit to the first waiter at once (value - 1 for it), so the
 * value only counts units nobody was promised. A newcomer waits while any
 * waiter ahead of it has not had its turn. A woken waiter cancelled before it
 * runs gives its unit back, and whoever finishes an acquire wakes as many
 * waiters as there are free units.
 */
#include "sync/internal.h"

#include <limits.h>
#include <stdlib.h>

struct cio_semaphore {
    cio__sync base;
    long value;
    long bound;         /* the initial value of a bounded semaphore, else -1 */
    cio__waitq waiters; /* each woken waiter holds a promised unit */
};

static cio_semaphore *make(cio_loop *loop, long value, bool bounded,
                           const char *who) {
    if (value < 0)
        return cio__sync_fail(CIO_EINVAL, who, "the value must be >= 0");
    cio_semaphore *s = calloc(1, sizeof *s);
    if (!s)
        return cio__sync_fail(CIO_ENOMEM, who, "out of memory");
    if (cio__sync_init(&s->base, loop, who) != 0) {
        free(s);
        return NULL;
    }
    s->value = value;
    s->bound = bounded ? value : -1;
    return s;
}

cio_semaphore *cio_semaphore_new(cio_loop *loop, long value) {
    return make(loop, value, false, "cio_semaphore_new");
}

cio_semaphore *cio_bounded_semaphore_new(cio_loop *loop, long value) {
    return make(loop, value, true, "cio_bounded_semaphore_new");
}

int cio_semaphore_free(cio_semaphore *s) {
    _Static_assert(offsetof(cio_semaphore, base) == 0,
                   "cio__sync_free frees base");
    return s ? cio__sync_free(&s->base, cio__waitq_busy(&s->waiters), NULL) : 0;
}

bool cio_semaphore_locked(const cio_semaphore *s) {
    if (!s)
        return false;
    return s->value == 0 || s->waiters.woken > 0 ||
           cio__waitq_has_live(&s->waiters);
}

long cio_semaphore_value(const cio_semaphore *s) {
    return s ? s->value : 0;
}

static bool wake_next(cio_semaphore *s) {
    if (!cio__waitq_wake_next(&s->waiters))
        return false;
    s->value--;
    return true;
}

int cio_semaphore_acquire_at(cio_semaphore *s, const char *file, int line) {
    if (!s)
        return CIO_EINVAL;
    int rc = cio__sync_check_task(&s->base);
    if (rc)
        return rc;
    if (!cio_semaphore_locked(s)) {
        s->value--;
        return 0;
    }
    cio__waiter w;
    rc = cio__waiter_wait(&s->waiters, &w, file, line);
    if (w.woken && rc) /* promised a unit we will not take: give it back */
        s->value++;
    /* Newcomers queued behind us while units were free: serve them. */
    while (s->value > 0 && wake_next(s))
        ;
    return rc;
}

int cio_semaphore_try_acquire(cio_semaphore *s) {
    if (!s)
        return CIO_EINVAL;
    int rc = cio__sync_check(&s->base);
    if (rc)
        return rc;
    if (cio_semaphore_locked(s))
        return 0;
    s->value--;
    return 1;
}

int cio_semaphore_release(cio_semaphore *s) {
    if (!s)
        return CIO_EINVAL;
    int rc = cio__sync_check(&s->base);
    if (rc)
        return rc;
    /* Units promised to woken waiters count as free here: asyncio compares
     * the value alone, which lets a bounded semaphore overflow while a
     * woken waiter has not run. An unbounded one stops at LONG_MAX (Python's
     * integers have no end; a long has). */
    if (s->bound >= 0 ? s->value >= s->bound - (long)s->waiters.woken
                      : s->value == LONG_MAX)
        return CIO_EOVERRELEASE;
    s->value++;
    wake_next(s);
    return 0;
}
