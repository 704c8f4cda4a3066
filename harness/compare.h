/*
 * A run against a baseline: the metrics of two results folders side by
 * side (`surge compare BASE NEW`, and `surge run --baseline DIR`), each
 * change marked better or worse by the metric's own direction
 * (measure_metric_worse), and limits on how much worse a metric may get,
 * in percent of the baseline (--max-regress) or in the metric's own units
 * (--max-increase). A metric one side did not measure (null, as surge
 * writes it for a foreign engine's dead letters; "unknown", as another
 * tool's summary may say; or absent) is shown as such and never counts as
 * a regression; a limit on it fails, since nothing shows it was kept.
 *
 * The comparison is a cJSON object, written as compare.json and kept in
 * summary.json's "baseline" (docs/compare.md has the format); report.c
 * turns its limits into JUnit test cases and its rows into the report's
 * "Against the baseline" section.
 */
#ifndef SURGE_COMPARE_H
#define SURGE_COMPARE_H

#include <cJSON.h>
#include <stddef.h>
#include <stdio.h>

typedef struct {
    char metric[128];
    int pct;       /* 1: --max-regress, limit in percent of the baseline;
                      0: --max-increase, limit in the metric's units */
    double limit;  /* >= 0: how much worse the metric may get */
} compare_limit;

/* What a run is compared against: the baseline folder, its summary.json
 * (owned) and the limits (owned). */
typedef struct {
    char *dir;
    cJSON *summary;
    compare_limit *limits;
    size_t n_limits;
} compare_spec;

/* Parses "METRIC=V" given to flag (--max-regress when pct, a trailing
 * '%' allowed; else --max-increase). The metric must be known and have a
 * worse direction, V a number >= 0. Returns 0, or -1 with a message
 * naming the flag and what was wrong. */
int compare_parse_limit(const char *flag, const char *spec, int pct, compare_limit *out,
                        char *err, size_t errlen) __attribute__((warn_unused_result));

/* Checks a summary.json tree read from file: "metrics" must be an object
 * and every metric in it a number, null or "unknown" (an absent one is
 * unmeasured too). Returns 0, or -1 with "file: $.metrics...: ..." in err. */
int compare_check_summary(const cJSON *summary, const char *file, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Reads and checks dir/summary.json; the tree (caller deletes) or NULL
 * with a message naming the file (and the JSON path) in err. */
cJSON *compare_load(const char *dir, char *err, size_t errlen);

/* Refuses a percentage limit on a metric whose baseline value is 0 (any
 * growth would be infinitely many percent). Returns 0, or -1 with a
 * message suggesting --max-increase. */
int compare_check_limits(const cJSON *base, const compare_limit *limits, size_t n, char *err,
                         size_t errlen) __attribute__((warn_unused_result));

/* Loads dir's summary.json into spec and checks the limits (taken over,
 * malloc'd, may be NULL when n is 0) against it. Returns 0, or -1 with a
 * message; compare_spec_free is needed either way. */
int compare_spec_open(compare_spec *spec, const char *dir, compare_limit *limits, size_t n,
                      char *err, size_t errlen) __attribute__((warn_unused_result));
void compare_spec_free(compare_spec *spec);

/* The comparison of two summaries (both checked): every metric's row,
 * each limit's verdict, the counts. base_dir and new_dir are recorded as
 * given. Returns the object (caller deletes), or NULL with a message when
 * a limit is refused (compare_check_limits). *failed is the number of
 * limits that failed. */
cJSON *compare_summaries(const cJSON *base, const cJSON *new_summary, const char *base_dir,
                         const char *new_dir, const compare_limit *limits, size_t n,
                         int *failed, char *err, size_t errlen);

/* Prints the side-by-side table, the limits and a one-line count. */
void compare_print(FILE *out, const cJSON *cmp);

/* `surge compare BASE NEW`: loads both summaries, prints the comparison,
 * writes compare.json and compare-junit.xml into out_dir (NULL: NEW's
 * folder; made when missing). limits are borrowed. Returns the exit code:
 * RUN_PASS, RUN_GATE_FAILED when a limit failed, RUN_BAD_USAGE for bad
 * input (a summary, a refused limit), RUN_BROKE when a file cannot be
 * written; messages go to stderr. */
int compare_command(const char *base_dir, const char *new_dir, const compare_limit *limits,
                    size_t n, const char *out_dir);

#endif
