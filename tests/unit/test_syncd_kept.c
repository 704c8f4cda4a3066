/* What syncd keeps in its store for a later start (the catalog's sources,
 * the stock figures of its last full read) and the record of a level
 * write in flight: each read back as written, and a copy that is not one
 * refused naming the JSON path, changing nothing. */
#include "../runner.h"

#include "catalog.h"
#include "cin7.h"
#include "config.h"
#include "json.h"
#include "levelintent.h"
#include "mem.h"
#include "stockcache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TEST(syncd_kept, stock_figures_round_trip)
{
    stockcache *a = stockcache_new();
    stock_figures f1 = {10, 2, 8, 5, 1, 1000}, f2 = {3, 3, 0, 0, 0, 1200};
    stockcache_put(a, "SKU\twith tab", "Main", &f1);
    stockcache_put(a, "B-2", "Perth", &f2);
    stockcache_set_full_read(a, 900);
    char *text = stockcache_export(a);

    stockcache *b = stockcache_new();
    char why[200] = "";
    EXPECT_EQ_INT(stockcache_import(b, text, why, sizeof why), 0);
    EXPECT_EQ_INT(stockcache_full_read_at(b), 900);
    stock_figures got;
    EXPECT_TRUE(stockcache_get(b, "SKU\twith tab", "Main", &got));
    EXPECT_EQ_INT(got.on_hand, 10);
    EXPECT_EQ_INT(got.allocated, 2);
    EXPECT_EQ_INT(got.available, 8);
    EXPECT_EQ_INT(got.on_order, 5);
    EXPECT_EQ_INT(got.in_transit, 1);
    EXPECT_EQ_INT(got.as_of, 1000);
    EXPECT_TRUE(stockcache_get(b, "B-2", "Perth", &got));
    EXPECT_EQ_INT(got.as_of, 1200);
    EXPECT_EQ_INT(got.available, 0);

    /* Figures newer than the kept ones stay. */
    stock_figures newer = {50, 0, 50, 0, 0, 5000};
    stockcache_put(b, "B-2", "Perth", &newer);
    EXPECT_EQ_INT(stockcache_import(b, text, why, sizeof why), 0);
    stockcache_get(b, "B-2", "Perth", &got);
    EXPECT_EQ_INT(got.available, 50);
    free(text);
    stockcache_free(a);
    stockcache_free(b);
}

TEST(syncd_kept, a_bad_stock_copy_changes_nothing)
{
    static const struct {
        const char *text, *why;
    } cases[] = {
        {"not json", "line 1"},
        {"{\"rows\":[]}", "$.full_read_at"},
        {"{\"full_read_at\":5,\"rows\":{}}", "$.rows"},
        {"{\"full_read_at\":5,\"rows\":[{\"sku\":\"A\",\"location\":\"M\",\"figures\":[1,2,3,4,5,6]},"
         "{\"sku\":\"B\",\"location\":\"M\",\"figures\":[1,2,3]}]}",
         "$.rows[1].figures"},
        {"{\"full_read_at\":5,\"rows\":[{\"sku\":\"A\",\"figures\":[1,2,3,4,5,6]}]}",
         "$.rows[0].location"},
        {"{\"full_read_at\":5,\"rows\":[{\"sku\":\"A\",\"location\":\"M\",\"figures\":[1,2,3,4,5,1.5]}]}",
         "$.rows[0].figures"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        stockcache *c = stockcache_new();
        char why[300] = "";
        EXPECT_EQ_INT(stockcache_import(c, cases[i].text, why, sizeof why), -1);
        EXPECT_CONTAINS(why, cases[i].why);
        stock_figures got;
        EXPECT_FALSE(stockcache_get(c, "A", "M", &got));
        EXPECT_EQ_INT(stockcache_full_read_at(c), 0);
        stockcache_free(c);
    }
}

TEST(syncd_kept, level_write_record_round_trip)
{
    shopify_set sets[2] = {{47001, 61001, 12, 15}, {47002, 61001, 0, -1}};
    const char *skus[2] = {"A-1", "B \"2\""};
    char *text = levelintent_json("syncd-shop-1-7", sets, skus, 2);
    levelintent li;
    char why[200] = "";
    EXPECT_EQ_INT(levelintent_parse(text, &li, why, sizeof why), 0);
    EXPECT_EQ_STR(li.idem, "syncd-shop-1-7");
    EXPECT_EQ_INT((int64_t)li.n, 2);
    EXPECT_EQ_INT(li.sets[0].item, 47001);
    EXPECT_EQ_INT(li.sets[0].location, 61001);
    EXPECT_EQ_INT(li.sets[0].quantity, 12);
    EXPECT_EQ_INT(li.sets[0].change_from, 15);
    EXPECT_EQ_INT(li.sets[1].change_from, -1);
    EXPECT_EQ_STR(li.skus[1], "B \"2\"");
    levelintent_free(&li);
    levelintent_free(&li); /* emptied: harmless */
    free(text);

    EXPECT_EQ_INT(levelintent_parse("{\"idem\":\"k\",\"sets\":[{\"sku\":\"A\",\"item\":0,"
                                    "\"location\":1,\"quantity\":1,\"change_from\":1}]}",
                                    &li, why, sizeof why),
                  -1);
    EXPECT_CONTAINS(why, "$.sets[0].item");
    EXPECT_EQ_INT(levelintent_parse("{\"sets\":[]}", &li, why, sizeof why), -1);
    EXPECT_CONTAINS(why, "$.idem");
}

/* The demo configuration: shop demo.myshopify.com, location Main
 * Warehouse, SKUs mapped to themselves. */
static void demo(syncd_config *c)
{
    json_err e;
    if (config_load(NULL, NULL, 0, c, &e) != 0)
        test_fail(__FILE__, __LINE__, "demo config: %s", e.msg);
}

TEST(syncd_kept, a_catalog_from_kept_sources)
{
    syncd_config cfg;
    demo(&cfg);
    const char *text =
        "{\"products\":[{\"sku\":\"A-1\",\"id\":\"p1\",\"name\":\"Alpha\"},"
        "{\"sku\":\"B-2\",\"id\":\"p2\",\"name\":\"Beta\"}],"
        "\"shops\":[{\"domain\":\"other.myshopify.com\",\"variants\":[],\"locations\":[]},"
        "{\"domain\":\"demo.myshopify.com\",\"variants\":["
        "{\"sku\":\"A-1\",\"variant_id\":11,\"item\":4701},"
        "{\"sku\":\"Z-9\",\"variant_id\":19,\"item\":4709}],\"locations\":[6101,6102]}]}";
    char why[300] = "";
    catalog *c = catalog_from_sources(&cfg, text, why, sizeof why);
    EXPECT_TRUE(c != NULL);
    if (c) {
        EXPECT_EQ_STR(catalog_cin7_sku(c, "A-1"), "A-1");
        EXPECT_TRUE(catalog_cin7_sku(c, "Z-9") == NULL); /* Cin7 has no Z-9 */
        EXPECT_EQ_STR(catalog_product(c, "B-2")->name, "Beta");
        EXPECT_EQ_INT(catalog_item(c, 0, "A-1"), 4701);
        EXPECT_EQ_STR(catalog_sku_of_item(c, 0, 4701), "A-1");
        size_t n = 0;
        const catalog_location *locs = catalog_locations(c, 0, &n);
        EXPECT_EQ_INT((int64_t)n, 1);
        EXPECT_EQ_INT(locs[0].id, 6101);
        EXPECT_EQ_STR(locs[0].cin7[0], "Main Warehouse");
        /* Its own sources build the same catalog again. */
        catalog *again = catalog_from_sources(&cfg, catalog_sources(c), why, sizeof why);
        EXPECT_TRUE(again && catalog_item(again, 0, "A-1") == 4701);
        catalog_free(again);
        catalog_free(c);
    }
    config_free(&cfg);
}

TEST(syncd_kept, kept_sources_that_do_not_fit_are_refused)
{
    syncd_config cfg;
    demo(&cfg);
    static const struct {
        const char *text, *why;
    } cases[] = {
        {"[]", "$"},
        {"{\"products\":[],\"shops\":[]}", "no shop demo.myshopify.com"},
        {"{\"products\":[{\"sku\":\"A\",\"id\":\"p\"}],\"shops\":[]}", "$.products[0].name"},
        {"{\"products\":[],\"shops\":[{\"domain\":\"demo.myshopify.com\",\"variants\":"
         "[{\"sku\":\"A\",\"variant_id\":1,\"item\":\"x\"}],\"locations\":[]}]}",
         "$.shops[0].variants[0].item"},
        {"{\"products\":[],\"shops\":[{\"domain\":\"demo.myshopify.com\",\"variants\":[],"
         "\"locations\":[-4]}]}",
         "$.shops[0].locations[0]"},
        {"{\"products\":[{\"sku\":\"K\",\"id\":\"p\",\"name\":\"K\",\"bom\":[{\"sku\":\"A\","
         "\"need\":-1}]}],\"shops\":[]}",
         "$.products[0].bom[0].need"},
        {"{\"products\":[{\"sku\":\"K\",\"id\":\"p\",\"name\":\"K\",\"bom\":{}}],\"shops\":[]}",
         "$.products[0].bom"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char why[300] = "";
        catalog *c = catalog_from_sources(&cfg, cases[i].text, why, sizeof why);
        EXPECT_TRUE(c == NULL);
        catalog_free(c);
        EXPECT_CONTAINS(why, cases[i].why);
    }
    config_free(&cfg);
}

/* A kit (an auto-assembled product) as GET product with IncludeBOM gives
 * it: its components and the units one takes, with wastage; kept in the
 * sources and read back; a kit no shop sells is none of syncd's. */
TEST(syncd_kept, kits_from_cin7s_products_and_from_kept_sources)
{
    json_err e = {{0}};
    const char *page_text =
        "{\"Total\":4,\"Page\":1,\"Products\":["
        "{\"ID\":\"p1\",\"SKU\":\"A-1\",\"Name\":\"Mug\",\"BillOfMaterial\":false,"
        "\"AutoAssembly\":false},"
        "{\"ID\":\"p2\",\"SKU\":\"BOX\",\"Name\":\"Box\",\"BillOfMaterial\":true,"
        "\"AutoAssembly\":true,\"BillOfMaterialsProducts\":["
        "{\"ProductCode\":\"A-1\",\"Quantity\":2,\"WastagePercent\":0,\"WastageQuantity\":0},"
        "{\"ProductCode\":\"B-2\",\"Quantity\":1,\"WastagePercent\":10,\"WastageQuantity\":0}]},"
        "{\"ID\":\"p3\",\"SKU\":\"HAND\",\"Name\":\"Assembled by hand\",\"BillOfMaterial\":true,"
        "\"AutoAssembly\":false,\"BillOfMaterialsProducts\":[{\"ProductCode\":\"A-1\",\"Quantity\":1}]},"
        "{\"ID\":\"p4\",\"SKU\":\"ODD\",\"Name\":\"Odd\",\"BillOfMaterial\":true,"
        "\"AutoAssembly\":true,\"BillOfMaterialsProducts\":[{\"ProductCode\":\"A-1\","
        "\"Quantity\":\"two\"},{\"Quantity\":1}]}]}";
    cJSON *page = json_parse(page_text, strlen(page_text), &e);
    EXPECT_TRUE(page != NULL);
    cin7_product *prods = NULL;
    size_t n = 0;
    const cJSON *const pages[] = {page};
    cin7_products_read(pages, 1, &prods, &n);
    cJSON_Delete(page);
    EXPECT_EQ_INT((int64_t)n, 4);
    if (n != 4) {
        cin7_products_free(prods, n);
        return;
    }
    /* Sorted by SKU: A-1, BOX, HAND, ODD. */
    EXPECT_EQ_INT(prods[0].auto_assembly, 0);
    EXPECT_EQ_INT(prods[1].auto_assembly, 1);
    EXPECT_EQ_INT((int64_t)prods[1].n_bom, 2);
    EXPECT_EQ_STR(prods[1].bom[0].sku, "A-1");
    EXPECT_EQ_INT(prods[1].bom[0].need, 20000);
    EXPECT_EQ_STR(prods[1].bom[1].sku, "B-2");
    EXPECT_EQ_INT(prods[1].bom[1].need, 11000);
    EXPECT_EQ_INT(prods[2].auto_assembly, 0); /* Cin7 keeps its own stock */
    EXPECT_EQ_INT(prods[2].n_bom, 0);
    /* A line that is no number or names no product takes nothing, so the
     * kit makes no level (kit_level). */
    EXPECT_EQ_INT((int64_t)prods[3].n_bom, 2);
    EXPECT_EQ_INT(prods[3].bom[0].need, 0);
    EXPECT_EQ_STR(prods[3].bom[1].sku, "");
    EXPECT_EQ_INT(prods[3].bom[1].need, 0);
    cin7_products_free(prods, n);

    syncd_config cfg;
    demo(&cfg);
    const char *text =
        "{\"products\":[{\"sku\":\"A-1\",\"id\":\"p1\",\"name\":\"Mug\"},"
        "{\"sku\":\"BOX\",\"id\":\"p2\",\"name\":\"Box\",\"bom\":[{\"sku\":\"A-1\","
        "\"need\":20000},{\"sku\":\"B-2\",\"need\":11000}]},"
        "{\"sku\":\"CASE\",\"id\":\"p5\",\"name\":\"Case\",\"bom\":[{\"sku\":\"A-1\","
        "\"need\":60000}]}],"
        "\"shops\":[{\"domain\":\"demo.myshopify.com\",\"variants\":["
        "{\"sku\":\"A-1\",\"variant_id\":11,\"item\":4701},"
        "{\"sku\":\"BOX\",\"variant_id\":12,\"item\":4702}],\"locations\":[6101]}]}";
    char why[300] = "";
    catalog *c = catalog_from_sources(&cfg, text, why, sizeof why);
    EXPECT_TRUE(c != NULL);
    for (int round = 0; c && round < 2; round++) {
        size_t nk = 0;
        const kit *kits = catalog_kits(c, &nk);
        EXPECT_EQ_INT((int64_t)nk, 1); /* CASE is sold in no shop */
        EXPECT_EQ_STR(kits[0].sku, "BOX");
        const kit *box = catalog_kit(c, "BOX");
        EXPECT_TRUE(box == &kits[0]);
        EXPECT_EQ_INT((int64_t)box->n, 2);
        EXPECT_EQ_STR(box->parts[1].sku, "B-2");
        EXPECT_EQ_INT(box->parts[1].need, 11000);
        EXPECT_TRUE(catalog_kit(c, "A-1") == NULL);
        EXPECT_TRUE(catalog_kit(c, "CASE") == NULL);
        /* Its own sources build the same kits again. */
        catalog *again = catalog_from_sources(&cfg, catalog_sources(c), why, sizeof why);
        catalog_free(c);
        c = again;
    }
    catalog_free(c);
    config_free(&cfg);
}

/* Routing records, as instances sharing a store keep them: what one
 * routed counts against the location at another that takes its export;
 * a record a figure already shows is dropped on the way in; an export
 * replaces the taker's own records; a copy that is not one changes
 * nothing. */
TEST(syncd_kept, routing_records_round_trip)
{
    stockcache *a = stockcache_new(), *b = stockcache_new();
    stock_figures f = {10, 0, 10, 0, 0, 1000};
    stockcache_put(a, "A-1", "Main", &f);
    stockcache_put(b, "A-1", "Main", &f);
    stockcache_routed(a, "sale:1", "A-1", "Main", 3);
    stockcache_routed(a, "sale:2", "A-1", "Main", 2);
    stockcache_pushed(a, "sale:2", 500); /* before the figures: they show it */
    stockcache_routed(b, "sale:9", "A-1", "Main", 4); /* b's own, replaced */
    char *text = stockcache_routes_export(a);
    EXPECT_EQ_INT(stockcache_routes_import(b, text), 0);
    EXPECT_EQ_INT(stockcache_routable(b, "A-1", "Main"), 7);
    free(text);

    /* Pushed after the figures were read: still counted until a read
     * taken after it. */
    stockcache_pushed(a, "sale:1", 1500);
    text = stockcache_routes_export(a);
    EXPECT_EQ_INT(stockcache_routes_import(b, text), 0);
    EXPECT_EQ_INT(stockcache_routable(b, "A-1", "Main"), 7);
    stock_figures later = {7, 0, 7, 0, 0, 2000};
    stockcache_put(b, "A-1", "Main", &later);
    EXPECT_EQ_INT(stockcache_routes_import(b, text), 0);
    EXPECT_EQ_INT(stockcache_routable(b, "A-1", "Main"), 7);
    free(text);

    static const char *const bad[] = {"not json", "{}", "[[\"k\",\"A-1\",\"Main\",\"x\",null]]",
                                      "[[\"k\",\"A-1\",\"Main\",1]]", "[[1,\"A-1\",\"Main\",1,null]]"};
    stockcache_routed(b, "sale:5", "A-1", "Main", 1);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        EXPECT_EQ_INT(stockcache_routes_import(b, bad[i]), -1);
        EXPECT_EQ_INT(stockcache_routable(b, "A-1", "Main"), 6);
    }
    stockcache_free(a);
    stockcache_free(b);
}
