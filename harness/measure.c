/*
 * Metrics from a run model; see measure.h. measure_run reads a real run
 * into a model (ingest.h), measure_model turns any model into the figures:
 * the model's lists are replayed in their order to build per-order,
 * per-SKU and per-second figures. Time is the scenario's.
 */
#include "measure.h"

#include "avail.h"

#include "bounds.h"
#include "hist.h"
#include "ingest.h"
#include "kit.h"
#include "mem.h"
#include "misroute.h"
#include "setup.h"
#include "prodmap.h"
#include "statmap.h"
#include "strmap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HOT 5

/* Every metric gates and comparisons may name, in the order they are
 * listed to users, with the way it gets worse: H higher is worse (harm
 * done, time taken, calls spent), L lower is worse (work done, an
 * efficiency), N neither, for figures that describe the run's work rather
 * than how well the engine did it (counts of samples, physical bounds,
 * orders paid, drafts written). `surge compare` marks a change for the
 * worse by this column alone; docs/scenarios.md's metric table shows it. */
#define H MEASURE_WORSE_HIGHER
#define L MEASURE_WORSE_LOWER
#define N MEASURE_WORSE_NONE
#define LATENCY_METRICS(X, g)                                                                  \
    X(g ".p50", H) X(g ".p95", H) X(g ".p99", H) X(g ".max", H) X(g ".mean", H)             \
    X(g ".count", N)
#define BOUNDED_METRICS(X, g)                                                                  \
    X(g ".bound_p50", N) X(g ".bound_p99", N) X(g ".efficiency_p50", L)                      \
    X(g ".efficiency_p99", L)
#define METRICS(X)                                                                             \
    X("oversell_units", H) X("undersell_units", H) X("stranded_units", H)                    \
    X("lost_revenue", H) X("backorder_units", H)                                              \
    LATENCY_METRICS(X, "order_push_latency_ms") BOUNDED_METRICS(X, "order_push_latency_ms")   \
    LATENCY_METRICS(X, "inventory_propagation_ms")                                            \
    BOUNDED_METRICS(X, "inventory_propagation_ms")                                            \
    LATENCY_METRICS(X, "po_draft_latency_ms")                                                 \
    X("duplicate_pos", H) X("duplicate_sales", H) X("dropped_events", H)                     \
    X("dead_lettered", H) X("final_drift_units", H) X("misrouted_units", H)                  \
    X("held_back_units", H)                                                                   \
    X("api_calls.cin7", H) X("api_calls.shopify", H) X("api_calls.per_order", H)             \
    X("api_calls.cin7_per_pushed_order", H) X("api_calls.shopify_per_pushed_order", H)       \
    X("api_calls.cin7_sale_writes_per_pushed_order", H)                                       \
    X("http_429.cin7", H) X("http_429.shopify", H) X("http_429.per_order", H)                \
    X("http_429.cin7_share", H)                                                               \
    X("retries.cin7", H) X("retries.shopify", H) X("retries.per_order", H)                   \
    X("orders_paid", N) X("orders_pushed", L) X("orders_unpushed", H)                        \
    X("accepted_units", N) X("sold_out_checkouts", N) X("checkout_errors", H)                \
    X("inventory_unpropagated", H) X("po_drafts", N) X("po_drafts_missing", H)                \
    X("status_mismatches", H) LATENCY_METRICS(X, "status_lag_ms")                             \
    X("notifications_missing", H) X("notifications_duplicated", H)                            \
    X("field_discrepancies", H) LATENCY_METRICS(X, "discrepancy_minutes")                     \
    X("price_discrepancy_revenue", H)

#define METRIC_NAME(name, worse) name,
#define METRIC_WORSE(name, worse) worse,
static const char *const metric_names[] = {METRICS(METRIC_NAME) NULL};
static const measure_worse metric_worse[] = {METRICS(METRIC_WORSE)};
#undef H
#undef L
#undef N

const char *const *measure_metric_names(void)
{
    return metric_names;
}

static int metric_index(const char *name)
{
    for (size_t i = 0; metric_names[i]; i++)
        if (strcmp(metric_names[i], name) == 0)
            return (int)i;
    return -1;
}

int measure_metric_known(const char *name)
{
    return metric_index(name) >= 0;
}

measure_worse measure_metric_worse(const char *name)
{
    int i = metric_index(name);
    return i < 0 ? MEASURE_WORSE_NONE : metric_worse[i];
}

int measure_lookup(const cJSON *metrics, const char *name, double *v)
{
    if (!measure_metric_known(name))
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

/* ---- what the model's records add up to ---------------------------------------- */

/* Per order, what Cin7's records say about it. */
typedef struct {
    int64_t pushed_units;
    int64_t pushed; /* all units in Cin7 sales (authorised), -1 never */
    int voided;     /* sales voided for it */
    int64_t bound;  /* its push latency's physical bound, -1 none */
} order_fate;

typedef struct {
    int64_t accepted_shopify, restocked, accepted_other;
    int64_t backorder;
    int64_t final_mapped_available; /* Cin7's Available over the warehouses */
    int64_t misrouted;
    int64_t pending_units; /* paid, not cancelled, never pushed */
    int64_t undersold, stranded;
} sku_rec;

/* The working state of one measurement. */
typedef struct {
    const run_model *m;
    const measure_params *p;
    const scenario *sc;
    order_fate *fate; /* per model order */
    sku_rec *skus;
} meas;

/* The order a sale's CustomerReference names, or -1. */
static int order_of_ref(const meas *ms, const char *ref)
{
    return ref[0] ? model_order_index(ms->m, ref) : -1;
}

static int hot_slot(const int *hot, int n_hot, int k)
{
    for (int h = 0; h < n_hot; h++)
        if (hot[h] == k)
            return h;
    return -1;
}

/* ---- time series ---------------------------------------------------------------- */

typedef struct {
    int64_t checkouts, accepted, sold_out, other;
    int64_t api_cin7, api_shopify, r429_cin7, r429_shopify;
    int64_t queue; /* -1 unknown */
    int64_t avail[MAX_HOT], sellable[MAX_HOT];
} tick;

typedef struct {
    tick *t;
    size_t n;
    int64_t tick_ms;
} ticks;

static tick *tick_at(const ticks *ts, int64_t t)
{
    if (t < 0)
        return &ts->t[0];
    size_t i = (size_t)(t / ts->tick_ms);
    return &ts->t[i < ts->n ? i : ts->n - 1];
}

/* ---- latency helper ---------------------------------------------------------- */

/* Bound / measured, to three decimals: 1 when both are 0; null when not
 * measured or not comparable (a measured 0 against a bound above it). */
static void add_efficiency(cJSON *o, const char *key, const hist *measured, const hist *bound, double p)
{
    if (hist_count(measured) == 0 || !bound || hist_count(bound) == 0) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    double m = (double)hist_percentile(measured, p), b = (double)hist_percentile(bound, p);
    if (m == 0)
        b == 0 ? (void)cJSON_AddNumberToObject(o, key, 1) : (void)cJSON_AddNullToObject(o, key);
    else
        cJSON_AddNumberToObject(o, key, round(b / m * 1000) / 1000);
}

/* A latency object; bound (NULL: not computable) adds the physical bound's
 * p50 and p99 and the efficiency beside them. */
static cJSON *latency_json(const hist *h, const hist *bound, int with_bound)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "count", (double)hist_count(h));
    static const char *const keys[] = {"p50", "p95", "p99", "max", "mean"};
    if (hist_count(h) == 0) {
        for (size_t i = 0; i < 5; i++)
            cJSON_AddNullToObject(o, keys[i]);
    } else {
        cJSON_AddNumberToObject(o, "p50", (double)hist_percentile(h, 50));
        cJSON_AddNumberToObject(o, "p95", (double)hist_percentile(h, 95));
        cJSON_AddNumberToObject(o, "p99", (double)hist_percentile(h, 99));
        cJSON_AddNumberToObject(o, "max", (double)hist_max(h));
        cJSON_AddNumberToObject(o, "mean", round(hist_mean(h)));
    }
    if (!with_bound)
        return o;
    static const double ps[] = {50, 99};
    static const char *const bkeys[] = {"bound_p50", "bound_p99"};
    static const char *const ekeys[] = {"efficiency_p50", "efficiency_p99"};
    for (size_t i = 0; i < 2; i++) {
        if (bound && hist_count(bound))
            cJSON_AddNumberToObject(o, bkeys[i], (double)hist_percentile(bound, ps[i]));
        else
            cJSON_AddNullToObject(o, bkeys[i]);
    }
    for (size_t i = 0; i < 2; i++)
        add_efficiency(o, ekeys[i], h, bound, ps[i]);
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

/* ---- Cin7 sales: pushes, voids, duplicates ---------------------------------------- */

/* Replays the sales: when each order was pushed (Cin7 holds its units: the
 * authorised lines of its sales cover them all), its voids, and the
 * duplicate sales (a second live sale of one order at one location).
 * Returns the duplicates. */
static int64_t replay_sales(meas *ms)
{
    const run_model *m = ms->m;
    strmap *live = strmap_new(0); /* "ref\tloc" -> sales created less duplicates voided */
    int64_t duplicates = 0;
    for (size_t i = 0; i < m->n_sales; i++) {
        const model_sale *s = &m->sales[i];
        char key[MODEL_ID_LEN + 16];
        snprintf(key, sizeof key, "%s\t%d", s->ref, s->loc);
        long n = strmap_get(live, key);
        int o = order_of_ref(ms, s->ref);
        if (s->kind == MODEL_SALE_CREATED) {
            strmap_put(live, key, n < 0 ? 1 : n + 1);
            duplicates += s->sale[0] && n >= 0;
        } else if (s->kind == MODEL_SALE_AUTHORISED && o >= 0) {
            order_fate *f = &ms->fate[o];
            f->pushed_units += s->units;
            if (f->pushed < 0 && f->pushed_units >= m->orders[o].units)
                f->pushed = s->t;
        } else if (s->kind == MODEL_SALE_VOIDED) {
            if (n > 1) {
                strmap_put(live, key, n - 1);
                duplicates--;
            }
            if (o >= 0)
                ms->fate[o].voided++;
        }
    }
    strmap_free(live);
    return duplicates;
}

/* ---- purchase orders: duplicates and draft latency ----------------------------- */

typedef struct {
    const char *id;
    const char *supplier;
    int draft; /* an open draft */
    int n;
    int sku[64];
} po_rec;

/* New (supplier, SKU) lines of open drafts: po_drafts counts them,
 * duplicate_pos those another open draft of the supplier already had. */
static void purchase_lines(const run_model *m, int64_t *po_drafts, int64_t *duplicate_pos)
{
    po_rec *pos = NULL;
    size_t n_pos = 0, cap_pos = 0;
    for (size_t i = 0; i < m->n_purchases; i++) {
        const model_purchase *e = &m->purchases[i];
        po_rec *p = NULL;
        for (size_t j = 0; j < n_pos && !p; j++)
            if (strcmp(pos[j].id, e->id) == 0)
                p = &pos[j];
        int draft = e->draft && e->kind != MODEL_PO_AUTHORISED && e->kind != MODEL_PO_VOIDED &&
                    e->kind != MODEL_PO_RECEIVED;
        if (!p) {
            XGROW(pos, n_pos, cap_pos, 64);
            p = &pos[n_pos++];
            memset(p, 0, sizeof *p);
            p->id = e->id;
            p->supplier = e->supplier;
        }
        for (size_t l = e->first_line; l < e->first_line + e->n_lines; l++) {
            int k = m->lines[l].sku, had = 0;
            for (int j = 0; j < p->n; j++)
                had |= p->sku[j] == k;
            if (had)
                continue;
            if (draft) {
                (*po_drafts)++;
                /* One duplicate per line, however many drafts are open. */
                int dup = 0;
                for (size_t j = 0; j < n_pos && !dup; j++) {
                    if (&pos[j] == p || !pos[j].draft || strcmp(pos[j].supplier, p->supplier))
                        continue;
                    for (int q = 0; q < pos[j].n; q++)
                        dup |= pos[j].sku[q] == k;
                }
                *duplicate_pos += dup;
            }
            if (p->n < 64)
                p->sku[p->n++] = k;
        }
        p->draft = draft;
    }
    free(pos);
}

/* One timeline event of a SKU: paid units, or a location's new Cin7 figures. */
typedef struct {
    int64_t t;
    int sku;
    int64_t qty;        /* paid units, or 0 for a stock change */
    int loc;            /* stock changes: location index */
    int64_t position;   /* stock changes: on_hand + on_order + in_transit - allocated there */
} cover_ev;

static int cmp_cover_ev(const void *a, const void *b)
{
    const cover_ev *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

/* Per SKU: the first moment its days of cover, from ground truth (paid
 * units over the scenario's velocity window; Cin7's on hand + on order +
 * in transit - allocated over every location), fell below the scenario's
 * threshold. crossed[k] is INT64_MIN when it never did. */
static void cover_crossings(const run_model *m, int64_t *crossed)
{
    const scenario *sc = m->sc;
    size_t n_skus = sc->n_skus, n_locs = sc->n_warehouses + m->n_extra_locs;
    cover_ev *ev = NULL;
    size_t n = 0, cap = 0;
    /* Paid units: an order's lines at the moment it was paid. */
    for (size_t i = 0; i < m->n_orders; i++) {
        const model_order *o = &m->orders[i];
        for (int k = 0; o->paid >= 0 && k < o->n_lines; k++) {
            XGROW(ev, n, cap, 1024);
            ev[n++] = (cover_ev){o->paid, o->sku[k], o->qty[k], -1, 0};
        }
    }
    for (size_t i = 0; i < m->n_stock; i++) {
        const model_stock *s = &m->stock[i];
        if (s->loc < 0)
            continue;
        XGROW(ev, n, cap, 1024);
        ev[n++] = (cover_ev){s->t, s->sku, 0, s->loc, s->position};
    }
    if (n)
        qsort(ev, n, sizeof *ev, cmp_cover_ev); /* stable enough: ties are one moment */
    int64_t *pos = xcalloc(n_skus * (n_locs ? n_locs : 1) + 1, sizeof *pos);
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
            pos[(size_t)k * n_locs + (size_t)x->loc] = x->position;
        }
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
        for (size_t l = 0; l < n_locs; l++)
            position += pos[(size_t)k * n_locs + l];
        if ((double)position / velocity < sc->cover_threshold_days)
            crossed[k] = x->t;
    }
    free(ev);
    free(pos);
    free(head);
    free(in_window);
    free(paid_idx);
}

/* Each crossing (cover_crossings) to the first draft purchase line for its
 * SKU at or after it. Records the latencies into h and returns how many
 * crossings never got a draft. */
static int64_t po_draft_latency(const run_model *m, hist *h)
{
    const scenario *sc = m->sc;
    if (!sc->replen_given)
        return 0;
    size_t n_skus = sc->n_skus;
    int64_t *crossed = xcalloc(n_skus + 1, sizeof *crossed);
    cover_crossings(m, crossed);
    int64_t *drafted = xcalloc(n_skus + 1, sizeof *drafted);
    for (size_t k = 0; k < n_skus; k++)
        drafted[k] = -1;
    for (size_t i = 0; i < m->n_purchases; i++) {
        const model_purchase *e = &m->purchases[i];
        if ((e->kind != MODEL_PO_CREATED && e->kind != MODEL_PO_UPDATED) || !e->draft)
            continue;
        for (size_t l = e->first_line; l < e->first_line + e->n_lines; l++) {
            int k = m->lines[l].sku;
            if (crossed[k] != INT64_MIN && drafted[k] < 0 && e->t >= crossed[k])
                drafted[k] = e->t;
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
    free(crossed);
    free(drafted);
    return missing;
}

/* ---- misrouted units ------------------------------------------------------------ */

/* Units of one sale's line backordered at its warehouse. */
typedef struct {
    const char *sale;
    int sku, loc;
    int64_t qty;
} bo_line;

typedef struct {
    misroute *mr;
    bo_line *lines;
    size_t n, cap;
    strmap *by_key; /* "sale\tSKU" -> index into lines */
} bo_state;

static void misroute_backorder(const meas *ms, bo_state *st, const model_backorder *b)
{
    const scenario *sc = ms->sc;
    if (!b->sale[0] || b->sku < 0 || b->loc < 0 || (size_t)b->loc >= sc->n_warehouses)
        return;
    char key[MODEL_ID_LEN + 128];
    snprintf(key, sizeof key, "%s\t%s", b->sale, sc->skus[b->sku].sku);
    long li = strmap_get(st->by_key, key);
    if (li < 0 && !b->filled) {
        /* Only sales of Shopify orders the run placed. */
        if (order_of_ref(ms, b->ref) < 0)
            return;
        XGROW(st->lines, st->n, st->cap, 64);
        st->lines[st->n] = (bo_line){.sale = b->sale, .sku = b->sku, .loc = b->loc, .qty = 0};
        li = (long)st->n++;
        strmap_put(st->by_key, key, li);
    }
    if (li < 0)
        return;
    bo_line *l = &st->lines[li];
    int64_t now = !b->filled            ? l->qty + b->qty
                  : b->still != INT64_MIN ? b->still
                                          : l->qty - b->qty;
    misroute_backordered(st->mr, b->t, (size_t)l->sku, (size_t)l->loc, now - l->qty);
    l->qty = now;
}

/* A voided sale holds nothing, backorders included. */
static void misroute_void(bo_state *st, const model_sale *s)
{
    for (size_t j = 0; s->sale[0] && j < st->n; j++)
        if (st->lines[j].qty > 0 && strcmp(st->lines[j].sale, s->sale) == 0) {
            misroute_backordered(st->mr, s->t, (size_t)st->lines[j].sku, (size_t)st->lines[j].loc,
                                 -st->lines[j].qty);
            st->lines[j].qty = 0;
        }
}

/* Misrouted units (misroute.h): Available per SKU and warehouse from the
 * stock records (the seed's first), the units backordered per sale line
 * from backorders (of sales of orders the run placed), fills and voided
 * sales, all in the order they happened (seq). Stretches still open end at
 * the model's end. Sets each SKU's misrouted and returns the total. */
static int64_t misrouted_units(meas *ms)
{
    const run_model *m = ms->m;
    const scenario *sc = ms->sc;
    bo_state st = {.mr = misroute_new(sc->n_skus, sc->n_warehouses, sc->misroute_grace_ms),
                   .by_key = strmap_new(0)};
    for (size_t k = 0; k < sc->n_skus; k++)
        for (size_t w = 0; w < sc->n_warehouses; w++)
            misroute_available(st.mr, INT64_MIN, k, w, scenario_on_hand(sc, k, w));
    size_t si = 0, bi = 0, vi = 0;
    for (;;) {
        while (vi < m->n_sales && m->sales[vi].kind != MODEL_SALE_VOIDED)
            vi++;
        uint64_t s_seq = si < m->n_stock ? m->stock[si].seq : UINT64_MAX;
        uint64_t b_seq = bi < m->n_backorders ? m->backorders[bi].seq : UINT64_MAX;
        uint64_t v_seq = vi < m->n_sales ? m->sales[vi].seq : UINT64_MAX;
        if (s_seq == UINT64_MAX && b_seq == UINT64_MAX && v_seq == UINT64_MAX)
            break;
        if (s_seq < b_seq && s_seq < v_seq) {
            const model_stock *s = &m->stock[si++];
            if (s->loc >= 0 && (size_t)s->loc < sc->n_warehouses)
                misroute_available(st.mr, s->t, (size_t)s->sku, (size_t)s->loc, s->available);
        } else if (b_seq < v_seq) {
            misroute_backorder(ms, &st, &m->backorders[bi++]);
        } else {
            misroute_void(&st, &m->sales[vi++]);
        }
    }
    int64_t *per_sku = xcalloc(sc->n_skus + 1, sizeof *per_sku);
    int64_t total = misroute_finish(st.mr, m->end, per_sku);
    for (size_t k = 0; k < sc->n_skus; k++)
        ms->skus[k].misrouted = per_sku[k];
    free(per_sku);
    free(st.lines);
    strmap_free(st.by_key);
    misroute_free(st.mr);
    return total;
}

/* ---- propagation ---------------------------------------------------------------- */

/* Stock changes Shopify did not see happen: other channels, receipts,
 * stock takes, voided sales, at or after t0. Allocation of the engine's own
 * sales is not one (Shopify counted those units at checkout). Returns the
 * indexes into m->stock (malloc'd; caller frees). */
static size_t *unseen_changes(const run_model *m, size_t *n)
{
    size_t *out = xcalloc(m->n_stock + 1, sizeof *out);
    *n = 0;
    for (size_t i = 0; i < m->n_stock; i++) {
        model_cause c = m->stock[i].cause;
        if (m->stock[i].t >= 0 &&
            (c == MODEL_CAUSE_CHANNEL_SALE || c == MODEL_CAUSE_PURCHASE_RECEIVED ||
             c == MODEL_CAUSE_ADJUSTMENT || c == MODEL_CAUSE_SALE_VOIDED))
            out[(*n)++] = i;
    }
    return out;
}

/* Each change to the first engine write of the SKU's level (any shop) at or
 * after it, into h; followed[c] says whether one did. Returns the changes
 * no write followed. */
static int64_t propagation(const run_model *m, const size_t *changes, size_t n, hist *h,
                           unsigned char *followed, int64_t *latency)
{
    int64_t unpropagated = 0;
    for (size_t c = 0; c < n; c++) {
        const model_stock *s = &m->stock[changes[c]];
        int64_t found = -1;
        for (size_t i = 0; i < m->n_levels && found < 0; i++) {
            const model_level *l = &m->levels[i];
            if (l->by == MODEL_BY_ENGINE && l->t >= s->t && l->sku == s->sku)
                found = l->t;
        }
        followed[c] = found >= 0;
        latency[c] = found >= 0 ? found - s->t : -1;
        if (found >= 0)
            hist_record(h, found - s->t);
        else
            unpropagated++;
    }
    return unpropagated;
}

/* propagation.csv: one row per change Shopify had to follow, in time
 * order: when, which SKU and location, its latency to the first engine
 * write of the SKU (empty when none followed) and its physical bound
 * (empty when the limits refuse every call). */
static void propagation_csv(const run_model *m, const size_t *changes, size_t n,
                            const int64_t *latency, const int64_t *bound, sbuf *out)
{
    sbuf_puts(out, "changed_ms,sku,location,latency_ms,bound_ms\n");
    for (size_t c = 0; c < n; c++) {
        const model_stock *s = &m->stock[changes[c]];
        const char *loc = s->loc >= 0 && (size_t)s->loc < m->sc->n_warehouses
                              ? m->sc->warehouses[s->loc].name
                              : "";
        sbuf_printf(out, "%lld,%s,%s,", (long long)s->t, m->sc->skus[s->sku].sku, loc);
        if (latency[c] >= 0)
            sbuf_printf(out, "%lld", (long long)latency[c]);
        sbuf_putc(out, ',');
        if (bound[c] >= 0)
            sbuf_printf(out, "%lld", (long long)bound[c]);
        sbuf_putc(out, '\n');
    }
}

/* ---- physical bounds ------------------------------------------------------------- */

/* An arrival of work for the bounds: when, and whether its latency was
 * measured (so its bound is compared). */
typedef struct {
    int64_t t;
    int measured;
    size_t idx;    /* the order or change it stands for */
    int64_t bound; /* its bound latency, -1 none */
} arrival;

static int cmp_arrival(const void *a, const void *b)
{
    const arrival *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

/* Sorts the arrivals, serves their times (bounds.h), sets each one's bound
 * and records those of the measured ones into h. For the propagation,
 * paid holds the pushes' times. */
static void bound_latencies(const run_model *m, arrival *a, size_t n, const int64_t *paid,
                            size_t n_paid, int propagation, hist *h)
{
    qsort(a, n, sizeof *a, cmp_arrival);
    int64_t *t = xcalloc(n + 1, sizeof *t), *lat = xcalloc(n + 1, sizeof *lat);
    for (size_t i = 0; i < n; i++)
        t[i] = a[i].t;
    int rc = propagation ? bounds_propagation(&m->limits, paid, n_paid, t, n, lat)
                         : bounds_push(&m->limits, t, n, lat);
    for (size_t i = 0; i < n; i++) {
        a[i].bound = rc == 0 ? lat[i] : -1;
        if (rc == 0 && a[i].measured)
            hist_record(h, lat[i]);
    }
    free(t);
    free(lat);
}

/* The physical bounds (bounds.h) of the latencies measured, into push and
 * prop. The work is what the run asked for: a push for every paid order
 * that was pushed or still had to be (not cancelled), a read and a write
 * for every change; the bound is compared over the orders and changes
 * whose latency was measured. A hist stays empty when the limits refuse
 * every call. */
static void physical_bounds(meas *ms, const size_t *changes, const unsigned char *followed,
                            size_t n_changes, hist *push, hist *prop, int64_t *prop_bound)
{
    const run_model *m = ms->m;
    arrival *a = xcalloc(m->n_orders + n_changes + 1, sizeof *a);
    size_t n = 0;
    for (size_t i = 0; i < m->n_orders; i++) {
        const model_order *o = &m->orders[i];
        if (o->paid >= 0 && (ms->fate[i].pushed >= 0 || o->cancelled < 0))
            a[n++] = (arrival){o->paid, ms->fate[i].pushed >= 0, i, -1};
    }
    bound_latencies(m, a, n, NULL, 0, 0, push);
    for (size_t i = 0; i < n; i++)
        ms->fate[a[i].idx].bound = a[i].bound;
    int64_t *paid = xcalloc(n + 1, sizeof *paid);
    size_t n_paid = n;
    for (size_t i = 0; i < n_paid; i++)
        paid[i] = a[i].t; /* sorted by bound_latencies */
    for (size_t c = 0; c < n_changes; c++)
        a[c] = (arrival){m->stock[changes[c]].t, followed[c], c, -1};
    bound_latencies(m, a, n_changes, paid, n_paid, 1, prop);
    for (size_t c = 0; c < n_changes; c++)
        prop_bound[a[c].idx] = a[c].bound;
    free(paid);
    free(a);
}

/* ---- undersell ------------------------------------------------------------------- */

/* A moment in the undersell replay. At one time, stock figures come first,
 * then orders Cin7 took over (pushed or cancelled), then refused checkouts,
 * then orders placed: a checkout sees the stock of its moment and the
 * orders accepted strictly before it. */
typedef enum { UE_STOCK, UE_RELEASE, UE_REFUSED, UE_PLACED } ue_kind;

typedef struct {
    int64_t t;
    ue_kind kind;
    size_t idx; /* into stock, orders or checkouts */
} undersell_ev;

static int cmp_undersell_ev(const void *a, const void *b)
{
    const undersell_ev *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* When Cin7 holds order i or it no longer needs to (pushed or cancelled,
 * the earlier), -1 never. */
static int64_t released_at(const meas *ms, size_t i)
{
    int64_t pushed = ms->fate[i].pushed, cancelled = ms->m->orders[i].cancelled;
    if (pushed < 0)
        return cancelled;
    return cancelled < 0 || pushed < cancelled ? pushed : cancelled;
}

/* Undersold units per SKU: refused checkout lines, in time order, each
 * counting the part of its qty that was sellable for its shop then (Cin7's
 * Available over the warehouses less units of orders accepted before and
 * not yet held by Cin7) beyond the units already counted for the SKU. */
static void undersell(meas *ms)
{
    const run_model *m = ms->m;
    const scenario *sc = ms->sc;
    size_t nk = sc->n_skus, nw = sc->n_warehouses;
    undersell_ev *ev = NULL;
    size_t n = 0, cap = 0;
#define ADD_UE(T, K, I)                                                                            \
    do {                                                                                           \
        XGROW(ev, n, cap, 1024);                                                                   \
        ev[n++] = (undersell_ev){(T), (K), (I)};                                                   \
    } while (0)
    for (size_t i = 0; i < m->n_stock; i++)
        if (m->stock[i].loc >= 0 && (size_t)m->stock[i].loc < nw)
            ADD_UE(m->stock[i].t, UE_STOCK, i);
    for (size_t i = 0; i < m->n_orders; i++) {
        ADD_UE(m->orders[i].placed, UE_PLACED, i);
        if (released_at(ms, i) >= 0)
            ADD_UE(released_at(ms, i), UE_RELEASE, i);
    }
    for (size_t i = 0; i < m->n_checkouts; i++)
        if (!m->checkouts[i].accepted)
            ADD_UE(m->checkouts[i].t, UE_REFUSED, i);
#undef ADD_UE
    if (n)
        qsort(ev, n, sizeof *ev, cmp_undersell_ev);
    int64_t *avail = xcalloc(nk * nw + 1, sizeof *avail);
    int64_t *pending = xcalloc(nk + 1, sizeof *pending);
    for (size_t k = 0; k < nk; k++)
        for (size_t w = 0; w < nw; w++)
            avail[k * nw + w] = scenario_on_hand(sc, k, w);
    for (size_t i = 0; i < n; i++) {
        const undersell_ev *e = &ev[i];
        if (e->kind == UE_STOCK) {
            const model_stock *s = &m->stock[e->idx];
            avail[(size_t)s->sku * nw + (size_t)s->loc] = s->available;
        } else if (e->kind == UE_PLACED || e->kind == UE_RELEASE) {
            const model_order *o = &m->orders[e->idx];
            for (int l = 0; l < o->n_lines; l++)
                pending[o->sku[l]] += e->kind == UE_PLACED ? o->qty[l] : -o->qty[l];
        } else {
            const model_checkout *c = &m->checkouts[e->idx];
            for (size_t l = c->first_line; l < c->first_line + c->n_lines; l++) {
                size_t k = (size_t)m->lines[l].sku;
                int64_t sellable = -pending[k] - ms->skus[k].undersold;
                for (size_t w = 0; w < nw; w++)
                    sellable += avail[k * nw + w];
                int64_t q = m->lines[l].qty < sellable ? m->lines[l].qty : sellable;
                ms->skus[k].undersold += q > 0 ? q : 0;
            }
        }
    }
    /* Stranded: sellable at the end (orders still pending at the end
     * counted out) that no shop offers. */
    for (size_t k = 0; k < nk; k++) {
        int64_t offered = 0;
        for (size_t s = 0; s < sc->n_shops; s++) {
            int64_t lv = m->final_level[k * sc->n_shops + s];
            offered += lv > 0 ? lv : 0;
        }
        int64_t sellable = ms->skus[k].final_mapped_available - pending[k];
        int64_t left = (sellable > 0 ? sellable : 0) - offered;
        ms->skus[k].stranded = left > 0 ? left : 0;
    }
    free(ev);
    free(avail);
    free(pending);
}

/* ---- per order ---------------------------------------------------------------- */

typedef struct {
    int64_t paid, pushed, unpushed, dropped;
} order_counts;

/* Per order: paid, pushed (and its latency into h), unpushed (its units
 * pending per SKU), and silently dropped events. */
static order_counts per_order(meas *ms, hist *h)
{
    const run_model *m = ms->m;
    order_counts c = {0};
    for (size_t i = 0; i < m->n_orders; i++) {
        const model_order *o = &m->orders[i];
        const order_fate *f = &ms->fate[i];
        int cancelled = o->cancelled >= 0;
        for (int l = 0; l < o->n_lines; l++) {
            ms->skus[o->sku[l]].accepted_shopify += o->qty[l];
            if (cancelled && o->restock)
                ms->skus[o->sku[l]].restocked += o->qty[l];
        }
        if (o->paid >= 0)
            c.paid++;
        if (f->pushed >= 0 && o->paid >= 0) {
            c.pushed++;
            hist_record(h, f->pushed > o->paid ? f->pushed - o->paid : 0);
        }
        if (o->paid >= 0 && !cancelled && f->pushed < 0) {
            c.unpushed++;
            for (int l = 0; l < o->n_lines; l++)
                ms->skus[o->sku[l]].pending_units += o->qty[l];
        }
        /* Acknowledged, no effect, not dead-lettered: silently lost. */
        if (o->paid_acked >= 0 && !cancelled && f->pushed < 0 && !o->in_dlq)
            c.dropped++;
        if (o->cancel_acked >= 0 && f->pushed >= 0 && !f->voided && !o->in_dlq)
            c.dropped++;
    }
    return c;
}

/* ---- per SKU and per shop -------------------------------------------------------- */

int64_t measure_oversell(const scenario *sc, const int64_t *taken, const int64_t *existed,
                         int64_t *by_kits, int64_t *over)
{
    memset(by_kits, 0, sc->n_skus * sizeof *by_kits);
    for (size_t k = 0; k < sc->n_skus; k++) {
        const sc_sku *set = &sc->skus[k];
        int64_t short_k = taken[k] > existed[k] ? taken[k] - existed[k] : 0;
        for (size_t j = 0; j < set->n_bom; j++)
            by_kits[set->bom[j].sku] += set->bom[j].qty * short_k;
    }
    int64_t total = 0;
    for (size_t k = 0; k < sc->n_skus; k++) {
        int64_t x = taken[k] + by_kits[k] - existed[k];
        over[k] = sc->skus[k].n_bom || x < 0 ? 0 : x;
        total += over[k];
    }
    return total;
}

typedef struct {
    int64_t oversell, drift, accepted_units, held_back;
    int64_t undersold, stranded;
    double lost_revenue;
} sku_totals;

/* The run's oversell per SKU: what its sales took of each SKU (accepted
 * checkouts less restocked cancellations, plus other channels' accepted
 * sales) against what Cin7's final state says existed. Arrays of
 * sc->n_skus entries, as measure_oversell fills them; returns the total. */
static int64_t run_oversell(const meas *ms, int64_t *taken, int64_t *by_kits, int64_t *over)
{
    const run_model *m = ms->m;
    int64_t *existed = xcalloc(ms->sc->n_skus + 1, sizeof *existed);
    for (size_t k = 0; k < ms->sc->n_skus; k++) {
        const sku_rec *r = &ms->skus[k];
        taken[k] = r->accepted_shopify - r->restocked + r->accepted_other;
        existed[k] = m->initial[k] + m->received[k] + m->adjusted[k];
    }
    int64_t total = measure_oversell(ms->sc, taken, existed, by_kits, over);
    free(existed);
    return total;
}

/* What each SKU's listings should offer at the end, before the shops'
 * split and buffers: Cin7 Available over the warehouses less units of
 * orders Cin7 has not heard of (none after a good drain), and, where kits
 * use a component, each seller's share of it as the engine splits low
 * stock (kit_share): a kit offers what its shares of its components make
 * (kit_level), and never more than Cin7 says it can assemble. */
static void final_sellable(const meas *ms, int64_t *sellable)
{
    const scenario *sc = ms->sc;
    size_t n = sc->n_skus, nk = 0;
    int64_t *raw = xcalloc(n + 1, sizeof *raw);
    for (size_t k = 0; k < n; k++) {
        raw[k] = ms->m->final_available_all[k] - ms->skus[k].pending_units;
        raw[k] = raw[k] > 0 ? raw[k] : 0;
        nk += sc->skus[k].n_bom > 0;
    }
    kit *kits = xcalloc(nk + 1, sizeof *kits);
    size_t *kit_sku = xcalloc(nk + 1, sizeof *kit_sku);
    nk = 0;
    for (size_t k = 0; k < n; k++) {
        const sc_sku *s = &sc->skus[k];
        if (!s->n_bom)
            continue;
        kit_part *parts = xcalloc(s->n_bom, sizeof *parts);
        for (size_t j = 0; j < s->n_bom; j++)
            parts[j] = (kit_part){sc->skus[s->bom[j].sku].sku, s->bom[j].qty * 10000};
        kit_sku[nk] = k;
        kits[nk++] = (kit){s->sku, parts, s->n_bom};
    }
    int64_t below = ms->p->kit_low_stock_split;
    for (size_t k = 0; k < n; k++)
        sellable[k] = sc->skus[k].n_bom ? raw[k]
                                        : kit_share(kits, nk, nk, sc->skus[k].sku, 1, raw[k], below);
    for (size_t i = 0; i < nk; i++) {
        const sc_sku *s = &sc->skus[kit_sku[i]];
        int64_t *units = xcalloc(s->n_bom, sizeof *units);
        for (size_t j = 0; j < s->n_bom; j++)
            units[j] = kit_share(kits, nk, i, kits[i].parts[j].sku, 1, raw[s->bom[j].sku], below);
        int64_t made = kit_level(kits[i].parts, kits[i].n, units);
        if (made >= 0 && made < sellable[kit_sku[i]])
            sellable[kit_sku[i]] = made;
        free(units);
    }
    for (size_t i = 0; i < nk; i++)
        free((kit_part *)kits[i].parts);
    free(kits);
    free(kit_sku);
    free(raw);
}

/* summary.json's per_sku and per_shop, and their totals. */
static sku_totals per_sku_and_shop(meas *ms, measure_output *out)
{
    const run_model *m = ms->m;
    const scenario *sc = ms->sc;
    size_t ns = sc->n_shops;
    sku_totals tot = {0};
    out->per_sku = cJSON_CreateArray();
    /* Per shop: units Cin7 could sell that the shop does not offer. */
    int64_t *held = xcalloc(ns + 1, sizeof *held);
    int64_t *offered = xcalloc(ns + 1, sizeof *offered);
    int64_t *sellable_at = xcalloc(ns + 1, sizeof *sellable_at);
    size_t nk = sc->n_skus + 1;
    int64_t *taken = xcalloc(nk, sizeof *taken), *by_kits = xcalloc(nk, sizeof *by_kits);
    int64_t *over = xcalloc(nk, sizeof *over);
    tot.oversell = run_oversell(ms, taken, by_kits, over);
    int64_t *sellable_all = xcalloc(nk, sizeof *sellable_all);
    final_sellable(ms, sellable_all);
    for (size_t k = 0; k < sc->n_skus; k++) {
        sku_rec *r = &ms->skus[k];
        const int64_t *level = &m->final_level[k * ns];
        tot.accepted_units += r->accepted_shopify - r->restocked;
        tot.undersold += r->undersold;
        tot.stranded += r->stranded;
        tot.lost_revenue += (double)r->undersold * sc->skus[k].price;
        /* What Shopify should offer now, per shop (final_sellable). */
        int64_t sellable = sellable_all[k];
        /* Each shop should show that (its share, when the engine splits
         * low stock between shops), less the units it keeps back. */
        int64_t d_sku = 0, should = 0, held_sku = 0;
        size_t sellers = 0, seller = 0;
        for (size_t si = 0; si < ns; si++)
            sellers += level[si] >= 0;
        for (size_t si = 0; si < ns; si++) {
            if (level[si] < 0)
                continue;
            int64_t buffer = ms->p->shop_buffers ? ms->p->shop_buffers[si] : 0;
            int64_t want = avail_shop_level(sellable, sellers, seller++, ms->p->low_stock_split, buffer);
            should += want;
            d_sku += llabs(level[si] - want);
            /* Held back: sellable in Cin7 (Available over the warehouses)
             * and not offered, whatever the reason (a safety buffer, a
             * level not yet raised). */
            int64_t h = r->final_mapped_available - level[si];
            held_sku += h > 0 ? h : 0;
            held[si] += h > 0 ? h : 0;
            offered[si] += level[si];
            sellable_at[si] += r->final_mapped_available;
        }
        tot.drift += d_sku;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "sku", sc->skus[k].sku);
        cJSON_AddNumberToObject(o, "initial", (double)m->initial[k]);
        cJSON_AddNumberToObject(o, "received", (double)m->received[k]);
        cJSON_AddNumberToObject(o, "accepted", (double)taken[k]);
        cJSON_AddNumberToObject(o, "accepted_shopify", (double)(r->accepted_shopify - r->restocked));
        cJSON_AddNumberToObject(o, "accepted_other", (double)r->accepted_other);
        cJSON_AddBoolToObject(o, "kit", sc->skus[k].n_bom > 0);
        cJSON_AddNumberToObject(o, "taken_by_kits", (double)by_kits[k]);
        cJSON_AddNumberToObject(o, "oversell", (double)over[k]);
        cJSON_AddNumberToObject(o, "undersell", (double)r->undersold);
        cJSON_AddNumberToObject(o, "stranded", (double)r->stranded);
        cJSON_AddNumberToObject(o, "backorder", (double)r->backorder);
        cJSON_AddNumberToObject(o, "final_shopify", (double)m->final_shopify[k]);
        cJSON_AddNumberToObject(o, "final_sellable", (double)should);
        cJSON_AddNumberToObject(o, "drift", (double)d_sku);
        cJSON_AddNumberToObject(o, "misrouted", (double)r->misrouted);
        cJSON_AddNumberToObject(o, "held_back", (double)held_sku);
        cJSON_AddItemToArray(out->per_sku, o);
    }
    out->per_shop = cJSON_CreateArray();
    for (size_t si = 0; si < ns; si++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "shop", sc->shops[si].domain);
        cJSON_AddNumberToObject(o, "safety_buffer",
                                (double)(ms->p->shop_buffers ? ms->p->shop_buffers[si] : 0));
        cJSON_AddNumberToObject(o, "sellable_units", (double)sellable_at[si]);
        cJSON_AddNumberToObject(o, "offered_units", (double)offered[si]);
        cJSON_AddNumberToObject(o, "held_back_units", (double)held[si]);
        cJSON_AddItemToArray(out->per_shop, o);
        tot.held_back += held[si];
    }
    free(held);
    free(offered);
    free(sellable_at);
    free(taken);
    free(by_kits);
    free(over);
    free(sellable_all);
    tot.lost_revenue = round(tot.lost_revenue * 100) / 100;
    return tot;
}

/* Hot SKUs (at most MAX_HOT): the streams' hot lists, then the best sellers
 * by units of accepted checkouts. Returns how many. */
static int hot_skus(const meas *ms, int *hot)
{
    const scenario *sc = ms->sc;
    int n_hot = 0;
    for (size_t s = 0; s < sc->n_streams && n_hot < MAX_HOT; s++)
        for (size_t h = 0; h < sc->streams[s].n_hot && n_hot < MAX_HOT; h++) {
            int k = sc->streams[s].hot[h];
            if (hot_slot(hot, n_hot, k) < 0)
                hot[n_hot++] = k;
        }
    while (n_hot < MAX_HOT && n_hot < (int)sc->n_skus) {
        int best = -1;
        for (size_t k = 0; k < sc->n_skus; k++) {
            int64_t v = ms->skus[k].accepted_shopify;
            int taken = hot_slot(hot, n_hot, (int)k) >= 0;
            if (!taken && v > 0 && (best < 0 || v > ms->skus[best].accepted_shopify))
                best = (int)k;
        }
        if (best < 0)
            break;
        hot[n_hot++] = best;
    }
    return n_hot;
}

/* ---- the time series ---------------------------------------------------------- */

/* Adds sign times the qty of each of the lines whose SKU is hot to its left[]. */
static void hot_lines(const run_model *m, size_t first, size_t n, const int *hot, int n_hot, int sign,
                      int64_t *left)
{
    for (size_t l = first; l < first + n; l++) {
        int h = hot_slot(hot, n_hot, m->lines[l].sku);
        if (h >= 0)
            left[h] += sign * m->lines[l].qty;
    }
}

/* Shopify's level of each hot SKU (summed over shops) and the units truly
 * left to sell (existing less taken by every channel), tick by tick: each
 * list is walked up to the tick's end. */
static void hot_columns(const meas *ms, const ticks *ts, const int *hot, int n_hot)
{
    const run_model *m = ms->m;
    size_t ns = ms->sc->n_shops;
    int64_t *avail_now = xcalloc(MAX_HOT * (ns + 1), sizeof *avail_now);
    int64_t left[MAX_HOT];
    for (int h = 0; h < n_hot; h++) {
        left[h] = m->initial[hot[h]];
        for (size_t s = 0; s < ns; s++)
            avail_now[(size_t)h * ns + s] = setup_initial_units(ms->sc, (size_t)hot[h]);
    }
    size_t li = 0, ci = 0, chi = 0, pi = 0;
    for (size_t tki = 0; tki < ts->n; tki++) {
        int64_t end = (int64_t)(tki + 1) * ts->tick_ms;
        for (; li < m->n_levels && m->levels[li].t < end; li++) {
            const model_level *l = &m->levels[li];
            int h = hot_slot(hot, n_hot, l->sku);
            if (h >= 0 && l->shop >= 0)
                avail_now[(size_t)h * ns + (size_t)l->shop] = l->level;
        }
        for (; ci < m->n_checkouts && m->checkouts[ci].t < end; ci++)
            if (m->checkouts[ci].accepted)
                hot_lines(m, m->checkouts[ci].first_line, m->checkouts[ci].n_lines, hot, n_hot, -1,
                          left);
        for (; chi < m->n_channel_sales && m->channel_sales[chi].t < end; chi++) {
            const model_channel_sale *c = &m->channel_sales[chi];
            int h = hot_slot(hot, n_hot, c->sku);
            if (h >= 0 && c->accepted)
                left[h] -= c->qty;
        }
        for (; pi < m->n_purchases && m->purchases[pi].t < end; pi++)
            if (m->purchases[pi].kind == MODEL_PO_RECEIVED)
                hot_lines(m, m->purchases[pi].first_line, m->purchases[pi].n_lines, hot, n_hot, 1,
                          left);
        for (int h = 0; h < n_hot; h++) {
            int64_t sum = 0;
            for (size_t s = 0; s < ns; s++)
                sum += avail_now[(size_t)h * ns + s];
            ts->t[tki].avail[h] = sum;
            ts->t[tki].sellable[h] = left[h] > 0 ? left[h] : 0;
        }
    }
    free(avail_now);
}

/* timeseries.csv: arrivals, queue samples and API calls per tick, and the
 * hot SKUs' columns. */
static void time_series(const meas *ms, const ticks *ts, const int *hot, int n_hot, sbuf *b)
{
    const run_model *m = ms->m;
    const scenario *sc = ms->sc;
    for (size_t i = 0; i < m->n_arrivals; i++) {
        const lg_record *r = &m->arrivals[i];
        tick *tk = tick_at(ts, r->a.t);
        if (r->a.shopify) {
            tk->checkouts++;
            tk->accepted += r->result == OUT_ACCEPTED;
            tk->sold_out += r->result == OUT_SOLD_OUT;
        } else {
            tk->other++;
        }
    }
    for (size_t i = 0; i < m->n_samples; i++)
        tick_at(ts, m->samples[i].t)->queue = m->samples[i].depth;
    hot_columns(ms, ts, hot, n_hot);
    sbuf_puts(b, "t_s,checkouts,accepted,sold_out,other_sales,queue_depth,"
                 "api_calls_cin7,api_calls_shopify,http_429_cin7,http_429_shopify");
    for (int h = 0; h < n_hot; h++)
        sbuf_printf(b, ",avail_%s,sellable_%s", sc->skus[hot[h]].sku, sc->skus[hot[h]].sku);
    sbuf_putc(b, '\n');
    int64_t last_queue = -1;
    for (size_t i = 0; i < ts->n - 1; i++) {
        const tick *tk = &ts->t[i];
        if (tk->queue >= 0)
            last_queue = tk->queue;
        sbuf_printf(b, "%.3f,%lld,%lld,%lld,%lld,", (double)i * (double)sc->tick_ms / 1000.0,
                    (long long)tk->checkouts, (long long)tk->accepted, (long long)tk->sold_out,
                    (long long)tk->other);
        if (last_queue >= 0)
            sbuf_printf(b, "%lld", (long long)last_queue);
        sbuf_printf(b, ",%lld,%lld,%lld,%lld", (long long)tk->api_cin7, (long long)tk->api_shopify,
                    (long long)tk->r429_cin7, (long long)tk->r429_shopify);
        for (int h = 0; h < n_hot; h++)
            sbuf_printf(b, ",%lld,%lld", (long long)tk->avail[h], (long long)tk->sellable[h]);
        sbuf_putc(b, '\n');
    }
}

/* events.csv: one row per arrival, joined with its order and, when it was
 * pushed, its push latency's physical bound. */
static void events_csv(const meas *ms, sbuf *b)
{
    const run_model *m = ms->m;
    const scenario *sc = ms->sc;
    sbuf_puts(b, "seq,intended_ms,sent_ms,done_ms,stream,channel,target,lines,result,"
                 "status,order_id,paid_ms,pushed_ms,push_latency_ms,push_bound_ms\n");
    static const char *const results[] = {"accepted", "sold_out", "error", "unavailable"};
    for (size_t i = 0; i < m->n_arrivals; i++) {
        const lg_record *r = &m->arrivals[i];
        const sc_stream *st = &sc->streams[r->a.stream];
        sbuf_printf(b, "%llu,%lld,%lld,%lld,%s,%s,%s,", (unsigned long long)r->a.seq,
                    (long long)r->a.t, (long long)r->sent, (long long)r->done, st->name, st->channel,
                    r->a.shopify ? sc->shops[r->a.shop].domain : sc->warehouses[r->a.warehouse].name);
        for (int l = 0; l < r->a.n_lines; l++)
            sbuf_printf(b, "%s%s:%lld", l ? ";" : "", sc->skus[r->a.lines[l].sku].sku,
                        (long long)r->a.lines[l].qty);
        sbuf_printf(b, ",%s,%d,", results[r->result], r->status);
        int oi = -1;
        if (r->order_id) {
            char id[32];
            snprintf(id, sizeof id, "%lld", (long long)r->order_id);
            sbuf_puts(b, id);
            oi = model_order_index(m, id);
        }
        const model_order *o = oi >= 0 ? &m->orders[oi] : NULL;
        int64_t pushed = oi >= 0 ? ms->fate[oi].pushed : -1;
        if (o && o->paid >= 0)
            sbuf_printf(b, ",%lld", (long long)o->paid);
        else
            sbuf_putc(b, ',');
        if (pushed >= 0)
            sbuf_printf(b, ",%lld,%lld,", (long long)pushed,
                        (long long)(o->paid >= 0 && pushed > o->paid ? pushed - o->paid : 0));
        else
            sbuf_puts(b, ",,,");
        if (pushed >= 0 && ms->fate[oi].bound >= 0)
            sbuf_printf(b, "%lld", (long long)ms->fate[oi].bound);
        sbuf_putc(b, '\n');
    }
}

/* ---- API calls ------------------------------------------------------------------- */

typedef struct {
    int64_t calls[2], r429[2], retries[2], sale_writes;
} api_totals;

/* Calls per system and tick; over the limit (429, and Cin7's 503); the
 * calls a robust client retries (429, 5xx, no answer); Cin7's sale writes
 * answered 200. */
static api_totals api_calls(const run_model *m, const ticks *ts)
{
    api_totals a = {0};
    for (size_t i = 0; i < m->n_requests; i++) {
        const model_request *r = &m->requests[i];
        int s = r->system == MODEL_SHOPIFY;
        int over = r->status == 429 || (!s && r->status == 503);
        tick *tk = tick_at(ts, r->t);
        *(s ? &tk->api_shopify : &tk->api_cin7) += 1;
        *(s ? &tk->r429_shopify : &tk->r429_cin7) += over;
        a.calls[s]++;
        a.r429[s] += over;
        a.retries[s] += r->status == 0 || r->status == 429 || r->status >= 500;
        a.sale_writes += !s && r->sale_write && r->status == 200;
    }
    return a;
}

/* ---- order statuses -------------------------------------------------------------- */

/* The status mapping's figures (statmap.h); null when the model does not
 * hold Shopify's side of order statuses (the simulator's). */
static void status_metrics(const run_model *m, cJSON *mt)
{
    static const char *const names[] = {"status_mismatches", "notifications_missing",
                                        "notifications_duplicated"};
    if (!m->statuses_known) {
        for (size_t i = 0; i < 3; i++)
            cJSON_AddNullToObject(mt, names[i]);
        cJSON *lag = cJSON_AddObjectToObject(mt, "status_lag_ms");
        static const char *const keys[] = {"count", "p50", "p95", "p99", "max", "mean"};
        for (size_t i = 0; i < 6; i++)
            cJSON_AddNullToObject(lag, keys[i]);
        return;
    }
    hist *h = hist_new();
    statmap_figures f = statmap_measure(m, h);
    const int64_t v[] = {f.mismatches, f.notes_missing, f.notes_duplicated};
    for (size_t i = 0; i < 3; i++)
        cJSON_AddNumberToObject(mt, names[i], (double)v[i]);
    cJSON_AddItemToObject(mt, "status_lag_ms", latency_json(h, NULL, 0));
    hist_free(h);
}

/* ---- product data ownership ------------------------------------------------------ */

/* A value as a person reads it: a Cin7 weight with its unit. */
static cJSON *shown_value(const char *v, const char *units)
{
    if (!v)
        return cJSON_CreateNull();
    if (!units || !*units)
        return cJSON_CreateString(v);
    char *both = xasprintf("%s %s", v, units);
    cJSON *j = cJSON_CreateString(both);
    free(both);
    return j;
}

/* The pairs left apart after the drain, for a person to look at: SKU,
 * field, its owner and the value its people set, each side's final value
 * and since when (simulated seconds from the start) it differed. */
static cJSON *fields_apart(const run_model *m, const prodmap_figures *f)
{
    const scenario *sc = m->sc;
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < f->n_apart; i++) {
        const prodmap_apart *a = &f->apart[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "sku", sc->skus[a->sku].sku);
        cJSON_AddStringToObject(o, "field", scenario_field_names[a->field]);
        cJSON_AddStringToObject(o, "owner", sc->ownership.owner[a->field] == SC_OWNER_CIN7
                                                ? "cin7"
                                                : "shopify");
        cJSON_AddItemToObject(o, "owner_value", shown_value(a->owner, a->owner_units));
        cJSON_AddItemToObject(o, "cin7", shown_value(a->value[0], a->cin7_units));
        cJSON *shops = cJSON_AddObjectToObject(o, "shops");
        for (size_t s = 0; s < sc->n_shops; s++)
            cJSON_AddItemToObject(shops, sc->shops[s].domain, shown_value(a->value[1 + s], NULL));
        if (a->since >= 0)
            cJSON_AddNumberToObject(o, "apart_since_s", round((double)a->since / 100.0) / 10.0);
        else
            cJSON_AddNullToObject(o, "apart_since_s");
        cJSON_AddItemToArray(list, o);
    }
    return list;
}

/* The ownership figures (prodmap.h); null without an ownership section
 * or when the model holds no product data (the simulator's). Stretches
 * are in minutes, to 2 decimals. The pairs left apart go to *apart. */
static void product_metrics(const run_model *m, cJSON *mt, cJSON **apart)
{
    static const char *const keys[] = {"count", "p50", "p95", "p99", "max", "mean"};
    cJSON *dm = cJSON_CreateObject();
    if (!m->products_known || !m->sc->ownership.given) {
        cJSON_AddNullToObject(mt, "field_discrepancies");
        for (size_t i = 0; i < 6; i++)
            cJSON_AddNullToObject(dm, keys[i]);
        cJSON_AddItemToObject(mt, "discrepancy_minutes", dm);
        cJSON_AddNullToObject(mt, "price_discrepancy_revenue");
        return;
    }
    hist *h = hist_new();
    prodmap_figures f = prodmap_measure(m, h);
    cJSON_AddNumberToObject(mt, "field_discrepancies", (double)f.n_apart);
    *apart = fields_apart(m, &f);
    cJSON_AddNumberToObject(dm, "count", (double)hist_count(h));
    double v[5] = {0};
    if (hist_count(h)) {
        v[0] = (double)hist_percentile(h, 50);
        v[1] = (double)hist_percentile(h, 95);
        v[2] = (double)hist_percentile(h, 99);
        v[3] = (double)hist_max(h);
        v[4] = hist_mean(h);
    }
    for (size_t i = 0; i < 5; i++) {
        if (hist_count(h))
            cJSON_AddNumberToObject(dm, keys[i + 1], round(v[i] / 600.0) / 100.0);
        else
            cJSON_AddNullToObject(dm, keys[i + 1]);
    }
    cJSON_AddItemToObject(mt, "discrepancy_minutes", dm);
    cJSON_AddNumberToObject(mt, "price_discrepancy_revenue", (double)f.revenue_cents / 100.0);
    prodmap_figures_free(&f);
    hist_free(h);
}

/* ---- the run ------------------------------------------------------------------ */

/* Per-SKU sums of the records that are plain sums. */
static int64_t sku_sums(meas *ms)
{
    const run_model *m = ms->m;
    const scenario *sc = ms->sc;
    int64_t backorder_units = 0;
    for (size_t i = 0; i < m->n_backorders; i++) {
        const model_backorder *b = &m->backorders[i];
        if (b->filled)
            continue;
        backorder_units += b->qty;
        if (b->sku >= 0)
            ms->skus[b->sku].backorder += b->qty;
    }
    for (size_t i = 0; i < m->n_channel_sales; i++)
        if (m->channel_sales[i].accepted)
            ms->skus[m->channel_sales[i].sku].accepted_other += m->channel_sales[i].qty;
    for (size_t k = 0; k < sc->n_skus; k++)
        for (size_t w = 0; w < sc->n_warehouses; w++)
            ms->skus[k].final_mapped_available += m->final_available[k * sc->n_warehouses + w];
    return backorder_units;
}

int measure_model(const run_model *m, const measure_params *p, measure_output *out)
{
    memset(out, 0, sizeof *out);
    const scenario *sc = m->sc;
    measure_params none = {NULL, -1, -1};
    meas ms = {.m = m, .p = p ? p : &none, .sc = sc};
    ms.fate = xcalloc(m->n_orders + 1, sizeof *ms.fate);
    for (size_t i = 0; i < m->n_orders; i++)
        ms.fate[i].pushed = ms.fate[i].bound = -1;
    ms.skus = xcalloc(sc->n_skus + 1, sizeof *ms.skus);
    ticks ts = {.n = (size_t)(m->end / sc->tick_ms) + 2, .tick_ms = sc->tick_ms};
    ts.t = xcalloc(ts.n, sizeof *ts.t);
    for (size_t i = 0; i < ts.n; i++)
        ts.t[i].queue = -1;

    int64_t duplicate_sales = replay_sales(&ms);
    int64_t backorder_units = sku_sums(&ms);
    int64_t po_drafts = 0, duplicate_pos = 0;
    purchase_lines(m, &po_drafts, &duplicate_pos);
    hist *push_h = hist_new(), *prop_h = hist_new(), *po_h = hist_new();
    hist *push_b = hist_new(), *prop_b = hist_new();
    size_t n_changes = 0;
    size_t *changes = unseen_changes(m, &n_changes);
    unsigned char *followed = xcalloc(n_changes + 1, 1);
    int64_t *prop_lat = xcalloc(n_changes + 1, sizeof *prop_lat);
    int64_t *prop_bound = xcalloc(n_changes + 1, sizeof *prop_bound);
    int64_t unpropagated = propagation(m, changes, n_changes, prop_h, followed, prop_lat);
    int64_t po_missing = po_draft_latency(m, po_h);
    int64_t misrouted = misrouted_units(&ms);
    order_counts oc = per_order(&ms, push_h);
    physical_bounds(&ms, changes, followed, n_changes, push_b, prop_b, prop_bound);
    propagation_csv(m, changes, n_changes, prop_lat, prop_bound, &out->propagation);
    free(changes);
    free(followed);
    free(prop_lat);
    free(prop_bound);
    undersell(&ms);
    sku_totals st = per_sku_and_shop(&ms, out);
    int hot[MAX_HOT];
    int n_hot = hot_skus(&ms, hot);
    out->hot_skus = cJSON_CreateArray();
    for (int h = 0; h < n_hot; h++)
        cJSON_AddItemToArray(out->hot_skus, cJSON_CreateString(sc->skus[hot[h]].sku));
    api_totals api = api_calls(m, &ts);
    time_series(&ms, &ts, hot, n_hot, &out->timeseries);
    events_csv(&ms, &out->events);

    int64_t sold_out = 0, errors = 0;
    for (size_t i = 0; i < m->n_arrivals; i++) {
        sold_out += m->arrivals[i].a.shopify && m->arrivals[i].result == OUT_SOLD_OUT;
        errors += m->arrivals[i].result == OUT_ERROR;
    }
    double per_order = oc.paid ? 1.0 / (double)oc.paid : 0;
    cJSON *mt = cJSON_CreateObject();
    cJSON_AddNumberToObject(mt, "oversell_units", (double)st.oversell);
    cJSON_AddNumberToObject(mt, "undersell_units", (double)st.undersold);
    cJSON_AddNumberToObject(mt, "stranded_units", (double)st.stranded);
    cJSON_AddNumberToObject(mt, "lost_revenue", st.lost_revenue);
    cJSON_AddNumberToObject(mt, "backorder_units", (double)backorder_units);
    cJSON_AddItemToObject(mt, "order_push_latency_ms", latency_json(push_h, push_b, 1));
    cJSON_AddItemToObject(mt, "inventory_propagation_ms", latency_json(prop_h, prop_b, 1));
    cJSON_AddItemToObject(mt, "po_draft_latency_ms", latency_json(po_h, NULL, 0));
    cJSON_AddNumberToObject(mt, "duplicate_pos", (double)duplicate_pos);
    cJSON_AddNumberToObject(mt, "duplicate_sales", (double)duplicate_sales);
    cJSON_AddNumberToObject(mt, "dropped_events", (double)oc.dropped);
    if (m->dead_letters_unknown)
        cJSON_AddNullToObject(mt, "dead_lettered");
    else
        cJSON_AddNumberToObject(mt, "dead_lettered", (double)m->n_dead_letters);
    cJSON_AddNumberToObject(mt, "final_drift_units", (double)st.drift);
    cJSON_AddNumberToObject(mt, "misrouted_units", (double)misrouted);
    cJSON_AddNumberToObject(mt, "held_back_units", (double)st.held_back);
    add_per_system(mt, "api_calls", api.calls[0], api.calls[1], per_order);
    /* What a pushed order really costs at each API: every call of the run
     * over the orders that reached Cin7, and the sale writes alone (two per
     * sale as Cin7 takes them: header, then lines). */
    cJSON *calls = cJSON_GetObjectItemCaseSensitive(mt, "api_calls");
    double per_pushed = oc.pushed ? 1.0 / (double)oc.pushed : 0;
    cJSON_AddNumberToObject(calls, "cin7_per_pushed_order",
                            round((double)api.calls[0] * per_pushed * 100) / 100);
    cJSON_AddNumberToObject(calls, "shopify_per_pushed_order",
                            round((double)api.calls[1] * per_pushed * 100) / 100);
    cJSON_AddNumberToObject(calls, "cin7_sale_writes_per_pushed_order",
                            round((double)api.sale_writes * per_pushed * 100) / 100);
    add_per_system(mt, "http_429", api.r429[0], api.r429[1], per_order);
    /* The share of Cin7's answers that said "over the limit": what
     * instances sharing one budget must keep near 0. */
    cJSON_AddNumberToObject(cJSON_GetObjectItemCaseSensitive(mt, "http_429"), "cin7_share",
                            api.calls[0] ? round((double)api.r429[0] / (double)api.calls[0] * 1e4) / 1e4
                                         : 0);
    add_per_system(mt, "retries", api.retries[0], api.retries[1], per_order);
    cJSON_AddNumberToObject(mt, "orders_paid", (double)oc.paid);
    cJSON_AddNumberToObject(mt, "orders_pushed", (double)oc.pushed);
    cJSON_AddNumberToObject(mt, "orders_unpushed", (double)oc.unpushed);
    cJSON_AddNumberToObject(mt, "accepted_units", (double)st.accepted_units);
    cJSON_AddNumberToObject(mt, "sold_out_checkouts", (double)sold_out);
    cJSON_AddNumberToObject(mt, "checkout_errors", (double)errors);
    cJSON_AddNumberToObject(mt, "inventory_unpropagated", (double)unpropagated);
    cJSON_AddNumberToObject(mt, "po_drafts", (double)po_drafts);
    cJSON_AddNumberToObject(mt, "po_drafts_missing", (double)po_missing);
    status_metrics(m, mt);
    product_metrics(m, mt, &out->fields_apart);
    out->metrics = mt;

    hist_free(push_h);
    hist_free(prop_h);
    hist_free(po_h);
    hist_free(push_b);
    hist_free(prop_b);
    free(ts.t);
    free(ms.fate);
    free(ms.skus);
    return 0;
}

int measure_run(const measure_input *in, measure_output *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    run_model *m = NULL;
    if (ingest_run(in, &m, err, errlen) != 0)
        return -1;
    measure_params p = {in->shop_buffers, in->low_stock_split, in->kit_low_stock_split};
    int rc = measure_model(m, &p, out);
    model_free(m);
    return rc;
}

void measure_output_free(measure_output *out)
{
    cJSON_Delete(out->metrics);
    cJSON_Delete(out->per_sku);
    cJSON_Delete(out->per_shop);
    cJSON_Delete(out->hot_skus);
    cJSON_Delete(out->fields_apart);
    sbuf_free(&out->timeseries);
    sbuf_free(&out->events);
    sbuf_free(&out->propagation);
    memset(out, 0, sizeof *out);
}
