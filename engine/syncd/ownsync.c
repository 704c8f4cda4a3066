/* Product data ownership; see ownsync.h. */
#include "ownsync.h"

#include "httpc.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "ownread.h"
#include "roles.h"
#include "sbuf.h"
#include "strmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The store's keys (store_kv): where the next pass's reads start. */
#define CIN7_SINCE_KEY "own:cin7_since"
#define SHOPIFY_SINCE_KEY "own:shopify_since"
/* Cin7's ModifiedSince and Shopify's updated_at reach back this far before
 * the last change seen: an edit saved in the same second as the read, or
 * whose timestamp lags, is seen again rather than missed. */
#define OVERLAP_MS 60000
/* A pass that could not read a side is tried again this soon. */
#define FAILED_PASS_MS 30000
/* Variants per productVariants page: 2 + 90 x 10 = 902 points requested,
 * under the single-query limit of 1000. */
#define VARIANT_PAGE 90
#define VARIANT_PAGE_COST 902
/* Products per page of the products changed since the last pass: 2 +
 * 100 x (1 + variants(first: 2) at 2 + 2) = 502 points requested. */
#define PRODUCT_PAGE_COST 502
/* SKUs per productVariants look-up by SKU (Shopify's search takes a
 * bounded number of terms). */
#define SKU_BATCH 50
/* A mutation's requested cost: 10, plus the objects selected. */
#define MUTATION_COST 20

struct ownsync {
    syncd *sd;
    pthread_t thread;
    int running;
    pthread_mutex_t lock;
    pthread_cond_t cv;
    /* Cin7 SKUs to look at in the next pass (a webhook saw an owned field
     * move, or a write failed), and when that pass is due (-1: none). */
    char **marked;
    size_t n_marked, cap_marked;
    int64_t soon;
    /* SKUs whose Shopify product has several variants, said once each
     * (the pass thread's own). */
    strmap *several;
};

/* ---- what a pass works on ---------------------------------------------- */

/* One SKU in a pass: its Cin7 product and its Shopify variant (borrowed
 * from the reads, NULL until read). */
typedef struct {
    char *sku;          /* Cin7's */
    char *shop_sku;     /* Shopify's */
    const cJSON *c7;
    const cJSON *sh;
} own_item;

typedef struct {
    own_item *it;
    size_t n, cap;
    strmap *at;  /* Cin7 SKU to its index in it (a first pass holds the catalog) */
    cJSON *keep; /* the documents the items point into */
} own_set;

static own_item *set_add(own_set *s, const char *sku, const char *shop_sku)
{
    if (!s->at)
        s->at = strmap_new(0);
    long at = strmap_get(s->at, sku);
    if (at >= 0)
        return &s->it[at];
    XGROW(s->it, s->n, s->cap, 64);
    strmap_put(s->at, sku, (long)s->n);
    own_item *it = &s->it[s->n++];
    *it = (own_item){xstrdup(sku), xstrdup(shop_sku), NULL, NULL};
    return it;
}

static void set_free(own_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->it[i].sku);
        free(s->it[i].shop_sku);
    }
    free(s->it);
    strmap_free(s->at);
    cJSON_Delete(s->keep);
}

/* The Shopify SKU that maps to Cin7 SKU sku: an explicit pair's, else the
 * same SKU (the mapping's identity rule). */
static const char *shop_sku_of(const syncd *sd, const char *sku)
{
    for (size_t i = 0; i < sd->cfg.n_map; i++)
        if (strcmp(sd->cfg.map_cin7[i], sku) == 0)
            return sd->cfg.map_shopify[i];
    return sku;
}

/* Whether a Cin7 SKU is synced: some shop sells it and it is no kit. */
static int synced_sku(const catalog *cat, const char *sku)
{
    return sku && catalog_sells(cat, sku) && !catalog_kit(cat, sku);
}

static char *field_key(const char *sku, own_field f)
{
    return xasprintf("own:%s:%s", sku, own_field_name(f));
}

/* ---- marks -------------------------------------------------------------- */

static void mark(ownsync *o, const char *sku, int64_t due)
{
    pthread_mutex_lock(&o->lock);
    size_t i = 0;
    while (i < o->n_marked && strcmp(o->marked[i], sku) != 0)
        i++;
    if (i == o->n_marked) {
        XGROW(o->marked, o->n_marked, o->cap_marked, 16);
        o->marked[o->n_marked++] = xstrdup(sku);
    }
    if (o->soon < 0 || due < o->soon)
        o->soon = due;
    pthread_cond_signal(&o->cv);
    pthread_mutex_unlock(&o->lock);
}

/* Whether some owned field a products/update carries for variant v moved
 * from the value last agreed on. */
static int hook_moved(syncd *sd, const char *sku, const cJSON *product, const cJSON *v)
{
    own_values got;
    ownread_hook(product, v, &got);
    for (int f = 0; f < OWN_N_FIELDS; f++) {
        if (sd->cfg.own_owner[f] < 0 || !got.known[f])
            continue;
        char *key = field_key(sku, (own_field)f);
        char *last = store_kv_get(sd->st, key);
        int moved = !last || strcmp(last, got.v[f]) != 0;
        free(key);
        free(last);
        if (moved)
            return 1;
    }
    return 0;
}

int ownsync_product_hook(syncd *sd, const char *domain, const char *body, size_t len)
{
    if (!sd->ready) /* the first pass reads from where the last one left off */
        return 0;
    ownsync *o = sd->own;
    const catalog *cat = syncd_catalog(sd);
    if (!o || !o->running || !cat || strcmp(domain, sd->cfg.shops[0].domain) != 0)
        return 0;
    cJSON *p = json_parse(body, len, NULL);
    int n = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(p, "variants"))
    {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(v, "sku");
        const char *sku = cJSON_IsString(s) ? catalog_cin7_sku(cat, s->valuestring) : NULL;
        if (!synced_sku(cat, sku) || !hook_moved(sd, sku, p, v))
            continue;
        mark(o, sku, clock_now_ms(&sd->clk) + sd->cfg.coalesce_ms);
        n++;
    }
    cJSON_Delete(p);
    if (n)
        metrics_inc(sd->m, "syncd_product_hooks_marked_total", n);
    else
        metrics_inc(sd->m, "syncd_product_hooks_unchanged_total", 1);
    return n;
}

/* ---- reads ---------------------------------------------------------------- */

/* Cin7's products changed since the last pass (every one on the first),
 * into s; *newest gets the latest LastModifiedOn seen (epoch ms). */
static int read_cin7(syncd *sd, const catalog *cat, own_set *s, int64_t *newest)
{
    char *since = store_kv_get(sd->st, CIN7_SINCE_KEY);
    char *path = xasprintf("product?IncludeDeprecated=true&IncludeSuppliers=true%s%s",
                           since ? "&ModifiedSince=" : "", since ? since : "");
    free(since);
    cJSON *rows = NULL;
    outcome oc;
    cin7_list(sd->c7, path, "Products", PRIO_BULK, &rows, &oc);
    free(path);
    if (!rows) {
        log_warn("ownership: cannot read Cin7's changed products: %s", oc.error);
        outbound_done(&oc);
        return -1;
    }
    outbound_done(&oc);
    const cJSON *r;
    cJSON_ArrayForEach(r, rows)
    {
        const cJSON *sku = cJSON_GetObjectItemCaseSensitive(r, "SKU");
        const cJSON *mod = cJSON_GetObjectItemCaseSensitive(r, "LastModifiedOn");
        int64_t at;
        if (cJSON_IsString(mod) && clock_parse_iso(mod->valuestring, &at) == 0 && at > *newest)
            *newest = at;
        if (!cJSON_IsString(sku) || !synced_sku(cat, sku->valuestring))
            continue;
        set_add(s, sku->valuestring, shop_sku_of(sd, sku->valuestring))->c7 = r;
    }
    json_array_move(s->keep, rows);
    cJSON_Delete(rows);
    return 0;
}

static const char VARIANTS_QUERY[] =
    "query OwnVariants($after: String, $q: String) { productVariants(first: 90, after: $after, "
    "query: $q) { nodes { id sku price compareAtPrice barcode inventoryItem { unitCost { amount } "
    "measurement { weight { value unit } } } product { id title status variants(first: 2) { "
    "nodes { id } } } } pageInfo { hasNextPage endCursor } } }";

/* Every page of connection conn of query (variables $after and $q; q NULL:
 * none) at its requested cost: each page's nodes go to take, which owns
 * them. Returns 0, or -1 when a page could not be read. */
static int read_pages(syncd *sd, const char *query, int cost, const char *conn, const char *q,
                      void (*take)(cJSON *nodes, void *ud), void *ud)
{
    char *after = NULL;
    for (;;) {
        cJSON *body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "query", query);
        cJSON *vars = cJSON_AddObjectToObject(body, "variables");
        if (after)
            cJSON_AddStringToObject(vars, "after", after);
        if (q)
            cJSON_AddStringToObject(vars, "q", q);
        free(after);
        after = NULL;
        cJSON *data = NULL;
        outcome oc;
        shopify_graphql(sd->shops[0], body, cost, PRIO_BULK, &data, &oc);
        if (!data) {
            log_warn("ownership: cannot read Shopify's %s: %s", conn, oc.error);
            outbound_done(&oc);
            return -1;
        }
        outbound_done(&oc);
        cJSON *c = cJSON_GetObjectItemCaseSensitive(data, conn);
        const cJSON *pi = cJSON_GetObjectItemCaseSensitive(c, "pageInfo");
        const cJSON *end = cJSON_GetObjectItemCaseSensitive(pi, "endCursor");
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pi, "hasNextPage")) &&
            cJSON_IsString(end))
            after = xstrdup(end->valuestring);
        take(cJSON_DetachItemFromObjectCaseSensitive(c, "nodes"), ud);
        cJSON_Delete(data);
        if (!after)
            return 0;
    }
}

typedef struct {
    const catalog *cat;
    own_set *s;
} set_fill;

/* A page of variants: those of synced SKUs join the set, which keeps
 * the page. */
static void take_variants(cJSON *nodes, void *ud)
{
    set_fill *f = ud;
    const cJSON *n;
    cJSON_ArrayForEach(n, nodes)
    {
        const cJSON *ss = cJSON_GetObjectItemCaseSensitive(n, "sku");
        const char *sku = cJSON_IsString(ss) ? catalog_cin7_sku(f->cat, ss->valuestring) : NULL;
        if (synced_sku(f->cat, sku))
            set_add(f->s, sku, ss->valuestring)->sh = n;
    }
    if (nodes)
        json_array_move(f->s->keep, nodes);
    cJSON_Delete(nodes);
}

/* Every page of productVariants matching q (NULL: all) into s: the
 * variants of synced SKUs. */
static int read_variants(syncd *sd, const catalog *cat, const char *q, own_set *s)
{
    set_fill f = {cat, s};
    return read_pages(sd, VARIANTS_QUERY, VARIANT_PAGE_COST, "productVariants", q, take_variants,
                      &f);
}

static const char PRODUCTS_QUERY[] =
    "query OwnProducts($after: String, $q: String) { products(first: 100, after: $after, "
    "query: $q) { nodes { variants(first: 2) { nodes { sku } } } pageInfo { hasNextPage "
    "endCursor } } }";

/* A page of products: their synced SKUs join the set, their variants to
 * be read by fill_shopify. */
static void take_products(cJSON *nodes, void *ud)
{
    set_fill *f = ud;
    const cJSON *p, *v;
    cJSON_ArrayForEach(p, nodes)
        cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(
                                  cJSON_GetObjectItemCaseSensitive(p, "variants"), "nodes"))
        {
            const cJSON *ss = cJSON_GetObjectItemCaseSensitive(v, "sku");
            const char *sku = cJSON_IsString(ss) ? catalog_cin7_sku(f->cat, ss->valuestring) : NULL;
            if (synced_sku(f->cat, sku))
                set_add(f->s, sku, ss->valuestring);
        }
    cJSON_Delete(nodes);
}

/* The SKUs of the products changed at Shopify since the last pass (q):
 * an edit of a product's own fields (title, status) moves the product's
 * updatedAt, not its variants', so the variants read alone miss it. */
static int read_products(syncd *sd, const catalog *cat, const char *q, own_set *s)
{
    set_fill f = {cat, s};
    return read_pages(sd, PRODUCTS_QUERY, PRODUCT_PAGE_COST, "products", q, take_products, &f);
}

/* The Shopify variants of the items read at Cin7 only, by SKU. */
static int fill_shopify(syncd *sd, const catalog *cat, own_set *s)
{
    size_t i = 0;
    while (i < s->n) {
        sbuf q = {0};
        size_t k = 0;
        for (; i < s->n && k < SKU_BATCH; i++) {
            if (s->it[i].sh || strchr(s->it[i].shop_sku, '\''))
                continue;
            sbuf_printf(&q, "%ssku:'%s'", k ? " OR " : "", s->it[i].shop_sku);
            k++;
        }
        int rc = k ? read_variants(sd, cat, sbuf_str(&q), s) : 0;
        sbuf_free(&q);
        if (rc)
            return -1;
    }
    return 0;
}

/* Cin7's product id as it is now (GET product?ID=), into *out (NULL when
 * Cin7 has none; the caller's). Returns 0, or -1 when it could not be
 * read. */
static int read_product(syncd *sd, const char *id, const char *sku, cJSON **out)
{
    *out = NULL;
    char *path = xasprintf("product?ID=%s&IncludeSuppliers=true&IncludeDeprecated=true", id);
    cJSON *doc = NULL;
    outcome oc;
    cin7_get_json(sd->c7, path, PRIO_BULK, &doc, &oc);
    free(path);
    if (!doc) {
        log_warn("ownership: cannot read Cin7's product %s: %s", sku, oc.error);
        outbound_done(&oc);
        return -1;
    }
    outbound_done(&oc);
    *out = cJSON_DetachItemFromArray(cJSON_GetObjectItemCaseSensitive(doc, "Products"), 0);
    cJSON_Delete(doc);
    return 0;
}

/* The Cin7 products of the items read at Shopify only: GET product?ID=
 * for each. */
static int fill_cin7(syncd *sd, const catalog *cat, own_set *s)
{
    for (size_t i = 0; i < s->n && !sd->stopping; i++) {
        if (s->it[i].c7)
            continue;
        const cin7_product *p = catalog_product(cat, s->it[i].sku);
        if (!p || !p->id)
            continue;
        cJSON *first = NULL;
        if (read_product(sd, p->id, s->it[i].sku, &first) != 0)
            return -1;
        if (first) {
            cJSON_AddItemToArray(s->keep, first);
            s->it[i].c7 = first;
        }
    }
    return 0;
}

/* ---- decisions ---------------------------------------------------------- */

/* A value to remember once the write that carries it went through. */
typedef struct {
    char *sku;
    own_field f;
    own_kind kind;
    char canon[OWNREAD_MAX];
} own_pending;

typedef struct {
    own_pending *p;
    size_t n, cap;
} pending_list;

/* What the writes of one pass are: per Shopify product, the variant
 * inputs and the product input; per Cin7 product, its PUT body. */
typedef struct {
    char *product_id;
    cJSON *variants;       /* [ProductVariantsBulkInput] */
    cJSON *product;        /* ProductUpdateInput or NULL */
    pending_list on_variants, on_product;
} shop_write;

typedef struct {
    shop_write *w;
    size_t n, cap;
} shop_writes;

static void pending_add(pending_list *l, const char *sku, own_field f, own_kind k,
                        const char *canon)
{
    XGROW(l->p, l->n, l->cap, 8);
    own_pending *p = &l->p[l->n++];
    p->sku = xstrdup(sku);
    p->f = f;
    p->kind = k;
    snprintf(p->canon, sizeof p->canon, "%s", canon);
}

static void pending_free(pending_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->p[i].sku);
    free(l->p);
}

static void remember(syncd *sd, const char *sku, own_field f, const char *canon)
{
    char *key = field_key(sku, f);
    if (store_kv_set(sd->st, key, canon) != 0)
        metrics_inc(sd->m, "syncd_store_errors_total", 1);
    free(key);
}

/* The writes of l went through: their values are agreed now, and
 * counted by what they were. */
static void settle(syncd *sd, const pending_list *l)
{
    static const char *const names[] = {
        [OWN_CARRY] = "syncd_product_fields_carried_total",
        [OWN_REVERT] = "syncd_product_fields_reverted_total",
        [OWN_CONFLICT] = "syncd_product_fields_conflicts_total",
    };
    for (size_t i = 0; i < l->n; i++) {
        remember(sd, l->p[i].sku, l->p[i].f, l->p[i].canon);
        metrics_inc(sd->m, names[l->p[i].kind], 1);
    }
}

/* The writes that failed: their SKUs are looked at again next pass (the
 * reads since then may not show them). */
static void again(ownsync *o, const pending_list *l, int64_t due)
{
    for (size_t i = 0; i < l->n; i++)
        mark(o, l->p[i].sku, due);
}

static shop_write *shop_write_of(shop_writes *ws, const char *product_id)
{
    for (size_t i = 0; i < ws->n; i++)
        if (strcmp(ws->w[i].product_id, product_id) == 0)
            return &ws->w[i];
    XGROW(ws->w, ws->n, ws->cap, 16);
    shop_write *w = &ws->w[ws->n++];
    memset(w, 0, sizeof *w);
    w->product_id = xstrdup(product_id);
    w->variants = cJSON_CreateArray();
    return w;
}

static void shop_writes_free(shop_writes *ws)
{
    for (size_t i = 0; i < ws->n; i++) {
        free(ws->w[i].product_id);
        cJSON_Delete(ws->w[i].variants);
        cJSON_Delete(ws->w[i].product);
        pending_free(&ws->w[i].on_variants);
        pending_free(&ws->w[i].on_product);
    }
    free(ws->w);
}

/* The fields of one SKU to write, decided. */
typedef struct {
    const char *to_c7[OWN_N_FIELDS], *to_sh[OWN_N_FIELDS];
    char c7buf[OWN_N_FIELDS][OWNREAD_MAX], shbuf[OWN_N_FIELDS][OWNREAD_MAX];
    pending_list c7, sh_variant, sh_product;
} sku_writes;

/* Field f of item it, decided: nothing, a value to remember, or a value to
 * write into w. */
static void decide_field(syncd *sd, const own_item *it, own_field f, const own_values *c,
                         const own_values *s, sku_writes *w)
{
    own_side owner = (own_side)sd->cfg.own_owner[f];
    char *key = field_key(it->sku, f);
    char *last = store_kv_get(sd->st, key);
    free(key);
    own_action a = own_decide(owner, c->known[f] ? c->v[f] : NULL, s->known[f] ? s->v[f] : NULL,
                              last);
    const char *mine = owner == OWN_CIN7 ? c->v[f] : s->v[f];
    const char *theirs = owner == OWN_CIN7 ? s->v[f] : c->v[f];
    if (a.kind == OWN_IN_STEP && (!last || strcmp(last, mine) != 0)) {
        /* Not waited on: a first pass over a large catalog agrees on most
         * fields, and one lost in a crash is found agreeing again (a later
         * edit is then carried as "first seen apart", the owner's value
         * all the same). */
        char *k = field_key(it->sku, f);
        store_kv_set_async(sd->st, k, mine);
        free(k);
    }
    if (a.kind == OWN_UNKNOWN || a.kind == OWN_IN_STEP) {
        free(last);
        return;
    }
    char *buf = a.write_to == OWN_CIN7 ? w->c7buf[f] : w->shbuf[f];
    if (own_render(f, a.write_to, mine, buf, OWNREAD_MAX) != 0) {
        /* The owner has no value to give (a Shopify item without a cost):
         * nothing is written over the other side. */
        log_debug("ownership: %s %s: the owner (%s) has no value to write", it->sku,
                  own_field_name(f), own_side_name(owner));
        free(last);
        return;
    }
    if (a.kind != OWN_CARRY)
        log_warn("ownership: %s %s: %s (%s has \"%s\", %s has \"%s\", last agreed \"%s\")",
                 it->sku, own_field_name(f), a.note, own_side_name(owner), mine,
                 own_side_name(a.write_to), theirs, last ? last : "");
    if (a.write_to == OWN_CIN7) {
        w->to_c7[f] = buf;
        pending_add(&w->c7, it->sku, f, a.kind, mine);
    } else {
        w->to_sh[f] = buf;
        pending_add(f == OWN_TITLE || f == OWN_STATUS ? &w->sh_product : &w->sh_variant, it->sku,
                    f, a.kind, mine);
    }
    free(last);
}

/* Moves the pending values of from to the end of to. */
static void pending_move(pending_list *to, pending_list *from)
{
    for (size_t i = 0; i < from->n; i++) {
        XGROW(to->p, to->n, to->cap, 8);
        to->p[to->n++] = from->p[i];
    }
    free(from->p);
    memset(from, 0, sizeof *from);
}

/* PUT product for one SKU with w's Cin7 fields. Cin7's PUT takes the
 * whole product (the reference does not say it keeps what is left out), so
 * the product is read again just before: the pass's read may be minutes
 * old, and sending it back would undo what purchasing saved since (a
 * barcode or cost edit of the owner's, lost for good). Cin7 has no
 * conditional write, so an edit saved between that read and the PUT is
 * still undone: both calls' permits are taken together, so the PUT leaves
 * as soon as the read is answered instead of queueing behind other work
 * in between (a second of simulated time, on three instances sharing the
 * budget, before this). Returns 0 when Cin7 took it. */
static int put_cin7(syncd *sd, const own_item *it, sku_writes *w)
{
    const char *id = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(it->c7, "ID"))
                         ? cJSON_GetObjectItemCaseSensitive(it->c7, "ID")->valuestring
                         : NULL;
    if (!id)
        return -1;
    if (cin7_reserve(sd->c7, PRIO_BULK, 2) != 0)
        log_debug("ownership: %s: the read and the PUT wait for the rate gate apart", it->sku);
    cJSON *now = NULL;
    if (read_product(sd, id, it->sku, &now) != 0 || !now) {
        outbound_reserve_drop();
        cJSON_Delete(now);
        return -1;
    }
    cJSON *body = ownread_cin7_put(now, w->to_c7, sd->cfg.own_price_tier,
                                   sd->cfg.own_compare_tier);
    if (!body && w->to_c7[OWN_COST]) {
        log_warn("ownership: %s cost: the Cin7 product has no supplier to carry it", it->sku);
        w->to_c7[OWN_COST] = NULL;
        body = ownread_cin7_put(now, w->to_c7, sd->cfg.own_price_tier,
                                sd->cfg.own_compare_tier);
    }
    cJSON_Delete(now);
    if (!body) {
        outbound_reserve_drop();
        return -1;
    }
    char *text = json_print(body);
    cJSON_Delete(body);
    outcome oc;
    cin7_call(sd->c7, "PUT", "product", text, PRIO_BULK, 1, &oc);
    outbound_reserve_drop();
    free(text);
    int ok = oc.action == POLICY_DONE;
    if (!ok) {
        log_warn("ownership: PUT product %s failed: %s", it->sku, oc.error);
        metrics_inc(sd->m, "syncd_product_writes_failed_total", 1);
    }
    outbound_done(&oc);
    return ok ? 0 : -1;
}

/* Decides every owned field of it, writes Cin7 at once and queues
 * Shopify's writes by product into ws. */
static void decide_item(ownsync *o, const own_item *it, shop_writes *ws, int64_t retry_at)
{
    syncd *sd = o->sd;
    own_values c, s;
    ownread_cin7(it->c7, sd->cfg.own_price_tier, sd->cfg.own_compare_tier, &c);
    ownread_shopify(it->sh, &s);
    int by_product = sd->cfg.own_owner[OWN_TITLE] >= 0 || sd->cfg.own_owner[OWN_STATUS] >= 0;
    if (by_product && !s.known[OWN_TITLE] && !s.known[OWN_STATUS] &&
        strmap_get(o->several, it->sku) < 0) {
        strmap_put(o->several, it->sku, 1);
        log_info("ownership: %s: its Shopify product has several variants; its title and status "
                 "are not synced (one Cin7 product per variant)",
                 it->sku);
    }
    sku_writes *w = xcalloc(1, sizeof *w);
    for (int f = 0; f < OWN_N_FIELDS; f++)
        if (sd->cfg.own_owner[f] >= 0)
            decide_field(sd, it, (own_field)f, &c, &s, w);
    if (w->c7.n) {
        if (put_cin7(sd, it, w) == 0)
            settle(sd, &w->c7);
        else
            again(o, &w->c7, retry_at);
    }
    const cJSON *vid = cJSON_GetObjectItemCaseSensitive(it->sh, "id");
    const cJSON *pid =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(it->sh, "product"), "id");
    if ((w->sh_variant.n || w->sh_product.n) && cJSON_IsString(vid) && cJSON_IsString(pid)) {
        shop_write *sw = shop_write_of(ws, pid->valuestring);
        cJSON *vin = ownread_variant_input(vid->valuestring, w->to_sh);
        if (vin)
            cJSON_AddItemToArray(sw->variants, vin);
        cJSON *pin = ownread_product_input(pid->valuestring, w->to_sh);
        if (pin) {
            cJSON_Delete(sw->product);
            sw->product = pin;
        }
        pending_move(&sw->on_variants, &w->sh_variant);
        pending_move(&sw->on_product, &w->sh_product);
    }
    pending_free(&w->c7);
    pending_free(&w->sh_variant);
    pending_free(&w->sh_product);
    free(w);
}

/* ---- Shopify writes ------------------------------------------------------- */

/* A mutation with variables (consumed); 0 when Shopify took it without
 * user errors. */
static int mutate(syncd *sd, const char *query, cJSON *vars, const char *root, const char *what)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "query", query);
    cJSON_AddItemToObject(body, "variables", vars);
    cJSON *data = NULL;
    outcome oc;
    shopify_graphql(sd->shops[0], body, MUTATION_COST, PRIO_BULK, &data, &oc);
    int ok = data != NULL;
    if (!ok)
        log_warn("ownership: %s failed: %s", what, oc.error);
    outbound_done(&oc);
    const cJSON *errs = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(data, root), "userErrors");
    if (ok && cJSON_GetArraySize(errs) > 0) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(errs, 0), "message");
        log_warn("ownership: %s refused: %s", what, cJSON_IsString(m) ? m->valuestring : "?");
        ok = 0;
    }
    cJSON_Delete(data);
    if (!ok)
        metrics_inc(sd->m, "syncd_product_writes_failed_total", 1);
    return ok ? 0 : -1;
}

static void write_shop(ownsync *o, shop_write *w, int64_t retry_at)
{
    syncd *sd = o->sd;
    if (cJSON_GetArraySize(w->variants) > 0) {
        cJSON *vars = cJSON_CreateObject();
        cJSON_AddStringToObject(vars, "productId", w->product_id);
        cJSON_AddItemToObject(vars, "variants", w->variants);
        w->variants = NULL;
        int rc = mutate(sd,
                        "mutation OwnVariants($productId: ID!, $variants: "
                        "[ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: "
                        "$productId, variants: $variants) { productVariants { id } userErrors { "
                        "field message code } } }",
                        vars, "productVariantsBulkUpdate", "productVariantsBulkUpdate");
        if (rc == 0)
            settle(sd, &w->on_variants);
        else
            again(o, &w->on_variants, retry_at);
    }
    if (w->product) {
        cJSON *vars = cJSON_CreateObject();
        cJSON_AddItemToObject(vars, "product", w->product);
        w->product = NULL;
        int rc = mutate(sd,
                        "mutation OwnProduct($product: ProductUpdateInput!) { productUpdate("
                        "product: $product) { product { id } userErrors { field message } } }",
                        vars, "productUpdate", "productUpdate");
        if (rc == 0)
            settle(sd, &w->on_product);
        else
            again(o, &w->on_product, retry_at);
    }
}

/* ---- the pass ------------------------------------------------------------- */

/* The SKUs marked since the last pass (taken). */
static char **take_marks(ownsync *o, size_t *n)
{
    pthread_mutex_lock(&o->lock);
    char **m = o->marked;
    *n = o->n_marked;
    o->marked = NULL;
    o->n_marked = o->cap_marked = 0;
    o->soon = -1;
    pthread_mutex_unlock(&o->lock);
    return m;
}

static void keep_since(syncd *sd, const char *key, int64_t epoch_ms)
{
    char iso[40];
    clock_format_iso(epoch_ms - OVERLAP_MS, 1, iso, sizeof iso);
    if (store_kv_set(sd->st, key, iso) != 0)
        metrics_inc(sd->m, "syncd_store_errors_total", 1);
}

/* One pass. Returns 0, or -1 when a side could not be read (the marks
 * are kept for the next try). */
static int pass(ownsync *o)
{
    syncd *sd = o->sd;
    const catalog *cat = syncd_catalog(sd);
    if (!cat)
        return -1;
    int64_t started = clock_epoch_ms(&sd->clk, clock_now_ms(&sd->clk));
    size_t n_marks;
    char **marks = take_marks(o, &n_marks);
    own_set s = {.keep = cJSON_CreateArray()};
    for (size_t i = 0; i < n_marks; i++)
        set_add(&s, marks[i], shop_sku_of(sd, marks[i]));
    int64_t newest = -1;
    char *shop_since = store_kv_get(sd->st, SHOPIFY_SINCE_KEY);
    char *q = shop_since ? xasprintf("updated_at:>='%s'", shop_since) : NULL;
    free(shop_since);
    int rc = read_cin7(sd, cat, &s, &newest);
    if (rc == 0)
        rc = read_variants(sd, cat, q, &s);
    if (rc == 0 && q)
        rc = read_products(sd, cat, q, &s);
    free(q);
    if (rc == 0)
        rc = fill_shopify(sd, cat, &s) || fill_cin7(sd, cat, &s) ? -1 : 0;
    int64_t retry_at = clock_now_ms(&sd->clk) + sd->cfg.own_poll_ms;
    if (rc == 0) {
        shop_writes ws = {0};
        for (size_t i = 0; i < s.n && !sd->stopping; i++)
            if (s.it[i].c7 && s.it[i].sh)
                decide_item(o, &s.it[i], &ws, retry_at);
        for (size_t i = 0; i < ws.n && !sd->stopping; i++)
            write_shop(o, &ws.w[i], retry_at);
        shop_writes_free(&ws);
        if (newest >= 0)
            keep_since(sd, CIN7_SINCE_KEY, newest);
        keep_since(sd, SHOPIFY_SINCE_KEY, started);
        metrics_inc(sd->m, "syncd_product_passes_total", 1);
    } else {
        for (size_t i = 0; i < n_marks; i++)
            mark(o, marks[i], clock_now_ms(&sd->clk) + FAILED_PASS_MS);
    }
    for (size_t i = 0; i < n_marks; i++)
        free(marks[i]);
    free(marks);
    set_free(&s);
    return rc;
}

static void *own_main(void *arg)
{
    ownsync *o = arg;
    syncd *sd = o->sd;
    int64_t next = -1;
    pthread_mutex_lock(&o->lock);
    while (!sd->stopping) {
        int64_t now = clock_now_ms(&sd->clk);
        /* One instance runs the passes: the one holding the schedule. */
        if (!sd->ready || !roles_held(sd->roles, ROLE_SCHEDULE, NULL)) {
            struct timespec ts;
            clock_deadline(&sd->clk, 1000, &ts);
            pthread_cond_timedwait(&o->cv, &o->lock, &ts);
            continue;
        }
        if (next < 0)
            next = now; /* the first pass at once: it learns where both sides stand */
        int due = now >= next || (o->soon >= 0 && now >= o->soon);
        if (!due) {
            int64_t wait = next - now;
            if (o->soon >= 0 && o->soon - now < wait)
                wait = o->soon - now;
            struct timespec ts;
            clock_deadline(&sd->clk, wait > 0 ? wait : 1, &ts);
            pthread_cond_timedwait(&o->cv, &o->lock, &ts);
            continue;
        }
        pthread_mutex_unlock(&o->lock);
        int rc = pass(o);
        now = clock_now_ms(&sd->clk);
        next = now + (rc == 0 || sd->cfg.own_poll_ms < FAILED_PASS_MS ? sd->cfg.own_poll_ms
                                                                       : FAILED_PASS_MS);
        pthread_mutex_lock(&o->lock);
    }
    pthread_mutex_unlock(&o->lock);
    httpc_thread_cleanup();
    return NULL;
}

ownsync *ownsync_start(syncd *sd)
{
    ownsync *o = xcalloc(1, sizeof *o);
    o->sd = sd;
    o->soon = -1;
    o->several = strmap_new(0);
    pthread_mutex_init(&o->lock, NULL);
    clock_cond_init(&o->cv);
    if (sd->cfg.ownership && sd->cfg.n_shops > 0) {
        /* Shown from the start, so a dashboard tells "none yet" from "off". */
        static const char *const shown[] = {
            "syncd_product_fields_carried_total", "syncd_product_fields_reverted_total",
            "syncd_product_fields_conflicts_total", "syncd_product_writes_failed_total",
            "syncd_product_passes_total"};
        for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
            metrics_inc(sd->m, shown[i], 0);
        if (pthread_create(&o->thread, NULL, own_main, o) != 0) {
            fprintf(stderr, "fatal: cannot start the ownership thread\n");
            abort();
        }
        o->running = 1;
    }
    return o;
}

void ownsync_stop(ownsync *o)
{
    if (!o)
        return;
    if (o->running) {
        pthread_mutex_lock(&o->lock);
        pthread_cond_broadcast(&o->cv);
        pthread_mutex_unlock(&o->lock);
        pthread_join(o->thread, NULL);
    }
    for (size_t i = 0; i < o->n_marked; i++)
        free(o->marked[i]);
    free(o->marked);
    strmap_free(o->several);
    pthread_mutex_destroy(&o->lock);
    pthread_cond_destroy(&o->cv);
    free(o);
}
