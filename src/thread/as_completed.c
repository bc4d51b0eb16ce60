/* as_completed.c - concurrent.futures.as_completed over tfutures.
 *
 * The iterator keeps the distinct futures (with a reference each) and a
 * FIFO of those that finished, filled by watchers in the order the futures
 * finish. Those already done at the start go first, in the order given.
 */
#include "thread/internal.h"

#include <stdlib.h>

typedef struct acnode {
    cio__tnode node;
    cio_tcompleted *it;
    cio_tfuture *f; /* a reference */
    bool queued;    /* in the FIFO (or yielded) already */
} acnode;

struct cio_tcompleted {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    cio__deadline deadline;
    acnode *nodes;      /* one per distinct future */
    size_t n;           /* distinct futures */
    cio_tfuture **fifo; /* finished, not yet yielded: [head, tail) */
    size_t head, tail;
    bool timed_out;
};

static void push(cio_tcompleted *it, cio_tfuture *f) {
    pthread_mutex_lock(&it->mu);
    it->fifo[it->tail++] = f;
    pthread_cond_signal(&it->cv);
    pthread_mutex_unlock(&it->mu);
}

static void notify(cio__tnode *node, cio_tfuture *f) {
    acnode *a = (acnode *)node;
    push(a->it, f);
}

/* Whether fs[i] already appeared in fs[0..i) (quadratic, but n is the
 * number of futures a thread waits for, not a data set). */
static bool seen_before(cio_tfuture *const *fs, size_t i) {
    for (size_t j = 0; j < i; j++)
        if (fs[j] == fs[i])
            return true;
    return false;
}

static cio_tcompleted *alloc_iter(size_t n) {
    cio_tcompleted *it = calloc(1, sizeof *it);
    if (!it)
        return NULL;
    it->nodes = calloc(n ? n : 1, sizeof *it->nodes);
    it->fifo = calloc(n ? n : 1, sizeof *it->fifo);
    if (!it->nodes || !it->fifo) {
        free(it->nodes);
        free(it->fifo);
        free(it);
        return NULL;
    }
    pthread_mutex_init(&it->mu, NULL);
    cio__cond_init(&it->cv);
    return it;
}

cio_tcompleted *cio_tfuture_as_completed(cio_tfuture *const *fs, size_t n,
                                         double timeout) {
    cio__deadline d;
    if ((n && !fs) || cio__deadline_set(&d, timeout) != 0) {
        cio__set_error(CIO_EINVAL, "cio_tfuture_as_completed: bad argument");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!fs[i]) {
            cio__set_error(CIO_EINVAL, "cio_tfuture_as_completed: a future "
                                       "is NULL");
            return NULL;
        }
    }
    cio_tcompleted *it = alloc_iter(n);
    if (!it) {
        cio__set_error(CIO_ENOMEM, "cio_tfuture_as_completed: out of memory");
        return NULL;
    }
    it->deadline = d;
    /* Done ones first, in the order given; then watch the others. */
    for (size_t i = 0; i < n; i++) {
        if (seen_before(fs, i))
            continue;
        acnode *a = &it->nodes[it->n++];
        a->node.notify = notify;
        a->it = it;
        a->f = cio_tfuture_retain(fs[i]);
        a->queued = cio_tfuture_done(a->f);
        if (a->queued)
            push(it, a->f);
    }
    for (size_t i = 0; i < it->n; i++) {
        acnode *a = &it->nodes[i];
        if (!a->queued && !cio__tfuture_watch(a->f, &a->node))
            push(it, a->f); /* finished in between */
    }
    return it;
}

int cio_tcompleted_next(cio_tcompleted *it, cio_tfuture **out) {
    if (out)
        *out = NULL;
    if (!it || !out)
        return cio__error(CIO_EINVAL,
                          "cio_tcompleted_next: iterator or out is NULL");
    pthread_mutex_lock(&it->mu);
    /* As Python's generator, which is over once it raised TimeoutError. */
    int rc = it->timed_out ? CIO_ETIMEDOUT : 1;
    while (rc == 1 && it->head == it->tail) {
        if (it->head == it->n)
            rc = 0; /* every future was yielded */
        else if (cio__cond_wait(&it->cv, &it->mu, &it->deadline) != 0)
            rc = it->head == it->tail ? CIO_ETIMEDOUT : 1;
    }
    if (rc == CIO_ETIMEDOUT)
        it->timed_out = true;
    if (rc == 1)
        *out = it->fifo[it->head++];
    pthread_mutex_unlock(&it->mu);
    return rc;
}

void cio_tcompleted_free(cio_tcompleted *it) {
    if (!it)
        return;
    for (size_t i = 0; i < it->n; i++) {
        cio__tfuture_unwatch(it->nodes[i].f, &it->nodes[i].node);
        cio_tfuture_release(it->nodes[i].f);
    }
    pthread_cond_destroy(&it->cv);
    pthread_mutex_destroy(&it->mu);
    free(it->nodes);
    free(it->fifo);
    free(it);
}
