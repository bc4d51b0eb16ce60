/* event.c - asyncio.Event: a flag tasks can wait for. */
#include "sync/internal.h"

#include <stdlib.h>

struct cio_event {
    cio__sync base;
    bool value;
    cio__waitq waiters;
};

cio_event *cio_event_new(cio_loop *loop) {
    cio_event *ev = calloc(1, sizeof *ev);
    if (!ev)
        return cio__sync_fail(CIO_ENOMEM, "cio_event_new", "out of memory");
    if (cio__sync_init(&ev->base, loop, "cio_event_new") != 0) {
        free(ev);
        return NULL;
    }
    return ev;
}

int cio_event_free(cio_event *ev) {
    _Static_assert(offsetof(cio_event, base) == 0, "cio__sync_free frees base");
    return ev ? cio__sync_free(&ev->base, cio__waitq_busy(&ev->waiters), NULL)
              : 0;
}

int cio_event_set(cio_event *ev) {
    if (!ev)
        return CIO_EINVAL;
    int rc = cio__sync_check(&ev->base);
    if (rc)
        return rc;
    if (!ev->value) {
        ev->value = true;
        cio__waitq_wake_all(&ev->waiters);
    }
    return 0;
}

int cio_event_clear(cio_event *ev) {
    if (!ev)
        return CIO_EINVAL;
    int rc = cio__sync_check(&ev->base);
    if (rc == 0)
        ev->value = false;
    return rc;
}

bool cio_event_is_set(const cio_event *ev) {
    return ev && ev->value;
}

int cio_event_wait_at(cio_event *ev, const char *file, int line) {
    if (!ev)
        return CIO_EINVAL;
    int rc = cio__sync_check_task(&ev->base);
    if (rc || ev->value)
        return rc;
    cio__waiter w;
    return cio__waiter_wait(&ev->waiters, &w, file, line);
}
