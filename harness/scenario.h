/*
 * A scenario (DESIGN §6, field by field in docs/scenarios.md): the world
 * (SKUs, suppliers, warehouses, shops, initial stock), the demand streams,
 * the faults and engine crashes on a timeline, the engine to test and the
 * gates a run must pass. Loading checks everything and names the JSON path
 * of the first problem; a loaded scenario is read-only.
 */
#ifndef SURGE_SCENARIO_H
#define SURGE_SCENARIO_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"

/* At most this many components in a kit's bill of materials (mock-cin7's
 * limit), and units of one component a kit takes. */
#define SCENARIO_MAX_BOM 100
#define SCENARIO_MAX_BOM_QTY 1000

/* One component of a kit: another SKU of the catalog, which has no bill of
 * materials itself, and the whole units one kit takes of it. */
typedef struct {
    int sku;            /* index in scenario.skus */
    int64_t qty;        /* 1 ... SCENARIO_MAX_BOM_QTY */
} sc_bom_part;

typedef struct {
    char *sku;          /* Cin7 SKU */
    char *shopify_sku;  /* the variant's SKU in Shopify (differs on a mismatch) */
    double price;
    char *supplier;     /* NULL: none (always none for a kit) */
    int64_t reorder_point; /* days of cover threshold override, -1 none */
    /* An auto-assembly kit's bill of materials (1 ... SCENARIO_MAX_BOM
     * parts), or NULL and 0 for a SKU kept as itself. A kit holds no stock
     * of its own: Cin7 assembles it from its components when it sells. */
    sc_bom_part *bom;
    size_t n_bom;
} sc_sku;

typedef struct {
    char *name;
    int64_t lead_ms;
    int64_t moq;
    int64_t pack;
    char *currency;
} sc_supplier;

typedef struct {
    char *name;
    int has_coords;
    double lat, lon;
    int priority;
} sc_warehouse;

typedef struct {
    char *domain;
    char *plan;     /* standard, advanced, plus, enterprise */
    char *token;
    char *secret;
} sc_shop;

typedef struct {
    char *sku;        /* glob over Cin7 SKUs */
    char *warehouse;  /* glob over warehouse names */
    int64_t on_hand;
} sc_stock;

typedef struct {
    char *country;
    char *postcode;
    int has_coords;
    double lat, lon;
    double weight;
} sc_region;

typedef enum { SHAPE_CONSTANT, SHAPE_POISSON, SHAPE_RAMP, SHAPE_SPIKE, SHAPE_REPLAY } sc_shape;
typedef enum { MIX_UNIFORM, MIX_ZIPF, MIX_HOT } sc_mix;

typedef struct {
    char *sku;        /* Shopify SKU (or Cin7 SKU) as the file gives it */
    int64_t qty;      /* 1 ... 1e6 */
} sc_replay_line;

/* One replayed order (replay.h reads them): one checkout, or one
 * other-channel sale. */
typedef struct {
    int64_t t;        /* ms from the replay window's start, before speed-up */
    char *shop;       /* may be NULL: the stream's shop */
    char *country, *postcode; /* may be NULL */
    sc_replay_line *lines;    /* 1 ... DEMAND_MAX_LINES, one per SKU */
    size_t n_lines;
} sc_replay_order;

typedef struct {
    char *name;
    char *channel;      /* "shopify", or an other channel's name ("wholesale", "retail") */
    int shop;           /* index, or -1: every shop in turn */
    int warehouse;      /* other channels: index, or -1: any */
    sc_shape shape;
    double rate;        /* orders per simulated second */
    double rate_to;     /* ramp: the rate at the end of the window */
    int64_t at, len;    /* window */
    int64_t spike_at, spike_len;
    double spike_factor;
    sc_replay_order *replay; /* replay streams: the orders in time order */
    size_t n_replay;
    double replay_speed;
    char *replay_note;  /* what the replay read and left out, for the user; NULL: none */
    sc_mix mix;
    double zipf_s;
    int *skus;          /* indexes of the SKUs drawn from (all when NULL) */
    size_t n_skus;
    int *hot;           /* MIX_HOT: hot SKU indexes */
    size_t n_hot;
    double hot_share;
    int64_t qty_min, qty_max;
    int64_t lines_min, lines_max;
    sc_region *regions;
    size_t n_regions;
} sc_stream;

/* One planned kill -9 of the engine (an `every` entry of $.crashes is
 * loaded as one of these per repetition, in time order). */
typedef struct {
    int64_t at;
    int64_t restart_after;
    int instance;  /* which instance is killed, 0-based (round robin unless given) */
    size_t entry;  /* the $.crashes entry it comes from */
} sc_crash;

/* At most this many syncd instances (engine.instances) and planned
 * crashes (after `every` is expanded). */
#define SCENARIO_MAX_INSTANCES 8
#define SCENARIO_MAX_CRASHES 1000

typedef struct {
    char *metric;   /* e.g. "oversell_units", "order_push_latency_ms.p99" */
    double limit;
    int is_min;     /* 1: value >= limit passes; 0: value <= limit */
} sc_gate;

/* engine.external (docs/scenarios.md): someone else's engine. URLs may
 * hold "{port}", the port surge hands a started engine. */
typedef struct {
    char *shopify_hooks; /* URL for Shopify's orders/paid and orders/cancelled, or NULL */
    char *cin7_hooks;    /* URL for Cin7's Stock/AvailableStockLevelChanged, or NULL */
    char *health;        /* URL answering 200 when ready, or NULL */
    char *metrics;       /* Prometheus URL with syncd_queue_depth, or NULL */
    /* Fixed mock ports (0: a free port each); 8081 and 8082 when no
     * command starts the engine. */
    int shopify_port, cin7_port;
    /* command: argv for execvp (a string becomes /bin/sh -c STRING), NULL
     * when the engine is started by hand; n_argv entries plus a NULL. */
    char **argv;
    size_t n_argv;
    char *cwd;             /* the command's folder (the scenario's when not given) */
    cJSON *env;            /* object of strings, owned; NULL: none */
    int faketime;          /* clock "faketime": run under libfaketime */
    int64_t start_within;  /* real ms the started engine has to become healthy */
    int64_t safety_buffer; /* units the engine keeps back per shop and SKU */
} sc_external;

/* $.fulfilment: how Cin7's staff ship the run's sales, written into
 * mock-cin7's config as its sales.* keys of the same names (docs/scenarios.md). */
typedef struct {
    int given;               /* the scenario has the section */
    double split_share;      /* 0 ... 1: sales shipped in two fulfilments */
    int64_t split_gap_ms;    /* the second fulfilment's pick after the first's shipment */
    int ship_allocated;      /* a backordered sale ships its allocated units first */
    double void_share;       /* 0 ... 1: sales a user voids in Cin7 */
    int64_t void_after_ms;   /* ... this long after authorisation */
} sc_fulfilment;

/* Product data ownership ($.ownership, docs/scenarios.md): which system
 * owns each synced field, and the staff edits the harness makes during
 * the run. The fields in the order reports list them. */
typedef enum {
    SC_FIELD_PRICE,
    SC_FIELD_COMPARE_AT,
    SC_FIELD_TITLE,
    SC_FIELD_COST,
    SC_FIELD_BARCODE,
    SC_FIELD_WEIGHT,
    SC_FIELD_STATUS,
    SC_N_FIELDS
} sc_field;

/* Who owns a field: nobody (not synced), Cin7 or Shopify. */
typedef enum { SC_OWNER_NONE, SC_OWNER_CIN7, SC_OWNER_SHOPIFY } sc_owner;

/* The config and report names of the fields ("price", "compare_at_price" ...). */
extern const char *const scenario_field_names[SC_N_FIELDS];

/* At most this many edit streams, and edits expected over all of them
 * (sum of rate x window): the stream is bounded in count. */
#define SCENARIO_MAX_EDIT_STREAMS 32
#define SCENARIO_MAX_EDITS 20000

/* One stream of staff edits, Poisson at rate per simulated second over
 * [at, at + len), on one side, each edit one field of one SKU. */
typedef struct {
    char *name;
    sc_owner side;      /* SC_OWNER_CIN7 or SC_OWNER_SHOPIFY: where the edit is made */
    unsigned fields;    /* bit (1u << sc_field) per field listed */
    double rate;
    int64_t at, len;
    int *skus;          /* indexes of the SKUs matched by its globs; all when NULL */
    size_t n_skus;
} sc_edit_stream;

typedef struct {
    int given;                     /* the scenario has the section */
    sc_owner owner[SC_N_FIELDS];
    sc_edit_stream *edits;
    size_t n_edits;
} sc_ownership;

typedef struct {
    char *name;
    uint64_t seed;
    int64_t duration_ms;
    int64_t drain_ms;
    int64_t drain_min_ms;     /* the drain lasts at least this long */
    double time_scale;
    double lag_tolerance_ms;  /* generator lag (simulated) beyond which the run is invalid */
    int64_t tick_ms;          /* time series resolution */
    /* How long a backordered unit may wait while another warehouse has it
     * before it counts as misrouted (misroute.h): the scenario's
     * misroute_grace, else twice mock-cin7's first webhook delay. */
    int64_t misroute_grace_ms;

    sc_sku *skus;
    size_t n_skus;
    sc_supplier *suppliers;
    size_t n_suppliers;
    sc_warehouse *warehouses;
    size_t n_warehouses;
    sc_shop *shops;
    size_t n_shops;
    sc_stock *stock;
    size_t n_stock;
    sc_stream *streams;
    size_t n_streams;
    cJSON *faults_cin7;     /* fault plans per mock (arrays), owned */
    cJSON *faults_shopify;
    sc_crash *crashes;
    size_t n_crashes;
    sc_gate *gates;
    size_t n_gates;
    double cover_threshold_days;  /* replenishment: days of cover that call for a PO */
    double target_days;           /* ... and the cover a PO orders up to */
    int replen_given;             /* the scenario has a replenishment section */
    int64_t velocity_window_ms;
    sc_fulfilment fulfilment;
    sc_ownership ownership;

    /* engine */
    char *engine_mode;
    int instances;          /* engine.instances: syncd processes, 1 ... 8 */
    int store_postgres;     /* engine.store: 1 "postgres", 0 "sqlite" */
    cJSON *engine_config;   /* object merged over the generated syncd config, owned */
    /* engine.external: someone else's engine instead of syncd; NULL for
     * syncd. */
    sc_external *external;
    /* pass-through settings for the mocks' config files, owned (objects) */
    cJSON *mock_cin7;
    cJSON *mock_shopify;
    /* the simulator's delays (sim/params.h reads it), owned; NULL: defaults */
    cJSON *sim;

    cJSON *source;          /* the scenario as loaded (after --set), owned */
} scenario;

/* mock-cin7's webhook timing when its config leaves it out
 * (mocks/cin7/config.c; a unit test holds the two together): a stock
 * change's first notification leaves after the longer of the two, a
 * sale's after the first attempt delay. */
#define SCENARIO_CIN7_COALESCE_MS 60000
#define SCENARIO_CIN7_FIRST_ATTEMPT_MS 60000

/* Loads a scenario file, applying "path=value" overrides first (values that
 * parse as JSON are JSON, anything else a string); relative file names
 * inside (replay CSVs) are taken from the scenario's directory. Returns 0, or
 * -1 with e naming the file and the JSON path (or CSV line). */
int scenario_load(const char *path, const char *const *overrides, size_t n_overrides,
                  scenario *out, json_err *e);
/* The same from text; dir resolves relative file names (may be NULL). */
int scenario_load_text(const char *text, size_t len, const char *name, const char *dir,
                       const char *const *overrides, size_t n_overrides, scenario *out,
                       json_err *e);
void scenario_free(scenario *s);
/* Prints each replay stream's note (what it read and left out) to f, one
 * line each, naming the stream. */
void scenario_replay_notes(const scenario *s, FILE *f);
/* Frees st's replayed orders (scenario_free does it for every stream). */
void scenario_replay_free(sc_stream *st);

/* Initial on-hand of a SKU at a warehouse (the last matching stock rule);
 * 0 for a kit, which stock rules pass over. */
int64_t scenario_on_hand(const scenario *s, size_t sku, size_t warehouse);
/* Index of the SKU whose Shopify SKU is sku, or -1. */
int scenario_sku_by_shopify(const scenario *s, const char *sku);
int scenario_sku_index(const scenario *s, const char *sku);

#endif
