/*
 * `surge compare` and `--baseline` as a user runs them: the real binary on
 * hand-made results folders (exit codes, the files it writes and the one it
 * must not touch), then `surge run --baseline` on a shortened ci-smoke and
 * `surge sim --baseline` on the simulator's own earlier folder.
 */
#include "e2e.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A results folder dir/name holding summary.json with these metrics; its
 * path (malloc'd). */
static char *folder(const char *name, const char *metrics)
{
    char *dir = xasprintf("%s/%s", test_tmp_dir(), name);
    EXPECT_EQ_INT(mkdir(dir, 0755), 0);
    char *path = xasprintf("%s/summary.json", dir);
    char *text = xasprintf("{\"name\":\"%s\",\"kind\":\"run\",\"metrics\":%s}", name, metrics);
    test_write_file(path, text);
    free(text);
    free(path);
    return dir;
}

static int exists_in(const char *dir, const char *name)
{
    char *path = xasprintf("%s/%s", dir, name);
    struct stat st;
    int ok = stat(path, &st) == 0;
    free(path);
    return ok;
}

/* Runs surge with args; it must exit with want. The result, to free. */
static e2e_surge_result surge_expect(int want, const char *const *args)
{
    e2e_surge_result r = e2e_surge(args);
    EXPECT_EXIT(r, want);
    return r;
}

static const char base_metrics[] =
    "{\"oversell_units\":0,\"dropped_events\":0,\"orders_pushed\":50,"
    "\"order_push_latency_ms\":{\"p99\":1000,\"p50\":300}}";
/* p99 30% slower, p50 faster, a metric the baseline lacks. */
static const char new_metrics[] =
    "{\"oversell_units\":0,\"dropped_events\":\"unknown\",\"orders_pushed\":50,"
    "\"order_push_latency_ms\":{\"p99\":1300,\"p50\":250},\"api_calls\":{\"cin7\":90}}";

TEST(compare_e2e, exit_codes_and_files_on_hand_made_folders)
{
    char *base = folder("base", base_metrics), *nw = folder("new", new_metrics);
    char *own_junit = xasprintf("%s/junit.xml", nw);
    test_write_file(own_junit, "<testsuite name=\"the run's own\"/>\n");

    /* No limits: only printed, exit 0; the files go into NEW, its own
     * junit.xml untouched. */
    const char *plain[] = {"compare", base, nw, NULL};
    e2e_surge_result r = surge_expect(0, plain);
    EXPECT_CONTAINS(r.out, "order_push_latency_ms.p99");
    EXPECT_CONTAINS(r.out, "+30.0%");
    EXPECT_CONTAINS(r.out, "WORSE");
    EXPECT_CONTAINS(r.out, "1 worse, 1 better");
    e2e_surge_free(&r);
    cJSON *cmp = e2e_load_in(nw, "compare.json");
    EXPECT_TRUE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cmp, "pass")));
    cJSON_Delete(cmp);
    EXPECT_TRUE(exists_in(nw, "compare-junit.xml"));
    char *kept = test_read_file(own_junit);
    EXPECT_EQ_STR(kept, "<testsuite name=\"the run's own\"/>\n");
    free(kept);

    /* A limit the new run breaks: exit 1, the numbers in compare-junit.xml. */
    const char *tight[] = {"compare", base, nw, "--max-regress", "order_push_latency_ms.p99=10",
                           "--max-increase", "oversell_units=0", NULL};
    r = surge_expect(1, tight);
    EXPECT_CONTAINS(r.out, "FAIL   order_push_latency_ms.p99: 1000 -> 1300, worse by 30%");
    e2e_surge_free(&r);
    char *junit = e2e_read_in(nw, "compare-junit.xml");
    EXPECT_CONTAINS(junit, "tests=\"2\" failures=\"1\"");
    EXPECT_CONTAINS(junit, "1000 -&gt; 1300, worse by 30%, beyond the 10% worse allowed");
    free(junit);

    /* A looser one passes; --out puts the files elsewhere. */
    char *out = xasprintf("%s/cmp/out", test_tmp_dir());
    const char *loose[] = {"compare", base, nw, "--max-regress", "order_push_latency_ms.p99=30%",
                           "--out", out, NULL};
    r = surge_expect(0, loose);
    e2e_surge_free(&r);
    EXPECT_TRUE(exists_in(out, "compare.json"));
    EXPECT_TRUE(exists_in(out, "compare-junit.xml"));

    /* A limit on what the new run did not measure fails. */
    const char *unmeasured[] = {"compare", base, nw, "--max-increase", "dropped_events=0", NULL};
    r = surge_expect(1, unmeasured);
    EXPECT_CONTAINS(r.out, "dropped_events: unknown in the new run");
    e2e_surge_free(&r);

    /* Bad usage and input: exit 2, naming what was wrong. */
    EXPECT_SURGE(2, "unknown metric \"p99\"", "compare", base, nw, "--max-regress", "p99=10");
    EXPECT_SURGE(2, "\"ten\" is not a number", "compare", base, nw, "--max-regress",
                 "oversell_units=ten");
    EXPECT_SURGE(2, "use --max-increase oversell_units=", "compare", base, nw, "--max-regress",
                 "oversell_units=10");
    EXPECT_SURGE(2, "two results folders", "compare", base);
    char *gone = xasprintf("%s/gone", test_tmp_dir());
    char *gone_file = xasprintf("%s/summary.json", gone);
    EXPECT_SURGE(2, gone_file, "compare", gone, nw);
    char *bad = folder("bad", "{\"oversell_units\":true}");
    EXPECT_SURGE(2, "$.metrics.oversell_units: expected a number", "compare", base, bad);
    free(bad);
    free(gone_file);
    free(gone);
    free(out);
    free(own_junit);
    free(base);
    free(nw);
}

/* ci-smoke, one simulated minute at 60x. */
#define SHORT_SMOKE                                                                           \
    "scenarios/ci-smoke.json", "--set", "duration=60s", "--set", "drain=2m", "--quiet"

TEST_T(compare_e2e, a_run_against_a_baseline_shows_it_and_gates_on_it, 180)
{
    /* A baseline that pushed far more orders than a minute can. */
    char *base = folder("base", "{\"oversell_units\":0,\"orders_pushed\":100000}");
    char *dir = xasprintf("%s/run", test_tmp_dir());
    const char *args[] = {"run", SHORT_SMOKE, "--out", dir, "--baseline", base,
                          "--max-increase", "oversell_units=0", "--max-regress",
                          "orders_pushed=50", NULL};
    e2e_surge_result r = surge_expect(1, args);
    EXPECT_CONTAINS(r.out, "note: BASE ran scenario");
    EXPECT_CONTAINS(r.out, "limits against the baseline:");
    EXPECT_CONTAINS(r.out, "FAIL   orders_pushed: 100000 -> ");
    EXPECT_CONTAINS(r.out, "exit 1: a gate or baseline limit failed");
    e2e_surge_free(&r);

    cJSON *s = e2e_load_in(dir, "summary.json");
    const cJSON *cmp = cJSON_GetObjectItemCaseSensitive(s, "baseline");
    EXPECT_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cmp, "base")), base);
    const cJSON *limits = cJSON_GetObjectItemCaseSensitive(cmp, "limits");
    EXPECT_EQ_INT(cJSON_GetArraySize(limits), 2);
    const cJSON *oversell = cJSON_GetArrayItem(limits, 0), *pushed = cJSON_GetArrayItem(limits, 1);
    EXPECT_TRUE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(oversell, "pass")));
    EXPECT_TRUE(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(pushed, "pass")));
    EXPECT_EQ_INT(cJSON_GetObjectItemCaseSensitive(s, "exit_code")->valuedouble, 1);
    cJSON_Delete(s);

    char *html = e2e_read_in(dir, "report.html");
    EXPECT_CONTAINS(html, "<h2>Against the baseline</h2>");
    EXPECT_CONTAINS(html, "orders_pushed: 100000 -&gt; ");
    /* The hand-made baseline names another scenario: the page says so. */
    EXPECT_CONTAINS(html, "<p class=\"missing\">Note: BASE ran scenario ");
    free(html);
    char *junit = e2e_read_in(dir, "junit.xml");
    EXPECT_CONTAINS(junit, "classname=\"surge.ci-smoke.baseline\" "
                           "name=\"orders_pushed max-regress 50%\"");
    free(junit);
    free(dir);
    free(base);
}

TEST(compare_e2e, a_bad_baseline_is_refused_before_anything_runs)
{
    char *dir = xasprintf("%s/never", test_tmp_dir());
    char *zero = folder("zero", "{\"oversell_units\":0}");
    EXPECT_SURGE(2, "need --baseline", "run", SHORT_SMOKE, "--out", dir, "--max-regress",
                 "orders_pushed=5");
    EXPECT_SURGE(2, "missing/summary.json", "run", SHORT_SMOKE, "--out", dir, "--baseline",
                 "missing");
    EXPECT_SURGE(2, "the baseline's oversell_units is 0", "sim", SHORT_SMOKE, "--out", dir,
                 "--baseline", zero, "--max-regress", "oversell_units=5");
    EXPECT_SURGE(2, "no worse direction", "run", SHORT_SMOKE, "--out", dir, "--baseline", zero,
                 "--max-regress", "orders_paid=5");
    EXPECT_FALSE(exists_in(dir, "."));
    free(zero);
    free(dir);
}

TEST(compare_e2e, the_simulator_is_no_worse_than_itself)
{
    char *a = xasprintf("%s/a", test_tmp_dir()), *b = xasprintf("%s/b", test_tmp_dir());
    EXPECT_SURGE(0, "", "sim", SHORT_SMOKE, "--out", a, "--no-report");
    const char *args[] = {"sim", SHORT_SMOKE, "--out", b, "--baseline", a, "--max-regress",
                          "order_push_latency_ms.p99=0", "--max-increase", "oversell_units=0",
                          NULL};
    e2e_surge_result r = surge_expect(0, args);
    EXPECT_CONTAINS(r.out, "against the baseline: 0 worse, 0 better");
    e2e_surge_free(&r);
    const char *cmp[] = {"compare", a, b, "--max-regress", "orders_pushed=0", NULL};
    r = surge_expect(0, cmp);
    EXPECT_CONTAINS(r.out, "0 of 1 limits failed");
    e2e_surge_free(&r);
    free(a);
    free(b);
}
