/* web_request.c - what a handler reads of a request: the target, headers,
 * query and path parameters, and the body (in chunks, whole, or as JSON). */
#include "http/web_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void cio__web_request_reset(cio_web_request *req) {
    cio__web_kvs_clear(&req->headers);
    cio__web_kvs_clear(&req->query_kv);
    cio__web_kvs_clear(&req->params);
    free(req->target);
    free(req->path);
    free(req->query);
    free(req->field);
    free(req->value);
    free(req->body);
    if (req->json)
        json_decref(req->json);
    cio_web_request keep = *req;
    *req = (cio_web_request){.conn = keep.conn,
                             .headers = keep.headers,
                             .query_kv = keep.query_kv,
                             .params = keep.params,
                             .pend = keep.pend,
                             .pend_cap = keep.pend_cap};
}

const char *cio_web_request_method(const cio_web_request *req) {
    return req ? req->method : NULL;
}

const char *cio_web_request_target(const cio_web_request *req) {
    return req ? req->target : NULL;
}

const char *cio_web_request_path(const cio_web_request *req) {
    return req ? req->path : NULL;
}

const char *cio_web_request_query_string(const cio_web_request *req) {
    return req ? req->query : NULL;
}

/* Split the query into decoded pairs, once. A pair with a malformed
 * escape is left out; out of memory, nothing is kept (the next call tries
 * again) and CIO_ENOMEM is returned. */
static int parse_query(cio_web_request *req) {
    for (const char *p = req->query; *p;) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        size_t kn = eq ? (size_t)(eq - p) : n;
        bool bad1 = false, bad2 = false;
        char *k = cio__web_unescape(p, kn, true, &bad1);
        char *v = eq ? cio__web_unescape(eq + 1, n - kn - 1, true, &bad2)
                     : strdup("");
        int err = (!k && !bad1) || (!v && !bad2) ? CIO_ENOMEM : 0;
        if (!err && k && v && kn)
            err = cio__web_kvs_add(&req->query_kv, k, strlen(k), v, strlen(v));
        free(k);
        free(v);
        if (err) {
            cio__web_kvs_clear(&req->query_kv);
            cio__set_error(err, "cio_web_request_query: out of memory");
            return err;
        }
        p = amp ? amp + 1 : p + n;
    }
    req->query_parsed = true;
    return 0;
}

const char *cio_web_request_query(const cio_web_request *req,
                                  const char *name) {
    if (!req || !name)
        return NULL;
    if (!req->query_parsed && parse_query((cio_web_request *)req) != 0)
        return NULL;
    return cio__web_kvs_get(&req->query_kv, name, false);
}

const char *cio_web_request_param(const cio_web_request *req,
                                  const char *name) {
    return req && name ? cio__web_kvs_get(&req->params, name, false) : NULL;
}

const char *cio_web_request_header(const cio_web_request *req,
                                   const char *name) {
    return req && name ? cio__web_kvs_get(&req->headers, name, true) : NULL;
}

size_t cio_web_request_header_count(const cio_web_request *req) {
    return req ? req->headers.n : 0;
}

int cio_web_request_header_at(const cio_web_request *req, size_t i,
                              const char **name, const char **value) {
    if (!req || i >= req->headers.n)
        return cio__error(CIO_EINVAL,
                          "cio_web_request_header_at: request is NULL or index "
                          "%zu is out of range",
                          i);
    if (name)
        *name = req->headers.items[i].name;
    if (value)
        *value = req->headers.items[i].value;
    return 0;
}

int cio_web_request_version(const cio_web_request *req) {
    return req ? req->version : CIO_EINVAL;
}

int cio_web_request_peer(const cio_web_request *req, struct sockaddr *addr,
                         socklen_t *len) {
    if (!req)
        return cio__error(CIO_EINVAL, "cio_web_request_peer: request is NULL");
    return cio_stream_peername(req->conn->stream, addr, len);
}

cio_stream *cio_web_request_stream(const cio_web_request *req) {
    return req ? req->conn->stream : NULL;
}

/* ---- the body ----------------------------------------------------------- */

/* The client waits for "100 Continue" before it sends the body. */
static int answer_continue(cio_web_request *req) {
    req->expect_continue = false;
    if (req->conn->resp.prepared)
        return 0;
    return cio_stream_write(req->conn->stream, "HTTP/1.1 100 Continue\r\n\r\n",
                            25);
}

ssize_t cio_web_request_read(cio_web_request *req, void *buf, size_t n) {
    if (!req || (!buf && n)) {
        cio__set_error(CIO_EINVAL, "cio_web_request_read: NULL argument");
        return CIO_EINVAL;
    }
    if (req->limit_status == 413)
        return CIO_EWEB_TOO_LARGE;
    while (req->pend_len == 0 && req->state != WEB_COMPLETE && n > 0) {
        int err = req->expect_continue ? answer_continue(req) : 0;
        if (!err)
            err = cio__web_conn_advance(req->conn, true);
        if (err)
            return err;
    }
    size_t k = n < req->pend_len ? n : req->pend_len;
    if (k)
        memcpy(buf, req->pend + req->pend_off, k);
    req->pend_off += k;
    req->pend_len -= k;
    if (req->pend_len == 0)
        req->pend_off = 0;
    return (ssize_t)k;
}

ssize_t cio_web_request_body(cio_web_request *req, const char **data) {
    if (!req || !data) {
        cio__set_error(CIO_EINVAL, "cio_web_request_body: NULL argument");
        return CIO_EINVAL;
    }
    if (!req->body) {
        size_t cap = 1024, len = 0;
        char *b = malloc(cap);
        for (;;) {
            if (b && cap - len < 1024) {
                char *nb = realloc(b, cap * 2);
                if (!nb) {
                    free(b);
                    b = NULL;
                } else {
                    b = nb;
                    cap *= 2;
                }
            }
            if (!b)
                return cio__error(CIO_ENOMEM,
                                  "cio_web_request_body: out of memory");
            ssize_t n = cio_web_request_read(req, b + len, cap - len - 1);
            if (n < 0) {
                free(b);
                return n;
            }
            if (n == 0)
                break;
            len += (size_t)n;
        }
        b[len] = '\0';
        req->body = b;
        req->body_len = len;
    }
    *data = req->body;
    return (ssize_t)req->body_len;
}

int cio_web_request_json(cio_web_request *req, json_t **out) {
    if (!req || !out) {
        cio__set_error(CIO_EINVAL, "cio_web_request_json: NULL argument");
        return CIO_EINVAL;
    }
    if (!req->json) {
        const char *body;
        ssize_t n = cio_web_request_body(req, &body);
        if (n < 0)
            return (int)n;
        json_error_t e;
        req->json = json_loadb(body, (size_t)n, JSON_DECODE_ANY, &e);
        if (!req->json) {
            cio__set_error(CIO_EWEB_BAD_REQUEST,
                           "invalid JSON body: line %d, column %d: %s", e.line,
                           e.column, e.text);
            return CIO_EWEB_BAD_REQUEST;
        }
    }
    *out = req->json;
    return 0;
}
