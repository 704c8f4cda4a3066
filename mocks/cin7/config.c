/* Reading mock-cin7's config and seed documents; see config.h. */
#include "config.h"

#include "clock.h"
#include "mem.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The 20 webhook types Cin7's reference lists for POST webhooks (the API
 * blueprint's list, ../shared/API-NOTES.md), with the names its UI shows.
 * Newer client code names 11 more (Sale/Created, Purchase/Updated,
 * Product/Updated, CRM types...); the reference does not, so the mock
 * refuses them: an engine that relied on one could not subscribe on an
 * account that lacks it. */
const char *const c7config_hook_types[] = {
    "Sale/QuoteAuthorised",
    "Sale/OrderAuthorised",
    "Sale/Voided",
    "Sale/Backordered",
    "Sale/ShipmentAuthorised",
    "Sale/InvoiceAuthorised",
    "Sale/PickAuthorised",
    "Sale/PackAuthorised",
    "Sale/CreditNoteAuthorised",
    "Sale/Undo",
    "Sale/PartialPaymentReceived",
    "Sale/FullPaymentReceived",
    "Sale/ShipmentTrackingNumberChanged",
    "Purchase/OrderAuthorised",
    "Purchase/InvoiceAuthorised",
    "Purchase/StockReceivedAuthorised",
    "Purchase/CreditNoteAuthorised",
    "Customer/Updated",
    "Supplier/Updated",
    "Stock/AvailableStockLevelChanged",
    NULL,
};

static const char *const hook_names[] = {
    "Sale quote has been authorised",
    "Sale order has been authorised",
    "Sale has been voided",
    "Sale has been backordered",
    "Sale shipment has been authorised",
    "Sale invoice has been authorised",
    "Sale pick has been authorised",
    "Sale pack has been authorised",
    "Sale credit note has been authorised",
    "Sale has been undone",
    "Sale partial payment has been received",
    "Sale full payment has been received",
    "Sale shipment tracking number has been changed",
    "Purchase order has been authorised",
    "Purchase invoice has been authorised",
    "Purchase stock received has been authorised",
    "Purchase credit note has been authorised",
    "Customer has been updated",
    "Supplier has been updated",
    "Available stock level has been changed",
};

const char *c7config_hook_type(const char *type)
{
    for (size_t i = 0; type && c7config_hook_types[i]; i++)
        if (strcasecmp(type, c7config_hook_types[i]) == 0)
            return c7config_hook_types[i];
    return NULL;
}

const char *c7config_hook_name(const char *type)
{
    for (size_t i = 0; type && c7config_hook_types[i]; i++)
        if (strcmp(type, c7config_hook_types[i]) == 0)
            return hook_names[i];
    return "";
}

const char *c7config_auth_type(const char *auth)
{
    static const char *const known[] = {"noauth", "basicauth", "bearerauth", NULL};
    for (size_t i = 0; auth && known[i]; i++)
        if (strcasecmp(auth, known[i]) == 0)
            return known[i];
    return NULL;
}

int c7config_is_guid(const char *s)
{
    if (!s || strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

/* Tax rules an account has when the config names none: Cin7 accounts come
 * with rules of these kinds; "Tax Exempt" is the supplier default the
 * mock's suppliers show. */
static void add_default_taxes(c7cfg *c)
{
    static const struct {
        const char *name;
        int64_t percent;
        int sale, purchase;
    } d[] = {
        {"Tax Exempt", 0, 1, 1},
        {"Tax on Sales", 10, 1, 0},
        {"Tax on Purchases", 10, 0, 1},
    };
    size_t n = sizeof d / sizeof d[0];
    c->taxes = xcalloc(n, sizeof *c->taxes);
    for (size_t i = 0; i < n; i++)
        c->taxes[i] = (c7cfg_tax){xstrdup(d[i].name), NULL, qty4_units(d[i].percent), d[i].sale,
                                  d[i].purchase, 1};
    c->n_taxes = n;
}

static void free_taxes(c7cfg *c)
{
    for (size_t i = 0; i < c->n_taxes; i++) {
        free(c->taxes[i].name);
        free(c->taxes[i].id);
    }
    free(c->taxes);
    c->taxes = NULL;
    c->n_taxes = 0;
}

/* ---- defaults -------------------------------------------------------------- */

c7cfg *c7config_defaults(void)
{
    c7cfg *c = xcalloc(1, sizeof *c);
    c->account = xstrdup("demo");
    c->calls_per_minute = 60; /* preset "core": the reference's figure */
    c->window_ms = 60000;
    c->over_limit_status = 503;
    c->pick_after_ms = 30 * 60000;
    c->pack_after_ms = 30 * 60000;
    c->ship_after_ms = 60 * 60000;
    c->task_draft_ms = 5 * 60000;
    c->sale_invoice_ms = 60 * 60000;
    c->sale_pay_ms = 60 * 60000;
    c->split_gap_ms = 2 * 60 * 60000;
    c->void_after_ms = 20 * 60000;
    c->auto_approve_ms = C7_NEVER;
    c->lead_jitter_ms = 0;
    c->purchase_invoice_ms = 60 * 60000;
    add_default_taxes(c);
    c->coalesce_ms = 60000;
    c->first_attempt_ms = 60000;
    /* Cin7: the first attempt 1 min after the event, then 5, 10, 15, 20 and
     * 25 minutes after the previous one. */
    static const int64_t waits[] = {5, 10, 15, 20, 25};
    for (size_t i = 0; i < 5; i++)
        c->retry_ms[i] = waits[i] * 60000;
    c->n_retries = 5;
    c->hook_timeout_ms = 5000;
    c->hook_connect_timeout_ms = 1000;
    c->hooks_per_type = 5;
    c->hook_senders = 4;
    return c;
}

static void add_demo_app(c7cfg *c)
{
    c->apps = xcalloc(1, sizeof *c->apps);
    c->apps[0].name = xstrdup("demo");
    c->apps[0].key = xstrdup("demo-key");
    c->n_apps = 1;
}

c7cfg *c7config_demo(void)
{
    c7cfg *c = c7config_defaults();
    add_demo_app(c);
    c->locations = xcalloc(1, sizeof *c->locations);
    c->locations[0].name = xstrdup("Main Warehouse");
    c->n_locations = 1;
    c->suppliers = xcalloc(1, sizeof *c->suppliers);
    c7cfg_supplier *s = &c->suppliers[0];
    s->name = xstrdup("Demo Supplier");
    s->currency = xstrdup("USD");
    s->payment_term = xstrdup("30 days");
    s->lead_ms = 7 * 86400000LL;
    s->minimum_order = 50;
    c->n_suppliers = 1;
    c->products = xcalloc(10, sizeof *c->products);
    c->stock = xcalloc(10, sizeof *c->stock);
    for (int i = 0; i < 10; i++) {
        c7cfg_product *p = &c->products[i];
        p->sku = xasprintf("DEMO-%03d", i + 1);
        p->name = xasprintf("Demo product %d", i + 1);
        p->supplier = xstrdup("Demo Supplier");
        p->status = xstrdup("Active");
        p->cost = 5;
        p->price = 12.5;
        c->stock[i].sku = xstrdup(p->sku);
        c->stock[i].location = xstrdup("Main Warehouse");
        c->stock[i].on_hand = qty4_units(100);
        c->stock[i].expiry_ms = -1;
    }
    c->n_products = 10;
    c->n_stock = 10;
    /* The customer syncd's demo config sells to. */
    c->customers = xcalloc(1, sizeof *c->customers);
    c->customers[0].name = xstrdup("Shopify demo.myshopify.com");
    c->n_customers = 1;
    return c;
}

void c7config_free(c7cfg *c)
{
    if (!c)
        return;
    free(c->account);
    for (size_t i = 0; i < c->n_apps; i++) {
        free(c->apps[i].name);
        free(c->apps[i].key);
    }
    free(c->apps);
    for (size_t i = 0; i < c->n_locations; i++) {
        free(c->locations[i].name);
        free(c->locations[i].id);
    }
    free(c->locations);
    for (size_t i = 0; i < c->n_suppliers; i++) {
        c7cfg_supplier *s = &c->suppliers[i];
        free(s->name);
        free(s->id);
        free(s->currency);
        free(s->payment_term);
        for (size_t j = 0; j < s->n_locations; j++)
            free(s->locations[j]);
        free(s->locations);
    }
    free(c->suppliers);
    for (size_t i = 0; i < c->n_products; i++) {
        c7cfg_product *p = &c->products[i];
        free(p->sku);
        free(p->name);
        free(p->id);
        free(p->supplier);
        free(p->status);
        free(p->barcode);
        free(p->weight_units);
        for (size_t k = 0; k < p->n_bom; k++)
            free(p->bom[k].sku);
        free(p->bom);
    }
    free(c->products);
    for (size_t i = 0; i < c->n_stock; i++) {
        free(c->stock[i].sku);
        free(c->stock[i].location);
        free(c->stock[i].bin);
        free(c->stock[i].batch);
    }
    free(c->stock);
    for (size_t i = 0; i < c->n_customers; i++) {
        free(c->customers[i].name);
        free(c->customers[i].id);
    }
    free(c->customers);
    free_taxes(c);
    for (size_t i = 0; i < c->n_subs; i++) {
        c7cfg_sub *s = &c->subs[i];
        free(s->id);
        free(s->type);
        free(s->url);
        free(s->auth);
        free(s->username);
        free(s->password);
        free(s->token);
        for (size_t j = 0; j < s->n_headers; j++) {
            free(s->header_keys[j]);
            free(s->header_values[j]);
        }
        free(s->header_keys);
        free(s->header_values);
    }
    free(c->subs);
    free(c);
}

/* ---- helpers ---------------------------------------------------------------- */

/* A string field copied into *out (left alone when absent and optional);
 * empty strings are refused when nonempty is set. */
static int get_str(const cJSON *o, const char *path, const char *key, int required, int nonempty,
                   char **out, json_err *e)
{
    const char *s = NULL;
    if (json_get_str(o, path, key, required, &s, e))
        return -1;
    if (!s)
        return 0;
    if (nonempty && !*s) {
        char p[256];
        json_path_key(p, sizeof p, path, key);
        return json_fail(e, p, "must not be empty");
    }
    if (strlen(s) > 1024) {
        char p[256];
        json_path_key(p, sizeof p, path, key);
        return json_fail(e, p, "longer than 1024 characters");
    }
    free(*out);
    *out = xstrdup(s);
    return 0;
}

static int get_guid(const cJSON *o, const char *path, const char *key, char **out, json_err *e)
{
    if (get_str(o, path, key, JSON_OPTIONAL, 1, out, e))
        return -1;
    if (*out && !c7config_is_guid(*out)) {
        char p[256];
        json_path_key(p, sizeof p, path, key);
        return json_fail(e, p, "expected a GUID such as \"0b9c1b4e-2f6a-4c1d-9e3b-5a7d8c6f1e20\", got \"%s\"",
                         *out);
    }
    return 0;
}

/* A duration that may be switched off with null or "never". */
static int get_opt_duration(const cJSON *o, const char *path, const char *key, int64_t *out,
                            json_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (v && (cJSON_IsNull(v) || (cJSON_IsString(v) && strcmp(v->valuestring, "never") == 0))) {
        *out = C7_NEVER;
        return 0;
    }
    return json_get_duration(o, path, key, JSON_OPTIONAL, out, e);
}

/* The array under key, each element an object; n = 0 when absent. */
static int get_objects(const cJSON *o, const char *path, const char *key, const cJSON **arr,
                       size_t *n, size_t max, json_err *e)
{
    *arr = NULL;
    *n = 0;
    if (json_get_arr(o, path, key, JSON_OPTIONAL, arr, e))
        return -1;
    if (!*arr)
        return 0;
    size_t count = (size_t)cJSON_GetArraySize(*arr);
    char p[256];
    json_path_key(p, sizeof p, path, key);
    if (count > max)
        return json_fail(e, p, "more than %zu entries", max);
    size_t i = 0;
    const cJSON *it = NULL;
    cJSON_ArrayForEach(it, *arr)
    {
        if (!cJSON_IsObject(it)) {
            char ip[256];
            json_path_index(ip, sizeof ip, p, i);
            return json_fail(e, ip, "expected an object, got %s", json_type_name(it));
        }
        i++;
    }
    *n = count;
    return 0;
}

/* Fails when entry i repeats the name of an earlier entry (compared without
 * case, as Cin7 compares SKUs and names). */
static int check_unique(const char *name, const char *const *earlier, size_t i, const char *path,
                        const char *what, json_err *e)
{
    for (size_t j = 0; j < i; j++)
        if (earlier[j] && strcasecmp(earlier[j], name) == 0)
            return json_fail(e, path, "%s \"%s\" appears twice", what, name);
    return 0;
}

/* Keeps the documents' sizes sane: a bench world has thousands of SKUs. */
#define MAX_ENTRIES 200000

/* ---- sections ----------------------------------------------------------------- */

static int parse_apps(const cJSON *root, c7cfg *c, json_err *e)
{
    const cJSON *arr = NULL;
    size_t n;
    if (get_objects(root, "$", "applications", &arr, &n, 1000, e))
        return -1;
    if (!arr)
        return 0;
    c->apps = xcalloc(n ? n : 1, sizeof *c->apps);
    static const char *const keys[] = {"name", "key", "calls_per_minute", NULL};
    const cJSON *it = NULL;
    cJSON_ArrayForEach(it, arr)
    {
        char p[256];
        json_path_index(p, sizeof p, "$.applications", c->n_apps);
        c7cfg_app *a = &c->apps[c->n_apps++];
        if (json_only_keys(it, p, keys, e) || get_str(it, p, "key", JSON_REQUIRED, 1, &a->key, e) ||
            get_str(it, p, "name", JSON_OPTIONAL, 1, &a->name, e))
            return -1;
        const cJSON *cpm = cJSON_GetObjectItemCaseSensitive(it, "calls_per_minute");
        if (cJSON_IsString(cpm) && strcmp(cpm->valuestring, "unlimited") == 0)
            a->calls_per_minute = C7_UNLIMITED;
        else if (json_get_int(it, p, "calls_per_minute", JSON_OPTIONAL, 1, 100000000,
                              &a->calls_per_minute, e))
            return -1;
        if (!a->name)
            a->name = xstrdup(a->key);
        for (size_t j = 0; j + 1 < c->n_apps; j++)
            if (strcmp(c->apps[j].key, a->key) == 0) {
                char kp[256];
                json_path_key(kp, sizeof kp, p, "key");
                return json_fail(e, kp, "application key appears twice");
            }
    }
    return 0;
}

static int parse_locations(const cJSON *root, c7cfg *c, json_err *e)
{
    const cJSON *arr = NULL;
    size_t n;
    if (get_objects(root, "$", "locations", &arr, &n, 1000, e))
        return -1;
    if (!arr)
        return 0;
    c->locations = xcalloc(n ? n : 1, sizeof *c->locations);
    const char **names = xcalloc(n ? n : 1, sizeof *names);
    static const char *const keys[] = {"name", "id", NULL};
    const cJSON *it = NULL;
    int rc = 0;
    cJSON_ArrayForEach(it, arr)
    {
        char p[256], np[256];
        json_path_index(p, sizeof p, "$.locations", c->n_locations);
        json_path_key(np, sizeof np, p, "name");
        c7cfg_location *l = &c->locations[c->n_locations];
        if (json_only_keys(it, p, keys, e) || get_str(it, p, "name", JSON_REQUIRED, 1, &l->name, e) ||
            get_guid(it, p, "id", &l->id, e) ||
            check_unique(l->name, names, c->n_locations, np, "location", e)) {
            c->n_locations++;
            rc = -1;
            break;
        }
        names[c->n_locations++] = l->name;
    }
    free(names);
    return rc;
}

static int parse_suppliers(const cJSON *root, c7cfg *c, json_err *e)
{
    const cJSON *arr = NULL;
    size_t n;
    if (get_objects(root, "$", "suppliers", &arr, &n, 10000, e))
        return -1;
    if (!arr)
        return 0;
    c->suppliers = xcalloc(n ? n : 1, sizeof *c->suppliers);
    const char **names = xcalloc(n ? n : 1, sizeof *names);
    static const char *const keys[] = {"name",      "id",           "currency", "payment_term",
                                       "lead_time", "minimum_order", "locations", NULL};
    const cJSON *it = NULL;
    int rc = -1;
    cJSON_ArrayForEach(it, arr)
    {
        char p[256], np[256];
        json_path_index(p, sizeof p, "$.suppliers", c->n_suppliers);
        json_path_key(np, sizeof np, p, "name");
        c7cfg_supplier *s = &c->suppliers[c->n_suppliers++];
        s->lead_ms = 7 * 86400000LL;
        if (json_only_keys(it, p, keys, e) || get_str(it, p, "name", JSON_REQUIRED, 1, &s->name, e) ||
            get_guid(it, p, "id", &s->id, e) ||
            get_str(it, p, "currency", JSON_OPTIONAL, 1, &s->currency, e) ||
            get_str(it, p, "payment_term", JSON_OPTIONAL, 1, &s->payment_term, e) ||
            json_get_duration(it, p, "lead_time", JSON_OPTIONAL, &s->lead_ms, e) ||
            json_get_int(it, p, "minimum_order", JSON_OPTIONAL, 0, 1000000000, &s->minimum_order, e) ||
            check_unique(s->name, names, c->n_suppliers - 1, np, "supplier", e))
            goto out;
        names[c->n_suppliers - 1] = s->name;
        if (!s->currency)
            s->currency = xstrdup("USD");
        if (!s->payment_term)
            s->payment_term = xstrdup("30 days");
        const cJSON *locs = NULL;
        if (json_get_arr(it, p, "locations", JSON_OPTIONAL, &locs, e))
            goto out;
        if (locs) {
            size_t nl = (size_t)cJSON_GetArraySize(locs);
            s->locations = xcalloc(nl ? nl : 1, sizeof *s->locations);
            const cJSON *l = NULL;
            cJSON_ArrayForEach(l, locs)
            {
                char lp[256], pp[256];
                json_path_key(pp, sizeof pp, p, "locations");
                json_path_index(lp, sizeof lp, pp, s->n_locations);
                if (!cJSON_IsString(l) || !*l->valuestring) {
                    json_fail(e, lp, "expected a location name, got %s", json_type_name(l));
                    goto out;
                }
                s->locations[s->n_locations++] = xstrdup(l->valuestring);
            }
        }
    }
    rc = 0;
out:
    free(names);
    return rc;
}

/* A product's "bom": [{"sku", "qty" > 0}], at most MAX_BOM components, each
 * SKU once ("qty" as Cin7's BillOfMaterialsProducts[].Quantity, a decimal of
 * at most 4 places). Wastage is not modelled, so its keys are refused. */
#define MAX_BOM 100
static int get_qty(const cJSON *o, const char *path, const char *key, qty4 *out, json_err *e);

static int parse_bom(const cJSON *it, const char *p, c7cfg_product *pr, json_err *e)
{
    const cJSON *arr = NULL;
    size_t n;
    if (get_objects(it, p, "bom", &arr, &n, MAX_BOM, e))
        return -1;
    if (!arr)
        return 0;
    char bp[256];
    json_path_key(bp, sizeof bp, p, "bom");
    if (n == 0)
        return json_fail(e, bp, "expected at least one component");
    pr->bom = xcalloc(n, sizeof *pr->bom);
    static const char *const keys[] = {"sku", "qty", NULL};
    const cJSON *comp;
    cJSON_ArrayForEach(comp, arr)
    {
        char cp[300];
        json_path_index(cp, sizeof cp, bp, pr->n_bom);
        c7cfg_component *k = &pr->bom[pr->n_bom++];
        if (json_only_keys(comp, cp, keys, e) || get_str(comp, cp, "sku", JSON_REQUIRED, 1, &k->sku, e) ||
            get_qty(comp, cp, "qty", &k->qty, e))
            return -1;
        char qp[320];
        json_path_key(qp, sizeof qp, cp, "qty");
        if (!cJSON_GetObjectItemCaseSensitive(comp, "qty"))
            return json_fail(e, qp, "required");
        if (k->qty <= 0)
            return json_fail(e, qp, "expected more than 0 (the units one %s takes)", pr->sku);
        if (strcmp(k->sku, pr->sku) == 0) {
            json_path_key(qp, sizeof qp, cp, "sku");
            return json_fail(e, qp, "\"%s\" cannot be a component of itself", k->sku);
        }
        for (size_t j = 0; j + 1 < pr->n_bom; j++)
            if (strcmp(pr->bom[j].sku, k->sku) == 0) {
                json_path_key(qp, sizeof qp, cp, "sku");
                return json_fail(e, qp, "\"%s\" is a component already", k->sku);
            }
    }
    return 0;
}

static int parse_products(const cJSON *root, c7cfg *c, json_err *e)
{
    const cJSON *arr = NULL;
    size_t n;
    if (get_objects(root, "$", "products", &arr, &n, MAX_ENTRIES, e))
        return -1;
    if (!arr)
        return 0;
    c->products = xcalloc(n ? n : 1, sizeof *c->products);
    static const char *const keys[] = {"sku",    "name",  "id",     "supplier",
                                       "cost",   "price", "status", "minimum_before_reorder",
                                       "reorder_quantity", "bom", "auto_assembly",
                                       "barcode", "weight", "weight_units", NULL};
    /* Duplicate SKUs are found by the world's index at apply time, which is
     * linear; a quadratic check here would make a 1,000-SKU seed slow. */
    const cJSON *it = NULL;
    cJSON_ArrayForEach(it, arr)
    {
        char p[256];
        json_path_index(p, sizeof p, "$.products", c->n_products);
        c7cfg_product *pr = &c->products[c->n_products++];
        if (json_only_keys(it, p, keys, e) || get_str(it, p, "sku", JSON_REQUIRED, 1, &pr->sku, e) ||
            get_str(it, p, "name", JSON_OPTIONAL, 1, &pr->name, e) || get_guid(it, p, "id", &pr->id, e) ||
            get_str(it, p, "supplier", JSON_OPTIONAL, 1, &pr->supplier, e) ||
            get_str(it, p, "status", JSON_OPTIONAL, 1, &pr->status, e) ||
            json_get_num(it, p, "cost", JSON_OPTIONAL, 0, 1e12, &pr->cost, e) ||
            json_get_num(it, p, "price", JSON_OPTIONAL, 0, 1e12, &pr->price, e) ||
            json_get_int(it, p, "minimum_before_reorder", JSON_OPTIONAL, 0, 1000000000,
                         &pr->minimum_before_reorder, e) ||
            json_get_int(it, p, "reorder_quantity", JSON_OPTIONAL, 0, 1000000000, &pr->reorder_quantity,
                         e) ||
            parse_bom(it, p, pr, e) ||
            json_get_bool(it, p, "auto_assembly", JSON_OPTIONAL, &pr->auto_assembly, e) ||
            get_str(it, p, "barcode", JSON_OPTIONAL, 0, &pr->barcode, e) ||
            json_get_num(it, p, "weight", JSON_OPTIONAL, 0, 1e9, &pr->weight, e) ||
            get_str(it, p, "weight_units", JSON_OPTIONAL, 1, &pr->weight_units, e))
            return -1;
        if (pr->barcode && strlen(pr->barcode) > 256) {
            char bp[256];
            json_path_key(bp, sizeof bp, p, "barcode");
            return json_fail(e, bp, "longer than 256 characters (Cin7's limit)");
        }
        if (pr->weight_units && strcmp(pr->weight_units, "oz") != 0 &&
            strcmp(pr->weight_units, "mg") != 0 && strcmp(pr->weight_units, "kg") != 0 &&
            strcmp(pr->weight_units, "lb") != 0 && strcmp(pr->weight_units, "g") != 0) {
            char up[256];
            json_path_key(up, sizeof up, p, "weight_units");
            return json_fail(e, up, "expected one of oz, mg, kg, lb, g, got \"%s\"", pr->weight_units);
        }
        if (pr->auto_assembly && !pr->n_bom) {
            char ap[256];
            json_path_key(ap, sizeof ap, p, "auto_assembly");
            return json_fail(e, ap, "needs a \"bom\" (what to assemble it from)");
        }
        if (strlen(pr->sku) > 50) {
            char sp[256];
            json_path_key(sp, sizeof sp, p, "sku");
            return json_fail(e, sp, "longer than 50 characters (Cin7's limit)");
        }
        if (pr->status && strcmp(pr->status, "Active") != 0 && strcmp(pr->status, "Deprecated") != 0) {
            char sp[256];
            json_path_key(sp, sizeof sp, p, "status");
            return json_fail(e, sp, "expected \"Active\" or \"Deprecated\", got \"%s\"", pr->status);
        }
        if (!pr->name)
            pr->name = xstrdup(pr->sku);
        if (!pr->status)
            pr->status = xstrdup("Active");
    }
    return 0;
}

/* A decimal quantity of at most 4 places from 0 to 10^9 under key. */
static int get_qty(const cJSON *o, const char *path, const char *key, qty4 *out, json_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        return 0;
    char p[256];
    json_path_key(p, sizeof p, path, key);
    int rc = qty4_from_json(v, 4, 0, qty4_units(1000000000), out);
    if (rc == -1)
        return json_fail(e, p, "expected a number, got %s", json_type_name(v));
    if (rc == -2)
        return json_fail(e, p, "at most 4 decimal places (Cin7's quantities), got %.10g",
                         v->valuedouble);
    if (rc)
        return json_fail(e, p, "expected a quantity from 0 to 1000000000");
    return 0;
}

static int parse_stock(const cJSON *root, c7cfg *c, json_err *e)
{
    const cJSON *arr = NULL;
    size_t n;
    if (get_objects(root, "$", "stock", &arr, &n, MAX_ENTRIES * 4, e))
        return -1;
    if (!arr)
        return 0;
    c->stock = xcalloc(n ? n : 1, sizeof *c->stock);
    static const char *const keys[] = {"sku", "location", "bin", "batch", "expiry",
                                       "on_hand", "in_transit", NULL};
    const cJSON *it = NULL;
    cJSON_ArrayForEach(it, arr)
    {
        char p[256];
        json_path_index(p, sizeof p, "$.stock", c->n_stock);
        c7cfg_stock *s = &c->stock[c->n_stock++];
        s->expiry_ms = -1;
        const char *expiry = NULL;
        if (json_only_keys(it, p, keys, e) || get_str(it, p, "sku", JSON_REQUIRED, 1, &s->sku, e) ||
            get_str(it, p, "location", JSON_REQUIRED, 1, &s->location, e) ||
            get_str(it, p, "bin", JSON_OPTIONAL, 1, &s->bin, e) ||
            get_str(it, p, "batch", JSON_OPTIONAL, 1, &s->batch, e) ||
            json_get_str(it, p, "expiry", JSON_OPTIONAL, &expiry, e) ||
            get_qty(it, p, "on_hand", &s->on_hand, e) || get_qty(it, p, "in_transit", &s->in_transit, e))
            return -1;
        s->has_in_transit = cJSON_GetObjectItemCaseSensitive(it, "in_transit") != NULL;
        if (expiry && clock_parse_iso(expiry, &s->expiry_ms) != 0) {
            char xp[256];
            json_path_key(xp, sizeof xp, p, "expiry");
            return json_fail(e, xp, "expected a date such as \"2027-03-31\", got \"%s\"", expiry);
        }
        if (expiry && !s->batch) {
            char xp[256];
            json_path_key(xp, sizeof xp, p, "expiry");
            return json_fail(e, xp, "an expiry date belongs to a batch: give \"batch\" too");
        }
    }
    return 0;
}

static int parse_customers(const cJSON *root, c7cfg *c, json_err *e)
{
    const cJSON *arr = NULL;
    size_t n;
    if (get_objects(root, "$", "customers", &arr, &n, MAX_ENTRIES, e))
        return -1;
    if (!arr)
        return 0;
    c->customers = xcalloc(n ? n : 1, sizeof *c->customers);
    static const char *const keys[] = {"name", "id", NULL};
    const cJSON *it = NULL;
    cJSON_ArrayForEach(it, arr)
    {
        char p[256];
        json_path_index(p, sizeof p, "$.customers", c->n_customers);
        c7cfg_customer *cu = &c->customers[c->n_customers++];
        if (json_only_keys(it, p, keys, e) || get_str(it, p, "name", JSON_REQUIRED, 1, &cu->name, e) ||
            get_guid(it, p, "id", &cu->id, e))
            return -1;
        if (strlen(cu->name) > 256) {
            char np[256];
            json_path_key(np, sizeof np, p, "name");
            return json_fail(e, np, "longer than 256 characters (Cin7's limit)");
        }
    }
    return 0;
}

static int parse_taxes(const cJSON *root, c7cfg *c, json_err *e)
{
    const cJSON *arr = NULL;
    size_t n;
    if (get_objects(root, "$", "tax_rules", &arr, &n, 1000, e))
        return -1;
    if (!arr)
        return 0;
    free_taxes(c);
    c->taxes = xcalloc(n ? n : 1, sizeof *c->taxes);
    const char **names = xcalloc(n ? n : 1, sizeof *names);
    static const char *const keys[] = {"name", "id", "percent", "for_sale", "for_purchase", "active",
                                       NULL};
    const cJSON *it = NULL;
    int rc = -1;
    cJSON_ArrayForEach(it, arr)
    {
        char p[256], np[256];
        json_path_index(p, sizeof p, "$.tax_rules", c->n_taxes);
        json_path_key(np, sizeof np, p, "name");
        c7cfg_tax *t = &c->taxes[c->n_taxes++];
        t->for_sale = t->for_purchase = t->active = 1;
        const cJSON *pct = cJSON_GetObjectItemCaseSensitive(it, "percent");
        if (json_only_keys(it, p, keys, e) || get_str(it, p, "name", JSON_REQUIRED, 1, &t->name, e) ||
            get_guid(it, p, "id", &t->id, e) ||
            json_get_bool(it, p, "for_sale", JSON_OPTIONAL, &t->for_sale, e) ||
            json_get_bool(it, p, "for_purchase", JSON_OPTIONAL, &t->for_purchase, e) ||
            json_get_bool(it, p, "active", JSON_OPTIONAL, &t->active, e) ||
            check_unique(t->name, names, c->n_taxes - 1, np, "tax rule", e))
            goto out;
        names[c->n_taxes - 1] = t->name;
        if (strlen(t->name) > 50) {
            json_fail(e, np, "longer than 50 characters (Cin7's limit)");
            goto out;
        }
        if (pct && qty4_from_json(pct, 4, 0, qty4_units(100), &t->percent) != 0) {
            char pp[256];
            json_path_key(pp, sizeof pp, p, "percent");
            json_fail(e, pp, "expected a percentage from 0 to 100 with at most 4 decimal places");
            goto out;
        }
    }
    rc = 0;
out:
    free(names);
    return rc;
}

static int parse_subs(const cJSON *root, c7cfg *c, json_err *e)
{
    const cJSON *arr = NULL;
    size_t n;
    if (get_objects(root, "$", "subscriptions", &arr, &n, 1000, e))
        return -1;
    if (!arr)
        return 0;
    c->subs = xcalloc(n ? n : 1, sizeof *c->subs);
    static const char *const keys[] = {"id",       "type",  "url",     "auth",   "username",
                                       "password", "token", "headers", "active", NULL};
    const cJSON *it = NULL;
    cJSON_ArrayForEach(it, arr)
    {
        char p[256], fp[256];
        json_path_index(p, sizeof p, "$.subscriptions", c->n_subs);
        c7cfg_sub *s = &c->subs[c->n_subs++];
        s->active = 1;
        if (json_only_keys(it, p, keys, e) || get_guid(it, p, "id", &s->id, e) ||
            get_str(it, p, "type", JSON_REQUIRED, 1, &s->type, e) ||
            get_str(it, p, "url", JSON_REQUIRED, 1, &s->url, e) ||
            get_str(it, p, "auth", JSON_OPTIONAL, 1, &s->auth, e) ||
            get_str(it, p, "username", JSON_OPTIONAL, 0, &s->username, e) ||
            get_str(it, p, "password", JSON_OPTIONAL, 0, &s->password, e) ||
            get_str(it, p, "token", JSON_OPTIONAL, 0, &s->token, e) ||
            json_get_bool(it, p, "active", JSON_OPTIONAL, &s->active, e))
            return -1;
        const char *canon = c7config_hook_type(s->type);
        if (!canon) {
            json_path_key(fp, sizeof fp, p, "type");
            return json_fail(e, fp, "unknown webhook type \"%s\"", s->type);
        }
        free(s->type);
        s->type = xstrdup(canon);
        if (strncmp(s->url, "http://", 7) != 0 && strncmp(s->url, "https://", 8) != 0) {
            json_path_key(fp, sizeof fp, p, "url");
            return json_fail(e, fp, "expected an http:// or https:// URL, got \"%s\"", s->url);
        }
        const char *auth = c7config_auth_type(s->auth ? s->auth : "noauth");
        if (!auth) {
            json_path_key(fp, sizeof fp, p, "auth");
            return json_fail(e, fp, "expected noauth, basicauth or bearerauth, got \"%s\"", s->auth);
        }
        free(s->auth);
        s->auth = xstrdup(auth);
        const cJSON *h = NULL;
        if (json_get_obj(it, p, "headers", JSON_OPTIONAL, &h, e))
            return -1;
        if (h) {
            size_t nh = (size_t)cJSON_GetArraySize(h);
            s->header_keys = xcalloc(nh ? nh : 1, sizeof *s->header_keys);
            s->header_values = xcalloc(nh ? nh : 1, sizeof *s->header_values);
            json_path_key(fp, sizeof fp, p, "headers");
            const cJSON *kv = NULL;
            cJSON_ArrayForEach(kv, h)
            {
                if (!cJSON_IsString(kv) || strpbrk(kv->string, ":\r\n") || !*kv->string ||
                    strpbrk(kv->valuestring, "\r\n")) {
                    char hp[256];
                    json_path_key(hp, sizeof hp, fp, kv->string);
                    return json_fail(e, hp, "expected a header name and a one-line string value");
                }
                s->header_keys[s->n_headers] = xstrdup(kv->string);
                s->header_values[s->n_headers++] = xstrdup(kv->valuestring);
            }
        }
    }
    return 0;
}

static int parse_rate_limit(const cJSON *root, c7cfg *c, json_err *e)
{
    const cJSON *o = NULL;
    if (json_get_obj(root, "$", "rate_limit", JSON_OPTIONAL, &o, e))
        return -1;
    if (!o)
        return 0;
    static const char *const keys[] = {"preset", "calls_per_minute", "window", "status", NULL};
    const char *preset = NULL;
    int64_t status = c->over_limit_status;
    if (json_only_keys(o, "$.rate_limit", keys, e) ||
        json_get_str(o, "$.rate_limit", "preset", JSON_OPTIONAL, &preset, e) ||
        json_get_int(o, "$.rate_limit", "status", JSON_OPTIONAL, 429, 503, &status, e) ||
        json_get_duration(o, "$.rate_limit", "window", JSON_OPTIONAL, &c->window_ms, e))
        return -1;
    if (status != 429 && status != 503)
        return json_fail(e, "$.rate_limit.status", "expected 503 (as the reference says) or 429, got %lld",
                         (long long)status);
    c->over_limit_status = (int)status;
    if (c->window_ms < 1)
        return json_fail(e, "$.rate_limit.window", "must be at least 1 ms");
    if (preset) {
        if (strcmp(preset, "core") == 0)
            c->calls_per_minute = 60;
        else if (strcmp(preset, "practitioner") == 0)
            c->calls_per_minute = 100;
        else if (strcmp(preset, "unlimited") == 0)
            c->calls_per_minute = C7_UNLIMITED;
        else
            return json_fail(e, "$.rate_limit.preset",
                             "unknown preset \"%s\" (known: core, practitioner, unlimited)", preset);
    }
    return json_get_int(o, "$.rate_limit", "calls_per_minute", JSON_OPTIONAL, 1, 100000000,
                        &c->calls_per_minute, e);
}

static int parse_delays(const cJSON *root, c7cfg *c, json_err *e)
{
    const cJSON *o = NULL;
    if (json_get_obj(root, "$", "sales", JSON_OPTIONAL, &o, e))
        return -1;
    if (o) {
        static const char *const keys[] = {
            "pick_after",  "pack_after", "ship_after",     "task_draft_for", "invoice_after",
            "paid_after",  "split_share", "split_gap",     "ship_allocated", "void_share",
            "void_after",  NULL};
        if (json_only_keys(o, "$.sales", keys, e) ||
            get_opt_duration(o, "$.sales", "pick_after", &c->pick_after_ms, e) ||
            get_opt_duration(o, "$.sales", "pack_after", &c->pack_after_ms, e) ||
            get_opt_duration(o, "$.sales", "ship_after", &c->ship_after_ms, e) ||
            json_get_duration(o, "$.sales", "task_draft_for", JSON_OPTIONAL, &c->task_draft_ms, e) ||
            get_opt_duration(o, "$.sales", "invoice_after", &c->sale_invoice_ms, e) ||
            get_opt_duration(o, "$.sales", "paid_after", &c->sale_pay_ms, e) ||
            json_get_num(o, "$.sales", "split_share", JSON_OPTIONAL, 0, 1, &c->split_share, e) ||
            json_get_duration(o, "$.sales", "split_gap", JSON_OPTIONAL, &c->split_gap_ms, e) ||
            json_get_bool(o, "$.sales", "ship_allocated", JSON_OPTIONAL, &c->ship_allocated, e) ||
            json_get_num(o, "$.sales", "void_share", JSON_OPTIONAL, 0, 1, &c->void_share, e) ||
            json_get_duration(o, "$.sales", "void_after", JSON_OPTIONAL, &c->void_after_ms, e))
            return -1;
    }
    o = NULL; /* the getter leaves it alone when the key is absent */
    if (json_get_obj(root, "$", "purchases", JSON_OPTIONAL, &o, e))
        return -1;
    if (o) {
        static const char *const keys[] = {"auto_approve_after", "lead_time_jitter", "invoice_after",
                                           NULL};
        if (json_only_keys(o, "$.purchases", keys, e) ||
            get_opt_duration(o, "$.purchases", "auto_approve_after", &c->auto_approve_ms, e) ||
            json_get_duration(o, "$.purchases", "lead_time_jitter", JSON_OPTIONAL, &c->lead_jitter_ms,
                              e) ||
            get_opt_duration(o, "$.purchases", "invoice_after", &c->purchase_invoice_ms, e))
            return -1;
    }
    return 0;
}

static int parse_webhooks(const cJSON *root, c7cfg *c, json_err *e)
{
    const cJSON *o = NULL;
    if (json_get_obj(root, "$", "webhooks", JSON_OPTIONAL, &o, e))
        return -1;
    if (!o)
        return 0;
    static const char *const keys[] = {"coalesce_window", "first_attempt_after", "retry_after",
                                       "timeout",         "connect_timeout",     "max_per_type",
                                       "senders",         NULL};
    const char *P = "$.webhooks";
    if (json_only_keys(o, P, keys, e) ||
        json_get_duration(o, P, "coalesce_window", JSON_OPTIONAL, &c->coalesce_ms, e) ||
        json_get_duration(o, P, "first_attempt_after", JSON_OPTIONAL, &c->first_attempt_ms, e) ||
        json_get_duration(o, P, "timeout", JSON_OPTIONAL, &c->hook_timeout_ms, e) ||
        json_get_duration(o, P, "connect_timeout", JSON_OPTIONAL, &c->hook_connect_timeout_ms, e) ||
        json_get_int(o, P, "max_per_type", JSON_OPTIONAL, 1, 1000, &c->hooks_per_type, e) ||
        json_get_int(o, P, "senders", JSON_OPTIONAL, 1, 64, &c->hook_senders, e))
        return -1;
    /* Durations past 30 days would overflow nothing, but make no sense for a
     * webhook and keep the sums of waits far from int64's range. */
    const int64_t month = 30LL * 86400000;
    if (c->coalesce_ms > month || c->first_attempt_ms > month)
        return json_fail(e, P, "coalesce_window and first_attempt_after must be at most 30d");
    if (c->hook_timeout_ms < 1 || c->hook_connect_timeout_ms < 1)
        return json_fail(e, P, "timeout and connect_timeout must be at least 1 ms");
    const cJSON *arr = NULL;
    if (json_get_arr(o, P, "retry_after", JSON_OPTIONAL, &arr, e))
        return -1;
    if (arr) {
        size_t n = (size_t)cJSON_GetArraySize(arr);
        if (n > C7_MAX_RETRIES)
            return json_fail(e, "$.webhooks.retry_after", "at most %d retries", C7_MAX_RETRIES);
        /* Each element read as a one-key object so the duration helper and
         * its error paths serve for arrays too. */
        size_t i = 0;
        const cJSON *it = NULL;
        cJSON_ArrayForEach(it, arr)
        {
            char ip[256];
            json_path_index(ip, sizeof ip, "$.webhooks.retry_after", i);
            cJSON *wrap = cJSON_CreateObject();
            cJSON_AddItemToObject(wrap, "w", cJSON_Duplicate(it, 1));
            int64_t ms = 0;
            int rc = json_get_duration(wrap, "$", "w", JSON_REQUIRED, &ms, e);
            cJSON_Delete(wrap);
            if (rc) {
                /* Re-aim the message at the element's own path. */
                char msg[512];
                const char *colon = strstr(e->msg, ": ");
                snprintf(msg, sizeof msg, "%s", colon ? colon + 2 : e->msg);
                return json_fail(e, ip, "%s", msg);
            }
            if (ms > month)
                return json_fail(e, ip, "must be at most 30d");
            c->retry_ms[i++] = ms;
        }
        c->n_retries = i;
    }
    return 0;
}

int c7config_parse(const cJSON *v, int seed_only, c7cfg **out, json_err *e)
{
    *out = NULL;
    static const char *const config_keys[] = {
        "account",   "applications", "rate_limit", "sales", "purchases",     "webhooks", "tax_rules",
        "locations", "suppliers",    "products",   "stock", "subscriptions", "customers", NULL};
    static const char *const seed_keys[] = {"applications", "locations",     "suppliers", "products",
                                            "stock",        "subscriptions", "customers", NULL};
    if (json_only_keys(v, "$", seed_only ? seed_keys : config_keys, e))
        return -1;
    c7cfg *c = c7config_defaults();
    if (!seed_only) {
        if (get_str(v, "$", "account", JSON_OPTIONAL, 1, &c->account, e) ||
            parse_rate_limit(v, c, e) || parse_delays(v, c, e) || parse_webhooks(v, c, e) ||
            parse_taxes(v, c, e))
            goto fail;
    }
    if (parse_apps(v, c, e) || parse_locations(v, c, e) || parse_suppliers(v, c, e) ||
        parse_products(v, c, e) || parse_stock(v, c, e) || parse_subs(v, c, e) ||
        parse_customers(v, c, e))
        goto fail;
    if (!seed_only && !cJSON_GetObjectItemCaseSensitive(v, "applications"))
        add_demo_app(c);
    *out = c;
    return 0;
fail:
    c7config_free(c);
    return -1;
}
