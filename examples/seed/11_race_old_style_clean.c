/* The race in the old style, the clean way: the loser is cancelled and
 * awaited before the loop closes, so nothing is reported.
 *
 * fetch_ip and SERVICES are the notebook's, in services.h.
 *
 *     async def main():
 *         futures = [fetch_ip(service) for service in SERVICES]
 *         done, pending = await asyncio.wait(
 *             futures, return_when=FIRST_COMPLETED)
 *         print(done.pop().result())
 *         for future in pending:
 *             future.cancel()
 *         await asyncio.wait(pending)
 *
 *     ioloop = asyncio.get_event_loop()
 *     ioloop.run_until_complete(main())
 *     ioloop.close()
 */
#include "services.h"

/* The first to finish is taken whatever it is, as the notebook's code does:
 * if it failed, its failure is the program's (one line on stderr). */
static void *amain(void *arg) {
    cio_future *futures[] = {cio_create_task(fetch_ip, &SERVICES[0]),
                             cio_create_task(fetch_ip, &SERVICES[1])};
    long ndone = cio_wait(futures, 2, CIO_FIRST_COMPLETED, CIO_NO_TIMEOUT);
    int err = ndone < 0 ? (int)ndone : cio_future_error(futures[0]);
    if (err == 0)
        printf("%s\n", (char *)cio_future_result(futures[0]));
    else if (ndone > 0)
        fprintf(stderr, "%s\n", cio_future_error_message(futures[0]));
    if (ndone > 0)
        cio_cancel_all(futures + ndone,
                       2 - (size_t)ndone); /* and awaits them */
    for (long i = 0; i < ndone; i++) free(cio_future_result(futures[i]));
    cio_release_all(futures, 2);
    return err ? cio_raise(err, NULL) : NULL;
}

int main(void) {
    cio_loop *ioloop = cio_loop_new(NULL);
    int err = ioloop ? cio_loop_run_until_complete(ioloop, amain, NULL, NULL)
                     : cio_last_error();
    cio_loop_close(ioloop);
    return err ? 1 : 0;
}
