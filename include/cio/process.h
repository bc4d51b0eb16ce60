/* cio/process.h - subprocesses and signals: asyncio's
 * create_subprocess_exec / create_subprocess_shell, the Process object,
 * and loop.add_signal_handler.
 *
 * Everything here belongs to a loop and to the loop's thread, like the
 * futures of cio/core.h. The suspending calls (cio_process_wait,
 * cio_process_communicate) must be called from a task of that loop.
 *
 * SIGNALS
 *
 *   cio_add_signal_handler(loop, SIGTERM, on_term, arg) runs on_term on the
 *   loop's thread, on the loop's stack like a cio_call_soon callback (it
 *   must not suspend), after the signal arrived. libuv turns the signal
 *   into a loop event, so the callback may do anything a loop callback may
 *   (cancel a task, set an event); it is not a C signal handler. A handler
 *   keeps the loop alive, as any I/O: a loop waiting only for a signal waits
 *   (no CIO_EDEADLK).
 *
 *   cio_run's own Ctrl-C handling (the first SIGINT cancels the main task,
 *   the second ends the process) is described with cio_run in cio/core.h;
 *   cio_exit_status() below turns its status into main()'s.
 *
 * SUBPROCESSES
 *
 *   cio_process *p = cio_create_subprocess_exec(
 *       (const char *[]){"sort", "-r", NULL},
 *       &(cio_process_options){.in = CIO_STDIO_PIPE, .out = CIO_STDIO_PIPE});
 *   char *out; size_t n; int status;
 *   cio_process_communicate(p, "b\na\n", 4, &out, &n, NULL, NULL);
 *   cio_process_wait(p, &status);          // 0: exited with 0
 *   free(out);
 *   cio_process_free(p);
 *
 *   The child is started at once (spawning does not suspend: posix_spawn
 *   reports a failed exec as its result). Every descriptor cio opens is
 *   close-on-exec, so the child gets its 0, 1 and 2 and only what the
 *   program itself left inheritable. Every child is waited for: cio leaves
 *   no zombie and no descriptor behind, whatever the program does with the
 *   object (see cio_process_free and the loop's closing below). The child
 *   starts with the default action for every signal and no signal
 *   blocked, as with libuv.
 *
 *   REAPING. A loop that started a child listens for SIGCHLD (a libuv
 *   signal watcher, which coexists with other libuv users and with
 *   cio_add_signal_handler) and then calls waitpid(pid, WNOHANG) for each
 *   of its own children, never waitpid(-1). What a program must not do
 *   while cio children run: reap them itself (waitpid(-1), wait(), or
 *   SIGCHLD set to SIG_IGN, which makes the kernel reap them): cio then
 *   reports -ECHILD from cio_process_wait, their status being lost; or
 *   replace the SIGCHLD handler with its own sigaction (libuv's is then
 *   gone and cio never hears of an exit: use cio_add_signal_handler for
 *   SIGCHLD instead); or block SIGCHLD in every thread.
 *
 *   What cio never does is kill a child on its own. Freeing the object or
 *   cancelling a task that waits for the child leaves the child running.
 *   When the loop closes with children still running, they are left
 *   running; cio reports each one as a diagnostic ("process 1234 (sleep) was
 *   still running when its loop closed"), closes the pipes to it, and hands
 *   it to a small detached thread that waits for it, so that it does not
 *   stay a zombie. Its exit status is then lost. Kill (cio_process_kill)
 *   and wait for what you start if its end matters.
 */
#ifndef CIO_PROCESS_H
#define CIO_PROCESS_H

#include "cio/core.h"
#include "cio/net.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Signals                                                                  */
/* ------------------------------------------------------------------------ */

/* A signal handler: `signum` is the signal that arrived. Runs on the loop's
 * stack; must not suspend. Several deliveries of a signal before the loop
 * looks may be reported once (signals do not queue). */
typedef void (*cio_signal_fn)(int signum, void *arg);

/* asyncio's loop.add_signal_handler: call cb(signum, arg) on `loop` (NULL:
 * the running loop, else the thread's current loop) each time the process
 * receives `signum`. A second call for the same signal on the same loop
 * replaces the callback. Handling SIGINT this way replaces cio_run's Ctrl-C
 * handling for the rest of the run. Returns 0; CIO_EINVAL for a NULL cb or
 * a number that is not a signal (asyncio's ValueError); CIO_EBADSIGNAL for
 * SIGKILL and SIGSTOP (which cannot be caught) and for SIGSEGV, SIGBUS,
 * SIGFPE and SIGILL (a fault must be handled where it happens, not later
 * on the loop); CIO_ENOLOOP, CIO_ELOOPCLOSED, CIO_EWRONGLOOP (another
 * thread's loop); CIO_ENOMEM. The message says which
 * (cio_last_error_message). */
CIO_API int cio_add_signal_handler(cio_loop *loop, int signum, cio_signal_fn cb,
                                   void *arg);

/* asyncio's loop.remove_signal_handler: 1 if a handler for signum was
 * removed, 0 if there was none; the same errors as add for a bad signal or
 * loop. When the last loop handling the signal removes its handler, the
 * signal gets its default action back (SIGINT then ends the process, as
 * SIGTERM does). Closing a loop removes its handlers. */
CIO_API int cio_remove_signal_handler(cio_loop *loop, int signum);

/* What main() should return for cio_run's status `rc`: 0 for 0, 130
 * (128 + SIGINT, what a shell reports after Ctrl-C) for CIO_EINTERRUPTED,
 * 1 for any other error:
 *
 *     int main(void) { return cio_exit_status(cio_run(amain, NULL, NULL)); }
 *
 * Python ends a program interrupted by Ctrl-C by killing itself with
 * SIGINT once the clean-up is done; cio returns instead, so that main()
 * can still do its own. A program that wants Python's exact ending calls
 * signal(SIGINT, SIG_DFL); raise(SIGINT); when rc is CIO_EINTERRUPTED. */
CIO_API int cio_exit_status(int rc);

/* ------------------------------------------------------------------------ */
/* Subprocesses                                                             */
/* ------------------------------------------------------------------------ */

/* Where a child's stdin, stdout or stderr goes (asyncio's stdin=...). */
typedef enum cio_stdio {
    CIO_STDIO_INHERIT = 0, /* the parent's own (asyncio's None), default */
    CIO_STDIO_PIPE,        /* a pipe to this process: a cio_stream */
    CIO_STDIO_DEVNULL,     /* /dev/null */
    CIO_STDIO_FD,          /* the caller's descriptor in in_fd/out_fd/err_fd
                              (the child gets a copy; the caller keeps it) */
    CIO_STDIO_STDOUT       /* stderr only: wherever stdout goes */
} cio_stdio;

typedef struct cio_process_options {
    cio_stdio in, out, err;    /* stdin, stdout, stderr: all zero = inherit */
    int in_fd, out_fd, err_fd; /* with CIO_STDIO_FD */
    const char *cwd;           /* the child's working directory; NULL: ours */
    /* The child's environment, "NAME=value" strings ending with NULL;
     * NULL: this process's environment. The program is looked up in the
     * PATH of the environment the child gets. */
    const char *const *env;
    /* Start the child in a new session (setsid), which also makes it the
     * leader of a new process group (asyncio's start_new_session): a
     * Ctrl-C at the terminal no longer reaches it, and
     * kill(-cio_process_pid(p), sig) reaches it with everything it
     * started. */
    bool new_session;
    /* Start the child in a new process group of its own (its pgid is its
     * pid) in our session (asyncio's process_group=0): it still has our
     * controlling terminal, but a signal to our group (Ctrl-C at the
     * terminal) does not reach it, and kill(-cio_process_pid(p), sig)
     * reaches it with everything it started. Set by the child before its
     * exec, so there is no moment where it runs in our group. Implied by
     * new_session. */
    bool new_process_group;
    /* Options of the pipe streams (NULL: asyncio's defaults). */
    const cio_stream_options *stream;
} cio_process_options;

typedef struct cio_process cio_process;

/* asyncio.create_subprocess_exec: start argv[0] (looked up in the PATH of
 * the child's environment unless it contains a '/'; a file that is not a
 * binary and has no #! line runs under /bin/sh, as execvp does) with the
 * arguments argv[0..] (NULL-terminated), on the running loop (else the
 * thread's current loop). Does not suspend.
 * Returns the process, which the caller frees with cio_process_free, or
 * NULL with cio_last_error() and a message that names the program:
 *   -ENOENT  no such program (not in PATH), or cwd does not exist;
 *   -EACCES  the file is not executable (no x bit, a directory), or a
 *            directory of its path or cwd may not be searched;
 *   -EMFILE / -ENFILE  out of file descriptors (the pipes, or the child's);
 *   -EAGAIN  no more processes now (RLIMIT_NPROC, the kernel's limits);
 *   CIO_EINVAL  NULL or empty argv, a bad option (CIO_STDIO_STDOUT for
 *            stdin or stdout, a negative fd with CIO_STDIO_FD);
 *   CIO_ENOLOOP, CIO_ELOOPCLOSED, CIO_EWRONGLOOP, CIO_ENOMEM;
 *   any other error of exec as its negated errno (-ENOEXEC...). */
CIO_API cio_process *
cio_create_subprocess_exec(const char *const argv[],
                           const cio_process_options *opts);

/* asyncio.create_subprocess_shell: run `cmd` with /bin/sh -c. The same
 * errors; a command the shell cannot find is the shell's exit status 127,
 * not an error here. */
CIO_API cio_process *
cio_create_subprocess_shell(const char *cmd, const cio_process_options *opts);

/* The child's process id (-1 for NULL). It stays the same after the child
 * exited, but the id may then be reused by another process. */
CIO_API int cio_process_pid(const cio_process *p);

/* The pipes to the child: the streams for CIO_STDIO_PIPE (NULL
 * otherwise), owned by the process (valid until cio_process_free; do not
 * free them). Write to stdin and close it (cio_stream_close or
 * cio_stream_write_eof) so that the child sees EOF; read stdout and stderr
 * with cio_stream_read / readline. */
CIO_API cio_stream *cio_process_stdin(cio_process *p);
CIO_API cio_stream *cio_process_stdout(cio_process *p);
CIO_API cio_stream *cio_process_stderr(cio_process *p);

/* The return code once the child has exited: true and *returncode (if not
 * NULL) is the exit status (0..255), or -N if signal N killed it (asyncio's
 * returncode); false while it runs (and for NULL). */
CIO_API bool cio_process_returncode(const cio_process *p, int *returncode);

/* asyncio's Process.wait: suspend until the child exits, then store its
 * return code (see cio_process_returncode) in *returncode (may be NULL).
 * Returns 0, CIO_ECANCELED (the child keeps running and the process can
 * be waited for again), -ECHILD (something else reaped the child: see
 * REAPING above), CIO_ENOTASK, CIO_EWRONGLOOP, CIO_ELOOPCLOSED,
 * CIO_EINVAL. As in asyncio, a child that writes more to a pipe than the
 * pipe holds waits for a reader: with CIO_STDIO_PIPE, read the pipes (or
 * use cio_process_communicate) before or while waiting. */
CIO_API int cio_process_wait(cio_process *p, int *returncode);

/* asyncio's Process.communicate: write `input` (len bytes; NULL or 0: none)
 * to the child's stdin and close it, while reading stdout and stderr to
 * their ends, all at the same time (a child that writes megabytes before
 * reading its input never deadlocks), then wait for the child to exit.
 * *out / *err receive what was read, malloc'd and NUL-terminated (free()
 * them), with the lengths in *out_len / *err_len; pass NULL for what you
 * do not want (it is still read, and dropped). For an output that is not
 * CIO_STDIO_PIPE, *out (or *err) is NULL and the length 0; input needs
 * stdin to be CIO_STDIO_PIPE (CIO_EINVAL otherwise). stdin is closed even
 * when input is empty. A child that exits without reading all of its input
 * is no error (asyncio ignores the broken pipe too).
 *
 * Returns 0 (the child has exited: cio_process_returncode has its code),
 * CIO_ECANCELED, -ECHILD (see cio_process_wait), a stream's error, CIO_ENOMEM,
 * CIO_ENOTASK, CIO_EINVAL, -EBUSY if another task reads the pipes. On
 * CIO_ECANCELED nothing is lost and the child is left running: the bytes read
 * so far are kept and returned, before the rest, by the next communicate; the
 * input written so far stays written, and the next communicate goes on with the
 * input it is given from the same offset (pass the same input again). The
 * streams stay usable. */
CIO_API int cio_process_communicate(cio_process *p, const void *input,
                                    size_t len, char **out, size_t *out_len,
                                    char **err, size_t *err_len);

/* Send `signum` to the child (asyncio's send_signal; 0 is allowed and only
 * checks that the child is there). Returns 0; -ESRCH once the child has
 * exited (cio never signals a pid it has already reaped, which another
 * process may now own); CIO_EINVAL for a bad number or NULL; another
 * negated errno from kill(2) (-EPERM). terminate sends SIGTERM, kill
 * SIGKILL. With new_session or new_process_group, the child leads a
 * process group of its own: kill(-cio_process_pid(p), sig) reaches its
 * descendants too. */
CIO_API int cio_process_send_signal(cio_process *p, int signum);
CIO_API int cio_process_terminate(cio_process *p);
CIO_API int cio_process_kill(cio_process *p);

/* Give the process object back. The child is not killed: if it still
 * runs, cio keeps waiting for it in the background (it leaves no zombie)
 * and forgets its status. The pipe streams are closed and freed (the
 * child then reads EOF and its writes fail with EPIPE). Returns 0;
 * CIO_EHASWAITERS (nothing done) while a task waits on it in
 * cio_process_wait or cio_process_communicate; CIO_EWRONGLOOP from another
 * thread. NULL is a no-op. After the loop closed it only frees. */
CIO_API int cio_process_free(cio_process *p);

#ifdef __cplusplus
}
#endif

#endif /* CIO_PROCESS_H */
