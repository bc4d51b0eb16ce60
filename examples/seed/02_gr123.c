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
 *         print("Let's do some stuff while the coroutines are blocked,
 * {}".format(tic())) await asyncio.sleep(1) print("Done!")
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
 */
#include <cio.h>
#include <stdio.h>

static double start;

/* The loop's clock is monotonic seconds. */
static double now(void) {
    return cio_loop_time(cio_get_running_loop());
}

static const char *tic(void) {
    static char text[32];
    snprintf(text, sizeof text, "at %1.1f seconds", now() - start);
    return text;
}

static void *gr1(void *arg) {
    printf("gr1 started work: %s\n", tic());
    cio_sleep(2);
    printf("gr1 ended work: %s\n", tic());
    return NULL;
}

static void *gr2(void *arg) {
    printf("gr2 started work: %s\n", tic());
    cio_sleep(2);
    printf("gr2 Ended work: %s\n", tic());
    return NULL;
}

static void *gr3(void *arg) {
    printf("Let's do some stuff while the coroutines are blocked, %s\n", tic());
    cio_sleep(1);
    puts("Done!");
    return NULL;
}

static void *amain(void *arg) {
    start = now();
    cio_future *tasks[] = {cio_create_task(gr1, NULL),
                           cio_create_task(gr2, NULL),
                           cio_create_task(gr3, NULL)};
    /* gather(): the three run side by side; wait for each in turn. */
    int err = 0;
    for (size_t i = 0; i < 3 && err == 0; i++)
        err = cio_await(tasks[i], NULL);
    cio_release_all(tasks, 3);
    return err ? cio_raise(err, NULL) : NULL;
}

int main(void) {
    int err = cio_run(amain, NULL, NULL);
    if (err)
        fprintf(stderr, "gr123: %s\n", cio_strerror(err));
    return err ? 1 : 0;
}
