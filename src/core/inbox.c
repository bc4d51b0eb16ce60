/* inbox.c - the one way into a loop from other threads.
 *
 * Another thread posts (run, drop, arg) to the loop's inbox under a mutex and
 * wakes the loop with uv_async_send. On the loop's thread the async callback
 * moves everything posted into the ready queue, where it runs in FIFO order
 * like call_soon. The inbox is reference counted atomically and outlives its
 * loop: once the loop closes, posting returns CIO_ELOOPCLOSED, and what was
 * posted but never ran is dropped (drop(arg)) so nothing leaks.
 */
#include "core/internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct cio__inbox {
    pthread_mutex_t mu;
    cio__queue items;  /* posted, not yet moved to the ready queue */
    uv_async_t *async; /* NULL once the loop has closed */
    atomic_int refs;
};

typedef struct post {
    cio__node node;
    void (*run)(void *arg);
    void (*drop)(void *arg);
    void *arg;
} post;

static void post_run(cio__node *node, bool discard) {
    post *p = cio__container_of(node, post, node);
    if (!discard)
        p->run(p->arg);
    else if (p->drop)
        p->drop(p->arg);
    free(p);
}

size_t cio__inbox_drain(cio_loop *loop) {
    cio__inbox *ib = loop->inbox;
    pthread_mutex_lock(&ib->mu);
    cio__queue got = ib->items;
    ib->items = (cio__queue){0};
    pthread_mutex_unlock(&ib->mu);
    size_t count = got.count;
    cio__node *n;
    while ((n = cio__queue_pop(&got)) != NULL)
        cio__schedule(loop, n);
    return count;
}

static void on_async(uv_async_t *a) {
    cio__inbox_drain(a->data);
}

int cio__inbox_open(cio_loop *loop) {
    cio__inbox *ib = calloc(1, sizeof *ib);
    if (!ib)
        return CIO_ENOMEM;
    pthread_mutex_init(&ib->mu, NULL);
    atomic_init(&ib->refs, 1);
    int rc = uv_async_init(&loop->uv, &loop->async, on_async);
    if (rc != 0) {
        pthread_mutex_destroy(&ib->mu);
        free(ib);
        return rc;
    }
    loop->async.data = loop;
    uv_unref((uv_handle_t *)&loop->async); /* it alone keeps nothing alive */
    ib->async = &loop->async;
    loop->inbox = ib;
    return 0;
}

/* The inbox stops taking posts; the loop keeps its reference (and the
 * pointer, which other threads may still read) until the loop object goes,
 * so a late post gets CIO_ELOOPCLOSED rather than a dangling inbox. */
void cio__inbox_close(cio_loop *loop) {
    cio__inbox *ib = loop->inbox;
    pthread_mutex_lock(&ib->mu);
    ib->async = NULL;
    cio__queue left = ib->items;
    ib->items = (cio__queue){0};
    pthread_mutex_unlock(&ib->mu);
    cio__node *n;
    while ((n = cio__queue_pop(&left)) != NULL)
        n->run(n, true);
}

cio__inbox *cio__inbox_get(cio_loop *loop) {
    cio__inbox *ib = loop->inbox;
    atomic_fetch_add(&ib->refs, 1);
    return ib;
}

void cio__inbox_release(cio__inbox *ib) {
    /* the last reference goes after the loop closed: nothing is queued */
    if (ib && atomic_fetch_sub(&ib->refs, 1) == 1) {
        pthread_mutex_destroy(&ib->mu);
        free(ib);
    }
}

int cio__inbox_post(cio__inbox *ib, void (*run)(void *), void (*drop)(void *),
                    void *arg) {
    post *p = malloc(sizeof *p);
    if (!p)
        return CIO_ENOMEM;
    p->node.run = post_run;
    p->run = run;
    p->drop = drop;
    p->arg = arg;
    pthread_mutex_lock(&ib->mu);
    if (!ib->async) {
        pthread_mutex_unlock(&ib->mu);
        free(p);
        return CIO_ELOOPCLOSED;
    }
    cio__queue_push(&ib->items, &p->node);
    uv_async_send(ib->async);
    pthread_mutex_unlock(&ib->mu);
    return 0;
}
