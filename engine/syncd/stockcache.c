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

struct stockcache {
    pthread_mutex_t lock;
    slot *slots;
    size_t cap, used;
    int64_t full_read_at;
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
    pthread_mutex_destroy(&c->lock);
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

static void make_key(char *buf, size_t n, const char *sku, const char *location)
{
    snprintf(buf, n, "%s\t%s", sku, location);
}

void stockcache_put(stockcache *c, const char *sku, const char *location, const stock_figures *f)
{
    char key[512];
    make_key(key, sizeof key, sku, location);
    pthread_mutex_lock(&c->lock);
    slot *s = find(c, key, 1);
    if (f->as_of >= s->f.as_of)
        s->f = *f;
    pthread_mutex_unlock(&c->lock);
}

int stockcache_get(stockcache *c, const char *sku, const char *location, stock_figures *f)
{
    char key[512];
    make_key(key, sizeof key, sku, location);
    pthread_mutex_lock(&c->lock);
    slot *s = find(c, key, 0);
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
