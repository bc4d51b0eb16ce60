/* client_sugar.c - the short forms of cio/http.h: a request without a
 * session of the caller's (aiohttp.request()), and a request's JSON or text
 * in one call, with raise_for_status. Only the public calls of the client
 * are used here: each form is a few of them in a row. */
#include "http/client_internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* `session`, or a new session of default options made for one request
 * (*own then holds it); NULL with the error recorded. */
static cio_http_session *session_or_own(cio_http_session *session,
                                        cio_http_session **own) {
    *own = NULL;
    if (session)
        return session;
    *own = cio_http_session_new(NULL, NULL);
    return *own;
}

/* Close a one-off session, keeping the status and message of a failure
 * that came before (closing it is the last step, as the end of an `async
 * with`); rc if it failed, else the close's own status. */
static int close_own(cio_http_session *own, int rc) {
    if (!own)
        return rc;
    char *saved = rc < 0 ? cio__strdup(cio_last_error_message()) : NULL;
    int closed = cio_http_session_close(own);
    if (rc < 0 && saved)
        cio__set_error(rc, "%s", saved);
    free(saved);
    return rc < 0 ? rc : closed;
}

int cio_http_request_once(const cio_http_request *req,
                          cio_http_response **out) {
    if (!out || !req) {
        cio__set_error(CIO_EINVAL, "cio_http_request_once: NULL %s",
                       req ? "out" : "request");
        return CIO_EINVAL;
    }
    *out = NULL;
    if (req->stream) { /* the body would outlive the session it needs */
        cio__set_error(CIO_EINVAL, "cio_http_request_once: a streamed "
                                   "response needs a session of the caller's");
        return CIO_EINVAL;
    }
    cio_http_session *own = cio_http_session_new(NULL, NULL);
    int rc = own ? cio_http_request_send(own, req, out) : cio_last_error();
    rc = close_own(own, rc);
    if (rc < 0 && *out) {
        cio_http_response_release(*out);
        *out = NULL;
    }
    return rc;
}

int cio_http_get_once(const char *url, cio_http_response **out) {
    return cio_http_request_once(&(cio_http_request){.url = url}, out);
}

/* Send req on `session` (NULL: a one-off one); a status >= 400 fails. */
static int send_checked(cio_http_session *session, const cio_http_request *req,
                        cio_http_response **r, cio_http_session **own) {
    *r = NULL;
    cio_http_session *s = session_or_own(session, own);
    int rc = s ? cio_http_request_send(s, req, r) : cio_last_error();
    if (!rc)
        rc = cio_http_response_raise_for_status(*r);
    return rc;
}

int cio_http_request_json(cio_http_session *session,
                          const cio_http_request *req, json_t **out) {
    if (!out || !req) {
        cio__set_error(CIO_EINVAL, "cio_http_request_json: NULL %s",
                       req ? "out" : "request");
        return CIO_EINVAL;
    }
    *out = NULL;
    cio_http_session *own;
    cio_http_response *r;
    int rc = send_checked(session, req, &r, &own);
    if (!rc)
        rc = cio_http_response_json(r, out, 0);
    cio_http_response_release(r);
    rc = close_own(own, rc);
    if (rc < 0 && *out) { /* parsed, but the session failed to close */
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

int cio_http_get_json(cio_http_session *session, const char *url,
                      json_t **out) {
    return cio_http_request_json(session, &(cio_http_request){.url = url}, out);
}

int cio_http_call_json(cio_http_session *session, const char *method,
                       const char *url, const json_t *body, json_t **out) {
    cio_http_request req = {.method = method, .url = url, .json = body};
    return cio_http_request_json(session, &req, out);
}

/* A copy of the response's text into *text (malloc'd). */
static int copy_text(cio_http_response *r, char **text, size_t *len) {
    const char *t;
    size_t n;
    int rc = cio_http_response_text(r, &t, &n);
    if (rc)
        return rc;
    char *copy = malloc(n + 1);
    if (!copy) {
        cio__set_error(CIO_ENOMEM, "cio_http_get_text: out of memory");
        return CIO_ENOMEM;
    }
    memcpy(copy, t, n + 1);
    *text = copy;
    if (len)
        *len = n;
    return 0;
}

int cio_http_get_text(cio_http_session *session, const char *url, char **text,
                      size_t *len) {
    if (!text) {
        cio__set_error(CIO_EINVAL, "cio_http_get_text: NULL text");
        return CIO_EINVAL;
    }
    *text = NULL;
    cio_http_session *own;
    cio_http_response *r;
    cio_http_request req = {.url = url};
    int rc = send_checked(session, &req, &r, &own);
    if (!rc)
        rc = copy_text(r, text, len);
    cio_http_response_release(r);
    rc = close_own(own, rc);
    if (rc < 0) {
        free(*text);
        *text = NULL;
    }
    return rc;
}

int cio_json_unpack(json_t *doc, const char *fmt, ...) {
    if (!fmt) {
        cio__set_error(CIO_EINVAL, "cio_json_unpack: NULL format");
        return CIO_EINVAL;
    }
    json_error_t e;
    va_list ap;
    va_start(ap, fmt);
    int rc = json_vunpack_ex(doc, &e, 0, fmt, ap);
    va_end(ap);
    if (rc == 0)
        return 0;
    if (!doc) { /* jansson says only "NULL root value" */
        cio__set_error(CIO_EINVAL, "cio_json_unpack: NULL document");
        return CIO_EINVAL;
    }
    cio__set_error(CIO_EHTTP_JSON, "%s", e.text);
    return CIO_EHTTP_JSON;
}
