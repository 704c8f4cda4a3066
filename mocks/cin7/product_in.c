/* Edits of a product as requests carry them; see product_in.h. */
#include "product_in.h"

#include "lines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Top-level keys of the reference's product: its PUT body schema
 * (REF:38385-38557), its answer item (REF:38559-38716) and the keys its
 * example shows as null (REF:9396ff). */
static const char *const PRODUCT_KEYS[] = {
    "AdditionalAttribute1", "AdditionalAttribute2", "AdditionalAttribute3", "AdditionalAttribute4",
    "AdditionalAttribute5", "AdditionalAttribute6", "AdditionalAttribute7", "AdditionalAttribute8",
    "AdditionalAttribute9", "AdditionalAttribute10", "AssemblyCostEstimationMethod",
    "AssemblyInstructionURL", "Attachments", "AttributeSet", "AutoAssembly", "AutoDisassembly",
    "AverageCost", "Barcode", "BillOfMaterial", "BillOfMaterialsProducts",
    "BillOfMaterialsServices", "Brand", "COGSAccount", "CartonHeight", "CartonInnerQuantity",
    "CartonLength", "CartonQuantity", "CartonWidth", "Category", "CostingMethod", "CountryOfOrigin",
    "CountryOfOriginCode", "DefaultLocation", "Description", "DiscountRule", "DropShipMode",
    "ExpenseAccount", "HSCode", "Height", "ID", "InternalNote", "InventoryAccount", "LastModifiedOn",
    "Length", "MinimumBeforeReorder", "Movements", "Name", "PickZones", "PriceTier1", "PriceTier2",
    "PriceTier3", "PriceTier4", "PriceTier5", "PriceTier6", "PriceTier7", "PriceTier8", "PriceTier9",
    "PriceTier10", "PriceTiers", "PurchaseTaxRule", "QuantityToProduce", "ReorderLevels",
    "ReorderQuantity", "RevenueAccount", "SKU", "SaleTaxRule", "Sellable", "ShortDescription",
    "Status", "StockLocator", "Suppliers", "Tags", "Type", "UOM", "Weight", "WeightUnits", "Width",
    NULL};

/* product_put_request_Suppliers_inner (REF:38260-38280), and the supplier
 * options GET product shows with IncludeSuppliers. */
static const char *const SUPPLIER_KEYS[] = {
    "Cost", "Currency", "DropShip", "FixedCost", "SupplierID", "SupplierInventoryCode",
    "SupplierName", "SupplierProductName", "URL", "ProductSupplierOptions", NULL};

/* REF:810-811, "Dimension Unit Available Values" (weights). */
static const char *const WEIGHT_UNITS[] = {"oz", "mg", "kg", "lb", "g", NULL};

/* Money and weights up to 10^9, to Cin7's 4 decimal places. */
#define BIG qty4_units(1000000000)

static int one_of(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

/* A decimal under key, noting whether it was given. */
static int given_decimal(const cJSON *o, const char *path, const char *key, int *has, qty4 *out,
                         json_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v))
        return 0;
    *has = 1;
    return c7lines_decimal(o, path, key, JSON_REQUIRED, 4, 0, BIG, out, e);
}

/* The fields both readers share: Name, Status, Barcode, Weight,
 * WeightUnits, PriceTier1..10. */
static int read_common(const cJSON *o, const char *path, c7product_edit *ed, json_err *e)
{
    char p[256];
    if (c7lines_text(o, path, "Name", JSON_OPTIONAL, 256, &ed->name, e) ||
        c7lines_text(o, path, "Status", JSON_OPTIONAL, 64, &ed->status, e) ||
        c7lines_text(o, path, "WeightUnits", JSON_OPTIONAL, 10, &ed->weight_units, e) ||
        given_decimal(o, path, "Weight", &ed->has_weight, &ed->weight, e))
        return -1;
    static const char *const texts[] = {"Name", "Status", NULL};
    for (const char *const *k = texts; *k; k++) {
        const char *got = strcmp(*k, "Name") == 0 ? ed->name : ed->status;
        if (!got && cJSON_GetObjectItemCaseSensitive(o, *k)) {
            json_path_key(p, sizeof p, path, *k);
            return json_fail(e, p, "must not be empty");
        }
    }
    if (ed->status && strcmp(ed->status, "Active") != 0 && strcmp(ed->status, "Deprecated") != 0) {
        json_path_key(p, sizeof p, path, "Status");
        return json_fail(e, p, "expected Active or Deprecated, got '%s'", ed->status);
    }
    if (ed->weight_units && !one_of(ed->weight_units, WEIGHT_UNITS)) {
        json_path_key(p, sizeof p, path, "WeightUnits");
        return json_fail(e, p, "expected one of oz, mg, kg, lb, g, got '%s'", ed->weight_units);
    }
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "Barcode");
    if (b) {
        json_path_key(p, sizeof p, path, "Barcode");
        if (cJSON_IsNull(b))
            ed->barcode = "";
        else if (!cJSON_IsString(b))
            return json_fail(e, p, "expected a string, got %s", json_type_name(b));
        else if (strlen(b->valuestring) > 256)
            return json_fail(e, p, "longer than 256 characters (Cin7's limit)");
        else
            ed->barcode = b->valuestring;
        ed->has_barcode = 1;
    }
    for (int t = 0; t < C7_PRICE_TIERS; t++) {
        char key[24];
        snprintf(key, sizeof key, "PriceTier%d", t + 1);
        if (given_decimal(o, path, key, &ed->has_tier[t], &ed->tier[t], e))
            return -1;
    }
    return 0;
}

/* PriceTiers {"Tier 1": 8, ...}: a tier given here and flat must agree. */
static int read_tier_map(const cJSON *v, c7product_edit *ed, json_err *e)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(v, "PriceTiers");
    if (!m || cJSON_IsNull(m))
        return 0;
    static const char *const keys[] = {"Tier 1", "Tier 2", "Tier 3", "Tier 4", "Tier 5",
                                       "Tier 6", "Tier 7", "Tier 8", "Tier 9", "Tier 10", NULL};
    if (json_only_keys(m, "$.PriceTiers", keys, e))
        return -1;
    for (int t = 0; t < C7_PRICE_TIERS; t++) {
        int has = 0;
        qty4 x = 0;
        if (given_decimal(m, "$.PriceTiers", keys[t], &has, &x, e))
            return -1;
        if (!has)
            continue;
        if (ed->has_tier[t] && ed->tier[t] != x) {
            char p[256];
            json_path_key(p, sizeof p, "$.PriceTiers", keys[t]);
            return json_fail(e, p, "disagrees with PriceTier%d", t + 1);
        }
        ed->has_tier[t] = 1;
        ed->tier[t] = x;
    }
    return 0;
}

/* Suppliers [{SupplierID or SupplierName, Cost?, ...}]. */
static int read_suppliers(const cJSON *v, c7product_edit *ed, json_err *e)
{
    const cJSON *arr = NULL;
    if (json_get_arr(v, "$", "Suppliers", JSON_OPTIONAL, &arr, e))
        return -1;
    if (!arr)
        return 0;
    ed->has_suppliers = 1;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        char p[64];
        json_path_index(p, sizeof p, "$.Suppliers", (size_t)ed->n_suppliers);
        if (ed->n_suppliers++ > 0)
            return json_fail(e, p, "the mock keeps one supplier per product");
        const char *id = NULL, *name = NULL;
        if (json_only_keys(it, p, SUPPLIER_KEYS, e) ||
            c7lines_text(it, p, "SupplierID", JSON_OPTIONAL, 64, &id, e) ||
            c7lines_text(it, p, "SupplierName", JSON_OPTIONAL, 256, &name, e) ||
            given_decimal(it, p, "Cost", &ed->has_supplier_cost, &ed->supplier_cost, e))
            return -1;
        if (!id && !name) {
            char fp[96];
            json_path_key(fp, sizeof fp, p, "SupplierID");
            return json_fail(e, fp, "required field is missing (or SupplierName)");
        }
        ed->supplier_id = id;
        ed->supplier_name = name;
    }
    return 0;
}

int c7product_read_put(const cJSON *v, c7product_put *in, json_err *e)
{
    memset(in, 0, sizeof *in);
    const char *category, *costing, *uom;
    if (json_only_keys(v, "$", PRODUCT_KEYS, e) ||
        c7lines_text(v, "$", "ID", JSON_REQUIRED, 64, &in->id, e) ||
        c7lines_text(v, "$", "SKU", JSON_REQUIRED, 50, &in->sku, e) ||
        c7lines_text(v, "$", "Name", JSON_REQUIRED, 256, &in->ed.name, e) ||
        c7lines_text(v, "$", "Category", JSON_REQUIRED, 256, &category, e) ||
        c7lines_text(v, "$", "CostingMethod", JSON_REQUIRED, 64, &costing, e) ||
        c7lines_text(v, "$", "UOM", JSON_REQUIRED, 50, &uom, e) ||
        c7lines_text(v, "$", "Status", JSON_REQUIRED, 64, &in->ed.status, e) ||
        read_common(v, "$", &in->ed, e) || read_tier_map(v, &in->ed, e) ||
        read_suppliers(v, &in->ed, e))
        return -1;
    return 0;
}

int c7product_read_edit(const cJSON *v, const char **sku, c7product_edit *ed, json_err *e)
{
    memset(ed, 0, sizeof *ed);
    *sku = NULL;
    static const char *const keys[] = {"sku", "fields", NULL};
    static const char *const fields[] = {
        "Name",       "Status",     "Barcode",    "Weight",     "WeightUnits",
        "PriceTier1", "PriceTier2", "PriceTier3", "PriceTier4", "PriceTier5",
        "PriceTier6", "PriceTier7", "PriceTier8", "PriceTier9", "PriceTier10",
        "SupplierCost", NULL};
    const cJSON *f = NULL;
    if (json_only_keys(v, "$", keys, e) || c7lines_text(v, "$", "sku", JSON_REQUIRED, 50, sku, e) ||
        json_get_obj(v, "$", "fields", JSON_REQUIRED, &f, e) ||
        json_only_keys(f, "$.fields", fields, e) || read_common(f, "$.fields", ed, e) ||
        given_decimal(f, "$.fields", "SupplierCost", &ed->has_supplier_cost, &ed->supplier_cost, e))
        return -1;
    if (!cJSON_GetArraySize(f))
        return json_fail(e, "$.fields", "expected at least one field");
    return 0;
}
