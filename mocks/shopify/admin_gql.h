/*
 * The Admin GraphQL endpoint of mock-shopify (POST .../graphql.json): the
 * slice of Shopify's schema an inventory sync needs — reading inventory
 * levels by item and location (inventoryItem, inventoryItems, inventoryLevel,
 * location(s), productVariant(s), product(s), shop) and writing them with
 * inventorySetQuantities and inventoryAdjustQuantities — run against the
 * world with Shopify's calculated query cost.
 *
 * Per request: parse (gql.h), validate against the schema slice (unknown
 * fields and arguments are GraphQL errors naming them), compute the
 * requested cost, refuse queries over the single-query maximum, reserve the
 * cost in the (shop, token) bucket or answer THROTTLED, execute under the
 * world lock, refund the unused part, and answer with extensions.cost.
 * Semantics follow the requested API version: from 2026-04 on
 * changeFromQuantity and @idempotent are mandatory, before it
 * compareQuantity/ignoreCompareQuantity apply.
 */
#ifndef SURGE_SHOPIFY_ADMIN_GQL_H
#define SURGE_SHOPIFY_ADMIN_GQL_H

#include "httpd.h"
#include "limiter.h"
#include "mockd.h"
#include "world.h"

typedef struct agql agql;

/* All borrowed for the life of the agql. l and m may be NULL when only
 * agql_execute is called (agql_handle needs both). */
agql *agql_new(world *w, limiter *l, mockd *m);
void agql_free(agql *g); /* accepts NULL */
/* The route handler (ud is the agql). */
void agql_handle(httpd_req *r, void *ud);
/* One request without HTTP and without the rate limit: for the shop
 * shop_domain names (NULL or "": the first shop), at API version (used as
 * given: pick a supported one), the GraphQL document query (len bytes),
 * variables vars (NULL, null or an object; borrowed) and operation opname
 * (NULL: the only one). Parses, picks the operation, checks the schema
 * slice, the cost against the single-query maximum and @idempotent, then
 * runs it under the world lock (takes the lock itself). Returns the answer
 * agql_handle gives without its extensions: {"errors": [...]} when nothing
 * ran, else {"errors"?: [...], "data": ...}; caller frees. NULL when there
 * is no such shop. */
cJSON *agql_execute(agql *g, const char *shop_domain, const char *version, const char *query,
                    size_t len, const cJSON *vars, const char *opname);

#endif
