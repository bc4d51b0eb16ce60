/* handle.c - call_soon, call_later, call_at and their handles.
 *
 * A handle is referenced by the loop while it is scheduled and by the caller
 * if the caller asked for it. Cancelling a timer takes it out of the heap at
 * once; a handle already in the ready queue is only marked, and skipped when
 * its turn comes.
 */
#include "core/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

struct cio_handle {
    cio__timed timed;
    cio_loop *loop;
    cio_callback_fn cb;
    void *arg;
    unsigned refs;
    uint32_t magic; /* CIO__LIVE, CIO__FREED once freed (internal.h) */
    uint64_t when;  /* a timer's deadline (the heap forgets it once fired) */
    bool cancelled, ran, is_timer;
    bool loop_holds; /* the loop's reference is still taken */
};

static void handle_unref(cio_handle *h) {
    if (--h->refs == 0) {
        h->magic = CIO__FREED;
        cio__loop_unref(h->loop);
        free(h);
    }
}

/* The loop gives its reference back: the call ran, or never will. */
static void loop_drops(cio_handle *h) {
    h->loop_holds = false;
    handle_unref(h);
}

static void handle_run(cio__node *node, bool discard) {
    cio_handle *h = cio__container_of(node, cio_handle, timed.node);
    if (!discard && !h->cancelled) {
        h->ran = true;
        h->cb(h->arg);
    }
    loop_drops(h);
}

static cio_handle *handle_new(cio_loop *loop, cio_callback_fn cb, void *arg,
                              cio_handle **out) {
    cio_handle *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->timed.node.run = handle_run;
    h->timed.timer.index = CIO__NOT_ARMED;
    h->loop = loop;
    h->cb = cb;
    h->arg = arg;
    h->refs = out ? 2 : 1;
    h->magic = CIO__LIVE;
    h->loop_holds = true;
    cio__loop_ref(loop);
    if (out)
        *out = h;
    return h;
}

static int check(cio_loop **loop, cio_callback_fn cb, cio_handle **out,
                 const char *who) {
    if (out)
        *out = NULL;
    if (!cb)
        return cio__error(CIO_EINVAL, "%s: callback is NULL", who);
    *loop = cio__pick_loop(*loop, who);
    return *loop ? 0 : cio_last_error();
}

int cio_call_soon(cio_loop *loop, cio_callback_fn cb, void *arg,
                  cio_handle **out) {
    int rc = check(&loop, cb, out, "cio_call_soon");
    if (rc)
        return rc;
    cio_handle *h = handle_new(loop, cb, arg, out);
    if (!h)
        return cio__error(CIO_ENOMEM, "cio_call_soon: out of memory");
    cio__schedule(loop, &h->timed.node);
    return 0;
}

static int call_at_ns(cio_loop *loop, uint64_t when, cio_callback_fn cb,
                      void *arg, cio_handle **out) {
    if (cio__timer_reserve(loop) != 0)
        return cio__error(CIO_ENOMEM, "cio_call_later: out of memory");
    cio_handle *h = handle_new(loop, cb, arg, out);
    if (!h)
        return cio__error(CIO_ENOMEM, "cio_call_later: out of memory");
    h->is_timer = true;
    h->when = when;
    cio__timer_arm(loop, &h->timed.timer, when);
    return 0;
}

/* Seconds from now as an absolute deadline in the loop clock, saturating. */
static uint64_t deadline_after(cio_loop *loop, double delay) {
    uint64_t now = cio__loop_now(loop);
    if (!(delay > 0))
        return now;
    double ns = round(delay * 1e9); /* as cio_sleep: to the nearest ns */
    if (ns >= (double)(UINT64_MAX - now))
        return UINT64_MAX;
    return now + (uint64_t)ns;
}

int cio_call_later(cio_loop *loop, double delay, cio_callback_fn cb, void *arg,
                   cio_handle **out) {
    int rc = check(&loop, cb, out, "cio_call_later");
    if (rc)
        return rc;
    if (isnan(delay))
        return cio__error(CIO_EINVAL, "cio_call_later: delay is NaN");
    return call_at_ns(loop, deadline_after(loop, delay), cb, arg, out);
}

int cio_call_at(cio_loop *loop, double when, cio_callback_fn cb, void *arg,
                cio_handle **out) {
    int rc = check(&loop, cb, out, "cio_call_at");
    if (rc)
        return rc;
    if (isnan(when))
        return cio__error(CIO_EINVAL, "cio_call_at: when is NaN");
    /* to the nearest nanosecond: a deadline computed as loop time + delay
     * in double seconds must not truncate to one nanosecond early */
    double ns = round(when * 1e9);
    uint64_t at = ns <= 0 ? 0 : ns >= 1.8e19 ? UINT64_MAX : (uint64_t)ns;
    return call_at_ns(loop, at, cb, arg, out);
}

int cio_handle_cancel(cio_handle *h) {
    if (!h)
        return cio__error(CIO_EINVAL, "cio_handle_cancel: handle is NULL");
    CIO__CHECK_THREAD(h->loop, "cio_handle_cancel");
    if (h->cancelled || h->ran)
        return 0;
    h->cancelled = true;
    if (h->timed.timer.index != CIO__NOT_ARMED && !h->loop->closed) {
        cio__timer_disarm(h->loop, &h->timed.timer);
        loop_drops(h); /* it will never run */
    }
    return 1;
}

bool cio_handle_cancelled(const cio_handle *h) {
    return h && h->cancelled;
}

double cio_handle_when(const cio_handle *h) {
    return h && h->is_timer ? (double)h->when / 1e9 : 0.0;
}

/* A release that cannot be right: say so and abort (see internal.h). */
_Noreturn static void handle_fault(const cio_handle *h, const char *what) {
    fprintf(stderr, "cio: cio_handle_release: handle %p %s\n", (const void *)h,
            what);
    fflush(stderr);
    abort();
}

void cio_handle_release(cio_handle *h) {
    if (!h)
        return;
    if (h->magic != CIO__LIVE)
        handle_fault(h, "was already freed (released once too often)");
    if (h->refs == 1 && h->loop_holds)
        handle_fault(h, "is still scheduled: its last reference, the loop's "
                        "own, was released (released once too often)");
    handle_unref(h);
}
