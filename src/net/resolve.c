/* resolve.c - getaddrinfo and getnameinfo on libuv's thread pool.
 *
 * The request lives on the heap, not on the waiting task's stack: a task
 * cancelled while a worker still resolves returns at once, and the answer
 * that arrives later finds no waiter and is freed by the callback.
 */
#include "net/internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

int cio__net_gai_code(int st) {
    switch (st) {
    case UV_EAI_AGAIN:
        return CIO_EAI_AGAIN;
    case UV_EAI_BADFLAGS:
    case UV_EAI_BADHINTS:
        return CIO_EAI_BADFLAGS;
    case UV_EAI_FAIL:
        return CIO_EAI_FAIL;
    case UV_EAI_FAMILY:
        return CIO_EAI_FAMILY;
    case UV_EAI_MEMORY:
        return CIO_EAI_MEMORY;
    case UV_EAI_NONAME:
        return CIO_EAI_NONAME;
    case UV_EAI_SERVICE:
        return CIO_EAI_SERVICE;
    case UV_EAI_SOCKTYPE:
    case UV_EAI_PROTOCOL:
        return CIO_EAI_SOCKTYPE;
    case UV_EAI_NODATA:
        return CIO_EAI_NODATA;
    case UV_EAI_ADDRFAMILY:
        return CIO_EAI_ADDRFAMILY;
    case UV_EAI_OVERFLOW:
        return CIO_EAI_OVERFLOW;
    case UV_EAI_CANCELED:
        return CIO_ECANCELED;
    default:
        return st; /* a plain errno value (EAI_SYSTEM) */
    }
}

typedef struct gai_req {
    union {
        uv_getaddrinfo_t ai;
        uv_getnameinfo_t ni;
    } u;
    cio__parking *waiter; /* NULL once the task has gone */
    int status;
    bool done; /* the callback has run */
    struct addrinfo *res;
    char host[NI_MAXHOST], serv[NI_MAXSERV];
} gai_req;

static void on_addrinfo(uv_getaddrinfo_t *r, int status, struct addrinfo *res) {
    gai_req *q = r->data;
    if (!q->waiter) { /* cancelled: nobody wants the answer */
        uv_freeaddrinfo(res);
        free(q);
        return;
    }
    q->status = status;
    q->res = res;
    q->done = true;
    cio__unpark(q->waiter);
    q->waiter = NULL;
}

static void on_nameinfo(uv_getnameinfo_t *r, int status, const char *host,
                        const char *serv) {
    gai_req *q = r->data;
    if (!q->waiter) {
        free(q);
        return;
    }
    q->status = status;
    q->done = true;
    if (status == 0) {
        snprintf(q->host, sizeof q->host, "%s", host ? host : "");
        snprintf(q->serv, sizeof q->serv, "%s", serv ? serv : "");
    }
    cio__unpark(q->waiter);
    q->waiter = NULL;
}

static int fail(int code, const char *who, const char *what) {
    cio__set_error(code, "%s: %s: %s", who, what ? what : "",
                   cio_strerror(code));
    return code;
}

/* Park on q->waiter itself: the callback unparks through it. */
static int park_on(cio_loop *loop, gai_req *q, const char *who,
                   const char *what) {
    int rc = cio__net_park(loop, &q->waiter, 0);
    if (rc == CIO_ECANCELED) {
        if (q->done) { /* answered, then cancelled before the task ran */
            uv_freeaddrinfo(q->res);
            free(q);
        } else {
            /* q->waiter is NULL now: the callback frees q. If the worker
             * has not started, cancel it outright. */
            uv_cancel((uv_req_t *)&q->u);
        }
        cio__set_error(rc, "%s: cancelled", who);
        return rc;
    }
    int code = q->status < 0 ? cio__net_gai_code(q->status) : 0;
    if (code < 0)
        fail(code, who, what);
    return code;
}

int cio_getaddrinfo(const char *host, const char *service,
                    const struct addrinfo *hints, struct addrinfo **res) {
    const char *who = "cio_getaddrinfo";
    if (!res || (!host && !service))
        return fail(CIO_EINVAL, who, "no host, no service or no result");
    *res = NULL;
    cio_loop *loop = cio_get_running_loop();
    int rc = loop ? cio__net_check_task(loop) : CIO_ENOTASK;
    if (rc < 0)
        return fail(rc, who, host);
    cio__net_reg *reg = cio__net_reg_get(loop, who);
    if (!reg)
        return cio_last_error();
    gai_req *q = calloc(1, sizeof *q);
    if (!q)
        return fail(CIO_ENOMEM, who, host);
    struct addrinfo h = {.ai_socktype = SOCK_STREAM};
    q->u.ai.data = q;
    rc = uv_getaddrinfo(cio_loop_uv(loop), &q->u.ai, on_addrinfo, host, service,
                        hints ? hints : &h);
    if (rc < 0) {
        free(q);
        return fail(cio__net_gai_code(rc), who, host);
    }
    rc = park_on(loop, q, who, host ? host : service);
    if (rc == CIO_ECANCELED)
        return rc;
    *res = q->res;
    free(q);
    return rc;
}

void cio_freeaddrinfo(struct addrinfo *res) {
    uv_freeaddrinfo(res);
}

int cio_getnameinfo(const struct sockaddr *addr, int flags, char *host,
                    size_t hostlen, char *service, size_t servicelen) {
    const char *who = "cio_getnameinfo";
    if (!addr)
        return fail(CIO_EINVAL, who, "no address");
    cio_loop *loop = cio_get_running_loop();
    int rc = loop ? cio__net_check_task(loop) : CIO_ENOTASK;
    if (rc < 0)
        return fail(rc, who, "");
    if (!cio__net_reg_get(loop, who))
        return cio_last_error();
    gai_req *q = calloc(1, sizeof *q);
    if (!q)
        return fail(CIO_ENOMEM, who, "");
    q->u.ni.data = q;
    rc = uv_getnameinfo(cio_loop_uv(loop), &q->u.ni, on_nameinfo, addr, flags);
    if (rc < 0) {
        free(q);
        return fail(cio__net_gai_code(rc), who, "");
    }
    rc = park_on(loop, q, who, "");
    if (rc == CIO_ECANCELED)
        return rc;
    if (rc == 0) {
        if (host && hostlen)
            snprintf(host, hostlen, "%s", q->host);
        if (service && servicelen)
            snprintf(service, servicelen, "%s", q->serv);
    }
    free(q);
    return rc;
}

char *cio_sockaddr_str(const struct sockaddr *a, char *buf, size_t cap) {
    if (!buf || !cap)
        return buf;
    char ip[INET6_ADDRSTRLEN] = "?";
    if (!a) {
        snprintf(buf, cap, "(none)");
    } else if (a->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)a;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        snprintf(buf, cap, "%s:%u", ip, ntohs(in->sin_port));
    } else if (a->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in = (const struct sockaddr_in6 *)a;
        inet_ntop(AF_INET6, &in->sin6_addr, ip, sizeof ip);
        snprintf(buf, cap, "[%s]:%u", ip, ntohs(in->sin6_port));
    } else if (a->sa_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)a;
        snprintf(buf, cap, "%s", un->sun_path[0] ? un->sun_path : "(unnamed)");
    } else {
        snprintf(buf, cap, "(family %d)", a->sa_family);
    }
    return buf;
}
