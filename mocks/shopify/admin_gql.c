/* The Admin GraphQL endpoint; see admin_gql.h.
 *
 * One table describes the schema slice (type, field, kind, target type,
 * arguments). A static pass over the chosen operation checks it against the
 * table and computes the requested cost; execution walks the same
 * selections with references into the world and adds up the actual cost
 * (connections cost what they returned, not what they asked for). */
#include "admin_gql.h"
#include "admin_gql_int.h"

#include "gql.h"
#include "hmac.h"
#include "json.h"
#include "mem.h"
#include "res.h"
#include "rest.h"
#include "sbuf.h"
#include "search.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MUTATION_COST 10
#define MAX_PAGE 250
/* Selections one request may expand, fragments included: fragments that
 * spread each other twice over would otherwise grow exponentially. */
#define MAX_VISITS 200000

struct agql {
    world *w;
    limiter *lim;
    mockd *m;
};

agql *agql_new(world *w, limiter *l, mockd *m)
{
    agql *g = xcalloc(1, sizeof *g);
    g->w = w;
    g->lim = l;
    g->m = m;
    return g;
}

void agql_free(agql *g)
{
    free(g);
}

/* ---- the schema slice ------------------------------------------------------ */

typedef enum { K_SCALAR, K_OBJECT, K_LIST, K_CONNECTION, K_MUTATION } kind;

typedef struct {
    const char *type, *name;
    kind k;
    const char *target;   /* object, list element, connection node or payload type */
    const char *args;     /* allowed arguments, comma-separated */
    const char *required; /* required arguments, comma-separated */
} fdef;

#define PAGE_ARGS "first,last,after,before,reverse,query,sortKey"

static const fdef SCHEMA[] = {
    {"QueryRoot", "shop", K_OBJECT, "Shop", "", ""},
    {"QueryRoot", "location", K_OBJECT, "Location", "id", "id"},
    {"QueryRoot", "locations", K_CONNECTION, "Location", PAGE_ARGS ",includeInactive,includeLegacy", ""},
    {"QueryRoot", "inventoryItem", K_OBJECT, "InventoryItem", "id", "id"},
    {"QueryRoot", "inventoryItems", K_CONNECTION, "InventoryItem", PAGE_ARGS, ""},
    {"QueryRoot", "inventoryLevel", K_OBJECT, "InventoryLevel", "id", "id"},
    {"QueryRoot", "productVariant", K_OBJECT, "ProductVariant", "id", "id"},
    {"QueryRoot", "productVariants", K_CONNECTION, "ProductVariant", PAGE_ARGS, ""},
    {"QueryRoot", "product", K_OBJECT, "Product", "id", "id"},
    {"QueryRoot", "products", K_CONNECTION, "Product", PAGE_ARGS, ""},
    {"QueryRoot", "orders", K_CONNECTION, "Order", PAGE_ARGS, ""},
    {"QueryRoot", "order", K_OBJECT, "Order", "id", "id"},
    {"QueryRoot", "fulfillmentOrder", K_OBJECT, "FulfillmentOrder", "id", "id"},
    {"QueryRoot", "webhookSubscriptions", K_CONNECTION, "WebhookSubscription", PAGE_ARGS ",topics,uri,callbackUrl,format", ""},
    {"QueryRoot", "webhookSubscription", K_OBJECT, "WebhookSubscription", "id", "id"},
    {"QueryRoot", "currentBulkOperation", K_OBJECT, "BulkOperation", "type", ""},
    {"QueryRoot", "bulkOperation", K_OBJECT, "BulkOperation", "id", "id"},
    {"Mutation", "fulfillmentCreate", K_MUTATION, "FulfillmentCreatePayload", "fulfillment,message", "fulfillment"},
    {"Mutation", "fulfillmentOrderHold", K_MUTATION, "FulfillmentOrderHoldPayload", "id,fulfillmentHold", "id,fulfillmentHold"},
    {"Mutation", "fulfillmentOrderReleaseHold", K_MUTATION, "FulfillmentOrderReleaseHoldPayload", "id,holdIds,externalId", "id"},
    {"Mutation", "webhookSubscriptionCreate", K_MUTATION, "WebhookSubscriptionCreatePayload", "topic,webhookSubscription", "topic,webhookSubscription"},
    {"Mutation", "webhookSubscriptionDelete", K_MUTATION, "WebhookSubscriptionDeletePayload", "id", "id"},
    {"Mutation", "bulkOperationRunQuery", K_MUTATION, "BulkOperationRunQueryPayload", "query,groupObjects", "query"},
    {"Mutation", "orderCancel", K_MUTATION, "OrderCancelPayload", "orderId,reason,refund,refundMethod,restock,notifyCustomer,staffNote", "orderId,reason,restock"},
    {"Order", "id", K_SCALAR, NULL, "", ""},
    {"Order", "legacyResourceId", K_SCALAR, NULL, "", ""},
    {"Order", "name", K_SCALAR, NULL, "", ""},
    {"Order", "email", K_SCALAR, NULL, "", ""},
    {"Order", "createdAt", K_SCALAR, NULL, "", ""},
    {"Order", "updatedAt", K_SCALAR, NULL, "", ""},
    {"Order", "processedAt", K_SCALAR, NULL, "", ""},
    {"Order", "cancelledAt", K_SCALAR, NULL, "", ""},
    {"Order", "cancelReason", K_SCALAR, NULL, "", ""},
    {"Order", "closed", K_SCALAR, NULL, "", ""},
    {"Order", "displayFinancialStatus", K_SCALAR, NULL, "", ""},
    {"Order", "displayFulfillmentStatus", K_SCALAR, NULL, "", ""},
    {"Order", "currencyCode", K_SCALAR, NULL, "", ""},
    {"Order", "sourceName", K_SCALAR, NULL, "", ""},
    {"Order", "test", K_SCALAR, NULL, "", ""},
    {"Order", "totalPriceSet", K_OBJECT, "MoneyBag", "", ""},
    {"Order", "currentTotalPriceSet", K_OBJECT, "MoneyBag", "", ""},
    {"Order", "shippingAddress", K_OBJECT, "MailingAddress", "", ""},
    {"Order", "lineItems", K_CONNECTION, "LineItem", PAGE_ARGS, ""},
    {"Order", "fulfillmentOrders", K_CONNECTION, "FulfillmentOrder", PAGE_ARGS ",displayable,includeClosed", ""},
    {"Order", "fulfillments", K_LIST, "Fulfillment", "first", ""},
    {"LineItem", "id", K_SCALAR, NULL, "", ""},
    {"LineItem", "sku", K_SCALAR, NULL, "", ""},
    {"LineItem", "name", K_SCALAR, NULL, "", ""},
    {"LineItem", "title", K_SCALAR, NULL, "", ""},
    {"LineItem", "quantity", K_SCALAR, NULL, "", ""},
    {"LineItem", "currentQuantity", K_SCALAR, NULL, "", ""},
    {"LineItem", "unfulfilledQuantity", K_SCALAR, NULL, "", ""},
    {"LineItem", "requiresShipping", K_SCALAR, NULL, "", ""},
    {"LineItem", "originalUnitPriceSet", K_OBJECT, "MoneyBag", "", ""},
    {"LineItem", "variant", K_OBJECT, "ProductVariant", "", ""},
    {"MoneyBag", "shopMoney", K_OBJECT, "MoneyV2", "", ""},
    {"MoneyBag", "presentmentMoney", K_OBJECT, "MoneyV2", "", ""},
    {"MoneyV2", "amount", K_SCALAR, NULL, "", ""},
    {"MoneyV2", "currencyCode", K_SCALAR, NULL, "", ""},
    {"MailingAddress", "firstName", K_SCALAR, NULL, "", ""},
    {"MailingAddress", "lastName", K_SCALAR, NULL, "", ""},
    {"MailingAddress", "name", K_SCALAR, NULL, "", ""},
    {"MailingAddress", "company", K_SCALAR, NULL, "", ""},
    {"MailingAddress", "address1", K_SCALAR, NULL, "", ""},
    {"MailingAddress", "address2", K_SCALAR, NULL, "", ""},
    {"MailingAddress", "city", K_SCALAR, NULL, "", ""},
    {"MailingAddress", "province", K_SCALAR, NULL, "", ""},
    {"MailingAddress", "provinceCode", K_SCALAR, NULL, "", ""},
    {"MailingAddress", "zip", K_SCALAR, NULL, "", ""},
    {"MailingAddress", "country", K_SCALAR, NULL, "", ""},
    {"MailingAddress", "countryCodeV2", K_SCALAR, NULL, "", ""},
    {"MailingAddress", "phone", K_SCALAR, NULL, "", ""},
    {"MailingAddress", "latitude", K_SCALAR, NULL, "", ""},
    {"MailingAddress", "longitude", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrder", "id", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrder", "status", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrder", "requestStatus", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrder", "createdAt", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrder", "updatedAt", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrder", "orderId", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrder", "orderName", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrder", "order", K_OBJECT, "Order", "", ""},
    {"FulfillmentOrder", "assignedLocation", K_OBJECT, "FulfillmentOrderAssignedLocation", "", ""},
    {"FulfillmentOrder", "lineItems", K_CONNECTION, "FulfillmentOrderLineItem", PAGE_ARGS, ""},
    {"FulfillmentOrder", "fulfillmentHolds", K_LIST, "FulfillmentHold", "", ""},
    {"FulfillmentOrder", "supportedActions", K_LIST, "FulfillmentOrderSupportedAction", "", ""},
    {"FulfillmentOrderAssignedLocation", "name", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrderAssignedLocation", "address1", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrderAssignedLocation", "city", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrderAssignedLocation", "zip", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrderAssignedLocation", "province", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrderAssignedLocation", "countryCode", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrderAssignedLocation", "location", K_OBJECT, "Location", "", ""},
    {"FulfillmentOrderLineItem", "id", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrderLineItem", "totalQuantity", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrderLineItem", "remainingQuantity", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrderLineItem", "sku", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrderLineItem", "inventoryItemId", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrderLineItem", "lineItem", K_OBJECT, "LineItem", "", ""},
    {"FulfillmentOrderLineItem", "variant", K_OBJECT, "ProductVariant", "", ""},
    {"FulfillmentHold", "id", K_SCALAR, NULL, "", ""},
    {"FulfillmentHold", "reason", K_SCALAR, NULL, "", ""},
    {"FulfillmentHold", "reasonNotes", K_SCALAR, NULL, "", ""},
    {"FulfillmentHold", "handle", K_SCALAR, NULL, "", ""},
    {"FulfillmentHold", "displayReason", K_SCALAR, NULL, "", ""},
    {"FulfillmentHold", "heldByRequestingApp", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrderSupportedAction", "action", K_SCALAR, NULL, "", ""},
    {"Fulfillment", "id", K_SCALAR, NULL, "", ""},
    {"Fulfillment", "legacyResourceId", K_SCALAR, NULL, "", ""},
    {"Fulfillment", "name", K_SCALAR, NULL, "", ""},
    {"Fulfillment", "status", K_SCALAR, NULL, "", ""},
    {"Fulfillment", "createdAt", K_SCALAR, NULL, "", ""},
    {"Fulfillment", "updatedAt", K_SCALAR, NULL, "", ""},
    {"Fulfillment", "totalQuantity", K_SCALAR, NULL, "", ""},
    {"Fulfillment", "trackingInfo", K_LIST, "FulfillmentTrackingInfo", "first", ""},
    {"Fulfillment", "location", K_OBJECT, "Location", "", ""},
    {"Fulfillment", "order", K_OBJECT, "Order", "", ""},
    {"Fulfillment", "fulfillmentLineItems", K_CONNECTION, "FulfillmentLineItem", PAGE_ARGS, ""},
    {"FulfillmentTrackingInfo", "number", K_SCALAR, NULL, "", ""},
    {"FulfillmentTrackingInfo", "company", K_SCALAR, NULL, "", ""},
    {"FulfillmentTrackingInfo", "url", K_SCALAR, NULL, "", ""},
    {"FulfillmentLineItem", "id", K_SCALAR, NULL, "", ""},
    {"FulfillmentLineItem", "quantity", K_SCALAR, NULL, "", ""},
    {"FulfillmentLineItem", "lineItem", K_OBJECT, "LineItem", "", ""},
    {"WebhookSubscription", "id", K_SCALAR, NULL, "", ""},
    {"WebhookSubscription", "legacyResourceId", K_SCALAR, NULL, "", ""},
    {"WebhookSubscription", "topic", K_SCALAR, NULL, "", ""},
    {"WebhookSubscription", "uri", K_SCALAR, NULL, "", ""},
    {"WebhookSubscription", "format", K_SCALAR, NULL, "", ""},
    {"WebhookSubscription", "filter", K_SCALAR, NULL, "", ""},
    {"WebhookSubscription", "includeFields", K_SCALAR, NULL, "", ""},
    {"WebhookSubscription", "createdAt", K_SCALAR, NULL, "", ""},
    {"WebhookSubscription", "updatedAt", K_SCALAR, NULL, "", ""},
    {"WebhookSubscription", "apiVersion", K_OBJECT, "ApiVersion", "", ""},
    {"ApiVersion", "handle", K_SCALAR, NULL, "", ""},
    {"ApiVersion", "displayName", K_SCALAR, NULL, "", ""},
    {"ApiVersion", "supported", K_SCALAR, NULL, "", ""},
    {"BulkOperation", "id", K_SCALAR, NULL, "", ""},
    {"BulkOperation", "status", K_SCALAR, NULL, "", ""},
    {"BulkOperation", "type", K_SCALAR, NULL, "", ""},
    {"BulkOperation", "errorCode", K_SCALAR, NULL, "", ""},
    {"BulkOperation", "createdAt", K_SCALAR, NULL, "", ""},
    {"BulkOperation", "completedAt", K_SCALAR, NULL, "", ""},
    {"BulkOperation", "objectCount", K_SCALAR, NULL, "", ""},
    {"BulkOperation", "rootObjectCount", K_SCALAR, NULL, "", ""},
    {"BulkOperation", "fileSize", K_SCALAR, NULL, "", ""},
    {"BulkOperation", "url", K_SCALAR, NULL, "", ""},
    {"BulkOperation", "partialDataUrl", K_SCALAR, NULL, "", ""},
    {"BulkOperation", "query", K_SCALAR, NULL, "", ""},
    {"FulfillmentCreatePayload", "fulfillment", K_OBJECT, "Fulfillment", "", ""},
    {"FulfillmentCreatePayload", "userErrors", K_LIST, "UserError", "", ""},
    {"FulfillmentOrderHoldPayload", "fulfillmentHold", K_OBJECT, "FulfillmentHold", "", ""},
    {"FulfillmentOrderHoldPayload", "fulfillmentOrder", K_OBJECT, "FulfillmentOrder", "", ""},
    {"FulfillmentOrderHoldPayload", "remainingFulfillmentOrder", K_OBJECT, "FulfillmentOrder", "", ""},
    {"FulfillmentOrderHoldPayload", "userErrors", K_LIST, "FulfillmentOrderHoldUserError", "", ""},
    {"FulfillmentOrderReleaseHoldPayload", "fulfillmentOrder", K_OBJECT, "FulfillmentOrder", "", ""},
    {"FulfillmentOrderReleaseHoldPayload", "userErrors", K_LIST, "FulfillmentOrderReleaseHoldUserError", "", ""},
    {"WebhookSubscriptionCreatePayload", "webhookSubscription", K_OBJECT, "WebhookSubscription", "", ""},
    {"WebhookSubscriptionCreatePayload", "userErrors", K_LIST, "UserError", "", ""},
    {"WebhookSubscriptionDeletePayload", "deletedWebhookSubscriptionId", K_SCALAR, NULL, "", ""},
    {"WebhookSubscriptionDeletePayload", "userErrors", K_LIST, "UserError", "", ""},
    {"BulkOperationRunQueryPayload", "bulkOperation", K_OBJECT, "BulkOperation", "", ""},
    {"BulkOperationRunQueryPayload", "userErrors", K_LIST, "BulkOperationUserError", "", ""},
    {"OrderCancelPayload", "job", K_OBJECT, "Job", "", ""},
    {"OrderCancelPayload", "orderCancelUserErrors", K_LIST, "OrderCancelUserError", "", ""},
    {"OrderCancelPayload", "userErrors", K_LIST, "UserError", "", ""},
    {"Job", "id", K_SCALAR, NULL, "", ""},
    {"Job", "done", K_SCALAR, NULL, "", ""},
    {"OrderCancelUserError", "field", K_SCALAR, NULL, "", ""},
    {"OrderCancelUserError", "message", K_SCALAR, NULL, "", ""},
    {"OrderCancelUserError", "code", K_SCALAR, NULL, "", ""},
    {"UserError", "field", K_SCALAR, NULL, "", ""},
    {"UserError", "message", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrderHoldUserError", "field", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrderHoldUserError", "message", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrderHoldUserError", "code", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrderReleaseHoldUserError", "field", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrderReleaseHoldUserError", "message", K_SCALAR, NULL, "", ""},
    {"FulfillmentOrderReleaseHoldUserError", "code", K_SCALAR, NULL, "", ""},
    {"BulkOperationUserError", "field", K_SCALAR, NULL, "", ""},
    {"BulkOperationUserError", "message", K_SCALAR, NULL, "", ""},
    {"BulkOperationUserError", "code", K_SCALAR, NULL, "", ""},
    {"Mutation", "productUpdate", K_MUTATION, "ProductUpdatePayload", "product", "product"},
    {"Mutation", "productVariantsBulkUpdate", K_MUTATION, "ProductVariantsBulkUpdatePayload", "productId,variants,allowPartialUpdates", "productId,variants"},
    {"ProductUpdatePayload", "product", K_OBJECT, "Product", "", ""},
    {"ProductUpdatePayload", "userErrors", K_LIST, "UserError", "", ""},
    {"ProductVariantsBulkUpdatePayload", "product", K_OBJECT, "Product", "", ""},
    {"ProductVariantsBulkUpdatePayload", "productVariants", K_LIST, "ProductVariant", "", ""},
    {"ProductVariantsBulkUpdatePayload", "userErrors", K_LIST, "ProductVariantsBulkUpdateUserError", "", ""},
    {"ProductVariantsBulkUpdateUserError", "field", K_SCALAR, NULL, "", ""},
    {"ProductVariantsBulkUpdateUserError", "message", K_SCALAR, NULL, "", ""},
    {"ProductVariantsBulkUpdateUserError", "code", K_SCALAR, NULL, "", ""},
    {"InventoryItem", "unitCost", K_OBJECT, "MoneyV2", "", ""},
    {"InventoryItem", "measurement", K_OBJECT, "InventoryItemMeasurement", "", ""},
    {"InventoryItemMeasurement", "id", K_SCALAR, NULL, "", ""},
    {"InventoryItemMeasurement", "weight", K_OBJECT, "Weight", "", ""},
    {"Weight", "value", K_SCALAR, NULL, "", ""},
    {"Weight", "unit", K_SCALAR, NULL, "", ""},
    {"ProductVariant", "compareAtPrice", K_SCALAR, NULL, "", ""},
    {"ProductVariant", "barcode", K_SCALAR, NULL, "", ""},
    {"Mutation", "inventorySetQuantities", K_MUTATION, "InventorySetQuantitiesPayload", "input", "input"},
    {"Mutation", "inventoryAdjustQuantities", K_MUTATION, "InventoryAdjustQuantitiesPayload", "input", "input"},
    {"Shop", "id", K_SCALAR, NULL, "", ""},
    {"Shop", "name", K_SCALAR, NULL, "", ""},
    {"Shop", "myshopifyDomain", K_SCALAR, NULL, "", ""},
    {"Shop", "currencyCode", K_SCALAR, NULL, "", ""},
    {"Shop", "email", K_SCALAR, NULL, "", ""},
    {"Location", "id", K_SCALAR, NULL, "", ""},
    {"Location", "legacyResourceId", K_SCALAR, NULL, "", ""},
    {"Location", "name", K_SCALAR, NULL, "", ""},
    {"Location", "isActive", K_SCALAR, NULL, "", ""},
    {"Location", "fulfillsOnlineOrders", K_SCALAR, NULL, "", ""},
    {"Location", "createdAt", K_SCALAR, NULL, "", ""},
    {"Location", "updatedAt", K_SCALAR, NULL, "", ""},
    {"Location", "inventoryLevel", K_OBJECT, "InventoryLevel", "inventoryItemId", "inventoryItemId"},
    {"Location", "inventoryLevels", K_CONNECTION, "InventoryLevel", PAGE_ARGS, ""},
    {"InventoryItem", "id", K_SCALAR, NULL, "", ""},
    {"InventoryItem", "legacyResourceId", K_SCALAR, NULL, "", ""},
    {"InventoryItem", "sku", K_SCALAR, NULL, "", ""},
    {"InventoryItem", "tracked", K_SCALAR, NULL, "", ""},
    {"InventoryItem", "requiresShipping", K_SCALAR, NULL, "", ""},
    {"InventoryItem", "createdAt", K_SCALAR, NULL, "", ""},
    {"InventoryItem", "updatedAt", K_SCALAR, NULL, "", ""},
    {"InventoryItem", "variant", K_OBJECT, "ProductVariant", "", ""},
    {"InventoryItem", "inventoryLevel", K_OBJECT, "InventoryLevel", "locationId", "locationId"},
    {"InventoryItem", "inventoryLevels", K_CONNECTION, "InventoryLevel", PAGE_ARGS, ""},
    {"InventoryLevel", "id", K_SCALAR, NULL, "", ""},
    {"InventoryLevel", "canDeactivate", K_SCALAR, NULL, "", ""},
    {"InventoryLevel", "createdAt", K_SCALAR, NULL, "", ""},
    {"InventoryLevel", "updatedAt", K_SCALAR, NULL, "", ""},
    {"InventoryLevel", "quantities", K_LIST, "InventoryQuantity", "names", "names"},
    {"InventoryLevel", "item", K_OBJECT, "InventoryItem", "", ""},
    {"InventoryLevel", "location", K_OBJECT, "Location", "", ""},
    {"InventoryQuantity", "id", K_SCALAR, NULL, "", ""},
    {"InventoryQuantity", "name", K_SCALAR, NULL, "", ""},
    {"InventoryQuantity", "quantity", K_SCALAR, NULL, "", ""},
    {"InventoryQuantity", "updatedAt", K_SCALAR, NULL, "", ""},
    {"ProductVariant", "id", K_SCALAR, NULL, "", ""},
    {"ProductVariant", "legacyResourceId", K_SCALAR, NULL, "", ""},
    {"ProductVariant", "sku", K_SCALAR, NULL, "", ""},
    {"ProductVariant", "title", K_SCALAR, NULL, "", ""},
    {"ProductVariant", "displayName", K_SCALAR, NULL, "", ""},
    {"ProductVariant", "price", K_SCALAR, NULL, "", ""},
    {"ProductVariant", "inventoryPolicy", K_SCALAR, NULL, "", ""},
    {"ProductVariant", "inventoryQuantity", K_SCALAR, NULL, "", ""},
    {"ProductVariant", "createdAt", K_SCALAR, NULL, "", ""},
    {"ProductVariant", "updatedAt", K_SCALAR, NULL, "", ""},
    {"ProductVariant", "inventoryItem", K_OBJECT, "InventoryItem", "", ""},
    {"ProductVariant", "product", K_OBJECT, "Product", "", ""},
    {"Product", "id", K_SCALAR, NULL, "", ""},
    {"Product", "legacyResourceId", K_SCALAR, NULL, "", ""},
    {"Product", "title", K_SCALAR, NULL, "", ""},
    {"Product", "handle", K_SCALAR, NULL, "", ""},
    {"Product", "status", K_SCALAR, NULL, "", ""},
    {"Product", "vendor", K_SCALAR, NULL, "", ""},
    {"Product", "productType", K_SCALAR, NULL, "", ""},
    {"Product", "totalInventory", K_SCALAR, NULL, "", ""},
    {"Product", "createdAt", K_SCALAR, NULL, "", ""},
    {"Product", "updatedAt", K_SCALAR, NULL, "", ""},
    {"Product", "variants", K_CONNECTION, "ProductVariant", PAGE_ARGS, ""},
    {"Product", "variantsCount", K_OBJECT, "Count", "", ""},
    {"Count", "count", K_SCALAR, NULL, "", ""},
    {"Count", "precision", K_SCALAR, NULL, "", ""},
    {"PageInfo", "hasNextPage", K_SCALAR, NULL, "", ""},
    {"PageInfo", "hasPreviousPage", K_SCALAR, NULL, "", ""},
    {"PageInfo", "startCursor", K_SCALAR, NULL, "", ""},
    {"PageInfo", "endCursor", K_SCALAR, NULL, "", ""},
    {"InventorySetQuantitiesPayload", "inventoryAdjustmentGroup", K_OBJECT, "InventoryAdjustmentGroup", "", ""},
    {"InventorySetQuantitiesPayload", "userErrors", K_LIST, "InventorySetQuantitiesUserError", "", ""},
    {"InventoryAdjustQuantitiesPayload", "inventoryAdjustmentGroup", K_OBJECT, "InventoryAdjustmentGroup", "", ""},
    {"InventoryAdjustQuantitiesPayload", "userErrors", K_LIST, "InventoryAdjustQuantitiesUserError", "", ""},
    {"InventoryAdjustmentGroup", "id", K_SCALAR, NULL, "", ""},
    {"InventoryAdjustmentGroup", "createdAt", K_SCALAR, NULL, "", ""},
    {"InventoryAdjustmentGroup", "reason", K_SCALAR, NULL, "", ""},
    {"InventoryAdjustmentGroup", "referenceDocumentUri", K_SCALAR, NULL, "", ""},
    {"InventoryAdjustmentGroup", "changes", K_LIST, "InventoryChange", "inventoryItemIds,locationIds,quantityNames", ""},
    {"InventoryChange", "name", K_SCALAR, NULL, "", ""},
    {"InventoryChange", "delta", K_SCALAR, NULL, "", ""},
    {"InventoryChange", "quantityAfterChange", K_SCALAR, NULL, "", ""},
    {"InventoryChange", "ledgerDocumentUri", K_SCALAR, NULL, "", ""},
    {"InventoryChange", "item", K_OBJECT, "InventoryItem", "", ""},
    {"InventoryChange", "location", K_OBJECT, "Location", "", ""},
    {"InventorySetQuantitiesUserError", "field", K_SCALAR, NULL, "", ""},
    {"InventorySetQuantitiesUserError", "message", K_SCALAR, NULL, "", ""},
    {"InventorySetQuantitiesUserError", "code", K_SCALAR, NULL, "", ""},
    {"InventoryAdjustQuantitiesUserError", "field", K_SCALAR, NULL, "", ""},
    {"InventoryAdjustQuantitiesUserError", "message", K_SCALAR, NULL, "", ""},
    {"InventoryAdjustQuantitiesUserError", "code", K_SCALAR, NULL, "", ""},
};

/* Fields of SCHEMA that a version before since does not have: there they
 * are unknown fields, as in that version's schema. */
static const struct {
    const char *type, *name, *since;
} SINCE[] = {
    /* Count fields replaced connection counts in 2024-04 (changelog
     * "Unification of count fields"). */
    {"Product", "variantsCount", "2024-04"},
};

/* The first version having type.name, NULL when every served one has it. */
static const char *field_since(const char *type, const char *name)
{
    for (size_t i = 0; i < sizeof SINCE / sizeof SINCE[0]; i++)
        if (strcmp(SINCE[i].type, type) == 0 && strcmp(SINCE[i].name, name) == 0)
            return SINCE[i].since;
    return NULL;
}

static const char *const OBJECT_TYPES[] = {
    "QueryRoot", "Mutation", "Shop", "Location", "InventoryItem", "InventoryLevel",
    "InventoryQuantity", "ProductVariant", "Product", "Count", "PageInfo", "InventorySetQuantitiesPayload",
    "InventoryAdjustQuantitiesPayload", "InventoryAdjustmentGroup", "InventoryChange",
    "InventorySetQuantitiesUserError", "InventoryAdjustQuantitiesUserError", "Node", "Order",
    "LineItem", "MoneyBag", "MoneyV2", "MailingAddress", "FulfillmentOrder",
    "FulfillmentOrderAssignedLocation", "FulfillmentOrderLineItem", "FulfillmentHold",
    "FulfillmentOrderSupportedAction", "Fulfillment", "FulfillmentTrackingInfo",
    "FulfillmentLineItem", "WebhookSubscription", "ApiVersion", "BulkOperation",
    "FulfillmentCreatePayload", "FulfillmentOrderHoldPayload", "FulfillmentOrderReleaseHoldPayload",
    "WebhookSubscriptionCreatePayload", "WebhookSubscriptionDeletePayload",
    "BulkOperationRunQueryPayload", "UserError", "FulfillmentOrderHoldUserError",
    "FulfillmentOrderReleaseHoldUserError", "BulkOperationUserError", "OrderCancelPayload", "Job",
    "OrderCancelUserError", "ProductUpdatePayload", "ProductVariantsBulkUpdatePayload",
    "ProductVariantsBulkUpdateUserError", "InventoryItemMeasurement", "Weight", NULL};

static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, name, n) == 0)
            return 1;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* A connection's "XConnection" and "XEdge" types are made up from X. */
static int known_type(const char *t)
{
    for (const char *const *k = OBJECT_TYPES; *k; k++)
        if (strcmp(*k, t) == 0)
            return 1;
    char base[96];
    size_t n = strlen(t);
    if (ends_with(t, "Connection") && n - 10 < sizeof base) {
        snprintf(base, sizeof base, "%.*s", (int)(n - 10), t);
        return known_type(base);
    }
    if (ends_with(t, "Edge") && n - 4 < sizeof base) {
        snprintf(base, sizeof base, "%.*s", (int)(n - 4), t);
        return known_type(base);
    }
    return 0;
}

/* The field definition, also for the made-up connection and edge types
 * (into *tmp, whose target lives in buf). */
static const fdef *find_field(const char *type, const char *name, fdef *tmp, char *buf, size_t n)
{
    for (size_t i = 0; i < sizeof SCHEMA / sizeof SCHEMA[0]; i++)
        if (strcmp(SCHEMA[i].type, type) == 0 && strcmp(SCHEMA[i].name, name) == 0)
            return &SCHEMA[i];
    size_t len = strlen(type);
    memset(tmp, 0, sizeof *tmp);
    tmp->type = type;
    tmp->name = name;
    tmp->args = tmp->required = "";
    if (ends_with(type, "Connection")) {
        snprintf(buf, n, "%.*s", (int)(len - 10), type);
        if (strcmp(name, "nodes") == 0) {
            tmp->k = K_LIST;
            tmp->target = buf;
            return tmp;
        }
        if (strcmp(name, "edges") == 0) {
            snprintf(buf, n, "%.*sEdge", (int)(len - 10), type);
            tmp->k = K_LIST;
            tmp->target = buf;
            return tmp;
        }
        if (strcmp(name, "pageInfo") == 0) {
            tmp->k = K_OBJECT;
            tmp->target = "PageInfo";
            return tmp;
        }
        return NULL;
    }
    if (ends_with(type, "Edge")) {
        if (strcmp(name, "cursor") == 0) {
            tmp->k = K_SCALAR;
            return tmp;
        }
        if (strcmp(name, "node") == 0) {
            snprintf(buf, n, "%.*s", (int)(len - 4), type);
            tmp->k = K_OBJECT;
            tmp->target = buf;
            return tmp;
        }
    }
    return NULL;
}

/* ---- request context ------------------------------------------------------------ */


void ag_error(ctx *c, int line, int col, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "message", msg);
    if (line > 0) {
        cJSON *locs = cJSON_AddArrayToObject(e, "locations");
        cJSON *l = cJSON_CreateObject();
        cJSON_AddNumberToObject(l, "line", line);
        cJSON_AddNumberToObject(l, "column", col);
        cJSON_AddItemToArray(locs, l);
    }
    if (c->path && cJSON_GetArraySize(c->path) > 0)
        cJSON_AddItemToObject(e, "path", cJSON_Duplicate(c->path, 1));
    if (code) {
        cJSON *x = cJSON_AddObjectToObject(e, "extensions");
        cJSON_AddStringToObject(x, "code", code);
    }
    cJSON_AddItemToArray(c->errors, e);
}

int ag_version_at_least(const char *v, const char *min)
{
    return strcmp(v, "unstable") == 0 || strcmp(v, min) >= 0;
}

/* ---- arguments and directives ---------------------------------------------------- */

/* An argument's value with variables substituted (borrowed until the end
 * of the request), or NULL when absent. */
static const cJSON *arg(ctx *c, const gql_arg *args, size_t n, const char *name)
{
    const gql_arg *a = gql_arg_find(args, n, name);
    if (!a)
        return NULL;
    cJSON *v = gql_value_json(a->value, c->vars);
    cJSON_AddItemToArray(c->garbage, v);
    return v;
}

const cJSON *ag_field_arg(ctx *c, const gql_selection *f, const char *name)
{
    return arg(c, f->args, f->n_args, name);
}

/* @skip(if:) and @include(if:). */
static int included(ctx *c, const gql_directive *dirs, size_t n)
{
    const gql_directive *d = gql_directive_find(dirs, n, "skip");
    if (d) {
        const cJSON *v = arg(c, d->args, d->n_args, "if");
        if (cJSON_IsTrue(v))
            return 0;
    }
    d = gql_directive_find(dirs, n, "include");
    if (d) {
        const cJSON *v = arg(c, d->args, d->n_args, "if");
        if (!cJSON_IsTrue(v))
            return 0;
    }
    return 1;
}

int ag_int_value(const cJSON *v, int64_t *out)
{
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
        fabs(v->valuedouble) > 9.0e15)
        return -1;
    *out = (int64_t)v->valuedouble;
    return 0;
}

/* ---- collecting fields ----------------------------------------------------------- */

typedef struct {
    const gql_selection **items;
    size_t n, cap;
} field_list;

static int type_applies(const char *cond, const char *type)
{
    return !cond || strcmp(cond, type) == 0 || strcmp(cond, "Node") == 0;
}

/* The fields a selection set asks of an object of type, fragments expanded
 * and @skip/@include applied. Reports unknown fragments and types when
 * report is set. */
static void collect(ctx *c, const char *type, const gql_selset *sel, field_list *out, int depth,
                    int report)
{
    if (depth > GQL_MAX_DEPTH) {
        if (report)
            ag_error(c, 0, 0, "fragmentCycle", "Fragments are nested too deep (a cycle?)");
        return;
    }
    for (size_t i = 0; i < sel->n; i++) {
        const gql_selection *x = &sel->items[i];
        if (++c->visits > MAX_VISITS) {
            if (c->visits == MAX_VISITS + 1)
                ag_error(c, x->line, x->col, "queryTooComplex",
                         "The query expands to more than %d selections", MAX_VISITS);
            return;
        }
        if (!included(c, x->dirs, x->n_dirs))
            continue;
        if (x->kind == GQL_SEL_FIELD) {
            XGROW(out->items, out->n, out->cap, 8);
            out->items[out->n++] = x;
            continue;
        }
        const char *cond = x->name;
        const gql_selset *sub = &x->sel;
        if (x->kind == GQL_SEL_SPREAD) {
            const gql_fragment *fr = gql_fragment_find(c->doc, x->name);
            if (!fr) {
                if (report)
                    ag_error(c, x->line, x->col, "useAndDefineFragment",
                             "Fragment %s was used, but not defined", x->name);
                continue;
            }
            if (!included(c, fr->dirs, fr->n_dirs))
                continue;
            cond = fr->type_cond;
            sub = &fr->sel;
        }
        if (cond && !known_type(cond)) {
            if (report)
                ag_error(c, x->line, x->col, "undefinedType", "No such type %s, so it can't be a fragment condition", cond);
            continue;
        }
        if (type_applies(cond, type))
            collect(c, type, sub, out, depth + 1, report);
    }
}

static const char *response_key(const gql_selection *f)
{
    return f->alias ? f->alias : f->name;
}

/* ---- validation and requested cost ------------------------------------------------- */

static double cost_selset(ctx *c, const char *type, const gql_selset *sel, int depth);

/* The page size a connection field asks for; reports a missing or bad one. */
static int64_t page_size(ctx *c, const gql_selection *f, int report)
{
    const cJSON *first = ag_field_arg(c, f, "first"), *last = ag_field_arg(c, f, "last");
    int64_t n = 0;
    if (c->bulk)
        return INT32_MAX; /* a bulk query reads every node; first and last are ignored */
    if ((!first || cJSON_IsNull(first)) && (!last || cJSON_IsNull(last))) {
        if (report)
            ag_error(c, f->line, f->col, "argumentLiteralsIncompatible",
                     "you must provide one of first or last");
        return -1;
    }
    const cJSON *v = first && !cJSON_IsNull(first) ? first : last;
    if (ag_int_value(v, &n) != 0 || n < 0 || n > MAX_PAGE) {
        if (report)
            ag_error(c, f->line, f->col, "argumentLiteralsIncompatible",
                     "%s must be an integer between 0 and %d on field '%s'",
                     v == first ? "first" : "last", MAX_PAGE, f->name);
        return -1;
    }
    return n;
}

/* The cost of one field (and its subtree), checking it. */
static double cost_field(ctx *c, const char *type, const gql_selection *f, int depth)
{
    if (strcmp(f->name, "__typename") == 0) {
        if (f->has_sel)
            ag_error(c, f->line, f->col, "selectionMismatch",
                     "Selections can't be made on scalars (field '__typename' returns String)");
        return 0;
    }
    fdef tmp;
    char buf[96];
    const fdef *d = find_field(type, f->name, &tmp, buf, sizeof buf);
    if (!d) {
        ag_error(c, f->line, f->col, "undefinedField", "Field '%s' doesn't exist on type '%s'",
                 f->name, type);
        return 0;
    }
    const char *since = field_since(type, f->name);
    if (since && !ag_version_at_least(c->version, since)) {
        ag_error(c, f->line, f->col, "undefinedField",
                 "Field '%s' doesn't exist on type '%s' (API version %s)", f->name, type,
                 c->version);
        return 0;
    }
    for (size_t i = 0; i < f->n_args; i++)
        if (!in_list(d->args, f->args[i].name))
            ag_error(c, f->args[i].line, f->args[i].col, "argumentNotAccepted",
                     "Field '%s' doesn't accept argument '%s'", f->name, f->args[i].name);
    for (const char *p = d->required; *p;) {
        size_t len = strcspn(p, ",");
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)len, p);
        const cJSON *v = ag_field_arg(c, f, name);
        if (!v || cJSON_IsNull(v))
            ag_error(c, f->line, f->col, "missingRequiredArguments",
                     "Field '%s' is missing required arguments: %s", f->name, name);
        p += len;
        if (*p == ',')
            p++;
    }
    if (d->k == K_SCALAR) {
        if (f->has_sel)
            ag_error(c, f->line, f->col, "selectionMismatch",
                     "Selections can't be made on scalars (field '%s' on type '%s')", f->name, type);
        return 0;
    }
    if (!f->has_sel) {
        ag_error(c, f->line, f->col, "selectionMismatch",
                 "Field must have selections (field '%s' returns %s but has no selections)",
                 f->name, d->target);
        return 0;
    }
    for (size_t i = 0; i < f->n_dirs; i++)
        if (strcmp(f->dirs[i].name, "idempotent") == 0 && d->k != K_MUTATION)
            ag_error(c, f->dirs[i].line, f->dirs[i].col, "directiveCannotBeApplied",
                     "'@idempotent' can only be applied to mutation fields");
    char target[96];
    snprintf(target, sizeof target, "%s", d->target);
    switch (d->k) {
    case K_SCALAR: return 0;
    case K_OBJECT:
    case K_LIST: return 1 + cost_selset(c, target, &f->sel, depth + 1);
    case K_MUTATION:
        cost_selset(c, target, &f->sel, depth + 1);
        return MUTATION_COST;
    case K_CONNECTION: {
        int64_t n = page_size(c, f, 1);
        char conn[128];
        snprintf(conn, sizeof conn, "%sConnection", target);
        /* The connection's own selections: node subtrees count per node. */
        field_list fl = {0};
        collect(c, conn, &f->sel, &fl, depth + 1, 1);
        double per_node = 0;
        for (size_t i = 0; i < fl.n; i++) {
            const gql_selection *x = fl.items[i];
            if (strcmp(x->name, "nodes") == 0 && x->has_sel) {
                per_node += cost_selset(c, target, &x->sel, depth + 2);
            } else if (strcmp(x->name, "edges") == 0 && x->has_sel) {
                char edge[128];
                snprintf(edge, sizeof edge, "%sEdge", target);
                field_list el = {0};
                collect(c, edge, &x->sel, &el, depth + 2, 1);
                for (size_t k = 0; k < el.n; k++) {
                    const gql_selection *y = el.items[k];
                    if (strcmp(y->name, "node") == 0 && y->has_sel)
                        per_node += cost_selset(c, target, &y->sel, depth + 3);
                    else
                        cost_field(c, edge, y, depth + 3);
                }
                free(el.items);
            } else {
                cost_field(c, conn, x, depth + 2); /* pageInfo, __typename: checked, free */
            }
        }
        free(fl.items);
        return 2 + (double)(n > 0 ? n : 0) * (1 + per_node);
    }
    }
    return 0;
}

static double cost_selset(ctx *c, const char *type, const gql_selset *sel, int depth)
{
    if (depth > GQL_MAX_DEPTH)
        return 0;
    field_list fl = {0};
    collect(c, type, sel, &fl, depth, 1);
    double total = 0;
    for (size_t i = 0; i < fl.n; i++)
        total += cost_field(c, type, fl.items[i], depth);
    free(fl.items);
    return total;
}

/* ---- references into the world ---------------------------------------------------- */

typedef struct mchange {
    char name[16];
    int64_t delta, after, item_id, location_id;
    char *ledger;
} mchange;

/* What a mutation did (or the answer replayed for its idempotency key). */
typedef struct mresult {
    int has_group;
    int64_t group_id, created_ms;
    char *reason, *ref_uri;
    mchange *changes;
    size_t n_changes;
    cJSON *user_errors; /* [{field:[...], message, code}] */
} mresult;


int64_t ag_gid_id(const char *s, const char *type)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "gid://shopify/%s/", type);
    size_t n = strlen(prefix);
    if (!s || strncmp(s, prefix, n) != 0)
        return -1;
    char *end;
    long long v = strtoll(s + n, &end, 10);
    if (end == s + n || (*end && *end != '?') || v <= 0)
        return -1;
    return v;
}

cJSON *ag_gid_json(const char *type, int64_t id)
{
    char buf[160];
    res_gid(type, id, buf, sizeof buf);
    return cJSON_CreateString(buf);
}

/* "id" and "legacyResourceId" of an object with a numeric id; NULL for
 * any other field. */
cJSON *ag_id_field(const char *name, const char *type, int64_t id)
{
    if (strcmp(name, "id") == 0)
        return ag_gid_json(type, id);
    if (strcmp(name, "legacyResourceId") == 0) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)id);
        return cJSON_CreateString(buf);
    }
    return NULL;
}

/* A simulated instant as a DateTime. */
cJSON *ag_iso_json(ctx *c, int64_t sim_ms)
{
    char buf[64];
    clock_format_iso(clock_epoch_ms(world_clock(c->w), sim_ms), 0, buf, sizeof buf);
    return cJSON_CreateString(buf);
}

static int64_t quantity_of(const ws_variant *v, int loc, const char *name, int *known)
{
    *known = 1;
    if (strcmp(name, "available") == 0)
        return v->available[loc];
    if (strcmp(name, "committed") == 0)
        return v->committed[loc];
    if (strcmp(name, "on_hand") == 0)
        return v->available[loc] + v->committed[loc];
    if (strcmp(name, "incoming") == 0 || strcmp(name, "reserved") == 0 ||
        strcmp(name, "damaged") == 0 || strcmp(name, "safety_stock") == 0 ||
        strcmp(name, "quality_control") == 0)
        return 0;
    *known = 0;
    return 0;
}

/* ---- connections --------------------------------------------------------------------- */

static void cursor_of(int64_t key, char *out, size_t n)
{
    char raw[48];
    snprintf(raw, sizeof raw, "cursor:%lld", (long long)key);
    char b[96];
    base64_encode(raw, strlen(raw), b, sizeof b);
    snprintf(out, n, "%s", b);
}

static int cursor_key(const char *cur, int64_t *key)
{
    unsigned char raw[96];
    size_t n;
    if (!cur || base64_decode(cur, strlen(cur), raw, sizeof raw - 1, &n) != 0)
        return -1;
    raw[n] = '\0';
    if (strncmp((char *)raw, "cursor:", 7) != 0)
        return -1;
    char *end;
    long long v = strtoll((char *)raw + 7, &end, 10);
    if (*end)
        return -1;
    *key = v;
    return 0;
}


/* Adds to the actual cost, except inside a mutation payload. */
void ag_charge(ctx *c, double points)
{
    if (!c->no_cost)
        c->actual += points;
}

/* ag_resolve_object with nothing charged (the caller counted it already). */
cJSON *ag_resolve_uncharged(ctx *c, const ref *o, const gql_selset *sel)
{
    int saved = c->no_cost;
    c->no_cost = 1;
    cJSON *out = ag_resolve_object(c, o, sel);
    c->no_cost = saved;
    return out;
}

/* Slices candidates (keys ascending) by first/last/after/before and builds
 * the connection object the selection asks for. */
static cJSON *resolve_connection(ctx *c, const gql_selection *f, const char *node_type,
                                 const ref *cl_refs, const int64_t *keys, size_t n)
{
    int64_t size = page_size(c, f, 0);
    if (size < 0)
        size = 0;
    const cJSON *after = ag_field_arg(c, f, "after"), *before = ag_field_arg(c, f, "before");
    const cJSON *lastv = ag_field_arg(c, f, "last"), *rev = ag_field_arg(c, f, "reverse");
    int use_last = lastv && !cJSON_IsNull(lastv) && !(ag_field_arg(c, f, "first") &&
                                                      !cJSON_IsNull(ag_field_arg(c, f, "first")));
    int reverse = cJSON_IsTrue(rev);
    size_t lo = 0, hi = n; /* window in display order */
    size_t *order = xcalloc(n ? n : 1, sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = reverse ? n - 1 - i : i;
    int64_t k;
    if (after && cJSON_IsString(after)) {
        if (cursor_key(after->valuestring, &k) != 0) {
            ag_error(c, f->line, f->col, "argumentLiteralsIncompatible", "Invalid cursor for 'after'");
        } else {
            while (lo < hi && (reverse ? keys[order[lo]] >= k : keys[order[lo]] <= k))
                lo++;
        }
    }
    if (before && cJSON_IsString(before)) {
        if (cursor_key(before->valuestring, &k) != 0) {
            ag_error(c, f->line, f->col, "argumentLiteralsIncompatible", "Invalid cursor for 'before'");
        } else {
            size_t b = lo;
            while (b < hi && (reverse ? keys[order[b]] > k : keys[order[b]] < k))
                b++;
            hi = b;
        }
    }
    size_t from = lo, to = hi;
    if (use_last) {
        if (to - from > (size_t)size)
            from = to - (size_t)size;
    } else if (to - from > (size_t)size) {
        to = from + (size_t)size;
    }
    ref pi = {.type = "PageInfo", .has_next = to < n, .has_prev = from > 0};
    if (to > from) {
        cursor_of(keys[order[from]], pi.start, sizeof pi.start);
        cursor_of(keys[order[to - 1]], pi.end, sizeof pi.end);
    }
    ag_charge(c, 2);
    char conn[128], edge[128];
    snprintf(conn, sizeof conn, "%sConnection", node_type);
    snprintf(edge, sizeof edge, "%sEdge", node_type);
    field_list fl = {0};
    collect(c, conn, &f->sel, &fl, 0, 0);
    cJSON *out = cJSON_CreateObject();
    for (size_t i = 0; i < fl.n; i++) {
        const gql_selection *x = fl.items[i];
        const char *key = response_key(x);
        if (strcmp(x->name, "__typename") == 0) {
            cJSON_AddStringToObject(out, key, conn);
        } else if (strcmp(x->name, "pageInfo") == 0) {
            cJSON_AddItemToObject(out, key, ag_resolve_object(c, &pi, &x->sel));
        } else if (strcmp(x->name, "nodes") == 0) {
            cJSON *a = cJSON_AddArrayToObject(out, key);
            for (size_t j = from; j < to; j++) {
                ag_charge(c, 1);
                cJSON_AddItemToArray(a, ag_resolve_object(c, &cl_refs[order[j]], &x->sel));
            }
        } else if (strcmp(x->name, "edges") == 0) {
            cJSON *a = cJSON_AddArrayToObject(out, key);
            field_list el = {0};
            collect(c, edge, &x->sel, &el, 0, 0);
            for (size_t j = from; j < to; j++) {
                cJSON *e = cJSON_CreateObject();
                for (size_t q = 0; q < el.n; q++) {
                    const gql_selection *y = el.items[q];
                    if (strcmp(y->name, "cursor") == 0) {
                        char cur[96];
                        cursor_of(keys[order[j]], cur, sizeof cur);
                        cJSON_AddStringToObject(e, response_key(y), cur);
                    } else if (strcmp(y->name, "node") == 0) {
                        ag_charge(c, 1);
                        cJSON_AddItemToObject(e, response_key(y),
                                              ag_resolve_object(c, &cl_refs[order[j]], &y->sel));
                    } else {
                        cJSON_AddStringToObject(e, response_key(y), edge);
                    }
                }
                cJSON_AddItemToArray(a, e);
            }
            free(el.items);
        }
    }
    free(fl.items);
    free(order);
    return out;
}

/* A connection's candidates: references and their keys (ascending), the
 * whole list resolve_connection slices a page from. */

/* Room for cap candidates. */
void ag_cands_init(cands *cl, size_t cap)
{
    cl->refs = xcalloc(cap ? cap : 1, sizeof *cl->refs);
    cl->keys = xcalloc(cap ? cap : 1, sizeof *cl->keys);
    cl->n = 0;
}

void ag_cands_add(cands *cl, ref r, int64_t key)
{
    cl->refs[cl->n] = r;
    cl->keys[cl->n++] = key;
}

/* The connection over the candidates, which it frees. */
cJSON *ag_cands_resolve(ctx *c, const gql_selection *f, const char *node_type, cands *cl)
{
    cJSON *out = resolve_connection(c, f, node_type, cl->refs, cl->keys, cl->n);
    free(cl->refs);
    free(cl->keys);
    return out;
}

int ag_date_term(const ws_shop *s, const search_term *t, int64_t have_ms)
{
    int64_t want;
    if (res_parse_date(s, t->value, &want) != 0)
        return 0;
    /* Whole seconds of the dates as written (epoch seconds, not seconds
     * of simulated time, whose origin need not fall on a second). */
    int64_t have_s = clock_epoch_ms(s->clk, have_ms) / 1000;
    int64_t want_s = clock_epoch_ms(s->clk, want) / 1000;
    return search_compare(t->op, have_s, want_s);
}

/* A variant (as an item or a variant, by id) against one search term:
 * sku (exact), id (a gid or a number, with comparators), created_at and
 * updated_at (dates, with comparators); a field the mock does not know
 * matches, as Shopify ignores it. */
typedef struct {
    const ws_shop *s;
    const ws_variant *v;
    int64_t id;
    const char *type;
} variant_obj;

static int variant_term(const search_term *t, const void *obj)
{
    const variant_obj *x = obj;
    if (strcmp(t->field, "sku") == 0)
        return strcmp(t->value, x->v->sku) == 0;
    if (strcmp(t->field, "id") == 0) {
        int64_t want = ag_gid_id(t->value, x->type);
        if (want < 0)
            want = strtoll(t->value, NULL, 10);
        return search_compare(t->op, x->id, want);
    }
    if (strcmp(t->field, "updated_at") == 0)
        return ag_date_term(x->s, t, x->v->updated_ms);
    if (strcmp(t->field, "created_at") == 0)
        return ag_date_term(x->s, t, x->v->created_ms);
    return 1;
}

/* Connections of variants (as items or variants), filtered by query. */
static cJSON *variant_connection(ctx *c, const gql_selection *f, const char *type, int items,
                                 const ws_product *only)
{
    const cJSON *q = ag_field_arg(c, f, "query");
    search_query sq;
    search_parse(cJSON_IsString(q) ? q->valuestring : NULL, &sq);
    size_t cap = only ? only->n_variants : c->s->n_variants;
    cands cl;
    ag_cands_init(&cl, cap);
    for (size_t i = 0; i < cap; i++) {
        ws_variant *v = &c->s->variants[only ? only->variants[i] : i];
        int64_t id = items ? v->item_id : v->id;
        variant_obj x = {c->s, v, id, type};
        if (!search_match(&sq, variant_term, &x))
            continue;
        ag_cands_add(&cl, (ref){.type = type, .v = v}, id);
    }
    return ag_cands_resolve(c, f, type, &cl);
}

/* Levels of one item across locations, or of one location across items. */
static cJSON *level_connection(ctx *c, const gql_selection *f, ws_variant *item, int loc)
{
    size_t cap = item ? c->s->n_locations : c->s->n_variants;
    cands cl;
    ag_cands_init(&cl, cap);
    for (size_t i = 0; i < cap; i++)
        ag_cands_add(&cl,
                  (ref){.type = "InventoryLevel", .v = item ? item : &c->s->variants[i],
                        .loc = item ? (int)i : loc},
                  item ? c->s->locations[i].id : c->s->variants[i].item_id);
    return ag_cands_resolve(c, f, "InventoryLevel", &cl);
}

/* ---- resolvers ------------------------------------------------------------------------- */

static cJSON *resolve_mutation(ctx *c, const gql_selection *f);

/* A nullable object field: counts 1 when present. */
cJSON *ag_object_or_null(ctx *c, const ref *o, const gql_selection *f)
{
    if (!o)
        return cJSON_CreateNull();
    ag_charge(c, 1);
    return ag_resolve_object(c, o, &f->sel);
}

cJSON *ag_str_or_null(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* The id of the argument name, a gid of type; -1 with an error naming the
 * value when it is not one. */
static int64_t gid_arg(ctx *c, const gql_selection *f, const char *name, const char *type)
{
    const cJSON *v = ag_field_arg(c, f, name);
    int64_t id = cJSON_IsString(v) ? ag_gid_id(v->valuestring, type) : -1;
    if (id < 0)
        ag_error(c, f->line, f->col, "argumentLiteralsIncompatible", "Invalid global id '%s'",
                 cJSON_IsString(v) ? v->valuestring : "(not a string)");
    return id;
}

/* The item a gid names in this shop, or NULL (with an error when malformed). */
static ws_variant *item_arg(ctx *c, const gql_selection *f, const char *name)
{
    int64_t id = gid_arg(c, f, name, "InventoryItem");
    return id < 0 ? NULL : world_variant_by_item(c->s, id);
}

/* The index of the location a gid names, -1 when none, -2 when malformed. */
static int location_arg(ctx *c, const gql_selection *f, const char *name)
{
    int64_t id = gid_arg(c, f, name, "Location");
    return id < 0 ? -2 : world_location_index(c->s, id);
}

static cJSON *resolve_quantities(ctx *c, const ref *o, const gql_selection *f)
{
    const cJSON *names = ag_field_arg(c, f, "names");
    cJSON *a = cJSON_CreateArray();
    if (!c->no_cost)
        c->actual += 1 + cost_selset(c, "InventoryQuantity", &f->sel, 0);
    const cJSON *it;
    cJSON_ArrayForEach(it, names)
    {
        if (!cJSON_IsString(it))
            continue;
        int known;
        int64_t q = quantity_of(o->v, o->loc, it->valuestring, &known);
        if (!known) {
            ag_error(c, f->line, f->col, "INVALID_QUANTITY_NAME",
                     "'%s' is not a valid quantity name (available, committed, on_hand, incoming, "
                     "reserved, damaged, safety_stock, quality_control)",
                     it->valuestring);
            continue;
        }
        ref x = {.type = "InventoryQuantity", .v = o->v, .loc = o->loc, .qname = it->valuestring,
                 .qty = q};
        cJSON_AddItemToArray(a, ag_resolve_uncharged(c, &x, &f->sel)); /* counted above, once */
    }
    return a;
}

/* Whether a filter argument of changes lets a change through: when it is
 * a list, one of its strings must name it (a gid of type naming id, or
 * name itself when type is NULL). */
static int listed(const cJSON *filter, const char *type, int64_t id, const char *name)
{
    if (!cJSON_IsArray(filter))
        return 1;
    const cJSON *it;
    cJSON_ArrayForEach(it, filter)
    {
        if (cJSON_IsString(it) && (type ? ag_gid_id(it->valuestring, type) == id
                                        : strcmp(it->valuestring, name) == 0))
            return 1;
    }
    return 0;
}

static cJSON *resolve_field(ctx *c, const ref *o, const gql_selection *f)
{
    const char *t = o->type, *n = f->name;
    char buf[160];
    ws_shop *s = c->s;
    if (strcmp(n, "__typename") == 0)
        return cJSON_CreateString(t);
    cJSON *own;
    if (ag_orders_field(c, o, f, &own) || ag_products_field(c, o, f, &own))
        return own;
    if (strcmp(t, "QueryRoot") == 0) {
        if (strcmp(n, "shop") == 0) {
            ref r = {.type = "Shop"};
            return ag_object_or_null(c, &r, f);
        }
        if (strcmp(n, "location") == 0) {
            int loc = location_arg(c, f, "id");
            ref r = {.type = "Location", .loc = loc};
            return ag_object_or_null(c, loc >= 0 ? &r : NULL, f);
        }
        if (strcmp(n, "locations") == 0) {
            cands cl;
            ag_cands_init(&cl, s->n_locations);
            for (size_t i = 0; i < s->n_locations; i++)
                ag_cands_add(&cl, (ref){.type = "Location", .loc = (int)i}, s->locations[i].id);
            return ag_cands_resolve(c, f, "Location", &cl);
        }
        if (strcmp(n, "inventoryItem") == 0) {
            ws_variant *v = item_arg(c, f, "id");
            ref r = {.type = "InventoryItem", .v = v};
            return ag_object_or_null(c, v ? &r : NULL, f);
        }
        if (strcmp(n, "inventoryItems") == 0)
            return variant_connection(c, f, "InventoryItem", 1, NULL);
        if (strcmp(n, "productVariants") == 0)
            return variant_connection(c, f, "ProductVariant", 0, NULL);
        if (strcmp(n, "inventoryLevel") == 0) {
            const cJSON *v = ag_field_arg(c, f, "id");
            const char *id = cJSON_IsString(v) ? v->valuestring : "";
            int64_t lid = ag_gid_id(id, "InventoryLevel");
            const char *q = strstr(id, "?inventory_item_id=");
            int64_t item = q ? strtoll(q + 19, NULL, 10) : -1;
            if (lid < 0 || item <= 0) {
                ag_error(c, f->line, f->col, "argumentLiteralsIncompatible",
                         "Invalid global id '%s'", id);
                return cJSON_CreateNull();
            }
            ws_variant *vv = world_variant_by_item(s, item);
            int loc = world_location_index(s, lid);
            ref r = {.type = "InventoryLevel", .v = vv, .loc = loc};
            return ag_object_or_null(c, vv && loc >= 0 ? &r : NULL, f);
        }
        if (strcmp(n, "productVariant") == 0) {
            const cJSON *v = ag_field_arg(c, f, "id");
            int64_t id = cJSON_IsString(v) ? ag_gid_id(v->valuestring, "ProductVariant") : -1;
            if (id < 0)
                ag_error(c, f->line, f->col, "argumentLiteralsIncompatible", "Invalid global id");
            ws_variant *vv = id > 0 ? world_variant_by_id(s, id) : NULL;
            ref r = {.type = "ProductVariant", .v = vv};
            return ag_object_or_null(c, vv ? &r : NULL, f);
        }
        if (strcmp(n, "product") == 0) {
            const cJSON *v = ag_field_arg(c, f, "id");
            int64_t id = cJSON_IsString(v) ? ag_gid_id(v->valuestring, "Product") : -1;
            if (id < 0)
                ag_error(c, f->line, f->col, "argumentLiteralsIncompatible", "Invalid global id");
            ws_product *p = id > 0 ? world_product_by_id(s, id) : NULL;
            ref r = {.type = "Product", .p = p};
            return ag_object_or_null(c, p ? &r : NULL, f);
        }
        if (strcmp(n, "products") == 0)
            return ag_products_connection(c, f);
    } else if (strcmp(t, "Mutation") == 0) {
        if (ag_orders_mutation(c, f, &own))
            return own;
        return resolve_mutation(c, f);
    } else if (strcmp(t, "Shop") == 0) {
        if (strcmp(n, "id") == 0)
            return ag_gid_json("Shop", s->id);
        if (strcmp(n, "name") == 0)
            return cJSON_CreateString(s->name);
        if (strcmp(n, "myshopifyDomain") == 0)
            return cJSON_CreateString(s->domain);
        if (strcmp(n, "currencyCode") == 0)
            return cJSON_CreateString(s->currency);
        if (strcmp(n, "email") == 0)
            return cJSON_CreateString("owner@example.com");
    } else if (strcmp(t, "Location") == 0) {
        const ws_location *l = &s->locations[o->loc];
        cJSON *id = ag_id_field(n, "Location", l->id);
        if (id)
            return id;
        if (strcmp(n, "name") == 0)
            return cJSON_CreateString(l->name);
        if (strcmp(n, "isActive") == 0 || strcmp(n, "fulfillsOnlineOrders") == 0)
            return cJSON_CreateTrue();
        if (strcmp(n, "createdAt") == 0 || strcmp(n, "updatedAt") == 0)
            return ag_iso_json(c, l->created_ms);
        if (strcmp(n, "inventoryLevel") == 0) {
            ws_variant *v = item_arg(c, f, "inventoryItemId");
            ref r = {.type = "InventoryLevel", .v = v, .loc = o->loc};
            return ag_object_or_null(c, v ? &r : NULL, f);
        }
        if (strcmp(n, "inventoryLevels") == 0)
            return level_connection(c, f, NULL, o->loc);
    } else if (strcmp(t, "InventoryItem") == 0 || strcmp(t, "ProductVariant") == 0) {
        const ws_variant *v = o->v;
        int item = strcmp(t, "InventoryItem") == 0;
        cJSON *id = ag_id_field(n, t, item ? v->item_id : v->id);
        if (id)
            return id;
        if (strcmp(n, "sku") == 0)
            return cJSON_CreateString(v->sku);
        if (strcmp(n, "createdAt") == 0 || strcmp(n, "updatedAt") == 0)
            return ag_iso_json(c, n[0] == 'c' ? v->created_ms : v->updated_ms);
        if (item) {
            if (strcmp(n, "tracked") == 0 || strcmp(n, "requiresShipping") == 0)
                return cJSON_CreateTrue();
            if (strcmp(n, "variant") == 0) {
                ref r = {.type = "ProductVariant", .v = o->v};
                return ag_object_or_null(c, &r, f);
            }
            if (strcmp(n, "inventoryLevel") == 0) {
                int loc = location_arg(c, f, "locationId");
                ref r = {.type = "InventoryLevel", .v = o->v, .loc = loc};
                return ag_object_or_null(c, loc >= 0 ? &r : NULL, f);
            }
            if (strcmp(n, "inventoryLevels") == 0)
                return level_connection(c, f, o->v, 0);
        } else {
            const ws_product *p = &s->products[v->product];
            if (strcmp(n, "title") == 0)
                return cJSON_CreateString(v->title);
            if (strcmp(n, "displayName") == 0) {
                snprintf(buf, sizeof buf, "%s - %s", p->title, v->title);
                return cJSON_CreateString(buf);
            }
            if (strcmp(n, "price") == 0)
                return cJSON_CreateString(v->price);
            if (strcmp(n, "inventoryPolicy") == 0)
                return cJSON_CreateString(v->policy_continue ? "CONTINUE" : "DENY");
            if (strcmp(n, "inventoryQuantity") == 0) {
                int64_t q = 0;
                for (size_t l = 0; l < s->n_locations; l++)
                    q += v->available[l];
                return cJSON_CreateNumber((double)q);
            }
            if (strcmp(n, "inventoryItem") == 0) {
                ref r = {.type = "InventoryItem", .v = o->v};
                return ag_object_or_null(c, &r, f);
            }
            if (strcmp(n, "product") == 0) {
                ref r = {.type = "Product", .p = &s->products[v->product]};
                return ag_object_or_null(c, &r, f);
            }
        }
    } else if (strcmp(t, "InventoryLevel") == 0) {
        if (strcmp(n, "id") == 0) {
            res_level_gid(s, o->v, o->loc, buf, sizeof buf);
            return cJSON_CreateString(buf);
        }
        if (strcmp(n, "canDeactivate") == 0)
            return cJSON_CreateFalse();
        if (strcmp(n, "createdAt") == 0 || strcmp(n, "updatedAt") == 0)
            return ag_iso_json(c, n[0] == 'c' ? o->v->created_ms : o->v->level_updated_ms[o->loc]);
        if (strcmp(n, "quantities") == 0)
            return resolve_quantities(c, o, f);
        if (strcmp(n, "item") == 0) {
            ref r = {.type = "InventoryItem", .v = o->v};
            return ag_object_or_null(c, &r, f);
        }
        if (strcmp(n, "location") == 0) {
            ref r = {.type = "Location", .loc = o->loc};
            return ag_object_or_null(c, &r, f);
        }
    } else if (strcmp(t, "InventoryQuantity") == 0) {
        if (strcmp(n, "name") == 0)
            return cJSON_CreateString(o->qname);
        if (strcmp(n, "quantity") == 0)
            return cJSON_CreateNumber((double)o->qty);
        if (strcmp(n, "id") == 0) {
            snprintf(buf, sizeof buf, "gid://shopify/InventoryQuantity/%lld?inventory_item_id=%lld&name=%s",
                     (long long)s->locations[o->loc].id, (long long)o->v->item_id, o->qname);
            return cJSON_CreateString(buf);
        }
        if (strcmp(n, "updatedAt") == 0)
            return ag_iso_json(c, o->v->level_updated_ms[o->loc]);
    } else if (strcmp(t, "Product") == 0) {
        const ws_product *p = o->p;
        cJSON *id = ag_id_field(n, "Product", p->id);
        if (id)
            return id;
        if (strcmp(n, "title") == 0)
            return cJSON_CreateString(p->title);
        if (strcmp(n, "handle") == 0)
            return cJSON_CreateString(p->handle);
        if (strcmp(n, "vendor") == 0)
            return cJSON_CreateString(p->vendor);
        if (strcmp(n, "productType") == 0)
            return cJSON_CreateString(p->product_type);
        if (strcmp(n, "totalInventory") == 0) {
            int64_t q = 0;
            for (size_t i = 0; i < p->n_variants; i++)
                for (size_t l = 0; l < s->n_locations; l++)
                    q += s->variants[p->variants[i]].available[l];
            return cJSON_CreateNumber((double)q);
        }
        if (strcmp(n, "createdAt") == 0 || strcmp(n, "updatedAt") == 0)
            return ag_iso_json(c, n[0] == 'c' ? p->created_ms : p->updated_ms);
        if (strcmp(n, "variants") == 0)
            return variant_connection(c, f, "ProductVariant", 0, p);
    } else if (strcmp(t, "PageInfo") == 0) {
        if (strcmp(n, "hasNextPage") == 0)
            return cJSON_CreateBool(o->has_next);
        if (strcmp(n, "hasPreviousPage") == 0)
            return cJSON_CreateBool(o->has_prev);
        if (strcmp(n, "startCursor") == 0)
            return o->start[0] ? cJSON_CreateString(o->start) : cJSON_CreateNull();
        if (strcmp(n, "endCursor") == 0)
            return o->end[0] ? cJSON_CreateString(o->end) : cJSON_CreateNull();
    } else if (ends_with(t, "Payload")) {
        if (strcmp(n, "inventoryAdjustmentGroup") == 0) {
            ref r = {.type = "InventoryAdjustmentGroup", .mr = o->mr};
            return ag_object_or_null(c, o->mr->has_group ? &r : NULL, f);
        }
        if (strcmp(n, "userErrors") == 0) {
            cJSON *a = cJSON_CreateArray();
            const char *et = strcmp(t, "InventorySetQuantitiesPayload") == 0
                                 ? "InventorySetQuantitiesUserError"
                                 : "InventoryAdjustQuantitiesUserError";
            for (int i = 0; i < cJSON_GetArraySize(o->mr->user_errors); i++) {
                ref r = {.type = et, .mr = o->mr, .idx = (size_t)i};
                cJSON_AddItemToArray(a, ag_resolve_object(c, &r, &f->sel));
            }
            return a;
        }
    } else if (strcmp(t, "InventoryAdjustmentGroup") == 0) {
        const mresult *m = o->mr;
        if (strcmp(n, "id") == 0)
            return ag_gid_json("InventoryAdjustmentGroup", m->group_id);
        if (strcmp(n, "createdAt") == 0)
            return ag_iso_json(c, m->created_ms);
        if (strcmp(n, "reason") == 0)
            return ag_str_or_null(m->reason);
        if (strcmp(n, "referenceDocumentUri") == 0)
            return ag_str_or_null(m->ref_uri);
        if (strcmp(n, "changes") == 0) {
            const cJSON *fi = ag_field_arg(c, f, "inventoryItemIds");
            const cJSON *fl = ag_field_arg(c, f, "locationIds");
            const cJSON *fq = ag_field_arg(c, f, "quantityNames");
            cJSON *a = cJSON_CreateArray();
            for (size_t i = 0; i < m->n_changes; i++) {
                const mchange *ch = &m->changes[i];
                if (!listed(fi, "InventoryItem", ch->item_id, NULL) ||
                    !listed(fl, "Location", ch->location_id, NULL) || !listed(fq, NULL, 0, ch->name))
                    continue;
                ref r = {.type = "InventoryChange", .mr = m, .idx = i};
                cJSON_AddItemToArray(a, ag_resolve_object(c, &r, &f->sel));
            }
            return a;
        }
    } else if (strcmp(t, "InventoryChange") == 0) {
        const mchange *ch = &o->mr->changes[o->idx];
        if (strcmp(n, "name") == 0)
            return cJSON_CreateString(ch->name);
        if (strcmp(n, "delta") == 0)
            return cJSON_CreateNumber((double)ch->delta);
        if (strcmp(n, "quantityAfterChange") == 0)
            return cJSON_CreateNumber((double)ch->after);
        if (strcmp(n, "ledgerDocumentUri") == 0)
            return ag_str_or_null(ch->ledger);
        if (strcmp(n, "item") == 0) {
            ws_variant *v = world_variant_by_item(s, ch->item_id);
            ref r = {.type = "InventoryItem", .v = v};
            return ag_object_or_null(c, v ? &r : NULL, f);
        }
        if (strcmp(n, "location") == 0) {
            int loc = world_location_index(s, ch->location_id);
            ref r = {.type = "Location", .loc = loc};
            return ag_object_or_null(c, loc >= 0 ? &r : NULL, f);
        }
    } else if (ends_with(t, "UserError")) {
        const cJSON *ue = cJSON_GetArrayItem(o->mr->user_errors, (int)o->idx);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(ue, n);
        return v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();
    }
    return cJSON_CreateNull();
}

cJSON *ag_resolve_object(ctx *c, const ref *o, const gql_selset *sel)
{
    field_list fl = {0};
    collect(c, o->type, sel, &fl, 0, 0);
    cJSON *out = cJSON_CreateObject();
    for (size_t i = 0; i < fl.n; i++) {
        const char *key = response_key(fl.items[i]);
        cJSON_AddItemToArray(c->path, cJSON_CreateString(key));
        cJSON *v = resolve_field(c, o, fl.items[i]);
        cJSON_DeleteItemFromArray(c->path, cJSON_GetArraySize(c->path) - 1);
        if (cJSON_GetObjectItemCaseSensitive(out, key))
            cJSON_ReplaceItemInObjectCaseSensitive(out, key, v);
        else
            cJSON_AddItemToObject(out, key, v);
    }
    free(fl.items);
    return out;
}

/* ---- mutations -------------------------------------------------------------------------- */

static void mresult_free(mresult *m)
{
    free(m->reason);
    free(m->ref_uri);
    for (size_t i = 0; i < m->n_changes; i++)
        free(m->changes[i].ledger);
    free(m->changes);
    cJSON_Delete(m->user_errors);
    memset(m, 0, sizeof *m);
}

/* The user error's field path names the list the mutation takes. */
static void list_error(mresult *m, const char *list, const char *code, const char *message,
                       int index, const char *leaf)
{
    cJSON *e = cJSON_CreateObject();
    cJSON *field = cJSON_AddArrayToObject(e, "field");
    cJSON_AddItemToArray(field, cJSON_CreateString("input"));
    if (list) {
        cJSON_AddItemToArray(field, cJSON_CreateString(list));
        char idx[16];
        snprintf(idx, sizeof idx, "%d", index);
        cJSON_AddItemToArray(field, cJSON_CreateString(idx));
    }
    if (leaf)
        cJSON_AddItemToArray(field, cJSON_CreateString(leaf));
    cJSON_AddStringToObject(e, "message", message);
    cJSON_AddStringToObject(e, "code", code);
    cJSON_AddItemToArray(m->user_errors, e);
}

static int reason_ok(const char *r)
{
    static const char *const reasons[] = {
        "correction", "cycle_count_available", "damaged", "movement_canceled", "movement_created",
        "movement_received", "movement_updated", "other", "promotion", "quality_control",
        "received", "reservation_created", "reservation_deleted", "reservation_updated",
        "restock", "safety_stock", "shrinkage", NULL};
    for (const char *const *p = reasons; *p; p++)
        if (strcmp(*p, r) == 0)
            return 1;
    return 0;
}

/* Stored form of a result, for replays of its idempotency key. */
static char *mresult_text(const mresult *m)
{
    cJSON *o = cJSON_CreateObject();
    if (m->has_group) {
        cJSON *g = cJSON_AddObjectToObject(o, "group");
        cJSON_AddNumberToObject(g, "id", (double)m->group_id);
        cJSON_AddNumberToObject(g, "created", (double)m->created_ms);
        cJSON_AddItemToObject(g, "reason", ag_str_or_null(m->reason));
        cJSON_AddItemToObject(g, "ref", ag_str_or_null(m->ref_uri));
        cJSON *ch = cJSON_AddArrayToObject(g, "changes");
        for (size_t i = 0; i < m->n_changes; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "name", m->changes[i].name);
            cJSON_AddNumberToObject(x, "delta", (double)m->changes[i].delta);
            cJSON_AddNumberToObject(x, "after", (double)m->changes[i].after);
            cJSON_AddNumberToObject(x, "item", (double)m->changes[i].item_id);
            cJSON_AddNumberToObject(x, "location", (double)m->changes[i].location_id);
            cJSON_AddItemToObject(x, "ledger", ag_str_or_null(m->changes[i].ledger));
            cJSON_AddItemToArray(ch, x);
        }
    }
    cJSON_AddItemToObject(o, "userErrors", cJSON_Duplicate(m->user_errors, 1));
    char *t = json_print(o);
    cJSON_Delete(o);
    return t;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int64_t jnum(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static void mresult_load(const char *text, mresult *m)
{
    memset(m, 0, sizeof *m);
    json_err e;
    cJSON *o = json_parse(text, strlen(text), &e);
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(o, "group");
    if (cJSON_IsObject(g)) {
        m->has_group = 1;
        m->group_id = jnum(g, "id");
        m->created_ms = jnum(g, "created");
        m->reason = jstr(g, "reason") ? xstrdup(jstr(g, "reason")) : NULL;
        m->ref_uri = jstr(g, "ref") ? xstrdup(jstr(g, "ref")) : NULL;
        const cJSON *ch = cJSON_GetObjectItemCaseSensitive(g, "changes");
        size_t n = (size_t)cJSON_GetArraySize(ch);
        m->changes = xcalloc(n ? n : 1, sizeof *m->changes);
        const cJSON *x;
        cJSON_ArrayForEach(x, ch)
        {
            mchange *c = &m->changes[m->n_changes++];
            snprintf(c->name, sizeof c->name, "%s", jstr(x, "name") ? jstr(x, "name") : "");
            c->delta = jnum(x, "delta");
            c->after = jnum(x, "after");
            c->item_id = jnum(x, "item");
            c->location_id = jnum(x, "location");
            c->ledger = jstr(x, "ledger") ? xstrdup(jstr(x, "ledger")) : NULL;
        }
    }
    const cJSON *ue = cJSON_GetObjectItemCaseSensitive(o, "userErrors");
    m->user_errors = cJSON_IsArray(ue) ? cJSON_Duplicate(ue, 1) : cJSON_CreateArray();
    cJSON_Delete(o);
}

static void add_change(mresult *m, const char *name, int64_t delta, int64_t after, int64_t item,
                       int64_t location, const char *ledger)
{
    m->changes = xrealloc(m->changes, (m->n_changes + 1) * sizeof *m->changes);
    mchange *c = &m->changes[m->n_changes++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    c->delta = delta;
    c->after = after;
    c->item_id = item;
    c->location_id = location;
    c->ledger = ledger ? xstrdup(ledger) : NULL;
}

static int64_t next_group_id(void)
{
    /* Adjustment groups are only ever named in answers; a process-wide
     * counter is enough. */
    static int64_t next = 31000000001LL;
    return __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED);
}

typedef struct {
    ws_variant *v;
    int loc;
    int64_t value;  /* set: target quantity; adjust: delta */
    int has_cmp;    /* a compare value to check */
    int from;       /* it came as changeFromQuantity (else compareQuantity) */
    int has_from_key; /* changeFromQuantity was given, even as null */
    int64_t cmp;
    const char *ledger;
} mitem;

/* An adjustment may not take available beyond +-10^9, which REST's adjust
 * and every set keep to: each entry's result, with the entries before it
 * on the same level added first, as they are applied in order. */
static void check_adjust_range(mresult *m, const char *list, const mitem *mi, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        int64_t after = mi[k].v->available[mi[k].loc] + mi[k].value;
        for (size_t j = 0; j < k; j++)
            if (mi[j].v == mi[k].v && mi[j].loc == mi[k].loc)
                after += mi[j].value;
        if (after > 1000000000 || after < -1000000000)
            list_error(m, list, after > 0 ? "INVALID_QUANTITY_TOO_HIGH" : "INVALID_QUANTITY_TOO_LOW",
                       "The adjustment would take the quantity beyond 1,000,000,000 either way.",
                       (int)k, "delta");
    }
}

/* Checks one mutation's input and applies it when every entry is valid.
 * set: inventorySetQuantities, else inventoryAdjustQuantities. Returns -1
 * with a GraphQL error already reported for input the schema refuses. */
static int run_inventory_mutation(ctx *c, const gql_selection *f, const cJSON *input, int set,
                                  const char *key, mresult *m)
{
    /* Shopify's changelog: 2026-01 adds changeFromQuantity (optional, on
     * set and adjust); from 2026-04 it is required on every entry and
     * compareQuantity/ignoreCompareQuantity are gone. */
    int modern = ag_version_at_least(c->version, "2026-04");
    int has_from = ag_version_at_least(c->version, "2026-01");
    const char *list = set ? "quantities" : "changes";
    m->user_errors = cJSON_CreateArray();
    /* Arguments the version's schema does not have are GraphQL errors. */
    const char *const old_only_input[] = {"ignoreCompareQuantity", NULL};
    const cJSON *it;
    cJSON_ArrayForEach(it, input)
    {
        int ok = strcmp(it->string, "name") == 0 || strcmp(it->string, "reason") == 0 ||
                 strcmp(it->string, "referenceDocumentUri") == 0 || strcmp(it->string, list) == 0 ||
                 (set && !modern && strcmp(it->string, old_only_input[0]) == 0);
        if (!ok) {
            ag_error(c, f->line, f->col, "argumentNotAccepted",
                     "InputObject '%s' doesn't accept argument '%s'",
                     set ? "InventorySetQuantitiesInput" : "InventoryAdjustQuantitiesInput",
                     it->string);
            return -1;
        }
    }
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(input, "name");
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(input, "reason");
    const cJSON *refdoc = cJSON_GetObjectItemCaseSensitive(input, "referenceDocumentUri");
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(input, list);
    const cJSON *ignore = cJSON_GetObjectItemCaseSensitive(input, "ignoreCompareQuantity");
    if (!cJSON_IsString(name) || !cJSON_IsString(reason) || !cJSON_IsArray(items)) {
        ag_error(c, f->line, f->col, "missingRequiredInputObjectAttribute",
                 "Argument 'input' is missing required fields: name, reason and %s", list);
        return -1;
    }
    if (refdoc && !cJSON_IsNull(refdoc) && !cJSON_IsString(refdoc)) {
        ag_error(c, f->line, f->col, "argumentLiteralsIncompatible",
                 "referenceDocumentUri must be a string");
        return -1;
    }
    size_t n = (size_t)cJSON_GetArraySize(items);
    if (n > 250) {
        ag_error(c, f->line, f->col, "argumentLiteralsIncompatible",
                 "At most 250 %s in one call", list);
        return -1;
    }
    mitem *mi = xcalloc(n ? n : 1, sizeof *mi);
    int rc = 0;
    size_t i = 0;
    cJSON_ArrayForEach(it, items)
    {
        const char *vk = set ? "quantity" : "delta";
        static const char *const set_keys[] = {"inventoryItemId", "locationId", "quantity",
                                               "compareQuantity", "changeFromQuantity", NULL};
        static const char *const adj_keys[] = {"inventoryItemId", "locationId", "delta",
                                               "ledgerDocumentUri", "changeFromQuantity", NULL};
        const cJSON *x;
        if (!cJSON_IsObject(it)) {
            ag_error(c, f->line, f->col, "argumentLiteralsIncompatible",
                     "input.%s[%zu] must be an object", list, i);
            rc = -1;
            goto out;
        }
        cJSON_ArrayForEach(x, it)
        {
            int ok = 0;
            for (const char *const *k = set ? set_keys : adj_keys; *k && !ok; k++)
                ok = strcmp(*k, x->string) == 0;
            if (ok && strcmp(x->string, "compareQuantity") == 0 && modern)
                ok = 0;
            if (ok && strcmp(x->string, "changeFromQuantity") == 0 && !has_from)
                ok = 0;
            if (!ok) {
                ag_error(c, f->line, f->col, "argumentNotAccepted",
                         "InputObject '%s' doesn't accept argument '%s' (API version %s)",
                         set ? "InventoryQuantityInput" : "InventoryChangeInput", x->string,
                         c->version);
                rc = -1;
                goto out;
            }
        }
        const cJSON *iid = cJSON_GetObjectItemCaseSensitive(it, "inventoryItemId");
        const cJSON *lid = cJSON_GetObjectItemCaseSensitive(it, "locationId");
        const cJSON *val = cJSON_GetObjectItemCaseSensitive(it, vk);
        int64_t value;
        if (!cJSON_IsString(iid) || !cJSON_IsString(lid) || ag_int_value(val, &value) != 0) {
            ag_error(c, f->line, f->col, "missingRequiredInputObjectAttribute",
                     "input.%s[%zu] needs inventoryItemId, locationId and an integer %s", list, i,
                     vk);
            rc = -1;
            goto out;
        }
        const cJSON *from = cJSON_GetObjectItemCaseSensitive(it, "changeFromQuantity");
        const cJSON *old_cmp = cJSON_GetObjectItemCaseSensitive(it, "compareQuantity");
        if (modern && !from) {
            ag_error(c, f->line, f->col, "missingRequiredInputObjectAttribute",
                     "input.%s[%zu].changeFromQuantity is required from API version "
                     "2026-04 on; pass null to skip the compare-and-set check",
                     list, i);
            rc = -1;
            goto out;
        }
        if (from && old_cmp) {
            ag_error(c, f->line, f->col, "argumentLiteralsIncompatible",
                     "input.%s[%zu]: give changeFromQuantity or compareQuantity, not both", list, i);
            rc = -1;
            goto out;
        }
        const cJSON *cmp = from ? from : old_cmp;
        mi[i].value = value;
        mi[i].from = from != NULL;
        mi[i].has_from_key = from != NULL;
        if (cmp && !cJSON_IsNull(cmp)) {
            if (ag_int_value(cmp, &mi[i].cmp) != 0) {
                ag_error(c, f->line, f->col, "argumentLiteralsIncompatible",
                         "input.%s[%zu].%s must be an integer or null", list, i,
                         from ? "changeFromQuantity" : "compareQuantity");
                rc = -1;
                goto out;
            }
            mi[i].has_cmp = 1;
        }
        const cJSON *ledger = cJSON_GetObjectItemCaseSensitive(it, "ledgerDocumentUri");
        mi[i].ledger = cJSON_IsString(ledger) ? ledger->valuestring : NULL;
        int idx = (int)i;
        int64_t item_id = ag_gid_id(iid->valuestring, "InventoryItem");
        mi[i].v = item_id > 0 ? world_variant_by_item(c->s, item_id) : NULL;
        if (!mi[i].v)
            list_error(m, list, "INVALID_INVENTORY_ITEM",
                       "The specified inventory item could not be found.", idx, "inventoryItemId");
        int64_t loc_id = ag_gid_id(lid->valuestring, "Location");
        mi[i].loc = loc_id > 0 ? world_location_index(c->s, loc_id) : -1;
        if (mi[i].loc < 0)
            list_error(m, list, "INVALID_LOCATION", "The specified location could not be found.",
                       idx, "locationId");
        if (set && value < 0)
            list_error(m, list, "INVALID_QUANTITY_NEGATIVE", "The quantity can't be negative.",
                       idx, "quantity");
        if (set && value > 1000000000)
            list_error(m, list, "INVALID_QUANTITY_TOO_HIGH",
                       "The quantity can't be higher than 1,000,000,000.", idx, "quantity");
        if (!set && (value > 2000000000 || value < -2000000000))
            list_error(m, list, value > 0 ? "INVALID_QUANTITY_TOO_HIGH" : "INVALID_QUANTITY_TOO_LOW",
                       "The quantity is out of range.", idx, "delta");
        for (size_t k = 0; k < i && mi[i].v; k++)
            if (mi[k].v == mi[i].v && mi[k].loc == mi[i].loc && set)
                list_error(m, list, "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                           "The combination of inventoryItemId and locationId must be unique.", idx,
                           NULL);
        i++;
    }
    int on_hand = strcmp(name->valuestring, "on_hand") == 0;
    if (!on_hand && strcmp(name->valuestring, "available") != 0)
        list_error(m, NULL, set ? "INVALID_NAME" : "INVALID_QUANTITY_NAME",
                   "The quantity name must be either 'available' or 'on_hand'.", -1, "name");
    if (!reason_ok(reason->valuestring))
        list_error(m, NULL, "INVALID_REASON", "The specified reason is invalid.", -1, "reason");
    if (!set)
        for (size_t k = 0; k < n; k++) {
            if (!on_hand && mi[k].ledger)
                list_error(m, list, "INVALID_AVAILABLE_DOCUMENT",
                           "A ledger document URI is not allowed when adjusting available.",
                           (int)k, "ledgerDocumentUri");
            if (on_hand && !mi[k].ledger)
                list_error(m, list, "INVALID_QUANTITY_DOCUMENT",
                           "A ledger document URI is required except when adjusting available.",
                           (int)k, "ledgerDocumentUri");
        }
    if (set && !modern && !cJSON_IsTrue(ignore))
        for (size_t k = 0; k < n; k++)
            if (!mi[k].has_cmp && !mi[k].has_from_key)
                list_error(m, list, "COMPARE_QUANTITY_REQUIRED",
                           "The compareQuantity argument must be given to each quantity or "
                           "ignored using ignoreCompareQuantity.",
                           (int)k, "compareQuantity");
    /* Compare-and-set, checked only when everything else is valid. */
    if (cJSON_GetArraySize(m->user_errors) == 0) {
        for (size_t k = 0; k < n; k++) {
            if (!mi[k].has_cmp || (!mi[k].from && cJSON_IsTrue(ignore)))
                continue;
            int known;
            int64_t cur = quantity_of(mi[k].v, mi[k].loc, on_hand ? "on_hand" : "available", &known);
            if (cur != mi[k].cmp) {
                char msg[200];
                snprintf(msg, sizeof msg,
                         "The %s value (%lld) does not match the persisted value (%lld).",
                         mi[k].from ? "changeFromQuantity" : "compareQuantity", (long long)mi[k].cmp,
                         (long long)cur);
                list_error(m, list, mi[k].from ? "CHANGE_FROM_QUANTITY_STALE" : "COMPARE_QUANTITY_STALE",
                           msg, (int)k, mi[k].from ? "changeFromQuantity" : "compareQuantity");
            }
        }
    }
    if (!set && cJSON_GetArraySize(m->user_errors) == 0)
        check_adjust_range(m, list, mi, n);
    if (cJSON_GetArraySize(m->user_errors) > 0)
        goto out;
    /* All valid: apply every entry. */
    m->has_group = 1;
    m->group_id = next_group_id();
    m->created_ms = world_now(c->w);
    m->reason = xstrdup(reason->valuestring);
    m->ref_uri = cJSON_IsString(refdoc) ? xstrdup(refdoc->valuestring) : NULL;
    for (size_t k = 0; k < n; k++) {
        ws_variant *v = mi[k].v;
        int loc = mi[k].loc;
        int64_t before = v->available[loc];
        int64_t target = set ? (on_hand ? mi[k].value - v->committed[loc] : mi[k].value)
                             : before + mi[k].value;
        world_set_available(c->w, c->s, v, loc, target, set ? "graphql_set" : "graphql_adjust", key);
        int64_t delta = target - before;
        int64_t item = v->item_id, lid = c->s->locations[loc].id;
        add_change(m, "available", delta, v->available[loc], item, lid, NULL);
        add_change(m, "on_hand", delta, v->available[loc] + v->committed[loc], item, lid,
                   mi[k].ledger);
    }
    c->mutated = 1;
out:
    free(mi);
    return rc;
}

static cJSON *resolve_mutation(ctx *c, const gql_selection *f)
{
    int set = strcmp(f->name, "inventorySetQuantities") == 0;
    ag_charge(c, MUTATION_COST);
    const cJSON *input = ag_field_arg(c, f, "input");
    if (!cJSON_IsObject(input)) {
        ag_error(c, f->line, f->col, "argumentLiteralsIncompatible",
                 "Argument 'input' on Field '%s' has an invalid value: expected an input object",
                 f->name);
        return cJSON_CreateNull();
    }
    const gql_directive *idem = gql_directive_find(f->dirs, f->n_dirs, "idempotent");
    const char *key = NULL;
    if (idem) {
        const cJSON *k = arg(c, idem->args, idem->n_args, "key");
        if (!cJSON_IsString(k) || !*k->valuestring) {
            ag_error(c, idem->line, idem->col, "missingRequiredArguments",
                     "Directive 'idempotent' is missing required arguments: key (a non-empty string)");
            return cJSON_CreateNull();
        }
        key = k->valuestring;
    }
    mresult m = {0};
    char *params = NULL;
    if (key) {
        char *in = json_print(input);
        params = xasprintf("%s %s", f->name, in);
        free(in);
        const char *stored_params, *stored;
        if (world_idem_get(c->s, key, &stored_params, &stored)) {
            if (strcmp(stored_params, params) == 0) {
                mresult_load(stored, &m);
                if (c->g->m) /* agql_execute's callers may have no mock around it */
                    counters_add(mockd_counters(c->g->m), "graphql idempotent replays", 1);
            } else {
                m.user_errors = cJSON_CreateArray();
                list_error(&m, NULL, "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                           "The same idempotency key cannot be used with different operation "
                           "parameters.",
                           -1, NULL);
                cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetArrayItem(m.user_errors, 0),
                                                       "field", cJSON_CreateNull());
            }
            goto answer;
        }
    }
    if (run_inventory_mutation(c, f, input, set, key, &m) != 0) {
        mresult_free(&m);
        free(params);
        return cJSON_CreateNull();
    }
    if (key) {
        char *text = mresult_text(&m);
        world_idem_put(c->w, c->s, key, params, text);
        free(text);
    }
answer:;
    ref r = {.type = set ? "InventorySetQuantitiesPayload" : "InventoryAdjustQuantitiesPayload",
             .mr = &m};
    cJSON *out = ag_resolve_uncharged(c, &r, &f->sel);
    mresult_free(&m);
    free(params);
    return out;
}

cJSON *ag_run_bulk(ctx *c, const gql_doc *doc, const gql_operation *op)
{
    c->doc = doc;
    c->bulk = 1;
    c->no_cost = 1; /* Shopify does not charge a bulk query's reads to the bucket */
    int before = cJSON_GetArraySize(c->errors);
    cost_selset(c, "QueryRoot", &op->sel, 1);
    c->visits = 0;
    if (cJSON_GetArraySize(c->errors) > before)
        return NULL;
    ref root = {.type = "QueryRoot"};
    return ag_resolve_object(c, &root, &op->sel);
}

/* The mutations Shopify requires @idempotent on from 2026-04 that the
 * mock has: inventoryAdjustQuantities per the changelog, and
 * inventorySetQuantities by the strict reading (API-NOTES: unverified
 * whether Shopify requires it there; a client that sends it is safe both
 * ways). */
static int idempotency_required(const char *mutation)
{
    return strcmp(mutation, "inventoryAdjustQuantities") == 0 ||
           strcmp(mutation, "inventorySetQuantities") == 0;
}

/* ---- the endpoint ----------------------------------------------------------------------- */

static void add_cost(cJSON *root, double requested, int has_actual, double actual,
                     const limiter_gql_status *st)
{
    cJSON *ext = cJSON_GetObjectItemCaseSensitive(root, "extensions");
    if (!ext)
        ext = cJSON_AddObjectToObject(root, "extensions");
    cJSON *cost = cJSON_AddObjectToObject(ext, "cost");
    cJSON_AddNumberToObject(cost, "requestedQueryCost", requested);
    if (has_actual)
        cJSON_AddNumberToObject(cost, "actualQueryCost", actual);
    else
        cJSON_AddNullToObject(cost, "actualQueryCost");
    cJSON *ts = cJSON_AddObjectToObject(cost, "throttleStatus");
    cJSON_AddNumberToObject(ts, "maximumAvailable", st->maximum);
    cJSON_AddNumberToObject(ts, "currentlyAvailable", st->available);
    cJSON_AddNumberToObject(ts, "restoreRate", st->restore);
}

/* {"errors": [...]}: the answer when nothing ran; takes c's errors. */
static cJSON *errors_doc(ctx *c)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddItemToObject(root, "errors", c->errors);
    c->errors = NULL;
    return root;
}

/* {"errors"?: [...], "data": ...}: the answer when the operation ran;
 * takes c's errors and data (NULL: null). */
static cJSON *result_doc(ctx *c, cJSON *data)
{
    cJSON *root = cJSON_CreateObject();
    if (cJSON_GetArraySize(c->errors) > 0) {
        cJSON_AddItemToObject(root, "errors", c->errors);
        c->errors = NULL;
    }
    cJSON_AddItemToObject(root, "data", data ? data : cJSON_CreateNull());
    return root;
}

static void reply_errors(httpd_req *r, int status, ctx *c, double requested, int has_actual,
                         const limiter_gql_status *st)
{
    cJSON *root = errors_doc(c);
    add_cost(root, requested, has_actual, 0, st);
    httpd_reply_json(r, status, root);
    cJSON_Delete(root);
}

/* Declared variables: the given value, else the default, else an error
 * for a non-null one. */
static int effective_vars(ctx *c, const gql_operation *op, const cJSON *given)
{
    c->vars = cJSON_CreateObject();
    for (size_t i = 0; i < op->n_vars; i++) {
        const gql_vardef *d = &op->vars[i];
        const cJSON *v = cJSON_IsObject(given) ? cJSON_GetObjectItemCaseSensitive(given, d->name) : NULL;
        if (v && !cJSON_IsNull(v)) {
            cJSON_AddItemToObject(c->vars, d->name, cJSON_Duplicate(v, 1));
        } else if (d->def && !v) {
            cJSON_AddItemToObject(c->vars, d->name, gql_value_json(d->def, NULL));
        } else if (d->non_null) {
            ag_error(c, d->line, d->col, "INVALID_VARIABLE",
                     "Variable $%s of type %s was provided invalid value (expected a value, got null)",
                     d->name, d->type);
        } else if (v) {
            cJSON_AddItemToObject(c->vars, d->name, cJSON_CreateNull());
        }
    }
    return cJSON_GetArraySize(c->errors) ? -1 : 0;
}

/* @idempotent where the request's version has it, and on the mutations
 * that require it from 2026-04 on; GraphQL errors in c otherwise. */
static void check_idempotent(ctx *c, const gql_operation *op)
{
    field_list fl = {0};
    collect(c, "Mutation", &op->sel, &fl, 0, 0);
    for (size_t i = 0; i < fl.n; i++) {
        const gql_selection *f = fl.items[i];
        if (strcmp(f->name, "__typename") == 0)
            continue;
        int has = gql_directive_find(f->dirs, f->n_dirs, "idempotent") != NULL;
        if (has && !ag_version_at_least(c->version, "2026-01"))
            ag_error(c, f->line, f->col, "undefinedDirective",
                     "Directive @idempotent is not defined in API version %s", c->version);
        if (!has && idempotency_required(f->name) && ag_version_at_least(c->version, "2026-04"))
            ag_error(c, f->line, f->col, "IDEMPOTENCY_KEY_REQUIRED",
                     "The @idempotent(key:) directive is required on %s from API version "
                     "2026-04 on",
                     f->name);
    }
    free(fl.items);
}

/* Everything before the bucket is asked: the variables' shape, the
 * document, the operation, its variables, its requested cost (into
 * *requested), the @idempotent rules and the single-query maximum
 * (max_cost). Returns the operation (in *doc, which the caller frees), or
 * NULL with GraphQL errors in c; *requested stays 0 unless the maximum
 * refused it. */
static const gql_operation *prepare(ctx *c, const char *query, size_t len, const cJSON *vars,
                                    const char *opname, double max_cost, gql_doc **doc,
                                    double *requested)
{
    *requested = 0;
    if (vars && !cJSON_IsNull(vars) && !cJSON_IsObject(vars)) {
        ag_error(c, 0, 0, "INVALID_VARIABLES", "variables must be a JSON object");
        return NULL;
    }
    gql_error pe;
    if (gql_parse(query, len, doc, &pe) != 0) {
        ag_error(c, pe.line, pe.col, NULL, "%s", pe.msg);
        return NULL;
    }
    c->doc = *doc;
    const gql_operation *op = gql_operation_pick(*doc, opname, &pe);
    if (!op) {
        ag_error(c, 0, 0, NULL, "%s", pe.msg);
        return NULL;
    }
    if (op->kind == GQL_SUBSCRIPTION) {
        ag_error(c, op->line, op->col, NULL,
                 "Subscriptions are not supported by the Admin API (use webhooks)");
        return NULL;
    }
    if (effective_vars(c, op, vars) != 0)
        return NULL;
    double cost = cost_selset(c, op->kind == GQL_MUTATION ? "Mutation" : "QueryRoot", &op->sel, 1);
    if (!(cost < 1e15))
        cost = 1e15;
    c->visits = 0; /* the budget applies to each pass */
    if (op->kind == GQL_MUTATION)
        check_idempotent(c, op);
    if (cJSON_GetArraySize(c->errors) > 0)
        return NULL;
    if (cost > max_cost) {
        cJSON *e = cJSON_CreateObject();
        char msg[300];
        snprintf(msg, sizeof msg,
                 "Query cost is %.0f, which exceeds the single query max cost limit (%.0f).", cost,
                 max_cost);
        cJSON_AddStringToObject(e, "message", msg);
        cJSON *x = cJSON_AddObjectToObject(e, "extensions");
        cJSON_AddStringToObject(x, "code", "MAX_COST_EXCEEDED");
        cJSON_AddNumberToObject(x, "cost", cost);
        cJSON_AddNumberToObject(x, "maxCost", max_cost);
        cJSON_AddItemToArray(c->errors, e);
        *requested = cost;
        return NULL;
    }
    *requested = cost;
    return op;
}

/* Runs the operation against c->s (NULL: data null); world lock held. */
static cJSON *resolve_root(ctx *c, const gql_operation *op)
{
    if (!c->s)
        return NULL;
    ref root = {.type = op->kind == GQL_MUTATION ? "Mutation" : "QueryRoot"};
    return ag_resolve_object(c, &root, &op->sel);
}

static void ctx_init(ctx *c, agql *g)
{
    memset(c, 0, sizeof *c);
    c->g = g;
    c->w = g->w;
    c->errors = cJSON_CreateArray();
    c->garbage = cJSON_CreateArray();
    c->path = cJSON_CreateArray();
}

static void ctx_done(ctx *c)
{
    cJSON_Delete(c->vars);
    cJSON_Delete(c->errors);
    cJSON_Delete(c->garbage);
    cJSON_Delete(c->path);
}

/* The shop a domain names (NULL or "": the first one); world lock held. */
static ws_shop *shop_named(world *w, const char *domain)
{
    return domain && *domain ? world_shop_by_domain(w, domain) : world_shop_at(w, 0);
}

cJSON *agql_execute(agql *g, const char *shop_domain, const char *version, const char *query,
                    size_t len, const cJSON *vars, const char *opname)
{
    world_lock(g->w);
    ws_shop *s0 = shop_named(g->w, shop_domain);
    double max_cost = s0 ? s0->limits.gql_max_cost : 0;
    world_unlock(g->w);
    if (!s0)
        return NULL;
    ctx c;
    ctx_init(&c, g);
    snprintf(c.version, sizeof c.version, "%s", version);
    gql_doc *doc = NULL;
    double requested;
    const gql_operation *op = prepare(&c, query, len, vars, opname, max_cost, &doc, &requested);
    cJSON *root;
    if (!op) {
        root = errors_doc(&c);
    } else {
        world_lock(g->w);
        c.s = shop_named(g->w, shop_domain);
        cJSON *data = resolve_root(&c, op);
        world_unlock(g->w);
        root = result_doc(&c, data);
    }
    gql_doc_free(doc);
    ctx_done(&c);
    return root;
}

void agql_handle(httpd_req *r, void *ud)
{
    agql *g = ud;
    counters *ctr = mockd_counters(g->m);
    counters_add(ctr, "graphql requests", 1);
    ctx c;
    ctx_init(&c, g);
    rest_version(g->w, r, c.version, sizeof c.version);
    c.token = httpd_header(r, "X-Shopify-Access-Token");
    c.host = httpd_header(r, "Host");
    gql_doc *doc = NULL;
    cJSON *body = NULL;
    limiter_gql_status st = {0};
    double requested = 0;

    /* Which shop and bucket; the bucket's status goes on every answer. */
    world_lock(g->w);
    ws_shop *s0 = rest_shop(g->w, r);
    char *shop = s0 ? xstrdup(s0->domain) : NULL;
    spec_limits lim = s0 ? s0->limits : (spec_limits){0};
    world_unlock(g->w);
    if (!shop) {
        rest_error(r, 404, rest_status_message(404));
        goto out;
    }
    const char *token = c.token ? c.token : "";
    limiter_gql_refund(g->lim, shop, token, &lim, clock_now_ms(mockd_clock(g->m)), 0, &st);

    size_t len;
    const char *text = httpd_body(r, &len);
    const char *ctype = httpd_header(r, "Content-Type");
    const char *query = NULL;
    size_t query_len = 0;
    const cJSON *vars = NULL, *opname = NULL;
    if (ctype && strncmp(ctype, "application/graphql", 19) == 0) {
        query = text;
        query_len = len;
    } else {
        json_err e;
        body = json_parse(text, len, &e);
        if (!cJSON_IsObject(body)) {
            char msg[600];
            snprintf(msg, sizeof msg, "Unable to parse the request body as a JSON object: %s",
                     body ? "it is not an object" : e.msg);
            rest_error(r, 400, msg);
            goto out;
        }
        const cJSON *q = cJSON_GetObjectItemCaseSensitive(body, "query");
        vars = cJSON_GetObjectItemCaseSensitive(body, "variables");
        opname = cJSON_GetObjectItemCaseSensitive(body, "operationName");
        if (!cJSON_IsString(q)) {
            cJSON *o = cJSON_CreateObject();
            cJSON *errs = cJSON_AddObjectToObject(o, "errors");
            cJSON_AddStringToObject(errs, "query", "Required parameter missing or invalid");
            httpd_reply_json(r, 400, o);
            cJSON_Delete(o);
            goto out;
        }
        query = q->valuestring;
        query_len = strlen(query);
    }
    const gql_operation *op =
        prepare(&c, query, query_len, vars, cJSON_IsString(opname) ? opname->valuestring : NULL,
                lim.gql_max_cost, &doc, &requested);
    if (!op) {
        reply_errors(r, 200, &c, requested, 1, &st);
        goto out;
    }
    int64_t now = clock_now_ms(mockd_clock(g->m));
    if (!limiter_gql_take(g->lim, shop, token, &lim, mockd_throttle(g->m, r), now, requested, &st)) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "message", "Throttled");
        cJSON *x = cJSON_AddObjectToObject(e, "extensions");
        cJSON_AddStringToObject(x, "code", "THROTTLED");
        cJSON_AddStringToObject(x, "documentation", "https://shopify.dev/api/usage/rate-limits");
        cJSON_AddItemToArray(c.errors, e);
        int status = world_settings(g->w)->gql_throttled_status;
        counters_add(ctr, "graphql throttled", 1);
        if (status == 429)
            counters_add(ctr, "http_429 graphql", 1);
        reply_errors(r, status, &c, requested, 0, &st);
        goto out;
    }

    world_lock(g->w);
    c.s = rest_shop(g->w, r);
    cJSON *data = resolve_root(&c, op);
    world_unlock(g->w);
    if (c.actual > requested)
        c.actual = requested;
    limiter_gql_refund(g->lim, shop, token, &lim, clock_now_ms(mockd_clock(g->m)),
                       requested - c.actual, &st);
    cJSON *root = result_doc(&c, data);
    add_cost(root, requested, 1, c.actual, &st);
    httpd_reply_json(r, 200, root);
    cJSON_Delete(root);
out:
    free(shop);
    gql_doc_free(doc);
    cJSON_Delete(body);
    ctx_done(&c);
}
