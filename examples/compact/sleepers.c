/* Compact tasks: 100,000 tasks that wait on a queue cost about half a
 * kilobyte each (an ordinary task: a 4 KiB page at least).
 *
 * The asyncio program it mirrors:
 *
 *     async def worker(i, results):
 *         await asyncio.sleep(random.random())
 *         await results.put(i * i)
 *
 *     async def main():
 *         results = asyncio.Queue()
 *         tasks = [asyncio.create_task(worker(i, results)) for i in range(N)]
 *         total = 0
 *         for _ in range(N):
 *             total += await results.get()
 *         await asyncio.gather(*tasks)
 *         print(total)
 *
 * The rule of compact tasks: nothing points into a waiting task's stack.
 * So the worker puts a value (i * i) in the queue, never the address of a
 * local. Build: cc sleepers.c $(pkg-config --cflags --libs cio) */
#include <cio.h>

#include <stdint.h>
#include <stdio.h>

#define N 100000

static cio_queue *results;

static void *worker(void *arg) {
    intptr_t i = (intptr_t)arg;
    int rc = cio_sleep((double)(i * 7919 % 1000) / 1000.0);
    if (rc == 0)
        rc = cio_queue_put(results, (void *)(i * i)); /* a value */
    return rc ? cio_raise(rc, NULL) : NULL;
}

static void *main_task(void *arg) {
    (void)arg;
    static cio_future *tasks[N];
    results = cio_queue_new(0);
    for (intptr_t i = 0; i < N; i++)
        tasks[i] = cio_create_task_ex(NULL, worker, (void *)i,
                                      &(cio_task_options){.compact = true});
    long long total = 0;
    for (int k = 0; k < N; k++) {
        void *v = NULL;
        if (cio_queue_get(results, &v) != 0)
            break;
        total += (intptr_t)v;
    }
    int rc = cio_gather(tasks, N, NULL);
    cio_release_all(tasks, N);
    cio_queue_free(results);
    printf("%lld\n", total);
    return rc ? cio_raise(rc, NULL) : NULL;
}

int main(void) {
    return cio_run(main_task, NULL, NULL) == 0 ? 0 : 1;
}
