/* Fuzz targets for lib/'s own parsers: JSON with path-naming getters,
 * durations and ISO dates. */
#include "fuzz.h"

#include "clock.h"
#include "faults.h"
#include "json.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

/* Walks a tree with every getter, as config loaders do. */
static void walk(const cJSON *v, const char *path, int depth)
{
    if (depth > 64)
        return;
    const cJSON *it;
    size_t i = 0;
    json_err e;
    cJSON_ArrayForEach(it, v)
    {
        char p[256];
        if (cJSON_IsObject(v) && it->string) {
            json_path_key(p, sizeof p, path, it->string);
            const char *s;
            int64_t n;
            double d;
            int b;
            const cJSON *sub;
            json_get_str(v, path, it->string, JSON_REQUIRED, &s, &e);
            json_get_int(v, path, it->string, JSON_REQUIRED, -100, 100, &n, &e);
            json_get_num(v, path, it->string, JSON_REQUIRED, -1e9, 1e9, &d, &e);
            json_get_bool(v, path, it->string, JSON_OPTIONAL, &b, &e);
            json_get_duration(v, path, it->string, JSON_OPTIONAL, &n, &e);
            json_get_obj(v, path, it->string, JSON_OPTIONAL, &sub, &e);
            json_get_arr(v, path, it->string, JSON_OPTIONAL, &sub, &e);
        } else {
            json_path_index(p, sizeof p, path, i);
        }
        walk(it, p, depth + 1);
        i++;
    }
    static const char *const known[] = {"a", "name", NULL};
    if (cJSON_IsObject(v))
        json_only_keys(v, path, known, &e);
}

FUZZ_TARGET(json)
{
    json_err e;
    cJSON *v = json_parse((const char *)data, size, &e);
    if (!v)
        return;
    walk(v, "$", 0);
    free(json_print(v));
    cJSON_Delete(v);
}

FUZZ_TARGET(duration)
{
    char *s = xstrndup((const char *)data, size);
    int64_t ms;
    char err[256];
    if (clock_parse_duration(s, &ms, err, sizeof err) == 0) {
        char back[64];
        clock_format_duration(ms, back, sizeof back);
        int64_t again;
        if (clock_parse_duration(back, &again, err, sizeof err) != 0 || again != ms)
            abort(); /* the formatter must write what the parser reads back */
    }
    clock_parse_iso(s, &ms);
    free(s);
}

FUZZ_TARGET(faults)
{
    fault_plan *p = NULL;
    json_err e;
    if (faults_parse_text((const char *)data, size, 7, &p, &e) != 0)
        return;
    /* A plan that parses must answer and print without trouble. */
    fault_decision d;
    faults_decide(p, "POST", "/ExternalApi/v2/sale?x=1", 120000, &d);
    faults_throttle(p, "GET", "/admin/api/2026-10/orders.json", 0);
    fault_delivery w;
    faults_decide_delivery(p, "orders/paid", 60000, &w);
    cJSON *j = faults_to_json(p);
    fault_plan *again = NULL;
    if (faults_parse(j, 7, &again, &e) != 0)
        abort(); /* the canonical form must parse back */
    faults_free(again);
    cJSON_Delete(j);
    cJSON *st = faults_stats_json(p);
    cJSON_Delete(st);
    faults_free(p);
}
