/* gather_calls.c - cio_gather_calls: start tasks and gather them in one
 * call, leaving nothing behind. */
#include "combine/internal.h"

#include <stdlib.h>
#include <string.h>

/* The task whose failure gather reported (the first with that code, in
 * input order), else none (the caller was cancelled); record the error
 * with its message as the thread's last one. */
static int record_failure(cio_future **t, size_t n, int err) {
    cio_future *culprit = NULL;
    for (size_t i = 0; i < n && !culprit; i++)
        if (cio_future_done(t[i]) && cio_future_error(t[i]) == err)
            culprit = t[i];
    const char *msg = culprit ? cio_future_error_message(culprit) : NULL;
    cio__set_error(err, "%s", msg && *msg ? msg : cio_strerror(err));
    return err;
}

static int check(const cio_call *calls, size_t n) {
    if (!calls && n > 0)
        return CIO_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!calls[i].fn)
            return CIO_EINVAL;
    return cio_current_task() ? 0 : CIO_ENOTASK;
}

int cio_gather_calls_at(const cio_call *calls, size_t n, void **results,
                        const char *file, int line) {
    if (results)
        memset(results, 0, n * sizeof *results);
    int err = check(calls, n);
    if (err) {
        cio__set_error(err, "cio_gather_calls: %s", cio_strerror(err));
        return err;
    }
    cio_future *stack[16];
    cio_future **t = n <= 16 ? stack : calloc(n, sizeof *t);
    if (!t) {
        cio__set_error(CIO_ENOMEM, "cio_gather_calls: out of memory");
        return CIO_ENOMEM;
    }
    size_t made = 0;
    for (; made < n; made++) {
        t[made] = cio_create_task_at(NULL, calls[made].fn, calls[made].arg,
                                     NULL, file, line);
        if (!t[made])
            break;
    }
    if (made < n) { /* keep the creation error; undo what was made */
        int code = cio_last_error();
        char msg[256];
        snprintf(msg, sizeof msg, "%s", cio_last_error_message());
        cio_cancel_all_at(t, made, file, line);
        cio__set_error(code, "%s", msg);
        err = code;
    } else {
        err = cio_gather_at(t, n, results, 0, file, line);
        if (err) {
            cio_cancel_all_at(t, n, file, line);
            err = record_failure(t, n, err);
        }
    }
    cio_release_all(t, made);
    if (t != stack)
        free(t);
    return err;
}
