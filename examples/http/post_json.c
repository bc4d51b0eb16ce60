/* POST a JSON document and print the JSON answer: aiohttp's
 *
 *     async with aiohttp.ClientSession() as session:
 *         async with session.post(url, json={"name": "cio", "n": 3}) as resp:
 *             resp.raise_for_status()
 *             print(await resp.json())
 *
 * usage: http_post_json [URL]   (default http://127.0.0.1:8080/echo) */
#include <cio.h>
#include <stdio.h>
#include <stdlib.h>

static void *amain(void *url) {
    cio_http_session_options opts = {.raise_for_status = true};
    cio_http_session *session = cio_http_session_new(NULL, &opts);
    json_t *body = json_pack("{s:s, s:i}", "name", "cio", "n", 3), *answer;
    cio_http_response *resp = NULL;
    if (cio_http_post_json(session, url, body, &resp) != 0 ||
        cio_http_response_json(resp, &answer, 0) != 0) {
        fprintf(stderr, "error: %s\n", cio_last_error_message());
    } else {
        char *text = json_dumps(answer, JSON_SORT_KEYS);
        printf("%s\n", text);
        free(text);
        json_decref(answer);
    }
    json_decref(body);
    cio_http_response_release(resp);
    cio_http_session_close(session);
    return NULL;
}

int main(int argc, char **argv) {
    const char *url = argc > 1 ? argv[1] : "http://127.0.0.1:8080/echo";
    return cio_run(amain, (void *)url, NULL) ? 1 : 0;
}
