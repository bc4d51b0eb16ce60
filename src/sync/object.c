/* object.c - binding an object of sync.h to its loop, checking it, and
 * closing it.
 *
 * Every object holds a counted reference to its loop (cio__loop_ref): the
 * loop object stays allocated after the loop is closed, so the loop pointer
 * stays unique (a later loop cannot reuse the address) and the loop's
 * closed flag tells that it closed.
 */
#include "sync/internal.h"

#include <stdlib.h>

void *cio__sync_fail(int code, const char *who, const char *what) {
    cio__set_error(code, "%s: %s", who, what);
    return NULL;
}

int cio__sync_init(cio__sync *s, cio_loop *loop, bool heap, const char *who) {
    s->loop = NULL;
    s->magic = 0;
    /* Refused (and recorded) for no loop, a closed loop, another thread's. */
    loop = cio__pick_loop(loop, who);
    if (!loop)
        return cio_last_error();
    cio__loop_ref(loop);
    s->loop = loop;
    s->thread = (pthread_t)loop->thread; /* the loop's, not the caller's */
    s->magic = CIO__SYNC_OPEN;
    s->heap = heap;
    return 0;
}

bool cio__sync_closed(const cio__sync *s) {
    return s->loop->closed;
}

int cio__sync_close_begin(cio__sync *s, bool *live) {
    if (s->magic != CIO__SYNC_OPEN || !s->loop)
        return s->magic == CIO__SYNC_CLOSED ? CIO_ECLOSED : CIO_EINVAL;
    *live = !s->loop->closed;
    if (*live && !pthread_equal(s->thread, pthread_self()))
        return cio__error(CIO_EWRONGLOOP, "sync object: freed on a thread "
                                          "other than its loop's");
    return 0;
}

void cio__sync_close_end(cio__sync *s) {
    cio__loop_unref(s->loop);
    s->loop = NULL;
    s->magic = CIO__SYNC_CLOSED;
    if (s->heap)
        free(s);
}

/* The caller is not in the object's running loop: fine only on the loop's
 * thread while no loop runs there (setting things up before a run). */
int cio__sync_check_slow(const cio__sync *s, cio_loop *running) {
    if (!s->loop)
        return s->magic == CIO__SYNC_CLOSED
                   ? cio__error(CIO_ECLOSED, "sync object: it was freed")
                   : cio__error(CIO_EINVAL,
                                "sync object: not initialised (cio_*_init)");
    if (cio__sync_closed(s))
        return cio__error(CIO_ELOOPCLOSED, "sync object: its loop is closed");
    if (running || !pthread_equal(s->thread, pthread_self()))
        return cio__error(CIO_EWRONGLOOP, "sync object: it belongs to another "
                                          "event loop or thread");
    return 0;
}
