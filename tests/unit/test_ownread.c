/* engine/syncd/ownread: the ownership fields read from Cin7's products,
 * Shopify's variants and products/update payloads, and the write bodies
 * built from them, on hand-made documents. */
#include "../runner.h"

#include "json.h"
#include "ownread.h"

#include <stdlib.h>
#include <string.h>

static cJSON *parse(const char *text)
{
    cJSON *v = json_parse(text, strlen(text), NULL);
    if (!v)
        test_fail(__FILE__, __LINE__, "bad JSON: %s", text);
    return v;
}

/* A field's canonical value, or "?" when not known. */
static const char *val(const own_values *v, own_field f)
{
    return v->known[f] ? v->v[f] : "?";
}

static const char CIN7_PRODUCT[] =
    "{\"ID\":\"p-1\",\"SKU\":\"A-1\",\"Name\":\" Mug \",\"Category\":\"General\","
    "\"CostingMethod\":\"FIFO\",\"UOM\":\"Item\",\"Status\":\"Deprecated\",\"Barcode\":\"\","
    "\"Weight\":1.5,\"WeightUnits\":\"kg\",\"PriceTier1\":10.995,\"PriceTier2\":0,"
    "\"PriceTier3\":14,\"PriceTiers\":{\"Tier 1\":10.995},\"AverageCost\":3.1,"
    "\"Suppliers\":[{\"SupplierID\":\"s-1\",\"Cost\":4.25,\"Currency\":\"USD\"}]}";

TEST(ownread, a_cin7_product_reads_as_canonical_values)
{
    cJSON *p = parse(CIN7_PRODUCT);
    own_values v;
    ownread_cin7(p, "PriceTier1", "PriceTier2", &v);
    EXPECT_EQ_STR(val(&v, OWN_PRICE), "1100");
    EXPECT_EQ_STR(val(&v, OWN_COMPARE_AT), ""); /* tier 0: no compare-at price */
    EXPECT_EQ_STR(val(&v, OWN_TITLE), "Mug");
    EXPECT_EQ_STR(val(&v, OWN_COST), "425"); /* the supplier's Cost, not AverageCost */
    EXPECT_EQ_STR(val(&v, OWN_BARCODE), "");
    EXPECT_EQ_STR(val(&v, OWN_WEIGHT), "1500000");
    EXPECT_EQ_STR(val(&v, OWN_STATUS), "inactive");
    /* Other tiers by config. */
    ownread_cin7(p, "PriceTier3", "PriceTier1", &v);
    EXPECT_EQ_STR(val(&v, OWN_PRICE), "1400");
    EXPECT_EQ_STR(val(&v, OWN_COMPARE_AT), "1100");
    /* No supplier: the cost is not known; a price that is no number is not
     * either. */
    cJSON_DeleteItemFromObjectCaseSensitive(p, "Suppliers");
    cJSON_ReplaceItemInObjectCaseSensitive(p, "PriceTier1", cJSON_CreateString("ten"));
    ownread_cin7(p, "PriceTier1", "PriceTier2", &v);
    EXPECT_EQ_STR(val(&v, OWN_COST), "?");
    EXPECT_EQ_STR(val(&v, OWN_PRICE), "?");
    cJSON_Delete(p);
}

TEST(ownread, a_shopify_variant_reads_as_canonical_values)
{
    cJSON *n = parse("{\"id\":\"gid://shopify/ProductVariant/1\",\"sku\":\"A-1\",\"price\":\"11.00\","
                     "\"compareAtPrice\":null,\"barcode\":null,\"inventoryItem\":{\"unitCost\":"
                     "{\"amount\":\"4.25\"},\"measurement\":{\"weight\":{\"value\":1500,\"unit\":"
                     "\"GRAMS\"}}},\"product\":{\"id\":\"gid://shopify/Product/9\",\"title\":\"Mug\","
                     "\"status\":\"DRAFT\",\"variants\":{\"nodes\":[{\"id\":\"x\"}]}}}");
    own_values v;
    ownread_shopify(n, &v);
    EXPECT_EQ_STR(val(&v, OWN_PRICE), "1100");
    EXPECT_EQ_STR(val(&v, OWN_COMPARE_AT), "");
    EXPECT_EQ_STR(val(&v, OWN_BARCODE), "");
    EXPECT_EQ_STR(val(&v, OWN_COST), "425");
    EXPECT_EQ_STR(val(&v, OWN_WEIGHT), "1500000");
    EXPECT_EQ_STR(val(&v, OWN_TITLE), "Mug");
    EXPECT_EQ_STR(val(&v, OWN_STATUS), "inactive");
    /* An item without a cost or a weight is known to have none ("", which
     * agrees with no amount); a product of several variants gives no title
     * or status. */
    cJSON *item = cJSON_GetObjectItemCaseSensitive(n, "inventoryItem");
    cJSON_ReplaceItemInObjectCaseSensitive(item, "unitCost", cJSON_CreateNull());
    cJSON_ReplaceItemInObjectCaseSensitive(item, "measurement", cJSON_CreateNull());
    cJSON *prod = cJSON_GetObjectItemCaseSensitive(n, "product");
    cJSON_DeleteItemFromObjectCaseSensitive(prod, "variants");
    cJSON_AddItemToObject(prod, "variantsCount", parse("{\"count\":3}"));
    ownread_shopify(n, &v);
    EXPECT_TRUE(v.known[OWN_COST]);
    EXPECT_EQ_STR(val(&v, OWN_COST), "");
    EXPECT_EQ_STR(val(&v, OWN_WEIGHT), "");
    EXPECT_EQ_STR(val(&v, OWN_TITLE), "?");
    EXPECT_EQ_STR(val(&v, OWN_STATUS), "?");
    cJSON_Delete(n);
}

TEST(ownread, a_products_update_payload_carries_five_fields)
{
    cJSON *p = parse("{\"id\":9,\"title\":\"Mug\",\"status\":\"active\",\"variants\":[{\"id\":1,"
                     "\"sku\":\"A-1\",\"price\":\"10.00\",\"compare_at_price\":\"12.00\","
                     "\"barcode\":\"123\"}]}");
    own_values v;
    ownread_hook(p, cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p, "variants"), 0), &v);
    EXPECT_EQ_STR(val(&v, OWN_TITLE), "Mug");
    EXPECT_EQ_STR(val(&v, OWN_STATUS), "active");
    EXPECT_EQ_STR(val(&v, OWN_PRICE), "1000");
    EXPECT_EQ_STR(val(&v, OWN_COMPARE_AT), "1200");
    EXPECT_EQ_STR(val(&v, OWN_BARCODE), "123");
    /* Weight (removed in 2024-07) and cost (the item's) are not in it. */
    EXPECT_EQ_STR(val(&v, OWN_WEIGHT), "?");
    EXPECT_EQ_STR(val(&v, OWN_COST), "?");
    /* Not a product: nothing known. */
    ownread_hook(p, NULL, &v);
    EXPECT_FALSE(v.known[OWN_PRICE]);
    cJSON_Delete(p);
}

TEST(ownread, cin7_put_sends_back_what_was_read_with_the_changes)
{
    cJSON *p = parse(CIN7_PRODUCT);
    const char *put[OWN_N_FIELDS] = {0};
    put[OWN_PRICE] = "12.50";
    put[OWN_COST] = "5.00";
    put[OWN_WEIGHT] = "250";
    put[OWN_STATUS] = "Active";
    cJSON *b = ownread_cin7_put(p, put, "PriceTier1", "PriceTier2");
    EXPECT_TRUE(b != NULL);
    /* The required fields come back as read. */
    EXPECT_EQ_STR(cJSON_GetObjectItemCaseSensitive(b, "ID")->valuestring, "p-1");
    EXPECT_EQ_STR(cJSON_GetObjectItemCaseSensitive(b, "CostingMethod")->valuestring, "FIFO");
    EXPECT_EQ_STR(cJSON_GetObjectItemCaseSensitive(b, "Name")->valuestring, " Mug ");
    EXPECT_NEAR(cJSON_GetObjectItemCaseSensitive(b, "PriceTier1")->valuedouble, 12.5, 1e-9);
    EXPECT_NEAR(cJSON_GetObjectItemCaseSensitive(b, "PriceTier3")->valuedouble, 14, 1e-9);
    /* The tier map would say the old price: left out. */
    EXPECT_TRUE(cJSON_GetObjectItemCaseSensitive(b, "PriceTiers") == NULL);
    const cJSON *sup = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(b, "Suppliers"), 0);
    EXPECT_EQ_STR(cJSON_GetObjectItemCaseSensitive(sup, "SupplierID")->valuestring, "s-1");
    EXPECT_NEAR(cJSON_GetObjectItemCaseSensitive(sup, "Cost")->valuedouble, 5, 1e-9);
    EXPECT_NEAR(cJSON_GetObjectItemCaseSensitive(b, "Weight")->valuedouble, 250, 1e-9);
    EXPECT_EQ_STR(cJSON_GetObjectItemCaseSensitive(b, "WeightUnits")->valuestring, "g");
    EXPECT_EQ_STR(cJSON_GetObjectItemCaseSensitive(b, "Status")->valuestring, "Active");
    cJSON_Delete(b);
    /* A cost to write onto a product without a supplier: no body. */
    cJSON_DeleteItemFromObjectCaseSensitive(p, "Suppliers");
    EXPECT_TRUE(ownread_cin7_put(p, put, "PriceTier1", "PriceTier2") == NULL);
    cJSON_Delete(p);
}

TEST(ownread, shopify_inputs_carry_only_the_fields_to_write)
{
    const char *set[OWN_N_FIELDS] = {0};
    EXPECT_TRUE(ownread_variant_input("v", set) == NULL);
    EXPECT_TRUE(ownread_product_input("p", set) == NULL);
    set[OWN_COMPARE_AT] = "";
    set[OWN_WEIGHT] = "28.35";
    set[OWN_TITLE] = "Mug";
    cJSON *v = ownread_variant_input("gid://shopify/ProductVariant/1", set);
    char *text = cJSON_PrintUnformatted(v);
    EXPECT_EQ_STR(text, "{\"id\":\"gid://shopify/ProductVariant/1\",\"compareAtPrice\":null,"
                        "\"inventoryItem\":{\"measurement\":{\"weight\":{\"value\":28.35,"
                        "\"unit\":\"GRAMS\"}}}}");
    free(text);
    cJSON_Delete(v);
    cJSON *p = ownread_product_input("gid://shopify/Product/9", set);
    text = cJSON_PrintUnformatted(p);
    EXPECT_EQ_STR(text, "{\"id\":\"gid://shopify/Product/9\",\"title\":\"Mug\"}");
    free(text);
    cJSON_Delete(p);
}
