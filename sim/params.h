/*
 * The simulator's own numbers: how long things take that the scenario
 * does not say. Each is a distribution of real milliseconds (a lognormal
 * by its median and 99th percentile, or 0 for none); the simulator
 * multiplies a draw by the scenario's time scale, because a real run's
 * network and processing times pass on the real clock while the scenario
 * runs time_scale times faster. Defaults were calibrated on
 * scenarios/flash-sale.json alone (docs/sim.md says how); a scenario may
 * set any of them under "sim", e.g. "sim": {"cin7_call": {"median_ms": 4,
 * "p99_ms": 30}}, and --set sim.cin7_call.median_ms=6 works as for any
 * field.
 */
#ifndef SURGE_SIM_PARAMS_H
#define SURGE_SIM_PARAMS_H

#include <cJSON.h>

#include "json.h"

typedef struct {
    double median_ms, p99_ms; /* real ms; median 0: always 0 */
} sim_dist;

typedef struct {
    sim_dist cin7_call;     /* a Cin7 call, request to answer */
    sim_dist shopify_call;  /* a Shopify Admin call */
    sim_dist webhook;       /* a webhook from queued at the sender to handled at the engine */
    sim_dist handling;      /* the engine's own work on one event (store writes) */
    sim_dist checkout;      /* a shopper's checkout, request to answer */
} sim_params;

/* The defaults, then what v (a scenario's "sim" object, or NULL) sets.
 * Returns 0, or -1 with e naming the JSON path ($.sim...). */
int sim_params_read(const cJSON *v, sim_params *out, json_err *e);

#endif
