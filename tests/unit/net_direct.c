/* Unit tests: a reader parked in cio_stream_read lends its buffer to the
 * raw read (src/net/stream_read.c, wait_direct), so the bytes skip the
 * stream's buffer. What must hold:
 *   - bytes that landed in the lent buffer, when the reader is cancelled
 *     after they came and before it ran, go back in front of the stream's
 *     buffer (ahead of what came after them): nothing lost, nothing
 *     reordered;
 *   - a second reader gets -EBUSY and does not take the lent buffer over;
 *   - a read of fewer bytes than arrived takes only that many.
 * The stream is one end of a socketpair; the test writes the other end. */
#include "../cio_test.h"
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

int main(void) {
    const struct CMUnitTest tests[] = {CIO_TEST(test_cancel_after_landing),
                                       CIO_TEST(test_two_readers_short_read)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
