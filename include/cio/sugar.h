/* cio/sugar.h - the short forms: a program as short as its Python.
 *
 *     #include <cio.h>
 *
 *     static void *foo(void *arg) {
 *         puts("Running in foo");
 *         CIO_TRY(cio_sleep(0));             // a failure ends the task
 *         puts("Explicit context switch to foo again");
 *         return NULL;
 *     }
 *
 *     static void *amain(void *arg) {        // asyncio.gather(foo(), bar())
 *         return cio_raise_if(cio_gather_all(NULL, {foo}, {bar}));
 *     }
 *
 *     CIO_MAIN(amain)                        // asyncio.run(amain())
 *
 * Nothing here is new machinery: each form stands for a few lines of the
 * calls of core.h, combine.h, sync.h and thread.h, with every error still
 * checked. This header is included by cio.h.
 */
#ifndef CIO_SUGAR_H
#define CIO_SUGAR_H

#include "cio/combine.h"
#include "cio/core.h"
#include "cio/sync.h"
#include "cio/thread.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Integers as results                                                      */
/* ------------------------------------------------------------------------ */

/* A task's result and a task's argument are `void *`; small integers
 * travel in them without casts:
 *
 *     static void *square(void *arg) {
 *         return cio_from_int(cio_int(arg) * cio_int(arg));
 *     }
 *     ... cio_create_task(square, cio_from_int(7)) ...
 *     printf("%ld\n", (long)cio_result_int(task));  // 49
 */
static inline intptr_t cio_int(const void *p) {
    return (intptr_t)p;
}
static inline void *cio_from_int(intptr_t n) {
    return (void *)n;
}
/* cio_int(cio_future_result(future)): 0 for NULL, pending or failed. */
static inline intptr_t cio_result_int(cio_future *future) {
    return (intptr_t)cio_future_result(future);
}

/* ------------------------------------------------------------------------ */
/* Passing errors on                                                        */
/* ------------------------------------------------------------------------ */

/* Make the calling task fail with the thread's last error (cio_last_error()
 * and its message), as a bare `raise` re-raises in Python: what a call
 * that returned NULL left.
 *
 *     cio_queue *q = cio_queue_new(10);
 *     if (!q)
 *         return cio_reraise();   // fails with "cio_queue_new: ..."
 *
 * With no error recorded on the thread the task fails with
 * CIO_EINVALIDSTATE ("cio_reraise: no error to re-raise"). */
CIO_API void *cio_reraise(void);

/* The end of a task that passes a status on: NULL (success) for err >= 0;
 * for a negative err the task fails with it, with the message of the
 * thread's last error if that is the same code (so a message recorded by
 * cio_gather_calls, say, travels on), else cio_strerror(err).
 *
 *     return cio_raise_if(cio_gather_all(NULL, {fetch, "a"}, {fetch, "b"}));
 */
CIO_API void *cio_raise_if(int err);

/* Evaluate `expr` (a call returning an int status) in a task function; if
 * it is negative, return from the task with it (cio_raise_if), as an
 * exception would leave a coroutine. Only for functions returning void *.
 *
 *     CIO_TRY(cio_sleep(1));                 // await asyncio.sleep(1)
 *     CIO_TRY(cio_queue_put(q, item));       // await q.put(item)
 */
#define CIO_TRY(expr)                                                          \
    do {                                                                       \
        int cio_try_rc_ = (expr);                                              \
        if (cio_try_rc_ < 0)                                                   \
            return cio_raise_if(cio_try_rc_);                                  \
    } while (0)

/* The symbolic name of an error code, as libuv's uv_err_name:
 * cio_err_name(CIO_ECANCELED) is "CIO_ECANCELED". cio's own codes and the
 * errno codes core.h names (CIO_EINVAL...) get their CIO_ name, any other
 * negated errno value its errno name ("ECONNRESET"), 0 "0", anything
 * else "UNKNOWN". Never NULL; the string is static. */
CIO_API const char *cio_err_name(int code);

/* ------------------------------------------------------------------------ */
/* main                                                                     */
/* ------------------------------------------------------------------------ */

/* asyncio.run(main()) as a process: cio_run(fn, arg), then, if fn failed,
 * "PROGRAM: MESSAGE (CIO_ENAME)" on stderr. Returns the exit status: 0 on
 * success, 1 on failure (cancellation included). cio_main_ex takes loop
 * options (NULL: defaults). */
CIO_API int cio_main(cio_task_fn fn, void *arg);
CIO_API int cio_main_ex(cio_task_fn fn, void *arg,
                        const cio_loop_options *opts);

/* The whole of main(): runs fn as cio_main does, with the program's
 * argv (NULL-terminated, argv[0] the program) as its argument.
 *
 *     static void *amain(void *arg) {
 *         char **argv = arg;
 *         ...
 *     }
 *     CIO_MAIN(amain)
 */
#define CIO_MAIN(fn)                                                           \
    int main(int argc, char **argv) {                                          \
        (void)argc;                                                            \
        return cio_main((fn), argv);                                           \
    }

/* ------------------------------------------------------------------------ */
/* Many tasks in one call                                                   */
/* ------------------------------------------------------------------------ */

/* A task to start: fn(arg). */
typedef struct cio_call {
    cio_task_fn fn;
    void *arg;
} cio_call;

/* asyncio.gather(f(a), g(b), ...) of coroutines: start one task per call
 * (in order, so they start in that order), wait for all of them, store
 * their results in input order into results[0..n) (if results is not NULL)
 * and return 0. The tasks are the call's own, so nothing is left behind:
 * if one fails (or creating one fails), the others are cancelled and
 * awaited, as a task group does, and the first failure's code is returned
 * (asyncio.gather's exception) with the failed task's message recorded as
 * the thread's last error (see cio_raise_if);
 * results[] is then all NULL. If the calling task is cancelled, the tasks
 * are cancelled and awaited, and CIO_ECANCELED returned. CIO_EINVAL for a
 * NULL call array (with n > 0) or a NULL fn; CIO_ENOTASK outside a task.
 *
 *     cio_call calls[9];
 *     for (int i = 0; i < 9; i++)
 *         calls[i] = (cio_call){work, cio_from_int(i)};
 *     int err = cio_gather_calls(calls, 9, NULL);
 */
#define cio_gather_calls(calls, n, results)                                    \
    cio_gather_calls_at((calls), (n), (results), __FILE__, __LINE__)
CIO_API int cio_gather_calls_at(const cio_call *calls, size_t n, void **results,
                                const char *file, int line);

/* The same with the calls written in place, each {fn, arg} (both given:
 * -Wextra warns of a missing initializer for {fn} alone):
 *
 *     void *r[2];
 *     int err = cio_gather_all(r, {fetch, "a.example"}, {fetch, "b.example"});
 */
#define cio_gather_all(results, ...)                                           \
    cio_gather_calls_at((const cio_call[]){__VA_ARGS__},                       \
                        sizeof((const cio_call[]){__VA_ARGS__}) /              \
                            sizeof(cio_call),                                  \
                        (results), __FILE__, __LINE__)

/* ------------------------------------------------------------------------ */
/* One verb to give things back                                             */
/* ------------------------------------------------------------------------ */

static inline int cio__close_future(cio_future *f) {
    cio_release(f);
    return 0;
}
static inline int cio__close_handle(cio_handle *h) {
    cio_handle_release(h);
    return 0;
}
static inline int cio__close_tfuture(cio_tfuture *f) {
    cio_tfuture_release(f);
    return 0;
}
static inline int cio__close_tcompleted(cio_tcompleted *it) {
    cio_tcompleted_free(it);
    return 0;
}

#ifndef __cplusplus
/* Give back any cio object: drop the reference to a future or task
 * (cio_release), a handle (cio_handle_release), a thread-side future
 * (cio_tfuture_release); close a loop (cio_loop_close); free an executor
 * (cio_executor_free: shuts it down and waits), a task group
 * (cio_taskgroup_free), an as_completed iterator of either kind; close a
 * lock, event, condition, semaphore, barrier or queue (cio_X_close: tasks
 * waiting on it get CIO_ECLOSED). Returns what the typed call returns (0
 * for those that return nothing). NULL is fine for all but the loop.
 *
 *     cio_close(task);  cio_close(&lock);  cio_close(queue);
 *
 * A C11 _Generic selection: the argument must have one of these pointer
 * types exactly (a void * does not select). */
/* clang-format off */
#define cio_close(x)                                                           \
    _Generic((x),                                                              \
        cio_future *: cio__close_future,                                       \
        cio_handle *: cio__close_handle,                                       \
        cio_tfuture *: cio__close_tfuture,                                     \
        cio_tcompleted *: cio__close_tcompleted,                               \
        cio_loop *: cio_loop_close,                                            \
        cio_executor *: cio_executor_free,                                     \
        cio_taskgroup *: cio_taskgroup_free,                                   \
        cio_as_completed_iter *: cio_as_completed_free,                        \
        cio_lock *: cio_lock_close,                                            \
        cio_event *: cio_event_close,                                          \
        cio_condition *: cio_condition_close,                                  \
        cio_semaphore *: cio_semaphore_close,                                  \
        cio_barrier *: cio_barrier_close,                                      \
        cio_queue *: cio_queue_close)(x)
/* clang-format on */
#endif

#ifdef __cplusplus
}
#endif

#endif /* CIO_SUGAR_H */
