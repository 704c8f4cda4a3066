/*
 * Misrouted units (harness/misroute.c) on hand-made timelines, written as
 * data: Cin7's Available and the backordered units per SKU and warehouse
 * as they change, and the units worked out by hand from misroute.h's
 * rule. Times are scenario ms; the grace period is 2 minutes.
 */
#include "../runner.h"

#include "misroute.h"

#define MIN 60000
#define GRACE (2 * MIN)
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* One change: at t, sku's Available at loc becomes n ('A'), or n more
 * units of sku are backordered at loc ('B', n < 0: fewer). */
typedef struct {
    int64_t t;
    char what;
    size_t sku, loc;
    int64_t n;
} step;

static void apply(misroute *m, const step *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i].what == 'A')
            misroute_available(m, s[i].t, s[i].sku, s[i].loc, s[i].n);
        else
            misroute_backordered(m, s[i].t, s[i].sku, s[i].loc, s[i].n);
    }
}

/* The units counted for a timeline over two SKUs and three warehouses,
 * every Available 5 at first, ending at end; per_sku may be NULL. */
static int64_t replay(const step *s, size_t n, int64_t end, int64_t *per_sku)
{
    misroute *m = misroute_new(2, 3, GRACE);
    for (size_t k = 0; k < 2; k++)
        for (size_t l = 0; l < 3; l++)
            misroute_available(m, -1000, k, l, 5);
    apply(m, s, n);
    int64_t units = misroute_finish(m, end, per_sku);
    misroute_free(m);
    return units;
}

TEST(misroute, nothing_backordered_is_nothing_misrouted)
{
    static const step s[] = {{10 * MIN, 'A', 0, 1, 50}};
    EXPECT_EQ_INT(replay(s, N(s), 60 * MIN, NULL), 0);
}

TEST(misroute, a_backorder_waiting_past_the_grace_while_another_warehouse_has_stock_counts)
{
    /* 3 units backordered at warehouse 0 from 1m to 10m while warehouses 1
     * and 2 have 5 each: all 3 could have moved, for 9 minutes. */
    static const step s[] = {
        {0, 'A', 0, 0, 0}, {MIN, 'B', 0, 0, 3}, {10 * MIN, 'B', 0, 0, -3}};
    int64_t per[2] = {-1, -1};
    EXPECT_EQ_INT(replay(s, N(s), 20 * MIN, per), 3);
    EXPECT_EQ_INT(per[0], 3);
    EXPECT_EQ_INT(per[1], 0);
}

TEST(misroute, a_backorder_moved_within_the_grace_is_not_misrouted)
{
    /* Moved after exactly the grace period: not longer, so not counted;
     * the move takes the units from warehouse 1's Available. */
    static const step s[] = {{0, 'A', 0, 0, 0},
                             {MIN, 'B', 0, 0, 3},
                             {MIN + GRACE, 'B', 0, 0, -3},
                             {MIN + GRACE, 'A', 0, 1, 2}};
    EXPECT_EQ_INT(replay(s, N(s), 60 * MIN, NULL), 0);
}

TEST(misroute, only_as_many_units_as_the_other_warehouses_have_count)
{
    /* 8 backordered at warehouse 0; 2 Available at warehouse 1, 1 at 2. */
    static const step s[] = {
        {0, 'A', 0, 0, 0}, {0, 'A', 0, 1, 2}, {0, 'A', 0, 2, 1}, {0, 'B', 0, 0, 8}};
    EXPECT_EQ_INT(replay(s, N(s), 30 * MIN, NULL), 3);
}

TEST(misroute, a_warehouses_own_stock_cannot_fill_its_backorders)
{
    /* Backorders at 0 and Available only at 0 (a stock take after the
     * backorder): nothing could move elsewhere. Then backorders at both:
     * 0's may use 1's stock and 1's may use 0's. */
    static const struct {
        step s;
        int64_t movable;
    } cases[] = {
        {{0, 'B', 0, 0, 4}, 0},
        {{MIN, 'A', 0, 0, 6}, 0},
        {{2 * MIN, 'B', 0, 1, 5}, 5},  /* 1's 5 from 0's 6 */
        {{3 * MIN, 'A', 0, 1, 3}, 8},  /* and 0's 4 from 1's 3 */
    };
    misroute *m = misroute_new(1, 2, GRACE);
    for (size_t i = 0; i < N(cases); i++) {
        apply(m, &cases[i].s, 1);
        EXPECT_EQ_INT(misroute_movable(m, 0), cases[i].movable);
    }
    misroute_free(m);
}

TEST(misroute, stock_arriving_elsewhere_starts_the_clock)
{
    /* Nothing anywhere else when the units are backordered at 0; warehouse
     * 1 gets stock at 10m and the engine moves them a minute later. */
    static const step s[] = {{0, 'A', 0, 1, 0},        {0, 'A', 0, 2, 0},
                             {0, 'A', 0, 0, 0},        {0, 'B', 0, 0, 2},
                             {10 * MIN, 'A', 0, 1, 4}, {11 * MIN, 'B', 0, 0, -2},
                             {11 * MIN, 'A', 0, 1, 2}};
    EXPECT_EQ_INT(replay(s, N(s), 60 * MIN, NULL), 0);
}

TEST(misroute, a_broken_stretch_starts_again)
{
    /* Movable for a minute, then another channel takes the other stock for
     * a minute, then movable for a minute again: no stretch outlasts the
     * grace. */
    static const step s[] = {{0, 'A', 0, 0, 0},       {0, 'A', 0, 2, 0},
                             {0, 'A', 0, 1, 1},       {0, 'B', 0, 0, 1},
                             {MIN, 'A', 0, 1, 0},     {2 * MIN, 'A', 0, 1, 1},
                             {3 * MIN, 'A', 0, 1, 0}};
    EXPECT_EQ_INT(replay(s, N(s), 60 * MIN, NULL), 0);
}

TEST(misroute, each_unit_counts_once_per_stretch_at_its_level)
{
    /* 3 could move from 0 to 5m, 1 of them until 15m: 3 units. */
    static const step three[] = {
        {0, 'B', 0, 0, 3}, {5 * MIN, 'B', 0, 0, -2}, {15 * MIN, 'B', 0, 0, -1}};
    EXPECT_EQ_INT(replay(three, N(three), 60 * MIN, NULL), 3);
    /* 1 could move from 0 to 10m, a second one joins for a minute at 5m:
     * the level-2 stretch is short, so 1 unit. */
    static const step one[] = {{0, 'B', 0, 0, 1},
                               {5 * MIN, 'B', 0, 0, 1},
                               {6 * MIN, 'B', 0, 0, -1},
                               {10 * MIN, 'B', 0, 0, -1}};
    EXPECT_EQ_INT(replay(one, N(one), 60 * MIN, NULL), 1);
}

TEST(misroute, what_still_waits_at_the_end_counts_when_it_waited_past_the_grace)
{
    static const step s[] = {{0, 'B', 0, 0, 2},        /* waits 10 minutes */
                             {9 * MIN, 'B', 1, 0, 1}}; /* waits 1 minute */
    misroute *m = misroute_new(2, 2, GRACE);
    apply(m, s, N(s));
    int64_t per[2];
    EXPECT_EQ_INT(misroute_finish(m, 10 * MIN, per), 0);
    misroute_free(m);
    /* Warehouse 1 has stock for both now. */
    static const step stocked[] = {{0, 'A', 0, 1, 4}, {0, 'A', 1, 1, 4}};
    m = misroute_new(2, 2, GRACE);
    apply(m, stocked, N(stocked));
    apply(m, s, N(s));
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
    static const struct {
        step s;
        size_t sku;
        int64_t movable;
    } cases[] = {
        {{0, 'A', 0, 1, -7}, 0, 0},  /* below 0: none */
        {{0, 'B', 0, 0, 3}, 0, 0},
        {{0, 'B', 0, 0, -10}, 0, 0}, /* never below 0 */
        {{0, 'A', 0, 1, 5}, 0, 0},
        {{0, 'B', 0, 0, 1}, 0, 1},
        {{0, 'A', 5, 0, 9}, 5, 0},   /* no such SKU */
        {{0, 'B', 0, 9, 9}, 0, 1},   /* no such warehouse */
        /* Time going backwards is taken as the latest seen: the stretch
         * from 0 ends at 10m, not at 1m. */
        {{10 * MIN, 'B', 0, 0, 0}, 0, 1},
        {{MIN, 'B', 0, 0, -1}, 0, 0},
    };
    misroute *m = misroute_new(1, 2, GRACE);
    for (size_t i = 0; i < N(cases); i++) {
        apply(m, &cases[i].s, 1);
        EXPECT_EQ_INT(misroute_movable(m, cases[i].sku), cases[i].movable);
    }
    EXPECT_EQ_INT(misroute_finish(m, 20 * MIN, NULL), 1);
    misroute_free(m);
    misroute_free(NULL);
}
