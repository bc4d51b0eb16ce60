/* udp.c - datagram endpoints (asyncio's create_datagram_endpoint) with a
 * suspending recvfrom.
 *
 * Datagrams that arrive while no task reads wait in a short queue; when it
 * is full the endpoint stops receiving and the kernel's buffer (then the
 * kernel) takes over, so memory stays bounded.
 */
#include "net/internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct dgram {
    struct dgram *next;
    struct sockaddr_storage from;
    size_t len;
    char data[];
} dgram;

struct cio_udp {
    cio__net_list node;
    uv_udp_t h;
    cio_loop *loop;
    cio__net_reg *reg; /* NULL once the loop closed */
    dgram *head, *tail;
    unsigned nq, qmax;
    cio__parking *reader;
    int error; /* an error to report once (a failed send, ICMP refusal) */
    bool receiving, closed;
    bool handle_closed; /* libuv is done with the handle */
    bool user_done;     /* cio_udp_close was called: free when closed */
};

typedef struct send_req {
    uv_udp_send_t req;
    cio_udp *u;
    char data[];
} send_req;

static void drop_queue(cio_udp *u) {
    while (u->head) {
        dgram *d = u->head;
        u->head = d->next;
        free(d);
    }
    u->tail = NULL;
    u->nq = 0;
}

static void on_closed(uv_handle_t *h) {
    cio_udp *u = h->data;
    drop_queue(u);
    u->handle_closed = true;
    if (u->user_done)
        free(u);
}

static void on_loop_close(cio__net_list *n) {
    cio_udp *u = cio__container_of(n, cio_udp, node);
    u->reg = NULL;
    u->closed = true;
    uv_close((uv_handle_t *)&u->h, on_closed);
}

static void wake(cio_udp *u) {
    if (u->reader) {
        cio__unpark(u->reader);
        u->reader = NULL;
    }
}

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf) {
    (void)size;
    cio_udp *u = h->data;
    buf->base = cio__net_reg_scratch(u->reg);
    buf->len = CIO__READ_CHUNK;
}

static void on_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf,
                    const struct sockaddr *addr, unsigned flags) {
    (void)flags;
    cio_udp *u = h->data;
    if (n == 0 && !addr)
        return; /* nothing more to read now */
    if (n < 0) {
        u->error = (int)n;
        wake(u);
        return;
    }
    dgram *d = malloc(sizeof *d + (size_t)n);
    if (!d)
        return; /* dropped, as the kernel would */
    d->next = NULL;
    d->len = (size_t)n;
    if (n)
        memcpy(d->data, buf->base, (size_t)n);
    memset(&d->from, 0, sizeof d->from);
    if (addr)
        memcpy(&d->from, addr,
               addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                           : sizeof(struct sockaddr_in));
    if (u->tail)
        u->tail->next = d;
    else
        u->head = d;
    u->tail = d;
    if (++u->nq >= u->qmax) {
        uv_udp_recv_stop(&u->h);
        u->receiving = false;
    }
    wake(u);
}

static int start_receiving(cio_udp *u) {
    if (u->receiving || u->nq >= u->qmax)
        return 0;
    int rc = uv_udp_recv_start(&u->h, on_alloc, on_recv);
    if (rc == 0)
        u->receiving = true;
    return rc;
}

static int fail(int code, const char *who, const char *what) {
    cio__set_error(code, "%s: %s: %s", who, what ? what : "",
                   cio_strerror(code));
    return code;
}

static int setup(cio_udp *u, const cio_udp_options *o) {
    struct addrinfo *local = NULL, *remote = NULL;
    int family = o->family, rc = 0;
    if (o->remote_host) {
        rc = cio__net_resolve(o->remote_host, o->remote_port, family,
                              SOCK_DGRAM, false, &remote);
        if (rc < 0)
            return rc;
        family = remote->ai_family;
    }
    if (o->local_host || !o->remote_host) {
        rc = cio__net_resolve(o->local_host ? o->local_host : NULL,
                              o->local_port, family, SOCK_DGRAM, true, &local);
        if (rc < 0) {
            cio_freeaddrinfo(remote);
            return rc;
        }
        family = local->ai_family;
    }
    rc = uv_udp_init_ex(cio_loop_uv(u->loop), &u->h, (unsigned)family);
    if (rc < 0) {
        cio_freeaddrinfo(local);
        cio_freeaddrinfo(remote);
        return rc;
    }
    u->h.data = u;
    if (local)
        rc = uv_udp_bind(&u->h, local->ai_addr,
                         o->reuse_address ? UV_UDP_REUSEADDR : 0);
    if (rc == 0 && remote)
        rc = uv_udp_connect(&u->h, remote->ai_addr);
    if (rc == 0 && o->broadcast)
        rc = uv_udp_set_broadcast(&u->h, 1);
    int v = o->recv_buffer;
    if (rc == 0 && v > 0)
        rc = uv_recv_buffer_size((uv_handle_t *)&u->h, &v);
    v = o->send_buffer;
    if (rc == 0 && v > 0)
        rc = uv_send_buffer_size((uv_handle_t *)&u->h, &v);
    cio_freeaddrinfo(local);
    cio_freeaddrinfo(remote);
    return rc;
}

int cio_udp_open(const cio_udp_options *o, cio_udp **out) {
    const char *who = "cio_udp_open";
    if (out)
        *out = NULL;
    if (!o || !out || o->local_port < 0 || o->local_port > 65535 ||
        o->remote_port < 0 || o->remote_port > 65535)
        return fail(CIO_EINVAL, who, "no options, no result or a bad port");
    cio_loop *loop = cio_get_running_loop();
    int rc = loop ? cio__net_check_task(loop) : CIO_ENOTASK;
    if (rc < 0)
        return fail(rc, who, "");
    cio__net_reg *reg = cio__net_reg_get(loop, who);
    if (!reg)
        return cio_last_error();
    cio_udp *u = calloc(1, sizeof *u);
    if (!u)
        return fail(CIO_ENOMEM, who, "");
    u->loop = loop;
    u->reg = reg;
    u->qmax = o->queue ? o->queue : 256;
    u->h.data = u;
    rc = setup(u, o);
    if (rc < 0) {
        u->user_done = true;
        if (u->h.loop) { /* the handle was made: it must be closed */
            uv_close((uv_handle_t *)&u->h, on_closed);
        } else {
            free(u);
        }
        const char *host = o->remote_host ? o->remote_host : o->local_host;
        if (cio_last_error() != rc)
            return fail(rc, who, host);
        char own[256]; /* the resolver's message, named after our call */
        snprintf(own, sizeof own, "%s", cio_last_error_message());
        cio__set_error(rc, "%s: %s", who, own);
        return rc;
    }
    u->node.on_loop_close = on_loop_close;
    cio__net_reg_add(reg, &u->node);
    *out = u;
    return 0;
}

static void on_sent(uv_udp_send_t *req, int status) {
    send_req *r = cio__container_of(req, send_req, req);
    if (status < 0 && status != UV_ECANCELED && r->u && !r->u->error)
        r->u->error = status;
    free(r);
}

int cio_udp_sendto(cio_udp *u, const void *data, size_t n,
                   const struct sockaddr *addr) {
    const char *who = "cio_udp_sendto";
    if (!u || (!data && n))
        return fail(CIO_EINVAL, who, u ? "NULL data" : "NULL endpoint");
    if (u->closed || !u->reg)
        return fail(CIO_ECLOSED, who, "endpoint");
    if (u->error) {
        int e = u->error;
        u->error = 0;
        return fail(e, who, "an earlier datagram");
    }
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)n);
    int rc = uv_udp_try_send(&u->h, &b, 1, addr);
    if (rc >= 0)
        return 0;
    if (rc != UV_EAGAIN)
        return fail(rc, who, "datagram");
    send_req *r = malloc(sizeof *r + n);
    if (!r)
        return fail(CIO_ENOMEM, who, "datagram");
    r->u = NULL; /* the endpoint may be freed first: errors then go nowhere */
    if (n)
        memcpy(r->data, data, n);
    b = uv_buf_init(r->data, (unsigned)n);
    rc = uv_udp_send(&r->req, &u->h, &b, 1, addr, on_sent);
    if (rc < 0) {
        free(r);
        return fail(rc, who, "datagram");
    }
    return 0;
}

ssize_t cio_udp_recvfrom(cio_udp *u, void *buf, size_t cap,
                         struct sockaddr_storage *from) {
    const char *who = "cio_udp_recvfrom";
    if (!u || (!buf && cap))
        return fail(CIO_EINVAL, who, u ? "NULL buffer" : "NULL endpoint");
    int rc = u->reg ? cio__net_check_task(u->loop) : CIO_ECLOSED;
    if (rc == 0 && u->reader)
        rc = -EBUSY;
    while (rc == 0) {
        if (u->head) {
            dgram *d = u->head;
            u->head = d->next;
            if (!u->head)
                u->tail = NULL;
            u->nq--;
            size_t m = d->len < cap ? d->len : cap;
            if (m)
                memcpy(buf, d->data, m);
            if (from)
                *from = d->from;
            free(d);
            start_receiving(u);
            return (ssize_t)m;
        }
        if (u->error) {
            rc = u->error;
            u->error = 0;
            break;
        }
        if (u->closed) {
            rc = CIO_ECLOSED;
            break;
        }
        if ((rc = start_receiving(u)) == 0)
            rc = cio__net_park(u->loop, &u->reader, 0);
    }
    return fail(rc, who, "");
}

static int check(cio_udp *u) {
    return !u ? CIO_EINVAL : (u->closed || !u->reg) ? CIO_ECLOSED : 0;
}

int cio_udp_join_group(cio_udp *u, const char *group, const char *iface) {
    int rc = check(u);
    if (rc == 0 && !group)
        rc = CIO_EINVAL;
    if (rc == 0)
        rc = uv_udp_set_membership(&u->h, group, iface, UV_JOIN_GROUP);
    return rc < 0 ? fail(rc, "cio_udp_join_group", group) : 0;
}

int cio_udp_leave_group(cio_udp *u, const char *group, const char *iface) {
    int rc = check(u);
    if (rc == 0 && !group)
        rc = CIO_EINVAL;
    if (rc == 0)
        rc = uv_udp_set_membership(&u->h, group, iface, UV_LEAVE_GROUP);
    return rc < 0 ? fail(rc, "cio_udp_leave_group", group) : 0;
}

int cio_udp_set_multicast_loop(cio_udp *u, bool on) {
    int rc = check(u);
    if (rc == 0)
        rc = uv_udp_set_multicast_loop(&u->h, on);
    return rc < 0 ? fail(rc, "cio_udp_set_multicast_loop", "") : 0;
}

int cio_udp_set_multicast_ttl(cio_udp *u, int ttl) {
    int rc = check(u);
    if (rc == 0)
        rc = uv_udp_set_multicast_ttl(&u->h, ttl);
    return rc < 0 ? fail(rc, "cio_udp_set_multicast_ttl", "") : 0;
}

int cio_udp_set_broadcast(cio_udp *u, bool on) {
    int rc = check(u);
    if (rc == 0)
        rc = uv_udp_set_broadcast(&u->h, on);
    return rc < 0 ? fail(rc, "cio_udp_set_broadcast", "") : 0;
}

int cio_udp_sockname(const cio_udp *u, struct sockaddr *addr, socklen_t *len) {
    if (!u || !addr || !len)
        return fail(CIO_EINVAL, "cio_udp_sockname", "NULL argument");
    if (u->closed || !u->reg)
        return CIO_ECLOSED;
    int l = (int)*len;
    int rc = uv_udp_getsockname(&u->h, addr, &l);
    *len = (socklen_t)l;
    return rc;
}

int cio_udp_close(cio_udp *u) {
    if (!u)
        return 0;
    if (u->reader) {
        cio__set_error(CIO_EHASWAITERS, "cio_udp_close: a task waits in "
                                        "recvfrom");
        return CIO_EHASWAITERS;
    }
    u->user_done = true;
    if (u->handle_closed) { /* the loop closed first */
        free(u);
        return 0;
    }
    if (u->closed)
        return 0;
    u->closed = true;
    cio__net_list_unlink(&u->node);
    uv_close((uv_handle_t *)&u->h, on_closed);
    return 0;
}
