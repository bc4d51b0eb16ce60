/* gather_calls.c - cio_gather_calls: start tasks and gather them in one
 * call, leaving nothing behind. */
#include "combine/internal.h"

#include <stdio.h>
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

int cio_create_tasks_at(cio_future **tasks, const cio_call *calls, size_t n,
                        const char *file, int line) {
    int err = !tasks && n > 0 ? CIO_EINVAL : check(calls, n);
    if (err && err != CIO_ENOTASK) {
        cio__set_error(err, "cio_create_tasks: %s", cio_strerror(err));
        return err;
    }
    for (size_t made = 0; made < n; made++) {
        tasks[made] = cio_create_task_at(NULL, calls[made].fn, calls[made].arg,
                                         NULL, file, line);
        if (tasks[made])
            continue;
        /* keep the creation error; undo what was made */
        int code = cio_last_error();
        char msg[256];
        snprintf(msg, sizeof msg, "%s", cio_last_error_message());
        if (cio_current_task())
            cio_cancel_all_at(tasks, made, file, line);
        else
            for (size_t i = 0; i < made; i++)
                cio_cancel(tasks[i], NULL);
        cio_release_all(tasks, made);
        memset(tasks, 0, n * sizeof *tasks);
        cio__set_error(code, "%s", msg);
        return code;
    }
    return 0;
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
    err = cio_create_tasks_at(t, calls, n, file, line);
    if (err == 0) {
        err = cio_gather_at(t, n, results, 0, file, line);
        if (err) {
            cio_cancel_all_at(t, n, file, line);
            err = record_failure(t, n, err);
        }
        cio_release_all(t, n);
    }
    if (t != stack)
        free(t);
    return err;
}

int cio_gather_range_at(cio_task_fn fn, long start, long stop, void **results,
                        const char *file, int line) {
    if (!fn) {
        cio__set_error(CIO_EINVAL, "cio_gather_range: no function");
        return CIO_EINVAL;
    }
    size_t n = stop > start ? (size_t)stop - (size_t)start : 0;
    cio_call *calls = n ? calloc(n, sizeof *calls) : NULL;
    if (n && !calls) {
        cio__set_error(CIO_ENOMEM, "cio_gather_range: out of memory");
        return CIO_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        calls[i] = (cio_call){fn, cio_from_int(start + (long)i)};
    int err = cio_gather_calls_at(calls, n, results, file, line);
    free(calls);
    return err;
}

int cio_create_each_at(cio_future **tasks, cio_task_fn fn, void *array,
                       size_t size, size_t n, const char *file, int line) {
    if (!fn || (n > 0 && (!array || !tasks))) {
        cio__set_error(CIO_EINVAL, "cio_create_each: %s",
                       fn ? "no array" : "no function");
        return CIO_EINVAL;
    }
    cio_call stack[16] = {{NULL, NULL}};
    cio_call *calls = n <= 16 ? stack : calloc(n, sizeof *calls);
    if (!calls) {
        cio__set_error(CIO_ENOMEM, "cio_create_each: out of memory");
        return CIO_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        calls[i] = (cio_call){fn, (char *)array + i * size};
    int err = cio_create_tasks_at(tasks, calls, n, file, line);
    if (calls != stack)
        free(calls);
    return err;
}

int cio_cancel_release_all_at(cio_future *const *futures, size_t n,
                              const char *file, int line) {
    /* a failure recorded before (cio_await_result) is what the caller
     * passes on next (cio_raise_if): awaiting the cancelled keeps it */
    int code = cio_last_error();
    char msg[512];
    snprintf(msg, sizeof msg, "%s", cio_last_error_message());
    int err = cio_cancel_all_at(futures, n, file, line);
    cio_release_all(futures, n);
    if (err == 0 && code < 0)
        cio__set_error(code, "%s", msg);
    return err;
}

int cio_create_range_at(cio_future **tasks, cio_task_fn fn, long start,
                        long stop, const char *file, int line) {
    if (!fn) {
        cio__set_error(CIO_EINVAL, "cio_create_range: no function");
        return CIO_EINVAL;
    }
    size_t n = stop > start ? (size_t)stop - (size_t)start : 0;
    cio_call *calls = n ? calloc(n, sizeof *calls) : NULL;
    if (n && !calls) {
        cio__set_error(CIO_ENOMEM, "cio_create_range: out of memory");
        return CIO_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        calls[i] = (cio_call){fn, cio_from_int(start + (long)i)};
    int err = cio_create_tasks_at(tasks, calls, n, file, line);
    free(calls);
    return err;
}
