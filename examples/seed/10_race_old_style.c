/* The race of two services, in the old style: the first answer wins,
 * the loser is left pending and the loop closed on it.
 *
 * fetch_ip and SERVICES are the notebook's, in services.h.
 *
 *     async def main():
 *         futures = [fetch_ip(service) for service in SERVICES]
 *         done, pending = await asyncio.wait(
 *             futures, return_when=FIRST_COMPLETED)
 *         print(done.pop().result())
 *
 *     ioloop = asyncio.get_event_loop()
 *     ioloop.run_until_complete(main())
 *     ioloop.close()
 *
 * As in Python, closing the loop on the pending loser is reported: "task
 * 'Task-3' was destroyed but it is pending". 11_race_old_style_clean.c is
 * the clean way.
 */
#include "services.h"

/* The first to finish is taken whatever it is, as the notebook's code does:
 * if it failed, its failure is the program's (one line on stderr). The
 * loser stays pending, held by the loop. */
static void *amain(void *arg) {
    char *line;
    CIO_TRY(cio_first_completed(fetch_ip, SERVICES, 2, &line));
    puts(line); /* print(done.pop().result()) */
    return NULL;
}

int main(void) {
    cio_loop *ioloop = cio_loop_new(NULL);
    int status = cio_loop_main(ioloop, amain, NULL); /* run_until_complete */
    return cio_loop_close(ioloop) < 0 || status;
}
