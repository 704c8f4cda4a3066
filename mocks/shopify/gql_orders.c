/* The Admin GraphQL an orders app uses, beside the inventory slice of
 * admin_gql.c: the orders query with Shopify's search syntax, orders with
 * their line items, fulfillment orders, holds and fulfillments; the
 * fulfillmentCreate, fulfillmentOrderHold and fulfillmentOrderReleaseHold
 * mutations; webhook subscriptions (query, create, delete); and bulk
 * queries (bulkOperationRunQuery, currentBulkOperation, bulkOperation) whose
 * JSONL result the mock serves. Field names and shapes follow the GraphQL
 * Admin reference at the versions the mock serves (docs/mock-shopify.md
 * names the page behind each).
 *
 * Resolvers are found in tables by type and by field, not by chains of
 * comparisons; each takes the reference it resolves and the field. */
#include "admin_gql_int.h"

#include "json.h"
#include "mem.h"
#include "res.h"
#include "sbuf.h"
#include "search.h"
#include "spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- small helpers ---------------------------------------------------------- */

static const ws_forder *fo_of(const ref *o)
{
    return &o->o->forders[o->idx];
}

static cJSON *num(int64_t v)
{
    return cJSON_CreateNumber((double)v);
}

/* UnsignedInt64 is written as a string. */
static cJSON *u64(int64_t v)
{
    char b[32];
    snprintf(b, sizeof b, "%lld", (long long)v);
    return cJSON_CreateString(b);
}

static cJSON *upper_str(const char *s)
{
    char b[64];
    size_t i = 0;
    for (; s[i] && i + 1 < sizeof b; i++)
        b[i] = s[i] == '/' ? '_' : (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 'a' + 'A' : s[i]);
    b[i] = '\0';
    return cJSON_CreateString(b);
}

static cJSON *order_name(const ws_order *o)
{
    char b[32];
    snprintf(b, sizeof b, "#%lld", (long long)o->number);
    return cJSON_CreateString(b);
}

static cJSON *obj(ctx *c, ref r, const gql_selection *f)
{
    return ag_object_or_null(c, &r, f);
}

cJSON *ag_list_of(ctx *c, const ref *items, size_t n, const gql_selection *f)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, ag_resolve_uncharged(c, &items[i], &f->sel));
    ag_charge(c, 1);
    return a;
}

/* Shopify's display status of an order's fulfilment. */
static const char *display_fulfillment(const ws_order *o)
{
    const char *fs = world_fulfillment_status(o);
    if (fs)
        return strcmp(fs, "fulfilled") == 0 ? "FULFILLED" : "PARTIALLY_FULFILLED";
    size_t open = 0, held = 0;
    for (size_t i = 0; i < o->n_forders; i++) {
        if (o->forders[i].status == FO_ON_HOLD)
            held++;
        if (o->forders[i].status != FO_CLOSED && o->forders[i].status != FO_CANCELLED)
            open++;
    }
    return open && open == held ? "ON_HOLD" : "UNFULFILLED";
}

/* ---- orders search ------------------------------------------------------------ */

/* Whether an order passes one term. Fields Shopify's orders search has
 * that the mock does not know match everything, as Shopify ignores an
 * unknown filter (docs/mock-shopify.md). */
typedef struct {
    const ws_shop *s;
    const ws_order *o;
} order_obj;

static int term_ok(const search_term *t, const void *obj)
{
    const ws_shop *s = ((const order_obj *)obj)->s;
    const ws_order *o = ((const order_obj *)obj)->o;
    static const struct {
        const char *field;
        size_t offset;
    } dates[] = {
        {"created_at", offsetof(ws_order, created_ms)},
        {"updated_at", offsetof(ws_order, updated_ms)},
        {"processed_at", offsetof(ws_order, processed_ms)},
    };
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        if (strcmp(t->field, dates[i].field) != 0)
            continue;
        int64_t have;
        memcpy(&have, (const char *)o + dates[i].offset, sizeof have);
        return ag_date_term(s, t, have);
    }
    if (strcmp(t->field, "financial_status") == 0)
        return strcasecmp(t->value, world_financial_name(o->financial)) == 0;
    if (strcmp(t->field, "fulfillment_status") == 0) {
        const char *fs = world_fulfillment_status(o);
        if (strcasecmp(t->value, "unshipped") == 0 || strcasecmp(t->value, "unfulfilled") == 0)
            return !fs;
        if (strcasecmp(t->value, "shipped") == 0 || strcasecmp(t->value, "fulfilled") == 0)
            return fs && strcmp(fs, "fulfilled") == 0;
        if (strcasecmp(t->value, "partial") == 0)
            return fs && strcmp(fs, "partial") == 0;
        return 1;
    }
    if (strcmp(t->field, "status") == 0) {
        int cancelled = o->cancelled_ms >= 0;
        if (strcasecmp(t->value, "open") == 0)
            return !cancelled;
        if (strcasecmp(t->value, "cancelled") == 0)
            return cancelled;
        if (strcasecmp(t->value, "closed") == 0)
            return 0; /* orders are never closed here */
        return 1;
    }
    if (strcmp(t->field, "id") == 0) {
        int64_t id = ag_gid_id(t->value, "Order");
        if (id < 0)
            id = strtoll(t->value, NULL, 10);
        return search_compare(t->op, o->id, id);
    }
    if (strcmp(t->field, "name") == 0) {
        char name[32];
        snprintf(name, sizeof name, "#%lld", (long long)o->number);
        return strcmp(name, t->value) == 0 || strcmp(name + 1, t->value) == 0;
    }
    return 1;
}

static cJSON *orders_connection(ctx *c, const gql_selection *f)
{
    const cJSON *q = ag_field_arg(c, f, "query");
    search_query sq;
    search_parse(cJSON_IsString(q) ? q->valuestring : NULL, &sq);
    cands cl;
    ag_cands_init(&cl, c->s->n_orders);
    for (size_t i = 0; i < c->s->n_orders; i++) {
        ws_order *o = &c->s->orders[i];
        order_obj x = {c->s, o};
        if (search_match(&sq, term_ok, &x))
            ag_cands_add(&cl, (ref){.type = "Order", .o = o}, o->id);
    }
    return ag_cands_resolve(c, f, "Order", &cl);
}

/* ---- resolvers by type ---------------------------------------------------------- */

static cJSON *r_order(ctx *c, const ref *o, const gql_selection *f)
{
    const char *n = f->name;
    ws_order *od = o->o;
    cJSON *id = ag_id_field(n, "Order", od->id);
    if (id)
        return id;
    if (strcmp(n, "name") == 0)
        return order_name(od);
    if (strcmp(n, "email") == 0)
        return ag_str_or_null(od->email);
    if (strcmp(n, "createdAt") == 0)
        return ag_iso_json(c, od->created_ms);
    if (strcmp(n, "updatedAt") == 0)
        return ag_iso_json(c, od->updated_ms);
    if (strcmp(n, "processedAt") == 0)
        return ag_iso_json(c, od->processed_ms);
    if (strcmp(n, "cancelledAt") == 0)
        return od->cancelled_ms >= 0 ? ag_iso_json(c, od->cancelled_ms) : cJSON_CreateNull();
    if (strcmp(n, "cancelReason") == 0)
        return od->cancel_reason ? upper_str(od->cancel_reason) : cJSON_CreateNull();
    if (strcmp(n, "closed") == 0 || strcmp(n, "test") == 0)
        return cJSON_CreateFalse();
    if (strcmp(n, "displayFinancialStatus") == 0)
        return upper_str(world_financial_name(od->financial));
    if (strcmp(n, "displayFulfillmentStatus") == 0)
        return cJSON_CreateString(display_fulfillment(od));
    if (strcmp(n, "currencyCode") == 0)
        return cJSON_CreateString(c->s->currency);
    if (strcmp(n, "sourceName") == 0)
        return cJSON_CreateString("web");
    if (strcmp(n, "totalPriceSet") == 0 || strcmp(n, "currentTotalPriceSet") == 0)
        return obj(c, (ref){.type = "MoneyBag", .qty = world_order_total_cents(od)}, f);
    if (strcmp(n, "shippingAddress") == 0)
        return obj(c, (ref){.type = "MailingAddress", .o = od}, f);
    if (strcmp(n, "lineItems") == 0) {
        cands cl;
        ag_cands_init(&cl, od->n_lines);
        for (size_t i = 0; i < od->n_lines; i++)
            ag_cands_add(&cl, (ref){.type = "LineItem", .o = od, .idx = i}, od->lines[i].id);
        return ag_cands_resolve(c, f, "LineItem", &cl);
    }
    if (strcmp(n, "fulfillmentOrders") == 0) {
        int closed = cJSON_IsTrue(ag_field_arg(c, f, "includeClosed"));
        cands cl;
        ag_cands_init(&cl, od->n_forders);
        for (size_t i = 0; i < od->n_forders; i++) {
            ws_fo_status st = od->forders[i].status;
            if (!closed && (st == FO_CLOSED || st == FO_CANCELLED))
                continue;
            ag_cands_add(&cl, (ref){.type = "FulfillmentOrder", .o = od, .idx = i},
                         od->forders[i].id);
        }
        return ag_cands_resolve(c, f, "FulfillmentOrder", &cl);
    }
    if (strcmp(n, "fulfillments") == 0) {
        int64_t first = -1;
        const cJSON *fv = ag_field_arg(c, f, "first");
        if (fv && ag_int_value(fv, &first) != 0)
            first = -1;
        size_t m = od->n_fulfillments;
        if (first >= 0 && (size_t)first < m)
            m = (size_t)first;
        ref *rs = xcalloc(m + 1, sizeof *rs);
        for (size_t i = 0; i < m; i++)
            rs[i] = (ref){.type = "Fulfillment", .o = od, .idx = i};
        cJSON *a = ag_list_of(c, rs, m, f);
        free(rs);
        return a;
    }
    return cJSON_CreateNull();
}

static cJSON *r_line_item(ctx *c, const ref *o, const gql_selection *f)
{
    const char *n = f->name;
    const ws_line *l = &o->o->lines[o->idx];
    ws_variant *v = &c->s->variants[l->variant];
    const ws_product *p = &c->s->products[v->product];
    if (strcmp(n, "id") == 0)
        return ag_gid_json("LineItem", l->id);
    if (strcmp(n, "sku") == 0)
        return cJSON_CreateString(v->sku);
    if (strcmp(n, "title") == 0)
        return cJSON_CreateString(p->title);
    if (strcmp(n, "name") == 0) {
        char b[256];
        if (strcmp(v->title, "Default Title") == 0)
            snprintf(b, sizeof b, "%s", p->title);
        else
            snprintf(b, sizeof b, "%s - %s", p->title, v->title);
        return cJSON_CreateString(b);
    }
    if (strcmp(n, "quantity") == 0)
        return num(l->quantity);
    if (strcmp(n, "currentQuantity") == 0)
        return num(world_line_current(l));
    if (strcmp(n, "unfulfilledQuantity") == 0)
        return num(world_line_fulfillable(l));
    if (strcmp(n, "requiresShipping") == 0)
        return cJSON_CreateTrue();
    if (strcmp(n, "originalUnitPriceSet") == 0)
        return obj(c, (ref){.type = "MoneyBag", .qty = l->price_cents}, f);
    if (strcmp(n, "variant") == 0)
        return obj(c, (ref){.type = "ProductVariant", .v = v}, f);
    return cJSON_CreateNull();
}

static cJSON *r_money_bag(ctx *c, const ref *o, const gql_selection *f)
{
    return obj(c, (ref){.type = "MoneyV2", .qty = o->qty}, f);
}

static cJSON *r_money(ctx *c, const ref *o, const gql_selection *f)
{
    if (strcmp(f->name, "amount") == 0) {
        char m[32];
        res_money(o->qty, m, sizeof m);
        return cJSON_CreateString(m);
    }
    return cJSON_CreateString(c->s->currency);
}

static cJSON *r_address(ctx *c, const ref *o, const gql_selection *f)
{
    (void)c;
    static const char *const map[][2] = {
        {"firstName", "first_name"}, {"lastName", "last_name"}, {"name", "name"},
        {"company", "company"},      {"address1", "address1"},  {"address2", "address2"},
        {"city", "city"},            {"province", "province"},  {"provinceCode", "province_code"},
        {"zip", "zip"},              {"country", "country"},    {"countryCodeV2", "country_code"},
        {"phone", "phone"},          {"latitude", "latitude"},  {"longitude", "longitude"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(f->name, map[i][0]) == 0) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(o->o->shipping_address, map[i][1]);
            return v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();
        }
    return cJSON_CreateNull();
}

static cJSON *r_forder(ctx *c, const ref *o, const gql_selection *f)
{
    const char *n = f->name;
    const ws_forder *fo = fo_of(o);
    ws_order *od = o->o;
    if (strcmp(n, "id") == 0)
        return ag_gid_json("FulfillmentOrder", fo->id);
    if (strcmp(n, "status") == 0)
        return cJSON_CreateString(world_fo_status_name(fo->status));
    if (strcmp(n, "requestStatus") == 0)
        return cJSON_CreateString("UNSUBMITTED");
    if (strcmp(n, "createdAt") == 0)
        return ag_iso_json(c, fo->created_ms);
    if (strcmp(n, "updatedAt") == 0)
        return ag_iso_json(c, fo->updated_ms);
    if (strcmp(n, "orderId") == 0)
        return ag_gid_json("Order", od->id);
    if (strcmp(n, "orderName") == 0)
        return order_name(od);
    if (strcmp(n, "order") == 0)
        return obj(c, (ref){.type = "Order", .o = od}, f);
    if (strcmp(n, "assignedLocation") == 0)
        return obj(c, (ref){.type = "FulfillmentOrderAssignedLocation", .loc = fo->loc}, f);
    if (strcmp(n, "lineItems") == 0) {
        cands cl;
        ag_cands_init(&cl, fo->n_lines);
        for (size_t j = 0; j < fo->n_lines; j++)
            ag_cands_add(&cl,
                         (ref){.type = "FulfillmentOrderLineItem", .o = od, .idx = o->idx, .sub = j},
                         fo->lines[j].id);
        return ag_cands_resolve(c, f, "FulfillmentOrderLineItem", &cl);
    }
    if (strcmp(n, "fulfillmentHolds") == 0) {
        ref *rs = xcalloc(fo->n_holds + 1, sizeof *rs);
        for (size_t k = 0; k < fo->n_holds; k++)
            rs[k] = (ref){.type = "FulfillmentHold", .o = od, .idx = o->idx, .sub = k};
        cJSON *a = ag_list_of(c, rs, fo->n_holds, f);
        free(rs);
        return a;
    }
    if (strcmp(n, "supportedActions") == 0) {
        static const char *const open_acts[] = {"CREATE_FULFILLMENT", "HOLD", NULL};
        static const char *const held_acts[] = {"RELEASE_HOLD", "HOLD", NULL};
        static const char *const none[] = {NULL};
        const char *const *acts = fo->status == FO_OPEN || fo->status == FO_IN_PROGRESS ? open_acts
                                  : fo->status == FO_ON_HOLD                             ? held_acts
                                                                                         : none;
        ref rs[2];
        size_t k = 0;
        for (; acts[k]; k++)
            rs[k] = (ref){.type = "FulfillmentOrderSupportedAction", .qname = acts[k]};
        return ag_list_of(c, rs, k, f);
    }
    return cJSON_CreateNull();
}

static cJSON *r_assigned_location(ctx *c, const ref *o, const gql_selection *f)
{
    const ws_location *l = &c->s->locations[o->loc];
    const char *n = f->name;
    if (strcmp(n, "location") == 0)
        return obj(c, (ref){.type = "Location", .loc = o->loc}, f);
    if (strcmp(n, "name") == 0)
        return cJSON_CreateString(l->name);
    if (strcmp(n, "address1") == 0)
        return cJSON_CreateString(l->address1);
    if (strcmp(n, "city") == 0)
        return cJSON_CreateString(l->city);
    if (strcmp(n, "zip") == 0)
        return cJSON_CreateString(l->zip);
    if (strcmp(n, "province") == 0)
        return cJSON_CreateString(l->province_code);
    return cJSON_CreateString(l->country_code); /* countryCode */
}

static cJSON *r_fo_line(ctx *c, const ref *o, const gql_selection *f)
{
    const ws_fo_line *fl = &fo_of(o)->lines[o->sub];
    const ws_line *l = &o->o->lines[fl->line];
    ws_variant *v = &c->s->variants[l->variant];
    const char *n = f->name;
    if (strcmp(n, "id") == 0)
        return ag_gid_json("FulfillmentOrderLineItem", fl->id);
    if (strcmp(n, "totalQuantity") == 0)
        return num(fl->total);
    if (strcmp(n, "remainingQuantity") == 0)
        return num(fl->remaining);
    if (strcmp(n, "sku") == 0)
        return cJSON_CreateString(v->sku);
    if (strcmp(n, "inventoryItemId") == 0)
        return ag_gid_json("InventoryItem", v->item_id);
    if (strcmp(n, "lineItem") == 0)
        return obj(c, (ref){.type = "LineItem", .o = o->o, .idx = fl->line}, f);
    if (strcmp(n, "variant") == 0)
        return obj(c, (ref){.type = "ProductVariant", .v = v}, f);
    return cJSON_CreateNull();
}

static cJSON *r_hold(ctx *c, const ref *o, const gql_selection *f)
{
    (void)c;
    const ws_hold *h = &fo_of(o)->holds[o->sub];
    const char *n = f->name;
    if (strcmp(n, "id") == 0)
        return ag_gid_json("FulfillmentHold", h->id);
    if (strcmp(n, "reason") == 0)
        return cJSON_CreateString(h->reason);
    if (strcmp(n, "reasonNotes") == 0)
        return ag_str_or_null(h->notes);
    if (strcmp(n, "handle") == 0)
        return cJSON_CreateString(h->handle);
    if (strcmp(n, "heldByRequestingApp") == 0)
        return cJSON_CreateTrue();
    /* displayReason: the reason in words ("Inventory out of stock"). */
    char b[64];
    size_t i = 0;
    for (; h->reason[i] && i + 1 < sizeof b; i++) {
        char ch = h->reason[i];
        b[i] = ch == '_' ? ' ' : (char)(i && ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    }
    b[i] = '\0';
    return cJSON_CreateString(b);
}

static cJSON *r_supported_action(ctx *c, const ref *o, const gql_selection *f)
{
    (void)c;
    (void)f;
    return cJSON_CreateString(o->qname);
}

static cJSON *r_fulfillment(ctx *c, const ref *o, const gql_selection *f)
{
    const ws_fulfillment *fu = &o->o->fulfillments[o->idx];
    const char *n = f->name;
    cJSON *id = ag_id_field(n, "Fulfillment", fu->id);
    if (id)
        return id;
    if (strcmp(n, "name") == 0) {
        char b[48];
        snprintf(b, sizeof b, "#%lld.%zu", (long long)o->o->number, o->idx + 1);
        return cJSON_CreateString(b);
    }
    if (strcmp(n, "status") == 0)
        return cJSON_CreateString("SUCCESS");
    if (strcmp(n, "createdAt") == 0 || strcmp(n, "updatedAt") == 0)
        return ag_iso_json(c, fu->created_ms);
    if (strcmp(n, "totalQuantity") == 0) {
        int64_t t = 0;
        for (size_t i = 0; i < o->o->n_lines; i++)
            t += fu->qty[i];
        return num(t);
    }
    if (strcmp(n, "trackingInfo") == 0) {
        ref r = {.type = "FulfillmentTrackingInfo", .o = o->o, .idx = o->idx};
        return ag_list_of(c, &r, fu->tracking_number || fu->tracking_company ? 1 : 0, f);
    }
    if (strcmp(n, "location") == 0) {
        int loc = world_location_index(c->s, fu->location_id);
        return loc >= 0 ? obj(c, (ref){.type = "Location", .loc = loc}, f) : cJSON_CreateNull();
    }
    if (strcmp(n, "order") == 0)
        return obj(c, (ref){.type = "Order", .o = o->o}, f);
    if (strcmp(n, "fulfillmentLineItems") == 0) {
        cands cl;
        ag_cands_init(&cl, o->o->n_lines);
        for (size_t i = 0; i < o->o->n_lines; i++)
            if (fu->qty[i])
                ag_cands_add(&cl,
                             (ref){.type = "FulfillmentLineItem", .o = o->o, .idx = o->idx, .sub = i},
                             o->o->lines[i].id);
        return ag_cands_resolve(c, f, "FulfillmentLineItem", &cl);
    }
    return cJSON_CreateNull();
}

static cJSON *r_tracking(ctx *c, const ref *o, const gql_selection *f)
{
    (void)c;
    const ws_fulfillment *fu = &o->o->fulfillments[o->idx];
    if (strcmp(f->name, "number") == 0)
        return ag_str_or_null(fu->tracking_number);
    if (strcmp(f->name, "company") == 0)
        return ag_str_or_null(fu->tracking_company);
    return ag_str_or_null(fu->tracking_url);
}

static cJSON *r_fulfillment_line(ctx *c, const ref *o, const gql_selection *f)
{
    const ws_fulfillment *fu = &o->o->fulfillments[o->idx];
    if (strcmp(f->name, "id") == 0)
        return ag_gid_json("FulfillmentLineItem", fu->id * 1000 + (int64_t)o->sub);
    if (strcmp(f->name, "quantity") == 0)
        return num(fu->qty[o->sub]);
    return obj(c, (ref){.type = "LineItem", .o = o->o, .idx = o->sub}, f);
}

static cJSON *r_subscription(ctx *c, const ref *o, const gql_selection *f)
{
    const ws_sub *sub = &c->s->subs[o->idx];
    const char *n = f->name;
    cJSON *id = ag_id_field(n, "WebhookSubscription", sub->id);
    if (id)
        return id;
    if (strcmp(n, "topic") == 0)
        return upper_str(sub->topic);
    if (strcmp(n, "uri") == 0)
        return cJSON_CreateString(sub->address);
    if (strcmp(n, "format") == 0)
        return cJSON_CreateString("JSON");
    if (strcmp(n, "filter") == 0)
        return cJSON_CreateNull();
    if (strcmp(n, "includeFields") == 0)
        return cJSON_CreateArray();
    if (strcmp(n, "createdAt") == 0)
        return ag_iso_json(c, sub->created_ms);
    if (strcmp(n, "updatedAt") == 0)
        return ag_iso_json(c, sub->updated_ms);
    if (strcmp(n, "apiVersion") == 0)
        return obj(c, (ref){.type = "ApiVersion", .qname = sub->api_version}, f);
    return cJSON_CreateNull();
}

static cJSON *r_api_version(ctx *c, const ref *o, const gql_selection *f)
{
    if (strcmp(f->name, "supported") == 0) {
        char served[32];
        int ok = spec_version_served(world_settings(c->w), o->qname, served, sizeof served) == 0 &&
                 strcmp(served, o->qname) == 0;
        return cJSON_CreateBool(ok);
    }
    return cJSON_CreateString(o->qname);
}

static cJSON *r_bulk(ctx *c, const ref *o, const gql_selection *f)
{
    const ws_bulk *b = &c->s->bulks[o->idx];
    int fresh = o->pl && o->pl->fresh;
    const char *n = f->name;
    if (strcmp(n, "id") == 0)
        return ag_gid_json("BulkOperation", b->id);
    if (strcmp(n, "status") == 0)
        return cJSON_CreateString(fresh ? "CREATED" : b->jsonl ? "COMPLETED" : "FAILED");
    if (strcmp(n, "type") == 0)
        return cJSON_CreateString("QUERY");
    if (strcmp(n, "errorCode") == 0)
        return fresh ? cJSON_CreateNull() : ag_str_or_null(b->error_code);
    if (strcmp(n, "createdAt") == 0)
        return ag_iso_json(c, b->created_ms);
    if (strcmp(n, "completedAt") == 0)
        return fresh ? cJSON_CreateNull() : ag_iso_json(c, b->completed_ms);
    if (strcmp(n, "objectCount") == 0)
        return u64(fresh ? 0 : b->objects);
    if (strcmp(n, "rootObjectCount") == 0)
        return u64(fresh ? 0 : b->roots);
    if (strcmp(n, "fileSize") == 0)
        return fresh || !b->jsonl ? cJSON_CreateNull() : u64((int64_t)strlen(b->jsonl));
    if (strcmp(n, "url") == 0) {
        /* No file when nothing matched, as Shopify answers an empty result. */
        if (fresh || !b->jsonl || b->objects == 0)
            return cJSON_CreateNull();
        char *u = xasprintf("http://%s/bulk-results/%s/%lld.jsonl",
                            c->host ? c->host : "127.0.0.1", c->s->domain, (long long)b->id);
        cJSON *v = cJSON_CreateString(u);
        free(u);
        return v;
    }
    if (strcmp(n, "partialDataUrl") == 0)
        return cJSON_CreateNull();
    return cJSON_CreateString(b->query); /* query */
}

cJSON *ag_user_errors(ctx *c, const ag_payload *pl, const char *type, const gql_selection *f)
{
    size_t m = (size_t)cJSON_GetArraySize(pl->user_errors);
    ref *rs = xcalloc(m + 1, sizeof *rs);
    for (size_t i = 0; i < m; i++)
        rs[i] = (ref){.type = type, .pl = pl, .idx = i};
    cJSON *a = ag_list_of(c, rs, m, f);
    free(rs);
    return a;
}

/* The payloads: each field names an object by the indexes the mutation
 * left in the payload. */
static cJSON *r_payload(ctx *c, const ref *o, const gql_selection *f)
{
    const ag_payload *pl = o->pl;
    const char *n = f->name;
    if (strcmp(n, "userErrors") == 0 || strcmp(n, "orderCancelUserErrors") == 0) {
        static const struct {
            const char *payload, *error;
        } kinds[] = {
            {"FulfillmentOrderHoldPayload", "FulfillmentOrderHoldUserError"},
            {"FulfillmentOrderReleaseHoldPayload", "FulfillmentOrderReleaseHoldUserError"},
            {"BulkOperationRunQueryPayload", "BulkOperationUserError"},
        };
        const char *et = "UserError";
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
            if (strcmp(kinds[i].payload, o->type) == 0)
                et = kinds[i].error;
        if (strcmp(n, "orderCancelUserErrors") == 0)
            et = "OrderCancelUserError";
        return ag_user_errors(c, pl, et, f);
    }
    if (strcmp(n, "fulfillment") == 0 && pl->fulfillment >= 0)
        return obj(c, (ref){.type = "Fulfillment", .o = pl->o, .idx = (size_t)pl->fulfillment}, f);
    if (strcmp(n, "fulfillmentOrder") == 0 && pl->fo >= 0)
        return obj(c, (ref){.type = "FulfillmentOrder", .o = pl->o, .idx = (size_t)pl->fo}, f);
    if (strcmp(n, "fulfillmentHold") == 0 && pl->hold >= 0)
        return obj(c,
                   (ref){.type = "FulfillmentHold", .o = pl->o, .idx = (size_t)pl->fo,
                         .sub = (size_t)pl->hold},
                   f);
    if (strcmp(n, "webhookSubscription") == 0 && pl->sub >= 0)
        return obj(c, (ref){.type = "WebhookSubscription", .idx = (size_t)pl->sub}, f);
    if (strcmp(n, "deletedWebhookSubscriptionId") == 0)
        return pl->deleted[0] ? cJSON_CreateString(pl->deleted) : cJSON_CreateNull();
    if (strcmp(n, "job") == 0 && pl->job[0])
        return obj(c, (ref){.type = "Job", .pl = pl}, f);
    if (strcmp(n, "bulkOperation") == 0 && pl->bulk >= 0)
        return obj(c, (ref){.type = "BulkOperation", .idx = (size_t)pl->bulk, .pl = pl}, f);
    return cJSON_CreateNull();
}

/* orderCancel's job: the mock has cancelled the order by the time it
 * answers, so the job is done (Shopify runs it in the background). */
static cJSON *r_job(ctx *c, const ref *o, const gql_selection *f)
{
    (void)c;
    if (strcmp(f->name, "id") == 0)
        return cJSON_CreateString(o->pl->job);
    if (strcmp(f->name, "done") == 0)
        return cJSON_CreateBool(1);
    return cJSON_CreateNull();
}

static cJSON *r_user_error(ctx *c, const ref *o, const gql_selection *f)
{
    (void)c;
    const cJSON *ue = cJSON_GetArrayItem(o->pl->user_errors, (int)o->idx);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(ue, f->name);
    return v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();
}

/* ---- the root fields ------------------------------------------------------------------ */

static cJSON *q_orders(ctx *c, const ref *o, const gql_selection *f)
{
    (void)o;
    return orders_connection(c, f);
}

static cJSON *q_order(ctx *c, const ref *o, const gql_selection *f)
{
    (void)o;
    const cJSON *v = ag_field_arg(c, f, "id");
    int64_t id = cJSON_IsString(v) ? ag_gid_id(v->valuestring, "Order") : -1;
    ws_order *od = id > 0 ? world_order_by_id(c->s, id) : NULL;
    return od ? obj(c, (ref){.type = "Order", .o = od}, f) : cJSON_CreateNull();
}

static cJSON *q_forder(ctx *c, const ref *o, const gql_selection *f)
{
    (void)o;
    const cJSON *v = ag_field_arg(c, f, "id");
    int64_t id = cJSON_IsString(v) ? ag_gid_id(v->valuestring, "FulfillmentOrder") : -1;
    ws_order *od = NULL;
    ws_forder *fo = id > 0 ? world_forder_by_id(c->s, id, &od) : NULL;
    if (!fo)
        return cJSON_CreateNull();
    return obj(c, (ref){.type = "FulfillmentOrder", .o = od, .idx = (size_t)(fo - od->forders)}, f);
}

static int topic_listed(const cJSON *topics, const char *topic)
{
    if (!cJSON_IsArray(topics))
        return 1;
    cJSON *want = upper_str(topic);
    int hit = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, topics)
    {
        hit |= cJSON_IsString(t) && strcmp(t->valuestring, want->valuestring) == 0;
    }
    cJSON_Delete(want);
    return hit;
}

static cJSON *q_subscriptions(ctx *c, const ref *o, const gql_selection *f)
{
    (void)o;
    const cJSON *topics = ag_field_arg(c, f, "topics");
    const cJSON *uri = ag_field_arg(c, f, "uri");
    if (!cJSON_IsString(uri))
        uri = ag_field_arg(c, f, "callbackUrl");
    cands cl;
    ag_cands_init(&cl, c->s->n_subs);
    for (size_t i = 0; i < c->s->n_subs; i++) {
        const ws_sub *sub = &c->s->subs[i];
        if (!topic_listed(topics, sub->topic) ||
            (cJSON_IsString(uri) && strcmp(uri->valuestring, sub->address) != 0))
            continue;
        ag_cands_add(&cl, (ref){.type = "WebhookSubscription", .idx = i}, sub->id);
    }
    return ag_cands_resolve(c, f, "WebhookSubscription", &cl);
}

static cJSON *q_subscription(ctx *c, const ref *o, const gql_selection *f)
{
    (void)o;
    const cJSON *v = ag_field_arg(c, f, "id");
    int64_t id = cJSON_IsString(v) ? ag_gid_id(v->valuestring, "WebhookSubscription") : -1;
    for (size_t i = 0; id > 0 && i < c->s->n_subs; i++)
        if (c->s->subs[i].id == id)
            return obj(c, (ref){.type = "WebhookSubscription", .idx = i}, f);
    return cJSON_CreateNull();
}

static cJSON *q_current_bulk(ctx *c, const ref *o, const gql_selection *f)
{
    (void)o;
    const cJSON *t = ag_field_arg(c, f, "type");
    if (cJSON_IsString(t) && strcmp(t->valuestring, "MUTATION") == 0)
        return cJSON_CreateNull(); /* the mock runs no bulk mutations */
    if (!c->s->n_bulks)
        return cJSON_CreateNull();
    return obj(c, (ref){.type = "BulkOperation", .idx = c->s->n_bulks - 1}, f);
}

static cJSON *q_bulk(ctx *c, const ref *o, const gql_selection *f)
{
    (void)o;
    if (!ag_version_at_least(c->version, "2026-01")) {
        ag_error(c, f->line, f->col, "undefinedField",
                 "Field 'bulkOperation' doesn't exist on type 'QueryRoot' (API version %s)",
                 c->version);
        return cJSON_CreateNull();
    }
    const cJSON *v = ag_field_arg(c, f, "id");
    int64_t id = cJSON_IsString(v) ? ag_gid_id(v->valuestring, "BulkOperation") : -1;
    for (size_t i = 0; id > 0 && i < c->s->n_bulks; i++)
        if (c->s->bulks[i].id == id)
            return obj(c, (ref){.type = "BulkOperation", .idx = i}, f);
    return cJSON_CreateNull();
}

typedef cJSON *(*resolver)(ctx *c, const ref *o, const gql_selection *f);

static const struct {
    const char *type, *field; /* field NULL: every field of the type */
    resolver fn;
} RESOLVERS[] = {
    {"QueryRoot", "orders", q_orders},
    {"QueryRoot", "order", q_order},
    {"QueryRoot", "fulfillmentOrder", q_forder},
    {"QueryRoot", "webhookSubscriptions", q_subscriptions},
    {"QueryRoot", "webhookSubscription", q_subscription},
    {"QueryRoot", "currentBulkOperation", q_current_bulk},
    {"QueryRoot", "bulkOperation", q_bulk},
    {"Order", NULL, r_order},
    {"LineItem", NULL, r_line_item},
    {"MoneyBag", NULL, r_money_bag},
    {"MoneyV2", NULL, r_money},
    {"MailingAddress", NULL, r_address},
    {"FulfillmentOrder", NULL, r_forder},
    {"FulfillmentOrderAssignedLocation", NULL, r_assigned_location},
    {"FulfillmentOrderLineItem", NULL, r_fo_line},
    {"FulfillmentHold", NULL, r_hold},
    {"FulfillmentOrderSupportedAction", NULL, r_supported_action},
    {"Fulfillment", NULL, r_fulfillment},
    {"FulfillmentTrackingInfo", NULL, r_tracking},
    {"FulfillmentLineItem", NULL, r_fulfillment_line},
    {"WebhookSubscription", NULL, r_subscription},
    {"ApiVersion", NULL, r_api_version},
    {"BulkOperation", NULL, r_bulk},
    {"FulfillmentCreatePayload", NULL, r_payload},
    {"FulfillmentOrderHoldPayload", NULL, r_payload},
    {"FulfillmentOrderReleaseHoldPayload", NULL, r_payload},
    {"WebhookSubscriptionCreatePayload", NULL, r_payload},
    {"WebhookSubscriptionDeletePayload", NULL, r_payload},
    {"BulkOperationRunQueryPayload", NULL, r_payload},
    {"OrderCancelPayload", NULL, r_payload},
    {"Job", NULL, r_job},
    {"UserError", NULL, r_user_error},
    {"OrderCancelUserError", NULL, r_user_error},
    {"FulfillmentOrderHoldUserError", NULL, r_user_error},
    {"FulfillmentOrderReleaseHoldUserError", NULL, r_user_error},
    {"BulkOperationUserError", NULL, r_user_error},
    {"ProductVariantsBulkUpdateUserError", NULL, r_user_error},
};

int ag_orders_field(ctx *c, const ref *o, const gql_selection *f, cJSON **out)
{
    for (size_t i = 0; i < sizeof RESOLVERS / sizeof RESOLVERS[0]; i++)
        if (strcmp(RESOLVERS[i].type, o->type) == 0 &&
            (!RESOLVERS[i].field || strcmp(RESOLVERS[i].field, f->name) == 0)) {
            *out = RESOLVERS[i].fn(c, o, f);
            return 1;
        }
    return 0;
}

/* ---- mutations ------------------------------------------------------------------------- */

static void payload_init(ag_payload *pl)
{
    memset(pl, 0, sizeof *pl);
    pl->user_errors = cJSON_CreateArray();
    pl->fo = pl->fulfillment = pl->hold = pl->sub = pl->bulk = -1;
}

/* A user error with its field path (strings; "%zu"-style indexes as
 * strings, as Shopify writes them) and, when code is not NULL, a code. */
void ag_user_error(ag_payload *pl, const char *code, const char *message, const char *path)
{
    cJSON *e = cJSON_CreateObject();
    if (path) {
        cJSON *fa = cJSON_AddArrayToObject(e, "field");
        for (const char *p = path; *p;) {
            size_t len = strcspn(p, ".");
            char part[64];
            snprintf(part, sizeof part, "%.*s", (int)len, p);
            cJSON_AddItemToArray(fa, cJSON_CreateString(part));
            p += len;
            if (*p == '.')
                p++;
        }
    } else {
        cJSON_AddNullToObject(e, "field");
    }
    cJSON_AddStringToObject(e, "message", message);
    if (code)
        cJSON_AddStringToObject(e, "code", code);
    cJSON_AddItemToArray(pl->user_errors, e);
}

/* Keys an input object may have; a GraphQL error naming the first other. */
int ag_only_keys(ctx *c, const gql_selection *f, const cJSON *in, const char *type,
                 const char *const *allowed)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, in)
    {
        int ok = 0;
        for (const char *const *k = allowed; *k && !ok; k++)
            ok = strcmp(*k, it->string) == 0;
        if (!ok) {
            ag_error(c, f->line, f->col, "argumentNotAccepted",
                     "InputObject '%s' doesn't accept argument '%s'", type, it->string);
            return -1;
        }
    }
    return 0;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* fulfillmentCreate(fulfillment: FulfillmentInput!, message: String). */
static int m_fulfillment_create(ctx *c, const gql_selection *f, ag_payload *pl)
{
    const cJSON *in = ag_field_arg(c, f, "fulfillment");
    static const char *const keys[] = {"lineItemsByFulfillmentOrder", "notifyCustomer",
                                       "trackingInfo", "originAddress", NULL};
    static const char *const tkeys[] = {"number", "numbers", "url", "urls", "company", NULL};
    static const char *const ekeys[] = {"fulfillmentOrderId", "fulfillmentOrderLineItems", NULL};
    if (!cJSON_IsObject(in) || ag_only_keys(c, f, in, "FulfillmentInput", keys) != 0)
        return -1;
    const cJSON *lbf = cJSON_GetObjectItemCaseSensitive(in, "lineItemsByFulfillmentOrder");
    const cJSON *ti = cJSON_GetObjectItemCaseSensitive(in, "trackingInfo");
    if (!cJSON_IsArray(lbf)) {
        ag_error(c, f->line, f->col, "missingRequiredInputObjectAttribute",
                 "Argument 'lineItemsByFulfillmentOrder' on InputObject 'FulfillmentInput' is "
                 "required. Expected type [FulfillmentOrderLineItemsInput!]!");
        return -1;
    }
    if (ti && !cJSON_IsNull(ti) &&
        (!cJSON_IsObject(ti) || ag_only_keys(c, f, ti, "FulfillmentTrackingInput", tkeys) != 0))
        return -1;
    size_t n = (size_t)cJSON_GetArraySize(lbf);
    world_fo_req *reqs = xcalloc(n + 1, sizeof *reqs);
    world_fo_item **items = xcalloc(n + 1, sizeof *items);
    int rc = 0;
    size_t k = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, lbf)
    {
        if (!cJSON_IsObject(e) ||
            ag_only_keys(c, f, e, "FulfillmentOrderLineItemsInput", ekeys) != 0 ||
            !jstr(e, "fulfillmentOrderId")) {
            if (cJSON_IsObject(e) && !jstr(e, "fulfillmentOrderId"))
                ag_error(c, f->line, f->col, "missingRequiredInputObjectAttribute",
                         "lineItemsByFulfillmentOrder[%zu].fulfillmentOrderId is required", k);
            else if (!cJSON_IsObject(e))
                ag_error(c, f->line, f->col, "argumentLiteralsIncompatible",
                         "lineItemsByFulfillmentOrder[%zu] must be an object", k);
            rc = -1;
            goto out;
        }
        reqs[k].fo_id = ag_gid_id(jstr(e, "fulfillmentOrderId"), "FulfillmentOrder");
        const cJSON *li = cJSON_GetObjectItemCaseSensitive(e, "fulfillmentOrderLineItems");
        if (cJSON_IsArray(li)) {
            items[k] = xcalloc((size_t)cJSON_GetArraySize(li) + 1, sizeof **items);
            const cJSON *it;
            cJSON_ArrayForEach(it, li)
            {
                world_fo_item *x = &items[k][reqs[k].n_items];
                int64_t q;
                if (!cJSON_IsObject(it) || !jstr(it, "id") ||
                    ag_int_value(cJSON_GetObjectItemCaseSensitive(it, "quantity"), &q) != 0) {
                    ag_error(c, f->line, f->col, "missingRequiredInputObjectAttribute",
                             "lineItemsByFulfillmentOrder[%zu].fulfillmentOrderLineItems[%zu] needs "
                             "an id and an integer quantity",
                             k, reqs[k].n_items);
                    rc = -1;
                    goto out;
                }
                x->id = ag_gid_id(jstr(it, "id"), "FulfillmentOrderLineItem");
                x->qty = q;
                reqs[k].n_items++;
            }
            reqs[k].items = items[k];
        }
        k++;
    }
    world_tracking t = {0};
    if (cJSON_IsObject(ti)) {
        t.number = jstr(ti, "number");
        t.company = jstr(ti, "company");
        t.url = jstr(ti, "url");
        const cJSON *nums = cJSON_GetObjectItemCaseSensitive(ti, "numbers");
        if (!t.number && cJSON_IsString(cJSON_GetArrayItem(nums, 0)))
            t.number = cJSON_GetArrayItem(nums, 0)->valuestring;
    }
    t.notify_customer = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, "notifyCustomer"));
    world_fo_err err;
    ws_order *o;
    ws_fulfillment *fu = world_fulfill(c->w, c->s, reqs, n, &t, &o, &err);
    if (!fu) {
        char path[160];
        if (err.item != SIZE_MAX)
            snprintf(path, sizeof path,
                     "fulfillment.lineItemsByFulfillmentOrder.%zu.fulfillmentOrderLineItems.%zu",
                     err.req, err.item);
        else
            snprintf(path, sizeof path, "fulfillment.lineItemsByFulfillmentOrder.%zu.fulfillmentOrderId",
                     err.req);
        ag_user_error(pl, NULL, err.msg, path);
    } else {
        pl->o = o;
        pl->fulfillment = (long)(fu - o->fulfillments);
        c->mutated = 1;
    }
out:
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
    free(reqs);
    return rc;
}

/* The fulfillment order an "id" argument names, or NULL with a user error. */
static ws_forder *forder_arg(ctx *c, const gql_selection *f, ag_payload *pl)
{
    const cJSON *v = ag_field_arg(c, f, "id");
    int64_t id = cJSON_IsString(v) ? ag_gid_id(v->valuestring, "FulfillmentOrder") : -1;
    ws_order *o = NULL;
    ws_forder *fo = id > 0 ? world_forder_by_id(c->s, id, &o) : NULL;
    if (!fo) {
        ag_user_error(pl, "FULFILLMENT_ORDER_NOT_FOUND", "Fulfillment order does not exist.", "id");
        return NULL;
    }
    pl->o = o;
    pl->fo = (long)(fo - o->forders);
    return fo;
}

/* fulfillmentOrderHold(id: ID!, fulfillmentHold: FulfillmentOrderHoldInput!). */
static int m_hold(ctx *c, const gql_selection *f, ag_payload *pl)
{
    const cJSON *in = ag_field_arg(c, f, "fulfillmentHold");
    static const char *const keys[] = {"reason", "reasonNotes", "notifyMerchant", "handle",
                                       "externalId", "fulfillmentOrderLineItems", NULL};
    if (!cJSON_IsObject(in) || ag_only_keys(c, f, in, "FulfillmentOrderHoldInput", keys) != 0)
        return -1;
    const char *reason = jstr(in, "reason");
    if (!reason || !world_hold_reason_ok(reason)) {
        ag_error(c, f->line, f->col, "argumentLiteralsIncompatible",
                 "Argument 'reason' on InputObject 'FulfillmentOrderHoldInput' has an invalid "
                 "value (%s). Expected type 'FulfillmentHoldReason!'.",
                 reason ? reason : "null");
        return -1;
    }
    const cJSON *lines = cJSON_GetObjectItemCaseSensitive(in, "fulfillmentOrderLineItems");
    ws_forder *fo = forder_arg(c, f, pl);
    if (!fo)
        return 0;
    if (cJSON_GetArraySize(lines) > 0) {
        /* Holding some lines splits the fulfillment order in two; the mock
         * holds whole fulfillment orders only and says so. */
        ag_user_error(pl, NULL,
                   "mock-shopify holds whole fulfillment orders only: omit fulfillmentOrderLineItems",
                   "fulfillmentHold.fulfillmentOrderLineItems");
        return 0;
    }
    const char *handle = jstr(in, "handle");
    world_fo_err err;
    ws_hold *h = world_fo_hold(c->w, c->s, pl->o, fo, reason, jstr(in, "reasonNotes"), handle, &err);
    if (!h) {
        ag_user_error(pl, err.code, err.msg, err.field ? "fulfillmentHold.handle" : "id");
        return 0;
    }
    pl->hold = (long)(h - fo->holds);
    c->mutated = 1;
    return 0;
}

/* fulfillmentOrderReleaseHold(id: ID!, holdIds: [ID!], externalId: String). */
static int m_release(ctx *c, const gql_selection *f, ag_payload *pl)
{
    const cJSON *ids = ag_field_arg(c, f, "holdIds");
    size_t n = (size_t)cJSON_GetArraySize(ids);
    int64_t *hold_ids = xcalloc(n + 1, sizeof *hold_ids);
    size_t k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, ids)
    {
        hold_ids[k++] = cJSON_IsString(it) ? ag_gid_id(it->valuestring, "FulfillmentHold") : -1;
    }
    ws_forder *fo = forder_arg(c, f, pl);
    world_fo_err err;
    if (fo && world_fo_release(c->w, c->s, pl->o, fo, hold_ids, k, &err) != 0)
        ag_user_error(pl, NULL, err.msg, n ? "holdIds" : "id");
    else if (fo)
        c->mutated = 1;
    free(hold_ids);
    return 0;
}

/* "ORDERS_PAID" into "orders/paid" (the mock's topics have one slash). */
static int topic_of(const char *e, char *out, size_t n)
{
    size_t len = strlen(e);
    if (len + 1 > n)
        return -1;
    for (size_t i = 0; i <= len; i++)
        out[i] = (char)(e[i] >= 'A' && e[i] <= 'Z' ? e[i] - 'A' + 'a' : e[i]);
    /* The first underscore after the resource name is the slash; resources
     * with an underscore of their own (inventory_levels, fulfillment_orders,
     * bulk_operations) are tried first. */
    static const char *const two_word[] = {"inventory_levels_", "fulfillment_orders_",
                                           "bulk_operations_", NULL};
    size_t cut = strcspn(out, "_");
    for (const char *const *p = two_word; *p; p++)
        if (strncmp(out, *p, strlen(*p)) == 0)
            cut = strlen(*p) - 1;
    if (!out[cut])
        return -1;
    out[cut] = '/';
    return spec_topic_known(out) ? 0 : -1;
}

static int valid_uri(const char *a)
{
    if (strncmp(a, "http://", 7) != 0 && strncmp(a, "https://", 8) != 0)
        return 0;
    const char *host = a + (a[4] == 's' ? 8 : 7);
    return *host && *host != '/' && !strpbrk(a, " \t\r\n");
}

/* webhookSubscriptionCreate(topic: WebhookSubscriptionTopic!,
 * webhookSubscription: WebhookSubscriptionInput!). */
static int m_sub_create(ctx *c, const gql_selection *f, ag_payload *pl)
{
    const cJSON *topic = ag_field_arg(c, f, "topic");
    const cJSON *in = ag_field_arg(c, f, "webhookSubscription");
    static const char *const keys[] = {"uri", "callbackUrl", "format", "includeFields", "filter",
                                       "metafieldNamespaces", NULL};
    if (!cJSON_IsObject(in) || ag_only_keys(c, f, in, "WebhookSubscriptionInput", keys) != 0)
        return -1;
    char t[64];
    if (!cJSON_IsString(topic) || topic_of(topic->valuestring, t, sizeof t) != 0) {
        ag_error(c, f->line, f->col, "argumentLiteralsIncompatible",
                 "Argument 'topic' on Field 'webhookSubscriptionCreate' has an invalid value (%s). "
                 "Expected type 'WebhookSubscriptionTopic!' (the mock delivers: %s).",
                 cJSON_IsString(topic) ? topic->valuestring : "null", spec_topic_list());
        return -1;
    }
    /* uri is the field from 2025-10 on; callbackUrl the older, deprecated one. */
    const char *uri = jstr(in, "uri") ? jstr(in, "uri") : jstr(in, "callbackUrl");
    const char *format = jstr(in, "format");
    if (!uri) {
        ag_user_error(pl, NULL, "Address can't be blank", "webhookSubscription.uri");
        return 0;
    }
    if (!valid_uri(uri)) {
        ag_user_error(pl, NULL, "Address is invalid", "webhookSubscription.uri");
        return 0;
    }
    if (format && strcmp(format, "JSON") != 0) {
        ag_user_error(pl, NULL, "Format is not supported by mock-shopify (it sends JSON)",
                   "webhookSubscription.format");
        return 0;
    }
    for (size_t i = 0; i < c->s->n_subs; i++)
        if (strcmp(c->s->subs[i].topic, t) == 0 && strcmp(c->s->subs[i].address, uri) == 0) {
            ag_user_error(pl, NULL, "Address for this topic has already been taken",
                       "webhookSubscription.uri");
            return 0;
        }
    ws_sub *sub = world_sub_add(c->w, c->s, t, uri, c->version, "api");
    pl->sub = (long)(sub - c->s->subs);
    c->mutated = 1;
    return 0;
}

static int m_sub_delete(ctx *c, const gql_selection *f, ag_payload *pl)
{
    const cJSON *v = ag_field_arg(c, f, "id");
    int64_t id = cJSON_IsString(v) ? ag_gid_id(v->valuestring, "WebhookSubscription") : -1;
    if (id <= 0 || !world_sub_by_id(c->s, id)) {
        ag_user_error(pl, NULL, "Webhook subscription does not exist", "id");
        return 0;
    }
    world_sub_remove(c->w, c->s, id, "api");
    snprintf(pl->deleted, sizeof pl->deleted, "gid://shopify/WebhookSubscription/%lld",
             (long long)id);
    c->mutated = 1;
    return 0;
}

/* ---- bulk queries ------------------------------------------------------------------------ */

static int is_connection(const cJSON *v)
{
    return cJSON_IsObject(v) && (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(v, "edges")) ||
                                 cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(v, "nodes")));
}

static void emit_node(cJSON *node, const char *parent, sbuf *out, int64_t *objects);

/* The nodes of a connection value, one JSONL line each. */
static void emit_connection(const cJSON *conn, const char *parent, sbuf *out, int64_t *objects)
{
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(conn, "nodes");
    const cJSON *x;
    if (cJSON_IsArray(nodes)) {
        cJSON_ArrayForEach(x, nodes)
        {
            emit_node((cJSON *)x, parent, out, objects);
        }
    }
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(conn, "edges"))
    {
        cJSON *node = cJSON_GetObjectItemCaseSensitive(x, "node");
        if (cJSON_IsObject(node))
            emit_node(node, parent, out, objects);
    }
}

/* A node on its line (with __parentId when nested), its nested
 * connections taken out and written after it, as Shopify's JSONL does. */
static void emit_node(cJSON *node, const char *parent, sbuf *out, int64_t *objects)
{
    cJSON *nested = cJSON_CreateArray();
    cJSON *fld = node->child;
    while (fld) {
        cJSON *next = fld->next;
        if (is_connection(fld))
            cJSON_AddItemToArray(nested, cJSON_DetachItemViaPointer(node, fld));
        fld = next;
    }
    if (parent)
        cJSON_AddStringToObject(node, "__parentId", parent);
    char *line = cJSON_PrintUnformatted(node);
    sbuf_puts(out, line);
    sbuf_putc(out, '\n');
    free(line);
    (*objects)++;
    const cJSON *idv = cJSON_GetObjectItemCaseSensitive(node, "id");
    const char *id = cJSON_IsString(idv) ? idv->valuestring : NULL;
    const cJSON *conn;
    cJSON_ArrayForEach(conn, nested)
    {
        emit_connection(conn, id, out, objects);
    }
    cJSON_Delete(nested);
}

/* bulkOperationRunQuery(query: String!, groupObjects: Boolean). */
static int m_bulk_run(ctx *c, const gql_selection *f, ag_payload *pl)
{
    const cJSON *q = ag_field_arg(c, f, "query");
    if (!cJSON_IsString(q))
        return -1;
    gql_doc *doc = NULL;
    gql_error pe;
    if (gql_parse(q->valuestring, strlen(q->valuestring), &doc, &pe) != 0) {
        char msg[400];
        snprintf(msg, sizeof msg, "Invalid bulk query: %s (line %d, column %d)", pe.msg, pe.line,
                 pe.col);
        ag_user_error(pl, "INVALID", msg, "query");
        return 0;
    }
    const gql_operation *op = gql_operation_pick(doc, NULL, &pe);
    /* A bulk query has one top-level field, a connection. */
    if (!op || op->kind != GQL_QUERY || op->sel.n != 1 || op->sel.items[0].kind != GQL_SEL_FIELD) {
        ag_user_error(pl, "INVALID",
                   "Bulk queries must be a single query with exactly one top-level connection "
                   "field",
                   "query");
        gql_doc_free(doc);
        return 0;
    }
    ctx sub = *c;
    sub.errors = cJSON_CreateArray();
    sub.path = cJSON_CreateArray();
    sub.vars = cJSON_CreateObject();
    cJSON *data = ag_run_bulk(&sub, doc, op);
    const char *root = op->sel.items[0].alias ? op->sel.items[0].alias : op->sel.items[0].name;
    cJSON *conn = data ? cJSON_GetObjectItemCaseSensitive(data, root) : NULL;
    if (!data || cJSON_GetArraySize(sub.errors) > 0 || !is_connection(conn)) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(sub.errors, 0), "message");
        ag_user_error(pl, "INVALID",
                   cJSON_IsString(m) ? m->valuestring
                                     : "The top-level field of a bulk query must be a connection",
                   "query");
    } else {
        sbuf out = SBUF_INIT;
        int64_t objects = 0;
        emit_connection(conn, NULL, &out, &objects);
        int64_t roots = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(conn, "nodes")) +
                        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(conn, "edges"));
        ws_bulk *b = world_bulk_add(c->w, c->s, q->valuestring, sbuf_str(&out), NULL, objects, roots);
        sbuf_free(&out);
        pl->bulk = (long)(b - c->s->bulks);
        pl->fresh = 1;
        c->mutated = 1;
    }
    cJSON_Delete(data);
    cJSON_Delete(sub.errors);
    cJSON_Delete(sub.path);
    cJSON_Delete(sub.vars);
    gql_doc_free(doc);
    return 0;
}

/* orderCancel(orderId, reason, refund, refundMethod, restock,
 * notifyCustomer, staffNote) (Admin GraphQL reference, orderCancel: from
 * 2024-01; refund is required until 2025-07, which brings refundMethod and
 * deprecates refund). The mock cancels at once, as POST
 * orders/{id}/cancel.json does; its refusals are orderCancelUserErrors. */
static int m_order_cancel(ctx *c, const gql_selection *f, ag_payload *pl)
{
    static const char *const reasons[] = {"CUSTOMER", "DECLINED", "FRAUD", "INVENTORY",
                                          "OTHER",    "STAFF",    NULL};
    int methods = ag_version_at_least(c->version, "2025-07");
    const cJSON *id = ag_field_arg(c, f, "orderId"), *reason = ag_field_arg(c, f, "reason");
    const cJSON *refund = ag_field_arg(c, f, "refund"), *method = ag_field_arg(c, f, "refundMethod");
    const cJSON *restock = ag_field_arg(c, f, "restock"), *notify = ag_field_arg(c, f, "notifyCustomer");
    const cJSON *note = ag_field_arg(c, f, "staffNote");
    size_t r = 0;
    while (reasons[r] && !(cJSON_IsString(reason) && strcmp(reasons[r], reason->valuestring) == 0))
        r++;
    if (!reasons[r]) {
        ag_error(c, f->line, f->col, "argumentLiteralsIncompatible",
                 "Argument 'reason' on Field 'orderCancel' has an invalid value. Expected type "
                 "'OrderCancelReason!'.");
        return -1;
    }
    if (!methods && method) {
        ag_error(c, f->line, f->col, "argumentNotAccepted",
                 "Field 'orderCancel' doesn't accept argument 'refundMethod' (API version %s)",
                 c->version);
        return -1;
    }
    if (!methods && (!refund || cJSON_IsNull(refund))) {
        ag_error(c, f->line, f->col, "missingRequiredArguments",
                 "Field 'orderCancel' is missing required arguments: refund");
        return -1;
    }
    if (!cJSON_IsString(id) || !cJSON_IsBool(restock) || (refund && !cJSON_IsNull(refund) &&
                                                          !cJSON_IsBool(refund)) ||
        (notify && !cJSON_IsNull(notify) && !cJSON_IsBool(notify)) ||
        (note && !cJSON_IsNull(note) && !cJSON_IsString(note)) ||
        (method && !cJSON_IsNull(method) && !cJSON_IsObject(method)))
        return -1;
    int64_t oid = ag_gid_id(id->valuestring, "Order");
    ws_order *o = oid > 0 ? world_order_by_id(c->s, oid) : NULL;
    if (!o) {
        ag_user_error(pl, "NOT_FOUND", "Order does not exist", "orderId");
        return 0;
    }
    char lower[16];
    size_t k = 0;
    for (; reasons[r][k] && k + 1 < sizeof lower; k++)
        lower[k] = (char)(reasons[r][k] - 'A' + 'a');
    lower[k] = '\0';
    cJSON *out = NULL;
    json_err e;
    if (world_cancel(c->w, c->s, o, cJSON_IsTrue(restock), cJSON_IsTrue(notify), lower, "api", &out,
                     &e) != 0) {
        const char *m = strstr(e.msg, ": ");
        ag_user_error(pl, "INVALID", m ? m + 2 : e.msg, "orderId");
        return 0;
    }
    cJSON_Delete(out);
    snprintf(pl->job, sizeof pl->job, "gid://shopify/Job/order-cancel-%lld", (long long)o->id);
    c->mutated = 1;
    return 0;
}

typedef int (*mutation_fn)(ctx *c, const gql_selection *f, ag_payload *pl);

static const struct {
    const char *name, *payload;
    mutation_fn fn;
} MUTATIONS[] = {
    {"fulfillmentCreate", "FulfillmentCreatePayload", m_fulfillment_create},
    {"fulfillmentOrderHold", "FulfillmentOrderHoldPayload", m_hold},
    {"fulfillmentOrderReleaseHold", "FulfillmentOrderReleaseHoldPayload", m_release},
    {"webhookSubscriptionCreate", "WebhookSubscriptionCreatePayload", m_sub_create},
    {"webhookSubscriptionDelete", "WebhookSubscriptionDeletePayload", m_sub_delete},
    {"bulkOperationRunQuery", "BulkOperationRunQueryPayload", m_bulk_run},
    {"orderCancel", "OrderCancelPayload", m_order_cancel},
    {"productUpdate", "ProductUpdatePayload", ag_m_product_update},
    {"productVariantsBulkUpdate", "ProductVariantsBulkUpdatePayload", ag_m_variants_bulk_update},
};

int ag_orders_mutation(ctx *c, const gql_selection *f, cJSON **out)
{
    for (size_t i = 0; i < sizeof MUTATIONS / sizeof MUTATIONS[0]; i++) {
        if (strcmp(MUTATIONS[i].name, f->name) != 0)
            continue;
        ag_charge(c, 10);
        ag_payload pl;
        payload_init(&pl);
        if (MUTATIONS[i].fn(c, f, &pl) != 0) {
            if (cJSON_GetArraySize(c->errors) == 0)
                ag_error(c, f->line, f->col, "argumentLiteralsIncompatible",
                         "Invalid arguments on Field '%s'", f->name);
            *out = cJSON_CreateNull();
        } else {
            ref r = {.type = MUTATIONS[i].payload, .pl = &pl};
            *out = ag_resolve_uncharged(c, &r, &f->sel);
        }
        cJSON_Delete(pl.user_errors);
        free(pl.variants);
        return 1;
    }
    return 0;
}

/* ---- the result file ---------------------------------------------------------------------- */

void ag_bulk_result(httpd_req *r, void *ud)
{
    world *w = ud;
    const char *domain = httpd_capture(r, "shop");
    const char *idt = httpd_capture(r, "id");
    int64_t id = idt ? strtoll(idt, NULL, 10) : 0;
    world_lock(w);
    ws_shop *s = world_shop_by_domain(w, domain);
    ws_bulk *b = s && id > 0 ? world_bulk_by_id(s, id) : NULL;
    char *body = b && b->jsonl ? xstrdup(b->jsonl) : NULL;
    world_unlock(w);
    if (!body) {
        httpd_reply_json_text(r, 404, "{\"errors\":\"Not Found\"}");
        return;
    }
    httpd_reply(r, 200, "application/jsonl", body, strlen(body));
    free(body);
}
