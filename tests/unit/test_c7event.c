/* Cin7 notification bodies checked before syncd acts on them: a sale
 * notification's SaleID must be a Cin7 id; a stock notification's rows
 * give their SKUs, good rows kept when others are refused. */
#include "../runner.h"

#include "c7event.h"

#include <stdio.h>
#include <string.h>

TEST(c7event, guids)
{
    EXPECT_TRUE(c7event_is_guid("916ab4c0-6ccb-4c93-873d-0603859050e4"));
    EXPECT_TRUE(c7event_is_guid("916AB4C0-6CCB-4C93-873D-0603859050E4"));
    static const char *const bad[] = {
        "", "916ab4c0", "916ab4c0-6ccb-4c93-873d-0603859050e",
        "916ab4c0-6ccb-4c93-873d-0603859050e4x", "916ab4c0-6ccb-4c93-873d_0603859050e4",
        "916ab4g0-6ccb-4c93-873d-0603859050e4", "916ab4c06ccb-4c93-873d-0603859050e4-",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (c7event_is_guid(bad[i]))
            test_fail(__FILE__, __LINE__, "\"%s\" taken for a GUID", bad[i]);
}

TEST(c7event, sale_notifications)
{
    char id[C7EVENT_ID_LEN], why[256];
    const char *good = "{\"SaleID\":\"916ab4c0-6ccb-4c93-873d-0603859050e4\",\"SaleOrderNumber\":"
                       "\"SO-00001\",\"EventType\":\"Sale/ShipmentAuthorised\",\"SaleTaskID\":"
                       "\"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\"}";
    EXPECT_EQ_INT(c7event_sale_id(good, strlen(good), id, why, sizeof why), 0);
    EXPECT_EQ_STR(id, "916ab4c0-6ccb-4c93-873d-0603859050e4");
    static const struct {
        const char *body, *want;
    } bad[] = {
        {"{}", "$.SaleID: required field is missing"},
        {"{\"SaleID\":7}", "$.SaleID: expected a string"},
        {"{\"SaleID\":\"S-1\"}", "$.SaleID: expected a Cin7 id (a GUID), got \"S-1\""},
        {"{\"SaleID\":\"916ab4c0-6ccb-4c93-873d-0603859050e4/../x\"}", "$.SaleID: expected a Cin7 id"},
        {"[{\"SaleID\":\"916ab4c0-6ccb-4c93-873d-0603859050e4\"}]", "$: expected a sale notification object"},
        {"{\"SaleID\":", "line 1"},
    };
    test_count("bad inputs tried", (long)(sizeof bad / sizeof bad[0]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        int rc = c7event_sale_id(bad[i].body, strlen(bad[i].body), id, why, sizeof why);
        if (rc != -1 || !strstr(why, bad[i].want) || id[0])
            test_fail(__FILE__, __LINE__, "%s: rc %d, id \"%s\", reason \"%s\", wanted \"%s\"",
                      bad[i].body, rc, id, why, bad[i].want);
    }
}

/* Reads body's rows: the result must be rc, the SKUs kept want (joined
 * with commas), and the reason must contain reason (NULL: none). */
static void expect_rows(const char *body, int rc, const char *want, const char *reason)
{
    char **skus, why[256] = "", got[256] = "";
    size_t n;
    EXPECT_EQ_INT(c7event_stock_skus(body, strlen(body), &skus, &n, why, sizeof why), rc);
    for (size_t i = 0; i < n; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? "," : "", skus[i]);
    EXPECT_EQ_STR(got, want);
    if (reason)
        EXPECT_CONTAINS(why, reason);
    else
        EXPECT_EQ_STR(why, "");
    c7event_skus_free(skus, n);
}

TEST(c7event, stock_rows)
{
    expect_rows("[{\"SKU\":\"A-1\",\"Location\":\"Main\",\"Available\":3},"
                "{\"SKU\":\"A-2\",\"Location\":\"East\",\"Available\":0.5}]",
                0, "A-1,A-2", NULL);
    /* Wrapped rows are read too. */
    expect_rows("{\"Rows\":[{\"SKU\":\"A-3\"}]}", 0, "A-3", NULL);
    /* A bad row is refused and named; the good ones still come back. */
    expect_rows("[{\"SKU\":\"A-1\"},{\"SKU\":7},{\"Location\":\"Main\"},\"x\",{\"SKU\":\"\"},"
                "{\"SKU\":\"A\\u0001\"},{\"SKU\":\"A-2\"}]",
                1, "A-1,A-2", "5 of 7 stock rows refused; first: $[1].SKU: expected a string");
    expect_rows("{\"Rows\":[{\"SKU\":1}]}", 1, "", "$.Rows[0].SKU");
    char **skus, why[256];
    size_t n;
    /* Not rows at all. */
    static const char *const none[] = {"{\"a\":1}", "7", "\"rows\"", "[{"};
    test_count("bad inputs tried", 2 + (long)(sizeof none / sizeof none[0]));
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        why[0] = '\0';
        EXPECT_EQ_INT(c7event_stock_skus(none[i], strlen(none[i]), &skus, &n, why, sizeof why), -1);
        EXPECT_TRUE(skus == NULL && n == 0 && why[0]);
    }
}
