/*
 * The inventory level syncd writes to a Shopify location, as pure
 * functions. Cin7 is the truth of what exists, but it learns of a Shopify
 * order only when syncd pushes the sale, and syncd learns of it only when
 * the webhook arrives (and a worker has taken it). Writing Cin7's Available
 * straight to Shopify would re-inflate every unit bought in between: the
 * classic flash-sale oversell. So the target subtracts
 *   - pending: units of orders syncd knows of whose sales the Cin7 snapshot
 *     does not show yet (the reservation ledger), and
 *   - unknown: units Shopify sold that syncd has not heard of yet, summed
 *     over every shop drawing on the same stock,
 * and a safety buffer, never going below zero.
 *
 * Unknown units are carried from one sync to the next: a shop's level fell
 * by `drop` since syncd last wrote (or checked) it, and `newly_known` units
 * of that shop's orders reached syncd in the meantime, so
 *   unknown = max(0, unknown_then + drop - newly_known).
 * An order placed before the last write and learned after it was in
 * unknown_then and is in newly_known, so it leaves; one placed after the
 * write is in drop until it is learned. A cancelled order's restock lowers
 * drop, and its units leave the known total, so nothing changes.
 */
#ifndef SURGE_AVAIL_H
#define SURGE_AVAIL_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t cin7_available; /* Available summed over the mapped Cin7 locations, one snapshot */
    int64_t pending_units;  /* known orders not reflected in that snapshot */
    int64_t unknown_units;  /* sold in Shopify, not yet known (all shops) */
    int64_t safety_buffer;  /* units never offered online */
} avail_input;

/* The level to write. */
int64_t avail_target(const avail_input *in);

/* A shop's unknown units now, from those at the last write (or check), the
 * fall of its levels since (may be negative: restocks), and the units of its
 * orders learned since. */
int64_t avail_unknown(int64_t unknown_then, int64_t drop, int64_t newly_known);

/* Whether a write is needed: the target differs from what Shopify shows
 * (always when Shopify's level is unknown, < 0). */
int avail_should_write(int64_t target, int64_t shopify_now);

/* One shop's part of units several shops offer at once. Every shop shows
 * what Cin7 has, so near the end of a SKU's stock shoppers of different
 * shops can buy the same last units before any level comes down. When the
 * pool (what the target leaves before the buffer) is at or below `below`
 * units, shop `index` of the `n` that sell the SKU offers pool / n, and one
 * more for each of the first pool mod n shops: together they offer no more
 * than the pool, so no shop can sell another's units (the price: a shop
 * may show 0 while another shop still has one). Above it, or with below
 * < 0, every shop offers the whole pool. */
int64_t avail_share(int64_t pool, size_t n, size_t index, int64_t below);
/* What that shop shows: its share less the units it keeps back, never
 * below 0 (syncd writes it; surge measures against it). */
int64_t avail_shop_level(int64_t pool, size_t n, size_t index, int64_t below, int64_t buffer);

/* Which reads the pending units are counted against, for a SKU whose
 * figures at its n locations were read at as_of[i] (< 0: no figure): the
 * oldest, since units an order took anywhere show only in reads that
 * started after its sale was pushed, and the target adds every location's
 * figure. 0 when there is none (every unreflected unit is pending). */
int64_t avail_pending_since(const int64_t *as_of, size_t n);

#endif
