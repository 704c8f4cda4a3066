/*
 * syncd's Shopify calls about orders, all through the GraphQL Admin API as
 * an app built today must make them (REST Admin is legacy since 2024-10):
 * orders read back by search (reconciliation, poll mode, the velocity
 * backfill), an order's line items, fulfillments and fulfillment orders,
 * fulfilments through fulfillmentCreate on fulfillment orders (the only
 * way Shopify fulfils since 2022-07), holds released or reported, and
 * webhook subscriptions. Orders come back in the shape of the REST order
 * (the orders/paid webhook payload) so one handler reads both.
 */
#include "shopify.h"

#include "json.h"
#include "log.h"
#include "mem.h"
#include "sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small readers ---------------------------------------------------------- */

static const cJSON *at(const cJSON *v, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(v, a);
    return b ? cJSON_GetObjectItemCaseSensitive(x, b) : x;
}

static const char *str(const cJSON *v, const char *key)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(v, key);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

/* A number, 0 when it is none a double holds exactly. */
static int64_t int_of(const cJSON *v, const char *key)
{
    int64_t n = 0;
    json_int53(cJSON_GetObjectItemCaseSensitive(v, key), &n);
    return n;
}

/* The number at the end of a gid ("gid://shopify/Order/12" -> 12). */
static int64_t gid_num(const char *gid)
{
    const char *slash = gid ? strrchr(gid, '/') : NULL;
    return slash ? strtoll(slash + 1, NULL, 10) : 0;
}

static void lower_into(cJSON *o, const char *key, const char *upper)
{
    if (!upper) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    char b[64];
    size_t i = 0;
    for (; upper[i] && i + 1 < sizeof b; i++)
        b[i] = (char)(upper[i] >= 'A' && upper[i] <= 'Z' ? upper[i] - 'A' + 'a' : upper[i]);
    b[i] = '\0';
    cJSON_AddStringToObject(o, key, b);
}

static void copy_str(cJSON *to, const char *key, const cJSON *from, const char *from_key)
{
    const char *v = str(from, from_key);
    if (v)
        cJSON_AddStringToObject(to, key, v);
    else
        cJSON_AddNullToObject(to, key);
}

/* ---- orders ---------------------------------------------------------------------- */

/* Ten orders of up to twenty lines a page keep a page's requested cost
 * (2 + 10 x 66) well under the 1000-point single-query limit. */
#define ORDERS_PAGE 10
#define ORDER_LINES 20

static const char ORDERS_QUERY[] =
    "query Orders($q: String!, $after: String) { orders(first: 10, query: $q, after: $after) {"
    " nodes { id name createdAt updatedAt cancelledAt displayFinancialStatus"
    " shippingAddress { firstName lastName address1 address2 city provinceCode zip countryCodeV2"
    " latitude longitude }"
    " lineItems(first: 20) { nodes { id sku quantity currentQuantity"
    " originalUnitPriceSet { shopMoney { amount } } } } }"
    " pageInfo { hasNextPage endCursor } } }";

cJSON *shopify_rest_order(const cJSON *n)
{
    cJSON *o = cJSON_CreateObject();
    const char *gid = str(n, "id");
    cJSON_AddNumberToObject(o, "id", (double)gid_num(gid));
    cJSON_AddStringToObject(o, "admin_graphql_api_id", gid ? gid : "");
    copy_str(o, "name", n, "name");
    copy_str(o, "created_at", n, "createdAt");
    copy_str(o, "updated_at", n, "updatedAt");
    copy_str(o, "cancelled_at", n, "cancelledAt");
    lower_into(o, "financial_status", str(n, "displayFinancialStatus"));
    const cJSON *sa = at(n, "shippingAddress", NULL);
    if (cJSON_IsObject(sa)) {
        static const char *const map[][2] = {
            {"firstName", "first_name"}, {"lastName", "last_name"}, {"address1", "address1"},
            {"address2", "address2"},    {"city", "city"},          {"provinceCode", "province_code"},
            {"zip", "zip"},              {"countryCodeV2", "country_code"},
        };
        cJSON *a = cJSON_AddObjectToObject(o, "shipping_address");
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
            copy_str(a, map[i][1], sa, map[i][0]);
        static const char *const coords[] = {"latitude", "longitude"};
        for (size_t i = 0; i < 2; i++) {
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(sa, coords[i]);
            if (cJSON_IsNumber(c))
                cJSON_AddNumberToObject(a, coords[i], c->valuedouble);
            else
                cJSON_AddNullToObject(a, coords[i]);
        }
    } else {
        cJSON_AddNullToObject(o, "shipping_address");
    }
    cJSON *items = cJSON_AddArrayToObject(o, "line_items");
    const cJSON *li;
    cJSON_ArrayForEach(li, at(at(n, "lineItems", NULL), "nodes", NULL))
    {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "id", (double)gid_num(str(li, "id")));
        copy_str(x, "sku", li, "sku");
        cJSON_AddNumberToObject(x, "quantity", (double)int_of(li, "quantity"));
        cJSON_AddNumberToObject(x, "current_quantity", (double)int_of(li, "currentQuantity"));
        const char *amount = str(at(li, "originalUnitPriceSet", "shopMoney"), "amount");
        cJSON_AddStringToObject(x, "price", amount ? amount : "0.00");
        cJSON_AddItemToArray(items, x);
    }
    return o;
}

void shopify_orders(shopify *s, const char *search, int prio, cJSON **orders, outcome *o)
{
    *orders = cJSON_CreateArray();
    char *after = NULL;
    memset(o, 0, sizeof *o);
    o->action = POLICY_DONE;
    for (int page = 0;; page++) {
        if (page)
            outbound_done(o);
        cJSON *body = shopify_gql_body(ORDERS_QUERY);
        cJSON *vars = cJSON_GetObjectItemCaseSensitive(body, "variables");
        cJSON_AddStringToObject(vars, "q", search);
        if (after)
            cJSON_AddStringToObject(vars, "after", after);
        free(after);
        after = NULL;
        cJSON *data = NULL;
        shopify_graphql(s, body, 2 + ORDERS_PAGE * (4 + ORDER_LINES * 3), prio, &data, o);
        if (!data) {
            cJSON_Delete(*orders);
            *orders = NULL;
            return;
        }
        const cJSON *n;
        cJSON_ArrayForEach(n, at(at(data, "orders", NULL), "nodes", NULL))
        {
            cJSON_AddItemToArray(*orders, shopify_rest_order(n));
        }
        const cJSON *pi = at(at(data, "orders", NULL), "pageInfo", NULL);
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pi, "hasNextPage")) && str(pi, "endCursor"))
            after = xstrdup(str(pi, "endCursor"));
        cJSON_Delete(data);
        if (!after)
            return;
    }
}

void shopify_paid_orders(shopify *s, const char *since, int prio, cJSON **orders, outcome *o)
{
    char *q = xasprintf("financial_status:paid updated_at:>='%s'", since);
    shopify_orders(s, q, prio, orders, o);
    free(q);
}

/* ---- webhook subscriptions ---------------------------------------------------------- */

/* "orders/paid" <-> ORDERS_PAID: the enum is the topic in capitals with
 * the slash written as an underscore. */
static void topic_enum(const char *topic, char *out, size_t n)
{
    size_t i = 0;
    for (; topic[i] && i + 1 < n; i++) {
        char c = topic[i];
        out[i] = c == '/' ? '_' : (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    }
    out[i] = '\0';
}

void shopify_webhooks(shopify *s, cJSON **list, outcome *o)
{
    *list = NULL;
    cJSON *data = NULL;
    shopify_graphql(s,
                    shopify_gql_body("{ webhookSubscriptions(first: 100) { nodes { id topic uri } } }"),
                    102, PRIO_NORMAL, &data, o);
    if (!data)
        return;
    /* Kept as (topic enum, address) pairs; callers compare with
     * shopify_topic_is. */
    *list = cJSON_CreateArray();
    const cJSON *n;
    cJSON_ArrayForEach(n, at(at(data, "webhookSubscriptions", NULL), "nodes", NULL))
    {
        cJSON *x = cJSON_CreateObject();
        copy_str(x, "topic", n, "topic");
        copy_str(x, "address", n, "uri");
        cJSON_AddItemToArray(*list, x);
    }
    cJSON_Delete(data);
}

int shopify_topic_is(const char *listed, const char *topic)
{
    char e[96];
    topic_enum(topic, e, sizeof e);
    return listed && strcmp(listed, e) == 0;
}

void shopify_webhook_create(shopify *s, const char *topic, const char *address, outcome *o)
{
    cJSON *body = shopify_gql_body(
        "mutation Subscribe($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {"
        " webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {"
        " webhookSubscription { id } userErrors { field message } } }");
    cJSON *vars = cJSON_GetObjectItemCaseSensitive(body, "variables");
    char e[96];
    topic_enum(topic, e, sizeof e);
    cJSON_AddStringToObject(vars, "topic", e);
    cJSON *sub = cJSON_AddObjectToObject(vars, "sub");
    cJSON_AddStringToObject(sub, "uri", address);
    cJSON_AddStringToObject(sub, "format", "JSON");
    cJSON *data = NULL;
    shopify_graphql(s, body, 10, PRIO_NORMAL, &data, o);
    const cJSON *ue = at(at(data, "webhookSubscriptionCreate", NULL), "userErrors", NULL);
    if (data && cJSON_GetArraySize(ue) > 0) {
        o->action = POLICY_PERMANENT;
        snprintf(o->error, sizeof o->error, "shopify webhookSubscriptionCreate %s: %.200s", topic,
                 str(cJSON_GetArrayItem(ue, 0), "message") ? str(cJSON_GetArrayItem(ue, 0), "message")
                                                            : "user error");
    }
    cJSON_Delete(data);
}

/* ---- an order's fulfilment state ------------------------------------------------------ */

static const char ORDER_QUERY[] =
    "query Order($id: ID!) { order(id: $id) { id"
    " lineItems(first: 50) { nodes { id sku unfulfilledQuantity } }"
    " fulfillments(first: 20) { trackingInfo(first: 5) { number } }"
    " fulfillmentOrders(first: 5) { nodes { id status"
    " assignedLocation { location { legacyResourceId } }"
    " fulfillmentHolds { id reason handle }"
    " lineItems(first: 50) { nodes { id remainingQuantity lineItem { id } } } } } } }";

/* A GraphQL body asking query of the order whose number is order_id. */
static cJSON *order_query(const char *query, const char *order_id)
{
    cJSON *body = shopify_gql_body(query);
    char *gid = xasprintf("gid://shopify/Order/%s", order_id);
    cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(body, "variables"), "id", gid);
    free(gid);
    return body;
}

void shopify_order_read(shopify *s, const char *order_id, shopify_order *out, outcome *o)
{
    memset(out, 0, sizeof *out);
    cJSON *body = order_query(ORDER_QUERY, order_id);
    cJSON *data = NULL;
    /* Requested cost, as Shopify counts it: about 590 of the 1000 a query
     * may ask for (the order, 50 line items, fulfillments, 5 fulfillment
     * orders of 50 lines). */
    shopify_graphql(s, body, 1 + 52 + 2 + 2 + 5 * (1 + 2 + 1 + 2 + 50 * 2), PRIO_NORMAL, &data, o);
    if (!data)
        return;
    if (shopify_order_from(data, out) != 0) {
        o->action = POLICY_PERMANENT;
        snprintf(o->error, sizeof o->error, "shopify order %.40s does not exist", order_id);
    }
    cJSON_Delete(data);
}

/* A location's legacyResourceId: digits only, else 0 (unknown). */
static int64_t location_id(const char *s)
{
    int64_t v = 0;
    if (!s || !*s)
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10)
            return 0;
        v = v * 10 + (*s - '0');
    }
    return v;
}

static foplan_status fo_status(const char *st)
{
    if (st && (strcmp(st, "OPEN") == 0 || strcmp(st, "IN_PROGRESS") == 0))
        return FOPLAN_OPEN;
    if (st && strcmp(st, "ON_HOLD") == 0)
        return FOPLAN_ON_HOLD;
    return FOPLAN_OTHER;
}

/* out->raw's fulfillment orders into out->fos, one per node (a node that is
 * not an object reads as a fulfillment order with nothing in it). */
static void read_forders(shopify_order *out)
{
    const cJSON *nodes = at(at(out->raw, "fulfillmentOrders", NULL), "nodes", NULL);
    if (!cJSON_IsArray(nodes))
        return;
    size_t n = 0, n_lines = 0, n_holds = 0;
    const cJSON *fo;
    cJSON_ArrayForEach(fo, nodes)
    {
        const cJSON *ls = at(at(fo, "lineItems", NULL), "nodes", NULL);
        const cJSON *hs = at(fo, "fulfillmentHolds", NULL);
        n++;
        n_lines += cJSON_IsArray(ls) ? (size_t)cJSON_GetArraySize(ls) : 0;
        n_holds += cJSON_IsArray(hs) ? (size_t)cJSON_GetArraySize(hs) : 0;
    }
    out->fos = xcalloc(n + 1, sizeof *out->fos);
    out->fo_lines = xcalloc(n_lines + 1, sizeof *out->fo_lines);
    out->fo_reasons = xcalloc(n_holds + 1, sizeof *out->fo_reasons);
    size_t li = 0, hi = 0;
    cJSON_ArrayForEach(fo, nodes)
    {
        foplan_fo *f = &out->fos[out->n_fos++];
        f->status = fo_status(str(fo, "status"));
        f->location = location_id(
            str(at(at(fo, "assignedLocation", NULL), "location", NULL), "legacyResourceId"));
        f->lines = &out->fo_lines[li];
        f->hold_reasons = &out->fo_reasons[hi];
        const cJSON *x;
        const cJSON *ls = at(at(fo, "lineItems", NULL), "nodes", NULL);
        if (cJSON_IsArray(ls))
            cJSON_ArrayForEach(x, ls)
            {
                out->fo_lines[li++] = (foplan_line){gid_num(str(at(x, "lineItem", NULL), "id")),
                                                    int_of(x, "remainingQuantity")};
                f->n_lines++;
            }
        const cJSON *hs = at(fo, "fulfillmentHolds", NULL);
        if (cJSON_IsArray(hs))
            cJSON_ArrayForEach(x, hs)
            {
                out->fo_reasons[hi++] = str(x, "reason");
                f->n_holds++;
            }
    }
}

int shopify_order_from(cJSON *data, shopify_order *out)
{
    memset(out, 0, sizeof *out);
    const cJSON *ord = at(data, "order", NULL);
    if (!cJSON_IsObject(ord))
        return -1;
    const cJSON *nodes = at(at(ord, "lineItems", NULL), "nodes", NULL);
    size_t n = (size_t)cJSON_GetArraySize(nodes);
    out->lines = xcalloc(n + 1, sizeof *out->lines);
    const cJSON *li;
    cJSON_ArrayForEach(li, nodes)
    {
        shopify_order_line *l = &out->lines[out->n_lines++];
        l->id = gid_num(str(li, "id"));
        l->sku = str(li, "sku") ? xstrdup(str(li, "sku")) : NULL;
        l->unfulfilled = int_of(li, "unfulfilledQuantity");
    }
    const cJSON *f;
    cJSON_ArrayForEach(f, at(ord, "fulfillments", NULL))
    {
        const cJSON *t;
        cJSON_ArrayForEach(t, at(f, "trackingInfo", NULL))
        {
            const char *num = str(t, "number");
            if (!num)
                continue;
            out->tracking = xrealloc(out->tracking, (out->n_tracking + 1) * sizeof *out->tracking);
            out->tracking[out->n_tracking++] = xstrdup(num);
        }
    }
    out->raw = cJSON_DetachItemFromObjectCaseSensitive(data, "order");
    read_forders(out);
    return 0;
}

void shopify_order_cancelled(shopify *s, const char *order_id, int prio, int *cancelled,
                             outcome *o)
{
    *cancelled = 0;
    cJSON *body = order_query("query($id: ID!) { order(id: $id) { id cancelledAt } }", order_id);
    cJSON *data = NULL;
    shopify_graphql(s, body, 1, prio, &data, o);
    if (!data)
        return;
    const cJSON *ord = at(data, "order", NULL);
    if (!cJSON_IsObject(ord)) {
        o->action = POLICY_PERMANENT;
        snprintf(o->error, sizeof o->error, "shopify order %.40s does not exist", order_id);
    } else {
        *cancelled = str(ord, "cancelledAt") != NULL;
    }
    cJSON_Delete(data);
}

void shopify_order_cancel(shopify *s, const char *order_id, const char *staff_note, int prio,
                          outcome *o)
{
    /* refund is required until 2025-07, which deprecates it for
     * refundMethod (Admin GraphQL reference, orderCancel). */
    cJSON *body = order_query(
        shopify_version_at_least(s, "2025-07")
            ? "mutation Cancel($id: ID!, $note: String) { orderCancel(orderId: $id, reason: OTHER,"
              " restock: true, notifyCustomer: true, refundMethod: {originalPaymentMethodsRefund:"
              " true}, staffNote: $note) { job { id } orderCancelUserErrors { field message code }"
              " } }"
            : "mutation Cancel($id: ID!, $note: String) { orderCancel(orderId: $id, reason: OTHER,"
              " restock: true, notifyCustomer: true, refund: true, staffNote: $note) { job { id }"
              " orderCancelUserErrors { field message code } } }",
        order_id);
    cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(body, "variables"), "note",
                            staff_note ? staff_note : "");
    cJSON *data = NULL;
    shopify_graphql(s, body, 10, prio, &data, o);
    const cJSON *ue = at(at(data, "orderCancel", NULL), "orderCancelUserErrors", NULL);
    if (data && cJSON_GetArraySize(ue) > 0) {
        const char *m = str(cJSON_GetArrayItem(ue, 0), "message");
        o->action = POLICY_PERMANENT;
        snprintf(o->error, sizeof o->error, "shopify orderCancel: %.200s", m ? m : "user error");
    }
    cJSON_Delete(data);
}

void shopify_order_free(shopify_order *ord)
{
    for (size_t i = 0; i < ord->n_lines; i++)
        free(ord->lines[i].sku);
    free(ord->lines);
    for (size_t i = 0; i < ord->n_tracking; i++)
        free(ord->tracking[i]);
    free(ord->tracking);
    free(ord->fos);
    free(ord->fo_lines);
    free(ord->fo_reasons);
    cJSON_Delete(ord->raw);
    memset(ord, 0, sizeof *ord);
}

int shopify_order_has_tracking(const shopify_order *ord, const char *tracking)
{
    for (size_t i = 0; tracking && i < ord->n_tracking; i++)
        if (strcmp(ord->tracking[i], tracking) == 0)
            return 1;
    return 0;
}

/* ---- fulfilment through fulfillment orders ---------------------------------------------- */

/* Fulfillment order f of ord as read (the node foplan's index names). */
static const cJSON *fo_node(const shopify_order *ord, size_t f)
{
    return cJSON_GetArrayItem(at(at(ord->raw, "fulfillmentOrders", NULL), "nodes", NULL), (int)f);
}

/* Releases the holds of fulfillment order fo (as read): all of them, or
 * only those made with handle when it is not NULL. Returns 0 (nothing to
 * release: 0 too, *called 0), or -1 with o. */
static int release_hold(shopify *s, const cJSON *fo, const char *handle, int *called, outcome *o)
{
    *called = 0;
    cJSON *body = shopify_gql_body(
        "mutation Release($id: ID!, $holds: [ID!]) { fulfillmentOrderReleaseHold(id: $id,"
        " holdIds: $holds) { fulfillmentOrder { status } userErrors { field message code } } }");
    cJSON *vars = cJSON_GetObjectItemCaseSensitive(body, "variables");
    cJSON_AddStringToObject(vars, "id", str(fo, "id") ? str(fo, "id") : "");
    cJSON *ids = cJSON_AddArrayToObject(vars, "holds");
    const cJSON *h;
    cJSON_ArrayForEach(h, at(fo, "fulfillmentHolds", NULL))
    {
        if (!handle || (str(h, "handle") && strcmp(str(h, "handle"), handle) == 0))
            cJSON_AddItemToArray(ids, cJSON_CreateString(str(h, "id") ? str(h, "id") : ""));
    }
    if (handle && cJSON_GetArraySize(ids) == 0) {
        cJSON_Delete(body);
        return 0;
    }
    *called = 1;
    cJSON *data = NULL;
    shopify_graphql(s, body, 10, PRIO_NORMAL, &data, o);
    const cJSON *ue = at(at(data, "fulfillmentOrderReleaseHold", NULL), "userErrors", NULL);
    int ok = data && cJSON_GetArraySize(ue) == 0;
    if (data && !ok) {
        o->action = POLICY_PERMANENT;
        snprintf(o->error, sizeof o->error, "shopify fulfillmentOrderReleaseHold: %.200s",
                 str(cJSON_GetArrayItem(ue, 0), "message") ? str(cJSON_GetArrayItem(ue, 0), "message")
                                                            : "user error");
    }
    cJSON_Delete(data);
    return ok ? 0 : -1;
}

void shopify_fo_hold(shopify *s, const shopify_order *ord, size_t f, const char *handle,
                     const char *notes, outcome *o)
{
    cJSON *body = shopify_gql_body(
        "mutation Hold($id: ID!, $hold: FulfillmentOrderHoldInput!) { fulfillmentOrderHold(id: $id,"
        " fulfillmentHold: $hold) { fulfillmentHold { id } userErrors { field message code } } }");
    cJSON *vars = cJSON_GetObjectItemCaseSensitive(body, "variables");
    const char *id = str(fo_node(ord, f), "id");
    cJSON_AddStringToObject(vars, "id", id ? id : "");
    cJSON *h = cJSON_AddObjectToObject(vars, "hold");
    cJSON_AddStringToObject(h, "reason", "INVENTORY_OUT_OF_STOCK");
    cJSON_AddStringToObject(h, "reasonNotes", notes ? notes : "");
    cJSON_AddStringToObject(h, "handle", handle);
    cJSON *data = NULL;
    shopify_graphql(s, body, 10, PRIO_NORMAL, &data, o);
    const cJSON *ue = at(at(data, "fulfillmentOrderHold", NULL), "userErrors", NULL);
    const cJSON *first = cJSON_GetArrayItem(ue, 0);
    /* TAKEN: a hold with this handle is there already (a retry). */
    if (data && first && !(str(first, "code") && strcmp(str(first, "code"), "TAKEN") == 0)) {
        o->action = POLICY_PERMANENT;
        snprintf(o->error, sizeof o->error, "shopify fulfillmentOrderHold: %.200s",
                 str(first, "message") ? str(first, "message") : "user error");
    }
    cJSON_Delete(data);
}

void shopify_release_handle(shopify *s, const shopify_order *ord, const char *handle,
                            size_t *released, outcome *o)
{
    *released = 0;
    memset(o, 0, sizeof *o);
    o->action = POLICY_DONE;
    for (size_t f = 0; f < ord->n_fos; f++) {
        int called = 0;
        if (release_hold(s, fo_node(ord, f), handle, &called, o) != 0)
            return;
        if (called) {
            (*released)++;
            outbound_done(o);
        }
    }
}

cJSON *shopify_fulfil_input(const shopify_order *ord, const foplan *p, size_t c,
                            const char *tracking, const char *carrier, int notify)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddBoolToObject(f, "notifyCustomer", notify);
    if (tracking || carrier) {
        cJSON *t = cJSON_AddObjectToObject(f, "trackingInfo");
        if (tracking)
            cJSON_AddStringToObject(t, "number", tracking);
        if (carrier)
            cJSON_AddStringToObject(t, "company", carrier);
    }
    cJSON *lbf = cJSON_AddArrayToObject(f, "lineItemsByFulfillmentOrder");
    const foplan_create *cr = &p->creates[c];
    cJSON *items = NULL;
    for (size_t i = cr->first; i < cr->first + cr->n; i++) {
        const foplan_item *it = &p->items[i];
        const cJSON *fo = fo_node(ord, it->fo);
        if (i == cr->first || it->fo != p->items[i - 1].fo) {
            cJSON *entry = cJSON_CreateObject();
            cJSON_AddStringToObject(entry, "fulfillmentOrderId", str(fo, "id") ? str(fo, "id") : "");
            items = cJSON_AddArrayToObject(entry, "fulfillmentOrderLineItems");
            cJSON_AddItemToArray(lbf, entry);
        }
        const cJSON *fl = cJSON_GetArrayItem(at(at(fo, "lineItems", NULL), "nodes", NULL), (int)it->line);
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "id", str(fl, "id") ? str(fl, "id") : "");
        cJSON_AddNumberToObject(x, "quantity", (double)it->qty);
        cJSON_AddItemToArray(items, x);
    }
    return f;
}

/* One fulfillmentCreate: the plan's create c. */
static void create_one(shopify *s, const shopify_order *ord, const foplan *p, size_t c,
                       const char *tracking, const char *carrier, int notify,
                       shopify_fulfil_result *res, outcome *o)
{
    cJSON *body = shopify_gql_body(
        "mutation Fulfil($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {"
        " fulfillment { id } userErrors { field message } } }");
    cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(body, "variables"), "f",
                          shopify_fulfil_input(ord, p, c, tracking, carrier, notify));
    cJSON *data = NULL;
    shopify_graphql(s, body, 10, PRIO_NORMAL, &data, o);
    if (!data)
        return;
    const cJSON *payload = at(data, "fulfillmentCreate", NULL);
    const cJSON *ue = at(payload, "userErrors", NULL);
    if (cJSON_GetArraySize(ue) > 0) {
        o->action = POLICY_PERMANENT;
        snprintf(o->error, sizeof o->error, "shopify fulfillmentCreate: %.200s",
                 str(cJSON_GetArrayItem(ue, 0), "message") ? str(cJSON_GetArrayItem(ue, 0), "message")
                                                            : "user error");
    } else {
        res->fulfilled += p->creates[c].units;
        const char *id = str(at(payload, "fulfillment", NULL), "id");
        if (id)
            snprintf(res->fulfillment_id, sizeof res->fulfillment_id, "%lld", (long long)gid_num(id));
        res->fulfillments++;
    }
    cJSON_Delete(data);
}

/* The outcome of a call that went well, spent, ready for the next one. */
static void next_call(outcome *o)
{
    outbound_done(o);
    memset(o, 0, sizeof *o);
    o->action = POLICY_DONE;
}

void shopify_fulfil(shopify *s, shopify_order *ord, const int64_t *qty, int64_t location,
                    const char *tracking, const char *carrier, int notify,
                    shopify_fulfil_result *res, outcome *o)
{
    memset(res, 0, sizeof *res);
    memset(o, 0, sizeof *o);
    o->action = POLICY_DONE;
    int64_t *ids = xcalloc(ord->n_lines + 1, sizeof *ids);
    for (size_t i = 0; i < ord->n_lines; i++)
        ids[i] = ord->lines[i].id;
    foplan p;
    foplan_make(ids, qty, ord->n_lines, ord->fos, ord->n_fos, location, &p);
    if (p.held) {
        res->held = 1;
        snprintf(res->held_reason, sizeof res->held_reason, "%s", p.held_reason);
        goto out;
    }
    for (size_t r = 0; r < p.n_release; r++) {
        int called;
        if (release_hold(s, fo_node(ord, p.release[r]), NULL, &called, o) != 0)
            goto out;
        res->released++;
        next_call(o);
    }
    for (size_t c = 0; c < p.n_creates; c++) {
        create_one(s, ord, &p, c, tracking, carrier, notify, res, o);
        if (o->action != POLICY_DONE)
            goto out;
        if (c + 1 < p.n_creates)
            next_call(o);
    }
out:
    foplan_free(&p);
    free(ids);
}
