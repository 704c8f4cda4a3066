/*
 * Order status back to Shopify. Cin7 sale events (the Sale/ShipmentAuthorised
 * webhook, a thin notification naming the sale, or the same topic queued by
 * a poll or by reconciliation with a saleList row) make syncd read the sale
 * back and map it with engine/core/status.h; a sale that shipped becomes a
 * Shopify fulfillment of the order's line items it shipped, with its
 * tracking number and carrier: partial while other sales of a split order,
 * or backordered units, are still to come. Each sale is
 * fulfilled at most once (idempotency key "fulfil:<sale id>", the write
 * ledger for a POST whose outcome was lost), whatever duplicates arrive.
 */
#ifndef SURGE_SYNCD_FULFIL_H
#define SURGE_SYNCD_FULFIL_H

#include "handlers.h"

/* Sale/ShipmentAuthorised: fulfil at Shopify what shipped. */
handled fulfil_sale(syncd *sd, const store_event *ev);
/* Sale/Backordered: the sale read back, its backorders logged and counted
 * (nothing to tell Shopify). */
handled fulfil_backordered(syncd *sd, const store_event *ev);
/* The shop (index) a Cin7 sale was pushed from, by its ExternalID
 * ("shop/order" or "shop/order/location"), or -1 when it is none of ours. */
long fulfil_shop_of(const syncd *sd, const char *external_id);

#endif
