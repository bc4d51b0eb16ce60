/* loop.c - the event loop object: its clock, its life (new, close), the
 * public ways to run and stop it, and the hooks higher layers hang on it.
 * How a run proceeds, iteration by iteration, is the scheduler's
 * (sched.c).
 */
#include "core/sched.h"

#include <math.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

CIO_TLS cio_loop *cio__running_loop;
CIO_TLS cio_loop *cio__thread_loop;

uint64_t cio__monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t cio__loop_now(cio_loop *loop) {
    return loop->virtual_time ? loop->vnow : cio__monotonic_ns();
}

double cio_loop_time(const cio_loop *loop) {
    if (!loop)
        return 0.0;
    uint64_t ns = loop->virtual_time ? loop->vnow : cio__monotonic_ns();
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
    if (!cio__on_loop_thread(loop)) {
        cio__wrong_thread(who);
        return NULL;
    }
    return loop;
}

int cio__wrong_thread(const char *who) {
    cio__set_error(CIO_EWRONGLOOP,
                   "%s: called from a thread that is not the loop's (reach "
                   "the loop with cio_call_soon_threadsafe or "
                   "cio_run_coroutine_threadsafe)",
                   who);
    return CIO_EWRONGLOOP;
}

cio_loop *cio_get_running_loop(void) {
    return cio__running_loop;
}

cio_loop *cio_get_loop(void) {
    return cio__running_loop ? cio__running_loop : cio__thread_loop;
}

int cio_set_loop(cio_loop *loop) {
    if (loop && !cio__on_loop_thread(loop))
        return cio__wrong_thread("cio_set_loop");
    if (loop && loop->closed)
        return cio__error(CIO_ELOOPCLOSED, "cio_set_loop: the loop is closed");
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
    if (o->stack_size &&
        (o->stack_size < CIO_STACK_MIN || o->stack_size > CIO_STACK_MAX)) {
        cio__set_error(CIO_EINVAL,
                       "cio_loop_new: stack_size %zu is out of range "
                       "(CIO_STACK_MIN %zu to CIO_STACK_MAX %zu)",
                       o->stack_size, CIO_STACK_MIN, CIO_STACK_MAX);
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

/* libuv's loop, the stack pool, the poll's handles and the inbox; on failure
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
    cio__coro_set_origin(cio__task_origin); /* for the overflow report */
    cio__poll_open(loop);
    rc = cio__inbox_open(loop);
    if (rc == 0)
        return true;
    uv_close((uv_handle_t *)&loop->wake, NULL);
    uv_close((uv_handle_t *)&loop->before_poll, NULL);
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
    loop->eager_tasks = o.eager_tasks;
    loop->compact_tasks = o.compact_tasks;
    double slow = o.slow_callback_duration > 0 ? o.slow_callback_duration : 0.1;
    loop->slow_ns = (uint64_t)(slow * 1e9);
    loop->stack_size = o.stack_size ? o.stack_size : CIO_STACK_DEFAULT;
    /* A virtual clock starts at 0, as asyncio's test loops do: deadlines
     * made of whole (or decimal) seconds are then exact as doubles, and a
     * run's order does not depend on when it starts (started at the
     * monotonic clock, cio_timeout(2)'s deadline, computed in double
     * seconds, could land a nanosecond before cio_sleep(2)'s). */
    loop->vnow = 0;
    loop->thread = (uintptr_t)pthread_self();
    cio__coro_init_main(&loop->main);
    cio__coro_thread_init();
    if (!cio__thread_loop)
        cio__thread_loop = loop;
    return loop;
}

static int check_runnable(cio_loop *loop) {
    if (!loop)
        return cio__error(CIO_EINVAL, "cio_loop_run: loop is NULL");
    if (!cio__on_loop_thread(loop))
        return cio__wrong_thread("cio_loop_run");
    if (loop->closed)
        return cio__error(CIO_ELOOPCLOSED, "cio_loop_run: the loop is closed");
    if (cio__running_loop)
        return cio__error(
            CIO_ELOOPRUNNING,
            "cio_loop_run: an event loop is already running on this thread");
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
        return cio__error(CIO_EINVAL,
                          "cio_loop_run_until_done: future is NULL");
    if (future->loop != loop)
        return cio__error(CIO_EWRONGLOOP, "cio_loop_run_until_done: the future "
                                          "belongs to another event loop");
    rc = cio__loop_run(loop, future, false);
    if (rc)
        return rc;
    if (!cio_future_done(future))
        return cio__error(CIO_ESTOPPED, "cio_loop_run_until_done: the loop "
                                        "stopped before the future was done");
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
        return cio__error(CIO_EINVAL,
                          "cio_loop_run_until_complete: fn is NULL");
    cio_future *task = cio_create_task_at(loop, fn, arg, NULL, "<run>", 0);
    if (!task)
        return cio_last_error();
    rc = cio_loop_run_until_done(loop, task, result);
    cio_release(task);
    return rc;
}

int cio_loop_stop(cio_loop *loop) {
    if (!loop)
        return cio__error(CIO_EINVAL, "cio_loop_stop: loop is NULL");
    CIO__CHECK_THREAD(loop, "cio_loop_stop");
    if (loop->closed)
        return cio__error(CIO_ELOOPCLOSED, "cio_loop_stop: the loop is closed");
    loop->stopping = true;
    return 0;
}

static void close_uv_handle(uv_handle_t *h, void *arg) {
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void abandon_one(cio__task *t, void *arg) {
    (void)arg;
    cio__task_abandon(t);
}

int cio_loop_close(cio_loop *loop) {
    if (!loop)
        return cio__error(CIO_EINVAL, "cio_loop_close: loop is NULL");
    CIO__CHECK_THREAD(loop, "cio_loop_close");
    if (loop->closed)
        return 0;
    if (loop->running)
        return cio__error(CIO_ELOOPRUNNING,
                          "cio_loop_close: the loop is running");
    loop->closed = true;
    /* Callbacks that never ran are dropped; tasks are dealt with below. */
    cio__node *n;
    while ((n = cio__queue_pop(&loop->ready)) != NULL)
        n->run(n, true);
    /* Timers of handles are dropped; a sleeping task's timer goes with it. */
    while (loop->nheap) {
        cio__timer *t = loop->heap[0].timer;
        cio__timer_disarm(loop, t);
        n = &cio__container_of(t, cio__timed, timer)->node;
        n->run(n, true);
    }
    cio__live_each(loop, abandon_one, NULL);
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
    cio__compact_free(loop->compact);
    loop->compact = NULL;
    cio__eager_stack_put(loop);
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
