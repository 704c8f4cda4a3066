/* engine/core/supply: replenishment's decisions over a batch of SKUs (the
 * position over a supplier's locations, what each SKU needs, one draft per
 * supplier, what changes on an open draft), on hand-made figures. */
#include "../runner.h"

#include "supply.h"

#define DAY_MS INT64_C(86400000)

TEST(supply, records_are_read_again_hourly_or_a_minute_after_a_new_sku)
{
    EXPECT_TRUE(supply_reload_due(0, 0, 5, 0)); /* never read */
    EXPECT_FALSE(supply_reload_due(1, 1000, 1000 + SUPPLY_REFRESH_MS, 0));
    EXPECT_TRUE(supply_reload_due(1, 1000, 1001 + SUPPLY_REFRESH_MS, 0));
    /* A SKU not in them: a product added since, read again after a minute. */
    EXPECT_FALSE(supply_reload_due(1, 1000, 1000 + SUPPLY_RETRY_MS, 1));
    EXPECT_TRUE(supply_reload_due(1, 1000, 1001 + SUPPLY_RETRY_MS, 1));
}

TEST(supply, position_over_the_served_locations_from_the_oldest_figure)
{
    supply_stock at[] = {
        {"Main", 100, 20, 5, 30, 7000},  /* 95 */
        {"East", 40, 0, 0, 10, 5000},    /* 30 */
        {"West", 1000, 0, 0, 0, 1000},   /* not served */
    };
    const char *const served[] = {"Main", "East"};
    supply_pos p = supply_position(at, 3, served, 2);
    EXPECT_EQ_INT(p.position, 125);
    EXPECT_EQ_INT(p.known, 2);
    EXPECT_EQ_INT(p.as_of, 5000);

    /* A supplier record listing no location serves every one. */
    p = supply_position(at, 3, NULL, 0);
    EXPECT_EQ_INT(p.position, 1125);
    EXPECT_EQ_INT(p.known, 3);
    EXPECT_EQ_INT(p.as_of, 1000);
    EXPECT_TRUE(supply_serves(NULL, 0, "Anywhere"));
    EXPECT_FALSE(supply_serves(served, 2, "West"));

    /* No figure at a served location: no position yet. */
    const char *const north[] = {"North"};
    p = supply_position(at, 3, north, 1);
    EXPECT_EQ_INT(p.known, 0);
    EXPECT_EQ_INT(p.position, 0);
    EXPECT_EQ_INT(p.as_of, INT64_MAX);
}

/* A SKU of a supplier with a lead time, selling 10 a day over a week, 120
 * in position before pending units; cover 14 days, target 30. */
static supply_sku selling(void)
{
    supply_sku in = {.has_supplier = 1, .sold = 70, .window_ms = 7 * DAY_MS,
                     .pos = {120, 1, 5000}, .pending = 0, .cover_days = 14, .target_days = 30,
                     .moq = 0, .pack = 1, .lead_days = 5};
    return in;
}

TEST(supply, below_cover_orders_up_to_the_target_net_of_pending_units)
{
    supply_sku in = selling();
    in.pending = 20; /* 100 in position: 10 days of cover */
    supply_decision d = supply_decide(&in);
    EXPECT_EQ_INT(d.verdict, SUPPLY_ORDER);
    EXPECT_TRUE(d.reason == NULL);
    EXPECT_NEAR(d.velocity, 10.0, 1e-9);
    EXPECT_EQ_INT(d.position, 100);
    EXPECT_NEAR(d.reorder.days_of_cover, 10.0, 1e-9);
    EXPECT_EQ_INT(d.reorder.quantity, 200); /* 30 x 10 - 100 */

    /* The supplier's minimum and pack come through reorder_decide. */
    in.moq = 250;
    in.pack = 12;
    d = supply_decide(&in);
    EXPECT_EQ_INT(d.reorder.quantity, 252);
}

TEST(supply, units_in_flight_at_the_read_put_an_order_off_while_it_may_wait)
{
    supply_sku in = selling();
    in.pending = 20;
    in.in_flight = 2; /* 2 of the 20 were on their way when the figures were read */
    in.may_wait = 1;
    supply_decision d = supply_decide(&in);
    EXPECT_EQ_INT(d.verdict, SUPPLY_WAIT);
    EXPECT_EQ_INT(d.reorder.quantity, 200); /* what it would order, for the log */

    in.may_wait = 0; /* waited long enough: they count as pending */
    d = supply_decide(&in);
    EXPECT_EQ_INT(d.verdict, SUPPLY_ORDER);
    EXPECT_EQ_INT(d.reorder.quantity, 200);

    /* Nothing to order: units in flight change nothing. */
    in = selling();
    in.pos.position = 200;
    in.in_flight = 5;
    in.may_wait = 1;
    EXPECT_EQ_INT(supply_decide(&in).verdict, SUPPLY_NONE);
}

TEST(supply, enough_cover_or_nothing_known_decides_nothing)
{
    supply_sku in = selling(); /* 12 days: below 14 */
    in.pos.position = 140;     /* 14 days: enough */
    EXPECT_EQ_INT(supply_decide(&in).verdict, SUPPLY_NONE);

    in = selling();
    in.pos.known = 0; /* no figures yet: the next sweep decides */
    EXPECT_EQ_INT(supply_decide(&in).verdict, SUPPLY_NONE);
    in = selling();
    in.pending = -1; /* the store could not tell */
    EXPECT_EQ_INT(supply_decide(&in).verdict, SUPPLY_NONE);
    in = selling();
    in.sold = -1;
    EXPECT_EQ_INT(supply_decide(&in).verdict, SUPPLY_NONE);
    in = selling();
    in.sold = 0; /* nothing sells: no cover problem, even with nothing in stock */
    in.pos.position = -5;
    EXPECT_EQ_INT(supply_decide(&in).verdict, SUPPLY_NONE);
}

TEST(supply, no_supplier_matters_only_when_it_sells_and_no_lead_time_only_when_it_needs_stock)
{
    supply_sku in = {.has_supplier = 0, .sold = 3, .pending = -1};
    supply_decision d = supply_decide(&in);
    EXPECT_EQ_INT(d.verdict, SUPPLY_NO_SUPPLIER);
    EXPECT_EQ_STR(d.reason, "no supplier in Cin7's product record");
    in.sold = 0;
    EXPECT_EQ_INT(supply_decide(&in).verdict, SUPPLY_NONE);
    in.sold = -1;
    EXPECT_EQ_INT(supply_decide(&in).verdict, SUPPLY_NONE);

    in = selling();
    in.lead_days = -1;
    d = supply_decide(&in);
    EXPECT_EQ_INT(d.verdict, SUPPLY_NO_LEAD_TIME);
    EXPECT_EQ_STR(d.reason, "no lead time in the supplier's record");
    in.pos.position = 500; /* needs nothing: the missing lead time does not matter */
    EXPECT_EQ_INT(supply_decide(&in).verdict, SUPPLY_NONE);
}

TEST(supply, lines_group_by_supplier_in_order_of_first_appearance)
{
    const char *const ids[] = {"S2", "S1", "S2", "S3", "S1"};
    size_t order[5], starts[6];
    size_t g = supply_group(ids, 5, order, starts);
    EXPECT_EQ_INT(g, 3);
    size_t want_order[] = {0, 2, 1, 4, 3};
    size_t want_starts[] = {0, 2, 4, 5};
    for (size_t i = 0; i < 5; i++)
        EXPECT_EQ_INT(order[i], want_order[i]);
    for (size_t i = 0; i < 4; i++)
        EXPECT_EQ_INT(starts[i], want_starts[i]);
    EXPECT_EQ_INT(supply_group(ids, 0, order, starts), 0);
    EXPECT_EQ_INT(starts[0], 0);
}

TEST(supply, an_open_draft_takes_the_newest_quantity_and_new_lines_at_the_end)
{
    /* A buyer's line (B-9) stays; A-1 gets its newest quantity; C-3 is new. */
    const supply_line have[] = {{"A-1", 10}, {"B-9", 4}};
    const supply_line want[] = {{"C-3", 6}, {"A-1", 25}};
    size_t slot[2];
    int changed = -1;
    size_t n = supply_merge(have, 2, want, 2, slot, &changed);
    EXPECT_EQ_INT(n, 3);
    EXPECT_EQ_INT(slot[0], 2);
    EXPECT_EQ_INT(slot[1], 0);
    EXPECT_EQ_INT(changed, 1);

    /* The same quantities again: nothing to post. */
    const supply_line same[] = {{"A-1", 10}};
    n = supply_merge(have, 2, same, 1, slot, &changed);
    EXPECT_EQ_INT(n, 2);
    EXPECT_EQ_INT(slot[0], 0);
    EXPECT_EQ_INT(changed, 0);

    /* A draft without lines (a header whose lines were not in) gets them. */
    n = supply_merge(NULL, 0, same, 1, slot, &changed);
    EXPECT_EQ_INT(n, 1);
    EXPECT_EQ_INT(slot[0], 0);
    EXPECT_EQ_INT(changed, 1);

    /* One SKU wanted twice: one new line, the later quantity. */
    const supply_line twice[] = {{"D-4", 1}, {"D-4", 2}};
    n = supply_merge(have, 2, twice, 2, slot, &changed);
    EXPECT_EQ_INT(n, 3);
    EXPECT_EQ_INT(slot[0], 2);
    EXPECT_EQ_INT(slot[1], 2);
}

TEST(supply, the_open_draft_is_the_suppliers_draft_or_header_not_voided)
{
    EXPECT_TRUE(supply_draft_open("DRAFT"));
    EXPECT_TRUE(supply_draft_open("NOT AVAILABLE"));
    EXPECT_FALSE(supply_draft_open("AUTHORISED"));
    EXPECT_FALSE(supply_draft_open("draft"));
    EXPECT_FALSE(supply_draft_open(NULL));

    const supply_row rows[] = {
        {"p1", "S2", "DRAFT", "ORDERING"},       /* another supplier */
        {"p2", "S1", "AUTHORISED", "ORDERED"},   /* not a draft */
        {"p3", "S1", "DRAFT", "VOIDED"},         /* voided */
        {NULL, "S1", "DRAFT", NULL},             /* no id */
        {"p5", "S1", "DRAFT", NULL},
        {"p6", "S1", "DRAFT", "ORDERING"},
        {"p7", "S1", "NOT AVAILABLE", "ORDERING"},
    };
    EXPECT_EQ_INT(supply_find_row(rows, 7, "S1", "DRAFT"), 4);
    EXPECT_EQ_INT(supply_find_row(rows, 7, "S1", "NOT AVAILABLE"), 6);
    EXPECT_EQ_INT(supply_find_row(rows, 7, "S3", "DRAFT"), -1);
    EXPECT_EQ_INT(supply_find_row(rows, 0, "S1", "DRAFT"), -1);
}

TEST(supply, required_by_is_the_lead_time_away)
{
    EXPECT_EQ_INT(supply_required_by(1000, 2.5), 1000 + 5 * DAY_MS / 2);
    EXPECT_EQ_INT(supply_required_by(1000, 0), 1000);
    /* Whatever Cin7 says, the date does not overflow. */
    EXPECT_LT_INT(supply_required_by(1000, 1e300), INT64_MAX / 2);
}
