/*
 * Product data ownership, judged from ground truth: do the two systems
 * hold the same product data for every field the scenario gives an owner
 * ($.ownership.fields), and how long did they differ? Values are compared
 * by the harness's own rules, not engine/core's (so the judge does not
 * share the engine's mistakes): money in cents (a compare-at price or a
 * cost of 0 is none, as Cin7 shows none), weight in mg (g, kg, mg, oz, lb;
 * GRAMS, KILOGRAMS, OUNCES, POUNDS), status as offered or not (Cin7
 * Active; Shopify ACTIVE or UNLISTED; any case), text trimmed (a barcode
 * "" is none). With several shops a (SKU, field) differs while any shop
 * differs from Cin7.
 *
 * The owner's value of a (SKU, field) is what its owner's people set: the
 * owner's side's start value, then each product_updated change on that
 * side that names no API client (a person's edit; with several shops, in
 * any shop). A pair differs while either side shows another value: the
 * other side not carried over yet, or the owner's side overwritten by an
 * engine (an edit of the owner reverted is a discrepancy, not agreement).
 *
 * The values start as each side's first change's before (else its final
 * value) and follow both mocks' product_updated changes in time order.
 * Changes before t = 0 (the start values the harness seeds) are applied
 * without counting; from 0 each stretch in which a pair differed counts,
 * from its start to when the sides agreed again, or to the end of the
 * run. The count at the end compares the mocks' final states.
 *
 * Pure: reads the model only.
 */
#ifndef SURGE_PRODMAP_H
#define SURGE_PRODMAP_H

#include <stdint.h>

#include "hist.h"
#include "model.h"

/* A (SKU, field) pair that differs after the drain, for the user to look
 * at: values borrowed from the model. */
typedef struct {
    size_t sku;              /* index into the scenario's SKUs */
    int field;               /* SC_FIELD_* */
    int64_t since;           /* scenario ms its last stretch began (replayed), or -1 when
                              * the replay saw none (only the final states differ) */
    const char *owner;       /* the owner's value, as its people set it */
    const char *owner_units; /* Cin7's weight unit of it (a weight Cin7 owns), else NULL */
    const char **value;      /* per side (0 Cin7, 1 + i shop i): its final value */
    const char *cin7_units;  /* Cin7's final weight unit (a weight), else NULL */
} prodmap_apart;

typedef struct {
    int64_t revenue_cents;   /* accepted checkout lines sold at a Shopify price other than the owner's */
    prodmap_apart *apart;    /* the (SKU, field) pairs that differ after the drain, in SKU then
                              * field order */
    size_t n_apart;          /* how many: field_discrepancies */
} prodmap_figures;

/* The figures of m (its scenario's ownership section); each stretch's
 * length (ms) is recorded into stretch. Free with prodmap_figures_free. */
prodmap_figures prodmap_measure(const run_model *m, hist *stretch);
void prodmap_figures_free(prodmap_figures *f);

/* 1 when side a's and side b's values of field (sc_field) are the same
 * value; units_a / units_b are Cin7's weight unit for a weight of Cin7
 * (NULL for Shopify's "VALUE UNIT"). Exposed for tests. */
int prodmap_same(int field, const char *a, const char *units_a, int a_cin7, const char *b,
                 const char *units_b, int b_cin7);

#endif
