/* loop.c - the event loop: a ready queue run in passes, with libuv below.
 *
 * One pass runs exactly the nodes that were ready when it began; whatever
 * they schedule waits for the next pass (asyncio's rule). Before a pass,
 * due timers join the queue in deadline order. libuv is polled for I/O
 * only when it is needed: blocking, with a timeout up to the earliest timer,
 * when nothing is ready; otherwise without blocking once every POLL_EVERY
 * steps, so that a yield costs no system call and I/O still gets its turn
 * within a bounded number of steps.
 */
#include "core/internal.h"

#include <math.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLL_EVERY 256 /* steps between non-blocking polls while busy */

CIO_TLS cio_loop *cio__running_loop;
CIO_TLS cio_loop *cio__thread_loop;

static uint64_t monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t cio__loop_now(cio_loop *loop) {
    return loop->virtual_time ? loop->vnow : monotonic_ns();
}

double cio_loop_time(const cio_loop *loop) {
    if (!loop)
        return 0.0;
    uint64_t ns = loop->virtual_time ? loop->vnow : monotonic_ns();
    return (double)ns / 1e9;
}

void cio__loop_ref(cio_loop *loop) {
    loop->refs++;
}

void cio__loop_unref(cio_loop *loop) {
    if (--loop->refs == 0) {
        cio__task_memory_free(loop);
        cio__inbox_release(loop->inbox);
        free(loop);
    }
}

cio_loop *cio__pick_loop(cio_loop *loop, const char *who) {
    if (!loop)
        loop = cio__running_loop ? cio__running_loop : cio__thread_loop;
    if (!loop) {
        cio__set_error(CIO_ENOLOOP, "%s: no event loop on this thread", who);
        return NULL;
    }
    if (loop->closed) {
        cio__set_error(CIO_ELOOPCLOSED, "%s: the event loop is closed", who);
        return NULL;
    }
    if (!pthread_equal((pthread_t)loop->thread, pthread_self())) {
        cio__set_error(CIO_EWRONGLOOP,
                       "%s: the event loop belongs to another thread (use "
                       "cio_call_soon_threadsafe to reach it)",
                       who);
        return NULL;
    }
    return loop;
}

cio_loop *cio_get_running_loop(void) {
    return cio__running_loop;
}

cio_loop *cio_get_loop(void) {
    return cio__running_loop ? cio__running_loop : cio__thread_loop;
}

int cio_set_loop(cio_loop *loop) {
    if (loop && loop->closed)
        return CIO_ELOOPCLOSED;
    if (loop && !pthread_equal((pthread_t)loop->thread, pthread_self()))
        return CIO_EWRONGLOOP;
    cio__thread_loop = loop;
    return 0;
}

struct uv_loop_s *cio_loop_uv(cio_loop *loop) {
    return loop && !loop->closed ? &loop->uv : NULL;
}

static bool env_debug(void) {
    const char *v = getenv("CIO_DEBUG");
    return v && *v && strcmp(v, "0") != 0;
}

static bool options_ok(const cio_loop_options *o) {
    if (o->stack_size && o->stack_size < CIO_STACK_MIN) {
        cio__set_error(CIO_EINVAL,
                       "cio_loop_new: stack_size %zu is below CIO_STACK_MIN "
                       "(%zu)",
                       o->stack_size, CIO_STACK_MIN);
        return false;
    }
    if (!(o->slow_callback_duration >= 0.0) ||
        isinf(o->slow_callback_duration)) {
        cio__set_error(CIO_EINVAL, "cio_loop_new: slow_callback_duration "
                                   "must be a finite number >= 0");
        return false;
    }
    return true;
}

/* libuv's loop, the stack pool, the wake timer and the inbox; on failure
 * what was opened is closed again and the error recorded. */
static bool open_resources(cio_loop *loop) {
    int rc = uv_loop_init(&loop->uv);
    if (rc != 0) {
        cio__set_error(rc, "cio_loop_new: libuv: %s", uv_strerror(rc));
        return false;
    }
    rc = CIO_ENOMEM;
    loop->stacks = cio__stack_pool_new();
    if (!loop->stacks)
        goto close_uv;
    uv_timer_init(&loop->uv, &loop->wake);
    rc = cio__inbox_open(loop);
    if (rc == 0)
        return true;
    uv_close((uv_handle_t *)&loop->wake, NULL);
    uv_run(&loop->uv, UV_RUN_NOWAIT);
    cio__stack_pool_free(loop->stacks);
close_uv:
    uv_loop_close(&loop->uv);
    cio__set_error(rc, "cio_loop_new: %s", cio_strerror(rc));
    return false;
}

cio_loop *cio_loop_new(const cio_loop_options *opts) {
    cio_loop_options o = {0};
    if (opts)
        o = *opts;
    if (!options_ok(&o))
        return NULL;
    cio_loop *loop = calloc(1, sizeof *loop);
    if (!loop) {
        cio__set_error(CIO_ENOMEM, "cio_loop_new: out of memory");
        return NULL;
    }
    if (!open_resources(loop)) {
        free(loop);
        return NULL;
    }
    loop->refs = 1;
    loop->virtual_time = o.virtual_time;
    loop->debug = o.debug || env_debug();
    double slow = o.slow_callback_duration > 0 ? o.slow_callback_duration : 0.1;
    loop->slow_ns = (uint64_t)(slow * 1e9);
    loop->stack_size = o.stack_size ? o.stack_size : CIO_STACK_DEFAULT;
    loop->vnow = monotonic_ns();
    loop->thread = (uintptr_t)pthread_self();
    cio__coro_init_main(&loop->main);
    cio__coro_thread_init();
    if (!cio__thread_loop)
        cio__thread_loop = loop;
    return loop;
}

/* Only here to end the blocking poll. libuv 1.44 runs due timers before
 * it polls: a wake-up that fires there must stop the run, or the poll that
 * follows blocks for as long as any other handle is active. */
static void on_wake(uv_timer_t *t) {
    uv_stop(t->loop);
}

/* Whether the calling thread is the process's only one (Linux: field 20 of
 * /proc/self/stat; elsewhere assume not, and wait rather than give up). */
static bool only_thread(void) {
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f)
        return false;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* the command name (field 2) may hold spaces: count after its ')' */
    const char *p = strrchr(buf, ')');
    long threads = 0;
    if (p && sscanf(p + 1,
                    " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                    "%*u %*u %*d %*d %*d %*d %ld",
                    &threads) == 1)
        return threads == 1;
    return false;
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
    cio__stack_pool_trim(loop->stacks, TRIM_WHEN_IDLE);
    if (loop->virtual_time && loop->nheap) {
        poll_nowait(loop);
        if (loop->ready.count == 0 && loop->heap[0]->when > loop->vnow)
            loop->vnow = loop->heap[0]->when;
        cio__timers_fire(loop, loop->vnow);
        return 0;
    }
    if (loop->nheap) {
        uint64_t now = monotonic_ns(), when = loop->heap[0]->when;
        if (when <= now) { /* due already: look at I/O, do not block */
            poll_nowait(loop);
            cio__timers_fire(loop, cio__loop_now(loop));
            return 0;
        }
        /* libuv 1.44's uv_run fires timers before it polls, against its
         * cached clock: a wake timer set from a stale clock (tasks ran
         * for longer than the wait) fired there, and the poll then blocked
         * without a timeout whenever another handle (a socket, a uv_poll)
         * kept the loop alive. Refresh the clock first. */
        uv_update_time(&loop->uv);
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
    if (loop->nheap)
        cio__timers_fire(loop, cio__loop_now(loop));
    return 0;
}

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
    } else if (loop->ready.count == 0 || loop->steps_since_poll >= POLL_EVERY) {
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
     * themselves (pass_peek_task in task.c) before they switch back here. */
    while (loop->pass_left) {
        loop->pass_left--;
        cio__node *node = cio__queue_pop(&loop->ready);
        node->run(node, false);
    }
    return 0;
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
            snprintf(what, sizeof what, "task '%s' (created at %s:%d)",
                     cio__task_name(t, name, sizeof name), t->created_file,
                     t->created_line);
        }
        uint64_t t0 = monotonic_ns();
        node->run(node, false);
        uint64_t took = monotonic_ns() - t0;
        if (took > loop->slow_ns)
            cio__diag("%s ran for %.1f ms without yielding", what,
                      (double)took / 1e6);
    }
}

static bool finished(const cio_loop *loop, const cio_future *until,
                     bool until_no_tasks) {
    if (until)
        return until->state >= CIO_DONE;
    return until_no_tasks &&
           (loop->nlive == 0 || loop->tasks_created != loop->created_mark);
}

/* A task that suspends at the end of a pass may start the next one itself,
 * sparing two switches through the scheduler, when the scheduler would do
 * nothing else first: no poll is due, the run is not over, not debugging. */
bool cio__loop_next_pass_inline(cio_loop *loop) {
    if (loop->debug || loop->stopping || loop->ready.count == 0 ||
        loop->steps_since_poll >= POLL_EVERY ||
        finished(loop, loop->until, loop->until_no_tasks))
        return false;
    if (loop->nheap)
        cio__timers_fire(loop, cio__loop_now(loop));
    loop->pass_left = loop->ready.count;
    loop->steps_since_poll += (unsigned)loop->pass_left;
    return true;
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
    }
    loop->until = NULL;
    loop->until_no_tasks = false;
    loop->stopping = false;
    loop->running = false;
    cio__running_loop = outer;
    return rc;
}

static int check_runnable(cio_loop *loop) {
    if (!loop)
        return CIO_EINVAL;
    if (loop->closed)
        return CIO_ELOOPCLOSED;
    if (cio__running_loop)
        return CIO_ELOOPRUNNING;
    if (!pthread_equal((pthread_t)loop->thread, pthread_self()))
        return CIO_EWRONGLOOP;
    return 0;
}

int cio_loop_run_forever(cio_loop *loop) {
    int rc = check_runnable(loop);
    return rc ? rc : cio__loop_run(loop, NULL, false);
}

int cio_loop_run_until_done(cio_loop *loop, cio_future *future, void **result) {
    if (result)
        *result = NULL;
    int rc = check_runnable(loop);
    if (rc)
        return rc;
    if (!future)
        return CIO_EINVAL;
    if (future->loop != loop)
        return CIO_EWRONGLOOP;
    rc = cio__loop_run(loop, future, false);
    if (rc)
        return rc;
    if (!cio_future_done(future))
        return CIO_ESTOPPED;
    rc = cio_future_error(future);
    if (result)
        *result = cio_future_result(future);
    return rc;
}

int cio_loop_run_until_complete(cio_loop *loop, cio_task_fn fn, void *arg,
                                void **result) {
    if (result)
        *result = NULL;
    int rc = check_runnable(loop);
    if (rc)
        return rc;
    if (!fn)
        return CIO_EINVAL;
    cio_future *task = cio_create_task_at(loop, fn, arg, NULL, "<run>", 0);
    if (!task)
        return cio_last_error();
    rc = cio_loop_run_until_done(loop, task, result);
    cio_release(task);
    return rc;
}

int cio_loop_stop(cio_loop *loop) {
    if (!loop)
        return CIO_EINVAL;
    if (loop->closed)
        return CIO_ELOOPCLOSED;
    loop->stopping = true;
    return 0;
}

static void close_uv_handle(uv_handle_t *h, void *arg) {
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

int cio_loop_close(cio_loop *loop) {
    if (!loop)
        return CIO_EINVAL;
    if (loop->closed)
        return 0;
    if (loop->running)
        return CIO_ELOOPRUNNING;
    if (!pthread_equal((pthread_t)loop->thread, pthread_self()))
        return CIO_EWRONGLOOP;
    loop->closed = true;
    /* Callbacks that never ran are dropped; tasks are dealt with below. */
    cio__node *n;
    while ((n = cio__queue_pop(&loop->ready)) != NULL)
        n->run(n, true);
    /* Timers of handles are dropped; a sleeping task's timer goes with it. */
    while (loop->nheap) {
        cio__timer *t = loop->heap[0];
        cio__timer_disarm(loop, t);
        n = &cio__container_of(t, cio__timed, timer)->node;
        n->run(n, true);
    }
    while (loop->live_head)
        cio__task_abandon(loop->live_head);
    cio__loop_run_hooks(loop, CIO__AT_CLOSE);
    cio__inbox_close(loop);
    /* what the hooks and the inbox dropped may have scheduled more */
    while ((n = cio__queue_pop(&loop->ready)) != NULL)
        n->run(n, true);
    while (loop->hooks) {
        cio__hook *h = loop->hooks;
        loop->hooks = h->next;
        free(h);
    }
    free(loop->heap);
    loop->heap = NULL;
    uv_walk(&loop->uv, close_uv_handle, NULL);
    uv_run(&loop->uv, UV_RUN_DEFAULT);
    uv_loop_close(&loop->uv);
    cio__stack_pool_free(loop->stacks);
    loop->stacks = NULL;
    cio__coro_thread_done();
    if (cio__coro_current == &loop->main) /* read by the SIGSEGV handler */
        cio__coro_current = NULL;
    if (cio__thread_loop == loop)
        cio__thread_loop = NULL;
    cio__loop_unref(loop);
    return 0;
}

int cio__loop_add_hook(cio_loop *loop, cio__hook_fn fn, void *arg) {
    cio__hook *h = malloc(sizeof *h);
    if (!h)
        return CIO_ENOMEM;
    h->fn = fn;
    h->arg = arg;
    h->next = loop->hooks;
    loop->hooks = h;
    return 0;
}

void *cio__loop_hook_arg(cio_loop *loop, cio__hook_fn fn) {
    for (cio__hook *h = loop->hooks; h; h = h->next)
        if (h->fn == fn)
            return h->arg;
    return NULL;
}

void cio__loop_run_hooks(cio_loop *loop, int when) {
    for (cio__hook *h = loop->hooks; h; h = h->next)
        h->fn(loop, when, h->arg);
}
