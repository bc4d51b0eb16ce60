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
    cio_future *futures[2];
    CIO_TRY(cio_create_each(futures, fetch_ip, SERVICES, 2));
    int err = cio_wait_first(futures, 2, NULL); /* done.pop().result() */
    if (!err) puts(cio_future_result(futures[0]));
    /* the loser is cancelled and awaited */
    cio_cancel_release_all(futures, 2);
    return cio_raise_if(err);
}

int main(void) {
    cio_loop *ioloop = cio_loop_new(NULL);
    int status = cio_loop_main(ioloop, amain, NULL); /* run_until_complete */
    return cio_loop_close(ioloop) < 0 || status;
}
