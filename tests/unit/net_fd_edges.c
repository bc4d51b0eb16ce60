/* Unit tests: the edges of the fd waits and of the sock_* calls that
 * net_fd.c does not reach: a zero timeout, several waiters on one fd (one
 * leaving from the middle of the list, a reader left waiting when a writer
 * is woken), sends that must wait for a slow reader (sendall, sendto),
 * cancellation inside the sock_* calls, an accept that waits, a connect
 * that succeeds at once, NULL buffers, and the system's errors (a pipe is
 * not a socket). Everything runs on socketpairs, pipes and UNIX sockets. */
#include "../cio_test.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int nonblock(int fd) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void pair(int type, int sv[2]) {
    CHECK_INT(socketpair(AF_UNIX, type, 0, sv), 0);
    nonblock(sv[0]);
    nonblock(sv[1]);
}

/* ---- waits ------------------------------------------------------------- */

static void *wait_read(void *arg) {
    return IPTR(cio_wait_readable(*(int *)arg, -1));
}

static void *wait_write(void *arg) {
    return IPTR(cio_wait_writable(*(int *)arg, -1));
}

static void *waits_main(void *arg) {
    (void)arg;
    int sv[2];
    pair(SOCK_STREAM, sv);
    /* timeout 0: a poll, ETIMEDOUT when nothing is there, 0 when the fd
     * is ready now (a byte to read, room to write, the peer gone) */
    CHECK_INT(cio_wait_readable(sv[0], 0), CIO_ETIMEDOUT);
    CHECK(strstr(cio_last_error_message(), "cio_wait_readable") != NULL);
    CHECK_INT(cio_wait_writable(sv[0], 0), 0);
    CHECK_INT(write(sv[1], "z", 1), 1);
    CHECK_INT(cio_wait_readable(sv[0], 0), 0);
    char z;
    CHECK_INT(read(sv[0], &z, 1), 1);
    CHECK_INT(cio_wait_readable(sv[0], 0), CIO_ETIMEDOUT);
    int gone[2];
    pair(SOCK_STREAM, gone);
    close(gone[1]);
    CHECK_INT(cio_wait_readable(gone[0], 0), 0); /* EOF: read says 0 */
    close(gone[0]);
    CHECK_INT(cio_wait_readable(gone[0], 0), -EBADF); /* closed fd */
    CHECK(strstr(cio_last_error_message(), "cio_wait_readable: fd") != NULL);
    /* three readers; the first one (now in the middle of the list) is
     * cancelled, the two others still get the byte's readiness */
    cio_future *r[3];
    for (int i = 0; i < 3; i++)
        r[i] = cio_create_task(wait_read, &sv[0]);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_cancel(r[1], NULL), 1);
    CHECK_INT(cio_sleep(0), 0);
    CHECK(cio_future_cancelled(r[1]));
    CHECK(!cio_future_done(r[0]) && !cio_future_done(r[2]));
    CHECK_INT(write(sv[1], "x", 1), 1);
    void *res;
    CHECK_INT(cio_await(r[0], &res), 0);
    CHECK_INT(PINT(res), 0);
    CHECK_INT(cio_await(r[2], &res), 0);
    CHECK_INT(PINT(res), 0);
    cio_release_all(r, 3);
    char c;
    CHECK_INT(read(sv[0], &c, 1), 1);
    /* a reader and a writer on one fd: the writer is woken, the reader
     * keeps waiting until a byte comes */
    cio_future *rd = cio_create_task(wait_read, &sv[0]);
    cio_future *wr = cio_create_task(wait_write, &sv[0]);
    CHECK_INT(cio_await(wr, &res), 0);
    CHECK_INT(PINT(res), 0);
    CHECK_INT(cio_sleep(0.01), 0);
    CHECK(!cio_future_done(rd));
    CHECK_INT(write(sv[1], "y", 1), 1);
    CHECK_INT(cio_await(rd, &res), 0);
    CHECK_INT(PINT(res), 0);
    cio_release(rd);
    cio_release(wr);
    close(sv[0]);
    close(sv[1]);
    return NULL;
}

static void test_waits(void **state) {
    (void)state;
    assert_int_equal(cio_run(waits_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- sends that wait --------------------------------------------------- */

#define TOTAL (256 * 1024)

typedef struct reader {
    int fd;
    size_t got;
    unsigned long sum;
} reader;

/* Read slowly (a sleep between reads) until `want` bytes came. */
static void *slow_reader(void *arg) {
    reader *r = arg;
    unsigned char buf[4096];
    while (r->got < TOTAL) {
        CHECK_INT(cio_sleep(0.001), 0);
        ssize_t n = cio_sock_recv(r->fd, buf, sizeof buf);
        CHECK(n > 0);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            r->sum += buf[i] * (r->got + (size_t)i + 1);
        r->got += (size_t)n;
    }
    return NULL;
}

static void *sendall_main(void *arg) {
    (void)arg;
    int sv[2];
    pair(SOCK_STREAM, sv);
    int small = 4096;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    unsigned char *data = malloc(TOTAL);
    unsigned long sum = 0;
    for (size_t i = 0; i < TOTAL; i++) {
        data[i] = (unsigned char)(i * 13 + 1);
        sum += data[i] * (i + 1);
    }
    reader r = {.fd = sv[0]};
    cio_future *t = cio_create_task(slow_reader, &r);
    size_t sent = 0;
    CHECK_INT(cio_sock_sendall(sv[1], data, TOTAL, &sent), 0);
    CHECK_INT(sent, TOTAL);
    CHECK_INT(cio_await(t, NULL), 0);
    CHECK_INT(r.got, TOTAL);
    CHECK(r.sum == sum);
    cio_release(t);
    free(data);
    close(sv[0]);
    close(sv[1]);
    return NULL;
}

static void test_sendall_waits_for_reader(void **state) {
    (void)state;
    assert_int_equal(cio_run(sendall_main, NULL, NULL), 0);
    checks_assert();
}

/* Datagrams: fill the peer's queue, then a send waits until it reads. */
static void *dgram_drainer(void *arg) {
    int fd = *(int *)arg;
    char buf[64];
    int n = 0;
    CHECK_INT(cio_sleep(0.01), 0);
    while (cio_sock_recv(fd, buf, sizeof buf) > 0 && ++n < 100000) {
        if (strcmp(buf, "last") == 0)
            break;
    }
    return IPTR(n);
}

static void *sendto_main(void *arg) {
    (void)arg;
    int sv[2];
    pair(SOCK_DGRAM, sv);
    int queued = 0;
    while (send(sv[1], "fill", 5, MSG_DONTWAIT) == 5)
        queued++;
    CHECK(queued > 0);
    CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
    cio_future *t = cio_create_task(dgram_drainer, &sv[0]);
    /* the queue is full: this waits for the drainer */
    CHECK_INT(cio_sock_sendto(sv[1], "last", 5, NULL, 0), 5);
    void *res;
    CHECK_INT(cio_await(t, &res), 0);
    CHECK_INT(PINT(res), queued + 1);
    cio_release(t);
    close(sv[0]);
    close(sv[1]);
    return NULL;
}

static void test_sendto_waits_for_room(void **state) {
    (void)state;
    assert_int_equal(cio_run(sendto_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- cancellation inside the sock_* calls ------------------------------ */

static int g_fd;
static size_t g_sent;
static long g_rc; /* what the cancelled call returned */

static void *recv_forever(void *arg) {
    char buf[16];
    (void)arg;
    g_rc = cio_sock_recv(g_fd, buf, sizeof buf);
    return NULL;
}

static void *sendall_forever(void *arg) {
    (void)arg;
    static char big[1 << 20];
    g_rc = cio_sock_sendall(g_fd, big, sizeof big, &g_sent);
    return NULL;
}

static void *accept_forever(void *arg) {
    (void)arg;
    g_rc = cio_sock_accept(g_fd, NULL);
    return NULL;
}

/* Start fn in a task, let it wait, cancel it: the call returns
 * CIO_ECANCELED, and so does the task. */
static void cancel_waiting(cio_task_fn fn) {
    g_rc = 1;
    cio_future *t = cio_create_task(fn, NULL);
    CHECK_INT(cio_sleep(0.005), 0);
    CHECK(!cio_future_done(t));
    CHECK_INT(cio_cancel(t, NULL), 1);
    CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
    CHECK_INT(g_rc, CIO_ECANCELED);
    cio_release(t);
}

static void *cancel_main(void *arg) {
    (void)arg;
    int sv[2];
    pair(SOCK_STREAM, sv);
    g_fd = sv[0];
    cancel_waiting(recv_forever);
    /* nothing was taken: the byte written now is the first one read */
    CHECK_INT(write(sv[1], "z", 1), 1);
    char c = 0;
    CHECK_INT(cio_sock_recv(sv[0], &c, 1), 1);
    CHECK_INT(c, 'z');
    /* sendall: cancelled part-way, *sent says how much went */
    int small = 4096;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    g_sent = (size_t)-1;
    cancel_waiting(sendall_forever);
    CHECK(g_sent > 0 && g_sent < (1 << 20));
    size_t drained = 0;
    char buf[65536];
    ssize_t n;
    while ((n = read(sv[1], buf, sizeof buf)) > 0)
        drained += (size_t)n;
    CHECK_INT(drained, g_sent);
    close(sv[0]);
    close(sv[1]);
    /* accept on a listening socket nobody connects to */
    int lfd = nonblock(socket(AF_UNIX, SOCK_STREAM, 0));
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    CHECK_INT(bind(lfd, (struct sockaddr *)&a, sizeof(sa_family_t)), 0);
    CHECK_INT(listen(lfd, 4), 0);
    g_fd = lfd;
    cancel_waiting(accept_forever);
    close(lfd);
    return NULL;
}

static void test_cancelled_sock_calls(void **state) {
    (void)state;
    assert_int_equal(cio_run(cancel_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- accept that waits, a connect done at once ------------------------- */

static void *late_connect(void *arg) {
    const struct sockaddr_un *a = arg;
    CHECK_INT(cio_sleep(0.01), 0);
    int fd = nonblock(socket(AF_UNIX, SOCK_STREAM, 0));
    /* a UNIX socket with room in the backlog connects at once */
    CHECK_INT(cio_sock_connect(fd, (const struct sockaddr *)a, sizeof *a), 0);
    CHECK_INT(cio_sock_sendall(fd, "hi", 2, NULL), 0);
    return IPTR(fd);
}

static void *accept_main(void *arg) {
    (void)arg;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "/tmp/cio-fdedge-%d.sock",
             (int)getpid());
    unlink(a.sun_path);
    int lfd = nonblock(socket(AF_UNIX, SOCK_STREAM, 0));
    CHECK_INT(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    CHECK_INT(listen(lfd, 4), 0);
    cio_future *t = cio_create_task(late_connect, &a);
    struct sockaddr_storage from;
    int c = cio_sock_accept(lfd, &from); /* waits for late_connect */
    CHECK(c >= 0);
    CHECK_INT(from.ss_family, AF_UNIX);
    CHECK(fcntl(c, F_GETFL) & O_NONBLOCK);
    CHECK(fcntl(c, F_GETFD) & FD_CLOEXEC);
    char buf[4] = {0};
    CHECK_INT(cio_sock_recv(c, buf, 2), 2);
    CHECK_STR(buf, "hi");
    void *res;
    CHECK_INT(cio_await(t, &res), 0);
    close(PINT(res));
    cio_release(t);
    close(c);
    close(lfd);
    unlink(a.sun_path);
    return NULL;
}

static void test_accept_waits(void **state) {
    (void)state;
    assert_int_equal(cio_run(accept_main, NULL, NULL), 0);
    checks_assert();
}

/* ---- bad input and the system's errors --------------------------------- */

static void *errors_main(void *arg) {
    (void)arg;
    int sv[2];
    pair(SOCK_STREAM, sv);
    /* NULL buffers with a length */
    CHECK_INT(cio_sock_recv(sv[0], NULL, 4), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "cio_sock_recvfrom: fd") != NULL);
    CHECK_INT(cio_sock_recvfrom(sv[0], NULL, 4, NULL), CIO_EINVAL);
    CHECK_INT(cio_sock_sendto(sv[0], NULL, 4, NULL, 0), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "cio_sock_sendto: fd") != NULL);
    size_t sent = 99;
    CHECK_INT(cio_sock_sendall(sv[0], NULL, 4, &sent), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "cio_sock_sendall: fd") != NULL);
    CHECK_INT(sent, 0);
    CHECK_INT(cio_sock_connect(sv[0], NULL, 0), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "cio_sock_connect: fd") != NULL);
    /* zero bytes are fine */
    CHECK_INT(cio_sock_sendall(sv[0], NULL, 0, NULL), 0);
    /* a closed fd: the fcntl's error */
    int dead = dup(sv[0]);
    close(dead);
    char c;
    CHECK_INT(cio_sock_recv(dead, &c, 1), -EBADF);
    CHECK(strstr(cio_last_error_message(), "cio_sock_recvfrom") != NULL);
    close(sv[0]);
    close(sv[1]);
    /* a pipe is not a socket: each call reports the system's error */
    int p[2];
    CHECK_INT(pipe2(p, O_NONBLOCK), 0);
    CHECK_INT(cio_sock_recv(p[0], &c, 1), -ENOTSOCK);
    CHECK(strstr(cio_last_error_message(), "cio_sock_recvfrom: fd") != NULL);
    CHECK_INT(cio_sock_sendto(p[1], "x", 1, NULL, 0), -ENOTSOCK);
    CHECK(strstr(cio_last_error_message(), "cio_sock_sendto") != NULL);
    CHECK_INT(cio_sock_sendall(p[1], "x", 1, NULL), -ENOTSOCK);
    CHECK(strstr(cio_last_error_message(), "cio_sock_sendall") != NULL);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    CHECK_INT(cio_sock_connect(p[1], (struct sockaddr *)&a, sizeof a),
              -ENOTSOCK);
    CHECK(strstr(cio_last_error_message(), "cio_sock_connect") != NULL);
    CHECK_INT(cio_sock_accept(p[0], NULL), -ENOTSOCK);
    CHECK(strstr(cio_last_error_message(), "cio_sock_accept") != NULL);
    close(p[0]);
    close(p[1]);
    /* connecting to a path nobody listens on */
    int fd = nonblock(socket(AF_UNIX, SOCK_STREAM, 0));
    snprintf(a.sun_path, sizeof a.sun_path, "/tmp/cio-fdedge-none-%d",
             (int)getpid());
    CHECK_INT(cio_sock_connect(fd, (struct sockaddr *)&a, sizeof a), -ENOENT);
    close(fd);
    return NULL;
}

static void test_errors(void **state) {
    (void)state;
    assert_int_equal(cio_run(errors_main, NULL, NULL), 0);
    checks_assert();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_waits),
        CIO_TEST(test_sendall_waits_for_reader),
        CIO_TEST(test_sendto_waits_for_room),
        CIO_TEST(test_cancelled_sock_calls),
        CIO_TEST(test_accept_waits),
        CIO_TEST(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
