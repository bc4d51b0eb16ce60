/* twait.c - concurrent.futures.wait over tfutures.
 *
 * One watcher node per array entry, all pointing at one shared counter
 * block. Registration is per future under that future's lock, so a future
 * either is seen done while registering or notifies its node later: nothing
 * is missed, and no two futures are ever locked at once.
 */
#include "thread/internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t done, failed; /* entries finished; of those, failed with an error */
} waiter;

typedef struct wnode {
    cio__tnode node;
    waiter *w;
} wnode;

static bool is_failure(const cio_tfuture *f) {
    return f->state == CIO_DONE && f->error != 0;
}

static void count(waiter *w, const cio_tfuture *f) {
    pthread_mutex_lock(&w->mu);
    w->done++;
    if (is_failure(f))
        w->failed++;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void notify(cio__tnode *node, cio_tfuture *f) {
    count(((wnode *)node)->w, f);
}

static bool satisfied(const waiter *w, size_t n, cio_return_when when) {
    if (w->done == n)
        return true;
    if (when == CIO_FIRST_COMPLETED)
        return w->done > 0;
    if (when == CIO_FIRST_EXCEPTION)
        return w->failed > 0;
    return false;
}

/* Stable partition, done entries first; `rest` has room for n. */
static long partition(cio_tfuture **fs, size_t n, cio_tfuture **rest) {
    size_t ndone = 0, nrest = 0;
    for (size_t i = 0; i < n; i++) {
        if (cio_tfuture_done(fs[i]))
            fs[ndone++] = fs[i];
        else
            rest[nrest++] = fs[i];
    }
    memcpy(fs + ndone, rest, nrest * sizeof *rest);
    return (long)ndone;
}

static void block(waiter *w, size_t n, cio_return_when when,
                  const cio__deadline *d) {
    pthread_mutex_lock(&w->mu);
    while (!satisfied(w, n, when))
        if (cio__cond_wait(&w->cv, &w->mu, d) != 0)
            break;
    pthread_mutex_unlock(&w->mu);
}

long cio_tfuture_wait(cio_tfuture **fs, size_t n, cio_return_when when,
                      double timeout) {
    cio__deadline d;
    if ((n && !fs) || cio__deadline_set(&d, timeout) != 0 ||
        (when != CIO_ALL_COMPLETED && when != CIO_FIRST_COMPLETED &&
         when != CIO_FIRST_EXCEPTION))
        return cio__error(CIO_EINVAL,
                          "cio_tfuture_wait: fs is NULL, the timeout is NaN or "
                          "negative, or when (%d) is not a cio_return_when",
                          (int)when);
    for (size_t i = 0; i < n; i++)
        if (!fs[i])
            return cio__error(CIO_EINVAL, "cio_tfuture_wait: fs[%zu] is NULL",
                              i);
    if (n == 0)
        return 0; /* Python: two empty sets */
    wnode *nodes = calloc(n, sizeof *nodes);
    cio_tfuture **rest = malloc(n * sizeof *rest);
    if (!nodes || !rest) {
        free(nodes);
        free(rest);
        return cio__error(CIO_ENOMEM, "cio_tfuture_wait: out of memory");
    }
    waiter w = {.done = 0, .failed = 0};
    pthread_mutex_init(&w.mu, NULL);
    cio__cond_init(&w.cv);
    for (size_t i = 0; i < n; i++) {
        nodes[i].node.notify = notify;
        nodes[i].w = &w;
        if (!cio__tfuture_watch(fs[i], &nodes[i].node))
            count(&w, fs[i]);
    }
    block(&w, n, when, &d);
    for (size_t i = 0; i < n; i++)
        cio__tfuture_unwatch(fs[i], &nodes[i].node);
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
    free(nodes);
    long ndone = partition(fs, n, rest);
    free(rest);
    return ndone;
}
