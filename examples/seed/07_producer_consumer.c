/* Cell 7: producers and consumers around a bounded queue.
 *
 *     import asyncio
 *
 *     SITES = {'fetcher A': [('a.example/1', 0.10), ('a.example/2', 0.05),
 *                            ('a.example/3', 0.05)],
 *              'fetcher B': [('b.example/1', 0.05), ('b.example/2', 0.20)],
 *              'fetcher C': [('c.example/1', 0.15), ('c.example/2', 0.05),
 *                            ('c.example/3', 0.05)]}
 *
 *     def now(): return asyncio.get_running_loop().time() - start
 *
 *     async def fetcher(name, pages, queue):
 *         for url, latency in pages:
 *             await asyncio.sleep(latency)            # the download
 *             if queue.full():
 *                 print(f'{now():.2f}  {name}: {url} fetched, queue full,
 * waiting') await queue.put(url) print(f'{now():.2f}  {name}: {url} queued
 * ({queue.qsize()}/{queue.maxsize})')
 *
 *     async def worker(name, queue):
 *         while True:
 *             try:
 *                 url = await queue.get()
 *             except asyncio.QueueShutDown:
 *                 print(f'{now():.2f}  {name}: queue shut down, leaving')
 *                 return
 *             print(f'{now():.2f}  {name}: parsing {url}')
 *             await asyncio.sleep(0.12)               # the work
 *             queue.task_done()
 *
 *     async def main():
 *         queue = asyncio.Queue(maxsize=2)
 *         workers = [asyncio.create_task(worker(f'worker {i}', queue))
 *                    for i in (1, 2)]
 *         fetchers = [asyncio.create_task(fetcher(n, p, queue))
 *                     for n, p in SITES.items()]
 *         await asyncio.gather(*fetchers)
 *         await queue.join()                          # every page parsed
 *         print(f'{now():.2f}  all pages parsed')
 *         queue.shutdown()                            # Python 3.13
 *         await asyncio.gather(*workers)
 *
 *     asyncio.run(main())
 *
 * The C below prints the same lines. It runs on the loop's virtual clock
 * (cio_loop_options.virtual_time): sleeps take no real time and the output
 * is the same on every machine. Without the option it takes its 0.58 s.
 */
#include <cio.h>
#include <stdio.h>

typedef struct page {
    const char *url;
    double latency;
} page;

typedef struct fetcher {
    const char *name;
    page pages[3];
    int npages;
} fetcher;

static fetcher fetchers[] = {
    {"fetcher A",
     {{"a.example/1", 0.10}, {"a.example/2", 0.05}, {"a.example/3", 0.05}},
     3},
    {"fetcher B", {{"b.example/1", 0.05}, {"b.example/2", 0.20}}, 2},
    {"fetcher C",
     {{"c.example/1", 0.15}, {"c.example/2", 0.05}, {"c.example/3", 0.05}},
     3},
};
#define NFETCHERS (sizeof fetchers / sizeof fetchers[0])
#define NWORKERS 2

static cio_queue *queue;
static double start;

static double now(void) {
    return cio_loop_time(cio_get_running_loop()) - start;
}

static void *fetch_pages(void *arg) {
    fetcher *f = arg;
    for (int i = 0; i < f->npages; i++) {
        const char *url = f->pages[i].url;
        int err = cio_sleep(f->pages[i].latency); /* the download */
        if (err == 0 && cio_queue_full(queue))
            printf("%.2f  %s: %s fetched, queue full, waiting\n", now(),
                   f->name, url);
        if (err == 0)
            err = cio_queue_put(queue, (void *)url);
        if (err)
            return cio_raise(err, NULL);
        printf("%.2f  %s: %s queued (%zu/%zu)\n", now(), f->name, url,
               cio_queue_qsize(queue), cio_queue_maxsize(queue));
    }
    return NULL;
}

static void *work(void *arg) {
    const char *name = arg;
    for (;;) {
        void *url;
        int err = cio_queue_get(queue, &url);
        if (err == CIO_EQUEUESHUTDOWN) {
            printf("%.2f  %s: queue shut down, leaving\n", now(), name);
            return NULL;
        }
        if (err)
            return cio_raise(err, NULL);
        printf("%.2f  %s: parsing %s\n", now(), name, (const char *)url);
        err = cio_sleep(0.12); /* the work */
        cio_queue_task_done(queue);
        if (err)
            return cio_raise(err, NULL);
    }
}

static void *amain(void *arg) {
    start = cio_loop_time(cio_get_running_loop());
    queue = cio_queue_new(2);
    if (queue == NULL)
        return cio_raise(cio_last_error(), "%s", cio_last_error_message());
    static const char *names[NWORKERS] = {"worker 1", "worker 2"};
    cio_future *workers[NWORKERS], *producers[NFETCHERS];
    for (size_t i = 0; i < NWORKERS; i++)
        workers[i] = cio_create_task(work, (void *)names[i]);
    for (size_t i = 0; i < NFETCHERS; i++)
        producers[i] = cio_create_task(fetch_pages, &fetchers[i]);
    int err = 0;
    for (size_t i = 0; i < NFETCHERS; i++) /* as gather: all run already */
        if (cio_await(producers[i], NULL) != 0 && err == 0)
            err = cio_future_error(producers[i]);
    if (err == 0)
        err = cio_queue_join(queue); /* every page parsed */
    if (err == 0)
        printf("%.2f  all pages parsed\n", now());
    cio_queue_shutdown(queue, false);
    for (size_t i = 0; i < NWORKERS; i++)
        cio_await(workers[i], NULL);
    cio_release_all(producers, NFETCHERS);
    cio_release_all(workers, NWORKERS);
    cio_queue_free(queue);
    return err ? cio_raise(err, NULL) : NULL;
}

int main(void) {
    cio_loop_options opts = {.virtual_time = true};
    int err = cio_run_ex(amain, NULL, NULL, &opts);
    if (err)
        fprintf(stderr, "producer_consumer: %s\n", cio_strerror(err));
    return err ? 1 : 0;
}
