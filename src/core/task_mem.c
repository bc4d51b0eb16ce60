/* task_mem.c - task memory: where a loop's tasks live, and how a task's
 * memory is given back when its last reference goes.
 */
#include "core/internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Task memory. Tasks are created and freed by the million in a burst, so
 * each loop keeps its own: a free list of task-sized blocks, refilled from
 * chunks. It saves malloc's header and bookkeeping per task. The first
 * chunks are 64 KiB; once a loop has had many tasks, chunks are 2 MiB
 * mappings populated in one call (a page fault costs about as much as
 * creating a task; one madvise saves 512 trips through the fault handler).
 * No transparent huge pages: where THP is "madvise", asking for one lets a
 * fault stall on memory compaction, and W1 varied from 76 to 2,659 ns per
 * task with them, steady without (docs/design.md). The sanitizer builds
 * use malloc, so that a use after free is still caught. */
#define CHUNK_BYTES ((size_t)64 * 1024)
#define SMALL_CHUNKS 16
#define BIG_CHUNK_BYTES ((size_t)2 << 20)
/* (aligned as a task must be, no more: every 8 bytes count a million
 * times) */
#define TASK_ALIGN _Alignof(cio__task)
#define TASK_BYTES ((sizeof(cio__task) + TASK_ALIGN - 1) & ~(TASK_ALIGN - 1))
#define CHUNK_HEADER ((size_t)16)

/* A chunk starts with this header; the tasks follow. */
typedef struct chunk {
    struct chunk *next;
    size_t bytes; /* 0: from malloc */
} chunk;

/* A freed task keeps its magic word, id, name and creation site while it
 * waits for reuse, so that a release of it is reported with its name: its
 * name is freed when the block is reused or the loop's memory goes. */
#if defined(CIO_ASAN) || defined(CIO_TSAN)
cio__task *cio__task_alloc(cio_loop *loop) {
    (void)loop;
    cio__task *t = malloc(sizeof(cio__task));
    if (t)
        t->cleanups = NULL;
    return t;
}
void cio__task_dealloc(cio_loop *loop, cio__task *t) {
    (void)loop;
    cio__task_name_free(t);
    free(t);
}
static void free_list_names(cio_loop *loop) {
    (void)loop;
}
#else
static chunk *new_chunk(cio_loop *loop) {
    chunk *c;
    if (loop->nchunks < SMALL_CHUNKS) {
        c = malloc(CHUNK_BYTES);
        if (!c)
            return NULL;
        c->bytes = 0;
    } else {
        c = cio__os_map_populated(BIG_CHUNK_BYTES);
        if (!c)
            return NULL;
        c->bytes = BIG_CHUNK_BYTES;
    }
    loop->nchunks++;
    c->next = loop->task_chunks;
    loop->task_chunks = c;
    loop->carve_at = (char *)c + CHUNK_HEADER;
    loop->carve_end = (char *)c + (c->bytes ? c->bytes : CHUNK_BYTES);
    return c;
}

cio__task *cio__task_alloc(cio_loop *loop) {
    cio__task *t = loop->free_tasks;
    if (t) {
        loop->free_tasks = *(void **)(void *)t;
        if (t->cleanups) /* (a name it kept: see cio__task_dealloc) */
            cio__task_name_free(t);
    } else {
        if (loop->carve_end - loop->carve_at < (ptrdiff_t)TASK_BYTES &&
            !new_chunk(loop))
            return NULL;
        t = (cio__task *)(void *)loop->carve_at;
        loop->carve_at += TASK_BYTES;
    }
    t->cleanups = NULL;
    return t;
}
void cio__task_dealloc(cio_loop *loop, cio__task *t) {
    t->fut.magic = CIO__FREED; /* (also a block never made a task) */
    *(void **)(void *)t = loop->free_tasks;
    loop->free_tasks = t;
    if (t->cleanups) /* (its name, if anything) */
        loop->free_names = true;
}
/* (a walk over a million freed blocks is a million cache misses: only when
 * one of them may hold a name) */
static void free_list_names(cio_loop *loop) {
    if (!loop->free_names)
        return;
    for (cio__task *t = loop->free_tasks; t; t = *(cio__task **)(void *)t)
        cio__task_name_free(t);
}
#endif

/* ---- the live tasks ------------------------------------------------------ */

typedef void (*live_fn)(cio__task *t, void *arg);

#if defined(CIO_ASAN) || defined(CIO_TSAN)
/* fn may unlink t: the next one is read first */
static void walk_live(cio_loop *loop, live_fn fn, void *arg) {
    cio__task *next;
    for (cio__task *t = loop->live_head; t; t = next) {
        next = t->next_live;
        fn(t, arg);
    }
}
#else
/* Every block carved so far: all of an older chunk (a new one is taken
 * when less than a block is left), the current one up to carve_at. A task
 * is live from its creation until it finishes; a block on the free list
 * says CIO__FREED. fn may free t: its block stays where it is. */
static void walk_live(cio_loop *loop, live_fn fn, void *arg) {
    for (chunk *c = loop->task_chunks; c; c = c->next) {
        size_t bytes = c->bytes ? c->bytes : CHUNK_BYTES;
        char *p = (char *)c + CHUNK_HEADER;
        char *end = c == loop->task_chunks
                        ? loop->carve_at
                        : p + (bytes - CHUNK_HEADER) / TASK_BYTES * TASK_BYTES;
        for (; p < end; p += TASK_BYTES) {
            cio__task *t = (cio__task *)(void *)p;
            if (t->fut.magic == CIO__LIVE && !t->fut.finished)
                fn(t, arg);
        }
    }
}
#endif

typedef struct collect {
    cio__task **v;
    size_t n, cap;
} collect;

static void collect_one(cio__task *t, void *arg) {
    collect *c = arg;
    if (c->n < c->cap)
        c->v[c->n++] = t;
}

static int by_id(const void *a, const void *b) {
    uint64_t x = (*(cio__task *const *)a)->coro.id;
    uint64_t y = (*(cio__task *const *)b)->coro.id;
    return (x > y) - (x < y);
}

/* Task ids grow in creation order (task.c): sorted by id, the tasks are in
 * the order they were created, as asyncio's all_tasks tends to list them. */
void cio__live_each(cio_loop *loop, live_fn fn, void *arg) {
    if (loop->nlive == 0)
        return;
    collect c = {malloc(loop->nlive * sizeof(cio__task *)), 0, loop->nlive};
    if (!c.v) { /* no memory to sort: in the order of the walk */
        walk_live(loop, fn, arg);
        return;
    }
    walk_live(loop, collect_one, &c);
    qsort(c.v, c.n, sizeof *c.v, by_id);
    for (size_t i = 0; i < c.n; i++)
        fn(c.v[i], arg); /* (fn frees at most the task it is given) */
    free(c.v);
}

void cio__task_memory_free(cio_loop *loop) {
    free_list_names(loop);
    chunk *c = loop->task_chunks;
    while (c) {
        chunk *next = c->next;
        if (c->bytes)
            munmap(c, c->bytes);
        else
            free(c);
        c = next;
    }
    loop->task_chunks = NULL;
    loop->carve_at = loop->carve_end = NULL;
    loop->free_tasks = NULL;
    loop->nchunks = 0;
}

void cio__task_free(cio_future *f) {
    cio__task *t = cio__container_of(f, cio__task, fut);
    if (!t->fut.finished) /* the loop still runs it: its reference was taken */
        cio__release_fault(&t->fut, "cio_release",
                           "is still pending: its last reference, the "
                           "loop's own, was released (released once too "
                           "often)");
    cio_loop *loop = t->fut.loop;
    /* (a task done with a result, no done callback left: nothing for
     * cio__future_free to do, no call) */
    if (t->fut.error || t->fut.state < CIO_DONE || t->fut.callbacks.tail)
        cio__future_free(&t->fut);
    cio__task_dealloc(loop, t);
    if (loop->refs > 1) /* (not the last: no call) */
        loop->refs--;
    else
        cio__loop_unref(loop); /* last: it may free the task memory */
}
