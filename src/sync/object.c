/* object.c - binding an object of sync.h to its loop, and checking it.
 *
 * Every object keeps an "anchor": a future of its loop that is never
 * finished. Holding it keeps the loop object allocated after the loop is
 * closed, so the loop pointer stays unique (a later loop cannot reuse the
 * address) and cio_future_loop() of the anchor tells that the loop closed.
 */
#include "sync/internal.h"

#include <stdlib.h>

void *cio__sync_fail(int code, const char *who, const char *what) {
    cio__set_error(code, "%s: %s", who, what);
    return NULL;
}

int cio__sync_init(cio__sync *s, cio_loop *loop, const char *who) {
    if (!loop)
        loop = cio_get_loop();
    if (!loop) {
        cio__sync_fail(CIO_ENOLOOP, who, "no event loop on this thread");
        return CIO_ENOLOOP;
    }
    /* Refused (and recorded) for a closed loop or another thread's. */
    s->anchor = cio_future_new(loop);
    if (!s->anchor)
        return cio_last_error();
    s->loop = loop;
    s->thread = (pthread_t)loop->thread; /* the loop's, not the caller's */
    return 0;
}

void cio__sync_fini(cio__sync *s) {
    cio_release(s->anchor);
    s->anchor = NULL;
}

int cio__sync_free(cio__sync *s, bool busy, void (*fini)(cio__sync *s)) {
    if (busy && !cio__sync_closed(s))
        return CIO_EHASWAITERS;
    if (fini)
        fini(s);
    cio__sync_fini(s);
    free(s);
    return 0;
}

bool cio__sync_closed(const cio__sync *s) {
    return cio_future_loop(s->anchor) == NULL;
}

/* The caller is not in the object's running loop: fine only on the loop's
 * thread while no loop runs there (setting things up before a run). */
int cio__sync_check_slow(const cio__sync *s, cio_loop *running) {
    if (cio__sync_closed(s))
        return CIO_ELOOPCLOSED;
    if (running || !pthread_equal(s->thread, pthread_self()))
        return CIO_EWRONGLOOP;
    return 0;
}
