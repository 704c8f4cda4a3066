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

#endif
