/* The Cin7 stock cache; see stockcache.h. A hash table keyed by
 * "sku\tlocation" behind one lock. */
#include "stockcache.h"

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

void stockcache_free(stockcache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->cap; i++)
        free(c->slots[i].key);
    free(c->slots);
    for (size_t i = 0; i < c->n_routes; i++) {
        free(c->routes[i].key);
        free(c->routes[i].sku);
        free(c->routes[i].location);
    }
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
