/*
 * syncd's Cin7 Core client: every call goes through one rate gate for the
 * API application (calls per minute, shared by all workers) and the retry
 * policy. The gate's rate is learnt from Cin7's answers (pace.h): a 503 or
 * 429 cuts it, clean answers raise it back toward the configured ceiling;
 * /metrics shows it as syncd_cin7_pace_calls_per_minute and counts the
 * cuts in syncd_cin7_pace_cuts_total. Reads are batched: availability
 * comes from paged ref/productavailability (1,000 rows a page), never one
 * call per SKU, and its rows (one per location, bin and batch) are summed
 * per SKU x location.
 * Writes take one document: POST sale (the header) then POST sale/order
 * (the lines); POST advanced-purchase then POST purchase/order. Sales have
 * no idempotency key in Cin7, so callers record intent in the store first
 * and look a sale up by its ExternalID before re-sending one whose outcome
 * is unknown.
 */
#ifndef SURGE_SYNCD_CIN7_H
#define SURGE_SYNCD_CIN7_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "kit.h"
#include "outbound.h"

typedef struct cin7 cin7;

/* A SKU x location: the sums over its bin and batch rows, in whole units
 * (Available, OnHand, OnOrder, InTransit rounded down, Allocated up:
 * c7qty.h). */
typedef struct {
    char *sku;
    char *location;
    int64_t on_hand, allocated, available, on_order, in_transit;
} cin7_row;

typedef struct {
    cin7_row *rows;
    size_t n;
    int64_t read_started; /* sim ms the first page's request left (after its permit) */
} cin7_snapshot;

/* pc: the Cin7 budget (calls per minute: the configured ceiling, the
 * floor, the step; copied), which the answers tune (pace.h). */
cin7 *cin7_new(const char *base_url, const char *account, const char *key, const pace_config *pc,
               int page_limit, int64_t timeout_ms, const policy *pol, metrics *m,
               const sclock *clk);
void cin7_free(cin7 *c);
/* Stops the gate: calls in progress and later ones give up. */
void cin7_stop(cin7 *c);
gate *cin7_gate(cin7 *c);
/* This thread's next calls (calls >= 2) leave without waiting for the
 * rate gate in between: outbound_reserve. Drop what is left with
 * outbound_reserve_drop. */
int cin7_reserve(cin7 *c, int prio, int calls);

/* Every SKU x location (or one SKU when sku is given). On failure out is
 * empty and the outcome says why (RETRY, PERMANENT ...). */
void cin7_availability(cin7 *c, const char *sku, int prio, cin7_snapshot *snap, outcome *out);
void cin7_snapshot_free(cin7_snapshot *s);
/* The reading of cin7_availability without the calls (pure, for the fuzz
 * targets): the rows of n answers of ref/productavailability, summed into
 * snap as cin7_availability sums them (snap's read_started stays 0). */
void cin7_availability_read(const cJSON *const *pages, size_t n, cin7_snapshot *snap);
/* A product as Cin7 lists it (strings malloc'd). An auto-assembled
 * product (AutoAssembly, with an assembly bill of materials) has its
 * components in bom (their SKUs, ProductCode, malloc'd; the units one
 * takes from Quantity and the wastage, kit_need). */
typedef struct {
    char *sku, *id, *name;
    kit_part *bom;
    size_t n_bom;
    int auto_assembly;
} cin7_product;

/* Every product (for mapping, the ID and Name order lines carry, and the
 * bills of materials of kits: it asks with IncludeBOM), sorted by SKU.
 * *out is a malloc'd array; cin7_products_free. */
void cin7_products(cin7 *c, cin7_product **out, size_t *n, outcome *o);
void cin7_products_free(cin7_product *p, size_t n);
/* The same from n_pages answers of GET product, without the calls (pure). */
void cin7_products_read(const cJSON *const *pages, size_t n_pages, cin7_product **out, size_t *n);
/* Every product SKU, sorted (for audits). *skus is a malloc'd array of
 * malloc'd strings. */
void cin7_product_skus(cin7 *c, char ***skus, size_t *n, outcome *out);

/* One order line as Cin7 takes it in sale/order and purchase/order: the
 * fields the reference's line models require (Name, Quantity, Price, Tax,
 * TaxRule, Total; purchases also Comment, Discount and SupplierSKU), Total
 * computed from the others (c7qty_line_total). */
typedef struct {
    const char *product_id, *sku, *name, *tax_rule, *comment, *supplier_sku;
    double qty, price, discount, tax;
} cin7_line;
cJSON *cin7_line_json(const cin7_line *l, int purchase);

/* POST sale (the header; no lines). On DONE, *sale_id gets the new ID
 * (malloc'd). The outcome may be LOOKUP: the sale may exist. */
void cin7_sale_create(cin7 *c, const cJSON *sale, int prio, char **sale_id, outcome *out);
/* POST sale/order (or purchase/order: path) with body: the lines replace
 * the order's, so a DRAFT is retried at once after a dropped connection;
 * an AUTHORISED post is not (Cin7 refuses a second one): its outcome may
 * be LOOKUP, and the caller reads the order back. */
void cin7_post_order(cin7 *c, const char *path, const cJSON *body, int prio, outcome *out);
/* The live (not voided) sale whose ExternalID is external_id, through
 * saleList's ExternalID filter: DONE with *sale_id NULL when none exists;
 * *order_status gets its OrderStatus (malloc'd) when it does. */
void cin7_sale_find(cin7 *c, const char *external_id, int prio, char **sale_id,
                    char **order_status, outcome *out);
/* The live (not voided) sale of rows (a saleList's SaleList) whose
 * ExternalID is external_id, as cin7_sale_find picks it: *sale_id and
 * *order_status malloc'd, both NULL when none is. */
void cin7_sale_pick(const cJSON *rows, const char *external_id, char **sale_id,
                    char **order_status);
/* Voids a sale. */
void cin7_sale_void(cin7 *c, const char *sale_id, int prio, outcome *out);
/* Sale IDs (malloc'd array) whose CustomerReference is ref. */
void cin7_sales_for(cin7 *c, const char *ref, int prio, char ***ids, size_t *n, outcome *out);

/* Webhook subscriptions: the list (JSON array as Cin7 gives it), and a new
 * one of type to url with the given auth. */
void cin7_webhooks(cin7 *c, cJSON **list, outcome *out);
void cin7_webhook_create(cin7 *c, const char *type, const char *url, const char *auth_type,
                         const char *secret, const char *header, outcome *out);

/* A GET of path (relative to the base URL, with its query) answered as
 * JSON: on DONE *out gets the document (caller frees), else NULL. */
void cin7_get_json(cin7 *c, const char *path, int prio, cJSON **out, outcome *o);
/* Every row of a paged list. path is the list and its filters
 * ("purchaseList?Status=RECEIVED&UpdatedSince=..."; Page and Limit are
 * added), key the array of each page ("PurchaseList"). On DONE *rows gets a
 * JSON array of every row (caller frees), else NULL. */
void cin7_list(cin7 *c, const char *path, const char *key, int prio, cJSON **rows, outcome *o);

/* A generic call (for the replenishment and reconciliation issues):
 * method, path relative to the base URL (with query), optional JSON body. */
void cin7_call(cin7 *c, const char *method, const char *path, const char *body, int prio,
               int idempotent, outcome *out);

#endif
