/* Configuration files for a run; see setup.h. */
#include "setup.h"

#include "mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t setup_initial_units(const scenario *s, size_t sku)
{
    int64_t n = 0;
    for (size_t w = 0; w < s->n_warehouses; w++)
        n += scenario_on_hand(s, sku, w);
    return n;
}

int64_t setup_offered_units(const scenario *s, size_t sku)
{
    const sc_sku *k = &s->skus[sku];
    if (!k->n_bom)
        return setup_initial_units(s, sku);
    /* What Cin7 calls the kit's availability: at each warehouse the whole
     * kits its components there make, never a part of one. */
    int64_t n = 0;
    for (size_t w = 0; w < s->n_warehouses; w++) {
        int64_t make = INT64_MAX;
        for (size_t j = 0; j < k->n_bom; j++) {
            int64_t kits = scenario_on_hand(s, (size_t)k->bom[j].sku, w) / k->bom[j].qty;
            if (kits < make)
                make = kits;
        }
        n += make;
    }
    return n;
}

/* A kit's product: its bill of materials, assembled when it sells. */
static void cin7_kit(cJSON *p, const scenario *s, const sc_sku *k)
{
    cJSON *bom = cJSON_AddArrayToObject(p, "bom");
    for (size_t j = 0; j < k->n_bom; j++) {
        cJSON *part = cJSON_CreateObject();
        cJSON_AddStringToObject(part, "sku", s->skus[k->bom[j].sku].sku);
        cJSON_AddNumberToObject(part, "qty", (double)k->bom[j].qty);
        cJSON_AddItemToArray(bom, part);
    }
    cJSON_AddBoolToObject(p, "auto_assembly", 1);
}

/* $.fulfilment as mock-cin7's sales.* keys (durations in ms). */
static void cin7_fulfilment(cJSON *c, const sc_fulfilment *f)
{
    cJSON *sales = cJSON_AddObjectToObject(c, "sales");
    cJSON_AddNumberToObject(sales, "split_share", f->split_share);
    cJSON_AddNumberToObject(sales, "split_gap", (double)f->split_gap_ms);
    cJSON_AddBoolToObject(sales, "ship_allocated", f->ship_allocated);
    cJSON_AddNumberToObject(sales, "void_share", f->void_share);
    cJSON_AddNumberToObject(sales, "void_after", (double)f->void_after_ms);
}

cJSON *setup_cin7_config(const scenario *s)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "account", SETUP_CIN7_ACCOUNT);
    cJSON *apps = cJSON_AddArrayToObject(c, "applications");
    cJSON *app = cJSON_CreateObject();
    cJSON_AddStringToObject(app, "name", "syncd");
    cJSON_AddStringToObject(app, "key", SETUP_CIN7_KEY);
    cJSON_AddItemToArray(apps, app);
    cJSON *locs = cJSON_AddArrayToObject(c, "locations");
    for (size_t w = 0; w < s->n_warehouses; w++) {
        cJSON *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "name", s->warehouses[w].name);
        cJSON_AddItemToArray(locs, l);
    }
    cJSON *sups = cJSON_AddArrayToObject(c, "suppliers");
    for (size_t i = 0; i < s->n_suppliers; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", s->suppliers[i].name);
        cJSON_AddStringToObject(o, "currency", s->suppliers[i].currency);
        cJSON_AddNumberToObject(o, "lead_time", (double)s->suppliers[i].lead_ms);
        cJSON_AddNumberToObject(o, "minimum_order", (double)s->suppliers[i].moq);
        cJSON_AddItemToArray(sups, o);
    }
    cJSON *prods = cJSON_AddArrayToObject(c, "products");
    cJSON *stock = cJSON_AddArrayToObject(c, "stock");
    for (size_t k = 0; k < s->n_skus; k++) {
        const sc_sku *sk = &s->skus[k];
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "sku", sk->sku);
        if (sk->supplier)
            cJSON_AddStringToObject(p, "supplier", sk->supplier);
        if (s->ownership.given) {
            /* Product data both sides agree on at the start, in values
             * both can hold (cents, grams); see setup.h. */
            cJSON_AddNumberToObject(p, "price", setup_price_cents(s, k) / 100.0);
            cJSON_AddNumberToObject(p, "cost", setup_cost_cents(s, k) / 100.0);
            cJSON_AddNumberToObject(p, "weight", SETUP_WEIGHT_GRAMS);
            cJSON_AddStringToObject(p, "weight_units", "g");
        } else {
            cJSON_AddNumberToObject(p, "price", sk->price);
            cJSON_AddNumberToObject(p, "cost", sk->price / 2);
        }
        if (sk->n_bom)
            cin7_kit(p, s, sk);
        cJSON_AddItemToArray(prods, p);
        for (size_t w = 0; w < s->n_warehouses; w++) {
            int64_t n = scenario_on_hand(s, k, w);
            if (!n)
                continue;
            cJSON *st = cJSON_CreateObject();
            cJSON_AddStringToObject(st, "sku", sk->sku);
            cJSON_AddStringToObject(st, "location", s->warehouses[w].name);
            cJSON_AddNumberToObject(st, "on_hand", (double)n);
            cJSON_AddItemToArray(stock, st);
        }
    }
    /* The customer each shop's sales are made to (syncd's default,
     * "Shopify <domain>"): Cin7 refuses a sale to a customer it does not
     * have. */
    cJSON *custs = cJSON_AddArrayToObject(c, "customers");
    for (size_t i = 0; i < s->n_shops; i++) {
        cJSON *cu = cJSON_CreateObject();
        char *name = xasprintf("Shopify %s", s->shops[i].domain);
        cJSON_AddStringToObject(cu, "name", name);
        free(name);
        cJSON_AddItemToArray(custs, cu);
    }
    if (s->fulfilment.given)
        cin7_fulfilment(c, &s->fulfilment);
    if (s->mock_cin7)
        json_merge(c, s->mock_cin7);
    return c;
}

cJSON *setup_shopify_config(const scenario *s)
{
    cJSON *c = cJSON_CreateObject();
    cJSON *shops = cJSON_AddArrayToObject(c, "shops");
    for (size_t i = 0; i < s->n_shops; i++) {
        const sc_shop *sh = &s->shops[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "domain", sh->domain);
        cJSON_AddStringToObject(o, "plan", sh->plan);
        cJSON_AddStringToObject(o, "access_token", sh->token);
        cJSON_AddStringToObject(o, "app_secret", sh->secret);
        cJSON *locs = cJSON_AddArrayToObject(o, "locations");
        cJSON *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "name", "Online Store");
        cJSON_AddItemToArray(locs, l);
        /* Every shop starts out offering all the stock that exists (a
         * kit: what its components make): shops sharing one Cin7 account
         * compete for the same units. */
        cJSON *prods = cJSON_AddArrayToObject(o, "products");
        for (size_t k = 0; k < s->n_skus; k++) {
            cJSON *p = cJSON_CreateObject();
            cJSON_AddStringToObject(p, "title", s->skus[k].sku);
            cJSON *vars = cJSON_AddArrayToObject(p, "variants");
            cJSON *v = cJSON_CreateObject();
            cJSON_AddStringToObject(v, "sku", s->skus[k].shopify_sku);
            char price[32];
            snprintf(price, sizeof price, "%.2f", s->skus[k].price);
            cJSON_AddStringToObject(v, "price", price);
            cJSON_AddNumberToObject(v, "available", (double)setup_offered_units(s, k));
            if (s->ownership.given)
                cJSON_AddNumberToObject(v, "grams", SETUP_WEIGHT_GRAMS);
            cJSON_AddItemToArray(vars, v);
            cJSON_AddItemToArray(prods, p);
        }
        cJSON_AddItemToArray(shops, o);
    }
    if (s->mock_shopify)
        json_merge(c, s->mock_shopify);
    return c;
}

cJSON *setup_shops_json(const scenario *s, const char *shopify_url, const char *secret_key)
{
    cJSON *shops = cJSON_CreateArray();
    for (size_t i = 0; i < s->n_shops; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "domain", s->shops[i].domain);
        char *base = xasprintf("%s/shops/%s", shopify_url, s->shops[i].domain);
        cJSON_AddStringToObject(o, "base_url", base);
        free(base);
        cJSON_AddStringToObject(o, "access_token", s->shops[i].token);
        cJSON_AddStringToObject(o, secret_key, s->shops[i].secret);
        cJSON_AddItemToArray(shops, o);
    }
    return shops;
}

cJSON *setup_syncd_config(const scenario *s, const char *cin7_api, const char *shopify_url,
                          const char *store_path, double time_scale, int64_t clock_origin)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddNumberToObject(c, "port", 0);
    cJSON_AddStringToObject(c, "store", store_path);
    cJSON_AddStringToObject(c, "admin_token", SETUP_ADMIN_TOKEN);
    cJSON_AddNumberToObject(c, "time_scale", time_scale);
    cJSON_AddNumberToObject(c, "clock_origin", (double)clock_origin);
    cJSON_AddStringToObject(c, "mode", s->engine_mode);
    cJSON *cin7 = cJSON_AddObjectToObject(c, "cin7");
    cJSON_AddStringToObject(cin7, "base_url", cin7_api);
    cJSON_AddStringToObject(cin7, "account_id", SETUP_CIN7_ACCOUNT);
    cJSON_AddStringToObject(cin7, "application_key", SETUP_CIN7_KEY);
    cJSON *auth = cJSON_AddObjectToObject(cin7, "webhook_auth");
    cJSON_AddStringToObject(auth, "type", "bearer");
    cJSON_AddStringToObject(auth, "secret", SETUP_CIN7_HOOK_TOKEN);
    cJSON_AddItemToObject(c, "shops", setup_shops_json(s, shopify_url, "api_secret"));
    cJSON *locs = cJSON_AddArrayToObject(c, "locations");
    for (size_t w = 0; w < s->n_warehouses; w++) {
        cJSON *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "name", s->warehouses[w].name);
        if (s->warehouses[w].has_coords) {
            cJSON_AddNumberToObject(l, "lat", s->warehouses[w].lat);
            cJSON_AddNumberToObject(l, "lon", s->warehouses[w].lon);
        }
        cJSON_AddNumberToObject(l, "priority", s->warehouses[w].priority);
        cJSON_AddItemToArray(locs, l);
    }
    /* The engine reorders on the scenario's own cover rule, so what the
     * harness measures against is what the engine was asked to do. */
    cJSON *rp = cJSON_AddObjectToObject(c, "replenishment");
    cJSON_AddBoolToObject(rp, "enabled", s->replen_given);
    cJSON_AddNumberToObject(rp, "cover_days", s->cover_threshold_days);
    cJSON_AddNumberToObject(rp, "target_days", s->target_days);
    cJSON_AddNumberToObject(rp, "velocity_window", (double)s->velocity_window_ms);
    cJSON *pack = cJSON_AddObjectToObject(rp, "pack");
    for (size_t i = 0; i < s->n_suppliers; i++)
        if (s->suppliers[i].pack > 1)
            cJSON_AddNumberToObject(pack, s->suppliers[i].name, (double)s->suppliers[i].pack);
    /* syncd refuses keys it does not know, so the section is written only
     * for a scenario that has one. */
    if (s->ownership.given) {
        cJSON *own = cJSON_AddObjectToObject(c, "ownership");
        cJSON *fields = cJSON_AddObjectToObject(own, "fields");
        for (int f = 0; f < SC_N_FIELDS; f++)
            if (s->ownership.owner[f] != SC_OWNER_NONE)
                cJSON_AddStringToObject(fields, scenario_field_names[f],
                                        s->ownership.owner[f] == SC_OWNER_CIN7 ? "cin7" : "shopify");
    }
    if (s->engine_config)
        json_merge(c, s->engine_config);
    return c;
}

int64_t setup_price_cents(const scenario *s, size_t sku)
{
    return llround(s->skus[sku].price * 100);
}

int64_t setup_cost_cents(const scenario *s, size_t sku)
{
    return llround(s->skus[sku].price * 50);
}

const char *setup_price_tier(const scenario *s, int compare_at)
{
    const cJSON *own = cJSON_GetObjectItemCaseSensitive(s->engine_config, "ownership");
    const cJSON *v =
        cJSON_GetObjectItemCaseSensitive(own, compare_at ? "compare_at_tier" : "price_tier");
    if (cJSON_IsString(v) && strncmp(v->valuestring, "PriceTier", 9) == 0)
        return v->valuestring;
    return compare_at ? "PriceTier2" : "PriceTier1";
}

cJSON *setup_cost_seeds(const scenario *s)
{
    cJSON *arr = cJSON_CreateArray();
    if (!s->ownership.given || s->ownership.owner[SC_FIELD_COST] == SC_OWNER_NONE)
        return arr;
    for (size_t i = 0; i < s->n_shops; i++)
        for (size_t k = 0; k < s->n_skus; k++) {
            cJSON *b = cJSON_CreateObject();
            cJSON_AddStringToObject(b, "shop", s->shops[i].domain);
            cJSON_AddStringToObject(b, "sku", s->skus[k].shopify_sku);
            cJSON *f = cJSON_AddObjectToObject(b, "fields");
            char cost[32];
            int64_t c = setup_cost_cents(s, k);
            snprintf(cost, sizeof cost, "%lld.%02lld", (long long)(c / 100), (long long)(c % 100));
            cJSON_AddStringToObject(f, "cost", cost);
            cJSON_AddItemToArray(arr, b);
        }
    return arr;
}

int64_t *setup_shop_buffers(const scenario *s)
{
    int64_t *b = xcalloc(s->n_shops + 1, sizeof *b);
    if (s->external) {
        /* A foreign engine keeps back what the scenario says it does. */
        for (size_t i = 0; i < s->n_shops; i++)
            b[i] = s->external->safety_buffer;
        return b;
    }
    const cJSON *shops = cJSON_GetObjectItemCaseSensitive(s->engine_config, "shops");
    for (size_t i = 0; i < s->n_shops; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(shops, (int)i),
                                                          "safety_buffer");
        b[i] = cJSON_IsNumber(v) && v->valuedouble > 0 ? (int64_t)v->valuedouble : 0;
    }
    return b;
}

int64_t setup_low_stock_split(const scenario *s)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(s->engine_config, "low_stock_split");
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : -1;
}

int64_t setup_kit_low_stock_split(const scenario *s)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(s->engine_config, "kit_low_stock_split");
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 10;
}

/* mock-cin7's calls per window for syncd's application; 0 when unlimited. */
static void cin7_limit(const cJSON *c, bounds_limits *out)
{
    const cJSON *rl = cJSON_GetObjectItemCaseSensitive(c, "rate_limit");
    const cJSON *preset = cJSON_GetObjectItemCaseSensitive(rl, "preset");
    if (cJSON_IsString(preset)) {
        static const struct {
            const char *name;
            int64_t calls;
        } presets[] = {{"core", 60}, {"practitioner", 100}, {"unlimited", 0}};
        for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
            if (strcmp(preset->valuestring, presets[i].name) == 0)
                out->cin7_calls = presets[i].calls;
    }
    int64_t n = 0, window = 0;
    if (json_int53(cJSON_GetObjectItemCaseSensitive(rl, "calls_per_minute"), &n) == 0 && n >= 1)
        out->cin7_calls = n;
    json_err e;
    if (rl && json_get_duration(rl, "$.rate_limit", "window", JSON_OPTIONAL, &window, &e) == 0 &&
        window >= 1)
        out->cin7_window_ms = window;
    const cJSON *app;
    cJSON_ArrayForEach(app, cJSON_GetObjectItemCaseSensitive(c, "applications"))
    {
        const cJSON *key = cJSON_GetObjectItemCaseSensitive(app, "key");
        if (!cJSON_IsString(key) || strcmp(key->valuestring, SETUP_CIN7_KEY) != 0)
            continue;
        const cJSON *cpm = cJSON_GetObjectItemCaseSensitive(app, "calls_per_minute");
        if (cJSON_IsString(cpm) && strcmp(cpm->valuestring, "unlimited") == 0)
            out->cin7_calls = 0;
        else if (json_int53(cpm, &n) == 0 && n >= 1)
            out->cin7_calls = n;
    }
}

/* One shop's GraphQL bucket as mock-shopify sets it: its plan's (restore
 * rate 100, 200, 1000 or 2000 points a second, a bucket 20 times that),
 * then its limits. */
static void shop_bucket(const cJSON *shop, double *bucket, double *restore)
{
    static const struct {
        const char *plan;
        double restore;
    } plans[] = {{"standard", 100}, {"advanced", 200}, {"plus", 1000}, {"enterprise", 2000}};
    const cJSON *plan = cJSON_GetObjectItemCaseSensitive(shop, "plan");
    *restore = plans[0].restore;
    for (size_t i = 0; cJSON_IsString(plan) && i < sizeof plans / sizeof plans[0]; i++)
        if (strcmp(plan->valuestring, plans[i].plan) == 0)
            *restore = plans[i].restore;
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(shop, "limits");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(lim, "graphql_restore_per_s");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(lim, "graphql_bucket");
    if (cJSON_IsNumber(r) && r->valuedouble > 0)
        *restore = r->valuedouble;
    *bucket = cJSON_IsNumber(b) && b->valuedouble > 0 ? b->valuedouble : 20 * *restore;
}

void setup_api_limits(const scenario *s, bounds_limits *out)
{
    *out = bounds_default_limits();
    cJSON *c = setup_cin7_config(s);
    cin7_limit(c, out);
    cJSON_Delete(c);
    c = setup_shopify_config(s);
    double bucket = 0, restore = 0;
    const cJSON *shop;
    cJSON_ArrayForEach(shop, cJSON_GetObjectItemCaseSensitive(c, "shops"))
    {
        double b, r;
        shop_bucket(shop, &b, &r);
        bucket += b;
        restore += r;
    }
    if (bucket > 0) {
        out->shopify_bucket = bucket;
        out->shopify_restore_per_s = restore;
    }
    cJSON_Delete(c);
}
