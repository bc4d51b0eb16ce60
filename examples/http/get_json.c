/* GET a JSON document and print a field of it: aiohttp's
 *
 *     async with aiohttp.ClientSession() as session:
 *         async with session.get(url) as resp:
 *             print(resp.status, resp.headers["Content-Type"])
 *             print((await resp.json())["ip"])
 *
 * usage: http_get_json [URL]   (default http://127.0.0.1:8080/ip.json) */
#include <cio.h>
#include <stdio.h>

static void *amain(void *url) {
    cio_http_session *session = cio_http_session_new(NULL, NULL);
    cio_http_response *resp = NULL;
    json_t *doc = NULL;
    if (cio_http_get(session, url, &resp) == 0) {
        printf("%d %s\n", cio_http_response_status(resp),
               cio_http_response_header(resp, "Content-Type"));
        if (cio_http_response_json(resp, &doc, 0) == 0)
            printf("%s\n", json_string_value(json_object_get(doc, "ip")));
    }
    if (!doc)
        fprintf(stderr, "error: %s\n", cio_last_error_message());
    json_decref(doc);
    cio_http_response_release(resp);
    cio_http_session_close(session);
    return NULL;
}

int main(int argc, char **argv) {
    const char *url = argc > 1 ? argv[1] : "http://127.0.0.1:8080/ip.json";
    return cio_run(amain, (void *)url, NULL) ? 1 : 0;
}
