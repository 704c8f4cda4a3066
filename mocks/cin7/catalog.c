/*
 * Edits of mock-cin7's products: PUT product from an application and
 * /_mock/product_edit from a purchasing user in Cin7's own screens. Both
 * change only the fields given, journal product_updated with each changed
 * field's before and after, and move the product's LastModifiedOn, which
 * is how an integration learns of an edit (GET product?ModifiedSince=;
 * Cin7 sends no product webhook of the types the mock knows). An accepted
 * edit moves LastModifiedOn even when no value changed: the reference does
 * not say, and counting every save keeps a poller honest about no-op edits.
 */
#include "world_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Records one field's change under fields: {"before": b, "after": a}. */
static void note(cJSON *fields, const char *name, cJSON *before, cJSON *after)
{
    cJSON *o = cJSON_AddObjectToObject(fields, name);
    cJSON_AddItemToObject(o, "before", before);
    cJSON_AddItemToObject(o, "after", after);
}

static void set_text(cJSON *fields, const char *name, char **dst, const char *v)
{
    const char *old = *dst ? *dst : "";
    if (!v || strcmp(old, v) == 0)
        return;
    note(fields, name, cJSON_CreateString(old), cJSON_CreateString(v));
    c7w_set_str(dst, v);
}

static void set_qty(cJSON *fields, const char *name, qty4 *dst, int has, qty4 v)
{
    if (!has || *dst == v)
        return;
    note(fields, name, cJSON_CreateNumber(qty4_double(*dst)), cJSON_CreateNumber(qty4_double(v)));
    *dst = v;
}

/* The product an edit names, or -1 after failing out. */
static long find(const c7world *w, const char *id, const char *sku, c7result *out)
{
    long p = c7w_product(w, id ? NULL : sku, id);
    if (p < 0) {
        if (id)
            c7w_fail(out, 400, "ID: product %s not found", id);
        else
            c7w_fail(out, 400, "sku: unknown SKU \"%s\"", sku);
        return -1;
    }
    /* The SKU is what both systems match on; the mock does not rename. */
    if (id && sku && strcasecmp(w->prods[p].sku, sku) != 0) {
        c7w_fail(out, 400, "SKU: '%s' is not the SKU of product %s ('%s'); the mock does not rename SKUs",
                 sku, id, w->prods[p].sku);
        return -1;
    }
    return p;
}

/* PUT's Suppliers must be the product's one supplier (or none). */
static int check_suppliers(const c7world *w, const c7prod *p, const c7product_edit *ed,
                           c7result *out)
{
    if (!ed->has_suppliers)
        return 0;
    if (ed->n_suppliers == 0) {
        if (p->supplier < 0)
            return 0;
        c7w_fail(out, 400, "Suppliers: an empty list may delete the product's suppliers; "
                           "the mock refuses it");
        return -1;
    }
    const c7sup *s = p->supplier >= 0 ? &w->sups[p->supplier] : NULL;
    if (ed->supplier_id && (!s || strcasecmp(s->id, ed->supplier_id) != 0)) {
        c7w_fail(out, 400, "Suppliers[0].SupplierID: %s is not a supplier of product %s",
                 ed->supplier_id, p->sku);
        return -1;
    }
    if (!ed->supplier_id && (!s || strcasecmp(s->name, ed->supplier_name) != 0)) {
        c7w_fail(out, 400, "Suppliers[0].SupplierName: '%s' is not a supplier of product %s",
                 ed->supplier_name, p->sku);
        return -1;
    }
    return 0;
}

/* A user's supplier cost with no supplier has nowhere to go. */
static int check_user_cost(const c7prod *p, const c7product_edit *ed, c7result *out)
{
    if (ed->has_supplier_cost && !ed->has_suppliers && p->supplier < 0) {
        c7w_fail(out, 400, "fields.SupplierCost: product %s has no supplier", p->sku);
        return -1;
    }
    return 0;
}

static cJSON *apply(c7prod *p, const c7product_edit *ed)
{
    cJSON *fields = cJSON_CreateObject();
    set_text(fields, "Name", &p->name, ed->name);
    set_text(fields, "Status", &p->status, ed->status);
    if (ed->has_barcode)
        set_text(fields, "Barcode", &p->barcode, ed->barcode);
    set_qty(fields, "Weight", &p->weight, ed->has_weight, ed->weight);
    set_text(fields, "WeightUnits", &p->weight_units, ed->weight_units);
    for (int t = 0; t < C7_PRICE_TIERS; t++) {
        char name[24];
        snprintf(name, sizeof name, "PriceTier%d", t + 1);
        set_qty(fields, name, &p->tiers[t], ed->has_tier[t], ed->tier[t]);
    }
    set_qty(fields, "SupplierCost", &p->supplier_cost, ed->has_supplier_cost, ed->supplier_cost);
    return fields;
}

void c7world_product_update(c7world *w, const char *id, const char *sku, const c7product_edit *ed,
                            const char *client, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long pi = find(w, id, sku, out);
    if (pi >= 0 && check_suppliers(w, &w->prods[pi], ed, out) == 0 &&
        check_user_cost(&w->prods[pi], ed, out) == 0) {
        c7prod *p = &w->prods[pi];
        cJSON *fields = apply(p, ed);
        p->modified_ms = c7w_now(w);
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "id", p->id);
        cJSON_AddStringToObject(f, "sku", p->sku);
        cJSON_AddItemToObject(f, "fields", fields);
        c7render_str_or_null(f, "application", client);
        c7w_journal(w, "product_updated", f);
        /* PUT's answer: the product in a one-item page (REF:9372-9510). */
        cJSON *v = cJSON_CreateObject();
        cJSON_AddNumberToObject(v, "Total", 1);
        cJSON_AddNumberToObject(v, "Page", 1);
        cJSON *arr = cJSON_AddArrayToObject(v, "Products");
        cJSON_AddItemToArray(arr, c7render_product(w, pi, 1, 0, 0));
        c7w_reply(out, v);
    }
    pthread_mutex_unlock(&w->lock);
}
