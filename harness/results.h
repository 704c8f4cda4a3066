/*
 * The end of a run, real (`surge run`) or simulated (`surge sim`): the
 * gates against the measured metrics, the comparison with a baseline
 * (compare.h), the verdict, summary.json,
 * timeseries.csv, events.csv and the report, and the lines printed at the
 * end. Both commands write the same folder this way.
 */
#ifndef SURGE_RESULTS_H
#define SURGE_RESULTS_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "compare.h"
#include "loadgen.h"
#include "measure.h"
#include "scenario.h"

typedef struct {
    const char *dir;           /* the results folder (exists) */
    const scenario *sc;
    const sc_gate *gates;      /* the scenario's and the command line's */
    size_t n_gates;
    const char *invalid;       /* "" or why the run is invalid */
    double time_scale;
    int64_t origin;            /* sim ms of the run's start, for started_at */
    int64_t end;               /* scenario ms the run ended */
    const lg_record *records;  /* every arrival and its outcome */
    size_t n_records;
    int64_t max_lag;           /* how far the generator fell behind (ms) */
    cJSON *crashes;            /* summary.json's "crashes", taken over; NULL: none */
    const char *what;          /* "run" or "sim", in summary.json's "kind" */
    int no_report;             /* no plots and no report.html (a sweep's points) */
    const compare_spec *baseline; /* --baseline and its limits, NULL: none */
} results_in;

/* Loads the scenario at path with the overrides sets ("path=value") and,
 * when seed >= 0, that seed. RUN_PASS, or RUN_BAD_USAGE after printing
 * why. */
int results_load_scenario(const char *path, const char *const *sets, size_t n_sets, int64_t seed,
                          scenario *out);
/* The run's gates (the scenario's, then cli_gates "metric<=v" / ">="),
 * every name checked against the metrics, into *gates (malloc'd; free with
 * results_gates_free, also after a failure), and the results folder
 * (out_dir, or results/<name>-<stamp>) made into dir. RUN_PASS, or
 * RUN_BAD_USAGE / RUN_BROKE after printing why. */
int results_prepare(const scenario *sc, const char *const *cli_gates, size_t n_cli,
                    const char *out_dir, sc_gate **gates, size_t *n_gates, char *dir,
                    size_t dirlen);
void results_gates_free(sc_gate *gates, size_t n);
/* Parses a gate "metric<=value" or "metric>=value" ("=" means "<="). */
int results_parse_gate(const char *spec, char *metric, size_t n, double *limit, int *is_min,
                       char *err, size_t errlen);

/* Applies the gates, writes the folder and prints the verdict; mo's
 * metrics, per-SKU, per-shop and hot lists are taken over (mo is still
 * freed by the caller). Returns the exit code (run.h's RUN_*). */
int results_write(const results_in *in, measure_output *mo);

/* Writes len bytes of text (or v, printed) to path; 0, or -1. */
int results_write_file(const char *path, const char *text, size_t len);
int results_write_json(const char *path, const cJSON *v);

#endif
