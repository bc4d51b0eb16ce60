/* cio/http.h - an HTTP client session: aiohttp's ClientSession in C.
 *
 * HTTP itself (parsing, chunking, TLS, HTTP/2, proxies, cookies,
 * compression, connection reuse) is libcurl's work; cio drives libcurl's
 * multi-socket interface from its own loop (libuv polls on curl's sockets,
 * one libuv timer), so a request is a plain call from a task that suspends
 * only that task. JSON is jansson's.
 *
 *     static void *amain(void *arg) {
 *         cio_http_session *s = cio_http_session_new(NULL, NULL);
 *         cio_http_response *r;
 *         if (cio_http_get(s, "http://127.0.0.1:8080/ip.json", &r) == 0) {
 *             json_t *doc;
 *             if (cio_http_response_json(r, &doc, 0) == 0) {
 *                 puts(json_string_value(json_object_get(doc, "ip")));
 *                 json_decref(doc);
 *             }
 *             cio_http_response_release(r);
 *         }
 *         cio_http_session_close(s);
 *         return NULL;
 *     }
 *
 * Threads: a session and its responses belong to the thread of their loop.
 * Every call that waits (request, read, text, json, read_chunk, close) must
 * run in a task: outside one it returns CIO_ENOTASK. Each is a
 * cancellation point: cancelling the task removes the transfer from libcurl
 * at once (no callback of it runs afterwards) and frees what it held.
 *
 * Errors: the calls return 0 or a negative code (CIO_EHTTP_* below, or
 * CIO_EINVAL, CIO_ENOMEM, CIO_ECANCELED, CIO_ENOTASK); the sentence saying
 * what went wrong, with libcurl's or OpenSSL's or jansson's own words, is
 * in cio_last_error_message(). Calls that return a pointer return NULL and
 * leave the code there too.
 */
#ifndef CIO_HTTP_H
#define CIO_HTTP_H

#include "cio/core.h"

#include <jansson.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_http_session cio_http_session;
typedef struct cio_http_response cio_http_response;

/* HTTP versions a request may ask for (libcurl negotiates). */
typedef enum cio_http_version {
    CIO_HTTP_VERSION_DEFAULT = 0, /* HTTP/2 over TLS when the server offers
                                     it by ALPN, else HTTP/1.1 */
    CIO_HTTP_VERSION_1_1,         /* HTTP/1.1 only */
    CIO_HTTP_VERSION_2_TLS,       /* as DEFAULT, and wait to multiplex on a
                                     connection being set up rather than open
                                     another (many streams, one connection) */
    CIO_HTTP_VERSION_2_PRIOR,     /* HTTP/2 without TLS, prior knowledge (h2c);
                                     a connection per request: libcurl 7.88
                                     cannot send a second one on it */
} cio_http_version;

/* aiohttp's ClientTimeout, in seconds. 0 takes the default (total 300 s,
 * the others none); CIO_HTTP_NO_TIMEOUT turns one off. total covers the
 * whole request, reading the body included; connect covers the TCP connect
 * and the TLS handshake; sock_read the longest wait for the next bytes
 * once connected. Each has its own error code, so the caller knows which
 * expired. */
#define CIO_HTTP_NO_TIMEOUT (-1.0)
typedef struct cio_http_timeout {
    double total, connect, sock_read;
} cio_http_timeout;

/* A session's settings; zero (or NULL for the whole struct) means the
 * default written beside each field. Strings are copied. */
typedef struct cio_http_session_options {
    const char *base_url; /* relative request URLs resolve against it */
    /* "Name: value" lines sent with every request, NULL-terminated; a
     * request's own header of the same name replaces one of these. */
    const char *const *headers;
    const char *user_agent; /* default "cio/<version> libcurl/<version>"; ""
                               sends none */
    /* TLS. The peer is verified unless tls_no_verify. CA certificates:
     * ca_file / ca_path, else the environment's SSL_CERT_FILE /
     * SSL_CERT_DIR, else the system's store. */
    const char *ca_file, *ca_path;
    const char *client_cert, *client_key; /* PEM files for client auth */
    /* Proxies: `proxy` ("http://host:port", "socks5h://..."); without one,
     * the environment's http_proxy / https_proxy / no_proxy are used only
     * when trust_env is set (aiohttp's trust_env). */
    const char *proxy;
    cio_http_timeout timeout; /* see cio_http_timeout */
    long max_redirects;       /* 0 = 10, -1 = do not follow redirects */
    long dns_cache_seconds;   /* 0 = 60, -1 = never expire */
    size_t max_body;          /* largest body read, in bytes; 0 = no limit */
    int limit;                /* connections in total: 0 = 100, -1 = no limit */
    int limit_per_host;       /* 0 = no limit */
    cio_http_version version; /* default version of the session's requests */
    bool no_cookies;          /* default: a cookie jar kept across requests */
    bool raise_for_status;    /* a status >= 400 fails with CIO_EHTTP_STATUS */
    bool tls_no_verify;
    bool trust_env;
    /* aiohttp's auto_decompress=False, and more: ask for no compressed
     * body (no Accept-Encoding) and decode none (a body comes as sent) */
    bool no_decompress;
} cio_http_session_options;

/* A new session on `loop` (NULL: the thread's loop). NULL on error
 * (CIO_EINVAL for a bad option, CIO_ENOMEM, CIO_ENOLOOP). Each session has
 * its own connection pool (keep-alive, its limits), DNS cache, TLS session
 * cache and cookie jar, as an aiohttp ClientSession has its connector. */
CIO_API cio_http_session *
cio_http_session_new(cio_loop *loop, const cio_http_session_options *opts);

/* Close the session: requests still in flight are cancelled (their tasks
 * get CIO_ECANCELED) and awaited; streaming responses still being received
 * end with CIO_EHTTP_CLOSED; the connections are closed. The session is
 * freed; responses already returned stay valid until released. 0, or
 * CIO_ENOTASK when requests are in flight and the caller is not a task (it
 * must wait for them; nothing is done then), CIO_EINVALIDSTATE when called
 * twice. NULL is a no-op. */
CIO_API int cio_http_session_close(cio_http_session *session);

/* Number of requests of the session in flight (awaited or streaming). */
CIO_API size_t cio_http_session_active(const cio_http_session *session);

/* A part of a multipart/form-data body: `data`/`len`, or the file at
 * `path`; `filename` and `content_type` are optional. */
typedef struct cio_http_part {
    const char *name;
    const void *data;
    size_t len;
    const char *path;
    const char *filename;
    const char *content_type;
} cio_http_part;

/* One request. Only url is needed; zero fields take the session's value.
 * At most one body: `body`/`body_len` (bytes, content_type as given),
 * `text` (text/plain; charset=utf-8), `form` (urlencoded), `parts`
 * (multipart/form-data) or `json`. */
typedef struct cio_http_request {
    const char *method; /* GET (default) POST PUT PATCH DELETE HEAD OPTIONS */
    const char *url;    /* absolute, or relative to the session's base_url */
    /* query parameters: key, value, key, value..., NULL; percent-encoded
     * and appended to the URL's own query */
    const char *const *params;
    const char *const *headers; /* "Name: value" lines, NULL-terminated */
    const void *body;
    size_t body_len;
    const char *content_type; /* of `body`; default application/octet-stream */
    const char *text;
    const char *const *form; /* key, value, ..., NULL; percent-encoded */
    const cio_http_part *parts;
    size_t nparts;
    const json_t *json;          /* serialized compactly, application/json */
    const char *user, *password; /* basic authentication */
    const char *bearer;          /* Authorization: Bearer <token> */
    cio_http_timeout timeout;    /* fields not 0 replace the session's */
    long max_redirects;          /* 0 = the session's, -1 = do not follow */
    cio_http_version version;    /* DEFAULT = the session's */
    size_t max_body;             /* 0 = the session's */
    /* Return once the headers are in; the body is then read as it arrives
     * with cio_http_response_read_chunk (or read/text/json). */
    bool stream;
} cio_http_request;

/* Send a request and wait for its response (with `stream`, for its
 * headers; otherwise for the whole body). On success *out is a response the
 * caller releases with cio_http_response_release. Errors (nothing in *out):
 *   CIO_EHTTP_CONNECT   connection refused / could not connect
 *   CIO_EHTTP_RESOLVE   the host name did not resolve
 *   CIO_EHTTP_TLS       TLS failed; the message has OpenSSL's reason (e.g.
 *                       "self-signed certificate")
 *   CIO_EHTTP_TIMEOUT_TOTAL / _CONNECT / _SOCK_READ   that timeout expired
 *   CIO_EHTTP_REDIRECTS more redirects than allowed
 *   CIO_EHTTP_TOO_LARGE the body is larger than max_body
 *   CIO_EHTTP_STATUS    status >= 400 with raise_for_status (the response
 *                       is freed; the message has status and reason)
 *   CIO_EHTTP_PAYLOAD   the connection closed in the middle of the body
 *   CIO_EHTTP_CLOSED    the session is closed
 *   CIO_EHTTP           any other transfer failure (libcurl's words)
 *   CIO_EINVAL, CIO_ENOMEM, CIO_ENOTASK, CIO_ECANCELED */
CIO_API int cio_http_request_send(cio_http_session *session,
                                  const cio_http_request *req,
                                  cio_http_response **out);

/* Shorthands for the common cases (no query, no extra headers). */
CIO_API int cio_http_get(cio_http_session *session, const char *url,
                         cio_http_response **out);
/* POST with a JSON body (serialized compactly). */
CIO_API int cio_http_post_json(cio_http_session *session, const char *url,
                               const json_t *json, cio_http_response **out);

/* ---- responses ---------------------------------------------------------- */

/* Status code (200), reason phrase ("OK"; "" when the server sent none, as
 * HTTP/2 servers do), version ("HTTP/1.1", "HTTP/2"), final URL (after
 * redirects). Never fail on a response; NULL or 0 for a NULL response. */
CIO_API int cio_http_response_status(const cio_http_response *r);
CIO_API const char *cio_http_response_reason(const cio_http_response *r);
CIO_API const char *cio_http_response_version(const cio_http_response *r);
CIO_API const char *cio_http_response_url(const cio_http_response *r);

/* Headers of the final response, in the order received. header() is the
 * first value of `name` (case-insensitive) or NULL; header_values() stores
 * up to `cap` values of `name` in order and returns how many there are;
 * header_at() gives the i-th header (name and value), false past the end. */
CIO_API const char *cio_http_response_header(const cio_http_response *r,
                                             const char *name);
CIO_API size_t cio_http_response_header_values(const cio_http_response *r,
                                               const char *name,
                                               const char **values, size_t cap);
CIO_API size_t cio_http_response_header_count(const cio_http_response *r);
CIO_API bool cio_http_response_header_at(const cio_http_response *r, size_t i,
                                         const char **name, const char **value);

/* Content type without parameters, lower case ("application/json"), or ""
 * without a Content-Type header; the declared charset ("iso-8859-1"), or
 * NULL when none was declared. */
CIO_API const char *cio_http_response_content_type(const cio_http_response *r);
CIO_API const char *cio_http_response_charset(const cio_http_response *r);

/* Redirects followed to get here (aiohttp's history), oldest first:
 * history_count() of them; history_url(i) is the URL that answered with a
 * redirect, its status in *status (may be NULL). NULL past the end. */
CIO_API size_t cio_http_response_history_count(const cio_http_response *r);
CIO_API const char *cio_http_response_history_url(const cio_http_response *r,
                                                  size_t i, int *status);

/* CIO_EHTTP_STATUS (with "404 Not Found for URL" as the message) when the
 * status is 400 or more, else 0. */
CIO_API int cio_http_response_raise_for_status(const cio_http_response *r);

/* The whole body (what read_chunk has not taken yet, if it was streamed),
 * waiting for the rest when it is streaming. The bytes belong to the
 * response (valid until release) and are followed by a NUL not counted in
 * *len. Errors as for a request (PAYLOAD, TOO_LARGE, timeouts, CLOSED). */
CIO_API int cio_http_response_read(cio_http_response *r, const char **data,
                                   size_t *len);

/* The body as UTF-8 text: converted with iconv from the declared charset
 * when it is another; without a charset, UTF-8 is assumed (and checked,
 * as for every charset: invalid bytes are an error, not replaced). The text
 * belongs to the response. CIO_EHTTP_DECODE when the bytes are not valid
 * in that charset or the charset is unknown. */
CIO_API int cio_http_response_text(cio_http_response *r, const char **text,
                                   size_t *len);

/* The body parsed as JSON; *out is a new reference (json_decref it).
 * CIO_EHTTP_CONTENT_TYPE when the content type is not JSON
 * (application/json or any +json) unless CIO_HTTP_JSON_ANY_TYPE is given,
 * as aiohttp's ContentTypeError; CIO_EHTTP_JSON for invalid JSON, with
 * jansson's line, column and reason in the message. */
#define CIO_HTTP_JSON_ANY_TYPE 1u
CIO_API int cio_http_response_json(cio_http_response *r, json_t **out,
                                   unsigned flags);

/* Streaming: copy up to `cap` bytes of body into buf as they arrive,
 * waiting when none are buffered. Returns the count, 0 at the end of the
 * body, or a negative error. While the task does not read, at most about
 * 64 KiB stay buffered: the transfer is paused (back-pressure) and resumed
 * by the next read. Cancelling a waiting read loses no byte. */
CIO_API ssize_t cio_http_response_read_chunk(cio_http_response *r, void *buf,
                                             size_t cap);

/* Free the response. A streaming transfer still running is stopped (its
 * connection is not reused). NULL is a no-op. */
CIO_API void cio_http_response_release(cio_http_response *r);

#if defined(__GNUC__) || defined(__clang__)
/* A response released when its variable goes out of scope, however the
 * block is left (a return, CIO_TRY), as jansson's json_auto_t gives a
 * document back: the `async with ... as response` of aiohttp. gcc and
 * clang only (the cleanup attribute). Initialize it, to NULL if nothing
 * else: a failed request leaves NULL, which the release ignores.
 *
 *     cio_http_response_auto *r = NULL;
 *     CIO_TRY(cio_http_get_once(url, &r));
 *     return cio_return_format(line, "%s", cio_http_response_header(r,
 * "Date"));
 */
static inline void cio__http_response_cleanup(cio_http_response **r) {
    cio_http_response_release(*r);
}
#define cio_http_response_auto                                                 \
    cio_http_response __attribute__((cleanup(cio__http_response_cleanup)))
#endif

/* ---- short forms: a request in one call --------------------------------- */

/* aiohttp.request(method, url): send `req` on a session of its own
 * (default options, the environment's SSL_CERT_FILE... as for any session)
 * made for this one request and closed before returning. The response
 * stays valid after that (it holds its whole body) until released with
 * cio_http_response_release. No raise_for_status: a 404 is a response.
 * Errors as cio_http_request_send; CIO_EINVAL for NULL arguments and for
 * req->stream (a streamed body needs a session that outlives the call).
 * Use a session for many requests: it keeps the connections open.
 *
 *     cio_http_response *r;
 *     CIO_TRY(cio_http_get_once("https://api.github.com/events", &r));
 *     printf("%s\n", cio_http_response_header(r, "Date"));
 *     cio_http_response_release(r);
 */
CIO_API int cio_http_request_once(const cio_http_request *req,
                                  cio_http_response **out);
/* cio_http_request_once of a GET of url. */
CIO_API int cio_http_get_once(const char *url, cio_http_response **out);

/* The JSON answer to a request, in one call: `async with
 * session.request(..., raise_for_status=True) as r: doc = await r.json()`.
 * Sends `req` on `session` (NULL: a session of its own for this request, as
 * cio_http_request_once), fails with CIO_EHTTP_STATUS ("404 Not Found for
 * URL") for a status of 400 or more, parses the body as
 * cio_http_response_json(r, out, 0) does (CIO_EHTTP_CONTENT_TYPE,
 * CIO_EHTTP_JSON), and releases the response. On success *out is a new
 * reference (json_decref it); on error it is NULL and the status is that
 * of the step that failed, with its message (cio_last_error_message).
 * CIO_EINVAL for a NULL req or out. req->stream is allowed (the body is
 * read whole). */
CIO_API int cio_http_request_json(cio_http_session *session,
                                  const cio_http_request *req, json_t **out);

/* cio_http_request_json of a GET: the notebook's aiohttp_get_json(url).
 *
 *     json_t *doc;
 *     CIO_TRY(cio_http_get_json(NULL, "https://api.ipify.org?format=json",
 *                               &doc));
 *     puts(json_string_value(json_object_get(doc, "ip")));
 *     json_decref(doc);
 */
CIO_API int cio_http_get_json(cio_http_session *session, const char *url,
                              json_t **out);

/* A JSON call of a REST API: `method` (NULL: GET) url with `body` (NULL:
 * none) sent as JSON, the answer's JSON in *out, as cio_http_request_json.
 *
 *     json_t *item = json_pack("{s:s}", "name", "pen"), *made;
 *     int err = cio_http_call_json(s, "POST", "/items", item, &made);
 *     json_decref(item);                  // the call only reads body
 *
 * CIO_EINVAL for a NULL out. */
CIO_API int cio_http_call_json(cio_http_session *session, const char *method,
                               const char *url, const json_t *body,
                               json_t **out);

/* The text of a GET, `await (await session.get(url)).text()` with
 * raise_for_status: decoded as cio_http_response_text, copied into a
 * malloc'd NUL-terminated string *text the caller frees, its length in
 * *len (len may be NULL). session NULL: a session of its own. On error
 * *text is NULL (CIO_EINVAL for a NULL text). */
CIO_API int cio_http_get_text(cio_http_session *session, const char *url,
                              char **text, size_t *len);

/* Take values out of a JSON document, `doc[key]` in Python: jansson's
 * json_unpack(doc, fmt, ...) (its format: "{s:s}" an object's string
 * member, "{s:i, s:[s]}"...; the strings stored are borrowed from doc),
 * with its failure as a cio error: CIO_EHTTP_JSON and jansson's words
 * ("Object item not found: ip", "Expected string, got integer") as the
 * message, where Python raises KeyError or TypeError. CIO_EINVAL for a
 * NULL doc or fmt. 0 on success.
 *
 *     const char *ip;
 *     int err = cio_json_unpack(doc, "{s:s}", "ip", &ip);
 */
CIO_API int cio_json_unpack(json_t *doc, const char *fmt, ...);

#ifdef __cplusplus
}
#endif

#endif /* CIO_HTTP_H */
