/* watch.c - watching a set of futures, and what the combinators share.
 *
 * Every combinator waits the same way: a callback node on each future
 * updates the combinator's state and, when its condition is met, finishes a
 * plain "waiter" future that the calling task awaits. The nodes are
 * scheduled by the loop, never run inline, so one may already sit in the
 * ready queue when the combinator returns; the watch is reference counted so
 * that such a late node finds its memory still there. The nodes live in one
 * array of slots: watching a million futures costs no allocation per future.
 */
#include "combine/internal.h"

#include <stdlib.h>

/* The future finished (run once), or the loop drops the node unrun because
 * it closes: either way the slot's references go. */
static void slot_run(cio__node *node, bool discard) {
    cio__watch_slot *slot = cio__container_of(node, cio__watch_slot, node);
    cio__watch *w = slot->w;
    cio_future *held = slot->future;
    slot->future = NULL;
    if (!discard) /* after a stop, w->stopped says so */
        w->on_done(w, (size_t)(slot - w->slots), held);
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
        w->slots[i].node.run = slot_run;
        w->slots[i].w = w;
    }
    return 0;
}

/* Unregister the slots of futures[0..n) added so far, and release the
 * deferred ones (the add is refused: nothing happened). */
static void add_undo(cio__watch *w, size_t n, cio__node *deferred) {
    for (size_t i = 0; i < n; i++) {
        cio__watch_slot *slot = &w->slots[i];
        if (slot->future &&
            cio__future_remove_node(slot->future, &slot->node)) {
            w->refs--;
            cio_release(slot->future);
            slot->future = NULL;
        }
    }
    for (cio__node *node = deferred; node; node = node->next) {
        cio__watch_slot *slot = cio__container_of(node, cio__watch_slot, node);
        w->refs--;
        cio_release(slot->future);
        slot->future = NULL;
    }
}

/* One pass over the futures checks each one's loop and registers its slot:
 * with a million futures, every pass costs a cache miss per future. A done
 * future's node would be scheduled at once, which cannot be undone, so
 * those wait in a list (linked through their nodes) until every future
 * has passed the check. */
int cio__watch_add_all(cio__watch *w, cio_future *const *futures, size_t n,
                       cio_loop *loop) {
    cio__node *deferred = NULL, **tail = &deferred;
    for (size_t i = 0; i < n; i++) {
        cio_future *f = futures[i];
        if (!f)
            continue;
        if (!loop || cio_future_loop(f) != loop) {
            add_undo(w, i, deferred);
            return CIO_EWRONGLOOP;
        }
        cio__watch_slot *slot = &w->slots[i];
        slot->future = cio_retain(f);
        w->refs++;
        if (cio_future_done(f)) {
            slot->node.next = NULL;
            *tail = &slot->node;
            tail = &slot->node.next;
        } else {
            (void)cio__future_add_node(f, &slot->node); /* the loop is open */
        }
    }
    while (deferred) {
        cio__node *node = deferred;
        deferred = node->next;
        cio__watch_slot *slot = cio__container_of(node, cio__watch_slot, node);
        (void)cio__future_add_node(slot->future, node); /* scheduled */
    }
    return 0;
}

void cio__watch_stop(cio__watch *w) {
    w->stopped = true;
    for (size_t i = 0; i < w->n; i++) {
        cio__watch_slot *slot = &w->slots[i];
        /* A node already scheduled is not in the future's callbacks any
         * more: it keeps its references until it has run. */
        if (slot->future &&
            cio__future_remove_node(slot->future, &slot->node)) {
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

cio_loop *cio__combine_loop(cio_future *const *fs, size_t n) {
    cio_future *self = cio_current_task();
    if (self)
        return cio_future_loop(self);
    if (n && fs && fs[0])
        return cio_future_loop(fs[0]);
    return cio_get_loop();
}

int cio__check_entries(cio_future *const *futures, size_t n,
                       const cio_future *self, bool allow_null, size_t *count) {
    if (!futures && n)
        return CIO_EINVAL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!futures[i] && !allow_null)
            return CIO_EINVAL;
        if (futures[i] && futures[i] == self)
            return CIO_EINVAL;
        k += futures[i] != NULL;
    }
    if (count)
        *count = k;
    return 0;
}

int cio__check_futures(cio_future *const *futures, size_t n, cio_loop *loop,
                       const cio_future *self, bool allow_null) {
    int rc = cio__check_entries(futures, n, self, allow_null, NULL);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (futures[i] && (!loop || cio_future_loop(futures[i]) != loop))
            rc = CIO_EWRONGLOOP;
    return rc;
}

/* ---- small shared steps ------------------------------------------------ */

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

void cio__cancel_pending(cio_future *const *fs, size_t n, const char *msg) {
    for (size_t i = 0; i < n; i++)
        if (fs[i] && !cio_future_done(fs[i]))
            cio_cancel(fs[i], msg);
}

void cio__handle_drop(cio_handle **handle) {
    if (*handle) {
        cio_handle_cancel(*handle); /* it never runs after this */
        cio_handle_release(*handle);
        *handle = NULL;
    }
}
