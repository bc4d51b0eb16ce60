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
 *     print('asyncio.run(main()) returned', asyncio.run(main()))
 *
 *     # (b) the older style: the caller manages the loop...
 *     loop = asyncio.new_event_loop()
 *     loop.create_task(forgotten(), name='forgotten')
 *     print('run_until_complete returned', loop.run_until_complete(main()))
 *     loop.close()            # ...and may close it with a task pending
 *
 *     # (c) the older style done cleanly: cancel what is pending first
 *     loop = asyncio.new_event_loop()
 *     task = loop.create_task(forgotten(), name='forgotten')
 *     print('run_until_complete returned', loop.run_until_complete(main()))
 *     task.cancel()
 *     try:
 *         loop.run_until_complete(task)
 *     except asyncio.CancelledError:
 *         print("'forgotten' cancelled")
 *     loop.close()
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
#include <stdint.h>
#include <stdio.h>

static void *amain(void *arg) {
    puts("main: working");
    int err = cio_sleep(0.1);
    if (err)
        return cio_raise(err, NULL);
    puts("main: done");
    return (void *)(intptr_t)42;
}

static void *forgotten(void *arg) {
    /* Cancelled while asleep: cio_sleep returns CIO_ECANCELED, and returning
     * lets the cancellation propagate (the task ends CANCELLED). */
    if (cio_sleep(10) != 0)
        return NULL;
    puts("forgotten: woke up");
    return NULL;
}

static int failures;

static void report(const char *what, int err, void *result) {
    if (err) {
        printf("%s failed: %s\n", what, cio_strerror(err));
        failures++;
    } else {
        printf("%s returned %d\n", what, (int)(intptr_t)result);
    }
}

int main(void) {
    /* Line-buffer stdout so that, even through a pipe, its lines and the
     * loop's diagnostics on stderr come out in the order they happen. */
    setvbuf(stdout, NULL, _IOLBF, 0);

    void *result;
    int err;
    cio_task_options named = {.name = "forgotten"};

    puts("(a) cio_run, as asyncio.run");
    err = cio_run(amain, NULL, &result);
    report("cio_run(main)", err, result);

    puts("(b) the older style: new loop, run_until_complete, close");
    cio_loop *loop = cio_loop_new(NULL);
    if (loop == NULL) {
        fprintf(stderr, "%s\n", cio_last_error_message());
        return 1;
    }
    cio_future *task = cio_create_task_ex(loop, forgotten, NULL, &named);
    err = cio_loop_run_until_complete(loop, amain, NULL, &result);
    report("run_until_complete(main)", err, result);
    puts("closing the loop with 'forgotten' still pending");
    cio_release(task);
    cio_loop_close(loop); /* stderr: task 'forgotten' was destroyed ... */

    puts("(c) the older style, cleanly: cancel what is pending, then close");
    loop = cio_loop_new(NULL);
    if (loop == NULL) {
        fprintf(stderr, "%s\n", cio_last_error_message());
        return 1;
    }
    task = cio_create_task_ex(loop, forgotten, NULL, &named);
    err = cio_loop_run_until_complete(loop, amain, NULL, &result);
    report("run_until_complete(main)", err, result);
    cio_cancel(task, NULL);
    err = cio_loop_run_until_done(loop, task, NULL);
    if (err == CIO_ECANCELED)
        puts("'forgotten' cancelled");
    else
        report("run_until_done(forgotten)", err, NULL);
    cio_release(task);
    cio_loop_close(loop); /* nothing to report */
    puts("closed");
    return failures ? 1 : 0;
}
