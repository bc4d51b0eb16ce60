/* fdwait.c - waiting on any file descriptor (asyncio's add_reader and
 * add_writer as suspending calls) and the sock_* calls built on them.
 *
 * libuv allows one poll handle per fd, so the waits on one fd share a
 * poller: a list of waiters (each on its task's stack) and the union of
 * the events they want. The poller goes when its last waiter does.
 */
#include "net/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct fd_waiter {
    struct fd_waiter *prev, *next;
    cio__parking *park; /* the slot cio__net_park fills */
    int events;         /* UV_READABLE or UV_WRITABLE */
    int status;         /* the poll's error, if any */
    bool linked;        /* in its poller's list (which is alive while so) */
} fd_waiter;

typedef struct poller {
    cio__net_list node; /* in the loop's pollers */
    uv_poll_t poll;
    int fd;
    int events; /* what the poll watches now */
    fd_waiter *waiters;
} poller;

static void on_poller_closed(uv_handle_t *h) {
    free(h->data);
}

static void poller_close(poller *p) {
    cio__net_list_unlink(&p->node);
    uv_close((uv_handle_t *)&p->poll, on_poller_closed);
}

static void on_loop_close(cio__net_list *n) {
    poller *p = cio__container_of(n, poller, node);
    p->waiters = NULL; /* their tasks are gone (abandoned() unlinked them) */
    uv_close((uv_handle_t *)&p->poll, on_poller_closed);
}

static void unlink_waiter(poller *p, fd_waiter *w) {
    if (!w->linked)
        return;
    w->linked = false;
    if (w->prev)
        w->prev->next = w->next;
    else if (p->waiters == w)
        p->waiters = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
}

static void on_poll(uv_poll_t *h, int status, int events);

/* Watch what the waiters want; close the poller when none is left. */
static void poller_update(poller *p) {
    int ev = 0;
    for (fd_waiter *w = p->waiters; w; w = w->next)
        ev |= w->events;
    if (!ev) {
        poller_close(p);
        return;
    }
    if (ev != p->events) {
        int rc = uv_poll_start(&p->poll, ev, on_poll);
        if (rc < 0) {
            for (fd_waiter *w = p->waiters; w; w = w->next) {
                w->status = rc;
                if (w->park)
                    cio__unpark(w->park);
            }
        }
        p->events = ev;
    }
}

static void on_poll(uv_poll_t *h, int status, int events) {
    poller *p = h->data;
    if (status == UV_EBADF) {
        /* libuv's word for POLLERR (a refused connect, a reset): libuv has
         * stopped the poll. The fd is "ready": the call the waiter makes
         * next reports the real error, as with asyncio's add_reader. */
        status = 0;
        events = UV_READABLE | UV_WRITABLE;
        p->events = 0;
    }
    fd_waiter *w = p->waiters;
    while (w) {
        fd_waiter *next = w->next;
        if (status < 0 || (w->events & events)) {
            w->status = status < 0 ? status : 0;
            if (w->park)
                cio__unpark(w->park);
            w->park = NULL;
            unlink_waiter(p, w);
        }
        w = next;
    }
    if (p->waiters || status < 0)
        poller_update(p);
    else
        poller_close(p);
}

static poller *poller_get(cio__net_reg *reg, int fd, int *err) {
    cio__net_list *head = cio__net_reg_pollers(reg);
    for (cio__net_list *n = head->next; n != head; n = n->next) {
        poller *p = cio__container_of(n, poller, node);
        if (p->fd == fd)
            return p;
    }
    poller *p = calloc(1, sizeof *p);
    if (!p) {
        *err = CIO_ENOMEM;
        return NULL;
    }
    int rc = uv_poll_init(cio_loop_uv(cio__net_reg_loop(reg)), &p->poll, fd);
    if (rc < 0) {
        free(p);
        *err = rc;
        return NULL;
    }
    p->fd = fd;
    p->poll.data = p;
    p->node.on_loop_close = on_loop_close;
    cio__net_reg_add_poller(reg, &p->node);
    return p;
}

typedef struct wait_ctx {
    poller *p;
    fd_waiter w;
} wait_ctx;

static void abandoned(void *arg) {
    wait_ctx *c = arg;
    unlink_waiter(c->p, &c->w);
}

/* Timeout 0: whether fd is ready now, asked of the kernel at once (a wait
 * through the loop would time out at its next timer check, before its poll
 * could report the fd). An error or hang-up on the fd counts as ready, as
 * for select(2): the read or write that follows reports it. */
static int ready_now(int fd, int events) {
    struct pollfd pf = {.fd = fd,
                        .events =
                            (short)((events & UV_READABLE ? POLLIN : 0) |
                                    (events & UV_WRITABLE ? POLLOUT : 0))};
    int n;
    do
        n = poll(&pf, 1, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if (n > 0 && (pf.revents & POLLNVAL))
        return -EBADF;
    return n > 0 ? 0 : CIO_ETIMEDOUT;
}

static int wait_fd(int fd, int events, double timeout, const char *who) {
    cio_loop *loop = cio_get_running_loop();
    int rc = loop ? cio__net_check_task(loop) : CIO_ENOTASK;
    if (rc == 0 && (fd < 0 || timeout != timeout))
        rc = CIO_EINVAL;
    if (rc == 0 && timeout == 0) {
        rc = ready_now(fd, events);
        if (rc < 0)
            cio__set_error(rc, "%s: fd %d: %s", who, fd, cio_strerror(rc));
        return rc;
    }
    cio__net_reg *reg = rc == 0 ? cio__net_reg_get(loop, who) : NULL;
    if (rc == 0 && !reg)
        return cio_last_error();
    wait_ctx c = {.w = {.events = events}};
    if (rc == 0)
        c.p = poller_get(reg, fd, &rc);
    if (!c.p) {
        rc = rc < 0 ? rc : CIO_ENOMEM;
        cio__set_error(rc, "%s: fd %d: %s", who, fd, cio_strerror(rc));
        return rc;
    }
    c.w.next = c.p->waiters;
    if (c.p->waiters)
        c.p->waiters->prev = &c.w;
    c.p->waiters = &c.w;
    c.w.linked = true;
    poller_update(c.p);
    cio__cleanup cl;
    cio__cleanup_push(&cl, abandoned, &c);
    double deadline = timeout > 0 ? cio_loop_time(loop) + timeout : 0;
    rc = c.w.status;
    if (rc == 0)
        rc = cio__net_park(loop, &c.w.park, deadline);
    cio__cleanup_pop(&cl);
    if (c.w.linked) { /* timed out or cancelled: not woken by the poll */
        unlink_waiter(c.p, &c.w);
        poller_update(c.p);
    }
    if (rc == 0)
        rc = c.w.status;
    if (rc < 0)
        cio__set_error(rc, "%s: fd %d: %s", who, fd, cio_strerror(rc));
    return rc;
}

int cio_wait_readable(int fd, double timeout) {
    return wait_fd(fd, UV_READABLE, timeout, "cio_wait_readable");
}

int cio_wait_writable(int fd, double timeout) {
    return wait_fd(fd, UV_WRITABLE, timeout, "cio_wait_writable");
}

/* ---- sock_* ------------------------------------------------------------- */

static int check_nonblocking(int fd, const char *who) {
    int fl = fcntl(fd, F_GETFL);
    int rc = fl < 0 ? -errno : (fl & O_NONBLOCK) ? 0 : CIO_EINVAL;
    if (rc == CIO_EINVAL)
        cio__set_error(rc, "%s: fd %d is blocking", who, fd);
    else if (rc < 0)
        cio__set_error(rc, "%s: fd %d: %s", who, fd, cio_strerror(rc));
    return rc;
}

/* Errors of the call itself: recorded, returned. */
static int sys_fail(int err, int fd, const char *who) {
    cio__set_error(-err, "%s: fd %d: %s", who, fd, cio_strerror(-err));
    return -err;
}

ssize_t cio_sock_recvfrom(int fd, void *buf, size_t n,
                          struct sockaddr_storage *from) {
    const char *who = "cio_sock_recvfrom";
    int rc = check_nonblocking(fd, who);
    if (rc < 0)
        return rc;
    if (!buf && n)
        return sys_fail(EINVAL, fd, who);
    for (;;) {
        socklen_t fl = sizeof *from;
        ssize_t got =
            from ? recvfrom(fd, buf, n, 0, (struct sockaddr *)from, &fl)
                 : recv(fd, buf, n, 0);
        if (got >= 0)
            return got;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return sys_fail(errno, fd, who);
        if ((rc = cio_wait_readable(fd, -1)) < 0)
            return rc;
    }
}

ssize_t cio_sock_recv(int fd, void *buf, size_t n) {
    return cio_sock_recvfrom(fd, buf, n, NULL);
}

ssize_t cio_sock_sendto(int fd, const void *data, size_t n,
                        const struct sockaddr *to, socklen_t tolen) {
    const char *who = "cio_sock_sendto";
    int rc = check_nonblocking(fd, who);
    if (rc < 0)
        return rc;
    if (!data && n)
        return sys_fail(EINVAL, fd, who);
    for (;;) {
        ssize_t put = sendto(fd, data, n, MSG_NOSIGNAL, to, to ? tolen : 0);
        if (put >= 0)
            return put;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return sys_fail(errno, fd, who);
        if ((rc = cio_wait_writable(fd, -1)) < 0)
            return rc;
    }
}

int cio_sock_sendall(int fd, const void *data, size_t n, size_t *sent) {
    const char *who = "cio_sock_sendall";
    size_t done = 0;
    if (sent)
        *sent = 0;
    int rc = check_nonblocking(fd, who);
    if (rc < 0)
        return rc;
    if (!data && n)
        return sys_fail(EINVAL, fd, who);
    while (done < n) {
        ssize_t put =
            send(fd, (const char *)data + done, n - done, MSG_NOSIGNAL);
        if (put >= 0) {
            done += (size_t)put;
            if (sent)
                *sent = done;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return sys_fail(errno, fd, who);
        if ((rc = cio_wait_writable(fd, -1)) < 0)
            return rc;
    }
    return 0;
}

int cio_sock_connect(int fd, const struct sockaddr *addr, socklen_t len) {
    const char *who = "cio_sock_connect";
    int rc = check_nonblocking(fd, who);
    if (rc < 0)
        return rc;
    if (!addr)
        return sys_fail(EINVAL, fd, who);
    if (connect(fd, addr, len) == 0)
        return 0;
    if (errno != EINPROGRESS && errno != EINTR)
        return sys_fail(errno, fd, who);
    if ((rc = cio_wait_writable(fd, -1)) < 0)
        return rc;
    int err = 0;
    socklen_t el = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
        err = errno;
    return err ? sys_fail(err, fd, who) : 0;
}

int cio_sock_accept(int fd, struct sockaddr_storage *from) {
    const char *who = "cio_sock_accept";
    int rc = check_nonblocking(fd, who);
    if (rc < 0)
        return rc;
    for (;;) {
        socklen_t fl = sizeof *from;
        int c = accept4(fd, (struct sockaddr *)from, from ? &fl : NULL,
                        SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c >= 0)
            return c;
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return sys_fail(errno, fd, who);
        if ((rc = cio_wait_readable(fd, -1)) < 0)
            return rc;
    }
}
