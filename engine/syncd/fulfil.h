/*
 * Order status back to Shopify. Cin7 sale events (the
 * Sale/ShipmentTrackingNumberChanged webhook, or the same topic queued by a
 * poll or by reconciliation) are mapped by engine/core/status.h; a sale
 * that shipped becomes a Shopify fulfillment of the order's line items it
 * shipped, with its tracking number and carrier: partial while other sales
 * of a split order, or backordered units, are still to come. Each sale is
 * fulfilled at most once (idempotency key "fulfil:<sale id>", the write
 * ledger for a POST whose outcome was lost), whatever duplicates arrive.
 */
#ifndef SURGE_SYNCD_FULFIL_H
#define SURGE_SYNCD_FULFIL_H

#include "handlers.h"

/* Sale/ShipmentTrackingNumberChanged: fulfil at Shopify what shipped. */
handled fulfil_sale(syncd *sd, const store_event *ev);
/* Sale/Backordered: logged and counted (nothing to tell Shopify). */
handled fulfil_backordered(syncd *sd, const store_event *ev);

#endif
