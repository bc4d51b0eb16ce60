/* wait_first.c - the race of cio/sugar.h: asyncio.wait(FIRST_COMPLETED)
 * and the winner's result, in one call. */
#include "combine/internal.h"

int cio_wait_first_at(cio_future **futures, size_t n, void **result,
                      const char *file, int line) {
    if (result)
        *result = NULL;
    long done = cio_wait_at(futures, n, CIO_FIRST_COMPLETED, CIO_NO_TIMEOUT,
                            file, line);
    if (done < 0) {
        if (cio_last_error() != (int)done) /* keep cio_wait's own words */
            cio__set_error((int)done, "cio_wait_first: %s",
                           cio_strerror((int)done));
        return (int)done;
    }
    /* those that finished in the same pass lost the race: their outcome
     * is seen (a failure of theirs is not reported as never retrieved) */
    for (long i = 1; i < done; i++)
        (void)cio_future_error(futures[i]);
    return cio_await_result_at(futures[0], result, file, line);
}
