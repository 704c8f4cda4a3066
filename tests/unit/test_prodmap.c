/*
 * Product data ownership metrics (harness/prodmap.c through measure_run)
 * on hand-made ground truth: product_updated entries written as the mocks
 * write them (docs/mock-cin7.md and docs/mock-shopify.md, "Journal
 * kinds") and final states in the shapes of their GET /_mock/state, each
 * case's figures worked out by hand. Journal times are the mocks' clock,
 * T0 + scenario ms.
 */
#include "../runner.h"

#include "json.h"
#include "measure.h"
#include "mem.h"
#include "prodmap.h"
#include "sbuf.h"
#include "scenario.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 500000
#define SHOP "p.myshopify.com"
#define MIN 60000

/* Two SKUs, one shop, 10 minutes; Shopify owns what merchandisers set,
 * Cin7 what purchasing sets. */
static const char scenario_text[] =
    "{\"name\":\"p\",\"duration\":\"10m\",\"suppliers\":[{\"name\":\"Acme\"}],"
    "\"catalog\":{\"skus\":[{\"sku\":\"A\",\"price\":30,\"supplier\":\"Acme\"},"
    "{\"sku\":\"B\",\"price\":30,\"supplier\":\"Acme\"}]},"
    "\"warehouses\":[{\"name\":\"W1\"}],\"shops\":[{\"domain\":\"" SHOP "\"}],"
    "\"stock\":[{\"on_hand\":10}],\"demand\":[],"
    "\"ownership\":{\"fields\":{\"price\":\"shopify\",\"compare_at_price\":\"shopify\","
    "\"title\":\"shopify\",\"cost\":\"cin7\",\"barcode\":\"cin7\",\"weight\":\"cin7\","
    "\"status\":\"cin7\"}}}";

/* A side's product data of one SKU, as JSON members of its state entry. */
typedef struct {
    sbuf cin7, shopify;
    unsigned long long seq_c, seq_s;
    /* Members after "sku" in Cin7's products[] (printf: name, price twice)
     * and Shopify's catalog[] (title, price), and each SKU's final prices. */
    const char *cin7_product[2];
    const char *shopify_product[2];
    double cin7_price[2];
    const char *shopify_price[2];
    const char *const *overrides;
    size_t n_overrides;
    scenario sc;
    measure_output out;
} fixture;

static const char cin7_agreeing[] =
    "\"name\":\"%s\",\"status\":\"Active\",\"price\":%g,"
    "\"price_tiers\":[%g,0,0,0,0,0,0,0,0,0],\"supplier_cost\":15,\"barcode\":null,"
    "\"weight\":500,\"weight_units\":\"g\"";
static const char shopify_agreeing[] =
    "\"title\":\"%s\",\"status\":\"ACTIVE\",\"price\":\"%s\",\"compareAtPrice\":null,"
    "\"barcode\":null,\"cost\":\"15.00\",\"weight\":{\"value\":0.5,\"unit\":\"KILOGRAMS\"}";

static void fx_init(fixture *f)
{
    memset(f, 0, sizeof *f);
    for (int k = 0; k < 2; k++) {
        f->cin7_product[k] = cin7_agreeing;
        f->shopify_product[k] = shopify_agreeing;
        f->cin7_price[k] = 30;
        f->shopify_price[k] = "30.00";
    }
}

static void fx_free(fixture *f)
{
    measure_output_free(&f->out);
    scenario_free(&f->sc);
    sbuf_free(&f->cin7);
    sbuf_free(&f->shopify);
}

/* A Cin7 product_updated of SKU at t: fields is the "fields" object's text. */
__attribute__((format(printf, 4, 5))) static void cin7_edit(fixture *f, int64_t t, const char *sku,
                                                            const char *fmt, ...)
{
    char fields[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fields, sizeof fields, fmt, ap);
    va_end(ap);
    sbuf_printf(&f->cin7, "{\"seq\":%llu,\"t\":%lld,\"kind\":\"product_updated\",\"id\":\"p-%s\","
                          "\"sku\":\"%s\",\"fields\":{%s},\"application\":null}\n",
                ++f->seq_c, (long long)(T0 + t), sku, sku, fields);
}

__attribute__((format(printf, 4, 5))) static void shopify_edit(fixture *f, int64_t t,
                                                               const char *sku, const char *fmt,
                                                               ...)
{
    char fields[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fields, sizeof fields, fmt, ap);
    va_end(ap);
    sbuf_printf(&f->shopify,
                "{\"seq\":%llu,\"t\":%lld,\"kind\":\"product_updated\",\"shop\":\"" SHOP "\","
                "\"product_id\":8000000000001,\"variant_id\":45000000000001,\"sku\":\"%s\","
                "\"fields\":{%s},\"by\":null}\n",
                ++f->seq_s, (long long)(T0 + t), sku, fields);
}

/* An accepted checkout of qty units of sku at t. */
static void checkout(fixture *f, int64_t t, int n, const char *sku, int qty)
{
    sbuf_printf(&f->shopify,
                "{\"seq\":%llu,\"t\":%lld,\"kind\":\"checkout\",\"shop\":\"" SHOP "\","
                "\"result\":\"accepted\",\"order_id\":%lld,\"name\":\"#%d\","
                "\"lines\":[{\"sku\":\"%s\",\"qty\":%d,\"line_item_id\":%lld}]}\n",
                ++f->seq_s, (long long)(T0 + t), 5800000000000LL + n, 1000 + n, sku, qty,
                14000000000000LL + n);
}

static cJSON *state_of(const char *text)
{
    cJSON *v = json_parse(text, strlen(text), NULL);
    if (!v)
        test_fail(__FILE__, __LINE__, "bad state: %s", text);
    return v;
}

static void load_scenario(scenario *sc, const char *const *overrides, size_t n)
{
    json_err e;
    if (scenario_load_text(scenario_text, strlen(scenario_text), "p.json", NULL, overrides, n, sc,
                           &e) != 0)
        test_fail(__FILE__, __LINE__, "scenario: %s", e.msg);
}

static void fx_measure(fixture *f)
{
    static const char *const skus[2] = {"A", "B"};
    load_scenario(&f->sc, f->overrides, f->n_overrides);
    char cpath[512], spath[512];
    snprintf(cpath, sizeof cpath, "%s/mock-cin7.journal.jsonl", test_tmp_dir());
    snprintf(spath, sizeof spath, "%s/mock-shopify.journal.jsonl", test_tmp_dir());
    test_write_file(cpath, sbuf_str(&f->cin7));
    test_write_file(spath, sbuf_str(&f->shopify));
    sbuf c = SBUF_INIT, s = SBUF_INIT;
    sbuf_puts(&c, "{\"account\":\"surge\",\"locations\":[{\"id\":\"l1\",\"name\":\"W1\"}],\"products\":[");
    sbuf_puts(&s, "{\"shops\":[{\"domain\":\"" SHOP "\",\"plan\":\"plus\",\"levels\":[],\"orders\":[],"
                  "\"catalog\":[");
    for (int k = 0; k < 2; k++) {
        sbuf_printf(&c, "%s{\"sku\":\"%s\",\"id\":\"p-%s\",\"initial\":10,\"received\":0,"
                        "\"adjusted\":0,\"on_hand\":10,",
                    k ? "," : "", skus[k], skus[k]);
        sbuf_printf(&c, f->cin7_product[k], skus[k], f->cin7_price[k], f->cin7_price[k]);
        sbuf_puts(&c, "}");
        sbuf_printf(&s, "%s{\"sku\":\"%s\",", k ? "," : "", skus[k]);
        sbuf_printf(&s, f->shopify_product[k], skus[k], f->shopify_price[k]);
        sbuf_puts(&s, "}");
    }
    sbuf_puts(&c, "],\"stock\":[],\"sales\":[],\"purchases\":[]}");
    sbuf_puts(&s, "]}]}");
    cJSON *cs = state_of(sbuf_str(&c)), *ss = state_of(sbuf_str(&s)), *dlq = cJSON_CreateArray();
    measure_input in = {&f->sc, T0, 0, cpath, spath, cs, ss, dlq, NULL, 0, NULL, 0, NULL, -1, -1};
    char err[300];
    if (measure_run(&in, &f->out, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "measure_run: %s", err);
    cJSON_Delete(cs);
    cJSON_Delete(ss);
    cJSON_Delete(dlq);
    sbuf_free(&c);
    sbuf_free(&s);
}

static double metric(const fixture *f, const char *name)
{
    double v = -1;
    int rc = measure_lookup(f->out.metrics, name, &v);
    if (rc != 1)
        test_fail(__FILE__, __LINE__, "metric %s: lookup gave %d", name, rc);
    return v;
}

#define EXPECT_METRIC(f, name, want)                                                         \
    do {                                                                                     \
        double got_ = metric(f, name), want_ = (want);                                       \
        if (got_ < want_ - 1e-9 || got_ > want_ + 1e-9)                                      \
            test_fail(__FILE__, __LINE__, "%s: got %g, want %g", name, got_, want_);         \
    } while (0)

/* The pairs the run left apart (summary.json's "fields_apart"), printed
 * compactly to compare whole. */
static char *apart_text(const fixture *f)
{
    if (!f->out.fields_apart)
        return xstrdup("(none)");
    return json_print(f->out.fields_apart);
}

#define EXPECT_APART(f, want)                                                                \
    do {                                                                                     \
        char *got_ = apart_text(f);                                                          \
        if (strcmp(got_, (want)) != 0)                                                       \
            test_fail(__FILE__, __LINE__, "fields_apart: got %s, want %s", got_, (want));    \
        free(got_);                                                                          \
    } while (0)

TEST(prodmap, both_sides_agreeing_from_the_start_count_nothing)
{
    fixture f;
    fx_init(&f);
    checkout(&f, 1000, 1, "A", 2);
    fx_measure(&f);
    EXPECT_METRIC(&f, "field_discrepancies", 0);
    EXPECT_METRIC(&f, "discrepancy_minutes.count", 0);
    EXPECT_METRIC(&f, "price_discrepancy_revenue", 0);
    EXPECT_APART(&f, "[]");
    double v;
    EXPECT_EQ_INT(measure_lookup(f.out.metrics, "discrepancy_minutes.p99", &v), 0);
    fx_free(&f);
}

TEST(prodmap, an_owners_price_carried_3_minutes_later_is_one_stretch_of_3_minutes)
{
    fixture f;
    fx_init(&f);
    f.cin7_price[0] = 33;
    f.shopify_price[0] = "33.00";
    shopify_edit(&f, 1 * MIN, "A", "\"price\":{\"before\":\"30.00\",\"after\":\"33.00\"}");
    cin7_edit(&f, 4 * MIN, "A", "\"PriceTier1\":{\"before\":30,\"after\":33}");
    fx_measure(&f);
    EXPECT_METRIC(&f, "field_discrepancies", 0);
    EXPECT_METRIC(&f, "discrepancy_minutes.count", 1);
    EXPECT_METRIC(&f, "discrepancy_minutes.max", 3);
    EXPECT_METRIC(&f, "discrepancy_minutes.mean", 3);
    /* Shopify owns price: its own price is never a discrepancy's revenue. */
    EXPECT_METRIC(&f, "price_discrepancy_revenue", 0);
    fx_free(&f);
}

TEST(prodmap, a_stray_cin7_edit_never_reverted_differs_to_the_end)
{
    fixture f;
    fx_init(&f);
    f.cin7_price[1] = 27;
    cin7_edit(&f, 2 * MIN, "B", "\"PriceTier1\":{\"before\":30,\"after\":27}");
    fx_measure(&f);
    EXPECT_METRIC(&f, "field_discrepancies", 1);
    EXPECT_METRIC(&f, "discrepancy_minutes.count", 1);
    /* From minute 2 to the end of the run (10 minutes, no drain given). */
    EXPECT_METRIC(&f, "discrepancy_minutes.max", 8);
    /* Named for a person to look at: which pair, whose value, each side's. */
    EXPECT_APART(&f, "[{\"sku\":\"B\",\"field\":\"price\",\"owner\":\"shopify\","
                     "\"owner_value\":\"30.00\",\"cin7\":\"27\",\"shops\":{\"" SHOP
                     "\":\"30.00\"},\"apart_since_s\":120}]");
    fx_free(&f);
}

TEST(prodmap, the_same_value_spelled_two_ways_is_no_discrepancy)
{
    fixture f;
    fx_init(&f);
    static const char cin7_spelled[] =
        "\"name\":\" %s \",\"status\":\"Deprecated\",\"price\":%g,"
        "\"price_tiers\":[%g,0,0,0,0,0,0,0,0,0],\"supplier_cost\":15,\"barcode\":\"\","
        "\"weight\":1,\"weight_units\":\"kg\"";
    static const char shopify_spelled[] =
        "\"title\":\"%s\",\"status\":\"ARCHIVED\",\"price\":\"%s\",\"compareAtPrice\":\"0.00\","
        "\"barcode\":null,\"cost\":\"15.00\",\"weight\":{\"value\":1000,\"unit\":\"GRAMS\"}";
    for (int k = 0; k < 2; k++) {
        f.cin7_product[k] = cin7_spelled;
        f.shopify_product[k] = shopify_spelled;
        f.cin7_price[k] = 10;
        f.shopify_price[k] = "10.00";
    }
    /* Changes that change nothing in value open no stretch either. */
    cin7_edit(&f, 1 * MIN, "A",
              "\"Weight\":{\"before\":1000,\"after\":1},\"WeightUnits\":{\"before\":\"g\",\"after\":\"kg\"}");
    shopify_edit(&f, 1 * MIN, "A",
                 "\"weight\":{\"before\":{\"value\":1,\"unit\":\"KILOGRAMS\"},"
                 "\"after\":{\"value\":1000,\"unit\":\"GRAMS\"}}");
    fx_measure(&f);
    EXPECT_METRIC(&f, "field_discrepancies", 0);
    EXPECT_METRIC(&f, "discrepancy_minutes.count", 0);
    /* The comparison itself, and what it does not call equal. */
    EXPECT_TRUE(prodmap_same(SC_FIELD_PRICE, "10", NULL, 1, "10.00", NULL, 0));
    EXPECT_FALSE(prodmap_same(SC_FIELD_PRICE, "10", NULL, 1, "10.01", NULL, 0));
    EXPECT_TRUE(prodmap_same(SC_FIELD_WEIGHT, "1", "kg", 1, "1000 GRAMS", NULL, 0));
    EXPECT_TRUE(prodmap_same(SC_FIELD_WEIGHT, "16", "oz", 1, "1 POUNDS", NULL, 0));
    EXPECT_FALSE(prodmap_same(SC_FIELD_WEIGHT, "1", "kg", 1, "999 GRAMS", NULL, 0));
    EXPECT_TRUE(prodmap_same(SC_FIELD_STATUS, "Deprecated", NULL, 1, "ARCHIVED", NULL, 0));
    EXPECT_TRUE(prodmap_same(SC_FIELD_STATUS, "Deprecated", NULL, 1, "DRAFT", NULL, 0));
    EXPECT_FALSE(prodmap_same(SC_FIELD_STATUS, "Active", NULL, 1, "ARCHIVED", NULL, 0));
    EXPECT_TRUE(prodmap_same(SC_FIELD_COMPARE_AT, "0", NULL, 1, NULL, NULL, 0));
    EXPECT_FALSE(prodmap_same(SC_FIELD_COMPARE_AT, "0", NULL, 1, "35.00", NULL, 0));
    EXPECT_TRUE(prodmap_same(SC_FIELD_BARCODE, "", NULL, 1, NULL, NULL, 0));
    EXPECT_FALSE(prodmap_same(SC_FIELD_BARCODE, "012345678905", NULL, 1, "12345678905", NULL, 0));
    EXPECT_FALSE(prodmap_same(SC_FIELD_TITLE, "Tee", NULL, 1, "tee", NULL, 0));
    fx_free(&f);
}

/* Purchasing sets A's weight to 750 g at minute 3; the engine never
 * carries it: the pair is named with Cin7's unit beside its value. */
TEST(prodmap, a_weight_left_apart_is_named_with_its_unit)
{
    fixture f;
    fx_init(&f);
    static const char cin7_heavier[] =
        "\"name\":\"%s\",\"status\":\"Active\",\"price\":%g,"
        "\"price_tiers\":[%g,0,0,0,0,0,0,0,0,0],\"supplier_cost\":15,\"barcode\":null,"
        "\"weight\":750,\"weight_units\":\"g\"";
    f.cin7_product[0] = cin7_heavier;
    cin7_edit(&f, 3 * MIN, "A", "\"Weight\":{\"before\":500,\"after\":750}");
    fx_measure(&f);
    EXPECT_METRIC(&f, "field_discrepancies", 1);
    EXPECT_APART(&f, "[{\"sku\":\"A\",\"field\":\"weight\",\"owner\":\"cin7\","
                     "\"owner_value\":\"750 g\",\"cin7\":\"750 g\",\"shops\":{\"" SHOP
                     "\":\"0.5 KILOGRAMS\"},\"apart_since_s\":180}]");
    fx_free(&f);
}

/* Cin7 cuts A's price to 25 at minute 1; Shopify follows at minute 3. */
static void price_cut(fixture *f)
{
    f->cin7_price[0] = 25;
    f->shopify_price[0] = "25.00";
    checkout(f, MIN / 2, 1, "A", 1);     /* before: both at 30 */
    cin7_edit(f, 1 * MIN, "A", "\"PriceTier1\":{\"before\":30,\"after\":25}");
    checkout(f, 2 * MIN, 2, "A", 2);     /* during: 2 x 30.00 at a price Cin7 no longer has */
    checkout(f, 2 * MIN, 3, "B", 1);     /* B agrees */
    shopify_edit(f, 3 * MIN, "A", "\"price\":{\"before\":\"30.00\",\"after\":\"25.00\"}");
    checkout(f, 4 * MIN, 4, "A", 1);     /* after */
}

TEST(prodmap, revenue_counts_what_sold_at_a_shopify_price_the_owner_did_not_set)
{
    static const char *const cin7_owns[] = {"ownership.fields.price=cin7"};
    fixture f;
    fx_init(&f);
    f.overrides = cin7_owns;
    f.n_overrides = 1;
    price_cut(&f);
    fx_measure(&f);
    EXPECT_METRIC(&f, "price_discrepancy_revenue", 60);
    EXPECT_METRIC(&f, "discrepancy_minutes.count", 1);
    EXPECT_METRIC(&f, "discrepancy_minutes.max", 2);
    EXPECT_METRIC(&f, "field_discrepancies", 0);
    fx_free(&f);

    /* The same run with Shopify owning price: a stretch, no revenue. */
    fx_init(&f);
    price_cut(&f);
    fx_measure(&f);
    EXPECT_METRIC(&f, "price_discrepancy_revenue", 0);
    EXPECT_METRIC(&f, "discrepancy_minutes.count", 1);
    fx_free(&f);
}

/* An engine that reverts the owner's edit leaves both systems agreeing on
 * the wrong value: the owner's people set 35.00 at Shopify, an app writes
 * 30.00 back over it, and Cin7 keeps 30. That is a discrepancy to the end,
 * and what sells at 30.00 meanwhile is revenue at a price the owner did
 * not set. */
TEST(prodmap, an_engine_that_overwrites_the_owners_edit_is_judged_by_the_owners_value)
{
    fixture f;
    fx_init(&f);
    f.shopify_price[0] = "30.00";
    shopify_edit(&f, 1 * MIN, "A", "\"price\":{\"before\":\"30.00\",\"after\":\"35.00\"}");
    sbuf_printf(&f.shopify,
                "{\"seq\":%llu,\"t\":%lld,\"kind\":\"product_updated\",\"shop\":\"" SHOP "\","
                "\"product_id\":8000000000001,\"variant_id\":45000000000001,\"sku\":\"A\","
                "\"fields\":{\"price\":{\"before\":\"35.00\",\"after\":\"30.00\"}},"
                "\"by\":\"" SHOP "#0\"}\n",
                ++f.seq_s, (long long)(T0 + 2 * MIN));
    checkout(&f, 3 * MIN, 1, "A", 1);
    fx_measure(&f);
    EXPECT_METRIC(&f, "field_discrepancies", 1);
    EXPECT_METRIC(&f, "discrepancy_minutes.count", 1);
    EXPECT_METRIC(&f, "price_discrepancy_revenue", 30);
    /* Both systems agree on 30, but the owner's people set 35 at minute 1. */
    EXPECT_APART(&f, "[{\"sku\":\"A\",\"field\":\"price\",\"owner\":\"shopify\","
                     "\"owner_value\":\"35.00\",\"cin7\":\"30\",\"shops\":{\"" SHOP
                     "\":\"30.00\"},\"apart_since_s\":60}]");
    fx_free(&f);
}

TEST(prodmap, a_model_without_product_data_or_ownership_measures_nothing)
{
    /* The simulator's model holds no product data: null, as the status
     * metrics are there. */
    scenario sc;
    load_scenario(&sc, NULL, 0);
    run_model *m = model_new(&sc, 10 * MIN, NULL);
    model_add_prodval(m, 10 * MIN, -1, 0, SC_FIELD_PRICE, 1, 0, NULL, "30");
    model_add_prodval(m, 10 * MIN, 0, 0, SC_FIELD_PRICE, 1, 0, NULL, "31.00");
    measure_output out;
    double v;
    EXPECT_EQ_INT(measure_model(m, NULL, &out), 0);
    EXPECT_EQ_INT(measure_lookup(out.metrics, "field_discrepancies", &v), 0);
    EXPECT_EQ_INT(measure_lookup(out.metrics, "discrepancy_minutes.p99", &v), 0);
    EXPECT_EQ_INT(measure_lookup(out.metrics, "price_discrepancy_revenue", &v), 0);
    measure_output_free(&out);
    m->products_known = 1;
    EXPECT_EQ_INT(measure_model(m, NULL, &out), 0);
    EXPECT_EQ_INT(measure_lookup(out.metrics, "field_discrepancies", &v), 1);
    EXPECT_EQ_INT((long long)v, 1);
    measure_output_free(&out);
    /* Without an ownership section no field has an owner to be judged by. */
    sc.ownership.given = 0;
    EXPECT_EQ_INT(measure_model(m, NULL, &out), 0);
    EXPECT_EQ_INT(measure_lookup(out.metrics, "field_discrepancies", &v), 0);
    measure_output_free(&out);
    model_free(m);
    scenario_free(&sc);
}
