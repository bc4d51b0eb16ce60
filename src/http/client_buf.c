/* client_buf.c - the memory of a response: a growing byte buffer (its
 * body), and a bump allocator for its strings whose first block lives
 * inside the response.
 *
 * A typical response (a few headers, a small body) then costs two
 * allocations, the response and its body, rather than one per string. */
#include "http/client_internal.h"

#include <stdlib.h>
#include <string.h>

/* Heap blocks of an arena: at least this many bytes */
#define ARENA_BLOCK ((size_t)2048)

static int hbuf_grow(cio__hbuf *b, size_t need, bool exact) {
    size_t cap = b->cap ? b->cap : 512;
    while (cap < need)
        cap *= 2;
    if (exact)
        cap = need;
    char *d = realloc(b->data, cap);
    if (!d)
        return CIO_ENOMEM;
    b->data = d;
    b->cap = cap;
    return 0;
}

int cio__hbuf_append(cio__hbuf *b, const void *p, size_t n) {
    if (b->len + n + 1 > b->cap && hbuf_grow(b, b->len + n + 1, false) != 0)
        return CIO_ENOMEM;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int cio__hbuf_reserve(cio__hbuf *b, size_t cap) {
    return cap > b->cap ? hbuf_grow(b, cap, true) : 0;
}

void cio__hbuf_free(cio__hbuf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void cio__arena_init(cio__arena *a, char *first, size_t cap) {
    a->at = first;
    a->left = cap;
    a->more = NULL;
}

/* Each heap block starts with the address of the one allocated before. */
static char *arena_alloc(cio__arena *a, size_t n) {
    if (n > a->left) {
        size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        void **block = malloc(sizeof *block + size);
        if (!block)
            return NULL;
        *block = a->more;
        a->more = block;
        a->at = (char *)(block + 1);
        a->left = size;
    }
    char *p = a->at;
    a->at += n;
    a->left -= n;
    return p;
}

char *cio__arena_dup(cio__arena *a, const char *s, size_t n) {
    char *d = arena_alloc(a, n + 1);
    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *cio__arena_pair(cio__arena *a, const char *s1, size_t n1, const char *s2,
                      size_t n2) {
    char *d = arena_alloc(a, n1 + n2 + 2);
    if (d) {
        memcpy(d, s1, n1);
        d[n1] = '\0';
        memcpy(d + n1 + 1, s2, n2);
        d[n1 + 1 + n2] = '\0';
    }
    return d;
}

void cio__arena_free(cio__arena *a) {
    void **block = a->more;
    while (block) {
        void **next = *block;
        free(block);
        block = next;
    }
    a->more = NULL;
    a->at = NULL;
    a->left = 0;
}
