/* The ring of recent alerts; see alertring.h. */
#include "alertring.h"

#include "mem.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct {
    int64_t at;
    char *text;
} entry;

struct alertring {
    pthread_mutex_t mu;
    entry *e;
    size_t cap, next, n; /* next slot to write; entries held */
};

alertring *alertring_new(size_t cap)
{
    alertring *r = xcalloc(1, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    r->cap = cap ? cap : 1;
    r->e = xcalloc(r->cap, sizeof *r->e);
    return r;
}

void alertring_free(alertring *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->cap; i++)
        free(r->e[i].text);
    free(r->e);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

void alertring_push(alertring *r, int64_t at, const char *text)
{
    char *copy = xstrdup(text ? text : "");
    pthread_mutex_lock(&r->mu);
    entry *slot = &r->e[r->next];
    char *old = slot->text;
    *slot = (entry){at, copy};
    r->next = (r->next + 1) % r->cap;
    if (r->n < r->cap)
        r->n++;
    pthread_mutex_unlock(&r->mu);
    free(old);
}

cJSON *alertring_list(alertring *r)
{
    cJSON *arr = cJSON_CreateArray();
    pthread_mutex_lock(&r->mu);
    for (size_t k = 1; k <= r->n; k++) {
        const entry *e = &r->e[(r->next + r->cap - k) % r->cap];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "t", (double)e->at);
        cJSON_AddStringToObject(o, "alert", e->text);
        cJSON_AddItemToArray(arr, o);
    }
    pthread_mutex_unlock(&r->mu);
    return arr;
}
