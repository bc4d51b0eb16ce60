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
 * call suspends it: no `async`, no `await` keyword. CIO_TRY passes a failure
 * on (here: a cancellation) as the exception would propagate in Python;
 * CIO_MAIN_ALL is the main that only gathers, and asyncio.run.
 */
#include <cio.h>

static void *foo(void *arg) {
    puts("Running in foo");
    CIO_TRY(cio_sleep(0));
    puts("Explicit context switch to foo again");
    return NULL;
}

static void *bar(void *arg) {
    puts("Explicit context to bar");
    CIO_TRY(cio_sleep(0));
    puts("Implicit context switch back to bar");
    return NULL;
}

CIO_MAIN_ALL({foo, NULL}, {bar, NULL})
