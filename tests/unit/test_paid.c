/* engine/core/paid: what a paid order becomes, on hand-made orders. */
#include "../runner.h"

#include "paid.h"

#include <stdint.h>

TEST(paid, only_a_paid_order_not_cancelled_is_pushed)
{
    EXPECT_EQ_INT(paid_decide("paid", 0), PAID_PUSH);
    EXPECT_EQ_INT(paid_decide("pending", 0), PAID_SKIP_NOT_PAID);
    EXPECT_EQ_INT(paid_decide(NULL, 0), PAID_SKIP_NOT_PAID);
    EXPECT_EQ_INT(paid_decide("PAID", 0), PAID_SKIP_NOT_PAID); /* Shopify's are lower case */
    EXPECT_EQ_INT(paid_decide("paid", 1), PAID_SKIP_CANCELLED);
    EXPECT_EQ_INT(paid_decide("refunded", 1), PAID_SKIP_NOT_PAID);
}

TEST(paid, lines_of_one_cin7_sku_merge_and_empty_ones_go)
{
    /* Two Shopify SKUs map to one Cin7 SKU; a refunded line has no units. */
    paid_line_in in[] = {{"S-A", "C-1", 2, 10.0}, {"S-B", "C-2", 0, 5.0}, {"S-A2", "C-1", 3, 12.5},
                         {"S-C", "C-3", 1, 7.0}};
    paid_line out[4];
    size_t n, bad;
    EXPECT_EQ_INT(paid_lines(in, 4, out, &n, &bad), PAID_LINES_OK);
    EXPECT_EQ_INT(n, 2);
    EXPECT_EQ_STR(out[0].sku, "C-1");
    EXPECT_EQ_INT(out[0].qty, 5);
    EXPECT_NEAR(out[0].price, 12.5, 0); /* the last line's */
    EXPECT_EQ_STR(out[1].sku, "C-3");
    EXPECT_EQ_INT(out[1].qty, 1);
    paid_line_in none[] = {{"S-A", "C-1", 0, 1}};
    EXPECT_EQ_INT(paid_lines(none, 1, out, &n, &bad), PAID_LINES_OK);
    EXPECT_EQ_INT(n, 0);
}

TEST(paid, an_unmapped_or_missing_sku_refuses_the_order_naming_the_line)
{
    paid_line_in in[] = {{"S-A", "C-1", 1, 1}, {"S-X", NULL, 2, 1}};
    paid_line out[2];
    size_t n, bad;
    EXPECT_EQ_INT(paid_lines(in, 2, out, &n, &bad), PAID_LINES_UNMAPPED);
    EXPECT_EQ_INT(bad, 1);
    paid_line_in nosku[] = {{NULL, NULL, 1, 1}};
    EXPECT_EQ_INT(paid_lines(nosku, 1, out, &n, &bad), PAID_LINES_NO_SKU);
    EXPECT_EQ_INT(bad, 0);
    /* An unmapped line with no units left does not matter. */
    paid_line_in gone[] = {{"S-X", NULL, 0, 1}, {"S-A", "C-1", 1, 1}};
    EXPECT_EQ_INT(paid_lines(gone, 2, out, &n, &bad), PAID_LINES_OK);
    EXPECT_EQ_INT(n, 1);
    paid_line_in big[] = {{"S-A", "C-1", INT64_MAX, 1}, {"S-B", "C-1", 1, 1}};
    EXPECT_EQ_INT(paid_lines(big, 2, out, &n, &bad), PAID_LINES_OVERFLOW);
    EXPECT_EQ_INT(bad, 1);
}
