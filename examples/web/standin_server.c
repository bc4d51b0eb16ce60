/* standin_server: local stand-ins for the web services the notebook's HTTP
 * cells call, and the faults a client must survive. `make demo` and the
 * HTTP client's tests run it on 127.0.0.1; it never talks to the network.
 *
 *   GET /?format=json   {"ip": "..."}                          (ipify)
 *   GET /json           {"status": "success", ..., "query": "..."} (ip-api)
 *   GET /events         a JSON array of events, with a Date header (GitHub)
 *
 * Usage: standin_server [--port P] [--latency SECONDS] [--fault MODE]
 *                       [--ip ADDRESS] [--cert PEM --key PEM]
 * With --cert and --key it serves HTTPS (the real ipify and GitHub do).
 * It prints "port P" on its first line once it listens (P is free if 0).
 * A fault applies to every request (--fault) or to one (?fault=MODE):
 *   500       HTTP 500 with a text body
 *   badjson   200, application/json, but not JSON
 *   html      200, an HTML page instead of JSON
 *   empty     200, application/json, empty body
 *   nokey     a JSON object without the expected key
 *   drop      declares a body, sends half of it, drops the connection
 *   huge      a 64 MiB JSON body
 *   redirect  302 to itself, forever
 *   slow      waits 30 s before answering
 */
#include <cio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct standin {
    int port;
    const char *cert, *key;
    double latency;
    const char *fault;
    const char *ip;
} standin;

/* The fault for this request, or NULL; answers it if it is one. */
static const char *fault_of(cio_web_request *req, standin *st) {
    const char *f = cio_web_request_query(req, "fault");
    return f ? f : st->fault;
}

static int huge_body(cio_web_response *resp) {
    static char block[64 * 1024];
    memset(block, ' ', sizeof block);
    block[0] = '[';
    int err =
        cio_web_response_set_header(resp, "Content-Type", "application/json");
    for (int i = 0; !err && i < 1024; i++) {
        if (i == 1023)
            block[sizeof block - 1] = ']';
        err = cio_web_response_write(resp, block, sizeof block);
        block[0] = ' ';
    }
    return err;
}

/* Answer with the fault; 1 when `fault` is not one (answer normally). */
static int answer_fault(cio_web_request *req, cio_web_response *resp,
                        const char *fault) {
    if (strcmp(fault, "500") == 0) {
        cio_web_response_set_status(resp, 500);
        return cio_web_response_set_text(resp, "internal error (stand-in)");
    }
    if (strcmp(fault, "badjson") == 0)
        return cio_web_response_set_body(resp, "{\"ip\": 1.2.3", 12,
                                         "application/json");
    if (strcmp(fault, "html") == 0) {
        const char *page = "<html><body><h1>Maintenance</h1></body></html>";
        return cio_web_response_set_body(resp, page, strlen(page), "text/html");
    }
    if (strcmp(fault, "empty") == 0)
        return cio_web_response_set_body(resp, "", 0, "application/json");
    if (strcmp(fault, "nokey") == 0)
        return cio_web_response_set_body(resp, "{\"other\": 1}", 12,
                                         "application/json");
    if (strcmp(fault, "drop") == 0) {
        cio_web_response_set_header(resp, "Content-Type", "application/json");
        cio_web_response_set_length(resp, 100);
        int err = cio_web_response_write(
            resp, "{\"ip\": \"127.0.0.1\", \"pad\": \"", 28);
        cio_web_response_abort(resp);
        return err;
    }
    if (strcmp(fault, "huge") == 0)
        return huge_body(resp);
    if (strcmp(fault, "redirect") == 0)
        return cio_web_response_redirect(resp, 302,
                                         cio_web_request_target(req));
    if (strcmp(fault, "slow") == 0) {
        int err = cio_sleep(30);
        return err ? err : 1;
    }
    return 1;
}

static int service(cio_web_request *req, cio_web_response *resp, void *arg) {
    standin *st = arg;
    if (st->latency > 0) {
        int err = cio_sleep(st->latency);
        if (err)
            return err;
    }
    const char *fault = fault_of(req, st);
    int rc = fault ? answer_fault(req, resp, fault) : 1;
    if (rc != 1)
        return rc;
    const char *path = cio_web_request_path(req);
    json_t *j;
    if (strcmp(path, "/events") == 0)
        j = json_pack("[{s:s,s:s,s:{s:s}}]", "id", "1", "type", "PushEvent",
                      "repo", "name", "cio/stand-in");
    else if (strcmp(path, "/json") == 0)
        j = json_pack("{s:s,s:s,s:s,s:s}", "status", "success", "country",
                      "Localhost", "timezone", "UTC", "query", st->ip);
    else
        j = json_pack("{s:s}", "ip", st->ip);
    int err = j ? cio_web_response_set_json(resp, j) : CIO_ENOMEM;
    json_decref(j);
    return err;
}

static void *amain(void *arg) {
    standin *st = arg;
    cio_web_app *app = cio_web_app_new();
    cio_web_app_route(app, "GET", "/", service, st);
    cio_web_app_route(app, "GET", "/json", service, st);
    cio_web_app_route(app, "GET", "/events", service, st);
    cio_web_server_options o = {0};
    if (st->cert) {
        o.net.tls = cio_tls_context_new(&(cio_tls_options){
            .server = true, .cert_file = st->cert, .key_file = st->key});
        if (!o.net.tls)
            return cio_raise(cio_last_error(), "TLS: %s",
                             cio_last_error_message());
    }
    cio_web_server *srv;
    int err = cio_web_serve(app, "127.0.0.1", st->port, &o, &srv);
    if (err)
        return cio_raise(err, "cannot listen: %s", cio_last_error_message());
    printf("port %d\n", cio_web_server_port(srv));
    fflush(stdout);
    cio_web_server_serve_forever(srv);
    cio_web_server_free(srv);
    cio_web_app_free(app);
    cio_tls_context_release((cio_tls_context *)o.net.tls);
    return NULL;
}

int main(int argc, char **argv) {
    standin st = {.ip = "127.0.0.1"};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0)
            st.port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--latency") == 0)
            st.latency = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--fault") == 0)
            st.fault = argv[i + 1];
        else if (strcmp(argv[i], "--ip") == 0)
            st.ip = argv[i + 1];
        else if (strcmp(argv[i], "--cert") == 0)
            st.cert = argv[i + 1];
        else if (strcmp(argv[i], "--key") == 0)
            st.key = argv[i + 1];
        else {
            fprintf(stderr, "standin_server: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    int err = cio_run(amain, &st, NULL);
    if (err && err != CIO_ECANCELED)
        fprintf(stderr, "standin_server: %s\n", cio_strerror(err));
    return err && err != CIO_ECANCELED;
}
