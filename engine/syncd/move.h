/*
 * Moving a backordered sale. Cin7 backorders a sale's lines at its location
 * when the stock is not there, even while another mapped location has it:
 * syncd routed on figures that were stale (another channel sold the units
 * in the minute before Cin7's stock webhook arrived). The shopper then
 * waits for a restock while the goods sit in another warehouse, and the
 * units the backorder will take from the next delivery were offered again.
 *
 * Cin7 has no "move": a sale's location is fixed once its lines are
 * authorised. So the sale is re-created whole at the location that can fill
 * it, under its ExternalID with a "~mN" suffix, once the backordered one
 * is voided. Void first: a sale Cin7 no longer lets void (its backorder
 * was filled and picking began) ships where it is, and no second sale
 * ships the order twice. Every step is exactly once (xwrite): the target is
 * decided once per sale and kept in the store, the void and the new sale
 * each have their ledger entry, so a crash or a lost answer anywhere
 * repeats nothing and resumes where it stopped.
 * Which location: engine/core/route.h's route_move, on fresh availability.
 *
 * Cost in Cin7 calls: one availability read per SKU of the sale, the new
 * void and the new sale's two posts (header, lines): 3 + SKUs, besides the
 * GET sale the backorder event costs anyway (more after a lost answer:
 * each is looked up before it is sent again).
 */
#ifndef SURGE_SYNCD_MOVE_H
#define SURGE_SYNCD_MOVE_H

#include "fulfil.h"
#include "handled.h"

/* Sale/Backordered: the sale read back, its backorders logged and
 * counted, and the sale moved when another mapped location can fill it
 * whole (otherwise it stays, said and counted). Returns done, or what
 * becomes of the event. */
handled move_backordered(syncd *sd, const store_event *ev);

/* Backordered units stay pending (store_backorder_hold) until Cin7 shows
 * them held: a move authorised the sale where the units are, or stock
 * arriving filled the backorder. Cin7 has no webhook type for a filled one
 * (and its stock webhook need not come when the arrival equals the
 * backorder: Available does not move), so
 * the held sales are looked at again: after a stock pass over skus, a
 * MOVE_RECHECK_TOPIC event is queued (lowest priority, so orders go first)
 * for each held sale of them not looked at in the last MOVE_RECHECK_MS, 4
 * in one call at most. held[i] is set when sku i still has a hold open (or
 * the store could not say): the caller marks it again MOVE_RECHECK_MS
 * later, so a hold never waits on other traffic to be looked at. */
#define MOVE_RECHECK_MS (5 * 60000)
#define MOVE_RECHECK_TOPIC "backorder/check"
void move_queue_rechecks(syncd *sd, char *const *skus, size_t n, int *held);
/* MOVE_RECHECK_TOPIC: the sale read; its holds kept at what is still
 * backordered, or settled (and its SKUs marked for a sync) when nothing
 * is, or when it was voided outside a move. */
handled move_recheck(syncd *sd, const store_event *ev);

#endif
