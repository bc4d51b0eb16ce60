/* site.c - where tasks were created, as 32-bit numbers.
 *
 * Every task remembers where it was created (file and line) for the
 * diagnostics; a million tasks created at one line would keep a million
 * copies of the same 12 bytes. A site is the number of its (file, line)
 * pair in a table of the process instead: 4 bytes per task. Numbers are
 * found through a small cache of the thread (a loop creating tasks at a
 * few lines never takes the lock), else a hash table under a mutex. The
 * table only grows, a page at a time; its pages never move, so that a site
 * is read without the lock, even from a signal handler (the overflow
 * report). Site 0 is "?" (a NULL file, or a table out of room or memory).
 */
#include "core/internal.h"

#include <stdatomic.h>
#include <stdlib.h>

#define PAGE_SITES 1024
#define MAX_PAGES 4096 /* 4M distinct sites */

typedef struct site {
    const char *file;
    int line;
} site;

static _Atomic(site *) pages[MAX_PAGES];
static uint32_t nsites = 1; /* 0 is "?" */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* open addressing on (file, line): 0 is an empty slot */
static uint32_t *index_of;
static size_t index_cap;

static size_t hash(const char *file, int line) {
    uint64_t h = (uint64_t)(uintptr_t)file * UINT64_C(0x9e3779b97f4a7c15);
    h ^= (uint64_t)(unsigned)line * UINT64_C(0xff51afd7ed558ccd);
    return (size_t)(h ^ (h >> 29));
}

static site *entry(uint32_t id) {
    site *page =
        atomic_load_explicit(&pages[id / PAGE_SITES], memory_order_acquire);
    return page ? &page[id % PAGE_SITES] : NULL;
}

/* Room for one more in the hash table (kept at most half full). */
static bool index_reserve(void) {
    if (2 * ((size_t)nsites + 1) <= index_cap)
        return true;
    size_t cap = index_cap ? 2 * index_cap : 1024;
    uint32_t *t = calloc(cap, sizeof *t);
    if (!t)
        return false;
    for (size_t i = 0; i < index_cap; i++) {
        uint32_t id = index_of[i];
        if (!id)
            continue;
        const site *s = entry(id);
        size_t j = hash(s->file, s->line) & (cap - 1);
        while (t[j])
            j = (j + 1) & (cap - 1);
        t[j] = id;
    }
    free(index_of);
    index_of = t;
    index_cap = cap;
    return true;
}

/* A new number for (file, line); 0 if out of room or memory. */
static uint32_t add(const char *file, int line, size_t slot) {
    uint32_t id = nsites;
    size_t p = id / PAGE_SITES;
    if (p >= MAX_PAGES)
        return 0;
    site *page = atomic_load_explicit(&pages[p], memory_order_relaxed);
    if (!page) {
        page = calloc(PAGE_SITES, sizeof *page);
        if (!page)
            return 0;
        atomic_store_explicit(&pages[p], page, memory_order_release);
    }
    page[id % PAGE_SITES] = (site){file, line};
    index_of[slot] = id;
    nsites++;
    return id;
}

static uint32_t lookup(const char *file, int line) {
    pthread_mutex_lock(&lock);
    uint32_t id = 0;
    if (index_reserve()) {
        size_t j = hash(file, line) & (index_cap - 1);
        for (;; j = (j + 1) & (index_cap - 1)) {
            uint32_t k = index_of[j];
            if (!k) {
                id = add(file, line, j);
                break;
            }
            const site *s = entry(k);
            if (s->file == file && s->line == line) {
                id = k;
                break;
            }
        }
    }
    pthread_mutex_unlock(&lock);
    return id;
}

/* The thread's cache: a direct-mapped table of recent sites. */
#define CACHE 64
typedef struct cached {
    const char *file;
    int line;
    uint32_t id;
} cached;
static CIO_TLS cached cache[CACHE];

CIO_TLS cio__site_last_t cio__site_last;

uint32_t cio__site_lookup(const char *file, int line) {
    if (!file)
        return 0;
    cached *c = &cache[hash(file, line) % CACHE];
    if (c->file != file || c->line != line) {
        uint32_t id = lookup(file, line);
        if (!id)
            return 0;
        *c = (cached){file, line, id};
    }
    cio__site_last = (cio__site_last_t){c->file, c->line, c->id};
    return c->id;
}

void cio__site_get(uint32_t id, const char **file, int *line) {
    const site *s = id ? entry(id) : NULL;
    *file = s ? s->file : "?";
    *line = s ? s->line : 0;
}
