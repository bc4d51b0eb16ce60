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
 *     future: CANCELLED, message = "no l..."   future: CANCELLED, message = "no
 * longer needed" task 'worker': PENDING                   task 'worker':
 * PENDING task 'worker': PENDING                   task 'worker': RUNNING task
 * 'worker': FINISHED, result = 42     task 'worker': DONE, result = 42
 *
 * Two differences. cio names the finished state DONE, as the asyncio
 * documentation does (the attribute says FINISHED). And a task that has
 * started is RUNNING in cio (the state concurrent.futures has), where
 * asyncio leaves it PENDING until it is done: "just created" and "running
 * now" are both visible.
 */
#include <cio.h>
#include <stdint.h>
#include <stdio.h>

static void *worker(void *arg) {
    cio_future *me = cio_current_task(); /* borrowed: no release */
    printf("task '%s': %s\n", cio_task_get_name(me),
           cio_state_name(cio_future_state(me)));
    return (void *)(intptr_t)42;
}

static void *amain(void *arg) {

    /* PENDING -> DONE */
    cio_future *fut = cio_future_new(NULL);
    if (fut == NULL)
        return cio_raise(cio_last_error(), "%s", cio_last_error_message());
    printf("future: %s\n", cio_state_name(cio_future_state(fut)));
    cio_future_set_result(fut, (void *)(intptr_t)42);
    printf("future: %s, result = %d\n", cio_state_name(cio_future_state(fut)),
           (int)(intptr_t)cio_future_result(fut));
    cio_release(fut);

    /* PENDING -> CANCELLED */
    fut = cio_future_new(NULL);
    if (fut == NULL)
        return cio_raise(cio_last_error(), "%s", cio_last_error_message());
    printf("future: %s\n", cio_state_name(cio_future_state(fut)));
    cio_cancel(fut, "no longer needed");
    if (cio_future_error(fut) == CIO_ECANCELED)
        printf("future: %s, message = \"%s\"\n",
               cio_state_name(cio_future_state(fut)),
               cio_future_error_message(fut));
    cio_release(fut);

    /* a task: PENDING (created, not started) -> RUNNING -> DONE */
    cio_task_options opts = {.name = "worker"};
    cio_future *task = cio_create_task_ex(NULL, worker, NULL, &opts);
    if (task == NULL)
        return cio_raise(cio_last_error(), "%s", cio_last_error_message());
    printf("task '%s': %s\n", cio_task_get_name(task),
           cio_state_name(cio_future_state(task)));
    void *result;
    int err = cio_await(task, &result);
    if (err == 0)
        printf("task '%s': %s, result = %d\n", cio_task_get_name(task),
               cio_state_name(cio_future_state(task)), (int)(intptr_t)result);
    cio_release(task);
    return err ? cio_raise(err, NULL) : NULL;
}

int main(void) {
    int err = cio_run(amain, NULL, NULL);
    if (err)
        fprintf(stderr, "future_states: %s\n", cio_strerror(err));
    return err ? 1 : 0;
}
