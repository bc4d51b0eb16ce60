/* The race with asyncio.run: the loser is cancelled by cio_run when
 * main returns, so nothing is reported.
 *
 * fetch_ip and SERVICES are the notebook's, in services.h.
 *
 *     async def main():
 *         futures = [fetch_ip(service) for service in SERVICES]
 *         done, pending = await asyncio.wait(
 *             futures, return_when=FIRST_COMPLETED)
 *         print(done.pop().result())
 *
 *     asyncio.run(main())
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
    /* cio_run cancels the loser, as asyncio.run does */
    for (long i = 0; i < ndone; i++) free(cio_future_result(futures[i]));
    cio_release_all(futures, 2);
    return err ? cio_raise(err, NULL) : NULL;
}

int main(void) { return cio_run(amain, NULL, NULL) ? 1 : 0; }
