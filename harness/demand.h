/*
 * The demand of a scenario as a stream of arrivals in time order: each one
 * a Shopify checkout (shop, lines, shipping region) or an other-channel sale
 * (warehouse, SKU, quantity), at its intended simulated time. Arrivals are
 * generated lazily, one stream per demand entry merged by time, from the
 * scenario's seed alone: the same scenario and seed give the same arrivals,
 * byte for byte (demand_csv prints them), whatever happens to the run.
 */
#ifndef SURGE_DEMAND_H
#define SURGE_DEMAND_H

#include <stdint.h>

#include "sbuf.h"
#include "scenario.h"

#define DEMAND_MAX_LINES 8

typedef struct {
    int64_t t;          /* intended simulated time (ms) */
    uint64_t seq;       /* 0, 1, 2 ... in time order */
    int stream;
    int shopify;        /* 1: a checkout; 0: an other-channel sale */
    int shop;           /* checkouts: shop index */
    int warehouse;      /* other channels: warehouse index */
    int region;         /* the stream's region index, -1 none */
    int replay_row;     /* replay streams: the order's index in st->replay, else -1 */
    int n_lines;
    struct {
        int sku;        /* catalog index */
        int64_t qty;
    } lines[DEMAND_MAX_LINES];
} demand_arrival;

typedef struct demand demand;

/* s is borrowed for the life of the demand. */
demand *demand_new(const scenario *s, uint64_t seed);
void demand_free(demand *d);
/* The next arrival; returns 0 when there are no more. */
int demand_next(demand *d, demand_arrival *out);
/* One CSV line for an arrival: t,seq,stream,channel,shop_or_warehouse,region,lines
 * (lines as sku:qty separated by ';'). */
void demand_csv(const scenario *s, const demand_arrival *a, sbuf *out);

#endif
