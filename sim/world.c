/*
 * The simulated mocks: their journals (in the mocks' own format, which the
 * measurement reads), Cin7's stock, sales, channel sales and coalesced
 * notifications, Shopify's checkout, levels and webhook timing.
 */
#include "simint.h"

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

/* ---- the journals ------------------------------------------------------------------ */

void sw_jline(world *w, FILE *f, const char *kind, const sbuf *body)
{
    if (fprintf(f, "{\"t\":%lld,\"kind\":\"%s\"%s%s}\n", (long long)w->now, kind,
                body && body->len ? "," : "", body ? sbuf_str(body) : "") < 0)
        w->journal_failed = 1;
}

static void put_lines(world *w, sbuf *b, const lines *l)
{
    sbuf_puts(b, "\"lines\":[");
    for (int i = 0; i < l->n; i++)
        sbuf_printf(b, "%s{\"sku\":\"%s\",\"qty\":%lld}", i ? "," : "", sw_sku_name(w, l->sku[i]),
                    (long long)l->qty[i]);
    sbuf_puts(b, "]");
}

void sw_journal_request(world *w, const call *c)
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
    sw_jline(w, c->to == SYS_CIN7 ? w->cj : w->sj, "request", &b);
    sbuf_free(&b);
}

/* ---- Cin7 ----------------------------------------------------------------------------- */

int64_t sw_c7_avail(const world *w, int k, int l)
{
    size_t i = (size_t)k * w->n_wh + (size_t)l;
    return w->on_hand[i] - w->allocated[i];
}

/* A cell changed: journal it and open the notification window. */
void sw_c7_note(world *w, int k, int l, const char *cause, int64_t avail_before)
{
    size_t i = (size_t)k * w->n_wh + (size_t)l;
    /* (A seed's before is its own figure: no notification.) */
    sbuf b = SBUF_INIT;
    sbuf_printf(&b,
                "\"sku\":\"%s\",\"location\":\"%s\",\"on_hand\":%lld,\"allocated\":%lld,"
                "\"available\":%lld,\"on_order\":0,\"in_transit\":0,\"cause\":\"%s\"",
                sw_sku_name(w, k), w->sc->warehouses[l].name, (long long)w->on_hand[i],
                (long long)w->allocated[i], (long long)sw_c7_avail(w, k, l), cause);
    sw_jline(w, w->cj, "stock", &b);
    sbuf_free(&b);
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
    sbuf b = SBUF_INIT;
    sbuf_printf(&b,
                "\"sku\":\"%s\",\"location\":\"%s\",\"channel\":\"%s\",\"qty\":%lld,"
                "\"accepted\":%s,\"available_before\":%lld",
                sw_sku_name(w, k), w->sc->warehouses[l].name, w->sc->streams[a->stream].channel,
                (long long)q, accepted ? "true" : "false", (long long)before);
    sw_jline(w, w->cj, "channel_sale", &b);
    sbuf_free(&b);
    if (accepted) {
        w->on_hand[(size_t)k * w->n_wh + (size_t)l] -= q;
        sw_c7_note(w, k, l, "channel_sale", before);
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
    int64_t wait = w->c7_first_attempt_ms - w->c7_coalesce_ms;
    sw_schedule(w, EV_C7_HOOK, w->now + (wait > 0 ? wait : 0) + sw_draw(w, &w->r_hook, &w->p.webhook),
             0, 0);
}

/* POST sale/order reached Cin7: the lines are authorised, each allocated
 * where stock is and backordered for the rest. */
void sw_c7_sale_lines(world *w, order *o, int g)
{
    const lines *l = &o->g_lines[g];
    int loc = o->g_loc[g];
    sbuf b = SBUF_INIT;
    sbuf_printf(&b, "\"id\":\"sale-%ld-%d\",\"customer_reference\":\"%ld\",\"location\":\"%s\",",
                o->id, g, o->id, w->sc->warehouses[loc].name);
    put_lines(w, &b, l);
    sw_jline(w, w->cj, "sale_authorised", &b);
    sbuf_free(&b);
    for (int i = 0; i < l->n; i++) {
        int k = l->sku[i];
        int64_t before = sw_c7_avail(w, k, loc);
        int64_t take = before > 0 ? (before < l->qty[i] ? before : l->qty[i]) : 0;
        /* Cin7 allocates what the location has and backorders the rest:
         * the sale's lines hold every unit either way. */
        w->allocated[(size_t)k * w->n_wh + (size_t)loc] += l->qty[i];
        if (take < l->qty[i]) {
            sbuf bo = SBUF_INIT;
            sbuf_printf(&bo, "\"sku\":\"%s\",\"location\":\"%s\",\"qty\":%lld,\"sale\":\"sale-%ld-%d\"",
                        sw_sku_name(w, k), w->sc->warehouses[loc].name,
                        (long long)(l->qty[i] - take), o->id, g);
            sw_jline(w, w->cj, "backorder", &bo);
            sbuf_free(&bo);
        }
        sw_c7_note(w, k, loc, "sale", before);
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
    sbuf b = SBUF_INIT;
    sbuf_printf(&b, "\"shop\":\"%s\",\"result\":\"%s\",", w->sc->shops[a->shop].domain,
                sold_out ? "sold_out" : "accepted");
    if (sold_out) {
        sbuf_puts(&b, "\"order_id\":null,");
        put_lines(w, &b, &l);
        sw_jline(w, w->sj, "checkout", &b);
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
    sw_jline(w, w->sj, "checkout", &b);
    sbuf_reset(&b);
    for (int i = 0; i < l.n; i++) {
        *sw_lvl(w, a->shop, l.sku[i]) -= l.qty[i];
        sbuf_reset(&b);
        sbuf_printf(&b, "\"shop\":\"%s\",\"sku\":\"%s\",\"delta\":%lld,\"by\":\"checkout\"",
                    w->sc->shops[a->shop].domain, sw_sku_name(w, l.sku[i]), (long long)-l.qty[i]);
        sw_jline(w, w->sj, "inventory", &b);
    }
    sbuf_reset(&b);
    sbuf_printf(&b, "\"shop\":\"%s\",\"order_id\":%ld", w->sc->shops[a->shop].domain, o->id);
    sw_jline(w, w->sj, "order_paid", &b);
    rec->result = OUT_ACCEPTED;
    rec->order_id = o->id;
    if (!w->poll) {
        long hid = w->next_hook++;
        sbuf_reset(&b);
        sbuf_printf(&b, "\"id\":\"hook-%ld\",\"topic\":\"orders/paid\",\"resource_id\":%ld", hid,
                    o->id);
        sw_jline(w, w->sj, "webhook_queued", &b);
        sw_schedule(w, EV_HOOK, w->now + hook_delay(w), oi, hid);
        if (w->hooks.duplicate_probability > 0 &&
            rng_uniform(&w->r_hook) < w->hooks.duplicate_probability)
            sw_schedule(w, EV_HOOK, w->now + hook_delay(w), oi, hid); /* at least once */
    }
    sbuf_free(&b);
}

