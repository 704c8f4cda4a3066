/* Per (shop, token) REST and GraphQL buckets; see limiter.h. The table is a
 * short array searched linearly: a world has a handful of shops and apps.
 * Buckets are separate allocations that live as long as the limiter, so a
 * handler may use one after the table lock is released; a reset empties
 * them instead of freeing them. */
#include "limiter.h"

#include "bucket.h"
#include "mem.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *shop, *token;
    leaky_bucket *rest, *gql;
} entry;

struct limiter {
    pthread_mutex_t lock;
    entry *e;
    size_t n, cap;
};

limiter *limiter_new(void)
{
    limiter *l = xcalloc(1, sizeof *l);
    pthread_mutex_init(&l->lock, NULL);
    return l;
}

void limiter_free(limiter *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->e[i].shop);
        free(l->e[i].token);
        leaky_free(l->e[i].rest);
        leaky_free(l->e[i].gql);
    }
    free(l->e);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

void limiter_reset(limiter *l)
{
    pthread_mutex_lock(&l->lock);
    for (size_t i = 0; i < l->n; i++) {
        leaky_refund(l->e[i].rest, 1e18);
        leaky_refund(l->e[i].gql, 1e18);
    }
    pthread_mutex_unlock(&l->lock);
}

/* The buckets of (shop, token), made with lim's figures when new. */
static void find(limiter *l, const char *shop, const char *token, const spec_limits *lim,
                 leaky_bucket **rest, leaky_bucket **gql)
{
    pthread_mutex_lock(&l->lock);
    entry *found = NULL;
    for (size_t i = 0; i < l->n && !found; i++)
        if (strcmp(l->e[i].shop, shop) == 0 && strcmp(l->e[i].token, token) == 0)
            found = &l->e[i];
    if (!found) {
        XGROW(l->e, l->n, l->cap, 8);
        found = &l->e[l->n++];
        found->shop = xstrdup(shop);
        found->token = xstrdup(token);
        found->rest = leaky_new(lim->rest_bucket, lim->rest_leak_per_s);
        found->gql = leaky_new(lim->gql_bucket, lim->gql_restore_per_s);
    }
    *rest = found->rest;
    *gql = found->gql;
    pthread_mutex_unlock(&l->lock);
}

/* The rate of a bucket size bucket_now deep whose plan is size deep and
 * leaks rate: Shopify's plans all leak a twentieth of their size a
 * second, so a throttled shop behaves like a plan of the throttled size,
 * slower as well as shallower. */
static double scaled_rate(double rate, double size, double bucket_now)
{
    return size > 0 ? rate * bucket_now / size : rate;
}

int limiter_rest(limiter *l, const char *shop, const char *token, const spec_limits *lim,
                 int throttle, int64_t now, limiter_rest_status *st)
{
    leaky_bucket *b, *unused;
    find(l, shop, token, lim, &b, &unused);
    double size = throttle > 0 ? throttle : lim->rest_bucket;
    leaky_set(b, size, scaled_rate(lim->rest_leak_per_s, lim->rest_bucket, size));
    int64_t wait = 0;
    int ok = leaky_take(b, now, 1, &wait);
    double level = leaky_level(b, now);
    st->size = (int)size;
    st->used = (int)ceil(level - 1e-9);
    if (st->used > st->size)
        st->used = st->size;
    st->wait_ms = ok ? 0 : wait;
    return ok;
}

static leaky_bucket *gql_bucket(limiter *l, const char *shop, const char *token,
                                const spec_limits *lim)
{
    leaky_bucket *unused, *b;
    find(l, shop, token, lim, &unused, &b);
    return b;
}

static void fill(leaky_bucket *b, int64_t now, double restore, limiter_gql_status *st)
{
    st->maximum = leaky_size(b);
    st->available = floor(leaky_available(b, now) + 1e-9);
    st->restore = restore;
}

int limiter_gql_take(limiter *l, const char *shop, const char *token, const spec_limits *lim,
                     int throttle, int64_t now, double cost, limiter_gql_status *st)
{
    leaky_bucket *b = gql_bucket(l, shop, token, lim);
    double size = throttle > 0 ? throttle : lim->gql_bucket;
    double restore = scaled_rate(lim->gql_restore_per_s, lim->gql_bucket, size);
    leaky_set(b, size, restore);
    int ok = leaky_take(b, now, cost, NULL);
    fill(b, now, restore, st);
    return ok;
}

void limiter_gql_refund(limiter *l, const char *shop, const char *token, const spec_limits *lim,
                        int64_t now, double amount, limiter_gql_status *st)
{
    leaky_bucket *b = gql_bucket(l, shop, token, lim);
    if (amount > 0)
        leaky_refund(b, amount);
    /* The size the last take set (a throttle's, or the plan's). */
    fill(b, now, scaled_rate(lim->gql_restore_per_s, lim->gql_bucket, leaky_size(b)), st);
}
