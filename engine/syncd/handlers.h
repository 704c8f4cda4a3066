/*
 * What a worker does with each kind of queued event, and what it tells the
 * queue afterwards: done (ack), retry after a wait, or dead (the reason goes
 * to the dead-letter queue with an alert). Handlers are idempotent: an event
 * delivered twice, or retried after a crash mid-way, changes nothing twice.
 */
#ifndef SURGE_SYNCD_HANDLERS_H
#define SURGE_SYNCD_HANDLERS_H

#include "handled.h"
#include "syncd.h"

/* orders/paid: map, reserve, route, create the Cin7 sale(s). */
handled orders_paid(syncd *sd, const store_event *ev);
/* orders/cancelled: void the sale(s), release the reservation. */
handled orders_cancelled(syncd *sd, const store_event *ev);
/* Cin7 Stock/AvailableStockLevelChanged: refresh the cache, mark SKUs. */
handled stock_changed(syncd *sd, const store_event *ev);

/* Reads Cin7's availability of every SKU x location into the stock cache
 * when the cached snapshot is missing or older than allowed (boot, before
 * ready, and the inventory thread, after; never both at once). */
handled inventory_refresh(syncd *sd);

/* The inventory sync of a batch of Cin7 SKUs for every shop (called by the
 * inventory thread). audit: the batch is reconciliation's drift check, so
 * each shop and SKU whose level had to be written counts (and is logged) as
 * drift repaired. Returns H_DONE, or H_RETRY with a wait when part of it
 * must be tried again. set_aside (n entries) gets 1 for each SKU left out
 * because its reservation ledger could not be read; the rest went on. */
handled inventory_sync(syncd *sd, char **skus, size_t n, int audit, int *set_aside);
/* Frees the inventory thread's memory (once that thread has stopped). */
void inventory_free(syncd *sd);

#endif
