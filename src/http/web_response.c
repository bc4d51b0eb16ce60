/* web_response.c - responses: status and headers kept until they are sent,
 * a whole body with Content-Length, or a streamed one (chunked or of a
 * declared length). The server adds Date, Content-Length, Connection and
 * Transfer-Encoding itself. */
#include "http/web_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

const char *cio__web_reason(int status) {
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return status < 300 ? "OK" : status < 400 ? "Redirect" : "Error";
    }
}

void cio__web_response_reset(cio_web_response *resp, bool head) {
    cio__web_kvs_clear(&resp->headers);
    free(resp->body);
    cio__web_kvs headers = resp->headers;
    cio__web_conn *conn = resp->conn;
    *resp = (cio_web_response){.conn = conn, .status = 200, .head = head};
    resp->headers = headers;
}

static int not_sent(const cio_web_response *resp, const char *who) {
    if (!resp) {
        cio__set_error(CIO_EINVAL, "%s: NULL response", who);
        return CIO_EINVAL;
    }
    if (resp->prepared) {
        cio__set_error(CIO_EWEB_HEADERS_SENT, "%s: the headers are sent", who);
        return CIO_EWEB_HEADERS_SENT;
    }
    return 0;
}

int cio_web_response_set_status(cio_web_response *resp, int status) {
    int err = not_sent(resp, "cio_web_response_set_status");
    if (err)
        return err;
    if (status < 100 || status > 999) {
        cio__set_error(CIO_EINVAL,
                       "cio_web_response_set_status: %d is not "
                       "a status (100..999)",
                       status);
        return CIO_EINVAL;
    }
    resp->status = status;
    return 0;
}

static bool reserved(const char *name) {
    static const char *const own[] = {"Date", "Content-Length", "Connection",
                                      "Transfer-Encoding"};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (strcasecmp(name, own[i]) == 0)
            return true;
    return false;
}

static int check_header(const char *name, const char *value, const char *who) {
    bool ok = name && value && *name && !reserved(name);
    for (const char *p = name; ok && *p; p++)
        ok = *p > ' ' && *p < 127 && !strchr("()<>@,;:\\\"/[]?={}", *p);
    if (ok && strpbrk(value, "\r\n"))
        ok = false;
    if (!ok)
        cio__set_error(CIO_EINVAL,
                       "%s: '%s' is not a header the handler may "
                       "set (a token name, a value without CR/LF; "
                       "Date, Content-Length, Connection and "
                       "Transfer-Encoding are the server's)",
                       who, name ? name : "(null)");
    return ok ? 0 : CIO_EINVAL;
}

int cio_web_response_add_header(cio_web_response *resp, const char *name,
                                const char *value) {
    int err = not_sent(resp, "cio_web_response_add_header");
    if (!err)
        err = check_header(name, value, "cio_web_response_add_header");
    if (!err)
        err = cio__web_kvs_add(&resp->headers, name, strlen(name), value,
                               strlen(value));
    return err;
}

int cio_web_response_set_header(cio_web_response *resp, const char *name,
                                const char *value) {
    int err = not_sent(resp, "cio_web_response_set_header");
    if (!err)
        err = check_header(name, value, "cio_web_response_set_header");
    if (err)
        return err;
    cio__web_kvs *h = &resp->headers;
    size_t j = 0;
    for (size_t i = 0; i < h->n; i++) {
        if (strcasecmp(h->items[i].name, name) == 0) {
            free(h->items[i].name);
            free(h->items[i].value);
        } else {
            h->items[j++] = h->items[i];
        }
    }
    h->n = j;
    return cio__web_kvs_add(h, name, strlen(name), value, strlen(value));
}

int cio_web_response_set_body(cio_web_response *resp, const void *data,
                              size_t len, const char *content_type) {
    int err = not_sent(resp, "cio_web_response_set_body");
    if (err)
        return err;
    if (!data && len) {
        cio__set_error(CIO_EINVAL, "cio_web_response_set_body: NULL data");
        return CIO_EINVAL;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return cio__error(CIO_ENOMEM,
                          "cio_web_response_set_body: out of memory");
    if (len)
        memcpy(copy, data, len);
    err = cio_web_response_set_header(
        resp, "Content-Type",
        content_type ? content_type : "application/octet-stream");
    if (err) {
        free(copy);
        return err;
    }
    free(resp->body);
    resp->body = copy;
    resp->body_len = len;
    return 0;
}

int cio_web_response_set_text(cio_web_response *resp, const char *fmt, ...) {
    if (!fmt) {
        cio__set_error(CIO_EINVAL, "cio_web_response_set_text: NULL format");
        return CIO_EINVAL;
    }
    va_list ap;
    va_start(ap, fmt);
    char *text = cio__vformat(fmt, ap);
    va_end(ap);
    if (!text)
        return cio__error(CIO_ENOMEM,
                          "cio_web_response_set_text: out of memory");
    int err = cio_web_response_set_body(resp, text, strlen(text),
                                        "text/plain; charset=utf-8");
    free(text);
    return err;
}

int cio_web_response_set_json(cio_web_response *resp, const json_t *value) {
    if (!value) {
        cio__set_error(CIO_EINVAL, "cio_web_response_set_json: NULL value");
        return CIO_EINVAL;
    }
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text)
        return cio__error(CIO_ENOMEM,
                          "cio_web_response_set_json: out of memory");
    int err =
        cio_web_response_set_body(resp, text, strlen(text), "application/json");
    free(text);
    return err;
}

int cio_web_response_redirect(cio_web_response *resp, int status,
                              const char *location) {
    if (status != 301 && status != 302 && status != 303 && status != 307 &&
        status != 308) {
        cio__set_error(CIO_EINVAL,
                       "cio_web_response_redirect: %d is not a "
                       "redirect status",
                       status);
        return CIO_EINVAL;
    }
    int err = cio_web_response_set_header(resp, "Location", location);
    if (!err)
        err = cio_web_response_set_status(resp, status);
    return err;
}

/* ---- sending ------------------------------------------------------------ */

/* The Date header's value, made again once a second. */
static const char *http_date(void) {
    static _Thread_local char buf[40];
    static _Thread_local time_t made;
    time_t now = time(NULL);
    if (now != made) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        made = now;
    }
    return buf;
}

/* Format the status line and headers into a malloc'd block. */
static char *head_block(cio_web_response *resp, size_t *len) {
    size_t cap = 256;
    for (size_t i = 0; i < resp->headers.n; i++)
        cap += strlen(resp->headers.items[i].name) +
               strlen(resp->headers.items[i].value) + 4;
    char *h = malloc(cap);
    if (!h)
        return NULL;
    int n = snprintf(h, cap, "HTTP/1.1 %d %s\r\nDate: %s\r\n", resp->status,
                     cio__web_reason(resp->status), http_date());
    for (size_t i = 0; i < resp->headers.n; i++)
        n +=
            snprintf(h + n, cap - (size_t)n, "%s: %s\r\n",
                     resp->headers.items[i].name, resp->headers.items[i].value);
    bool no_body =
        resp->status < 200 || resp->status == 204 || resp->status == 304;
    if (resp->chunked)
        n += snprintf(h + n, cap - (size_t)n, "Transfer-Encoding: chunked\r\n");
    else if (!no_body)
        n += snprintf(h + n, cap - (size_t)n, "Content-Length: %zu\r\n",
                      resp->has_length ? resp->length : resp->body_len);
    cio__web_conn *c = resp->conn;
    if (c->srv->shutting_down)
        c->close_after = true; /* the last answer on this connection */
    if (c->close_after)
        n += snprintf(h + n, cap - (size_t)n, "Connection: close\r\n");
    else if (c->req.version == 10)
        n += snprintf(h + n, cap - (size_t)n, "Connection: keep-alive\r\n");
    n += snprintf(h + n, cap - (size_t)n, "\r\n");
    *len = (size_t)n;
    return h;
}

/* Write bufs and wait while the client is slow. */
static int send_bufs(cio_web_response *resp, const cio_buf *bufs, size_t n) {
    cio_stream *s = resp->conn->stream;
    int err = cio_stream_writelines(s, bufs, n);
    if (!err)
        err = cio_stream_drain(s);
    if (err)
        resp->aborted = true;
    return err;
}

int cio_web_response_set_length(cio_web_response *resp, size_t len) {
    int err = not_sent(resp, "cio_web_response_set_length");
    if (!err) {
        resp->has_length = true;
        resp->length = len;
    }
    return err;
}

int cio_web_response_prepare(cio_web_response *resp) {
    int err = not_sent(resp, "cio_web_response_prepare");
    if (err)
        return err;
    resp->chunked = !resp->has_length && resp->conn->req.version >= 11;
    if (!resp->has_length && !resp->chunked)
        resp->conn->close_after = true; /* HTTP/1.0: the end is the close */
    size_t len;
    char *head = head_block(resp, &len);
    if (!head)
        return cio__error(CIO_ENOMEM,
                          "cio_web_response_prepare: out of memory");
    resp->prepared = true;
    cio_buf b = {head, len};
    err = send_bufs(resp, &b, 1);
    free(head);
    return err;
}

int cio_web_response_write(cio_web_response *resp, const void *data, size_t n) {
    if (!resp || (!data && n)) {
        cio__set_error(CIO_EINVAL, "cio_web_response_write: NULL argument");
        return CIO_EINVAL;
    }
    if (resp->finished || resp->aborted) {
        cio__set_error(CIO_ECLOSED, "cio_web_response_write: the response "
                                    "is finished");
        return CIO_ECLOSED;
    }
    if (!resp->prepared) {
        int err = cio_web_response_prepare(resp);
        if (err)
            return err;
    }
    if (resp->has_length && resp->sent + n > resp->length) {
        cio__set_error(CIO_EINVAL,
                       "cio_web_response_write: %zu bytes more "
                       "than the declared length %zu",
                       resp->sent + n - resp->length, resp->length);
        return CIO_EINVAL;
    }
    if (n == 0 || resp->head)
        return 0;
    resp->sent += n;
    if (!resp->chunked) {
        cio_buf b = {data, n};
        return send_bufs(resp, &b, 1);
    }
    char size[24];
    int sl = snprintf(size, sizeof size, "%zx\r\n", n);
    cio_buf b[3] = {{size, (size_t)sl}, {data, n}, {"\r\n", 2}};
    return send_bufs(resp, b, 3);
}

int cio_web_response_finish(cio_web_response *resp) {
    if (!resp)
        return cio__error(CIO_EINVAL,
                          "cio_web_response_finish: response is NULL");
    if (resp->finished)
        return 0;
    if (!resp->prepared)
        return cio__web_response_complete(resp);
    if (resp->aborted)
        return cio__error(CIO_ECLOSED,
                          "cio_web_response_finish: the connection was closed");
    resp->finished = true;
    if (resp->has_length && resp->sent != resp->length && !resp->head) {
        resp->conn->close_after = true;
        cio__set_error(CIO_EINVAL,
                       "cio_web_response_finish: %zu of the "
                       "declared %zu bytes were sent",
                       resp->sent, resp->length);
        return CIO_EINVAL;
    }
    if (!resp->chunked || resp->head)
        return 0;
    cio_buf b = {"0\r\n\r\n", 5};
    return send_bufs(resp, &b, 1);
}

void cio_web_response_abort(cio_web_response *resp) {
    if (!resp || resp->aborted)
        return;
    resp->aborted = true;
    resp->finished = true;
    resp->conn->close_after = true;
    cio_stream_abort(resp->conn->stream);
}

int cio__web_response_complete(cio_web_response *resp) {
    if (resp->aborted)
        return CIO_ECLOSED;
    if (resp->prepared)
        return cio_web_response_finish(resp);
    size_t len;
    char *head = head_block(resp, &len);
    if (!head)
        return CIO_ENOMEM;
    resp->prepared = resp->finished = true;
    bool body = !resp->head && resp->body_len && resp->status >= 200 &&
                resp->status != 204 && resp->status != 304;
    cio_buf b[2] = {{head, len}, {resp->body, resp->body_len}};
    int err = send_bufs(resp, b, body ? 2 : 1);
    if (body)
        resp->sent = resp->body_len;
    free(head);
    return err;
}

int cio__web_response_error(cio_web_response *resp, int status,
                            const char *text) {
    cio__web_response_reset(resp, resp->head);
    int err = cio_web_response_set_status(resp, status);
    if (!err)
        err = cio_web_response_set_text(resp, "%d %s%s%s\n", status,
                                        cio__web_reason(status),
                                        text ? ": " : "", text ? text : "");
    return err;
}
