/* sigint.c - Ctrl-C under cio_run, as asyncio.run handles it since 3.11.
 *
 * A one-shot libuv signal handle: libuv installs its handler with
 * SA_RESETHAND, so once the first SIGINT has been delivered the kernel has
 * the default action back, and a second Ctrl-C ends the process at once,
 * even while a task spins without yielding (asyncio raises
 * KeyboardInterrupt from its handler instead; C has nothing to raise). The
 * handle is unreferenced: it must not keep the loop from reporting a
 * deadlock. */
#include "core/sigint.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

struct cio__run_sigint {
    uv_signal_t sig;
    cio_future *main; /* borrowed from cio_run, until the run ends */
    bool active, interrupted;
};

static void default_action_now(void) {
    signal(SIGINT, SIG_DFL);
    raise(SIGINT);
}

static void on_sigint(uv_signal_t *h, int signum) {
    (void)signum;
    cio__run_sigint *s = cio__container_of(h, cio__run_sigint, sig);
    s->active = false; /* one-shot: libuv has stopped the handle */
    if (!s->main || cio_future_done(s->main)) {
        /* nothing left to cancel: what a second Ctrl-C would do */
        default_action_now();
        return;
    }
    s->interrupted = true;
    cio_cancel(s->main, "interrupted by SIGINT (Ctrl-C)");
}

static void free_sigint(uv_handle_t *h) {
    free(cio__container_of((uv_signal_t *)h, cio__run_sigint, sig));
}

static void sigint_hook(cio_loop *loop, int when, void *arg) {
    (void)loop;
    cio__run_sigint *s = arg;
    if (when == CIO__AT_RUN_END) {
        s->main = NULL;
    } else if (when == CIO__AT_CLOSE) {
        s->active = false;
        uv_close((uv_handle_t *)&s->sig, free_sigint);
    }
}

/* The program's own SIGINT handler, or SIG_IGN (a job started in the
 * background by a non-interactive shell), is left alone, as asyncio.run
 * leaves a handler that is not Python's default. */
static bool sigint_is_default(void) {
    struct sigaction old;
    if (sigaction(SIGINT, NULL, &old) != 0)
        return false;
    return !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL;
}

cio__run_sigint *cio__run_sigint_start(cio_loop *loop, cio_future *main,
                                       const cio_loop_options *opts) {
    if ((opts && opts->no_sigint) || getpid() != (pid_t)syscall(SYS_gettid) ||
        !sigint_is_default())
        return NULL;
    cio__run_sigint *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (uv_signal_init(&loop->uv, &s->sig) != 0) {
        free(s);
        return NULL;
    }
    if (uv_signal_start_oneshot(&s->sig, on_sigint, SIGINT) != 0 ||
        cio__loop_add_hook(loop, sigint_hook, s) != 0) {
        uv_close((uv_handle_t *)&s->sig, free_sigint);
        return NULL;
    }
    uv_unref((uv_handle_t *)&s->sig);
    s->main = main;
    s->active = true;
    return s;
}

int cio__run_sigint_status(const cio__run_sigint *s, int rc) {
    return s && s->interrupted && rc == CIO_ECANCELED ? CIO_EINTERRUPTED : rc;
}

void cio__run_sigint_disable(cio_loop *loop) {
    cio__run_sigint *s = cio__loop_hook_arg(loop, sigint_hook);
    if (s && s->active) {
        uv_signal_stop(&s->sig);
        s->active = false;
    }
}
