/*
 * The bad-input matrix's loader and its raw HTTP client; see
 * test_badinput.h for what a case is and docs/bad-input.md for the file
 * format. The loader turns a file's table of kinds × routes into plain
 * cases with every "${var}" expanded, refusing anything it does not know
 * (an unknown key, kind or variable is a typo that would silently test
 * nothing) with the file and JSON path named.
 */
#include "test_badinput.h"

#include "../runner.h"

#include "json.h"
#include "mem.h"
#include "sbuf.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

/* A file's lists: what any case file may hold, capped. */
#define BI_MAX_FILE (4u * 1024 * 1024)
#define BI_MAX_CASES 5000
/* Substitutions may name variables whose values name variables: a few
 * rounds, then what is left is an error. */
#define BI_SUBST_ROUNDS 4

const char *bi_dir(void)
{
    const char *d = getenv("BADINPUT_DIR");
    return d && *d ? d : BI_DIR_DEFAULT;
}

/* ---- templates ------------------------------------------------------------ */

typedef struct {
    const cJSON *layers[4]; /* objects of string values, later ones win */
    int n;
    char uniq[32];
} vars;

static const char *var_get(const vars *v, const char *name, size_t len)
{
    if (len == 4 && strncmp(name, "uniq", 4) == 0)
        return v->uniq;
    for (int i = v->n - 1; i >= 0; i--) {
        const cJSON *it;
        cJSON_ArrayForEach(it, v->layers[i])
        {
            if (strlen(it->string) == len && strncmp(it->string, name, len) == 0 &&
                cJSON_IsString(it))
                return it->valuestring;
        }
    }
    return NULL;
}

/* "${repeat:C:N}": N copies of the text C (N capped). */
static int repeat_var(const char *spec, size_t len, sbuf *out)
{
    const char *colon = memchr(spec, ':', len);
    if (!colon)
        return -1;
    size_t clen = (size_t)(colon - spec);
    char num[24];
    size_t nlen = len - clen - 1;
    if (clen == 0 || nlen == 0 || nlen >= sizeof num)
        return -1;
    memcpy(num, colon + 1, nlen);
    num[nlen] = '\0';
    char *end;
    unsigned long n = strtoul(num, &end, 10);
    if (*end || n * clen > BI_MAX_BODY)
        return -1;
    for (unsigned long i = 0; i < n; i++)
        sbuf_append(out, spec, clen);
    return 0;
}

/* Expands every "${name}" of text. Returns malloc'd text, or NULL with
 * the unknown variable in err. */
static char *subst(const char *text, const vars *v, const char *where, char *err, size_t errlen)
{
    char *cur = xstrdup(text);
    for (int round = 0; round < BI_SUBST_ROUNDS && strstr(cur, "${"); round++) {
        sbuf out = SBUF_INIT;
        const char *p = cur;
        for (const char *s; (s = strstr(p, "${"));) {
            sbuf_append(&out, p, (size_t)(s - p));
            const char *close = strchr(s + 2, '}');
            const char *name = s + 2;
            size_t len = close ? (size_t)(close - name) : 0;
            const char *val = close ? var_get(v, name, len) : NULL;
            if (val) {
                sbuf_puts(&out, val);
            } else if (!close || len < 8 || strncmp(name, "repeat:", 7) != 0 ||
                       repeat_var(name + 7, len - 7, &out) != 0) {
                snprintf(err, errlen, "%s: unknown variable \"${%.*s}\"", where,
                         close ? (int)len : 20, name);
                sbuf_free(&out);
                free(cur);
                return NULL;
            }
            p = close + 1;
        }
        sbuf_puts(&out, p);
        free(cur);
        cur = xstrdup(sbuf_str(&out));
        sbuf_free(&out);
    }
    if (strstr(cur, "${")) {
        snprintf(err, errlen, "%s: variables nest more than %d deep", where, BI_SUBST_ROUNDS);
        free(cur);
        return NULL;
    }
    return cur;
}

/* ---- generated bodies ----------------------------------------------------- */

/* "10 MB" (a JSON object padded to that many MiB), "deep nesting N"
 * ({"a": nested N deep). Returns 0, or -1 when gen is not one of them. */
static int gen_body(const char *gen, sbuf *out)
{
    unsigned long n;
    char tail[16];
    if (sscanf(gen, "deep nesting %lu%15s", &n, tail) == 1 && n > 0 && n <= 1000000) {
        for (unsigned long i = 0; i < n; i++)
            sbuf_puts(out, "{\"a\":");
        sbuf_putc(out, '1');
        for (unsigned long i = 0; i < n; i++)
            sbuf_putc(out, '}');
        return 0;
    }
    if (sscanf(gen, "%lu MB%15s", &n, tail) == 1 && n > 0 && n * 1024 * 1024 <= BI_MAX_BODY) {
        size_t total = n * 1024 * 1024;
        sbuf_puts(out, "{\"pad\":\"");
        while (out->len < total - 2)
            sbuf_putc(out, 'x');
        sbuf_puts(out, "\"}");
        return 0;
    }
    return -1;
}

/* ---- one case from a kind (or a hand-written case) and a route ------------ */

static const char *const spec_keys[] = {
    "name", "route", "method", "path", "headers", "drop", "body", "body_gen", "hmac",
    "slow", "setup", "status", "cut", "contains", "dead_letter", "events_added", "vars",
    "about", NULL};

static void headers_set(bi_case *c, const char *h)
{
    const char *colon = strchr(h, ':');
    size_t nlen = colon ? (size_t)(colon - h) : strlen(h);
    for (size_t i = 0; i < c->n_headers; i++)
        if (strncasecmp(c->headers[i], h, nlen) == 0 && c->headers[i][nlen] == ':') {
            free(c->headers[i]);
            c->headers[i] = xstrdup(h);
            return;
        }
    c->headers = xrealloc(c->headers, (c->n_headers + 1) * sizeof *c->headers);
    c->headers[c->n_headers++] = xstrdup(h);
}

static void headers_drop(bi_case *c, const char *name)
{
    size_t nlen = strlen(name);
    for (size_t i = 0; i < c->n_headers; i++)
        if (strncasecmp(c->headers[i], name, nlen) == 0 && c->headers[i][nlen] == ':') {
            free(c->headers[i]);
            c->headers[i] = c->headers[--c->n_headers];
            return;
        }
}

/* A member that must be a string (or absent); expanded into *out. */
static int str_member(const cJSON *spec, const char *key, const vars *v, const char *where,
                      char **out, char *err, size_t errlen)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(spec, key);
    if (!it)
        return 0;
    char path[256];
    snprintf(path, sizeof path, "%s.%s", where, key);
    if (!cJSON_IsString(it)) {
        snprintf(err, errlen, "%s: expected a string", path);
        return -1;
    }
    free(*out);
    *out = subst(it->valuestring, v, path, err, errlen);
    return *out ? 0 : -1;
}

/* A member that is a string or an array of strings, each expanded and
 * handed to fn. */
static int list_member(const cJSON *spec, const char *key, const vars *v, const char *where,
                       bi_case *c, void (*fn)(bi_case *, const char *), char *err, size_t errlen)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(spec, key);
    if (!it)
        return 0;
    char path[256];
    snprintf(path, sizeof path, "%s.%s", where, key);
    if (cJSON_IsString(it)) {
        char *s = subst(it->valuestring, v, path, err, errlen);
        if (!s)
            return -1;
        fn(c, s);
        free(s);
        return 0;
    }
    if (!cJSON_IsArray(it)) {
        snprintf(err, errlen, "%s: expected a string or an array of strings", path);
        return -1;
    }
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, it)
    {
        char ep[300];
        snprintf(ep, sizeof ep, "%s[%d]", path, i++);
        if (!cJSON_IsString(e)) {
            snprintf(err, errlen, "%s: expected a string", ep);
            return -1;
        }
        char *s = subst(e->valuestring, v, ep, err, errlen);
        if (!s)
            return -1;
        fn(c, s);
        free(s);
    }
    return 0;
}

static void contains_add(bi_case *c, const char *s)
{
    c->contains = xrealloc(c->contains, (c->n_contains + 1) * sizeof *c->contains);
    c->contains[c->n_contains++] = xstrdup(s);
}

static int int_member(const cJSON *spec, const char *key, const char *where, int min, int max,
                      int *out, char *err, size_t errlen)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(spec, key);
    if (!it)
        return 0;
    if (!cJSON_IsNumber(it) || it->valuedouble != (double)(int)it->valuedouble ||
        it->valueint < min || it->valueint > max) {
        snprintf(err, errlen, "%s.%s: expected an integer in [%d, %d]", where, key, min, max);
        return -1;
    }
    *out = it->valueint;
    return 0;
}

/* The body: "body" (text) or "body_gen" (a generator's name). */
static int body_member(const cJSON *spec, const vars *v, const char *where, bi_case *c,
                       char *err, size_t errlen)
{
    char *gen = NULL;
    if (str_member(spec, "body", v, where, &c->body, err, errlen) ||
        str_member(spec, "body_gen", v, where, &gen, err, errlen))
        return -1;
    if (c->body)
        c->body_len = strlen(c->body);
    if (!gen)
        return 0;
    sbuf b = SBUF_INIT;
    if (gen_body(gen, &b) != 0) {
        snprintf(err, errlen, "%s.body_gen: \"%s\" is not \"N MB\" or \"deep nesting N\"",
                 where, gen);
        free(gen);
        sbuf_free(&b);
        return -1;
    }
    free(gen);
    free(c->body);
    c->body_len = b.len;
    c->body = xmalloc(b.len + 1);
    memcpy(c->body, sbuf_str(&b), b.len + 1);
    sbuf_free(&b);
    return 0;
}

static int after_members(const cJSON *spec, const vars *v, const char *where, bi_case *c,
                         char *err, size_t errlen)
{
    const cJSON *dl = cJSON_GetObjectItemCaseSensitive(spec, "dead_letter");
    if (dl) {
        char p[256];
        snprintf(p, sizeof p, "%s.dead_letter", where);
        static const char *const keys[] = {"topic", "reason", NULL};
        json_err je;
        if (!cJSON_IsObject(dl) || json_only_keys(dl, p, keys, &je) != 0) {
            snprintf(err, errlen, "%s: expected {\"topic\":..., \"reason\":...}", p);
            return -1;
        }
        if (str_member(dl, "topic", v, p, &c->dead_topic, err, errlen) ||
            str_member(dl, "reason", v, p, &c->dead_reason, err, errlen))
            return -1;
        if (!c->dead_topic || !c->dead_reason) {
            snprintf(err, errlen, "%s: both topic and reason are required", p);
            return -1;
        }
    }
    return int_member(spec, "events_added", where, 0, 10, &c->events_added, err, errlen);
}

static int slow_member(const cJSON *spec, const char *where, bi_case *c, char *err,
                       size_t errlen)
{
    const cJSON *slow = cJSON_GetObjectItemCaseSensitive(spec, "slow");
    if (!slow)
        return 0;
    char p[256];
    snprintf(p, sizeof p, "%s.slow", where);
    static const char *const keys[] = {"interval_ms", "max_ms", NULL};
    json_err je;
    if (!cJSON_IsObject(slow) || json_only_keys(slow, p, keys, &je) != 0) {
        snprintf(err, errlen, "%s: expected {\"interval_ms\":N, \"max_ms\":N}", p);
        return -1;
    }
    c->slow_interval_ms = 200;
    c->slow_max_ms = 3000;
    /* A few seconds at most: the matrix runs hundreds of cases. */
    return int_member(slow, "interval_ms", p, 10, 2000, &c->slow_interval_ms, err, errlen) ||
           int_member(slow, "max_ms", p, 100, 8000, &c->slow_max_ms, err, errlen);
}

static int hmac_member(const cJSON *spec, const vars *v, const char *where, bi_case *c,
                       char *err, size_t errlen)
{
    char *h = NULL;
    if (str_member(spec, "hmac", v, where, &h, err, errlen) != 0)
        return -1;
    if (!h)
        return 0;
    int rc = 0;
    if (strcmp(h, "valid") == 0)
        c->hmac = BI_HMAC_VALID;
    else if (strcmp(h, "wrong") == 0)
        c->hmac = BI_HMAC_WRONG;
    else if (strcmp(h, "none") == 0)
        c->hmac = BI_HMAC_NONE;
    else {
        snprintf(err, errlen, "%s.hmac: expected \"valid\", \"wrong\" or \"none\"", where);
        rc = -1;
    }
    free(h);
    return rc;
}

static int cut_member(const cJSON *spec, const char *where, bi_case *c, char *err,
                      size_t errlen)
{
    const cJSON *cut = cJSON_GetObjectItemCaseSensitive(spec, "cut");
    if (!cut)
        return 0;
    if (!cJSON_IsBool(cut)) {
        snprintf(err, errlen, "%s.cut: expected true or false", where);
        return -1;
    }
    c->expect_cut = cJSON_IsTrue(cut);
    return 0;
}

/* Applies the members of one spec (a kind, an override or a case) to c. */
static int apply_spec(const cJSON *spec, const vars *v, const char *where, bi_case *c,
                      char *err, size_t errlen)
{
    json_err je;
    if (!cJSON_IsObject(spec) || json_only_keys(spec, where, spec_keys, &je) != 0) {
        snprintf(err, errlen, "%s", cJSON_IsObject(spec) ? je.msg : "expected an object");
        if (!cJSON_IsObject(spec))
            snprintf(err, errlen, "%s: expected an object", where);
        return -1;
    }
    if (cJSON_GetObjectItemCaseSensitive(spec, "contains")) { /* an override's replace */
        for (size_t i = 0; i < c->n_contains; i++)
            free(c->contains[i]);
        c->n_contains = 0;
    }
    if (str_member(spec, "method", v, where, &c->method, err, errlen) ||
        str_member(spec, "path", v, where, &c->path, err, errlen) ||
        list_member(spec, "drop", v, where, c, headers_drop, err, errlen) ||
        list_member(spec, "headers", v, where, c, headers_set, err, errlen) ||
        body_member(spec, v, where, c, err, errlen) || hmac_member(spec, v, where, c, err, errlen) ||
        slow_member(spec, where, c, err, errlen) ||
        str_member(spec, "setup", v, where, &c->setup, err, errlen) ||
        int_member(spec, "status", where, 0, 599, &c->status, err, errlen) ||
        cut_member(spec, where, c, err, errlen) ||
        list_member(spec, "contains", v, where, c, contains_add, err, errlen) ||
        after_members(spec, v, where, c, err, errlen))
        return -1;
    if (c->setup && strcmp(c->setup, "paid_order") != 0) {
        snprintf(err, errlen, "%s.setup: expected \"paid_order\"", where);
        return -1;
    }
    return 0;
}

/* ---- the file -------------------------------------------------------------- */

typedef struct {
    const char *file;
    const cJSON *root, *kinds, *groups, *defaults, *file_vars;
    bi_file *out;
} loader;

static bi_case *new_case(loader *L)
{
    bi_file *f = L->out;
    f->cases = xrealloc(f->cases, (f->n_cases + 1) * sizeof *f->cases);
    bi_case *c = &f->cases[f->n_cases++];
    memset(c, 0, sizeof *c);
    return c;
}

static void case_free(bi_case *c)
{
    free(c->name);
    free(c->route);
    free(c->method);
    free(c->path);
    for (size_t i = 0; i < c->n_headers; i++)
        free(c->headers[i]);
    free(c->headers);
    free(c->body);
    free(c->setup);
    for (size_t i = 0; i < c->n_contains; i++)
        free(c->contains[i]);
    free(c->contains);
    free(c->dead_topic);
    free(c->dead_reason);
}

void bi_file_free(bi_file *f)
{
    for (size_t i = 0; i < f->n_cases; i++)
        case_free(&f->cases[i]);
    free(f->cases);
    free(f->server);
    free(f->overrides);
    memset(f, 0, sizeof *f);
}

/* A case's start: its route, the route's method and path, the file's
 * default headers and then the route's. */
static int case_start(loader *L, bi_case *c, const char *route, const char *path,
                      const cJSON *route_headers, vars *v, const char *where, char *err,
                      size_t errlen)
{
    snprintf(v->uniq, sizeof v->uniq, "%zu", (size_t)5000000000ull + L->out->n_cases);
    c->route = xstrdup(route);
    const char *sp = strchr(route, ' ');
    if (!sp || sp == route || sp[1] != '/') {
        snprintf(err, errlen, "%s.route: expected \"METHOD /pattern\", got \"%s\"", where, route);
        return -1;
    }
    c->method = xstrndup(route, (size_t)(sp - route));
    if (strcmp(c->method, "*") == 0) { /* a catch-all takes any method */
        free(c->method);
        c->method = xstrdup("PATCH");
    }
    c->path = xstrdup(path ? path : sp + 1);
    if (L->defaults) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddItemReferenceToObject(d, "headers", (cJSON *)L->defaults);
        char p[300];
        snprintf(p, sizeof p, "%s (the file's headers)", where);
        int rc = list_member(d, "headers", v, p, c, headers_set, err, errlen);
        cJSON_Delete(d);
        if (rc)
            return -1;
    }
    if (route_headers) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddItemReferenceToObject(d, "headers", (cJSON *)route_headers);
        int rc = list_member(d, "headers", v, where, c, headers_set, err, errlen);
        cJSON_Delete(d);
        if (rc)
            return -1;
    }
    return 0;
}

/* One route entry of "routes" with the "@" prefix (when any) already
 * expanded: every kind it lists, groups included. */
static int route_cases(loader *L, const cJSON *entry, const char *route, const char *path,
                       const char *where, char *err, size_t errlen)
{
    const cJSON *kinds = cJSON_GetObjectItemCaseSensitive(entry, "kinds");
    const cJSON *rvars = cJSON_GetObjectItemCaseSensitive(entry, "vars");
    const cJSON *over = cJSON_GetObjectItemCaseSensitive(entry, "override");
    const cJSON *rhdrs = cJSON_GetObjectItemCaseSensitive(entry, "headers");
    if (!cJSON_IsArray(kinds) || cJSON_GetArraySize(kinds) == 0) {
        snprintf(err, errlen, "%s.kinds: expected a non-empty array of kind names", where);
        return -1;
    }
    /* Groups ("@body") name lists of kinds; flatten them first. */
    cJSON *names = cJSON_CreateArray();
    const cJSON *k;
    cJSON_ArrayForEach(k, kinds)
    {
        if (!cJSON_IsString(k))
            continue;
        const cJSON *g = k->valuestring[0] == '@'
                             ? cJSON_GetObjectItemCaseSensitive(L->groups, k->valuestring + 1)
                             : NULL;
        if (k->valuestring[0] == '@' && !cJSON_IsArray(g)) {
            snprintf(err, errlen, "%s.kinds: no group \"%s\" in \"groups\"", where,
                     k->valuestring + 1);
            cJSON_Delete(names);
            return -1;
        }
        const cJSON *m;
        if (g) {
            cJSON_ArrayForEach(m, g)
            {
                cJSON_AddItemToArray(names, cJSON_Duplicate(m, 0));
            }
        } else {
            cJSON_AddItemToArray(names, cJSON_Duplicate(k, 0));
        }
    }
    int rc = 0;
    cJSON_ArrayForEach(k, names)
    {
        const cJSON *kind = cJSON_IsString(k)
                                ? cJSON_GetObjectItemCaseSensitive(L->kinds, k->valuestring)
                                : NULL;
        if (!kind) {
            snprintf(err, errlen, "%s.kinds: no kind \"%s\" in \"kinds\"", where,
                     cJSON_IsString(k) ? k->valuestring : "(not a string)");
            rc = -1;
            break;
        }
        if (L->out->n_cases >= BI_MAX_CASES) {
            snprintf(err, errlen, "%s: more than %d cases", L->file, BI_MAX_CASES);
            rc = -1;
            break;
        }
        bi_case *c = new_case(L);
        char kw[300];
        snprintf(kw, sizeof kw, "$.kinds.%s (for %s)", k->valuestring, where);
        vars v = {.n = 0};
        v.layers[v.n++] = L->file_vars;
        v.layers[v.n++] = cJSON_GetObjectItemCaseSensitive(kind, "vars");
        v.layers[v.n++] = rvars;
        cJSON *builtin = cJSON_CreateObject();
        cJSON_AddStringToObject(builtin, "route", route);
        cJSON_AddStringToObject(builtin, "path", path);
        cJSON_AddStringToObject(builtin, "order", "@@ORDER@@");
        v.layers[v.n++] = builtin;
        c->name = xasprintf("%s %s", k->valuestring, route);
        /* Overrides: "*" for every kind of the route, then the kind's own. */
        const cJSON *all = cJSON_GetObjectItemCaseSensitive(over, "*");
        const cJSON *ov = cJSON_GetObjectItemCaseSensitive(over, k->valuestring);
        rc = case_start(L, c, route, path, rhdrs, &v, where, err, errlen) ||
             apply_spec(kind, &v, kw, c, err, errlen) ||
             (all && apply_spec(all, &v, where, c, err, errlen)) ||
             (ov && apply_spec(ov, &v, where, c, err, errlen));
        cJSON_Delete(builtin);
        if (rc)
            break;
    }
    cJSON_Delete(names);
    return rc;
}

static const char *const route_keys[] = {"route", "path", "kinds", "vars", "override",
                                         "headers", "about", NULL};

/* Every route entry, once per prefix pair when its route holds "@". */
static int routes_all(loader *L, char *err, size_t errlen)
{
    const cJSON *routes = cJSON_GetObjectItemCaseSensitive(L->root, "routes");
    const cJSON *expand = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(L->root, "expand"), "@");
    const cJSON *entry;
    int i = 0;
    cJSON_ArrayForEach(entry, routes)
    {
        char where[64];
        snprintf(where, sizeof where, "$.routes[%d]", i++);
        json_err je;
        const cJSON *route = cJSON_GetObjectItemCaseSensitive(entry, "route");
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(entry, "path");
        if (json_only_keys(entry, where, route_keys, &je) != 0 || !cJSON_IsString(route) ||
            (path && !cJSON_IsString(path))) {
            snprintf(err, errlen, "%s: %s", L->file,
                     cJSON_IsString(route) && (!path || cJSON_IsString(path))
                         ? je.msg
                         : "expected {\"route\":\"METHOD /pattern\", \"path\":..., \"kinds\":[...]}");
            return -1;
        }
        const char *pv = path ? path->valuestring : strchr(route->valuestring, ' ');
        if (!pv) {
            snprintf(err, errlen, "%s: %s.route: expected \"METHOD /pattern\"", L->file, where);
            return -1;
        }
        if (!path)
            pv++;
        char *at = strchr(route->valuestring, '@');
        if (!at) {
            if (route_cases(L, entry, route->valuestring, pv, where, err, errlen) != 0)
                return -1;
            continue;
        }
        const cJSON *pair;
        cJSON_ArrayForEach(pair, expand)
        {
            const cJSON *p0 = cJSON_GetArrayItem(pair, 0), *p1 = cJSON_GetArrayItem(pair, 1);
            if (!cJSON_IsString(p0) || !cJSON_IsString(p1)) {
                snprintf(err, errlen, "%s: $.expand[\"@\"]: expected [[pattern, path], ...]",
                         L->file);
                return -1;
            }
            char *r = xasprintf("%.*s%s%s", (int)(at - route->valuestring), route->valuestring,
                                p0->valuestring, at + 1);
            const char *pat = strchr(pv, '@');
            char *p = pat ? xasprintf("%.*s%s%s", (int)(pat - pv), pv, p1->valuestring, pat + 1)
                          : xstrdup(pv);
            int rc = route_cases(L, entry, r, p, where, err, errlen);
            free(r);
            free(p);
            if (rc)
                return -1;
        }
    }
    return 0;
}

/* The hand-written cases: each names its route and says everything. */
static int cases_all(loader *L, char *err, size_t errlen)
{
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(L->root, "cases");
    const cJSON *spec;
    int i = 0;
    cJSON_ArrayForEach(spec, cases)
    {
        char where[64];
        snprintf(where, sizeof where, "$.cases[%d]", i++);
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(spec, "name");
        const cJSON *route = cJSON_GetObjectItemCaseSensitive(spec, "route");
        if (!cJSON_IsString(name) || !cJSON_IsString(route)) {
            snprintf(err, errlen, "%s: %s: \"name\" and \"route\" are required strings", L->file,
                     where);
            return -1;
        }
        bi_case *c = new_case(L);
        c->name = xstrdup(name->valuestring);
        vars v = {.n = 0};
        v.layers[v.n++] = L->file_vars;
        v.layers[v.n++] = cJSON_GetObjectItemCaseSensitive(spec, "vars");
        cJSON *builtin = cJSON_CreateObject();
        cJSON_AddStringToObject(builtin, "route", route->valuestring);
        cJSON_AddStringToObject(builtin, "order", "@@ORDER@@");
        v.layers[v.n++] = builtin;
        int rc = case_start(L, c, route->valuestring, NULL, NULL, &v, where, err, errlen) ||
                 apply_spec(spec, &v, where, c, err, errlen);
        cJSON_Delete(builtin);
        if (rc) {
            char tmp[512];
            snprintf(tmp, sizeof tmp, "%s", err);
            snprintf(err, errlen, "%s: %s", L->file, tmp);
            return -1;
        }
    }
    return 0;
}

static const char *const file_keys[] = {"server", "about", "vars", "headers", "syncd_overrides",
                                        "expand", "groups", "kinds", "routes", "cases", NULL};

int bi_load(const char *dir, const char *server, bi_file *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    char file[512];
    snprintf(file, sizeof file, "%s/%s.json", dir, server);
    json_err je;
    cJSON *root = json_load_file(file, BI_MAX_FILE, &je);
    if (!root) {
        snprintf(err, errlen, "%s", je.msg);
        return -1;
    }
    loader L = {.file = file, .root = root, .out = f};
    const cJSON *srv = cJSON_GetObjectItemCaseSensitive(root, "server");
    int rc = -1;
    if (json_only_keys(root, "$", file_keys, &je) != 0) {
        snprintf(err, errlen, "%s: %s", file, je.msg);
        goto out;
    }
    if (!cJSON_IsString(srv) || strcmp(srv->valuestring, server) != 0) {
        snprintf(err, errlen, "%s: $.server: expected \"%s\"", file, server);
        goto out;
    }
    f->server = xstrdup(server);
    L.kinds = cJSON_GetObjectItemCaseSensitive(root, "kinds");
    L.groups = cJSON_GetObjectItemCaseSensitive(root, "groups");
    L.defaults = cJSON_GetObjectItemCaseSensitive(root, "headers");
    L.file_vars = cJSON_GetObjectItemCaseSensitive(root, "vars");
    const cJSON *ov = cJSON_GetObjectItemCaseSensitive(root, "syncd_overrides");
    if (ov) {
        /* The overrides may name file variables (a long admin token). */
        char *text = json_print(ov);
        vars v = {.n = 1, .layers = {L.file_vars}};
        f->overrides = subst(text, &v, "$.syncd_overrides", err, errlen);
        free(text);
        if (!f->overrides)
            goto out;
    }
    if (routes_all(&L, err, errlen) != 0 || cases_all(&L, err, errlen) != 0) {
        if (!strstr(err, file)) {
            char tmp[512];
            snprintf(tmp, sizeof tmp, "%s", err);
            snprintf(err, errlen, "%s: %s", file, tmp);
        }
        goto out;
    }
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}

/* ---- the raw client -------------------------------------------------------- */

/* Real seconds to wait for an answer once the request is out. */
#define BI_ANSWER_WAIT_MS 8000

static int64_t now_ms(void)
{
    return clock_mono_us() / 1000;
}

static int connect_local(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Writes len bytes, stopping early when the server has something to say
 * (an early 413 or a close). Returns bytes written; *answered is set when
 * the server spoke first. */
static size_t send_some(int fd, const char *p, size_t len, int *answered)
{
    size_t off = 0;
    while (off < len) {
        struct pollfd pf = {fd, POLLIN | POLLOUT, 0};
        if (poll(&pf, 1, 5000) <= 0)
            break;
        if (pf.revents & (POLLIN | POLLHUP | POLLERR)) {
            *answered = 1;
            break;
        }
        ssize_t n = send(fd, p + off, len - off > 65536 ? 65536 : len - off, MSG_NOSIGNAL);
        if (n <= 0) {
            *answered = 1;
            break;
        }
        off += (size_t)n;
    }
    return off;
}

/* The body one byte per interval, for at most max_ms; stops when the
 * server answers or closes. */
static size_t send_slow(int fd, const bi_case *c, int *answered)
{
    int64_t until = now_ms() + c->slow_max_ms;
    size_t off = 0;
    while (off < c->body_len && now_ms() < until) {
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, c->slow_interval_ms) > 0) {
            *answered = 1;
            break;
        }
        if (send(fd, c->body + off, 1, MSG_NOSIGNAL) != 1) {
            *answered = 1;
            break;
        }
        off++;
    }
    return off;
}

static void read_answer(int fd, bi_answer *a)
{
    sbuf in = SBUF_INIT;
    int64_t until = now_ms() + BI_ANSWER_WAIT_MS;
    char buf[65536];
    for (;;) {
        int left = (int)(until - now_ms());
        struct pollfd pf = {fd, POLLIN, 0};
        if (left <= 0 || poll(&pf, 1, left) <= 0) {
            if (in.len == 0)
                snprintf(a->err, sizeof a->err, "no answer within %d ms", BI_ANSWER_WAIT_MS);
            break;
        }
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0 && in.len == 0)
            snprintf(a->err, sizeof a->err, "connection reset without an answer (%s)",
                     strerror(errno));
        if (n <= 0)
            break;
        if (in.len < BI_MAX_BODY)
            sbuf_append(&in, buf, (size_t)n);
    }
    const char *text = sbuf_str(&in);
    int status = 0;
    if (sscanf(text, "HTTP/1.%*d %d", &status) == 1)
        a->status = status;
    else if (in.len && !a->err[0])
        snprintf(a->err, sizeof a->err, "not an HTTP answer: %.60s", text);
    else if (!a->err[0])
        snprintf(a->err, sizeof a->err, "connection closed without an answer");
    const char *body = strstr(text, "\r\n\r\n");
    a->body = xstrdup(body ? body + 4 : "");
    sbuf_free(&in);
}

void bi_send(uint16_t port, const bi_case *c, const char *const *extra, bi_answer *a)
{
    memset(a, 0, sizeof *a);
    int fd = connect_local(port);
    if (fd < 0) {
        snprintf(a->err, sizeof a->err, "cannot connect to port %u: %s", (unsigned)port,
                 strerror(errno));
        a->body = xstrdup("");
        return;
    }
    sbuf req = SBUF_INIT;
    sbuf_printf(&req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n",
                c->method, c->path, (unsigned)port);
    for (size_t i = 0; i < c->n_headers; i++)
        sbuf_printf(&req, "%s\r\n", c->headers[i]);
    for (size_t i = 0; extra && extra[i]; i++)
        sbuf_printf(&req, "%s\r\n", extra[i]);
    if (c->body)
        sbuf_printf(&req, "Content-Length: %zu\r\n", c->body_len);
    sbuf_puts(&req, "\r\n");
    int64_t t0 = now_ms();
    int answered = 0;
    size_t sent = send_some(fd, sbuf_str(&req), req.len, &answered);
    if (!answered && sent == req.len && c->body) {
        if (c->slow_interval_ms > 0)
            sent = send_slow(fd, c, &answered);
        else
            sent = send_some(fd, c->body, c->body_len, &answered);
        /* Cut: the server spoke or closed first, not the client giving up. */
        a->cut = answered && sent < c->body_len;
    }
    a->sent_ms = (int)(now_ms() - t0);
    sbuf_free(&req);
    read_answer(fd, a);
    close(fd);
}

void bi_answer_free(bi_answer *a)
{
    free(a->body);
    a->body = NULL;
}

cJSON *bi_program_routes(const char *prog, char *err, size_t errlen)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "'%s/%s' --routes", test_bin_dir(), prog);
    FILE *p = popen(cmd, "r");
    if (!p) {
        snprintf(err, errlen, "%s: %s", cmd, strerror(errno));
        return NULL;
    }
    cJSON *list = cJSON_CreateArray();
    char line[1024];
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (*line)
            cJSON_AddItemToArray(list, cJSON_CreateString(line));
    }
    int st = pclose(p);
    if (st != 0 || cJSON_GetArraySize(list) == 0) {
        snprintf(err, errlen, "%s: exit status %d, %d routes listed", cmd, st,
                 cJSON_GetArraySize(list));
        cJSON_Delete(list);
        return NULL;
    }
    return list;
}
