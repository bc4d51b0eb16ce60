/* taskgroup.c - asyncio.TaskGroup (as of CPython 3.13).
 *
 * The group keeps a reference to every task it spawned until the task is
 * done, as asyncio's _tasks set; a task that succeeded is let go then (at
 * once if it finished during its eager start: libdill's bundle costs no
 * more), one that failed is kept for the list of errors. The first task to fail
 * starts the abort: every other task is cancelled, and so is the parent, so
 * that whatever the body awaits returns CIO_ECANCELED and the body goes on to
 * cio_taskgroup_wait(). That cancellation of the parent is the group's own: it
 * is taken back (uncancel) once the tasks are done, so the parent ends as it
 * would have without it. The group's memory is reference counted (the owner and
 * each callback not yet run or dropped) because a callback may already be
 * scheduled when the group is freed.
 *
 * The group belongs to its parent, like the `async with` block it stands
 * for: a clean-up record in the parent frees it if the loop is closed while
 * the parent is still pending.
 */
#include "combine/internal.h"

#include <stdlib.h>

enum { TG_OPEN, TG_EXITING, TG_CLOSED };

/* A child the group still holds: one slot per task that did not finish
 * during its creation. Its node waits in the task's done callbacks (then
 * in the ready queue, then it runs: tg_slot_run). A child that succeeded is
 * let go there, as asyncio's TaskGroup discards a finished task from its
 * set; one that failed is kept (KEPT) for the group's list of errors.
 * Slots come from blocks that never move (a node in a list must not) and
 * are reused through a free list, so a spawn allocates nothing once the
 * group has as many slots as it ever had children pending at once. */
enum { SLOT_FREE, SLOT_WAITING, SLOT_KEPT };
typedef struct tg_slot {
    cio__node node;
    struct cio_taskgroup *g;
    cio_future *task;            /* a reference, NULL when free */
    struct tg_slot *prev, *next; /* held slots in spawn order; next:
                                    the free list's link */
    int state;
} tg_slot;

typedef struct tg_block {
    struct tg_block *next;
    size_t n;
    tg_slot slots[];
} tg_block;

#define FIRST_BLOCK 16
#define MAX_BLOCK 4096

struct cio_taskgroup {
    unsigned refs; /* the owner's, and one per slot whose node is queued */
    cio_loop *loop;
    cio_future *parent;   /* a reference */
    tg_slot *head, *tail; /* held slots, in spawn order */
    tg_slot *free_slots;
    tg_block *blocks;
    size_t nslots;               /* slots in all blocks */
    size_t running;              /* tasks not done */
    cio_taskgroup_error *errors; /* room for nslots + 1 (the body's) */
    size_t nerrors;
    cio_future *waiter;    /* awaited by cio_taskgroup_wait, or NULL */
    int parent_cancelling; /* the parent's cancelling() at creation */
    int state;
    bool aborting, parent_cancel_requested, freed;
    cio__cleanup cleanup; /* in the parent's records while the group lives */
};

static void tg_unref(cio_taskgroup *g) {
    if (--g->refs == 0) {
        while (g->blocks) {
            tg_block *b = g->blocks;
            g->blocks = b->next;
            free(b);
        }
        free(g->errors);
        free(g);
    }
}

static void add_error(cio_taskgroup *g, int code, const char *message,
                      cio_future *task) {
    g->errors[g->nerrors++] = (cio_taskgroup_error){code, message, task};
}

/* Cancel every task not done (asyncio's _abort). */
static void abort_tasks(cio_taskgroup *g) {
    g->aborting = true;
    for (tg_slot *s = g->head; s; s = s->next)
        if (s->state == SLOT_WAITING && !cio_future_done(s->task))
            cio_cancel(s->task, NULL);
}

/* A task of the group is done (asyncio's _on_task_done). true if it
 * failed: the group keeps it for its list of errors. */
static bool task_done(cio_taskgroup *g, cio_future *task) {
    if (--g->running == 0)
        cio__wake(g->waiter);
    int err = cio_future_error(task);
    if (!err || cio_future_cancelled(task))
        return false;
    add_error(g, err, cio_future_error_message(task), task);
    if (!g->aborting && !g->parent_cancel_requested &&
        !cio_future_done(g->parent)) {
        abort_tasks(g);
        g->parent_cancel_requested = true;
        cio_cancel(g->parent, NULL);
    }
    return true;
}

/* Hold a slot (taken from the free list) in spawn order. */
static tg_slot *slot_hold(cio_taskgroup *g, cio_future *task, int state) {
    tg_slot *s = g->free_slots;
    g->free_slots = s->next;
    s->task = task;
    s->state = state;
    s->next = NULL;
    s->prev = g->tail;
    if (g->tail)
        g->tail->next = s;
    else
        g->head = s;
    g->tail = s;
    return s;
}

/* Let go of a slot and of its task. */
static void slot_free(cio_taskgroup *g, tg_slot *s) {
    if (s->prev)
        s->prev->next = s->next;
    else
        g->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        g->tail = s->prev;
    cio_future *task = s->task;
    s->task = NULL;
    s->state = SLOT_FREE;
    s->next = g->free_slots;
    g->free_slots = s;
    cio_release(task);
}

/* A held task finished (its node's turn in the ready queue), or the loop
 * closes first (discard). */
static void tg_slot_run(cio__node *node, bool discard) {
    tg_slot *s = cio__container_of(node, tg_slot, node);
    cio_taskgroup *g = s->g;
    if (!discard && !g->freed && task_done(g, s->task))
        s->state = SLOT_KEPT;
    else
        slot_free(g, s);
    tg_unref(g);
}

/* Let go of the tasks (their nodes too) and the parent; the memory goes
 * with the last reference. A node already in the ready queue cannot be
 * taken back: it lets its task go when it runs. */
static void tg_release(cio_taskgroup *g) {
    g->freed = true;
    tg_slot *s = g->head;
    while (s) {
        tg_slot *next = s->next;
        if (s->state == SLOT_KEPT) {
            slot_free(g, s);
        } else if (cio__future_remove_node(s->task, &s->node)) {
            slot_free(g, s);
            g->refs--;
        }
        s = next;
    }
    g->nerrors = 0;
    cio_release(g->parent);
    g->parent = NULL;
    tg_unref(g);
}

static cio_taskgroup *fail(int code, const char *what) {
    cio__set_error(code, "cio_taskgroup_new: %s", what);
    return NULL;
}

/* The loop closes with the parent pending (the core dropped its await, if
 * it was waiting in cio_taskgroup_wait): the group goes with it. */
static void tg_abandon(void *arg) {
    cio_taskgroup *g = arg;
    cio_release(g->waiter);
    g->waiter = NULL;
    tg_release(g);
}

cio_taskgroup *cio_taskgroup_new(void) {
    cio_future *self = cio_current_task();
    if (!self)
        return fail(CIO_ENOTASK, "not in a task");
    cio_taskgroup *g = calloc(1, sizeof *g);
    if (g)
        g->errors = malloc(sizeof *g->errors);
    if (!g || !g->errors) {
        free(g);
        return fail(CIO_ENOMEM, "out of memory");
    }
    g->refs = 1;
    g->loop = cio_future_loop(self);
    g->parent = cio_retain(self);
    g->parent_cancelling = cio_task_cancelling(self);
    g->state = TG_OPEN;
    cio__cleanup_push(&g->cleanup, tg_abandon, g);
    return g;
}

/* A free slot for one more task, and room for its possible error, before
 * creating it: a block of slots twice the size of the last one. */
static int reserve(cio_taskgroup *g) {
    if (g->free_slots)
        return 0;
    size_t n = g->nslots ? g->nslots : FIRST_BLOCK;
    if (n > MAX_BLOCK)
        n = MAX_BLOCK;
    cio_taskgroup_error *errors =
        realloc(g->errors, (g->nslots + n + 1) * sizeof *errors);
    if (!errors)
        return cio__error(CIO_ENOMEM, "cio_taskgroup_spawn: out of memory");
    g->errors = errors;
    tg_block *b = malloc(sizeof *b + n * sizeof(tg_slot));
    if (!b)
        return cio__error(CIO_ENOMEM, "cio_taskgroup_spawn: out of memory");
    b->n = n;
    b->next = g->blocks;
    g->blocks = b;
    g->nslots += n;
    for (size_t i = n; i-- > 0;) {
        tg_slot *s = &b->slots[i];
        *s = (tg_slot){.node.run = tg_slot_run, .g = g, .next = g->free_slots};
        g->free_slots = s;
    }
    return 0;
}

int cio_taskgroup_spawn_at(cio_taskgroup *g, cio_task_fn fn, void *arg,
                           const cio_task_options *opts, cio_future **out,
                           const char *file, int line) {
    if (out)
        *out = NULL;
    if (!g || !fn)
        return cio__error(CIO_EINVAL,
                          "cio_taskgroup_spawn: group or fn is NULL");
    if (g->state == TG_CLOSED || g->aborting ||
        (g->state == TG_EXITING && g->running == 0))
        return cio__error(
            CIO_EINVALIDSTATE,
            "cio_taskgroup_spawn: the task group is closed or shutting down");
    if (reserve(g))
        return cio__error(CIO_ENOMEM, "cio_taskgroup_spawn: out of memory");
    cio_future *task = cio_create_task_at(g->loop, fn, arg, opts, file, line);
    if (!task)
        return cio_last_error();
    if (out)
        *out = cio_retain(task);
    if (task->state == CIO_DONE && !task->error) {
        /* an eager task that succeeded at once: nothing to hold or count
         * (task_done's path for it, without its calls) */
        cio_release(task);
        return 0;
    }
    g->running++;
    if (cio_future_done(task)) { /* an eager task that finished at once */
        if (task_done(g, task))
            slot_hold(g, task, SLOT_KEPT);
        else
            cio_release(task);
        return 0;
    }
    tg_slot *s = slot_hold(g, task, SLOT_WAITING);
    int rc = cio__future_add_node(task, &s->node);
    if (rc != 0) { /* (the loop closed: the task never runs) */
        g->running--;
        cio_cancel(task, NULL);
        slot_free(g, s);
        return rc;
    }
    g->refs++;
    return 0;
}

/* Wait until no task runs. Returns true if the parent was cancelled from
 * outside meanwhile (then the tasks were cancelled too). */
static bool wait_all(cio_taskgroup *g, const char *file, int line) {
    bool cancelled = false;
    while (g->running > 0) {
        int rc;
        g->waiter = cio_future_new(g->loop);
        if (g->waiter) {
            rc = cio_await_at(g->waiter, NULL, file, line);
            cio_release(g->waiter);
            g->waiter = NULL;
        } else {
            rc = cio_sleep_at(0, file, line); /* no memory: poll */
        }
        if (rc == CIO_ECANCELED && !g->aborting) {
            cancelled = true;
            abort_tasks(g);
        }
    }
    return cancelled;
}

int cio_taskgroup_wait_at(cio_taskgroup *g, int body_err, const char *file,
                          int line) {
    if (!g)
        return cio__error(CIO_EINVAL, "cio_taskgroup_wait: group is NULL");
    cio_future *self = cio_current_task();
    if (!self)
        return cio__error(CIO_ENOTASK, "cio_taskgroup_wait: not in a task");
    if (self != g->parent)
        return cio__error(CIO_EINVAL, "cio_taskgroup_wait: only the task that "
                                      "created the group may wait for it");
    if (g->state != TG_OPEN)
        return cio__error(
            CIO_EINVALIDSTATE,
            "cio_taskgroup_wait: the group has already been waited for");
    g->state = TG_EXITING;
    bool propagate = body_err == CIO_ECANCELED;
    if (body_err && !g->aborting)
        abort_tasks(g);
    if (wait_all(g, file, line))
        propagate = true;
    g->state = TG_CLOSED;
    if (g->parent_cancel_requested &&
        cio_task_uncancel(g->parent) <= g->parent_cancelling)
        propagate = false; /* only the group's own request stood */
    if (propagate && g->nerrors == 0)
        return cio__error(CIO_ECANCELED,
                          "cio_taskgroup_wait: the waiting task was cancelled");
    if (body_err && body_err != CIO_ECANCELED)
        add_error(g, body_err, cio_strerror(body_err), NULL);
    if (g->nerrors == 0)
        return 0;
    /* A cancellation from outside still stands: keep it for the parent's
     * next await (asyncio uncancels and cancels again). */
    if (cio_task_cancelling(g->parent) > 0) {
        cio_task_uncancel(g->parent);
        cio_cancel(g->parent, NULL);
    }
    return cio__error(CIO_ETASKGROUP,
                      "cio_taskgroup_wait: %zu task(s) of the group failed",
                      g->nerrors);
}

size_t cio_taskgroup_errors(const cio_taskgroup *g,
                            const cio_taskgroup_error **errors) {
    if (errors)
        *errors = g ? g->errors : NULL;
    return g ? g->nerrors : 0;
}

int cio_taskgroup_free(cio_taskgroup *g) {
    if (!g)
        return 0;
    if (g->state == TG_EXITING) /* the parent waits in cio_taskgroup_wait */
        return cio__error(CIO_EINVALIDSTATE,
                          "cio_taskgroup_free: the parent task still waits in "
                          "cio_taskgroup_wait");
    if (g->state == TG_OPEN) { /* never waited for: abandon the tasks */
        abort_tasks(g);
        if (g->parent_cancel_requested)
            cio_task_uncancel(g->parent);
    }
    cio__cleanup_remove(g->parent, &g->cleanup);
    tg_release(g);
    return 0;
}
