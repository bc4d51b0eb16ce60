/* Cell 1: two coroutines handing control to each other.
 *
 *     import asyncio
 *
 *     async def foo():
 *         print('Running in foo')
 *         await asyncio.sleep(0)
 *         print('Explicit context switch to foo again')
 *
 *     async def bar():
 *         print('Explicit context to bar')
 *         await asyncio.sleep(0)
 *         print('Implicit context switch back to bar')
 *
 *     async def main():
 *         await asyncio.gather(foo(), bar())
 *
 *     asyncio.run(main())
 *
 * Output:
 *
 *     Running in foo
 *     Explicit context to bar
 *     Explicit context switch to foo again
 *     Implicit context switch back to bar
 *
 * cio_sleep(0), like asyncio.sleep(0), gives every other ready task one turn
 * before the caller continues. Each task runs on its own stack, so a plain
 * call suspends it: no `async`, no `await` keyword.
 */
#include <cio.h>
#include <stdio.h>

static void *foo(void *arg) {
    puts("Running in foo");
    cio_sleep(0);
    puts("Explicit context switch to foo again");
    return NULL;
}

static void *bar(void *arg) {
    puts("Explicit context to bar");
    cio_sleep(0);
    puts("Implicit context switch back to bar");
    return NULL;
}

static void *amain(void *arg) {
    cio_future *tasks[] = {cio_create_task(foo, NULL),
                           cio_create_task(bar, NULL)};
    /* gather(): the tasks already run side by side, so awaiting them one
     * after the other waits for all of them. */
    int err = 0;
    for (size_t i = 0; i < 2 && err == 0; i++)
        err = cio_await(tasks[i], NULL);
    cio_release_all(tasks, 2);
    return err ? cio_raise(err, NULL) : NULL;
}

int main(void) {
    int err = cio_run(amain, NULL, NULL);
    if (err)
        fprintf(stderr, "foo_bar: %s\n", cio_strerror(err));
    return err ? 1 : 0;
}
