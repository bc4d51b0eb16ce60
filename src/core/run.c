/* run.c - cio_run (asyncio.run) and cio_dump_tasks. */
#include "core/internal.h"
#include "core/sigint.h"

#include <stdlib.h>

/* Cancel every task still pending and run the loop until they have all
 * finished, as asyncio.run does before it closes the loop: every one, a
 * task that already has (or swallowed) a cancellation request included,
 * once. A task created meanwhile (by a cancelled task's clean-up, say) is
 * cancelled in turn. If what is left can never finish (a task that
 * swallowed this cancellation too and waits for nothing), closing the loop
 * reports it. */
static void cancel_at_end(cio__task *t, void *arg) {
    (void)arg;
    if (!t->fut.cancelled_at_end) {
        t->fut.cancelled_at_end = true;
        cio__task_cancel(t, NULL);
    }
}

static int cancel_remaining(cio_loop *loop) {
    int rc = 0;
    while (loop->nlive && rc == 0) {
        cio__live_each(loop, cancel_at_end, NULL);
        rc = cio__loop_run(loop, NULL, true);
    }
    return rc;
}

/* Let the done callbacks that the last tasks scheduled run (they may own
 * memory), for a few passes: a callback that reschedules itself forever
 * must not keep cio_run from returning. */
#define DRAIN_PASSES 16

static void drain_callbacks(cio_loop *loop) {
    for (int i = 0; i < DRAIN_PASSES && loop->ready.count; i++) {
        cio_loop_stop(loop); /* one pass */
        cio__loop_run(loop, NULL, false);
    }
}

int cio_run_ex(cio_task_fn main, void *arg, void **result,
               const cio_loop_options *opts) {
    if (result)
        *result = NULL;
    if (!main)
        return cio__error(CIO_EINVAL, "cio_run: main is NULL");
    if (cio__running_loop)
        return cio__error(
            CIO_ELOOPRUNNING,
            "cio_run: an event loop is already running on this thread");
    cio_loop *previous = cio__thread_loop;
    cio_loop *loop = cio_loop_new(opts);
    if (!loop)
        return cio_last_error();
    if (previous) /* main may close it: keep the object to look at */
        cio__loop_ref(previous);
    cio__thread_loop = loop;
    int rc;
    cio_future *task = cio_create_task_at(loop, main, arg, NULL, "<main>", 0);
    if (!task) {
        rc = cio_last_error();
    } else {
        /* Ctrl-C cancels main (sigint.c) */
        cio__run_sigint *sigint = cio__run_sigint_start(loop, task, opts);
        rc = cio_loop_run_until_done(loop, task, result);
        rc = cio__run_sigint_status(sigint, rc);
        cancel_remaining(loop);
        drain_callbacks(loop);
        cio__loop_run_hooks(loop, CIO__AT_RUN_END);
        cio_release(task);
    }
    cio_loop_close(loop);
    cio__thread_loop = previous && !previous->closed ? previous : NULL;
    if (previous)
        cio__loop_unref(previous);
    return rc;
}

int cio_run(cio_task_fn main, void *arg, void **result) {
    return cio_run_ex(main, arg, result, NULL);
}

/* What a started task waits for (an unstarted one holds its function and
 * argument where these are: see cio__task). */
static void dump_wait(FILE *out, cio_loop *loop, const cio__task *t) {
    if (!t->fut.started)
        return;
    if (t->waiting && t->waiting->is_task) {
        char other[64];
        fprintf(out, ", awaiting task '%s'",
                cio__task_name(cio__container_of(t->waiting, cio__task, fut),
                               other, sizeof other));
    } else if (t->waiting) {
        fprintf(out, ", awaiting a future");
    } else if (t->parked) {
        fprintf(out, ", waiting on a lock, queue or other sync object");
    } else if (t->step.timer.index != CIO__NOT_ARMED) {
        fprintf(out, ", sleeping for %.3f s more",
                ((double)cio__timer_when(loop, &t->step.timer) -
                 (double)cio__loop_now(loop)) /
                    1e9);
    }
}

/* One line of cio_dump_tasks. */
static void dump_one(cio__task *t, void *arg) {
    FILE *out = arg;
    cio_loop *loop = t->fut.loop;
    char name[64];
    const char *file;
    int line;
    cio__site_get(t->created_at, &file, &line);
    fprintf(out, "  task '%s' %s, created at %s:%d",
            cio__task_name(t, name, sizeof name),
            cio_state_name((cio_state)t->fut.state), file, line);
    if (t == cio__current_task)
        fprintf(out, ", running now");
    else if (!t->fut.started)
        fprintf(out, ", not started");
    else if (!t->fut.in_eager && t->where_file)
        fprintf(out, ", suspended at %s:%d", t->where_file, (int)t->step.spare);
    dump_wait(out, loop, t);
    if (t->cancel_requests)
        fprintf(out, ", cancelling (%d)", t->cancel_requests);
    fputc('\n', out);
}

int cio_dump_tasks(cio_loop *loop, FILE *out) {
    if (!out)
        return cio__error(CIO_EINVAL, "cio_dump_tasks: out is NULL");
    loop = cio__pick_loop(loop, "cio_dump_tasks");
    if (!loop)
        return cio_last_error();
    fprintf(out, "cio: %zu task%s not done\n", loop->nlive,
            loop->nlive == 1 ? "" : "s");
    cio__live_each(loop, dump_one, out);
    return 0;
}
