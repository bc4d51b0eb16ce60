/* cio/core.h - the event loop, futures, tasks and errors.
 *
 * This is the ground floor of cio. Everything here follows Python's asyncio
 * unless C makes that unsafe; where cio differs, the comment says so.
 *
 * OWNERSHIP (the one rule, obeyed by every call in cio)
 *
 *   Futures, tasks and handles are reference counted. A call whose name says
 *   it creates something (cio_future_new, cio_create_task, cio_all_tasks, the
 *   `out` argument of cio_call_soon...) hands the caller one reference, which
 *   the caller gives back with cio_release() (cio_handle_release() for
 *   handles; cio_close() of cio/sugar.h gives back any cio object, whatever
 *   its kind). Every other call borrows: it neither takes nor keeps the
 *   caller's reference. The loop keeps a reference of its own to every task
 *   until the task is done, so releasing a task does not stop or cancel it:
 *
 *       cio_release(cio_create_task(work, arg));   // fire and forget
 *
 *   Loop objects (futures, tasks, handles) belong to the thread of their
 *   loop; their reference counts are not atomic. A call that changes one
 *   (setting, cancelling, adding or removing a done callback, renaming,
 *   stopping or closing the loop...) made from another thread returns
 *   CIO_EWRONGLOOP and does nothing: reach the loop with
 *   cio_call_soon_threadsafe() or cio_run_coroutine_threadsafe()
 *   (cio/thread.h). A future outlives its loop safely: after
 *   cio_loop_close() it can still be inspected and released, and calls that
 *   would schedule work return CIO_ELOOPCLOSED.
 *
 * ERRORS
 *
 *   Every call that can fail returns a negative error code: a negated errno
 *   value (CIO_EINVAL is -EINVAL) or one of cio's own codes below.
 *   cio_strerror() turns either into a sentence. Calls that return a pointer
 *   return NULL on failure and leave the code and a message that says what
 *   went wrong in cio_last_error() / cio_last_error_message(). Nothing in cio
 *   aborts on user error; only a stack overflow and a release of an object
 *   already freed, or of the loop's own reference to a pending task or a
 *   scheduled handle (memory-safety failures that cannot be recovered
 *   from, like glibc's "double free detected") end the process, with a
 *   message naming the object.
 */
#ifndef CIO_CORE_H
#define CIO_CORE_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(CIO_BUILDING) && defined(__GNUC__)
#define CIO_API __attribute__((visibility("default")))
#else
#define CIO_API
#endif

#if defined(__GNUC__)
#define CIO_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CIO_PRINTF(f, a)
#endif

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

#define CIO_EINVAL (-EINVAL)       /* a NULL or out-of-range argument */
#define CIO_ENOMEM (-ENOMEM)       /* out of memory or address space */
#define CIO_ECANCELED (-ECANCELED) /* the future or task was cancelled */
#define CIO_ETIMEDOUT (-ETIMEDOUT) /* a timeout expired */
#define CIO_EDEADLK (-EDEADLK)     /* nothing can ever wake the loop again */

#define CIO_EINVALIDSTATE (-10001) /* e.g. setting a future that is done */
#define CIO_ENOTASK (-10002)       /* an await-type call outside a task */
#define CIO_EWRONGLOOP (-10003)    /* an object of another loop */
#define CIO_ELOOPRUNNING (-10004)  /* the loop (or another) already runs */
#define CIO_ELOOPCLOSED (-10005)   /* the loop has been closed */
#define CIO_ENOLOOP (-10006)       /* no loop on this thread */
#define CIO_ESTOPPED (-10007)      /* the loop stopped before the future */
/* compact tasks: a call would leave a pointer into a compact task's stack
 * while it waits (see cio_task_options.compact) */
#define CIO_ECOMPACT (-10090)

/* The other areas' codes are listed here too, so that one list holds every
 * code cio returns (cio/combine.h, cio/sync.h, cio/thread.h use them). */
#define CIO_ETASKGROUP (-10100)     /* a task group's tasks failed */
#define CIO_EQUEUEFULL (-10201)     /* put_nowait on a full queue */
#define CIO_EQUEUEEMPTY (-10202)    /* get_nowait on an empty queue */
#define CIO_EQUEUESHUTDOWN (-10203) /* the queue has been shut down */
#define CIO_EBROKENBARRIER (-10204) /* the barrier was aborted or reset */
#define CIO_ENOTLOCKED (-10205)     /* releasing (or waiting on) a free lock */
#define CIO_ENOTOWNER (-10206)      /* the lock is held by another task */
#define CIO_EOVERRELEASE (-10207)   /* bounded semaphore / task_done overflow */
#define CIO_EHASWAITERS (-10208)    /* freeing a stream tasks still wait on */
#define CIO_ESHUTDOWN (-10301)      /* the executor has been shut down */
/* net (cio/net.h) */
#define CIO_EINCOMPLETE (-10400) /* EOF before readexactly/readuntil's end */
#define CIO_ELIMIT (-10401)      /* no separator within the stream's limit */
#define CIO_ECLOSED (-10402)     /* closed (a stream, server, sync object...) */
/* The resolver's errors (EAI_*); their sentences are gai_strerror's. */
#define CIO_EAI_AGAIN (-10410)
#define CIO_EAI_BADFLAGS (-10411)
#define CIO_EAI_FAIL (-10412)
#define CIO_EAI_FAMILY (-10413)
#define CIO_EAI_MEMORY (-10414)
#define CIO_EAI_NONAME (-10415)
#define CIO_EAI_SERVICE (-10416)
#define CIO_EAI_SOCKTYPE (-10417)
#define CIO_EAI_NODATA (-10418)
#define CIO_EAI_ADDRFAMILY (-10419)
#define CIO_EAI_OVERFLOW (-10420)
/* TLS (cio/tls.h): the message gives OpenSSL's reason */
#define CIO_ETLS (-10450)       /* protocol error ("wrong version number") */
#define CIO_ETLSVERIFY (-10451) /* the peer's certificate was not accepted */
#define CIO_ETLSEOF (-10452)    /* the peer closed without close_notify */
#define CIO_ETLSCONFIG (-10453) /* OpenSSL refused a file or cipher list */
/* HTTP client (cio/http.h) */
#define CIO_EHTTP (-10500)                 /* another HTTP transfer failure */
#define CIO_EHTTP_CONNECT (-10501)         /* connection refused / failed */
#define CIO_EHTTP_RESOLVE (-10502)         /* host name did not resolve */
#define CIO_EHTTP_TLS (-10503)             /* TLS handshake or verification */
#define CIO_EHTTP_TIMEOUT_TOTAL (-10504)   /* the total timeout expired */
#define CIO_EHTTP_TIMEOUT_CONNECT (-10505) /* the connect timeout expired */
/* the sock_read timeout expired */
#define CIO_EHTTP_TIMEOUT_SOCK_READ (-10506)
#define CIO_EHTTP_REDIRECTS (-10507)    /* too many redirects */
#define CIO_EHTTP_TOO_LARGE (-10508)    /* body larger than max_body */
#define CIO_EHTTP_STATUS (-10509)       /* status >= 400 (raise_for_status) */
#define CIO_EHTTP_JSON (-10510)         /* the body is not valid JSON */
#define CIO_EHTTP_CONTENT_TYPE (-10511) /* not a JSON content type */
#define CIO_EHTTP_PAYLOAD (-10512)      /* connection closed mid-body */
#define CIO_EHTTP_CLOSED (-10513)       /* the session is closed */
#define CIO_EHTTP_DECODE (-10514)       /* text not valid in its charset */
/* HTTP server (cio/web.h) */
#define CIO_EWEB_TOO_LARGE (-10601)    /* a request body over max_body (413) */
#define CIO_EWEB_BAD_REQUEST (-10602)  /* malformed request or body (400) */
#define CIO_EWEB_HEADERS_SENT (-10603) /* the response's headers are sent */
/* process and signals (cio/process.h) */
#define CIO_EINTERRUPTED (-10700) /* cio_run's main task stopped by Ctrl-C */
#define CIO_EBADSIGNAL (-10701)   /* a signal that cannot be handled */

/* A sentence describing `code` (0, a cio code or a negated errno value).
 * Never NULL; the string is static. */
CIO_API const char *cio_strerror(int code);

/* The error left by the last call on this thread that failed (returned NULL
 * or a negative code), and a message naming the call and saying what went
 * wrong ("cio_create_task: no loop on this thread", "cio_queue_get_nowait:
 * queue or item is NULL"). Calls that succeed do not clear it. A code read
 * from a future (cio_await, cio_future_error) carries its message in the
 * future instead: cio_future_error_message. */
CIO_API int cio_last_error(void);
CIO_API const char *cio_last_error_message(void);

/* Where cio prints its diagnostics ("task 'x' was destroyed but it is
 * pending", "error was never retrieved", slow task reports). The default
 * handler writes "cio: MESSAGE\n" to stderr. NULL restores the default.
 * Process-wide; set it before starting loops. */
typedef void (*cio_diagnostic_fn)(const char *message, void *arg);
CIO_API void cio_set_diagnostic_handler(cio_diagnostic_fn fn, void *arg);

/* ------------------------------------------------------------------------ */
/* Loops                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct cio_loop cio_loop;
typedef struct cio_future cio_future; /* a task is a future too */
typedef struct cio_handle cio_handle;

/* A task's body: it runs on its own stack and may call cio_await(),
 * cio_sleep() and the other suspending calls. What it returns is the task's
 * result; `return cio_raise(code, ...)` makes the task fail instead. */
typedef void *(*cio_task_fn)(void *arg);

/* A plain callback run by the loop (call_soon, call_later). It runs on the
 * loop's own stack, not in a task, so it must not suspend: cio_await() and
 * cio_sleep() return CIO_ENOTASK there. */
typedef void (*cio_callback_fn)(void *arg);

typedef struct cio_loop_options {
    /* Virtual time: the clock starts at 0 and, whenever nothing is ready
     * to run and no I/O is ready, jumps straight to the next timer. A test
     * of cio_sleep(2) then takes microseconds and its order of events is
     * deterministic. */
    bool virtual_time;
    /* Debug mode (also turned on by the environment variable CIO_DEBUG=1):
     * report a task step or callback that runs longer than
     * slow_callback_duration without yielding, with the task's name and
     * where it was created. */
    bool debug;
    double slow_callback_duration; /* seconds; 0 means 0.1, as asyncio */
    /* Default stack size for this loop's tasks; 0 means CIO_STACK_DEFAULT.
     * Rounded up to whole pages; below CIO_STACK_MIN or above
     * CIO_STACK_MAX, cio_loop_new fails with CIO_EINVAL. */
    size_t stack_size;
    /* Eager tasks (asyncio 3.12's eager_task_factory): every task created
     * while the loop runs starts at once, as if cio_task_options.eager
     * were set (see there). */
    bool eager_tasks;
    /* cio_run only: leave SIGINT alone. By default cio_run handles Ctrl-C
     * as asyncio.run does (see cio_run); with no_sigint a Ctrl-C does what
     * the process's SIGINT disposition says (by default: end at once). */
    bool no_sigint;
    /* Compact tasks: every task of this loop is created as if
     * cio_task_options.compact were set (see there, and its rule), the
     * tasks cio creates for you included (a server's connection handlers,
     * whose socket waits are then refused): for a loop that uses sockets,
     * make only the tasks that need it compact. */
    bool compact_tasks;
} cio_loop_options;

/* 256 KiB of address space per task. Only the pages a task touches become
 * resident (a task that sleeps at once costs one 4 KiB page); the size only
 * bounds how deep a task may recurse.
 *
 * Overflow. A task that runs past the end of its stack ends the process
 * with "cio: task 'NAME' overflowed its N KiB stack (created at FILE:LINE)"
 * on stderr and SIGABRT. Below every stack lies a guard that faults: 64 KiB
 * on Linux 6.13 and later (guard regions); on older kernels the same for
 * the first stacks (a quarter of vm.max_map_count), then a canary checked
 * at every switch. A single frame larger than the guard (a big local
 * array) could jump over it, so build the code your tasks run with
 * -fstack-clash-protection (GCC 8+, Clang 11+; cio itself is built with
 * it): then every frame touches each page as it grows and the guard always
 * catches it. docs/design.md ("Stacks") says what is caught where the
 * kernel has no guard regions. */
#define CIO_STACK_DEFAULT ((size_t)256 * 1024)
#define CIO_STACK_MIN ((size_t)16 * 1024)
/* The largest stack a loop or a task may ask for (1 GiB of address space
 * per task): anything larger is a mistake, refused with CIO_EINVAL. */
#define CIO_STACK_MAX ((size_t)1 << 30)

/* A new loop on the calling thread, with `opts` (NULL for the defaults).
 * It becomes the thread's current loop if the thread has none, which is the
 * loop cio_create_task() and cio_future_new() use outside a running loop.
 * NULL on failure (see cio_last_error()). */
CIO_API cio_loop *cio_loop_new(const cio_loop_options *opts);

/* Run until cio_loop_stop(). Returns 0, CIO_ELOOPRUNNING if a loop already
 * runs on this thread, CIO_ELOOPCLOSED, or CIO_EDEADLK when nothing is ready,
 * no timer is set and no I/O can happen (every task waits for something that
 * will never come; asyncio would hang, cio says so). */
CIO_API int cio_loop_run_forever(cio_loop *loop);

/* Create a task for fn(arg) (see cio_create_task), run the loop until it is
 * done, and return its status: 0, or its error code (CIO_ECANCELED if it was
 * cancelled). Its result is stored in *result when result is not NULL. */
CIO_API int cio_loop_run_until_complete(cio_loop *loop, cio_task_fn fn,
                                        void *arg, void **result);

/* Run the loop until `future` (of this loop) is done; return its status as
 * cio_await() does. As asyncio's run_until_complete, whose done callback
 * stops the loop, one more pass runs once the future is done: what was
 * ready then (a task created just before, say) runs once; the clock does
 * not move for it. If cio_loop_stop() ends the run first: CIO_ESTOPPED. */
CIO_API int cio_loop_run_until_done(cio_loop *loop, cio_future *future,
                                    void **result);

/* Ask the running loop to stop after the pass it is in (asyncio's
 * loop.stop()). Stopping a loop that is not running makes its next run
 * stop after one pass. 0, CIO_EINVAL, CIO_ELOOPCLOSED, or CIO_EWRONGLOOP
 * from another thread (use cio_call_soon_threadsafe to stop it from
 * there). */
CIO_API int cio_loop_stop(cio_loop *loop);

/* Close the loop: every task still pending is destroyed with the diagnostic
 * "task 'NAME' was destroyed but it is pending" (cancel and await your
 * tasks first to avoid it; cio_run does), pending callbacks are dropped, and
 * all memory is freed. Futures you still hold stay valid until released.
 * Returns CIO_ELOOPRUNNING if called from inside the running loop,
 * CIO_EWRONGLOOP from a thread other than the loop's. Closing a
 * closed loop is a no-op; the loop object itself is freed by this call (or,
 * if futures of the loop are still referenced, when the last is released),
 * so do not use `loop` afterwards. */
CIO_API int cio_loop_close(cio_loop *loop);

/* The loop's clock: monotonic seconds (virtual under virtual_time, from 0).
 * Deadlines in these seconds are rounded to the nearest nanosecond, so
 * cio_call_at(loop, cio_loop_time(loop) + d, ...) is cio_call_later(d). */
CIO_API double cio_loop_time(const cio_loop *loop);

/* The loop running on this thread, or NULL. */
CIO_API cio_loop *cio_get_running_loop(void);

/* The running loop, else this thread's current loop, or NULL. */
CIO_API cio_loop *cio_get_loop(void);

/* Make `loop` this thread's current loop (NULL to clear). CIO_ELOOPCLOSED,
 * or CIO_EWRONGLOOP for a loop created on another thread. */
CIO_API int cio_set_loop(cio_loop *loop);

/* The libuv loop under a cio loop, for handles of your own: their callbacks
 * run on the loop's stack like cio callbacks. NULL for NULL or closed. */
struct uv_loop_s;
CIO_API struct uv_loop_s *cio_loop_uv(cio_loop *loop);

/* ------------------------------------------------------------------------ */
/* Callbacks and timers                                                     */
/* ------------------------------------------------------------------------ */

/* Schedule cb(arg) to run on the loop's next pass, after everything already
 * scheduled (FIFO, as asyncio's call_soon). If `out` is not NULL it receives
 * a reference to a handle that can cancel the call (release it with
 * cio_handle_release). loop NULL means cio_get_loop(). Returns 0 or an error
 * (CIO_EINVAL, CIO_ENOLOOP, CIO_ELOOPCLOSED, CIO_ENOMEM). */
CIO_API int cio_call_soon(cio_loop *loop, cio_callback_fn cb, void *arg,
                          cio_handle **out);

/* Schedule cb(arg) after `delay` seconds (negative counts as 0), or at
 * loop time `when`. Timers that are due join the ready queue in deadline
 * order; equal deadlines keep the order they were set in. */
CIO_API int cio_call_later(cio_loop *loop, double delay, cio_callback_fn cb,
                           void *arg, cio_handle **out);
CIO_API int cio_call_at(cio_loop *loop, double when, cio_callback_fn cb,
                        void *arg, cio_handle **out);

/* Cancel the call if it has not run yet: returns 1 if cancelled now, 0 if
 * it already ran or was cancelled, CIO_EINVAL for NULL, CIO_EWRONGLOOP from
 * a thread other than the loop's. */
CIO_API int cio_handle_cancel(cio_handle *handle);
CIO_API bool cio_handle_cancelled(const cio_handle *handle);
/* The loop time a timer handle is due at (0 for call_soon handles). */
CIO_API double cio_handle_when(const cio_handle *handle);
/* Give back the caller's reference. Releasing a freed handle, or one
 * reference too many of a handle still scheduled, prints a diagnostic and
 * aborts. */
CIO_API void cio_handle_release(cio_handle *handle);

/* ------------------------------------------------------------------------ */
/* Futures                                                                  */
/* ------------------------------------------------------------------------ */

typedef enum cio_state {
    CIO_PENDING,  /* not done; for a task: not started yet */
    CIO_RUNNING,  /* a task that has started and is not done */
    CIO_DONE,     /* finished with a result or an error */
    CIO_CANCELLED /* finished by cancellation */
} cio_state;

/* The name of a state: "PENDING", "RUNNING", "DONE", "CANCELLED". */
CIO_API const char *cio_state_name(cio_state state);

/* A new pending future of `loop` (NULL: cio_get_loop()). New reference.
 * NULL on failure (see cio_last_error()). */
CIO_API cio_future *cio_future_new(cio_loop *loop);

/* Take one more reference / give one back. cio_retain returns its argument;
 * both accept NULL. cio_release_all releases n entries (NULL ones skipped).
 * Releasing a future or task that is already freed, or the last reference
 * of a task that is still pending (the loop's own), prints "cio:
 * cio_release: task 'NAME' (created at FILE:LINE) ..." and aborts. */
CIO_API cio_future *cio_retain(cio_future *future);
CIO_API void cio_release(cio_future *future);
CIO_API void cio_release_all(cio_future *const *futures, size_t n);

/* Finish a pending future with a result, or with an error: `code` must be
 * negative (CIO_EINVAL otherwise), the message is printf-formatted (NULL:
 * cio_strerror(code)); CIO_ECANCELED makes the future CANCELLED, like
 * cio_cancel. Its done callbacks are then scheduled. Returns 0,
 * CIO_EINVALIDSTATE if the future is already done, CIO_EINVAL for a task
 * (a task finishes by returning) or NULL, CIO_ELOOPCLOSED, CIO_EWRONGLOOP
 * from a thread other than the loop's. */
CIO_API int cio_future_set_result(cio_future *future, void *result);
CIO_API int cio_future_set_error(cio_future *future, int code, const char *fmt,
                                 ...) CIO_PRINTF(3, 4);

/* Cancel a future or a task, with an optional message (copied).
 * A future becomes CANCELLED at once and its callbacks are scheduled.
 * A task is asked to stop: CIO_ECANCELED is delivered at its current or
 * next suspension point, and if it is awaiting a future that future is
 * cancelled too (as in asyncio). A task cancelled before it started never
 * runs. Returns 1 if the request was made, 0 if the future is already done,
 * CIO_EINVAL for NULL, CIO_ELOOPCLOSED, CIO_EWRONGLOOP from a thread other
 * than the loop's. */
CIO_API int cio_cancel(cio_future *future, const char *msg);

/* The future's state: CIO_PENDING (also for NULL), CIO_DONE or
 * CIO_CANCELLED. */
CIO_API cio_state cio_future_state(const cio_future *future);
CIO_API bool cio_future_done(const cio_future *future); /* DONE or CANCELLED */
CIO_API bool cio_future_cancelled(const cio_future *future); /* CANCELLED */

/* The result of a future that finished with one, else NULL. */
CIO_API void *cio_future_result(cio_future *future);

/* The status of a finished future: 0 for a result, its error code, or
 * CIO_ECANCELED. CIO_EINVALIDSTATE while pending, CIO_EINVAL for NULL.
 * Reading it (or awaiting) marks the error as retrieved. */
CIO_API int cio_future_error(cio_future *future);

/* The message of the error or cancellation ("" if none), valid while you
 * hold the future. NULL for NULL, pending or successful futures. */
CIO_API const char *cio_future_error_message(cio_future *future);

/* The loop a future belongs to (NULL once that loop is closed). */
CIO_API cio_loop *cio_future_loop(const cio_future *future);

/* Done callbacks: cb(future, arg) is scheduled on the loop when the future
 * finishes (never called inline, even when added to a finished future, in
 * which case it is scheduled at once). Callbacks run in the order added.
 * remove returns how many (cb, arg) registrations it removed. Both return
 * CIO_EINVAL for NULL, CIO_EWRONGLOOP from a thread other than the loop's;
 * add returns CIO_ELOOPCLOSED or CIO_ENOMEM too. */
typedef void (*cio_done_fn)(cio_future *future, void *arg);
CIO_API int cio_future_add_done_callback(cio_future *future, cio_done_fn cb,
                                         void *arg);
CIO_API int cio_future_remove_done_callback(cio_future *future, cio_done_fn cb,
                                            void *arg);

/* ------------------------------------------------------------------------ */
/* Tasks                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct cio_task_options {
    const char *name;  /* NULL: "Task-N", N counting from 1 per process */
    size_t stack_size; /* 0: the loop's default; CIO_STACK_MIN..MAX */
    /* Start eagerly (asyncio 3.12's eager_start): if the loop is running,
     * the task runs at once, inside cio_create_task, until its first
     * suspension, and the creator continues after that; a task that
     * finishes without suspending is done when cio_create_task returns
     * (it never reaches the ready queue: no pass, no switch through the
     * scheduler). While it runs, cio_current_task() is the new task (the
     * creator's again afterwards) and cio_all_tasks() lists it; a task that
     * finished eagerly is not listed after. Cancelling it works as for any
     * task. If the loop is not running (or there is no memory for a stack
     * at once), the task is scheduled as usual. */
    bool eager;
    /* A compact task: while it waits, it holds no stack, only a copy of
     * the frames it uses (a few hundred bytes for a task waiting in
     * cio_sleep, against a 4 KiB page for an ordinary task). Compact tasks
     * take turns on a few stacks the loop shares among them: when one is
     * about to run and another's frames occupy its stack, those are copied
     * out to a buffer sized to fit, and its own are copied back to the
     * same addresses. Such a switch goes through the scheduler and costs a
     * copy of the frames both ways (a switch to a compact task whose
     * frames are still in place costs what any switch does); a compact
     * task never starts eagerly (`eager` is ignored).
     *
     * THE RULE: while a compact task waits, nothing may point into its
     * stack. Its local variables are not where their addresses say: those
     * bytes hold another compact task's frames. Never hand another task,
     * callback or thread the address of a compact task's local (a queue
     * item, a result, a buffer someone else fills): copy the value out
     * (put the value itself in a queue, or memory from malloc) instead.
     * cio's own waits keep their records off the stack and work in
     * compact tasks: sleep, await, cancellation, locks, events,
     * conditions, semaphores, barriers, queues, gather, wait, wait_for,
     * as_completed, timeouts and task groups. Socket waits (cio/net.h,
     * and what waits on sockets: HTTP, process pipes) keep records on the
     * task's stack, and are refused in a compact task with CIO_ECOMPACT;
     * so is any other call that would link a record on the task's stack
     * (a done callback whose argument points into it), and
     * cio_create_task, cio_run_in_executor and cio_to_thread fail with
     * CIO_ECOMPACT for an `arg` that points into a compact task's stack
     * (the classic mistake: a parent passing the address of its local to
     * a child or a worker). In debug mode
     * (cio_loop_options.debug or CIO_DEBUG=1), cio_queue_put,
     * cio_queue_put_nowait and cio_future_set_result also refuse a pointer
     * into a shared stack with CIO_ECOMPACT.
     *
     * Overflow is caught as for any task: the shared stack has the same
     * guard (or canary) as an ordinary stack of the same size. */
    bool compact;
} cio_task_options;

/* Schedule fn(arg) as a task on the running loop (else the thread's current
 * loop): it starts on the loop's next pass, as in asyncio, and gets its
 * stack only then (unless it starts eagerly: cio_task_options.eager, or
 * the loop's eager_tasks). Returns a new reference to the task, which is a
 * future: await it, cancel it, read its result. NULL on failure
 * (cio_last_error()). These are macros so that the task remembers where it was
 * created. */
#define cio_create_task(fn, arg)                                               \
    cio_create_task_at(NULL, (fn), (arg), NULL, __FILE__, __LINE__)
/* (variadic so that a compound literal with commas can be the options:
 * cio_create_task_ex(NULL, fn, arg, &(cio_task_options){.name = "x"})) */
#define cio_create_task_ex(loop, fn, arg, ...)                                 \
    cio_create_task_at((loop), (fn), (arg), (__VA_ARGS__), __FILE__, __LINE__)
CIO_API cio_future *cio_create_task_at(cio_loop *loop, cio_task_fn fn,
                                       void *arg, const cio_task_options *opts,
                                       const char *file, int line);

/* Suspend the calling task until `future` is done; return its status (0,
 * its error code, or CIO_ECANCELED) and store its result in *result when
 * result is not NULL. Awaiting a future that is already done returns at
 * once without suspending (as in asyncio). If the calling task is
 * cancelled meanwhile, the future is cancelled too and CIO_ECANCELED is
 * returned. Errors: CIO_ENOTASK outside a task, CIO_EINVAL for NULL or for a
 * task awaiting itself, CIO_EWRONGLOOP for a future of another loop. */
#define cio_await(future, result)                                              \
    cio_await_at((future), (result), __FILE__, __LINE__)
CIO_API int cio_await_at(cio_future *future, void **result, const char *file,
                         int line);

/* Suspend the calling task for `seconds` (negative counts as 0).
 * cio_sleep(0) yields: every other ready task and callback runs once before
 * this task continues. cio_sleep(INFINITY) (or any sleep past the clock's
 * end, about 584 years) sleeps until the task is cancelled: its timer never
 * fires, does not move a virtual clock, and does not count as a timer for
 * CIO_EDEADLK (a program left with nothing else stops with that code). Returns
 * 0, CIO_ECANCELED, CIO_ENOTASK, CIO_EINVAL for NaN, or CIO_ENOMEM if the
 * loop's timer heap cannot grow. */
#define cio_sleep(seconds) cio_sleep_at((seconds), __FILE__, __LINE__)
CIO_API int cio_sleep_at(double seconds, const char *file, int line);

/* Make the calling task fail: `return cio_raise(CIO_ETIMEDOUT, "no answer
 * from %s", host);`. `code` should be negative (a non-negative code is
 * recorded as CIO_EINVAL). The message is printf-formatted; NULL means
 * cio_strerror(code). The return value is a marker only a task's return
 * understands. A function run by an executor (cio/thread.h) fails the same
 * way; anywhere else the marker means nothing. */
CIO_API void *cio_raise(int code, const char *fmt, ...) CIO_PRINTF(2, 3);

/* The task running on this thread (borrowed), or NULL outside a task. */
CIO_API cio_future *cio_current_task(void);

/* Whether the future is a task (made by cio_create_task); false for NULL. */
CIO_API bool cio_is_task(const cio_future *future);

/* Store new references to the loop's tasks that are not done yet (in the
 * order they were created) into out[0..cap) and return how many there are
 * in all (which may exceed cap). loop NULL: cio_get_loop(). Negative on
 * error. Release what you got with cio_release_all. */
CIO_API long cio_all_tasks(cio_loop *loop, cio_future **out, size_t cap);

/* A task's name (valid until it is renamed or released), or NULL for a plain
 * future. set_name copies the name (0, CIO_EINVAL,
 * CIO_ENOMEM, or CIO_EWRONGLOOP from a thread other than the loop's). */
CIO_API const char *cio_task_get_name(cio_future *task);
CIO_API int cio_task_set_name(cio_future *task, const char *name);

/* How many cancellation requests a task has that uncancel() has not taken
 * back (asyncio's Task.cancelling()). 0 for a plain future. */
CIO_API int cio_task_cancelling(const cio_future *task);

/* Take back one cancellation request and return the remaining count
 * (asyncio's Task.uncancel()). A task whose count is still above zero when
 * its function returns ends CANCELLED: in C, where nothing unwinds the
 * stack, returning from a cancelled task is how it "lets the cancellation
 * propagate"; call uncancel() to swallow it and finish normally instead.
 * Negative on error (CIO_EINVAL for NULL or a plain future, CIO_EWRONGLOOP
 * from a thread other than the loop's). */
CIO_API int cio_task_uncancel(cio_future *task);

/* Print every task of the loop that is not done (NULL: cio_get_loop()):
 * name, state, where it was created and where it is suspended. For a
 * program that hangs. */
CIO_API int cio_dump_tasks(cio_loop *loop, FILE *out);

/* ------------------------------------------------------------------------ */
/* Running a program                                                        */
/* ------------------------------------------------------------------------ */

/* asyncio.run: create a loop, run main(arg) as a task until it is done,
 * then cancel every task still pending and wait for them to finish, and
 * close the loop. Returns main's status (0, its error code, CIO_ECANCELED)
 * with its result in *result; CIO_ELOOPRUNNING if a loop is running on this
 * thread; CIO_EINVAL for a NULL main.
 *
 * Ctrl-C, as asyncio.run since Python 3.11: on the main thread, when SIGINT
 * has its default disposition (not ignored, no handler of the program's),
 * the first SIGINT cancels the main task, which can clean up at its
 * suspension point; cio_run then returns CIO_EINTERRUPTED if main ended
 * cancelled (main's own status if it swallowed the cancellation). The
 * handler is one-shot: a second SIGINT meets the default action and ends
 * the process at once, even if a task never yields. A SIGINT arriving after
 * main finished (while the remaining tasks are cancelled) also ends it at
 * once. `return cio_exit_status(rc);` in main() gives the shell the 130 it
 * expects after Ctrl-C (cio/process.h). cio_add_signal_handler(SIGINT)
 * replaces this handling for the rest of the run; the loop option
 * no_sigint turns it off. */
CIO_API int cio_run(cio_task_fn main, void *arg, void **result);

/* cio_run with loop options (NULL: defaults). */
CIO_API int cio_run_ex(cio_task_fn main, void *arg, void **result,
                       const cio_loop_options *opts);

#ifdef __cplusplus
}
#endif

#endif /* CIO_CORE_H */
