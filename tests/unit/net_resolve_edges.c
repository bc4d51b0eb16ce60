/* Unit tests: cio_sockaddr_str for each family, and the resolver calls'
 * edges: bad arguments, calls outside a task, an address getnameinfo
 * cannot take, a lookup cancelled while the thread pool works on it (its
 * answer, when it comes, is freed: ASan and valgrind check). No DNS
 * traffic: literals and /etc/hosts names only. */
#include "../cio_test.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

static void test_sockaddr_str(void **state) {
    (void)state;
    char buf[128];
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(8080)};
    inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
    assert_string_equal(cio_sockaddr_str((struct sockaddr *)&in, buf, 128),
                        "127.0.0.1:8080");
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6,
                               .sin6_port = htons(443)};
    inet_pton(AF_INET6, "::1", &in6.sin6_addr);
    assert_string_equal(cio_sockaddr_str((struct sockaddr *)&in6, buf, 128),
                        "[::1]:443");
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    snprintf(un.sun_path, sizeof un.sun_path, "/tmp/sock");
    assert_string_equal(cio_sockaddr_str((struct sockaddr *)&un, buf, 128),
                        "/tmp/sock");
    /* an unnamed UNIX socket, another family, no address: still a text */
    un.sun_path[0] = '\0';
    assert_string_equal(cio_sockaddr_str((struct sockaddr *)&un, buf, 128),
                        "(unnamed)");
    struct sockaddr other = {.sa_family = AF_APPLETALK};
    cio_sockaddr_str(&other, buf, sizeof buf);
    assert_non_null(strstr(buf, "family"));
    cio_sockaddr_str(NULL, buf, sizeof buf);
    assert_true(strlen(buf) > 0);
    /* always terminated, cut to the buffer */
    char small[6];
    assert_ptr_equal(cio_sockaddr_str((struct sockaddr *)&in, small, 6), small);
    assert_string_equal(small, "127.0");
    assert_null(cio_sockaddr_str((struct sockaddr *)&in, NULL, 10));
}

/* ---- resolver edges ----------------------------------------------------- */

static int g_rc;

static void *lookup(void *arg) {
    (void)arg;
    struct addrinfo *res = (struct addrinfo *)&res;
    g_rc = cio_getaddrinfo("localhost", "80", NULL, &res);
    if (g_rc == CIO_ECANCELED && res != NULL)
        g_rc = 1; /* a cancelled call must give nothing */
    return NULL;
}

static void *resolver_main(void *arg) {
    (void)arg;
    struct addrinfo *res = NULL;
    CHECK_INT(cio_getaddrinfo(NULL, NULL, NULL, &res), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "no host, no service") != NULL);
    CHECK_INT(cio_getaddrinfo("127.0.0.1", "80", NULL, NULL), CIO_EINVAL);
    /* a service alone: the loopback address (no AI_PASSIVE) */
    CHECK_INT(cio_getaddrinfo(NULL, "80", NULL, &res), 0);
    CHECK(res != NULL);
    cio_freeaddrinfo(res);
    char host[64] = "", serv[16] = "";
    CHECK_INT(cio_getnameinfo(NULL, 0, host, sizeof host, NULL, 0), CIO_EINVAL);
    CHECK(strstr(cio_last_error_message(), "no address") != NULL);
    /* getnameinfo takes IPv4 and IPv6 addresses only */
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    CHECK(cio_getnameinfo((struct sockaddr *)&un, 0, host, sizeof host, NULL,
                          0) < 0);
    CHECK(strstr(cio_last_error_message(), "cio_getnameinfo") != NULL);
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6,
                               .sin6_port = htons(443)};
    inet_pton(AF_INET6, "::1", &in6.sin6_addr);
    CHECK_INT(cio_getnameinfo((struct sockaddr *)&in6,
                              NI_NUMERICHOST | NI_NUMERICSERV, host,
                              sizeof host, serv, sizeof serv),
              0);
    CHECK_STR(host, "::1");
    CHECK_STR(serv, "443");
    /* cancelled while the thread pool looks the name up: CIO_ECANCELED at
     * once, nothing in *res */
    g_rc = 2;
    cio_future *t = cio_create_task(lookup, NULL);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_cancel(t, NULL), 1);
    CHECK_INT(cio_await(t, NULL), CIO_ECANCELED);
    CHECK_INT(g_rc, CIO_ECANCELED);
    cio_release(t);
    CHECK_INT(cio_sleep(0.05), 0); /* the late answer comes and is freed */
    return NULL;
}

static void test_resolver_edges(void **state) {
    (void)state;
    assert_int_equal(cio_run(resolver_main, NULL, NULL), 0);
    checks_assert();
    /* outside a task: these calls suspend */
    struct addrinfo *res = NULL;
    assert_int_equal(cio_getaddrinfo("127.0.0.1", "80", NULL, &res),
                     CIO_ENOTASK);
    assert_null(res);
    struct sockaddr_in in = {.sin_family = AF_INET};
    char host[64];
    assert_int_equal(
        cio_getnameinfo((struct sockaddr *)&in, 0, host, sizeof host, NULL, 0),
        CIO_ENOTASK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_sockaddr_str),
        CIO_TEST(test_resolver_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
