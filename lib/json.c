/* cJSON helpers that name JSON paths in their errors; see json.h. */
#include "json.h"

#include "clock.h"
#include "mem.h"
#include "sbuf.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int json_fail(json_err *e, const char *path, const char *fmt, ...)
{
    if (!e)
        return -1;
    int n = snprintf(e->msg, sizeof e->msg, "%s: ", path && *path ? path : "$");
    if (n < 0 || (size_t)n >= sizeof e->msg)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg + n, sizeof e->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

cJSON *json_parse(const char *text, size_t len, json_err *e)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (root) {
        size_t used = (size_t)(end - text);
        while (used < len && isspace((unsigned char)text[used]))
            used++;
        if (used >= len || text[used] == '\0')
            return root;
        cJSON_Delete(root);
        size_t line = 1, col = 1;
        for (size_t i = 0; i < used; i++) {
            line += text[i] == '\n';
            col = text[i] == '\n' ? 1 : col + 1;
        }
        if (e)
            snprintf(e->msg, sizeof e->msg,
                     "line %zu, column %zu: unexpected text after the JSON value", line, col);
        return NULL;
    }
    /* cJSON points at the first byte it could not use; turn it into a line
     * and column a person can find. */
    size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at; i++) {
        if (text[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    /* cJSON points at the last byte it read: when only blanks follow it,
     * the text simply stopped too early. */
    int at_end = 1;
    for (size_t i = at + 1; i < len && at_end; i++)
        at_end = isspace((unsigned char)text[i]);
    if (e) {
        if (len == 0 || at >= len || at_end)
            snprintf(e->msg, sizeof e->msg,
                     "line %zu, column %zu: invalid JSON (unexpected end of input)", line, col);
        else {
            char near[24];
            size_t k = 0;
            for (size_t i = at; i < len && k < 16 && text[i] != '\n'; i++)
                near[k++] = isprint((unsigned char)text[i]) ? text[i] : '?';
            near[k] = '\0';
            snprintf(e->msg, sizeof e->msg, "line %zu, column %zu: invalid JSON near \"%s\"",
                     line, col, near);
        }
    }
    return NULL;
}

cJSON *json_load_file(const char *path, size_t max_bytes, json_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (e)
            snprintf(e->msg, sizeof e->msg, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    sbuf b = SBUF_INIT;
    int rc = sbuf_read_stream(&b, f, max_bytes);
    fclose(f);
    cJSON *root = NULL;
    if (rc == SBUF_READ_ERROR) {
        if (e)
            snprintf(e->msg, sizeof e->msg, "%s: read error", path);
    } else if (rc == SBUF_TOO_LARGE) {
        if (e)
            snprintf(e->msg, sizeof e->msg, "%s: larger than the %zu-byte limit", path,
                     max_bytes);
    } else {
        json_err pe;
        root = json_parse(sbuf_str(&b), b.len, &pe);
        if (!root && e) {
            snprintf(e->msg, sizeof e->msg, "%.200s: %.300s", path, pe.msg);
        }
    }
    sbuf_free(&b);
    return root;
}

static int is_ident(const char *k)
{
    if (!*k || isdigit((unsigned char)*k))
        return 0;
    for (; *k; k++)
        if (!isalnum((unsigned char)*k) && *k != '_')
            return 0;
    return 1;
}

void json_path_key(char *out, size_t n, const char *parent, const char *key)
{
    if (is_ident(key))
        snprintf(out, n, "%s.%s", parent, key);
    else
        snprintf(out, n, "%s[\"%s\"]", parent, key);
}

void json_path_index(char *out, size_t n, const char *parent, size_t i)
{
    snprintf(out, n, "%s[%zu]", parent, i);
}

const char *json_type_name(const cJSON *v)
{
    if (!v)
        return "nothing";
    if (cJSON_IsObject(v))
        return "an object";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNull(v))
        return "null";
    return "an invalid value";
}

int json_only_keys(const cJSON *obj, const char *path, const char *const *allowed,
                   json_err *e)
{
    if (!cJSON_IsObject(obj))
        return json_fail(e, path, "expected an object, got %s", json_type_name(obj));
    const cJSON *it;
    cJSON_ArrayForEach(it, obj)
    {
        int known = 0;
        for (const char *const *a = allowed; *a && !known; a++)
            known = strcmp(*a, it->string) == 0;
        if (!known) {
            char p[256];
            json_path_key(p, sizeof p, path, it->string);
            char list[256] = "";
            size_t used = 0;
            for (const char *const *a = allowed; *a; a++) {
                int w = snprintf(list + used, sizeof list - used, "%s%s",
                                 a == allowed ? "" : ", ", *a);
                if (w < 0 || (size_t)w >= sizeof list - used)
                    break;
                used += (size_t)w;
            }
            return json_fail(e, p, "unknown field (known: %s)", list);
        }
    }
    return 0;
}

/* Looks key up in obj. Returns 1 found, 0 absent and optional, -1 error. */
static int lookup(const cJSON *obj, const char *path, const char *key, int required,
                  const cJSON **v, char *child, size_t n, json_err *e)
{
    json_path_key(child, n, path, key);
    if (!cJSON_IsObject(obj))
        return json_fail(e, path, "expected an object, got %s", json_type_name(obj));
    *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!*v || (cJSON_IsNull(*v) && !required))
        return required ? json_fail(e, child, "required field is missing") : 0;
    return 1;
}

int json_get_str(const cJSON *obj, const char *path, const char *key, int required,
                 const char **out, json_err *e)
{
    const cJSON *v;
    char p[256];
    int rc = lookup(obj, path, key, required, &v, p, sizeof p, e);
    if (rc <= 0)
        return rc;
    if (!cJSON_IsString(v))
        return json_fail(e, p, "expected a string, got %s", json_type_name(v));
    *out = v->valuestring;
    return 0;
}

int json_get_strdup(const cJSON *obj, const char *path, const char *key, int required,
                    const char *dflt, char **out, json_err *e)
{
    const char *s = dflt;
    if (json_get_str(obj, path, key, required, &s, e))
        return -1;
    *out = s ? xstrdup(s) : NULL;
    return 0;
}

static int number_of(const cJSON *v, const char *p, double *out, json_err *e)
{
    if (!cJSON_IsNumber(v))
        return json_fail(e, p, "expected a number, got %s", json_type_name(v));
    if (!isfinite(v->valuedouble))
        return json_fail(e, p, "expected a finite number");
    *out = v->valuedouble;
    return 0;
}

int json_get_int(const cJSON *obj, const char *path, const char *key, int required,
                 int64_t min, int64_t max, int64_t *out, json_err *e)
{
    const cJSON *v;
    char p[256];
    int rc = lookup(obj, path, key, required, &v, p, sizeof p, e);
    if (rc <= 0)
        return rc;
    double d;
    if (number_of(v, p, &d, e))
        return -1;
    if (d != floor(d) || fabs(d) > 9.0e15)
        return json_fail(e, p, "expected an integer, got %g", d);
    if (d < (double)min || d > (double)max)
        return json_fail(e, p, "%.0f is out of range [%lld, %lld]", d, (long long)min,
                         (long long)max);
    *out = (int64_t)d;
    return 0;
}

int json_get_num(const cJSON *obj, const char *path, const char *key, int required,
                 double min, double max, double *out, json_err *e)
{
    const cJSON *v;
    char p[256];
    int rc = lookup(obj, path, key, required, &v, p, sizeof p, e);
    if (rc <= 0)
        return rc;
    double d;
    if (number_of(v, p, &d, e))
        return -1;
    if (d < min || d > max)
        return json_fail(e, p, "%g is out of range [%g, %g]", d, min, max);
    *out = d;
    return 0;
}

int json_get_bool(const cJSON *obj, const char *path, const char *key, int required,
                  int *out, json_err *e)
{
    const cJSON *v;
    char p[256];
    int rc = lookup(obj, path, key, required, &v, p, sizeof p, e);
    if (rc <= 0)
        return rc;
    if (!cJSON_IsBool(v))
        return json_fail(e, p, "expected true or false, got %s", json_type_name(v));
    *out = cJSON_IsTrue(v);
    return 0;
}

int json_get_duration(const cJSON *obj, const char *path, const char *key, int required,
                      int64_t *out_ms, json_err *e)
{
    const cJSON *v;
    char p[256];
    int rc = lookup(obj, path, key, required, &v, p, sizeof p, e);
    if (rc <= 0)
        return rc;
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!isfinite(d) || d < 0 || d > 9.0e15)
            return json_fail(e, p, "expected a non-negative duration, got %g", d);
        *out_ms = (int64_t)llround(d);
        return 0;
    }
    if (!cJSON_IsString(v))
        return json_fail(e, p, "expected a duration (milliseconds or a string such as \"5m\"), got %s",
                         json_type_name(v));
    char msg[256];
    if (clock_parse_duration(v->valuestring, out_ms, msg, sizeof msg))
        return json_fail(e, p, "%s", msg);
    return 0;
}

static int get_typed(const cJSON *obj, const char *path, const char *key, int required,
                     const cJSON **out, json_err *e, int want_array)
{
    const cJSON *v;
    char p[256];
    int rc = lookup(obj, path, key, required, &v, p, sizeof p, e);
    if (rc <= 0)
        return rc;
    if (want_array ? !cJSON_IsArray(v) : !cJSON_IsObject(v))
        return json_fail(e, p, "expected %s, got %s", want_array ? "an array" : "an object",
                         json_type_name(v));
    *out = v;
    return 0;
}

int json_get_obj(const cJSON *obj, const char *path, const char *key, int required,
                 const cJSON **out, json_err *e)
{
    return get_typed(obj, path, key, required, out, e, 0);
}

int json_get_arr(const cJSON *obj, const char *path, const char *key, int required,
                 const cJSON **out, json_err *e)
{
    return get_typed(obj, path, key, required, out, e, 1);
}

int json_set_path(cJSON *root, const char *spec, json_err *e)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec) {
        snprintf(e->msg, sizeof e->msg, "%s: expected path=value", spec);
        return -1;
    }
    char *path = xstrndup(spec, (size_t)(eq - spec));
    const char *value = eq + 1;
    json_err pe;
    cJSON *v = json_parse(value, strlen(value), &pe);
    if (!v)
        v = cJSON_CreateString(value); /* not JSON: a plain string */
    cJSON *node = root;
    char *p = path;
    int rc = -1;
    while (*p) {
        if (*p == '.')
            p++;
        if (*p == '[') {
            char *end;
            long idx = strtol(p + 1, &end, 10);
            if (*end != ']' || idx < 0) {
                snprintf(e->msg, sizeof e->msg, "%s: bad index in path", spec);
                goto out;
            }
            p = end + 1;
            if (!cJSON_IsArray(node) || idx >= cJSON_GetArraySize(node)) {
                snprintf(e->msg, sizeof e->msg, "%s: index %ld is not in the array", spec,
                         idx);
                goto out;
            }
            if (!*p) {
                cJSON_ReplaceItemInArray(node, (int)idx, v);
                v = NULL;
                break;
            }
            node = cJSON_GetArrayItem(node, (int)idx);
            continue;
        }
        size_t len = strcspn(p, ".[");
        char *key = xstrndup(p, len);
        p += len;
        if (!cJSON_IsObject(node)) {
            snprintf(e->msg, sizeof e->msg, "%s: \"%s\" is not inside an object", spec, key);
            free(key);
            goto out;
        }
        if (!*p) {
            if (cJSON_GetObjectItemCaseSensitive(node, key))
                cJSON_ReplaceItemInObjectCaseSensitive(node, key, v);
            else
                cJSON_AddItemToObject(node, key, v);
            v = NULL;
            free(key);
            break;
        }
        cJSON *next = cJSON_GetObjectItemCaseSensitive(node, key);
        if (!next)
            next = cJSON_AddObjectToObject(node, key);
        free(key);
        node = next;
    }
    rc = 0;
out:
    cJSON_Delete(v);
    free(path);
    return rc;
}

/* Merges one value of src into dst's member or element `have` (NULL when
 * dst has none); returns the value to keep there. */
static cJSON *merge_value(cJSON *have, const cJSON *src)
{
    if (have && ((cJSON_IsObject(have) && cJSON_IsObject(src)) ||
                 (cJSON_IsArray(have) && cJSON_IsArray(src)))) {
        json_merge(have, src);
        return have;
    }
    return cJSON_Duplicate(src, 1);
}

void json_merge(cJSON *dst, const cJSON *src)
{
    if (cJSON_IsArray(dst) && cJSON_IsArray(src)) {
        int n = cJSON_GetArraySize(dst), i = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, src)
        {
            if (i < n) {
                cJSON *have = cJSON_GetArrayItem(dst, i);
                cJSON *keep = merge_value(have, it);
                if (keep != have)
                    cJSON_ReplaceItemInArray(dst, i, keep);
            } else {
                cJSON_AddItemToArray(dst, cJSON_Duplicate(it, 1));
            }
            i++;
        }
        return;
    }
    if (!cJSON_IsObject(dst) || !cJSON_IsObject(src))
        return;
    const cJSON *it;
    cJSON_ArrayForEach(it, src)
    {
        cJSON *have = cJSON_GetObjectItemCaseSensitive(dst, it->string);
        cJSON *keep = merge_value(have, it);
        if (!have)
            cJSON_AddItemToObject(dst, it->string, keep);
        else if (keep != have)
            cJSON_ReplaceItemInObjectCaseSensitive(dst, it->string, keep);
    }
}

char *json_print(const cJSON *v)
{
    char *s = cJSON_PrintUnformatted(v);
    if (!s) {
        fprintf(stderr, "fatal: out of memory printing JSON\n");
        abort();
    }
    /* cJSON allocates with malloc (no hooks are installed), so free() is right. */
    return s;
}

int json_id_text(const cJSON *v, char *buf, size_t n)
{
    if (cJSON_IsNumber(v))
        snprintf(buf, n, "%.0f", v->valuedouble);
    else if (cJSON_IsString(v))
        snprintf(buf, n, "%s", v->valuestring);
    else {
        buf[0] = '\0';
        return -1;
    }
    return 0;
}

void json_array_move(cJSON *to, cJSON *from)
{
    if (!cJSON_IsArray(to) || !cJSON_IsArray(from))
        return;
    while (from->child)
        cJSON_AddItemToArray(to, cJSON_DetachItemViaPointer(from, from->child));
}

int json_int53(const cJSON *v, int64_t *out)
{
    const double lim = 9007199254740992.0; /* 2^53 */
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= -lim && v->valuedouble <= lim))
        return 0;
    *out = (int64_t)v->valuedouble;
    return 1;
}
