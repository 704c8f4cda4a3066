/* mock-shopify's Admin GraphQL endpoint over HTTP: reads of inventory
 * levels, calculated query cost and the cost bucket, THROTTLED, the single
 * query maximum, compare-and-set, idempotency keys, the semantics of API
 * versions before and from 2026-04, and errors naming what is wrong; and
 * agql_execute, the same executor without HTTP, answering as it does. */
#include "mock_shopify_test.h"

#include "../fuzz/shopify_rig.h"
#include "json.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ITEM1 "gid://shopify/InventoryItem/47000000000001"
#define LOC "gid://shopify/Location/61000000001"

static const char *const SCALE1[] = {"--time-scale", "1", NULL};

static double cost(const cJSON *v, const char *what)
{
    char p[96];
    snprintf(p, sizeof p, "extensions.cost.%s", what);
    return jnumber(v, p);
}

TEST(mock_shopify, graphql_reads_levels_by_item_and_location)
{
    e2e_server s;
    e2e_start(&s, "mock-shopify", SCALE1);
    cJSON *v = ms_gql(&s, "2026-10",
                      "query Levels($item: ID!, $loc: ID!) {"
                      "  inventoryItem(id: $item) { id sku"
                      "    inventoryLevel(locationId: $loc) {"
                      "      quantities(names: [\"available\", \"committed\", \"on_hand\"]) { name quantity } } } }",
                      "{\"item\":\"" ITEM1 "\",\"loc\":\"" LOC "\"}", 200);
    EXPECT_EQ_STR(jstring(v, "data.inventoryItem.sku"), "DEMO-001");
    EXPECT_EQ_STR(jstring(v, "data.inventoryItem.inventoryLevel.quantities[0].name"), "available");
    EXPECT_EQ_INT(jnumber(v, "data.inventoryItem.inventoryLevel.quantities[0].quantity"), 100);
    EXPECT_EQ_INT(jnumber(v, "data.inventoryItem.inventoryLevel.quantities[2].quantity"), 100);
    /* item 1 + level 1 + quantities 1 */
    EXPECT_EQ_INT(cost(v, "requestedQueryCost"), 3);
    EXPECT_EQ_INT(cost(v, "actualQueryCost"), 3);
    cJSON_Delete(v);

    /* By SKU through a connection, with aliases and a fragment. */
    v = ms_gql(&s, "2026-10",
               "{ items: inventoryItems(first: 5, query: \"sku:DEMO-002 OR sku:DEMO-003\") {"
               "    edges { cursor node { ...F } } pageInfo { hasNextPage } } }"
               "fragment F on InventoryItem { sku inventoryLevels(first: 2) { nodes { location { name } } } }",
               NULL, 200);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.items.edges")), 2);
    EXPECT_EQ_STR(jstring(v, "data.items.edges[1].node.sku"), "DEMO-003");
    EXPECT_EQ_STR(jstring(v, "data.items.edges[0].node.inventoryLevels.nodes[0].location.name"),
                  "Main Warehouse");
    EXPECT_TRUE(cJSON_IsFalse(jp(v, "data.items.pageInfo.hasNextPage")));
    /* requested 2 + 5 * (1 + (2 + 2 * (1 + 1))) = 37; actual 2 + 2 * (1 + (2 + 1 * 2)) = 12 */
    EXPECT_EQ_INT(cost(v, "requestedQueryCost"), 37);
    EXPECT_EQ_INT(cost(v, "actualQueryCost"), 12);
    cJSON_Delete(v);

    /* Connection cursors page forward. */
    v = ms_gql(&s, "2026-10", "{ productVariants(first: 4) { nodes { sku } pageInfo { hasNextPage endCursor } } }",
               NULL, 200);
    EXPECT_TRUE(cJSON_IsTrue(jp(v, "data.productVariants.pageInfo.hasNextPage")));
    char q[512];
    snprintf(q, sizeof q, "{ productVariants(first: 4, after: \"%s\") { nodes { sku } } }",
             jstring(v, "data.productVariants.pageInfo.endCursor"));
    cJSON_Delete(v);
    v = ms_gql(&s, "2026-10", q, NULL, 200);
    EXPECT_EQ_STR(jstring(v, "data.productVariants.nodes[0].sku"), "DEMO-005");
    cJSON_Delete(v);
    e2e_stop(&s);
}

/* The bucket: 2000 points for standard, restoring 100 a second; requested
 * cost is reserved, the unused part refunded. */
TEST(mock_shopify, graphql_cost_bucket_arithmetic)
{
    e2e_server s;
    e2e_start(&s, "mock-shopify", SCALE1);
    cJSON *v = ms_gql(&s, "2026-10", "{ shop { name } }", NULL, 200);
    EXPECT_EQ_INT(cost(v, "requestedQueryCost"), 1);
    EXPECT_EQ_INT(cost(v, "actualQueryCost"), 1);
    EXPECT_EQ_INT(cost(v, "throttleStatus.maximumAvailable"), 2000);
    EXPECT_EQ_INT(cost(v, "throttleStatus.restoreRate"), 100);
    EXPECT_EQ_INT(cost(v, "throttleStatus.currentlyAvailable"), 1999);
    cJSON_Delete(v);
    /* 2 + 250 * (1 + 1) requested; one location returned: 2 + 1 * 2. */
    v = ms_gql(&s, "2026-10", "{ locations(first: 250) { nodes { id inventoryLevel(inventoryItemId: \"" ITEM1
                              "\") { id } } } }", NULL, 200);
    EXPECT_EQ_INT(cost(v, "requestedQueryCost"), 502);
    EXPECT_EQ_INT(cost(v, "actualQueryCost"), 4);
    double avail = cost(v, "throttleStatus.currentlyAvailable");
    EXPECT_TRUE(avail >= 1995 && avail <= 1996); /* 2000 - 1 - 4, maybe one point restored */
    cJSON_Delete(v);
    e2e_stop(&s);
}

TEST(mock_shopify, graphql_throttled_and_max_cost)
{
    e2e_server s;
    const char *cfg =
        "{\"shops\":[{\"domain\":\"demo.myshopify.com\",\"access_token\":\"shpat_demo\",\"app_secret\":\"s\","
        "\"limits\":{\"graphql_restore_per_s\":1,\"graphql_bucket\":25},"
        "\"products\":[{\"title\":\"A\",\"variants\":[{\"sku\":\"DEMO-001\",\"available\":5}]}]}]}";
    e2e_start_config(&s, "mock-shopify", cfg, SCALE1);
    const char *m = "mutation { inventoryAdjustQuantities(input: {name: \"available\", reason: \"correction\","
                    " changes: [{delta: 1, inventoryItemId: \"" ITEM1 "\", locationId: \"" LOC "\","
                    " changeFromQuantity: null}]}) @idempotent(key: \"%d\") { userErrors { code } } }";
    char q[512];
    for (int i = 0; i < 2; i++) {
        snprintf(q, sizeof q, m, i);
        cJSON *v = ms_gql(&s, "2026-10", q, NULL, 200);
        EXPECT_EQ_INT(cost(v, "actualQueryCost"), 10);
        EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.inventoryAdjustQuantities.userErrors")), 0);
        cJSON_Delete(v);
    }
    snprintf(q, sizeof q, m, 2);
    cJSON *v = ms_gql(&s, "2026-10", q, NULL, 200);
    EXPECT_TRUE(jp(v, "data") == NULL);
    EXPECT_EQ_STR(jstring(v, "errors[0].extensions.code"), "THROTTLED");
    EXPECT_EQ_STR(jstring(v, "errors[0].message"), "Throttled");
    EXPECT_TRUE(cJSON_IsNull(jp(v, "extensions.cost.actualQueryCost")));
    EXPECT_EQ_INT(cost(v, "requestedQueryCost"), 10);
    EXPECT_EQ_INT(cost(v, "throttleStatus.maximumAvailable"), 25);
    EXPECT_LE_INT(cost(v, "throttleStatus.currentlyAvailable"), 9);
    cJSON_Delete(v);
    /* The throttled write did nothing. */
    cJSON *st = e2e_expect(&s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    EXPECT_EQ_INT(jnumber(st, "shops[0].levels[0].available"), 7);
    cJSON_Delete(st);
    /* Over the single-query maximum: refused whatever the bucket holds. */
    v = ms_gql(&s, "2026-10",
               "{ inventoryItems(first: 250) { nodes { inventoryLevels(first: 250) { nodes { id } } } } }", NULL,
               200);
    EXPECT_EQ_STR(jstring(v, "errors[0].extensions.code"), "MAX_COST_EXCEEDED");
    EXPECT_EQ_INT(jnumber(v, "errors[0].extensions.maxCost"), 1000);
    cJSON_Delete(v);
    e2e_stop(&s);
}

TEST(mock_shopify, graphql_throttle_fault_and_429_option)
{
    e2e_server s;
    const char *cfg = "{\"shops\":[{\"domain\":\"demo.myshopify.com\",\"access_token\":\"shpat_demo\","
                      "\"app_secret\":\"s\"}],\"graphql\":{\"throttled_status\":429}}";
    e2e_start_config(&s, "mock-shopify", cfg, SCALE1);
    e2e_faults(&s, "[{\"kind\":\"throttle\",\"target\":\"POST /admin/api/*/graphql.json\",\"limit\":5}]");
    cJSON *v = ms_gql(&s, "2026-10", "{ shop { name } }", NULL, 200);
    EXPECT_EQ_INT(cost(v, "throttleStatus.maximumAvailable"), 5);
    /* Slower as well as shallower, as a plan of that size: the standard
     * plan restores 100 of its 2000 a second, a 5-point bucket 0.25. */
    EXPECT_NEAR(cost(v, "throttleStatus.restoreRate"), 0.25, 1e-9);
    cJSON_Delete(v);
    v = ms_gql(&s, "2026-10", "{ locations(first: 10) { nodes { id } } }", NULL, 429);
    EXPECT_EQ_STR(jstring(v, "errors[0].extensions.code"), "THROTTLED");
    cJSON_Delete(v);
    EXPECT_EQ_INT(ms_counter(&s, "http_429 graphql"), 1);
    e2e_stop(&s);
}

static const char *SET_2026 =
    "mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {"
    "  inventorySetQuantities(input: $input) @idempotent(key: $key) {"
    "    inventoryAdjustmentGroup { id reason changes { name delta quantityAfterChange item { sku } } }"
    "    userErrors { field message code } } }";

static cJSON *set_2026(e2e_server *s, int quantity, const char *change_from, const char *key)
{
    char vars[512];
    snprintf(vars, sizeof vars,
             "{\"key\":\"%s\",\"input\":{\"name\":\"available\",\"reason\":\"correction\","
             "\"quantities\":[{\"inventoryItemId\":\"" ITEM1 "\",\"locationId\":\"" LOC "\","
             "\"quantity\":%d,\"changeFromQuantity\":%s}]}}",
             key, quantity, change_from);
    return ms_gql(s, "2026-10", SET_2026, vars, 200);
}

/* inventorySetQuantities at 2025-10 (before compare-and-set by
 * changeFromQuantity): input_extra goes after reason, quantity_extra after
 * the quantity (each starting with a comma, or ""). */
static cJSON *set_at(e2e_server *s, const char *version, const char *input_extra, int quantity,
                     const char *quantity_extra)
{
    char q[1024];
    snprintf(q, sizeof q,
             "mutation { inventorySetQuantities(input: {name: \"available\", reason: \"correction\"%s,"
             " quantities: [{inventoryItemId: \"" ITEM1 "\", locationId: \"" LOC "\", quantity: %d%s}]})"
             " { inventoryAdjustmentGroup { id } userErrors { field code } } }",
             input_extra, quantity, quantity_extra);
    return ms_gql(s, version, q, NULL, 200);
}

static cJSON *adjust_at(e2e_server *s, const char *version, const char *extra)
{
    char q[1024];
    snprintf(q, sizeof q,
             "mutation { inventoryAdjustQuantities(input: {name: \"available\", reason: \"correction\","
             " changes: [{inventoryItemId: \"" ITEM1 "\", locationId: \"" LOC "\", delta: -1%s}]})"
             " { inventoryAdjustmentGroup { id } userErrors { field code } } }",
             extra);
    return ms_gql(s, version, q, NULL, 200);
}

static int available_of(e2e_server *s, const char *sku)
{
    cJSON *st = e2e_expect(s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    int v = -1;
    const cJSON *l;
    cJSON_ArrayForEach(l, jp(st, "shops[0].levels"))
        if (strcmp(jstring(l, "sku"), sku) == 0)
            v = (int)jnumber(l, "available");
    cJSON_Delete(st);
    return v;
}

TEST(mock_shopify, graphql_compare_and_set_and_idempotency)
{
    e2e_server s;
    e2e_start(&s, "mock-shopify", NULL);
    cJSON *v = set_2026(&s, 60, "100", "key-a");
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.inventorySetQuantities.userErrors")), 0);
    EXPECT_EQ_STR(jstring(v, "data.inventorySetQuantities.inventoryAdjustmentGroup.changes[0].name"),
                  "available");
    EXPECT_EQ_INT(jnumber(v, "data.inventorySetQuantities.inventoryAdjustmentGroup.changes[0].delta"), -40);
    EXPECT_EQ_INT(jnumber(v, "data.inventorySetQuantities.inventoryAdjustmentGroup.changes[0].quantityAfterChange"),
                  60);
    EXPECT_EQ_STR(jstring(v, "data.inventorySetQuantities.inventoryAdjustmentGroup.changes[0].item.sku"),
                  "DEMO-001");
    const char *gid = jstring(v, "data.inventorySetQuantities.inventoryAdjustmentGroup.id");
    char first_group[128];
    snprintf(first_group, sizeof first_group, "%s", gid);
    cJSON_Delete(v);
    EXPECT_EQ_INT(available_of(&s, "DEMO-001"), 60);

    /* A stale changeFromQuantity changes nothing. */
    v = set_2026(&s, 10, "100", "key-b");
    EXPECT_TRUE(cJSON_IsNull(jp(v, "data.inventorySetQuantities.inventoryAdjustmentGroup")));
    EXPECT_EQ_STR(jstring(v, "data.inventorySetQuantities.userErrors[0].code"), "CHANGE_FROM_QUANTITY_STALE");
    EXPECT_EQ_STR(jstring(v, "data.inventorySetQuantities.userErrors[0].field[3]"), "changeFromQuantity");
    cJSON_Delete(v);
    EXPECT_EQ_INT(available_of(&s, "DEMO-001"), 60);

    /* The first key again with the same input: the first answer, applied once. */
    v = set_2026(&s, 60, "100", "key-a");
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.inventorySetQuantities.userErrors")), 0);
    EXPECT_EQ_STR(jstring(v, "data.inventorySetQuantities.inventoryAdjustmentGroup.id"), first_group);
    cJSON_Delete(v);
    EXPECT_EQ_INT(available_of(&s, "DEMO-001"), 60);
    /* ... and with other input: refused. */
    v = set_2026(&s, 61, "60", "key-a");
    EXPECT_EQ_STR(jstring(v, "data.inventorySetQuantities.userErrors[0].code"),
                  "IDEMPOTENCY_KEY_PARAMETER_MISMATCH");
    cJSON_Delete(v);
    /* null skips the check. */
    v = set_2026(&s, 5, "null", "key-c");
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.inventorySetQuantities.userErrors")), 0);
    cJSON_Delete(v);
    EXPECT_EQ_INT(available_of(&s, "DEMO-001"), 5);

    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(ms_journal_count(j, "inventory", "by", "graphql_set"), 2);
    EXPECT_EQ_INT(ms_journal_count(j, "inventory", "key", "key-a"), 1);
    cJSON_Delete(j);
    e2e_stop(&s);
}

TEST(mock_shopify, graphql_version_semantics)
{
    e2e_server s;
    e2e_start(&s, "mock-shopify", NULL);
    /* From 2026-04: @idempotent and changeFromQuantity are mandatory. */
    cJSON *v = ms_gql(&s, "2026-04",
                      "mutation { inventorySetQuantities(input: {name: \"available\", reason: \"correction\","
                      " quantities: [{inventoryItemId: \"" ITEM1 "\", locationId: \"" LOC "\", quantity: 1,"
                      " changeFromQuantity: 100}]}) { userErrors { code } } }",
                      NULL, 200);
    EXPECT_TRUE(jp(v, "data") == NULL);
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "@idempotent");
    cJSON_Delete(v);
    v = ms_gql(&s, "2026-07",
               "mutation { inventorySetQuantities(input: {name: \"available\", reason: \"correction\","
               " quantities: [{inventoryItemId: \"" ITEM1 "\", locationId: \"" LOC "\", quantity: 1}]})"
               " @idempotent(key: \"x\") { userErrors { code } } }",
               NULL, 200);
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "changeFromQuantity is required");
    EXPECT_TRUE(cJSON_IsNull(jp(v, "data.inventorySetQuantities")));
    cJSON_Delete(v);
    v = ms_gql(&s, "2026-10",
               "mutation { inventorySetQuantities(input: {name: \"available\", reason: \"correction\","
               " ignoreCompareQuantity: true, quantities: [{inventoryItemId: \"" ITEM1 "\", locationId: \""
               LOC "\", quantity: 1, changeFromQuantity: null}]}) @idempotent(key: \"y\") { userErrors { code } } }",
               NULL, 200);
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "ignoreCompareQuantity");
    cJSON_Delete(v);

    /* Adjust from 2026-04: changeFromQuantity on every change (null opts
     * out); Shopify refuses an adjust without it. */
    v = ms_gql(&s, "2026-10",
               "mutation { inventoryAdjustQuantities(input: {name: \"available\", reason: \"correction\","
               " changes: [{inventoryItemId: \"" ITEM1 "\", locationId: \"" LOC "\", delta: -1}]})"
               " @idempotent(key: \"z\") { userErrors { code } } }",
               NULL, 200);
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "changeFromQuantity is required");
    cJSON_Delete(v);
    EXPECT_EQ_INT(available_of(&s, "DEMO-001"), 100);

    /* 2026-01: changeFromQuantity exists and is optional (on set and
     * adjust); without it compareQuantity or ignoreCompareQuantity apply;
     * @idempotent is optional. */
    v = set_at(&s, "2026-01", "", 90, "");
    EXPECT_EQ_STR(jstring(v, "data.inventorySetQuantities.userErrors[0].code"), "COMPARE_QUANTITY_REQUIRED");
    cJSON_Delete(v);
    v = set_at(&s, "2026-01", "", 90, ", compareQuantity: 7");
    EXPECT_EQ_STR(jstring(v, "data.inventorySetQuantities.userErrors[0].code"), "COMPARE_QUANTITY_STALE");
    cJSON_Delete(v);
    v = set_at(&s, "2026-01", "", 90, ", changeFromQuantity: 7");
    EXPECT_EQ_STR(jstring(v, "data.inventorySetQuantities.userErrors[0].code"), "CHANGE_FROM_QUANTITY_STALE");
    EXPECT_EQ_STR(jstring(v, "data.inventorySetQuantities.userErrors[0].field[3]"), "changeFromQuantity");
    cJSON_Delete(v);
    v = set_at(&s, "2026-01", "", 90, ", changeFromQuantity: 100");
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.inventorySetQuantities.userErrors")), 0);
    cJSON_Delete(v);
    v = set_at(&s, "2026-01", "", 85, ", compareQuantity: 90");
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.inventorySetQuantities.userErrors")), 0);
    cJSON_Delete(v);
    v = set_at(&s, "2026-01", ", ignoreCompareQuantity: true", 80, "");
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.inventorySetQuantities.userErrors")), 0);
    cJSON_Delete(v);
    v = set_at(&s, "2026-01", "", 80, ", changeFromQuantity: 80, compareQuantity: 80");
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "not both");
    cJSON_Delete(v);
    v = adjust_at(&s, "2026-01", "");
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.inventoryAdjustQuantities.userErrors")), 0);
    cJSON_Delete(v);
    v = adjust_at(&s, "2026-01", ", changeFromQuantity: 80");
    EXPECT_EQ_STR(jstring(v, "data.inventoryAdjustQuantities.userErrors[0].code"), "CHANGE_FROM_QUANTITY_STALE");
    cJSON_Delete(v);
    EXPECT_EQ_INT(available_of(&s, "DEMO-001"), 79);
    e2e_stop(&s);

    /* Before 2026-01 (served only when configured as supported):
     * changeFromQuantity and @idempotent do not exist. */
    static const char cfg[] =
        "{\"versions\":{\"supported\":[\"2026-01\",\"2025-10\"]},"
        "\"shops\":[{\"domain\":\"demo.myshopify.com\",\"access_token\":\"shpat_demo\","
        "\"app_secret\":\"s\",\"products\":[{\"title\":\"A\",\"variants\":[{\"sku\":\"DEMO-001\","
        "\"available\":100}]}]}]}";
    e2e_start_config(&s, "mock-shopify", cfg, NULL);
    v = set_at(&s, "2025-10", "", 70, ", changeFromQuantity: 100");
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "changeFromQuantity");
    cJSON_Delete(v);
    v = adjust_at(&s, "2025-10", ", changeFromQuantity: 100");
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "changeFromQuantity");
    cJSON_Delete(v);
    v = ms_gql(&s, "2025-10",
               "mutation { inventoryAdjustQuantities(input: {name: \"available\", reason: \"correction\","
               " changes: [{inventoryItemId: \"" ITEM1 "\", locationId: \"" LOC "\", delta: -1}]})"
               " @idempotent(key: \"k\") { userErrors { code } } }",
               NULL, 200);
    EXPECT_EQ_STR(jstring(v, "errors[0].extensions.code"), "undefinedDirective");
    cJSON_Delete(v);
    v = set_at(&s, "2025-10", "", 70, ", compareQuantity: 100");
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.inventorySetQuantities.userErrors")), 0);
    cJSON_Delete(v);
    EXPECT_EQ_INT(available_of(&s, "DEMO-001"), 70);
    e2e_stop(&s);
}

TEST(mock_shopify, graphql_adjust_and_user_errors)
{
    e2e_server s;
    e2e_start(&s, "mock-shopify", NULL);
    cJSON *v = ms_gql(&s, "2026-10",
                      "mutation A($c: [InventoryChangeInput!]!) { inventoryAdjustQuantities(input: {"
                      " name: \"available\", reason: \"received\", referenceDocumentUri: \"po://42\", changes: $c})"
                      " @idempotent(key: \"adj-1\") { inventoryAdjustmentGroup { reason referenceDocumentUri"
                      " changes { name delta quantityAfterChange } } userErrors { field code } } }",
                      "{\"c\":[{\"delta\":-3,\"inventoryItemId\":\"" ITEM1 "\",\"locationId\":\"" LOC "\","
                      "\"changeFromQuantity\":100}]}",
                      200);
    EXPECT_EQ_STR(jstring(v, "data.inventoryAdjustQuantities.inventoryAdjustmentGroup.referenceDocumentUri"),
                  "po://42");
    EXPECT_EQ_INT(jnumber(v, "data.inventoryAdjustQuantities.inventoryAdjustmentGroup.changes[0].quantityAfterChange"),
                  97);
    cJSON_Delete(v);
    v = ms_gql(&s, "2026-10",
               "mutation { inventoryAdjustQuantities(input: { name: \"sold\", reason: \"whim\", changes: ["
               " {delta: 1, inventoryItemId: \"gid://shopify/InventoryItem/1\", locationId: \"" LOC "\","
               " changeFromQuantity: null}]})"
               " @idempotent(key: \"adj-2\") { inventoryAdjustmentGroup { id } userErrors { field code } } }",
               NULL, 200);
    const cJSON *errs = jp(v, "data.inventoryAdjustQuantities.userErrors");
    EXPECT_EQ_INT(cJSON_GetArraySize(errs), 3);
    char *text = cJSON_PrintUnformatted(errs);
    EXPECT_CONTAINS(text, "INVALID_INVENTORY_ITEM");
    EXPECT_CONTAINS(text, "INVALID_QUANTITY_NAME");
    EXPECT_CONTAINS(text, "INVALID_REASON");
    EXPECT_CONTAINS(text, "[\"input\",\"changes\",\"0\",\"inventoryItemId\"]");
    cJSON_free(text);
    cJSON_Delete(v);
    /* Available stays within +-10^9 (REST's adjust refuses the same):
     * each delta is in range, their sum on one level is not. */
    v = ms_gql(&s, "2026-10",
               "mutation { inventoryAdjustQuantities(input: { name: \"available\", reason: \"received\","
               " changes: [{delta: 600000000, inventoryItemId: \"" ITEM1 "\", locationId: \"" LOC "\","
               " changeFromQuantity: null}, {delta: 600000000, inventoryItemId: \"" ITEM1 "\", locationId:"
               " \"" LOC "\", changeFromQuantity: null}]})"
               " @idempotent(key: \"adj-3\") { inventoryAdjustmentGroup { id } userErrors { field code } } }",
               NULL, 200);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.inventoryAdjustQuantities.userErrors")), 1);
    EXPECT_EQ_STR(jstring(v, "data.inventoryAdjustQuantities.userErrors[0].code"), "INVALID_QUANTITY_TOO_HIGH");
    EXPECT_EQ_STR(jstring(v, "data.inventoryAdjustQuantities.userErrors[0].field[2]"), "1");
    EXPECT_TRUE(cJSON_IsNull(jp(v, "data.inventoryAdjustQuantities.inventoryAdjustmentGroup")));
    cJSON_Delete(v);
    EXPECT_EQ_INT(available_of(&s, "DEMO-001"), 97);
    e2e_stop(&s);
}

TEST(mock_shopify, graphql_errors_are_clear)
{
    e2e_server s;
    e2e_start(&s, "mock-shopify", NULL);
    cJSON *v = ms_gql(&s, "2026-10", "{ shop { name ", NULL, 200);
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "Parse error");
    EXPECT_EQ_INT(jnumber(v, "errors[0].locations[0].line"), 1);
    EXPECT_TRUE(jp(v, "extensions.cost") != NULL);
    cJSON_Delete(v);
    v = ms_gql(&s, "2026-10", "{ customers(first: 5) { nodes { id } } }", NULL, 200);
    EXPECT_EQ_STR(jstring(v, "errors[0].message"), "Field 'customers' doesn't exist on type 'QueryRoot'");
    EXPECT_EQ_STR(jstring(v, "errors[0].extensions.code"), "undefinedField");
    cJSON_Delete(v);
    v = ms_gql(&s, "2026-10", "{ inventoryItem(id: \"" ITEM1 "\") { sku colour } }", NULL, 200);
    EXPECT_EQ_STR(jstring(v, "errors[0].message"), "Field 'colour' doesn't exist on type 'InventoryItem'");
    cJSON_Delete(v);
    v = ms_gql(&s, "2026-10", "{ locations { nodes { id } } }", NULL, 200);
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "first or last");
    cJSON_Delete(v);
    v = ms_gql(&s, "2026-10", "query Q($id: ID!) { inventoryItem(id: $id) { sku } }", NULL, 200);
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "Variable $id of type ID!");
    cJSON_Delete(v);
    v = ms_gql(&s, "2026-10", "{ inventoryItem(id: \"nope\") { sku } }", NULL, 200);
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "Invalid global id");
    EXPECT_TRUE(cJSON_IsNull(jp(v, "data.inventoryItem")));
    cJSON_Delete(v);
    v = ms_gql(&s, "2026-10", "subscription { shop { name } }", NULL, 200);
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "Subscriptions");
    cJSON_Delete(v);
    v = ms_json(&s, "POST", MS_API "/graphql.json", "{\"variables\":{}}", 400);
    EXPECT_EQ_STR(jstring(v, "errors.query"), "Required parameter missing or invalid");
    cJSON_Delete(v);
    /* Fragments spreading each other twice over would expand 2^30 times:
     * refused as too complex, quickly. */
    char bomb[4096];
    size_t k = (size_t)snprintf(bomb, sizeof bomb, "{ ...F0 }");
    for (int i = 0; i < 30; i++)
        k += (size_t)snprintf(bomb + k, sizeof bomb - k, " fragment F%d on QueryRoot { ...F%d ...F%d }", i,
                              i + 1, i + 1);
    snprintf(bomb + k, sizeof bomb - k, " fragment F30 on QueryRoot { shop { name } }");
    v = ms_gql(&s, "2026-10", bomb, NULL, 200);
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "more than");
    cJSON_Delete(v);
    /* __typename, @skip/@include and a missing item answer null, not an error. */
    v = ms_gql(&s, "2026-10",
               "query($no: Boolean!) { __typename shop { __typename name @skip(if: $no) id @include(if: $no) }"
               " inventoryItem(id: \"gid://shopify/InventoryItem/5\") { sku } }",
               "{\"no\":true}", 200);
    EXPECT_EQ_STR(jstring(v, "data.__typename"), "QueryRoot");
    EXPECT_TRUE(jp(v, "data.shop.name") == NULL);
    EXPECT_TRUE(jp(v, "data.shop.id") != NULL);
    EXPECT_TRUE(cJSON_IsNull(jp(v, "data.inventoryItem")));
    cJSON_Delete(v);
    e2e_stop(&s);
}

/* agql_execute (what the mutation fuzz target drives) answers as POST
 * graphql.json does, extensions aside: the same world (the rig's config and
 * order) and the same requests give the same bytes, applied, replayed,
 * stale and refused alike, and leave the same levels. */
TEST(mock_shopify, graphql_execute_answers_as_the_endpoint)
{
    e2e_server s;
    e2e_start_config(&s, "mock-shopify", SHOPIFY_RIG_CONFIG, NULL);
    cJSON_Delete(e2e_expect(&s, "POST", "/_mock/checkout", NULL, SHOPIFY_RIG_CHECKOUT, 200, 1));
    shopify_rig rig;
    shopify_rig_open(&rig);
    const char *set =
        "mutation Set($set: InventorySetQuantitiesInput!, $key: String!) {"
        " inventorySetQuantities(input: $set) @idempotent(key: $key) {"
        " inventoryAdjustmentGroup { reason referenceDocumentUri changes { name delta"
        " quantityAfterChange item { id sku } location { id name } } }"
        " userErrors { field message code } } }";
    const char *read = "{ inventoryItem(id: \"gid://shopify/InventoryItem/47000000000002\") {"
                       " inventoryLevels(first: 5) { nodes { location { name }"
                       " quantities(names: [\"available\", \"committed\", \"on_hand\"]) { name quantity } } } } }";
#define TEE_M_WEST(q, from)                                                                        \
    "{\"set\":{\"name\":\"available\",\"reason\":\"correction\",\"referenceDocumentUri\":"             \
    "\"logistics://rig/1\",\"quantities\":[{\"inventoryItemId\":"                                    \
    "\"gid://shopify/InventoryItem/47000000000002\",\"locationId\":\"gid://shopify/Location/61000000002\"," \
    "\"quantity\":" q ",\"changeFromQuantity\":" from "}]},\"key\":\"k1\"}"
    static const struct {
        const char *what, *vars;
    } cases[] = {
        {"applied", TEE_M_WEST("30", "25")},
        {"replayed", TEE_M_WEST("30", "25")},
        {"key reused", TEE_M_WEST("31", "30")},
        {"stale", "{\"set\":{\"name\":\"available\",\"reason\":\"correction\",\"quantities\":[{"
                  "\"inventoryItemId\":\"gid://shopify/InventoryItem/47000000000002\",\"locationId\":"
                  "\"gid://shopify/Location/61000000002\",\"quantity\":1,\"changeFromQuantity\":25}]},"
                  "\"key\":\"k2\"}"},
        {"refused", "{\"set\":{\"name\":\"available\",\"reason\":\"correction\"},\"key\":\"k3\"}"},
        {"no variables", NULL},
    };
#undef TEE_M_WEST
    for (size_t i = 0; i <= sizeof cases / sizeof cases[0]; i++) {
        int last = i == sizeof cases / sizeof cases[0]; /* then the levels both left */
        const char *q = last ? read : set, *vars = last ? NULL : cases[i].vars;
        cJSON *http = ms_gql(&s, "2026-10", q, vars, 200);
        cJSON_DeleteItemFromObjectCaseSensitive(http, "extensions");
        cJSON *v = vars ? json_parse(vars, strlen(vars), NULL) : NULL;
        cJSON *direct = agql_execute(rig.g, NULL, "2026-10", q, strlen(q), v, NULL);
        /* Each named, so a failure says which case it was. */
        char *ta = json_print(http), *tb = json_print(direct);
        const char *what = last ? "levels" : cases[i].what;
        char *a = xasprintf("%s: %s", what, ta), *b = xasprintf("%s: %s", what, tb);
        EXPECT_EQ_STR(b, a);
        free(ta);
        free(tb);
        free(a);
        free(b);
        cJSON_Delete(v);
        cJSON_Delete(direct);
        cJSON_Delete(http);
    }
    EXPECT_TRUE(agql_execute(rig.g, "nope.myshopify.com", "2026-10", read, strlen(read), NULL,
                             NULL) == NULL);
    shopify_rig_close(&rig);
    e2e_stop(&s);
}
