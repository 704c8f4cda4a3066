/* The Shopify Admin API client; see shopify.h. */
#include "shopify.h"

#include "json.h"
#include "log.h"
#include "mem.h"
#include "sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct shopify {
    char *domain;
    char *base;       /* .../admin/api/<version>/ */
    char *graphql;    /* .../admin/api/<version>/graphql.json */
    char *hdr_token;
    int new_semantics; /* 2026-04 and later: changeFromQuantity, @idempotent */
    gate *rest_gate, *gql_gate;
    outbound rest, gql;
};

/* Adopts the server's REST bucket figures: "used/size". */
static void observe_rest(void *ud, const httpc_resp *r)
{
    shopify *s = ud;
    char v[64];
    if (!httpc_header(r, "X-Shopify-Shop-Api-Call-Limit", v, sizeof v))
        return;
    double used, size;
    if (sscanf(v, "%lf/%lf", &used, &size) == 2 && size > 0) {
        /* Every plan leaks a twentieth of its bucket a second (40/2 ... 800/40). */
        gate_set_leak(s->rest_gate, size / 20);
        gate_observe(s->rest_gate, used, size);
    }
}

/* Adopts the GraphQL cost figures of extensions.cost.throttleStatus. */
static void observe_gql(void *ud, const httpc_resp *r)
{
    shopify *s = ud;
    json_err e;
    cJSON *v = json_parse(r->body, r->body_len, &e);
    if (!v)
        return;
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(v, "extensions"), "cost"),
        "throttleStatus");
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(ts, "maximumAvailable");
    const cJSON *cur = cJSON_GetObjectItemCaseSensitive(ts, "currentlyAvailable");
    const cJSON *rate = cJSON_GetObjectItemCaseSensitive(ts, "restoreRate");
    if (cJSON_IsNumber(rate))
        gate_set_leak(s->gql_gate, rate->valuedouble);
    if (cJSON_IsNumber(max) && cJSON_IsNumber(cur))
        gate_observe(s->gql_gate, max->valuedouble - cur->valuedouble, max->valuedouble);
    cJSON_Delete(v);
}

shopify *shopify_new(const cfg_shop *cfg, const policy *pol, metrics *m, const sclock *clk,
                     int64_t timeout_ms)
{
    shopify *s = xcalloc(1, sizeof *s);
    s->domain = xstrdup(cfg->domain);
    s->base = xasprintf("%s/admin/api/%s/", cfg->base_url, cfg->api_version);
    s->graphql = xasprintf("%sgraphql.json", s->base);
    s->hdr_token = xasprintf("X-Shopify-Access-Token: %s", cfg->access_token);
    /* Versions are YYYY-MM; "unstable" sorts after every dated one. */
    s->new_semantics = strcmp(cfg->api_version, "2026-04") >= 0;
    /* Start from the smallest plan; the first answer tells the real size. */
    s->rest_gate = gate_leaky(40, 2, clk);
    s->gql_gate = gate_leaky(2000, 100, clk);
    outbound base = {.system = "shopify", .m = m, .clk = clk, .pol = *pol,
                     .inline_attempts = 4, .inline_wait_cap = 10000, .timeout_ms = timeout_ms};
    s->rest = base;
    s->rest.gate = s->rest_gate;
    s->rest.observe = observe_rest;
    s->rest.observe_ud = s;
    s->gql = base;
    s->gql.gate = s->gql_gate;
    s->gql.observe = observe_gql;
    s->gql.observe_ud = s;
    return s;
}

void shopify_free(shopify *s)
{
    if (!s)
        return;
    gate_free(s->rest_gate);
    gate_free(s->gql_gate);
    free(s->domain);
    free(s->base);
    free(s->graphql);
    free(s->hdr_token);
    free(s);
}

void shopify_stop(shopify *s)
{
    gate_stop(s->rest_gate);
    gate_stop(s->gql_gate);
}

const char *shopify_domain(const shopify *s)
{
    return s->domain;
}

void shopify_rest_url(shopify *s, const char *url, int prio, outcome *o)
{
    const char *headers[] = {s->hdr_token, "Accept: application/json", NULL};
    httpc_req req = {.method = "GET", .url = url, .headers = headers, .idempotent = 1};
    outbound_call(&s->rest, &req, prio, 1, 1, o);
}

void shopify_rest(shopify *s, const char *method, const char *path, const char *body, int prio,
                  int idempotent, outcome *o)
{
    char *url = xasprintf("%s%s", s->base, path);
    const char *headers[] = {s->hdr_token, "Content-Type: application/json",
                             "Accept: application/json", NULL};
    httpc_req req = {.method = method, .url = url, .headers = headers, .body = body,
                     .body_len = body ? strlen(body) : 0, .idempotent = idempotent};
    outbound_call(&s->rest, &req, prio, idempotent, 1, o);
    free(url);
}

static cJSON *answer_json(outcome *o, const char *what)
{
    if (o->action != POLICY_DONE)
        return NULL;
    json_err e;
    cJSON *v = json_parse(o->resp.body, o->resp.body_len, &e);
    if (!v) {
        o->action = POLICY_RETRY;
        o->wait_ms = 1000;
        snprintf(o->error, sizeof o->error, "shopify %s: unreadable answer: %.250s", what, e.msg);
    }
    return v;
}

/* The rel="next" URL of a Link header, malloc'd, or NULL. */
static char *next_link(const httpc_resp *r)
{
    char link[2048];
    if (!httpc_header(r, "Link", link, sizeof link))
        return NULL;
    for (char *part = link; part && *part;) {
        char *end = strchr(part, ',');
        if (end)
            *end = '\0';
        if (strstr(part, "rel=\"next\"")) {
            char *lt = strchr(part, '<'), *gt = strchr(part, '>');
            if (lt && gt && gt > lt)
                return xstrndup(lt + 1, (size_t)(gt - lt - 1));
        }
        part = end ? end + 1 : NULL;
    }
    return NULL;
}

static int64_t num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

void shopify_variants(shopify *s, shopify_variant **out, size_t *n, outcome *o)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    char *url = xasprintf("%sproducts.json?limit=250", s->base);
    while (url) {
        shopify_rest_url(s, url, PRIO_BULK, o);
        free(url);
        url = NULL;
        cJSON *v = answer_json(o, "products");
        if (!v)
            return;
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(v, "products"))
        {
            const cJSON *var;
            cJSON_ArrayForEach(var, cJSON_GetObjectItemCaseSensitive(p, "variants"))
            {
                const cJSON *sku = cJSON_GetObjectItemCaseSensitive(var, "sku");
                if (!cJSON_IsString(sku) || !*sku->valuestring)
                    continue;
                XGROW(*out, *n, cap, 64);
                (*out)[(*n)++] = (shopify_variant){xstrdup(sku->valuestring), num(var, "id"),
                                                   num(var, "inventory_item_id")};
            }
        }
        cJSON_Delete(v);
        url = next_link(&o->resp);
        if (url)
            outbound_done(o);
    }
}

void shopify_variants_free(shopify_variant *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].sku);
    free(v);
}

void shopify_locations(shopify *s, int64_t **ids, size_t *n, outcome *o)
{
    *ids = NULL;
    *n = 0;
    shopify_rest(s, "GET", "locations.json", NULL, PRIO_BULK, 1, o);
    cJSON *v = answer_json(o, "locations");
    if (!v)
        return;
    const cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(v, "locations"))
    {
        *ids = xrealloc(*ids, (*n + 1) * sizeof **ids);
        (*ids)[(*n)++] = num(l, "id");
    }
    cJSON_Delete(v);
}

void shopify_levels(shopify *s, const int64_t *items, size_t n_items, const int64_t *locs,
                    size_t n_locs, int prio, shopify_level **out, size_t *n, outcome *o)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    memset(o, 0, sizeof *o);
    o->action = POLICY_DONE;
    for (size_t from = 0; from < n_items; from += 250) {
        sbuf path = SBUF_INIT;
        sbuf_puts(&path, "inventory_levels.json?limit=250&inventory_item_ids=");
        for (size_t i = from; i < n_items && i < from + 250; i++)
            sbuf_printf(&path, "%s%lld", i == from ? "" : ",", (long long)items[i]);
        if (n_locs) {
            sbuf_puts(&path, "&location_ids=");
            for (size_t i = 0; i < n_locs; i++)
                sbuf_printf(&path, "%s%lld", i ? "," : "", (long long)locs[i]);
        }
        if (from)
            outbound_done(o);
        shopify_rest(s, "GET", sbuf_str(&path), NULL, prio, 1, o);
        sbuf_free(&path);
        cJSON *v = answer_json(o, "inventory_levels");
        if (!v) {
            free(*out);
            *out = NULL;
            *n = 0;
            return;
        }
        const cJSON *l;
        cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(v, "inventory_levels"))
        {
            XGROW(*out, *n, cap, 64);
            (*out)[(*n)++] = (shopify_level){num(l, "inventory_item_id"), num(l, "location_id"),
                                             num(l, "available")};
        }
        cJSON_Delete(v);
    }
}

void shopify_graphql(shopify *s, cJSON *body, double cost, int prio, cJSON **data, outcome *o)
{
    *data = NULL;
    char *text = json_print(body);
    cJSON_Delete(body);
    const char *headers[] = {s->hdr_token, "Content-Type: application/json",
                             "Accept: application/json", NULL};
    httpc_req req = {.method = "POST", .url = s->graphql, .headers = headers, .body = text,
                     .body_len = strlen(text), .idempotent = 1};
    outbound_call(&s->gql, &req, prio, 1, cost, o);
    free(text);
    cJSON *v = answer_json(o, "graphql");
    if (!v)
        return;
    const cJSON *errors = cJSON_GetObjectItemCaseSensitive(v, "errors");
    if (cJSON_GetArraySize(errors) > 0) {
        const cJSON *e0 = cJSON_GetArrayItem(errors, 0);
        const cJSON *code =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(e0, "extensions"), "code");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e0, "message");
        if (cJSON_IsString(code) && strcmp(code->valuestring, "THROTTLED") == 0) {
            o->action = POLICY_RETRY;
            o->wait_ms = 1000;
        } else {
            o->action = POLICY_PERMANENT;
        }
        snprintf(o->error, sizeof o->error, "shopify graphql: %.200s",
                 cJSON_IsString(msg) ? msg->valuestring : "error");
        cJSON_Delete(v);
        return;
    }
    *data = cJSON_DetachItemFromObjectCaseSensitive(v, "data");
    cJSON_Delete(v);
    if (!*data || cJSON_IsNull(*data)) {
        cJSON_Delete(*data);
        *data = NULL;
        o->action = POLICY_RETRY;
        o->wait_ms = 1000;
        snprintf(o->error, sizeof o->error, "shopify graphql: an answer without data");
    }
}

cJSON *shopify_gql_body(const char *query)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "query", query);
    cJSON_AddObjectToObject(body, "variables");
    return body;
}

void shopify_set_levels(shopify *s, const shopify_set *sets, size_t n, const char *idem_key,
                        int prio, int *stale, outcome *o)
{
    *stale = 0;
    sbuf q = SBUF_INIT;
    sbuf_puts(&q, "mutation SetLevels($input: InventorySetQuantitiesInput!) { "
                  "inventorySetQuantities(input: $input)");
    if (s->new_semantics) {
        sbuf_puts(&q, " @idempotent(key: ");
        sbuf_json_str(&q, idem_key);
        sbuf_puts(&q, ")");
    }
    sbuf_puts(&q, " { inventoryAdjustmentGroup { id } userErrors { field message code } } }");
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "query", sbuf_str(&q));
    sbuf_free(&q);
    cJSON *input = cJSON_AddObjectToObject(cJSON_AddObjectToObject(body, "variables"), "input");
    cJSON_AddStringToObject(input, "name", "available");
    cJSON_AddStringToObject(input, "reason", "correction");
    cJSON_AddStringToObject(input, "referenceDocumentUri", "surge://syncd/inventory-sync");
    int any_unchecked = 0;
    cJSON *qs = cJSON_AddArrayToObject(input, "quantities");
    for (size_t i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject();
        char gid[96];
        snprintf(gid, sizeof gid, "gid://shopify/InventoryItem/%lld", (long long)sets[i].item);
        cJSON_AddStringToObject(e, "inventoryItemId", gid);
        snprintf(gid, sizeof gid, "gid://shopify/Location/%lld", (long long)sets[i].location);
        cJSON_AddStringToObject(e, "locationId", gid);
        cJSON_AddNumberToObject(e, "quantity", (double)sets[i].quantity);
        const char *cmp = s->new_semantics ? "changeFromQuantity" : "compareQuantity";
        if (sets[i].change_from >= 0)
            cJSON_AddNumberToObject(e, cmp, (double)sets[i].change_from);
        else if (s->new_semantics)
            cJSON_AddNullToObject(e, cmp); /* an explicit opt-out */
        else
            any_unchecked = 1;
        cJSON_AddItemToArray(qs, e);
    }
    if (any_unchecked)
        cJSON_AddBoolToObject(input, "ignoreCompareQuantity", 1);
    /* A mutation costs 10 points; the answer says what it really cost. */
    cJSON *v = NULL;
    shopify_graphql(s, body, 10, prio, &v, o);
    if (!v)
        return;
    const cJSON *ue = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(v, "inventorySetQuantities"), "userErrors");
    const cJSON *err;
    cJSON_ArrayForEach(err, ue)
    {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(err, "code");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(err, "message");
        if (cJSON_IsString(code) && (strcmp(code->valuestring, "CHANGE_FROM_QUANTITY_STALE") == 0 ||
                                     strcmp(code->valuestring, "COMPARE_QUANTITY_STALE") == 0)) {
            *stale = 1;
            continue;
        }
        o->action = POLICY_PERMANENT;
        snprintf(o->error, sizeof o->error, "shopify inventorySetQuantities: %.200s",
                 cJSON_IsString(msg) ? msg->valuestring : "user error");
    }
    cJSON_Delete(v);
}

void shopify_json(shopify *s, const char *method, const char *path, const char *body, int prio,
                  int idempotent, cJSON **out, outcome *o)
{
    shopify_rest(s, method, path, body, prio, idempotent, o);
    *out = answer_json(o, path);
}
