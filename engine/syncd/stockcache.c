/* The Cin7 stock cache; see stockcache.h. A hash table keyed by
 * "sku\tlocation" behind one lock. */
#include "stockcache.h"

#include "json.h"
#include "mem.h"
#include "sbuf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *key;
    stock_figures f;
} slot;

typedef struct {
    char *key, *sku, *location;
    int64_t qty;
    int64_t pushed; /* INT64_MAX until the sale exists in Cin7 */
} routed;

struct stockcache {
    pthread_mutex_t lock;
    slot *slots;
    size_t cap, used;
    int64_t full_read_at;
    pthread_mutex_t route_lock;
    routed *routes;
    size_t n_routes, cap_routes;
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

stockcache *stockcache_new(void)
{
    stockcache *c = xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->route_lock, NULL);
    c->cap = 256;
    c->slots = xcalloc(c->cap, sizeof *c->slots);
    return c;
}

/* Frees every routing record (caller holds lock). */
static void routes_clear(stockcache *c)
{
    for (size_t i = 0; i < c->n_routes; i++) {
        free(c->routes[i].key);
        free(c->routes[i].sku);
        free(c->routes[i].location);
    }
    c->n_routes = 0;
}

void stockcache_free(stockcache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->cap; i++)
        free(c->slots[i].key);
    free(c->slots);
    routes_clear(c);
    free(c->routes);
    pthread_mutex_destroy(&c->lock);
    pthread_mutex_destroy(&c->route_lock);
    free(c);
}

static slot *find(stockcache *c, const char *key, int create)
{
    if (create && (c->used + 1) * 2 > c->cap) {
        slot *old = c->slots;
        size_t old_cap = c->cap;
        c->cap *= 2;
        c->slots = xcalloc(c->cap, sizeof *c->slots);
        for (size_t i = 0; i < old_cap; i++) {
            if (!old[i].key)
                continue;
            size_t k = hash(old[i].key) & (c->cap - 1);
            while (c->slots[k].key)
                k = (k + 1) & (c->cap - 1);
            c->slots[k] = old[i];
        }
        free(old);
    }
    size_t k = hash(key) & (c->cap - 1);
    while (c->slots[k].key) {
        if (strcmp(c->slots[k].key, key) == 0)
            return &c->slots[k];
        k = (k + 1) & (c->cap - 1);
    }
    if (!create)
        return NULL;
    c->slots[k].key = xstrdup(key);
    c->slots[k].f.as_of = INT64_MIN;
    c->used++;
    return &c->slots[k];
}

/* Malloc'd, whole: SKUs and location names come from the APIs, and a key
 * cut to a buffer would let two long SKUs share one slot. */
static char *make_key(const char *sku, const char *location)
{
    return xasprintf("%s\t%s", sku, location);
}

void stockcache_put(stockcache *c, const char *sku, const char *location, const stock_figures *f)
{
    char *key = make_key(sku, location);
    pthread_mutex_lock(&c->lock);
    slot *s = find(c, key, 1);
    if (f->as_of >= s->f.as_of)
        s->f = *f;
    pthread_mutex_unlock(&c->lock);
    free(key);
}

int stockcache_get(stockcache *c, const char *sku, const char *location, stock_figures *f)
{
    char *key = make_key(sku, location);
    pthread_mutex_lock(&c->lock);
    slot *s = find(c, key, 0);
    free(key);
    if (s)
        *f = s->f;
    pthread_mutex_unlock(&c->lock);
    return s != NULL;
}

int64_t stockcache_full_read_at(stockcache *c)
{
    pthread_mutex_lock(&c->lock);
    int64_t t = c->full_read_at;
    pthread_mutex_unlock(&c->lock);
    return t;
}

void stockcache_set_full_read(stockcache *c, int64_t at)
{
    pthread_mutex_lock(&c->lock);
    if (at > c->full_read_at)
        c->full_read_at = at;
    pthread_mutex_unlock(&c->lock);
}

void stockcache_route_begin(stockcache *c)
{
    pthread_mutex_lock(&c->route_lock);
}

void stockcache_route_end(stockcache *c)
{
    pthread_mutex_unlock(&c->route_lock);
}

/* Drops records every cached figure already shows (caller holds lock). */
static void prune_routes(stockcache *c)
{
    size_t w = 0;
    for (size_t i = 0; i < c->n_routes; i++) {
        routed *r = &c->routes[i];
        char *key = make_key(r->sku, r->location);
        slot *s = find(c, key, 0);
        free(key);
        if (s && r->pushed < s->f.as_of) {
            free(r->key);
            free(r->sku);
            free(r->location);
            continue;
        }
        c->routes[w++] = *r;
    }
    c->n_routes = w;
}

int64_t stockcache_routable(stockcache *c, const char *sku, const char *location)
{
    char *key = make_key(sku, location);
    pthread_mutex_lock(&c->lock);
    slot *s = find(c, key, 0);
    free(key);
    int64_t v = s ? s->f.available : 0;
    int64_t as_of = s ? s->f.as_of : INT64_MIN;
    for (size_t i = 0; i < c->n_routes; i++) {
        const routed *r = &c->routes[i];
        if (r->pushed >= as_of && strcmp(r->sku, sku) == 0 && strcmp(r->location, location) == 0)
            v -= r->qty;
    }
    pthread_mutex_unlock(&c->lock);
    return v;
}

void stockcache_routed(stockcache *c, const char *key, const char *sku, const char *location,
                       int64_t qty)
{
    pthread_mutex_lock(&c->lock);
    prune_routes(c);
    for (size_t i = 0; i < c->n_routes; i++) {
        routed *r = &c->routes[i];
        if (strcmp(r->key, key) == 0 && strcmp(r->sku, sku) == 0 &&
            strcmp(r->location, location) == 0) {
            r->qty = qty;
            pthread_mutex_unlock(&c->lock);
            return;
        }
    }
    if (c->n_routes == c->cap_routes) {
        c->cap_routes = c->cap_routes ? c->cap_routes * 2 : 64;
        c->routes = xrealloc(c->routes, c->cap_routes * sizeof *c->routes);
    }
    c->routes[c->n_routes++] = (routed){xstrdup(key), xstrdup(sku), xstrdup(location), qty, INT64_MAX};
    pthread_mutex_unlock(&c->lock);
}

void stockcache_pushed(stockcache *c, const char *key, int64_t at)
{
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n_routes; i++)
        if (strcmp(c->routes[i].key, key) == 0 && c->routes[i].pushed > at)
            c->routes[i].pushed = at;
    pthread_mutex_unlock(&c->lock);
}

char *stockcache_routes_export(stockcache *c)
{
    cJSON *arr = cJSON_CreateArray();
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n_routes; i++) {
        const routed *r = &c->routes[i];
        cJSON *o = cJSON_CreateArray();
        cJSON_AddItemToArray(o, cJSON_CreateString(r->key));
        cJSON_AddItemToArray(o, cJSON_CreateString(r->sku));
        cJSON_AddItemToArray(o, cJSON_CreateString(r->location));
        cJSON_AddItemToArray(o, cJSON_CreateNumber((double)r->qty));
        cJSON_AddItemToArray(o, r->pushed == INT64_MAX ? cJSON_CreateNull()
                                                       : cJSON_CreateNumber((double)r->pushed));
        cJSON_AddItemToArray(arr, o);
    }
    pthread_mutex_unlock(&c->lock);
    char *text = json_print(arr);
    cJSON_Delete(arr);
    return text;
}

/* One record of a routes export: [key, sku, location, qty, pushed|null]. */
static int route_row(const cJSON *o, routed *out)
{
    const cJSON *k = cJSON_GetArrayItem(o, 0), *sk = cJSON_GetArrayItem(o, 1),
                *l = cJSON_GetArrayItem(o, 2), *q = cJSON_GetArrayItem(o, 3),
                *p = cJSON_GetArrayItem(o, 4);
    int64_t qty = 0, pushed = INT64_MAX;
    if (!cJSON_IsArray(o) || cJSON_GetArraySize(o) != 5 || !cJSON_IsString(k) ||
        !cJSON_IsString(sk) || !cJSON_IsString(l) || !json_int53(q, &qty) ||
        !(cJSON_IsNull(p) || json_int53(p, &pushed)))
        return -1;
    *out = (routed){k->valuestring, sk->valuestring, l->valuestring, qty, pushed};
    return 0;
}

int stockcache_routes_import(stockcache *c, const char *text)
{
    cJSON *arr = json_parse(text, strlen(text), NULL);
    const cJSON *o;
    routed r;
    int ok = cJSON_IsArray(arr);
    cJSON_ArrayForEach(o, arr)
    {
        if (ok && route_row(o, &r) != 0)
            ok = 0;
    }
    if (!ok) {
        cJSON_Delete(arr);
        return -1;
    }
    pthread_mutex_lock(&c->lock);
    routes_clear(c);
    cJSON_ArrayForEach(o, arr)
    {
        if (route_row(o, &r) != 0)
            continue;
        if (c->n_routes == c->cap_routes) {
            c->cap_routes = c->cap_routes ? c->cap_routes * 2 : 64;
            c->routes = xrealloc(c->routes, c->cap_routes * sizeof *c->routes);
        }
        c->routes[c->n_routes++] =
            (routed){xstrdup(r.key), xstrdup(r.sku), xstrdup(r.location), r.qty, r.pushed};
    }
    prune_routes(c);
    pthread_mutex_unlock(&c->lock);
    cJSON_Delete(arr);
    return 0;
}

char *stockcache_export(stockcache *c)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *rows = cJSON_AddArrayToObject(root, "rows");
    pthread_mutex_lock(&c->lock);
    cJSON_AddNumberToObject(root, "full_read_at", (double)c->full_read_at);
    for (size_t i = 0; i < c->cap; i++) {
        const slot *sl = &c->slots[i];
        if (!sl->key || sl->f.as_of == INT64_MIN)
            continue;
        const char *tab = strchr(sl->key, '\t');
        const stock_figures *f = &sl->f;
        cJSON *row = cJSON_CreateObject();
        char *sku = xstrndup(sl->key, (size_t)(tab - sl->key));
        cJSON_AddStringToObject(row, "sku", sku);
        free(sku);
        cJSON_AddStringToObject(row, "location", tab + 1);
        double v[] = {(double)f->on_hand, (double)f->allocated, (double)f->available,
                      (double)f->on_order, (double)f->in_transit, (double)f->as_of};
        cJSON_AddItemToObject(row, "figures", cJSON_CreateDoubleArray(v, 6));
        cJSON_AddItemToArray(rows, row);
    }
    pthread_mutex_unlock(&c->lock);
    char *text = json_print(root);
    cJSON_Delete(root);
    return text;
}

/* One exported row into its SKU, location and figures. Returns 0, or -1
 * with e naming the bad field. */
static int import_row(const cJSON *row, const char *path, const char **sku, const char **loc,
                      stock_figures *f, json_err *e)
{
    const cJSON *v = NULL;
    if (json_get_str(row, path, "sku", JSON_REQUIRED, sku, e) != 0 ||
        json_get_str(row, path, "location", JSON_REQUIRED, loc, e) != 0 ||
        json_get_arr(row, path, "figures", JSON_REQUIRED, &v, e) != 0)
        return -1;
    int64_t n[6];
    char at[128];
    json_path_key(at, sizeof at, path, "figures");
    if (cJSON_GetArraySize(v) != 6)
        return json_fail(e, at, "expected 6 numbers");
    for (int i = 0; i < 6; i++) {
        const cJSON *x = cJSON_GetArrayItem(v, i);
        if (!json_int53(x, &n[i]) || (double)n[i] != x->valuedouble)
            return json_fail(e, at, "item %d is not a whole number", i);
    }
    *f = (stock_figures){n[0], n[1], n[2], n[3], n[4], n[5]};
    return 0;
}

int stockcache_import(stockcache *c, const char *text, char *why, size_t whylen)
{
    json_err e = {{0}};
    cJSON *root = json_parse(text, strlen(text), &e);
    const cJSON *rows = NULL, *row;
    int64_t full = 0;
    int rc = -1;
    if (!root || json_get_int(root, "$", "full_read_at", JSON_REQUIRED, 1, INT64_MAX, &full, &e) ||
        json_get_arr(root, "$", "rows", JSON_REQUIRED, &rows, &e) != 0)
        goto done;
    /* Checked whole before any row is taken: a bad copy changes nothing. */
    size_t i = 0;
    cJSON_ArrayForEach(row, rows) {
        const char *sku, *loc;
        stock_figures f;
        char at[64];
        json_path_index(at, sizeof at, "$.rows", i++);
        if (import_row(row, at, &sku, &loc, &f, &e) != 0)
            goto done;
    }
    cJSON_ArrayForEach(row, rows) {
        const char *sku, *loc;
        stock_figures f;
        if (import_row(row, "$.rows", &sku, &loc, &f, &e) == 0)
            stockcache_put(c, sku, loc, &f);
    }
    stockcache_set_full_read(c, full);
    rc = 0;
done:
    if (rc != 0)
        snprintf(why, whylen, "%s", e.msg);
    cJSON_Delete(root);
    return rc;
}
