/* shield.c - asyncio.shield: an outer future that mirrors an inner one,
 * whose cancellation stays outside.
 *
 * Two done callbacks tie them: when the inner finishes, its outcome is
 * copied to the outer (unless the outer was cancelled meanwhile); when the
 * outer finishes first (cancelled), the inner's callback is taken away.
 * The link holds a reference to the inner future (asyncio keeps it alive
 * too) but not to the outer: whoever holds the outer keeps it, and an outer
 * released while pending drops its callback, which unties the link. So
 * nothing is left behind when the outer is released, even if the inner
 * never finishes or its loop is closed first. The link goes when both
 * callbacks have run or been dropped.
 */
#include "combine/internal.h"

#include <stdlib.h>

typedef struct shield {
    unsigned refs;     /* one per callback registered */
    cio_future *inner; /* a reference */
    cio_future *outer; /* not a reference; NULL once its callback is gone */
} shield;

static void shield_drop(shield *s, unsigned n) {
    s->refs -= n;
    if (s->refs == 0) {
        cio_release(s->inner);
        free(s);
    }
}

static void copy_outcome(cio_future *inner, cio_future *outer) {
    int err = cio_future_error(inner);
    if (cio_future_cancelled(inner))
        cio_cancel(outer, cio_future_error_message(inner));
    else if (err)
        cio_future_set_error(outer, err, "%s", cio_future_error_message(inner));
    else
        cio_future_set_result(outer, cio_future_result(inner));
}

static void inner_done(cio_future *inner, void *arg) {
    shield *s = arg;
    if (!s->outer || cio_future_done(s->outer)) /* cancelled, or let go of */
        (void)cio_future_error(inner); /* retrieved, as asyncio marks it */
    else
        copy_outcome(inner, s->outer);
    shield_drop(s, 1);
}

/* The inner's callback will never run (the loop closed first). */
static void inner_dropped(void *arg) {
    shield_drop(arg, 1);
}

/* The outer finished, or was released pending, or its callback was
 * dropped: untie. Our own reference goes, and the inner callback's if it
 * has not run (nor been scheduled) yet. */
static void outer_gone(void *arg) {
    shield *s = arg;
    s->outer = NULL;
    shield_drop(s, cio_future_remove_done_callback(s->inner, inner_done, s) > 0
                       ? 2
                       : 1);
}

static void outer_done(cio_future *outer, void *arg) {
    (void)outer;
    outer_gone(arg);
}

static cio_future *fail(int code, const char *what) {
    cio__set_error(code, "cio_shield: %s", what);
    return NULL;
}

cio_future *cio_shield(cio_future *inner) {
    if (!inner)
        return fail(CIO_EINVAL, "the future is NULL");
    if (cio_future_done(inner))
        return cio_retain(inner); /* nothing to shield, as asyncio */
    cio_loop *loop = cio_future_loop(inner);
    if (!loop)
        return fail(CIO_ELOOPCLOSED, "the future's loop is closed");
    shield *s = malloc(sizeof *s);
    if (!s)
        return fail(CIO_ENOMEM, "out of memory");
    cio_future *outer = cio_future_new(loop);
    if (!outer) {
        free(s);
        return NULL; /* cio_future_new left the error */
    }
    s->refs = 0;
    s->inner = cio_retain(inner);
    s->outer = outer;
    int rc =
        cio__future_add_done_callback_ex(inner, inner_done, s, inner_dropped);
    if (rc == 0) {
        s->refs++;
        rc = cio__future_add_done_callback_ex(outer, outer_done, s, outer_gone);
        if (rc == 0) {
            s->refs++;
            return outer;
        }
        cio_future_remove_done_callback(inner, inner_done, s);
    }
    cio_release(s->inner);
    free(s);
    cio_release(outer);
    return fail(CIO_ENOMEM, "out of memory");
}
