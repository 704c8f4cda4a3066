/*
 * Inventory from Cin7 to Shopify. Cin7 stock webhooks mark SKUs and ask for
 * a fresh snapshot; the inventory thread takes marked SKUs in coalesced
 * batches (latest wins, so a burst on one SKU is one write) and, per shop
 * location, writes the level avail_target computes: Cin7 Available at the
 * mapped locations, less units of orders the Cin7 figures cannot reflect
 * yet, less units Shopify sold that syncd has not heard of, less the safety
 * buffer. Writes happen only when the level differs, with compare-and-set
 * against the level just read, so a checkout landing between the read and
 * the write makes the write fail (stale) and the batch is computed again.
 *
 * A webhook's figures are not used for levels: a delivery retried minutes
 * later carries figures from before sales pushed since, and nothing in it
 * says when they were true. Only a read whose start time is known lets the
 * ledger subtract exactly the orders it cannot show.
 */
#include "handlers.h"

#include "avail.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "sbuf.h"
#include "strmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

handled stock_changed(syncd *sd, const store_event *ev)
{
    handled h = {H_DONE, 0, ""};
    cJSON *v = json_parse(ev->body, ev->body_len, NULL);
    const cJSON *rows = v;
    if (cJSON_IsObject(v)) {
        /* Some senders wrap the rows: take the first array inside. */
        const cJSON *it;
        rows = NULL;
        cJSON_ArrayForEach(it, v) if (!rows && cJSON_IsArray(it)) rows = it;
    }
    if (!cJSON_IsArray(rows)) {
        cJSON_Delete(v);
        h.kind = H_DEAD;
        snprintf(h.reason, sizeof h.reason, "stock change body is not a JSON array of rows");
        return h;
    }
    size_t n = 0;
    const char **skus = xcalloc((size_t)cJSON_GetArraySize(rows) + 1, sizeof *skus);
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
    {
        const cJSON *sku = cJSON_GetObjectItemCaseSensitive(row, "SKU");
        if (cJSON_IsString(sku))
            skus[n++] = sku->valuestring;
    }
    sd->stock_changed = 1;
    syncd_mark_dirty(sd, skus, n);
    metrics_inc(sd->m, "syncd_stock_rows_total", (int64_t)n);
    free(skus);
    cJSON_Delete(v);
    return h;
}

/* Refreshes the whole cache from Cin7 when it is older than allowed. */
static handled refresh_snapshot(syncd *sd)
{
    handled h = {H_DONE, 0, ""};
    int64_t now = clock_now_ms(&sd->clk);
    int64_t last = stockcache_full_read_at(sd->cache);
    int64_t age = now - last;
    /* Fresh enough, unless Cin7 said stock moved and the last read is more
     * than a coalescing window old (bursts share one read). */
    if (last > 0 && age <= sd->cfg.snapshot_max_age_ms &&
        !(sd->stock_changed && age > sd->cfg.coalesce_ms))
        return h;
    sd->stock_changed = 0;
    cin7_snapshot snap;
    outcome o;
    cin7_availability(sd->c7, NULL, PRIO_NORMAL, &snap, &o);
    if (o.action != POLICY_DONE) {
        h.kind = H_RETRY;
        h.wait_ms = o.wait_ms > 0 ? o.wait_ms : 1000;
        snprintf(h.reason, sizeof h.reason, "%s", o.error);
        outbound_done(&o);
        return h;
    }
    outbound_done(&o);
    for (size_t i = 0; i < snap.n; i++) {
        const cin7_row *r = &snap.rows[i];
        stock_figures f = {r->on_hand, r->allocated, r->available, r->on_order, r->in_transit,
                           snap.read_started};
        stockcache_put(sd->cache, r->sku, r->location, &f);
    }
    stockcache_set_full_read(sd->cache, snap.read_started);
    metrics_inc(sd->m, "syncd_snapshot_reads_total", 1);
    cin7_snapshot_free(&snap);
    return h;
}

/* What syncd last wrote at (shop, location, sku), or found already right,
 * and when: the baseline of the "unknown" term. Kept in memory by the
 * inventory thread (the only one that syncs levels), so a value just
 * written is never read back stale, and persisted for the next start. */
struct lastwrites {
    strmap *index;
    int64_t *level, *at;
    size_t n, cap;
};

static void lw_key(char *buf, size_t n, const char *shop, int64_t loc, const char *sku)
{
    snprintf(buf, n, "lw:%s:%lld:%s", shop, (long long)loc, sku);
}

static int last_write(syncd *sd, const char *shop, int64_t loc, const char *sku, int64_t *w,
                      int64_t *at)
{
    struct lastwrites *lw = sd->lw;
    char key[300];
    lw_key(key, sizeof key, shop, loc, sku);
    long i = lw ? strmap_get(lw->index, key) : -1;
    if (i >= 0) {
        *w = lw->level[i];
        *at = lw->at[i];
        return *w >= 0;
    }
    /* Not seen since start: what a previous run left. */
    char *v = store_kv_get(sd->st, key);
    long long a = -1, b = 0;
    int ok = v && sscanf(v, "%lld %lld", &a, &b) == 2;
    free(v);
    *w = ok ? a : -1;
    *at = ok ? b : 0;
    return ok;
}

static void remember_write(syncd *sd, const char *shop, int64_t loc, const char *sku, int64_t w,
                           int64_t at)
{
    if (!sd->lw) {
        sd->lw = xcalloc(1, sizeof *sd->lw);
        sd->lw->index = strmap_new(0);
    }
    struct lastwrites *lw = sd->lw;
    char key[300], val[64];
    lw_key(key, sizeof key, shop, loc, sku);
    long i = strmap_get(lw->index, key);
    if (i < 0) {
        if (lw->n == lw->cap) {
            lw->cap = lw->cap ? lw->cap * 2 : 256;
            lw->level = xrealloc(lw->level, lw->cap * sizeof *lw->level);
            lw->at = xrealloc(lw->at, lw->cap * sizeof *lw->at);
        }
        i = (long)lw->n++;
        strmap_put(lw->index, key, i);
    }
    lw->level[i] = w;
    lw->at[i] = at;
    snprintf(val, sizeof val, "%lld %lld", (long long)w, (long long)at);
    store_kv_set_async(sd->st, key, val);
}

void inventory_free(syncd *sd)
{
    if (!sd->lw)
        return;
    strmap_free(sd->lw->index);
    free(sd->lw->level);
    free(sd->lw->at);
    free(sd->lw);
    sd->lw = NULL;
}

typedef struct {
    const char *sku;
    int64_t item;
} want;

/* One pass for one shop: read levels, compute, write with compare-and-set.
 * *stale is set when Shopify refused because a level moved. */
static handled sync_shop(syncd *sd, size_t shop, const want *wants, size_t n_wants, int *stale)
{
    handled h = {H_DONE, 0, ""};
    *stale = 0;
    const char *domain = sd->cfg.shops[shop].domain;
    size_t n_locs;
    const catalog_location *locs = catalog_locations(sd->cat, shop, &n_locs);
    if (!n_locs || !n_wants)
        return h;
    int64_t *items = xcalloc(n_wants, sizeof *items);
    int64_t *loc_ids = xcalloc(n_locs, sizeof *loc_ids);
    for (size_t i = 0; i < n_wants; i++)
        items[i] = wants[i].item;
    for (size_t l = 0; l < n_locs; l++)
        loc_ids[l] = locs[l].id;
    shopify_level *levels = NULL;
    size_t n_levels = 0;
    outcome o;
    shopify_levels(sd->shops[shop], items, n_wants, loc_ids, n_locs, PRIO_URGENT, &levels,
                   &n_levels, &o);
    if (o.action != POLICY_DONE) {
        h.kind = H_RETRY;
        h.wait_ms = o.wait_ms > 0 ? o.wait_ms : 1000;
        snprintf(h.reason, sizeof h.reason, "%s", o.error);
        outbound_done(&o);
        goto out;
    }
    outbound_done(&o);
    /* Levels read: later checkouts lower them from here on. */
    int64_t read_done = clock_now_ms(&sd->clk);

    shopify_set *sets = xcalloc(n_wants * n_locs + 1, sizeof *sets);
    const char **set_skus = xcalloc(n_wants * n_locs + 1, sizeof *set_skus);
    size_t n_sets = 0;
    int store_failed = 0;
    int64_t now = read_done;
    for (size_t w = 0; w < n_wants; w++) {
        /* Per location: Shopify's level, our last write, its drop since. */
        int64_t *cur = xcalloc(n_locs, sizeof *cur), *lw = xcalloc(n_locs, sizeof *lw);
        int64_t *lw_at = xcalloc(n_locs, sizeof *lw_at);
        int64_t drops = 0, oldest_write = INT64_MAX;
        for (size_t l = 0; l < n_locs; l++) {
            cur[l] = -1;
            for (size_t k = 0; k < n_levels; k++)
                if (levels[k].item == wants[w].item && levels[k].location == locs[l].id)
                    cur[l] = levels[k].available;
            last_write(sd, domain, locs[l].id, wants[w].sku, &lw[l], &lw_at[l]);
            if (cur[l] >= 0 && lw[l] >= 0) {
                if (lw[l] > cur[l])
                    drops += lw[l] - cur[l];
                if (lw_at[l] < oldest_write)
                    oldest_write = lw_at[l];
            }
        }
        int64_t known = oldest_write != INT64_MAX
                            ? store_units_placed_since(sd->st, domain, wants[w].sku, oldest_write)
                            : 0;
        if (known < 0) {
            store_failed = 1;
            break;
        }
        for (size_t l = 0; l < n_locs; l++) {
            if (cur[l] < 0)
                continue; /* the item is not stocked at this location */
            int64_t cin7_avail = 0, as_of = INT64_MAX;
            for (size_t k = 0; k < locs[l].n_cin7; k++) {
                stock_figures f;
                if (stockcache_get(sd->cache, wants[w].sku, locs[l].cin7[k], &f)) {
                    cin7_avail += f.available;
                    if (f.as_of < as_of)
                        as_of = f.as_of;
                }
            }
            if (as_of == INT64_MAX)
                as_of = 0;
            /* Known orders are attributed to locations by their drops. */
            int64_t drop = lw[l] >= 0 && lw[l] > cur[l] ? lw[l] - cur[l] : 0;
            int64_t known_here = drops > 0 ? known * drop / drops : 0;
            int64_t pending = store_pending_units(sd->st, wants[w].sku, as_of);
            if (pending < 0) {
                store_failed = 1;
                break;
            }
            avail_input in = {
                .cin7_available = cin7_avail,
                .pending_units = pending,
                .safety_buffer = sd->cfg.shops[shop].safety_buffer,
                .shopify_now = cur[l],
                .last_written = lw[l],
                .known_since_write = known_here,
            };
            int64_t unknown = 0;
            int64_t target = avail_target(&in, &unknown);
            log_debug("level %s %s@%lld: cin7 %lld (as of %lld) pending %lld shopify %lld "
                      "last %lld at %lld known %lld unknown %lld -> %lld",
                      domain, wants[w].sku, (long long)locs[l].id, (long long)cin7_avail,
                      (long long)as_of, (long long)pending, (long long)cur[l], (long long)lw[l],
                      (long long)lw_at[l], (long long)known_here, (long long)unknown,
                      (long long)target);
            if (unknown > 0)
                metrics_inc(sd->m, "syncd_unknown_units_total", unknown);
            if (avail_should_write(target, cur[l])) {
                sets[n_sets] = (shopify_set){wants[w].item, locs[l].id, target, cur[l]};
                set_skus[n_sets] = wants[w].sku;
                n_sets++;
            } else {
                /* Already right: a baseline as good as a write. */
                remember_write(sd, domain, locs[l].id, wants[w].sku, cur[l], read_done);
            }
        }
        free(cur);
        free(lw);
        free(lw_at);
        if (store_failed)
            break;
    }
    if (store_failed) {
        /* Never write a level computed without the ledger. */
        h.kind = H_RETRY;
        h.wait_ms = 1000;
        snprintf(h.reason, sizeof h.reason, "store: cannot read the reservation ledger");
        n_sets = 0;
    }
    if (n_sets) {
        char key[160];
        static _Atomic unsigned long long seq;
        snprintf(key, sizeof key, "syncd-%s-%lld-%llu", domain, (long long)now, ++seq);
        shopify_set_levels(sd->shops[shop], sets, n_sets, key, PRIO_URGENT, stale, &o);
        if (o.action != POLICY_DONE) {
            h.kind = H_RETRY;
            h.wait_ms = o.wait_ms > 0 ? o.wait_ms : 1000;
            snprintf(h.reason, sizeof h.reason, "%s", o.error);
        } else if (!*stale) {
            int64_t at = clock_now_ms(&sd->clk);
            for (size_t i = 0; i < n_sets; i++)
                remember_write(sd, domain, sets[i].location, set_skus[i], sets[i].quantity, at);
            metrics_inc(sd->m, "syncd_inventory_writes_total", (int64_t)n_sets);
        } else {
            metrics_inc(sd->m, "syncd_inventory_stale_total", 1);
        }
        outbound_done(&o);
    }
    free(sets);
    free(set_skus);
out:
    free(levels);
    free(items);
    free(loc_ids);
    return h;
}

handled inventory_sync(syncd *sd, char **skus, size_t n)
{
    handled h = {H_DONE, 0, ""};
    if (!syncd_catalog(sd)) {
        h.kind = H_RETRY;
        h.wait_ms = 2000;
        snprintf(h.reason, sizeof h.reason, "catalog not loaded yet");
        return h;
    }
    h = refresh_snapshot(sd);
    if (h.kind != H_DONE)
        return h;
    want *wants = xcalloc(n + 1, sizeof *wants);
    for (size_t s = 0; s < sd->cfg.n_shops && h.kind == H_DONE; s++) {
        size_t nw = 0;
        for (size_t i = 0; i < n; i++) {
            int64_t item = catalog_item(sd->cat, s, skus[i]);
            if (item)
                wants[nw++] = (want){skus[i], item};
        }
        for (int pass = 0; pass < 4; pass++) {
            int stale = 0;
            h = sync_shop(sd, s, wants, nw, &stale);
            if (h.kind != H_DONE || !stale)
                break;
            if (pass == 3) {
                /* Checkouts keep moving the levels: come back shortly. */
                h.kind = H_RETRY;
                h.wait_ms = 500;
                snprintf(h.reason, sizeof h.reason, "levels kept changing under the write");
            }
        }
    }
    free(wants);
    return h;
}
