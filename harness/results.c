/* A run's verdict and results folder; see results.h. */
#include "results.h"

#include "compare.h"
#include "report.h"
#include "run.h"

#include "dirs.h"
#include "mem.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VERSION "0.1.0"

int results_parse_gate(const char *spec, char *metric, size_t n, double *limit, int *is_min,
                   char *err, size_t errlen)
{
    const char *op = strpbrk(spec, "<>=");
    if (!op || op == spec) {
        snprintf(err, errlen, "--gate %s: expected metric<=value or metric>=value", spec);
        return -1;
    }
    size_t len = (size_t)(op - spec);
    const char *v = op;
    *is_min = 0;
    if (strncmp(op, "<=", 2) == 0)
        v = op + 2;
    else if (strncmp(op, ">=", 2) == 0) {
        *is_min = 1;
        v = op + 2;
    } else if (*op == '=') {
        v = op + 1;
    } else {
        snprintf(err, errlen, "--gate %s: use <= or >= (strict < and > are not gates)", spec);
        return -1;
    }
    char *end;
    errno = 0;
    *limit = strtod(v, &end);
    if (!*v || *end || errno || !isfinite(*limit)) {
        snprintf(err, errlen, "--gate %s: \"%s\" is not a number", spec, v);
        return -1;
    }
    snprintf(metric, n, "%.*s", (int)len, spec);
    return 0;
}

static void list_metrics(FILE *out)
{
    fprintf(out, "known metrics:");
    for (const char *const *m = measure_metric_names(); *m; m++)
        fprintf(out, " %s", *m);
    fputc('\n', out);
}

int results_write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(text, 1, len, f) == len;
    ok &= fclose(f) == 0;
    return ok ? 0 : -1;
}

int results_write_json(const char *path, const cJSON *v)
{
    char *text = cJSON_Print(v);
    int rc = results_write_file(path, text, strlen(text));
    free(text);
    return rc;
}

/* "held back 7 units: a.myshopify.com 4, b.myshopify.com 3": what Cin7
 * could sell that the shops do not offer at the end, so a large safety
 * buffer cannot pass for a fast engine unseen. */
static void print_held_back(const cJSON *metrics, const cJSON *per_shop)
{
    printf("held back %g units:",
           cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(metrics, "held_back_units")));
    const cJSON *shop;
    int first = 1;
    cJSON_ArrayForEach(shop, per_shop)
    {
        printf("%s %s %g", first ? "" : ",",
               cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(shop, "shop")),
               cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(shop, "held_back_units")));
        first = 0;
    }
    putchar('\n');
}

/* "fields left apart: TEE-BLK cost (owner cin7 set 12.5; cin7 11,
 * own.myshopify.com 11.00)", a line per pair, at most five: which edit an
 * ownership run lost, where the verdict is read. */
static void print_fields_apart(const cJSON *apart)
{
    int n = cJSON_GetArraySize(apart), shown = 0;
    if (n <= 0)
        return;
    printf("fields left apart: %d\n", n);
    const cJSON *e, *v;
    cJSON_ArrayForEach(e, apart)
    {
        if (shown++ == 5) {
            printf("  ... (summary.json, fields_apart)\n");
            break;
        }
        const char *ov = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "owner_value"));
        const char *cv = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "cin7"));
        printf("  %s %s (owner %s set %s; cin7 %s",
               cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "sku")),
               cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "field")),
               cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "owner")),
               ov ? ov : "none", cv ? cv : "none");
        cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(e, "shops"))
            printf(", %s %s", v->string, cJSON_IsString(v) ? v->valuestring : "none");
        printf(")\n");
    }
}

int results_load_scenario(const char *path, const char *const *sets, size_t n_sets, int64_t seed,
                          scenario *out)
{
    const char **over = xcalloc(n_sets + 2, sizeof *over);
    size_t n_over = 0;
    for (size_t i = 0; i < n_sets; i++)
        over[n_over++] = sets[i];
    char seed_set[64];
    if (seed >= 0) {
        snprintf(seed_set, sizeof seed_set, "seed=%lld", (long long)seed);
        over[n_over++] = seed_set;
    }
    json_err e;
    int rc = scenario_load(path, over, n_over, out, &e);
    free(over);
    if (rc != 0) {
        fprintf(stderr, "surge: %s\n", e.msg);
        return RUN_BAD_USAGE;
    }
    return RUN_PASS;
}

int results_prepare(const scenario *sc, const char *const *cli_gates, size_t n_cli,
                    const char *out_dir, sc_gate **gates_out, size_t *n_out, char *dir,
                    size_t dirlen)
{
    /* Gates: the scenario's and the command line's; unknown names stop here. */
    size_t n_gates = sc->n_gates + n_cli;
    sc_gate *gates = xcalloc(n_gates + 1, sizeof *gates);
    *gates_out = gates;
    *n_out = n_gates;
    for (size_t i = 0; i < sc->n_gates; i++)
        gates[i] = (sc_gate){xstrdup(sc->gates[i].metric), sc->gates[i].limit, sc->gates[i].is_min};
    for (size_t i = 0; i < n_cli; i++) {
        char metric[128], err[300];
        double limit;
        int is_min;
        if (results_parse_gate(cli_gates[i], metric, sizeof metric, &limit, &is_min, err,
                               sizeof err)) {
            fprintf(stderr, "surge: %s\n", err);
            return RUN_BAD_USAGE;
        }
        gates[sc->n_gates + i] = (sc_gate){xstrdup(metric), limit, is_min};
    }
    for (size_t i = 0; i < n_gates; i++)
        if (!measure_metric_known(gates[i].metric)) {
            fprintf(stderr, "surge: gate \"%s\": unknown metric\n", gates[i].metric);
            list_metrics(stderr);
            return RUN_BAD_USAGE;
        }

    /* The results folder. */
    if (out_dir)
        snprintf(dir, dirlen, "%s", out_dir);
    else
        dirs_stamped(dir, dirlen, "results", sc->name);
    if (dirs_make(dir) != 0) {
        fprintf(stderr, "surge: cannot create %s: %s\n", dir, strerror(errno));
        return RUN_BROKE;
    }
    return RUN_PASS;
}

void results_gates_free(sc_gate *gates, size_t n)
{
    for (size_t i = 0; gates && i < n; i++)
        free(gates[i].metric);
    free(gates);
}

/* The run against in->baseline (NULL: none): the comparison, printed, or
 * NULL; *failed counts the baseline limits that failed, as gates do. */
static cJSON *against_baseline(const results_in *in, cJSON *metrics, int *failed)
{
    *failed = 0;
    if (!in->baseline)
        return NULL;
    cJSON *run = cJSON_CreateObject();
    /* What the comparison's notes look at, as summary.json will have it. */
    cJSON_AddStringToObject(run, "name", in->sc->name);
    cJSON_AddStringToObject(run, "kind", in->what);
    cJSON_AddItemReferenceToObject(run, "metrics", metrics);
    char err[600];
    cJSON *cmp = compare_summaries(in->baseline->summary, run, in->baseline->dir, in->dir,
                                   in->baseline->limits, in->baseline->n_limits, failed, err,
                                   sizeof err);
    cJSON_Delete(run);
    if (!cmp) {
        /* compare_spec_open checked the limits before the run. */
        fprintf(stderr, "surge: --baseline: %s\n", err);
        *failed = 1;
        return NULL;
    }
    compare_print(stdout, cmp);
    return cmp;
}

int results_write(const results_in *in, measure_output *mo)
{
    int rc;
    /* Gates and the verdict. */
    cJSON *gate_list = cJSON_CreateArray();
    int failed = 0;
    printf("\n%-36s %14s %6s %14s  %s\n", "gate", "value", "", "limit", "result");
    for (size_t i = 0; i < in->n_gates; i++) {
        double v = 0;
        int known = measure_lookup(mo->metrics, in->gates[i].metric, &v) == 1;
        int pass = known && (in->gates[i].is_min ? v >= in->gates[i].limit : v <= in->gates[i].limit);
        failed |= !pass;
        cJSON *gj = cJSON_CreateObject();
        cJSON_AddStringToObject(gj, "metric", in->gates[i].metric);
        cJSON_AddStringToObject(gj, "op", in->gates[i].is_min ? ">=" : "<=");
        cJSON_AddNumberToObject(gj, "limit", in->gates[i].limit);
        if (known)
            cJSON_AddNumberToObject(gj, "value", v);
        else
            cJSON_AddNullToObject(gj, "value");
        cJSON_AddBoolToObject(gj, "pass", pass);
        cJSON_AddItemToArray(gate_list, gj);
        char vs[32];
        snprintf(vs, sizeof vs, known ? "%.6g" : "not measured", v);
        printf("%-36s %14s %6s %14.6g  %s\n", in->gates[i].metric, vs, in->gates[i].is_min ? ">=" : "<=",
               in->gates[i].limit, pass ? "pass" : "FAIL");
    }
    if (in->n_gates == 0)
        printf("(no gates)\n");
    int baseline_failed;
    cJSON *baseline = against_baseline(in, mo->metrics, &baseline_failed);
    failed |= baseline_failed > 0;
    rc = in->invalid[0] ? RUN_INVALID : failed ? RUN_GATE_FAILED : RUN_PASS;

    cJSON *sum = cJSON_CreateObject();
    cJSON_AddStringToObject(sum, "name", in->sc->name);
    cJSON_AddStringToObject(sum, "kind", in->what);
    cJSON_AddNumberToObject(sum, "seed", (double)in->sc->seed);
    cJSON_AddNumberToObject(sum, "time_scale", in->time_scale);
    char started[40];
    clock_format_iso(in->origin, 0, started, sizeof started);
    cJSON_AddStringToObject(sum, "started_at", started);
    cJSON_AddNumberToObject(sum, "duration_ms", (double)in->sc->duration_ms);
    cJSON_AddNumberToObject(sum, "drain_ms", (double)(in->end - in->sc->duration_ms));
    cJSON *ver = cJSON_AddObjectToObject(sum, "versions");
    cJSON_AddStringToObject(ver, "surge", VERSION);
    cJSON_AddBoolToObject(sum, "valid", !in->invalid[0]);
    if (in->invalid[0])
        cJSON_AddStringToObject(sum, "invalid_reason", in->invalid);
    else
        cJSON_AddNullToObject(sum, "invalid_reason");
    cJSON_AddNumberToObject(sum, "exit_code", rc);
    cJSON *dem = cJSON_AddObjectToObject(sum, "demand");
    {
        int64_t checkouts = 0, acc = 0, so = 0, errs = 0, other = 0, other_acc = 0;
        for (size_t i = 0; i < in->n_records; i++) {
            const lg_record *rec = &in->records[i];
            if (rec->a.shopify) {
                checkouts++;
                acc += rec->result == OUT_ACCEPTED;
                so += rec->result == OUT_SOLD_OUT;
            } else {
                other++;
                other_acc += rec->result == OUT_ACCEPTED;
            }
            errs += rec->result == OUT_ERROR;
        }
        cJSON_AddNumberToObject(dem, "arrivals", (double)in->n_records);
        cJSON_AddNumberToObject(dem, "checkouts", (double)checkouts);
        cJSON_AddNumberToObject(dem, "accepted", (double)acc);
        cJSON_AddNumberToObject(dem, "sold_out", (double)so);
        cJSON_AddNumberToObject(dem, "errors", (double)errs);
        cJSON_AddNumberToObject(dem, "other_sales", (double)other);
        cJSON_AddNumberToObject(dem, "other_accepted", (double)other_acc);
        cJSON_AddNumberToObject(dem, "max_lag_ms", (double)in->max_lag);
    }
    if (in->crashes)
        cJSON_AddItemToObject(sum, "crashes", in->crashes);
    cJSON_AddItemToObject(sum, "metrics", mo->metrics);
    mo->metrics = NULL;
    cJSON_AddItemToObject(sum, "per_sku", mo->per_sku);
    mo->per_sku = NULL;
    cJSON_AddItemToObject(sum, "per_shop", mo->per_shop);
    mo->per_shop = NULL;
    cJSON_AddItemToObject(sum, "gates", gate_list);
    if (baseline)
        cJSON_AddItemToObject(sum, "baseline", baseline);
    cJSON_AddItemToObject(sum, "hot_skus", mo->hot_skus);
    mo->hot_skus = NULL;
    if (mo->fields_apart) {
        cJSON_AddItemToObject(sum, "fields_apart", mo->fields_apart);
        mo->fields_apart = NULL;
    }
    cJSON_AddItemToObject(sum, "scenario", cJSON_Duplicate(in->sc->source, 1));
    char path[1100], err[600];
    snprintf(path, sizeof path, "%s/summary.json", in->dir);
    int wrote = results_write_json(path, sum) == 0;
    snprintf(path, sizeof path, "%s/timeseries.csv", in->dir);
    wrote &= results_write_file(path, sbuf_str(&mo->timeseries), mo->timeseries.len) == 0;
    snprintf(path, sizeof path, "%s/events.csv", in->dir);
    wrote &= results_write_file(path, sbuf_str(&mo->events), mo->events.len) == 0;
    snprintf(path, sizeof path, "%s/propagation.csv", in->dir);
    wrote &= results_write_file(path, sbuf_str(&mo->propagation), mo->propagation.len) == 0;
    if (!wrote) {
        fprintf(stderr, "surge: cannot write the results into %s\n", in->dir);
        cJSON_Delete(sum);
        return RUN_BROKE;
    }
    /* A sweep's points skip the plots and the page, which cost more than a
     * small run; CI's junit.xml stays. */
    if (in->no_report) {
        snprintf(path, sizeof path, "%s/junit.xml", in->dir);
        if (report_junit(path, sum, err, sizeof err) != 0)
            fprintf(stderr, "surge: junit.xml could not be written: %s\n", err);
    } else if (report_write(in->dir, sum, err, sizeof err) != 0) {
        fprintf(stderr, "surge: the report could not be written: %s\n", err);
    }
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(sum, "metrics");
    const cJSON *p99 = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(mt, "order_push_latency_ms"), "p99");
    char p99s[32] = "n/a";
    if (cJSON_IsNumber(p99))
        snprintf(p99s, sizeof p99s, "%.0f ms", p99->valuedouble);
    printf("\noversell %g units, dropped events %g, duplicate POs %g, misrouted %g units, order "
           "push p99 %s\n",
           cJSON_GetObjectItemCaseSensitive(mt, "oversell_units")->valuedouble,
           cJSON_GetObjectItemCaseSensitive(mt, "dropped_events")->valuedouble,
           cJSON_GetObjectItemCaseSensitive(mt, "duplicate_pos")->valuedouble,
           cJSON_GetObjectItemCaseSensitive(mt, "misrouted_units")->valuedouble, p99s);
    print_held_back(mt, cJSON_GetObjectItemCaseSensitive(sum, "per_shop"));
    print_fields_apart(cJSON_GetObjectItemCaseSensitive(sum, "fields_apart"));
    if (in->invalid[0])
        printf("INVALID RUN: %s\n", in->invalid);
    if (!in->no_report)
        printf("report: %s/report.html\n", in->dir);
    static const char *const meaning[] = {"all gates pass", "a gate or baseline limit failed",
                                          "bad usage", "the run broke", "the run is invalid"};
    printf("exit %d: %s\n", rc, meaning[rc]);
    cJSON_Delete(sum);
    return rc;
}
