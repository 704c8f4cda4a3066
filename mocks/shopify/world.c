/* mock-shopify's state of the world; see world.h. One mutex guards it all;
 * a timer thread (sleeping on a condvar tied to that mutex) turns pending
 * orders into paid ones when their payment delay has passed. */
#include "world.h"

#include "mem.h"
#include "res.h"
#include "sbuf.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* First ids, in the ranges real Shopify ids live in (and below 2^53, so
 * JavaScript clients read them exactly). */
#define FIRST_SHOP_ID 60000000001LL
#define FIRST_LOCATION_ID 61000000001LL
#define FIRST_PRODUCT_ID 8000000000001LL
#define FIRST_VARIANT_ID 45000000000001LL
#define FIRST_ITEM_ID 47000000000001LL
#define FIRST_ORDER_ID 5800000000001LL
#define FIRST_LINE_ID 14000000000001LL
#define FIRST_FULFILLMENT_ID 5100000000001LL
#define FIRST_REFUND_ID 920000000001LL
#define FIRST_SUB_ID 1300000000001LL
#define FIRST_FORDER_ID 6900000000001LL
#define FIRST_FO_LINE_ID 15000000000001LL
#define FIRST_HOLD_ID 7100000000001LL
#define FIRST_BULK_ID 4400000000001LL

#define IDEM_BUCKETS 16384

struct idem_entry {
    char *key, *params, *result;
    idem_entry *chain;  /* next in the bucket */
    idem_entry *newer;  /* FIFO towards the newest */
};

typedef struct {
    int64_t due;
    size_t shop;
    int64_t order_id;
} payment;

struct world {
    pthread_mutex_t lock;
    pthread_cond_t cv;
    pthread_t timer;
    int timer_running, stopping;
    spec_world spec;
    world_env env;
    hooks *h;
    ws_shop *shops;
    size_t n_shops, cap_shops;
    int64_t next_shop, next_location, next_product, next_variant, next_item, next_order, next_line,
        next_fulfillment, next_refund, next_sub, next_forder, next_fo_line, next_hold, next_bulk;
    payment *payments; /* sorted by due */
    size_t n_payments, cap_payments;
};

/* ---- small helpers ------------------------------------------------------- */

int64_t world_now(const world *w)
{
    return clock_now_ms(w->env.clk);
}

const spec_world *world_settings(const world *w)
{
    return &w->spec;
}

const sclock *world_clock(const world *w)
{
    return w->env.clk;
}

void world_lock(world *w)
{
    pthread_mutex_lock(&w->lock);
}

void world_unlock(world *w)
{
    pthread_mutex_unlock(&w->lock);
}

static char *handle_of(const char *title)
{
    char *h = xstrdup(title);
    size_t k = 0;
    int dash = 0;
    for (const char *c = title; *c; c++) {
        char ch = *c;
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
            h[k++] = ch;
            dash = 0;
        } else if (ch >= 'A' && ch <= 'Z') {
            h[k++] = (char)(ch - 'A' + 'a');
            dash = 0;
        } else if (k && !dash) {
            h[k++] = '-';
            dash = 1;
        }
    }
    while (k && h[k - 1] == '-')
        k--;
    h[k] = '\0';
    return h;
}

static int64_t price_cents(const char *price)
{
    return (int64_t)llround(strtod(price, NULL) * 100.0);
}

/* ---- lookups ------------------------------------------------------------- */

ws_shop *world_shop_at(world *w, size_t i)
{
    return i < w->n_shops ? &w->shops[i] : NULL;
}

ws_shop *world_shop_by_domain(world *w, const char *domain)
{
    for (size_t i = 0; domain && i < w->n_shops; i++)
        if (strcasecmp(w->shops[i].domain, domain) == 0)
            return &w->shops[i];
    return NULL;
}

ws_shop *world_shop_for_host(world *w, const char *host)
{
    if (host) {
        size_t n = strcspn(host, ":");
        for (size_t i = 0; i < w->n_shops; i++)
            if (strlen(w->shops[i].domain) == n && strncasecmp(w->shops[i].domain, host, n) == 0)
                return &w->shops[i];
    }
    return w->n_shops ? &w->shops[0] : NULL;
}

int world_token_index(const ws_shop *s, const char *token)
{
    for (size_t i = 0; token && i < s->n_tokens; i++)
        if (strcmp(s->tokens[i], token) == 0)
            return (int)i;
    return -1;
}

/* The index of the first of n elements (each size bytes from base) whose
 * int64_t id, offset bytes into the element, is >= id. Ids are handed out
 * in increasing order as elements are appended, so every id column of the
 * world ascends. */
static size_t lower_bound(const void *base, size_t n, size_t size, size_t offset, int64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int64_t key;
        memcpy(&key, (const char *)base + mid * size + offset, sizeof key);
        if (key < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Variants are appended with growing ids, so both id columns are sorted. */
ws_variant *world_variant_by_id(ws_shop *s, int64_t id)
{
    size_t i = lower_bound(s->variants, s->n_variants, sizeof *s->variants,
                           offsetof(ws_variant, id), id);
    return i < s->n_variants && s->variants[i].id == id ? &s->variants[i] : NULL;
}

ws_variant *world_variant_by_item(ws_shop *s, int64_t id)
{
    size_t i = lower_bound(s->variants, s->n_variants, sizeof *s->variants,
                           offsetof(ws_variant, item_id), id);
    return i < s->n_variants && s->variants[i].item_id == id ? &s->variants[i] : NULL;
}

/* Searches the SKU index, which covers the first n_indexed variants: while
 * a catalog is merged, the new variants are not in it yet (the spec's SKUs
 * are unique among themselves, so only the old ones need looking up). */
ws_variant *world_variant_by_sku(ws_shop *s, const char *sku)
{
    size_t lo = 0, hi = s->n_indexed;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(s->variants[s->by_sku[mid]].sku, sku);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->n_indexed && strcmp(s->variants[s->by_sku[lo]].sku, sku) == 0)
        return &s->variants[s->by_sku[lo]];
    return NULL;
}

ws_product *world_product_by_id(ws_shop *s, int64_t id)
{
    size_t i = lower_bound(s->products, s->n_products, sizeof *s->products,
                           offsetof(ws_product, id), id);
    return i < s->n_products && s->products[i].id == id ? &s->products[i] : NULL;
}

int world_location_index(const ws_shop *s, int64_t id)
{
    for (size_t i = 0; i < s->n_locations; i++)
        if (s->locations[i].id == id)
            return (int)i;
    return -1;
}

ws_order *world_order_by_id(ws_shop *s, int64_t id)
{
    size_t i = lower_bound(s->orders, s->n_orders, sizeof *s->orders, offsetof(ws_order, id), id);
    return i < s->n_orders && s->orders[i].id == id ? &s->orders[i] : NULL;
}

ws_sub *world_sub_by_id(ws_shop *s, int64_t id)
{
    for (size_t i = 0; i < s->n_subs; i++)
        if (s->subs[i].id == id)
            return &s->subs[i];
    return NULL;
}

static int by_sku_cmp(const void *a, const void *b, void *ctx)
{
    const ws_shop *s = ctx;
    return strcmp(s->variants[*(const size_t *)a].sku, s->variants[*(const size_t *)b].sku);
}

static void reindex_skus(ws_shop *s)
{
    s->by_sku = xrealloc(s->by_sku, (s->n_variants ? s->n_variants : 1) * sizeof *s->by_sku);
    for (size_t i = 0; i < s->n_variants; i++)
        s->by_sku[i] = i;
    qsort_r(s->by_sku, s->n_variants, sizeof *s->by_sku, by_sku_cmp, s);
    s->n_indexed = s->n_variants;
}

/* ---- order arithmetic ---------------------------------------------------- */

int64_t world_line_current(const ws_line *l)
{
    return l->quantity - l->refunded;
}

int64_t world_line_fulfillable(const ws_line *l)
{
    int64_t f = world_line_current(l) - l->fulfilled;
    return f > 0 ? f : 0;
}

int64_t world_order_total_cents(const ws_order *o)
{
    int64_t t = 0;
    for (size_t i = 0; i < o->n_lines; i++)
        t += o->lines[i].price_cents * world_line_current(&o->lines[i]);
    return t;
}

const char *world_financial_name(ws_financial f)
{
    switch (f) {
    case FIN_PENDING: return "pending";
    case FIN_PAID: return "paid";
    case FIN_PARTIALLY_REFUNDED: return "partially_refunded";
    case FIN_REFUNDED: return "refunded";
    case FIN_VOIDED: return "voided";
    }
    return "pending";
}

const char *world_fulfillment_status(const ws_order *o)
{
    int64_t fulfilled = 0, open = 0;
    for (size_t i = 0; i < o->n_lines; i++) {
        fulfilled += o->lines[i].fulfilled;
        open += world_line_fulfillable(&o->lines[i]);
    }
    if (fulfilled == 0)
        return NULL;
    return open ? "partial" : "fulfilled";
}

/* ---- webhooks out ------------------------------------------------------------ */

static void new_event_id(world *w, char out[40])
{
    if (w->h) {
        hooks_event_id(w->h, out);
    } else {
        static const char zero[] = "00000000-0000-4000-8000-000000000000";
        memcpy(out, zero, sizeof zero);
    }
}

/* Queues body for one subscription. */
static void send_one(world *w, ws_shop *s, const ws_sub *sub, const char *event_id,
                     const char *body, int64_t resource_id)
{
    hooks_msg m = {
        .shop = s->domain,
        .secret = s->secret,
        .api_version = sub->api_version,
        .topic = sub->topic,
        .address = sub->address,
        .event_id = event_id,
        .sub_id = sub->id,
        .body = body,
        .body_len = strlen(body),
        .triggered_epoch_ms = clock_epoch_ms(w->env.clk, world_now(w)),
        .resource_id = resource_id,
    };
    hooks_send(w->h, &m);
}

/* Delivers payload to every subscription of s on topic; resource_id (the
 * order's id, 0 for none) is journaled so the harness can tell which order
 * an acknowledged delivery was about. Callers build the payload only when
 * has_sub says someone listens. */
static void emit(world *w, ws_shop *s, const char *topic, const char *event_id,
                 const cJSON *payload, int64_t resource_id)
{
    if (!w->h)
        return;
    char *body = json_print(payload);
    for (size_t i = 0; i < s->n_subs; i++)
        if (strcmp(s->subs[i].topic, topic) == 0)
            send_one(w, s, &s->subs[i], event_id, body, resource_id);
    free(body);
}

static int has_sub(const ws_shop *s, const char *topic)
{
    for (size_t i = 0; i < s->n_subs; i++)
        if (strcmp(s->subs[i].topic, topic) == 0)
            return 1;
    return 0;
}

static void emit_order(world *w, ws_shop *s, const char *topic, const char *event_id,
                       const ws_order *o)
{
    if (!has_sub(s, topic))
        return;
    cJSON *j = res_order(s, o);
    emit(w, s, topic, event_id, j, o->id);
    cJSON_Delete(j);
}

/* products/update: the REST product at the root (API-NOTES, Webhooks).
 * From 2024-07 the variants carry no grams, weight, weight_unit,
 * inventory_management, fulfillment_service or requires_shipping
 * (shopify.dev/changelog/product-variant-field-cleanup: "removed from the
 * Product Variant model, input types, and webhooks"), so a subscription
 * of an older version gets them and a newer one does not. */
static void emit_product(world *w, ws_shop *s, const ws_product *p)
{
    static const char *const TOPIC = "products/update";
    if (!w->h || !has_sub(s, TOPIC))
        return;
    static const char *const gone[] = {"grams", "weight", "weight_unit", "inventory_management",
                                       "fulfillment_service", "requires_shipping", NULL};
    cJSON *j = res_product(s, p);
    char *old_body = json_print(j);
    cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(j, "variants"))
        for (const char *const *k = gone; *k; k++)
            cJSON_DeleteItemFromObjectCaseSensitive(v, *k);
    char *new_body = json_print(j);
    cJSON_Delete(j);
    char ev[40];
    new_event_id(w, ev);
    for (size_t i = 0; i < s->n_subs; i++) {
        const ws_sub *sub = &s->subs[i];
        if (strcmp(sub->topic, TOPIC) != 0)
            continue;
        int modern = strcmp(sub->api_version, "2024-07") >= 0 ||
                     strcmp(sub->api_version, "unstable") == 0;
        send_one(w, s, sub, ev, modern ? new_body : old_body, 0);
    }
    free(old_body);
    free(new_body);
}

/* ---- journal helpers ---------------------------------------------------------- */

static void put_str(sbuf *b, const char *key, const char *v)
{
    sbuf_printf(b, "%s\"%s\":", b->len ? "," : "", key);
    if (v)
        sbuf_json_str(b, v);
    else
        sbuf_puts(b, "null");
}

static void put_int(sbuf *b, const char *key, int64_t v)
{
    sbuf_printf(b, "%s\"%s\":%lld", b->len ? "," : "", key, (long long)v);
}

static void journal_sbuf(world *w, const char *kind, sbuf *b)
{
    journal_addf(w->env.jr, kind, "%s", sbuf_str(b));
    sbuf_free(b);
}

/* ---- inventory --------------------------------------------------------------- */

static void journal_inventory(world *w, ws_shop *s, ws_variant *v, int loc, int64_t old,
                              const char *by, const char *key, int64_t order_id)
{
    sbuf b = SBUF_INIT;
    put_str(&b, "shop", s->domain);
    put_str(&b, "sku", v->sku);
    put_int(&b, "inventory_item_id", v->item_id);
    put_int(&b, "location_id", s->locations[loc].id);
    put_int(&b, "old", old);
    put_int(&b, "new", v->available[loc]);
    put_int(&b, "committed", v->committed[loc]);
    put_str(&b, "by", by);
    put_str(&b, "key", key);
    if (order_id)
        put_int(&b, "order_id", order_id);
    journal_sbuf(w, "inventory", &b);
}

static void emit_level(world *w, ws_shop *s, ws_variant *v, int loc)
{
    if (!has_sub(s, "inventory_levels/update"))
        return;
    cJSON *j = res_level(s, v, loc);
    char ev[40];
    new_event_id(w, ev);
    emit(w, s, "inventory_levels/update", ev, j, 0);
    cJSON_Delete(j);
}

/* Applies a change of available by delta at loc (committed by cdelta),
 * journals and delivers it. */
static void change_level(world *w, ws_shop *s, ws_variant *v, int loc, int64_t delta,
                         int64_t cdelta, const char *by, const char *key, int64_t order_id)
{
    int64_t old = v->available[loc];
    int64_t now = world_now(w);
    v->available[loc] += delta;
    v->committed[loc] += cdelta;
    v->level_updated_ms[loc] = now;
    /* A stock change is a change of the variant and of its product, as
     * Shopify marks them (docs/mock-shopify.md "Products"). */
    v->updated_ms = now;
    s->products[v->product].updated_ms = now;
    journal_inventory(w, s, v, loc, old, by, key, order_id);
    if (delta) {
        emit_level(w, s, v, loc);
        /* Shopify sends products/update for inventory changes too (shop
         * staff on community.shopify.com, docs/mock-shopify.md). */
        emit_product(w, s, &s->products[v->product]);
    }
}

void world_set_available(world *w, ws_shop *s, ws_variant *v, int loc, int64_t value,
                         const char *by, const char *key)
{
    change_level(w, s, v, loc, value - v->available[loc], 0, by, key, 0);
}

/* ---- catalog edits --------------------------------------------------------------- */

static const char *const STATUS_NAMES[] = {"ACTIVE", "DRAFT", "ARCHIVED", "UNLISTED"};
static const char *const STATUS_REST[] = {"active", "draft", "archived", "unlisted"};

const char *world_status_name(ws_status st)
{
    return STATUS_NAMES[st];
}

const char *world_status_rest(ws_status st)
{
    return STATUS_REST[st];
}

/* fields.name = {before, after}, both strings or null. */
static void note_change(cJSON *fields, const char *name, const char *before, const char *after)
{
    cJSON *o = cJSON_AddObjectToObject(fields, name);
    cJSON_AddItemToObject(o, "before", before ? cJSON_CreateString(before) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "after", after ? cJSON_CreateString(after) : cJSON_CreateNull());
}

/* Replaces *dst (NULL: none) with v ("" or NULL: none), noting a change. */
static void edit_text(cJSON *fields, const char *name, char **dst, const char *v)
{
    const char *after = v && *v ? v : NULL;
    if ((!*dst && !after) || (*dst && after && strcmp(*dst, after) == 0))
        return;
    note_change(fields, name, *dst, after);
    free(*dst);
    *dst = after ? xstrdup(after) : NULL;
}

static cJSON *weight_json(double value, const char *unit)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "value", value);
    cJSON_AddStringToObject(o, "unit", unit);
    return o;
}

/* Grams in a weight, for REST's grams. */
static int64_t weight_grams(double value, const char *unit)
{
    double g = strcmp(unit, "KILOGRAMS") == 0 ? value * 1000.0
               : strcmp(unit, "OUNCES") == 0  ? value * 28.349523125
               : strcmp(unit, "POUNDS") == 0  ? value * 453.59237
                                              : value;
    return (int64_t)llround(g);
}

static cJSON *edit_variant(ws_variant *v, const world_edit *e)
{
    cJSON *f = cJSON_CreateObject();
    if (e->has_price && strcmp(v->price, e->price) != 0) {
        note_change(f, "price", v->price, e->price);
        free(v->price);
        v->price = xstrdup(e->price);
    }
    if (e->has_compare_at)
        edit_text(f, "compareAtPrice", &v->compare_at, e->compare_at);
    if (e->has_barcode)
        edit_text(f, "barcode", &v->barcode, e->barcode);
    if (e->has_cost)
        edit_text(f, "cost", &v->cost, e->cost);
    if (e->has_weight && (v->weight != e->weight || strcmp(v->weight_unit, e->weight_unit) != 0)) {
        cJSON *o = cJSON_AddObjectToObject(f, "weight");
        cJSON_AddItemToObject(o, "before", weight_json(v->weight, v->weight_unit));
        cJSON_AddItemToObject(o, "after", weight_json(e->weight, e->weight_unit));
        v->weight = e->weight;
        v->weight_unit = e->weight_unit;
        v->grams = weight_grams(e->weight, e->weight_unit);
    }
    return f;
}

static cJSON *edit_product(ws_product *p, const world_edit *e)
{
    cJSON *f = cJSON_CreateObject();
    if (e->title && strcmp(p->title, e->title) != 0) {
        note_change(f, "title", p->title, e->title);
        free(p->title);
        p->title = xstrdup(e->title);
    }
    if (e->has_status && p->status != e->status) {
        note_change(f, "status", STATUS_NAMES[p->status], STATUS_NAMES[e->status]);
        p->status = e->status;
    }
    return f;
}

static void journal_edit(world *w, ws_shop *s, const ws_product *p, const ws_variant *v,
                         cJSON *fields, const char *by)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "shop", s->domain);
    cJSON_AddNumberToObject(j, "product_id", (double)p->id);
    if (v)
        cJSON_AddNumberToObject(j, "variant_id", (double)v->id);
    /* A product's own fields name its SKU when it has one variant. */
    const ws_variant *sv = v ? v : p->n_variants == 1 ? &s->variants[p->variants[0]] : NULL;
    if (sv)
        cJSON_AddStringToObject(j, "sku", sv->sku);
    else
        cJSON_AddNullToObject(j, "sku");
    cJSON_AddItemToObject(j, "fields", fields);
    if (by)
        cJSON_AddStringToObject(j, "by", by);
    else
        cJSON_AddNullToObject(j, "by");
    journal_add(w->env.jr, "product_updated", j);
}

static int edits_product(const world_edit *e)
{
    return e->title || e->has_status;
}

void world_product_edit(world *w, ws_shop *s, ws_product *p, const world_edit *pe,
                        ws_variant *const *vs, const world_edit *ves, size_t n, const char *by)
{
    int64_t now = world_now(w);
    if (pe && (edits_product(pe) || n == 0))
        journal_edit(w, s, p, NULL, edit_product(p, pe), by);
    for (size_t i = 0; i < n; i++) {
        journal_edit(w, s, p, vs[i], edit_variant(vs[i], &ves[i]), by);
        vs[i]->updated_ms = now;
    }
    p->updated_ms = now;
    emit_product(w, s, p);
}

/* ---- idempotency --------------------------------------------------------------- */

static size_t idem_hash(const char *key)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= UINT64_C(1099511628211);
    }
    return (size_t)(h % IDEM_BUCKETS);
}

int world_idem_get(ws_shop *s, const char *key, const char **params, const char **result)
{
    if (!s->idem_buckets)
        return 0;
    for (idem_entry *e = s->idem_buckets[idem_hash(key)]; e; e = e->chain)
        if (strcmp(e->key, key) == 0) {
            *params = e->params;
            *result = e->result;
            return 1;
        }
    return 0;
}

static void idem_entry_free(idem_entry *e)
{
    free(e->key);
    free(e->params);
    free(e->result);
    free(e);
}

void world_idem_put(world *w, ws_shop *s, const char *key, const char *params, const char *result)
{
    if (!s->idem_buckets)
        s->idem_buckets = xcalloc(IDEM_BUCKETS, sizeof *s->idem_buckets);
    idem_entry *e = xcalloc(1, sizeof *e);
    e->key = xstrdup(key);
    e->params = xstrdup(params);
    e->result = xstrdup(result);
    size_t b = idem_hash(key);
    e->chain = s->idem_buckets[b];
    s->idem_buckets[b] = e;
    if (s->idem_newest)
        s->idem_newest->newer = e;
    else
        s->idem_oldest = e;
    s->idem_newest = e;
    s->idem_count++;
    while (s->idem_count > (size_t)w->spec.idempotency_keep && s->idem_oldest) {
        idem_entry *old = s->idem_oldest;
        idem_entry **pp = &s->idem_buckets[idem_hash(old->key)];
        while (*pp && *pp != old)
            pp = &(*pp)->chain;
        if (*pp)
            *pp = old->chain;
        s->idem_oldest = old->newer;
        if (!s->idem_oldest)
            s->idem_newest = NULL;
        s->idem_count--;
        idem_entry_free(old);
    }
}

static void idem_clear(ws_shop *s)
{
    idem_entry *e = s->idem_oldest;
    while (e) {
        idem_entry *n = e->newer;
        idem_entry_free(e);
        e = n;
    }
    free(s->idem_buckets);
    s->idem_buckets = NULL;
    s->idem_oldest = s->idem_newest = NULL;
    s->idem_count = 0;
}

/* ---- subscriptions ---------------------------------------------------------------- */

static void journal_sub(world *w, const char *kind, const ws_shop *s, const ws_sub *sub,
                        const char *why)
{
    sbuf b = SBUF_INIT;
    put_str(&b, "shop", s->domain);
    put_int(&b, "id", sub->id);
    put_str(&b, "topic", sub->topic);
    put_str(&b, "address", sub->address);
    put_str(&b, "reason", why);
    journal_sbuf(w, kind, &b);
}

ws_sub *world_sub_add(world *w, ws_shop *s, const char *topic, const char *address,
                      const char *api_version, const char *why)
{
    XGROW(s->subs, s->n_subs, s->cap_subs, 8);
    ws_sub *sub = &s->subs[s->n_subs++];
    memset(sub, 0, sizeof *sub);
    sub->id = w->next_sub++;
    sub->topic = xstrdup(topic);
    sub->address = xstrdup(address);
    sub->api_version = xstrdup(api_version ? api_version : s->api_version);
    sub->created_ms = sub->updated_ms = world_now(w);
    journal_sub(w, "subscription_created", s, sub, why);
    return sub;
}

static void sub_free(ws_sub *sub)
{
    free(sub->topic);
    free(sub->address);
    free(sub->api_version);
}

void world_sub_remove(world *w, ws_shop *s, int64_t id, const char *why)
{
    for (size_t i = 0; i < s->n_subs; i++) {
        if (s->subs[i].id != id)
            continue;
        journal_sub(w, "subscription_removed", s, &s->subs[i], why);
        counters_add(w->env.ctr, "webhooks subscriptions removed", 1);
        sub_free(&s->subs[i]);
        memmove(&s->subs[i], &s->subs[i + 1], (s->n_subs - i - 1) * sizeof *s->subs);
        s->n_subs--;
        if (w->h)
            hooks_cancel(w->h, id);
        return;
    }
}

void world_sub_update(world *w, ws_shop *s, ws_sub *sub, const char *address)
{
    free(sub->address);
    sub->address = xstrdup(address);
    sub->updated_ms = world_now(w);
    sub->failures = 0;
    journal_sub(w, "subscription_updated", s, sub, "api");
}

int world_delivery_result(void *world_ptr, const hooks_report *r)
{
    world *w = world_ptr;
    int gone = 1;
    world_lock(w);
    for (size_t i = 0; i < w->n_shops; i++) {
        ws_shop *s = &w->shops[i];
        ws_sub *sub = world_sub_by_id(s, r->sub_id);
        if (!sub)
            continue;
        gone = 0;
        if (r->ok) {
            sub->failures = 0;
        } else {
            sub->failures++;
            /* Shopify drops an API-made subscription after 8 consecutive
             * failures; the delivery that got there keeps its last retry. */
            int limit = w->spec.webhooks.remove_after_failures;
            if (r->abandoned && limit > 0 && sub->failures >= limit) {
                world_sub_remove(w, s, sub->id, "failures");
                gone = 1;
            }
        }
        break;
    }
    world_unlock(w);
    return gone;
}

/* ---- building from specs ------------------------------------------------------------ */

static void add_location(world *w, ws_shop *s, const spec_location *sl)
{
    s->locations = xrealloc(s->locations, (s->n_locations + 1) * sizeof *s->locations);
    ws_location *l = &s->locations[s->n_locations];
    memset(l, 0, sizeof *l);
    l->id = w->next_location++;
    l->name = xstrdup(sl->name);
    l->address1 = xstrdup(sl->address1 ? sl->address1 : "");
    l->city = xstrdup(sl->city ? sl->city : "");
    l->province_code = xstrdup(sl->province_code ? sl->province_code : "");
    l->zip = xstrdup(sl->zip ? sl->zip : "");
    l->country_code = xstrdup(sl->country_code ? sl->country_code : "US");
    l->latitude = sl->latitude;
    l->longitude = sl->longitude;
    l->has_coords = sl->has_coords;
    l->created_ms = world_now(w);
    s->n_locations++;
    /* Every variant gets a level here, empty. */
    for (size_t i = 0; i < s->n_variants; i++) {
        ws_variant *v = &s->variants[i];
        v->available = xrealloc(v->available, s->n_locations * sizeof *v->available);
        v->committed = xrealloc(v->committed, s->n_locations * sizeof *v->committed);
        v->level_updated_ms =
            xrealloc(v->level_updated_ms, s->n_locations * sizeof *v->level_updated_ms);
        v->available[s->n_locations - 1] = 0;
        v->committed[s->n_locations - 1] = 0;
        v->level_updated_ms[s->n_locations - 1] = world_now(w);
    }
}

static int location_by_name(const ws_shop *s, const char *name)
{
    for (size_t i = 0; i < s->n_locations; i++)
        if (strcmp(s->locations[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Adds a product and its variants with their stock (journaled as seeds). */
static void add_product(world *w, ws_shop *s, const spec_product *sp)
{
    int64_t now = world_now(w);
    XGROW(s->products, s->n_products, s->cap_products, 8);
    size_t pi = s->n_products++;
    ws_product *p = &s->products[pi];
    memset(p, 0, sizeof *p);
    p->id = w->next_product++;
    p->title = xstrdup(sp->title);
    p->handle = handle_of(sp->title);
    p->vendor = xstrdup(sp->vendor ? sp->vendor : "");
    p->product_type = xstrdup(sp->product_type ? sp->product_type : "");
    p->created_ms = p->updated_ms = now;
    p->variants = xcalloc(sp->n_variants, sizeof *p->variants);
    for (size_t k = 0; k < sp->n_variants; k++) {
        const spec_variant *sv = &sp->variants[k];
        XGROW(s->variants, s->n_variants, s->cap_variants, 8);
        size_t vi = s->n_variants++;
        p = &s->products[pi];
        p->variants[p->n_variants++] = vi;
        ws_variant *v = &s->variants[vi];
        memset(v, 0, sizeof *v);
        v->id = w->next_variant++;
        v->item_id = w->next_item++;
        v->product_id = p->id;
        v->product = pi;
        v->position = k + 1;
        v->sku = xstrdup(sv->sku);
        v->title = xstrdup(sv->title ? sv->title : "Default Title");
        v->price = xstrdup(sv->price ? sv->price : "0.00");
        v->policy_continue = sv->policy_continue;
        v->grams = sv->grams;
        v->weight = (double)sv->grams / 1000.0;
        v->weight_unit = "KILOGRAMS";
        v->created_ms = v->updated_ms = now;
        size_t nl = s->n_locations ? s->n_locations : 1;
        v->available = xcalloc(nl, sizeof *v->available);
        v->committed = xcalloc(nl, sizeof *v->committed);
        v->level_updated_ms = xcalloc(nl, sizeof *v->level_updated_ms);
        for (size_t l = 0; l < s->n_locations; l++)
            v->level_updated_ms[l] = now;
    }
}

/* Stock of a spec variant onto the live one (by SKU), journaled as seeds. */
static void seed_stock(world *w, ws_shop *s, const spec_variant *sv)
{
    ws_variant *v = world_variant_by_sku(s, sv->sku);
    if (!v || !s->n_locations)
        return;
    if (sv->has_available && sv->n_stock == 0)
        world_set_available(w, s, v, 0, sv->available, "seed", NULL);
    for (size_t q = 0; q < sv->n_stock; q++) {
        int loc = location_by_name(s, sv->stock[q].location);
        if (loc >= 0)
            world_set_available(w, s, v, loc, sv->stock[q].available, "seed", NULL);
    }
}

/* Adds the catalog of sp to s: new SKUs become products; a SKU the shop
 * has gets its policy, price and stock updated. */
static void merge_catalog(world *w, ws_shop *s, const spec_shop *sp)
{
    size_t before = s->n_variants;
    for (size_t i = 0; i < sp->n_products; i++) {
        const spec_product *p = &sp->products[i];
        int fresh = 1;
        for (size_t k = 0; k < p->n_variants && fresh; k++)
            fresh = world_variant_by_sku(s, p->variants[k].sku) == NULL;
        if (fresh) {
            add_product(w, s, p);
            continue;
        }
        for (size_t k = 0; k < p->n_variants; k++) {
            ws_variant *v = world_variant_by_sku(s, p->variants[k].sku);
            if (v) {
                v->policy_continue = p->variants[k].policy_continue;
                free(v->price);
                v->price = xstrdup(p->variants[k].price);
            }
        }
    }
    if (s->n_variants != before)
        reindex_skus(s);
    for (size_t i = 0; i < sp->n_products; i++)
        for (size_t k = 0; k < sp->products[i].n_variants; k++)
            seed_stock(w, s, &sp->products[i].variants[k]);
}

static void add_shop(world *w, const spec_shop *sp)
{
    XGROW(w->shops, w->n_shops, w->cap_shops, 8);
    ws_shop *s = &w->shops[w->n_shops++];
    memset(s, 0, sizeof *s);
    s->domain = xstrdup(sp->domain);
    s->name = xstrdup(sp->name ? sp->name : sp->domain);
    s->plan = xstrdup(sp->plan ? sp->plan : "standard");
    s->secret = xstrdup(sp->secret);
    s->api_version = xstrdup(sp->api_version ? sp->api_version : "2026-10");
    s->currency = xstrdup(sp->currency ? sp->currency : "USD");
    s->tokens = xcalloc(sp->n_tokens ? sp->n_tokens : 1, sizeof *s->tokens);
    for (size_t i = 0; i < sp->n_tokens; i++)
        s->tokens[s->n_tokens++] = xstrdup(sp->tokens[i]);
    s->limits = sp->limits;
    s->utc_offset_min = sp->utc_offset_min;
    s->pay_pending = sp->pay_pending;
    s->pay_after_ms = sp->pay_after_ms;
    s->id = w->next_shop++;
    s->created_ms = world_now(w);
    s->next_number = w->spec.first_order_number;
    s->clk = w->env.clk;
    for (size_t i = 0; i < sp->n_locations; i++)
        add_location(w, s, &sp->locations[i]);
    merge_catalog(w, s, sp);
    for (size_t i = 0; i < sp->n_webhooks; i++)
        world_sub_add(w, s, sp->webhooks[i].topic, sp->webhooks[i].address, NULL, "config");
}

static void order_free(ws_order *o)
{
    free(o->email);
    free(o->cancel_reason);
    cJSON_Delete(o->shipping_address);
    for (size_t i = 0; i < o->n_lines; i++)
        free(o->lines[i].alloc);
    free(o->lines);
    for (size_t i = 0; i < o->n_fulfillments; i++) {
        free(o->fulfillments[i].tracking_number);
        free(o->fulfillments[i].tracking_company);
        free(o->fulfillments[i].tracking_url);
        free(o->fulfillments[i].qty);
    }
    free(o->fulfillments);
    for (size_t i = 0; i < o->n_refunds; i++) {
        free(o->refunds[i].qty);
        free(o->refunds[i].note);
    }
    free(o->refunds);
    for (size_t i = 0; i < o->n_forders; i++) {
        ws_forder *fo = &o->forders[i];
        free(fo->lines);
        for (size_t k = 0; k < fo->n_holds; k++) {
            free(fo->holds[k].reason);
            free(fo->holds[k].notes);
            free(fo->holds[k].handle);
        }
        free(fo->holds);
    }
    free(o->forders);
}

static void shop_free(ws_shop *s)
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
        ws_location *l = &s->locations[i];
        free(l->name);
        free(l->address1);
        free(l->city);
        free(l->province_code);
        free(l->zip);
        free(l->country_code);
    }
    free(s->locations);
    for (size_t i = 0; i < s->n_products; i++) {
        ws_product *p = &s->products[i];
        free(p->title);
        free(p->handle);
        free(p->vendor);
        free(p->product_type);
        free(p->variants);
    }
    free(s->products);
    for (size_t i = 0; i < s->n_variants; i++) {
        ws_variant *v = &s->variants[i];
        free(v->sku);
        free(v->title);
        free(v->price);
        free(v->compare_at);
        free(v->barcode);
        free(v->cost);
        free(v->available);
        free(v->committed);
        free(v->level_updated_ms);
    }
    free(s->variants);
    free(s->by_sku);
    for (size_t i = 0; i < s->n_orders; i++)
        order_free(&s->orders[i]);
    free(s->orders);
    for (size_t i = 0; i < s->n_subs; i++)
        sub_free(&s->subs[i]);
    free(s->subs);
    for (size_t i = 0; i < s->n_bulks; i++) {
        free(s->bulks[i].query);
        free(s->bulks[i].jsonl);
        free(s->bulks[i].error_code);
    }
    free(s->bulks);
    idem_clear(s);
}

static void clear_shops(world *w)
{
    for (size_t i = 0; i < w->n_shops; i++)
        shop_free(&w->shops[i]);
    free(w->shops);
    w->shops = NULL;
    w->n_shops = w->cap_shops = 0;
    w->n_payments = 0;
}

static void build(world *w)
{
    w->next_shop = FIRST_SHOP_ID;
    w->next_location = FIRST_LOCATION_ID;
    w->next_product = FIRST_PRODUCT_ID;
    w->next_variant = FIRST_VARIANT_ID;
    w->next_item = FIRST_ITEM_ID;
    w->next_order = FIRST_ORDER_ID;
    w->next_line = FIRST_LINE_ID;
    w->next_fulfillment = FIRST_FULFILLMENT_ID;
    w->next_forder = FIRST_FORDER_ID;
    w->next_fo_line = FIRST_FO_LINE_ID;
    w->next_hold = FIRST_HOLD_ID;
    w->next_bulk = FIRST_BULK_ID;
    w->next_refund = FIRST_REFUND_ID;
    for (size_t i = 0; i < w->spec.n_shops; i++)
        add_shop(w, &w->spec.shops[i]);
}

/* ---- payments ------------------------------------------------------------------ */

static void schedule_payment(world *w, size_t shop, int64_t order_id, int64_t due)
{
    XGROW(w->payments, w->n_payments, w->cap_payments, 8);
    size_t i = w->n_payments;
    while (i > 0 && w->payments[i - 1].due > due) {
        w->payments[i] = w->payments[i - 1];
        i--;
    }
    w->payments[i] = (payment){due, shop, order_id};
    w->n_payments++;
    pthread_cond_signal(&w->cv);
}

static void journal_order_event(world *w, const char *kind, const ws_shop *s, const ws_order *o)
{
    sbuf b = SBUF_INIT;
    put_str(&b, "shop", s->domain);
    put_int(&b, "order_id", o->id);
    char name[32];
    snprintf(name, sizeof name, "#%lld", (long long)o->number);
    put_str(&b, "name", name);
    put_str(&b, "financial_status", world_financial_name(o->financial));
    journal_sbuf(w, kind, &b);
}

static void pay(world *w, ws_shop *s, ws_order *o, const char *event_id)
{
    int64_t now = world_now(w);
    o->financial = FIN_PAID;
    o->paid_ms = now;
    o->updated_ms = now;
    journal_order_event(w, "order_paid", s, o);
    counters_add(w->env.ctr, "orders paid", 1);
    emit_order(w, s, "orders/paid", event_id, o);
}

static void *timer_main(void *arg)
{
    world *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stopping) {
        if (w->n_payments == 0) {
            pthread_cond_wait(&w->cv, &w->lock);
            continue;
        }
        int64_t now = world_now(w);
        if (w->payments[0].due > now) {
            struct timespec ts;
            clock_deadline(w->env.clk, w->payments[0].due - now, &ts);
            pthread_cond_timedwait(&w->cv, &w->lock, &ts);
            continue;
        }
        payment p = w->payments[0];
        memmove(&w->payments[0], &w->payments[1], (w->n_payments - 1) * sizeof *w->payments);
        w->n_payments--;
        ws_shop *s = world_shop_at(w, p.shop);
        ws_order *o = s ? world_order_by_id(s, p.order_id) : NULL;
        if (o && o->financial == FIN_PENDING && o->cancelled_ms < 0) {
            char ev[40];
            new_event_id(w, ev);
            pay(w, s, o, ev);
        }
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

long world_pending(world *w)
{
    world_lock(w);
    long n = (long)w->n_payments;
    world_unlock(w);
    return n;
}

/* ---- life cycle ------------------------------------------------------------------ */

world *world_new(spec_world *spec, const world_env *env, json_err *e)
{
    (void)e; /* a parsed spec is consistent; kept for future checks */
    world *w = xcalloc(1, sizeof *w);
    w->spec = *spec;
    memset(spec, 0, sizeof *spec);
    w->env = *env;
    w->next_sub = FIRST_SUB_ID;
    pthread_mutex_init(&w->lock, NULL);
    clock_cond_init(&w->cv);
    build(w);
    if (pthread_create(&w->timer, NULL, timer_main, w) != 0) {
        fprintf(stderr, "fatal: cannot start the payment timer thread\n");
        abort();
    }
    w->timer_running = 1;
    return w;
}

void world_set_hooks(world *w, hooks *h)
{
    world_lock(w);
    w->h = h;
    world_unlock(w);
}

void world_free(world *w)
{
    if (!w)
        return;
    world_lock(w);
    w->stopping = 1;
    pthread_cond_broadcast(&w->cv);
    world_unlock(w);
    if (w->timer_running)
        pthread_join(w->timer, NULL);
    clear_shops(w);
    free(w->payments);
    spec_world_free(&w->spec);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cv);
    free(w);
}

void world_reset(world *w)
{
    world_lock(w);
    if (w->h)
        hooks_cancel(w->h, -1);
    clear_shops(w);
    build(w);
    world_unlock(w);
}

int world_seed(world *w, const spec_seed *sd, json_err *e)
{
    world_lock(w);
    /* Check everything first, so a bad seed changes nothing. */
    char p[256];
    for (size_t i = 0; i < sd->n_shops; i++) {
        const spec_shop *sp = &sd->shops[i];
        ws_shop *s = world_shop_by_domain(w, sp->domain);
        snprintf(p, sizeof p, "$.shops[%zu]", i);
        if (sd->shop_partial[i] && !s) {
            json_fail(e, p, "no shop \"%.60s\" to add to; a new shop needs app_secret and "
                            "access_token", sp->domain);
            goto fail;
        }
        if (!sd->shop_partial[i] && s) {
            json_fail(e, p, "shop \"%.60s\" exists; give only domain, locations, products, "
                            "catalog and webhooks to add to it", sp->domain);
            goto fail;
        }
        if (s && s->n_locations + sp->n_locations > SPEC_MAX_LOCATIONS) {
            json_fail(e, p, "at most %d locations", SPEC_MAX_LOCATIONS);
            goto fail;
        }
        for (size_t k = 0; s && k < sp->n_locations; k++)
            if (location_by_name(s, sp->locations[k].name) >= 0) {
                snprintf(p, sizeof p, "$.shops[%zu].locations[%zu].name", i, k);
                json_fail(e, p, "location \"%.60s\" exists", sp->locations[k].name);
                goto fail;
            }
        for (size_t a = 0; s && a < sp->n_products; a++)
            for (size_t b = 0; b < sp->products[a].n_variants; b++) {
                const spec_variant *v = &sp->products[a].variants[b];
                for (size_t q = 0; q < v->n_stock; q++) {
                    int known = location_by_name(s, v->stock[q].location) >= 0;
                    for (size_t k = 0; !known && k < sp->n_locations; k++)
                        known = strcmp(sp->locations[k].name, v->stock[q].location) == 0;
                    if (!known) {
                        snprintf(p, sizeof p, "$.shops[%zu].products[%zu].variants[%zu].stock", i,
                                 a, b);
                        json_fail(e, p, "unknown location \"%.60s\"", v->stock[q].location);
                        goto fail;
                    }
                }
            }
        for (size_t k = 0; k < i; k++)
            if (strcasecmp(sd->shops[k].domain, sp->domain) == 0) {
                json_fail(e, p, "shop \"%.60s\" appears twice in the seed", sp->domain);
                goto fail;
            }
    }
    for (size_t i = 0; i < sd->n_levels; i++) {
        const spec_level *l = &sd->levels[i];
        snprintf(p, sizeof p, "$.levels[%zu]", i);
        ws_shop *s = l->shop ? world_shop_by_domain(w, l->shop) : world_shop_at(w, 0);
        const spec_shop *adding = NULL;
        for (size_t k = 0; k < sd->n_shops; k++)
            if (l->shop ? strcasecmp(sd->shops[k].domain, l->shop) == 0 : !s && k == 0)
                adding = &sd->shops[k];
        if (!s && !adding) {
            json_fail(e, p, "no shop \"%.60s\"", l->shop ? l->shop : "(first)");
            goto fail;
        }
        int sku_known = s && world_variant_by_sku(s, l->sku);
        for (size_t a = 0; adding && !sku_known && a < adding->n_products; a++)
            for (size_t b = 0; b < adding->products[a].n_variants; b++)
                sku_known |= strcmp(adding->products[a].variants[b].sku, l->sku) == 0;
        if (!sku_known) {
            snprintf(p, sizeof p, "$.levels[%zu].sku", i);
            json_fail(e, p, "unknown SKU \"%.60s\"", l->sku);
            goto fail;
        }
        if (l->location) {
            int known = s && location_by_name(s, l->location) >= 0;
            for (size_t k = 0; adding && !known && k < adding->n_locations; k++)
                known = strcmp(adding->locations[k].name, l->location) == 0;
            if (!known) {
                snprintf(p, sizeof p, "$.levels[%zu].location", i);
                json_fail(e, p, "unknown location \"%.60s\"", l->location);
                goto fail;
            }
        }
    }
    for (size_t i = 0; i < sd->n_webhooks; i++) {
        const char *dom = sd->webhook_shops[i];
        int known = dom ? world_shop_by_domain(w, dom) != NULL : w->n_shops > 0 || sd->n_shops > 0;
        for (size_t k = 0; dom && !known && k < sd->n_shops; k++)
            known = strcasecmp(sd->shops[k].domain, dom) == 0;
        if (!known) {
            snprintf(p, sizeof p, "$.webhooks[%zu].shop", i);
            json_fail(e, p, "no shop \"%.60s\"", dom ? dom : "(first)");
            goto fail;
        }
    }

    size_t products = 0;
    for (size_t i = 0; i < sd->n_shops; i++) {
        const spec_shop *sp = &sd->shops[i];
        products += sp->n_products;
        ws_shop *s = world_shop_by_domain(w, sp->domain);
        if (!s) {
            add_shop(w, sp);
            continue;
        }
        for (size_t k = 0; k < sp->n_locations; k++)
            add_location(w, s, &sp->locations[k]);
        merge_catalog(w, s, sp);
        for (size_t k = 0; k < sp->n_webhooks; k++)
            world_sub_add(w, s, sp->webhooks[k].topic, sp->webhooks[k].address, NULL, "seed");
    }
    for (size_t i = 0; i < sd->n_levels; i++) {
        const spec_level *l = &sd->levels[i];
        ws_shop *s = l->shop ? world_shop_by_domain(w, l->shop) : world_shop_at(w, 0);
        ws_variant *v = s ? world_variant_by_sku(s, l->sku) : NULL;
        int loc = l->location ? location_by_name(s, l->location) : 0;
        if (v && loc >= 0 && s->n_locations)
            world_set_available(w, s, v, loc, l->available, "seed", NULL);
    }
    for (size_t i = 0; i < sd->n_webhooks; i++) {
        const char *dom = sd->webhook_shops[i];
        ws_shop *s = dom ? world_shop_by_domain(w, dom) : world_shop_at(w, 0);
        if (s)
            world_sub_add(w, s, sd->webhooks[i].topic, sd->webhooks[i].address, NULL, "seed");
    }
    sbuf b = SBUF_INIT;
    put_int(&b, "shops", (int64_t)sd->n_shops);
    put_int(&b, "products", (int64_t)products);
    put_int(&b, "levels", (int64_t)sd->n_levels);
    put_int(&b, "webhooks", (int64_t)sd->n_webhooks);
    journal_sbuf(w, "seed", &b);
    world_unlock(w);
    return 0;
fail:
    world_unlock(w);
    return -1;
}

/* ---- shoppers --------------------------------------------------------------------- */

/* Shopify's address object with every field, from what the shopper gave. */
static cJSON *normalize_address(const cJSON *in)
{
    static const char *const strings[] = {"first_name", "last_name", "company", "address1",
                                          "address2",   "city",      "province", "province_code",
                                          "zip",        "country",   "country_code", "phone",
                                          NULL};
    cJSON *a = cJSON_CreateObject();
    for (const char *const *k = strings; *k; k++) {
        const cJSON *v = in ? cJSON_GetObjectItemCaseSensitive(in, *k) : NULL;
        if (cJSON_IsString(v))
            cJSON_AddStringToObject(a, *k, v->valuestring);
        else
            cJSON_AddNullToObject(a, *k);
    }
    const cJSON *fn = cJSON_GetObjectItemCaseSensitive(a, "first_name");
    const cJSON *ln = cJSON_GetObjectItemCaseSensitive(a, "last_name");
    if (cJSON_IsString(fn) || cJSON_IsString(ln)) {
        char *name = xasprintf("%s%s%s", cJSON_IsString(fn) ? fn->valuestring : "",
                               cJSON_IsString(fn) && cJSON_IsString(ln) ? " " : "",
                               cJSON_IsString(ln) ? ln->valuestring : "");
        cJSON_AddStringToObject(a, "name", name);
        free(name);
    } else {
        cJSON_AddNullToObject(a, "name");
    }
    const char *coords[] = {"latitude", "longitude"};
    for (int i = 0; i < 2; i++) {
        const cJSON *v = in ? cJSON_GetObjectItemCaseSensitive(in, coords[i]) : NULL;
        if (cJSON_IsNumber(v))
            cJSON_AddNumberToObject(a, coords[i], v->valuedouble);
        else
            cJSON_AddNullToObject(a, coords[i]);
    }
    return a;
}

/* "lines" of a journal entry: the order's lines with their quantities,
 * or, with qty (per order line), the lines it has units of, with those. */
static void put_lines(sbuf *b, const ws_shop *s, const ws_order *o, const int64_t *qty)
{
    sbuf_printf(b, "%s\"lines\":[", b->len ? "," : "");
    int first = 1;
    for (size_t i = 0; i < o->n_lines; i++) {
        int64_t q = qty ? qty[i] : o->lines[i].quantity;
        if (qty && !q)
            continue;
        sbuf_puts(b, first ? "{\"sku\":" : ",{\"sku\":");
        first = 0;
        sbuf_json_str(b, s->variants[o->lines[i].variant].sku);
        sbuf_printf(b, ",\"qty\":%lld,\"line_item_id\":%lld}", (long long)q,
                    (long long)o->lines[i].id);
    }
    sbuf_putc(b, ']');
}

static void fo_drop(ws_order *o, size_t line, int loc, int64_t units, int64_t now);
static void create_forders(world *w, ws_shop *s, ws_order *o);

/* A refused checkout: journaled as "checkout" with result and the lines
 * asked for, why (an array, consumed) under key; counted as "checkouts
 * <result>". Returns the shopper's answer {"result", key: why}. */
static cJSON *refuse_checkout(world *w, ws_shop *s, const world_checkout_req *req,
                              ws_variant *const *vs, const char *result, const char *key,
                              cJSON *why)
{
    sbuf b = SBUF_INIT;
    put_str(&b, "shop", s->domain);
    put_str(&b, "result", result);
    sbuf_puts(&b, ",\"order_id\":null,\"lines\":[");
    for (size_t i = 0; i < req->n_lines; i++) {
        sbuf_puts(&b, i ? ",{\"sku\":" : "{\"sku\":");
        sbuf_json_str(&b, vs[i]->sku);
        sbuf_printf(&b, ",\"qty\":%lld}", (long long)req->lines[i].qty);
    }
    char *st = json_print(why);
    sbuf_printf(&b, "],\"%s\":%s", key, st);
    free(st);
    journal_sbuf(w, "checkout", &b);
    char ctr[64];
    snprintf(ctr, sizeof ctr, "checkouts %s", result);
    counters_add(w->env.ctr, ctr, 1);
    cJSON *ans = cJSON_CreateObject();
    cJSON_AddStringToObject(ans, "result", result);
    cJSON_AddItemToObject(ans, key, why);
    return ans;
}

/* The lines whose product is not on sale, [{"sku", "status"}], or NULL:
 * a DRAFT or ARCHIVED product is unavailable to customers on every sales
 * channel; an UNLISTED one still sells by its direct link (GraphQL ref,
 * ProductStatus). Each SKU once. */
static cJSON *off_sale(const ws_shop *s, ws_variant *const *vs, size_t n)
{
    cJSON *off = NULL;
    for (size_t i = 0; i < n; i++) {
        const ws_product *p = &s->products[vs[i]->product];
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++)
            seen = vs[k] == vs[i];
        if (seen || (p->status != PS_DRAFT && p->status != PS_ARCHIVED))
            continue;
        if (!off)
            off = cJSON_CreateArray();
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "sku", vs[i]->sku);
        cJSON_AddStringToObject(x, "status", world_status_name(p->status));
        cJSON_AddItemToArray(off, x);
    }
    return off;
}

int world_checkout(world *w, ws_shop *s, const world_checkout_req *req, cJSON **out, json_err *e)
{
    *out = NULL;
    if (req->n_lines == 0)
        return json_fail(e, "$.lines", "expected at least one line");
    if (req->n_lines > 250)
        return json_fail(e, "$.lines", "at most 250 lines");
    if (s->n_locations == 0)
        return json_fail(e, "$.shop", "the shop has no location to sell from");
    size_t n = req->n_lines;
    ws_variant **vs = xcalloc(n, sizeof *vs);
    int rc = -1;
    char p[64];
    for (size_t i = 0; i < n; i++) {
        vs[i] = req->lines[i].sku ? world_variant_by_sku(s, req->lines[i].sku) : NULL;
        if (!vs[i]) {
            snprintf(p, sizeof p, "$.lines[%zu].sku", i);
            json_fail(e, p, "unknown SKU \"%.60s\" in shop %s",
                      req->lines[i].sku ? req->lines[i].sku : "", s->domain);
            goto out;
        }
        if (req->lines[i].qty < 1 || req->lines[i].qty > 1000000) {
            snprintf(p, sizeof p, "$.lines[%zu].qty", i);
            json_fail(e, p, "expected 1 to 1000000, got %lld", (long long)req->lines[i].qty);
            goto out;
        }
    }
    cJSON *off = off_sale(s, vs, n);
    if (off) {
        *out = refuse_checkout(w, s, req, vs, "unavailable", "unavailable", off);
        rc = 0;
        goto out;
    }
    /* Decide first, for all lines together (a SKU may appear on several). */
    cJSON *shorts = NULL;
    for (size_t i = 0; i < n; i++) {
        int first = 1;
        int64_t need = 0;
        for (size_t k = 0; k < n; k++) {
            if (vs[k] != vs[i])
                continue;
            if (k < i)
                first = 0;
            need += req->lines[k].qty;
        }
        if (!first || vs[i]->policy_continue)
            continue;
        int64_t have = 0;
        for (size_t l = 0; l < s->n_locations; l++)
            have += vs[i]->available[l] > 0 ? vs[i]->available[l] : 0;
        if (have < need) {
            if (!shorts)
                shorts = cJSON_CreateArray();
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "sku", vs[i]->sku);
            cJSON_AddNumberToObject(x, "requested", (double)need);
            cJSON_AddNumberToObject(x, "available", (double)have);
            cJSON_AddItemToArray(shorts, x);
        }
    }
    if (shorts) {
        *out = refuse_checkout(w, s, req, vs, "sold_out", "short", shorts);
        rc = 0;
        goto out;
    }
    sbuf b = SBUF_INIT;
    put_str(&b, "shop", s->domain);

    int64_t now = world_now(w);
    int paid = req->pay >= 0 ? req->pay : !s->pay_pending;
    int64_t pay_after = req->pay_after_ms >= 0 ? req->pay_after_ms : s->pay_after_ms;
    XGROW(s->orders, s->n_orders, s->cap_orders, 8);
    ws_order *o = &s->orders[s->n_orders++];
    memset(o, 0, sizeof *o);
    o->id = w->next_order++;
    o->number = s->next_number++;
    o->created_ms = o->updated_ms = o->processed_ms = now;
    o->paid_ms = -1;
    o->cancelled_ms = -1;
    o->financial = FIN_PENDING;
    o->email = req->email ? xstrdup(req->email) : xasprintf("shopper%lld@example.com",
                                                              (long long)o->number);
    o->shipping_address = normalize_address(req->shipping_address);
    o->lines = xcalloc(n, sizeof *o->lines);
    o->n_lines = n;
    for (size_t i = 0; i < n; i++) {
        ws_line *l = &o->lines[i];
        l->id = w->next_line++;
        l->variant = (size_t)(vs[i] - s->variants);
        l->quantity = req->lines[i].qty;
        l->price_cents = price_cents(vs[i]->price);
        l->alloc = xcalloc(s->n_locations, sizeof *l->alloc);
    }

    put_str(&b, "result", "accepted");
    put_int(&b, "order_id", o->id);
    char name[32];
    snprintf(name, sizeof name, "#%lld", (long long)o->number);
    put_str(&b, "name", name);
    put_lines(&b, s, o, NULL);
    journal_sbuf(w, "checkout", &b);
    counters_add(w->env.ctr, "checkouts accepted", 1);

    /* Take the units: from the locations in order, where there is stock;
     * what a continue-policy line still lacks comes from the first one. */
    for (size_t i = 0; i < n; i++) {
        ws_line *l = &o->lines[i];
        ws_variant *v = vs[i];
        int64_t left = l->quantity;
        v->accepted_units += l->quantity;
        for (size_t loc = 0; loc < s->n_locations && left > 0; loc++) {
            int64_t take = v->available[loc] > 0 ? v->available[loc] : 0;
            if (take > left)
                take = left;
            if (take == 0)
                continue;
            l->alloc[loc] += take;
            left -= take;
            change_level(w, s, v, (int)loc, -take, take, "checkout", NULL, o->id);
        }
        if (left > 0) {
            l->alloc[0] += left;
            change_level(w, s, v, 0, -left, left, "checkout", NULL, o->id);
        }
    }

    create_forders(w, s, o);

    sbuf c = SBUF_INIT;
    put_str(&c, "shop", s->domain);
    put_int(&c, "order_id", o->id);
    put_str(&c, "name", name);
    put_str(&c, "financial_status", paid ? "paid" : "pending");
    put_lines(&c, s, o, NULL);
    char money[32];
    res_money(world_order_total_cents(o), money, sizeof money);
    put_str(&c, "total_price", money);
    journal_sbuf(w, "order_created", &c);
    counters_add(w->env.ctr, "orders created", 1);

    /* orders/create and orders/paid of one checkout are one merchant
     * action: they share the event id. */
    char ev[40];
    new_event_id(w, ev);
    if (paid) {
        o->financial = FIN_PAID;
        o->paid_ms = now;
    }
    emit_order(w, s, "orders/create", ev, o);
    if (paid) {
        o->financial = FIN_PENDING; /* pay() journals and emits the transition */
        pay(w, s, o, ev);
    } else {
        schedule_payment(w, (size_t)(s - w->shops), o->id, now + pay_after);
    }

    *out = cJSON_CreateObject();
    cJSON_AddStringToObject(*out, "result", "accepted");
    cJSON_AddNumberToObject(*out, "order_id", (double)o->id);
    cJSON_AddStringToObject(*out, "name", name);
    cJSON_AddNumberToObject(*out, "order_number", (double)o->number);
    cJSON_AddStringToObject(*out, "financial_status", world_financial_name(o->financial));
    char gid[64];
    res_gid("Order", o->id, gid, sizeof gid);
    cJSON_AddStringToObject(*out, "admin_graphql_api_id", gid);
    cJSON_AddStringToObject(*out, "total_price", money);
    rc = 0;
out:
    free(vs);
    return rc;
}


/* Gives units committed for a line back (to available when restock). */
static void release_line(world *w, ws_shop *s, ws_order *o, ws_line *l, int64_t units, int restock,
                         const char *by)
{
    ws_variant *v = &s->variants[l->variant];
    for (size_t loc = 0; loc < s->n_locations && units > 0; loc++) {
        int64_t u = l->alloc[loc] < units ? l->alloc[loc] : units;
        if (u <= 0)
            continue;
        l->alloc[loc] -= u;
        units -= u;
        fo_drop(o, (size_t)(l - o->lines), (int)loc, u, world_now(w));
        change_level(w, s, v, (int)loc, restock ? u : 0, -u, by, NULL, o->id);
    }
    /* Units beyond what is still committed were shipped: a restock returns
     * them to the first location. */
    if (units > 0 && restock)
        change_level(w, s, v, 0, units, 0, by, NULL, o->id);
}

/* Records a notification Shopify would send the order's customer
 * (template: "shipping_confirmation", "order_cancelled"); fulfillment_id 0
 * when none. The mock sends no email: the journal is what a test counts. */
static void notify_customer(world *w, ws_shop *s, const ws_order *o, const char *template,
                            int64_t fulfillment_id)
{
    sbuf b = SBUF_INIT;
    put_str(&b, "shop", s->domain);
    put_int(&b, "order_id", o->id);
    put_str(&b, "template", template);
    if (fulfillment_id)
        put_int(&b, "fulfillment_id", fulfillment_id);
    journal_sbuf(w, "notification", &b);
    counters_add(w->env.ctr, "notifications", 1);
}

int world_cancel(world *w, ws_shop *s, ws_order *o, int restock, int notify, const char *reason,
                 const char *by, cJSON **out, json_err *e)
{
    *out = NULL;
    if (o->cancelled_ms >= 0)
        return json_fail(e, "$.order_id", "order %lld is already cancelled", (long long)o->id);
    if (world_fulfillment_status(o) && strcmp(world_fulfillment_status(o), "fulfilled") == 0)
        return json_fail(e, "$.order_id", "order %lld is fulfilled and cannot be cancelled",
                         (long long)o->id);
    int64_t now = world_now(w);
    o->cancelled_ms = now;
    o->updated_ms = now;
    free(o->cancel_reason);
    o->cancel_reason = xstrdup(reason ? reason : "other");
    o->financial = o->financial == FIN_PENDING ? FIN_VOIDED : FIN_REFUNDED;
    sbuf b = SBUF_INIT;
    put_str(&b, "shop", s->domain);
    put_int(&b, "order_id", o->id);
    put_str(&b, "reason", o->cancel_reason);
    put_str(&b, "by", by);
    sbuf_printf(&b, ",\"restock\":%s,\"notify_customer\":%s", restock ? "true" : "false",
                notify ? "true" : "false");
    journal_sbuf(w, "order_cancelled", &b);
    counters_add(w->env.ctr, "orders cancelled", 1);
    if (notify)
        notify_customer(w, s, o, "order_cancelled", 0);
    for (size_t i = 0; i < o->n_lines; i++) {
        ws_line *l = &o->lines[i];
        int64_t open = world_line_fulfillable(l);
        if (open > 0)
            release_line(w, s, o, l, open, restock, "cancel");
    }
    char ev[40];
    new_event_id(w, ev);
    emit_order(w, s, "orders/cancelled", ev, o);
    *out = res_order(s, o);
    return 0;
}

int world_refund(world *w, ws_shop *s, ws_order *o, const world_refund_line *lines, size_t n_lines,
                 int restock, const char *note, cJSON **out, json_err *e)
{
    *out = NULL;
    int64_t *qty = xcalloc(o->n_lines ? o->n_lines : 1, sizeof *qty);
    char p[64];
    if (n_lines == 0) {
        for (size_t i = 0; i < o->n_lines; i++)
            qty[i] = world_line_current(&o->lines[i]);
    }
    for (size_t k = 0; k < n_lines; k++) {
        size_t i;
        for (i = 0; i < o->n_lines; i++) {
            const ws_line *l = &o->lines[i];
            if (lines[k].line_id ? l->id == lines[k].line_id
                                 : lines[k].sku && strcmp(s->variants[l->variant].sku, lines[k].sku) == 0)
                break;
        }
        if (i == o->n_lines) {
            snprintf(p, sizeof p, "$.lines[%zu]", k);
            free(qty);
            return json_fail(e, p, "order %lld has no such line", (long long)o->id);
        }
        qty[i] += lines[k].qty;
        if (lines[k].qty < 1 || qty[i] > world_line_current(&o->lines[i])) {
            snprintf(p, sizeof p, "$.lines[%zu].qty", k);
            free(qty);
            return json_fail(e, p, "expected 1 to the %lld units left on the line",
                             (long long)world_line_current(&o->lines[i]));
        }
    }
    int64_t total = 0;
    for (size_t i = 0; i < o->n_lines; i++)
        total += qty[i];
    if (total == 0) {
        free(qty);
        return json_fail(e, "$.lines", "nothing left to refund on order %lld", (long long)o->id);
    }
    int64_t now = world_now(w);
    o->refunds = xrealloc(o->refunds, (o->n_refunds + 1) * sizeof *o->refunds);
    ws_refund *r = &o->refunds[o->n_refunds++];
    memset(r, 0, sizeof *r);
    r->id = w->next_refund++;
    r->qty = qty;
    r->restock = restock;
    r->note = note ? xstrdup(note) : NULL;
    r->created_ms = now;
    sbuf b = SBUF_INIT;
    put_str(&b, "shop", s->domain);
    put_int(&b, "order_id", o->id);
    put_int(&b, "refund_id", r->id);
    sbuf_printf(&b, ",\"restock\":%s", restock ? "true" : "false");
    put_lines(&b, s, o, qty);
    journal_sbuf(w, "refund", &b);
    counters_add(w->env.ctr, "refunds", 1);
    for (size_t i = 0; i < o->n_lines; i++) {
        ws_line *l = &o->lines[i];
        if (!qty[i])
            continue;
        /* Unshipped units leave first; the rest are returns. */
        int64_t open = world_line_fulfillable(l);
        int64_t from_open = qty[i] < open ? qty[i] : open;
        l->refunded += qty[i];
        if (from_open > 0)
            release_line(w, s, o, l, from_open, restock, "refund");
        if (qty[i] > from_open && restock)
            change_level(w, s, &s->variants[l->variant], 0, qty[i] - from_open, 0, "refund", NULL,
                         o->id);
        /* Returned units were fulfilled; the line counts them as such no more. */
        if (qty[i] > from_open) {
            l->fulfilled -= qty[i] - from_open;
            if (l->fulfilled < 0)
                l->fulfilled = 0;
        }
    }
    int64_t left = 0;
    for (size_t i = 0; i < o->n_lines; i++)
        left += world_line_current(&o->lines[i]);
    if (o->financial != FIN_PENDING && o->financial != FIN_VOIDED)
        o->financial = left ? FIN_PARTIALLY_REFUNDED : FIN_REFUNDED;
    o->updated_ms = now;
    *out = res_refund(s, o, r);
    if (has_sub(s, "refunds/create")) {
        char ev[40];
        new_event_id(w, ev);
        emit(w, s, "refunds/create", ev, *out, o->id);
    }
    return 0;
}

ws_forder *world_forder_by_id(ws_shop *s, int64_t id, ws_order **order)
{
    /* Fulfillment order ids grow with order ids (both are handed out as
     * orders are created), so the order is the last one whose first
     * fulfillment order id is not above id. */
    size_t lo = 0, hi = s->n_orders;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const ws_order *o = &s->orders[mid];
        if (o->n_forders && o->forders[0].id <= id)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i-- > 0;) {
        ws_order *o = &s->orders[i];
        if (!o->n_forders)
            continue;
        for (size_t k = 0; k < o->n_forders; k++)
            if (o->forders[k].id == id) {
                if (order)
                    *order = o;
                return &o->forders[k];
            }
        break;
    }
    return NULL;
}

const char *world_fo_status_name(ws_fo_status st)
{
    switch (st) {
    case FO_OPEN: return "OPEN";
    case FO_IN_PROGRESS: return "IN_PROGRESS";
    case FO_ON_HOLD: return "ON_HOLD";
    case FO_CLOSED: return "CLOSED";
    case FO_CANCELLED: return "CANCELLED";
    }
    return "OPEN";
}

int world_hold_reason_ok(const char *reason)
{
    static const char *const reasons[] = {
        "AWAITING_PAYMENT", "AWAITING_RETURN_ITEMS", "HIGH_RISK_OF_FRAUD", "INCORRECT_ADDRESS",
        "INVENTORY_OUT_OF_STOCK", "ONLINE_STORE_POST_PURCHASE_CROSS_SELL", "OTHER",
        "UNKNOWN_DELIVERY_DATE", NULL};
    for (const char *const *r = reasons; reason && *r; r++)
        if (strcmp(*r, reason) == 0)
            return 1;
    return 0;
}

static int fo_err(world_fo_err *err, int status, size_t req, size_t item, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fo_err(world_fo_err *err, int status, size_t req, size_t item, const char *fmt, ...)
{
    err->status = status;
    err->req = req;
    err->item = item;
    err->code = NULL;
    err->field = NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

static int64_t fo_remaining(const ws_forder *fo)
{
    int64_t r = 0;
    for (size_t i = 0; i < fo->n_lines; i++)
        r += fo->lines[i].remaining;
    return r;
}

static int64_t fo_fulfilled(const ws_forder *fo)
{
    int64_t r = 0;
    for (size_t i = 0; i < fo->n_lines; i++)
        r += fo->lines[i].total - fo->lines[i].remaining;
    return r;
}

/* The status a fulfillment order without holds has from its quantities. */
static ws_fo_status fo_settle(const ws_forder *fo)
{
    if (fo_remaining(fo) == 0)
        return FO_CLOSED;
    return fo_fulfilled(fo) ? FO_IN_PROGRESS : FO_OPEN;
}

/* One fulfillment order per location the order's units were committed
 * at, a line item per order line there (Shopify's routing assigns each
 * line to the location that stocks it). */
static void create_forders(world *w, ws_shop *s, ws_order *o)
{
    int64_t now = world_now(w);
    for (size_t loc = 0; loc < s->n_locations; loc++) {
        size_t n = 0;
        for (size_t i = 0; i < o->n_lines; i++)
            n += o->lines[i].alloc[loc] > 0;
        if (!n)
            continue;
        o->forders = xrealloc(o->forders, (o->n_forders + 1) * sizeof *o->forders);
        ws_forder *fo = &o->forders[o->n_forders++];
        memset(fo, 0, sizeof *fo);
        fo->id = w->next_forder++;
        fo->loc = (int)loc;
        fo->status = FO_OPEN;
        fo->created_ms = fo->updated_ms = now;
        fo->lines = xcalloc(n, sizeof *fo->lines);
        for (size_t i = 0; i < o->n_lines; i++) {
            int64_t q = o->lines[i].alloc[loc];
            if (q <= 0)
                continue;
            fo->lines[fo->n_lines++] = (ws_fo_line){w->next_fo_line++, i, q, q};
        }
    }
}

/* Units of line i leave the fulfillment order at loc without being
 * fulfilled (cancel, refund). */
static void fo_drop(ws_order *o, size_t line, int loc, int64_t units, int64_t now)
{
    for (size_t k = 0; k < o->n_forders && units > 0; k++) {
        ws_forder *fo = &o->forders[k];
        if (fo->loc != loc || fo->status == FO_CLOSED || fo->status == FO_CANCELLED)
            continue;
        for (size_t j = 0; j < fo->n_lines && units > 0; j++) {
            ws_fo_line *fl = &fo->lines[j];
            if (fl->line != line)
                continue;
            int64_t u = fl->remaining < units ? fl->remaining : units;
            fl->remaining -= u;
            units -= u;
            fo->updated_ms = now;
        }
        if (fo_remaining(fo) == 0)
            fo->status = FO_CLOSED;
    }
}

static void journal_fo(world *w, const char *kind, const ws_shop *s, const ws_order *o,
                       const ws_forder *fo, const char *reason)
{
    sbuf b = SBUF_INIT;
    put_str(&b, "shop", s->domain);
    put_int(&b, "order_id", o->id);
    put_int(&b, "fulfillment_order_id", fo->id);
    put_int(&b, "location_id", s->locations[fo->loc].id);
    put_str(&b, "status", world_fo_status_name(fo->status));
    if (reason)
        put_str(&b, "reason", reason);
    journal_sbuf(w, kind, &b);
}

static void emit_fo(world *w, ws_shop *s, const char *topic, const ws_order *o,
                    const ws_forder *fo)
{
    if (!has_sub(s, topic))
        return;
    cJSON *j = cJSON_CreateObject();
    cJSON *x = res_fulfillment_order(s, o, fo);
    cJSON_AddItemToObject(j, "fulfillment_order", x);
    char ev[40];
    new_event_id(w, ev);
    emit(w, s, topic, ev, j, o->id);
    cJSON_Delete(j);
}

ws_hold *world_fo_hold(world *w, ws_shop *s, ws_order *o, ws_forder *fo, const char *reason,
                       const char *notes, const char *handle, world_fo_err *err)
{
    if (!world_hold_reason_ok(reason)) {
        fo_err(err, 422, 0, SIZE_MAX, "Reason \"%.60s\" is not a FulfillmentHoldReason",
               reason ? reason : "");
        return NULL;
    }
    if (fo->status != FO_OPEN && fo->status != FO_IN_PROGRESS && fo->status != FO_ON_HOLD) {
        fo_err(err, 422, 0, SIZE_MAX, "The fulfillment order is %s and cannot be put on hold",
               world_fo_status_name(fo->status));
        return NULL;
    }
    const char *h = handle ? handle : "";
    for (size_t k = 0; k < fo->n_holds; k++)
        if (strcmp(fo->holds[k].handle, h) == 0) {
            fo_err(err, 422, 0, SIZE_MAX,
                   "The fulfillment order already has a hold with the handle \"%.64s\"", h);
            err->code = "TAKEN";
            err->field = "handle";
            return NULL;
        }
    if (fo->n_holds >= 10) {
        fo_err(err, 422, 0, SIZE_MAX, "The fulfillment order already has 10 holds");
        err->code = "FULFILLMENT_ORDER_HOLD_LIMIT_REACHED";
        return NULL;
    }
    fo->holds = xrealloc(fo->holds, (fo->n_holds + 1) * sizeof *fo->holds);
    ws_hold *hd = &fo->holds[fo->n_holds++];
    hd->id = w->next_hold++;
    hd->reason = xstrdup(reason);
    hd->notes = notes ? xstrdup(notes) : NULL;
    hd->handle = xstrdup(h);
    fo->status = FO_ON_HOLD;
    fo->updated_ms = world_now(w);
    o->updated_ms = fo->updated_ms;
    journal_fo(w, "fulfillment_order_hold", s, o, fo, reason);
    counters_add(w->env.ctr, "fulfillment orders held", 1);
    emit_fo(w, s, "fulfillment_orders/placed_on_hold", o, fo);
    return hd;
}

int world_fo_release(world *w, ws_shop *s, ws_order *o, ws_forder *fo, const int64_t *hold_ids,
                     size_t n, world_fo_err *err)
{
    if (fo->status != FO_ON_HOLD)
        return fo_err(err, 422, 0, SIZE_MAX, "The fulfillment order is %s, not on hold",
                      world_fo_status_name(fo->status));
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < fo->n_holds && fo->holds[k].id != hold_ids[i])
            k++;
        if (k == fo->n_holds)
            return fo_err(err, 422, i, SIZE_MAX, "The fulfillment order has no hold %lld",
                          (long long)hold_ids[i]);
    }
    size_t keep = 0;
    for (size_t k = 0; k < fo->n_holds; k++) {
        int drop = n == 0;
        for (size_t i = 0; i < n && !drop; i++)
            drop = fo->holds[k].id == hold_ids[i];
        if (drop) {
            free(fo->holds[k].reason);
            free(fo->holds[k].notes);
            free(fo->holds[k].handle);
        } else {
            fo->holds[keep++] = fo->holds[k];
        }
    }
    fo->n_holds = keep;
    if (!keep)
        fo->status = fo_settle(fo);
    fo->updated_ms = world_now(w);
    o->updated_ms = fo->updated_ms;
    journal_fo(w, "fulfillment_order_release", s, o, fo, NULL);
    counters_add(w->env.ctr, "fulfillment orders released", 1);
    if (!keep)
        emit_fo(w, s, "fulfillment_orders/hold_released", o, fo);
    return 0;
}

ws_fulfillment *world_fulfill(world *w, ws_shop *s, const world_fo_req *reqs, size_t n,
                              const world_tracking *t, ws_order **order, world_fo_err *err)
{
    *order = NULL;
    if (n == 0) {
        fo_err(err, 422, 0, SIZE_MAX, "At least one fulfillment order is required");
        return NULL;
    }
    ws_order *o = NULL;
    int loc = -1;
    ws_forder **fos = xcalloc(n, sizeof *fos);
    int64_t *take = NULL; /* per (request, fulfillment order line), flattened */
    size_t *base = xcalloc(n + 1, sizeof *base);
    ws_fulfillment *f = NULL;
    /* Check everything first: a refused request changes nothing. */
    for (size_t k = 0; k < n; k++) {
        ws_order *ok;
        fos[k] = world_forder_by_id(s, reqs[k].fo_id, &ok);
        if (!fos[k]) {
            fo_err(err, 404, k, SIZE_MAX, "Fulfillment order %lld does not exist",
                   (long long)reqs[k].fo_id);
            goto out;
        }
        for (size_t j = 0; j < k; j++)
            if (fos[j] == fos[k]) {
                fo_err(err, 422, k, SIZE_MAX, "Fulfillment order %lld is given twice",
                       (long long)reqs[k].fo_id);
                goto out;
            }
        if (o && ok != o) {
            fo_err(err, 422, k, SIZE_MAX,
                   "All fulfillment orders of a fulfillment must belong to the same order");
            goto out;
        }
        if (loc >= 0 && fos[k]->loc != loc) {
            fo_err(err, 422, k, SIZE_MAX,
                   "All fulfillment orders of a fulfillment must be assigned to the same location");
            goto out;
        }
        o = ok;
        loc = fos[k]->loc;
        if (fos[k]->status != FO_OPEN && fos[k]->status != FO_IN_PROGRESS) {
            fo_err(err, 422, k, SIZE_MAX,
                   "Fulfillment order %lld has an unfulfillable status: %s", (long long)fos[k]->id,
                   world_fo_status_name(fos[k]->status));
            goto out;
        }
        base[k + 1] = base[k] + fos[k]->n_lines;
    }
    if (o->cancelled_ms >= 0) {
        fo_err(err, 422, 0, SIZE_MAX, "Order %lld is cancelled", (long long)o->id);
        goto out;
    }
    take = xcalloc(base[n] + 1, sizeof *take);
    for (size_t k = 0; k < n; k++) {
        ws_forder *fo = fos[k];
        if (reqs[k].n_items == 0)
            for (size_t j = 0; j < fo->n_lines; j++)
                take[base[k] + j] = fo->lines[j].remaining;
        for (size_t i = 0; i < reqs[k].n_items; i++) {
            size_t j = 0;
            while (j < fo->n_lines && fo->lines[j].id != reqs[k].items[i].id)
                j++;
            if (j == fo->n_lines) {
                fo_err(err, 422, k, i, "Fulfillment order line item %lld is not on fulfillment order %lld",
                       (long long)reqs[k].items[i].id, (long long)fo->id);
                goto out;
            }
            take[base[k] + j] += reqs[k].items[i].qty;
            if (reqs[k].items[i].qty < 1 || take[base[k] + j] > fo->lines[j].remaining) {
                fo_err(err, 422, k, i,
                       "Quantity of fulfillment order line item %lld must be between 1 and its "
                       "%lld remaining units",
                       (long long)fo->lines[j].id, (long long)fo->lines[j].remaining);
                goto out;
            }
        }
    }
    int64_t total = 0;
    for (size_t i = 0; i < base[n]; i++)
        total += take[i];
    if (total == 0) {
        fo_err(err, 422, 0, SIZE_MAX, "Nothing left to fulfill");
        goto out;
    }

    int64_t now = world_now(w);
    int64_t *qty = xcalloc(o->n_lines ? o->n_lines : 1, sizeof *qty);
    for (size_t k = 0; k < n; k++) {
        ws_forder *fo = fos[k];
        for (size_t j = 0; j < fo->n_lines; j++) {
            int64_t u = take[base[k] + j];
            if (!u)
                continue;
            ws_fo_line *fl = &fo->lines[j];
            ws_line *l = &o->lines[fl->line];
            ws_variant *v = &s->variants[l->variant];
            fl->remaining -= u;
            qty[fl->line] += u;
            l->fulfilled += u;
            /* Shipped units leave committed at the fulfillment order's
             * location: on hand drops, available stays. */
            int64_t c = l->alloc[loc] < u ? l->alloc[loc] : u;
            l->alloc[loc] -= c;
            v->committed[loc] -= c;
            v->level_updated_ms[loc] = now;
        }
        fo->status = fo_settle(fo);
        fo->updated_ms = now;
    }
    o->fulfillments = xrealloc(o->fulfillments, (o->n_fulfillments + 1) * sizeof *o->fulfillments);
    f = &o->fulfillments[o->n_fulfillments++];
    memset(f, 0, sizeof *f);
    f->id = w->next_fulfillment++;
    f->location_id = s->locations[loc].id;
    f->tracking_number = t && t->number ? xstrdup(t->number) : NULL;
    f->tracking_company = t && t->company ? xstrdup(t->company) : NULL;
    f->tracking_url = t && t->url ? xstrdup(t->url) : NULL;
    f->notify_customer = t ? t->notify_customer : 0;
    f->qty = qty;
    f->created_ms = now;
    o->updated_ms = now;
    sbuf b = SBUF_INIT;
    put_str(&b, "shop", s->domain);
    put_int(&b, "order_id", o->id);
    put_int(&b, "fulfillment_id", f->id);
    put_int(&b, "location_id", f->location_id);
    sbuf_puts(&b, ",\"fulfillment_order_ids\":[");
    for (size_t k = 0; k < n; k++)
        sbuf_printf(&b, "%s%lld", k ? "," : "", (long long)fos[k]->id);
    sbuf_putc(&b, ']');
    put_str(&b, "tracking_number", f->tracking_number);
    put_str(&b, "tracking_company", f->tracking_company);
    put_lines(&b, s, o, qty);
    journal_sbuf(w, "fulfillment", &b);
    counters_add(w->env.ctr, "fulfillments", 1);
    if (f->notify_customer)
        notify_customer(w, s, o, "shipping_confirmation", f->id);
    char ev[40];
    new_event_id(w, ev);
    if (has_sub(s, "fulfillments/create")) {
        cJSON *j = res_fulfillment(s, o, f);
        emit(w, s, "fulfillments/create", ev, j, o->id);
        cJSON_Delete(j);
    }
    const char *fs = world_fulfillment_status(o);
    emit_order(w, s, fs && strcmp(fs, "fulfilled") == 0 ? "orders/fulfilled"
                                                          : "orders/partially_fulfilled",
               ev, o);
    emit_order(w, s, "orders/updated", ev, o);
    *order = o;
out:
    free(fos);
    free(take);
    free(base);
    return f;
}

ws_bulk *world_bulk_add(world *w, ws_shop *s, const char *query, const char *jsonl,
                        const char *error_code, int64_t objects, int64_t roots)
{
    s->bulks = xrealloc(s->bulks, (s->n_bulks + 1) * sizeof *s->bulks);
    ws_bulk *b = &s->bulks[s->n_bulks++];
    memset(b, 0, sizeof *b);
    b->id = w->next_bulk++;
    b->query = xstrdup(query);
    b->jsonl = jsonl ? xstrdup(jsonl) : NULL;
    b->error_code = error_code ? xstrdup(error_code) : NULL;
    b->objects = objects;
    b->roots = roots;
    b->created_ms = b->completed_ms = world_now(w);
    sbuf j = SBUF_INIT;
    put_str(&j, "shop", s->domain);
    put_int(&j, "id", b->id);
    put_str(&j, "status", jsonl ? "COMPLETED" : "FAILED");
    put_int(&j, "objects", objects);
    journal_sbuf(w, "bulk_operation", &j);
    counters_add(w->env.ctr, "bulk operations", 1);
    if (has_sub(s, "bulk_operations/finish")) {
        /* The payload Shopify documents for bulk_operations/finish. */
        cJSON *p = cJSON_CreateObject();
        char gid[64], d[RES_DATE_SIZE];
        res_gid("BulkOperation", b->id, gid, sizeof gid);
        cJSON_AddStringToObject(p, "admin_graphql_api_id", gid);
        res_date(s, b->completed_ms, d);
        cJSON_AddStringToObject(p, "completed_at", d);
        res_date(s, b->created_ms, d);
        cJSON_AddStringToObject(p, "created_at", d);
        if (error_code)
            cJSON_AddStringToObject(p, "error_code", error_code);
        else
            cJSON_AddNullToObject(p, "error_code");
        cJSON_AddStringToObject(p, "status", jsonl ? "completed" : "failed");
        cJSON_AddStringToObject(p, "type", "query");
        char ev[40];
        new_event_id(w, ev);
        emit(w, s, "bulk_operations/finish", ev, p, 0);
        cJSON_Delete(p);
    }
    return b;
}

ws_bulk *world_bulk_by_id(ws_shop *s, int64_t id)
{
    for (size_t i = 0; i < s->n_bulks; i++)
        if (s->bulks[i].id == id)
            return &s->bulks[i];
    return NULL;
}

/* ---- ground truth -------------------------------------------------------------------- */

cJSON *world_state(world *w)
{
    world_lock(w);
    cJSON *root = cJSON_CreateObject();
    cJSON *shops = cJSON_AddArrayToObject(root, "shops");
    cJSON *totals = cJSON_CreateObject();
    for (size_t si = 0; si < w->n_shops; si++) {
        ws_shop *s = &w->shops[si];
        cJSON *js = cJSON_CreateObject();
        cJSON_AddItemToArray(shops, js);
        cJSON_AddStringToObject(js, "domain", s->domain);
        cJSON_AddStringToObject(js, "plan", s->plan);
        cJSON *locs = cJSON_AddArrayToObject(js, "locations");
        for (size_t l = 0; l < s->n_locations; l++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddNumberToObject(x, "id", (double)s->locations[l].id);
            cJSON_AddStringToObject(x, "name", s->locations[l].name);
            cJSON_AddItemToArray(locs, x);
        }
        cJSON *catalog = cJSON_AddArrayToObject(js, "catalog");
        for (size_t k = 0; k < s->n_variants; k++) {
            const ws_variant *v = &s->variants[s->by_sku[k]];
            const ws_product *p = &s->products[v->product];
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "sku", v->sku);
            cJSON_AddNumberToObject(x, "product_id", (double)p->id);
            cJSON_AddNumberToObject(x, "variant_id", (double)v->id);
            cJSON_AddStringToObject(x, "title", p->title);
            cJSON_AddStringToObject(x, "status", STATUS_NAMES[p->status]);
            cJSON_AddStringToObject(x, "price", v->price);
            cJSON_AddItemToObject(x, "compareAtPrice", v->compare_at ? cJSON_CreateString(v->compare_at)
                                                                     : cJSON_CreateNull());
            cJSON_AddItemToObject(x, "barcode", v->barcode ? cJSON_CreateString(v->barcode)
                                                           : cJSON_CreateNull());
            cJSON_AddItemToObject(x, "cost", v->cost ? cJSON_CreateString(v->cost) : cJSON_CreateNull());
            cJSON_AddItemToObject(x, "weight", weight_json(v->weight, v->weight_unit));
            cJSON_AddNumberToObject(x, "updated_t", (double)v->updated_ms);
            cJSON_AddItemToArray(catalog, x);
        }
        cJSON *levels = cJSON_AddArrayToObject(js, "levels");
        cJSON *acc = cJSON_AddObjectToObject(js, "accepted_units");
        for (size_t k = 0; k < s->n_variants; k++) {
            const ws_variant *v = &s->variants[s->by_sku[k]];
            for (size_t l = 0; l < s->n_locations; l++) {
                cJSON *x = cJSON_CreateObject();
                cJSON_AddStringToObject(x, "sku", v->sku);
                cJSON_AddNumberToObject(x, "inventory_item_id", (double)v->item_id);
                cJSON_AddNumberToObject(x, "location_id", (double)s->locations[l].id);
                cJSON_AddStringToObject(x, "location", s->locations[l].name);
                cJSON_AddNumberToObject(x, "available", (double)v->available[l]);
                cJSON_AddNumberToObject(x, "committed", (double)v->committed[l]);
                cJSON_AddItemToArray(levels, x);
            }
            cJSON_AddNumberToObject(acc, v->sku, (double)v->accepted_units);
            cJSON *t = cJSON_GetObjectItemCaseSensitive(totals, v->sku);
            if (t)
                cJSON_SetNumberValue(t, t->valuedouble + (double)v->accepted_units);
            else
                cJSON_AddNumberToObject(totals, v->sku, (double)v->accepted_units);
        }
        cJSON *orders = cJSON_AddArrayToObject(js, "orders");
        for (size_t k = 0; k < s->n_orders; k++) {
            const ws_order *o = &s->orders[k];
            cJSON *x = cJSON_CreateObject();
            cJSON_AddNumberToObject(x, "id", (double)o->id);
            char name[32];
            snprintf(name, sizeof name, "#%lld", (long long)o->number);
            cJSON_AddStringToObject(x, "name", name);
            cJSON_AddStringToObject(x, "financial_status", world_financial_name(o->financial));
            const char *fs = world_fulfillment_status(o);
            if (fs)
                cJSON_AddStringToObject(x, "fulfillment_status", fs);
            else
                cJSON_AddNullToObject(x, "fulfillment_status");
            cJSON_AddBoolToObject(x, "cancelled", o->cancelled_ms >= 0);
            cJSON_AddNumberToObject(x, "created_t", (double)o->created_ms);
            if (o->paid_ms >= 0)
                cJSON_AddNumberToObject(x, "paid_t", (double)o->paid_ms);
            else
                cJSON_AddNullToObject(x, "paid_t");
            if (o->cancelled_ms >= 0)
                cJSON_AddNumberToObject(x, "cancelled_t", (double)o->cancelled_ms);
            else
                cJSON_AddNullToObject(x, "cancelled_t");
            cJSON *lines = cJSON_AddArrayToObject(x, "lines");
            for (size_t i = 0; i < o->n_lines; i++) {
                const ws_line *l = &o->lines[i];
                cJSON *y = cJSON_CreateObject();
                cJSON_AddNumberToObject(y, "line_item_id", (double)l->id);
                cJSON_AddStringToObject(y, "sku", s->variants[l->variant].sku);
                cJSON_AddNumberToObject(y, "quantity", (double)l->quantity);
                cJSON_AddNumberToObject(y, "current_quantity", (double)world_line_current(l));
                cJSON_AddNumberToObject(y, "fulfilled", (double)l->fulfilled);
                cJSON_AddItemToArray(lines, y);
            }
            cJSON_AddItemToArray(orders, x);
        }
        cJSON *subs = cJSON_AddArrayToObject(js, "subscriptions");
        for (size_t k = 0; k < s->n_subs; k++) {
            const ws_sub *sub = &s->subs[k];
            cJSON *x = cJSON_CreateObject();
            cJSON_AddNumberToObject(x, "id", (double)sub->id);
            cJSON_AddStringToObject(x, "topic", sub->topic);
            cJSON_AddStringToObject(x, "address", sub->address);
            cJSON_AddStringToObject(x, "api_version", sub->api_version);
            cJSON_AddNumberToObject(x, "consecutive_failures", sub->failures);
            cJSON_AddItemToArray(subs, x);
        }
    }
    cJSON_AddItemToObject(root, "accepted_units", totals);
    cJSON_AddNumberToObject(root, "pending_payments", (double)w->n_payments);
    world_unlock(w);
    cJSON_AddNumberToObject(root, "webhooks_pending", w->h ? (double)hooks_pending(w->h) : 0);
    return root;
}
