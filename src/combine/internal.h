/* internal.h - what the files of src/combine share.
 *
 * The combinators are built on the public core API (futures, done
 * callbacks, cio_await_at, cio_cancel, call_later). The one internal of the
 * core they use is cio__set_error(), to leave cio_last_error() behind when
 * a call that returns a pointer fails, as the core's own calls do.
 */
#ifndef CIO_COMBINE_INTERNAL_H
#define CIO_COMBINE_INTERNAL_H

#include "cio.h"
#include "core/internal.h" /* cio__set_error */

#include <stdbool.h>
#include <stddef.h>

/* ---- watching a set of futures ------------------------------------------
 *
 * A watch registers one done callback per future (a "slot") and calls
 * on_done(w, index, future) as each one finishes. It holds a reference to
 * every future it watches. Its memory is reference counted: the owner holds
 * one reference and every callback not yet run holds one, because a
 * callback that was already scheduled cannot be taken back; it runs after
 * the owner has stopped, sees w->stopped, and only drops its reference. */

typedef struct cio__watch cio__watch;
typedef void (*cio__watch_fn)(cio__watch *w, size_t index, cio_future *f);

typedef struct cio__watch_slot {
    cio__watch *w;
    cio_future *future; /* a reference while registered, else NULL */
    size_t index;
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
/* Watch f in slot `index`. On CIO_ENOMEM nothing is registered. */
int cio__watch_add(cio__watch *w, size_t index, cio_future *f);
/* Watch futures[i] in slot i for every non-NULL entry; on failure undo
 * everything and return the error. */
int cio__watch_add_all(cio__watch *w, cio_future *const *futures, size_t n);
/* Stop listening: unregister the callbacks that have not run and release
 * the futures. The owner's reference stays. */
void cio__watch_stop(cio__watch *w);
/* Drop a reference; the last one destroys. */
void cio__watch_unref(cio__watch *w);

/* ---- checks ---------------------------------------------------------------
 */

/* Check an array of futures for `loop`: CIO_EINVAL if futures is NULL with
 * n > 0, for a NULL entry (unless allow_null) or for `self` (the calling
 * task, NULL if none); CIO_EWRONGLOOP for a future of another loop. */
int cio__check_futures(cio_future *const *futures, size_t n, cio_loop *loop,
                       const cio_future *self, bool allow_null);

/* The calling task and its loop, or CIO_ENOTASK. */
int cio__current(cio_future **task, cio_loop **loop);

/* A timeout argument: finite and >= 0, or CIO_NO_TIMEOUT. */
static inline bool cio__timeout_ok(double timeout) {
    return timeout >= 0; /* false for NaN and negatives */
}

/* Finish a waiter future (a plain future a suspended task awaits) if it is
 * there and not done yet. */
void cio__wake(cio_future *waiter);

/* Mark f's error as retrieved whenever f finishes. */
void cio__mark_retrieved_later(cio_future *f);

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
};

/* Begin a scope in memory the caller provides (wait_for uses its stack). */
int cio__timeout_begin(cio_timeout_scope *t, double when);
int cio__timeout_finish(cio_timeout_scope *t, int err);

#endif /* CIO_COMBINE_INTERNAL_H */
