/* web_app.c - applications, routes and matching; name/value lists and
 * percent-decoding, which the request needs too. */
#include "http/web_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- name/value lists -------------------------------------------------- */

int cio__web_kvs_add(cio__web_kvs *kvs, const char *name, size_t nlen,
                     const char *value, size_t vlen) {
    if (kvs->n == kvs->cap) {
        size_t cap = kvs->cap ? kvs->cap * 2 : 8;
        cio__web_kv *items = realloc(kvs->items, cap * sizeof *items);
        if (!items)
            return CIO_ENOMEM;
        kvs->items = items;
        kvs->cap = cap;
    }
    char *n = strndup(name, nlen), *v = strndup(value, vlen);
    if (!n || !v) {
        free(n);
        free(v);
        return CIO_ENOMEM;
    }
    kvs->items[kvs->n++] = (cio__web_kv){n, v};
    return 0;
}

const char *cio__web_kvs_get(const cio__web_kvs *kvs, const char *name,
                             bool nocase) {
    for (size_t i = 0; i < kvs->n; i++) {
        const char *k = kvs->items[i].name;
        if (nocase ? strcasecmp(k, name) == 0 : strcmp(k, name) == 0)
            return kvs->items[i].value;
    }
    return NULL;
}

void cio__web_kvs_clear(cio__web_kvs *kvs) {
    for (size_t i = 0; i < kvs->n; i++) {
        free(kvs->items[i].name);
        free(kvs->items[i].value);
    }
    kvs->n = 0;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *cio__web_unescape(const char *s, size_t n, bool form, bool *bad) {
    *bad = false;
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            char c = s[i];
            if (form && c == '+')
                c = ' ';
            *o++ = c;
            continue;
        }
        int hi = i + 1 < n ? hexval(s[i + 1]) : -1;
        int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(out);
            *bad = true;
            return NULL;
        }
        *o++ = (char)(hi * 16 + lo);
        i += 2;
    }
    *o = '\0';
    return out;
}

/* ---- applications ------------------------------------------------------ */

cio_web_app *cio_web_app_new(void) {
    cio_web_app *app = calloc(1, sizeof *app);
    if (!app)
        cio__set_error(CIO_ENOMEM, "cio_web_app_new: out of memory");
    return app;
}

static void route_free(cio__web_route *r) {
    for (size_t i = 0; i < r->nsegs; i++)
        free(r->segs[i]);
    free(r->segs);
    free(r->method);
}

int cio_web_app_free(cio_web_app *app) {
    if (!app)
        return 0;
    if (app->servers) {
        cio__set_error(-EBUSY,
                       "cio_web_app_free: %u server(s) still serve "
                       "the app: free them first",
                       app->servers);
        return -EBUSY;
    }
    for (size_t i = 0; i < app->nroutes; i++)
        route_free(&app->routes[i]);
    free(app->routes);
    free(app);
    return 0;
}

static bool is_token(const char *s) {
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s <= ' ' || *s >= 127 || strchr("()<>@,;:\\\"/[]?={}", *s))
            return false;
    return true;
}

/* Split "/a/{b}/c" into its segments; false for a bad pattern. */
static int split_pattern(const char *pattern, cio__web_route *r) {
    const char *p = pattern + 1;
    for (;;) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > 0 && p[0] == '{' && (n < 3 || p[n - 1] != '}'))
            return CIO_EINVAL;
        if (memchr(p, '{', n) && p[0] != '{')
            return CIO_EINVAL;
        char **segs = realloc(r->segs, (r->nsegs + 1) * sizeof *segs);
        if (!segs)
            return CIO_ENOMEM;
        r->segs = segs;
        if (!(segs[r->nsegs] = strndup(p, n)))
            return CIO_ENOMEM;
        r->nsegs++;
        if (!end)
            return 0;
        p = end + 1;
    }
}

int cio_web_app_route(cio_web_app *app, const char *method, const char *pattern,
                      cio_web_handler handler, void *arg) {
    if (!app || !method || !pattern || !handler || pattern[0] != '/' ||
        (strcmp(method, "*") != 0 && !is_token(method))) {
        cio__set_error(CIO_EINVAL, "cio_web_app_route: needs an app, a method "
                                   "token (or \"*\"), a pattern starting "
                                   "with '/' and a handler");
        return CIO_EINVAL;
    }
    if (app->servers) {
        cio__set_error(-EBUSY, "cio_web_app_route: the app is being served; "
                               "add routes before cio_web_serve");
        return -EBUSY;
    }
    if (app->nroutes == app->cap) {
        size_t cap = app->cap ? app->cap * 2 : 8;
        cio__web_route *rs = realloc(app->routes, cap * sizeof *rs);
        if (!rs)
            return cio__error(CIO_ENOMEM, "cio_web_app_route: out of memory");
        app->routes = rs;
        app->cap = cap;
    }
    cio__web_route r = {.fn = handler, .arg = arg};
    int err = split_pattern(pattern, &r);
    if (!err && !(r.method = strdup(method)))
        err = CIO_ENOMEM;
    if (err) {
        route_free(&r);
        cio__set_error(err,
                       err == CIO_EINVAL
                           ? "cio_web_app_route: bad pattern '%s' (a "
                             "parameter is a whole segment: {name})"
                           : "cio_web_app_route: out of memory (%s)",
                       pattern);
        return err;
    }
    app->routes[app->nroutes++] = r;
    return 0;
}

/* ---- matching ----------------------------------------------------------- */

/* 1 if path matches the route (its "{name}" segments then in params), 0
 * if not, CIO_ENOMEM. */
static int path_matches(const cio__web_route *r, const char *path,
                        cio__web_kvs *params) {
    const char *p = path + 1;
    cio__web_kvs_clear(params);
    for (size_t i = 0; i < r->nsegs; i++) {
        if (!p)
            return 0;
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *seg = r->segs[i];
        if (seg[0] == '{') {
            if (n == 0)
                return 0;
            if (cio__web_kvs_add(params, seg + 1, strlen(seg) - 2, p, n) != 0)
                return CIO_ENOMEM;
        } else if (strlen(seg) != n || memcmp(seg, p, n) != 0) {
            return 0;
        }
        p = end ? end + 1 : NULL;
    }
    return p == NULL;
}

static bool method_matches(const char *route, const char *method) {
    return strcmp(route, "*") == 0 || strcmp(route, method) == 0 ||
           (strcmp(route, "GET") == 0 && strcmp(method, "HEAD") == 0);
}

/* Append ", m" to the Allow list unless it is there. */
static int allow_add(char **allow, const char *m) {
    size_t have = *allow ? strlen(*allow) : 0, mlen = strlen(m);
    if (*allow) {
        for (const char *p = *allow; (p = strstr(p, m)) != NULL; p++)
            if ((p == *allow || p[-1] == ' ') &&
                (p[mlen] == ',' || p[mlen] == '\0'))
                return 0;
    }
    char *s = realloc(*allow, have + mlen + 3);
    if (!s)
        return CIO_ENOMEM;
    if (have) {
        s[have++] = ',';
        s[have++] = ' ';
    }
    memcpy(s + have, m, mlen + 1);
    *allow = s;
    return 0;
}

int cio__web_app_match(cio_web_app *app, cio_web_request *req,
                       const cio__web_route **out, char **allow) {
    bool path_seen = false;
    *allow = NULL;
    for (size_t i = 0; i < app->nroutes; i++) {
        const cio__web_route *r = &app->routes[i];
        int m = path_matches(r, req->path, &req->params);
        if (m < 0) {
            free(*allow);
            *allow = NULL;
            return m;
        }
        if (m == 0)
            continue;
        if (method_matches(r->method, req->method)) {
            free(*allow);
            *allow = NULL;
            *out = r;
            return 0;
        }
        path_seen = true;
        if (strcmp(r->method, "*") != 0 &&
            (allow_add(allow, r->method) != 0 ||
             (strcmp(r->method, "GET") == 0 && allow_add(allow, "HEAD") != 0)))
            return CIO_ENOMEM;
    }
    cio__web_kvs_clear(&req->params);
    return path_seen ? 405 : 404;
}
