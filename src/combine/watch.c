/* watch.c - watching a set of futures, and the checks the combinators share.
 *
 * Every combinator waits the same way: a done callback on each future
 * updates the combinator's state and, when its condition is met, finishes a
 * plain "waiter" future that the calling task awaits. The callbacks are
 * scheduled by the loop, never called inline, so one may already sit in the
 * ready queue when the combinator returns; the watch is reference counted so
 * that such a late callback finds its memory still there.
 */
#include "combine/internal.h"

#include <stdlib.h>

static void watch_fired(cio_future *f, void *arg) {
    cio__watch_slot *slot = arg;
    cio__watch *w = slot->w;
    cio_future *held = slot->future;
    slot->future = NULL;
    w->on_done(w, slot->index, f); /* after a stop, w->stopped says so */
    cio_release(held);
    cio__watch_unref(w);
}

int cio__watch_init(cio__watch *w, size_t n, cio__watch_fn on_done,
                    void (*destroy)(cio__watch *w)) {
    w->refs = 1;
    w->stopped = false;
    w->n = n;
    w->on_done = on_done;
    w->destroy = destroy;
    w->slots = n ? calloc(n, sizeof *w->slots) : NULL;
    if (n && !w->slots)
        return CIO_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        w->slots[i].w = w;
        w->slots[i].index = i;
    }
    return 0;
}

int cio__watch_add(cio__watch *w, size_t index, cio_future *f) {
    cio__watch_slot *slot = &w->slots[index];
    int rc = cio_future_add_done_callback(f, watch_fired, slot);
    if (rc)
        return rc;
    slot->future = cio_retain(f);
    w->refs++;
    return 0;
}

int cio__watch_add_all(cio__watch *w, cio_future *const *futures, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (!futures[i])
            continue;
        int rc = cio__watch_add(w, i, futures[i]);
        if (rc) {
            cio__watch_stop(w); /* the owner gives up the watch */
            return rc;
        }
    }
    return 0;
}

void cio__watch_stop(cio__watch *w) {
    w->stopped = true;
    for (size_t i = 0; i < w->n; i++) {
        cio__watch_slot *slot = &w->slots[i];
        if (!slot->future)
            continue;
        /* 0 if the callback is already scheduled: it keeps its reference to
         * the watch and to the future until it has run. */
        if (cio_future_remove_done_callback(slot->future, watch_fired, slot) >
            0) {
            w->refs--;
            cio_release(slot->future);
            slot->future = NULL;
        }
    }
}

void cio__watch_unref(cio__watch *w) {
    if (--w->refs == 0) {
        free(w->slots);
        w->slots = NULL;
        w->destroy(w);
    }
}

/* ---- checks ------------------------------------------------------------ */

int cio__current(cio_future **task, cio_loop **loop) {
    cio_future *self = cio_current_task();
    if (!self)
        return CIO_ENOTASK;
    *task = self;
    *loop = cio_future_loop(self);
    return 0;
}

int cio__check_futures(cio_future *const *futures, size_t n, cio_loop *loop,
                       const cio_future *self, bool allow_null) {
    if (!futures && n)
        return CIO_EINVAL;
    for (size_t i = 0; i < n; i++) {
        cio_future *f = futures[i];
        if (!f) {
            if (allow_null)
                continue;
            return CIO_EINVAL;
        }
        if (f == self)
            return CIO_EINVAL;
        if (cio_future_loop(f) != loop || !loop)
            return CIO_EWRONGLOOP;
    }
    return 0;
}

void cio__wake(cio_future *waiter) {
    if (waiter && !cio_future_done(waiter))
        cio_future_set_result(waiter, NULL);
}

static void mark_retrieved(cio_future *f, void *arg) {
    (void)arg;
    cio_future_error(f);
}

void cio__mark_retrieved_later(cio_future *f) {
    /* Best effort: without memory the worst outcome is a diagnostic. */
    (void)cio_future_add_done_callback(f, mark_retrieved, NULL);
}
