/*
 * `surge tune` as a user runs it: a search in the simulator, the winner
 * and the runner-up, the winner confirmed by a real run, and the exit
 * codes (0 confirmed, 1 missed, 2 bad usage).
 */
#include "e2e.h"

#include "json.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int count_lines(const char *text)
{
    int n = 0;
    for (const char *p = text; p && *p; p++)
        n += *p == '\n';
    return n;
}

TEST(tune, bad_usage_exits_2_naming_what_is_wrong)
{
    char *dir = xasprintf("%s/x", test_tmp_dir());
    EXPECT_SURGE(2, "--minimize METRIC is required", "tune", "scenarios/ci-smoke.json", "--vary",
                 "engine.config.coalesce_window=1s,2s");
    EXPECT_SURGE(2, "--minimize nope: unknown metric", "tune", "scenarios/ci-smoke.json",
                 "--vary", "engine.config.coalesce_window=1s,2s", "--minimize", "nope");
    EXPECT_SURGE(2, "unknown metric bogus", "tune", "scenarios/ci-smoke.json", "--vary",
                 "engine.config.coalesce_window=1s,2s", "--minimize", "undersell_units",
                 "--subject-to", "bogus<=1");
    EXPECT_SURGE(2, "value \"warp\" refused", "tune", "scenarios/ci-smoke.json", "--vary",
                 "engine.mode=event,warp", "--minimize", "undersell_units", "--out", dir);
    EXPECT_SURGE(2, "$.crashes", "tune", "scenarios/chaos/kill9.json", "--vary",
                 "engine.config.coalesce_window=1s,2s", "--minimize", "undersell_units");
    EXPECT_SURGE(2, "at least one --vary", "tune", "scenarios/ci-smoke.json", "--minimize",
                 "undersell_units");
    free(dir);
}

TEST_T(tune, finds_the_buffer_that_undersells_least_without_overselling_and_confirms_it, 300)
{
    char *dir = xasprintf("%s/tune", test_tmp_dir());
    const char *args[] = {"tune", "scenarios/ci-smoke.json", "--vary",
                          "engine.config.shops[0].safety_buffer=0,4,8", "--minimize",
                          "undersell_units", "--subject-to", "oversell_units<=0", "--out", dir,
                          NULL};
    e2e_surge_result r = e2e_surge(args);
    EXPECT_EXIT(r, 0);
    EXPECT_CONTAINS(r.out, "best ");
    EXPECT_CONTAINS(r.out, "runner-up ");
    EXPECT_CONTAINS(r.out, "real run");
    cJSON *j = e2e_load_in(dir, "tune.json");
    const cJSON *best = cJSON_GetObjectItemCaseSensitive(j, "best");
    const char *buffer = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(best, "values"), "engine.config.shops[0].safety_buffer"));
    EXPECT_TRUE(buffer != NULL);
    /* A smaller buffer undersells less, but with none the wholesale
     * channel's sales are oversold: the winner lies strictly between, on
     * a value the finer search found (not on the grid). */
    int b = buffer ? atoi(buffer) : -1;
    EXPECT_GT_INT(b, 0);
    EXPECT_TRUE(b != 4 && b != 8);
    const cJSON *sim = cJSON_GetObjectItemCaseSensitive(best, "simulated");
    EXPECT_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(sim, "oversell_units")), 0);
    /* The real run of the winner, beside it. */
    const cJSON *conf = cJSON_GetObjectItemCaseSensitive(j, "confirmation");
    EXPECT_TRUE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(conf, "constraints_met")));
    EXPECT_EQ_INT(e2e_metric(conf, "oversell_units"), 0);
    cJSON_Delete(j);
    /* Every setting tried is in tune.csv: the three of the grid and more. */
    char *csv = e2e_read_in(dir, "tune.csv");
    EXPECT_GT_INT(count_lines(csv), 4);
    EXPECT_CONTAINS(csv, "grid,0,");
    EXPECT_CONTAINS(csv, "refine,");
    free(csv);
    e2e_surge_free(&r);
    free(dir);
}

TEST_T(tune, a_winner_that_misses_a_constraint_in_the_real_run_exits_1, 300)
{
    /* A polling engine's real runs also read purchases and shipped sales
     * on each poll, which the simulator does not model (docs/sim.md): it
     * counts fewer Cin7 calls than the real run makes, so a cap between
     * the two is met in the simulator and missed for real. */
    char *dir = xasprintf("%s/tune", test_tmp_dir());
    const char *args[] = {"tune", "scenarios/polling-vs-webhooks.json", "--set",
                          "engine.mode=poll", "--vary", "engine.config.poll_interval=15m",
                          "--minimize", "oversell_units", "--subject-to", "api_calls.cin7<=110",
                          "--out", dir, NULL};
    e2e_surge_result r = e2e_surge(args);
    EXPECT_EXIT(r, 1);
    EXPECT_CONTAINS(r.out, "MISSES");
    cJSON *j = e2e_load_in(dir, "tune.json");
    const cJSON *conf = cJSON_GetObjectItemCaseSensitive(j, "confirmation");
    EXPECT_FALSE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(conf, "constraints_met")));
    EXPECT_GT_INT(e2e_metric(conf, "api_calls.cin7"), 110);
    cJSON_Delete(j);
    e2e_surge_free(&r);

    /* Nothing meets an impossible cap in the simulator: exit 1, no real run. */
    const char *none[] = {"tune", "scenarios/ci-smoke.json", "--vary",
                          "engine.config.coalesce_window=1s,2s", "--minimize", "undersell_units",
                          "--subject-to", "order_push_latency_ms.p99<=1", "--out", dir, NULL};
    r = e2e_surge(none);
    EXPECT_EXIT(r, 1);
    EXPECT_CONTAINS(r.out, "no setting meets the constraints");
    e2e_surge_free(&r);
    free(dir);
}
