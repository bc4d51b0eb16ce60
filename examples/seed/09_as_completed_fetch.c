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
 * SEED fixes the random sleeps. A failed GET ends the program with one line
 * on stderr, where Python would print a traceback.
 */
#include <cio.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MAX_CLIENTS 3

static const char *url(void) {
    const char *u = getenv("EVENTS_URL");
    return u ? u : "https://api.github.com/events";
}

static double now(void) { return cio_loop_time(cio_get_running_loop()); }

static void *fetch_async(void *arg) {
    int pid = (int)(intptr_t)arg;
    double start = now();
    int sleepy_time = 2 + rand() % 4;
    printf("Fetch async process %d started, sleeping for %d seconds\n", pid,
           sleepy_time);
    int err = cio_sleep(sleepy_time);
    cio_http_session *session = cio_http_session_new(NULL, NULL);
    cio_http_response *response = NULL;
    if (!err)
        err = session ? cio_http_get(session, url(), &response)
                      : cio_last_error();
    if (err) {
        cio_http_session_close(session);
        return cio_raise(err, "process %d: GET %s: %s", pid, url(),
                         cio_last_error_message());
    }
    char *line = NULL;
    if (asprintf(&line, "Process %d: %s, took: %.2f seconds", pid,
                 cio_http_response_header(response, "Date"), now() - start) < 0)
        line = NULL;
    cio_http_response_release(response);
    cio_http_session_close(session);
    return line ? line : cio_raise(CIO_ENOMEM, NULL);
}

static void *amain(void *arg) {
    double start = now();
    cio_future *futures[MAX_CLIENTS];
    for (int i = 0; i < MAX_CLIENTS; i++)
        futures[i] = cio_create_task(fetch_async, (void *)(intptr_t)(i + 1));
    int i = 0, err;
    cio_future *future;
    cio_foreach_completed(future, futures, MAX_CLIENTS, CIO_NO_TIMEOUT, err) {
        char *result;
        if ((err = cio_await(future, (void **)&result)) != 0) {
            fprintf(stderr, "%s\n", cio_future_error_message(future));
            break; /* a traceback in Python */
        }
        printf("%.*s %s\n", 2 * ++i, ">>>>>>", result);
    }
    if (err == 0) printf("Process took: %.2f seconds\n", now() - start);
    cio_cancel_all(futures, MAX_CLIENTS); /* none left behind on an error */
    for (int k = 0; k < MAX_CLIENTS; k++) free(cio_future_result(futures[k]));
    cio_release_all(futures, MAX_CLIENTS);
    return err ? cio_raise(err, NULL) : NULL;
}

int main(void) {
    const char *seed = getenv("SEED");
    srand(seed ? (unsigned)atoi(seed) : (unsigned)time(NULL));
    return cio_run(amain, NULL, NULL) ? 1 : 0;
}
