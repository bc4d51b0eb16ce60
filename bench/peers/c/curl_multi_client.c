/*
 * curl-multi-client: raw libcurl multi HTTP client for W5, the ceiling for any
 * libcurl-based async wrapper.
 *
 * C easy handles are created once and reused (re-added to the multi handle
 * after each transfer, so the multi handle's connection cache keeps the
 * keep-alive connections).  The loop is curl_multi_perform /
 * curl_multi_info_read / curl_multi_poll.  Each body is parsed with jansson and
 * its "ip" field compared.
 *
 * -2 asks for HTTP/2 over TLS (ALPN) and waits to multiplex on one connection
 * (CURLOPT_PIPEWAIT) instead of opening more; -k FILE verifies the server
 * against the CA certificate in FILE. -a does what an aiohttp-like client
 * does by default and this one otherwise does not: send a User-Agent, ask
 * for (and decode) compressed bodies, keep a cookie jar (cio's HTTP client
 * does all three by default: -a makes the work equal).
 *
 * usage: curl-multi-client [-u url] [-n requests] [-c in_flight] [-w want_ip]
 * [-2] [-k cafile] [-a] prints: METRIC w5.req_per_s ... req/s
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct slot {
    CURL *easy;
    char *buf;
    size_t len, cap;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata) {
    struct slot *s = userdata;
    size_t n = size * nmemb;
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 1024;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *b = realloc(s->buf, cap);
        if (!b)
            return 0;
        s->buf = b;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, ptr, n);
    s->len += n;
    return n;
}

static double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* VmHWM, the kernel's high-water mark of this process's resident set, in KiB.
 * (getrusage's ru_maxrss is not used: after fork+exec it can report the
 * parent's size, e.g. that of a Python harness that started us.) */
static long peak_rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0) {
            v = atol(line + 6);
            break;
        }
    fclose(f);
    return v;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    const char *url = "http://127.0.0.1:28080/ip.json";
    const char *want = "203.0.113.7";
    long n = 20000;
    int conc = 64, h2 = 0, as_aiohttp = 0;
    const char *cafile = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "u:n:c:w:2k:a")) != -1) {
        switch (opt) {
        case 'u':
            url = optarg;
            break;
        case 'n':
            n = atol(optarg);
            break;
        case 'c':
            conc = atoi(optarg);
            break;
        case 'w':
            want = optarg;
            break;
        case '2':
            h2 = 1;
            break;
        case 'k':
            cafile = optarg;
            break;
        case 'a':
            as_aiohttp = 1;
            break;
        default:
            fprintf(stderr,
                    "usage: %s [-u url] [-n requests] [-c in_flight] [-w "
                    "want_ip] [-2] [-k cafile] [-a]\n",
                    argv[0]);
            return 2;
        }
    }
    if (conc < 1 || n < 1) {
        fprintf(stderr, "bad -n or -c\n");
        return 2;
    }
    if ((long)conc > n)
        conc = (int)n;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)conc);

    struct slot *slots = calloc((size_t)conc, sizeof *slots);
    long issued = 0, done = 0, ok = 0, errors = 0;
    double t0 = now_s(), c0 = cpu_s();
    for (int i = 0; i < conc; i++) {
        CURL *e = curl_easy_init();
        slots[i].easy = e;
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &slots[i]);
        curl_easy_setopt(e, CURLOPT_PRIVATE, &slots[i]);
        curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                         h2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1);
        if (h2)
            curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
        if (cafile)
            curl_easy_setopt(e, CURLOPT_CAINFO, cafile);
        if (as_aiohttp) {
            curl_easy_setopt(e, CURLOPT_USERAGENT, "curl-multi-client/1.0");
            curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
            curl_easy_setopt(e, CURLOPT_COOKIEFILE, "");
        }
        curl_multi_add_handle(multi, e);
        issued++;
    }

    while (done < n) {
        int running = 0;
        CURLMcode mc = curl_multi_perform(multi, &running);
        if (mc != CURLM_OK) {
            fprintf(stderr, "curl_multi_perform: %s\n",
                    curl_multi_strerror(mc));
            return 1;
        }
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURL *e = msg->easy_handle;
            struct slot *s;
            curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&s);
            long code = 0;
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
            int good = 0;
            if (msg->data.result == CURLE_OK && code == 200) {
                json_error_t jerr;
                json_t *root = json_loadb(s->buf, s->len, 0, &jerr);
                if (root) {
                    json_t *ip = json_object_get(root, "ip");
                    good = json_is_string(ip) &&
                           strcmp(json_string_value(ip), want) == 0;
                    json_decref(root);
                }
            } else if (errors < 5) {
                fprintf(stderr, "transfer failed: %s (HTTP %ld)\n",
                        curl_easy_strerror(msg->data.result), code);
            }
            if (good)
                ok++;
            else
                errors++;
            done++;
            s->len = 0;
            curl_multi_remove_handle(multi, e);
            if (issued < n) {
                curl_multi_add_handle(multi, e);
                issued++;
            }
        }
        if (done >= n)
            break;
        mc = curl_multi_poll(multi, NULL, 0, 1000, NULL);
        if (mc != CURLM_OK) {
            fprintf(stderr, "curl_multi_poll: %s\n", curl_multi_strerror(mc));
            return 1;
        }
    }
    double dt = now_s() - t0, cpu = cpu_s() - c0;

    for (int i = 0; i < conc; i++) {
        curl_multi_remove_handle(multi, slots[i].easy);
        curl_easy_cleanup(slots[i].easy);
        free(slots[i].buf);
    }
    curl_multi_cleanup(multi);
    curl_global_cleanup();

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("METRIC w5.requests %ld count\n", n);
    printf("METRIC w5.ok %ld count\n", ok);
    printf("METRIC w5.errors %ld count\n", errors);
    printf("METRIC w5.wall %.6f s\n", dt);
    printf("METRIC w5.req_per_s %.1f req/s\n", (double)ok / dt);
    printf("METRIC w5.client_cpu %.3f s\n", cpu);
    printf("METRIC w5.cpu_per_req %.1f us\n",
           cpu * 1e6 / (double)(done ? done : 1));
    printf("METRIC minflt %ld count\n", ru.ru_minflt);
    printf("METRIC peak_rss %ld KiB\n", peak_rss_kib());
    return errors ? 3 : 0;
}
