/*
 * The results of a sweep as a table: one row per grid point with its
 * parameter values, the seeds it ran with, how its runs ended and, per key
 * metric, the mean over those seeds (and the standard deviation when there
 * were several). The table is what sweep.csv holds, so a sweep that ran
 * here and slices merged from other hosts are the same thing afterwards:
 * the printed table, the Pareto front and the plots are all drawn from it.
 * A cell with no number (a metric not measured, or absent from the
 * summaries) is NAN here and empty in the CSV. Pure but for the CSV files.
 */
#ifndef SURGE_SWEEPTAB_H
#define SURGE_SWEEPTAB_H

#include <stddef.h>
#include <stdio.h>

/* A point's status: every run passed its gates, some failed a gate (both
 * are results), or a run broke or was invalid (no trustworthy result). */
#define SWEEP_PASS "pass"
#define SWEEP_GATE_FAILED "gate_failed"
#define SWEEP_FAILED "failed"

typedef struct {
    size_t index;
    char *shard;     /* "I/N" of the slice that ran it */
    char **values;   /* per parameter, as given to --vary */
    char *seeds;     /* "7 8 9" */
    char *exits;     /* the runs' exit codes, "0 1 3" */
    char *status;    /* SWEEP_PASS, SWEEP_GATE_FAILED or SWEEP_FAILED */
    double *mean;    /* per metric; NAN: no number */
    double *sd;      /* per metric; NAN: fewer than two numbers */
} sweep_row;

typedef struct {
    char **params;   /* parameter paths, in --vary order */
    size_t n_params;
    char **metrics;  /* metric names ("order_push_latency_ms.p99") */
    size_t n_metrics;
    int with_sd;     /* sweep.csv has the .sd columns (--repeat > 1) */
    sweep_row *rows;
    size_t n_rows;
} sweep_table;

/* An empty table with copies of the parameter and metric names. */
void sweeptab_init(sweep_table *t, const char *const *params, size_t n_params,
                   const char *const *metrics, size_t n_metrics, int with_sd);
/* Appends a row; the table takes every pointer of r (each malloc'd). */
void sweeptab_add(sweep_table *t, sweep_row r);
/* Sorts the rows by index. */
void sweeptab_sort_index(sweep_table *t);
void sweeptab_free(sweep_table *t);
/* The column of a metric, or -1. */
int sweeptab_metric(const sweep_table *t, const char *name);

/* Mean and sample standard deviation of the numbers of v (NANs skipped);
 * NAN when there are none (mean) or fewer than two (sd). */
void sweeptab_stats(const double *v, size_t n, double *mean, double *sd);

/* The CSV text of the rows whose flag in keep is set (keep NULL: all):
 * a header, then one line per row. Malloc'd. */
char *sweeptab_csv(const sweep_table *t, const unsigned char *keep);
/* Reads a CSV written by sweeptab_csv into t (initialised here). Returns
 * 0, or -1 with a message naming path and the line. */
int sweeptab_read(const char *path, sweep_table *t, char *err, size_t errlen);

/* Row numbers (into t->rows) best first: rows with a result before failed
 * ones, then by the metric columns in order (each ascending, a missing
 * number after any number; -1 entries are skipped), then by index.
 * Malloc'd, n_rows long. */
size_t *sweeptab_order(const sweep_table *t, const int *by, size_t n_by);

/* Marks in front (n_rows flags) the rows on the Pareto front of the given
 * metric columns, all minimised: rows with a result that no other such
 * row matches or beats on every column while beating on one. A missing
 * number counts as worse than any number; a column that is -1 is left
 * out. Returns how many rows are on the front. */
size_t sweeptab_pareto(const sweep_table *t, const int *cols, size_t n_cols,
                       unsigned char *front);

/* Prints the rows in the given order as an aligned table: rank, index,
 * parameter values, status and the given metric columns (mean, "± sd"
 * when the table has them). */
void sweeptab_print(const sweep_table *t, const size_t *order, const int *cols, size_t n_cols,
                    FILE *out);

#endif
