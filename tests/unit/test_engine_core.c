/* The engine's pure decisions: routing, the target level, coalescing and
 * the retry policy. */
#include "../runner.h"

#include "avail.h"
#include "coalesce.h"
#include "once.h"
#include "policy.h"
#include "reorder.h"
#include "route.h"

#include <stdio.h>
#include <stdlib.h>

/* Three warehouses: Sydney, Melbourne, Perth. */
static const route_location aus[] = {
    {"Sydney", 1, -33.8688, 151.2093, 2, 0},
    {"Melbourne", 1, -37.8136, 144.9631, 1, 0},
    {"Perth", 1, -31.9523, 115.8613, 3, 5},
};

TEST(route, distance_is_great_circle)
{
    /* Sydney to Melbourne is about 713 km. */
    EXPECT_NEAR(route_distance_km(-33.8688, 151.2093, -37.8136, 144.9631), 713.4, 3.0);
    EXPECT_NEAR(route_distance_km(10, 20, 10, 20), 0.0, 1e-9);
}

TEST(route, nearest_with_stock_takes_the_whole_order)
{
    route_address near_perth = {1, -32.0, 115.9, "AU", "6000"};
    int64_t qty[] = {2, 1};
    int64_t avail[] = {10, 10, /* Sydney */ 10, 10, /* Melbourne */ 10, 10 /* Perth */};
    route_plan p;
    EXPECT_EQ_INT(route_order(aus, 3, NULL, 0, &near_perth, qty, 2, avail, &p), 0);
    EXPECT_EQ_INT(p.n_locations_used, 1);
    EXPECT_FALSE(p.split);
    EXPECT_EQ_INT(p.n_allocs, 2);
    EXPECT_EQ_INT(p.allocs[0].location, 2);
    EXPECT_EQ_INT(p.allocs[0].qty, 2);
    EXPECT_EQ_INT(p.allocs[1].qty, 1);
    route_plan_free(&p);

    /* Perth keeps 5 back: with 6 available it cannot give 2, so the next nearest fills. */
    int64_t thin[] = {10, 10, 10, 10, 6, 10};
    EXPECT_EQ_INT(route_order(aus, 3, NULL, 0, &near_perth, qty, 2, thin, &p), 0);
    EXPECT_EQ_INT(p.n_locations_used, 1);
    EXPECT_EQ_INT(p.allocs[0].location, 1); /* Melbourne is nearer Perth than Sydney */
    route_plan_free(&p);
}

TEST(route, split_when_no_single_location_can_fill)
{
    route_address syd = {1, -33.9, 151.2, "AU", "2000"};
    int64_t qty[] = {5, 4};
    /* Sydney has line 0 only, Melbourne line 1 only. */
    int64_t avail[] = {9, 0, 0, 9, 0, 0};
    route_plan p;
    EXPECT_EQ_INT(route_order(aus, 3, NULL, 0, &syd, qty, 2, avail, &p), 0);
    EXPECT_TRUE(p.split);
    EXPECT_EQ_INT(p.n_locations_used, 2);
    EXPECT_EQ_INT(p.short_units, 0);
    EXPECT_EQ_INT(p.allocs[0].location, 0);
    EXPECT_EQ_INT(p.allocs[0].line, 0);
    EXPECT_EQ_INT(p.allocs[0].qty, 5);
    EXPECT_EQ_INT(p.allocs[1].location, 1);
    EXPECT_EQ_INT(p.allocs[1].line, 1);
    EXPECT_EQ_INT(p.allocs[1].qty, 4);
    route_plan_free(&p);

    /* One line spread over two locations, and a shortfall backordered at the nearest. */
    int64_t qty2[] = {12};
    int64_t avail2[] = {4, 5, 6}; /* Perth usable 1 after its threshold */
    EXPECT_EQ_INT(route_order(aus, 3, NULL, 0, &syd, qty2, 1, avail2, &p), 0);
    EXPECT_EQ_INT(p.short_units, 2);
    int64_t total = 0, shortq = 0;
    for (size_t i = 0; i < p.n_allocs; i++) {
        total += p.allocs[i].qty;
        shortq += p.allocs[i].short_qty;
    }
    EXPECT_EQ_INT(total, 12);
    EXPECT_EQ_INT(shortq, 2);
    EXPECT_EQ_INT(p.allocs[0].location, 0);
    EXPECT_EQ_INT(p.allocs[0].qty, 4 + 2); /* its 4 plus the 2 nobody has */
    route_plan_free(&p);
}

TEST(route, region_table_then_priority)
{
    /* No coordinates: the region table decides; Perth first for WA postcodes. */
    int wa[] = {2, 1, 0}, nsw[] = {0};
    route_region regions[] = {
        {"AU", "6", wa, 3},
        {"au", "", nsw, 1},
    };
    route_address perth_addr = {0, 0, 0, "AU", "6009"};
    size_t order[3];
    route_preference(aus, 3, regions, 2, &perth_addr, order);
    EXPECT_EQ_INT(order[0], 2);
    EXPECT_EQ_INT(order[1], 1);
    EXPECT_EQ_INT(order[2], 0);
    /* Outside WA: the country row lists Sydney; the rest by priority (Melbourne 1 < Perth 3). */
    route_address other = {0, 0, 0, "AU", "3000"};
    route_preference(aus, 3, regions, 2, &other, order);
    EXPECT_EQ_INT(order[0], 0);
    EXPECT_EQ_INT(order[1], 1);
    EXPECT_EQ_INT(order[2], 2);
    /* Nothing known: priority alone. */
    route_address none = {0, 0, 0, NULL, NULL};
    route_preference(aus, 3, regions, 2, &none, order);
    EXPECT_EQ_INT(order[0], 1);
    EXPECT_EQ_INT(order[1], 0);
    EXPECT_EQ_INT(order[2], 2);
    /* Equal distance: priority breaks the tie. */
    route_location twins[] = {{"A", 1, 0, 0, 5, 0}, {"B", 1, 0, 0, 1, 0}};
    route_address at = {1, 1, 1, NULL, NULL};
    route_preference(twins, 2, NULL, 0, &at, order);
    EXPECT_EQ_INT(order[0], 1);
    route_plan p;
    EXPECT_EQ_INT(route_order(twins, 0, NULL, 0, &at, NULL, 0, NULL, &p), -1);
}

TEST(avail, target_subtracts_pending_unknown_and_buffer)
{
    avail_input in = {.cin7_available = 100, .pending_units = 7, .unknown_units = 4,
                      .safety_buffer = 3};
    EXPECT_EQ_INT(avail_target(&in), 86);
    in.unknown_units = -2; /* never adds */
    in.pending_units = -1;
    EXPECT_EQ_INT(avail_target(&in), 97);
    in.cin7_available = 5;
    in.pending_units = 7;
    EXPECT_EQ_INT(avail_target(&in), 0); /* never below zero */
    EXPECT_TRUE(avail_should_write(5, 4));
    EXPECT_FALSE(avail_should_write(5, 5));
    EXPECT_TRUE(avail_should_write(0, -1));
}

TEST(avail, unknown_units_carry_across_writes)
{
    /* Shopify showed 10 at our write; shoppers bought 3 (level 7); we have
     * heard of 2 of those orders since: 1 unknown. */
    int64_t u = avail_unknown(0, 10 - 7, 2);
    EXPECT_EQ_INT(u, 1);
    /* We write again (level 7, unknown 1 carried). Then the unknown order's
     * webhook arrives and one more unit sells (known at once): unknown 0. */
    EXPECT_EQ_INT(avail_unknown(u, 7 - 6, 1 + 1), 0);
    /* Not heard of yet: it stays unknown however many writes come between. */
    EXPECT_EQ_INT(avail_unknown(u, 0, 0), 1);
    /* A restock (cancelled unknown order) lowers it; never below zero. */
    EXPECT_EQ_INT(avail_unknown(u, -1, 0), 0);
    EXPECT_EQ_INT(avail_unknown(0, -5, 3), 0);
}

TEST(avail, no_reinflation_of_units_bought_but_not_in_cin7)
{
    /* 10 exist. Shoppers bought 3 (Shopify 10 -> 7); syncd has heard of 2
     * (pending, not yet in Cin7); Cin7 still says 10. */
    avail_input in = {.cin7_available = 10, .pending_units = 2,
                      .unknown_units = avail_unknown(0, 3, 2), .safety_buffer = 0};
    EXPECT_EQ_INT(avail_target(&in), 7); /* not 10, not 8 */
}

TEST(coalesce, latest_wins_and_window)
{
    coalescer *c = coalesce_new(100);
    EXPECT_EQ_INT(coalesce_mark(c, "SKU-1", 0), 1);
    for (int i = 1; i <= 1000; i++)
        EXPECT_EQ_INT(coalesce_mark(c, "SKU-1", i / 100), 0);
    EXPECT_EQ_INT(coalesce_mark(c, "SKU-2", 50), 1);
    EXPECT_EQ_INT(coalesce_waiting(c), 2);
    EXPECT_EQ_INT(coalesce_folded(c), 1000);
    EXPECT_EQ_INT(coalesce_next_due(c), 100);
    char *out[8];
    EXPECT_EQ_INT(coalesce_take(c, 99, out, 8), 0);
    EXPECT_EQ_INT(coalesce_take(c, 100, out, 8), 1);
    EXPECT_EQ_STR(out[0], "SKU-1");
    free(out[0]);
    /* Marked again after being taken: waits again. */
    EXPECT_EQ_INT(coalesce_mark(c, "SKU-1", 120), 1);
    EXPECT_EQ_INT(coalesce_take(c, 1000, out, 8), 2);
    EXPECT_EQ_STR(out[0], "SKU-2");
    EXPECT_EQ_STR(out[1], "SKU-1");
    free(out[0]);
    free(out[1]);
    EXPECT_EQ_INT(coalesce_next_due(c), -1);
    coalesce_free(c);
}

TEST(coalesce, many_keys_and_churn)
{
    coalescer *c = coalesce_new(0);
    char key[32], *out[64];
    size_t got = 0;
    for (int round = 0; round < 200; round++) {
        for (int k = 0; k < 50; k++) {
            snprintf(key, sizeof key, "SKU-%d", (round * 7 + k) % 300);
            coalesce_mark(c, key, round);
        }
        size_t n;
        while ((n = coalesce_take(c, round, out, 64)) > 0) {
            for (size_t i = 0; i < n; i++)
                free(out[i]);
            got += n;
        }
        EXPECT_EQ_INT(coalesce_waiting(c), 0);
    }
    EXPECT_EQ_INT(got, 200 * 50); /* each round's keys are distinct */
    coalesce_free(c);
}

TEST(policy, decisions)
{
    policy p = {.max_attempts = 5, .base_ms = 1000, .cap_ms = 60000};
    rng r;
    rng_seed(&r, 1);
    int64_t wait;
    policy_outcome ok = {POLICY_NET_ANSWERED, 201, -1};
    EXPECT_EQ_INT(policy_decide(&p, 1, &ok, 0, &r, &wait), POLICY_DONE);

    policy_outcome limited = {POLICY_NET_ANSWERED, 503, -1};
    EXPECT_EQ_INT(policy_decide(&p, 1, &limited, 0, &r, &wait), POLICY_RETRY);
    EXPECT_LE_INT(wait, 1000);
    EXPECT_EQ_INT(policy_decide(&p, 3, &limited, 0, &r, &wait), POLICY_RETRY);
    EXPECT_LE_INT(wait, 4000);
    EXPECT_EQ_INT(policy_decide(&p, 5, &limited, 0, &r, &wait), POLICY_GIVE_UP);

    policy_outcome throttled = {POLICY_NET_ANSWERED, 429, 2000};
    EXPECT_EQ_INT(policy_decide(&p, 1, &throttled, 0, &r, &wait), POLICY_RETRY);
    EXPECT_EQ_INT(wait, 2000);
    throttled.retry_after_ms = 3600000;
    policy_decide(&p, 1, &throttled, 0, &r, &wait);
    EXPECT_EQ_INT(wait, 60000); /* capped */

    /* Unknown outcomes of non-idempotent writes need a lookup first. */
    policy_outcome reset = {POLICY_NET_RESET, 0, -1};
    EXPECT_EQ_INT(policy_decide(&p, 1, &reset, 0, &r, &wait), POLICY_LOOKUP);
    EXPECT_EQ_INT(policy_decide(&p, 1, &reset, 1, &r, &wait), POLICY_RETRY);
    policy_outcome timeout = {POLICY_NET_TIMEOUT, 0, -1};
    EXPECT_EQ_INT(policy_decide(&p, 2, &timeout, 0, &r, &wait), POLICY_LOOKUP);
    /* Out of tries, a write that may have landed is still looked up; an
     * idempotent one gives up. */
    EXPECT_EQ_INT(policy_decide(&p, 5, &timeout, 0, &r, &wait), POLICY_LOOKUP);
    EXPECT_EQ_INT(policy_decide(&p, 9, &reset, 0, &r, &wait), POLICY_LOOKUP);
    EXPECT_EQ_INT(policy_decide(&p, 5, &timeout, 1, &r, &wait), POLICY_GIVE_UP);
    policy_outcome err500 = {POLICY_NET_ANSWERED, 500, -1};
    EXPECT_EQ_INT(policy_decide(&p, 1, &err500, 0, &r, &wait), POLICY_LOOKUP);
    policy_outcome refused = {POLICY_NET_UNSENT, 0, -1};
    EXPECT_EQ_INT(policy_decide(&p, 1, &refused, 0, &r, &wait), POLICY_RETRY);

    policy_outcome bad = {POLICY_NET_ANSWERED, 400, -1};
    EXPECT_EQ_INT(policy_decide(&p, 1, &bad, 0, &r, &wait), POLICY_PERMANENT);
    policy_outcome auth = {POLICY_NET_ANSWERED, 403, -1};
    EXPECT_EQ_INT(policy_decide(&p, 1, &auth, 1, &r, &wait), POLICY_PERMANENT);
    EXPECT_EQ_STR(policy_action_name(POLICY_LOOKUP), "lookup");
}

TEST(reorder, velocity_and_days_of_cover)
{
    /* 70 units over 7 days: 10 a day. */
    EXPECT_NEAR(reorder_velocity(70, 7 * 86400000LL), 10.0, 1e-9);
    EXPECT_NEAR(reorder_velocity(30, 3600000), 720.0, 1e-9); /* 30 an hour */
    EXPECT_NEAR(reorder_velocity(0, 86400000), 0.0, 0);
    EXPECT_NEAR(reorder_velocity(5, 0), 0.0, 0);
    /* Position 120, 10 a day: 12 days of cover, below a 14-day threshold. */
    reorder_input in = {.velocity = 10, .position = 120, .cover_days = 14, .target_days = 30,
                       .moq = 0, .pack = 1};
    reorder_decision d = reorder_decide(&in);
    EXPECT_NEAR(d.days_of_cover, 12.0, 1e-9);
    EXPECT_TRUE(d.needed);
    EXPECT_EQ_INT(d.quantity, 180); /* 30 x 10 - 120 */
    /* 14 days exactly is not below the threshold. */
    in.position = 140;
    d = reorder_decide(&in);
    EXPECT_FALSE(d.needed);
    EXPECT_EQ_INT(d.quantity, 0);
    /* Negative position (allocated beyond stock) orders more. */
    in.position = -20;
    d = reorder_decide(&in);
    EXPECT_TRUE(d.needed);
    EXPECT_EQ_INT(d.quantity, 320);
    /* Nothing sells: never needed. */
    in.velocity = 0;
    in.position = 0;
    d = reorder_decide(&in);
    EXPECT_FALSE(d.needed);
}

TEST(reorder, moq_and_pack_rounding)
{
    EXPECT_EQ_INT(reorder_round(7, 50, 1), 50);   /* raised to the MOQ */
    EXPECT_EQ_INT(reorder_round(73, 50, 1), 73);
    EXPECT_EQ_INT(reorder_round(73, 50, 10), 80); /* up to a pack multiple */
    EXPECT_EQ_INT(reorder_round(7, 50, 12), 60);  /* MOQ first, then the pack */
    EXPECT_EQ_INT(reorder_round(80, 0, 10), 80);
    EXPECT_EQ_INT(reorder_round(0, 0, 0), 1);     /* never an empty line */
    /* Fractional demand rounds up: 2.5 a day for 30 days less 20 = 55. */
    reorder_input in = {.velocity = 2.5, .position = 20, .cover_days = 14, .target_days = 30,
                       .moq = 50, .pack = 6};
    reorder_decision d = reorder_decide(&in);
    EXPECT_TRUE(d.needed);
    EXPECT_EQ_INT(d.quantity, 60);
}

TEST(once, the_ledger_decides_the_next_step)
{
    EXPECT_EQ_INT(once_begin(1, ONCE_INTENT), ONCE_WRITE);
    EXPECT_EQ_INT(once_begin(0, ONCE_DONE), ONCE_ALREADY);
    /* Refused: sent again, the ledger open again while it is on its way. */
    EXPECT_EQ_INT(once_begin(0, ONCE_FAILED), ONCE_REOPEN);
    /* A crash after the record, or a lost answer: it may have landed. */
    EXPECT_EQ_INT(once_begin(0, ONCE_INTENT), ONCE_LOOK_UP);
    EXPECT_EQ_INT(once_begin(0, ONCE_UNKNOWN), ONCE_LOOK_UP);
}

TEST(once, an_outcome_leaves_its_state)
{
    EXPECT_EQ_INT(once_after(POLICY_DONE), ONCE_DONE);
    EXPECT_EQ_INT(once_after(POLICY_LOOKUP), ONCE_UNKNOWN);
    EXPECT_EQ_INT(once_after(POLICY_RETRY), ONCE_FAILED);
    EXPECT_EQ_INT(once_after(POLICY_PERMANENT), ONCE_FAILED);
    EXPECT_EQ_INT(once_after(POLICY_GIVE_UP), ONCE_FAILED);
}

TEST(policy, an_event_retries_with_growing_backoff_then_gives_up)
{
    policy p = {.max_attempts = 4, .base_ms = 1000, .cap_ms = 8000};
    rng r;
    rng_seed(&r, 7);
    int64_t wait;
    EXPECT_EQ_INT(policy_event(&p, 1, 0, 0, &r, &wait), POLICY_RETRY);
    EXPECT_LE_INT(wait, 1000);
    EXPECT_EQ_INT(policy_event(&p, 3, 0, 0, &r, &wait), POLICY_RETRY);
    EXPECT_LE_INT(wait, 4000);
    /* A Retry-After longer than the backoff wins. */
    EXPECT_EQ_INT(policy_event(&p, 1, 0, 60000, &r, &wait), POLICY_RETRY);
    EXPECT_EQ_INT(wait, 60000);
    EXPECT_EQ_INT(policy_event(&p, 4, 0, 0, &r, &wait), POLICY_GIVE_UP);
    EXPECT_EQ_INT(policy_event(&p, 1, 1, 0, &r, &wait), POLICY_PERMANENT);
    /* The same seed, the same waits: a run replays. */
    rng a, b;
    rng_seed(&a, 99);
    rng_seed(&b, 99);
    for (int i = 1; i < 4; i++) {
        int64_t wa, wb;
        policy_event(&p, i, 0, 0, &a, &wa);
        policy_event(&p, i, 0, 0, &b, &wb);
        EXPECT_EQ_INT(wa, wb);
    }
}

TEST(route, a_backordered_sale_moves_whole_to_the_first_location_that_fills_it)
{
    /* Sydney backordered it; preference Sydney, Melbourne, Perth. Two
     * lines, 2 and 1 units. */
    size_t order[] = {0, 1, 2};
    int64_t qty[] = {2, 1};
    /* Melbourne has line 0 but not line 1; Perth (min_stock 5) has 7 and 6. */
    int64_t avail[] = {0, 0, /* Sydney */ 5, 0, /* Melbourne */ 7, 6 /* Perth */};
    EXPECT_EQ_INT(route_move(aus, 3, order, 0, qty, 2, avail), 2);
    /* Perth's keep-back leaves 1 of line 1... and 2 of line 0: not enough. */
    int64_t tight[] = {0, 0, 5, 0, 6, 5};
    EXPECT_EQ_INT(route_move(aus, 3, order, 0, qty, 2, tight), -1);
    /* Never back to where it is, even when it has the units. */
    int64_t home[] = {9, 9, 0, 0, 0, 0};
    EXPECT_EQ_INT(route_move(aus, 3, order, 0, qty, 2, home), -1);
    /* The preference decides between two that fit. */
    int64_t both[] = {0, 0, 5, 5, 9, 9};
    EXPECT_EQ_INT(route_move(aus, 3, order, 0, qty, 2, both), 1);
    size_t perth_first[] = {2, 0, 1};
    EXPECT_EQ_INT(route_move(aus, 3, perth_first, 0, qty, 2, both), 2);
    /* A line with no units needs none. */
    int64_t none[] = {0, 1};
    int64_t only1[] = {0, 0, 0, 1, 0, 0};
    EXPECT_EQ_INT(route_move(aus, 3, order, 0, none, 2, only1), 1);
}

TEST(avail, pending_units_count_against_the_oldest_figure)
{
    int64_t as_of[] = {5000, -1, 3000, 7000};
    EXPECT_EQ_INT(avail_pending_since(as_of, 4), 3000);
    int64_t none[] = {-1, -1};
    EXPECT_EQ_INT(avail_pending_since(none, 2), 0); /* no figure: every unit is pending */
    EXPECT_EQ_INT(avail_pending_since(as_of, 0), 0);
}

TEST(avail, low_stock_is_split_between_shops)
{
    /* Four units, three shops, split at or below 6: 2, 1, 1 (all 4). */
    EXPECT_EQ_INT(avail_share(4, 3, 0, 6), 2);
    EXPECT_EQ_INT(avail_share(4, 3, 1, 6), 1);
    EXPECT_EQ_INT(avail_share(4, 3, 2, 6), 1);
    /* Above the line every shop shows the pool; off, always. */
    EXPECT_EQ_INT(avail_share(7, 3, 2, 6), 7);
    EXPECT_EQ_INT(avail_share(4, 3, 2, -1), 4);
    /* One shop keeps everything; nothing is nothing. */
    EXPECT_EQ_INT(avail_share(4, 1, 0, 6), 4);
    EXPECT_EQ_INT(avail_share(0, 3, 0, 6), 0);
    EXPECT_EQ_INT(avail_share(-2, 3, 0, 6), 0);
    /* The shares never add up to more than the pool. */
    for (int64_t pool = 0; pool <= 12; pool++) {
        int64_t sum = 0;
        for (size_t i = 0; i < 5; i++)
            sum += avail_share(pool, 5, i, 12);
        EXPECT_EQ_INT(sum, pool);
    }
}

TEST(avail, a_shop_shows_its_share_less_its_buffer)
{
    EXPECT_EQ_INT(avail_shop_level(4, 3, 0, 6, 1), 1);  /* share 2 */
    EXPECT_EQ_INT(avail_shop_level(4, 3, 2, 6, 1), 0);  /* share 1 */
    EXPECT_EQ_INT(avail_shop_level(10, 3, 2, 6, 2), 8); /* above the line: the pool */
    EXPECT_EQ_INT(avail_shop_level(1, 1, 0, -1, 3), 0); /* never below 0 */
}
