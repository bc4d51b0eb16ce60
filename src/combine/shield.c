/* shield.c - asyncio.shield: an outer future that mirrors an inner one,
 * whose cancellation stays outside.
 *
 * Two done callbacks tie them: when the inner finishes, its outcome is
 * copied to the outer (unless the outer was cancelled meanwhile); when the
 * outer finishes first (cancelled), the inner's callback is taken away.
 * The link holds a reference to both futures (asyncio keeps the inner alive
 * too) and goes when both callbacks have run or been removed.
 */
#include "combine/internal.h"

#include <stdlib.h>

typedef struct shield {
    unsigned refs; /* one per callback registered */
    cio_future *inner, *outer;
} shield;

static void shield_drop(shield *s, unsigned n) {
    s->refs -= n;
    if (s->refs == 0) {
        cio_release(s->inner);
        cio_release(s->outer);
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
    if (cio_future_done(s->outer))     /* the outer was cancelled */
        (void)cio_future_error(inner); /* retrieved, as asyncio marks it */
    else
        copy_outcome(inner, s->outer);
    shield_drop(s, 1);
}

static void outer_done(cio_future *outer, void *arg) {
    (void)outer;
    shield *s = arg;
    /* our own reference, and the inner callback's if it never ran */
    shield_drop(s, cio_future_remove_done_callback(s->inner, inner_done, s) > 0
                       ? 2
                       : 1);
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
    cio_future *outer = s ? cio_future_new(loop) : NULL;
    if (!outer) {
        free(s);
        return fail(CIO_ENOMEM, "out of memory");
    }
    s->refs = 0;
    s->inner = cio_retain(inner);
    s->outer = cio_retain(outer);
    if (cio_future_add_done_callback(inner, inner_done, s) == 0) {
        s->refs++;
        if (cio_future_add_done_callback(outer, outer_done, s) == 0) {
            s->refs++;
            return outer;
        }
        cio_future_remove_done_callback(inner, inner_done, s);
    }
    cio_release(s->inner);
    cio_release(s->outer);
    free(s);
    cio_release(outer);
    return fail(CIO_ENOMEM, "out of memory");
}
