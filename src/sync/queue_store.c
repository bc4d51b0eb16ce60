/* queue_store.c - a queue's items: ring buffer or binary heap. */
#include "sync/queue_store.h"

#include <stdlib.h>
#include <string.h>

int cio__store_init(cio__store *s, cio_queue_kind kind, size_t cap) {
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->cap = cap ? cap : 1;
    if (kind == CIO_QUEUE_PRIORITY)
        s->heap = malloc(s->cap * sizeof *s->heap);
    else
        s->ring = malloc(s->cap * sizeof *s->ring);
    return s->heap || s->ring ? 0 : CIO_ENOMEM;
}

void cio__store_fini(cio__store *s) {
    free(s->ring);
    free(s->heap);
    s->ring = NULL;
    s->heap = NULL;
}

/* Double the ring, unwrapping it so that the oldest item is at 0. */
static int grow_ring(cio__store *s) {
    size_t cap = s->cap * 2;
    void **ring = malloc(cap * sizeof *ring);
    if (!ring)
        return cio__error(CIO_ENOMEM, "cio_queue_put: out of memory");
    size_t first = s->cap - s->head; /* items from head to the end */
    if (first > s->count)
        first = s->count;
    memcpy(ring, s->ring + s->head, first * sizeof *ring);
    memcpy(ring + first, s->ring, (s->count - first) * sizeof *ring);
    free(s->ring);
    s->ring = ring;
    s->cap = cap;
    s->head = 0;
    return 0;
}

static int grow_heap(cio__store *s) {
    cio__heap_entry *heap = realloc(s->heap, s->cap * 2 * sizeof *heap);
    if (!heap)
        return cio__error(CIO_ENOMEM, "cio_queue_put: out of memory");
    s->heap = heap;
    s->cap *= 2;
    return 0;
}

/* Does a come out before b? */
static bool before(const cio__store *s, const cio__heap_entry *a,
                   const cio__heap_entry *b) {
    int c = s->compare(a->item, b->item, s->compare_arg);
    return c < 0 || (c == 0 && a->seq < b->seq);
}

static void heap_push(cio__store *s, void *item) {
    cio__heap_entry e = {item, s->seq++};
    size_t i = s->count;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(s, &e, &s->heap[parent]))
            break;
        s->heap[i] = s->heap[parent];
        i = parent;
    }
    s->heap[i] = e;
}

static void *heap_pop(cio__store *s) {
    void *top = s->heap[0].item;
    cio__heap_entry last = s->heap[s->count]; /* count already decremented */
    size_t i = 0, n = s->count;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && before(s, &s->heap[child + 1], &s->heap[child]))
            child++;
        if (!before(s, &s->heap[child], &last))
            break;
        s->heap[i] = s->heap[child];
        i = child;
    }
    if (n > 0)
        s->heap[i] = last;
    return top;
}

int cio__store_push_slow(cio__store *s, void *item) {
    if (s->count == s->cap) {
        int rc = s->heap ? grow_heap(s) : grow_ring(s);
        if (rc)
            return rc;
    }
    if (s->heap) {
        heap_push(s, item);
    } else {
        size_t tail = s->head + s->count;
        s->ring[tail < s->cap ? tail : tail - s->cap] = item;
    }
    s->count++;
    return 0;
}

void *cio__store_pop_heap(cio__store *s) {
    s->count--;
    return heap_pop(s);
}
