/* process_helpers.h - what the process tests share: counting this
 * process's open descriptors and its children (zombies included), and
 * waiting for a pid to disappear. Include after cio_test.h. */
#ifndef CIO_PROCESS_HELPERS_H
#define CIO_PROCESS_HELPERS_H

#include <dirent.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

/* Open descriptors of this process. */
static inline int count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own */
}

/* The parent pid of `pid` from /proc, or -1 if it is gone. */
static inline int ppid_of(int pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the name may hold spaces */
    int ppid = -1;
    if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
        return -1;
    return ppid;
}

/* Children of this process, zombies included. */
static inline int count_children(void) {
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    int n = 0, me = (int)getpid();
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int pid = atoi(e->d_name);
        if (pid > 0 && ppid_of(pid) == me)
            n++;
    }
    closedir(d);
    return n;
}

/* Whether `pid` is still a child of ours (running or a zombie). */
static inline bool is_our_child(int pid) {
    return ppid_of(pid) == (int)getpid();
}

/* Wait (real time, generous) until `pid` is no child of ours any more. */
static inline bool wait_gone(int pid, double seconds) {
    double end = now_real() + seconds;
    while (is_our_child(pid)) {
        if (now_real() > end)
            return false;
        usleep(2000);
    }
    return true;
}

#endif /* CIO_PROCESS_HELPERS_H */
