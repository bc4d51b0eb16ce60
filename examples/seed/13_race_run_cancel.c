/* The race with asyncio.run, cancelling the loser explicitly, as the
 * notebook advises.
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
 *
 *     asyncio.run(main())
 */
#include "services.h"

/* The first to finish is taken whatever it is, as the notebook's code does:
 * if it failed, its failure is the program's (one line on stderr). */
CIO_ASYNC_MAIN(arg) {
    cio_future *futures[2];
    CIO_TRY(cio_create_each(futures, fetch_ip, SERVICES, 2));
    int err = cio_wait_first(futures, 2, NULL); /* done.pop().result() */
    if (!err) puts(cio_future_result(futures[0]));
    /* the loser is cancelled and awaited */
    cio_cancel_release_all(futures, 2);
    return cio_raise_if(err);
}
