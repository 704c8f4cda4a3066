/* String-keyed hash map with open addressing; see strmap.h. */
#include "strmap.h"

#include "mem.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    char *key; /* NULL: empty slot */
    long idx;
    uint64_t hash;
} slot;

struct strmap {
    int ci;
    slot *slots;
    size_t cap, n; /* cap is a power of two, n < cap * 3/4 */
};

static uint64_t hash_of(const strmap *m, const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        h ^= m->ci ? (unsigned char)tolower(c) : c;
        h *= 1099511628211ULL;
    }
    return h;
}

static int same(const strmap *m, const char *a, const char *b)
{
    return m->ci ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

strmap *strmap_new(int ignore_case)
{
    strmap *m = xcalloc(1, sizeof *m);
    m->ci = ignore_case;
    m->cap = 64;
    m->slots = xcalloc(m->cap, sizeof *m->slots);
    return m;
}

void strmap_clear(strmap *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        free(m->slots[i].key);
        m->slots[i].key = NULL;
    }
    m->n = 0;
}

void strmap_free(strmap *m)
{
    if (!m)
        return;
    strmap_clear(m);
    free(m->slots);
    free(m);
}

static void grow(strmap *m)
{
    slot *old = m->slots;
    size_t old_cap = m->cap;
    m->cap *= 2;
    m->slots = xcalloc(m->cap, sizeof *m->slots);
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i].key)
            continue;
        size_t j = (size_t)old[i].hash & (m->cap - 1);
        while (m->slots[j].key)
            j = (j + 1) & (m->cap - 1);
        m->slots[j] = old[i];
    }
    free(old);
}

void strmap_put(strmap *m, const char *key, long idx)
{
    if ((m->n + 1) * 4 >= m->cap * 3)
        grow(m);
    uint64_t h = hash_of(m, key);
    size_t j = (size_t)h & (m->cap - 1);
    while (m->slots[j].key) {
        if (m->slots[j].hash == h && same(m, m->slots[j].key, key)) {
            m->slots[j].idx = idx;
            return;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->slots[j].key = xstrdup(key);
    m->slots[j].hash = h;
    m->slots[j].idx = idx;
    m->n++;
}

long strmap_get(const strmap *m, const char *key)
{
    if (!key)
        return -1;
    uint64_t h = hash_of(m, key);
    size_t j = (size_t)h & (m->cap - 1);
    while (m->slots[j].key) {
        if (m->slots[j].hash == h && same(m, m->slots[j].key, key))
            return m->slots[j].idx;
        j = (j + 1) & (m->cap - 1);
    }
    return -1;
}
