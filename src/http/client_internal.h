/* client_internal.h - what the files of the HTTP client share.
 *
 * A session owns a CURLM (its connection pool, DNS cache) driven by the
 * loop: a uv_poll_t per socket libcurl watches (kept until libcurl closes
 * the socket, so a kept-alive connection keeps it), one uv_timer_t for
 * libcurl's timeout. A transfer (the private part of a response) owns an
 * easy handle from the session's pool while libcurl works on it. Every
 * libcurl call that may run callbacks (socket_action, remove_handle) is
 * made on the loop's stack or from the task that owns the transfer, never
 * from inside a libcurl callback.
 */
#ifndef CIO_HTTP_CLIENT_INTERNAL_H
#define CIO_HTTP_CLIENT_INTERNAL_H

#include "core/internal.h"

#include <curl/curl.h>

/* A growing byte buffer, kept NUL-terminated. */
typedef struct cio__hbuf {
    char *data;
    size_t len, cap;
} cio__hbuf;
int cio__hbuf_append(cio__hbuf *b, const void *p, size_t n);
void cio__hbuf_free(cio__hbuf *b);

/* A response's headers: "name\0value\0" records in one buffer. */
typedef struct cio__headers {
    cio__hbuf text;
    size_t *off; /* offset of each record's name */
    size_t n, cap;
} cio__headers;

typedef struct cio__hop {
    char *url;
    int status;
} cio__hop;

typedef struct cio__session cio__session;

/* A socket libcurl watches or watched: its poll lives until libcurl closes
 * the socket (CURLOPT_CLOSESOCKETFUNCTION), so a kept-alive connection's
 * next transfer needs no new poll and no epoll_ctl. */
typedef struct cio__sock {
    uv_poll_t poll;
    cio__session *s;
    curl_socket_t fd;
    unsigned long ino; /* the socket's inode: tells a reused fd number */
    int events;        /* what the poll watches now (0: stopped) */
    bool idle; /* libcurl no longer watches it (a kept-alive connection) */
    struct cio__sock *prev, *next;
} cio__sock;

struct cio_http_response {
    cio__session *session; /* while the transfer runs, else NULL */
    CURL *easy;            /* while the transfer runs, else NULL */
    struct cio_http_response *prev, *next; /* the session's active list */
    cio__parking *waiter; /* the task waiting on this transfer, if any */
    struct curl_slist *headers_out;
    curl_mime *mime;
    char *body_out; /* request body the transfer owns (JSON, form) */
    char errbuf[CURL_ERROR_SIZE];
    uv_timer_t *read_timer; /* sock_read */
    double sock_read, t_connect, t_total, started;
    size_t max_body;
    /* the response */
    int status;
    bool in_status; /* a final (non-1xx) status line has been seen */
    bool headers_done, done, paused, stream, too_large;
    bool in_send;    /* its task waits in cio_http_request_send */
    bool orphan;     /* released while a task waited on it */
    bool follow;     /* libcurl follows redirects for it */
    size_t received; /* body bytes received in all */
    int error;       /* when done: 0 or a cio code */
    char *message;   /* its sentence */
    char *reason, *url, *version, *ctype, *charset;
    cio__headers hdr;
    cio__hop *hops;
    size_t nhops;
    cio__hbuf body;
    size_t taken; /* bytes of body given out by read_chunk */
    char *text;   /* converted text, when not the body itself */
    size_t text_len;
};

struct cio__session {
    cio_loop *loop;
    CURLM *multi;
    CURLSH *share;
    uv_timer_t *timer;
    struct cio__session *prev, *next; /* the loop's sessions */
    cio_http_response *active;        /* transfers in libcurl */
    size_t nactive;
    CURL **pool; /* idle easy handles */
    size_t npool, pool_cap;
    cio__parking *closer; /* the task waiting in cio_http_session_close */
    cio__sock *socks;     /* sockets libcurl asked to watch */
    cio__sock **byfd;     /* the same, by fd */
    size_t nbyfd;
    int sock_error; /* why on_socket last refused a socket (0: it did not) */
    bool closing, registered;
    /* options, copied */
    char *base_url, *user_agent, *proxy, *ca_file, *ca_path, *cert, *key;
    char **headers;
    size_t nheaders;
    bool cookies, raise_for_status, verify, trust_env;
    long max_redirects, dns_cache;
    cio_http_timeout timeout;
    cio_http_version version;
    size_t max_body;
};

struct cio_http_session {
    cio__session s;
};

/* engine (client_engine.c) */
int cio__engine_attach(cio__session *s); /* multi callbacks, loop hook */
void cio__engine_detach(cio__session *s);
int cio__engine_add(cio__session *s, cio_http_response *r);
/* Take r out of libcurl (if in) and give its easy handle back. */
void cio__engine_remove(cio_http_response *r);
CURL *cio__engine_easy(cio__session *s); /* from the pool, or a new one */
void cio__session_free(cio__session *s); /* client_session.c */

/* transfers (client_transfer.c) */
int cio__transfer_setup(cio__session *s, cio_http_response *r,
                        const cio_http_request *req);
void cio__transfer_finish(cio_http_response *r, CURLcode rc); /* loop side */
void cio__transfer_fail(cio_http_response *r, int code, const char *fmt, ...)
    CIO_PRINTF(3, 4);
void cio__response_free(cio_http_response *r);
/* Wait (parked) until r is done, or has headers (want_headers), or has
 * body bytes buffered; 0, CIO_ECANCELED, or CIO_EHTTP_CLOSED when the
 * response was released meanwhile (it is freed then: do not touch it). */
enum { CIO__WAIT_DONE, CIO__WAIT_HEADERS, CIO__WAIT_DATA };
int cio__response_wait(cio_http_response *r, int what);
void cio__response_wake(cio_http_response *r);

#endif /* CIO_HTTP_CLIENT_INTERNAL_H */
