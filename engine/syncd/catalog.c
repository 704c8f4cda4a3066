/* Catalog loading and lookups; see catalog.h. Lookups are linear scans over
 * sorted arrays with binary search: catalogs are thousands of SKUs, loaded
 * once. */
#include "catalog.h"

#include "json.h"
#include "log.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *key;
    char *value;
} pair;

typedef struct {
    char *sku;    /* Cin7 SKU */
    int64_t item;
} item_ref;

typedef struct {
    item_ref *items; /* sorted by sku */
    size_t n_items;
    item_ref *by_item; /* the same, sorted by item */
    catalog_location *locs;
    size_t n_locs;
} shop_cat;

struct catalog {
    cin7_product *products; /* Cin7's, sorted by SKU */
    size_t n_products;
    pair *map; /* Shopify SKU -> Cin7 SKU, sorted */
    size_t n_map;
    char **skus; /* distinct Cin7 SKUs sold somewhere, sorted */
    size_t n_skus;
    shop_cat *shops;
    size_t n_shops;
    kit *kits; /* sold auto-assembled products, sorted by SKU; parts are the products' */
    size_t n_kits;
    size_t map_cap, sku_cap; /* room in map and skus while loading */
    char *sources; /* what it was built from, as JSON (catalog_sources) */
};

/* One shop's side of the sources: its variants and its location ids. */
typedef struct {
    shopify_variant *vars;
    size_t n_vars;
    int64_t *loc_ids;
    size_t n_ids;
} shop_src;

static void shop_srcs_free(shop_src *src, size_t n)
{
    if (!src)
        return;
    for (size_t s = 0; s < n; s++) {
        shopify_variants_free(src[s].vars, src[s].n_vars);
        free(src[s].loc_ids);
    }
    free(src);
}

static int cmp_pair(const void *a, const void *b)
{
    return strcmp(((const pair *)a)->key, ((const pair *)b)->key);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_item_sku(const void *a, const void *b)
{
    return strcmp(((const item_ref *)a)->sku, ((const item_ref *)b)->sku);
}

static int cmp_item_id(const void *a, const void *b)
{
    int64_t x = ((const item_ref *)a)->item, y = ((const item_ref *)b)->item;
    return x < y ? -1 : x > y;
}

static const char *explicit_map(const syncd_config *cfg, const char *sku)
{
    for (size_t i = 0; i < cfg->n_map; i++)
        if (strcmp(cfg->map_shopify[i], sku) == 0)
            return cfg->map_cin7[i];
    return NULL;
}

/* The Cin7 SKU a shop's variant SKU maps to (explicit pairs first, then
 * the same SKU when Cin7 has it), or NULL: unmapped, and orders naming it
 * go to the dead-letter queue. */
static const char *map_sku(const catalog *c, const syncd_config *cfg, const char *sku)
{
    const char *to = explicit_map(cfg, sku);
    if (!to && cfg->map_identity && catalog_product(c, sku))
        to = sku;
    return to;
}

/* The mapped variants of a shop: its items (by SKU and by item), and
 * their pairs and SKUs added to c's (sorted later). */
static void add_items(catalog *c, const syncd_config *cfg, shop_cat *sc, const shopify_variant *vars,
                      size_t n_vars)
{
    sc->items = xcalloc(n_vars + 1, sizeof *sc->items);
    for (size_t v = 0; v < n_vars; v++) {
        const char *to = map_sku(c, cfg, vars[v].sku);
        if (!to)
            continue;
        XGROW(c->map, c->n_map, c->map_cap, 64);
        c->map[c->n_map++] = (pair){xstrdup(vars[v].sku), xstrdup(to)};
        sc->items[sc->n_items++] = (item_ref){xstrdup(to), vars[v].inventory_item_id};
        XGROW(c->skus, c->n_skus, c->sku_cap, 64);
        c->skus[c->n_skus++] = xstrdup(to);
    }
    qsort(sc->items, sc->n_items, sizeof *sc->items, cmp_item_sku);
    sc->by_item = xcalloc(sc->n_items + 1, sizeof *sc->by_item);
    memcpy(sc->by_item, sc->items, sc->n_items * sizeof *sc->items);
    qsort(sc->by_item, sc->n_items, sizeof *sc->by_item, cmp_item_id);
}

/* A shop's locations and the Cin7 locations each shows, from its
 * configuration and its Shopify locations (loc_ids, n_ids). */
static void set_locations(shop_cat *sc, const syncd_config *cfg, const cfg_shop *cs,
                          const int64_t *loc_ids, size_t n_ids)
{
    if (cs->n_locations == 0) {
        /* The shop's first location shows every Cin7 location. */
        if (!n_ids)
            return;
        sc->locs = xcalloc(1, sizeof *sc->locs);
        sc->n_locs = 1;
        sc->locs[0].id = loc_ids[0];
        sc->locs[0].cin7 = xcalloc(cfg->n_locations, sizeof *sc->locs[0].cin7);
        for (size_t l = 0; l < cfg->n_locations; l++)
            sc->locs[0].cin7[l] = cfg->locations[l].name;
        sc->locs[0].n_cin7 = cfg->n_locations;
        return;
    }
    sc->locs = xcalloc(cs->n_locations, sizeof *sc->locs);
    for (size_t l = 0; l < cs->n_locations; l++) {
        const cfg_shop_location *sl = &cs->locations[l];
        catalog_location *cl = &sc->locs[sc->n_locs++];
        cl->id = sl->shopify_location_id ? sl->shopify_location_id : (n_ids ? loc_ids[0] : 0);
        cl->cin7 = xcalloc(sl->n_cin7, sizeof *cl->cin7);
        for (size_t k = 0; k < sl->n_cin7; k++)
            cl->cin7[k] = sl->cin7_locations[k];
        cl->n_cin7 = sl->n_cin7;
    }
}

/* Shop s's sources: its variants and its locations. Returns 0, or -1 with
 * out filled (what was read stays in src, freed by the caller). */
static int read_shop(shopify *sh, shop_src *src, outcome *out)
{
    shopify_variants(sh, &src->vars, &src->n_vars, out);
    if (out->action != POLICY_DONE)
        return -1;
    outbound_done(out);
    shopify_locations(sh, &src->loc_ids, &src->n_ids, out);
    if (out->action != POLICY_DONE)
        return -1;
    outbound_done(out);
    return 0;
}

/* Sorts the map and the SKU list and drops repeats: shops selling the same
 * SKU list it once. */
static void sort_unique(catalog *c)
{
    /* Empty lists may have no array at all (qsort and bsearch must not
     * see NULL, even with 0 items). */
    if (c->n_map)
        qsort(c->map, c->n_map, sizeof *c->map, cmp_pair);
    if (c->n_skus)
        qsort(c->skus, c->n_skus, sizeof *c->skus, cmp_str);
    size_t w = 0;
    for (size_t i = 0; i < c->n_skus; i++) {
        if (w && strcmp(c->skus[w - 1], c->skus[i]) == 0) {
            free(c->skus[i]);
            continue;
        }
        c->skus[w++] = c->skus[i];
    }
    c->n_skus = w;
    w = 0;
    for (size_t i = 0; i < c->n_map; i++) {
        if (w && strcmp(c->map[w - 1].key, c->map[i].key) == 0) {
            free(c->map[i].key);
            free(c->map[i].value);
            continue;
        }
        c->map[w++] = c->map[i];
    }
    c->n_map = w;
}

/* The sources as JSON: {"products":[{sku,id,name,bom?:[{sku,need}]}],
 * "shops":[{domain,
 * variants:[{sku,variant_id,item}], locations:[id]}]}. Malloc'd. */
static char *sources_json(const syncd_config *cfg, const cin7_product *products, size_t n,
                          const shop_src *src)
{
    cJSON *root = cJSON_CreateObject(), *ps = cJSON_AddArrayToObject(root, "products");
    for (size_t i = 0; i < n; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "sku", products[i].sku);
        cJSON_AddStringToObject(p, "id", products[i].id ? products[i].id : "");
        cJSON_AddStringToObject(p, "name", products[i].name ? products[i].name : "");
        if (products[i].auto_assembly) {
            cJSON *bom = cJSON_AddArrayToObject(p, "bom");
            for (size_t j = 0; j < products[i].n_bom; j++) {
                cJSON *l = cJSON_CreateObject();
                cJSON_AddStringToObject(l, "sku", products[i].bom[j].sku);
                cJSON_AddNumberToObject(l, "need", (double)products[i].bom[j].need);
                cJSON_AddItemToArray(bom, l);
            }
        }
        cJSON_AddItemToArray(ps, p);
    }
    cJSON *shops = cJSON_AddArrayToObject(root, "shops");
    for (size_t s = 0; s < cfg->n_shops; s++) {
        cJSON *sh = cJSON_CreateObject(), *vs = cJSON_AddArrayToObject(sh, "variants");
        cJSON_AddStringToObject(sh, "domain", cfg->shops[s].domain);
        for (size_t v = 0; v < src[s].n_vars; v++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "sku", src[s].vars[v].sku);
            cJSON_AddNumberToObject(o, "variant_id", (double)src[s].vars[v].variant_id);
            cJSON_AddNumberToObject(o, "item", (double)src[s].vars[v].inventory_item_id);
            cJSON_AddItemToArray(vs, o);
        }
        cJSON *ls = cJSON_AddArrayToObject(sh, "locations");
        for (size_t l = 0; l < src[s].n_ids; l++)
            cJSON_AddItemToArray(ls, cJSON_CreateNumber((double)src[s].loc_ids[l]));
        cJSON_AddItemToArray(shops, sh);
    }
    char *text = json_print(root);
    cJSON_Delete(root);
    return text;
}

/* The kits some shop sells, from the products (sorted by SKU, so the
 * kits come sorted too). */
static void add_kits(catalog *c)
{
    c->kits = xcalloc(c->n_products + 1, sizeof *c->kits);
    for (size_t i = 0; i < c->n_products; i++) {
        const cin7_product *p = &c->products[i];
        if (!p->auto_assembly || !p->n_bom)
            continue;
        if (!catalog_sells(c, p->sku))
            continue; /* no shop sells it */
        c->kits[c->n_kits++] = (kit){p->sku, p->bom, p->n_bom};
    }
}

/* Builds the catalog from its sources; takes products over (src stays the
 * caller's). */
static catalog *build(const syncd_config *cfg, cin7_product *products, size_t n_products,
                      const shop_src *src)
{
    catalog *c = xcalloc(1, sizeof *c);
    c->sources = sources_json(cfg, products, n_products, src);
    c->products = products;
    c->n_products = n_products;
    c->n_shops = cfg->n_shops;
    c->shops = xcalloc(cfg->n_shops, sizeof *c->shops);
    for (size_t s = 0; s < cfg->n_shops; s++) {
        shop_cat *sc = &c->shops[s];
        add_items(c, cfg, sc, src[s].vars, src[s].n_vars);
        set_locations(sc, cfg, &cfg->shops[s], src[s].loc_ids, src[s].n_ids);
    }
    sort_unique(c);
    add_kits(c);
    return c;
}

catalog *catalog_load(const syncd_config *cfg, cin7 *c7, shopify **shops, outcome *out)
{
    cin7_product *products = NULL;
    size_t n_cin7 = 0;
    shop_src *src = xcalloc(cfg->n_shops + 1, sizeof *src);
    catalog *c = NULL;
    /* A failed read leaves what it had read so far: freed below. */
    cin7_products(c7, &products, &n_cin7, out);
    if (out->action != POLICY_DONE)
        goto done;
    outbound_done(out);
    for (size_t s = 0; s < cfg->n_shops; s++)
        if (read_shop(shops[s], &src[s], out) != 0)
            goto done;
    c = build(cfg, products, n_cin7, src);
    products = NULL;
done:
    if (products)
        cin7_products_free(products, n_cin7);
    shop_srcs_free(src, cfg->n_shops);
    return c;
}

void catalog_log(const catalog *c, const syncd_config *cfg)
{
    for (size_t s = 0; s < c->n_shops && s < cfg->n_shops; s++)
        log_info("shop %s: %zu mapped SKUs, %zu locations", cfg->shops[s].domain,
                 c->shops[s].n_items, c->shops[s].n_locs);
}

const char *catalog_sources(const catalog *c)
{
    return c->sources;
}

/* Reads one shop of stored sources (at path) into src. Returns 0, or -1
 * with e naming the bad field. */
static int stored_shop(const cJSON *sh, const char *path, shop_src *src, json_err *e)
{
    const cJSON *vs = NULL, *ls = NULL, *v, *l;
    char list[160], at[176];
    if (json_get_arr(sh, path, "variants", JSON_REQUIRED, &vs, e) != 0 ||
        json_get_arr(sh, path, "locations", JSON_REQUIRED, &ls, e) != 0)
        return -1;
    src->vars = xcalloc((size_t)cJSON_GetArraySize(vs) + 1, sizeof *src->vars);
    cJSON_ArrayForEach(v, vs) {
        const char *sku = NULL;
        int64_t vid = 0, item = 0;
        json_path_key(list, sizeof list, path, "variants");
        json_path_index(at, sizeof at, list, src->n_vars);
        if (json_get_str(v, at, "sku", JSON_REQUIRED, &sku, e) != 0 ||
            json_get_int(v, at, "variant_id", JSON_REQUIRED, 0, INT64_MAX, &vid, e) != 0 ||
            json_get_int(v, at, "item", JSON_REQUIRED, 1, INT64_MAX, &item, e) != 0)
            return -1;
        src->vars[src->n_vars++] = (shopify_variant){xstrdup(sku), vid, item};
    }
    src->loc_ids = xcalloc((size_t)cJSON_GetArraySize(ls) + 1, sizeof *src->loc_ids);
    cJSON_ArrayForEach(l, ls) {
        int64_t id;
        if (!json_int53(l, &id) || id <= 0 || (double)id != l->valuedouble) {
            json_path_key(list, sizeof list, path, "locations");
            json_path_index(at, sizeof at, list, src->n_ids);
            return json_fail(e, at, "expected a location id, got %s", json_type_name(l));
        }
        src->loc_ids[src->n_ids++] = id;
    }
    return 0;
}

/* A stored product's bill of materials (sources of older syncd versions
 * have none): each part's SKU and need, in ten-thousandths. Returns 0, or
 * -1 with e. */
static int stored_bom(const cJSON *p, const char *path, cin7_product *pr, json_err *e)
{
    const cJSON *bom = NULL, *l;
    char list[96], at[112];
    if (json_get_arr(p, path, "bom", JSON_OPTIONAL, &bom, e) != 0)
        return -1;
    if (!bom || cJSON_GetArraySize(bom) == 0)
        return 0;
    pr->auto_assembly = 1;
    pr->bom = xcalloc((size_t)cJSON_GetArraySize(bom), sizeof *pr->bom);
    json_path_key(list, sizeof list, path, "bom");
    cJSON_ArrayForEach(l, bom)
    {
        const char *sku = NULL;
        int64_t need = 0;
        json_path_index(at, sizeof at, list, pr->n_bom);
        if (json_get_str(l, at, "sku", JSON_REQUIRED, &sku, e) != 0 ||
            json_get_int(l, at, "need", JSON_REQUIRED, 0, INT64_MAX, &need, e) != 0)
            return -1;
        pr->bom[pr->n_bom++] = (kit_part){xstrdup(sku), need};
    }
    return 0;
}

/* The stored products (malloc'd, *n of them), or NULL with e. */
static cin7_product *stored_products(const cJSON *root, size_t *n, json_err *e)
{
    const cJSON *ps = NULL, *p;
    if (json_get_arr(root, "$", "products", JSON_REQUIRED, &ps, e) != 0)
        return NULL;
    cin7_product *out = xcalloc((size_t)cJSON_GetArraySize(ps) + 1, sizeof *out);
    *n = 0;
    cJSON_ArrayForEach(p, ps) {
        const char *sku = NULL, *id = NULL, *name = NULL;
        char at[64];
        json_path_index(at, sizeof at, "$.products", *n);
        if (json_get_str(p, at, "sku", JSON_REQUIRED, &sku, e) != 0 ||
            json_get_str(p, at, "id", JSON_REQUIRED, &id, e) != 0 ||
            json_get_str(p, at, "name", JSON_REQUIRED, &name, e) != 0) {
            cin7_products_free(out, *n);
            return NULL;
        }
        out[*n] = (cin7_product){xstrdup(sku), xstrdup(id), xstrdup(name), NULL, 0, 0};
        if (stored_bom(p, at, &out[(*n)++], e) != 0) {
            cin7_products_free(out, *n);
            return NULL;
        }
    }
    return out;
}

/* Shop s of the configuration among the stored ones, read into src (they
 * are matched by domain: the configuration may list them in another order).
 * Returns 0, or -1 with e. */
static int stored_shop_of(const cJSON *shops, const syncd_config *cfg, size_t s, shop_src *src,
                          json_err *e)
{
    const cJSON *sh;
    size_t i = 0;
    cJSON_ArrayForEach(sh, shops) {
        const char *d = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sh, "domain"));
        if (d && strcmp(d, cfg->shops[s].domain) == 0) {
            char at[64];
            json_path_index(at, sizeof at, "$.shops", i);
            return stored_shop(sh, at, src, e);
        }
        i++;
    }
    return json_fail(e, "$.shops", "no shop %s", cfg->shops[s].domain);
}

catalog *catalog_from_sources(const syncd_config *cfg, const char *text, char *why, size_t whylen)
{
    json_err e = {{0}};
    cJSON *root = json_parse(text, strlen(text), &e);
    catalog *c = NULL;
    shop_src *src = xcalloc(cfg->n_shops + 1, sizeof *src);
    cin7_product *products = NULL;
    size_t n_products = 0;
    const cJSON *shops = NULL;
    if (!root || !(products = stored_products(root, &n_products, &e)) ||
        json_get_arr(root, "$", "shops", JSON_REQUIRED, &shops, &e) != 0)
        goto done;
    for (size_t s = 0; s < cfg->n_shops; s++)
        if (stored_shop_of(shops, cfg, s, &src[s], &e) != 0)
            goto done;
    c = build(cfg, products, n_products, src);
    products = NULL;
done:
    if (!c)
        snprintf(why, whylen, "%s", e.msg);
    if (products)
        cin7_products_free(products, n_products);
    shop_srcs_free(src, cfg->n_shops);
    cJSON_Delete(root);
    return c;
}

void catalog_free(catalog *c)
{
    if (!c)
        return;
    cin7_products_free(c->products, c->n_products);
    free(c->kits);
    free(c->sources);
    for (size_t i = 0; i < c->n_map; i++) {
        free(c->map[i].key);
        free(c->map[i].value);
    }
    free(c->map);
    for (size_t i = 0; i < c->n_skus; i++)
        free(c->skus[i]);
    free(c->skus);
    for (size_t s = 0; s < c->n_shops; s++) {
        for (size_t i = 0; i < c->shops[s].n_items; i++)
            free(c->shops[s].items[i].sku);
        free(c->shops[s].items);
        free(c->shops[s].by_item);
        for (size_t l = 0; l < c->shops[s].n_locs; l++)
            free(c->shops[s].locs[l].cin7);
        free(c->shops[s].locs);
    }
    free(c->shops);
    free(c);
}

const char *catalog_cin7_sku(const catalog *c, const char *shopify_sku)
{
    pair key = {(char *)shopify_sku, NULL};
    const pair *p = c->n_map ? bsearch(&key, c->map, c->n_map, sizeof *c->map, cmp_pair) : NULL;
    return p ? p->value : NULL;
}

static int cmp_product_sku(const void *key, const void *p)
{
    return strcmp((const char *)key, ((const cin7_product *)p)->sku);
}

const cin7_product *catalog_product(const catalog *c, const char *cin7_sku)
{
    if (!c->n_products)
        return NULL;
    return bsearch(cin7_sku, c->products, c->n_products, sizeof *c->products, cmp_product_sku);
}

const kit *catalog_kits(const catalog *c, size_t *n)
{
    *n = c->n_kits;
    return c->kits;
}

static int cmp_kit_sku(const void *key, const void *k)
{
    return strcmp((const char *)key, ((const kit *)k)->sku);
}

const kit *catalog_kit(const catalog *c, const char *cin7_sku)
{
    if (!c->n_kits)
        return NULL;
    return bsearch(cin7_sku, c->kits, c->n_kits, sizeof *c->kits, cmp_kit_sku);
}

int catalog_sells(const catalog *c, const char *cin7_sku)
{
    return c->n_skus && bsearch(&cin7_sku, c->skus, c->n_skus, sizeof *c->skus, cmp_str);
}

const char *const *catalog_skus(const catalog *c, size_t *n)
{
    *n = c->n_skus;
    return (const char *const *)c->skus;
}

int64_t catalog_item(const catalog *c, size_t shop, const char *cin7_sku)
{
    if (shop >= c->n_shops)
        return 0;
    const shop_cat *sc = &c->shops[shop];
    item_ref key = {(char *)cin7_sku, 0};
    const item_ref *r = bsearch(&key, sc->items, sc->n_items, sizeof *sc->items, cmp_item_sku);
    return r ? r->item : 0;
}

const char *catalog_sku_of_item(const catalog *c, size_t shop, int64_t item)
{
    if (shop >= c->n_shops)
        return NULL;
    const shop_cat *sc = &c->shops[shop];
    item_ref key = {NULL, item};
    const item_ref *r = bsearch(&key, sc->by_item, sc->n_items, sizeof *sc->by_item, cmp_item_id);
    return r ? r->sku : NULL;
}

const catalog_location *catalog_locations(const catalog *c, size_t shop, size_t *n)
{
    if (shop >= c->n_shops) {
        *n = 0;
        return NULL;
    }
    *n = c->shops[shop].n_locs;
    return c->shops[shop].locs;
}
