/*
 * An in-process mock-shopify for the tests that drive its world without
 * HTTP: the mock_shopify_mutation fuzz target and the test that
 * agql_execute answers as the endpoint does. A small world from a config
 * (SHOPIFY_RIG_CONFIG: two locations, three SKUs) on a virtual clock, with
 * a journal and counters of its own and no webhooks, an Admin GraphQL
 * executor over it (no limiter, no mockd), and one paid order placed whose
 * units sit at both locations, so it has two fulfillment orders.
 *
 * The ids are those a fresh mock-shopify started with the same config
 * gives: locations 61000000001 (East) and 61000000002 (West), inventory
 * items 47000000000001..3 (TEE-S, TEE-M, CAP), order 5800000000001,
 * fulfillment orders 6900000000001 (East: line items 15000000000001, two
 * TEE-S, and 15000000000002, one CAP) and 6900000000002 (West: line item
 * 15000000000003, two TEE-S), holds from 7100000000001. Subscription ids
 * are not reset with the world (world_reset keeps counting them).
 */
#ifndef SURGE_TESTS_SHOPIFY_RIG_H
#define SURGE_TESTS_SHOPIFY_RIG_H

#include "../../mocks/shopify/admin_gql.h"
#include "../../mocks/shopify/world.h"

#include "clock.h"
#include "counters.h"
#include "journal.h"

/* The config; its token is the demo world's (shpat_demo). */
extern const char SHOPIFY_RIG_CONFIG[];
/* The order's lines, as POST /_mock/checkout takes them. */
extern const char SHOPIFY_RIG_CHECKOUT[];

typedef struct {
    sclock clk;
    journal *jr;
    counters *ctr;
    world *w;
    agql *g;
} shopify_rig;

/* Builds the world and places the order; aborts with a message when it
 * cannot (the rig itself is broken then). */
void shopify_rig_open(shopify_rig *r);
/* Back to the world as opened: world_reset, the journal emptied, the order
 * placed again (same ids). */
void shopify_rig_reset(shopify_rig *r);
void shopify_rig_close(shopify_rig *r); /* accepts a zeroed one */

#endif
