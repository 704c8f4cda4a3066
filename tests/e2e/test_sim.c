/*
 * `surge sim` as a user runs it: the real binary on the shipped scenarios.
 * It writes the same folder as `surge run`, replays byte for byte from its
 * seed, and refuses (exit 2, naming the field) what it does not model.
 */
#include "e2e.h"

#include "json.h"
#include "measure.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *sim_into(const char *name, const char *const *extra, int want_exit)
{
    char *dir = xasprintf("%s/%s", test_tmp_dir(), name);
    const char *args[16] = {"sim", "scenarios/ci-smoke.json", "--out", dir, "--quiet"};
    size_t n = 5;
    for (size_t i = 0; extra && extra[i] && n < 15; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    e2e_surge_result r = e2e_surge(args);
    EXPECT_EXIT(r, want_exit);
    e2e_surge_free(&r);
    return dir;
}

TEST_T(sim, writes_the_folder_surge_run_writes_and_gates_it, 120)
{
    char *dir = sim_into("one", NULL, 0);
    cJSON *s = e2e_load_in(dir, "summary.json");
    EXPECT_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "kind")), "sim");
    EXPECT_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "name")), "ci-smoke");
    /* Every metric a gate may name is there, as in a real run. */
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(s, "metrics");
    for (const char *const *name = measure_metric_names(); *name; name++) {
        double v;
        if (measure_lookup(m, *name, &v) < 0)
            test_fail(__FILE__, __LINE__, "summary.json lacks metric %s", *name);
    }
    /* The demand is the scenario's: the same arrivals `surge demand` prints. */
    const cJSON *dem = cJSON_GetObjectItemCaseSensitive(s, "demand");
    int checkouts = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(dem, "checkouts"));
    EXPECT_GT_INT(checkouts, 100);
    EXPECT_EQ_INT(e2e_metric(s, "orders_paid") + e2e_metric(s, "sold_out_checkouts"), checkouts);
    /* A flash sale behind Cin7's limit: every paid order reaches Cin7, each
     * with its two sale writes, and pushes queue for tens of seconds. */
    EXPECT_EQ_INT(e2e_metric(s, "orders_pushed"), e2e_metric(s, "orders_paid"));
    EXPECT_NEAR(e2e_metric(s, "api_calls.cin7_sale_writes_per_pushed_order"), 2.0, 1e-9);
    EXPECT_GT_INT(e2e_metric(s, "order_push_latency_ms.p99"), 30000);
    EXPECT_EQ_INT(e2e_metric(s, "oversell_units"), 0);
    EXPECT_EQ_INT(e2e_metric(s, "final_drift_units"), 0);
    /* The buffer's price, and the bound below what was measured. */
    EXPECT_GT_INT(e2e_metric(s, "stranded_units"), 0);
    EXPECT_NEAR(e2e_metric(s, "lost_revenue"), e2e_metric(s, "undersell_units") * 30, 1e-6);
    EXPECT_TRUE(e2e_metric(s, "order_push_latency_ms.bound_p99") > 0);
    EXPECT_TRUE(e2e_metric(s, "order_push_latency_ms.bound_p99") <=
                e2e_metric(s, "order_push_latency_ms.p99"));
    const cJSON *gates = cJSON_GetObjectItemCaseSensitive(s, "gates");
    EXPECT_EQ_INT(cJSON_GetArraySize(gates), 3);
    cJSON_Delete(s);
    static const char *const files[] = {"timeseries.csv", "events.csv", "report.html",
                                        "junit.xml"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *text = e2e_read_in(dir, files[i]); /* the test fails when it is missing */
        if (!*text)
            test_fail(__FILE__, __LINE__, "%s/%s is empty", dir, files[i]);
        free(text);
    }
    /* A gate from the command line is applied: 1 when it fails. */
    const char *const tight[] = {"--gate", "order_push_latency_ms.p99<=1000", NULL};
    free(sim_into("tight", tight, 1));
    free(dir);
}

TEST_T(sim, the_same_seed_gives_the_same_bytes_another_seed_others, 120)
{
    char *a = sim_into("a", NULL, 0), *b = sim_into("b", NULL, 0);
    const char *const other[] = {"--seed", "8", NULL};
    char *c = sim_into("c", other, 0);
    char *sa = e2e_read_in(a, "summary.json"), *sb = e2e_read_in(b, "summary.json"),
         *sc = e2e_read_in(c, "summary.json");
    EXPECT_TRUE(strcmp(sa, sb) == 0);
    EXPECT_TRUE(strcmp(sa, sc) != 0);
    free(sa);
    free(sb);
    free(sc);
    free(a);
    free(b);
    free(c);
}

TEST(sim, what_it_does_not_model_exits_2_naming_the_field)
{
    char *dir = xasprintf("%s/x", test_tmp_dir());
    EXPECT_SURGE(2, "$.crashes", "sim", "scenarios/chaos/kill9.json", "--out", dir);
    EXPECT_SURGE(2, "$.sim.cin7_call.median_ms", "sim", "scenarios/ci-smoke.json", "--out", dir,
                 "--set", "sim.cin7_call.median_ms=-1");
    EXPECT_SURGE(2, "$.sim.bogus", "sim", "scenarios/ci-smoke.json", "--out", dir, "--set",
                 "sim.bogus=1");
    EXPECT_SURGE(2, "$.mocks.cin7.purchases.auto_approve_after", "sim", "scenarios/ci-smoke.json",
                 "--out", dir, "--set", "mocks.cin7.purchases.auto_approve_after=1h");
    /* A kit of two SMK-001 (a generated SKU): listed SKUs come first, so it is skus[0]. */
    EXPECT_SURGE(2, "$.catalog.skus[0].bom: kits (auto-assembly from components) are not modelled yet",
                 "sim", "scenarios/ci-smoke.json", "--out", dir, "--set",
                 "catalog.skus=[{\"sku\":\"KIT\",\"bom\":[{\"sku\":\"SMK-001\",\"qty\":2}]}]");
    EXPECT_SURGE(2, "$.fulfilment: Cin7's shipments, split fulfilments and voids are not modelled",
                 "sim", "scenarios/ci-smoke.json", "--out", dir, "--set", "fulfilment.split_share=0.5");
    EXPECT_SURGE(2, "$.ownership: product data", "sim", "scenarios/ownership.json", "--out", dir);
    EXPECT_SURGE(2, "$.fulfilment", "sim", "scenarios/status-mapping.json", "--out", dir);
    /* The same settings made straight in mock-cin7's config. */
    EXPECT_SURGE(2, "$.mocks.cin7.sales.ship_allocated: Cin7's shipments", "sim",
                 "scenarios/ci-smoke.json", "--out", dir, "--set",
                 "mocks.cin7.sales.ship_allocated=true");
    EXPECT_SURGE(2, "$.mocks.cin7.sales.void_share", "sim", "scenarios/ci-smoke.json", "--out", dir,
                 "--set", "mocks.cin7.sales.void_share=0.1");
    EXPECT_SURGE(2, "--bin", "sim", "scenarios/ci-smoke.json", "--bin", "bin");
    /* Nothing was written for a refused scenario. */
    struct stat st;
    EXPECT_TRUE(stat(dir, &st) != 0);
    free(dir);
}

TEST_T(sim, a_cin7_outage_from_the_fault_plan_holds_pushes_then_drains_them, 120)
{
    /* cin7-outage.json: Cin7 answers 503 from 6 to 11 minutes, then is
     * slow for 3 (its fault plan, applied as mock-cin7 applies it). */
    char *a = xasprintf("%s/outage-a", test_tmp_dir()), *b = xasprintf("%s/outage-b", test_tmp_dir());
    EXPECT_SURGE(0, "", "sim", "scenarios/cin7-outage.json", "--out", a, "--quiet");
    EXPECT_SURGE(0, "", "sim", "scenarios/cin7-outage.json", "--out", b, "--quiet");
    cJSON *s = e2e_load_in(a, "summary.json");
    /* Every paid order reaches Cin7 once, after the outage. */
    EXPECT_GT_INT(e2e_metric(s, "orders_paid"), 100);
    EXPECT_EQ_INT(e2e_metric(s, "orders_pushed"), e2e_metric(s, "orders_paid"));
    EXPECT_EQ_INT(e2e_metric(s, "duplicate_sales"), 0);
    EXPECT_EQ_INT(e2e_metric(s, "dropped_events"), 0);
    EXPECT_EQ_INT(e2e_metric(s, "oversell_units"), 0);
    /* An order placed as it began waited it out, and the backlog (each
     * order's tries backing off, as syncd's policy has them) took minutes
     * more to drain: the median order waited more than a minute. */
    EXPECT_GT_INT(e2e_metric(s, "order_push_latency_ms.max"), 300000);
    EXPECT_GT_INT(e2e_metric(s, "order_push_latency_ms.p50"), 60000);
    cJSON_Delete(s);
    /* Faults draw from the seed too: the same bytes again. */
    char *ta = e2e_read_in(a, "summary.json"), *tb = e2e_read_in(b, "summary.json");
    EXPECT_TRUE(strcmp(ta, tb) == 0);
    free(ta);
    free(tb);
    free(a);
    free(b);
}
