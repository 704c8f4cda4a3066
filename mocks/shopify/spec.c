/* Parsing mock-shopify configs and seeds into plain data; see spec.h. Every
 * reader takes the JSON path of what it reads so errors can name it, and
 * every object is checked for unknown keys first. */
#include "spec.h"

#include <ctype.h>

#include "mem.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_LEN 256

int spec_plan_limits(const char *plan, spec_limits *out)
{
    static const struct {
        const char *name;
        double bucket, leak, restore;
    } plans[] = {
        {"standard", 40, 2, 100},
        {"advanced", 80, 4, 200},
        {"plus", 400, 20, 1000},
        {"enterprise", 800, 40, 2000},
    };
    for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++)
        if (strcmp(plans[i].name, plan) == 0) {
            out->rest_bucket = plans[i].bucket;
            out->rest_leak_per_s = plans[i].leak;
            out->gql_restore_per_s = plans[i].restore;
            out->gql_bucket = 20 * plans[i].restore;
            out->gql_max_cost = 1000;
            return 0;
        }
    return -1;
}

void spec_retry_schedule(size_t n, int64_t total_ms, int64_t *waits)
{
    if (n == 0)
        return;
    /* waits b, 2b, 4b, ... add up to b * (2^n - 1) = total. */
    double base = (double)total_ms / (ldexp(1.0, (int)n) - 1.0);
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        waits[i] = (int64_t)llround(base * ldexp(1.0, (int)i));
        sum += waits[i];
    }
    waits[n - 1] += total_ms - sum; /* rounding lands on the last wait */
    if (waits[n - 1] < 0)
        waits[n - 1] = 0;
}

/* ---- freeing ---------------------------------------------------------------- */

static void shop_free(spec_shop *s)
{
    free(s->domain);
    free(s->name);
    free(s->plan);
    free(s->secret);
    free(s->api_version);
    free(s->currency);
    for (size_t i = 0; i < s->n_tokens; i++)
        free(s->tokens[i]);
    free(s->tokens);
    for (size_t i = 0; i < s->n_locations; i++) {
        spec_location *l = &s->locations[i];
        free(l->name);
        free(l->address1);
        free(l->city);
        free(l->province_code);
        free(l->zip);
        free(l->country_code);
    }
    free(s->locations);
    for (size_t i = 0; i < s->n_products; i++) {
        spec_product *p = &s->products[i];
        free(p->title);
        free(p->vendor);
        free(p->product_type);
        for (size_t k = 0; k < p->n_variants; k++) {
            spec_variant *v = &p->variants[k];
            free(v->sku);
            free(v->title);
            free(v->price);
            for (size_t j = 0; j < v->n_stock; j++)
                free(v->stock[j].location);
            free(v->stock);
        }
        free(p->variants);
    }
    free(s->products);
    for (size_t i = 0; i < s->n_webhooks; i++) {
        free(s->webhooks[i].topic);
        free(s->webhooks[i].address);
    }
    free(s->webhooks);
}

void spec_world_free(spec_world *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n_shops; i++)
        shop_free(&w->shops[i]);
    free(w->shops);
    memset(w, 0, sizeof *w);
}

void spec_seed_free(spec_seed *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_shops; i++)
        shop_free(&s->shops[i]);
    free(s->shops);
    free(s->shop_partial);
    for (size_t i = 0; i < s->n_levels; i++) {
        free(s->levels[i].shop);
        free(s->levels[i].sku);
        free(s->levels[i].location);
    }
    free(s->levels);
    for (size_t i = 0; i < s->n_webhooks; i++) {
        free(s->webhook_shops[i]);
        free(s->webhooks[i].topic);
        free(s->webhooks[i].address);
    }
    free(s->webhook_shops);
    free(s->webhooks);
    memset(s, 0, sizeof *s);
}

/* ---- small readers ------------------------------------------------------------ */

/* json_fail at the child key of path. */
static int fail_key(json_err *e, const char *path, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_key(json_err *e, const char *path, const char *key, const char *fmt, ...)
{
    char p[PATH_MAX_LEN];
    json_path_key(p, sizeof p, path, key);
    char msg[sizeof e->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return json_fail(e, p, "%s", msg);
}

static int nonempty(const char *s, const char *path, const char *key, json_err *e)
{
    if (s && !*s)
        return fail_key(e, path, key, "must not be empty");
    return 0;
}

/* A price: "19.00" or 19 → "19.00". */
static int get_price(const cJSON *obj, const char *path, char **out, json_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "price");
    char p[PATH_MAX_LEN];
    json_path_key(p, sizeof p, path, "price");
    double d = 0;
    if (!v || cJSON_IsNull(v)) {
        *out = xstrdup("10.00");
        return 0;
    }
    if (cJSON_IsNumber(v)) {
        d = v->valuedouble;
    } else if (cJSON_IsString(v)) {
        char *end;
        d = strtod(v->valuestring, &end);
        if (end == v->valuestring || *end)
            return json_fail(e, p, "expected a price such as \"19.00\", got \"%.40s\"",
                             v->valuestring);
    } else {
        return json_fail(e, p, "expected a price (string or number), got %s", json_type_name(v));
    }
    if (!isfinite(d) || d < 0 || d > 1e9)
        return json_fail(e, p, "expected a price between 0 and 1000000000");
    *out = xasprintf("%.2f", d);
    return 0;
}

static const char *const TOPICS[] = {
    "orders/create",  "orders/paid",     "orders/cancelled",      "orders/updated",
    "orders/fulfilled", "orders/partially_fulfilled", "fulfillments/create",
    "refunds/create", "inventory_levels/update", "fulfillment_orders/placed_on_hold",
    "fulfillment_orders/hold_released", "bulk_operations/finish", "products/update", NULL,
};

int spec_topic_known(const char *topic)
{
    for (const char *const *t = TOPICS; *t; t++)
        if (strcmp(*t, topic) == 0)
            return 1;
    return 0;
}

const char *spec_topic_list(void)
{
    return "orders/create, orders/paid, orders/cancelled, orders/updated, orders/fulfilled, "
           "orders/partially_fulfilled, fulfillments/create, refunds/create, "
           "inventory_levels/update, fulfillment_orders/placed_on_hold, "
           "fulfillment_orders/hold_released, bulk_operations/finish, products/update";
}

/* An inventory_policy value read at path: "deny" (*cont 0) or "continue"
 * (*cont 1). */
static int policy_value(const char *policy, const char *path, int *cont, json_err *e)
{
    if (strcmp(policy, "deny") != 0 && strcmp(policy, "continue") != 0)
        return fail_key(e, path, "inventory_policy",
                        "expected \"deny\" or \"continue\", got \"%.40s\"", policy);
    *cont = strcmp(policy, "continue") == 0;
    return 0;
}

static int valid_address(const char *a)
{
    return strncmp(a, "http://", 7) == 0 || strncmp(a, "https://", 8) == 0;
}

static int parse_webhook(const cJSON *o, const char *path, spec_webhook *out, json_err *e)
{
    static const char *const keys[] = {"topic", "address", "shop", NULL};
    if (json_only_keys(o, path, keys, e) != 0)
        return -1;
    if (json_get_strdup(o, path, "topic", JSON_REQUIRED, NULL, &out->topic, e) != 0 ||
        json_get_strdup(o, path, "address", JSON_REQUIRED, NULL, &out->address, e) != 0)
        return -1;
    if (!spec_topic_known(out->topic))
        return fail_key(e, path, "topic", "unknown topic \"%.60s\" (known: %s)", out->topic,
                        spec_topic_list());
    if (!valid_address(out->address))
        return fail_key(e, path, "address", "expected an http:// or https:// URL, got \"%.80s\"",
                        out->address);
    return 0;
}

static int parse_location(const cJSON *o, const char *path, spec_location *l, json_err *e)
{
    static const char *const keys[] = {"name",        "address1", "city",     "province_code",
                                       "zip",         "country_code", "latitude", "longitude",
                                       NULL};
    if (json_only_keys(o, path, keys, e) != 0)
        return -1;
    if (json_get_strdup(o, path, "name", JSON_REQUIRED, NULL, &l->name, e) != 0 ||
        nonempty(l->name, path, "name", e) != 0 ||
        json_get_strdup(o, path, "address1", 0, "1 Main Street", &l->address1, e) != 0 ||
        json_get_strdup(o, path, "city", 0, "Springfield", &l->city, e) != 0 ||
        json_get_strdup(o, path, "province_code", 0, "IL", &l->province_code, e) != 0 ||
        json_get_strdup(o, path, "zip", 0, "62701", &l->zip, e) != 0 ||
        json_get_strdup(o, path, "country_code", 0, "US", &l->country_code, e) != 0)
        return -1;
    int has_lat = cJSON_GetObjectItemCaseSensitive(o, "latitude") != NULL;
    int has_lon = cJSON_GetObjectItemCaseSensitive(o, "longitude") != NULL;
    if (json_get_num(o, path, "latitude", 0, -90, 90, &l->latitude, e) != 0 ||
        json_get_num(o, path, "longitude", 0, -180, 180, &l->longitude, e) != 0)
        return -1;
    if (has_lat != has_lon)
        return fail_key(e, path, has_lat ? "longitude" : "latitude",
                        "latitude and longitude go together");
    l->has_coords = has_lat;
    return 0;
}

static int parse_variant(const cJSON *o, const char *path, spec_variant *v, json_err *e)
{
    static const char *const keys[] = {"sku",   "title", "price", "inventory_policy",
                                       "grams", "available", "stock", NULL};
    if (json_only_keys(o, path, keys, e) != 0)
        return -1;
    if (json_get_strdup(o, path, "sku", JSON_REQUIRED, NULL, &v->sku, e) != 0 ||
        nonempty(v->sku, path, "sku", e) != 0 ||
        json_get_strdup(o, path, "title", 0, "Default Title", &v->title, e) != 0 ||
        get_price(o, path, &v->price, e) != 0 ||
        json_get_int(o, path, "grams", 0, 0, 1000000000, &v->grams, e) != 0)
        return -1;
    const char *policy = "deny";
    if (json_get_str(o, path, "inventory_policy", 0, &policy, e) != 0 ||
        policy_value(policy, path, &v->policy_continue, e) != 0)
        return -1;
    v->has_available = cJSON_GetObjectItemCaseSensitive(o, "available") != NULL;
    if (json_get_int(o, path, "available", 0, -1000000000, 1000000000, &v->available, e) != 0)
        return -1;
    const cJSON *stock = NULL;
    if (json_get_obj(o, path, "stock", 0, &stock, e) != 0)
        return -1;
    if (stock) {
        char sp[PATH_MAX_LEN];
        json_path_key(sp, sizeof sp, path, "stock");
        size_t n = (size_t)cJSON_GetArraySize(stock);
        v->stock = xcalloc(n ? n : 1, sizeof *v->stock);
        const cJSON *it;
        cJSON_ArrayForEach(it, stock)
        {
            int64_t q = 0;
            if (json_get_int(stock, sp, it->string, JSON_REQUIRED, -1000000000, 1000000000, &q,
                             e) != 0)
                return -1;
            v->stock[v->n_stock].location = xstrdup(it->string);
            v->stock[v->n_stock].available = q;
            v->n_stock++;
        }
    }
    return 0;
}

static int parse_product(const cJSON *o, const char *path, spec_product *p, json_err *e)
{
    static const char *const keys[] = {"title", "vendor", "product_type", "variants", NULL};
    if (json_only_keys(o, path, keys, e) != 0)
        return -1;
    if (json_get_strdup(o, path, "title", 0, NULL, &p->title, e) != 0 ||
        json_get_strdup(o, path, "vendor", 0, "Demo Vendor", &p->vendor, e) != 0 ||
        json_get_strdup(o, path, "product_type", 0, "", &p->product_type, e) != 0)
        return -1;
    const cJSON *vars = NULL;
    if (json_get_arr(o, path, "variants", JSON_REQUIRED, &vars, e) != 0)
        return -1;
    char vp[PATH_MAX_LEN];
    json_path_key(vp, sizeof vp, path, "variants");
    size_t n = (size_t)cJSON_GetArraySize(vars);
    if (n == 0 || n > 100)
        return json_fail(e, vp, "expected 1 to 100 variants, got %zu", n);
    p->variants = xcalloc(n, sizeof *p->variants);
    const cJSON *it;
    cJSON_ArrayForEach(it, vars)
    {
        char ip[PATH_MAX_LEN];
        json_path_index(ip, sizeof ip, vp, p->n_variants);
        spec_variant *v = &p->variants[p->n_variants++];
        if (parse_variant(it, ip, v, e) != 0)
            return -1;
    }
    if (!p->title)
        p->title = xstrdup(p->variants[0].sku);
    return 0;
}

/* "catalog": {"sku_prefix", "count", "available", "price", "inventory_policy"}:
 * count products of one variant each, SKUs PREFIX0001..., for big worlds. */
static int parse_catalog(const cJSON *o, const char *path, spec_shop *s, json_err *e)
{
    static const char *const keys[] = {"sku_prefix", "count", "available", "price",
                                       "inventory_policy", NULL};
    if (json_only_keys(o, path, keys, e) != 0)
        return -1;
    const char *prefix = "SKU-", *policy = "deny";
    int64_t count = 0, available = 100;
    char *price = NULL;
    if (json_get_str(o, path, "sku_prefix", 0, &prefix, e) != 0 ||
        json_get_int(o, path, "count", JSON_REQUIRED, 1, SPEC_MAX_VARIANTS, &count, e) != 0 ||
        json_get_int(o, path, "available", 0, -1000000000, 1000000000, &available, e) != 0 ||
        json_get_str(o, path, "inventory_policy", 0, &policy, e) != 0 ||
        get_price(o, path, &price, e) != 0)
        return -1;
    int policy_continue;
    if (policy_value(policy, path, &policy_continue, e) != 0) {
        free(price);
        return -1;
    }
    s->products = xrealloc(s->products, (s->n_products + (size_t)count) * sizeof *s->products);
    for (int64_t i = 0; i < count; i++) {
        spec_product *p = &s->products[s->n_products++];
        memset(p, 0, sizeof *p);
        p->variants = xcalloc(1, sizeof *p->variants);
        p->n_variants = 1;
        spec_variant *v = &p->variants[0];
        v->sku = xasprintf("%s%04lld", prefix, (long long)(i + 1));
        v->title = xstrdup("Default Title");
        v->price = xstrdup(price);
        v->policy_continue = policy_continue;
        v->has_available = 1;
        v->available = available;
        p->title = xasprintf("Product %s", v->sku);
        p->vendor = xstrdup("Demo Vendor");
        p->product_type = xstrdup("");
    }
    free(price);
    return 0;
}

static int parse_limits(const cJSON *o, const char *path, spec_limits *l, json_err *e)
{
    static const char *const keys[] = {"rest_bucket", "rest_leak_per_s", "graphql_restore_per_s",
                                       "graphql_bucket", "graphql_max_cost", NULL};
    if (json_only_keys(o, path, keys, e) != 0)
        return -1;
    int has_bucket = cJSON_GetObjectItemCaseSensitive(o, "graphql_bucket") != NULL;
    if (json_get_num(o, path, "rest_bucket", 0, 1, 1e12, &l->rest_bucket, e) != 0 ||
        json_get_num(o, path, "rest_leak_per_s", 0, 0, 1e12, &l->rest_leak_per_s, e) != 0 ||
        json_get_num(o, path, "graphql_restore_per_s", 0, 0, 1e12, &l->gql_restore_per_s, e) != 0 ||
        json_get_num(o, path, "graphql_bucket", 0, 1, 1e13, &l->gql_bucket, e) != 0 ||
        json_get_num(o, path, "graphql_max_cost", 0, 1, 1e12, &l->gql_max_cost, e) != 0)
        return -1;
    if (!has_bucket && cJSON_GetObjectItemCaseSensitive(o, "graphql_restore_per_s"))
        l->gql_bucket = 20 * l->gql_restore_per_s;
    if (l->gql_bucket < 1)
        l->gql_bucket = 1;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int find_location(const spec_shop *s, const char *name)
{
    for (size_t i = 0; i < s->n_locations; i++)
        if (strcmp(s->locations[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* partial: an addition to an existing shop (seed), which may carry only
 * domain, locations, products, catalog and webhooks. */
static int parse_shop(const cJSON *o, const char *path, int partial, spec_shop *s, json_err *e)
{
    static const char *const full_keys[] = {
        "domain",   "name",      "plan",      "limits",    "access_token", "access_tokens",
        "app_secret", "api_version", "currency", "utc_offset_minutes", "payment", "locations",
        "products", "catalog",   "webhooks",  NULL};
    static const char *const partial_keys[] = {"domain", "locations", "products", "catalog",
                                               "webhooks", NULL};
    if (json_only_keys(o, path, partial ? partial_keys : full_keys, e) != 0)
        return -1;
    if (json_get_strdup(o, path, "domain", JSON_REQUIRED, NULL, &s->domain, e) != 0 ||
        nonempty(s->domain, path, "domain", e) != 0)
        return -1;
    for (char *c = s->domain; *c; c++)
        if (*c == '/' || *c == ' ' || *c == '?')
            return fail_key(e, path, "domain", "expected a host name such as \"shop.myshopify.com\"");
    char p[PATH_MAX_LEN];
    if (!partial) {
        if (json_get_strdup(o, path, "name", 0, s->domain, &s->name, e) != 0 ||
            json_get_strdup(o, path, "plan", 0, "standard", &s->plan, e) != 0 ||
            json_get_strdup(o, path, "app_secret", JSON_REQUIRED, NULL, &s->secret, e) != 0 ||
            nonempty(s->secret, path, "app_secret", e) != 0 ||
            json_get_strdup(o, path, "api_version", 0, "2026-10", &s->api_version, e) != 0 ||
            json_get_strdup(o, path, "currency", 0, "USD", &s->currency, e) != 0)
            return -1;
        if (spec_plan_limits(s->plan, &s->limits) != 0)
            return fail_key(e, path, "plan",
                            "unknown plan \"%.40s\" (known: standard, advanced, plus, enterprise)",
                            s->plan);
        const cJSON *lim = NULL;
        if (json_get_obj(o, path, "limits", 0, &lim, e) != 0)
            return -1;
        if (lim) {
            json_path_key(p, sizeof p, path, "limits");
            if (parse_limits(lim, p, &s->limits, e) != 0)
                return -1;
        }
        int64_t off = 0;
        if (json_get_int(o, path, "utc_offset_minutes", 0, -720, 840, &off, e) != 0)
            return -1;
        s->utc_offset_min = (int)off;
        const char *tok = NULL;
        const cJSON *toks = NULL;
        if (json_get_str(o, path, "access_token", 0, &tok, e) != 0 ||
            json_get_arr(o, path, "access_tokens", 0, &toks, e) != 0)
            return -1;
        size_t nt = (tok ? 1 : 0) + (size_t)(toks ? cJSON_GetArraySize(toks) : 0);
        if (nt == 0)
            return fail_key(e, path, "access_token",
                            "required field is missing (or give access_tokens)");
        s->tokens = xcalloc(nt, sizeof *s->tokens);
        if (tok) {
            if (nonempty(tok, path, "access_token", e) != 0)
                return -1;
            s->tokens[s->n_tokens++] = xstrdup(tok);
        }
        if (toks) {
            char tp[PATH_MAX_LEN];
            json_path_key(tp, sizeof tp, path, "access_tokens");
            const cJSON *it;
            size_t i = 0;
            cJSON_ArrayForEach(it, toks)
            {
                json_path_index(p, sizeof p, tp, i++);
                if (!cJSON_IsString(it) || !*it->valuestring)
                    return json_fail(e, p, "expected a non-empty string, got %s",
                                     json_type_name(it));
                s->tokens[s->n_tokens++] = xstrdup(it->valuestring);
            }
        }
        const cJSON *pay = NULL;
        if (json_get_obj(o, path, "payment", 0, &pay, e) != 0)
            return -1;
        s->pay_after_ms = 30000;
        if (pay) {
            static const char *const pkeys[] = {"mode", "pay_after", NULL};
            json_path_key(p, sizeof p, path, "payment");
            const char *mode = "paid";
            if (json_only_keys(pay, p, pkeys, e) != 0 ||
                json_get_str(pay, p, "mode", 0, &mode, e) != 0 ||
                json_get_duration(pay, p, "pay_after", 0, &s->pay_after_ms, e) != 0)
                return -1;
            if (strcmp(mode, "paid") != 0 && strcmp(mode, "pending") != 0)
                return fail_key(e, p, "mode", "expected \"paid\" or \"pending\", got \"%.40s\"",
                                mode);
            s->pay_pending = strcmp(mode, "pending") == 0;
        }
    }

    const cJSON *arr = NULL;
    if (json_get_arr(o, path, "locations", 0, &arr, e) != 0)
        return -1;
    size_t n = arr ? (size_t)cJSON_GetArraySize(arr) : 0;
    json_path_key(p, sizeof p, path, "locations");
    if (n > SPEC_MAX_LOCATIONS)
        return json_fail(e, p, "at most %d locations", SPEC_MAX_LOCATIONS);
    if (n == 0 && !partial) {
        s->locations = xcalloc(1, sizeof *s->locations);
        s->n_locations = 1;
        cJSON *def = cJSON_CreateObject();
        cJSON_AddStringToObject(def, "name", "Main Warehouse");
        int rc = parse_location(def, p, &s->locations[0], e);
        cJSON_Delete(def);
        if (rc != 0)
            return -1;
    } else if (n) {
        s->locations = xcalloc(n, sizeof *s->locations);
        const cJSON *it;
        cJSON_ArrayForEach(it, arr)
        {
            char ip[PATH_MAX_LEN];
            json_path_index(ip, sizeof ip, p, s->n_locations);
            spec_location *l = &s->locations[s->n_locations++];
            if (parse_location(it, ip, l, e) != 0)
                return -1;
            if (find_location(s, l->name) != (int)s->n_locations - 1)
                return fail_key(e, ip, "name", "location \"%.60s\" is listed twice", l->name);
        }
    }

    arr = NULL;
    if (json_get_arr(o, path, "products", 0, &arr, e) != 0)
        return -1;
    if (arr) {
        json_path_key(p, sizeof p, path, "products");
        n = (size_t)cJSON_GetArraySize(arr);
        s->products = xcalloc(n ? n : 1, sizeof *s->products);
        const cJSON *it;
        cJSON_ArrayForEach(it, arr)
        {
            char ip[PATH_MAX_LEN];
            json_path_index(ip, sizeof ip, p, s->n_products);
            if (parse_product(it, ip, &s->products[s->n_products++], e) != 0)
                return -1;
        }
    }
    const cJSON *cat = NULL;
    if (json_get_obj(o, path, "catalog", 0, &cat, e) != 0)
        return -1;
    if (cat) {
        json_path_key(p, sizeof p, path, "catalog");
        if (parse_catalog(cat, p, s, e) != 0)
            return -1;
    }
    /* SKUs are unique in a shop, and stock names its locations. */
    size_t total = 0;
    for (size_t i = 0; i < s->n_products; i++)
        total += s->products[i].n_variants;
    if (total > SPEC_MAX_VARIANTS)
        return fail_key(e, path, "products", "at most %d variants per shop", SPEC_MAX_VARIANTS);
    const char **skus = xcalloc(total ? total : 1, sizeof *skus);
    size_t k = 0;
    for (size_t i = 0; i < s->n_products; i++)
        for (size_t j = 0; j < s->products[i].n_variants; j++)
            skus[k++] = s->products[i].variants[j].sku;
    qsort(skus, total, sizeof *skus, cmp_str);
    for (size_t i = 1; i < total; i++)
        if (strcmp(skus[i - 1], skus[i]) == 0) {
            fail_key(e, path, "products", "SKU \"%.60s\" appears twice", skus[i]);
            free(skus);
            return -1;
        }
    free(skus);
    if (!partial)
        for (size_t i = 0; i < s->n_products; i++)
            for (size_t j = 0; j < s->products[i].n_variants; j++) {
                const spec_variant *v = &s->products[i].variants[j];
                for (size_t q = 0; q < v->n_stock; q++)
                    if (find_location(s, v->stock[q].location) < 0) {
                        char pp[PATH_MAX_LEN], vp[PATH_MAX_LEN];
                        json_path_key(p, sizeof p, path, "products");
                        json_path_index(pp, sizeof pp, p, i);
                        json_path_key(vp, sizeof vp, pp, "variants");
                        json_path_index(pp, sizeof pp, vp, j);
                        json_path_key(vp, sizeof vp, pp, "stock");
                        return fail_key(e, vp, v->stock[q].location,
                                        "unknown location (not in this shop's locations)");
                    }
            }
    arr = NULL;
    if (json_get_arr(o, path, "webhooks", 0, &arr, e) != 0)
        return -1;
    if (arr) {
        json_path_key(p, sizeof p, path, "webhooks");
        n = (size_t)cJSON_GetArraySize(arr);
        s->webhooks = xcalloc(n ? n : 1, sizeof *s->webhooks);
        const cJSON *it;
        cJSON_ArrayForEach(it, arr)
        {
            char ip[PATH_MAX_LEN];
            json_path_index(ip, sizeof ip, p, s->n_webhooks);
            if (cJSON_GetObjectItemCaseSensitive(it, "shop"))
                return json_fail(e, ip, "\"shop\" is implied here; leave it out");
            if (parse_webhook(it, ip, &s->webhooks[s->n_webhooks++], e) != 0)
                return -1;
        }
    }
    return 0;
}

static int parse_delay(const cJSON *o, const char *path, spec_delay *d, json_err *e)
{
    static const char *const keys[] = {"probability", "ms", "min", "max", "median", "p99", "mean",
                                       NULL};
    if (json_only_keys(o, path, keys, e) != 0)
        return -1;
    d->probability = 1;
    if (json_get_num(o, path, "probability", 0, 0, 1, &d->probability, e) != 0)
        return -1;
    int has_ms = cJSON_GetObjectItemCaseSensitive(o, "ms") != NULL;
    int has_min = cJSON_GetObjectItemCaseSensitive(o, "min") != NULL;
    int has_max = cJSON_GetObjectItemCaseSensitive(o, "max") != NULL;
    int has_med = cJSON_GetObjectItemCaseSensitive(o, "median") != NULL;
    int has_p99 = cJSON_GetObjectItemCaseSensitive(o, "p99") != NULL;
    int has_mean = cJSON_GetObjectItemCaseSensitive(o, "mean") != NULL;
    int forms = has_ms + (has_min || has_max) + (has_med || has_p99) + has_mean;
    if (forms != 1)
        return json_fail(e, path,
                         "give exactly one form: ms (fixed), min + max (uniform), median + p99 "
                         "(lognormal) or mean (exponential)");
    if (has_ms) {
        d->kind = SPEC_DELAY_FIXED;
        return json_get_duration(o, path, "ms", JSON_REQUIRED, &d->a_ms, e);
    }
    if (has_mean) {
        d->kind = SPEC_DELAY_EXPONENTIAL;
        return json_get_duration(o, path, "mean", JSON_REQUIRED, &d->a_ms, e);
    }
    if (has_min || has_max) {
        d->kind = SPEC_DELAY_UNIFORM;
        if (json_get_duration(o, path, "min", JSON_REQUIRED, &d->a_ms, e) != 0 ||
            json_get_duration(o, path, "max", JSON_REQUIRED, &d->b_ms, e) != 0)
            return -1;
        if (d->b_ms < d->a_ms)
            return fail_key(e, path, "max", "must be at least min");
        return 0;
    }
    d->kind = SPEC_DELAY_LOGNORMAL;
    if (json_get_duration(o, path, "median", JSON_REQUIRED, &d->a_ms, e) != 0 ||
        json_get_duration(o, path, "p99", JSON_REQUIRED, &d->b_ms, e) != 0)
        return -1;
    if (d->a_ms <= 0 || d->b_ms < d->a_ms)
        return fail_key(e, path, "p99", "needs p99 >= median > 0");
    return 0;
}

static void webhook_defaults(spec_webhooks *w)
{
    memset(w, 0, sizeof *w);
    w->threads = 4;
    w->retries = 8;
    spec_retry_schedule(w->retries, 4 * 3600 * 1000LL, w->retry_waits);
    w->connect_timeout_ms = 1000;
    w->timeout_ms = 5000;
    w->remove_after_failures = 8;
}

#define MAX_DURATION_MS (30LL * 86400000)

static int parse_webhook_settings(const cJSON *o, const char *path, spec_webhooks *w, json_err *e)
{
    static const char *const keys[] = {"threads",        "retries",          "retry_total",
                                       "retry_waits",    "connect_timeout",  "timeout",
                                       "remove_after_failures", "duplicate_probability",
                                       "extra_delay",    "reorder_window",   NULL};
    if (json_only_keys(o, path, keys, e) != 0)
        return -1;
    int64_t threads = w->threads, retries = (int64_t)w->retries, remove = w->remove_after_failures;
    int64_t total = 4 * 3600 * 1000LL;
    char p[PATH_MAX_LEN];
    if (json_get_int(o, path, "threads", 0, 1, 64, &threads, e) != 0 ||
        json_get_int(o, path, "retries", 0, 0, SPEC_MAX_RETRIES, &retries, e) != 0 ||
        json_get_duration(o, path, "retry_total", 0, &total, e) != 0 ||
        json_get_duration(o, path, "connect_timeout", 0, &w->connect_timeout_ms, e) != 0 ||
        json_get_duration(o, path, "timeout", 0, &w->timeout_ms, e) != 0 ||
        json_get_int(o, path, "remove_after_failures", 0, 0, 1000, &remove, e) != 0 ||
        json_get_num(o, path, "duplicate_probability", 0, 0, 1, &w->duplicate_probability, e) != 0 ||
        json_get_duration(o, path, "reorder_window", 0, &w->reorder_window_ms, e) != 0)
        return -1;
    if (total > MAX_DURATION_MS || w->reorder_window_ms > MAX_DURATION_MS)
        return fail_key(e, path, total > MAX_DURATION_MS ? "retry_total" : "reorder_window",
                        "at most 30 days");
    if (w->connect_timeout_ms < 1 || w->timeout_ms < 1)
        return fail_key(e, path, w->timeout_ms < 1 ? "timeout" : "connect_timeout",
                        "must be at least 1ms");
    w->threads = (unsigned)threads;
    w->retries = (size_t)retries;
    w->remove_after_failures = (int)remove;
    spec_retry_schedule(w->retries, total, w->retry_waits);
    const cJSON *waits = NULL;
    if (json_get_arr(o, path, "retry_waits", 0, &waits, e) != 0)
        return -1;
    if (waits) {
        json_path_key(p, sizeof p, path, "retry_waits");
        int n = cJSON_GetArraySize(waits);
        if (n > SPEC_MAX_RETRIES)
            return json_fail(e, p, "at most %d retries", SPEC_MAX_RETRIES);
        if (cJSON_GetObjectItemCaseSensitive(o, "retries") &&
            (size_t)n != (size_t)retries)
            return json_fail(e, p, "has %d waits but retries says %lld", n, (long long)retries);
        /* Reuse the duration reader through a throwaway object per item. */
        for (int i = 0; i < n; i++) {
            cJSON *holder = cJSON_CreateObject();
            cJSON_AddItemReferenceToObject(holder, "w", cJSON_GetArrayItem(waits, i));
            char ip[PATH_MAX_LEN];
            json_path_index(ip, sizeof ip, p, (size_t)i);
            json_err inner;
            int rc = json_get_duration(holder, "$", "w", JSON_REQUIRED, &w->retry_waits[i], &inner);
            cJSON_Delete(holder);
            if (rc != 0) {
                const char *colon = strstr(inner.msg, ": ");
                return json_fail(e, ip, "%s", colon ? colon + 2 : inner.msg);
            }
            if (w->retry_waits[i] > MAX_DURATION_MS)
                return json_fail(e, ip, "at most 30 days");
        }
        w->retries = (size_t)n;
    }
    const cJSON *delay = NULL;
    if (json_get_obj(o, path, "extra_delay", 0, &delay, e) != 0)
        return -1;
    if (delay) {
        json_path_key(p, sizeof p, path, "extra_delay");
        if (parse_delay(delay, p, &w->extra_delay, e) != 0)
            return -1;
        if (w->extra_delay.a_ms > MAX_DURATION_MS || w->extra_delay.b_ms > MAX_DURATION_MS)
            return json_fail(e, p, "delays are at most 30 days");
    }
    return 0;
}

static void world_defaults(spec_world *w)
{
    memset(w, 0, sizeof *w);
    webhook_defaults(&w->webhooks);
    w->gql_throttled_status = 200;
    w->retry_after_s = 2.0;
    w->first_order_number = 1001;
    w->idempotency_keep = 100000;
    /* Supported on 2026-12-05: each quarterly version lives 12 months, so
     * 2025-10 retired at the start of 2026-10 and 2027-01 is not out yet. */
    static const char *const supported[] = {"2026-01", "2026-04", "2026-07", "2026-10"};
    for (size_t i = 0; i < sizeof supported / sizeof supported[0]; i++)
        snprintf(w->versions[w->n_versions++], sizeof w->versions[0], "%s", supported[i]);
}

int spec_version_valid(const char *v)
{
    if (strcmp(v, "unstable") == 0)
        return 1;
    if (strlen(v) != 7 || v[4] != '-')
        return 0;
    for (int i = 0; i < 7; i++)
        if (i != 4 && !isdigit((unsigned char)v[i]))
            return 0;
    int month = (v[5] - '0') * 10 + (v[6] - '0');
    return month >= 1 && month <= 12;
}

int spec_version_served(const spec_world *w, const char *asked, char *out, size_t n)
{
    if (!spec_version_valid(asked))
        return -1;
    const char *served = asked;
    if (strcmp(asked, "unstable") != 0) {
        served = w->n_versions ? w->versions[0] : asked;
        for (size_t i = 0; i < w->n_versions; i++)
            if (strcmp(w->versions[i], asked) == 0)
                served = asked;
    }
    snprintf(out, n, "%s", served);
    return 0;
}

static int version_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* "versions": {"supported": ["2026-01", ...]}. */
static int parse_versions(const cJSON *o, spec_world *out, json_err *e)
{
    static const char *const vkeys[] = {"supported", NULL};
    const cJSON *list = NULL;
    if (json_only_keys(o, "$.versions", vkeys, e) != 0 ||
        json_get_arr(o, "$.versions", "supported", JSON_REQUIRED, &list, e) != 0)
        return -1;
    size_t n = (size_t)cJSON_GetArraySize(list);
    if (n == 0 || n > SPEC_MAX_VERSIONS)
        return json_fail(e, "$.versions.supported", "expected 1 to %d versions, got %zu",
                         SPEC_MAX_VERSIONS, n);
    out->n_versions = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, list)
    {
        char p[PATH_MAX_LEN];
        json_path_index(p, sizeof p, "$.versions.supported", out->n_versions);
        if (!cJSON_IsString(it) || strcmp(it->valuestring, "unstable") == 0 ||
            !spec_version_valid(it->valuestring))
            return json_fail(e, p, "expected a version such as \"2026-10\"");
        snprintf(out->versions[out->n_versions++], sizeof out->versions[0], "%s", it->valuestring);
    }
    qsort(out->versions, out->n_versions, sizeof out->versions[0], version_cmp);
    return 0;
}

int spec_parse_config(const cJSON *cfg, spec_world *out, json_err *e)
{
    world_defaults(out);
    static const char *const keys[] = {"shops", "webhooks", "graphql", "rest", "orders",
                                       "idempotency", "versions", NULL};
    if (json_only_keys(cfg, "$", keys, e) != 0)
        return -1;
    const cJSON *shops = NULL;
    if (json_get_arr(cfg, "$", "shops", JSON_REQUIRED, &shops, e) != 0)
        return -1;
    size_t n = (size_t)cJSON_GetArraySize(shops);
    if (n == 0 || n > SPEC_MAX_SHOPS)
        return json_fail(e, "$.shops", "expected 1 to %d shops, got %zu", SPEC_MAX_SHOPS, n);
    out->shops = xcalloc(n, sizeof *out->shops);
    const cJSON *it;
    cJSON_ArrayForEach(it, shops)
    {
        char p[PATH_MAX_LEN];
        json_path_index(p, sizeof p, "$.shops", out->n_shops);
        spec_shop *s = &out->shops[out->n_shops++];
        if (parse_shop(it, p, 0, s, e) != 0)
            return -1;
        for (size_t i = 0; i + 1 < out->n_shops; i++)
            if (strcmp(out->shops[i].domain, s->domain) == 0)
                return fail_key(e, p, "domain", "shop \"%.60s\" is listed twice", s->domain);
    }
    const cJSON *o = NULL;
    if (json_get_obj(cfg, "$", "webhooks", 0, &o, e) != 0)
        return -1;
    if (o && parse_webhook_settings(o, "$.webhooks", &out->webhooks, e) != 0)
        return -1;
    o = NULL;
    if (json_get_obj(cfg, "$", "graphql", 0, &o, e) != 0)
        return -1;
    if (o) {
        static const char *const gkeys[] = {"throttled_status", NULL};
        int64_t st = out->gql_throttled_status;
        if (json_only_keys(o, "$.graphql", gkeys, e) != 0 ||
            json_get_int(o, "$.graphql", "throttled_status", 0, 200, 429, &st, e) != 0)
            return -1;
        if (st != 200 && st != 429)
            return json_fail(e, "$.graphql.throttled_status", "expected 200 or 429, got %lld",
                             (long long)st);
        out->gql_throttled_status = (int)st;
    }
    o = NULL;
    if (json_get_obj(cfg, "$", "rest", 0, &o, e) != 0)
        return -1;
    if (o) {
        static const char *const rkeys[] = {"retry_after", NULL};
        int64_t ms = (int64_t)(out->retry_after_s * 1000);
        if (json_only_keys(o, "$.rest", rkeys, e) != 0 ||
            json_get_duration(o, "$.rest", "retry_after", 0, &ms, e) != 0)
            return -1;
        if (ms > 3600000)
            return json_fail(e, "$.rest.retry_after", "at most 1h");
        out->retry_after_s = (double)ms / 1000.0;
    }
    o = NULL;
    if (json_get_obj(cfg, "$", "orders", 0, &o, e) != 0)
        return -1;
    if (o) {
        static const char *const okeys[] = {"first_number", NULL};
        if (json_only_keys(o, "$.orders", okeys, e) != 0 ||
            json_get_int(o, "$.orders", "first_number", 0, 1, 1000000000, &out->first_order_number,
                         e) != 0)
            return -1;
    }
    o = NULL;
    if (json_get_obj(cfg, "$", "idempotency", 0, &o, e) != 0)
        return -1;
    if (o) {
        static const char *const ikeys[] = {"keep", NULL};
        if (json_only_keys(o, "$.idempotency", ikeys, e) != 0 ||
            json_get_int(o, "$.idempotency", "keep", 0, 1, 10000000, &out->idempotency_keep, e) != 0)
            return -1;
    }
    o = NULL;
    if (json_get_obj(cfg, "$", "versions", 0, &o, e) != 0)
        return -1;
    if (o && parse_versions(o, out, e) != 0)
        return -1;
    return 0;
}

void spec_demo(spec_world *out)
{
    world_defaults(out);
    out->shops = xcalloc(1, sizeof *out->shops);
    out->n_shops = 1;
    spec_shop *s = &out->shops[0];
    s->domain = xstrdup("demo.myshopify.com");
    s->name = xstrdup("Demo Shop");
    s->plan = xstrdup("standard");
    spec_plan_limits("standard", &s->limits);
    s->secret = xstrdup("demo-secret");
    s->api_version = xstrdup("2026-10");
    s->currency = xstrdup("USD");
    s->tokens = xcalloc(1, sizeof *s->tokens);
    s->tokens[0] = xstrdup("shpat_demo");
    s->n_tokens = 1;
    s->pay_after_ms = 30000;
    s->locations = xcalloc(1, sizeof *s->locations);
    s->n_locations = 1;
    spec_location *l = &s->locations[0];
    l->name = xstrdup("Main Warehouse");
    l->address1 = xstrdup("1 Main Street");
    l->city = xstrdup("Springfield");
    l->province_code = xstrdup("IL");
    l->zip = xstrdup("62701");
    l->country_code = xstrdup("US");
    l->latitude = 39.7817;
    l->longitude = -89.6501;
    l->has_coords = 1;
    s->products = xcalloc(10, sizeof *s->products);
    s->n_products = 10;
    for (int i = 0; i < 10; i++) {
        spec_product *p = &s->products[i];
        p->title = xasprintf("Demo Product %d", i + 1);
        p->vendor = xstrdup("Demo Vendor");
        p->product_type = xstrdup("Demo");
        p->variants = xcalloc(1, sizeof *p->variants);
        p->n_variants = 1;
        spec_variant *v = &p->variants[0];
        v->sku = xasprintf("DEMO-%03d", i + 1);
        v->title = xstrdup("Default Title");
        v->price = xasprintf("%d.00", 10 + 5 * i);
        v->grams = 500;
        v->has_available = 1;
        v->available = 100;
    }
}

int spec_parse_seed(const cJSON *body, spec_seed *out, json_err *e)
{
    memset(out, 0, sizeof *out);
    static const char *const keys[] = {"shops", "levels", "webhooks", NULL};
    if (json_only_keys(body, "$", keys, e) != 0)
        return -1;
    const cJSON *arr = NULL;
    if (json_get_arr(body, "$", "shops", 0, &arr, e) != 0)
        return -1;
    if (arr) {
        size_t n = (size_t)cJSON_GetArraySize(arr);
        if (n > SPEC_MAX_SHOPS)
            return json_fail(e, "$.shops", "at most %d shops", SPEC_MAX_SHOPS);
        out->shops = xcalloc(n ? n : 1, sizeof *out->shops);
        out->shop_partial = xcalloc(n ? n : 1, sizeof *out->shop_partial);
        const cJSON *it;
        cJSON_ArrayForEach(it, arr)
        {
            char p[PATH_MAX_LEN];
            json_path_index(p, sizeof p, "$.shops", out->n_shops);
            /* Without app_secret it can only be an addition to a shop that exists. */
            int partial = cJSON_IsObject(it) && !cJSON_GetObjectItemCaseSensitive(it, "app_secret");
            out->shop_partial[out->n_shops] = partial;
            if (parse_shop(it, p, partial, &out->shops[out->n_shops++], e) != 0)
                return -1;
        }
    }
    arr = NULL;
    if (json_get_arr(body, "$", "levels", 0, &arr, e) != 0)
        return -1;
    if (arr) {
        size_t n = (size_t)cJSON_GetArraySize(arr);
        out->levels = xcalloc(n ? n : 1, sizeof *out->levels);
        const cJSON *it;
        cJSON_ArrayForEach(it, arr)
        {
            static const char *const lkeys[] = {"shop", "sku", "location", "available", NULL};
            char p[PATH_MAX_LEN];
            json_path_index(p, sizeof p, "$.levels", out->n_levels);
            spec_level *l = &out->levels[out->n_levels++];
            if (json_only_keys(it, p, lkeys, e) != 0 ||
                json_get_strdup(it, p, "shop", 0, NULL, &l->shop, e) != 0 ||
                json_get_strdup(it, p, "sku", JSON_REQUIRED, NULL, &l->sku, e) != 0 ||
                json_get_strdup(it, p, "location", 0, NULL, &l->location, e) != 0 ||
                json_get_int(it, p, "available", JSON_REQUIRED, -1000000000, 1000000000,
                             &l->available, e) != 0)
                return -1;
        }
    }
    arr = NULL;
    if (json_get_arr(body, "$", "webhooks", 0, &arr, e) != 0)
        return -1;
    if (arr) {
        size_t n = (size_t)cJSON_GetArraySize(arr);
        out->webhooks = xcalloc(n ? n : 1, sizeof *out->webhooks);
        out->webhook_shops = xcalloc(n ? n : 1, sizeof *out->webhook_shops);
        const cJSON *it;
        cJSON_ArrayForEach(it, arr)
        {
            char p[PATH_MAX_LEN];
            json_path_index(p, sizeof p, "$.webhooks", out->n_webhooks);
            size_t i = out->n_webhooks++;
            if (parse_webhook(it, p, &out->webhooks[i], e) != 0 ||
                json_get_strdup(it, p, "shop", 0, NULL, &out->webhook_shops[i], e) != 0)
                return -1;
        }
    }
    return 0;
}
