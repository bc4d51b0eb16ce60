/* client_response.c - what a response offers: status, headers, the body as
 * bytes, text or JSON, and streaming reads with back-pressure. */
#include "http/client_internal.h"

#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A paused stream resumes below this */
#define STREAM_LOW ((size_t)16 * 1024)

int cio_http_response_status(const cio_http_response *r) {
    return r ? r->status : 0;
}

const char *cio_http_response_reason(const cio_http_response *r) {
    return r ? r->reason : NULL;
}

const char *cio_http_response_version(const cio_http_response *r) {
    return r ? r->version : NULL;
}

const char *cio_http_response_url(const cio_http_response *r) {
    return r ? r->url : NULL;
}

bool cio_http_response_header_at(const cio_http_response *r, size_t i,
                                 const char **name, const char **value) {
    if (!r || i >= r->hdr.n)
        return false;
    const char *n = r->hdr.rec[i];
    if (name)
        *name = n;
    if (value)
        *value = n + strlen(n) + 1;
    return true;
}

size_t cio_http_response_header_count(const cio_http_response *r) {
    return r ? r->hdr.n : 0;
}

size_t cio_http_response_header_values(const cio_http_response *r,
                                       const char *name, const char **values,
                                       size_t cap) {
    size_t found = 0;
    const char *n, *v;
    for (size_t i = 0; name && cio_http_response_header_at(r, i, &n, &v); i++)
        if (strcasecmp(n, name) == 0) {
            if (values && found < cap)
                values[found] = v;
            found++;
        }
    return found;
}

const char *cio_http_response_header(const cio_http_response *r,
                                     const char *name) {
    const char *v = NULL;
    return cio_http_response_header_values(r, name, &v, 1) ? v : NULL;
}

const char *cio_http_response_content_type(const cio_http_response *r) {
    return r ? (r->ctype ? r->ctype : "") : NULL;
}

const char *cio_http_response_charset(const cio_http_response *r) {
    return r ? r->charset : NULL;
}

size_t cio_http_response_history_count(const cio_http_response *r) {
    return r ? r->nhops : 0;
}

const char *cio_http_response_history_url(const cio_http_response *r, size_t i,
                                          int *status) {
    if (!r || i >= r->nhops)
        return NULL;
    if (status)
        *status = r->hops[i].status;
    return r->hops[i].url;
}

int cio_http_response_raise_for_status(const cio_http_response *r) {
    if (!r)
        return cio__error(
            CIO_EINVAL, "cio_http_response_raise_for_status: response is NULL");
    if (r->status < 400)
        return 0;
    cio__set_error(CIO_EHTTP_STATUS, "%d %s for %s", r->status,
                   r->reason && *r->reason ? r->reason : "(no reason)",
                   r->url ? r->url : "?");
    return CIO_EHTTP_STATUS;
}

/* ---- the body ----------------------------------------------------------- */

static int fail(int code, const char *who, const char *msg) {
    cio__set_error(code, "%s: %s", who, msg);
    return code;
}

static void resume(cio_http_response *r) {
    if (r->paused && r->easy &&
        (!r->stream || r->body.len - r->taken < STREAM_LOW)) {
        r->paused = false;
        /* libcurl 7.88 sometimes loses track of the socket of a connection
         * whose transfer was paused: the next transfer on it sends its
         * request and is never told the answer came (seen under valgrind's
         * timing). Such a connection is closed after its transfer rather
         * than reused. */
        curl_easy_setopt(r->easy, CURLOPT_FORBID_REUSE, 1L);
        r->ez->dirty = true; /* the next request on the handle may reuse */
        /* may deliver the held-back bytes at once, through on_write */
        curl_easy_pause(r->easy, CURLPAUSE_CONT);
    }
}

static int outcome(const cio_http_response *r) {
    if (r->error)
        cio__set_error(r->error, "%s",
                       r->message ? r->message : cio_strerror(r->error));
    return r->error;
}

/* Wait for the end of the body, buffering all of it. */
static int read_all(cio_http_response *r, const char *who) {
    if (!r->done) {
        if (!cio__current_task)
            return fail(CIO_ENOTASK, who,
                        "the body is still arriving: call "
                        "from a task");
        r->stream = false; /* no more pauses: the caller wants it all */
        resume(r);
        int rc = cio__response_wait(r, CIO__WAIT_DONE);
        if (rc)
            return fail(rc, who,
                        rc == CIO_ECANCELED ? "cancelled"
                                            : "the response was released");
    }
    return outcome(r);
}

int cio_http_response_read(cio_http_response *r, const char **data,
                           size_t *len) {
    if (!r || !data)
        return fail(CIO_EINVAL, "cio_http_response_read", "NULL argument");
    int rc = read_all(r, "cio_http_response_read");
    if (rc)
        return rc;
    *data = r->body.data ? r->body.data + r->taken : "";
    if (len)
        *len = r->body.len - r->taken;
    return 0;
}

/* The body in UTF-8, by iconv from its charset (UTF-8 when none is
 * declared: then iconv only checks it). */
static int convert(cio_http_response *r, const char *src, size_t n) {
    const char *from = r->charset ? r->charset : "utf-8";
    iconv_t cd = iconv_open("UTF-8", from);
    if (cd == (iconv_t)-1) { // NOLINT(performance-no-int-to-ptr): iconv's API
        cio__set_error(CIO_EHTTP_DECODE,
                       "cio_http_response_text: unknown "
                       "charset '%s'",
                       from);
        return CIO_EHTTP_DECODE;
    }
    size_t cap = n * 4 + 1, out_left = cap - 1;
    char *out = malloc(cap), *in = (char *)src, *at = out;
    size_t in_left = n;
    int rc = 0;
    if (!out)
        rc = fail(CIO_ENOMEM, "cio_http_response_text", "out of memory");
    else if (iconv(cd, &in, &in_left, &at, &out_left) == (size_t)-1) {
        cio__set_error(CIO_EHTTP_DECODE,
                       "cio_http_response_text: byte %zu is "
                       "not valid %s",
                       n - in_left, from);
        rc = CIO_EHTTP_DECODE;
    }
    iconv_close(cd);
    if (rc) {
        free(out);
        return rc;
    }
    *at = '\0';
    free(r->text);
    r->text = out;
    r->text_len = (size_t)(at - out);
    return 0;
}

int cio_http_response_text(cio_http_response *r, const char **text,
                           size_t *len) {
    const char *data;
    size_t n;
    if (!text)
        return fail(CIO_EINVAL, "cio_http_response_text", "NULL argument");
    int rc = cio_http_response_read(r, &data, &n);
    if (rc)
        return rc;
    if (!r->text && (rc = convert(r, data, n)) != 0)
        return rc;
    *text = r->text;
    if (len)
        *len = r->text_len;
    return 0;
}

static bool is_json_type(const char *t) {
    size_t n = strlen(t);
    return strcmp(t, "application/json") == 0 ||
           (n > 5 && strcmp(t + n - 5, "+json") == 0);
}

int cio_http_response_json(cio_http_response *r, json_t **out, unsigned flags) {
    if (out)
        *out = NULL;
    if (!r || !out || (flags & ~CIO_HTTP_JSON_ANY_TYPE))
        return fail(CIO_EINVAL, "cio_http_response_json",
                    "NULL argument or unknown flag");
    if (!(flags & CIO_HTTP_JSON_ANY_TYPE) && r->ctype &&
        !is_json_type(r->ctype)) {
        cio__set_error(CIO_EHTTP_CONTENT_TYPE,
                       "attempt to decode JSON with "
                       "unexpected content type '%s' "
                       "(%s)",
                       r->ctype, r->url ? r->url : "?");
        return CIO_EHTTP_CONTENT_TYPE;
    }
    const char *data;
    size_t n;
    int rc = cio_http_response_read(r, &data, &n);
    if (rc)
        return rc;
    json_error_t err;
    *out = json_loadb(data, n, JSON_DECODE_ANY, &err);
    if (!*out) {
        cio__set_error(CIO_EHTTP_JSON, "invalid JSON at line %d, column %d: %s",
                       err.line, err.column, err.text);
        return CIO_EHTTP_JSON;
    }
    return 0;
}

ssize_t cio_http_response_read_chunk(cio_http_response *r, void *buf,
                                     size_t cap) {
    if (!r || (!buf && cap))
        return fail(CIO_EINVAL, "cio_http_response_read_chunk",
                    "NULL argument");
    while (r->body.len == r->taken && !r->done) {
        if (!cio__current_task)
            return fail(CIO_ENOTASK, "cio_http_response_read_chunk",
                        "must be called from a task");
        resume(r);
        if (r->body.len > r->taken)
            break;
        int rc = cio__response_wait(r, CIO__WAIT_DATA);
        if (rc) /* nothing was taken: no byte is lost */
            return fail(rc, "cio_http_response_read_chunk",
                        rc == CIO_ECANCELED ? "cancelled" : "released");
    }
    size_t avail = r->body.len - r->taken;
    if (avail == 0)
        return outcome(r);
    size_t k = avail < cap ? avail : cap;
    if (k == 0) /* cap 0: nothing asked for */
        return 0;
    memcpy(buf, r->body.data + r->taken, k);
    r->taken += k;
    if (r->taken == r->body.len && r->stream) {
        r->body.len = r->taken = 0; /* start the buffer over */
        r->body.data[0] = '\0';
    }
    resume(r);
    return (ssize_t)k;
}

void cio_http_response_release(cio_http_response *r) {
    if (!r)
        return;
    if (r->waiter) { /* a task still waits on it: it frees it when it wakes */
        r->orphan = true;
        cio__engine_remove(r);
        cio__response_wake(r);
        return;
    }
    cio__response_free(r);
}
