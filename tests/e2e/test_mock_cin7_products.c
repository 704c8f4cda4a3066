/* mock-cin7's product edits over HTTP: PUT product from an application,
 * POST /_mock/product_edit from a user, what GET product reads back, the
 * ModifiedSince filter that finds edits, the journal's product_updated and
 * the errors that change nothing. */
#include "test_mock_cin7.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define API "/ExternalApi/v2/"

static cJSON *product(const e2e_server *s, const char *sku)
{
    char path[128];
    snprintf(path, sizeof path, API "product?Sku=%s&IncludeSuppliers=true&IncludeDeprecated=true", sku);
    cJSON *v = c7t_call(s, c7t_auth, "GET", path, NULL, 200);
    cJSON *p = cJSON_DetachItemFromArray(cJSON_GetObjectItemCaseSensitive(v, "Products"), 0);
    cJSON_Delete(v);
    EXPECT_TRUE(p != NULL);
    return p;
}

static double supplier_cost(const cJSON *p)
{
    return c7t_num(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p, "Suppliers"), 0), "Cost");
}

/* PUT product's body for A-1 (Name "Anvil" unless members give one) with
 * its id and the members given. */
static char *put_body(const char *id, const char *members)
{
    const char *name = strstr(members, "\"Name\"") ? "" : "\"Name\":\"Anvil\",";
    return xasprintf("{\"ID\":\"%s\",\"SKU\":\"A-1\",%s\"Category\":\"General\","
                     "\"CostingMethod\":\"FIFO\",\"UOM\":\"Item\",\"Status\":\"Active\"%s%s}",
                     id, name, *members ? "," : "", members);
}

static const cJSON *field(const cJSON *entry, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(entry, "fields"), name);
}

TEST(mock_cin7_products, put_product_writes_what_get_reads_back)
{
    e2e_server s;
    c7t_start_world(&s, "", NULL);
    cJSON *p = product(&s, "A-1");
    char *id = xstrdup(c7t_str(p, "ID"));
    EXPECT_EQ_STR(c7t_str(p, "Barcode"), "");
    EXPECT_EQ_INT(c7t_num(p, "PriceTier1"), 10);
    EXPECT_EQ_INT(supplier_cost(p), 4);
    cJSON_Delete(p);

    char *body = put_body(id, "\"Name\":\"Anvil Pro\",\"PriceTier1\":12.5,\"PriceTier2\":15,"
                              "\"Barcode\":\"0123456789012\",\"Weight\":2.25,\"WeightUnits\":\"lb\","
                              "\"Suppliers\":[{\"SupplierName\":\"Acme Supply\",\"Cost\":4.75}],"
                              "\"AverageCost\":99,\"LastModifiedOn\":\"2017-12-26T07:19:37.937\"");
    cJSON *v = c7t_call(&s, c7t_auth, "PUT", API "product", body, 200);
    free(body);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 1);
    const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "Products"), 0);
    EXPECT_EQ_STR(c7t_str(a, "Name"), "Anvil Pro");
    cJSON_Delete(v);

    p = product(&s, "A-1");
    EXPECT_EQ_STR(c7t_str(p, "Name"), "Anvil Pro");
    EXPECT_NEAR(c7t_num(p, "PriceTier1"), 12.5, 1e-9);
    EXPECT_NEAR(c7t_num(p, "PriceTier2"), 15, 1e-9);
    EXPECT_NEAR(c7t_num(cJSON_GetObjectItemCaseSensitive(p, "PriceTiers"), "Tier 1"), 12.5, 1e-9);
    EXPECT_EQ_STR(c7t_str(p, "Barcode"), "0123456789012");
    EXPECT_NEAR(c7t_num(p, "Weight"), 2.25, 1e-9);
    EXPECT_EQ_STR(c7t_str(p, "WeightUnits"), "lb");
    EXPECT_NEAR(supplier_cost(p), 4.75, 1e-9);
    EXPECT_EQ_INT(c7t_num(p, "AverageCost"), 4); /* read-only: the 99 sent is ignored */
    cJSON_Delete(p);

    cJSON *j = e2e_journal(&s);
    const cJSON *e = c7t_entry(j, "product_updated", 0);
    EXPECT_TRUE(e != NULL);
    EXPECT_EQ_STR(c7t_str(e, "sku"), "A-1");
    EXPECT_EQ_STR(c7t_str(e, "id"), id);
    EXPECT_EQ_STR(c7t_str(e, "application"), "sync");
    EXPECT_EQ_STR(c7t_str(field(e, "Name"), "before"), "Anvil");
    EXPECT_EQ_STR(c7t_str(field(e, "Name"), "after"), "Anvil Pro");
    EXPECT_NEAR(c7t_num(field(e, "PriceTier1"), "before"), 10, 1e-9);
    EXPECT_NEAR(c7t_num(field(e, "SupplierCost"), "after"), 4.75, 1e-9);
    EXPECT_EQ_STR(c7t_str(field(e, "Barcode"), "before"), "");
    EXPECT_TRUE(field(e, "Status") == NULL); /* unchanged fields are not listed */
    cJSON_Delete(j);
    free(id);
    e2e_stop(&s);
}

TEST(mock_cin7_products, modified_since_finds_edits_of_both_kinds)
{
    e2e_server s;
    c7t_start_world(&s, "", NULL);
    usleep(50 * 1000);
    cJSON *v = e2e_expect(&s, "POST", "/_mock/product_edit", NULL,
                          "{\"sku\":\"A-2\",\"fields\":{\"PriceTier1\":21,\"Status\":\"Deprecated\"}}", 200, 1);
    cJSON_Delete(v);
    cJSON *p = product(&s, "A-2");
    char since[64];
    snprintf(since, sizeof since, "%s", c7t_str(p, "LastModifiedOn"));
    EXPECT_EQ_STR(c7t_str(p, "Status"), "Deprecated");
    EXPECT_EQ_INT(c7t_num(p, "PriceTier1"), 21);
    cJSON_Delete(p);

    char path[160];
    /* Deprecated now: only IncludeDeprecated shows it. */
    snprintf(path, sizeof path, API "product?ModifiedSince=%s&IncludeDeprecated=true", since);
    v = c7t_call(&s, c7t_auth, "GET", path, NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 1);
    EXPECT_EQ_STR(c7t_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "Products"), 0), "SKU"), "A-2");
    cJSON_Delete(v);
    snprintf(path, sizeof path, API "product?ModifiedSince=%s", since);
    v = c7t_call(&s, c7t_auth, "GET", path, NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 0);
    cJSON_Delete(v);

    /* A user's edit: journaled under no application, state shows it. */
    cJSON *j = e2e_journal(&s);
    const cJSON *e = c7t_entry(j, "product_updated", 0);
    EXPECT_TRUE(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(e, "application")));
    EXPECT_EQ_STR(c7t_str(field(e, "Status"), "after"), "Deprecated");
    cJSON_Delete(j);
    cJSON *st = e2e_expect(&s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    const cJSON *prods = cJSON_GetObjectItemCaseSensitive(st, "products");
    const cJSON *a2 = cJSON_GetArrayItem(prods, 1);
    EXPECT_EQ_STR(c7t_str(a2, "sku"), "A-2");
    EXPECT_EQ_INT(c7t_num(a2, "price"), 21);
    EXPECT_EQ_STR(c7t_str(a2, "status"), "Deprecated");
    cJSON_Delete(st);

    /* A second edit later moves LastModifiedOn past the first. */
    usleep(50 * 1000);
    cJSON_Delete(e2e_expect(&s, "POST", "/_mock/product_edit", NULL,
                            "{\"sku\":\"A-1\",\"fields\":{\"SupplierCost\":3.5,\"Barcode\":\"X1\"}}", 200, 1));
    p = product(&s, "A-1");
    EXPECT_NEAR(supplier_cost(p), 3.5, 1e-9);
    EXPECT_EQ_STR(c7t_str(p, "Barcode"), "X1");
    EXPECT_TRUE(strcmp(c7t_str(p, "LastModifiedOn"), since) > 0);
    cJSON_Delete(p);
    e2e_stop(&s);
}

TEST(mock_cin7_products, bad_edits_name_the_field_and_change_nothing)
{
    e2e_server s;
    c7t_start_world(&s, "", NULL);
    cJSON *p = product(&s, "A-1");
    char *id = xstrdup(c7t_str(p, "ID"));
    char *modified = xstrdup(c7t_str(p, "LastModifiedOn"));
    cJSON_Delete(p);
    static const struct {
        const char *members, *want;
    } bad[] = {
        {"\"Colour\":\"red\"", "Colour"},
        {"\"PriceTier1\":-1", "PriceTier1"},
        {"\"PriceTier3\":1.23456", "PriceTier3"},
        {"\"WeightUnits\":\"stone\"", "WeightUnits"},
        {"\"Weight\":\"heavy\"", "Weight"},
        {"\"PriceTier1\":5,\"PriceTiers\":{\"Tier 1\":6}", "PriceTiers"},
        {"\"Suppliers\":[]", "Suppliers"},
        {"\"Suppliers\":[{\"SupplierName\":\"Nobody\",\"Cost\":1}]", "Suppliers[0].SupplierName"},
        {"\"Suppliers\":[{\"Cost\":1}]", "Suppliers[0].SupplierID"},
        {"\"Barcode\":7", "Barcode"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *body = put_body(id, bad[i].members);
        c7t_expect_error(&s, c7t_auth, "PUT", API "product", body, 400, bad[i].want);
        free(body);
    }
    /* The fields Cin7 requires, the ID that names the product, its SKU. */
    c7t_expect_error(&s, c7t_auth, "PUT", API "product", "{\"SKU\":\"A-1\",\"Name\":\"x\"}", 400, "ID");
    c7t_expect_error(&s, c7t_auth, "PUT", API "product",
                     "{\"ID\":\"x\",\"SKU\":\"A-1\",\"Name\":\"x\",\"CostingMethod\":\"FIFO\",\"UOM\":\"Item\","
                     "\"Status\":\"Active\"}",
                     400, "Category");
    char *body = put_body("00000000-0000-0000-0000-000000000000", "");
    c7t_expect_error(&s, c7t_auth, "PUT", API "product", body, 400, "not found");
    free(body);
    body = put_body(id, "");
    body[strlen(body) - 1] = '\0';
    char *renamed = xasprintf("%s}", body);
    free(body);
    char *sku = strstr(renamed, "A-1");
    sku[2] = '9';
    c7t_expect_error(&s, c7t_auth, "PUT", API "product", renamed, 400, "SKU");
    free(renamed);
    c7t_expect_error(&s, c7t_auth, "PUT", API "product", "[1]", 400, "JSON object");
    c7t_expect_error(&s, c7t_auth, "POST", API "product", "{}", 405, "does not support");

    static const struct {
        const char *body, *want;
    } ctl[] = {
        {"{\"sku\":\"A-1\"}", "$.fields"},
        {"{\"sku\":\"A-1\",\"fields\":{}}", "$.fields"},
        {"{\"sku\":\"A-1\",\"fields\":{\"Colour\":1}}", "$.fields.Colour"},
        {"{\"sku\":\"A-1\",\"fields\":{\"Status\":\"Gone\"}}", "$.fields.Status"},
        {"{\"sku\":\"A-1\",\"fields\":{\"Name\":\"\"}}", "$.fields.Name"},
        {"{\"sku\":\"NOPE\",\"fields\":{\"Name\":\"x\"}}", "NOPE"},
        {"{\"sku\":\"B-1\",\"fields\":{\"SupplierCost\":1}}", "fields.SupplierCost"},
    };
    for (size_t i = 0; i < sizeof ctl / sizeof ctl[0]; i++) {
        cJSON *v = e2e_expect(&s, "POST", "/_mock/product_edit", NULL, ctl[i].body, 400, 1);
        EXPECT_CONTAINS(c7t_str(v, "error"), ctl[i].want);
        cJSON_Delete(v);
    }
    p = product(&s, "A-1");
    EXPECT_EQ_STR(c7t_str(p, "Name"), "Anvil");
    EXPECT_EQ_STR(c7t_str(p, "LastModifiedOn"), modified);
    EXPECT_EQ_INT(c7t_num(p, "PriceTier1"), 10);
    cJSON_Delete(p);
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(c7t_count(j, "product_updated"), 0);
    cJSON_Delete(j);
    free(modified);
    free(id);
    e2e_stop(&s);
}
