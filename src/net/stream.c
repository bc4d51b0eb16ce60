/* stream.c - a stream's raw side: the libuv handle, its read callback, the
 * write buffers, half-close, close and free. The reads users call are in
 * stream_read.c.
 *
 * Writing: what the socket takes at once goes out at once (send(2) for
 * TCP, uv_try_write for pipes); the rest is copied into `wpend`. One uv_write
 * is in flight at a time, over `wout`, which nothing touches until its
 * callback; then the buffers swap. So a write never suspends and never moves
 * memory libuv is still reading.
 *
 * Reading: raw bytes land in the loop's one scratch buffer (or in the
 * buffer of a reader parked in cio_stream_read) and are appended to rbuf
 * (through the filter if there is one). Reading starts when a task first
 * asks for data, stops while rbuf holds more than twice the limit
 * (asyncio's pause_reading) and resumes when a reader waits. TCP streams
 * are read from the loop's edge-triggered epoll (reg.c), pipes by libuv.
 */
#include "net/internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ---- buffers ------------------------------------------------------------ */

int cio__buf_append(cio__buf *b, const char *p, size_t n) {
    if (b->cap - b->end < n) {
        size_t len = cio__buf_len(b);
        if (b->start && len + n <= b->cap) {
            memmove(b->data, b->data + b->start, len);
        } else {
            size_t cap = b->cap ? b->cap : 256;
            while (cap < len + n)
                cap *= 2;
            char *d = malloc(cap);
            if (!d)
                return CIO_ENOMEM;
            if (len)
                memcpy(d, b->data + b->start, len);
            free(b->data);
            b->data = d;
            b->cap = cap;
        }
        b->start = 0;
        b->end = len;
    }
    if (n)
        memcpy(b->data + b->end, p, n);
    b->end += n;
    return 0;
}

/* Put n bytes back in front of what is buffered. */
int cio__buf_prepend(cio__buf *b, const char *p, size_t n) {
    if (b->start >= n) {
        b->start -= n;
        memcpy(b->data + b->start, p, n);
        return 0;
    }
    cio__buf t = {0};
    if (cio__buf_append(&t, p, n) < 0 ||
        cio__buf_append(&t, b->data + b->start, cio__buf_len(b)) < 0) {
        cio__buf_free(&t);
        return CIO_ENOMEM;
    }
    cio__buf_free(b);
    *b = t;
    return 0;
}

/* Drop n bytes from the front; an emptied large buffer gives its memory
 * back (an idle connection keeps at most a small one). */
void cio__buf_consume(cio__buf *b, size_t n) {
    b->start += n;
    if (b->start == b->end) {
        b->start = b->end = 0;
        if (b->cap > CIO__READ_CHUNK)
            cio__buf_free(b);
    }
}

void cio__buf_free(cio__buf *b) {
    free(b->data);
    b->data = NULL;
    b->start = b->end = b->cap = 0;
}

/* ---- waking ------------------------------------------------------------- */

static void wake(cio__parking **slot) {
    if (*slot) {
        cio__unpark(*slot);
        *slot = NULL;
    }
}

static void wake_all(cio_stream *s) {
    wake(&s->reader);
    wake(&s->drainer);
    wake(&s->filter_waiter);
}

static bool handle_usable(const cio_stream *s) {
    return !s->closed && !uv_is_closing(&s->h.handle);
}

/* Is s read from the loop's edge-triggered epoll (reg.c)? */
static bool edge_read(const cio_stream *s) {
    return CIO__NET_EPOLL && s->kind == CIO__S_TCP;
}

static void stop_reading(cio_stream *s) {
    if (edge_read(s))
        s->et_stopped = true; /* the edges may come; nobody reads them */
    else if (handle_usable(s))
        uv_read_stop(&s->h.stream);
}

/* Out of the edge-triggered epoll before the handle (and fd) closes: a
 * duplicate of the fd elsewhere would keep the registration alive. */
static void unwatch(cio_stream *s) {
    uv_os_fd_t fd;
    if (s->watched && s->reg && uv_fileno(&s->h.handle, &fd) == 0)
        cio__net_reg_unwatch(s->reg, fd);
    s->watched = false;
}

static void set_error(cio_stream *s, int code, char *msg) {
    if (!s->error) {
        s->error = code;
        s->error_msg = msg;
    } else {
        free(msg);
    }
    stop_reading(s);
    wake_all(s);
}

static void really_close(cio_stream *s, bool reset);

void cio__stream_fail(cio_stream *s, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = cio__vmessage(code, fmt, ap);
    va_end(ap);
    set_error(s, code, msg);
    s->closing = true;
    really_close(s, false);
}

int cio__stream_report(const cio_stream *s, int code, const char *who) {
    if (code == s->error && s->error_msg)
        cio__set_error(code, "%s: %s", who, s->error_msg);
    else
        cio__set_error(code, "%s: %s", who, cio_strerror(code));
    return code;
}

/* ---- reading (raw) ------------------------------------------------------ */

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf) {
    (void)size;
    cio_stream *s = h->data;
    /* (s->reader: the reader is still parked; a loop that abandons the
     * task clears it, so a stale buffer is never handed out. A filter
     * set meanwhile, STARTTLS, takes the raw bytes itself.) */
    if (s->direct && s->reader && !s->filter) {
        buf->base = s->direct;
        buf->len = s->direct_cap;
        return;
    }
    buf->base = cio__net_reg_scratch(s->reg);
    buf->len = CIO__READ_CHUNK;
}

int cio__stream_feed(cio_stream *s, const char *data, size_t n) {
    if (cio__buf_append(&s->rbuf, data, n) < 0) {
        set_error(s, CIO_ENOMEM, NULL);
        return CIO_ENOMEM;
    }
    if (cio__buf_len(&s->rbuf) > 2 * s->limit && !s->read_paused) {
        stop_reading(s);
        s->read_paused = true;
    }
    wake(&s->reader);
    return 0;
}

void cio__stream_feed_eof(cio_stream *s) {
    s->eof = true;
    wake(&s->reader);
}

static void on_read(uv_stream_t *h, ssize_t n, const uv_buf_t *buf) {
    cio_stream *s = h->data;
    if (buf->base && buf->base == s->direct) {
        s->direct = NULL; /* lent once: the next read goes to rbuf */
        if (n > 0) {
            s->direct_got = (size_t)n;
            wake(&s->reader);
            return;
        }
    }
    if (n > 0) {
        if (!s->filter) {
            cio__stream_feed(s, buf->base, (size_t)n);
            return;
        }
        int rc =
            s->filter->on_raw_input(s, s->filter_ctx, buf->base, (size_t)n);
        if (rc < 0)
            set_error(s, rc, NULL);
    } else if (n == UV_EOF) {
        stop_reading(s);
        int rc = s->filter ? s->filter->on_raw_eof(s, s->filter_ctx) : 0;
        if (rc < 0)
            set_error(s, rc, NULL);
        else if (!s->filter)
            cio__stream_feed_eof(s);
        wake(&s->filter_waiter);
    } else if (n < 0) {
        set_error(s, (int)n, NULL);
    }
}

/* A TCP stream's socket, asked of libuv once: the read and the write path
 * need it for every message. -1 while it has none. */
static int sock_fd(cio_stream *s) {
    uv_os_fd_t fd;
    if (s->fd < 0 && uv_fileno(&s->h.handle, &fd) == 0)
        s->fd = fd;
    return s->fd;
}

/* TCP: read while the socket has data and someone wants it. A read that
 * fills less than its buffer drained the socket (the next byte makes a
 * new edge), as mio assumes; so does EAGAIN. Once the peer has closed
 * (EPOLLRDHUP, HUP, ERR), no edge follows the last bytes: read on until
 * recv returns the EOF or the error. */
static void read_edges(cio_stream *s) {
    int fd = sock_fd(s);
    if (fd < 0)
        return;
    while (s->readable && s->read_started && !s->read_paused &&
           !s->et_stopped && !s->error && handle_usable(s)) {
        uv_buf_t b;
        on_alloc(&s->h.handle, CIO__READ_CHUNK, &b);
        ssize_t n = recv(fd, b.base, b.len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            s->readable = false;
            break;
        }
        if (n < (ssize_t)b.len && !s->hup)
            s->readable = false;
        if (n <= 0)
            s->readable = false; /* EOF or the error: reported once */
        s->rx++;
        on_read(&s->h.stream, n > 0 ? n : n == 0 ? UV_EOF : -errno, &b);
    }
}

void cio__stream_on_edge(cio_stream *s, bool hup) {
    s->readable = true;
    s->hup = s->hup || hup;
    read_edges(s);
}

static int start_tcp(cio_stream *s) {
    if (!s->watched) {
        uv_os_fd_t fd;
        int rc = uv_fileno(&s->h.handle, &fd);
        if (rc == 0)
            rc = cio__net_reg_watch(s->reg, s, fd);
        if (rc < 0) {
            set_error(s, rc, NULL);
            return rc;
        }
        s->watched = true; /* (an edge for bytes already there comes) */
    }
    s->read_started = true;
    s->read_paused = false;
    s->et_stopped = false;
    read_edges(s); /* what a pause left unread makes no new edge */
    return 0;
}

int cio__stream_start_reading(cio_stream *s) {
    if (!handle_usable(s) || s->eof || s->error)
        return 0;
    if (s->read_started && !s->read_paused && !s->et_stopped)
        return 0;
    if (edge_read(s))
        return start_tcp(s);
    int rc = uv_read_start(&s->h.stream, on_alloc, on_read);
    if (rc < 0 && rc != UV_EALREADY) {
        set_error(s, rc, NULL);
        return rc;
    }
    s->read_started = true;
    s->read_paused = false;
    return 0;
}

/* Resume after a consumer has taken data, as asyncio's _maybe_resume. */
void cio__stream_maybe_resume(cio_stream *s) {
    if (s->read_paused && cio__buf_len(&s->rbuf) <= s->limit)
        cio__stream_start_reading(s);
}

/* ---- writing (raw) ------------------------------------------------------ */

size_t cio_stream_write_buffer_size(const cio_stream *s) {
    if (!s)
        return 0;
    return (s->writing ? cio__buf_len(&s->wout) : 0) + cio__buf_len(&s->wpend);
}

static void on_write(uv_write_t *req, int status);
static void do_shutdown(cio_stream *s);

static void start_write(cio_stream *s) {
    cio__buf t = s->wout; /* empty: swap its memory in for reuse */
    s->wout = s->wpend;
    s->wpend = t;
    uv_buf_t b = uv_buf_init(s->wout.data + s->wout.start,
                             (unsigned)cio__buf_len(&s->wout));
    int rc = uv_write(&s->wreq, &s->h.stream, &b, 1, on_write);
    if (rc < 0) {
        set_error(s, rc, NULL);
        return;
    }
    s->writing = true;
}

/* After every write: wake a drainer at the low mark, then do what was
 * waiting for an empty buffer (the half-close, the close). */
static void after_flush(cio_stream *s) {
    size_t size = cio_stream_write_buffer_size(s);
    if (size <= s->low_water || s->error)
        wake(&s->drainer);
    if (size && !s->error)
        return;
    if (s->flush_close)
        really_close(s, false);
    else if (s->eof_wanted && !s->shut)
        do_shutdown(s);
}

static void on_write(uv_write_t *req, int status) {
    cio_stream *s = req->data;
    s->writing = false;
    s->wout.start = s->wout.end = 0;
    if (s->wout.cap > CIO__READ_CHUNK)
        cio__buf_free(&s->wout);
    if (status == UV_ECANCELED)
        return; /* the handle is closing */
    if (status < 0)
        set_error(s, status, NULL);
    else if (cio__buf_len(&s->wpend) && handle_usable(s))
        start_write(s);
    after_flush(s);
}

/* What the socket takes now: bytes written, UV_EAGAIN or an error. A TCP
 * socket is written with send(2)/sendmsg(2), as mio (Tokio) does: write(2)
 * goes through the VFS layer first, which costs a measurable part of a
 * 64-byte echo (W4); MSG_NOSIGNAL also spares SIGPIPE. Pipes go to libuv. */
static int try_write(cio_stream *s, uv_buf_t *ub, unsigned nb) {
#if CIO__NET_EPOLL /* (Linux: MSG_NOSIGNAL) */
    int fd = edge_read(s) ? sock_fd(s) : -1;
    if (fd < 0)
        return uv_try_write(&s->h.stream, ub, nb);
    ssize_t w;
    do {
        if (nb == 1) {
            w = send(fd, ub[0].base, ub[0].len, MSG_NOSIGNAL);
        } else {
            struct msghdr m = {.msg_iov = (struct iovec *)ub, .msg_iovlen = nb};
            w = sendmsg(fd, &m, MSG_NOSIGNAL);
        }
    } while (w < 0 && errno == EINTR);
    if (w >= 0)
        return w > INT_MAX ? INT_MAX : (int)w;
    return errno == EAGAIN || errno == EWOULDBLOCK ? UV_EAGAIN : -errno;
#else
    return uv_try_write(&s->h.stream, ub, nb);
#endif
}

int cio__stream_raw_write(cio_stream *s, const cio_buf *bufs, size_t n) {
    if (s->error)
        return s->error;
    if (!handle_usable(s))
        return CIO_ECLOSED;
    size_t skip = 0;
    if (n == 1 && !s->writing && !cio__buf_len(&s->wpend)) {
        /* the common case, one buffer and nothing queued: straight out */
        uv_buf_t ub = uv_buf_init((char *)bufs[0].base, (unsigned)bufs[0].len);
        int w = try_write(s, &ub, 1);
        if ((size_t)w == bufs[0].len)
            return 0;
        if (w >= 0) {
            skip = (size_t)w;
        } else if (w != UV_EAGAIN && w != UV_ENOSYS) {
            set_error(s, w, NULL);
            return w;
        }
    } else if (!s->writing && !cio__buf_len(&s->wpend)) {
        uv_buf_t ub[16];
        size_t nb = n < 16 ? n : 16;
        for (size_t i = 0; i < nb; i++)
            ub[i] = uv_buf_init((char *)bufs[i].base, (unsigned)bufs[i].len);
        int w = try_write(s, ub, (unsigned)nb);
        if (w >= 0) {
            skip = (size_t)w;
        } else if (w != UV_EAGAIN && w != UV_ENOSYS) {
            set_error(s, w, NULL);
            return w;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (skip >= bufs[i].len) {
            skip -= bufs[i].len;
            continue;
        }
        int rc = cio__buf_append(&s->wpend, (const char *)bufs[i].base + skip,
                                 bufs[i].len - skip);
        skip = 0;
        if (rc < 0)
            return rc; /* what went before stays queued, as a short write */
    }
    if (cio__buf_len(&s->wpend) && !s->writing)
        start_write(s);
    return s->error;
}

/* ---- half-close, close -------------------------------------------------- */

static void on_shutdown(uv_shutdown_t *req, int status) {
    cio_stream *s = req->data;
    if (status == UV_ENOTSOCK) /* a pipe: its write end closes with it */
        really_close(s, false);
    else if (status < 0 && status != UV_ECANCELED && status != UV_ENOTCONN)
        set_error(s, status, NULL);
}

static void do_shutdown(cio_stream *s) {
    s->shut = true;
    if (!handle_usable(s))
        return;
    int rc = uv_shutdown(&s->req.shutdown, &s->h.stream, on_shutdown);
    if (rc == UV_ENOTSOCK)
        really_close(s, false);
    else if (rc < 0 && rc != UV_ENOTCONN)
        set_error(s, rc, NULL);
}

static void free_mem(cio_stream *s) {
    if (s->filter && s->filter->free)
        s->filter->free(s->filter_ctx);
    cio__buf_free(&s->rbuf);
    cio__buf_free(&s->wout);
    cio__buf_free(&s->wpend);
    free(s->error_msg);
    free(s);
}

static void on_close(uv_handle_t *h) {
    cio_stream *s = h->data;
    s->closed = true;
    if (s->reg)
        cio__net_reg_remove_stream(s->reg, s);
    cio__buf_free(&s->wout);
    cio__buf_free(&s->wpend);
    wake_all(s);
    wake(&s->closer);
    if (s->freed)
        free_mem(s);
}

static void really_close(cio_stream *s, bool reset) {
    if (!handle_usable(s))
        return;
    uv_read_stop(&s->h.stream);
    unwatch(s);
    if (reset && s->kind == CIO__S_TCP && !s->shut &&
        uv_tcp_close_reset(&s->h.tcp, on_close) == 0)
        return;
    uv_close(&s->h.handle, on_close);
}

void cio_stream_close(cio_stream *s) {
    if (!s || s->closing)
        return;
    s->closing = true;
    s->flush_close = true;
    if (s->filter && s->filter->shutdown && !s->eof_wanted && !s->error)
        s->filter->shutdown(s, s->filter_ctx);
    stop_reading(s);
    wake(&s->reader);
    wake(&s->filter_waiter);
    if (!cio_stream_write_buffer_size(s) || s->error)
        really_close(s, false);
}

void cio_stream_abort(cio_stream *s) {
    if (!s)
        return;
    s->closing = true;
    s->wpend.start = s->wpend.end = 0;
    wake_all(s);
    really_close(s, true);
}

bool cio_stream_is_closing(const cio_stream *s) {
    return s && (s->closing || s->closed);
}

int cio_stream_write_eof(cio_stream *s) {
    if (!s)
        return cio__error(CIO_EINVAL, "cio_stream_write_eof: stream is NULL");
    if (s->closing)
        return cio__stream_report(s, CIO_ECLOSED, "cio_stream_write_eof");
    if (s->eof_wanted)
        return 0;
    if (s->filter && s->filter->shutdown) {
        int rc = s->filter->shutdown(s, s->filter_ctx);
        if (rc < 0)
            return cio__stream_report(s, rc, "cio_stream_write_eof");
    }
    s->eof_wanted = true;
    if (!cio_stream_write_buffer_size(s))
        do_shutdown(s);
    return 0;
}

/* ---- life --------------------------------------------------------------- */

cio_stream *cio__stream_new(cio__net_reg *reg, const cio_stream_options *o,
                            int kind, const char *who) {
    cio_stream *s = calloc(1, sizeof *s);
    if (!s) {
        cio__set_error(CIO_ENOMEM, "%s: out of memory", who);
        return NULL;
    }
    s->loop = cio__net_reg_loop(reg);
    uv_loop_t *uv = cio_loop_uv(s->loop);
    int rc = kind == CIO__S_TCP ? uv_tcp_init(uv, &s->h.tcp)
                                : uv_pipe_init(uv, &s->h.pipe, 0);
    if (rc < 0) {
        free(s);
        cio__set_error(rc, "%s: %s", who, cio_strerror(rc));
        return NULL;
    }
    s->kind = (uint8_t)kind;
    s->fd = -1;
    s->reg = reg;
    s->h.handle.data = s;
    s->wreq.data = s;
    s->req.shutdown.data = s;
    s->limit = o && o->limit ? o->limit : CIO_STREAM_LIMIT;
    cio_stream_set_write_buffer_limits(s, o ? o->high_water : 0,
                                       o ? o->low_water : 0);
    cio__net_reg_add_stream(reg, s);
    return s;
}

int cio_stream_set_write_buffer_limits(cio_stream *s, size_t high, size_t low) {
    if (!s)
        return cio__error(CIO_EINVAL,
                          "cio_stream_set_write_buffer_limits: stream is NULL");
    if (high && low > high) {
        cio__set_error(CIO_EINVAL,
                       "cio_stream_set_write_buffer_limits: low %zu > high %zu",
                       low, high);
        return CIO_EINVAL;
    }
    s->high_water = high ? high : CIO_STREAM_HIGH_WATER;
    s->low_water = low ? low : CIO_STREAM_LOW_WATER;
    if (s->low_water > s->high_water)
        s->low_water = s->high_water;
    if (cio_stream_write_buffer_size(s) <= s->low_water)
        wake(&s->drainer);
    return 0;
}

int cio__stream_tune_tcp(cio_stream *s, bool nodelay, unsigned keep_alive) {
    if (s->kind != CIO__S_TCP)
        return 0;
    int rc = uv_tcp_nodelay(&s->h.tcp, nodelay);
    if (rc == 0 && keep_alive)
        rc = uv_tcp_keepalive(&s->h.tcp, 1, keep_alive);
    return rc;
}

/* The loop is closing (every task is gone): give the handle back. */
void cio__stream_loop_closed(cio_stream *s) {
    unwatch(s);
    cio__net_reg_remove_stream(s->reg, s);
    s->reg = NULL;
    s->closing = true;
    if (handle_usable(s))
        uv_close(&s->h.handle, on_close);
}

int cio_stream_free(cio_stream *s) {
    if (!s)
        return 0;
    if (s->server) {
        cio__set_error(CIO_EINVALIDSTATE, "cio_stream_free: the stream "
                                          "belongs to its server");
        return CIO_EINVALIDSTATE;
    }
    if (s->reader || s->drainer || s->closer || s->filter_waiter) {
        cio__set_error(CIO_EHASWAITERS, "cio_stream_free: a task waits on it");
        return CIO_EHASWAITERS;
    }
    if (s->closed) {
        free_mem(s);
        return 0;
    }
    s->freed = true;
    if (!s->closing)
        cio_stream_abort(s);
    return 0;
}

int cio_stream_wait_closed(cio_stream *s) {
    if (!s)
        return cio__error(CIO_EINVAL, "cio_stream_wait_closed: stream is NULL");
    int rc = cio__stream_check_task(s);
    if (rc == CIO_ELOOPCLOSED || s->closed)
        return 0;
    if (rc == 0 && s->closer)
        rc = -EBUSY;
    if (rc == 0)
        rc = cio__net_park(s->loop, &s->closer, 0);
    return rc < 0 ? cio__stream_report(s, rc, "cio_stream_wait_closed") : 0;
}

/* ---- accessors ---------------------------------------------------------- */

int cio_stream_fileno(const cio_stream *s) {
    uv_os_fd_t fd;
    if (!s || !handle_usable(s) || uv_fileno(&s->h.handle, &fd) < 0)
        return -1;
    return fd;
}

static int name_of(const cio_stream *s, struct sockaddr *a, socklen_t *len,
                   bool peer) {
    if (!s || !a || !len)
        return cio__error(CIO_EINVAL, "cio_stream_%s: stream, a or len is NULL",
                          peer ? "peername" : "sockname");
    int fd = cio_stream_fileno(s);
    if (fd < 0)
        return cio__error(CIO_ECLOSED, "cio_stream_%s: the stream is closed",
                          peer ? "peername" : "sockname");
    int rc = peer ? getpeername(fd, a, len) : getsockname(fd, a, len);
    return rc < 0 ? -errno : 0;
}

int cio_stream_peername(const cio_stream *s, struct sockaddr *a,
                        socklen_t *len) {
    return name_of(s, a, len, true);
}

int cio_stream_sockname(const cio_stream *s, struct sockaddr *a,
                        socklen_t *len) {
    return name_of(s, a, len, false);
}

const struct cio_tls_context *cio_stream_tls(const cio_stream *s) {
    return s ? s->tls : NULL;
}

/* ---- the seams ---------------------------------------------------------- */

int cio__stream_set_filter(cio_stream *s, const cio__filter_ops *ops, void *ctx,
                           const struct cio_tls_context *tls) {
    if (s->filter)
        return CIO_EINVALIDSTATE;
    s->filter = ops;
    s->filter_ctx = ctx;
    s->tls = tls;
    if (cio__buf_len(&s->rbuf)) { /* raw bytes that came before the filter */
        cio__buf raw = s->rbuf;
        memset(&s->rbuf, 0, sizeof s->rbuf);
        int rc =
            ops->on_raw_input(s, ctx, raw.data + raw.start, cio__buf_len(&raw));
        cio__buf_free(&raw);
        if (rc < 0)
            return rc;
    }
    return cio__stream_start_reading(s);
}

void *cio__stream_filter_ctx(const cio_stream *s, const cio__filter_ops *ops) {
    return s && s->filter == ops ? s->filter_ctx : NULL;
}

int cio__stream_filter_wait(cio_stream *s, double deadline) {
    int rc = cio__stream_check_task(s);
    if (rc < 0)
        return rc;
    if (s->error)
        return s->error;
    if (s->closing || s->closed)
        return CIO_ECLOSED;
    if (s->filter_waiter)
        return -EBUSY;
    unsigned rx = s->rx;
    rc = cio__stream_start_reading(s);
    if (rc == 0 && s->rx == rx) /* (it may have read: then look again) */
        rc = cio__net_park(s->loop, &s->filter_waiter, deadline);
    if (rc == 0 && s->error)
        rc = s->error;
    return rc;
}

void cio__stream_filter_wake(cio_stream *s) {
    wake(&s->filter_waiter);
}

cio_stream *cio__stream_new_pipe(cio_loop *loop, const cio_stream_options *o) {
    cio__net_reg *reg = cio__net_reg_get(loop, "cio__stream_new_pipe");
    return reg ? cio__stream_new(reg, o, CIO__S_PIPE, "cio__stream_new_pipe")
               : NULL;
}

uv_stream_t *cio__stream_uv(cio_stream *s) {
    return &s->h.stream;
}
