/* engine/core/own: product fields compared across the two APIs' spellings,
 * and who writes what when they differ, on hand-made values. */
#include "../runner.h"

#include "own.h"

#include <string.h>

/* The canonical form of a value, or "ERR" when it cannot be read. */
static const char *canon(own_field f, const char *text, const char *unit)
{
    static char buf[64];
    if (own_canon(f, text, unit, buf, sizeof buf) != 0)
        return "ERR";
    return buf;
}

static const char *render(own_field f, own_side to, const char *c)
{
    static char buf[64];
    if (own_render(f, to, c, buf, sizeof buf) != 0)
        return "ERR";
    return buf;
}

TEST(own, money_is_compared_in_cents_whatever_its_spelling)
{
    /* Cin7's number and Shopify's Money string for the same price. */
    EXPECT_EQ_STR(canon(OWN_PRICE, "10.99", NULL), "1099");
    EXPECT_EQ_STR(canon(OWN_PRICE, "10.9900", NULL), "1099");
    EXPECT_EQ_STR(canon(OWN_PRICE, "12", NULL), "1200");
    EXPECT_EQ_STR(canon(OWN_PRICE, ".5", NULL), "50");
    /* Cin7 keeps four places; cents round half away from zero. */
    EXPECT_EQ_STR(canon(OWN_PRICE, "10.995", NULL), "1100");
    EXPECT_EQ_STR(canon(OWN_PRICE, "10.9949", NULL), "1099");
    EXPECT_EQ_STR(canon(OWN_COST, "0", NULL), "0");
    /* What is no amount is refused, never written over nor copied. */
    EXPECT_EQ_STR(canon(OWN_PRICE, "-1", NULL), "ERR");
    EXPECT_EQ_STR(canon(OWN_PRICE, "1e3", NULL), "ERR");
    EXPECT_EQ_STR(canon(OWN_PRICE, "", NULL), "ERR");
    EXPECT_EQ_STR(canon(OWN_PRICE, ".", NULL), "ERR");
    EXPECT_EQ_STR(canon(OWN_PRICE, NULL, NULL), "ERR");
    EXPECT_EQ_STR(canon(OWN_PRICE, "1234567890123", NULL), "ERR");
    /* No compare-at price: none, empty or 0 alike. */
    EXPECT_EQ_STR(canon(OWN_COMPARE_AT, NULL, NULL), "");
    EXPECT_EQ_STR(canon(OWN_COMPARE_AT, "0.00", NULL), "");
    EXPECT_EQ_STR(canon(OWN_COMPARE_AT, "19.5", NULL), "1950");
    /* Back to each API: two places; no compare-at price is empty. */
    EXPECT_EQ_STR(render(OWN_PRICE, OWN_SHOPIFY, "1099"), "10.99");
    EXPECT_EQ_STR(render(OWN_COST, OWN_CIN7, "5"), "0.05");
    EXPECT_EQ_STR(render(OWN_COMPARE_AT, OWN_SHOPIFY, ""), "");
    EXPECT_EQ_STR(render(OWN_PRICE, OWN_SHOPIFY, ""), "ERR");
    EXPECT_EQ_STR(render(OWN_PRICE, OWN_SHOPIFY, "12a"), "ERR");
}

TEST(own, weight_is_compared_in_milligrams_across_units)
{
    EXPECT_EQ_STR(canon(OWN_WEIGHT, "1.5", "kg"), "1500000");
    EXPECT_EQ_STR(canon(OWN_WEIGHT, "1500", "GRAMS"), "1500000");
    EXPECT_EQ_STR(canon(OWN_WEIGHT, "1", "oz"), "28350");
    EXPECT_EQ_STR(canon(OWN_WEIGHT, "1", "OUNCES"), "28350");
    EXPECT_EQ_STR(canon(OWN_WEIGHT, "2", "lb"), "907185");
    EXPECT_EQ_STR(canon(OWN_WEIGHT, "250", "mg"), "250");
    /* A unit neither API has, or none, is refused. */
    EXPECT_EQ_STR(canon(OWN_WEIGHT, "1", "stone"), "ERR");
    EXPECT_EQ_STR(canon(OWN_WEIGHT, "1", NULL), "ERR");
    EXPECT_EQ_STR(canon(OWN_WEIGHT, "1", "Kg"), "ERR");
    /* Written in grams, trailing zeros dropped. */
    EXPECT_EQ_STR(render(OWN_WEIGHT, OWN_SHOPIFY, "1500000"), "1500");
    EXPECT_EQ_STR(render(OWN_WEIGHT, OWN_CIN7, "28350"), "28.35");
    EXPECT_EQ_STR(render(OWN_WEIGHT, OWN_CIN7, "250"), "0.25");
    EXPECT_EQ_STR(render(OWN_WEIGHT, OWN_CIN7, "0"), "0");
    /* What is written reads back as the same weight. */
    EXPECT_EQ_STR(canon(OWN_WEIGHT, render(OWN_WEIGHT, OWN_SHOPIFY, "28350"), "GRAMS"), "28350");
}

TEST(own, status_is_whether_the_product_is_offered)
{
    EXPECT_EQ_STR(canon(OWN_STATUS, "Active", NULL), "active");
    EXPECT_EQ_STR(canon(OWN_STATUS, "ACTIVE", NULL), "active");
    EXPECT_EQ_STR(canon(OWN_STATUS, "Deprecated", NULL), "inactive");
    EXPECT_EQ_STR(canon(OWN_STATUS, "DRAFT", NULL), "inactive");
    EXPECT_EQ_STR(canon(OWN_STATUS, "ARCHIVED", NULL), "inactive");
    EXPECT_EQ_STR(canon(OWN_STATUS, "Sold", NULL), "ERR");
    EXPECT_EQ_STR(render(OWN_STATUS, OWN_CIN7, "inactive"), "Deprecated");
    EXPECT_EQ_STR(render(OWN_STATUS, OWN_SHOPIFY, "inactive"), "ARCHIVED");
    EXPECT_EQ_STR(render(OWN_STATUS, OWN_SHOPIFY, "active"), "ACTIVE");
    EXPECT_EQ_STR(render(OWN_STATUS, OWN_CIN7, "gone"), "ERR");
    /* Text is itself, blanks around it dropped. */
    EXPECT_EQ_STR(canon(OWN_TITLE, "  Tea set ", NULL), "Tea set");
    EXPECT_EQ_STR(canon(OWN_BARCODE, NULL, NULL), "");
    char small[4];
    EXPECT_EQ_INT(own_canon(OWN_TITLE, "Tea set", NULL, small, sizeof small), -1);
}

TEST(own, the_owner_wins_and_says_why)
{
    /* Not known on a side: nothing is done. */
    EXPECT_EQ_INT(own_decide(OWN_SHOPIFY, NULL, "1099", "1099").kind, OWN_UNKNOWN);
    /* Agreeing: nothing to write. */
    EXPECT_EQ_INT(own_decide(OWN_SHOPIFY, "1099", "1099", NULL).kind, OWN_IN_STEP);
    /* Merchandising changed the price in Shopify, which owns it: carried to Cin7. */
    own_action a = own_decide(OWN_SHOPIFY, "1099", "899", "1099");
    EXPECT_EQ_INT(a.kind, OWN_CARRY);
    EXPECT_EQ_INT(a.write_to, OWN_CIN7);
    /* Someone changed it in Cin7: Shopify's price is written back there. */
    a = own_decide(OWN_SHOPIFY, "1299", "1099", "1099");
    EXPECT_EQ_INT(a.kind, OWN_REVERT);
    EXPECT_EQ_INT(a.write_to, OWN_CIN7);
    /* Purchasing owns cost in Cin7: a Shopify edit is reverted at Shopify. */
    a = own_decide(OWN_CIN7, "500", "650", "500");
    EXPECT_EQ_INT(a.kind, OWN_REVERT);
    EXPECT_EQ_INT(a.write_to, OWN_SHOPIFY);
    /* Both edited: the owner's value wins. */
    a = own_decide(OWN_CIN7, "550", "650", "500");
    EXPECT_EQ_INT(a.kind, OWN_CONFLICT);
    EXPECT_EQ_INT(a.write_to, OWN_SHOPIFY);
    /* Never seen agreeing: the owner's value is carried over. */
    a = own_decide(OWN_CIN7, "550", "650", NULL);
    EXPECT_EQ_INT(a.kind, OWN_CARRY);
    EXPECT_EQ_INT(a.write_to, OWN_SHOPIFY);
    EXPECT_TRUE(a.note && *a.note);
}

TEST(own, names_of_fields_and_sides)
{
    for (int f = 0; f < OWN_N_FIELDS; f++)
        EXPECT_EQ_INT(own_field_of(own_field_name((own_field)f)), f);
    EXPECT_EQ_INT(own_field_of("colour"), -1);
    EXPECT_EQ_INT(own_field_of(NULL), -1);
    EXPECT_EQ_INT(own_side_of("cin7"), OWN_CIN7);
    EXPECT_EQ_INT(own_side_of("shopify"), OWN_SHOPIFY);
    EXPECT_EQ_INT(own_side_of("Shopify"), -1);
    EXPECT_EQ_STR(own_side_name(OWN_SHOPIFY), "shopify");
}
