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
#include <cio.h>
#include <stdlib.h>
#include <time.h>

/* random.randint(0, 2) * 0.001: 0, 1 or 2 milliseconds */
static double delay(void) { return (rand() % 3) * 0.001; }

static void task(int pid) {
    nanosleep(&(struct timespec){0, (long)(delay() * 1e9)}, NULL);
    printf("Task %d done\n", pid);
}

static void *task_coro(void *pid) {
    CIO_TRY(cio_sleep(delay()));
    printf("Task %ld done\n", (long)cio_int(pid));
    return NULL;
}

static void *asynchronous(void *arg) {
    return cio_raise_if(cio_gather_range(task_coro, 1, 10, NULL));
}

int main(void) {
    srand((unsigned)time(NULL)); /* Python seeds afresh in every run */
    puts("Synchronous:");
    for (int i = 1; i < 10; i++) task(i); /* synchronous() */
    puts("Asynchronous:");
    return cio_main(asynchronous, NULL);
}
