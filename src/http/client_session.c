/* client_session.c - aiohttp's ClientSession: options, the shared caches,
 * and closing (cancel what is in flight, wait for it, free everything). */
#include "http/client_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static CURLSHcode share_all(CURLSH *sh) {
    CURLSHcode c =
        curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
    if (!c)
        c = curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    if (!c)
        c = curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    return c;
}

static char *dup_opt(const char *s, bool *failed) {
    if (!s)
        return NULL;
    char *d = cio__strdup(s);
    if (!d)
        *failed = true;
    return d;
}

/* libcurl does not read SSL_CERT_FILE / SSL_CERT_DIR; OpenSSL's default
 * context (and so aiohttp) does: honour them when no CA was given. */
static void ca_from_env(cio__session *s, bool *failed) {
    if (s->ca_file || s->ca_path)
        return;
    const char *f = getenv("SSL_CERT_FILE"), *d = getenv("SSL_CERT_DIR");
    if (f && *f)
        s->ca_file = dup_opt(f, failed);
    if (d && *d)
        s->ca_path = dup_opt(d, failed);
}

static const char *user_agent(char *buf, size_t cap) {
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    snprintf(buf, cap, "cio/%s libcurl/%s", CIO_VERSION_STRING,
             v && v->version ? v->version : "?");
    return buf;
}

/* The Accept-Encoding line libcurl itself would send for
 * CURLOPT_ACCEPT_ENCODING "" (every decoder it was built with). */
static const char *accept_encoding(char *buf, size_t cap) {
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    int f = v ? v->features : 0;
    snprintf(buf, cap, "Accept-Encoding: %s%s%s",
             f & CURL_VERSION_LIBZ ? "deflate, gzip" : "identity",
             f & CURL_VERSION_BROTLI ? ", br" : "",
             f & CURL_VERSION_ZSTD ? ", zstd" : "");
    return buf;
}

static bool named(const char *const *h, size_t n, const char *name) {
    size_t len = strlen(name);
    for (size_t i = 0; i < n; i++)
        if (strncasecmp(h[i], name, len) == 0 && h[i][len] == ':')
            return true;
    return false;
}

static int add_header(cio__session *s, const char *line) {
    char *d = cio__strdup(line);
    struct curl_slist *l = d ? curl_slist_append(s->hlist, d) : NULL;
    if (!l) {
        free(d);
        return CIO_ENOMEM;
    }
    s->hlist = l;
    s->headers[s->nheaders++] = d;
    return 0;
}

/* The session's header lines: the program's, then User-Agent and
 * Accept-Encoding unless it gave them. They go as headers of our own
 * rather than as CURLOPT_USERAGENT / libcurl's own Accept-Encoding, which
 * libcurl formats anew for every request; CURLOPT_ACCEPT_ENCODING stays set
 * (cio__easy_configure), so that libcurl decodes what comes. The list is
 * built once and shared by the requests that add no header. */
static int copy_headers(cio__session *s, const char *const *h, const char *ua) {
    size_t n = 0;
    while (h && h[n])
        n++;
    s->headers = calloc(n + 2, sizeof *s->headers);
    if (!s->headers)
        return CIO_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!strchr(h[i], ':')) {
            cio__set_error(CIO_EINVAL,
                           "cio_http_session_new: header '%s' is "
                           "not 'Name: value'",
                           h[i]);
            return CIO_EINVAL;
        }
        if (add_header(s, h[i]))
            return CIO_ENOMEM;
    }
    char line[160];
    if (*ua && !named(h, n, "User-Agent")) {
        char *u = NULL;
        int rc = asprintf(&u, "User-Agent: %s", ua) < 0 ? CIO_ENOMEM
                                                        : add_header(s, u);
        free(u);
        if (rc)
            return rc;
    }
    if (s->decompress && !named(h, n, "Accept-Encoding") &&
        add_header(s, accept_encoding(line, sizeof line)))
        return CIO_ENOMEM;
    return 0;
}

static int check_opts(const cio_http_session_options *o) {
    const char *why = NULL;
    if (o->limit < -1 || o->limit_per_host < 0)
        why = "limit must be >= -1 and limit_per_host >= 0";
    else if (o->max_redirects < -1)
        why = "max_redirects must be >= -1";
    else if (o->version < CIO_HTTP_VERSION_DEFAULT ||
             o->version > CIO_HTTP_VERSION_2_PRIOR)
        why = "unknown HTTP version";
    else if ((o->timeout.total < 0 &&
              o->timeout.total != CIO_HTTP_NO_TIMEOUT) ||
             (o->timeout.connect < 0 &&
              o->timeout.connect != CIO_HTTP_NO_TIMEOUT) ||
             (o->timeout.sock_read < 0 &&
              o->timeout.sock_read != CIO_HTTP_NO_TIMEOUT))
        why = "a timeout is negative (use CIO_HTTP_NO_TIMEOUT for none)";
    if (why) {
        cio__set_error(CIO_EINVAL, "cio_http_session_new: %s", why);
        return CIO_EINVAL;
    }
    return 0;
}

static int configure(cio__session *s, const cio_http_session_options *o) {
    bool failed = false;
    char ua[96];
    s->base_url = dup_opt(o->base_url, &failed);
    s->proxy = dup_opt(o->proxy, &failed);
    s->ca_file = dup_opt(o->ca_file, &failed);
    s->ca_path = dup_opt(o->ca_path, &failed);
    s->cert = dup_opt(o->client_cert, &failed);
    s->key = dup_opt(o->client_key, &failed);
    ca_from_env(s, &failed);
    if (failed)
        return CIO_ENOMEM;
    s->cookies = !o->no_cookies;
    s->raise_for_status = o->raise_for_status;
    s->verify = !o->tls_no_verify;
    s->trust_env = o->trust_env;
    s->decompress = !o->no_decompress;
    s->max_redirects = o->max_redirects ? o->max_redirects : 10;
    s->dns_cache = o->dns_cache_seconds ? o->dns_cache_seconds : 60;
    s->timeout = o->timeout;
    if (s->timeout.total == 0)
        s->timeout.total = 300.0;
    s->version = o->version;
    s->max_body = o->max_body;
    int rc =
        copy_headers(s, o->headers,
                     o->user_agent ? o->user_agent : user_agent(ua, sizeof ua));
    if (rc)
        return rc;
    long total = o->limit == 0 ? 100 : o->limit < 0 ? 0 : o->limit;
    curl_multi_setopt(s->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, total);
    curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                      (long)o->limit_per_host);
    /* idle connections kept for reuse: as many as may be open at once */
    curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, total ? total : 100L);
    return 0;
}

static void *fail_new(cio__session *s, int code) {
    if (code == CIO_ENOMEM)
        cio__set_error(code, "cio_http_session_new: out of memory");
    cio__session_free(s);
    return NULL;
}

cio_http_session *cio_http_session_new(cio_loop *loop,
                                       const cio_http_session_options *opts) {
    static const cio_http_session_options defaults;
    const cio_http_session_options *o = opts ? opts : &defaults;
    if (check_opts(o))
        return NULL;
    loop = cio__pick_loop(loop, "cio_http_session_new");
    if (!loop)
        return NULL;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        cio__set_error(CIO_EHTTP, "cio_http_session_new: libcurl failed to "
                                  "initialize");
        return NULL;
    }
    cio_http_session *hs = calloc(1, sizeof *hs);
    if (!hs) {
        curl_global_cleanup();
        cio__set_error(CIO_ENOMEM, "cio_http_session_new: out of memory");
        return NULL;
    }
    cio__session *s = &hs->s;
    s->loop = loop;
    cio__loop_ref(loop);
    int rc = cio__engine_attach(s);
    if (rc)
        return fail_new(s, rc);
    s->share = curl_share_init();
    if (!s->share || share_all(s->share) != CURLSHE_OK)
        return fail_new(s, CIO_ENOMEM);
    rc = configure(s, o);
    if (rc)
        return fail_new(s, rc);
    return hs;
}

void cio__session_free(cio__session *s) {
    cio__engine_detach(s);
    for (size_t i = 0; i < s->npool; i++)
        cio__engine_easy_free(s->pool[i]);
    free(s->pool);
    if (s->share)
        curl_share_cleanup(s->share);
    for (size_t i = 0; i < s->nheaders; i++)
        free(s->headers[i]);
    free(s->headers);
    curl_slist_free_all(s->hlist);
    free(s->base_url);
    free(s->proxy);
    free(s->ca_file);
    free(s->ca_path);
    free(s->cert);
    free(s->key);
    cio__loop_unref(s->loop);
    free(s);
    curl_global_cleanup();
}

/* In flight: a task waits in request_send for it (cancel that task), or it
 * is a streaming response in the program's hands (end it CLOSED). */
static size_t stop_active(cio__session *s) {
    size_t waiting = 0;
    cio_http_response *next;
    for (cio_http_response *r = s->active; r; r = next) {
        next = r->next;
        if (r->in_send && r->waiter) {
            cio_cancel(&r->waiter->task->fut, "the HTTP session is closing");
            waiting++;
        } else {
            cio__transfer_fail(r, CIO_EHTTP_CLOSED,
                               "the HTTP session was "
                               "closed during the transfer");
        }
    }
    return waiting;
}

static size_t count_senders(const cio__session *s) {
    size_t n = 0;
    for (const cio_http_response *r = s->active; r; r = r->next)
        n += r->in_send;
    return n;
}

int cio_http_session_close(cio_http_session *session) {
    if (!session)
        return 0;
    cio__session *s = &session->s;
    if (s->closing) {
        cio__set_error(CIO_EINVALIDSTATE, "cio_http_session_close: the session "
                                          "is already being closed");
        return CIO_EINVALIDSTATE;
    }
    if (count_senders(s) && !cio__current_task) {
        cio__set_error(CIO_ENOTASK, "cio_http_session_close: requests are in "
                                    "flight; close from a task to await them");
        return CIO_ENOTASK;
    }
    /* it parks on its stack below, which a compact task gives up */
    if (s->nactive && cio__compact_current())
        return cio__compact_refuse("cio_http_session_close");
    s->closing = true;
    stop_active(s);
    int result = 0;
    while (s->nactive) {
        cio__parking p;
        s->closer = &p;
        if (cio__park(&p, __FILE__, __LINE__) == CIO_ECANCELED)
            result = CIO_ECANCELED; /* finish closing, then report it */
        s->closer = NULL;
    }
    cio__session_free(s);
    return result;
}

size_t cio_http_session_active(const cio_http_session *session) {
    return session ? session->s.nactive : 0;
}
