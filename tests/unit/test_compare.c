/* A run against a baseline (harness/compare.h) on hand-made summary.json
 * pairs: the side-by-side rows and their verdicts in each direction, limits
 * passing and failing at their edge, the refusals (a percentage of a
 * baseline 0, unknown metrics, bad numbers, missing or malformed files),
 * metrics one side did not measure, and the JUnit files checked by
 * xmllint. */
#include "../runner.h"

#include "compare.h"
#include "json.h"
#include "measure.h"
#include "mem.h"
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The baseline: oversell and p99 higher-is-worse, orders_pushed and an
 * efficiency lower-is-worse, orders_paid without a direction, a zero. */
static const char base_text[] =
    "{\"name\":\"base\",\"metrics\":{\"oversell_units\":0,\"dropped_events\":2,"
    "\"order_push_latency_ms\":{\"p99\":1000,\"p50\":400,\"efficiency_p99\":0.8},"
    "\"orders_paid\":100,\"orders_pushed\":100,\"api_calls\":{\"cin7\":500}}}";

static cJSON *parse(const char *text)
{
    json_err e;
    cJSON *s = json_parse(text, strlen(text), &e);
    if (!s)
        test_fail(__FILE__, __LINE__, "test JSON: %s", e.msg);
    char err[600];
    if (compare_check_summary(s, "test.json", err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "compare_check_summary: %s", err);
    return s;
}

static compare_limit limit(const char *flag, const char *spec)
{
    compare_limit l;
    char err[400];
    if (compare_parse_limit(flag, spec, strcmp(flag, "--max-regress") == 0, &l, err, sizeof err))
        test_fail(__FILE__, __LINE__, "%s %s refused: %s", flag, spec, err);
    return l;
}

/* The comparison of base_text with new_text under the limits; it must
 * be made. */
static cJSON *compare(const char *new_text, const compare_limit *lims, size_t n, int *failed)
{
    cJSON *b = parse(base_text), *nw = parse(new_text);
    char err[600];
    cJSON *cmp = compare_summaries(b, nw, "B", "N", lims, n, failed, err, sizeof err);
    if (!cmp)
        test_fail(__FILE__, __LINE__, "compare_summaries: %s", err);
    cJSON_Delete(b);
    cJSON_Delete(nw);
    return cmp;
}

static const cJSON *row_of(const cJSON *cmp, const char *metric)
{
    const cJSON *row;
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(cmp, "metrics"))
    {
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "metric")), metric) ==
            0)
            return row;
    }
    test_fail(__FILE__, __LINE__, "no row for %s", metric);
}

static const char *verdict(const cJSON *cmp, const char *metric)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row_of(cmp, metric), "verdict"));
}

static const cJSON *limit_row(const cJSON *cmp, int i)
{
    const cJSON *l = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cmp, "limits"), i);
    if (!l)
        test_fail(__FILE__, __LINE__, "no limit row %d", i);
    return l;
}

static int limit_passes(const cJSON *cmp, int i)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(limit_row(cmp, i), "pass"));
}

static const char *limit_message(const cJSON *cmp, int i)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(limit_row(cmp, i), "message"));
}

/* compare_print's text (malloc'd). */
static char *printed(const cJSON *cmp)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    EXPECT_TRUE(f != NULL);
    compare_print(f, cmp);
    fclose(f);
    return text;
}

/* The line of text that starts with prefix followed by a space, copied
 * into out. */
static void line_of(const char *text, const char *prefix, char *out, size_t n)
{
    size_t plen = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, prefix, plen) == 0 && p[plen] == ' ') {
            snprintf(out, n, "%.*s", (int)strcspn(p, "\n"), p);
            return;
        }
    }
    test_fail(__FILE__, __LINE__, "no line for %s in:\n%s", prefix, text);
}

static void expect_xmllint(const char *path)
{
    if (system("command -v xmllint >/dev/null 2>&1") != 0)
        test_fail(__FILE__, __LINE__,
                  "xmllint is not installed (Debian libxml2-utils; scripts/deps.sh installs it)");
    char *cmd = xasprintf("xmllint --noout '%s' 2>&1", path);
    int rc = system(cmd);
    free(cmd);
    if (rc != 0)
        test_fail(__FILE__, __LINE__, "xmllint rejects %s (status %d)", path, rc);
}

TEST(compare, notes_say_when_the_runs_are_not_alike)
{
    int failed;
    /* The same scenario: no note. */
    cJSON *cmp = compare("{\"name\":\"base\",\"metrics\":{\"oversell_units\":1}}", NULL, 0, &failed);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cmp, "notes")), 0);
    cJSON_Delete(cmp);
    /* Another scenario, simulated: two notes, printed before the table. */
    cmp = compare("{\"name\":\"flash\",\"kind\":\"sim\",\"metrics\":{\"oversell_units\":1}}", NULL, 0,
                  &failed);
    cJSON *b = parse(base_text);
    cJSON_AddStringToObject(b, "kind", "run");
    cJSON *nw = parse("{\"name\":\"flash\",\"kind\":\"sim\",\"metrics\":{}}");
    char err[600];
    cJSON *both = compare_summaries(b, nw, "B", "N", NULL, 0, &failed, err, sizeof err);
    EXPECT_TRUE(both != NULL);
    const cJSON *notes = cJSON_GetObjectItemCaseSensitive(both, "notes");
    EXPECT_EQ_INT(cJSON_GetArraySize(notes), 2);
    EXPECT_CONTAINS(cJSON_GetArrayItem(notes, 0)->valuestring,
                    "BASE ran scenario \"base\" and NEW \"flash\"");
    EXPECT_CONTAINS(cJSON_GetArrayItem(notes, 1)->valuestring,
                    "BASE is a real run and NEW a simulated run");
    char *text = printed(both);
    EXPECT_TRUE(strncmp(text, "note: BASE ran scenario", 23) == 0);
    free(text);
    /* The first comparison had one note: the scenario (no kinds given). */
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cmp, "notes")), 1);
    cJSON_Delete(cmp);
    cJSON_Delete(both);
    cJSON_Delete(b);
    cJSON_Delete(nw);
}

/* ---- rows and directions ---------------------------------------------------------- */

TEST(compare, prints_both_runs_side_by_side_with_the_change)
{
    int failed;
    cJSON *cmp = compare("{\"metrics\":{\"oversell_units\":0,\"dropped_events\":3,"
                         "\"order_push_latency_ms\":{\"p99\":1250,\"p50\":300,"
                         "\"efficiency_p99\":0.8},\"orders_paid\":100,\"orders_pushed\":100,"
                         "\"api_calls\":{\"cin7\":500}}}",
                         NULL, 0, &failed);
    EXPECT_EQ_INT(failed, 0);
    const cJSON *r = row_of(cmp, "order_push_latency_ms.p99");
    EXPECT_EQ_INT(cJSON_GetObjectItemCaseSensitive(r, "base")->valuedouble, 1000);
    EXPECT_EQ_INT(cJSON_GetObjectItemCaseSensitive(r, "new")->valuedouble, 1250);
    EXPECT_EQ_INT(cJSON_GetObjectItemCaseSensitive(r, "change")->valuedouble, 250);
    EXPECT_EQ_INT(cJSON_GetObjectItemCaseSensitive(r, "change_pct")->valuedouble, 25);
    char *text = printed(cmp);
    char line[300];
    line_of(text, "order_push_latency_ms.p99", line, sizeof line);
    EXPECT_CONTAINS(line, " 1000 ");
    EXPECT_CONTAINS(line, " 1250 ");
    EXPECT_CONTAINS(line, "+250");
    EXPECT_CONTAINS(line, "+25.0%");
    EXPECT_CONTAINS(line, "WORSE");
    line_of(text, "order_push_latency_ms.p50", line, sizeof line);
    EXPECT_CONTAINS(line, "-100");
    EXPECT_CONTAINS(line, "-25.0%");
    EXPECT_CONTAINS(line, "better");
    /* dropped_events 2 -> 3: +1, +50%; a baseline of 0 has no percentage. */
    line_of(text, "dropped_events", line, sizeof line);
    EXPECT_CONTAINS(line, "+50.0%");
    EXPECT_TRUE(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(row_of(cmp, "oversell_units"),
                                                              "change_pct")));
    /* Every metric measure.h knows has a row, in its order. */
    int n_metrics = 0;
    for (const char *const *m = measure_metric_names(); *m; m++)
        n_metrics++;
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cmp, "metrics")),
                  n_metrics);
    EXPECT_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                      cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cmp, "metrics"), 0),
                      "metric")),
                  measure_metric_names()[0]);
    EXPECT_CONTAINS(text, "2 worse, 1 better");
    free(text);
    cJSON_Delete(cmp);
}

TEST(compare, each_metric_gets_worse_its_own_way)
{
    int failed;
    /* Higher is worse for oversell, lower for orders pushed and the
     * efficiency; orders paid only changes. */
    cJSON *cmp = compare("{\"metrics\":{\"oversell_units\":1,\"dropped_events\":1,"
                         "\"order_push_latency_ms\":{\"p99\":1000,\"p50\":400,"
                         "\"efficiency_p99\":0.9},\"orders_paid\":90,\"orders_pushed\":90,"
                         "\"api_calls\":{\"cin7\":500}}}",
                         NULL, 0, &failed);
    EXPECT_EQ_STR(verdict(cmp, "oversell_units"), "worse");
    EXPECT_EQ_STR(verdict(cmp, "dropped_events"), "better");
    EXPECT_EQ_STR(verdict(cmp, "orders_pushed"), "worse");
    EXPECT_EQ_STR(verdict(cmp, "order_push_latency_ms.efficiency_p99"), "better");
    EXPECT_EQ_STR(verdict(cmp, "orders_paid"), "changed");
    EXPECT_EQ_STR(verdict(cmp, "order_push_latency_ms.p99"), "same");
    EXPECT_EQ_INT(cJSON_GetObjectItemCaseSensitive(cmp, "worse")->valuedouble, 2);
    cJSON_Delete(cmp);
}

TEST(compare, every_metric_has_a_direction_and_the_ones_that_matter_the_right_one)
{
    EXPECT_EQ_INT(measure_metric_worse("oversell_units"), MEASURE_WORSE_HIGHER);
    EXPECT_EQ_INT(measure_metric_worse("inventory_propagation_ms.p99"), MEASURE_WORSE_HIGHER);
    EXPECT_EQ_INT(measure_metric_worse("final_drift_units"), MEASURE_WORSE_HIGHER);
    EXPECT_EQ_INT(measure_metric_worse("api_calls.per_order"), MEASURE_WORSE_HIGHER);
    EXPECT_EQ_INT(measure_metric_worse("order_push_latency_ms.efficiency_p50"),
                  MEASURE_WORSE_LOWER);
    EXPECT_EQ_INT(measure_metric_worse("orders_pushed"), MEASURE_WORSE_LOWER);
    EXPECT_EQ_INT(measure_metric_worse("order_push_latency_ms.bound_p99"), MEASURE_WORSE_NONE);
    EXPECT_EQ_INT(measure_metric_worse("po_draft_latency_ms.count"), MEASURE_WORSE_NONE);
    EXPECT_EQ_INT(measure_metric_worse("status_mismatches"), MEASURE_WORSE_HIGHER);
    EXPECT_EQ_INT(measure_metric_worse("status_lag_ms.p99"), MEASURE_WORSE_HIGHER);
    EXPECT_EQ_INT(measure_metric_worse("status_lag_ms.count"), MEASURE_WORSE_NONE);
    EXPECT_EQ_INT(measure_metric_worse("notifications_missing"), MEASURE_WORSE_HIGHER);
    EXPECT_EQ_INT(measure_metric_worse("notifications_duplicated"), MEASURE_WORSE_HIGHER);
    EXPECT_EQ_INT(measure_metric_worse("no_such_metric"), MEASURE_WORSE_NONE);
    /* Latency percentiles are all higher-is-worse, counts and bounds never gated. */
    int higher = 0, lower = 0, none = 0;
    for (const char *const *m = measure_metric_names(); *m; m++) {
        measure_worse w = measure_metric_worse(*m);
        higher += w == MEASURE_WORSE_HIGHER;
        lower += w == MEASURE_WORSE_LOWER;
        none += w == MEASURE_WORSE_NONE;
        if (strstr(*m, "_ms.p") || strstr(*m, "_ms.max") || strstr(*m, "_ms.mean"))
            EXPECT_EQ_INT(w, MEASURE_WORSE_HIGHER);
        if (strstr(*m, ".efficiency_"))
            EXPECT_EQ_INT(w, MEASURE_WORSE_LOWER);
        if (strstr(*m, ".count") || strstr(*m, ".bound_"))
            EXPECT_EQ_INT(w, MEASURE_WORSE_NONE);
    }
    EXPECT_EQ_INT(lower, 5);
    EXPECT_GT_INT(higher, 40);
    EXPECT_EQ_INT(none, 13);
}

/* ---- limits ----------------------------------------------------------------------- */

TEST(compare, a_percentage_limit_passes_at_its_edge_and_fails_beyond)
{
    compare_limit l[] = {limit("--max-regress", "order_push_latency_ms.p99=10"),
                         limit("--max-regress", "order_push_latency_ms.p50=10%"),
                         limit("--max-regress", "orders_pushed=5")};
    int failed;
    /* p99 +10% exactly: passes; p50 +10.25%: fails; pushed -6%: fails. */
    cJSON *cmp = compare("{\"metrics\":{\"order_push_latency_ms\":{\"p99\":1100,\"p50\":441},"
                         "\"orders_pushed\":94}}",
                         l, 3, &failed);
    EXPECT_EQ_INT(failed, 2);
    EXPECT_TRUE(limit_passes(cmp, 0));
    EXPECT_FALSE(limit_passes(cmp, 1));
    EXPECT_FALSE(limit_passes(cmp, 2));
    EXPECT_CONTAINS(limit_message(cmp, 1), "400 -> 441");
    EXPECT_CONTAINS(limit_message(cmp, 1), "worse by 10.25%");
    EXPECT_CONTAINS(limit_message(cmp, 1), "beyond the 10% worse allowed");
    EXPECT_CONTAINS(limit_message(cmp, 2), "100 -> 94");
    EXPECT_CONTAINS(limit_message(cmp, 2), "worse by 6%");
    EXPECT_FALSE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cmp, "pass")));
    cJSON_Delete(cmp);
}

TEST(compare, an_absolute_limit_is_in_the_metrics_units_and_a_better_run_passes)
{
    compare_limit l[] = {limit("--max-increase", "oversell_units=0"),
                         limit("--max-increase", "dropped_events=1"),
                         limit("--max-increase", "order_push_latency_ms.efficiency_p99=0.1")};
    int failed;
    cJSON *cmp = compare("{\"metrics\":{\"oversell_units\":1,\"dropped_events\":3,"
                         "\"order_push_latency_ms\":{\"efficiency_p99\":0.95}}}",
                         l, 3, &failed);
    EXPECT_EQ_INT(failed, 1);
    EXPECT_FALSE(limit_passes(cmp, 0));
    EXPECT_CONTAINS(limit_message(cmp, 0), "0 -> 1, worse by 1, beyond the 0 worse allowed");
    EXPECT_TRUE(limit_passes(cmp, 1));
    EXPECT_TRUE(limit_passes(cmp, 2));
    EXPECT_CONTAINS(limit_message(cmp, 2), "better by 0.15");
    cJSON_Delete(cmp);

    /* A lower-is-worse metric falling by more than V fails. */
    compare_limit d[] = {limit("--max-increase", "order_push_latency_ms.efficiency_p99=0.1")};
    cmp = compare("{\"metrics\":{\"order_push_latency_ms\":{\"efficiency_p99\":0.6}}}", d, 1,
                  &failed);
    EXPECT_EQ_INT(failed, 1);
    cJSON_Delete(cmp);
}

TEST(compare, a_percentage_of_a_baseline_zero_is_refused)
{
    compare_limit l = limit("--max-regress", "oversell_units=10");
    cJSON *b = parse(base_text), *nw = parse(base_text);
    char err[600] = "";
    int failed = -1;
    EXPECT_TRUE(compare_summaries(b, nw, "B", "N", &l, 1, &failed, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "oversell_units is 0");
    EXPECT_CONTAINS(err, "--max-increase oversell_units=");
    EXPECT_EQ_INT(compare_check_limits(b, &l, 1, err, sizeof err), -1);
    cJSON_Delete(b);
    cJSON_Delete(nw);
}

TEST(compare, bad_limits_are_refused_naming_the_flag)
{
    static const struct {
        const char *flag, *spec, *says;
    } bad[] = {
        {"--max-regress", "oversel_units=5",
         "--max-regress oversel_units=5: unknown metric \"oversel_units\""},
        {"--max-regress", "orders_paid=5", "orders_paid describes the run's work and has no worse "
                                           "direction"},
        {"--max-regress", "oversell_units=abc", "\"abc\" is not a number >= 0"},
        {"--max-increase", "oversell_units=-1", "--max-increase oversell_units=-1: \"-1\" is not"},
        {"--max-increase", "oversell_units=5%", "\"5%\" is not a number"}, /* '%' is for PCT */
        {"--max-regress", "oversell_units", "expected METRIC=PCT"},
        {"--max-increase", "=5", "expected METRIC=V"},
        {"--max-regress", "oversell_units=", "\"\" is not a number"},
    };
    compare_limit l;
    char err[400];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        EXPECT_EQ_INT(compare_parse_limit(bad[i].flag, bad[i].spec,
                                          strcmp(bad[i].flag, "--max-regress") == 0, &l, err,
                                          sizeof err),
                      -1);
        EXPECT_CONTAINS(err, bad[i].says);
    }
    l = limit("--max-regress", "order_push_latency_ms.p99=7.5%");
    EXPECT_EQ_STR(l.metric, "order_push_latency_ms.p99");
    EXPECT_TRUE(l.pct == 1 && l.limit == 7.5);
}

/* ---- what one side did not measure ------------------------------------------------ */

TEST(compare, unmeasured_metrics_are_shown_never_counted_and_fail_a_limit)
{
    compare_limit l[] = {limit("--max-regress", "order_push_latency_ms.p99=10"),
                         limit("--max-increase", "dropped_events=0"),
                         limit("--max-increase", "api_calls.cin7=10")};
    int failed;
    /* A foreign engine's: a group "unknown", a null, a metric absent. */
    cJSON *cmp = compare("{\"metrics\":{\"order_push_latency_ms\":\"unknown\","
                         "\"dropped_events\":null,\"oversell_units\":0}}",
                         l, 3, &failed);
    EXPECT_EQ_STR(verdict(cmp, "order_push_latency_ms.p99"), "unknown");
    EXPECT_EQ_STR(verdict(cmp, "dropped_events"), "unknown");
    EXPECT_EQ_STR(verdict(cmp, "api_calls.cin7"), "unknown");
    EXPECT_EQ_INT(cJSON_GetObjectItemCaseSensitive(cmp, "worse")->valuedouble, 0);
    EXPECT_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                      row_of(cmp, "order_push_latency_ms.p99"), "new")),
                  "unknown");
    EXPECT_TRUE(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(row_of(cmp, "dropped_events"),
                                                              "new")));
    EXPECT_EQ_STR(cJSON_GetStringValue(
                      cJSON_GetObjectItemCaseSensitive(row_of(cmp, "api_calls.cin7"), "new")),
                  "missing");
    EXPECT_EQ_INT(failed, 3);
    EXPECT_CONTAINS(limit_message(cmp, 0), "unknown in the new run");
    EXPECT_CONTAINS(limit_message(cmp, 1), "not measured in the new run");
    EXPECT_CONTAINS(limit_message(cmp, 2), "missing in the new run");
    char *text = printed(cmp);
    char line[300];
    line_of(text, "order_push_latency_ms.p99", line, sizeof line);
    EXPECT_CONTAINS(line, "unknown");
    line_of(text, "dropped_events", line, sizeof line);
    EXPECT_CONTAINS(line, "not measured");
    free(text);
    cJSON_Delete(cmp);
}

/* ---- reading summaries ------------------------------------------------------------ */

TEST(compare, a_missing_or_malformed_summary_is_named)
{
    const char *dir = test_tmp_dir();
    char err[600];
    EXPECT_TRUE(compare_load(dir, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "/summary.json");

    char *path = xasprintf("%s/summary.json", dir);
    test_write_file(path, "{\"metrics\":{\"api_calls\":{\"cin7\":\"many\"}}}");
    EXPECT_TRUE(compare_load(dir, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "summary.json: $.metrics.api_calls.cin7: expected a number, null or "
                         "\"unknown\", got a string");
    test_write_file(path, "{\"metrics\":{\"order_push_latency_ms\":[1]}}");
    EXPECT_TRUE(compare_load(dir, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "$.metrics.order_push_latency_ms: expected");
    test_write_file(path, "{\"name\":\"x\"}");
    EXPECT_TRUE(compare_load(dir, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "summary.json: $.metrics: expected an object");
    test_write_file(path, "[1]");
    EXPECT_TRUE(compare_load(dir, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "summary.json: $: expected an object, got an array");
    test_write_file(path, "{\"metrics\":{\"oversell_units\":1,}");
    EXPECT_TRUE(compare_load(dir, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "line 1");
    test_write_file(path, "{\"metrics\":{\"oversell_units\":1}}");
    cJSON *s = compare_load(dir, err, sizeof err);
    EXPECT_TRUE(s != NULL);
    cJSON_Delete(s);
    free(path);
}

/* ---- JUnit ------------------------------------------------------------------------ */

TEST(compare, junit_has_one_case_per_limit_with_the_numbers)
{
    compare_limit l[] = {limit("--max-regress", "order_push_latency_ms.p99=10"),
                         limit("--max-increase", "oversell_units=0")};
    int failed;
    cJSON *cmp = compare("{\"metrics\":{\"order_push_latency_ms\":{\"p99\":1500},"
                         "\"oversell_units\":0}}",
                         l, 2, &failed);
    char *path = xasprintf("%s/compare-junit.xml", test_tmp_dir());
    char err[400];
    EXPECT_EQ_INT(report_compare_junit(path, cmp, err, sizeof err), 0);
    expect_xmllint(path);
    char *x = test_read_file(path);
    EXPECT_CONTAINS(x, "<testsuite name=\"surge.compare\" tests=\"2\" failures=\"1\"");
    EXPECT_CONTAINS(x, "name=\"order_push_latency_ms.p99 max-regress 10%\"");
    EXPECT_CONTAINS(x, "name=\"oversell_units max-increase 0\" time=\"0\"/>");
    EXPECT_CONTAINS(x, "message=\"order_push_latency_ms.p99: 1000 -&gt; 1500, worse by 50%, "
                       "beyond the 10% worse allowed\"");
    EXPECT_CONTAINS(x, "<property name=\"base\" value=\"B\"/>");
    free(x);
    free(path);

    /* A run's junit.xml carries its baseline's limits beside its gates. */
    cJSON *s = parse("{\"name\":\"nightly\",\"valid\":true,\"metrics\":{},"
                     "\"gates\":[{\"metric\":\"oversell_units\",\"op\":\"<=\",\"limit\":0,"
                     "\"value\":0,\"pass\":true}]}");
    cJSON_AddItemToObject(s, "baseline", cmp);
    path = xasprintf("%s/junit.xml", test_tmp_dir());
    EXPECT_EQ_INT(report_junit(path, s, err, sizeof err), 0);
    expect_xmllint(path);
    x = test_read_file(path);
    EXPECT_CONTAINS(x, "tests=\"3\" failures=\"1\"");
    EXPECT_CONTAINS(x, "<testcase classname=\"surge.nightly.baseline\" "
                       "name=\"order_push_latency_ms.p99 max-regress 10%\"");
    EXPECT_CONTAINS(x, "<failure type=\"regression\"");
    free(x);
    free(path);
    cJSON_Delete(s);
}
