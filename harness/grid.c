/* The sweep's parameter grid; see grid.h. */
#include "grid.h"

#include "mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void param_free(grid_param *p)
{
    for (size_t i = 0; i < p->n_values; i++)
        free(p->values[i]);
    free(p->values);
    free(p->path);
}

/* Splits list on commas into p's values; -1 with a message on an empty or
 * repeated value. */
static int split_values(grid_param *p, const char *spec, const char *list, char *err,
                        size_t errlen)
{
    size_t cap = 1;
    for (const char *c = list; *c; c++)
        cap += *c == ',';
    p->values = xcalloc(cap, sizeof *p->values);
    for (const char *v = list;;) {
        size_t len = strcspn(v, ",");
        if (len == 0) {
            snprintf(err, errlen, "--vary %s: empty value in the list", spec);
            return -1;
        }
        char *value = xstrndup(v, len);
        for (size_t i = 0; i < p->n_values; i++)
            if (strcmp(p->values[i], value) == 0) {
                snprintf(err, errlen, "--vary %s: value \"%s\" is given twice", spec, value);
                free(value);
                return -1;
            }
        p->values[p->n_values++] = value;
        if (!v[len])
            return 0;
        v += len + 1;
    }
}

int grid_add(grid *g, const char *spec, char *err, size_t errlen)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1]) {
        snprintf(err, errlen, "--vary %s: expected PATH=V1,V2,...", spec);
        return -1;
    }
    if (g->n_params == GRID_MAX_PARAMS) {
        snprintf(err, errlen, "--vary %s: at most %d parameters vary in one sweep", spec,
                 GRID_MAX_PARAMS);
        return -1;
    }
    grid_param p = {xstrndup(spec, (size_t)(eq - spec)), NULL, 0};
    for (size_t i = 0; i < g->n_params; i++)
        if (strcmp(g->params[i].path, p.path) == 0) {
            snprintf(err, errlen, "--vary %s: %s is already varied by an earlier --vary", spec,
                     p.path);
            param_free(&p);
            return -1;
        }
    if (split_values(&p, spec, eq + 1, err, errlen) != 0) {
        param_free(&p);
        return -1;
    }
    if (grid_points(g) * p.n_values > GRID_MAX_POINTS) {
        snprintf(err, errlen, "--vary %s: the grid would have more than %d points", spec,
                 GRID_MAX_POINTS);
        param_free(&p);
        return -1;
    }
    g->params = xrealloc(g->params, (g->n_params + 1) * sizeof *g->params);
    g->params[g->n_params++] = p;
    return 0;
}

size_t grid_points(const grid *g)
{
    size_t n = 1;
    for (size_t i = 0; i < g->n_params; i++)
        n *= g->params[i].n_values;
    return n;
}

const char *grid_value(const grid *g, size_t index, size_t param)
{
    /* Mixed radix with the last axis as the lowest digit. */
    size_t stride = 1;
    for (size_t i = param + 1; i < g->n_params; i++)
        stride *= g->params[i].n_values;
    const grid_param *p = &g->params[param];
    return p->values[(index / stride) % p->n_values];
}

void grid_free(grid *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_params; i++)
        param_free(&g->params[i]);
    free(g->params);
    g->params = NULL;
    g->n_params = 0;
}

/* A whole decimal number in [1, max] from s up to *end; -1 when not one. */
static long long parse_count(const char *s, char **end, long long max)
{
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    long long v = strtoll(s, end, 10);
    return errno || v < 1 || v > max ? -1 : v;
}

int grid_parse_shard(const char *spec, size_t *i, size_t *n, char *err, size_t errlen)
{
    char *end;
    long long si = parse_count(spec, &end, GRID_MAX_POINTS);
    long long sn = si > 0 && *end == '/' ? parse_count(end + 1, &end, GRID_MAX_POINTS) : -1;
    if (si < 1 || sn < 1 || *end) {
        snprintf(err, errlen, "--shard %s: expected I/N with whole numbers, e.g. 2/4", spec);
        return -1;
    }
    if (si > sn) {
        snprintf(err, errlen, "--shard %s: I must be between 1 and N", spec);
        return -1;
    }
    *i = (size_t)si;
    *n = (size_t)sn;
    return 0;
}

int grid_in_shard(size_t index, size_t i, size_t n)
{
    return n > 0 && index % n == i - 1;
}
