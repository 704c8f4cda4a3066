/*
 * The simulator against the real thing, on scenarios it was not calibrated
 * on (docs/sim.md, "Validation"): each scenario runs with seeds 1, 2 and 3
 * through `surge run` (the mocks and syncd) and `surge sim`, and the means
 * over the seeds must agree: accepted, oversold and undersold units within
 * 5% (or both 0), dropped events and duplicate sales equal, order push
 * latency p50 and p99 within 15% (or within 25 real ms, the machine's
 * noise; undersold units also within 2 units, the same noise; the push
 * p50 of replenishment.json, whose median sits on the knee of Cin7's
 * limit, within 30%). Poll mode must oversell and event mode
 * not, in both. The release build runs (as a user runs it): its timing is
 * what the simulator's delays stand for.
 */
#include "e2e.h"

#include "measure.h"
#include "mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEEDS 3

/* Latencies of a few real milliseconds are the shared machine's
 * scheduling noise, which repeated real runs of one seed do not reproduce
 * either: two latencies agree when within their tolerance or within this
 * many real ms (times the time scale) of each other. */
#define NOISE_REAL_MS 25.0
/* Likewise a unit or two of undersell: whether a shopper met a level a
 * moment before or after its write is scheduling too (replenishment.json
 * seed 3 undersold 0 units in one real run and 1 in another). */
#define NOISE_UNITS 2.0

typedef struct {
    const char *metric;
    double tolerance; /* relative; 0: equal */
    int noise;        /* 1: NOISE_REAL_MS applies (latencies); 2: NOISE_UNITS */
} check;

static const check checks[] = {
    {"accepted_units", 0.05, 0},
    {"oversell_units", 0.05, 0},
    {"undersell_units", 0.05, 2},
    {"dropped_events", 0, 0},
    {"duplicate_sales", 0, 0},
    {"order_push_latency_ms.p50", 0.15, 1},
    {"order_push_latency_ms.p99", 0.15, 1},
};
#define N_CHECKS (sizeof checks / sizeof checks[0])

/* Runs the scenario at path (with set, or NULL) as cmd ("run" or "sim") for each seed
 * and adds each checked metric's value over the seeds into sum. */
static void runs(const char *cmd, const char *path, const char *set, const char *tag,
                 double *sum, double *time_scale)
{
    for (int seed = 1; seed <= SEEDS; seed++) {
        char *dir = xasprintf("%s/%s-%s-%d", test_tmp_dir(), cmd, tag, seed);
        char seed_s[16];
        snprintf(seed_s, sizeof seed_s, "%d", seed);
        const char *args[] = {cmd, path, "--seed", seed_s, "--out", dir, "--quiet",
                              set ? "--set" : NULL, set, NULL};
        e2e_surge_result r = e2e_surge_release(args);
        if (r.code != 0 && r.code != 1)
            test_fail(__FILE__, __LINE__, "surge %s %s --seed %d exited %d:\n%.2000s", cmd,
                      path, seed, r.code, r.err);
        e2e_surge_free(&r);
        cJSON *s = e2e_load_in(dir, "summary.json");
        *time_scale = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "time_scale"));
        for (size_t i = 0; i < N_CHECKS; i++)
            if (measure_metric_known(checks[i].metric))
                sum[i] += e2e_metric(s, checks[i].metric);
        cJSON_Delete(s);
        free(dir);
    }
}

/* Real and simulated means of the scenario at path agree; returns the mean oversell
 * of each (real, sim) for the poll/event check. knee_p50, when more than 0,
 * is the push p50's tolerance instead of 15%: for a scenario whose median
 * order falls where Cin7's limit starts to bind, where the real p50 moves
 * between runs of the same seeds by more than 15% (docs/sim.md). */
static void agree_knee(const char *path, const char *set, const char *tag, double oversell[2],
                       double knee_p50)
{
    double real[N_CHECKS] = {0}, sim[N_CHECKS] = {0};
    double k = 1;
    runs("run", path, set, tag, real, &k);
    runs("sim", path, set, tag, sim, &k);
    char failed[2000] = "";
    size_t used = 0;
    for (size_t i = 0; i < N_CHECKS; i++) {
        if (!measure_metric_known(checks[i].metric))
            continue;
        double a = real[i] / SEEDS, b = sim[i] / SEEDS;
        double scale = fmax(fabs(a), fabs(b));
        double off = scale > 0 ? fabs(a - b) / scale : 0;
        printf("compare: %s %s: real %.1f, sim %.1f (%.1f%% apart)\n", tag, checks[i].metric, a,
               b, off * 100);
        int noise = (checks[i].noise == 1 && fabs(a - b) <= NOISE_REAL_MS * k) ||
                    (checks[i].noise == 2 && fabs(a - b) <= NOISE_UNITS);
        double tolerance = knee_p50 > 0 && strcmp(checks[i].metric, "order_push_latency_ms.p50") == 0
                               ? knee_p50
                               : checks[i].tolerance;
        if (off > tolerance + 1e-9 && !noise && used < sizeof failed)
            used += (size_t)snprintf(failed + used, sizeof failed - used,
                                     "\n  %s: real mean %.2f, simulated %.2f: %.1f%% apart "
                                     "(tolerance %.0f%%)",
                                     checks[i].metric, a, b, off * 100, tolerance * 100);
        if (strcmp(checks[i].metric, "oversell_units") == 0 && oversell) {
            oversell[0] = a;
            oversell[1] = b;
        }
    }
    fflush(stdout);
    if (failed[0])
        test_fail(__FILE__, __LINE__, "%s: the simulator disagrees:%s", tag, failed);
}

static void agree(const char *path, const char *set, const char *tag, double oversell[2])
{
    agree_knee(path, set, tag, oversell, 0);
}

TEST_T(sim_validation, ci_smoke, 600)
{
    agree("scenarios/ci-smoke.json", NULL, "ci-smoke", NULL);
}

TEST_T(sim_validation, multi_store, 900)
{
    agree("scenarios/multi-store.json", NULL, "multi-store", NULL);
}

TEST_T(sim_validation, replenishment, 900)
{
    /* Seed 1's median order falls on the knee: the real mean p50 over seeds
     * 1-3 measured 3 532 to 5 840 scenario ms in eight runs on 2026-12-06
     * (9955b7e gave 4 968 and 4 401, 5a0e9f8 3 532 and 3 770); the
     * simulator gives 4 480. */
    agree_knee("scenarios/replenishment.json", NULL, "replenishment", NULL, 0.30);
}

TEST_T(sim_validation, polling_vs_webhooks_poll_oversells_event_does_not_in_both, 900)
{
    double poll[2] = {0}, event[2] = {0};
    agree("scenarios/polling-vs-webhooks.json", "engine.mode=poll", "pvw-poll", poll);
    agree("scenarios/polling-vs-webhooks.json", "engine.mode=event", "pvw-event", event);
    EXPECT_TRUE(poll[0] > 0);
    EXPECT_TRUE(poll[1] > 0);
    EXPECT_TRUE(event[0] == 0);
    EXPECT_TRUE(event[1] == 0);
}
