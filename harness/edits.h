/*
 * The staff edits of a scenario's ownership section: each edit stream is
 * a Poisson process (its rate per simulated second over its window) drawn
 * from the scenario's seed alone, so a run replays from its printed seed.
 * Each edit picks a SKU and a field of its stream and a new value from the
 * harness's own view of the field (the start values of setup.h, then every
 * edit planned before it, whichever side made it): money ±5-20% in cents,
 * a compare-at price above the price or none, a title with a suffix
 * " v<n>", a new 12-digit barcode, weight ±2-10% in grams, and status
 * flipped, rarely (a tenth of the times it is drawn while the stream lists
 * other fields). The run applies each through the mock's
 * POST /_mock/product_edit at its time (edits_body).
 */
#ifndef SURGE_EDITS_H
#define SURGE_EDITS_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

/* At most this many edits are planned, whatever the rates draw. */
#define EDITS_MAX (2 * SCENARIO_MAX_EDITS)

typedef struct {
    int64_t t;        /* scenario ms */
    int stream;       /* index in sc->ownership.edits */
    sc_owner side;    /* where it is made */
    int shop;         /* Shopify: the shop's index (drawn); -1 for Cin7 */
    int sku;
    sc_field field;
    /* The new value: cents for money (compare-at 0: none), grams, the
     * barcode's digits, the title's version n, status 1 active / 0 not. */
    int64_t value;
} edit;

typedef struct {
    edit *e;          /* in time order */
    size_t n;
} edit_plan;

/* The edits of s (none without an ownership section). Caller frees with
 * edits_plan_free. */
void edits_plan(const scenario *s, edit_plan *out);
void edits_plan_free(edit_plan *p); /* accepts a zeroed plan */
/* The body of e for its mock's POST /_mock/product_edit, with the side's
 * own field names: {"sku", "fields"} for Cin7, {"shop", "sku", "fields"}
 * for Shopify. Caller frees. */
cJSON *edits_body(const scenario *s, const edit *e);

#endif
