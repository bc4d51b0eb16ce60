/* Cell 3: the same nine tasks run one after another, then concurrently.
 *
 *     import random
 *     from time import sleep
 *     import asyncio
 *
 *     def task(pid):
 *         """Synchronous non-deterministic task."""
 *         sleep(random.randint(0, 2) * 0.001)
 *         print('Task %s done' % pid)
 *
 *     async def task_coro(pid):
 *         """Coroutine non-deterministic task"""
 *         await asyncio.sleep(random.randint(0, 2) * 0.001)
 *         print('Task %s done' % pid)
 *
 *     def synchronous():
 *         for i in range(1, 10):
 *             task(i)
 *
 *     async def asynchronous():
 *         await asyncio.gather(*[task_coro(i) for i in range(1, 10)])
 *
 *     print('Synchronous:')
 *     synchronous()
 *
 *     print('Asynchronous:')
 *     asyncio.run(asynchronous())
 *
 * Output: 'Synchronous:', then Task 1 done ... Task 9 done in order, then
 * 'Asynchronous:' and the same nine lines in an order the random delays
 * decide, different from run to run, for example:
 *
 *     Asynchronous:
 *     Task 2 done
 *     Task 5 done
 *     Task 9 done
 *     Task 1 done
 *     ...
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <cio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* random.randint(0, 2) * 0.001: 0, 1 or 2 milliseconds */
static double random_delay(void) {
    return (rand() % 3) * 0.001;
}

/* Synchronous non-deterministic task. */
static void task(int pid) {
    double delay = random_delay();
    struct timespec ts = {0, (long)(delay * 1e9)};
    nanosleep(&ts, NULL);
    printf("Task %d done\n", pid);
}

/* Coroutine non-deterministic task. */
static void *task_coro(void *arg) {
    int pid = (int)(intptr_t)arg;
    cio_sleep(random_delay());
    printf("Task %d done\n", pid);
    return NULL;
}

static void synchronous(void) {
    for (int i = 1; i < 10; i++)
        task(i);
}

static void *asynchronous(void *arg) {
    cio_future *tasks[9];
    for (int i = 1; i < 10; i++)
        tasks[i - 1] = cio_create_task(task_coro, (void *)(intptr_t)i);
    /* gather(): all nine run side by side; wait for each in turn. */
    int err = 0;
    for (size_t i = 0; i < 9 && err == 0; i++)
        err = cio_await(tasks[i], NULL);
    cio_release_all(tasks, 9);
    return err ? cio_raise(err, NULL) : NULL;
}

int main(void) {
    /* Python seeds its generator afresh in every run; so do we. */
    struct timespec now;
    timespec_get(&now, TIME_UTC);
    srand((unsigned)now.tv_sec ^ (unsigned)now.tv_nsec);

    puts("Synchronous:");
    synchronous();

    puts("Asynchronous:");
    int err = cio_run(asynchronous, NULL, NULL);
    if (err)
        fprintf(stderr, "sync_vs_async: %s\n", cio_strerror(err));
    return err ? 1 : 0;
}
