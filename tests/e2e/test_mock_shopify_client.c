/* Shopify's own JavaScript libraries against mock-shopify, from the pinned
 * test tools (tests/tools, installed by scripts/deps.sh --test; nothing is
 * downloaded at test time):
 * - @shopify/admin-api-client (tests/clients/shopify_client.mjs) runs
 *   inventory reads and both mutations, fulfilment through fulfillment
 *   orders with a hold, a version fall-forward and a 429; the test then
 *   checks that the mock's journal and state agree with what it saw;
 * - @shopify/shopify-api's webhook validation (shopify_webhooks.mjs)
 *   accepts the mock's signed deliveries and refuses tampered ones.
 * Without node or the packages the tests fail: they never skip. */
#include "mock_shopify_test.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TEST_T(mock_shopify, real_client_admin_api_client, 300)
{
    e2e_server s;
    const char *args[] = {"--time-scale", "20", NULL};
    e2e_start(&s, "mock-shopify", args);
    char a[300];
    snprintf(a, sizeof a, "--url http://127.0.0.1:%u --token " MS_TOKEN " --version 2026-10 --time-scale 20",
             s.port);
    int code;
    char *out = e2e_node("tests/clients/shopify_client.mjs", a, &code);
    EXPECT_EQ_INT(code, 0);
    EXPECT_CONTAINS(out, "rest products: 5 (next page linked)");
    EXPECT_CONTAINS(out, "graphql write: available=57 userErrors=0");
    EXPECT_CONTAINS(out, "graphql stale: CHANGE_FROM_QUANTITY_STALE");
    EXPECT_CONTAINS(out, "rest set: available=42");
    EXPECT_CONTAINS(out, "graphql adjust: available=47");
    EXPECT_CONTAINS(out, "graphql product: title=Client title status=DRAFT price=12.34");
    EXPECT_CONTAINS(out, "fulfilment: hold refused, released, partial 1 then 2");
    EXPECT_CONTAINS(out, "version 2020-01: served by 2026-01");
    EXPECT_CONTAINS(out, "version 2099-01: served by 2026-01");
    EXPECT_CONTAINS(out, "recovered");
    EXPECT_CONTAINS(out, "\nok\n");
    free(out);
    /* What the client did is what the mock recorded. */
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(ms_journal_count(j, "inventory", "by", "graphql_set"), 1);
    EXPECT_EQ_INT(ms_journal_count(j, "inventory", "by", "graphql_adjust"), 1);
    EXPECT_EQ_INT(ms_journal_count(j, "inventory", "by", "set"), 1);
    /* productUpdate (title, DRAFT), productVariantsBulkUpdate, productUpdate (ACTIVE again). */
    EXPECT_EQ_INT(ms_journal_count(j, "product_updated", "by", "demo.myshopify.com#0"), 3);
    EXPECT_EQ_INT(ms_journal_count(j, "fulfillment_order_hold", "reason", "INVENTORY_OUT_OF_STOCK"), 1);
    EXPECT_EQ_INT(ms_journal_count(j, "fulfillment_order_release", NULL, NULL), 1);
    EXPECT_EQ_INT(ms_journal_count(j, "fulfillment", "tracking_company", "UPS"), 2);
    EXPECT_EQ_INT(ms_journal_count(j, "request", "path", "/admin/api/2020-01/graphql.json"), 1);
    EXPECT_EQ_INT(ms_journal_count(j, "request", "path", "/admin/api/2099-01/graphql.json"), 1);
    EXPECT_GE_INT(ms_journal_count(j, "request", "status", "429"), 1);
    cJSON_Delete(j);
    cJSON *state = e2e_expect(&s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    /* 47 after the adjust, less the 3 the shopper bought (shipped since). */
    EXPECT_EQ_INT(jnumber(state, "shops[0].levels[0].available"), 44);
    EXPECT_EQ_INT(jnumber(state, "shops[0].levels[0].committed"), 0);
    EXPECT_EQ_STR(jstring(state, "shops[0].orders[0].fulfillment_status"), "fulfilled");
    EXPECT_EQ_INT(jnumber(state, "shops[0].orders[0].lines[0].fulfilled"), 3);
    cJSON_Delete(state);
    e2e_stop(&s);
}

TEST_T(mock_shopify, real_library_validates_webhooks, 120)
{
    e2e_server s;
    e2e_start(&s, "mock-shopify", NULL);
    char a[300];
    snprintf(a, sizeof a, "--url http://127.0.0.1:%u --token " MS_TOKEN " --secret demo-secret", s.port);
    int code;
    char *out = e2e_node("tests/clients/shopify_webhooks.mjs", a, &code);
    EXPECT_EQ_INT(code, 0);
    EXPECT_CONTAINS(out, "validated: 2 deliveries (ORDERS_CREATE, ORDERS_PAID) accepted by shopify-api");
    EXPECT_CONTAINS(out, "refused: a changed body, another secret");
    EXPECT_CONTAINS(out, "\nok\n");
    free(out);
    /* The deliveries it validated are the ones the mock sent and saw
     * acknowledged. */
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(ms_journal_count(j, "subscription_created", "reason", "api"), 2);
    EXPECT_EQ_INT(ms_journal_count(j, "webhook_attempt", "status", NULL), 2);
    cJSON_Delete(j);
    e2e_stop(&s);
}
