/* Warehouse routing; see route.h. */
#include "route.h"

#include "mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define EARTH_RADIUS_KM 6371.0088
/* Distances closer than this count as a tie, so priority decides. */
#define TIE_KM 1.0

double route_distance_km(double lat1, double lon1, double lat2, double lon2)
{
    const double rad = M_PI / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    if (a > 1)
        a = 1;
    return 2 * EARTH_RADIUS_KM * asin(sqrt(a));
}

typedef struct {
    size_t idx;
    int by_distance; /* 1 when km is meaningful */
    double km;
    size_t rank;     /* position in the region row; SIZE_MAX when unlisted */
    int priority;
} pref;

static int cmp_pref(const void *a, const void *b)
{
    const pref *x = a, *y = b;
    /* Locations with a distance come before those without one. */
    if (x->by_distance != y->by_distance)
        return x->by_distance ? -1 : 1;
    if (x->by_distance && fabs(x->km - y->km) >= TIE_KM)
        return x->km < y->km ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The region row matching addr with the longest postcode prefix, or NULL. */
static const route_region *best_region(const route_region *regions, size_t n,
                                       const route_address *addr)
{
    const route_region *best = NULL;
    size_t best_len = 0;
    if (!addr->country)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const route_region *r = &regions[i];
        if (!r->country || strcasecmp(r->country, addr->country) != 0)
            continue;
        const char *prefix = r->postcode_prefix ? r->postcode_prefix : "";
        size_t len = strlen(prefix);
        if (len && (!addr->postcode || strncasecmp(addr->postcode, prefix, len) != 0))
            continue;
        if (!best || len > best_len) {
            best = r;
            best_len = len;
        }
    }
    return best;
}

void route_preference(const route_location *locs, size_t n_locs, const route_region *regions,
                      size_t n_regions, const route_address *addr, size_t *order)
{
    pref *p = xcalloc(n_locs ? n_locs : 1, sizeof *p);
    const route_region *reg = best_region(regions, n_regions, addr);
    for (size_t i = 0; i < n_locs; i++) {
        p[i].idx = i;
        p[i].priority = locs[i].priority;
        p[i].rank = SIZE_MAX;
        if (addr->has_coords && locs[i].has_coords) {
            p[i].by_distance = 1;
            p[i].km = route_distance_km(addr->lat, addr->lon, locs[i].lat, locs[i].lon);
        }
        if (reg)
            for (size_t k = 0; k < reg->n_locations; k++)
                if (reg->locations[k] >= 0 && (size_t)reg->locations[k] == i) {
                    p[i].rank = k;
                    break;
                }
    }
    qsort(p, n_locs, sizeof *p, cmp_pref);
    for (size_t i = 0; i < n_locs; i++)
        order[i] = p[i].idx;
    free(p);
}

static int64_t usable(const route_location *loc, int64_t available)
{
    int64_t u = available - loc->min_stock;
    return u > 0 ? u : 0;
}

static void add(route_plan *p, size_t *cap, size_t loc, size_t line, int64_t qty, int64_t short_qty)
{
    /* Merge into an existing allocation of the same location and line. */
    for (size_t i = 0; i < p->n_allocs; i++)
        if (p->allocs[i].location == loc && p->allocs[i].line == line) {
            p->allocs[i].qty += qty;
            p->allocs[i].short_qty += short_qty;
            return;
        }
    XGROW(p->allocs, p->n_allocs, *cap, 8);
    p->allocs[p->n_allocs++] = (route_alloc){loc, line, qty, short_qty};
}

static int by_location_rank(const void *a, const void *b, const size_t *rank)
{
    const route_alloc *x = a, *y = b;
    if (rank[x->location] != rank[y->location])
        return rank[x->location] < rank[y->location] ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

int route_order(const route_location *locs, size_t n_locs, const route_region *regions,
                size_t n_regions, const route_address *addr, const int64_t *qty, size_t n_lines,
                const int64_t *available, route_plan *out)
{
    memset(out, 0, sizeof *out);
    if (n_locs == 0)
        return -1;
    size_t *order = xcalloc(n_locs, sizeof *order);
    route_preference(locs, n_locs, regions, n_regions, addr, order);
    size_t cap = 0;

    /* One location for the whole order, when one can. */
    for (size_t k = 0; k < n_locs; k++) {
        size_t l = order[k];
        int fills = 1;
        for (size_t j = 0; j < n_lines && fills; j++)
            if (qty[j] > 0 && usable(&locs[l], available[l * n_lines + j]) < qty[j])
                fills = 0;
        if (fills) {
            for (size_t j = 0; j < n_lines; j++)
                if (qty[j] > 0)
                    add(out, &cap, l, j, qty[j], 0);
            out->n_locations_used = out->n_allocs ? 1 : 0;
            free(order);
            return 0;
        }
    }

    /* Split: each line takes what it can from each location in turn. */
    for (size_t j = 0; j < n_lines; j++) {
        int64_t left = qty[j];
        for (size_t k = 0; k < n_locs && left > 0; k++) {
            size_t l = order[k];
            int64_t take = usable(&locs[l], available[l * n_lines + j]);
            if (take > left)
                take = left;
            if (take > 0) {
                add(out, &cap, l, j, take, 0);
                left -= take;
            }
        }
        if (left > 0) {
            add(out, &cap, order[0], j, left, left);
            out->short_units += (int)left;
        }
    }
    /* Group by location in preference order, for one sale per location. */
    size_t *rank = xcalloc(n_locs, sizeof *rank);
    for (size_t k = 0; k < n_locs; k++)
        rank[order[k]] = k;
    for (size_t a = 1; a < out->n_allocs; a++) /* insertion sort: plans are small */
        for (size_t b = a; b > 0 && by_location_rank(&out->allocs[b - 1], &out->allocs[b], rank) > 0; b--) {
            route_alloc t = out->allocs[b];
            out->allocs[b] = out->allocs[b - 1];
            out->allocs[b - 1] = t;
        }
    for (size_t a = 0; a < out->n_allocs; a++)
        if (a == 0 || out->allocs[a].location != out->allocs[a - 1].location)
            out->n_locations_used++;
    out->split = out->n_locations_used > 1;
    free(rank);
    free(order);
    return 0;
}

void route_plan_free(route_plan *p)
{
    free(p->allocs);
    p->allocs = NULL;
    p->n_allocs = 0;
}

int route_move(const route_location *locs, size_t n_locs, const size_t *order, size_t from,
               const int64_t *qty, size_t n_lines, const int64_t *available)
{
    for (size_t k = 0; k < n_locs; k++) {
        size_t l = order[k];
        if (l == from || l >= n_locs)
            continue;
        int fits = 1;
        for (size_t j = 0; j < n_lines && fits; j++)
            fits = qty[j] <= 0 || available[l * n_lines + j] - locs[l].min_stock >= qty[j];
        if (fits)
            return (int)l;
    }
    return -1;
}
