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
 * mappings that ask for a transparent huge page, so that a million tasks
 * cost a hundred page faults rather than fifty thousand (a fault costs
 * about as much as creating a task). The sanitizer builds use malloc, so
 * that a use after free is still caught. */
#define CHUNK_BYTES ((size_t)64 * 1024)
#define SMALL_CHUNKS 16
#define HUGE_CHUNK_BYTES ((size_t)2 << 20)
#define TASK_BYTES ((sizeof(cio__task) + 15) & ~(size_t)15)

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
        t->coro.name = NULL;
    return t;
}
void cio__task_dealloc(cio_loop *loop, cio__task *t) {
    (void)loop;
    free(t->coro.name);
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
        /* twice the size, to align a 2 MiB window inside it */
        size_t len = 2 * HUGE_CHUNK_BYTES;
        char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return NULL;
        uintptr_t mask = HUGE_CHUNK_BYTES - 1;
        char *a = m + ((HUGE_CHUNK_BYTES - ((uintptr_t)m & mask)) & mask);
        if (a > m)
            munmap(m, (size_t)(a - m));
        if (a + HUGE_CHUNK_BYTES < m + len)
            munmap(a + HUGE_CHUNK_BYTES,
                   (size_t)(m + len - (a + HUGE_CHUNK_BYTES)));
        (void)madvise(a, HUGE_CHUNK_BYTES, MADV_HUGEPAGE);
        c = (chunk *)(void *)a;
        c->bytes = HUGE_CHUNK_BYTES;
    }
    loop->nchunks++;
    c->next = loop->task_chunks;
    loop->task_chunks = c;
    loop->carve_at = (char *)c + 16;
    loop->carve_end = (char *)c + (c->bytes ? c->bytes : CHUNK_BYTES);
    return c;
}

cio__task *cio__task_alloc(cio_loop *loop) {
    cio__task *t = loop->free_tasks;
    if (t) {
        loop->free_tasks = *(void **)(void *)t;
        free(t->coro.name);
    } else {
        if (loop->carve_end - loop->carve_at < (ptrdiff_t)TASK_BYTES &&
            !new_chunk(loop))
            return NULL;
        t = (cio__task *)(void *)loop->carve_at;
        loop->carve_at += TASK_BYTES;
    }
    t->coro.name = NULL;
    return t;
}
void cio__task_dealloc(cio_loop *loop, cio__task *t) {
    *(void **)(void *)t = loop->free_tasks;
    loop->free_tasks = t;
    if (t->coro.name)
        loop->free_names = true;
}
/* (a walk over a million freed blocks is a million cache misses: only when
 * one of them may hold a name) */
static void free_list_names(cio_loop *loop) {
    if (!loop->free_names)
        return;
    for (cio__task *t = loop->free_tasks; t; t = *(cio__task **)(void *)t)
        free(t->coro.name);
}
#endif

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
    if (!t->finished) /* the loop still runs it: its reference was taken */
        cio__release_fault(&t->fut, "cio_release",
                           "is still pending: its last reference, the "
                           "loop's own, was released (released once too "
                           "often)");
    cio_loop *loop = t->fut.loop;
    cio__future_free(&t->fut);
    cio__task_dealloc(loop, t);
    cio__loop_unref(loop); /* last: it may free the task memory */
}
