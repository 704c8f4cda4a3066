/*
 * The simulator; see sim.h. The file runs in sections: the world's state,
 * the journals (in the mocks' format, for the measurement), Cin7 (stock,
 * sales, notifications, its limit), Shopify (checkout, webhooks, levels),
 * the engine model (calls and the Cin7 gate, workers and the order
 * handler, the inventory pass, poll mode), and the run (the event loop,
 * the drain, the measurement).
 */
#include "sim.h"

#include "params.h"
#include "../engine/syncd/config.h"
#include "../mocks/cin7/config.h"
#include "../mocks/shopify/spec.h"

#include "avail.h"
#include "bucket.h"
#include "coalesce.h"
#include "demand.h"
#include "evheap.h"
#include "json.h"
#include "measure.h"
#include "mem.h"
#include "pace.h"
#include "results.h"
#include "rng.h"
#include "route.h"
#include "sbuf.h"
#include "setup.h"
#include "share.h"
#include "supply.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_GROUPS 8
#define LEVEL_BATCH 250     /* items per GraphQL level read or write (Shopify's cap) */
#define SAMPLE_MS 1000      /* queue depth samples */
#define MAX_CAS_TRIES 5
#define READ_WAIT_MS 3000   /* inventory.c: a sync waits this long for a read */
#define SETTLE_RETRY_MS 1000 /* replen.c: a SKU put off by a sale in flight */
#define SETTLE_MAX_MS 60000
#define DAY_MS 86400000.0

/* ---- the world's state ---------------------------------------------------------- */

enum {
    EV_ARRIVAL,     /* the next demand arrival is due */
    EV_HOOK,        /* ref: order; an orders/paid delivery reaches the engine */
    EV_C7_FLUSH,    /* Cin7's notification window closes */
    EV_C7_HOOK,     /* Cin7's stock notification reaches the engine */
    EV_CALL_ARRIVE, /* ref: call; the request reaches the API */
    EV_CALL_DONE,   /* ref: call; the answer reaches the engine */
    EV_GATE,        /* the Cin7 gate may have a permit */
    EV_STEP,        /* ref: worker; the worker's handling delay is over */
    EV_INV,         /* the inventory thread looks for work */
    EV_POLL,        /* poll mode's interval */
    EV_SAMPLE,      /* a queue depth sample */
    EV_READ_WAIT,   /* arg: pass; the pass stops waiting for its read */
    EV_REPLEN,      /* the replenishment thread looks for work */
};

typedef enum { SYS_CIN7, SYS_SHOPIFY } sys;

typedef enum {
    CALL_SALE,        /* POST sale: the header */
    CALL_SALE_LINES,  /* POST sale/order: the lines, authorised */
    CALL_STOCK_READ,  /* GET ref/productavailability, one page */
    CALL_LEVEL_READ,  /* GraphQL inventory levels of a batch */
    CALL_LEVEL_WRITE, /* GraphQL inventorySetQuantities of a batch */
    CALL_ORDERS_LIST, /* poll mode: GET orders updated since */
    CALL_PRODUCTS,    /* replenishment: GET product (supplier records) */
    CALL_PO_LIST,     /* GET purchaseList?OrderStatus=DRAFT */
    CALL_PO_HEADER,   /* POST advanced-purchase */
    CALL_PO_READ,     /* GET purchase/order?TaskID= */
    CALL_PO_LINES,    /* POST purchase/order: the draft's lines */
} call_kind;

typedef struct {
    call_kind kind;
    sys to;
    int prio;         /* share.h class */
    long owner;       /* order (sales), shop (levels), -1 */
    int group;        /* sales: the routing group */
    int64_t sent;     /* when it left the engine */
    int status;       /* the API's answer */
} call;

typedef struct {
    int n;
    int sku[DEMAND_MAX_LINES];
    int64_t qty[DEMAND_MAX_LINES];
} lines;

typedef struct {
    int shop, stream, region;
    long id;              /* Shopify order id */
    lines l;
    int64_t placed;
    int queued;           /* the engine has its event */
    int reserved;
    int64_t pushed;       /* -1: not yet; the pending units close then */
    int64_t sent;         /* the first sale call left (-1 not yet) */
    int n_groups;
    int g_loc[MAX_GROUPS];
    lines g_lines[MAX_GROUPS];
    int next_group;
} order;

typedef struct {
    int busy;
    long order;           /* the order it handles */
    int step;             /* 0 reserve, 1 route and push, 2 pushed */
} worker;

/* One shop's baseline of a SKU: the level syncd last wrote or checked and
 * the units of its orders it knew then (avail.h's unknown units). */
typedef struct {
    int64_t level, known, unknown;
    int have;
} baseline;

typedef struct {
    const scenario *sc;
    syncd_config *cfg;
    sim_params p;
    rng r_net, r_hook;
    evheap h;
    int64_t now;
    size_t n_skus, n_wh, n_shops;
    /* Cin7 */
    int64_t *on_hand, *allocated; /* [sku * n_wh + wh] */
    int *dirty_cell;              /* changed since the last notification */
    int flush_pending;
    int64_t c7_coalesce_ms, c7_first_attempt_ms;
    window_limiter *c7_limit;
    int c7_over_status;
    long next_sale;
    /* Shopify */
    int64_t *level;               /* [shop * n_skus + sku] */
    leaky_bucket **gql;           /* per shop */
    spec_webhooks hooks;          /* mock-shopify's delivery settings */
    long next_order_id;
    long next_hook;
    /* orders */
    order *orders;
    size_t n_orders, cap_orders;
    demand *dem;
    demand_arrival next;
    int have_next;
    lg_record *records;
    size_t n_records, cap_records;
    /* the engine */
    call *calls;
    size_t n_calls, cap_calls;
    long *waiting[SHARE_CLASSES]; /* Cin7 calls waiting for a permit, FIFO per class */
    size_t n_wait[SHARE_CLASSES], cap_wait[SHARE_CLASSES], head_wait[SHARE_CLASSES];
    window_limiter *gate;
    pace pc;
    share sh;
    int64_t gate_at;              /* an EV_GATE is scheduled then (-1 none) */
    long *queue;                  /* orders whose event waits for a worker, FIFO */
    size_t n_queue, cap_queue, head_queue;
    worker *workers;
    size_t n_workers;
    size_t in_flight;             /* calls sent and not answered */
    route_location *locs;         /* syncd's locations, as route.h takes them */
    route_region *regions;
    int **region_locs;
    int poll;                     /* syncd's poll mode */
    int64_t poll_cutoff;          /* the last orders list reached Shopify then */
    /* the inventory thread */
    coalescer *marks;
    char **batch;
    int inv_busy, inv_wake;
    int stock_changed;
    int64_t full_read_at;         /* when the last full read started (-1 never) */
    int64_t *fig;                 /* cached Available [sku * n_wh + wh] */
    int reads_left;               /* pages of the running read (0: none runs) */
    int64_t read_started;
    int read_sent;                /* its first page has left */
    int64_t *fig_new;             /* the running read's figures */
    int read_requested;           /* a pass asked for a read while one ran */
    int read_owed;                /* a pass went on cached figures: mark all when one lands */
    int pass_waiting;             /* the pass waits for the read (until its timeout) */
    uint64_t pass_seq;            /* tells a pass's timeout from a later pass's */
    struct route_rec {
        size_t cell;
        long order;
        int group;
        int64_t qty, at;          /* at: when its sale was pushed (INT64_MAX: not yet) */
    } *routes;                    /* units routed; until a read started after the push */
    size_t n_routes, cap_routes;
    int pass_shop;
    int cas_tries;
    int64_t *read_level;          /* levels of the pass's shop as read */
    size_t n_pass;
    int *pass_sku;
    baseline *base;               /* [shop * n_skus + sku] */
    /* replenishment (replen.c) */
    int replen;                   /* enabled */
    coalescer *rmarks, *rsettle;
    int64_t *waiting_since;       /* per SKU: put off since (-1 not) */
    int64_t next_sweep;
    int replen_busy, replen_wake, supply_loaded;
    int64_t replen_wake_at;
    int64_t *draft_qty;           /* [supplier * n_skus + sku]: the open draft's line, 0 none */
    int *has_draft;               /* per supplier */
    long n_drafts;
    int *want_sup;                /* the check's lines: supplier, SKU, quantity */
    int *want_sku;
    int64_t *want_qty;
    size_t n_want, want_at;       /* lines, and the first of the supplier being written */
    /* the journals */
    FILE *cj, *sj;
    int journal_failed;
    measure_sample *samples;
    size_t n_samples, cap_samples;
    int quiet_samples;
    /* the ledger's sums (store.c's reservations) */
    int64_t *known;               /* [shop * n_skus + sku]: units of reserved orders */
    int64_t *reserved_units;      /* per SKU, all shops */
    struct pushes {
        int64_t *t, *cum;         /* push times, and units pushed up to each */
        size_t n, cap;
    } *pushed;                    /* per SKU */
    uint64_t n_events;            /* fired, for the speed figure */
} world;

static void schedule(world *w, int kind, int64_t due, long ref, int64_t arg)
{
    evheap_push(&w->h, (evheap_ev){.due_ms = due, .kind = kind, .ref = ref, .arg = arg});
}

/* A draw of d in virtual ms. */
static int64_t draw(world *w, rng *r, const sim_dist *d)
{
    if (d->median_ms <= 0)
        return 0;
    double v = d->p99_ms > d->median_ms ? rng_lognormal(r, d->median_ms, d->p99_ms) : d->median_ms;
    return (int64_t)(v * w->sc->time_scale + 0.5);
}

static const char *sku_name(const world *w, int k)
{
    return w->sc->skus[k].sku;
}

/* ---- the journals ------------------------------------------------------------------ */

static void jline(world *w, FILE *f, const char *kind, const sbuf *body)
{
    if (fprintf(f, "{\"t\":%lld,\"kind\":\"%s\"%s%s}\n", (long long)w->now, kind,
                body && body->len ? "," : "", body ? sbuf_str(body) : "") < 0)
        w->journal_failed = 1;
}

static void put_lines(world *w, sbuf *b, const lines *l)
{
    sbuf_puts(b, "\"lines\":[");
    for (int i = 0; i < l->n; i++)
        sbuf_printf(b, "%s{\"sku\":\"%s\",\"qty\":%lld}", i ? "," : "", sku_name(w, l->sku[i]),
                    (long long)l->qty[i]);
    sbuf_puts(b, "]");
}

static void journal_request(world *w, const call *c)
{
    static const char *const routes[] = {
        [CALL_SALE] = "/ExternalApi/v2/sale", [CALL_SALE_LINES] = "/ExternalApi/v2/sale/order",
        [CALL_STOCK_READ] = "/ExternalApi/v2/ref/productavailability",
        [CALL_LEVEL_READ] = "/admin/api/graphql.json",
        [CALL_LEVEL_WRITE] = "/admin/api/graphql.json",
        [CALL_ORDERS_LIST] = "/admin/api/orders.json",
        [CALL_PRODUCTS] = "/ExternalApi/v2/product",
        [CALL_PO_LIST] = "/ExternalApi/v2/purchaseList",
        [CALL_PO_HEADER] = "/ExternalApi/v2/advanced-purchase",
        [CALL_PO_READ] = "/ExternalApi/v2/purchase/order",
        [CALL_PO_LINES] = "/ExternalApi/v2/purchase/order"};
    int post = c->kind == CALL_SALE || c->kind == CALL_SALE_LINES || c->kind == CALL_LEVEL_READ ||
               c->kind == CALL_LEVEL_WRITE || c->kind == CALL_PO_HEADER || c->kind == CALL_PO_LINES;
    sbuf b = SBUF_INIT;
    sbuf_printf(&b, "\"client\":\"syncd\",\"method\":\"%s\",\"route\":\"%s\",\"status\":%d",
                post ? "POST" : "GET", routes[c->kind], c->status);
    jline(w, c->to == SYS_CIN7 ? w->cj : w->sj, "request", &b);
    sbuf_free(&b);
}

/* ---- Cin7 ----------------------------------------------------------------------------- */

static int64_t c7_avail(const world *w, int k, int l)
{
    size_t i = (size_t)k * w->n_wh + (size_t)l;
    return w->on_hand[i] - w->allocated[i];
}

/* A cell changed: journal it and open the notification window. */
static void c7_note(world *w, int k, int l, const char *cause, int64_t avail_before)
{
    size_t i = (size_t)k * w->n_wh + (size_t)l;
    /* (A seed's before is its own figure: no notification.) */
    sbuf b = SBUF_INIT;
    sbuf_printf(&b,
                "\"sku\":\"%s\",\"location\":\"%s\",\"on_hand\":%lld,\"allocated\":%lld,"
                "\"available\":%lld,\"on_order\":0,\"in_transit\":0,\"cause\":\"%s\"",
                sku_name(w, k), w->sc->warehouses[l].name, (long long)w->on_hand[i],
                (long long)w->allocated[i], (long long)c7_avail(w, k, l), cause);
    jline(w, w->cj, "stock", &b);
    sbuf_free(&b);
    if (c7_avail(w, k, l) != avail_before && !w->dirty_cell[i]) {
        w->dirty_cell[i] = 1;
        if (!w->flush_pending) {
            w->flush_pending = 1;
            schedule(w, EV_C7_FLUSH, w->now + w->c7_coalesce_ms, 0, 0);
        }
    }
}

static void c7_channel_sale(world *w, const demand_arrival *a, lg_record *rec)
{
    int k = a->lines[0].sku, l = a->warehouse;
    int64_t q = a->lines[0].qty, before = c7_avail(w, k, l);
    int accepted = before >= q;
    sbuf b = SBUF_INIT;
    sbuf_printf(&b,
                "\"sku\":\"%s\",\"location\":\"%s\",\"channel\":\"%s\",\"qty\":%lld,"
                "\"accepted\":%s,\"available_before\":%lld",
                sku_name(w, k), w->sc->warehouses[l].name, w->sc->streams[a->stream].channel,
                (long long)q, accepted ? "true" : "false", (long long)before);
    jline(w, w->cj, "channel_sale", &b);
    sbuf_free(&b);
    if (accepted) {
        w->on_hand[(size_t)k * w->n_wh + (size_t)l] -= q;
        c7_note(w, k, l, "channel_sale", before);
    }
    rec->result = accepted ? OUT_ACCEPTED : OUT_SOLD_OUT;
}

/* The stock notification window closes: one delivery of the changed rows. */
static void c7_flush(world *w)
{
    w->flush_pending = 0;
    memset(w->dirty_cell, 0, w->n_skus * w->n_wh * sizeof *w->dirty_cell);
    if (w->poll)
        return; /* a polling engine subscribes to nothing */
    /* The first attempt leaves first_attempt_after the change that opened
     * the window, or at once when the window is longer (mock-cin7). */
    int64_t wait = w->c7_first_attempt_ms - w->c7_coalesce_ms;
    schedule(w, EV_C7_HOOK, w->now + (wait > 0 ? wait : 0) + draw(w, &w->r_hook, &w->p.webhook),
             0, 0);
}

/* POST sale/order reached Cin7: the lines are authorised, each allocated
 * where stock is and backordered for the rest. */
static void c7_sale_lines(world *w, order *o, int g)
{
    const lines *l = &o->g_lines[g];
    int loc = o->g_loc[g];
    sbuf b = SBUF_INIT;
    sbuf_printf(&b, "\"id\":\"sale-%ld-%d\",\"customer_reference\":\"%ld\",\"location\":\"%s\",",
                o->id, g, o->id, w->sc->warehouses[loc].name);
    put_lines(w, &b, l);
    jline(w, w->cj, "sale_authorised", &b);
    sbuf_free(&b);
    for (int i = 0; i < l->n; i++) {
        int k = l->sku[i];
        int64_t before = c7_avail(w, k, loc);
        int64_t take = before > 0 ? (before < l->qty[i] ? before : l->qty[i]) : 0;
        /* Cin7 allocates what the location has and backorders the rest:
         * the sale's lines hold every unit either way. */
        w->allocated[(size_t)k * w->n_wh + (size_t)loc] += l->qty[i];
        if (take < l->qty[i]) {
            sbuf bo = SBUF_INIT;
            sbuf_printf(&bo, "\"sku\":\"%s\",\"location\":\"%s\",\"qty\":%lld,\"sale\":\"sale-%ld-%d\"",
                        sku_name(w, k), w->sc->warehouses[loc].name,
                        (long long)(l->qty[i] - take), o->id, g);
            jline(w, w->cj, "backorder", &bo);
            sbuf_free(&bo);
        }
        c7_note(w, k, loc, "sale", before);
    }
}

/* ---- Shopify --------------------------------------------------------------------------- */

static int64_t *lvl(world *w, int shop, int k)
{
    return &w->level[(size_t)shop * w->n_skus + (size_t)k];
}

/* A delivery's way to the engine: the network, then mock-shopify's extra
 * delay (with its probability) and reordering, as its config sets them. */
static int64_t hook_delay(world *w)
{
    int64_t t = draw(w, &w->r_hook, &w->p.webhook);
    const spec_delay *x = &w->hooks.extra_delay;
    if (x->kind != SPEC_DELAY_NONE && rng_uniform(&w->r_hook) < x->probability) {
        double a = (double)x->a_ms, b = (double)x->b_ms;
        switch (x->kind) {
        case SPEC_DELAY_FIXED: t += x->a_ms; break;
        case SPEC_DELAY_UNIFORM: t += (int64_t)rng_range(&w->r_hook, a, b > a ? b : a + 1); break;
        case SPEC_DELAY_LOGNORMAL:
            t += (int64_t)(a > 0 ? rng_lognormal(&w->r_hook, a, b > a ? b : a) : 0);
            break;
        case SPEC_DELAY_EXPONENTIAL: t += (int64_t)rng_exponential(&w->r_hook, a); break;
        case SPEC_DELAY_NONE: break;
        }
    }
    if (w->hooks.reorder_window_ms > 0)
        t += (int64_t)rng_below(&w->r_hook, (uint64_t)w->hooks.reorder_window_ms);
    return t;
}

static void shop_checkout(world *w, const demand_arrival *a, lg_record *rec)
{
    /* Deny policy: every SKU's units, summed over its lines, must be there. */
    int sold_out = 0;
    for (int i = 0; i < a->n_lines; i++) {
        int64_t need = 0;
        for (int j = 0; j < a->n_lines; j++)
            if (a->lines[j].sku == a->lines[i].sku)
                need += a->lines[j].qty;
        if (*lvl(w, a->shop, a->lines[i].sku) < need)
            sold_out = 1;
    }
    lines l = {.n = a->n_lines};
    for (int i = 0; i < a->n_lines; i++) {
        l.sku[i] = a->lines[i].sku;
        l.qty[i] = a->lines[i].qty;
    }
    sbuf b = SBUF_INIT;
    sbuf_printf(&b, "\"shop\":\"%s\",\"result\":\"%s\",", w->sc->shops[a->shop].domain,
                sold_out ? "sold_out" : "accepted");
    if (sold_out) {
        sbuf_puts(&b, "\"order_id\":null,");
        put_lines(w, &b, &l);
        jline(w, w->sj, "checkout", &b);
        sbuf_free(&b);
        rec->result = OUT_SOLD_OUT;
        return;
    }
    XGROW(w->orders, w->n_orders, w->cap_orders, 256);
    long oi = (long)w->n_orders++;
    order *o = &w->orders[oi];
    memset(o, 0, sizeof *o);
    o->shop = a->shop;
    o->stream = a->stream;
    o->region = a->region;
    o->id = w->next_order_id++;
    o->l = l;
    o->placed = w->now;
    o->pushed = o->sent = -1;
    sbuf_printf(&b, "\"order_id\":%ld,", o->id);
    put_lines(w, &b, &l);
    jline(w, w->sj, "checkout", &b);
    sbuf_reset(&b);
    for (int i = 0; i < l.n; i++) {
        *lvl(w, a->shop, l.sku[i]) -= l.qty[i];
        sbuf_reset(&b);
        sbuf_printf(&b, "\"shop\":\"%s\",\"sku\":\"%s\",\"delta\":%lld,\"by\":\"checkout\"",
                    w->sc->shops[a->shop].domain, sku_name(w, l.sku[i]), (long long)-l.qty[i]);
        jline(w, w->sj, "inventory", &b);
    }
    sbuf_reset(&b);
    sbuf_printf(&b, "\"shop\":\"%s\",\"order_id\":%ld", w->sc->shops[a->shop].domain, o->id);
    jline(w, w->sj, "order_paid", &b);
    rec->result = OUT_ACCEPTED;
    rec->order_id = o->id;
    if (!w->poll) {
        long hid = w->next_hook++;
        sbuf_reset(&b);
        sbuf_printf(&b, "\"id\":\"hook-%ld\",\"topic\":\"orders/paid\",\"resource_id\":%ld", hid,
                    o->id);
        jline(w, w->sj, "webhook_queued", &b);
        schedule(w, EV_HOOK, w->now + hook_delay(w), oi, hid);
        if (w->hooks.duplicate_probability > 0 &&
            rng_uniform(&w->r_hook) < w->hooks.duplicate_probability)
            schedule(w, EV_HOOK, w->now + hook_delay(w), oi, hid); /* at least once */
    }
    sbuf_free(&b);
}

/* ---- the engine: calls and the Cin7 gate ----------------------------------------------- */

static void worker_next(world *w, size_t wi);
static void inv_call_done(world *w, long ci);
static void order_call_done(world *w, long ci);
static void poll_listed(world *w);
static void replen_arrive(world *w, const call *c);
static void replen_call_done(world *w, long ci);
static void replen_mark(world *w, const lines *l);

static void send_call(world *w, long ci)
{
    call *c = &w->calls[ci];
    c->sent = w->now;
    w->in_flight++;
    if (c->kind == CALL_STOCK_READ && !w->read_sent) {
        /* A read's figures are as of its first page leaving, after the
         * gate (outbound.c's sent_at), not of the pass asking for it. */
        w->read_sent = 1;
        w->read_started = w->now;
    }
    int64_t lat = draw(w, &w->r_net, c->to == SYS_CIN7 ? &w->p.cin7_call : &w->p.shopify_call);
    schedule(w, EV_CALL_ARRIVE, w->now + lat / 2, ci, lat - lat / 2);
}

static void gate_pump(world *w)
{
    for (;;) {
        int waiting[SHARE_CLASSES], any = 0;
        for (int c = 0; c < SHARE_CLASSES; c++) {
            waiting[c] = w->n_wait[c] > w->head_wait[c];
            any |= waiting[c];
        }
        if (!any)
            return;
        window_set_limit(w->gate, pace_calls(&w->pc));
        int64_t wait = window_wait(w->gate, w->now);
        if (wait > 0) {
            if (w->gate_at < 0 || w->gate_at > w->now + wait) {
                w->gate_at = w->now + wait;
                schedule(w, EV_GATE, w->gate_at, 0, 0);
            }
            return;
        }
        int c = share_next(&w->sh, waiting);
        if (c < 0 || !window_take(w->gate, w->now, NULL))
            return;
        share_took(&w->sh, c, waiting);
        long ci = w->waiting[c][w->head_wait[c]++];
        send_call(w, ci);
    }
}

/* A new call of the engine; Cin7 calls wait at the gate, Shopify calls go
 * (the GraphQL bucket is never near full at these sizes: see docs/sim.md). */
static long new_call(world *w, call_kind kind, sys to, int prio, long owner, int group)
{
    XGROW(w->calls, w->n_calls, w->cap_calls, 1024);
    long ci = (long)w->n_calls++;
    w->calls[ci] = (call){kind, to, prio, owner, group, -1, 0};
    if (to == SYS_CIN7) {
        XGROW(w->waiting[prio], w->n_wait[prio], w->cap_wait[prio], 256);
        w->waiting[prio][w->n_wait[prio]++] = ci;
        gate_pump(w);
    } else {
        send_call(w, ci);
    }
    return ci;
}

/* The request reaches its API: the limiter, then the effect. */
static void call_arrive(world *w, long ci, int64_t back)
{
    call *c = &w->calls[ci];
    c->status = 200;
    if (c->to == SYS_CIN7) {
        if (!window_take(w->c7_limit, w->now, NULL))
            c->status = w->c7_over_status;
    } else {
        double cost = c->kind == CALL_LEVEL_WRITE ? 10 : c->kind == CALL_LEVEL_READ ? 5 : 1;
        if (!leaky_take(w->gql[c->owner >= 0 ? c->owner : 0], w->now, cost, NULL))
            c->status = 429;
    }
    journal_request(w, c);
    if (c->status == 200) {
        if (c->kind == CALL_SALE) {
            order *o = &w->orders[c->owner];
            sbuf b = SBUF_INIT;
            sbuf_printf(&b, "\"id\":\"sale-%ld-%d\",\"customer_reference\":\"%ld\",\"location\":\"%s\"",
                        o->id, c->group, o->id, w->sc->warehouses[o->g_loc[c->group]].name);
            jline(w, w->cj, "sale_created", &b);
            sbuf_free(&b);
        } else if (c->kind == CALL_SALE_LINES) {
            c7_sale_lines(w, &w->orders[c->owner], c->group);
        } else if (c->kind == CALL_STOCK_READ) {
            /* The page's figures as Cin7 has them now. */
            for (size_t k = 0; k < w->n_skus; k++)
                for (size_t l = 0; l < w->n_wh; l++)
                    w->fig_new[k * w->n_wh + l] = c7_avail(w, (int)k, (int)l);
        } else if (c->kind == CALL_ORDERS_LIST) {
            w->poll_cutoff = w->now;
        } else if (c->kind >= CALL_PRODUCTS) {
            replen_arrive(w, c);
        } else if (c->kind == CALL_LEVEL_READ) {
            for (size_t i = 0; i < w->n_pass; i++)
                w->read_level[i] = *lvl(w, (int)c->owner, w->pass_sku[i]);
        } else if (c->kind == CALL_LEVEL_WRITE) {
            /* Compare-and-set: the whole mutation fails when a level moved
             * since it was read (a checkout in between). */
            int stale = 0;
            for (size_t i = 0; i < w->n_pass; i++)
                stale |= *lvl(w, (int)c->owner, w->pass_sku[i]) != w->read_level[i];
            if (stale)
                c->status = 409; /* a userError in a 200; the engine reads it as stale */
        }
    }
    schedule(w, EV_CALL_DONE, w->now + back, ci, 0);
}

static void call_done(world *w, long ci)
{
    call *c = &w->calls[ci];
    w->in_flight--;
    if (c->to == SYS_CIN7) {
        pace_on_answer(&w->pc, pace_answer_of(c->status == 409 ? 200 : c->status), w->now);
        if (c->status == 429 || c->status == 503) {
            /* Refused for the rate: the same call waits for a permit again. */
            long again = new_call(w, c->kind, c->to, c->prio, c->owner, c->group);
            (void)again;
            return;
        }
    } else if (c->status == 429) {
        new_call(w, c->kind, c->to, c->prio, c->owner, c->group);
        return;
    }
    if (c->kind == CALL_SALE || c->kind == CALL_SALE_LINES)
        order_call_done(w, ci);
    else if (c->kind >= CALL_PRODUCTS)
        replen_call_done(w, ci);
    else if (c->kind == CALL_ORDERS_LIST)
        poll_listed(w);
    else
        inv_call_done(w, ci);
}

/* ---- the engine: workers and orders/paid ------------------------------------------------- */

static void mark_skus(world *w, const lines *l, int changed)
{
    if (w->poll)
        return; /* poll mode: levels move only on the poll */
    for (int i = 0; i < l->n; i++)
        coalesce_mark(w->marks, sku_name(w, l->sku[i]), w->now);
    if (changed)
        w->stock_changed = 1;
    if (!w->inv_busy && !w->inv_wake) {
        w->inv_wake = 1;
        schedule(w, EV_INV, w->now, 0, 0);
    }
}

static void enqueue_order(world *w, long oi)
{
    order *o = &w->orders[oi];
    if (o->queued)
        return; /* the intake's dedup: the same order once */
    o->queued = 1;
    XGROW(w->queue, w->n_queue, w->cap_queue, 256);
    w->queue[w->n_queue++] = oi;
    for (size_t i = 0; i < w->n_workers; i++)
        if (!w->workers[i].busy) {
            worker_next(w, i);
            break;
        }
}

static void worker_next(world *w, size_t wi)
{
    worker *wk = &w->workers[wi];
    if (w->head_queue == w->n_queue) {
        wk->busy = 0;
        return;
    }
    wk->busy = 1;
    wk->order = w->queue[w->head_queue++];
    wk->step = 0;
    schedule(w, EV_STEP, w->now + draw(w, &w->r_net, &w->p.handling), (long)wi, 0);
}

/* Units routed to a cell that the cached figures cannot show yet: not
 * pushed before the read behind them started (stockcache_routable). */
static int64_t routed_since(const world *w, size_t cell)
{
    int64_t n = 0;
    for (size_t i = 0; i < w->n_routes; i++)
        if (w->routes[i].cell == cell && w->routes[i].at >= w->full_read_at)
            n += w->routes[i].qty;
    return n;
}

/* Routing from the cached figures less what was routed since (route.h). */
static void plan_order(world *w, order *o)
{
    route_address addr = {0};
    if (o->region >= 0) {
        const sc_region *reg = &w->sc->streams[o->stream].regions[o->region];
        addr = (route_address){reg->has_coords, reg->lat, reg->lon, reg->country, reg->postcode};
    }
    int64_t qty[DEMAND_MAX_LINES];
    int64_t *avail = xcalloc(w->n_wh * (size_t)o->l.n + 1, sizeof *avail);
    for (int i = 0; i < o->l.n; i++) {
        qty[i] = o->l.qty[i];
        for (size_t l = 0; l < w->n_wh; l++) {
            size_t c = (size_t)o->l.sku[i] * w->n_wh + l;
            avail[l * (size_t)o->l.n + (size_t)i] = w->fig[c] - routed_since(w, c);
        }
    }
    o->n_groups = 0;
    route_plan plan;
    if (route_order(w->locs, w->n_wh, w->regions, w->cfg->n_regions, &addr, qty, (size_t)o->l.n,
                    avail, &plan) == 0) {
        for (size_t a = 0; a < plan.n_allocs; a++) {
            const route_alloc *al = &plan.allocs[a];
            int g = -1;
            for (int k = 0; k < o->n_groups; k++)
                if (o->g_loc[k] == (int)al->location)
                    g = k;
            if (g < 0 && o->n_groups < MAX_GROUPS) {
                g = o->n_groups++;
                o->g_loc[g] = (int)al->location;
                o->g_lines[g].n = 0;
            }
            if (g < 0)
                continue;
            lines *gl = &o->g_lines[g];
            gl->sku[gl->n] = o->l.sku[al->line];
            gl->qty[gl->n++] = al->qty;
            XGROW(w->routes, w->n_routes, w->cap_routes, 256);
            w->routes[w->n_routes++] = (struct route_rec){
                (size_t)o->l.sku[al->line] * w->n_wh + al->location, (long)(o - w->orders), g,
                al->qty, INT64_MAX};
        }
        route_plan_free(&plan);
    }
    free(avail);
}

static void push_group(world *w, long oi)
{
    order *o = &w->orders[oi];
    if (o->sent < 0)
        o->sent = w->now;
    new_call(w, CALL_SALE, SYS_CIN7, SHARE_URGENT, oi, o->next_group);
}

static void worker_step(world *w, size_t wi)
{
    worker *wk = &w->workers[wi];
    order *o = &w->orders[wk->order];
    if (wk->step == 0) {
        /* Reserved: the units are pending, and every shop's level of
         * them comes down on the next pass. */
        o->reserved = 1;
        for (int i = 0; i < o->l.n; i++) {
            w->known[(size_t)o->shop * w->n_skus + (size_t)o->l.sku[i]] += o->l.qty[i];
            w->reserved_units[o->l.sku[i]] += o->l.qty[i];
        }
        mark_skus(w, &o->l, 0);
        replen_mark(w, &o->l);
        plan_order(w, o);
        wk->step = 1;
        o->next_group = 0;
        if (o->n_groups == 0) {
            wk->step = 2;
            schedule(w, EV_STEP, w->now, (long)wi, 0);
            return;
        }
        push_group(w, wk->order);
    } else if (wk->step == 2) {
        o->pushed = w->now;
        for (int i = 0; i < o->l.n; i++) {
            struct pushes *p = &w->pushed[o->l.sku[i]];
            if (p->n == p->cap) {
                p->cap = p->cap ? p->cap * 2 : 16;
                p->t = xrealloc(p->t, p->cap * sizeof *p->t);
                p->cum = xrealloc(p->cum, p->cap * sizeof *p->cum);
            }
            p->t[p->n] = w->now;
            p->cum[p->n] = (p->n ? p->cum[p->n - 1] : 0) + o->l.qty[i];
            p->n++;
        }
        mark_skus(w, &o->l, 1);
        worker_next(w, wi);
    }
}

static void order_call_done(world *w, long ci)
{
    call c = w->calls[ci];
    order *o = &w->orders[c.owner];
    if (c.kind == CALL_SALE) {
        new_call(w, CALL_SALE_LINES, SYS_CIN7, SHARE_URGENT, c.owner, c.group);
        return;
    }
    for (size_t i = 0; i < w->n_routes; i++)
        if (w->routes[i].order == c.owner && w->routes[i].group == c.group)
            w->routes[i].at = w->now; /* stockcache_pushed */
    o->next_group++;
    if (o->next_group < o->n_groups) {
        push_group(w, c.owner);
        return;
    }
    for (size_t i = 0; i < w->n_workers; i++)
        if (w->workers[i].busy && w->workers[i].order == c.owner) {
            w->workers[i].step = 2;
            schedule(w, EV_STEP, w->now + draw(w, &w->r_net, &w->p.handling), (long)i, 0);
        }
}

/* ---- the engine: the inventory pass -------------------------------------------------------- */

static int64_t known_units(const world *w, int shop, int k)
{
    return w->known[(size_t)shop * w->n_skus + (size_t)k];
}

/* Units of orders the figures read at as_of cannot show: reserved, and
 * not pushed before the read started. Pushes come in time order, so each
 * SKU's are a running total searched by time. */
static int64_t pending_units(const world *w, int k, int64_t as_of)
{
    const struct pushes *p = &w->pushed[k];
    size_t lo = 0, hi = p->n; /* the first push at or after as_of */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->t[mid] < as_of)
            lo = mid + 1;
        else
            hi = mid;
    }
    return w->reserved_units[k] - (lo ? p->cum[lo - 1] : 0);
}

static void inv_level_pass(world *w);

/* syncd's rule (inventory_refresh): a read when the figures are older than
 * snapshot_max_age, or when Cin7 stock moved and they are older than a
 * coalescing window (bursts share one read). Returns whether one started. */
static int read_start(world *w)
{
    int64_t age = w->now - w->full_read_at;
    if (!(w->full_read_at < 0 || age > w->cfg->snapshot_max_age_ms ||
          (w->stock_changed && age > w->cfg->coalesce_ms)))
        return 0;
    w->stock_changed = 0;
    size_t rows = w->n_skus * w->n_wh, page = (size_t)w->cfg->cin7_page_limit;
    w->reads_left = (int)((rows + page - 1) / page);
    w->read_sent = 0;
    for (int i = 0; i < w->reads_left; i++)
        new_call(w, CALL_STOCK_READ, SYS_CIN7, SHARE_NORMAL, -1, 0);
    return 1;
}

static void mark_all(world *w)
{
    if (w->poll)
        return; /* poll mode: levels move only on the poll */
    for (size_t k = 0; k < w->n_skus; k++)
        coalesce_mark(w->marks, sku_name(w, (int)k), w->now);
    if (!w->inv_busy && !w->inv_wake) {
        w->inv_wake = 1;
        schedule(w, EV_INV, w->now, 0, 0);
    }
}

/* A read landed: the cache takes its figures; a waiting pass goes on, or
 * the SKUs synced on older figures meanwhile are synced again. */
static void read_done(world *w)
{
    memcpy(w->fig, w->fig_new, w->n_skus * w->n_wh * sizeof *w->fig);
    w->full_read_at = w->read_started;
    size_t keep = 0;
    for (size_t i = 0; i < w->n_routes; i++)
        if (w->routes[i].at >= w->full_read_at)
            w->routes[keep++] = w->routes[i];
    w->n_routes = keep;
    if (w->pass_waiting) {
        w->pass_waiting = 0;
        inv_level_pass(w);
    } else if (w->read_owed) {
        w->read_owed = 0;
        mark_all(w);
    }
    if (w->read_requested) {
        w->read_requested = 0;
        read_start(w);
    }
}

static void read_wait_over(world *w, uint64_t seq)
{
    if (!w->pass_waiting || seq != w->pass_seq)
        return;
    w->pass_waiting = 0;
    w->read_owed = 1;
    inv_level_pass(w);
}

static void inv_start(world *w)
{
    w->inv_wake = 0;
    if (w->inv_busy)
        return;
    size_t n = coalesce_take(w->marks, w->now, w->batch, LEVEL_BATCH);
    if (!n) {
        int64_t due = coalesce_next_due(w->marks);
        if (due >= 0) {
            w->inv_wake = 1;
            schedule(w, EV_INV, due, 0, 0);
        }
        return;
    }
    w->inv_busy = 1;
    w->n_pass = n;
    for (size_t i = 0; i < n; i++) {
        w->pass_sku[i] = scenario_sku_index(w->sc, w->batch[i]);
        free(w->batch[i]);
    }
    w->pass_shop = 0;
    w->cas_tries = 0;
    /* The pass asks the stock reader for fresh figures and waits for them
     * READ_WAIT_MS at most, then goes on the cached ones (inventory.c's
     * fresh_or_cached); a read still running then is owed to every SKU. */
    if (w->reads_left) {
        w->read_requested = 1;
    } else if (!read_start(w)) {
        inv_level_pass(w);
        return;
    }
    w->pass_waiting = 1;
    schedule(w, EV_READ_WAIT, w->now + READ_WAIT_MS, 0, (int64_t)++w->pass_seq);
}

static void inv_level_pass(world *w)
{
    if ((size_t)w->pass_shop >= w->n_shops) {
        w->inv_busy = 0;
        if (!w->inv_wake) {
            w->inv_wake = 1;
            schedule(w, EV_INV, w->now, 0, 0);
        }
        return;
    }
    new_call(w, CALL_LEVEL_READ, SYS_SHOPIFY, SHARE_URGENT, w->pass_shop, 0);
}

/* The levels of the pass's shop are read: what each should show, written
 * when it differs. */
static void inv_plan_writes(world *w)
{
    int shop = w->pass_shop, any = 0;
    int64_t buffer = w->cfg->shops[shop].safety_buffer;
    for (size_t i = 0; i < w->n_pass; i++) {
        int k = w->pass_sku[i];
        int64_t unknown_total = 0;
        for (size_t s = 0; s < w->n_shops; s++) {
            baseline *b = &w->base[s * w->n_skus + (size_t)k];
            int64_t now_level = s == (size_t)shop ? w->read_level[i] : *lvl(w, (int)s, k);
            int64_t known = known_units(w, (int)s, k);
            int64_t u = b->have ? avail_unknown(b->unknown, b->level - now_level, known - b->known)
                                : 0;
            unknown_total += u;
        }
        int64_t cin7 = 0;
        for (size_t l = 0; l < w->n_wh; l++)
            cin7 += w->fig[(size_t)k * w->n_wh + l];
        avail_input in = {cin7, pending_units(w, k, w->full_read_at), unknown_total, 0};
        int64_t target = avail_shop_level(avail_target(&in), w->n_shops, (size_t)shop,
                                          w->cfg->low_stock_split, buffer);
        if (avail_should_write(target, w->read_level[i]))
            any = 1;
        w->read_level[w->n_pass + i] = target;
    }
    if (any) {
        new_call(w, CALL_LEVEL_WRITE, SYS_SHOPIFY, SHARE_URGENT, shop, 0);
        return;
    }
    /* Nothing to write: the levels read are the new baselines. */
    for (size_t i = 0; i < w->n_pass; i++) {
        int k = w->pass_sku[i];
        baseline *b = &w->base[(size_t)shop * w->n_skus + (size_t)k];
        int64_t known = known_units(w, shop, k);
        b->unknown = b->have ? avail_unknown(b->unknown, b->level - w->read_level[i],
                                             known - b->known)
                             : 0;
        b->level = w->read_level[i];
        b->known = known;
        b->have = 1;
    }
    w->pass_shop++;
    w->cas_tries = 0;
    inv_level_pass(w);
}

static void inv_call_done(world *w, long ci)
{
    call c = w->calls[ci];
    if (c.kind == CALL_STOCK_READ) {
        if (--w->reads_left > 0)
            return;
        read_done(w);
    } else if (c.kind == CALL_LEVEL_READ) {
        inv_plan_writes(w);
    } else if (c.kind == CALL_LEVEL_WRITE) {
        int shop = w->pass_shop;
        if (c.status == 409 && ++w->cas_tries < MAX_CAS_TRIES) {
            inv_level_pass(w); /* stale: read and decide again */
            return;
        }
        if (c.status == 200) {
            sbuf b = SBUF_INIT;
            for (size_t i = 0; i < w->n_pass; i++) {
                int k = w->pass_sku[i];
                int64_t target = w->read_level[w->n_pass + i];
                baseline *bl = &w->base[(size_t)shop * w->n_skus + (size_t)k];
                int64_t known = known_units(w, shop, k);
                bl->unknown = bl->have ? avail_unknown(bl->unknown, bl->level - w->read_level[i],
                                                       known - bl->known)
                                       : 0;
                bl->level = target;
                bl->known = known;
                bl->have = 1;
                if (target == w->read_level[i])
                    continue;
                *lvl(w, shop, k) = target;
                sbuf_reset(&b);
                sbuf_printf(&b, "\"shop\":\"%s\",\"sku\":\"%s\",\"available\":%lld,\"by\":\"graphql_set\"",
                            w->sc->shops[shop].domain, sku_name(w, k), (long long)target);
                jline(w, w->sj, "inventory", &b);
            }
            sbuf_free(&b);
        }
        w->pass_shop++;
        w->cas_tries = 0;
        inv_level_pass(w);
    }
}

/* ---- the engine: poll mode ------------------------------------------------------------------ */

static void poll_tick(world *w)
{
    new_call(w, CALL_ORDERS_LIST, SYS_SHOPIFY, SHARE_NORMAL, 0, 0);
    schedule(w, EV_POLL, w->now + w->cfg->poll_interval_ms, 0, 0);
}

/* The orders paid since the last poll become events; every SKU is synced
 * from a fresh read. */
static void poll_listed(world *w)
{
    for (size_t i = 0; i < w->n_orders; i++)
        if (w->orders[i].placed < w->poll_cutoff)
            enqueue_order(w, (long)i);
    for (size_t k = 0; k < w->n_skus; k++)
        coalesce_mark(w->marks, sku_name(w, (int)k), w->now);
    w->stock_changed = 1;
    if (!w->inv_busy && !w->inv_wake) {
        w->inv_wake = 1;
        schedule(w, EV_INV, w->now, 0, 0);
    }
}


/* ---- the engine: replenishment ------------------------------------------------------------ */

/* Wakes the replenishment thread at `at`, unless it already wakes sooner. */
static void replen_wake(world *w, int64_t at)
{
    if (!w->replen || w->replen_busy || (w->replen_wake && w->replen_wake_at <= at))
        return;
    w->replen_wake = 1;
    w->replen_wake_at = at;
    schedule(w, EV_REPLEN, at, 0, 0);
}

/* A paid order checks its SKUs (replen_mark), coalesced. */
static void replen_mark(world *w, const lines *l)
{
    if (!w->replen)
        return;
    for (int i = 0; i < l->n; i++)
        coalesce_mark(w->rmarks, sku_name(w, l->sku[i]), w->now);
    replen_wake(w, w->now);
}

static int supplier_of(const world *w, int k)
{
    const char *name = w->sc->skus[k].supplier;
    for (size_t i = 0; name && i < w->sc->n_suppliers; i++)
        if (strcmp(w->sc->suppliers[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int64_t pack_of(const world *w, int sup)
{
    for (size_t i = 0; i < w->cfg->n_pack; i++)
        if (strcmp(w->cfg->pack_supplier[i], w->sc->suppliers[sup].name) == 0)
            return w->cfg->pack_size[i];
    return 1;
}

/* What syncd's read_sku gathers for supply_decide: paid units over the
 * velocity window, the position from the cached figures, the units the
 * figures cannot show and those in flight when they were read. */
static supply_sku replen_read(world *w, int k, int sup)
{
    const sc_supplier *sp = &w->sc->suppliers[sup];
    supply_sku in = {.has_supplier = 1, .window_ms = w->cfg->replen_window_ms,
                     .cover_days = w->cfg->replen_cover_days,
                     .target_days = w->cfg->replen_target_days, .moq = sp->moq,
                     .pack = pack_of(w, sup), .lead_days = (double)sp->lead_ms / DAY_MS};
    int64_t from = w->now - w->cfg->replen_window_ms, as_of = w->full_read_at;
    for (size_t i = 0; i < w->n_orders; i++) {
        const order *o = &w->orders[i];
        int64_t units = 0;
        for (int j = 0; j < o->l.n; j++)
            units += o->l.sku[j] == k ? o->l.qty[j] : 0;
        if (!o->reserved || !units)
            continue;
        if (o->placed >= from && o->placed <= w->now)
            in.sold += units;
        int pending = o->pushed < 0 || o->pushed >= as_of;
        if (pending && o->sent >= 0 && o->sent <= as_of)
            in.in_flight += units;
    }
    if (as_of >= 0) {
        int64_t pos = 0;
        for (size_t l = 0; l < w->n_wh; l++)
            pos += w->fig[(size_t)k * w->n_wh + l];
        in.pos = (supply_pos){pos, w->n_wh, as_of};
        in.pending = pending_units(w, k, as_of);
    } else {
        in.pos = (supply_pos){0, 0, INT64_MAX};
        in.pending = -1;
    }
    int64_t since = w->waiting_since[k];
    in.may_wait = since < 0 || w->now - since < SETTLE_MAX_MS;
    return in;
}

static void replen_next_group(world *w);

/* The batch's decisions: the wanted lines, grouped by supplier in the
 * order of each supplier's first SKU (supply_group's order). */
static void replen_decide(world *w, const int *skus, size_t n)
{
    w->n_want = w->want_at = 0;
    for (size_t i = 0; i < n; i++) {
        int k = skus[i], sup = supplier_of(w, k);
        if (sup < 0)
            continue; /* cannot reorder: dead-lettered by syncd, nothing in Cin7 */
        supply_sku in = replen_read(w, k, sup);
        supply_decision d = supply_decide(&in);
        if (d.verdict == SUPPLY_WAIT) {
            if (w->waiting_since[k] < 0)
                w->waiting_since[k] = w->now;
            coalesce_mark(w->rsettle, sku_name(w, k), w->now);
            continue;
        }
        w->waiting_since[k] = -1;
        if (d.verdict != SUPPLY_ORDER)
            continue;
        w->want_sup[w->n_want] = sup;
        w->want_sku[w->n_want] = k;
        w->want_qty[w->n_want++] = d.reorder.quantity;
    }
    /* Stable grouping by supplier. */
    for (size_t i = 1; i < w->n_want; i++)
        for (size_t j = i; j > 0; j--) {
            int first_j = -1, first_p = -1;
            for (size_t q = 0; q < w->n_want; q++) {
                if (first_j < 0 && w->want_sup[q] == w->want_sup[j])
                    first_j = (int)q;
                if (first_p < 0 && w->want_sup[q] == w->want_sup[j - 1])
                    first_p = (int)q;
            }
            if (first_p <= first_j)
                break;
            int ts = w->want_sup[j], tk = w->want_sku[j];
            int64_t tq = w->want_qty[j];
            w->want_sup[j] = w->want_sup[j - 1];
            w->want_sku[j] = w->want_sku[j - 1];
            w->want_qty[j] = w->want_qty[j - 1];
            w->want_sup[j - 1] = ts;
            w->want_sku[j - 1] = tk;
            w->want_qty[j - 1] = tq;
        }
    replen_next_group(w);
}

/* The lines of the supplier group being written: [want_at, end). */
static size_t group_end(const world *w)
{
    size_t e = w->want_at;
    while (e < w->n_want && w->want_sup[e] == w->want_sup[w->want_at])
        e++;
    return e;
}

static void replen_next_group(world *w)
{
    if (w->want_at >= w->n_want) {
        w->replen_busy = 0;
        replen_wake(w, w->now);
        return;
    }
    int sup = w->want_sup[w->want_at];
    if (!w->has_draft[sup])
        new_call(w, CALL_PO_LIST, SYS_CIN7, SHARE_NORMAL, sup, 0);
    else
        new_call(w, CALL_PO_READ, SYS_CIN7, SHARE_NORMAL, sup, 0);
}

static void journal_purchase(world *w, int sup, const char *kind, int with_lines)
{
    sbuf b = SBUF_INIT;
    long no = (long)w->has_draft[sup];
    sbuf_printf(&b,
                "\"id\":\"po-%ld\",\"order_number\":\"PO-%05ld\",\"supplier\":\"%s\","
                "\"location\":\"%s\",\"status\":\"%s\",\"order_status\":\"%s\","
                "\"type\":\"Advanced Purchase\",\"application\":\"syncd\",\"lines\":[",
                no, no, w->sc->suppliers[sup].name, w->sc->warehouses[0].name,
                with_lines ? "ORDERING" : "DRAFT", with_lines ? "DRAFT" : "NOT AVAILABLE");
    int first = 1;
    for (size_t k = 0; with_lines && k < w->n_skus; k++) {
        int64_t q = w->draft_qty[(size_t)sup * w->n_skus + k];
        if (q <= 0)
            continue;
        sbuf_printf(&b, "%s{\"sku\":\"%s\",\"qty\":%lld}", first ? "" : ",", sku_name(w, (int)k),
                    (long long)q);
        first = 0;
    }
    sbuf_puts(&b, "]");
    jline(w, w->cj, kind, &b);
    sbuf_free(&b);
}

/* A replenishment call reached Cin7 (answered 200). */
static void replen_arrive(world *w, const call *c)
{
    int sup = (int)c->owner;
    if (c->kind == CALL_PO_HEADER) {
        w->has_draft[sup] = (int)++w->n_drafts;
        journal_purchase(w, sup, "purchase_created", 0);
    } else if (c->kind == CALL_PO_LINES) {
        for (size_t i = w->want_at, e = group_end(w); i < e; i++)
            w->draft_qty[(size_t)sup * w->n_skus + (size_t)w->want_sku[i]] = w->want_qty[i];
        journal_purchase(w, sup, "purchase_updated", 1);
    }
}

static void replen_call_done(world *w, long ci)
{
    call c = w->calls[ci];
    int sup = (int)c.owner;
    switch (c.kind) {
    case CALL_PRODUCTS:
        replen_decide(w, w->pass_sku + LEVEL_BATCH, (size_t)c.group);
        break;
    case CALL_PO_LIST: /* no open draft of the supplier in Cin7 */
        new_call(w, CALL_PO_HEADER, SYS_CIN7, SHARE_NORMAL, sup, 0);
        break;
    case CALL_PO_HEADER:
        new_call(w, CALL_PO_LINES, SYS_CIN7, SHARE_NORMAL, sup, 0);
        break;
    case CALL_PO_READ: {
        /* supply_merge: nothing is posted when nothing changes. */
        int changed = 0;
        for (size_t i = w->want_at, e = group_end(w); i < e; i++)
            changed |= w->draft_qty[(size_t)sup * w->n_skus + (size_t)w->want_sku[i]] !=
                        w->want_qty[i];
        if (changed) {
            new_call(w, CALL_PO_LINES, SYS_CIN7, SHARE_NORMAL, sup, 0);
            break;
        }
        w->want_at = group_end(w);
        replen_next_group(w);
        break;
    }
    case CALL_PO_LINES:
        w->want_at = group_end(w);
        replen_next_group(w);
        break;
    default:
        break;
    }
}

/* EV_REPLEN: the schedule's sweep, then the marked SKUs, then the ones put
 * off by a sale in flight (replen_main's order). */
static void replen_start(world *w)
{
    if (w->replen_wake && w->now < w->replen_wake_at)
        return; /* a wake superseded by a sooner one */
    w->replen_wake = 0;
    if (w->replen_busy)
        return;
    if (w->now >= w->next_sweep) {
        for (size_t k = 0; k < w->n_skus; k++)
            coalesce_mark(w->rmarks, sku_name(w, (int)k), w->now);
        w->next_sweep = w->now + w->cfg->replen_interval_ms;
    }
    size_t n = coalesce_take(w->rmarks, w->now, w->batch, LEVEL_BATCH);
    if (!n)
        n = coalesce_take(w->rsettle, w->now, w->batch, LEVEL_BATCH);
    if (!n) {
        int64_t at = w->next_sweep, d1 = coalesce_next_due(w->rmarks),
                d2 = coalesce_next_due(w->rsettle);
        if (d1 >= 0 && d1 < at)
            at = d1;
        if (d2 >= 0 && d2 < at)
            at = d2;
        replen_wake(w, at);
        return;
    }
    w->replen_busy = 1;
    int *skus = w->pass_sku + LEVEL_BATCH; /* the replenishment half */
    for (size_t i = 0; i < n; i++) {
        skus[i] = scenario_sku_index(w->sc, w->batch[i]);
        free(w->batch[i]);
    }
    if (!w->supply_loaded) {
        w->supply_loaded = 1;
        new_call(w, CALL_PRODUCTS, SYS_CIN7, SHARE_NORMAL, -1, (int)n);
        return;
    }
    replen_decide(w, skus, n);
}

/* ---- the run ------------------------------------------------------------------------------- */

const char *sim_unsupported(const scenario *sc, char *why, size_t n)
{
    if (sc->external_shopify_hooks)
        snprintf(why, n, "$.engine.external: the simulator models syncd only");
    else if (cJSON_GetArraySize(sc->faults_shopify) > 0 || cJSON_GetArraySize(sc->faults_cin7) > 0)
        snprintf(why, n, "%s: fault plans are not modelled yet",
                 cJSON_GetArraySize(sc->faults_cin7) > 0 ? "$.faults (cin7)" : "$.faults (shopify)");
    else if (sc->n_crashes)
        snprintf(why, n, "$.crashes: engine crashes are not modelled");
    else {
        for (size_t k = 0; k < sc->n_skus; k++)
            if (strcmp(sc->skus[k].sku, sc->skus[k].shopify_sku) != 0) {
                snprintf(why, n, "$.catalog: SKU %s is %s in Shopify (mapping is not modelled)",
                         sc->skus[k].sku, sc->skus[k].shopify_sku);
                return why;
            }
        for (size_t s = 0; s < sc->n_streams; s++)
            if (sc->streams[s].shape == SHAPE_REPLAY) {
                snprintf(why, n, "$.demand[%zu]: replayed orders are not modelled yet", s);
                return why;
            }
        return NULL;
    }
    return why;
}

/* syncd's settings as syncd itself reads them from the config surge
 * generates for a real run. */
static syncd_config *engine_config(const scenario *sc, char *err, size_t n)
{
    cJSON *c = setup_syncd_config(sc, "http://127.0.0.1:1/ExternalApi/v2/", "http://127.0.0.1:1",
                                  ":memory:", sc->time_scale, 0);
    char *text = cJSON_PrintUnformatted(c);
    cJSON_Delete(c);
    syncd_config *cfg = xcalloc(1, sizeof *cfg);
    json_err e;
    int rc = config_load_text(text, strlen(text), "syncd.json", NULL, 0, cfg, &e);
    free(text);
    if (rc != 0) {
        snprintf(err, n, "the engine's config: %s", e.msg);
        config_free(cfg);
        free(cfg);
        return NULL;
    }
    return cfg;
}

/* The mocks' settings as the mocks read them from surge's configs. */
static int mock_settings(world *w, char *err, size_t n)
{
    json_err e;
    cJSON *c = setup_cin7_config(w->sc);
    c7cfg *c7 = NULL;
    int rc = c7config_parse(c, 0, &c7, &e);
    cJSON_Delete(c);
    if (rc != 0) {
        snprintf(err, n, "mock-cin7's config: %s", e.msg);
        c7config_free(c7);
        return -1;
    }
    int limit = c7->calls_per_minute == C7_UNLIMITED ? 1000000 : (int)c7->calls_per_minute;
    w->c7_limit = window_new(limit, c7->window_ms);
    w->c7_over_status = c7->over_limit_status;
    w->c7_coalesce_ms = c7->coalesce_ms;
    w->c7_first_attempt_ms = c7->first_attempt_ms;
    c7config_free(c7);
    c = setup_shopify_config(w->sc);
    spec_world sw;
    rc = spec_parse_config(c, &sw, &e);
    cJSON_Delete(c);
    if (rc != 0) {
        snprintf(err, n, "mock-shopify's config: %s", e.msg);
        spec_world_free(&sw);
        return -1;
    }
    w->hooks = sw.webhooks;
    w->gql = xcalloc(w->n_shops + 1, sizeof *w->gql);
    for (size_t s = 0; s < w->n_shops; s++) {
        spec_limits lim;
        if (spec_plan_limits(s < sw.n_shops && sw.shops[s].plan ? sw.shops[s].plan : "plus",
                             &lim) != 0) {
            snprintf(err, n, "mock-shopify's config: shop %zu: unknown plan", s);
            spec_world_free(&sw);
            return -1;
        }
        w->gql[s] = leaky_new(lim.gql_bucket, lim.gql_restore_per_s);
    }
    spec_world_free(&sw);
    return w->c7_limit ? 0 : -1;
}

static void world_init(world *w, const scenario *sc, syncd_config *cfg)
{
    memset(w, 0, sizeof *w);
    w->sc = sc;
    w->cfg = cfg;
    w->n_skus = sc->n_skus;
    w->n_wh = sc->n_warehouses;
    w->n_shops = sc->n_shops;
    rng_derive(&w->r_net, sc->seed, 0x51a1);
    rng_derive(&w->r_hook, sc->seed, 0x51a2);
    size_t cells = w->n_skus * w->n_wh + 1;
    w->on_hand = xcalloc(cells, sizeof *w->on_hand);
    w->allocated = xcalloc(cells, sizeof *w->allocated);
    w->dirty_cell = xcalloc(cells, sizeof *w->dirty_cell);
    w->fig = xcalloc(cells, sizeof *w->fig);
    w->fig_new = xcalloc(cells, sizeof *w->fig_new);
    for (size_t k = 0; k < w->n_skus; k++)
        for (size_t l = 0; l < w->n_wh; l++)
            w->on_hand[k * w->n_wh + l] = scenario_on_hand(sc, k, l);
    w->level = xcalloc(w->n_shops * w->n_skus + 1, sizeof *w->level);
    w->base = xcalloc(w->n_shops * w->n_skus + 1, sizeof *w->base);
    w->known = xcalloc(w->n_shops * w->n_skus + 1, sizeof *w->known);
    w->reserved_units = xcalloc(w->n_skus + 1, sizeof *w->reserved_units);
    w->pushed = xcalloc(w->n_skus + 1, sizeof *w->pushed);
    for (size_t s = 0; s < w->n_shops; s++)
        for (size_t k = 0; k < w->n_skus; k++)
            w->level[s * w->n_skus + k] = setup_initial_units(sc, k);
    w->next_order_id = 1001;
    w->gate_at = -1;
    w->full_read_at = -1;
    pace_init(&w->pc, &cfg->cin7_pace, 0);
    share_init(&w->sh);
    w->gate = window_new(pace_calls(&w->pc), cfg->cin7_pace.window_ms);
    w->poll = strcmp(cfg->mode, "poll") == 0;
    w->n_workers = cfg->workers ? cfg->workers : 1;
    w->workers = xcalloc(w->n_workers, sizeof *w->workers);
    w->marks = coalesce_new(cfg->coalesce_ms);
    w->batch = xcalloc(LEVEL_BATCH, sizeof *w->batch);
    w->pass_sku = xcalloc(2 * LEVEL_BATCH, sizeof *w->pass_sku); /* inventory, replenishment */
    w->replen = cfg->replen_enabled;
    w->rmarks = coalesce_new(cfg->coalesce_ms);
    w->rsettle = coalesce_new(SETTLE_RETRY_MS);
    w->waiting_since = xcalloc(w->n_skus + 1, sizeof *w->waiting_since);
    for (size_t k = 0; k < w->n_skus; k++)
        w->waiting_since[k] = -1;
    w->draft_qty = xcalloc(sc->n_suppliers * w->n_skus + 1, sizeof *w->draft_qty);
    w->has_draft = xcalloc(sc->n_suppliers + 1, sizeof *w->has_draft);
    w->want_sup = xcalloc(LEVEL_BATCH, sizeof *w->want_sup);
    w->want_sku = xcalloc(LEVEL_BATCH, sizeof *w->want_sku);
    w->want_qty = xcalloc(LEVEL_BATCH, sizeof *w->want_qty);
    w->read_level = xcalloc(2 * LEVEL_BATCH, sizeof *w->read_level);
    w->locs = xcalloc(w->n_wh + 1, sizeof *w->locs);
    for (size_t l = 0; l < w->n_wh && l < cfg->n_locations; l++) {
        const cfg_location *cl = &cfg->locations[l];
        w->locs[l] = (route_location){cl->name, cl->has_coords, cl->lat, cl->lon, cl->priority,
                                      cl->min_stock};
    }
    w->regions = xcalloc(cfg->n_regions + 1, sizeof *w->regions);
    w->region_locs = xcalloc(cfg->n_regions + 1, sizeof *w->region_locs);
    for (size_t r = 0; r < cfg->n_regions; r++) {
        const cfg_region *cr = &cfg->regions[r];
        w->region_locs[r] = xcalloc(cr->n_locations + 1, sizeof **w->region_locs);
        size_t n = 0;
        for (size_t i = 0; i < cr->n_locations; i++)
            for (size_t l = 0; l < w->n_wh; l++)
                if (strcmp(cr->locations[i], w->locs[l].name) == 0)
                    w->region_locs[r][n++] = (int)l;
        w->regions[r] = (route_region){cr->country, cr->postcode_prefix, w->region_locs[r], n};
    }
}

static void world_free(world *w)
{
    free(w->on_hand);
    free(w->allocated);
    free(w->dirty_cell);
    free(w->fig);
    free(w->fig_new);
    free(w->routes);
    free(w->level);
    free(w->base);
    free(w->known);
    free(w->reserved_units);
    for (size_t k = 0; w->pushed && k < w->n_skus; k++) {
        free(w->pushed[k].t);
        free(w->pushed[k].cum);
    }
    free(w->pushed);
    free(w->orders);
    free(w->calls);
    for (int c = 0; c < SHARE_CLASSES; c++)
        free(w->waiting[c]);
    free(w->queue);
    free(w->workers);
    coalesce_free(w->marks);
    free(w->batch);
    free(w->pass_sku);
    coalesce_free(w->rmarks);
    coalesce_free(w->rsettle);
    free(w->waiting_since);
    free(w->draft_qty);
    free(w->has_draft);
    free(w->want_sup);
    free(w->want_sku);
    free(w->want_qty);
    free(w->read_level);
    free(w->locs);
    for (size_t r = 0; r < w->cfg->n_regions; r++)
        free(w->region_locs[r]);
    free(w->region_locs);
    free(w->regions);
    window_free(w->gate);
    window_free(w->c7_limit);
    for (size_t s = 0; w->gql && s < w->n_shops; s++)
        leaky_free(w->gql[s]);
    free(w->gql);
    free(w->records);
    free(w->samples);
    demand_free(w->dem);
    evheap_free(&w->h);
}

static void arrival(world *w)
{
    demand_arrival a = w->next;
    XGROW(w->records, w->n_records, w->cap_records, 1024);
    lg_record *rec = &w->records[w->n_records++];
    memset(rec, 0, sizeof *rec);
    rec->a = a;
    rec->status = 200;
    rec->sent = a.t;
    rec->done = a.t + draw(w, &w->r_net, &w->p.checkout);
    if (a.shopify)
        shop_checkout(w, &a, rec);
    else
        c7_channel_sale(w, &a, rec);
    w->have_next = demand_next(w->dem, &w->next);
    if (w->have_next && w->next.t < w->sc->duration_ms)
        schedule(w, EV_ARRIVAL, w->next.t, 0, 0);
}

/* Work the engine or the world still has: queued events, marked SKUs,
 * calls, deliveries and notifications on their way. */
static int64_t backlog(const world *w)
{
    int64_t n = (int64_t)(w->n_queue - w->head_queue) + (int64_t)coalesce_waiting(w->marks);
    for (size_t i = 0; i < w->n_workers; i++)
        n += w->workers[i].busy;
    return n + w->inv_busy + w->replen_busy + (int64_t)coalesce_waiting(w->rmarks) +
           (int64_t)coalesce_waiting(w->rsettle);
}

static void fire(world *w, const evheap_ev *ev)
{
    switch (ev->kind) {
    case EV_ARRIVAL:
        arrival(w);
        break;
    case EV_HOOK: {
        sbuf b = SBUF_INIT;
        sbuf_printf(&b, "\"id\":\"hook-%lld\",\"topic\":\"orders/paid\",\"ok\":true",
                    (long long)ev->arg);
        jline(w, w->sj, "webhook_attempt", &b);
        sbuf_free(&b);
        enqueue_order(w, ev->ref);
        break;
    }
    case EV_C7_FLUSH:
        c7_flush(w);
        break;
    case EV_C7_HOOK:
        /* Cin7 notified after its figures changed (stock_mark): a read
         * that started after the notification shows it already. */
        if (w->now >= w->full_read_at)
            w->stock_changed = 1;
        mark_all(w);
        break;
    case EV_CALL_ARRIVE:
        call_arrive(w, ev->ref, ev->arg);
        break;
    case EV_CALL_DONE:
        call_done(w, ev->ref);
        gate_pump(w);
        break;
    case EV_GATE:
        if (w->gate_at == ev->due_ms)
            w->gate_at = -1;
        gate_pump(w);
        break;
    case EV_STEP:
        worker_step(w, (size_t)ev->ref);
        break;
    case EV_INV:
        inv_start(w);
        break;
    case EV_REPLEN:
        replen_start(w);
        break;
    case EV_READ_WAIT:
        read_wait_over(w, (uint64_t)ev->arg);
        break;
    case EV_POLL:
        poll_tick(w);
        break;
    case EV_SAMPLE: {
        XGROW(w->samples, w->n_samples, w->cap_samples, 1024);
        int64_t depth = backlog(w);
        w->samples[w->n_samples++] = (measure_sample){w->now, depth};
        schedule(w, EV_SAMPLE, w->now + SAMPLE_MS, 0, 0);
        break;
    }
    }
}

/* Cin7's and Shopify's state after the drain, as the mocks' /_mock/state
 * gives the fields the measurement reads. */
static void final_states(world *w, cJSON **cin7, cJSON **shopify)
{
    *cin7 = cJSON_CreateObject();
    cJSON *prods = cJSON_AddArrayToObject(*cin7, "products");
    cJSON *stock = cJSON_AddArrayToObject(*cin7, "stock");
    for (size_t k = 0; k < w->n_skus; k++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "sku", sku_name(w, (int)k));
        cJSON_AddNumberToObject(p, "initial", (double)setup_initial_units(w->sc, k));
        cJSON_AddNumberToObject(p, "received", 0);
        cJSON_AddNumberToObject(p, "adjusted", 0);
        cJSON_AddItemToArray(prods, p);
        for (size_t l = 0; l < w->n_wh; l++) {
            cJSON *s = cJSON_CreateObject();
            cJSON_AddStringToObject(s, "sku", sku_name(w, (int)k));
            cJSON_AddStringToObject(s, "location", w->sc->warehouses[l].name);
            cJSON_AddNumberToObject(s, "available", (double)c7_avail(w, (int)k, (int)l));
            cJSON_AddItemToArray(stock, s);
        }
    }
    *shopify = cJSON_CreateObject();
    cJSON *shops = cJSON_AddArrayToObject(*shopify, "shops");
    for (size_t s = 0; s < w->n_shops; s++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "domain", w->sc->shops[s].domain);
        cJSON *levels = cJSON_AddArrayToObject(o, "levels");
        for (size_t k = 0; k < w->n_skus; k++) {
            cJSON *v = cJSON_CreateObject();
            cJSON_AddStringToObject(v, "sku", sku_name(w, (int)k));
            cJSON_AddNumberToObject(v, "available", (double)*lvl(w, (int)s, (int)k));
            cJSON_AddItemToArray(levels, v);
        }
        cJSON_AddItemToArray(shops, o);
    }
}

/* Runs the world from t = 0 to the end of the drain; returns the end. */
static int64_t run_world(world *w)
{
    w->have_next = demand_next(w->dem, &w->next);
    if (w->have_next && w->next.t < w->sc->duration_ms)
        schedule(w, EV_ARRIVAL, w->next.t, 0, 0);
    schedule(w, EV_SAMPLE, 0, 0, 0);
    /* Cin7's seeded figures open its journal, as mock-cin7's seed does. */
    for (size_t k = 0; k < w->n_skus; k++)
        for (size_t l = 0; l < w->n_wh; l++)
            c7_note(w, (int)k, (int)l, "seed", c7_avail(w, (int)k, (int)l));
    /* syncd's first pass writes every level from a full read. */
    for (size_t k = 0; k < w->n_skus; k++)
        coalesce_mark(w->marks, sku_name(w, (int)k), 0);
    w->stock_changed = 1;
    w->inv_wake = 1;
    schedule(w, EV_INV, 0, 0, 0);
    if (w->poll)
        schedule(w, EV_POLL, 0, 0, 0); /* the first poll at once */
    replen_wake(w, 0); /* a first sweep at once (replen_main) */
    const scenario *sc = w->sc;
    int64_t limit = sc->duration_ms + sc->drain_ms;
    int quiet = 0;
    while (evheap_peek(&w->h)) {
        evheap_ev ev = evheap_pop(&w->h);
        w->n_events++;
        if (ev.due_ms > limit)
            break;
        w->now = ev.due_ms;
        if (ev.kind == EV_SAMPLE && w->now >= sc->duration_ms) {
            /* The drain ends once nothing is left, as surge run's does
             * (three quiet samples, after the least drain). */
            int idle = backlog(w) == 0 && w->in_flight == 0 && !w->flush_pending;
            quiet = idle ? quiet + 1 : 0;
            if (quiet >= 3 && w->now - sc->duration_ms >= sc->drain_min_ms)
                break;
        }
        fire(w, &ev);
    }
    return w->now;
}

int sim_scenario(const run_opts *o)
{
    scenario sc;
    int rc = results_load_scenario(o->scenario_path, o->sets, o->n_sets, o->seed, &sc);
    if (rc != RUN_PASS)
        return rc;
    char why[300], err[600];
    sc_gate *gates = NULL;
    size_t n_gates = 0;
    syncd_config *cfg = NULL;
    sim_params params;
    json_err e;
    world w;
    int have_world = 0;
    cJSON *cin7_state = NULL, *shopify_state = NULL, *dlq = NULL;
    if (o->time_scale > 0)
        sc.time_scale = o->time_scale;
    if (sim_unsupported(&sc, why, sizeof why)) {
        fprintf(stderr, "surge sim: %s\n", why);
        rc = RUN_BAD_USAGE;
        goto out;
    }
    if (sim_params_read(sc.sim, &params, &e) != 0) {
        fprintf(stderr, "surge sim: %s\n", e.msg);
        rc = RUN_BAD_USAGE;
        goto out;
    }
    if (!(cfg = engine_config(&sc, err, sizeof err))) {
        fprintf(stderr, "surge sim: %s\n", err);
        rc = RUN_BAD_USAGE;
        goto out;
    }
    rc = results_prepare(&sc, o->gates, o->n_gates, o->out_dir, &gates, &n_gates, why, sizeof why);
    if (rc != RUN_PASS)
        goto out;
    char dir[300];
    snprintf(dir, sizeof dir, "%s", why);
    world_init(&w, &sc, cfg);
    have_world = 1;
    w.p = params;
    if (mock_settings(&w, err, sizeof err) != 0) {
        fprintf(stderr, "surge sim: %s\n", err);
        rc = RUN_BAD_USAGE;
        goto out;
    }
    w.dem = demand_new(&sc, sc.seed);
    char cj[400], sj[400];
    snprintf(cj, sizeof cj, "%s/mock-cin7.journal.jsonl", dir);
    snprintf(sj, sizeof sj, "%s/mock-shopify.journal.jsonl", dir);
    w.cj = fopen(cj, "w");
    w.sj = fopen(sj, "w");
    rc = RUN_BROKE;
    if (!w.cj || !w.sj) {
        fprintf(stderr, "surge sim: cannot write the journals in %s: %s\n", dir, strerror(errno));
        goto out;
    }
    if (!o->quiet)
        fprintf(stderr, "surge sim: %s, seed %llu, in virtual time\n", sc.name,
                (unsigned long long)sc.seed);
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    int64_t end = run_world(&w);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
    /* On stderr, never in summary.json, which must not depend on the machine. */
    fprintf(stderr, "surge sim: %llu events in %.3f s of CPU (%.0f events/s)\n",
            (unsigned long long)w.n_events, cpu, cpu > 0 ? (double)w.n_events / cpu : 0.0);
    int closed = fclose(w.cj) == 0;
    closed &= fclose(w.sj) == 0;
    w.cj = w.sj = NULL;
    if (!closed || w.journal_failed) {
        fprintf(stderr, "surge sim: writing the journals in %s failed\n", dir);
        goto out;
    }
    final_states(&w, &cin7_state, &shopify_state);
    dlq = cJSON_CreateArray();
    int64_t *buffers = setup_shop_buffers(&sc);
    measure_input mi = {&sc, 0, end, cj, sj, cin7_state, shopify_state, dlq, w.records,
                        w.n_records, w.samples, w.n_samples, buffers, setup_low_stock_split(&sc)};
    measure_output mo;
    int measured = measure_run(&mi, &mo, err, sizeof err);
    free(buffers);
    if (measured != 0) {
        fprintf(stderr, "surge sim: measuring failed: %s\n", err);
        goto out;
    }
    results_in ri = {.dir = dir, .sc = &sc, .gates = gates, .n_gates = n_gates, .invalid = "",
                     .time_scale = sc.time_scale, .origin = 0, .end = end,
                     .records = w.records, .n_records = w.n_records, .what = "sim"};
    rc = results_write(&ri, &mo);
    measure_output_free(&mo);
out:
    if (have_world) {
        if (w.cj)
            fclose(w.cj);
        if (w.sj)
            fclose(w.sj);
        world_free(&w);
    }
    cJSON_Delete(cin7_state);
    cJSON_Delete(shopify_state);
    cJSON_Delete(dlq);
    if (cfg) {
        config_free(cfg);
        free(cfg);
    }
    results_gates_free(gates, n_gates);
    scenario_free(&sc);
    return rc;
}
