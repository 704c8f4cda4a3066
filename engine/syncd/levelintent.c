/* Records of level writes in flight; see levelintent.h. */
#include "levelintent.h"

#include "json.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *levelintent_json(const char *idem, const shopify_set *sets, const char *const *skus,
                       size_t n)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "idem", idem);
    cJSON *arr = cJSON_AddArrayToObject(root, "sets");
    for (size_t i = 0; i < n; i++) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "sku", skus[i]);
        cJSON_AddNumberToObject(s, "item", (double)sets[i].item);
        cJSON_AddNumberToObject(s, "location", (double)sets[i].location);
        cJSON_AddNumberToObject(s, "quantity", (double)sets[i].quantity);
        cJSON_AddNumberToObject(s, "change_from", (double)sets[i].change_from);
        cJSON_AddItemToArray(arr, s);
    }
    char *text = json_print(root);
    cJSON_Delete(root);
    return text;
}

/* Set i of the record (at path) into out. Returns 0, or -1 with e. */
static int read_set(const cJSON *s, const char *path, shopify_set *out, const char **sku,
                    json_err *e)
{
    return json_get_str(s, path, "sku", JSON_REQUIRED, sku, e) ||
                   json_get_int(s, path, "item", JSON_REQUIRED, 1, INT64_MAX, &out->item, e) ||
                   json_get_int(s, path, "location", JSON_REQUIRED, 1, INT64_MAX, &out->location,
                                e) ||
                   json_get_int(s, path, "quantity", JSON_REQUIRED, -1000000000, 1000000000,
                                &out->quantity, e) ||
                   json_get_int(s, path, "change_from", JSON_REQUIRED, -1000000000, 1000000000,
                                &out->change_from, e)
               ? -1
               : 0;
}

int levelintent_parse(const char *text, levelintent *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    json_err e = {{0}};
    cJSON *root = json_parse(text, strlen(text), &e);
    const char *idem = NULL;
    const cJSON *sets = NULL, *s;
    int rc = -1;
    if (!root || json_get_str(root, "$", "idem", JSON_REQUIRED, &idem, &e) != 0 ||
        json_get_arr(root, "$", "sets", JSON_REQUIRED, &sets, &e) != 0)
        goto done;
    size_t cap = (size_t)cJSON_GetArraySize(sets);
    out->idem = xstrdup(idem);
    out->sets = xcalloc(cap + 1, sizeof *out->sets);
    out->skus = xcalloc(cap + 1, sizeof *out->skus);
    cJSON_ArrayForEach(s, sets) {
        const char *sku = NULL;
        char at[64];
        json_path_index(at, sizeof at, "$.sets", out->n);
        if (read_set(s, at, &out->sets[out->n], &sku, &e) != 0)
            goto done;
        out->skus[out->n++] = xstrdup(sku);
    }
    rc = 0;
done:
    if (rc != 0) {
        snprintf(why, whylen, "%s", e.msg);
        levelintent_free(out);
    }
    cJSON_Delete(root);
    return rc;
}

void levelintent_free(levelintent *li)
{
    if (!li)
        return;
    for (size_t i = 0; i < li->n; i++)
        free(li->skus[i]);
    free(li->skus);
    free(li->sets);
    free(li->idem);
    memset(li, 0, sizeof *li);
}
