/* client_engine.c - libcurl's multi-socket interface on cio's loop.
 *
 * libcurl says which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to
 * call it back (CURLMOPT_TIMERFUNCTION); a uv_poll_t per socket and one
 * uv_timer_t per session answer, and their callbacks, which run on the
 * loop's stack, call curl_multi_socket_action and then collect finished
 * transfers. No thread, no polling: the loop sleeps in epoll until a socket
 * or the timer has something.
 */
#include "http/client_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The sessions of a loop, closed by the loop if the program did not. */
typedef struct registry {
    cio__session *head;
} registry;

static void check_done(cio__session *s) {
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(s->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        cio__easy *ez = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&ez);
        if (ez && ez->r)
            cio__transfer_finish(ez->r, m->data.result);
    }
}

/* After curl_multi_socket_action. When on_socket refused a socket (no
 * memory for its poll), libcurl marks the multi handle dead and drives none
 * of its transfers again: fail them all (which removes them, so that the
 * handle takes new transfers), or their tasks would wait for ever. */
static void after_action(cio__session *s, CURLMcode mc) {
    check_done(s);
    if (mc == CURLM_OK)
        return;
    int code = s->sock_error               ? s->sock_error
               : mc == CURLM_OUT_OF_MEMORY ? CIO_ENOMEM
                                           : CIO_EHTTP;
    s->sock_error = 0;
    while (s->active)
        cio__transfer_fail(s->active, code, "the transfer was aborted: %s (%s)",
                           cio_strerror(code), curl_multi_strerror(mc));
}

static void sock_idle_stop(cio__sock *k) {
    uv_poll_stop(&k->poll);
    k->events = 0;
}

static void on_poll(uv_poll_t *h, int status, int events) {
    cio__sock *k = h->data;
    if (k->idle) { /* e.g. the server closed a kept-alive connection */
        sock_idle_stop(k);
        return;
    }
    int flags = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    cio__session *s = k->s;
    int running;
    after_action(s, curl_multi_socket_action(s->multi, k->fd, flags, &running));
}

static void on_timeout(uv_timer_t *t) {
    cio__session *s = t->data;
    int running;
    after_action(s, curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0,
                                             &running));
}

static void free_handle(uv_handle_t *h) {
    free(h);
}

static cio__sock *sock_of(const cio__session *s, curl_socket_t fd) {
    return fd >= 0 && (size_t)fd < s->nbyfd ? s->byfd[fd] : NULL;
}

static void sock_close(cio__session *s, cio__sock *k) {
    if (k->prev)
        k->prev->next = k->next;
    else
        s->socks = k->next;
    if (k->next)
        k->next->prev = k->prev;
    s->byfd[k->fd] = NULL;
    uv_close((uv_handle_t *)&k->poll, free_handle); /* epoll forgets fd */
}

/* The inode of the socket fd names now (0 if fstat fails). */
static unsigned long sock_ino(curl_socket_t fd) {
    struct stat st;
    return fstat(fd, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

static cio__sock *sock_new(cio__session *s, curl_socket_t fd) {
    if (fd < 0)
        return NULL;
    if ((size_t)fd >= s->nbyfd) {
        size_t n = s->nbyfd ? s->nbyfd : 64;
        while (n <= (size_t)fd)
            n *= 2;
        cio__sock **b = realloc(s->byfd, n * sizeof *b);
        if (!b)
            return NULL;
        memset(b + s->nbyfd, 0, (n - s->nbyfd) * sizeof *b);
        s->byfd = b;
        s->nbyfd = n;
    }
    cio__sock *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    if (uv_poll_init_socket(cio_loop_uv(s->loop), &k->poll, fd) != 0) {
        free(k);
        return NULL;
    }
    k->poll.data = k;
    k->s = s;
    k->fd = fd;
    k->ino = sock_ino(fd);
    k->next = s->socks;
    if (k->next)
        k->next->prev = k;
    s->socks = k;
    s->byfd[fd] = k;
    return k;
}

/* Drop every poll whose fd no longer names the socket it was made for.
 * libcurl 7.88.1 closes the socket of a connection it drops in
 * curl_multi_remove_handle (a transfer removed while it connects) with
 * close(), not through CURLOPT_CLOSESOCKETFUNCTION, and says
 * CURL_POLL_REMOVE only after: the kernel dropped the fd from epoll, but
 * the poll and libuv still believe it registered. If a new socket got the
 * same number and asked for the same events, that poll would be left as
 * it is and the new socket never watched: its transfer would wait for its
 * total timeout. Only a transfer taken out before it ended cleanly can do
 * that, so the sockets are checked (an fstat each) after such a removal,
 * before anything can reuse the number, and not on every socket call: a
 * kept-alive connection's two socket calls per request cost no syscall. */
static void sock_sweep(cio__session *s) {
    cio__sock *k = s->socks;
    while (k) {
        cio__sock *next = k->next;
        if (k->ino != sock_ino(k->fd))
            sock_close(s, k);
        k = next;
    }
}

/* libcurl no longer watches fd, but a kept-alive connection keeps it: its
 * poll stays (unreferenced, still watching) so that the next transfer on it
 * costs no epoll_ctl; it goes when libcurl closes the socket (on_close, or
 * sock_sweep for a socket closed behind our back). */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
                     void *socketp) {
    (void)easy;
    (void)socketp;
    cio__session *s = userp;
    cio__sock *k = sock_of(s, fd);
    if (what == CURL_POLL_REMOVE) {
        if (k && !k->idle) {
            k->idle = true;
            uv_unref((uv_handle_t *)&k->poll);
        }
        return 0;
    }
    if (!k)
        k = sock_new(s, fd);
    if (!k) {
        s->sock_error = CIO_ENOMEM;
        return -1;
    }
    if (k->idle) {
        k->idle = false;
        uv_ref((uv_handle_t *)&k->poll);
    }
    int events = 0;
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    if (events == k->events)
        return 0;
    k->events = events;
    int rc = uv_poll_start(&k->poll, events, on_poll);
    if (rc < 0)
        s->sock_error = rc;
    return rc < 0 ? -1 : 0;
}

/* CURLOPT_CLOSESOCKETFUNCTION: the poll goes before the fd does, so that a
 * new socket given the same number never meets it. */
static int on_close(void *clientp, curl_socket_t fd) {
    cio__session *s = clientp;
    cio__sock *k = sock_of(s, fd);
    if (k)
        sock_close(s, k);
    return close(fd);
}

static int on_timer(CURLM *multi, long ms, void *userp) {
    (void)multi;
    cio__session *s = userp;
    if (ms < 0)
        uv_timer_stop(s->timer);
    else /* 0 too goes through the loop: socket_action must not recurse */
        uv_timer_start(s->timer, on_timeout, (uint64_t)ms, 0);
    return 0;
}

/* ---- the total timeouts ------------------------------------------------- */

/* Transfers with a total timeout wait in a list ordered by deadline: most
 * requests of a session share its timeout, so a new one goes at the tail
 * in one step. One timer per session, armed for the head when a transfer
 * becomes the head; a head that ends early leaves it armed (unless the
 * list is empty), and its expiry, finding nothing due, re-arms it for the
 * new head: no timer update per request. */
static void on_deadline(uv_timer_t *t) {
    cio__session *s = t->data;
    uint64_t now = uv_now(cio_loop_uv(s->loop));
    cio_http_response *r;
    while ((r = s->dl_head) != NULL && r->deadline <= now) {
        char *eff = NULL;
        curl_easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &eff);
        cio__transfer_fail(r, CIO_EHTTP_TIMEOUT_TOTAL,
                           "total timeout expired (%s): no whole response "
                           "after %.3f s",
                           eff ? eff : "?", r->t_total);
    }
    if (r)
        uv_timer_start(t, on_deadline, r->deadline - now, 0);
}

static void deadline_add(cio__session *s, cio_http_response *r) {
    if (r->t_total <= 0) {
        r->deadline = 0;
        return;
    }
    uv_loop_t *uv = cio_loop_uv(s->loop);
    uint64_t ms = (uint64_t)(r->t_total * 1000.0 + 0.5);
    r->deadline = uv_now(uv) + (ms ? ms : 1);
    cio_http_response *at = s->dl_tail; /* the last one due before r */
    while (at && at->deadline > r->deadline)
        at = at->dl_prev;
    r->dl_prev = at;
    r->dl_next = at ? at->dl_next : s->dl_head;
    if (r->dl_next)
        r->dl_next->dl_prev = r;
    else
        s->dl_tail = r;
    if (at)
        at->dl_next = r;
    else {
        s->dl_head = r;
        uv_timer_start(s->dl_timer, on_deadline, r->deadline - uv_now(uv), 0);
    }
}

static void deadline_remove(cio__session *s, cio_http_response *r) {
    if (!r->deadline)
        return;
    if (r->dl_prev)
        r->dl_prev->dl_next = r->dl_next;
    else
        s->dl_head = r->dl_next;
    if (r->dl_next)
        r->dl_next->dl_prev = r->dl_prev;
    else
        s->dl_tail = r->dl_prev;
    r->dl_prev = r->dl_next = NULL;
    r->deadline = 0;
    if (!s->dl_head) /* nothing to time: the loop need not wait for it */
        uv_timer_stop(s->dl_timer);
}

/* ---- the loop's registry ------------------------------------------------ */

static void force_close(cio__session *s) {
    while (s->active) {
        cio_http_response *r = s->active;
        cio__transfer_fail(r, CIO_ELOOPCLOSED, "the event loop closed");
    }
    cio__session_free(s);
}

static void registry_hook(cio_loop *loop, int when, void *arg) {
    (void)loop;
    registry *reg = arg;
    if (when != CIO__AT_CLOSE)
        return;
    while (reg->head)
        force_close(reg->head); /* unlinks itself */
    free(reg);
}

static registry *registry_of(cio_loop *loop) {
    registry *reg = cio__loop_hook_arg(loop, registry_hook);
    if (reg)
        return reg;
    reg = calloc(1, sizeof *reg);
    if (!reg)
        return NULL;
    if (cio__loop_add_hook(loop, registry_hook, reg) != 0) {
        free(reg);
        return NULL;
    }
    return reg;
}

int cio__engine_attach(cio__session *s) {
    registry *reg = registry_of(s->loop);
    if (!reg)
        return CIO_ENOMEM;
    s->timer = malloc(sizeof *s->timer);
    if (!s->timer)
        return CIO_ENOMEM;
    uv_timer_init(cio_loop_uv(s->loop), s->timer);
    s->timer->data = s;
    s->dl_timer = malloc(sizeof *s->dl_timer);
    if (!s->dl_timer)
        return CIO_ENOMEM;
    uv_timer_init(cio_loop_uv(s->loop), s->dl_timer);
    s->dl_timer->data = s;
    s->multi = curl_multi_init();
    if (!s->multi)
        return CIO_ENOMEM;
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
    curl_multi_setopt(s->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    s->next = reg->head;
    if (s->next)
        s->next->prev = s;
    reg->head = s;
    s->registered = true;
    return 0;
}

void cio__engine_detach(cio__session *s) {
    if (s->registered) {
        registry *reg = cio__loop_hook_arg(s->loop, registry_hook);
        if (s->prev)
            s->prev->next = s->next;
        else if (reg)
            reg->head = s->next;
        if (s->next)
            s->next->prev = s->prev;
        s->registered = false;
    }
    /* The polls go before libcurl closes the sockets they watch. */
    while (s->socks)
        sock_close(s, s->socks);
    if (s->multi) {
        curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, NULL);
        curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, NULL);
        curl_multi_cleanup(s->multi);
        s->multi = NULL;
    }
    free(s->byfd);
    s->byfd = NULL;
    s->nbyfd = 0;
    if (s->timer) {
        uv_timer_stop(s->timer);
        uv_close((uv_handle_t *)s->timer, free_handle);
        s->timer = NULL;
    }
    if (s->dl_timer) {
        uv_timer_stop(s->dl_timer);
        uv_close((uv_handle_t *)s->dl_timer, free_handle);
        s->dl_timer = NULL;
    }
}

int cio__engine_add(cio__session *s, cio_http_response *r) {
    CURLMcode mc = curl_multi_add_handle(s->multi, r->easy);
    if (mc != CURLM_OK) {
        cio__set_error(mc == CURLM_OUT_OF_MEMORY ? CIO_ENOMEM : CIO_EHTTP,
                       "cio_http_request_send: %s", curl_multi_strerror(mc));
        return mc == CURLM_OUT_OF_MEMORY ? CIO_ENOMEM : CIO_EHTTP;
    }
    r->session = s;
    r->prev = NULL;
    r->next = s->active;
    if (r->next)
        r->next->prev = r;
    s->active = r;
    s->nactive++;
    deadline_add(s, r);
    return 0;
}

/* libcurl 7.88.1's reset and cleanup forget a CURLOPT_COOKIEFILE list not
 * yet read without freeing it (curl issue 10694, fixed in 8.0.0): free it
 * first; the session's cookies stay in its share. */
static void forget_cookie_file(CURL *easy) {
    curl_easy_setopt(easy, CURLOPT_COOKIEFILE, NULL);
}

void cio__engine_easy_free(cio__easy *ez) {
    forget_cookie_file(ez->h);
    curl_easy_cleanup(ez->h);
    free(ez->url);
    free(ez);
}

void cio__easy_long(cio__easy *ez, int slot, CURLoption opt, long v) {
    if (ez->last[slot] != v && curl_easy_setopt(ez->h, opt, v) == CURLE_OK)
        ez->last[slot] = v;
}

void cio__engine_give_back(cio__session *s, cio__easy *ez) {
    if (s->npool == s->pool_cap) {
        size_t cap = s->pool_cap ? s->pool_cap * 2 : 16;
        cio__easy **p = realloc(s->pool, cap * sizeof *p);
        if (!p) {
            cio__engine_easy_free(ez);
            return;
        }
        s->pool = p;
        s->pool_cap = cap;
    }
    ez->r = NULL;
    s->pool[s->npool++] = ez;
}

void cio__engine_remove(cio_http_response *r) {
    cio__session *s = r->session;
    if (r->read_timer) {
        uv_timer_stop(r->read_timer);
        uv_close((uv_handle_t *)r->read_timer, free_handle);
        r->read_timer = NULL;
    }
    if (!s)
        return;
    deadline_remove(s, r);
    /* a transfer taken out before it ended, or paused, may leave state in
     * its handle (a pause, a half-read response): reset before reuse */
    bool unclean = !r->ended_ok || r->was_paused;
    if (unclean)
        r->ez->dirty = true;
    curl_multi_remove_handle(s->multi, r->easy);
    if (unclean)
        sock_sweep(s);
    if (r->prev)
        r->prev->next = r->next;
    else
        s->active = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
    s->nactive--;
    cio__engine_give_back(s, r->ez);
    r->ez = NULL;
    r->easy = NULL;
    r->session = NULL;
    if (s->nactive == 0 && s->closer)
        cio__unpark(s->closer);
}

/* A kept handle keeps the session's options (and libcurl its caches): a
 * plain request sets only what differs per request. One whose last request
 * set more is reset first and set again. */
cio__easy *cio__engine_easy(cio__session *s) {
    cio__easy *ez;
    if (s->npool) {
        ez = s->pool[--s->npool];
        if (!ez->dirty)
            return ez;
        forget_cookie_file(ez->h);
        curl_easy_reset(ez->h);
    } else {
        if (!(ez = calloc(1, sizeof *ez)))
            return NULL;
        if (!(ez->h = curl_easy_init())) {
            free(ez);
            return NULL;
        }
    }
    ez->dirty = false;
    for (int i = 0; i < CIO__NOPTS; i++)
        ez->last[i] = LONG_MIN; /* reset or new: libcurl's defaults */
    free(ez->url);
    ez->url = NULL;
    ez->headers = NULL;
    CURL *e = ez->h;
    curl_easy_setopt(e, CURLOPT_PRIVATE, ez);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, on_close);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, s);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, ez->errbuf);
    cio__easy_callbacks(ez);
    cio__easy_configure(s, e);
    return ez;
}
