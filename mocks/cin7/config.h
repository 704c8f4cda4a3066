/*
 * mock-cin7's configuration: the JSON file given with --config and the body
 * of POST /_mock/seed, read into plain values. A config holds the account's
 * settings (credentials, rate limit, delays of the simulated warehouse,
 * webhook behaviour) and a world (locations, suppliers, products, stock,
 * webhook subscriptions, applications); a seed holds a world only.
 *
 * The parser checks everything one document can tell: types, ranges, unknown
 * keys (rejected with their JSON path) and duplicates inside the document.
 * Whether a name refers to something that exists is the world's question,
 * since a seed may name what an earlier seed or the config created.
 *
 * The field-by-field reference is docs/mock-cin7.md. This module links with
 * lib/ alone, so the fuzz target exercises it in the test binary.
 */
#ifndef SURGE_CIN7_CONFIG_H
#define SURGE_CIN7_CONFIG_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "qty.h"

/* A duration that may be switched off ("never" or null in JSON). */
#define C7_NEVER INT64_C(-1)
/* An unlimited rate (preset "unlimited"). */
#define C7_UNLIMITED INT64_C(-1)
#define C7_MAX_RETRIES 16

/* Every string below is malloc'd and owned by the c7cfg it sits in. */
typedef struct {
    char *name;
    char *key;               /* api-auth-applicationkey */
    int64_t calls_per_minute; /* 0: the account's rate; C7_UNLIMITED; or N */
} c7cfg_app;

typedef struct {
    char *name;
    char *id; /* GUID, or NULL to make one */
} c7cfg_location;

typedef struct {
    char *name, *id, *currency, *payment_term;
    int64_t lead_ms;
    int64_t minimum_order;
    char **locations; /* names of the locations served; none means all */
    size_t n_locations;
} c7cfg_supplier;

/* One component of a product's assembly bill of materials: its SKU and the
 * units one finished product takes. */
typedef struct {
    char *sku;
    qty4 qty;
} c7cfg_component;

typedef struct {
    char *sku, *name, *id, *supplier, *status;
    char *barcode, *weight_units; /* NULL: none, "kg" */
    double cost, price, weight;
    int64_t minimum_before_reorder, reorder_quantity;
    c7cfg_component *bom; /* the assembly bill of materials, or none */
    size_t n_bom;
    int auto_assembly;    /* assembled from its components when a sale is authorised */
} c7cfg_product;

/* One lot of stock: a SKU at a location, in a bin and of a batch (both
 * optional), with the batch's expiry (epoch ms, or -1). */
typedef struct {
    char *sku, *location, *bin, *batch;
    int64_t expiry_ms;
    qty4 on_hand, in_transit;
    int has_in_transit;
} c7cfg_stock;

typedef struct {
    char *name, *id;
} c7cfg_customer;

/* A tax rule GET ref/tax lists and order lines name in TaxRule. */
typedef struct {
    char *name, *id;
    qty4 percent;
    int for_sale, for_purchase, active;
} c7cfg_tax;

typedef struct {
    char *id, *type, *url, *auth, *username, *password, *token;
    char **header_keys, **header_values;
    size_t n_headers;
    int active;
} c7cfg_sub;

typedef struct {
    /* settings (a config's; a seed leaves the defaults) */
    char *account;
    int64_t calls_per_minute; /* C7_UNLIMITED or N >= 1 */
    int64_t window_ms;
    int over_limit_status;    /* 503 or 429 */
    int64_t pick_after_ms, pack_after_ms, ship_after_ms; /* or C7_NEVER */
    int64_t task_draft_ms;    /* how long a pick, pack or ship task is DRAFT */
    int64_t sale_invoice_ms, sale_pay_ms; /* after shipping; or C7_NEVER */
    /* Sales fulfilled in parts and voided by users, drawn per sale from the
     * seed and its number (docs/mock-cin7.md, "Physics"). */
    double split_share;       /* 0..1 of authorised sales fulfilled in two parts */
    int64_t split_gap_ms;     /* first shipment -> the second part's pick */
    int ship_allocated;       /* a backordered sale ships what it holds first */
    double void_share;        /* 0..1 of authorised sales a user voids */
    int64_t void_after_ms;    /* authorised -> that void */
    int64_t auto_approve_ms;  /* or C7_NEVER */
    int64_t lead_jitter_ms;
    int64_t purchase_invoice_ms; /* or C7_NEVER */
    c7cfg_tax *taxes;
    size_t n_taxes;
    int64_t coalesce_ms;
    int64_t first_attempt_ms;
    int64_t retry_ms[C7_MAX_RETRIES];
    size_t n_retries;
    int64_t hook_timeout_ms, hook_connect_timeout_ms;
    int64_t hooks_per_type;
    int64_t hook_senders;

    /* the world */
    c7cfg_app *apps;
    size_t n_apps;
    c7cfg_location *locations;
    size_t n_locations;
    c7cfg_supplier *suppliers;
    size_t n_suppliers;
    c7cfg_product *products;
    size_t n_products;
    c7cfg_stock *stock;
    size_t n_stock;
    c7cfg_sub *subs;
    size_t n_subs;
    c7cfg_customer *customers;
    size_t n_customers;
} c7cfg;

/* Reads a whole config (seed_only = 0) or a seed body (seed_only = 1, where
 * settings keys are unknown keys). A config without "applications" gets the
 * demo application. Returns 0 with *out set (caller frees with c7config_free),
 * or -1 with *out = NULL and e naming the JSON path of the first problem. */
int c7config_parse(const cJSON *v, int seed_only, c7cfg **out, json_err *e);
/* The demo world of DESIGN §3 with default settings. Caller frees. */
c7cfg *c7config_demo(void);
/* Default settings and an empty world. Caller frees. */
c7cfg *c7config_defaults(void);
void c7config_free(c7cfg *c); /* accepts NULL */

/* Whether s is a GUID: 8-4-4-4-12 hexadecimal digits. */
int c7config_is_guid(const char *s);
/* The webhook types the reference lists (NULL-terminated), and the name
 * Cin7 gives each. */
extern const char *const c7config_hook_types[];
const char *c7config_hook_name(const char *type);
/* The canonical spelling of a type (any case accepted), or NULL. */
const char *c7config_hook_type(const char *type);
/* The canonical spelling of an ExternalAuthorizationType, or NULL. */
const char *c7config_auth_type(const char *auth);

#endif
