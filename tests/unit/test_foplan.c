/* engine/core/foplan: fulfilling a shipment through fulfillment orders, on
 * hand-made orders. */
#include "../runner.h"

#include "foplan.h"

/* Order lines 1 (A) and 2 (B). */
static const int64_t ids[] = {1, 2};

static const char *const oos[] = {"INVENTORY_OUT_OF_STOCK"};
static const char *const fraud[] = {"INVENTORY_OUT_OF_STOCK", "HIGH_RISK_OF_FRAUD"};

TEST(foplan, shipping_location_first_then_the_others)
{
    /* 3 of A at location 300, 2 of A and 2 of B at 301; 5 A and 2 B
     * shipped from 301: 301 is served first, the rest of A from 300. */
    foplan_line l300[] = {{1, 3}};
    foplan_line l301[] = {{1, 2}, {2, 2}};
    foplan_fo fos[] = {{FOPLAN_OPEN, 300, l300, 1, NULL, 0}, {FOPLAN_OPEN, 301, l301, 2, NULL, 0}};
    int64_t qty[] = {5, 2};
    foplan p;
    foplan_make(ids, qty, 2, fos, 2, 301, &p);
    EXPECT_EQ_INT(p.held, 0);
    EXPECT_EQ_INT(p.n_release, 0);
    EXPECT_EQ_INT(p.n_creates, 2);
    EXPECT_EQ_INT(p.creates[0].location, 301);
    EXPECT_EQ_INT(p.creates[0].units, 4);
    EXPECT_EQ_INT(p.creates[0].n, 2);
    EXPECT_EQ_INT(p.items[p.creates[0].first].fo, 1);
    EXPECT_EQ_INT(p.creates[1].location, 300);
    EXPECT_EQ_INT(p.creates[1].units, 3);
    EXPECT_EQ_INT(p.units, 7);
    EXPECT_EQ_INT(p.unplaced, 0);
    foplan_free(&p);
}

TEST(foplan, no_line_takes_more_than_it_has_left_or_was_shipped)
{
    /* 10 of A shipped, 4 left to fulfil: 4 placed, 6 unplaced; B shipped
     * nothing, so its remaining units are not touched. */
    foplan_line l[] = {{1, 4}, {2, 5}};
    foplan_fo fos[] = {{FOPLAN_OPEN, 7, l, 2, NULL, 0}};
    int64_t qty[] = {10, 0};
    foplan p;
    foplan_make(ids, qty, 2, fos, 1, 0, &p);
    EXPECT_EQ_INT(p.n_creates, 1);
    EXPECT_EQ_INT(p.n_items, 1);
    EXPECT_EQ_INT(p.items[0].line, 0);
    EXPECT_EQ_INT(p.items[0].qty, 4);
    EXPECT_EQ_INT(p.unplaced, 6);
    foplan_free(&p);
}

TEST(foplan, an_out_of_stock_hold_on_shipped_units_is_released)
{
    foplan_line l[] = {{1, 2}};
    foplan_fo fos[] = {{FOPLAN_ON_HOLD, 5, l, 1, oos, 1}};
    int64_t qty[] = {2, 0};
    foplan p;
    foplan_make(ids, qty, 2, fos, 1, 5, &p);
    EXPECT_EQ_INT(p.held, 0);
    EXPECT_EQ_INT(p.n_release, 1);
    EXPECT_EQ_INT(p.release[0], 0);
    EXPECT_EQ_INT(p.units, 2);
    foplan_free(&p);
}

TEST(foplan, a_merchants_hold_stops_everything)
{
    /* The held fulfillment order has shipped units and a fraud hold besides
     * the stock one: nothing is released, not even the open order at 6 is
     * used, and the reason is given. */
    foplan_line l5[] = {{1, 1}};
    foplan_line l6[] = {{2, 1}};
    foplan_fo fos[] = {{FOPLAN_ON_HOLD, 5, l5, 1, fraud, 2}, {FOPLAN_OPEN, 6, l6, 1, NULL, 0}};
    int64_t qty[] = {1, 1};
    foplan p;
    foplan_make(ids, qty, 2, fos, 2, 0, &p);
    EXPECT_EQ_INT(p.held, 1);
    EXPECT_EQ_STR(p.held_reason, "HIGH_RISK_OF_FRAUD");
    EXPECT_EQ_INT(p.n_release, 0);
    EXPECT_EQ_INT(p.n_creates, 0);
    EXPECT_EQ_INT(p.units, 0);
    foplan_free(&p);
}

TEST(foplan, a_hold_elsewhere_is_not_this_shipments_business)
{
    /* B is on hold for fraud at 9, but only A shipped: A is fulfilled at 8
     * and the hold is neither released nor a reason to stop. */
    foplan_line l8[] = {{1, 1}};
    foplan_line l9[] = {{2, 1}};
    foplan_fo fos[] = {{FOPLAN_OPEN, 8, l8, 1, NULL, 0}, {FOPLAN_ON_HOLD, 9, l9, 1, fraud + 1, 1}};
    int64_t qty[] = {1, 0};
    foplan p;
    foplan_make(ids, qty, 2, fos, 2, 8, &p);
    EXPECT_EQ_INT(p.held, 0);
    EXPECT_EQ_INT(p.n_release, 0);
    EXPECT_EQ_INT(p.units, 1);
    foplan_free(&p);
}

TEST(foplan, closed_unlocated_and_negative_count_as_nothing)
{
    /* A closed fulfillment order and one with no location take nothing; a
     * negative shipped quantity ships nothing. */
    foplan_line l[] = {{1, 5}, {2, 5}};
    foplan_fo fos[] = {{FOPLAN_OTHER, 3, l, 2, NULL, 0}, {FOPLAN_OPEN, 0, l, 2, NULL, 0}};
    int64_t qty[] = {2, -7};
    foplan p;
    foplan_make(ids, qty, 2, fos, 2, 0, &p);
    EXPECT_EQ_INT(p.n_creates, 0);
    EXPECT_EQ_INT(p.units, 0);
    EXPECT_EQ_INT(p.unplaced, 2);
    foplan_free(&p);
}

TEST(foplan, a_backorder_holds_the_open_fulfillment_orders_of_its_lines)
{
    /* Line 1 (A) backordered. 300 has A left; 301 has only B; 302 had A
     * and shipped it all; 303 is on a merchant's hold; 304 is closed. */
    foplan_line l300[] = {{1, 3}}, l301[] = {{2, 2}}, l302[] = {{1, 0}}, l303[] = {{1, 1}};
    foplan_fo fos[] = {{FOPLAN_OPEN, 300, l300, 1, NULL, 0},
                       {FOPLAN_OPEN, 301, l301, 1, NULL, 0},
                       {FOPLAN_OPEN, 302, l302, 1, NULL, 0},
                       {FOPLAN_ON_HOLD, 303, l303, 1, fraud + 1, 1},
                       {FOPLAN_OTHER, 304, l300, 1, NULL, 0}};
    const int64_t a[] = {1}, both[] = {2, 1}, none[] = {9};
    size_t out[5];
    EXPECT_EQ_INT(foplan_backorder_holds(fos, 5, a, 1, out), 1);
    EXPECT_EQ_INT(out[0], 0);
    EXPECT_EQ_INT(foplan_backorder_holds(fos, 5, both, 2, out), 2);
    EXPECT_EQ_INT(out[0], 0);
    EXPECT_EQ_INT(out[1], 1);
    EXPECT_EQ_INT(foplan_backorder_holds(fos, 5, none, 1, out), 0);
    EXPECT_EQ_INT(foplan_backorder_holds(fos, 0, a, 1, out), 0);
}
