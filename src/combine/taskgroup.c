/* taskgroup.c - asyncio.TaskGroup (as of CPython 3.13).
 *
 * The group keeps a reference to every task it spawned and a done callback
 * on each. The first task to fail starts the abort: every other task is
 * cancelled, and so is the parent, so that whatever the body awaits returns
 * CIO_ECANCELED and the body goes on to cio_taskgroup_wait(). That
 * cancellation of the parent is the group's own: it is taken back
 * (uncancel) once the tasks are done, so the parent ends as it would have
 * without it. The group's memory is reference counted (the owner and each
 * callback not yet run or dropped) because a callback may already be
 * scheduled when the group is freed.
 *
 * The group belongs to its parent, like the `async with` block it stands
 * for: a clean-up record in the parent frees it if the loop is closed while
 * the parent is still pending.
 */
#include "combine/internal.h"

#include <stdlib.h>

enum { TG_OPEN, TG_EXITING, TG_CLOSED };

struct cio_taskgroup {
    unsigned refs;
    cio_loop *loop;
    cio_future *parent; /* a reference */
    cio_future **tasks; /* every task spawned (references) */
    size_t ntasks, cap;
    size_t running;              /* tasks not done */
    cio_taskgroup_error *errors; /* room for ntasks + 1 (the body's) */
    size_t nerrors;
    cio_future *waiter;    /* awaited by cio_taskgroup_wait, or NULL */
    int parent_cancelling; /* the parent's cancelling() at creation */
    int state;
    bool aborting, parent_cancel_requested, freed;
    cio__cleanup cleanup; /* in the parent's records while the group lives */
};

static void tg_unref(cio_taskgroup *g) {
    if (--g->refs == 0) {
        free(g->tasks);
        free(g->errors);
        free(g);
    }
}

/* A task's callback will never run (the loop closed first). */
static void on_task_dropped(void *arg) {
    tg_unref(arg);
}

static void add_error(cio_taskgroup *g, int code, const char *message,
                      cio_future *task) {
    g->errors[g->nerrors++] = (cio_taskgroup_error){code, message, task};
}

/* Cancel every task not done (asyncio's _abort). */
static void abort_tasks(cio_taskgroup *g) {
    g->aborting = true;
    cio__cancel_pending(g->tasks, g->ntasks, NULL);
}

static void on_task_done(cio_future *task, void *arg) {
    cio_taskgroup *g = arg;
    if (g->freed) {
        tg_unref(g);
        return;
    }
    if (--g->running == 0)
        cio__wake(g->waiter);
    int err = cio_future_error(task);
    if (err && !cio_future_cancelled(task)) {
        add_error(g, err, cio_future_error_message(task), task);
        if (!g->aborting && !g->parent_cancel_requested &&
            !cio_future_done(g->parent)) {
            abort_tasks(g);
            g->parent_cancel_requested = true;
            cio_cancel(g->parent, NULL);
        }
    }
    tg_unref(g);
}

/* Let go of the tasks (their callbacks too) and the parent; the memory goes
 * with the last reference. */
static void tg_release(cio_taskgroup *g) {
    g->freed = true;
    for (size_t i = 0; i < g->ntasks; i++) {
        if (cio_future_remove_done_callback(g->tasks[i], on_task_done, g) > 0)
            g->refs--;
        cio_release(g->tasks[i]);
    }
    g->ntasks = 0;
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

/* Room for one more task and its possible error, before creating it. */
static int reserve(cio_taskgroup *g) {
    if (g->ntasks < g->cap)
        return 0;
    size_t cap = g->cap ? 2 * g->cap : 8;
    cio_future **tasks = realloc(g->tasks, cap * sizeof *tasks);
    if (!tasks)
        return cio__error(CIO_ENOMEM, "cio_taskgroup_spawn: out of memory");
    g->tasks = tasks;
    cio_taskgroup_error *errors =
        realloc(g->errors, (cap + 1) * sizeof *errors);
    if (!errors)
        return cio__error(CIO_ENOMEM, "cio_taskgroup_spawn: out of memory");
    g->errors = errors;
    g->cap = cap;
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
    if (cio__future_add_done_callback_ex(task, on_task_done, g,
                                         on_task_dropped) != 0) {
        cio_cancel(task, NULL); /* it never runs */
        cio_release(task);
        return cio__error(CIO_ENOMEM, "cio_taskgroup_spawn: out of memory");
    }
    g->refs++;
    g->tasks[g->ntasks++] = task;
    g->running++;
    if (out)
        *out = cio_retain(task);
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
