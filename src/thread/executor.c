/* executor.c - a pool of worker threads (ThreadPoolExecutor).
 *
 * Work items wait in a FIFO under the executor's mutex. A thread is started
 * on submit only when the queue holds more items than there are idle
 * workers (Python's rule: reuse an idle thread before adding one), up to the
 * maximum; threads then stay until shutdown.
 *
 * Lifetime. The executor is freed by whoever lets go last: normally its
 * owner, after joining every worker; but the owner may let go without
 * waiting (from one of the workers, or a loop's default executor at close),
 * and then the remaining workers are detached and the last to exit frees
 * it.
 */
#include "thread/internal.h"

#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct item {
    struct item *next;
    cio_tfuture *tf; /* a reference */
    cio_work_fn fn;
    void *arg;
} item;

typedef struct worker {
    pthread_t thread;
    bool claimed; /* being joined, joined or detached */
} worker;

struct cio_executor {
    pthread_mutex_t mu;
    pthread_cond_t work;   /* workers wait here for items */
    pthread_cond_t exited; /* a worker exited */
    item *head, *tail;
    size_t queued, idle, alive;
    int max_workers;
    worker *workers; /* started threads, [0, nworkers) */
    int nworkers, cap;
    bool shutdown, orphaned;
};

/* The executor the calling thread works for, if it is a worker. */
static CIO_TLS cio_executor *current_executor;

int cio_executor_default_workers(void) {
    long n = 0;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        n = CPU_COUNT(&set);
    if (n <= 0)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n <= 0)
        n = 1;
    return n + 4 < 32 ? (int)n + 4 : 32;
}

cio_executor *cio_executor_new(int max_workers) {
    if (max_workers < 0) {
        cio__set_error(CIO_EINVAL, "cio_executor_new: max_workers must be "
                                   ">= 0 (0 for the default)");
        return NULL;
    }
    cio_executor *ex = calloc(1, sizeof *ex);
    if (!ex) {
        cio__set_error(CIO_ENOMEM, "cio_executor_new: out of memory");
        return NULL;
    }
    pthread_mutex_init(&ex->mu, NULL);
    pthread_cond_init(&ex->work, NULL);
    pthread_cond_init(&ex->exited, NULL);
    ex->max_workers =
        max_workers ? max_workers : cio_executor_default_workers();
    return ex;
}

static void destroy(cio_executor *ex) {
    pthread_cond_destroy(&ex->exited);
    pthread_cond_destroy(&ex->work);
    pthread_mutex_destroy(&ex->mu);
    free(ex->workers);
    free(ex);
}

static void run_item(item *it) {
    if (cio_tfuture_set_running(it->tf) == 1) {
        void *ret = it->fn(it->arg);
        int code;
        char *msg;
        if (cio__take_raised(ret, &code, &msg))
            cio__tfuture_finish(
                it->tf, code == CIO_ECANCELED ? CIO_CANCELLED : CIO_DONE, code,
                NULL, msg);
        else
            cio__tfuture_finish(it->tf, CIO_DONE, 0, ret, NULL);
    }
    cio_tfuture_release(it->tf);
    free(it);
}

static item *pop(cio_executor *ex) {
    item *it = ex->head;
    if (it) {
        ex->head = it->next;
        if (!ex->head)
            ex->tail = NULL;
        ex->queued--;
    }
    return it;
}

static void *worker_main(void *arg) {
    cio_executor *ex = arg;
    current_executor = ex;
    pthread_mutex_lock(&ex->mu);
    for (;;) {
        while (!ex->head && !ex->shutdown) {
            ex->idle++;
            pthread_cond_wait(&ex->work, &ex->mu);
            ex->idle--;
        }
        item *it = pop(ex);
        if (!it)
            break; /* shut down and nothing left */
        pthread_mutex_unlock(&ex->mu);
        run_item(it);
        pthread_mutex_lock(&ex->mu);
    }
    bool last = --ex->alive == 0 && ex->orphaned;
    pthread_cond_broadcast(&ex->exited);
    pthread_mutex_unlock(&ex->mu);
    current_executor = NULL;
    if (last)
        destroy(ex);
    return NULL;
}

/* With ex locked: start one more worker. 0 or a negated errno. */
static int spawn(cio_executor *ex) {
    if (ex->nworkers == ex->cap) {
        int cap = ex->cap ? ex->cap * 2 : 4;
        worker *w = realloc(ex->workers, (size_t)cap * sizeof *w);
        if (!w)
            return CIO_ENOMEM;
        ex->workers = w;
        ex->cap = cap;
    }
    worker *w = &ex->workers[ex->nworkers];
    int rc = pthread_create(&w->thread, NULL, worker_main, ex);
    if (rc != 0)
        return -rc;
    w->claimed = false;
    ex->nworkers++;
    ex->alive++;
    return 0;
}

/* With ex locked: queue the item, and start a thread if no idle one can
 * take it. Fails only if there is no thread at all to run it. */
static int enqueue(cio_executor *ex, item *it) {
    if (ex->tail)
        ex->tail->next = it;
    else
        ex->head = it;
    ex->tail = it;
    ex->queued++;
    if (ex->queued > ex->idle && ex->nworkers < ex->max_workers) {
        int rc = spawn(ex);
        if (rc != 0 && ex->alive == 0) {
            ex->head = ex->tail = NULL;
            ex->queued = 0;
            return rc;
        }
    }
    pthread_cond_signal(&ex->work);
    return 0;
}

cio_tfuture *cio_executor_submit(cio_executor *ex, cio_work_fn fn, void *arg) {
    if (!ex || !fn) {
        cio__set_error(CIO_EINVAL, "cio_executor_submit: %s is NULL",
                       ex ? "the function" : "the executor");
        return NULL;
    }
    item *it = malloc(sizeof *it);
    cio_tfuture *tf = cio_tfuture_new();
    if (!it || !tf) {
        free(it);
        cio_tfuture_release(tf);
        cio__set_error(CIO_ENOMEM, "cio_executor_submit: out of memory");
        return NULL;
    }
    *it = (item){.tf = cio_tfuture_retain(tf), .fn = fn, .arg = arg};
    pthread_mutex_lock(&ex->mu);
    int rc = ex->shutdown ? CIO_ESHUTDOWN : enqueue(ex, it);
    pthread_mutex_unlock(&ex->mu);
    if (rc != 0) {
        cio_tfuture_release(tf);
        cio_tfuture_release(tf);
        free(it);
        cio__set_error(rc, "cio_executor_submit: %s", cio_strerror(rc));
        return NULL;
    }
    return tf;
}

/* Take the queue out (with ex locked); cancel it after unlocking, since a
 * cancelled future's callbacks run at once and may submit again. */
static item *take_queue(cio_executor *ex) {
    item *q = ex->head;
    ex->head = ex->tail = NULL;
    ex->queued = 0;
    return q;
}

static void cancel_items(item *q) {
    while (q) {
        item *next = q->next;
        cio_tfuture_cancel(q->tf);
        cio_tfuture_release(q->tf);
        free(q);
        q = next;
    }
}

/* Wait until every worker but the caller has exited, then join those no
 * one else has claimed. */
static void join_workers(cio_executor *ex) {
    pthread_mutex_lock(&ex->mu);
    while (ex->alive > 0)
        pthread_cond_wait(&ex->exited, &ex->mu);
    int n = ex->nworkers;
    pthread_t *todo = malloc((size_t)(n ? n : 1) * sizeof *todo);
    int k = 0;
    for (int i = 0; todo && i < n; i++) {
        if (!ex->workers[i].claimed) {
            ex->workers[i].claimed = true;
            todo[k++] = ex->workers[i].thread;
        }
    }
    pthread_mutex_unlock(&ex->mu);
    /* Without memory for the list the threads are not joined: they have
     * exited already, only their bookkeeping is left. */
    for (int i = 0; i < k; i++)
        pthread_join(todo[i], NULL);
    free(todo);
}

int cio_executor_shutdown(cio_executor *ex, bool wait, bool cancel_pending) {
    if (!ex)
        return cio__error(CIO_EINVAL,
                          "cio_executor_shutdown: executor is NULL");
    pthread_mutex_lock(&ex->mu);
    ex->shutdown = true;
    item *q = cancel_pending ? take_queue(ex) : NULL;
    pthread_cond_broadcast(&ex->work);
    pthread_mutex_unlock(&ex->mu);
    cancel_items(q);
    if (!wait)
        return 0;
    if (current_executor == ex)
        return cio__error(
            CIO_EDEADLK,
            "cio_executor_shutdown: called from one of the executor's own "
            "workers, which would wait for itself"); /* a worker cannot wait for
                                                        itself */
    join_workers(ex);
    return 0;
}

/* Let go of the executor: workers not joined yet are detached, and the
 * last one to exit frees it (now, if none is left). */
static void orphan(cio_executor *ex) {
    pthread_mutex_lock(&ex->mu);
    ex->orphaned = true;
    for (int i = 0; i < ex->nworkers; i++) {
        if (!ex->workers[i].claimed) {
            ex->workers[i].claimed = true;
            pthread_detach(ex->workers[i].thread);
        }
    }
    bool last = ex->alive == 0;
    pthread_mutex_unlock(&ex->mu);
    if (last)
        destroy(ex);
}

int cio_executor_free(cio_executor *ex) {
    if (!ex)
        return cio__error(CIO_EINVAL, "cio_executor_free: executor is NULL");
    cio_executor_shutdown(ex, current_executor != ex, false);
    orphan(ex);
    return 0;
}

void cio__executor_abandon(cio_executor *ex) {
    cio_executor_shutdown(ex, false, true);
    orphan(ex);
}

int cio_executor_threads(cio_executor *ex) {
    if (!ex)
        return cio__error(CIO_EINVAL, "cio_executor_threads: executor is NULL");
    pthread_mutex_lock(&ex->mu);
    int n = ex->nworkers;
    pthread_mutex_unlock(&ex->mu);
    return n;
}

int cio_executor_max_workers(const cio_executor *ex) {
    return ex ? ex->max_workers : CIO_EINVAL;
}
