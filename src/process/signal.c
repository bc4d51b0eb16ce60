/* signal.c - loop.add_signal_handler / remove_signal_handler on libuv
 * signal handles, and the exit status after cio_run. */
#include "core/sigint.h"
#include "process/internal.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

struct cio__sig_handler {
    uv_signal_t sig;
    cio_signal_fn cb;
    void *arg;
    cio__sig_handler *next;
};

/* A libuv signal callback runs on the loop's stack while the loop polls,
 * where call_soon callbacks run too: the program's callback runs there. */
static void on_signal(uv_signal_t *h, int signum) {
    cio__sig_handler *s = cio__container_of(h, cio__sig_handler, sig);
    s->cb(signum, s->arg);
}

static void free_handler(uv_handle_t *h) {
    free(cio__container_of((uv_signal_t *)h, cio__sig_handler, sig));
}

static int check_signal(int signum, const char *who) {
    if (signum < 1 || signum >= NSIG) {
        cio__set_error(CIO_EINVAL, "%s: %d is not a signal number", who,
                       signum);
        return CIO_EINVAL;
    }
    switch (signum) {
    case SIGKILL:
    case SIGSTOP:
    case SIGSEGV:
    case SIGBUS:
    case SIGFPE:
    case SIGILL:
        cio__set_error(CIO_EBADSIGNAL, "%s: signal %d (%s) cannot be handled",
                       who, signum, strsignal(signum));
        return CIO_EBADSIGNAL;
    default:
        return 0;
    }
}

static cio__sig_handler **find(cio__proc_area *a, int signum) {
    cio__sig_handler **p = &a->handlers;
    while (*p && (*p)->sig.signum != signum)
        p = &(*p)->next;
    return p;
}

int cio_add_signal_handler(cio_loop *loop, int signum, cio_signal_fn cb,
                           void *arg) {
    static const char who[] = "cio_add_signal_handler";
    if (!cb) {
        cio__set_error(CIO_EINVAL, "%s: no callback", who);
        return CIO_EINVAL;
    }
    int rc = check_signal(signum, who);
    if (rc)
        return rc;
    loop = cio__pick_loop(loop, who);
    if (!loop)
        return cio_last_error();
    cio__proc_area *a = cio__proc_area_get(loop, true);
    if (!a) {
        cio__set_error(CIO_ENOMEM, "%s: out of memory", who);
        return CIO_ENOMEM;
    }
    cio__sig_handler **p = find(a, signum);
    if (*p) { /* a second handler replaces the first, as in asyncio */
        (*p)->cb = cb;
        (*p)->arg = arg;
        return 0;
    }
    cio__sig_handler *s = calloc(1, sizeof *s);
    if (!s) {
        cio__set_error(CIO_ENOMEM, "%s: out of memory", who);
        return CIO_ENOMEM;
    }
    s->cb = cb;
    s->arg = arg;
    if (signum == SIGINT)
        cio__run_sigint_disable(loop);
    uv_signal_init(&loop->uv, &s->sig);
    rc = uv_signal_start(&s->sig, on_signal, signum);
    if (rc != 0) {
        uv_close((uv_handle_t *)&s->sig, free_handler);
        cio__set_error(rc, "%s: signal %d: %s", who, signum, uv_strerror(rc));
        return rc;
    }
    *p = s;
    return 0;
}

int cio_remove_signal_handler(cio_loop *loop, int signum) {
    static const char who[] = "cio_remove_signal_handler";
    int rc = check_signal(signum, who);
    if (rc)
        return rc;
    loop = cio__pick_loop(loop, who);
    if (!loop)
        return cio_last_error();
    cio__proc_area *a = cio__proc_area_get(loop, false);
    cio__sig_handler **p = a ? find(a, signum) : NULL;
    if (!p || !*p)
        return 0;
    cio__sig_handler *s = *p;
    *p = s->next;
    uv_close((uv_handle_t *)&s->sig, free_handler);
    return 1;
}

void cio__signals_close(cio__proc_area *a) {
    while (a->handlers) {
        cio__sig_handler *s = a->handlers;
        a->handlers = s->next;
        uv_close((uv_handle_t *)&s->sig, free_handler);
    }
}

int cio_exit_status(int rc) {
    if (rc == 0)
        return 0;
    return rc == CIO_EINTERRUPTED ? 128 + SIGINT : 1;
}
