/*
 * The configuration files a run starts its processes with, derived from the
 * scenario: mock-cin7's world (warehouses, suppliers, products, initial
 * stock, rate limit), mock-shopify's (shops with their plan, credentials
 * and catalog, the units each shop offers at first), and syncd's (the
 * mocks' URLs and credentials, the warehouses for routing, the clock). The
 * scenario's "mocks" and "engine.config" sections are merged over them, so
 * a scenario can set anything the programs take.
 */
#ifndef SURGE_SETUP_H
#define SURGE_SETUP_H

#include <cJSON.h>

#include "bounds.h"
#include "scenario.h"

/* The API application syncd uses against mock-cin7. */
#define SETUP_CIN7_ACCOUNT "surge"
#define SETUP_CIN7_KEY "surge-syncd-key"
#define SETUP_CIN7_HOOK_TOKEN "surge-cin7-hook"
#define SETUP_ADMIN_TOKEN "surge-admin"

/* Each returns a new tree; the caller frees it with cJSON_Delete. */
cJSON *setup_cin7_config(const scenario *s);
cJSON *setup_shopify_config(const scenario *s);
/* Each shop as an engine reaches it: {domain, base_url (mock-shopify's
 * /shops/<domain> under shopify_url), access_token, and the shop's webhook
 * secret under secret_key}. The caller owns the array. */
cJSON *setup_shops_json(const scenario *s, const char *shopify_url, const char *secret_key);
/* shopify_url: "http://127.0.0.1:PORT"; cin7_api: the Cin7 API base the
 * engine calls, "http://127.0.0.1:PORT/ExternalApi/v2/" (mock-cin7) or a
 * proxy's root. */
cJSON *setup_syncd_config(const scenario *s, const char *cin7_api, const char *shopify_url,
                          const char *store_path, double time_scale, int64_t clock_origin);
/* Product data at the start, with an ownership section: both mocks hold
 * the same values, so any later difference is the run's. Price is the
 * scenario's in cents; cost half of it (Cin7's product cost, its
 * supplier's Cost); weight SETUP_WEIGHT_GRAMS (Cin7 in g, Shopify's
 * grams); title the Cin7 SKU; no barcode, no compare-at price (Cin7's
 * tier 0), status active. mock-shopify's config takes no cost, so the
 * harness sets each variant's cost through /_mock/product_edit before the
 * engine starts: setup_cost_seeds gives those bodies (an empty array when
 * no field is owned for cost). The caller owns the array. */
#define SETUP_WEIGHT_GRAMS 500
int64_t setup_price_cents(const scenario *s, size_t sku);
int64_t setup_cost_cents(const scenario *s, size_t sku);
cJSON *setup_cost_seeds(const scenario *s);
/* The Cin7 price tier that stands for Shopify's price (compare_at 0) or
 * compare-at price (1): engine.config.ownership.price_tier /
 * compare_at_tier when set, else syncd's defaults PriceTier1 and PriceTier2.
 * Borrowed from s. */
const char *setup_price_tier(const scenario *s, int compare_at);
/* The safety buffer each shop's engine keeps (engine.config
 * shops[i].safety_buffer, else 0; a foreign engine's engine.external.safety_buffer),
 * indexed like the scenario's shops.
 * malloc'd; the caller frees. */
int64_t *setup_shop_buffers(const scenario *s);
/* engine.config low_stock_split, else -1 (syncd's default: none). */
int64_t setup_low_stock_split(const scenario *s);
/* engine.config kit_low_stock_split, else syncd's default (10 units). */
int64_t setup_kit_low_stock_split(const scenario *s);
/* The rate limits the mocks enforce on the engine in a run of s, from the
 * configs above (the scenario's "mocks" merged in): mock-cin7's calls per
 * rolling window for syncd's application (its own figure, else the
 * account's preset or calls_per_minute; throttle faults aside) and
 * mock-shopify's GraphQL cost buckets summed over the shops (each shop's
 * plan, or its limits.graphql_bucket and graphql_restore_per_s). A value
 * the mocks would refuse leaves the default (bounds_default_limits). */
void setup_api_limits(const scenario *s, bounds_limits *out);
/* Units of sku that physically exist at the start (all warehouses); 0 for
 * a kit, whose units exist as its components. */
int64_t setup_initial_units(const scenario *s, size_t sku);
/* Units the shops start out offering: a SKU's initial units, or for a kit
 * the whole kits its components make at each warehouse, summed (Cin7's
 * availability of an auto-assembly product). */
int64_t setup_offered_units(const scenario *s, size_t sku);

#endif
