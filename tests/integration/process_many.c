/* Integration: 1,000 concurrent subprocesses, no zombie and no leaked fd.
 * Each child is `cat`, fed 1 MiB through its stdin pipe by one task while
 * another reads its stdout pipe and checks every byte; all of them run at
 * the same time (counted). Before and after, this process has the same
 * descriptors and no child. Scaled down under the sanitizers and valgrind.
 * ctest-labels: big
 * ctest-timeout: 600 */
#include "../cio_test.h"
#include "../process_helpers.h"

#include <sys/resource.h>

typedef struct job {
    cio_process *p;
    size_t n;
    size_t bad_at; /* offset of the first wrong byte, or SIZE_MAX */
    size_t got;
    int code;
} job;

static const char *source; /* the bytes every child is fed */

static char expected(size_t i) {
    return (char)('a' + (i * 7 + i / 4096) % 26);
}

#define CHUNK ((size_t)64 * 1024)

static void *feed(void *arg) {
    job *j = arg;
    cio_stream *in = cio_process_stdin(j->p);
    for (size_t off = 0; off < j->n; off += CHUNK) {
        size_t k = j->n - off < CHUNK ? j->n - off : CHUNK;
        int rc = cio_stream_write(in, source + off, k);
        if (rc == 0)
            rc = cio_stream_drain(in);
        if (rc)
            return cio_raise(rc, "feeding: %s", cio_strerror(rc));
    }
    cio_stream_close(in);
    return NULL;
}

static void *check(void *arg) {
    job *j = arg;
    cio_stream *out = cio_process_stdout(j->p);
    char buf[16384];
    ssize_t n;
    while ((n = cio_stream_read(out, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n && j->bad_at == SIZE_MAX; i++)
            if (buf[i] != expected(j->got + (size_t)i))
                j->bad_at = j->got + (size_t)i;
        j->got += (size_t)n;
    }
    if (n < 0)
        return cio_raise((int)n, "reading: %s", cio_strerror((int)n));
    int rc = cio_process_wait(j->p, &j->code);
    return rc ? cio_raise(rc, NULL) : NULL;
}

typedef struct plan {
    int count, children_before, peak;
    size_t bytes;
} plan;

static void *many_main(void *arg) {
    plan *pl = arg;
    job *jobs = calloc((size_t)pl->count, sizeof *jobs);
    cio_future **tasks = calloc((size_t)pl->count * 2, sizeof *tasks);
    const char *const argv[] = {"cat", NULL};
    cio_process_options o = {.in = CIO_STDIO_PIPE, .out = CIO_STDIO_PIPE};
    for (int i = 0; i < pl->count; i++) {
        jobs[i] = (job){.n = pl->bytes, .bad_at = SIZE_MAX, .code = -1};
        jobs[i].p = cio_create_subprocess_exec(argv, &o);
        if (!jobs[i].p) {
            CHECK_STR(cio_last_error_message(), "(spawned)");
            pl->count = i;
            break;
        }
    }
    /* every cat waits for its input: all of them run now */
    pl->peak = count_children() - pl->children_before;
    for (int i = 0; i < pl->count; i++) {
        tasks[2 * i] = cio_create_task(feed, &jobs[i]);
        tasks[2 * i + 1] = cio_create_task(check, &jobs[i]);
    }
    CHECK_INT(cio_gather(tasks, (size_t)pl->count * 2, NULL), 0);
    for (int i = 0; i < pl->count; i++) {
        CHECK_INT(jobs[i].got, pl->bytes);
        CHECK_INT(jobs[i].bad_at, SIZE_MAX);
        CHECK_INT(jobs[i].code, 0);
        CHECK_INT(cio_process_free(jobs[i].p), 0);
    }
    cio_release_all(tasks, (size_t)pl->count * 2);
    free(tasks);
    free(jobs);
    return NULL;
}

static void test_thousand_cats(void **state) {
    (void)state;
    bool small = CIO_TEST_ASAN || CIO_TEST_TSAN || under_valgrind();
    plan pl = {.count = small ? 50 : 1000,
               .bytes = small ? 64 * 1024 : 1024 * 1024};
    /* two pipes per child: more than the usual soft limit of 1024 */
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    rlim_t want = (rlim_t)pl.count * 3 + 256;
    if (rl.rlim_cur < want) {
        if (rl.rlim_max < want)
            skip(); /* the hard limit forbids this many descriptors */
        struct rlimit more = {want, rl.rlim_max};
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &more), 0);
    }
    char *src = malloc(pl.bytes);
    for (size_t i = 0; i < pl.bytes; i++)
        src[i] = expected(i);
    /* libuv opens a pipe once per process for its signal handling (a
     * lock, never closed): let that happen before counting */
    plan warm = {.count = 1, .bytes = 1};
    source = "a";
    warm.children_before = count_children();
    assert_int_equal(cio_run(many_main, &warm, NULL), 0);
    checks_assert();
    source = src;
    int fds = count_fds();
    pl.children_before = count_children();
    assert_int_equal(cio_run(many_main, &pl, NULL), 0);
    checks_assert();
    assert_int_equal(pl.peak, pl.count);
    assert_int_equal(count_fds(), fds);
    assert_int_equal(count_children(), pl.children_before);
    free(src);
    setrlimit(RLIMIT_NOFILE, &rl);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_thousand_cats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
