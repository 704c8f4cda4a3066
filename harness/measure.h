/*
 * The numbers of a run, computed from the mocks' ground truth only: their
 * journals (every request and side effect, in order) and their final state,
 * plus what the load generator itself sent. Nothing comes from the engine's
 * own claims except its dead-letter list, which only tells a loud failure
 * from a silent one. Every metric of DESIGN §6, per SKU where it applies,
 * the time series per simulated second and one row per arrival.
 *
 * Two steps: the journals become a run model (ingest.h, model.h), and the
 * model becomes the metrics (measure_model). measure_run does both for a
 * real run; the simulator (sim/) is to fill a model itself and call
 * measure_model.
 */
#ifndef SURGE_MEASURE_H
#define SURGE_MEASURE_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "loadgen.h"
#include "model.h"
#include "sbuf.h"
#include "scenario.h"

typedef struct {
    int64_t t;      /* scenario ms */
    int64_t depth;  /* the engine's queue depth (ready + leased) and dirty SKUs */
} measure_sample;

typedef struct {
    const scenario *sc;
    int64_t t0;                  /* sim ms (mock clock) of the scenario's t = 0 */
    int64_t end;                 /* scenario ms the run ended (after drain) */
    const char *cin7_journal;    /* JSON-lines files */
    const char *shopify_journal;
    const cJSON *cin7_state;     /* GET /_mock/state after the drain */
    const cJSON *shopify_state;
    const cJSON *dlq;            /* the engine's dead letters (array), or NULL when
                                  * unknown (a foreign engine's): dead_lettered is null */
    const lg_record *records;
    size_t n_records;
    const measure_sample *samples;
    size_t n_samples;
    /* Units each shop keeps back (its engine's safety buffer), indexed like
     * the scenario's shops, or NULL for none: drift is measured against
     * what each shop should show. */
    const int64_t *shop_buffers;
    /* The engine's split of low stock between shops (its config's
     * low_stock_split; -1: none): what each shop should show is its
     * share, as engine/core's avail_share gives it, less its buffer. */
    int64_t low_stock_split;
    /* The engine's split of a component's low stock between its own
     * listing and the kits using it (its config's kit_low_stock_split;
     * -1: none): engine/core's kit_share. */
    int64_t kit_low_stock_split;
} measure_input;

typedef struct {
    cJSON *metrics;   /* the "metrics" object of summary.json */
    cJSON *per_sku;   /* array */
    cJSON *per_shop;  /* array: per shop, what Cin7 could sell and the shop offers */
    cJSON *hot_skus;  /* array of SKU strings shown in the time series */
    cJSON *fields_apart; /* array: the (SKU, field) pairs field_discrepancies counts; NULL
                          * without an ownership section */
    sbuf timeseries;  /* timeseries.csv */
    sbuf events;      /* events.csv */
    sbuf propagation; /* propagation.csv: each stock change, its latency and bound */
} measure_output;

/* What the engine was told to do, which the metrics judge it against. */
typedef struct {
    const int64_t *shop_buffers; /* per shop (scenario order), NULL: none */
    int64_t low_stock_split;     /* -1: none */
    int64_t kit_low_stock_split; /* -1: none */
} measure_params;

/* Returns 0, or -1 with a message (a journal could not be read). */
int measure_run(const measure_input *in, measure_output *out, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/* The metrics of a model (p may be NULL: no buffers, no split). Returns 0;
 * out is the caller's to free with measure_output_free. */
int measure_model(const run_model *m, const measure_params *p, measure_output *out);
void measure_output_free(measure_output *out);

/* Oversell per SKU (docs/scenarios.md, oversell_units), in the units that
 * left each SKU's own stock. taken[k]: units of SKU k the run's sales took;
 * existed[k]: units that existed as k itself (initial + received +
 * adjusted). A kit's sales beyond the kits that existed were assembled
 * from its components: by_kits[c] gets Σ over the kits K using c of qty ×
 * max(0, taken[K] − existed[K]). over[k] is max(0, taken[k] + by_kits[k] −
 * existed[k]), and 0 for a kit (its shortfall is its components'). All
 * arrays have sc->n_skus entries; returns Σ over[k]. */
int64_t measure_oversell(const scenario *sc, const int64_t *taken, const int64_t *existed,
                         int64_t *by_kits, int64_t *over);

/* The metric names gates may use ("oversell_units", "order_push_latency_ms.p99",
 * "api_calls.cin7" ...), NULL-terminated. */
const char *const *measure_metric_names(void);
/* 1 when name is one of them, else 0. */
int measure_metric_known(const char *name);
/* Which way a metric gets worse: higher (oversell, latencies, calls ...),
 * lower (orders pushed, efficiencies), or neither (figures of the run's
 * work: sample counts, physical bounds, orders paid; also any name that is
 * not a metric). One table in measure.c holds the names and directions. */
typedef enum {
    MEASURE_WORSE_LOWER = -1,
    MEASURE_WORSE_NONE = 0,
    MEASURE_WORSE_HIGHER = 1,
} measure_worse;
measure_worse measure_metric_worse(const char *name);
/* The value of a dotted metric name in a metrics object; returns 1 and sets
 * *v when known and measured, 0 when measured as null, -1 when the name is
 * not a metric. */
int measure_lookup(const cJSON *metrics, const char *name, double *v);

#endif
