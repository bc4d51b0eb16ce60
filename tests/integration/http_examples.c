/* Integration: the HTTP examples (examples/http) run against nginx and the
 * fault fixture on 127.0.0.1, their output checked. */
#include "common/http_test.h"

#include <sys/stat.h>
#include <unistd.h>

/* The program's stdout, or "" if it could not run. */
static char *run_example(const char *cmd) {
    static char out[8192];
    out[0] = '\0';
    FILE *p = popen(cmd, "r");
    if (!p)
        return out;
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    if (st != 0)
        print_message("%s: exit status %d\n", cmd, st);
    return out;
}

static bool have_examples(void) {
    struct stat st;
    return stat("examples/http/http_get_json", &st) == 0;
}

static void test_examples(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    if (!have_examples()) {
        print_message("examples not built (CIO_BUILD_EXAMPLES=OFF)\n");
        skip();
    }
    char cmd[512];
    snprintf(cmd, sizeof cmd, "examples/http/http_get_json %s",
             NGINX("/ip.json"));
    const char *out = run_example(cmd);
    assert_string_equal(out, "200 application/json\n203.0.113.7\n");

    snprintf(cmd, sizeof cmd, "examples/http/http_post_json %s",
             FAULT("/echo"));
    out = run_example(cmd);
    assert_non_null(strstr(out, "\"method\": \"POST\""));
    assert_non_null(strstr(out, "{\\\"name\\\":\\\"cio\\\",\\\"n\\\":3}"));

    char path[] = "/tmp/cio-download-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    snprintf(cmd, sizeof cmd, "examples/http/http_stream_download %s %s",
             NGINX("/big.bin"), path);
    out = run_example(cmd);
    assert_non_null(strstr(out, "\r1048576/1048576 bytes\ndone\n"));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal((int)st.st_size, 1 << 20);
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples),
    };
    return cmocka_run_group_tests(tests, ht_setup_all, ht_teardown_all);
}
