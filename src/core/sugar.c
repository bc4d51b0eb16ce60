/* sugar.c - the short forms of cio/sugar.h that live at the core's level:
 * re-raising, error names, cio_main. */
#include "core/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(long) == sizeof(void *),
               "cio_int: a long holds a pointer");

void *cio_reraise(void) {
    int code = cio_last_error();
    if (code >= 0)
        return cio_raise(CIO_EINVALIDSTATE,
                         "cio_reraise: no error to re-raise");
    return cio_raise(code, "%s", cio_last_error_message());
}

void *cio_raise_if(int err) {
    if (err >= 0)
        return NULL;
    if (cio_last_error() == err && *cio_last_error_message())
        return cio_raise(err, "%s", cio_last_error_message());
    return cio_raise(err, NULL);
}

void *cio_raise_in(int err, const char *fmt, ...) {
    if (err >= 0)
        return NULL;
    const char *cause = cio_last_error() == err && *cio_last_error_message()
                            ? cio_last_error_message()
                            : cio_strerror(err);
    if (!fmt)
        return cio_raise(err, "%s", cause);
    va_list ap;
    va_start(ap, fmt);
    char *context = cio__vformat(fmt, ap);
    va_end(ap);
    if (!context) /* out of memory: the cause alone still says what failed */
        return cio_raise(err, "%s", cause);
    void *marker = cio_raise(err, "%s: %s", context, cause);
    free(context);
    return marker;
}

void *cio_return_format_n(char *buf, size_t size, const char *fmt, ...) {
    if (!buf || !size || !fmt)
        return cio_raise(CIO_EINVAL, "cio_return_format: %s",
                         !fmt ? "NULL format" : "no buffer");
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (len < 0)
        return cio_raise(CIO_EINVAL, "cio_return_format: the format failed");
    if ((size_t)len >= size)
        return cio_raise(CIO_EINVAL,
                         "cio_return_format: the text needs %d bytes, the "
                         "buffer has %zu",
                         len + 1, size);
    return buf;
}

int cio_await_result_at(cio_future *future, void **result, const char *file,
                        int line) {
    int rc = cio_await_at(future, result, file, line);
    if (rc >= 0)
        return rc;
    const char *msg =
        future && cio_future_done(future) && cio_future_error(future) == rc
            ? cio_future_error_message(future)
            : NULL;
    cio__set_error(rc, "%s", msg && *msg ? msg : cio_strerror(rc));
    return rc;
}

#define NAME(code)                                                             \
    case code:                                                                 \
        return #code

const char *cio_err_name(int code) {
    switch (code) {
    case 0:
        return "0";
        NAME(CIO_EINVAL);
        NAME(CIO_ENOMEM);
        NAME(CIO_ECANCELED);
        NAME(CIO_ETIMEDOUT);
        NAME(CIO_EDEADLK);
        NAME(CIO_EINVALIDSTATE);
        NAME(CIO_ENOTASK);
        NAME(CIO_EWRONGLOOP);
        NAME(CIO_ELOOPRUNNING);
        NAME(CIO_ELOOPCLOSED);
        NAME(CIO_ENOLOOP);
        NAME(CIO_ESTOPPED);
        NAME(CIO_ETASKGROUP);
        NAME(CIO_EQUEUEFULL);
        NAME(CIO_EQUEUEEMPTY);
        NAME(CIO_EQUEUESHUTDOWN);
        NAME(CIO_EBROKENBARRIER);
        NAME(CIO_ENOTLOCKED);
        NAME(CIO_ENOTOWNER);
        NAME(CIO_EOVERRELEASE);
        NAME(CIO_ESHUTDOWN);
        NAME(CIO_ECLOSED);
        NAME(CIO_EHASWAITERS);
        NAME(CIO_EINCOMPLETE);
        NAME(CIO_ELIMIT);
        NAME(CIO_EAI_AGAIN);
        NAME(CIO_EAI_BADFLAGS);
        NAME(CIO_EAI_FAIL);
        NAME(CIO_EAI_FAMILY);
        NAME(CIO_EAI_MEMORY);
        NAME(CIO_EAI_NONAME);
        NAME(CIO_EAI_SERVICE);
        NAME(CIO_EAI_SOCKTYPE);
        NAME(CIO_EAI_NODATA);
        NAME(CIO_EAI_ADDRFAMILY);
        NAME(CIO_EAI_OVERFLOW);
        NAME(CIO_ETLS);
        NAME(CIO_ETLSVERIFY);
        NAME(CIO_ETLSEOF);
        NAME(CIO_ETLSCONFIG);
        NAME(CIO_EHTTP);
        NAME(CIO_EHTTP_CONNECT);
        NAME(CIO_EHTTP_RESOLVE);
        NAME(CIO_EHTTP_TLS);
        NAME(CIO_EHTTP_TIMEOUT_TOTAL);
        NAME(CIO_EHTTP_TIMEOUT_CONNECT);
        NAME(CIO_EHTTP_TIMEOUT_SOCK_READ);
        NAME(CIO_EHTTP_REDIRECTS);
        NAME(CIO_EHTTP_TOO_LARGE);
        NAME(CIO_EHTTP_STATUS);
        NAME(CIO_EHTTP_JSON);
        NAME(CIO_EHTTP_CONTENT_TYPE);
        NAME(CIO_EHTTP_PAYLOAD);
        NAME(CIO_EHTTP_CLOSED);
        NAME(CIO_EHTTP_DECODE);
        NAME(CIO_EWEB_TOO_LARGE);
        NAME(CIO_EWEB_BAD_REQUEST);
        NAME(CIO_EWEB_HEADERS_SENT);
        NAME(CIO_EINTERRUPTED);
        NAME(CIO_EBADSIGNAL);
    default:
        break;
    }
    if (code < 0 && code > -4096) {
        const char *s = strerrorname_np(-code);
        if (s)
            return s;
    }
    return "UNKNOWN";
}

double cio_time(void) {
    return cio_loop_time(cio_get_loop());
}

/* cio_main's task: fn itself, run in the main task (so that the program's
 * tasks are numbered and counted as under cio_run), keeping the message of
 * a failure, which cio_run's status does not carry. */
typedef struct main_call {
    cio_task_fn fn;
    void *arg;
    char message[512];
} main_call;

static void *main_task(void *arg) {
    main_call *m = arg;
    void *ret = m->fn(m->arg);
    cio_future *me = cio_current_task();
    if (me->error && me->message) /* cio_raise recorded a failure */
        snprintf(m->message, sizeof m->message, "%s", me->message);
    return ret;
}

/* The end of cio_main: nothing for success; for a failure, its message
 * on stderr after what the program printed. The exit status. */
static int report(int err, main_call *m) {
    if (err == 0)
        return 0;
    if (!m->message[0])
        snprintf(m->message, sizeof m->message, "%s",
                 err == cio_last_error() ? cio_last_error_message()
                                         : cio_strerror(err));
    fflush(stdout); /* what the program printed comes first */
    fprintf(stderr, "%s: %s (%s)\n", program_invocation_short_name, m->message,
            cio_err_name(err));
    return 1;
}

int cio_main_ex(cio_task_fn fn, void *arg, const cio_loop_options *opts) {
    main_call m = {.fn = fn, .arg = arg};
    int err = fn ? cio_run_ex(main_task, &m, NULL, opts) : CIO_EINVAL;
    return report(err, &m);
}

int cio_loop_main(cio_loop *loop, cio_task_fn fn, void *arg) {
    main_call m = {.fn = fn, .arg = arg};
    int err = cio_last_error();
    if (!loop && err >= 0) { /* not a failed cio_loop_new: a misuse */
        err = CIO_EINVAL;
        cio__set_error(err, "cio_loop_main: NULL loop");
    } else if (loop && !fn) {
        err = CIO_EINVAL;
        cio__set_error(err, "cio_loop_main: NULL function");
    } else if (loop) {
        err = cio_loop_run_until_complete(loop, main_task, &m, NULL);
    }
    return report(err, &m);
}

int cio_main(cio_task_fn fn, void *arg) {
    return cio_main_ex(fn, arg, NULL);
}
