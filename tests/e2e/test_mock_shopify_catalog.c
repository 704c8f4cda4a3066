/* mock-shopify's catalog as an engine polls it and shoppers meet it:
 * productVariants(query:) and products(query:) filtered on updated_at (a
 * stock change moves a variant's updatedAt too), Product.variantsCount and
 * the API version it appeared in, and checkouts of DRAFT, ARCHIVED and
 * UNLISTED products. */
#include "mock_shopify_test.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Three products (One: DEMO-001 and DEMO-001B; Two: DEMO-002; Three:
 * DEMO-003), 2024-01 served beside 2026-10, the clock 50 times real time
 * (a simulated second is 20 ms). */
static void start_catalog(e2e_server *s)
{
    static const char cfg[] =
        "{\"versions\":{\"supported\":[\"2024-01\",\"2026-10\"]},"
        "\"shops\":[{\"domain\":\"demo.myshopify.com\",\"access_token\":\"shpat_demo\","
        "\"app_secret\":\"s\",\"products\":["
        "{\"title\":\"One\",\"variants\":[{\"sku\":\"DEMO-001\",\"price\":\"10.00\",\"available\":50},"
        "{\"sku\":\"DEMO-001B\",\"price\":\"10.00\",\"available\":50}]},"
        "{\"title\":\"Two\",\"variants\":[{\"sku\":\"DEMO-002\",\"price\":\"20.00\",\"available\":50}]},"
        "{\"title\":\"Three\",\"variants\":[{\"sku\":\"DEMO-003\",\"price\":\"30.00\",\"available\":50}]}]}]}";
    const char *args[] = {"--time-scale", "50", NULL};
    e2e_start_config(s, "mock-shopify", cfg, args);
}

/* The SKUs (or product titles) a filtered connection answers, in order,
 * space-separated, into out. */
static void filtered(const e2e_server *s, const char *conn, const char *q, char *out, size_t n)
{
    int products = strcmp(conn, "products") == 0;
    char *query = xasprintf("query($q: String) { %s(first: 20, query: $q) { nodes { %s } } }", conn,
                            products ? "title" : "sku");
    cJSON *qv = cJSON_CreateObject();
    cJSON_AddStringToObject(qv, "q", q);
    char *vars = cJSON_PrintUnformatted(qv);
    cJSON *v = ms_gql(s, "2026-10", query, vars, 200);
    EXPECT_TRUE(jp(v, "errors") == NULL);
    char path[64];
    snprintf(path, sizeof path, "data.%s.nodes", conn);
    out[0] = 0;
    const cJSON *node;
    cJSON_ArrayForEach(node, jp(v, path))
    {
        size_t len = strlen(out);
        snprintf(out + len, n - len, "%s%s", len ? " " : "", jstring(node, products ? "title" : "sku"));
    }
    cJSON_Delete(v);
    free(vars);
    cJSON_Delete(qv);
    free(query);
}

static void expect_filter(const e2e_server *s, const char *conn, const char *q, const char *want)
{
    char got[256];
    filtered(s, conn, q, got, sizeof got);
    if (strcmp(got, want) != 0)
        test_fail(__FILE__, __LINE__, "%s(query: %s): got \"%s\", want \"%s\"", conn, q, got, want);
}

/* A checkout of lines ("[{…}]"); its answer (caller frees). */
static cJSON *checkout(const e2e_server *s, const char *lines)
{
    char *body = xasprintf("{\"lines\":%s}", lines);
    cJSON *v = ms_json(s, "POST", "/_mock/checkout", body, 200);
    free(body);
    return v;
}

static void set_status(const e2e_server *s, const char *sku, const char *status)
{
    char *body = xasprintf("{\"sku\":\"%s\",\"fields\":{\"status\":\"%s\"}}", sku, status);
    cJSON *v = ms_json(s, "POST", "/_mock/product_edit", body, 200);
    EXPECT_EQ_STR(jstring(v, "result"), "edited");
    cJSON_Delete(v);
    free(body);
}

static long available_of(const e2e_server *s, const char *sku)
{
    char q[160];
    snprintf(q, sizeof q, "{ productVariants(first: 1, query: \"sku:%s\") { nodes { inventoryQuantity } } }",
             sku);
    cJSON *v = ms_gql(s, "2026-10", q, NULL, 200);
    long n = (long)jnumber(v, "data.productVariants.nodes[0].inventoryQuantity");
    cJSON_Delete(v);
    return n;
}

TEST(mock_shopify_catalog, updated_at_finds_what_changed_since_edits_and_stock_alike)
{
    e2e_server s;
    start_catalog(&s);
    cJSON *v = ms_gql(&s, "2026-10", "{ productVariants(first: 1) { nodes { updatedAt } } }", NULL, 200);
    char t0[64];
    snprintf(t0, sizeof t0, "%s", jstring(v, "data.productVariants.nodes[0].updatedAt"));
    cJSON_Delete(v);
    e2e_sleep_ms(100); /* 5 simulated seconds: changes land after t0 */

    /* A merchandiser's price edit of DEMO-002; a sale of DEMO-003 (stock). */
    v = ms_json(&s, "POST", "/_mock/product_edit",
                "{\"sku\":\"DEMO-002\",\"fields\":{\"price\":\"21.00\"}}", 200);
    cJSON_Delete(v);
    EXPECT_GT_INT(ms_checkout(&s, "DEMO-003", 1), 0);

    /* Each query with %s for t0, and what it must find. Side by side
     * terms all hold, OR joins alternatives; inventoryItems reads the
     * variants' clock; a value that is not a date matches nothing.
     * Products: the edit moved Two, the sale Three. */
    static const struct {
        const char *conn, *query, *want;
    } cases[] = {
        {"productVariants", "updated_at:>'%s'", "DEMO-002 DEMO-003"},
        {"productVariants", "updated_at:>=\"%s\"", "DEMO-001 DEMO-001B DEMO-002 DEMO-003"},
        {"productVariants", "updated_at:<='%s'", "DEMO-001 DEMO-001B"},
        {"productVariants", "updated_at:<'%s'", ""},
        {"productVariants", "updated_at:'%s'", "DEMO-001 DEMO-001B"},
        {"productVariants", "sku:DEMO-002 updated_at:>'%s'", "DEMO-002"},
        {"productVariants", "sku:DEMO-001 updated_at:>'%s'", ""},
        {"productVariants", "updated_at:>'%s' OR sku:DEMO-001", "DEMO-001 DEMO-002 DEMO-003"},
        {"inventoryItems", "updated_at:>'%s'", "DEMO-002 DEMO-003"},
        {"productVariants", "updated_at:>'yesterday'", ""},
        {"products", "updated_at:>'%s'", "Two Three"},
        {"products", "updated_at:<='%s'", "One"},
        {"products", "status:active updated_at:>'%s' OR sku:DEMO-001B", "One Two Three"},
        {"products", "", "One Two Three"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char q[160];
        snprintf(q, sizeof q, cases[i].query, t0);
        expect_filter(&s, cases[i].conn, q, cases[i].want);
    }
    /* A product-only edit moves the product, not its variants. */
    v = ms_gql(&s, "2026-10", "{ products(first: 5) { nodes { updatedAt } } }", NULL, 200);
    char t1[64];
    snprintf(t1, sizeof t1, "%s", jstring(v, "data.products.nodes[2].updatedAt"));
    cJSON_Delete(v);
    e2e_sleep_ms(100);
    set_status(&s, "DEMO-003", "DRAFT");
    char q[160];
    snprintf(q, sizeof q, "updated_at:>'%s'", t1);
    expect_filter(&s, "products", q, "Three");
    expect_filter(&s, "productVariants", q, "");
    expect_filter(&s, "products", "status:draft", "Three");
    e2e_stop(&s);
}

TEST(mock_shopify_catalog, variants_count_is_exact_from_2024_04_and_unknown_before)
{
    e2e_server s;
    start_catalog(&s);
    static const char q[] =
        "{ products(first: 5) { nodes { title variantsCount { count precision } } } }";
    cJSON *v = ms_gql(&s, "2026-10", q, NULL, 200);
    EXPECT_TRUE(jp(v, "errors") == NULL);
    EXPECT_EQ_STR(jstring(v, "data.products.nodes[0].title"), "One");
    EXPECT_EQ_INT((long)jnumber(v, "data.products.nodes[0].variantsCount.count"), 2);
    EXPECT_EQ_STR(jstring(v, "data.products.nodes[0].variantsCount.precision"), "EXACT");
    EXPECT_EQ_INT((long)jnumber(v, "data.products.nodes[1].variantsCount.count"), 1);
    cJSON_Delete(v);

    /* 2024-01's schema has no Product.variantsCount: the query fails
     * validation and nothing is resolved. */
    v = ms_gql(&s, "2024-01", q, NULL, 200);
    EXPECT_EQ_STR(jstring(v, "errors[0].extensions.code"), "undefinedField");
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "variantsCount");
    EXPECT_TRUE(jp(v, "data.products") == NULL);
    cJSON_Delete(v);
    v = ms_gql(&s, "2024-01", "{ products(first: 5) { nodes { title } } }", NULL, 200);
    EXPECT_EQ_STR(jstring(v, "data.products.nodes[2].title"), "Three");
    cJSON_Delete(v);
    e2e_stop(&s);
}

TEST(mock_shopify_catalog, draft_and_archived_products_do_not_sell_unlisted_ones_do)
{
    e2e_server s;
    start_catalog(&s);
    set_status(&s, "DEMO-002", "DRAFT");
    set_status(&s, "DEMO-003", "ARCHIVED");

    /* The whole checkout is refused, the active line with it; no stock moves. */
    cJSON *v = checkout(&s, "[{\"sku\":\"DEMO-001\",\"qty\":1},{\"sku\":\"DEMO-002\",\"qty\":2},"
                            "{\"sku\":\"DEMO-002\",\"qty\":1}]");
    EXPECT_EQ_STR(jstring(v, "result"), "unavailable");
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "unavailable")), 1);
    EXPECT_EQ_STR(jstring(v, "unavailable[0].sku"), "DEMO-002");
    EXPECT_EQ_STR(jstring(v, "unavailable[0].status"), "DRAFT");
    EXPECT_TRUE(jp(v, "order_id") == NULL);
    cJSON_Delete(v);
    v = checkout(&s, "[{\"sku\":\"DEMO-003\",\"qty\":1}]");
    EXPECT_EQ_STR(jstring(v, "result"), "unavailable");
    EXPECT_EQ_STR(jstring(v, "unavailable[0].status"), "ARCHIVED");
    cJSON_Delete(v);
    /* Unavailable wins over sold out: the line could not be carted. */
    v = checkout(&s, "[{\"sku\":\"DEMO-003\",\"qty\":999}]");
    EXPECT_EQ_STR(jstring(v, "result"), "unavailable");
    cJSON_Delete(v);
    EXPECT_EQ_INT(available_of(&s, "DEMO-001"), 50);
    EXPECT_EQ_INT(available_of(&s, "DEMO-002"), 50);
    EXPECT_EQ_INT(available_of(&s, "DEMO-003"), 50);

    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(ms_journal_count(j, "checkout", "result", "unavailable"), 3);
    EXPECT_EQ_INT(ms_journal_count(j, "checkout", "result", "accepted"), 0);
    EXPECT_EQ_INT(ms_journal_count(j, "order_created", NULL, NULL), 0);
    cJSON_Delete(j);
    EXPECT_EQ_INT(ms_counter(&s, "checkouts unavailable"), 3);

    /* UNLISTED sells (by its direct link); back to ACTIVE sells too. */
    set_status(&s, "DEMO-002", "UNLISTED");
    EXPECT_GT_INT(ms_checkout(&s, "DEMO-002", 2), 0);
    set_status(&s, "DEMO-003", "ACTIVE");
    EXPECT_GT_INT(ms_checkout(&s, "DEMO-003", 1), 0);
    EXPECT_EQ_INT(available_of(&s, "DEMO-002"), 48);
    EXPECT_EQ_INT(available_of(&s, "DEMO-003"), 49);
    e2e_stop(&s);
}
