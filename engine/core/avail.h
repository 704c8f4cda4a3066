/*
 * The inventory level syncd writes to a Shopify location, as a pure
 * function. Cin7 is the truth of what exists, but it learns of a Shopify
 * order only when syncd pushes the sale, and syncd learns of it only when
 * the webhook arrives. Writing Cin7's Available straight to Shopify would
 * re-inflate every unit bought in between: the classic flash-sale oversell.
 * So the target subtracts
 *   - pending: units of orders syncd knows of whose sales the Cin7 snapshot
 *     does not show yet (the reservation ledger), and
 *   - unknown: units Shopify sold since syncd's last write there that no
 *     webhook has told syncd about yet: the drop of Shopify's level since
 *     that write, less the units of known orders placed since it,
 * and a safety buffer, never going below zero.
 */
#ifndef SURGE_AVAIL_H
#define SURGE_AVAIL_H

#include <stdint.h>

typedef struct {
    int64_t cin7_available;    /* Available summed over the mapped Cin7 locations, one snapshot */
    int64_t pending_units;     /* known orders not reflected in that snapshot */
    int64_t safety_buffer;     /* units never offered online */
    int64_t shopify_now;       /* Shopify's available now; < 0 when unknown */
    int64_t last_written;      /* what syncd last wrote there; < 0 when never */
    int64_t known_since_write; /* units of known orders placed after that write */
} avail_input;

/* The level to write; *unknown_out (may be NULL) gets the unknown units. */
int64_t avail_target(const avail_input *in, int64_t *unknown_out);

/* Whether a write is needed: the target differs from what Shopify shows
 * (always when Shopify's level is unknown). */
int avail_should_write(int64_t target, int64_t shopify_now);

#endif
