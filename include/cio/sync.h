/* cio/sync.h - locks, events, conditions, semaphores, barriers and queues.
 *
 * asyncio's synchronization primitives (asyncio/locks.py) and queues
 * (asyncio/queues.py, with the shutdown of Python 3.13), with asyncio's
 * fairness and cancellation rules:
 *
 *   - Waiters are served in arrival order (FIFO). At a lock or a semaphore,
 *     a task that arrives while others wait, or while a woken waiter has not
 *     run yet, does not jump ahead of them, even if the lock or a unit is
 *     free at that moment. A queue, as asyncio's, only wakes the first getter
 *     (putter) when an item (a slot) comes, and reserves nothing for it: a
 *     task that calls get (put) before the woken one runs takes the item
 *     (slot) without waiting, and the woken one waits again, at the back.
 *   - Every call that can suspend is a cancellation point: it returns
 *     CIO_ECANCELED when the calling task is cancelled while it waits, and it
 *     leaves the primitive as if the task had never waited. A waiter that was
 *     woken and then cancelled before it could run passes its wake-up on to
 *     the next waiter, so no wake-up is ever lost.
 *   - A call that does not need to wait returns at once without suspending
 *     (as in asyncio, where awaiting a coroutine that does not block never
 *     yields), so it is not a cancellation point then.
 *
 * LOOPS. Each object belongs to one loop, fixed when it is created (loop
 * NULL: the running loop, else the thread's current loop; asyncio binds at
 * first use instead), on that loop's thread (elsewhere the constructor
 * fails with CIO_EWRONGLOOP). Calls that may suspend must run in a task of
 * that loop; the others may also run in its callbacks, or on its thread
 * while no loop runs there (to fill a queue before
 * cio_loop_run_until_complete, say).
 * Any other use returns CIO_EWRONGLOOP, and CIO_ELOOPCLOSED once the loop is
 * closed; nothing is undefined behaviour. An object may outlive its loop:
 * closing it after cio_loop_close() is always safe.
 *
 * ERRORS. Calls return 0 (or a count, or an index) on success and a
 * negative code on failure; they never abort. Common to all: CIO_EINVAL for
 * a NULL object, CIO_ENOTASK for a suspending call outside a task,
 * CIO_EWRONGLOOP, CIO_ELOOPCLOSED, CIO_ECANCELED (the task was cancelled
 * while it waited), CIO_ENOMEM. The constructors return NULL on failure
 * with the code in cio_last_error(). The codes of this header:
 */
#ifndef CIO_SYNC_H
#define CIO_SYNC_H

#include "cio/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes of this area (defined in cio/core.h with all the others):
 * CIO_EQUEUEFULL, CIO_EQUEUEEMPTY, CIO_EQUEUESHUTDOWN, CIO_EBROKENBARRIER,
 * CIO_ENOTLOCKED, CIO_ENOTOWNER, CIO_EOVERRELEASE, CIO_ECLOSED. */

/* STORAGE. The lock, event, condition and semaphore can live in memory of
 * the caller's, as libuv's uv_mutex_t: `cio_lock lk; cio_lock_init(&lk,
 * NULL);` in a struct or on a task's stack allocates nothing, so it cannot
 * fail for lack of memory (only for a missing, closed or foreign loop).
 * Their types are opaque storage of a fixed size; never copy an
 * initialized one. cio_X_new() returns one on the heap instead. Barriers
 * and queues come from cio_X_new() only.
 *
 * CLOSING. cio_X_close() (or cio_close(x), cio.h) gives an object back:
 * memory of cio_X_new() is freed; storage of cio_X_init() may be reused or
 * freed by its owner once close returns. It never fails for an object in
 * use, as asyncio's objects can be dropped at any time: every task waiting
 * on it (or woken by it and not run yet, or anywhere in a condition's
 * wait, the re-acquisition of its lock included) is woken and its call
 * returns CIO_ECLOSED without touching the object again; a lock's holder
 * simply no longer holds anything. Nothing leaks. Calls on closed storage
 * return CIO_ECLOSED (on storage never initialized: CIO_EINVAL), and
 * closing twice is CIO_ECLOSED, not a crash (a heap object is freed,
 * though: do not use it after close). close(NULL) returns 0, as free().
 * Close from the loop's thread (CIO_EWRONGLOOP otherwise) while the loop
 * is open; once it is closed, from any thread (tasks abandoned by a
 * closing loop never run again, so nobody is woken then).
 *
 * cio_X_free() is the former name of cio_X_close(), kept as an alias. */

/* ------------------------------------------------------------------------ */
/* Lock                                                                     */
/* ------------------------------------------------------------------------ */

/* asyncio.Lock, with an owner: the task that acquired it (or, for
 * try_acquire outside a task, "no task"), which alone may unlock it.
 *
 *     struct account { cio_lock lock; long balance; } acct;
 *     cio_lock_init(&acct.lock, NULL);      // no allocation
 *     ...
 *     if (cio_lock_acquire(&acct.lock) == 0) { // waits its turn, FIFO
 *         acct.balance += amount;             // no other task is in here
 *         cio_lock_unlock(&acct.lock);
 *     }
 *     ...
 *     cio_lock_close(&acct.lock);
 */
typedef union cio_lock {
    max_align_t cio_align_;
    char cio_opaque_[16 * sizeof(void *)];
} cio_lock;

/* Make `lock` (storage of the caller's, see STORAGE) an unlocked lock of
 * `loop` (NULL: the current loop). 0, CIO_EINVAL (NULL), CIO_ENOLOOP,
 * CIO_ELOOPCLOSED, CIO_EWRONGLOOP (another thread's loop). */
CIO_API int cio_lock_init(cio_lock *lock, cio_loop *loop);

/* The same on the heap: NULL on failure (cio_last_error(), CIO_ENOMEM
 * too). */
CIO_API cio_lock *cio_lock_new(cio_loop *loop);

/* Give the lock back (see CLOSING): waiting tasks get CIO_ECLOSED. */
CIO_API int cio_lock_close(cio_lock *lock);
#define cio_lock_free(lock) cio_lock_close(lock)

/* Take the lock, waiting (FIFO) while another task holds it or tasks
 * queued before this one have not had their turn. 0 when acquired;
 * CIO_ECANCELED if the task was cancelled while it waited (the lock is then
 * not held, and a wake-up meant for it goes to the next waiter). Acquiring a
 * lock the task already holds waits forever (it is not reentrant), as in
 * asyncio. */
#define cio_lock_acquire(lock) cio_lock_acquire_at((lock), __FILE__, __LINE__)
CIO_API int cio_lock_acquire_at(cio_lock *lock, const char *file, int line);

/* Take the lock only if acquire would not wait: 1 if taken, 0 if not,
 * negative on error. Never suspends.
 *
 *     if (cio_lock_try_acquire(lock) == 1) { ...; cio_lock_unlock(lock); }
 */
CIO_API int cio_lock_try_acquire(cio_lock *lock);

/* Unlock, and let the first waiter (if any) take the lock. Only its owner
 * may: CIO_ENOTLOCKED if it is not held, CIO_ENOTOWNER if it is held by
 * another task. cio_lock_release is asyncio's name for it (Lock.release),
 * kept as an alias: it unlocks, it does not give the lock back (that is
 * cio_lock_close). */
CIO_API int cio_lock_unlock(cio_lock *lock);
#define cio_lock_release(lock) cio_lock_unlock(lock)

/* Whether the lock is held (false for NULL). */
CIO_API bool cio_lock_locked(const cio_lock *lock);

/* ------------------------------------------------------------------------ */
/* Event                                                                    */
/* ------------------------------------------------------------------------ */

/* asyncio.Event: a flag that tasks wait for.
 *
 *     cio_event ready;
 *     cio_event_init(&ready, NULL);
 *     // a task:                         // another:
 *     cio_event_wait(&ready);            cio_event_set(&ready);
 */
typedef union cio_event {
    max_align_t cio_align_;
    char cio_opaque_[12 * sizeof(void *)];
} cio_event;

/* A cleared event in the caller's storage / on the heap, as the lock's
 * init and new; close as the lock's close. */
CIO_API int cio_event_init(cio_event *event, cio_loop *loop);
CIO_API cio_event *cio_event_new(cio_loop *loop);
CIO_API int cio_event_close(cio_event *event);
#define cio_event_free(event) cio_event_close(event)

/* Set the flag and wake every task waiting for it (they run on the loop's
 * next pass, in the order they began to wait). Setting a set event does
 * nothing. */
CIO_API int cio_event_set(cio_event *event);

/* Clear the flag: later waits block until the next set. Tasks already woken
 * by a set still return 0.
 *
 *     cio_event_clear(tick);             // re-arm for the next round
 */
CIO_API int cio_event_clear(cio_event *event);

/* Whether the event is set; false for NULL or a closed event. */
CIO_API bool cio_event_is_set(const cio_event *event);

/* Wait until the flag is set: 0 at once if it is set, else once a set()
 * wakes the task; CIO_ECANCELED. */
#define cio_event_wait(event) cio_event_wait_at((event), __FILE__, __LINE__)
CIO_API int cio_event_wait_at(cio_event *event, const char *file, int line);

/* ------------------------------------------------------------------------ */
/* Condition                                                                */
/* ------------------------------------------------------------------------ */

/* asyncio.Condition over a lock.
 *
 *     cio_condition *cond = cio_condition_new(NULL, NULL);  // own lock
 *     // consumer:                          // producer:
 *     cio_condition_acquire(cond);          cio_condition_acquire(cond);
 *     while (count == 0)                    count++;
 *         cio_condition_wait(cond);         cio_condition_notify(cond, 1);
 *     count--;                              cio_condition_unlock(cond);
 *     cio_condition_unlock(cond);
 *
 * The wait loop re-checks its condition: a wait may return spuriously
 * (asyncio passes a notification on when a notified waiter is cancelled).
 */
typedef union cio_condition {
    max_align_t cio_align_;
    char cio_opaque_[48 * sizeof(void *)];
} cio_condition;

/* A condition over `lock` (NULL: a lock of its own, inside the condition's
 * storage and closed with it), in the caller's storage (init: 0 or an
 * error) or on the heap (new: NULL on failure). loop NULL: the lock's loop,
 * else the current loop; CIO_EWRONGLOOP if the lock belongs to another
 * loop, CIO_EINVAL if it is closed. A lock passed in must outlive the
 * condition. close as the lock's close. */
CIO_API int cio_condition_init(cio_condition *cond, cio_loop *loop,
                               cio_lock *lock);
CIO_API cio_condition *cio_condition_new(cio_loop *loop, cio_lock *lock);
CIO_API int cio_condition_close(cio_condition *cond);
#define cio_condition_free(cond) cio_condition_close(cond)

/* The underlying lock (borrowed; NULL for NULL or a closed condition). */
CIO_API cio_lock *cio_condition_lock(cio_condition *cond);

/* The lock's calls, on the condition's lock. */
#define cio_condition_acquire(cond)                                            \
    cio_lock_acquire_at(cio_condition_lock(cond), __FILE__, __LINE__)
#define cio_condition_try_acquire(cond)                                        \
    cio_lock_try_acquire(cio_condition_lock(cond))
#define cio_condition_unlock(cond) cio_lock_unlock(cio_condition_lock(cond))
#define cio_condition_release(cond) cio_condition_unlock(cond)
#define cio_condition_locked(cond) cio_lock_locked(cio_condition_lock(cond))

/* Unlock, wait until notified, re-acquire the lock. The calling task must
 * hold the lock (CIO_ENOTLOCKED, CIO_ENOTOWNER otherwise). Returns 0 when
 * notified; CIO_ECANCELED if cancelled while waiting. In both cases, and
 * unlike every other cancellation point, the lock is held again on return:
 * a cancelled wait still re-acquires it first (as asyncio's does), so the
 * caller unlocks it as usual. Only CIO_ECLOSED (the condition, or the lock,
 * was closed meanwhile) returns without the lock. */
#define cio_condition_wait(cond)                                               \
    cio_condition_wait_at((cond), __FILE__, __LINE__)
CIO_API int cio_condition_wait_at(cio_condition *cond, const char *file,
                                  int line);

/* Wait until pred(arg) is true: checks it first, then waits and re-checks
 * after every wake-up. Returns 0 (with the lock held and pred true), or an
 * error of cio_condition_wait.
 *
 *     static bool has_items(void *arg) { return ((struct box *)arg)->n > 0; }
 *     cio_condition_acquire(cond);
 *     if (cio_condition_wait_for(cond, has_items, &box) == 0)
 *         take_one(&box);
 *     cio_condition_unlock(cond);
 */
typedef bool (*cio_predicate_fn)(void *arg);
#define cio_condition_wait_for(cond, pred, arg)                                \
    cio_condition_wait_for_at((cond), (pred), (arg), __FILE__, __LINE__)
CIO_API int cio_condition_wait_for_at(cio_condition *cond,
                                      cio_predicate_fn pred, void *arg,
                                      const char *file, int line);

/* Wake up to n waiters (oldest first) / all of them; returns how many were
 * woken. The caller must hold the lock (CIO_ENOTLOCKED, CIO_ENOTOWNER);
 * the woken tasks return from their wait once they get the lock back, so
 * release it soon after notifying. */
CIO_API int cio_condition_notify(cio_condition *cond, int n);
CIO_API int cio_condition_notify_all(cio_condition *cond);

/* ------------------------------------------------------------------------ */
/* Semaphore and BoundedSemaphore                                           */
/* ------------------------------------------------------------------------ */

/* asyncio.Semaphore / asyncio.BoundedSemaphore: a counter that acquire
 * decrements (waiting, FIFO, while it is 0) and post (asyncio's release)
 * increments.
 *
 *     cio_semaphore slots;
 *     cio_semaphore_init(&slots, NULL, 3);  // 3 at a time
 *     if (cio_semaphore_acquire(&slots) == 0) {
 *         fetch(url);
 *         cio_semaphore_post(&slots);
 *     }
 */
typedef union cio_semaphore {
    max_align_t cio_align_;
    char cio_opaque_[12 * sizeof(void *)];
} cio_semaphore;

/* A semaphore with an initial value >= 0 (CIO_EINVAL otherwise), in the
 * caller's storage (init: 0 or an error) or on the heap (new: NULL on
 * failure). The bounded kind refuses a post that would take its value
 * above the initial one. close as the lock's close. */
CIO_API int cio_semaphore_init(cio_semaphore *sem, cio_loop *loop, long value);
CIO_API int cio_bounded_semaphore_init(cio_semaphore *sem, cio_loop *loop,
                                       long value);
CIO_API cio_semaphore *cio_semaphore_new(cio_loop *loop, long value);
CIO_API cio_semaphore *cio_bounded_semaphore_new(cio_loop *loop, long value);
CIO_API int cio_semaphore_close(cio_semaphore *sem);
#define cio_semaphore_free(sem) cio_semaphore_close(sem)

/* Decrement, waiting while the value is 0 or earlier waiters have not had
 * their turn. 0, or CIO_ECANCELED (nothing acquired). */
#define cio_semaphore_acquire(sem)                                             \
    cio_semaphore_acquire_at((sem), __FILE__, __LINE__)
CIO_API int cio_semaphore_acquire_at(cio_semaphore *sem, const char *file,
                                     int line);

/* Decrement only if acquire would not wait: 1 if done, 0 if not.
 *
 *     if (cio_semaphore_try_acquire(slots) == 0)
 *         return cio_raise(-EAGAIN, "busy, try later");
 */
CIO_API int cio_semaphore_try_acquire(cio_semaphore *sem);

/* Increment and wake the first waiter (asyncio's release, kept as an
 * alias). Any task (or callback) may post. CIO_EOVERRELEASE for a bounded
 * semaphore already at its initial value, and for any semaphore at
 * LONG_MAX (Python's integers have no such end). */
CIO_API int cio_semaphore_post(cio_semaphore *sem);
#define cio_semaphore_release(sem) cio_semaphore_post(sem)

/* Whether acquire would wait (asyncio's locked()). */
CIO_API bool cio_semaphore_locked(const cio_semaphore *sem);

/* The current value (units not handed to anyone; 0 for NULL). */
CIO_API long cio_semaphore_value(const cio_semaphore *sem);

/* ------------------------------------------------------------------------ */
/* Barrier                                                                  */
/* ------------------------------------------------------------------------ */

/* asyncio.Barrier: `parties` tasks wait until all of them have arrived,
 * then all go on; the barrier can then be passed again.
 *
 *     cio_barrier *b = cio_barrier_new(NULL, 3);
 *     // in each of 3 tasks:
 *     int index = cio_barrier_wait(b);   // 0, 1 or 2: arrival order
 *     if (index < 0) ...                 // CIO_EBROKENBARRIER, CIO_ECANCELED
 */
typedef struct cio_barrier cio_barrier;

typedef enum cio_barrier_state {
    CIO_BARRIER_FILLING,   /* tasks are arriving */
    CIO_BARRIER_DRAINING,  /* all arrived; they are leaving */
    CIO_BARRIER_RESETTING, /* reset while tasks were inside */
    CIO_BARRIER_BROKEN     /* aborted: every wait fails until reset */
} cio_barrier_state;

/* A barrier for parties >= 1 tasks (CIO_EINVAL otherwise). */
CIO_API cio_barrier *cio_barrier_new(cio_loop *loop, int parties);
/* Free it (see CLOSING): waiting tasks get CIO_ECLOSED. */
CIO_API int cio_barrier_close(cio_barrier *barrier);
#define cio_barrier_free(barrier) cio_barrier_close(barrier)

/* Wait until `parties` tasks wait. Returns this task's index (0 for the
 * first to arrive, parties - 1 for the one that releases the others), or
 * CIO_EBROKENBARRIER if the barrier is broken, or is reset or aborted while
 * the task waits, or CIO_ECANCELED. A task arriving while the previous round
 * drains or resets waits for it to finish first. */
#define cio_barrier_wait(barrier)                                              \
    cio_barrier_wait_at((barrier), __FILE__, __LINE__)
CIO_API int cio_barrier_wait_at(cio_barrier *barrier, const char *file,
                                int line);

/* Return the barrier to its empty state: tasks waiting in it get
 * CIO_EBROKENBARRIER. A broken barrier becomes usable again.
 *
 *     cio_barrier_reset(b);              // next round starts from 0
 */
CIO_API int cio_barrier_reset(cio_barrier *barrier);

/* Break the barrier: waiting and future waits get CIO_EBROKENBARRIER until
 * a reset.
 *
 *     if (step_failed) cio_barrier_abort(b);   // nobody waits forever
 */
CIO_API int cio_barrier_abort(cio_barrier *barrier);

/* The number of tasks that fill the barrier (0 for NULL). */
CIO_API int cio_barrier_parties(const cio_barrier *barrier);
/* Tasks waiting for the barrier to fill (0 while draining). */
CIO_API int cio_barrier_n_waiting(const cio_barrier *barrier);
CIO_API bool cio_barrier_broken(const cio_barrier *barrier);
CIO_API cio_barrier_state cio_barrier_get_state(const cio_barrier *barrier);

/* ------------------------------------------------------------------------ */
/* Queues                                                                   */
/* ------------------------------------------------------------------------ */

/* asyncio.Queue, LifoQueue and PriorityQueue, bounded or not.
 *
 *     cio_queue *q = cio_queue_new(10);      // FIFO, at most 10 items
 *     // a producer:
 *     cio_queue_put(q, job);
 *     // a consumer:
 *     void *job;
 *     while (cio_queue_get(q, &job) == 0) {
 *         run(job);
 *         cio_queue_task_done(q);
 *     }
 *     // main: wait until every job is done, then stop the consumers
 *     cio_queue_join(q);
 *     cio_queue_shutdown(q, false);          // their get: CIO_EQUEUESHUTDOWN
 *
 * Items are `void *` that the queue never looks at; it frees them only
 * through the destroy function of cio_queue_new_ex, if given one.
 */
typedef struct cio_queue cio_queue;

typedef enum cio_queue_kind {
    CIO_QUEUE_FIFO,    /* first in, first out (asyncio.Queue) */
    CIO_QUEUE_LIFO,    /* last in, first out (asyncio.LifoQueue) */
    CIO_QUEUE_PRIORITY /* smallest first (asyncio.PriorityQueue) */
} cio_queue_kind;

/* Orders two items: negative if a comes out before b, 0 if equal. Equal
 * items come out in the order they were put (asyncio's heapq gives no such
 * promise). */
typedef int (*cio_compare_fn)(const void *a, const void *b, void *arg);

/* Frees an item the queue discards: by cio_queue_shutdown(q, true), or
 * left in it at cio_queue_close. */
typedef void (*cio_destroy_fn)(void *item, void *arg);

typedef struct cio_queue_options {
    cio_queue_kind kind;
    size_t maxsize;         /* 0: unbounded */
    cio_compare_fn compare; /* required for CIO_QUEUE_PRIORITY */
    void *compare_arg;
    cio_destroy_fn destroy; /* NULL: discarded items are not freed */
    void *destroy_arg;
} cio_queue_options;

/* A FIFO / LIFO / priority queue of the current loop holding at most
 * maxsize items (0: no limit), as asyncio.Queue(maxsize).
 *
 *     static int by_deadline(const void *a, const void *b, void *arg) {
 *         const struct job *x = a, *y = b;
 *         return (x->deadline > y->deadline) - (x->deadline < y->deadline);
 *     }
 *     cio_queue *jobs = cio_priority_queue_new(0, by_deadline, NULL);
 */
CIO_API cio_queue *cio_queue_new(size_t maxsize);
CIO_API cio_queue *cio_lifo_queue_new(size_t maxsize);
CIO_API cio_queue *cio_priority_queue_new(size_t maxsize,
                                          cio_compare_fn compare, void *arg);

/* Any kind, on any loop (NULL: current), with a destroy function.
 *
 *     cio_queue *q = cio_queue_new_ex(NULL, &(cio_queue_options){
 *         .maxsize = 100, .destroy = free_item});
 */
CIO_API cio_queue *cio_queue_new_ex(cio_loop *loop,
                                    const cio_queue_options *opts);

/* Free the queue (see CLOSING: waiting tasks get CIO_ECLOSED), passing the
 * items still in it to the destroy function. */
CIO_API int cio_queue_close(cio_queue *q);
#define cio_queue_free(q) cio_queue_close(q)

/* Put an item, waiting (FIFO among putters) while the queue is full.
 * 0; CIO_EQUEUESHUTDOWN if the queue is (or gets) shut down, the item not
 * put; CIO_ECANCELED (not put). */
#define cio_queue_put(q, item) cio_queue_put_at((q), (item), __FILE__, __LINE__)
CIO_API int cio_queue_put_at(cio_queue *q, void *item, const char *file,
                             int line);

/* Take the next item into *item, waiting (FIFO among getters) while the
 * queue is empty. 0; CIO_EQUEUESHUTDOWN once the queue is shut down and
 * empty (after a plain shutdown, getters first drain what is left);
 * CIO_ECANCELED (nothing taken). *item is NULL on error. */
#define cio_queue_get(q, item) cio_queue_get_at((q), (item), __FILE__, __LINE__)
CIO_API int cio_queue_get_at(cio_queue *q, void **item, const char *file,
                             int line);

/* Without waiting: CIO_EQUEUEFULL / CIO_EQUEUEEMPTY where put / get would
 * wait, CIO_EQUEUESHUTDOWN as above. They may run in callbacks.
 *
 *     if (cio_queue_put_nowait(q, msg) == CIO_EQUEUEFULL)
 *         dropped++;                     // shed load instead of waiting
 *     void *msg;
 *     while (cio_queue_get_nowait(q, &msg) == 0)
 *         handle(msg);                   // drain what is there
 */
CIO_API int cio_queue_put_nowait(cio_queue *q, void *item);
CIO_API int cio_queue_get_nowait(cio_queue *q, void **item);

/* Say that an item taken from the queue has been processed. Every put
 * counts one unfinished item, every task_done (and every item discarded by
 * an immediate shutdown) one less; join returns when none is left.
 * CIO_EOVERRELEASE if none is unfinished. (Example: the queue section.) */
CIO_API int cio_queue_task_done(cio_queue *q);

/* Wait until every item put has been processed (unfinished count 0):
 * 0, or CIO_ECANCELED. (Example: the queue section.) */
#define cio_queue_join(q) cio_queue_join_at((q), __FILE__, __LINE__)
CIO_API int cio_queue_join_at(cio_queue *q, const char *file, int line);

/* Shut the queue down (asyncio 3.13): put and put_nowait fail with
 * CIO_EQUEUESHUTDOWN from now on, and waiting putters wake up with it;
 * getters take what is left, then get CIO_EQUEUESHUTDOWN. immediate: the
 * items left are discarded at once (destroy function, and one task_done
 * each, which may release join), and waiting getters wake up with
 * CIO_EQUEUESHUTDOWN. Shutting down twice is allowed (the second may be
 * immediate).
 *
 *     cio_queue_shutdown(q, true);       // stop now: drop what is queued
 */
CIO_API int cio_queue_shutdown(cio_queue *q, bool immediate);

/* Inspection (0 / false for NULL). */
CIO_API size_t cio_queue_qsize(const cio_queue *q);
CIO_API size_t cio_queue_maxsize(const cio_queue *q);
CIO_API bool cio_queue_empty(const cio_queue *q);
CIO_API bool cio_queue_full(const cio_queue *q); /* never for maxsize 0 */
CIO_API size_t cio_queue_unfinished(const cio_queue *q);
CIO_API bool cio_queue_is_shutdown(const cio_queue *q);

#ifdef __cplusplus
}
#endif

#endif /* CIO_SYNC_H */
