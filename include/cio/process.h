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
 *   The child is started at once (spawning does not suspend: libuv reports
 *   a failed exec synchronously). Every descriptor cio opens for a child is
 *   close-on-exec, and every child is waited for: cio leaves no zombie and
 *   no descriptor behind, whatever the program does with the object (see
 *   cio_process_free and the loop's closing below).
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

#ifdef __cplusplus
}
#endif

#endif /* CIO_PROCESS_H */
