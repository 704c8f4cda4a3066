/*
 * Cin7 notification bodies checked (see c7event.h). Strict where a wrong
 * guess would act on the wrong document: a SaleID that is not a Cin7 id is
 * refused rather than sent back to Cin7 in a read.
 */
#include "c7event.h"

#include "json.h"
#include "mem.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Cin7's SKUs are short codes; this bound is ours, well above them. */
#define C7EVENT_SKU_MAX 255

int c7event_is_guid(const char *s)
{
    static const int groups[] = {8, 4, 4, 4, 12};
    for (size_t g = 0; g < 5; g++) {
        for (int i = 0; i < groups[g]; i++, s++)
            if (!isxdigit((unsigned char)*s))
                return 0;
        if (*s != (g < 4 ? '-' : '\0'))
            return 0;
        s++;
    }
    return 1;
}

int c7event_sale_id(const char *body, size_t len, char id[C7EVENT_ID_LEN], char *why,
                    size_t why_n)
{
    id[0] = '\0';
    json_err e = {{0}};
    cJSON *v = json_parse(body, len, &e);
    const char *s = NULL;
    int rc = -1;
    if (!v)
        goto out;
    if (!cJSON_IsObject(v)) {
        json_fail(&e, "$", "expected a sale notification object, got %s", json_type_name(v));
        goto out;
    }
    if (json_get_str(v, "$", "SaleID", JSON_REQUIRED, &s, &e))
        goto out;
    if (!c7event_is_guid(s)) {
        json_fail(&e, "$.SaleID", "expected a Cin7 id (a GUID), got \"%.60s%s\"", s,
                  strlen(s) > 60 ? "..." : "");
        goto out;
    }
    snprintf(id, C7EVENT_ID_LEN, "%s", s);
    rc = 0;
out:
    if (rc)
        snprintf(why, why_n, "%s", e.msg);
    cJSON_Delete(v);
    return rc;
}

/* A row's SKU, or NULL with the reason in e. */
static const char *row_sku(const cJSON *row, const char *path, json_err *e)
{
    const char *s = NULL;
    if (!cJSON_IsObject(row)) {
        json_fail(e, path, "expected a stock row object, got %s", json_type_name(row));
        return NULL;
    }
    if (json_get_str(row, path, "SKU", JSON_REQUIRED, &s, e))
        return NULL;
    char p[96];
    json_path_key(p, sizeof p, path, "SKU");
    size_t n = strlen(s);
    if (n == 0 || n > C7EVENT_SKU_MAX) {
        json_fail(e, p, "%zu characters; a SKU has 1 to %d", n, C7EVENT_SKU_MAX);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (iscntrl((unsigned char)s[i])) {
            json_fail(e, p, "a control character at offset %zu", i);
            return NULL;
        }
    return s;
}

int c7event_stock_skus(const char *body, size_t len, char ***skus, size_t *n, char *why,
                       size_t why_n)
{
    *skus = NULL;
    *n = 0;
    json_err e = {{0}}, first = {{0}};
    cJSON *v = json_parse(body, len, &e);
    const cJSON *rows = v;
    const char *base = "$";
    if (cJSON_IsObject(v)) {
        rows = NULL;
        const cJSON *it;
        cJSON_ArrayForEach(it, v) if (!rows && cJSON_IsArray(it))
        {
            rows = it;
            base = it->string;
        }
    }
    if (!cJSON_IsArray(rows)) {
        if (v)
            json_fail(&e, "$", "expected an array of stock rows, got %s", json_type_name(v));
        snprintf(why, why_n, "%s", e.msg);
        cJSON_Delete(v);
        return -1;
    }
    char top[96];
    if (rows == v)
        snprintf(top, sizeof top, "$");
    else
        json_path_key(top, sizeof top, "$", base);
    *skus = xcalloc((size_t)cJSON_GetArraySize(rows) + 1, sizeof **skus);
    int bad = 0;
    size_t i = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
    {
        char p[128];
        json_path_index(p, sizeof p, top, i++);
        json_err re = {{0}};
        const char *s = row_sku(row, p, &re);
        if (s)
            (*skus)[(*n)++] = xstrdup(s);
        else if (!bad++)
            first = re;
    }
    if (bad)
        snprintf(why, why_n, "%d of %zu stock rows refused; first: %s", bad, i, first.msg);
    cJSON_Delete(v);
    return bad ? 1 : 0;
}

void c7event_skus_free(char **skus, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(skus[i]);
    free(skus);
}
