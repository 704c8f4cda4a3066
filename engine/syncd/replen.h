/*
 * Replenishment: purchase-order drafts in Cin7 when a SKU's days of cover
 * fall below the threshold. Decisions come from engine/core/supply.h
 * (what each SKU needs, which draft its line goes on, what changes on an
 * open draft) and engine/core/reorder.h (the quantity); this module
 * gathers the figures (velocity from the sales history, stock from the
 * Cin7 figures syncd caches), asks them, and keeps one DRAFT purchase per
 * supplier, with a line per SKU, across retries, restarts and duplicate
 * webhooks.
 */
#ifndef SURGE_SYNCD_REPLEN_H
#define SURGE_SYNCD_REPLEN_H

#include "syncd.h"

typedef struct replenisher replenisher;

replenisher *replen_start(syncd *sd);
/* Joins the thread (after sd->stopping is set and the gates stopped);
 * accepts NULL. */
void replen_stop(replenisher *r);
/* Asks for a check of these Cin7 SKUs soon (after a paid order). */
void replen_mark(syncd *sd, const char *const *skus, size_t n);

/* What Cin7 says of a SKU's supply (GET product?IncludeSuppliers=true):
 * its first supplier, that supplier's price, the locations it serves, the
 * shortest lead time and the largest minimum to reorder among them. */
typedef struct {
    char *sku, *product_id, *name;
    double cost;        /* the supplier's price, 0 when not given */
    char *supplier_id, *supplier; /* NULL when there is no supplier */
    char **locations;   /* the locations the supplier serves for it */
    size_t n_locations;
    double lead_days;   /* < 0: not given */
    int64_t moq;        /* 0: not given */
} replen_supply;
/* The supply of every product with a SKU in rows (the products' array;
 * pure, for its fuzz target): a malloc'd array of *n (replen_supply_free). */
replen_supply *replen_read_supply(const cJSON *rows, size_t *n);
void replen_supply_free(replen_supply *list, size_t n);

#endif
