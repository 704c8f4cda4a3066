/* syncd configuration; see config.h. */
#include "config.h"

#include "mem.h"
#include "pgdb.h"
#include "sbuf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CONFIG_BYTES (4 * 1024 * 1024)

static const char demo_text[] =
    "{\n"
    "  \"port\": 8080,\n"
    "  \"store\": \"syncd.db\",\n"
    "  \"admin_token\": \"demo-admin\",\n"
    "  \"cin7\": {\n"
    "    \"base_url\": \"http://127.0.0.1:8082/ExternalApi/v2/\",\n"
    "    \"account_id\": \"demo\",\n"
    "    \"application_key\": \"demo-key\",\n"
    "    \"webhook_auth\": {\"type\": \"bearer\", \"secret\": \"demo-cin7-hook\"}\n"
    "  },\n"
    "  \"shops\": [\n"
    "    {\"domain\": \"demo.myshopify.com\", \"base_url\": \"http://127.0.0.1:8081\",\n"
    "     \"access_token\": \"shpat_demo\", \"api_secret\": \"demo-secret\"}\n"
    "  ],\n"
    "  \"locations\": [{\"name\": \"Main Warehouse\"}]\n"
    "}\n";

const char *config_demo_text(void)
{
    return demo_text;
}

/* ---- overrides ------------------------------------------------------------ */

/* Replaces every string "env:NAME" with $NAME. */
static int resolve_env(cJSON *v, const char *path, json_err *e)
{
    if (cJSON_IsString(v) && strncmp(v->valuestring, "env:", 4) == 0) {
        const char *val = getenv(v->valuestring + 4);
        if (!val)
            return json_fail(e, path, "environment variable %s is not set", v->valuestring + 4);
        cJSON_SetValuestring(v, val);
        return 0;
    }
    cJSON *it;
    size_t i = 0;
    cJSON_ArrayForEach(it, v)
    {
        char p[256];
        if (it->string)
            json_path_key(p, sizeof p, path, it->string);
        else
            json_path_index(p, sizeof p, path, i);
        if (resolve_env(it, p, e))
            return -1;
        i++;
    }
    return 0;
}

/* ---- reading -------------------------------------------------------------- */

/* A secret that arrives in a request header must be one a client can send
 * whole: printable, without the spaces MHD trims from a header's ends, and
 * within CONFIG_SECRET_MAX. Anything else could never match, and a secret
 * cut to fit a buffer would let its prefix in; so it is refused here. */
static int check_header_secret(const char *value, const char *path, json_err *e)
{
    size_t n = strlen(value);
    if (n == 0)
        return json_fail(e, path, "empty (leave the field out instead)");
    if (n > CONFIG_SECRET_MAX)
        return json_fail(e, path, "%zu characters; at most %d (it must fit in a request header)",
                         n, CONFIG_SECRET_MAX);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
            return json_fail(e, path, "control character at offset %zu (not sendable in a header)",
                             i);
    if (value[0] == ' ' || value[n - 1] == ' ')
        return json_fail(e, path, "starts or ends with a space (trimmed from headers)");
    return 0;
}

static int string_list(const cJSON *o, const char *path, const char *key, char ***out, size_t *n,
                       json_err *e)
{
    const cJSON *arr = NULL;
    if (json_get_arr(o, path, key, JSON_OPTIONAL, &arr, e))
        return -1;
    *out = NULL;
    *n = 0;
    if (!arr)
        return 0;
    char p[256];
    json_path_key(p, sizeof p, path, key);
    size_t count = (size_t)cJSON_GetArraySize(arr);
    *out = xcalloc(count ? count : 1, sizeof **out);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (!cJSON_IsString(it)) {
            char ip[300];
            json_path_index(ip, sizeof ip, p, *n);
            return json_fail(e, ip, "expected a string, got %s", json_type_name(it));
        }
        (*out)[(*n)++] = xstrdup(it->valuestring);
    }
    return 0;
}

/* $.cin7.pace: the floor and the step of the pace whose ceiling is
 * calls_per_minute (engine/core/pace.h). */
static int read_cin7_pace(const cJSON *cin7, syncd_config *c, json_err *e)
{
    static const char *const keys[] = {"min_calls_per_minute", "step_calls_per_minute", NULL};
    const char *p = "$.cin7.pace";
    const cJSON *o = NULL;
    int64_t lowest = (int64_t)PACE_FLOOR;
    double step = PACE_STEP;
    if (json_get_obj(cin7, "$.cin7", "pace", JSON_OPTIONAL, &o, e))
        return -1;
    if (o && (json_only_keys(o, p, keys, e) ||
              json_get_int(o, p, "min_calls_per_minute", JSON_OPTIONAL, 1, 100000, &lowest, e) ||
              json_get_num(o, p, "step_calls_per_minute", JSON_OPTIONAL, 0.01, 100000, &step, e)))
        return -1;
    if (lowest > c->cin7_calls_per_minute)
        return json_fail(e, "$.cin7.pace.min_calls_per_minute",
                         "%lld is above $.cin7.calls_per_minute (%d)", (long long)lowest,
                         c->cin7_calls_per_minute);
    c->cin7_pace = (pace_config){(double)c->cin7_calls_per_minute, (double)lowest, step, PACE_CUT,
                                 60000};
    return 0;
}

static int read_cin7(const cJSON *root, syncd_config *c, json_err *e)
{
    static const char *const keys[] = {"base_url",  "account_id",   "application_key",
                                       "calls_per_minute", "page_limit", "webhook_auth",
                                       "tax_rule",  "purchase_tax_rule", "pace", NULL};
    static const char *const auth_keys[] = {"type", "secret", "header", NULL};
    const cJSON *o = NULL;
    if (json_get_obj(root, "$", "cin7", JSON_REQUIRED, &o, e) ||
        json_only_keys(o, "$.cin7", keys, e))
        return -1;
    int64_t cpm = 55, limit = 1000;
    if (json_get_strdup(o, "$.cin7", "base_url", JSON_REQUIRED, NULL, &c->cin7_url, e) ||
        json_get_strdup(o, "$.cin7", "account_id", JSON_REQUIRED, NULL, &c->cin7_account, e) ||
        json_get_strdup(o, "$.cin7", "application_key", JSON_REQUIRED, NULL, &c->cin7_key, e) ||
        json_get_int(o, "$.cin7", "calls_per_minute", JSON_OPTIONAL, 1, 100000, &cpm, e) ||
        json_get_int(o, "$.cin7", "page_limit", JSON_OPTIONAL, 1, 1000, &limit, e) ||
        json_get_strdup(o, "$.cin7", "tax_rule", JSON_OPTIONAL, "Tax Exempt", &c->cin7_tax_rule, e) ||
        json_get_strdup(o, "$.cin7", "purchase_tax_rule", JSON_OPTIONAL, "Tax Exempt",
                        &c->cin7_purchase_tax_rule, e))
        return -1;
    c->cin7_calls_per_minute = (int)cpm;
    c->cin7_page_limit = (int)limit;
    if (read_cin7_pace(o, c, e))
        return -1;
    size_t n = strlen(c->cin7_url);
    if (n == 0 || c->cin7_url[n - 1] != '/') {
        char *fixed = xasprintf("%s/", c->cin7_url);
        free(c->cin7_url);
        c->cin7_url = fixed;
    }
    const cJSON *auth = NULL;
    if (json_get_obj(o, "$.cin7", "webhook_auth", JSON_OPTIONAL, &auth, e))
        return -1;
    c->cin7_hook_auth = xstrdup("noauth");
    if (auth) {
        free(c->cin7_hook_auth);
        c->cin7_hook_auth = NULL;
        if (json_only_keys(auth, "$.cin7.webhook_auth", auth_keys, e) ||
            json_get_strdup(auth, "$.cin7.webhook_auth", "type", JSON_REQUIRED, NULL,
                            &c->cin7_hook_auth, e) ||
            json_get_strdup(auth, "$.cin7.webhook_auth", "secret", JSON_OPTIONAL, NULL,
                            &c->cin7_hook_secret, e) ||
            json_get_strdup(auth, "$.cin7.webhook_auth", "header", JSON_OPTIONAL, NULL,
                            &c->cin7_hook_header, e))
            return -1;
        const char *t = c->cin7_hook_auth;
        if (strcmp(t, "noauth") && strcmp(t, "bearer") && strcmp(t, "basic") && strcmp(t, "header"))
            return json_fail(e, "$.cin7.webhook_auth.type",
                             "unknown type \"%s\" (known: noauth, bearer, basic, header)", t);
        if (strcmp(t, "noauth") != 0 && !c->cin7_hook_secret)
            return json_fail(e, "$.cin7.webhook_auth.secret", "required for type \"%s\"", t);
        if (c->cin7_hook_secret &&
            check_header_secret(c->cin7_hook_secret, "$.cin7.webhook_auth.secret", e))
            return -1;
        if (strcmp(t, "basic") == 0 && !strchr(c->cin7_hook_secret, ':'))
            return json_fail(e, "$.cin7.webhook_auth.secret", "basic auth takes \"user:password\"");
        if (strcmp(t, "header") == 0 && !c->cin7_hook_header)
            return json_fail(e, "$.cin7.webhook_auth.header", "required for type \"header\"");
    }
    return 0;
}

/* A shop's locations: which Cin7 locations each Shopify location shows. */
static int read_shop_locations(const cJSON *it, const char *p, cfg_shop *s, json_err *e)
{
    static const char *const loc_keys[] = {"shopify_location_id", "cin7_locations", NULL};
    const cJSON *locs = NULL;
    if (json_get_arr(it, p, "locations", JSON_OPTIONAL, &locs, e))
        return -1;
    if (!locs)
        return 0;
    char lp[160];
    json_path_key(lp, sizeof lp, p, "locations");
    s->locations = xcalloc((size_t)cJSON_GetArraySize(locs) + 1, sizeof *s->locations);
    const cJSON *l;
    cJSON_ArrayForEach(l, locs)
    {
        char ip[200];
        json_path_index(ip, sizeof ip, lp, s->n_locations);
        cfg_shop_location *sl = &s->locations[s->n_locations++];
        int64_t id = 0;
        if (json_only_keys(l, ip, loc_keys, e) ||
            json_get_int(l, ip, "shopify_location_id", JSON_OPTIONAL, 0, INT64_MAX / 2, &id, e) ||
            string_list(l, ip, "cin7_locations", &sl->cin7_locations, &sl->n_cin7, e))
            return -1;
        sl->shopify_location_id = id;
        if (sl->n_cin7 == 0) {
            char cp[240];
            json_path_key(cp, sizeof cp, ip, "cin7_locations");
            return json_fail(e, cp, "list at least one Cin7 location");
        }
    }
    return 0;
}

/* What a shop's fields must hold beyond their types: GraphQL writes, a
 * domain of DNS length, listed once. */
static int check_shop(const syncd_config *c, const cfg_shop *s, const char *p, const char *write,
                      json_err *e)
{
    char fp[160];
    /* REST inventory_levels/set.json (no compare-and-set, no idempotency)
     * was a legacy connector's baseline; no scenario uses it, so GraphQL
     * is the only way left. */
    if (strcmp(write, "graphql") != 0) {
        json_path_key(fp, sizeof fp, p, "inventory_write");
        return json_fail(e, fp, "expected \"graphql\" (REST writes are gone), got \"%s\"", write);
    }
    /* A DNS name is at most 253 characters; keys syncd builds of the
     * domain (watermarks, routing plans) rely on that bound. */
    json_path_key(fp, sizeof fp, p, "domain");
    if (strlen(s->domain) == 0 || strlen(s->domain) > 253)
        return json_fail(e, fp, "%zu characters; a domain has 1 to 253", strlen(s->domain));
    for (const cfg_shop *o = c->shops; o < s; o++)
        if (strcmp(o->domain, s->domain) == 0)
            return json_fail(e, fp, "shop \"%s\" is listed twice", s->domain);
    return 0;
}

static int read_shop(const cJSON *it, const char *p, syncd_config *c, cfg_shop *s, json_err *e)
{
    static const char *const keys[] = {"domain", "base_url", "access_token", "api_secret",
                                       "api_version", "inventory_write", "safety_buffer",
                                       "locations", "cin7_customer", "notify_customer", NULL};
    const char *write = "graphql";
    int64_t buffer = 0;
    s->notify_customer = 1;
    if (json_only_keys(it, p, keys, e) ||
        json_get_strdup(it, p, "domain", JSON_REQUIRED, NULL, &s->domain, e) ||
        json_get_strdup(it, p, "base_url", JSON_REQUIRED, NULL, &s->base_url, e) ||
        json_get_strdup(it, p, "access_token", JSON_REQUIRED, NULL, &s->access_token, e) ||
        json_get_strdup(it, p, "api_secret", JSON_REQUIRED, NULL, &s->api_secret, e) ||
        json_get_strdup(it, p, "api_version", JSON_OPTIONAL, "2026-10", &s->api_version, e) ||
        json_get_str(it, p, "inventory_write", JSON_OPTIONAL, &write, e) ||
        json_get_int(it, p, "safety_buffer", JSON_OPTIONAL, 0, 1000000, &buffer, e) ||
        json_get_bool(it, p, "notify_customer", JSON_OPTIONAL, &s->notify_customer, e) ||
        json_get_strdup(it, p, "cin7_customer", JSON_OPTIONAL, NULL, &s->cin7_customer, e))
        return -1;
    if (!s->cin7_customer)
        s->cin7_customer = xasprintf("Shopify %s", s->domain);
    size_t bl = strlen(s->base_url);
    while (bl && s->base_url[bl - 1] == '/')
        s->base_url[--bl] = '\0';
    s->safety_buffer = buffer;
    if (check_shop(c, s, p, write, e))
        return -1;
    return read_shop_locations(it, p, s, e);
}

static int read_shops(const cJSON *root, syncd_config *c, json_err *e)
{
    const cJSON *arr = NULL;
    if (json_get_arr(root, "$", "shops", JSON_REQUIRED, &arr, e))
        return -1;
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n == 0)
        return json_fail(e, "$.shops", "at least one shop is needed");
    c->shops = xcalloc(n, sizeof *c->shops);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        char p[128];
        json_path_index(p, sizeof p, "$.shops", c->n_shops);
        cfg_shop *s = &c->shops[c->n_shops++];
        if (read_shop(it, p, c, s, e))
            return -1;
    }
    return 0;
}

static int read_locations(const cJSON *root, syncd_config *c, json_err *e)
{
    static const char *const keys[] = {"name", "lat", "lon", "priority", "min_stock", NULL};
    const cJSON *arr = NULL;
    if (json_get_arr(root, "$", "locations", JSON_REQUIRED, &arr, e))
        return -1;
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n == 0)
        return json_fail(e, "$.locations", "at least one Cin7 location is needed");
    c->locations = xcalloc(n, sizeof *c->locations);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        char p[128];
        json_path_index(p, sizeof p, "$.locations", c->n_locations);
        cfg_location *l = &c->locations[c->n_locations++];
        double lat = 1000, lon = 1000;
        int64_t prio = (int64_t)c->n_locations, min_stock = 0;
        if (json_only_keys(it, p, keys, e) ||
            json_get_strdup(it, p, "name", JSON_REQUIRED, NULL, &l->name, e) ||
            json_get_num(it, p, "lat", JSON_OPTIONAL, -90, 90, &lat, e) ||
            json_get_num(it, p, "lon", JSON_OPTIONAL, -180, 180, &lon, e) ||
            json_get_int(it, p, "priority", JSON_OPTIONAL, -1000000, 1000000, &prio, e) ||
            json_get_int(it, p, "min_stock", JSON_OPTIONAL, 0, 1000000000, &min_stock, e))
            return -1;
        if ((lat == 1000) != (lon == 1000))
            return json_fail(e, p, "give both lat and lon, or neither");
        l->has_coords = lat != 1000;
        l->lat = l->has_coords ? lat : 0;
        l->lon = l->has_coords ? lon : 0;
        l->priority = (int)prio;
        l->min_stock = min_stock;
    }
    return 0;
}

static int location_known(const syncd_config *c, const char *name)
{
    for (size_t i = 0; i < c->n_locations; i++)
        if (strcmp(c->locations[i].name, name) == 0)
            return 1;
    return 0;
}

static int read_regions(const cJSON *root, syncd_config *c, json_err *e)
{
    static const char *const keys[] = {"country", "postcode_prefix", "locations", NULL};
    const cJSON *arr = NULL;
    if (json_get_arr(root, "$", "regions", JSON_OPTIONAL, &arr, e))
        return -1;
    if (!arr)
        return 0;
    c->regions = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof *c->regions);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        char p[128];
        json_path_index(p, sizeof p, "$.regions", c->n_regions);
        cfg_region *r = &c->regions[c->n_regions++];
        if (json_only_keys(it, p, keys, e) ||
            json_get_strdup(it, p, "country", JSON_REQUIRED, NULL, &r->country, e) ||
            json_get_strdup(it, p, "postcode_prefix", JSON_OPTIONAL, "", &r->postcode_prefix, e) ||
            string_list(it, p, "locations", &r->locations, &r->n_locations, e))
            return -1;
        for (size_t k = 0; k < r->n_locations; k++)
            if (!location_known(c, r->locations[k])) {
                char lp[200], ip[240];
                json_path_key(lp, sizeof lp, p, "locations");
                json_path_index(ip, sizeof ip, lp, k);
                return json_fail(e, ip, "\"%s\" is not in $.locations", r->locations[k]);
            }
    }
    return 0;
}

static int read_sku_map(const cJSON *root, syncd_config *c, json_err *e)
{
    static const char *const keys[] = {"identity", "pairs", NULL};
    const cJSON *o = NULL;
    c->map_identity = 1;
    if (json_get_obj(root, "$", "sku_map", JSON_OPTIONAL, &o, e))
        return -1;
    if (!o)
        return 0;
    const cJSON *pairs = NULL;
    if (json_only_keys(o, "$.sku_map", keys, e) ||
        json_get_bool(o, "$.sku_map", "identity", JSON_OPTIONAL, &c->map_identity, e) ||
        json_get_obj(o, "$.sku_map", "pairs", JSON_OPTIONAL, &pairs, e))
        return -1;
    if (!pairs)
        return 0;
    size_t n = (size_t)cJSON_GetArraySize(pairs);
    c->map_shopify = xcalloc(n + 1, sizeof *c->map_shopify);
    c->map_cin7 = xcalloc(n + 1, sizeof *c->map_cin7);
    const cJSON *it;
    cJSON_ArrayForEach(it, pairs)
    {
        if (!cJSON_IsString(it)) {
            char p[256];
            json_path_key(p, sizeof p, "$.sku_map.pairs", it->string);
            return json_fail(e, p, "expected a Cin7 SKU (a string), got %s", json_type_name(it));
        }
        c->map_shopify[c->n_map] = xstrdup(it->string);
        c->map_cin7[c->n_map] = xstrdup(it->valuestring);
        c->n_map++;
    }
    return 0;
}

static int read_reconcile(const cJSON *root, syncd_config *c, json_err *e)
{
    static const char *const keys[] = {"interval", "overlap", NULL};
    const cJSON *o = NULL;
    c->reconcile_interval_ms = 24 * 3600000LL;
    c->reconcile_overlap_ms = 10 * 60000LL;
    if (json_get_obj(root, "$", "reconcile", JSON_OPTIONAL, &o, e))
        return -1;
    if (!o)
        return 0;
    if (json_only_keys(o, "$.reconcile", keys, e) ||
        json_get_duration(o, "$.reconcile", "interval", JSON_OPTIONAL, &c->reconcile_interval_ms, e) ||
        json_get_duration(o, "$.reconcile", "overlap", JSON_OPTIONAL, &c->reconcile_overlap_ms, e))
        return -1;
    if (c->reconcile_interval_ms <= 0)
        return json_fail(e, "$.reconcile.interval", "must be more than 0");
    return 0;
}

static int read_replenishment(const cJSON *root, syncd_config *c, json_err *e)
{
    static const char *const keys[] = {"enabled", "interval", "cover_days", "target_days",
                                       "velocity_window", "pack", NULL};
    const char *p = "$.replenishment";
    const cJSON *o = NULL, *pack = NULL;
    c->replen_enabled = 1;
    c->replen_interval_ms = 3600000;
    c->replen_cover_days = 14;
    c->replen_target_days = 30;
    c->replen_window_ms = 7 * 86400000LL;
    if (json_get_obj(root, "$", "replenishment", JSON_OPTIONAL, &o, e))
        return -1;
    if (!o)
        return 0;
    if (json_only_keys(o, p, keys, e) ||
        json_get_bool(o, p, "enabled", JSON_OPTIONAL, &c->replen_enabled, e) ||
        json_get_duration(o, p, "interval", JSON_OPTIONAL, &c->replen_interval_ms, e) ||
        json_get_num(o, p, "cover_days", JSON_OPTIONAL, 0, 3650, &c->replen_cover_days, e) ||
        json_get_num(o, p, "target_days", JSON_OPTIONAL, 0, 3650, &c->replen_target_days, e) ||
        json_get_duration(o, p, "velocity_window", JSON_OPTIONAL, &c->replen_window_ms, e) ||
        json_get_obj(o, p, "pack", JSON_OPTIONAL, &pack, e))
        return -1;
    if (c->replen_interval_ms <= 0)
        return json_fail(e, "$.replenishment.interval", "must be more than 0");
    if (c->replen_window_ms <= 0)
        return json_fail(e, "$.replenishment.velocity_window", "must be more than 0");
    if (c->replen_target_days < c->replen_cover_days)
        return json_fail(e, "$.replenishment.target_days", "is below cover_days");
    if (!pack)
        return 0;
    size_t n = (size_t)cJSON_GetArraySize(pack);
    c->pack_supplier = xcalloc(n + 1, sizeof *c->pack_supplier);
    c->pack_size = xcalloc(n + 1, sizeof *c->pack_size);
    const cJSON *it;
    cJSON_ArrayForEach(it, pack)
    {
        int64_t v = 1;
        if (json_get_int(pack, "$.replenishment.pack", it->string, JSON_REQUIRED, 1, 1000000, &v, e))
            return -1;
        c->pack_supplier[c->n_pack] = xstrdup(it->string);
        c->pack_size[c->n_pack++] = v;
    }
    return 0;
}

/* "PriceTier1" ... "PriceTier10". */
static int price_tier_ok(const char *t)
{
    if (strncmp(t, "PriceTier", 9) != 0)
        return 0;
    const char *d = t + 9;
    return (d[0] >= '1' && d[0] <= '9' && !d[1]) || strcmp(d, "10") == 0;
}

/* ownership.fields: {field: "cin7" | "shopify"}; a field left out is not
 * synced. */
static int read_owners(const cJSON *o, syncd_config *c, json_err *e)
{
    const cJSON *f = NULL, *it;
    if (json_get_obj(o, "$.ownership", "fields", JSON_OPTIONAL, &f, e))
        return -1;
    cJSON_ArrayForEach(it, f)
    {
        char p[200];
        json_path_key(p, sizeof p, "$.ownership.fields", it->string);
        int field = own_field_of(it->string);
        if (field < 0)
            return json_fail(e, p, "unknown field (price, compare_at_price, title, cost, barcode, "
                                   "weight, status)");
        int side = cJSON_IsString(it) ? own_side_of(it->valuestring) : -1;
        if (side < 0)
            return json_fail(e, p, "must be \"cin7\" or \"shopify\"");
        c->own_owner[field] = side;
        c->ownership = 1;
    }
    return 0;
}

static int read_ownership(const cJSON *root, syncd_config *c, json_err *e)
{
    static const char *const keys[] = {"fields", "poll_interval", "price_tier", "compare_at_tier",
                                       NULL};
    const cJSON *o = NULL;
    for (int f = 0; f < OWN_N_FIELDS; f++)
        c->own_owner[f] = -1;
    c->ownership = 0;
    c->own_poll_ms = 2 * 60000;
    if (json_get_obj(root, "$", "ownership", JSON_OPTIONAL, &o, e))
        return -1;
    if (o && (json_only_keys(o, "$.ownership", keys, e) || read_owners(o, c, e) ||
              json_get_duration(o, "$.ownership", "poll_interval", JSON_OPTIONAL, &c->own_poll_ms,
                                e)))
        return -1;
    if (!o) {
        c->own_price_tier = xstrdup("PriceTier1");
        c->own_compare_tier = xstrdup("PriceTier2");
    } else if (json_get_strdup(o, "$.ownership", "price_tier", JSON_OPTIONAL, "PriceTier1",
                               &c->own_price_tier, e) ||
               json_get_strdup(o, "$.ownership", "compare_at_tier", JSON_OPTIONAL, "PriceTier2",
                               &c->own_compare_tier, e)) {
        return -1;
    }
    if (c->own_poll_ms <= 0)
        return json_fail(e, "$.ownership.poll_interval", "must be more than 0");
    if (!price_tier_ok(c->own_price_tier))
        return json_fail(e, "$.ownership.price_tier", "must be PriceTier1 ... PriceTier10");
    if (!price_tier_ok(c->own_compare_tier))
        return json_fail(e, "$.ownership.compare_at_tier", "must be PriceTier1 ... PriceTier10");
    if (strcmp(c->own_price_tier, c->own_compare_tier) == 0)
        return json_fail(e, "$.ownership.compare_at_tier", "is the price's tier too");
    return 0;
}

static int read_intake(const cJSON *root, syncd_config *c, json_err *e)
{
    static const char *const keys[] = {"request_deadline_real_ms", "max_connections",
                                       "max_connections_per_ip", NULL};
    const char *p = "$.intake";
    const cJSON *o = NULL;
    int64_t deadline = 10000, conns = 256, per_ip = 0;
    if (json_get_obj(root, "$", "intake", JSON_OPTIONAL, &o, e))
        return -1;
    if (o && (json_only_keys(o, p, keys, e) ||
              json_get_int(o, p, "request_deadline_real_ms", JSON_OPTIONAL, 100, 600000, &deadline,
                           e) ||
              json_get_int(o, p, "max_connections", JSON_OPTIONAL, 1, 100000, &conns, e) ||
              json_get_int(o, p, "max_connections_per_ip", JSON_OPTIONAL, 0, 100000, &per_ip, e)))
        return -1;
    c->request_deadline_real_ms = deadline;
    c->max_connections = (unsigned)conns;
    c->max_connections_per_ip = (unsigned)per_ip;
    return 0;
}

/* The top level's plain settings (ports, paths, clock, timings), with
 * their defaults. */
static int read_settings(const cJSON *root, syncd_config *c, json_err *e)
{
    int64_t port = 8080, workers = 4, body_cap = 1024 * 1024, origin = -1, seed = -1;
    double scale = 1;
    c->poll_interval_ms = 15 * 60000;
    c->lease_ms = 60000;
    c->coalesce_ms = 2000;
    c->snapshot_max_age_ms = 60000;
    c->webhook_margin_ms = 10000;
    c->http_timeout_ms = 30000;
    c->shopify_http_timeout_ms = 5000;
    c->retention_ms = 30 * 86400000LL;
    c->register_webhooks = 1;
    if (json_get_int(root, "$", "port", JSON_OPTIONAL, 0, 65535, &port, e) ||
        json_get_strdup(root, "$", "bind", JSON_OPTIONAL, "127.0.0.1", &c->bind, e) ||
        json_get_strdup(root, "$", "public_url", JSON_OPTIONAL, NULL, &c->public_url, e) ||
        json_get_strdup(root, "$", "admin_token", JSON_OPTIONAL, NULL, &c->admin_token, e) ||
        json_get_strdup(root, "$", "store", JSON_OPTIONAL, "syncd.db", &c->store_path, e) ||
        json_get_int(root, "$", "workers", JSON_OPTIONAL, 1, 64, &workers, e) ||
        json_get_int(root, "$", "body_cap", JSON_OPTIONAL, 1024, 64 * 1024 * 1024, &body_cap, e) ||
        json_get_strdup(root, "$", "log_level", JSON_OPTIONAL, "info", &c->log_level, e) ||
        json_get_strdup(root, "$", "alert_url", JSON_OPTIONAL, NULL, &c->alert_url, e) ||
        json_get_num(root, "$", "time_scale", JSON_OPTIONAL, 1e-6, 1e6, &scale, e) ||
        json_get_int(root, "$", "clock_origin", JSON_OPTIONAL, -1, INT64_MAX / 2, &origin, e) ||
        json_get_int(root, "$", "seed", JSON_OPTIONAL, 0, INT64_MAX / 2, &seed, e) ||
        json_get_strdup(root, "$", "mode", JSON_OPTIONAL, "event", &c->mode, e) ||
        json_get_duration(root, "$", "poll_interval", JSON_OPTIONAL, &c->poll_interval_ms, e) ||
        json_get_duration(root, "$", "lease", JSON_OPTIONAL, &c->lease_ms, e) ||
        json_get_duration(root, "$", "coalesce_window", JSON_OPTIONAL, &c->coalesce_ms, e) ||
        json_get_duration(root, "$", "snapshot_max_age", JSON_OPTIONAL, &c->snapshot_max_age_ms,
                          e) ||
        json_get_duration(root, "$", "webhook_margin", JSON_OPTIONAL, &c->webhook_margin_ms, e) ||
        json_get_bool(root, "$", "register_webhooks", JSON_OPTIONAL, &c->register_webhooks, e) ||
        json_get_duration(root, "$", "http_timeout", JSON_OPTIONAL, &c->http_timeout_ms, e) ||
        json_get_duration(root, "$", "shopify_http_timeout", JSON_OPTIONAL,
                          &c->shopify_http_timeout_ms, e) ||
        json_get_duration(root, "$", "retention", JSON_OPTIONAL, &c->retention_ms, e))
        return -1;
    if (c->retention_ms < 0)
        return json_fail(e, "$.retention", "must not be negative (0 keeps everything)");
    c->port = (int)port;
    c->workers = (unsigned)workers;
    c->body_cap = body_cap;
    c->time_scale = scale;
    c->clock_origin = origin;
    c->seed = seed;
    return 0;
}

static int read_retry(const cJSON *root, syncd_config *c, json_err *e)
{
    static const char *const retry_keys[] = {"max_attempts", "base", "cap", NULL};
    int64_t attempts = 20;
    c->retry_base_ms = 1000;
    c->retry_cap_ms = 5 * 60000;
    const cJSON *retry = NULL;
    if (json_get_obj(root, "$", "retry", JSON_OPTIONAL, &retry, e))
        return -1;
    if (retry && (json_only_keys(retry, "$.retry", retry_keys, e) ||
                  json_get_int(retry, "$.retry", "max_attempts", JSON_OPTIONAL, 1, 1000, &attempts,
                               e) ||
                  json_get_duration(retry, "$.retry", "base", JSON_OPTIONAL, &c->retry_base_ms, e) ||
                  json_get_duration(retry, "$.retry", "cap", JSON_OPTIONAL, &c->retry_cap_ms, e)))
        return -1;
    c->max_attempts = (int)attempts;
    return 0;
}

/* What the settings must hold beyond their types. */
static int check_settings(const syncd_config *c, json_err *e)
{
    if (c->admin_token && check_header_secret(c->admin_token, "$.admin_token", e))
        return -1;
    if (strcmp(c->mode, "event") != 0 && strcmp(c->mode, "poll") != 0)
        return json_fail(e, "$.mode", "expected \"event\" or \"poll\", got \"%s\"", c->mode);
    if (c->poll_interval_ms <= 0)
        return json_fail(e, "$.poll_interval", "must be more than 0");
    if (c->lease_ms <= 0)
        return json_fail(e, "$.lease", "must be more than 0");
    if (strcmp(c->log_level, "debug") && strcmp(c->log_level, "info") &&
        strcmp(c->log_level, "warn") && strcmp(c->log_level, "error"))
        return json_fail(e, "$.log_level", "expected debug, info, warn or error, got \"%s\"",
                         c->log_level);
    return 0;
}

/* Every Cin7 location a shop's location shows is one syncd knows. */
static int check_shop_locations(const syncd_config *c, json_err *e)
{
    for (size_t s = 0; s < c->n_shops; s++)
        for (size_t l = 0; l < c->shops[s].n_locations; l++)
            for (size_t k = 0; k < c->shops[s].locations[l].n_cin7; k++)
                if (!location_known(c, c->shops[s].locations[l].cin7_locations[k])) {
                    char p[200];
                    snprintf(p, sizeof p, "$.shops[%zu].locations[%zu].cin7_locations[%zu]", s, l, k);
                    return json_fail(e, p, "\"%s\" is not in $.locations",
                                     c->shops[s].locations[l].cin7_locations[k]);
                }
    return 0;
}

/* Who this process is among the instances sharing a store (the holder
 * of its claims), and how long a claim of its lasts unless renewed. The
 * default name, "<hostname>:<pid>", differs between any two processes
 * alive at once. */
static int read_instance(const cJSON *root, syncd_config *c, json_err *e)
{
    c->claim_ttl_ms = 30000;
    if (json_get_strdup(root, "$", "instance", JSON_OPTIONAL, NULL, &c->instance, e) ||
        json_get_duration(root, "$", "claim_ttl", JSON_OPTIONAL, &c->claim_ttl_ms, e))
        return -1;
    if (c->claim_ttl_ms <= 0)
        return json_fail(e, "$.claim_ttl", "must be more than 0");
    if (!c->instance) {
        char host[256] = "";
        if (gethostname(host, sizeof host - 1) != 0 || !host[0])
            snprintf(host, sizeof host, "localhost");
        c->instance = xasprintf("%s:%ld", host, (long)getpid());
        return 0;
    }
    size_t n = strlen(c->instance);
    if (n == 0 || n > 200)
        return json_fail(e, "$.instance", "expected 1 to 200 characters, got %zu", n);
    for (const unsigned char *p = (const unsigned char *)c->instance; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return json_fail(e, "$.instance", "control character at offset %ld",
                             (long)(p - (const unsigned char *)c->instance));
    return 0;
}

static int read_root(const cJSON *root, syncd_config *c, json_err *e)
{
    static const char *const keys[] = {
        "port", "bind", "public_url", "admin_token", "store", "workers", "body_cap", "log_level",
        "alert_url", "time_scale", "clock_origin", "seed", "mode", "poll_interval", "lease",
        "coalesce_window", "snapshot_max_age", "webhook_margin", "register_webhooks", "retry",
        "http_timeout", "shopify_http_timeout", "cin7", "shops", "locations", "regions", "sku_map", "reconcile",
        "replenishment", "fulfillments", "move_backorders", "low_stock_split",
        "kit_low_stock_split", "intake", "instance", "claim_ttl", "ownership", "retention", NULL};
    if (json_only_keys(root, "$", keys, e) || read_settings(root, c, e) ||
        read_retry(root, c, e) || check_settings(c, e) || read_instance(root, c, e))
        return -1;
    if (read_intake(root, c, e) || read_cin7(root, c, e) || read_shops(root, c, e) ||
        read_locations(root, c, e) ||
        read_regions(root, c, e) || read_sku_map(root, c, e) || read_reconcile(root, c, e) ||
        read_replenishment(root, c, e) || read_ownership(root, c, e))
        return -1;
    c->fulfillments = 1;
    c->move_backorders = 1;
    c->low_stock_split = -1;
    c->kit_low_stock_split = 10;
    if (json_get_bool(root, "$", "fulfillments", JSON_OPTIONAL, &c->fulfillments, e) ||
        json_get_bool(root, "$", "move_backorders", JSON_OPTIONAL, &c->move_backorders, e) ||
        json_get_int(root, "$", "low_stock_split", JSON_OPTIONAL, -1, 1000000, &c->low_stock_split,
                     e) ||
        json_get_int(root, "$", "kit_low_stock_split", JSON_OPTIONAL, -1, 1000000,
                     &c->kit_low_stock_split, e))
        return -1;
    return check_shop_locations(c, e);
}

/* Applies overrides and env: references to a parsed tree, then reads it. */
static int load_tree(cJSON *root, const char *name, const char *const *overrides,
                     size_t n_overrides, syncd_config *out, json_err *e)
{
    int rc = -1;
    json_err pe; /* the error as found, before it is prefixed into e */
    for (size_t i = 0; i < n_overrides; i++)
        if (json_set_path(root, overrides[i], &pe)) {
            snprintf(e->msg, sizeof e->msg, "--set %.500s", pe.msg);
            goto out;
        }
    if (resolve_env(root, "$", &pe) || read_root(root, out, &pe)) {
        if (name)
            snprintf(e->msg, sizeof e->msg, "%.200s: %.300s", name, pe.msg);
        else
            *e = pe;
        goto out;
    }
    rc = 0;
out:
    cJSON_Delete(root);
    if (rc)
        config_free(out);
    return rc;
}

int config_load_text(const char *text, size_t len, const char *name,
                     const char *const *overrides, size_t n_overrides, syncd_config *out,
                     json_err *e)
{
    memset(out, 0, sizeof *out);
    json_err pe;
    cJSON *root = json_parse(text, len, &pe);
    if (!root) {
        snprintf(e->msg, sizeof e->msg, "%.200s: %.300s", name ? name : "config", pe.msg);
        return -1;
    }
    return load_tree(root, name, overrides, n_overrides, out, e);
}

int config_load(const char *path, const char *const *overrides, size_t n_overrides,
                syncd_config *out, json_err *e)
{
    memset(out, 0, sizeof *out);
    if (!path)
        return config_load_text(demo_text, strlen(demo_text), NULL, overrides, n_overrides, out,
                                e);
    cJSON *root = json_load_file(path, MAX_CONFIG_BYTES, e);
    if (!root)
        return -1;
    return load_tree(root, path, overrides, n_overrides, out, e);
}

static void free_list(char **l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(l[i]);
    free(l);
}

void config_free(syncd_config *c)
{
    free(c->bind);
    free(c->public_url);
    free(c->instance);
    free(c->admin_token);
    free(c->store_path);
    free(c->log_level);
    free(c->alert_url);
    free(c->mode);
    free(c->cin7_url);
    free(c->cin7_account);
    free(c->cin7_key);
    free(c->cin7_hook_auth);
    free(c->cin7_hook_secret);
    free(c->cin7_hook_header);
    free(c->cin7_tax_rule);
    free(c->cin7_purchase_tax_rule);
    for (size_t i = 0; i < c->n_shops; i++) {
        cfg_shop *s = &c->shops[i];
        free(s->domain);
        free(s->cin7_customer);
        free(s->base_url);
        free(s->access_token);
        free(s->api_secret);
        free(s->api_version);
        for (size_t l = 0; l < s->n_locations; l++)
            free_list(s->locations[l].cin7_locations, s->locations[l].n_cin7);
        free(s->locations);
    }
    free(c->shops);
    for (size_t i = 0; i < c->n_locations; i++)
        free(c->locations[i].name);
    free(c->locations);
    for (size_t i = 0; i < c->n_regions; i++) {
        free(c->regions[i].country);
        free(c->regions[i].postcode_prefix);
        free_list(c->regions[i].locations, c->regions[i].n_locations);
    }
    free(c->regions);
    free_list(c->map_shopify, c->n_map);
    free_list(c->map_cin7, c->n_map);
    free_list(c->pack_supplier, c->n_pack);
    free(c->pack_size);
    free(c->own_price_tier);
    free(c->own_compare_tier);
    memset(c, 0, sizeof *c);
}

static void add_secret(cJSON *o, const char *key, const char *value)
{
    if (value)
        cJSON_AddStringToObject(o, key, "***");
    else
        cJSON_AddNullToObject(o, key);
}

cJSON *config_to_json(const syncd_config *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "port", c->port);
    cJSON_AddStringToObject(o, "bind", c->bind);
    cJSON_AddStringToObject(o, "public_url", c->public_url);
    cJSON_AddStringToObject(o, "instance", c->instance);
    cJSON_AddNumberToObject(o, "claim_ttl", (double)c->claim_ttl_ms);
    add_secret(o, "admin_token", c->admin_token);
    char *where = pgdb_shown(c->store_path); /* no password */
    cJSON_AddStringToObject(o, "store", where);
    free(where);
    cJSON_AddNumberToObject(o, "workers", c->workers);
    cJSON_AddStringToObject(o, "mode", c->mode);
    cJSON_AddNumberToObject(o, "poll_interval", (double)c->poll_interval_ms);
    cJSON_AddNumberToObject(o, "coalesce_window", (double)c->coalesce_ms);
    cJSON_AddNumberToObject(o, "retention", (double)c->retention_ms);
    cJSON_AddNumberToObject(o, "time_scale", c->time_scale);
    cJSON_AddNumberToObject(o, "seed", (double)c->seed);
    cJSON_AddBoolToObject(o, "fulfillments", c->fulfillments);
    cJSON_AddBoolToObject(o, "move_backorders", c->move_backorders);
    cJSON_AddNumberToObject(o, "low_stock_split", (double)c->low_stock_split);
    cJSON_AddNumberToObject(o, "kit_low_stock_split", (double)c->kit_low_stock_split);
    cJSON *in = cJSON_AddObjectToObject(o, "intake");
    cJSON_AddNumberToObject(in, "request_deadline_real_ms", (double)c->request_deadline_real_ms);
    cJSON_AddNumberToObject(in, "max_connections", c->max_connections);
    cJSON_AddNumberToObject(in, "max_connections_per_ip", c->max_connections_per_ip);
    cJSON *cin7 = cJSON_AddObjectToObject(o, "cin7");
    cJSON_AddStringToObject(cin7, "base_url", c->cin7_url);
    cJSON_AddStringToObject(cin7, "account_id", c->cin7_account);
    add_secret(cin7, "application_key", c->cin7_key);
    cJSON_AddNumberToObject(cin7, "calls_per_minute", c->cin7_calls_per_minute);
    cJSON *pc = cJSON_AddObjectToObject(cin7, "pace");
    cJSON_AddNumberToObject(pc, "min_calls_per_minute", c->cin7_pace.floor);
    cJSON_AddNumberToObject(pc, "step_calls_per_minute", c->cin7_pace.step);
    cJSON_AddStringToObject(cin7, "webhook_auth", c->cin7_hook_auth);
    cJSON_AddStringToObject(cin7, "tax_rule", c->cin7_tax_rule);
    cJSON_AddStringToObject(cin7, "purchase_tax_rule", c->cin7_purchase_tax_rule);
    cJSON *shops = cJSON_AddArrayToObject(o, "shops");
    for (size_t i = 0; i < c->n_shops; i++) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "domain", c->shops[i].domain);
        cJSON_AddStringToObject(s, "base_url", c->shops[i].base_url);
        add_secret(s, "access_token", c->shops[i].access_token);
        add_secret(s, "api_secret", c->shops[i].api_secret);
        cJSON_AddStringToObject(s, "api_version", c->shops[i].api_version);
        cJSON_AddStringToObject(s, "cin7_customer", c->shops[i].cin7_customer);
        cJSON_AddStringToObject(s, "inventory_write", "graphql");
        cJSON_AddNumberToObject(s, "safety_buffer", (double)c->shops[i].safety_buffer);
        cJSON_AddBoolToObject(s, "notify_customer", c->shops[i].notify_customer);
        cJSON_AddItemToArray(shops, s);
    }
    cJSON *locs = cJSON_AddArrayToObject(o, "locations");
    for (size_t i = 0; i < c->n_locations; i++)
        cJSON_AddItemToArray(locs, cJSON_CreateString(c->locations[i].name));
    if (c->ownership) {
        cJSON *own = cJSON_AddObjectToObject(o, "ownership");
        cJSON *fields = cJSON_AddObjectToObject(own, "fields");
        for (int f = 0; f < OWN_N_FIELDS; f++)
            if (c->own_owner[f] >= 0)
                cJSON_AddStringToObject(fields, own_field_name((own_field)f),
                                        own_side_name((own_side)c->own_owner[f]));
        cJSON_AddNumberToObject(own, "poll_interval", (double)c->own_poll_ms);
        cJSON_AddStringToObject(own, "price_tier", c->own_price_tier);
        cJSON_AddStringToObject(own, "compare_at_tier", c->own_compare_tier);
    }
    return o;
}
