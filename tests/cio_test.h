/* cio_test.h - small helpers shared by cio's cmocka test programs.
 *
 * Include it first in every test file (it sets the POSIX feature macros and
 * pulls in cmocka and cio). What it offers:
 *
 *   CHECK(...), CHECK_INT(a, b), CHECK_PTR(a, b), CHECK_STR(a, b)
 *       assertions usable inside task bodies and loop callbacks. cmocka's own
 *       assert_* macros longjmp out of the test on failure, which must never
 *       happen on a task's stack; CHECK* only record the failure, and
 *       checks_assert() (run by the teardown of every CIO_TEST) reports them.
 *   ev_log(int), ev_assert(expected...)
 *       an ordered log of events, compared with the exact expected sequence.
 *   diag_capture() / diag_restore() / diag_count(substr)
 *       capture cio's diagnostics instead of letting them go to stderr.
 *   vt_opts(), run_vt(main, arg, &result)
 *       cio_run with a virtual clock.
 *   now_real()      CLOCK_MONOTONIC seconds.
 *   CIO_TEST_ASAN   1 when built with AddressSanitizer.
 *   under_valgrind(), ct_slow()   the divisor for scale tests' counts
 *   CIO_TEST(fn)    a cmocka test entry with the standard setup/teardown.
 */
#ifndef CIO_TEST_H
#define CIO_TEST_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cio.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define CIO_TEST_HAVE_VALGRIND 1
#endif
#endif

#if defined(__GNUC__)
#define CT_UNUSED __attribute__((unused))
#else
#define CT_UNUSED
#endif

/* ---- sanitizers and valgrind ------------------------------------------ */

#if defined(__SANITIZE_ADDRESS__)
#define CIO_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CIO_TEST_ASAN 1
#endif
#endif
#ifndef CIO_TEST_ASAN
#define CIO_TEST_ASAN 0
#endif

/* ThreadSanitizer counts every task (fiber) as a thread and stops at about
 * 8,000 of them: scale tests tell with this. */
#if defined(__SANITIZE_THREAD__)
#define CIO_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CIO_TEST_TSAN 1
#endif
#endif
#ifndef CIO_TEST_TSAN
#define CIO_TEST_TSAN 0
#endif

static inline bool under_valgrind(void) {
#ifdef CIO_TEST_HAVE_VALGRIND
    return RUNNING_ON_VALGRIND != 0;
#else
    const char *p = getenv("LD_PRELOAD");
    return p && strstr(p, "vgpreload") != NULL;
#endif
}

/* How much a scale test should shrink: ThreadSanitizer and valgrind run
 * cio 20-50 times slower (and TSan keeps a shadow stack per task), ASan
 * about 3 times. Tests divide their counts by this, so every stage of CI
 * passes with the machine's other core busy. */
static inline int ct_slow(void) {
    if (CIO_TEST_TSAN || under_valgrind())
        return 20;
    return CIO_TEST_ASAN ? 4 : 1;
}

/* ---- clocks ------------------------------------------------------------ */

static inline double now_real(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- checks usable on a task's stack ----------------------------------- */

#define CT_MAX_FAILS 16
static CT_UNUSED int ct_fail_count;
static CT_UNUSED char ct_fail_msg[CT_MAX_FAILS][320];

static inline void ct_failed(const char *file, int line, const char *fmt, ...)
    CIO_PRINTF(3, 4);
static inline void ct_failed(const char *file, int line, const char *fmt, ...) {
    if (ct_fail_count < CT_MAX_FAILS) {
        char buf[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        const char *base = strrchr(file, '/');
        snprintf(ct_fail_msg[ct_fail_count], sizeof ct_fail_msg[0], "%s:%d: %s",
                 base ? base + 1 : file, line, buf);
    }
    ct_fail_count++;
}

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            ct_failed(__FILE__, __LINE__, "check failed: %s", #cond);          \
    } while (0)

#define CHECK_INT(a, b)                                                        \
    do {                                                                       \
        long long ct_a_ = (long long)(a), ct_b_ = (long long)(b);              \
        if (ct_a_ != ct_b_)                                                    \
            ct_failed(__FILE__, __LINE__, "%s == %s: got %lld, expected %lld", \
                      #a, #b, ct_a_, ct_b_);                                   \
    } while (0)

#define CHECK_PTR(a, b)                                                        \
    do {                                                                       \
        const void *ct_a_ = (const void *)(a), *ct_b_ = (const void *)(b);     \
        if (ct_a_ != ct_b_)                                                    \
            ct_failed(__FILE__, __LINE__, "%s == %s: got %p, expected %p", #a, \
                      #b, ct_a_, ct_b_);                                       \
    } while (0)

#define CHECK_STR(a, b)                                                        \
    do {                                                                       \
        const char *ct_a_ = (a), *ct_b_ = (b);                                 \
        if (!ct_a_ || !ct_b_ || strcmp(ct_a_, ct_b_) != 0)                     \
            ct_failed(__FILE__, __LINE__,                                      \
                      "%s == %s: got \"%s\", expected \"%s\"", #a, #b,         \
                      ct_a_ ? ct_a_ : "(null)", ct_b_ ? ct_b_ : "(null)");     \
    } while (0)

/* Fail the current cmocka test if any CHECK failed since the last reset. */
#define checks_assert()                                                        \
    do {                                                                       \
        if (ct_fail_count) {                                                   \
            int ct_n_ =                                                        \
                ct_fail_count < CT_MAX_FAILS ? ct_fail_count : CT_MAX_FAILS;   \
            for (int ct_i_ = 0; ct_i_ < ct_n_; ct_i_++)                        \
                print_error("  %s\n", ct_fail_msg[ct_i_]);                     \
            int ct_total_ = ct_fail_count;                                     \
            ct_fail_count = 0;                                                 \
            fail_msg("%d check(s) failed", ct_total_);                         \
        }                                                                      \
    } while (0)

/* ---- an ordered event log ---------------------------------------------- */

#define EV_MAX 4096
static CT_UNUSED int ev_n;
static CT_UNUSED int ev_buf[EV_MAX];

static inline void ev_log(int e) {
    if (ev_n < EV_MAX)
        ev_buf[ev_n] = e;
    ev_n++;
}

static inline void ev_reset(void) {
    ev_n = 0;
}

/* Compare the log with an expected sequence; print both on a mismatch. */
static inline void ev_assert_seq(const int *want, int n, const char *file,
                                 int line) {
    bool ok = (ev_n == n);
    for (int i = 0; ok && i < n; i++)
        ok = (ev_buf[i] == want[i]);
    if (!ok) {
        char got[512] = "", exp[512] = "";
        size_t g = 0, x = 0;
        for (int i = 0; i < ev_n && i < EV_MAX && g < sizeof got - 16; i++)
            g += (size_t)snprintf(got + g, sizeof got - g, "%d ", ev_buf[i]);
        for (int i = 0; i < n && x < sizeof exp - 16; i++)
            x += (size_t)snprintf(exp + x, sizeof exp - x, "%d ", want[i]);
        print_error(
            "%s:%d: event log mismatch\n  got:      [ %s]\n  expected: [ %s]\n",
            file, line, got, exp);
        fail_msg("event order differs");
    }
}
#define ev_assert(...)                                                         \
    do {                                                                       \
        const int ev_want_[] = {__VA_ARGS__};                                  \
        ev_assert_seq(ev_want_, (int)(sizeof ev_want_ / sizeof ev_want_[0]),   \
                      __FILE__, __LINE__);                                     \
    } while (0)

/* A log of strings (for the notebook-style tests). */
#define SLOG_MAX 64
static CT_UNUSED int slog_n;
static CT_UNUSED const char *slog_buf[SLOG_MAX];
static inline void slog(const char *s) {
    if (slog_n < SLOG_MAX)
        slog_buf[slog_n] = s;
    slog_n++;
}

/* ---- diagnostics -------------------------------------------------------- */

#define DIAG_MAX 32
static CT_UNUSED int diag_n;
static CT_UNUSED char diag_msgs[DIAG_MAX][512];

static inline void diag_fn(const char *message, void *arg) {
    (void)arg;
    if (diag_n < DIAG_MAX)
        snprintf(diag_msgs[diag_n], sizeof diag_msgs[0], "%s",
                 message ? message : "(null)");
    diag_n++;
}

static inline void diag_capture(void) {
    diag_n = 0;
    cio_set_diagnostic_handler(diag_fn, NULL);
}

static inline void diag_restore(void) {
    cio_set_diagnostic_handler(NULL, NULL);
}

/* How many captured diagnostics contain `needle`. */
static inline int diag_count(const char *needle) {
    int c = 0;
    for (int i = 0; i < diag_n && i < DIAG_MAX; i++)
        if (strstr(diag_msgs[i], needle))
            c++;
    return c;
}

static inline void diag_print(void) {
    for (int i = 0; i < diag_n && i < DIAG_MAX; i++)
        print_message("  diagnostic %d: %s\n", i, diag_msgs[i]);
}

/* ---- loops --------------------------------------------------------------- */

static inline const cio_loop_options *vt_opts(void) {
    static const cio_loop_options o = {.virtual_time = true};
    return &o;
}

static inline int run_vt(cio_task_fn fn, void *arg, void **result) {
    return cio_run_ex(fn, arg, result, vt_opts());
}

/* Loop times are nanosecond counts turned into doubles: differences of two
 * of them can come out a hair below the exact value. Compare with this. */
#define T_EPS 1e-6

#define IPTR(i) ((void *)(intptr_t)(i))
#define PINT(p) ((int)(intptr_t)(p))

/* ---- cmocka glue -----------------------------------------------------------
 */

static inline int ct_setup(void **state) {
    (void)state;
    ct_fail_count = 0;
    ev_n = 0;
    slog_n = 0;
    diag_n = 0;
    return 0;
}

static inline int ct_teardown(void **state) {
    (void)state;
    cio_set_diagnostic_handler(NULL, NULL);
    /* A test that failed half-way may have left its loop open: close it so
     * that the failure does not cascade into the next tests. */
    cio_loop *left = cio_get_running_loop() ? NULL : cio_get_loop();
    if (left) {
        print_error("  the test left a loop open (closed now)\n");
        cio_loop_close(left);
        if (!ct_fail_count)
            return -1;
    }
    if (ct_fail_count) { /* a test forgot checks_assert(): still fail it */
        int n = ct_fail_count < CT_MAX_FAILS ? ct_fail_count : CT_MAX_FAILS;
        for (int i = 0; i < n; i++)
            print_error("  %s\n", ct_fail_msg[i]);
        ct_fail_count = 0;
        return -1;
    }
    return 0;
}

#define CIO_TEST(fn) cmocka_unit_test_setup_teardown(fn, ct_setup, ct_teardown)

#endif /* CIO_TEST_H */
