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

/* Queue priorities of events (higher leases first): moves of backordered
 * sales first (intake.c says why), then orders and stock notifications,
 * then shipments. */
enum { EVENT_PRIO_SHIPMENT = 1, EVENT_PRIO_NORMAL = 2, EVENT_PRIO_MOVE = 3 };

/* orders/paid: map, reserve, route, create the Cin7 sale(s). */
handled orders_paid(syncd *sd, const store_event *ev);
/* orders/cancelled: void the sale(s), release the reservation. */
handled orders_cancelled(syncd *sd, const store_event *ev);

/* ---- an order's sales, for moving them (move.c) ---- */

/* Most times one group's sale is moved (each move's ExternalID grows by
 * a "~mN" suffix, and Cin7 takes 256 characters). */
#define ORDERS_MAX_MOVES 3
/* Makes sure the sale of plan group group (its location and lines) exists
 * in Cin7 under ExternalID ext with its lines authorised, exactly once;
 * address (a Cin7 ShippingAddress object) may be NULL; prio: its calls'
 * priority at Cin7's gate (gate.h). */
handled orders_push_sale(syncd *sd, const store_event *ev, const char *shop, const char *id,
                         const char *ext, const cJSON *group, const cJSON *address, int prio);
/* Whether the idempotency key prefix + id is claimed: 1 when it is, 0
 * when not, -1 when the store cannot say. */
int orders_idem_has(syncd *sd, const char *prefix, const char *id);
/* The SKUs a Cin7 sale order document (Lines[].BackorderQuantity)
 * backorders, into *skus (borrowed from order) and *units (whole units,
 * a fraction rounded up), both malloc'd for the caller to free; returns
 * how many. */
size_t orders_backordered(const cJSON *order, const char ***skus, int64_t **units);
/* Holds units[i] of skus[i] that Cin7 backordered on sale sale_id of
 * order order_id of shop as pending (store_backorder_hold) and marks the
 * SKUs for a sync. 0, or -1 when the store could not (said and counted). */
int orders_hold_backorders(syncd *sd, const char *shop, const char *order_id, const char *sale_id,
                           const char *const *skus, const int64_t *units, size_t n);
/* The order's stored routing plan (an empty array when it has none;
 * caller frees) and the ExternalID of its group's first sale into buf. */
cJSON *orders_plan(syncd *sd, const char *shop, const char *id);
void orders_group_ext(const char *shop, const char *id, const cJSON *plan, const cJSON *group,
                      char *buf, size_t n);
/* Calls fn with the ExternalID of each sale the order's routing plan made
 * and of each sale those were moved to, in order, until one answers other
 * than H_DONE (returned); *groups gets the plan's groups (0: no plan). */
handled orders_each_ext(syncd *sd, const char *domain, const char *id, size_t *groups,
                        handled (*fn)(syncd *sd, const char *ext, void *ud), void *ud);
/* The ExternalID the sale of ext was moved to (malloc'd), or NULL. */
char *orders_moved_to(syncd *sd, const char *ext);
/* Held by a move for its whole length and by a cancellation while it marks
 * the order and voids its sales. */
void orders_sales_lock(void);
void orders_sales_unlock(void);
/* Cin7 Sale/Voided: a user's void of an order's only sale cancels the
 * order at Shopify; syncd's own voids ask nothing (voided.c). */
handled sale_voided(syncd *sd, const store_event *ev);
/* Cin7 Stock/AvailableStockLevelChanged: refresh the cache, mark SKUs. */
handled stock_changed(syncd *sd, const store_event *ev);
/* Marks the SKUs of a stock notification received at received_at (sim
 * ms) for the inventory thread, asking for a new Cin7 read unless one
 * started since. Intake calls it too, so levels move while every worker
 * waits on Cin7 (the queued event marks them again: harmless). */
void stock_mark(syncd *sd, const char *const *skus, size_t n, int64_t received_at);

/* Reads Cin7's availability of every SKU x location into the stock cache
 * when the cached snapshot is missing or older than allowed (boot, before
 * ready, and the inventory thread, after; never both at once). */
handled inventory_refresh(syncd *sd);
/* Takes the stock figures of the last full read, which inventory_refresh
 * keeps in the store, into the cache (for a start while Cin7 cannot be
 * read). Returns 0 when taken, 1 when none were kept, -1 with why when
 * the kept copy cannot be used. */
int inventory_restore(syncd *sd, char *why, size_t whylen);
/* Takes the figures of a full read another instance sharing the store made
 * after this instance's last one (figures newer per SKU and location win,
 * as always): 1 when taken, 0 when there was none newer (always on a
 * store this process has to itself), -1 when the kept
 * copy could not be taken (logged). Routing and the inventory sync call
 * it first, so no instance goes on older figures than the store has. */
int inventory_adopt(syncd *sd);
/* Routing's critical section (orders.c): the process's routing lock and,
 * on a store several instances share, the store's "route" claim with the
 * routing records every instance made; end keeps this instance's records
 * in the store when changed. Every route decision and every record of a
 * sale pushed happens between the two. */
void orders_route_begin(syncd *sd);
void orders_route_end(syncd *sd, int changed);

/* The inventory sync of a batch of Cin7 SKUs for every shop (called by the
 * inventory thread). audit: the batch is reconciliation's drift check, so
 * each shop and SKU whose level had to be written counts (and is logged) as
 * drift repaired. Returns H_DONE, or H_RETRY with a wait when part of it
 * must be tried again. set_aside (n entries) gets 1 for each SKU left out
 * because its reservation ledger could not be read; the rest went on. */
handled inventory_sync(syncd *sd, char **skus, size_t n, int audit, int *set_aside);
/* The batch (its n strings, taken over) and every kit and component tied
 * to it (malloc'd copies), which a pass over the batch writes too: the
 * kits using a SKU of it, the components of its kits, and so on (a kit's
 * level needs all its components' figures, and a kit sold moves its
 * components and every other kit using them). The inventory thread claims
 * them all before the pass (instances sharing a store write a SKU's level
 * one at a time); inventory_sync reads the figures of a tied SKU it was
 * not given and writes nothing of it. A malloc'd array of *n_out. */
char **inventory_tied(syncd *sd, char **skus, size_t n, size_t *n_out);
/* Frees the inventory thread's memory (once that thread has stopped). */
void inventory_free(syncd *sd);

#endif
