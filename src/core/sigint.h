/* sigint.h - cio_run's Ctrl-C handling (sigint.c), as asyncio.run's: the
 * first SIGINT cancels the main task, the second meets the default action.
 * run.c starts it; src/process turns it off when the program installs a
 * SIGINT handler of its own on the loop. */
#ifndef CIO_CORE_SIGINT_H
#define CIO_CORE_SIGINT_H

#include "core/internal.h"

typedef struct cio__run_sigint cio__run_sigint;

/* Handle SIGINT for cio_run's `main` on `loop` until the loop closes:
 * NULL (nothing done) when opts->no_sigint is set, off the main thread,
 * when SIGINT does not have its default disposition, or on failure. */
cio__run_sigint *cio__run_sigint_start(cio_loop *loop, cio_future *main,
                                       const cio_loop_options *opts);

/* main's status `rc` as cio_run returns it: CIO_EINTERRUPTED when a SIGINT
 * cancelled main and main ended cancelled. `s` may be NULL. */
int cio__run_sigint_status(const cio__run_sigint *s, int rc);

/* Stop cio_run's SIGINT handling on `loop`, if it has any (the program is
 * installing a handler of its own). */
void cio__run_sigint_disable(cio_loop *loop);

#endif /* CIO_CORE_SIGINT_H */
