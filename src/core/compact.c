/* compact.c - the core's side of compact tasks: which stack a compact task
 * runs on, and the checks that keep records off it.
 *
 * The copying itself is src/coro/compact.c. Here: a compact task is entered
 * only from the scheduler's stack (never handed over to task to task, never
 * started eagerly, never given a finished task's stack: sched.c), and the
 * records cio links where others reach them while a task waits (parking
 * spots, done callbacks, nodes) are refused when they lie on a compact
 * task's stack (cio__compact_misplaced, internal.h).
 */
#include "core/internal.h"

int cio__compact_refuse(const char *who) {
    cio__set_error(CIO_ECOMPACT,
                   "%s: not allowed in a compact task (it would leave a "
                   "pointer into the task's stack while it waits)",
                   who);
    return CIO_ECOMPACT;
}

bool cio__compact_debug_misplaced(const cio_loop *loop, const void *p) {
    return loop->debug && cio__compact_on_shared(loop->compact, p);
}

cio__stack *cio__task_compact_enter(cio_loop *loop, cio__task *t) {
    if (!loop->compact) {
        loop->compact = cio__compact_new(loop->stacks);
        if (!loop->compact)
            return NULL;
    }
    size_t size = cio__task_stack_size(t);
    if (!t->fut.started) /* its saved stack pointer held the size, not a
                            tagged pointer to saved frames */
        t->coro.sp = NULL;
    return cio__compact_enter(loop->compact, &t->coro, size);
}

void cio__task_compact_drop(cio_loop *loop, cio__task *t) {
    if (t->fut.started) /* (never entered: nothing held) */
        cio__compact_drop(loop->compact, &t->coro);
}

void *cio__task_compact_locate(const cio__task *t, void *p) {
    return t->fut.compact && t->fut.started ? cio__compact_locate(&t->coro, p)
                                            : p;
}
