/* compact.c - compact coroutines: frames copied off a shared stack while
 * they wait (libaco's "copy stack"; see coro.h and docs/design.md).
 *
 * A waiting stackful coroutine costs at least the pages its frames touched
 * (one 4 KiB page for a task that sleeps at once). A compact one costs only
 * the bytes of its frames, typically a few hundred, kept in a buffer of the
 * right size class. The price is a copy out and a copy back whenever
 * another compact coroutine takes the shared stack, and the rule that
 * nothing may point into a compact coroutine's frames while it waits
 * (those addresses then hold another coroutine's frames).
 *
 * Saving is lazy: a coroutine that suspends stays on the shared stack until
 * another compact coroutine must run there, so one compact task that waits
 * and wakes among ordinary tasks copies nothing.
 */
#include "coro/coro.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(CIO_ASAN)
#include <sanitizer/asan_interface.h>
#endif
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define CIO_HAVE_MEMCHECK 1
#endif
#endif
#if !defined(CIO_HAVE_MEMCHECK)
#define VALGRIND_MAKE_MEM_UNDEFINED(at, len) ((void)(at), (void)(len))
#endif

/* Buffers up to MAX_CLASSED bytes come from size classes CLASS_STEP apart
 * (16: frames are a multiple of 8 bytes, and a class wider than that
 * wastes what a million buffers multiply), carved from chunks and kept on
 * free lists: a million waiting coroutines then cost their frames and no
 * allocator header. Larger ones (deep frames) come from malloc. As task
 * memory does (core/task_mem.c), the first chunks are small and come from
 * malloc, so that a few compact tasks cost a few pages; after them, chunks
 * are 2 MiB mappings faulted in by one madvise: a crowd of new compact
 * tasks suspending in a row (each one's frames copied out when the next
 * starts) then pays one call per 512 pages instead of 512 page faults. */
#define CLASS_STEP 16
#define MAX_CLASSED ((size_t)8192)
#define NCLASSES (MAX_CLASSED / CLASS_STEP)
#define SMALL_CHUNK ((size_t)64 << 10)
#define SMALL_CHUNKS 16
#define BIG_CHUNK ((size_t)2 << 20)

/* The shared stack a new coroutine starts on: one of its size without an
 * occupant, else a new one while there are fewer than SHARED_PER_SIZE,
 * else the next in turn. A few stacks spare most copies: two compact
 * tasks that hand the CPU back and forth (a producer and a consumer) sit
 * on different stacks and never evict each other. */
#define SHARED_PER_SIZE 4

/* One shared stack per stack size. */
typedef struct shared {
    cio__stack *stack;
    cio__coro *occupant; /* whose frames are on it, or NULL */
    uint64_t started;    /* when it last took a new coroutine */
    struct shared *next;
} shared;

struct cio__compact {
    cio__stack_pool *pool;
    shared *stacks;
    void *free_list[NCLASSES]; /* freed buffers, linked by their first word */
    struct chunk *chunks;      /* carved blocks, newest first */
    unsigned nchunks;
    char *carve_at, *carve_end;
    size_t saved_bytes, saved_count;
    uint64_t starts;   /* coroutines started on shared stacks */
    unsigned per_size; /* shared stacks per size */
};

/* A chunk of save buffers: this header, then the buffers. */
typedef struct chunk {
    struct chunk *next;
    size_t bytes; /* 0: SMALL_CHUNK bytes from malloc */
} chunk;

#if !defined(CIO_ASAN) && !defined(CIO_TSAN) /* (they malloc each buffer) */
static bool new_chunk(cio__compact *cp) {
    chunk *c;
    if (cp->nchunks < SMALL_CHUNKS) {
        c = malloc(SMALL_CHUNK);
        if (!c)
            return false;
        c->bytes = 0;
    } else {
        c = cio__os_map_populated(BIG_CHUNK);
        if (!c)
            return false;
        c->bytes = BIG_CHUNK;
    }
    cp->nchunks++;
    c->next = cp->chunks;
    cp->chunks = c;
    cp->carve_at = (char *)c + sizeof(chunk);
    cp->carve_end = (char *)c + (c->bytes ? c->bytes : SMALL_CHUNK);
    return true;
}
#endif

static void chunks_free(cio__compact *cp) {
    while (cp->chunks) {
        chunk *next = cp->chunks->next;
        if (cp->chunks->bytes)
            munmap(cp->chunks, cp->chunks->bytes);
        else
            free(cp->chunks);
        cp->chunks = next;
    }
}

/* CIO_COMPACT_STACKS=K (1-64) overrides SHARED_PER_SIZE: K=1 makes every
 * switch between two compact tasks copy (what cio-bench w2b --compact
 * measures then). */
static unsigned per_size_from_env(void) {
    const char *env = getenv("CIO_COMPACT_STACKS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == '\0' && v >= 1 && v <= 64)
            return (unsigned)v;
    }
    return SHARED_PER_SIZE;
}

cio__compact *cio__compact_new(cio__stack_pool *pool) {
    cio__compact *cp = calloc(1, sizeof *cp);
    if (cp) {
        cp->pool = pool;
        cp->per_size = per_size_from_env();
    }
    return cp;
}

void cio__compact_free(cio__compact *cp) {
    if (!cp)
        return;
    while (cp->stacks) {
        shared *next = cp->stacks->next;
        free(cp->stacks);
        cp->stacks = next;
    }
    chunks_free(cp);
    free(cp);
}

/* ---- save buffers -------------------------------------------------------- */

#if defined(CIO_ASAN) || defined(CIO_TSAN)
/* The sanitizer builds use malloc for each buffer, so that an overrun of a
 * buffer is caught. */
static void *buf_alloc(cio__compact *cp, size_t len) {
    (void)cp;
    return malloc(len);
}
static void buf_free(cio__compact *cp, void *buf, size_t len) {
    (void)cp;
    (void)len;
    free(buf);
}
#else
static size_t class_of(size_t len) {
    return (len + CLASS_STEP - 1) / CLASS_STEP - 1;
}

static void *buf_alloc(cio__compact *cp, size_t len) {
    if (len > MAX_CLASSED)
        return malloc(len);
    size_t c = class_of(len);
    void *b = cp->free_list[c];
    if (b) {
        cp->free_list[c] = *(void **)b;
        return b;
    }
    size_t bytes = (c + 1) * CLASS_STEP;
    if ((size_t)(cp->carve_end - cp->carve_at) < bytes && !new_chunk(cp))
        return NULL;
    b = cp->carve_at;
    cp->carve_at += bytes;
    return b;
}

static void buf_free(cio__compact *cp, void *buf, size_t len) {
    if (len > MAX_CLASSED) {
        free(buf);
        return;
    }
    size_t c = class_of(len);
    *(void **)buf = cp->free_list[c];
    cp->free_list[c] = buf;
}
#endif

/* ---- copies -------------------------------------------------------------- */

/* Where a suspended coroutine's frames begin: its saved stack pointer (the
 * fallback build keeps it in the ucontext; a margin covers the red zone). */
static char *frames_lo(const cio__coro *c) {
#if defined(CIO_CORO_UCONTEXT)
    const cio__stack *s = c->stack;
    uintptr_t sp;
#if defined(__x86_64__)
    sp = (uintptr_t)c->uc.uc_mcontext.gregs[REG_RSP] - 128;
#elif defined(__aarch64__)
    sp = (uintptr_t)c->uc.uc_mcontext.sp;
#else
    sp = (uintptr_t)s->lo;
#endif
    if (sp < (uintptr_t)s->lo || sp > (uintptr_t)s->hi)
        sp = (uintptr_t)s->lo;
    return (char *)sp;
#else
    return (char *)c->sp;
#endif
}

#if defined(CIO_ASAN)
/* Frames carry poisoned redzones: read them without ASan's checks, and
 * without the compiler turning the loop back into an (intercepted)
 * memcpy. Lengths are multiples of 8 (stack pointers are 8-aligned). */
__attribute__((no_sanitize_address)) static void
copy_frames(void *to, const void *from, size_t len) {
    volatile const uint64_t *f = from;
    volatile uint64_t *t = to;
    for (size_t i = 0; i < len / 8; i++)
        t[i] = f[i];
}
#else
static void copy_frames(void *to, const void *from, size_t len) {
    memcpy(to, from, len);
}
#endif

/* A save buffer: where the frames were, how many bytes, then the bytes.
 * The coroutine's sp points at it, tagged with bit 0 (cio__coro_saved). */
typedef struct saved_hdr {
    char *lo;
    size_t len; /* of the frames; the buffer is HDR bytes longer */
} saved_hdr;
#define HDR sizeof(saved_hdr)

static saved_hdr *hdr_of(const cio__coro *c) {
    return (saved_hdr *)(void *)((char *)c->sp - 1);
}

/* Copy the occupant's frames off the shared stack. */
static bool evict(cio__compact *cp, shared *sh) {
    cio__coro *o = sh->occupant;
    char *lo = frames_lo(o);
    size_t len = (size_t)(o->stack->hi - lo);
    saved_hdr *h = buf_alloc(cp, HDR + len);
    if (!h)
        return false;
    h->lo = lo;
    h->len = len;
    copy_frames((char *)h + HDR, lo, len);
    o->sp = (char *)h + 1;
    cp->saved_bytes += HDR + len;
    cp->saved_count++;
    sh->occupant = NULL;
    return true;
}

/* The buffer goes back; c's sp is its own again. */
static void release(cio__compact *cp, cio__coro *c, saved_hdr *h) {
    saved_hdr at = *h; /* the free list link overwrites the header */
    cp->saved_bytes -= HDR + at.len;
    cp->saved_count--;
    buf_free(cp, h, HDR + at.len);
#if defined(CIO_CORO_UCONTEXT)
    (void)at.lo;
    c->sp = NULL; /* unused: the ucontext holds it */
#else
    c->sp = at.lo;
#endif
}

/* Copy c's frames back where they were. */
static void restore(cio__compact *cp, cio__coro *c) {
    saved_hdr *h = hdr_of(c);
    saved_hdr at = *h;
#if defined(CIO_ASAN)
    /* the shadow still holds the redzones of the frames that were here */
    ASAN_UNPOISON_MEMORY_REGION(at.lo, at.len);
#endif
    /* memcheck took what lies below the last occupant's stack pointer for
     * freed stack: it is ours again */
    (void)VALGRIND_MAKE_MEM_UNDEFINED(at.lo, at.len);
    copy_frames(at.lo, (char *)h + HDR, at.len);
    release(cp, c, h);
}

/* ---- shared stacks ------------------------------------------------------- */

static shared *shared_of(cio__compact *cp, const cio__stack *s) {
    for (shared *sh = cp->stacks; sh; sh = sh->next)
        if (sh->stack == s)
            return sh;
    return NULL;
}

static shared *shared_sized(cio__compact *cp, size_t size) {
    shared *turn = NULL;
    unsigned n = 0;
    for (shared *sh = cp->stacks; sh; sh = sh->next) {
        if (sh->stack->size < size || sh->stack->size - size >= 4096)
            continue;
        if (!sh->occupant)
            return sh;
        n++;
        if (!turn || sh->started < turn->started)
            turn = sh; /* the one that least recently took a newcomer */
    }
    if (turn && n >= cp->per_size) {
        turn->started = ++cp->starts;
        return turn;
    }
    shared *sh = calloc(1, sizeof *sh);
    if (!sh)
        return NULL;
    sh->stack = cio__stack_get(cp->pool, size);
    if (!sh->stack) {
        free(sh);
        return NULL;
    }
    sh->started = ++cp->starts;
    sh->next = cp->stacks;
    cp->stacks = sh;
    return sh;
}

cio__stack *cio__compact_enter(cio__compact *cp, cio__coro *c, size_t size) {
    shared *sh = c->stack ? shared_of(cp, c->stack) : shared_sized(cp, size);
    if (!sh)
        return NULL;
    if (sh->occupant == c)
        return sh->stack;
    if (sh->occupant && !evict(cp, sh))
        return NULL;
    if (cio__coro_saved(c))
        restore(cp, c);
#if defined(CIO_ASAN)
    else /* a new coroutine: its first frame is laid out at the top */
        ASAN_UNPOISON_MEMORY_REGION(sh->stack->lo,
                                    (size_t)(sh->stack->hi - sh->stack->lo));
#endif
    sh->occupant = c;
    return sh->stack;
}

void cio__compact_drop(cio__compact *cp, cio__coro *c) {
    if (!cp)
        return; /* never entered: nothing held */
    if (cio__coro_saved(c))
        release(cp, c, hdr_of(c));
    shared *sh = c->stack ? shared_of(cp, c->stack) : NULL;
    if (sh && sh->occupant == c)
        sh->occupant = NULL;
}

void *cio__compact_locate(const cio__coro *c, void *p) {
    if (!cio__coro_saved(c))
        return p;
    const saved_hdr *h = hdr_of(c);
    if ((char *)p < h->lo || (char *)p >= h->lo + h->len)
        return p;
    return (char *)h + HDR + ((char *)p - h->lo);
}

bool cio__compact_on_shared(const cio__compact *cp, const void *p) {
    if (!cp)
        return false;
    for (const shared *sh = cp->stacks; sh; sh = sh->next)
        if ((const char *)p >= sh->stack->lo && (const char *)p < sh->stack->hi)
            return true;
    return false;
}

void cio__compact_stats(const cio__compact *cp, size_t *bytes, size_t *count) {
    *bytes = cp ? cp->saved_bytes : 0;
    *count = cp ? cp->saved_count : 0;
}
