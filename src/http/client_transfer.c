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

int cio__hbuf_append(cio__hbuf *b, const void *p, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 512;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return CIO_ENOMEM;
        b->data = d;
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

void cio__hbuf_free(cio__hbuf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static int headers_add(cio__headers *h, const char *name, size_t nlen,
                       const char *value, size_t vlen) {
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        size_t *o = realloc(h->off, cap * sizeof *o);
        if (!o)
            return CIO_ENOMEM;
        h->off = o;
        h->cap = cap;
    }
    size_t at = h->text.len;
    if (cio__hbuf_append(&h->text, name, nlen) ||
        cio__hbuf_append(&h->text, "", 1) ||
        cio__hbuf_append(&h->text, value, vlen) ||
        cio__hbuf_append(&h->text, "", 1))
        return CIO_ENOMEM;
    h->off[h->n++] = at;
    return 0;
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

static char *dup_n(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static const char *header_of(const cio_http_response *r, const char *name) {
    for (size_t i = 0; i < r->hdr.n; i++) {
        const char *n = r->hdr.text.data + r->hdr.off[i];
        if (strcasecmp(n, name) == 0)
            return n + strlen(n) + 1;
    }
    return NULL;
}

/* "text/HTML; charset=\"ISO-8859-1\"" -> "text/html", "iso-8859-1". */
static void parse_content_type(cio_http_response *r) {
    const char *v = header_of(r, "content-type");
    if (!v)
        v = "";
    size_t n = strcspn(v, ";");
    while (n && isspace((unsigned char)v[n - 1]))
        n--;
    free(r->ctype);
    r->ctype = dup_n(v, n);
    for (char *p = r->ctype; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    free(r->charset);
    r->charset = NULL;
    const char *cs = strcasestr(v, "charset=");
    if (cs) {
        cs += 8;
        if (*cs == '"')
            cs++;
        size_t m = strcspn(cs, "\"; \t");
        r->charset = dup_n(cs, m);
        for (char *p = r->charset; p && *p; p++)
            *p = (char)tolower((unsigned char)*p);
    }
}

static void headers_complete(cio_http_response *r) {
    if (r->headers_done)
        return;
    r->headers_done = true;
    parse_content_type(r);
    cio__response_wake(r);
}

static void arm_read_timer(cio_http_response *r);

static bool is_redirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 ||
           status == 308;
}

static void status_line(cio_http_response *r, const char *line, size_t n) {
    const char *sp = memchr(line, ' ', n);
    int status = sp ? atoi(sp + 1) : 0;
    if (status >= 100 && status < 200)
        return; /* an interim response: its headers are not kept */
    if (r->in_status && r->url) { /* the one before was a redirect */
        cio__hop *h = realloc(r->hops, (r->nhops + 1) * sizeof *h);
        if (h) {
            r->hops = h;
            h[r->nhops].url = r->url;
            h[r->nhops].status = r->status;
            r->nhops++;
            r->url = NULL;
        }
    }
    free(r->url);
    r->url = NULL;
    char *eff = NULL;
    curl_easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &eff);
    if (eff)
        r->url = cio__strdup(eff);
    r->status = status;
    r->in_status = true;
    free(r->version);
    r->version = dup_n(line, sp ? (size_t)(sp - line) : n);
    const char *reason =
        sp ? memchr(sp + 1, ' ', n - (size_t)(sp + 1 - line)) : NULL;
    size_t rl = reason ? n - (size_t)(reason + 1 - line) : 0;
    free(r->reason);
    r->reason = dup_n(reason ? reason + 1 : "", rl);
    r->hdr.n = 0;
    r->hdr.text.len = 0;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud) {
    cio_http_response *r = ud;
    size_t n = size * nitems, len = n;
    arm_read_timer(r);
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
        status_line(r, buf, len);
    } else if (len == 0) {
        /* the end of a response's headers: the final one unless libcurl is
         * about to follow its Location */
        if (r->in_status &&
            !(r->follow && is_redirect(r->status) && header_of(r, "location")))
            headers_complete(r);
    } else if (r->in_status) {
        const char *colon = memchr(buf, ':', len);
        if (!colon)
            return n;
        const char *v = colon + 1;
        while (v < buf + len && (*v == ' ' || *v == '\t'))
            v++;
        if (headers_add(&r->hdr, buf, (size_t)(colon - buf), v,
                        (size_t)(buf + len - v)))
            return 0;
    }
    return n;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud) {
    cio_http_response *r = ud;
    size_t n = size * nmemb;
    headers_complete(r);
    if (r->max_body && r->received + n > r->max_body) {
        r->too_large = true;
        return 0; /* CURLE_WRITE_ERROR */
    }
    if (r->stream && r->body.len - r->taken >= STREAM_HIGH) {
        r->paused = true;
        if (r->read_timer) /* not the server's delay: do not time it */
            uv_timer_stop(r->read_timer);
        return CURL_WRITEFUNC_PAUSE;
    }
    arm_read_timer(r);
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
    arm_read_timer(ud); /* connected: from now on the server must talk */
    return CURL_PREREQFUNC_OK;
}

void cio__easy_callbacks(CURL *e) {
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
}

void cio__transfer_bind(cio_http_response *r) {
    CURL *e = r->easy;
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_PREREQDATA, r);
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
    if (rc == CURLE_OK) {
        long status = 0, ver = 0;
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(r->easy, CURLINFO_HTTP_VERSION, &ver);
        if (!r->status)
            r->status = (int)status;
        if (!r->url) {
            char *eff = NULL;
            curl_easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &eff);
            r->url = cio__strdup(eff ? eff : "");
        }
        if (!r->reason)
            r->reason = cio__strdup("");
        if (!r->version)
            r->version = cio__strdup(ver == CURL_HTTP_VERSION_2_0 ? "HTTP/2"
                                                                  : "HTTP/1.1");
        headers_complete(r);
        set_outcome(r, 0, NULL);
        if (!r->url || !r->reason || !r->version || !r->ctype)
            set_outcome(r, CIO_ENOMEM, cio__strdup("out of memory"));
    } else {
        const char *what = "";
        int code = map_error(r, rc, &what);
        char *eff = NULL;
        curl_easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &eff);
        const char *detail = r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc);
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
    free(r->reason);
    free(r->url);
    free(r->version);
    free(r->ctype);
    free(r->charset);
    free(r->hdr.off);
    cio__hbuf_free(&r->hdr.text);
    for (size_t i = 0; i < r->nhops; i++)
        free(r->hops[i].url);
    free(r->hops);
    cio__hbuf_free(&r->body);
    free(r->text);
    free(r);
}
