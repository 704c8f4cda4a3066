/*
 * Order status mapping; see statmap.h. Three passes over the model: Cin7's
 * sales and backorders replayed in their order (seq) give each order's
 * live sales, the void that left it none and the moments it became and
 * stopped being backordered; shipped and fulfilled units, sorted per order
 * and SKU, give the shipped check and the shipment lags; each order's
 * holds, replayed, answer the hold questions. Times are scenario ms.
 */
#include "statmap.h"

#include "mem.h"
#include "strmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What one order's records add up to. */
typedef struct {
    int in_scope;       /* placed by the run and not cancelled by the shopper */
    int n_sales, live;  /* sales seen; of them not voided */
    int64_t last_void;  /* the void that left it no live sale, -1 none (or a sale came after) */
    int last_void_user; /* that void was a user's */
    int64_t shipments;  /* Cin7 shipments of its sales */
    int64_t backordered; /* units backordered over its live sales */
    int64_t notes_ship, notes_cancel;
    int mismatch;
} ord_rec;

typedef struct {
    int order; /* -1: not one of the run's orders */
    int live;
    int64_t backordered;
} sale_rec;

/* A moment an order became backordered (clear 0) or a fill left it with
 * nothing backordered (clear 1). */
typedef struct {
    int order;
    int clear;
    int64_t t;
} bo_turn;

typedef struct {
    const run_model *m;
    ord_rec *o;
    sale_rec *s;
    size_t n_s, cap_s;
    strmap *sale_by_id;
    strmap *line_by_key; /* "sale\tSKU index" -> index into line_qty */
    int64_t *line_qty;
    size_t n_lines, cap_lines;
    bo_turn *turns;
    size_t n_turns, cap_turns;
} sm;

/* ---- Cin7: sales, voids, backorders ---------------------------------------------- */

static sale_rec *sale_of(sm *x, const char *id, const char *ref)
{
    if (!id[0])
        return NULL;
    long i = strmap_get(x->sale_by_id, id);
    if (i >= 0)
        return &x->s[i];
    XGROW(x->s, x->n_s, x->cap_s, 256);
    sale_rec *s = &x->s[x->n_s];
    s->order = ref[0] ? model_order_index(x->m, ref) : -1;
    s->live = 1;
    s->backordered = 0;
    strmap_put(x->sale_by_id, id, (long)x->n_s++);
    if (s->order >= 0) {
        x->o[s->order].n_sales++;
        x->o[s->order].live++;
        x->o[s->order].last_void = -1;
    }
    return s;
}

static void add_turn(sm *x, int order, int clear, int64_t t)
{
    XGROW(x->turns, x->n_turns, x->cap_turns, 64);
    x->turns[x->n_turns++] = (bo_turn){order, clear, t};
}

/* Moves a live sale's backordered units by delta; a fill that leaves its
 * order with none, or a backorder that gives it some, is a turn. */
static void sale_backordered(sm *x, sale_rec *s, int64_t delta, int filled, int64_t t)
{
    if (!s->live || s->order < 0 || delta == 0)
        return;
    ord_rec *o = &x->o[s->order];
    int64_t before = o->backordered;
    s->backordered += delta;
    o->backordered += delta;
    if (before <= 0 && o->backordered > 0)
        add_turn(x, s->order, 0, t);
    else if (before > 0 && o->backordered <= 0 && filled)
        add_turn(x, s->order, 1, t);
}

static void backorder_rec(sm *x, const model_backorder *b)
{
    sale_rec *s = sale_of(x, b->sale, b->ref);
    if (!s || b->sku < 0)
        return;
    char key[MODEL_ID_LEN + 16];
    snprintf(key, sizeof key, "%s\t%d", b->sale, b->sku);
    long li = strmap_get(x->line_by_key, key);
    if (li < 0) {
        XGROW(x->line_qty, x->n_lines, x->cap_lines, 256);
        x->line_qty[x->n_lines] = 0;
        li = (long)x->n_lines++;
        strmap_put(x->line_by_key, key, li);
    }
    int64_t was = x->line_qty[li];
    int64_t now = !b->filled             ? was + b->qty
                  : b->still != INT64_MIN ? b->still
                                          : was - b->qty;
    now = now > 0 ? now : 0;
    x->line_qty[li] = now;
    sale_backordered(x, s, now - was, b->filled, b->t);
}

static void sale_rec_apply(sm *x, const model_sale *r)
{
    sale_rec *s = sale_of(x, r->sale, r->ref);
    if (!s || r->kind != MODEL_SALE_VOIDED || !s->live)
        return;
    /* A voided sale holds nothing, backorders included. */
    if (s->order >= 0)
        x->o[s->order].backordered -= s->backordered;
    s->backordered = 0;
    s->live = 0;
    if (s->order < 0)
        return;
    ord_rec *o = &x->o[s->order];
    if (--o->live == 0) {
        o->last_void = r->t;
        o->last_void_user = r->by_user;
    }
}

/* Sales and backorders in the order they happened. */
static void replay_cin7(sm *x)
{
    const run_model *m = x->m;
    size_t si = 0, bi = 0;
    while (si < m->n_sales || bi < m->n_backorders) {
        uint64_t s_seq = si < m->n_sales ? m->sales[si].seq : UINT64_MAX;
        uint64_t b_seq = bi < m->n_backorders ? m->backorders[bi].seq : UINT64_MAX;
        if (s_seq < b_seq)
            sale_rec_apply(x, &m->sales[si++]);
        else
            backorder_rec(x, &m->backorders[bi++]);
    }
}

/* ---- shipped and fulfilled units --------------------------------------------------- */

/* Units of a SKU for an order: shipped by Cin7 (side 0, ship = the
 * shipment) or fulfilled by Shopify (side 1). */
typedef struct {
    int order, sku, side;
    int64_t t;
    size_t rank; /* keeps records of one moment in their order */
    int64_t qty;
    size_t ship;
} unit_ev;

static int cmp_unit_ev(const void *a, const void *b)
{
    const unit_ev *x = a, *y = b;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    if (x->sku != y->sku)
        return x->sku < y->sku ? -1 : 1;
    if (x->side != y->side)
        return x->side < y->side ? -1 : 1;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static size_t unit_events(const run_model *m, const ord_rec *o, unit_ev **out)
{
    unit_ev *ev = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < m->n_shipments; i++) {
        const model_shipment *s = &m->shipments[i];
        int oi = s->ref[0] ? model_order_index(m, s->ref) : -1;
        for (size_t l = s->first_line; oi >= 0 && o[oi].in_scope && l < s->first_line + s->n_lines;
             l++) {
            XGROW(ev, n, cap, 256);
            ev[n] = (unit_ev){oi, m->lines[l].sku, 0, s->t, n, m->lines[l].qty, i};
            n++;
        }
    }
    for (size_t i = 0; i < m->n_fulfillments; i++) {
        const model_fulfillment *f = &m->fulfillments[i];
        for (size_t l = f->first_line; o[f->order].in_scope && l < f->first_line + f->n_lines; l++) {
            XGROW(ev, n, cap, 256);
            ev[n] = (unit_ev){f->order, m->lines[l].sku, 1, f->t, n, m->lines[l].qty, 0};
            n++;
        }
    }
    if (n)
        qsort(ev, n, sizeof *ev, cmp_unit_ev);
    *out = ev;
    return n;
}

/* One (order, SKU): Cin7's events [a, b), Shopify's [b, c). Each shipment
 * waits for the first fulfillment at which Shopify's units reach Cin7's
 * cumulative shipped; lag[s] keeps the latest wait over its SKUs and
 * unmatched[s] marks a shipment some SKU of which Shopify never reached. */
static void match_units(const unit_ev *ev, size_t a, size_t b, size_t c, int64_t *lag,
                        unsigned char *unmatched, ord_rec *o)
{
    int64_t shipped = 0, fulfilled = 0;
    size_t j = b;
    for (size_t i = a; i < b; i++) {
        shipped += ev[i].qty;
        while (fulfilled < shipped && j < c)
            fulfilled += ev[j++].qty;
        if (ev[i].qty <= 0)
            continue;
        if (fulfilled < shipped) {
            unmatched[ev[i].ship] = 1;
            continue;
        }
        int64_t wait = ev[j - 1].t - ev[i].t;
        if (wait > lag[ev[i].ship])
            lag[ev[i].ship] = wait;
    }
    for (; j < c; j++)
        fulfilled += ev[j].qty;
    if (shipped != fulfilled)
        o->mismatch = 1;
}

static void shipped_units(sm *x, hist *h)
{
    const run_model *m = x->m;
    unit_ev *ev = NULL;
    size_t n = unit_events(m, x->o, &ev);
    int64_t *lag = xcalloc(m->n_shipments + 1, sizeof *lag);
    unsigned char *unmatched = xcalloc(m->n_shipments + 1, 1);
    for (size_t a = 0; a < n;) {
        size_t b = a, c;
        while (b < n && ev[b].order == ev[a].order && ev[b].sku == ev[a].sku && ev[b].side == 0)
            b++;
        c = b;
        while (c < n && ev[c].order == ev[a].order && ev[c].sku == ev[a].sku)
            c++;
        match_units(ev, a, b, c, lag, unmatched, &x->o[ev[a].order]);
        a = c;
    }
    for (size_t i = 0; i < m->n_shipments; i++) {
        const model_shipment *s = &m->shipments[i];
        int oi = s->ref[0] ? model_order_index(m, s->ref) : -1;
        if (oi < 0 || !x->o[oi].in_scope)
            continue;
        x->o[oi].shipments++;
        if (s->n_lines && !unmatched[i])
            hist_record(h, lag[i]);
    }
    free(ev);
    free(lag);
    free(unmatched);
}

/* ---- holds ------------------------------------------------------------------------ */

#define MAX_HELD 32 /* fulfillment orders of one order followed */

/* The fulfillment orders of an order with an INVENTORY_OUT_OF_STOCK hold open. */
typedef struct {
    int64_t fo[MAX_HELD];
    int n;
} held;

static int held_has(const held *s, int64_t fo)
{
    for (int i = 0; i < s->n; i++)
        if (s->fo[i] == fo)
            return 1;
    return 0;
}

/* A hold record applied: a release ends every hold of its fulfillment order. */
static void held_apply(held *s, const model_hold *h)
{
    if (h->release) {
        for (int i = 0; i < s->n; i++)
            if (s->fo[i] == h->fo)
                s->fo[i--] = s->fo[--s->n];
    } else if (h->out_of_stock && !held_has(s, h->fo) && s->n < MAX_HELD) {
        s->fo[s->n++] = h->fo;
    }
}

/* Each order's holds, in their order: idx[start[o] .. start[o + 1]). */
typedef struct {
    size_t *start, *idx;
} by_order;

static by_order holds_by_order(const run_model *m)
{
    by_order g = {xcalloc(m->n_orders + 2, sizeof *g.start), xcalloc(m->n_holds + 1, sizeof *g.idx)};
    for (size_t i = 0; i < m->n_holds; i++)
        g.start[m->holds[i].order + 1]++;
    for (size_t o = 0; o < m->n_orders; o++)
        g.start[o + 1] += g.start[o];
    size_t *fill = xcalloc(m->n_orders + 1, sizeof *fill);
    for (size_t i = 0; i < m->n_holds; i++) {
        int o = m->holds[i].order;
        g.idx[g.start[o] + fill[o]++] = i;
    }
    free(fill);
    return g;
}

/* The order's held set after its holds up to t; *next is the first hold
 * record after them. */
static held held_at(const run_model *m, const by_order *g, int o, int64_t t, size_t *next)
{
    held s = {.n = 0};
    size_t k = g->start[o];
    for (; k < g->start[o + 1] && m->holds[g->idx[k]].t <= t; k++)
        held_apply(&s, &m->holds[g->idx[k]]);
    *next = k;
    return s;
}

/* A turn's lag to the Shopify change matching it, or -1 when none did: a
 * backorder waits for the order to hold a fulfillment order out of stock
 * (0 when one is held already); a fill waits for the release of one held. */
static int64_t turn_lag(const run_model *m, const by_order *g, const bo_turn *tn)
{
    size_t k;
    held s = held_at(m, g, tn->order, tn->t, &k);
    if (!tn->clear && s.n)
        return 0;
    if (tn->clear && !s.n)
        return -1;
    for (; k < g->start[tn->order + 1]; k++) {
        const model_hold *h = &m->holds[g->idx[k]];
        if (!tn->clear && !h->release && h->out_of_stock)
            return h->t - tn->t;
        if (tn->clear && h->release && held_has(&s, h->fo))
            return h->t - tn->t;
    }
    return -1;
}

/* ---- the end state ---------------------------------------------------------------- */

/* What the order should show and what it shows, after the drain. */
static void judge_order(sm *x, const by_order *g, int oi, hist *h, statmap_figures *f)
{
    const model_order *mo = &x->m->orders[oi];
    ord_rec *o = &x->o[oi];
    int want_cancel = o->n_sales > 0 && o->live == 0 && o->last_void >= 0 && o->last_void_user &&
                      o->shipments == 0;
    int cancelled = mo->cancelled >= 0;
    if (want_cancel != cancelled || (cancelled && !mo->restock))
        o->mismatch = 1;
    if (want_cancel && cancelled && mo->cancelled >= o->last_void)
        hist_record(h, mo->cancelled - o->last_void);
    size_t next;
    held open = held_at(x->m, g, oi, INT64_MAX, &next);
    int holding = open.n > 0 && !cancelled; /* a cancellation closes its fulfillment orders */
    if ((o->backordered > 0) != holding)
        o->mismatch = 1;
    f->mismatches += o->mismatch;
    int64_t want_notes[2] = {o->shipments, want_cancel && cancelled};
    int64_t sent[2] = {o->notes_ship, o->notes_cancel};
    for (int i = 0; i < 2; i++) {
        f->notes_missing += want_notes[i] > sent[i] ? want_notes[i] - sent[i] : 0;
        f->notes_duplicated += sent[i] > want_notes[i] ? sent[i] - want_notes[i] : 0;
    }
}

statmap_figures statmap_measure(const run_model *m, hist *lag)
{
    statmap_figures f = {0, 0, 0};
    sm x = {.m = m, .sale_by_id = strmap_new(0), .line_by_key = strmap_new(0)};
    x.o = xcalloc(m->n_orders + 1, sizeof *x.o);
    for (size_t i = 0; i < m->n_orders; i++) {
        x.o[i].in_scope = !(m->orders[i].cancelled >= 0 && m->orders[i].cancel_by_shopper);
        x.o[i].last_void = -1;
    }
    replay_cin7(&x);
    shipped_units(&x, lag);
    for (size_t i = 0; i < m->n_notifications; i++) {
        const model_notification *n = &m->notifications[i];
        x.o[n->order].notes_ship += n->kind == MODEL_NOTE_SHIPPING;
        x.o[n->order].notes_cancel += n->kind == MODEL_NOTE_CANCELLED;
    }
    by_order g = holds_by_order(m);
    for (size_t i = 0; i < x.n_turns; i++) {
        if (!x.o[x.turns[i].order].in_scope)
            continue;
        int64_t l = turn_lag(m, &g, &x.turns[i]);
        if (l >= 0)
            hist_record(lag, l);
    }
    for (size_t i = 0; i < m->n_orders; i++)
        if (x.o[i].in_scope)
            judge_order(&x, &g, (int)i, lag, &f);
    free(g.start);
    free(g.idx);
    free(x.o);
    free(x.s);
    free(x.line_qty);
    free(x.turns);
    strmap_free(x.sale_by_id);
    strmap_free(x.line_by_key);
    return f;
}
