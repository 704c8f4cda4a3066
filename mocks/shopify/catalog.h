/*
 * Reading edits of a product and its variants, as GraphQL's
 * productVariantsBulkUpdate and the merchant's /_mock/product_edit carry
 * them, into the world's world_edit. The rules are Shopify's where it
 * writes them down:
 *
 *   price, compareAtPrice   Money: a decimal string such as "100.57" (or a
 *                           number), >= 0 ("The price of the variant must be
 *                           greater than or equal to zero",
 *                           ProductVariantsBulkUpdateUserErrorCode
 *                           GREATER_THAN_OR_EQUAL_TO); null clears compareAtPrice
 *   barcode                 a string, null clears; longer than 255: the mock's
 *                           bound (BARCODE_VALUE_TOO_LONG names no figure)
 *   cost                    Decimal (the inventory item's unit cost, in the
 *                           shop's currency), >= 0, null clears
 *   weight {value, unit}    WeightInput: value a Float >= 0, unit a
 *                           WeightUnit (GRAMS, KILOGRAMS, OUNCES, POUNDS)
 *   status                  ProductStatus: ACTIVE, ARCHIVED, DRAFT, and
 *                           UNLISTED from 2025-10
 *
 * Money and Decimal values are kept to 2 places ("%.2f"; the mock's
 * shops count in cents). Pure but for the world's types: the fuzz target
 * drives it.
 */
#ifndef SURGE_SHOPIFY_CATALOG_H
#define SURGE_SHOPIFY_CATALOG_H

#include <cJSON.h>

#include "json.h"
#include "world.h"

/* What is wrong with one value: Shopify's user error code, the field's
 * path relative to the input ("price", "inventoryItem.cost") and a
 * message. */
typedef struct {
    const char *code;
    char field[96];
    char msg[160];
} catalog_err;

/* A Money or Decimal value into out ("12.50"): 0, or -1 (not a decimal),
 * -2 (negative), -3 (above 10^9). */
int catalog_money(const cJSON *v, char out[32]);
/* A ProductStatus name; unlisted: the version knows UNLISTED. 0 or -1. */
int catalog_status(const char *s, int unlisted, ws_status *out);
/* A WeightUnit name into its static spelling. 0 or -1. */
int catalog_weight_unit(const char *s, const char **out);

/* The variant fields of one ProductVariantsBulkInput (price,
 * compareAtPrice, barcode, inventoryItem {cost, measurement {weight}}),
 * keys checked already. Returns 0, or -1 with err. */
int catalog_read_variant(const cJSON *in, world_edit *e, catalog_err *err);

/* /_mock/product_edit's body: {"shop"?, "sku", "fields": {title?, status?,
 * price?, compareAtPrice?, barcode?, cost?, weight? {value, unit}}}, at
 * least one field. Strings borrowed from v. 0, or -1 with e naming the
 * JSON path. */
int catalog_read_edit(const cJSON *v, const char **sku, world_edit *e, json_err *je);

#endif
