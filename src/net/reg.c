/* reg.c - the per-loop record of what src/net has open, and the waits every
 * file of the area shares.
 *
 * When a loop closes, every stream, server, UDP endpoint and fd poller of
 * it must give its libuv handle back before libuv's loop can close; the
 * registry's hook does that. Objects the user still holds stay allocated
 * (marked dead) until their cio_X_free.
 */
#include "net/internal.h"

#include <signal.h>
#include <stdlib.h>

struct cio__net_reg {
    cio_loop *loop;
    cio_stream *streams;
    cio__net_list others;  /* servers, UDP endpoints */
    cio__net_list pollers; /* fd pollers (fdwait.c) */
    char *scratch;         /* the loop's one raw read buffer */
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
