/* Integration: a request cancelled while it connects leaves its socket
 * closed by libcurl (7.88.1 closes it in curl_multi_remove_handle without
 * CURLOPT_CLOSESOCKETFUNCTION); the next request's socket gets the same fd
 * number and, still connecting, asks for the same events (POLLOUT). It
 * must be watched all the same: before the fix its connect was never
 * noticed and it waited for its total timeout (the stress test's hang,
 * where the fault server's full accept queue delayed connects).
 * ctest-timeout: 120 */
#include "cio_test.h"

#include <arpa/inet.h>
#include <cio/http.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A listener whose accept queue (one connection long) is full: a connect
 * to it stays pending, the kernel dropping its SYN until there is room. */
typedef struct full_listener {
    int fd, fill, port;
} full_listener;

static bool full_listener_open(full_listener *l) {
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t n = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&a, n) != 0 ||
        listen(l->fd, 0) != 0 ||
        getsockname(l->fd, (struct sockaddr *)&a, &n) != 0)
        return false;
    l->port = ntohs(a.sin_port);
    l->fill = socket(AF_INET, SOCK_STREAM, 0); /* fills the queue */
    return l->fill >= 0 && connect(l->fill, (struct sockaddr *)&a, n) == 0;
}

static void full_listener_close(full_listener *l) {
    close(l->fill);
    close(l->fd);
}

typedef struct get_args {
    cio_http_session *s;
    char url[64];
    int rc; /* the status, or the negative error */
} get_args;

static void *get_one(void *arg) {
    get_args *g = arg;
    cio_http_response *r = NULL;
    int rc = cio_http_get(g->s, g->url, &r);
    if (rc == 0)
        rc = cio_http_response_status(r);
    cio_http_response_release(r);
    g->rc = rc;
    return NULL;
}

/* Accept the next connection, waiting at most `secs`; -1 if none came. */
static int accept_within(int lfd, double secs) {
    for (int i = 0; i < (int)(secs * 100); i++) {
        int c = accept(lfd, NULL, NULL);
        if (c >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            return c;
        cio_sleep(0.01);
    }
    return -1;
}

/* Answer one HTTP request on c once its head came, within `secs`. The
 * server side of the test, so the bytes are written by hand. */
static bool answer_within(int c, double secs) {
    char buf[4096];
    size_t got = 0;
    for (int i = 0; i < (int)(secs * 100) && got < sizeof buf - 1; i++) {
        ssize_t k = recv(c, buf + got, sizeof buf - 1 - got, MSG_DONTWAIT);
        if (k > 0) {
            got += (size_t)k;
            buf[got] = '\0';
            if (strstr(buf, "\r\n\r\n")) {
                static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: "
                                         "2\r\nConnection: close\r\n\r\nok";
                return send(c, ok, sizeof ok - 1, 0) == (ssize_t)sizeof ok - 1;
            }
        } else if (k == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            return false;
        cio_sleep(0.01);
    }
    return false;
}

static void *reused_body(void *arg) {
    (void)arg;
    full_listener l = {.fd = -1, .fill = -1};
    CHECK(full_listener_open(&l));
    /* the total timeout turns a lost wake-up into an error, not a hang */
    cio_http_session_options o = {.timeout = {.total = 30}};
    cio_http_session *s = cio_http_session_new(NULL, &o);
    get_args g = {.s = s};
    snprintf(g.url, sizeof g.url, "http://127.0.0.1:%d/", l.port);
    /* A connects and waits (POLLOUT); cancelled, libcurl closes its fd */
    cio_future *a = cio_create_task(get_one, &g);
    cio_sleep(under_valgrind() ? 1.0 : 0.2);
    cio_cancel(a, NULL);
    int rc = cio_await(a, NULL);
    CHECK(rc == CIO_ECANCELED || g.rc == CIO_ECANCELED);
    cio_release(a);
    /* B gets the same fd number and waits for POLLOUT as well */
    cio_future *b = cio_create_task(get_one, &g);
    cio_sleep(under_valgrind() ? 1.0 : 0.2);
    /* room in the queue: B's next SYN gets in, its connect completes */
    int f = accept_within(l.fd, 10);
    CHECK(f >= 0);
    close(f);
    int c = accept_within(l.fd, 20);
    CHECK(c >= 0);
    CHECK(answer_within(c, 25)); /* the request came: B saw its connect */
    close(c);
    CHECK_INT(cio_await(b, NULL), 0);
    CHECK_INT(g.rc, 200);
    cio_release(b);
    CHECK_INT(cio_http_session_close(s), 0);
    full_listener_close(&l);
    return NULL;
}

static void test_cancelled_socket_number_reused(void **state) {
    (void)state;
    void *res = NULL;
    CHECK_INT(cio_run(reused_body, NULL, &res), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_cancelled_socket_number_reused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
