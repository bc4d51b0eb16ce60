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

/* A task's result and a task's argument are `void *`; integers travel in
 * them without casts. They are longs: on the platforms cio runs on (LP64
 * and 32-bit POSIX systems) a long is exactly as wide as a pointer, so any
 * long survives the round trip.
 *
 *     static void *square(void *arg) {
 *         return cio_from_int(cio_int(arg) * cio_int(arg));
 *     }
 *     ... cio_create_task(square, cio_from_int(7)) ...
 *     printf("%ld\n", cio_result_int(task));  // 49
 */
static inline long cio_int(const void *p) {
    return (long)(intptr_t)p;
}
static inline void *cio_from_int(long n) {
    return (void *)(intptr_t)n; /* NOLINT(performance-no-int-to-ptr) */
}
/* cio_int(cio_future_result(future)): 0 for NULL, pending or failed. */
static inline long cio_result_int(cio_future *future) {
    return cio_int(cio_future_result(future));
}

/* The name of a future's state, "PENDING", "RUNNING", "DONE" or
 * "CANCELLED" (asyncio's fut._state): cio_state_name(cio_future_state(f)).
 *
 *     printf("task '%s': %s\n", cio_task_get_name(t), cio_state_of(t));
 */
static inline const char *cio_state_of(const cio_future *future) {
    return cio_state_name(cio_future_state(future));
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

/* cio_raise_if with the context of the failure: for a negative err the
 * task fails with it, its message "CONTEXT: MESSAGE", CONTEXT formatted
 * from fmt, MESSAGE as cio_raise_if picks it (the thread's last error's if
 * it is err's, else cio_strerror(err)), as Go's fmt.Errorf("%s: %w") or a
 * note on a Python exception says where it happened. NULL for err >= 0
 * (nothing raised). A NULL fmt: MESSAGE alone.
 *
 *     if (err) return cio_raise_in(err, "service %s", s->name);
 */
CIO_API void *cio_raise_in(int err, const char *fmt, ...) CIO_PRINTF(2, 3);

/* CIO_TRY with a context: if `expr` is negative, return from the task with
 * cio_raise_in(status, fmt, ...): "ipify: connection refused".
 *
 *     CIO_TRY_IN(cio_http_get_json(NULL, url, &json), "%s", s->name);
 */
#define CIO_TRY_IN(expr, ...)                                                  \
    do {                                                                       \
        int cio_try_rc_ = (expr);                                              \
        if (cio_try_rc_ < 0)                                                   \
            return cio_raise_in(cio_try_rc_, __VA_ARGS__);                     \
    } while (0)

/* The end of a task whose result is a formatted string, Python's `return
 * f'...'`, in storage that outlives the task (a buffer of the caller's or
 * of the element the task works on): formats into buf[0..size) and returns
 * buf. If the text (with its terminating NUL) does not fit, or fmt is
 * NULL, buf is NULL or size 0, nothing is truncated silently: the task
 * fails (cio_raise) with CIO_EINVAL and a message saying how many bytes
 * were needed. cio_return_format takes an array and its sizeof (gcc and
 * clang reject a pointer there at compile time); cio_return_format_n takes
 * a pointer and a size.
 *
 *     static char line[128];
 *     return cio_return_format(line, "%s took %.2f s", name, secs);
 */
CIO_API void *cio_return_format_n(char *buf, size_t size, const char *fmt, ...)
    CIO_PRINTF(3, 4);
#if defined(__GNUC__) || defined(__clang__)
#define CIO__ARRAY_SIZE(a)                                                     \
    (sizeof(a) *                                                               \
     sizeof(                                                                   \
         char[__builtin_types_compatible_p(__typeof__(a), __typeof__(&(a)[0])) \
                  ? -1                                                         \
                  : 1]))
#else
#define CIO__ARRAY_SIZE(a) sizeof(a)
#endif
#define cio_return_format(buf, ...)                                            \
    cio_return_format_n((buf), CIO__ARRAY_SIZE(buf), __VA_ARGS__)

/* cio_await, with the failure's text: if the status is negative, it is
 * recorded as the thread's last error with the awaited future's message
 * (cio_future_error_message; cio_strerror if it has none or was not done),
 * so that CIO_TRY and cio_raise_if pass the failure on with its text, as an
 * exception propagates out of `result = await future`. The same status and
 * *result as cio_await.
 *
 *     char *line;
 *     CIO_TRY(cio_await_result(task, (void **)&line));  // "ipify: ..."
 */
#define cio_await_result(future, result)                                       \
    cio_await_result_at((future), (result), __FILE__, __LINE__)
CIO_API int cio_await_result_at(cio_future *future, void **result,
                                const char *file, int line);

/* The symbolic name of an error code, as libuv's uv_err_name:
 * cio_err_name(CIO_ECANCELED) is "CIO_ECANCELED". cio's own codes and the
 * errno codes core.h names (CIO_EINVAL...) get their CIO_ name, any other
 * negated errno value its errno name ("ECONNRESET"), 0 "0", anything
 * else "UNKNOWN". Never NULL; the string is static. */
CIO_API const char *cio_err_name(int code);

/* The time of the running loop (else of this thread's current loop; 0
 * without either): asyncio's loop.time(), monotonic seconds (virtual under
 * virtual_time). */
CIO_API double cio_time(void);

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

/* The older style's main, `loop.run_until_complete(main())` in a program
 * whose uncaught exception is printed: cio_loop_run_until_complete(loop,
 * fn, arg, NULL), then, if fn failed, "PROGRAM: MESSAGE (CIO_ENAME)" on
 * stderr as cio_main prints it. Returns the exit status, 0 or 1. The loop
 * is the caller's and stays open: close it after (tasks still pending are
 * reported then, as in asyncio). A NULL loop is reported with the thread's
 * last error, what made cio_loop_new fail (CIO_EINVAL "NULL loop" when
 * none is recorded), so the result of cio_loop_new can be passed unchecked.
 *
 *     cio_loop *ioloop = cio_loop_new(NULL);
 *     int status = cio_loop_main(ioloop, amain, NULL);
 *     return cio_loop_close(ioloop) < 0 || status;  // cio_close(NULL): error
 */
CIO_API int cio_loop_main(cio_loop *loop, cio_task_fn fn, void *arg);

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

/* CIO_MAIN with loop options (cio_main_ex), given as the braces of a
 * cio_loop_options literal: the options asyncio.run() takes as arguments.
 *
 *     CIO_MAIN_EX(amain, {.virtual_time = true})   // sleeps take no time
 */
#define CIO_MAIN_EX(fn, ...)                                                   \
    int main(int argc, char **argv) {                                          \
        (void)argc;                                                            \
        return cio_main_ex((fn), argv, &(cio_loop_options)__VA_ARGS__);        \
    }

/* main() and the main task in one: the block that follows is the body of
 * a task function whose parameter is named `arg` (the program's argv), run
 * by cio_main. asyncio.run(main()) with `async def main(): ...`.
 *
 *     CIO_ASYNC_MAIN(argv) {
 *         printf("hello, %s\n", ((char **)argv)[1]);
 *         return NULL;
 *     }
 */
/* (arg names a parameter: it cannot be parenthesized) */
/* NOLINTBEGIN(bugprone-macro-parentheses) */
#define CIO_ASYNC_MAIN(arg)                                                    \
    static void *cio_async_main_(void *arg);                                   \
    CIO_MAIN(cio_async_main_)                                                  \
    static void *cio_async_main_(void *arg)
/* NOLINTEND(bugprone-macro-parentheses) */

/* A program whose main coroutine only gathers coroutines,
 * `asyncio.run(main())` with `async def main(): await asyncio.gather(f(),
 * g())`: the whole of main() in one line.
 *
 *     CIO_MAIN_ALL({foo, NULL}, {bar, NULL})
 */
#define CIO_MAIN_ALL(...)                                                      \
    static void *cio_main_all_(void *arg) {                                    \
        (void)arg;                                                             \
        return cio_raise_if(cio_gather_all(NULL, __VA_ARGS__));                \
    }                                                                          \
    CIO_MAIN(cio_main_all_)

/* asyncio.create_task(fn(arg), name=NAME): cio_create_task with a name. */
#define cio_create_named_task(tname, fn, arg)                                  \
    cio_create_task_at(NULL, (fn), (arg),                                      \
                       &(cio_task_options){.name = (tname)}, __FILE__,         \
                       __LINE__)

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

/* Create one task per call into tasks[0..n) (new references, released
 * with cio_release_all), all or none: if creating one fails, those made are
 * cancelled, awaited when in a task (else left to finish cancelled), and
 * released, tasks[] is all NULL, and the error is returned with its
 * message recorded (cio_raise_if passes it on). 0 on success; CIO_EINVAL
 * for NULL arrays (n > 0) or a NULL fn. May be called outside a task (the
 * tasks then go to the thread's current loop).
 *
 *     cio_future *t[2];
 *     CIO_TRY(cio_create_all(t, {fetch, "a.example"}, {fetch, "b.example"}));
 */
#define cio_create_tasks(tasks, calls, n)                                      \
    cio_create_tasks_at((tasks), (calls), (n), __FILE__, __LINE__)
CIO_API int cio_create_tasks_at(cio_future **tasks, const cio_call *calls,
                                size_t n, const char *file, int line);
#define cio_create_all(tasks, ...)                                             \
    cio_create_tasks_at((tasks), (const cio_call[]){__VA_ARGS__},              \
                        sizeof((const cio_call[]){__VA_ARGS__}) /              \
                            sizeof(cio_call),                                  \
                        __FILE__, __LINE__)

/* [asyncio.create_task(fn(x)) for x in array]: cio_create_tasks of fn
 * over the n elements of an array, each task's argument a pointer to its
 * element (&array[i]), with the same rules (all or none; new references
 * into tasks[0..n)). CIO_EINVAL for a NULL fn, or a NULL array or tasks
 * with n > 0.
 *
 *     static service SERVICES[2] = {...};
 *     cio_future *t[2];
 *     CIO_TRY(cio_create_each(t, fetch_ip, SERVICES, 2));
 */
#define cio_create_each(tasks, fn, array, n)                                   \
    cio_create_each_at((tasks), (fn), (array), sizeof *(array), (n), __FILE__, \
                       __LINE__)
CIO_API int cio_create_each_at(cio_future **tasks, cio_task_fn fn, void *array,
                               size_t size, size_t n, const char *file,
                               int line);

/* [asyncio.create_task(fn(i)) for i in range(start, stop)]: cio_create_tasks
 * of fn over the integers start..stop-1 into tasks[0..stop-start), each
 * task's argument cio_from_int(i), with the same rules (all or none). An
 * empty range makes nothing and returns 0. CIO_EINVAL for a NULL fn, or
 * NULL tasks with a range that is not empty.
 *
 *     cio_future *t[3];
 *     CIO_TRY(cio_create_range(t, fetch_async, 1, 4));   // pids 1, 2, 3
 */
#define cio_create_range(tasks, fn, start, stop)                               \
    cio_create_range_at((tasks), (fn), (start), (stop), __FILE__, __LINE__)
CIO_API int cio_create_range_at(cio_future **tasks, cio_task_fn fn, long start,
                                long stop, const char *file, int line);

/* The end of a block that made tasks: cio_cancel_all (cancel those not
 * done, wait until all are done), then cio_release_all, so nothing is left
 * running or held, as the end of a task group. The references are released
 * whatever the status; returns cio_cancel_all's (0, or CIO_ECANCELED if the
 * calling task was cancelled meanwhile, CIO_ENOTASK, CIO_EWRONGLOOP,
 * CIO_ENOMEM). Read the results before: the tasks may be freed here. On
 * success the thread's last error is left as it was, so a failure recorded
 * just before (cio_await_result) still passes on through cio_raise_if.
 *
 *     long n = cio_wait(t, 3, CIO_FIRST_COMPLETED, CIO_NO_TIMEOUT);
 *     if (n > 0) printf("%s\n", (char *)cio_future_result(t[0]));
 *     int err = cio_cancel_release_all(t, 3);   // the losers, and t[0]
 */
#define cio_cancel_release_all(futures, n)                                     \
    cio_cancel_release_all_at((futures), (n), __FILE__, __LINE__)
CIO_API int cio_cancel_release_all_at(cio_future *const *futures, size_t n,
                                      const char *file, int line);

/* asyncio.gather(*[fn(i) for i in range(start, stop)]): cio_gather_calls
 * of fn over the integers start..stop-1, each task's argument
 * cio_from_int(i), with the same rules. An empty range returns 0.
 * CIO_EINVAL for a NULL fn.
 *
 *     int err = cio_gather_range(worker, 0, nworkers, NULL);
 */
#define cio_gather_range(fn, start, stop, results)                             \
    cio_gather_range_at((fn), (start), (stop), (results), __FILE__, __LINE__)
CIO_API int cio_gather_range_at(cio_task_fn fn, long start, long stop,
                                void **results, const char *file, int line);

/* ------------------------------------------------------------------------ */
/* Races and results as they come                                           */
/* ------------------------------------------------------------------------ */

/* The race: `done, pending = await asyncio.wait(futures,
 * return_when=FIRST_COMPLETED)` then `done.pop().result()`. Waits until
 * one of futures[0..n) is done (cio_wait with CIO_FIRST_COMPLETED, no
 * timeout: the array is partitioned, the winner first, in futures[0]),
 * then returns the winner's status and stores its result in *result
 * (result may be NULL), as cio_await_result: a failed winner's code, with
 * its message recorded for cio_raise_if. Those that finished in the same
 * pass lost the race: their outcome counts as seen (a failure of theirs is
 * not reported as never retrieved). Nothing is cancelled: the losers still
 * pending are futures[1..]; cancel them (cio_cancel_release_all) or leave
 * them to cio_run / cio_main, as asyncio.run would. The references stay
 * the caller's. Errors of cio_wait (CIO_EINVAL for n == 0 or a NULL entry,
 * CIO_ECANCELED if the calling task is cancelled, CIO_ENOTASK...), with a
 * message; *result is then NULL. Put a timeout around it with cio_timeout.
 *
 *     cio_future *t[2];
 *     CIO_TRY(cio_create_each(t, fetch_ip, SERVICES, 2));
 *     int err = cio_wait_first(t, 2, NULL);
 *     if (!err) puts(cio_future_result(t[0]));
 *     cio_cancel_release_all(t, 2);              // the loser
 *     return cio_raise_if(err);
 */
#define cio_wait_first(futures, n, result)                                     \
    cio_wait_first_at((futures), (n), (result), __FILE__, __LINE__)
CIO_API int cio_wait_first_at(cio_future **futures, size_t n, void **result,
                              const char *file, int line);

/* The whole race of the notebook in one call:
 *
 *     futures = [fn(x) for x in array]
 *     done, pending = await asyncio.wait(futures, return_when=FIRST_COMPLETED)
 *     result = done.pop().result()
 *
 * Creates one task per element of array[0..n) as cio_create_each does
 * (each task's argument &array[i]; all or none), waits for the first to
 * finish and returns its status with its result in *result (result may be
 * NULL), as cio_wait_first: a failed winner's code with its message
 * recorded for cio_raise_if. The references are dropped on return: the
 * losers still pending run on, held by the loop, as the notebook's
 * `pending` is dropped; cio_run / cio_main cancel them when main returns
 * (as asyncio.run does), and a loop closed on them reports them. A loser's
 * failure after the call is reported as never retrieved, as asyncio
 * reports it. So the result must not be memory its task frees; a pointer
 * into array[i] or static storage is fine. If the calling task is
 * cancelled while waiting, the tasks are cancelled too (nobody else could
 * take their outcome) and CIO_ECANCELED is returned. CIO_EINVAL for n == 0,
 * a NULL fn or array; CIO_ENOTASK outside a task (nothing is created);
 * CIO_ENOMEM. To keep the losers, use cio_create_each and cio_wait_first.
 *
 *     char *line;
 *     CIO_TRY(cio_first_completed(fetch_ip, SERVICES, 2, &line));
 *     puts(line);
 */
#define cio_first_completed(fn, array, n, result)                              \
    cio_first_completed_at((fn), (array), sizeof *(array), (n),                \
                           (void **)(result), __FILE__, __LINE__)
CIO_API int cio_first_completed_at(cio_task_fn fn, void *array, size_t size,
                                   size_t n, void **result, const char *file,
                                   int line);

/* `for i, f in enumerate(asyncio.as_completed(fs)): result = await f`: the
 * next future of the iterator (cio_as_completed_next), and its outcome as
 * cio_await_result gives it (the future is done: no wait). Returns the
 * position of that future in the order of completion (1, 2, ...) with its
 * result in *result; 0 once every future has been yielded; a negative code
 * for a future that failed (its own code, with its message recorded for
 * cio_raise_if), or for the iterator's errors (CIO_ETIMEDOUT,
 * CIO_ECANCELED...; see cio_as_completed_next). *result is NULL unless a
 * position is returned. */
#define cio_as_completed_next_result(it, result)                               \
    cio_as_completed_next_result_at((it), (result), __FILE__, __LINE__)
CIO_API int cio_as_completed_next_result_at(cio_as_completed_iter *it,
                                            void **result, const char *file,
                                            int line);

#if defined(__GNUC__) || defined(__clang__)
/* The loop form of it, for gcc and clang, as cio_foreach_completed: the
 * body runs with `result` (a pointer variable of any object type: it
 * receives the void * result) set to each result as the futures finish,
 * and `pos` (an int) set to its position, 1, 2, ...; the loop stops at the
 * first future that failed. After the loop `pos` is 0 when every future
 * succeeded, else the failure's code (with its message recorded:
 * cio_raise_if(pos) passes it on), or the iterator's (CIO_ETIMEDOUT,
 * CIO_ECANCELED...); 1 or more after a `break`. The iterator is freed however
 * the loop is left. The futures are the caller's: after a failure those
 * still running go on (cio_cancel_release_all stops them).
 *
 *     char *line;
 *     int i;
 *     cio_foreach_result(line, tasks, 3, CIO_NO_TIMEOUT, i)
 *         printf("%d: %s\n", i, line);
 *     cio_cancel_release_all(tasks, 3);
 *     return cio_raise_if(i);
 */
#define cio_foreach_result(result, futures, n, timeout, pos)                   \
    CIO__FOREACH_RESULT(result, cio_as_completed((futures), (n), (timeout)),   \
                        pos)
#define CIO__FOREACH_RESULT(result, iterator, pos)                             \
    for (cio_as_completed_iter * CIO__AC_IT                                    \
             __attribute__((cleanup(cio__as_completed_cleanup))) = (iterator); \
         ((pos) = CIO__AC_IT ? cio_as_completed_next_result(                   \
                                   CIO__AC_IT, (void **)&(result))             \
                             : cio_last_error()) > 0;)
#endif

/* asyncio.as_completed([fn(i) for i in range(start, stop)]): as
 * asyncio.as_completed wraps the coroutines it is given in tasks, this
 * creates the tasks of fn over the integers start..stop-1 (each task's
 * argument cio_from_int(i), all or none, as cio_create_range) and returns
 * an iterator over them (cio_as_completed, with its timeout) that holds
 * the only references the caller could have had. Freeing the iterator
 * (cio_as_completed_free) drops them: the tasks not yet yielded run on,
 * held by the loop, as asyncio leaves them when an `async for` over
 * as_completed is left; cio_run / cio_main cancel them when main returns,
 * and a failure of theirs that nobody takes is reported as never
 * retrieved. An empty range gives an iterator that yields nothing. NULL on
 * error, with cio_last_error(): CIO_ENOTASK outside a task (nothing is
 * created), CIO_EINVAL for a NULL fn or a bad timeout, CIO_ENOMEM; the
 * tasks made are then cancelled and dropped. */
#define cio_as_completed_range(fn, start, stop, timeout)                       \
    cio_as_completed_range_at((fn), (start), (stop), (timeout), __FILE__,      \
                              __LINE__)
CIO_API cio_as_completed_iter *
cio_as_completed_range_at(cio_task_fn fn, long start, long stop, double timeout,
                          const char *file, int line);

#if defined(__GNUC__) || defined(__clang__)
/* cio_foreach_result over cio_as_completed_range(fn, start, stop,
 * CIO_NO_TIMEOUT): the notebook's
 *
 *     futures = [fetch_async(i) for i in range(1, MAX_CLIENTS + 1)]
 *     for i, future in enumerate(asyncio.as_completed(futures)):
 *         result = await future
 *
 * with `result` and `pos` as in cio_foreach_result (pos: 0 after the loop
 * when every task succeeded, else the first failure's code with its
 * message, or the iterator's error). However the loop is left, the
 * iterator is freed and the tasks not yet yielded are the loop's (see
 * cio_as_completed_range); put a timeout around it with cio_timeout.
 *
 *     char *line;
 *     int i;
 *     cio_foreach_range_result(line, fetch_async, 1, 4, i)
 *         printf("%d: %s\n", i, line);
 *     return cio_raise_if(i);
 */
#define cio_foreach_range_result(result, fn, start, stop, pos)                 \
    CIO__FOREACH_RESULT(                                                       \
        result, cio_as_completed_range((fn), (start), (stop), CIO_NO_TIMEOUT), \
        pos)
#endif

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
 * for those that return nothing). NULL does nothing: 0, or CIO_EINVAL for
 * a loop or an executor.
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
