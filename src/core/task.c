/* task.c - tasks: a function running on its own stack, seen as a future.
 *
 * A task's life: created PENDING with its first step in the ready queue and
 * no stack (or started at once: an eager task); at that step it takes a
 * stack from the loop's pool and becomes RUNNING; each await or sleep
 * suspends it, and a future finishing (or a timer, or a cancellation) puts
 * the step back in the ready queue; when the function returns the task
 * finishes. How steps run, and how a task hands the CPU on, is the
 * scheduler's (sched.c, sched.h); its memory is task_mem.c's; the records a
 * waiting task keeps (parking, clean-ups) are park.c's.
 *
 * Cancellation follows asyncio: cancel() cancels what the task awaits, if
 * anything, or else marks the task so that its next suspension point
 * returns CIO_ECANCELED.
 */
#include "core/sched.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

CIO_TLS cio__task *cio__current_task;

static atomic_uint_fast64_t task_counter;
char cio__raise_marker; /* what cio_raise returns */
#define raise_marker cio__raise_marker

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
char *cio__task_take_message(cio__task *t) {
    char *msg = t->fut.message;
    t->fut.message = NULL;
    return msg ? msg : cio__strdup("");
}

/* ---- names --------------------------------------------------------------- */

typedef struct name_record {
    cio__cleanup link; /* fn: cio__name_marker */
    char name[];
} name_record;

void cio__name_marker(void *arg) {
    (void)arg; /* (only its address is used) */
}

/* The next clean-up record after c (the first: c NULL), read where it is:
 * a waiting compact task's records in its frames are in its save buffer
 * (cio__task_compact_locate). */
static cio__cleanup *cleanup_next(const cio__task *t, const cio__cleanup *c) {
    cio__cleanup *n = c ? c->next : t->cleanups;
    return n ? cio__task_compact_locate(t, n) : NULL;
}

static name_record *name_record_of(const cio__task *t) {
    for (cio__cleanup *c = cleanup_next(t, NULL); c; c = cleanup_next(t, c))
        if (c->fn == cio__name_marker)
            return cio__container_of(c, name_record, link);
    return NULL;
}

const char *cio__task_name_of(const cio__task *t) {
    const name_record *r = name_record_of(t);
    return r ? r->name : NULL;
}

void cio__task_name_free(cio__task *t) {
    name_record *r = name_record_of(t);
    if (r) {
        cio__cleanup_remove(&t->fut, &r->link);
        free(r);
    }
}

/* A name record for `name`, not linked yet; NULL on ENOMEM. */
static name_record *name_record_new(const char *name) {
    size_t n = strlen(name) + 1;
    name_record *r = malloc(sizeof *r + n);
    if (r) {
        r->link = (cio__cleanup){NULL, cio__name_marker, NULL};
        memcpy(r->name, name, n);
    }
    return r;
}

static void name_record_link(cio__task *t, name_record *r) {
    cio__task_name_free(t);
    r->link.next = t->cleanups;
    t->cleanups = &r->link;
}

int cio__task_name_set(cio__task *t, const char *name) {
    name_record *r = name_record_new(name);
    if (!r)
        return cio__error(CIO_ENOMEM, "cio_task_set_name: out of memory");
    name_record_link(t, r);
    return 0;
}

const char *cio__task_name(const cio__task *t, char *buf, size_t cap) {
    const char *name = cio__task_name_of(t);
    if (name)
        return name;
    snprintf(buf, cap, "Task-%llu", (unsigned long long)t->coro.id);
    return buf;
}

void cio__task_origin(const cio__coro *c, const char **name, const char **file,
                      int *line) {
    const cio__task *t = cio__container_of(c, cio__task, coro);
    *name = cio__task_name_of(t);
    cio__site_get(t->created_at, file, line);
}

/* How a returning task finishes: a raised error, a standing cancellation,
 * or its result. */
void cio__task_finish(cio__task *t, void *ret) {
    int raised = t->fut.error;
    t->fut.error = 0;
    if (ret == &raise_marker && raised) {
        cio__future_finish(&t->fut,
                           raised == CIO_ECANCELED ? CIO_CANCELLED : CIO_DONE,
                           raised, NULL, cio__task_take_message(t));
    } else if (t->cancel_requests > 0) {
        cio__future_finish(&t->fut, CIO_CANCELLED, CIO_ECANCELED, NULL,
                           cio__task_take_message(t));
    } else {
        cio__future_finish(&t->fut, CIO_DONE, 0,
                           ret == &raise_marker ? NULL : ret, NULL);
    }
}

/* Every field of a new task, part by part: a memset of the record, or one
 * compound literal of it, is a `rep stos` of 128 bytes (GCC), a tenth of
 * the cost of an eager task that returns at once; small parts are a few
 * plain stores. The assertion brings a new field of cio__task here. */
_Static_assert(sizeof(cio__task) ==
                   sizeof(cio_future) + sizeof(cio__timed) + sizeof(cio__coro) +
                       2 * sizeof(void *) + sizeof(cio__cleanup *) +
#if defined(CIO_ASAN) || defined(CIO_TSAN)
                       2 * sizeof(cio__task *) +
#endif
                       sizeof(const char *) + sizeof(uint32_t) + sizeof(int),
               "task_init sets every field of cio__task");
static void task_init(cio__task *t, cio_loop *loop, size_t stack_size,
                      bool compact) {
    t->fut = (cio_future){.refs = 2, /* the caller's and the loop's */
                          .magic = CIO__LIVE,
                          .state = CIO_PENDING,
                          .is_task = true,
                          .compact = compact,
                          .loop = loop};
    loop->refs++; /* the task's reference to the loop (cio__loop_ref) */
    t->step =
        (cio__timed){.node.run = cio__task_step, .timer.index = CIO__NOT_ARMED};
    t->coro = (cio__coro){.id = new_task_id()};
    /* (cio__task_stack_size: the word is the size, not a pointer) */
    memcpy(&t->coro.sp, &stack_size, sizeof stack_size);
    t->cleanups = NULL;
#if defined(CIO_ASAN) || defined(CIO_TSAN)
    t->prev_live = t->next_live = NULL;
#endif
    t->where_file = NULL;
    t->cancel_requests = 0;
}

cio_future *cio_create_task_at(cio_loop *loop, cio_task_fn fn, void *arg,
                               const cio_task_options *opts, const char *file,
                               int line) {
    if (!fn) {
        cio__set_error(CIO_EINVAL, "cio_create_task: the function is NULL");
        return NULL;
    }
    /* (the running loop is the calling thread's: no check of the thread) */
    cio_loop *running = cio__running_loop;
    if (running && (!loop || loop == running) && !running->closed)
        loop = running;
    else
        loop = cio__pick_loop(loop, "cio_create_task");
    if (!loop)
        return NULL;
    if (loop->compact && cio__compact_on_shared(loop->compact, arg)) {
        /* the new task would read a compact task's local while that task
         * waits (and its stack holds other frames) */
        cio__compact_refuse("cio_create_task (arg points into a compact "
                            "task's stack)");
        return NULL;
    }
    size_t stack_size =
        opts && opts->stack_size ? opts->stack_size : loop->stack_size;
    if (stack_size < CIO_STACK_MIN || stack_size > CIO_STACK_MAX) {
        cio__set_error(CIO_EINVAL,
                       "cio_create_task: stack size %zu is out of range "
                       "(CIO_STACK_MIN %zu to CIO_STACK_MAX %zu)",
                       stack_size, CIO_STACK_MIN, CIO_STACK_MAX);
        return NULL;
    }
    cio__task *t = cio__task_alloc(loop);
    name_record *name = opts && opts->name ? name_record_new(opts->name) : NULL;
    if (!t || (opts && opts->name && !name)) {
        if (t)
            cio__task_dealloc(loop, t);
        free(name);
        cio__set_error(CIO_ENOMEM, "cio_create_task: out of memory");
        return NULL;
    }
    task_init(t, loop, stack_size,
              (opts && opts->compact) || loop->compact_tasks);
    t->fn = fn;
    t->arg = arg;
    t->created_at = cio__site_of(file, line);
    if (name)
        name_record_link(t, name);
    cio__live_append(loop, t);
    loop->tasks_created++;
    bool eager = (opts && opts->eager) || loop->eager_tasks;
    if (!eager || cio__running_loop != loop || !cio__task_eager_start(loop, t))
        cio__schedule(loop, &t->step.node);
    return &t->fut;
}

static cio__task *current_or_null(void) {
    return cio__current_task;
}

int cio_await_at(cio_future *f, void **result, const char *file, int line) {
    if (result)
        *result = NULL;
    cio__task *t = current_or_null();
    if (!t)
        return cio__error(CIO_ENOTASK, "cio_await: not in a task");
    if (!f || f == &t->fut)
        return cio__error(
            CIO_EINVAL, "cio_await: future is NULL or the calling task itself");
    if (f->loop != t->fut.loop)
        return cio__error(
            CIO_EWRONGLOOP,
            "cio_await: the future belongs to another event loop");
    if (!cio_future_done(f)) {
        t->waiting = cio_retain(f);
        cio__list_push(&f->callbacks, &t->step.node);
        if (t->fut.must_cancel && cio_cancel(f, t->fut.message) > 0)
            t->fut.must_cancel = false;
        cio__suspend(t, file, line);
        t->waiting = NULL;
        if (t->fut.must_cancel) {
            /* cancelled after f was done but before we resumed */
            t->fut.must_cancel = false;
            cio_release(f);
            return cio__error(CIO_ECANCELED,
                              "cio_await: the task was cancelled");
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

/* Aligned to a cache line: the whole of W2a's yield is this function (with
 * cio__suspend inlined), and where its loop falls across 32- and 64-byte
 * boundaries moved W2a by 5% when unrelated code shifted it (10.7 to 11.4
 * ns a yield; back to 10.5 aligned, interleaved runs). */
__attribute__((aligned(64))) int cio_sleep_at(double seconds, const char *file,
                                              int line) {
    cio__task *t = current_or_null();
    if (!t)
        return cio__error(CIO_ENOTASK, "cio_sleep: not in a task");
    if (isnan(seconds))
        return cio__error(CIO_EINVAL, "cio_sleep: seconds is NaN");
    cio_loop *loop = t->fut.loop;
    if (seconds > 0 && !t->fut.must_cancel) {
        if (cio__timer_reserve(loop) != 0)
            return cio__error(CIO_ENOMEM, "cio_sleep: out of memory");
        double ns = round(seconds * 1e9); /* 0.1 s is 100000000 ns */
        uint64_t now = cio__loop_now(loop);
        uint64_t when =
            ns >= (double)(UINT64_MAX - now) ? UINT64_MAX : now + (uint64_t)ns;
        cio__timer_arm(loop, &t->step.timer, when);
    } else {
        cio__schedule(loop, &t->step.node); /* a bare yield */
    }
    cio__suspend(t, file, line);
    if (t->fut.must_cancel) {
        t->fut.must_cancel = false;
        return cio__error(CIO_ECANCELED, "cio_sleep: the task was cancelled");
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

/* The task's cancel check: the clean-up record without a function. */
static cio__cancel_check *cancel_check_of(const cio__task *t) {
    for (cio__cleanup *c = cleanup_next(t, NULL); c; c = cleanup_next(t, c))
        if (!c->fn)
            return cio__container_of(c, cio__cancel_check, link);
    return NULL;
}

int cio__task_cancel(cio__task *t, const char *msg) {
    if (cio_future_done(&t->fut))
        return 0;
    if (t->fut.loop->closed)
        return cio__error(CIO_ELOOPCLOSED,
                          "cio_cancel: the task's loop is closed");
    cio__cancel_check *check = cancel_check_of(t);
    int verdict = check ? check->allow(check, msg) : CIO__CANCEL_ALLOW;
    if (verdict == CIO__CANCEL_REFUSE)
        return 0;
    t->cancel_requests++;
    if (!t->fut.error) { /* keep a pending raise's message */
        char *copy = cio__strdup(msg ? msg : "");
        free(t->fut.message);
        t->fut.message = copy;
    }
    if (verdict == CIO__CANCEL_DEFER) {
        t->fut.must_cancel = true; /* seen when what it awaits wakes it */
        return 1;
    }
    if (t->fut.started && t->waiting && cio_cancel(t->waiting, msg) > 0)
        return 1;                      /* its cancellation will wake us */
    if (t->fut.started && t->parked) { /* parked: wake it with CIO_ECANCELED */
        t->parked->state = CIO__PARK_CANCELLED;
        t->parked = NULL;
        cio__schedule(t->fut.loop, &t->step.node);
        return 1;
    }
    t->fut.must_cancel = true;
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
    if (t->fut.started && t->waiting) {
        cio__list_remove(&t->waiting->callbacks, &t->step.node);
        cio_future *w = t->waiting;
        t->waiting = NULL;
        cio_release(w);
    }
    cio__timer_disarm(loop, &t->step.timer);
    /* a compact task's clean-ups are records in its frames: back on the
     * shared stack with them (loop close runs on the scheduler's stack) */
    if (t->fut.compact && t->fut.started && t->cleanups &&
        !cio__task_compact_enter(loop, t))
        t->cleanups = NULL;    /* no memory to make room: they cannot run */
    cio__cleanup *kept = NULL; /* the name: the block keeps it until reused */
    while (t->cleanups) {
        cio__cleanup *c = t->cleanups;
        t->cleanups = c->next;
        if (c->fn == cio__name_marker)
            kept = c;
        else if (c->fn) /* (not the cancel check) */
            c->fn(c->arg);
    }
    if (kept) {
        kept->next = NULL;
        t->cleanups = kept;
    }
    if (t->fut.compact)
        cio__task_compact_drop(loop, t);
    if (t->fut.started)
        cio__coro_destroy(&t->coro); /* its stack goes with the pool */
    cio__live_unlink(loop, t);
    t->fut.finished = true; /* dropped for good: the loop's release is due */
    cio_release(&t->fut);
}

cio_future *cio_current_task(void) {
    cio__task *t = current_or_null();
    return t ? &t->fut : NULL;
}

bool cio_is_task(const cio_future *f) {
    return f && f->is_task;
}

typedef struct all_tasks {
    cio_future **out;
    size_t cap, n;
} all_tasks;

static void all_tasks_one(cio__task *t, void *arg) {
    all_tasks *a = arg;
    if (a->n < a->cap)
        a->out[a->n] = cio_retain(&t->fut);
    a->n++;
}

long cio_all_tasks(cio_loop *loop, cio_future **out, size_t cap) {
    if (!out && cap)
        return cio__error(CIO_EINVAL,
                          "cio_all_tasks: out is NULL but cap is %zu", cap);
    loop = cio__pick_loop(loop, "cio_all_tasks");
    if (!loop)
        return cio_last_error();
    all_tasks a = {out, cap, 0};
    cio__live_each(loop, all_tasks_one, &a);
    return (long)a.n;
}

const char *cio_task_get_name(cio_future *f) {
    cio__task *t = cio__as_task(f);
    if (!t)
        return NULL;
    if (!cio__task_name_of(t)) {
        char buf[32];
        if (cio__task_name_set(t, cio__task_name(t, buf, sizeof buf)) != 0)
            return NULL;
    }
    return cio__task_name_of(t);
}

int cio_task_set_name(cio_future *f, const char *name) {
    cio__task *t = cio__as_task(f);
    if (!t || !name)
        return cio__error(CIO_EINVAL,
                          "cio_task_set_name: task or name is NULL");
    CIO__CHECK_THREAD(t->fut.loop, "cio_task_set_name");
    return cio__task_name_set(t, name);
}

int cio_task_cancelling(const cio_future *f) {
    cio__task *t = cio__as_task(f);
    return t ? t->cancel_requests : 0;
}

int cio_task_uncancel(cio_future *f) {
    cio__task *t = cio__as_task(f);
    if (!t)
        return cio__error(CIO_EINVAL, "cio_task_uncancel: task is NULL");
    CIO__CHECK_THREAD(t->fut.loop, "cio_task_uncancel");
    if (t->cancel_requests > 0 && --t->cancel_requests == 0)
        t->fut.must_cancel = false;
    return t->cancel_requests;
}

static int task_kind_cancel(cio_future *f, const char *msg) {
    return cio__task_cancel(cio__container_of(f, cio__task, fut), msg);
}

static void task_kind_describe(const cio_future *f, bool with_site, char *buf,
                               size_t cap) {
    const cio__task *t = cio__container_of(f, cio__task, fut);
    char name[64];
    const char *n = cio__task_name(t, name, sizeof name);
    if (with_site) {
        const char *file;
        int line;
        cio__site_get(t->created_at, &file, &line);
        snprintf(buf, cap, "task '%s' (created at %s:%d)", n, file, line);
    } else {
        snprintf(buf, cap, "task '%s'", n);
    }
}

/* A task finishes by returning: it cannot be set from outside. */
const cio__future_kind cio__task_kind = {
    .free = cio__task_free,
    .cancel = task_kind_cancel,
    .describe = task_kind_describe,
    .settable = false,
};

cio__cancel_check *cio__task_set_cancel_check(cio_future *f,
                                              cio__cancel_check *check) {
    cio__task *t = cio__as_task(f);
    if (!t)
        return NULL;
    cio__cancel_check *old = cancel_check_of(t);
    if (old)
        cio__cleanup_remove(f, &old->link);
    if (check) {
        check->link = (cio__cleanup){t->cleanups, NULL, NULL};
        t->cleanups = &check->link;
    }
    return old;
}

bool cio__task_take_pending_cancel(cio_future *f) {
    cio__task *t = cio__as_task(f);
    if (!t || !t->fut.must_cancel)
        return false;
    t->fut.must_cancel = false;
    return true;
}

void cio__task_run_when_cancelled(cio_future *f) {
    cio__task *t = cio__as_task(f);
    if (t)
        t->fut.run_when_cancelled = true;
}
