/* Cell 5: two ways to run a program, and what closing a loop with a task
 * still pending looks like.
 *
 *     import asyncio
 *
 *     async def main():
 *         print('main: working')
 *         await asyncio.sleep(0.1)
 *         print('main: done')
 *         return 42
 *
 *     async def forgotten():
 *         await asyncio.sleep(10)
 *
 *     # (a) the modern way: a new loop, run main, cancel leftovers, close
 *     print('(a) asyncio.run')
 *     print('asyncio.run(main) returned', asyncio.run(main()))
 *
 *     # (b) the older style: the caller manages the loop...
 *     print('(b) the older style: new loop, run_until_complete, close')
 *     loop = asyncio.new_event_loop()
 *     loop.create_task(forgotten(), name='forgotten')
 *     print('run_until_complete(main) returned',
 *           loop.run_until_complete(main()))
 *     print("closing the loop with 'forgotten' still pending")
 *     loop.close()            # ...and may close it with a task pending
 *
 *     # (c) the older style done cleanly: cancel what is pending first
 *     print('(c) the older style, cleanly: cancel what is pending, then close')
 *     loop = asyncio.new_event_loop()
 *     task = loop.create_task(forgotten(), name='forgotten')
 *     print('run_until_complete(main) returned',
 *           loop.run_until_complete(main()))
 *     task.cancel()
 *     try:
 *         loop.run_until_complete(task)
 *     except asyncio.CancelledError:
 *         print("'forgotten' cancelled")
 *     loop.close()
 *     print('closed')
 *
 * In (b) Python prints, on stderr, when the task is garbage collected:
 *
 *     Task was destroyed but it is pending!
 *     task: <Task pending name='forgotten' coro=<forgotten() ...>>
 *
 * cio says it when the loop is closed, on stderr:
 *
 *     cio: task 'forgotten' was destroyed but it is pending
 *
 * In (c) nothing is reported. cio_run, like asyncio.run, does (c)'s cleanup
 * by itself.
 */
#include <cio.h>
#include <stdlib.h>

static void *amain(void *arg) {
    puts("main: working");
    CIO_TRY(cio_sleep(0.1));
    puts("main: done");
    return cio_from_int(42);
}

static void *forgotten(void *arg) { return cio_raise_if(cio_sleep(10)); }

/* What a call returned; a failure ends the program, as an exception would. */
static void report(const char *what, int err, void **result) {
    if (err) fprintf(stderr, "%s: %s\n", what, cio_strerror(err));
    if (err) exit(1);
    printf("%s returned %ld\n", what, cio_int(*result));
}

int main(void) {
    void *r;
    puts("(a) cio_run, as asyncio.run");
    report("cio_run(main)", cio_run(amain, NULL, &r), &r);
    /* (b) and (c): the older style, without and with the cleanup */
    for (int clean = 0; clean < 2; clean++) {
        puts(clean
                 ? "(c) the older style, cleanly: cancel what is pending, "
                   "then close"
                 : "(b) the older style: new loop, run_until_complete, close");
        cio_loop *loop = cio_loop_new(NULL);
        cio_future *task = cio_create_named_task("forgotten", forgotten, NULL);
        if (!task) report("create_task", cio_last_error(), NULL);
        report("run_until_complete(main)",
               cio_loop_run_until_complete(loop, amain, NULL, &r), &r);
        if (!clean) puts("closing the loop with 'forgotten' still pending");
        if (clean && cio_cancel(task, NULL) == 1 &&
            cio_loop_run_until_done(loop, task, NULL) == CIO_ECANCELED)
            puts("'forgotten' cancelled");
        cio_close(task);
        cio_close(loop); /* (b): "task 'forgotten' was destroyed ..." */
    }
    puts("closed");
}
