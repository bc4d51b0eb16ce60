/* call_threadsafe.c - cio_call_soon_threadsafe: a callback into a loop from
 * any thread, through the loop's inbox (which wakes the loop at once).
 */
#include "thread/internal.h"

#include <stdlib.h>

typedef struct call {
    cio_callback_fn cb;
    void *arg;
} call;

static void run_call(void *arg) {
    call *c = arg;
    c->cb(c->arg);
    free(c);
}

static void drop_call(void *arg) {
    free(arg);
}

/* The loop's inbox (a reference), or NULL once the loop has closed. The
 * caller guarantees the loop object is still there (see thread.h). */
cio__inbox *cio__inbox_of(cio_loop *loop) {
    return loop->inbox ? cio__inbox_get(loop) : NULL;
}

int cio_call_soon_threadsafe(cio_loop *loop, cio_callback_fn cb, void *arg) {
    if (!loop || !cb)
        return cio__error(CIO_EINVAL,
                          "cio_call_soon_threadsafe: loop or callback is NULL");
    /* The inbox is read when the loop polls, which a busy loop does only
     * every so many steps; on its own thread, join the ready queue now,
     * as asyncio does. */
    if (cio__on_loop_thread(loop))
        return cio_call_soon(loop, cb, arg, NULL);
    call *c = malloc(sizeof *c);
    if (!c)
        return cio__error(CIO_ENOMEM,
                          "cio_call_soon_threadsafe: out of memory");
    c->cb = cb;
    c->arg = arg;
    cio__inbox *ib = cio__inbox_of(loop);
    int rc = ib ? cio__inbox_post(ib, run_call, drop_call, c) : CIO_ELOOPCLOSED;
    cio__inbox_release(ib);
    if (rc != 0)
        free(c);
    return rc;
}
