/*
 * mock-shopify's state of the world: shops with their locations, products,
 * variants (one inventory item each, carrying the SKU), inventory levels per
 * item and location (available and committed), orders with their lines,
 * fulfillments and refunds, webhook subscriptions, GraphQL idempotency keys,
 * and the ground truth the harness measures against (units each shopper
 * checkout was granted). It is built from a spec (config or demo world),
 * grows by seeds, and goes back to the spec on reset.
 *
 * Everything sits behind one mutex, so a checkout that checks and takes
 * stock for all its lines is atomic: concurrent shoppers never drive a deny
 * policy level below zero. Unless a function says otherwise, call it with
 * the lock held (world_lock). The structures below may be read under the
 * lock; only world_ functions change them. Pointers into the world stay
 * valid until the lock is released (arrays may move when they grow).
 *
 * Every change is journaled (kinds in docs/mock-shopify.md) and fans out as
 * webhooks through hooks_send to the shop's matching subscriptions.
 */
#ifndef SURGE_SHOPIFY_WORLD_H
#define SURGE_SHOPIFY_WORLD_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "counters.h"
#include "hooks.h"
#include "journal.h"
#include "json.h"
#include "spec.h"

typedef struct world world;

typedef struct {
    int64_t id;
    char *name, *address1, *city, *province_code, *zip, *country_code;
    double latitude, longitude;
    int has_coords;
    int64_t created_ms;
} ws_location;

/* ProductStatus (GraphQL; REST and webhooks in lower case). */
typedef enum { PS_ACTIVE, PS_DRAFT, PS_ARCHIVED, PS_UNLISTED } ws_status;

typedef struct {
    int64_t id;
    char *title, *handle, *vendor, *product_type;
    ws_status status;
    size_t *variants; /* indexes into the shop's variants */
    size_t n_variants;
    int64_t created_ms, updated_ms;
} ws_product;

typedef struct {
    int64_t id, product_id, item_id;
    size_t product;              /* index into the shop's products */
    size_t position;             /* 1-based within the product */
    char *sku, *title, *price;
    char *compare_at, *barcode;  /* NULL: none */
    char *cost;                  /* the inventory item's unit cost ("4.00"), NULL: none */
    int policy_continue;
    int64_t grams;               /* the weight in grams, for REST's grams */
    double weight;               /* the inventory item's measurement: value and */
    const char *weight_unit;     /* WeightUnit (GRAMS, KILOGRAMS, OUNCES, POUNDS; static) */
    int64_t *available;          /* per location index */
    int64_t *committed;          /* per location index */
    int64_t *level_updated_ms;   /* per location index, sim ms */
    int64_t accepted_units;      /* ground truth: units checkouts were granted */
    int64_t created_ms, updated_ms;
} ws_variant;

typedef enum { FIN_PENDING, FIN_PAID, FIN_PARTIALLY_REFUNDED, FIN_REFUNDED, FIN_VOIDED } ws_financial;

typedef struct {
    int64_t id;
    size_t variant;              /* index into the shop's variants */
    int64_t quantity;            /* ordered */
    int64_t refunded;            /* removed by refunds */
    int64_t fulfilled;
    int64_t price_cents;
    int64_t *alloc;              /* per location: units still committed for this line */
} ws_line;

typedef struct {
    int64_t id;
    int64_t location_id;
    char *tracking_number, *tracking_company, *tracking_url;
    int64_t *qty;                /* per order line */
    int notify_customer;
    int64_t created_ms;
} ws_fulfillment;

/* Fulfillment orders: what Shopify asks each location to ship. Every order
 * gets one per location its units were committed at, with a line item per
 * order line there; fulfilments draw from their remaining quantities. */
typedef enum { FO_OPEN, FO_IN_PROGRESS, FO_ON_HOLD, FO_CLOSED, FO_CANCELLED } ws_fo_status;

typedef struct {
    int64_t id;
    size_t line;                 /* index into the order's lines */
    int64_t total, remaining;
} ws_fo_line;

typedef struct {
    int64_t id;
    char *reason;                /* FulfillmentHoldReason, e.g. INVENTORY_OUT_OF_STOCK */
    char *notes, *handle;
} ws_hold;

typedef struct {
    int64_t id;
    int loc;                     /* index of the assigned location */
    ws_fo_status status;
    ws_fo_line *lines;
    size_t n_lines;
    ws_hold *holds;
    size_t n_holds;
    int64_t created_ms, updated_ms;
} ws_forder;

typedef struct {
    int64_t id;
    int64_t *qty;                /* per order line */
    int restock;
    char *note;
    int64_t created_ms;
} ws_refund;

typedef struct {
    int64_t id, number;
    int64_t created_ms, updated_ms, processed_ms;
    int64_t paid_ms, cancelled_ms; /* -1 when not */
    ws_financial financial;
    char *email, *cancel_reason;
    cJSON *shipping_address;     /* Shopify's address object, every field present */
    ws_line *lines;
    size_t n_lines;
    ws_fulfillment *fulfillments;
    size_t n_fulfillments;
    ws_refund *refunds;
    size_t n_refunds;
    ws_forder *forders;
    size_t n_forders;
} ws_order;

typedef struct {
    int64_t id;
    char *topic, *address, *api_version;
    int failures;                /* consecutive failed attempts */
    int64_t created_ms, updated_ms;
} ws_sub;

/* A bulk query (bulkOperationRunQuery): run at once over the shop as it
 * was, its JSONL kept for the result URL. */
typedef struct {
    int64_t id;
    char *query;
    char *jsonl;                 /* the result file, NULL when it failed */
    char *error_code;            /* NULL unless it failed */
    int64_t objects, roots;
    int64_t created_ms, completed_ms;
} ws_bulk;

typedef struct idem_entry idem_entry;

typedef struct {
    char *domain, *name, *plan, *secret, *api_version, *currency;
    char **tokens;
    size_t n_tokens;
    spec_limits limits;
    int utc_offset_min;
    int pay_pending;
    int64_t pay_after_ms;
    int64_t id, created_ms;
    ws_location *locations;
    size_t n_locations;
    ws_product *products;
    size_t n_products, cap_products;
    ws_variant *variants;
    size_t n_variants, cap_variants;
    size_t *by_sku;              /* variant indexes sorted by SKU */
    size_t n_indexed;            /* variants the SKU index covers */
    ws_order *orders;            /* in id order */
    size_t n_orders, cap_orders;
    int64_t next_number;
    ws_sub *subs;
    size_t n_subs, cap_subs;
    ws_bulk *bulks;
    size_t n_bulks;
    /* GraphQL idempotency keys: a chained hash plus a FIFO for eviction. */
    idem_entry **idem_buckets;
    size_t idem_n_buckets, idem_count;
    idem_entry *idem_oldest, *idem_newest;
    const sclock *clk;
} ws_shop;

typedef struct {
    const sclock *clk;
    journal *jr;
    counters *ctr;
    uint64_t seed;
} world_env;

/* Builds the world from spec, which it takes over (spec is emptied). Not
 * under the lock (nothing else exists yet). Returns NULL with e set when the
 * spec contradicts itself. hooks may be set later with world_set_hooks. */
world *world_new(spec_world *spec, const world_env *env, json_err *e);
/* Stops the payment timer and frees everything; accepts NULL. No lock. */
void world_free(world *w);
/* Webhooks leave through h from now on (borrowed; NULL stops them). No lock. */
void world_set_hooks(world *w, hooks *h);

void world_lock(world *w);
void world_unlock(world *w);

/* Back to the world the spec described: orders, seeds, keys and later
 * subscriptions go; queued webhooks and payments are dropped. Takes the lock. */
void world_reset(world *w);
/* Adds a seed (see docs); journals "seed". Takes the lock. Returns 0 or -1
 * with e naming the JSON path (nothing is applied then). */
int world_seed(world *w, const spec_seed *s, json_err *e);
/* The ground truth for GET /_mock/state. Takes the lock; caller frees. */
cJSON *world_state(world *w);
/* Payments waiting for their delay (for "quiet"). Takes the lock. */
long world_pending(world *w);
/* The settings every shop shares (from the spec). No lock needed. */
const spec_world *world_settings(const world *w);
/* The clock it was built with. No lock needed. */
const sclock *world_clock(const world *w);

/* ---- lookups ------------------------------------------------------------- */

ws_shop *world_shop_at(world *w, size_t i);
ws_shop *world_shop_by_domain(world *w, const char *domain);
/* The shop a Host header names ("x.myshopify.com:8081" matches the domain
 * with any port); the first shop when none matches. */
ws_shop *world_shop_for_host(world *w, const char *host);
/* The index of the shop's token, -1 when token is not one of them. */
int world_token_index(const ws_shop *s, const char *token);
ws_variant *world_variant_by_id(ws_shop *s, int64_t variant_id);
ws_variant *world_variant_by_item(ws_shop *s, int64_t item_id);
ws_variant *world_variant_by_sku(ws_shop *s, const char *sku);
ws_product *world_product_by_id(ws_shop *s, int64_t product_id);
/* The index of a location id in the shop, -1 when it has none such. */
int world_location_index(const ws_shop *s, int64_t location_id);
ws_order *world_order_by_id(ws_shop *s, int64_t order_id);
ws_sub *world_sub_by_id(ws_shop *s, int64_t id);
/* The simulated now and the unix ms it stands for. */
int64_t world_now(const world *w);

/* ---- inventory ----------------------------------------------------------- */

/* Sets available at one location; journals "inventory" with by and key
 * (NULL when none) and delivers inventory_levels/update. A change to the
 * same value is journaled too (a write happened) but not delivered. */
void world_set_available(world *w, ws_shop *s, ws_variant *v, int loc, int64_t value,
                         const char *by, const char *key);

/* ---- catalog edits (catalog.h reads them) ------------------------------------ */

/* One product's edit: its own fields and those of some of its variants.
 * Fields not given stay. */
typedef struct {
    const char *title;           /* NULL: unchanged */
    int has_status;
    ws_status status;
    int has_price, has_compare_at, has_barcode, has_cost, has_weight;
    char price[32];              /* normalised Money: "12.50" */
    char compare_at[32];         /* the same, "" clears */
    const char *barcode;         /* borrowed, NULL clears */
    char cost[32];               /* normalised Decimal, "" clears */
    double weight;
    const char *weight_unit;     /* static WeightUnit name */
} world_edit;

/* Applies pe's product fields to p and ves[i]'s variant fields to vs[i]
 * (variants of p); journals product_updated per object edited (by: the
 * client, NULL for a merchant in the admin); moves updated_at; delivers
 * products/update once. */
void world_product_edit(world *w, ws_shop *s, ws_product *p, const world_edit *pe,
                        ws_variant *const *vs, const world_edit *ves, size_t n, const char *by);
/* "ACTIVE", ..., and its REST spelling "active", ... */
const char *world_status_name(ws_status st);
const char *world_status_rest(ws_status st);

/* ---- idempotency (GraphQL @idempotent) ------------------------------------ */

/* The stored result of key for this shop: 1 with *params and *result
 * borrowed (until the lock is released), 0 when the key is new. */
int world_idem_get(ws_shop *s, const char *key, const char **params, const char **result);
/* Remembers key → (params, result); both copied. Oldest keys go beyond the
 * configured number. */
void world_idem_put(world *w, ws_shop *s, const char *key, const char *params, const char *result);

/* ---- webhook subscriptions ------------------------------------------------ */

/* Adds one; returns it. address and topic are checked by the caller. */
ws_sub *world_sub_add(world *w, ws_shop *s, const char *topic, const char *address,
                      const char *api_version, const char *why);
/* Removes it and its queued deliveries; journals subscription_removed. */
void world_sub_remove(world *w, ws_shop *s, int64_t id, const char *why);
void world_sub_update(world *w, ws_shop *s, ws_sub *sub, const char *address);
/* Called by hooks after every attempt (takes the lock itself): counts
 * consecutive failures and removes a subscription that reached the limit
 * when its delivery is abandoned. Returns 1 when the subscription is gone
 * (its remaining attempts are cancelled). */
int world_delivery_result(void *world_ptr, const hooks_report *r);

/* ---- bulk operations -------------------------------------------------------- */

/* Records a finished bulk query (query and jsonl are copied; jsonl NULL
 * with error_code for a failed one) and delivers bulk_operations/finish.
 * Returns it (valid until the lock is released). */
ws_bulk *world_bulk_add(world *w, ws_shop *s, const char *query, const char *jsonl,
                        const char *error_code, int64_t objects, int64_t roots);
ws_bulk *world_bulk_by_id(ws_shop *s, int64_t id);

/* ---- shoppers and orders ---------------------------------------------------- */

typedef struct {
    const char *sku;
    int64_t qty;
} world_line_req;

typedef struct {
    const world_line_req *lines;
    size_t n_lines;
    const cJSON *shipping_address; /* may be NULL */
    const char *email;             /* may be NULL */
    int pay;                       /* -1 the shop's setting, 0 pending, 1 paid at once */
    int64_t pay_after_ms;          /* < 0: the shop's setting */
} world_checkout_req;

/* A shopper's checkout: refused whole when a line's product is DRAFT or
 * ARCHIVED, else accepted only if every line fits (deny policy) at the
 * shop's locations, atomically. Returns the answer body (caller frees):
 * {"result":"accepted","order_id":...,"name":...}, {"result":"sold_out",
 * "short":[...]} or {"result":"unavailable","unavailable":[{"sku",
 * "status"}]}. Unknown SKUs and bad quantities answer -1 with e. */
int world_checkout(world *w, ws_shop *s, const world_checkout_req *req, cJSON **out,
                   json_err *e);
/* Cancels an order, restocking its unfulfilled units when restock is set;
 * delivers orders/cancelled; with notify, records the cancellation email
 * Shopify would send the customer (journal `notification`). by says who
 * cancelled for the journal: "api" (an app's call) or "shopper" (the
 * control route's cancellation in Shopify's screens). -1 with e when it
 * cannot be cancelled. */
int world_cancel(world *w, ws_shop *s, ws_order *o, int restock, int notify, const char *reason,
                 const char *by, cJSON **out, json_err *e);

typedef struct {
    int64_t line_id;  /* or 0 and a SKU */
    const char *sku;
    int64_t qty;
} world_refund_line;

/* Refunds lines (all remaining units when n_lines is 0); restock returns the
 * units to available; delivers refunds/create. */
int world_refund(world *w, ws_shop *s, ws_order *o, const world_refund_line *lines,
                 size_t n_lines, int restock, const char *note, cJSON **out, json_err *e);

/* ---- fulfillment orders ---------------------------------------------------- */

/* What went wrong with a fulfillment order request: status 404 (no such
 * fulfillment order) or 422 (refused), the entry (req) and item (item,
 * SIZE_MAX for the fulfillment order itself) it was about, and a message. */
typedef struct {
    int status;
    size_t req, item;
    const char *code;   /* Shopify's user error code when it has one, else NULL */
    const char *field;  /* the input the error is about ("handle"), else NULL */
    char msg[256];
} world_fo_err;

typedef struct {
    int64_t id;   /* a fulfillment order line item */
    int64_t qty;
} world_fo_item;

typedef struct {
    int64_t fo_id;
    const world_fo_item *items;
    size_t n_items;              /* 0: every remaining unit of the fulfillment order */
} world_fo_req;

typedef struct {
    const char *number, *company, *url; /* tracking; each may be NULL */
    int notify_customer;
} world_tracking;

/* The fulfillment order with this id and its order, or NULL. */
ws_forder *world_forder_by_id(ws_shop *s, int64_t id, ws_order **order);
/* Fulfils units of fulfillment orders of one order and one location (as
 * Shopify's fulfillmentCreate and POST fulfillments.json do): the units
 * leave committed at that location, the fulfillment orders' remaining
 * quantities drop (IN_PROGRESS while some remain, CLOSED when none), and
 * fulfillments/create, orders/(partially_)fulfilled and orders/updated go
 * out. Returns the new fulfillment (and its order in *order), or NULL with
 * err set, nothing changed. */
ws_fulfillment *world_fulfill(world *w, ws_shop *s, const world_fo_req *reqs, size_t n,
                              const world_tracking *t, ws_order **order, world_fo_err *err);
/* Places a hold (reason is a FulfillmentHoldReason name) on a fulfillment
 * order that is open, in progress or already held (with another handle).
 * Returns the hold, or NULL with err. */
ws_hold *world_fo_hold(world *w, ws_shop *s, ws_order *o, ws_forder *fo, const char *reason,
                       const char *notes, const char *handle, world_fo_err *err);
/* Releases the holds named (all when n is 0). Returns 0 or -1 with err. */
int world_fo_release(world *w, ws_shop *s, ws_order *o, ws_forder *fo, const int64_t *hold_ids,
                     size_t n, world_fo_err *err);
/* "OPEN", "IN_PROGRESS", "ON_HOLD", "CLOSED", "CANCELLED". */
const char *world_fo_status_name(ws_fo_status st);
/* 1 when the reason is one of Shopify's FulfillmentHoldReason values. */
int world_hold_reason_ok(const char *reason);

/* Order arithmetic for the resources. */
int64_t world_line_current(const ws_line *l);      /* quantity - refunded */
int64_t world_line_fulfillable(const ws_line *l);  /* current - fulfilled, not below 0 */
int64_t world_order_total_cents(const ws_order *o); /* of current quantities */
const char *world_financial_name(ws_financial f);
/* NULL, "partial" or "fulfilled". */
const char *world_fulfillment_status(const ws_order *o);

#endif
