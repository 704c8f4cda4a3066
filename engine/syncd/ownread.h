/*
 * The product fields of ownership (own.h) as the two APIs show them, and
 * the bodies that write them back: pure readers of Cin7's GET product
 * rows, of GraphQL productVariants nodes and of products/update payloads,
 * and builders of Cin7's PUT product body (read-modify-write: the product
 * as read, with the changed fields) and of Shopify's
 * ProductVariantsBulkInput and ProductUpdateInput. ownsync.c makes the
 * calls; the fuzz and unit tests call these alone.
 */
#ifndef SURGE_SYNCD_OWNREAD_H
#define SURGE_SYNCD_OWNREAD_H

#include <cJSON.h>

#include "own.h"

#define OWNREAD_MAX 300 /* a canonical value's room: titles and barcodes up to 256 */

/* One SKU's fields as one side shows them, canonical (own_canon). A field
 * is known when the side gave a value own_canon reads; a Shopify cost or
 * weight the inventory item does not have is known as "" (no value: it
 * never agrees with one, and is never copied). */
typedef struct {
    char v[OWN_N_FIELDS][OWNREAD_MAX];
    unsigned char known[OWN_N_FIELDS];
} own_values;

/* The fields of a Cin7 product (a row of GET product with
 * IncludeSuppliers): PriceTier<price_tier> ("PriceTier1"), the compare-at
 * tier, Name, the first supplier's Cost, Barcode, Weight with WeightUnits,
 * Status. */
void ownread_cin7(const cJSON *product, const char *price_tier, const char *compare_tier,
                  own_values *out);
/* The fields of a GraphQL ProductVariant node read with price,
 * compareAtPrice, barcode, inventoryItem { unitCost { amount } measurement
 * { weight { value unit } } } and product { title status variantsCount {
 * count } } (or variants(first: 2) { nodes { id } }): title and status only
 * for a product of one variant. */
void ownread_shopify(const cJSON *node, own_values *out);
/* The fields a products/update payload carries for one of its variants
 * (REST shapes): the product's title and status (one variant only), the
 * variant's price, compare_at_price and barcode. Weight and cost are not
 * in it (2024-07 removed weight; cost is the inventory item's). */
void ownread_hook(const cJSON *product, const cJSON *variant, own_values *out);

/* PUT product's body: a copy of product (as GET product gave it) with
 * each field f whose put[f] is set to it (own_render's text for Cin7):
 * Name, Status, Barcode, the two tiers (as numbers; "" is 0), Weight in
 * grams with WeightUnits "g", and the first supplier's Cost (NULL when the
 * cost is to be written and the product has no supplier). Caller frees. */
cJSON *ownread_cin7_put(const cJSON *product, const char *const put[OWN_N_FIELDS],
                        const char *price_tier, const char *compare_tier);
/* A ProductVariantsBulkInput for variant id (a gid) with the fields of set
 * that live on the variant (price, compareAtPrice: null for "",
 * barcode, inventoryItem { cost, measurement { weight { value, unit
 * GRAMS } } }), or NULL when set has none of them. Caller frees. */
cJSON *ownread_variant_input(const char *variant_id, const char *const set[OWN_N_FIELDS]);
/* A ProductUpdateInput for product id (a gid) with title and status of
 * set, or NULL when set has neither. Caller frees. */
cJSON *ownread_product_input(const char *product_id, const char *const set[OWN_N_FIELDS]);

#endif
