/* sched.h - the scheduler's hot paths, inline so that a yield costs no
 * call (as a call, peeking at the pass tripled the cost of a yield, 4 to
 * 14 ns): which task of the pass runs next, and how a task suspends. The
 * rest of the scheduler, and the order of a loop's phases, is sched.c.
 */
#ifndef CIO_CORE_SCHED_H
#define CIO_CORE_SCHED_H

#include "core/internal.h"

/* The loop's tasks that are not done: counted, and in the sanitizer
 * builds linked in creation order (see cio__live_each, task_mem.c). */
static inline void cio__live_unlink(cio_loop *loop, cio__task *t) {
#if defined(CIO_ASAN) || defined(CIO_TSAN)
    if (t->prev_live)
        t->prev_live->next_live = t->next_live;
    else
        loop->live_head = t->next_live;
    if (t->next_live)
        t->next_live->prev_live = t->prev_live;
    else
        loop->live_tail = t->prev_live;
    t->prev_live = t->next_live = NULL;
#else
    (void)t;
#endif
    loop->nlive--;
}

static inline void cio__live_append(cio_loop *loop, cio__task *t) {
#if defined(CIO_ASAN) || defined(CIO_TSAN)
    t->prev_live = loop->live_tail;
    if (loop->live_tail)
        loop->live_tail->next_live = t;
    else
        loop->live_head = t;
    loop->live_tail = t;
#else
    (void)t;
#endif
    loop->nlive++;
}

#define CIO__POLL_EVERY 256 /* steps between non-blocking polls while busy */

/* Start the next pass from a task (sched.c); false: leave it to the
 * scheduler. */
bool cio__loop_next_pass_slow(cio_loop *loop);

/* The same, inline for the common case (no timer armed, no poll due, the
 * run going on): a ping-pong between two tasks starts a pass at every
 * switch, and a yielding task at every yield. Debug mode is ruled out by
 * the caller (cio__pass_peek_task). */
static inline __attribute__((always_inline)) bool
cio__loop_next_pass_inline(cio_loop *loop) {
    if (loop->nheap || loop->stopping || loop->ready.count == 0 ||
        loop->steps_since_poll >= CIO__POLL_EVERY || loop->until_no_tasks ||
        (loop->until && loop->until->state >= CIO_DONE))
        return cio__loop_next_pass_slow(loop);
    loop->pass_left = loop->ready.count;
    loop->steps_since_poll += (unsigned)loop->pass_left;
    return true;
}

/* The task whose step is the next node of the current pass (starting the
 * next pass if the scheduler would do nothing else first), or NULL: what a
 * task that suspends or finishes may run itself, in the scheduler's order. */
/* (always inlined: as a call, it tripled the cost of a yield, 4 to 14 ns) */
static inline __attribute__((always_inline)) cio__task *
cio__pass_peek_task(cio_loop *loop) {
    if (loop->debug) /* run_pass_debug times each node: no hand-over */
        return NULL;
    if (loop->pass_left == 0 && !cio__loop_next_pass_inline(loop))
        return NULL;
    cio__node *n = loop->ready.head;
    if (n->run != cio__task_step)
        return NULL;
    return cio__container_of(n, cio__task, step.node);
}

static inline __attribute__((always_inline)) cio__task *
cio__pass_take(cio_loop *loop, cio__task *next) {
    cio__queue_pop(&loop->ready);
    loop->pass_left--;
    return next;
}

/* The next node of the pass if it is a started task's step: a suspending
 * task switches straight to it instead of through the scheduler. */
static inline __attribute__((always_inline)) cio__task *
cio__next_inline(cio_loop *loop) {
    cio__task *next = cio__pass_peek_task(loop);
    if (!next || !next->fut.started || cio__coro_saved(&next->coro))
        return NULL; /* the scheduler gives a new task its stack, and
                        copies a compact task's saved frames back (off
                        the shared stack; one whose frames are on its
                        shared stack needs no copy and is switched to
                        here) */
    return cio__pass_take(loop, next);
}

/* Give up the CPU until something puts our step back in the ready queue. */
static inline void cio__suspend(cio__task *t, const char *file, int line) {
    if (__builtin_expect(t->fut.in_eager, 0)) {
        /* the first suspension of an eager start: back to the creator */
        cio__coro *creator = t->eager_from;
        t->fut.in_eager = false;
        t->where_file = file;           /* (eager_from's bytes) */
        t->step.spare = (uint32_t)line; /* where_line */
        cio__coro_switch(&t->coro, creator);
        return; /* whoever switched back to us set cio__current_task */
    }
    t->where_file = file;
    t->step.spare = (uint32_t)line; /* where_line */
    cio_loop *loop = t->fut.loop;
    cio__task *next = cio__next_inline(loop);
    if (next == t)
        return; /* our own turn came at once: nothing to switch */
    if (next) {
        cio__current_task = next;
        cio__coro_switch(&t->coro, &next->coro);
    } else {
        loop->returned = t;
        cio__coro_switch(&t->coro, &loop->main);
    }
    /* whoever switched back to us set cio__current_task */
}

/* cio__park (core/internal.h), inline for the wait path of src/sync, where
 * the call was a tenth of a queue round trip. A task cancelled before it
 * parks takes the path out of line (park.c). */
int cio__park_cancelled(cio__parking *p, const char *file, int line);
static inline __attribute__((always_inline)) int
cio__park_inline(cio__parking *p, const char *file, int line) {
    cio__task *t = cio__current_task;
    p->task = t;
    if (__builtin_expect(t->fut.must_cancel, 0)) /* one pass, then out */
        return cio__park_cancelled(p, file, line);
    p->state = CIO__PARKED;
    t->parked = p;
    cio__suspend(t, file, line);
    if (p->state == CIO__PARK_CANCELLED) {
        t->fut.must_cancel =
            false; /* cancelled again meanwhile: one delivery */
        return CIO_ECANCELED;
    }
    if (t->fut.must_cancel) { /* cancelled after the wake-up, before it ran */
        t->fut.must_cancel = false;
        return CIO_ECANCELED;
    }
    return 0;
}

/* Start a task eagerly, from its creator (sched.c); false: no stack now,
 * schedule it as usual. */
bool cio__task_eager_start(cio_loop *loop, cio__task *t);
/* Give the stack kept for the next eager start back to the pool. */
void cio__eager_stack_put(cio_loop *loop);

#endif /* CIO_CORE_SCHED_H */
