/* Unit tests: happy eyeballs across address families (RFC 8305, asyncio's
 * happy_eyeballs_delay). A host that resolves to ::1 first and 127.0.0.1
 * second, on the same port:
 *   - the IPv6 listener's accept queue is full (backlog 0, filled, never
 *     accepted), so further SYNs are dropped and that connect stays
 *     pending; the IPv4 attempt starts after the delay and wins, and the
 *     pending IPv6 attempt is given up without leaking its socket;
 *   - nothing listens on ::1: the refusal starts IPv4 at once;
 *   - both families stuck: cancelling the connecting task gives
 *     CIO_ECANCELED and closes both attempts.
 * The list is built by hand and given to the connect's internal entry
 * point (cio__net_connect_list), since /etc/hosts here maps localhost to
 * 127.0.0.1 only. Skipped when the machine has no ::1. */
#include "../cio_test.h"
#include "net/internal.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <unistd.h>

#define NFILL 4

/* A listener of `family` on loopback, port `port` (0: any), backlog 0;
 * -1 if it cannot be made. */
static int listener(int family, int port, int *bound) {
    int fd = socket(family, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    if (family == AF_INET6) {
        int one = 1;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        a->sin6_port = htons((uint16_t)port);
        len = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a->sin_port = htons((uint16_t)port);
        len = sizeof *a;
    }
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 0) < 0) {
        close(fd);
        return -1;
    }
    getsockname(fd, (struct sockaddr *)&ss, &len);
    *bound = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                      : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

static bool have_ipv6_loopback(void) {
    int port;
    int fd = listener(AF_INET6, 0, &port);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

/* Fill the accept queue of the listener at `a`: connects never accepted. */
static void fill(int *fds, const struct sockaddr *a, socklen_t len) {
    for (int i = 0; i < NFILL; i++) {
        fds[i] = socket(a->sa_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fds[i], a, len);
    }
}

static void close_all(int *fds, int n) {
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

static int count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* ::1 (port6) first, then 127.0.0.1 (port4), as getaddrinfo orders them */
typedef struct dual {
    struct addrinfo ai[2];
    struct sockaddr_in6 a6;
    struct sockaddr_in a4;
} dual;

static struct addrinfo *dual_list(dual *d, int port6, int port4) {
    memset(d, 0, sizeof *d);
    d->a6.sin6_family = AF_INET6;
    d->a6.sin6_addr = in6addr_loopback;
    d->a6.sin6_port = htons((uint16_t)port6);
    d->a4.sin_family = AF_INET;
    d->a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    d->a4.sin_port = htons((uint16_t)port4);
    d->ai[0] = (struct addrinfo){.ai_family = AF_INET6,
                                 .ai_socktype = SOCK_STREAM,
                                 .ai_addr = (struct sockaddr *)&d->a6,
                                 .ai_addrlen = sizeof d->a6,
                                 .ai_next = &d->ai[1]};
    d->ai[1] = (struct addrinfo){.ai_family = AF_INET,
                                 .ai_socktype = SOCK_STREAM,
                                 .ai_addr = (struct sockaddr *)&d->a4,
                                 .ai_addrlen = sizeof d->a4};
    return &d->ai[0];
}

static void hello(cio_stream *s, void *arg) {
    (void)arg;
    cio_stream_write(s, "hello", 5);
}

/* A cio server on 127.0.0.1:P and a stuck IPv6 listener on [::1]:P (the
 * same P); a few tries, in case another program takes the port between. */
static int stuck6_and_server(int *lfd, cio_server **srv) {
    for (int tries = 0; tries < 20; tries++) {
        int port;
        *lfd = listener(AF_INET6, 0, &port);
        if (*lfd < 0)
            return -1;
        if (cio_start_server(hello, NULL, "127.0.0.1", port, NULL, srv) == 0)
            return port;
        close(*lfd);
    }
    return -1;
}

/* One refused connect over both families and one read first, so that
 * what the loop opens once (libuv's and the registry's own descriptors)
 * is there before the descriptors are counted. */
static void warm_up(void) {
    int p6, p4;
    int l6 = listener(AF_INET6, 0, &p6), l4 = listener(AF_INET, 0, &p4);
    close(l6);
    close(l4);
    dual d;
    cio_stream *s = NULL;
    cio__net_connect_list(cio__net_reg_get(NULL, "test"), dual_list(&d, p6, p4),
                          NULL, NULL, &s);
    cio_stream_free(s);
    /* and one read, for the loop's epoll of TCP reads */
    cio_server *srv;
    if (cio_start_server(hello, NULL, "127.0.0.1", 0, NULL, &srv) == 0) {
        if (cio_open_connection("127.0.0.1", cio_server_port(srv), NULL, &s) ==
            0) {
            char b[5];
            cio_stream_readexactly(s, b, 5, NULL);
            cio_stream_free(s);
        }
        cio_server_close(srv);
        cio_server_wait_closed(srv);
        cio_server_free(srv);
    }
}

/* Let the loop run the close callbacks of what was given up. */
static void settle(void) {
    for (int i = 0; i < 5; i++)
        cio_sleep(0.01);
}

static void *t_stuck_first_family(void *arg) {
    (void)arg;
    cio__net_reg *reg = cio__net_reg_get(NULL, "test");
    cio_loop *loop = cio_get_running_loop();
    int lfd;
    cio_server *srv = NULL;
    int port = stuck6_and_server(&lfd, &srv);
    CHECK(port > 0);
    if (port <= 0)
        return NULL;
    dual d;
    int fills[NFILL];
    dual_list(&d, port, port);
    fill(fills, (struct sockaddr *)&d.a6, sizeof d.a6);
    warm_up();
    cio_sleep(0.05);
    int fds0 = count_fds();

    cio_connect_options o = {.happy_eyeballs_delay = 0.2, .timeout = 20};
    cio_stream *s = NULL;
    double t0 = cio_loop_time(loop);
    CHECK_INT(
        cio__net_connect_list(reg, dual_list(&d, port, port), &o, NULL, &s), 0);
    double took = cio_loop_time(loop) - t0;
    /* IPv4 started only after the delay: IPv6 was tried first */
    CHECK(took >= 0.19);
    CHECK(took < 10);
    if (s) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        CHECK_INT(cio_stream_sockname(s, (struct sockaddr *)&ss, &len), 0);
        CHECK_INT(ss.ss_family, AF_INET); /* the second family answered */
        len = sizeof ss;
        CHECK_INT(cio_stream_peername(s, (struct sockaddr *)&ss, &len), 0);
        CHECK_INT(ntohs(((struct sockaddr_in *)&ss)->sin_port), port);
        char b[5];
        CHECK_INT(cio_stream_readexactly(s, b, 5, NULL), 5);
        CHECK(memcmp(b, "hello", 5) == 0);
        cio_stream_free(s);
    }
    cio_server_close(srv);
    CHECK_INT(cio_server_wait_closed(srv), 0);
    cio_server_free(srv);
    settle();
    /* the pending IPv6 attempt's socket is closed too: no fd is left over
     * (the server's listener closed, so one fewer than before) */
    CHECK_INT(count_fds(), fds0 - 1);
    close_all(fills, NFILL);
    close(lfd);
    return NULL;
}

static void *t_refused_first_family(void *arg) {
    (void)arg;
    cio__net_reg *reg = cio__net_reg_get(NULL, "test");
    cio_loop *loop = cio_get_running_loop();
    cio_server *srv;
    CHECK_INT(cio_start_server(hello, NULL, "127.0.0.1", 0, NULL, &srv), 0);
    int port = cio_server_port(srv);
    int refused;
    int fd = listener(AF_INET6, 0, &refused);
    close(fd); /* nothing listens on [::1]:refused any more */
    dual d;
    cio_connect_options o = {.happy_eyeballs_delay = 5, .timeout = 20};
    cio_stream *s = NULL;
    double t0 = cio_loop_time(loop);
    CHECK_INT(
        cio__net_connect_list(reg, dual_list(&d, refused, port), &o, NULL, &s),
        0);
    /* the refusal started IPv4 at once, long before the 5 s delay */
    CHECK(cio_loop_time(loop) - t0 < 4);
    if (s) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        CHECK_INT(cio_stream_sockname(s, (struct sockaddr *)&ss, &len), 0);
        CHECK_INT(ss.ss_family, AF_INET);
        cio_stream_free(s);
    }
    cio_server_free(srv);
    return NULL;
}

typedef struct conn_arg {
    struct addrinfo *list;
    cio_stream *s;
    int rc;
} conn_arg;

static void *connector(void *arg) {
    conn_arg *c = arg;
    cio_connect_options o = {.happy_eyeballs_delay = 0.05, .timeout = 60};
    c->rc = cio__net_connect_list(cio__net_reg_get(NULL, "test"), c->list, &o,
                                  NULL, &c->s);
    return NULL;
}

static void *t_cancel_both_pending(void *arg) {
    (void)arg;
    int port6, port4;
    int l6 = listener(AF_INET6, 0, &port6);
    int l4 = listener(AF_INET, 0, &port4);
    CHECK(l6 >= 0 && l4 >= 0);
    dual d;
    int f6[NFILL], f4[NFILL];
    dual_list(&d, port6, port4);
    fill(f6, (struct sockaddr *)&d.a6, sizeof d.a6);
    fill(f4, (struct sockaddr *)&d.a4, sizeof d.a4);
    warm_up();
    cio_sleep(0.05);
    int fds0 = count_fds();
    conn_arg c = {.list = dual_list(&d, port6, port4), .rc = 1};
    cio_future *t = cio_create_task(connector, &c);
    /* both attempts start (the delay is 0.05 s) and stay pending */
    for (int i = 0; i < 200 && count_fds() < fds0 + 2; i++)
        cio_sleep(0.05);
    cio_sleep(0.1);
    CHECK_INT(c.rc, 1);
    CHECK_INT(count_fds(), fds0 + 2);
    cio_cancel(t, NULL);
    cio_await(t, NULL);
    cio_release(t);
    CHECK_INT(c.rc, CIO_ECANCELED);
    CHECK_PTR(c.s, NULL);
    settle();
    CHECK_INT(count_fds(), fds0);
    close_all(f6, NFILL);
    close_all(f4, NFILL);
    close(l6);
    close(l4);
    return NULL;
}

#define RUN_V6(fn)                                                             \
    do {                                                                       \
        (void)state;                                                           \
        if (!have_ipv6_loopback()) {                                           \
            print_message("no ::1 on this machine: skipped\n");                \
            skip();                                                            \
        }                                                                      \
        assert_int_equal(cio_run(fn, NULL, NULL), 0);                          \
        checks_assert();                                                       \
    } while (0)

static void test_stuck_first_family(void **state) {
    RUN_V6(t_stuck_first_family);
}

static void test_refused_first_family(void **state) {
    RUN_V6(t_refused_first_family);
}

static void test_cancel_both_pending(void **state) {
    RUN_V6(t_cancel_both_pending);
}

int main(void) {
    const struct CMUnitTest tests[] = {CIO_TEST(test_stuck_first_family),
                                       CIO_TEST(test_refused_first_family),
                                       CIO_TEST(test_cancel_both_pending)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
