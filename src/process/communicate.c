/* communicate.c - Process.communicate: feed stdin while reading stdout and
 * stderr, as asyncio does with a gather of three coroutines: here the
 * calling task feeds stdin and a task per output pipe reads it into the
 * process object, where a cancelled call leaves what it read for the next
 * one. */
#include "process/proc.h"

#include <stdlib.h>
#include <string.h>

#define READ_CHUNK ((size_t)64 * 1024)
#define FEED_CHUNK ((size_t)64 * 1024)

/* Make room for READ_CHUNK more bytes (and a NUL) in acc[i]. */
static int reserve(cio_process *p, int i) {
    if (p->acc_cap[i] - p->acc_len[i] > READ_CHUNK)
        return 0;
    size_t cap = p->acc_cap[i] ? p->acc_cap[i] * 2 : READ_CHUNK + 1;
    while (cap - p->acc_len[i] <= READ_CHUNK)
        cap *= 2;
    char *b = realloc(p->acc[i], cap);
    if (!b)
        return cio__error(CIO_ENOMEM, "cio_process_communicate: out of memory");
    p->acc[i] = b;
    p->acc_cap[i] = cap;
    return 0;
}

static void *read_to_end(void *arg) {
    cio__reader *r = arg;
    cio_process *p = r->p;
    for (;;) {
        int rc = reserve(p, r->i);
        if (rc)
            return cio_raise(rc, "cio_process_communicate: out of memory");
        ssize_t n =
            cio_stream_read(p->pipes[r->i], p->acc[r->i] + p->acc_len[r->i],
                            p->acc_cap[r->i] - p->acc_len[r->i] - 1);
        if (n < 0)
            return cio_raise((int)n, "cio_process_communicate: reading %s: %s",
                             r->i == 1 ? "stdout" : "stderr",
                             cio_strerror((int)n));
        if (n == 0) {
            p->eof[r->i] = true;
            return NULL;
        }
        p->acc_len[r->i] += (size_t)n;
    }
}

/* A child that stops reading (or exits) is no error: asyncio ignores
 * BrokenPipeError and ConnectionResetError there too. */
static bool child_gone(int rc) {
    return rc == -EPIPE || rc == -ECONNRESET || rc == CIO_ECLOSED;
}

static int feed_stdin(cio_process *p, const char *input, size_t len) {
    cio_stream *s = p->pipes[0];
    if (!s || p->in_closed)
        return 0;
    while (input && p->in_written < len) {
        size_t n = len - p->in_written;
        if (n > FEED_CHUNK)
            n = FEED_CHUNK;
        int rc = cio_stream_write(s, input + p->in_written, n);
        if (child_gone(rc))
            break;
        if (rc)
            return rc;
        p->in_written += n; /* copied: it goes out even if we are cancelled */
        rc = cio_stream_drain(s);
        if (child_gone(rc))
            break;
        if (rc)
            return rc;
    }
    cio_stream_close(s);
    p->in_closed = true;
    return 0;
}

/* Wait for a helper to finish, through cancellations of the caller: it
 * reads into p, which must not be used by it after we return. */
static int join(cio_future *h) {
    int rc = 0, r;
    while ((r = cio_await(h, NULL)) == CIO_ECANCELED && !cio_future_done(h))
        rc = CIO_ECANCELED;
    return rc ? rc : r;
}

static void release_helpers(void *arg) {
    cio_future **h = arg;
    cio_release(h[0]);
    cio_release(h[1]);
}

/* Give the caller what was read from pipe i (NUL-terminated; "" for a
 * pipe that gave nothing), or drop it if the caller does not want it. */
static void hand_out(cio_process *p, int i, char **buf, size_t *len) {
    if (!p->pipes[i])
        return;
    p->acc[i][p->acc_len[i]] = '\0';
    if (len)
        *len = p->acc_len[i];
    if (buf)
        *buf = p->acc[i];
    else
        free(p->acc[i]);
    p->acc[i] = NULL;
    p->acc_len[i] = p->acc_cap[i] = 0;
}

static int start_readers(cio_process *p, cio_future *h[2]) {
    for (int i = 1; i <= 2; i++) {
        if (!p->pipes[i] || p->eof[i])
            continue;
        p->readers[i] = (cio__reader){p, i};
        h[i - 1] = cio_create_task_at(p->base.loop, read_to_end, &p->readers[i],
                                      NULL, __FILE__, __LINE__);
        if (!h[i - 1])
            return cio_last_error();
    }
    return 0;
}

static int run(cio_process *p, const void *input, size_t len) {
    cio_future *h[2] = {NULL, NULL};
    cio__cleanup c;
    cio__cleanup_push(&c, release_helpers, h);
    int rc = start_readers(p, h);
    if (rc == 0)
        rc = feed_stdin(p, input, len);
    for (int k = 0; k < 2; k++) {
        if (!h[k])
            continue;
        if (rc != 0)
            cio_cancel(h[k], NULL);
        int r = join(h[k]);
        if (rc == 0 && r != 0)
            rc = r;
    }
    cio__cleanup_pop(&c);
    release_helpers(h);
    return rc ? rc : cio__process_wait_exit(p);
}

int cio_process_communicate(cio_process *p, const void *input, size_t len,
                            char **out, size_t *out_len, char **err,
                            size_t *err_len) {
    if (out)
        *out = NULL;
    if (err)
        *err = NULL;
    if (out_len)
        *out_len = 0;
    if (err_len)
        *err_len = 0;
    if (!p)
        return cio__error(CIO_EINVAL,
                          "cio_process_communicate: process is NULL");
    int rc = cio__sync_check_task(&p->base);
    if (rc)
        return rc;
    if (input && len && !p->pipes[0]) {
        cio__set_error(CIO_EINVAL,
                       "cio_process_communicate: input needs stdin to be "
                       "CIO_STDIO_PIPE");
        return CIO_EINVAL;
    }
    p->busy++;
    rc = run(p, input, len);
    p->busy--;
    if (rc != 0)
        return rc;
    /* a pipe that gave nothing still gets a buffer, for its NUL */
    for (int i = 1; i <= 2; i++) {
        if (p->pipes[i] && !p->acc[i]) {
            p->acc[i] = calloc(1, 1);
            if (!p->acc[i])
                return cio__error(CIO_ENOMEM,
                                  "cio_process_communicate: out of memory");
            p->acc_cap[i] = 1;
        }
    }
    hand_out(p, 1, out, out_len);
    hand_out(p, 2, err, err_len);
    return 0;
}
