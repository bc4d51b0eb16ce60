/* as_completed over three GETs: results as they arrive.
 *
 *     URL = 'https://api.github.com/events'
 *     MAX_CLIENTS = 3
 *
 *     async def aiohttp_get(url):
 *         async with aiohttp.ClientSession() as session:
 *             return await session.get(url)
 *
 *     async def fetch_async(pid):
 *         start = time.time()
 *         sleepy_time = random.randint(2, 5)
 *         print('Fetch async process {} started, sleeping for {} seconds'
 *               .format(pid, sleepy_time))
 *         await asyncio.sleep(sleepy_time)
 *         response = await aiohttp_get(URL)
 *         datetime = response.headers.get('Date')
 *         response.close()
 *         return 'Process {}: {}, took: {:.2f} seconds'.format(
 *             pid, datetime, time.time() - start)
 *
 *     async def main():
 *         start = time.time()
 *         futures = [fetch_async(i) for i in range(1, MAX_CLIENTS + 1)]
 *         for i, future in enumerate(asyncio.as_completed(futures)):
 *             result = await future
 *             print('{} {}'.format(">>" * (i + 1), result))
 *         print("Process took: {:.2f} seconds".format(time.time() - start))
 *
 *     asyncio.run(main())
 *
 * EVENTS_URL overrides the URL (make demo points it at a local stand-in);
 * SEED fixes the random sleeps. aiohttp_get is cio_http_get_once: a GET on
 * a session made for it, as the `async with` makes one; the response is a
 * cio_http_response_auto, released however fetch_async returns, as
 * response.close(). A failed GET ends the program with one line on stderr
 * naming the process (CIO_TRY_IN), where Python would print a traceback.
 * cio_foreach_range_result is the list of coroutines, as_completed over
 * them and the loop with each result awaited, and its position: `for i,
 * future in enumerate(...)`. After a failure the processes still running
 * are left to cio_main, which cancels them as asyncio.run does.
 */
#include <cio.h>
#include <stdlib.h>
#include <time.h>

#define URL "https://api.github.com/events"
#define MAX_CLIENTS 3

static char lines[MAX_CLIENTS + 1][128]; /* each process's result */

static void *fetch_async(void *arg) {
    long pid = cio_int(arg);
    double start = cio_time();
    int sleepy_time = 2 + rand() % 4;
    printf("Fetch async process %ld started, sleeping for %d seconds\n", pid,
           sleepy_time);
    CIO_TRY(cio_sleep(sleepy_time));
    const char *url = getenv("EVENTS_URL") ? getenv("EVENTS_URL") : URL;
    cio_http_response_auto *response = NULL; /* released on return */
    CIO_TRY_IN(cio_http_get_once(url, &response), "process %ld", pid);
    return cio_return_format(lines[pid], "Process %ld: %s, took: %.2f seconds",
                             pid, cio_http_response_header(response, "Date"),
                             cio_time() - start);
}

CIO_ASYNC_MAIN(arg) {
    srand(getenv("SEED") ? atoi(getenv("SEED")) : time(NULL));
    double start = cio_time();
    char *result;
    int i;
    cio_foreach_range_result(result, fetch_async, 1, MAX_CLIENTS + 1, i)
        printf("%.*s %s\n", 2 * i, ">>>>>>", result);
    if (!i) printf("Process took: %.2f seconds\n", cio_time() - start);
    return cio_raise_if(i); /* a traceback in Python */
}
