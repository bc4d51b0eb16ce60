/* Unit tests: stream calls at their edges, on a socketpair adopted with
 * cio_stream_open_fd: a separator found past the limit, two tasks in one
 * drain or one wait_closed, drain ended by an abort, write_eof repeated
 * and after close, the write-buffer limits, names of a closed stream, and
 * the calls' answers to NULL. */
#include "../cio_test.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

/* A stream on one end of a socketpair; the raw fd of the other in *peer. */
static cio_stream *open_pair(const cio_stream_options *o, int *peer) {
    int sv[2];
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    cio_stream *s = cio_stream_open_fd(sv[0], o);
    CHECK(s != NULL);
    *peer = sv[1];
    return s;
}

static void *limit_main(void *arg) {
    (void)arg;
    int peer;
    cio_stream_options o = {.limit = 8};
    cio_stream *s = open_pair(&o, &peer);
    CHECK_INT(write(peer, "0123456789abc\nok\n", 17), 17);
    CHECK_INT(cio_sleep(0.01), 0); /* all of it buffered */
    char *line = NULL;
    CHECK_INT(cio_stream_readuntil(s, "\n", 1, &line, NULL), CIO_ELIMIT);
    CHECK(strstr(cio_last_error_message(), "the separator is found") != NULL);
    CHECK(line == NULL);
    /* nothing was consumed: a bigger separator search finds the same */
    char buf[15] = {0};
    CHECK_INT(cio_stream_readexactly(s, buf, 14, NULL), 14);
    CHECK_STR(buf, "0123456789abc\n");
    CHECK_INT(cio_stream_readline(s, &line), 3);
    CHECK_STR(line, "ok\n");
    free(line);
    CHECK_INT(cio_stream_readexactly(NULL, buf, 1, NULL), CIO_EINVAL);
    CHECK_INT(cio_stream_readexactly(s, NULL, 1, NULL), CIO_EINVAL);
    CHECK_INT(cio_stream_free(s), 0);
    close(peer);
    return NULL;
}

static void test_limit(void **state) {
    (void)state;
    assert_int_equal(cio_run(limit_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- drain and wait_closed, one task at a time ------------------------- */

static int g_rc;

static void *drainer(void *arg) {
    g_rc = cio_stream_drain(arg);
    return NULL;
}

static void *closed_waiter(void *arg) {
    g_rc = cio_stream_wait_closed(arg);
    return NULL;
}

static void *waits_main(void *arg) {
    (void)arg;
    int peer;
    cio_stream *s = open_pair(NULL, &peer);
    int small = 4096;
    setsockopt(cio_stream_fileno(s), SOL_SOCKET, SO_SNDBUF, &small,
               sizeof small);
    CHECK_INT(cio_stream_set_write_buffer_limits(s, 1024, 0), 0);
    static char big[256 * 1024];
    CHECK_INT(cio_stream_write(s, big, sizeof big), 0);
    /* the peer reads nothing: a drain waits; a second one is refused */
    g_rc = 1;
    cio_future *t = cio_create_task(drainer, s);
    CHECK_INT(cio_sleep(0.01), 0);
    CHECK(!cio_future_done(t));
    CHECK_INT(cio_stream_drain(s), -EBUSY);
    CHECK(strstr(cio_last_error_message(), "cio_stream_drain") != NULL);
    /* the abort drops the buffered data and wakes the drain, which
     * returns as asyncio's does when the connection is lost without an
     * error */
    cio_stream_abort(s);
    CHECK_INT(cio_await(t, NULL), 0);
    CHECK_INT(g_rc, 0);
    cio_release(t);
    CHECK_INT(cio_stream_write_buffer_size(s), 0);
    CHECK_INT(cio_stream_free(s), 0);
    close(peer);
    /* wait_closed: one task; the close ends both waits */
    s = open_pair(NULL, &peer);
    g_rc = 1;
    t = cio_create_task(closed_waiter, s);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_stream_wait_closed(s), -EBUSY);
    cio_stream_close(s);
    CHECK_INT(cio_await(t, NULL), 0);
    CHECK_INT(g_rc, 0);
    cio_release(t);
    CHECK_INT(cio_stream_wait_closed(s), 0); /* closed: at once */
    CHECK_INT(cio_stream_free(s), 0);
    close(peer);
    return NULL;
}

static void test_one_waiter(void **state) {
    (void)state;
    assert_int_equal(cio_run(waits_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- write_eof, limits, names ------------------------------------------- */

static void *misc_main(void *arg) {
    (void)arg;
    int peer;
    cio_stream *s = open_pair(NULL, &peer);
    CHECK_INT(cio_stream_set_write_buffer_limits(s, 100, 200), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "low 200 > high 100") != NULL);
    /* a high mark below the default low one: low follows it down */
    CHECK_INT(cio_stream_set_write_buffer_limits(s, 10, 0), 0);
    CHECK_INT(cio_stream_write(s, "x", 1), 0);
    CHECK_INT(cio_stream_write_eof(s), 0);
    CHECK_INT(cio_stream_write_eof(s), 0); /* twice: nothing more */
    CHECK_INT(cio_stream_write(s, "y", 1), CIO_ECLOSED);
    char buf[4];
    CHECK_INT(cio_stream_drain(s), 0);
    CHECK_INT(cio_sleep(0.01), 0);
    CHECK_INT(read(peer, buf, sizeof buf), 1);
    CHECK_INT(read(peer, buf, sizeof buf), 0); /* the EOF */
    struct sockaddr_storage a;
    socklen_t l = sizeof a;
    CHECK_INT(cio_stream_sockname(s, (struct sockaddr *)&a, &l), 0);
    CHECK_INT(a.ss_family, AF_UNIX);
    CHECK_INT(cio_stream_peername(s, NULL, &l), CIO_EINVAL);
    CHECK_INT(cio_stream_sockname(s, (struct sockaddr *)&a, NULL), CIO_EINVAL);
    cio_stream_close(s);
    CHECK_INT(cio_stream_write_eof(s), CIO_ECLOSED);
    CHECK(strstr(cio_last_error_message(), "cio_stream_write_eof") != NULL);
    CHECK_INT(cio_stream_wait_closed(s), 0);
    l = sizeof a;
    CHECK_INT(cio_stream_peername(s, (struct sockaddr *)&a, &l), CIO_ECLOSED);
    CHECK_INT(cio_stream_fileno(s), -1);
    CHECK_INT(cio_stream_free(s), 0);
    close(peer);
    return NULL;
}

static void test_write_eof_limits_names(void **state) {
    (void)state;
    assert_int_equal(cio_run(misc_main, NULL, NULL), 0);
    checks_assert();
    /* NULL streams */
    assert_int_equal(cio_stream_write_eof(NULL), CIO_EINVAL);
    assert_int_equal(cio_stream_set_write_buffer_limits(NULL, 1, 0),
                     CIO_EINVAL);
    assert_int_equal(cio_stream_wait_closed(NULL), CIO_EINVAL);
    assert_int_equal(cio_stream_drain(NULL), CIO_EINVAL);
    assert_int_equal(cio_stream_fileno(NULL), -1);
    assert_null(cio_stream_tls(NULL));
    assert_false(cio_stream_at_eof(NULL));
    assert_false(cio_stream_is_closing(NULL));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_limit),
        CIO_TEST(test_one_waiter),
        CIO_TEST(test_write_eof_limits_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
