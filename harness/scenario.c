/* Scenario loading and checking; see scenario.h. */
#include "scenario.h"

#include "clock.h"
#include "faults.h"
#include "mem.h"
#include "replay.h"
#include "sbuf.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SCENARIO_BYTES (16 * 1024 * 1024)

static char *dup_str(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* Iterates the elements `it` of a JSON array with their index `i` and their
 * JSON path `p` ("$.demand[3]"). The body may `continue` or `return`, not
 * `break` (it would only leave the innermost of the three loops). */
#define EACH(arr, path, i, p, it)                                                          \
    for (size_t i = 0, i##_n = (size_t)cJSON_GetArraySize(arr); i < i##_n; i++)           \
        for (const cJSON *it = cJSON_GetArrayItem(arr, (int)i); it; it = NULL)            \
            for (char p[160], *p##_once = (json_path_index(p, sizeof p, path, i), p);      \
                 p##_once; p##_once = NULL)

/* ---- catalog ----------------------------------------------------------------- */

static int find_supplier(const scenario *s, const char *name)
{
    for (size_t i = 0; i < s->n_suppliers; i++)
        if (strcmp(s->suppliers[i].name, name) == 0)
            return (int)i;
    return -1;
}

int scenario_sku_index(const scenario *s, const char *sku)
{
    for (size_t i = 0; i < s->n_skus; i++)
        if (strcmp(s->skus[i].sku, sku) == 0)
            return (int)i;
    return -1;
}

int scenario_sku_by_shopify(const scenario *s, const char *sku)
{
    for (size_t i = 0; i < s->n_skus; i++)
        if (strcmp(s->skus[i].shopify_sku, sku) == 0)
            return (int)i;
    return -1;
}

static int read_suppliers(const cJSON *root, scenario *s, json_err *e)
{
    static const char *const keys[] = {"name", "lead_time", "moq", "pack", "currency", NULL};
    const cJSON *arr = NULL;
    if (json_get_arr(root, "$", "suppliers", JSON_OPTIONAL, &arr, e))
        return -1;
    if (!arr)
        return 0;
    s->suppliers = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof *s->suppliers);
    EACH(arr, "$.suppliers", i, p, it)
    {
        sc_supplier *su = &s->suppliers[s->n_suppliers++];
        su->lead_ms = 7 * 86400000LL;
        su->moq = 1;
        su->pack = 1;
        if (json_only_keys(it, p, keys, e) ||
            json_get_strdup(it, p, "name", JSON_REQUIRED, NULL, &su->name, e) ||
            json_get_duration(it, p, "lead_time", JSON_OPTIONAL, &su->lead_ms, e) ||
            json_get_int(it, p, "moq", JSON_OPTIONAL, 1, 100000000, &su->moq, e) ||
            json_get_int(it, p, "pack", JSON_OPTIONAL, 1, 100000000, &su->pack, e) ||
            json_get_strdup(it, p, "currency", JSON_OPTIONAL, "USD", &su->currency, e))
            return -1;
        if (find_supplier(s, su->name) != (int)s->n_suppliers - 1)
            return json_fail(e, p, "supplier \"%s\" is listed twice", su->name);
    }
    return 0;
}

/* ---- kits -------------------------------------------------------------------- */

/* One kit's bill of materials at path: 1 ... SCENARIO_MAX_BOM parts
 * {sku, qty}, each another SKU of the catalog, once. Quantities are whole
 * units: Cin7 takes 4 decimals, but the harness counts units whole. */
static int read_bom(const cJSON *arr, const char *path, scenario *s, size_t kit, json_err *e)
{
    static const char *const keys[] = {"sku", "qty", NULL};
    sc_sku *k = &s->skus[kit];
    int n = cJSON_GetArraySize(arr);
    if (n < 1 || n > SCENARIO_MAX_BOM)
        return json_fail(e, path, "expected 1 to %d components, got %d", SCENARIO_MAX_BOM, n);
    k->bom = xcalloc((size_t)n, sizeof *k->bom);
    EACH(arr, path, i, p, it)
    {
        sc_bom_part *part = &k->bom[k->n_bom++];
        const char *sku = NULL;
        if (json_only_keys(it, p, keys, e) || json_get_str(it, p, "sku", JSON_REQUIRED, &sku, e) ||
            json_get_int(it, p, "qty", JSON_REQUIRED, 1, SCENARIO_MAX_BOM_QTY, &part->qty, e))
            return -1;
        char sp[200];
        json_path_key(sp, sizeof sp, p, "sku");
        part->sku = scenario_sku_index(s, sku);
        if (part->sku < 0)
            return json_fail(e, sp, "\"%s\" is not in the catalog", sku);
        if ((size_t)part->sku == kit)
            return json_fail(e, sp, "\"%s\" is the kit itself", sku);
        for (size_t j = 0; j + 1 < k->n_bom; j++)
            if (k->bom[j].sku == part->sku)
                return json_fail(e, sp, "\"%s\" is listed twice in this bom", sku);
    }
    return 0;
}

/* The kits among the listed SKUs (generated ones never are), once every
 * SKU is known: a component may come later in the list or be generated.
 * A kit is bought as its components, so it names no supplier; and a
 * component is no kit itself (one level, as mock-cin7 models it). */
static int read_kits(const cJSON *list, scenario *s, json_err *e)
{
    EACH(list, "$.catalog.skus", i, p, it)
    {
        const cJSON *bom = NULL;
        if (json_get_arr(it, p, "bom", JSON_OPTIONAL, &bom, e))
            return -1;
        if (!bom)
            continue;
        char fp[200];
        if (s->skus[i].supplier) {
            json_path_key(fp, sizeof fp, p, "supplier");
            return json_fail(e, fp, "a kit has no supplier (it is bought as its components)");
        }
        json_path_key(fp, sizeof fp, p, "bom");
        if (read_bom(bom, fp, s, i, e))
            return -1;
    }
    EACH(list, "$.catalog.skus", i, p, it)
    {
        const sc_sku *k = &s->skus[i];
        for (size_t j = 0; j < k->n_bom; j++) {
            const sc_sku *c = &s->skus[k->bom[j].sku];
            if (!c->n_bom)
                continue;
            char bp[200], cp[220], sp[240];
            json_path_key(bp, sizeof bp, p, "bom");
            json_path_index(cp, sizeof cp, bp, j);
            json_path_key(sp, sizeof sp, cp, "sku");
            return json_fail(e, sp, "\"%s\" is a kit itself (a component has no bom: one level, "
                             "as mock-cin7 models)", c->sku);
        }
    }
    return 0;
}

/* "skus": a list of objects, or {"count": N, "prefix": "HOT-", ...} to make N. */
static int read_catalog(const cJSON *root, scenario *s, json_err *e)
{
    static const char *const keys[] = {"skus", "generate", "mismatch_rate", NULL};
    static const char *const sku_keys[] = {"sku", "shopify_sku", "price", "supplier", "bom", NULL};
    static const char *const gen_keys[] = {"count", "prefix", "price", "supplier", "digits", NULL};
    const cJSON *cat = NULL, *list = NULL, *gen = NULL;
    if (json_get_obj(root, "$", "catalog", JSON_REQUIRED, &cat, e) ||
        json_only_keys(cat, "$.catalog", keys, e) ||
        json_get_arr(cat, "$.catalog", "skus", JSON_OPTIONAL, &list, e) ||
        json_get_obj(cat, "$.catalog", "generate", JSON_OPTIONAL, &gen, e))
        return -1;
    double mismatch = 0;
    if (json_get_num(cat, "$.catalog", "mismatch_rate", JSON_OPTIONAL, 0, 1, &mismatch, e))
        return -1;
    size_t cap = (list ? (size_t)cJSON_GetArraySize(list) : 0);
    int64_t count = 0, digits = 3;
    double price = 25;
    const char *prefix = "SKU-", *gen_supplier = NULL;
    if (gen && (json_only_keys(gen, "$.catalog.generate", gen_keys, e) ||
                json_get_int(gen, "$.catalog.generate", "count", JSON_REQUIRED, 1, 100000, &count, e) ||
                json_get_str(gen, "$.catalog.generate", "prefix", JSON_OPTIONAL, &prefix, e) ||
                json_get_num(gen, "$.catalog.generate", "price", JSON_OPTIONAL, 0, 1e9, &price, e) ||
                json_get_str(gen, "$.catalog.generate", "supplier", JSON_OPTIONAL, &gen_supplier, e) ||
                json_get_int(gen, "$.catalog.generate", "digits", JSON_OPTIONAL, 1, 12, &digits, e)))
        return -1;
    cap += (size_t)count;
    if (cap == 0)
        return json_fail(e, "$.catalog", "give \"skus\" or \"generate\" (at least one SKU)");
    s->skus = xcalloc(cap, sizeof *s->skus);
    if (list)
        EACH(list, "$.catalog.skus", i, p, it)
        {
            sc_sku *k = &s->skus[s->n_skus++];
            k->price = 25;
            k->reorder_point = -1;
            if (json_only_keys(it, p, sku_keys, e) ||
                json_get_strdup(it, p, "sku", JSON_REQUIRED, NULL, &k->sku, e) ||
                json_get_strdup(it, p, "shopify_sku", JSON_OPTIONAL, k->sku, &k->shopify_sku, e) ||
                json_get_num(it, p, "price", JSON_OPTIONAL, 0, 1e9, &k->price, e) ||
                json_get_strdup(it, p, "supplier", JSON_OPTIONAL, NULL, &k->supplier, e))
                return -1;
            if (k->supplier && find_supplier(s, k->supplier) < 0) {
                char sp[200];
                json_path_key(sp, sizeof sp, p, "supplier");
                return json_fail(e, sp, "\"%s\" is not in $.suppliers", k->supplier);
            }
        }
    for (int64_t i = 0; i < count; i++) {
        sc_sku *k = &s->skus[s->n_skus++];
        k->sku = xasprintf("%s%0*lld", prefix, (int)digits, (long long)(i + 1));
        k->shopify_sku = xstrdup(k->sku);
        k->price = price;
        k->supplier = dup_str(gen_supplier);
        k->reorder_point = -1;
        if (k->supplier && find_supplier(s, k->supplier) < 0)
            return json_fail(e, "$.catalog.generate.supplier", "\"%s\" is not in $.suppliers",
                             k->supplier);
    }
    for (size_t i = 0; i < s->n_skus; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->skus[i].sku, s->skus[j].sku) == 0)
                return json_fail(e, "$.catalog", "SKU \"%s\" is listed twice", s->skus[i].sku);
    /* A mismatch rate renames that share of Shopify SKUs (every k-th one, so
     * the same scenario mismatches the same SKUs): lower case, as happens when
     * a catalog is keyed in by hand. */
    if (mismatch > 0) {
        size_t every = (size_t)(1.0 / mismatch + 0.5);
        if (every < 1)
            every = 1;
        for (size_t i = every - 1; i < s->n_skus; i += every) {
            sc_sku *k = &s->skus[i];
            if (strcmp(k->sku, k->shopify_sku) != 0)
                continue;
            for (char *c = k->shopify_sku; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        }
    }
    return list ? read_kits(list, s, e) : 0;
}

static int read_warehouses(const cJSON *root, scenario *s, json_err *e)
{
    static const char *const keys[] = {"name", "lat", "lon", "priority", NULL};
    const cJSON *arr = NULL;
    if (json_get_arr(root, "$", "warehouses", JSON_REQUIRED, &arr, e))
        return -1;
    if (cJSON_GetArraySize(arr) == 0)
        return json_fail(e, "$.warehouses", "at least one warehouse is needed");
    s->warehouses = xcalloc((size_t)cJSON_GetArraySize(arr), sizeof *s->warehouses);
    EACH(arr, "$.warehouses", i, p, it)
    {
        sc_warehouse *w = &s->warehouses[s->n_warehouses++];
        double lat = 1000, lon = 1000;
        int64_t prio = (int64_t)s->n_warehouses;
        if (json_only_keys(it, p, keys, e) ||
            json_get_strdup(it, p, "name", JSON_REQUIRED, NULL, &w->name, e) ||
            json_get_num(it, p, "lat", JSON_OPTIONAL, -90, 90, &lat, e) ||
            json_get_num(it, p, "lon", JSON_OPTIONAL, -180, 180, &lon, e) ||
            json_get_int(it, p, "priority", JSON_OPTIONAL, -1000000, 1000000, &prio, e))
            return -1;
        if ((lat == 1000) != (lon == 1000))
            return json_fail(e, p, "give both lat and lon, or neither");
        w->has_coords = lat != 1000;
        w->lat = w->has_coords ? lat : 0;
        w->lon = w->has_coords ? lon : 0;
        w->priority = (int)prio;
        for (size_t k = 0; k + 1 < s->n_warehouses; k++)
            if (strcmp(s->warehouses[k].name, w->name) == 0)
                return json_fail(e, p, "warehouse \"%s\" is listed twice", w->name);
    }
    return 0;
}

static int read_shops(const cJSON *root, scenario *s, json_err *e)
{
    static const char *const keys[] = {"domain", "plan", "token", "secret", NULL};
    const cJSON *arr = NULL;
    if (json_get_arr(root, "$", "shops", JSON_REQUIRED, &arr, e))
        return -1;
    if (cJSON_GetArraySize(arr) == 0)
        return json_fail(e, "$.shops", "at least one shop is needed");
    s->shops = xcalloc((size_t)cJSON_GetArraySize(arr), sizeof *s->shops);
    EACH(arr, "$.shops", i, p, it)
    {
        sc_shop *sh = &s->shops[s->n_shops++];
        if (json_only_keys(it, p, keys, e) ||
            json_get_strdup(it, p, "domain", JSON_REQUIRED, NULL, &sh->domain, e) ||
            json_get_strdup(it, p, "plan", JSON_OPTIONAL, "plus", &sh->plan, e))
            return -1;
        char tok[160], sec[160];
        snprintf(tok, sizeof tok, "shpat_surge_%zu", i);
        snprintf(sec, sizeof sec, "surge-secret-%zu", i);
        if (json_get_strdup(it, p, "token", JSON_OPTIONAL, tok, &sh->token, e) ||
            json_get_strdup(it, p, "secret", JSON_OPTIONAL, sec, &sh->secret, e))
            return -1;
        static const char *const plans[] = {"standard", "advanced", "plus", "enterprise"};
        int known = 0;
        for (size_t k = 0; k < 4; k++)
            known |= strcmp(plans[k], sh->plan) == 0;
        if (!known) {
            char pp[200];
            json_path_key(pp, sizeof pp, p, "plan");
            return json_fail(e, pp, "unknown plan \"%s\" (known: standard, advanced, plus, enterprise)",
                             sh->plan);
        }
        for (size_t k = 0; k + 1 < s->n_shops; k++)
            if (strcmp(s->shops[k].domain, sh->domain) == 0)
                return json_fail(e, p, "shop \"%s\" is listed twice", sh->domain);
    }
    return 0;
}

static int read_stock(const cJSON *root, scenario *s, json_err *e)
{
    static const char *const keys[] = {"sku", "warehouse", "on_hand", NULL};
    const cJSON *arr = NULL;
    if (json_get_arr(root, "$", "stock", JSON_OPTIONAL, &arr, e))
        return -1;
    if (!arr)
        return 0;
    s->stock = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof *s->stock);
    EACH(arr, "$.stock", i, p, it)
    {
        sc_stock *st = &s->stock[s->n_stock++];
        if (json_only_keys(it, p, keys, e) ||
            json_get_strdup(it, p, "sku", JSON_OPTIONAL, "*", &st->sku, e) ||
            json_get_strdup(it, p, "warehouse", JSON_OPTIONAL, "*", &st->warehouse, e) ||
            json_get_int(it, p, "on_hand", JSON_REQUIRED, 0, 1000000000, &st->on_hand, e))
            return -1;
        int sku_hit = 0, kit_hit = 0, wh_hit = 0;
        for (size_t k = 0; k < s->n_skus; k++) {
            int hit = fnmatch(st->sku, s->skus[k].sku, 0) == 0;
            sku_hit |= hit && !s->skus[k].n_bom;
            kit_hit |= hit && s->skus[k].n_bom;
        }
        for (size_t k = 0; k < s->n_warehouses; k++)
            wh_hit |= fnmatch(st->warehouse, s->warehouses[k].name, 0) == 0;
        if (!sku_hit && kit_hit) {
            char fp[200];
            json_path_key(fp, sizeof fp, p, "sku");
            return json_fail(e, fp, "\"%s\" matches only kits, which hold no stock of their own "
                             "(their components do)", st->sku);
        }
        if (!sku_hit || !wh_hit) {
            char fp[200];
            json_path_key(fp, sizeof fp, p, sku_hit ? "warehouse" : "sku");
            return json_fail(e, fp, "\"%s\" matches no %s", sku_hit ? st->warehouse : st->sku,
                             sku_hit ? "warehouse" : "SKU");
        }
    }
    return 0;
}

int64_t scenario_on_hand(const scenario *s, size_t sku, size_t warehouse)
{
    int64_t v = 0;
    if (s->skus[sku].n_bom)
        return 0; /* a kit is kept as its components */
    for (size_t i = 0; i < s->n_stock; i++)
        if (fnmatch(s->stock[i].sku, s->skus[sku].sku, 0) == 0 &&
            fnmatch(s->stock[i].warehouse, s->warehouses[warehouse].name, 0) == 0)
            v = s->stock[i].on_hand;
    return v;
}

/* ---- demand ---------------------------------------------------------------- */

static int read_window(const cJSON *o, const char *path, int64_t dflt_len, int64_t *at,
                       int64_t *len, json_err *e)
{
    static const char *const keys[] = {"at", "for", NULL};
    const cJSON *w = NULL;
    *at = 0;
    *len = dflt_len;
    if (json_get_obj(o, path, "window", JSON_OPTIONAL, &w, e))
        return -1;
    if (!w)
        return 0;
    char p[200];
    json_path_key(p, sizeof p, path, "window");
    return json_only_keys(w, p, keys, e) || json_get_duration(w, p, "at", JSON_OPTIONAL, at, e) ||
                   json_get_duration(w, p, "for", JSON_OPTIONAL, len, e)
               ? -1
               : 0;
}

static int sku_list(scenario *s, const cJSON *arr, const char *path, int **out, size_t *n,
                    json_err *e)
{
    *out = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof **out);
    *n = 0;
    EACH(arr, path, i, p, it)
    {
        if (!cJSON_IsString(it))
            return json_fail(e, p, "expected a SKU (a string), got %s", json_type_name(it));
        int k = scenario_sku_index(s, it->valuestring);
        if (k < 0)
            return json_fail(e, p, "\"%s\" is not in the catalog", it->valuestring);
        (*out)[(*n)++] = k;
    }
    return 0;
}

static int read_mix(scenario *s, const cJSON *o, const char *path, sc_stream *st, json_err *e)
{
    static const char *const keys[] = {"mix", "zipf_s", "hot", "hot_share", "only", NULL};
    const cJSON *m = NULL;
    st->mix = MIX_UNIFORM;
    st->zipf_s = 1.1;
    st->hot_share = 0.8;
    if (json_get_obj(o, path, "skus", JSON_OPTIONAL, &m, e))
        return -1;
    if (!m)
        return 0;
    char p[200];
    json_path_key(p, sizeof p, path, "skus");
    const char *mix = "uniform";
    const cJSON *hot = NULL, *only = NULL;
    if (json_only_keys(m, p, keys, e) || json_get_str(m, p, "mix", JSON_OPTIONAL, &mix, e) ||
        json_get_num(m, p, "zipf_s", JSON_OPTIONAL, 0.01, 10, &st->zipf_s, e) ||
        json_get_num(m, p, "hot_share", JSON_OPTIONAL, 0, 1, &st->hot_share, e) ||
        json_get_arr(m, p, "hot", JSON_OPTIONAL, &hot, e) ||
        json_get_arr(m, p, "only", JSON_OPTIONAL, &only, e))
        return -1;
    if (strcmp(mix, "uniform") == 0)
        st->mix = MIX_UNIFORM;
    else if (strcmp(mix, "zipf") == 0)
        st->mix = MIX_ZIPF;
    else if (strcmp(mix, "hot") == 0)
        st->mix = MIX_HOT;
    else {
        char mp[240];
        json_path_key(mp, sizeof mp, p, "mix");
        return json_fail(e, mp, "unknown mix \"%s\" (known: uniform, zipf, hot)", mix);
    }
    char lp[240];
    if (only) {
        json_path_key(lp, sizeof lp, p, "only");
        if (sku_list(s, only, lp, &st->skus, &st->n_skus, e))
            return -1;
    }
    if (hot) {
        json_path_key(lp, sizeof lp, p, "hot");
        if (sku_list(s, hot, lp, &st->hot, &st->n_hot, e))
            return -1;
    }
    if (st->mix == MIX_HOT && st->n_hot == 0) {
        json_path_key(lp, sizeof lp, p, "hot");
        return json_fail(e, lp, "mix \"hot\" needs a list of hot SKUs");
    }
    return 0;
}

static int read_regions(const cJSON *o, const char *path, sc_stream *st, json_err *e)
{
    static const char *const keys[] = {"country", "postcode", "lat", "lon", "weight", NULL};
    const cJSON *arr = NULL;
    if (json_get_arr(o, path, "regions", JSON_OPTIONAL, &arr, e))
        return -1;
    if (!arr)
        return 0;
    char ap[200];
    json_path_key(ap, sizeof ap, path, "regions");
    st->regions = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof *st->regions);
    EACH(arr, ap, i, p, it)
    {
        sc_region *r = &st->regions[st->n_regions++];
        double lat = 1000, lon = 1000;
        r->weight = 1;
        if (json_only_keys(it, p, keys, e) ||
            json_get_strdup(it, p, "country", JSON_REQUIRED, NULL, &r->country, e) ||
            json_get_strdup(it, p, "postcode", JSON_OPTIONAL, "", &r->postcode, e) ||
            json_get_num(it, p, "lat", JSON_OPTIONAL, -90, 90, &lat, e) ||
            json_get_num(it, p, "lon", JSON_OPTIONAL, -180, 180, &lon, e) ||
            json_get_num(it, p, "weight", JSON_OPTIONAL, 0, 1e9, &r->weight, e))
            return -1;
        if ((lat == 1000) != (lon == 1000))
            return json_fail(e, p, "give both lat and lon, or neither");
        r->has_coords = lat != 1000;
        r->lat = r->has_coords ? lat : 0;
        r->lon = r->has_coords ? lon : 0;
    }
    return 0;
}

static int read_streams(const cJSON *root, const char *dir, scenario *s, json_err *e)
{
    static const char *const keys[] = {"name", "channel", "shop", "warehouse", "shape", "rate",
                                       "rate_to", "window", "spike", "replay", "skus", "qty",
                                       "lines", "regions", NULL};
    const cJSON *arr = NULL;
    if (json_get_arr(root, "$", "demand", JSON_REQUIRED, &arr, e))
        return -1;
    s->streams = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof *s->streams);
    EACH(arr, "$.demand", i, p, it)
    {
        sc_stream *st = &s->streams[s->n_streams++];
        const char *shape = "constant", *shop = NULL, *wh = NULL;
        char def_name[32];
        snprintf(def_name, sizeof def_name, "stream-%zu", i + 1);
        st->qty_min = st->qty_max = 1;
        st->lines_min = st->lines_max = 1;
        st->shop = -1;
        st->warehouse = -1;
        const cJSON *spike = NULL, *replay = NULL, *qty = NULL, *lines = NULL;
        if (json_only_keys(it, p, keys, e) ||
            json_get_strdup(it, p, "name", JSON_OPTIONAL, def_name, &st->name, e) ||
            json_get_strdup(it, p, "channel", JSON_OPTIONAL, "shopify", &st->channel, e) ||
            json_get_str(it, p, "shop", JSON_OPTIONAL, &shop, e) ||
            json_get_str(it, p, "warehouse", JSON_OPTIONAL, &wh, e) ||
            json_get_str(it, p, "shape", JSON_OPTIONAL, &shape, e) ||
            json_get_num(it, p, "rate", JSON_OPTIONAL, 0, 1e6, &st->rate, e) ||
            json_get_num(it, p, "rate_to", JSON_OPTIONAL, 0, 1e6, &st->rate_to, e) ||
            read_window(it, p, s->duration_ms, &st->at, &st->len, e) ||
            json_get_obj(it, p, "spike", JSON_OPTIONAL, &spike, e) ||
            json_get_obj(it, p, "replay", JSON_OPTIONAL, &replay, e) ||
            json_get_obj(it, p, "qty", JSON_OPTIONAL, &qty, e) ||
            json_get_obj(it, p, "lines", JSON_OPTIONAL, &lines, e) || read_mix(s, it, p, st, e) ||
            read_regions(it, p, st, e))
            return -1;
        char fp[240];
        if (shop) {
            for (size_t k = 0; k < s->n_shops; k++)
                if (strcmp(s->shops[k].domain, shop) == 0)
                    st->shop = (int)k;
            if (st->shop < 0) {
                json_path_key(fp, sizeof fp, p, "shop");
                return json_fail(e, fp, "\"%s\" is not in $.shops", shop);
            }
        }
        if (wh) {
            for (size_t k = 0; k < s->n_warehouses; k++)
                if (strcmp(s->warehouses[k].name, wh) == 0)
                    st->warehouse = (int)k;
            if (st->warehouse < 0) {
                json_path_key(fp, sizeof fp, p, "warehouse");
                return json_fail(e, fp, "\"%s\" is not in $.warehouses", wh);
            }
        }
        static const struct {
            const char *name;
            sc_shape shape;
        } shapes[] = {{"constant", SHAPE_CONSTANT}, {"poisson", SHAPE_POISSON},
                      {"ramp", SHAPE_RAMP},         {"spike", SHAPE_SPIKE},
                      {"replay", SHAPE_REPLAY}};
        int found = 0;
        for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
            if (strcmp(shapes[k].name, shape) == 0) {
                st->shape = shapes[k].shape;
                found = 1;
            }
        if (!found) {
            json_path_key(fp, sizeof fp, p, "shape");
            return json_fail(e, fp, "unknown shape \"%s\" (known: constant, poisson, ramp, spike, replay)",
                             shape);
        }
        if (st->shape != SHAPE_REPLAY && !(st->rate > 0)) {
            json_path_key(fp, sizeof fp, p, "rate");
            return json_fail(e, fp, "shape \"%s\" needs a rate (orders per second) above 0", shape);
        }
        if (st->shape == SHAPE_RAMP && !cJSON_GetObjectItemCaseSensitive(it, "rate_to")) {
            json_path_key(fp, sizeof fp, p, "rate_to");
            return json_fail(e, fp, "shape \"ramp\" needs rate_to, the rate at the window's end");
        }
        if (st->shape == SHAPE_SPIKE) {
            static const char *const spike_keys[] = {"at", "for", "factor", NULL};
            json_path_key(fp, sizeof fp, p, "spike");
            if (!spike)
                return json_fail(e, fp, "shape \"spike\" needs spike {at, for, factor}");
            st->spike_factor = 10;
            if (json_only_keys(spike, fp, spike_keys, e) ||
                json_get_duration(spike, fp, "at", JSON_REQUIRED, &st->spike_at, e) ||
                json_get_duration(spike, fp, "for", JSON_REQUIRED, &st->spike_len, e) ||
                json_get_num(spike, fp, "factor", JSON_OPTIONAL, 0, 1e6, &st->spike_factor, e))
                return -1;
        }
        if (st->shape == SHAPE_REPLAY) {
            json_path_key(fp, sizeof fp, p, "replay");
            if (!replay)
                return json_fail(e, fp, "shape \"replay\" needs replay {file, speed, format}");
            if (replay_load(replay, fp, dir, s, st, e))
                return -1;
        }
        static const char *const range_keys[] = {"min", "max", NULL};
        if (qty) {
            json_path_key(fp, sizeof fp, p, "qty");
            if (json_only_keys(qty, fp, range_keys, e) ||
                json_get_int(qty, fp, "min", JSON_OPTIONAL, 1, 1000000, &st->qty_min, e) ||
                json_get_int(qty, fp, "max", JSON_OPTIONAL, 1, 1000000, &st->qty_max, e))
                return -1;
            if (st->qty_max < st->qty_min)
                return json_fail(e, fp, "max is below min");
        }
        if (lines) {
            json_path_key(fp, sizeof fp, p, "lines");
            if (json_only_keys(lines, fp, range_keys, e) ||
                json_get_int(lines, fp, "min", JSON_OPTIONAL, 1, 100, &st->lines_min, e) ||
                json_get_int(lines, fp, "max", JSON_OPTIONAL, 1, 100, &st->lines_max, e))
                return -1;
            if (st->lines_max < st->lines_min)
                return json_fail(e, fp, "max is below min");
        }
    }
    return 0;
}

/* ---- faults, crashes, gates, engine --------------------------------------- */

static int read_faults(const cJSON *root, scenario *s, json_err *e)
{
    s->faults_cin7 = cJSON_CreateArray();
    s->faults_shopify = cJSON_CreateArray();
    const cJSON *arr = NULL;
    if (json_get_arr(root, "$", "faults", JSON_OPTIONAL, &arr, e))
        return -1;
    if (!arr)
        return 0;
    EACH(arr, "$.faults", i, p, it)
    {
        const char *system = NULL;
        if (json_get_str(it, p, "system", JSON_REQUIRED, &system, e))
            return -1;
        cJSON *rule = cJSON_Duplicate(it, 1);
        cJSON_DeleteItemFromObjectCaseSensitive(rule, "system");
        /* Check the rule as the mock will, so a bad plan fails here, with
         * its path in the scenario, not half-way into a run. */
        cJSON *one = cJSON_CreateArray();
        cJSON_AddItemReferenceToArray(one, rule);
        fault_plan *fp = NULL;
        json_err fe;
        int bad = faults_parse(one, 1, &fp, &fe);
        faults_free(fp);
        cJSON_Delete(one);
        if (bad) {
            cJSON_Delete(rule);
            /* fe says "$[0].field: ..."; name the scenario's path instead. */
            if (strncmp(fe.msg, "$[0]", 4) == 0)
                snprintf(e->msg, sizeof e->msg, "%.150s%.300s", p, fe.msg + 4);
            else
                snprintf(e->msg, sizeof e->msg, "%.150s: %.300s", p, fe.msg);
            return -1;
        }
        if (strcmp(system, "cin7") == 0)
            cJSON_AddItemToArray(s->faults_cin7, rule);
        else if (strcmp(system, "shopify") == 0)
            cJSON_AddItemToArray(s->faults_shopify, rule);
        else {
            cJSON_Delete(rule);
            char sp[200];
            json_path_key(sp, sizeof sp, p, "system");
            return json_fail(e, sp, "expected \"cin7\" or \"shopify\", got \"%s\"", system);
        }
    }
    return 0;
}

/* Adds one planned crash; -1 past SCENARIO_MAX_CRASHES. */
static int add_crash(scenario *s, size_t *cap, sc_crash c, const char *p, json_err *e)
{
    if (s->n_crashes == SCENARIO_MAX_CRASHES)
        return json_fail(e, p, "more than %d planned crashes (every is too short for the "
                         "duration)", SCENARIO_MAX_CRASHES);
    if (s->n_crashes == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        s->crashes = xrealloc(s->crashes, (*cap + 1) * sizeof *s->crashes);
    }
    s->crashes[s->n_crashes++] = c;
    return 0;
}

static int crash_by_time(const void *a, const void *b)
{
    const sc_crash *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->entry < y->entry ? -1 : x->entry > y->entry;
}

/* $.crashes: each entry a kill -9 at `at`, repeated every `every` while
 * before the end of the demand window when given; `instance` (1-based)
 * picks the instance, which engine.instances checks later (read_engine). */
static int read_crashes(const cJSON *root, scenario *s, json_err *e)
{
    static const char *const keys[] = {"at", "restart_after", "every", "instance", NULL};
    const cJSON *arr = NULL;
    if (json_get_arr(root, "$", "crashes", JSON_OPTIONAL, &arr, e))
        return -1;
    if (!arr)
        return 0;
    size_t cap = 0;
    EACH(arr, "$.crashes", i, p, it)
    {
        sc_crash c = {.restart_after = 5000, .instance = -1, .entry = i};
        int64_t every = 0, instance = 0;
        if (json_only_keys(it, p, keys, e) || json_get_duration(it, p, "at", JSON_REQUIRED, &c.at, e) ||
            json_get_duration(it, p, "restart_after", JSON_OPTIONAL, &c.restart_after, e) ||
            json_get_duration(it, p, "every", JSON_OPTIONAL, &every, e) ||
            json_get_int(it, p, "instance", JSON_OPTIONAL, 1, SCENARIO_MAX_INSTANCES, &instance, e))
            return -1;
        if (c.at >= s->duration_ms)
            return json_fail(e, p, "a crash at %lld ms is after the demand window",
                             (long long)c.at);
        if (cJSON_GetObjectItemCaseSensitive(it, "every") && every <= 0) {
            char ep[200];
            json_path_key(ep, sizeof ep, p, "every");
            return json_fail(e, ep, "must be more than 0");
        }
        c.instance = (int)instance - 1;
        do {
            if (add_crash(s, &cap, c, p, e))
                return -1;
            c.at += every;
        } while (every > 0 && c.at < s->duration_ms);
    }
    qsort(s->crashes, s->n_crashes, sizeof *s->crashes, crash_by_time);
    return 0;
}

static int read_gates(const cJSON *root, scenario *s, json_err *e)
{
    static const char *const keys[] = {"max", "min", NULL};
    const cJSON *obj = NULL;
    if (json_get_obj(root, "$", "gates", JSON_OPTIONAL, &obj, e))
        return -1;
    if (!obj)
        return 0;
    s->gates = xcalloc((size_t)cJSON_GetArraySize(obj) + 1, sizeof *s->gates);
    const cJSON *it;
    cJSON_ArrayForEach(it, obj)
    {
        char p[200];
        json_path_key(p, sizeof p, "$.gates", it->string);
        sc_gate *g = &s->gates[s->n_gates++];
        g->metric = xstrdup(it->string);
        if (cJSON_IsNumber(it)) { /* "metric": N means at most N */
            g->limit = it->valuedouble;
            continue;
        }
        int has_max = cJSON_GetObjectItemCaseSensitive(it, "max") != NULL;
        int has_min = cJSON_GetObjectItemCaseSensitive(it, "min") != NULL;
        if (json_only_keys(it, p, keys, e))
            return -1;
        if (has_max == has_min)
            return json_fail(e, p, "give exactly one of max and min");
        g->is_min = has_min;
        if (json_get_num(it, p, has_min ? "min" : "max", JSON_REQUIRED, -1e18, 1e18, &g->limit, e))
            return -1;
    }
    return 0;
}

/* A URL of engine.external: "{port}" needs a command (surge picks the
 * port it stands for). */
static int external_url(const cJSON *ext, const char *p, const char *key, int has_command,
                        char **out, json_err *e)
{
    if (json_get_strdup(ext, p, key, JSON_OPTIONAL, NULL, out, e))
        return -1;
    if (*out && !has_command && strstr(*out, "{port}"))
        return json_fail(e, p, "%s: {port} stands for the port surge hands the engine it "
                         "starts; it needs a command", key);
    if (*out && strncmp(*out, "http://", 7) != 0 && strncmp(*out, "https://", 8) != 0)
        return json_fail(e, p, "%s: expected an http:// or https:// URL, got \"%s\"", key, *out);
    return 0;
}

/* command: a string (run by /bin/sh -c) or a non-empty array of strings. */
static int external_command(const cJSON *cmd, const char *p, sc_external *x, json_err *e)
{
    char path[96];
    snprintf(path, sizeof path, "%s.command", p);
    if (cJSON_IsString(cmd)) {
        if (!cmd->valuestring[0])
            return json_fail(e, path, "is empty");
        x->n_argv = 3;
        x->argv = xcalloc(4, sizeof *x->argv);
        x->argv[0] = xstrdup("/bin/sh");
        x->argv[1] = xstrdup("-c");
        x->argv[2] = xstrdup(cmd->valuestring);
        return 0;
    }
    int n = cJSON_GetArraySize(cmd);
    if (!cJSON_IsArray(cmd) || n == 0)
        return json_fail(e, path, "expected a string or a non-empty array of strings, got %s",
                         json_type_name(cmd));
    x->argv = xcalloc((size_t)n + 1, sizeof *x->argv);
    const cJSON *it;
    cJSON_ArrayForEach(it, cmd)
    {
        if (!cJSON_IsString(it) || (x->n_argv == 0 && !it->valuestring[0])) {
            char ip[128];
            json_path_index(ip, sizeof ip, path, x->n_argv);
            return json_fail(e, ip, "expected a%s string, got %s", x->n_argv ? "" : " non-empty",
                             json_type_name(it));
        }
        x->argv[x->n_argv++] = xstrdup(it->valuestring);
    }
    return 0;
}

static int read_external(const cJSON *ext, const char *dir, scenario *s, json_err *e)
{
    static const char *const keys[] = {"shopify_webhooks", "cin7_webhooks", "health", "metrics",
                                       "shopify_port", "cin7_port", "command", "cwd", "env",
                                       "clock", "start_within", "safety_buffer", NULL};
    const char *p = "$.engine.external";
    sc_external *x = s->external = xcalloc(1, sizeof *x);
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(ext, "command");
    const cJSON *env = NULL;
    const char *clock = "native", *cwd = NULL;
    x->start_within = 10000;
    if (json_only_keys(ext, p, keys, e) || (cmd && external_command(cmd, p, x, e)))
        return -1;
    int64_t sp = cmd ? 0 : 8081, cp = cmd ? 0 : 8082;
    if (external_url(ext, p, "shopify_webhooks", cmd != NULL, &x->shopify_hooks, e) ||
        external_url(ext, p, "cin7_webhooks", cmd != NULL, &x->cin7_hooks, e) ||
        external_url(ext, p, "health", cmd != NULL, &x->health, e) ||
        external_url(ext, p, "metrics", cmd != NULL, &x->metrics, e) ||
        json_get_int(ext, p, "shopify_port", JSON_OPTIONAL, 1, 65535, &sp, e) ||
        json_get_int(ext, p, "cin7_port", JSON_OPTIONAL, 1, 65535, &cp, e) ||
        json_get_str(ext, p, "cwd", JSON_OPTIONAL, &cwd, e) ||
        json_get_obj(ext, p, "env", JSON_OPTIONAL, &env, e) ||
        json_get_str(ext, p, "clock", JSON_OPTIONAL, &clock, e) ||
        json_get_duration(ext, p, "start_within", JSON_OPTIONAL, &x->start_within, e) ||
        json_get_int(ext, p, "safety_buffer", JSON_OPTIONAL, 0, 1000000000, &x->safety_buffer, e))
        return -1;
    if (sp && sp == cp)
        return json_fail(e, p, "shopify_port and cin7_port must differ");
    x->shopify_port = (int)sp;
    x->cin7_port = (int)cp;
    if (strcmp(clock, "native") == 0)
        x->faketime = 0;
    else if (strcmp(clock, "faketime") == 0)
        x->faketime = 1;
    else
        return json_fail(e, "$.engine.external.clock", "expected \"native\" or \"faketime\", got \"%s\"",
                         clock);
    if (!cmd && (cwd || env || x->faketime || cJSON_GetObjectItemCaseSensitive(ext, "start_within")))
        return json_fail(e, p, "cwd, env, clock and start_within apply to a command: add "
                         "\"command\", or leave them out for an engine you start yourself");
    if (x->start_within <= 0)
        return json_fail(e, "$.engine.external.start_within", "must be more than 0");
    if (env) {
        const cJSON *v;
        cJSON_ArrayForEach(v, env)
        {
            if (!cJSON_IsString(v)) {
                char path[300];
                snprintf(path, sizeof path, "%s.env.%s", p, v->string);
                return json_fail(e, path, "expected a string, got %s", json_type_name(v));
            }
            if (!v->string[0] || strchr(v->string, '='))
                return json_fail(e, "$.engine.external.env", "\"%s\" is not a variable name",
                                 v->string);
        }
        x->env = cJSON_Duplicate(env, 1);
    }
    if (cwd && cwd[0] == '/')
        x->cwd = xstrdup(cwd);
    else if (cwd)
        x->cwd = xasprintf("%s/%s", dir ? dir : ".", cwd);
    else
        x->cwd = xstrdup(dir ? dir : ".");
    return 0;
}

/* engine.instances and engine.store, and the crashes' instances they
 * bound: several instances share one PostgreSQL database. */
static int read_instances(const cJSON *eng, scenario *s, json_err *e)
{
    int64_t n = 1;
    const char *store = "sqlite";
    if (eng && (json_get_int(eng, "$.engine", "instances", JSON_OPTIONAL, 1,
                             SCENARIO_MAX_INSTANCES, &n, e) ||
                json_get_str(eng, "$.engine", "store", JSON_OPTIONAL, &store, e)))
        return -1;
    s->instances = (int)n;
    if (strcmp(store, "postgres") == 0)
        s->store_postgres = 1;
    else if (strcmp(store, "sqlite") != 0)
        return json_fail(e, "$.engine.store", "expected \"sqlite\" or \"postgres\", got \"%s\"",
                         store);
    if (n > 1 && !s->store_postgres)
        return json_fail(e, "$.engine.instances", "%lld instances share one database: set "
                         "engine.store to \"postgres\" (SQLite serves one instance)",
                         (long long)n);
    if (s->external && (n > 1 || s->store_postgres))
        return json_fail(e, n > 1 ? "$.engine.instances" : "$.engine.store",
                         "applies to syncd, not to engine.external");
    for (size_t i = 0; i < s->n_crashes; i++) {
        sc_crash *c = &s->crashes[i];
        if (c->instance >= s->instances) {
            char p[200];
            json_path_index(p, sizeof p, "$.crashes", c->entry);
            char ip[220];
            json_path_key(ip, sizeof ip, p, "instance");
            return json_fail(e, ip, "instance %d, but engine.instances is %d", c->instance + 1,
                             s->instances);
        }
    }
    /* Unnamed: round robin, in time order. */
    for (size_t i = 0, next = 0; i < s->n_crashes; i++)
        if (s->crashes[i].instance < 0)
            s->crashes[i].instance = (int)(next++ % (size_t)s->instances);
    return 0;
}

static int read_engine(const cJSON *root, const char *dir, scenario *s, json_err *e)
{
    static const char *const keys[] = {"mode", "config", "external", "instances", "store", NULL};
    const cJSON *eng = NULL, *cfg = NULL, *ext = NULL;
    if (json_get_obj(root, "$", "engine", JSON_OPTIONAL, &eng, e))
        return -1;
    s->engine_mode = xstrdup("event");
    s->engine_config = cJSON_CreateObject();
    if (!eng)
        return read_instances(NULL, s, e);
    const char *mode = "event";
    if (json_only_keys(eng, "$.engine", keys, e) ||
        json_get_str(eng, "$.engine", "mode", JSON_OPTIONAL, &mode, e) ||
        json_get_obj(eng, "$.engine", "config", JSON_OPTIONAL, &cfg, e) ||
        json_get_obj(eng, "$.engine", "external", JSON_OPTIONAL, &ext, e))
        return -1;
    if (strcmp(mode, "event") != 0 && strcmp(mode, "poll") != 0)
        return json_fail(e, "$.engine.mode", "expected \"event\" or \"poll\", got \"%s\"", mode);
    free(s->engine_mode);
    s->engine_mode = xstrdup(mode);
    if (cfg) {
        cJSON_Delete(s->engine_config);
        s->engine_config = cJSON_Duplicate(cfg, 1);
    }
    if (ext && read_external(ext, dir, s, e))
        return -1;
    if (ext && s->n_crashes)
        return json_fail(e, "$.crashes", "crashes need the built-in engine (not engine.external)");
    return read_instances(eng, s, e);
}

/* Twice mock-cin7's first webhook delay for a stock change (the longer of
 * its coalescing window and its first attempt delay; a sale notification
 * waits the first attempt delay alone, never longer): the time an engine
 * needs to hear that stock moved, and once more to act. Read from the
 * scenario's mocks.cin7.webhooks, where mock-cin7 reads it; a value that
 * does not parse is mock-cin7's to refuse when it starts. */
static int64_t default_misroute_grace(const cJSON *mock_cin7)
{
    const cJSON *hooks = cJSON_GetObjectItemCaseSensitive(mock_cin7, "webhooks");
    int64_t coalesce = SCENARIO_CIN7_COALESCE_MS, first = SCENARIO_CIN7_FIRST_ATTEMPT_MS;
    json_err ignored;
    if (cJSON_IsObject(hooks)) {
        json_get_duration(hooks, "$", "coalesce_window", JSON_OPTIONAL, &coalesce, &ignored);
        json_get_duration(hooks, "$", "first_attempt_after", JSON_OPTIONAL, &first, &ignored);
    }
    return 2 * (coalesce > first ? coalesce : first);
}

/* $.fulfilment; its defaults are mock-cin7's, so the section changes only
 * what it says. */
static int read_fulfilment(const cJSON *root, scenario *s, json_err *e)
{
    static const char *const keys[] = {"split_share", "split_gap", "ship_allocated", "void_share",
                                       "void_after", NULL};
    static const char *const p = "$.fulfilment";
    const cJSON *o = NULL;
    sc_fulfilment *f = &s->fulfilment;
    *f = (sc_fulfilment){.split_gap_ms = 2 * 3600000LL, .void_after_ms = 20 * 60000LL};
    if (json_get_obj(root, "$", "fulfilment", JSON_OPTIONAL, &o, e))
        return -1;
    if (!o)
        return 0;
    f->given = 1;
    return json_only_keys(o, p, keys, e) ||
                   json_get_num(o, p, "split_share", JSON_OPTIONAL, 0, 1, &f->split_share, e) ||
                   json_get_duration(o, p, "split_gap", JSON_OPTIONAL, &f->split_gap_ms, e) ||
                   json_get_bool(o, p, "ship_allocated", JSON_OPTIONAL, &f->ship_allocated, e) ||
                   json_get_num(o, p, "void_share", JSON_OPTIONAL, 0, 1, &f->void_share, e) ||
                   json_get_duration(o, p, "void_after", JSON_OPTIONAL, &f->void_after_ms, e)
               ? -1
               : 0;
}

/* ---- ownership ---------------------------------------------------------------- */

const char *const scenario_field_names[SC_N_FIELDS] = {
    "price", "compare_at_price", "title", "cost", "barcode", "weight", "status"};

static int field_index(const char *name)
{
    for (int f = 0; f < SC_N_FIELDS; f++)
        if (strcmp(scenario_field_names[f], name) == 0)
            return f;
    return -1;
}

static int bad_field(json_err *e, const char *p, const char *name)
{
    return json_fail(e, p,
                     "unknown field \"%s\" (known: price, compare_at_price, title, cost, barcode, "
                     "weight, status)",
                     name);
}

/* A side's name, "cin7" or "shopify"; SC_OWNER_NONE for anything else. */
static sc_owner side_of(const cJSON *v)
{
    if (!cJSON_IsString(v))
        return SC_OWNER_NONE;
    return strcmp(v->valuestring, "cin7") == 0      ? SC_OWNER_CIN7
           : strcmp(v->valuestring, "shopify") == 0 ? SC_OWNER_SHOPIFY
                                                    : SC_OWNER_NONE;
}

/* $.ownership.fields: field -> "cin7" | "shopify". */
static int read_owners(const cJSON *o, sc_ownership *w, json_err *e)
{
    static const char *const p = "$.ownership.fields";
    const cJSON *fields = NULL;
    if (json_get_obj(o, "$.ownership", "fields", JSON_REQUIRED, &fields, e))
        return -1;
    const cJSON *it;
    cJSON_ArrayForEach(it, fields)
    {
        char kp[200];
        json_path_key(kp, sizeof kp, p, it->string);
        int f = field_index(it->string);
        if (f < 0)
            return bad_field(e, kp, it->string);
        w->owner[f] = side_of(it);
        if (w->owner[f] == SC_OWNER_NONE)
            return json_fail(e, kp, "expected \"cin7\" or \"shopify\", got %s",
                             cJSON_IsString(it) ? it->valuestring : json_type_name(it));
    }
    return 0;
}

/* An edit stream's fields: 1 ... SC_N_FIELDS names, each once. */
static int read_edit_fields(const cJSON *it, const char *p, sc_edit_stream *st, json_err *e)
{
    const cJSON *arr = NULL;
    if (json_get_arr(it, p, "fields", JSON_REQUIRED, &arr, e))
        return -1;
    char fp[200];
    json_path_key(fp, sizeof fp, p, "fields");
    if (cJSON_GetArraySize(arr) == 0)
        return json_fail(e, fp, "list at least one field");
    EACH(arr, fp, i, ip, f)
    {
        if (!cJSON_IsString(f))
            return json_fail(e, ip, "expected a field name (a string), got %s", json_type_name(f));
        int k = field_index(f->valuestring);
        if (k < 0)
            return bad_field(e, ip, f->valuestring);
        if (st->fields & (1u << k))
            return json_fail(e, ip, "\"%s\" is listed twice", f->valuestring);
        st->fields |= 1u << k;
    }
    return 0;
}

/* An edit stream's SKUs: globs over Cin7 SKUs, each matching at least one. */
static int read_edit_skus(const scenario *s, const cJSON *it, const char *p, sc_edit_stream *st,
                          json_err *e)
{
    const cJSON *arr = NULL;
    if (json_get_arr(it, p, "skus", JSON_OPTIONAL, &arr, e))
        return -1;
    if (!arr)
        return 0;
    char fp[200];
    json_path_key(fp, sizeof fp, p, "skus");
    if (cJSON_GetArraySize(arr) == 0)
        return json_fail(e, fp, "list at least one SKU glob (or leave skus out for all)");
    unsigned char *hit = xcalloc(s->n_skus + 1, 1);
    int rc = 0;
    EACH(arr, fp, i, ip, g)
    {
        if (rc)
            break;
        if (!cJSON_IsString(g)) {
            rc = json_fail(e, ip, "expected a SKU glob (a string), got %s", json_type_name(g));
            break;
        }
        int any = 0;
        for (size_t k = 0; k < s->n_skus; k++)
            if (fnmatch(g->valuestring, s->skus[k].sku, 0) == 0)
                any = hit[k] = 1;
        if (!any)
            rc = json_fail(e, ip, "\"%s\" matches no SKU of the catalog", g->valuestring);
    }
    if (rc == 0) {
        st->skus = xcalloc(s->n_skus + 1, sizeof *st->skus);
        for (size_t k = 0; k < s->n_skus; k++)
            if (hit[k])
                st->skus[st->n_skus++] = (int)k;
    }
    free(hit);
    return rc;
}

/* Cin7 keeps a cost on a product's supplier only: a stream editing cost
 * at Cin7 needs a SKU with one. */
static int check_cin7_cost(const scenario *s, const sc_edit_stream *st, const char *p, json_err *e)
{
    if (st->side != SC_OWNER_CIN7 || !(st->fields & (1u << SC_FIELD_COST)))
        return 0;
    for (size_t i = 0; i < (st->skus ? st->n_skus : s->n_skus); i++)
        if (s->skus[st->skus ? (size_t)st->skus[i] : i].supplier)
            return 0;
    char fp[200];
    json_path_key(fp, sizeof fp, p, "fields");
    return json_fail(e, fp, "cost is edited at Cin7 as the supplier's cost, and none of the "
                            "stream's SKUs has a supplier");
}

static int read_edit_stream(scenario *s, const cJSON *it, const char *p, size_t i,
                            sc_edit_stream *st, json_err *e)
{
    static const char *const keys[] = {"name", "side", "fields", "rate", "skus", "window", NULL};
    char def_name[32];
    snprintf(def_name, sizeof def_name, "edits-%zu", i + 1);
    const cJSON *side = NULL;
    if (json_only_keys(it, p, keys, e) ||
        json_get_strdup(it, p, "name", JSON_OPTIONAL, def_name, &st->name, e))
        return -1;
    char fp[200];
    json_path_key(fp, sizeof fp, p, "side");
    side = cJSON_GetObjectItemCaseSensitive(it, "side");
    if (!side)
        return json_fail(e, fp, "required: \"cin7\" or \"shopify\", where the edits are made");
    st->side = side_of(side);
    if (st->side == SC_OWNER_NONE)
        return json_fail(e, fp, "expected \"cin7\" or \"shopify\", got %s",
                         cJSON_IsString(side) ? side->valuestring : json_type_name(side));
    if (read_edit_fields(it, p, st, e) ||
        json_get_num(it, p, "rate", JSON_REQUIRED, 0, 100, &st->rate, e) ||
        read_edit_skus(s, it, p, st, e) ||
        read_window(it, p, s->duration_ms, &st->at, &st->len, e) || check_cin7_cost(s, st, p, e))
        return -1;
    json_path_key(fp, sizeof fp, p, "rate");
    if (!(st->rate > 0))
        return json_fail(e, fp, "must be more than 0 (edits per simulated second)");
    return 0;
}

/* $.ownership: who owns each field and the staff edits made during the
 * run, bounded in count. */
static int read_ownership(const cJSON *root, scenario *s, json_err *e)
{
    static const char *const keys[] = {"fields", "edits", NULL};
    static const char *const p = "$.ownership";
    const cJSON *o = NULL, *arr = NULL;
    sc_ownership *w = &s->ownership;
    if (json_get_obj(root, "$", "ownership", JSON_OPTIONAL, &o, e))
        return -1;
    if (!o)
        return 0;
    w->given = 1;
    if (json_only_keys(o, p, keys, e) || read_owners(o, w, e) ||
        json_get_arr(o, p, "edits", JSON_OPTIONAL, &arr, e))
        return -1;
    if (cJSON_GetArraySize(arr) > SCENARIO_MAX_EDIT_STREAMS)
        return json_fail(e, "$.ownership.edits", "at most %d edit streams",
                         SCENARIO_MAX_EDIT_STREAMS);
    w->edits = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof *w->edits);
    double expected = 0;
    EACH(arr, "$.ownership.edits", i, ip, it)
    {
        sc_edit_stream *st = &w->edits[w->n_edits++];
        if (read_edit_stream(s, it, ip, i, st, e))
            return -1;
        int64_t end = st->at + st->len < s->duration_ms ? st->at + st->len : s->duration_ms;
        expected += end > st->at ? st->rate * (double)(end - st->at) / 1000.0 : 0;
        if (expected > SCENARIO_MAX_EDITS) {
            char fp[200];
            json_path_key(fp, sizeof fp, ip, "rate");
            return json_fail(e, fp,
                             "the edit streams up to this one make about %.0f edits in the run; "
                             "at most %d",
                             expected, SCENARIO_MAX_EDITS);
        }
    }
    return 0;
}

static int read_root(const cJSON *root, const char *dir, scenario *s, json_err *e)
{
    static const char *const keys[] = {
        "name",       "seed",    "duration", "drain",     "drain_min",  "time_scale", "lag_tolerance",
        "tick",       "catalog", "suppliers", "warehouses", "shops",      "stock",
        "demand",     "faults",  "crashes",  "engine",    "gates",      "mocks",
        "replenishment", "description", "misroute_grace", "sim", "fulfilment", "ownership", NULL};
    static const char *const mock_keys[] = {"cin7", "shopify", NULL};
    static const char *const replen_keys[] = {"cover_days", "target_days", "velocity_window", NULL};
    if (json_only_keys(root, "$", keys, e))
        return -1;
    int64_t seed = 1;
    s->duration_ms = 60000;
    s->drain_ms = 60000;
    s->time_scale = 1;
    s->lag_tolerance_ms = 5000;
    s->tick_ms = 1000;
    s->cover_threshold_days = 14;
    s->target_days = 30;
    s->velocity_window_ms = 7 * 86400000LL;
    int64_t lag = 5000;
    const cJSON *mocks = NULL, *replen = NULL, *simo = NULL;
    if (json_get_strdup(root, "$", "name", JSON_REQUIRED, NULL, &s->name, e) ||
        json_get_int(root, "$", "seed", JSON_OPTIONAL, 0, INT64_MAX / 2, &seed, e) ||
        json_get_duration(root, "$", "duration", JSON_REQUIRED, &s->duration_ms, e) ||
        json_get_duration(root, "$", "drain", JSON_OPTIONAL, &s->drain_ms, e) ||
        json_get_duration(root, "$", "drain_min", JSON_OPTIONAL, &s->drain_min_ms, e) ||
        json_get_num(root, "$", "time_scale", JSON_OPTIONAL, 1e-3, 1e5, &s->time_scale, e) ||
        json_get_duration(root, "$", "lag_tolerance", JSON_OPTIONAL, &lag, e) ||
        json_get_duration(root, "$", "tick", JSON_OPTIONAL, &s->tick_ms, e) ||
        json_get_obj(root, "$", "mocks", JSON_OPTIONAL, &mocks, e) ||
        json_get_obj(root, "$", "replenishment", JSON_OPTIONAL, &replen, e) ||
        json_get_obj(root, "$", "sim", JSON_OPTIONAL, &simo, e))
        return -1;
    s->sim = simo ? cJSON_Duplicate(simo, 1) : NULL;
    for (const char *c = s->name; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.')
            return json_fail(e, "$.name", "use letters, digits, '-', '_' or '.' (it names the results folder)");
    if (s->duration_ms <= 0)
        return json_fail(e, "$.duration", "must be more than 0");
    if (s->tick_ms <= 0)
        return json_fail(e, "$.tick", "must be more than 0");
    if (s->drain_min_ms > s->drain_ms)
        return json_fail(e, "$.drain_min", "is longer than $.drain");
    s->seed = (uint64_t)seed;
    s->lag_tolerance_ms = (double)lag;
    if (mocks) {
        const cJSON *c = NULL, *sh = NULL;
        if (json_only_keys(mocks, "$.mocks", mock_keys, e) ||
            json_get_obj(mocks, "$.mocks", "cin7", JSON_OPTIONAL, &c, e) ||
            json_get_obj(mocks, "$.mocks", "shopify", JSON_OPTIONAL, &sh, e))
            return -1;
        s->mock_cin7 = c ? cJSON_Duplicate(c, 1) : NULL;
        s->mock_shopify = sh ? cJSON_Duplicate(sh, 1) : NULL;
    }
    s->misroute_grace_ms = default_misroute_grace(s->mock_cin7);
    if (json_get_duration(root, "$", "misroute_grace", JSON_OPTIONAL, &s->misroute_grace_ms, e))
        return -1;
    if (replen) {
        s->replen_given = 1;
        if (json_only_keys(replen, "$.replenishment", replen_keys, e) ||
            json_get_num(replen, "$.replenishment", "cover_days", JSON_OPTIONAL, 0, 3650,
                         &s->cover_threshold_days, e) ||
            json_get_num(replen, "$.replenishment", "target_days", JSON_OPTIONAL, 0, 3650,
                         &s->target_days, e) ||
            json_get_duration(replen, "$.replenishment", "velocity_window", JSON_OPTIONAL,
                              &s->velocity_window_ms, e))
            return -1;
    }
    if (read_suppliers(root, s, e) || read_catalog(root, s, e) || read_warehouses(root, s, e) ||
        read_shops(root, s, e) || read_stock(root, s, e) || read_streams(root, dir, s, e) ||
        read_faults(root, s, e) || read_crashes(root, s, e) || read_gates(root, s, e) ||
        read_engine(root, dir, s, e) || read_fulfilment(root, s, e) ||
        read_ownership(root, s, e))
        return -1;
    return 0;
}

int scenario_load_text(const char *text, size_t len, const char *name, const char *dir,
                       const char *const *overrides, size_t n_overrides, scenario *out,
                       json_err *e)
{
    memset(out, 0, sizeof *out);
    json_err pe;
    cJSON *root = json_parse(text, len, &pe);
    if (!root) {
        snprintf(e->msg, sizeof e->msg, "%.200s: %.300s", name ? name : "scenario", pe.msg);
        return -1;
    }
    for (size_t i = 0; i < n_overrides; i++)
        if (json_set_path(root, overrides[i], &pe)) {
            snprintf(e->msg, sizeof e->msg, "--set %.480s", pe.msg);
            cJSON_Delete(root);
            return -1;
        }
    if (read_root(root, dir, out, &pe)) {
        snprintf(e->msg, sizeof e->msg, "%.200s: %.300s", name ? name : "scenario", pe.msg);
        cJSON_Delete(root);
        scenario_free(out);
        return -1;
    }
    out->source = root;
    return 0;
}

int scenario_load(const char *path, const char *const *overrides, size_t n_overrides,
                  scenario *out, json_err *e)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(e->msg, sizeof e->msg, "%.300s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    sbuf b = SBUF_INIT;
    int rd = sbuf_read_stream(&b, f, MAX_SCENARIO_BYTES);
    fclose(f);
    if (rd != 0) {
        sbuf_free(&b);
        if (rd == SBUF_TOO_LARGE)
            snprintf(e->msg, sizeof e->msg, "%.300s: larger than %d bytes", path, MAX_SCENARIO_BYTES);
        else
            snprintf(e->msg, sizeof e->msg, "%.300s: read error", path);
        return -1;
    }
    char *copy = xstrdup(path);
    int rc = scenario_load_text(sbuf_str(&b), b.len, path, dirname(copy), overrides, n_overrides,
                                out, e);
    free(copy);
    sbuf_free(&b);
    return rc;
}

void scenario_replay_notes(const scenario *s, FILE *f)
{
    for (size_t i = 0; i < s->n_streams; i++)
        if (s->streams[i].replay_note)
            fprintf(f, "surge: $.demand[%zu] (%s): %s\n", i, s->streams[i].name,
                    s->streams[i].replay_note);
}

void scenario_replay_free(sc_stream *st)
{
    for (size_t r = 0; r < st->n_replay; r++) {
        free(st->replay[r].shop);
        free(st->replay[r].country);
        free(st->replay[r].postcode);
        for (size_t l = 0; l < st->replay[r].n_lines; l++)
            free(st->replay[r].lines[l].sku);
        free(st->replay[r].lines);
    }
    free(st->replay);
    st->replay = NULL;
    st->n_replay = 0;
    free(st->replay_note);
    st->replay_note = NULL;
}

static void scenario_external_free(sc_external *x)
{
    if (!x)
        return;
    free(x->shopify_hooks);
    free(x->cin7_hooks);
    free(x->health);
    free(x->metrics);
    for (size_t i = 0; i < x->n_argv; i++)
        free(x->argv[i]);
    free(x->argv);
    free(x->cwd);
    cJSON_Delete(x->env);
    free(x);
}

void scenario_free(scenario *s)
{
    free(s->name);
    for (size_t i = 0; i < s->n_skus; i++) {
        free(s->skus[i].sku);
        free(s->skus[i].shopify_sku);
        free(s->skus[i].supplier);
        free(s->skus[i].bom);
    }
    free(s->skus);
    for (size_t i = 0; i < s->n_suppliers; i++) {
        free(s->suppliers[i].name);
        free(s->suppliers[i].currency);
    }
    free(s->suppliers);
    for (size_t i = 0; i < s->n_warehouses; i++)
        free(s->warehouses[i].name);
    free(s->warehouses);
    for (size_t i = 0; i < s->n_shops; i++) {
        free(s->shops[i].domain);
        free(s->shops[i].plan);
        free(s->shops[i].token);
        free(s->shops[i].secret);
    }
    free(s->shops);
    for (size_t i = 0; i < s->n_stock; i++) {
        free(s->stock[i].sku);
        free(s->stock[i].warehouse);
    }
    free(s->stock);
    for (size_t i = 0; i < s->n_streams; i++) {
        sc_stream *st = &s->streams[i];
        free(st->name);
        free(st->channel);
        scenario_replay_free(st);
        free(st->skus);
        free(st->hot);
        for (size_t r = 0; r < st->n_regions; r++) {
            free(st->regions[r].country);
            free(st->regions[r].postcode);
        }
        free(st->regions);
    }
    free(s->streams);
    cJSON_Delete(s->faults_cin7);
    cJSON_Delete(s->faults_shopify);
    free(s->crashes);
    for (size_t i = 0; i < s->n_gates; i++)
        free(s->gates[i].metric);
    free(s->gates);
    free(s->engine_mode);
    cJSON_Delete(s->engine_config);
    scenario_external_free(s->external);
    cJSON_Delete(s->mock_cin7);
    cJSON_Delete(s->mock_shopify);
    cJSON_Delete(s->sim);
    for (size_t i = 0; i < s->ownership.n_edits; i++) {
        free(s->ownership.edits[i].name);
        free(s->ownership.edits[i].skus);
    }
    free(s->ownership.edits);
    cJSON_Delete(s->source);
    memset(s, 0, sizeof *s);
}
