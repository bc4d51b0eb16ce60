/* queue_store.h - where a queue keeps its items: a ring buffer taken from
 * either end (FIFO, LIFO), or a binary heap (priority). Grows by doubling;
 * never shrinks, so a queue in steady use allocates nothing. */
#ifndef CIO_SYNC_QUEUE_STORE_H
#define CIO_SYNC_QUEUE_STORE_H

#include "sync/internal.h"

#include <stdint.h>

typedef struct cio__heap_entry {
    void *item;
    uint64_t seq; /* put order: ties come out first in, first out */
} cio__heap_entry;

typedef struct cio__store {
    cio_queue_kind kind;
    size_t count, cap;
    size_t head;           /* ring: index of the oldest item */
    void **ring;           /* FIFO, LIFO */
    cio__heap_entry *heap; /* PRIORITY */
    uint64_t seq;
    cio_compare_fn compare;
    void *compare_arg;
} cio__store;

/* Room for `cap` items at first (at least 1). CIO_ENOMEM or 0. */
int cio__store_init(cio__store *s, cio_queue_kind kind, size_t cap);
void cio__store_fini(cio__store *s);
int cio__store_push_slow(cio__store *s, void *item);
void *cio__store_pop_heap(cio__store *s);

/* Add an item, growing if needed: 0 or CIO_ENOMEM. Inline: a FIFO put
 * with room is the hot path of every producer. */
static inline int cio__store_push(cio__store *s, void *item) {
    if (s->heap || s->count == s->cap)
        return cio__store_push_slow(s, item);
    size_t tail = s->head + s->count++;
    s->ring[tail < s->cap ? tail : tail - s->cap] = item;
    return 0;
}

/* Remove the next item (count must be > 0). */
static inline void *cio__store_pop(cio__store *s) {
    if (s->heap)
        return cio__store_pop_heap(s);
    s->count--;
    if (s->kind == CIO_QUEUE_LIFO) {
        size_t last = s->head + s->count;
        return s->ring[last < s->cap ? last : last - s->cap];
    }
    void *item = s->ring[s->head];
    if (++s->head == s->cap)
        s->head = 0;
    return item;
}

#endif /* CIO_SYNC_QUEUE_STORE_H */
