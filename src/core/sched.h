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

/* Start the next pass from a task (sched.c); false: leave it to the
 * scheduler. */
bool cio__loop_next_pass_inline(cio_loop *loop);

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
    if (!next || !next->fut.started)
        return NULL; /* the scheduler gives a new task its stack */
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

/* Start a task eagerly, from its creator (sched.c); false: no stack now,
 * schedule it as usual. */
bool cio__task_eager_start(cio_loop *loop, cio__task *t);

#endif /* CIO_CORE_SCHED_H */
