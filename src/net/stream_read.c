/* stream_read.c - what users call to read and write a stream (asyncio's
 * StreamReader and StreamWriter).
 *
 * Every read waits for the buffer to hold what it needs and only then
 * consumes it, so a read cancelled while it waits consumes nothing: the
 * bytes are still there for the next call.
 */
#include "net/internal.h"

#include <stdlib.h>
#include <string.h>

/* May the caller touch s from here without suspending? */
static int check_thread(const cio_stream *s) {
    if (!s->reg)
        return CIO_ELOOPCLOSED;
    cio_loop *running = cio__running_loop;
    return running && running != s->loop ? CIO_EWRONGLOOP : 0;
}

/* Wait until more data, EOF, an error or a close: 0 or a code. */
static int wait_data(cio_stream *s) {
    if (s->reader)
        return -EBUSY;
    unsigned rx = s->rx;
    int rc = s->read_started && !s->read_paused && !s->et_stopped
                 ? 0
                 : cio__stream_start_reading(s);
    if (rc == 0 && s->rx == rx) /* (it may have read: then look again) */
        rc = cio__net_park(s->loop, &s->reader, 0);
    return rc;
}

/* wait_data, lending buf to the raw read (the W4 path: no copy through
 * rbuf). Returns the bytes that landed in buf (*rc 0), or 0 with *rc the
 * wait's result. Bytes that landed while the wait was being cancelled go
 * back in front of rbuf, so a cancelled read consumes nothing. */
static ssize_t wait_direct(cio_stream *s, void *buf, size_t n, int *rc) {
    if (s->reader) { /* another task reads: its buffer is lent, not ours */
        *rc = -EBUSY;
        return 0;
    }
    s->direct = buf;
    s->direct_cap = n < CIO__READ_CHUNK ? n : CIO__READ_CHUNK;
    s->direct_got = 0;
    *rc = wait_data(s);
    size_t got = s->direct_got;
    s->direct = NULL;
    s->direct_got = 0;
    if (!got)
        return 0;
    if (*rc == 0)
        return (ssize_t)got;
    if (cio__buf_prepend(&s->rbuf, buf, got) < 0) {
        cio__stream_fail(s, CIO_ENOMEM, NULL);
        *rc = CIO_ENOMEM;
    }
    return 0;
}

/* What stops a read that found too little: the error, CIO_ECLOSED, or 0
 * to wait on (EOF is each caller's own case). */
static int read_blocked(const cio_stream *s) {
    if (s->error)
        return s->error;
    if (s->closing || s->closed)
        return CIO_ECLOSED;
    return 0;
}

static char *take(cio_stream *s, size_t n, bool nul) {
    char *out = n < SIZE_MAX ? malloc(n + 1) : NULL;
    if (!out)
        return NULL;
    memcpy(out, s->rbuf.data + s->rbuf.start, n);
    if (nul)
        out[n] = '\0';
    cio__buf_consume(&s->rbuf, n);
    cio__stream_maybe_resume(s);
    return out;
}

ssize_t cio_stream_read(cio_stream *s, void *buf, size_t n) {
    const char *who = "cio_stream_read";
    if (!s || (!buf && n))
        return cio__error(
            CIO_EINVAL,
            "cio_stream_read: stream is NULL, or buf is NULL but n is %zu", n);
    int rc = cio__stream_check_task(s);
    if (rc < 0 || n == 0)
        return rc < 0 ? cio__stream_report(s, rc, who) : 0;
    for (;;) {
        size_t have = cio__buf_len(&s->rbuf);
        if (have) {
            size_t m = have < n ? have : n;
            memcpy(buf, s->rbuf.data + s->rbuf.start, m);
            cio__buf_consume(&s->rbuf, m);
            cio__stream_maybe_resume(s);
            return (ssize_t)m;
        }
        if ((rc = read_blocked(s)) < 0)
            return cio__stream_report(s, rc, who);
        if (s->eof)
            return 0;
        if (!s->filter) { /* the next raw read may land in buf itself */
            ssize_t got = wait_direct(s, buf, n, &rc);
            if (got)
                return got;
        } else {
            rc = wait_data(s);
        }
        if (rc < 0)
            return cio__stream_report(s, rc, who);
    }
}

ssize_t cio_stream_readexactly(cio_stream *s, void *buf, size_t n,
                               size_t *partial) {
    const char *who = "cio_stream_readexactly";
    if (partial)
        *partial = 0;
    if (!s || (!buf && n))
        return cio__error(CIO_EINVAL,
                          "cio_stream_readexactly: stream is NULL, or buf is "
                          "NULL but n is %zu",
                          n);
    int rc = cio__stream_check_task(s);
    if (rc < 0)
        return cio__stream_report(s, rc, who);
    for (;;) {
        size_t have = cio__buf_len(&s->rbuf);
        if (have >= n) {
            if (n)
                memcpy(buf, s->rbuf.data + s->rbuf.start, n);
            cio__buf_consume(&s->rbuf, n);
            cio__stream_maybe_resume(s);
            return (ssize_t)n;
        }
        if ((rc = read_blocked(s)) < 0)
            return cio__stream_report(s, rc, who);
        if (s->eof) {
            if (have)
                memcpy(buf, s->rbuf.data + s->rbuf.start, have);
            cio__buf_consume(&s->rbuf, have);
            if (partial)
                *partial = have;
            cio__set_error(CIO_EINCOMPLETE,
                           "%s: %zu bytes read on a total of %zu expected", who,
                           have, n);
            return CIO_EINCOMPLETE;
        }
        if ((rc = wait_data(s)) < 0)
            return cio__stream_report(s, rc, who);
    }
}

/* Where sep starts in the buffer, searching from `from`; -1 if absent. */
static ssize_t find_sep(const cio_stream *s, size_t from, const void *sep,
                        size_t seplen) {
    size_t have = cio__buf_len(&s->rbuf);
    if (have < seplen || from > have - seplen)
        return -1;
    const char *base = s->rbuf.data + s->rbuf.start;
    const char *p = memmem(base + from, have - from, sep, seplen);
    return p ? p - base : -1;
}

static ssize_t readuntil(cio_stream *s, const void *sep, size_t seplen,
                         char **line, size_t *partial, const char *who) {
    int rc = cio__stream_check_task(s);
    if (rc < 0)
        return cio__stream_report(s, rc, who);
    size_t from = 0;
    for (;;) {
        ssize_t at = find_sep(s, from, sep, seplen);
        if (at >= 0) {
            if ((size_t)at > s->limit) {
                cio__set_error(CIO_ELIMIT,
                               "%s: the separator is found, but "
                               "the chunk is longer than the limit (%zu)",
                               who, s->limit);
                return CIO_ELIMIT;
            }
            size_t n = (size_t)at + seplen;
            if (!(*line = take(s, n, true)))
                return cio__stream_report(s, CIO_ENOMEM, who);
            return (ssize_t)n;
        }
        size_t have = cio__buf_len(&s->rbuf);
        from = have + 1 > seplen ? have + 1 - seplen : 0;
        if (from > s->limit) {
            cio__set_error(CIO_ELIMIT,
                           "%s: the separator is not found, and "
                           "the chunk exceeds the limit (%zu)",
                           who, s->limit);
            return CIO_ELIMIT;
        }
        if ((rc = read_blocked(s)) < 0)
            return cio__stream_report(s, rc, who);
        if (s->eof) {
            if (have && !(*line = take(s, have, true)))
                return cio__stream_report(s, CIO_ENOMEM, who);
            if (partial)
                *partial = have;
            cio__set_error(CIO_EINCOMPLETE,
                           "%s: EOF after %zu bytes, before the separator", who,
                           have);
            return CIO_EINCOMPLETE;
        }
        if ((rc = wait_data(s)) < 0)
            return cio__stream_report(s, rc, who);
    }
}

ssize_t cio_stream_readuntil(cio_stream *s, const void *sep, size_t seplen,
                             char **line, size_t *partial) {
    if (line)
        *line = NULL;
    if (partial)
        *partial = 0;
    if (!s || !sep || !seplen || !line) {
        cio__set_error(CIO_EINVAL, "cio_stream_readuntil: %s",
                       !seplen ? "empty separator" : "NULL argument");
        return CIO_EINVAL;
    }
    return readuntil(s, sep, seplen, line, partial, "cio_stream_readuntil");
}

ssize_t cio_stream_readline(cio_stream *s, char **line) {
    const char *who = "cio_stream_readline";
    if (line)
        *line = NULL;
    if (!s || !line)
        return cio__error(CIO_EINVAL,
                          "cio_stream_readline: stream or line is NULL");
    size_t partial = 0;
    ssize_t n = readuntil(s, "\n", 1, line, &partial, who);
    if (n == CIO_EINCOMPLETE)
        return (ssize_t)partial; /* the last line, unterminated, or 0 */
    if (n == CIO_ELIMIT) {
        /* asyncio drops the over-long line (up to its "\n" if present) */
        ssize_t at = find_sep(s, 0, "\n", 1);
        cio__buf_consume(&s->rbuf,
                         at >= 0 ? (size_t)at + 1 : cio__buf_len(&s->rbuf));
        cio__stream_maybe_resume(s);
    }
    return n;
}

bool cio_stream_at_eof(const cio_stream *s) {
    return s && s->eof && !cio__buf_len(&s->rbuf);
}

/* ---- writing ------------------------------------------------------------ */

int cio_stream_writelines(cio_stream *s, const cio_buf *bufs, size_t n) {
    const char *who = "cio_stream_write";
    if (!s || (!bufs && n))
        return cio__error(CIO_EINVAL,
                          "cio_stream_writelines: stream is NULL, or bufs is "
                          "NULL but n is %zu",
                          n);
    int rc = check_thread(s);
    if (rc == 0 && (s->closing || s->eof_wanted))
        rc = CIO_ECLOSED;
    if (rc == 0 && s->error)
        rc = s->error;
    if (rc < 0)
        return cio__stream_report(s, rc, who);
    if (n == 0)
        return 0;
    rc = s->filter ? s->filter->write(s, s->filter_ctx, bufs, n)
                   : cio__stream_raw_write(s, bufs, n);
    return rc < 0 ? cio__stream_report(s, rc, who) : 0;
}

int cio_stream_write(cio_stream *s, const void *data, size_t n) {
    cio_buf b = {data, n};
    return cio_stream_writelines(s, &b, 1);
}

int cio_stream_drain(cio_stream *s) {
    const char *who = "cio_stream_drain";
    if (!s)
        return cio__error(CIO_EINVAL, "cio_stream_drain: stream is NULL");
    int rc = cio__stream_check_task(s);
    if (rc == 0 && s->error)
        rc = s->error;
    if (rc < 0)
        return cio__stream_report(s, rc, who);
    if (cio_stream_write_buffer_size(s) <= s->high_water)
        return 0;
    if (s->drainer)
        return cio__stream_report(s, -EBUSY, who);
    while (cio_stream_write_buffer_size(s) > s->low_water) {
        if (s->error)
            return cio__stream_report(s, s->error, who);
        if (s->closed)
            return cio__stream_report(s, CIO_ECLOSED, who);
        if ((rc = cio__net_park(s->loop, &s->drainer, 0)) < 0)
            return cio__stream_report(s, rc, who);
    }
    return s->error ? cio__stream_report(s, s->error, who) : 0;
}
