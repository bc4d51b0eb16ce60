/* queue.c - asyncio.Queue, LifoQueue and PriorityQueue, with the shutdown
 * of Python 3.13.
 *
 * As in asyncio, a put or get wakes the first waiter on the other side,
 * which takes its item (or slot) when it runs, re-checking first: waking is
 * a signal, the items stay in the queue. A woken getter (putter) cancelled
 * before it runs passes the wake-up to the next one, so items never sit in
 * the queue while getters sleep.
 */
#include "sync/queue_store.h"

#include <stdlib.h>

struct cio_queue {
    cio__sync base;
    cio__store store;
    size_t maxsize; /* 0: unbounded */
    size_t unfinished;
    bool shutdown;
    cio__waitq getters, putters, joiners;
    cio_destroy_fn destroy;
    void *destroy_arg;
};

static cio_queue *make(cio_loop *loop, const cio_queue_options *o,
                       const char *who) {
    if (o->kind > CIO_QUEUE_PRIORITY ||
        (o->kind == CIO_QUEUE_PRIORITY && !o->compare))
        return cio__sync_fail(CIO_EINVAL, who,
                              "unknown kind, or a priority queue without a "
                              "compare function");
    cio_queue *q = calloc(1, sizeof *q);
    if (!q)
        return cio__sync_fail(CIO_ENOMEM, who, "out of memory");
    size_t cap = o->maxsize && o->maxsize < 64 ? o->maxsize : 64;
    if (cio__store_init(&q->store, o->kind, cap) != 0) {
        cio__store_fini(&q->store);
        free(q);
        return cio__sync_fail(CIO_ENOMEM, who, "out of memory");
    }
    if (cio__sync_init(&q->base, loop, true, who) != 0) {
        cio__store_fini(&q->store);
        free(q);
        return NULL;
    }
    q->store.compare = o->compare;
    q->store.compare_arg = o->compare_arg;
    q->maxsize = o->maxsize;
    q->destroy = o->destroy;
    q->destroy_arg = o->destroy_arg;
    return q;
}

cio_queue *cio_queue_new_ex(cio_loop *loop, const cio_queue_options *opts) {
    if (!opts)
        return cio__sync_fail(CIO_EINVAL, "cio_queue_new_ex", "no options");
    return make(loop, opts, "cio_queue_new_ex");
}

cio_queue *cio_queue_new(size_t maxsize) {
    cio_queue_options o = {.kind = CIO_QUEUE_FIFO, .maxsize = maxsize};
    return make(NULL, &o, "cio_queue_new");
}

cio_queue *cio_lifo_queue_new(size_t maxsize) {
    cio_queue_options o = {.kind = CIO_QUEUE_LIFO, .maxsize = maxsize};
    return make(NULL, &o, "cio_lifo_queue_new");
}

cio_queue *cio_priority_queue_new(size_t maxsize, cio_compare_fn compare,
                                  void *arg) {
    cio_queue_options o = {.kind = CIO_QUEUE_PRIORITY,
                           .maxsize = maxsize,
                           .compare = compare,
                           .compare_arg = arg};
    return make(NULL, &o, "cio_priority_queue_new");
}

/* Pass every item left to the destroy function; returns how many. */
static size_t discard_items(cio_queue *q) {
    size_t n = q->store.count;
    while (q->store.count > 0) {
        void *item = cio__store_pop(&q->store);
        if (q->destroy)
            q->destroy(item, q->destroy_arg);
    }
    return n;
}

int cio_queue_close(cio_queue *q) {
    _Static_assert(offsetof(cio_queue, base) == 0, "close frees base");
    if (!q)
        return 0;
    bool live;
    int rc = cio__sync_close_begin(&q->base, &live);
    if (rc)
        return rc;
    if (live) {
        cio__waitq_close(&q->getters);
        cio__waitq_close(&q->putters);
        cio__waitq_close(&q->joiners);
    }
    discard_items(q);
    cio__store_fini(&q->store);
    cio__sync_close_end(&q->base);
    return 0;
}

static bool full(const cio_queue *q) {
    return q->maxsize > 0 && q->store.count >= q->maxsize;
}

/* (put_nowait and get_nowait are inlined into the waiting calls: a queue
 * round trip between two tasks is their hot path.) */
static inline __attribute__((always_inline)) int put_nowait(cio_queue *q,
                                                            void *item) {
    if (cio__compact_debug_misplaced(q->base.loop, item)) /* debug mode */
        return cio__compact_refuse("cio_queue_put");
    if (q->shutdown)
        return cio__error(CIO_EQUEUESHUTDOWN,
                          "cio_queue_put: the queue has been shut down");
    if (full(q))
        return cio__error(CIO_EQUEUEFULL,
                          "cio_queue_put_nowait: the queue is full");
    int rc = cio__store_push(&q->store, item);
    if (rc)
        return rc;
    q->unfinished++;
    cio__waitq_wake_next(&q->getters);
    return 0;
}

static inline __attribute__((always_inline)) int get_nowait(cio_queue *q,
                                                            void **item) {
    if (q->store.count == 0)
        return q->shutdown
                   ? cio__error(CIO_EQUEUESHUTDOWN,
                                "cio_queue_get: the queue has been shut down "
                                "and is empty")
                   : cio__error(CIO_EQUEUEEMPTY,
                                "cio_queue_get_nowait: the queue is empty");
    *item = cio__store_pop(&q->store);
    cio__waitq_wake_next(&q->putters);
    return 0;
}

int cio_queue_put_nowait(cio_queue *q, void *item) {
    if (!q)
        return cio__error(CIO_EINVAL, "cio_queue_put_nowait: queue is NULL");
    int rc = cio__sync_check(&q->base);
    return rc ? rc : put_nowait(q, item);
}

int cio_queue_get_nowait(cio_queue *q, void **item) {
    if (item)
        *item = NULL;
    if (!q || !item)
        return cio__error(CIO_EINVAL,
                          "cio_queue_get_nowait: queue or item is NULL");
    int rc = cio__sync_check(&q->base);
    return rc ? rc : get_nowait(q, item);
}

/* Wait on one side (getters or putters) for a wake-up. A wake-up that
 * comes and is then cancelled goes on to the next waiter on that side, if
 * what it announced (an item, a slot) is still there. */
static int wait_turn(cio_queue *q, cio__waitq *side, bool (*still)(cio_queue *),
                     const char *file, int line) {
    cio__waiter w;
    int rc = cio__waiter_wait(side, &w, file, line);
    if (rc && rc != CIO_ECLOSED && w.woken && still(q))
        cio__waitq_wake_next(side);
    return rc;
}

static bool has_item(cio_queue *q) {
    return q->store.count > 0;
}

static bool has_room(cio_queue *q) {
    return !full(q);
}

/* The waiting halves of put and get, apart (not inlined) so that a put or
 * get that does not wait needs no stack frame. */
static __attribute__((noinline)) int put_waiting(cio_queue *q, void *item,
                                                 const char *file, int line) {
    int rc = 0;
    while (rc == 0 && full(q)) {
        if (q->shutdown)
            return cio__error(CIO_EQUEUESHUTDOWN,
                              "cio_queue_put: the queue has been shut down");
        rc = wait_turn(q, &q->putters, has_room, file, line);
    }
    return rc ? rc : put_nowait(q, item);
}

static __attribute__((noinline)) int get_waiting(cio_queue *q, void **item,
                                                 const char *file, int line) {
    int rc = 0;
    while (rc == 0 && q->store.count == 0) {
        if (q->shutdown)
            return cio__error(
                CIO_EQUEUESHUTDOWN,
                "cio_queue_get: the queue has been shut down and is empty");
        rc = wait_turn(q, &q->getters, has_item, file, line);
    }
    return rc ? rc : get_nowait(q, item);
}

int cio_queue_put_at(cio_queue *q, void *item, const char *file, int line) {
    if (!q)
        return cio__error(CIO_EINVAL, "cio_queue_put: queue is NULL");
    int rc = cio__sync_check_task(&q->base);
    if (rc)
        return rc;
    return full(q) ? put_waiting(q, item, file, line) : put_nowait(q, item);
}

int cio_queue_get_at(cio_queue *q, void **item, const char *file, int line) {
    if (item)
        *item = NULL;
    if (!q || !item)
        return cio__error(CIO_EINVAL, "cio_queue_get: queue or item is NULL");
    int rc = cio__sync_check_task(&q->base);
    if (rc)
        return rc;
    return q->store.count == 0 ? get_waiting(q, item, file, line)
                               : get_nowait(q, item);
}

int cio_queue_task_done(cio_queue *q) {
    if (!q)
        return cio__error(CIO_EINVAL, "cio_queue_task_done: queue is NULL");
    int rc = cio__sync_check(&q->base);
    if (rc)
        return rc;
    if (q->unfinished == 0)
        return cio__error(
            CIO_EOVERRELEASE,
            "cio_queue_task_done: called more times than items were put");
    if (--q->unfinished == 0)
        cio__waitq_wake_all(&q->joiners);
    return 0;
}

int cio_queue_join_at(cio_queue *q, const char *file, int line) {
    if (!q)
        return cio__error(CIO_EINVAL, "cio_queue_join: queue is NULL");
    int rc = cio__sync_check_task(&q->base);
    if (rc || q->unfinished == 0)
        return rc;
    cio__waiter w;
    return cio__waiter_wait(&q->joiners, &w, file, line);
}

/* Discard what is queued, one task_done each (asyncio 3.13). */
static void drop_items(cio_queue *q) {
    size_t n = discard_items(q);
    q->unfinished = q->unfinished > n ? q->unfinished - n : 0;
    if (q->unfinished == 0)
        cio__waitq_wake_all(&q->joiners);
}

int cio_queue_shutdown(cio_queue *q, bool immediate) {
    if (!q)
        return cio__error(CIO_EINVAL, "cio_queue_shutdown: queue is NULL");
    int rc = cio__sync_check(&q->base);
    if (rc)
        return rc;
    q->shutdown = true;
    if (immediate)
        drop_items(q);
    /* Everyone waiting re-checks, and finds the queue shut down. */
    cio__waitq_wake_all(&q->getters);
    cio__waitq_wake_all(&q->putters);
    return 0;
}

size_t cio_queue_qsize(const cio_queue *q) {
    return q ? q->store.count : 0;
}

size_t cio_queue_maxsize(const cio_queue *q) {
    return q ? q->maxsize : 0;
}

bool cio_queue_empty(const cio_queue *q) {
    return !q || q->store.count == 0;
}

bool cio_queue_full(const cio_queue *q) {
    return q && full(q);
}

size_t cio_queue_unfinished(const cio_queue *q) {
    return q ? q->unfinished : 0;
}

bool cio_queue_is_shutdown(const cio_queue *q) {
    return q && q->shutdown;
}
