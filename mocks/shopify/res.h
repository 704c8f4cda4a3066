/*
 * The REST resources of the Admin API as Shopify writes them — orders (also
 * the webhook payload), products, variants, inventory items and levels,
 * locations, webhook subscriptions, fulfillments, refunds — built from the
 * world's structures. Dates are simulated instants written in the shop's UTC
 * offset ("2026-11-23T17:10:29-05:00"); money is a decimal string; every
 * resource carries its admin_graphql_api_id.
 *
 * Call with the world lock held. Every builder returns a new tree the caller
 * frees with cJSON_Delete.
 */
#ifndef SURGE_SHOPIFY_RES_H
#define SURGE_SHOPIFY_RES_H

#include <cJSON.h>
#include <stdint.h>

#include "world.h"

#define RES_DATE_SIZE 96

/* A simulated instant as a Shopify date in the shop's offset. */
void res_date(const ws_shop *s, int64_t sim_ms, char out[RES_DATE_SIZE]);
/* Parses a date filter ("2026-11-23", "...T10:00:00Z", "...-05:00") into a
 * simulated instant. Returns 0 or -1. */
int res_parse_date(const ws_shop *s, const char *text, int64_t *sim_ms);
/* "gid://shopify/Type/123" into out. */
void res_gid(const char *type, int64_t id, char *out, size_t n);
/* An inventory level's id, "gid://shopify/InventoryLevel/<location id>?
 * inventory_item_id=<item id>", into out. */
void res_level_gid(const ws_shop *s, const ws_variant *v, int loc, char *out, size_t n);
/* "12.50" from cents. */
void res_money(int64_t cents, char *out, size_t n);

cJSON *res_order(const ws_shop *s, const ws_order *o);
cJSON *res_product(const ws_shop *s, const ws_product *p);
cJSON *res_variant(const ws_shop *s, const ws_variant *v);
cJSON *res_inventory_item(const ws_shop *s, const ws_variant *v);
cJSON *res_level(const ws_shop *s, const ws_variant *v, int loc);
cJSON *res_location(const ws_shop *s, const ws_location *l);
cJSON *res_webhook(const ws_shop *s, const ws_sub *sub);
cJSON *res_fulfillment(const ws_shop *s, const ws_order *o, const ws_fulfillment *f);
cJSON *res_refund(const ws_shop *s, const ws_order *o, const ws_refund *r);
/* A fulfillment order as the REST resource (fulfillment_orders.json). */
cJSON *res_fulfillment_order(const ws_shop *s, const ws_order *o, const ws_forder *fo);

#endif
