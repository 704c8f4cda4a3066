/*
 * The configuration's locations and region table as engine/core/route.h
 * takes them (route_location, route_region), built once per decision by
 * whoever routes: a new order (orders.c) or a backordered sale's move
 * (move.c).
 */
#ifndef SURGE_SYNCD_ROUTECFG_H
#define SURGE_SYNCD_ROUTECFG_H

#include "config.h"
#include "route.h"

typedef struct {
    route_location *locs;    /* one per cfg location, same order */
    size_t n_locs;
    route_region *regions;
    size_t n_regions;
    int **region_idx;        /* storage of regions[].locations */
} routecfg;

/* Borrows names from cfg, which must outlive r. Free with routecfg_free. */
void routecfg_init(routecfg *r, const syncd_config *cfg);
void routecfg_free(routecfg *r);
/* The index of the location named name, or -1. */
long routecfg_find(const routecfg *r, const char *name);

#endif
