/* Shopify order documents checked before any decision: what is read from a
 * good order, and every odd value refused with the JSON path at fault
 * (quantities, ids, prices, SKUs, addresses, shapes). */
#include "../runner.h"

#include "sorder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A one-line order whose line item is LINE (the inside of the object). */
static char *order_with_line(const char *line)
{
    size_t n = strlen(line) + 200;
    char *s = malloc(n);
    snprintf(s, n,
             "{\"id\":5800000000001,\"financial_status\":\"paid\",\"cancelled_at\":null,"
             "\"line_items\":[{%s}]}",
             line);
    return s;
}

TEST(sorder, a_good_order_is_read_whole)
{
    const char *body =
        "{\"id\":5800000000001,\"financial_status\":\"paid\",\"cancelled_at\":null,"
        "\"created_at\":\"2026-12-05T10:00:00+00:00\","
        "\"shipping_address\":{\"address1\":\"1 Main St\",\"zip\":\"2000\",\"country_code\":\"AU\","
        "\"latitude\":-33.87,\"longitude\":151.21,\"city\":null},"
        "\"line_items\":[{\"sku\":\"A-1\",\"quantity\":3,\"current_quantity\":2,\"price\":\"10.50\"},"
        "{\"sku\":\"A-2\",\"quantity\":1,\"price\":4},{\"sku\":null,\"quantity\":0,\"price\":\"0.00\"}]}";
    sorder o;
    char why[256] = "";
    EXPECT_EQ_INT(sorder_parse(body, strlen(body), &o, why, sizeof why), 0);
    EXPECT_EQ_STR(why, "");
    EXPECT_EQ_INT(o.id, 5800000000001LL);
    EXPECT_EQ_STR(o.id_text, "5800000000001");
    EXPECT_EQ_STR(o.financial_status, "paid");
    EXPECT_TRUE(o.cancelled_at == NULL);
    EXPECT_EQ_STR(o.created_at, "2026-12-05T10:00:00+00:00");
    EXPECT_EQ_INT(o.n_lines, 3);
    /* current_quantity (what edits and refunds left) wins over quantity. */
    EXPECT_EQ_STR(o.lines[0].sku, "A-1");
    EXPECT_EQ_INT(o.lines[0].qty, 2);
    EXPECT_TRUE(o.lines[0].price == 10.5);
    EXPECT_EQ_INT(o.lines[1].qty, 1);
    EXPECT_TRUE(o.lines[1].price == 4);
    EXPECT_TRUE(o.lines[2].sku == NULL);
    EXPECT_EQ_INT(o.lines[2].qty, 0);
    EXPECT_EQ_STR(o.ship.address1, "1 Main St");
    EXPECT_EQ_STR(o.ship.country_code, "AU");
    EXPECT_TRUE(o.ship.city == NULL);
    EXPECT_TRUE(o.ship.has_coords);
    EXPECT_TRUE(o.ship.lat == -33.87 && o.ship.lon == 151.21);
    sorder_free(&o);
    sorder_free(&o); /* an emptied sorder frees again harmlessly */
}

TEST(sorder, a_cancelled_order_and_a_string_id)
{
    const char *body = "{\"id\":\"42\",\"cancelled_at\":\"2026-12-05T11:00:00Z\",\"line_items\":[]}";
    sorder o;
    char why[256];
    EXPECT_EQ_INT(sorder_parse(body, strlen(body), &o, why, sizeof why), 0);
    EXPECT_EQ_INT(o.id, 42);
    EXPECT_EQ_STR(o.cancelled_at, "2026-12-05T11:00:00Z");
    EXPECT_TRUE(o.financial_status == NULL);
    EXPECT_EQ_INT(o.n_lines, 0);
    EXPECT_FALSE(o.ship.has_coords);
    sorder_free(&o);
}

/* Line items that must be refused, and what the reason must name. */
static const struct {
    const char *line, *want;
} bad_lines[] = {
    {"\"sku\":\"A-1\",\"quantity\":-5", "$.line_items[0].quantity: -5 is out of range [0, 1000000]"},
    {"\"sku\":\"A-1\",\"quantity\":0.5", "$.line_items[0].quantity: expected an integer"},
    {"\"sku\":\"A-1\",\"quantity\":1e400", "$.line_items[0].quantity: expected a finite number"},
    {"\"sku\":\"A-1\",\"quantity\":1e19", "$.line_items[0].quantity: expected an integer"},
    {"\"sku\":\"A-1\",\"quantity\":5e18", "$.line_items[0].quantity: expected an integer"},
    {"\"sku\":\"A-1\",\"quantity\":9007199254740993", "$.line_items[0].quantity"},
    {"\"sku\":\"A-1\",\"quantity\":1000001", "$.line_items[0].quantity: 1000001 is out of range"},
    {"\"sku\":\"A-1\",\"quantity\":\"5\"", "$.line_items[0].quantity: expected a number"},
    {"\"sku\":\"A-1\"", "$.line_items[0].quantity: required field is missing"},
    {"\"sku\":\"A-1\",\"quantity\":1,\"current_quantity\":-1", "$.line_items[0].current_quantity"},
    {"\"sku\":\"A-1\",\"quantity\":1,\"current_quantity\":null", "$.line_items[0].current_quantity"},
    {"\"sku\":7,\"quantity\":1", "$.line_items[0].sku: expected a string, got a number"},
    {"\"sku\":\"A\\n1\",\"quantity\":1", "$.line_items[0].sku: a control character at offset 1"},
    {"\"sku\":\"A-1\",\"quantity\":1,\"price\":\"1e5\"", "$.line_items[0].price: expected a decimal"},
    {"\"sku\":\"A-1\",\"quantity\":1,\"price\":\"-1.00\"", "$.line_items[0].price: expected a decimal"},
    {"\"sku\":\"A-1\",\"quantity\":1,\"price\":\"inf\"", "$.line_items[0].price: expected a decimal"},
    {"\"sku\":\"A-1\",\"quantity\":1,\"price\":\"10.\"", "$.line_items[0].price: expected a decimal"},
    {"\"sku\":\"A-1\",\"quantity\":1,\"price\":-3", "$.line_items[0].price"},
    {"\"sku\":\"A-1\",\"quantity\":1,\"price\":1e300", "$.line_items[0].price"},
    {"\"sku\":\"A-1\",\"quantity\":1,\"price\":true", "$.line_items[0].price: expected a decimal string"},
};

TEST(sorder, odd_line_values_are_refused_naming_the_field)
{
    test_count("bad inputs tried", (long)(sizeof bad_lines / sizeof bad_lines[0]));
    for (size_t i = 0; i < sizeof bad_lines / sizeof bad_lines[0]; i++) {
        char *body = order_with_line(bad_lines[i].line);
        sorder o;
        char why[256] = "";
        int rc = sorder_parse(body, strlen(body), &o, why, sizeof why);
        if (rc != -1 || !strstr(why, bad_lines[i].want))
            test_fail(__FILE__, __LINE__, "line {%s}: rc %d, reason \"%s\", wanted \"%s\"",
                      bad_lines[i].line, rc, why, bad_lines[i].want);
        /* A refused document leaves nothing behind. */
        EXPECT_EQ_INT(o.n_lines, 0);
        EXPECT_TRUE(o.lines == NULL);
        free(body);
    }
}

/* Whole documents that must be refused. */
static const struct {
    const char *body, *want;
} bad_docs[] = {
    {"[1,2]", "$: expected an order object, got an array"},
    {"\"x\"", "$: expected an order object"},
    {"{\"id\":1e400,\"line_items\":[]}", "$.id: inf is not an integer in [1, 9007199254740991]"},
    {"{\"id\":9007199254740993,\"line_items\":[]}", "$.id"},
    {"{\"id\":9007199254740992,\"line_items\":[]}", "$.id"},
    {"{\"id\":0,\"line_items\":[]}", "$.id: 0 is not an integer in"},
    {"{\"id\":-4,\"line_items\":[]}", "$.id"},
    {"{\"id\":1.5,\"line_items\":[]}", "$.id: 1.5 is not an integer in"},
    {"{\"id\":true,\"line_items\":[]}", "$.id: expected an integer id, got a boolean"},
    {"{\"id\":\"abc\",\"line_items\":[]}", "$.id: expected an integer id, got \"abc\""},
    {"{\"id\":\"99999999999999999\",\"line_items\":[]}", "$.id: expected an integer id"},
    {"{\"id\":\"9007199254740992\",\"line_items\":[]}", "$.id: 9007199254740992 is out of range"},
    {"{\"id\":null,\"line_items\":[]}", "$.id: required field is missing"},
    {"{\"line_items\":[]}", "$.id: required field is missing"},
    {"{\"id\":1}", "$.line_items: required field is missing"},
    {"{\"id\":1,\"line_items\":{}}", "$.line_items: expected an array"},
    {"{\"id\":1,\"line_items\":[7]}", "$.line_items[0]: expected an object, got a number"},
    {"{\"id\":1,\"financial_status\":3,\"line_items\":[]}", "$.financial_status: expected a string"},
    {"{\"id\":1,\"cancelled_at\":true,\"line_items\":[]}", "$.cancelled_at: expected a string"},
    {"{\"id\":1,\"shipping_address\":[],\"line_items\":[]}", "$.shipping_address: expected an object"},
    {"{\"id\":1,\"shipping_address\":{\"latitude\":91,\"longitude\":0},\"line_items\":[]}",
     "$.shipping_address.latitude: 91"},
    {"{\"id\":1,\"shipping_address\":{\"zip\":5},\"line_items\":[]}",
     "$.shipping_address.zip: expected a string"},
    {"{\"id\":1,\"line_items\":[", "line 1, column"},
    {"", "line 1"},
};

TEST(sorder, odd_documents_are_refused_naming_the_field)
{
    test_count("bad inputs tried", (long)(sizeof bad_docs / sizeof bad_docs[0]));
    for (size_t i = 0; i < sizeof bad_docs / sizeof bad_docs[0]; i++) {
        sorder o;
        char why[256] = "";
        int rc = sorder_parse(bad_docs[i].body, strlen(bad_docs[i].body), &o, why, sizeof why);
        if (rc != -1 || !strstr(why, bad_docs[i].want))
            test_fail(__FILE__, __LINE__, "%s: rc %d, reason \"%s\", wanted \"%s\"",
                      bad_docs[i].body, rc, why, bad_docs[i].want);
        EXPECT_TRUE(o.financial_status == NULL && o.cancelled_at == NULL && o.lines == NULL);
    }
}

TEST(sorder, sizes_at_the_bounds)
{
    /* A SKU of 255 characters is Shopify's longest: read whole; 256 is
     * refused rather than cut. */
    char sku[300];
    memset(sku, 'S', 256);
    sku[255] = '\0';
    char line[400];
    snprintf(line, sizeof line, "\"sku\":\"%s\",\"quantity\":1000000,\"price\":\"999999999.99\"", sku);
    char *body = order_with_line(line);
    sorder o;
    char why[256];
    EXPECT_EQ_INT(sorder_parse(body, strlen(body), &o, why, sizeof why), 0);
    EXPECT_EQ_INT(strlen(o.lines[0].sku), 255);
    EXPECT_EQ_INT(o.lines[0].qty, 1000000);
    sorder_free(&o);
    free(body);
    sku[255] = 'S';
    sku[256] = '\0';
    snprintf(line, sizeof line, "\"sku\":\"%s\",\"quantity\":1", sku);
    body = order_with_line(line);
    EXPECT_EQ_INT(sorder_parse(body, strlen(body), &o, why, sizeof why), -1);
    EXPECT_CONTAINS(why, "$.line_items[0].sku: 256 characters");
    free(body);
    /* The largest id a double holds exactly. */
    const char *big = "{\"id\":9007199254740991,\"line_items\":[]}";
    EXPECT_EQ_INT(sorder_parse(big, strlen(big), &o, why, sizeof why), 0);
    EXPECT_EQ_STR(o.id_text, "9007199254740991");
    sorder_free(&o);
}
