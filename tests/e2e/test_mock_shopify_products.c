/* mock-shopify's product data over HTTP: productUpdate and
 * productVariantsBulkUpdate read back through GraphQL and REST, their user
 * errors (nothing changes), a merchandiser's /_mock/product_edit, the
 * product_updated journal entries and the products/update webhook, with
 * and without the variant fields Shopify dropped from it in 2024-07. */
#include "mock_shopify_test.h"

#include "mem.h"
#include "sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* mock-shopify on two one-variant products (DEMO-001 "One", DEMO-002
 * "Two") whose shop (API version version) subscribes rc to
 * products/update. */
static void start_shop(e2e_server *s, ms_receiver *rc, const char *version)
{
    char *cfg = xasprintf(
        "{\"shops\":[{\"domain\":\"demo.myshopify.com\",\"access_token\":\"shpat_demo\","
        "\"app_secret\":\"demo-secret\",\"api_version\":\"%s\","
        "\"products\":[{\"title\":\"One\",\"variants\":[{\"sku\":\"DEMO-001\",\"price\":\"10.00\","
        "\"available\":100}]},"
        "{\"title\":\"Two\",\"variants\":[{\"sku\":\"DEMO-002\",\"price\":\"20.00\",\"available\":100}]}],"
        "\"webhooks\":[{\"topic\":\"products/update\",\"address\":\"%s\"}]}]}",
        version, ms_receiver_url(rc));
    e2e_start_config(s, "mock-shopify", cfg, NULL);
    free(cfg);
}

/* The GIDs of sku's variant and product (into buffers of 96). */
static void ids_of(const e2e_server *s, const char *sku, char *variant, char *product)
{
    char q[256];
    snprintf(q, sizeof q, "{ productVariants(first: 1, query: \"sku:%s\") { nodes { id product { id } } } }",
             sku);
    cJSON *v = ms_gql(s, "2026-10", q, NULL, 200);
    snprintf(variant, 96, "%s", jstring(v, "data.productVariants.nodes[0].id"));
    snprintf(product, 96, "%s", jstring(v, "data.productVariants.nodes[0].product.id"));
    cJSON_Delete(v);
}

static const char *const PRODUCT_UPDATE =
    "mutation($p: ProductUpdateInput!) { productUpdate(product: $p) {"
    " product { id title status } userErrors { field message } } }";
static const char *const BULK_UPDATE =
    "mutation($pid: ID!, $vs: [ProductVariantsBulkInput!]!, $partial: Boolean) {"
    " productVariantsBulkUpdate(productId: $pid, variants: $vs, allowPartialUpdates: $partial) {"
    " productVariants { id price compareAtPrice barcode"
    " inventoryItem { unitCost { amount currencyCode } measurement { weight { value unit } } } }"
    " userErrors { field message code } } }";

/* The n-th journal entry of kind (from 0), or NULL. */
static const cJSON *entry(const cJSON *journal, const char *kind, int n)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, journal)
    {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "kind");
        if (cJSON_IsString(k) && strcmp(k->valuestring, kind) == 0 && n-- == 0)
            return e;
    }
    return NULL;
}

/* The body of the last delivery, parsed (caller frees). */
/* The products/update delivery whose value at path is want (Shopify's
 * deliveries keep no order, and the mock's several senders do not
 * either), waiting for it up to 10 s; the test fails without one. */
static cJSON *delivery_where(ms_receiver *rc, const char *path, const char *want)
{
    for (int tries = 0; tries < 100; tries++) {
        int n = ms_receiver_count(rc);
        for (int i = 0; i < n; i++) {
            ms_delivery d = ms_receiver_get(rc, i);
            cJSON *v = strcmp(d.topic, "products/update") == 0 ? cJSON_Parse(d.body) : NULL;
            ms_delivery_free(&d);
            const cJSON *x = v ? jp(v, path) : NULL;
            if (cJSON_IsString(x) && strcmp(x->valuestring, want) == 0)
                return v;
            cJSON_Delete(v);
        }
        ms_receiver_wait(rc, n + 1, 100);
    }
    test_fail(__FILE__, __LINE__, "no products/update delivery has %s = %s", path, want);
}

TEST(mock_shopify_products, graphql_writes_read_back_journal_and_deliver)
{
    ms_receiver *rc = ms_receiver_start(200);
    e2e_server s;
    start_shop(&s, rc, "2026-10");
    char vid[96], pid[96];
    ids_of(&s, "DEMO-001", vid, pid);

    char *vars = xasprintf("{\"p\":{\"id\":\"%s\",\"title\":\"One Pro\",\"status\":\"DRAFT\"}}", pid);
    cJSON *v = ms_gql(&s, "2026-10", PRODUCT_UPDATE, vars, 200);
    free(vars);
    EXPECT_EQ_STR(jstring(v, "data.productUpdate.product.title"), "One Pro");
    EXPECT_EQ_STR(jstring(v, "data.productUpdate.product.status"), "DRAFT");
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.productUpdate.userErrors")), 0);
    cJSON_Delete(v);

    vars = xasprintf("{\"pid\":\"%s\",\"vs\":[{\"id\":\"%s\",\"price\":\"12.5\",\"compareAtPrice\":\"15.00\","
                     "\"barcode\":\"0123456789012\",\"inventoryItem\":{\"cost\":\"4.25\","
                     "\"measurement\":{\"weight\":{\"value\":1.5,\"unit\":\"POUNDS\"}}}}]}",
                     pid, vid);
    v = ms_gql(&s, "2026-10", BULK_UPDATE, vars, 200);
    free(vars);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "data.productVariantsBulkUpdate.userErrors")), 0);
    EXPECT_EQ_STR(jstring(v, "data.productVariantsBulkUpdate.productVariants[0].price"), "12.50");
    cJSON_Delete(v);

    /* Read back through a product query and through REST. */
    char q[512];
    snprintf(q, sizeof q,
             "{ product(id: \"%s\") { title status variants(first: 2) { nodes { price compareAtPrice"
             " barcode inventoryItem { unitCost { amount currencyCode } measurement { weight { value unit } } } } } } }",
             pid);
    v = ms_gql(&s, "2026-10", q, NULL, 200);
    EXPECT_EQ_STR(jstring(v, "data.product.title"), "One Pro");
    EXPECT_EQ_STR(jstring(v, "data.product.status"), "DRAFT");
    EXPECT_EQ_STR(jstring(v, "data.product.variants.nodes[0].compareAtPrice"), "15.00");
    EXPECT_EQ_STR(jstring(v, "data.product.variants.nodes[0].barcode"), "0123456789012");
    EXPECT_EQ_STR(jstring(v, "data.product.variants.nodes[0].inventoryItem.unitCost.amount"), "4.25");
    EXPECT_NEAR(jnumber(v, "data.product.variants.nodes[0].inventoryItem.measurement.weight.value"), 1.5,
                1e-9);
    EXPECT_EQ_STR(jstring(v, "data.product.variants.nodes[0].inventoryItem.measurement.weight.unit"),
                  "POUNDS");
    cJSON_Delete(v);
    const char *num = strrchr(pid, '/') + 1;
    snprintf(q, sizeof q, MS_API "/products/%s.json", num);
    v = ms_json(&s, "GET", q, NULL, 200);
    EXPECT_EQ_STR(jstring(v, "product.status"), "draft");
    EXPECT_EQ_STR(jstring(v, "product.variants[0].compare_at_price"), "15.00");
    EXPECT_EQ_STR(jstring(v, "product.variants[0].weight_unit"), "lb");
    cJSON_Delete(v);

    /* The journal: one entry per object edited, by the app's client. */
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(ms_journal_count(j, "product_updated", "by", "demo.myshopify.com#0"), 2);
    const cJSON *e0 = entry(j, "product_updated", 0), *e1 = entry(j, "product_updated", 1);
    EXPECT_EQ_STR(jstring(e0, "fields.title.before"), "One");
    EXPECT_EQ_STR(jstring(e0, "fields.status.after"), "DRAFT");
    EXPECT_EQ_STR(jstring(e0, "sku"), "DEMO-001");
    EXPECT_TRUE(jp(e0, "variant_id") == NULL);
    EXPECT_EQ_STR(jstring(e1, "fields.price.before"), "10.00");
    EXPECT_EQ_STR(jstring(e1, "fields.price.after"), "12.50");
    EXPECT_EQ_STR(jstring(e1, "fields.cost.after"), "4.25");
    EXPECT_EQ_STR(jstring(e1, "fields.weight.after.unit"), "POUNDS");
    EXPECT_TRUE(cJSON_IsNull(jp(e1, "fields.compareAtPrice.before")));
    cJSON_Delete(j);

    /* products/update for each mutation: the REST product, without the
     * variant weight fields at 2026-10. */
    EXPECT_GE_INT(ms_receiver_wait(rc, 2, 10000), 2);
    v = delivery_where(rc, "variants[0].price", "12.50");
    EXPECT_EQ_STR(jstring(v, "title"), "One Pro");
    EXPECT_EQ_STR(jstring(v, "status"), "draft");
    EXPECT_EQ_STR(jstring(v, "variants[0].price"), "12.50");
    EXPECT_EQ_STR(jstring(v, "variants[0].barcode"), "0123456789012");
    EXPECT_TRUE(jp(v, "variants[0].weight") == NULL);
    EXPECT_TRUE(jp(v, "variants[0].grams") == NULL);
    cJSON_Delete(v);

    /* A sale moves stock: Shopify sends products/update for that too. */
    int before = ms_receiver_count(rc);
    EXPECT_GT_INT(ms_checkout(&s, "DEMO-002", 1), 0);
    EXPECT_GT_INT(ms_receiver_wait(rc, before + 1, 10000), before);
    v = delivery_where(rc, "title", "Two");
    cJSON_Delete(v);
    e2e_stop(&s);
    ms_receiver_stop(rc);
}

/* A user error as productVariantsBulkUpdate answers it: its code and
 * field path joined by dots. */
static void expect_bulk_error(const e2e_server *s, const char *vars, const char *code,
                              const char *field)
{
    cJSON *v = ms_gql(s, "2026-10", BULK_UPDATE, vars, 200);
    const cJSON *ue = jp(v, "data.productVariantsBulkUpdate.userErrors[0]");
    EXPECT_TRUE(ue != NULL);
    EXPECT_EQ_STR(jstring(ue, "code"), code);
    sbuf b = SBUF_INIT;
    const cJSON *part;
    cJSON_ArrayForEach(part, cJSON_GetObjectItemCaseSensitive(ue, "field"))
        sbuf_printf(&b, "%s%s", b.len ? "." : "", part->valuestring);
    EXPECT_EQ_STR(sbuf_str(&b), field);
    sbuf_free(&b);
    cJSON_Delete(v);
}

TEST(mock_shopify_products, bad_writes_answer_user_errors_and_change_nothing)
{
    ms_receiver *rc = ms_receiver_start(200);
    e2e_server s;
    start_shop(&s, rc, "2026-10");
    char vid[96], pid[96], vid2[96], pid2[96];
    ids_of(&s, "DEMO-001", vid, pid);
    ids_of(&s, "DEMO-002", vid2, pid2);
    static const struct {
        const char *variant, *code, *field;
    } bad[] = {
        {"{\"id\":\"%s\",\"price\":\"-1\"}", "GREATER_THAN_OR_EQUAL_TO", "variants.0.price"},
        {"{\"id\":\"%s\",\"price\":\"abc\"}", "INVALID_INPUT", "variants.0.price"},
        {"{\"id\":\"%s\",\"price\":null}", "BLANK", "variants.0.price"},
        {"{\"id\":\"%s\",\"compareAtPrice\":\"-2\"}", "GREATER_THAN_OR_EQUAL_TO", "variants.0.compareAtPrice"},
        {"{\"id\":\"%s\",\"inventoryItem\":{\"cost\":\"x\"}}", "INVALID_INPUT", "variants.0.inventoryItem.cost"},
        {"{\"id\":\"%s\",\"inventoryItem\":{\"measurement\":{\"weight\":{\"value\":1,\"unit\":\"STONES\"}}}}",
         "INVALID_INPUT", "variants.0.inventoryItem.measurement.weight.unit"},
        {"{\"price\":\"1.00\"}", "PRODUCT_VARIANT_ID_MISSING", "variants.0.id"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *item = xasprintf(bad[i].variant, vid);
        char *vars = xasprintf("{\"pid\":\"%s\",\"vs\":[%s]}", pid, item);
        expect_bulk_error(&s, vars, bad[i].code, bad[i].field);
        free(vars);
        free(item);
    }
    /* Another product's variant, a product that does not exist. */
    char *vars = xasprintf("{\"pid\":\"%s\",\"vs\":[{\"id\":\"%s\",\"price\":\"1\"}]}", pid, vid2);
    expect_bulk_error(&s, vars, "PRODUCT_VARIANT_DOES_NOT_EXIST", "variants.0.id");
    free(vars);
    vars = xasprintf("{\"pid\":\"gid://shopify/Product/999999\",\"vs\":[{\"id\":\"%s\"}]}", vid);
    expect_bulk_error(&s, vars, "PRODUCT_DOES_NOT_EXIST", "productId");
    free(vars);
    /* Keys the input types do not have are GraphQL errors. */
    vars = xasprintf("{\"pid\":\"%s\",\"vs\":[{\"id\":\"%s\",\"colour\":\"red\"}]}", pid, vid);
    cJSON *v = ms_gql(&s, "2026-10", BULK_UPDATE, vars, 200);
    free(vars);
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "colour");
    cJSON_Delete(v);
    /* productUpdate: blank title, unknown status, unknown product. */
    vars = xasprintf("{\"p\":{\"id\":\"%s\",\"title\":\"\"}}", pid);
    v = ms_gql(&s, "2026-10", PRODUCT_UPDATE, vars, 200);
    free(vars);
    EXPECT_EQ_STR(jstring(v, "data.productUpdate.userErrors[0].field[0]"), "title");
    cJSON_Delete(v);
    vars = xasprintf("{\"p\":{\"id\":\"%s\",\"status\":\"GONE\"}}", pid);
    v = ms_gql(&s, "2026-10", PRODUCT_UPDATE, vars, 200);
    free(vars);
    EXPECT_CONTAINS(jstring(v, "errors[0].message"), "ProductStatus");
    cJSON_Delete(v);
    v = ms_gql(&s, "2026-10", PRODUCT_UPDATE, "{\"p\":{\"id\":\"gid://shopify/Product/999999\",\"title\":\"x\"}}", 200);
    EXPECT_EQ_STR(jstring(v, "data.productUpdate.userErrors[0].field[0]"), "id");
    cJSON_Delete(v);

    /* Nothing changed so far; with allowPartialUpdates the good input of
     * two applies, without it neither. */
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(ms_journal_count(j, "product_updated", NULL, NULL), 0);
    cJSON_Delete(j);
    vars = xasprintf("{\"pid\":\"%s\",\"vs\":[{\"id\":\"%s\",\"price\":\"11\"},{\"price\":\"1\"}]}", pid, vid);
    v = ms_gql(&s, "2026-10", BULK_UPDATE, vars, 200);
    EXPECT_TRUE(cJSON_IsNull(jp(v, "data.productVariantsBulkUpdate.productVariants")));
    cJSON_Delete(v);
    char *partial = xasprintf("{\"pid\":\"%s\",\"partial\":true,%s", pid, strchr(vars, ',') + 1);
    v = ms_gql(&s, "2026-10", BULK_UPDATE, partial, 200);
    EXPECT_EQ_STR(jstring(v, "data.productVariantsBulkUpdate.productVariants[0].price"), "11.00");
    EXPECT_EQ_STR(jstring(v, "data.productVariantsBulkUpdate.userErrors[0].code"), "PRODUCT_VARIANT_ID_MISSING");
    cJSON_Delete(v);
    free(partial);
    free(vars);
    j = e2e_journal(&s);
    EXPECT_EQ_INT(ms_journal_count(j, "product_updated", NULL, NULL), 1);
    cJSON_Delete(j);
    e2e_stop(&s);
    ms_receiver_stop(rc);
}

TEST(mock_shopify_products, a_merchandisers_edit_is_journaled_and_delivered)
{
    ms_receiver *rc = ms_receiver_start(200);
    e2e_server s;
    /* A subscription of 2024-04 still gets the variants' weight fields. */
    start_shop(&s, rc, "2024-04");
    cJSON *v = e2e_expect(&s, "POST", "/_mock/product_edit", NULL,
                          "{\"sku\":\"DEMO-002\",\"fields\":{\"title\":\"Two B\",\"price\":\"9.99\","
                          "\"barcode\":\"X-2\",\"weight\":{\"value\":250,\"unit\":\"GRAMS\"}}}",
                          200, 1);
    EXPECT_EQ_STR(jstring(v, "result"), "edited");
    EXPECT_EQ_STR(jstring(v, "product.title"), "Two B");
    cJSON_Delete(v);
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(ms_journal_count(j, "product_updated", NULL, NULL), 2);
    const cJSON *e0 = entry(j, "product_updated", 0), *e1 = entry(j, "product_updated", 1);
    EXPECT_TRUE(cJSON_IsNull(jp(e0, "by")));
    EXPECT_EQ_STR(jstring(e0, "fields.title.after"), "Two B");
    EXPECT_EQ_STR(jstring(e1, "sku"), "DEMO-002");
    EXPECT_EQ_STR(jstring(e1, "fields.price.after"), "9.99");
    EXPECT_NEAR(jnumber(e1, "fields.weight.after.value"), 250, 1e-9);
    cJSON_Delete(j);
    EXPECT_GE_INT(ms_receiver_wait(rc, 1, 10000), 1);
    v = delivery_where(rc, "title", "Two B");
    EXPECT_NEAR(jnumber(v, "variants[0].grams"), 250, 1e-9);
    EXPECT_EQ_STR(jstring(v, "variants[0].weight_unit"), "g");
    cJSON_Delete(v);
    cJSON *st = e2e_expect(&s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    EXPECT_EQ_STR(jstring(st, "shops[0].catalog[1].barcode"), "X-2");
    cJSON_Delete(st);

    static const struct {
        const char *body, *want;
        int status;
    } bad[] = {
        {"{\"sku\":\"NOPE\",\"fields\":{\"title\":\"x\"}}", "$.sku", 400},
        {"{\"sku\":\"DEMO-001\",\"fields\":{}}", "$.fields", 400},
        {"{\"sku\":\"DEMO-001\",\"fields\":{\"colour\":1}}", "$.fields.colour", 400},
        {"{\"sku\":\"DEMO-001\",\"fields\":{\"status\":\"GONE\"}}", "$.fields.status", 400},
        {"{\"sku\":\"DEMO-001\",\"fields\":{\"price\":\"-1\"}}", "$.fields.price", 400},
        {"{\"sku\":\"DEMO-001\",\"fields\":{\"title\":\"\"}}", "$.fields.title", 400},
        {"{\"sku\":\"DEMO-001\",\"fields\":{\"weight\":{\"value\":1}}}", "$.fields.weight.unit", 400},
        {"{\"shop\":\"nope.myshopify.com\",\"sku\":\"DEMO-001\",\"fields\":{\"title\":\"x\"}}", "$.shop", 404},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = e2e_expect(&s, "POST", "/_mock/product_edit", NULL, bad[i].body, bad[i].status, 1);
        EXPECT_CONTAINS(jstring(v, "error"), bad[i].want);
        cJSON_Delete(v);
    }
    j = e2e_journal(&s);
    EXPECT_EQ_INT(ms_journal_count(j, "product_updated", NULL, NULL), 2);
    cJSON_Delete(j);
    e2e_stop(&s);
    ms_receiver_stop(rc);
}

TEST(mock_shopify_products, rest_puts_edit_products_variants_and_items)
{
    ms_receiver *rc = ms_receiver_start(200);
    e2e_server s;
    start_shop(&s, rc, "2026-10");
    char vid[96], pid[96];
    ids_of(&s, "DEMO-001", vid, pid);
    const char *p = strrchr(pid, '/') + 1, *vnum = strrchr(vid, '/') + 1;
    char path[160];
    snprintf(path, sizeof path, MS_API "/variants/%s.json", vnum);
    cJSON *v = ms_json(&s, "PUT", path,
                       "{\"variant\":{\"price\":\"11.00\",\"compare_at_price\":\"13.00\",\"barcode\":\"B-1\"}}",
                       200);
    EXPECT_EQ_STR(jstring(v, "variant.price"), "11.00");
    EXPECT_EQ_STR(jstring(v, "variant.compare_at_price"), "13.00");
    const double item = jnumber(v, "variant.inventory_item_id");
    cJSON_Delete(v);
    snprintf(path, sizeof path, MS_API "/products/%s.json", p);
    v = ms_json(&s, "PUT", path, "{\"product\":{\"title\":\"One R\",\"status\":\"archived\"}}", 200);
    EXPECT_EQ_STR(jstring(v, "product.status"), "archived");
    EXPECT_EQ_STR(jstring(v, "product.variants[0].barcode"), "B-1");
    cJSON_Delete(v);
    snprintf(path, sizeof path, MS_API "/inventory_items/%.0f.json", item);
    v = ms_json(&s, "PUT", path, "{\"inventory_item\":{\"cost\":\"3.10\"}}", 200);
    EXPECT_EQ_STR(jstring(v, "inventory_item.cost"), "3.10");
    cJSON_Delete(v);
    /* GraphQL reads what REST wrote. */
    char q[256];
    snprintf(q, sizeof q, "{ productVariant(id: \"%s\") { price compareAtPrice barcode product { title status }"
             " inventoryItem { unitCost { amount } } } }", vid);
    v = ms_gql(&s, "2026-10", q, NULL, 200);
    EXPECT_EQ_STR(jstring(v, "data.productVariant.compareAtPrice"), "13.00");
    EXPECT_EQ_STR(jstring(v, "data.productVariant.product.status"), "ARCHIVED");
    EXPECT_EQ_STR(jstring(v, "data.productVariant.inventoryItem.unitCost.amount"), "3.10");
    cJSON_Delete(v);
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(ms_journal_count(j, "product_updated", "by", "demo.myshopify.com#0"), 3);
    cJSON_Delete(j);
    EXPECT_GE_INT(ms_receiver_wait(rc, 3, 10000), 3);

    /* Refusals name the field (422) or the missing wrapper (400); nothing
     * changes. */
    static const struct {
        const char *what, *body, *field;
        int status;
    } bad[] = {
        {"variants", "{\"variant\":{\"price\":\"-1\"}}", "price", 422},
        {"variants", "{\"variant\":{\"grams\":10}}", "grams", 422},
        /* A key with no name is named by its object (a fuzz find). */
        {"variants", "{\"variant\":{\"\":10}}", "variant", 422},
        {"variants", "{\"price\":\"1\"}", "variant", 400},
        {"products", "{\"product\":{\"status\":\"ACTIVE\"}}", "status", 422},
        {"products", "{\"product\":{\"title\":\"\"}}", "title", 422},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(path, sizeof path, MS_API "/%s/%s.json", bad[i].what,
                 strcmp(bad[i].what, "products") == 0 ? p : vnum);
        v = ms_json(&s, "PUT", path, bad[i].body, bad[i].status);
        EXPECT_TRUE(jp(jp(v, "errors"), bad[i].field) != NULL);
        cJSON_Delete(v);
    }
    snprintf(path, sizeof path, MS_API "/variants/1.json");
    cJSON_Delete(ms_json(&s, "PUT", path, "{\"variant\":{\"price\":\"1\"}}", 404));
    j = e2e_journal(&s);
    EXPECT_EQ_INT(ms_journal_count(j, "product_updated", NULL, NULL), 3);
    cJSON_Delete(j);
    e2e_stop(&s);
    ms_receiver_stop(rc);
}
