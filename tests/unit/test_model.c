/*
 * The metrics of run models built by hand with model.h's builders, as the
 * simulator builds them (no journals): undersell, stranded units and lost
 * revenue, and the physical bounds beside the measured latencies. Every
 * expected value is worked out in the comments from the rules in
 * docs/scenarios.md.
 */
#include "../runner.h"

#include "measure.h"
#include "model.h"

#include <string.h>

/* SKU A (9.99) and B (2.50); A has 3 units at W1 and 2 at W2, B none. */
static const char scenario_text[] =
    "{\"name\":\"model\",\"duration\":\"10s\","
    "\"catalog\":{\"skus\":[{\"sku\":\"A\",\"price\":9.99},{\"sku\":\"B\",\"price\":2.5}]},"
    "\"warehouses\":[{\"name\":\"W1\"},{\"name\":\"W2\"}],"
    "\"shops\":[{\"domain\":\"s1.myshopify.com\"},{\"domain\":\"s2.myshopify.com\"}],"
    "\"stock\":[{\"sku\":\"A\",\"warehouse\":\"W1\",\"on_hand\":3},"
    "{\"sku\":\"A\",\"warehouse\":\"W2\",\"on_hand\":2},{\"sku\":\"B\",\"on_hand\":0}],"
    "\"demand\":[{\"name\":\"d\",\"rate\":1}]}";

enum { A, B };

typedef struct {
    scenario sc;
    run_model *m;
    measure_output out;
} fixture;

static void fx_init(fixture *f, const bounds_limits *lim)
{
    memset(f, 0, sizeof *f);
    json_err e;
    if (scenario_load_text(scenario_text, strlen(scenario_text), "model.json", NULL, NULL, 0, &f->sc,
                           &e) != 0)
        test_fail(__FILE__, __LINE__, "scenario: %s", e.msg);
    f->m = model_new(&f->sc, 10000, lim);
}

static const cJSON *fx_measure(fixture *f)
{
    if (measure_model(f->m, NULL, &f->out) != 0)
        test_fail(__FILE__, __LINE__, "measure_model failed");
    return f->out.metrics;
}

static void fx_free(fixture *f)
{
    measure_output_free(&f->out);
    model_free(f->m);
    scenario_free(&f->sc);
}

static double metric(const fixture *f, const char *name)
{
    double v = -1;
    if (measure_lookup(f->out.metrics, name, &v) != 1)
        test_fail(__FILE__, __LINE__, "%s is not measured", name);
    return v;
}

static double sku_field(const fixture *f, int k, const char *field)
{
    const cJSON *o = cJSON_GetArrayItem(f->out.per_sku, k);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, field);
    if (!cJSON_IsNumber(v))
        test_fail(__FILE__, __LINE__, "per_sku[%d].%s is not a number", k, field);
    return v->valuedouble;
}

static void checkout(fixture *f, int64_t t, int shop, const char *order, int sku, int64_t qty)
{
    model_line l = {sku, qty};
    model_add_checkout(f->m, t, shop, order != NULL, order, &l, 1);
}

TEST(model, undersell_counts_refused_units_cin7_could_sell_at_that_moment_once)
{
    fixture f;
    fx_init(&f, NULL);
    /* Sellable A at first: 3 + 2 = 5. */
    checkout(&f, 50, 0, NULL, B, 1);    /* B: none anywhere: 0 */
    checkout(&f, 100, 0, "1", A, 2);    /* order 1: 2 units pending */
    checkout(&f, 200, 1, NULL, A, 4);   /* 5 - 2 pending = 3 sellable: 3 (claimed 3) */
    /* Order 1 reaches Cin7: pushed, its units allocated at W1. */
    model_add_sale(f.m, 300, MODEL_SALE_CREATED, "S1", "1", 0, 0);
    model_add_stock(f.m, 300, A, 0, MODEL_CAUSE_SALE, 1, 1);
    model_add_sale(f.m, 300, MODEL_SALE_AUTHORISED, "S1", "1", 0, 2);
    checkout(&f, 400, 0, NULL, A, 1);   /* 1 + 2 = 3 sellable, 3 claimed: 0 */
    model_add_stock(f.m, 500, A, 1, MODEL_CAUSE_PURCHASE_RECEIVED, 6, 6);
    checkout(&f, 600, 0, NULL, A, 5);   /* 1 + 6 = 7, 3 claimed: 4 (claimed 7) */
    checkout(&f, 600, 0, "2", A, 1);    /* placed at 600: not before that refusal */
    checkout(&f, 700, 0, NULL, A, 9);   /* 7 - 1 pending (order 2) - 7 claimed: 0 */
    /* The end: A 1 at W1, 6 at W2, 10 at a store no shop sells from; order
     * 2 still pending. Sellable 7 - 1 = 6; the shops offer 2 and 1: 3
     * stranded. B: 3 at W1, listed by no shop: 3 stranded. */
    model_add_final_stock(f.m, A, 0, 1);
    model_add_final_stock(f.m, A, 1, 6);
    model_add_final_stock(f.m, A, model_location(f.m, "Store"), 10);
    model_add_final_stock(f.m, B, 0, 3);
    model_add_final_level(f.m, 0, A, 2);
    model_add_final_level(f.m, 1, A, 1);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "undersell_units"), 7);
    EXPECT_EQ_INT(sku_field(&f, A, "undersell"), 7);
    EXPECT_EQ_INT(sku_field(&f, B, "undersell"), 0);
    EXPECT_NEAR(metric(&f, "lost_revenue"), 69.93, 1e-9); /* 7 x 9.99 */
    EXPECT_EQ_INT(metric(&f, "stranded_units"), 6);
    EXPECT_EQ_INT(sku_field(&f, A, "stranded"), 3);
    EXPECT_EQ_INT(sku_field(&f, B, "stranded"), 3);
    fx_free(&f);
}

TEST(model, a_cancelled_order_stops_holding_units_and_shops_offering_more_strand_none)
{
    fixture f;
    fx_init(&f, NULL);
    checkout(&f, 100, 0, "1", A, 3);   /* 3 pending */
    checkout(&f, 150, 0, NULL, A, 5);  /* 5 - 3 = 2 */
    model_order_cancelled(f.m, 200, "1", 1, 1);
    checkout(&f, 200, 0, NULL, A, 5);  /* cancelled at 200: 5 - 2 claimed = 3 */
    checkout(&f, 300, 1, NULL, B, 2);  /* B: 0 */
    /* Each shop offers 4 of A's 5: nothing stranded (never below 0). */
    model_add_final_stock(f.m, A, 0, 3);
    model_add_final_stock(f.m, A, 1, 2);
    model_add_final_level(f.m, 0, A, 4);
    model_add_final_level(f.m, 1, A, 4);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "undersell_units"), 5);
    EXPECT_NEAR(metric(&f, "lost_revenue"), 49.95, 1e-9);
    EXPECT_EQ_INT(metric(&f, "stranded_units"), 0);
    fx_free(&f);
}

TEST(model, nothing_refused_is_nothing_undersold)
{
    fixture f;
    fx_init(&f, NULL);
    checkout(&f, 100, 0, "1", A, 1);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "undersell_units"), 0);
    EXPECT_EQ_INT(metric(&f, "lost_revenue"), 0);
    fx_free(&f);
}

TEST(model, the_bounds_stand_beside_the_measured_latencies)
{
    /* Cin7: 2 calls a rolling second. Two orders paid at 0: bound latencies
     * 0 and 1000. Pushed at 500 and 3000: measured 500 and 3000. p50 is
     * the first of the two (nearest rank), p99 the second. */
    bounds_limits lim = {.cin7_calls = 2, .cin7_window_ms = 1000, .shopify_bucket = 0};
    fixture f;
    fx_init(&f, &lim);
    checkout(&f, 0, 0, "1", A, 1);
    checkout(&f, 0, 0, "2", A, 1);
    model_order_paid(f.m, 0, "1");
    model_order_paid(f.m, 0, "2");
    model_add_sale(f.m, 500, MODEL_SALE_AUTHORISED, "S1", "1", 0, 1);
    model_add_sale(f.m, 3000, MODEL_SALE_AUTHORISED, "S2", "2", 0, 1);
    /* A stock take at 4000 Shopify followed at 4100; its bound is 0 (the
     * window is empty by then, Shopify unlimited). */
    model_add_stock(f.m, 4000, A, 0, MODEL_CAUSE_ADJUSTMENT, 9, 9);
    model_add_level(f.m, 4100, 0, A, 9, MODEL_BY_ENGINE);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "order_push_latency_ms.bound_p50"), 0);
    EXPECT_NEAR(metric(&f, "order_push_latency_ms.bound_p99"), 1000, 10);
    EXPECT_EQ_INT(metric(&f, "order_push_latency_ms.efficiency_p50"), 0);
    EXPECT_NEAR(metric(&f, "order_push_latency_ms.efficiency_p99"), 1.0 / 3, 0.01);
    EXPECT_EQ_INT(metric(&f, "inventory_propagation_ms.bound_p99"), 0);
    EXPECT_EQ_INT(metric(&f, "inventory_propagation_ms.efficiency_p99"), 0);
    fx_free(&f);
}

TEST(model, without_samples_the_bounds_and_efficiencies_are_null)
{
    fixture f;
    fx_init(&f, NULL);
    fx_measure(&f);
    double v;
    EXPECT_EQ_INT(measure_lookup(f.out.metrics, "order_push_latency_ms.bound_p50", &v), 0);
    EXPECT_EQ_INT(measure_lookup(f.out.metrics, "order_push_latency_ms.efficiency_p99", &v), 0);
    EXPECT_EQ_INT(measure_lookup(f.out.metrics, "inventory_propagation_ms.bound_p99", &v), 0);
    fx_free(&f);
}

TEST(model, a_zero_latency_at_its_zero_bound_is_fully_efficient)
{
    fixture f;
    fx_init(&f, NULL);
    checkout(&f, 0, 0, "1", A, 1);
    model_order_paid(f.m, 100, "1");
    model_add_sale(f.m, 100, MODEL_SALE_AUTHORISED, "S1", "1", 0, 1);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "order_push_latency_ms.p50"), 0);
    EXPECT_EQ_INT(metric(&f, "order_push_latency_ms.bound_p50"), 0);
    EXPECT_EQ_INT(metric(&f, "order_push_latency_ms.efficiency_p50"), 1);
    fx_free(&f);
}

TEST(model, indexes_out_of_range_are_unknown_and_measured_safely)
{
    /* A simulator's slip: shops, SKUs and locations beyond the scenario's
     * are taken as unknown (records needing a SKU are dropped), and the
     * metrics come out of the rest. */
    fixture f;
    fx_init(&f, NULL);
    checkout(&f, 100, 7, "1", A, 1);
    checkout(&f, 150, -3, NULL, 99, 4);
    model_add_stock(f.m, 200, A, 42, MODEL_CAUSE_ADJUSTMENT, 5, 5);
    model_add_stock(f.m, 200, 99, 0, MODEL_CAUSE_ADJUSTMENT, 5, 5);
    model_add_backorder(f.m, 250, 0, "S9", "1", 99, 42, 2, INT64_MIN);
    model_add_level(f.m, 300, 9, A, 4, MODEL_BY_ENGINE);
    model_add_final_level(f.m, 5, A, 3);
    model_add_final_stock(f.m, 99, 0, 3);
    EXPECT_EQ_INT(model_order_get(f.m, "1")->shop, -1);
    EXPECT_EQ_INT(f.m->n_stock, 1);
    EXPECT_EQ_INT(f.m->stock[0].loc, -1);
    EXPECT_EQ_INT(f.m->backorders[0].sku, -1);
    EXPECT_EQ_INT(f.m->levels[0].shop, -1);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "undersell_units"), 0);
    EXPECT_EQ_INT(metric(&f, "backorder_units"), 2);
    EXPECT_EQ_INT(metric(&f, "inventory_propagation_ms.count"), 1);
    fx_free(&f);
}

TEST(model, without_shopifys_side_of_order_statuses_the_status_metrics_are_null)
{
    /* The simulator records no fulfillments, holds or notifications: an
     * order backordered in Cin7 with no hold would look wrong, so nothing
     * is measured. */
    fixture f;
    fx_init(&f, NULL);
    checkout(&f, 0, 0, "1", A, 2);
    model_add_sale(f.m, 100, MODEL_SALE_AUTHORISED, "S1", "1", 0, 2);
    model_add_backorder(f.m, 100, 0, "S1", "1", A, 0, 2, INT64_MIN);
    fx_measure(&f);
    double v;
    EXPECT_EQ_INT(measure_lookup(f.out.metrics, "status_mismatches", &v), 0);
    EXPECT_EQ_INT(measure_lookup(f.out.metrics, "status_lag_ms.count", &v), 0);
    EXPECT_EQ_INT(measure_lookup(f.out.metrics, "notifications_missing", &v), 0);
    EXPECT_EQ_INT(measure_lookup(f.out.metrics, "notifications_duplicated", &v), 0);
    measure_output_free(&f.out);
    f.m->statuses_known = 1;
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "status_mismatches"), 1);
    fx_free(&f);
}

TEST(model, an_order_split_over_two_warehouses_ships_and_is_fulfilled_per_sale)
{
    /* Order 1: A x2 and B x1; sale S1 at W1 (A), S2 at W2 (B). Each ships
     * once; Shopify fulfils A 300 after S1's shipment and B 50 after S2's,
     * with one confirmation each. Order 2 (A x1, shipped at 900) is
     * fulfilled 400 later but only with A x1 of a line of 1: matched.
     * Order 3 was cancelled by the shopper: its shipment, never fulfilled,
     * counts nowhere. */
    fixture f;
    fx_init(&f, NULL);
    f.m->statuses_known = 1;
    model_line o1[2] = {{A, 2}, {B, 1}}, a1 = {A, 1}, a2 = {A, 2}, b1 = {B, 1};
    model_add_checkout(f.m, 0, 0, 1, "1", o1, 2);
    checkout(&f, 0, 0, "2", A, 1);
    checkout(&f, 0, 0, "3", A, 1);
    model_order_cancelled(f.m, 50, "3", 1, 1);
    model_add_sale(f.m, 100, MODEL_SALE_AUTHORISED, "S1", "1", 0, 2);
    model_add_sale(f.m, 100, MODEL_SALE_AUTHORISED, "S2", "1", 1, 1);
    model_add_sale(f.m, 100, MODEL_SALE_AUTHORISED, "S3", "2", 0, 1);
    model_add_sale(f.m, 100, MODEL_SALE_AUTHORISED, "S4", "3", 0, 1);
    model_add_shipment(f.m, 1000, "S1", "1", 0, 1, 1, &a2, 1);
    model_add_shipment(f.m, 2000, "S2", "1", 1, 1, 1, &b1, 1);
    model_add_shipment(f.m, 900, "S3", "2", 0, 1, 1, &a1, 1);
    model_add_shipment(f.m, 900, "S4", "3", 0, 1, 1, &a1, 1);
    model_add_fulfillment(f.m, 1300, "2", &a1, 1);
    model_add_fulfillment(f.m, 1300, "1", &a2, 1);
    model_add_notification(f.m, 1300, "1", MODEL_NOTE_SHIPPING);
    model_add_notification(f.m, 1300, "2", MODEL_NOTE_SHIPPING);
    model_add_fulfillment(f.m, 2050, "1", &b1, 1);
    model_add_notification(f.m, 2050, "1", MODEL_NOTE_SHIPPING);
    model_add_fulfillment(f.m, 2100, "nope", &b1, 1); /* not the run's order: dropped */
    EXPECT_EQ_INT(f.m->n_fulfillments, 3);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "status_mismatches"), 0);
    EXPECT_EQ_INT(metric(&f, "notifications_missing"), 0);
    EXPECT_EQ_INT(metric(&f, "notifications_duplicated"), 0);
    EXPECT_EQ_INT(metric(&f, "status_lag_ms.count"), 3);
    EXPECT_EQ_INT(metric(&f, "status_lag_ms.max"), 400);
    EXPECT_EQ_INT(metric(&f, "status_lag_ms.mean"), 250); /* (300 + 50 + 400) / 3 */
    fx_free(&f);
}
