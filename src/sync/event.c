/* event.c - asyncio.Event: a flag tasks can wait for. */
#include "sync/internal.h"

#include <stdlib.h>

typedef struct cio__event {
    cio__sync base;
    bool value;
    cio__waitq waiters;
} cio__event;

CIO__SYNC_FITS(cio_event, cio__event);

static cio__event *E(cio_event *ev) {
    return (cio__event *)(void *)ev;
}

static int init(cio_event *storage, cio_loop *loop, bool heap,
                const char *who) {
    cio__event *ev = E(storage);
    int rc = cio__sync_init(&ev->base, loop, heap, who);
    if (rc == 0) {
        ev->value = false;
        ev->waiters = (cio__waitq){0};
    }
    return rc;
}

int cio_event_init(cio_event *ev, cio_loop *loop) {
    return ev ? init(ev, loop, false, "cio_event_init") : CIO_EINVAL;
}

cio_event *cio_event_new(cio_loop *loop) {
    cio_event *ev = malloc(sizeof *ev);
    if (!ev)
        return cio__sync_fail(CIO_ENOMEM, "cio_event_new", "out of memory");
    if (init(ev, loop, true, "cio_event_new") != 0) {
        free(ev);
        return NULL;
    }
    return ev;
}

int cio_event_close(cio_event *storage) {
    if (!storage)
        return 0;
    cio__event *ev = E(storage);
    bool live;
    int rc = cio__sync_close_begin(&ev->base, &live);
    if (rc == 0) {
        if (live)
            cio__waitq_close(&ev->waiters);
        cio__sync_close_end(&ev->base);
    }
    return rc;
}

int cio_event_set(cio_event *storage) {
    if (!storage)
        return cio__error(CIO_EINVAL, "cio_event_set: event is NULL");
    cio__event *ev = E(storage);
    int rc = cio__sync_check(&ev->base);
    if (rc)
        return rc;
    if (!ev->value) {
        ev->value = true;
        cio__waitq_wake_all(&ev->waiters);
    }
    return 0;
}

int cio_event_clear(cio_event *storage) {
    if (!storage)
        return cio__error(CIO_EINVAL, "cio_event_clear: event is NULL");
    cio__event *ev = E(storage);
    int rc = cio__sync_check(&ev->base);
    if (rc == 0)
        ev->value = false;
    return rc;
}

bool cio_event_is_set(const cio_event *storage) {
    const cio__event *ev = (const cio__event *)(const void *)storage;
    return ev && ev->base.loop && ev->value;
}

int cio_event_wait_at(cio_event *storage, const char *file, int line) {
    if (!storage)
        return cio__error(CIO_EINVAL, "cio_event_wait: event is NULL");
    cio__event *ev = E(storage);
    int rc = cio__sync_check_task(&ev->base);
    if (rc || ev->value)
        return rc;
    cio__waiter w;
    return cio__waiter_wait(&ev->waiters, &w, file, line);
}
