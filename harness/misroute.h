/*
 * Misrouted units: units of Shopify orders that wait backordered in Cin7 at
 * one warehouse while another warehouse has them available. Cin7 fills a
 * backorder only from stock arriving where the sale is, so such units wait
 * for a receipt (days) unless the engine moves them; a shopper who paid
 * for a unit that sits on a shelf elsewhere is a sale gone wrong as surely
 * as an oversell.
 *
 * The measure feeds this module the ground truth as it changed over time:
 * Cin7's Available per SKU and warehouse, and the units backordered per SKU
 * and warehouse. Per SKU, at each moment, the units that could move are the
 * most backordered units that Available stock at the *other* warehouses
 * could cover (a warehouse's backorders cannot be filled from its own
 * Available: Cin7 would already have filled them). A unit counts as
 * misrouted once for each stretch, longer than the grace period, during
 * which that many units could move: if 3 could move for 5 minutes and 1 of
 * them for 10 more, with a grace of 2 minutes, 3 units count; a unit that
 * could move for a minute, then not, then again for a minute counts none.
 * The grace period is the engine's time to notice (webhooks, reads) and act.
 *
 * Pure: no I/O, no clock; times are the caller's (scenario ms) and must not
 * go backwards (an earlier time is taken as the latest one seen).
 */
#ifndef SURGE_MISROUTE_H
#define SURGE_MISROUTE_H

#include <stddef.h>
#include <stdint.h>

typedef struct misroute misroute;

/* A tracker for n_skus SKUs over n_locs warehouses, every figure 0;
 * stretches must last longer than grace_ms to count. Caller frees. */
misroute *misroute_new(size_t n_skus, size_t n_locs, int64_t grace_ms);
void misroute_free(misroute *m); /* accepts NULL */

/* From time t on, Cin7's Available of sku at loc is avail (below 0 counts
 * as 0). Out-of-range indexes are ignored. */
void misroute_available(misroute *m, int64_t t, size_t sku, size_t loc, int64_t avail);
/* From time t on, delta more (negative: fewer) units of sku are
 * backordered at loc; the total never goes below 0. */
void misroute_backordered(misroute *m, int64_t t, size_t sku, size_t loc, int64_t delta);
/* The units of sku that could move now. */
int64_t misroute_movable(const misroute *m, size_t sku);

/* Ends every open stretch at end and returns the units counted, over all
 * SKUs; per_sku (n_skus entries, may be NULL) gets each SKU's. Call once;
 * the tracker takes no more figures afterwards. */
int64_t misroute_finish(misroute *m, int64_t end, int64_t *per_sku);

#endif
