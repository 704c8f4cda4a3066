/*
 * A backorder at Cin7 as a hold at Shopify. When a sale's units are
 * backordered and stay so (no move fills them, or moves are off), the
 * Shopify order's fulfillment orders that hold those units are put on hold
 * with reason INVENTORY_OUT_OF_STOCK (FulfillmentHoldReason) and a note
 * naming the units, under syncd's own handle, so that the merchant's
 * screens say why the order waits. When stock arrives and fills the
 * backorder (the hold in the store settles), syncd's holds are released;
 * a shipment releases them anyway (foplan). The choice of hold (whole
 * fulfillment orders, placed when the backorder stays, released when it
 * fills) is in docs/syncd.md "Fulfillments".
 */
#include "fulfil.h"
#include "handlers.h"

#include "foplan.h"
#include "log.h"
#include "mem.h"
#include "sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* syncd's handle on the holds it places (one per fulfillment order). */
#define HOLD_HANDLE "cin7-backorder"

/* The store's mark that sale id has holds of syncd's at Shopify. */
static void mark_key(const char *id, char *key, size_t n)
{
    snprintf(key, n, "fohold:%s", id);
}

/* The shop and Shopify order of s, read into *ord; 0, 1 when s is no sale
 * of a Shopify order, -1 with *h. */
static int read_order(syncd *sd, const fulfil_sale_info *s, size_t *shop, shopify_order *ord,
                      handled *h)
{
    char order[64];
    fulfil_order_of(s, order, sizeof order);
    long sh = fulfil_shop_of(sd, s->external);
    if (sh < 0 || !*order)
        return 1;
    *shop = (size_t)sh;
    outcome o;
    shopify_order_read(sd->shops[sh], order, ord, &o);
    if (o.action != POLICY_DONE) {
        *h = o.action == POLICY_PERMANENT ? handled_done() : handled_from_outcome(&o);
        if (o.action == POLICY_PERMANENT)
            log_warn("sale %s: its order %s cannot be read at Shopify (%s); no hold", s->id, order,
                     o.error);
        outbound_done(&o);
        return -1;
    }
    outbound_done(&o);
    return 0;
}

handled foholds_place(syncd *sd, const fulfil_sale_info *s)
{
    handled h = handled_done();
    if (!sd->cfg.fulfillments || !syncd_catalog(sd))
        return h;
    shopify_order ord;
    size_t shop;
    int rc = read_order(sd, s, &shop, &ord, &h);
    if (rc != 0)
        return h;
    /* The order's line items of the backordered SKUs, and a note. */
    int64_t *items = xcalloc(ord.n_lines + 1, sizeof *items);
    size_t n = 0;
    sbuf note = SBUF_INIT;
    for (size_t i = 0; i < s->n; i++) {
        if (s->lines[i].backordered <= 0)
            continue;
        sbuf_printf(&note, "%s%lld x %s", note.len ? ", " : "Backordered in Cin7 (sale ",
                    (long long)s->lines[i].backordered, s->lines[i].sku);
        for (size_t k = 0; k < ord.n_lines; k++) {
            const char *c7 = ord.lines[k].sku ? catalog_cin7_sku(syncd_catalog(sd), ord.lines[k].sku)
                                              : NULL;
            if (c7 && strcmp(c7, s->lines[i].sku) == 0)
                items[n++] = ord.lines[k].id;
        }
    }
    if (note.len)
        sbuf_printf(&note, "; %s)", s->number ? s->number : s->id);
    size_t *fos = xcalloc(ord.n_fos + 1, sizeof *fos);
    size_t k = foplan_backorder_holds(ord.fos, ord.n_fos, items, n, fos);
    char key[200];
    mark_key(s->id, key, sizeof key);
    /* Marked first: a hold placed and then forgotten would never go. */
    if (k && store_kv_set(sd->st, key, "1") != 0) {
        h = handled_retry(1000, "store: cannot mark the holds of sale %.60s", s->id);
        k = 0;
    }
    for (size_t i = 0; i < k && h.kind == H_DONE; i++) {
        outcome o;
        shopify_fo_hold(sd->shops[shop], &ord, fos[i], HOLD_HANDLE, sbuf_str(&note), &o);
        if (o.action == POLICY_DONE) {
            metrics_inc(sd->m, "syncd_backorder_holds_placed_total", 1);
        } else if (o.action == POLICY_PERMANENT) {
            log_warn("sale %s: Shopify refused the backorder hold: %s", s->id, o.error);
        } else {
            h = handled_from_outcome(&o);
        }
        outbound_done(&o);
    }
    if (k && h.kind == H_DONE)
        log_info("sale %s: %zu fulfillment order(s) of its order held at Shopify: %s", s->id, k,
                 sbuf_str(&note));
    sbuf_free(&note);
    free(fos);
    free(items);
    shopify_order_free(&ord);
    return h;
}

handled foholds_release(syncd *sd, const fulfil_sale_info *s)
{
    handled h = handled_done();
    char key[200];
    mark_key(s->id, key, sizeof key);
    char *mark = store_kv_get(sd->st, key);
    if (!mark || !sd->cfg.fulfillments)
        goto out;
    shopify_order ord;
    size_t shop;
    int rc = read_order(sd, s, &shop, &ord, &h);
    if (rc < 0)
        goto out;
    if (rc == 0) {
        size_t released = 0;
        outcome o;
        shopify_release_handle(sd->shops[shop], &ord, HOLD_HANDLE, &released, &o);
        if (o.action != POLICY_DONE && o.action != POLICY_PERMANENT)
            h = handled_from_outcome(&o);
        else if (o.action == POLICY_PERMANENT)
            log_warn("sale %s: Shopify refused to release the backorder hold: %s", s->id, o.error);
        if (released)
            metrics_inc(sd->m, "syncd_backorder_holds_released_total", (int64_t)released);
        outbound_done(&o);
        shopify_order_free(&ord);
    }
    if (h.kind == H_DONE && store_kv_set(sd->st, key, NULL) != 0)
        h = handled_retry(1000, "store: cannot clear the holds of sale %.60s", s->id);
out:
    free(mark);
    return h;
}

handled foholds_after_shipment(syncd *sd, const fulfil_sale_info *s)
{
    if (!fulfil_backordered(s) || !s->id)
        return handled_done();
    char key[200];
    mark_key(s->id, key, sizeof key);
    char *mark = store_kv_get(sd->st, key);
    handled h = mark ? foholds_place(sd, s) : handled_done();
    free(mark);
    return h;
}
