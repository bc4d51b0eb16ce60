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

/* A growing byte buffer, kept NUL-terminated (client_buf.c); zeroed, it
 * is empty. */
typedef struct cio__hbuf {
    char *data;
    size_t len, cap;
} cio__hbuf;
int cio__hbuf_append(cio__hbuf *b, const void *p, size_t n);
int cio__hbuf_reserve(cio__hbuf *b, size_t cap); /* cap bytes in all */
void cio__hbuf_free(cio__hbuf *b);

/* Strings that live as long as their response: carved from a first block
 * inside it, then from heap blocks, all freed at once (client_buf.c). */
typedef struct cio__arena {
    char *at;
    size_t left;
    void *more; /* the heap blocks, newest first */
} cio__arena;
void cio__arena_init(cio__arena *a, char *first, size_t cap);
char *cio__arena_dup(cio__arena *a, const char *s, size_t n); /* NULL: ENOMEM */
/* "s1\0s2\0" in one piece: a header's name and value */
char *cio__arena_pair(cio__arena *a, const char *s1, size_t n1, const char *s2,
                      size_t n2);
void cio__arena_free(cio__arena *a);

/* A response's headers: each a "name\0value\0" record in its arena. */
#define CIO__HEADERS_FIRST 16
typedef struct cio__headers {
    const char **rec; /* first, or allocated once there are more */
    size_t n, cap;
    const char *first[CIO__HEADERS_FIRST];
} cio__headers;

typedef struct cio__hop {
    const char *url;
    int status;
} cio__hop;

typedef struct cio__session cio__session;

/* An easy handle of a session's, with what stays with it from one transfer
 * to the next: libcurl's error buffer, and whether its last request set
 * options a plain GET does not set again (a body, a method, auth,
 * FORBID_REUSE...): a dirty handle is reset before its next use. */
/* Options a request sets on its easy handle, whose last values the handle
 * remembers: a request with the same value sets nothing. */
enum {
    CIO__OPT_CONNECT,
    CIO__OPT_FOLLOW,
    CIO__OPT_REDIRS,
    CIO__OPT_MAXSIZE,
    CIO__OPT_VERSION,
    CIO__OPT_PIPEWAIT,
    CIO__NOPTS
};

typedef struct cio__easy {
    CURL *h;
    struct cio_http_response *r; /* the transfer it serves, if any */
    bool dirty;
    long last[CIO__NOPTS];            /* LONG_MIN: not known */
    char *url;                        /* the URL set last, or NULL */
    const struct curl_slist *headers; /* the header list set last */
    char errbuf[CURL_ERROR_SIZE];
} cio__easy;
/* Set opt to v unless the handle has it already. */
void cio__easy_long(cio__easy *ez, int slot, CURLoption opt, long v);

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

/* Bytes of a response's strings inside it: with the rest of it, the
 * response stays under 1,008 bytes, a small chunk for glibc's malloc (a
 * larger one consolidates its free lists first, at every allocation) */
#define CIO__STRS_FIRST 512

struct cio_http_response {
    cio__session *session; /* while the transfer runs, else NULL */
    cio__easy *ez;         /* while the transfer runs, else NULL */
    CURL *easy;            /* ez->h */
    struct cio_http_response *prev, *next; /* the session's active list */
    cio__parking *waiter; /* the task waiting on this transfer, if any */
    struct curl_slist *headers_out;
    curl_mime *mime;
    char *body_out;         /* request body the transfer owns (JSON, form) */
    uv_timer_t *read_timer; /* sock_read */
    double sock_read, t_connect, t_total, started;
    /* the total timeout: when it expires (uv_now's ms), in the session's
     * list of deadlines while the transfer runs (0: none) */
    uint64_t deadline;
    struct cio_http_response *dl_prev, *dl_next;
    size_t max_body;
    /* the response */
    int status;
    bool in_status; /* a final (non-1xx) status line has been seen */
    bool headers_done, done, paused, stream, too_large;
    bool in_send;    /* its task waits in cio_http_request_send */
    bool orphan;     /* released while a task waited on it */
    bool follow;     /* libcurl follows redirects for it */
    bool ended_ok;   /* libcurl finished it with CURLE_OK */
    bool was_paused; /* it was paused once */
    size_t received; /* body bytes received in all */
    int error;       /* when done: 0 or a cio code */
    char *message;   /* its sentence */
    /* in strs, as the headers: */
    const char *reason, *url, *version, *ctype, *charset;
    const char *ctype_raw; /* the Content-Type header's value */
    cio__headers hdr;
    cio__hop *hops; /* their URLs in strs too */
    size_t nhops;
    cio__hbuf body;
    size_t taken; /* bytes of body given out by read_chunk */
    char *text;   /* converted text, when not the body itself */
    size_t text_len;
    cio__arena strs;
    /* the first storage of strs: most responses need no more */
    char strs_first[CIO__STRS_FIRST];
};

struct cio__session {
    cio_loop *loop;
    CURLM *multi;
    CURLSH *share;
    uv_timer_t *timer;
    /* the transfers with a total timeout, earliest deadline first, and
     * the timer that expires them */
    uv_timer_t *dl_timer;
    cio_http_response *dl_head, *dl_tail;
    struct cio__session *prev, *next; /* the loop's sessions */
    cio_http_response *active;        /* transfers in libcurl */
    size_t nactive;
    /* Idle easy handles, set with the session's options; a dirty one is
     * reset and set again when taken. */
    cio__easy **pool;
    size_t npool, pool_cap;
    cio__parking *closer; /* the task waiting in cio_http_session_close */
    cio__sock *socks;     /* sockets libcurl asked to watch */
    cio__sock **byfd;     /* the same, by fd */
    size_t nbyfd;
    int sock_error; /* why on_socket last refused a socket (0: it did not) */
    bool closing, registered;
    /* options, copied */
    char *base_url, *proxy, *ca_file, *ca_path, *cert, *key;
    /* header lines of every request (User-Agent, Accept-Encoding too),
     * and the same as a list for libcurl, built once */
    char **headers;
    size_t nheaders;
    struct curl_slist *hlist;
    bool cookies, raise_for_status, verify, trust_env, decompress;
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
/* An easy handle set with the session's options: from the pool, or new. */
cio__easy *cio__engine_easy(cio__session *s);
/* Give back an easy handle that is not in the multi handle. */
void cio__engine_give_back(cio__session *s, cio__easy *ez);
/* Free an easy handle (the pool's, at the session's end). */
void cio__engine_easy_free(cio__easy *ez);
void cio__session_free(cio__session *s); /* client_session.c */

/* The options every request of the session shares, set once per easy
 * handle (client_request.c), and the callbacks (client_transfer.c). */
void cio__easy_configure(cio__session *s, CURL *easy);
void cio__easy_callbacks(cio__easy *ez);

/* transfers (client_transfer.c) */
int cio__transfer_setup(cio__session *s, cio_http_response *r,
                        const cio_http_request *req);
void cio__transfer_finish(cio_http_response *r, CURLcode rc); /* loop side */
void cio__transfer_fail(cio_http_response *r, int code, const char *fmt, ...)
    CIO_PRINTF(3, 4);
cio_http_response *cio__response_new(void); /* NULL: out of memory */
void cio__response_free(cio_http_response *r);
/* Wait (parked) until r is done, or has headers (want_headers), or has
 * body bytes buffered; 0, CIO_ECANCELED, or CIO_EHTTP_CLOSED when the
 * response was released meanwhile (it is freed then: do not touch it). */
enum { CIO__WAIT_DONE, CIO__WAIT_HEADERS, CIO__WAIT_DATA };
int cio__response_wait(cio_http_response *r, int what);
void cio__response_wake(cio_http_response *r);

#endif /* CIO_HTTP_CLIENT_INTERNAL_H */
