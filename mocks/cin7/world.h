/*
 * mock-cin7's world: everything that physically exists in a run (locations,
 * suppliers, products, stock per SKU and location, sales, purchases, sales
 * of other channels) and the account around it (API applications with their
 * rate limits, webhook subscriptions). One mutex guards all of it, so every
 * request sees and changes the world atomically, and every side effect is
 * journaled under that mutex: journal order is the order things happened.
 *
 * A thread of the world's own runs the simulated physics on mockd's scaled
 * clock: purchases arrive after their supplier's lead time, drafts are
 * approved after a delay when configured, sales move through picking,
 * packing and shipping, and buffered stock changes leave as webhooks.
 *
 * The API layer (api.c, control.c) parses requests into the inputs below
 * and calls one function per operation; each fills a c7result with the
 * status and the body to send. Strings in inputs are borrowed for the call.
 * Quantities and money are qty4 (qty.h): exact to Cin7's 4 decimals.
 */
#ifndef SURGE_CIN7_WORLD_H
#define SURGE_CIN7_WORLD_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "lines.h"
#include "mockd.h"
#include "qty.h"

typedef struct c7world c7world;

/* The outcome of an operation: status and JSON text to send (malloc'd, the
 * caller frees), or, when body is NULL, a message for Cin7's error shape. */
typedef struct {
    int status;
    char *body;
    char error[512];
} c7result;

/* Builds the world of cfg (settings and contents). Returns NULL with e
 * naming the config path of a dangling reference. cfg stays the caller's. */
c7world *c7world_new(mockd *m, const c7cfg *cfg, json_err *e);
/* Stops the world's thread and webhook senders; accepts NULL. */
void c7world_free(c7world *w);

/* ---- control API hooks (mock_app) */
void c7world_reset(c7world *w);
/* Adds a seed's contents; all or nothing. */
int c7world_seed(c7world *w, const c7cfg *seed, json_err *e);
cJSON *c7world_state(c7world *w);
void c7world_stats(c7world *w, cJSON *out);
long c7world_pending(c7world *w);

/* ---- admission: authentication and the per-application rate limit.
 * Returns 0 and copies the application's name into client, or the status
 * to answer (403, or the configured 503/429) with Cin7's message in msg.
 * throttle is the limit of an active throttle fault, or -1. */
int c7world_admit(c7world *w, const char *account, const char *key, int throttle, char *client,
                  size_t client_len, char *msg, size_t msg_len);

/* ---- queries */
typedef struct {
    int64_t page, limit;        /* from 1; 1..1000 */
    const char *id, *name, *sku, *location, *batch, *search, *status, *order_status;
    const char *quote_status, *shipping_status, *external_id;
    int64_t updated_since_ms;   /* unix epoch ms, or INT64_MIN */
    int64_t created_since_ms;
    int include_suppliers, include_reorder_levels, include_deprecated, include_bom;
} c7query;

/* GET me: the account's company settings (integrations call it to check
 * their credentials). */
void c7world_me(c7world *w, c7result *out);
void c7world_availability(c7world *w, const c7query *q, c7result *out);
void c7world_products(c7world *w, const c7query *q, c7result *out);
void c7world_suppliers(c7world *w, const c7query *q, c7result *out);
void c7world_locations(c7world *w, const c7query *q, c7result *out);
void c7world_customers(c7world *w, const c7query *q, c7result *out);
void c7world_taxes(c7world *w, const c7query *q, c7result *out);

/* ---- product edits: PUT product (an application) and /_mock/product_edit
 * (a user in Cin7's screens). Only the fields given change; the readers are
 * in product_in.h. */
#define C7_PRICE_TIERS 10
typedef struct {
    const char *name, *status;
    const char *barcode;      /* "" clears it */
    const char *weight_units; /* oz, mg, kg, lb or g */
    int has_barcode, has_weight, has_supplier_cost;
    qty4 weight, supplier_cost;
    int has_tier[C7_PRICE_TIERS];
    qty4 tier[C7_PRICE_TIERS]; /* PriceTier1 ... PriceTier10 */
    /* PUT's Suppliers: the entry's SupplierID or SupplierName (at most
     * one entry, the world checks it is the product's supplier). */
    int has_suppliers, n_suppliers;
    const char *supplier_id, *supplier_name;
} c7product_edit;

/* Edits the product with id (PUT: sku, when given, must be its SKU) or, id
 * NULL, the one with sku; client is the application, NULL for a user.
 * Journals product_updated, moves LastModifiedOn, answers PUT's shape. */
void c7world_product_update(c7world *w, const char *id, const char *sku, const c7product_edit *ed,
                            const char *client, c7result *out);

/* ---- documents. Order sections (c7order_in) come from lines.h. */
typedef struct {
    const char *id;                       /* PUT only */
    const char *supplier, *supplier_id;   /* POST: one is required */
    const char *location, *terms, *note;
    const char *approach;                 /* "STOCK" or "INVOICE" (checked), or NULL */
    int has_required_by;
    int64_t required_by_ms;               /* epoch ms, or -1 for null */
    int advanced;                         /* advanced-purchase (else the simple /purchase) */
    const char *client;
} c7purchase_in;

/* The fields of a sale's ShippingAddress, Line1 first and Country last (the
 * two the API requires); answers show every one, "" when not given. */
#define C7_ADDRESS_FIELDS 6
extern const char *const c7_address_fields[C7_ADDRESS_FIELDS];

typedef struct {
    const char *customer, *customer_id, *location;
    const char *customer_reference, *external_id, *note;
    const cJSON *shipping_address;        /* object or NULL */
    int64_t ship_by_ms;                   /* epoch ms, or -1 */
    int skip_quote;
    int type;                             /* 0 Simple Sale, 1 Advanced Sale */
    const char *client;
} c7sale_in;

void c7world_purchase_create(c7world *w, const c7purchase_in *in, c7result *out);
void c7world_purchase_update(c7world *w, const c7purchase_in *in, c7result *out);
/* POST purchase/order: lines and status of purchase id. */
void c7world_purchase_order(c7world *w, const char *id, const c7order_in *in, const char *client,
                            c7result *out);
/* What GET of a purchase shows. */
enum { C7_GET_DOC, C7_GET_ORDER, C7_GET_QUOTE, C7_GET_STOCK };
/* GET purchase (advanced 0) or advanced-purchase (1): the document, its
 * order or its stock received. */
void c7world_purchase_get(c7world *w, const char *id, int what, int advanced, c7result *out);
void c7world_purchase_void(c7world *w, const char *id, const char *client, c7result *out);
void c7world_purchase_list(c7world *w, const c7query *q, c7result *out);

void c7world_sale_create(c7world *w, const c7sale_in *in, c7result *out);
/* POST sale/quote (quote 1) or sale/order (quote 0). */
void c7world_sale_section(c7world *w, const char *id, int quote, const c7order_in *in,
                          const char *client, c7result *out);
void c7world_sale_get(c7world *w, const char *id, int what, c7result *out);
void c7world_sale_void(c7world *w, const char *id, const char *client, c7result *out);
void c7world_sale_list(c7world *w, const c7query *q, c7result *out);

/* ---- webhook subscriptions */
typedef struct {
    const char *id;                        /* PUT */
    const char *type, *url, *auth, *username, *password, *token, *name;
    const char *const *header_keys, *const *header_values;
    size_t n_headers;
    int has_headers;
    int active;                            /* -1: not given */
    const char *client;
} c7hook_in;

void c7world_hooks_list(c7world *w, c7result *out);
void c7world_hook_create(c7world *w, const c7hook_in *in, c7result *out);
void c7world_hook_update(c7world *w, const c7hook_in *in, c7result *out);
void c7world_hook_delete(c7world *w, const char *id, const char *client, c7result *out);

/* ---- the buyer, the shop floor and other channels (/_mock/ routes).
 * Errors use status 400 (bad input), 404 (no such document) or 409 (wrong
 * state); out->body is then NULL and out->error says why. */
void c7world_approve(c7world *w, const char *id, c7result *out);
void c7world_receive_now(c7world *w, const char *id, c7result *out);
void c7world_channel_sale(c7world *w, const char *sku, const char *location, qty4 qty,
                          const char *channel, c7result *out);
/* A stock take: sets the on hand of the lot (bin, batch; NULL: none). */
void c7world_adjust(c7world *w, const char *sku, const char *location, const char *bin,
                    const char *batch, qty4 on_hand, const char *reason, c7result *out);

#endif
