/*
 * The daemon's context (syncd.h): built whole from a configuration by
 * syncd_new, torn down by syncd_free, and the few services every part asks
 * of it (the catalog once loaded, waking workers, marking SKUs for a level
 * sync, alerts, time).
 */
#include "syncd.h"

#include "alertring.h"
#include "httpc.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "opsauth.h"
#include "rng.h"
#include "xwrite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Instances on one store share each credential's budget (gate.h): Cin7's
 * per API application (its account), GraphQL's per shop. */
static void share_budgets(syncd *sd)
{
    if (!store_limits_shared(sd->st))
        return;
    char name[320];
    snprintf(name, sizeof name, "cin7:%s", sd->cfg.cin7_account);
    gate_share(cin7_gate(sd->c7), sd->st, name);
    for (size_t i = 0; i < sd->cfg.n_shops; i++) {
        snprintf(name, sizeof name, "shopify:%s", sd->cfg.shops[i].domain);
        gate_share(shopify_gate(sd->shops[i]), sd->st, name);
    }
}

/* The store's key for the clock origin its times count from. */
#define ORIGIN_KEY "clock_origin"

/* Without a clock_origin, times kept in a store of one process (when an
 * order's units reached Cin7, when a retry is due, how old the stock
 * figures are) count from that store's first start, kept in it: counted
 * from each start, a restart would take every time kept before it for a
 * time still to come. Returns 0, or -1 with err set. */
static int keep_origin(syncd *sd, char *err, size_t errlen)
{
    char *v = NULL;
    int got = store_kv_read(sd->st, ORIGIN_KEY, &v);
    if (got < 0) {
        snprintf(err, errlen, "store: cannot read the clock origin its times count from");
        return -1;
    }
    if (got == 0) {
        char now[32];
        snprintf(now, sizeof now, "%lld", (long long)sd->clk.origin_ms);
        if (store_kv_set(sd->st, ORIGIN_KEY, now) != 0) {
            snprintf(err, errlen, "store: cannot keep the clock origin its times count from");
            return -1;
        }
        return 0;
    }
    char *end = NULL;
    long long origin = v ? strtoll(v, &end, 10) : -1;
    int ok = v && end != v && *end == '\0' && origin >= 0;
    free(v);
    if (!ok) {
        snprintf(err, errlen, "store: its clock origin (key %s) is not a number of ms", ORIGIN_KEY);
        return -1;
    }
    clock_init(&sd->clk, sd->cfg.time_scale, origin);
    log_info("clock: no clock_origin: times count from this store's first start (Unix ms %lld)",
             origin);
    return 0;
}

int syncd_new(syncd_config *cfg, syncd **out, char *err, size_t errlen)
{
    syncd *sd = xcalloc(1, sizeof *sd);
    sd->cfg = *cfg;
    memset(cfg, 0, sizeof *cfg);
    clock_init(&sd->clk, sd->cfg.time_scale, sd->cfg.clock_origin);
    log_init("syncd", &sd->clk);
    log_level lvl = LOG_INFO;
    log_parse_level(sd->cfg.log_level, &lvl);
    log_set_level(lvl);
    if (sd->cfg.seed < 0)
        sd->cfg.seed = (int64_t)(rng_mix64((uint64_t)clock_mono_us() ^ (uint64_t)getpid()) >> 2);
    outbound_seed((uint64_t)sd->cfg.seed);
    log_info("seed %lld (put \"seed\": %lld in the config to replay this run's retry jitter)",
             (long long)sd->cfg.seed, (long long)sd->cfg.seed);
    sd->m = metrics_new();
    sd->pol = (policy){sd->cfg.max_attempts, sd->cfg.retry_base_ms, sd->cfg.retry_cap_ms};
    pthread_mutex_init(&sd->cat_lock, NULL);
    pthread_mutex_init(&sd->inv_lock, NULL);
    clock_cond_init(&sd->inv_cv);
    pthread_mutex_init(&sd->work_lock, NULL);
    clock_cond_init(&sd->work_cv);
    sd->dirty = coalesce_new(sd->cfg.coalesce_ms);
    sd->cache = stockcache_new();
    sd->ops = opsauth_new(SYNCD_SESSIONS_MAX, SYNCD_SESSION_IDLE_MS, SYNCD_SESSION_MAX_AGE_MS);
    sd->alerts = alertring_new(SYNCD_ALERTS_KEPT);
    *out = sd;
    if (store_open(sd->cfg.store_path, NULL, &sd->st, err, errlen) != 0)
        return -1;
    /* Instances sharing a store compare the times they write there (leases,
     * claims, budgets): without a clock_origin each would count from its
     * own start, so on a shared store the default origin is the Unix epoch,
     * which every host whose clock is kept in step agrees on. */
    if (store_is_shared(sd->st) && sd->cfg.clock_origin < 0) {
        clock_init(&sd->clk, sd->cfg.time_scale, 0);
        log_info("clock: no clock_origin and a shared store: times count from the Unix epoch");
    } else if (sd->cfg.clock_origin < 0 && keep_origin(sd, err, errlen) != 0) {
        return -1;
    }
    /* Runners of one exactly-once write in other instances are kept apart
     * by a claim living as long as a lease, a claim's life or four calls,
     * whichever is longest: a run rarely outlives it, and one that does
     * finds it taken over before it sends (xwrite.h). */
    int64_t xw_ttl = sd->cfg.lease_ms;
    if (sd->cfg.claim_ttl_ms > xw_ttl)
        xw_ttl = sd->cfg.claim_ttl_ms;
    if (4 * sd->cfg.http_timeout_ms > xw_ttl)
        xw_ttl = 4 * sd->cfg.http_timeout_ms;
    if (4 * sd->cfg.shopify_http_timeout_ms > xw_ttl)
        xw_ttl = 4 * sd->cfg.shopify_http_timeout_ms;
    /* On SQLite the file has this process as its only user, whose runners
     * the in-process table keeps apart already (xwrite.c). */
    xwrite_share(store_is_shared(sd->st) ? sd->cfg.instance : NULL, xw_ttl);
    sd->c7 = cin7_new(sd->cfg.cin7_url, sd->cfg.cin7_account, sd->cfg.cin7_key,
                      &sd->cfg.cin7_pace, sd->cfg.cin7_page_limit,
                      sd->cfg.http_timeout_ms, &sd->pol, sd->m, &sd->clk);
    sd->shops = xcalloc(sd->cfg.n_shops, sizeof *sd->shops);
    for (size_t i = 0; i < sd->cfg.n_shops; i++)
        sd->shops[i] = shopify_new(&sd->cfg.shops[i], &sd->pol, sd->m, &sd->clk,
                                   sd->cfg.shopify_http_timeout_ms);
    share_budgets(sd);
    return 0;
}

void syncd_free(syncd *sd)
{
    if (!sd)
        return;
    xwrite_share(NULL, 0);
    for (size_t i = 0; sd->shops && i < sd->cfg.n_shops; i++)
        shopify_free(sd->shops[i]);
    free(sd->shops);
    cin7_free(sd->c7);
    store_close(sd->st);
    catalog_free(sd->cat);
    catalog_free(sd->cat_stored);
    stockcache_free(sd->cache);
    coalesce_free(sd->dirty);
    metrics_free(sd->m);
    opsauth_free(sd->ops);
    alertring_free(sd->alerts);
    pthread_mutex_destroy(&sd->cat_lock);
    pthread_mutex_destroy(&sd->inv_lock);
    pthread_cond_destroy(&sd->inv_cv);
    pthread_mutex_destroy(&sd->work_lock);
    pthread_cond_destroy(&sd->work_cv);
    config_free(&sd->cfg);
    free(sd);
}

/* ---- what the parts ask of the context ------------------------------------- */

const catalog *syncd_catalog(syncd *sd)
{
    pthread_mutex_lock(&sd->cat_lock);
    const catalog *c = sd->cat;
    pthread_mutex_unlock(&sd->cat_lock);
    return c;
}

void syncd_nap(syncd *sd, pthread_mutex_t *lock, pthread_cond_t *cv, int64_t sim_ms)
{
    struct timespec ts;
    clock_deadline(&sd->clk, sim_ms, &ts);
    pthread_mutex_lock(lock);
    if (!sd->stopping)
        pthread_cond_timedwait(cv, lock, &ts);
    pthread_mutex_unlock(lock);
}

void syncd_wake_workers(syncd *sd)
{
    pthread_mutex_lock(&sd->work_lock);
    pthread_cond_signal(&sd->work_cv);
    pthread_mutex_unlock(&sd->work_lock);
}

void syncd_mark_dirty(syncd *sd, const char *const *skus, size_t n)
{
    if (!n)
        return;
    int64_t now = clock_now_ms(&sd->clk);
    pthread_mutex_lock(&sd->inv_lock);
    for (size_t i = 0; i < n; i++)
        coalesce_mark(sd->dirty, skus[i], now);
    pthread_cond_signal(&sd->inv_cv);
    pthread_mutex_unlock(&sd->inv_lock);
}

void syncd_alert(syncd *sd, int64_t event_id, cJSON *obj)
{
    char ev[32];
    snprintf(ev, sizeof ev, "ev-%lld", (long long)event_id);
    cJSON_AddNumberToObject(obj, "event", (double)event_id);
    cJSON_AddStringToObject(obj, "source", "syncd");
    char *text = json_print(obj);
    cJSON_Delete(obj);
    alertring_push(sd->alerts, clock_now_ms(&sd->clk), text);
    log_event(LOG_ERROR, ev, "alert: %s", text);
    metrics_inc(sd->m, "syncd_alerts_total", 1);
    if (sd->cfg.alert_url) {
        const char *headers[] = {"Content-Type: application/json", NULL};
        httpc_req req = {.method = "POST", .url = sd->cfg.alert_url, .headers = headers,
                         .body = text, .body_len = strlen(text), .timeout_ms = 2000,
                         .idempotent = 1};
        httpc_resp resp;
        if (httpc_do(&req, &resp) != 0 || resp.status >= 300)
            log_event(LOG_WARN, ev, "alert POST to %s failed: %s (status %d)", sd->cfg.alert_url,
                      resp.error, resp.status);
        httpc_resp_free(&resp);
    }
    free(text);
}

int64_t syncd_sim_time(syncd *sd, const char *iso)
{
    int64_t epoch;
    if (iso && clock_parse_iso(iso, &epoch) == 0)
        return epoch - sd->clk.origin_ms;
    return clock_now_ms(&sd->clk);
}

