/* mock-cin7's kits: products with an assembly bill of materials and
 * auto-assembly (Cin7 Core help, "Auto-assembly"; the reference's product
 * model). Their availability is what the location's components make; a
 * sale assembles them there, whole and all or nothing. */
#include "test_mock_cin7.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API "/ExternalApi/v2/"

#define KIT_SEED                                                                                   \
    "{\"products\":[{\"sku\":\"MUG\"},{\"sku\":\"TEA\"},"                                         \
    "{\"sku\":\"BOX\",\"name\":\"Gift box\",\"bom\":[{\"sku\":\"MUG\",\"qty\":2},"               \
    "{\"sku\":\"TEA\",\"qty\":1}],\"auto_assembly\":true}],"                                     \
    "\"stock\":[{\"sku\":\"MUG\",\"location\":\"Main Warehouse\",\"on_hand\":10},"                \
    "{\"sku\":\"TEA\",\"location\":\"Main Warehouse\",\"on_hand\":3}]}"

/* field summed over the rows of list in the answer to GET path, of the
 * rows at location only when location is not NULL. */
static double sum_of(const e2e_server *s, char *path, const char *list, const char *field,
                     const char *location)
{
    cJSON *v = c7t_call(s, c7t_auth, "GET", path, NULL, 200);
    free(path);
    double sum = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(v, list))
        if (!location || strcmp(c7t_str(r, "Location"), location) == 0)
            sum += c7t_num(r, field);
    cJSON_Delete(v);
    return sum;
}

/* Available of sku at location as ref/productavailability gives it. */
static double available(const e2e_server *s, const char *sku, const char *location)
{
    return sum_of(s, xasprintf(API "ref/productavailability?Sku=%s", sku),
                  "ProductAvailabilityList", "Available", location);
}

/* The order's BackorderQuantity summed over its lines. */
static double backordered(const e2e_server *s, const char *sale)
{
    return sum_of(s, xasprintf(API "sale/order?SaleID=%s", sale), "Lines", "BackorderQuantity",
                  NULL);
}

TEST(mock_cin7, a_kit_is_assembled_from_its_components_when_a_sale_is_authorised)
{
    e2e_server s;
    c7t_start_world(&s, "\"sales\":{\"pick_after\":null}", NULL);
    cJSON_Delete(e2e_expect(&s, "POST", "/_mock/seed", NULL, KIT_SEED, 200, 1));

    /* The product says what it is made of, its components with IncludeBOM. */
    cJSON *v = c7t_call(&s, c7t_auth, "GET", API "product?Sku=BOX&IncludeBOM=true", NULL, 200);
    const cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "Products"), 0);
    EXPECT_TRUE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "BillOfMaterial")));
    EXPECT_TRUE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "AutoAssembly")));
    const cJSON *bom = cJSON_GetObjectItemCaseSensitive(p, "BillOfMaterialsProducts");
    EXPECT_EQ_INT(cJSON_GetArraySize(bom), 2);
    EXPECT_EQ_STR(c7t_str(cJSON_GetArrayItem(bom, 0), "ProductCode"), "MUG");
    EXPECT_EQ_INT(c7t_num(cJSON_GetArrayItem(bom, 0), "Quantity"), 2);
    cJSON_Delete(v);
    v = c7t_call(&s, c7t_auth, "GET", API "product?Sku=BOX", NULL, 200);
    p = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "Products"), 0);
    EXPECT_TRUE(cJSON_GetObjectItemCaseSensitive(p, "BillOfMaterialsProducts") == NULL);
    cJSON_Delete(v);

    /* 10 mugs make 5 boxes, 3 tins of tea 3: 3 boxes at Main, none East. */
    EXPECT_EQ_INT(available(&s, "BOX", "Main Warehouse"), 3);
    EXPECT_EQ_INT(available(&s, "BOX", "East"), 0);

    /* A sale of 2 boxes assembles them: 4 mugs and 2 tins leave the shelf. */
    char *sale = c7t_sale(&s, "#K1", "Main Warehouse", "BOX:2", "AUTHORISED");
    EXPECT_EQ_INT(backordered(&s, sale), 0);
    free(sale);
    EXPECT_EQ_INT(available(&s, "MUG", "Main Warehouse"), 6);
    EXPECT_EQ_INT(available(&s, "TEA", "Main Warehouse"), 1);
    EXPECT_EQ_INT(available(&s, "BOX", "Main Warehouse"), 1);
    cJSON *j = e2e_journal(&s);
    const cJSON *a = c7t_entry(j, "assembly", 0);
    EXPECT_TRUE(a != NULL);
    EXPECT_EQ_STR(c7t_str(a, "sku"), "BOX");
    EXPECT_EQ_INT(c7t_num(a, "qty"), 2);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(a, "components")), 2);
    EXPECT_TRUE(c7t_entry(j, "assembly", 1) == NULL);
    cJSON_Delete(j);

    /* 2 more: the components make 1, and Cin7 never assembles part of a
     * line: nothing is assembled and both backorder. */
    sale = c7t_sale(&s, "#K2", "Main Warehouse", "BOX:2", "AUTHORISED");
    EXPECT_EQ_INT(backordered(&s, sale), 2);
    free(sale);
    EXPECT_EQ_INT(available(&s, "MUG", "Main Warehouse"), 6);
    EXPECT_EQ_INT(available(&s, "TEA", "Main Warehouse"), 1);
    j = e2e_journal(&s);
    EXPECT_TRUE(c7t_entry(j, "assembly", 1) == NULL);
    cJSON_Delete(j);

    /* The state counts what was assembled and what it consumed. */
    cJSON *st = e2e_expect(&s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    double assembled = -1, consumed = -1;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(st, "stock"))
    {
        if (strcmp(c7t_str(c, "location"), "Main Warehouse") != 0)
            continue;
        if (strcmp(c7t_str(c, "sku"), "BOX") == 0)
            assembled = c7t_num(c, "assembled");
        if (strcmp(c7t_str(c, "sku"), "MUG") == 0)
            consumed = c7t_num(c, "consumed");
    }
    EXPECT_EQ_INT(assembled, 2);
    EXPECT_EQ_INT(consumed, 4);
    cJSON_Delete(st);
    e2e_stop(&s);
}

TEST(mock_cin7, odd_bills_of_materials_are_refused_naming_the_field)
{
    e2e_server s;
    c7t_start_world(&s, NULL, NULL);
    static const struct {
        const char *seed, *want;
    } cases[] = {
        {"{\"products\":[{\"sku\":\"K\",\"bom\":[{\"sku\":\"NOPE\",\"qty\":1}]}]}",
         "$.products[0].bom[0].sku: unknown SKU"},
        {"{\"products\":[{\"sku\":\"K\",\"bom\":[{\"sku\":\"A-1\",\"qty\":0}]}]}",
         "$.products[0].bom[0].qty"},
        {"{\"products\":[{\"sku\":\"K\",\"bom\":[{\"sku\":\"A-1\"}]}]}", "$.products[0].bom[0].qty"},
        {"{\"products\":[{\"sku\":\"K\",\"bom\":[{\"sku\":\"A-1\",\"qty\":1,\"wastage_qty\":1}]}]}",
         "$.products[0].bom[0].wastage_qty"},
        {"{\"products\":[{\"sku\":\"K\",\"bom\":[{\"sku\":\"K\",\"qty\":1}]}]}",
         "$.products[0].bom[0].sku"},
        {"{\"products\":[{\"sku\":\"K\",\"bom\":[{\"sku\":\"A-1\",\"qty\":1},{\"sku\":\"A-1\",\"qty\":2}]}]}",
         "$.products[0].bom[1].sku"},
        {"{\"products\":[{\"sku\":\"K\",\"bom\":[]}]}", "$.products[0].bom"},
        {"{\"products\":[{\"sku\":\"K\",\"auto_assembly\":true}]}", "$.products[0].auto_assembly"},
        {"{\"products\":[{\"sku\":\"K\",\"bom\":[{\"sku\":\"A-1\",\"qty\":1}]},"
         "{\"sku\":\"K2\",\"bom\":[{\"sku\":\"K\",\"qty\":1}]}]}",
         "$.products[1].bom[0].sku"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *v = e2e_expect(&s, "POST", "/_mock/seed", NULL, cases[i].seed, 400, 1);
        EXPECT_CONTAINS(c7t_str(v, "error"), cases[i].want);
        cJSON_Delete(v);
    }
    /* Nothing was added: K is free for a good seed. */
    cJSON_Delete(e2e_expect(&s, "POST", "/_mock/seed", NULL,
                            "{\"products\":[{\"sku\":\"K\",\"bom\":[{\"sku\":\"A-1\",\"qty\":0.5}]}]}",
                            200, 1));
    e2e_stop(&s);
}
