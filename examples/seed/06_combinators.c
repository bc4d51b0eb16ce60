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
 * given to gather, wait and as_completed; cio_create_each makes one per
 * element of an array, all or none), a result is a void *, and the `async
 * with` block of the timeout is what lies between cio_timeout() and
 * cio_timeout_end().
 */
#include <cio.h>

typedef struct job {
    const char *name;
    double seconds, result;
} job;

static void *work(void *arg) {
    job *j = arg;
    int err = cio_sleep(j->seconds);
    if (err == CIO_ECANCELED) printf("%s: cancelled\n", j->name);
    CIO_TRY(err);
    printf("%s: done after %.1f s\n", j->name, j->seconds);
    return cio_from_int((long)j->result);
}

CIO_ASYNC_MAIN(arg) {
    /* gather: wait for all; the results come in the order asked for */
    job g[] = {{"a", 0.3, 1}, {"b", 0.1, 2}, {"c", 0.2, 3}};
    void *r[3];
    CIO_TRY(cio_gather_all(r, {work, &g[0]}, {work, &g[1]}, {work, &g[2]}));
    printf("gather: [%ld, %ld, %ld]\n", cio_int(r[0]), cio_int(r[1]),
           cio_int(r[2]));

    /* the first answer wins (its result: its index); the others are
     * cancelled, and awaited (cio_cancel_release_all), none left behind */
    job s[] = {{"ipify", 0.3, 0}, {"ip-api", 0.1, 1}, {"httpbin", 0.2, 2}};
    cio_future *t[4], *f;
    CIO_TRY(cio_create_each(t, work, s, 3));
    long n = cio_wait(t, 3, CIO_FIRST_COMPLETED, CIO_NO_TIMEOUT);
    if (n > 0) printf("first answer from %s\n", s[cio_result_int(t[0])].name);
    int i = 0, err = cio_cancel_release_all(t, 3);
    CIO_TRY(n < 0 ? (int)n : err);
    printf("tasks left: %ld\n", cio_all_tasks(NULL, NULL, 0) - 1);

    /* as_completed: results as they arrive */
    job a[] = {{"fetch 1", .4, 1},
               {"fetch 2", .1, 2},
               {"fetch 3", .3, 3},
               {"fetch 4", .2, 4}};
    CIO_TRY(cio_create_each(t, work, a, 4));
    cio_foreach_completed(f, t, 4, CIO_NO_TIMEOUT, err)
        printf("%.*s %ld\n", 2 * ++i, ">>>>>>>>", cio_result_int(f));
    cio_release_all(t, 4);
    CIO_TRY(err);

    /* a timeout for a block, and wait_for */
    job slow = {"slow", 1.0, 0}, slower = {"slower", 2.0, 0};
    CIO_TRY(cio_create_all(t, {work, &slow}, {work, &slower}));
    cio_timeout_scope *ts = cio_timeout(0.2); /* async with timeout(0.2): */
    err = ts ? cio_timeout_end(ts, cio_await(t[0], NULL)) : cio_last_error();
    if (err == CIO_ETIMEDOUT) puts("timeout: the block took too long");
    if (err == CIO_ETIMEDOUT) err = cio_wait_for(t[1], 0.1, NULL);
    if (err == CIO_ETIMEDOUT) puts("wait_for: timed out");
    cio_release_all(t, 2);
    return cio_raise_if(err == CIO_ETIMEDOUT ? 0 : err);
}
