/*
 * syncd's Shopify Admin API client for one shop, all through the GraphQL
 * Admin API (REST Admin is legacy since 2024-10 and new public apps are
 * GraphQL-only): the catalog and level reads and the inventory writes here;
 * orders, fulfilment through fulfillment orders and webhook subscriptions
 * in shopify_orders.c. Every call passes one cost bucket per shop, kept in
 * step with extensions.cost and shared by every worker. Inventory is
 * written with inventorySetQuantities using compare-and-set
 * (changeFromQuantity from API 2026-04 on, compareQuantity before) and,
 * from 2026-04, an @idempotent key.
 */
#ifndef SURGE_SYNCD_SHOPIFY_H
#define SURGE_SYNCD_SHOPIFY_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "foplan.h"
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

/* Every variant with a SKU (productVariants, 250 a page). */
void shopify_variants(shopify *s, shopify_variant **out, size_t *n, outcome *o);
void shopify_variants_free(shopify_variant *v, size_t n);
/* Location ids, in Shopify's order (locations). */
void shopify_locations(shopify *s, int64_t **ids, size_t *n, outcome *o);
/* The available quantity of items at locations (inventoryItems by id with
 * their inventoryLevels, batches sized under the single-query cost limit). */
void shopify_levels(shopify *s, const int64_t *items, size_t n_items, const int64_t *locs,
                    size_t n_locs, int prio, shopify_level **out, size_t *n, outcome *o);
/* Sets levels in one mutation. *stale gets 1 when Shopify refused because a
 * level moved since it was read (nothing applied); the caller re-reads. */
void shopify_set_levels(shopify *s, const shopify_set *sets, size_t n, const char *idem_key,
                        int prio, int *stale, outcome *o);

/* A GraphQL call of body ({"query", "variables"}, consumed) reserving cost
 * in the cost gate. On DONE *data gets the answer's data (caller frees);
 * GraphQL errors turn the outcome PERMANENT (THROTTLED: RETRY) with the
 * message in o->error, and *data stays NULL. */
void shopify_graphql(shopify *s, cJSON *body, double cost, int prio, cJSON **data, outcome *o);
/* {"query": query, "variables": {}} (caller owns; shopify_graphql consumes). */
cJSON *shopify_gql_body(const char *query);

/* ---- shopify_orders.c: orders, fulfilment and subscriptions (GraphQL) ---- */

/* Webhook subscriptions (webhookSubscriptions): *list gets [{topic (the
 * enum, e.g. ORDERS_PAID), address}] (caller frees). */
void shopify_webhooks(shopify *s, cJSON **list, outcome *o);
/* 1 when a listed topic enum is topic ("orders/paid"). */
int shopify_topic_is(const char *listed, const char *topic);
/* webhookSubscriptionCreate with the uri and JSON; user errors: PERMANENT. */
void shopify_webhook_create(shopify *s, const char *topic, const char *address, outcome *o);

/* Orders matching a search query (Shopify's syntax), every page of the
 * GraphQL orders connection, each in the REST order's shape (id, name,
 * created_at, updated_at, cancelled_at, financial_status, line_items
 * {id, sku, quantity, current_quantity, price}, shipping_address): on DONE
 * *orders gets the array (caller frees), else NULL. */
void shopify_orders(shopify *s, const char *search, int prio, cJSON **orders, outcome *o);

typedef struct {
    int64_t id;          /* line item id */
    char *sku;
    int64_t unfulfilled;
} shopify_order_line;

/* An order's line items, the tracking numbers of its fulfillments, and
 * its fulfillment orders: as read (raw) and as foplan takes them (fos[f]
 * is raw's fulfillmentOrders.nodes[f], its lines[k] that node's
 * lineItems.nodes[k]; strings borrowed from raw). */
typedef struct {
    shopify_order_line *lines;
    size_t n_lines;
    char **tracking;
    size_t n_tracking;
    cJSON *raw;
    foplan_fo *fos;
    size_t n_fos;
    foplan_line *fo_lines;    /* storage of every fos[].lines */
    const char **fo_reasons;  /* storage of every fos[].hold_reasons */
} shopify_order;

/* Reads order order_id (a number). An order Shopify does not have is
 * PERMANENT. Free with shopify_order_free (also after a failure). */
void shopify_order_read(shopify *s, const char *order_id, shopify_order *out, outcome *o);
void shopify_order_free(shopify_order *ord);
/* Whether Shopify has order order_id (a number) cancelled: on DONE,
 * *cancelled is 1 when its cancelledAt is set. An order Shopify does not
 * have is PERMANENT. */
void shopify_order_cancelled(shopify *s, const char *order_id, int prio, int *cancelled,
                             outcome *o);
/* Cancels order order_id (a number) with orderCancel: reason OTHER, its
 * units restocked, the customer refunded to the original payment and
 * told, staff_note for the merchant. A refusal (orderCancelUserErrors:
 * already cancelled, fulfilled) is PERMANENT with Shopify's message. */
void shopify_order_cancel(shopify *s, const char *order_id, const char *staff_note, int prio,
                          outcome *o);
/* Whether the configured API version is version or later (YYYY-MM). */
int shopify_version_at_least(const shopify *s, const char *version);
int shopify_order_has_tracking(const shopify_order *ord, const char *tracking);
/* Puts fulfillment order f of ord (as read) on hold: INVENTORY_OUT_OF_STOCK,
 * with handle and notes for the merchant. A hold with that handle already
 * there is DONE; any other refusal PERMANENT. */
void shopify_fo_hold(shopify *s, const shopify_order *ord, size_t f, const char *handle,
                     const char *notes, outcome *o);
/* Releases, on every fulfillment order of ord, the holds made with handle;
 * *released counts the fulfillment orders released. */
void shopify_release_handle(shopify *s, const shopify_order *ord, const char *handle,
                            size_t *released, outcome *o);

typedef struct {
    int64_t fulfilled;        /* units fulfilled */
    int fulfillments;         /* fulfillmentCreate calls that succeeded */
    int released;             /* holds released (INVENTORY_OUT_OF_STOCK) */
    int held;                 /* a merchant's hold stopped it: nothing fulfilled */
    char held_reason[64];
    char fulfillment_id[40];  /* the last fulfillment's number */
} shopify_fulfil_result;

/* Fulfils qty[i] units of ord's line i through its fulfillment orders as
 * foplan plans it (fulfillmentCreate, one call per location, the shipping
 * location's first). Of the fulfillment orders holding shipped units,
 * those on hold because stock was out are released first (the shipment
 * proves it is there); any other hold is the merchant's: res->held is set
 * and nothing is released or fulfilled. notify asks Shopify to send the
 * customer its shipping confirmation. A user error is PERMANENT. */
void shopify_fulfil(shopify *s, shopify_order *ord, const int64_t *qty, int64_t location,
                    const char *tracking, const char *carrier, int notify,
                    shopify_fulfil_result *res, outcome *o);

/* Paid orders updated at or after since (ISO-8601), through GraphQL orders
 * ("financial_status:paid updated_at:>='since'"), as shopify_orders. */
void shopify_paid_orders(shopify *s, const char *since, int prio, cJSON **orders, outcome *o);

/* ---- the readers of answers without the calls (pure: the fuzz targets
 * call them) ---- */

/* The variants of one productVariants page's data, appended to *v (*n of
 * them in room for *cap; grown with XGROW), as shopify_variants reads them. */
void shopify_read_variants(const cJSON *data, shopify_variant **v, size_t *n, size_t *cap);
/* The levels at locs (any location when n_locs is 0) of one
 * inventoryItems page's data, appended to *out as shopify_levels reads them. */
void shopify_read_levels(const cJSON *data, const int64_t *locs, size_t n_locs, shopify_level **out,
                         size_t *n, size_t *cap);
/* A GraphQL orders node in the REST order's shape (shopify_orders; caller
 * frees). */
cJSON *shopify_rest_order(const cJSON *node);
/* The order of shopify_order_read's answer data: its "order" moves into
 * out->raw, its fulfillment orders are read into out->fos. Returns 0, or
 * -1 when data holds no order object (out empty). */
int shopify_order_from(cJSON *data, shopify_order *out);
/* The FulfillmentInput of plan p's create c for ord (tracking and carrier
 * may be NULL): {notifyCustomer, trackingInfo?, lineItemsByFulfillmentOrder}.
 * Caller frees. */
cJSON *shopify_fulfil_input(const shopify_order *ord, const foplan *p, size_t c,
                            const char *tracking, const char *carrier, int notify);

/* The GraphQL cost gate (to share it: gate_share). */
gate *shopify_gate(shopify *s);

#endif
