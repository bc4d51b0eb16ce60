/* coro.c - starting, switching and ending coroutines.
 *
 * The switch itself is a few instructions of assembly (switch_*.S) or, in
 * the fallback build, swapcontext(). Around it go the annotations that let
 * AddressSanitizer, ThreadSanitizer and valgrind follow a program whose
 * stack pointer jumps between stacks, and the checks of the stack being left
 * (its stack pointer inside it, the canary of a guard-less one).
 */
#include "coro/coro.h"

#include <string.h>

#if defined(CIO_ASAN)
#include <sanitizer/asan_interface.h>
#endif
#if defined(CIO_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

#if !defined(CIO_CORO_UCONTEXT)
void cio__ctx_entry(void);
#endif

#if defined(CIO_CORO_UCONTEXT) || defined(CIO_ASAN) || defined(CIO_TSAN)
/* The coroutine that switched to the running one; the entry trampoline
 * needs it to learn the bounds of the stack it came from (ASan). */
static CIO_TLS cio__coro *switched_from;
#endif
CIO_TLS cio__coro *cio__coro_current;

void cio__coro_init_main(cio__coro *main) {
    memset(main, 0, sizeof *main);
#if defined(CIO_TSAN)
    main->tsan_fiber = __tsan_get_current_fiber();
#endif
    if (!cio__coro_current)
        cio__coro_current = main;
}

#if defined(CIO_CORO_UCONTEXT) || defined(CIO_ASAN) || defined(CIO_TSAN)
/* (the plain build switches inline: cio__coro_switch is in coro.h) */
/* Inlined into its callers on purpose: ThreadSanitizer keeps a shadow call
 * stack per fiber, so the fiber switch must happen in the frame that makes
 * the real switch, not in a function that returns on the other fiber. */
static inline __attribute__((always_inline)) void
before_switch(cio__coro *from, cio__coro *to, bool exiting) {
    cio__coro_check_leaving(from);
    switched_from = from;
    cio__coro_current = to;
#if defined(CIO_ASAN)
    __sanitizer_start_switch_fiber(exiting ? NULL : &from->asan_fake,
                                   to->asan_bottom, to->asan_size);
#else
    (void)exiting;
#endif
#if defined(CIO_TSAN)
    __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
}

#endif

/* Runs on the coroutine's stack right after a switch into it. */
static inline __attribute__((always_inline)) void
after_switch(cio__coro *self) {
#if defined(CIO_ASAN)
    const void *bottom = NULL;
    size_t size = 0;
    __sanitizer_finish_switch_fiber(self->asan_fake, &bottom, &size);
    /* The main coroutine's bounds are only known to ASan: learn them from
     * the first switch that leaves it. */
    if (switched_from && !switched_from->asan_bottom) {
        switched_from->asan_bottom = bottom;
        switched_from->asan_size = size;
    }
#else
    (void)self;
#endif
}

#if defined(CIO_CORO_UCONTEXT)
static void uc_entry(void) {
    cio__coro *self = cio__coro_current;
    after_switch(self);
    self->fn(self->arg);
    __builtin_trap(); /* fn ends with cio__coro_exit() */
}
#else
static void entry(cio__coro *self, cio__coro_fn fn, void *arg) {
    after_switch(self);
    fn(arg);
    __builtin_trap();
}
#endif

void cio__coro_start(cio__coro *c, cio__stack *stack, cio__coro_fn fn,
                     void *arg) {
    c->stack = stack;
#if defined(CIO_ASAN)
    c->asan_fake = NULL;
    c->asan_bottom = stack->lo;
    c->asan_size = (size_t)(stack->hi - stack->lo);
#endif
#if defined(CIO_TSAN)
    c->tsan_fiber = __tsan_create_fiber(0);
#endif
#if defined(CIO_CORO_UCONTEXT)
    c->fn = fn;
    c->arg = arg;
    getcontext(&c->uc);
    c->uc.uc_stack.ss_sp = stack->lo;
    c->uc.uc_stack.ss_size = (size_t)(stack->hi - stack->lo);
    c->uc.uc_link = NULL;
    makecontext(&c->uc, uc_entry, 0);
#else
    /* A frame as cio__ctx_switch leaves it, top of stack 16-byte aligned.
     * Function pointers go in with memcpy: C has no cast from them to
     * void *, and the slots are plain machine words. */
    char *top = stack->hi - ((uintptr_t)stack->hi & 15);
    void (*const ctx_entry)(void) = cio__ctx_entry;
    void (*const first)(cio__coro *, cio__coro_fn, void *) = entry;
#if defined(__x86_64__)
    /* control words, r15, r14, r13, r12, rbx, rbp, return address; the
     * 16 bytes above hold a zero return address to end backtraces. */
    void **sp = (void **)(void *)(top - 16 - 8 * sizeof(void *));
    memset(sp, 0, 10 * sizeof(void *));
    uint32_t ctl[2] = {0x1F80u, 0x037Fu}; /* MXCSR and x87 CW defaults */
    memcpy(&sp[0], ctl, sizeof ctl);
#if defined(CIO_ASAN) || defined(CIO_TSAN)
    sp[1] = arg;                          /* r15: entry's 3rd argument */
    memcpy(&sp[2], &fn, sizeof fn);       /* r14: its 2nd */
    sp[3] = c;                            /* r13: its 1st */
    memcpy(&sp[4], &first, sizeof first); /* r12: where ctx_entry jumps */
#else
    /* entry() has nothing to do after the switch here: ctx_entry jumps to
     * fn(arg) itself, one frame (and one return stack entry) less */
    (void)first;
    sp[3] = arg;                    /* r13: fn's argument */
    memcpy(&sp[4], &fn, sizeof fn); /* r12: where ctx_entry jumps */
#endif
    memcpy(&sp[7], &ctx_entry, sizeof ctx_entry); /* return address */
#elif defined(__aarch64__)
    void **sp = (void **)(void *)(top - 176);
    memset(sp, 0, 176);
    memcpy(&sp[0], &first, sizeof first);          /* x19 */
    sp[1] = c;                                     /* x20: entry's arguments */
    memcpy(&sp[2], &fn, sizeof fn);                /* x21 */
    sp[3] = arg;                                   /* x22 */
    memcpy(&sp[11], &ctx_entry, sizeof ctx_entry); /* x30 */
#else
#error "no context switch for this architecture: build with -DCIO_UCONTEXT=ON"
#endif
    c->sp = sp;
#endif
}

#if defined(CIO_CORO_UCONTEXT) || defined(CIO_ASAN) || defined(CIO_TSAN)
void cio__coro_switch(cio__coro *from, cio__coro *to) {
    before_switch(from, to, false);
#if defined(CIO_CORO_UCONTEXT)
    swapcontext(&from->uc, &to->uc);
#else
    cio__ctx_switch(&from->sp, to->sp);
#endif
    after_switch(from);
}
#endif

#if defined(CIO_CORO_UCONTEXT) || defined(CIO_ASAN) || defined(CIO_TSAN)
void cio__coro_exit(cio__coro *from, cio__coro *to) {
    before_switch(from, to, true);
#if defined(CIO_CORO_UCONTEXT)
    setcontext(&to->uc);
#else
    void *dead_sp;
    cio__ctx_switch(&dead_sp, to->sp);
#endif
    __builtin_trap(); /* nothing switches back to a finished coroutine */
}
#endif

#if defined(CIO_TSAN)
void cio__coro_destroy(cio__coro *c) {
    if (c->tsan_fiber && c->stack) {
        __tsan_destroy_fiber(c->tsan_fiber);
        c->tsan_fiber = NULL;
    }
    c->stack = NULL;
}
#endif
