/* wait.c - asyncio.wait: until the first done, the first failure, or all;
 * the array partitioned in place, done first.
 *
 * The watch records the order in which the futures finish, so that the
 * done part of the array comes in that order (asyncio returns sets, which
 * have none; an order costs nothing and tells a FIRST_COMPLETED caller
 * which future won: futures[0]).
 */
#include "combine/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct waiting {
    cio__watch watch;
    cio_return_when when;
    size_t left;         /* futures not finished yet */
    size_t nseen;        /* entries of order[] */
    size_t *order;       /* indexes, in the order they finished */
    cio_future **sorted; /* the partition is built here */
    unsigned char *taken;
    cio_future *waiter;
    cio_handle *timer; /* the timeout, or NULL */
} waiting;

static void wait_on_done(cio__watch *w, size_t index, cio_future *f) {
    waiting *st = cio__container_of(w, waiting, watch);
    if (w->stopped)
        return;
    st->order[st->nseen++] = index;
    st->left--;
    if (st->left == 0 || st->when == CIO_FIRST_COMPLETED ||
        (st->when == CIO_FIRST_EXCEPTION && !cio_future_cancelled(f) &&
         cio_future_error(f) != 0))
        cio__wake(st->waiter);
}

static void wait_on_timeout(void *arg) {
    cio__wake(((waiting *)arg)->waiter);
}

static void wait_destroy(cio__watch *w) {
    waiting *st = cio__container_of(w, waiting, watch);
    free(st->order);
    free(st);
}

/* Done ones in the order seen, then the other done ones, then the pending
 * ones, each in input order. Returns the done count. */
static size_t partition(waiting *st, cio_future **fs, size_t n) {
    size_t k = 0;
    memset(st->taken, 0, n);
    for (size_t i = 0; i < st->nseen; i++) {
        st->sorted[k++] = fs[st->order[i]];
        st->taken[st->order[i]] = 1;
    }
    for (size_t i = 0; i < n; i++)
        if (!st->taken[i] && cio_future_done(fs[i])) {
            st->sorted[k++] = fs[i];
            st->taken[i] = 1;
        }
    size_t ndone = k;
    for (size_t i = 0; i < n; i++)
        if (!st->taken[i])
            st->sorted[k++] = fs[i];
    memcpy(fs, st->sorted, n * sizeof *fs);
    return ndone;
}

static waiting *waiting_new(size_t n, cio_return_when when) {
    waiting *st = calloc(1, sizeof *st);
    /* one block for the three arrays: order, sorted, taken */
    char *block = malloc(n * (sizeof(size_t) + sizeof(cio_future *) + 1));
    if (!st || !block ||
        cio__watch_init(&st->watch, n, wait_on_done, wait_destroy)) {
        free(st);
        free(block);
        return NULL;
    }
    st->order = (size_t *)(void *)block;
    st->sorted = (cio_future **)(void *)(block + n * sizeof(size_t));
    st->taken =
        (unsigned char *)(block + n * (sizeof(size_t) + sizeof(cio_future *)));
    st->when = when;
    st->left = n;
    return st;
}

static int check_args(cio_future **fs, size_t n, cio_return_when when,
                      double timeout, cio_loop **loop) {
    cio_future *self;
    int rc = cio__current(&self, loop);
    if (rc)
        return cio__error(rc, "cio_wait: %s", cio_strerror(rc));
    if (n == 0 || !cio__timeout_ok(timeout) ||
        (when != CIO_ALL_COMPLETED && when != CIO_FIRST_COMPLETED &&
         when != CIO_FIRST_EXCEPTION))
        return CIO_EINVAL;
    return cio__check_entries(fs, n, self, false, NULL); /* loops: below */
}

/* Stop the timer and the watch, let go of the waiter. */
static void wait_end(waiting *st) {
    cio__handle_drop(&st->timer);
    cio__watch_stop(&st->watch);
    cio_release(st->waiter);
    st->waiter = NULL;
}

/* The loop closes with the task waiting here (the core dropped the await). */
static void wait_abandon(void *arg) {
    waiting *st = arg;
    wait_end(st);
    cio__watch_unref(&st->watch);
}

long cio_wait_at(cio_future **fs, size_t n, cio_return_when when,
                 double timeout, const char *file, int line) {
    cio_loop *loop;
    int rc = check_args(fs, n, when, timeout, &loop);
    if (rc)
        return cio__error(rc, "cio_wait: %s", cio_strerror(rc));
    timeout = cio__timeout_clamp(timeout);
    waiting *st = waiting_new(n, when);
    if (!st)
        return cio__error(CIO_ENOMEM, "cio_wait: out of memory");
    st->waiter = cio_future_new(loop);
    rc = st->waiter ? cio__watch_add_all(&st->watch, fs, n, loop) : CIO_ENOMEM;
    if (rc == 0 && !isinf(timeout))
        rc = cio_call_later(loop, timeout, wait_on_timeout, st, &st->timer);
    if (rc == 0) {
        cio__cleanup cleanup;
        cio__cleanup_push(&cleanup, wait_abandon, st);
        rc = cio_await_at(st->waiter, NULL, file, line);
        cio__cleanup_pop(&cleanup);
    }
    wait_end(st);
    long ndone = rc ? rc : (long)partition(st, fs, n);
    cio__watch_unref(&st->watch);
    return ndone;
}
