/* Named counters behind one lock; see counters.h. An open-addressing hash
 * table keeps increments O(1) on the hot path; listing sorts a copy. */
#include "counters.h"

#include "mem.h"
#include "sbuf.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *name;
    int64_t value;
} slot;

struct counters {
    pthread_mutex_t lock;
    slot *slots;
    size_t cap, used;
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

counters *counters_new(void)
{
    counters *c = xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->lock, NULL);
    c->cap = 64;
    c->slots = xcalloc(c->cap, sizeof *c->slots);
    return c;
}

void counters_free(counters *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->cap; i++)
        free(c->slots[i].name);
    free(c->slots);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static slot *find(counters *c, const char *name, int create)
{
    if (create && (c->used + 1) * 4 > c->cap * 3) {
        size_t old_cap = c->cap;
        slot *old = c->slots;
        c->cap *= 2;
        c->slots = xcalloc(c->cap, sizeof *c->slots);
        for (size_t i = 0; i < old_cap; i++) {
            if (!old[i].name)
                continue;
            size_t k = hash(old[i].name) & (c->cap - 1);
            while (c->slots[k].name)
                k = (k + 1) & (c->cap - 1);
            c->slots[k] = old[i];
        }
        free(old);
    }
    size_t k = hash(name) & (c->cap - 1);
    while (c->slots[k].name) {
        if (strcmp(c->slots[k].name, name) == 0)
            return &c->slots[k];
        k = (k + 1) & (c->cap - 1);
    }
    if (!create)
        return NULL;
    c->slots[k].name = xstrdup(name);
    c->slots[k].value = 0;
    c->used++;
    return &c->slots[k];
}

void counters_add(counters *c, const char *name, int64_t delta)
{
    pthread_mutex_lock(&c->lock);
    find(c, name, 1)->value += delta;
    pthread_mutex_unlock(&c->lock);
}

void counters_addf(counters *c, int64_t delta, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof small) {
        counters_add(c, small, delta);
        return;
    }
    sbuf b = SBUF_INIT;
    va_start(ap, fmt);
    sbuf_vprintf(&b, fmt, ap);
    va_end(ap);
    counters_add(c, sbuf_str(&b), delta);
    sbuf_free(&b);
}

int64_t counters_get(counters *c, const char *name)
{
    pthread_mutex_lock(&c->lock);
    slot *s = find(c, name, 0);
    int64_t v = s ? s->value : 0;
    pthread_mutex_unlock(&c->lock);
    return v;
}

void counters_reset(counters *c)
{
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->cap; i++) {
        free(c->slots[i].name);
        c->slots[i].name = NULL;
    }
    c->used = 0;
    pthread_mutex_unlock(&c->lock);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const slot *)a)->name, ((const slot *)b)->name);
}

void counters_each(counters *c, void (*fn)(const char *name, int64_t value, void *ud), void *ud)
{
    pthread_mutex_lock(&c->lock);
    slot *list = xmalloc((c->used ? c->used : 1) * sizeof *list);
    size_t n = 0;
    for (size_t i = 0; i < c->cap; i++)
        if (c->slots[i].name)
            list[n++] = c->slots[i];
    qsort(list, n, sizeof *list, by_name);
    for (size_t i = 0; i < n; i++)
        fn(list[i].name, list[i].value, ud);
    free(list);
    pthread_mutex_unlock(&c->lock);
}

static void add_json(const char *name, int64_t value, void *ud)
{
    cJSON_AddNumberToObject(ud, name, (double)value);
}

cJSON *counters_json(counters *c)
{
    cJSON *o = cJSON_CreateObject();
    counters_each(c, add_json, o);
    return o;
}
