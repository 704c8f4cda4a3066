/*
 * Reading edits of a Cin7 Core product: the body of PUT product and the
 * "fields" of /_mock/product_edit. The reference has no Product field
 * table; its PUT body schema (product_put_request, REF:38281-38557) names
 * the fields and the rules come from Cin7's published Product table as the
 * public client ipsocode/hypervel-cin7 encodes it (docs/mock-cin7.md,
 * "Products"):
 *
 *   ID, SKU, Name, Category, CostingMethod, UOM, Status   required by PUT
 *   Name        1..256 characters
 *   Status      Active or Deprecated
 *   Barcode     at most 256 characters ("" or null clears it)
 *   Weight      >= 0, at most 4 decimal places
 *   WeightUnits oz, mg, kg, lb or g (REF's "Dimension Unit Available Values")
 *   PriceTier1..PriceTier10, PriceTiers {"Tier N": x}   >= 0, 4 places;
 *               a tier given both ways must agree
 *   Suppliers   [{SupplierID or SupplierName, Cost, ...}]: Cost is the
 *               writable cost (AverageCost is read-only)
 *
 * Read-only and unmodelled fields of the reference's PUT body and GET
 * answer are accepted and ignored, so a client can send back what it read;
 * a key the reference does not have is refused. Errors name the JSON path.
 * Strings are borrowed from the cJSON tree. Pure: a fuzz target drives it.
 */
#ifndef SURGE_CIN7_PRODUCT_IN_H
#define SURGE_CIN7_PRODUCT_IN_H

#include "json.h"
#include "world.h"

typedef struct {
    const char *id, *sku;
    c7product_edit ed;
} c7product_put;

/* PUT product's body. Returns 0, or -1 with e set. */
int c7product_read_put(const cJSON *v, c7product_put *in, json_err *e);
/* /_mock/product_edit: {"sku", "fields": {Name, Status, Barcode, Weight,
 * WeightUnits, PriceTier1..10, SupplierCost}} with at least one field. */
int c7product_read_edit(const cJSON *v, const char **sku, c7product_edit *ed, json_err *e);

#endif
