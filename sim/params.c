/* The simulator's delays; see params.h. */
#include "params.h"

#include <stdio.h>
#include <string.h>

static int read_dist(const cJSON *v, const char *key, sim_dist *d, json_err *e)
{
    const cJSON *o = NULL;
    char path[64];
    snprintf(path, sizeof path, "$.sim.%s", key);
    static const char *const keys[] = {"median_ms", "p99_ms", NULL};
    if (json_get_obj(v, "$.sim", key, JSON_OPTIONAL, &o, e))
        return -1;
    if (!o)
        return 0;
    if (json_only_keys(o, path, keys, e) ||
        json_get_num(o, path, "median_ms", JSON_OPTIONAL, 0, 1e6, &d->median_ms, e) ||
        json_get_num(o, path, "p99_ms", JSON_OPTIONAL, 0, 1e7, &d->p99_ms, e))
        return -1;
    if (d->median_ms > 0 && d->p99_ms < d->median_ms)
        return json_fail(e, path, "p99_ms (%g) must be at least median_ms (%g)", d->p99_ms,
                         d->median_ms);
    return 0;
}

int sim_params_read(const cJSON *v, sim_params *out, json_err *e)
{
    /* Calibrated on flash-sale.json (docs/sim.md): loopback HTTP to the
     * mocks, a SQLite commit per store write. */
    *out = (sim_params){
        .cin7_call = {1, 4},
        .shopify_call = {1, 4},
        .webhook = {3, 9},
        .handling = {0.4, 2},
        .checkout = {1, 4},
    };
    if (!v)
        return 0;
    static const char *const keys[] = {"cin7_call", "shopify_call", "webhook", "handling",
                                       "checkout", NULL};
    if (json_only_keys(v, "$.sim", keys, e))
        return -1;
    if (read_dist(v, "cin7_call", &out->cin7_call, e) ||
        read_dist(v, "shopify_call", &out->shopify_call, e) ||
        read_dist(v, "webhook", &out->webhook, e) || read_dist(v, "handling", &out->handling, e) ||
        read_dist(v, "checkout", &out->checkout, e))
        return -1;
    return 0;
}
