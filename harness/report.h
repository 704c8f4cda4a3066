/*
 * The results of a run, for people and for CI (DESIGN §6): junit.xml with
 * one test case per gate (and a failing one when the run is invalid, so CI
 * never passes numbers that must not be trusted), plots drawn by gnuplot as
 * PNG and SVG, and report.html, a single self-contained page (inline CSS,
 * plots embedded as data: URIs) that shows the run, its gates, its metrics,
 * the worst SKUs and the plots.
 *
 * Everything is read from the run folder the run has already written
 * (summary.json, timeseries.csv, events.csv). Plots are a convenience: when
 * gnuplot is missing or fails, the page says which plots are missing and
 * why, a warning is logged, and the report still succeeds.
 */
#ifndef SURGE_REPORT_H
#define SURGE_REPORT_H

#include <cJSON.h>
#include <stddef.h>

/* Writes junit.xml, the plots (demand, queue, latency, stock; .png and
 * .svg) and report.html into dir. summary is borrowed; NULL means read
 * dir/summary.json. Missing or short CSV files give placeholder plots, not
 * errors. gnuplot is looked up in PATH. Returns 0, or -1 with a message in
 * err when a file cannot be written (or, with summary NULL, read). */
int report_write(const char *dir, const cJSON *summary, char *err, size_t errlen);

/* Writes the JUnit XML of summary to path: a <testsuite name="surge.NAME">
 * with one test case per gate, one per baseline limit (summary's
 * "baseline", surge run --baseline) and, for an invalid run, a failing
 * "run.valid" case. The suite's time is the run's real duration in seconds,
 * (duration_ms + drain_ms) / time_scale / 1000. Returns 0, or -1 with a
 * message in err. */
int report_junit(const char *path, const cJSON *summary, char *err, size_t errlen);

/* Writes the JUnit XML of a comparison (compare.h) to path: a <testsuite
 * name="surge.compare"> with one test case per limit, failing with the
 * limit's message. Returns 0, or -1 with a message in err. */
int report_compare_junit(const char *path, const cJSON *cmp, char *err, size_t errlen);

#endif
