/* clock.c - deadlines for the calls that block a thread.
 *
 * Timeouts are measured on CLOCK_MONOTONIC (a wall-clock jump must not cut
 * a wait short or stretch it), so condition variables are created with that
 * clock. A timeout so large that it cannot be represented waits for ever.
 */
#include "thread/internal.h"

#include <errno.h>
#include <math.h>
#include <time.h>

/* Beyond this (about 31 years) a timeout is "for ever": no overflow. */
#define FOREVER_SECONDS 1e9

int cio__deadline_set(cio__deadline *d, double timeout) {
    if (isnan(timeout) || timeout < 0)
        return CIO_EINVAL;
    d->forever = timeout >= FOREVER_SECONDS;
    if (d->forever)
        return 0;
    clock_gettime(CLOCK_MONOTONIC, &d->at);
    double whole = floor(timeout);
    d->at.tv_sec += (time_t)whole;
    d->at.tv_nsec += (long)((timeout - whole) * 1e9);
    if (d->at.tv_nsec >= 1000000000L) {
        d->at.tv_sec++;
        d->at.tv_nsec -= 1000000000L;
    }
    return 0;
}

void cio__cond_init(pthread_cond_t *cv) {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &attr);
    pthread_condattr_destroy(&attr);
}

int cio__cond_wait(pthread_cond_t *cv, pthread_mutex_t *mu,
                   const cio__deadline *d) {
    if (d->forever) {
        pthread_cond_wait(cv, mu);
        return 0;
    }
    return pthread_cond_timedwait(cv, mu, &d->at) == ETIMEDOUT ? ETIMEDOUT : 0;
}
