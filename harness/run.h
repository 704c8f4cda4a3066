/*
 * `surge run`: one scenario from start to verdict. Starts mock-cin7,
 * mock-shopify and syncd (or points the mocks at an external engine) on one
 * clock, seeds them from the scenario, replays the demand, injects the
 * faults and engine crashes on their timeline, drains, measures from the
 * mocks' ground truth, applies the gates and writes the results folder.
 * Children die with the run: on exit, on Ctrl-C and on failure.
 */
#ifndef SURGE_RUN_H
#define SURGE_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "compare.h"

/* Exit codes of DESIGN §6. */
enum {
    RUN_PASS = 0,
    RUN_GATE_FAILED = 1,
    RUN_BAD_USAGE = 2,
    RUN_BROKE = 3,
    RUN_INVALID = 4,
};

typedef struct {
    const char *scenario_path;
    const char *out_dir;        /* NULL: results/<name>-<stamp> */
    double time_scale;          /* 0: the scenario's */
    int64_t seed;               /* < 0: the scenario's */
    const char *const *sets;    /* scenario overrides "path=value" */
    size_t n_sets;
    const char *const *gates;   /* extra gates "metric<=value" / ">=" */
    size_t n_gates;
    int quiet;                  /* plain lines even on a terminal */
    int no_report;              /* no plots and no report.html (a sweep's points) */
    const char *bin_dir;        /* where mock-cin7, mock-shopify, syncd are */
    const char *cin7_proxy;     /* NULL, or a shell command that proxies the
                                   engine's Cin7 calls ({upstream}, {port}) */
    const compare_spec *baseline; /* --baseline DIR and its limits; NULL: none */
    const char *pg;             /* --pg CONNINFO: the PostgreSQL server engine.store
                                   "postgres" uses (a database of the run's own in it);
                                   NULL: a throwaway cluster */
} run_opts;

/* Runs and returns the exit code; every message goes to stderr/stdout. */
int run_scenario(const run_opts *o);

#endif
