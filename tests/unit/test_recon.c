/* engine/core/recon: reconciliation's decisions (which orders are its
 * business, which purchases were received, where a received purchase does
 * not show in Cin7's OnHand), on hand-made orders and purchases. */
#include "../runner.h"

#include "c7qty.h"
#include "recon.h"

TEST(recon, only_paid_uncancelled_orders_are_reconciled)
{
    EXPECT_TRUE(recon_order_due("paid", 0));
    EXPECT_FALSE(recon_order_due("paid", 1));
    EXPECT_FALSE(recon_order_due("refunded", 0));
    EXPECT_FALSE(recon_order_due("partially_paid", 0));
    EXPECT_FALSE(recon_order_due("PAID", 0));
    EXPECT_FALSE(recon_order_due(NULL, 0));
}

TEST(recon, received_is_stock_received_authorised)
{
    EXPECT_TRUE(recon_received("AUTHORISED"));
    EXPECT_FALSE(recon_received("DRAFT"));
    EXPECT_FALSE(recon_received("NOT AVAILABLE"));
    EXPECT_FALSE(recon_received(NULL));
}

static const recon_stock stock[] = {
    {"A-1", "Main", 10},
    {"A-1", "East", 2},
    {"B-2", "Main", 3},
    {"A-1", "Main", 99}, /* a second row: the first counts */
};

TEST(recon, onhand_below_the_units_received_there_is_an_anomaly)
{
    /* 8 A-1 at Main (5 + 3, summed): 10 there, fine. 4 A-1 at East: 2
     * there. 3 B-2 at Main: 3, fine. 1 C-3 at Main: none listed, 0. */
    const recon_line lines[] = {
        {"A-1", NULL, 5 * 10000}, {"A-1", "East", 4 * 10000}, {"B-2", NULL, 3 * 10000},
        {"A-1", "Main", 3 * 10000}, {"C-3", NULL, 10000},
    };
    recon_anomaly a[5];
    size_t n = recon_purchase(lines, 5, "Main", stock, 4, a);
    EXPECT_EQ_INT(n, 2);
    EXPECT_EQ_STR(a[0].sku, "A-1");
    EXPECT_EQ_STR(a[0].location, "East");
    EXPECT_EQ_INT(a[0].received, 4);
    EXPECT_EQ_INT(a[0].on_hand, 2);
    EXPECT_EQ_STR(a[1].sku, "C-3");
    EXPECT_EQ_STR(a[1].location, "Main");
    EXPECT_EQ_INT(a[1].received, 1);
    EXPECT_EQ_INT(a[1].on_hand, 0);
}

TEST(recon, received_units_sum_exactly_then_round_down)
{
    /* 1.25 + 1.25 = 2.5 received shows as 2: OnHand 2 is enough. Ten
     * lines of 0.3 are exactly 3 (summed as doubles they would be
     * 2.9999..., and round down to 2). */
    const recon_line half[] = {{"B-2", "East", c7qty_from(1.25)}, {"B-2", "East", c7qty_from(1.25)}};
    const recon_stock two[] = {{"B-2", "East", 2}};
    recon_anomaly a[10];
    EXPECT_EQ_INT(recon_purchase(half, 2, NULL, two, 1, a), 0);

    recon_line tenths[10];
    for (int i = 0; i < 10; i++)
        tenths[i] = (recon_line){"B-2", "East", c7qty_from(0.3)};
    EXPECT_EQ_INT(recon_purchase(tenths, 10, NULL, two, 1, a), 1);
    EXPECT_EQ_INT(a[0].received, 3);
}

TEST(recon, lines_without_a_sku_or_any_location_are_left_out)
{
    const recon_line lines[] = {{NULL, "Main", 50000}, {"C-3", NULL, 50000}};
    recon_anomaly a[2];
    /* No purchase location: the second line has none either. */
    EXPECT_EQ_INT(recon_purchase(lines, 2, NULL, stock, 4, a), 0);
    EXPECT_EQ_INT(recon_purchase(lines, 2, "Main", stock, 4, a), 1);
    EXPECT_EQ_STR(a[0].sku, "C-3");
    EXPECT_EQ_INT(recon_purchase(NULL, 0, "Main", stock, 4, a), 0);
}
