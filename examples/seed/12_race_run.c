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
 * if it failed, its failure is the program's (one line on stderr). The
 * loser is left to the loop: cio_main cancels it, as asyncio.run does. */
CIO_ASYNC_MAIN(arg) {
    char *line;
    CIO_TRY(cio_first_completed(fetch_ip, SERVICES, 2, &line));
    puts(line); /* print(done.pop().result()) */
    return NULL;
}
