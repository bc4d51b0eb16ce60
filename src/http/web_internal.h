/* web_internal.h - what the files of the HTTP server share.
 *
 * web_app.c       applications, routes, matching
 * web_server.c    servers: start, connection count, shutdown
 * web_conn.c      one connection's task: read, parse, dispatch, keep-alive
 * web_request.c   the request's accessors and body
 * web_response.c  building and sending responses
 */
#ifndef CIO_WEB_INTERNAL_H
#define CIO_WEB_INTERNAL_H

#include "cio.h"
#include "cio/web.h"
#include "core/internal.h" /* cio__set_error, cio__diag */

#include <http_parser.h>

typedef struct cio__web_kv {
    char *name, *value;
} cio__web_kv;

/* A growable array of name/value pairs (headers, query, path params). */
typedef struct cio__web_kvs {
    cio__web_kv *items;
    size_t n, cap;
} cio__web_kvs;

int cio__web_kvs_add(cio__web_kvs *kvs, const char *name, size_t nlen,
                     const char *value, size_t vlen);
const char *cio__web_kvs_get(const cio__web_kvs *kvs, const char *name,
                             bool nocase);
void cio__web_kvs_clear(cio__web_kvs *kvs);

/* Percent-decode s[0..n) into a new string (plus as space if `form`);
 * NULL for a bad escape or %00, or on ENOMEM (*bad says which). */
char *cio__web_unescape(const char *s, size_t n, bool form, bool *bad);

typedef struct cio__web_route {
    char *method; /* "*" for any */
    char **segs;  /* pattern segments; "{x}" ones are parameters */
    size_t nsegs;
    cio_web_handler fn;
    void *arg;
} cio__web_route;

struct cio_web_app {
    cio__web_route *routes;
    size_t nroutes, cap;
    unsigned servers; /* servers serving it */
};

/* The route for method + path, its parameters into req->params. 0, 404
 * (no route has that path) or 405 (*allow lists the methods that do:
 * "GET, HEAD, POST", malloc'd). Negative on ENOMEM. */
int cio__web_app_match(cio_web_app *app, cio_web_request *req,
                       const cio__web_route **out, char **allow);

typedef struct cio__web_conn cio__web_conn;

struct cio_web_server {
    cio_web_app *app;
    cio_server *net;
    cio_web_server_options opts;
    cio__web_conn *conns; /* live connections */
    unsigned nconns;
    bool shutting_down, freed;
};

/* The parse state of the request being read. */
enum { WEB_IN_HEADERS, WEB_IN_BODY, WEB_COMPLETE };

struct cio_web_request {
    cio__web_conn *conn;
    char method[24];
    char *target;      /* raw request target */
    size_t target_len; /* while it arrives */
    char *path;        /* decoded */
    char *query;       /* raw query ("" if none) */
    cio__web_kvs headers, query_kv, params;
    bool query_parsed;
    char *field;      /* header name being received */
    size_t field_len; /* 0 once the value started */
    char *value;      /* its value so far */
    size_t value_len;
    bool in_value;
    size_t header_bytes;  /* for max_header_size */
    int version;          /* 10 or 11 */
    int state;            /* WEB_IN_HEADERS... */
    int limit_status;     /* 414 / 431 / 413 set by a parser callback */
    bool keep_alive;      /* the client allows it */
    bool expect_continue; /* "Expect: 100-continue" not answered yet */
    char *pend;           /* body bytes parsed but not read yet */
    size_t pend_off, pend_len, pend_cap;
    size_t body_seen; /* body bytes the parser delivered so far */
    char *body;       /* cio_web_request_body's copy */
    size_t body_len;
    json_t *json;
    double started; /* loop time of the first byte */
};

struct cio_web_response {
    cio__web_conn *conn;
    int status;
    cio__web_kvs headers;
    char *body;
    size_t body_len;
    bool has_length; /* set_length was called (streaming) */
    size_t length;
    bool prepared, chunked, finished, aborted, head;
    size_t sent; /* body bytes sent */
};

struct cio__web_conn {
    cio_web_server *srv;
    cio_stream *stream;
    http_parser parser;
    char *buf; /* bytes read from the client */
    size_t off, len, cap;
    cio_timeout_scope *deadline; /* read_timeout / keepalive_timeout */
    bool idle;                   /* between requests */
    bool timed_out;              /* the deadline expired in a read */
    bool close_after;            /* Connection: close on this response */
    cio_web_request req;
    cio_web_response resp;
    cio__web_conn *prev, *next;
};

/* The handler the net server runs for each accepted stream. */
/* Bytes read from the client at a time. */
#define CIO__WEB_READ_SIZE ((size_t)16 * 1024)

void cio__web_conn_main(cio_stream *stream, void *arg);

/* Feed buffered bytes to the parser (it pauses at the end of a message, so
 * a pipelined request stays buffered); with read_more, read from the
 * client first when nothing is buffered.
 * 0, or a code (CIO_EWEB_BAD_REQUEST, CIO_ETIMEDOUT, the stream's). */
int cio__web_conn_advance(cio__web_conn *c, bool read_more);
/* Wait on the client with the conn's deadline: like cio_stream_read. */
ssize_t cio__web_conn_read(cio__web_conn *c, void *buf, size_t n);

void cio__web_request_reset(cio_web_request *req);
void cio__web_response_reset(cio_web_response *resp, bool head);
/* Send the response if the handler did not (and finish a streamed one). */
int cio__web_response_complete(cio_web_response *resp);
/* A response of the server's own (404, 431...) with a short text body. */
int cio__web_response_error(cio_web_response *resp, int status,
                            const char *text);
const char *cio__web_reason(int status);

#endif /* CIO_WEB_INTERNAL_H */
