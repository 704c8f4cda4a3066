/*
 * syncd's view of Cin7 stock per SKU x location: Available (and OnHand,
 * Allocated, OnOrder, InTransit) with the moment the figures stand for
 * ("as of": when the read that produced them left for Cin7, after its
 * wait for a rate-limit permit, so sales allocated during that wait are
 * not counted twice). Fed by batched availability reads and by
 * Cin7 stock webhooks; read by routing and by the inventory sync, which
 * subtracts the orders the figures cannot yet reflect. Thread-safe.
 */
#ifndef SURGE_SYNCD_STOCKCACHE_H
#define SURGE_SYNCD_STOCKCACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct stockcache stockcache;

typedef struct {
    int64_t on_hand, allocated, available, on_order, in_transit;
    int64_t as_of; /* sim ms; figures reflect every change before it */
} stock_figures;

stockcache *stockcache_new(void);
void stockcache_free(stockcache *c);
/* Stores figures unless the cache already holds newer ones (as_of). */
void stockcache_put(stockcache *c, const char *sku, const char *location, const stock_figures *f);
/* Returns 1 and fills f when known. */
int stockcache_get(stockcache *c, const char *sku, const char *location, stock_figures *f);
/* When the last full read started (0 when none). */
int64_t stockcache_full_read_at(stockcache *c);
void stockcache_set_full_read(stockcache *c, int64_t at);

/* Every cached figure with its as-of time, and the last full read, as JSON
 * text (malloc'd): syncd keeps it in its store after each full read, so a
 * start while Cin7 cannot be read has figures to go on. Units routed but
 * not yet shown (below) are not in it. */
char *stockcache_export(stockcache *c);
/* Takes figures from an export into the cache (newer figures already
 * cached win, as with stockcache_put). Returns 0, or -1 with why (naming
 * the JSON path) and the cache unchanged when text is not an export. */
int stockcache_import(stockcache *c, const char *text, char *why, size_t whylen);

/* Routing without a fresh read: units syncd routed to a location count
 * against it until a read taken after their sale reached Cin7 shows them.
 * Without this, orders routed between reads would all pick the location
 * the last read showed stock at, and Cin7 would backorder them there while
 * another location had the units. */

/* Serialises routing decisions: plan and record under one lock, so two
 * workers never both take the last units of a location. */
void stockcache_route_begin(stockcache *c);
void stockcache_route_end(stockcache *c);
/* Available at location for routing: the cached figure less units routed
 * there that it cannot show yet. */
int64_t stockcache_routable(stockcache *c, const char *sku, const char *location);
/* Records qty units of sku routed to location for the sale named key
 * (replaces an earlier record of the same key, SKU and location). */
void stockcache_routed(stockcache *c, const char *key, const char *sku, const char *location,
                       int64_t qty);
/* The sale named key exists in Cin7 since at: a read started after at
 * shows its units. */
void stockcache_pushed(stockcache *c, const char *key, int64_t at);

/* The routing records above as JSON text (malloc'd), and the same taken
 * back in place of the cache's own (records a figure already shows are
 * dropped): instances sharing a store keep them there, so each routes
 * knowing what the others routed (orders_route_begin). Import returns 0,
 * or -1 with the records unchanged when text is not an export. */
char *stockcache_routes_export(stockcache *c);
int stockcache_routes_import(stockcache *c, const char *text);

#endif
