/*
 * The periodic side of syncd: reconciliation (the audit layer) in event
 * mode, every reconcile.interval, and the whole sync in poll mode, every
 * poll_interval. Each run
 *   (a) checks every mapped SKU's Shopify level against what a fresh Cin7
 *       snapshot says is sellable and repairs drift (through the inventory
 *       thread; the levels it had to write count as drift);
 *   (b) fetches each shop's paid orders since a watermark and queues those
 *       syncd never saw (no routing plan, no reservation) as orders/paid
 *       events, so the normal idempotent handler pushes them;
 *   (c) checks that purchases received since the last run show in Cin7's
 *       OnHand (a weak check, see docs/syncd.md);
 *   (d) with fulfillments on, queues the sales that shipped since the last
 *       run and have not been fulfilled at Shopify.
 * In poll mode (a) is the only way levels move and (b) and (d) the only way
 * orders and shipments are learned. A run never overlaps another.
 */
#ifndef SURGE_SYNCD_RECONCILE_H
#define SURGE_SYNCD_RECONCILE_H

#include "cin7.h"
#include "syncd.h"

typedef struct reconciler reconciler;

/* Starts the thread. Once syncd is ready, the first run comes after one
 * interval on a fresh store (after a restart, when the last schedule said),
 * except in poll mode, where the first poll is at once. */
reconciler *reconcile_start(syncd *sd);
/* Asks for a run now (the admin API); accepts NULL. */
void reconcile_request(reconciler *r);
/* Joins it (sd->stopping is set and the gates stopped first); accepts NULL. */
void reconcile_stop(reconciler *r);

/* Checks one received purchase p (a purchaseList row read back with its
 * StockReceived and Order sections) against Cin7's snapshot: each SKU x
 * location it received must show at least as many units OnHand. Logs and
 * returns the anomalies. Pure but for the log: its fuzz target calls it. */
int64_t reconcile_check_purchase(const cJSON *p, const cin7_snapshot *snap);

#endif
