/*
 * What a worker does with each kind of queued event, and what it tells the
 * queue afterwards: done (ack), retry after a wait, or dead (the reason goes
 * to the dead-letter queue with an alert). Handlers are idempotent: an event
 * delivered twice, or retried after a crash mid-way, changes nothing twice.
 */
#ifndef SURGE_SYNCD_HANDLERS_H
#define SURGE_SYNCD_HANDLERS_H

#include "syncd.h"

enum { H_DONE, H_RETRY, H_DEAD };

typedef struct {
    int kind;
    int64_t wait_ms;    /* H_RETRY */
    char reason[320];   /* H_RETRY, H_DEAD */
} handled;

/* The answers every handler gives (handlers.c): done; retry after wait_ms
 * or dead, the reason formatted (and cut to fit); and the answer an
 * outbound call's failure calls for: dead when it is permanent, else a
 * retry after the wait it asks for (1 s when it asks none). */
handled handled_done(void);
handled handled_retry(int64_t wait_ms, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
handled handled_dead(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
handled handled_from_outcome(const outcome *o);
/* The answer to a write that is not safe to repeat (a sale, a fulfillment)
 * when its outcome o is not DONE, once the write ledger has the outcome
 * under key at time at: UNKNOWN when the write may have landed (a retry,
 * which looks it up before sending again), FAILED when it surely did not
 * (refused, or never sent: safe to send again). */
handled handled_write_failed(syncd *sd, const char *key, const outcome *o, int64_t at);

/* orders/paid: map, reserve, route, create the Cin7 sale(s). */
handled orders_paid(syncd *sd, const store_event *ev);
/* orders/cancelled: void the sale(s), release the reservation. */
handled orders_cancelled(syncd *sd, const store_event *ev);
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

/* The inventory sync of a batch of Cin7 SKUs for every shop (called by the
 * inventory thread). audit: the batch is reconciliation's drift check, so
 * each shop and SKU whose level had to be written counts (and is logged) as
 * drift repaired. Returns H_DONE, or H_RETRY with a wait when part of it
 * must be tried again. set_aside (n entries) gets 1 for each SKU left out
 * because its reservation ledger could not be read; the rest went on. */
handled inventory_sync(syncd *sd, char **skus, size_t n, int audit, int *set_aside);

#endif
