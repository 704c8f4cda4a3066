/* The ownership fields as the APIs show them; see ownread.h. */
#include "ownread.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* v as text for own_canon: a string as it is, a number with Cin7's four
 * places, into buf; NULL for null or absent. *bad is set for any other
 * type (the value cannot be read). */
static const char *text_of(const cJSON *v, char *buf, size_t n, int *bad)
{
    *bad = 0;
    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsNumber(v)) {
        snprintf(buf, n, "%.4f", v->valuedouble);
        return buf;
    }
    if (v && !cJSON_IsNull(v))
        *bad = 1;
    return NULL;
}

/* Field f of out from v (and unit for weight). none: the text a null or
 * absent value stands for (NULL: such a value is not known). */
static void put_field(own_values *out, own_field f, const cJSON *v, const char *unit,
                      const char *none)
{
    char buf[64];
    int bad;
    const char *t = text_of(v, buf, sizeof buf, &bad);
    out->known[f] = 0;
    if (bad || (!t && !none))
        return;
    if (!t && none && !*none && f != OWN_COMPARE_AT && f != OWN_BARCODE) {
        out->v[f][0] = '\0'; /* known to have no value */
        out->known[f] = 1;
        return;
    }
    out->known[f] = own_canon(f, t ? t : none, unit, out->v[f], sizeof out->v[f]) == 0;
}

void ownread_cin7(const cJSON *product, const char *price_tier, const char *compare_tier,
                  own_values *out)
{
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(product))
        return;
    put_field(out, OWN_PRICE, get(product, price_tier), NULL, NULL);
    put_field(out, OWN_COMPARE_AT, get(product, compare_tier), NULL, "");
    put_field(out, OWN_TITLE, get(product, "Name"), NULL, NULL);
    put_field(out, OWN_BARCODE, get(product, "Barcode"), NULL, "");
    put_field(out, OWN_STATUS, get(product, "Status"), NULL, NULL);
    const cJSON *units = get(product, "WeightUnits");
    put_field(out, OWN_WEIGHT, get(product, "Weight"), cJSON_IsString(units) ? units->valuestring : "kg",
              NULL);
    const cJSON *sup = cJSON_GetArrayItem(get(product, "Suppliers"), 0);
    if (sup)
        put_field(out, OWN_COST, get(sup, "Cost"), NULL, NULL);
}

/* How many variants node's product has, from variantsCount { count } or
 * variants { nodes } (two read are enough to tell one from several). */
static int variant_count(const cJSON *prod)
{
    const cJSON *c = get(get(prod, "variantsCount"), "count");
    if (cJSON_IsNumber(c))
        return (int)c->valuedouble;
    const cJSON *nodes = get(get(prod, "variants"), "nodes");
    return cJSON_IsArray(nodes) ? cJSON_GetArraySize(nodes) : -1;
}

void ownread_shopify(const cJSON *node, own_values *out)
{
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(node))
        return;
    put_field(out, OWN_PRICE, get(node, "price"), NULL, NULL);
    put_field(out, OWN_COMPARE_AT, get(node, "compareAtPrice"), NULL, "");
    put_field(out, OWN_BARCODE, get(node, "barcode"), NULL, "");
    const cJSON *item = get(node, "inventoryItem");
    if (cJSON_IsObject(item)) {
        const cJSON *cost = get(item, "unitCost");
        put_field(out, OWN_COST, cJSON_IsObject(cost) ? get(cost, "amount") : NULL, NULL, "");
        const cJSON *w = get(get(item, "measurement"), "weight");
        const cJSON *unit = get(w, "unit");
        if (cJSON_IsObject(w))
            put_field(out, OWN_WEIGHT, get(w, "value"),
                      cJSON_IsString(unit) ? unit->valuestring : NULL, NULL);
        else
            put_field(out, OWN_WEIGHT, NULL, NULL, "");
    }
    const cJSON *prod = get(node, "product");
    if (variant_count(prod) == 1) {
        put_field(out, OWN_TITLE, get(prod, "title"), NULL, NULL);
        put_field(out, OWN_STATUS, get(prod, "status"), NULL, NULL);
    }
}

void ownread_hook(const cJSON *product, const cJSON *variant, own_values *out)
{
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(product) || !cJSON_IsObject(variant))
        return;
    put_field(out, OWN_PRICE, get(variant, "price"), NULL, NULL);
    put_field(out, OWN_COMPARE_AT, get(variant, "compare_at_price"), NULL, "");
    put_field(out, OWN_BARCODE, get(variant, "barcode"), NULL, "");
    if (cJSON_GetArraySize(get(product, "variants")) == 1) {
        put_field(out, OWN_TITLE, get(product, "title"), NULL, NULL);
        put_field(out, OWN_STATUS, get(product, "status"), NULL, NULL);
    }
}

/* Sets key of o to v (consumed), replacing what was there. */
static void set_key(cJSON *o, const char *key, cJSON *v)
{
    if (get(o, key))
        cJSON_ReplaceItemInObjectCaseSensitive(o, key, v);
    else
        cJSON_AddItemToObject(o, key, v);
}

static cJSON *number_of(const char *text)
{
    return cJSON_CreateNumber(text && *text ? strtod(text, NULL) : 0);
}

cJSON *ownread_cin7_put(const cJSON *product, const char *const put[OWN_N_FIELDS],
                        const char *price_tier, const char *compare_tier)
{
    cJSON *b = cJSON_Duplicate(product, 1);
    if (!b)
        return NULL;
    if (put[OWN_COST]) {
        cJSON *sup = cJSON_GetArrayItem(get(b, "Suppliers"), 0);
        if (!cJSON_IsObject(sup)) {
            cJSON_Delete(b);
            return NULL;
        }
        set_key(sup, "Cost", number_of(put[OWN_COST]));
    }
    if (put[OWN_PRICE])
        set_key(b, price_tier, number_of(put[OWN_PRICE]));
    if (put[OWN_COMPARE_AT])
        set_key(b, compare_tier, number_of(put[OWN_COMPARE_AT]));
    /* A tier given both ways must agree: the map is left out, the flat
     * tiers say it. */
    if (put[OWN_PRICE] || put[OWN_COMPARE_AT])
        cJSON_DeleteItemFromObjectCaseSensitive(b, "PriceTiers");
    if (put[OWN_TITLE])
        set_key(b, "Name", cJSON_CreateString(put[OWN_TITLE]));
    if (put[OWN_BARCODE])
        set_key(b, "Barcode", cJSON_CreateString(put[OWN_BARCODE]));
    if (put[OWN_STATUS])
        set_key(b, "Status", cJSON_CreateString(put[OWN_STATUS]));
    if (put[OWN_WEIGHT]) {
        set_key(b, "Weight", number_of(put[OWN_WEIGHT]));
        set_key(b, "WeightUnits", cJSON_CreateString("g"));
    }
    return b;
}

cJSON *ownread_variant_input(const char *variant_id, const char *const set[OWN_N_FIELDS])
{
    if (!set[OWN_PRICE] && !set[OWN_COMPARE_AT] && !set[OWN_BARCODE] && !set[OWN_COST] &&
        !set[OWN_WEIGHT])
        return NULL;
    cJSON *in = cJSON_CreateObject();
    cJSON_AddStringToObject(in, "id", variant_id);
    if (set[OWN_PRICE])
        cJSON_AddStringToObject(in, "price", set[OWN_PRICE]);
    if (set[OWN_COMPARE_AT]) {
        if (*set[OWN_COMPARE_AT])
            cJSON_AddStringToObject(in, "compareAtPrice", set[OWN_COMPARE_AT]);
        else
            cJSON_AddNullToObject(in, "compareAtPrice");
    }
    if (set[OWN_BARCODE])
        cJSON_AddStringToObject(in, "barcode", set[OWN_BARCODE]);
    if (set[OWN_COST] || set[OWN_WEIGHT]) {
        cJSON *item = cJSON_AddObjectToObject(in, "inventoryItem");
        if (set[OWN_COST])
            cJSON_AddStringToObject(item, "cost", set[OWN_COST]);
        if (set[OWN_WEIGHT]) {
            cJSON *w = cJSON_AddObjectToObject(cJSON_AddObjectToObject(item, "measurement"),
                                               "weight");
            cJSON_AddNumberToObject(w, "value", strtod(set[OWN_WEIGHT], NULL));
            cJSON_AddStringToObject(w, "unit", "GRAMS");
        }
    }
    return in;
}

cJSON *ownread_product_input(const char *product_id, const char *const set[OWN_N_FIELDS])
{
    if (!set[OWN_TITLE] && !set[OWN_STATUS])
        return NULL;
    cJSON *in = cJSON_CreateObject();
    cJSON_AddStringToObject(in, "id", product_id);
    if (set[OWN_TITLE])
        cJSON_AddStringToObject(in, "title", set[OWN_TITLE]);
    if (set[OWN_STATUS])
        cJSON_AddStringToObject(in, "status", set[OWN_STATUS]);
    return in;
}
