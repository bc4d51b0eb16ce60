/* Unit tests: an error return carries a message that names the call and
 * says what is wrong (cio_last_error_message), a sample of each area. Each
 * check first plants a stale message, so a call that sets none fails it. */
#include "../cio_test.h"
#include "core/internal.h"

#include <netdb.h>
#include <signal.h>
#include <sys/socket.h>

/* Run `call`, expect the code `code` and a message holding `text`. */
#define EXPECT_MSG(call, code, text)                                           \
    do {                                                                       \
        cio__set_error(-1, "stale");                                           \
        long rc_ = (long)(call);                                               \
        CHECK_INT(rc_, (code));                                                \
        CHECK_INT(cio_last_error(), (code));                                   \
        if (!strstr(cio_last_error_message(), (text)))                         \
            ct_failed(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"",       \
                      cio_last_error_message(), (text));                       \
    } while (0)

static void test_core_and_thread(void **state) {
    (void)state;
    EXPECT_MSG(cio_cancel(NULL, NULL), CIO_EINVAL,
               "cio_cancel: future is NULL");
    EXPECT_MSG(cio_handle_cancel(NULL), CIO_EINVAL, "cio_handle_cancel");
    EXPECT_MSG(cio_loop_close(NULL), CIO_EINVAL,
               "cio_loop_close: loop is NULL");
    EXPECT_MSG(cio_dump_tasks(NULL, NULL), CIO_EINVAL, "cio_dump_tasks");
    EXPECT_MSG(cio_sleep(1), CIO_ENOTASK, "cio_sleep: not in a task");
    EXPECT_MSG(cio_await(NULL, NULL), CIO_ENOTASK, "cio_await");
    EXPECT_MSG(cio_future_add_done_callback(NULL, NULL, NULL), CIO_EINVAL,
               "cio_future_add_done_callback: future or callback is NULL");
    EXPECT_MSG(cio_future_set_result(NULL, NULL), CIO_EINVAL,
               "cio_future_set_result: future is NULL");
    EXPECT_MSG(cio_tfuture_result(NULL, 0, NULL), CIO_EINVAL,
               "cio_tfuture_result: future is NULL");
    EXPECT_MSG(cio_tfuture_wait(NULL, 1, CIO_ALL_COMPLETED, 0), CIO_EINVAL,
               "cio_tfuture_wait");
    EXPECT_MSG(cio_executor_threads(NULL), CIO_EINVAL, "cio_executor_threads");
    EXPECT_MSG(cio_call_soon_threadsafe(NULL, NULL, NULL), CIO_EINVAL,
               "cio_call_soon_threadsafe: loop or callback is NULL");
    checks_assert();
}

static void test_loop_and_future(void **state) {
    (void)state;
    cio_loop *loop = cio_loop_new(NULL);
    assert_non_null(loop);
    EXPECT_MSG(cio_call_later(loop, 1, NULL, NULL, NULL), CIO_EINVAL,
               "cio_call_later: callback is NULL");
    cio_future *f = cio_future_new(loop);
    assert_non_null(f);
    assert_int_equal(cio_future_set_result(f, NULL), 0);
    EXPECT_MSG(cio_future_set_result(f, NULL), CIO_EINVALIDSTATE,
               "cio_future_set_result: the future is already done");
    /* f keeps the closed loop's memory until it is released */
    /* a sync object of this loop, used where no task runs */
    assert_int_equal(cio_set_loop(loop), 0);
    cio_lock *lock = cio_lock_new(NULL);
    assert_non_null(lock);
    EXPECT_MSG(cio_lock_acquire(lock), CIO_ENOTASK, "must run in a task");
    assert_int_equal(cio_lock_free(lock), 0);
    assert_int_equal(cio_set_loop(NULL), 0);
    assert_int_equal(cio_loop_close(loop), 0);
    EXPECT_MSG(cio_loop_stop(loop), CIO_ELOOPCLOSED,
               "cio_loop_stop: the loop is closed");
    cio_release(f);
    checks_assert();
}

static void test_sync(void **state) {
    (void)state;
    void *item = NULL;
    EXPECT_MSG(cio_event_set(NULL), CIO_EINVAL, "cio_event_set: event is NULL");
    EXPECT_MSG(cio_condition_notify(NULL, 1), CIO_EINVAL,
               "cio_condition_notify");
    EXPECT_MSG(cio_queue_get_nowait(NULL, &item), CIO_EINVAL,
               "cio_queue_get_nowait: queue or item is NULL");
    EXPECT_MSG(cio_barrier_reset(NULL), CIO_EINVAL, "cio_barrier_reset");
    EXPECT_MSG(cio_semaphore_release(NULL), CIO_EINVAL,
               "cio_semaphore_post: semaphore is NULL");
    checks_assert();
}

static void *sync_main(void *arg) {
    (void)arg;
    void *item = NULL;
    cio_queue *q = cio_queue_new(1);
    CHECK(q != NULL);
    CHECK_INT(cio_queue_put_nowait(q, IPTR(1)), 0);
    EXPECT_MSG(cio_queue_put_nowait(q, IPTR(2)), CIO_EQUEUEFULL,
               "cio_queue_put_nowait: the queue is full");
    CHECK_INT(cio_queue_get_nowait(q, &item), 0);
    EXPECT_MSG(cio_queue_get_nowait(q, &item), CIO_EQUEUEEMPTY,
               "cio_queue_get_nowait: the queue is empty");
    CHECK_INT(cio_queue_shutdown(q, false), 0);
    EXPECT_MSG(cio_queue_put_nowait(q, IPTR(3)), CIO_EQUEUESHUTDOWN,
               "shut down");
    CHECK_INT(cio_queue_task_done(q), 0);
    EXPECT_MSG(cio_queue_task_done(q), CIO_EOVERRELEASE,
               "cio_queue_task_done: called more times");
    cio_queue_free(q);
    cio_lock *lock = cio_lock_new(NULL);
    CHECK(lock != NULL);
    EXPECT_MSG(cio_lock_release(lock), CIO_ENOTLOCKED, "not acquired");
    cio_lock_free(lock);
    return NULL;
}

static void test_sync_in_a_task(void **state) {
    (void)state;
    assert_int_equal(cio_run(sync_main, NULL, NULL), 0);
    checks_assert();
}

static void *combine_main(void *arg) {
    (void)arg;
    EXPECT_MSG(cio_wait_for(NULL, 1, NULL), CIO_EINVAL, "cio_wait_for");
    EXPECT_MSG(cio_gather_ex(NULL, 0, NULL, 0x100), CIO_EINVAL,
               "cio_gather: unknown flags");
    EXPECT_MSG(cio_taskgroup_wait(NULL, 0), CIO_EINVAL,
               "cio_taskgroup_wait: group is NULL");
    return NULL;
}

static void test_combine(void **state) {
    (void)state;
    EXPECT_MSG(cio_wait_for(NULL, 1, NULL), CIO_ENOTASK,
               "cio_wait_for: not in a task");
    assert_int_equal(cio_run(combine_main, NULL, NULL), 0);
    checks_assert();
}

static void test_net_http_process(void **state) {
    (void)state;
    char buf[4];
    char *line = NULL;
    EXPECT_MSG(cio_stream_read(NULL, buf, sizeof buf), CIO_EINVAL,
               "cio_stream_read: stream is NULL");
    EXPECT_MSG(cio_stream_readline(NULL, &line), CIO_EINVAL,
               "cio_stream_readline");
    EXPECT_MSG(cio_stream_drain(NULL), CIO_EINVAL, "cio_stream_drain");
    EXPECT_MSG(cio_server_port(NULL), CIO_EINVAL,
               "cio_server_port: server is NULL");
    EXPECT_MSG(cio_web_response_finish(NULL), CIO_EINVAL,
               "cio_web_response_finish: response is NULL");
    EXPECT_MSG(cio_web_request_peer(NULL, NULL, NULL), CIO_EINVAL,
               "cio_web_request_peer");
    EXPECT_MSG(cio_http_response_raise_for_status(NULL), CIO_EINVAL,
               "cio_http_response_raise_for_status");
    EXPECT_MSG(cio_process_wait(NULL, NULL), CIO_EINVAL, "cio_process_wait");
    EXPECT_MSG(cio_process_send_signal(NULL, SIGTERM), CIO_EINVAL,
               "cio_process_send_signal");
    checks_assert();
}

/* A literal address of the wrong family fails in the resolver: the message
 * names the call the user made, not another that shares the resolver. */
static void *resolve_main(void *arg) {
    (void)arg;
    cio_udp *u = NULL;
    cio_udp_options o = {
        .family = AF_INET, .remote_host = "::1", .remote_port = 9};
    EXPECT_MSG(cio_udp_open(&o, &u), CIO_EAI_NONAME, "cio_udp_open: ");
    CHECK(strstr(cio_last_error_message(), "cio_open_connection") == NULL);
    cio_stream *s = NULL;
    cio_connect_options co = {.family = AF_INET};
    EXPECT_MSG(cio_open_connection("::1", 9, &co, &s), CIO_EAI_NONAME,
               "cio_open_connection: ::1");
    return NULL;
}

static void test_resolve_names_the_call(void **state) {
    (void)state;
    assert_int_equal(cio_run(resolve_main, NULL, NULL), 0);
    checks_assert();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_and_thread),
        cmocka_unit_test(test_loop_and_future),
        cmocka_unit_test(test_sync),
        cmocka_unit_test(test_sync_in_a_task),
        cmocka_unit_test(test_combine),
        cmocka_unit_test(test_net_http_process),
        cmocka_unit_test(test_resolve_names_the_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
