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
 * stand-ins). aiohttp_get_json is cio_http_get_json with no session (one
 * made for the request, as the `async with` makes one); jansson's
 * json_auto_t gives the document back when fetch_ip returns, as Python's
 * garbage collector does. A task that fails says which service and why
 * (CIO_TRY_IN: "ipify: MESSAGE"), in the message a traceback would show; a
 * missing key is jansson's "Object item not found", Python's KeyError. The
 * result line is formatted into the service's own buffer
 * (cio_return_format: a line too long for it fails the task, never cut).
 */
#include <cio.h>
#include <stdlib.h>

static struct service {
    const char *name, *url, *ip_attr, *url_env;
    char line[128]; /* fetch_ip's result: the service's own buffer */
} SERVICES[] = {
    {"ipify", "https://api.ipify.org?format=json", "ip", "IPIFY_URL", ""},
    {"ip-api", "http://ip-api.com/json", "query", "IPAPI_URL", ""}};

static void *fetch_ip(void *arg) {
    struct service *s = arg;
    double start = cio_time();
    printf("Fetching IP from %s\n", s->name);
    const char *url = getenv(s->url_env) ? getenv(s->url_env) : s->url, *ip;
    json_auto_t *json = NULL; /* json_decref'd however the function ends */
    CIO_TRY_IN(cio_http_get_json(NULL, url, &json), "%s", s->name);
    CIO_TRY_IN(cio_json_unpack(json, "{s:s}", s->ip_attr, &ip), "%s", s->name);
    return cio_return_format(s->line,
                             "%s finished with result: %s, took: %.2f seconds",
                             s->name, ip, cio_time() - start);
}
