/* internal.h - what the files of src/net share, and the seams other areas
 * plug into: the TLS filter (src/tls) and libuv pipes (src/process).
 *
 * A stream has two layers. The RAW layer is a libuv stream handle (TCP or
 * pipe): bytes come in through its read callback and go out through
 * try_write / uv_write. The PLAIN layer is what users see: a read buffer
 * (rbuf) that cio_stream_read/readline/readuntil/readexactly consume, and
 * cio_stream_write/drain/write_eof/close.
 *
 * Without a filter, raw input is appended to rbuf as is and plain output is
 * written raw. A filter (TLS) sits between the two: raw input goes to
 * filter->on_raw_input, which feeds plain text with cio__stream_feed(); plain
 * output goes to filter->write, which encrypts and calls cio__stream_raw_write.
 * The water marks and drain look at the raw write buffer either way.
 */
#ifndef CIO_NET_INTERNAL_H
#define CIO_NET_INTERNAL_H

#include "cio.h"
#include "cio/net.h"
#include "core/internal.h" /* cio__park, cio__set_error, hooks */

#include <uv.h>

/* ---- the TLS seam ------------------------------------------------------- */

/* A filter between the raw socket and the plain text (TLS). Every function
 * runs on the loop's thread; those marked (cb) may run from a libuv
 * callback, outside any task, so they must not suspend. */
typedef struct cio__filter_ops {
    /* (cb) n raw bytes arrived (n > 0). Feed what they decrypt to with
     * cio__stream_feed(), write what the protocol must answer with
     * cio__stream_raw_write(). Return 0, or an error that fails the stream
     * (readers and writers get it; cio__stream_fail's message if set). */
    int (*on_raw_input)(cio_stream *s, void *ctx, const char *data, size_t n);
    /* (cb) the raw side reached EOF. Call cio__stream_feed_eof() for an
     * orderly end, or return an error (a TLS truncation). */
    int (*on_raw_eof)(cio_stream *s, void *ctx);
    /* Plain bytes to send (called by cio_stream_write/writelines, in or
     * out of a task, never suspending): encrypt and cio__stream_raw_write. */
    int (*write)(cio_stream *s, void *ctx, const cio_buf *bufs, size_t n);
    /* cio_stream_write_eof / cio_stream_close: send close_notify with
     * cio__stream_raw_write (the stream then shuts the raw side down or
     * closes it after the buffered raw bytes). May be NULL. */
    int (*shutdown)(cio_stream *s, void *ctx);
    /* The stream is being freed: free ctx. */
    void (*free)(void *ctx);
} cio__filter_ops;

/* struct cio_tls_context (src/tls) must begin with this head, so that the
 * stream and server code can start TLS without linking against src/tls. */
typedef struct cio__tls_head {
    /* Install the TLS filter on the open stream `s` (cio__stream_set_filter)
     * and run the handshake, suspending the calling task (with `timeout`
     * seconds, 0: 60). server_hostname NULL for a server side or to skip
     * SNI and the name check. 0, or an error with its message recorded by
     * cio__set_error; on error the caller aborts the stream. */
    int (*handshake)(const struct cio_tls_context *ctx, cio_stream *s,
                     const char *server_hostname, bool server_side,
                     double timeout);
} cio__tls_head;

/* Put `ops` (with its ctx) between raw and plain. Bytes received raw but
 * not yet read by anyone (STARTTLS: what followed the plain reply) go to
 * on_raw_input at once. Starts raw reading. 0, CIO_EINVALIDSTATE if a
 * filter is set already, or what on_raw_input returned. */
int cio__stream_set_filter(cio_stream *s, const cio__filter_ops *ops, void *ctx,
                           const struct cio_tls_context *tls);
void *cio__stream_filter_ctx(const cio_stream *s, const cio__filter_ops *ops);

/* Plain text for the readers (appended to rbuf; wakes the reader). */
int cio__stream_feed(cio_stream *s, const char *data, size_t n);
void cio__stream_feed_eof(cio_stream *s);
/* Raw bytes out: try_write what the socket takes, buffer the rest (copied).
 * Never suspends. 0 or the connection's error. */
int cio__stream_raw_write(cio_stream *s, const cio_buf *bufs, size_t n);
/* Fail the stream with `code` (message formatted, NULL: strerror): every
 * read, write and drain returns it from now on; the socket is closed. */
void cio__stream_fail(cio_stream *s, int code, const char *fmt, ...)
    CIO_PRINTF(3, 4);
/* A filter's own wait (the handshake): park the calling task until
 * cio__stream_filter_wake(), the stream fails or closes, or `deadline`
 * (loop clock seconds; 0: none) passes. 0, the stream's error, CIO_ECLOSED,
 * CIO_ETIMEDOUT, CIO_ECANCELED. One filter waiter at a time. */
int cio__stream_filter_wait(cio_stream *s, double deadline);
void cio__stream_filter_wake(cio_stream *s);
/* Make sure the raw side is being read (reads start lazily otherwise). */
int cio__stream_start_reading(cio_stream *s);

/* ---- the pipe seam (src/process) ---------------------------------------- */

/* A stream around a new, unopened uv_pipe_t of the running loop (ipc
 * false), to hand to uv_spawn's stdio as UV_CREATE_PIPE:
 *     cio_stream *s = cio__stream_new_pipe(loop, NULL);
 *     stdio[0].data.stream = cio__stream_uv(s);
 * After uv_spawn succeeded the stream is usable as any other (reading
 * starts when someone reads); if uv_spawn failed, cio_stream_free(s).
 * NULL with cio_last_error() on failure. */
cio_stream *cio__stream_new_pipe(cio_loop *loop, const cio_stream_options *o);
uv_stream_t *cio__stream_uv(cio_stream *s);

/* ---- internals of src/net ------------------------------------------------ */

#define CIO__READ_CHUNK ((size_t)64 * 1024) /* bytes per raw read */

typedef struct cio__buf { /* a growable byte buffer with a read cursor */
    char *data;
    size_t start, end, cap;
} cio__buf;

/* Servers, UDP endpoints and fd pollers in the loop's registry. */
typedef struct cio__net_list {
    struct cio__net_list *prev, *next;
    void (*on_loop_close)(struct cio__net_list *n);
} cio__net_list;

typedef struct cio__net_reg cio__net_reg; /* per loop: what is open */

enum { CIO__S_TCP = 1, CIO__S_PIPE };

struct cio_stream {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } h;
    cio_loop *loop;
    cio__net_reg *reg;                      /* NULL once the loop closed */
    struct cio_stream *reg_prev, *reg_next; /* the loop's open streams */
    struct cio_server *server;              /* accepted by, or NULL */
    struct cio_stream *srv_prev, *srv_next; /* the server's connections */
    cio_future *task;                       /* the server's handler task */
    void *connect_ctx;                      /* an attempt of a connect */
    cio__buf rbuf;                          /* plain text not read yet */
    cio__buf wout;  /* raw bytes of the write in flight (frozen) */
    cio__buf wpend; /* raw bytes written since (not yet handed to libuv) */
    union {
        uv_shutdown_t shutdown;
        uv_connect_t connect;
    } req;
    uv_write_t wreq; /* the one write in flight */
    /* A reader parked in cio_stream_read with rbuf empty lends its buffer:
     * the next raw read lands there (no filter), direct_got bytes. */
    char *direct;
    size_t direct_cap, direct_got;
    unsigned rx; /* raw reads delivered (a wait that read inline sees it) */
    size_t limit, high_water, low_water;
    cio__parking *reader, *drainer, *closer, *filter_waiter;
    const cio__filter_ops *filter;
    void *filter_ctx;
    const struct cio_tls_context *tls;
    char *error_msg;
    int error; /* the connection's error, 0 while fine */
    int fd;    /* TCP: the socket, once read or written; -1 before */
    uint8_t kind;
    bool read_started; /* someone asked for data: raw reading on */
    bool read_paused;  /* rbuf is full: raw reading stopped */
    bool watched;      /* TCP: in the loop's edge-triggered epoll */
    bool readable;     /* TCP: an edge came and the socket is not drained */
    bool hup;          /* TCP: the peer closed or the socket failed: read
                        * until recv says so (no new edge will come) */
    bool et_stopped;   /* TCP: reading stopped (EOF, error, close) */
    bool eof;          /* the plain side reached EOF */
    bool writing;      /* wout is in flight */
    bool eof_wanted;   /* write_eof: shut down once the buffers are out */
    bool shut;         /* the shutdown request has been made */
    bool closing;      /* close or abort called */
    bool flush_close;  /* close once the buffers are out */
    bool closed;       /* the handle is closed */
    bool freed;        /* nobody outside holds it: free when closed */
};

/* (inline: the read and write paths ask it several times per message) */
static inline size_t cio__buf_len(const cio__buf *b) {
    return b->end - b->start;
}
int cio__buf_append(cio__buf *b, const char *p, size_t n);
int cio__buf_prepend(cio__buf *b, const char *p, size_t n);
void cio__buf_consume(cio__buf *b, size_t n);
void cio__buf_free(cio__buf *b);

/* Per-loop registry (reg.c): closes what is open when the loop closes. */
cio__net_reg *cio__net_reg_get(cio_loop *loop, const char *who);
cio_loop *cio__net_reg_loop(const cio__net_reg *r);
char *cio__net_reg_scratch(cio__net_reg *r); /* CIO__READ_CHUNK bytes */
void cio__net_reg_add_stream(cio__net_reg *r, cio_stream *s);
void cio__net_reg_remove_stream(cio__net_reg *r, cio_stream *s);
void cio__net_reg_add(cio__net_reg *r, cio__net_list *n);
void cio__net_list_unlink(cio__net_list *n);
void cio__net_reg_add_poller(cio__net_reg *r, cio__net_list *n);
cio__net_list *cio__net_reg_pollers(cio__net_reg *r); /* the list's head */
bool cio__net_reg_closing(const cio__net_reg *r);
/* TCP streams are read from an edge-triggered epoll of the loop's own
 * where there is epoll (Linux); elsewhere libuv reads them as pipes. */
#if defined(__linux__)
#define CIO__NET_EPOLL 1
#else
#define CIO__NET_EPOLL 0
#endif
/* TCP streams' reads (reg.c): add fd to the loop's edge-triggered epoll
 * (0 or a code) / take it out (before its handle is closed). An edge calls
 * cio__stream_on_edge(s) from a libuv callback. */
int cio__net_reg_watch(cio__net_reg *r, cio_stream *s, int fd);
void cio__net_reg_unwatch(cio__net_reg *r, int fd);
void cio__stream_on_edge(cio_stream *s, bool hup);

/* Stream internals shared with the server and connect code. */
cio_stream *cio__stream_new(cio__net_reg *reg, const cio_stream_options *o,
                            int kind, const char *who);
int cio__stream_tune_tcp(cio_stream *s, bool nodelay, unsigned keep_alive);
void cio__stream_loop_closed(cio_stream *s); /* the registry's hook */
/* Resume raw reading if it was paused and rbuf is back under the limit. */
void cio__stream_maybe_resume(cio_stream *s);
/* Record `code` for cio_last_error (the stream's own message if it is the
 * stream's error) and return it. */
int cio__stream_report(const cio_stream *s, int code, const char *who);
/* The calling task, on loop; 0 or CIO_ENOTASK / CIO_EWRONGLOOP. (Inline,
 * on core's thread-locals: every read and drain asks it.) */
static inline int cio__net_check_task(const cio_loop *loop) {
    if (!cio__current_task)
        return CIO_ENOTASK;
    /* the waits of src/net keep their records on the task's stack, which
     * a compact task gives up while it waits */
    if (cio__compact_current())
        return cio__compact_refuse("a socket wait");
    return cio__running_loop == loop ? 0 : CIO_EWRONGLOOP;
}
/* Check that the calling task may wait on s: 0 or a code. */
static inline int cio__stream_check_task(const cio_stream *s) {
    if (!s->reg)
        return CIO_ELOOPCLOSED;
    return cio__net_check_task(s->loop);
}

/* Resolve host:port (a literal address without the thread pool); 0 or a
 * code with its message recorded. */
int cio__net_resolve(const char *host, int port, int family, int socktype,
                     bool passive, struct addrinfo **res);
/* The connect part of cio_open_connection, over resolved addresses. */
int cio__net_connect_list(cio__net_reg *reg, struct addrinfo *res,
                          const cio_connect_options *o, const char *host,
                          cio_stream **out);
/* Map a libuv getaddrinfo status to a cio code (CIO_EAI_*). */
int cio__net_gai_code(int uv_status);
/* Park the calling task with an optional deadline (loop seconds; 0 none):
 * `*slot` points at the parking while parked (a waker calls
 * cio__unpark(*slot)) and is cleared after, either way. 0 when unparked,
 * CIO_ETIMEDOUT, CIO_ECANCELED, or cio_call_at's error. */
int cio__net_park(cio_loop *loop, cio__parking **slot, double deadline);

#endif /* CIO_NET_INTERNAL_H */
