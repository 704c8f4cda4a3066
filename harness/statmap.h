/*
 * Order status mapping, judged from ground truth: does each Shopify order
 * the run placed show what Cin7 did with its sales? The expected mapping
 * is surge's own table (docs/scenarios.md, "Order status mapping"):
 *
 * - shipped: per SKU, the units Shopify fulfilled for the order equal the
 *   units Cin7 shipped over the order's sales (the sales whose
 *   CustomerReference is the order id);
 * - voided: when a user's void in Cin7 (not the API's) left the order no
 *   live sale and nothing of it shipped, Shopify has the order cancelled,
 *   restocked; otherwise an API client did not cancel it;
 * - backordered: while a live sale of the order has units backordered,
 *   the order has a fulfillment order held with reason
 *   INVENTORY_OUT_OF_STOCK; with none backordered, no such hold is open.
 *
 * Orders the shopper (or the merchant in Shopify's admin) cancelled are
 * left out: Cin7 follows Shopify there, not the other way.
 *
 * Lags run from a Cin7 change to the Shopify change that matches it; a
 * change never matched adds no lag and shows as a mismatch at the end.
 * Customer notifications are counted against one shipping confirmation
 * per Cin7 shipment and one cancellation notice per order cancelled
 * because of a user's void.
 *
 * Pure: reads the model only.
 */
#ifndef SURGE_STATMAP_H
#define SURGE_STATMAP_H

#include <stdint.h>

#include "hist.h"
#include "model.h"

typedef struct {
    int64_t mismatches;          /* orders whose end state breaks the mapping */
    int64_t notes_missing;       /* notifications expected and not sent */
    int64_t notes_duplicated;    /* notifications sent beyond those expected */
} statmap_figures;

/* The figures of m; each matched change's lag (ms) is recorded into lag. */
statmap_figures statmap_measure(const run_model *m, hist *lag);

#endif
