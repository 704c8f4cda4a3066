/*
 * syncd's Shopify Admin API client for one shop: REST calls pass a leaky
 * bucket kept in step with X-Shopify-Shop-Api-Call-Limit, GraphQL calls a
 * cost bucket kept in step with extensions.cost, both shared by every
 * worker. Inventory is written with GraphQL inventorySetQuantities using
 * compare-and-set (changeFromQuantity from API 2026-04 on, compareQuantity
 * before) and an idempotency key; REST inventory_levels/set.json is the
 * configurable fallback (it has neither, so it can race).
 */
#ifndef SURGE_SYNCD_SHOPIFY_H
#define SURGE_SYNCD_SHOPIFY_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "outbound.h"

typedef struct shopify shopify;

typedef struct {
    char *sku;
    int64_t variant_id;
    int64_t inventory_item_id;
} shopify_variant;

typedef struct {
    int64_t item;      /* inventory_item_id */
    int64_t location;  /* location_id */
    int64_t available;
} shopify_level;

typedef struct {
    int64_t item, location;
    int64_t quantity;     /* the new available */
    int64_t change_from;  /* what Shopify must still show; < 0 skips the check */
} shopify_set;

shopify *shopify_new(const cfg_shop *cfg, const policy *pol, metrics *m, const sclock *clk,
                     int64_t timeout_ms);
void shopify_free(shopify *s);
void shopify_stop(shopify *s);
const char *shopify_domain(const shopify *s);

/* Every variant with a SKU (products.json, following Link pages). */
void shopify_variants(shopify *s, shopify_variant **out, size_t *n, outcome *o);
void shopify_variants_free(shopify_variant *v, size_t n);
/* Location ids, in Shopify's order. */
void shopify_locations(shopify *s, int64_t **ids, size_t *n, outcome *o);
/* Levels of items at locations (REST, 250 items a call). */
void shopify_levels(shopify *s, const int64_t *items, size_t n_items, const int64_t *locs,
                    size_t n_locs, int prio, shopify_level **out, size_t *n, outcome *o);
/* Sets levels in one mutation. *stale gets 1 when Shopify refused because a
 * level moved since it was read (nothing applied); the caller re-reads. */
void shopify_set_levels(shopify *s, const shopify_set *sets, size_t n, const char *idem_key,
                        int prio, int *stale, outcome *o);

/* Webhook subscriptions (REST webhooks.json). */
void shopify_webhooks(shopify *s, cJSON **list, outcome *o);
void shopify_webhook_create(shopify *s, const char *topic, const char *address, outcome *o);

/* A REST call answered as JSON: on DONE *out gets the document (caller
 * frees), else NULL (an unreadable answer turns the outcome to RETRY). */
void shopify_json(shopify *s, const char *method, const char *path, const char *body, int prio,
                  int idempotent, cJSON **out, outcome *o);
/* Paid orders (financial_status=paid, any status) updated at or after
 * since (ISO-8601), 250 a page, following Link rel="next": on DONE
 * *orders gets a JSON array of the REST orders (caller frees), else NULL. */
void shopify_paid_orders(shopify *s, const char *since, int prio, cJSON **orders, outcome *o);

/* A REST call relative to /admin/api/<version>/ (path with query). */
void shopify_rest(shopify *s, const char *method, const char *path, const char *body, int prio,
                  int idempotent, outcome *o);
/* A REST call to an absolute URL (Link header pages). */
void shopify_rest_url(shopify *s, const char *url, int prio, outcome *o);

#endif
