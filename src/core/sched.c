/* sched.c - the scheduler: a loop's run, one iteration at a time, and the
 * steps of its tasks.
 *
 * One iteration (run_once), in order, as uv_run and redis's aeProcessEvents
 * go about theirs:
 *   1. timers: every timer that is due puts its node in the ready queue, in
 *      deadline order (cio__timers_fire, timer.c);
 *   2. poll: libuv is polled for I/O only when it is needed: blocking, up to
 *      the earliest timer (under virtual time the clock jumps to it
 *      instead), when nothing is ready; without blocking once every
 *      CIO__POLL_EVERY steps while busy, so that a yield costs no system
 *      call and I/O still gets its turn within a bounded number of steps;
 *   3. pass: exactly the nodes that were ready when the pass began run, in
 *      order; whatever they schedule waits for the next pass (asyncio's
 *      rule).
 * A node is a callback, a done callback or a task's step. A task's step
 * (cio__task_step) switches to the task's stack; the task runs until it
 * suspends (cio__suspend, sched.h) or returns (task_main). Rather than
 * switching back here, a suspending task hands the CPU straight to the
 * next task of the pass when there is one (cio__next_inline), even starting
 * the next pass itself (cio__loop_next_pass_inline); a returning task lends
 * its stack to the next task of the pass that has not started
 * (chain_fresh). So the pass is run from two places, here and from tasks,
 * which share loop->pass_left. Whichever way a task's step ends its life
 * (never started, returned, or returned and lent its stack on), task_retire
 * gives back what the loop held for it.
 */
#include "core/sched.h"

#include <stdio.h>
#include <string.h>

/* ---- the run: iterations until the run's end --------------------------- */

static int run_once(cio_loop *loop);

/* asyncio's run_until_complete stops the loop from the future's done
 * callback, which runs one pass after the future is done: what was ready by
 * then (a task main created just before returning, say) still runs once,
 * without waiting for I/O or a later timer. */
static int run_last_pass(cio_loop *loop) {
    loop->stopping = true;
    return run_once(loop);
}

static bool finished(const cio_loop *loop, const cio_future *until,
                     bool until_no_tasks) {
    if (until)
        return until->state >= CIO_DONE;
    return until_no_tasks &&
           (loop->nlive == 0 || loop->tasks_created != loop->created_mark);
}

int cio__loop_run(cio_loop *loop, const cio_future *until,
                  bool until_no_tasks) {
    cio_loop *outer = cio__running_loop;
    cio__running_loop = loop;
    loop->running = true;
    loop->until = until;
    loop->until_no_tasks = until_no_tasks;
    loop->created_mark = loop->tasks_created;
    int rc = 0;
    /* At least one pass when running forever, as asyncio: a loop stopped
     * before it runs still runs what is ready once. */
    if (!finished(loop, until, until_no_tasks)) {
        do {
            rc = run_once(loop);
        } while (rc == 0 && !loop->stopping &&
                 !finished(loop, until, until_no_tasks));
        if (rc == 0 && until && !loop->stopping)
            rc = run_last_pass(loop);
    }
    loop->until = NULL;
    loop->until_no_tasks = false;
    loop->stopping = false;
    loop->running = false;
    cio__running_loop = outer;
    return rc;
}

/* ---- one iteration: timers, poll, pass ---------------------------------- */

static int poll_blocking(cio_loop *loop);
static void poll_nowait(cio_loop *loop);
static void run_pass_debug(cio_loop *loop);

/* One iteration: timers, maybe a poll, then one pass over the ready queue. */
static int run_once(cio_loop *loop) {
    if (loop->nheap)
        cio__timers_fire(loop, cio__loop_now(loop));
    if (loop->ready.count == 0 && !loop->stopping) {
        int rc = poll_blocking(loop);
        if (rc != 0)
            return rc;
        loop->steps_since_poll = 0;
    } else if (loop->ready.count == 0 ||
               loop->steps_since_poll >= CIO__POLL_EVERY) {
        /* busy, or stopping: a look without waiting */
        poll_nowait(loop);
        loop->steps_since_poll = 0;
    }
    loop->pass_left = loop->ready.count;
    loop->steps_since_poll += (unsigned)loop->pass_left;
    if (loop->debug) {
        run_pass_debug(loop);
        return 0;
    }
    /* pass_left is shared with tasks, which may run part of the pass
     * themselves (cio__pass_peek_task, sched.h) before they switch back
     * here. */
    while (loop->pass_left) {
        loop->pass_left--;
        cio__node *node = cio__queue_pop(&loop->ready);
        node->run(node, false);
    }
    return 0;
}

/* A task that suspends at the end of a pass may start the next one itself,
 * sparing two switches through the scheduler, when the scheduler would do
 * nothing else first: no poll is due, the run is not over, not debugging. */
bool cio__loop_next_pass_slow(cio_loop *loop) {
    if (loop->debug || loop->stopping || loop->ready.count == 0 ||
        loop->steps_since_poll >= CIO__POLL_EVERY ||
        finished(loop, loop->until, loop->until_no_tasks))
        return false;
    if (loop->nheap)
        cio__timers_fire(loop, cio__loop_now(loop));
    loop->pass_left = loop->ready.count;
    loop->steps_since_poll += (unsigned)loop->pass_left;
    return true;
}

/* The same pass, timing each step to report the slow ones (debug mode). */
static void run_pass_debug(cio_loop *loop) {
    while (loop->pass_left) {
        loop->pass_left--;
        cio__node *node = cio__queue_pop(&loop->ready);
        char what[160] = "a callback";
        if (node->run == cio__task_step) {
            /* named before it runs: a task that ends may be freed */
            const cio__task *t = cio__container_of(node, cio__task, step.node);
            char name[64];
            const char *file;
            int line;
            cio__site_get(t->created_at, &file, &line);
            snprintf(what, sizeof what, "task '%s' (created at %s:%d)",
                     cio__task_name(t, name, sizeof name), file, line);
        }
        uint64_t t0 = cio__monotonic_ns();
        node->run(node, false);
        uint64_t took = cio__monotonic_ns() - t0;
        if (took > loop->slow_ns)
            cio__diag("%s ran for %.1f ms without yielding", what,
                      (double)took / 1e6);
    }
}

/* ---- the poll ------------------------------------------------------------ */

/* libuv (1.44) runs the timers that are due at the top of uv_run, before
 * it polls, and then blocks until the next libuv timer or I/O: what they
 * did for cio must keep it from blocking (uv_stop before the poll makes
 * its timeout 0). The wake timer firing there means a cio deadline has
 * come; another libuv timer (a higher layer's: libcurl's 0 ms one after a
 * resumed transfer) may have made a task or callback ready, which the
 * prepare check, run right before the poll, sees. Otherwise the loop slept
 * with work ready, up to the next libuv timer or for ever. */
static void on_wake(uv_timer_t *t) {
    uv_stop(t->loop);
}

static void on_before_poll(uv_prepare_t *p) {
    cio_loop *loop = p->data;
    if (loop->ready.count)
        uv_stop(&loop->uv);
}

void cio__poll_open(cio_loop *loop) {
    uv_timer_init(&loop->uv, &loop->wake);
    uv_prepare_init(&loop->uv, &loop->before_poll);
    loop->before_poll.data = loop;
    uv_prepare_start(&loop->before_poll, on_before_poll);
    uv_unref((uv_handle_t *)&loop->before_poll);
}

/* Whether the calling thread is the process's only one (src/coro/linux.c
 * knows; where it does not, assume not, and wait rather than give up). */
static bool only_thread(void) {
    return cio__os_thread_count() == 1;
}

/* Block until I/O or the earliest timer; under virtual time, jump the clock
 * to that timer instead of waiting for it. */
#define TRIM_WHEN_IDLE 64 /* stacks trimmed before each blocking poll */

/* A look at I/O without waiting. uv_run polls nothing when no referenced
 * handle is active, and the inbox's async is unreferenced: reference it for
 * the look, or a busy loop never reads what other threads posted. */
static void poll_nowait(cio_loop *loop) {
    uv_ref((uv_handle_t *)&loop->async);
    uv_run(&loop->uv, UV_RUN_NOWAIT);
    uv_unref((uv_handle_t *)&loop->async);
}

static int poll_blocking(cio_loop *loop) {
    cio__eager_stack_put(loop); /* (idle: the pool may trim it) */
    cio__stack_pool_trim(loop->stacks, TRIM_WHEN_IDLE);
    /* a timer at the end of time is no timer: jumping the virtual clock to
     * it would pin the clock there, waiting for it is waiting for ever */
    bool timer = loop->nheap && loop->heap[0].when != CIO__NEVER;
    if (loop->virtual_time && timer) {
        poll_nowait(loop);
        if (loop->ready.count == 0 && loop->heap[0].when > loop->vnow)
            loop->vnow = loop->heap[0].when;
        cio__timers_fire(loop, loop->vnow);
        return 0;
    }
    if (timer) {
        /* libuv counts the timeout from its cached clock, behind by as long
         * as the tasks ran since the last uv_run: bring it up to date */
        uv_update_time(&loop->uv);
        uint64_t now = cio__monotonic_ns(), when = loop->heap[0].when;
        if (when <= now) { /* due already: look at I/O, do not block */
            poll_nowait(loop);
            cio__timers_fire(loop, cio__loop_now(loop));
            return 0;
        }
        uv_timer_start(&loop->wake, on_wake, (when - now + 999999) / 1000000,
                       0);
    } else if (!uv_loop_alive(&loop->uv)) {
        /* Only another thread could still wake us, through the inbox; look
         * again now and then, in case it is gone. A thread that posted and
         * then ended has left its post in the inbox: look there first. */
        if (only_thread())
            return cio__inbox_drain(loop) ? 0 : CIO_EDEADLK;
        uv_ref((uv_handle_t *)&loop->async);
        uv_timer_start(&loop->wake, on_wake, 1000, 0);
        uv_run(&loop->uv, UV_RUN_ONCE);
        uv_timer_stop(&loop->wake);
        uv_unref((uv_handle_t *)&loop->async);
        return 0;
    }
    uv_run(&loop->uv, UV_RUN_ONCE);
    uv_timer_stop(&loop->wake);
    if (timer)
        cio__timers_fire(loop, cio__loop_now(loop));
    return 0;
}

/* ---- a task's steps ------------------------------------------------------ */

static void task_main(void *arg);
static void compact_main(void *arg);
static void task_retire(cio_loop *loop, cio__task *t);
static void keep_eager_stack(cio_loop *loop, cio__task *t);

/* No memory to save the frames of the compact task that holds the shared
 * stack t must run on: t tries again in a millisecond, as a sleep would
 * (a cancellation wakes it at once, as it wakes a sleep). Trying at the
 * next pass instead would spin the loop until memory comes back. */
static void compact_retry(cio_loop *loop, cio__task *t) {
    if (t->step.timer.index == CIO__NOT_ARMED && cio__timer_reserve(loop) == 0)
        cio__timer_arm(loop, &t->step.timer, cio__loop_now(loop) + 1000000);
    else
        cio__schedule(loop, &t->step.node);
}

/* The scheduler's side of a task: start it or resume it, and clean up after
 * it once it has finished. */
void cio__task_step(cio__node *node, bool discard) {
    if (discard)
        return; /* the loop is closing; cio__task_abandon does the rest */
    cio__task *t = cio__container_of(node, cio__task, step.node);
    cio_loop *loop = t->fut.loop;
    if (!t->fut.started) {
        if (t->fut.must_cancel &&
            !t->fut.run_when_cancelled) { /* it never runs */
            t->fut.finished = true;
            cio__future_finish(&t->fut, CIO_CANCELLED, CIO_ECANCELED, NULL,
                               cio__task_take_message(t));
            task_retire(loop, t);
            return;
        }
        cio__stack *stack =
            t->fut.compact
                ? cio__task_compact_enter(loop, t)
                : cio__stack_get(loop->stacks, cio__task_stack_size(t));
        if (!stack) {
            t->fut.finished = true;
            cio__future_finish(&t->fut, CIO_DONE, CIO_ENOMEM, NULL,
                               cio__strdup("no memory for the task's stack"));
            task_retire(loop, t);
            return;
        }
        cio__coro_start(&t->coro, stack,
                        t->fut.compact ? compact_main : task_main, t);
        t->fut.started = true;
        t->fut.state = CIO_RUNNING;
    } else if (t->fut.compact && !cio__task_compact_enter(loop, t)) {
        compact_retry(loop, t);
        return;
    }
    cio__current_task = t;
    cio__coro_switch(&loop->main, &t->coro);
    cio__current_task = NULL;
    t = loop->returned; /* tasks may have handed over to each other */
    if (t->fut.finished)
        task_retire(loop, t);
}

#if !defined(CIO_CORO_UCONTEXT) && !defined(CIO_ASAN) && !defined(CIO_TSAN)
/* The next node of the pass if it is a task that has not started, will run
 * (no cancellation pending) and wants a stack of the same size. */
static cio__task *next_fresh(cio_loop *loop, const cio__task *done) {
    cio__task *next = cio__pass_peek_task(loop);
    if (!next || next->fut.started ||
        (next->fut.must_cancel && !next->fut.run_when_cancelled) ||
        cio__task_stack_size(next) != cio__task_stack_size(done) ||
        next->fut.compact || done->fut.compact)
        return NULL;
    return cio__pass_take(loop, next);
}

/* A finished task hands its stack to the next task of the pass that has not
 * started, and runs it right here: a run of short tasks (spawned by the
 * thousand, each returning at once) costs no switch and no stack traffic.
 * The sanitizers' fiber bookkeeping wants one fiber per task, so their
 * builds take the plain path. */
static cio__task *chain_fresh(cio__task *done) {
    cio_loop *loop = done->fut.loop;
    cio__task *next = next_fresh(loop, done);
    if (!next)
        return NULL;
    if (done->coro.stack->canary && !cio__stack_canary_ok(done->coro.stack))
        cio__coro_overflowed(&done->coro); /* before next inherits it */
    next->coro.stack = done->coro.stack;
    next->fut.started = true;
    next->fut.state = CIO_RUNNING;
    cio__current_task = next;
    cio__coro_current = &next->coro;
    done->coro.stack = NULL; /* lent on: not the pool's */
    task_retire(loop, done);
    return next;
}
#else
static cio__task *chain_fresh(cio__task *done) {
    (void)done;
    return NULL;
}
#endif

static void task_main(void *arg) {
    cio__task *t = arg;
    for (;;) {
        cio_task_fn fn = t->fn;
        void *fn_arg = t->arg;
        t->waiting = NULL; /* (the same bytes: see cio__task) */
        t->parked = NULL;
        void *ret = fn(fn_arg);
        cio__task_finish_inline(t, ret);
        t->fut.finished = true;
        if (t->fut.in_eager) { /* done in its eager start: back to the
                                  creator, which retires it */
#if defined(CIO__CORO_CALL)
            cio__coro_return(&t->coro, t->eager_from);
            return; /* (to cio__coro_call in cio__task_eager_start) */
#else
            cio__coro_exit(&t->coro, t->eager_from);
#endif
        }
        cio__task *next = chain_fresh(t);
        if (!next)
            break;
        t = next;
    }
    t->fut.loop->returned = t; /* the scheduler frees the stack we are on */
    cio__coro_exit(&t->coro, &t->fut.loop->main);
}

/* A compact task's end (see compact_main): finished, back to the
 * scheduler. Not seen as noreturn: were the compiler to see that, it
 * would call it instead of jumping to it, and a call that never returns
 * leaves an entry on the CPU's return stack buffer (see cio__coro_exit).
 * Clang has no noipa and may still call it: that costs one mispredicted
 * return, no more. */
#if defined(__clang__)
#define NOT_NORETURN __attribute__((noinline))
#else
#define NOT_NORETURN __attribute__((noipa))
#endif
NOT_NORETURN static void compact_end(cio__task *t, void *ret) {
    cio__task_finish_inline(t, ret);
    t->fut.finished = true;
    t->fut.loop->returned = t; /* the scheduler gives the stack back */
    cio__coro_exit(&t->coro, &t->fut.loop->main);
}

/* task_main for a compact task, which never starts eagerly and never hands
 * its stack on (chain_fresh): only t is kept across fn, so the frame under
 * every frame the task saves while it waits is two words, not task_main's
 * eight (W3 --compact: 411 -> 368 bytes a sleeping task). */
static void compact_main(void *arg) {
    cio__task *t = arg;
    cio_task_fn fn = t->fn;
    void *fn_arg = t->arg;
    t->waiting = NULL; /* (the same bytes: see cio__task) */
    t->parked = NULL;
    compact_end(t, fn(fn_arg));
}

/* asyncio 3.12's eager start: run the new task now, on its own stack, until
 * its first suspension (suspend() switches back here instead of handing
 * over) or its end (task_main switches back here, and the task is retired
 * as the scheduler would). The creator, a task or the scheduler's own
 * stack, is suspended meanwhile, and is the current task again after.
 * false: no stack now, schedule it as usual. (A task that suspended here
 * goes on from cio__suspend's eager branch, sched.h.) */
bool cio__task_eager_start(cio_loop *loop, cio__task *t) {
    if (t->fut.compact) /* entered from the scheduler's stack only */
        return false;
    cio__stack *stack = loop->eager_stack;
    if (stack && stack->size == cio__task_stack_size(t))
        loop->eager_stack = NULL;
    else
        stack = cio__stack_get(loop->stacks, cio__task_stack_size(t));
    if (!stack)
        return false;
    cio__task *creator = cio__current_task;
    cio__coro *from = creator ? &creator->coro : &loop->main;
    t->fut.started = true;
    t->fut.state = CIO_RUNNING;
    t->eager_from = from;
    t->fut.in_eager = true;
    cio__current_task = t;
#if defined(CIO__CORO_CALL)
    /* a call, which returns when the task finishes or first suspends */
    cio__coro_call(from, &t->coro, stack, task_main, t);
#else
    cio__coro_start(&t->coro, stack, task_main, t);
    cio__coro_switch(from, &t->coro);
#endif
    cio__current_task = creator;
    if (t->fut.finished) {
        keep_eager_stack(loop, t);
        task_retire(loop, t);
    }
    return true;
}

/* A task that ended during its eager start leaves its stack for the next
 * eager start: a run of them (libdill's bundle_go, W1) takes and gives back
 * no stack from the pool, until the loop next idles (the plain build: the
 * sanitizers want each stack through the pool). */
static void keep_eager_stack(cio_loop *loop, cio__task *t) {
#if defined(CIO__CORO_CALL)
    if (loop->eager_stack)
        return;
    loop->eager_stack = t->coro.stack;
    loop->eager_stack->owner = NULL; /* (the task is gone) */
    t->coro.stack = NULL;            /* not the pool's */
#else
    (void)loop;
    (void)t;
#endif
}

void cio__eager_stack_put(cio_loop *loop) {
    if (loop->eager_stack) {
        cio__stack_put(loop->stacks, loop->eager_stack);
        loop->eager_stack = NULL;
    }
}

/* ---- a task's end -------------------------------------------------------- */

/* The last of a finished task, for the loop: its stack back to the pool
 * (unless it was lent on), its place among the live tasks, the loop's
 * reference. */
static void task_retire(cio_loop *loop, cio__task *t) {
    if (t->fut.compact) {
        cio__task_compact_drop(loop, t);
        cio__coro_destroy(&t->coro);
    } else if (t->coro.stack) {
        cio__stack_put(loop->stacks, t->coro.stack);
        cio__coro_destroy(&t->coro);
    }
    cio__live_unlink(loop, t);
    if (t->fut.refs > 1) /* the loop's reference, not the last: no call */
        t->fut.refs--;
    else
        cio_release(&t->fut);
}
