/*
 * Measurement from ground truth; see measure.h. Both journals are read in
 * full, then replayed in time order to build per-order, per-SKU and
 * per-second figures. Time is the scenario's (the mocks' sim time less t0).
 */
#include "measure.h"

#include "avail.h"

#include "hist.h"
#include "json.h"
#include "mem.h"
#include "misroute.h"
#include "setup.h"
#include "strmap.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINES 16
#define MAX_HOT 5

static const char *const metric_names[] = {
    "oversell_units",
    "backorder_units",
    "order_push_latency_ms.p50", "order_push_latency_ms.p95", "order_push_latency_ms.p99",
    "order_push_latency_ms.max", "order_push_latency_ms.mean", "order_push_latency_ms.count",
    "inventory_propagation_ms.p50", "inventory_propagation_ms.p95", "inventory_propagation_ms.p99",
    "inventory_propagation_ms.max", "inventory_propagation_ms.mean", "inventory_propagation_ms.count",
    "po_draft_latency_ms.p50", "po_draft_latency_ms.p95", "po_draft_latency_ms.p99",
    "po_draft_latency_ms.max", "po_draft_latency_ms.mean", "po_draft_latency_ms.count",
    "duplicate_pos",
    "duplicate_sales",
    "dropped_events",
    "dead_lettered",
    "final_drift_units",
    "misrouted_units",
    "held_back_units",
    "api_calls.cin7", "api_calls.shopify", "api_calls.per_order",
    "api_calls.cin7_per_pushed_order", "api_calls.shopify_per_pushed_order",
    "api_calls.cin7_sale_writes_per_pushed_order",
    "http_429.cin7", "http_429.shopify", "http_429.per_order",
    "retries.cin7", "retries.shopify", "retries.per_order",
    "orders_paid", "orders_pushed", "orders_unpushed", "accepted_units", "sold_out_checkouts",
    "checkout_errors", "inventory_unpropagated", "po_drafts", "po_drafts_missing",
    NULL,
};

const char *const *measure_metric_names(void)
{
    return metric_names;
}

int measure_lookup(const cJSON *metrics, const char *name, double *v)
{
    int known = 0;
    for (const char *const *m = metric_names; *m && !known; m++)
        known = strcmp(*m, name) == 0;
    if (!known)
        return -1;
    const cJSON *node = metrics;
    char part[128];
    const char *p = name;
    while (*p) {
        size_t n = strcspn(p, ".");
        snprintf(part, sizeof part, "%.*s", (int)n, p);
        node = cJSON_GetObjectItemCaseSensitive(node, part);
        p += n;
        if (*p == '.')
            p++;
    }
    if (!cJSON_IsNumber(node))
        return 0;
    *v = node->valuedouble;
    return 1;
}

/* ---- reading journals ------------------------------------------------------- */

typedef struct {
    cJSON **entries;
    size_t n;
} journal_data;

static int read_journal(const char *path, journal_data *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 0;
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t len;
    size_t lineno = 0;
    while ((len = getline(&line, &line_cap, f)) > 0) {
        lineno++;
        json_err e;
        cJSON *v = json_parse(line, (size_t)len, &e);
        if (!v) {
            /* A process killed mid-write leaves a torn last line: skip it. */
            continue;
        }
        XGROW(out->entries, out->n, cap, 4096);
        out->entries[out->n++] = v;
    }
    free(line);
    fclose(f);
    return 0;
}

static void journal_free(journal_data *j)
{
    for (size_t i = 0; i < j->n; i++)
        cJSON_Delete(j->entries[i]);
    free(j->entries);
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A number of an entry; dflt when it is none, or none a double holds
 * exactly (journals are read whatever they hold). */
static int64_t num(const cJSON *o, const char *key, int64_t dflt)
{
    int64_t n = dflt;
    json_int53(cJSON_GetObjectItemCaseSensitive(o, key), &n);
    return n;
}

static int is_true(const cJSON *o, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* A purchase journal entry shows an open draft: Cin7's DRAFT or ORDERING
 * status, or an order part still in DRAFT. */
static int is_draft(const cJSON *e)
{
    const char *status = str(e, "status"), *ostatus = str(e, "order_status");
    return (status && (strcmp(status, "DRAFT") == 0 || strcmp(status, "ORDERING") == 0)) ||
           (ostatus && strcmp(ostatus, "DRAFT") == 0);
}

/* A Shopify journal entry of kind is a checkout that was accepted. */
static int is_accepted_checkout(const cJSON *e, const char *kind)
{
    const char *result = str(e, "result");
    return strcmp(kind, "checkout") == 0 && result && strcmp(result, "accepted") == 0;
}

/* The key of a Cin7 sale's order and location, "<customer_reference>\t<location>":
 * a second live sale under one key is a duplicate. */
static void sale_key_of(const cJSON *e, char *buf, size_t n)
{
    snprintf(buf, n, "%s\t%s", str(e, "customer_reference") ? str(e, "customer_reference") : "",
             str(e, "location") ? str(e, "location") : "");
}

/* ---- the model --------------------------------------------------------------- */

typedef struct {
    char id[32];
    int shop;
    int64_t placed, paid;  /* scenario ms; -1 unknown */
    int64_t units;
    int n_lines;
    int sku[MAX_LINES];
    int64_t qty[MAX_LINES];
    int cancelled, restock;
    int64_t paid_acked, cancel_acked;   /* first 2xx delivery of the topic, -1 none */
    int64_t pushed_units;
    int64_t pushed;                     /* all units in Cin7 sales, -1 never */
    int voided;                         /* sales voided for it */
    int in_dlq;
} order_rec;

typedef struct {
    int64_t initial, received, adjusted;
    int64_t accepted_shopify, restocked, accepted_other;
    int64_t backorder;
    int64_t final_shopify, final_cin7_available;
    int64_t final_mapped_available; /* Cin7's Available over the warehouses */
    int64_t misrouted;
    int64_t *shop_level; /* per shop: its final level, -1 when it has none */
    int64_t pending_units; /* accepted, not cancelled, not in Cin7 */
    int n_shop_levels;
} sku_rec;

typedef struct {
    const measure_input *in;
    const scenario *sc;
    order_rec *orders;
    size_t n_orders, cap_orders;
    strmap *order_by_id;
    sku_rec *skus;
    strmap *delivery_topic; /* webhook id -> index into deliveries */
    struct delivery {
        char topic[40];
        char order[32];
    } *deliveries;
    size_t n_deliveries, cap_deliveries;
} model;

static int sku_of(const model *m, const char *s, int shopify_side)
{
    if (!s)
        return -1;
    return shopify_side ? scenario_sku_by_shopify(m->sc, s) : scenario_sku_index(m->sc, s);
}

static order_rec *order_get(model *m, const char *id, int create)
{
    long i = strmap_get(m->order_by_id, id);
    if (i >= 0)
        return &m->orders[i];
    if (!create)
        return NULL;
    XGROW(m->orders, m->n_orders, m->cap_orders, 1024);
    order_rec *o = &m->orders[m->n_orders];
    memset(o, 0, sizeof *o);
    snprintf(o->id, sizeof o->id, "%s", id);
    o->placed = o->paid = o->paid_acked = o->cancel_acked = o->pushed = -1;
    o->shop = -1;
    strmap_put(m->order_by_id, id, (long)m->n_orders);
    m->n_orders++;
    return o;
}

static int shop_index(const scenario *sc, const char *domain)
{
    for (size_t i = 0; domain && i < sc->n_shops; i++)
        if (strcmp(sc->shops[i].domain, domain) == 0)
            return (int)i;
    return -1;
}

/* The index of a warehouse (a Cin7 location the engine maps), or -1. */
static int warehouse_index(const scenario *sc, const char *name)
{
    for (size_t i = 0; name && i < sc->n_warehouses; i++)
        if (strcmp(sc->warehouses[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* ---- the time series ---------------------------------------------------------- */

typedef struct {
    int64_t checkouts, accepted, sold_out, other;
    int64_t api_cin7, api_shopify, r429_cin7, r429_shopify;
    int64_t queue; /* -1 unknown */
    int64_t avail[MAX_HOT], sellable[MAX_HOT];
} tick;

/* The next entry of j from *i on that has a kind and happened before end
 * (scenario ms), with *kind set; NULL once j reaches end or its last entry.
 * Walks a journal a tick at a time. */
static const cJSON *next_before(const journal_data *j, size_t *i, int64_t t0, int64_t end,
                                const char **kind)
{
    for (; *i < j->n; (*i)++) {
        const cJSON *e = j->entries[*i];
        if (num(e, "t", 0) - t0 >= end)
            return NULL;
        if ((*kind = str(e, "kind"))) {
            (*i)++;
            return e;
        }
    }
    return NULL;
}

/* ---- hot SKUs ------------------------------------------------------------------ */

/* Where SKU k stands in the hot list (which holds each SKU once), or -1. */
static int hot_slot(const int *hot, int n_hot, int k)
{
    for (int h = 0; h < n_hot; h++)
        if (hot[h] == k)
            return h;
    return -1;
}

/* Adds sign times the qty of each line of e whose SKU is hot to its left[]. */
static void hot_lines(const model *m, const cJSON *e, int shopify_side, const int *hot, int n_hot,
                      int sign, int64_t *left)
{
    const cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(e, "lines"))
    {
        int h = hot_slot(hot, n_hot, sku_of(m, str(l, "sku"), shopify_side));
        if (h >= 0)
            left[h] += sign * num(l, "qty", 0);
    }
}

/* ---- latency helper ---------------------------------------------------------- */

static cJSON *latency_json(hist *h)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "count", (double)hist_count(h));
    if (hist_count(h) == 0) {
        static const char *const keys[] = {"p50", "p95", "p99", "max", "mean"};
        for (size_t i = 0; i < 5; i++)
            cJSON_AddNullToObject(o, keys[i]);
        return o;
    }
    cJSON_AddNumberToObject(o, "p50", (double)hist_percentile(h, 50));
    cJSON_AddNumberToObject(o, "p95", (double)hist_percentile(h, 95));
    cJSON_AddNumberToObject(o, "p99", (double)hist_percentile(h, 99));
    cJSON_AddNumberToObject(o, "max", (double)hist_max(h));
    cJSON_AddNumberToObject(o, "mean", round(hist_mean(h)));
    return o;
}

/* A figure counted per system: {"cin7": c, "shopify": s, "per_order": (c + s)
 * per paid order, to two decimals}. */
static void add_per_system(cJSON *mt, const char *name, int64_t cin7, int64_t shopify,
                           double per_order)
{
    cJSON *o = cJSON_AddObjectToObject(mt, name);
    cJSON_AddNumberToObject(o, "cin7", (double)cin7);
    cJSON_AddNumberToObject(o, "shopify", (double)shopify);
    cJSON_AddNumberToObject(o, "per_order", round((double)(cin7 + shopify) * per_order * 100) / 100);
}

/* ---- purchase orders: duplicates and draft latency ----------------------------- */

typedef struct {
    char id[64];
    char supplier[128];
    int draft;           /* an open draft */
    int n;
    int sku[64];
} po_rec;

/* ---- purchase-order draft latency -------------------------------------------- */

/* One timeline event of a SKU: paid units, or a location's new Cin7 figures. */
typedef struct {
    int64_t t;
    int sku;
    int64_t qty;        /* paid units, or 0 for a stock change */
    int loc;            /* stock changes: location index */
    int64_t position;   /* stock changes: on_hand + on_order - allocated there */
} cover_ev;

static int cmp_cover_ev(const void *a, const void *b)
{
    const cover_ev *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

/* Per SKU: the first moment its days of cover, from ground truth (paid
 * units over the scenario's velocity window; Cin7's on hand + on order +
 * in transit - allocated over every location), fell below the scenario's threshold, then
 * the first draft purchase line for it at or after that moment. Records the
 * latencies into h and returns how many crossings never got a draft. */
static int64_t po_draft_latency(const measure_input *in, model *m, const journal_data *cj, hist *h)
{
    const scenario *sc = in->sc;
    if (!sc->replen_given)
        return 0;
    cover_ev *ev = NULL;
    size_t n = 0, cap = 0;
    strmap *locs = strmap_new(0);
    long n_locs = 0;
#define PUSH_EV(...)                                                                               \
    do {                                                                                           \
        if (n == cap) {                                                                            \
            cap = cap ? cap * 2 : 1024;                                                            \
            ev = xrealloc(ev, cap * sizeof *ev);                                                   \
        }                                                                                          \
        ev[n++] = (cover_ev){__VA_ARGS__};                                                         \
    } while (0)
    /* Paid units: an order's lines at the moment it was paid. */
    for (size_t i = 0; i < m->n_orders; i++) {
        const order_rec *o = &m->orders[i];
        if (o->paid < 0)
            continue;
        for (int k = 0; k < o->n_lines; k++)
            PUSH_EV(o->paid, o->sku[k], o->qty[k], -1, 0);
    }
    for (size_t i = 0; i < cj->n; i++) {
        const cJSON *e = cj->entries[i];
        const char *kind = str(e, "kind");
        if (!kind || strcmp(kind, "stock") != 0)
            continue;
        int k = sku_of(m, str(e, "sku"), 0);
        const char *loc = str(e, "location");
        if (k < 0 || !loc)
            continue;
        long l = strmap_get(locs, loc);
        if (l < 0) {
            l = n_locs++;
            strmap_put(locs, loc, l);
        }
        PUSH_EV(num(e, "t", 0) - in->t0, k, 0, (int)l,
                num(e, "on_hand", 0) + num(e, "on_order", 0) + num(e, "in_transit", 0) -
                    num(e, "allocated", 0));
    }
#undef PUSH_EV
    if (n)
        qsort(ev, n, sizeof *ev, cmp_cover_ev); /* stable enough: ties are one moment */
    size_t n_skus = sc->n_skus;
    int64_t *pos = xcalloc(n_skus * (size_t)(n_locs ? n_locs : 1) + 1, sizeof *pos);
    int64_t *crossed = xcalloc(n_skus + 1, sizeof *crossed);
    for (size_t k = 0; k < n_skus; k++)
        crossed[k] = INT64_MIN;
    /* Paid units inside the window: each SKU walks the paid events (all
     * SKUs, in time order) from its own head, dropping its units that left
     * the window and stepping over other SKUs'. */
    size_t *head = xcalloc(n_skus + 1, sizeof *head);
    int64_t *in_window = xcalloc(n_skus + 1, sizeof *in_window);
    size_t *paid_idx = xcalloc(n + 1, sizeof *paid_idx);
    size_t n_paid = 0;
    for (size_t i = 0; i < n; i++)
        if (ev[i].qty > 0)
            paid_idx[n_paid++] = i;
    size_t pi = 0;
    for (size_t i = 0; i < n; i++) {
        const cover_ev *x = &ev[i];
        int k = x->sku;
        if (x->qty > 0) {
            in_window[k] += x->qty;
            pi++;
        } else {
            pos[(size_t)k * (size_t)n_locs + (size_t)x->loc] = x->position;
        }
        /* Paid units older than the window leave it. */
        while (head[k] < pi) {
            const cover_ev *old = &ev[paid_idx[head[k]]];
            if (old->sku != k) {
                head[k]++;
                continue;
            }
            if (old->t > x->t - sc->velocity_window_ms)
                break;
            in_window[k] -= old->qty;
            head[k]++;
        }
        if (crossed[k] != INT64_MIN || x->t < 0)
            continue;
        double velocity = (double)in_window[k] * 86400000.0 / (double)sc->velocity_window_ms;
        if (!(velocity > 0))
            continue;
        int64_t position = 0;
        for (long l = 0; l < n_locs; l++)
            position += pos[(size_t)k * (size_t)n_locs + (size_t)l];
        if ((double)position / velocity < sc->cover_threshold_days)
            crossed[k] = x->t;
    }
    /* The first draft line of each SKU at or after its crossing. */
    int64_t *drafted = xcalloc(n_skus + 1, sizeof *drafted);
    for (size_t k = 0; k < n_skus; k++)
        drafted[k] = -1;
    for (size_t i = 0; i < cj->n; i++) {
        const cJSON *e = cj->entries[i];
        const char *kind = str(e, "kind");
        if (!kind || (strcmp(kind, "purchase_created") != 0 && strcmp(kind, "purchase_updated") != 0))
            continue;
        if (!is_draft(e))
            continue;
        int64_t t = num(e, "t", 0) - in->t0;
        const cJSON *l;
        cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(e, "lines"))
        {
            int k = sku_of(m, str(l, "sku"), 0);
            if (k >= 0 && crossed[k] != INT64_MIN && drafted[k] < 0 && t >= crossed[k])
                drafted[k] = t;
        }
    }
    int64_t missing = 0;
    for (size_t k = 0; k < n_skus; k++) {
        if (crossed[k] == INT64_MIN)
            continue;
        if (drafted[k] >= 0)
            hist_record(h, drafted[k] - crossed[k]);
        else
            missing++;
    }
    free(ev);
    free(pos);
    free(crossed);
    free(head);
    free(in_window);
    free(paid_idx);
    free(drafted);
    strmap_free(locs);
    return missing;
}

/* ---- misrouted units ------------------------------------------------------------ */

/* Units of one sale's line backordered at its warehouse. */
typedef struct {
    char sale[64];
    int sku, loc;
    int64_t qty;
} bo_line;

/* Misrouted units (misroute.h) from Cin7's journal: Available per SKU and
 * warehouse from its `stock` entries (the location's figures after each
 * change, the seed's first), and the units backordered per sale line from
 * `backorder` (sales of orders the run placed), `backorder_filled` and
 * `sale_voided`. Stretches still open end at end (scenario ms). Sets each
 * SKU's misrouted and returns the total. */
static int64_t misrouted_units(const measure_input *in, model *m, const journal_data *cj,
                               int64_t end)
{
    const scenario *sc = in->sc;
    misroute *mr = misroute_new(sc->n_skus, sc->n_warehouses, sc->misroute_grace_ms);
    for (size_t k = 0; k < sc->n_skus; k++)
        for (size_t w = 0; w < sc->n_warehouses; w++)
            misroute_available(mr, INT64_MIN, k, w, scenario_on_hand(sc, k, w));
    bo_line *lines = NULL;
    size_t n = 0, cap = 0;
    strmap *by_key = strmap_new(0); /* "sale\tSKU" -> index into lines */
    for (size_t i = 0; i < cj->n; i++) {
        const cJSON *e = cj->entries[i];
        const char *kind = str(e, "kind");
        int64_t t = num(e, "t", 0) - in->t0;
        if (!kind)
            continue;
        if (strcmp(kind, "stock") == 0) {
            int k = sku_of(m, str(e, "sku"), 0), w = warehouse_index(sc, str(e, "location"));
            if (k >= 0 && w >= 0)
                misroute_available(mr, t, (size_t)k, (size_t)w, num(e, "available", 0));
        } else if (strcmp(kind, "backorder") == 0 || strcmp(kind, "backorder_filled") == 0) {
            int filled = strcmp(kind, "backorder_filled") == 0;
            const char *sale = str(e, "sale"), *ref = str(e, "customer_reference");
            int k = sku_of(m, str(e, "sku"), 0), w = warehouse_index(sc, str(e, "location"));
            if (!sale || k < 0 || w < 0)
                continue;
            char key[128];
            snprintf(key, sizeof key, "%.63s\t%s", sale, sc->skus[k].sku);
            long li = strmap_get(by_key, key);
            if (li < 0 && !filled) {
                /* Only sales of Shopify orders the run placed. */
                const order_rec *o = ref ? order_get(m, ref, 0) : NULL;
                if (!o || o->placed < 0)
                    continue;
                XGROW(lines, n, cap, 64);
                lines[n] = (bo_line){.sku = k, .loc = w, .qty = 0};
                snprintf(lines[n].sale, sizeof lines[n].sale, "%s", sale);
                li = (long)n++;
                strmap_put(by_key, key, li);
            }
            if (li < 0)
                continue;
            bo_line *b = &lines[li];
            int64_t now = filled ? num(e, "still_backordered", b->qty - num(e, "qty", 0))
                                 : b->qty + num(e, "qty", 0);
            misroute_backordered(mr, t, (size_t)b->sku, (size_t)b->loc, now - b->qty);
            b->qty = now;
        } else if (strcmp(kind, "sale_voided") == 0) {
            /* A voided sale holds nothing, backorders included. */
            const char *sale = str(e, "id");
            for (size_t j = 0; sale && j < n; j++)
                if (lines[j].qty > 0 && strcmp(lines[j].sale, sale) == 0) {
                    misroute_backordered(mr, t, (size_t)lines[j].sku, (size_t)lines[j].loc,
                                         -lines[j].qty);
                    lines[j].qty = 0;
                }
        }
    }
    int64_t *per_sku = xcalloc(sc->n_skus + 1, sizeof *per_sku);
    int64_t total = misroute_finish(mr, end, per_sku);
    for (size_t k = 0; k < sc->n_skus; k++)
        m->skus[k].misrouted = per_sku[k];
    free(per_sku);
    free(lines);
    strmap_free(by_key);
    misroute_free(mr);
    return total;
}

/* ---- the run ------------------------------------------------------------------ */

int measure_run(const measure_input *in, measure_output *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const scenario *sc = in->sc;
    journal_data cj, sj;
    if (read_journal(in->cin7_journal, &cj, err, errlen))
        return -1;
    if (read_journal(in->shopify_journal, &sj, err, errlen)) {
        journal_free(&cj);
        return -1;
    }
    model m = {0};
    m.in = in;
    m.sc = sc;
    m.order_by_id = strmap_new(0);
    m.delivery_topic = strmap_new(0);
    m.skus = xcalloc(sc->n_skus + 1, sizeof *m.skus);
    int64_t end = in->end > 0 ? in->end : sc->duration_ms;
    size_t n_ticks = (size_t)(end / sc->tick_ms) + 2;
    tick *ticks = xcalloc(n_ticks, sizeof *ticks);
    for (size_t i = 0; i < n_ticks; i++)
        ticks[i].queue = -1;
#define TICK(t) (&ticks[(t) < 0 ? 0 : ((size_t)((t) / sc->tick_ms) < n_ticks ? (size_t)((t) / sc->tick_ms) : n_ticks - 1)])

    /* Hot SKUs: the streams' hot lists first, then nothing (filled later by volume). */
    int hot[MAX_HOT];
    int n_hot = 0;
    for (size_t s = 0; s < sc->n_streams && n_hot < MAX_HOT; s++)
        for (size_t h = 0; h < sc->streams[s].n_hot && n_hot < MAX_HOT; h++) {
            int k = sc->streams[s].hot[h];
            if (hot_slot(hot, n_hot, k) < 0)
                hot[n_hot++] = k;
        }

    /* --- Shopify: orders, deliveries, requests --- */
    for (size_t i = 0; i < sj.n; i++) {
        const cJSON *e = sj.entries[i];
        const char *kind = str(e, "kind");
        int64_t t = num(e, "t", 0) - in->t0;
        char id[32];
        if (!kind)
            continue;
        if (is_accepted_checkout(e, kind)) {
            json_id_text(cJSON_GetObjectItemCaseSensitive(e, "order_id"), id, sizeof id);
            order_rec *o = order_get(&m, id, 1);
            o->shop = shop_index(sc, str(e, "shop"));
            o->placed = t;
            const cJSON *l;
            cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(e, "lines"))
            {
                int k = sku_of(&m, str(l, "sku"), 1);
                int64_t q = num(l, "qty", 0);
                if (k < 0 || o->n_lines == MAX_LINES)
                    continue;
                o->sku[o->n_lines] = k;
                o->qty[o->n_lines++] = q;
                o->units += q;
                m.skus[k].accepted_shopify += q;
            }
        } else if (strcmp(kind, "order_paid") == 0) {
            json_id_text(cJSON_GetObjectItemCaseSensitive(e, "order_id"), id, sizeof id);
            order_rec *o = order_get(&m, id, 0);
            if (o && o->paid < 0)
                o->paid = t;
        } else if (strcmp(kind, "order_cancelled") == 0) {
            json_id_text(cJSON_GetObjectItemCaseSensitive(e, "order_id"), id, sizeof id);
            order_rec *o = order_get(&m, id, 0);
            if (o && !o->cancelled) {
                o->cancelled = 1;
                o->restock = is_true(e, "restock");
                if (o->restock)
                    for (int k = 0; k < o->n_lines; k++)
                        m.skus[o->sku[k]].restocked += o->qty[k];
            }
        } else if (strcmp(kind, "webhook_queued") == 0) {
            const char *wid = str(e, "id");
            if (!wid)
                continue;
            XGROW(m.deliveries, m.n_deliveries, m.cap_deliveries, 1024);
            struct delivery *d = &m.deliveries[m.n_deliveries];
            snprintf(d->topic, sizeof d->topic, "%s", str(e, "topic") ? str(e, "topic") : "");
            json_id_text(cJSON_GetObjectItemCaseSensitive(e, "resource_id"), d->order, sizeof d->order);
            strmap_put(m.delivery_topic, wid, (long)m.n_deliveries);
            m.n_deliveries++;
        } else if (strcmp(kind, "webhook_attempt") == 0 && is_true(e, "ok")) {
            long di = str(e, "id") ? strmap_get(m.delivery_topic, str(e, "id")) : -1;
            if (di < 0 || !m.deliveries[di].order[0])
                continue;
            order_rec *o = order_get(&m, m.deliveries[di].order, 0);
            if (!o)
                continue;
            if (strcmp(m.deliveries[di].topic, "orders/paid") == 0 && o->paid_acked < 0)
                o->paid_acked = t;
            if (strcmp(m.deliveries[di].topic, "orders/cancelled") == 0 && o->cancel_acked < 0)
                o->cancel_acked = t;
        } else if (strcmp(kind, "request") == 0 && str(e, "client")) {
            tick *tk = TICK(t);
            tk->api_shopify++;
            if (num(e, "status", 0) == 429)
                tk->r429_shopify++;
        }
    }

    /* --- Cin7: sales, stock, purchases, channel sales, requests --- */
    hist *push_h = hist_new(), *prop_h = hist_new(), *po_h = hist_new();
    int64_t backorder_units = 0, duplicate_pos = 0, po_drafts = 0, unpropagated = 0;
    po_rec *pos = NULL;
    size_t n_pos = 0, cap_pos = 0;
    /* Propagation: stock changes that Shopify must follow, matched to the
     * next engine write of the SKU's level in Shopify. */
    typedef struct {
        int sku;
        int64_t t;
    } change;
    change *changes = NULL;
    size_t n_changes = 0, cap_changes = 0;
    int64_t duplicate_sales = 0, sale_writes = 0;
    strmap *sale_count = strmap_new(0), *sale_key = strmap_new(0);
    for (size_t i = 0; i < cj.n; i++) {
        const cJSON *e = cj.entries[i];
        const char *kind = str(e, "kind");
        int64_t t = num(e, "t", 0) - in->t0;
        if (!kind)
            continue;
        if (strcmp(kind, "sale_created") == 0) {
            /* A second live sale of one order at one location is a
             * duplicate: the write was repeated. */
            char dk[256];
            sale_key_of(e, dk, sizeof dk);
            long di = strmap_get(sale_count, dk);
            strmap_put(sale_count, dk, di < 0 ? 1 : di + 1);
            if (str(e, "id"))
                strmap_put(sale_key, str(e, "id"), 0);
            if (str(e, "id") && di >= 0)
                duplicate_sales++;
        } else if (strcmp(kind, "sale_authorised") == 0) {
            /* Pushed is when Cin7 holds the order's units: its sales' lines
             * authorised (stock allocated or backordered), not when a sale's
             * header exists. */
            const char *ref = str(e, "customer_reference");
            order_rec *o = ref ? order_get(&m, ref, 0) : NULL;
            if (!o)
                continue;
            const cJSON *l;
            cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(e, "lines"))
                o->pushed_units += num(l, "qty", 0);
            if (o->pushed < 0 && o->pushed_units >= o->units)
                o->pushed = t;
        } else if (strcmp(kind, "sale_voided") == 0) {
            /* A voided duplicate no longer counts. */
            char dk[256];
            sale_key_of(e, dk, sizeof dk);
            long di = strmap_get(sale_count, dk);
            if (di > 1) {
                strmap_put(sale_count, dk, di - 1);
                duplicate_sales--;
            }
            const char *ref = str(e, "customer_reference");
            order_rec *o = ref ? order_get(&m, ref, 0) : NULL;
            if (o)
                o->voided++;
        } else if (strcmp(kind, "backorder") == 0) {
            int k = sku_of(&m, str(e, "sku"), 0);
            backorder_units += num(e, "qty", 0);
            if (k >= 0)
                m.skus[k].backorder += num(e, "qty", 0);
        } else if (strcmp(kind, "channel_sale") == 0 && is_true(e, "accepted")) {
            int k = sku_of(&m, str(e, "sku"), 0);
            if (k >= 0)
                m.skus[k].accepted_other += num(e, "qty", 0);
        } else if (strcmp(kind, "stock") == 0) {
            const char *cause = str(e, "cause");
            int k = sku_of(&m, str(e, "sku"), 0);
            if (k < 0 || !cause || t < 0)
                continue;
            /* Changes Shopify did not see happen: other channels, receipts,
             * stock takes, voided sales. Allocation of the engine's own
             * sales is not one (Shopify counted those units at checkout). */
            if (strcmp(cause, "channel_sale") == 0 || strcmp(cause, "purchase_received") == 0 ||
                strcmp(cause, "adjustment") == 0 || strcmp(cause, "sale_voided") == 0) {
                XGROW(changes, n_changes, cap_changes, 256);
                changes[n_changes++] = (change){k, t};
            }
        } else if (strncmp(kind, "purchase_", 9) == 0) {
            const char *pid = str(e, "id");
            if (!pid)
                continue;
            po_rec *p = NULL;
            for (size_t j = 0; j < n_pos && !p; j++)
                if (strcmp(pos[j].id, pid) == 0)
                    p = &pos[j];
            int draft = is_draft(e);
            if (strcmp(kind, "purchase_authorised") == 0 || strcmp(kind, "purchase_voided") == 0 ||
                strcmp(kind, "purchase_received") == 0)
                draft = 0;
            if (!p) {
                XGROW(pos, n_pos, cap_pos, 64);
                p = &pos[n_pos++];
                memset(p, 0, sizeof *p);
                snprintf(p->id, sizeof p->id, "%s", pid);
                snprintf(p->supplier, sizeof p->supplier, "%s",
                         str(e, "supplier") ? str(e, "supplier") : "");
            }
            /* New (supplier, SKU) lines of an open draft: a duplicate when
             * another open draft already has that pair. */
            const cJSON *l;
            cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(e, "lines"))
            {
                int k = sku_of(&m, str(l, "sku"), 0);
                if (k < 0)
                    continue;
                int had = 0;
                for (int j = 0; j < p->n; j++)
                    had |= p->sku[j] == k;
                if (had)
                    continue;
                if (draft) {
                    po_drafts++;
                    /* One duplicate per line, however many drafts are open. */
                    int dup = 0;
                    for (size_t j = 0; j < n_pos && !dup; j++) {
                        if (&pos[j] == p || !pos[j].draft || strcmp(pos[j].supplier, p->supplier))
                            continue;
                        for (int q = 0; q < pos[j].n; q++)
                            dup |= pos[j].sku[q] == k;
                    }
                    duplicate_pos += dup;
                }
                if (p->n < 64)
                    p->sku[p->n++] = k;
            }
            p->draft = draft;
        } else if (strcmp(kind, "request") == 0 && str(e, "client")) {
            tick *tk = TICK(t);
            tk->api_cin7++;
            int64_t st = num(e, "status", 0);
            if (st == 429 || st == 503)
                tk->r429_cin7++;
            /* The writes a sale costs: its header and its lines. */
            const char *route = str(e, "route"), *method = str(e, "method");
            if (route && method && strcmp(method, "POST") == 0 && st == 200 &&
                (strcmp(route, "/ExternalApi/v2/sale") == 0 ||
                 strcmp(route, "/ExternalApi/v2/sale/order") == 0))
                sale_writes++;
        }
    }

    /* Propagation: the first engine write of the SKU's level after the change. */
    for (size_t c = 0; c < n_changes; c++) {
        int64_t found = -1;
        for (size_t i = 0; i < sj.n && found < 0; i++) {
            const cJSON *e = sj.entries[i];
            const char *kind = str(e, "kind"), *by = str(e, "by");
            if (!kind || strcmp(kind, "inventory") != 0 || !by)
                continue;
            if (strcmp(by, "set") && strcmp(by, "adjust") && strcmp(by, "graphql_set") &&
                strcmp(by, "graphql_adjust"))
                continue;
            int64_t t = num(e, "t", 0) - in->t0;
            if (t >= changes[c].t && sku_of(&m, str(e, "sku"), 1) == changes[c].sku)
                found = t;
        }
        if (found >= 0)
            hist_record(prop_h, found - changes[c].t);
        else
            unpropagated++;
    }

    /* --- purchase-order draft latency --- */
    int64_t po_missing = po_draft_latency(in, &m, &cj, po_h);
    int64_t misrouted = misrouted_units(in, &m, &cj, end);

    /* --- final states --- */
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(in->cin7_state, "products"))
    {
        int k = sku_of(&m, str(p, "sku"), 0);
        if (k < 0)
            continue;
        m.skus[k].initial = num(p, "initial", 0);
        m.skus[k].received = num(p, "received", 0);
        m.skus[k].adjusted = num(p, "adjusted", 0);
    }
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(in->cin7_state, "stock"))
    {
        int k = sku_of(&m, str(p, "sku"), 0);
        if (k < 0)
            continue;
        m.skus[k].final_cin7_available += num(p, "available", 0);
        if (warehouse_index(sc, str(p, "location")) >= 0)
            m.skus[k].final_mapped_available += num(p, "available", 0);
    }
    const cJSON *shop;
    for (size_t k = 0; k < sc->n_skus; k++) {
        m.skus[k].shop_level = xcalloc(sc->n_shops + 1, sizeof *m.skus[k].shop_level);
        for (size_t i = 0; i < sc->n_shops; i++)
            m.skus[k].shop_level[i] = -1;
    }
    cJSON_ArrayForEach(shop, cJSON_GetObjectItemCaseSensitive(in->shopify_state, "shops"))
    {
        int si = shop_index(sc, str(shop, "domain"));
        const cJSON *lv;
        cJSON_ArrayForEach(lv, cJSON_GetObjectItemCaseSensitive(shop, "levels"))
        {
            int k = sku_of(&m, str(lv, "sku"), 1);
            if (k < 0 || si < 0)
                continue;
            int64_t a = num(lv, "available", 0);
            m.skus[k].final_shopify += a;
            m.skus[k].shop_level[si] = (m.skus[k].shop_level[si] < 0 ? 0 : m.skus[k].shop_level[si]) + a;
            m.skus[k].n_shop_levels++;
        }
    }
    /* Dead letters name their order in their body. */
    const cJSON *d;
    cJSON_ArrayForEach(d, in->dlq)
    {
        const char *body = str(d, "body");
        cJSON *b = body ? json_parse(body, strlen(body), NULL) : NULL;
        char id[32];
        json_id_text(cJSON_GetObjectItemCaseSensitive(b, "id"), id, sizeof id);
        order_rec *o = id[0] ? order_get(&m, id, 0) : NULL;
        if (o)
            o->in_dlq = 1;
        cJSON_Delete(b);
    }

    /* --- per order --- */
    int64_t paid = 0, pushed = 0, unpushed = 0, dropped = 0;
    for (size_t i = 0; i < m.n_orders; i++) {
        order_rec *o = &m.orders[i];
        if (o->placed < 0)
            continue; /* an order the run did not place */
        if (o->paid >= 0)
            paid++;
        if (o->pushed >= 0 && o->paid >= 0) {
            pushed++;
            hist_record(push_h, o->pushed > o->paid ? o->pushed - o->paid : 0);
        }
        int wants_sale = o->paid >= 0 && !o->cancelled;
        if (wants_sale && o->pushed < 0) {
            unpushed++;
            for (int k = 0; k < o->n_lines; k++)
                m.skus[o->sku[k]].pending_units += o->qty[k];
        }
        /* Acknowledged, no effect, not dead-lettered: silently lost. */
        if (o->paid_acked >= 0 && !o->cancelled && o->pushed < 0 && !o->in_dlq)
            dropped++;
        if (o->cancel_acked >= 0 && o->pushed >= 0 && !o->voided && !o->in_dlq)
            dropped++;
    }

    /* --- per SKU --- */
    int64_t oversell = 0, drift = 0, accepted_units = 0;
    out->per_sku = cJSON_CreateArray();
    /* Per shop: units Cin7 could sell that the shop does not offer. */
    int64_t *held = xcalloc(sc->n_shops + 1, sizeof *held);
    int64_t *offered = xcalloc(sc->n_shops + 1, sizeof *offered);
    int64_t *sellable_at = xcalloc(sc->n_shops + 1, sizeof *sellable_at);
    int64_t *volume = xcalloc(sc->n_skus + 1, sizeof *volume);
    for (size_t k = 0; k < sc->n_skus; k++) {
        sku_rec *r = &m.skus[k];
        int64_t existed = r->initial + r->received + r->adjusted;
        int64_t taken = r->accepted_shopify - r->restocked + r->accepted_other;
        int64_t over = taken > existed ? taken - existed : 0;
        oversell += over;
        accepted_units += r->accepted_shopify - r->restocked;
        volume[k] = r->accepted_shopify;
        /* What Shopify should offer now, per shop: Cin7 available less units
         * of orders Cin7 has not heard of (none after a good drain). */
        int64_t sellable = r->final_cin7_available - r->pending_units;
        if (sellable < 0)
            sellable = 0;
        /* Each shop should show that (its share, when the engine splits
         * low stock between shops), less the units it keeps back. */
        int64_t d_sku = 0, should = 0, held_sku = 0;
        size_t sellers = 0, seller = 0;
        for (size_t si = 0; si < sc->n_shops; si++)
            sellers += r->shop_level[si] >= 0;
        for (size_t si = 0; si < sc->n_shops; si++) {
            if (r->shop_level[si] < 0)
                continue;
            int64_t buffer = in->shop_buffers ? in->shop_buffers[si] : 0;
            int64_t want = avail_shop_level(sellable, sellers, seller++, in->low_stock_split, buffer);
            should += want;
            d_sku += llabs(r->shop_level[si] - want);
            /* Held back: sellable in Cin7 (Available over the warehouses)
             * and not offered, whatever the reason (a safety buffer, a
             * level not yet raised). */
            int64_t h = r->final_mapped_available - r->shop_level[si];
            held_sku += h > 0 ? h : 0;
            held[si] += h > 0 ? h : 0;
            offered[si] += r->shop_level[si];
            sellable_at[si] += r->final_mapped_available;
        }
        free(r->shop_level);
        drift += d_sku;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "sku", sc->skus[k].sku);
        cJSON_AddNumberToObject(o, "initial", (double)r->initial);
        cJSON_AddNumberToObject(o, "received", (double)r->received);
        cJSON_AddNumberToObject(o, "accepted", (double)taken);
        cJSON_AddNumberToObject(o, "accepted_shopify", (double)(r->accepted_shopify - r->restocked));
        cJSON_AddNumberToObject(o, "accepted_other", (double)r->accepted_other);
        cJSON_AddNumberToObject(o, "oversell", (double)over);
        cJSON_AddNumberToObject(o, "backorder", (double)r->backorder);
        cJSON_AddNumberToObject(o, "final_shopify", (double)r->final_shopify);
        cJSON_AddNumberToObject(o, "final_sellable", (double)should);
        cJSON_AddNumberToObject(o, "drift", (double)d_sku);
        cJSON_AddNumberToObject(o, "misrouted", (double)r->misrouted);
        cJSON_AddNumberToObject(o, "held_back", (double)held_sku);
        cJSON_AddItemToArray(out->per_sku, o);
    }
    int64_t held_back = 0;
    out->per_shop = cJSON_CreateArray();
    for (size_t si = 0; si < sc->n_shops; si++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "shop", sc->shops[si].domain);
        cJSON_AddNumberToObject(o, "safety_buffer",
                                (double)(in->shop_buffers ? in->shop_buffers[si] : 0));
        cJSON_AddNumberToObject(o, "sellable_units", (double)sellable_at[si]);
        cJSON_AddNumberToObject(o, "offered_units", (double)offered[si]);
        cJSON_AddNumberToObject(o, "held_back_units", (double)held[si]);
        cJSON_AddItemToArray(out->per_shop, o);
        held_back += held[si];
    }
    free(held);
    free(offered);
    free(sellable_at);
    /* No hot list in the scenario: the best sellers. */
    while (n_hot < MAX_HOT && n_hot < (int)sc->n_skus) {
        int best = -1;
        for (size_t k = 0; k < sc->n_skus; k++) {
            int taken = hot_slot(hot, n_hot, (int)k) >= 0;
            if (!taken && volume[k] > 0 && (best < 0 || volume[k] > volume[best]))
                best = (int)k;
        }
        if (best < 0)
            break;
        hot[n_hot++] = best;
    }
    free(volume);
    out->hot_skus = cJSON_CreateArray();
    for (int h = 0; h < n_hot; h++)
        cJSON_AddItemToArray(out->hot_skus, cJSON_CreateString(sc->skus[hot[h]].sku));

    /* --- the time series --- */
    for (size_t i = 0; i < in->n_records; i++) {
        const lg_record *r = &in->records[i];
        tick *tk = TICK(r->a.t);
        if (r->a.shopify) {
            tk->checkouts++;
            tk->accepted += r->result == OUT_ACCEPTED;
            tk->sold_out += r->result == OUT_SOLD_OUT;
        } else {
            tk->other++;
        }
    }
    for (size_t i = 0; i < in->n_samples; i++)
        TICK(in->samples[i].t)->queue = in->samples[i].depth;
    /* Shopify's level of each hot SKU (summed over shops) and the units truly
     * left to sell (existing less taken by every channel), second by second. */
    {
        int64_t *avail_now = xcalloc(MAX_HOT * (sc->n_shops + 1), sizeof *avail_now);
        int64_t left[MAX_HOT];
        for (int h = 0; h < n_hot; h++) {
            left[h] = m.skus[hot[h]].initial;
            for (size_t s = 0; s < sc->n_shops; s++)
                avail_now[h * (int)sc->n_shops + (int)s] = setup_initial_units(sc, (size_t)hot[h]);
        }
        size_t si = 0, ci = 0;
        for (size_t tki = 0; tki < n_ticks; tki++) {
            int64_t tick_end = (int64_t)(tki + 1) * sc->tick_ms;
            const cJSON *e;
            const char *kind;
            while ((e = next_before(&sj, &si, in->t0, tick_end, &kind))) {
                int h = hot_slot(hot, n_hot, sku_of(&m, str(e, "sku"), 1));
                int sh = shop_index(sc, str(e, "shop"));
                if (h >= 0 && sh >= 0 && strcmp(kind, "inventory") == 0)
                    avail_now[h * (int)sc->n_shops + sh] = num(e, "new", 0);
                if (is_accepted_checkout(e, kind))
                    hot_lines(&m, e, 1, hot, n_hot, -1, left);
            }
            while ((e = next_before(&cj, &ci, in->t0, tick_end, &kind))) {
                int h = hot_slot(hot, n_hot, sku_of(&m, str(e, "sku"), 0));
                if (h >= 0 && strcmp(kind, "channel_sale") == 0 && is_true(e, "accepted"))
                    left[h] -= num(e, "qty", 0);
                if (strcmp(kind, "purchase_received") == 0)
                    hot_lines(&m, e, 0, hot, n_hot, 1, left);
            }
            for (int h = 0; h < n_hot; h++) {
                int64_t sum = 0;
                for (size_t s = 0; s < sc->n_shops; s++)
                    sum += avail_now[h * (int)sc->n_shops + (int)s];
                ticks[tki].avail[h] = sum;
                ticks[tki].sellable[h] = left[h] > 0 ? left[h] : 0;
            }
        }
        free(avail_now);
    }
    sbuf_puts(&out->timeseries, "t_s,checkouts,accepted,sold_out,other_sales,queue_depth,"
                                "api_calls_cin7,api_calls_shopify,http_429_cin7,http_429_shopify");
    for (int h = 0; h < n_hot; h++)
        sbuf_printf(&out->timeseries, ",avail_%s,sellable_%s", sc->skus[hot[h]].sku,
                    sc->skus[hot[h]].sku);
    sbuf_putc(&out->timeseries, '\n');
    int64_t last_queue = -1;
    for (size_t i = 0; i < n_ticks - 1; i++) {
        tick *tk = &ticks[i];
        if (tk->queue >= 0)
            last_queue = tk->queue;
        sbuf_printf(&out->timeseries, "%.3f,%lld,%lld,%lld,%lld,", (double)i * (double)sc->tick_ms / 1000.0,
                    (long long)tk->checkouts, (long long)tk->accepted, (long long)tk->sold_out,
                    (long long)tk->other);
        if (last_queue >= 0)
            sbuf_printf(&out->timeseries, "%lld", (long long)last_queue);
        sbuf_printf(&out->timeseries, ",%lld,%lld,%lld,%lld", (long long)tk->api_cin7,
                    (long long)tk->api_shopify, (long long)tk->r429_cin7,
                    (long long)tk->r429_shopify);
        for (int h = 0; h < n_hot; h++)
            sbuf_printf(&out->timeseries, ",%lld,%lld", (long long)tk->avail[h],
                        (long long)tk->sellable[h]);
        sbuf_putc(&out->timeseries, '\n');
    }

    /* --- events --- */
    sbuf_puts(&out->events, "seq,intended_ms,sent_ms,done_ms,stream,channel,target,lines,result,"
                            "status,order_id,paid_ms,pushed_ms,push_latency_ms\n");
    static const char *const results[] = {"accepted", "sold_out", "error"};
    for (size_t i = 0; i < in->n_records; i++) {
        const lg_record *r = &in->records[i];
        const sc_stream *st = &sc->streams[r->a.stream];
        sbuf_printf(&out->events, "%llu,%lld,%lld,%lld,%s,%s,%s,", (unsigned long long)r->a.seq,
                    (long long)r->a.t, (long long)r->sent, (long long)r->done, st->name,
                    st->channel,
                    r->a.shopify ? sc->shops[r->a.shop].domain : sc->warehouses[r->a.warehouse].name);
        for (int l = 0; l < r->a.n_lines; l++)
            sbuf_printf(&out->events, "%s%s:%lld", l ? ";" : "", sc->skus[r->a.lines[l].sku].sku,
                        (long long)r->a.lines[l].qty);
        sbuf_printf(&out->events, ",%s,%d,", results[r->result], r->status);
        order_rec *o = NULL;
        if (r->order_id) {
            char id[32];
            snprintf(id, sizeof id, "%lld", (long long)r->order_id);
            sbuf_puts(&out->events, id);
            o = order_get(&m, id, 0);
        }
        if (o && o->paid >= 0)
            sbuf_printf(&out->events, ",%lld", (long long)o->paid);
        else
            sbuf_putc(&out->events, ',');
        if (o && o->pushed >= 0)
            sbuf_printf(&out->events, ",%lld,%lld\n", (long long)o->pushed,
                        (long long)(o->paid >= 0 && o->pushed > o->paid ? o->pushed - o->paid : 0));
        else
            sbuf_puts(&out->events, ",,\n");
    }

    /* --- totals --- */
    int64_t api_cin7 = 0, api_shopify = 0, r429_cin7 = 0, r429_shopify = 0;
    for (size_t i = 0; i < n_ticks; i++) {
        api_cin7 += ticks[i].api_cin7;
        api_shopify += ticks[i].api_shopify;
        r429_cin7 += ticks[i].r429_cin7;
        r429_shopify += ticks[i].r429_shopify;
    }
    /* Retries seen from the mocks: every engine request that failed in a
     * way a robust engine retries (rate limits, 5xx, dropped connections). */
    int64_t retries_cin7 = 0, retries_shopify = 0;
    for (int side = 0; side < 2; side++) {
        journal_data *j = side ? &sj : &cj;
        for (size_t i = 0; i < j->n; i++) {
            const cJSON *e = j->entries[i];
            const char *kind = str(e, "kind");
            if (!kind || strcmp(kind, "request") != 0 || !str(e, "client"))
                continue;
            int64_t st = num(e, "status", 0);
            if (st == 0 || st == 429 || st >= 500)
                *(side ? &retries_shopify : &retries_cin7) += 1;
        }
    }
    int64_t sold_out = 0, errors = 0;
    for (size_t i = 0; i < in->n_records; i++) {
        sold_out += in->records[i].a.shopify && in->records[i].result == OUT_SOLD_OUT;
        errors += in->records[i].result == OUT_ERROR;
    }
    double per_order = paid ? 1.0 / (double)paid : 0;
    cJSON *mt = cJSON_CreateObject();
    cJSON_AddNumberToObject(mt, "oversell_units", (double)oversell);
    cJSON_AddNumberToObject(mt, "backorder_units", (double)backorder_units);
    cJSON_AddItemToObject(mt, "order_push_latency_ms", latency_json(push_h));
    cJSON_AddItemToObject(mt, "inventory_propagation_ms", latency_json(prop_h));
    cJSON_AddItemToObject(mt, "po_draft_latency_ms", latency_json(po_h));
    cJSON_AddNumberToObject(mt, "duplicate_pos", (double)duplicate_pos);
    cJSON_AddNumberToObject(mt, "duplicate_sales", (double)duplicate_sales);
    cJSON_AddNumberToObject(mt, "dropped_events", (double)dropped);
    cJSON_AddNumberToObject(mt, "dead_lettered", (double)cJSON_GetArraySize(in->dlq));
    cJSON_AddNumberToObject(mt, "final_drift_units", (double)drift);
    cJSON_AddNumberToObject(mt, "misrouted_units", (double)misrouted);
    cJSON_AddNumberToObject(mt, "held_back_units", (double)held_back);
    add_per_system(mt, "api_calls", api_cin7, api_shopify, per_order);
    /* What a pushed order really costs at each API: every call of the run
     * over the orders that reached Cin7, and the sale writes alone (two per
     * sale as Cin7 takes them: header, then lines). */
    cJSON *calls = cJSON_GetObjectItemCaseSensitive(mt, "api_calls");
    double per_pushed = pushed ? 1.0 / (double)pushed : 0;
    cJSON_AddNumberToObject(calls, "cin7_per_pushed_order",
                            round((double)api_cin7 * per_pushed * 100) / 100);
    cJSON_AddNumberToObject(calls, "shopify_per_pushed_order",
                            round((double)api_shopify * per_pushed * 100) / 100);
    cJSON_AddNumberToObject(calls, "cin7_sale_writes_per_pushed_order",
                            round((double)sale_writes * per_pushed * 100) / 100);
    add_per_system(mt, "http_429", r429_cin7, r429_shopify, per_order);
    add_per_system(mt, "retries", retries_cin7, retries_shopify, per_order);
    cJSON_AddNumberToObject(mt, "orders_paid", (double)paid);
    cJSON_AddNumberToObject(mt, "orders_pushed", (double)pushed);
    cJSON_AddNumberToObject(mt, "orders_unpushed", (double)unpushed);
    cJSON_AddNumberToObject(mt, "accepted_units", (double)accepted_units);
    cJSON_AddNumberToObject(mt, "sold_out_checkouts", (double)sold_out);
    cJSON_AddNumberToObject(mt, "checkout_errors", (double)errors);
    cJSON_AddNumberToObject(mt, "inventory_unpropagated", (double)unpropagated);
    cJSON_AddNumberToObject(mt, "po_drafts", (double)po_drafts);
    cJSON_AddNumberToObject(mt, "po_drafts_missing", (double)po_missing);
    out->metrics = mt;

    hist_free(push_h);
    hist_free(prop_h);
    hist_free(po_h);
    free(pos);
    free(changes);
    free(ticks);
    free(m.orders);
    free(m.deliveries);
    free(m.skus);
    strmap_free(m.order_by_id);
    strmap_free(sale_count);
    strmap_free(sale_key);
    strmap_free(m.delivery_topic);
    journal_free(&cj);
    journal_free(&sj);
#undef TICK
    return 0;
}

void measure_output_free(measure_output *out)
{
    cJSON_Delete(out->metrics);
    cJSON_Delete(out->per_sku);
    cJSON_Delete(out->per_shop);
    cJSON_Delete(out->hot_skus);
    sbuf_free(&out->timeseries);
    sbuf_free(&out->events);
    memset(out, 0, sizeof *out);
}
