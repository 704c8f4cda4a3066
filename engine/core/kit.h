/*
 * Kits (Cin7 products with an assembly bill of materials and auto-assembly)
 * as pure functions. Cin7 keeps only the components in stock for such a
 * product: a sale of the kit triggers its assembly from the components at
 * the sale's location, whole kits only, and the kit's availability is what
 * its components could make (Cin7 Core help, "Auto-assembly"). A Shopify
 * level for a kit is therefore the minimum over its components of the
 * component's sellable units divided by the units one kit takes, and a
 * component that moves moves every kit that uses it.
 *
 * Quantities per kit come as Cin7 gives them (BillOfMaterialsProducts[]:
 * Quantity, WastagePercent, WastageQuantity, each "Decimal"), and are held
 * in ten-thousandths (c7qty.h). Cin7's help does not say how wastage adds
 * to what one kit takes; kit_need counts both kinds per kit, which can only
 * make fewer kits sellable, never more.
 */
#ifndef SURGE_KIT_H
#define SURGE_KIT_H

#include <stddef.h>
#include <stdint.h>

/* One component of a kit. */
typedef struct {
    const char *sku;
    int64_t need; /* units one kit takes, in ten-thousandths; > 0 */
} kit_part;

/* A kit: its own SKU and its components. */
typedef struct {
    const char *sku;
    const kit_part *parts;
    size_t n;
} kit;

/* The units one kit takes of a component, in ten-thousandths, rounded up:
 * qty + qty x wastage_percent / 100 + wastage_qty. 0 when that is not
 * more than 0 (a part that takes nothing is not one), or when a figure is
 * negative or not a number. */
int64_t kit_need(double qty, double wastage_percent, double wastage_qty);

/* Whole kits that units[i] (whole units of parts[i] that may be sold)
 * make: the minimum over the parts of floor(units[i] / need), 0 when any
 * part has no units. -1 when the kit is no kit (no parts, or a part whose
 * need is not more than 0): the caller must not write a level then. */
int64_t kit_level(const kit_part *parts, size_t n, const int64_t *units);

/* The kits of kits[0..n) that use sku as a component, as indices into
 * out (room for n); returns how many. */
size_t kit_using(const kit *kits, size_t n, const char *sku, size_t *out);

/* The units of component sku that kit_units[k] kits of each kits[k] take
 * (units of kits sold whose components Cin7's figures do not show gone
 * yet): the sum over the kits using it of need x units, each rounded up
 * to whole units. Kits with 0 or fewer units take nothing; a sum past
 * C7QTY_MAX / 10000 units stops there (no stock is that large). */
int64_t kit_charge(const kit *kits, size_t n, const char *sku, const int64_t *kit_units);

/* The part of component sku's sellable units (pool) that one of its
 * sellers may offer: kits[who] (who < n) or, with who == n, the component's
 * own listing (listed: it has one, i.e. some shop sells it). At or below
 * `below` units (avail_share), the pool is split evenly between its
 * sellers, the component's own listing first and then the kits using it
 * in their order, so that whatever checkouts land between two level
 * writes, together they never take more than the pool; above it, or with
 * a single seller, each may offer all of it. A kit that does not use sku
 * gets the whole pool (it is none of its sellers); below < 0: never
 * split. */
int64_t kit_share(const kit *kits, size_t n, size_t who, const char *sku, int listed, int64_t pool,
                  int64_t below);

#endif
