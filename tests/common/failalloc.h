/* failalloc.h - make the Nth allocation fail, for the fault tests.
 *
 * A test that says `ctest-wrap: malloc calloc realloc strdup vasprintf
 * mmap` in its source is linked with -Wl,--wrap=SYMBOL for each: every
 * call to those functions from the test and from libcio.a (not from the
 * shared libraries it uses: libuv, libc itself) goes through
 * tests/common/failalloc.c. Armed with failalloc_arm(n), the nth such call
 * made by the arming thread fails (NULL or MAP_FAILED, errno ENOMEM); the
 * others, and every call of other threads, go through. neco's fail
 * counters are the model. No library source knows about it.
 */
#ifndef CIO_TEST_FAILALLOC_H
#define CIO_TEST_FAILALLOC_H

/* Fail the nth allocation from now on this thread (n >= 1); 0 turns the
 * failure off (the count goes on). */
void failalloc_arm(long n);

/* Stop failing; returns how many allocations were counted since the arm
 * (fewer than n: the failure never happened). */
long failalloc_disarm(void);

/* Whether the armed failure has happened. */
int failalloc_fired(void);

#endif /* CIO_TEST_FAILALLOC_H */
