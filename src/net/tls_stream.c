/* tls_stream.c - TLS on a stream: the engine (tls_engine.c) plugged into
 * the stream's filter seam (net/internal.h).
 *
 * Raw input is fed to the engine; once the handshake is done, what it
 * decrypts goes to the stream's read buffer, where the ordinary reads
 * find it (so a cancelled read loses nothing: the bytes stay there).
 * Plain output is encrypted and written raw. The handshake is done for the
 * task that connects, accepts or calls start_tls: that task takes the first
 * step (a client's first flight) and parks until the handshake is over or
 * its deadline passes; the later steps run in the read callback, as the
 * peer's messages arrive.
 *
 * Buffers: the loop's raw-read scratch (64 KiB) serves for the decrypted
 * text and the ciphertext to send; raw input is copied into the engine
 * before the scratch is reused, and nothing here suspends while using it.
 */
#include "net/internal.h"
#include "net/tls_engine.h"

#include <stdlib.h>
#include <string.h>

#define HANDSHAKE_TIMEOUT 60.0 /* seconds, asyncio's default */
#define SHUTDOWN_TIMEOUT 30.0  /* seconds, asyncio's ssl_shutdown_timeout */

typedef struct filter {
    cio__tls *tls;
    char *peer; /* "host" for messages */
} filter;

static const cio__filter_ops tls_ops;

/* Send whatever the engine has for the peer. */
static int flush(cio_stream *s, filter *f) {
    if (!s->reg)
        return CIO_ELOOPCLOSED;
    char *scratch = cio__net_reg_scratch(s->reg);
    size_t n;
    while ((n = cio__tls_out_take(f->tls, scratch, CIO__READ_CHUNK)) > 0) {
        cio_buf b = {scratch, n};
        int rc = cio__stream_raw_write(s, &b, 1);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The engine failed: the stream fails with its code and message. */
static int fail_stream(cio_stream *s, filter *f, int code) {
    const char *msg = cio__tls_message(f->tls);
    cio__stream_fail(s, code, "%s", *msg ? msg : cio_strerror(code));
    return code;
}

/* Move the decrypted text into the read buffer. */
static int pump(cio_stream *s, filter *f) {
    char *scratch = cio__net_reg_scratch(s->reg);
    for (;;) {
        long n = cio__tls_read(f->tls, scratch, CIO__READ_CHUNK);
        if (n > 0) {
            int rc = cio__stream_feed(s, scratch, (size_t)n);
            if (rc < 0)
                return rc;
            continue;
        }
        int rc = flush(s, f); /* alerts, key update answers */
        if (n == CIO__TLS_WANT_INPUT)
            return rc;
        if (n == 0) { /* close_notify */
            cio__stream_feed_eof(s);
            return rc;
        }
        return fail_stream(s, f, (int)n);
    }
}

/* One step of the handshake, then what it answers; once it is done, the
 * application data that came along. 0 (done), CIO__TLS_WANT_INPUT or an
 * error. Steps after the first run in the read callback, on the loop's
 * stack: OpenSSL's handshake would otherwise leave a dozen KiB of the
 * handler task's stack resident for the connection's life. */
static int step(cio_stream *s, filter *f) {
    int rc = cio__tls_handshake(f->tls);
    int frc = flush(s, f);
    if (rc == 0 && frc == 0)
        return pump(s, f);
    return rc == 0 || rc == CIO__TLS_WANT_INPUT ? (frc ? frc : rc) : rc;
}

static int on_raw_input(cio_stream *s, void *ctx, const char *data, size_t n) {
    filter *f = ctx;
    int rc = cio__tls_feed(f->tls, data, n);
    if (rc < 0) {
        cio__stream_fail(s, rc, "TLS: out of memory");
        return rc;
    }
    if (cio__tls_handshake_done(f->tls))
        rc = pump(s, f);
    else
        step(s, f);             /* the waiting task reports how it went */
    cio__stream_filter_wake(s); /* the handshake or a shutdown waits */
    return rc;
}

static int on_raw_eof(cio_stream *s, void *ctx) {
    filter *f = ctx;
    cio__tls_feed_eof(f->tls);
    if (!cio__tls_handshake_done(f->tls)) {
        step(s, f); /* fails: the handshake's task reports it */
        return 0;
    }
    if (cio__tls_got_close_notify(f->tls)) {
        cio__stream_feed_eof(s);
        return 0;
    }
    /* the last records, then truncation (or close_notify after all) */
    return pump(s, f);
}

static int on_write(cio_stream *s, void *ctx, const cio_buf *bufs, size_t n) {
    filter *f = ctx;
    for (size_t i = 0; i < n; i++) {
        int rc = cio__tls_write(f->tls, bufs[i].base, bufs[i].len);
        if (rc == CIO_EINVALIDSTATE)
            return rc; /* after close_notify: the stream stays fine */
        if (rc < 0)
            return fail_stream(s, f, rc);
    }
    return flush(s, f);
}

static int on_shutdown(cio_stream *s, void *ctx) {
    filter *f = ctx;
    int rc = cio__tls_shutdown(f->tls);
    if (rc < 0)
        return fail_stream(s, f, rc);
    return flush(s, f);
}

static void filter_free(void *ctx) {
    filter *f = ctx;
    cio__tls_free(f->tls);
    free(f->peer);
    free(f);
}

static const cio__filter_ops tls_ops = {
    .on_raw_input = on_raw_input,
    .on_raw_eof = on_raw_eof,
    .write = on_write,
    .shutdown = on_shutdown,
    .free = filter_free,
};

/* ---- the handshake ------------------------------------------------------ */

static int handshake_failed(filter *f, int rc, double timeout) {
    const char *peer = f->peer ? f->peer : "the peer";
    if (rc == CIO_ETIMEDOUT)
        cio__set_error(rc, "TLS handshake with %s timed out after %g s", peer,
                       timeout);
    else if (rc == CIO_ECANCELED)
        cio__set_error(rc, "TLS handshake with %s: cancelled", peer);
    else if (cio__tls_error(f->tls) == rc)
        cio__set_error(rc, "TLS handshake with %s: %s", peer,
                       cio__tls_message(f->tls));
    else
        cio__set_error(rc, "TLS handshake with %s: %s", peer, cio_strerror(rc));
    return rc;
}

static int run_handshake(cio_stream *s, filter *f, double timeout) {
    double deadline = cio_loop_time(s->loop) + timeout;
    int rc = step(s, f); /* the client's first flight */
    while (rc == CIO__TLS_WANT_INPUT) {
        rc = cio__stream_filter_wait(s, deadline);
        if (rc == 0 && !cio__tls_handshake_done(f->tls))
            rc = cio__tls_error(f->tls) ? cio__tls_error(f->tls)
                                        : CIO__TLS_WANT_INPUT;
    }
    return rc < 0 ? handshake_failed(f, rc, timeout) : 0;
}

/* cio__tls_head.handshake: install the filter on `s` and shake hands. */
static int stream_handshake(const struct cio_tls_context *cctx, cio_stream *s,
                            const char *server_hostname, bool server_side,
                            double timeout) {
    cio_tls_context *ctx = (cio_tls_context *)cctx; /* counted, not changed */
    if (server_side != cio_tls_context_is_server(ctx)) {
        cio__set_error(CIO_EINVAL, "TLS: a %s context on the %s side",
                       server_side ? "client" : "server",
                       server_side ? "server" : "client");
        return CIO_EINVAL;
    }
    filter *f = calloc(1, sizeof *f);
    if (!f) {
        cio__set_error(CIO_ENOMEM, "TLS: out of memory");
        return CIO_ENOMEM;
    }
    f->tls = cio__tls_new(ctx, server_side ? NULL : server_hostname);
    if (server_hostname && !server_side)
        f->peer = cio__strdup(server_hostname);
    if (!f->tls || (server_hostname && !server_side && !f->peer)) {
        int rc = f->tls ? CIO_ENOMEM : cio_last_error();
        filter_free(f);
        return rc;
    }
    int rc = cio__stream_set_filter(s, &tls_ops, f, cctx);
    if (rc == CIO_EINVALIDSTATE && cio__stream_filter_ctx(s, &tls_ops) != f) {
        filter_free(f); /* not installed */
        cio__set_error(rc, "TLS: the stream already has TLS");
        return rc;
    }
    if (rc < 0)
        return handshake_failed(f, rc, 0);
    return run_handshake(s, f, timeout > 0 ? timeout : HANDSHAKE_TIMEOUT);
}

const cio__tls_head cio__tls_stream_head = {.handshake = stream_handshake};

/* ---- the public calls on streams ---------------------------------------- */

static filter *tls_of(const cio_stream *s) {
    return cio__stream_filter_ctx(s, &tls_ops);
}

int cio_stream_start_tls(cio_stream *s, cio_tls_context *ctx,
                         const char *server_hostname, double timeout) {
    const char *who = "cio_stream_start_tls";
    if (!s || !ctx) {
        cio__set_error(CIO_EINVAL, "%s: NULL %s", who,
                       s ? "context" : "stream");
        return CIO_EINVAL;
    }
    int rc = cio__stream_check_task(s);
    if (rc == 0 && s->filter)
        rc = CIO_EINVALIDSTATE;
    if (rc == 0 && (s->closing || s->eof_wanted))
        rc = CIO_ECLOSED;
    if (rc == 0 && s->error)
        rc = s->error;
    if (rc < 0)
        return cio__stream_report(s, rc, who);
    rc = stream_handshake(ctx, s, server_hostname,
                          cio_tls_context_is_server(ctx), timeout);
    if (rc < 0) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s", cio_last_error_message());
        if (tls_of(s)) /* the handshake began: it cannot be undone */
            cio_stream_abort(s);
        cio__set_error(rc, "%s: %s", who, msg);
    }
    return rc;
}

int cio_stream_tls_shutdown(cio_stream *s, double timeout) {
    const char *who = "cio_stream_tls_shutdown";
    filter *f = s ? tls_of(s) : NULL;
    if (!f) {
        cio__set_error(CIO_EINVAL, "%s: not a TLS stream", who);
        return CIO_EINVAL;
    }
    int rc = cio__stream_check_task(s);
    if (rc == 0 && s->error)
        rc = s->error;
    if (rc == 0 && s->closing)
        rc = CIO_ECLOSED;
    if (rc == 0)
        rc = on_shutdown(s, f);
    double wait = timeout > 0 ? timeout : SHUTDOWN_TIMEOUT;
    double deadline = cio_loop_time(s->loop) + wait;
    while (rc == 0 && !cio__tls_got_close_notify(f->tls)) {
        if (s->error)
            rc = s->error;
        else if (s->eof)
            rc = CIO_ETLSEOF; /* the transport ended first */
        else
            rc = cio__stream_filter_wait(s, deadline);
    }
    if (rc == CIO_ETIMEDOUT)
        cio__set_error(rc, "%s: no close_notify from the peer within %g s", who,
                       wait);
    else if (rc < 0)
        return cio__stream_report(s, rc, who);
    return rc;
}

const char *cio_stream_tls_version(const cio_stream *s) {
    filter *f = s ? tls_of(s) : NULL;
    return f ? cio__tls_version(f->tls) : NULL;
}

const char *cio_stream_tls_cipher(const cio_stream *s) {
    filter *f = s ? tls_of(s) : NULL;
    return f ? cio__tls_cipher(f->tls) : NULL;
}

const char *cio_stream_tls_alpn(const cio_stream *s) {
    filter *f = s ? tls_of(s) : NULL;
    return f ? cio__tls_alpn(f->tls) : NULL;
}

const char *cio_stream_tls_server_name(const cio_stream *s) {
    filter *f = s ? tls_of(s) : NULL;
    return f ? cio__tls_server_name(f->tls) : NULL;
}

const char *cio_stream_tls_peer_subject(const cio_stream *s) {
    filter *f = s ? tls_of(s) : NULL;
    return f ? cio__tls_peer_subject(f->tls) : NULL;
}
