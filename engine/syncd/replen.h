/*
 * Replenishment: purchase-order drafts in Cin7 when a SKU's days of cover
 * fall below the threshold. Decisions come from engine/core/replen.h;
 * this module gathers the figures (velocity from the sales history,
 * position from the Cin7 snapshot over the locations the supplier serves)
 * and keeps one DRAFT purchase per supplier, with a line per SKU, across
 * retries, restarts and duplicate webhooks.
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

#endif
