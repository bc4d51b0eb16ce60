/* hello_server: aiohttp.web's first example in C.
 *
 *     from aiohttp import web
 *
 *     async def hello(request):
 *         name = request.match_info.get("name", "Anonymous")
 *         return web.Response(text=f"Hello, {name}")
 *
 *     app = web.Application()
 *     app.add_routes([web.get("/", hello), web.get("/{name}", hello)])
 *     web.run_app(app, port=8080)
 *
 * Usage: hello_server [PORT]   (then: curl http://127.0.0.1:8080/you)
 */
#include <cio.h>
#include <stdio.h>
#include <stdlib.h>

static int hello(cio_web_request *req, cio_web_response *resp, void *arg) {
    const char *name = cio_web_request_param(req, "name");
    return cio_web_response_set_text(resp, "Hello, %s",
                                     name ? name : "Anonymous");
}

static void *amain(void *arg) {
    cio_web_app *app = cio_web_app_new();
    cio_web_app_route(app, "GET", "/", hello, NULL);
    cio_web_app_route(app, "GET", "/{name}", hello, NULL);
    cio_web_server *srv;
    int err = cio_web_serve(app, "127.0.0.1", *(int *)arg, NULL, &srv);
    if (err)
        return cio_raise(err, "cannot serve: %s", cio_last_error_message());
    printf("serving on http://127.0.0.1:%d\n", cio_web_server_port(srv));
    fflush(stdout);
    cio_web_server_serve_forever(srv); /* until cancelled */
    cio_web_server_free(srv);
    cio_web_app_free(app);
    return NULL;
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 8080;
    void *res;
    int err = cio_run(amain, &port, &res);
    if (err && err != CIO_ECANCELED)
        fprintf(stderr, "hello_server: %s\n", cio_strerror(err));
    return err && err != CIO_ECANCELED;
}
