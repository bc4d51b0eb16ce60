/* services.h - what the race cells (10 to 13) share: the two IP services
 * and fetch_ip. The notebook's
 *
 *     Service = namedtuple('Service', ('name', 'url', 'ip_attr'))
 *
 *     SERVICES = (
 *         Service('ipify', 'https://api.ipify.org?format=json', 'ip'),
 *         Service('ip-api', 'http://ip-api.com/json', 'query')
 *     )
 *
 *     async def aiohttp_get_json(url):
 *         async with aiohttp.ClientSession() as session:
 *             async with session.get(url) as response:
 *                 return await response.json()
 *
 *     async def fetch_ip(service):
 *         start = time.time()
 *         print('Fetching IP from {}'.format(service.name))
 *         json_response = await aiohttp_get_json(service.url)
 *         ip = json_response[service.ip_attr]
 *         return '{} finished with result: {}, took: {:.2f} seconds'.format(
 *             service.name, ip, time.time() - start)
 *
 * IPIFY_URL and IPAPI_URL override the URLs (make demo points them at local
 * stand-ins). A task that fails says which service and why, in the message
 * a traceback would show.
 */
#include <cio.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct service {
    const char *name, *url, *url_env, *ip_attr;
    char line[128]; /* fetch_ip's result: the service's own buffer */
} service;

static service SERVICES[] = {
    {"ipify", "https://api.ipify.org?format=json", "IPIFY_URL", "ip", ""},
    {"ip-api", "http://ip-api.com/json", "IPAPI_URL", "query", ""},
};

/* GET url and parse its JSON body into *doc. */
static int aiohttp_get_json(const char *url, json_t **doc) {
    cio_http_session *session = cio_http_session_new(NULL, NULL);
    cio_http_response *response = NULL;
    int err =
        session ? cio_http_get(session, url, &response) : cio_last_error();
    if (!err) err = cio_http_response_json(response, doc, 0);
    cio_http_response_release(response);
    cio_http_session_close(session);
    return err;
}

static void *fetch_ip(void *arg) {
    service *s = arg;
    double start = cio_time();
    printf("Fetching IP from %s\n", s->name);
    const char *url = getenv(s->url_env) ? getenv(s->url_env) : s->url;
    json_t *json_response;
    int err = aiohttp_get_json(url, &json_response);
    if (err) return cio_raise(err, "%s: %s", s->name, cio_last_error_message());
    const char *ip =
        json_string_value(json_object_get(json_response, s->ip_attr));
    if (ip)
        snprintf(s->line, sizeof s->line,
                 "%s finished with result: %s, took: %.2f seconds", s->name, ip,
                 cio_time() - start);
    json_decref(json_response);
    if (!ip) /* Python: KeyError (or TypeError for a body not an object) */
        return cio_raise(CIO_EHTTP_JSON, "%s: the answer has no \"%s\"",
                         s->name, s->ip_attr);
    return s->line;
}
