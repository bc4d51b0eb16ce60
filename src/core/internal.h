/* internal.h - what the files of src/core share: the loop, futures, tasks.
 *
 * The ready queue is a FIFO of nodes. A node is anything that can run on
 * the loop's stack: a call_soon handle, a done callback, a task's next step.
 * Each node knows how to run itself and how to drop itself unrun (when its
 * loop closes), so the scheduler never needs to know what it holds.
 */
#ifndef CIO_CORE_INTERNAL_H
#define CIO_CORE_INTERNAL_H

#include "cio.h"
#include "coro/coro.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <uv.h>

#define cio__container_of(ptr, type, member)                                   \
    ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* ---- the ready queue --------------------------------------------------- */

typedef struct cio__node cio__node;
typedef void (*cio__run_fn)(cio__node *node, bool discard);
struct cio__node {
    cio__node *next;
    cio__run_fn run;
};

typedef struct cio__queue {
    cio__node *head, *tail;
    size_t count;
} cio__queue;

static inline void cio__queue_push(cio__queue *q, cio__node *n) {
    n->next = NULL;
    if (q->tail)
        q->tail->next = n;
    else
        q->head = n;
    q->tail = n;
    q->count++;
}

static inline cio__node *cio__queue_pop(cio__queue *q) {
    cio__node *n = q->head;
    if (n) {
        q->head = n->next;
        if (!q->head)
            q->tail = NULL;
        q->count--;
    }
    return n;
}

/* ---- timers ------------------------------------------------------------- */

#define CIO__NOT_ARMED UINT32_MAX
/* The deadline of a sleep of INFINITY (and of any that saturates): such a
 * timer never fires, and the idle loop does not count it as a timer. */
#define CIO__NEVER UINT64_MAX

/* A timer's deadline and arming order live in the loop's heap, not in the
 * timer: what every task keeps is its position in the heap (4 bytes, not
 * 16), and only a sleeping one has a heap entry. The heap holds fewer than
 * 2^32 - 1 timers (cio__timer_reserve). */
typedef struct cio__timer {
    uint32_t index; /* position in the heap, CIO__NOT_ARMED when not in it */
} cio__timer;

/* A heap entry. Equal deadlines keep their arming order: by the sign of
 * the difference of the 32-bit sequence numbers, right as long as the two
 * were armed fewer than 2^31 arms apart. */
typedef struct cio__timer_entry {
    uint64_t when; /* loop clock, nanoseconds */
    struct cio__timer *timer;
    uint32_t seq;
} cio__timer_entry;

/* A timer always comes with the node that joins the ready queue when it is
 * due: a task's step, a call_later handle. `spare` fills what would be
 * padding: its owner's to use (a task keeps a line number there). */
typedef struct cio__timed {
    cio__node node;
    cio__timer timer;
    uint32_t spare;
} cio__timed;

/* A future's done callbacks: a FIFO of nodes, without the count the ready
 * queue keeps, held by its tail alone (the list is circular: tail->next is
 * the head), so that it costs every future and task one pointer. */
typedef struct cio__list {
    cio__node *tail;
} cio__list;

static inline void cio__list_push(cio__list *l, cio__node *n) {
    if (l->tail) {
        n->next = l->tail->next;
        l->tail->next = n;
    } else {
        n->next = n;
    }
    l->tail = n;
}

static inline cio__node *cio__list_pop(cio__list *l) {
    cio__node *t = l->tail;
    if (!t)
        return NULL;
    cio__node *h = t->next;
    if (h == t)
        l->tail = NULL;
    else
        t->next = h->next;
    h->next = NULL;
    return h;
}

/* Unlink n from l if it is there (linear: for rare paths only). */
bool cio__list_remove(cio__list *l, cio__node *n);

/* ---- futures and tasks -------------------------------------------------- */

/* A live future, task or handle carries CIO__LIVE in its magic word; one
 * that was freed, CIO__FREED. A task's block keeps it while it waits on
 * the loop's free list (which links blocks through their first 8 bytes,
 * hence the word's place after them). Every release checks the word (one
 * compare), so that a double release ends in a diagnostic naming the
 * object, as glibc's "double free detected", not in corruption. */
#define CIO__LIVE 0x63696f4cu  /* "cioL" */
#define CIO__FREED 0x63696f46u /* "cioF" */

struct cio_future {
    unsigned refs;
    int error;      /* 0, an error code, or CIO_ECANCELED (a task keeps the
                       code cio_raise recorded here until it returns) */
    uint32_t magic; /* CIO__LIVE, or CIO__FREED once freed */
    uint8_t state;  /* cio_state: DONE and CANCELLED are the last two */
    bool is_task;
    bool retrieved; /* someone read the outcome */
    /* A task's flags (see cio__task), in the byte left over here. */
    bool must_cancel : 1, started : 1, finished : 1;
    bool in_eager : 1;           /* in its eager start (sched.c) */
    bool run_when_cancelled : 1; /* start even if cancelled first (task.c) */
    bool cancelled_at_end : 1;   /* cio_run's final cancellation reached it */
    bool compact : 1; /* a compact task (cio_task_options.compact, compact.c) */
    /* One or the other, never both (8 bytes in every future): the result
     * of a future done without an error; else the message of its error or
     * cancellation, or NULL (a pending task keeps its pending cancel or
     * raise message here). Read them through cio__future_message. */
    union {
        void *result;
        char *message;
    };
    cio_loop *loop;      /* counted reference on the loop object */
    cio__list callbacks; /* done callbacks and waiting tasks' steps */
};

/* A clean-up record (see cio__cleanup_push below); fn NULL marks a task's
 * cancel check, which is kept in the same list. */
typedef struct cio__cleanup {
    struct cio__cleanup *next;
    void (*fn)(void *arg);
    void *arg;
} cio__cleanup;

typedef struct cio__task {
    cio_future fut;
    /* step.node is in the ready queue or a future's callbacks; step.timer
     * is armed while the task sleeps; step.spare is the line of where_file
     * (below) */
    cio__timed step;
    cio__coro coro; /* its name: cio__task_name_of */
    /* What the task runs until it starts, then what it waits for: the
     * function and its argument are read once, when the task starts
     * (task_main), and never again, and a task waits only once started;
     * so the two pairs share their 16 bytes. Read waiting and parked only
     * of a started task. */
    union {
        struct {
            cio_task_fn fn;
            void *arg;
        };
        struct {
            cio_future *waiting;         /* being awaited (a reference) */
            struct cio__parking *parked; /* where it is parked, or NULL */
        };
    };
    /* Run if the loop abandons the task; its cancel check (see
     * cio__cancel_check) is one of them, the one whose fn is NULL, and so
     * is its name (cio__task_name_of). */
    cio__cleanup *cleanups;
#if defined(CIO_ASAN) || defined(CIO_TSAN)
    /* The sanitizer builds' tasks come from malloc: the loop's live tasks
     * are linked (the plain build finds them in its task memory). */
    struct cio__task *prev_live, *next_live;
#endif
    /* Where it last suspended; during an eager start (in_eager: see
     * sched.c) the coroutine of whoever created the task instead, to
     * switch back to at its first suspension or its end: until then the
     * task has not suspended, and from then on it needs no creator. */
    union {
        const char *where_file;
        cio__coro *eager_from;
    };
    uint32_t created_at; /* where it was created: a site (cio__site_of) */
    int cancel_requests;
} cio__task;

/* The stack size a task asked for. Until the task starts it is kept in
 * its coroutine's saved stack pointer, which means nothing until then
 * (cio__coro_start sets it); a started task's stack knows its size. */
static inline size_t cio__task_stack_size(const cio__task *t) {
    if (t->fut.started)
        return t->coro.stack->size;
    size_t size;
    memcpy(&size, &t->coro.sp, sizeof size);
    return size;
}

/* What a cancel check says of a cancellation request. */
enum {
    CIO__CANCEL_REFUSE, /* no request: cio_cancel returns 0 (the gather
                           future once its children are done) */
    CIO__CANCEL_ALLOW,  /* the usual: what the task awaits is cancelled */
    /* The request stands (cio_cancel returns 1) but what the task awaits is
     * left alone: the task sees CIO_ECANCELED when that wakes it. asyncio's
     * Task.cancel() when _fut_waiter.cancel() returns False (cio_gather:
     * it cancelled the children itself and waits for their outcome). */
    CIO__CANCEL_DEFER,
};
typedef struct cio__cancel_check {
    int (*allow)(struct cio__cancel_check *self, const char *msg);
    cio__cleanup link; /* in the task's clean-ups (task.c's) */
} cio__cancel_check;
/* Give a task a cancel check (NULL: take it away); the one it had. */
cio__cancel_check *cio__task_set_cancel_check(cio_future *task,
                                              cio__cancel_check *check);
/* A cancellation request of the task not delivered yet (it came while the
 * task was running): take it, so that its next suspension is not
 * interrupted; the caller delivers it. false if there is none. */
bool cio__task_take_pending_cancel(cio_future *task);

/* ---- the loop ----------------------------------------------------------- */

typedef struct cio__inbox cio__inbox;

/* What higher layers hang on a loop: called with CIO__AT_RUN_END by cio_run
 * after the remaining tasks are done and before the loop closes (it may
 * block, e.g. to wait for an executor), and with CIO__AT_CLOSE by
 * cio_loop_close once every task is gone. The function pointer doubles as
 * the key that cio__loop_hook_arg finds the hook by. */
enum { CIO__AT_RUN_END, CIO__AT_CLOSE };
typedef void (*cio__hook_fn)(cio_loop *loop, int when, void *arg);
typedef struct cio__hook {
    cio__hook_fn fn;
    void *arg;
    struct cio__hook *next;
} cio__hook;

struct cio_loop {
    uv_loop_t uv;
    uv_timer_t wake; /* wakes the blocking poll at the earliest timer */
    uv_prepare_t before_poll; /* keeps it from blocking when work is ready */
    uv_async_t async; /* wakes it when another thread posts to the inbox */
    cio__inbox *inbox;
    cio__hook *hooks;
    cio__queue ready;
    cio__timer_entry *heap;
    size_t nheap, heap_cap;
    uint32_t timer_seq;
    cio__coro main; /* the scheduler, on the thread's own stack */
    cio__stack_pool *stacks;
#if defined(CIO_ASAN) || defined(CIO_TSAN)
    cio__task *live_head, *live_tail; /* tasks not done, in creation order */
#endif
    size_t nlive;  /* tasks not done (created, not finished) */
    unsigned refs; /* 1 while open, plus one per future and handle */
    unsigned steps_since_poll;
    size_t pass_left;        /* nodes of the current pass not run yet */
    cio__task *returned;     /* the task that last switched to the scheduler */
    const cio_future *until; /* what the current run waits for */
    bool until_no_tasks;
    uint64_t tasks_created, created_mark; /* see cio__loop_run */
    bool closed, running, stopping, virtual_time, debug;
    bool eager_tasks; /* every task created while it runs starts eagerly */
    uint64_t vnow;    /* the clock under virtual time */
    uint64_t slow_ns;
    size_t stack_size;
    uintptr_t thread; /* pthread_self() of the creating thread */
    /* Task memory (task.c): freed tasks are kept for reuse, new ones carved
     * from chunks; all of it goes when the loop object is freed. */
    void *free_tasks;
    void *task_chunks;
    char *carve_at, *carve_end;
    unsigned nchunks;
    bool free_names; /* a block on the free list may keep a task's name */
    /* Compact tasks (compact.c): the shared stacks and save buffers, made
     * at the first compact task; compact_tasks: every task is compact. */
    cio__compact *compact;
    bool compact_tasks;
    /* The stack of the last eager task that ended during its start, kept
     * out of the pool for the next eager start (sched.c), or NULL. (Last:
     * the fields above keep the places the scheduler's hot paths were
     * measured with.) */
    cio__stack *eager_stack;
};

/* The loop running on this thread / the thread's current loop. */
extern CIO_TLS cio_loop *cio__running_loop;
extern CIO_TLS cio_loop *cio__thread_loop;
extern CIO_TLS cio__task *cio__current_task;

uint64_t cio__loop_now(cio_loop *loop);
/* Open the loop's wake timer and before_poll check (sched.c); neither
 * keeps the loop alive, cio_loop_close closes them with every handle. */
void cio__poll_open(cio_loop *loop);
uint64_t cio__monotonic_ns(void); /* the real clock, whatever the loop's */
void cio__loop_ref(cio_loop *loop);
void cio__loop_unref(cio_loop *loop);
/* The loop a call should use: `loop` or the thread's; NULL with the error
 * recorded for `who` if there is none or it is closed. */
cio_loop *cio__pick_loop(cio_loop *loop, const char *who);

/* Loop objects belong to their loop's thread (their counts and queues are
 * not atomic). A call that changes one checks first: on another thread it
 * records a message naming the thread-safe way for `who` and returns
 * CIO_EWRONGLOOP. (loop->thread never changes, so reading it is safe.) */
static inline bool cio__on_loop_thread(const cio_loop *loop) {
    return pthread_equal((pthread_t)loop->thread, pthread_self()) != 0;
}
int cio__wrong_thread(const char *who);
#define CIO__CHECK_THREAD(loop, who)                                           \
    do {                                                                       \
        if (!cio__on_loop_thread(loop))                                        \
            return cio__wrong_thread(who);                                     \
    } while (0)

static inline void cio__schedule(cio_loop *loop, cio__node *n) {
    cio__queue_push(&loop->ready, n);
}

/* Make room for one more timer (CIO_ENOMEM), then arm it (cannot fail). */
int cio__timer_reserve(cio_loop *loop);
void cio__timer_arm(cio_loop *loop, cio__timer *t, uint64_t when);
void cio__timer_disarm(cio_loop *loop, cio__timer *t);
/* An armed timer's deadline. */
static inline uint64_t cio__timer_when(const cio_loop *loop,
                                       const cio__timer *t) {
    return loop->heap[t->index].when;
}
/* Move every due timer to the ready queue, in deadline order. */
void cio__timers_fire(cio_loop *loop, uint64_t now);

/* A release that cannot be right (of a freed object, or of the loop's own
 * reference): print what the object is ("task 'x' (created at f.c:12)")
 * and what went wrong to stderr, then abort, in every build. */
_Noreturn void cio__release_fault(const cio_future *f, const char *who,
                                  const char *what);

/* What kind of future an object is (a plain future or a task): how it is
 * freed, cancelled, set and named. future.c dispatches through it, so it
 * knows nothing of tasks. */
typedef struct cio__future_kind {
    void (*free)(cio_future *f); /* its last reference went */
    /* a cancellation request; the future is not done, its loop open */
    int (*cancel)(cio_future *f, const char *msg);
    /* "task 'NAME' (created at FILE:LINE)" (with_site) or "task 'NAME'", or
     * "future": for diagnostics */
    void (*describe)(const cio_future *f, bool with_site, char *buf,
                     size_t cap);
    bool settable; /* set_result / set_error allowed */
} cio__future_kind;
extern const cio__future_kind cio__task_kind; /* task.c */

/* The message slot of f, or NULL when the slot holds a result (done
 * without an error). */
static inline char *cio__future_message(const cio_future *f) {
    return f->state >= CIO_DONE && f->error == 0 ? NULL : f->message;
}

/* Future internals shared with tasks. */
void cio__future_init(cio_future *f, cio_loop *loop, bool is_task);
void cio__future_finish(cio_future *f, cio_state state, int error, void *result,
                        char *message);
int cio__future_cancel_plain(cio_future *f, const char *msg);
void cio__future_free(cio_future *f); /* refs reached 0 */
/* A done callback whose drop(arg) runs instead, if it never will (its loop
 * closes first, or its future is freed pending): what the callback owns is
 * freed either way. */
int cio__future_add_done_callback_ex(cio_future *f, cio_done_fn cb, void *arg,
                                     void (*drop)(void *arg));
/* The allocation-free form, for watching many futures: a node the caller
 * owns (and keeps, with the future, alive until it ran or was removed)
 * joins the ready queue when the future finishes, at once if it is done:
 * run(node, false); or run(node, true) if the loop closes first. 0 or
 * CIO_ELOOPCLOSED. remove returns whether the node was still waiting. */
int cio__future_add_node(cio_future *f, cio__node *n);
bool cio__future_remove_node(cio_future *f, cio__node *n);

/* Task internals used by the loop. */
static inline cio__task *cio__as_task(const cio_future *f) {
    return f && f->is_task ? cio__container_of(f, cio__task, fut) : NULL;
}
void cio__task_step(cio__node *node, bool discard); /* sched.c */
/* How a returning task finishes (task.c): a raised error, a standing
 * cancellation, or its result `ret`. */
void cio__task_finish(cio__task *t, void *ret);
extern char cio__raise_marker; /* what cio_raise returns (task.c) */
/* The same, inline for a task that returned a result, with no cancellation
 * or message standing and nobody waiting for it (an eager task done at
 * once). */
static inline void cio__task_finish_inline(cio__task *t, void *ret) {
    if (t->fut.error || t->cancel_requests || t->fut.message ||
        t->fut.callbacks.tail || ret == &cio__raise_marker) {
        cio__task_finish(t, ret);
        return;
    }
    t->fut.state = CIO_DONE;
    t->fut.result = ret;
}
/* The message a pending task keeps for its cancellation or raise, taken
 * ("" if none; NULL on ENOMEM). */
char *cio__task_take_message(cio__task *t);
/* Task memory (task_mem.c). */
cio__task *cio__task_alloc(cio_loop *loop);           /* NULL on ENOMEM */
void cio__task_dealloc(cio_loop *loop, cio__task *t); /* never used */
void cio__task_free(cio_future *f);         /* the last reference went */
void cio__task_memory_free(cio_loop *loop); /* the loop object is going */
/* Call fn(t, arg) for each task of the loop that is not done, in creation
 * order (in no order if there is no memory to sort them: the walk goes on).
 * fn may finish and free t, not create or free other tasks. */
void cio__live_each(cio_loop *loop, void (*fn)(cio__task *t, void *arg),
                    void *arg);
int cio__task_cancel(cio__task *t, const char *msg);
void cio__task_abandon(cio__task *t); /* loop closing: drop a pending task */
const char *cio__task_name(const cio__task *t, char *buf, size_t cap);
/* Where the task that owns coroutine `c` was created (the overflow report
 * of src/coro asks; safe in a signal handler). */
void cio__task_origin(const cio__coro *c, const char **name, const char **file,
                      int *line);
/* A task's name, or NULL for "Task-<id>". The name lives in a record of
 * its own among the task's clean-up records (the one whose function is
 * cio__name_marker: never called, never run by an abandon): a task costs
 * no byte for a name it does not have. Safe in a signal handler. */
const char *cio__task_name_of(const cio__task *t);
/* Give it a name (a copy); CIO_ENOMEM. */
int cio__task_name_set(cio__task *t, const char *name);
/* Free its name, if any (its block is reused, or its memory goes). */
void cio__task_name_free(cio__task *t);
void cio__name_marker(void *arg);

/* The inbox: other threads post work that runs on the loop's thread.
 * cio__inbox_get takes a reference (atomic), safe to use after the loop
 * closed: posting then returns CIO_ELOOPCLOSED and drop is not called. */
int cio__inbox_open(cio_loop *loop);
void cio__inbox_close(cio_loop *loop);
/* Move what was posted to the ready queue now; returns how many. */
size_t cio__inbox_drain(cio_loop *loop);
cio__inbox *cio__inbox_get(cio_loop *loop);
void cio__inbox_release(cio__inbox *ib);
int cio__inbox_post(cio__inbox *ib, void (*run)(void *arg),
                    void (*drop)(void *arg), void *arg);

int cio__loop_add_hook(cio_loop *loop, cio__hook_fn fn, void *arg);
/* The arg of the hook registered with fn, or NULL. */
void *cio__loop_hook_arg(cio_loop *loop, cio__hook_fn fn);
void cio__loop_run_hooks(cio_loop *loop, int when);

/* A cio_raise() outside a task (in an executor's worker, say) records the
 * error for the thread; whoever called the function takes it back: true if
 * `ret` is cio_raise's marker and an error was recorded. */
bool cio__take_raised(void *ret, int *code, char **msg);

/* Run the loop until `until` is done, or (until_no_tasks) no task is left
 * or a task was created since the run began, or it is stopped; 0, or
 * CIO_EDEADLK. */
int cio__loop_run(cio_loop *loop, const cio_future *until, bool until_no_tasks);

/* Parking: the cheapest way for a higher layer (src/sync) to make a task
 * wait. The spot lives on the waiting task's stack; cio__unpark schedules
 * the task, cio_cancel wakes it with CIO_ECANCELED. No allocation, so a
 * wait cannot fail for lack of memory. */
typedef struct cio__parking {
    cio__task *task;
    uint8_t state; /* CIO__PARKED, CIO__UNPARKED or CIO__PARK_CANCELLED */
} cio__parking;
enum { CIO__PARKED = 1, CIO__UNPARKED, CIO__PARK_CANCELLED };

/* Park the current task (the caller checked there is one) until
 * cio__unpark(p) or a cancellation. 0 when unparked; CIO_ECANCELED when
 * cancelled while parked (state PARK_CANCELLED) or after it was unparked
 * but before it ran (state UNPARKED: the caller passes the wake-up on). */
int cio__park(cio__parking *p, const char *file, int line);
/* Wake a parked task; false if it is not parked (cancelled, or woken).
 * Inline: every queue, lock and event wake-up goes through it. */
static inline bool cio__unpark(cio__parking *p) {
    if (p->state != CIO__PARKED)
        return false;
    p->state = CIO__UNPARKED;
    p->task->parked = NULL;
    cio__schedule(p->task->fut.loop, &p->task->step.node);
    return true;
}

/* Clean-ups for state a suspended frame owns. A loop closed with a task
 * still suspended cannot unwind its stack; it runs the task's clean-ups
 * instead (newest first, on the closing thread; they must not suspend).
 * push registers one for the current task (nothing outside a task); pop
 * takes the newest away again, unrun. The record lives in the caller's
 * frame. */
/* (cio__cleanup: defined with the task, above) */
void cio__cleanup_push(cio__cleanup *c, void (*fn)(void *arg), void *arg);
void cio__cleanup_pop(cio__cleanup *c);
/* Take c out of `task`'s records wherever it is: the records of objects
 * that outlive a call (timeout scopes, task groups, iterators) are given
 * up in any order, and not always by the task that holds them. */
void cio__cleanup_remove(cio_future *task, cio__cleanup *c);

/* Let a task start even if it is cancelled before its first step (the
 * cancellation then reaches its first suspension point): for a task that
 * must see its own cancellation, as the gather future does. */
void cio__task_run_when_cancelled(cio_future *task);

/* Sites (site.c): a (file, line) pair of the process as a number, so that
 * a task keeps where it was created in 4 bytes. cio__site_of never fails
 * (0 stands for "?" when the table is out of room or memory); the file
 * must be a string that lives as long as the process (__FILE__).
 * cio__site_get is safe in a signal handler. */
typedef struct cio__site_last_t {
    const char *file;
    int line;
    uint32_t id;
} cio__site_last_t;
extern CIO_TLS cio__site_last_t cio__site_last; /* the thread's last site */
uint32_t cio__site_lookup(const char *file, int line);
/* (inline: the last site again, a loop creating tasks, costs two compares) */
static inline uint32_t cio__site_of(const char *file, int line) {
    if (file && file == cio__site_last.file && line == cio__site_last.line)
        return cio__site_last.id;
    return cio__site_lookup(file, line);
}
void cio__site_get(uint32_t site, const char **file, int *line);

/* Errors and diagnostics. */
void cio__set_error(int code, const char *fmt, ...) CIO_PRINTF(2, 3);
/* cio__set_error, then `code` (evaluated twice: a constant or a plain
 * variable), for one-line error returns:
 * `return cio__error(CIO_EINVAL, "cio_x: y is NULL");`. */
#define cio__error(code, ...) (cio__set_error((code), __VA_ARGS__), (code))
void cio__diag(const char *fmt, ...) CIO_PRINTF(1, 2);
char *cio__vformat(const char *fmt, va_list ap); /* malloc'd, NULL on ENOMEM */
/* An error's message: fmt formatted, or cio_strerror(code) if fmt is NULL
 * (malloc'd, NULL on ENOMEM). */
char *cio__vmessage(int code, const char *fmt, va_list ap);
char *cio__strdup(const char *s);

/* ---- compact tasks (compact.c) ----------------------------------------- */

/* Whether `p` lies on the stack of the current task, a compact one: a
 * record there must not be linked where others reach it while the task
 * waits (its frames are then elsewhere). */
static inline bool cio__compact_misplaced(const void *p) {
    const cio__task *t = cio__current_task;
    if (!t || !t->fut.compact)
        return false;
    const cio__stack *s = t->coro.stack;
    return s && (const char *)p >= s->lo && (const char *)p < s->hi;
}
/* Whether the current task is a compact one. */
static inline bool cio__compact_current(void) {
    return cio__current_task && cio__current_task->fut.compact;
}
/* Record "`who`: ... compact task" and return CIO_ECOMPACT. */
int cio__compact_refuse(const char *who);
/* Debug mode only: whether `p` points into one of the loop's shared stacks
 * (a value that outlives a suspension must not). */
bool cio__compact_debug_misplaced(const cio_loop *loop, const void *p);
/* Make compact task t the occupant of its shared stack (the scheduler's
 * stack only); the stack, or NULL on ENOMEM. */
cio__stack *cio__task_compact_enter(cio_loop *loop, cio__task *t);
/* A compact task is finished or abandoned: its saved frames go. */
void cio__task_compact_drop(cio_loop *loop, cio__task *t);
/* Where the bytes of address p, in the frames of compact task t, are now
 * (p itself while they are on the shared stack). */
void *cio__task_compact_locate(const cio__task *t, void *p);

#endif /* CIO_CORE_INTERNAL_H */
