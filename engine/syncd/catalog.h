/*
 * What syncd knows of both catalogs, loaded at start: the SKU mapping
 * (Shopify SKU -> Cin7 SKU: explicit pairs first, then the same SKU when
 * Cin7 has it; anything else is unmapped and never guessed), Cin7's
 * products (ID and Name by SKU), each shop's
 * inventory item per Cin7 SKU, each shop's locations and the Cin7 locations
 * each one shows. Read-only once built, so workers share it without a
 * lock. A start that cannot read the APIs builds it from the sources of
 * the last live load, which syncd keeps in its store.
 */
#ifndef SURGE_SYNCD_CATALOG_H
#define SURGE_SYNCD_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "cin7.h"
#include "config.h"
#include "kit.h"
#include "shopify.h"

typedef struct catalog catalog;

typedef struct {
    int64_t id;            /* Shopify location id */
    const char **cin7;     /* Cin7 location names it shows */
    size_t n_cin7;
} catalog_location;

/* Loads everything; on failure returns NULL and fills out with why (RETRY:
 * try again later). */
catalog *catalog_load(const syncd_config *cfg, cin7 *c7, shopify **shops, outcome *out);
/* The same from the sources a loaded catalog was built from
 * (catalog_sources), kept from an earlier start: syncd starts on them when
 * an API cannot be read. NULL with why (naming the JSON path) when the
 * text is not such sources or lacks a configured shop. The mapping and
 * the locations shown come from cfg, as at a live load. */
catalog *catalog_from_sources(const syncd_config *cfg, const char *text, char *why,
                              size_t whylen);
/* Logs each shop's mapped SKUs and locations (info). */
void catalog_log(const catalog *c, const syncd_config *cfg);
/* What c was built from, as JSON text. Borrowed until catalog_free. */
const char *catalog_sources(const catalog *c);
void catalog_free(catalog *c);

/* The Cin7 SKU for a Shopify SKU, or NULL when unmapped. Borrowed. */
const char *catalog_cin7_sku(const catalog *c, const char *shopify_sku);
/* Cin7's product of a SKU (its ID and Name, which order lines carry), or
 * NULL. Borrowed. */
const cin7_product *catalog_product(const catalog *c, const char *cin7_sku);
/* Cin7's auto-assembled products that some shop sells (kits, kit.h:
 * their SKU and their components with the units one takes), sorted by
 * SKU. Borrowed. */
const kit *catalog_kits(const catalog *c, size_t *n);
/* The kit of a SKU, or NULL when the SKU is no kit some shop sells.
 * Borrowed. */
const kit *catalog_kit(const catalog *c, const char *cin7_sku);
/* Whether some shop sells a Cin7 SKU. */
int catalog_sells(const catalog *c, const char *cin7_sku);
/* Distinct Cin7 SKUs that some shop sells. Borrowed. */
const char *const *catalog_skus(const catalog *c, size_t *n);
/* The inventory item of shop (index) for a Cin7 SKU, 0 when the shop does
 * not sell it. */
int64_t catalog_item(const catalog *c, size_t shop, const char *cin7_sku);
/* The Cin7 SKU of a shop's inventory item, or NULL. Borrowed. */
const char *catalog_sku_of_item(const catalog *c, size_t shop, int64_t item);
const catalog_location *catalog_locations(const catalog *c, size_t shop, size_t *n);

#endif
