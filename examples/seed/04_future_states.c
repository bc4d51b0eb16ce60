// clang-format off
/* Cell 4: the states of a future, and of a task.
 *
 *     import asyncio
 *
 *     async def worker():
 *         me = asyncio.current_task()
 *         print(f"task '{me.get_name()}': {me._state}")
 *         return 42
 *
 *     async def main():
 *         loop = asyncio.get_running_loop()
 *
 *         fut = loop.create_future()
 *         print('future:', fut._state)
 *         fut.set_result(42)
 *         print(f'future: {fut._state}, result = {fut.result()}')
 *
 *         fut = loop.create_future()
 *         print('future:', fut._state)
 *         fut.cancel('no longer needed')
 *         try:
 *             fut.result()
 *         except asyncio.CancelledError as e:
 *             print(f'future: {fut._state}, message = "{e}"')
 *
 *         task = asyncio.create_task(worker(), name='worker')
 *         print(f"task '{task.get_name()}': {task._state}")
 *         result = await task
 *         print(f"task '{task.get_name()}': {task._state}, result = {result}")
 *
 *     asyncio.run(main())
 *
 * Python prints:                           cio prints:
 *
 *     future: PENDING                          future: PENDING
 *     future: FINISHED, result = 42            future: DONE, result = 42
 *     future: PENDING                          future: PENDING
 *     future: CANCELLED, message = "no l..."   future: CANCELLED, message = "no l..."
 *     task 'worker': PENDING                   task 'worker': PENDING
 *     task 'worker': PENDING                   task 'worker': RUNNING
 *     task 'worker': FINISHED, result = 42     task 'worker': DONE, result = 42
 *
 * Two differences. cio names the finished state DONE, as the asyncio
 * documentation does (the attribute says FINISHED). And a task that has
 * started is RUNNING in cio (the state concurrent.futures has), where
 * asyncio leaves it PENDING until it is done: "just created" and "running
 * now" are both visible.
 */
// clang-format on
#include <cio.h>

static void *worker(void *arg) {
    cio_future *me = cio_current_task();
    printf("task '%s': %s\n", cio_task_get_name(me), cio_state_of(me));
    return cio_from_int(42);
}

CIO_ASYNC_MAIN(arg) {
    cio_future *f = cio_future_new(NULL);
    if (!f) return cio_reraise();
    printf("future: %s\n", cio_state_of(f));
    CIO_TRY(cio_future_set_result(f, cio_from_int(42)));
    printf("future: %s, result = %ld\n", cio_state_of(f), cio_result_int(f));
    cio_close(f);

    if (!(f = cio_future_new(NULL))) return cio_reraise();
    printf("future: %s\n", cio_state_of(f));
    CIO_TRY(cio_cancel(f, "no longer needed")); /* CANCELLED, with: */
    printf("future: %s, message = \"%s\"\n", cio_state_of(f),
           cio_future_error_message(f));
    cio_close(f);

    cio_future *task = cio_create_named_task("worker", worker, NULL);
    if (!task) return cio_reraise();
    printf("task '%s': %s\n", cio_task_get_name(task), cio_state_of(task));
    int err = cio_await(task, NULL);
    if (!err)
        printf("task '%s': %s, result = %ld\n", cio_task_get_name(task),
               cio_state_of(task), cio_result_int(task));
    cio_close(task);
    return cio_raise_if(err);
}
