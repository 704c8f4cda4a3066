/* Product data ownership through the whole of syncd: merchandising owns
 * prices in Shopify, purchasing owns costs in Cin7. A price edited in
 * Shopify's admin reaches Cin7; a cost edited in Cin7 reaches Shopify; a
 * price edited in Cin7 by mistake is put back to Shopify's; checkouts
 * (stock changes, each of which fires products/update) write no product
 * data anywhere. products/update brings a pass forward; when both sides
 * moved the owner wins; a product of several variants keeps its title out
 * of it. */
#include "test_syncd.h"

#include "json.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OWN_CONFIG                                                                                 \
    "{\"ownership\":{\"fields\":{\"price\":\"shopify\",\"compare_at_price\":\"shopify\","          \
    "\"title\":\"shopify\",\"cost\":\"cin7\",\"barcode\":\"cin7\",\"weight\":\"cin7\","            \
    "\"status\":\"cin7\"},\"poll_interval\":\"1m\"},\"replenishment\":{\"enabled\":false}}"

/* Two one-variant products that agree on every field but cost, which
 * Shopify's items do not have yet (Cin7 owns it: the first pass carries
 * it). */
static void start_own_with(sdt_world *w, const char *overrides)
{
    sdt_start_world_take(
        w,
        sdt_cin7_config("[{\"name\":\"Main\"}]",
                        "[{\"sku\":\"A-1\",\"price\":10,\"cost\":4},"
                        "{\"sku\":\"A-2\",\"price\":20,\"cost\":8}]",
                        "[{\"sku\":\"A-1\",\"location\":\"Main\",\"on_hand\":100},"
                        "{\"sku\":\"A-2\",\"location\":\"Main\",\"on_hand\":100}]"),
        sdt_shop_config("[{\"title\":\"A-1\",\"variants\":[{\"sku\":\"A-1\",\"price\":\"10.00\","
                        "\"available\":100}]},"
                        "{\"title\":\"A-2\",\"variants\":[{\"sku\":\"A-2\",\"price\":\"20.00\","
                        "\"available\":100}]}]",
                        ""),
        "[{\"name\":\"Main\"}]", overrides);
}

static void start_own(sdt_world *w)
{
    start_own_with(w, OWN_CONFIG);
}

/* sku's entry in a state's list (Cin7's "products", Shopify's first
 * shop's "catalog"). */
static const cJSON *entry_of(const cJSON *list, const char *sku)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(e, "sku");
        if (cJSON_IsString(s) && strcmp(s->valuestring, sku) == 0)
            return e;
    }
    return NULL;
}

/* sku's entry in a state: Cin7's "products" or the first shop's
 * "catalog". */
static const cJSON *state_entry(const cJSON *st, int shop, const char *sku)
{
    if (!shop)
        return entry_of(cJSON_GetObjectItemCaseSensitive(st, "products"), sku);
    const cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, "shops"), 0);
    return entry_of(cJSON_GetObjectItemCaseSensitive(s0, "catalog"), sku);
}

/* Cin7's number key of sku (-1 when absent). */
static double cin7_field(const sdt_world *w, const char *sku, const char *key)
{
    cJSON *st = sdt_cin7_state(w);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(state_entry(st, 0, sku), key);
    double d = cJSON_IsNumber(v) ? v->valuedouble : -1;
    cJSON_Delete(st);
    return d;
}

/* The string key of sku in Cin7's state (shop 0) or Shopify's (shop 1),
 * into out ("null" when null or absent). */
static const char *state_text(const sdt_world *w, int shop, const char *sku, const char *key,
                              char *out, size_t n)
{
    cJSON *st = shop ? sdt_shop_state(w) : sdt_cin7_state(w);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(state_entry(st, shop, sku), key);
    snprintf(out, n, "%s", cJSON_IsString(v) ? v->valuestring : "null");
    cJSON_Delete(st);
    return out;
}

static const char *shop_field(const sdt_world *w, const char *sku, const char *key, char *out,
                              size_t n)
{
    return state_text(w, 1, sku, key, out, n);
}

static const char *cin7_text(const sdt_world *w, const char *sku, const char *key, char *out,
                             size_t n)
{
    return state_text(w, 0, sku, key, out, n);
}

typedef struct {
    const sdt_world *w;
    const char *sku, *key;
    double num;       /* Cin7: the number wanted */
    const char *text; /* Shopify: the string wanted */
} field_wait;

static int cin7_is(void *ud)
{
    const field_wait *f = ud;
    double v = cin7_field(f->w, f->sku, f->key);
    return v > f->num - 1e-6 && v < f->num + 1e-6;
}

static int shop_is(void *ud)
{
    const field_wait *f = ud;
    char buf[64];
    return strcmp(shop_field(f->w, f->sku, f->key, buf, sizeof buf), f->text) == 0;
}

/* product_updated entries written through the APIs (an application's or
 * an app's), in both mocks' journals. */
static int api_product_writes(const sdt_world *w)
{
    cJSON *c7 = e2e_journal(&w->cin7), *sh = e2e_journal(&w->shop);
    int n = sdt_count_kind(c7, "product_updated", "application", "") +
            sdt_count_kind(sh, "product_updated", "by", "");
    cJSON_Delete(c7);
    cJSON_Delete(sh);
    return n;
}

static void edit(const e2e_server *s, const char *body)
{
    cJSON_Delete(e2e_expect(s, "POST", "/_mock/product_edit", NULL, body, 200, 1));
}

TEST_T(syncd_own, owners_edits_are_carried_others_reverted_stock_writes_nothing, 240)
{
    sdt_world w;
    start_own(&w);
    char buf[64];

    /* The first pass carries Cin7's costs to Shopify's items, and only
     * them: the other fields agree. */
    field_wait f = {&w, "A-1", "cost", 0, "4.00"};
    EXPECT_TRUE(e2e_wait(shop_is, &f, 30000));
    f.sku = "A-2";
    f.text = "8.00";
    EXPECT_TRUE(e2e_wait(shop_is, &f, 30000));
    EXPECT_TRUE(sdt_wait_metric(&w, "syncd_product_passes_total", 2, 30000));
    int base = api_product_writes(&w);
    EXPECT_EQ_INT(base, 2);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_product_fields_carried_total"), 2);

    /* Checkouts move stock, and every stock change fires products/update:
     * none of it writes product data (the owned fields did not move). */
    int64_t orders[3];
    for (int i = 0; i < 3; i++)
        orders[i] = sdt_checkout(&w, i % 2 ? "A-2" : "A-1", 1, NULL);
    EXPECT_EQ_INT(sdt_wait_sales(&w, orders, 3, 30000), 3);
    int64_t passes = sdt_metric(&w, "syncd_product_passes_total");
    EXPECT_TRUE(sdt_wait_metric(&w, "syncd_product_passes_total", passes + 2, 30000));
    EXPECT_EQ_INT(api_product_writes(&w), base);
    EXPECT_GE_INT(sdt_metric(&w, "syncd_product_hooks_unchanged_total"), 1);

    /* A merchandiser raises A-1's price in Shopify's admin: Cin7's
     * PriceTier1 follows. */
    edit(&w.shop, "{\"sku\":\"A-1\",\"fields\":{\"price\":\"12.50\"}}");
    field_wait c = {&w, "A-1", "price", 12.5, NULL};
    EXPECT_TRUE(e2e_wait(cin7_is, &c, 30000));

    /* A purchasing user changes A-2's supplier cost in Cin7: Shopify's
     * item cost follows. */
    edit(&w.cin7, "{\"sku\":\"A-2\",\"fields\":{\"SupplierCost\":7.25}}");
    f.sku = "A-2";
    f.text = "7.25";
    EXPECT_TRUE(e2e_wait(shop_is, &f, 30000));

    /* Someone edits A-2's price in Cin7, where it is not owned: it is put
     * back to Shopify's, which stays. */
    edit(&w.cin7, "{\"sku\":\"A-2\",\"fields\":{\"PriceTier1\":99}}");
    EXPECT_TRUE(sdt_wait_metric(&w, "syncd_product_fields_reverted_total", 1, 30000));
    c.sku = "A-2";
    c.num = 20;
    EXPECT_TRUE(e2e_wait(cin7_is, &c, 30000));
    EXPECT_EQ_STR(shop_field(&w, "A-2", "price", buf, sizeof buf), "20.00");
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_product_fields_conflicts_total"), 0);

    /* Its own writes come back as products/update and in the next reads:
     * they agree, so nothing more is written (no echo loop). */
    int after = api_product_writes(&w);
    EXPECT_EQ_INT(after, base + 3);
    passes = sdt_metric(&w, "syncd_product_passes_total");
    EXPECT_TRUE(sdt_wait_metric(&w, "syncd_product_passes_total", passes + 2, 30000));
    EXPECT_EQ_INT(api_product_writes(&w), after);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_product_fields_carried_total"), 4);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_product_fields_reverted_total"), 1);
    sdt_stop(&w);
}

typedef struct {
    const sdt_world *w;
    const char *sku, *key, *want;
} text_wait;

static int cin7_text_is(void *ud)
{
    const text_wait *t = ud;
    char buf[128];
    return strcmp(cin7_text(t->w, t->sku, t->key, buf, sizeof buf), t->want) == 0;
}

TEST_T(syncd_own, products_update_brings_the_pass_forward_and_the_owner_wins_a_conflict, 240)
{
    sdt_world w;
    /* An hour between polls (a minute of real time): what lands within
     * seconds came through products/update. B is one product of two
     * variants: its title is nobody's to sync. */
    sdt_start_world_take(
        &w,
        sdt_cin7_config("[{\"name\":\"Main\"}]",
                        "[{\"sku\":\"A-1\",\"price\":10,\"cost\":4},"
                        "{\"sku\":\"B-1\",\"name\":\"B\",\"price\":5,\"cost\":2},"
                        "{\"sku\":\"B-2\",\"name\":\"B\",\"price\":6,\"cost\":3}]",
                        "[{\"sku\":\"A-1\",\"location\":\"Main\",\"on_hand\":100},"
                        "{\"sku\":\"B-1\",\"location\":\"Main\",\"on_hand\":100},"
                        "{\"sku\":\"B-2\",\"location\":\"Main\",\"on_hand\":100}]"),
        sdt_shop_config("[{\"title\":\"A-1\",\"variants\":[{\"sku\":\"A-1\",\"price\":\"10.00\","
                        "\"available\":100}]},"
                        "{\"title\":\"B\",\"variants\":[{\"sku\":\"B-1\",\"price\":\"5.00\","
                        "\"available\":100},{\"sku\":\"B-2\",\"price\":\"6.00\",\"available\":100}]}]",
                        ""),
        "[{\"name\":\"Main\"}]",
        "{\"ownership\":{\"fields\":{\"price\":\"shopify\",\"title\":\"shopify\",\"cost\":\"cin7\"},"
        "\"poll_interval\":\"1h\"},\"replenishment\":{\"enabled\":false}}");
    EXPECT_TRUE(sdt_wait_metric(&w, "syncd_product_passes_total", 1, 30000));
    /* The first pass carried the three costs (Shopify's items had none). */
    EXPECT_TRUE(sdt_wait_metric(&w, "syncd_product_fields_carried_total", 3, 30000));
    cJSON *sh = e2e_journal(&w.shop);
    EXPECT_EQ_INT(sdt_count_kind(sh, "product_updated", "by", ""), 3);
    cJSON_Delete(sh);

    /* A title edited in Shopify's admin reaches Cin7's Name within seconds,
     * not at the next poll. */
    edit(&w.shop, "{\"sku\":\"A-1\",\"fields\":{\"title\":\"Blue mug\"}}");
    text_wait t = {&w, "A-1", "name", "Blue mug"};
    EXPECT_TRUE(e2e_wait(cin7_text_is, &t, 15000));

    /* B's title is changed in Shopify: a product of two variants is not
     * synced for title, so Cin7's B-1 and B-2 keep theirs. */
    edit(&w.shop, "{\"sku\":\"B-1\",\"fields\":{\"title\":\"B new\"}}");

    /* A-1's price is edited in Cin7 (not its owner) and then in Shopify
     * (its owner) before syncd looks: Shopify's wins, counted as a
     * conflict. */
    edit(&w.cin7, "{\"sku\":\"A-1\",\"fields\":{\"PriceTier1\":11}}");
    edit(&w.shop, "{\"sku\":\"A-1\",\"fields\":{\"price\":\"13.00\"}}");
    field_wait c = {&w, "A-1", "price", 13, NULL};
    EXPECT_TRUE(e2e_wait(cin7_is, &c, 15000));
    EXPECT_TRUE(sdt_wait_metric(&w, "syncd_product_fields_conflicts_total", 1, 15000));
    char buf[64];
    EXPECT_EQ_STR(shop_field(&w, "A-1", "price", buf, sizeof buf), "13.00");
    EXPECT_EQ_STR(cin7_text(&w, "B-1", "name", buf, sizeof buf), "B");
    EXPECT_EQ_STR(cin7_text(&w, "B-2", "name", buf, sizeof buf), "B");
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_product_fields_reverted_total"), 0);
    sdt_stop(&w);
}

/* In poll mode syncd subscribes to no webhook, products/update included:
 * a title edited in Shopify's admin moves the product's updatedAt, not its
 * variant's, and the pass finds it by reading the products changed since
 * the last one. */
TEST_T(syncd_own, a_title_edited_at_shopify_is_found_by_the_pass_without_its_webhook, 180)
{
    sdt_world w;
    char *over = sdt_json_merge(OWN_CONFIG, "{\"mode\":\"poll\",\"poll_interval\":\"10m\"}");
    start_own_with(&w, over);
    free(over);
    /* Cin7's reads go back to its newest change less a minute: a barcode
     * edit of A-2 a few passes in leaves A-1 (seeded at the start) out of
     * them, so only Shopify's side can bring A-1 into a pass. */
    EXPECT_TRUE(sdt_wait_metric(&w, "syncd_product_passes_total", 3, 60000));
    edit(&w.cin7, "{\"sku\":\"A-2\",\"fields\":{\"Barcode\":\"0123456789012\"}}");
    int64_t passes = sdt_metric(&w, "syncd_product_passes_total");
    EXPECT_TRUE(sdt_wait_metric(&w, "syncd_product_passes_total", passes + 2, 60000));
    edit(&w.shop, "{\"sku\":\"A-1\",\"fields\":{\"title\":\"A-1 gift box\"}}");
    passes = sdt_metric(&w, "syncd_product_passes_total");
    EXPECT_TRUE(sdt_wait_metric(&w, "syncd_product_passes_total", passes + 2, 60000));
    char buf[64];
    EXPECT_EQ_STR(cin7_text(&w, "A-1", "name", buf, sizeof buf), "A-1 gift box");
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_product_hooks_marked_total"), -1); /* no webhook came */
    sdt_stop(&w);
}
