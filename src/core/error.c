/* error.c - error codes, their sentences, and cio's diagnostics. */
#include "core/internal.h"

#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static CIO_TLS int last_code;
static CIO_TLS char last_message[256];

static cio_diagnostic_fn diag_fn;
static void *diag_arg;

const char *cio_strerror(int code) {
    switch (code) {
    case 0:
        return "success";
    case CIO_EINVALIDSTATE:
        return "invalid state: the future is already done, or not done yet";
    case CIO_ENOTASK:
        return "not in a task: this call suspends, so it must run inside a "
               "task (see cio_create_task)";
    case CIO_EWRONGLOOP:
        return "the object belongs to another event loop";
    case CIO_ELOOPRUNNING:
        return "an event loop is already running on this thread";
    case CIO_ELOOPCLOSED:
        return "the event loop is closed";
    case CIO_ENOLOOP:
        return "no event loop on this thread (create one with cio_loop_new "
               "or use cio_run)";
    case CIO_ESTOPPED:
        return "the event loop stopped before the future was done";
    case CIO_ECOMPACT:
        return "the call would leave a pointer into a compact task's stack "
               "while it waits";
    case CIO_ECANCELED:
        return "cancelled";
    case CIO_ETIMEDOUT:
        return "timed out";
    case CIO_EDEADLK:
        return "deadlock: every task waits for something that cannot happen "
               "(no callback is ready, no timer is set, no I/O is pending)";
    case CIO_ETASKGROUP:
        return "tasks of the task group failed";
    case CIO_EQUEUEFULL:
        return "the queue is full";
    case CIO_EQUEUEEMPTY:
        return "the queue is empty";
    case CIO_EQUEUESHUTDOWN:
        return "the queue has been shut down";
    case CIO_EBROKENBARRIER:
        return "the barrier is broken: it was aborted, or reset while tasks "
               "waited on it";
    case CIO_ENOTLOCKED:
        return "the lock is not acquired";
    case CIO_ENOTOWNER:
        return "the lock is held by another task";
    case CIO_EOVERRELEASE:
        return "released more times than acquired (a bounded semaphore above "
               "its initial value, or task_done() called more times than "
               "items were put)";
    case CIO_EHASWAITERS:
        return "tasks are still waiting on it, so it cannot be freed";
    case CIO_ESHUTDOWN:
        return "the executor has been shut down: it accepts no new work";
    /* net */
    case CIO_EINCOMPLETE:
        return "the stream ended before the expected bytes arrived";
    case CIO_ELIMIT:
        return "the separator was not found within the stream's limit";
    case CIO_EWEB_TOO_LARGE:
        return "the request body is larger than the server accepts";
    case CIO_EWEB_BAD_REQUEST:
        return "bad request: the request or its body is malformed";
    case CIO_EWEB_HEADERS_SENT:
        return "the response's status and headers have already been sent";
    case CIO_ECLOSED:
        return "the object is closed (the stream, server, endpoint or sync "
               "object was closed while the task waited on it, or before "
               "this call)";
    case CIO_EAI_AGAIN:
        return gai_strerror(EAI_AGAIN);
    case CIO_EAI_BADFLAGS:
        return gai_strerror(EAI_BADFLAGS);
    case CIO_EAI_FAIL:
        return gai_strerror(EAI_FAIL);
    case CIO_EAI_FAMILY:
        return gai_strerror(EAI_FAMILY);
    case CIO_EAI_MEMORY:
        return gai_strerror(EAI_MEMORY);
    case CIO_EAI_NONAME:
        return gai_strerror(EAI_NONAME);
    case CIO_EAI_SERVICE:
        return gai_strerror(EAI_SERVICE);
    case CIO_EAI_SOCKTYPE:
        return gai_strerror(EAI_SOCKTYPE);
    case CIO_EAI_NODATA:
        return gai_strerror(EAI_NODATA);
    case CIO_EAI_ADDRFAMILY:
        return gai_strerror(EAI_ADDRFAMILY);
    case CIO_EAI_OVERFLOW:
        return gai_strerror(EAI_OVERFLOW);
    case CIO_ETLS:
        return "TLS protocol error";
    case CIO_ETLSVERIFY:
        return "TLS certificate verify failed";
    case CIO_ETLSEOF:
        return "TLS connection closed without close_notify (the data may be "
               "truncated)";
    case CIO_ETLSCONFIG:
        return "TLS configuration refused by OpenSSL (certificate, key, CA "
               "or cipher list)";
    /* HTTP client */
    case CIO_EHTTP:
        return "the HTTP transfer failed";
    case CIO_EHTTP_CONNECT:
        return "could not connect to the HTTP server (connection refused)";
    case CIO_EHTTP_RESOLVE:
        return "the host name could not be resolved";
    case CIO_EHTTP_TLS:
        return "the TLS handshake or the certificate verification failed";
    case CIO_EHTTP_TIMEOUT_TOTAL:
        return "the request's total timeout expired";
    case CIO_EHTTP_TIMEOUT_CONNECT:
        return "the connect timeout expired";
    case CIO_EHTTP_TIMEOUT_SOCK_READ:
        return "the sock_read timeout expired: the server sent nothing for "
               "too long";
    case CIO_EHTTP_REDIRECTS:
        return "too many redirects";
    case CIO_EHTTP_TOO_LARGE:
        return "the response body is larger than the allowed maximum";
    case CIO_EHTTP_STATUS:
        return "the server answered with an error status (400 or above)";
    case CIO_EHTTP_JSON:
        return "the response body is not valid JSON";
    case CIO_EHTTP_CONTENT_TYPE:
        return "the response's content type is not JSON";
    case CIO_EHTTP_PAYLOAD:
        return "the connection closed in the middle of the response body";
    case CIO_EHTTP_CLOSED:
        return "the HTTP session is closed";
    case CIO_EHTTP_DECODE:
        return "the response body is not valid text in its charset";
    case CIO_EINTERRUPTED:
        return "interrupted by SIGINT (Ctrl-C): the main task was cancelled";
    case CIO_EBADSIGNAL:
        return "this signal cannot be handled by a loop callback (SIGKILL and "
               "SIGSTOP cannot be caught; SIGSEGV, SIGBUS, SIGFPE and SIGILL "
               "report faults that must be handled where they happen)";
    default:
        break;
    }
    if (code < 0 && code > -4096) {
        const char *s = strerrordesc_np(-code);
        if (s)
            return s;
    }
    return "unknown error";
}

int cio_last_error(void) {
    return last_code;
}

const char *cio_last_error_message(void) {
    return last_code ? last_message : "";
}

void cio__set_error(int code, const char *fmt, ...) {
    last_code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_message, sizeof last_message, fmt, ap);
    va_end(ap);
}

void cio_set_diagnostic_handler(cio_diagnostic_fn fn, void *arg) {
    diag_fn = fn;
    diag_arg = arg;
}

void cio__diag(const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (diag_fn)
        diag_fn(buf, diag_arg);
    else
        fprintf(stderr, "cio: %s\n", buf);
}

char *cio__vmessage(int code, const char *fmt, va_list ap) {
    return fmt ? cio__vformat(fmt, ap) : cio__strdup(cio_strerror(code));
}

char *cio__vformat(const char *fmt, va_list ap) {
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        return NULL;
    return s;
}

char *cio__strdup(const char *s) {
    return s ? strdup(s) : NULL;
}
