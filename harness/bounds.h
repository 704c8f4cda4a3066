/*
 * Physical bounds: the lowest latencies a scenario allows, given only the
 * APIs' rate limits and the calls each piece of work needs, with zero
 * network and processing time. Work is served in the order it arrives,
 * each call at the earliest moment the limit allows, never idling while
 * work waits.
 *
 * Pushes: an order needs BOUNDS_PUSH_CALLS calls within Cin7's "N calls
 * per rolling window" (the mock's own limiter, lib/bucket.h), served in the
 * order the orders were paid.
 *
 * Propagation: a stock change Shopify must follow needs one Cin7 stock read
 * and then one Shopify level write, a GraphQL mutation of
 * BOUNDS_WRITE_COST points from a leaky cost bucket. The reads spend the
 * same Cin7 budget as the pushes: a waiting read goes before waiting
 * pushes, but the push calls already made fill the window it needs. So this
 * is the bound of an engine that pushes every order as soon as the budget
 * lets it while no read waits. Batching (one read or one write covering
 * several changes) is not modelled, so an engine that batches can beat it.
 *
 * Pure: no I/O, no clock; times are scenario ms.
 */
#ifndef SURGE_BOUNDS_H
#define SURGE_BOUNDS_H

#include <stddef.h>
#include <stdint.h>

#define BOUNDS_PUSH_CALLS 2    /* POST sale (header), POST sale/order (lines) */
#define BOUNDS_WRITE_COST 10.0 /* inventorySetQuantities: a mutation */

typedef struct {
    int64_t cin7_calls;        /* calls per window the engine's application gets; 0 unlimited */
    int64_t cin7_window_ms;    /* the rolling window */
    double shopify_bucket;     /* GraphQL cost points the bucket holds (Σ over shops); 0 unlimited */
    double shopify_restore_per_s; /* points restored a second (Σ over shops) */
} bounds_limits;

/* Cin7's default (preset core: 60 calls in a rolling minute) and Shopify's
 * standard plan (2000 points, 100 a second), one shop. */
bounds_limits bounds_default_limits(void);

/* Order pushes: paid[i] (sorted ascending) is when order i was paid. Sets
 * latency[i] to when its last call could be made less paid[i]. Returns 0,
 * or -1 when the limit refuses every call (latency[] then is -1). */
int bounds_push(const bounds_limits *lim, const int64_t *paid, size_t n, int64_t *latency);

/* Propagation: changes[j] (sorted ascending) is when a stock change
 * happened; its read shares Cin7's budget with the pushes of the orders
 * paid at paid[] (sorted), reads first when both wait. Sets latency[j] to
 * when its level write could be made less changes[j]. Returns 0, or -1
 * when a limit refuses every call (latency[] then is -1). */
int bounds_propagation(const bounds_limits *lim, const int64_t *paid, size_t n_paid,
                       const int64_t *changes, size_t n_changes, int64_t *latency);

#endif
