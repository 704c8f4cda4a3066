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
#include "c7event.h"
#include "json.h"
#include "levelintent.h"
#include "log.h"
#include "mem.h"
#include "sbuf.h"
#include "stockread.h"
#include "strmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The store's key for the figures of the last full read (store_kv), and
 * for when that read started: instances sharing the store take each
 * other's newer reads through them (inventory_adopt). */
#define STOCK_KEY "boot:stock"
#define STOCK_AT_KEY "stock:read_at"

void stock_mark(syncd *sd, const char *const *skus, size_t n, int64_t received_at)
{
    /* Cin7 notifies after its figures changed: a full read that started
     * after the notification arrived shows the change already, and the
     * SKUs are synced from it without another read (a notification handled
     * late, behind a backlog, would otherwise cost a read of the budget). */
    if (received_at >= stockcache_full_read_at(sd->cache))
        sd->stock_changed = 1;
    syncd_mark_dirty(sd, skus, n);
}

handled stock_changed(syncd *sd, const store_event *ev)
{
    handled h = {H_DONE, 0, ""};
    char **skus = NULL, why[400];
    size_t n = 0;
    int rc = c7event_stock_skus(ev->body, ev->body_len, &skus, &n, why, sizeof why);
    if (rc < 0)
        return handled_dead("stock notification refused: %s", why);
    /* The good rows are synced even when others are refused: one bad row
     * never holds back other SKUs. The bad ones are dead-lettered. */
    stock_mark(sd, (const char *const *)skus, n, ev->received_at);
    metrics_inc(sd->m, "syncd_stock_rows_total", (int64_t)n);
    c7event_skus_free(skus, n);
    if (rc > 0)
        h = handled_dead("stock notification: %s", why);
    return h;
}

int inventory_adopt(syncd *sd)
{
    if (!store_is_shared(sd->st))
        return 0; /* nobody else reads Cin7 for this store */
    char *at = store_kv_get(sd->st, STOCK_AT_KEY);
    if (!at)
        return 0;
    int64_t t = strtoll(at, NULL, 10);
    free(at);
    if (t <= stockcache_full_read_at(sd->cache))
        return 0;
    char why[300];
    int rc = inventory_restore(sd, why, sizeof why);
    if (rc < 0) {
        log_warn("inventory: the figures another instance read cannot be taken: %s", why);
        return -1;
    }
    if (rc == 0)
        metrics_inc(sd->m, "syncd_snapshots_adopted_total", 1);
    return rc == 0;
}

handled inventory_refresh(syncd *sd)
{
    handled h = {H_DONE, 0, ""};
    /* A read another instance made since ours may be fresh enough. */
    inventory_adopt(sd);
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
    /* For a later start (not waited on: a start that finds an older copy
     * still does better than one with none), and on a shared store for the
     * other instances: the figures first, then the time that makes the
     * others take them. */
    char *kept = stockcache_export(sd->cache);
    if (!store_is_shared(sd->st)) {
        store_kv_set_async(sd->st, STOCK_KEY, kept);
    } else {
        char at[32];
        snprintf(at, sizeof at, "%lld", (long long)stockcache_full_read_at(sd->cache));
        if (store_kv_set(sd->st, STOCK_KEY, kept) != 0 ||
            store_kv_set(sd->st, STOCK_AT_KEY, at) != 0)
            log_warn("inventory: cannot keep the figures read in the store (another instance "
                     "reads Cin7 again)");
    }
    free(kept);
    return h;
}

int inventory_restore(syncd *sd, char *why, size_t whylen)
{
    char *kept = store_kv_get(sd->st, STOCK_KEY);
    if (!kept)
        return 1;
    int rc = stockcache_import(sd->cache, kept, why, whylen);
    free(kept);
    return rc;
}

/* What syncd last wrote at (shop, location, sku), or found already right,
 * and, per (shop, sku), the unknown units and the known total at that
 * moment: the baselines of the unknown-units arithmetic (avail.h). Kept in
 * memory by the inventory thread (the only one that syncs levels), so a
 * value just written is never read back stale, and persisted for the next
 * start. On a store several instances share, the baselines are whoever
 * wrote last's: they are read from the store every time and written to it
 * before the pass ends (a stale copy in memory would count another
 * instance's write as units sold, or miss units it saw sold). */
struct lastwrites {
    strmap *index;   /* key -> slot */
    int64_t *a, *b;  /* level and time, or unknown units and known total */
    size_t n, cap;
};

static int lw_get(syncd *sd, const char *key, int64_t *a, int64_t *b)
{
    struct lastwrites *lw = sd->lw;
    long i = lw && !store_is_shared(sd->st) ? strmap_get(lw->index, key) : -1;
    if (i >= 0) {
        *a = lw->a[i];
        *b = lw->b[i];
        return 1;
    }
    /* Not seen since start: what a previous run left. */
    char *v = store_kv_get(sd->st, key);
    long long x = 0, y = 0;
    int ok = v && sscanf(v, "%lld %lld", &x, &y) == 2;
    free(v);
    *a = x;
    *b = y;
    return ok;
}

static void lw_put(syncd *sd, const char *key, int64_t a, int64_t b)
{
    if (!sd->lw) {
        sd->lw = xcalloc(1, sizeof *sd->lw);
        sd->lw->index = strmap_new(0);
    }
    struct lastwrites *lw = sd->lw;
    long i = strmap_get(lw->index, key);
    if (i < 0) {
        if (lw->n == lw->cap) {
            lw->cap = lw->cap ? lw->cap * 2 : 256;
            lw->a = xrealloc(lw->a, lw->cap * sizeof *lw->a);
            lw->b = xrealloc(lw->b, lw->cap * sizeof *lw->b);
        }
        i = (long)lw->n++;
        strmap_put(lw->index, key, i);
    }
    lw->a[i] = a;
    lw->b[i] = b;
    char val[64];
    snprintf(val, sizeof val, "%lld %lld", (long long)a, (long long)b);
    if (!store_is_shared(sd->st))
        store_kv_set_async(sd->st, key, val);
    else if (store_kv_set(sd->st, key, val) != 0)
        log_warn("inventory: cannot keep the baseline %s (the next pass counts from an older one)",
                 key);
}

void inventory_free(syncd *sd)
{
    if (!sd->lw)
        return;
    strmap_free(sd->lw->index);
    free(sd->lw->a);
    free(sd->lw->b);
    free(sd->lw);
    sd->lw = NULL;
}

/* One SKU of one shop in a sync pass. */
typedef struct {
    const char *sku;
    int64_t item;
    int64_t unknown;   /* this shop's unknown units now */
    int64_t known;     /* this shop's known total now */
    int unreadable;    /* its ledger sum could not be read: left out */
    int read_only;     /* tied to the batch, not claimed by this pass: figures only */
} want;

/* One shop's part of a pass. */
typedef struct {
    want *wants;
    size_t n;
    const catalog_location *locs;
    size_t n_locs;
    shopify_level *levels;
    size_t n_levels;
    int64_t read_done;   /* when its levels were read */
} shop_pass;

static int64_t level_of(const shop_pass *p, int64_t item, int64_t loc)
{
    for (size_t k = 0; k < p->n_levels; k++)
        if (p->levels[k].item == item && p->levels[k].location == loc)
            return p->levels[k].available;
    return -1;
}

static handled fail(const outcome *o, const char *fallback)
{
    handled h = {H_RETRY, o && o->wait_ms > 0 ? o->wait_ms : 1000, ""};
    snprintf(h.reason, sizeof h.reason, "%s", o ? o->error : fallback);
    return h;
}

/* Reads one shop's levels and works out its unknown units per SKU. */
static handled read_shop(syncd *sd, size_t shop, shop_pass *p)
{
    handled h = {H_DONE, 0, ""};
    const char *domain = sd->cfg.shops[shop].domain;
    if (!p->n || !p->n_locs)
        return h;
    int64_t *items = xcalloc(p->n, sizeof *items);
    int64_t *loc_ids = xcalloc(p->n_locs, sizeof *loc_ids);
    for (size_t i = 0; i < p->n; i++)
        items[i] = p->wants[i].item;
    for (size_t l = 0; l < p->n_locs; l++)
        loc_ids[l] = p->locs[l].id;
    outcome o;
    shopify_levels(sd->shops[shop], items, p->n, loc_ids, p->n_locs, PRIO_URGENT, &p->levels,
                   &p->n_levels, &o);
    free(items);
    free(loc_ids);
    if (o.action != POLICY_DONE) {
        h = fail(&o, NULL);
        outbound_done(&o);
        return h;
    }
    outbound_done(&o);
    metrics_inc(sd->m, "syncd_shopify_level_reads_total", 1);
    /* Levels read: later checkouts lower them from here on. */
    p->read_done = clock_now_ms(&sd->clk);
    for (size_t w = 0; w < p->n; w++) {
        want *wt = &p->wants[w];
        wt->known = store_units_known(sd->st, domain, wt->sku);
        if (wt->known < 0) {
            wt->unreadable = 1; /* this SKU sits out; the others go on */
            continue;
        }
        char key[300];
        int64_t unknown_then = 0, known_then = wt->known;
        snprintf(key, sizeof key, "lu:%s:%s", domain, wt->sku);
        lw_get(sd, key, &unknown_then, &known_then);
        int64_t drop = 0;
        for (size_t l = 0; l < p->n_locs; l++) {
            int64_t cur = level_of(p, wt->item, p->locs[l].id);
            int64_t last = -1, at = 0;
            snprintf(key, sizeof key, "lw:%s:%lld:%s", domain, (long long)p->locs[l].id, wt->sku);
            if (cur >= 0 && lw_get(sd, key, &last, &at) && last >= 0)
                drop += last - cur;
        }
        wt->unknown = avail_unknown(unknown_then, drop, wt->known - known_then);
        if (wt->unknown > 0 && !wt->read_only)
            metrics_inc(sd->m, "syncd_unknown_units_total", wt->unknown);
    }
    return h;
}

/* Reconciliation's drift: each SKU of the shop whose level at some
 * location differed from what Cin7 says is sellable, now written. */
static void count_drift(syncd *sd, const char *domain, const shop_pass *p, const shopify_set *sets,
                        const size_t *set_want, size_t n_sets)
{
    /* In poll mode every poll corrects what changed since the last: that
     * is how a polling connector works, not an anomaly. */
    int poll = strcmp(sd->cfg.mode, "poll") == 0;
    int64_t skus = 0;
    for (size_t i = 0; i < n_sets; i++) {
        log_event(poll ? LOG_INFO : LOG_WARN, NULL, "%s: %s %s at location %lld: %lld -> %lld",
                  poll ? "poll: level corrected" : "reconcile: drift repaired", domain,
                  p->wants[set_want[i]].sku, (long long)sets[i].location,
                  (long long)sets[i].change_from, (long long)sets[i].quantity);
        if (i == 0 || set_want[i] != set_want[i - 1])
            skus++;
    }
    metrics_inc(sd->m, "syncd_reconcile_drift_skus_total", skus);
    if (!poll)
        metrics_inc(sd->m, "syncd_reconcile_anomalies_total{kind=\"level_drift\"}", skus);
}

/* What one shop's pass decided: levels to write (sets) and levels found
 * right (matches), each with its want's index. */
typedef struct {
    shopify_set *sets, *matches;
    size_t *set_want, *match_want;
    size_t n_sets, n_matches;
} shop_writes;

static void shop_writes_free(shop_writes *wr)
{
    free(wr->sets);
    free(wr->matches);
    free(wr->set_want);
    free(wr->match_want);
}

/* A pass's figures per SKU (its batch and the kits and components tied to
 * it), for the kits' levels, which are worked out from their components'. */
typedef struct {
    char **skus;
    size_t n;
    const int64_t *unknown;  /* units shops sold unknown to syncd, all shops */
    const int64_t *pending;  /* ledger units Cin7's figures cannot show, with the
                              * units kits sold take of a component */
} pass_figs;

static long figs_index(const pass_figs *f, const char *sku)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->skus[i], sku) == 0)
            return (long)i;
    return -1;
}

/* Cin7 Available at a Shopify location: the sum over its Cin7 locations. */
static int64_t cin7_available_at(syncd *sd, const char *sku, const catalog_location *loc)
{
    int64_t sum = 0;
    for (size_t k = 0; k < loc->n_cin7; k++) {
        stock_figures f;
        if (stockcache_get(sd->cache, sku, loc->cin7[k], &f))
            sum += f.available;
    }
    return sum;
}

/* Kits sellable at a Shopify location, before the shop's share and
 * buffer, or -1 when the kit makes no level (a part that takes nothing, or
 * one missing from the pass). The fewer of: the kits the components'
 * sellable units make (Cin7 Available over the location's Cin7 locations,
 * less their pending units, kits' included, and their unknown units; when
 * a component runs low, only this kit's share of it, kit_share: kit_level),
 * and the kits Cin7's figures make at each Cin7 location on
 * its own, summed, because a kit is assembled from one location's
 * components (Cin7 Core help, "Auto-assembly"). The kit's own Available
 * is not read: it counts the same components again. */
static int64_t kit_pool(syncd *sd, const kit *k, const catalog_location *loc, const pass_figs *f)
{
    size_t nk;
    const kit *kits = catalog_kits(syncd_catalog(sd), &nk);
    int64_t *units = xcalloc(k->n + 1, sizeof *units), pool = -1, each = 0;
    for (size_t i = 0; i < k->n; i++) {
        long x = figs_index(f, k->parts[i].sku);
        if (x < 0)
            goto done;
        avail_input in = {
            .cin7_available = cin7_available_at(sd, k->parts[i].sku, loc),
            .pending_units = f->pending[x],
            .unknown_units = f->unknown[x],
        };
        units[i] = kit_share(kits, nk, (size_t)(k - kits), k->parts[i].sku,
                             catalog_sells(syncd_catalog(sd), k->parts[i].sku), avail_target(&in),
                             sd->cfg.kit_low_stock_split);
    }
    pool = kit_level(k->parts, k->n, units);
    if (pool <= 0)
        goto done;
    int64_t made = 0;
    for (size_t l = 0; l < loc->n_cin7; l++) {
        for (size_t i = 0; i < k->n; i++) {
            stock_figures fig;
            units[i] = stockcache_get(sd->cache, k->parts[i].sku, loc->cin7[l], &fig)
                           ? fig.available
                           : 0;
        }
        each = kit_level(k->parts, k->n, units);
        made += each > 0 ? each : 0;
    }
    if (made < pool)
        pool = made;
done:
    free(units);
    return pool;
}

/* What a SKU's own listing may offer: all its sellable units, or its
 * share of them when kits use it too and they run low (kit_share). */
static int64_t own_share(syncd *sd, const char *sku, const avail_input *in)
{
    size_t nk;
    const kit *kits = catalog_kits(syncd_catalog(sd), &nk);
    return kit_share(kits, nk, nk, sku, 1, avail_target(in), sd->cfg.kit_low_stock_split);
}

/* Of the shops selling sku, how many (*n) and which one shop is (*index). */
static void sellers_of(syncd *sd, const char *sku, size_t shop, size_t *n, size_t *index)
{
    *n = 0;
    *index = 0;
    for (size_t s = 0; s < sd->cfg.n_shops; s++)
        if (catalog_item(syncd_catalog(sd), s, sku)) {
            if (s == shop)
                *index = *n;
            (*n)++;
        }
}

/* The decision for every (SKU, location) of the pass: the target
 * (avail_target before the buffer, then the shop's level of it:
 * avail_shop_level, its share when stock is low, less its buffer), and
 * avail_should_write against the level just read. */
static void plan_writes(syncd *sd, size_t shop, const shop_pass *p, const int64_t *unknown_total,
                        const int64_t *pending, const pass_figs *figs, shop_writes *wr)
{
    size_t cap = p->n * p->n_locs + 1;
    wr->sets = xcalloc(cap, sizeof *wr->sets);
    wr->matches = xcalloc(cap, sizeof *wr->matches);
    wr->set_want = xcalloc(cap, sizeof *wr->set_want);
    wr->match_want = xcalloc(cap, sizeof *wr->match_want);
    for (size_t w = 0; w < p->n; w++) {
        const want *wt = &p->wants[w];
        if (wt->read_only)
            continue;
        const kit *k = catalog_kit(syncd_catalog(sd), wt->sku);
        size_t sellers, seller;
        sellers_of(sd, wt->sku, shop, &sellers, &seller);
        for (size_t l = 0; l < p->n_locs; l++) {
            int64_t cur = level_of(p, wt->item, p->locs[l].id);
            if (cur < 0)
                continue; /* the item is not stocked at this location */
            avail_input in = {
                .cin7_available = cin7_available_at(sd, wt->sku, &p->locs[l]),
                .pending_units = pending[w],
                .unknown_units = unknown_total[w],
            };
            int64_t pool = k ? kit_pool(sd, k, &p->locs[l], figs) : own_share(sd, wt->sku, &in);
            if (pool < 0) {
                log_warn("inventory: kit %s has a component that takes nothing or was not read; "
                         "its level is left as it is",
                         wt->sku);
                continue;
            }
            int64_t target = avail_shop_level(pool, sellers, seller, sd->cfg.low_stock_split,
                                              sd->cfg.shops[shop].safety_buffer);
            log_debug("level %s %s@%lld: cin7 %lld pending %lld unknown %lld (this shop %lld) "
                      "shopify %lld -> %lld",
                      sd->cfg.shops[shop].domain, wt->sku, (long long)p->locs[l].id,
                      (long long)in.cin7_available, (long long)pending[w],
                      (long long)unknown_total[w], (long long)wt->unknown, (long long)cur,
                      (long long)target);
            if (avail_should_write(target, cur)) {
                wr->sets[wr->n_sets] = (shopify_set){wt->item, p->locs[l].id, target, cur};
                wr->set_want[wr->n_sets++] = w;
            } else {
                /* Already right: a baseline as good as a write (kept, with
                 * the rest of the pass, if the pass holds). */
                wr->matches[wr->n_matches] = (shopify_set){wt->item, p->locs[l].id, cur, cur};
                wr->match_want[wr->n_matches++] = w;
            }
        }
    }
}

/* The write of shop s that syncd does not know the outcome of, if any, is
 * kept in the store under this key (levelintent.h). */
static void intent_key(const syncd *sd, size_t shop, char *key, size_t n)
{
    snprintf(key, n, "lx:%s", sd->cfg.shops[shop].domain);
}

static void intent_clear(syncd *sd, size_t shop)
{
    char key[300];
    intent_key(sd, shop, key, sizeof key);
    store_kv_set_async(sd->st, key, NULL);
}

/* Sets applied: each is its location's baseline from at. */
static void sets_applied(syncd *sd, size_t shop, const shopify_set *sets,
                         const char *const *skus, size_t n, int64_t at)
{
    char key[300];
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof key, "lw:%s:%lld:%s", sd->cfg.shops[shop].domain,
                 (long long)sets[i].location, skus[i]);
        lw_put(sd, key, sets[i].quantity, at);
    }
}

/* Settles shop s's write of unknown outcome, if one is recorded: sent
 * again with its key, its answer is the first one's. Returns H_DONE when
 * there is none left, else H_RETRY (the pass waits: its arithmetic needs
 * the baseline). */
static handled settle_intent(syncd *sd, size_t shop)
{
    char key[300], why[400];
    intent_key(sd, shop, key, sizeof key);
    char *text = store_kv_get(sd->st, key);
    if (!text)
        return handled_done();
    levelintent li;
    int rc = levelintent_parse(text, &li, why, sizeof why);
    free(text);
    if (rc != 0) {
        log_warn("inventory: the record of a level write of %s cannot be read (%s); dropped",
                 sd->cfg.shops[shop].domain, why);
        intent_clear(sd, shop);
        return handled_done();
    }
    int stale = 0;
    outcome o;
    shopify_set_levels(sd->shops[shop], li.sets, li.n, li.idem, PRIO_URGENT, &stale, &o);
    handled h = handled_done();
    if (o.action == POLICY_DONE || o.action == POLICY_PERMANENT) {
        int applied = o.action == POLICY_DONE && !stale;
        if (applied)
            sets_applied(sd, shop, li.sets, (const char *const *)li.skus, li.n,
                         clock_now_ms(&sd->clk));
        log_info("inventory: level write %s of %s, whose answer was lost, was %s", li.idem,
                 sd->cfg.shops[shop].domain, applied ? "applied" : "not applied");
        metrics_inc(sd->m, "syncd_inventory_writes_settled_total", 1);
        intent_clear(sd, shop);
    } else {
        h = fail(&o, NULL);
    }
    outbound_done(&o);
    levelintent_free(&li);
    return h;
}

/* Records the write about to be sent (levelintent.h): sets and the SKU
 * of each. Returns 0, or -1 when the store did not take it (then nothing
 * is sent). */
static int intent_record(syncd *sd, size_t shop, const char *idem, const shop_writes *wr,
                         const char *const *skus)
{
    char *text = levelintent_json(idem, wr->sets, skus, wr->n_sets);
    char key[300];
    intent_key(sd, shop, key, sizeof key);
    int rc = store_kv_set(sd->st, key, text);
    free(text);
    return rc;
}

/* The writes, compare-and-set against the levels read, recorded first so
 * that a lost answer is settled later (settle_intent). *stale is set when
 * Shopify refused because a level moved since. */
static handled send_writes(syncd *sd, size_t shop, const shop_pass *p, const shop_writes *wr,
                           int audit, int *stale)
{
    const char *domain = sd->cfg.shops[shop].domain;
    char idem[160];
    static _Atomic unsigned long long seq;
    snprintf(idem, sizeof idem, "syncd-%s-%lld-%llu", domain, (long long)p->read_done, ++seq);
    /* The SKU of each set: the record's and the baselines' keys. */
    const char **skus = xcalloc(wr->n_sets + 1, sizeof *skus);
    for (size_t i = 0; i < wr->n_sets; i++)
        skus[i] = p->wants[wr->set_want[i]].sku;
    handled h = handled_done();
    if (intent_record(sd, shop, idem, wr, skus) != 0) {
        metrics_inc(sd->m, "syncd_store_errors_total", 1);
        free(skus);
        return handled_retry(1000, "store: cannot record the level write of %s", domain);
    }
    outcome o;
    shopify_set_levels(sd->shops[shop], wr->sets, wr->n_sets, idem, PRIO_URGENT, stale, &o);
    if (o.action != POLICY_DONE && o.action != POLICY_PERMANENT) {
        h = fail(&o, NULL); /* the record stays: the next pass settles it */
    } else {
        if (o.action == POLICY_PERMANENT) {
            h = fail(&o, NULL);
        } else if (!*stale) {
            sets_applied(sd, shop, wr->sets, skus, wr->n_sets, clock_now_ms(&sd->clk));
            metrics_inc(sd->m, "syncd_inventory_writes_total", (int64_t)wr->n_sets);
            if (audit)
                count_drift(sd, domain, p, wr->sets, wr->set_want, wr->n_sets);
        } else {
            metrics_inc(sd->m, "syncd_inventory_stale_total", 1);
        }
        intent_clear(sd, shop);
    }
    outbound_done(&o);
    free(skus);
    return h;
}

/* The levels found right, the unknown units and the known total this pass
 * saw are the next pass's baseline, together or not at all: when the
 * levels moved under the write, nothing of this pass holds. */
static void keep_baselines(syncd *sd, size_t shop, const shop_pass *p, const shop_writes *wr)
{
    const char *domain = sd->cfg.shops[shop].domain;
    char key[300];
    for (size_t i = 0; i < wr->n_matches; i++) {
        snprintf(key, sizeof key, "lw:%s:%lld:%s", domain, (long long)wr->matches[i].location,
                 p->wants[wr->match_want[i]].sku);
        lw_put(sd, key, wr->matches[i].quantity, p->read_done);
    }
    for (size_t w = 0; w < p->n; w++) {
        if (p->wants[w].read_only)
            continue; /* another pass holds its baselines */
        snprintf(key, sizeof key, "lu:%s:%s", domain, p->wants[w].sku);
        lw_put(sd, key, p->wants[w].unknown, p->wants[w].known);
    }
}

/* Computes and writes one shop's levels. *stale is set when Shopify refused
 * because a level moved since it was read. */
static handled write_shop(syncd *sd, size_t shop, shop_pass *p, const int64_t *unknown_total,
                          const int64_t *pending, const pass_figs *figs, int audit, int *stale)
{
    handled h = {H_DONE, 0, ""};
    *stale = 0;
    if (!p->n || !p->n_locs)
        return h;
    shop_writes wr = {0};
    plan_writes(sd, shop, p, unknown_total, pending, figs, &wr);
    if (wr.n_sets)
        h = send_writes(sd, shop, p, &wr, audit, stale);
    if (h.kind == H_DONE && !*stale)
        keep_baselines(sd, shop, p, &wr);
    shop_writes_free(&wr);
    return h;
}

/* Leaves out of every shop's pass the SKUs marked in bad. */
static void drop_bad(shop_pass *passes, size_t n_shops, char **skus, size_t n, const int *bad)
{
    for (size_t s = 0; s < n_shops; s++) {
        shop_pass *p = &passes[s];
        size_t k = 0;
        for (size_t w = 0; w < p->n; w++) {
            size_t i = 0;
            while (i < n && strcmp(skus[i], p->wants[w].sku) != 0)
                i++;
            if (i == n || !bad[i])
                p->wants[k++] = p->wants[w];
        }
        p->n = k;
    }
}

/* Every shop's levels of the pass's SKUs, read (read_shop); those from
 * writable on are read only (inventory_tied). */
static handled read_all(syncd *sd, char **skus, size_t n, size_t writable, shop_pass *passes)
{
    handled h = {H_DONE, 0, ""};
    for (size_t s = 0; s < sd->cfg.n_shops && h.kind == H_DONE; s++) {
        shop_pass *p = &passes[s];
        p->wants = xcalloc(n + 1, sizeof *p->wants);
        p->locs = catalog_locations(syncd_catalog(sd), s, &p->n_locs);
        for (size_t i = 0; i < n; i++) {
            int64_t item = catalog_item(syncd_catalog(sd), s, skus[i]);
            if (item)
                p->wants[p->n++] = (want){.sku = skus[i], .item = item, .read_only = i >= writable};
        }
        h = settle_intent(sd, s);
        if (h.kind == H_DONE)
            h = read_shop(sd, s, p);
    }
    return h;
}

/* Since when the ledger's units of sku are not in Cin7's figures: the
 * oldest read of its rows (avail_pending_since). as_of: room for the
 * configured locations. */
static int64_t pending_since(syncd *sd, const char *sku, int64_t *as_of)
{
    size_t n_locs = sd->cfg.n_locations;
    for (size_t l = 0; l < n_locs; l++) {
        stock_figures f;
        as_of[l] = stockcache_get(sd->cache, sku, sd->cfg.locations[l].name, &f) ? f.as_of : -1;
    }
    return avail_pending_since(as_of, n_locs);
}

/* Per SKU: the unknown units over all shops (they share the same Cin7
 * stock), and the pending units of orders the figures cannot show
 * (avail_pending_since); bad[i] when either could not be read. */
static void sku_figures(syncd *sd, char **skus, size_t n, const shop_pass *passes,
                        int64_t *unknown, int64_t *pending, int *bad)
{
    size_t n_shops = sd->cfg.n_shops, n_locs = sd->cfg.n_locations;
    int64_t *as_of = xcalloc(n_locs + 1, sizeof *as_of);
    for (size_t i = 0; i < n; i++) {
        for (size_t s = 0; s < n_shops; s++)
            for (size_t w = 0; w < passes[s].n; w++)
                if (strcmp(passes[s].wants[w].sku, skus[i]) == 0) {
                    unknown[i] += passes[s].wants[w].unknown;
                    bad[i] |= passes[s].wants[w].unreadable;
                }
        pending[i] = store_pending_units(sd->st, skus[i], pending_since(sd, skus[i], as_of));
        if (pending[i] < 0)
            bad[i] = 1;
    }
    free(as_of);
}

/* Every shop's levels written (write_shop), each with its SKUs' figures.
 * A shop whose write failed does not hold back the shops after it: each
 * write is a compare-and-set on its own shop's levels, so the others are
 * written on this pass's figures all the same, and the first failure is
 * returned for the batch to be tried again. */
static handled write_all(syncd *sd, char **skus, size_t n, shop_pass *passes,
                         const int64_t *unknown, const int64_t *pending, int audit, int *stale)
{
    handled h = {H_DONE, 0, ""};
    const pass_figs figs = {skus, n, unknown, pending};
    for (size_t s = 0; s < sd->cfg.n_shops; s++) {
        shop_pass *p = &passes[s];
        int64_t *u = xcalloc(p->n + 1, sizeof *u), *pe = xcalloc(p->n + 1, sizeof *pe);
        for (size_t w = 0; w < p->n; w++)
            for (size_t i = 0; i < n; i++)
                if (strcmp(skus[i], p->wants[w].sku) == 0) {
                    u[w] = unknown[i];
                    pe[w] = pending[i];
                }
        int st = 0;
        handled hs = write_shop(sd, s, p, u, pe, &figs, audit, &st);
        if (h.kind == H_DONE)
            h = hs;
        *stale |= st;
        free(u);
        free(pe);
    }
    return h;
}

/* The units kits sold take of their components, added to the components'
 * pending units (kit_charge): a kit's sales, pending or unknown, come off
 * its components' levels and so off every other kit using them. Which of
 * a kit's sales a component's figures already show depends on when that
 * component's rows were read (a read of a few SKUs refreshes theirs
 * alone), so each component counts the kit's ledger from its own reads.
 * A kit whose component could not be read, and a component of such a
 * kit, are marked bad too (their figures would be short). The pass holds
 * every kit and component tied to its batch (with_kits). */
static void charge_kits(syncd *sd, char **skus, size_t n, const int64_t *unknown,
                        int64_t *pending, int *bad)
{
    size_t nk;
    const kit *kits = catalog_kits(syncd_catalog(sd), &nk);
    if (!nk)
        return;
    const pass_figs figs = {skus, n, unknown, pending};
    int64_t *sold = xcalloc(nk, sizeof *sold);
    int64_t *as_of = xcalloc(sd->cfg.n_locations + 1, sizeof *as_of);
    long *at = xcalloc(nk, sizeof *at);
    int *kit_bad = xcalloc(nk, sizeof *kit_bad);
    for (size_t k = 0; k < nk; k++) {
        long x = at[k] = figs_index(&figs, kits[k].sku);
        if (x < 0)
            continue;
        kit_bad[k] = bad[x];
        for (size_t i = 0; i < kits[k].n; i++) {
            long c = figs_index(&figs, kits[k].parts[i].sku);
            kit_bad[k] |= c < 0 || bad[c];
        }
        bad[x] |= kit_bad[k];
    }
    size_t *using = xcalloc(nk, sizeof *using);
    for (size_t i = 0; i < n; i++) {
        size_t m = kit_using(kits, nk, skus[i], using);
        if (!m)
            continue;
        int64_t since = pending_since(sd, skus[i], as_of);
        memset(sold, 0, nk * sizeof *sold);
        for (size_t j = 0; j < m && !bad[i]; j++) {
            long x = at[using[j]];
            int64_t p = x < 0 ? 0 : store_pending_units(sd->st, kits[using[j]].sku, since);
            bad[i] |= kit_bad[using[j]] || p < 0;
            sold[using[j]] = p + (x < 0 ? 0 : unknown[x]);
        }
        if (!bad[i])
            pending[i] += kit_charge(kits, nk, skus[i], sold);
    }
    free(using);
    free(kit_bad);
    free(at);
    free(as_of);
    free(sold);
}

/* One pass over every shop for a batch of SKUs: read all levels first, so
 * the units every shop sold unknown to syncd come off every shop's target,
 * then write. A SKU whose ledger cannot be read (a storage error, or a sum
 * no ledger of whole units can have) is marked in bad and left out, so it
 * never holds back the others. */
static handled sync_pass(syncd *sd, char **skus, size_t n, size_t writable, int audit, int *bad,
                         int *stale)
{
    size_t n_shops = sd->cfg.n_shops;
    shop_pass *passes = xcalloc(n_shops, sizeof *passes);
    int64_t *unknown = xcalloc(n + 1, sizeof *unknown);
    int64_t *pending = xcalloc(n + 1, sizeof *pending);
    *stale = 0;
    handled h = read_all(sd, skus, n, writable, passes);
    if (h.kind == H_DONE) {
        sku_figures(sd, skus, n, passes, unknown, pending, bad);
        charge_kits(sd, skus, n, unknown, pending, bad);
        drop_bad(passes, n_shops, skus, n, bad);
        h = write_all(sd, skus, n, passes, unknown, pending, audit, stale);
    }
    for (size_t s = 0; s < n_shops; s++) {
        free(passes[s].wants);
        free(passes[s].levels);
    }
    free(passes);
    free(unknown);
    free(pending);
    return h;
}

/* When a read of Cin7 last failed (sim ms; 0: it did not), and how long
 * syncs go on the cached figures before trying Cin7 again. Only the
 * inventory thread syncs. */
static int64_t refresh_failed_at;
#define CACHED_FOR_MS 30000
/* How long a sync waits for a read it asked for before it goes on the
 * cached figures (stockread.h): about one call's wait at a Cin7 limit of
 * 30 a minute. */
#define READ_WAIT_MS 3000

/* Fresh figures, or the cached ones while Cin7 cannot be read or is slow
 * to answer: the last figures, less the units the ledger knows were sold
 * since they were read (pending) and the units shops sold unknown to
 * syncd, still bring every shop down by what the others sold, so one
 * shop's sale does not wait for Cin7 to reach the others. What other
 * channels sell in Cin7 meanwhile stays unknown until Cin7 answers. */
static handled fresh_or_cached(syncd *sd)
{
    int64_t now = clock_now_ms(&sd->clk);
    int have = stockcache_full_read_at(sd->cache) > 0;
    if (have && refresh_failed_at && now - refresh_failed_at < CACHED_FOR_MS) {
        stockread_owe(sd->reader, refresh_failed_at + CACHED_FOR_MS - now);
        return handled_done();
    }
    handled h = handled_done();
    stockread_result r = stockread_fresh(sd->reader, have ? READ_WAIT_MS : 30000, &h);
    if (r == STOCKREAD_FRESH) {
        if (refresh_failed_at)
            log_info("inventory: Cin7 read again; levels from fresh figures");
        refresh_failed_at = 0;
        return h;
    }
    if (!have)
        return r == STOCKREAD_FAILED ? h : handled_retry(1000, "no Cin7 figures yet");
    if (r == STOCKREAD_FAILED) {
        if (!refresh_failed_at)
            log_warn("inventory: Cin7 cannot be read (%s); levels from the figures read last, "
                     "less what syncd knows sold since",
                     h.reason);
        refresh_failed_at = now;
        sd->stock_changed = 1; /* the next try reads afresh */
        stockread_owe(sd->reader, CACHED_FOR_MS);
    }
    metrics_inc(sd->m, "syncd_inventory_cached_syncs_total", 1);
    return handled_done();
}

/* The batch and every kit and component tied to it (inventory_tied), the
 * batch's SKUs first, in their order. Borrowed strings; the array is
 * malloc'd. */
static char **with_kits(syncd *sd, char **skus, size_t n, size_t *n_out)
{
    size_t nk = 0, cap = n + 1, k = 0;
    const kit *kits = syncd_catalog(sd) ? catalog_kits(syncd_catalog(sd), &nk) : NULL;
    char **all = xcalloc(cap, sizeof *all);
    strmap *in = strmap_new(0);
    for (size_t i = 0; i < n; i++) {
        all[k] = skus[i];
        strmap_put(in, skus[i], (long)k++);
    }
    for (size_t i = 0; i < k && nk; i++) {
        for (size_t j = 0; j < nk; j++) {
            int mine = strcmp(kits[j].sku, all[i]) == 0, uses = 0;
            for (size_t p = 0; p < kits[j].n && !mine && !uses; p++)
                uses = strcmp(kits[j].parts[p].sku, all[i]) == 0;
            /* A kit of the pass brings its parts; a part brings its kit. */
            for (size_t p = 0; p < (mine || uses ? kits[j].n + 1 : 0); p++) {
                const char *add = p < kits[j].n ? kits[j].parts[p].sku : kits[j].sku;
                if (strmap_get(in, add) >= 0)
                    continue;
                XGROW(all, k, cap, 16);
                all[k] = (char *)add;
                strmap_put(in, add, (long)k++);
            }
        }
    }
    strmap_free(in);
    *n_out = k;
    return all;
}

char **inventory_tied(syncd *sd, char **skus, size_t n, size_t *n_out)
{
    char **all = with_kits(sd, skus, n, n_out);
    for (size_t i = n; i < *n_out; i++)
        all[i] = xstrdup(all[i]);
    return all;
}

handled inventory_sync(syncd *sd, char **skus, size_t n, int audit, int *set_aside)
{
    memset(set_aside, 0, n * sizeof *set_aside);
    handled h = {H_DONE, 0, ""};
    if (!syncd_catalog(sd)) {
        h.kind = H_RETRY;
        h.wait_ms = 2000;
        snprintf(h.reason, sizeof h.reason, "catalog not loaded yet");
        return h;
    }
    h = fresh_or_cached(sd);
    if (h.kind != H_DONE)
        return h;
    size_t n_all;
    char **all = with_kits(sd, skus, n, &n_all);
    int *bad = xcalloc(n_all + 1, sizeof *bad);
    for (int pass = 0; pass < 4; pass++) {
        int stale = 0;
        h = sync_pass(sd, all, n_all, n, audit, bad, &stale);
        if (h.kind != H_DONE || !stale)
            break;
        if (pass == 3) {
            /* Checkouts keep moving the levels: come back shortly. */
            h.kind = H_RETRY;
            h.wait_ms = 500;
            snprintf(h.reason, sizeof h.reason, "levels kept changing under the write");
        }
    }
    memcpy(set_aside, bad, n * sizeof *set_aside);
    free(bad);
    free(all);
    return h;
}
