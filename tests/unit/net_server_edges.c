/* Unit tests: the server calls' edges on 127.0.0.1, ::1 and UNIX
 * sockets: bad arguments, a resolver failure, a port in use (and shared
 * with reuse_port), dual_stack, defer_serving, the calls on a closed
 * server, two tasks in serve_forever / wait_closed, a stale UNIX socket
 * file, a UNIX path that cannot be bound. */
#include "../cio_test.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static int g_served;

/* Answer "ok" and count the connection. */
static void handler(cio_stream *s, void *arg) {
    (void)arg;
    g_served++;
    cio_stream_write(s, "ok", 2);
    cio_stream_drain(s);
}

/* Connect to host:port and read the server's "ok". */
static void expect_ok(const char *host, int port) {
    cio_stream *s = NULL;
    CHECK_INT(cio_open_connection(host, port, NULL, &s), 0);
    if (!s)
        return;
    char buf[4] = {0};
    CHECK_INT(cio_stream_readexactly(s, buf, 2, NULL), 2);
    CHECK_STR(buf, "ok");
    cio_stream_free(s);
}

static void *bad_main(void *arg) {
    (void)arg;
    cio_server *srv = (cio_server *)&srv;
    CHECK_INT(cio_start_server(NULL, NULL, "127.0.0.1", 0, NULL, &srv),
              CIO_EINVAL);
    CHECK(srv == NULL);
    CHECK(strstr(cio_last_error_message(), "bad port") != NULL);
    CHECK_INT(cio_start_server(handler, NULL, "127.0.0.1", 65536, NULL, &srv),
              CIO_EINVAL);
    CHECK_INT(cio_start_server(handler, NULL, "127.0.0.1", 0, NULL, NULL),
              CIO_EINVAL);
    /* getaddrinfo refuses the family: its own words in the message */
    cio_server_options o = {.family = 12345};
    CHECK_INT(cio_start_server(handler, NULL, "127.0.0.1", 0, &o, &srv),
              CIO_EAI_FAIL);
    CHECK(srv == NULL);
    CHECK(strstr(cio_last_error_message(), gai_strerror(EAI_FAMILY)) != NULL);
    CHECK_INT(cio_start_unix_server(handler, NULL, NULL, NULL, &srv),
              CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "no path") != NULL);
    char longpath[200];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    CHECK_INT(cio_start_unix_server(handler, NULL, longpath, NULL, &srv),
              CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "too long") != NULL);
    CHECK_INT(cio_start_unix_server(handler, NULL,
                                    "/nonexistent-dir-cio/x.sock", NULL, &srv),
              -ENOENT);
    CHECK(srv == NULL);
    CHECK(strstr(cio_last_error_message(), "/nonexistent-dir-cio/x.sock") !=
          NULL);
    return NULL;
}

static void test_bad_arguments(void **state) {
    (void)state;
    assert_int_equal(cio_run(bad_main, NULL, NULL), 0);
    checks_assert();
    /* the calls that take a server, with NULL */
    struct sockaddr_storage a;
    assert_int_equal(cio_server_addresses(NULL, &a, 1), CIO_EINVAL);
    assert_int_equal(cio_server_port(NULL), CIO_EINVAL);
    assert_int_equal(cio_server_start_serving(NULL), CIO_EINVAL);
    assert_false(cio_server_is_serving(NULL));
    assert_int_equal(cio_server_wait_closed(NULL), CIO_EINVAL);
    assert_int_equal(cio_server_serve_forever(NULL), CIO_EINVAL);
    cio_server_close(NULL);
    cio_server_close_clients(NULL);
    cio_server_abort_clients(NULL);
    cio_server_free(NULL);
}

/* ---- ports in use, shared ports, dual stack, deferred serving ---------- */

static void *ports_main(void *arg) {
    (void)arg;
    cio_server *a = NULL, *b = NULL;
    g_served = 0;
    CHECK_INT(cio_start_server(handler, NULL, "127.0.0.1", 0, NULL, &a), 0);
    int port = cio_server_port(a);
    CHECK(port > 0);
    CHECK_INT(cio_start_server(handler, NULL, "127.0.0.1", port, NULL, &b),
              -EADDRINUSE);
    CHECK(b == NULL);
    char where[32];
    snprintf(where, sizeof where, "127.0.0.1:%d", port);
    CHECK(strstr(cio_last_error_message(), where) != NULL);
    cio_server_free(a);
    /* reuse_port: two servers share one port */
    cio_server_options rp = {.reuse_port = true};
    CHECK_INT(cio_start_server(handler, NULL, "127.0.0.1", 0, &rp, &a), 0);
    port = cio_server_port(a);
    CHECK_INT(cio_start_server(handler, NULL, "127.0.0.1", port, &rp, &b), 0);
    expect_ok("127.0.0.1", port);
    cio_server_free(a);
    cio_server_free(b);
    /* dual_stack on every interface: one "::" socket takes IPv4 too */
    cio_server_options ds = {.dual_stack = true};
    CHECK_INT(cio_start_server(handler, NULL, NULL, 0, &ds, &a), 0);
    struct sockaddr_storage addrs[4];
    CHECK_INT(cio_server_addresses(a, addrs, 4), 1);
    CHECK_INT(addrs[0].ss_family, AF_INET6);
    CHECK_INT(cio_server_addresses(a, NULL, 0), 1);
    port = cio_server_port(a);
    expect_ok("127.0.0.1", port);
    expect_ok("::1", port);
    cio_server_free(a);
    /* defer_serving: connections wait in the backlog until start_serving */
    cio_server_options df = {.defer_serving = true, .backlog = 4};
    CHECK_INT(cio_start_server(handler, NULL, "127.0.0.1", 0, &df, &a), 0);
    CHECK(!cio_server_is_serving(a));
    int before = g_served;
    cio_stream *s = NULL;
    CHECK_INT(cio_open_connection("127.0.0.1", cio_server_port(a), NULL, &s),
              0);
    CHECK_INT(cio_sleep(0.01), 0);
    CHECK_INT(g_served, before);
    CHECK_INT(cio_server_start_serving(a), 0);
    CHECK_INT(cio_server_start_serving(a), 0); /* again: nothing more */
    CHECK(cio_server_is_serving(a));
    char buf[4] = {0};
    if (s) {
        CHECK_INT(cio_stream_readexactly(s, buf, 2, NULL), 2);
        cio_stream_free(s);
    }
    CHECK_STR(buf, "ok");
    CHECK_INT(g_served, before + 1);
    cio_server_free(a);
    return NULL;
}

static void test_ports_and_options(void **state) {
    (void)state;
    assert_int_equal(cio_run(ports_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- a closed server; two tasks in one wait ---------------------------- */

static int g_rc;

static void *forever(void *arg) {
    g_rc = cio_server_serve_forever(arg);
    return NULL;
}

static void *closed_waiter(void *arg) {
    g_rc = cio_server_wait_closed(arg);
    return NULL;
}

static void *closed_main(void *arg) {
    (void)arg;
    cio_server *srv = NULL;
    CHECK_INT(cio_start_server(handler, NULL, "127.0.0.1", 0, NULL, &srv), 0);
    /* serve_forever in one task: a second one is refused */
    cio_future *t = cio_create_task(forever, srv);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_server_serve_forever(srv), CIO_EINVALIDSTATE);
    CHECK(strstr(cio_last_error_message(), "already serving forever") != NULL);
    CHECK_INT(cio_cancel(t, NULL), 1);
    CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
    CHECK_INT(g_rc, CIO_ECANCELED);
    cio_release(t);
    /* cancelling serve_forever closed the server */
    CHECK(!cio_server_is_serving(srv));
    CHECK_INT(cio_server_port(srv), CIO_ECLOSED);
    CHECK_INT(cio_server_addresses(srv, NULL, 0), 0);
    CHECK_INT(cio_server_start_serving(srv), CIO_ECLOSED);
    CHECK(strstr(cio_last_error_message(), "cio_server_start_serving") != NULL);
    CHECK_INT(cio_server_serve_forever(srv), CIO_ECLOSED);
    CHECK_INT(cio_server_wait_closed(srv), 0);
    cio_server_free(srv);
    /* wait_closed: one task at a time */
    CHECK_INT(cio_start_server(handler, NULL, "127.0.0.1", 0, NULL, &srv), 0);
    g_rc = 1;
    t = cio_create_task(closed_waiter, srv);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_server_wait_closed(srv), -EBUSY);
    cio_server_close(srv);
    cio_server_close(srv); /* twice: nothing more */
    CHECK_INT(cio_await(t, NULL), 0);
    CHECK_INT(g_rc, 0);
    cio_release(t);
    cio_server_free(srv);
    return NULL;
}

static void test_closed_server(void **state) {
    (void)state;
    assert_int_equal(cio_run(closed_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- UNIX sockets ------------------------------------------------------- */

static void *unix_main(void *arg) {
    (void)arg;
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    snprintf(un.sun_path, sizeof un.sun_path, "/tmp/cio-srvedge-%d.sock",
             (int)getpid());
    /* a stale socket file, left by a process that did not clean up */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_INT(bind(fd, (struct sockaddr *)&un, sizeof un), 0);
    close(fd);
    struct stat st;
    CHECK_INT(stat(un.sun_path, &st), 0);
    cio_server *srv = NULL;
    CHECK_INT(cio_start_unix_server(handler, NULL, un.sun_path, NULL, &srv), 0);
    CHECK_INT(cio_server_port(srv), 0); /* no port on a UNIX socket */
    cio_stream *s = NULL;
    CHECK_INT(cio_open_unix_connection(un.sun_path, NULL, &s), 0);
    char buf[4] = {0};
    if (s) {
        CHECK_INT(cio_stream_readexactly(s, buf, 2, NULL), 2);
        cio_stream_free(s);
    }
    CHECK_STR(buf, "ok");
    cio_server_close(srv);
    /* closing removes the file */
    CHECK(stat(un.sun_path, &st) != 0);
    CHECK_INT(cio_server_wait_closed(srv), 0);
    cio_server_free(srv);
    return NULL;
}

static void test_unix_stale_socket(void **state) {
    (void)state;
    assert_int_equal(cio_run(unix_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- freed before a connection's task ran ------------------------------ */

static int g_handled;

static void counting_handler(cio_stream *s, void *arg) {
    (void)s;
    (void)arg;
    g_handled++;
}

/* The server accepts in the loop's I/O pass and schedules the connection's
 * task; the main task, scheduled first, frees the server before that task
 * ran: the connection (its stream, its task, the server) must still be let
 * go, and the handler never runs (ASan and valgrind see the leak if not). */
static void *freed_early_main(void *arg) {
    (void)arg;
    cio_server *srv = NULL;
    g_handled = 0;
    CHECK_INT(
        cio_start_server(counting_handler, NULL, "127.0.0.1", 0, NULL, &srv),
        0);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)cio_server_port(srv))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_INT(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    for (int i = 0; i < 1000 && cio_all_tasks(NULL, NULL, 0) < 2; i++)
        CHECK_INT(cio_sleep(0), 0); /* until the server accepted */
    CHECK_INT(cio_all_tasks(NULL, NULL, 0), 2);
    cio_server_free(srv);
    CHECK_INT(cio_sleep(0.01), 0);
    CHECK_INT(cio_all_tasks(NULL, NULL, 0), 1);
    CHECK_INT(g_handled, 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char c;
    CHECK_INT(read(fd, &c, 1), 0); /* the server's end was closed */
    close(fd);
    return NULL;
}

static void test_freed_before_connection_ran(void **state) {
    (void)state;
    assert_int_equal(cio_run(freed_early_main, NULL, NULL), 0);
    checks_assert();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_bad_arguments),
        CIO_TEST(test_ports_and_options),
        CIO_TEST(test_closed_server),
        CIO_TEST(test_unix_stale_socket),
        CIO_TEST(test_freed_before_connection_ran),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
