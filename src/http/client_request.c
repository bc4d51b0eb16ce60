/* client_request.c - a request: its easy handle's options, then the wait.
 *
 * An easy handle comes from the session's pool already set with the
 * session's options (the connections live in the multi handle); the
 * request sets what is its own, then it is added to the multi handle. What
 * every request sets (URL, headers, limits, version) is set each time; what
 * only some set (a body, a method, auth) marks the handle dirty, and a
 * dirty handle is reset before its next use, so that nothing of one
 * request leaks into the next.
 * The calling task parks until the transfer is done (or has its headers,
 * when streaming). Cancelled, it takes the handle out of libcurl at once.
 */
#include "http/client_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int bad(int code, const char *fmt, const char *arg) {
    cio__set_error(code, fmt, arg);
    return code;
}

/* The request's URL: resolved against base_url, with params appended. */
/* CURLOPT_URL, unless the handle has that URL already */
static int put_url(cio__easy *ez, const char *url) {
    if (ez->url && strcmp(ez->url, url) == 0)
        return 0;
    free(ez->url);
    ez->url = NULL;
    if (curl_easy_setopt(ez->h, CURLOPT_URL, url) != CURLE_OK)
        return bad(CIO_ENOMEM, "cio_http_request_send: %s", "out of memory");
    ez->url = cio__strdup(url); /* NULL: set it again next time */
    return 0;
}

static int set_url(cio__session *s, cio__easy *ez,
                   const cio_http_request *req) {
    if (!s->base_url && !req->params)
        return put_url(ez, req->url);
    CURLU *u = curl_url();
    if (!u)
        return bad(CIO_ENOMEM, "cio_http_request_send: %s", "out of memory");
    CURLUcode uc = CURLUE_OK;
    if (s->base_url)
        uc = curl_url_set(u, CURLUPART_URL, s->base_url, 0);
    if (!uc)
        uc = curl_url_set(u, CURLUPART_URL, req->url, 0);
    for (const char *const *p = req->params; !uc && p && p[0]; p += 2) {
        if (!p[1]) {
            curl_url_cleanup(u);
            return bad(CIO_EINVAL,
                       "cio_http_request_send: parameter '%s' has "
                       "no value (params come in pairs)",
                       p[0]);
        }
        char *kv = NULL;
        if (asprintf(&kv, "%s=%s", p[0], p[1]) < 0) {
            curl_url_cleanup(u);
            return bad(CIO_ENOMEM, "cio_http_request_send: %s",
                       "out of memory");
        }
        uc = curl_url_set(u, CURLUPART_QUERY, kv,
                          CURLU_APPENDQUERY | CURLU_URLENCODE);
        free(kv);
    }
    char *full = NULL;
    if (!uc)
        uc = curl_url_get(u, CURLUPART_URL, &full, 0);
    curl_url_cleanup(u);
    if (uc) {
        cio__set_error(CIO_EINVAL, "cio_http_request_send: bad URL '%s': %s",
                       req->url, curl_url_strerror(uc));
        return CIO_EINVAL;
    }
    int rc = put_url(ez, full);
    curl_free(full);
    return rc;
}

static bool has_header(const char *const *list, const char *line) {
    size_t n = strcspn(line, ":");
    for (; list && *list; list++)
        if (strncasecmp(*list, line, n) == 0 && (*list)[n] == ':')
            return true;
    return false;
}

static int add_line(cio_http_response *r, const char *line) {
    struct curl_slist *l = curl_slist_append(r->headers_out, line);
    if (!l)
        return bad(CIO_ENOMEM, "cio_http_request_send: %s", "out of memory");
    r->headers_out = l;
    return 0;
}

/* Session headers (unless the request has one of the same name), then the
 * request's, then the body's content type unless one was given. */
static int set_headers(cio__session *s, cio_http_response *r,
                       const cio_http_request *req, const char *ctype) {
    if (!ctype && !(req->headers && *req->headers)) {
        if (r->ez->headers != s->hlist) {
            curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, s->hlist);
            r->ez->headers = s->hlist;
        }
        return 0;
    }
    int rc = 0;
    for (size_t i = 0; !rc && i < s->nheaders; i++)
        if (!has_header(req->headers, s->headers[i]))
            rc = add_line(r, s->headers[i]);
    for (const char *const *h = req->headers; !rc && h && *h; h++) {
        if (!strchr(*h, ':'))
            return bad(CIO_EINVAL,
                       "cio_http_request_send: header '%s' is not "
                       "'Name: value'",
                       *h);
        rc = add_line(r, *h);
    }
    if (!rc && ctype && !has_header(req->headers, "Content-Type:")) {
        char line[160];
        snprintf(line, sizeof line, "Content-Type: %s", ctype);
        rc = add_line(r, line);
    }
    if (!rc) {
        curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers_out);
        r->ez->headers = NULL; /* r's own list: gone with r */
    }
    return rc;
}

static char *encode_form(CURL *e, const char *const *form) {
    cio__hbuf b = {0};
    for (const char *const *p = form; p[0]; p += 2) {
        if (!p[1]) {
            cio__hbuf_free(&b);
            cio__set_error(CIO_EINVAL,
                           "cio_http_request_send: form field '%s' "
                           "has no value (fields come in pairs)",
                           p[0]);
            return NULL;
        }
        char *k = curl_easy_escape(e, p[0], 0),
             *v = curl_easy_escape(e, p[1], 0);
        int rc = (!k || !v) ? CIO_ENOMEM : 0;
        if (!rc && p != form)
            rc = cio__hbuf_append(&b, "&", 1);
        if (!rc)
            rc = cio__hbuf_append(&b, k, strlen(k));
        if (!rc)
            rc = cio__hbuf_append(&b, "=", 1);
        if (!rc)
            rc = cio__hbuf_append(&b, v, strlen(v));
        curl_free(k);
        curl_free(v);
        if (rc) {
            cio__hbuf_free(&b);
            cio__set_error(CIO_ENOMEM, "cio_http_request_send: out of memory");
            return NULL;
        }
    }
    if (!b.data)
        return cio__strdup("");
    return b.data;
}

static int set_parts(cio_http_response *r, const cio_http_request *req) {
    r->mime = curl_mime_init(r->easy);
    if (!r->mime)
        return bad(CIO_ENOMEM, "cio_http_request_send: %s", "out of memory");
    for (size_t i = 0; i < req->nparts; i++) {
        const cio_http_part *p = &req->parts[i];
        if (!p->name || (!p->data && !p->path && p->len))
            return bad(CIO_EINVAL, "cio_http_request_send: %s",
                       "a multipart part needs a name and data or a path");
        curl_mimepart *m = curl_mime_addpart(r->mime);
        CURLcode c = m ? curl_mime_name(m, p->name) : CURLE_OUT_OF_MEMORY;
        if (!c && p->path)
            c = curl_mime_filedata(m, p->path);
        else if (!c)
            c = curl_mime_data(m, p->data ? p->data : "", p->len);
        if (!c && p->filename)
            c = curl_mime_filename(m, p->filename);
        if (!c && p->content_type)
            c = curl_mime_type(m, p->content_type);
        if (c) {
            cio__set_error(c == CURLE_READ_ERROR ? CIO_EINVAL : CIO_EHTTP,
                           "cio_http_request_send: multipart part '%s': %s",
                           p->name, curl_easy_strerror(c));
            return c == CURLE_READ_ERROR ? CIO_EINVAL : CIO_EHTTP;
        }
    }
    curl_easy_setopt(r->easy, CURLOPT_MIMEPOST, r->mime);
    return 0;
}

/* The body, if any; *ctype is its default content type. */
static int set_body(cio_http_response *r, const cio_http_request *req,
                    const char **ctype) {
    int nbodies = (req->body != NULL) + (req->text != NULL) +
                  (req->form != NULL) + (req->nparts > 0) + (req->json != NULL);
    if (nbodies > 1)
        return bad(CIO_EINVAL, "cio_http_request_send: %s",
                   "more than one body (body, text, form, parts, json)");
    CURL *e = r->easy;
    const char *data = NULL;
    size_t len = 0;
    *ctype = NULL;
    r->ez->dirty |= nbodies > 0;
    if (req->body) {
        data = req->body;
        len = req->body_len;
        *ctype =
            req->content_type ? req->content_type : "application/octet-stream";
    } else if (req->text) {
        data = req->text;
        len = strlen(req->text);
        *ctype = "text/plain; charset=utf-8";
    } else if (req->form) {
        if (!(r->body_out = encode_form(e, req->form)))
            return cio_last_error();
        data = r->body_out;
        len = strlen(data);
        *ctype = "application/x-www-form-urlencoded";
    } else if (req->json) {
        r->body_out = json_dumps(req->json, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!r->body_out)
            return bad(CIO_EINVAL, "cio_http_request_send: %s",
                       "the JSON value cannot be serialized");
        data = r->body_out;
        len = strlen(data);
        *ctype = "application/json";
    } else if (req->nparts) {
        return set_parts(r, req);
    } else {
        return 0;
    }
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    /* a streamed response may outlive the caller's buffer */
    if (req->stream && data != r->body_out)
        curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, data);
    else
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, data);
    return 0;
}

static const char *const methods[] = {"GET",    "POST", "PUT",     "PATCH",
                                      "DELETE", "HEAD", "OPTIONS", NULL};

static int set_method(cio_http_response *r, const char *m, bool has_body) {
    CURL *e = r->easy;
    if (!m || strcmp(m, "GET") == 0) {
        if (has_body)
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "GET");
        return 0;
    }
    r->ez->dirty = true;
    size_t i = 0;
    while (methods[i] && strcmp(methods[i], m) != 0)
        i++;
    if (!methods[i])
        return bad(CIO_EINVAL,
                   "cio_http_request_send: unknown method '%s' "
                   "(GET POST PUT PATCH DELETE HEAD OPTIONS)",
                   m);
    if (strcmp(m, "HEAD") == 0)
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else if (strcmp(m, "POST") == 0 && !has_body)
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
    else if (strcmp(m, "POST") != 0) /* POST stays POST: redirects may GET */
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
    return 0;
}

static long ms_of(double t) {
    return t > 0 ? (long)(t * 1000.0 + 0.5) : 0;
}

static double pick(double req, double sess) {
    return req != 0 ? req : sess;
}

static void set_limits(cio__session *s, cio_http_response *r,
                       const cio_http_request *req) {
    cio__easy *ez = r->ez;
    r->t_total = pick(req->timeout.total, s->timeout.total);
    r->t_connect = pick(req->timeout.connect, s->timeout.connect);
    r->sock_read = pick(req->timeout.sock_read, s->timeout.sock_read);
    /* t_total is timed by the engine (cio__engine_add), not by libcurl,
     * whose timeout would cost a timer update in every socket_action.
     * The connect timeout is set every time: the handle may keep its last
     * request's (0 is libcurl's default: its built-in 300 s) */
    cio__easy_long(ez, CIO__OPT_CONNECT, CURLOPT_CONNECTTIMEOUT_MS,
                   ms_of(r->t_connect));
    long redirects = req->max_redirects ? req->max_redirects : s->max_redirects;
    r->follow = redirects >= 0;
    cio__easy_long(ez, CIO__OPT_FOLLOW, CURLOPT_FOLLOWLOCATION, r->follow);
    if (r->follow)
        cio__easy_long(ez, CIO__OPT_REDIRS, CURLOPT_MAXREDIRS, redirects);
    r->max_body = req->max_body ? req->max_body : s->max_body;
    if (ez->last[CIO__OPT_MAXSIZE] != (long)r->max_body &&
        curl_easy_setopt(ez->h, CURLOPT_MAXFILESIZE_LARGE,
                         (curl_off_t)r->max_body) == CURLE_OK)
        ez->last[CIO__OPT_MAXSIZE] = (long)r->max_body;
    cio_http_version v = req->version ? req->version : s->version;
    long cv = v == CIO_HTTP_VERSION_1_1 ? CURL_HTTP_VERSION_1_1
              : v == CIO_HTTP_VERSION_2_PRIOR
                  ? CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE
                  : CURL_HTTP_VERSION_2TLS;
    cio__easy_long(ez, CIO__OPT_VERSION, CURLOPT_HTTP_VERSION, cv);
    cio__easy_long(ez, CIO__OPT_PIPEWAIT, CURLOPT_PIPEWAIT,
                   v == CIO_HTTP_VERSION_2_TLS);
    if (v == CIO_HTTP_VERSION_2_PRIOR) {
        /* libcurl 7.88.1 cannot send a second request on an h2c
         * connection, after the first or beside it ("Error in the HTTP2
         * framing layer", with nginx and nghttpd alike): one connection
         * per request, neither shared nor kept */
        curl_easy_setopt(ez->h, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(ez->h, CURLOPT_FORBID_REUSE, 1L);
        ez->dirty = true;
    }
}

void cio__easy_configure(cio__session *s, CURL *e) {
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    if (s->decompress)
        curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_SHARE, s->share);
    if (s->cookies)
        curl_easy_setopt(e, CURLOPT_COOKIEFILE, "");
    curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, s->dns_cache);
    if (!s->verify) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (s->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, s->ca_file);
    if (s->ca_path)
        curl_easy_setopt(e, CURLOPT_CAPATH, s->ca_path);
    if (s->cert)
        curl_easy_setopt(e, CURLOPT_SSLCERT, s->cert);
    if (s->key)
        curl_easy_setopt(e, CURLOPT_SSLKEY, s->key);
    /* libcurl reads *_proxy and no_proxy itself unless told: without
     * trust_env, "*" (no host goes through a proxy) when none was given,
     * "" (every host does) when one was; NOPROXY also spares libcurl a
     * getenv per request */
    if (s->proxy)
        curl_easy_setopt(e, CURLOPT_PROXY, s->proxy);
    if (!s->trust_env)
        curl_easy_setopt(e, CURLOPT_NOPROXY, s->proxy ? "" : "*");
}

static int set_auth(cio_http_response *r, const cio_http_request *req) {
    CURL *e = r->easy;
    if (req->bearer && (req->user || req->password))
        return bad(CIO_EINVAL, "cio_http_request_send: %s",
                   "both basic (user/password) and bearer authentication");
    r->ez->dirty |= req->user || req->password || req->bearer;
    if (req->user || req->password) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERNAME, req->user ? req->user : "");
        curl_easy_setopt(e, CURLOPT_PASSWORD,
                         req->password ? req->password : "");
    } else if (req->bearer) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
        curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, req->bearer);
    }
    return 0;
}

int cio__transfer_setup(cio__session *s, cio_http_response *r,
                        const cio_http_request *req) {
    r->ez = cio__engine_easy(s);
    if (!r->ez)
        return bad(CIO_ENOMEM, "cio_http_request_send: %s", "out of memory");
    r->easy = r->ez->h;
    r->ez->errbuf[0] = '\0';
    r->stream = req->stream;
    r->started = cio_loop_time(s->loop);
    set_limits(s, r, req);
    r->ez->r = r;
    const char *ctype = NULL;
    int rc = set_url(s, r->ez, req);
    if (!rc)
        rc = set_body(r, req, &ctype);
    if (!rc)
        rc = set_method(r, req->method, ctype != NULL || req->nparts);
    if (!rc)
        rc = set_auth(r, req);
    if (!rc)
        rc = set_headers(s, r, req, req->nparts ? NULL : ctype);
    return rc;
}

/* ---- the calls ----------------------------------------------------------- */

static void drop_request(void *arg) {
    cio__response_free(arg); /* the loop closed on the waiting task */
}

static int check_send(cio__session *s, const cio_http_request *req,
                      cio_http_response **out) {
    if (out)
        *out = NULL;
    if (!s || !req || !out || !req->url)
        return bad(CIO_EINVAL, "cio_http_request_send: %s",
                   "NULL session, request, url or out");
    if (s->closing)
        return bad(CIO_EHTTP_CLOSED, "cio_http_request_send: %s",
                   "the session is closed");
    if (!cio__current_task)
        return bad(CIO_ENOTASK, "cio_http_request_send: %s",
                   "must be called from a task");
    if (cio__running_loop != s->loop)
        return bad(CIO_EWRONGLOOP, "cio_http_request_send: %s",
                   "the session belongs to another loop");
    return 0;
}

int cio_http_request_send(cio_http_session *session,
                          const cio_http_request *req,
                          cio_http_response **out) {
    cio__session *s = session ? &session->s : NULL;
    int rc = check_send(s, req, out);
    if (rc)
        return rc;
    cio_http_response *r = cio__response_new();
    if (!r)
        return bad(CIO_ENOMEM, "cio_http_request_send: %s", "out of memory");
    rc = cio__transfer_setup(s, r, req);
    if (!rc)
        rc = cio__engine_add(s, r);
    if (rc) {
        if (r->ez && !r->session) { /* never added: back to the pool */
            r->ez->dirty = true;
            cio__engine_give_back(s, r->ez);
            r->ez = NULL;
            r->easy = NULL;
        }
        cio__response_free(r);
        return rc;
    }
    cio__cleanup c;
    cio__cleanup_push(&c, drop_request, r);
    r->in_send = true;
    rc = cio__response_wait(r, r->stream ? CIO__WAIT_HEADERS : CIO__WAIT_DONE);
    r->in_send = false;
    cio__cleanup_pop(&c);
    if (rc) {
        if (rc != CIO_EHTTP_CLOSED) /* CLOSED: wait freed it already */
            cio__response_free(r);  /* takes it out of libcurl first */
        return bad(rc, "cio_http_request_send: %s",
                   rc == CIO_ECANCELED ? "cancelled" : "the session closed");
    }
    /* a stream that failed once its headers were in is still a response:
     * its reads give the bytes that came, then the error (as aiohttp) */
    if (r->done && r->error && !(r->stream && r->headers_done)) {
        rc = r->error;
        cio__set_error(rc, "%s", r->message ? r->message : cio_strerror(rc));
        cio__response_free(r);
        return rc;
    }
    if (s->raise_for_status && (rc = cio_http_response_raise_for_status(r))) {
        cio__response_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int cio_http_get(cio_http_session *session, const char *url,
                 cio_http_response **out) {
    cio_http_request req = {.url = url};
    return cio_http_request_send(session, &req, out);
}

int cio_http_post_json(cio_http_session *session, const char *url,
                       const json_t *json, cio_http_response **out) {
    if (!json)
        return bad(CIO_EINVAL, "cio_http_post_json: %s", "NULL json");
    cio_http_request req = {.method = "POST", .url = url, .json = json};
    return cio_http_request_send(session, &req, out);
}
