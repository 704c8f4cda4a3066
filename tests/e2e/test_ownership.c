/*
 * The ownership section in a real run (surge, both mocks): the staff
 * edits reach the mocks' /_mock/product_edit at their times and are
 * journaled as staff edits, the mocks start agreeing, and the product
 * data metrics come out of the journals. The engine is a foreign one that
 * does nothing (syncd's product sync is built apart), so every edit stays
 * a discrepancy and the gate on it fails.
 */
#include "../runner.h"
#include "e2e.h"

#include "json.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* product_updated entries of a journal made by staff (no application or
 * client: who is null) that changed something; of them, *seeds set a cost
 * that was none (Shopify's start values). */
static int count_staff(char *journal, const char *who, int *seeds)
{
    int n = 0;
    *seeds = 0;
    for (char *line = strtok(journal, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *e = json_parse(line, strlen(line), NULL);
        const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(e, "kind"));
        const cJSON *fields = cJSON_GetObjectItem(e, "fields");
        if (kind && strcmp(kind, "product_updated") == 0 && cJSON_IsNull(cJSON_GetObjectItem(e, who)) &&
            cJSON_GetArraySize(fields) > 0) {
            n++;
            *seeds += cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(fields, "cost"), "before"));
        }
        cJSON_Delete(e);
    }
    return n;
}

TEST_T(ownership_run, staff_edits_reach_both_mocks_and_are_measured, 150)
{
    char *path = xasprintf("%s/own.json", test_tmp_dir());
    char *dir = xasprintf("%s/own-out", test_tmp_dir());
    FILE *f = fopen(path, "w");
    EXPECT_TRUE(f != NULL);
    fputs("{\"name\": \"own\", \"seed\": 5, \"duration\": \"4m\", \"drain\": \"10s\", \"time_scale\": 240,\n"
          " \"lag_tolerance\": \"30s\", \"suppliers\": [{\"name\": \"Acme\"}],\n"
          " \"catalog\": {\"generate\": {\"count\": 3, \"prefix\": \"P-\", \"price\": 20, \"supplier\": \"Acme\"}},\n"
          " \"warehouses\": [{\"name\": \"Main\"}], \"shops\": [{\"domain\": \"a.myshopify.com\"}],\n"
          " \"stock\": [{\"on_hand\": 10}], \"demand\": [],\n"
          " \"ownership\": {\"fields\": {\"price\": \"shopify\", \"title\": \"shopify\", \"cost\": \"cin7\",\n"
          "                            \"weight\": \"cin7\"},\n"
          "   \"edits\": [{\"side\": \"shopify\", \"fields\": [\"price\", \"title\"], \"rate\": 0.05},\n"
          "             {\"side\": \"cin7\", \"fields\": [\"cost\", \"weight\"], \"rate\": 0.05}]},\n"
          " \"engine\": {\"external\": {\"command\": \"sleep 300\", \"start_within\": \"1s\"}},\n"
          " \"gates\": {\"field_discrepancies\": 0}}\n",
          f);
    fclose(f);
    const char *const args[] = {"run", path, "--out", dir, "--quiet", NULL};
    e2e_surge_result r = e2e_surge(args);
    EXPECT_EXIT(r, 1);
    unsigned planned = 0;
    const char *said = strstr(r.err, "staff edits of product data planned");
    EXPECT_TRUE(said != NULL);
    while (said > r.err && said[-1] != '\n')
        said--;
    EXPECT_EQ_INT(sscanf(said, "surge: %u", &planned), 1);
    EXPECT_TRUE(planned >= 10); /* about 0.1 a second for 240 s */
    EXPECT_TRUE(strstr(r.err, "were refused") == NULL);

    /* The mocks started agreeing: Cin7 500 g, Shopify 500 grams; Shopify's
     * costs set through /_mock/product_edit before t0, one per SKU. */
    cJSON *c7 = e2e_load_in(dir, "cin7.json"), *sh = e2e_load_in(dir, "shopify.json");
    const cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItem(c7, "products"), 0);
    EXPECT_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(p, "weight")), 500);
    EXPECT_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(p, "weight_units")), "g");
    const cJSON *v = cJSON_GetArrayItem(
        cJSON_GetObjectItem(
            cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(sh, "shops"), 0),
                                                   "products"),
                               0),
            "variants"),
        0);
    EXPECT_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(v, "grams")), 500);
    cJSON_Delete(c7);
    cJSON_Delete(sh);
    cJSON *sum = e2e_load_in(dir, "summary.json");
    char *cj = e2e_read_in(dir, "mock-cin7.journal.jsonl");
    char *sj = e2e_read_in(dir, "mock-shopify.journal.jsonl");
    int c_seeds, s_seeds;
    int at_cin7 = count_staff(cj, "application", &c_seeds);
    int at_shopify = count_staff(sj, "by", &s_seeds);
    EXPECT_EQ_INT(c_seeds, 0);
    EXPECT_EQ_INT(s_seeds, 3);
    EXPECT_EQ_INT(at_cin7 + at_shopify, planned + 3);
    EXPECT_TRUE(at_cin7 > 0 && at_shopify > 3);
    /* Nothing synced them: every edited pair differs at the end, each a
     * stretch to the end of the run. */
    double disc = e2e_metric(sum, "field_discrepancies");
    EXPECT_TRUE(disc >= 1);
    EXPECT_TRUE(e2e_metric(sum, "discrepancy_minutes.count") >= disc);
    EXPECT_TRUE(e2e_metric(sum, "discrepancy_minutes.max") <= 4.5);
    EXPECT_EQ_INT(e2e_metric(sum, "price_discrepancy_revenue"), 0);
    /* Each pair is named, in summary.json and in the verdict: the owner's
     * value differs from the other side's (nothing carried it). */
    const cJSON *apart = cJSON_GetObjectItem(sum, "fields_apart"), *a;
    EXPECT_EQ_INT(cJSON_GetArraySize(apart), (int)disc);
    cJSON_ArrayForEach(a, apart)
    {
        EXPECT_TRUE(strncmp(cJSON_GetStringValue(cJSON_GetObjectItem(a, "sku")), "P-", 2) == 0);
        const char *owner = cJSON_GetStringValue(cJSON_GetObjectItem(a, "owner"));
        const char *field = cJSON_GetStringValue(cJSON_GetObjectItem(a, "field"));
        int cin7_owns = strcmp(field, "cost") == 0 || strcmp(field, "weight") == 0;
        EXPECT_EQ_STR(owner, cin7_owns ? "cin7" : "shopify");
        EXPECT_TRUE(cJSON_IsNumber(cJSON_GetObjectItem(a, "apart_since_s")));
    }
    char *line = xasprintf("fields left apart: %d\n", (int)disc);
    EXPECT_CONTAINS(r.out, line);
    free(line);
    free(cj);
    free(sj);
    cJSON_Delete(sum);
    free(dir);
    free(path);
    e2e_surge_free(&r);
}
