/* Unit tests: the whole error list of cio/core.h. Every code has its CIO_
 * name (cio_err_name) and a sentence of its own (cio_strerror); the
 * resolver's codes say what gai_strerror says; cio_getaddrinfo maps
 * getaddrinfo's failures to those codes, with gai_strerror's text as the
 * message. */
#include "../cio_test.h"

#include <netdb.h>
#include <sys/socket.h>

#define E(code)                                                                \
    { code, #code }

static const struct {
    int code;
    const char *name;
} all_codes[] = {
    E(CIO_EINVAL),
    E(CIO_ENOMEM),
    E(CIO_ECANCELED),
    E(CIO_ETIMEDOUT),
    E(CIO_EDEADLK),
    E(CIO_EINVALIDSTATE),
    E(CIO_ENOTASK),
    E(CIO_EWRONGLOOP),
    E(CIO_ELOOPRUNNING),
    E(CIO_ELOOPCLOSED),
    E(CIO_ENOLOOP),
    E(CIO_ESTOPPED),
    E(CIO_ETASKGROUP),
    E(CIO_EQUEUEFULL),
    E(CIO_EQUEUEEMPTY),
    E(CIO_EQUEUESHUTDOWN),
    E(CIO_EBROKENBARRIER),
    E(CIO_ENOTLOCKED),
    E(CIO_ENOTOWNER),
    E(CIO_EOVERRELEASE),
    E(CIO_EHASWAITERS),
    E(CIO_ESHUTDOWN),
    E(CIO_EINCOMPLETE),
    E(CIO_ELIMIT),
    E(CIO_ECLOSED),
    E(CIO_EAI_AGAIN),
    E(CIO_EAI_BADFLAGS),
    E(CIO_EAI_FAIL),
    E(CIO_EAI_FAMILY),
    E(CIO_EAI_MEMORY),
    E(CIO_EAI_NONAME),
    E(CIO_EAI_SERVICE),
    E(CIO_EAI_SOCKTYPE),
    E(CIO_EAI_NODATA),
    E(CIO_EAI_ADDRFAMILY),
    E(CIO_EAI_OVERFLOW),
    E(CIO_ETLS),
    E(CIO_ETLSVERIFY),
    E(CIO_ETLSEOF),
    E(CIO_ETLSCONFIG),
    E(CIO_EHTTP),
    E(CIO_EHTTP_CONNECT),
    E(CIO_EHTTP_RESOLVE),
    E(CIO_EHTTP_TLS),
    E(CIO_EHTTP_TIMEOUT_TOTAL),
    E(CIO_EHTTP_TIMEOUT_CONNECT),
    E(CIO_EHTTP_TIMEOUT_SOCK_READ),
    E(CIO_EHTTP_REDIRECTS),
    E(CIO_EHTTP_TOO_LARGE),
    E(CIO_EHTTP_STATUS),
    E(CIO_EHTTP_JSON),
    E(CIO_EHTTP_CONTENT_TYPE),
    E(CIO_EHTTP_PAYLOAD),
    E(CIO_EHTTP_CLOSED),
    E(CIO_EHTTP_DECODE),
    E(CIO_EWEB_TOO_LARGE),
    E(CIO_EWEB_BAD_REQUEST),
    E(CIO_EWEB_HEADERS_SENT),
    E(CIO_EINTERRUPTED),
    E(CIO_EBADSIGNAL),
};
#define N_CODES (sizeof all_codes / sizeof all_codes[0])

/* cio_err_name gives every listed code its own CIO_ name. */
static void test_every_code_named(void **state) {
    (void)state;
    for (size_t i = 0; i < N_CODES; i++)
        if (strcmp(cio_err_name(all_codes[i].code), all_codes[i].name) != 0)
            fail_msg("cio_err_name(%d) = \"%s\", expected \"%s\"",
                     all_codes[i].code, cio_err_name(all_codes[i].code),
                     all_codes[i].name);
}

/* cio_strerror: a sentence for every code, none shared by two codes, none
 * the fallback an unknown code gets. */
static void test_every_code_has_its_sentence(void **state) {
    (void)state;
    const char *unknown = cio_strerror(-99999);
    for (size_t i = 0; i < N_CODES; i++) {
        const char *s = cio_strerror(all_codes[i].code);
        assert_non_null(s);
        if (strlen(s) < 6 || strcmp(s, unknown) == 0)
            fail_msg("%s: cio_strerror says \"%s\"", all_codes[i].name, s);
        for (size_t j = 0; j < i; j++)
            if (strcmp(s, cio_strerror(all_codes[j].code)) == 0)
                fail_msg("%s and %s share the sentence \"%s\"",
                         all_codes[i].name, all_codes[j].name, s);
    }
}

/* The resolver's codes read as gai_strerror's text (core.h says so). */
static void test_resolver_sentences(void **state) {
    (void)state;
    const struct {
        int code, eai;
    } gai[] = {
        {CIO_EAI_AGAIN, EAI_AGAIN},       {CIO_EAI_BADFLAGS, EAI_BADFLAGS},
        {CIO_EAI_FAIL, EAI_FAIL},         {CIO_EAI_FAMILY, EAI_FAMILY},
        {CIO_EAI_MEMORY, EAI_MEMORY},     {CIO_EAI_NONAME, EAI_NONAME},
        {CIO_EAI_SERVICE, EAI_SERVICE},   {CIO_EAI_SOCKTYPE, EAI_SOCKTYPE},
        {CIO_EAI_NODATA, EAI_NODATA},     {CIO_EAI_ADDRFAMILY, EAI_ADDRFAMILY},
        {CIO_EAI_OVERFLOW, EAI_OVERFLOW},
    };
    for (size_t i = 0; i < sizeof gai / sizeof gai[0]; i++)
        assert_string_equal(cio_strerror(gai[i].code),
                            gai_strerror(gai[i].eai));
}

/* cio_getaddrinfo's failures come back as the CIO_EAI_* code of
 * getaddrinfo's own error, with gai_strerror's text in the message. */
static void *resolve_main(void *arg) {
    (void)arg;
    struct {
        struct addrinfo hints;
        const char *host, *service;
        int want;
    } cases[] = {
        {{.ai_family = 12345}, "127.0.0.1", "80", CIO_EAI_FAMILY},
        {{.ai_socktype = 12345}, "127.0.0.1", "80", CIO_EAI_SOCKTYPE},
        {{.ai_flags = 0x40000000}, "127.0.0.1", "80", CIO_EAI_BADFLAGS},
        {{.ai_socktype = SOCK_STREAM},
         "127.0.0.1",
         "no-such-service-x",
         CIO_EAI_SERVICE},
        {{.ai_flags = AI_NUMERICHOST}, "not-a-number", "80", CIO_EAI_NONAME},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct addrinfo *res = NULL;
        int rc = cio_getaddrinfo(cases[i].host, cases[i].service,
                                 &cases[i].hints, &res);
        if (rc != cases[i].want)
            ct_failed(__FILE__, __LINE__, "case %zu: %s (%d), expected %s", i,
                      cio_err_name(rc), rc, cio_err_name(cases[i].want));
        CHECK(res == NULL);
        if (rc == cases[i].want)
            CHECK(strstr(cio_last_error_message(), cio_strerror(rc)) != NULL);
        cio_freeaddrinfo(res);
    }
    return NULL;
}

static void test_resolver_codes(void **state) {
    (void)state;
    assert_int_equal(cio_run(resolve_main, NULL, NULL), 0);
    checks_assert();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_every_code_named),
        CIO_TEST(test_every_code_has_its_sentence),
        CIO_TEST(test_resolver_sentences),
        CIO_TEST(test_resolver_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
