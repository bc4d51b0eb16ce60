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

typedef struct cio__semaphore {
    cio__sync base;
    long value;
    long bound;         /* the initial value of a bounded semaphore, else -1 */
    cio__waitq waiters; /* each woken waiter holds a promised unit */
} cio__semaphore;

CIO__SYNC_FITS(cio_semaphore, cio__semaphore);

static cio__semaphore *S(cio_semaphore *s) {
    return (cio__semaphore *)(void *)s;
}

static const cio__semaphore *CS(const cio_semaphore *s) {
    return (const cio__semaphore *)(const void *)s;
}

static int init(cio_semaphore *storage, cio_loop *loop, long value,
                bool bounded, bool heap, const char *who) {
    if (value < 0) {
        cio__sync_fail(CIO_EINVAL, who, "the value must be >= 0");
        return CIO_EINVAL;
    }
    cio__semaphore *s = S(storage);
    int rc = cio__sync_init(&s->base, loop, heap, who);
    if (rc == 0) {
        s->value = value;
        s->bound = bounded ? value : -1;
        s->waiters = (cio__waitq){0};
    }
    return rc;
}

static cio_semaphore *make(cio_loop *loop, long value, bool bounded,
                           const char *who) {
    if (value < 0)
        return cio__sync_fail(CIO_EINVAL, who, "the value must be >= 0");
    cio_semaphore *s = malloc(sizeof *s);
    if (!s)
        return cio__sync_fail(CIO_ENOMEM, who, "out of memory");
    if (init(s, loop, value, bounded, true, who) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

int cio_semaphore_init(cio_semaphore *s, cio_loop *loop, long value) {
    return s ? init(s, loop, value, false, false, "cio_semaphore_init")
             : CIO_EINVAL;
}

int cio_bounded_semaphore_init(cio_semaphore *s, cio_loop *loop, long value) {
    return s ? init(s, loop, value, true, false, "cio_bounded_semaphore_init")
             : CIO_EINVAL;
}

cio_semaphore *cio_semaphore_new(cio_loop *loop, long value) {
    return make(loop, value, false, "cio_semaphore_new");
}

cio_semaphore *cio_bounded_semaphore_new(cio_loop *loop, long value) {
    return make(loop, value, true, "cio_bounded_semaphore_new");
}

int cio_semaphore_close(cio_semaphore *storage) {
    if (!storage)
        return 0;
    cio__semaphore *s = S(storage);
    bool live;
    int rc = cio__sync_close_begin(&s->base, &live);
    if (rc == 0) {
        if (live)
            cio__waitq_close(&s->waiters);
        cio__sync_close_end(&s->base);
    }
    return rc;
}

static bool locked(const cio__semaphore *s) {
    return s->value == 0 || s->waiters.woken > 0 ||
           cio__waitq_has_live(&s->waiters);
}

bool cio_semaphore_locked(const cio_semaphore *s) {
    return s && CS(s)->base.loop && locked(CS(s));
}

long cio_semaphore_value(const cio_semaphore *s) {
    return s && CS(s)->base.loop ? CS(s)->value : 0;
}

static bool wake_next(cio__semaphore *s) {
    if (!cio__waitq_wake_next(&s->waiters))
        return false;
    s->value--;
    return true;
}

int cio_semaphore_acquire_at(cio_semaphore *storage, const char *file,
                             int line) {
    if (!storage)
        return cio__error(CIO_EINVAL,
                          "cio_semaphore_acquire: semaphore is NULL");
    cio__semaphore *s = S(storage);
    int rc = cio__sync_check_task(&s->base);
    if (rc)
        return rc;
    if (!locked(s)) {
        s->value--;
        return 0;
    }
    cio__waiter w;
    rc = cio__waiter_wait(&s->waiters, &w, file, line);
    if (rc == CIO_ECLOSED)
        return rc;
    if (w.woken && rc) /* promised a unit we will not take: give it back */
        s->value++;
    /* Newcomers queued behind us while units were free: serve them. */
    while (s->value > 0 && wake_next(s))
        ;
    return rc;
}

int cio_semaphore_try_acquire(cio_semaphore *storage) {
    if (!storage)
        return cio__error(CIO_EINVAL,
                          "cio_semaphore_try_acquire: semaphore is NULL");
    cio__semaphore *s = S(storage);
    int rc = cio__sync_check(&s->base);
    if (rc)
        return rc;
    if (locked(s))
        return 0;
    s->value--;
    return 1;
}

int cio_semaphore_post(cio_semaphore *storage) {
    if (!storage)
        return cio__error(CIO_EINVAL, "cio_semaphore_post: semaphore is NULL");
    cio__semaphore *s = S(storage);
    int rc = cio__sync_check(&s->base);
    if (rc)
        return rc;
    /* Units promised to woken waiters count as free here: asyncio compares
     * the value alone, which lets a bounded semaphore overflow while a
     * woken waiter has not run. An unbounded one stops at LONG_MAX (Python's
     * integers have no end; a long has). */
    if (s->bound >= 0 ? s->value >= s->bound - (long)s->waiters.woken
                      : s->value == LONG_MAX)
        return cio__error(
            CIO_EOVERRELEASE,
            "cio_semaphore_post: released more times than acquired");
    s->value++;
    wake_next(s);
    return 0;
}
