/*
 * Order status back to Shopify. Cin7 sale events (the Sale/ShipmentAuthorised
 * webhook, a thin notification naming the sale, or the same topic queued by
 * a poll or by reconciliation with a saleList row) make syncd read the sale
 * back and map it with engine/core/status.h; a sale that shipped becomes a
 * Shopify fulfillment of the order's line items it shipped, with its
 * tracking number and carrier: partial while other sales of a split order,
 * or backordered units, are still to come. Each shipment of a sale (a
 * Cin7 fulfilment whose Ship is authorised; an Advanced sale has several)
 * is fulfilled at most once (idempotency key "fulfil:<sale id>:<task id>",
 * the write ledger for a POST whose outcome was lost), whatever duplicates
 * arrive, and tells the customer when the shop's notify_customer is on.
 */
#ifndef SURGE_SYNCD_FULFIL_H
#define SURGE_SYNCD_FULFIL_H

#include "handlers.h"
#include "status.h"

#include <cJSON.h>

/* Sale/ShipmentAuthorised: fulfil at Shopify what shipped. */
handled fulfil_sale(syncd *sd, const store_event *ev);
/* The start of every Cin7 sale event's handling: fulfillments on, the
 * catalog loaded, the sale the event names into id (C7EVENT_ID_LEN).
 * Returns 0, or -1 with *h saying what becomes of the event. */
int fulfil_event_sale(syncd *sd, const store_event *ev, char *id, handled *h);
/* Counts a sale seen in state (syncd_sale_states_total). */
void fulfil_count_state(syncd *sd, const char *state);
/* The shop (index) a Cin7 sale was pushed from, by its ExternalID
 * ("shop/order" or "shop/order/location"), or -1 when it is none of ours. */
long fulfil_shop_of(const syncd *sd, const char *external_id);

/* ---- the readers of Cin7's documents (pure: the fuzz targets call them) ---- */

/* One shipment of a sale: a fulfilment whose Ship is authorised. Strings
 * malloc'd, NULL when absent; lines are the units it shipped, whole. */
typedef struct {
    char *task;          /* its TaskID; NULL for a sale that says it shipped
                          * but shows no authorised fulfilment */
    char *tracking, *carrier;
    status_line *lines;
    size_t n;
} fulfil_shipment;

/* A sale as GET sale answers it: strings malloc'd, NULL when absent or
 * empty; lines are the order's lines in whole units, with their
 * backordered units (skus owned); ships its shipments so far. */
typedef struct {
    char *id, *number, *status, *shipping, *fulfilment, *tracking, *reference;
    char *external, *location;
    status_line *lines;
    size_t n;
    fulfil_shipment *ships;
    size_t n_ships;
} fulfil_sale_info;
/* Reads v into *s (any JSON: what is missing stays NULL). A shipment per
 * fulfilment whose Ship is AUTHORISED or PARTIALLY AUTHORISED: its packed
 * (else picked) lines, the tracking number and carrier of its ship lines.
 * s->tracking is CombinedTrackingNumbers. */
void fulfil_sale_read(const cJSON *v, fulfil_sale_info *s);
void fulfil_sale_info_free(fulfil_sale_info *s);
/* The units of sale s that Cin7 backordered, as read. */
int64_t fulfil_backordered(const fulfil_sale_info *s);
/* GET sale?ID: the sale as it is now, into *s (and its document into
 * *keep, when keep is not NULL: the caller frees it). Returns 0, or -1
 * with *h saying what becomes of the event. */
int fulfil_read_sale(syncd *sd, const char *sale_id, int prio, fulfil_sale_info *s, handled *h,
                     cJSON **keep);

/* The Shopify order id of a sale into buf: CustomerReference, else
 * ExternalID's second part ("shop/order" or "shop/order/location"); empty
 * when that is not a number. */
void fulfil_order_of(const fulfil_sale_info *s, char *buf, size_t n);

/* The sale as it is now (fulfil_read_sale) and the Shopify order and shop
 * it was pushed from, into order (n bytes) and *shop. Returns 0; 1 when it
 * is no sale of a Shopify order (audited "skipped"; *s is still the
 * caller's to free); -1 with *h when it could not be read. */
int fulfil_order_sale(syncd *sd, const store_event *ev, const char *sale_id, fulfil_sale_info *s,
                      char *order, size_t n, long *shop, handled *h);

/* A backorder at Shopify (foholds.c): the fulfillment orders of sale s's
 * order that hold its backordered units put on hold (reason
 * INVENTORY_OUT_OF_STOCK, syncd's handle, a note naming the units) when
 * the backorder stays; released when it is filled. Both do nothing with
 * fulfillments off; release does nothing when no hold was placed. */
handled foholds_place(syncd *sd, const fulfil_sale_info *s);
handled foholds_release(syncd *sd, const fulfil_sale_info *s);
/* After a shipment of s (which released syncd's holds on the fulfillment
 * orders it fulfilled from): the units s still has on backorder are held
 * again, when syncd held them before. */
handled foholds_after_shipment(syncd *sd, const fulfil_sale_info *s);

#endif
