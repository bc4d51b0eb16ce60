/* Cell 6: the combinators: gather, a race with wait(FIRST_COMPLETED),
 * as_completed, and timeouts, on sleeping tasks.
 *
 *     import asyncio
 *
 *     async def work(name, seconds, result):
 *         try:
 *             await asyncio.sleep(seconds)
 *         except asyncio.CancelledError:
 *             print(f'{name}: cancelled')
 *             raise
 *         print(f'{name}: done after {seconds:.1f} s')
 *         return result
 *
 *     async def main():
 *         # gather: wait for all; the results come in the order asked for
 *         results = await asyncio.gather(work('a', 0.3, 1), work('b', 0.1, 2),
 *                                        work('c', 0.2, 3))
 *         print('gather:', results)
 *
 *         # the first answer wins; the others are cancelled, and awaited
 *         tasks = [asyncio.create_task(work(name, s, name)) for name, s in
 *                  [('ipify', 0.3), ('ip-api', 0.1), ('httpbin', 0.2)]]
 *         done, pending = await asyncio.wait(
 *             tasks, return_when=asyncio.FIRST_COMPLETED)
 *         print('first answer from', done.pop().result())
 *         for t in pending:
 *             t.cancel()
 *         await asyncio.gather(*pending, return_exceptions=True)
 *         print('tasks left:', len(asyncio.all_tasks()) - 1)
 *
 *         # as_completed: results as they arrive
 *         aws = [work(f'fetch {i}', s, i) for i, s in
 *                enumerate([0.4, 0.1, 0.3, 0.2], 1)]
 *         for i, f in enumerate(asyncio.as_completed(aws)):
 *             print('>>' * (i + 1), await f)
 *
 *         # a timeout for a block, and wait_for
 *         try:
 *             async with asyncio.timeout(0.2):
 *                 await work('slow', 1.0, 0)
 *         except TimeoutError:
 *             print('timeout: the block took too long')
 *         try:
 *             await asyncio.wait_for(work('slower', 2.0, 0), 0.1)
 *         except TimeoutError:
 *             print('wait_for: timed out')
 *
 *     asyncio.run(main())
 *
 * Output (about 1.2 s):
 *
 *     b: done after 0.1 s
 *     c: done after 0.2 s
 *     a: done after 0.3 s
 *     gather: [1, 2, 3]
 *     ip-api: done after 0.1 s
 *     first answer from ip-api
 *     ipify: cancelled
 *     httpbin: cancelled
 *     tasks left: 0
 *     fetch 2: done after 0.1 s
 *     >> 2
 *     fetch 4: done after 0.2 s
 *     >>>> 4
 *     fetch 3: done after 0.3 s
 *     >>>>>> 3
 *     fetch 1: done after 0.4 s
 *     >>>>>>>> 1
 *     slow: cancelled
 *     timeout: the block took too long
 *     slower: cancelled
 *     wait_for: timed out
 *
 * In C the tasks are created first (asyncio does that for the coroutines
 * given to gather, wait and as_completed), a result is a void *, and the
 * `async with` block of the timeout is what lies between cio_timeout() and
 * cio_timeout_end().
 */
#include <cio.h>
#include <stdint.h>
#include <stdio.h>

typedef struct work {
    const char *name;
    double seconds;
    intptr_t result;
} work;

static void *do_work(void *arg) {
    work *w = arg;
    if (cio_sleep(w->seconds) != 0) {
        printf("%s: cancelled\n", w->name);
        return NULL; /* the task ends CANCELLED */
    }
    printf("%s: done after %.1f s\n", w->name, w->seconds);
    return (void *)w->result;
}

/* Create a task per work item into t[]; 0 or the error. */
static int start(cio_future **t, work *w, size_t n) {
    for (size_t i = 0; i < n; i++) {
        t[i] = cio_create_task(do_work, &w[i]);
        if (t[i] == NULL) {
            cio_cancel_all(t, i);
            cio_release_all(t, i);
            return cio_last_error();
        }
    }
    return 0;
}

static int gather_demo(void) {
    work w[] = {{"a", 0.3, 1}, {"b", 0.1, 2}, {"c", 0.2, 3}};
    cio_future *t[3];
    void *r[3];
    int err = start(t, w, 3);
    if (err)
        return err;
    err = cio_gather(t, 3, r);
    if (err == 0)
        printf("gather: [%d, %d, %d]\n", (int)(intptr_t)r[0],
               (int)(intptr_t)r[1], (int)(intptr_t)r[2]);
    cio_release_all(t, 3);
    return err;
}

static int race_demo(void) {
    work w[] = {{"ipify", 0.3, 0}, {"ip-api", 0.1, 0}, {"httpbin", 0.2, 0}};
    for (int i = 0; i < 3; i++)
        w[i].result = (intptr_t)w[i].name;
    cio_future *f[3];
    int err = start(f, w, 3);
    if (err)
        return err;
    long ndone = cio_wait(f, 3, CIO_FIRST_COMPLETED, CIO_NO_TIMEOUT);
    if (ndone > 0)
        printf("first answer from %s\n", (char *)cio_future_result(f[0]));
    /* done ones first: the losers are the rest */
    err = cio_cancel_all(f + (ndone > 0 ? ndone : 0),
                         3 - (size_t)(ndone > 0 ? ndone : 0));
    cio_release_all(f, 3);
    long left = cio_all_tasks(NULL, NULL, 0);
    printf("tasks left: %ld\n", left - 1); /* all but this one */
    return ndone < 0 ? (int)ndone : err;
}

static int as_completed_demo(void) {
    work w[] = {{"fetch 1", 0.4, 1},
                {"fetch 2", 0.1, 2},
                {"fetch 3", 0.3, 3},
                {"fetch 4", 0.2, 4}};
    cio_future *t[4];
    int err = start(t, w, 4);
    if (err)
        return err;
    cio_future *f;
    int i = 0;
    cio_foreach_completed(f, t, 4, CIO_NO_TIMEOUT, err) {
        i++;
        for (int k = 0; k < i; k++)
            fputs(">>", stdout);
        printf(" %d\n", (int)(intptr_t)cio_future_result(f));
    }
    cio_release_all(t, 4);
    return err;
}

static int timeout_demo(void) {
    work slow = {"slow", 1.0, 0}, slower = {"slower", 2.0, 0};
    cio_future *t;
    int err = start(&t, &slow, 1);
    if (err)
        return err;
    cio_timeout_scope *ts = cio_timeout(0.2);
    if (ts == NULL) {
        cio_cancel_all(&t, 1);
        cio_release(t);
        return cio_last_error();
    }
    err = cio_await(t, NULL); /*     await work('slow', 1.0, 0) */
    err = cio_timeout_end(ts, err);
    cio_release(t);
    if (err == CIO_ETIMEDOUT)
        puts("timeout: the block took too long");

    err = start(&t, &slower, 1);
    if (err)
        return err;
    err = cio_wait_for(t, 0.1, NULL);
    cio_release(t);
    if (err == CIO_ETIMEDOUT)
        puts("wait_for: timed out");
    return err == CIO_ETIMEDOUT ? 0 : err;
}

static void *amain(void *arg) {
    int err = gather_demo();
    if (err == 0)
        err = race_demo();
    if (err == 0)
        err = as_completed_demo();
    if (err == 0)
        err = timeout_demo();
    return err ? cio_raise(err, NULL) : NULL;
}

int main(void) {
    int err = cio_run(amain, NULL, NULL);
    if (err)
        fprintf(stderr, "combinators: %s\n", cio_strerror(err));
    return err ? 1 : 0;
}
