/* Cell 8: blocking work in threads while the loop keeps serving.
 *
 *     import asyncio, time
 *
 *     start = time.time()
 *     def tic():
 *         return 'at %1.2f seconds' % (time.time() - start)
 *
 *     def count_primes(n):            # CPU-bound
 *         return sum(1 for k in range(2, n)
 *                    if all(k % d for d in range(2, int(k ** 0.5) + 1)))
 *
 *     def blocking_sleep(s):          # blocks its thread, as a slow call would
 *         time.sleep(s)
 *         return s
 *
 *     async def ticker():
 *         while True:
 *             await asyncio.sleep(0.25)
 *             print('tick', tic())
 *
 *     async def main():
 *         t = asyncio.create_task(ticker())
 *         loop = asyncio.get_running_loop()
 *         primes, slept = await asyncio.gather(
 *             loop.run_in_executor(None, count_primes, 2_000_000),
 *             asyncio.to_thread(blocking_sleep, 1.0))
 *         t.cancel()
 *         print(primes, 'primes; slept', slept, 's;', tic())
 *
 *     asyncio.run(main())
 *
 * The ticker keeps ticking every quarter second while a worker thread counts
 * primes and another sleeps: the loop is never blocked. The whole run takes
 * as long as the longer of the two, not their sum. Output (the times and
 * the number of ticks depend on the machine), for example:
 *
 *     tick at 0.25 seconds
 *     tick at 0.50 seconds
 *     tick at 0.75 seconds
 *     148933 primes; slept 1.0 s; at 1.00 seconds
 */
#include <cio.h>
#include <unistd.h>

static double start;
static double tic(void) { return cio_time() - start; }

static void *count_primes(void *arg) { /* CPU-bound */
    long count = 0, d;
    for (long k = 2; k<cio_int(arg); count += d * d> k++)
        for (d = 2; d * d <= k && k % d; d++) continue;
    return cio_from_int(count);
}

static void *blocking_sleep(void *arg) { /* blocks its thread */
    return usleep(*(double *)arg * 1e6) ? cio_raise(-errno, NULL) : arg;
}

static void *ticker(void *arg) {
    for (;; printf("tick at %.2f seconds\n", tic())) CIO_TRY(cio_sleep(0.25));
}

CIO_ASYNC_MAIN(arg) {
    start = cio_time();
    cio_future *f[] = {
        cio_create_task(ticker, NULL),
        cio_run_in_executor(NULL, count_primes, cio_from_int(2000000)),
        cio_to_thread(blocking_sleep, &(double){1.0})};
    int rc = f[0] && f[1] && f[2] ? cio_gather(f + 1, 2, 0) : cio_last_error();
    if (!rc)
        printf("%ld primes; slept %.1f s; at %.2f seconds\n",
               cio_result_int(f[1]), *(double *)cio_future_result(f[2]), tic());
    cio_cancel_release_all(f, 3); /* t.cancel(), and awaits it */
    return cio_raise_if(rc);
}
