/* Latest-wins coalescing; see coalesce.h. Waiting keys sit in a hash set
 * (for the fold check) and a FIFO (marks arrive in time order, so first-mark
 * order is due order). */
#include "coalesce.h"

#include "mem.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *key;
    int64_t due;
} entry;

struct coalescer {
    int64_t window;
    entry *fifo; /* ring */
    size_t head, n, cap;
    char **set;  /* open addressing; NULL empty, TOMB deleted */
    size_t set_cap, set_used;
    uint64_t folded;
};

static char tomb;
#define TOMB (&tomb)

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

coalescer *coalesce_new(int64_t window_ms)
{
    coalescer *c = xcalloc(1, sizeof *c);
    c->window = window_ms > 0 ? window_ms : 0;
    c->set_cap = 64;
    c->set = xcalloc(c->set_cap, sizeof *c->set);
    return c;
}

void coalesce_free(coalescer *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->fifo[(c->head + i) % c->cap].key);
    free(c->fifo);
    free(c->set);
    free(c);
}

/* Slot of key in the set, or of where it would go. */
static size_t slot_of(const coalescer *c, const char *key, int *found)
{
    size_t k = hash(key) & (c->set_cap - 1);
    size_t first_tomb = SIZE_MAX;
    for (;;) {
        char *s = c->set[k];
        if (!s) {
            *found = 0;
            return first_tomb != SIZE_MAX ? first_tomb : k;
        }
        if (s == TOMB) {
            if (first_tomb == SIZE_MAX)
                first_tomb = k;
        } else if (strcmp(s, key) == 0) {
            *found = 1;
            return k;
        }
        k = (k + 1) & (c->set_cap - 1);
    }
}

static void set_grow(coalescer *c)
{
    char **old = c->set;
    size_t old_cap = c->set_cap;
    c->set_cap *= 2;
    c->set = xcalloc(c->set_cap, sizeof *c->set);
    c->set_used = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i] && old[i] != TOMB) {
            int found;
            size_t k = slot_of(c, old[i], &found);
            c->set[k] = old[i];
            c->set_used++;
        }
    free(old);
}

int coalesce_mark(coalescer *c, const char *key, int64_t now_ms)
{
    int found;
    size_t k = slot_of(c, key, &found);
    if (found) {
        c->folded++;
        return 0;
    }
    if ((c->set_used + 1) * 2 > c->set_cap) {
        set_grow(c);
        k = slot_of(c, key, &found);
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        entry *f = xcalloc(cap, sizeof *f);
        for (size_t i = 0; i < c->n; i++)
            f[i] = c->fifo[(c->head + i) % c->cap];
        free(c->fifo);
        c->fifo = f;
        c->cap = cap;
        c->head = 0;
    }
    char *copy = xstrdup(key);
    /* The FIFO owns the string; the set points at it. */
    c->fifo[(c->head + c->n) % c->cap] = (entry){copy, now_ms + c->window};
    c->n++;
    c->set[k] = copy;
    c->set_used++;
    return 1;
}

size_t coalesce_take(coalescer *c, int64_t now_ms, char **out, size_t max)
{
    size_t taken = 0;
    while (taken < max && c->n > 0) {
        entry *e = &c->fifo[c->head];
        if (e->due > now_ms)
            break;
        int found;
        size_t k = slot_of(c, e->key, &found);
        if (found)
            c->set[k] = TOMB;
        out[taken++] = e->key;
        c->head = (c->head + 1) % c->cap;
        c->n--;
    }
    /* Tombstones pile up under churn; rebuild when they outnumber keys. */
    if (taken && c->set_used > 2 * c->n + 32) {
        for (size_t i = 0; i < c->set_cap; i++)
            c->set[i] = NULL;
        c->set_used = 0;
        for (size_t i = 0; i < c->n; i++) {
            char *key = c->fifo[(c->head + i) % c->cap].key;
            int found;
            size_t k = slot_of(c, key, &found);
            c->set[k] = key;
            c->set_used++;
        }
    }
    return taken;
}

int64_t coalesce_next_due(const coalescer *c)
{
    return c->n ? c->fifo[c->head].due : -1;
}

size_t coalesce_waiting(const coalescer *c)
{
    return c->n;
}

uint64_t coalesce_folded(const coalescer *c)
{
    return c->folded;
}
