/* failalloc.c - the --wrap functions of failalloc.h. Only a test that is
 * linked with --wrap (ctest-wrap:) pulls this object in. */
#include "common/failalloc.h"

#include <errno.h>
#include <execinfo.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
char *__real_strdup(const char *s);
int __real_vasprintf(char **out, const char *fmt, va_list ap);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd,
                  off_t off);

void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
char *__wrap_strdup(const char *s);
int __wrap_vasprintf(char **out, const char *fmt, va_list ap);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
                  off_t off);

static _Thread_local long fail_at; /* 0: off */
static _Thread_local long counted;
static _Thread_local bool fired;

void failalloc_arm(long n) {
    fail_at = n;
    counted = 0;
    fired = false;
}

long failalloc_disarm(void) {
    fail_at = 0;
    return counted;
}

int failalloc_fired(void) {
    return fired;
}

/* Count one allocation; true if it is the one to fail. */
static bool fail_now(void) {
    if (fail_at == 0)
        return false;
    if (++counted != fail_at)
        return false;
    fired = true;
    if (getenv("CIO_FAILALLOC_TRACE")) { /* where it failed, to debug */
        void *frames[16];
        backtrace_symbols_fd(frames, backtrace(frames, 16), 2);
    }
    errno = ENOMEM;
    return true;
}

void *__wrap_malloc(size_t size) {
    return fail_now() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size) {
    return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size) {
    return fail_now() ? NULL : __real_realloc(p, size);
}

char *__wrap_strdup(const char *s) {
    return fail_now() ? NULL : __real_strdup(s);
}

int __wrap_vasprintf(char **out, const char *fmt, va_list ap) {
    if (fail_now()) {
        *out = NULL;
        return -1;
    }
    return __real_vasprintf(out, fmt, ap);
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
                  off_t off) {
    return fail_now() ? MAP_FAILED
                      : __real_mmap(addr, len, prot, flags, fd, off);
}
