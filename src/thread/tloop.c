/* tloop.c - what the thread layer keeps per loop: the default executor and
 * the links that must be settled when the loop closes.
 *
 * It hangs on the loop as a hook, created the first time the loop needs it.
 * At the end of cio_run (CIO__AT_RUN_END) the default executor is shut down
 * and waited for, as asyncio.run does; at cio_loop_close (CIO__AT_CLOSE) it
 * is let go without waiting, every link is settled, and the data is freed.
 * All of this happens on the loop's thread.
 */
#include "thread/internal.h"

#include <stdlib.h>

struct cio__tloop {
    cio_executor *default_ex;
    cio__tlink *links;
};

static void on_run_end(cio__tloop *tl) {
    if (tl->default_ex) {
        cio_executor_free(tl->default_ex);
        tl->default_ex = NULL;
    }
}

static void on_close(cio__tloop *tl) {
    if (tl->default_ex) {
        cio__executor_abandon(tl->default_ex);
        tl->default_ex = NULL;
    }
    while (tl->links) {
        cio__tlink *l = tl->links;
        cio__tlink_unlink(l);
        l->on_close(l);
    }
    free(tl);
}

static void hook(cio_loop *loop, int when, void *arg) {
    (void)loop;
    if (when == CIO__AT_RUN_END)
        on_run_end(arg);
    else if (when == CIO__AT_CLOSE)
        on_close(arg);
}

cio__tloop *cio__tloop_get(cio_loop *loop, const char *who) {
    if (loop->closed) {
        cio__set_error(CIO_ELOOPCLOSED, "%s: the event loop is closed", who);
        return NULL;
    }
    cio__tloop *tl = cio__loop_hook_arg(loop, hook);
    if (tl)
        return tl;
    tl = calloc(1, sizeof *tl);
    if (!tl || cio__loop_add_hook(loop, hook, tl) != 0) {
        free(tl);
        cio__set_error(CIO_ENOMEM, "%s: out of memory", who);
        return NULL;
    }
    return tl;
}

void cio__tloop_link(cio__tloop *tl, cio__tlink *link) {
    link->owner = tl;
    link->prev = NULL;
    link->next = tl->links;
    if (tl->links)
        tl->links->prev = link;
    tl->links = link;
}

void cio__tlink_unlink(cio__tlink *link) {
    cio__tloop *tl = link->owner;
    if (!tl)
        return;
    if (link->prev)
        link->prev->next = link->next;
    else
        tl->links = link->next;
    if (link->next)
        link->next->prev = link->prev;
    link->prev = link->next = NULL;
    link->owner = NULL;
}

cio_executor *cio__tloop_default_executor(cio__tloop *tl, const char *who) {
    if (!tl->default_ex) {
        tl->default_ex = cio_executor_new(0);
        if (!tl->default_ex)
            cio__set_error(CIO_ENOMEM, "%s: out of memory", who);
    }
    return tl->default_ex;
}
