/* tfuture.c - thread-side futures (concurrent.futures.Future).
 *
 * Every change of state happens under the future's mutex; the state is also
 * an atomic so that the non-blocking queries (state, done) need no lock.
 * Once done, the outcome (error, result, message) never changes again, so
 * whoever has seen a done state (with acquire ordering) reads it freely.
 *
 * Finishing wakes blocked threads (a broadcast), notifies watchers under
 * the lock, and then, outside the lock, calls the done callbacks in the
 * finishing thread: a callback may call anything on the future.
 */
#include "thread/internal.h"

#include <stdio.h>
#include <stdlib.h>

struct cio__tcb {
    cio__tcb *next;
    cio_tdone_fn fn;
    void *arg;
};

static int load_state(const cio_tfuture *f) {
    return atomic_load_explicit(&((cio_tfuture *)f)->state,
                                memory_order_acquire);
}

cio_tfuture *cio_tfuture_new(void) {
    cio_tfuture *f = calloc(1, sizeof *f);
    if (!f) {
        cio__set_error(CIO_ENOMEM, "cio_tfuture_new: out of memory");
        return NULL;
    }
    pthread_mutex_init(&f->mu, NULL);
    cio__cond_init(&f->cv);
    atomic_init(&f->refs, 1);
    atomic_init(&f->state, CIO_PENDING);
    return f;
}

cio_tfuture *cio_tfuture_retain(cio_tfuture *f) {
    if (f)
        atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
    return f;
}

void cio_tfuture_release(cio_tfuture *f) {
    if (!f)
        return;
    unsigned before =
        atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel);
    if (before == 0) { /* freed already (its count stays 0 until reused) */
        fprintf(stderr,
                "cio: cio_tfuture_release: thread future %p was "
                "already freed (released once too often)\n",
                (void *)f);
        fflush(stderr);
        abort();
    }
    if (before != 1)
        return;
    /* Callbacks never called (the future never finished) are just freed. */
    while (f->cbs) {
        cio__tcb *c = f->cbs;
        f->cbs = c->next;
        free(c);
    }
    free(f->message);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

cio_state cio_tfuture_state(const cio_tfuture *f) {
    return f ? (cio_state)load_state(f) : CIO_PENDING;
}

bool cio_tfuture_running(const cio_tfuture *f) {
    return f && load_state(f) == CIO_RUNNING;
}

bool cio_tfuture_done(const cio_tfuture *f) {
    return f && cio__tstate_done(load_state(f));
}

bool cio_tfuture_cancelled(const cio_tfuture *f) {
    return f && load_state(f) == CIO_CANCELLED;
}

/* With f locked: take the outcome, wake everyone, detach the callbacks. */
static cio__tcb *finish_locked(cio_tfuture *f, int state, int error,
                               void *result, char *message) {
    f->error = error;
    f->result = result;
    f->message = message;
    atomic_store_explicit(&f->state, state, memory_order_release);
    while (f->watchers) {
        cio__tnode *n = f->watchers;
        f->watchers = n->next;
        if (f->watchers)
            f->watchers->prev = NULL;
        n->prev = n->next = NULL;
        n->linked = false;
        n->notify(n, f); /* last touch: its owner may free it after */
    }
    pthread_cond_broadcast(&f->cv);
    cio__tcb *cbs = f->cbs;
    f->cbs = f->cbs_tail = NULL;
    return cbs;
}

static void run_callbacks(cio_tfuture *f, cio__tcb *c) {
    while (c) {
        cio__tcb *next = c->next;
        c->fn(f, c->arg);
        free(c);
        c = next;
    }
}

int cio__tfuture_finish(cio_tfuture *f, int state, int error, void *result,
                        char *message) {
    pthread_mutex_lock(&f->mu);
    if (cio__tstate_done(load_state(f))) {
        pthread_mutex_unlock(&f->mu);
        free(message);
        return CIO_EINVALIDSTATE;
    }
    /* The callbacks may release the caller's last reference but one. */
    cio_tfuture_retain(f);
    cio__tcb *cbs = finish_locked(f, state, error, result, message);
    pthread_mutex_unlock(&f->mu);
    run_callbacks(f, cbs);
    cio_tfuture_release(f);
    return 0;
}

int cio_tfuture_cancel(cio_tfuture *f) {
    if (!f)
        return cio__error(CIO_EINVAL, "cio_tfuture_cancel: future is NULL");
    pthread_mutex_lock(&f->mu);
    int s = load_state(f);
    if (s != CIO_PENDING) {
        pthread_mutex_unlock(&f->mu);
        return s == CIO_CANCELLED ? 1 : 0;
    }
    char *msg = cio__strdup("");
    cio_tfuture_retain(f);
    cio__tcb *cbs = finish_locked(f, CIO_CANCELLED, CIO_ECANCELED, NULL, msg);
    pthread_mutex_unlock(&f->mu);
    run_callbacks(f, cbs);
    cio_tfuture_release(f);
    return 1;
}

int cio_tfuture_set_running(cio_tfuture *f) {
    if (!f)
        return cio__error(CIO_EINVAL,
                          "cio_tfuture_set_running: future is NULL");
    pthread_mutex_lock(&f->mu);
    int s = load_state(f), rc = CIO_EINVALIDSTATE;
    if (s == CIO_PENDING) {
        atomic_store_explicit(&f->state, CIO_RUNNING, memory_order_release);
        rc = 1;
    } else if (s == CIO_CANCELLED) {
        rc = 0;
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

int cio_tfuture_set_result(cio_tfuture *f, void *result) {
    if (!f)
        return cio__error(CIO_EINVAL, "cio_tfuture_set_result: future is NULL");
    return cio__tfuture_finish(f, CIO_DONE, 0, result, NULL);
}

int cio_tfuture_set_error(cio_tfuture *f, int code, const char *fmt, ...) {
    if (!f || code >= 0)
        return CIO_EINVAL;
    va_list ap;
    va_start(ap, fmt);
    char *msg = cio__vmessage(code, fmt, ap);
    va_end(ap);
    if (!msg)
        return CIO_ENOMEM;
    return cio__tfuture_finish(
        f, code == CIO_ECANCELED ? CIO_CANCELLED : CIO_DONE, code, NULL, msg);
}

int cio_tfuture_result(cio_tfuture *f, double timeout, void **result) {
    if (result)
        *result = NULL;
    cio__deadline d;
    if (!f || cio__deadline_set(&d, timeout) != 0)
        return cio__error(CIO_EINVAL, "cio_tfuture_result: future is NULL or "
                                      "the timeout is NaN or negative");
    if (!cio__tstate_done(load_state(f))) {
        pthread_mutex_lock(&f->mu);
        while (!cio__tstate_done(load_state(f))) {
            if (cio__cond_wait(&f->cv, &f->mu, &d) != 0 &&
                !cio__tstate_done(load_state(f))) {
                pthread_mutex_unlock(&f->mu);
                return cio__error(CIO_ETIMEDOUT,
                                  "cio_tfuture_result: timed out after %g s",
                                  timeout);
            }
        }
        pthread_mutex_unlock(&f->mu);
    }
    if (f->error == 0 && result)
        *result = f->result;
    return f->error;
}

const char *cio_tfuture_error_message(cio_tfuture *f) {
    if (!f || !cio__tstate_done(load_state(f)) || f->error == 0)
        return NULL;
    return f->message ? f->message : "";
}

int cio_tfuture_add_done_callback(cio_tfuture *f, cio_tdone_fn cb, void *arg) {
    if (!f || !cb)
        return cio__error(
            CIO_EINVAL,
            "cio_tfuture_add_done_callback: future or callback is NULL");
    cio__tcb *c = malloc(sizeof *c);
    if (!c)
        return cio__error(CIO_ENOMEM,
                          "cio_tfuture_add_done_callback: out of memory");
    c->next = NULL;
    c->fn = cb;
    c->arg = arg;
    pthread_mutex_lock(&f->mu);
    if (cio__tstate_done(load_state(f))) {
        pthread_mutex_unlock(&f->mu);
        run_callbacks(f, c); /* done already: now, in this thread */
        return 0;
    }
    if (f->cbs_tail)
        f->cbs_tail->next = c;
    else
        f->cbs = c;
    f->cbs_tail = c;
    pthread_mutex_unlock(&f->mu);
    return 0;
}

bool cio__tfuture_remove_done_callback(cio_tfuture *f, cio_tdone_fn cb,
                                       void *arg) {
    bool removed = false;
    pthread_mutex_lock(&f->mu);
    cio__tcb *prev = NULL;
    for (cio__tcb *c = f->cbs; c; prev = c, c = c->next) {
        if (c->fn != cb || c->arg != arg)
            continue;
        if (prev)
            prev->next = c->next;
        else
            f->cbs = c->next;
        if (f->cbs_tail == c)
            f->cbs_tail = prev;
        free(c);
        removed = true;
        break;
    }
    pthread_mutex_unlock(&f->mu);
    return removed;
}

bool cio__tfuture_watch(cio_tfuture *f, cio__tnode *node) {
    pthread_mutex_lock(&f->mu);
    bool pending = !cio__tstate_done(load_state(f));
    if (pending) {
        node->prev = NULL;
        node->next = f->watchers;
        if (f->watchers)
            f->watchers->prev = node;
        f->watchers = node;
        node->linked = true;
    }
    pthread_mutex_unlock(&f->mu);
    return pending;
}

void cio__tfuture_unwatch(cio_tfuture *f, cio__tnode *node) {
    pthread_mutex_lock(&f->mu);
    if (node->linked) {
        if (node->prev)
            node->prev->next = node->next;
        else
            f->watchers = node->next;
        if (node->next)
            node->next->prev = node->prev;
        node->prev = node->next = NULL;
        node->linked = false;
    }
    pthread_mutex_unlock(&f->mu);
}
