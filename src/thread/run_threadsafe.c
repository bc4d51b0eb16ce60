/* run_threadsafe.c - cio_run_coroutine_threadsafe: a task on a loop,
 * started from another thread, seen there as a tfuture.
 *
 * The start is posted to the loop's inbox. On the loop's thread it creates
 * the task and a done callback that copies the task's outcome into the
 * tfuture. The other way, when the tfuture is cancelled (by the thread that
 * waits on it), a cancellation of the task is posted to the loop.
 *
 * The record is counted atomically: one reference for the loop side (the
 * start, then the task's done callback), one for the tfuture's done
 * callback (which hands it to a posted cancellation). The task pointer is
 * touched on the loop's thread only. If the loop closes first, the tfuture
 * fails with CIO_ELOOPCLOSED, or gets the task's outcome if the task
 * finished but its callback had not run yet.
 */
#include "thread/internal.h"

#include <stdlib.h>

typedef struct rct {
    cio__tlink link; /* while the task runs; loop thread only */
    atomic_int refs;
    cio_tfuture *tf;  /* a reference */
    cio__inbox *ib;   /* a reference */
    cio_future *task; /* a reference while it runs; loop thread only */
    cio_task_fn fn;
    void *arg;
    pthread_t loop_thread;
} rct;

static void unref(rct *r) {
    if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1) {
        cio_tfuture_release(r->tf);
        cio__inbox_release(r->ib);
        free(r);
    }
}

static void fail_closed(rct *r, const char *when) {
    cio_tfuture_set_error(r->tf, CIO_ELOOPCLOSED,
                          "the event loop closed before the task %s", when);
}

/* Loop thread: the task is done; hand its outcome over. */
static void copy_task_outcome(rct *r) {
    cio_future *t = r->task;
    int err = cio_future_error(t);
    if (err == 0)
        cio_tfuture_set_result(r->tf, cio_future_result(t));
    else
        cio_tfuture_set_error(r->tf, err, "%s", cio_future_error_message(t));
}

/* Loop thread: the loop side is over. */
static void finish_loop_side(rct *r) {
    cio__tlink_unlink(&r->link);
    cio_release(r->task);
    r->task = NULL;
    unref(r);
}

static void on_task_done(cio_future *task, void *arg) {
    (void)task;
    rct *r = arg;
    copy_task_outcome(r);
    finish_loop_side(r);
}

static void on_close(cio__tlink *link) {
    rct *r = cio__container_of(link, rct, link);
    if (cio_future_done(r->task))
        copy_task_outcome(r);
    else
        fail_closed(r, "finished");
    finish_loop_side(r);
}

/* Loop thread: create the task, unless the tfuture was cancelled first. */
static void start_on(cio_loop *loop, rct *r) {
    if (cio_tfuture_cancelled(r->tf)) {
        unref(r);
        return;
    }
    cio__tloop *tl = cio__tloop_get(loop, "cio_run_coroutine_threadsafe");
    r->task = tl ? cio_create_task_at(loop, r->fn, r->arg, NULL,
                                      "<run_coroutine_threadsafe>", 0)
                 : NULL;
    if (!r->task ||
        cio_future_add_done_callback(r->task, on_task_done, r) != 0) {
        if (r->task)
            cio_cancel(r->task, NULL);
        int code = r->task ? CIO_ENOMEM : cio_last_error();
        cio_tfuture_set_error(r->tf, code, "%s",
                              r->task ? "cio_run_coroutine_threadsafe: out "
                                        "of memory"
                                      : cio_last_error_message());
        cio_release(r->task);
        r->task = NULL;
        unref(r);
        return;
    }
    r->link.on_close = on_close;
    cio__tloop_link(tl, &r->link);
}

static void start(void *arg) {
    start_on(cio_get_running_loop(), arg);
}

static void start_dropped(void *arg) {
    rct *r = arg;
    fail_closed(r, "started");
    unref(r);
}

/* Loop thread: the waiting thread cancelled the tfuture. */
static void cancel_task(void *arg) {
    rct *r = arg;
    if (r->task)
        cio_cancel(r->task, NULL);
    unref(r);
}

static void cancel_dropped(void *arg) {
    unref(arg);
}

/* Any thread: the tfuture finished; if it was cancelled, so is the task
 * (at once on the loop's own thread, where the inbox would wait for the
 * loop's next poll). */
static void on_tf_done(cio_tfuture *tf, void *arg) {
    rct *r = arg;
    if (cio_tfuture_cancelled(tf)) {
        if (pthread_equal(r->loop_thread, pthread_self())) {
            cancel_task(r);
            return;
        }
        if (cio__inbox_post(r->ib, cancel_task, cancel_dropped, r) == 0)
            return; /* cancel_task or cancel_dropped unrefs */
    }
    unref(r);
}

cio_tfuture *cio_run_coroutine_threadsafe(cio_loop *loop, cio_task_fn fn,
                                          void *arg) {
    static const char who[] = "cio_run_coroutine_threadsafe";
    if (!loop || !fn) {
        cio__set_error(CIO_EINVAL, "%s: %s is NULL", who,
                       loop ? "the function" : "the loop");
        return NULL;
    }
    rct *r = calloc(1, sizeof *r);
    cio_tfuture *tf = cio_tfuture_new();
    /* (on its own thread a closed loop still has its inbox object) */
    bool closed = cio__on_loop_thread(loop) && loop->closed;
    cio__inbox *ib = r && tf && !closed ? cio__inbox_of(loop) : NULL;
    if (!ib) {
        int rc = r && tf ? CIO_ELOOPCLOSED : CIO_ENOMEM;
        cio__set_error(rc, "%s: %s", who, cio_strerror(rc));
        free(r);
        cio_tfuture_release(tf);
        return NULL;
    }
    atomic_init(&r->refs, 2);
    r->tf = cio_tfuture_retain(tf);
    r->ib = ib;
    r->fn = fn;
    r->arg = arg;
    r->loop_thread = (pthread_t)loop->thread;
    int rc = 0;
    /* On the loop's own thread the task is created at once: the inbox would
     * wait for the loop's next poll. */
    if (cio__on_loop_thread(loop))
        start_on(loop, r);
    else
        rc = cio__inbox_post(ib, start, start_dropped, r);
    /* r holds two references, the loop side's and the callback side's; the
     * analyzer cannot count them, hence the NOLINTs on the second use. */
    if (rc == 0)
        // NOLINTNEXTLINE(clang-analyzer-unix.Malloc)
        rc = cio_tfuture_add_done_callback(tf, on_tf_done, r);
    else
        unref(r); /* the loop side: the start will never run */
    if (rc != 0) {
        cio_tfuture_cancel(tf); /* a start already posted then does nothing */
        unref(r); /* NOLINT(clang-analyzer-unix.Malloc) the callback side */
        cio__set_error(rc, "%s: %s", who, cio_strerror(rc));
        cio_tfuture_release(tf);
        return NULL;
    }
    return tf;
}
