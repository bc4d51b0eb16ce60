/* Unit tests: waits on any fd (readable, writable, timeouts, cancellation,
 * two tasks on one fd), the sock_* calls on non-blocking sockets, UDP
 * endpoints, and name resolution (no DNS traffic: only /etc/hosts names,
 * literals, and a malformed name the resolver refuses before asking). */
#include "../cio_test.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

static int nonblock(int fd) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* ---- waits ----------------------------------------------------------------
 */

static int sv[2];

static void *late_writer(void *arg) {
    (void)arg;
    cio_sleep(0.02);
    CHECK_INT(write(sv[1], "x", 1), 1);
    return NULL;
}

static void *waiter(void *arg) {
    return (void *)(intptr_t)cio_wait_readable(*(int *)arg, -1);
}

static void *t_waits(void *arg) {
    (void)arg;
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    nonblock(sv[0]);
    nonblock(sv[1]);
    /* writable at once; readable only once the writer wrote */
    CHECK_INT(cio_wait_writable(sv[0], -1), 0);
    CHECK_INT(cio_wait_readable(sv[0], 0.01), CIO_ETIMEDOUT);
    cio_future *w = cio_create_task(late_writer, NULL);
    /* a second task waits on the same fd meanwhile */
    cio_future *other = cio_create_task(waiter, &sv[0]);
    CHECK_INT(cio_wait_readable(sv[0], 5), 0);
    void *res = NULL;
    CHECK_INT(cio_await(other, &res), 0);
    CHECK_INT(PINT(res), 0);
    char c;
    CHECK_INT(read(sv[0], &c, 1), 1);
    cio_release(other);
    CHECK_INT(cio_await(w, NULL), 0);
    cio_release(w);
    /* a cancelled wait leaves the fd usable */
    other = cio_create_task(waiter, &sv[0]);
    cio_sleep(0.01);
    cio_cancel(other, NULL);
    CHECK_INT(cio_await(other, NULL), CIO_ECANCELED);
    cio_release(other);
    CHECK_INT(write(sv[1], "y", 1), 1);
    CHECK_INT(cio_wait_readable(sv[0], 5), 0);
    CHECK_INT(cio_wait_readable(-1, 1), CIO_EINVAL);
    close(sv[0]);
    close(sv[1]);
    return NULL;
}

static void test_waits(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_waits, NULL, NULL), 0);
    checks_assert();
    assert_int_equal(cio_wait_readable(0, 0), CIO_ENOTASK);
}

/* ---- sock_* -----------------------------------------------------------------
 */

#define BIG (1 << 20)

static void *acceptor(void *arg) {
    int lfd = *(int *)arg;
    struct sockaddr_storage from;
    int c = cio_sock_accept(lfd, &from);
    CHECK(c >= 0);
    CHECK_INT(from.ss_family, AF_INET);
    unsigned long sum = 0;
    size_t got = 0;
    unsigned char buf[8192];
    while (got < BIG) {
        ssize_t n = cio_sock_recv(c, buf, sizeof buf);
        CHECK(n > 0);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            sum += buf[i] * (got + (size_t)i + 1);
        got += (size_t)n;
    }
    close(c);
    return (void *)sum;
}

static void *t_sock(void *arg) {
    (void)arg;
    int lfd = nonblock(socket(AF_INET, SOCK_STREAM, 0));
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_INT(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    CHECK_INT(listen(lfd, 8), 0);
    socklen_t al = sizeof a;
    getsockname(lfd, (struct sockaddr *)&a, &al);
    cio_future *acc = cio_create_task(acceptor, &lfd);
    int fd = nonblock(socket(AF_INET, SOCK_STREAM, 0));
    CHECK_INT(cio_sock_connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    unsigned char *data = malloc(BIG);
    unsigned long sum = 0;
    for (size_t i = 0; i < BIG; i++) {
        data[i] = (unsigned char)(i * 7 + 3);
        sum += data[i] * (i + 1);
    }
    size_t sent = 0;
    CHECK_INT(cio_sock_sendall(fd, data, BIG, &sent), 0);
    CHECK_INT(sent, BIG);
    void *res = NULL;
    CHECK_INT(cio_await(acc, &res), 0);
    CHECK(res == (void *)sum);
    cio_release(acc);
    free(data);
    close(fd);
    /* refused: nobody listens any more */
    close(lfd);
    fd = nonblock(socket(AF_INET, SOCK_STREAM, 0));
    CHECK_INT(cio_sock_connect(fd, (struct sockaddr *)&a, sizeof a),
              -ECONNREFUSED);
    close(fd);
    /* a blocking socket is refused */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    char b;
    CHECK_INT(cio_sock_recv(fd, &b, 1), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "blocking"));
    close(fd);
    /* datagrams */
    int u1 = nonblock(socket(AF_INET, SOCK_DGRAM, 0));
    int u2 = nonblock(socket(AF_INET, SOCK_DGRAM, 0));
    a.sin_port = 0;
    CHECK_INT(bind(u1, (struct sockaddr *)&a, sizeof a), 0);
    al = sizeof a;
    getsockname(u1, (struct sockaddr *)&a, &al);
    CHECK_INT(cio_sock_sendto(u2, "dg", 2, (struct sockaddr *)&a, sizeof a), 2);
    struct sockaddr_storage from;
    char buf[8];
    CHECK_INT(cio_sock_recvfrom(u1, buf, sizeof buf, &from), 2);
    CHECK(memcmp(buf, "dg", 2) == 0);
    CHECK_INT(from.ss_family, AF_INET);
    close(u1);
    close(u2);
    return NULL;
}

static void test_sock(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_sock, NULL, NULL), 0);
    checks_assert();
}

/* ---- UDP endpoints ----------------------------------------------------------
 */

static void *t_udp(void *arg) {
    (void)arg;
    cio_udp *srv = NULL, *cli = NULL;
    cio_udp_options so = {
        .local_host = "127.0.0.1", .queue = 4, .recv_buffer = 65536};
    CHECK_INT(cio_udp_open(&so, &srv), 0);
    struct sockaddr_in me;
    socklen_t ml = sizeof me;
    CHECK_INT(cio_udp_sockname(srv, (struct sockaddr *)&me, &ml), 0);
    cio_udp_options co = {.remote_host = "127.0.0.1",
                          .remote_port = ntohs(me.sin_port)};
    CHECK_INT(cio_udp_open(&co, &cli), 0);
    /* ten datagrams, a queue of four: the rest wait in the kernel */
    for (int i = 0; i < 10; i++) {
        char m[8];
        snprintf(m, sizeof m, "m%d", i);
        CHECK_INT(cio_udp_sendto(cli, m, strlen(m), NULL), 0);
    }
    for (int i = 0; i < 10; i++) {
        char m[8], want[8];
        struct sockaddr_storage from;
        ssize_t n = cio_udp_recvfrom(srv, m, sizeof m - 1, &from);
        CHECK(n > 0);
        m[n > 0 ? n : 0] = 0;
        snprintf(want, sizeof want, "m%d", i);
        CHECK_STR(m, want);
        if (i == 0) /* answer the sender */
            CHECK_INT(cio_udp_sendto(srv, "ack", 3, (struct sockaddr *)&from),
                      0);
    }
    char r[8];
    CHECK_INT(cio_udp_recvfrom(cli, r, sizeof r, NULL), 3);
    CHECK(memcmp(r, "ack", 3) == 0);
    CHECK_INT(cio_udp_set_broadcast(srv, true), 0);
    CHECK_INT(cio_udp_set_multicast_ttl(srv, 2), 0);
    CHECK_INT(cio_udp_set_multicast_loop(srv, true), 0);
    CHECK_INT(cio_udp_join_group(srv, "not an address", NULL) < 0, 1);
    /* multicast on the loopback interface: join, receive, leave */
    cio_udp *mc = NULL;
    cio_udp_options mo = {
        .local_host = "0.0.0.0", .reuse_address = true, .send_buffer = 65536};
    CHECK_INT(cio_udp_open(&mo, &mc), 0);
    CHECK_INT(cio_udp_join_group(mc, "239.255.77.1", "127.0.0.1"), 0);
    CHECK_INT(cio_udp_leave_group(mc, "239.255.77.1", "127.0.0.1"), 0);
    CHECK_INT(cio_udp_leave_group(mc, "239.255.77.1", "127.0.0.1") < 0, 1);
    CHECK_INT(cio_udp_close(mc), 0);
    CHECK_INT(cio_udp_sendto(NULL, "x", 1, NULL), CIO_EINVAL);
    cio_udp *none = NULL;
    CHECK_INT(cio_udp_open(NULL, &none), CIO_EINVAL);
    /* a refused datagram is reported on the connected endpoint */
    CHECK_INT(cio_udp_close(srv), 0);
    CHECK_INT(cio_udp_sendto(cli, "x", 1, NULL), 0);
    CHECK_INT(cio_udp_recvfrom(cli, r, sizeof r, NULL), -ECONNREFUSED);
    CHECK_INT(cio_udp_close(cli), 0);
    return NULL;
}

static void test_udp(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_udp, NULL, NULL), 0);
    checks_assert();
}

/* ---- resolution --------------------------------------------------------- */

static void *lookup(void *arg) {
    (void)arg;
    struct addrinfo *res = NULL;
    return (void *)(intptr_t)cio_getaddrinfo("localhost", "80", NULL, &res);
}

static void *t_resolve(void *arg) {
    (void)arg;
    struct addrinfo *res = NULL;
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
    CHECK_INT(cio_getaddrinfo("localhost", "80", &hints, &res), 0);
    CHECK(res && res->ai_family == AF_INET);
    char host[64] = "", serv[16] = "";
    CHECK_INT(cio_getnameinfo(res->ai_addr, NI_NUMERICHOST | NI_NUMERICSERV,
                              host, sizeof host, serv, sizeof serv),
              0);
    CHECK_STR(host, "127.0.0.1");
    CHECK_STR(serv, "80");
    char text[64];
    CHECK_STR(cio_sockaddr_str(res->ai_addr, text, sizeof text),
              "127.0.0.1:80");
    cio_freeaddrinfo(res);
    /* "bad..name" is refused by the resolver before any query is sent */
    CHECK_INT(cio_getaddrinfo("bad..name", "80", NULL, &res), CIO_EAI_NONAME);
    CHECK(res == NULL);
    CHECK(strstr(cio_last_error_message(), "Name or service not known"));
    CHECK_STR(cio_strerror(CIO_EAI_NONAME), "Name or service not known");
    CHECK_INT(cio_getaddrinfo("localhost", "no-such-service-x", NULL, &res),
              CIO_EAI_SERVICE);
    CHECK_INT(cio_getaddrinfo(NULL, NULL, NULL, &res), CIO_EINVAL);
    cio_stream *s = NULL;
    CHECK_INT(cio_open_connection("bad..name", 80, NULL, &s), CIO_EAI_NONAME);
    /* cancelled at once; the late answer is freed (valgrind/ASan check) */
    for (int i = 0; i < 3; i++) {
        cio_future *t = cio_create_task(lookup, NULL);
        if (i)
            cio_sleep(0); /* let it start its lookup */
        cio_cancel(t, NULL);
        int rc = cio_await(t, NULL);
        CHECK(rc == CIO_ECANCELED || rc == 0);
        cio_release(t);
    }
    return NULL;
}

static void test_resolve(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_resolve, NULL, NULL), 0);
    checks_assert();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_waits),
        CIO_TEST(test_sock),
        CIO_TEST(test_udp),
        CIO_TEST(test_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
