/* Edits of products and variants as requests carry them; see catalog.h. */
#include "catalog.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BARCODE_MAX 255

int catalog_money(const cJSON *v, char out[32])
{
    double d;
    if (cJSON_IsNumber(v)) {
        d = v->valuedouble;
    } else if (cJSON_IsString(v) && *v->valuestring) {
        char *end;
        d = strtod(v->valuestring, &end);
        if (*end)
            return -1;
    } else {
        return -1;
    }
    if (!isfinite(d))
        return -1;
    if (d < 0)
        return -2;
    if (d > 1e9)
        return -3;
    if (d == 0)
        d = 0; /* "-0" is 0, never "-0.00" (a fuzz find) */
    snprintf(out, 32, "%.2f", d);
    return 0;
}

int catalog_status(const char *s, int unlisted, ws_status *out)
{
    static const struct {
        const char *name;
        ws_status st;
    } names[] = {{"ACTIVE", PS_ACTIVE}, {"DRAFT", PS_DRAFT}, {"ARCHIVED", PS_ARCHIVED},
                 {"UNLISTED", PS_UNLISTED}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0 && (unlisted || names[i].st != PS_UNLISTED)) {
            *out = names[i].st;
            return 0;
        }
    return -1;
}

int catalog_weight_unit(const char *s, const char **out)
{
    static const char *const units[] = {"GRAMS", "KILOGRAMS", "OUNCES", "POUNDS", NULL};
    for (const char *const *u = units; *u; u++)
        if (strcmp(s, *u) == 0) {
            *out = *u;
            return 0;
        }
    return -1;
}

static int fail(catalog_err *err, const char *code, const char *field, const char *msg)
{
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", field);
    snprintf(err->msg, sizeof err->msg, "%s", msg);
    return -1;
}

/* A Money or Decimal under key; nullable: null clears (out ""). */
static int money_field(const cJSON *in, const char *key, const char *field, const char *label,
                       int nullable, int *has, char out[32], catalog_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, key);
    if (!v)
        return 0;
    char msg[96];
    if (cJSON_IsNull(v)) {
        if (!nullable) {
            snprintf(msg, sizeof msg, "%s can't be blank", label);
            return fail(err, "BLANK", field, msg);
        }
        *has = 1;
        out[0] = '\0';
        return 0;
    }
    int rc = catalog_money(v, out);
    if (rc == -2) {
        snprintf(msg, sizeof msg, "%s must be greater than or equal to 0", label);
        return fail(err, "GREATER_THAN_OR_EQUAL_TO", field, msg);
    }
    if (rc != 0) {
        snprintf(msg, sizeof msg, "%s is invalid: expected a decimal such as \"19.99\", up to 1000000000",
                 label);
        return fail(err, "INVALID_INPUT", field, msg);
    }
    *has = 1;
    return 0;
}

static int barcode_field(const cJSON *in, world_edit *e, catalog_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, "barcode");
    if (!v)
        return 0;
    if (!cJSON_IsNull(v) && !cJSON_IsString(v))
        return fail(err, "INVALID_INPUT", "barcode", "Barcode must be a string");
    if (cJSON_IsString(v) && strlen(v->valuestring) > BARCODE_MAX)
        return fail(err, "BARCODE_VALUE_TOO_LONG", "barcode",
                    "Barcode value is too long (the mock's bound: 255 characters)");
    e->has_barcode = 1;
    e->barcode = cJSON_IsString(v) && *v->valuestring ? v->valuestring : NULL;
    return 0;
}

/* WeightInput {value: Float!, unit: WeightUnit!} at field. */
static int weight_field(const cJSON *w, const char *field, world_edit *e, catalog_err *err)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(w, "value");
    const cJSON *unit = cJSON_GetObjectItemCaseSensitive(w, "unit");
    char f[96];
    if (!cJSON_IsObject(w))
        return fail(err, "INVALID_INPUT", field, "Weight must be an object {value, unit}");
    snprintf(f, sizeof f, "%s.value", field);
    if (!cJSON_IsNumber(value) || !isfinite(value->valuedouble))
        return fail(err, "INVALID_INPUT", f, "Weight value must be a number");
    if (value->valuedouble < 0 || value->valuedouble > 1e9)
        return fail(err, "GREATER_THAN_OR_EQUAL_TO", f,
                    "Weight must be greater than or equal to 0 (and at most 1000000000)");
    snprintf(f, sizeof f, "%s.unit", field);
    if (!cJSON_IsString(unit) || catalog_weight_unit(unit->valuestring, &e->weight_unit) != 0)
        return fail(err, "INVALID_INPUT", f,
                    "Weight unit must be one of GRAMS, KILOGRAMS, OUNCES, POUNDS");
    e->has_weight = 1;
    e->weight = value->valuedouble;
    return 0;
}

int catalog_read_variant(const cJSON *in, world_edit *e, catalog_err *err)
{
    if (money_field(in, "price", "price", "Price", 0, &e->has_price, e->price, err) ||
        money_field(in, "compareAtPrice", "compareAtPrice", "Compare at price", 1,
                    &e->has_compare_at, e->compare_at, err) ||
        barcode_field(in, e, err))
        return -1;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(in, "inventoryItem");
    if (!item || cJSON_IsNull(item))
        return 0;
    if (money_field(item, "cost", "inventoryItem.cost", "Cost", 1, &e->has_cost, e->cost, err))
        return -1;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(item, "measurement");
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(m, "weight");
    if (w && !cJSON_IsNull(w))
        return weight_field(w, "inventoryItem.measurement.weight", e, err);
    return 0;
}

int catalog_read_edit(const cJSON *v, const char **sku, world_edit *e, json_err *je)
{
    memset(e, 0, sizeof *e);
    *sku = NULL;
    static const char *const keys[] = {"shop", "sku", "fields", NULL};
    static const char *const fields[] = {"title",   "status", "price",  "compareAtPrice",
                                         "barcode", "cost",   "weight", NULL};
    const cJSON *f = NULL;
    if (json_only_keys(v, "$", keys, je) || json_get_str(v, "$", "sku", JSON_REQUIRED, sku, je) ||
        json_get_obj(v, "$", "fields", JSON_REQUIRED, &f, je) ||
        json_only_keys(f, "$.fields", fields, je) ||
        json_get_str(f, "$.fields", "title", JSON_OPTIONAL, &e->title, je))
        return -1;
    if (!cJSON_GetArraySize(f))
        return json_fail(je, "$.fields", "expected at least one field");
    if (e->title && (!*e->title || strlen(e->title) > 255))
        return json_fail(je, "$.fields.title", "expected 1 to 255 characters");
    const char *status = NULL;
    if (json_get_str(f, "$.fields", "status", JSON_OPTIONAL, &status, je))
        return -1;
    if (status && catalog_status(status, 1, &e->status) != 0)
        return json_fail(je, "$.fields.status", "expected ACTIVE, DRAFT, ARCHIVED or UNLISTED, got \"%.40s\"",
                         status);
    e->has_status = status != NULL;
    /* The variant's fields have the input's names, cost and weight flat. */
    catalog_err err;
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(f, "weight");
    if (money_field(f, "price", "price", "Price", 0, &e->has_price, e->price, &err) ||
        money_field(f, "compareAtPrice", "compareAtPrice", "Compare at price", 1, &e->has_compare_at,
                    e->compare_at, &err) ||
        barcode_field(f, e, &err) ||
        money_field(f, "cost", "cost", "Cost", 1, &e->has_cost, e->cost, &err) ||
        (w && weight_field(w, "weight", e, &err))) {
        char p[128];
        snprintf(p, sizeof p, "$.fields.%s", err.field);
        return json_fail(je, p, "%s", err.msg);
    }
    return 0;
}
