/*
 * measure_run on a fixed small run written by hand (tests/data/measure/,
 * see its README): the journals are read from files, through the run
 * model, to the metrics. Every expected figure is worked out below from
 * those lines (times are scenario ms; t0 is 1000000 on the mocks' clock).
 */
#include "../runner.h"

#include "json.h"
#include "measure.h"
#include "scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIR "tests/data/measure/"

static cJSON *read_json(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        test_fail(__FILE__, __LINE__, "cannot open %s", path);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    cJSON *v = json_parse(buf, n, NULL);
    if (!v)
        test_fail(__FILE__, __LINE__, "%s is not JSON", path);
    return v;
}

/* A metric and its value worked out by hand (within tol: percentiles come
 * from a histogram within 1%). */
typedef struct {
    const char *name;
    double want, tol;
} expected;

static const expected figures[] = {
    /* Order 101 (A x2) paid at 1000, its sale's lines authorised at 3500;
     * order 102 (B x1) paid at 3000, never pushed. */
    {"orders_paid", 2, 0},
    {"orders_pushed", 1, 0},
    {"orders_unpushed", 1, 0},
    {"order_push_latency_ms.count", 1, 0},
    {"order_push_latency_ms.p50", 2500, 25},
    {"order_push_latency_ms.max", 2500, 0},
    /* The wholesale sale at 5000 changed A at W2; the engine set A's level
     * at 6000 (the set at 8000 is not the first after it). */
    {"inventory_propagation_ms.count", 1, 0},
    {"inventory_propagation_ms.max", 1000, 0},
    {"inventory_unpropagated", 0, 0},
    /* Bounds at 60 calls a minute and a 2000-point bucket: nothing waits,
     * so the efficiency is 0 / 2500. */
    {"order_push_latency_ms.bound_p50", 0, 0},
    {"order_push_latency_ms.efficiency_p99", 0, 0},
    {"inventory_propagation_ms.bound_p99", 0, 0},
    /* Refused at 2000: A x5 while Cin7 had 4 + 2 and order 101's 2 units
     * were not in it yet: 4 undersold. Refused at 9000: B x3 while W1 had
     * 3 and order 102's unit was pending: 2. 4 x 20.00 + 2 x 5.00. */
    {"undersell_units", 6, 0},
    {"lost_revenue", 90, 1e-9},
    /* At the end A: 2 + 1 sellable, the shop offers 1: 2 stranded. B: 3
     * less order 102's pending unit, the shop offers 2: none. */
    {"stranded_units", 2, 0},
    /* Held back: A 3 - 1, B 3 - 2. Drift: A should show 3 and shows 1; B
     * should show 3 - 1 (order 102 unpushed) and shows 2. */
    {"held_back_units", 3, 0},
    {"final_drift_units", 2, 0},
    /* Taken: A 2 + 1 of 6, B 1 of 3. */
    {"oversell_units", 0, 0},
    {"accepted_units", 3, 0},
    /* Calls with a client: Cin7 4 (one 503), Shopify 3 (one 429); the torn
     * last line of Shopify's journal is skipped. */
    {"api_calls.cin7", 4, 0},
    {"api_calls.shopify", 3, 0},
    {"api_calls.per_order", 3.5, 1e-9},
    {"http_429.cin7", 1, 0},
    {"http_429.shopify", 1, 0},
    {"http_429.cin7_share", 0.25, 1e-9},
    {"api_calls.cin7_sale_writes_per_pushed_order", 2, 0},
    /* Order 101's orders/paid delivery was acknowledged and it was pushed. */
    {"dropped_events", 0, 0},
    {"duplicate_sales", 0, 0},
};

TEST(measure_golden, a_hand_written_run_gives_the_figures_worked_out_by_hand)
{
    scenario sc;
    json_err e;
    if (scenario_load(DIR "scenario.json", NULL, 0, &sc, &e) != 0)
        test_fail(__FILE__, __LINE__, "scenario: %s", e.msg);
    cJSON *cs = read_json(DIR "cin7-state.json"), *ss = read_json(DIR "shopify-state.json");
    cJSON *dlq = cJSON_CreateArray();
    measure_input in = {&sc, 1000000, 0, DIR "mock-cin7.journal.jsonl",
                        DIR "mock-shopify.journal.jsonl", cs, ss, dlq, NULL, 0, NULL, 0, NULL, -1, -1};
    measure_output out;
    char err[300];
    if (measure_run(&in, &out, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "measure_run: %s", err);
    for (size_t i = 0; i < sizeof figures / sizeof figures[0]; i++) {
        double v = -1;
        if (measure_lookup(out.metrics, figures[i].name, &v) != 1)
            test_fail(__FILE__, __LINE__, "%s is not measured", figures[i].name);
        if (!(v >= figures[i].want - figures[i].tol && v <= figures[i].want + figures[i].tol))
            test_fail(__FILE__, __LINE__, "%s: %g, worked out %g (within %g)", figures[i].name, v,
                      figures[i].want, figures[i].tol);
    }

    measure_output_free(&out);
    cJSON_Delete(cs);
    cJSON_Delete(ss);
    cJSON_Delete(dlq);
    scenario_free(&sc);
}
