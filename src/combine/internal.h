/* internal.h - what the files of src/combine share.
 *
 * The combinators are built on the public core API (futures, done
 * callbacks, cio_await_at, cio_cancel, call_later) and on a few hooks of
 * the core's internal one (core/internal.h): cio__set_error, allocation-free
 * callback nodes for the watch, done callbacks with a drop function, and
 * clean-up records, so that a loop closed while a task is suspended in a
 * combinator still frees the combinator's state.
 */
#ifndef CIO_COMBINE_INTERNAL_H
#define CIO_COMBINE_INTERNAL_H

#include "cio.h"
#include "core/internal.h"

#include <stdbool.h>
#include <stddef.h>

/* ---- watching a set of futures ------------------------------------------
 *
 * A watch puts one callback node per future (a "slot", in one array: no
 * allocation per future) into the future's callbacks and calls
 * on_done(w, index, future) as each one finishes. It holds a reference to
 * every future it watches. Its memory is reference counted: the owner holds
 * one reference and every slot not yet run holds one, because a node that
 * was already scheduled cannot be taken back; it runs after the owner has
 * stopped, sees w->stopped, and only drops its reference. A node the loop
 * drops unrun (it closes) drops its references the same way. */

typedef struct cio__watch cio__watch;
typedef void (*cio__watch_fn)(cio__watch *w, size_t index, cio_future *f);

typedef struct cio__watch_slot {
    cio__node node; /* in the future's callbacks, then in the ready queue */
    cio__watch *w;
    cio_future *future; /* a reference while registered, else NULL */
} cio__watch_slot;

struct cio__watch {
    unsigned refs;
    bool stopped;
    size_t n;
    cio__watch_slot *slots;
    cio__watch_fn on_done;
    void (*destroy)(cio__watch *w); /* frees the object the watch is in */
};

/* Prepare a watch of n slots (the owner's reference). CIO_ENOMEM. */
int cio__watch_init(cio__watch *w, size_t n, cio__watch_fn on_done,
                    void (*destroy)(cio__watch *w));
/* Watch futures[i] in slot i for every non-NULL entry. CIO_EWRONGLOOP if
 * one is not of `loop` (open), and then nothing is watched: the caller
 * checks the entries themselves (cio__check_entries) beforehand, the loops
 * are checked here, in the same pass as the registering. */
int cio__watch_add_all(cio__watch *w, cio_future *const *futures, size_t n,
                       cio_loop *loop);
/* Stop listening: unregister the slots that have not run and release their
 * futures. The owner's reference stays. */
void cio__watch_stop(cio__watch *w);
/* Drop a reference; the last one destroys. */
void cio__watch_unref(cio__watch *w);

/* ---- checks ---------------------------------------------------------------
 */

/* Check the entries of an array of futures without looking into them:
 * CIO_EINVAL if futures is NULL with n > 0, for a NULL entry (unless
 * allow_null) or for `self` (the calling task, NULL if none). *count (if
 * not NULL) receives the number of non-NULL entries. */
int cio__check_entries(cio_future *const *futures, size_t n,
                       const cio_future *self, bool allow_null, size_t *count);
/* The same, and CIO_EWRONGLOOP for a future not of `loop` (open). */
int cio__check_futures(cio_future *const *futures, size_t n, cio_loop *loop,
                       const cio_future *self, bool allow_null);

/* The calling task and its loop, or CIO_ENOTASK. */
int cio__current(cio_future **task, cio_loop **loop);

/* The loop of a combinator that may be called outside a task: the calling
 * task's, else that of the first future, else the thread's (or NULL). */
cio_loop *cio__combine_loop(cio_future *const *futures, size_t n);

/* A timeout argument: any number but NaN. A negative one means "time out
 * now", as in asyncio, where `deadline - now` a little below 0 is ordinary
 * code: cio__timeout_clamp makes it 0. */
static inline bool cio__timeout_ok(double timeout) {
    return timeout == timeout; /* false for NaN only */
}
static inline double cio__timeout_clamp(double timeout) {
    return timeout < 0 ? 0 : timeout;
}

/* ---- small shared steps ---------------------------------------------------
 */

/* Finish a waiter future (a plain future a suspended task awaits) if it is
 * there and not done yet. */
void cio__wake(cio_future *waiter);

/* Mark f's error as retrieved whenever f finishes. */
void cio__mark_retrieved_later(cio_future *f);

/* Cancel every entry not done yet (NULL entries are skipped). */
void cio__cancel_pending(cio_future *const *futures, size_t n, const char *msg);

/* Cancel a timer handle of ours and give our reference back; *handle
 * becomes NULL. Accepts a NULL *handle. */
void cio__handle_drop(cio_handle **handle);

/* ---- gather, shared with cio_cancel_all ---------------------------------- */

/* Internal flags of cio__gather, beside CIO_RETURN_ERRORS. */
#define CIO__GATHER_SKIP_NULL 0x100    /* NULL entries are skipped */
#define CIO__GATHER_CANCEL_FIRST 0x200 /* cancel them all once watched */

/* gather for cio_gather, cio_gather_future and cio_cancel_all. *failed (if
 * not NULL) receives the index of the future whose failure is returned,
 * SIZE_MAX if none. */
int cio__gather(cio_future *const *futures, size_t n, void **results, int flags,
                size_t *failed, const char *file, int line);

/* ---- timeout scopes, shared with wait_for ------------------------------- */

enum cio__timeout_state {
    CIO__TIMEOUT_ENTERED,
    CIO__TIMEOUT_EXPIRING, /* fired: the task has been cancelled */
    CIO__TIMEOUT_EXITED
};

struct cio_timeout_scope {
    cio_future *task; /* a reference */
    cio_loop *loop;
    cio_handle *handle; /* the pending expiry, or NULL */
    double when;        /* CIO_NO_TIMEOUT if none */
    int cancelling;     /* the task's cancelling() when the scope began */
    enum cio__timeout_state state;
    bool on_heap; /* cio_timeout's: freed with its task if it is abandoned */
    cio__cleanup cleanup; /* in the task's records from begin to finish */
};

/* Begin a scope in memory the caller provides (wait_for uses its stack). */
int cio__timeout_begin(cio_timeout_scope *t, double when);
int cio__timeout_finish(cio_timeout_scope *t, int err);

#endif /* CIO_COMBINE_INTERNAL_H */
