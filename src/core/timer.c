/* timer.c - the loop's timers: a 4-ary min-heap ordered by (when, seq).
 *
 * cio keeps its own heap rather than one libuv timer per sleep: arming and
 * disarming cost no allocation, equal deadlines keep their arming order (as
 * asyncio's heap of (when, seq) does), and the virtual clock can jump to the
 * earliest deadline. libuv only sees one timer, armed for that deadline
 * while the loop blocks.
 */
#include "core/internal.h"

#include <stdlib.h>

static bool before(const cio__timer_entry *a, const cio__timer_entry *b) {
    return a->when < b->when ||
           (a->when == b->when && (int32_t)(a->seq - b->seq) < 0);
}

static void place(cio_loop *loop, size_t i, cio__timer_entry e) {
    loop->heap[i] = e;
    e.timer->index = (uint32_t)i;
}

/* Four children a node, not two: half the levels, and each level moved
 * writes the moved timer's index into its task, a cache miss in a crowd
 * of sleepers; the four children's entries share two cache lines. */
#define ARITY 4

static void sift_up(cio_loop *loop, size_t i) {
    cio__timer_entry e = loop->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / ARITY;
        if (!before(&e, &loop->heap[parent]))
            break;
        place(loop, i, loop->heap[parent]);
        i = parent;
    }
    place(loop, i, e);
}

static void sift_down(cio_loop *loop, size_t i) {
    cio__timer_entry e = loop->heap[i];
    size_t n = loop->nheap;
    for (;;) {
        size_t first = ARITY * i + 1;
        if (first >= n)
            break;
        size_t last = first + ARITY < n ? first + ARITY : n;
        size_t child = first;
        for (size_t c = first + 1; c < last; c++)
            if (before(&loop->heap[c], &loop->heap[child]))
                child = c;
        if (!before(&loop->heap[child], &e))
            break;
        place(loop, i, loop->heap[child]);
        i = child;
    }
    place(loop, i, e);
}

int cio__timer_reserve(cio_loop *loop) {
    if (loop->nheap < loop->heap_cap)
        return 0;
    if (loop->nheap >= CIO__NOT_ARMED) /* (an index must fit its field) */
        return CIO_ENOMEM;
    size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
    cio__timer_entry *h = realloc(loop->heap, cap * sizeof *h);
    if (!h)
        return CIO_ENOMEM;
    loop->heap = h;
    loop->heap_cap = cap;
    return 0;
}

void cio__timer_arm(cio_loop *loop, cio__timer *t, uint64_t when) {
    size_t i = loop->nheap++;
    loop->heap[i] = (cio__timer_entry){when, t, loop->timer_seq++};
    t->index = (uint32_t)i;
    sift_up(loop, i);
}

void cio__timer_disarm(cio_loop *loop, cio__timer *t) {
    size_t i = t->index;
    if (i == CIO__NOT_ARMED)
        return;
    t->index = CIO__NOT_ARMED;
    cio__timer_entry last = loop->heap[--loop->nheap];
    if (i == loop->nheap)
        return;
    place(loop, i, last);
    if (i > 0 && before(&last, &loop->heap[(i - 1) / ARITY]))
        sift_up(loop, i);
    else
        sift_down(loop, i);
}

void cio__timers_fire(cio_loop *loop, uint64_t now) {
    while (loop->nheap && loop->heap[0].when <= now) {
        cio__timer *t = loop->heap[0].timer;
        cio__timer_disarm(loop, t);
        cio__schedule(loop, &cio__container_of(t, cio__timed, timer)->node);
    }
}
