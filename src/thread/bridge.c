/* bridge.c - a loop future that finishes like a tfuture (asyncio's
 * wrap_future), and run_in_executor / to_thread on top of it.
 *
 * The two sides live on different threads. The tfuture finishes on any
 * thread, whose done callback posts the outcome to the loop's inbox; the
 * delivery runs on the loop's thread and finishes the loop future. The other
 * way, a done callback on the loop future cancels the tfuture if the loop
 * future was cancelled (the awaiting task was).
 *
 * Who frees what. The bridge is counted atomically: one reference for the
 * tfuture's callback side, one for the loop side. The loop side owns the
 * loop future's reference and lets go of it (on the loop's thread) once its
 * two loop-side users are gone: the delivery (run or dropped) and the loop
 * future's done callback.
 *
 * When the loop closes, a bridge whose outcome was not posted yet is
 * detached: the loop side lets go at once and the callback side, when the
 * tfuture finishes, only drops its reference. The state word settles the
 * race between the two: LINKED -> POSTING -> POSTED (or FAILED) on the
 * callback side, LINKED -> DETACHED on the loop side. A closing loop that
 * finds POSTING waits for the post to be made: it cannot fail then, since
 * the inbox closes only after the close hooks have run. A tfuture that
 * finishes on the loop's own thread skips the inbox (LINKED -> SOON): the
 * delivery is scheduled with cio_call_soon, since the inbox is only read
 * when the loop polls.
 */
#include "thread/internal.h"

#include <sched.h>
#include <stdlib.h>

/* SOON: finished on the loop's own thread, delivery scheduled with
 * cio_call_soon (the inbox is read only when the loop polls). */
enum { LINKED, POSTING, POSTED, FAILED, DETACHED, SOON };

typedef struct bridge {
    cio__tlink link;  /* loop thread only */
    atomic_int refs;  /* the callback side and the loop side */
    atomic_int state; /* see above */
    cio_tfuture *tf;  /* a reference */
    cio__inbox *ib;   /* a reference */
    cio_future *lf;   /* a reference; loop thread only */
    cio_loop *loop;   /* loop thread only, while LINKED */
    pthread_t loop_thread;
    bool post_live; /* delivery not run or dropped yet (loop thread) */
    bool cb_live;   /* lf's done callback not run yet (loop thread) */
} bridge;

static void unref(bridge *b) {
    if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1) {
        cio_tfuture_release(b->tf);
        cio__inbox_release(b->ib);
        free(b);
    }
}

/* Loop thread: let go of the loop side once both of its users are gone. */
static void loop_side_check(bridge *b) {
    if (b->post_live || b->cb_live)
        return;
    cio__tlink_unlink(&b->link);
    cio_release(b->lf);
    b->lf = NULL;
    unref(b);
}

/* Loop thread: finish lf like tf, unless lf is done already. */
static void copy_outcome(cio_future *lf, cio_tfuture *tf) {
    if (cio_future_done(lf))
        return;
    void *result;
    int err = cio_tfuture_result(tf, 0, &result);
    if (err == 0)
        cio_future_set_result(lf, result);
    else if (err == CIO_ECANCELED)
        cio_cancel(lf, cio_tfuture_error_message(tf));
    else
        cio_future_set_error(lf, err, "%s", cio_tfuture_error_message(tf));
}

static void deliver(void *arg) {
    bridge *b = arg;
    copy_outcome(b->lf, b->tf);
    b->post_live = false;
    loop_side_check(b);
}

static void dropped(void *arg) { /* the loop closed first */
    bridge *b = arg;
    b->post_live = false;
    loop_side_check(b);
}

/* Any thread: tf finished. */
static void on_tf_done(cio_tfuture *tf, void *arg) {
    (void)tf;
    bridge *b = arg;
    int expected = LINKED;
    if (pthread_equal(b->loop_thread, pthread_self()) &&
        atomic_compare_exchange_strong(&b->state, &expected, SOON)) {
        int rc = cio_call_soon(b->loop, deliver, b, NULL);
        if (rc != 0)
            atomic_store(&b->state, FAILED);
        /* Out of memory (not closing): deliver now rather than never, or
         * lf would stay pending; only the ordering of asyncio is lost. */
        if (rc == CIO_ENOMEM)
            deliver(b);
    } else if (expected == LINKED &&
               atomic_compare_exchange_strong(&b->state, &expected, POSTING)) {
        int rc = cio__inbox_post(b->ib, deliver, dropped, b);
        atomic_store(&b->state, rc == 0 ? POSTED : FAILED);
    }
    /* The callback side's reference: deliver() above may have dropped the
     * loop side's, never this one (the analyzer cannot count them). */
    unref(b); /* NOLINT(clang-analyzer-unix.Malloc) */
}

/* Loop thread: lf finished; if it was cancelled, so is the work. */
static void on_lf_done(cio_future *lf, void *arg) {
    bridge *b = arg;
    if (cio_future_cancelled(lf) && atomic_load(&b->state) == LINKED)
        cio_tfuture_cancel(b->tf);
    b->cb_live = false;
    loop_side_check(b);
}

/* Loop thread, closing: lf's callback can no longer run (the loop refuses
 * to finish futures now), and a delivery not posted yet never will be. */
static void on_close(cio__tlink *link) {
    bridge *b = cio__container_of(link, bridge, link);
    b->cb_live = false;
    int s = LINKED;
    while (!atomic_compare_exchange_weak(&b->state, &s, DETACHED)) {
        if (s != LINKED && s != POSTING)
            break;
        if (s == POSTING)
            sched_yield(); /* the post is being made right now */
        s = LINKED;
    }
    if (s == LINKED) { /* we detached it */
        b->post_live = false;
        if (cio__tfuture_remove_done_callback(b->tf, on_tf_done, b))
            unref(b); /* the callback side will never run */
    } else if (s == FAILED || s == SOON) {
        /* a delivery scheduled with cio_call_soon has run or been dropped
         * by now: the ready queue is emptied before the close hooks run */
        b->post_live = false;
    } /* POSTED: the inbox drops the delivery when it closes */
    /* The loop side's own reference keeps b here (the analyzer cannot count
     * the references, so it thinks the unref above may have freed it). */
    loop_side_check(b); /* NOLINT(clang-analyzer-unix.Malloc) */
}

/* A loop future of the calling thread's loop, chained to tf. */
static cio_future *wrap(cio_tfuture *tf, const char *who) {
    cio_loop *loop = cio__pick_loop(NULL, who);
    cio__tloop *tl = loop ? cio__tloop_get(loop, who) : NULL;
    if (!tl)
        return NULL;
    cio_future *lf = cio_future_new(loop);
    bridge *b = calloc(1, sizeof *b);
    if (!lf || !b || cio_future_add_done_callback(lf, on_lf_done, b) != 0) {
        cio_release(lf);
        free(b);
        cio__set_error(CIO_ENOMEM, "%s: out of memory", who);
        return NULL;
    }
    atomic_init(&b->refs, 2);
    atomic_init(&b->state, LINKED);
    b->tf = cio_tfuture_retain(tf);
    b->ib = cio__inbox_get(loop);
    b->lf = cio_retain(lf);
    b->loop = loop;
    b->loop_thread = pthread_self();
    b->post_live = b->cb_live = true;
    b->link.on_close = on_close;
    cio__tloop_link(tl, &b->link);
    /* Called at once if tf is done: the outcome is then posted, and lf
     * finishes on the next pass, as in asyncio. */
    if (cio_tfuture_add_done_callback(tf, on_tf_done, b) != 0) {
        atomic_store(&b->state, FAILED);
        b->post_live = false;
        unref(b); /* the callback side */
        cio_future_set_error(lf, CIO_ENOMEM, "%s: out of memory", who);
    }
    return lf;
}

cio_future *cio_wrap_tfuture(cio_tfuture *tf) {
    if (!tf) {
        cio__set_error(CIO_EINVAL, "cio_wrap_tfuture: the future is NULL");
        return NULL;
    }
    return wrap(tf, "cio_wrap_tfuture");
}

static cio_future *submit_and_wrap(cio_executor *ex, cio_work_fn fn, void *arg,
                                   const char *who) {
    if (!fn) {
        cio__set_error(CIO_EINVAL, "%s: the function is NULL", who);
        return NULL;
    }
    /* a worker would read a compact task's local while that task waits and
     * its stack holds other frames (cio_task_options.compact) */
    if (cio__running_loop &&
        cio__compact_on_shared(cio__running_loop->compact, arg)) {
        cio__compact_refuse(who);
        return NULL;
    }
    if (!ex) {
        cio_loop *loop = cio__pick_loop(NULL, who);
        cio__tloop *tl = loop ? cio__tloop_get(loop, who) : NULL;
        ex = tl ? cio__tloop_default_executor(tl, who) : NULL;
        if (!ex)
            return NULL;
    }
    cio_tfuture *tf = cio_executor_submit(ex, fn, arg);
    if (!tf)
        return NULL;
    cio_future *lf = wrap(tf, who);
    if (!lf)
        cio_tfuture_cancel(tf); /* nobody could ever see its result */
    cio_tfuture_release(tf);
    return lf;
}

cio_future *cio_run_in_executor(cio_executor *ex, cio_work_fn fn, void *arg) {
    return submit_and_wrap(ex, fn, arg, "cio_run_in_executor");
}

cio_future *cio_to_thread(cio_work_fn fn, void *arg) {
    return submit_and_wrap(NULL, fn, arg, "cio_to_thread");
}
