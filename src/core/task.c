/* task.c - tasks: a function running on its own stack, seen as a future.
 *
 * A task's life: created PENDING with its first step in the ready queue and
 * no stack; at that step it takes a stack from the loop's pool and becomes
 * RUNNING; each await or sleep switches back to the scheduler, and a future
 * finishing (or a timer, or a cancellation) puts the step back in the ready
 * queue; when the function returns the task finishes, switches away for the
 * last time, and the scheduler gives its stack back to the pool.
 *
 * Cancellation follows asyncio: cancel() cancels what the task awaits, if
 * anything, or else marks the task so that its next suspension point
 * returns CIO_ECANCELED.
 */
#include "core/internal.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

CIO_TLS cio__task *cio__current_task;

static atomic_uint_fast64_t task_counter;
static char raise_marker;

/* Task numbers are unique in the process, as asyncio's. A thread takes them
 * from the shared counter in blocks, so that creating a task costs no
 * atomic operation. */
#define ID_BLOCK 1024
static CIO_TLS uint64_t next_id, id_limit;

static uint64_t new_task_id(void) {
    if (next_id == id_limit) {
        next_id = atomic_fetch_add_explicit(&task_counter, ID_BLOCK,
                                            memory_order_relaxed) +
                  1;
        id_limit = next_id + ID_BLOCK;
    }
    return next_id++;
}

/* Take the message a pending task keeps for its cancellation or raise. */
static char *take_message(cio__task *t) {
    char *msg = t->fut.message;
    t->fut.message = NULL;
    return msg ? msg : cio__strdup("");
}

const char *cio__task_name(const cio__task *t, char *buf, size_t cap) {
    if (t->coro.name)
        return t->coro.name;
    snprintf(buf, cap, "Task-%llu", (unsigned long long)t->coro.id);
    return buf;
}

static void live_unlink(cio_loop *loop, cio__task *t) {
    if (t->prev_live)
        t->prev_live->next_live = t->next_live;
    else
        loop->live_head = t->next_live;
    if (t->next_live)
        t->next_live->prev_live = t->prev_live;
    else
        loop->live_tail = t->prev_live;
    t->prev_live = t->next_live = NULL;
    loop->nlive--;
}

static void live_append(cio_loop *loop, cio__task *t) {
    t->prev_live = loop->live_tail;
    if (loop->live_tail)
        loop->live_tail->next_live = t;
    else
        loop->live_head = t;
    loop->live_tail = t;
    loop->nlive++;
}

/* Task memory. Tasks are created and freed by the million in a burst, so
 * each loop keeps its own: a free list of task-sized blocks, refilled from
 * chunks. It saves malloc's header and bookkeeping per task. The first
 * chunks are 64 KiB; once a loop has had many tasks, chunks are 2 MiB
 * mappings that ask for a transparent huge page, so that a million tasks
 * cost a hundred page faults rather than fifty thousand (a fault costs
 * about as much as creating a task). The sanitizer builds use malloc, so
 * that a use after free is still caught. */
#define CHUNK_BYTES ((size_t)64 * 1024)
#define SMALL_CHUNKS 16
#define HUGE_CHUNK_BYTES ((size_t)2 << 20)
#define TASK_BYTES ((sizeof(cio__task) + 15) & ~(size_t)15)

/* A chunk starts with this header; the tasks follow. */
typedef struct chunk {
    struct chunk *next;
    size_t bytes; /* 0: from malloc */
} chunk;

#if defined(CIO_ASAN) || defined(CIO_TSAN)
static cio__task *task_alloc(cio_loop *loop) {
    (void)loop;
    return malloc(sizeof(cio__task));
}
static void task_dealloc(cio_loop *loop, cio__task *t) {
    (void)loop;
    free(t);
}
#else
static chunk *new_chunk(cio_loop *loop) {
    chunk *c;
    if (loop->nchunks < SMALL_CHUNKS) {
        c = malloc(CHUNK_BYTES);
        if (!c)
            return NULL;
        c->bytes = 0;
    } else {
        /* twice the size, to align a 2 MiB window inside it */
        size_t len = 2 * HUGE_CHUNK_BYTES;
        char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return NULL;
        uintptr_t mask = HUGE_CHUNK_BYTES - 1;
        char *a = m + ((HUGE_CHUNK_BYTES - ((uintptr_t)m & mask)) & mask);
        if (a > m)
            munmap(m, (size_t)(a - m));
        if (a + HUGE_CHUNK_BYTES < m + len)
            munmap(a + HUGE_CHUNK_BYTES,
                   (size_t)(m + len - (a + HUGE_CHUNK_BYTES)));
        (void)madvise(a, HUGE_CHUNK_BYTES, MADV_HUGEPAGE);
        c = (chunk *)(void *)a;
        c->bytes = HUGE_CHUNK_BYTES;
    }
    loop->nchunks++;
    c->next = loop->task_chunks;
    loop->task_chunks = c;
    loop->carve_at = (char *)c + 16;
    loop->carve_end = (char *)c + (c->bytes ? c->bytes : CHUNK_BYTES);
    return c;
}

static cio__task *task_alloc(cio_loop *loop) {
    void *p = loop->free_tasks;
    if (p) {
        loop->free_tasks = *(void **)p;
        return p;
    }
    if (loop->carve_end - loop->carve_at < (ptrdiff_t)TASK_BYTES &&
        !new_chunk(loop))
        return NULL;
    p = loop->carve_at;
    loop->carve_at += TASK_BYTES;
    return p;
}
static void task_dealloc(cio_loop *loop, cio__task *t) {
    *(void **)(void *)t = loop->free_tasks;
    loop->free_tasks = t;
}
#endif

void cio__task_memory_free(cio_loop *loop) {
    chunk *c = loop->task_chunks;
    while (c) {
        chunk *next = c->next;
        if (c->bytes)
            munmap(c, c->bytes);
        else
            free(c);
        c = next;
    }
    loop->task_chunks = NULL;
    loop->carve_at = loop->carve_end = NULL;
    loop->free_tasks = NULL;
    loop->nchunks = 0;
}

void cio__task_free(cio__task *t) {
    cio_loop *loop = t->fut.loop;
    cio__future_free(&t->fut);
    free(t->coro.name);
    task_dealloc(loop, t);
    cio__loop_unref(loop); /* last: it may free the task memory */
}

static void task_main(void *arg);

void cio__task_origin(const cio__coro *c, const char **file, int *line) {
    const cio__task *t = cio__container_of(c, cio__task, coro);
    *file = t->created_file;
    *line = t->created_line;
}

/* The scheduler's side of a task: start it or resume it, and clean up after
 * it once it has finished. */
void cio__task_step(cio__node *node, bool discard) {
    if (discard)
        return; /* the loop is closing; cio__task_abandon does the rest */
    cio__task *t = cio__container_of(node, cio__task, step.node);
    cio_loop *loop = t->fut.loop;
    if (!t->started) {
        if (t->must_cancel && !t->run_when_cancelled) { /* it never runs */
            t->finished = true;
            cio__future_finish(&t->fut, CIO_CANCELLED, CIO_ECANCELED, NULL,
                               take_message(t));
            live_unlink(loop, t);
            cio_release(&t->fut);
            return;
        }
        cio__stack *stack = cio__stack_get(loop->stacks, t->stack_size);
        if (!stack) {
            t->finished = true;
            cio__future_finish(&t->fut, CIO_DONE, CIO_ENOMEM, NULL,
                               cio__strdup("no memory for the task's stack"));
            live_unlink(loop, t);
            cio_release(&t->fut);
            return;
        }
        cio__coro_start(&t->coro, stack, task_main, t);
        t->started = true;
        t->fut.state = CIO_RUNNING;
    }
    cio__current_task = t;
    cio__coro_switch(&loop->main, &t->coro);
    cio__current_task = NULL;
    t = loop->returned; /* tasks may have handed over to each other */
    if (t->finished) {
        cio__stack_put(loop->stacks, t->coro.stack);
        cio__coro_destroy(&t->coro);
        live_unlink(loop, t);
        cio_release(&t->fut); /* the loop's reference */
    }
}

/* How a returning task finishes: a raised error, a standing cancellation,
 * or its result. */
static void task_finish(cio__task *t, void *ret) {
    int raised = t->fut.error;
    t->fut.error = 0;
    if (ret == &raise_marker && raised) {
        cio__future_finish(&t->fut,
                           raised == CIO_ECANCELED ? CIO_CANCELLED : CIO_DONE,
                           raised, NULL, take_message(t));
    } else if (t->cancel_requests > 0) {
        cio__future_finish(&t->fut, CIO_CANCELLED, CIO_ECANCELED, NULL,
                           take_message(t));
    } else {
        cio__future_finish(&t->fut, CIO_DONE, 0,
                           ret == &raise_marker ? NULL : ret, NULL);
    }
}

/* The task whose step is the next node of the current pass (starting the
 * next pass if the scheduler would do nothing else first), or NULL: what a
 * task that suspends or finishes may run itself, in the scheduler's order. */
/* (always inlined: as a call, it tripled the cost of a yield, 4 to 14 ns) */
static inline __attribute__((always_inline)) cio__task *
pass_peek_task(cio_loop *loop) {
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
pass_take(cio_loop *loop, cio__task *next) {
    cio__queue_pop(&loop->ready);
    loop->pass_left--;
    return next;
}

#if !defined(CIO_CORO_UCONTEXT) && !defined(CIO_ASAN) && !defined(CIO_TSAN)
/* The next node of the pass if it is a task that has not started, will run
 * (no cancellation pending) and wants a stack of the same size. */
static cio__task *next_fresh(cio_loop *loop, const cio__task *done) {
    cio__task *next = pass_peek_task(loop);
    if (!next || next->started ||
        (next->must_cancel && !next->run_when_cancelled) ||
        next->stack_size != done->stack_size)
        return NULL;
    return pass_take(loop, next);
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
    next->started = true;
    next->fut.state = CIO_RUNNING;
    cio__current_task = next;
    cio__coro_current = &next->coro;
    done->coro.stack = NULL;
    live_unlink(loop, done);
    cio_release(&done->fut); /* the loop's reference */
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
        void *ret = t->fn(t->arg);
        task_finish(t, ret);
        t->finished = true;
        cio__task *next = chain_fresh(t);
        if (!next)
            break;
        t = next;
    }
    t->fut.loop->returned = t; /* the scheduler frees the stack we are on */
    cio__coro_exit(&t->coro, &t->fut.loop->main);
}

cio_future *cio_create_task_at(cio_loop *loop, cio_task_fn fn, void *arg,
                               const cio_task_options *opts, const char *file,
                               int line) {
    if (!fn) {
        cio__set_error(CIO_EINVAL, "cio_create_task: the function is NULL");
        return NULL;
    }
    loop = cio__pick_loop(loop, "cio_create_task");
    if (!loop)
        return NULL;
    size_t stack_size =
        opts && opts->stack_size ? opts->stack_size : loop->stack_size;
    if (stack_size < CIO_STACK_MIN || stack_size > UINT32_MAX - 65535) {
        cio__set_error(CIO_EINVAL,
                       "cio_create_task: stack size %zu is out of range "
                       "(%zu bytes to 4 GiB less 64 KiB)",
                       stack_size, CIO_STACK_MIN);
        return NULL;
    }
    cio__task *t = task_alloc(loop);
    char *name = opts && opts->name ? cio__strdup(opts->name) : NULL;
    if (!t || (opts && opts->name && !name)) {
        if (t)
            task_dealloc(loop, t);
        free(name);
        cio__set_error(CIO_ENOMEM, "cio_create_task: out of memory");
        return NULL;
    }
    memset(t, 0, sizeof *t);
    cio__future_init(&t->fut, loop, true);
    t->fut.refs = 2; /* the caller's and the loop's */
    t->step.node.run = cio__task_step;
    t->step.timer.index = CIO__NOT_ARMED;
    t->fn = fn;
    t->arg = arg;
    t->coro.name = name;
    t->coro.id = new_task_id();
    t->created_file = file ? file : "?";
    t->created_line = line;
    t->stack_size = (uint32_t)stack_size;
    live_append(loop, t);
    loop->tasks_created++;
    cio__schedule(loop, &t->step.node);
    return &t->fut;
}

/* The next node of the pass if it is a started task's step: a suspending
 * task switches straight to it instead of through the scheduler. */
static cio__task *next_inline(cio_loop *loop) {
    cio__task *next = pass_peek_task(loop);
    if (!next || !next->started)
        return NULL; /* the scheduler gives a new task its stack */
    return pass_take(loop, next);
}

/* Give up the CPU until something puts our step back in the ready queue. */
static void suspend(cio__task *t, const char *file, int line) {
    t->where_file = file;
    t->where_line = line;
    cio_loop *loop = t->fut.loop;
    cio__task *next = next_inline(loop);
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

static cio__task *current_or_null(void) {
    return cio__current_task;
}

int cio_await_at(cio_future *f, void **result, const char *file, int line) {
    if (result)
        *result = NULL;
    cio__task *t = current_or_null();
    if (!t)
        return CIO_ENOTASK;
    if (!f || f == &t->fut)
        return CIO_EINVAL;
    if (f->loop != t->fut.loop)
        return CIO_EWRONGLOOP;
    if (!cio_future_done(f)) {
        t->waiting = cio_retain(f);
        cio__list_push(&f->callbacks, &t->step.node);
        if (t->must_cancel && cio_cancel(f, t->fut.message) > 0)
            t->must_cancel = false;
        suspend(t, file, line);
        t->waiting = NULL;
        if (t->must_cancel) {
            /* cancelled after f was done but before we resumed */
            t->must_cancel = false;
            cio_release(f);
            return CIO_ECANCELED;
        }
        int rc = cio_future_error(f);
        if (result)
            *result = cio_future_result(f);
        cio_release(f);
        return rc;
    }
    int rc = cio_future_error(f);
    if (result)
        *result = cio_future_result(f);
    return rc;
}

int cio_sleep_at(double seconds, const char *file, int line) {
    cio__task *t = current_or_null();
    if (!t)
        return CIO_ENOTASK;
    if (isnan(seconds))
        return CIO_EINVAL;
    cio_loop *loop = t->fut.loop;
    if (seconds > 0 && !t->must_cancel) {
        if (cio__timer_reserve(loop) != 0)
            return CIO_ENOMEM;
        double ns = seconds * 1e9;
        uint64_t now = cio__loop_now(loop);
        uint64_t when =
            ns >= (double)(UINT64_MAX - now) ? UINT64_MAX : now + (uint64_t)ns;
        cio__timer_arm(loop, &t->step.timer, when);
    } else {
        cio__schedule(loop, &t->step.node); /* a bare yield */
    }
    suspend(t, file, line);
    if (t->must_cancel) {
        t->must_cancel = false;
        return CIO_ECANCELED;
    }
    return 0;
}

/* Where cio_raise records an error outside a task. */
static CIO_TLS int thread_raised_code;
static CIO_TLS char *thread_raised_msg;

bool cio__take_raised(void *ret, int *code, char **msg) {
    if (ret != &raise_marker || !thread_raised_code) {
        free(thread_raised_msg);
        thread_raised_msg = NULL;
        thread_raised_code = 0;
        return false;
    }
    *code = thread_raised_code;
    *msg = thread_raised_msg;
    thread_raised_code = 0;
    thread_raised_msg = NULL;
    return true;
}

void *cio_raise(int code, const char *fmt, ...) {
    cio__task *t = current_or_null();
    char *msg;
    if (code >= 0) {
        msg = cio__strdup("cio_raise: error codes are negative");
        code = CIO_EINVAL;
    } else {
        va_list ap;
        va_start(ap, fmt);
        msg = cio__vmessage(code, fmt, ap);
        va_end(ap);
    }
    if (!t) {
        free(thread_raised_msg);
        thread_raised_code = code;
        thread_raised_msg = msg;
        return &raise_marker;
    }
    free(t->fut.message); /* a raise outranks a pending cancel message */
    t->fut.error = code;
    t->fut.message = msg;
    return &raise_marker;
}

int cio__task_cancel(cio__task *t, const char *msg) {
    if (cio_future_done(&t->fut))
        return 0;
    if (t->fut.loop->closed)
        return CIO_ELOOPCLOSED;
    t->cancel_requests++;
    if (!t->fut.error) { /* keep a pending raise's message */
        char *copy = cio__strdup(msg ? msg : "");
        free(t->fut.message);
        t->fut.message = copy;
    }
    if (t->waiting && cio_cancel(t->waiting, msg) > 0)
        return 1;    /* its cancellation will wake us */
    if (t->parked) { /* parked: wake it with CIO_ECANCELED */
        t->parked->state = CIO__PARK_CANCELLED;
        t->parked = NULL;
        cio__schedule(t->fut.loop, &t->step.node);
        return 1;
    }
    t->must_cancel = true;
    if (t->step.timer.index != CIO__NOT_ARMED) { /* sleeping: wake now */
        cio__timer_disarm(t->fut.loop, &t->step.timer);
        cio__schedule(t->fut.loop, &t->step.node);
    }
    return 1;
}

/* The loop is closing with this task still pending. */
void cio__task_abandon(cio__task *t) {
    char name[64];
    cio__diag("task '%s' was destroyed but it is pending",
              cio__task_name(t, name, sizeof name));
    cio_loop *loop = t->fut.loop;
    if (t->waiting) {
        cio__list_remove(&t->waiting->callbacks, &t->step.node);
        cio_future *w = t->waiting;
        t->waiting = NULL;
        cio_release(w);
    }
    cio__timer_disarm(loop, &t->step.timer);
    while (t->cleanups) {
        cio__cleanup *c = t->cleanups;
        t->cleanups = c->next;
        c->fn(c->arg);
    }
    if (t->started)
        cio__coro_destroy(&t->coro); /* its stack goes with the pool */
    live_unlink(loop, t);
    cio_release(&t->fut);
}

cio_future *cio_current_task(void) {
    cio__task *t = current_or_null();
    return t ? &t->fut : NULL;
}

bool cio_is_task(const cio_future *f) {
    return f && f->is_task;
}

static cio__task *as_task(const cio_future *f) {
    return f && f->is_task ? cio__container_of(f, cio__task, fut) : NULL;
}

long cio_all_tasks(cio_loop *loop, cio_future **out, size_t cap) {
    if (!out && cap)
        return CIO_EINVAL;
    loop = cio__pick_loop(loop, "cio_all_tasks");
    if (!loop)
        return cio_last_error();
    size_t i = 0;
    for (cio__task *t = loop->live_head; t; t = t->next_live, i++)
        if (i < cap)
            out[i] = cio_retain(&t->fut);
    return (long)i;
}

const char *cio_task_get_name(cio_future *f) {
    cio__task *t = as_task(f);
    if (!t)
        return NULL;
    if (!t->coro.name) {
        char buf[32];
        t->coro.name = cio__strdup(cio__task_name(t, buf, sizeof buf));
    }
    return t->coro.name;
}

int cio_task_set_name(cio_future *f, const char *name) {
    cio__task *t = as_task(f);
    if (!t || !name)
        return CIO_EINVAL;
    char *copy = cio__strdup(name);
    if (!copy)
        return CIO_ENOMEM;
    free(t->coro.name);
    t->coro.name = copy;
    return 0;
}

int cio_task_cancelling(const cio_future *f) {
    cio__task *t = as_task(f);
    return t ? t->cancel_requests : 0;
}

int cio_task_uncancel(cio_future *f) {
    cio__task *t = as_task(f);
    if (!t)
        return CIO_EINVAL;
    if (t->cancel_requests > 0 && --t->cancel_requests == 0)
        t->must_cancel = false;
    return t->cancel_requests;
}

int cio__park(cio__parking *p, const char *file, int line) {
    cio__task *t = cio__current_task;
    p->task = t;
    if (t->must_cancel) { /* cancelled before it parked: one pass, then out */
        t->must_cancel = false;
        p->state = CIO__PARK_CANCELLED;
        cio__schedule(t->fut.loop, &t->step.node);
        suspend(t, file, line);
        t->must_cancel = false; /* cancelled again meanwhile: one delivery */
        return CIO_ECANCELED;
    }
    p->state = CIO__PARKED;
    t->parked = p;
    suspend(t, file, line);
    if (p->state == CIO__PARK_CANCELLED) {
        t->must_cancel = false; /* cancelled again meanwhile: one delivery */
        return CIO_ECANCELED;
    }
    if (t->must_cancel) { /* cancelled after the wake-up, before it ran */
        t->must_cancel = false;
        return CIO_ECANCELED;
    }
    return 0;
}

bool cio__unpark(cio__parking *p) {
    if (p->state != CIO__PARKED)
        return false;
    p->state = CIO__UNPARKED;
    p->task->parked = NULL;
    cio__schedule(p->task->fut.loop, &p->task->step.node);
    return true;
}

void cio__cleanup_push(cio__cleanup *c, void (*fn)(void *arg), void *arg) {
    cio__task *t = cio__current_task;
    c->fn = fn;
    c->arg = arg;
    c->next = NULL;
    if (t) {
        c->next = t->cleanups;
        t->cleanups = c;
    }
}

void cio__cleanup_pop(cio__cleanup *c) {
    cio__task *t = cio__current_task;
    if (t && t->cleanups == c)
        t->cleanups = c->next;
}

void cio__cleanup_remove(cio_future *task, cio__cleanup *c) {
    cio__task *t = as_task(task);
    if (!t)
        return;
    for (cio__cleanup **p = &t->cleanups; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            return;
        }
}

void cio__task_run_when_cancelled(cio_future *f) {
    cio__task *t = as_task(f);
    if (t)
        t->run_when_cancelled = true;
}
