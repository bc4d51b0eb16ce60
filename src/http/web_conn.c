/* web_conn.c - one connection's task: read requests with http_parser, run
 * the route's handler for each, in order, keep the connection alive between
 * them.
 *
 * The parser pauses at the end of every message, so the bytes of a
 * pipelined request stay in the buffer until the response to the one before
 * is sent. Body bytes are copied out of the read buffer as the parser finds
 * them (req->pend), which lets the buffer be reused at once; the reader
 * drains them before more is read, so they stay within one read's size.
 * One timeout scope per connection bounds every wait on the client: the
 * keep-alive timeout while idle, the read timeout inside a request.
 */
#include "http/web_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static cio__web_conn *conn_of(http_parser *p) {
    return p->data;
}

/* Append n bytes to a malloc'd string; false on ENOMEM. */
static bool append(char **s, size_t *len, const char *at, size_t n) {
    char *ns = realloc(*s, *len + n + 1);
    if (!ns)
        return false;
    memcpy(ns + *len, at, n);
    *len += n;
    ns[*len] = '\0';
    *s = ns;
    return true;
}

/* The server itself failed (no memory): 500, not the client's 400. */
static int no_memory(cio__web_conn *c) {
    c->req.limit_status = 500;
    return 1;
}

static int on_message_begin(http_parser *p) {
    cio__web_conn *c = conn_of(p);
    c->idle = false;
    c->req.started = cio_loop_time(cio_get_running_loop());
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t n) {
    cio__web_conn *c = conn_of(p);
    if (c->req.target_len + n > c->srv->opts.max_line) {
        c->req.limit_status = 414;
        return 1;
    }
    return append(&c->req.target, &c->req.target_len, at, n) ? 0 : no_memory(c);
}

/* A complete name: value pair goes into the headers. */
static int header_done(cio_web_request *req) {
    req->in_value = false;
    int err = cio__web_kvs_add(&req->headers, req->field, req->field_len,
                               req->value ? req->value : "", req->value_len);
    free(req->field);
    free(req->value);
    req->field = req->value = NULL;
    req->field_len = req->value_len = 0;
    return err ? 1 : 0;
}

static bool header_limits(cio__web_conn *c, size_t n) {
    c->req.header_bytes += n;
    if (c->req.header_bytes > c->srv->opts.max_header_size ||
        c->req.headers.n >= c->srv->opts.max_headers) {
        c->req.limit_status = 431;
        return false;
    }
    return true;
}

static int on_header_field(http_parser *p, const char *at, size_t n) {
    cio__web_conn *c = conn_of(p);
    if (c->req.in_value && header_done(&c->req) != 0)
        return no_memory(c);
    if (!header_limits(c, n))
        return 1;
    return append(&c->req.field, &c->req.field_len, at, n) ? 0 : no_memory(c);
}

static int on_header_value(http_parser *p, const char *at, size_t n) {
    cio__web_conn *c = conn_of(p);
    c->req.in_value = true;
    if (!header_limits(c, n))
        return 1;
    return append(&c->req.value, &c->req.value_len, at, n) ? 0 : no_memory(c);
}

/* Split the target into the decoded path and the raw query: 0, 1 for a
 * target the server cannot route, CIO_ENOMEM. */
static int split_target(cio_web_request *req) {
    const char *t = req->target ? req->target : "";
    if (t[0] != '/' && strcmp(req->method, "OPTIONS") != 0)
        return 1; /* absolute-form or garbage: not for this server */
    const char *q = strchr(t, '?');
    size_t plen = q ? (size_t)(q - t) : strlen(t);
    const char *hash = memchr(t, '#', plen);
    if (hash)
        plen = (size_t)(hash - t);
    bool bad;
    req->path = cio__web_unescape(t, plen, false, &bad);
    if (!req->path)
        return bad ? 1 : CIO_ENOMEM;
    req->query = strdup(q ? q + 1 : "");
    return req->query ? 0 : CIO_ENOMEM;
}

/* Failures return -1: http-parser takes 1 and 2 from this callback as "no
 * body follows", not as errors (the request would then be dispatched). */
static int on_headers_complete(http_parser *p) {
    cio__web_conn *c = conn_of(p);
    cio_web_request *req = &c->req;
    if (req->in_value && header_done(req) != 0)
        return -no_memory(c);
    snprintf(req->method, sizeof req->method, "%s",
             http_method_str((enum http_method)p->method));
    req->version = p->http_major * 10 + p->http_minor;
    req->keep_alive = http_should_keep_alive(p) != 0;
    int err = split_target(req);
    if (err == CIO_ENOMEM)
        no_memory(c);
    if (err)
        return -1;
    const char *expect = cio__web_kvs_get(&req->headers, "Expect", true);
    req->expect_continue =
        expect && strcasecmp(expect, "100-continue") == 0 && req->version >= 11;
    if ((p->flags & F_CONTENTLENGTH) &&
        p->content_length > c->srv->opts.max_body)
        req->limit_status = 413;
    req->state = WEB_IN_BODY;
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t n) {
    cio__web_conn *c = conn_of(p);
    cio_web_request *req = &c->req;
    req->body_seen += n;
    if (req->body_seen > c->srv->opts.max_body) {
        req->limit_status = 413;
        return 1;
    }
    if (req->pend_off + req->pend_len + n > req->pend_cap) {
        if (req->pend_len)
            memmove(req->pend, req->pend + req->pend_off, req->pend_len);
        req->pend_off = 0;
        if (req->pend_len + n > req->pend_cap) {
            size_t cap = req->pend_len + n;
            char *np = realloc(req->pend, cap);
            if (!np)
                return no_memory(c);
            req->pend = np;
            req->pend_cap = cap;
        }
    }
    memcpy(req->pend + req->pend_off + req->pend_len, at, n);
    req->pend_len += n;
    return 0;
}

static int on_message_complete(http_parser *p) {
    conn_of(p)->req.state = WEB_COMPLETE;
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

ssize_t cio__web_conn_read(cio__web_conn *c, void *buf, size_t n) {
    if (!c->deadline)
        return CIO_ETIMEDOUT;
    const cio_web_server_options *o = &c->srv->opts;
    double wait = c->idle ? o->keepalive_timeout : o->read_timeout;
    double now = cio_loop_time(cio_get_running_loop());
    int err = cio_timeout_reschedule(c->deadline,
                                     wait > 0 ? now + wait : CIO_NO_TIMEOUT);
    ssize_t got = err ? err : cio_stream_read(c->stream, buf, n);
    if (got == CIO_ECANCELED && cio_timeout_expired(c->deadline)) {
        got = cio_timeout_end(c->deadline, CIO_ECANCELED);
        c->deadline = NULL;
        c->timed_out = got == CIO_ETIMEDOUT;
        return got;
    }
    cio_timeout_reschedule(c->deadline, CIO_NO_TIMEOUT);
    return got;
}

/* A parser error as a code; the status to answer is in limit_status. */
static int parse_error(cio__web_conn *c) {
    cio_web_request *req = &c->req;
    if (req->limit_status == 413)
        return CIO_EWEB_TOO_LARGE;
    if (req->limit_status == 500) {
        cio__set_error(CIO_ENOMEM, "out of memory reading the request");
        return CIO_ENOMEM;
    }
    if (!req->limit_status)
        req->limit_status = 400;
    cio__set_error(CIO_EWEB_BAD_REQUEST, "bad request: %s",
                   http_errno_description(HTTP_PARSER_ERRNO(&c->parser)));
    return CIO_EWEB_BAD_REQUEST;
}

int cio__web_conn_advance(cio__web_conn *c, bool read_more) {
    if (c->off == c->len) {
        if (!read_more)
            return 0;
        c->off = c->len = 0;
        ssize_t n = cio__web_conn_read(c, c->buf, c->cap);
        if (n < 0)
            return (int)n;
        if (n == 0) {
            http_parser_execute(&c->parser, &settings, NULL, 0);
            return c->idle ? CIO_ECLOSED : CIO_EINCOMPLETE;
        }
        c->len = (size_t)n;
    }
    size_t done = http_parser_execute(&c->parser, &settings, c->buf + c->off,
                                      c->len - c->off);
    c->off += done;
    enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
    if (e == HPE_PAUSED) {
        http_parser_pause(&c->parser, 0);
        return 0;
    }
    if (e != HPE_OK || (c->off < c->len && c->parser.upgrade))
        return parse_error(c);
    return 0;
}
