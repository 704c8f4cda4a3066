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
    char version[16];  /* the API version, YYYY-MM or "unstable" */
    gate *gql_gate;
    outbound gql;
};

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
    snprintf(s->version, sizeof s->version, "%s", cfg->api_version);
    /* Start from the smallest plan; the first answer tells the real size. */
    s->gql_gate = gate_leaky(2000, 100, clk);
    outbound base = {.system = "shopify", .m = m, .clk = clk, .pol = *pol,
                     .inline_attempts = 4, .inline_wait_cap = 10000, .timeout_ms = timeout_ms};
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
    gate_free(s->gql_gate);
    free(s->domain);
    free(s->base);
    free(s->graphql);
    free(s->hdr_token);
    free(s);
}

void shopify_stop(shopify *s)
{
    gate_stop(s->gql_gate);
}

gate *shopify_gate(shopify *s)
{
    return s->gql_gate;
}

const char *shopify_domain(const shopify *s)
{
    return s->domain;
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


/* The number at the end of a gid ("gid://shopify/InventoryItem/12" -> 12). */
static int64_t gid_num(const cJSON *v)
{
    const char *slash = cJSON_IsString(v) ? strrchr(v->valuestring, '/') : NULL;
    return slash ? strtoll(slash + 1, NULL, 10) : 0;
}

static const cJSON *get2(const cJSON *v, const char *a, const char *b)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(v, a), b);
}

/* Pages through a connection at root (query with $after), handing each
 * node to fn; cost is a page's requested cost. */
typedef void (*node_fn)(const cJSON *node, void *ud);

/* Hands each node of a page's data at root to fn. */
static void page_nodes(const cJSON *data, const char *root, node_fn fn, void *ud)
{
    const cJSON *n;
    cJSON_ArrayForEach(n, get2(data, root, "nodes"))
    {
        fn(n, ud);
    }
}

static void each_node(shopify *s, const char *query, const char *root, double cost, int prio,
                      node_fn fn, void *ud, outcome *o)
{
    char *after = NULL;
    memset(o, 0, sizeof *o);
    o->action = POLICY_DONE;
    for (int page = 0;; page++) {
        if (page)
            outbound_done(o);
        cJSON *body = shopify_gql_body(query);
        if (after)
            cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(body, "variables"), "after", after);
        free(after);
        after = NULL;
        cJSON *data = NULL;
        shopify_graphql(s, body, cost, prio, &data, o);
        if (!data)
            return;
        page_nodes(data, root, fn, ud);
        const cJSON *pi = get2(data, root, "pageInfo");
        const cJSON *end = cJSON_GetObjectItemCaseSensitive(pi, "endCursor");
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pi, "hasNextPage")) && cJSON_IsString(end))
            after = xstrdup(end->valuestring);
        cJSON_Delete(data);
        if (!after)
            return;
    }
}

typedef struct {
    shopify_variant *v;
    size_t n, cap;
} variants_acc;

static void add_variant(const cJSON *node, void *ud)
{
    variants_acc *a = ud;
    const cJSON *sku = cJSON_GetObjectItemCaseSensitive(node, "sku");
    if (!cJSON_IsString(sku) || !*sku->valuestring)
        return;
    XGROW(a->v, a->n, a->cap, 64);
    a->v[a->n++] = (shopify_variant){xstrdup(sku->valuestring),
                                     gid_num(cJSON_GetObjectItemCaseSensitive(node, "id")),
                                     gid_num(get2(node, "inventoryItem", "id"))};
}

void shopify_variants(shopify *s, shopify_variant **out, size_t *n, outcome *o)
{
    variants_acc a = {0};
    /* 250 variants a page: 2 + 250 x 2 = 502 points requested. */
    each_node(s,
              "query Variants($after: String) { productVariants(first: 250, after: $after) {"
              " nodes { id sku inventoryItem { id } } pageInfo { hasNextPage endCursor } } }",
              "productVariants", 502, PRIO_BULK, add_variant, &a, o);
    if (o->action != POLICY_DONE) {
        shopify_variants_free(a.v, a.n);
        a.v = NULL;
        a.n = 0;
    }
    *out = a.v;
    *n = a.n;
}

void shopify_read_variants(const cJSON *data, shopify_variant **v, size_t *n, size_t *cap)
{
    variants_acc a = {*v, *n, *cap};
    page_nodes(data, "productVariants", add_variant, &a);
    *v = a.v;
    *n = a.n;
    *cap = a.cap;
}

void shopify_variants_free(shopify_variant *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].sku);
    free(v);
}

typedef struct {
    int64_t *ids;
    size_t n;
} ids_acc;

static void add_location(const cJSON *node, void *ud)
{
    ids_acc *a = ud;
    a->ids = xrealloc(a->ids, (a->n + 1) * sizeof *a->ids);
    a->ids[a->n++] = gid_num(cJSON_GetObjectItemCaseSensitive(node, "id"));
}

void shopify_locations(shopify *s, int64_t **ids, size_t *n, outcome *o)
{
    ids_acc a = {0};
    each_node(s,
              "query Locations($after: String) { locations(first: 250, after: $after) {"
              " nodes { id } pageInfo { hasNextPage endCursor } } }",
              "locations", 252, PRIO_BULK, add_location, &a, o);
    if (o->action != POLICY_DONE) {
        free(a.ids);
        a.ids = NULL;
        a.n = 0;
    }
    *ids = a.ids;
    *n = a.n;
}

typedef struct {
    const int64_t *locs;
    size_t n_locs;
    shopify_level *out;
    size_t n, cap;
} levels_acc;

static void add_item_levels(const cJSON *item, void *ud)
{
    levels_acc *a = ud;
    int64_t id = gid_num(cJSON_GetObjectItemCaseSensitive(item, "id"));
    const cJSON *lv;
    cJSON_ArrayForEach(lv, get2(item, "inventoryLevels", "nodes"))
    {
        int64_t loc = gid_num(get2(lv, "location", "id"));
        int wanted = a->n_locs == 0;
        for (size_t k = 0; k < a->n_locs && !wanted; k++)
            wanted = a->locs[k] == loc;
        const cJSON *q = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(lv, "quantities"), 0);
        int64_t qty;
        if (!wanted || !json_int53(cJSON_GetObjectItemCaseSensitive(q, "quantity"), &qty))
            continue; /* a level without a number syncd can hold is not read */
        XGROW(a->out, a->n, a->cap, 64);
        a->out[a->n++] = (shopify_level){id, loc, qty};
    }
}

void shopify_levels(shopify *s, const int64_t *items, size_t n_items, const int64_t *locs,
                    size_t n_locs, int prio, shopify_level **out, size_t *n, outcome *o)
{
    levels_acc a = {.locs = locs, .n_locs = n_locs};
    memset(o, 0, sizeof *o);
    o->action = POLICY_DONE;
    /* inventoryItems by id ("id:1 OR id:2 ..."), each item's levels with
     * their available quantity. A batch's requested cost is 2 + items x
     * (4 + 3 x levels a page): the batch is sized to stay under 900 of the
     * 1000 points a query may ask for. */
    size_t per_level = n_locs ? n_locs : 10;
    if (per_level > 50)
        per_level = 50;
    size_t batch = 898 / (4 + 3 * per_level);
    if (batch > 50)
        batch = 50;
    if (batch < 1)
        batch = 1;
    for (size_t from = 0; from < n_items; from += batch) {
        size_t m = n_items - from < batch ? n_items - from : batch;
        sbuf q = SBUF_INIT;
        sbuf_printf(&q,
                    "query Levels($after: String) { inventoryItems(first: %zu, after: $after, query: \"",
                    m);
        for (size_t i = 0; i < m; i++)
            sbuf_printf(&q, "%sid:%lld", i ? " OR " : "", (long long)items[from + i]);
        sbuf_printf(&q,
                    "\") { nodes { id inventoryLevels(first: %zu) { nodes { location { id }"
                    " quantities(names: [\"available\"]) { quantity } } } }"
                    " pageInfo { hasNextPage endCursor } } }",
                    per_level);
        if (from)
            outbound_done(o);
        each_node(s, sbuf_str(&q), "inventoryItems", 2 + (double)m * (4 + 3 * (double)per_level),
                  prio, add_item_levels, &a, o);
        sbuf_free(&q);
        if (o->action != POLICY_DONE) {
            free(a.out);
            *out = NULL;
            *n = 0;
            return;
        }
    }
    *out = a.out;
    *n = a.n;
}

void shopify_read_levels(const cJSON *data, const int64_t *locs, size_t n_locs, shopify_level **out,
                         size_t *n, size_t *cap)
{
    levels_acc a = {locs, n_locs, *out, *n, *cap};
    page_nodes(data, "inventoryItems", add_item_levels, &a);
    *out = a.out;
    *n = a.n;
    *cap = a.cap;
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

int shopify_version_at_least(const shopify *s, const char *version)
{
    /* YYYY-MM compares as text; "unstable" sorts after every dated one. */
    return strcmp(s->version, version) >= 0;
}
