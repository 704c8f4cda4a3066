/*
 * The run model's builders; see model.h. They only record: every rule that
 * turns records into figures lives in measure.c, so the journal reader and
 * the simulator cannot disagree on one.
 */
#include "model.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* i when it indexes a list of n, else -1 (unknown). */
static int known(int i, size_t n)
{
    return i >= 0 && (size_t)i < n ? i : -1;
}

static int known_loc(const run_model *m, int loc)
{
    return known(loc, m->sc->n_warehouses + m->n_extra_locs);
}

static void copy_id(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

run_model *model_new(const scenario *sc, int64_t end, const bounds_limits *limits)
{
    run_model *m = xcalloc(1, sizeof *m);
    m->sc = sc;
    m->end = end;
    m->limits = limits ? *limits : bounds_default_limits();
    m->order_by_id = strmap_new(0);
    size_t nk = sc->n_skus + 1;
    m->initial = xcalloc(nk, sizeof *m->initial);
    m->received = xcalloc(nk, sizeof *m->received);
    m->adjusted = xcalloc(nk, sizeof *m->adjusted);
    m->final_available_all = xcalloc(nk, sizeof *m->final_available_all);
    m->final_available = xcalloc(nk * (sc->n_warehouses + 1), sizeof *m->final_available);
    m->final_shopify = xcalloc(nk, sizeof *m->final_shopify);
    m->final_level = xcalloc(nk * (sc->n_shops + 1), sizeof *m->final_level);
    for (size_t i = 0; i < nk * (sc->n_shops + 1); i++)
        m->final_level[i] = -1;
    return m;
}

void model_free(run_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_extra_locs; i++)
        free(m->extra_locs[i]);
    free(m->extra_locs);
    free(m->lines);
    free(m->checkouts);
    free(m->orders);
    free(m->sales);
    free(m->stock);
    free(m->backorders);
    free(m->channel_sales);
    free(m->purchases);
    free(m->levels);
    free(m->requests);
    free(m->arrivals);
    free(m->samples);
    free(m->shipments);
    free(m->fulfillments);
    free(m->holds);
    free(m->notifications);
    for (size_t i = 0; i < m->n_prodvals; i++) {
        free(m->prodvals[i].before);
        free(m->prodvals[i].after);
    }
    free(m->prodvals);
    free(m->initial);
    free(m->received);
    free(m->adjusted);
    free(m->final_available);
    free(m->final_available_all);
    free(m->final_level);
    free(m->final_shopify);
    strmap_free(m->order_by_id);
    free(m);
}

int model_location(run_model *m, const char *name)
{
    if (!name)
        return -1;
    const scenario *sc = m->sc;
    for (size_t i = 0; i < sc->n_warehouses; i++)
        if (strcmp(sc->warehouses[i].name, name) == 0)
            return (int)i;
    for (size_t i = 0; i < m->n_extra_locs; i++)
        if (strcmp(m->extra_locs[i], name) == 0)
            return (int)(sc->n_warehouses + i);
    m->extra_locs = xrealloc(m->extra_locs, (m->n_extra_locs + 1) * sizeof *m->extra_locs);
    m->extra_locs[m->n_extra_locs] = xstrdup(name);
    return (int)(sc->n_warehouses + m->n_extra_locs++);
}

/* Copies the lines of a known SKU into the pool; sets where they went. */
static void add_lines(run_model *m, const model_line *lines, size_t n, size_t *first, size_t *count)
{
    *first = m->n_lines;
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        if (lines[i].sku < 0 || (size_t)lines[i].sku >= m->sc->n_skus)
            continue;
        XGROW(m->lines, m->n_lines, m->cap_lines, 1024);
        m->lines[m->n_lines++] = lines[i];
        (*count)++;
    }
}

int model_order_index(const run_model *m, const char *order_id)
{
    return order_id ? (int)strmap_get(m->order_by_id, order_id) : -1;
}

model_order *model_order_get(const run_model *m, const char *order_id)
{
    int i = model_order_index(m, order_id);
    return i >= 0 ? &m->orders[i] : NULL;
}

model_order *model_add_checkout(run_model *m, int64_t t, int shop, int accepted, const char *order_id,
                                const model_line *lines, size_t n_lines)
{
    XGROW(m->checkouts, m->n_checkouts, m->cap_checkouts, 1024);
    model_checkout *c = &m->checkouts[m->n_checkouts++];
    *c = (model_checkout){.t = t, .shop = known(shop, m->sc->n_shops), .accepted = accepted};
    add_lines(m, lines, n_lines, &c->first_line, &c->n_lines);
    if (!accepted || !order_id)
        return NULL;
    model_order *o = model_order_get(m, order_id);
    if (!o) {
        XGROW(m->orders, m->n_orders, m->cap_orders, 1024);
        o = &m->orders[m->n_orders];
        memset(o, 0, sizeof *o);
        copy_id(o->id, sizeof o->id, order_id);
        o->paid = o->cancelled = o->paid_acked = o->cancel_acked = -1;
        strmap_put(m->order_by_id, order_id, (long)m->n_orders++);
    }
    o->shop = c->shop;
    o->placed = t;
    for (size_t i = c->first_line; i < c->first_line + c->n_lines && o->n_lines < MODEL_MAX_LINES; i++) {
        o->sku[o->n_lines] = m->lines[i].sku;
        o->qty[o->n_lines++] = m->lines[i].qty;
        o->units += m->lines[i].qty;
    }
    return o;
}

void model_order_paid(run_model *m, int64_t t, const char *order_id)
{
    model_order *o = model_order_get(m, order_id);
    if (o && o->paid < 0)
        o->paid = t;
}

void model_order_cancelled(run_model *m, int64_t t, const char *order_id, int restock,
                           int by_shopper)
{
    model_order *o = model_order_get(m, order_id);
    if (o && o->cancelled < 0) {
        o->cancelled = t;
        o->restock = restock;
        o->cancel_by_shopper = by_shopper;
    }
}

void model_order_acked(run_model *m, int64_t t, const char *order_id, const char *topic)
{
    model_order *o = model_order_get(m, order_id);
    if (!o || !topic)
        return;
    if (strcmp(topic, "orders/paid") == 0 && o->paid_acked < 0)
        o->paid_acked = t;
    if (strcmp(topic, "orders/cancelled") == 0 && o->cancel_acked < 0)
        o->cancel_acked = t;
}

void model_add_dead_letter(run_model *m, const char *order_id)
{
    m->n_dead_letters++;
    model_order *o = order_id && *order_id ? model_order_get(m, order_id) : NULL;
    if (o)
        o->in_dlq = 1;
}

void model_add_sale(run_model *m, int64_t t, model_sale_kind kind, const char *sale, const char *ref,
                    int loc, int64_t units)
{
    XGROW(m->sales, m->n_sales, m->cap_sales, 1024);
    model_sale *s = &m->sales[m->n_sales++];
    *s = (model_sale){
        .t = t, .seq = m->next_seq++, .kind = kind, .loc = known_loc(m, loc), .units = units};
    copy_id(s->sale, sizeof s->sale, sale);
    copy_id(s->ref, sizeof s->ref, ref);
}

void model_add_void(run_model *m, int64_t t, const char *sale, const char *ref, int loc, int by_user)
{
    model_add_sale(m, t, MODEL_SALE_VOIDED, sale, ref, loc, 0);
    m->sales[m->n_sales - 1].by_user = by_user;
}

void model_add_shipment(run_model *m, int64_t t, const char *sale, const char *ref, int loc,
                        int fulfilment, int complete, const model_line *lines, size_t n_lines)
{
    XGROW(m->shipments, m->n_shipments, m->cap_shipments, 256);
    model_shipment *s = &m->shipments[m->n_shipments++];
    *s = (model_shipment){.t = t,
                          .seq = m->next_seq++,
                          .loc = known_loc(m, loc),
                          .fulfilment = fulfilment,
                          .complete = complete};
    copy_id(s->sale, sizeof s->sale, sale);
    copy_id(s->ref, sizeof s->ref, ref);
    add_lines(m, lines, n_lines, &s->first_line, &s->n_lines);
}

void model_add_fulfillment(run_model *m, int64_t t, const char *order_id, const model_line *lines,
                           size_t n_lines)
{
    int o = model_order_index(m, order_id);
    if (o < 0)
        return;
    XGROW(m->fulfillments, m->n_fulfillments, m->cap_fulfillments, 256);
    model_fulfillment *f = &m->fulfillments[m->n_fulfillments++];
    *f = (model_fulfillment){.t = t, .order = o};
    add_lines(m, lines, n_lines, &f->first_line, &f->n_lines);
}

void model_add_hold(run_model *m, int64_t t, const char *order_id, int64_t fo, int release,
                    int out_of_stock)
{
    int o = model_order_index(m, order_id);
    if (o < 0)
        return;
    XGROW(m->holds, m->n_holds, m->cap_holds, 256);
    m->holds[m->n_holds++] = (model_hold){t, o, fo, release, !release && out_of_stock};
}

void model_add_notification(run_model *m, int64_t t, const char *order_id, model_note_kind kind)
{
    int o = model_order_index(m, order_id);
    if (o < 0)
        return;
    XGROW(m->notifications, m->n_notifications, m->cap_notifications, 256);
    m->notifications[m->n_notifications++] = (model_notification){t, o, kind};
}

void model_add_stock(run_model *m, int64_t t, int sku, int loc, model_cause cause, int64_t available,
                     int64_t position)
{
    if (sku < 0 || (size_t)sku >= m->sc->n_skus)
        return;
    XGROW(m->stock, m->n_stock, m->cap_stock, 1024);
    m->stock[m->n_stock++] = (model_stock){.t = t,
                                           .seq = m->next_seq++,
                                           .sku = sku,
                                           .loc = known_loc(m, loc),
                                           .cause = cause,
                                           .available = available,
                                           .position = position};
}

void model_add_backorder(run_model *m, int64_t t, int filled, const char *sale, const char *ref,
                         int sku, int loc, int64_t qty, int64_t still)
{
    XGROW(m->backorders, m->n_backorders, m->cap_backorders, 256);
    model_backorder *b = &m->backorders[m->n_backorders++];
    *b = (model_backorder){.t = t, .seq = m->next_seq++, .filled = filled,
                           .sku = known(sku, m->sc->n_skus), .loc = known_loc(m, loc), .qty = qty,
                           .still = still};
    copy_id(b->sale, sizeof b->sale, sale);
    copy_id(b->ref, sizeof b->ref, ref);
}

void model_add_channel_sale(run_model *m, int64_t t, int sku, int64_t qty, int accepted)
{
    if (sku < 0 || (size_t)sku >= m->sc->n_skus)
        return;
    XGROW(m->channel_sales, m->n_channel_sales, m->cap_channel_sales, 256);
    m->channel_sales[m->n_channel_sales++] =
        (model_channel_sale){.t = t, .sku = sku, .qty = qty, .accepted = accepted};
}

void model_add_purchase(run_model *m, int64_t t, model_po_kind kind, const char *id,
                        const char *supplier, int draft, const model_line *lines, size_t n_lines)
{
    XGROW(m->purchases, m->n_purchases, m->cap_purchases, 64);
    model_purchase *p = &m->purchases[m->n_purchases++];
    *p = (model_purchase){.t = t, .kind = kind, .draft = draft};
    copy_id(p->id, sizeof p->id, id);
    copy_id(p->supplier, sizeof p->supplier, supplier);
    add_lines(m, lines, n_lines, &p->first_line, &p->n_lines);
}

void model_add_level(run_model *m, int64_t t, int shop, int sku, int64_t level, model_by by)
{
    if (sku < 0 || (size_t)sku >= m->sc->n_skus)
        return;
    XGROW(m->levels, m->n_levels, m->cap_levels, 1024);
    m->levels[m->n_levels++] =
        (model_level){.t = t, .shop = known(shop, m->sc->n_shops), .sku = sku, .level = level, .by = by};
}

void model_add_request(run_model *m, int64_t t, model_system system, int status, int sale_write)
{
    XGROW(m->requests, m->n_requests, m->cap_requests, 4096);
    m->requests[m->n_requests++] =
        (model_request){.t = t, .system = system, .status = status, .sale_write = sale_write};
}

void model_add_arrival(run_model *m, const lg_record *r)
{
    XGROW(m->arrivals, m->n_arrivals, m->cap_arrivals, 1024);
    m->arrivals[m->n_arrivals++] = *r;
}

void model_add_sample(run_model *m, int64_t t, int64_t depth)
{
    XGROW(m->samples, m->n_samples, m->cap_samples, 256);
    m->samples[m->n_samples++] = (model_sample){t, depth};
}

void model_set_product(run_model *m, int sku, int64_t initial, int64_t received, int64_t adjusted)
{
    if (sku < 0 || (size_t)sku >= m->sc->n_skus)
        return;
    m->initial[sku] = initial;
    m->received[sku] = received;
    m->adjusted[sku] = adjusted;
}

void model_add_final_stock(run_model *m, int sku, int loc, int64_t available)
{
    if (sku < 0 || (size_t)sku >= m->sc->n_skus)
        return;
    m->final_available_all[sku] += available;
    if (loc >= 0 && (size_t)loc < m->sc->n_warehouses)
        m->final_available[(size_t)sku * m->sc->n_warehouses + (size_t)loc] += available;
}

void model_add_final_level(run_model *m, int shop, int sku, int64_t available)
{
    if (sku < 0 || (size_t)sku >= m->sc->n_skus || shop < 0 || (size_t)shop >= m->sc->n_shops)
        return;
    m->final_shopify[sku] += available;
    int64_t *l = &m->final_level[(size_t)sku * m->sc->n_shops + (size_t)shop];
    *l = (*l < 0 ? 0 : *l) + available;
}

void model_add_prodval(run_model *m, int64_t t, int shop, int sku, int field, int final,
                       int staff, const char *before, const char *after)
{
    if (sku < 0 || (size_t)sku >= m->sc->n_skus || shop < -1 || shop >= (int)m->sc->n_shops ||
        field < 0 || field >= MODEL_N_FIELDS)
        return;
    XGROW(m->prodvals, m->n_prodvals, m->cap_prodvals, 256);
    m->prodvals[m->n_prodvals++] = (model_prodval){t,
                                                   shop,
                                                   sku,
                                                   field,
                                                   final,
                                                   staff,
                                                   before && !final ? xstrdup(before) : NULL,
                                                   after ? xstrdup(after) : NULL};
}
