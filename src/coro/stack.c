/* stack.c - task stacks: reserved lazily, every one guarded where the kernel
 * has guard regions, pooled warm.
 *
 * A stack is address space reserved with mmap; the kernel commits a page only
 * when the task first touches it, so a task that sleeps at once costs one
 * resident page whatever the stack's size. Stacks are carved from slabs of
 * many stacks in one mapping: one mmap and one munmap per slab, not per task.
 *
 * Guard regions (Linux 6.13+). madvise(MADV_GUARD_INSTALL) makes a range
 * fault on access without a mapping of its own and without memory, so every
 * slot of a slab starts with a 64 KiB guard region below its stack: any
 * overflow by recursion, and any frame under 64 KiB (any frame at all in
 * code built with -fstack-clash-protection, which touches every page it
 * allocates), faults in the guard and is reported. Probed once; the
 * environment variable CIO_GUARD_REGIONS=0 forces the fallback.
 *
 * The fallback: guard pages, then canaries. A PROT_NONE guard (64 KiB of
 * address space, no memory) splits a mapping in two and Linux limits a process
 * to vm.max_map_count mappings (65,530 by default). So guard pages are handed
 * out from a process-wide budget, a quarter of that limit (CIO_GUARD_BUDGET
 * overrides it), each stack its own mapping. Past the budget, stacks are carved
 * from guard-less slabs, and each carries a 64-byte canary just below its
 * lowest byte, checked at every switch away from it. The canary lives in the
 * top bytes of the slot below, which that slot never uses; so a stack in use
 * costs no extra page for its canary while its neighbour is in use too.
 *
 * The pool. Stacks of tasks that finished go to a warm list (up to
 * WARM_MAX per size, untouched: reusing one costs no system call and no
 * page fault); beyond that they are dirty, and their pages are given back
 * to the kernel (MADV_DONTNEED) when the loop has nothing else to do
 * (cio__stack_pool_trim), after which they are cold. A slab whose stacks
 * have all finished is trimmed in one call; the dirty stacks of a slab
 * still in use wait until the pool has idled (no stack taken or given back
 * between two trims), then go in one call per run of finished neighbours.
 * A system call per finished task would cost a burst of short tasks, or a
 * crowd of sleepers waking up, more than the tasks themselves. Nothing is
 * unmapped before the pool is freed, and then one munmap per slab.
 */
#include "coro/coro.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(CIO_ASAN)
#include <sanitizer/asan_interface.h>
#endif
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define CIO_HAVE_VALGRIND 1
#endif
#endif
#if !defined(CIO_HAVE_VALGRIND)
#define RUNNING_ON_VALGRIND 0
#define VALGRIND_STACK_REGISTER(lo, hi) 0u
#define VALGRIND_STACK_DEREGISTER(id) ((void)(id))
#endif

#define WARM_MAX 64
#define SLAB_MAX_SLOTS CIO__GUARD_BATCH
#define SLAB_MAX_BYTES ((size_t)64 << 20)
/* a slot's top bytes: the canary of the one above */
#define SLOT_RESERVE (CIO__CANARY_WORDS * sizeof(uint64_t))
#define CANARY_MAGIC CIO__CANARY_MAGIC

enum { IN_USE, WARM, DIRTY, COLD }; /* cio__stack.state */

struct cio__slab {
    bool malloced; /* this record came from calloc, not a record chunk */
    char *slots;   /* the first slot (canary slabs: after one canary page) */
    char *base;
    size_t map_len;
    size_t slot_size;
    unsigned nslots;
    unsigned carved; /* slots handed out at least once */
    bool guards;     /* every slot's guard region is installed */
    unsigned busy;   /* slots in use or warm */
    unsigned ndirty; /* slots dirty */
    struct cio__slab *next;
    cio__stack stacks[];
};

typedef struct size_class {
    size_t size;
    cio__stack *warm;
    cio__stack *spare;        /* slab stacks, dirty or cold, newest first */
    cio__stack *dirty, *cold; /* stacks with a guard page of their own */
    unsigned nwarm;
    size_t slab_dirty; /* dirty stacks in the class's slabs */
    cio__slab *slabs;  /* newest first; only the newest has uncarved slots */
    struct size_class *next;
} size_class;

struct cio__stack_pool {
    bool regions; /* guard regions: fixed when the pool is made */
    unsigned nslabs;
    void *chunks;               /* record chunks, linked by their first word */
    char *chunk_at, *chunk_end; /* what is left of the newest */
    bool traffic; /* a stack taken or given back since the last trim */
    size_class *classes;
    cio__stack **guarded; /* every guarded stack, to unmap them at the end */
    size_t nguarded, guarded_cap;
    cio__stack_stats stats;
};

static size_t page_size;
static bool thp_always;     /* transparent huge pages unless told otherwise */
static bool kernel_regions; /* the kernel has guard regions */
static atomic_bool use_regions; /* and the pools made now use them */
static atomic_long guard_budget;
static pthread_once_t budget_once = PTHREAD_ONCE_INIT;

static bool env_is(const char *name, const char *value) {
    const char *env = getenv(name);
    return env && strcmp(env, value) == 0;
}

static void init_budget(void) {
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    thp_always = cio__os_thp_always();
    kernel_regions = cio__os_guard_regions();
    atomic_store(&use_regions,
                 kernel_regions && !env_is("CIO_GUARD_REGIONS", "0"));
    long budget = -1;
    const char *env = getenv("CIO_GUARD_BUDGET");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == '\0' && v >= 0)
            budget = v;
    }
    if (budget < 0) /* each guard page costs two mappings */
        budget = cio__os_max_map_count() / 4;
    atomic_store(&guard_budget, budget);
}

bool cio__stack_guard_regions(void) {
    pthread_once(&budget_once, init_budget);
    return atomic_load(&use_regions);
}

bool cio__stack_set_guard_regions(bool on) {
    pthread_once(&budget_once, init_budget);
    atomic_store(&use_regions, on && kernel_regions);
    return atomic_load(&use_regions);
}

static bool take_guard(void) {
    long left = atomic_load(&guard_budget);
    while (left > 0)
        if (atomic_compare_exchange_weak(&guard_budget, &left, left - 1))
            return true;
    return false;
}

long cio__guard_budget_left(void) {
    pthread_once(&budget_once, init_budget);
    return atomic_load(&guard_budget);
}

static uint64_t canary_value(const uint64_t *at) {
    return CANARY_MAGIC ^ (uint64_t)(uintptr_t)at;
}

static void write_canary(cio__stack *s) {
    for (int i = 0; i < CIO__CANARY_WORDS; i++)
        s->canary[i] = canary_value(&s->canary[i]);
}

cio__stack_pool *cio__stack_pool_new(void) {
    pthread_once(&budget_once, init_budget);
    cio__stack_pool *pool = calloc(1, sizeof(cio__stack_pool));
    if (pool)
        pool->regions = atomic_load(&use_regions);
    return pool;
}

static size_class *class_for(cio__stack_pool *pool, size_t size) {
    for (size_class *c = pool->classes; c; c = c->next)
        if (c->size == size)
            return c;
    size_class *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->size = size;
    c->next = pool->classes;
    pool->classes = c;
    return c;
}

static cio__stack *new_guarded(cio__stack_pool *pool, size_t size) {
    if (pool->nguarded == pool->guarded_cap) {
        size_t cap = pool->guarded_cap ? pool->guarded_cap * 2 : 64;
        cio__stack **v = realloc(pool->guarded, cap * sizeof *v);
        if (!v)
            return NULL;
        pool->guarded = v;
        pool->guarded_cap = cap;
    }
    cio__stack *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    char *mem =
        mmap(NULL, CIO__GUARD_SIZE + size, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (mem == MAP_FAILED || mprotect(mem, CIO__GUARD_SIZE, PROT_NONE) != 0) {
        if (mem != MAP_FAILED)
            munmap(mem, CIO__GUARD_SIZE + size);
        free(s);
        return NULL;
    }
    if (thp_always) /* else no huge page comes unasked: spare the call */
        (void)madvise(mem + CIO__GUARD_SIZE, size, MADV_NOHUGEPAGE);
    s->guard = mem;
    s->lo = mem + CIO__GUARD_SIZE;
    s->hi = s->lo + size;
    s->size = size;
    s->vg_id = VALGRIND_STACK_REGISTER(s->lo, s->hi);
    pool->guarded[pool->nguarded++] = s;
    pool->stats.guarded++;
    return s;
}

/* Slab records. Each holds the cio__stack of all its slots (about 18 KiB):
 * from calloc for a pool's first slabs, then from 2 MiB chunks that ask for
 * a transparent huge page, so that the records of a million stacks cost a
 * few dozen page faults rather than 18,000. (Task memory gave up huge pages
 * because a slow one can stall W1, which takes 61 chunks; 100,000 stacks
 * take 4 of these, and W3's wall was the same either way: docs/design.md.)
 * The sanitizer builds use calloc throughout, so an overrun is still
 * caught. */
#define SMALL_SLABS 8
#define RECORD_CHUNK ((size_t)2 << 20)
#define RECORD_ALIGN 64

#if !defined(CIO_ASAN) && !defined(CIO_TSAN)
static void *new_record_chunk(void) {
    /* twice the size, to align a 2 MiB window inside it */
    size_t len = 2 * RECORD_CHUNK;
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    uintptr_t mask = RECORD_CHUNK - 1;
    char *a = m + ((RECORD_CHUNK - ((uintptr_t)m & mask)) & mask);
    if (a > m)
        munmap(m, (size_t)(a - m));
    if (a + RECORD_CHUNK < m + len)
        munmap(a + RECORD_CHUNK, (size_t)(m + len - (a + RECORD_CHUNK)));
    (void)madvise(a, RECORD_CHUNK, MADV_HUGEPAGE);
    return a;
}

static cio__slab *slab_record(cio__stack_pool *pool, size_t bytes) {
    bytes = (bytes + RECORD_ALIGN - 1) & ~(size_t)(RECORD_ALIGN - 1);
    if (pool->nslabs >= SMALL_SLABS && bytes <= RECORD_CHUNK - RECORD_ALIGN) {
        if ((size_t)(pool->chunk_end - pool->chunk_at) < bytes) {
            char *c = new_record_chunk();
            if (!c)
                return NULL;
            *(void **)(void *)c = pool->chunks;
            pool->chunks = c;
            pool->chunk_at = c + RECORD_ALIGN;
            pool->chunk_end = c + RECORD_CHUNK;
        }
        cio__slab *sl = (cio__slab *)(void *)pool->chunk_at;
        pool->chunk_at += bytes; /* fresh mappings read as zero */
        return sl;
    }
    cio__slab *sl = calloc(1, bytes);
    if (sl)
        sl->malloced = true;
    return sl;
}
#else
static cio__slab *slab_record(cio__stack_pool *pool, size_t bytes) {
    (void)pool;
    cio__slab *sl = calloc(1, bytes);
    if (sl)
        sl->malloced = true;
    return sl;
}
#endif

static void slab_record_free(cio__slab *sl) {
    if (sl->malloced)
        free(sl);
}

/* A slab's slot: with guard regions, the guard and then the stack; else
 * the stack and a page of room for the reserve (the canary of the slot
 * above), with one canary page at the slab's base for the lowest slot. */
static cio__slab *new_slab(cio__stack_pool *pool, size_t size) {
    bool regions = pool->regions;
    size_t slot = regions ? CIO__GUARD_SIZE + size : size + page_size;
    size_t n = SLAB_MAX_BYTES / slot;
    n = n < 1 ? 1 : n > SLAB_MAX_SLOTS ? SLAB_MAX_SLOTS : n;
    cio__slab *sl = slab_record(pool, sizeof *sl + n * sizeof(cio__stack));
    if (!sl)
        return NULL;
    sl->map_len = (regions ? 0 : page_size) + n * slot;
    sl->base =
        mmap(NULL, sl->map_len, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (sl->base == MAP_FAILED) {
        slab_record_free(sl); /* (a chunk's record is reused by no one: it
                                 goes with the pool) */
        return NULL;
    }
    pool->nslabs++;
    if (thp_always || !regions) /* a canary slab touches sparse pages */
        (void)madvise(sl->base, sl->map_len, MADV_NOHUGEPAGE);
    sl->slots = sl->base + (regions ? 0 : page_size);
    sl->slot_size = slot;
    sl->nslots = (unsigned)n;
    /* every guard in one system call where the kernel allows it (valgrind
     * knows no process_madvise: one by one there) */
    sl->guards = regions && !RUNNING_ON_VALGRIND &&
                 cio__os_guard_strided(sl->slots, slot, n, CIO__GUARD_SIZE);
    return sl;
}

/* The next slot of the class's newest slab: its guard region installed if
 * the slab's were not all installed at once (a guard outlives MADV_DONTNEED,
 * so this is once per slot), or its canary written at each
 * cio__stack_get. */
static cio__stack *carve(cio__stack_pool *pool, size_class *c) {
    cio__slab *sl = c->slabs;
    if (!sl || sl->carved == sl->nslots) {
        sl = new_slab(pool, c->size);
        if (!sl)
            return NULL;
        sl->next = c->slabs;
        c->slabs = sl;
    }
    cio__stack *s = &sl->stacks[sl->carved];
    char *slot = sl->slots + (size_t)sl->carved * sl->slot_size;
    if (pool->regions) {
        if (!sl->guards &&
            madvise(slot, CIO__GUARD_SIZE, CIO_MADV_GUARD_INSTALL) != 0)
            return NULL; /* ENOMEM for its page table: the slot stays free */
        s->guard = slot;
        s->lo = slot + CIO__GUARD_SIZE;
        s->hi = slot + sl->slot_size;
        pool->stats.regions++;
    } else {
        s->lo = slot;
        s->hi = s->lo + sl->slot_size - SLOT_RESERVE;
        s->canary = (uint64_t *)(void *)s->lo - CIO__CANARY_WORDS;
        pool->stats.slab++;
    }
    s->size = c->size;
    s->slab = sl;
    s->vg_id = VALGRIND_STACK_REGISTER(s->lo, s->hi);
    sl->carved++;
    sl->busy++;
    return s;
}

cio__stack *cio__stack_get(cio__stack_pool *pool, size_t size) {
    if (size < (size_t)16 * 1024)
        size = (size_t)16 * 1024;
    size = (size + page_size - 1) & ~(page_size - 1);
    size_class *c = class_for(pool, size);
    if (!c)
        return NULL;
    cio__stack *s = c->warm;
    if (s) {
        c->warm = s->next;
        c->nwarm--;
        pool->stats.warm--;
    } else if ((s = c->spare) != NULL) {
        c->spare = s->next;
        s->slab->busy++;
        if (s->state == DIRTY) {
            s->slab->ndirty--;
            c->slab_dirty--;
            pool->stats.dirty--;
        } else {
            pool->stats.cold--;
        }
    } else if ((s = c->dirty) != NULL) {
        c->dirty = s->next;
        pool->stats.dirty--;
    } else if ((s = c->cold) != NULL) {
        c->cold = s->next;
        pool->stats.cold--;
    } else if (!pool->regions && take_guard()) {
        s = new_guarded(pool, size);
        if (!s)
            atomic_fetch_add(&guard_budget, 1);
    }
    if (!s)
        s = carve(pool, c);
    if (!s)
        return NULL;
    s->next = NULL;
    s->owner = NULL;
    s->in_use = true;
    s->state = IN_USE;
    pool->traffic = true;
#if defined(CIO_ASAN)
    /* the address may have held a stack of a closed loop whose abandoned
     * frames left poisoned redzones in ASan's shadow */
    ASAN_UNPOISON_MEMORY_REGION(s->lo, (size_t)(s->hi - s->lo));
#endif
    if (s->canary)
        write_canary(s);
    pool->stats.in_use++;
    return s;
}

static cio__stack *slot_above(const cio__stack *s) {
    const cio__slab *sl = s->slab;
    size_t i = (size_t)(s - sl->stacks);
    return i + 1 < sl->carved ? (cio__stack *)&sl->stacks[i + 1] : NULL;
}

const cio__stack *cio__stack_above(const cio__stack *s) {
    const cio__stack *above = s->slab ? slot_above(s) : NULL;
    return above && above->in_use ? above : NULL;
}

/* Return the pages of a stack with a guard page of its own. */
static void trim_paged(cio__stack *s) {
    (void)madvise(s->lo, (size_t)(s->hi - s->lo), MADV_DONTNEED);
}

/* Return the pages of slots [i, j) of a slab, none of them in use or warm,
 * in one call; returns how many dirty ones became cold. Guard regions stay
 * (MADV_DONTNEED keeps them). The top bytes of slot j-1 hold the canary of
 * slot j, rewritten if that one is in use. */
static size_t trim_slots(cio__stack_pool *pool, size_class *c, cio__slab *sl,
                         unsigned i, unsigned j) {
    cio__stack *above = j < sl->carved ? &sl->stacks[j] : NULL;
    bool keep_canary = above && above->in_use && above->canary;
    if (keep_canary && !cio__stack_canary_ok(above))
        return 0; /* keep the evidence: the overflow is reported at its switch
                   */
    (void)madvise(sl->slots + (size_t)i * sl->slot_size,
                  (size_t)(j - i) * sl->slot_size, MADV_DONTNEED);
    if (keep_canary)
        write_canary(above);
    size_t n = 0;
    for (unsigned k = i; k < j; k++) {
        if (sl->stacks[k].state == DIRTY) {
            sl->stacks[k].state = COLD;
            n++;
        }
    }
    sl->ndirty -= (unsigned)n;
    c->slab_dirty -= n;
    pool->stats.dirty -= n;
    pool->stats.cold += n;
    return n;
}

/* The dirty slots of a slab in runs of finished neighbours, one call per
 * run, at most `*calls_left` calls. */
static size_t trim_runs(cio__stack_pool *pool, size_class *c, cio__slab *sl,
                        size_t *calls_left) {
    size_t done = 0;
    unsigned i = 0;
    while (i<sl->carved && * calls_left> 0) {
        if (sl->stacks[i].state != DIRTY) {
            i++;
            continue;
        }
        unsigned j = i;
        while (j < sl->carved &&
               (sl->stacks[j].state == DIRTY || sl->stacks[j].state == COLD))
            j++;
        done += trim_slots(pool, c, sl, i, j);
        (*calls_left)--;
        i = j;
    }
    return done;
}

static size_t trim_class(cio__stack_pool *pool, size_class *c, bool idle,
                         size_t *calls_left) {
    size_t done = 0;
    for (cio__slab *sl = c->slabs; sl && c->slab_dirty && *calls_left > 0;
         sl = sl->next) {
        if (sl->ndirty == 0)
            continue;
        if (sl->busy == 0) { /* every slot finished: the slab in one call */
            done += trim_slots(pool, c, sl, 0, sl->carved);
            (*calls_left)--;
        } else if (idle) {
            done += trim_runs(pool, c, sl, calls_left);
        }
    }
    cio__stack *s;
    while (idle && *calls_left > 0 && (s = c->dirty) != NULL) {
        c->dirty = s->next;
        trim_paged(s);
        s->state = COLD;
        s->next = c->cold;
        c->cold = s;
        pool->stats.dirty--;
        pool->stats.cold++;
        (*calls_left)--;
        done++;
    }
    return done;
}

void cio__stack_put(cio__stack_pool *pool, cio__stack *s) {
    size_class *c = class_for(pool, s->size); /* exists: get made it */
    s->in_use = false;
    s->owner = NULL;
    pool->stats.in_use--;
    pool->traffic = true;
    if (c->nwarm < WARM_MAX) {
        s->state = WARM;
        s->next = c->warm;
        c->warm = s;
        c->nwarm++;
        pool->stats.warm++;
        return;
    }
    s->state = DIRTY;
    pool->stats.dirty++;
    if (s->slab) {
        s->slab->busy--;
        s->slab->ndirty++;
        c->slab_dirty++;
        s->next = c->spare;
        c->spare = s;
    } else {
        s->next = c->dirty;
        c->dirty = s;
    }
}

size_t cio__stack_pool_trim(cio__stack_pool *pool, size_t max) {
    bool idle = !pool->traffic;
    pool->traffic = false;
    size_t done = 0, calls_left = max;
    for (size_class *c = pool->classes; c && calls_left > 0; c = c->next)
        done += trim_class(pool, c, idle, &calls_left);
    return done;
}

void cio__stack_pool_stats(const cio__stack_pool *pool, cio__stack_stats *out) {
    *out = pool->stats;
}

/* ASan keeps the shadow of unmapped memory: clear what abandoned frames
 * poisoned, or whatever is mapped there next reports false errors. */
static void unpoison(char *at, size_t len) {
#if defined(CIO_ASAN)
    ASAN_UNPOISON_MEMORY_REGION(at, len);
#else
    (void)at;
    (void)len;
#endif
}

void cio__stack_pool_free(cio__stack_pool *pool) {
    if (!pool)
        return;
    for (size_t i = 0; i < pool->nguarded; i++) {
        cio__stack *s = pool->guarded[i];
        VALGRIND_STACK_DEREGISTER(s->vg_id);
        unpoison(s->lo, s->size); /* abandoned frames leave redzones */
        munmap(s->guard, CIO__GUARD_SIZE + s->size);
        free(s);
    }
    atomic_fetch_add(&guard_budget, (long)pool->nguarded);
    free(pool->guarded);
    size_class *c = pool->classes;
    while (c) {
        size_class *next = c->next;
        cio__slab *sl = c->slabs;
        while (sl) {
            cio__slab *sn = sl->next;
            for (unsigned i = 0; i < sl->carved; i++)
                VALGRIND_STACK_DEREGISTER(sl->stacks[i].vg_id);
            unpoison(sl->base, sl->map_len);
            munmap(sl->base, sl->map_len);
            slab_record_free(sl);
            sl = sn;
        }
        free(c);
        c = next;
    }
    while (pool->chunks) {
        void *next = *(void **)pool->chunks;
        munmap(pool->chunks, RECORD_CHUNK);
        pool->chunks = next;
    }
    free(pool);
}
