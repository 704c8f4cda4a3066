/*
 * `surge sweep`: runs a scenario over a grid of parameter values (grid.h),
 * each point with one or more seeds, as child `surge run` (or `surge sim`)
 * processes of this same binary, several at once; then gathers each run's
 * summary.json into sweep.csv, orders the points by an objective, finds
 * the Pareto front and draws the plots (sweeptab.h, sweepplot.h).
 * `surge sweep merge` joins the folders of shards run elsewhere into one.
 * File formats: docs/sweep.md; the contract: DESIGN §6.
 */
#ifndef SURGE_SWEEP_H
#define SURGE_SWEEP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *scenario_path;
    const char *const *vary;    /* "PATH=V1,V2,..." per --vary */
    size_t n_vary;
    const char *const *sets;    /* "PATH=VALUE" given to every run */
    size_t n_sets;
    int sim;                    /* run the points with `surge sim` */
    int sim_built;              /* this surge has a `sim` command */
    size_t repeat;              /* seeds per point (>= 1) */
    size_t jobs;                /* runs at once (>= 1) */
    size_t shard_i, shard_n;    /* this slice, 1-based; 1/1 for all */
    const char *out_dir;        /* NULL: results/sweep-<name>-<stamp> */
    const char *objective;      /* NULL: oversell_units, then p99 push latency */
    int64_t seed;               /* < 0: the scenario's */
} sweep_opts;

/* Runs the sweep; returns the exit code: 0 every point has a result, 2
 * bad usage (nothing ran), 3 a point's run broke or the sweep could not
 * write its folder. */
int sweep_run(const sweep_opts *o);

/* Joins sweep folders (each with sweep.json and sweep.csv) into out_dir
 * (NULL: results/sweep-<name>-merged-<stamp>), ordered by objective (NULL:
 * the sweeps' own). Returns 0, 2 when the folders do not belong together
 * (another scenario or grid, a point in two of them) or cannot be read, 3
 * when out_dir cannot be written or a point failed. */
int sweep_merge(const char *const *dirs, size_t n_dirs, const char *out_dir,
                const char *objective);

#endif
