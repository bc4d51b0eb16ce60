/* server.c - asyncio's start_server: listening sockets, accepting, one
 * handler task per connection.
 *
 * The listening sockets are cio's own (socket, bind, listen) watched with
 * uv_poll, and cio accepts: libuv's own accept loop answers EMFILE by
 * accepting and dropping connections, where asyncio stops accepting for a
 * second and tries again. cio does as asyncio, with one diagnostic per
 * episode.
 */
#include "net/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_LISTENERS 8
#define ACCEPT_RETRY_DELAY 1.0 /* seconds, asyncio's constant */

typedef struct listener {
    int fd;
    uv_poll_t *poll; /* NULL once closed */
    struct sockaddr_storage addr;
} listener;

struct cio_server {
    cio__net_list node;
    cio__net_reg *reg; /* NULL once the loop closed */
    cio_loop *loop;
    cio_stream_handler handler;
    void *arg;
    cio_server_options opts;
    listener ls[MAX_LISTENERS];
    int nls;
    int kind;
    char *unix_path;
    cio_stream *conns; /* connections whose handler has not finished */
    size_t nconns;
    int closing_polls; /* uv_poll handles not closed yet */
    cio_handle *retry; /* the accept retry after EMFILE */
    cio__parking *closed_waiter, *forever;
    bool serving, closed, freed, paused_emfile;
};

/* The server's memory, and its reference on the TLS context. */
static void server_dealloc(cio_server *srv) {
    cio_tls_context_release((cio_tls_context *)srv->opts.tls);
    free(srv->unix_path);
    free(srv);
}

static void maybe_free(cio_server *srv) {
    if (srv->freed && !srv->nconns && !srv->closing_polls &&
        !srv->closed_waiter && !srv->forever) {
        cio__net_list_unlink(&srv->node);
        server_dealloc(srv);
    }
}

static void wake(cio__parking **slot) {
    if (*slot) {
        cio__unpark(*slot);
        *slot = NULL;
    }
}

/* ---- connections -------------------------------------------------------- */

static void conn_unlink(cio_server *srv, cio_stream *s) {
    if (s->srv_prev)
        s->srv_prev->srv_next = s->srv_next;
    else
        srv->conns = s->srv_next;
    if (s->srv_next)
        s->srv_next->srv_prev = s->srv_prev;
    s->srv_prev = s->srv_next = NULL;
    s->server = NULL;
    srv->nconns--;
    if (s->task) {
        cio_release(s->task);
        s->task = NULL;
    }
    if (!srv->nconns && srv->closed)
        wake(&srv->closed_waiter);
}

/* The loop closed with the handler suspended: the stream is let go. */
static void conn_abandoned(void *arg) {
    cio_stream *s = arg;
    cio_server *srv = s->server;
    if (srv) {
        conn_unlink(srv, s);
        maybe_free(srv);
    }
    cio_stream_free(s);
}

static void *conn_main(void *arg) {
    cio_stream *s = arg;
    cio_server *srv = s->server;
    cio__cleanup cl;
    cio__cleanup_push(&cl, conn_abandoned, s);
    /* freed (its task cancelled) before this ran: no handler, only the
     * cleanup below (the cancellation ends wait_closed: an abort) */
    int rc = cio_task_cancelling(cio_current_task()) ? CIO_ECANCELED : 0;
    if (rc == 0 && srv->opts.tls) {
        const cio__tls_head *t =
            (const cio__tls_head *)(const void *)srv->opts.tls;
        s->tls = srv->opts.tls;
        rc = t->handshake(srv->opts.tls, s, NULL, true,
                          srv->opts.tls_handshake_timeout);
    }
    if (rc == 0)
        srv->handler(s, srv->arg);
    cio_stream_close(s);
    if (cio_stream_wait_closed(s) < 0)
        cio_stream_abort(s);
    cio__cleanup_pop(&cl);
    if ((srv = s->server) != NULL) {
        conn_unlink(srv, s);
        maybe_free(srv);
    }
    cio_stream_free(s);
    return NULL;
}

static void new_conn(cio_server *srv, int fd) {
    cio_stream *s =
        cio__stream_new(srv->reg, &srv->opts.stream, srv->kind, "cio_server");
    if (!s) {
        cio__diag("server: a connection is dropped: %s",
                  cio_last_error_message());
        close(fd);
        return;
    }
    int rc = srv->kind == CIO__S_TCP ? uv_tcp_open(&s->h.tcp, fd)
                                     : uv_pipe_open(&s->h.pipe, fd);
    if (rc == 0) {
        fd = -1; /* the stream's now */
        cio__stream_tune_tcp(s, !srv->opts.no_nodelay, srv->opts.keep_alive);
        s->server = srv;
        s->srv_prev = NULL;
        s->srv_next = srv->conns;
        if (srv->conns)
            srv->conns->srv_prev = s;
        srv->conns = s;
        srv->nconns++;
        cio_task_options to = {.stack_size = srv->opts.task_stack};
        s->task = cio_create_task_ex(srv->loop, conn_main, s, &to);
        if (s->task) {
            /* cancelled before its first step (the server freed at once),
             * it must still run to let the connection go */
            cio__task_run_when_cancelled(s->task);
            return;
        }
        rc = cio_last_error();
        conn_unlink(srv, s);
    }
    cio__diag("server: a connection is dropped: %s", cio_strerror(rc));
    cio_stream_free(s);
    if (fd >= 0)
        close(fd);
}

/* ---- accepting ---------------------------------------------------------- */

static void on_poll(uv_poll_t *p, int status, int events);

static void set_polling(cio_server *srv, bool on) {
    for (int i = 0; i < srv->nls; i++) {
        if (!srv->ls[i].poll)
            continue;
        if (on)
            uv_poll_start(srv->ls[i].poll, UV_READABLE, on_poll);
        else
            uv_poll_stop(srv->ls[i].poll);
    }
}

static void retry_accept(void *arg) {
    cio_server *srv = arg;
    cio_handle_release(srv->retry);
    srv->retry = NULL;
    srv->paused_emfile = false;
    if (srv->serving && !srv->closed)
        set_polling(srv, true);
}

static void pause_accepting(cio_server *srv, int err) {
    if (srv->paused_emfile)
        return;
    char where[128];
    cio__diag("server on %s: cannot accept: %s; accepting paused for %g s",
              cio_sockaddr_str((struct sockaddr *)&srv->ls[0].addr, where,
                               sizeof where),
              strerror(err), ACCEPT_RETRY_DELAY);
    srv->paused_emfile = true;
    set_polling(srv, false);
    if (cio_call_later(srv->loop, ACCEPT_RETRY_DELAY, retry_accept, srv,
                       &srv->retry) < 0)
        srv->paused_emfile = false;
}

static void on_poll(uv_poll_t *p, int status, int events) {
    (void)events;
    cio_server *srv = p->data;
    int fd = -1;
    for (int i = 0; i < srv->nls; i++)
        if (srv->ls[i].poll == p)
            fd = srv->ls[i].fd;
    if (status < 0 || fd < 0)
        return;
    int budget = srv->opts.backlog > 0 ? srv->opts.backlog : 100;
    while (budget-- > 0 && srv->serving && !srv->paused_emfile) {
        int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c >= 0) {
            new_conn(srv, c);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
            errno == ENOMEM)
            pause_accepting(srv, errno);
        break; /* EAGAIN, or paused */
    }
}

/* ---- listening ---------------------------------------------------------- */

static void on_poll_closed(uv_handle_t *h) {
    cio_server *srv = h->data;
    free(h);
    srv->closing_polls--;
    maybe_free(srv);
}

static void close_listeners(cio_server *srv) {
    for (int i = 0; i < srv->nls; i++) {
        listener *l = &srv->ls[i];
        if (l->poll) {
            srv->closing_polls++;
            uv_close((uv_handle_t *)l->poll, on_poll_closed);
            l->poll = NULL;
        }
        if (l->fd >= 0)
            close(l->fd);
        l->fd = -1;
    }
}

static int set_int(int fd, int level, int opt, int v) {
    return setsockopt(fd, level, opt, &v, sizeof v) < 0 ? -errno : 0;
}

static int listen_on(cio_server *srv, const struct sockaddr *a, socklen_t len) {
    const cio_server_options *o = &srv->opts;
    int fd =
        socket(a->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int rc = 0;
    if (a->sa_family != AF_UNIX) {
        if (!o->no_reuse_address)
            rc = set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
        if (rc == 0 && o->reuse_port)
            rc = set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
        if (rc == 0 && a->sa_family == AF_INET6)
            rc = set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, o->dual_stack ? 0 : 1);
    }
    if (rc == 0 && bind(fd, a, len) < 0)
        rc = -errno;
    if (rc == 0 && listen(fd, o->backlog > 0 ? o->backlog : 100) < 0)
        rc = -errno;
    listener *l = &srv->ls[srv->nls];
    socklen_t sl = sizeof l->addr;
    if (rc == 0 && getsockname(fd, (struct sockaddr *)&l->addr, &sl) < 0)
        rc = -errno;
    uv_poll_t *poll = rc == 0 ? malloc(sizeof *poll) : NULL;
    if (rc == 0 && !poll)
        rc = CIO_ENOMEM;
    if (rc == 0)
        rc = uv_poll_init_socket(cio_loop_uv(srv->loop), poll, fd);
    if (rc != 0 || !poll) {
        free(poll);
        close(fd);
        return rc;
    }
    poll->data = srv;
    l->poll = poll;
    l->fd = fd;
    srv->nls++;
    return 0;
}

static int port_of(const struct sockaddr_storage *a) {
    if (a->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)a)->sin_port);
    if (a->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
    return 0;
}

static void set_port(struct sockaddr *a, int port) {
    if (a->sa_family == AF_INET)
        ((struct sockaddr_in *)a)->sin_port = htons((uint16_t)port);
    else if (a->sa_family == AF_INET6)
        ((struct sockaddr_in6 *)a)->sin6_port = htons((uint16_t)port);
}

static int fail(int code, const char *who, const char *what) {
    cio__set_error(code, "%s: %s: %s", who, what, cio_strerror(code));
    return code;
}

static cio_server *server_new(cio_stream_handler handler, void *arg,
                              const cio_server_options *o, int kind,
                              const char *who) {
    cio__net_reg *reg = cio__net_reg_get(NULL, who);
    if (!reg)
        return NULL;
    cio_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        cio__set_error(CIO_ENOMEM, "%s: out of memory", who);
        return NULL;
    }
    srv->reg = reg;
    srv->loop = cio__net_reg_loop(reg);
    srv->handler = handler;
    srv->arg = arg;
    srv->kind = kind;
    if (o)
        srv->opts = *o;
    /* the server keeps the context alive while it accepts TLS */
    cio_tls_context_retain((cio_tls_context *)srv->opts.tls);
    for (int i = 0; i < MAX_LISTENERS; i++)
        srv->ls[i].fd = -1;
    srv->node.on_loop_close = NULL; /* set by the caller once it is live */
    return srv;
}

static void on_loop_close(cio__net_list *n) {
    cio_server *srv = cio__container_of(n, cio_server, node);
    srv->reg = NULL;
    srv->closed = true;
    srv->serving = false;
    if (srv->retry) {
        cio_handle_release(srv->retry);
        srv->retry = NULL;
    }
    close_listeners(srv);
}

static int finish_start(cio_server *srv, cio_server **out) {
    srv->node.on_loop_close = on_loop_close;
    cio__net_reg_add(srv->reg, &srv->node);
    if (!srv->opts.defer_serving)
        cio_server_start_serving(srv);
    *out = srv;
    return 0;
}

int cio_start_server(cio_stream_handler handler, void *arg, const char *host,
                     int port, const cio_server_options *o, cio_server **out) {
    const char *who = "cio_start_server";
    if (out)
        *out = NULL;
    if (!handler || !out || port < 0 || port > 65535)
        return fail(CIO_EINVAL, who, "no handler, no result or a bad port");
    cio_server *srv = server_new(handler, arg, o, CIO__S_TCP, who);
    if (!srv)
        return cio_last_error();
    char serv[16];
    snprintf(serv, sizeof serv, "%d", port);
    struct addrinfo hints = {.ai_family = srv->opts.family,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    bool any = !host || !*host;
    if (any && srv->opts.dual_stack) {
        host = "::";
        hints.ai_family = AF_INET6;
    }
    struct addrinfo *res = NULL;
    int g = getaddrinfo(any && !srv->opts.dual_stack ? NULL : host, serv,
                        &hints, &res);
    if (g != 0) {
        int code = g == EAI_SYSTEM
                       ? -errno
                       : cio__net_gai_code(g == EAI_NONAME  ? UV_EAI_NONAME
                                           : g == EAI_AGAIN ? UV_EAI_AGAIN
                                                            : UV_EAI_FAIL);
        server_dealloc(srv);
        cio__set_error(code, "%s: %s: %s", who, host ? host : "*",
                       gai_strerror(g));
        return code;
    }
    int rc = 0;
    for (struct addrinfo *a = res; a && srv->nls < MAX_LISTENERS;
         a = a->ai_next) {
        if (srv->nls && port == 0) /* one port for every address */
            set_port(a->ai_addr, port_of(&srv->ls[0].addr));
        if ((rc = listen_on(srv, a->ai_addr, a->ai_addrlen)) < 0)
            break;
    }
    freeaddrinfo(res);
    if (rc < 0 || !srv->nls) {
        close_listeners(srv);
        srv->freed = true;
        cio__set_error(rc, "%s: %s:%d: %s", who, host ? host : "*", port,
                       cio_strerror(rc));
        if (!srv->closing_polls)
            server_dealloc(srv);
        /* else on_poll_closed frees it (maybe_free: freed, nothing left) */
        return rc;
    }
    return finish_start(srv, out);
}

int cio_start_unix_server(cio_stream_handler handler, void *arg,
                          const char *path, const cio_server_options *o,
                          cio_server **out) {
    const char *who = "cio_start_unix_server";
    if (out)
        *out = NULL;
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    if (!handler || !out || !path || strlen(path) >= sizeof un.sun_path)
        return fail(CIO_EINVAL, who,
                    path ? "bad argument or path too long" : "no path");
    memcpy(un.sun_path, path, strlen(path) + 1);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path); /* a stale socket, as asyncio removes it */
    cio_server *srv = server_new(handler, arg, o, CIO__S_PIPE, who);
    if (!srv)
        return cio_last_error();
    int rc = listen_on(srv, (struct sockaddr *)&un, sizeof un);
    if (rc == 0 && !(srv->unix_path = cio__strdup(path)))
        rc = CIO_ENOMEM;
    if (rc < 0) {
        close_listeners(srv);
        srv->freed = true;
        if (!srv->closing_polls)
            server_dealloc(srv);
        return fail(rc, who, path);
    }
    return finish_start(srv, out);
}

/* ---- the rest of the server's calls ------------------------------------- */

int cio_server_addresses(const cio_server *srv, struct sockaddr_storage *out,
                         size_t cap) {
    if (!srv || (!out && cap))
        return cio__error(CIO_EINVAL,
                          "cio_server_addresses: server is NULL, or out is "
                          "NULL but cap is %zu",
                          cap);
    int n = 0;
    for (int i = 0; i < srv->nls; i++) {
        if (srv->ls[i].fd < 0)
            continue;
        if ((size_t)n < cap)
            out[n] = srv->ls[i].addr;
        n++;
    }
    return n;
}

int cio_server_port(const cio_server *srv) {
    if (!srv)
        return cio__error(CIO_EINVAL, "cio_server_port: server is NULL");
    for (int i = 0; i < srv->nls; i++)
        if (srv->ls[i].fd >= 0)
            return port_of(&srv->ls[i].addr);
    return cio__error(CIO_ECLOSED, "cio_server_port: the server is closed");
}

int cio_server_start_serving(cio_server *srv) {
    if (!srv)
        return cio__error(CIO_EINVAL,
                          "cio_server_start_serving: server is NULL");
    if (srv->closed)
        return fail(CIO_ECLOSED, "cio_server_start_serving", "server");
    if (!srv->serving) {
        srv->serving = true;
        if (!srv->paused_emfile)
            set_polling(srv, true);
    }
    return 0;
}

bool cio_server_is_serving(const cio_server *srv) {
    return srv && srv->serving && !srv->closed;
}

void cio_server_close(cio_server *srv) {
    if (!srv || srv->closed)
        return;
    srv->closed = true;
    srv->serving = false;
    if (srv->retry) {
        cio_handle_cancel(srv->retry);
        cio_handle_release(srv->retry);
        srv->retry = NULL;
    }
    close_listeners(srv);
    if (srv->unix_path)
        unlink(srv->unix_path);
    wake(&srv->forever);
    if (!srv->nconns)
        wake(&srv->closed_waiter);
}

void cio_server_close_clients(cio_server *srv) {
    for (cio_stream *s = srv ? srv->conns : NULL; s; s = s->srv_next)
        cio_stream_close(s);
}

void cio_server_abort_clients(cio_server *srv) {
    for (cio_stream *s = srv ? srv->conns : NULL; s; s = s->srv_next)
        cio_stream_abort(s);
}

int cio_server_wait_closed(cio_server *srv) {
    const char *who = "cio_server_wait_closed";
    if (!srv)
        return cio__error(CIO_EINVAL, "cio_server_wait_closed: server is NULL");
    if (!srv->reg)
        return 0;
    int rc = cio__net_check_task(srv->loop);
    if (rc == 0 && srv->closed_waiter)
        rc = -EBUSY;
    while (rc == 0 && !(srv->closed && !srv->nconns))
        rc = cio__net_park(srv->loop, &srv->closed_waiter, 0);
    maybe_free(srv);
    return rc < 0 ? fail(rc, who, "server") : 0;
}

int cio_server_serve_forever(cio_server *srv) {
    const char *who = "cio_server_serve_forever";
    if (!srv)
        return cio__error(CIO_EINVAL,
                          "cio_server_serve_forever: server is NULL");
    if (srv->forever)
        return fail(CIO_EINVALIDSTATE, who, "already serving forever");
    int rc = srv->reg ? cio__net_check_task(srv->loop) : CIO_ECLOSED;
    if (rc == 0)
        rc = cio_server_start_serving(srv);
    while (rc == 0 && !srv->closed)
        rc = cio__net_park(srv->loop, &srv->forever, 0);
    if (rc == 0)
        rc = CIO_ECLOSED;
    if (rc == CIO_ECANCELED)
        cio_server_close(srv);
    maybe_free(srv);
    return fail(rc, who, "server");
}

void cio_server_free(cio_server *srv) {
    if (!srv)
        return;
    cio_server_close(srv);
    srv->freed = true;
    for (cio_stream *s = srv->conns; s; s = s->srv_next)
        if (s->task)
            cio_cancel(s->task, "server freed");
    maybe_free(srv);
}
