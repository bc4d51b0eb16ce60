// clang-format off
/* Cell 2: three coroutines that block without blocking each other.
 *
 *     import time
 *     import asyncio
 *
 *     start = time.time()
 *
 *     def tic():
 *         return 'at %1.1f seconds' % (time.time() - start)
 *
 *     async def gr1():
 *         # Busy waits for a second, but we don't want to stick around...
 *         print('gr1 started work: {}'.format(tic()))
 *         await asyncio.sleep(2)
 *         print('gr1 ended work: {}'.format(tic()))
 *
 *     async def gr2():
 *         # Busy waits for a second, but we don't want to stick around...
 *         print('gr2 started work: {}'.format(tic()))
 *         await asyncio.sleep(2)
 *         print('gr2 Ended work: {}'.format(tic()))
 *
 *     async def gr3():
 *         print("Let's do some stuff while the coroutines are blocked, {}".format(tic()))
 *         await asyncio.sleep(1)
 *         print("Done!")
 *
 *     async def main():
 *         await asyncio.gather(gr1(), gr2(), gr3())
 *
 *     asyncio.run(main())
 *
 * Output, about two seconds in all (not 2 + 2 + 1):
 *
 *     gr1 started work: at 0.0 seconds
 *     gr2 started work: at 0.0 seconds
 *     Let's do some stuff while the coroutines are blocked, at 0.0 seconds
 *     Done!
 *     gr1 ended work: at 2.0 seconds
 *     gr2 Ended work: at 2.0 seconds
 *
 * tic() reads the loop's clock (cio_time(), asyncio's loop.time()) from the
 * first call on.
 */
// clang-format on
#include <cio.h>

static double tic(void) {
    static double start;
    if (!start) start = cio_time();
    return cio_time() - start;
}

static void *gr1(void *arg) {
    printf("gr1 started work: at %1.1f seconds\n", tic());
    CIO_TRY(cio_sleep(2));
    printf("gr1 ended work: at %1.1f seconds\n", tic());
    return NULL;
}

static void *gr2(void *arg) {
    printf("gr2 started work: at %1.1f seconds\n", tic());
    CIO_TRY(cio_sleep(2));
    printf("gr2 Ended work: at %1.1f seconds\n", tic());
    return NULL;
}

static void *gr3(void *arg) {
    const char *msg = "Let's do some stuff while the coroutines are blocked";
    printf("%s, at %1.1f seconds\n", msg, tic());
    CIO_TRY(cio_sleep(1));
    puts("Done!");
    return NULL;
}

CIO_MAIN_ALL({gr1, NULL}, {gr2, NULL}, {gr3, NULL})
