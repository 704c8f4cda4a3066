/*
 * `surge tune SCENARIO --vary PATH=V1,V2,... --minimize METRIC
 * [--subject-to METRIC<=V]...`: searches the settings in the simulator
 * (sim.h's sim_measure, in process), first the grid of the --vary values,
 * then a finer search around the best point: for each numeric parameter
 * (plain numbers, or durations such as "2s", all in one unit), the
 * midpoints between the best value and its neighbours among the values
 * tried, twice. Prints the best setting and the runner-up, then confirms
 * the best with a real `surge run` (a child of this binary) and prints
 * both results side by side. Writes tune.csv (every point tried) and
 * tune.json (the verdict) into its folder. docs/sweep.md has the usage.
 */
#ifndef SURGE_TUNE_H
#define SURGE_TUNE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *scenario_path;
    const char *const *vary;        /* "PATH=V1,V2,..." per --vary */
    size_t n_vary;
    const char *const *sets;        /* "PATH=VALUE" for every run */
    size_t n_sets;
    const char *minimize;           /* a metric name (measure.h) */
    const char *const *subject_to;  /* "METRIC<=V" or "METRIC>=V" */
    size_t n_subject_to;
    size_t repeat;                  /* seeds per point (>= 1) */
    int64_t seed;                   /* < 0: the scenario's */
    const char *out_dir;            /* NULL: results/tune-<name>-<stamp> */
    int confirm;                    /* run the winner for real */
} tune_opts;

/* Returns the exit code: 0 the winner met every constraint in the real run
 * too, 1 it missed one there (or no setting met them in the simulator), 2
 * bad usage (nothing ran), 3 the real run or the folder broke. */
int tune_run(const tune_opts *o);

#endif
