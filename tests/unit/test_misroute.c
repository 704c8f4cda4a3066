/*
 * Misrouted units (harness/misroute.c) on hand-made timelines: Cin7's
 * Available and the backordered units per SKU and warehouse as they change,
 * and the units worked out by hand from misroute.h's rule. Times are
 * scenario ms; the grace period is 2 minutes unless a test says otherwise.
 */
#include "../runner.h"

#include "misroute.h"

#define MIN 60000
#define GRACE (2 * MIN)

/* Two SKUs over three warehouses, each with 5 Available. */
static misroute *world(void)
{
    misroute *m = misroute_new(2, 3, GRACE);
    for (size_t k = 0; k < 2; k++)
        for (size_t l = 0; l < 3; l++)
            misroute_available(m, -1000, k, l, 5);
    return m;
}

TEST(misroute, nothing_backordered_is_nothing_misrouted)
{
    misroute *m = world();
    misroute_available(m, 10 * MIN, 0, 1, 50);
    EXPECT_EQ_INT(misroute_movable(m, 0), 0);
    EXPECT_EQ_INT(misroute_finish(m, 60 * MIN, NULL), 0);
    misroute_free(m);
}

TEST(misroute, a_backorder_waiting_past_the_grace_while_another_warehouse_has_stock_counts)
{
    /* 3 units backordered at warehouse 0 from 1m to 10m while warehouse 1
     * and 2 have 5 each: all 3 could have moved, for 9 minutes. */
    misroute *m = world();
    misroute_available(m, 0, 0, 0, 0);
    misroute_backordered(m, MIN, 0, 0, 3);
    EXPECT_EQ_INT(misroute_movable(m, 0), 3);
    misroute_backordered(m, 10 * MIN, 0, 0, -3);
    EXPECT_EQ_INT(misroute_movable(m, 0), 0);
    int64_t per[2] = {-1, -1};
    EXPECT_EQ_INT(misroute_finish(m, 20 * MIN, per), 3);
    EXPECT_EQ_INT(per[0], 3);
    EXPECT_EQ_INT(per[1], 0);
    misroute_free(m);
}

TEST(misroute, a_backorder_moved_within_the_grace_is_not_misrouted)
{
    /* Moved after exactly the grace period: not longer, so not counted;
     * the move takes the units from warehouse 1's Available. */
    misroute *m = world();
    misroute_available(m, 0, 0, 0, 0);
    misroute_backordered(m, MIN, 0, 0, 3);
    misroute_backordered(m, MIN + GRACE, 0, 0, -3);
    misroute_available(m, MIN + GRACE, 0, 1, 2);
    EXPECT_EQ_INT(misroute_finish(m, 60 * MIN, NULL), 0);
    misroute_free(m);
}

TEST(misroute, only_as_many_units_as_the_other_warehouses_have_count)
{
    /* 8 backordered at warehouse 0; 2 Available at warehouse 1, 1 at 2. */
    misroute *m = world();
    misroute_available(m, 0, 0, 0, 0);
    misroute_available(m, 0, 0, 1, 2);
    misroute_available(m, 0, 0, 2, 1);
    misroute_backordered(m, 0, 0, 0, 8);
    EXPECT_EQ_INT(misroute_movable(m, 0), 3);
    EXPECT_EQ_INT(misroute_finish(m, 30 * MIN, NULL), 3);
    misroute_free(m);
}

TEST(misroute, a_warehouses_own_stock_cannot_fill_its_backorders)
{
    /* Backorders at 0 and Available only at 0 (a stock take after the
     * backorder): nothing could move elsewhere. */
    misroute *m = misroute_new(1, 2, GRACE);
    misroute_backordered(m, 0, 0, 0, 4);
    misroute_available(m, MIN, 0, 0, 6);
    EXPECT_EQ_INT(misroute_movable(m, 0), 0);
    /* Backorders at both: 0's may use 1's stock and 1's may use 0's. */
    misroute_backordered(m, 2 * MIN, 0, 1, 5);
    EXPECT_EQ_INT(misroute_movable(m, 0), 5);
    misroute_available(m, 3 * MIN, 0, 1, 3);
    /* 1's 5 from 0's 6, and 0's 4 from 1's 3: 8. */
    EXPECT_EQ_INT(misroute_movable(m, 0), 8);
    misroute_free(m);
}

TEST(misroute, stock_arriving_elsewhere_starts_the_clock)
{
    /* Backordered from 0; warehouse 1 gets stock only at 10m and the
     * engine moves the units a minute later: not misrouted. */
    misroute *m = misroute_new(1, 2, GRACE);
    misroute_backordered(m, 0, 0, 0, 2);
    misroute_available(m, 10 * MIN, 0, 1, 4);
    misroute_backordered(m, 11 * MIN, 0, 0, -2);
    misroute_available(m, 11 * MIN, 0, 1, 2);
    EXPECT_EQ_INT(misroute_finish(m, 60 * MIN, NULL), 0);
    misroute_free(m);
}

TEST(misroute, a_broken_stretch_starts_again)
{
    /* Movable for a minute, then another channel takes warehouse 1's stock
     * for a minute, then movable for a minute again: no stretch outlasts
     * the grace. */
    misroute *m = misroute_new(1, 2, GRACE);
    misroute_available(m, 0, 0, 1, 1);
    misroute_backordered(m, 0, 0, 0, 1);
    misroute_available(m, MIN, 0, 1, 0);
    misroute_available(m, 2 * MIN, 0, 1, 1);
    misroute_available(m, 3 * MIN, 0, 1, 0);
    EXPECT_EQ_INT(misroute_finish(m, 60 * MIN, NULL), 0);
    misroute_free(m);
}

TEST(misroute, each_unit_counts_once_per_stretch_at_its_level)
{
    /* 3 could move from 0 to 5m, 1 of them until 15m: 3 units. */
    misroute *m = misroute_new(1, 2, GRACE);
    misroute_available(m, 0, 0, 1, 10);
    misroute_backordered(m, 0, 0, 0, 3);
    misroute_backordered(m, 5 * MIN, 0, 0, -2);
    misroute_backordered(m, 15 * MIN, 0, 0, -1);
    EXPECT_EQ_INT(misroute_finish(m, 60 * MIN, NULL), 3);
    misroute_free(m);
    /* 1 could move from 0 to 10m, a second one joins for a minute at 5m:
     * the level-2 stretch is short, so 1 unit. */
    m = misroute_new(1, 2, GRACE);
    misroute_available(m, 0, 0, 1, 10);
    misroute_backordered(m, 0, 0, 0, 1);
    misroute_backordered(m, 5 * MIN, 0, 0, 1);
    misroute_backordered(m, 6 * MIN, 0, 0, -1);
    misroute_backordered(m, 10 * MIN, 0, 0, -1);
    EXPECT_EQ_INT(misroute_finish(m, 60 * MIN, NULL), 1);
    misroute_free(m);
}

TEST(misroute, what_still_waits_at_the_end_counts_when_it_waited_past_the_grace)
{
    misroute *m = misroute_new(2, 2, GRACE);
    misroute_available(m, 0, 0, 1, 4);
    misroute_available(m, 0, 1, 1, 4);
    misroute_backordered(m, 0, 0, 0, 2);           /* waits 10 minutes */
    misroute_backordered(m, 9 * MIN, 1, 0, 1);     /* waits 1 minute */
    int64_t per[2];
    EXPECT_EQ_INT(misroute_finish(m, 10 * MIN, per), 2);
    EXPECT_EQ_INT(per[0], 2);
    EXPECT_EQ_INT(per[1], 0);
    /* Finished: no more figures are taken, the count stays. */
    misroute_backordered(m, 20 * MIN, 0, 0, 5);
    EXPECT_EQ_INT(misroute_finish(m, 30 * MIN, NULL), 2);
    misroute_free(m);
}

TEST(misroute, odd_figures_are_clamped_or_ignored)
{
    misroute *m = misroute_new(1, 2, GRACE);
    misroute_available(m, 0, 0, 1, -7);   /* below 0: none */
    misroute_backordered(m, 0, 0, 0, 3);
    EXPECT_EQ_INT(misroute_movable(m, 0), 0);
    misroute_backordered(m, 0, 0, 0, -10); /* never below 0 */
    misroute_available(m, 0, 0, 1, 5);
    EXPECT_EQ_INT(misroute_movable(m, 0), 0);
    misroute_backordered(m, 0, 0, 0, 1);
    EXPECT_EQ_INT(misroute_movable(m, 0), 1);
    misroute_available(m, 0, 5, 0, 9);     /* no such SKU */
    misroute_backordered(m, 0, 0, 9, 9);   /* no such warehouse */
    EXPECT_EQ_INT(misroute_movable(m, 0), 1);
    EXPECT_EQ_INT(misroute_movable(m, 5), 0);
    /* Time going backwards is taken as the latest seen: the stretch from
     * 0 ends at 10m, not at 1m. */
    misroute_backordered(m, 10 * MIN, 0, 0, 0);
    misroute_backordered(m, MIN, 0, 0, -1);
    EXPECT_EQ_INT(misroute_finish(m, 20 * MIN, NULL), 1);
    misroute_free(m);
    misroute_free(NULL);
}
