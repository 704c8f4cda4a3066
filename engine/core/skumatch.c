/* The SKU audit's comparison; see skumatch.h. Near misses are found
 * through sorted arrays of normalised SKUs (and of their cores after a
 * prefix), so a catalog of many thousands of SKUs is compared in
 * n log n, not n x m. */
#include "skumatch.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int is_sep(char c)
{
    return c == '-' || c == '_' || c == '.' || c == '/' || c == ':' || c == '#' || c == ' ';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The trimmed span of s. */
static void trim(const char *s, const char **start, size_t *len)
{
    size_t n = strlen(s);
    while (n && is_space(*s)) {
        s++;
        n--;
    }
    while (n && is_space(s[n - 1]))
        n--;
    *start = s;
    *len = n;
}

static int eq_nocase(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower(a[i]) != lower(b[i]))
            return 0;
    return 1;
}

int skumatch_near(const char *a, const char *b)
{
    if (!a || !b || strcmp(a, b) == 0)
        return 0;
    const char *ta, *tb;
    size_t la, lb;
    trim(a, &ta, &la);
    trim(b, &tb, &lb);
    int kinds = la != strlen(a) || lb != strlen(b) ? SKUMATCH_WHITESPACE : 0;
    if (la == lb && eq_nocase(ta, tb, la)) {
        if (memcmp(ta, tb, la) != 0)
            kinds |= SKUMATCH_CASE;
        return la ? kinds : 0; /* two blank SKUs are no match of anything */
    }
    const char *lng = la > lb ? ta : tb, *sht = la > lb ? tb : ta;
    size_t ll = la > lb ? la : lb, ls = la > lb ? lb : la;
    size_t p = ll - ls;
    if (ls < SKUMATCH_MIN_CORE || p < 1 || p > SKUMATCH_MAX_PREFIX || !is_sep(lng[p - 1]) ||
        !eq_nocase(lng + p, sht, ls))
        return 0;
    kinds |= SKUMATCH_PREFIX;
    if (memcmp(lng + p, sht, ls) != 0)
        kinds |= SKUMATCH_CASE;
    return kinds;
}

void skumatch_kind_name(int kinds, char *buf, size_t n)
{
    static const struct {
        int bit;
        const char *name;
    } names[] = {{SKUMATCH_CASE, "case"}, {SKUMATCH_PREFIX, "prefix"}, {SKUMATCH_WHITESPACE, "whitespace"}};
    size_t used = 0;
    if (n)
        buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (kinds & names[i].bit) {
            int w = snprintf(buf + used, n - used, "%s%s", used ? "+" : "", names[i].name);
            if (w < 0 || (size_t)w >= n - used)
                return;
            used += (size_t)w;
        }
}

/* ---- the run ---------------------------------------------------------------------- */

typedef struct {
    char *key;   /* normalised text (owned) */
    size_t idx;  /* the Cin7 SKU it came from */
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

static char *normalise(const char *s)
{
    const char *t;
    size_t n;
    trim(s, &t, &n);
    char *out = xstrndup(t, n);
    for (size_t i = 0; i < n; i++)
        out[i] = lower(out[i]);
    return out;
}

/* Calls fn for every core of x: what follows a prefix the rule allows. */
static void each_core(const char *x, void (*fn)(const char *core, void *ud), void *ud)
{
    size_t len = strlen(x);
    for (size_t j = 1; j <= SKUMATCH_MAX_PREFIX && j + SKUMATCH_MIN_CORE <= len; j++)
        if (is_sep(x[j - 1]))
            fn(x + j, ud);
}

typedef struct {
    keyed *v;
    size_t n, cap;
    size_t idx;
} keyset;

static void keyset_add(keyset *k, const char *text, size_t idx)
{
    XGROW(k->v, k->n, k->cap, 64);
    k->v[k->n++] = (keyed){xstrdup(text), idx};
}

static void add_core(const char *core, void *ud)
{
    keyset *k = ud;
    keyset_add(k, core, k->idx);
}

static void keyset_free(keyset *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->v[i].key);
    free(k->v);
}

/* Candidate Cin7 indexes for one shop SKU, collected then deduplicated. */
typedef struct {
    const keyset *set;
    size_t *idx;
    size_t n, cap;
} cands;

static void cands_lookup(const char *key, void *ud)
{
    cands *c = ud;
    const keyset *k = c->set;
    /* Lower bound of key. */
    size_t lo = 0, hi = k->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(k->v[mid].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < k->n && strcmp(k->v[i].key, key) == 0; i++) {
        XGROW(c->idx, c->n, c->cap, 8);
        c->idx[c->n++] = k->v[i].idx;
    }
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

typedef struct {
    const char *text; /* borrowed */
    size_t idx;
} exact;

static int cmp_exact(const void *a, const void *b)
{
    return strcmp(((const exact *)a)->text, ((const exact *)b)->text);
}

static long find_exact(const exact *by_text, size_t n, const char *sku)
{
    exact key = {sku, 0};
    const exact *e = bsearch(&key, by_text, n, sizeof *by_text, cmp_exact);
    return e ? (long)e->idx : -1;
}

void skumatch_run(const char *const *shop, size_t n_shop, const char *const *cin7, size_t n_cin7,
                  const char *const *map_from, const char *const *map_to, size_t n_map,
                  int identity, skumatch_result *out)
{
    memset(out, 0, sizeof *out);
    out->match = xcalloc(n_shop + 1, sizeof *out->match);
    /* Cin7 SKUs by text, for exact lookups. */
    exact *order = xcalloc(n_cin7 + 1, sizeof *order);
    for (size_t i = 0; i < n_cin7; i++)
        order[i] = (exact){cin7[i], i};
    if (n_cin7 > 1)
        qsort(order, n_cin7, sizeof *order, cmp_exact);

    keyset whole = {0}, cores = {0};
    for (size_t i = 0; i < n_cin7; i++) {
        char *nk = normalise(cin7[i]);
        keyset_add(&whole, nk, i);
        cores.idx = i;
        each_core(nk, add_core, &cores);
        free(nk);
    }
    if (whole.n > 1)
        qsort(whole.v, whole.n, sizeof *whole.v, cmp_keyed);
    if (cores.n > 1)
        qsort(cores.v, cores.n, sizeof *cores.v, cmp_keyed);

    size_t cap = 0;
    for (size_t s = 0; s < n_shop; s++) {
        long m = -1;
        int explicit_pair = 0;
        for (size_t p = 0; p < n_map; p++)
            if (strcmp(map_from[p], shop[s]) == 0) {
                m = find_exact(order, n_cin7, map_to[p]);
                explicit_pair = 1;
                break;
            }
        if (!explicit_pair && identity)
            m = find_exact(order, n_cin7, shop[s]);
        out->match[s] = m;
        if (m >= 0)
            continue;
        char *ns = normalise(shop[s]);
        cands c = {&whole, NULL, 0, 0};
        cands_lookup(ns, &c);          /* same but for case and whitespace */
        each_core(ns, cands_lookup, &c); /* the shop SKU carries a prefix */
        c.set = &cores;
        cands_lookup(ns, &c);          /* the Cin7 SKU carries one */
        free(ns);
        if (c.n > 1)
            qsort(c.idx, c.n, sizeof *c.idx, cmp_size);
        for (size_t i = 0; i < c.n; i++) {
            if (i && c.idx[i] == c.idx[i - 1])
                continue;
            int kinds = skumatch_near(shop[s], cin7[c.idx[i]]);
            if (!kinds)
                continue;
            XGROW(out->near, out->n_near, cap, 16);
            out->near[out->n_near++] = (skumatch_pair){s, c.idx[i], kinds};
        }
        free(c.idx);
    }
    keyset_free(&whole);
    keyset_free(&cores);
    free(order);
}

void skumatch_result_free(skumatch_result *r)
{
    if (!r)
        return;
    free(r->match);
    free(r->near);
    r->match = NULL;
    r->near = NULL;
    r->n_near = 0;
}
