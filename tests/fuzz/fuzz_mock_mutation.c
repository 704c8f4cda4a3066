/* Fuzz target for mock-shopify's readers of GraphQL mutation input
 * (mocks/shopify/admin_gql.c, gql_orders.c, gql_products.c). Those readers check their
 * input while they change the world, so the target runs them: the input is
 * a JSON "variables" object, and a fixed list of mutation documents, one
 * per mutation, runs with it through agql_execute against an in-process
 * world (shopify_rig.h) that holds an order with two fulfillment orders.
 * Whatever the variables, every answer has data or errors, every error and
 * user error says why, no available quantity leaves +-10^9 and no price,
 * compare-at price or cost is negative.
 *
 * The world goes back to the rig's start before every input (world_reset
 * and the order placed again: some 25 microseconds, measured in a release
 * build; the target runs ~1800 inputs a second under libFuzzer with ASan),
 * so an input means the same on every run, subscription ids aside (the
 * world keeps counting them across resets). */
#include "fuzz.h"

#include "shopify_rig.h"

#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The documents and the versions they run at. The variables are shared:
 * a seed sets those of the mutations it is about. */
static const struct {
    const char *version, *query;
} DOCS[] = {
    /* Modern: @idempotent and changeFromQuantity required. */
    {"2026-10",
     "mutation Set($set: InventorySetQuantitiesInput!, $key: String!) {"
     " inventorySetQuantities(input: $set) @idempotent(key: $key) {"
     " inventoryAdjustmentGroup { id reason referenceDocumentUri changes { name delta"
     " quantityAfterChange ledgerDocumentUri item { id sku } location { id } } }"
     " userErrors { field message code } } }"},
    /* The same input where compareQuantity still exists and @idempotent is optional. */
    {"2026-01",
     "mutation SetOld($set: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $set) {"
     " inventoryAdjustmentGroup { reason changes { name delta quantityAfterChange } }"
     " userErrors { field message code } } }"},
    {"2026-10",
     "mutation Adjust($adjust: InventoryAdjustQuantitiesInput!, $adjustKey: String!) {"
     " inventoryAdjustQuantities(input: $adjust) @idempotent(key: $adjustKey) {"
     " inventoryAdjustmentGroup { reason changes { name delta quantityAfterChange } }"
     " userErrors { field message code } } }"},
    {"2026-10",
     "mutation Hold($id: ID!, $hold: FulfillmentOrderHoldInput!) {"
     " fulfillmentOrderHold(id: $id, fulfillmentHold: $hold) {"
     " fulfillmentHold { id reason reasonNotes handle } fulfillmentOrder { id status }"
     " userErrors { field message code } } }"},
    {"2026-10",
     "mutation Release($id: ID!, $holdIds: [ID!]) {"
     " fulfillmentOrderReleaseHold(id: $id, holdIds: $holdIds) {"
     " fulfillmentOrder { id status fulfillmentHolds { id } } userErrors { field message code } } }"},
    {"2026-10",
     "mutation Fulfil($fulfillment: FulfillmentInput!, $message: String) {"
     " fulfillmentCreate(fulfillment: $fulfillment, message: $message) {"
     " fulfillment { id status totalQuantity trackingInfo { number company url }"
     " fulfillmentLineItems(first: 10) { nodes { id quantity } } } userErrors { field message } } }"},
    {"2026-10",
     "mutation Sub($topic: WebhookSubscriptionTopic!, $subscription: WebhookSubscriptionInput!) {"
     " webhookSubscriptionCreate(topic: $topic, webhookSubscription: $subscription) {"
     " webhookSubscription { id topic uri format } userErrors { field message } } }"},
    {"2026-10",
     "mutation Unsub($subscriptionId: ID!) { webhookSubscriptionDelete(id: $subscriptionId) {"
     " deletedWebhookSubscriptionId userErrors { field message } } }"},
    {"2026-10",
     "mutation Bulk($bulkQuery: String!) { bulkOperationRunQuery(query: $bulkQuery) {"
     " bulkOperation { id status errorCode objectCount rootObjectCount }"
     " userErrors { field message code } } }"},
    {"2026-10",
     "mutation Cancel($orderId: ID!, $reason: OrderCancelReason!, $restock: Boolean!,"
     " $notifyCustomer: Boolean, $refund: Boolean, $refundMethod: OrderCancelRefundMethodInput,"
     " $staffNote: String) { orderCancel(orderId: $orderId, reason: $reason, restock: $restock,"
     " notifyCustomer: $notifyCustomer, refund: $refund, refundMethod: $refundMethod,"
     " staffNote: $staffNote) { job { id done } orderCancelUserErrors { field message code } } }"},
    {"2026-10",
     "mutation Product($product: ProductUpdateInput!) { productUpdate(product: $product) {"
     " product { id title status } userErrors { field message } } }"},
    {"2026-10",
     "mutation Variants($pid: ID!, $vs: [ProductVariantsBulkInput!]!, $partial: Boolean) {"
     " productVariantsBulkUpdate(productId: $pid, variants: $vs, allowPartialUpdates: $partial) {"
     " product { id } productVariants { id price compareAtPrice barcode inventoryItem {"
     " unitCost { amount } measurement { weight { value unit } } } }"
     " userErrors { field message code } } }"},
};

static int has_message(const cJSON *e)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
    return cJSON_IsString(m) && *m->valuestring;
}

/* Every userErrors list anywhere under v: entries with a message. */
static void check_user_errors(const cJSON *v)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, v)
    {
        if (x->string && strcmp(x->string, "userErrors") == 0) {
            if (!cJSON_IsArray(x))
                abort();
            const cJSON *ue;
            cJSON_ArrayForEach(ue, x)
            {
                if (!has_message(ue))
                    abort();
            }
        } else if (cJSON_IsObject(x) || cJSON_IsArray(x)) {
            check_user_errors(x);
        }
    }
}

/* An answer: an object with data, or errors that say why. */
static void check_answer(const cJSON *res)
{
    if (!cJSON_IsObject(res))
        abort();
    const cJSON *errors = cJSON_GetObjectItemCaseSensitive(res, "errors");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(res, "data");
    if (errors && (!cJSON_IsArray(errors) || cJSON_GetArraySize(errors) == 0))
        abort();
    if (!data && !errors)
        abort();
    const cJSON *e;
    cJSON_ArrayForEach(e, errors)
    {
        if (!has_message(e))
            abort();
    }
    check_user_errors(data);
}

/* A money field of the catalog: null or a decimal string >= 0. */
static void check_money(const cJSON *row, const char *key)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(row, key);
    if (!m || (!cJSON_IsNull(m) && (!cJSON_IsString(m) || strtod(m->valuestring, NULL) < 0)))
        abort();
}

/* No level's available quantity outside +-10^9; no negative money. */
static void check_levels(world *w)
{
    cJSON *st = world_state(w);
    const cJSON *shop;
    cJSON_ArrayForEach(shop, cJSON_GetObjectItemCaseSensitive(st, "shops"))
    {
        const cJSON *row;
        cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(shop, "catalog"))
        {
            check_money(row, "price");
            check_money(row, "compareAtPrice");
            check_money(row, "cost");
        }
        const cJSON *l;
        cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(shop, "levels"))
        {
            const cJSON *a = cJSON_GetObjectItemCaseSensitive(l, "available");
            if (!cJSON_IsNumber(a) || a->valuedouble > 1e9 || a->valuedouble < -1e9)
                abort();
        }
    }
    cJSON_Delete(st);
}

FUZZ_TARGET(mock_shopify_mutation)
{
    static shopify_rig rig;
    static int opened;
    cJSON *vars = json_parse((const char *)data, size, NULL);
    if (!cJSON_IsObject(vars)) {
        cJSON_Delete(vars);
        return;
    }
    if (!opened) {
        shopify_rig_open(&rig); /* once: kept for the life of the process */
        opened = 1;
    } else {
        shopify_rig_reset(&rig);
    }
    for (size_t i = 0; i < sizeof DOCS / sizeof DOCS[0]; i++) {
        cJSON *res = agql_execute(rig.g, NULL, DOCS[i].version, DOCS[i].query, strlen(DOCS[i].query),
                                  vars, NULL);
        check_answer(res);
        cJSON_Delete(res);
    }
    check_levels(rig.w);
    cJSON_Delete(vars);
}
