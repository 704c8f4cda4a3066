/* mock-shopify's GraphQL for an orders app: the orders query and its
 * search filters, fulfillment orders with holds and partial fulfilments
 * through fulfillmentCreate, webhook subscriptions, and bulk queries with
 * their JSONL result and bulk_operations/finish webhook. Each behaviour
 * has its refusal beside it. */
#include "mock_shopify_test.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V "2026-10"

/* The gid of order id's first fulfillment order and of its line i. */
static void first_fo(e2e_server *s, long long id, char *fo, size_t n, char *line0, size_t m)
{
    char q[400];
    snprintf(q, sizeof q,
             "{ order(id: \"gid://shopify/Order/%lld\") { fulfillmentOrders(first: 5) { nodes { id"
             " lineItems(first: 5) { nodes { id } } } } } }",
             id);
    cJSON *v = ms_gql(s, V, q, NULL, 200);
    snprintf(fo, n, "%s", jstring(v, "data.order.fulfillmentOrders.nodes[0].id"));
    snprintf(line0, m, "%s", jstring(v, "data.order.fulfillmentOrders.nodes[0].lineItems.nodes[0].id"));
    cJSON_Delete(v);
}

static cJSON *fulfil(e2e_server *s, const char *fo, const char *line, int qty)
{
    char q[900];
    if (line)
        snprintf(q, sizeof q,
                 "mutation { fulfillmentCreate(fulfillment: {notifyCustomer: false, trackingInfo:"
                 " {number: \"TRK-1\", company: \"UPS\"}, lineItemsByFulfillmentOrder: [{fulfillmentOrderId:"
                 " \"%s\", fulfillmentOrderLineItems: [{id: \"%s\", quantity: %d}]}]}) { fulfillment { id"
                 " status trackingInfo { number company } fulfillmentLineItems(first: 5) { nodes {"
                 " quantity } } } userErrors { field message } } }",
                 fo, line, qty);
    else
        snprintf(q, sizeof q,
                 "mutation { fulfillmentCreate(fulfillment: {lineItemsByFulfillmentOrder: [{"
                 "fulfillmentOrderId: \"%s\"}]}) { fulfillment { id } userErrors { field message } } }",
                 fo);
    return ms_gql(s, V, q, NULL, 200);
}

static const char *fo_status(e2e_server *s, const char *fo, char *buf, size_t n)
{
    char q[300];
    snprintf(q, sizeof q, "{ fulfillmentOrder(id: \"%s\") { status } }", fo);
    cJSON *v = ms_gql(s, V, q, NULL, 200);
    snprintf(buf, n, "%s", jstring(v, "data.fulfillmentOrder.status"));
    cJSON_Delete(v);
    return buf;
}

TEST(mock_shopify, graphql_fulfillment_orders_holds_and_partial)
{
    e2e_server s;
    e2e_start(&s, "mock-shopify", NULL);
    long long id = ms_checkout(&s, "DEMO-003", 4);
    char fo[96], line[96], st[32], q[600];
    first_fo(&s, id, fo, sizeof fo, line, sizeof line);
    EXPECT_CONTAINS(fo, "gid://shopify/FulfillmentOrder/");
    EXPECT_EQ_STR(fo_status(&s, fo, st, sizeof st), "OPEN");

    /* Held: fulfilment is refused with a user error naming the entry. */
    snprintf(q, sizeof q,
             "mutation { fulfillmentOrderHold(id: \"%s\", fulfillmentHold: {reason: INVENTORY_OUT_OF_STOCK,"
             " reasonNotes: \"awaiting stock\"}) { fulfillmentHold { id reason reasonNotes } fulfillmentOrder"
             " { status supportedActions { action } } userErrors { field message code } } }",
             fo);
    cJSON *v = ms_gql(&s, V, q, NULL, 200);
    EXPECT_EQ_STR(jstring(v, "data.fulfillmentOrderHold.fulfillmentHold.reason"), "INVENTORY_OUT_OF_STOCK");
    EXPECT_EQ_STR(jstring(v, "data.fulfillmentOrderHold.fulfillmentOrder.status"), "ON_HOLD");
    EXPECT_EQ_STR(jstring(v, "data.fulfillmentOrderHold.fulfillmentOrder.supportedActions[0].action"),
                  "RELEASE_HOLD");
    cJSON_Delete(v);
    v = fulfil(&s, fo, line, 1);
    EXPECT_TRUE(cJSON_IsNull(jp(v, "data.fulfillmentCreate.fulfillment")));
    EXPECT_CONTAINS(jstring(v, "data.fulfillmentCreate.userErrors[0].message"), "ON_HOLD");
    EXPECT_EQ_STR(jstring(v, "data.fulfillmentCreate.userErrors[0].field[1]"), "lineItemsByFulfillmentOrder");
    cJSON_Delete(v);
    /* A second hold with the same handle (none: "") is taken; an unknown
     * reason is a GraphQL error (an enum). */
    static const char *const reasons[] = {"OTHER", "SOLD_OUT"};
    for (int i = 0; i < 2; i++) {
        snprintf(q, sizeof q,
                 "mutation { fulfillmentOrderHold(id: \"%s\", fulfillmentHold: {reason: %s}) {"
                 " fulfillmentHold { id } userErrors { field code } } }",
                 fo, reasons[i]);
        v = ms_gql(&s, V, q, NULL, 200);
        if (i == 0) {
            EXPECT_EQ_STR(jstring(v, "data.fulfillmentOrderHold.userErrors[0].code"), "TAKEN");
            EXPECT_EQ_STR(jstring(v, "data.fulfillmentOrderHold.userErrors[0].field[1]"), "handle");
        } else {
            EXPECT_CONTAINS(jstring(v, "errors[0].message"), "FulfillmentHoldReason");
        }
        cJSON_Delete(v);
    }
    snprintf(q, sizeof q,
             "mutation { fulfillmentOrderReleaseHold(id: \"%s\") { fulfillmentOrder { status }"
             " userErrors { code } } }",
             fo);
    v = ms_gql(&s, V, q, NULL, 200);
    EXPECT_EQ_STR(jstring(v, "data.fulfillmentOrderReleaseHold.fulfillmentOrder.status"), "OPEN");
    cJSON_Delete(v);
    v = ms_gql(&s, V,
               "mutation { fulfillmentOrderReleaseHold(id: \"gid://shopify/FulfillmentOrder/1\") {"
               " userErrors { field code } } }",
               NULL, 200);
    EXPECT_EQ_STR(jstring(v, "data.fulfillmentOrderReleaseHold.userErrors[0].code"),
                  "FULFILLMENT_ORDER_NOT_FOUND");
    cJSON_Delete(v);

    /* Partial: 1 of 4 shipped, the rest stays open on the same order. */
    v = fulfil(&s, fo, line, 1);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.fulfillmentCreate.userErrors")), 0);
    EXPECT_EQ_STR(jstring(v, "data.fulfillmentCreate.fulfillment.status"), "SUCCESS");
    EXPECT_EQ_STR(jstring(v, "data.fulfillmentCreate.fulfillment.trackingInfo[0].number"), "TRK-1");
    EXPECT_EQ_INT(jnumber(v, "data.fulfillmentCreate.fulfillment.fulfillmentLineItems.nodes[0].quantity"), 1);
    cJSON_Delete(v);
    EXPECT_EQ_STR(fo_status(&s, fo, st, sizeof st), "IN_PROGRESS");
    v = fulfil(&s, fo, line, 4);
    EXPECT_CONTAINS(jstring(v, "data.fulfillmentCreate.userErrors[0].message"), "3 remaining");
    cJSON_Delete(v);
    v = fulfil(&s, "gid://shopify/FulfillmentOrder/1", NULL, 0);
    EXPECT_CONTAINS(jstring(v, "data.fulfillmentCreate.userErrors[0].message"), "does not exist");
    cJSON_Delete(v);
    v = fulfil(&s, fo, NULL, 0);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.fulfillmentCreate.userErrors")), 0);
    cJSON_Delete(v);
    EXPECT_EQ_STR(fo_status(&s, fo, st, sizeof st), "CLOSED");
    /* Closed fulfillment orders are left out unless asked for. */
    snprintf(q, sizeof q,
             "{ order(id: \"gid://shopify/Order/%lld\") { displayFulfillmentStatus fulfillments(first: 5)"
             " { id } open: fulfillmentOrders(first: 5) { nodes { id } } all: fulfillmentOrders(first: 5,"
             " includeClosed: true) { nodes { id } } } }",
             id);
    v = ms_gql(&s, V, q, NULL, 200);
    EXPECT_EQ_STR(jstring(v, "data.order.displayFulfillmentStatus"), "FULFILLED");
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.order.fulfillments")), 2);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.order.open.nodes")), 0);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.order.all.nodes")), 1);
    cJSON_Delete(v);
    /* A misspelt input field is a GraphQL error, nothing fulfilled. */
    v = ms_gql(&s, V,
               "mutation { fulfillmentCreate(fulfillment: {lineItemsByFulfillmentOrder: [], tracking:"
               " {number: \"x\"}}) { userErrors { message } } }",
               NULL, 200);
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "'tracking'");
    cJSON_Delete(v);
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(ms_journal_count(j, "fulfillment", NULL, NULL), 2);
    cJSON_Delete(j);
    e2e_stop(&s);
}

/* Who cancelled order id, as mock-shopify's order_cancelled entry says
 * ("" when none says). */
static const char *cancelled_by(e2e_server *s, long long id)
{
    static char by[16];
    by[0] = '\0';
    cJSON *j = e2e_journal(s);
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "kind");
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(e, "order_id");
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(e, "by");
        if (cJSON_IsString(k) && strcmp(k->valuestring, "order_cancelled") == 0 &&
            cJSON_IsNumber(o) && (long long)o->valuedouble == id && cJSON_IsString(b))
            snprintf(by, sizeof by, "%s", b->valuestring);
    }
    cJSON_Delete(j);
    return by;
}

TEST(mock_shopify, graphql_orders_query_filters_and_pages)
{
    e2e_server s;
    e2e_start(&s, "mock-shopify", NULL);
    long long a = ms_checkout(&s, "DEMO-001", 1);
    long long b = ms_checkout(&s, "DEMO-002", 2);
    char body[200];
    snprintf(body, sizeof body, "{\"order_id\":%lld}", a);
    cJSON *x = e2e_expect(&s, "POST", "/_mock/cancel", NULL, body, 200, 1);
    cJSON_Delete(x);
    EXPECT_EQ_STR(cancelled_by(&s, a), "shopper");
    cJSON *v = ms_gql(&s, V,
                      "{ orders(first: 1, query: \"financial_status:paid updated_at:>'2000-01-01T00:00:00Z'\")"
                      " { nodes { id name displayFinancialStatus cancelledAt totalPriceSet { shopMoney {"
                      " amount currencyCode } } lineItems(first: 5) { nodes { sku quantity"
                      " unfulfilledQuantity } } } pageInfo { hasNextPage endCursor } } }",
                      NULL, 200);
    /* The cancelled order was refunded: only the other one is paid. */
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.orders.nodes")), 1);
    char want[64];
    snprintf(want, sizeof want, "gid://shopify/Order/%lld", b);
    EXPECT_EQ_STR(jstring(v, "data.orders.nodes[0].id"), want);
    EXPECT_EQ_STR(jstring(v, "data.orders.nodes[0].displayFinancialStatus"), "PAID");
    EXPECT_EQ_STR(jstring(v, "data.orders.nodes[0].totalPriceSet.shopMoney.amount"), "30.00");
    EXPECT_EQ_STR(jstring(v, "data.orders.nodes[0].lineItems.nodes[0].sku"), "DEMO-002");
    EXPECT_EQ_INT(jnumber(v, "data.orders.nodes[0].lineItems.nodes[0].unfulfilledQuantity"), 2);
    cJSON_Delete(v);
    /* Pages by cursor; a date in the future matches nothing. */
    v = ms_gql(&s, V, "{ orders(first: 1) { nodes { id } pageInfo { hasNextPage endCursor } } }", NULL, 200);
    EXPECT_TRUE(cJSON_IsTrue(jp(v, "data.orders.pageInfo.hasNextPage")));
    char q[300];
    snprintf(q, sizeof q, "{ orders(first: 1, after: \"%s\") { nodes { id } pageInfo { hasNextPage } } }",
             jstring(v, "data.orders.pageInfo.endCursor"));
    cJSON_Delete(v);
    v = ms_gql(&s, V, q, NULL, 200);
    EXPECT_EQ_STR(jstring(v, "data.orders.nodes[0].id"), want);
    EXPECT_TRUE(cJSON_IsFalse(jp(v, "data.orders.pageInfo.hasNextPage")));
    cJSON_Delete(v);
    v = ms_gql(&s, V, "{ orders(first: 5, query: \"created_at:>='2099-01-01'\") { nodes { id } } }", NULL, 200);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.orders.nodes")), 0);
    cJSON_Delete(v);
    /* first is required, as on every connection; cost counts it. */
    v = ms_gql(&s, V, "{ orders(query: \"status:open\") { nodes { id } } }", NULL, 200);
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "first or last");
    cJSON_Delete(v);
    v = ms_gql(&s, V, "{ orders(first: 10) { nodes { id } } }", NULL, 200);
    EXPECT_EQ_INT(jnumber(v, "extensions.cost.requestedQueryCost"), 12);
    EXPECT_EQ_INT(jnumber(v, "extensions.cost.actualQueryCost"), 4);
    cJSON_Delete(v);
    e2e_stop(&s);
}

TEST(mock_shopify, graphql_webhook_subscriptions_and_bulk)
{
    ms_receiver *rc = ms_receiver_start(200);
    e2e_server s;
    e2e_start(&s, "mock-shopify", NULL);
    ms_checkout(&s, "DEMO-004", 2);
    char q[900];
    snprintf(q, sizeof q,
             "mutation { webhookSubscriptionCreate(topic: BULK_OPERATIONS_FINISH, webhookSubscription:"
             " {uri: \"%s\", format: JSON}) { webhookSubscription { id topic uri format apiVersion {"
             " handle } } userErrors { field message } } }",
             ms_receiver_url(rc));
    cJSON *v = ms_gql(&s, V, q, NULL, 200);
    EXPECT_EQ_STR(jstring(v, "data.webhookSubscriptionCreate.webhookSubscription.topic"),
                  "BULK_OPERATIONS_FINISH");
    EXPECT_EQ_STR(jstring(v, "data.webhookSubscriptionCreate.webhookSubscription.apiVersion.handle"), V);
    char sub[96];
    snprintf(sub, sizeof sub, "%s", jstring(v, "data.webhookSubscriptionCreate.webhookSubscription.id"));
    cJSON_Delete(v);
    /* The same address for the same topic twice, a bad address, an
     * unknown topic: refused. */
    v = ms_gql(&s, V, q, NULL, 200);
    EXPECT_CONTAINS(jstring(v, "data.webhookSubscriptionCreate.userErrors[0].message"), "taken");
    cJSON_Delete(v);
    v = ms_gql(&s, V,
               "mutation { webhookSubscriptionCreate(topic: ORDERS_PAID, webhookSubscription: {uri:"
               " \"ftp://x\"}) { userErrors { field message } } }",
               NULL, 200);
    EXPECT_EQ_STR(jstring(v, "data.webhookSubscriptionCreate.userErrors[0].message"), "Address is invalid");
    cJSON_Delete(v);
    v = ms_gql(&s, V,
               "mutation { webhookSubscriptionCreate(topic: ORDERS_EXPLODED, webhookSubscription: {uri:"
               " \"http://127.0.0.1:9/h\"}) { userErrors { message } } }",
               NULL, 200);
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "WebhookSubscriptionTopic");
    cJSON_Delete(v);
    v = ms_gql(&s, V, "{ webhookSubscriptions(first: 10, topics: [BULK_OPERATIONS_FINISH]) { nodes { id uri } } }",
               NULL, 200);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.webhookSubscriptions.nodes")), 1);
    cJSON_Delete(v);

    /* A bulk query: CREATED in the answer, then COMPLETED with a JSONL
     * file (children on their own lines with __parentId) and the finish
     * webhook. */
    v = ms_gql(&s, V,
               "mutation { bulkOperationRunQuery(query: \"{ orders { edges { node { id name lineItems {"
               " edges { node { sku quantity } } } } } } }\") { bulkOperation { id status } userErrors {"
               " field message code } } }",
               NULL, 200);
    EXPECT_EQ_STR(jstring(v, "data.bulkOperationRunQuery.bulkOperation.status"), "CREATED");
    char bulk[96];
    snprintf(bulk, sizeof bulk, "%s", jstring(v, "data.bulkOperationRunQuery.bulkOperation.id"));
    cJSON_Delete(v);
    v = ms_gql(&s, V, "{ currentBulkOperation { id status objectCount rootObjectCount url } }", NULL, 200);
    EXPECT_EQ_STR(jstring(v, "data.currentBulkOperation.id"), bulk);
    EXPECT_EQ_STR(jstring(v, "data.currentBulkOperation.status"), "COMPLETED");
    EXPECT_EQ_STR(jstring(v, "data.currentBulkOperation.objectCount"), "2");
    EXPECT_EQ_STR(jstring(v, "data.currentBulkOperation.rootObjectCount"), "1");
    const char *url = jstring(v, "data.currentBulkOperation.url");
    const char *path = strstr(url, "/bulk-results/");
    EXPECT_TRUE(path != NULL);
    httpc_resp r = ms_call(&s, "GET", path, NULL, NULL, NULL);
    EXPECT_EQ_INT(r.status, 200);
    EXPECT_CONTAINS(r.body, "{\"id\":\"gid://shopify/Order/5800000000001\",\"name\":\"#1001\"}\n");
    EXPECT_CONTAINS(r.body, "\"sku\":\"DEMO-004\",\"quantity\":2,\"__parentId\":\"gid://shopify/Order/5800000000001\"}\n");
    httpc_resp_free(&r);
    cJSON_Delete(v);
    snprintf(q, sizeof q, "{ bulkOperation(id: \"%s\") { status } }", bulk);
    v = ms_gql(&s, V, q, NULL, 200);
    EXPECT_EQ_STR(jstring(v, "data.bulkOperation.status"), "COMPLETED");
    cJSON_Delete(v);
    EXPECT_EQ_INT(ms_receiver_wait(rc, 1, 5000), 1);
    ms_delivery d = ms_receiver_get(rc, 0);
    EXPECT_EQ_STR(d.topic, "bulk_operations/finish");
    EXPECT_CONTAINS(d.body, "\"status\":\"completed\"");
    EXPECT_CONTAINS(d.body, bulk);
    ms_delivery_free(&d);
    /* Inventory levels in bulk; a query that is not one connection is
     * refused with a user error. */
    v = ms_gql(&s, V,
               "mutation { bulkOperationRunQuery(query: \"{ inventoryItems { edges { node { id sku"
               " inventoryLevels { edges { node { quantities(names: [\\\"available\\\"]) { name quantity"
               " } } } } } } } }\") { bulkOperation { id } userErrors { code } } }",
               NULL, 200);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.bulkOperationRunQuery.userErrors")), 0);
    cJSON_Delete(v);
    v = ms_gql(&s, V, "{ currentBulkOperation { objectCount } }", NULL, 200);
    EXPECT_EQ_STR(jstring(v, "data.currentBulkOperation.objectCount"), "20");
    cJSON_Delete(v);
    v = ms_gql(&s, V,
               "mutation { bulkOperationRunQuery(query: \"{ shop { name } }\") { bulkOperation { id }"
               " userErrors { field code message } } }",
               NULL, 200);
    EXPECT_EQ_STR(jstring(v, "data.bulkOperationRunQuery.userErrors[0].code"), "INVALID");
    EXPECT_TRUE(cJSON_IsNull(jp(v, "data.bulkOperationRunQuery.bulkOperation")));
    cJSON_Delete(v);
    snprintf(q, sizeof q,
             "mutation { webhookSubscriptionDelete(id: \"%s\") { deletedWebhookSubscriptionId userErrors"
             " { message } } }",
             sub);
    v = ms_gql(&s, V, q, NULL, 200);
    EXPECT_EQ_STR(jstring(v, "data.webhookSubscriptionDelete.deletedWebhookSubscriptionId"), sub);
    cJSON_Delete(v);
    v = ms_gql(&s, V, q, NULL, 200);
    EXPECT_CONTAINS(jstring(v, "data.webhookSubscriptionDelete.userErrors[0].message"), "does not exist");
    cJSON_Delete(v);
    e2e_stop(&s);
    ms_receiver_stop(rc);
}

/* The journal entries of kind with "template" tmpl (NULL: any) for order
 * id. */
static int journal_count(e2e_server *s, const char *kind, const char *tmpl, long long id)
{
    cJSON *j = e2e_journal(s);
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "kind");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "template");
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(e, "order_id");
        if (cJSON_IsString(k) && strcmp(k->valuestring, kind) == 0 && cJSON_IsNumber(o) &&
            (long long)o->valuedouble == id &&
            (!tmpl || (cJSON_IsString(t) && strcmp(t->valuestring, tmpl) == 0)))
            n++;
    }
    cJSON_Delete(j);
    return n;
}

/* The demo shop's available units of sku, summed over its locations. */
static int available_units(e2e_server *s, const char *sku)
{
    cJSON *st = e2e_expect(s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    int n = 0;
    const cJSON *l;
    cJSON_ArrayForEach(l, jp(st, "shops[0].levels"))
    {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(l, "sku");
        if (cJSON_IsString(k) && strcmp(k->valuestring, sku) == 0)
            n += (int)jnumber(l, "available");
    }
    cJSON_Delete(st);
    return n;
}

static cJSON *cancel_at(e2e_server *s, const char *version, long long id, const char *args)
{
    char q[700];
    snprintf(q, sizeof q,
             "mutation { orderCancel(orderId: \"gid://shopify/Order/%lld\", %s) { job { id done }"
             " orderCancelUserErrors { field message code } } }",
             id, args);
    return ms_gql(s, version, q, NULL, 200);
}

TEST(mock_shopify, graphql_order_cancel_and_customer_notifications)
{
    e2e_server s;
    e2e_start(&s, "mock-shopify", NULL);
    /* A fulfilment with notifyCustomer records one shipping confirmation;
     * one without records none. */
    long long shipped = ms_checkout(&s, "DEMO-003", 2), quiet = ms_checkout(&s, "DEMO-003", 1);
    char fo[96], line[96], q[700];
    first_fo(&s, shipped, fo, sizeof fo, line, sizeof line);
    snprintf(q, sizeof q,
             "mutation { fulfillmentCreate(fulfillment: {notifyCustomer: true,"
             " lineItemsByFulfillmentOrder: [{fulfillmentOrderId: \"%s\"}]}) { fulfillment { id }"
             " userErrors { message } } }",
             fo);
    cJSON *v = ms_gql(&s, V, q, NULL, 200);
    EXPECT_CONTAINS(jstring(v, "data.fulfillmentCreate.fulfillment.id"), "gid://shopify/Fulfillment/");
    cJSON_Delete(v);
    EXPECT_EQ_INT(journal_count(&s, "notification", "shipping_confirmation", shipped), 1);
    first_fo(&s, quiet, fo, sizeof fo, line, sizeof line);
    cJSON_Delete(fulfil(&s, fo, NULL, 0));
    EXPECT_EQ_INT(journal_count(&s, "notification", NULL, quiet), 0);

    /* orderCancel at 2026-10: the order is cancelled, its units restocked,
     * orders/cancelled queued, and the customer's email recorded once. */
    long long id = ms_checkout(&s, "DEMO-001", 3);
    int before = available_units(&s, "DEMO-001");
    v = cancel_at(&s, V, id, "reason: INVENTORY, restock: true, notifyCustomer: true,"
                             " staffNote: \"Cin7 voided the sale\"");
    EXPECT_CONTAINS(jstring(v, "data.orderCancel.job.id"), "gid://shopify/Job/");
    EXPECT_TRUE(cJSON_IsTrue(jp(v, "data.orderCancel.job.done")));
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.orderCancel.orderCancelUserErrors")), 0);
    cJSON_Delete(v);
    EXPECT_EQ_INT(available_units(&s, "DEMO-001"), before + 3);
    snprintf(q, sizeof q, "{ order(id: \"gid://shopify/Order/%lld\") { cancelledAt cancelReason } }",
             id);
    v = ms_gql(&s, V, q, NULL, 200);
    EXPECT_TRUE(cJSON_IsString(jp(v, "data.order.cancelledAt")));
    EXPECT_EQ_STR(jstring(v, "data.order.cancelReason"), "INVENTORY");
    cJSON_Delete(v);
    EXPECT_EQ_INT(journal_count(&s, "notification", "order_cancelled", id), 1);
    EXPECT_EQ_INT(journal_count(&s, "order_cancelled", NULL, id), 1);
    EXPECT_EQ_STR(cancelled_by(&s, id), "api");

    /* A second cancel is refused, and no second email. */
    v = cancel_at(&s, V, id, "reason: OTHER, restock: true, notifyCustomer: true");
    EXPECT_EQ_STR(jstring(v, "data.orderCancel.orderCancelUserErrors[0].code"), "INVALID");
    EXPECT_EQ_STR(jstring(v, "data.orderCancel.orderCancelUserErrors[0].field[0]"), "orderId");
    EXPECT_TRUE(cJSON_IsNull(jp(v, "data.orderCancel.job")));
    cJSON_Delete(v);
    EXPECT_EQ_INT(journal_count(&s, "notification", "order_cancelled", id), 1);
    /* No such order; no email asked for. */
    v = cancel_at(&s, V, 999999, "reason: OTHER, restock: false");
    EXPECT_EQ_STR(jstring(v, "data.orderCancel.orderCancelUserErrors[0].code"), "NOT_FOUND");
    cJSON_Delete(v);
    long long other = ms_checkout(&s, "DEMO-001", 1);
    v = cancel_at(&s, V, other, "reason: CUSTOMER, restock: true, refundMethod:"
                                " {originalPaymentMethodsRefund: true}");
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.orderCancel.orderCancelUserErrors")), 0);
    cJSON_Delete(v);
    EXPECT_EQ_INT(journal_count(&s, "notification", NULL, other), 0);

    /* A reason that is no OrderCancelReason; restock missing. */
    long long odd = ms_checkout(&s, "DEMO-001", 1);
    v = cancel_at(&s, V, odd, "reason: LOST_IN_POST, restock: true");
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "OrderCancelReason");
    cJSON_Delete(v);
    v = cancel_at(&s, V, odd, "reason: OTHER");
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "missing required arguments: restock");
    cJSON_Delete(v);
    EXPECT_EQ_INT(journal_count(&s, "order_cancelled", NULL, odd), 0);
    e2e_stop(&s);

    /* Before 2025-07 (served only when configured as supported): refund is
     * required and refundMethod does not exist. */
    static const char cfg[] =
        "{\"versions\":{\"supported\":[\"2025-04\",\"2026-10\"]},"
        "\"shops\":[{\"domain\":\"demo.myshopify.com\",\"access_token\":\"shpat_demo\","
        "\"app_secret\":\"s\",\"products\":[{\"title\":\"A\",\"variants\":[{\"sku\":\"DEMO-001\","
        "\"available\":100}]}]}]}";
    e2e_start_config(&s, "mock-shopify", cfg, NULL);
    long long old = ms_checkout(&s, "DEMO-001", 1);
    v = cancel_at(&s, "2025-04", old, "reason: OTHER, restock: true");
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "missing required arguments: refund");
    cJSON_Delete(v);
    v = cancel_at(&s, "2025-04", old, "reason: OTHER, restock: true, refund: true, refundMethod:"
                                      " {originalPaymentMethodsRefund: true}");
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "doesn't accept argument 'refundMethod'");
    cJSON_Delete(v);
    EXPECT_EQ_INT(journal_count(&s, "order_cancelled", NULL, old), 0);
    v = cancel_at(&s, "2025-04", old, "reason: OTHER, restock: true, refund: false");
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.orderCancel.orderCancelUserErrors")), 0);
    cJSON_Delete(v);
    EXPECT_EQ_INT(journal_count(&s, "order_cancelled", NULL, old), 1);
    e2e_stop(&s);
}
