/* cmocka.h for the cross build of `make aarch64` only: the part of
 * cmocka's API that tests/unit/coro.c uses, because Debian's cmocka is not
 * installed for the target architecture. A failed assertion prints where
 * and exits 1; cmocka_run_group_tests runs the tests in order and prints
 * cmocka's summary line. The native builds use the real cmocka. */
#ifndef CIO_CROSS_CMOCKA_H
#define CIO_CROSS_CMOCKA_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <setjmp.h>

struct CMUnitTest {
    const char *name;
    void (*fn)(void **state);
    int (*teardown)(void **state);
};

#define cmocka_unit_test(f)                                                    \
    { #f, f, NULL }
#define cmocka_unit_test_teardown(f, t)                                        \
    { #f, f, t }
#define print_message(...) printf(__VA_ARGS__)

/* skip(): the test ends here, counted as skipped */
static jmp_buf cross_skip_jmp;
#define skip() longjmp(cross_skip_jmp, 1)

static inline void cross_fail(const char *file, int line, const char *what) {
    fprintf(stderr, "%s:%d: failed: %s\n", file, line, what);
    exit(1);
}

#define assert_true(c) ((c) ? (void)0 : cross_fail(__FILE__, __LINE__, #c))
#define assert_false(c) assert_true(!(c))
#define assert_int_equal(a, b) assert_true((intmax_t)(a) == (intmax_t)(b))
#define assert_ptr_equal(a, b)                                                 \
    assert_true((const void *)(a) == (const void *)(b))
#define assert_null(p) assert_true((p) == NULL)
#define assert_non_null(p) assert_true((p) != NULL)

#define cmocka_run_group_tests(tests, setup, teardown)                         \
    cross_run((tests), sizeof(tests) / sizeof((tests)[0]))

static inline int cross_run(const struct CMUnitTest *tests, size_t n) {
    volatile size_t skipped = 0; /* live across the longjmp of skip() */
    for (volatile size_t i = 0; i < n; i++) {
        void *state = NULL;
        printf("[ RUN      ] %s\n", tests[i].name);
        if (setjmp(cross_skip_jmp) == 0) {
            tests[i].fn(&state);
            printf("[       OK ] %s\n", tests[i].name);
        } else {
            printf("[  SKIPPED ] %s\n", tests[i].name);
            skipped++;
        }
        if (tests[i].teardown)
            tests[i].teardown(&state);
    }
    printf("[  PASSED  ] %zu test(s).\n", n - skipped);
    if (skipped)
        printf("[  SKIPPED ] %zu test(s).\n", skipped);
    return 0;
}

#endif /* CIO_CROSS_CMOCKA_H */
