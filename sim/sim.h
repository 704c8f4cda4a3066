/*
 * `surge sim SCENARIO`: the scenario in a discrete-event simulator, in
 * virtual time, instead of against the mocks and a running syncd. One
 * event heap (lib/evheap.h) drives the whole world: the demand (the same
 * arrivals as `surge run`, harness/demand.h), Shopify's checkout under the
 * deny policy and its orders/paid webhooks, Cin7's stock, sales,
 * allocation, backorders and its coalesced stock notifications, both rate
 * limits (lib/bucket.h, the mocks' own limiters, configured by the mocks'
 * own config readers from the same generated configs), and a model of
 * syncd that takes its decisions from engine/core (routing, levels,
 * coalescing, pacing, shares) and its settings from syncd's own config
 * reader. docs/sim.md lists what is modelled and how, and what is not.
 *
 * The simulated mocks write journals in the mocks' format into the results
 * folder, and the run is measured, gated and reported exactly as
 * `surge run` is (harness/measure.h, harness/results.h). A scenario field
 * the simulator does not model makes it exit 2 naming the field, before
 * anything runs. Same scenario and seed: the same summary.json bytes.
 */
#ifndef SURGE_SIM_H
#define SURGE_SIM_H

#include <stddef.h>

#include "loadgen.h"
#include "measure.h"
#include "run.h"
#include "scenario.h"

/* Runs o's scenario in the simulator (o->bin_dir and o->cin7_proxy are
 * not used) and returns the exit code (run.h's RUN_*). */
int sim_scenario(const run_opts *o);

/* What one simulated run gives: its metrics and the rest of its results
 * (free with sim_outcome_free). */
typedef struct {
    measure_output mo;
    lg_record *records;    /* every arrival and its outcome */
    size_t n_records;
    int64_t end;           /* scenario ms the run ended */
    uint64_t events;       /* events fired, and the CPU seconds they took */
    double cpu_s;
} sim_outcome;

/* Runs sc in the simulator and measures it, writing nothing (surge tune
 * calls it for each point). Returns RUN_PASS, or RUN_BAD_USAGE (a field
 * it does not model, a bad "sim" object or engine config) or RUN_BROKE
 * with a message in err; out is empty then. */
int sim_measure(const scenario *sc, sim_outcome *out, char *err, size_t errlen);
void sim_outcome_free(sim_outcome *o);

/* The first scenario field the simulator does not model, as a JSON path
 * with why, into why (NULL when it models them all). */
const char *sim_unsupported(const scenario *sc, char *why, size_t n);

#endif
