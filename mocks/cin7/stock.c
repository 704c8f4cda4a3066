/*
 * Stock in lots: what is on the shelves of each product at each location,
 * by bin and batch, as ref/productavailability shows it ("one row per
 * product x location x bin x batch", ../shared/API-NOTES.md), and the
 * operations that move it: holding units for sales (allocation), taking
 * held units off the shelf (picking), releasing them (a voided sale),
 * receiving purchased units, other channels' sales and stock takes.
 *
 * Per lot: Available = OnHand - Allocated; a location's figures are the
 * sums over its lots. OnOrder and InTransit belong to the location, not to
 * a bin or batch: the first row of a location carries them (0 on the
 * others), so the rows of a location still add up to its figures.
 *
 * Allocation order (the reference is silent; a documented choice, the
 * usual warehouse rule "first expiry, first out"): lots with an expiry date
 * first, earliest first, then lots without one; ties in the order the lots
 * were made. Expired batches are allocated like the others (the reference
 * says nothing of refusing them).
 */
#include "world_int.h"

#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

c7sum c7stock_sum(const c7cell *c)
{
    c7sum s = {0, 0, 0};
    for (size_t i = 0; i < c->n_lots; i++) {
        s.on_hand += c->lots[i].on_hand;
        s.allocated += c->lots[i].allocated;
    }
    s.available = s.on_hand - s.allocated;
    return s;
}

static int same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

size_t c7stock_lot(c7world *w, c7cell *c, const char *bin, const char *batch, int64_t expiry_ms)
{
    for (size_t i = 0; i < c->n_lots; i++)
        if (same_text(c->lots[i].bin, bin) && same_text(c->lots[i].batch, batch)) {
            if (expiry_ms >= 0)
                c->lots[i].expiry_ms = expiry_ms;
            return i;
        }
    XGROW(c->lots, c->n_lots, c->cap_lots, 2);
    c7lot *l = &c->lots[c->n_lots];
    memset(l, 0, sizeof *l);
    l->bin = c7w_dup_or_null(bin);
    l->batch = c7w_dup_or_null(batch);
    l->expiry_ms = expiry_ms;
    l->order = w->next_lot++;
    return c->n_lots++;
}

void c7stock_free_cell(c7cell *c)
{
    for (size_t i = 0; i < c->n_lots; i++) {
        free(c->lots[i].bin);
        free(c->lots[i].batch);
    }
    free(c->lots);
    memset(c, 0, sizeof *c);
}

c7before c7stock_before(const c7cell *c)
{
    return (c7before){c7stock_sum(c), c->on_order, c->in_transit};
}

static void put_cell(sbuf *b, const c7world *w, long p, long l)
{
    sbuf_puts(b, "\"sku\":");
    sbuf_json_str(b, w->prods[p].sku);
    sbuf_puts(b, ",\"location\":");
    sbuf_json_str(b, w->locs[l].name);
}

static void put_qty(sbuf *b, const char *key, qty4 q)
{
    sbuf_printf(b, ",\"%s\":", key);
    qty4_print(b, q);
}

void c7stock_note(c7world *w, long p, long l, const c7before *before, const char *cause,
                  const char *ref)
{
    c7cell *c = &w->prods[p].cells[l];
    c7sum now = c7stock_sum(c);
    if (now.on_hand == before->sum.on_hand && now.allocated == before->sum.allocated &&
        c->on_order == before->on_order && c->in_transit == before->in_transit)
        return;
    sbuf b = SBUF_INIT;
    put_cell(&b, w, p, l);
    put_qty(&b, "on_hand", now.on_hand);
    put_qty(&b, "allocated", now.allocated);
    put_qty(&b, "available", now.available);
    put_qty(&b, "on_order", c->on_order);
    put_qty(&b, "in_transit", c->in_transit);
    sbuf_printf(&b, ",\"cause\":\"%s\",\"ref\":", cause);
    if (ref)
        sbuf_json_str(&b, ref);
    else
        sbuf_puts(&b, "null");
    journal_addf(w->jr, "stock", "%s", sbuf_str(&b));
    sbuf_free(&b);
    /* Seeds set the scene before a run; they are not events to announce. */
    if (now.available != before->sum.available && !c->dirty && strcmp(cause, "seed") != 0) {
        c->dirty = 1;
        if (!w->flush_pending) {
            /* The first change of a window starts it; the rows leave
             * together when it closes (coalescing per SKU and location). */
            w->flush_pending = 1;
            c7w_schedule(w, C7EV_FLUSH_STOCK, c7w_now(w) + w->cfg->coalesce_ms, 0, 0);
        }
    }
}

/* The cell's lots in allocation order (malloc'd, caller frees). */
static size_t *lot_order(const c7cell *c)
{
    size_t *o = xcalloc(c->n_lots + 1, sizeof *o);
    for (size_t i = 0; i < c->n_lots; i++)
        o[i] = i;
    /* Insertion sort: a cell has a handful of lots. */
    for (size_t i = 1; i < c->n_lots; i++) {
        size_t k = o[i], j = i;
        const c7lot *a = &c->lots[k];
        while (j > 0) {
            const c7lot *b = &c->lots[o[j - 1]];
            int a_exp = a->expiry_ms >= 0, b_exp = b->expiry_ms >= 0;
            int earlier = a_exp != b_exp ? a_exp
                          : a_exp && a->expiry_ms != b->expiry_ms ? a->expiry_ms < b->expiry_ms
                                                                  : a->order < b->order;
            if (!earlier)
                break;
            o[j] = o[j - 1];
            j--;
        }
        o[j] = k;
    }
    return o;
}

static void add_hold(c7hold **holds, size_t *n, size_t lot, qty4 qty)
{
    for (size_t i = 0; i < *n; i++)
        if ((*holds)[i].lot == lot) {
            (*holds)[i].qty += qty;
            return;
        }
    *holds = xrealloc(*holds, (*n + 1) * sizeof **holds);
    (*holds)[(*n)++] = (c7hold){lot, qty};
}

qty4 c7stock_hold(c7world *w, long p, long l, qty4 want, c7hold **holds, size_t *n_holds)
{
    c7cell *c = &w->prods[p].cells[l];
    size_t *order = lot_order(c);
    qty4 got = 0;
    for (size_t i = 0; i < c->n_lots && got < want; i++) {
        c7lot *lot = &c->lots[order[i]];
        qty4 free_units = lot->on_hand - lot->allocated;
        if (free_units <= 0)
            continue;
        qty4 take = want - got < free_units ? want - got : free_units;
        lot->allocated += take;
        got += take;
        add_hold(holds, n_holds, order[i], take);
    }
    free(order);
    return got;
}

void c7stock_release(c7world *w, long p, long l, c7hold *holds, size_t n_holds)
{
    c7cell *c = &w->prods[p].cells[l];
    for (size_t i = 0; i < n_holds; i++)
        c->lots[holds[i].lot].allocated -= holds[i].qty;
}

void c7stock_take_held(c7world *w, long p, long l, const c7hold *holds, size_t n_holds)
{
    c7cell *c = &w->prods[p].cells[l];
    for (size_t i = 0; i < n_holds; i++) {
        c->lots[holds[i].lot].allocated -= holds[i].qty;
        c->lots[holds[i].lot].on_hand -= holds[i].qty;
    }
}

void c7stock_take_noted(c7world *w, long p, long l, qty4 qty, const char *cause, const char *ref)
{
    c7before before = c7stock_before(&w->prods[p].cells[l]);
    c7hold *holds = NULL;
    size_t n = 0;
    c7stock_hold(w, p, l, qty, &holds, &n);
    c7stock_take_held(w, p, l, holds, n);
    free(holds);
    c7stock_note(w, p, l, &before, cause, ref);
}

qty4 c7stock_makeable(const c7world *w, long p, long l)
{
    const c7prod *pr = &w->prods[p];
    if (!pr->auto_assembly || !pr->n_bom)
        return 0;
    int64_t kits = QTY4_MAX / QTY4_ONE;
    for (size_t k = 0; k < pr->n_bom; k++) {
        qty4 avail = c7stock_sum(&w->prods[pr->bom[k]].cells[l]).available;
        int64_t n = avail > 0 && pr->bom_qty[k] > 0 ? avail / pr->bom_qty[k] : 0;
        if (n < kits)
            kits = n;
    }
    return kits * QTY4_ONE;
}

void c7stock_receive(c7world *w, long p, long l, qty4 qty)
{
    c7cell *c = &w->prods[p].cells[l];
    size_t lot = c7stock_lot(w, c, NULL, NULL, -1);
    c->lots[lot].on_hand += qty;
    c->received += qty;
}

/* One row: the API's (with ID, Name, Barcode, ExpiryDate, InTransit) or the
 * webhook's thin one. */
static void row(const c7world *w, long p, long l, const c7lot *lot, int carries_location, int thin,
                sbuf *b)
{
    const c7prod *pr = &w->prods[p];
    const c7cell *c = &pr->cells[l];
    qty4 on_hand = lot ? lot->on_hand : 0, allocated = lot ? lot->allocated : 0;
    sbuf_putc(b, '{');
    if (!thin) {
        sbuf_printf(b, "\"ID\":\"%s\",", pr->id);
    }
    sbuf_puts(b, "\"SKU\":");
    sbuf_json_str(b, pr->sku);
    if (!thin) {
        sbuf_puts(b, ",\"Name\":");
        sbuf_json_str(b, pr->name);
        sbuf_puts(b, ",\"Barcode\":null");
    }
    sbuf_puts(b, ",\"Location\":");
    sbuf_json_str(b, w->locs[l].name);
    sbuf_puts(b, ",\"Bin\":");
    if (lot && lot->bin)
        sbuf_json_str(b, lot->bin);
    else
        sbuf_puts(b, "null");
    sbuf_puts(b, ",\"Batch\":");
    if (lot && lot->batch)
        sbuf_json_str(b, lot->batch);
    else
        sbuf_puts(b, "null");
    if (!thin) {
        sbuf_puts(b, ",\"ExpiryDate\":");
        if (lot && lot->expiry_ms >= 0) {
            char d[40];
            c7w_epoch_date(lot->expiry_ms, d, sizeof d);
            sbuf_json_str(b, d);
        } else {
            sbuf_puts(b, "null");
        }
    }
    /* An auto-assembled product's location row adds what its components
     * there make (Cin7 Core help, "Auto-assembly": the finished product's
     * availability is what could be assembled from available components). */
    qty4 makeable = carries_location ? c7stock_makeable(w, p, l) : 0;
    put_qty(b, "OnHand", on_hand);
    put_qty(b, "Allocated", allocated);
    put_qty(b, "Available", on_hand - allocated + makeable);
    put_qty(b, "OnOrder", carries_location ? c->on_order : 0);
    put_qty(b, "StockOnHand", qty4_muldiv(on_hand, pr->cost, QTY4_ONE));
    if (!thin)
        put_qty(b, "InTransit", carries_location ? c->in_transit : 0);
    sbuf_putc(b, '}');
}

static int lot_shown(const c7lot *lot)
{
    return lot->on_hand != 0 || lot->allocated != 0;
}

size_t c7stock_rows(const c7world *w, long p, long l, sbuf *b, int thin, int first)
{
    const c7cell *c = &w->prods[p].cells[l];
    size_t n = 0;
    for (size_t i = 0; i < c->n_lots; i++) {
        if (!lot_shown(&c->lots[i]))
            continue;
        if (!first || n)
            sbuf_putc(b, ',');
        row(w, p, l, &c->lots[i], n == 0, thin, b);
        n++;
    }
    if (n == 0) {
        /* Nothing on the shelves: one row of zeros (and what is on order). */
        if (!first)
            sbuf_putc(b, ',');
        row(w, p, l, NULL, 1, thin, b);
        n = 1;
    }
    return n;
}

/* ---- ref/productavailability -------------------------------------------------- */

/* Rows of (p, l) that pass the Batch filter, counted for paging and
 * appended when on the page. The same rows as c7stock_rows. */
static void query_rows(const c7world *w, const c7query *q, long p, long l, int64_t *total, sbuf *b,
                       int *first)
{
    const c7cell *c = &w->prods[p].cells[l];
    size_t shown = 0;
    for (size_t i = 0; i <= c->n_lots; i++) {
        const c7lot *lot = i < c->n_lots ? &c->lots[i] : NULL;
        if (!lot && (shown || q->batch))
            break; /* the row of zeros only stands for an empty cell */
        if (lot && (!lot_shown(lot) || (q->batch && (!lot->batch || strcmp(lot->batch, q->batch)))))
            continue;
        int carries = shown++ == 0 && !q->batch;
        if (c7w_on_page(q, total)) {
            if (!*first)
                sbuf_putc(b, ',');
            row(w, p, l, lot, carries, 0, b);
            *first = 0;
        }
    }
}

void c7world_availability(c7world *w, const c7query *q, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long only_loc = -1;
    if (q->location) {
        only_loc = c7w_location(w, q->location);
        if (only_loc < 0) {
            /* Cin7 answers an unknown location with an empty list. */
            out->status = 200;
            out->body = xasprintf("{\"Total\":0,\"Page\":%lld,\"ProductAvailabilityList\":[]}",
                                  (long long)q->page);
            pthread_mutex_unlock(&w->lock);
            return;
        }
    }
    sbuf b = SBUF_INIT;
    int64_t total = 0;
    int first = 1;
    sbuf_puts(&b, "{\"ProductAvailabilityList\":[");
    long from = 0, to = (long)w->n_prods;
    if (q->sku || q->id) {
        /* One product: the index finds it without a scan. */
        long p = c7w_product(w, q->sku, q->id);
        if (p >= 0 && q->sku && q->id && p != strmap_get(w->prod_by_sku, q->sku))
            p = -1;
        from = p >= 0 ? p : 0;
        to = p >= 0 ? p + 1 : 0;
    }
    for (long p = from; p < to; p++) {
        if (q->name && !c7w_contains(w->prods[p].name, q->name))
            continue;
        for (long l = 0; l < (long)w->n_locs; l++)
            if (only_loc < 0 || l == only_loc)
                query_rows(w, q, p, l, &total, &b, &first);
    }
    sbuf_printf(&b, "],\"Total\":%lld,\"Page\":%lld}", (long long)total, (long long)q->page);
    pthread_mutex_unlock(&w->lock);
    out->status = 200;
    out->body = sbuf_take(&b);
}

/* ---- other channels and stock takes ------------------------------------------- */

/* The cell a /_mock/ request names by SKU and location (the first when
 * none); -1 after failing r when there is no such cell. */
static int find_cell(const c7world *w, const char *sku, const char *location, long *p, long *l,
                     c7result *r)
{
    *p = strmap_get(w->prod_by_sku, sku);
    *l = location ? c7w_location(w, location) : (w->n_locs ? 0 : -1);
    if (*p < 0) {
        c7w_fail(r, 400, "sku: unknown SKU \"%s\"", sku);
        return -1;
    }
    if (*l < 0) {
        c7w_fail(r, 400, "location: unknown location \"%s\"", location ? location : "");
        return -1;
    }
    return 0;
}

void c7world_channel_sale(c7world *w, const char *sku, const char *location, qty4 qty,
                          const char *channel, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long p, l;
    if (find_cell(w, sku, location, &p, &l, out) == 0) {
        c7cell *c = &w->prods[p].cells[l];
        qty4 avail = c7stock_sum(c).available;
        int accepted = avail >= qty;
        XGROW(w->chs, w->n_chs, w->cap_chs, 16);
        c7chsale *cs = &w->chs[w->n_chs++];
        *cs = (c7chsale){c7w_now(w), p, l, qty, avail, xstrdup(channel), accepted};
        sbuf b = SBUF_INIT;
        put_cell(&b, w, p, l);
        sbuf_puts(&b, ",\"channel\":");
        sbuf_json_str(&b, channel);
        put_qty(&b, "qty", qty);
        sbuf_printf(&b, ",\"accepted\":%s", accepted ? "true" : "false");
        put_qty(&b, "available_before", avail);
        journal_addf(w->jr, "channel_sale", "%s", sbuf_str(&b));
        sbuf_free(&b);
        counters_addf(w->ctr, 1, "channel_sales %s", accepted ? "accepted" : "refused");
        if (accepted) {
            /* The channel's picker takes from the shelves in allocation
             * order, as a sale would. */
            c7stock_take_noted(w, p, l, qty, "channel_sale", channel);
        }
        cJSON *v = cJSON_CreateObject();
        cJSON_AddBoolToObject(v, "accepted", accepted);
        cJSON_AddStringToObject(v, "sku", w->prods[p].sku);
        cJSON_AddStringToObject(v, "location", w->locs[l].name);
        qty4_add(v, "qty", qty);
        cJSON_AddStringToObject(v, "channel", channel);
        qty4_add(v, "available", c7stock_sum(c).available);
        c7w_reply(out, v);
    }
    pthread_mutex_unlock(&w->lock);
}

void c7world_adjust(c7world *w, const char *sku, const char *location, const char *bin,
                    const char *batch, qty4 on_hand, const char *reason, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long p, l;
    if (find_cell(w, sku, location, &p, &l, out) == 0) {
        c7cell *c = &w->prods[p].cells[l];
        c7before before = c7stock_before(c);
        size_t k = c7stock_lot(w, c, bin, batch, -1); /* may move the array */
        c7lot *lot = &c->lots[k];
        c->adjusted += on_hand - lot->on_hand;
        lot->on_hand = on_hand;
        c7stock_note(w, p, l, &before, "adjustment", reason);
        c7sum s = c7stock_sum(c);
        cJSON *v = cJSON_CreateObject();
        cJSON_AddStringToObject(v, "sku", w->prods[p].sku);
        cJSON_AddStringToObject(v, "location", w->locs[l].name);
        c7render_str_or_null(v, "bin", bin);
        c7render_str_or_null(v, "batch", batch);
        qty4_add(v, "on_hand", s.on_hand);
        qty4_add(v, "available", s.available);
        c7w_reply(out, v);
    }
    pthread_mutex_unlock(&w->lock);
}
