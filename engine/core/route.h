/*
 * Warehouse routing for a paid order, as a pure function: which Cin7
 * location(s) ship which lines. Preference order: nearest location to the
 * shipping address by great-circle distance when both have coordinates, else
 * the order of the best-matching row of a country/postcode region table;
 * priority breaks ties (a lower number wins), then configuration order.
 * A location is usable for a line only above its minimum-stock threshold.
 * The most preferred location that can fill every line takes the whole
 * order; when none can, lines are split across locations in preference
 * order, and whatever no location can cover goes to the most preferred one,
 * where Cin7 will backorder it (Shopify has already taken the money).
 *
 * No I/O, no clock, no allocation beyond the result; syncd and the simulator
 * call the same code.
 */
#ifndef SURGE_ROUTE_H
#define SURGE_ROUTE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *name;
    int has_coords;
    double lat, lon;
    int priority;       /* lower is preferred on ties */
    int64_t min_stock;  /* units kept back: usable = available - min_stock */
} route_location;

/* One row of the region table: addresses in country whose postcode starts
 * with postcode_prefix ("" matches every postcode) prefer the listed
 * locations, in order (indexes into the location array). */
typedef struct {
    const char *country;          /* ISO code, compared case-insensitively */
    const char *postcode_prefix;
    const int *locations;
    size_t n_locations;
} route_region;

typedef struct {
    int has_coords;
    double lat, lon;
    const char *country;   /* may be NULL */
    const char *postcode;  /* may be NULL */
} route_address;

typedef struct {
    size_t location;  /* index into the location array */
    size_t line;      /* index into the order's lines */
    int64_t qty;
    int64_t short_qty; /* of qty, units the location lacks (to be backordered) */
} route_alloc;

typedef struct {
    route_alloc *allocs; /* malloc'd; grouped by location in preference order */
    size_t n_allocs;
    size_t n_locations_used;
    int split;           /* more than one location */
    int short_units;     /* units no location could cover */
} route_plan;

/* Great-circle distance in km. */
double route_distance_km(double lat1, double lon1, double lat2, double lon2);

/* Fills order[0..n_locs) with location indexes, most preferred first. */
void route_preference(const route_location *locs, size_t n_locs, const route_region *regions,
                      size_t n_regions, const route_address *addr, size_t *order);

/* Plans an order of n_lines lines with quantities qty[]; available is a
 * row-major n_locs x n_lines matrix of Cin7 Available per location and line.
 * Returns 0 (plan filled; free with route_plan_free) or -1 when there are no
 * locations. Lines with qty <= 0 are skipped. */
int route_order(const route_location *locs, size_t n_locs, const route_region *regions,
                size_t n_regions, const route_address *addr, const int64_t *qty, size_t n_lines,
                const int64_t *available, route_plan *out);
void route_plan_free(route_plan *p);

/* Where a sale that Cin7 backordered at location from can move whole: the
 * first location of order (n_locs indexes, most preferred first, as
 * route_preference gives them) other than from whose usable stock
 * (available less min_stock) covers every line; -1 when none can. A sale
 * is moved whole or not at all: splitting it would need a second sale and
 * a second shipment the shopper did not pay for. */
int route_move(const route_location *locs, size_t n_locs, const size_t *order, size_t from,
               const int64_t *qty, size_t n_lines, const int64_t *available);

#endif
