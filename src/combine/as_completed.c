/* as_completed.c - asyncio.as_completed: the futures in the order they
 * finish.
 *
 * The watch's nodes append each finished future to a queue; next() takes
 * from the queue, or awaits a waiter that the next node (or the timeout)
 * finishes. A future listed twice is watched once, as asyncio's set() does.
 * The iterator holds the only state; freeing it stops the watch and the
 * timer, which is all an abandoned iteration needs.
 *
 * An iterator made in a task belongs to that task (it lives in the task's
 * frame, as the loop form shows): a clean-up record in the task frees it if
 * the loop is closed while the task is still pending. A task waiting in
 * next() has a record of its own, for the waiter. Whichever of the two runs
 * first lets go of what the iterator holds; the shell goes with the owner's
 * record, or with the waiting task's if the owner's ran first.
 */
#include "combine/internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

struct cio_as_completed_iter {
    cio__watch watch;
    cio_future **fs; /* the distinct futures (references) */
    size_t n;        /* how many */
    size_t *queue;   /* indexes of finished futures, in order */
    size_t qhead, qtail;
    size_t yielded;    /* how many next() has returned */
    cio_handle *timer; /* the timeout, or NULL */
    bool timed_out;
    bool released; /* the loop closed: watch, timer, fs let go of */
    bool orphan;   /* the owner's record ran while a task waited in next() */
    cio_future *waiter; /* awaited by next(), or NULL */
    cio_loop *loop;
    cio_future *owner;    /* the task that made it (a reference), or NULL */
    cio__cleanup cleanup; /* in the owner's records while it lives */
};

static void ac_on_done(cio__watch *w, size_t index, cio_future *f) {
    (void)f;
    cio_as_completed_iter *it =
        cio__container_of(w, cio_as_completed_iter, watch);
    if (w->stopped)
        return;
    it->queue[it->qtail++] = index;
    if (it->qtail == it->n && it->timer) /* all in: the timeout is moot */
        cio_handle_cancel(it->timer);
    cio__wake(it->waiter);
}

static void ac_on_timeout(void *arg) {
    cio_as_completed_iter *it = arg;
    it->timed_out = true;
    cio__watch_stop(&it->watch); /* later completions are not yielded */
    cio__wake(it->waiter);
}

static void ac_destroy(cio__watch *w) {
    cio_as_completed_iter *it =
        cio__container_of(w, cio_as_completed_iter, watch);
    free(it->fs);
    free(it->queue);
    free(it);
}

typedef struct entry {
    cio_future *f;
    size_t index;
} entry;

static int cmp_entry(const void *a, const void *b) {
    const entry *x = a, *y = b;
    if (x->f != y->f)
        return (uintptr_t)x->f < (uintptr_t)y->f ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Copy the distinct futures of `in` to `out`, first occurrences in input
 * order, and return how many; CIO_ENOMEM as (size_t)-1. */
static size_t distinct(cio_future *const *in, size_t n, cio_future **out) {
    if (n == 0)
        return 0;
    entry *e = malloc(n * sizeof *e);
    unsigned char *dup = calloc(n, 1);
    if (!e || !dup) {
        free(e);
        free(dup);
        return (size_t)-1;
    }
    for (size_t i = 0; i < n; i++)
        e[i] = (entry){in[i], i};
    qsort(e, n, sizeof *e, cmp_entry);
    for (size_t i = 1; i < n; i++)
        if (e[i].f == e[i - 1].f)
            dup[e[i].index] = 1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!dup[i])
            out[k++] = in[i];
    free(e);
    free(dup);
    return k;
}

static cio_as_completed_iter *fail(int code, const char *what) {
    cio__set_error(code, "cio_as_completed: %s", what);
    return NULL;
}

/* The iterator with its own references to the distinct futures. */
static cio_as_completed_iter *iter_new(cio_future *const *fs, size_t n) {
    cio_as_completed_iter *it = calloc(1, sizeof *it);
    if (!it)
        return NULL;
    size_t room = n ? n : 1;
    it->fs = malloc(room * sizeof *it->fs);
    it->queue = malloc(room * sizeof *it->queue);
    size_t k = it->fs && it->queue ? distinct(fs, n, it->fs) : (size_t)-1;
    if (k == (size_t)-1 ||
        cio__watch_init(&it->watch, k, ac_on_done, ac_destroy)) {
        ac_destroy(&it->watch);
        return NULL;
    }
    it->n = k;
    for (size_t i = 0; i < k; i++)
        cio_retain(it->fs[i]);
    return it;
}

static int check_args(cio_future *const *fs, size_t n, double timeout,
                      cio_loop *loop) {
    if (!cio__timeout_ok(timeout))
        return CIO_EINVAL;
    if (n && !loop)
        return fs && fs[0] ? CIO_EWRONGLOOP : CIO_EINVAL;
    return cio__check_entries(fs, n, cio_current_task(), false, NULL);
}

/* Let go of the watch, the timer and the futures (once). */
static void ac_release(cio_as_completed_iter *it) {
    if (it->released)
        return;
    it->released = true;
    cio__handle_drop(&it->timer);
    cio__watch_stop(&it->watch);
    cio_release_all(it->fs, it->n); /* late nodes do not look at fs */
}

static void ac_free(cio_as_completed_iter *it) {
    ac_release(it);
    cio_release(it->owner);
    cio__watch_unref(&it->watch);
}

/* The loop closes with the owner pending: the iterator goes with its frame,
 * unless another task waits in next(); that one's record frees it then. */
static void ac_owner_abandoned(void *arg) {
    cio_as_completed_iter *it = arg;
    if (it->waiter) {
        ac_release(it);
        it->orphan = true;
    } else {
        ac_free(it);
    }
}

/* The loop closes with a task waiting in next() (the core dropped the
 * await; our reference to the waiter goes here). */
static void ac_waiter_abandoned(void *arg) {
    cio_as_completed_iter *it = arg;
    cio_release(it->waiter);
    it->waiter = NULL;
    if (it->orphan)
        ac_free(it);
    else
        ac_release(it);
}

cio_as_completed_iter *cio_as_completed(cio_future *const *futures, size_t n,
                                        double timeout) {
    cio_loop *loop = cio__combine_loop(futures, n);
    int rc = check_args(futures, n, timeout, loop);
    if (rc)
        return fail(rc, rc == CIO_EWRONGLOOP
                            ? "a future of another (or a closed) loop"
                            : "NULL array or entry, or a bad timeout");
    timeout = cio__timeout_clamp(timeout);
    cio_as_completed_iter *it = iter_new(futures, n);
    if (!it)
        return fail(CIO_ENOMEM, "out of memory");
    it->loop = loop;
    rc = cio__watch_add_all(&it->watch, it->fs, it->n, loop);
    if (rc == 0 && it->n && !isinf(timeout))
        rc = cio_call_later(loop, timeout, ac_on_timeout, it, &it->timer);
    if (rc) {
        ac_free(it);
        return fail(rc, rc == CIO_EWRONGLOOP ? "a future of another loop"
                                             : "out of memory");
    }
    it->owner = cio_retain(cio_current_task());
    if (it->owner)
        cio__cleanup_push(&it->cleanup, ac_owner_abandoned, it);
    return it;
}

/* Wait until something is queued or the timeout has passed. */
static int wait_next(cio_as_completed_iter *it, const char *file, int line) {
    it->waiter = cio_future_new(it->loop);
    if (!it->waiter)
        return cio__error(CIO_ENOMEM, "cio_as_completed_next: out of memory");
    cio__cleanup cleanup;
    cio__cleanup_push(&cleanup, ac_waiter_abandoned, it);
    int rc = cio_await_at(it->waiter, NULL, file, line);
    cio__cleanup_pop(&cleanup);
    cio_release(it->waiter);
    it->waiter = NULL;
    return rc;
}

/* May the calling task wait on the iterator? (The futures' loop, not
 * it->loop, says whether the loop is closed: they keep it allocated.) */
static int check_loop(const cio_as_completed_iter *it) {
    if (it->released)
        return CIO_ELOOPCLOSED;
    if (it->n == 0)
        return 0;
    cio_loop *loop = cio_future_loop(it->fs[0]);
    if (!loop)
        return CIO_ELOOPCLOSED;
    return loop == cio_future_loop(cio_current_task()) ? 0 : CIO_EWRONGLOOP;
}

int cio_as_completed_next_at(cio_as_completed_iter *it, cio_future **out,
                             const char *file, int line) {
    if (out)
        *out = NULL;
    if (!it || !out)
        return cio__error(CIO_EINVAL,
                          "cio_as_completed_next: iterator or out is NULL");
    if (!cio_current_task())
        return cio__error(CIO_ENOTASK, "cio_as_completed_next: not in a task");
    int rc = check_loop(it);
    if (rc)
        return rc;
    if (it->waiter) /* another task is in next(): one consumer at a time */
        return cio__error(CIO_EINVAL,
                          "cio_as_completed_next: another task is already "
                          "waiting in next() on this iterator");
    while (it->qhead == it->qtail) {
        if (it->yielded == it->n)
            return 0;
        if (it->timed_out)
            return cio__error(
                CIO_ETIMEDOUT,
                "cio_as_completed_next: the iterator's timeout expired");
        rc = wait_next(it, file, line);
        if (rc)
            return rc;
    }
    *out = it->fs[it->queue[it->qhead++]];
    it->yielded++;
    return 1;
}

int cio_as_completed_free(cio_as_completed_iter *it) {
    if (!it)
        return 0;
    if (it->waiter) /* a task in next() would wake up in freed memory */
        return cio__error(CIO_EINVALIDSTATE,
                          "cio_as_completed_free: a task is still waiting in "
                          "cio_as_completed_next");
    if (it->owner)
        cio__cleanup_remove(it->owner, &it->cleanup);
    ac_free(it);
    return 0;
}

int cio_as_completed_next_result_at(cio_as_completed_iter *it, void **result,
                                    const char *file, int line) {
    if (result)
        *result = NULL;
    cio_future *f;
    int rc = cio_as_completed_next_at(it, &f, file, line);
    if (rc <= 0) {
        if (rc < 0)
            cio__set_error(rc, "cio_as_completed_next_result: %s",
                           cio_strerror(rc));
        return rc;
    }
    rc = cio_await_result_at(f, result, file, line); /* done: no wait */
    return rc < 0 ? rc : (int)it->yielded;
}
