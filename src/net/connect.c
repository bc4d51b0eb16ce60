/* connect.c - asyncio's open_connection: resolve, try the addresses (with
 * happy eyeballs when there are several), tune the socket, start TLS.
 *
 * Each attempt is a stream of its own, owned by the connect (created with
 * `freed` set, so that whatever closes it frees it). The first to connect
 * is handed to the caller; the others are closed, and their connect
 * callbacks, which come later with UV_ECANCELED, find no context.
 */
#include "net/internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#define MAX_ATTEMPTS 16

typedef struct connect_ctx {
    cio__parking *waiter;
    cio_stream *attempt[MAX_ATTEMPTS];
    int status[MAX_ATTEMPTS]; /* 1 pending, 0 connected, <0 failed */
    int nactive;
    int winner;
} connect_ctx;

static void on_connect(uv_connect_t *req, int status) {
    cio_stream *s = req->data;
    connect_ctx *c = s->connect_ctx;
    if (!c)
        return; /* given up: the stream is closing */
    for (int i = 0; i < MAX_ATTEMPTS; i++) {
        if (c->attempt[i] != s)
            continue;
        c->status[i] = status;
        c->nactive--;
        if (status == 0 && c->winner < 0)
            c->winner = i;
    }
    if (c->waiter) {
        cio__unpark(c->waiter);
        c->waiter = NULL;
    }
}

static int bind_local(cio_stream *s, const struct sockaddr *local) {
    return local ? uv_tcp_bind(&s->h.tcp, local, 0) : 0;
}

static int start_attempt(connect_ctx *c, int i, cio__net_reg *reg,
                         const cio_connect_options *o,
                         const struct addrinfo *ai,
                         const struct sockaddr *local) {
    cio_stream *s = cio__stream_new(reg, o ? &o->stream : NULL, CIO__S_TCP,
                                    "cio_open_connection");
    if (!s)
        return cio_last_error();
    s->freed = true; /* the connect's until it wins */
    s->connect_ctx = c;
    c->attempt[i] = s;
    s->req.connect.data = s;
    int rc = bind_local(s, local);
    if (rc == 0)
        rc =
            uv_tcp_connect(&s->req.connect, &s->h.tcp, ai->ai_addr, on_connect);
    if (rc < 0) {
        c->status[i] = rc;
        s->connect_ctx = NULL;
        cio_stream_abort(s);
        return 0;
    }
    c->status[i] = 1;
    c->nactive++;
    return 0;
}

/* Give up every attempt but `keep` (-1: all). */
static void drop_attempts(connect_ctx *c, int n, int keep) {
    for (int i = 0; i < n; i++) {
        cio_stream *s = c->attempt[i];
        if (!s || i == keep)
            continue;
        s->connect_ctx = NULL;
        if (!s->closing)
            cio_stream_abort(s);
    }
}

/* Order the addresses as RFC 8305 and asyncio's _interleave_addrinfos:
 * alternate families, starting with the first one's. */
static int order_addrs(struct addrinfo *res, const struct addrinfo **out) {
    const struct addrinfo *fam[2][MAX_ATTEMPTS];
    int nf[2] = {0, 0};
    int first = res ? res->ai_family : 0;
    for (const struct addrinfo *a = res; a; a = a->ai_next) {
        int k = a->ai_family == first ? 0 : 1;
        if (nf[k] < MAX_ATTEMPTS)
            fam[k][nf[k]++] = a;
    }
    int n = 0;
    for (int i = 0; n < MAX_ATTEMPTS && (i < nf[0] || i < nf[1]); i++)
        for (int k = 0; k < 2 && n < MAX_ATTEMPTS; k++)
            if (i < nf[k])
                out[n++] = fam[k][i];
    return n;
}

int cio__net_resolve(const char *host, int port, int family, int socktype,
                     bool passive, struct addrinfo **res) {
    char serv[16];
    snprintf(serv, sizeof serv, "%d", port);
    struct addrinfo hints = {.ai_family = family,
                             .ai_socktype = socktype,
                             .ai_flags = passive ? AI_PASSIVE : 0};
    /* a literal address needs no thread: getaddrinfo answers at once */
    unsigned char tmp[sizeof(struct in6_addr)];
    if (host && (inet_pton(AF_INET, host, tmp) == 1 ||
                 inet_pton(AF_INET6, host, tmp) == 1)) {
        hints.ai_flags |= AI_NUMERICHOST | AI_NUMERICSERV;
        int rc = getaddrinfo(host, serv, &hints, res);
        if (rc != 0) {
            cio__set_error(CIO_EAI_NONAME, "%s: %s", host, gai_strerror(rc));
            return CIO_EAI_NONAME;
        }
        return 0;
    }
    return cio_getaddrinfo(host, serv, &hints, res);
}

static int connect_loop(connect_ctx *c, cio__net_reg *reg,
                        const cio_connect_options *o,
                        const struct addrinfo **addrs, int n,
                        const struct sockaddr *local, double deadline) {
    double delay = o ? o->happy_eyeballs_delay : 0;
    if (delay == 0)
        delay = 0.25;
    cio_loop *loop = cio__net_reg_loop(reg);
    int next = 0, rc;
    bool start = true;
    while (c->winner < 0) {
        if (start && next < n) {
            if ((rc = start_attempt(c, next, reg, o, addrs[next], local)) < 0)
                return rc;
            next++;
            start = false;
            continue;
        }
        if (c->nactive == 0) {
            if (next == n)
                break;
            start = true;
            continue;
        }
        double until = deadline;
        if (delay > 0 && next < n) {
            double stagger = cio_loop_time(loop) + delay;
            if (until <= 0 || stagger < until)
                until = stagger;
        }
        rc = cio__net_park(loop, &c->waiter, until);
        if (rc == CIO_ETIMEDOUT && deadline > 0 &&
            cio_loop_time(loop) >= deadline) {
            cio__set_error(CIO_ETIMEDOUT, "connect timed out");
            return CIO_ETIMEDOUT;
        }
        if (rc < 0 && rc != CIO_ETIMEDOUT)
            return rc;
        /* the stagger delay passed, or an attempt failed: next one now */
        start = delay > 0;
    }
    if (c->winner >= 0)
        return 0;
    int err = -ECONNREFUSED;
    for (int i = 0; i < n; i++)
        if (c->status[i] < 0)
            err = c->status[i];
    return err;
}

static int tls_start(cio_stream *s, const cio_connect_options *o,
                     const char *host) {
    if (!o || !o->tls)
        return 0;
    const cio__tls_head *t = (const cio__tls_head *)(const void *)o->tls;
    s->tls = o->tls;
    return t->handshake(o->tls, s,
                        o->server_hostname ? o->server_hostname : host, false,
                        o->tls_handshake_timeout);
}

/* The error of a connect with what it was about; a message the failing
 * step recorded itself (a TLS handshake's, "connect timed out") is kept
 * and prefixed. */
static int fail(int rc, const char *who, const char *what) {
    if (cio_last_error() != rc || rc == CIO_ECANCELED)
        cio__set_error(rc, "%s: %s: %s", who, what, cio_strerror(rc));
    else {
        char own[256]; /* the message buffer is about to be rewritten */
        snprintf(own, sizeof own, "%s", cio_last_error_message());
        cio__set_error(rc, "%s: %s: %s", who, what, own);
    }
    return rc;
}

/* Connect to one of the addresses of `res` (tried in the interleaved
 * order, staggered as o says); the stream is tuned and TLS started. */
int cio__net_connect_list(cio__net_reg *reg, struct addrinfo *res,
                          const cio_connect_options *o, const char *host,
                          cio_stream **out) {
    cio_loop *loop = cio__net_reg_loop(reg);
    double deadline =
        o && o->timeout > 0 ? cio_loop_time(loop) + o->timeout : 0;
    struct addrinfo *lres = NULL;
    int rc;
    if (o && o->local_host &&
        (rc = cio__net_resolve(o->local_host, o->local_port, res->ai_family,
                               SOCK_STREAM, true, &lres)) < 0)
        return rc;
    connect_ctx c = {.winner = -1};
    const struct addrinfo *addrs[MAX_ATTEMPTS];
    int n = order_addrs(res, addrs);
    rc = connect_loop(&c, reg, o, addrs, n, lres ? lres->ai_addr : NULL,
                      deadline);
    drop_attempts(&c, n, rc == 0 ? c.winner : -1);
    c.waiter = NULL;
    cio_freeaddrinfo(lres);
    if (rc < 0)
        return rc;
    cio_stream *s = c.attempt[c.winner];
    s->connect_ctx = NULL;
    s->freed = false;
    rc = cio__stream_tune_tcp(s, !(o && o->no_nodelay), o ? o->keep_alive : 0);
    if (rc == 0)
        rc = tls_start(s, o, host);
    if (rc < 0) {
        cio_stream_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int cio_open_connection(const char *host, int port,
                        const cio_connect_options *o, cio_stream **out) {
    const char *who = "cio_open_connection";
    if (out)
        *out = NULL;
    if (!host || !out || port < 0 || port > 65535)
        return fail(CIO_EINVAL, who,
                    host ? "bad port or no result" : "no host");
    cio_loop *loop = cio_get_running_loop();
    int rc = loop ? cio__net_check_task(loop) : CIO_ENOTASK;
    if (rc < 0)
        return fail(rc, who, host);
    cio__net_reg *reg = cio__net_reg_get(loop, who);
    if (!reg)
        return cio_last_error();
    struct addrinfo *res = NULL;
    if ((rc = cio__net_resolve(host, port, o ? o->family : 0, SOCK_STREAM,
                               false, &res)) < 0)
        return fail(rc, who, host);
    rc = cio__net_connect_list(reg, res, o, host, out);
    cio_freeaddrinfo(res);
    return rc < 0 ? fail(rc, who, host) : 0;
}

/* ---- UNIX sockets ------------------------------------------------------- */

static void on_unix_connect(uv_connect_t *req, int status) {
    cio_stream *s = req->data;
    connect_ctx *c = s->connect_ctx;
    if (!c)
        return;
    c->status[0] = status;
    c->nactive = 0;
    if (c->waiter) {
        cio__unpark(c->waiter);
        c->waiter = NULL;
    }
}

int cio_open_unix_connection(const char *path, const cio_connect_options *o,
                             cio_stream **out) {
    const char *who = "cio_open_unix_connection";
    if (out)
        *out = NULL;
    if (!path || !out ||
        strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
        return fail(CIO_EINVAL, who, path ? "path too long" : "no path");
    cio_loop *loop = cio_get_running_loop();
    int rc = loop ? cio__net_check_task(loop) : CIO_ENOTASK;
    if (rc < 0)
        return fail(rc, who, path);
    cio__net_reg *reg = cio__net_reg_get(loop, who);
    if (!reg)
        return cio_last_error();
    cio_stream *s =
        cio__stream_new(reg, o ? &o->stream : NULL, CIO__S_PIPE, who);
    if (!s)
        return cio_last_error();
    connect_ctx c = {.winner = -1, .nactive = 1};
    s->freed = true;
    s->connect_ctx = &c;
    s->req.connect.data = s;
    uv_pipe_connect(&s->req.connect, &s->h.pipe, path, on_unix_connect);
    double deadline =
        o && o->timeout > 0 ? cio_loop_time(loop) + o->timeout : 0;
    rc = 0;
    while (c.nactive && rc == 0)
        rc = cio__net_park(loop, &c.waiter, deadline);
    if (rc == 0)
        rc = c.status[0];
    s->connect_ctx = NULL;
    if (rc == 0) {
        s->freed = false;
        rc = tls_start(s, o, NULL);
        if (rc < 0)
            cio_stream_free(s);
    } else {
        cio_stream_abort(s);
    }
    if (rc < 0)
        return fail(rc, who, path);
    *out = s;
    return 0;
}

/* ---- adopting a fd ------------------------------------------------------ */

cio_stream *cio_stream_open_fd(int fd, const cio_stream_options *opts) {
    const char *who = "cio_stream_open_fd";
    uv_handle_type t = uv_guess_handle(fd);
    if (fd < 0 || (t != UV_TCP && t != UV_NAMED_PIPE)) {
        cio__set_error(CIO_EINVAL, "%s: fd %d is not a socket or a pipe", who,
                       fd);
        return NULL;
    }
    cio__net_reg *reg = cio__net_reg_get(NULL, who);
    if (!reg)
        return NULL;
    int kind = t == UV_TCP ? CIO__S_TCP : CIO__S_PIPE;
    cio_stream *s = cio__stream_new(reg, opts, kind, who);
    if (!s)
        return NULL;
    int rc = kind == CIO__S_TCP ? uv_tcp_open(&s->h.tcp, fd)
                                : uv_pipe_open(&s->h.pipe, fd);
    if (rc == 0)
        cio__stream_tune_tcp(s, true, 0);
    if (rc < 0) {
        s->freed = true;
        cio_stream_close(s); /* the fd stays the caller's */
        cio__set_error(rc, "%s: %s", who, cio_strerror(rc));
        return NULL;
    }
    return s;
}
