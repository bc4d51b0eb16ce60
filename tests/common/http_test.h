/* http_test.h - what the HTTP client's test programs share: the servers
 * of the whole program (started by the group setup, stopped by pid in its
 * teardown), URL building, and running one task body per test. */
#ifndef CIO_TESTS_HTTP_TEST_H
#define CIO_TESTS_HTTP_TEST_H

#include "cio_test.h"
#include "common/http_servers.h"

static CT_UNUSED hs_server ht_nginx, ht_fault;
static CT_UNUSED char ht_cert[128];

/* "http://127.0.0.1:<port><path>" in a static ring of buffers. */
static CT_UNUSED const char *ht_url(const char *scheme, int port,
                                    const char *path) {
    static char ring[16][512];
    static unsigned next;
    char *b = ring[next++ % 16];
    snprintf(b, sizeof ring[0], "%s://127.0.0.1:%d%s", scheme, port, path);
    return b;
}
#define NGINX(path) ht_url("http", ht_nginx.port, path)
#define NGINX_TLS(path) ht_url("https", ht_nginx.port2, path)
#define FAULT(path) ht_url("http", ht_fault.port, path)

static CT_UNUSED bool ht_started;

/* Group setup: nginx (plain + TLS with HTTP/2) and the fault server. */
static CT_UNUSED int ht_setup_all(void **state) {
    (void)state;
    ht_started = hs_make_cert(ht_cert, sizeof ht_cert) &&
                 hs_nginx_start(&ht_nginx, HS_TLS | HS_H2, ht_cert) &&
                 hs_fault_start(&ht_fault);
    return 0;
}

static CT_UNUSED int ht_teardown_all(void **state) {
    (void)state;
    hs_stop(&ht_nginx);
    hs_stop(&ht_fault);
    hs_rmdir(ht_cert);
    return 0;
}

#define HT_REQUIRE_SERVERS()                                                   \
    do {                                                                       \
        if (!ht_started) {                                                     \
            print_message("servers (nginx, python3, openssl) unavailable\n");  \
            skip();                                                            \
        }                                                                      \
    } while (0)

/* Run body(arg) as the main task of a fresh loop; fail on a loop error. */
static CT_UNUSED void ht_run(cio_task_fn body, void *arg) {
    void *res = NULL;
    int rc = cio_run(body, arg, &res);
    if (rc != 0)
        CHECK_INT(rc, 0);
}

/* A whole GET from a task: status, or the negative error. */
static CT_UNUSED int ht_get_status(cio_http_session *s, const char *url) {
    cio_http_response *r = NULL;
    int rc = cio_http_get(s, url, &r);
    if (rc)
        return rc;
    int st = cio_http_response_status(r);
    cio_http_response_release(r);
    return st;
}

#endif
