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
 */
#ifndef SURGE_CIN7_WORLD_H
#define SURGE_CIN7_WORLD_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "mockd.h"

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
    const char *id, *name, *sku, *location, *search, *status, *order_status, *external_id;
    int64_t updated_since_ms;   /* unix epoch ms, or INT64_MIN */
    int64_t created_since_ms;
    int include_suppliers, include_reorder_levels, include_deprecated;
} c7query;

/* GET me: the account's company settings (integrations call it to check
 * their credentials). */
void c7world_me(c7world *w, c7result *out);
void c7world_availability(c7world *w, const c7query *q, c7result *out);
void c7world_products(c7world *w, const c7query *q, c7result *out);
void c7world_suppliers(c7world *w, const c7query *q, c7result *out);
void c7world_locations(c7world *w, const c7query *q, c7result *out);
void c7world_taxes(c7world *w, const c7query *q, c7result *out);

/* ---- documents */
/* One line of a quote or an order, as the reference's Sale Order Line and
 * Purchase Order Line models require it (checked by the parser): a product
 * (SKU or ProductID), Name, Quantity, Price, Tax and TaxRule; Discount and
 * Comment optional; Total, when given, agrees with the others. */
typedef struct {
    const char *sku, *product_id; /* one of them names the product */
    const char *name;
    int64_t quantity;             /* >= 1 */
    double price, discount, tax;
    const char *tax_rule;         /* must name a tax rule of the account */
    const char *comment;
    char path[64];                /* "Lines[2]", for errors */
} c7line_in;

/* AutoPickPackShipMode of POST sale/order. */
enum { C7_AUTO_NOPICK, C7_AUTO_PICK, C7_AUTO_PICKPACK, C7_AUTO_PICKPACKSHIP };

/* The body of POST sale/quote, sale/order or purchase/order. */
typedef struct {
    const char *status;     /* "DRAFT" or "AUTHORISED" (checked by the parser) */
    const char *memo;
    int auto_mode;          /* C7_AUTO_*; sale/order only */
    c7line_in *lines;
    size_t n_lines;
} c7order_in;

typedef struct {
    const char *id;                       /* PUT only */
    const char *supplier, *supplier_id;   /* POST: one is required */
    const char *location, *terms, *note;
    const char *approach;                 /* "INVOICE" or "STOCK", or NULL */
    int advanced;                         /* POST advanced-purchase */
    int has_required_by;
    int64_t required_by_ms;               /* epoch ms, or -1 for null */
    const char *client;
} c7purchase_in;

/* The fields of a sale's ShippingAddress, Line1 first and Country last (the
 * two the API requires); answers show every one, null when not given. */
#define C7_ADDRESS_FIELDS 6
extern const char *const c7_address_fields[C7_ADDRESS_FIELDS];

typedef struct {
    const char *customer, *customer_id, *location;
    const char *customer_reference, *external_id, *source_channel, *note;
    const cJSON *shipping_address;        /* object or NULL */
    int64_t ship_by_ms;                   /* epoch ms, or -1 */
    int skip_quote;
    int simple;                           /* Type "Simple Sale" (else Advanced) */
    const char *client;
} c7sale_in;

void c7world_purchase_create(c7world *w, const c7purchase_in *in, c7result *out);
void c7world_purchase_update(c7world *w, const c7purchase_in *in, c7result *out);
/* POST purchase/order: lines and status of purchase id. advanced: the
 * purchase was asked for under advanced-purchase (GET and DELETE there
 * see only advanced purchases, and purchase only simple ones). */
void c7world_purchase_order(c7world *w, const char *id, const c7order_in *in, const char *client,
                            c7result *out);
void c7world_purchase_get(c7world *w, const char *id, int order_only, c7result *out);
void c7world_advanced_purchase_get(c7world *w, const char *id, int order_only, c7result *out);
void c7world_purchase_void(c7world *w, const char *id, const char *client, c7result *out);
void c7world_advanced_purchase_void(c7world *w, const char *id, const char *client,
                                    c7result *out);
void c7world_purchase_list(c7world *w, const c7query *q, c7result *out);

void c7world_sale_create(c7world *w, const c7sale_in *in, c7result *out);
/* POST sale/quote: the quote's lines and status. */
void c7world_sale_quote(c7world *w, const char *id, const c7order_in *in, const char *client,
                        c7result *out);
void c7world_sale_order(c7world *w, const char *id, const c7order_in *in, const char *client,
                        c7result *out);
void c7world_sale_get(c7world *w, const char *id, int order_only, c7result *out);
void c7world_sale_quote_get(c7world *w, const char *id, int order_only, c7result *out);
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
void c7world_channel_sale(c7world *w, const char *sku, const char *location, int64_t qty,
                          const char *channel, c7result *out);
void c7world_adjust(c7world *w, const char *sku, const char *location, int64_t on_hand,
                    const char *reason, c7result *out);

#endif
