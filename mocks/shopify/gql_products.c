/*
 * The product slice of the Admin GraphQL endpoint: what a sync of product
 * data reads and writes. Mutations productUpdate(product:
 * ProductUpdateInput!) for a product's title and status, and
 * productVariantsBulkUpdate(productId, variants, allowPartialUpdates) for
 * its variants' price, compareAtPrice, barcode and inventory item (unit
 * cost, weight); the fields they change as reads (ProductVariant
 * compareAtPrice and barcode, InventoryItem unitCost and measurement
 * {weight {value unit}}, Product status) and their payloads; the products
 * connection with its search filters and Product.variantsCount. Sources
 * per rule in docs/mock-shopify.md ("Products"); value rules in catalog.h.
 */
#include "admin_gql_int.h"
#include "catalog.h"

#include "mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_INPUTS 250 /* input arrays (shopify.dev/api/usage/limits) */

static cJSON *obj(ctx *c, ref r, const gql_selection *f)
{
    return ag_object_or_null(c, &r, f);
}

static cJSON *str_or_null(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* The client a journal entry names: the shop and the token's index, as
 * mockd names the request's client. */
static void client_of(const ctx *c, char *out, size_t n)
{
    snprintf(out, n, "%s#%d", c->s->domain, world_token_index(c->s, c->token));
}

/* ---- reads ------------------------------------------------------------------------- */

static cJSON *r_variant(ctx *c, const ref *o, const gql_selection *f, int *own)
{
    (void)c;
    if (strcmp(f->name, "compareAtPrice") == 0)
        return str_or_null(o->v->compare_at);
    if (strcmp(f->name, "barcode") == 0)
        return str_or_null(o->v->barcode);
    *own = 0;
    return NULL;
}

static cJSON *r_item(ctx *c, const ref *o, const gql_selection *f, int *own)
{
    if (strcmp(f->name, "unitCost") == 0) {
        if (!o->v->cost)
            return cJSON_CreateNull();
        int64_t cents = llround(strtod(o->v->cost, NULL) * 100.0);
        return obj(c, (ref){.type = "MoneyV2", .qty = cents}, f);
    }
    if (strcmp(f->name, "measurement") == 0)
        return obj(c, (ref){.type = "InventoryItemMeasurement", .v = o->v}, f);
    *own = 0;
    return NULL;
}

static cJSON *r_measurement(ctx *c, const ref *o, const gql_selection *f, int *own)
{
    (void)own;
    if (strcmp(f->name, "weight") == 0)
        return obj(c, (ref){.type = "Weight", .v = o->v}, f);
    return cJSON_CreateNull(); /* id */
}

static cJSON *r_weight(ctx *c, const ref *o, const gql_selection *f, int *own)
{
    (void)c;
    (void)own;
    if (strcmp(f->name, "value") == 0)
        return cJSON_CreateNumber(o->v->weight);
    return cJSON_CreateString(o->v->weight_unit);
}

static cJSON *r_product(ctx *c, const ref *o, const gql_selection *f, int *own)
{
    if (strcmp(f->name, "status") == 0)
        return cJSON_CreateString(world_status_name(o->p->status));
    if (strcmp(f->name, "variantsCount") == 0)
        return obj(c, (ref){.type = "Count", .qty = (int64_t)o->p->n_variants}, f);
    *own = 0;
    return NULL;
}

/* Count {count, precision}: the mock counts exactly, without a limit. */
static cJSON *r_count(ctx *c, const ref *o, const gql_selection *f, int *own)
{
    (void)c;
    (void)own;
    if (strcmp(f->name, "count") == 0)
        return cJSON_CreateNumber((double)o->qty);
    return cJSON_CreateString("EXACT");
}

static cJSON *r_payload(ctx *c, const ref *o, const gql_selection *f, int *own)
{
    (void)own;
    const ag_payload *pl = o->pl;
    if (strcmp(f->name, "userErrors") == 0) {
        const char *et = strcmp(o->type, "ProductUpdatePayload") == 0
                             ? "UserError"
                             : "ProductVariantsBulkUpdateUserError";
        return ag_user_errors(c, pl, et, f);
    }
    if (strcmp(f->name, "product") == 0)
        return pl->product ? obj(c, (ref){.type = "Product", .p = pl->product}, f) : cJSON_CreateNull();
    /* productVariants: the variants updated, null when none was. */
    if (!pl->variants)
        return cJSON_CreateNull();
    ref *rs = xcalloc(pl->n_variants + 1, sizeof *rs);
    for (size_t i = 0; i < pl->n_variants; i++)
        rs[i] = (ref){.type = "ProductVariant", .v = pl->variants[i]};
    cJSON *a = ag_list_of(c, rs, pl->n_variants, f);
    free(rs);
    return a;
}

typedef cJSON *(*resolver)(ctx *c, const ref *o, const gql_selection *f, int *own);

static const struct {
    const char *type;
    resolver fn;
} RESOLVERS[] = {
    {"ProductVariant", r_variant},
    {"InventoryItem", r_item},
    {"InventoryItemMeasurement", r_measurement},
    {"Weight", r_weight},
    {"Product", r_product},
    {"Count", r_count},
    {"ProductUpdatePayload", r_payload},
    {"ProductVariantsBulkUpdatePayload", r_payload},
};

int ag_products_field(ctx *c, const ref *o, const gql_selection *f, cJSON **out)
{
    for (size_t i = 0; i < sizeof RESOLVERS / sizeof RESOLVERS[0]; i++)
        if (strcmp(RESOLVERS[i].type, o->type) == 0) {
            int own = 1;
            *out = RESOLVERS[i].fn(c, o, f, &own);
            return own;
        }
    return 0;
}

/* ---- the products connection ------------------------------------------------------- */

/* A product against one search term of products(query:): id (a gid or a
 * number, with comparators), created_at and updated_at (dates, with
 * comparators), status (a ProductStatus, any case), sku (a variant's, exact);
 * a field the mock does not know matches, as Shopify ignores it (GraphQL
 * ref, products). */
typedef struct {
    const ws_shop *s;
    const ws_product *p;
} product_obj;

static int product_term(const search_term *t, const void *obj)
{
    const ws_shop *s = ((const product_obj *)obj)->s;
    const ws_product *p = ((const product_obj *)obj)->p;
    if (strcmp(t->field, "id") == 0) {
        int64_t want = ag_gid_id(t->value, "Product");
        if (want < 0)
            want = strtoll(t->value, NULL, 10);
        return search_compare(t->op, p->id, want);
    }
    if (strcmp(t->field, "updated_at") == 0)
        return ag_date_term(s, t, p->updated_ms);
    if (strcmp(t->field, "created_at") == 0)
        return ag_date_term(s, t, p->created_ms);
    if (strcmp(t->field, "status") == 0)
        return strcasecmp(t->value, world_status_name(p->status)) == 0;
    if (strcmp(t->field, "sku") == 0) {
        for (size_t i = 0; i < p->n_variants; i++)
            if (strcmp(t->value, s->variants[p->variants[i]].sku) == 0)
                return 1;
        return 0;
    }
    return 1;
}

cJSON *ag_products_connection(ctx *c, const gql_selection *f)
{
    const cJSON *q = ag_field_arg(c, f, "query");
    search_query sq;
    search_parse(cJSON_IsString(q) ? q->valuestring : NULL, &sq);
    cands cl;
    ag_cands_init(&cl, c->s->n_products);
    for (size_t i = 0; i < c->s->n_products; i++) {
        ws_product *p = &c->s->products[i];
        product_obj x = {c->s, p};
        if (search_match(&sq, product_term, &x))
            ag_cands_add(&cl, (ref){.type = "Product", .p = p}, p->id);
    }
    return ag_cands_resolve(c, f, "Product", &cl);
}

/* ---- productUpdate -------------------------------------------------------------------- */

/* productUpdate(product: ProductUpdateInput!): id, title, status (the
 * input that replaced ProductInput in 2024-10). */
int ag_m_product_update(ctx *c, const gql_selection *f, ag_payload *pl)
{
    const cJSON *in = ag_field_arg(c, f, "product");
    static const char *const keys[] = {"id", "title", "status", NULL};
    if (!cJSON_IsObject(in) || ag_only_keys(c, f, in, "ProductUpdateInput", keys) != 0)
        return -1;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(in, "id");
    const cJSON *title = cJSON_GetObjectItemCaseSensitive(in, "title");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(in, "status");
    world_edit pe;
    memset(&pe, 0, sizeof pe);
    int unlisted = ag_version_at_least(c->version, "2025-10");
    if (status && !cJSON_IsNull(status)) {
        if (!cJSON_IsString(status) || catalog_status(status->valuestring, unlisted, &pe.status) != 0) {
            ag_error(c, f->line, f->col, "argumentLiteralsIncompatible",
                     "Argument 'status' on InputObject 'ProductUpdateInput' has an invalid value. "
                     "Expected type 'ProductStatus' (ACTIVE, ARCHIVED, DRAFT%s).",
                     unlisted ? ", UNLISTED" : "");
            return -1;
        }
        pe.has_status = 1;
    }
    if (title && !cJSON_IsNull(title) && !cJSON_IsString(title))
        return -1;
    int64_t pid = cJSON_IsString(id) ? ag_gid_id(id->valuestring, "Product") : -1;
    ws_product *p = pid > 0 ? world_product_by_id(c->s, pid) : NULL;
    if (!p) {
        ag_user_error(pl, NULL, "Product does not exist", "id");
        return 0;
    }
    if (cJSON_IsString(title)) {
        if (!*title->valuestring) {
            ag_user_error(pl, NULL, "Title can't be blank", "title");
            return 0;
        }
        if (strlen(title->valuestring) > 255) {
            ag_user_error(pl, NULL, "Title is too long (maximum is 255 characters)", "title");
            return 0;
        }
        pe.title = title->valuestring;
    }
    char by[160];
    client_of(c, by, sizeof by);
    world_product_edit(c->w, c->s, p, &pe, NULL, NULL, 0, by);
    pl->product = p;
    c->mutated = 1;
    return 0;
}

/* ---- productVariantsBulkUpdate ---------------------------------------------------------- */

/* The input object's keys: ProductVariantsBulkInput, its inventoryItem
 * (InventoryItemInput), measurement and weight. GraphQL errors. */
static int check_input_keys(ctx *c, const gql_selection *f, const cJSON *in)
{
    static const char *const keys[] = {"id", "price", "compareAtPrice", "barcode", "inventoryItem",
                                       NULL};
    static const char *const item_keys[] = {"cost", "measurement", NULL};
    static const char *const m_keys[] = {"weight", NULL};
    static const char *const w_keys[] = {"value", "unit", NULL};
    if (!cJSON_IsObject(in) || ag_only_keys(c, f, in, "ProductVariantsBulkInput", keys) != 0)
        return -1;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(in, "inventoryItem");
    if (!item || cJSON_IsNull(item))
        return 0;
    if (!cJSON_IsObject(item) || ag_only_keys(c, f, item, "InventoryItemInput", item_keys) != 0)
        return -1;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(item, "measurement");
    if (!m || cJSON_IsNull(m))
        return 0;
    if (!cJSON_IsObject(m) || ag_only_keys(c, f, m, "InventoryItemMeasurementInput", m_keys) != 0)
        return -1;
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(m, "weight");
    if (w && !cJSON_IsNull(w) && (!cJSON_IsObject(w) || ag_only_keys(c, f, w, "WeightInput", w_keys) != 0))
        return -1;
    return 0;
}

/* One input's variant, or NULL after a user error. */
static ws_variant *input_variant(ctx *c, const ws_product *p, const cJSON *in, size_t i,
                                 ag_payload *pl)
{
    char path[64];
    snprintf(path, sizeof path, "variants.%zu.id", i);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(in, "id");
    if (!id || cJSON_IsNull(id)) {
        ag_user_error(pl, "PRODUCT_VARIANT_ID_MISSING", "Product variant is missing ID attribute",
                      path);
        return NULL;
    }
    int64_t vid = cJSON_IsString(id) ? ag_gid_id(id->valuestring, "ProductVariant") : -1;
    ws_variant *v = vid > 0 ? world_variant_by_id(c->s, vid) : NULL;
    if (!v || v->product_id != p->id) {
        ag_user_error(pl, "PRODUCT_VARIANT_DOES_NOT_EXIST", "Product variant does not exist", path);
        return NULL;
    }
    return v;
}

int ag_m_variants_bulk_update(ctx *c, const gql_selection *f, ag_payload *pl)
{
    const cJSON *pid = ag_field_arg(c, f, "productId");
    const cJSON *vars = ag_field_arg(c, f, "variants");
    const cJSON *partial = ag_field_arg(c, f, "allowPartialUpdates");
    if (!cJSON_IsString(pid) || !cJSON_IsArray(vars) ||
        (partial && !cJSON_IsNull(partial) && !cJSON_IsBool(partial)))
        return -1;
    size_t n = (size_t)cJSON_GetArraySize(vars);
    if (n > MAX_INPUTS) {
        ag_error(c, f->line, f->col, "MAX_INPUT_SIZE_EXCEEDED",
                 "The input array size of %zu is greater than the maximum allowed of %d.", n,
                 MAX_INPUTS);
        return -1;
    }
    const cJSON *in;
    cJSON_ArrayForEach(in, vars) if (check_input_keys(c, f, in) != 0) return -1;
    int64_t id = ag_gid_id(pid->valuestring, "Product");
    ws_product *p = id > 0 ? world_product_by_id(c->s, id) : NULL;
    if (!p) {
        ag_user_error(pl, "PRODUCT_DOES_NOT_EXIST", "Product does not exist", "productId");
        return 0;
    }
    ws_variant **vs = xcalloc(n + 1, sizeof *vs);
    world_edit *es = xcalloc(n + 1, sizeof *es);
    size_t ok = 0, i = 0;
    cJSON_ArrayForEach(in, vars)
    {
        ws_variant *v = input_variant(c, p, in, i, pl);
        catalog_err err;
        memset(&es[ok], 0, sizeof es[ok]);
        if (v && catalog_read_variant(in, &es[ok], &err) != 0) {
            char path[160];
            snprintf(path, sizeof path, "variants.%zu.%s", i, err.field);
            ag_user_error(pl, err.code, err.msg, path);
            v = NULL;
        }
        if (v)
            vs[ok++] = v;
        i++;
    }
    /* All or nothing unless allowPartialUpdates (default false:
     * shopify.dev, productVariantsBulkUpdate). */
    int apply = ok > 0 && (cJSON_GetArraySize(pl->user_errors) == 0 || cJSON_IsTrue(partial));
    if (apply) {
        char by[160];
        client_of(c, by, sizeof by);
        world_product_edit(c->w, c->s, p, NULL, vs, es, ok, by);
        pl->variants = vs;
        pl->n_variants = ok;
        c->mutated = 1;
    } else {
        free(vs);
    }
    pl->product = p;
    free(es);
    return 0;
}
