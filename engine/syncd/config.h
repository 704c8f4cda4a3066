/*
 * syncd's configuration: a JSON file (every field in docs/syncd.md with its
 * default), environment variables for secrets (a string "env:NAME" takes
 * the value of $NAME), and command-line overrides (--set path=value and
 * the shortcut flags). Unknown keys are rejected with their JSON path.
 * Without a file, the demo configuration talks to the two mocks' demo
 * worlds on their default ports.
 */
#ifndef SURGE_SYNCD_CONFIG_H
#define SURGE_SYNCD_CONFIG_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "own.h"
#include "pace.h"

typedef struct {
    char *name;        /* Cin7 location name */
    int has_coords;
    double lat, lon;
    int priority;      /* lower wins ties */
    int64_t min_stock; /* units routing keeps back */
} cfg_location;

typedef struct {
    char *country;
    char *postcode_prefix;
    char **locations;  /* Cin7 location names, preferred first */
    size_t n_locations;
} cfg_region;

typedef struct {
    int64_t shopify_location_id; /* 0: the shop's first location */
    char **cin7_locations;       /* whose Available it shows */
    size_t n_cin7;
} cfg_shop_location;

typedef struct {
    char *domain;
    char *base_url;      /* e.g. https://shop.myshopify.com (no /admin) */
    char *access_token;
    char *api_secret;    /* webhook HMAC key */
    char *api_version;
    char *cin7_customer; /* the Cin7 customer its sales are made to */
    int64_t safety_buffer;
    int notify_customer;  /* fulfillments ask Shopify to send the shipping confirmation */
    cfg_shop_location *locations; /* empty: first Shopify location shows every Cin7 location */
    size_t n_locations;
} cfg_shop;

typedef struct {
    /* server */
    char *bind;
    int port;
    char *public_url;     /* where the APIs reach syncd's webhooks */
    char *instance;       /* this process among those sharing the store: its claims' holder */
    int64_t claim_ttl_ms; /* a claim's life unless renewed (roles.h) */
    char *admin_token;
    char *store_path;
    unsigned workers;
    int64_t body_cap;
    char *log_level;
    char *alert_url;      /* NULL: alerts only in the log */
    /* intake limits (real time: the clock's scale does not apply) */
    int64_t request_deadline_real_ms;
    unsigned max_connections;
    unsigned max_connections_per_ip; /* 0: no limit */
    /* time */
    double time_scale;
    int64_t clock_origin;
    int64_t seed;         /* of retry jitter; -1: chosen at start and logged */
    /* behaviour */
    char *mode;           /* "event" or "poll" */
    int64_t poll_interval_ms;
    int64_t lease_ms;
    int64_t coalesce_ms;
    int64_t snapshot_max_age_ms;
    int64_t webhook_margin_ms;
    int register_webhooks;
    int max_attempts;
    int64_t retry_base_ms, retry_cap_ms;
    int64_t http_timeout_ms;         /* per call to Cin7 */
    int64_t shopify_http_timeout_ms; /* per call to Shopify */
    /* Cin7 */
    char *cin7_url;       /* ends with "/" */
    char *cin7_account;
    char *cin7_key;
    int cin7_calls_per_minute;
    pace_config cin7_pace;  /* ceiling cin7_calls_per_minute, floor and step from cin7.pace */
    int cin7_page_limit;
    char *cin7_hook_auth;  /* "bearer", "basic", "header", "noauth" */
    char *cin7_hook_secret; /* token, or "user:password" for basic, or header value */
    char *cin7_hook_header; /* header name for "header" */
    char *cin7_tax_rule;    /* TaxRule of sale lines (a rule of GET ref/tax) */
    char *cin7_purchase_tax_rule; /* TaxRule of purchase lines */
    /* Shopify */
    cfg_shop *shops;
    size_t n_shops;
    /* routing */
    cfg_location *locations;
    size_t n_locations;
    cfg_region *regions;
    size_t n_regions;
    /* reconciliation (the audit layer) */
    int64_t reconcile_interval_ms;
    int64_t reconcile_overlap_ms;  /* orders are re-fetched this far before the watermark */
    /* housekeeping: store rows older than this go (store_housekeep); 0 keeps all */
    int64_t retention_ms;
    /* replenishment */
    int replen_enabled;
    int64_t replen_interval_ms;
    double replen_cover_days;      /* below this many days of cover, draft a PO */
    double replen_target_days;     /* order up to this many days of cover */
    int64_t replen_window_ms;      /* velocity window */
    char **pack_supplier;          /* pack multiples per supplier name */
    int64_t *pack_size;
    size_t n_pack;
    /* order status back to Shopify */
    int fulfillments;
    int move_backorders;  /* move a backordered sale to a location that can fill it */
    int64_t low_stock_split; /* split a SKU's units between shops at or below this; -1 never */
    /* split a component's units between its own listing and the kits
     * using it at or below this (kit_share); -1 never */
    int64_t kit_low_stock_split;
    /* SKU mapping: explicit pairs, then identity for SKUs Cin7 knows */
    char **map_shopify, **map_cin7;
    size_t n_map;
    int map_identity;
    /* product data ownership (ownsync.h): each field's owner (an own_side),
     * -1 when the field is not synced; ownership is 1 when some field is */
    int own_owner[OWN_N_FIELDS];
    int ownership;
    int64_t own_poll_ms;
    char *own_price_tier;    /* the Cin7 tier that is the price ("PriceTier1") */
    char *own_compare_tier;  /* the tier that stands in for the compare-at price */
} syncd_config;

/* The longest admin token or Cin7 webhook secret accepted: it rides in a
 * request header, and MHD keeps a request's headers in 32 KiB. */
#define CONFIG_SECRET_MAX 4096

/* Builds the configuration: the file at path (NULL: the demo), then the
 * overrides ("path=value" strings, applied in order; a value that parses as
 * JSON is used as JSON, anything else as a string), then env: references.
 * Returns 0, or -1 with e naming the file and JSON path. */
int config_load(const char *path, const char *const *overrides, size_t n_overrides,
                syncd_config *out, json_err *e);
/* The same from JSON text (name labels errors, e.g. the file name). */
int config_load_text(const char *text, size_t len, const char *name,
                     const char *const *overrides, size_t n_overrides, syncd_config *out,
                     json_err *e);
void config_free(syncd_config *c);
/* The effective configuration as JSON, secrets masked (for /admin/config). */
cJSON *config_to_json(const syncd_config *c);
/* The demo configuration file text. */
const char *config_demo_text(void);

#endif
