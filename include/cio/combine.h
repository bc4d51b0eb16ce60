/* cio/combine.h - combinators and structured concurrency: gather, wait,
 * as_completed, wait_for, timeout scopes, shield, task groups, cancel_all.
 *
 * These are asyncio's combinators with asyncio's semantics. Every call
 * here follows the ownership rule of core.h: calls that create (shield,
 * gather_future, as_completed, timeout, taskgroup_new) hand out a new
 * reference or an object to free; the others borrow the futures they are
 * given (and keep references of their own for as long as they watch them,
 * so releasing a future meanwhile is safe).
 *
 * COMMON RULES
 *
 *   Arrays. `futures` may be NULL only when n is 0. A NULL entry is
 *   CIO_EINVAL (cio_cancel_all skips NULL entries, as cio_release_all
 *   does); a future of another loop is CIO_EWRONGLOOP; the calling task
 *   itself in the array is CIO_EINVAL (it would wait for itself). All of
 *   this is checked before anything is done, so a refused call has no
 *   effect. The same future may appear twice, and may be watched by several
 *   combinators at once (two gathers of one future both get its outcome;
 *   cancelling one gather cancels it, and the other gather then fails with
 *   CIO_ECANCELED, as in asyncio).
 *
 *   Timeouts are seconds of the loop's clock (virtual time included).
 *   CIO_NO_TIMEOUT (+infinity) means none; 0 means "look once, after one
 *   pass of the loop"; a negative timeout (-infinity included) means the
 *   same as 0, "time out now", as in asyncio (`deadline - now` a little
 *   below 0 is ordinary code); a NaN timeout is CIO_EINVAL.
 *
 *   Suspending calls (cio_gather, cio_wait, cio_wait_for,
 *   cio_as_completed_next, cio_cancel_all, cio_taskgroup_wait) are macros
 *   that record the caller's __FILE__/__LINE__ for cio_dump_tasks(), like
 *   cio_await. They must run in a task (CIO_ENOTASK otherwise) and return
 *   CIO_ECANCELED when the calling task is cancelled while they wait; what
 *   happens to the futures they watch then is said call by call. None of
 *   them leaks anything when cancelled.
 *
 *   Closing the loop. A loop closed with a task still pending abandons the
 *   task (core.h: "destroyed but it is pending"); if the task is suspended
 *   in one of these calls, everything the call holds (its state, timers,
 *   references) is freed all the same. Timeout scopes, task groups and
 *   as_completed iterators belong to the task that made them, like the
 *   block of code they stand for: if the loop is closed while that task is
 *   pending, they are freed with it (do not end or free them afterwards).
 *   Futures the task itself holds are its own business: the loop cannot
 *   release references kept in the frame of a task that never runs again.
 */
#ifndef CIO_COMBINE_H
#define CIO_COMBINE_H

#include "cio/core.h"

#include <math.h>

#ifdef __cplusplus
extern "C" {
#endif

/* CIO_ETASKGROUP (defined in cio/core.h with all the codes): one or more
 * tasks of a task group failed (asyncio's ExceptionGroup); the failures are
 * listed by cio_taskgroup_errors(). */

/* No timeout. */
#define CIO_NO_TIMEOUT ((double)INFINITY)

/* ------------------------------------------------------------------------ */
/* gather                                                                   */
/* ------------------------------------------------------------------------ */

/* Flag of cio_gather_ex / cio_gather_future: wait for every future even if
 * some fail, and leave each future's own outcome to be read from it
 * (asyncio's return_exceptions=True). */
#define CIO_RETURN_ERRORS 1

/* asyncio.gather: wait until every future is done; on success store their
 * results in input order into results[0..n) when results is not NULL, and
 * return 0.
 *
 * Without CIO_RETURN_ERRORS, the first future to fail (or to be cancelled)
 * decides at once: cio_gather returns its code (CIO_ECANCELED for a
 * cancelled one) and every results[i] stays NULL; the other futures keep
 * running, as in asyncio (cancel them with cio_cancel_all if they are no
 * longer wanted). Their errors, should they fail later, are marked as
 * retrieved (no "never retrieved" report), as asyncio does.
 *
 * With CIO_RETURN_ERRORS, cio_gather waits for all and returns 0; a
 * failed future's results[i] is NULL, and cio_future_error(futures[i]) /
 * cio_future_error_message(futures[i]) say why.
 *
 * If the calling task is cancelled while gather waits (or has a
 * cancellation pending when it calls gather), every future not done is
 * cancelled at once, inside that cio_cancel (with the task's cancellation
 * message), as asyncio's gathering future does, and gather goes on waiting
 * as it would have (for the first failure, or for all with
 * CIO_RETURN_ERRORS), then returns CIO_ECANCELED; without the flag, a real
 * error of a future that fails while being cancelled wins over
 * CIO_ECANCELED, as in asyncio. Each cancellation of the task does this
 * again. If every future was already done, the task's cancellation is
 * delivered when the outcome wakes it: CIO_ECANCELED.
 *
 * n == 0 returns 0 at once. Errors: CIO_ENOTASK, CIO_EINVAL, CIO_EWRONGLOOP,
 * CIO_ENOMEM; see COMMON RULES.
 *
 *     cio_future *t[] = {cio_create_task(fetch, "a"),
 *                        cio_create_task(fetch, "b")};
 *     void *r[2];
 *     int err = cio_gather(t, 2, r); // r[0] from "a", r[1] from "b"
 *     cio_release_all(t, 2);
 */
#define cio_gather(futures, n, results)                                        \
    cio_gather_at((futures), (n), (results), 0, __FILE__, __LINE__)
#define cio_gather_ex(futures, n, results, flags)                              \
    cio_gather_at((futures), (n), (results), (flags), __FILE__, __LINE__)
CIO_API int cio_gather_at(cio_future *const *futures, size_t n, void **results,
                          int flags, const char *file, int line);

/* The same gather as a future of its own, to await later, cancel, give to
 * cio_wait or cio_wait_for. It is a task (named "gather") that holds
 * references to the futures; it finishes with result NULL when the gather
 * succeeds (read the results from the futures), or with the first failure's
 * code and message; with CIO_RETURN_ERRORS it succeeds once all are done.
 * Cancelling it cancels every future not done, and it finishes CANCELLED
 * once the gather is over, as asyncio's gather future does. n == 0 gives a
 * future that is already done. Can be called outside a task. New
 * reference; NULL on error (cio_last_error(): CIO_EINVAL, CIO_EWRONGLOOP,
 * CIO_ENOLOOP, CIO_ENOMEM).
 *
 *     cio_future *g = cio_gather_future(t, 2, 0);
 *     int err = cio_wait_for(g, 5.0, NULL); // CIO_ETIMEDOUT: t[] cancelled
 *     cio_release(g);
 */
#define cio_gather_future(futures, n, flags)                                   \
    cio_gather_future_at((futures), (n), (flags), __FILE__, __LINE__)
CIO_API cio_future *cio_gather_future_at(cio_future *const *futures, size_t n,
                                         int flags, const char *file, int line);

/* ------------------------------------------------------------------------ */
/* wait                                                                     */
/* ------------------------------------------------------------------------ */

typedef enum cio_return_when {
    CIO_ALL_COMPLETED,   /* when every future is done */
    CIO_FIRST_COMPLETED, /* when any future is done */
    CIO_FIRST_EXCEPTION  /* when any future fails (a cancelled one does not
                          * count, as in asyncio), else when all are done */
} cio_return_when;

/* asyncio.wait: wait until `when` is met or `timeout` seconds have passed,
 * then partition `futures` in place, the done ones first, and return how
 * many are done (0 after a timeout with nothing done). The done ones come
 * in the order they finished (as far as wait saw it; those that finished in
 * the same pass as the last one seen follow in input order), the pending
 * ones keep their input order. Nothing is cancelled, on timeout or
 * otherwise: cancel what you no longer want with cio_cancel_all.
 *
 * Returns the done count, or a negative error, in which case the array is
 * left as it was: CIO_EINVAL for n == 0 (asyncio's ValueError), a bad
 * `when` or timeout; CIO_ECANCELED if the calling task was cancelled
 * (the futures are not); CIO_ENOTASK, CIO_EWRONGLOOP, CIO_ENOMEM.
 *
 * Why a long: one return carries both the count and the error path, like
 * read(2); the core counts with long too (cio_all_tasks).
 *
 *     cio_future *f[2] = {cio_create_task(fetch, &a),
 *                         cio_create_task(fetch, &b)};
 *     long ndone = cio_wait(f, 2, CIO_FIRST_COMPLETED, CIO_NO_TIMEOUT);
 *     if (ndone > 0)
 *         printf("%s\n", (char *)cio_future_result(f[0])); // the winner
 *     if (ndone >= 0)
 *         cio_cancel_all(f + ndone, 2 - (size_t)ndone); // the losers
 *     cio_release_all(f, 2);
 */
#define cio_wait(futures, n, when, timeout)                                    \
    cio_wait_at((futures), (n), (when), (timeout), __FILE__, __LINE__)
CIO_API long cio_wait_at(cio_future **futures, size_t n, cio_return_when when,
                         double timeout, const char *file, int line);

/* ------------------------------------------------------------------------ */
/* as_completed                                                             */
/* ------------------------------------------------------------------------ */

typedef struct cio_as_completed_iter cio_as_completed_iter;

/* asyncio.as_completed: an iterator that yields the futures in the order
 * they finish. It holds a reference to each future (a future listed twice
 * is yielded once) and watches them from now on; the timeout, if any,
 * counts from now too. Can be called outside a task. NULL on error
 * (cio_last_error(): CIO_EINVAL, CIO_EWRONGLOOP, CIO_ENOLOOP, CIO_ENOMEM).
 * Free it with cio_as_completed_free, also (above all) when the iteration
 * is abandoned early: that is all it takes to leak nothing. */
CIO_API cio_as_completed_iter *cio_as_completed(cio_future *const *futures,
                                                size_t n, double timeout);

/* Wait for the next future to finish and store it in *out (borrowed: valid
 * while the iterator lives). Returns 1 with a future; 0 when every future
 * has been yielded; CIO_ETIMEDOUT once the timeout has passed (the futures
 * that finished before it are yielded first; from then on every call
 * returns CIO_ETIMEDOUT; nothing is cancelled); CIO_ECANCELED if the
 * calling task was cancelled (the iterator stays usable); CIO_EINVAL for
 * NULL, or while another task waits in next() (one consumer at a time);
 * CIO_ELOOPCLOSED once the futures' loop is closed; CIO_EWRONGLOOP from a
 * task of another loop; CIO_ENOTASK, CIO_ENOMEM. *out is NULL unless 1 is
 * returned.
 *
 *     cio_as_completed_iter *it = cio_as_completed(t, n, 10.0);
 *     cio_future *f;
 *     int rc;
 *     while ((rc = cio_as_completed_next(it, &f)) > 0)
 *         printf("%s\n", (char *)cio_future_result(f));
 *     cio_as_completed_free(it);      // rc: 0, or CIO_ETIMEDOUT...
 */
#define cio_as_completed_next(it, out)                                         \
    cio_as_completed_next_at((it), (out), __FILE__, __LINE__)
CIO_API int cio_as_completed_next_at(cio_as_completed_iter *it,
                                     cio_future **out, const char *file,
                                     int line);

/* Stop watching, cancel the timeout, release the references, and free the
 * iterator: 0 (also for NULL). The futures themselves are not cancelled.
 * While a task waits in next() the iterator is left alone and
 * CIO_EINVALIDSTATE returned (cancel that task, or let it have its future,
 * first). An iterator made in a task that the closing loop abandoned is
 * gone already (see COMMON RULES); one made outside a task is freed by its
 * maker, after the loop is closed too.
 *
 *     cio_as_completed_free(it);   // also after a break out of the loop
 */
CIO_API int cio_as_completed_free(cio_as_completed_iter *it);

#if defined(__GNUC__) || defined(__clang__)
/* The loop form, for gcc and clang: `f` (a cio_future *) takes each future
 * as it finishes; `err` (an int) is 0 after the last one, or the error that
 * ended the loop (CIO_ETIMEDOUT, CIO_ECANCELED, or the error of creating
 * the iterator; 1 after a `break`). The iterator is freed however the loop
 * is left, `break` and `return` included (it uses the cleanup attribute).
 *
 *     cio_future *f;
 *     int err;
 *     cio_foreach_completed(f, tasks, n, CIO_NO_TIMEOUT, err) {
 *         printf("%s\n", (char *)cio_future_result(f));
 *     }
 */
#define cio_foreach_completed(f, futures, n, timeout, err)                     \
    for (cio_as_completed_iter * CIO__AC_IT                                    \
             __attribute__((cleanup(cio__as_completed_cleanup))) =             \
             cio_as_completed((futures), (n), (timeout));                      \
         ((err) = CIO__AC_IT ? cio_as_completed_next(CIO__AC_IT, &(f))         \
                             : cio_last_error()) > 0;)
/* The iterator's name, one per line, so that nested loops do not shadow. */
#define CIO__AC_IT CIO__AC_CAT(cio__ac_it_, __LINE__)
#define CIO__AC_CAT(a, b) CIO__AC_CAT2(a, b)
#define CIO__AC_CAT2(a, b) a##b
static inline void cio__as_completed_cleanup(cio_as_completed_iter **it) {
    (void)cio_as_completed_free(*it); /* nobody else waits in this one */
}
#endif

/* ------------------------------------------------------------------------ */
/* wait_for                                                                 */
/* ------------------------------------------------------------------------ */

/* asyncio.wait_for: await `future` for at most `timeout` seconds. On time:
 * its status and *result, as cio_await. At the timeout the future is
 * cancelled, and wait_for returns only once it has really finished:
 * CIO_ETIMEDOUT if it ended cancelled; its result (status 0) or its own
 * error if it finished otherwise despite the cancellation (as asyncio).
 * With timeout 0 a future not done yet is cancelled at once (a task that
 * has not started never runs). If the calling task is cancelled, the future
 * is cancelled too and CIO_ECANCELED is returned (as cio_await).
 * Errors: CIO_ENOTASK, CIO_EINVAL (NULL, the task itself, bad timeout),
 * CIO_EWRONGLOOP, CIO_ENOMEM.
 *
 *     void *page;
 *     int err = cio_wait_for(fetch_task, 2.0, &page);
 *     if (err == CIO_ETIMEDOUT) puts("too slow");
 */
#define cio_wait_for(future, timeout, result)                                  \
    cio_wait_for_at((future), (timeout), (result), __FILE__, __LINE__)
CIO_API int cio_wait_for_at(cio_future *future, double timeout, void **result,
                            const char *file, int line);

/* ------------------------------------------------------------------------ */
/* Timeout scopes                                                           */
/* ------------------------------------------------------------------------ */

typedef struct cio_timeout_scope cio_timeout_scope;

/* asyncio.timeout(delay) / asyncio.timeout_at(when): a deadline for the
 * block of code of the calling task between this call and
 * cio_timeout_end(). When the deadline passes, the task is cancelled: the
 * block's current (or next) await returns CIO_ECANCELED; leave the block
 * with that status and cio_timeout_end turns it into CIO_ETIMEDOUT.
 * delay CIO_NO_TIMEOUT (or when CIO_NO_TIMEOUT) sets no deadline yet (see
 * reschedule); a deadline already past expires on the loop's next pass.
 * Scopes nest as in asyncio: the earliest deadline fires first, an inner
 * scope only converts its own expiry, and an outer expiry (or a
 * cancellation from outside) passes through an inner scope's end as
 * CIO_ECANCELED. Returns a scope that cio_timeout_end frees; NULL on error
 * (cio_last_error(): CIO_ENOTASK, CIO_EINVAL for a NaN delay or when,
 * CIO_ENOMEM). A negative delay is a deadline already past.
 *
 * Every scope must be ended, on every way out of the block: a forgotten
 * end leaves the deadline armed (the task is cancelled later, somewhere
 * else) and leaks the scope.
 *
 *     cio_timeout_scope *ts = cio_timeout(2.0);   // async with timeout(2.0):
 *     if (!ts) return cio_raise(cio_last_error(), NULL);
 *     int err = cio_await(slow, NULL);            //     await slow
 *     err = cio_timeout_end(ts, err);             // CIO_ETIMEDOUT if too late
 *
 *     double deadline = cio_loop_time(cio_get_running_loop()) + 10;
 *     ts = cio_timeout_at(deadline);              // async with timeout_at(..):
 */
CIO_API cio_timeout_scope *cio_timeout(double delay);
CIO_API cio_timeout_scope *cio_timeout_at(double when);

/* Move the deadline to loop time `when` (cio_loop_time(); CIO_NO_TIMEOUT
 * removes it; a time already past expires on the next pass), as
 * Timeout.reschedule(). Returns 0; CIO_EINVAL for NULL or NaN;
 * CIO_EINVALIDSTATE once the scope has expired; CIO_ENOMEM (the scope then
 * has no deadline); CIO_EWRONGLOOP from a thread other than the loop's (the
 * scope is left as it was).
 *
 *     cio_timeout_reschedule(ts, cio_timeout_when(ts) + 5);   // 5 s more
 */
CIO_API int cio_timeout_reschedule(cio_timeout_scope *scope, double when);

/* The deadline in loop time (CIO_NO_TIMEOUT if none; NaN for NULL), and
 * whether it has passed (the task has been cancelled for it).
 *
 *     if (cio_timeout_expired(ts)) puts("out of time: cleaning up");
 */
CIO_API double cio_timeout_when(const cio_timeout_scope *scope);
CIO_API bool cio_timeout_expired(const cio_timeout_scope *scope);

/* End the scope, from the task that began it, with `err`, the status the
 * block ended with. If the scope expired, its cancellation request is taken
 * back (cio_task_uncancel) and, if no request is left beyond those the task
 * had when the scope began and err is CIO_ECANCELED, CIO_ETIMEDOUT is
 * returned; otherwise err is returned unchanged (0 if the block finished
 * despite the expiry; CIO_ECANCELED for a cancellation from elsewhere). The
 * scope is freed. CIO_EINVAL for NULL or from another task (the scope is
 * then left alone).
 *
 *     err = cio_timeout_end(ts, err);
 */
CIO_API int cio_timeout_end(cio_timeout_scope *scope, int err);

/* ------------------------------------------------------------------------ */
/* shield                                                                   */
/* ------------------------------------------------------------------------ */

/* asyncio.shield: a new future that finishes as `future` does, but whose
 * cancellation does not reach `future`: a task awaiting the shield can be
 * cancelled (its await returns CIO_ECANCELED) while the work goes on.
 * Cancelling `future` itself cancels the shield. For a future already done
 * it returns `future` itself (a new reference), as asyncio does. The shield
 * holds a reference to `future` until one of the two finishes or the shield
 * is released, so `future` may be released at once; releasing a shield that
 * is still pending unties it from `future` (which goes on). New reference;
 * NULL on error (cio_last_error(): CIO_EINVAL, CIO_ELOOPCLOSED,
 * CIO_EWRONGLOOP, CIO_ENOMEM).
 *
 *     cio_future *s = cio_shield(save_task);
 *     int err = cio_await(s, NULL);   // CIO_ECANCELED: we were cancelled,
 *     cio_release(s);                 // but save_task goes on
 */
CIO_API cio_future *cio_shield(cio_future *future);

/* ------------------------------------------------------------------------ */
/* Task groups                                                              */
/* ------------------------------------------------------------------------ */

typedef struct cio_taskgroup cio_taskgroup;

/* One failure a task group reports: a task of the group that failed, or
 * the error the group's body ended with (task NULL). The message is valid
 * while the group lives. */
typedef struct cio_taskgroup_error {
    int code;
    const char *message;
    cio_future *task; /* borrowed from the group */
} cio_taskgroup_error;

/* asyncio.TaskGroup, entered: a group of tasks owned by the calling task
 * (the parent). Spawn tasks into it, then cio_taskgroup_wait() (leaving
 * the `async with` block) waits for them all. The first task to fail
 * cancels the others and the parent (so that the body's current await
 * returns CIO_ECANCELED and the body goes on to cio_taskgroup_wait); the
 * group reports every failure. NULL on error (cio_last_error():
 * CIO_ENOTASK, CIO_ENOMEM). Free it with cio_taskgroup_free.
 *
 *     cio_taskgroup *tg = cio_taskgroup_new();
 *     if (!tg) return cio_raise(cio_last_error(), NULL);
 *     cio_taskgroup_spawn(tg, fetch, "a", NULL);
 *     cio_taskgroup_spawn(tg, fetch, "b", NULL);
 *     int err = cio_taskgroup_wait(tg, 0);     // 0 or CIO_ETASKGROUP
 *     const cio_taskgroup_error *e;
 *     size_t nerr = cio_taskgroup_errors(tg, &e);
 *     for (size_t i = 0; i < nerr; i++) fprintf(stderr, "%s\n", e[i].message);
 *     cio_taskgroup_free(tg);
 */
CIO_API cio_taskgroup *cio_taskgroup_new(void);

/* TaskGroup.create_task: create a task for fn(arg) in the group (with
 * cio_task_options for _ex). If `out` is not NULL it receives a new
 * reference to the task. The group keeps its own only while the task
 * runs, as asyncio's TaskGroup keeps its set of tasks: a task that
 * succeeded is let go as soon as it is done (at once if it finished
 * during an eager start, cio_task_options.eager), one that failed is kept
 * until the group is freed, for cio_taskgroup_errors. So a group costs
 * memory for the tasks pending at once, not for all it ever spawned, and
 * spawning an eager task that returns at once allocates nothing.
 * Tasks may be spawned until cio_taskgroup_wait() returns, also by the
 * group's tasks. Returns 0; CIO_EINVAL (NULL group or fn);
 * CIO_EINVALIDSTATE while the group shuts down (a task has failed, or
 * cio_taskgroup_wait was given an error or saw the parent cancelled) and
 * after it has closed; CIO_ENOMEM or the error of cio_create_task.
 *
 *     cio_future *t;
 *     if (cio_taskgroup_spawn(tg, fetch, url, &t) == 0)
 *         cio_release(t); // or keep it, to read its result later
 *     cio_task_options o = {.name = "fetch"};
 *     cio_taskgroup_spawn_ex(tg, fetch, url, &o, NULL);
 */
#define cio_taskgroup_spawn(g, fn, arg, out)                                   \
    cio_taskgroup_spawn_at((g), (fn), (arg), NULL, (out), __FILE__, __LINE__)
#define cio_taskgroup_spawn_ex(g, fn, arg, opts, out)                          \
    cio_taskgroup_spawn_at((g), (fn), (arg), (opts), (out), __FILE__, __LINE__)
CIO_API int cio_taskgroup_spawn_at(cio_taskgroup *g, cio_task_fn fn, void *arg,
                                   const cio_task_options *opts,
                                   cio_future **out, const char *file,
                                   int line);

/* Leave the group: wait until every task of the group is done, and close
 * it. `body_err` is the status the group's body ended with (0 normally):
 * an error cancels the group's tasks first, as an exception leaving the
 * `async with` block does; CIO_ECANCELED (the parent was cancelled) is
 * passed on once the tasks are done. If the parent is cancelled while
 * waiting, the tasks are cancelled and waited for. Returns 0;
 * CIO_ETASKGROUP if any task failed (or body_err is another error): see
 * cio_taskgroup_errors; CIO_ECANCELED if the parent was cancelled from
 * outside and nothing failed. Must be called once, by the parent:
 * CIO_EINVAL for NULL or another task, CIO_EINVALIDSTATE if already
 * called, CIO_ENOTASK.
 *
 *     int err = cio_sleep(5);               // the body; CIO_ECANCELED if a
 *     err = cio_taskgroup_wait(tg, err);    // task failed meanwhile
 */
#define cio_taskgroup_wait(g, body_err)                                        \
    cio_taskgroup_wait_at((g), (body_err), __FILE__, __LINE__)
CIO_API int cio_taskgroup_wait_at(cio_taskgroup *g, int body_err,
                                  const char *file, int line);

/* The failures so far, in the order they happened: stores a pointer to the
 * group's list in *errors (valid until the next spawn or the free) and
 * returns how many. Cancelled tasks are not failures. 0 for NULL.
 *
 *     const cio_taskgroup_error *e;
 *     size_t n = cio_taskgroup_errors(tg, &e);
 *     for (size_t i = 0; i < n; i++)
 *         printf("%s: %s\n", e[i].task ? cio_task_get_name(e[i].task) : "body",
 *                e[i].message);
 */
CIO_API size_t cio_taskgroup_errors(const cio_taskgroup *g,
                                    const cio_taskgroup_error **errors);

/* Free the group and its references to its tasks: 0 (also for NULL).
 * Freeing a group that was not waited for cancels its tasks (without
 * waiting for them). While the parent waits in cio_taskgroup_wait (free
 * called by another task) the group is left alone and CIO_EINVALIDSTATE
 * returned. A group whose parent the closing loop abandoned is gone
 * already (see COMMON RULES).
 *
 *     cio_taskgroup_free(tg);
 */
CIO_API int cio_taskgroup_free(cio_taskgroup *g);

/* ------------------------------------------------------------------------ */
/* Cancel helpers                                                           */
/* ------------------------------------------------------------------------ */

/* Cancel every future of the array that is not done (NULL entries are
 * skipped) and wait until all of them are done: what a clean program does
 * with the losers of a FIRST_COMPLETED wait. Their errors are marked as
 * retrieved. Returns 0 once all are done (whatever their outcome: read it
 * from each); CIO_ECANCELED if the calling task is cancelled meanwhile,
 * after they are all done all the same; CIO_ENOTASK, CIO_EINVAL,
 * CIO_EWRONGLOOP, CIO_ENOMEM (before cancelling anything).
 *
 *     long ndone = cio_wait(f, n, CIO_FIRST_COMPLETED, CIO_NO_TIMEOUT);
 *     if (ndone >= 0) cio_cancel_all(f + ndone, n - (size_t)ndone);
 */
#define cio_cancel_all(futures, n)                                             \
    cio_cancel_all_at((futures), (n), __FILE__, __LINE__)
CIO_API int cio_cancel_all_at(cio_future *const *futures, size_t n,
                              const char *file, int line);

#ifdef __cplusplus
}
#endif

#endif /* CIO_COMBINE_H */
