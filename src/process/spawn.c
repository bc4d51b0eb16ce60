/* spawn.c - create_subprocess_exec / create_subprocess_shell on uv_spawn.
 *
 * cio makes the pipes itself (close-on-exec socket pairs: a pipe could not
 * be half-closed with shutdown, and libuv's own pipes cannot give stderr
 * the end stdout gets) and hands the child its ends as inherited
 * descriptors; our ends become cio streams before the spawn, so that a
 * failure after it cannot leave a running child without an object. */
#include "process/proc.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* What one spawn opens, closed on every path out. */
typedef struct spawn_fds {
    int child[3]; /* the descriptors the child gets as 0, 1, 2 */
    int close[4]; /* ours to close after the spawn: child ends, /dev/null */
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
    cio_process *p = area ? cio__process_new(loop, argv[0], who) : NULL;
    if (!p) {
        if (!area)
            cio__set_error(CIO_ENOMEM, "%s: out of memory", who);
        return NULL;
    }
    spawn_fds f = {.nclose = 0};
    int rc = open_stdio(p, o, &f);
    if (rc != 0) {
        spawn_fds_close(&f);
        spawn_failed(who, argv[0], o->cwd, rc);
        cio__process_discard(p);
        return NULL;
    }
    uv_stdio_container_t stdio[3];
    for (int i = 0; i < 3; i++) {
        stdio[i].flags = UV_INHERIT_FD;
        stdio[i].data.fd = f.child[i];
    }
    /* libuv takes char ** but neither writes through it nor keeps it */
    char **args, **env;
    memcpy(&args, &argv, sizeof args);
    memcpy(&env, &o->env, sizeof env);
    uv_process_options_t uo = {
        .exit_cb = cio__process_exited,
        .file = argv[0],
        .args = args,
        .env = env,
        .cwd = o->cwd,
        .flags = o->new_session ? UV_PROCESS_DETACHED : 0,
        .stdio_count = 3,
        .stdio = stdio,
    };
    rc = uv_spawn(&loop->uv, &p->handle, &uo);
    spawn_fds_close(&f);
    p->handle_open = true; /* uv_spawn initialised it even if it failed */
    if (rc != 0) {
        spawn_failed(who, argv[0], o->cwd, rc);
        cio__process_discard(p);
        return NULL;
    }
    cio__process_started(p, area);
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
