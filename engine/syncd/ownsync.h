/*
 * Product data ownership (docs/syncd.md, "Product data ownership"): for
 * each configured field (ownership.fields) one side owns the value, and
 * syncd keeps the other side showing it. A thread runs a pass every
 * ownership.poll_interval, sooner when a products/update webhook shows an
 * owned field moved: it reads what changed on both sides (Cin7's GET
 * product with ModifiedSince, Shopify's productVariants updated since the
 * last pass), decides each field with own_decide against the value the
 * two last agreed on (kept in the store, "own:<sku>:<field>"), and writes
 * the owner's value onto the other side at bulk priority: one
 * productVariantsBulkUpdate and one productUpdate per Shopify product at
 * most, one PUT product (read-modify-write) per Cin7 product. Reverts and
 * conflicts are logged and counted. Only SKUs both catalogs have (kits
 * and unmapped SKUs left out), on the first configured shop.
 */
#ifndef SURGE_SYNCD_OWNSYNC_H
#define SURGE_SYNCD_OWNSYNC_H

#include <stddef.h>

#include "syncd.h"

typedef struct ownsync ownsync;

/* Starts the thread when cfg.ownership; returns the handle either way. */
ownsync *ownsync_start(syncd *sd);
/* Joins it (sd->stopping set and the gates stopped first); accepts NULL. */
void ownsync_stop(ownsync *o);
/* A products/update delivery's body (signature checked) from shop
 * domain: marks for a sooner pass the SKUs whose owned fields carried in
 * it (title, status, price, compare-at price, barcode) differ from the
 * values last agreed; a stock echo, which moves none, costs nothing but
 * store reads. Returns how many SKUs it marked (0 also when ownership is
 * off or the body is not a product). */
int ownsync_product_hook(syncd *sd, const char *domain, const char *body, size_t len);

#endif
