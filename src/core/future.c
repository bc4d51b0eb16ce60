/* future.c - futures: a result or an error, some time later.
 *
 * A future's done callbacks wait in a queue of nodes. When the future
 * finishes, the whole queue moves to the loop's ready queue in the order the
 * callbacks were added: callbacks are scheduled, never called inline. A task
 * awaiting the future is one of those nodes (its step), so waking a task and
 * calling a callback are the same thing.
 */
#include "core/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct done_cb {
    cio__node node;
    cio_future *future; /* a reference once scheduled */
    cio_done_fn fn;
    void *arg;
    void (*drop)(void *arg); /* called instead of fn if it never runs */
    bool scheduled;
} done_cb;

static void done_cb_run(cio__node *node, bool discard) {
    done_cb *d = cio__container_of(node, done_cb, node);
    if (!discard)
        d->fn(d->future, d->arg);
    else if (d->drop)
        d->drop(d->arg);
    if (d->scheduled)
        cio_release(d->future);
    free(d);
}

static void schedule_done_cb(cio_loop *loop, done_cb *d) {
    d->scheduled = true;
    cio_retain(d->future);
    cio__schedule(loop, &d->node);
}

void cio__future_init(cio_future *f, cio_loop *loop, bool is_task) {
    f->refs = 1;
    f->magic = CIO__LIVE;
    f->state = CIO_PENDING;
    f->is_task = is_task;
    f->loop = loop;
    cio__loop_ref(loop);
}

cio_future *cio_future_new(cio_loop *loop) {
    loop = cio__pick_loop(loop, "cio_future_new");
    if (!loop)
        return NULL;
    cio_future *f = calloc(1, sizeof *f);
    if (!f) {
        cio__set_error(CIO_ENOMEM, "cio_future_new: out of memory");
        return NULL;
    }
    cio__future_init(f, loop, false);
    return f;
}

/* Plain futures: freed here, cancelled at once, set by anyone. */
static void plain_free(cio_future *f) {
    cio_loop *loop = f->loop;
    cio__future_free(f);
    free(f);
    cio__loop_unref(loop);
}

static void plain_describe(const cio_future *f, bool with_site, char *buf,
                           size_t cap) {
    if (with_site) /* (a plain future does not know where it was made) */
        snprintf(buf, cap, "future %p", (const void *)f);
    else
        snprintf(buf, cap, "future");
}

static const cio__future_kind plain_kind = {
    .free = plain_free,
    .cancel = cio__future_cancel_plain,
    .describe = plain_describe,
    .settable = true,
};

/* The one place that tells a task from a plain future. */
static inline const cio__future_kind *kind_of(const cio_future *f) {
    return f->is_task ? &cio__task_kind : &plain_kind;
}

void cio__release_fault(const cio_future *f, const char *who,
                        const char *what) {
    /* a freed plain future's word may hold the allocator's data: only a
     * word that is exactly ours says the rest of the object is readable */
    bool readable = f->magic == CIO__LIVE || f->magic == CIO__FREED;
    char name[160];
    if (readable)
        kind_of(f)->describe(f, true, name, sizeof name);
    else
        plain_describe(f, true, name, sizeof name);
    fprintf(stderr, "cio: %s: %s %s\n", who, name, what);
    fflush(stderr);
    abort();
}

cio_future *cio_retain(cio_future *f) {
    if (f && f->magic != CIO__LIVE)
        cio__release_fault(f, "cio_retain", "was already freed");
    if (f)
        f->refs++;
    return f;
}

void cio_release(cio_future *f) {
    if (!f)
        return;
    if (f->magic != CIO__LIVE)
        cio__release_fault(f, "cio_release",
                           "was already freed (released once too often)");
    if (--f->refs == 0)
        kind_of(f)->free(f);
}

void cio_release_all(cio_future *const *fs, size_t n) {
    if (!fs)
        return;
    for (size_t i = 0; i < n; i++)
        cio_release(fs[i]);
}

/* What every future's end has in common; the memory is its kind's to give
 * back (plain_free, cio__task_free). */
void cio__future_free(cio_future *f) {
    if (f->state == CIO_DONE && f->error && !f->retrieved) {
        char name[160];
        kind_of(f)->describe(f, false, name, sizeof name);
        cio__diag("%s error was never retrieved: %s", name,
                  f->message ? f->message : cio_strerror(f->error));
    }
    /* Only done callbacks can be left here: a waiting task holds a reference
     * to what it awaits. */
    cio__node *n;
    while ((n = cio__list_pop(&f->callbacks)) != NULL)
        n->run(n, true);
    char *message = cio__future_message(f);
    if (message) /* (most futures have none: no call) */
        free(message);
    f->magic = CIO__FREED;
}

void cio__future_finish(cio_future *f, cio_state state, int error, void *result,
                        char *message) {
    free(cio__future_message(f)); /* (a pending task's) */
    f->state = (uint8_t)state;
    f->error = error;
    if (error) {
        f->message = message;
    } else {
        free(message); /* (none is passed without an error) */
        f->result = result;
    }
    cio__node *n;
    while ((n = cio__list_pop(&f->callbacks)) != NULL) {
        if (n->run == done_cb_run)
            schedule_done_cb(f->loop, cio__container_of(n, done_cb, node));
        else
            cio__schedule(f->loop, n);
    }
}

static int check_settable(cio_future *f, const char *who) {
    if (!f || !kind_of(f)->settable)
        return cio__error(CIO_EINVAL,
                          "%s: future is NULL or not settable (a task)", who);
    CIO__CHECK_THREAD(f->loop, who);
    if (f->state == CIO_DONE || f->state == CIO_CANCELLED)
        return cio__error(CIO_EINVALIDSTATE, "%s: the future is already done",
                          who);
    if (f->loop->closed)
        return cio__error(CIO_ELOOPCLOSED, "%s: the future's loop is closed",
                          who);
    return 0;
}

int cio_future_set_result(cio_future *f, void *result) {
    int rc = check_settable(f, "cio_future_set_result");
    if (rc)
        return rc;
    if (cio__compact_debug_misplaced(f->loop, result)) /* debug mode */
        return cio__compact_refuse("cio_future_set_result");
    cio__future_finish(f, CIO_DONE, 0, result, NULL);
    return 0;
}

int cio_future_set_error(cio_future *f, int code, const char *fmt, ...) {
    int rc = check_settable(f, "cio_future_set_error");
    if (rc)
        return rc;
    if (code >= 0)
        return CIO_EINVAL;
    va_list ap;
    va_start(ap, fmt);
    char *msg = cio__vmessage(code, fmt, ap);
    va_end(ap);
    cio__future_finish(f, code == CIO_ECANCELED ? CIO_CANCELLED : CIO_DONE,
                       code, NULL, msg);
    return 0;
}

int cio__future_cancel_plain(cio_future *f, const char *msg) {
    if (f->state == CIO_DONE || f->state == CIO_CANCELLED)
        return 0;
    if (f->loop->closed)
        return cio__error(CIO_ELOOPCLOSED,
                          "cio_cancel: the future's loop is closed");
    cio__future_finish(f, CIO_CANCELLED, CIO_ECANCELED, NULL,
                       cio__strdup(msg ? msg : ""));
    return 1;
}

int cio_cancel(cio_future *f, const char *msg) {
    if (!f)
        return cio__error(CIO_EINVAL, "cio_cancel: future is NULL");
    CIO__CHECK_THREAD(f->loop, "cio_cancel");
    if (cio_future_done(f)) {
        /* asyncio's Future.cancel(): cancelling a finished future says its
         * outcome is not wanted, so a failure is not reported unretrieved */
        f->retrieved = true;
        return 0;
    }
    return kind_of(f)->cancel(f, msg);
}

cio_state cio_future_state(const cio_future *f) {
    return f ? (cio_state)f->state : CIO_PENDING;
}

bool cio_future_done(const cio_future *f) {
    return f && (f->state == CIO_DONE || f->state == CIO_CANCELLED);
}

bool cio_future_cancelled(const cio_future *f) {
    return f && f->state == CIO_CANCELLED;
}

void *cio_future_result(cio_future *f) {
    if (!cio_future_done(f))
        return NULL;
    f->retrieved = true;
    return f->error ? NULL : f->result;
}

int cio_future_error(cio_future *f) {
    if (!f)
        return CIO_EINVAL;
    if (!cio_future_done(f))
        return CIO_EINVALIDSTATE;
    f->retrieved = true;
    return f->error;
}

const char *cio_future_error_message(cio_future *f) {
    if (!cio_future_done(f) || f->error == 0)
        return NULL;
    return f->message ? f->message : "";
}

cio_loop *cio_future_loop(const cio_future *f) {
    return f && !f->loop->closed ? f->loop : NULL;
}

const char *cio_state_name(cio_state s) {
    switch (s) {
    case CIO_PENDING:
        return "PENDING";
    case CIO_RUNNING:
        return "RUNNING";
    case CIO_DONE:
        return "DONE";
    case CIO_CANCELLED:
        return "CANCELLED";
    }
    return "UNKNOWN";
}

int cio__future_add_done_callback_ex(cio_future *f, cio_done_fn cb, void *arg,
                                     void (*drop)(void *arg)) {
    if (!f || !cb)
        return cio__error(CIO_EINVAL, "cio_future_add_done_callback: future "
                                      "or callback is NULL");
    if (f->loop->closed)
        return cio__error(CIO_ELOOPCLOSED, "cio_future_add_done_callback: the "
                                           "future's loop is closed");
    if (cio__compact_misplaced(arg))
        return cio__compact_refuse("a done callback");
    done_cb *d = malloc(sizeof *d);
    if (!d)
        return cio__error(CIO_ENOMEM,
                          "cio_future_add_done_callback: out of memory");
    d->node.run = done_cb_run;
    d->future = f;
    d->fn = cb;
    d->arg = arg;
    d->drop = drop;
    d->scheduled = false;
    if (cio_future_done(f))
        schedule_done_cb(f->loop, d);
    else
        cio__list_push(&f->callbacks, &d->node);
    return 0;
}

int cio_future_add_done_callback(cio_future *f, cio_done_fn cb, void *arg) {
    if (f)
        CIO__CHECK_THREAD(f->loop, "cio_future_add_done_callback");
    return cio__future_add_done_callback_ex(f, cb, arg, NULL);
}

int cio_future_remove_done_callback(cio_future *f, cio_done_fn cb, void *arg) {
    if (!f || !cb)
        return cio__error(
            CIO_EINVAL,
            "cio_future_remove_done_callback: future or callback is NULL");
    CIO__CHECK_THREAD(f->loop, "cio_future_remove_done_callback");
    int removed = 0;
    cio__list keep = {0};
    cio__node *n;
    while ((n = cio__list_pop(&f->callbacks)) != NULL) {
        done_cb *d = cio__container_of(n, done_cb, node);
        if (n->run == done_cb_run && d->fn == cb && d->arg == arg) {
            free(d);
            removed++;
        } else {
            cio__list_push(&keep, n);
        }
    }
    f->callbacks = keep;
    return removed;
}

bool cio__list_remove(cio__list *l, cio__node *target) {
    cio__list keep = {0};
    bool found = false;
    cio__node *n;
    while ((n = cio__list_pop(l)) != NULL) {
        if (n == target)
            found = true;
        else
            cio__list_push(&keep, n);
    }
    *l = keep;
    return found;
}

int cio__future_add_node(cio_future *f, cio__node *n) {
    if (f->loop->closed)
        return CIO_ELOOPCLOSED;
    if (cio__compact_misplaced(n))
        return cio__compact_refuse("a wait on a future");
    if (cio_future_done(f))
        cio__schedule(f->loop, n);
    else
        cio__list_push(&f->callbacks, n);
    return 0;
}

bool cio__future_remove_node(cio_future *f, cio__node *n) {
    return cio__list_remove(&f->callbacks, n);
}
