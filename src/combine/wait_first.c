/* wait_first.c - the races of cio/sugar.h: asyncio.wait(FIRST_COMPLETED)
 * and the winner's result in one call (cio_wait_first), and the same with
 * the tasks made for it (cio_first_completed). */
#include "combine/internal.h"

#include <stdint.h>
#include <stdlib.h>

/* cio_wait with CIO_FIRST_COMPLETED: the number done (futures partitioned,
 * the winner first), or cio_wait's error with a message. */
static long wait_first(cio_future **futures, size_t n, const char *file,
                       int line) {
    long done = cio_wait_at(futures, n, CIO_FIRST_COMPLETED, CIO_NO_TIMEOUT,
                            file, line);
    if (done < 0 && cio_last_error() != (int)done) /* keep cio_wait's words */
        cio__set_error((int)done, "cio_wait_first: %s",
                       cio_strerror((int)done));
    return done;
}

/* The winner's outcome, after wait_first returned `done` > 0. */
static int take_winner(cio_future **futures, long done, void **result,
                       const char *file, int line) {
    /* those that finished in the same pass lost the race: their outcome
     * is seen (a failure of theirs is not reported as never retrieved) */
    for (long i = 1; i < done; i++)
        (void)cio_future_error(futures[i]);
    return cio_await_result_at(futures[0], result, file, line);
}

int cio_wait_first_at(cio_future **futures, size_t n, void **result,
                      const char *file, int line) {
    if (result)
        *result = NULL;
    long done = wait_first(futures, n, file, line);
    if (done < 0)
        return (int)done;
    return take_winner(futures, done, result, file, line);
}

/* The tasks are the loop's once created: only the winner's outcome is
 * taken here, the others run on (the loop holds its own reference to each
 * task until it is done) and are cancelled by cio_run at the end, as
 * asyncio.run cancels what main left pending. */
int cio_first_completed_at(cio_task_fn fn, void *array, size_t size, size_t n,
                           void **result, const char *file, int line) {
    if (result)
        *result = NULL;
    if (n == 0 || n > SIZE_MAX / sizeof(cio_future *)) {
        cio__set_error(CIO_EINVAL, "cio_first_completed: n must be in 1..%zu",
                       SIZE_MAX / sizeof(cio_future *));
        return CIO_EINVAL;
    }
    if (!cio_current_task()) { /* nothing made that could not be awaited */
        cio__set_error(CIO_ENOTASK, "cio_first_completed: not in a task");
        return CIO_ENOTASK;
    }
    cio_future *small[8];
    cio_future **tasks = n <= 8 ? small : malloc(n * sizeof *tasks);
    if (!tasks) {
        cio__set_error(CIO_ENOMEM,
                       "cio_first_completed: no memory for %zu "
                       "tasks",
                       n);
        return CIO_ENOMEM;
    }
    int rc = cio_create_each_at(tasks, fn, array, size, n, file, line);
    if (rc == 0) {
        long done = wait_first(tasks, n, file, line);
        if (done > 0) {
            rc = take_winner(tasks, done, result, file, line);
        } else { /* the caller was cancelled: nobody would take them */
            rc = (int)done;
            for (size_t i = 0; i < n; i++)
                (void)cio_cancel(tasks[i], NULL);
        }
        cio_release_all(tasks, n);
    }
    if (tasks != small)
        free(tasks);
    return rc;
}
