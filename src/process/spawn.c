/* spawn.c - create_subprocess_exec / create_subprocess_shell on glibc's
 * posix_spawn.
 *
 * posix_spawn clones the process with CLONE_VM | CLONE_VFORK: no copy of
 * the page tables (libuv's uv_spawn forks), and a failed exec comes back
 * as its return value, without a pipe. cio reaps its children itself
 * (reap.c).
 *
 * cio makes the pipes itself (close-on-exec socket pairs: a pipe could not
 * be half-closed with shutdown) and the child gets its ends by dup2 file
 * actions; our ends become cio streams before the spawn, so that a
 * failure after it cannot leave a running child without an object. Every
 * descriptor cio opens is close-on-exec: the child gets 0, 1, 2 and what
 * the program itself left inheritable, nothing of cio's. */
#include "process/proc.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define UNDER_VALGRIND() RUNNING_ON_VALGRIND
#endif
#endif
#if !defined(UNDER_VALGRIND)
#define UNDER_VALGRIND() 0
#endif

extern char **environ;

/* What one spawn opens, closed on every path out. */
typedef struct spawn_fds {
    int child[3]; /* the descriptors the child gets as 0, 1, 2 */
    int close[8]; /* ours to close after the spawn: child ends, /dev/null,
                     copies of low descriptors */
    int nclose;
} spawn_fds;

static void spawn_fds_close(spawn_fds *f) {
    for (int i = 0; i < f->nclose; i++)
        close(f->close[i]);
    f->nclose = 0;
}

static int check_options(const cio_process_options *o, const char *who) {
    const cio_stdio modes[3] = {o->in, o->out, o->err};
    const int fds[3] = {o->in_fd, o->out_fd, o->err_fd};
    static const char *const names[3] = {"stdin", "stdout", "stderr"};
    for (int i = 0; i < 3; i++) {
        if ((unsigned)modes[i] > CIO_STDIO_STDOUT ||
            (modes[i] == CIO_STDIO_STDOUT && i != 2)) {
            cio__set_error(CIO_EINVAL, "%s: %s: not a valid cio_stdio", who,
                           names[i]);
            return CIO_EINVAL;
        }
        if (modes[i] == CIO_STDIO_FD && fcntl(fds[i], F_GETFD) == -1) {
            cio__set_error(CIO_EINVAL, "%s: %s: %d is not an open descriptor",
                           who, names[i], fds[i]);
            return CIO_EINVAL;
        }
    }
    return 0;
}

/* Our end of a new socket pair as a stream; the child's end in *child. */
static int make_pipe(cio_process *p, int i, const cio_process_options *o,
                     int *child) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return -errno;
    /* each side only goes one way: say so, for EOF and EPIPE to be prompt */
    shutdown(sv[0], i == 0 ? SHUT_RD : SHUT_WR);
    shutdown(sv[1], i == 0 ? SHUT_WR : SHUT_RD);
    p->pipes[i] = cio_stream_open_fd(sv[0], o->stream);
    if (!p->pipes[i]) {
        int rc = cio_last_error();
        close(sv[0]);
        close(sv[1]);
        return rc;
    }
    *child = sv[1];
    return 0;
}

static int open_stdio(cio_process *p, const cio_process_options *o,
                      spawn_fds *f) {
    const cio_stdio modes[3] = {o->in, o->out, o->err};
    const int fds[3] = {o->in_fd, o->out_fd, o->err_fd};
    int devnull = -1;
    for (int i = 0; i < 3; i++) {
        switch (modes[i]) {
        case CIO_STDIO_INHERIT:
            f->child[i] = i;
            break;
        case CIO_STDIO_FD:
            f->child[i] = fds[i];
            break;
        case CIO_STDIO_STDOUT:
            f->child[i] = f->child[1];
            break;
        case CIO_STDIO_DEVNULL:
            if (devnull < 0) {
                devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (devnull < 0)
                    return -errno;
                f->close[f->nclose++] = devnull;
            }
            f->child[i] = devnull;
            break;
        case CIO_STDIO_PIPE: {
            int rc = make_pipe(p, i, o, &f->child[i]);
            if (rc)
                return rc;
            f->close[f->nclose++] = f->child[i];
            break;
        }
        }
    }
    return 0;
}

/* A descriptor the child gets as 0, 1 or 2 that is itself 0, 1 or 2 but
 * not its own slot (stdout given as stdin...) would be overwritten by an
 * earlier dup2 in the child: give it a copy above 2 first. */
static int lift_low_fds(spawn_fds *f) {
    for (int i = 0; i < 3; i++) {
        if (f->child[i] >= 3 || f->child[i] == i)
            continue;
        int fd = fcntl(f->child[i], F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
            return -errno;
        f->close[f->nclose++] = fd;
        for (int k = i + 1; k < 3; k++) /* stderr to stdout follows it */
            if (f->child[k] == f->child[i])
                f->child[k] = fd;
        f->child[i] = fd;
    }
    return 0;
}

/* The child's 0, 1, 2 and working directory; positive errno. */
static int file_actions(posix_spawn_file_actions_t *fa, const spawn_fds *f,
                        const char *cwd) {
    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++) {
        if (f->child[i] != i)
            rc = posix_spawn_file_actions_adddup2(fa, f->child[i], i);
        else if (fcntl(i, F_GETFD) > 0) /* ours, but close-on-exec: glibc */
            rc = posix_spawn_file_actions_adddup2(fa, i, i); /* clears it */
    }
    if (rc == 0 && cwd)
        rc = posix_spawn_file_actions_addchdir_np(fa, cwd);
    return rc;
}

/* Default dispositions and no blocked signal in the child, as libuv does
 * (a loop thread may block signals, and a handler cannot survive exec);
 * a new session or process group. Positive errno. */
static int spawn_attributes(posix_spawnattr_t *a,
                            const cio_process_options *o) {
    sigset_t none, all;
    sigemptyset(&none);
    /* every bit: sigfillset leaves out glibc's two internal signals, which
     * its posix_spawn then sets to SIG_IGN in the child, and an ignored
     * signal stays ignored across exec */
    memset(&all, 0xff, sizeof all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (o->new_session)
        flags |= POSIX_SPAWN_SETSID; /* a session leader leads its group */
    else if (o->new_process_group)
        flags |= POSIX_SPAWN_SETPGROUP; /* pgroup 0: its own pid */
    int rc = posix_spawnattr_setsigmask(a, &none);
    if (rc == 0)
        rc = posix_spawnattr_setsigdefault(a, &all);
    if (rc == 0)
        rc = posix_spawnattr_setpgroup(a, 0);
    if (rc == 0)
        rc = posix_spawnattr_setflags(a, flags);
    return rc;
}

typedef struct spawn_ctx {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    char *const *env; /* what the child gets */
    const char *cwd;
    pid_t pid;
} spawn_ctx;

/* Valgrind runs a vfork as a fork, so glibc's posix_spawn cannot see the
 * exec's error there (the child writes it into memory it no longer
 * shares) and the child only exits with 127. Under valgrind, the parent
 * checks first what exec would refuse: positive errno; ENOEXEC for a file
 * to run under /bin/sh; 0. */
static int valgrind_precheck(const char *path, const char *cwd) {
    char buf[PATH_MAX];
    if (cwd) {
        if (faccessat(AT_FDCWD, cwd, X_OK, AT_EACCESS) != 0)
            return errno;
        if (path[0] != '/') {
            int n = snprintf(buf, sizeof buf, "%s/%s", cwd, path);
            if (n < 0 || (size_t)n >= sizeof buf)
                return ENAMETOOLONG;
            path = buf;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0)
        return errno;
    if (S_ISDIR(st.st_mode) || faccessat(AT_FDCWD, path, X_OK, AT_EACCESS))
        return EACCES;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0; /* execute-only: let exec decide */
    char head[4];
    ssize_t n = read(fd, head, sizeof head);
    close(fd);
    static const char elf[4] = {0x7f, 'E', 'L', 'F'};
    bool binary = n == 4 && memcmp(head, elf, sizeof elf) == 0;
    return binary || (n >= 2 && head[0] == '#' && head[1] == '!') ? 0 : ENOEXEC;
}

/* posix_spawn takes char *const[] but writes through neither array. */
static char *const *unconst(const char *const *v) {
    char *const *r;
    memcpy(&r, &v, sizeof r);
    return r;
}

/* Start `path`; a file exec refuses as not a program (ENOEXEC) runs under
 * /bin/sh, as execvp does (libuv's spawn used execvp). Positive errno. */
static int try_exec(spawn_ctx *c, const char *path, const char *const argv[]) {
    int rc = UNDER_VALGRIND() ? valgrind_precheck(path, c->cwd) : 0;
    if (rc == 0)
        rc =
            posix_spawn(&c->pid, path, &c->fa, &c->attr, unconst(argv), c->env);
    if (rc != ENOEXEC)
        return rc;
    size_t n = 0;
    while (argv[n])
        n++;
    const char **sh = malloc((n + 2) * sizeof *sh);
    if (!sh)
        return ENOMEM;
    sh[0] = "/bin/sh";
    sh[1] = path;
    memcpy(sh + 2, argv + 1, n * sizeof *sh); /* argv[1..], its NULL */
    rc = posix_spawn(&c->pid, "/bin/sh", &c->fa, &c->attr, unconst(sh), c->env);
    free(sh);
    return rc;
}

/* PATH as the child will see it (execvp's default when it has none). */
static const char *path_of(char *const *env) {
    for (; *env; env++)
        if (strncmp(*env, "PATH=", 5) == 0)
            return *env + 5;
    return "/bin:/usr/bin";
}

/* execvp's search, in the parent: a directory of PATH that has no such
 * file is skipped without a spawn; EACCES is kept while the search goes
 * on. Positive errno. */
static int search_path(spawn_ctx *c, const char *const argv[]) {
    const char *prog = argv[0];
    size_t plen = strlen(prog);
    bool denied = false;
    char buf[PATH_MAX];
    for (const char *d = path_of(c->env), *end;; d = end + 1) {
        end = strchrnul(d, ':');
        size_t dl = (size_t)(end - d);
        if (dl + plen + 2 <= sizeof buf) {
            memcpy(buf, d, dl);
            buf[dl] = '/';
            memcpy(buf + dl + 1, prog, plen + 1);
            const char *path = dl ? buf : prog; /* empty: the directory */
            bool absent = path[0] == '/' && access(path, F_OK) != 0 &&
                          (errno == ENOENT || errno == ENOTDIR);
            int rc = absent ? ENOENT : try_exec(c, path, argv);
            if (rc == 0 || (rc != EACCES && rc != ENOENT && rc != ENOTDIR &&
                            rc != ESTALE && rc != ENODEV && rc != ETIMEDOUT))
                return rc;
            denied |= rc == EACCES;
        }
        if (!*end)
            return denied ? EACCES : ENOENT;
    }
}

/* Start the child; its pid in *pid. Negative errno. */
static int start_child(pid_t *pid, const char *const argv[],
                       const cio_process_options *o, spawn_fds *f) {
    spawn_ctx c = {.env = o->env ? unconst(o->env) : environ, .cwd = o->cwd};
    int rc = lift_low_fds(f);
    if (rc != 0)
        return rc;
    rc = posix_spawn_file_actions_init(&c.fa);
    if (rc != 0)
        return -rc;
    rc = posix_spawnattr_init(&c.attr);
    if (rc == 0) {
        rc = file_actions(&c.fa, f, o->cwd);
        if (rc == 0)
            rc = spawn_attributes(&c.attr, o);
        if (rc == 0)
            rc = strchr(argv[0], '/') ? try_exec(&c, argv[0], argv)
                                      : search_path(&c, argv);
        posix_spawnattr_destroy(&c.attr);
    }
    posix_spawn_file_actions_destroy(&c.fa);
    *pid = c.pid;
    return -rc;
}

static void spawn_failed(const char *who, const char *prog, const char *cwd,
                         int rc) {
    switch (rc) {
    case -ENOENT:
        if (cwd && access(cwd, F_OK) != 0)
            cio__set_error(rc, "%s: the working directory '%s' does not exist",
                           who, cwd);
        else
            cio__set_error(rc, "%s: '%s': no such program (%s)", who, prog,
                           strchr(prog, '/') ? "no file at that path"
                                             : "not found in PATH");
        break;
    case -EACCES:
        cio__set_error(rc,
                       "%s: '%s': permission denied (not an executable file, "
                       "or a directory on its path or the working directory "
                       "may not be searched)",
                       who, prog);
        break;
    case -EMFILE:
    case -ENFILE:
        cio__set_error(rc,
                       "%s: cannot start '%s': out of file descriptors (%s): "
                       "close some, or raise RLIMIT_NOFILE",
                       who, prog,
                       rc == -EMFILE ? "this process" : "the system");
        break;
    case -EAGAIN:
        cio__set_error(rc,
                       "%s: cannot start '%s': the system refuses another "
                       "process now (RLIMIT_NPROC or a kernel limit); try "
                       "again later",
                       who, prog);
        break;
    default:
        cio__set_error(rc, "%s: cannot start '%s': %s", who, prog,
                       cio_strerror(rc));
        break;
    }
}

static cio_process *spawn(const char *who, const char *const argv[],
                          const cio_process_options *o) {
    static const cio_process_options defaults;
    if (!o)
        o = &defaults;
    if (!argv || !argv[0] || !argv[0][0]) {
        cio__set_error(CIO_EINVAL, "%s: no program to run", who);
        return NULL;
    }
    if (check_options(o, who) != 0)
        return NULL;
    cio_loop *loop = cio__pick_loop(NULL, who);
    if (!loop)
        return NULL;
    cio__proc_area *area = cio__proc_area_get(loop, true);
    if (!area) {
        cio__set_error(CIO_ENOMEM, "%s: out of memory", who);
        return NULL;
    }
    if (cio__reaper_start(area, loop, who) != 0)
        return NULL;
    cio_process *p = cio__process_new(loop, argv[0], who);
    if (!p)
        return NULL;
    spawn_fds f = {.nclose = 0};
    pid_t pid = -1;
    int rc = open_stdio(p, o, &f);
    if (rc == 0)
        rc = start_child(&pid, argv, o, &f);
    spawn_fds_close(&f);
    if (rc != 0) {
        spawn_failed(who, argv[0], o->cwd, rc);
        cio__process_discard(p);
        return NULL;
    }
    cio__reaper_track(area, p, pid);
    return p;
}

cio_process *cio_create_subprocess_exec(const char *const argv[],
                                        const cio_process_options *opts) {
    return spawn("cio_create_subprocess_exec", argv, opts);
}

cio_process *cio_create_subprocess_shell(const char *cmd,
                                         const cio_process_options *opts) {
    if (!cmd) {
        cio__set_error(CIO_EINVAL, "cio_create_subprocess_shell: no command");
        return NULL;
    }
    const char *const argv[] = {"/bin/sh", "-c", cmd, NULL};
    return spawn("cio_create_subprocess_shell", argv, opts);
}
