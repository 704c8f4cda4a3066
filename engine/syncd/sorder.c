/*
 * Shopify order documents checked into plain structs (see sorder.h). The
 * reading is strict where a wrong guess would move stock: quantities must
 * be whole numbers in range, ids exact integers, prices plain decimals.
 */
#include "sorder.h"

#include "json.h"
#include "mem.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *why, size_t why_n, const json_err *e)
{
    snprintf(why, why_n, "%s", e->msg);
    return -1;
}

/* The order id: a number, or a string of digits, from 1 to SORDER_ID_MAX. */
static int read_id(const cJSON *o, sorder *out, json_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "id");
    if (!v || cJSON_IsNull(v))
        return json_fail(e, "$.id", "required field is missing (an order needs its id)");
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        size_t n = strlen(s);
        if (n == 0 || n > 16 || strspn(s, "0123456789") != n)
            return json_fail(e, "$.id", "expected an integer id, got \"%.40s%s\"", s,
                             n > 40 ? "..." : "");
        long long id = strtoll(s, NULL, 10);
        if (id < 1 || id > SORDER_ID_MAX)
            return json_fail(e, "$.id", "%s is out of range [1, %lld]", s, SORDER_ID_MAX);
        out->id = id;
    } else if (!cJSON_IsNumber(v)) {
        return json_fail(e, "$.id", "expected an integer id, got %s", json_type_name(v));
    } else {
        /* Not json_get_int: its bound is below 2^53, and an id may use the
         * whole range a double holds exactly. */
        double d = v->valuedouble;
        if (!(d >= 1 && d <= (double)SORDER_ID_MAX) || d != floor(d))
            return json_fail(e, "$.id", "%.17g is not an integer in [1, %lld]", d, SORDER_ID_MAX);
        out->id = (int64_t)d;
    }
    snprintf(out->id_text, sizeof out->id_text, "%lld", (long long)out->id);
    return 0;
}

/* A plain decimal such as "10.00" (what Shopify sends) or a number. */
static int read_price(const cJSON *it, const char *path, double *out, json_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, "price");
    char p[300];
    json_path_key(p, sizeof p, path, "price");
    if (!v || cJSON_IsNull(v)) {
        *out = 0;
        return 0;
    }
    if (cJSON_IsNumber(v))
        return json_get_num(it, path, "price", JSON_REQUIRED, 0, SORDER_PRICE_MAX, out, e);
    if (!cJSON_IsString(v))
        return json_fail(e, p, "expected a decimal string, got %s", json_type_name(v));
    const char *s = v->valuestring;
    size_t whole = strspn(s, "0123456789");
    size_t frac = s[whole] == '.' ? strspn(s + whole + 1, "0123456789") : 0;
    size_t used = whole + (s[whole] == '.' ? 1 + frac : 0);
    if (whole == 0 || whole > 12 || s[used] != '\0' || (s[whole] == '.' && frac == 0))
        return json_fail(e, p, "expected a decimal such as \"10.00\", got \"%.40s\"", s);
    double d = strtod(s, NULL);
    if (!(d <= SORDER_PRICE_MAX))
        return json_fail(e, p, "%s is out of range [0, %.0f]", s, SORDER_PRICE_MAX);
    *out = d;
    return 0;
}

static int read_line(const cJSON *it, const char *path, sorder_line *l, json_err *e)
{
    if (!cJSON_IsObject(it))
        return json_fail(e, path, "expected an object, got %s", json_type_name(it));
    /* current_quantity is what is left after edits and refunds; older
     * payloads carry quantity alone. */
    const char *qkey = cJSON_GetObjectItemCaseSensitive(it, "current_quantity") ? "current_quantity"
                                                                                 : "quantity";
    if (json_get_int(it, path, qkey, JSON_REQUIRED, 0, SORDER_QTY_MAX, &l->qty, e))
        return -1;
    const cJSON *sku = cJSON_GetObjectItemCaseSensitive(it, "sku");
    if (sku && !cJSON_IsNull(sku)) {
        char p[300];
        json_path_key(p, sizeof p, path, "sku");
        if (!cJSON_IsString(sku))
            return json_fail(e, p, "expected a string, got %s", json_type_name(sku));
        size_t n = strlen(sku->valuestring);
        if (n > SORDER_SKU_MAX)
            return json_fail(e, p, "%zu characters; Shopify's SKUs have at most %d", n,
                             SORDER_SKU_MAX);
        for (size_t i = 0; i < n; i++)
            if (iscntrl((unsigned char)sku->valuestring[i]))
                return json_fail(e, p, "a control character at offset %zu", i);
        if (n)
            l->sku = xstrdup(sku->valuestring);
    }
    return read_price(it, path, &l->price, e);
}

/* A string field of the object at path, or NULL when absent or null. */
static int read_opt_str(const cJSON *o, const char *path, const char *key, char **out,
                        json_err *e)
{
    const char *s = NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsNull(v))
        return 0;
    if (json_get_str(o, path, key, JSON_OPTIONAL, &s, e))
        return -1;
    *out = s ? xstrdup(s) : NULL;
    return 0;
}

/* A number, or null/absent (*given stays 0). */
static int read_opt_num(const cJSON *o, const char *path, const char *key, double lo, double hi,
                        double *out, int *given, json_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v))
        return 0;
    *given = 1;
    return json_get_num(o, path, key, JSON_REQUIRED, lo, hi, out, e);
}

static int read_address(const cJSON *o, sorder_address *a, json_err *e)
{
    static const char P[] = "$.shipping_address";
    const cJSON *sa = cJSON_GetObjectItemCaseSensitive(o, "shipping_address");
    if (!sa || cJSON_IsNull(sa))
        return 0;
    if (!cJSON_IsObject(sa))
        return json_fail(e, P, "expected an object, got %s", json_type_name(sa));
    int has_lat = 0, has_lon = 0;
    if (read_opt_str(sa, P, "address1", &a->address1, e) ||
        read_opt_str(sa, P, "address2", &a->address2, e) ||
        read_opt_str(sa, P, "city", &a->city, e) ||
        read_opt_str(sa, P, "province_code", &a->province_code, e) ||
        read_opt_str(sa, P, "zip", &a->zip, e) ||
        read_opt_str(sa, P, "country_code", &a->country_code, e) ||
        read_opt_num(sa, P, "latitude", -90, 90, &a->lat, &has_lat, e) ||
        read_opt_num(sa, P, "longitude", -180, 180, &a->lon, &has_lon, e))
        return -1;
    a->has_coords = has_lat && has_lon;
    return 0;
}

int sorder_parse(const char *body, size_t len, sorder *out, char *why, size_t why_n)
{
    memset(out, 0, sizeof *out);
    json_err e = {{0}};
    cJSON *o = json_parse(body, len, &e);
    if (!o)
        return fail(why, why_n, &e);
    const cJSON *items = NULL;
    if (!cJSON_IsObject(o)) {
        json_fail(&e, "$", "expected an order object, got %s", json_type_name(o));
        goto bad;
    }
    if (read_id(o, out, &e) ||
        read_opt_str(o, "$", "financial_status", &out->financial_status, &e) ||
        read_opt_str(o, "$", "cancelled_at", &out->cancelled_at, &e) ||
        read_opt_str(o, "$", "created_at", &out->created_at, &e) ||
        read_address(o, &out->ship, &e) ||
        json_get_arr(o, "$", "line_items", JSON_REQUIRED, &items, &e))
        goto bad;
    int n = cJSON_GetArraySize(items);
    if (n > SORDER_LINES_MAX) {
        json_fail(&e, "$.line_items", "%d lines; at most %d are read", n, SORDER_LINES_MAX);
        goto bad;
    }
    out->lines = xcalloc((size_t)n + 1, sizeof *out->lines);
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        char p[64];
        json_path_index(p, sizeof p, "$.line_items", out->n_lines);
        if (read_line(it, p, &out->lines[out->n_lines++], &e))
            goto bad;
    }
    cJSON_Delete(o);
    return 0;
bad:
    cJSON_Delete(o);
    sorder_free(out);
    return fail(why, why_n, &e);
}

void sorder_free(sorder *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->n_lines; i++)
        free(o->lines[i].sku);
    free(o->lines);
    free(o->financial_status);
    free(o->cancelled_at);
    free(o->created_at);
    sorder_address *a = &o->ship;
    free(a->address1);
    free(a->address2);
    free(a->city);
    free(a->province_code);
    free(a->zip);
    free(a->country_code);
    memset(o, 0, sizeof *o);
}
