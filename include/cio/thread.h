/* cio/thread.h - threads: executors, thread-side futures, and the ways
 * between a loop and other threads.
 *
 * This is Python's concurrent.futures plus the thread parts of asyncio
 * (run_in_executor, to_thread, wrap_future, call_soon_threadsafe,
 * run_coroutine_threadsafe), for C.
 *
 * TWO KINDS OF FUTURES
 *
 *   A cio_future (core.h) belongs to its loop's thread: tasks await it, and
 *   only that thread may touch it. A cio_tfuture ("thread-side future",
 *   concurrent.futures.Future) may be used from any thread: it is what an
 *   executor's submit returns, what a thread blocks on with
 *   cio_tfuture_result(), and what cio_tfuture_wait() and
 *   cio_tfuture_as_completed() watch. cio_wrap_tfuture() turns one into a
 *   loop future that a task can await.
 *
 *   A tfuture is PENDING, then RUNNING once a worker has taken it, then DONE
 *   (a result or an error) or CANCELLED. It can be cancelled only while
 *   PENDING. Its reference count is atomic: cio_tfuture_retain() /
 *   cio_tfuture_release() from any thread.
 *
 * WORK FUNCTIONS
 *
 *   Executors run `void *fn(void *arg)` on a worker thread. What it returns
 *   is the result; `return cio_raise(code, "fmt", ...)` makes it fail with
 *   that code and message, exactly as a task does. A work function runs on
 *   an ordinary thread, not in a task: it may block, but it must not call
 *   cio_await() or cio_sleep() (they return CIO_ENOTASK there).
 *
 * THE DEFAULT EXECUTOR
 *
 *   Each loop has its own default executor (asyncio's
 *   loop._default_executor), created by the first cio_run_in_executor(NULL,
 *   ...) or cio_to_thread() on that loop, with cio_executor_default_workers()
 *   workers (min(32, cores + 4), as Python). cio_run() shuts it down at the
 *   end and waits for the work still running or queued (as asyncio.run
 *   does; so such work must not itself wait for that loop, say by blocking
 *   on a cio_run_coroutine_threadsafe() into it); cio_loop_close() shuts it
 *   down without waiting: queued work that has not started is cancelled,
 *   running work finishes on its own and its result is discarded.
 *
 *   There is no process-wide default executor: Python has none either (the
 *   default one is per loop), and in C a process-wide pool would have no
 *   point at which to join its threads. A program without a loop creates its
 *   own with cio_executor_new(0), which has the same size.
 *
 * TIMEOUTS
 *
 *   Calls that block the calling thread take a timeout in seconds:
 *   CIO_NO_TIMEOUT waits as long as it takes, 0 only looks, a negative or
 *   NaN timeout is CIO_EINVAL. Timeouts use the monotonic clock.
 *
 * DIFFERENCES FROM PYTHON (see also docs/design.md)
 *
 *   - cio_tfuture_wait() reorders the caller's array, done ones first,
 *     instead of returning two sets; duplicates are counted per entry.
 *   - cio_tfuture_result() returns CIO_ETIMEDOUT both when the timeout
 *     expires and when the work itself failed with CIO_ETIMEDOUT; tell them
 *     apart with cio_tfuture_done().
 *   - A work function that fails with CIO_ECANCELED leaves its future
 *     CANCELLED (as cio_future_set_error does in the core); in Python it
 *     would be FINISHED with a CancelledError.
 *   - cio_call_soon_threadsafe() returns no handle (asyncio's handle cannot
 *     be cancelled safely from another thread anyway).
 *   - A future from cio_run_coroutine_threadsafe() whose loop closes before
 *     the coroutine finished fails with CIO_ELOOPCLOSED instead of staying
 *     pending for ever.
 *   - cio_loop_close() cancels work queued on the loop's default executor
 *     that has not started (asyncio lets it run after the loop is gone,
 *     where its result can go nowhere).
 */
#ifndef CIO_THREAD_H
#define CIO_THREAD_H

#include "cio/combine.h"
#include "cio/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Errors, timeouts, wait modes                                             */
/* ------------------------------------------------------------------------ */

/* CIO_ESHUTDOWN (defined in cio/core.h with all the codes): the executor
 * has been shut down. */

/* CIO_NO_TIMEOUT and the wait modes (cio_return_when: CIO_ALL_COMPLETED,
 * CIO_FIRST_COMPLETED, CIO_FIRST_EXCEPTION) are the ones of combine.h's
 * loop-side cio_wait, which this header includes. */

/* A function run by an executor's worker: its return value is the result;
 * `return cio_raise(code, ...)` fails it. */
typedef void *(*cio_work_fn)(void *arg);

/* ------------------------------------------------------------------------ */
/* Thread-side futures                                                      */
/* ------------------------------------------------------------------------ */

typedef struct cio_tfuture cio_tfuture;

/* A new PENDING tfuture (new reference), for code that completes futures
 * itself (a custom executor, a test). Executors make their own. NULL on
 * failure (cio_last_error()).
 *
 *     cio_tfuture *f = cio_tfuture_new();
 *     // hand it to a thread that will call cio_tfuture_set_result(f, v)
 */
CIO_API cio_tfuture *cio_tfuture_new(void);

/* Take one more reference / give one back, from any thread. Both accept
 * NULL; retain returns its argument. A tfuture lives until its last
 * reference is released, whoever completes it.
 *
 *     cio_tfuture *f = cio_executor_submit(ex, work, arg);
 *     ...
 *     cio_tfuture_release(f);
 */
CIO_API cio_tfuture *cio_tfuture_retain(cio_tfuture *f);
CIO_API void cio_tfuture_release(cio_tfuture *f);

/* The state: CIO_PENDING, CIO_RUNNING, CIO_DONE or CIO_CANCELLED
 * (CIO_PENDING for NULL). The other three are shorthands. Never blocks.
 *
 *     if (cio_tfuture_state(f) == CIO_RUNNING) puts("a worker has it");
 */
CIO_API cio_state cio_tfuture_state(const cio_tfuture *f);
CIO_API bool cio_tfuture_running(const cio_tfuture *f);
CIO_API bool cio_tfuture_done(const cio_tfuture *f); /* DONE or CANCELLED */
CIO_API bool cio_tfuture_cancelled(const cio_tfuture *f);

/* Cancel: succeeds only while the future is PENDING (no worker has taken
 * it). Returns 1 if the future is now cancelled (also if it already was), 0
 * if it is running or finished, CIO_EINVAL for NULL. Its done callbacks run
 * in the calling thread before this returns.
 *
 *     if (cio_tfuture_cancel(f) == 1) puts("it will never run");
 */
CIO_API int cio_tfuture_cancel(cio_tfuture *f);

/* Block the calling thread until the future is done or `timeout` seconds
 * have passed. Returns 0 with the result in *result (if result is not
 * NULL), the error code the work failed with, CIO_ECANCELED,
 * CIO_ETIMEDOUT if the timeout expired first (the future is then still
 * not done), or CIO_EINVAL (NULL, negative or NaN timeout).
 * Do not call it from a task with a long timeout: it blocks the whole loop;
 * await cio_wrap_tfuture(f) there instead.
 *
 *     void *r;
 *     int err = cio_tfuture_result(f, 2.0, &r);
 *     if (err == CIO_ETIMEDOUT && !cio_tfuture_done(f)) puts("still busy");
 */
CIO_API int cio_tfuture_result(cio_tfuture *f, double timeout, void **result);

/* The message of a failed or cancelled future ("" if none), valid while you
 * hold the future; NULL while it is not done or if it succeeded.
 *
 *     if (cio_tfuture_result(f, CIO_NO_TIMEOUT, NULL) < 0)
 *         fprintf(stderr, "%s\n", cio_tfuture_error_message(f));
 */
CIO_API const char *cio_tfuture_error_message(cio_tfuture *f);

/* Done callbacks: cb(f, arg) is called once when the future finishes, in
 * the thread that finishes it (a worker, or the one that cancels it), in the
 * order the callbacks were added. Added to a future that is already done,
 * it is called at once in the calling thread (as concurrent.futures does).
 * Keep them short: they run on the executor's worker. 0, CIO_EINVAL,
 * CIO_ENOMEM.
 *
 *     static void on_done(cio_tfuture *f, void *arg) { sem_post(arg); }
 *     cio_tfuture_add_done_callback(f, on_done, &sem);
 */
typedef void (*cio_tdone_fn)(cio_tfuture *f, void *arg);
CIO_API int cio_tfuture_add_done_callback(cio_tfuture *f, cio_tdone_fn cb,
                                          void *arg);

/* For code that runs futures itself (concurrent.futures'
 * set_running_or_notify_cancel): PENDING -> RUNNING and 1, or 0 if the
 * future was cancelled (do not run the work then); CIO_EINVALIDSTATE if it
 * is running or done already, CIO_EINVAL for NULL.
 *
 *     if (cio_tfuture_set_running(f) == 1)
 *         cio_tfuture_set_result(f, work(arg));
 */
CIO_API int cio_tfuture_set_running(cio_tfuture *f);

/* Finish a PENDING or RUNNING future with a result or an error (`code`
 * negative, else CIO_EINVAL; printf-formatted message, NULL for
 * cio_strerror(code); CIO_ECANCELED makes it CANCELLED). Wakes every thread
 * blocked on it and runs its done callbacks in the calling thread. 0,
 * CIO_EINVALIDSTATE if it is done already, CIO_EINVAL, CIO_ENOMEM.
 *
 *     cio_tfuture_set_error(f, -EIO, "disk %d failed", n);
 */
CIO_API int cio_tfuture_set_result(cio_tfuture *f, void *result);
CIO_API int cio_tfuture_set_error(cio_tfuture *f, int code, const char *fmt,
                                  ...) CIO_PRINTF(3, 4);

/* ------------------------------------------------------------------------ */
/* Waiting for several tfutures (concurrent.futures.wait, as_completed)     */
/* ------------------------------------------------------------------------ */

/* Block until `when` is satisfied or `timeout` expires, then reorder
 * fs[0..n) so that the futures that are done come first (each group keeps
 * its order) and return how many are done (a timeout is not an error: fewer
 * are done, as Python returns the two sets). Returns at once if the
 * condition already holds, and 0 for n == 0 (Python's empty sets). A
 * cancelled future counts as done but not as failed. CIO_EINVAL for a NULL
 * entry, a bad mode or timeout; CIO_ENOMEM. The caller keeps its references
 * meanwhile.
 *
 *     cio_tfuture *fs[3] = {a, b, c};
 *     long ndone = cio_tfuture_wait(fs, 3, CIO_FIRST_COMPLETED, 5.0);
 *     // fs[0] is done (if ndone > 0); fs[ndone..3) are not
 */
CIO_API long cio_tfuture_wait(cio_tfuture **fs, size_t n, cio_return_when when,
                              double timeout);

/* An iterator over futures in the order they finish
 * (concurrent.futures.as_completed): first those already done, in the order
 * given, then each as it finishes. Each distinct future is yielded once.
 * `timeout` counts from the call to cio_tfuture_as_completed. It holds its
 * own references, so the caller's may go. NULL on failure (cio_last_error():
 * CIO_EINVAL, CIO_ENOMEM).
 *
 * cio_tcompleted_next blocks for the next one and stores it (borrowed: valid
 * until cio_tcompleted_free, or retain it) in *out: returns 1 with a future,
 * 0 once all were yielded, CIO_ETIMEDOUT when the timeout expired first
 * (later calls too), CIO_EINVAL.
 *
 *     cio_tcompleted *it = cio_tfuture_as_completed(fs, n, CIO_NO_TIMEOUT);
 *     cio_tfuture *f;
 *     while (cio_tcompleted_next(it, &f) == 1)
 *         use(f);
 *     cio_tcompleted_free(it);
 */
typedef struct cio_tcompleted cio_tcompleted;
CIO_API cio_tcompleted *cio_tfuture_as_completed(cio_tfuture *const *fs,
                                                 size_t n, double timeout);
CIO_API int cio_tcompleted_next(cio_tcompleted *it, cio_tfuture **out);
CIO_API void cio_tcompleted_free(cio_tcompleted *it);

/* ------------------------------------------------------------------------ */
/* Executors (concurrent.futures.ThreadPoolExecutor)                        */
/* ------------------------------------------------------------------------ */

typedef struct cio_executor cio_executor;

/* min(32, CPUs available to the process + 4), Python's default size. */
CIO_API int cio_executor_default_workers(void);

/* A pool of up to `max_workers` threads (0: cio_executor_default_workers());
 * usable from any thread, with or without a loop. Threads are started as
 * work arrives, only when no idle one can take it, and then stay until
 * shutdown. NULL on failure (CIO_EINVAL for a negative count, CIO_ENOMEM).
 *
 *     cio_executor *ex = cio_executor_new(4);
 *     cio_tfuture *f = cio_executor_submit(ex, crunch, data);
 *     cio_tfuture_result(f, CIO_NO_TIMEOUT, &r);
 *     cio_tfuture_release(f);
 *     cio_executor_free(ex);
 */
CIO_API cio_executor *cio_executor_new(int max_workers);

/* Queue fn(arg) and return its future (new reference: release it); it runs
 * on a worker in the order submitted. NULL on failure (cio_last_error():
 * CIO_EINVAL, CIO_ESHUTDOWN after shutdown, CIO_ENOMEM, or -EAGAIN if not
 * even one thread could be started).
 *
 *     cio_tfuture *f = cio_executor_submit(ex, checksum, path);
 */
CIO_API cio_tfuture *cio_executor_submit(cio_executor *ex, cio_work_fn fn,
                                         void *arg);

/* Stop accepting work. With cancel_pending, queued work that no worker has
 * taken is cancelled; otherwise it still runs. With wait, block until every
 * worker has finished (running and, unless cancelled, queued work) and
 * exited. May be called again (e.g. first without waiting, later with).
 * Returns 0, CIO_EINVAL, or CIO_EDEADLK when a worker of this executor asks
 * to wait for itself (the shutdown is done, the wait is not).
 *
 *     cio_executor_shutdown(ex, true, true); // cancel the queue, wait
 */
CIO_API int cio_executor_shutdown(cio_executor *ex, bool wait,
                                  bool cancel_pending);

/* Shut down with wait (as leaving Python's `with ThreadPoolExecutor()`
 * does) and free the executor. Called from one of its own workers it
 * cannot wait: the workers then finish the queue and the last one frees
 * it. Futures it returned stay valid. No other call on `ex` may run
 * concurrently or follow. 0 or CIO_EINVAL.
 *
 *     cio_executor_free(ex);
 */
CIO_API int cio_executor_free(cio_executor *ex);

/* How many threads the executor has started so far (for tests and
 * monitoring), and its maximum. Negative for NULL. */
CIO_API int cio_executor_threads(cio_executor *ex);
CIO_API int cio_executor_max_workers(const cio_executor *ex);

/* ------------------------------------------------------------------------ */
/* From the loop to threads                                                 */
/* ------------------------------------------------------------------------ */

/* Run fn(arg) in `ex` (NULL: this loop's default executor, created now if
 * needed) and return a future of the calling thread's loop (running, else
 * current) that a task awaits (new reference). The result is delivered on
 * the loop's thread. Cancelling that future (or the task awaiting it)
 * cancels the work if no worker has taken it yet; work already running
 * finishes and its result is discarded. NULL on failure (cio_last_error():
 * CIO_ENOLOOP, CIO_ELOOPCLOSED, CIO_ESHUTDOWN, CIO_EINVAL, CIO_ENOMEM).
 *
 *     cio_future *f = cio_run_in_executor(NULL, read_file, path);
 *     void *data;
 *     int err = cio_await(f, &data);   // the loop serves others meanwhile
 *     cio_release(f);
 */
CIO_API cio_future *cio_run_in_executor(cio_executor *ex, cio_work_fn fn,
                                        void *arg);

/* asyncio.to_thread: cio_run_in_executor(NULL, fn, arg).
 *
 *     cio_future *f = cio_to_thread(blocking_sleep, &secs);
 *     cio_await(f, NULL);
 *     cio_release(f);
 */
CIO_API cio_future *cio_to_thread(cio_work_fn fn, void *arg);

/* asyncio.wrap_future: a future of the calling thread's loop that finishes
 * like `tf` (its result, error or cancellation, delivered on the loop's
 * thread). Cancelling it cancels tf (if tf is still PENDING). It holds its
 * own reference to tf. NULL on failure (cio_last_error()).
 *
 *     cio_tfuture *tf = cio_run_coroutine_threadsafe(other, work, arg);
 *     cio_future *f = cio_wrap_tfuture(tf);
 *     cio_tfuture_release(tf);
 *     int err = cio_await(f, &r);
 *     cio_release(f);
 */
CIO_API cio_future *cio_wrap_tfuture(cio_tfuture *tf);

/* ------------------------------------------------------------------------ */
/* From other threads into a loop                                           */
/* ------------------------------------------------------------------------ */

/* Schedule cb(arg) on `loop`'s thread, from any thread (the only cio call on
 * a loop that other threads may make, with the next one). It runs in FIFO
 * order with the loop's other callbacks, and a loop blocked waiting for
 * I/O or timers wakes at once. 0, CIO_EINVAL (NULL loop or cb),
 * CIO_ELOOPCLOSED (the callback will not run), CIO_ENOMEM. If the loop
 * closes before running it, it never runs. `loop` must not be closed and
 * freed while this call runs: close a loop only once the threads that post
 * to it are done with it.
 *
 *     cio_call_soon_threadsafe(loop, on_data_ready, buf);
 */
CIO_API int cio_call_soon_threadsafe(cio_loop *loop, cio_callback_fn cb,
                                     void *arg);

/* Create a task running fn(arg) on `loop`, from any thread, and return a
 * tfuture (new reference) that finishes like the task: the calling thread
 * can block on it with cio_tfuture_result() or watch it. Cancelling the
 * tfuture cancels the task; the tfuture stays PENDING until the task
 * finishes (as in asyncio), so cancelling it works until then. If the loop
 * closes before the task finished,
 * the tfuture fails with CIO_ELOOPCLOSED. NULL on failure (cio_last_error():
 * CIO_EINVAL, CIO_ELOOPCLOSED, CIO_ENOMEM). Called on the loop's own
 * thread, the task is created at once (from another thread, when the loop
 * next reads its inbox). Never block on the result from the loop's own
 * thread: that loop could not run the task.
 *
 *     cio_tfuture *f = cio_run_coroutine_threadsafe(loop, fetch, url);
 *     void *page;
 *     int err = cio_tfuture_result(f, 10.0, &page);
 *     if (err == CIO_ETIMEDOUT) cio_tfuture_cancel(f);
 *     cio_tfuture_release(f);
 */
CIO_API cio_tfuture *cio_run_coroutine_threadsafe(cio_loop *loop,
                                                  cio_task_fn fn, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* CIO_THREAD_H */
