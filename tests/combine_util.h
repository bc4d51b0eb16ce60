/* combine_util.h - helpers shared by the combine_* tests (include after
 * cio_test.h).
 *
 *   job         what a task does: sleep `delay` seconds, then return `value`
 *               or fail with `code`; `stubborn` makes it take a cancellation
 *               back and sleep `cleanup` seconds more before it returns;
 *               `cleanup` alone makes it sleep that long after a
 *               cancellation before it ends CANCELLED. It records the
 *               status of its sleep, when it ended, and logs its id when it
 *               ends (ev_log).
 *   spawn(j)    a task running the job.
 *   now()       the running loop's clock.
 */
#ifndef COMBINE_UTIL_H
#define COMBINE_UTIL_H

typedef struct job {
    int id;
    double delay;
    intptr_t value;
    int code;       /* fail with this code after the sleep */
    double cleanup; /* seconds of cleanup after a cancellation */
    bool stubborn;  /* swallow the cancellation and return value */
    /* what happened */
    int sleep_rc;
    int cleanup_rc;
    bool started, ended;
    double ended_at;
} job;

static inline double now(void) {
    return cio_loop_time(cio_get_running_loop());
}

static void *job_run(void *arg) {
    job *j = arg;
    j->started = true;
    j->sleep_rc = cio_sleep(j->delay);
    if (j->sleep_rc == CIO_ECANCELED && (j->cleanup > 0 || j->stubborn)) {
        if (j->stubborn)
            cio_task_uncancel(cio_current_task());
        j->cleanup_rc = cio_sleep(j->cleanup);
    }
    j->ended = true;
    j->ended_at = now();
    ev_log(j->id);
    if (j->sleep_rc == CIO_ECANCELED && !j->stubborn)
        return NULL; /* CANCELLED */
    if (j->code)
        return cio_raise(j->code, "job %d failed", j->id);
    return (void *)j->value;
}

static CT_UNUSED cio_future *spawn(job *j) {
    cio_future *t = cio_create_task(job_run, j);
    CHECK(t != NULL);
    return t;
}

/* Run `main` under virtual time and check it returned 0. */
#define RUN(main, arg)                                                         \
    do {                                                                       \
        int run_rc_ = run_vt((main), (arg), NULL);                             \
        checks_assert();                                                       \
        assert_int_equal(run_rc_, 0);                                          \
    } while (0)

#endif /* COMBINE_UTIL_H */
