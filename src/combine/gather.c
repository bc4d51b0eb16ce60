/* gather.c - asyncio.gather: wait for all, results in input order.
 *
 * The calling task awaits a waiter future that the watch's callbacks finish
 * once the outcome is decided: the first failure (without
 * CIO_RETURN_ERRORS), or the last future done. A cancellation of the task
 * meanwhile is what asyncio's _GatheringFuture.cancel() makes of it: a
 * cancel check on the task cancels the pending children at once, inside
 * cio_cancel, and the task keeps waiting (CIO__CANCEL_DEFER): it wakes when
 * the outcome is decided, so that it returns only when the children have
 * really reacted. A cancellation already pending when gather is called is
 * taken and dealt with the same way before the first wait.
 */
#include "combine/internal.h"

#include <stdint.h>
#include <stdlib.h>

typedef struct gather {
    cio__watch watch;
    cio__cancel_check check;        /* on the calling task while it waits */
    cio__cancel_check *outer_check; /* the check the task had (or NULL) */
    cio_future *self;               /* the calling task */
    cio_future *const *fs;
    size_t n, count, nfinished; /* entries / futures watched / finished */
    size_t failed; /* index of the failure that decided, or SIZE_MAX */
    int flags;
    int code; /* the outcome, once decided */
    bool decided;
    /* asyncio's _GatheringFuture._cancel_requested: a cancellation of the
     * task cancelled a child, so the children's outcome is the gather's. */
    bool cancel_requested;
    /* asyncio's Task._must_cancel: a cancellation found no child to
     * cancel, so the task's own cancellation is the gather's outcome. */
    bool must_cancel;
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
    else if (g->nfinished == g->count)
        decide(g, 0, SIZE_MAX);
}

static void gather_destroy(cio__watch *w) {
    free(cio__container_of(w, gather, watch));
}

/* A cancellation of the task: _GatheringFuture.cancel() (cancel the
 * children still pending), or, with none left to cancel, Task.cancel()'s
 * request delivered when the task wakes. Each request, as in asyncio: a
 * timeout's expiry after a first cancellation reaches the children too. */
static void cancel_children(gather *g, const char *msg) {
    bool any = false;
    if (!g->decided)
        for (size_t i = 0; i < g->n; i++)
            if (g->fs[i] && !cio_future_done(g->fs[i]) &&
                cio_cancel(g->fs[i], msg) > 0)
                any = true;
    if (any)
        g->cancel_requested = true;
    else
        g->must_cancel = true;
}

static int gather_on_cancel(cio__cancel_check *check, const char *msg) {
    gather *g = cio__container_of(check, gather, check);
    if (g->outer_check && /* the gather future's own rule comes first */
        g->outer_check->allow(g->outer_check, msg) == CIO__CANCEL_REFUSE)
        return CIO__CANCEL_REFUSE;
    cancel_children(g, msg);
    return CIO__CANCEL_DEFER;
}

/* Await until the outcome is decided (a cancellation of the task does not
 * wake it before: gather_on_cancel). Returns 0, or CIO_ENOMEM if no waiter
 * could be made. */
static int await_decision(gather *g, cio_loop *loop, const char *file,
                          int line) {
    while (!g->decided) {
        cio_future *w = cio_future_new(loop);
        if (!w)
            return cio__error(CIO_ENOMEM, "cio_gather: out of memory");
        g->waiter = w;
        int rc = cio_await_at(w, NULL, file, line);
        g->waiter = NULL;
        if (rc == CIO_ECANCELED && !g->cancel_requested)
            g->must_cancel = true; /* a request past the check */
        cio_release(w);
    }
    return 0;
}

/* The status gather returns, as asyncio decides it. */
static int outcome(const gather *g) {
    if (g->must_cancel)
        return cio__error(CIO_ECANCELED,
                          "cio_gather: the waiting task was cancelled");
    if (g->cancel_requested) /* a real error of a child may still win */
        return g->code ? g->code : CIO_ECANCELED;
    return g->code;
}

static int gather_new(gather **out, cio_future *const *fs, size_t n,
                      size_t count, int flags, cio_loop *loop) {
    gather *g = calloc(1, sizeof *g);
    if (!g || cio__watch_init(&g->watch, n, gather_on_done, gather_destroy)) {
        free(g);
        cio__set_error(CIO_ENOMEM, "cio_gather: out of memory");
        return CIO_ENOMEM;
    }
    g->fs = fs;
    g->n = n;
    g->count = count;
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

/* The results of a gather that succeeded, from the futures themselves
 * (a failure's result is NULL, as gather_on_done records it). */
static void fill_results(cio_future *const *fs, size_t n, void **results) {
    for (size_t i = 0; i < n; i++) {
        cio_future *f = fs[i];
        results[i] =
            f && cio_future_state(f) == CIO_DONE && !cio_future_error(f)
                ? cio_future_result(f)
                : NULL;
    }
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
    cio__task_set_cancel_check(g->self, g->outer_check);
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
        return cio__error(rc, "cio_gather: %s", cio_strerror(rc));
    size_t count;
    rc = cio__check_entries(fs, n, self, (flags & CIO__GATHER_SKIP_NULL) != 0,
                            &count);
    if (rc)
        return cio__error(rc, "cio_gather: %s", cio_strerror(rc));
    if (count == 0)
        return 0;
    gather *g;
    rc = gather_new(&g, fs, n, count, flags, loop); /* checks the loops */
    if (rc)
        return rc;
    /* a compact task's results array is not where its address says while
     * the task waits: fill it when the task runs again */
    bool compact = cio__compact_misplaced(results);
    g->results = compact ? NULL : results;
    if (flags & CIO__GATHER_CANCEL_FIRST)
        cio__cancel_pending(fs, n, NULL);
    if (cio__task_take_pending_cancel(self)) /* asyncio: _must_cancel */
        cancel_children(g, self->error ? NULL : self->message);
    g->check.allow = gather_on_cancel;
    g->self = self;
    g->outer_check = cio__task_set_cancel_check(self, &g->check);
    cio__cleanup cleanup;
    cio__cleanup_push(&cleanup, gather_abandon, g);
    rc = await_decision(g, loop, file, line);
    cio__cleanup_pop(&cleanup);
    cio__task_set_cancel_check(self, g->outer_check);
    if (rc == 0 || g->cancel_requested || g->must_cancel)
        rc = outcome(g);
    if (failed)
        *failed = rc && rc == g->code ? g->failed : SIZE_MAX;
    if (compact && results && rc == 0)
        fill_results(fs, n, results);
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
        return cio__error(
            CIO_EINVAL,
            "cio_gather: unknown flags %#x (only CIO_RETURN_ERRORS)",
            (unsigned)flags);
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
