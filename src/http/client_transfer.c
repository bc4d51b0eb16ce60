/* client_transfer.c - one transfer: libcurl's callbacks and its outcome.
 *
 * The header callback keeps the final response's status line and headers
 * (and the redirects followed on the way); the write callback buffers the
 * body, pausing the transfer while a streaming reader is behind; the
 * outcome of a finished transfer becomes a cio code with libcurl's words.
 */
#include "http/client_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Bytes buffered before a stream pauses */
#define STREAM_HIGH ((size_t)64 * 1024)
/* Largest body buffer made for a Content-Length before the bytes come */
#define BODY_PRESIZE ((uint64_t)1 << 20)

static int headers_add(cio_http_response *r, const char *name, size_t nlen,
                       const char *value, size_t vlen) {
    cio__headers *h = &r->hdr;
    if (h->n == h->cap) {
        size_t cap = h->cap * 2;
        const char **rec = h->rec == h->first
                               ? malloc(cap * sizeof *rec)
                               : realloc((void *)h->rec, cap * sizeof *rec);
        if (!rec)
            return CIO_ENOMEM;
        if (h->rec == h->first)
            memcpy((void *)rec, (const void *)h->first, sizeof h->first);
        h->rec = rec;
        h->cap = cap;
    }
    const char *at = cio__arena_pair(&r->strs, name, nlen, value, vlen);
    if (!at)
        return CIO_ENOMEM;
    h->rec[h->n++] = at;
    if (!r->ctype_raw && nlen == 12 &&
        strncasecmp(name, "content-type", 12) == 0)
        r->ctype_raw = at + 13; /* the first one, as header_of finds */
    return 0;
}

cio_http_response *cio__response_new(void) {
    cio_http_response *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    cio__arena_init(&r->strs, r->strs_first, sizeof r->strs_first);
    r->hdr.rec = r->hdr.first;
    r->hdr.cap = CIO__HEADERS_FIRST;
    return r;
}

/* ---- waiting for a transfer --------------------------------------------- */

void cio__response_wake(cio_http_response *r) {
    if (r->waiter)
        cio__unpark(r->waiter);
}

static bool ready(const cio_http_response *r, int what) {
    if (r->done || r->orphan)
        return true;
    if (what == CIO__WAIT_HEADERS)
        return r->headers_done;
    if (what == CIO__WAIT_DATA)
        return r->body.len > r->taken;
    return false;
}

static void forget_waiter(void *arg) {
    ((cio_http_response *)arg)->waiter = NULL;
}

int cio__response_wait(cio_http_response *r, int what) {
    while (!ready(r, what)) {
        cio__parking p;
        cio__cleanup c;
        cio__cleanup_push(&c, forget_waiter, r);
        r->waiter = &p;
        int rc = cio__park(&p, __FILE__, __LINE__);
        r->waiter = NULL;
        cio__cleanup_pop(&c);
        if (rc)
            return rc;
    }
    if (r->orphan) {
        cio__response_free(r);
        return CIO_EHTTP_CLOSED;
    }
    return 0;
}

/* ---- libcurl's callbacks ------------------------------------------------ */

static const char *header_of(const cio_http_response *r, const char *name) {
    for (size_t i = 0; i < r->hdr.n; i++) {
        const char *n = r->hdr.rec[i];
        if (strcasecmp(n, name) == 0)
            return n + strlen(n) + 1;
    }
    return NULL;
}

static char *lower(char *s) {
    for (char *p = s; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return s;
}

/* Where "charset=" is in ";..." params, or NULL. */
static const char *charset_of(const char *p) {
    for (; *p; p++)
        if ((*p | 0x20) == 'c' && strncasecmp(p, "charset=", 8) == 0)
            return p;
    return NULL;
}

/* "text/HTML; charset=\"ISO-8859-1\"" -> "text/html", "iso-8859-1". */
static void parse_content_type(cio_http_response *r) {
    const char *v = r->ctype_raw ? r->ctype_raw : "";
    size_t n = strcspn(v, ";");
    const char *cs = v[n] ? charset_of(v + n) : NULL;
    while (n && isspace((unsigned char)v[n - 1]))
        n--;
    r->ctype = lower(cio__arena_dup(&r->strs, v, n));
    r->charset = NULL;
    if (cs) {
        cs += 8;
        if (*cs == '"')
            cs++;
        size_t m = strcspn(cs, "\"; \t");
        r->charset = lower(cio__arena_dup(&r->strs, cs, m));
    }
}

/* The URL libcurl is at now, kept: NULL when out of memory. */
static const char *current_url(cio_http_response *r) {
    char *eff = NULL;
    curl_easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &eff);
    if (!eff)
        eff = "";
    return cio__arena_dup(&r->strs, eff, strlen(eff));
}

/* The final response's headers are in. */
static void headers_complete(cio_http_response *r) {
    if (r->headers_done)
        return;
    r->headers_done = true;
    if (!r->url && r->easy)
        r->url = current_url(r);
    parse_content_type(r);
    cio__response_wake(r);
}

static void arm_read_timer(cio_http_response *r);

static bool is_redirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 ||
           status == 308;
}

static int status_line(cio_http_response *r, const char *line, size_t n) {
    const char *sp = memchr(line, ' ', n);
    int status = sp ? atoi(sp + 1) : 0;
    if (status >= 100 && status < 200)
        return 0; /* an interim response: its headers are not kept */
    r->status = status;
    r->in_status = true;
    r->version = cio__arena_dup(&r->strs, line, sp ? (size_t)(sp - line) : n);
    const char *reason =
        sp ? memchr(sp + 1, ' ', n - (size_t)(sp + 1 - line)) : NULL;
    size_t rl = reason ? n - (size_t)(reason + 1 - line) : 0;
    r->reason = cio__arena_dup(&r->strs, reason ? reason + 1 : "", rl);
    r->hdr.n = 0; /* a redirect's headers are not the response's */
    r->ctype_raw = NULL;
    return r->version && r->reason ? 0 : CIO_ENOMEM;
}

/* The end of a response's headers: the final one's, unless libcurl is
 * about to follow its Location; then it is a step of the history. */
static int headers_end(cio_http_response *r) {
    if (!r->in_status)
        return 0;
    if (!(r->follow && is_redirect(r->status) && header_of(r, "location"))) {
        headers_complete(r);
        return 0;
    }
    cio__hop *h = realloc(r->hops, (r->nhops + 1) * sizeof *h);
    if (!h)
        return CIO_ENOMEM;
    r->hops = h;
    h[r->nhops].status = r->status;
    if (!(h[r->nhops].url = current_url(r)))
        return CIO_ENOMEM;
    r->nhops++;
    return 0;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud) {
    cio_http_response *r = ((cio__easy *)ud)->r;
    size_t n = size * nitems, len = n;
    int rc = 0;
    arm_read_timer(r);
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
        rc = status_line(r, buf, len);
    } else if (len == 0) {
        rc = headers_end(r);
    } else if (r->in_status) {
        const char *colon = memchr(buf, ':', len);
        if (!colon)
            return n;
        const char *v = colon + 1;
        while (v < buf + len && (*v == ' ' || *v == '\t'))
            v++;
        rc = headers_add(r, buf, (size_t)(colon - buf), v,
                         (size_t)(buf + len - v));
    }
    return rc ? 0 : n; /* 0: CURLE_WRITE_ERROR, out of memory */
}

/* A body whose length the server announced gets its buffer at once rather
 * than by doubling (up to BODY_PRESIZE: a length is only a promise). */
static void presize_body(cio_http_response *r, size_t first) {
    curl_off_t cl = -1;
    curl_easy_getinfo(r->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
    size_t want = cl > 0 && (uint64_t)cl < BODY_PRESIZE ? (size_t)cl : 0;
    if (want > first)
        cio__hbuf_reserve(&r->body, want + 1); /* a failure shows later */
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud) {
    cio_http_response *r = ((cio__easy *)ud)->r;
    size_t n = size * nmemb;
    headers_complete(r);
    if (r->max_body && r->received + n > r->max_body) {
        r->too_large = true;
        return 0; /* CURLE_WRITE_ERROR */
    }
    if (r->stream && r->body.len - r->taken >= STREAM_HIGH) {
        r->paused = r->was_paused = true;
        if (r->read_timer) /* not the server's delay: do not time it */
            uv_timer_stop(r->read_timer);
        return CURL_WRITEFUNC_PAUSE;
    }
    arm_read_timer(r);
    if (!r->body.cap && !r->stream)
        presize_body(r, n);
    if (cio__hbuf_append(&r->body, ptr, n) != 0)
        return 0;
    r->received += n;
    if (r->stream)
        cio__response_wake(r);
    return n;
}

/* sock_read: the longest silence of the server once connected. */
static void on_read_timeout(uv_timer_t *t) {
    cio_http_response *r = t->data;
    cio__transfer_fail(r, CIO_EHTTP_TIMEOUT_SOCK_READ,
                       "sock_read timeout (%.3f s) expired: %s sent nothing "
                       "for that long",
                       r->sock_read, r->url ? r->url : "the server");
}

static void arm_read_timer(cio_http_response *r) {
    if (r->sock_read <= 0 || !r->session || r->paused)
        return;
    if (!r->read_timer) {
        r->read_timer = malloc(sizeof *r->read_timer);
        if (!r->read_timer)
            return;
        uv_timer_init(cio_loop_uv(r->session->loop), r->read_timer);
        r->read_timer->data = r;
    }
    uv_timer_start(r->read_timer, on_read_timeout,
                   (uint64_t)(r->sock_read * 1000.0 + 0.5), 0);
}

static int on_prereq(void *ud, char *conn_primary_ip, char *conn_local_ip,
                     int conn_primary_port, int conn_local_port) {
    (void)conn_primary_ip, (void)conn_local_ip;
    (void)conn_primary_port, (void)conn_local_port;
    /* connected: from now on the server must talk */
    arm_read_timer(((cio__easy *)ud)->r);
    return CURL_PREREQFUNC_OK;
}

/* The callbacks' data is the handle: its transfer is ez->r. */
void cio__easy_callbacks(cio__easy *ez) {
    CURL *e = ez->h;
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, ez);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, ez);
    curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
    curl_easy_setopt(e, CURLOPT_PREREQDATA, ez);
}

/* ---- the outcome -------------------------------------------------------- */

static void set_outcome(cio_http_response *r, int code, char *msg) {
    r->error = code;
    free(r->message);
    r->message = msg;
}

void cio__transfer_fail(cio_http_response *r, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = cio__vformat(fmt, ap);
    va_end(ap);
    set_outcome(r, code, msg);
    cio__engine_remove(r);
    r->done = true;
    cio__response_wake(r);
}

static int timeout_code(cio_http_response *r) {
    curl_off_t conn = 0, app = 0;
    char *scheme = NULL;
    curl_easy_getinfo(r->easy, CURLINFO_CONNECT_TIME_T, &conn);
    curl_easy_getinfo(r->easy, CURLINFO_APPCONNECT_TIME_T, &app);
    curl_easy_getinfo(r->easy, CURLINFO_SCHEME, &scheme);
    bool tls = scheme && strcasecmp(scheme, "https") == 0;
    bool connecting = conn == 0 || (tls && app == 0);
    if (!connecting || r->t_connect <= 0)
        return CIO_EHTTP_TIMEOUT_TOTAL;
    double elapsed = cio_loop_time(r->session->loop) - r->started;
    if (r->t_total > 0 && r->t_total < r->t_connect)
        return CIO_EHTTP_TIMEOUT_TOTAL;
    return elapsed + 0.005 >= r->t_connect ? CIO_EHTTP_TIMEOUT_CONNECT
                                           : CIO_EHTTP_TIMEOUT_TOTAL;
}

static int map_error(cio_http_response *r, CURLcode rc, const char **what) {
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
        *what = "cannot connect";
        return CIO_EHTTP_CONNECT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        *what = "cannot resolve the host";
        return CIO_EHTTP_RESOLVE;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
        *what = "TLS failed";
        return CIO_EHTTP_TLS;
    case CURLE_OPERATION_TIMEDOUT: {
        int code = timeout_code(r);
        *what = code == CIO_EHTTP_TIMEOUT_CONNECT ? "connect timeout expired"
                                                  : "total timeout expired";
        return code;
    }
    case CURLE_TOO_MANY_REDIRECTS:
        *what = "too many redirects";
        return CIO_EHTTP_REDIRECTS;
    case CURLE_FILESIZE_EXCEEDED:
        *what = "body larger than max_body";
        return CIO_EHTTP_TOO_LARGE;
    case CURLE_WRITE_ERROR:
        *what = r->too_large ? "body larger than max_body" : "out of memory";
        return r->too_large ? CIO_EHTTP_TOO_LARGE : CIO_ENOMEM;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2_STREAM:
        *what = "connection closed before the whole response came";
        return CIO_EHTTP_PAYLOAD;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        *what = "bad URL";
        return CIO_EINVAL;
    case CURLE_OUT_OF_MEMORY:
        *what = "out of memory";
        return CIO_ENOMEM;
    default:
        *what = "transfer failed";
        return CIO_EHTTP;
    }
}

void cio__transfer_finish(cio_http_response *r, CURLcode rc) {
    r->ended_ok = rc == CURLE_OK;
    if (rc == CURLE_OK) {
        long status = 0, ver = 0;
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(r->easy, CURLINFO_HTTP_VERSION, &ver);
        if (!r->status)
            r->status = (int)status;
        if (!r->reason)
            r->reason = "";
        if (!r->version)
            r->version = ver == CURL_HTTP_VERSION_2_0 ? "HTTP/2" : "HTTP/1.1";
        headers_complete(r);
        set_outcome(r, 0, NULL);
        if (!r->url || !r->reason || !r->version || !r->ctype)
            set_outcome(r, CIO_ENOMEM, cio__strdup("out of memory"));
    } else {
        const char *what = "";
        int code = map_error(r, rc, &what);
        char *eff = NULL;
        curl_easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &eff);
        const char *detail =
            r->ez->errbuf[0] ? r->ez->errbuf : curl_easy_strerror(rc);
        char *msg = NULL;
        if (asprintf(&msg, "%s (%s): %s", what, eff ? eff : "?", detail) < 0)
            msg = NULL;
        set_outcome(r, code, msg);
    }
    cio__engine_remove(r);
    r->done = true;
    cio__response_wake(r);
}

void cio__response_free(cio_http_response *r) {
    if (!r)
        return;
    cio__engine_remove(r);
    curl_slist_free_all(r->headers_out);
    curl_mime_free(r->mime);
    free(r->body_out);
    free(r->message);
    if (r->hdr.rec != r->hdr.first)
        free((void *)r->hdr.rec);
    free(r->hops);
    cio__hbuf_free(&r->body);
    free(r->text);
    cio__arena_free(&r->strs);
    free(r);
}
