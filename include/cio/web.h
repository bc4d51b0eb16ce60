/* cio/web.h - an HTTP/1.1 server: aiohttp.web's core in C.
 *
 * An application holds routes (method + path pattern -> handler). A server
 * serves an application on cio's streams (plain or TLS): every connection
 * runs in a task of its own, reads requests with a parser library
 * (libhttp-parser), and runs the route's handler for each, in order, on
 * that task. A handler reads like sequential code:
 *
 *     static int hello(cio_web_request *req, cio_web_response *resp,
 *                      void *arg) {
 *         const char *name = cio_web_request_param(req, "name");
 *         return cio_web_response_set_text(resp, "Hello, %s\n", name);
 *     }
 *     ...
 *     cio_web_app *app = cio_web_app_new();
 *     cio_web_app_route(app, "GET", "/hello/{name}", hello, NULL);
 *     cio_web_server *srv;
 *     cio_web_serve(app, "127.0.0.1", 8080, NULL, &srv);
 *     cio_web_server_serve_forever(srv);
 *
 * What the server does for you, as aiohttp does: keep-alive with an idle
 * timeout, pipelined requests answered in order, HEAD for every GET route,
 * 404 and 405 (with Allow), Date / Content-Length / Connection headers,
 * "100 Continue" when a handler reads a body the client waits to send, and
 * limits answered with the right status: request line (414), header size or
 * count (431), body size (413), slow clients (408), connection count (503),
 * malformed requests (400, then the connection closes); the server's own
 * failure to read or route a request (out of memory) answers 500.
 *
 * A handler returns 0 when it has set the response, or an error code: the
 * client then gets 500 (and a diagnostic names the route and the error),
 * except for the codes that mean a status of their own: CIO_EWEB_TOO_LARGE
 * (413), CIO_EWEB_BAD_REQUEST (400, e.g. invalid JSON: the body says line,
 * column and why), CIO_ETIMEDOUT from a body read (408). A handler never
 * kills the server.
 *
 * Everything here belongs to the loop the server runs on and to its
 * thread. Request and response objects live for one handler call.
 */
#ifndef CIO_WEB_H
#define CIO_WEB_H

#include "core.h"
#include "net.h"

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_web_app cio_web_app;
typedef struct cio_web_server cio_web_server;
typedef struct cio_web_request cio_web_request;
typedef struct cio_web_response cio_web_response;

/* A route's handler: fill in `resp` and return 0, or return an error code
 * (see above). `arg` is the one given to cio_web_app_route. */
typedef int (*cio_web_handler)(cio_web_request *req, cio_web_response *resp,
                               void *arg);

/* ------------------------------------------------------------------------ */
/* Applications and routes                                                  */
/* ------------------------------------------------------------------------ */

/* A new application without routes. NULL on failure (cio_last_error()). */
CIO_API cio_web_app *cio_web_app_new(void);

/* Add a route: `method` ("GET", "POST"... any token; "*" for every method)
 * and a path pattern: literal segments and "{name}" segments, each of which
 * matches one non-empty path segment (read it with cio_web_request_param),
 * e.g. "/users/{id}/posts". Routes are tried in the order added. A GET
 * route answers HEAD too. Returns 0, CIO_EINVAL (NULL, a method that is not
 * a token, a pattern that does not start with '/', an unclosed '{'),
 * CIO_ENOMEM, -EBUSY while a server serves the app. */
CIO_API int cio_web_app_route(cio_web_app *app, const char *method,
                              const char *pattern, cio_web_handler handler,
                              void *arg);

/* Free the application. -EBUSY (nothing done) while a server still
 * serves it: free the servers first. NULL is a no-op (0). */
CIO_API int cio_web_app_free(cio_web_app *app);

/* ------------------------------------------------------------------------ */
/* Servers                                                                  */
/* ------------------------------------------------------------------------ */

/* One line of the access log, given to the access_log callback after each
 * response (strings valid during the call only). */
typedef struct cio_web_access {
    const char *peer;   /* "127.0.0.1:50312" */
    const char *method; /* "GET" */
    const char *target; /* the request target as sent: "/a?b=c" */
    int version;        /* 10 or 11 */
    int status;         /* 200 */
    size_t body_bytes;  /* bytes of the response body sent */
    double seconds;     /* from the request's first byte to the response */
} cio_web_access;

typedef struct cio_web_server_options {
    /* Binding, TLS, backlog... as cio_start_server (all zero: defaults). */
    cio_server_options net;
    size_t max_line;        /* request line; 0: 8190 bytes (then 414) */
    size_t max_header_size; /* all header lines; 0: 32 KiB (then 431) */
    unsigned max_headers;   /* header count; 0: 100 (then 431) */
    size_t max_body;        /* request body; 0: 1 MiB, aiohttp's (413) */
    /* Seconds a request may take to arrive once its first byte came, for
     * each wait on the client; 0: 60 s (then 408 and close). */
    double read_timeout;
    /* Seconds an idle keep-alive connection is kept; 0: 75 s as aiohttp;
     * negative: no keep-alive (Connection: close after every response). */
    double keepalive_timeout;
    unsigned max_connections; /* 0: no limit; beyond it 503 and close */
    void (*access_log)(const cio_web_access *entry, void *arg);
    void *access_log_arg;
} cio_web_server_options;

/* Serve `app` on host:port (port 0: a free port, see cio_web_server_port;
 * host NULL: every interface) with `opts` (NULL: defaults). Does not
 * suspend; accepting starts at once, on the running loop. The app must
 * outlive the server. Returns 0 and the server in *out, or the codes of
 * cio_start_server. */
CIO_API int cio_web_serve(cio_web_app *app, const char *host, int port,
                          const cio_web_server_options *opts,
                          cio_web_server **out);
/* The same on a UNIX socket at path. */
CIO_API int cio_web_serve_unix(cio_web_app *app, const char *path,
                               const cio_web_server_options *opts,
                               cio_web_server **out);

/* The port the server listens on (its first address), or a negative code. */
CIO_API int cio_web_server_port(const cio_web_server *srv);

/* Suspend until the calling task is cancelled (aiohttp's run_app without
 * the signal handling): returns CIO_ECANCELED; the server keeps its
 * connections until shutdown or free. */
CIO_API int cio_web_server_serve_forever(cio_web_server *srv);

/* Graceful shutdown: stop accepting, close idle keep-alive connections, let
 * requests in flight finish (their responses say Connection: close) for up
 * to `timeout` seconds (negative: no limit), then abort the connections
 * left. Suspends. Returns 0 when everything finished in time, CIO_ETIMEDOUT
 * when connections had to be aborted, CIO_ECANCELED (the connections are
 * aborted), CIO_ENOTASK. */
CIO_API int cio_web_server_shutdown(cio_web_server *srv, double timeout);

/* Give the server back: stops accepting and aborts what is still open if
 * shutdown was not called. Does not suspend. NULL is a no-op. */
CIO_API void cio_web_server_free(cio_web_server *srv);

/* ------------------------------------------------------------------------ */
/* Requests (valid during the handler call)                                 */
/* ------------------------------------------------------------------------ */

/* The request's method ("GET"), NULL for NULL. */
CIO_API const char *cio_web_request_method(const cio_web_request *req);
/* The request target as sent ("/a%20b?x=1"), the decoded path ("/a b")
 * and the raw query string ("x=1", "" if none). */
CIO_API const char *cio_web_request_target(const cio_web_request *req);
CIO_API const char *cio_web_request_path(const cio_web_request *req);
CIO_API const char *cio_web_request_query_string(const cio_web_request *req);
/* The first value of query parameter `name`, decoded ('+' is a space),
 * or NULL if absent (a pair with a malformed %-escape counts as absent).
 * NULL too when memory ran out splitting the query: cio_last_error() is
 * then CIO_ENOMEM (a handler returning it answers 500). */
CIO_API const char *cio_web_request_query(const cio_web_request *req,
                                          const char *name);
/* The value of the route's "{name}" segment (decoded), or NULL. */
CIO_API const char *cio_web_request_param(const cio_web_request *req,
                                          const char *name);
/* The first header named `name` (case-insensitive), or NULL. Every header,
 * in the order received: count, and at(i) (0 or CIO_EINVAL past the end). */
CIO_API const char *cio_web_request_header(const cio_web_request *req,
                                           const char *name);
CIO_API size_t cio_web_request_header_count(const cio_web_request *req);
CIO_API int cio_web_request_header_at(const cio_web_request *req, size_t i,
                                      const char **name, const char **value);
/* 10 for HTTP/1.0, 11 for HTTP/1.1. */
CIO_API int cio_web_request_version(const cio_web_request *req);
/* The client's address (0, or a code as cio_stream_peername). */
CIO_API int cio_web_request_peer(const cio_web_request *req,
                                 struct sockaddr *addr, socklen_t *len);
/* The connection's stream (for TLS details: cio_stream_tls...). */
CIO_API cio_stream *cio_web_request_stream(const cio_web_request *req);

/* The body in chunks, as it arrives (Content-Length or chunked): up to n
 * bytes into buf; suspends until some are there. Returns the count, 0 at
 * the end of the body, CIO_EWEB_TOO_LARGE past max_body, CIO_ETIMEDOUT
 * (read_timeout), CIO_EWEB_BAD_REQUEST (a malformed chunk), the
 * connection's error, CIO_ECANCELED. */
CIO_API ssize_t cio_web_request_read(cio_web_request *req, void *buf, size_t n);
/* The whole body (what cio_web_request_read has not taken yet), kept by
 * the request and NUL-terminated for convenience: *data points to it.
 * Returns its length or a code as cio_web_request_read. */
CIO_API ssize_t cio_web_request_body(cio_web_request *req, const char **data);
/* The body parsed as JSON (borrowed: the request owns it; json_incref to
 * keep it). Returns 0, CIO_EWEB_BAD_REQUEST with jansson's "line L, column
 * C: why" as the message (cio_last_error_message(); a handler that returns
 * the code answers 400 with it), or a code as cio_web_request_body. */
CIO_API int cio_web_request_json(cio_web_request *req, json_t **out);

/* ------------------------------------------------------------------------ */
/* Responses                                                                */
/* ------------------------------------------------------------------------ */

/* Every response call returns 0 or a negative code with a message naming
 * the call (cio_last_error_message()): CIO_EINVAL for a NULL response or a
 * bad argument, CIO_ENOMEM, and the codes listed with each call. */

/* The status (default 200; 100..999, else CIO_EINVAL). After the headers
 * are sent (cio_web_response_prepare) these calls return
 * CIO_EWEB_HEADERS_SENT. */
CIO_API int cio_web_response_set_status(cio_web_response *resp, int status);
/* Add a header line (several with one name are kept in order); set
 * replaces every line of that name. CIO_EINVAL for a name that is not a
 * token or a value with CR or LF. Date, Content-Length, Connection and
 * Transfer-Encoding are the server's own: CIO_EINVAL. */
CIO_API int cio_web_response_add_header(cio_web_response *resp,
                                        const char *name, const char *value);
CIO_API int cio_web_response_set_header(cio_web_response *resp,
                                        const char *name, const char *value);

/* The body (copied) and its Content-Type (NULL: application/octet-stream).
 * Replaces an earlier body. */
CIO_API int cio_web_response_set_body(cio_web_response *resp, const void *data,
                                      size_t len, const char *content_type);
/* A printf-formatted text body, "text/plain; charset=utf-8". */
CIO_API int cio_web_response_set_text(cio_web_response *resp, const char *fmt,
                                      ...) CIO_PRINTF(2, 3);
/* A JSON body, "application/json" (compact; the value is not kept). */
CIO_API int cio_web_response_set_json(cio_web_response *resp,
                                      const json_t *value);
/* status (301, 302, 303, 307, 308) with Location: location. */
CIO_API int cio_web_response_redirect(cio_web_response *resp, int status,
                                      const char *location);

/* Streaming: send the status and headers now. The body then goes out with
 * cio_web_response_write as it is produced: chunked, unless the handler set
 * a Content-Length with cio_web_response_set_length first. Suspends while
 * the client is slow (drain). 0, the connection's error, CIO_ECANCELED. */
CIO_API int cio_web_response_set_length(cio_web_response *resp, size_t len);
CIO_API int cio_web_response_prepare(cio_web_response *resp);
/* Send n body bytes (prepares first if needed). Suspends while the client
 * is slow. CIO_EINVAL beyond a declared length. */
CIO_API int cio_web_response_write(cio_web_response *resp, const void *data,
                                   size_t n);
/* End a streamed body (the last chunk). Done for you when the handler
 * returns 0; CIO_EINVAL if a declared length was not reached, CIO_ECLOSED
 * if the connection was lost, or the connection's error. */
CIO_API int cio_web_response_finish(cio_web_response *resp);
/* Drop the connection now, whatever was sent (a body cut short, for a
 * client's fault tests): the response is not completed. */
CIO_API void cio_web_response_abort(cio_web_response *resp);

#ifdef __cplusplus
}
#endif

#endif /* CIO_WEB_H */
