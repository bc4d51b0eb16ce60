/* wait_for.c - asyncio.wait_for: await with a timeout that cancels.
 *
 * As in asyncio 3.12, wait_for is `async with timeout(t): await fut`: when
 * the scope expires, the task is cancelled, which cancels the future it
 * awaits, and the await returns only once that future has finished. A
 * timeout of 0 is asyncio's special case: cancel at once and wait for the
 * future to finish, without awaiting it directly, so that wait_for itself
 * stays promptly cancellable.
 */
#include "combine/internal.h"

#include <math.h>

static void release_waiter(void *waiter) {
    cio_release(waiter);
}

static void wake_waiter(cio_future *f, void *arg) {
    (void)f;
    cio__wake(arg);
    release_waiter(arg); /* the callback's reference */
}

/* What cancel_and_wait holds while it waits. */
typedef struct cancel_wait {
    cio_future *f;      /* a reference */
    cio_future *waiter; /* ours; the callback on f holds another */
} cancel_wait;

static void cancel_wait_end(cancel_wait *cw) {
    if (cio_future_remove_done_callback(cw->f, wake_waiter, cw->waiter) > 0)
        cio_release(cw->waiter); /* it will never run now */
    cio_release(cw->waiter);
    cio_release(cw->f);
}

/* The loop closes with the task waiting here (the core dropped the await). */
static void cancel_wait_abandon(void *arg) {
    cancel_wait_end(arg);
}

/* asyncio's _cancel_and_wait: cancel f and wait until it is done, then
 * read its outcome as wait_for with timeout 0 reports it. */
static int cancel_and_wait(cio_future *f, cio_loop *loop, void **result,
                           const char *file, int line) {
    cancel_wait cw = {cio_retain(f), cio_future_new(loop)};
    int rc = cw.waiter ? cio__future_add_done_callback_ex(
                             f, wake_waiter, cw.waiter, release_waiter)
                       : CIO_ENOMEM;
    if (rc == 0) {
        cio_retain(cw.waiter); /* the callback's */
        cio_cancel(f, NULL);
        cio__cleanup cleanup;
        cio__cleanup_push(&cleanup, cancel_wait_abandon, &cw);
        rc = cio_await_at(cw.waiter, NULL, file, line);
        cio__cleanup_pop(&cleanup);
    }
    if (rc == 0) {
        rc = cio_future_error(f);
        if (result)
            *result = cio_future_result(f);
        if (rc == CIO_ECANCELED)
            rc = CIO_ETIMEDOUT;
    }
    if (cw.waiter)
        cancel_wait_end(&cw);
    else
        cio_release(f);
    return rc;
}

static int wait_for_now(cio_future *f, cio_loop *loop, void **result,
                        const char *file, int line) {
    if (cio_future_done(f)) /* no suspension: its outcome, as is */
        return cio_await_at(f, result, file, line);
    return cancel_and_wait(f, loop, result, file, line);
}

int cio_wait_for_at(cio_future *f, double timeout, void **result,
                    const char *file, int line) {
    if (result)
        *result = NULL;
    cio_future *self;
    cio_loop *loop;
    int rc = cio__current(&self, &loop);
    if (rc)
        return cio__error(rc, "cio_wait_for: %s", cio_strerror(rc));
    if (!f || f == self || !cio__timeout_ok(timeout))
        return cio__error(CIO_EINVAL, "cio_wait_for: future is NULL or the "
                                      "calling task, or the timeout is NaN");
    if (cio_future_loop(f) != loop)
        return cio__error(
            CIO_EWRONGLOOP,
            "cio_wait_for: the future belongs to another event loop");
    timeout = cio__timeout_clamp(timeout);
    if (timeout == CIO_NO_TIMEOUT)
        return cio_await_at(f, result, file, line);
    if (timeout == 0)
        return wait_for_now(f, loop, result, file, line);
    cio_timeout_scope scope;
    rc = cio__timeout_begin(&scope, cio_loop_time(loop) + timeout);
    if (rc)
        return cio__error(rc, "cio_wait_for: %s", cio_strerror(rc));
    rc = cio_await_at(f, result, file, line);
    return cio__timeout_finish(&scope, rc);
}
