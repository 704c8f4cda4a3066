/*
 * The parameter grid of `surge sweep`: each `--vary PATH=V1,V2,...` is one
 * axis, the grid is their cross product, and a point is numbered by its
 * place in that product with the first axis varying slowest (as nested
 * loops over the flags in the order given would number it). A shard I/N
 * of the grid is the points whose index % N == I - 1, so N hosts that each
 * run one shard run every point exactly once without talking to each
 * other. Pure: no files, no processes.
 */
#ifndef SURGE_GRID_H
#define SURGE_GRID_H

#include <stddef.h>

/* At most this many points, so that a typo (a list of a thousand values
 * times another) is refused before anything runs. */
#define GRID_MAX_POINTS 100000
#define GRID_MAX_PARAMS 16

typedef struct {
    char *path;      /* "engine.config.coalesce_window", as --set takes it */
    char **values;   /* as given: "1s", "0", "poll" */
    size_t n_values;
} grid_param;

typedef struct {
    grid_param *params;
    size_t n_params;
} grid;

#define GRID_INIT {NULL, 0}

/* Adds the axis "PATH=V1,V2,..." (values split on commas, none empty, none
 * repeated; a path given twice is refused). Returns 0, or -1 with a
 * message naming spec in err; g is unchanged on failure. */
int grid_add(grid *g, const char *spec, char *err, size_t errlen);
/* The number of points: the product of the axes' lengths, 1 with no axis. */
size_t grid_points(const grid *g);
/* The value of axis `param` at point `index` (< grid_points), borrowed. */
const char *grid_value(const grid *g, size_t index, size_t param);
void grid_free(grid *g);

/* Parses "I/N" (1 <= I <= N, N <= GRID_MAX_POINTS). Returns 0, or -1 with
 * a message naming spec. */
int grid_parse_shard(const char *spec, size_t *i, size_t *n, char *err, size_t errlen);
/* 1 when point index belongs to shard i of n (1-based), else 0. */
int grid_in_shard(size_t index, size_t i, size_t n);

#endif
