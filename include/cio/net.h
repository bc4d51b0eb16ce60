/* cio/net.h - name resolution, TCP and UNIX streams and servers, UDP, and
 * waiting on any file descriptor.
 *
 * asyncio's streams (open_connection, start_server, StreamReader,
 * StreamWriter) in cio's style: one cio_stream per connection does both the
 * reading and the writing. Every call that waits suspends the calling task
 * only, is a cancellation point, and loses no byte when cancelled: a read
 * cancelled before it returned consumed nothing, so the same read can be
 * retried. Calls that suspend return CIO_ENOTASK outside a task.
 *
 * Objects (cio_stream, cio_server, cio_udp) belong to the loop that was
 * running when they were made and to its thread; CIO_EWRONGLOOP elsewhere.
 * Each is freed by its cio_X_free(); the memory goes once libuv has closed
 * the handle under it, which needs no task to wait.
 *
 * Errors: negated errno values as the system reports them (-ECONNREFUSED,
 * a reset -ECONNRESET, a write to a gone peer -EPIPE: no SIGPIPE is ever
 * raised; the first net object a loop makes sets SIGPIPE to SIG_IGN unless
 * the program gave it a disposition of its own, as Python does), the resolver's
 * codes CIO_EAI_* (whose message is the resolver's own text, "Name or service
 * not known"), and the codes of this area in cio/core.h: CIO_EINCOMPLETE,
 * CIO_ELIMIT, CIO_ECLOSED.
 *
 * TLS: the options of connections and servers take a `struct
 * cio_tls_context` (see cio/tls.h, asyncio's ssl= argument); the stream then
 * reads and writes plain text exactly as without TLS.
 */
#ifndef CIO_NET_H
#define CIO_NET_H

#include "core.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <netdb.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cio_tls_context; /* cio/tls.h */
/* <netdb.h> defines it only with POSIX feature macros (_POSIX_C_SOURCE or
 * _GNU_SOURCE); declared here so that strict C11 code compiles too. */
struct addrinfo;

/* ------------------------------------------------------------------------ */
/* Name resolution                                                          */
/* ------------------------------------------------------------------------ */

/* getaddrinfo(3) without blocking the loop: it runs in libuv's thread pool
 * while the calling task waits. host or service may be NULL (not both);
 * hints as getaddrinfo's (NULL: any family, SOCK_STREAM). On success *res
 * holds the list, freed with cio_freeaddrinfo(). Returns 0, CIO_EAI_* (the
 * message, cio_last_error_message(), is gai_strerror's text),
 * CIO_ECANCELED (at once; the answer that comes later is freed), CIO_EINVAL,
 * CIO_ENOTASK. */
CIO_API int cio_getaddrinfo(const char *host, const char *service,
                            const struct addrinfo *hints,
                            struct addrinfo **res);
CIO_API void cio_freeaddrinfo(struct addrinfo *res);

/* getnameinfo(3) the same way: host and service names (either buffer may
 * be NULL) of `addr`, flags NI_*. Same codes as cio_getaddrinfo. */
CIO_API int cio_getnameinfo(const struct sockaddr *addr, int flags, char *host,
                            size_t hostlen, char *service, size_t servicelen);

/* "127.0.0.1:8080", "[::1]:443", "/tmp/sock" (UNIX), into buf (cap bytes,
 * always terminated). Returns buf. For messages and logs. */
CIO_API char *cio_sockaddr_str(const struct sockaddr *addr, char *buf,
                               size_t cap);

/* ------------------------------------------------------------------------ */
/* Streams                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct cio_stream cio_stream;

#define CIO_STREAM_LIMIT ((size_t)64 * 1024)      /* asyncio's _DEFAULT_LIMIT */
#define CIO_STREAM_HIGH_WATER ((size_t)64 * 1024) /* asyncio's transports */
#define CIO_STREAM_LOW_WATER ((size_t)16 * 1024)

/* Options of a stream; all zero means asyncio's defaults. */
typedef struct cio_stream_options {
    size_t limit; /* readline/readuntil bound; 0: CIO_STREAM_LIMIT */
    /* drain() suspends above high_water until the buffer falls to
     * low_water; 0: the defaults (a low above the high is lowered to it). */
    size_t high_water, low_water;
} cio_stream_options;

/* Options of cio_open_connection; all zero means asyncio's defaults. */
typedef struct cio_connect_options {
    cio_stream_options stream;
    int family; /* AF_UNSPEC (0), AF_INET or AF_INET6 */
    /* Bind the socket to this address first (port 0: any port). */
    const char *local_host;
    int local_port;
    /* Happy eyeballs (RFC 8305, asyncio's happy_eyeballs_delay): when the
     * name has several addresses, start the next attempt after this many
     * seconds if the previous one has not answered yet, families
     * interleaved (an IPv6 address first, then IPv4, ...); first to
     * connect wins and the attempts still pending are closed at once. An
     * attempt that fails starts the next without waiting. 0: 0.25 s as
     * asyncio recommends; negative: one address after the other (asyncio's
     * None). */
    double happy_eyeballs_delay;
    double timeout;      /* seconds for the whole connect; 0: none */
    bool no_nodelay;     /* leave Nagle on (TCP_NODELAY is on by default) */
    unsigned keep_alive; /* seconds of idle before probes; 0: off */
    /* TLS over the connection (NULL: plain TCP). server_hostname is the
     * name checked and sent as SNI (NULL: host). */
    const struct cio_tls_context *tls;
    const char *server_hostname;
    double tls_handshake_timeout; /* 0: 60 s as asyncio */
} cio_connect_options;

/* asyncio.open_connection: resolve host (a name or a literal address),
 * try its addresses, and connect to port. opts NULL: defaults. *out
 * receives the stream. Returns 0, the system's error of the last attempt
 * (-ECONNREFUSED...), CIO_EAI_* for an unknown host, CIO_ETIMEDOUT,
 * CIO_ECANCELED (nothing is left open), CIO_EINVAL, CIO_ENOTASK. */
CIO_API int cio_open_connection(const char *host, int port,
                                const cio_connect_options *opts,
                                cio_stream **out);

/* asyncio.open_unix_connection: connect to the UNIX socket at path. Only
 * opts->stream is used (and tls). Same codes. */
CIO_API int cio_open_unix_connection(const char *path,
                                     const cio_connect_options *opts,
                                     cio_stream **out);

/* Adopt an already-connected socket or pipe: a TCP socket, a UNIX socket
 * or a pipe / character device, which the stream then owns (closes). It is
 * made non-blocking. Does not suspend. NULL on failure (cio_last_error():
 * CIO_EINVAL for a fd that is none of these, CIO_ENOMEM...). */
CIO_API cio_stream *cio_stream_open_fd(int fd, const cio_stream_options *opts);

/* Reads. One task may read a stream at a time (another gets -EBUSY).
 * A read that fails with an error of the connection (-ECONNRESET) returns
 * that error from then on, after the bytes that arrived before it. */

/* Up to n bytes into buf: suspends until at least one byte or EOF is there.
 * Returns the count, 0 at EOF (or for n == 0), or a negative code. */
CIO_API ssize_t cio_stream_read(cio_stream *s, void *buf, size_t n);

/* Exactly n bytes into buf. At EOF before n: CIO_EINCOMPLETE, and buf holds
 * the *partial bytes that did arrive (consumed: asyncio's
 * IncompleteReadError.partial). partial may be NULL. Returns n or a code. */
CIO_API ssize_t cio_stream_readexactly(cio_stream *s, void *buf, size_t n,
                                       size_t *partial);

/* Read up to and including `sep` (seplen >= 1 bytes). *line receives a
 * malloc'd copy, NUL-terminated for convenience (free() it), and the
 * length (separator included) is returned. If the limit is reached before
 * the separator: CIO_ELIMIT and nothing is consumed (LimitOverrunError).
 * At EOF before the separator: CIO_EINCOMPLETE, and the *line holds the
 * partial bytes (consumed), length in *partial (may be NULL); an empty
 * partial at EOF gives *line NULL. */
CIO_API ssize_t cio_stream_readuntil(cio_stream *s, const void *sep,
                                     size_t seplen, char **line,
                                     size_t *partial);

/* asyncio's readline: readuntil("\n"), except that at EOF the partial last
 * line is returned as a line (0 and *line NULL once nothing is left), and
 * past the limit CIO_ELIMIT is returned with the over-long data thrown away
 * up to and including the next "\n" if it is in the buffer, as asyncio. */
CIO_API ssize_t cio_stream_readline(cio_stream *s, char **line);

/* True when EOF was received and every byte before it was read. */
CIO_API bool cio_stream_at_eof(const cio_stream *s);

/* Writes: the data is copied (what the socket does not take at once is
 * buffered); never suspends. Returns 0, CIO_ECLOSED after close/write_eof,
 * the connection's error once a write failed (-EPIPE, -ECONNRESET),
 * CIO_ENOMEM. */
CIO_API int cio_stream_write(cio_stream *s, const void *data, size_t n);

typedef struct cio_buf {
    const void *base;
    size_t len;
} cio_buf;
CIO_API int cio_stream_writelines(cio_stream *s, const cio_buf *bufs,
                                  size_t nbufs);

/* asyncio's drain: if more than high_water bytes are buffered, suspend
 * until the buffer falls to low_water. Returns 0, the connection's error,
 * CIO_ECANCELED (the data stays buffered), CIO_ECLOSED, CIO_ENOTASK, -EBUSY
 * while another task drains the same stream. */
CIO_API int cio_stream_drain(cio_stream *s);

/* Bytes written but not yet taken by the kernel. */
CIO_API size_t cio_stream_write_buffer_size(const cio_stream *s);
/* Change the water marks (0: default). CIO_EINVAL for low > high. */
CIO_API int cio_stream_set_write_buffer_limits(cio_stream *s, size_t high,
                                               size_t low);

/* Half-close: shut down the sending side after the buffered data (the peer
 * reads EOF); reading goes on. CIO_ECLOSED if closing. Does not suspend. */
CIO_API int cio_stream_write_eof(cio_stream *s);

/* Close: the buffered data is sent, then the connection closed (a TLS
 * stream sends its close_notify). Does not suspend; readers and drain
 * waiters get CIO_ECLOSED. Closing twice is a no-op. */
CIO_API void cio_stream_close(cio_stream *s);
/* Close at once, dropping buffered data (the peer sees a reset). */
CIO_API void cio_stream_abort(cio_stream *s);
CIO_API bool cio_stream_is_closing(const cio_stream *s);
/* Suspend until the close has finished (call close or abort first, or the
 * peer's end must close it). 0, CIO_ECANCELED, CIO_ENOTASK, -EBUSY while
 * another task waits for the same stream. */
CIO_API int cio_stream_wait_closed(cio_stream *s);

/* Give the stream back: aborts it if it is still open (call close and
 * wait_closed first for an orderly end), and frees it when libuv is done.
 * CIO_EHASWAITERS (nothing done) if a task waits on it, CIO_EINVALIDSTATE
 * for a stream a server handed to its handler (the server frees it). NULL
 * is a no-op. */
CIO_API int cio_stream_free(cio_stream *s);

/* get_extra_info: the addresses (length in *len if not NULL; 0 or a code)
 * and the fd (-1 when closed). For a pipe the address calls return
 * -ENOTSOCK. */
CIO_API int cio_stream_peername(const cio_stream *s, struct sockaddr *addr,
                                socklen_t *len);
CIO_API int cio_stream_sockname(const cio_stream *s, struct sockaddr *addr,
                                socklen_t *len);
CIO_API int cio_stream_fileno(const cio_stream *s);
/* The TLS context the stream runs over, or NULL for plain text. The TLS
 * details (version, cipher, ALPN, peer certificate) are in cio/tls.h. */
CIO_API const struct cio_tls_context *cio_stream_tls(const cio_stream *s);

/* ------------------------------------------------------------------------ */
/* Servers                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct cio_server cio_server;

/* The handler of one connection, run in a task of its own (cancelled by
 * cio_server_free). The stream belongs to the server: when the handler
 * returns, the server closes it (buffered data is sent) and frees it. */
typedef void (*cio_stream_handler)(cio_stream *stream, void *arg);

typedef struct cio_server_options {
    cio_stream_options stream; /* for every accepted stream */
    int family;                /* AF_UNSPEC: every family host resolves to */
    int backlog;               /* 0: 100, as asyncio */
    bool no_reuse_address;     /* SO_REUSEADDR is on (asyncio, POSIX) */
    bool reuse_port;           /* SO_REUSEPORT */
    /* host NULL or "" binds every interface: 0.0.0.0 and :: as two
     * sockets (IPV6_V6ONLY), as asyncio; dual_stack binds one "::" socket
     * that takes IPv4 too. */
    bool dual_stack;
    bool no_nodelay;     /* leave Nagle on for accepted connections */
    bool defer_serving;  /* do not accept until cio_server_start_serving */
    unsigned keep_alive; /* as cio_connect_options */
    size_t task_stack;   /* handler tasks' stack size; 0: loop default */
    const struct cio_tls_context *tls; /* serve TLS (NULL: plain) */
    double tls_handshake_timeout;      /* 0: 60 s */
} cio_server_options;

/* asyncio.start_server: listen on host:port (port 0: a free port, see
 * cio_server_addresses) and run handler(stream, arg) for each connection.
 * Does not suspend. *out receives the server. Returns 0, the system's bind
 * error (-EADDRINUSE...), CIO_EAI_*, CIO_EINVAL, CIO_ENOMEM. Resolving a
 * name blocks (use a literal address or cio_getaddrinfo first). */
CIO_API int cio_start_server(cio_stream_handler handler, void *arg,
                             const char *host, int port,
                             const cio_server_options *opts, cio_server **out);

/* asyncio.start_unix_server on path (a stale socket file is removed first,
 * as asyncio). */
CIO_API int cio_start_unix_server(cio_stream_handler handler, void *arg,
                                  const char *path,
                                  const cio_server_options *opts,
                                  cio_server **out);

/* The bound addresses: fills out[0..cap) and returns how many there are.
 * cio_server_port is the port of the first (for port 0 in tests). */
CIO_API int cio_server_addresses(const cio_server *srv,
                                 struct sockaddr_storage *out, size_t cap);
CIO_API int cio_server_port(const cio_server *srv);

/* Start accepting (if deferred); 0 or CIO_ECLOSED. */
CIO_API int cio_server_start_serving(cio_server *srv);
CIO_API bool cio_server_is_serving(const cio_server *srv);

/* Stop listening (the sockets are closed); connections go on. */
CIO_API void cio_server_close(cio_server *srv);
/* asyncio 3.13: close every connection's stream (buffered data sent) /
 * abort them. Handlers reading see EOF / CIO_ECLOSED. */
CIO_API void cio_server_close_clients(cio_server *srv);
CIO_API void cio_server_abort_clients(cio_server *srv);

/* Suspend until the server is closed and every handler has returned.
 * 0, CIO_ECANCELED, CIO_ENOTASK, -EBUSY while another task waits. */
CIO_API int cio_server_wait_closed(cio_server *srv);

/* Start serving and suspend until cancelled; the server is then closed
 * (asyncio's serve_forever). Returns CIO_ECANCELED, or CIO_EINVALIDSTATE if
 * another task is already in serve_forever, CIO_ECLOSED. */
CIO_API int cio_server_serve_forever(cio_server *srv);

/* Give the server back: closes it if open and cancels the handlers still
 * running; freed when they are gone. NULL is a no-op. */
CIO_API void cio_server_free(cio_server *srv);

/* ------------------------------------------------------------------------ */
/* UDP                                                                      */
/* ------------------------------------------------------------------------ */

typedef struct cio_udp cio_udp;

typedef struct cio_udp_options {
    int family;             /* AF_UNSPEC, AF_INET, AF_INET6 */
    const char *local_host; /* bind here (NULL with remote: any) */
    int local_port;
    const char *remote_host; /* connect here: sendto's addr may be NULL */
    int remote_port;
    bool reuse_address; /* SO_REUSEADDR (needed to share a multicast port) */
    bool broadcast;     /* SO_BROADCAST */
    int recv_buffer, send_buffer; /* SO_RCVBUF / SO_SNDBUF; 0: system's */
    /* Datagrams kept for recvfrom while no task reads; past this the
     * endpoint stops reading and the kernel queues (or drops). 0: 256. */
    unsigned queue;
} cio_udp_options;

/* asyncio's create_datagram_endpoint: a UDP socket bound and/or connected
 * as opts says (names resolved; suspends). Returns 0 or a code as
 * cio_open_connection. */
CIO_API int cio_udp_open(const cio_udp_options *opts, cio_udp **out);

/* Send one datagram to addr (NULL for a connected endpoint); never
 * suspends (what the kernel does not take now is queued). Returns 0,
 * CIO_EINVAL, CIO_ECLOSED, an error of an earlier send, CIO_ENOMEM. */
CIO_API int cio_udp_sendto(cio_udp *u, const void *data, size_t n,
                           const struct sockaddr *addr);

/* Receive one datagram into buf (truncated to cap; the rest dropped as
 * recv(2) does), the sender into *from (may be NULL). Suspends until one
 * is there. Returns its length, CIO_ECLOSED, CIO_ECANCELED (nothing lost),
 * an error the kernel reported (-ECONNREFUSED on a connected endpoint). */
CIO_API ssize_t cio_udp_recvfrom(cio_udp *u, void *buf, size_t cap,
                                 struct sockaddr_storage *from);

/* Multicast and options, as libuv offers them (0 or a code). */
CIO_API int cio_udp_join_group(cio_udp *u, const char *group,
                               const char *iface);
CIO_API int cio_udp_leave_group(cio_udp *u, const char *group,
                                const char *iface);
CIO_API int cio_udp_set_multicast_loop(cio_udp *u, bool on);
CIO_API int cio_udp_set_multicast_ttl(cio_udp *u, int ttl);
CIO_API int cio_udp_set_broadcast(cio_udp *u, bool on);
CIO_API int cio_udp_sockname(const cio_udp *u, struct sockaddr *addr,
                             socklen_t *len);
/* Close and free the endpoint (queued datagrams are dropped, sends not yet
 * taken by the kernel are abandoned). CIO_EHASWAITERS, and nothing done,
 * while a task waits in recvfrom: cancel it first. NULL is a no-op. */
CIO_API int cio_udp_close(cio_udp *u);

/* ------------------------------------------------------------------------ */
/* Any file descriptor                                                      */
/* ------------------------------------------------------------------------ */

/* asyncio's add_reader/add_writer as suspending calls: wait until fd is
 * readable / writable, or `timeout` seconds (negative: none; 0: no wait,
 * only whether it is ready now, a poll(2) that does not suspend; an error
 * or hang-up on the fd counts as ready there, as for select). Returns 0,
 * CIO_ETIMEDOUT, CIO_ECANCELED, CIO_EINVAL, CIO_ENOTASK, or the poll's
 * error (-EBADF...). Several tasks may wait on one fd. The fd must stay
 * open while tasks wait on it, and must not be a stream's or server's. */
CIO_API int cio_wait_readable(int fd, double timeout);
CIO_API int cio_wait_writable(int fd, double timeout);

/* The sock_* calls of asyncio's loop, for a NON-BLOCKING socket of yours
 * (CIO_EINVAL for a blocking one). Each tries the call, and waits for the
 * fd while it would block. Cancelled, they return CIO_ECANCELED having
 * transferred nothing, except sock_sendall: *sent (may be NULL) says how
 * many bytes went in every case. */
CIO_API ssize_t cio_sock_recv(int fd, void *buf, size_t n);
CIO_API ssize_t cio_sock_recvfrom(int fd, void *buf, size_t n,
                                  struct sockaddr_storage *from);
CIO_API int cio_sock_sendall(int fd, const void *data, size_t n, size_t *sent);
CIO_API ssize_t cio_sock_sendto(int fd, const void *data, size_t n,
                                const struct sockaddr *to, socklen_t tolen);
/* connect(2) to addr and wait for the outcome: 0 or the error. */
CIO_API int cio_sock_connect(int fd, const struct sockaddr *addr,
                             socklen_t len);
/* accept(2): the new fd (non-blocking, close-on-exec), the peer in *from
 * (may be NULL). */
CIO_API int cio_sock_accept(int fd, struct sockaddr_storage *from);

#ifdef __cplusplus
}
#endif

#endif /* CIO_NET_H */
