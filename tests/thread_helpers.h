/* thread_helpers.h - helpers for the thread tests: gates that order
 * threads without sleeping. Include after cio_test.h.
 *
 *   gate g; gate_init(&g);
 *   worker:  gate_pass(&g);          // counts its arrival, blocks until open
 *   test:    gate_arrivals(&g, 2);   // blocks until two have arrived
 *            gate_open(&g);          // lets them all through
 */
#ifndef CIO_THREAD_HELPERS_H
#define CIO_THREAD_HELPERS_H

#include <pthread.h>

typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int arrived;
    bool open;
} gate;

static inline void gate_init(gate *g) {
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    g->arrived = 0;
    g->open = false;
}

static inline void gate_destroy(gate *g) {
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
}

static inline void gate_open(gate *g) {
    pthread_mutex_lock(&g->mu);
    g->open = true;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static inline void gate_pass(gate *g) {
    pthread_mutex_lock(&g->mu);
    g->arrived++;
    pthread_cond_broadcast(&g->cv);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

static inline void gate_arrivals(gate *g, int n) {
    pthread_mutex_lock(&g->mu);
    while (g->arrived < n)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

static inline int gate_arrived(gate *g) {
    pthread_mutex_lock(&g->mu);
    int n = g->arrived;
    pthread_mutex_unlock(&g->mu);
    return n;
}

/* A work function: wait at the gate, then return it. */
static inline void *gated(void *arg) {
    gate_pass(arg);
    return arg;
}

static inline void sleep_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

#endif /* CIO_THREAD_HELPERS_H */
