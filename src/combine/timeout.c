/* timeout.c - timeout scopes: asyncio.timeout() and asyncio.timeout_at().
 *
 * A scope arms a loop timer for its deadline. When it fires, the scope's
 * task is cancelled (one more cancellation request), so that whatever the
 * block awaits returns CIO_ECANCELED. The end of the scope takes that
 * request back with cio_task_uncancel() and, if no other request stands
 * beyond those the task had when the scope began, reports CIO_ETIMEDOUT
 * instead. Counting requests, rather than remembering "we cancelled", is
 * what makes nesting work as in asyncio: an outer scope's expiry, or a
 * cancellation from outside, leaves the count above an inner scope's mark
 * and passes through it as CIO_ECANCELED.
 */
#include "combine/internal.h"

#include <math.h>
#include <stdlib.h>

static void on_expire(void *arg) {
    cio_timeout_scope *t = arg;
    cio_handle_release(t->handle); /* the loop holds its own while running */
    t->handle = NULL;
    t->state = CIO__TIMEOUT_EXPIRING;
    cio_cancel(t->task, NULL);
}

/* A deadline already past expires on the next pass (asyncio: call_soon).
 * Without memory for the timer the scope has no deadline (combine.h). */
static int arm(cio_timeout_scope *t, double when) {
    cio__handle_drop(&t->handle);
    t->when = CIO_NO_TIMEOUT;
    if (when == CIO_NO_TIMEOUT)
        return 0;
    int rc = when <= cio_loop_time(t->loop)
                 ? cio_call_soon(t->loop, on_expire, t, &t->handle)
                 : cio_call_at(t->loop, when, on_expire, t, &t->handle);
    if (rc == 0)
        t->when = when;
    return rc;
}

/* The loop closes with the scope's task pending: the task never ends the
 * scope, so its timer, its reference to the task and (for cio_timeout's)
 * its memory go here. */
static void scope_abandon(void *arg) {
    cio_timeout_scope *t = arg;
    cio__handle_drop(&t->handle);
    cio_release(t->task);
    if (t->on_heap)
        free(t);
}

int cio__timeout_begin(cio_timeout_scope *t, double when) {
    if (isnan(when))
        return CIO_EINVAL;
    cio_future *self = cio_current_task();
    if (!self)
        return CIO_ENOTASK;
    t->task = self;
    t->loop = cio_future_loop(self);
    t->handle = NULL;
    t->cancelling = cio_task_cancelling(self);
    t->state = CIO__TIMEOUT_ENTERED;
    t->on_heap = false;
    int rc = arm(t, when);
    if (rc)
        return rc;
    cio_retain(self);
    cio__cleanup_push(&t->cleanup, scope_abandon, t);
    return 0;
}

int cio__timeout_finish(cio_timeout_scope *t, int err) {
    cio__handle_drop(&t->handle);
    cio__cleanup_remove(t->task, &t->cleanup); /* scopes may end unnested */
    if (t->state == CIO__TIMEOUT_EXPIRING &&
        cio_task_uncancel(t->task) <= t->cancelling && err == CIO_ECANCELED)
        err = CIO_ETIMEDOUT;
    t->state = CIO__TIMEOUT_EXITED;
    cio_release(t->task);
    t->task = NULL;
    return err;
}

static cio_timeout_scope *scope_new(double when, const char *who) {
    cio_timeout_scope *t = malloc(sizeof *t);
    if (!t) {
        cio__set_error(CIO_ENOMEM, "%s: out of memory", who);
        return NULL;
    }
    int rc = cio__timeout_begin(t, when);
    if (rc) {
        free(t);
        cio__set_error(rc, "%s: %s", who,
                       rc == CIO_ENOTASK ? "not in a task" : cio_strerror(rc));
        return NULL;
    }
    t->on_heap = true;
    return t;
}

cio_timeout_scope *cio_timeout(double delay) {
    if (!cio__timeout_ok(delay)) {
        cio__set_error(CIO_EINVAL, "cio_timeout: the delay is NaN "
                                   "(CIO_NO_TIMEOUT for none)");
        return NULL;
    }
    delay = cio__timeout_clamp(delay);
    cio_future *self = cio_current_task();
    if (!self) {
        cio__set_error(CIO_ENOTASK, "cio_timeout: not in a task");
        return NULL;
    }
    double when = delay == CIO_NO_TIMEOUT
                      ? CIO_NO_TIMEOUT
                      : cio_loop_time(cio_future_loop(self)) + delay;
    return scope_new(when, "cio_timeout");
}

cio_timeout_scope *cio_timeout_at(double when) {
    if (isnan(when)) {
        cio__set_error(CIO_EINVAL, "cio_timeout_at: the deadline is NaN");
        return NULL;
    }
    return scope_new(when, "cio_timeout_at");
}

int cio_timeout_reschedule(cio_timeout_scope *t, double when) {
    if (!t || isnan(when))
        return cio__error(
            CIO_EINVAL,
            "cio_timeout_reschedule: timeout is NULL or the deadline is NaN");
    CIO__CHECK_THREAD(t->loop, "cio_timeout_reschedule");
    if (t->state != CIO__TIMEOUT_ENTERED)
        return cio__error(
            CIO_EINVALIDSTATE,
            "cio_timeout_reschedule: the timeout scope is not active");
    return arm(t, when);
}

double cio_timeout_when(const cio_timeout_scope *t) {
    return t ? t->when : NAN;
}

bool cio_timeout_expired(const cio_timeout_scope *t) {
    return t && t->state == CIO__TIMEOUT_EXPIRING;
}

int cio_timeout_end(cio_timeout_scope *t, int err) {
    if (!t || cio_current_task() != t->task)
        return cio__error(
            CIO_EINVAL,
            "cio_timeout_end: timeout is NULL or was begun by another task");
    err = cio__timeout_finish(t, err);
    free(t);
    return err;
}
