// clang-format off
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
 *                 print(f'{now():.2f}  {name}: {url} fetched, queue full, waiting')
 *             await queue.put(url)
 *             print(f'{now():.2f}  {name}: {url} queued ({queue.qsize()}/{queue.maxsize})')
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
 *         global start
 *         start = asyncio.get_running_loop().time()
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
 * (cio_loop_options.virtual_time), which starts at 0: sleeps take no real
 * time and the output is the same on every machine. Without the option it
 * takes its 0.58 s.
 */
// clang-format on
#include <cio.h>

static struct site {
    const char *name, *urls[4]; /* the fetcher's letter, its pages */
    double latency[3];
} sites[] = {
    {"A", {"a.example/1", "a.example/2", "a.example/3"}, {.10, .05, .05}},
    {"B", {"b.example/1", "b.example/2"}, {.05, .20}},
    {"C", {"c.example/1", "c.example/2", "c.example/3"}, {.15, .05, .05}}};

static cio_queue *queue;
static double start;
static double now(void) { return cio_time() - start; }
/* print(f'{now():.2f}  ...') */
#define say(...) (printf("%.2f  ", now()), printf(__VA_ARGS__), puts(""))

static void *fetcher(void *index) {
    struct site *s = &sites[cio_int(index)];
    for (const char **url = s->urls; *url; url++) {
        CIO_TRY(cio_sleep(s->latency[url - s->urls])); /* the download */
        if (cio_queue_full(queue))
            say("fetcher %s: %s fetched, queue full, waiting", s->name, *url);
        CIO_TRY(cio_queue_put(queue, (void *)*url));
        say("fetcher %s: %s queued (%zu/%zu)", s->name, *url,
            cio_queue_qsize(queue), cio_queue_maxsize(queue));
    }
    return NULL;
}

static void *worker(void *arg) {
    const char *name = arg;
    int err;
    for (void *url; !(err = cio_queue_get(queue, &url));) {
        say("%s: parsing %s", name, (char *)url);
        CIO_TRY(cio_sleep(0.12)); /* the work */
        CIO_TRY(cio_queue_task_done(queue));
    }
    if (err == CIO_EQUEUESHUTDOWN) say("%s: queue shut down, leaving", name);
    return cio_raise_if(err == CIO_EQUEUESHUTDOWN ? 0 : err);
}

static void *amain(void *arg) {
    start = cio_time();
    if (!(queue = cio_queue_new(2))) return cio_reraise();
    cio_future *w[2];
    int err = cio_create_all(w, {worker, "worker 1"}, {worker, "worker 2"});
    if (!err) err = cio_gather_range(fetcher, 0, 3, NULL); /* sites[0..2] */
    if (!err && !(err = cio_queue_join(queue))) say("all pages parsed");
    if (!err) cio_queue_shutdown(queue, false); /* the workers leave */
    if (!err) err = cio_gather(w, 2, NULL);
    cio_cancel_release_all(w, 2); /* on an error, nothing left running */
    cio_close(queue);
    return cio_raise_if(err);
}

CIO_MAIN_EX(amain, {.virtual_time = true})
