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
 *     main: two blocking calls go to the executor at 0.00 seconds
 *     tick at 0.25 seconds
 *     tick at 0.50 seconds
 *     primes: 148933 below 2000000, done at 0.61 seconds
 *     tick at 0.75 seconds
 *     sleep: woke up at 1.00 seconds
 *     main: both done at 1.00 seconds; one after the other: 1.61 seconds
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep, clock_gettime */
#include <cio.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static double start;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tic(void) {
    return now() - start;
}

/* CPU-bound: count the primes below n by trial division (on a worker). */
static double primes_took;
static void *count_primes(void *arg) {
    long n = (long)(intptr_t)arg, count = 0;
    double t0 = tic();
    for (long k = 2; k < n; k++) {
        int prime = 1;
        for (long d = 2; d * d <= k && prime; d++)
            prime = k % d != 0;
        count += prime;
    }
    primes_took = tic() - t0;
    printf("primes: %ld below %ld, done at %.2f seconds\n", count, n, tic());
    return (void *)(intptr_t)count;
}

/* Blocks its thread, as a slow system call or library would. */
static void *blocking_sleep(void *arg) {
    double *seconds = arg;
    struct timespec ts = {(time_t)*seconds,
                          (long)((*seconds - (double)(time_t)*seconds) * 1e9)};
    nanosleep(&ts, NULL);
    printf("sleep: woke up at %.2f seconds\n", tic());
    return arg;
}

static void *ticker(void *arg) {
    while (cio_sleep(0.25) == 0)
        printf("tick at %.2f seconds\n", tic());
    return NULL; /* cancelled */
}

static void *amain(void *arg) {
    double seconds = 1.0;
    cio_future *t = cio_create_task(ticker, NULL);
    printf("main: two blocking calls go to the executor at %.2f seconds\n",
           tic());
    cio_future *primes =
        cio_run_in_executor(NULL, count_primes, (void *)(intptr_t)2000000);
    cio_future *slept = cio_to_thread(blocking_sleep, &seconds);
    /* gather(): both run already; wait for each in turn */
    int err = cio_await(primes, NULL);
    if (err == 0)
        err = cio_await(slept, NULL);
    double both = tic();
    cio_cancel(t, NULL);
    cio_await(t, NULL);
    if (err == 0)
        printf("main: both done at %.2f seconds; one after the other: "
               "%.2f seconds\n",
               both, primes_took + seconds);
    cio_release(primes);
    cio_release(slept);
    cio_release(t);
    return err ? cio_raise(err, NULL) : NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0); /* lines from three threads */
    start = now();
    int err = cio_run(amain, NULL, NULL);
    if (err)
        fprintf(stderr, "threads: %s\n", cio_strerror(err));
    return err ? 1 : 0;
}
