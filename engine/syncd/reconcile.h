/*
 * The periodic side of syncd: reconciliation (the audit layer) in event
 * mode, every reconcile.interval, and the whole sync in poll mode, every
 * poll_interval. Both compare Shopify's levels with what Cin7 says is
 * sellable and repair drift, and fetch Shopify's paid orders since a
 * watermark to push those no webhook brought.
 */
#ifndef SURGE_SYNCD_RECONCILE_H
#define SURGE_SYNCD_RECONCILE_H

#include "syncd.h"

typedef struct reconciler reconciler;

/* Starts the thread (after the catalog is loaded it waits for its first
 * due time). */
reconciler *reconcile_start(syncd *sd);
/* Joins it (sd->stopping is set and the gates stopped first); accepts NULL. */
void reconcile_stop(reconciler *r);

#endif
