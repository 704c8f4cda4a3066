/*
 * The plots of a sweep, drawn by gnuplot as PNG and SVG from its table:
 * each chosen metric against each parameter with a line per value of the
 * next parameter (averaged over any other parameter), a heat map of each
 * chosen metric when exactly two parameters vary, and the Pareto front of
 * oversell and p99 order push latency coloured by undersell. Parameter
 * values are categories on the axes (as given to --vary: "1s", "poll"), so
 * durations, words and numbers plot alike. The data is written inside
 * each NAME.gp script, which can be drawn again by hand in the folder.
 * Plots are a convenience: when gnuplot is missing or fails, a warning
 * says so and the sweep's result does not change.
 */
#ifndef SURGE_SWEEPPLOT_H
#define SURGE_SWEEPPLOT_H

#include <stddef.h>

#include "sweeptab.h"

typedef struct {
    const sweep_table *t;
    const int *metrics;         /* metric columns to plot against the parameters */
    size_t n_metrics;
    const unsigned char *front; /* per row: on the Pareto front */
    int oversell, p99, undersell; /* the Pareto plot's columns (-1: absent) */
} sweepplot_input;

/* Writes the scripts into dir and draws them. Returns how many plots were
 * drawn; writes a warning on stderr for each one that was not. */
size_t sweepplot_write(const char *dir, const sweepplot_input *in);

#endif
