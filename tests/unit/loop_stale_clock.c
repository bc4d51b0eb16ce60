/* Regression test of the loop's blocking poll: a task that runs for longer
 * than the wait it then starts, while another libuv handle keeps the loop
 * alive. libuv 1.44 fires its timers before it polls, against a clock it
 * cached at the previous poll; the loop's wake-up timer, set from that
 * stale clock, fired before the poll, and the poll then blocked for ever.
 * An alarm ends the process if the sleep never returns. */
#include "../cio_test.h"

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

static void on_poll(uv_poll_t *p, int status, int events) {
    (void)p, (void)status, (void)events;
}

static void *t_main(void *arg) {
    int *sv = arg;
    static uv_poll_t poll; /* a handle that stays active, never ready */
    CHECK_INT(uv_poll_init(cio_loop_uv(cio_get_running_loop()), &poll, sv[0]),
              0);
    CHECK_INT(uv_poll_start(&poll, UV_READABLE, on_poll), 0);
    for (int round = 0; round < 5; round++) {
        double t0 = now_real();
        while (now_real() - t0 < 0.03) { /* busy: libuv's clock goes stale */
        }
        CHECK_INT(cio_sleep(0.005), 0);
    }
    uv_poll_stop(&poll);
    return NULL;
}

static void test_sleep_after_busy_step(void **state) {
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    alarm(under_valgrind() ? 60 : 10);
    assert_int_equal(cio_run(t_main, sv, NULL), 0);
    alarm(0);
    checks_assert();
    close(sv[0]);
    close(sv[1]);
}

int main(void) {
    const struct CMUnitTest tests[] = {CIO_TEST(test_sleep_after_busy_step)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
