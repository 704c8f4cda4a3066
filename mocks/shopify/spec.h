/*
 * The description of a mock-shopify world as plain data: what --config
 * files, POST /_mock/seed bodies and the built-in demo world say (shops with
 * their plan, credentials, locations, catalog and stock, webhook
 * subscriptions, payment behaviour; webhook delivery settings). Parsing
 * checks everything up front and names the JSON path of the first problem,
 * unknown keys included, so a typo in a config never silently does nothing.
 * The world module turns a spec into live state.
 *
 * Also here: the plans' rate limits (API-NOTES: REST bucket and leak, GraphQL
 * restore rate; bucket 20x restore), since the config picks them by name.
 *
 * Depends on lib/ only (the fuzz target links it alone). Every string in a
 * spec is malloc'd and owned by it; spec_*_free release everything.
 */
#ifndef SURGE_SHOPIFY_SPEC_H
#define SURGE_SHOPIFY_SPEC_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

/* Bounds on what a config may ask for (configs come from outside). */
#define SPEC_MAX_SHOPS 64
#define SPEC_MAX_LOCATIONS 64
#define SPEC_MAX_VARIANTS 200000
#define SPEC_MAX_RETRIES 32
#define SPEC_MAX_VERSIONS 16

typedef struct {
    double rest_bucket;      /* REST calls the bucket holds */
    double rest_leak_per_s;  /* REST calls leaking per simulated second */
    double gql_restore_per_s;
    double gql_bucket;       /* maximumAvailable */
    double gql_max_cost;     /* the largest single query */
} spec_limits;

/* The preset for a plan name (standard, advanced, plus, enterprise).
 * Returns 0, or -1 for an unknown name. */
int spec_plan_limits(const char *plan, spec_limits *out);

typedef struct {
    char *name, *address1, *city, *province_code, *zip, *country_code;
    double latitude, longitude;
    int has_coords;
} spec_location;

typedef struct {
    char *location; /* a location name of the shop */
    int64_t available;
} spec_stock;

typedef struct {
    char *sku, *title, *price;     /* price as Shopify writes it: "19.00" */
    int policy_continue;           /* inventory_policy "continue" (else "deny") */
    int64_t grams;
    int has_available;
    int64_t available;             /* at the first location, unless stock says */
    spec_stock *stock;
    size_t n_stock;
} spec_variant;

typedef struct {
    char *title, *vendor, *product_type;
    spec_variant *variants;
    size_t n_variants;
} spec_product;

typedef struct {
    char *topic, *address;
} spec_webhook;

typedef struct {
    char *domain, *name, *plan, *secret, *api_version, *currency;
    char **tokens;                 /* access tokens accepted (one bucket each) */
    size_t n_tokens;
    spec_limits limits;
    int utc_offset_min;            /* dates are written in this offset */
    int pay_pending;               /* checkouts start pending, paid after pay_after_ms */
    int64_t pay_after_ms;
    spec_location *locations;
    size_t n_locations;
    spec_product *products;
    size_t n_products;
    spec_webhook *webhooks;
    size_t n_webhooks;
} spec_shop;

typedef enum { SPEC_DELAY_NONE, SPEC_DELAY_FIXED, SPEC_DELAY_UNIFORM, SPEC_DELAY_LOGNORMAL,
               SPEC_DELAY_EXPONENTIAL } spec_delay_kind;

typedef struct {
    spec_delay_kind kind;
    int64_t a_ms, b_ms;            /* fixed: a; uniform: [a, b]; lognormal: median a, p99 b;
                                      exponential: mean a */
    double probability;            /* chance a delivery gets an extra delay */
} spec_delay;

typedef struct {
    unsigned threads;
    int64_t retry_waits[SPEC_MAX_RETRIES]; /* sim ms before retry 1, 2, ... */
    size_t retries;
    int64_t connect_timeout_ms, timeout_ms;
    int remove_after_failures;     /* consecutive failed attempts; 0 never */
    double duplicate_probability;
    spec_delay extra_delay;
    int64_t reorder_window_ms;
} spec_webhooks;

typedef struct {
    spec_shop *shops;
    size_t n_shops;
    spec_webhooks webhooks;
    int gql_throttled_status;      /* 200 (default) or 429 */
    double retry_after_s;          /* REST 429 Retry-After, simulated seconds */
    int64_t first_order_number;
    int64_t idempotency_keep;      /* keys remembered per shop */
    char versions[SPEC_MAX_VERSIONS][8]; /* supported API versions, ascending */
    size_t n_versions;
} spec_world;

/* A config file's tree (see docs/mock-shopify.md). Returns 0, or -1 with
 * e naming the JSON path; out is filled either way and must be freed. */
int spec_parse_config(const cJSON *cfg, spec_world *out, json_err *e);
/* The demo world of DESIGN §3. */
void spec_demo(spec_world *out);
void spec_world_free(spec_world *w);

typedef struct {
    char *shop;                    /* domain; NULL: the first shop */
    char *sku;
    char *location;                /* name; NULL: the first location */
    int64_t available;
} spec_level;

typedef struct {
    spec_shop *shops;              /* new shops, or additions to existing ones */
    size_t n_shops;
    int *shop_partial;             /* per shop: 1 when only additions were given */
    spec_level *levels;
    size_t n_levels;
    char **webhook_shops;          /* per webhook: domain or NULL */
    spec_webhook *webhooks;
    size_t n_webhooks;
} spec_seed;

/* A POST /_mock/seed body. A shop entry may name an existing domain with
 * only locations, products, webhooks (additions); that is checked against
 * the world later. Returns 0 or -1 with e; out must be freed either way. */
int spec_parse_seed(const cJSON *body, spec_seed *out, json_err *e);
void spec_seed_free(spec_seed *s);

/* 1 when v is written like an API version ("2026-10" or "unstable"). */
int spec_version_valid(const char *v);
/* The version that serves a request for asked (see docs/mock-shopify.md,
 * "Versions"): itself when supported or "unstable", else the oldest
 * supported one (Shopify's fall-forward). -1 when asked is no version. */
int spec_version_served(const spec_world *w, const char *asked, char *out, size_t n);

/* 1 when mock-shopify can deliver this webhook topic; the list for messages. */
int spec_topic_known(const char *topic);
const char *spec_topic_list(void);

/* The retry schedule of n retries spread exponentially over total_ms
 * (each wait twice the last), into waits[0..n). */
void spec_retry_schedule(size_t n, int64_t total_ms, int64_t *waits);

#endif
