/* Two runs' metrics side by side and limits on regressions; see compare.h. */
#include "compare.h"

#include "measure.h"
#include "report.h"
#include "results.h"
#include "run.h"

#include "dirs.h"
#include "json.h"
#include "mem.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* summary.json holds every SKU; a large catalog makes it tens of MB. */
#define MAX_SUMMARY_BYTES (256u << 20)

/* How a metric stands in one summary. */
typedef enum { VAL_NUMBER, VAL_NULL, VAL_UNKNOWN, VAL_MISSING, VAL_BAD } val_kind;

/* The value of a dotted metric name under metrics; on VAL_BAD, path names
 * the offending node ("$.metrics.api_calls.cin7") and *bad is that node. A
 * group that is null or "unknown" as a whole (a foreign engine's) makes
 * its members so. */
static val_kind metric_at(const cJSON *metrics, const char *name, double *v, char *path,
                          size_t pathlen, const cJSON **bad)
{
    const cJSON *node = metrics;
    char part[128], at[256];
    snprintf(at, sizeof at, "$.metrics");
    for (const char *p = name; *p;) {
        size_t n = strcspn(p, ".");
        snprintf(part, sizeof part, "%.*s", (int)n, p);
        p += n + (p[n] == '.');
        if (cJSON_IsNull(node))
            return VAL_NULL;
        if (cJSON_IsString(node) && strcmp(node->valuestring, "unknown") == 0)
            return VAL_UNKNOWN;
        if (!cJSON_IsObject(node)) {
            snprintf(path, pathlen, "%s", at);
            *bad = node;
            return VAL_BAD;
        }
        node = cJSON_GetObjectItemCaseSensitive(node, part);
        if (!node)
            return VAL_MISSING;
        char parent[sizeof at];
        memcpy(parent, at, sizeof at);
        json_path_key(at, sizeof at, parent, part);
    }
    if (cJSON_IsNumber(node) && isfinite(node->valuedouble)) {
        *v = node->valuedouble;
        return VAL_NUMBER;
    }
    if (cJSON_IsNull(node))
        return VAL_NULL;
    if (cJSON_IsString(node) && strcmp(node->valuestring, "unknown") == 0)
        return VAL_UNKNOWN;
    snprintf(path, pathlen, "%s", at);
    *bad = node;
    return VAL_BAD;
}

/* The same for summaries already checked (compare_check_summary). */
static val_kind metric_value(const cJSON *metrics, const char *name, double *v)
{
    char path[256];
    const cJSON *bad;
    return metric_at(metrics, name, v, path, sizeof path, &bad);
}

static const cJSON *metrics_of(const cJSON *summary)
{
    return cJSON_GetObjectItemCaseSensitive(summary, "metrics");
}

int compare_check_summary(const cJSON *summary, const char *file, char *err, size_t errlen)
{
    if (!cJSON_IsObject(summary)) {
        snprintf(err, errlen, "%s: $: expected an object, got %s", file, json_type_name(summary));
        return -1;
    }
    const cJSON *m = metrics_of(summary);
    if (!cJSON_IsObject(m)) {
        snprintf(err, errlen, "%s: $.metrics: expected an object, got %s", file,
                 json_type_name(m));
        return -1;
    }
    for (const char *const *name = measure_metric_names(); *name; name++) {
        double v;
        char path[256];
        const cJSON *bad;
        if (metric_at(m, *name, &v, path, sizeof path, &bad) == VAL_BAD) {
            snprintf(err, errlen, "%s: %s: expected a number, null or \"unknown\", got %s", file,
                     path, json_type_name(bad));
            return -1;
        }
    }
    return 0;
}

cJSON *compare_load(const char *dir, char *err, size_t errlen)
{
    char *path = xasprintf("%s/summary.json", dir);
    json_err e;
    cJSON *s = json_load_file(path, MAX_SUMMARY_BYTES, &e);
    if (!s)
        snprintf(err, errlen, "%s", e.msg);
    else if (compare_check_summary(s, path, err, errlen) != 0) {
        cJSON_Delete(s);
        s = NULL;
    }
    free(path);
    return s;
}

int compare_parse_limit(const char *flag, const char *spec, int pct, compare_limit *out,
                        char *err, size_t errlen)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof out->metric) {
        snprintf(err, errlen, "%s %s: expected METRIC=%s", flag, spec, pct ? "PCT" : "V");
        return -1;
    }
    snprintf(out->metric, sizeof out->metric, "%.*s", (int)(eq - spec), spec);
    if (!measure_metric_known(out->metric)) {
        snprintf(err, errlen,
                 "%s %s: unknown metric \"%s\" (the metrics: docs/scenarios.md, \"Gates and "
                 "metrics\")",
                 flag, spec, out->metric);
        return -1;
    }
    if (measure_metric_worse(out->metric) == MEASURE_WORSE_NONE) {
        snprintf(err, errlen,
                 "%s %s: %s describes the run's work and has no worse direction; "
                 "gate it with --gate instead",
                 flag, spec, out->metric);
        return -1;
    }
    const char *v = eq + 1;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (pct && *end == '%')
        end++;
    if (!*v || *end || errno || !isfinite(d) || d < 0) {
        snprintf(err, errlen, "%s %s: \"%s\" is not a number >= 0", flag, spec, v);
        return -1;
    }
    out->pct = pct;
    out->limit = d;
    return 0;
}

int compare_check_limits(const cJSON *base, const compare_limit *limits, size_t n, char *err,
                         size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        double v;
        if (limits[i].pct &&
            metric_value(metrics_of(base), limits[i].metric, &v) == VAL_NUMBER &&
            v == 0) {
            snprintf(err, errlen,
                     "--max-regress %s=%g: the baseline's %s is 0, so no percentage of it "
                     "can be allowed; use --max-increase %s=V (in the metric's units)",
                     limits[i].metric, limits[i].limit, limits[i].metric, limits[i].metric);
            return -1;
        }
    }
    return 0;
}

int compare_spec_open(compare_spec *spec, const char *dir, compare_limit *limits, size_t n,
                      char *err, size_t errlen)
{
    memset(spec, 0, sizeof *spec);
    spec->dir = xstrdup(dir);
    spec->limits = limits;
    spec->n_limits = n;
    spec->summary = compare_load(dir, err, errlen);
    if (!spec->summary)
        return -1;
    return compare_check_limits(spec->summary, limits, n, err, errlen);
}

void compare_spec_free(compare_spec *spec)
{
    if (!spec)
        return;
    free(spec->dir);
    cJSON_Delete(spec->summary);
    free(spec->limits);
    memset(spec, 0, sizeof *spec);
}

/* ---- the comparison ----------------------------------------------------------- */

static const char *const kind_text[] = {
    [VAL_NULL] = "not measured", [VAL_UNKNOWN] = "unknown", [VAL_MISSING] = "missing"};

static void add_value(cJSON *row, const char *key, val_kind k, double v)
{
    if (k == VAL_NUMBER)
        cJSON_AddNumberToObject(row, key, v);
    else if (k == VAL_NULL)
        cJSON_AddNullToObject(row, key);
    else
        cJSON_AddStringToObject(row, key, kind_text[k]);
}

static const char *worse_text(measure_worse w)
{
    return w == MEASURE_WORSE_HIGHER ? "higher" : w == MEASURE_WORSE_LOWER ? "lower" : "none";
}

/* A figure as people read it: whole numbers in full (latencies run to
 * millions of ms), others to 6 significant digits; sign: always signed. */
static void fmt_signed(char *out, size_t n, double v, int sign)
{
    if (v == floor(v) && fabs(v) < 1e15)
        snprintf(out, n, sign ? "%+.0f" : "%.0f", v);
    else
        snprintf(out, n, sign ? "%+.6g" : "%.6g", v);
}

static void fmt_num(char *out, size_t n, double v)
{
    fmt_signed(out, n, v, 0);
}

/* a exceeds the limit, with room for the rounding of a decimal limit. */
static int beyond(double a, double limit)
{
    return a > limit + 1e-9 * fmax(1, fabs(limit));
}

/* One limit's verdict into the "limits" array; returns 1 when it fails. */
static int judge_limit(cJSON *out, const compare_limit *l, val_kind bk, double b, val_kind nk,
                       double nv)
{
    measure_worse w = measure_metric_worse(l->metric);
    cJSON *row = cJSON_CreateObject();
    cJSON_AddStringToObject(row, "metric", l->metric);
    cJSON_AddStringToObject(row, "kind", l->pct ? "max_regress" : "max_increase");
    cJSON_AddNumberToObject(row, "limit", l->limit);
    cJSON_AddStringToObject(row, "worse", worse_text(w));
    add_value(row, "base", bk, b);
    add_value(row, "new", nk, nv);
    char lim[48], bs[48], ns[48], by[48], msg[400];
    fmt_num(lim, sizeof lim, l->limit);
    const char *unit = l->pct ? "%" : "";
    int pass;
    if (bk != VAL_NUMBER || nk != VAL_NUMBER) {
        pass = 0;
        cJSON_AddNullToObject(row, "worse_by");
        snprintf(msg, sizeof msg, "%s: %s in %s, so the limit (%s%s worse) cannot be checked",
                 l->metric, kind_text[bk != VAL_NUMBER ? bk : nk],
                 bk != VAL_NUMBER ? "the baseline" : "the new run", lim, unit);
    } else {
        double worse_by = (nv - b) * (double)w;
        if (l->pct)
            worse_by = worse_by / fabs(b) * 100; /* b != 0: compare_check_limits */
        pass = !beyond(worse_by, l->limit);
        cJSON_AddNumberToObject(row, "worse_by", worse_by);
        fmt_num(bs, sizeof bs, b);
        fmt_num(ns, sizeof ns, nv);
        snprintf(by, sizeof by, "%.4g", fabs(worse_by));
        char how[96];
        if (worse_by == 0)
            snprintf(how, sizeof how, "no worse");
        else
            snprintf(how, sizeof how, "%s by %s%s", worse_by > 0 ? "worse" : "better", by, unit);
        snprintf(msg, sizeof msg, "%s: %s -> %s, %s, %s %s%s worse allowed", l->metric, bs, ns,
                 how, pass ? "within the" : "beyond the", lim, unit);
    }
    cJSON_AddBoolToObject(row, "pass", pass);
    cJSON_AddStringToObject(row, "message", msg);
    cJSON_AddItemToArray(out, row);
    return !pass;
}

/* The verdict of one row: "worse", "better", "same", "changed" (a metric
 * without a direction), "unknown". */
static const char *row_verdict(val_kind bk, double b, val_kind nk, double nv, measure_worse w)
{
    if (bk != VAL_NUMBER || nk != VAL_NUMBER)
        return "unknown";
    if (nv == b)
        return "same";
    if (w == MEASURE_WORSE_NONE)
        return "changed";
    return (nv - b) * (double)w > 0 ? "worse" : "better";
}

/* A string field of a summary, or "" when it has none. */
static const char *summary_str(const cJSON *summary, const char *key)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(summary, key));
    return v ? v : "";
}

/* "notes": what makes the two runs not alike (another scenario, a real run
 * against a simulated one), so a reader does not take a different demand
 * for a regression. Comparing them is still allowed. */
static void add_notes(cJSON *cmp, const cJSON *base, const cJSON *new_summary)
{
    cJSON *notes = cJSON_AddArrayToObject(cmp, "notes");
    const char *bn = summary_str(base, "name"), *nn = summary_str(new_summary, "name");
    const char *bk = summary_str(base, "kind"), *nk = summary_str(new_summary, "kind");
    char text[400];
    if (*bn && *nn && strcmp(bn, nn) != 0) {
        snprintf(text, sizeof text, "BASE ran scenario \"%.100s\" and NEW \"%.100s\": their "
                 "demand differs, and so may every figure", bn, nn);
        cJSON_AddItemToArray(notes, cJSON_CreateString(text));
    }
    if (*bk && *nk && strcmp(bk, nk) != 0) {
        snprintf(text, sizeof text, "BASE is a %s and NEW a %s: docs/sim.md says how far the "
                 "simulator agrees with real runs",
                 strcmp(bk, "sim") == 0 ? "simulated run" : "real run",
                 strcmp(nk, "sim") == 0 ? "simulated run" : "real run");
        cJSON_AddItemToArray(notes, cJSON_CreateString(text));
    }
}

cJSON *compare_summaries(const cJSON *base, const cJSON *new_summary, const char *base_dir,
                         const char *new_dir, const compare_limit *limits, size_t n,
                         int *failed, char *err, size_t errlen)
{
    *failed = 0;
    if (compare_check_limits(base, limits, n, err, errlen) != 0)
        return NULL;
    const cJSON *bm = metrics_of(base), *nm = metrics_of(new_summary);
    cJSON *cmp = cJSON_CreateObject();
    cJSON_AddStringToObject(cmp, "base", base_dir);
    cJSON_AddStringToObject(cmp, "new", new_dir);
    add_notes(cmp, base, new_summary);
    cJSON *rows = cJSON_AddArrayToObject(cmp, "metrics");
    int worse = 0, better = 0, unknown = 0;
    for (const char *const *name = measure_metric_names(); *name; name++) {
        double b = 0, nv = 0;
        val_kind bk = metric_value(bm, *name, &b);
        val_kind nk = metric_value(nm, *name, &nv);
        measure_worse w = measure_metric_worse(*name);
        const char *verdict = row_verdict(bk, b, nk, nv, w);
        worse += strcmp(verdict, "worse") == 0;
        better += strcmp(verdict, "better") == 0;
        unknown += strcmp(verdict, "unknown") == 0;
        cJSON *row = cJSON_CreateObject();
        cJSON_AddStringToObject(row, "metric", *name);
        cJSON_AddStringToObject(row, "worse", worse_text(w));
        add_value(row, "base", bk, b);
        add_value(row, "new", nk, nv);
        if (bk == VAL_NUMBER && nk == VAL_NUMBER) {
            cJSON_AddNumberToObject(row, "change", nv - b);
            if (b != 0)
                cJSON_AddNumberToObject(row, "change_pct", (nv - b) / fabs(b) * 100);
            else
                cJSON_AddNullToObject(row, "change_pct");
        } else {
            cJSON_AddNullToObject(row, "change");
            cJSON_AddNullToObject(row, "change_pct");
        }
        cJSON_AddStringToObject(row, "verdict", verdict);
        cJSON_AddItemToArray(rows, row);
    }
    cJSON *lims = cJSON_AddArrayToObject(cmp, "limits");
    for (size_t i = 0; i < n; i++) {
        double b = 0, nv = 0;
        val_kind bk = metric_value(bm, limits[i].metric, &b);
        val_kind nk = metric_value(nm, limits[i].metric, &nv);
        *failed += judge_limit(lims, &limits[i], bk, b, nk, nv);
    }
    cJSON_AddNumberToObject(cmp, "worse", worse);
    cJSON_AddNumberToObject(cmp, "better", better);
    cJSON_AddNumberToObject(cmp, "unknown", unknown);
    cJSON_AddNumberToObject(cmp, "limits_failed", *failed);
    cJSON_AddBoolToObject(cmp, "pass", *failed == 0);
    return cmp;
}

/* ---- printing ------------------------------------------------------------------ */

/* A base/new/change cell: the number, or what stands in for it. */
static void cell_text(const cJSON *v, char *out, size_t n, int sign)
{
    if (cJSON_IsNumber(v))
        fmt_signed(out, n, v->valuedouble, sign);
    else if (cJSON_IsString(v))
        snprintf(out, n, "%s", v->valuestring);
    else
        snprintf(out, n, "%s", sign ? "" : "not measured");
}

void compare_print(FILE *out, const cJSON *cmp)
{
    const cJSON *row;
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(cmp, "notes"))
        fprintf(out, "note: %s\n", row->valuestring);
    fprintf(out, "\n%-46s %14s %14s %12s %9s  %s\n", "metric", "base", "new", "change", "%",
            "verdict");
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(cmp, "metrics"))
    {
        char b[48], nv[48], ch[48], pct[48];
        cell_text(cJSON_GetObjectItemCaseSensitive(row, "base"), b, sizeof b, 0);
        cell_text(cJSON_GetObjectItemCaseSensitive(row, "new"), nv, sizeof nv, 0);
        cell_text(cJSON_GetObjectItemCaseSensitive(row, "change"), ch, sizeof ch, 1);
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(row, "change_pct");
        if (cJSON_IsNumber(p))
            snprintf(pct, sizeof pct, "%+.1f%%", p->valuedouble);
        else
            pct[0] = '\0';
        const char *verdict =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "verdict"));
        fprintf(out, "%-46s %14s %14s %12s %9s  %s\n",
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "metric")), b, nv, ch,
                pct, strcmp(verdict, "worse") == 0 ? "WORSE" : verdict);
    }
    const cJSON *lims = cJSON_GetObjectItemCaseSensitive(cmp, "limits");
    if (cJSON_GetArraySize(lims) > 0) {
        fprintf(out, "\nlimits against the baseline:\n");
        cJSON_ArrayForEach(row, lims)
        {
            int pass = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(row, "pass"));
            fprintf(out, "%-6s %s\n", pass ? "pass" : "FAIL",
                    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "message")));
        }
    }
    double nw = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cmp, "worse"));
    double nb = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cmp, "better"));
    double nu = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cmp, "unknown"));
    double nf = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cmp, "limits_failed"));
    fprintf(out, "\nagainst the baseline: %g worse, %g better, %g not comparable; %g of %d limits "
                 "failed\n",
            nw, nb, nu, nf, cJSON_GetArraySize(lims));
}

/* ---- surge compare -------------------------------------------------------------- */

int compare_command(const char *base_dir, const char *new_dir, const compare_limit *limits,
                    size_t n, const char *out_dir)
{
    char err[800];
    int rc = RUN_BAD_USAGE, failed = 0;
    char *path = NULL;
    cJSON *cmp = NULL, *base = compare_load(base_dir, err, sizeof err), *nw = NULL;
    if (!base || !(nw = compare_load(new_dir, err, sizeof err)) ||
        !(cmp = compare_summaries(base, nw, base_dir, new_dir, limits, n, &failed, err,
                                  sizeof err))) {
        fprintf(stderr, "surge compare: %s\n", err);
        goto out;
    }
    compare_print(stdout, cmp);
    if (!out_dir)
        out_dir = new_dir;
    rc = RUN_BROKE;
    if (dirs_make(out_dir) != 0) {
        fprintf(stderr, "surge compare: cannot create %s: %s\n", out_dir, strerror(errno));
        goto out;
    }
    path = xasprintf("%s/compare.json", out_dir);
    if (results_write_json(path, cmp) != 0) {
        fprintf(stderr, "surge compare: cannot write %s: %s\n", path, strerror(errno));
        goto out;
    }
    free(path);
    path = xasprintf("%s/compare-junit.xml", out_dir);
    if (report_compare_junit(path, cmp, err, sizeof err) != 0) {
        fprintf(stderr, "surge compare: cannot write %s\n", err);
        goto out;
    }
    printf("written: %s/compare.json, %s\n", out_dir, path);
    rc = failed ? RUN_GATE_FAILED : RUN_PASS;
    printf("exit %d: %s\n", rc,
           failed ? "a limit failed" : n ? "every limit holds" : "no limits, nothing gated");
out:
    free(path);
    cJSON_Delete(base);
    cJSON_Delete(nw);
    cJSON_Delete(cmp);
    return rc;
}
