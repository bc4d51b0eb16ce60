/* overflow.c - turning a stack overflow into a message that names the task.
 *
 * An overflow that reaches a guard (region or page) below a stack faults, and
 * so does one that runs past a slab's end or into unmapped memory. The
 * SIGSEGV handler runs on an alternate signal stack (the faulting stack has
 * no room left) and blames the running coroutine when
 *   - the fault address lies in its guard, or
 *   - the interrupted stack pointer lies below its stack (a frame that
 *     jumped the guard or the canary, faulting further down), or
 *   - its canary (guard-less stacks) is broken.
 * A guard-less stack can also be written by the task above it in its slab
 * without any fault: when the task below then crashes, the broken canary of
 * the task above (which lives in the crashed task's top bytes) names the
 * culprit; without that evidence the report names the crashed task and the
 * one above it as the suspect. Any other SIGSEGV is passed on to whatever
 * handler was installed before ours.
 */
#include "coro/coro.h"

#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define ALTSTACK_SIZE ((size_t)64 * 1024)

static _Atomic(cio__coro_origin_fn) origin_fn;

void cio__coro_set_origin(cio__coro_origin_fn fn) {
    atomic_store(&origin_fn, fn);
}

static struct sigaction previous_segv;
static pthread_once_t handler_once = PTHREAD_ONCE_INIT;

static CIO_TLS unsigned thread_users;
static CIO_TLS void *altstack; /* ours, if we installed one */

static size_t append(char *buf, size_t at, size_t cap, const char *s) {
    while (*s && at + 1 < cap)
        buf[at++] = *s++;
    buf[at] = '\0';
    return at;
}

static size_t append_u64(char *buf, size_t at, size_t cap, uint64_t v) {
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n && at + 1 < cap)
        buf[at++] = digits[--n];
    buf[at] = '\0';
    return at;
}

static size_t append_task(char *buf, size_t at, size_t cap,
                          const cio__coro *c) {
    cio__coro_origin_fn fn = atomic_load(&origin_fn);
    const char *name = NULL, *file = NULL;
    int line = 0;
    if (fn)
        fn(c, &name, &file, &line);
    at = append(buf, at, cap, "task '");
    if (name) {
        at = append(buf, at, cap, name);
    } else {
        at = append(buf, at, cap, "Task-");
        at = append_u64(buf, at, cap, c->id);
    }
    return append(buf, at, cap, "'");
}

static size_t append_origin(char *buf, size_t at, size_t cap,
                            const cio__coro *c) {
    cio__coro_origin_fn fn = atomic_load(&origin_fn);
    const char *name = NULL, *file = NULL;
    int line = 0;
    if (fn)
        fn(c, &name, &file, &line);
    if (!file)
        return at;
    at = append(buf, at, cap, " (created at ");
    at = append(buf, at, cap, file);
    at = append(buf, at, cap, ":");
    at = append_u64(buf, at, cap, (uint64_t)(line > 0 ? line : 0));
    return append(buf, at, cap, ")");
}

static void put_stderr(const char *msg, size_t n) {
    ssize_t unused = write(STDERR_FILENO, msg, n);
    (void)unused;
}

__attribute__((noreturn)) static void die(void) {
    /* abort() must not run on the broken stack's signal: restore defaults */
    signal(SIGABRT, SIG_DFL);
    abort();
}

/* "cio: task 'X' overflowed its N KiB stack (created at F:L)", and what it
 * overflowed into if that is known. */
__attribute__((noreturn)) static void overflowed(const cio__coro *c,
                                                 const cio__coro *victim) {
    char msg[768];
    size_t n = append(msg, 0, sizeof msg, "cio: ");
    n = append_task(msg, n, sizeof msg, c);
    n = append(msg, n, sizeof msg, " overflowed its ");
    n = append_u64(msg, n, sizeof msg, c->stack ? c->stack->size / 1024 : 0);
    n = append(msg, n, sizeof msg, " KiB stack");
    n = append_origin(msg, n, sizeof msg, c);
    if (victim) {
        n = append(msg, n, sizeof msg, " into the stack of ");
        n = append_task(msg, n, sizeof msg, victim);
        n = append_origin(msg, n, sizeof msg, victim);
        n = append(msg, n, sizeof msg, ", which then crashed");
    }
    n = append(msg, n, sizeof msg, "\n");
    put_stderr(msg, n);
    die();
}

void cio__coro_overflowed(const cio__coro *c) {
    overflowed(c, NULL);
}

/* The interrupted context's stack pointer, or 0. */
static uintptr_t interrupted_sp(const void *uctx) {
    const ucontext_t *uc = uctx;
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext.sp;
#else
    (void)uc;
    return 0;
#endif
}

/* Whether `sp` lies on the thread's alternate signal stack (a handler of
 * the program's that faulted, not a task below its stack). */
static bool on_altstack(uintptr_t sp) {
    stack_t ss;
    if (sigaltstack(NULL, &ss) != 0 || (ss.ss_flags & SS_DISABLE))
        return false;
    uintptr_t lo = (uintptr_t)ss.ss_sp;
    return sp >= lo && sp - lo < ss.ss_size;
}

/* Whether the running coroutine `c` overflowed: see the top of the file. */
static bool is_overflow(const cio__coro *c, const char *addr, uintptr_t sp) {
    const cio__stack *s = c->stack;
    if (s->guard && addr >= s->guard && addr < s->lo)
        return true;
    if (sp && cio__sp_below(sp, (uintptr_t)s->lo) && !on_altstack(sp))
        return true;
    return !cio__stack_canary_ok(s);
}

/* A crash on a guard-less stack with the task above it in use: with its
 * canary broken, that task overflowed into this one; else it is named as
 * the likely cause (a frame of it may have jumped its canary). */
static void blame_above(const cio__coro *c) {
    const cio__stack *above = cio__stack_above(c->stack);
    if (!above || !above->owner || above->owner == c)
        return;
    if (!cio__stack_canary_ok(above))
        overflowed(above->owner, c);
    char msg[768];
    size_t n = append(msg, 0, sizeof msg, "cio: ");
    n = append_task(msg, n, sizeof msg, c);
    n = append_origin(msg, n, sizeof msg, c);
    n = append(msg, n, sizeof msg, " crashed on a guard-less stack; ");
    n = append_task(msg, n, sizeof msg, above->owner);
    n = append_origin(msg, n, sizeof msg, above->owner);
    n = append(msg, n, sizeof msg,
               ", whose stack lies just above, may have overflowed into it "
               "with a frame that jumped its canary\n");
    put_stderr(msg, n);
}

static void on_segv(int sig, siginfo_t *info, void *uctx) {
    const cio__coro *c = cio__coro_current;
    if (c && c->stack) {
        if (is_overflow(c, info->si_addr, interrupted_sp(uctx)))
            overflowed(c, NULL);
        if (c->stack->canary)
            blame_above(c);
    }
    if (previous_segv.sa_flags & SA_SIGINFO) {
        if (previous_segv.sa_sigaction) {
            previous_segv.sa_sigaction(sig, info, uctx);
            return;
        }
    } else if (previous_segv.sa_handler != SIG_DFL &&
               previous_segv.sa_handler != SIG_IGN) {
        previous_segv.sa_handler(sig);
        return;
    }
    /* Default action: let the fault happen again without us. */
    signal(SIGSEGV, SIG_DFL);
}

static void install_handler(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &previous_segv);
}

int cio__coro_thread_init(void) {
    if (thread_users++ > 0)
        return 0;
    pthread_once(&handler_once, install_handler);
    stack_t current;
    if (sigaltstack(NULL, &current) == 0 && !(current.ss_flags & SS_DISABLE))
        return 0; /* the program has its own alternate stack: use it */
    void *mem = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return 0; /* no report on overflow, but everything else works */
    stack_t ss = {.ss_sp = mem, .ss_size = ALTSTACK_SIZE, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) {
        munmap(mem, ALTSTACK_SIZE);
        return 0;
    }
    altstack = mem;
    return 0;
}

void cio__coro_thread_done(void) {
    if (thread_users == 0 || --thread_users > 0)
        return;
    if (altstack) {
        stack_t ss = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
        sigaltstack(&ss, NULL);
        munmap(altstack, ALTSTACK_SIZE);
        altstack = NULL;
    }
}
