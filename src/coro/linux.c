/* linux.c - what cio reads from Linux's /proc and /sys, in one place (as
 * libuv keeps src/unix/linux.c): other systems get the defaults below. */
#include "coro/coro.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/syscall.h>
#include <sys/uio.h>
#endif

#if defined(__linux__)
static long read_long(const char *path, long fallback) {
    FILE *f = fopen(path, "r");
    if (!f)
        return fallback;
    long v;
    if (fscanf(f, "%ld", &v) != 1)
        v = fallback;
    fclose(f);
    return v;
}
#endif

long cio__os_max_map_count(void) {
#if defined(__linux__)
    return read_long("/proc/sys/vm/max_map_count", 65530);
#else
    return 65530;
#endif
}

bool cio__os_thp_always(void) {
#if defined(__linux__)
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (!f)
        return false;
    char mode[64] = "";
    bool always = fgets(mode, sizeof mode, f) && strstr(mode, "[always]");
    fclose(f);
    return always;
#else
    return false;
#endif
}

long cio__os_thread_count(void) {
#if defined(__linux__)
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f)
        return -1;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* the command name (field 2) may hold spaces: count after its ')' */
    const char *p = strrchr(buf, ')');
    long threads = -1;
    if (!p || sscanf(p + 1,
                     " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                     "%*u %*u %*d %*d %*d %*d %ld",
                     &threads) != 1)
        return -1;
    return threads;
#else
    return -1;
#endif
}

bool cio__os_guard_regions(void) {
#if defined(__linux__)
    /* One probe: a two-page mapping, a guard on its first page. Kernels
     * before 6.13 answer EINVAL. */
    long page = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return false;
    bool ok = madvise(m, (size_t)page, CIO_MADV_GUARD_INSTALL) == 0;
    /* and the guard is real: the kernel cannot read it either (an emulator
     * such as qemu-user answers 0 to advice it ignores) */
    int fds[2];
    if (ok && pipe2(fds, O_CLOEXEC) == 0) {
        ok = write(fds[1], m, 1) < 0 && errno == EFAULT;
        close(fds[0]);
        close(fds[1]);
    }
    munmap(m, (size_t)page * 2);
    return ok;
#else
    return false;
#endif
}

bool cio__os_guard_strided(char *base, size_t stride, size_t n, size_t len) {
#if defined(__linux__) && defined(SYS_process_madvise) &&                      \
    defined(SYS_pidfd_open)
    /* process_madvise on the process itself takes any advice since Linux
     * 6.13 (the version that brought guard regions), and many ranges in
     * one call. Older kernels, seccomp filters: false, and the caller
     * installs them one by one. */
    static atomic_bool refused; /* once refused, always refused */
    struct iovec iov[CIO__GUARD_BATCH];
    if (n == 0 || n > CIO__GUARD_BATCH || atomic_load(&refused))
        return false;
    for (size_t i = 0; i < n; i++) {
        iov[i].iov_base = base + i * stride;
        iov[i].iov_len = len;
    }
    long pidfd = syscall(SYS_pidfd_open, (long)getpid(), 0L);
    long done = pidfd < 0
                    ? -1
                    : syscall(SYS_process_madvise, pidfd, iov, (unsigned long)n,
                              (long)CIO_MADV_GUARD_INSTALL, 0L);
    int err = errno;
    if (pidfd >= 0)
        close((int)pidfd);
    if (done < 0 && (err == ENOSYS || err == EPERM || err == EINVAL))
        atomic_store(&refused, true);
    return done >= 0 && (size_t)done == n * len;
#else
    (void)base;
    (void)stride;
    (void)n;
    (void)len;
    return false;
#endif
}

/* MADV_POPULATE_WRITE is Linux 5.14's; older kernels say EINVAL, and the
 * pages fault in one by one as they are first touched. */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux's value, for older C libraries */
#endif

void *cio__os_map_populated(size_t len) {
    void *a = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a == MAP_FAILED)
        return NULL;
#if defined(__linux__)
    (void)madvise(a, len, MADV_POPULATE_WRITE);
#endif
    return a;
}
