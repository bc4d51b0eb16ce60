/* reg.c - the per-loop record of what src/net has open, and the waits every
 * file of the area shares.
 *
 * When a loop closes, every stream, server, UDP endpoint and fd poller of
 * it must give its libuv handle back before libuv's loop can close; the
 * registry's hook does that. Objects the user still holds stay allocated
 * (marked dead) until their cio_X_free.
 */
#include "net/internal.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#if CIO__NET_EPOLL
#include <sys/epoll.h>
#endif

struct cio__net_reg {
    cio_loop *loop;
    cio_stream *streams;
    cio__net_list others;  /* servers, UDP endpoints */
    cio__net_list pollers; /* fd pollers (fdwait.c) */
    char *scratch;         /* the loop's one raw read buffer */
    uv_poll_t *epoll;      /* libuv's watch on efd, or NULL */
    int efd;               /* edge-triggered epoll of TCP streams */
    bool closing;
};

/* A process that writes to a socket whose peer has gone gets SIGPIPE, which
 * kills it by default; libuv writes with write(2). Ignore the signal unless
 * the program chose a disposition of its own, as Python does. */
static void ignore_sigpipe(void) {
    struct sigaction old;
    if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
        !(old.sa_flags & SA_SIGINFO)) {
        struct sigaction ign = {0};
        ign.sa_handler = SIG_IGN;
        sigemptyset(&ign.sa_mask);
        sigaction(SIGPIPE, &ign, NULL);
    }
}

static void free_handle(uv_handle_t *h) {
    free(h);
}

static void reg_hook(cio_loop *loop, int when, void *arg) {
    (void)loop;
    cio__net_reg *r = arg;
    if (when != CIO__AT_CLOSE)
        return;
    r->closing = true;
    while (r->streams)
        cio__stream_loop_closed(r->streams);
    cio__net_list *lists[] = {&r->others, &r->pollers};
    for (int i = 0; i < 2; i++) {
        while (lists[i]->next != lists[i]) {
            cio__net_list *n = lists[i]->next;
            cio__net_list_unlink(n);
            n->on_loop_close(n);
        }
    }
    if (r->epoll) {
        uv_close((uv_handle_t *)r->epoll, free_handle);
        close(r->efd);
    }
    free(r->scratch);
    free(r);
}

cio__net_reg *cio__net_reg_get(cio_loop *loop, const char *who) {
    cio_loop *l = cio__pick_loop(loop, who);
    if (!l)
        return NULL;
    cio__net_reg *r = cio__loop_hook_arg(l, reg_hook);
    if (r)
        return r;
    r = calloc(1, sizeof *r);
    if (r)
        r->scratch = malloc(CIO__READ_CHUNK);
    if (!r || !r->scratch || cio__loop_add_hook(l, reg_hook, r) != 0) {
        if (r)
            free(r->scratch);
        free(r);
        cio__set_error(CIO_ENOMEM, "%s: out of memory", who);
        return NULL;
    }
    r->loop = l;
    r->others.next = r->others.prev = &r->others;
    r->pollers.next = r->pollers.prev = &r->pollers;
    ignore_sigpipe();
    return r;
}

cio_loop *cio__net_reg_loop(const cio__net_reg *r) {
    return r->loop;
}

char *cio__net_reg_scratch(cio__net_reg *r) {
    return r->scratch;
}

void cio__net_reg_add_stream(cio__net_reg *r, cio_stream *s) {
    s->reg_prev = NULL;
    s->reg_next = r->streams;
    if (r->streams)
        r->streams->reg_prev = s;
    r->streams = s;
}

void cio__net_reg_remove_stream(cio__net_reg *r, cio_stream *s) {
    if (s->reg_prev)
        s->reg_prev->reg_next = s->reg_next;
    else if (r->streams == s)
        r->streams = s->reg_next;
    if (s->reg_next)
        s->reg_next->reg_prev = s->reg_prev;
    s->reg_prev = s->reg_next = NULL;
}

static void list_add(cio__net_list *head, cio__net_list *n) {
    n->next = head->next;
    n->prev = head;
    head->next->prev = n;
    head->next = n;
}

void cio__net_reg_add(cio__net_reg *r, cio__net_list *n) {
    list_add(&r->others, n);
}

void cio__net_reg_add_poller(cio__net_reg *r, cio__net_list *n) {
    list_add(&r->pollers, n);
}

cio__net_list *cio__net_reg_pollers(cio__net_reg *r) {
    return &r->pollers;
}

void cio__net_list_unlink(cio__net_list *n) {
    if (!n->next)
        return;
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n->prev = NULL;
}

bool cio__net_reg_closing(const cio__net_reg *r) {
    return r->closing;
}

/* ---- parking with a deadline -------------------------------------------- */

typedef struct park_ctx {
    cio__parking park;
    cio__parking **slot;
    cio_handle *timer;
    bool timed_out;
} park_ctx;

static void on_deadline(void *arg) {
    park_ctx *c = arg;
    if (cio__unpark(&c->park))
        c->timed_out = true;
}

static void clear_slot(park_ctx *c) {
    if (*c->slot == &c->park)
        *c->slot = NULL;
}

/* The loop closed with the task parked: its frame is going. */
static void abandon(void *arg) {
    park_ctx *c = arg;
    clear_slot(c);
    cio_handle_release(c->timer);
}

int cio__net_park(cio_loop *loop, cio__parking **slot, double deadline) {
    park_ctx c = {.slot = slot};
    if (deadline > 0) {
        int rc = cio_call_at(loop, deadline, on_deadline, &c, &c.timer);
        if (rc < 0)
            return rc;
    }
    cio__cleanup cl;
    cio__cleanup_push(&cl, abandon, &c);
    /* cleared below, and by abandon() if the frame goes first */
    *slot = &c.park; // cppcheck-suppress autoVariables
    int rc = cio__park(&c.park, __FILE__, __LINE__);
    clear_slot(&c);
    cio__cleanup_pop(&cl);
    if (c.timer) {
        cio_handle_cancel(c.timer);
        cio_handle_release(c.timer);
    }
    if (rc == 0 && c.timed_out)
        return CIO_ETIMEDOUT;
    return rc;
}

/* ---- TCP reads, edge-triggered -------------------------------------------
 * libuv's epoll is level-triggered: a socket that was readable is polled
 * again in the next epoll_wait even when its data was read, which costs
 * about as much per message as the rest of the user-space path (W4). TCP
 * streams are read from an epoll of their own, edge-triggered as mio's
 * (Tokio): libuv watches that one descriptor. */

#if CIO__NET_EPOLL
static void on_epoll(uv_poll_t *p, int status, int events) {
    (void)status;
    (void)events;
    cio__net_reg *r = p->data;
    struct epoll_event ev[64];
    int n;
    do {
        n = epoll_wait(r->efd, ev, 64, 0);
        for (int i = 0; i < n; i++)
            cio__stream_on_edge(ev[i].data.ptr,
                                (ev[i].events & ~(uint32_t)EPOLLIN) != 0);
    } while (n == 64);
}

static int epoll_setup(cio__net_reg *r) {
    r->efd = epoll_create1(EPOLL_CLOEXEC);
    if (r->efd < 0)
        return -errno;
    uv_poll_t *p = malloc(sizeof *p);
    int rc = p ? uv_poll_init(cio_loop_uv(r->loop), p, r->efd) : CIO_ENOMEM;
    if (rc == 0) {
        p->data = r;
        rc = uv_poll_start(p, UV_READABLE, on_epoll);
        if (rc < 0) {
            uv_close((uv_handle_t *)p, free_handle);
            p = NULL;
        }
    } else {
        free(p);
    }
    if (rc < 0) {
        close(r->efd);
        return rc;
    }
    r->epoll = p;
    return 0;
}

int cio__net_reg_watch(cio__net_reg *r, cio_stream *s, int fd) {
    int rc = r->epoll ? 0 : epoll_setup(r);
    if (rc < 0)
        return rc;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET,
                             .data.ptr = s};
    return epoll_ctl(r->efd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

void cio__net_reg_unwatch(cio__net_reg *r, int fd) {
    if (r->epoll)
        epoll_ctl(r->efd, EPOLL_CTL_DEL, fd, NULL);
}
#else /* no epoll: TCP streams are read by libuv (stream.c) */
int cio__net_reg_watch(cio__net_reg *r, cio_stream *s, int fd) {
    (void)r;
    (void)s;
    (void)fd;
    return -ENOSYS;
}

void cio__net_reg_unwatch(cio__net_reg *r, int fd) {
    (void)r;
    (void)fd;
}
#endif
