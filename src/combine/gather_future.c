/* gather_future.c - gather as a future of its own.
 *
 * asyncio's gather returns a future whose cancel() cancels the children and
 * which stays pending until they have reacted. A plain cio future cannot do
 * that (cio_cancel finishes it at once), but a task can: cancelling it
 * reaches the gather it runs, whose cancel check (gather.c) cancels the
 * children at once and waits, exactly as the await form does. So the
 * gather future is a task running cio_gather, one that starts even if it
 * is cancelled first (cio__task_run_when_cancelled): the gather then takes
 * the pending cancellation before its first wait. Its own cancel check
 * refuses a cancellation once every child is done.
 */
#include "combine/internal.h"

#include <stdint.h>
#include <stdlib.h>

typedef struct gather_job {
    cio__cancel_check check; /* first: the task's cancel check */
    size_t n;
    int flags;
    const char *file;
    int line;
    cio_future *fs[]; /* references */
} gather_job;

static void job_free(void *arg) {
    gather_job *j = arg;
    cio_release_all(j->fs, j->n);
    free(j);
}

/* The task ended without running its body (no memory for its stack), or
 * was dropped unstarted by a closing loop (job_free is the drop): the job
 * is not needed. The body takes this callback away as it starts. */
static void job_unused(cio_future *task, void *arg) {
    (void)task;
    job_free(arg);
}

/* The task's result: NULL, or the failure that decided, with the failed
 * future's message. */
static void *outcome(gather_job *j, int rc, size_t failed) {
    if (rc == 0)
        return NULL;
    if (rc == CIO_ECANCELED && cio_task_cancelling(cio_current_task()) > 0)
        return NULL; /* returning while cancelled: the task ends CANCELLED */
    const char *msg =
        failed < j->n ? cio_future_error_message(j->fs[failed]) : NULL;
    return cio_raise(rc, "%s", msg && *msg ? msg : cio_strerror(rc));
}

/* asyncio's _GatheringFuture.cancel(): the request is made only if a
 * child is still pending to cancel; once all are done the gather keeps
 * their outcome and the cancel returns 0. (Cancelling a done child, a
 * no-op, still marks its failure as seen, as child.cancel() does.) */
static int gather_may_cancel(cio__cancel_check *check, const char *msg) {
    (void)msg; /* the gather it runs passes it to the children */
    gather_job *j = (gather_job *)(void *)check;
    bool pending = false;
    for (size_t i = 0; i < j->n; i++)
        if (!cio_future_done(j->fs[i]))
            pending = true;
    if (!pending)
        for (size_t i = 0; i < j->n; i++)
            cio_cancel(j->fs[i], NULL);
    return pending ? CIO__CANCEL_ALLOW : CIO__CANCEL_REFUSE;
}

static void *gather_body(void *arg) {
    gather_job *j = arg;
    cio_future *self = cio_current_task();
    cio_future_remove_done_callback(self, job_unused, j);
    cio__cleanup cleanup; /* the loop may close while we wait */
    cio__cleanup_push(&cleanup, job_free, j);
    size_t failed = SIZE_MAX;
    int rc =
        cio__gather(j->fs, j->n, NULL, j->flags, &failed, j->file, j->line);
    cio__cleanup_pop(&cleanup);
    void *ret = outcome(j, rc, failed); /* cio_raise copies the message */
    cio__task_set_cancel_check(self, NULL);
    job_free(j);
    return ret;
}

static cio_future *done_future(cio_loop *loop) {
    cio_future *f = cio_future_new(loop);
    if (f)
        cio_future_set_result(f, NULL);
    return f;
}

static cio_future *fail(int code, const char *what) {
    cio__set_error(code, "cio_gather_future: %s", what);
    return NULL;
}

cio_future *cio_gather_future_at(cio_future *const *futures, size_t n,
                                 int flags, const char *file, int line) {
    if (flags & ~CIO_RETURN_ERRORS)
        return fail(CIO_EINVAL, "unknown flags");
    cio_loop *loop = cio__combine_loop(futures, n);
    if (!loop)
        return fail(CIO_ENOLOOP, "no event loop on this thread");
    int rc = cio__check_futures(futures, n, loop, NULL, false);
    if (rc)
        return fail(rc, rc == CIO_EINVAL ? "NULL array or entry"
                                         : "a future of another loop");
    if (n == 0)
        return done_future(loop);
    gather_job *j = malloc(sizeof *j + n * sizeof j->fs[0]);
    if (!j)
        return fail(CIO_ENOMEM, "out of memory");
    j->check.allow = gather_may_cancel;
    j->n = n;
    j->flags = flags;
    j->file = file;
    j->line = line;
    for (size_t i = 0; i < n; i++)
        j->fs[i] = cio_retain(futures[i]);
    const cio_task_options opts = {.name = "gather"};
    cio_future *task =
        cio_create_task_at(loop, gather_body, j, &opts, file, line);
    if (!task) {
        job_free(j);
        return NULL; /* cio_create_task_at left the error */
    }
    if (cio__future_add_done_callback_ex(task, job_unused, j, job_free) != 0) {
        cio_cancel(task, NULL); /* it will never run, so j is unused */
        job_free(j);
        cio_release(task);
        return fail(CIO_ENOMEM, "out of memory");
    }
    cio__task_run_when_cancelled(task);
    cio__task_set_cancel_check(task, &j->check);
    return task;
}
