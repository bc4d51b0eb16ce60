/* web_server.c - serving an application: the connection loop (requests in
 * order, keep-alive), dispatch to the route with the server's own answers
 * for limits and failures, the access log, and graceful shutdown. */
#include "http/web_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- dispatch ------------------------------------------------------------ */

static void access_log(cio__web_conn *c) {
    const cio_web_server_options *o = &c->srv->opts;
    if (!o->access_log)
        return;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char peer[128] = "-";
    if (cio_stream_peername(c->stream, (struct sockaddr *)&ss, &len) == 0)
        cio_sockaddr_str((struct sockaddr *)&ss, peer, sizeof peer);
    cio_web_access e = {
        .peer = peer,
        .method = c->req.method,
        .target = c->req.target ? c->req.target : "",
        .version = c->req.version,
        .status = c->resp.status,
        .body_bytes = c->resp.sent,
        .seconds = cio_loop_time(cio_get_running_loop()) - c->req.started,
    };
    o->access_log(&e, o->access_log_arg);
}

static bool client_gone(int rc) {
    return rc == CIO_ECANCELED || rc == CIO_ECLOSED || rc == CIO_EINCOMPLETE ||
           rc == -ECONNRESET || rc == -EPIPE || rc == -ECONNABORTED ||
           rc == -ENOTCONN;
}

/* The answer to a handler's error: a status of its own, or 500; false when
 * there is nobody to answer (the client went, the server is stopping). */
static bool handler_failed(cio__web_conn *c, int rc) {
    cio_web_response *resp = &c->resp;
    if (client_gone(rc) && !c->timed_out) {
        c->close_after = true;
        return false;
    }
    if (resp->prepared) {
        cio__diag("web: %s %s: handler failed after sending the headers: %s; "
                  "connection dropped",
                  c->req.method, c->req.path, cio_strerror(rc));
        cio_web_response_abort(resp);
        return false;
    }
    if (c->timed_out) {
        c->close_after = true;
        cio__web_response_error(resp, 408, NULL);
    } else if (rc == CIO_EWEB_TOO_LARGE) {
        c->close_after = true;
        cio__web_response_error(resp, 413, NULL);
    } else if (rc == CIO_EWEB_BAD_REQUEST) {
        cio__web_response_error(resp, 400, cio_last_error_message());
    } else {
        cio__diag("web: %s %s: handler failed: %s (%s)", c->req.method,
                  c->req.path, cio_strerror(rc), cio_last_error_message());
        cio__web_response_error(resp, 500, NULL);
    }
    return true;
}

/* Skip what the handler left of the body, if that is cheap; else close. */
static void skip_body(cio__web_conn *c) {
    char sink[4096];
    size_t budget = (size_t)256 * 1024;
    while (c->req.state != WEB_COMPLETE && !c->close_after) {
        ssize_t n = cio_web_request_read(&c->req, sink, sizeof sink);
        if (n <= 0 || (size_t)n > budget)
            c->close_after = true;
        else
            budget -= (size_t)n;
    }
}

static void dispatch(cio__web_conn *c) {
    cio_web_request *req = &c->req;
    cio_web_response *resp = &c->resp;
    cio__web_response_reset(resp, strcmp(req->method, "HEAD") == 0);
    c->close_after = !req->keep_alive || c->srv->opts.keepalive_timeout < 0 ||
                     c->srv->shutting_down;
    const cio__web_route *route = NULL;
    char *allow = NULL;
    bool answer = true;
    int m = req->limit_status == 413
                ? 413
                : cio__web_app_match(c->srv->app, req, &route, &allow);
    if (m == 413) {
        c->close_after = true;
        cio__web_response_error(resp, 413, NULL);
    } else if (m == 404 || m == 405) {
        cio__web_response_error(resp, m, NULL);
        if (allow)
            cio_web_response_set_header(resp, "Allow", allow);
    } else if (m < 0) {
        cio__web_response_error(resp, 500, NULL);
    } else {
        int rc = route->fn(req, resp, route->arg);
        answer = rc == 0 || handler_failed(c, rc);
    }
    free(allow);
    if (answer && !resp->aborted) {
        skip_body(c);
        if (cio__web_response_complete(resp) != 0)
            c->close_after = true;
    }
    access_log(c);
}

/* ---- the connection's task ------------------------------------------------
 */

/* Answer a request that could not be read (limit, malformed, timeout). */
static void refuse(cio__web_conn *c, int err) {
    int status = c->timed_out ? 408 : c->req.limit_status;
    if (!status && err == CIO_EWEB_BAD_REQUEST)
        status = 400;
    if (!status || c->idle)
        return;
    c->close_after = true;
    if (!c->req.version)
        c->req.version = 11;
    cio__web_response_reset(&c->resp, false);
    cio__web_response_error(&c->resp, status, NULL);
    cio__web_response_complete(&c->resp);
    access_log(c);
}

static void serve(cio__web_conn *c) {
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    for (;;) {
        cio__web_request_reset(&c->req);
        c->idle = true;
        int err = 0;
        while (!err && c->req.state == WEB_IN_HEADERS)
            err = cio__web_conn_advance(c, true);
        if (!err && c->req.limit_status && c->req.limit_status != 413)
            err = CIO_EWEB_BAD_REQUEST;
        if (err) {
            refuse(c, err);
            return;
        }
        dispatch(c);
        if (c->close_after || c->srv->shutting_down)
            return;
    }
}

static void conn_free(cio__web_conn *c) {
    cio__web_request_reset(&c->req);
    cio__web_response_reset(&c->resp, false);
    free(c->req.headers.items);
    free(c->req.query_kv.items);
    free(c->req.params.items);
    free(c->req.pend);
    free(c->resp.headers.items);
    free(c->buf);
}

static void server_unref(cio_web_server *srv);

void cio__web_conn_main(cio_stream *stream, void *arg) {
    cio_web_server *srv = arg;
    cio__web_conn c = {.srv = srv, .stream = stream};
    c.req.conn = &c;
    c.resp.conn = &c;
    c.next = srv->conns;
    if (srv->conns)
        srv->conns->prev = &c;
    srv->conns = &c;
    srv->nconns++;
    c.buf = malloc(CIO__WEB_READ_SIZE);
    c.cap = CIO__WEB_READ_SIZE;
    c.deadline = c.buf ? cio_timeout(CIO_NO_TIMEOUT) : NULL;
    if (srv->opts.max_connections && srv->nconns > srv->opts.max_connections) {
        static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                   "Content-Length: 0\r\n"
                                   "Connection: close\r\n\r\n";
        cio_stream_write(stream, busy, sizeof busy - 1);
    } else if (c.deadline) {
        serve(&c);
    }
    if (c.deadline)
        cio_timeout_end(c.deadline, 0);
    conn_free(&c);
    if (c.prev)
        c.prev->next = c.next;
    else
        srv->conns = c.next;
    if (c.next)
        c.next->prev = c.prev;
    server_unref(srv);
}

/* ---- servers ----------------------------------------------------------- */

static void server_unref(cio_web_server *srv) {
    if (--srv->nconns == 0 && srv->freed) {
        srv->app->servers--;
        free(srv);
    }
}

static int start(cio_web_app *app, const char *host, int port, const char *path,
                 const cio_web_server_options *opts, cio_web_server **out) {
    if (!app || !out || (!path && (port < 0 || port > 65535))) {
        cio__set_error(CIO_EINVAL, "cio_web_serve: needs an app, a port "
                                   "0..65535 and somewhere to put the server");
        return CIO_EINVAL;
    }
    cio_web_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return CIO_ENOMEM;
    srv->app = app;
    if (opts)
        srv->opts = *opts;
    cio_web_server_options *o = &srv->opts;
    o->max_line = o->max_line ? o->max_line : 8190;
    o->max_header_size =
        o->max_header_size ? o->max_header_size : (size_t)32 * 1024;
    o->max_headers = o->max_headers ? o->max_headers : 100;
    o->max_body = o->max_body ? o->max_body : (size_t)1024 * 1024;
    o->read_timeout = o->read_timeout > 0 ? o->read_timeout : 60;
    o->keepalive_timeout = o->keepalive_timeout ? o->keepalive_timeout : 75;
    int err = path ? cio_start_unix_server(cio__web_conn_main, srv, path,
                                           &o->net, &srv->net)
                   : cio_start_server(cio__web_conn_main, srv, host, port,
                                      &o->net, &srv->net);
    if (err) {
        free(srv);
        return err;
    }
    app->servers++;
    *out = srv;
    return 0;
}

int cio_web_serve(cio_web_app *app, const char *host, int port,
                  const cio_web_server_options *opts, cio_web_server **out) {
    return start(app, host, port, NULL, opts, out);
}

int cio_web_serve_unix(cio_web_app *app, const char *path,
                       const cio_web_server_options *opts,
                       cio_web_server **out) {
    if (!path) {
        cio__set_error(CIO_EINVAL, "cio_web_serve_unix: NULL path");
        return CIO_EINVAL;
    }
    return start(app, NULL, 0, path, opts, out);
}

int cio_web_server_port(const cio_web_server *srv) {
    return srv ? cio_server_port(srv->net) : CIO_EINVAL;
}

int cio_web_server_serve_forever(cio_web_server *srv) {
    if (!srv)
        return cio__error(CIO_EINVAL,
                          "cio_web_server_serve_forever: server is NULL");
    return cio_server_serve_forever(srv->net);
}

int cio_web_server_shutdown(cio_web_server *srv, double timeout) {
    if (!srv)
        return cio__error(CIO_EINVAL,
                          "cio_web_server_shutdown: server is NULL");
    if (!cio_current_task())
        return cio__error(CIO_ENOTASK,
                          "cio_web_server_shutdown: not in a task");
    srv->shutting_down = true;
    cio_server_close(srv->net);
    for (cio__web_conn *c = srv->conns; c; c = c->next)
        if (c->idle)
            cio_stream_close(c->stream);
    cio_timeout_scope *ts = timeout >= 0 ? cio_timeout(timeout) : NULL;
    if (timeout >= 0 && !ts)
        return cio_last_error();
    int err = cio_server_wait_closed(srv->net);
    if (ts)
        err = cio_timeout_end(ts, err);
    if (err) {
        cio_server_abort_clients(srv->net);
        if (err == CIO_ETIMEDOUT)
            cio_server_wait_closed(srv->net);
    }
    return err;
}

void cio_web_server_free(cio_web_server *srv) {
    if (!srv)
        return;
    srv->shutting_down = true;
    srv->freed = true;
    cio_server_free(srv->net); /* cancels the connections still running */
    srv->nconns++;             /* the server's own count, dropped now */
    server_unref(srv);
}
