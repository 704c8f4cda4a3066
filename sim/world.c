/*
 * The simulated mocks: Cin7's stock, sales, channel sales and coalesced
 * notifications, Shopify's checkout, levels and webhook timing; each fact
 * goes into the run's record (harness/model.h) as it happens, as the
 * mocks' journals feed it after a real run.
 */
#include "simint.h"

#include "faults.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

void sw_schedule(world *w, int kind, int64_t due, long ref, int64_t arg)
{
    evheap_push(&w->h, (evheap_ev){.due_ms = due, .kind = kind, .ref = ref, .arg = arg});
}

/* A draw of d in virtual ms. */
int64_t sw_draw(world *w, rng *r, const sim_dist *d)
{
    if (d->median_ms <= 0)
        return 0;
    double v = d->p99_ms > d->median_ms ? rng_lognormal(r, d->median_ms, d->p99_ms) : d->median_ms;
    return (int64_t)(v * w->sc->time_scale + 0.5);
}

const char *sw_sku_name(const world *w, int k)
{
    return w->sc->skus[k].sku;
}

/* ---- the record ------------------------------------------------------------------ */

void sw_order_id(const order *o, char *buf, size_t n)
{
    snprintf(buf, n, "%ld", o->id);
}

static void sale_id(const order *o, int g, char *buf, size_t n)
{
    snprintf(buf, n, "sale-%ld-%d", o->id, g);
}

static size_t model_lines(const lines *l, model_line *out)
{
    for (int i = 0; i < l->n; i++)
        out[i] = (model_line){l->sku[i], l->qty[i]};
    return (size_t)l->n;
}

void sw_record_request(world *w, const call *c)
{
    int sale_write = c->status == 200 && (c->kind == CALL_SALE || c->kind == CALL_SALE_LINES);
    model_add_request(w->m, w->now, c->to == SYS_CIN7 ? MODEL_CIN7 : MODEL_SHOPIFY, c->status,
                      sale_write);
}

/* A delivery fault plan's decision for one delivery of topic (lib/faults.h,
 * as the mocks' senders apply it): how many copies leave (0: dropped, every
 * attempt fails until the sender gives up, which is past any run) and the
 * extra wait of each. */
static int fault_copies(world *w, struct fault_plan *plan, const char *topic, int64_t *extra,
                        int max)
{
    fault_delivery fd;
    faults_decide_delivery(plan, topic, w->now, &fd);
    if (fd.drop)
        return 0;
    int n = 1 + fd.copies;
    if (n > max)
        n = max;
    for (int i = 0; i < n; i++)
        extra[i] = fd.delay_ms + (fd.reorder_window_ms > 0
                                      ? (int64_t)rng_below(&w->r_hook, (uint64_t)fd.reorder_window_ms)
                                      : 0);
    return n;
}

/* ---- Cin7 ----------------------------------------------------------------------------- */

int64_t sw_c7_avail(const world *w, int k, int l)
{
    size_t i = (size_t)k * w->n_wh + (size_t)l;
    return w->on_hand[i] - w->allocated[i];
}

/* A cell changed: record it and open the notification window (a seed's
 * before is its own figure: no notification). */
void sw_c7_note(world *w, int k, int l, model_cause cause, int64_t avail_before)
{
    size_t i = (size_t)k * w->n_wh + (size_t)l;
    int64_t avail = sw_c7_avail(w, k, l);
    /* Position: on hand + on order + in transit - allocated (nothing is on
     * order or in transit: drafts are not ordered). */
    model_add_stock(w->m, w->now, k, l, cause, avail, avail);
    if (sw_c7_avail(w, k, l) != avail_before && !w->dirty_cell[i]) {
        w->dirty_cell[i] = 1;
        if (!w->flush_pending) {
            w->flush_pending = 1;
            sw_schedule(w, EV_C7_FLUSH, w->now + w->c7_coalesce_ms, 0, 0);
        }
    }
}

void sw_c7_channel_sale(world *w, const demand_arrival *a, lg_record *rec)
{
    int k = a->lines[0].sku, l = a->warehouse;
    int64_t q = a->lines[0].qty, before = sw_c7_avail(w, k, l);
    int accepted = before >= q;
    model_add_channel_sale(w->m, w->now, k, q, accepted);
    if (accepted) {
        w->on_hand[(size_t)k * w->n_wh + (size_t)l] -= q;
        sw_c7_note(w, k, l, MODEL_CAUSE_CHANNEL_SALE, before);
    }
    rec->result = accepted ? OUT_ACCEPTED : OUT_SOLD_OUT;
}

/* The stock notification window closes: one delivery of the changed rows. */
void sw_c7_flush(world *w)
{
    w->flush_pending = 0;
    memset(w->dirty_cell, 0, w->n_skus * w->n_wh * sizeof *w->dirty_cell);
    if (w->poll)
        return; /* a polling engine subscribes to nothing */
    /* The first attempt leaves first_attempt_after the change that opened
     * the window, or at once when the window is longer (mock-cin7). */
    int64_t wait = w->c7_first_attempt_ms - w->c7_coalesce_ms, extra[8];
    int n = fault_copies(w, w->fp_cin7, "Stock/AvailableStockLevelChanged", extra, 8);
    for (int i = 0; i < n; i++)
        sw_schedule(w, EV_C7_HOOK,
                    w->now + (wait > 0 ? wait : 0) + extra[i] + sw_draw(w, &w->r_hook, &w->p.webhook),
                    0, 0);
}

/* POST sale/order reached Cin7: the lines are authorised, each allocated
 * where stock is and backordered for the rest. */
void sw_c7_sale_lines(world *w, order *o, int g)
{
    const lines *l = &o->g_lines[g];
    int loc = o->g_loc[g];
    char sale[48], ref[32];
    sale_id(o, g, sale, sizeof sale);
    sw_order_id(o, ref, sizeof ref);
    int64_t units = 0;
    for (int i = 0; i < l->n; i++)
        units += l->qty[i];
    model_add_sale(w->m, w->now, MODEL_SALE_AUTHORISED, sale, ref, loc, units);
    for (int i = 0; i < l->n; i++) {
        int k = l->sku[i];
        int64_t before = sw_c7_avail(w, k, loc);
        int64_t take = before > 0 ? (before < l->qty[i] ? before : l->qty[i]) : 0;
        /* Cin7 allocates what the location has and backorders the rest:
         * the sale's lines hold every unit either way. */
        w->allocated[(size_t)k * w->n_wh + (size_t)loc] += l->qty[i];
        if (take < l->qty[i])
            model_add_backorder(w->m, w->now, 0, sale, ref, k, loc, l->qty[i] - take, INT64_MIN);
        sw_c7_note(w, k, loc, MODEL_CAUSE_SALE, before);
    }
}

/* ---- Shopify --------------------------------------------------------------------------- */

int64_t *sw_lvl(world *w, int shop, int k)
{
    return &w->level[(size_t)shop * w->n_skus + (size_t)k];
}

/* A delivery's way to the engine: the network, then mock-shopify's extra
 * delay (with its probability) and reordering, as its config sets them. */
static int64_t hook_delay(world *w)
{
    int64_t t = sw_draw(w, &w->r_hook, &w->p.webhook);
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

void sw_shop_checkout(world *w, const demand_arrival *a, lg_record *rec)
{
    /* Deny policy: every SKU's units, summed over its lines, must be there. */
    int sold_out = 0;
    for (int i = 0; i < a->n_lines; i++) {
        int64_t need = 0;
        for (int j = 0; j < a->n_lines; j++)
            if (a->lines[j].sku == a->lines[i].sku)
                need += a->lines[j].qty;
        if (*sw_lvl(w, a->shop, a->lines[i].sku) < need)
            sold_out = 1;
    }
    lines l = {.n = a->n_lines};
    for (int i = 0; i < a->n_lines; i++) {
        l.sku[i] = a->lines[i].sku;
        l.qty[i] = a->lines[i].qty;
    }
    model_line ml[DEMAND_MAX_LINES];
    size_t n_ml = model_lines(&l, ml);
    if (sold_out) {
        model_add_checkout(w->m, w->now, a->shop, 0, "", ml, n_ml);
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
    char id[32];
    sw_order_id(o, id, sizeof id);
    model_add_checkout(w->m, w->now, a->shop, 1, id, ml, n_ml);
    for (int i = 0; i < l.n; i++) {
        int64_t *v = sw_lvl(w, a->shop, l.sku[i]);
        *v -= l.qty[i];
        model_add_level(w->m, w->now, a->shop, l.sku[i], *v, MODEL_BY_SHOPPER);
    }
    model_order_paid(w->m, w->now, id);
    rec->result = OUT_ACCEPTED;
    rec->order_id = o->id;
    if (!w->poll) {
        int64_t extra[8];
        int n = fault_copies(w, w->fp_shop, "orders/paid", extra, 8);
        for (int i = 0; i < n; i++)
            sw_schedule(w, EV_HOOK, w->now + hook_delay(w) + extra[i], oi, 0);
        if (n && w->hooks.duplicate_probability > 0 &&
            rng_uniform(&w->r_hook) < w->hooks.duplicate_probability)
            sw_schedule(w, EV_HOOK, w->now + hook_delay(w), oi, 0); /* at least once */
    }
}

