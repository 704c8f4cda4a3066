/* Scenario loading and demand generation. */
#include "../runner.h"

#include "../../mocks/cin7/config.h"
#include "../../mocks/cin7/qty.h"
#include "demand.h"
#include "edits.h"
#include "sbuf.h"
#include "scenario.h"
#include "setup.h"

#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const char base[] =
    "{\"name\":\"t\",\"seed\":7,\"duration\":\"10m\",\"time_scale\":60,"
    "\"suppliers\":[{\"name\":\"Acme\",\"lead_time\":\"3d\",\"moq\":50}],"
    "\"catalog\":{\"skus\":[{\"sku\":\"A-1\",\"price\":10,\"supplier\":\"Acme\"},{\"sku\":\"B-2\"}],"
    "\"generate\":{\"count\":8,\"prefix\":\"G-\"}},"
    "\"warehouses\":[{\"name\":\"Sydney\",\"lat\":-33.9,\"lon\":151.2},{\"name\":\"Perth\"}],"
    "\"shops\":[{\"domain\":\"a.myshopify.com\",\"plan\":\"plus\"},{\"domain\":\"b.myshopify.com\"}],"
    "\"stock\":[{\"on_hand\":100},{\"sku\":\"G-*\",\"warehouse\":\"Perth\",\"on_hand\":5}],"
    "\"demand\":[{\"name\":\"shoppers\",\"shape\":\"spike\",\"rate\":2,"
    "\"spike\":{\"at\":\"2m\",\"for\":\"1m\",\"factor\":20},\"skus\":{\"mix\":\"hot\",\"hot\":[\"A-1\"],\"hot_share\":0.9},"
    "\"qty\":{\"min\":1,\"max\":3},\"lines\":{\"min\":1,\"max\":2},"
    "\"regions\":[{\"country\":\"AU\",\"postcode\":\"2000\",\"lat\":-33.8,\"lon\":151.2,\"weight\":3},{\"country\":\"AU\",\"postcode\":\"6000\"}]},"
    "{\"name\":\"wholesale\",\"channel\":\"wholesale\",\"shape\":\"constant\",\"rate\":0.1,\"warehouse\":\"Sydney\"}],"
    "\"faults\":[{\"system\":\"cin7\",\"kind\":\"outage\",\"at\":\"5m\",\"for\":\"1m\"}],"
    "\"crashes\":[{\"at\":\"4m\",\"restart_after\":\"10s\"}],"
    "\"gates\":{\"oversell_units\":0,\"order_push_latency_ms.p99\":{\"max\":30000},\"accepted_orders\":{\"min\":1}}}";

static void load_ok(scenario *s, const char *const *over, size_t n)
{
    json_err e;
    if (scenario_load_text(base, strlen(base), "t.json", NULL, over, n, s, &e) != 0)
        test_fail(__FILE__, __LINE__, "load failed: %s", e.msg);
}

TEST(scenario, loads_every_section)
{
    scenario s;
    load_ok(&s, NULL, 0);
    EXPECT_EQ_STR(s.name, "t");
    EXPECT_EQ_INT(s.seed, 7);
    EXPECT_EQ_INT(s.duration_ms, 600000);
    EXPECT_EQ_INT(s.n_skus, 10);
    EXPECT_EQ_STR(s.skus[2].sku, "G-001");
    EXPECT_EQ_STR(s.skus[0].supplier, "Acme");
    EXPECT_EQ_INT(s.suppliers[0].lead_ms, 3 * 86400000LL);
    EXPECT_EQ_INT(s.n_warehouses, 2);
    EXPECT_TRUE(s.warehouses[0].has_coords);
    EXPECT_FALSE(s.warehouses[1].has_coords);
    EXPECT_EQ_STR(s.shops[1].plan, "plus");
    EXPECT_EQ_INT(scenario_on_hand(&s, 0, 0), 100);
    EXPECT_EQ_INT(scenario_on_hand(&s, 2, 1), 5);   /* the later, narrower rule wins */
    EXPECT_EQ_INT(scenario_on_hand(&s, 2, 0), 100);
    EXPECT_EQ_INT(s.n_streams, 2);
    EXPECT_EQ_INT(s.streams[0].shape, SHAPE_SPIKE);
    EXPECT_EQ_INT(s.streams[1].warehouse, 0);
    EXPECT_EQ_INT(cJSON_GetArraySize(s.faults_cin7), 1);
    EXPECT_EQ_INT(cJSON_GetArraySize(s.faults_shopify), 0);
    EXPECT_TRUE(cJSON_GetObjectItem(cJSON_GetArrayItem(s.faults_cin7, 0), "system") == NULL);
    EXPECT_EQ_INT(s.n_crashes, 1);
    EXPECT_EQ_INT(s.n_gates, 3);
    EXPECT_EQ_STR(s.gates[1].metric, "order_push_latency_ms.p99");
    EXPECT_TRUE(s.gates[2].is_min);
    EXPECT_EQ_STR(s.engine_mode, "event");
    scenario_free(&s);
}

TEST(scenario, overrides_apply_before_checks)
{
    const char *over[] = {"seed=99", "engine.mode=poll", "demand[1].rate=0.5"};
    scenario s;
    load_ok(&s, over, 3);
    EXPECT_EQ_INT(s.seed, 99);
    EXPECT_EQ_STR(s.engine_mode, "poll");
    EXPECT_NEAR(s.streams[1].rate, 0.5, 0);
    scenario_free(&s);
}

TEST(scenario, errors_name_the_json_path)
{
    static const struct {
        const char *set;
        const char *want;
    } cases[] = {
        {"colour=1", "t.json: $.colour: unknown field"},
        {"duration=\"soon\"", "$.duration: bad duration"},
        {"demand[0].shape=\"wave\"", "$.demand[0].shape: unknown shape \"wave\""},
        {"demand[0].rate=0", "$.demand[0].rate: shape \"spike\" needs a rate"},
        {"demand[0].skus.hot=[\"NOPE\"]", "$.demand[0].skus.hot[0]: \"NOPE\" is not in the catalog"},
        {"demand[0].shop=\"c.myshopify.com\"", "$.demand[0].shop: \"c.myshopify.com\" is not in $.shops"},
        {"shops[0].plan=\"gold\"", "$.shops[0].plan: unknown plan \"gold\""},
        {"stock[1].sku=\"Z-*\"", "$.stock[1].sku: \"Z-*\" matches no SKU"},
        {"faults[0].system=\"erp\"", "$.faults[0].system: expected \"cin7\" or \"shopify\""},
        {"faults[0].kind=\"explode\"", "$.faults[0].kind: unknown fault kind \"explode\""},
        {"faults[0].colour=1", "$.faults[0].colour: unknown field"},
        {"drain_min=\"1h\"", "$.drain_min: is longer than $.drain"},
        {"gates.oversell_units={\"max\":0,\"min\":1}", "$.gates.oversell_units: give exactly one of max and min"},
        {"crashes[0].at=\"1h\"", "$.crashes[0]: a crash at 3600000 ms is after the demand window"},
        {"catalog.skus[1].supplier=\"Ghost\"", "$.catalog.skus[1].supplier: \"Ghost\" is not in $.suppliers"},
        {"name=\"a b\"", "$.name: use letters"},
        {"demand[0].qty={\"min\":3,\"max\":1}", "$.demand[0].qty: max is below min"},
        {"misroute_grace=\"soon\"", "$.misroute_grace: bad duration"},
        {"engine={\"instances\":2}", "$.engine.instances: 2 instances share one database: set "
                                     "engine.store to \"postgres\""},
        {"engine={\"instances\":9,\"store\":\"postgres\"}", "$.engine.instances: "},
        {"engine={\"instances\":0,\"store\":\"postgres\"}", "$.engine.instances: "},
        {"engine={\"store\":\"mysql\"}", "$.engine.store: expected \"sqlite\" or \"postgres\", "
                                         "got \"mysql\""},
        {"crashes[0].instance=2", "$.crashes[0].instance: instance 2, but engine.instances is 1"},
        {"crashes[0].every=0", "$.crashes[0].every: must be more than 0"},
        {"crashes[0].every=\"1ms\"", "$.crashes[0]: more than 1000 planned crashes"},
        /* Kits: B-2 has no supplier, A-1 has one. */
        {"catalog.skus[1].bom=[{\"sku\":\"G-001\",\"qty\":2},{\"sku\":\"NOPE\",\"qty\":1}]",
         "$.catalog.skus[1].bom[1].sku: \"NOPE\" is not in the catalog"},
        {"catalog.skus[1].bom=[{\"sku\":\"B-2\",\"qty\":1}]",
         "$.catalog.skus[1].bom[0].sku: \"B-2\" is the kit itself"},
        {"catalog.skus[1].bom=[{\"sku\":\"G-001\",\"qty\":1},{\"sku\":\"G-001\",\"qty\":2}]",
         "$.catalog.skus[1].bom[1].sku: \"G-001\" is listed twice in this bom"},
        {"catalog.skus[1].bom=[{\"sku\":\"G-001\",\"qty\":0}]",
         "$.catalog.skus[1].bom[0].qty: 0 is out of range [1, 1000]"},
        {"catalog.skus[1].bom=[{\"sku\":\"G-001\",\"qty\":1001}]",
         "$.catalog.skus[1].bom[0].qty: 1001 is out of range [1, 1000]"},
        {"catalog.skus[1].bom=[{\"sku\":\"G-001\",\"qty\":1.5}]",
         "$.catalog.skus[1].bom[0].qty: expected an integer, got 1.5"},
        {"catalog.skus[1].bom=[{\"sku\":\"G-001\"}]",
         "$.catalog.skus[1].bom[0].qty: required field is missing"},
        {"catalog.skus[1].bom=[{\"qty\":1}]", "$.catalog.skus[1].bom[0].sku: required field is missing"},
        {"catalog.skus[1].bom=[{\"sku\":\"G-001\",\"qty\":1,\"wastage\":5}]",
         "$.catalog.skus[1].bom[0].wastage: unknown field"},
        {"catalog.skus[1].bom=[5]", "$.catalog.skus[1].bom[0]: expected an object, got a number"},
        {"catalog.skus[1].bom=[]", "$.catalog.skus[1].bom: expected 1 to 100 components, got 0"},
        {"catalog.skus[1].bom={}", "$.catalog.skus[1].bom: expected an array, got an object"},
        {"catalog.skus[0].bom=[{\"sku\":\"G-001\",\"qty\":1}]",
         "$.catalog.skus[0].supplier: a kit has no supplier (it is bought as its components)"},
        /* One level: K, a kit listed after B-2, cannot be B-2's component. */
        {"catalog.skus=[{\"sku\":\"A-1\"},{\"sku\":\"B-2\",\"bom\":[{\"sku\":\"K\",\"qty\":1}]},"
         "{\"sku\":\"K\",\"bom\":[{\"sku\":\"A-1\",\"qty\":2}]}]",
         "$.catalog.skus[1].bom[0].sku: \"K\" is a kit itself"},
        {"catalog.generate.bom=[]", "$.catalog.generate.bom: unknown field"},
        /* How Cin7's staff ship. */
        {"fulfilment=5", "$.fulfilment: expected an object, got a number"},
        {"fulfilment.split_share=1.5", "$.fulfilment.split_share: 1.5 is out of range [0, 1]"},
        {"fulfilment.split_share=-0.1", "$.fulfilment.split_share: -0.1 is out of range [0, 1]"},
        {"fulfilment.split_share=\"half\"", "$.fulfilment.split_share: expected a number, got a string"},
        {"fulfilment.split_gap=\"soon\"", "$.fulfilment.split_gap: bad duration"},
        {"fulfilment.split_gap=-5", "$.fulfilment.split_gap: expected a non-negative duration"},
        {"fulfilment.ship_allocated=1", "$.fulfilment.ship_allocated: expected true or false, got a number"},
        {"fulfilment.void_share=2", "$.fulfilment.void_share: 2 is out of range [0, 1]"},
        {"fulfilment.void_after=[]", "$.fulfilment.void_after: expected a duration"},
        {"fulfilment.split_gaps=\"1h\"", "$.fulfilment.split_gaps: unknown field"},
        /* Product data ownership and its edits. */
        {"ownership=5", "$.ownership: expected an object, got a number"},
        {"ownership={}", "$.ownership.fields: required field is missing"},
        {"ownership={\"fields\":{},\"owners\":1}", "$.ownership.owners: unknown field"},
        {"ownership={\"fields\":{\"colour\":\"cin7\"}}",
         "$.ownership.fields.colour: unknown field \"colour\" (known: price, compare_at_price"},
        {"ownership={\"fields\":{\"price\":\"erp\"}}",
         "$.ownership.fields.price: expected \"cin7\" or \"shopify\", got erp"},
        {"ownership={\"fields\":{\"price\":1}}",
         "$.ownership.fields.price: expected \"cin7\" or \"shopify\", got a number"},
        {"ownership={\"fields\":{},\"edits\":{}}", "$.ownership.edits: expected an array"},
        {"ownership={\"fields\":{},\"edits\":[{\"fields\":[\"price\"],\"rate\":1}]}",
         "$.ownership.edits[0].side: required"},
        {"ownership={\"fields\":{},\"edits\":[{\"side\":\"erp\",\"fields\":[\"price\"],\"rate\":1}]}",
         "$.ownership.edits[0].side: expected \"cin7\" or \"shopify\", got erp"},
        {"ownership={\"fields\":{},\"edits\":[{\"side\":\"cin7\",\"fields\":[],\"rate\":1}]}",
         "$.ownership.edits[0].fields: list at least one field"},
        {"ownership={\"fields\":{},\"edits\":[{\"side\":\"cin7\",\"rate\":1}]}",
         "$.ownership.edits[0].fields: required field is missing"},
        {"ownership={\"fields\":{},\"edits\":[{\"side\":\"cin7\",\"fields\":[\"price\",\"price\"],"
         "\"rate\":1}]}",
         "$.ownership.edits[0].fields[1]: \"price\" is listed twice"},
        {"ownership={\"fields\":{},\"edits\":[{\"side\":\"cin7\",\"fields\":[\"size\"],\"rate\":1}]}",
         "$.ownership.edits[0].fields[0]: unknown field \"size\""},
        {"ownership={\"fields\":{},\"edits\":[{\"side\":\"cin7\",\"fields\":[7],\"rate\":1}]}",
         "$.ownership.edits[0].fields[0]: expected a field name (a string), got a number"},
        {"ownership={\"fields\":{},\"edits\":[{\"side\":\"cin7\",\"fields\":[\"price\"]}]}",
         "$.ownership.edits[0].rate: required field is missing"},
        {"ownership={\"fields\":{},\"edits\":[{\"side\":\"cin7\",\"fields\":[\"price\"],\"rate\":0}]}",
         "$.ownership.edits[0].rate: must be more than 0"},
        {"ownership={\"fields\":{},\"edits\":[{\"side\":\"cin7\",\"fields\":[\"price\"],\"rate\":101}]}",
         "$.ownership.edits[0].rate: 101 is out of range [0, 100]"},
        {"ownership={\"fields\":{},\"edits\":[{\"side\":\"cin7\",\"fields\":[\"price\"],\"rate\":50}]}",
         "$.ownership.edits[0].rate: the edit streams up to this one make about 30000 edits in the "
         "run; at most 20000"},
        {"ownership={\"fields\":{},\"edits\":[{\"side\":\"cin7\",\"fields\":[\"price\"],\"rate\":1,"
         "\"skus\":[\"Z-*\"]}]}",
         "$.ownership.edits[0].skus[0]: \"Z-*\" matches no SKU of the catalog"},
        {"ownership={\"fields\":{},\"edits\":[{\"side\":\"cin7\",\"fields\":[\"price\"],\"rate\":1,"
         "\"skus\":[]}]}",
         "$.ownership.edits[0].skus: list at least one SKU glob"},
        {"ownership={\"fields\":{},\"edits\":[{\"side\":\"cin7\",\"fields\":[\"cost\"],\"rate\":1,"
         "\"skus\":[\"B-2\",\"G-*\"]}]}",
         "$.ownership.edits[0].fields: cost is edited at Cin7 as the supplier's cost, and none of "
         "the stream's SKUs has a supplier"},
        {"ownership={\"fields\":{},\"edits\":[{\"side\":\"cin7\",\"fields\":[\"price\"],\"rate\":1,"
         "\"window\":{\"at\":\"soon\"}}]}",
         "$.ownership.edits[0].window.at: bad duration"},
        {"ownership={\"fields\":{},\"edits\":[{\"side\":\"cin7\",\"fields\":[\"price\"],\"rate\":1,"
         "\"colour\":1}]}",
         "$.ownership.edits[0].colour: unknown field"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        scenario s;
        json_err e;
        const char *over[] = {cases[i].set};
        if (scenario_load_text(base, strlen(base), "t.json", NULL, over, 1, &s, &e) == 0)
            test_fail(__FILE__, __LINE__, "case %zu (%s) accepted", i, cases[i].set);
        EXPECT_CONTAINS(e.msg, cases[i].want);
    }
    scenario s;
    json_err e;
    EXPECT_EQ_INT(scenario_load("/nonexistent/x.json", NULL, 0, &s, &e), -1);
    EXPECT_CONTAINS(e.msg, "/nonexistent/x.json: cannot open");
}

/* B-2 as a kit of 2 G-001 and 1 A-1. */
static const char *const kit_b2[] = {
    "catalog.skus[1].bom=[{\"sku\":\"G-001\",\"qty\":2},{\"sku\":\"A-1\",\"qty\":1}]"};

TEST(scenario, a_kit_is_its_bill_of_materials_and_holds_no_stock_of_its_own)
{
    scenario s;
    load_ok(&s, kit_b2, 1);
    EXPECT_EQ_INT(s.skus[1].n_bom, 2);
    EXPECT_EQ_INT(s.skus[1].bom[0].sku, 2); /* G-001, a generated SKU */
    EXPECT_EQ_INT(s.skus[1].bom[0].qty, 2);
    EXPECT_EQ_INT(s.skus[1].bom[1].sku, 0);
    EXPECT_EQ_INT(s.skus[1].bom[1].qty, 1);
    EXPECT_TRUE(s.skus[1].supplier == NULL);
    for (size_t k = 0; k < s.n_skus; k++)
        if (k != 1)
            EXPECT_EQ_INT(s.skus[k].n_bom, 0);
    /* The "*" rule of 100 passes over the kit; its components keep theirs. */
    EXPECT_EQ_INT(scenario_on_hand(&s, 1, 0), 0);
    EXPECT_EQ_INT(scenario_on_hand(&s, 1, 1), 0);
    EXPECT_EQ_INT(setup_initial_units(&s, 1), 0);
    EXPECT_EQ_INT(scenario_on_hand(&s, 0, 0), 100);
    EXPECT_EQ_INT(scenario_on_hand(&s, 2, 1), 5);
    scenario_free(&s);

    /* A stock rule that matches nothing but kits is a mistake. */
    json_err e;
    const char *only_kits[] = {kit_b2[0], "stock[1].sku=\"B-?\""};
    EXPECT_EQ_INT(scenario_load_text(base, strlen(base), "t.json", NULL, only_kits, 2, &s, &e), -1);
    EXPECT_CONTAINS(e.msg, "$.stock[1].sku: \"B-?\" matches only kits, which hold no stock of "
                           "their own");
    /* At most 100 components (the check comes before the SKUs are looked up). */
    sbuf b = SBUF_INIT;
    sbuf_puts(&b, "catalog.skus[1].bom=[");
    for (int i = 0; i < 101; i++)
        sbuf_printf(&b, "%s{\"sku\":\"G-001\",\"qty\":1}", i ? "," : "");
    sbuf_puts(&b, "]");
    const char *many[] = {sbuf_str(&b)};
    EXPECT_EQ_INT(scenario_load_text(base, strlen(base), "t.json", NULL, many, 1, &s, &e), -1);
    EXPECT_CONTAINS(e.msg, "$.catalog.skus[1].bom: expected 1 to 100 components, got 101");
    sbuf_free(&b);
}

/* The product of sku in a generated mock config's "products" (or a shop's). */
static const cJSON *product_of(const cJSON *products, const char *sku)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, products)
    {
        const cJSON *variant = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p, "variants"), 0);
        const char *name = cJSON_GetStringValue(
            cJSON_GetObjectItemCaseSensitive(variant ? variant : p, "sku"));
        if (name && strcmp(name, sku) == 0)
            return variant ? variant : p;
    }
    test_fail(__FILE__, __LINE__, "no product %s", sku);
}

TEST(scenario, setup_gives_mock_cin7_a_kit_to_assemble_and_each_shop_its_variant)
{
    scenario s;
    load_ok(&s, kit_b2, 1);
    cJSON *cfg = setup_cin7_config(&s);
    const cJSON *kit = product_of(cJSON_GetObjectItemCaseSensitive(cfg, "products"), "B-2");
    EXPECT_TRUE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(kit, "auto_assembly")));
    const cJSON *bom = cJSON_GetObjectItemCaseSensitive(kit, "bom");
    EXPECT_EQ_INT(cJSON_GetArraySize(bom), 2);
    EXPECT_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(bom, 0), "sku")),
                  "G-001");
    EXPECT_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(bom, 0), "qty")), 2);
    EXPECT_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(bom, 1), "sku")),
                  "A-1");
    EXPECT_TRUE(cJSON_GetObjectItemCaseSensitive(kit, "supplier") == NULL);
    /* A plain SKU stays plain. */
    const cJSON *a1 = product_of(cJSON_GetObjectItemCaseSensitive(cfg, "products"), "A-1");
    EXPECT_TRUE(cJSON_GetObjectItemCaseSensitive(a1, "bom") == NULL);
    EXPECT_TRUE(cJSON_GetObjectItemCaseSensitive(a1, "auto_assembly") == NULL);
    /* No stock row for the kit; its components have theirs. */
    const cJSON *row;
    int kit_rows = 0, g1_rows = 0;
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(cfg, "stock"))
    {
        const char *sku = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "sku"));
        kit_rows += strcmp(sku, "B-2") == 0;
        g1_rows += strcmp(sku, "G-001") == 0;
    }
    EXPECT_EQ_INT(kit_rows, 0);
    EXPECT_EQ_INT(g1_rows, 2);
    /* mock-cin7 reads it as a kit to assemble. */
    c7cfg *c = NULL;
    json_err e;
    if (c7config_parse(cfg, 0, &c, &e) != 0)
        test_fail(__FILE__, __LINE__, "mock-cin7 refuses the config: %s", e.msg);
    EXPECT_EQ_INT(c->products[1].n_bom, 2);
    EXPECT_EQ_STR(c->products[1].bom[0].sku, "G-001");
    EXPECT_EQ_INT(c->products[1].bom[0].qty, qty4_units(2));
    EXPECT_TRUE(c->products[1].auto_assembly);
    c7config_free(c);
    cJSON_Delete(cfg);
    /* Each shop offers the kit as one plain variant, as many as its
     * components make: Sydney 100 G-001 / 2 and 100 A-1 make 50, Perth 5
     * G-001 / 2 make 2 (whole kits only). */
    cfg = setup_shopify_config(&s);
    const cJSON *shop;
    int shops = 0;
    cJSON_ArrayForEach(shop, cJSON_GetObjectItemCaseSensitive(cfg, "shops"))
    {
        const cJSON *prods = cJSON_GetObjectItemCaseSensitive(shop, "products");
        EXPECT_EQ_INT(cJSON_GetArraySize(prods), 10);
        const cJSON *v = product_of(prods, "B-2");
        EXPECT_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(v, "available")), 52);
        EXPECT_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(product_of(prods, "G-001"),
                                                                            "available")),
                      105);
        shops++;
    }
    EXPECT_EQ_INT(shops, 2);
    EXPECT_EQ_INT(setup_offered_units(&s, 1), 52);
    cJSON_Delete(cfg);
    scenario_free(&s);
}

static const cJSON *sales_key(const cJSON *cfg, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cfg, "sales"), key);
}

TEST(scenario, fulfilment_becomes_mock_cin7s_sales_settings_under_the_mocks_own)
{
    /* Without the section mock-cin7 keeps its defaults: no sales object. */
    scenario s;
    load_ok(&s, NULL, 0);
    EXPECT_FALSE(s.fulfilment.given);
    cJSON *cfg = setup_cin7_config(&s);
    EXPECT_TRUE(cJSON_GetObjectItemCaseSensitive(cfg, "sales") == NULL);
    cJSON_Delete(cfg);
    scenario_free(&s);

    const char *over[] = {"fulfilment={\"split_share\":0.25,\"split_gap\":\"90m\","
                          "\"ship_allocated\":true,\"void_share\":0.1}"};
    load_ok(&s, over, 1);
    EXPECT_TRUE(s.fulfilment.given);
    EXPECT_NEAR(s.fulfilment.split_share, 0.25, 0);
    EXPECT_EQ_INT(s.fulfilment.split_gap_ms, 90 * 60000);
    EXPECT_TRUE(s.fulfilment.ship_allocated);
    EXPECT_NEAR(s.fulfilment.void_share, 0.1, 0);
    EXPECT_EQ_INT(s.fulfilment.void_after_ms, 20 * 60000); /* mock-cin7's default */
    cfg = setup_cin7_config(&s);
    EXPECT_NEAR(cJSON_GetNumberValue(sales_key(cfg, "split_share")), 0.25, 0);
    EXPECT_EQ_INT(cJSON_GetNumberValue(sales_key(cfg, "split_gap")), 90 * 60000);
    EXPECT_TRUE(cJSON_IsTrue(sales_key(cfg, "ship_allocated")));
    EXPECT_NEAR(cJSON_GetNumberValue(sales_key(cfg, "void_share")), 0.1, 0);
    EXPECT_EQ_INT(cJSON_GetNumberValue(sales_key(cfg, "void_after")), 20 * 60000);
    cJSON_Delete(cfg);
    scenario_free(&s);

    /* mocks.cin7 merges over what the section wrote. */
    const char *both[] = {"fulfilment={\"split_share\":0.25}",
                          "mocks={\"cin7\":{\"sales\":{\"split_share\":0.5,\"pick_after\":\"1m\"}}}"};
    load_ok(&s, both, 2);
    cfg = setup_cin7_config(&s);
    EXPECT_NEAR(cJSON_GetNumberValue(sales_key(cfg, "split_share")), 0.5, 0);
    EXPECT_EQ_STR(cJSON_GetStringValue(sales_key(cfg, "pick_after")), "1m");
    EXPECT_EQ_INT(cJSON_GetNumberValue(sales_key(cfg, "split_gap")), 2 * 3600000);
    cJSON_Delete(cfg);
    scenario_free(&s);
}

/* mock-cin7's first webhook delay for a stock change, as mock-cin7 itself
 * reads the config surge would start it with. */
static int64_t cin7_first_hook_ms(const scenario *s)
{
    cJSON *cfg = setup_cin7_config(s);
    c7cfg *c = NULL;
    json_err e;
    if (c7config_parse(cfg, 0, &c, &e) != 0)
        test_fail(__FILE__, __LINE__, "mock-cin7 refuses the config: %s", e.msg);
    int64_t ms = c->coalesce_ms > c->first_attempt_ms ? c->coalesce_ms : c->first_attempt_ms;
    c7config_free(c);
    cJSON_Delete(cfg);
    return ms;
}

TEST(scenario, misroute_grace_is_twice_mock_cin7s_first_webhook_delay_unless_set)
{
    /* The harness's idea of mock-cin7's defaults is mock-cin7's. */
    scenario s;
    load_ok(&s, NULL, 0);
    EXPECT_EQ_INT(s.misroute_grace_ms, 2 * 60000);
    EXPECT_EQ_INT(s.misroute_grace_ms, 2 * cin7_first_hook_ms(&s));
    scenario_free(&s);
    /* A slower first attempt or a longer coalescing window, in the
     * scenario's mock settings, lengthens it. */
    const char *slow[] = {"mocks={\"cin7\":{\"webhooks\":{\"first_attempt_after\":\"3m\"}}}"};
    load_ok(&s, slow, 1);
    EXPECT_EQ_INT(s.misroute_grace_ms, 6 * 60000);
    EXPECT_EQ_INT(s.misroute_grace_ms, 2 * cin7_first_hook_ms(&s));
    scenario_free(&s);
    const char *window[] = {"mocks={\"cin7\":{\"webhooks\":{\"coalesce_window\":\"5m\"}}}"};
    load_ok(&s, window, 1);
    EXPECT_EQ_INT(s.misroute_grace_ms, 10 * 60000);
    EXPECT_EQ_INT(s.misroute_grace_ms, 2 * cin7_first_hook_ms(&s));
    scenario_free(&s);
    /* The scenario's own setting wins. */
    const char *set[] = {"misroute_grace=\"45s\"", window[0]};
    load_ok(&s, set, 2);
    EXPECT_EQ_INT(s.misroute_grace_ms, 45000);
    scenario_free(&s);
}

/* A scenario file as shipped; the test fails when it does not load. */
static void load_file_ok(const char *path, scenario *s)
{
    json_err e;
    if (scenario_load(path, NULL, 0, s, &e) != 0)
        test_fail(__FILE__, __LINE__, "%s", e.msg);
}

TEST(scenario, every_shipped_scenario_loads)
{
    glob_t g;
    EXPECT_EQ_INT(glob("scenarios/*.json", 0, NULL, &g), 0);
    EXPECT_EQ_INT(glob("scenarios/chaos/*.json", GLOB_APPEND, NULL, &g), 0);
    EXPECT_EQ_INT(glob("examples/*/*.json", GLOB_APPEND, NULL, &g), 0);
    EXPECT_GE_INT(g.gl_pathc, 14);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        scenario s;
        load_file_ok(g.gl_pathv[i], &s);
        scenario_free(&s);
    }
    globfree(&g);
}

/* What every chaos scenario must hold whatever else it does: the six
 * gates at 0, and a safety buffer of at most 2 units per shop (a bigger
 * one must be argued in the description, and none is). */
TEST(scenario, chaos_scenarios_gate_on_the_six_losses_with_small_buffers)
{
    static const char *const six[] = {"oversell_units",  "dropped_events",    "duplicate_sales",
                                      "duplicate_pos",   "final_drift_units", "misrouted_units"};
    glob_t g;
    EXPECT_EQ_INT(glob("scenarios/chaos/*.json", 0, NULL, &g), 0);
    EXPECT_EQ_INT(g.gl_pathc, 8);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        scenario s;
        load_file_ok(g.gl_pathv[i], &s);
        for (size_t k = 0; k < sizeof six / sizeof six[0]; k++) {
            int found = 0;
            for (size_t j = 0; j < s.n_gates; j++)
                if (strcmp(s.gates[j].metric, six[k]) == 0 && !s.gates[j].is_min &&
                    s.gates[j].limit == 0)
                    found = 1;
            if (!found)
                test_fail(__FILE__, __LINE__, "%s: no gate %s <= 0", g.gl_pathv[i], six[k]);
        }
        int64_t *buffers = setup_shop_buffers(&s);
        for (size_t k = 0; k < s.n_shops; k++)
            if (buffers[k] > 2)
                test_fail(__FILE__, __LINE__, "%s: shop %zu keeps %lld back", g.gl_pathv[i], k,
                          (long long)buffers[k]);
        free(buffers);
        scenario_free(&s);
    }
    globfree(&g);
}

static char *dump(const scenario *s, uint64_t seed, size_t *count)
{
    demand *d = demand_new(s, seed);
    sbuf b = SBUF_INIT;
    demand_arrival a;
    size_t n = 0;
    int64_t last = -1;
    while (demand_next(d, &a)) {
        if (a.t < last)
            test_fail(__FILE__, __LINE__, "arrival %zu goes back in time", n);
        last = a.t;
        demand_csv(s, &a, &b);
        n++;
    }
    demand_free(d);
    *count = n;
    return sbuf_take(&b);
}

TEST(demand, same_seed_same_bytes)
{
    scenario s;
    load_ok(&s, NULL, 0);
    size_t n1, n2, n3;
    char *a = dump(&s, s.seed, &n1);
    char *b = dump(&s, s.seed, &n2);
    char *c = dump(&s, s.seed + 1, &n3);
    EXPECT_EQ_INT(n1, n2);
    EXPECT_EQ_STR(a, b);
    EXPECT_TRUE(strcmp(a, c) != 0);
    free(a);
    free(b);
    free(c);
    scenario_free(&s);
}

TEST(demand, spike_shape_and_hot_mix)
{
    scenario s;
    load_ok(&s, NULL, 0);
    demand *d = demand_new(&s, s.seed);
    demand_arrival a;
    long in_spike = 0, outside = 0, with_hot = 0, lines = 0, wholesale = 0, region0 = 0,
         shopify = 0;
    while (demand_next(d, &a)) {
        if (!a.shopify) {
            wholesale++;
            EXPECT_EQ_INT(a.warehouse, 0);
            continue;
        }
        shopify++;
        if (a.t >= 120000 && a.t < 180000)
            in_spike++;
        else
            outside++;
        region0 += a.region == 0;
        int has_hot = 0;
        for (int i = 0; i < a.n_lines; i++) {
            lines++;
            has_hot |= a.lines[i].sku == 0;
            EXPECT_GE_INT(a.lines[i].qty, 1);
            EXPECT_LE_INT(a.lines[i].qty, 6); /* two draws of 1..3 may merge */
        }
        EXPECT_LT_INT(a.shop, 2);
        with_hot += has_hot;
    }
    demand_free(d);
    /* 2/s for 9 minutes outside (about 1080), 40/s for one minute (about 2400). */
    EXPECT_NEAR(outside, 1080, 150);
    EXPECT_NEAR(in_spike, 2400, 250);
    /* A draw is the hot SKU with p = 0.9 + 0.1 * 0.1 = 0.91; half the orders
     * have one line, half two: 0.5 * 0.91 + 0.5 * (1 - 0.09^2) = 0.951. */
    EXPECT_NEAR((double)with_hot / (double)shopify, 0.951, 0.02);
    EXPECT_NEAR((double)lines / (double)shopify, 1.5 - 0.5 * 0.91 * 0.91, 0.05);
    EXPECT_NEAR((double)region0 / (double)shopify, 0.75, 0.04);
    EXPECT_EQ_INT(wholesale, 60); /* 0.1/s for 600 s, evenly spaced */
    scenario_free(&s);
}

TEST(demand, replay_csv_at_speed)
{
    char csv[512], json[2048];
    snprintf(csv, sizeof csv, "%s/orders.csv", test_tmp_dir());
    test_write_file(csv, "timestamp,shop,sku,qty,country,postcode\n"
                         "2026-11-20T10:00:00Z,b.myshopify.com,A-1,2,AU,2000\n"
                         "2026-11-20T10:00:10Z,,B-2,1,AU,6000\n"
                         "2026-11-20T10:01:00Z,a.myshopify.com,a-1,1,,\n");
    snprintf(json, sizeof json,
             "{\"name\":\"r\",\"duration\":\"1m\",\"catalog\":{\"skus\":[{\"sku\":\"A-1\",\"shopify_sku\":\"a-1\"},{\"sku\":\"B-2\"}]},"
             "\"warehouses\":[{\"name\":\"W\"}],\"shops\":[{\"domain\":\"a.myshopify.com\"},{\"domain\":\"b.myshopify.com\"}],"
             "\"demand\":[{\"shape\":\"replay\",\"replay\":{\"file\":\"%s\",\"speed\":10},"
             "\"regions\":[{\"country\":\"AU\",\"postcode\":\"2\"},{\"country\":\"AU\",\"postcode\":\"6\"}]}]}",
             csv);
    scenario s;
    json_err e;
    if (scenario_load_text(json, strlen(json), "r.json", NULL, NULL, 0, &s, &e))
        test_fail(__FILE__, __LINE__, "%s", e.msg);
    demand *d = demand_new(&s, 1);
    demand_arrival a;
    EXPECT_TRUE(demand_next(d, &a));
    EXPECT_EQ_INT(a.t, 0);
    EXPECT_EQ_INT(a.shop, 1);
    EXPECT_EQ_INT(a.lines[0].qty, 2);
    EXPECT_EQ_INT(a.region, 0);
    EXPECT_TRUE(demand_next(d, &a));
    EXPECT_EQ_INT(a.t, 1000); /* 10 s of history at 10x */
    EXPECT_EQ_INT(a.lines[0].sku, 1);
    EXPECT_EQ_INT(a.region, 1);
    EXPECT_TRUE(demand_next(d, &a));
    EXPECT_EQ_INT(a.t, 6000);
    EXPECT_EQ_INT(a.lines[0].sku, 0); /* found by its Shopify SKU */
    EXPECT_FALSE(demand_next(d, &a));
    demand_free(d);
    scenario_free(&s);

    test_write_file(csv, "timestamp,sku\nyesterday,A-1\n");
    EXPECT_EQ_INT(scenario_load_text(json, strlen(json), "r.json", NULL, NULL, 0, &s, &e), -1);
    EXPECT_CONTAINS(e.msg, "orders.csv:2: column 1 (\"timestamp\"): \"yesterday\" is not a time");
}

TEST(scenario, crashes_repeat_every_and_go_round_robin_over_instances)
{
    /* From 1m every 2m while before the 10m end: 1, 3, 5, 7, 9 minutes;
     * plus one at 4m for instance 1. Unnamed ones take the instances in
     * turn, in time order. */
    const char *over[] = {"engine={\"instances\":3,\"store\":\"postgres\"}",
                          "crashes=[{\"at\":\"1m\",\"every\":\"2m\",\"restart_after\":\"20s\"},"
                          "{\"at\":\"4m\",\"instance\":1}]"};
    scenario s;
    load_ok(&s, over, 2);
    EXPECT_EQ_INT(s.instances, 3);
    EXPECT_TRUE(s.store_postgres);
    static const struct {
        int64_t at;
        int instance;
        int64_t restart_after;
    } want[] = {{60000, 0, 20000},  {180000, 1, 20000}, {240000, 0, 5000},
                {300000, 2, 20000}, {420000, 0, 20000}, {540000, 1, 20000}};
    EXPECT_EQ_INT(s.n_crashes, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < s.n_crashes && i < sizeof want / sizeof want[0]; i++) {
        EXPECT_EQ_INT(s.crashes[i].at, want[i].at);
        EXPECT_EQ_INT(s.crashes[i].instance, want[i].instance);
        EXPECT_EQ_INT(s.crashes[i].restart_after, want[i].restart_after);
    }
    scenario_free(&s);
    /* The defaults: one instance on SQLite. */
    load_ok(&s, NULL, 0);
    EXPECT_EQ_INT(s.instances, 1);
    EXPECT_FALSE(s.store_postgres);
    EXPECT_EQ_INT(s.crashes[0].instance, 0);
    scenario_free(&s);
}

/* Shopify owns price and title, Cin7 cost and weight; a merchandising
 * stream at Shopify and a purchasing one at Cin7 (A-1 has a supplier,
 * B-2 none), one minute long from 1m. */
static const char *const owned[] = {
    "ownership={\"fields\":{\"price\":\"shopify\",\"title\":\"shopify\",\"cost\":\"cin7\","
    "\"weight\":\"cin7\"},\"edits\":[{\"name\":\"merch\",\"side\":\"shopify\","
    "\"fields\":[\"price\",\"title\"],\"rate\":0.5},{\"side\":\"cin7\",\"fields\":[\"cost\","
    "\"weight\"],\"rate\":0.5,\"skus\":[\"A-*\",\"B-*\"],\"window\":{\"at\":\"1m\",\"for\":\"1m\"}}]}"};

TEST(scenario, ownership_edits_are_seeded_poisson_within_their_windows)
{
    scenario s;
    load_ok(&s, owned, 1);
    EXPECT_TRUE(s.ownership.given);
    EXPECT_EQ_INT(s.ownership.owner[SC_FIELD_PRICE], SC_OWNER_SHOPIFY);
    EXPECT_EQ_INT(s.ownership.owner[SC_FIELD_COST], SC_OWNER_CIN7);
    EXPECT_EQ_INT(s.ownership.owner[SC_FIELD_STATUS], SC_OWNER_NONE);
    EXPECT_EQ_INT(s.ownership.n_edits, 2);
    EXPECT_EQ_STR(s.ownership.edits[1].name, "edits-2");
    EXPECT_EQ_INT(s.ownership.edits[1].n_skus, 2);
    edit_plan a, b;
    edits_plan(&s, &a);
    edits_plan(&s, &b);
    /* About 0.5/s for 10 minutes and for 1 minute. */
    EXPECT_TRUE(a.n > 250 && a.n < 400);
    EXPECT_EQ_INT(a.n, b.n);
    EXPECT_TRUE(memcmp(a.e, b.e, a.n * sizeof *a.e) == 0);
    size_t at_cin7 = 0;
    for (size_t i = 0; i < a.n; i++) {
        const edit *e = &a.e[i];
        EXPECT_TRUE(i == 0 || a.e[i - 1].t <= e->t);
        EXPECT_TRUE(e->t >= 0 && e->t < s.duration_ms);
        if (e->side == SC_OWNER_CIN7) {
            at_cin7++;
            EXPECT_TRUE(e->t >= 60000 && e->t < 120000);
            EXPECT_EQ_INT(e->shop, -1);
            /* Cost at Cin7 is the supplier's: only A-1 has one. */
            EXPECT_TRUE(e->field == SC_FIELD_WEIGHT || (e->field == SC_FIELD_COST && e->sku == 0));
            EXPECT_TRUE(e->sku <= 1);
        } else {
            EXPECT_TRUE(e->field == SC_FIELD_PRICE || e->field == SC_FIELD_TITLE);
            EXPECT_TRUE(e->shop == 0 || e->shop == 1);
        }
        EXPECT_TRUE(e->value > 0);
    }
    EXPECT_TRUE(at_cin7 > 10 && at_cin7 < 60);
    /* Another seed, other edits. */
    s.seed = 8;
    edits_plan_free(&b);
    edits_plan(&s, &b);
    EXPECT_TRUE(b.n != a.n || memcmp(a.e, b.e, a.n * sizeof *a.e) != 0);
    edits_plan_free(&a);
    edits_plan_free(&b);
    scenario_free(&s);
}

/* The first edit of a field in the plan, or NULL. */
static const edit *first_edit(const edit_plan *p, sc_field f)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->e[i].field == f)
            return &p->e[i];
    return NULL;
}

TEST(scenario, ownership_edits_use_each_sides_field_names_and_move_values_as_documented)
{
    scenario s;
    load_ok(&s, owned, 1);
    edit_plan p;
    edits_plan(&s, &p);
    const edit *price = first_edit(&p, SC_FIELD_PRICE), *cost = first_edit(&p, SC_FIELD_COST),
               *weight = first_edit(&p, SC_FIELD_WEIGHT), *title = first_edit(&p, SC_FIELD_TITLE);
    EXPECT_TRUE(price && cost && weight && title);
    /* Price from the scenario's (A-1 10, others 25) by 5-20%, in cents. */
    int64_t was = price->sku == 0 ? 1000 : 2500;
    EXPECT_TRUE(llabs(price->value - was) >= was / 20 && llabs(price->value - was) <= was / 5 + 1);
    EXPECT_TRUE(weight->value >= 450 && weight->value <= 550 && weight->value != 500);
    EXPECT_EQ_INT(title->value, 1);
    cJSON *b = edits_body(&s, price);
    char *txt = cJSON_PrintUnformatted(b);
    char want[200];
    snprintf(want, sizeof want, "{\"shop\":\"%s\",\"sku\":\"%s\",\"fields\":{\"price\":\"%lld.%02lld\"}}",
             s.shops[price->shop].domain, s.skus[price->sku].sku, (long long)(price->value / 100),
             (long long)(price->value % 100));
    EXPECT_EQ_STR(txt, want);
    free(txt);
    cJSON_Delete(b);
    b = edits_body(&s, weight);
    txt = cJSON_PrintUnformatted(b);
    snprintf(want, sizeof want, "{\"sku\":\"%s\",\"fields\":{\"Weight\":%lld,\"WeightUnits\":\"g\"}}",
             s.skus[weight->sku].sku, (long long)weight->value);
    EXPECT_EQ_STR(txt, want);
    free(txt);
    cJSON_Delete(b);
    b = edits_body(&s, cost);
    EXPECT_TRUE(cJSON_IsNumber(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "fields"), "SupplierCost")));
    cJSON_Delete(b);
    b = edits_body(&s, title);
    snprintf(want, sizeof want, "%s v1", s.skus[title->sku].sku);
    EXPECT_EQ_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "fields"), "title")->valuestring, want);
    cJSON_Delete(b);
    edits_plan_free(&p);
    scenario_free(&s);
}

TEST(scenario, ownership_makes_both_mocks_agree_and_tells_syncd_the_owners)
{
    scenario s;
    load_ok(&s, NULL, 0);
    cJSON *sy = setup_syncd_config(&s, "http://c/", "http://s", "db", 1, 0);
    EXPECT_TRUE(cJSON_GetObjectItem(sy, "ownership") == NULL); /* syncd refuses keys it lacks */
    cJSON_Delete(sy);
    cJSON *seeds = setup_cost_seeds(&s);
    EXPECT_EQ_INT(cJSON_GetArraySize(seeds), 0);
    cJSON_Delete(seeds);
    scenario_free(&s);

    load_ok(&s, owned, 1);
    sy = setup_syncd_config(&s, "http://c/", "http://s", "db", 1, 0);
    char *txt = cJSON_PrintUnformatted(cJSON_GetObjectItem(sy, "ownership"));
    EXPECT_EQ_STR(txt, "{\"fields\":{\"price\":\"shopify\",\"title\":\"shopify\",\"cost\":\"cin7\","
                       "\"weight\":\"cin7\"}}");
    free(txt);
    cJSON_Delete(sy);
    cJSON *c7 = setup_cin7_config(&s), *sh = setup_shopify_config(&s);
    const cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItem(c7, "products"), 0);
    EXPECT_NEAR(cJSON_GetObjectItem(p, "price")->valuedouble, 10, 1e-9);
    EXPECT_NEAR(cJSON_GetObjectItem(p, "cost")->valuedouble, 5, 1e-9);
    EXPECT_NEAR(cJSON_GetObjectItem(p, "weight")->valuedouble, SETUP_WEIGHT_GRAMS, 0);
    EXPECT_EQ_STR(cJSON_GetObjectItem(p, "weight_units")->valuestring, "g");
    const cJSON *v = cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(
                                cJSON_GetArrayItem(cJSON_GetObjectItem(sh, "shops"), 1), "products"), 0),
                            "variants"),
        0);
    EXPECT_EQ_STR(cJSON_GetObjectItem(v, "price")->valuestring, "10.00");
    EXPECT_NEAR(cJSON_GetObjectItem(v, "grams")->valuedouble, SETUP_WEIGHT_GRAMS, 0);
    cJSON_Delete(c7);
    cJSON_Delete(sh);
    /* Shopify's costs come through /_mock/product_edit: one per shop and SKU. */
    seeds = setup_cost_seeds(&s);
    EXPECT_EQ_INT(cJSON_GetArraySize(seeds), 2 * 10);
    txt = cJSON_PrintUnformatted(cJSON_GetArrayItem(seeds, 11));
    EXPECT_EQ_STR(txt, "{\"shop\":\"b.myshopify.com\",\"sku\":\"B-2\",\"fields\":{\"cost\":\"12.50\"}}");
    free(txt);
    cJSON_Delete(seeds);
    scenario_free(&s);
}
