/* Integration: thousands of requests (scaled down under ASan and valgrind)
 * against nginx and the fault fixture, 64 at a time, with a canceller
 * that cancels them at random moments: every request ends either well or
 * cancelled, nothing leaks, and the session stays usable.
 * ctest-timeout: 600 */
#include "common/http_test.h"

typedef struct job {
    cio_http_session *s;
    unsigned kind;
} job;

static void *one_request(void *arg) {
    job *j = arg;
    cio_http_response *r = NULL;
    int rc;
    if (j->kind < 5) { /* a GET, its JSON checked */
        rc = cio_http_get(j->s, NGINX("/ip.json"), &r);
        if (rc == 0) {
            json_t *doc = NULL;
            rc = cio_http_response_json(r, &doc, 0);
            if (rc == 0 && strcmp(json_string_value(json_object_get(doc, "ip")),
                                  "203.0.113.7") != 0)
                rc = -1;
            json_decref(doc);
        }
    } else if (j->kind == 5) { /* a stream read in part, then released */
        cio_http_request req = {.url = NGINX("/big.bin"), .stream = true};
        rc = cio_http_request_send(j->s, &req, &r);
        char buf[4096];
        for (int i = 0; rc == 0 && i < 3; i++) {
            ssize_t k = cio_http_response_read_chunk(r, buf, sizeof buf);
            rc = k < 0 ? (int)k : 0;
        }
    } else if (j->kind == 6) { /* a POST to the fault fixture */
        json_t *body = json_pack("{s:i}", "n", (int)j->kind);
        rc = cio_http_post_json(j->s, FAULT("/echo"), body, &r);
        json_decref(body);
    } else { /* a slow answer, cancelled often while it waits */
        rc = cio_http_get(j->s, FAULT("/slow?delay=0.05"), &r);
    }
    cio_http_response_release(r);
    return (void *)(intptr_t)rc;
}

#define BATCH 64

typedef struct tally {
    int ok, cancelled, other;
} tally;

static uint64_t lcg = 12345;
static unsigned rnd(unsigned n) {
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(lcg >> 33) % n;
}

static void run_batch(cio_http_session *s, tally *t) {
    job jobs[BATCH];
    cio_future *ts[BATCH];
    for (int i = 0; i < BATCH; i++) {
        jobs[i] = (job){.s = s, .kind = rnd(8)};
        ts[i] = cio_create_task(one_request, &jobs[i]);
    }
    /* cancel about a third, each at a moment of its own */
    for (int i = 0; i < BATCH; i++) {
        if (rnd(3) != 0)
            continue;
        if (rnd(2))
            cio_sleep(rnd(1000) * 1e-6);
        cio_cancel(ts[rnd(BATCH)], NULL);
    }
    for (int i = 0; i < BATCH; i++) {
        void *res = NULL;
        int rc = cio_await(ts[i], &res);
        if (rc == CIO_ECANCELED || (rc == 0 && (intptr_t)res == CIO_ECANCELED))
            t->cancelled++;
        else if (rc == 0 && res == NULL)
            t->ok++;
        else {
            t->other++;
            print_message("request kind %u: %d %d %s\n", jobs[i].kind, rc,
                          (int)(intptr_t)res, cio_last_error_message());
        }
    }
    cio_release_all(ts, BATCH);
}

static void *stress_body(void *arg) {
    int batches = *(int *)arg;
    cio_http_session *s = cio_http_session_new(NULL, NULL);
    tally t = {0};
    for (int b = 0; b < batches; b++)
        run_batch(s, &t);
    print_message("%d requests: %d ok, %d cancelled, %d other\n",
                  batches * BATCH, t.ok, t.cancelled, t.other);
    CHECK_INT(t.other, 0);
    CHECK(t.ok > batches * BATCH / 3);
    CHECK(t.cancelled > 0);
    CHECK_INT((int)cio_http_session_active(s), 0);
    CHECK_INT(ht_get_status(s, NGINX("/ip.json")), 200);
    /* close with a batch in flight */
    cio_future *ts[8];
    job jobs[8];
    for (int i = 0; i < 8; i++) {
        jobs[i] = (job){.s = s, .kind = (unsigned)i};
        ts[i] = cio_create_task(one_request, &jobs[i]);
    }
    cio_sleep(0.01);
    CHECK_INT(cio_http_session_close(s), 0);
    for (int i = 0; i < 8; i++)
        CHECK(cio_future_done(ts[i]));
    cio_release_all(ts, 8);
    return NULL;
}

static void test_random_cancellation(void **state) {
    (void)state;
    HT_REQUIRE_SERVERS();
    int batches = 64; /* 4,096 requests */
    if (CIO_TEST_ASAN)
        batches = 8;
    if (under_valgrind())
        batches = 2;
    ht_run(stress_body, &batches);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_random_cancellation),
    };
    return cmocka_run_group_tests(tests, ht_setup_all, ht_teardown_all);
}
