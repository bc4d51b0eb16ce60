/* as_completed_range.c - asyncio.as_completed over coroutines it starts
 * itself: the tasks of fn(start)..fn(stop - 1), held by the iterator only
 * (cio/sugar.h). */
#include "combine/internal.h"

#include <stdlib.h>

/* Nobody will take the outcome of tasks made for an iterator that could
 * not be made: stop them before dropping them. */
static void drop_unwatched(cio_future **tasks, size_t n) {
    for (size_t i = 0; i < n; i++)
        (void)cio_cancel(tasks[i], NULL);
    cio_release_all(tasks, n);
}

cio_as_completed_iter *cio_as_completed_range_at(cio_task_fn fn, long start,
                                                 long stop, double timeout,
                                                 const char *file, int line) {
    if (!cio_current_task()) { /* nothing made that could not be awaited */
        cio__set_error(CIO_ENOTASK, "cio_as_completed_range: not in a task");
        return NULL;
    }
    size_t n = stop > start ? (size_t)stop - (size_t)start : 0;
    cio_future *none[1] = {NULL};
    cio_future **tasks = n ? calloc(n, sizeof *tasks) : none;
    if (!tasks) {
        cio__set_error(CIO_ENOMEM, "cio_as_completed_range: out of memory");
        return NULL;
    }
    cio_as_completed_iter *it = NULL;
    if (cio_create_range_at(tasks, fn, start, stop, file, line) == 0) {
        it = cio_as_completed(tasks, n, timeout); /* its own references */
        if (it)
            cio_release_all(tasks, n);
        else
            drop_unwatched(tasks, n);
    }
    if (tasks != none)
        free(tasks);
    return it;
}
