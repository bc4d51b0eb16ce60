/* Unit tests: UDP endpoints on 127.0.0.1 beyond net_fd.c's round trip:
 * opening fails cleanly (an address of the wrong family, a port in use),
 * the open options, one reader at a time, closing with a reader waiting
 * (refused) or with datagrams queued, truncation, a refused peer reported
 * by the next send, and the calls' answers to NULL. */
#include "../cio_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static int port_of(cio_udp *u) {
    struct sockaddr_in a;
    socklen_t l = sizeof a;
    CHECK_INT(cio_udp_sockname(u, (struct sockaddr *)&a, &l), 0);
    return ntohs(a.sin_port);
}

static void *open_main(void *arg) {
    (void)arg;
    cio_udp *u = (cio_udp *)&u; /* must be reset on failure */
    /* a literal of the other family: refused before any socket exists */
    cio_udp_options o = {
        .family = AF_INET, .remote_host = "::1", .remote_port = 9};
    CHECK_INT(cio_udp_open(&o, &u), CIO_EAI_NONAME);
    CHECK(u == NULL);
    CHECK(strstr(cio_last_error_message(), "::1") != NULL);
    /* the remote is IPv4, the local address IPv6 */
    o = (cio_udp_options){
        .remote_host = "127.0.0.1", .remote_port = 9, .local_host = "::1"};
    CHECK_INT(cio_udp_open(&o, &u), CIO_EAI_NONAME);
    CHECK(u == NULL);
    /* ports out of range */
    o = (cio_udp_options){.local_host = "127.0.0.1", .local_port = 70000};
    CHECK_INT(cio_udp_open(&o, &u), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "bad port") != NULL);
    o = (cio_udp_options){.remote_host = "127.0.0.1", .remote_port = -1};
    CHECK_INT(cio_udp_open(&o, &u), CIO_EINVAL);
    CHECK_INT(cio_udp_open(&o, NULL), CIO_EINVAL);
    /* a port in use: the socket made for it is closed again */
    cio_udp *first = NULL;
    o = (cio_udp_options){.local_host = "127.0.0.1",
                          .broadcast = true,
                          .recv_buffer = 32768,
                          .send_buffer = 32768};
    CHECK_INT(cio_udp_open(&o, &first), 0);
    o = (cio_udp_options){.local_host = "127.0.0.1",
                          .local_port = first ? port_of(first) : 1};
    CHECK_INT(cio_udp_open(&o, &u), -EADDRINUSE);
    CHECK(u == NULL);
    CHECK(strstr(cio_last_error_message(), "cio_udp_open: 127.0.0.1") != NULL);
    /* the broadcast option took: turning it off works too */
    CHECK_INT(cio_udp_set_broadcast(first, false), 0);
    CHECK_INT(cio_udp_close(first), 0);
    return NULL;
}

static void test_open_failures_and_options(void **state) {
    (void)state;
    assert_int_equal(cio_run(open_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- readers ------------------------------------------------------------ */

static long g_read_rc;

static void *reader(void *arg) {
    char buf[64];
    g_read_rc = cio_udp_recvfrom(arg, buf, sizeof buf, NULL);
    return NULL;
}

static void *readers_main(void *arg) {
    (void)arg;
    cio_udp *srv = NULL, *cli = NULL;
    cio_udp_options so = {.local_host = "127.0.0.1"};
    CHECK_INT(cio_udp_open(&so, &srv), 0);
    cio_udp_options co = {.remote_host = "127.0.0.1",
                          .remote_port = port_of(srv)};
    CHECK_INT(cio_udp_open(&co, &cli), 0);
    /* one reader at a time; the endpoint cannot close under it */
    g_read_rc = 1;
    cio_future *t = cio_create_task(reader, srv);
    CHECK_INT(cio_sleep(0), 0);
    char buf[8];
    CHECK_INT(cio_udp_recvfrom(srv, buf, sizeof buf, NULL), -EBUSY);
    CHECK_INT(cio_udp_close(srv), CIO_EHASWAITERS);
    CHECK(strstr(cio_last_error_message(), "recvfrom") != NULL);
    /* cancelled, the reader took nothing: the datagram sent now is the
     * next one read */
    CHECK_INT(cio_cancel(t, NULL), 1);
    CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
    CHECK_INT(g_read_rc, CIO_ECANCELED);
    cio_release(t);
    CHECK_INT(cio_udp_sendto(cli, "first datagram", 14, NULL), 0);
    /* truncated to the buffer; the rest of it is dropped */
    CHECK_INT(cio_udp_recvfrom(srv, buf, 5, NULL), 5);
    CHECK(memcmp(buf, "first", 5) == 0);
    /* three more, read one, close with the others queued */
    for (int i = 0; i < 3; i++)
        CHECK_INT(cio_udp_sendto(cli, "q", 1, NULL), 0);
    CHECK_INT(cio_udp_recvfrom(srv, buf, sizeof buf, NULL), 1);
    CHECK_INT(cio_sleep(0.01), 0);
    CHECK_INT(cio_udp_close(srv), 0);
    /* the peer is gone: the kernel's refusal comes back on a later send */
    CHECK_INT(cio_udp_sendto(cli, "x", 1, NULL), 0);
    int rc = 0;
    for (int i = 0; i < 100 && rc == 0; i++) {
        CHECK_INT(cio_sleep(0.001), 0);
        rc = cio_udp_sendto(cli, "y", 1, NULL);
    }
    CHECK_INT(rc, -ECONNREFUSED);
    CHECK(strstr(cio_last_error_message(), "cio_udp_sendto") != NULL);
    CHECK_INT(cio_udp_close(cli), 0);
    return NULL;
}

static void test_readers_and_closing(void **state) {
    (void)state;
    assert_int_equal(cio_run(readers_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- NULLs ------------------------------------------------------------- */

static void *nulls_main(void *arg) {
    (void)arg;
    cio_udp *u = NULL;
    cio_udp_options o = {.local_host = "127.0.0.1"};
    CHECK_INT(cio_udp_open(&o, &u), 0);
    char buf[4];
    CHECK_INT(cio_udp_sendto(u, NULL, 3, NULL), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "cio_udp_sendto: NULL data") !=
          NULL);
    CHECK_INT(cio_udp_recvfrom(NULL, buf, sizeof buf, NULL), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "cio_udp_recvfrom: NULL endpoint") !=
          NULL);
    CHECK_INT(cio_udp_recvfrom(u, NULL, 4, NULL), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "NULL buffer") != NULL);
    CHECK_INT(cio_udp_join_group(u, NULL, NULL), CIO_EINVAL);
    CHECK_INT(cio_udp_leave_group(u, NULL, NULL), CIO_EINVAL);
    CHECK_INT(cio_udp_join_group(NULL, "239.255.77.1", NULL), CIO_EINVAL);
    CHECK_INT(cio_udp_leave_group(NULL, "239.255.77.1", NULL), CIO_EINVAL);
    CHECK_INT(cio_udp_set_multicast_loop(NULL, true), CIO_EINVAL);
    CHECK_INT(cio_udp_set_multicast_ttl(NULL, 1), CIO_EINVAL);
    CHECK_INT(cio_udp_set_broadcast(NULL, true), CIO_EINVAL);
    struct sockaddr_storage a;
    socklen_t l = sizeof a;
    CHECK_INT(cio_udp_sockname(NULL, (struct sockaddr *)&a, &l), CIO_EINVAL);
    CHECK_INT(cio_udp_sockname(u, NULL, &l), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "cio_udp_sockname") != NULL);
    CHECK_INT(cio_udp_sockname(u, (struct sockaddr *)&a, NULL), CIO_EINVAL);
    /* a TTL out of range is libuv's EINVAL */
    CHECK_INT(cio_udp_set_multicast_ttl(u, 1000), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "cio_udp_set_multicast_ttl") !=
          NULL);
    CHECK_INT(cio_udp_close(u), 0);
    CHECK_INT(cio_udp_close(NULL), 0);
    return NULL;
}

static void test_null_arguments(void **state) {
    (void)state;
    assert_int_equal(cio_run(nulls_main, NULL, NULL), 0);
    checks_assert();
    /* outside a task: opening suspends, so it is refused */
    cio_udp *u = NULL;
    cio_udp_options o = {.local_host = "127.0.0.1"};
    assert_int_equal(cio_udp_open(&o, &u), CIO_ENOTASK);
    assert_null(u);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_open_failures_and_options),
        CIO_TEST(test_readers_and_closing),
        CIO_TEST(test_null_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
