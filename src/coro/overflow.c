/* overflow.c - turning a stack overflow into a message that names the task.
 *
 * A guarded stack overflows into its PROT_NONE page and the kernel raises
 * SIGSEGV. The handler runs on an alternate signal stack (the faulting stack
 * has no room left), checks whether the fault address lies in the running
 * coroutine's guard page, and if so reports the task and aborts. Any other
 * SIGSEGV is passed on to whatever handler was installed before ours.
 */
#include "coro/coro.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ALTSTACK_SIZE ((size_t)64 * 1024)

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

void cio__coro_overflowed(const cio__coro *c) {
    char msg[256];
    size_t n = append(msg, 0, sizeof msg, "cio: task '");
    if (c->name) {
        n = append(msg, n, sizeof msg, c->name);
    } else {
        n = append(msg, n, sizeof msg, "Task-");
        n = append_u64(msg, n, sizeof msg, c->id);
    }
    n = append(msg, n, sizeof msg, "' overflowed its ");
    n = append_u64(msg, n, sizeof msg, c->stack ? c->stack->size / 1024 : 0);
    n = append(msg, n, sizeof msg, " KiB stack\n");
    ssize_t unused = write(STDERR_FILENO, msg, n);
    (void)unused;
    /* abort() must not run on the broken stack's signal: restore defaults */
    signal(SIGABRT, SIG_DFL);
    abort();
}

static void on_segv(int sig, siginfo_t *info, void *uctx) {
    const cio__coro *c = cio__coro_current;
    const char *addr = info->si_addr;
    if (c && c->stack && c->stack->guard && addr >= c->stack->guard &&
        addr < c->stack->lo)
        cio__coro_overflowed(c);
    /* A guard-less stack that ran far enough to fault broke its canary on
     * the way down. */
    if (c && c->stack && c->stack->canary && !cio__stack_canary_ok(c->stack))
        cio__coro_overflowed(c);
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
