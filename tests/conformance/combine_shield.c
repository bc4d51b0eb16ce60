/* Conformance: asyncio.shield, re-expressed with cio_shield. Each test
 * names the CPython test_tasks.py case or the asyncio documentation
 * paragraph it follows. cio_sleep(0) stands for test_utils.run_briefly. */
#include "../cio_test.h"
#include "../combine_util.h"

/* test_shield_result */
static void *shield_result(void *arg) {
    (void)arg;
    cio_future *inner = cio_future_new(NULL);
    cio_future *outer = cio_shield(inner);
    CHECK(outer && outer != inner);
    cio_future_set_result(inner, IPTR(42));
    void *r = NULL;
    CHECK_INT(cio_await(outer, &r), 0);
    CHECK_INT(PINT(r), 42);
    cio_release(outer);
    cio_release(inner);
    return NULL;
}

static void test_shield_result(void **state) {
    (void)state;
    RUN(shield_result, NULL);
}

/* test_shield_exception */
static void *shield_exception(void *arg) {
    (void)arg;
    cio_future *inner = cio_future_new(NULL);
    cio_future *outer = cio_shield(inner);
    cio_future_set_error(inner, -EIO, "disk on fire");
    CHECK_INT(cio_await(outer, NULL), -EIO);
    CHECK_STR(cio_future_error_message(outer), "disk on fire");
    CHECK_INT(cio_future_error(inner), -EIO);
    cio_release(outer);
    cio_release(inner);
    return NULL;
}

static void test_shield_exception(void **state) {
    (void)state;
    RUN(shield_exception, NULL);
}

/* test_shield_cancel_inner: cancelling the inner future cancels the
 * shield. */
static void *shield_cancel_inner(void *arg) {
    (void)arg;
    cio_future *inner = cio_future_new(NULL);
    cio_future *outer = cio_shield(inner);
    CHECK_INT(cio_sleep(0), 0);
    cio_cancel(inner, NULL);
    CHECK_INT(cio_await(outer, NULL), CIO_ECANCELED);
    CHECK(cio_future_cancelled(outer));
    cio_release(outer);
    cio_release(inner);
    return NULL;
}

static void test_shield_cancel_inner(void **state) {
    (void)state;
    RUN(shield_cancel_inner, NULL);
}

/* test_shield_cancel_outer: cancelling the shield leaves the inner future
 * alone, and the inner's later result goes nowhere. */
static void *shield_cancel_outer(void *arg) {
    (void)arg;
    cio_future *inner = cio_future_new(NULL);
    cio_future *outer = cio_shield(inner);
    CHECK_INT(cio_sleep(0), 0);
    CHECK_INT(cio_cancel(outer, NULL), 1);
    CHECK_INT(cio_sleep(0), 0);
    CHECK(cio_future_cancelled(outer));
    CHECK(!cio_future_done(inner));
    CHECK_INT(cio_future_set_result(inner, IPTR(1)), 0);
    CHECK_INT(cio_sleep(0), 0);
    CHECK(cio_future_cancelled(outer));
    cio_release(outer);
    cio_release(inner);
    return NULL;
}

static void test_shield_cancel_outer(void **state) {
    (void)state;
    RUN(shield_cancel_outer, NULL);
}

/* test_shield_shortcut: shielding a future that is already done gives the
 * future itself. */
static void *shield_shortcut(void *arg) {
    (void)arg;
    cio_future *f = cio_future_new(NULL);
    cio_future_set_result(f, IPTR(42));
    cio_future *s = cio_shield(f);
    CHECK_PTR(s, f);
    cio_release(s);
    cio_release(f);
    return NULL;
}

static void test_shield_shortcut(void **state) {
    (void)state;
    RUN(shield_shortcut, NULL);
}

/* test_shield_effect, and docs, asyncio.shield: "If the coroutine containing
 * it is cancelled, the Task running in something() is not cancelled." */
static int g_proof;
static cio_future *g_waiter, *g_inner;
static void *inner_work(void *arg) {
    (void)arg;
    if (cio_await(g_waiter, NULL) == 0)
        g_proof += 1;
    return NULL;
}

static void *outer_work(void *arg) {
    (void)arg;
    cio_future *s = cio_shield(g_inner);
    int err = cio_await(s, NULL);
    cio_release(s);
    if (err == 0)
        g_proof += 100;
    return NULL;
}

static void *shield_effect(void *arg) {
    (void)arg;
    g_proof = 0;
    g_waiter = cio_future_new(NULL);
    g_inner = cio_create_task(inner_work, NULL);
    cio_future *f = cio_create_task(outer_work, NULL);
    CHECK_INT(cio_sleep(0), 0);
    cio_cancel(f, NULL);
    CHECK_INT(cio_await(f, NULL), CIO_ECANCELED);
    CHECK(!cio_future_done(g_inner));
    cio_future_set_result(g_waiter, NULL);
    CHECK_INT(cio_await(g_inner, NULL), 0);
    CHECK_INT(g_proof, 1);
    cio_release_all((cio_future *[]){f, g_inner, g_waiter}, 3);
    return NULL;
}

static void test_shield_effect(void **state) {
    (void)state;
    RUN(shield_effect, NULL);
}

/* test_shield_gather: a shielded gather keeps going when the shield is
 * cancelled. */
static void *shield_gather(void *arg) {
    (void)arg;
    cio_future *c[] = {cio_future_new(NULL), cio_future_new(NULL)};
    cio_future *parent = cio_gather_future(c, 2, 0);
    cio_future *outer = cio_shield(parent);
    CHECK_INT(cio_sleep(0), 0);
    cio_cancel(outer, NULL);
    CHECK_INT(cio_sleep(0), 0);
    CHECK(cio_future_cancelled(outer));
    cio_future_set_result(c[0], IPTR(1));
    cio_future_set_result(c[1], IPTR(2));
    CHECK_INT(cio_await(parent, NULL), 0);
    CHECK(!cio_future_cancelled(c[0]) && !cio_future_cancelled(c[1]));
    cio_release_all((cio_future *[]){c[0], c[1], parent, outer}, 4);
    return NULL;
}

static void test_shield_gather(void **state) {
    (void)state;
    RUN(shield_gather, NULL);
}

/* test_gather_shield: gathering shields and cancelling the gather cancels
 * the shields, not what they shield. */
static void *gather_shield(void *arg) {
    (void)arg;
    cio_future *c[] = {cio_future_new(NULL), cio_future_new(NULL)};
    cio_future *s[] = {cio_shield(c[0]), cio_shield(c[1])};
    cio_future *parent = cio_gather_future(s, 2, 0);
    CHECK_INT(cio_sleep(0), 0);
    cio_cancel(parent, NULL);
    CHECK_INT(cio_await(parent, NULL), CIO_ECANCELED);
    CHECK(cio_future_cancelled(s[0]) && cio_future_cancelled(s[1]));
    CHECK(!cio_future_done(c[0]) && !cio_future_done(c[1]));
    cio_future_set_result(c[0], IPTR(1));
    cio_future_set_result(c[1], IPTR(2));
    CHECK_INT(cio_sleep(0), 0);
    cio_release_all((cio_future *[]){c[0], c[1], s[0], s[1], parent}, 5);
    return NULL;
}

static void test_gather_shield(void **state) {
    (void)state;
    RUN(gather_shield, NULL);
}

/* docs, asyncio.wait_for: "To avoid the task cancellation, wrap it in
 * shield()." The timeout fires, the work goes on and can be awaited
 * afterwards. */
static void *wait_for_shield(void *arg) {
    (void)arg;
    job a = {.id = 1, .delay = 2, .value = 9};
    cio_future *t = spawn(&a);
    cio_future *s = cio_shield(t);
    CHECK_INT(cio_wait_for(s, 1, NULL), CIO_ETIMEDOUT);
    CHECK(cio_future_cancelled(s));
    CHECK(!cio_future_done(t));
    void *r = NULL;
    CHECK_INT(cio_await(t, &r), 0);
    CHECK_INT(PINT(r), 9);
    cio_release(s);
    cio_release(t);
    return NULL;
}

static void test_shield_under_wait_for(void **state) {
    (void)state;
    RUN(wait_for_shield, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_shield_result),
        CIO_TEST(test_shield_exception),
        CIO_TEST(test_shield_cancel_inner),
        CIO_TEST(test_shield_cancel_outer),
        CIO_TEST(test_shield_shortcut),
        CIO_TEST(test_shield_effect),
        CIO_TEST(test_shield_gather),
        CIO_TEST(test_gather_shield),
        CIO_TEST(test_shield_under_wait_for),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
