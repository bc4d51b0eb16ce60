/* coro.h - stackful coroutines: stacks and the context switch.
 *
 * This layer knows nothing of loops or tasks. A coroutine is a saved stack
 * pointer plus the stack it runs on; the thread's own stack is represented by
 * a "main" coroutine that is never started, only switched away from and back
 * to. Every switch goes through cio__coro_switch(), which also tells the
 * sanitizers and valgrind which stack is live and checks the stack being
 * left (its stack pointer inside it, the canary of a guard-less one). The
 * layer's few Linux-only readings live in linux.c.
 */
#ifndef CIO_CORO_H
#define CIO_CORO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(CIO_CORO_UCONTEXT)
#include <ucontext.h>
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CIO_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define CIO_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(CIO_ASAN)
#define CIO_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__) && !defined(CIO_TSAN)
#define CIO_TSAN 1
#endif

#define CIO_TLS __thread __attribute__((tls_model("initial-exec")))

/* ---- stacks ------------------------------------------------------------ */

typedef struct cio__stack_pool cio__stack_pool;
typedef struct cio__slab cio__slab;

struct cio__coro;

typedef struct cio__stack {
    char *lo;    /* lowest usable byte */
    char *hi;    /* one past the highest usable byte */
    size_t size; /* the size asked for, reported on overflow */
    /* [guard, lo) faults: a guard region or PROT_NONE pages; NULL for a
     * guard-less stack, which has a canary instead */
    char *guard;
    uint64_t *canary;        /* CIO__CANARY_WORDS just below lo, or NULL */
    cio__slab *slab;         /* the slab the stack was carved from, or NULL */
    struct cio__stack *next; /* in the pool's warm, dirty or cold list */
    /* the coroutine that last left the stack (set at every switch away),
     * for the report of a neighbour's crash */
    const struct cio__coro *owner;
    unsigned vg_id; /* valgrind's stack id */
    bool in_use;
    unsigned char state; /* the pool's: in use, warm, dirty or cold */
} cio__stack;

/* A guard-less stack's canary fills the 64 bytes below it: the top of the
 * slot below, which that slot never uses. */
#define CIO__CANARY_WORDS 8
#define CIO__CANARY_MAGIC 0x63696f5f73746b21ull /* "cio_stk!" */
/* The guard below every guarded stack: a guard region where the kernel has
 * them, else PROT_NONE pages (address space, no memory, either way). */
#define CIO__GUARD_SIZE ((size_t)64 * 1024)
/* MADV_GUARD_INSTALL (Linux 6.13) for headers that predate it. */
#define CIO_MADV_GUARD_INSTALL 102

/* A pool of stacks for one thread's loop. NULL on ENOMEM. */
cio__stack_pool *cio__stack_pool_new(void);
/* Unmap every stack; stacks still in use must not run again. */
void cio__stack_pool_free(cio__stack_pool *pool);
/* A stack with at least `size` usable bytes (rounded to pages), from the
 * warm pool if one is there. NULL on ENOMEM. */
cio__stack *cio__stack_get(cio__stack_pool *pool, size_t size);
/* Give a stack back: kept warm, or trimmed (MADV_DONTNEED) once the pool
 * holds enough warm ones. */
void cio__stack_put(cio__stack_pool *pool, cio__stack *stack);
/* Give the pages of finished stacks back to the kernel, in at most `max`
 * system calls (for an idle moment); returns how many stacks it trimmed.
 * A slab whose stacks are all finished is trimmed in one call; the rest
 * only once the pool has idled: no stack taken or given back since the
 * previous call. */
size_t cio__stack_pool_trim(cio__stack_pool *pool, size_t max);
/* Whether a guard-less stack's canary still holds (true for a guarded one:
 * it has none). */
static inline bool cio__stack_canary_ok(const cio__stack *s) {
    if (!s->canary)
        return true;
    uint64_t diff = 0;
    for (int i = 0; i < CIO__CANARY_WORDS; i++)
        diff |= s->canary[i] ^
                (CIO__CANARY_MAGIC ^ (uint64_t)(uintptr_t)&s->canary[i]);
    return diff == 0;
}
/* The in-use guard-less stack just above `s` in its slab (the one whose
 * overflow lands in `s` first), or NULL. Safe in a signal handler. */
const cio__stack *cio__stack_above(const cio__stack *s);
/* Counters for tests and benchmarks: stacks created with a guard region,
 * with a guard page, without a guard (slab), and where they are now. */
typedef struct cio__stack_stats {
    size_t regions, guarded, slab, in_use, warm, dirty, cold;
} cio__stack_stats;
void cio__stack_pool_stats(const cio__stack_pool *pool, cio__stack_stats *out);
/* Whether pools made now give their stacks guard regions
 * (madvise(MADV_GUARD_INSTALL), Linux 6.13+): probed once per process; the
 * environment variable CIO_GUARD_REGIONS=0 turns them off (the fallback
 * below). */
bool cio__stack_guard_regions(void);
/* Turn guard regions on (where the kernel has them) or off for pools made
 * from now on; returns what pools will get. For tests of the fallback. */
bool cio__stack_set_guard_regions(bool on);
/* Without guard regions: how many guard pages the process may still create
 * (the budget is derived from vm.max_map_count, or from the environment
 * variable CIO_GUARD_BUDGET). */
long cio__guard_budget_left(void);

/* ---- what the system says (linux.c; defaults elsewhere) ---------------- */

long cio__os_max_map_count(void); /* vm.max_map_count */
bool cio__os_thp_always(void);    /* transparent huge pages for every map */
long cio__os_thread_count(void);  /* the process's threads, -1 if unknown */
bool cio__os_guard_regions(void); /* madvise(MADV_GUARD_INSTALL) works */
/* Guard regions of `len` bytes at base, base + stride, ... (n of them, at
 * most CIO__GUARD_BATCH) in one system call; false if that cannot be done
 * (nothing or some installed: install them one by one then). */
#define CIO__GUARD_BATCH 256
bool cio__os_guard_strided(char *base, size_t stride, size_t n, size_t len);
/* A private anonymous mapping of len bytes, every page faulted in by one
 * system call where the kernel can (one call instead of a page fault per
 * page, for memory about to be filled); NULL if it cannot be mapped. */
void *cio__os_map_populated(size_t len);

/* ---- coroutines -------------------------------------------------------- */

typedef struct cio__coro cio__coro;
typedef void (*cio__coro_fn)(void *arg);

struct cio__coro {
    void *sp; /* saved stack pointer while switched away */
#if defined(CIO_CORO_UCONTEXT)
    ucontext_t uc;
#endif
    cio__stack *stack; /* NULL for the thread's main coroutine */
#if defined(CIO_CORO_UCONTEXT)
    cio__coro_fn fn;
    void *arg;
#endif
    uint64_t id; /* for the overflow report: "Task-<id>" if it has no name
                    (the owner's origin function gives the name) */
#if defined(CIO_ASAN)
    void *asan_fake;
    const void *asan_bottom;
    size_t asan_size;
#endif
#if defined(CIO_TSAN)
    void *tsan_fiber;
#endif
};

/* Whether a compact coroutine's frames are saved off its shared stack
 * (compact.c): its sp then points, tagged with bit 0, at the buffer that
 * holds them (and their place on the stack), so a compact coroutine costs
 * no field of its own. */
static inline bool cio__coro_saved(const cio__coro *c) {
    return ((uintptr_t)c->sp & 1) != 0;
}

/* Make `main` stand for the calling thread's own stack. */
void cio__coro_init_main(cio__coro *main);
/* Prepare `c` to run fn(arg) on `stack` at its first switch-in. fn must
 * never return: it ends with cio__coro_exit(). */
void cio__coro_start(cio__coro *c, cio__stack *stack, cio__coro_fn fn,
                     void *arg);
/* Print "cio: task 'NAME' overflowed its N KiB stack (created at
 * FILE:LINE)" and abort. Safe in a signal handler. */
__attribute__((noreturn)) void cio__coro_overflowed(const cio__coro *c);
/* The owner's answer to "what is this coroutine's name (NULL: none) and
 * where was it created" for the report (the core's tasks: their name and
 * where cio_create_task was called). Set once; must be safe in a signal
 * handler. */
typedef void (*cio__coro_origin_fn)(const cio__coro *c, const char **name,
                                    const char **file, int *line);
void cio__coro_set_origin(cio__coro_origin_fn fn);

/* The stack pointer of the caller. */
static inline __attribute__((always_inline)) const char *cio__coro_sp(void) {
#if defined(__x86_64__)
    const char *sp;
    __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
    return sp;
#elif defined(__aarch64__)
    const char *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    return sp;
#else
    return (const char *)__builtin_frame_address(0);
#endif
}

/* A stack pointer up to this far below a stack is taken for its overflow
 * (a large local array); further away it is on some other stack (code that
 * switched stacks itself). */
#define CIO__FAR_BELOW ((uintptr_t)1 << 30)

/* Whether `sp` lies below `lo` by at most CIO__FAR_BELOW (one compare). */
static inline bool cio__sp_below(uintptr_t sp, uintptr_t lo) {
    return lo - sp - 1 < CIO__FAR_BELOW;
}

/* The checks of a coroutine being left: its stack pointer is not below its
 * stack (a frame that jumped the guard or the canary and suspends is caught
 * here) and its canary holds. Records it as the stack's owner. */
static inline __attribute__((always_inline)) void
cio__coro_check_leaving(cio__coro *from) {
    cio__stack *s = from->stack;
    if (!s)
        return;
    if (cio__sp_below((uintptr_t)cio__coro_sp(), (uintptr_t)s->lo) ||
        !cio__stack_canary_ok(s))
        cio__coro_overflowed(from);
    s->owner = from;
}

/* Suspend `from` (the running coroutine) and resume `to`. */
extern CIO_TLS cio__coro *cio__coro_current; /* read by the SIGSEGV handler */
#if !defined(CIO_CORO_UCONTEXT)
void cio__ctx_switch(void **save_sp, void *load_sp); /* switch_*.S */
#endif
#if defined(CIO_CORO_UCONTEXT) || defined(CIO_ASAN) || defined(CIO_TSAN)
void cio__coro_switch(cio__coro *from, cio__coro *to);
#else
/* The plain build's switch is inline: it is the hottest path in cio. */
static inline void cio__coro_switch(cio__coro *from, cio__coro *to) {
    cio__coro_check_leaving(from);
    cio__coro_current = to;
    cio__ctx_switch(&from->sp, to->sp);
}
#endif
/* Where the build has it (the plain x86-64 build), a coroutine can also be
 * started by a call (switch_x86_64.S's cio__ctx_call): cio__coro_call runs
 * fn(arg) on `stack` at once as coroutine c, from `from`, the running one.
 * It returns when c switches back to `from` (cio__coro_switch), or when fn
 * returns, after cio__coro_return: c has finished then, and `from` runs
 * again. fn may also end as any coroutine does (cio__coro_exit), once it
 * has switched away. (An eager task's start: sched.c.) */
#if defined(__x86_64__) && !defined(CIO_CORO_UCONTEXT) &&                      \
    !defined(CIO_ASAN) && !defined(CIO_TSAN)
#define CIO__CORO_CALL 1
void cio__ctx_call(void **save_sp, char *top, cio__coro_fn fn, void *arg);
static inline __attribute__((always_inline)) void
cio__coro_call(cio__coro *from, cio__coro *c, cio__stack *stack,
               cio__coro_fn fn, void *arg) {
    c->stack = stack;
    cio__coro_check_leaving(from);
    cio__coro_current = c;
    cio__ctx_call(&from->sp, stack->hi - ((uintptr_t)stack->hi & 15), fn, arg);
}
/* What c does before its fn returns to cio__coro_call's caller `to`. */
static inline __attribute__((always_inline)) void
cio__coro_return(cio__coro *c, cio__coro *to) {
    cio__coro_check_leaving(c);
    cio__coro_current = to;
}
#endif

/* The last switch of a finished coroutine. */
#if defined(CIO_CORO_UCONTEXT) || defined(CIO_ASAN) || defined(CIO_TSAN)
__attribute__((noreturn)) void cio__coro_exit(cio__coro *from, cio__coro *to);
#else
/* Inline in the plain build: a call that never returns would leave an
 * entry on the CPU's return stack buffer, and the coroutine switched to
 * would mispredict its next returns (see switch_x86_64.S). */
__attribute__((noreturn)) static inline __attribute__((always_inline)) void
cio__coro_exit(cio__coro *from, cio__coro *to) {
    cio__coro_check_leaving(from);
    cio__coro_current = to;
    void *dead_sp;
    cio__ctx_switch(&dead_sp, to->sp);
    __builtin_unreachable(); /* nothing switches back to it */
}
#endif
/* Free what the sanitizers keep for a finished (or abandoned) coroutine. */
#if defined(CIO_TSAN)
void cio__coro_destroy(cio__coro *c);
#else
static inline void cio__coro_destroy(cio__coro *c) {
    c->stack = NULL; /* (nothing else is kept: no call, a task's end) */
}
#endif

/* ---- compact coroutines (compact.c) ------------------------------------ *
 *
 * Compact coroutines of one thread share a few run stacks (one per stack
 * size). The one whose frames are on a shared stack is its occupant; when
 * another is about to run there, the occupant's frames, [its sp, the stack's
 * top), are copied to a buffer sized to fit (from size classes, so a
 * million waiting coroutines do not fragment the heap) and the newcomer's
 * are copied back to the same addresses. Copies happen only off the shared
 * stack (on the scheduler's), so a compact coroutine is always entered from
 * and left to a coroutine on another stack. */
typedef struct cio__compact cio__compact;

/* The set of shared stacks and save buffers of one loop. NULL on ENOMEM. */
cio__compact *cio__compact_new(cio__stack_pool *pool);
/* Free the buffers; the shared stacks go with the pool, freed after. */
void cio__compact_free(cio__compact *cp);
/* Make `c` (compact) the occupant of its shared stack, of `size` bytes for
 * a coroutine not started yet (c->stack NULL: start it on the stack
 * returned): the occupant's frames are saved, c's restored. Must not be
 * called on the shared stack. Returns the stack, or NULL on ENOMEM (then
 * nothing changed). */
cio__stack *cio__compact_enter(cio__compact *cp, cio__coro *c, size_t size);
/* A compact coroutine is finished or abandoned: its buffer is freed and
 * its stack no longer held for it. */
void cio__compact_drop(cio__compact *cp, cio__coro *c);
/* Where the bytes of address p in c's frames are now: in its buffer while
 * they are saved, else p itself. */
void *cio__compact_locate(const cio__coro *c, void *p);
/* Whether `p` lies on one of the shared stacks. */
bool cio__compact_on_shared(const cio__compact *cp, const void *p);
/* The bytes held in save buffers and the number of saved coroutines. */
void cio__compact_stats(const cio__compact *cp, size_t *bytes, size_t *count);

/* Per-thread set-up for the overflow report (an alternate signal stack and
 * the SIGSEGV handler); counted, undone by the last thread_done. */
int cio__coro_thread_init(void);
void cio__coro_thread_done(void);

#endif /* CIO_CORO_H */
