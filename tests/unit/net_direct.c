/* Unit tests: a reader parked in cio_stream_read lends its buffer to the
 * raw read (src/net/stream_read.c, wait_direct), so the bytes skip the
 * stream's buffer. What must hold:
 *   - bytes that landed in the lent buffer, when the reader is cancelled
 *     after they came and before it ran, go back in front of the stream's
 *     buffer (ahead of what came after them): nothing lost, nothing
 *     reordered;
 *   - a second reader gets -EBUSY and does not take the lent buffer over;
 *   - a read of fewer bytes than arrived takes only that many;
 *   - STARTTLS while a reader is parked: the TLS bytes go through the new
 *     filter, not into the lent buffer, and the reader gets the plain text.
 * The stream is one end of a socketpair; the test writes the other end
 * (a cio server for STARTTLS). */
#include "../cio_test.h"
#include "../tls_helpers.h"
#include "net/internal.h"

#include <sys/socket.h>
#include <unistd.h>

typedef struct rd {
    cio_stream *s;
    char buf[64];
    ssize_t n;
    bool done;
} rd;

static void *reader(void *arg) {
    rd *r = arg;
    r->n = cio_stream_read(r->s, r->buf, sizeof r->buf);
    r->done = true;
    return NULL;
}

static void put(int fd, const char *text) {
    size_t n = strlen(text);
    CHECK_INT(write(fd, text, n), (ssize_t)n);
}

static void *t_cancel_after_landing(void *arg) {
    (void)arg;
    int hits = 0;
    for (int attempt = 0; attempt < 50 && hits < 3; attempt++) {
        int sv[2];
        CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        rd r = {.s = cio_stream_open_fd(sv[0], NULL)};
        CHECK(r.s != NULL);
        cio_future *t = cio_create_task(reader, &r);
        while (!r.s->reader) /* parked, its buffer lent */
            cio_sleep(0);
        CHECK(r.s->direct == r.buf);
        put(sv[1], "first");
        /* wait until the bytes landed in r.buf and woke the reader */
        while (!r.done && r.s->direct_got == 0)
            cio_sleep(0);
        if (!r.done) { /* landed, reader not run yet: cancel it now */
            hits++;
            cio_cancel(t, NULL);
        }
        cio_await(t, NULL);
        cio_release(t);
        put(sv[1], "second");
        char all[64] = {0};
        size_t have = 0;
        if (r.n > 0) { /* the reader ran first: it had them */
            memcpy(all, r.buf, (size_t)r.n);
            have = (size_t)r.n;
        } else {
            CHECK_INT(r.n, CIO_ECANCELED);
        }
        while (have < 11) {
            ssize_t n = cio_stream_read(r.s, all + have, sizeof all - have);
            CHECK(n > 0);
            if (n <= 0)
                break;
            have += (size_t)n;
        }
        CHECK_STR(all, "firstsecond");
        close(sv[1]);
        cio_stream_free(r.s);
    }
    CHECK(hits >= 1); /* the put-back path really ran */
    printf("# cancelled after the bytes landed: %d times\n", hits);
    return NULL;
}

static void test_cancel_after_landing(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_cancel_after_landing, NULL, NULL), 0);
    checks_assert();
}

static void *t_two_readers_short_read(void *arg) {
    (void)arg;
    int sv[2];
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    rd a = {.s = cio_stream_open_fd(sv[0], NULL)};
    rd b = {.s = a.s};
    cio_future *ta = cio_create_task(reader, &a);
    while (!a.s->reader)
        cio_sleep(0);
    cio_future *tb = cio_create_task(reader, &b);
    cio_await(tb, NULL);
    CHECK_INT(b.n, -EBUSY);
    CHECK(a.s->direct == a.buf); /* still the first reader's */
    put(sv[1], "hello");
    cio_await(ta, NULL);
    CHECK_INT(a.n, 5);
    CHECK(memcmp(a.buf, "hello", 5) == 0);
    cio_release(ta);
    cio_release(tb);
    /* a short read takes only what it asks; the rest stays readable */
    put(sv[1], "abcdefgh");
    char x[3];
    CHECK_INT(cio_stream_read(a.s, x, 3), 3);
    CHECK(memcmp(x, "abc", 3) == 0);
    char y[16];
    CHECK_INT(cio_stream_readexactly(a.s, y, 5, NULL), 5);
    CHECK(memcmp(y, "defgh", 5) == 0);
    close(sv[1]);
    CHECK_INT(cio_stream_read(a.s, y, sizeof y), 0); /* EOF */
    cio_stream_free(a.s);
    return NULL;
}

static void test_two_readers_short_read(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_two_readers_short_read, NULL, NULL), 0);
    checks_assert();
}

/* ---- STARTTLS with a reader parked ----------------------------------------
 */

static tls_certs certs;

static void starttls_server(cio_stream *s, void *arg) {
    cio_tls_context *ctx = arg;
    char *line = NULL;
    if (cio_stream_readline(s, &line) <= 0)
        return;
    free(line);
    cio_stream_write(s, "GO\n", 3);
    CHECK_INT(cio_stream_start_tls(s, ctx, NULL, 10), 0);
    CHECK_INT(cio_stream_write(s, "hi", 2), 0);
    char b[1];
    cio_stream_read(s, b, 1); /* until the client goes */
}

static void *t_starttls_parked_reader(void *arg) {
    (void)arg;
    cio_tls_context *sctx =
        cio_tls_context_new(&(cio_tls_options){.server = true,
                                               .cert_file = certs.server,
                                               .key_file = certs.server_key});
    cio_tls_context *cctx =
        cio_tls_context_new(&(cio_tls_options){.ca_file = certs.ca});
    CHECK(sctx && cctx);
    cio_server *srv;
    CHECK_INT(
        cio_start_server(starttls_server, sctx, "127.0.0.1", 0, NULL, &srv), 0);
    rd r = {0};
    CHECK_INT(
        cio_open_connection("127.0.0.1", cio_server_port(srv), NULL, &r.s), 0);
    CHECK_INT(cio_stream_write(r.s, "STARTTLS\n", 9), 0);
    char *line = NULL;
    CHECK_INT(cio_stream_readline(r.s, &line), 3);
    free(line);
    cio_future *t = cio_create_task(reader, &r);
    while (!r.s->reader) /* parked, its buffer lent */
        cio_sleep(0);
    CHECK_INT(cio_stream_start_tls(r.s, cctx, "localhost", 10), 0);
    cio_await(t, NULL);
    cio_release(t);
    CHECK_INT(r.n, 2);
    CHECK(memcmp(r.buf, "hi", 2) == 0);
    cio_stream_close(r.s);
    cio_stream_wait_closed(r.s);
    cio_stream_free(r.s);
    cio_server_close(srv);
    cio_server_abort_clients(srv);
    CHECK_INT(cio_server_wait_closed(srv), 0);
    cio_server_free(srv);
    cio_tls_context_release(sctx);
    cio_tls_context_release(cctx);
    return NULL;
}

static void test_starttls_parked_reader(void **state) {
    (void)state;
    assert_int_equal(cio_run(t_starttls_parked_reader, NULL, NULL), 0);
    checks_assert();
}

static int group_setup(void **state) {
    (void)state;
    return tls_certs_make(&certs);
}

static int group_teardown(void **state) {
    (void)state;
    tls_certs_remove(&certs);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {CIO_TEST(test_cancel_after_landing),
                                       CIO_TEST(test_two_readers_short_read),
                                       CIO_TEST(test_starttls_parked_reader)};
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
