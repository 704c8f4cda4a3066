/* Admin API REST resources built from the world; see res.h. Field names
 * and value shapes follow Shopify's REST reference (API-NOTES); fields the
 * mock has nothing for are present with Shopify's empty values, so clients
 * that read them find what they expect. */
#include "res.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void res_date(const ws_shop *s, int64_t sim_ms, char out[RES_DATE_SIZE])
{
    int64_t epoch = clock_epoch_ms(s->clk, sim_ms);
    int64_t secs = (epoch >= 0 ? epoch / 1000 : -((-epoch + 999) / 1000)) + s->utc_offset_min * 60;
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    int off = s->utc_offset_min < 0 ? -s->utc_offset_min : s->utc_offset_min;
    snprintf(out, RES_DATE_SIZE, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             s->utc_offset_min < 0 ? '-' : '+', off / 60, off % 60);
}

int res_parse_date(const ws_shop *s, const char *text, int64_t *sim_ms)
{
    int64_t epoch;
    if (!text || clock_parse_iso(text, &epoch) != 0)
        return -1;
    *sim_ms = epoch - s->clk->origin_ms;
    return 0;
}

void res_gid(const char *type, int64_t id, char *out, size_t n)
{
    snprintf(out, n, "gid://shopify/%s/%lld", type, (long long)id);
}

void res_money(int64_t cents, char *out, size_t n)
{
    int64_t a = cents < 0 ? -cents : cents;
    snprintf(out, n, "%s%lld.%02lld", cents < 0 ? "-" : "", (long long)(a / 100),
             (long long)(a % 100));
}

static void add_date(cJSON *o, const char *key, const ws_shop *s, int64_t sim_ms)
{
    if (sim_ms < 0) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    char d[RES_DATE_SIZE];
    res_date(s, sim_ms, d);
    cJSON_AddStringToObject(o, key, d);
}

void res_level_gid(const ws_shop *s, const ws_variant *v, int loc, char *out, size_t n)
{
    snprintf(out, n, "gid://shopify/InventoryLevel/%lld?inventory_item_id=%lld",
             (long long)s->locations[loc].id, (long long)v->item_id);
}

/* Every resource opens with its id and the same as a GraphQL id. */
static void add_ids(cJSON *o, const char *type, int64_t id)
{
    cJSON_AddNumberToObject(o, "id", (double)id);
    char g[96];
    res_gid(type, id, g, sizeof g);
    cJSON_AddStringToObject(o, "admin_graphql_api_id", g);
}

static void add_money(cJSON *o, const char *key, int64_t cents)
{
    char m[32];
    res_money(cents, m, sizeof m);
    cJSON_AddStringToObject(o, key, m);
}

static void add_str_or_null(cJSON *o, const char *key, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *line_item(const ws_shop *s, const ws_order *o, const ws_line *l)
{
    (void)o;
    const ws_variant *v = &s->variants[l->variant];
    const ws_product *p = &s->products[v->product];
    cJSON *j = cJSON_CreateObject();
    add_ids(j, "LineItem", l->id);
    cJSON_AddNumberToObject(j, "variant_id", (double)v->id);
    cJSON_AddNumberToObject(j, "product_id", (double)v->product_id);
    cJSON_AddStringToObject(j, "sku", v->sku);
    cJSON_AddStringToObject(j, "title", p->title);
    cJSON_AddStringToObject(j, "variant_title", v->title);
    char *name = strcmp(v->title, "Default Title") == 0 ? xstrdup(p->title)
                                                        : xasprintf("%s - %s", p->title, v->title);
    cJSON_AddStringToObject(j, "name", name);
    free(name);
    cJSON_AddStringToObject(j, "vendor", p->vendor);
    cJSON_AddNumberToObject(j, "quantity", (double)l->quantity);
    cJSON_AddNumberToObject(j, "current_quantity", (double)world_line_current(l));
    cJSON_AddNumberToObject(j, "fulfillable_quantity", (double)world_line_fulfillable(l));
    int64_t cur = world_line_current(l);
    if (l->fulfilled == 0)
        cJSON_AddNullToObject(j, "fulfillment_status");
    else
        cJSON_AddStringToObject(j, "fulfillment_status", l->fulfilled >= cur ? "fulfilled" : "partial");
    cJSON_AddStringToObject(j, "fulfillment_service", "manual");
    add_money(j, "price", l->price_cents);
    add_money(j, "total_discount", 0);
    cJSON_AddNumberToObject(j, "grams", (double)v->grams);
    cJSON_AddBoolToObject(j, "requires_shipping", 1);
    cJSON_AddBoolToObject(j, "taxable", 1);
    cJSON_AddBoolToObject(j, "gift_card", 0);
    cJSON_AddBoolToObject(j, "product_exists", 1);
    cJSON_AddArrayToObject(j, "tax_lines");
    cJSON_AddArrayToObject(j, "properties");
    cJSON_AddArrayToObject(j, "discount_allocations");
    return j;
}

static cJSON *fulfillment_json(const ws_shop *s, const ws_order *o, const ws_fulfillment *f,
                               size_t index)
{
    cJSON *j = cJSON_CreateObject();
    add_ids(j, "Fulfillment", f->id);
    cJSON_AddNumberToObject(j, "order_id", (double)o->id);
    char name[48];
    snprintf(name, sizeof name, "#%lld.%zu", (long long)o->number, index + 1);
    cJSON_AddStringToObject(j, "name", name);
    cJSON_AddStringToObject(j, "status", "success");
    cJSON_AddNullToObject(j, "shipment_status");
    cJSON_AddNumberToObject(j, "location_id", (double)f->location_id);
    add_date(j, "created_at", s, f->created_ms);
    add_date(j, "updated_at", s, f->created_ms);
    cJSON_AddStringToObject(j, "service", "manual");
    add_str_or_null(j, "tracking_company", f->tracking_company);
    add_str_or_null(j, "tracking_number", f->tracking_number);
    cJSON *nums = cJSON_AddArrayToObject(j, "tracking_numbers");
    if (f->tracking_number)
        cJSON_AddItemToArray(nums, cJSON_CreateString(f->tracking_number));
    add_str_or_null(j, "tracking_url", f->tracking_url);
    cJSON *urls = cJSON_AddArrayToObject(j, "tracking_urls");
    if (f->tracking_url)
        cJSON_AddItemToArray(urls, cJSON_CreateString(f->tracking_url));
    cJSON_AddObjectToObject(j, "receipt");
    cJSON *items = cJSON_AddArrayToObject(j, "line_items");
    for (size_t i = 0; i < o->n_lines; i++) {
        if (!f->qty[i])
            continue;
        cJSON *li = line_item(s, o, &o->lines[i]);
        cJSON_ReplaceItemInObject(li, "quantity", cJSON_CreateNumber((double)f->qty[i]));
        cJSON_AddItemToArray(items, li);
    }
    return j;
}

cJSON *res_fulfillment(const ws_shop *s, const ws_order *o, const ws_fulfillment *f)
{
    return fulfillment_json(s, o, f, (size_t)(f - o->fulfillments));
}

cJSON *res_refund(const ws_shop *s, const ws_order *o, const ws_refund *r)
{
    cJSON *j = cJSON_CreateObject();
    add_ids(j, "Refund", r->id);
    cJSON_AddNumberToObject(j, "order_id", (double)o->id);
    add_date(j, "created_at", s, r->created_ms);
    add_date(j, "processed_at", s, r->created_ms);
    add_str_or_null(j, "note", r->note);
    cJSON_AddBoolToObject(j, "restock", r->restock);
    cJSON *items = cJSON_AddArrayToObject(j, "refund_line_items");
    int64_t total = 0;
    for (size_t i = 0; i < o->n_lines; i++) {
        if (!r->qty[i])
            continue;
        const ws_line *l = &o->lines[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "id", (double)(r->id * 100 + (int64_t)i));
        cJSON_AddNumberToObject(x, "line_item_id", (double)l->id);
        cJSON_AddNumberToObject(x, "quantity", (double)r->qty[i]);
        cJSON_AddStringToObject(x, "restock_type", r->restock ? "cancel" : "no_restock");
        cJSON_AddNullToObject(x, "location_id");
        add_money(x, "subtotal", l->price_cents * r->qty[i]);
        add_money(x, "total_tax", 0);
        cJSON_AddItemToObject(x, "line_item", line_item(s, o, l));
        cJSON_AddItemToArray(items, x);
        total += l->price_cents * r->qty[i];
    }
    cJSON *tx = cJSON_AddArrayToObject(j, "transactions");
    if (o->paid_ms >= 0) {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddNumberToObject(t, "id", (double)(r->id + 1));
        cJSON_AddNumberToObject(t, "order_id", (double)o->id);
        cJSON_AddStringToObject(t, "kind", "refund");
        cJSON_AddStringToObject(t, "status", "success");
        add_money(t, "amount", total);
        cJSON_AddStringToObject(t, "currency", s->currency);
        cJSON_AddStringToObject(t, "gateway", "bogus");
        cJSON_AddItemToArray(tx, t);
    }
    cJSON_AddArrayToObject(j, "order_adjustments");
    return j;
}

cJSON *res_order(const ws_shop *s, const ws_order *o)
{
    cJSON *j = cJSON_CreateObject();
    add_ids(j, "Order", o->id);
    char name[32];
    snprintf(name, sizeof name, "#%lld", (long long)o->number);
    cJSON_AddStringToObject(j, "name", name);
    cJSON_AddNumberToObject(j, "number", (double)(o->number - 1000 > 0 ? o->number - 1000 : o->number));
    cJSON_AddNumberToObject(j, "order_number", (double)o->number);
    add_str_or_null(j, "email", o->email);
    add_str_or_null(j, "contact_email", o->email);
    add_date(j, "created_at", s, o->created_ms);
    add_date(j, "updated_at", s, o->updated_ms);
    add_date(j, "processed_at", s, o->processed_ms);
    add_date(j, "cancelled_at", s, o->cancelled_ms);
    add_str_or_null(j, "cancel_reason", o->cancel_reason);
    cJSON_AddNullToObject(j, "closed_at");
    cJSON_AddStringToObject(j, "financial_status", world_financial_name(o->financial));
    add_str_or_null(j, "fulfillment_status", world_fulfillment_status(o));
    cJSON_AddBoolToObject(j, "confirmed", 1);
    cJSON_AddBoolToObject(j, "test", 0);
    cJSON_AddStringToObject(j, "currency", s->currency);
    cJSON_AddStringToObject(j, "presentment_currency", s->currency);
    int64_t total = world_order_total_cents(o);
    add_money(j, "total_price", total);
    add_money(j, "subtotal_price", total);
    add_money(j, "total_line_items_price", total);
    add_money(j, "current_total_price", total);
    add_money(j, "current_subtotal_price", total);
    add_money(j, "total_tax", 0);
    add_money(j, "total_discounts", 0);
    add_money(j, "total_outstanding", o->financial == FIN_PENDING ? total : 0);
    cJSON_AddBoolToObject(j, "taxes_included", 0);
    int64_t grams = 0;
    for (size_t i = 0; i < o->n_lines; i++)
        grams += s->variants[o->lines[i].variant].grams * world_line_current(&o->lines[i]);
    cJSON_AddNumberToObject(j, "total_weight", (double)grams);
    cJSON_AddStringToObject(j, "source_name", "web");
    cJSON_AddNullToObject(j, "location_id");
    cJSON_AddStringToObject(j, "tags", "");
    cJSON_AddNullToObject(j, "note");
    cJSON *gw = cJSON_AddArrayToObject(j, "payment_gateway_names");
    cJSON_AddItemToArray(gw, cJSON_CreateString("bogus"));
    cJSON *items = cJSON_AddArrayToObject(j, "line_items");
    for (size_t i = 0; i < o->n_lines; i++)
        cJSON_AddItemToArray(items, line_item(s, o, &o->lines[i]));
    cJSON_AddItemToObject(j, "shipping_address", cJSON_Duplicate(o->shipping_address, 1));
    cJSON_AddItemToObject(j, "billing_address", cJSON_Duplicate(o->shipping_address, 1));
    cJSON *ful = cJSON_AddArrayToObject(j, "fulfillments");
    for (size_t i = 0; i < o->n_fulfillments; i++)
        cJSON_AddItemToArray(ful, fulfillment_json(s, o, &o->fulfillments[i], i));
    cJSON *refs = cJSON_AddArrayToObject(j, "refunds");
    for (size_t i = 0; i < o->n_refunds; i++)
        cJSON_AddItemToArray(refs, res_refund(s, o, &o->refunds[i]));
    cJSON_AddArrayToObject(j, "shipping_lines");
    cJSON_AddArrayToObject(j, "discount_codes");
    cJSON_AddArrayToObject(j, "tax_lines");
    cJSON_AddArrayToObject(j, "note_attributes");
    return j;
}

static int64_t total_available(const ws_shop *s, const ws_variant *v)
{
    int64_t t = 0;
    for (size_t l = 0; l < s->n_locations; l++)
        t += v->available[l];
    return t;
}

cJSON *res_variant(const ws_shop *s, const ws_variant *v)
{
    cJSON *j = cJSON_CreateObject();
    add_ids(j, "ProductVariant", v->id);
    cJSON_AddNumberToObject(j, "product_id", (double)v->product_id);
    cJSON_AddStringToObject(j, "title", v->title);
    cJSON_AddStringToObject(j, "price", v->price);
    if (v->compare_at)
        cJSON_AddStringToObject(j, "compare_at_price", v->compare_at);
    else
        cJSON_AddNullToObject(j, "compare_at_price");
    cJSON_AddStringToObject(j, "sku", v->sku);
    cJSON_AddNumberToObject(j, "position", (double)v->position);
    cJSON_AddStringToObject(j, "inventory_policy", v->policy_continue ? "continue" : "deny");
    cJSON_AddStringToObject(j, "fulfillment_service", "manual");
    cJSON_AddStringToObject(j, "inventory_management", "shopify");
    cJSON_AddStringToObject(j, "option1", v->title);
    cJSON_AddNullToObject(j, "option2");
    cJSON_AddNullToObject(j, "option3");
    add_date(j, "created_at", s, v->created_ms);
    add_date(j, "updated_at", s, v->updated_ms);
    cJSON_AddBoolToObject(j, "taxable", 1);
    if (v->barcode)
        cJSON_AddStringToObject(j, "barcode", v->barcode);
    else
        cJSON_AddNullToObject(j, "barcode");
    cJSON_AddNumberToObject(j, "grams", (double)v->grams);
    /* REST's units: g, kg, oz, lb (the GraphQL WeightUnit's). */
    const char *unit = strcmp(v->weight_unit, "GRAMS") == 0    ? "g"
                       : strcmp(v->weight_unit, "OUNCES") == 0 ? "oz"
                       : strcmp(v->weight_unit, "POUNDS") == 0 ? "lb"
                                                               : "kg";
    cJSON_AddNumberToObject(j, "weight", v->weight);
    cJSON_AddStringToObject(j, "weight_unit", unit);
    cJSON_AddNumberToObject(j, "inventory_item_id", (double)v->item_id);
    int64_t q = total_available(s, v);
    cJSON_AddNumberToObject(j, "inventory_quantity", (double)q);
    cJSON_AddNumberToObject(j, "old_inventory_quantity", (double)q);
    cJSON_AddBoolToObject(j, "requires_shipping", 1);
    return j;
}

cJSON *res_product(const ws_shop *s, const ws_product *p)
{
    cJSON *j = cJSON_CreateObject();
    add_ids(j, "Product", p->id);
    cJSON_AddStringToObject(j, "title", p->title);
    cJSON_AddStringToObject(j, "body_html", "");
    cJSON_AddStringToObject(j, "vendor", p->vendor);
    cJSON_AddStringToObject(j, "product_type", p->product_type);
    cJSON_AddStringToObject(j, "handle", p->handle);
    cJSON_AddStringToObject(j, "status", world_status_rest(p->status));
    cJSON_AddStringToObject(j, "published_scope", "web");
    cJSON_AddStringToObject(j, "tags", "");
    add_date(j, "created_at", s, p->created_ms);
    add_date(j, "updated_at", s, p->updated_ms);
    add_date(j, "published_at", s, p->created_ms);
    cJSON *vars = cJSON_AddArrayToObject(j, "variants");
    for (size_t i = 0; i < p->n_variants; i++)
        cJSON_AddItemToArray(vars, res_variant(s, &s->variants[p->variants[i]]));
    cJSON *opts = cJSON_AddArrayToObject(j, "options");
    cJSON *opt = cJSON_CreateObject();
    cJSON_AddNumberToObject(opt, "product_id", (double)p->id);
    cJSON_AddStringToObject(opt, "name", "Title");
    cJSON_AddNumberToObject(opt, "position", 1);
    cJSON *vals = cJSON_AddArrayToObject(opt, "values");
    for (size_t i = 0; i < p->n_variants; i++)
        cJSON_AddItemToArray(vals, cJSON_CreateString(s->variants[p->variants[i]].title));
    cJSON_AddItemToArray(opts, opt);
    cJSON_AddArrayToObject(j, "images");
    cJSON_AddNullToObject(j, "image");
    return j;
}

cJSON *res_inventory_item(const ws_shop *s, const ws_variant *v)
{
    cJSON *j = cJSON_CreateObject();
    add_ids(j, "InventoryItem", v->item_id);
    cJSON_AddStringToObject(j, "sku", v->sku);
    add_date(j, "created_at", s, v->created_ms);
    add_date(j, "updated_at", s, v->updated_ms);
    cJSON_AddBoolToObject(j, "requires_shipping", 1);
    if (v->cost)
        cJSON_AddStringToObject(j, "cost", v->cost);
    else
        cJSON_AddNullToObject(j, "cost");
    cJSON_AddNullToObject(j, "country_code_of_origin");
    cJSON_AddNullToObject(j, "harmonized_system_code");
    cJSON_AddBoolToObject(j, "tracked", 1);
    return j;
}

cJSON *res_level(const ws_shop *s, const ws_variant *v, int loc)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "inventory_item_id", (double)v->item_id);
    cJSON_AddNumberToObject(j, "location_id", (double)s->locations[loc].id);
    cJSON_AddNumberToObject(j, "available", (double)v->available[loc]);
    add_date(j, "updated_at", s, v->level_updated_ms[loc]);
    char g[128];
    res_level_gid(s, v, loc, g, sizeof g);
    cJSON_AddStringToObject(j, "admin_graphql_api_id", g);
    return j;
}

cJSON *res_location(const ws_shop *s, const ws_location *l)
{
    cJSON *j = cJSON_CreateObject();
    add_ids(j, "Location", l->id);
    cJSON_AddStringToObject(j, "name", l->name);
    cJSON_AddStringToObject(j, "address1", l->address1);
    cJSON_AddNullToObject(j, "address2");
    cJSON_AddStringToObject(j, "city", l->city);
    cJSON_AddStringToObject(j, "zip", l->zip);
    cJSON_AddStringToObject(j, "province", l->province_code);
    cJSON_AddStringToObject(j, "province_code", l->province_code);
    cJSON_AddStringToObject(j, "country", l->country_code);
    cJSON_AddStringToObject(j, "country_code", l->country_code);
    cJSON_AddStringToObject(j, "country_name", l->country_code);
    cJSON_AddStringToObject(j, "localized_country_name", l->country_code);
    cJSON_AddStringToObject(j, "localized_province_name", l->province_code);
    cJSON_AddNullToObject(j, "phone");
    add_date(j, "created_at", s, l->created_ms);
    add_date(j, "updated_at", s, l->created_ms);
    cJSON_AddBoolToObject(j, "legacy", 0);
    cJSON_AddBoolToObject(j, "active", 1);
    return j;
}

cJSON *res_webhook(const ws_shop *s, const ws_sub *sub)
{
    cJSON *j = cJSON_CreateObject();
    add_ids(j, "WebhookSubscription", sub->id);
    cJSON_AddStringToObject(j, "address", sub->address);
    cJSON_AddStringToObject(j, "topic", sub->topic);
    add_date(j, "created_at", s, sub->created_ms);
    add_date(j, "updated_at", s, sub->updated_ms);
    cJSON_AddStringToObject(j, "format", "json");
    cJSON_AddArrayToObject(j, "fields");
    cJSON_AddArrayToObject(j, "metafield_namespaces");
    cJSON_AddStringToObject(j, "api_version", sub->api_version);
    cJSON_AddArrayToObject(j, "private_metafield_namespaces");
    cJSON_AddNullToObject(j, "filter");
    return j;
}

/* Shopify writes REST enum values in lower case ("on_hold"). */
static void add_lower(cJSON *o, const char *key, const char *upper)
{
    char buf[64];
    size_t i = 0;
    for (; upper[i] && i + 1 < sizeof buf; i++)
        buf[i] = (char)(upper[i] >= 'A' && upper[i] <= 'Z' ? upper[i] - 'A' + 'a' : upper[i]);
    buf[i] = '\0';
    cJSON_AddStringToObject(o, key, buf);
}

cJSON *res_fulfillment_order(const ws_shop *s, const ws_order *o, const ws_forder *fo)
{
    const ws_location *l = &s->locations[fo->loc];
    cJSON *j = cJSON_CreateObject();
    add_ids(j, "FulfillmentOrder", fo->id);
    cJSON_AddNumberToObject(j, "shop_id", (double)s->id);
    cJSON_AddNumberToObject(j, "order_id", (double)o->id);
    cJSON_AddNumberToObject(j, "assigned_location_id", (double)l->id);
    cJSON_AddStringToObject(j, "request_status", "unsubmitted");
    add_lower(j, "status", world_fo_status_name(fo->status));
    cJSON *acts = cJSON_AddArrayToObject(j, "supported_actions");
    if (fo->status == FO_OPEN || fo->status == FO_IN_PROGRESS) {
        cJSON_AddItemToArray(acts, cJSON_CreateString("create_fulfillment"));
        cJSON_AddItemToArray(acts, cJSON_CreateString("hold"));
    } else if (fo->status == FO_ON_HOLD) {
        cJSON_AddItemToArray(acts, cJSON_CreateString("release_hold"));
        cJSON_AddItemToArray(acts, cJSON_CreateString("hold"));
    }
    cJSON_AddItemToObject(j, "destination", cJSON_Duplicate(o->shipping_address, 1));
    cJSON *items = cJSON_AddArrayToObject(j, "line_items");
    for (size_t i = 0; i < fo->n_lines; i++) {
        const ws_fo_line *fl = &fo->lines[i];
        const ws_line *ln = &o->lines[fl->line];
        const ws_variant *v = &s->variants[ln->variant];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "id", (double)fl->id);
        cJSON_AddNumberToObject(x, "shop_id", (double)s->id);
        cJSON_AddNumberToObject(x, "fulfillment_order_id", (double)fo->id);
        cJSON_AddNumberToObject(x, "quantity", (double)fl->total);
        cJSON_AddNumberToObject(x, "line_item_id", (double)ln->id);
        cJSON_AddNumberToObject(x, "inventory_item_id", (double)v->item_id);
        cJSON_AddNumberToObject(x, "fulfillable_quantity", (double)fl->remaining);
        cJSON_AddNumberToObject(x, "variant_id", (double)v->id);
        cJSON_AddItemToArray(items, x);
    }
    cJSON_AddNullToObject(j, "fulfill_at");
    cJSON_AddNullToObject(j, "fulfill_by");
    cJSON_AddNullToObject(j, "international_duties");
    cJSON *holds = cJSON_AddArrayToObject(j, "fulfillment_holds");
    for (size_t i = 0; i < fo->n_holds; i++) {
        cJSON *x = cJSON_CreateObject();
        add_lower(x, "reason", fo->holds[i].reason);
        add_str_or_null(x, "reason_notes", fo->holds[i].notes);
        cJSON_AddItemToArray(holds, x);
    }
    cJSON *dm = cJSON_AddObjectToObject(j, "delivery_method");
    cJSON_AddStringToObject(dm, "method_type", "shipping");
    add_date(j, "created_at", s, fo->created_ms);
    add_date(j, "updated_at", s, fo->updated_ms);
    cJSON *al = cJSON_AddObjectToObject(j, "assigned_location");
    cJSON_AddStringToObject(al, "address1", l->address1);
    cJSON_AddNullToObject(al, "address2");
    cJSON_AddStringToObject(al, "city", l->city);
    cJSON_AddStringToObject(al, "country_code", l->country_code);
    cJSON_AddNumberToObject(al, "location_id", (double)l->id);
    cJSON_AddStringToObject(al, "name", l->name);
    cJSON_AddNullToObject(al, "phone");
    cJSON_AddStringToObject(al, "province", l->province_code);
    cJSON_AddStringToObject(al, "zip", l->zip);
    cJSON_AddArrayToObject(j, "merchant_requests");
    return j;
}
