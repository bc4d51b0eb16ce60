/* gather.c - asyncio.gather: wait for all, results in input order.
 *
 * The calling task awaits a waiter future that the watch's callbacks finish
 * once the outcome is decided: the first failure (without
 * CIO_RETURN_ERRORS), or the last future done. If the task is cancelled
 * meanwhile, its await returns CIO_ECANCELED at once (the core cancels the
 * waiter); gather then does what asyncio's gathering future does when it is
 * cancelled: cancel the children and keep waiting for the outcome, so that
 * the caller returns only when the children have really reacted.
 */
#include "combine/internal.h"

#include <stdint.h>
#include <stdlib.h>

typedef struct gather {
    cio__watch watch;
    size_t n, nfinished; /* futures watched / finished */
    size_t failed;       /* index of the failure that decided, or SIZE_MAX */
    int flags;
    int code; /* the outcome, once decided */
    bool decided;
    cio_future *waiter; /* what the task awaits, or NULL */
    void **results;     /* the caller's, filled as the futures finish */
} gather;

static void decide(gather *g, int code, size_t index) {
    g->decided = true;
    g->code = code;
    g->failed = index;
    cio__wake(g->waiter);
}

static void gather_on_done(cio__watch *w, size_t index, cio_future *f) {
    gather *g = cio__container_of(w, gather, watch);
    int err = cio_future_error(f); /* marks it retrieved, as asyncio does */
    if (w->stopped || g->decided)
        return;
    /* Now, while f is in the cache: a pass over a million futures at the
     * end would cost a miss each. A failure's result is NULL. */
    if (g->results)
        g->results[index] = cio_future_result(f);
    g->nfinished++;
    if (err && !(g->flags & CIO_RETURN_ERRORS))
        decide(g, err, index);
    else if (g->nfinished == g->n)
        decide(g, 0, SIZE_MAX);
}

static void gather_destroy(cio__watch *w) {
    free(cio__container_of(w, gather, watch));
}

/* When the calling task was cancelled, if it was. */
enum cancelled { NOT_CANCELLED, BEFORE_DECISION, AFTER_DECISION };

/* Await until the outcome is decided. If the task is cancelled before the
 * decision, cancel the children and await the decision all the same.
 * Returns 0, or CIO_ENOMEM if no waiter could be made. */
static int await_decision(gather *g, cio_loop *loop, cio_future *const *fs,
                          size_t n, enum cancelled *cancelled, const char *file,
                          int line) {
    *cancelled = NOT_CANCELLED;
    while (!g->decided) {
        cio_future *w = cio_future_new(loop);
        if (!w)
            return CIO_ENOMEM;
        g->waiter = w;
        int rc = cio_await_at(w, NULL, file, line);
        g->waiter = NULL;
        if (rc == CIO_ECANCELED) {
            if (!g->decided) {
                *cancelled = BEFORE_DECISION;
                cio__cancel_pending(fs, n, cio_future_error_message(w));
            } else if (*cancelled == NOT_CANCELLED) {
                *cancelled = AFTER_DECISION;
            }
        }
        cio_release(w);
    }
    return 0;
}

/* The status gather returns, as asyncio decides it. */
static int outcome(const gather *g, enum cancelled cancelled) {
    switch (cancelled) {
    case BEFORE_DECISION: /* a real error may still win */
        return g->code ? g->code : CIO_ECANCELED;
    case AFTER_DECISION: /* the task's own cancellation */
        return CIO_ECANCELED;
    default:
        return g->code;
    }
}

static int gather_new(gather **out, cio_future *const *fs, size_t n,
                      size_t count, int flags, cio_loop *loop) {
    gather *g = calloc(1, sizeof *g);
    if (!g)
        return CIO_ENOMEM;
    if (cio__watch_init(&g->watch, n, gather_on_done, gather_destroy)) {
        free(g);
        return CIO_ENOMEM;
    }
    g->n = count;
    g->flags = flags;
    g->failed = SIZE_MAX;
    int rc = cio__watch_add_all(&g->watch, fs, n, loop);
    if (rc) {
        cio__watch_unref(&g->watch);
        return rc;
    }
    *out = g;
    return 0;
}

/* Stop watching. Futures still running keep going; their errors will be
 * marked as retrieved when they finish, as asyncio's gather does. */
static void gather_end(gather *g) {
    for (size_t i = 0; i < g->watch.n; i++) {
        cio_future *f = g->watch.slots[i].future;
        if (f && !cio_future_done(f))
            cio__mark_retrieved_later(f);
    }
    cio__watch_stop(&g->watch);
    cio__watch_unref(&g->watch);
}

/* The loop closes with the task waiting in gather: the core has dropped
 * the await; our own reference to the waiter and the watch go here. */
static void gather_abandon(void *arg) {
    gather *g = arg;
    cio_release(g->waiter);
    g->waiter = NULL;
    cio__watch_stop(&g->watch);
    cio__watch_unref(&g->watch);
}

int cio__gather(cio_future *const *fs, size_t n, void **results, int flags,
                size_t *failed, const char *file, int line) {
    if (results)
        for (size_t i = 0; i < n; i++)
            results[i] = NULL;
    cio_future *self;
    cio_loop *loop;
    int rc = cio__current(&self, &loop);
    if (rc)
        return rc;
    size_t count;
    rc = cio__check_entries(fs, n, self, (flags & CIO__GATHER_SKIP_NULL) != 0,
                            &count);
    if (rc || count == 0)
        return rc;
    gather *g;
    rc = gather_new(&g, fs, n, count, flags, loop); /* checks the loops */
    if (rc)
        return rc;
    g->results = results;
    if (flags & CIO__GATHER_CANCEL_FIRST)
        cio__cancel_pending(fs, n, NULL);
    cio__cleanup cleanup;
    cio__cleanup_push(&cleanup, gather_abandon, g);
    enum cancelled cancelled;
    rc = await_decision(g, loop, fs, n, &cancelled, file, line);
    cio__cleanup_pop(&cleanup);
    if (rc == 0 || cancelled != NOT_CANCELLED)
        rc = outcome(g, cancelled);
    if (failed)
        *failed = rc && rc == g->code ? g->failed : SIZE_MAX;
    g->results = NULL;
    if (rc && results) /* every result stays NULL on failure */
        for (size_t i = 0; i < n; i++)
            results[i] = NULL;
    gather_end(g);
    return rc;
}

int cio_gather_at(cio_future *const *futures, size_t n, void **results,
                  int flags, const char *file, int line) {
    if (flags & ~CIO_RETURN_ERRORS) {
        if (results)
            for (size_t i = 0; i < n; i++)
                results[i] = NULL;
        return CIO_EINVAL;
    }
    return cio__gather(futures, n, results, flags, NULL, file, line);
}

int cio_cancel_all_at(cio_future *const *futures, size_t n, const char *file,
                      int line) {
    return cio__gather(futures, n, NULL,
                       CIO_RETURN_ERRORS | CIO__GATHER_SKIP_NULL |
                           CIO__GATHER_CANCEL_FIRST,
                       NULL, file, line);
}
