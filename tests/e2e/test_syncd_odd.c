/* syncd against signed bodies that are odd or replayed: a paid order's body
 * resent as orders/cancelled, a forged cancellation Shopify does not
 * confirm, quantities and ids a double cannot carry. Each is dead-lettered
 * with the field at fault and moves nothing; real orders still flow, and a
 * real cancellation still voids its sale. */
#include "test_syncd.h"

#include "json.h"
#include "mem.h"

#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Dead letters whose reason contains text. */
static int dead_with(const sdt_world *w, const char *text)
{
    const cJSON *list, *d;
    cJSON *v = sdt_dlq(w, &list);
    int n = 0;
    cJSON_ArrayForEach(d, list)
    {
        if (strstr(sdt_str(d, "reason"), text))
            n++;
    }
    cJSON_Delete(v);
    return n;
}

typedef struct {
    const sdt_world *w;
    int64_t order;
} order_ref;

/* sdt_wait condition: the order has no live sale. */
static int no_sale_left(void *ud)
{
    const order_ref *k = ud;
    return sdt_sales_now(k->w, k->order) == 0;
}

TEST_T(syncd_e2e, a_paid_body_replayed_as_cancelled_voids_nothing, 120)
{
    sdt_world w;
    sdt_start_basic(&w, "", NULL);
    int64_t order = sdt_checkout(&w, "A-1", 1, NULL);
    EXPECT_EQ_INT(sdt_wait_sales(&w, &order, 1, 30000), 1);
    sdt_wait_quiet(&w, 30000);

    /* Shopify signs the body only: the paid order's own body, correctly
     * signed, under the cancelled topic and fresh ids. */
    char *paid = sdt_order_json(&w, order);
    EXPECT_EQ_INT(sdt_send_webhook(&w, "orders/cancelled", paid, SDT_SECRET, "replay-1", "replay-e1"),
                  200);
    /* The same body claiming a cancellation Shopify never made. */
    cJSON *forged = json_parse(paid, strlen(paid), NULL);
    cJSON_ReplaceItemInObjectCaseSensitive(forged, "cancelled_at",
                                           cJSON_CreateString("2026-12-05T10:00:00+00:00"));
    char *forged_text = json_print(forged);
    EXPECT_EQ_INT(sdt_send_webhook(&w, "orders/cancelled", forged_text, SDT_SECRET, "forge-1",
                                   "forge-e1"),
                  200);
    free(forged_text);
    cJSON_Delete(forged);
    free(paid);
    test_count("bad inputs tried", 2);
    sdt_wait_quiet(&w, 30000);
    EXPECT_EQ_INT(sdt_sales_now(&w, order), 1);
    EXPECT_EQ_INT(sdt_dlq_count(&w), 2);
    EXPECT_EQ_INT(dead_with(&w, "$.cancelled_at: not set"), 1);
    char want[96];
    snprintf(want, sizeof want, "Shopify says order %lld is not cancelled", (long long)order);
    EXPECT_EQ_INT(dead_with(&w, want), 1);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_sales_voided_total"), -1);

    /* A real cancellation in Shopify still voids the sale. */
    char *body = xasprintf("{\"shop\":\"" SDT_SHOP "\",\"order_id\":%lld}", (long long)order);
    cJSON_Delete(e2e_expect(&w.shop, "POST", "/_mock/cancel", NULL, body, 200, 1));
    free(body);
    order_ref k = {&w, order};
    EXPECT_TRUE(sdt_wait(no_sale_left, &k, 30000));
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_sales_voided_total"), 1);
    EXPECT_EQ_INT(sdt_dlq_count(&w), 2);
    sdt_stop(&w);
}

/* Signed orders/paid bodies that must be refused, and what the dead
 * letter must name. */
static const struct {
    long long id;
    const char *line, *want;
} odd_orders[] = {
    {7001, "{\"sku\":\"A-1\",\"quantity\":-5,\"price\":\"10.00\"}", "$.line_items[0].quantity: -5"},
    {7002, "{\"sku\":\"A-1\",\"quantity\":0.5,\"price\":\"10.00\"}", "$.line_items[0].quantity"},
    {7003, "{\"sku\":\"A-1\",\"quantity\":1e400,\"price\":\"10.00\"}", "$.line_items[0].quantity"},
    {7004, "{\"sku\":\"A-1\",\"quantity\":1e19,\"price\":\"10.00\"}", "$.line_items[0].quantity"},
    {7005, "{\"sku\":\"A-1\",\"quantity\":9007199254740993,\"price\":\"10.00\"}",
     "$.line_items[0].quantity"},
    {7006, "{\"sku\":\"A-1\",\"quantity\":5e18,\"price\":\"10.00\"},"
           "{\"sku\":\"A-1\",\"quantity\":5e18,\"price\":\"10.00\"}",
     "$.line_items[0].quantity"},
    {7007, "{\"sku\":\"A-1\",\"quantity\":1,\"price\":\"1e400\"}", "$.line_items[0].price"},
    {-1, "{\"sku\":\"A-1\",\"quantity\":1,\"price\":\"10.00\"}", "$.id"},
};

TEST_T(syncd_e2e, odd_quantities_and_ids_are_dead_lettered_and_others_flow, 120)
{
    sdt_world w;
    sdt_start_basic(&w, "", NULL);
    size_t n = sizeof odd_orders / sizeof odd_orders[0];
    test_count("bad inputs tried", (long)n);
    for (size_t i = 0; i < n; i++) {
        char *body = odd_orders[i].id > 0
                         ? xasprintf("{\"id\":%lld,\"financial_status\":\"paid\",\"line_items\":[%s]}",
                                     odd_orders[i].id, odd_orders[i].line)
                         : xasprintf("{\"id\":1e400,\"financial_status\":\"paid\",\"line_items\":[%s]}",
                                     odd_orders[i].line);
        char wid[32];
        snprintf(wid, sizeof wid, "odd-%zu", i);
        EXPECT_EQ_INT(sdt_send_webhook(&w, "orders/paid", body, SDT_SECRET, wid, wid), 200);
        free(body);
    }
    /* A real order of another SKU is pushed as usual. */
    int64_t good = sdt_checkout(&w, "A-2", 1, NULL);
    EXPECT_EQ_INT(sdt_wait_sales(&w, &good, 1, 30000), 1);
    sdt_wait_quiet(&w, 30000);
    EXPECT_EQ_INT(sdt_dlq_count(&w), (int)n);
    for (size_t i = 0; i < n; i++)
        if (dead_with(&w, odd_orders[i].want) < 1)
            test_fail(__FILE__, __LINE__, "no dead letter names \"%s\"", odd_orders[i].want);
    /* No sale but the good one ("inf" included), and nothing of the odd
     * orders was reserved: A-1's level at Shopify never moved. */
    cJSON *st = sdt_cin7_state(&w);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(st, "sales")), 1);
    cJSON_Delete(st);
    EXPECT_TRUE(sdt_wait_level(&w, "A-2", 99, 30000));
    EXPECT_EQ_INT(sdt_shop_available(&w, "A-1"), 100);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_events_dead_total"), (int64_t)n);
    sdt_stop(&w);
}

/* sdt_wait condition: syncd holds an event leased, or has dead-lettered
 * one. */
static int leased_or_dead(void *ud)
{
    const sdt_world *w = ud;
    return sdt_metric(w, "syncd_events{state=\"leased\"}") >= 1 || sdt_dlq_count(w) >= 1;
}

TEST_T(syncd_e2e, an_event_that_stops_syncd_each_time_is_dead_lettered, 180)
{
    /* An event whose handler never comes back (here: Cin7 holds every
     * sale POST, the header's and the lines', and syncd is killed mid-call
     * each time, as a crash would end it) uses up its tries at lease time,
     * and is dead-lettered instead of being run again after the last one. */
    sdt_world w;
    sdt_start_basic(&w, "", "{\"retry\":{\"max_attempts\":2}}");
    e2e_faults(&w.cin7, "[{\"kind\":\"latency\",\"target\":\"POST /ExternalApi/v2/sale*\","
                        "\"ms\":\"10m\"}]");
    int64_t order = sdt_checkout(&w, "A-1", 1, NULL);
    int kills = 0;
    for (int round = 0; round < 5 && sdt_dlq_count(&w) == 0; round++) {
        EXPECT_TRUE(sdt_wait(leased_or_dead, &w, 30000));
        if (sdt_dlq_count(&w) > 0)
            break;
        sdt_kill_syncd(&w);
        kills++;
        sdt_start_syncd(&w); /* same config, store and port */
        sdt_wait_ready(&w);
    }
    EXPECT_EQ_INT(kills, 2);
    EXPECT_TRUE(sdt_wait(leased_or_dead, &w, 30000));
    EXPECT_EQ_INT(sdt_dlq_count(&w), 1);
    EXPECT_EQ_INT(dead_with(&w, "handler did not finish in 2 tries"), 1);
    /* syncd stays up: with Cin7 answering again, the next order goes
     * through, and the poisoned one made no sale. */
    e2e_faults(&w.cin7, "[]");
    int64_t next = sdt_checkout(&w, "A-2", 1, NULL);
    EXPECT_EQ_INT(sdt_wait_sales(&w, &next, 1, 30000), 1);
    sdt_wait_quiet(&w, 30000);
    EXPECT_EQ_INT(sdt_dlq_count(&w), 1);
    (void)order;
    sdt_stop(&w);
}

/* POSTs body to syncd's Cin7 webhook route as the given type; the answer
 * must be 200 (Cin7 must not retry a body it will never take). */
static void send_cin7(const sdt_world *w, const char *type, const char *body)
{
    const char *hdrs[] = {"Authorization: Bearer " SDT_CIN7_HOOK_TOKEN,
                          "Content-Type: application/json", NULL};
    char *path = xasprintf("/webhooks/cin7?type=%s", type);
    cJSON_Delete(e2e_expect(&w->syncd, "POST", path, hdrs, body, 200, 1));
    free(path);
}

TEST_T(syncd_e2e, odd_cin7_notifications_are_dead_lettered_naming_the_field, 120)
{
    /* A sale notification whose SaleID is not a Cin7 id is never sent back
     * to Cin7 in a read; a stock notification's good rows are synced while
     * its bad ones are dead-lettered. */
    sdt_world w;
    sdt_start_basic(&w, "", NULL);
    sdt_wait_quiet(&w, 30000);
    int64_t reads = sdt_metric(&w, "syncd_snapshot_reads_total");
    send_cin7(&w, "Sale/ShipmentAuthorised",
              "{\"SaleID\":\"../sale?ID=x\",\"EventType\":\"Sale/ShipmentAuthorised\"}");
    send_cin7(&w, "Sale/Backordered", "{\"SaleOrderNumber\":\"SO-1\",\"EventType\":\"Sale/Backordered\"}");
    send_cin7(&w, "Stock/AvailableStockLevelChanged",
              "[{\"SKU\":\"A-1\",\"Location\":\"Main\",\"Available\":100},{\"SKU\":42}]");
    test_count("bad inputs tried", 3);
    sdt_wait_quiet(&w, 30000);
    EXPECT_EQ_INT(sdt_dlq_count(&w), 3);
    EXPECT_EQ_INT(dead_with(&w, "$.SaleID: expected a Cin7 id (a GUID), got \"../sale?ID=x\""), 1);
    EXPECT_EQ_INT(dead_with(&w, "$.SaleID: required field is missing"), 1);
    EXPECT_EQ_INT(dead_with(&w, "1 of 2 stock rows refused; first: $[1].SKU"), 1);
    /* The good row still brought a stock read. */
    EXPECT_TRUE(sdt_wait_metric(&w, "syncd_snapshot_reads_total", reads + 1, 30000));
    cJSON *j = e2e_journal(&w.cin7);
    int sale_reads = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        const cJSON *route = cJSON_GetObjectItemCaseSensitive(e, "route");
        if (strcmp(sdt_str(e, "kind"), "request") == 0 && cJSON_IsString(route) &&
            strcmp(route->valuestring, "/ExternalApi/v2/sale") == 0 &&
            strcmp(sdt_str(e, "method"), "GET") == 0)
            sale_reads++;
    }
    cJSON_Delete(j);
    EXPECT_EQ_INT(sale_reads, 0);
    sdt_stop(&w);
}

TEST_T(syncd_e2e, a_sku_whose_ledger_cannot_be_read_holds_back_no_other, 120)
{
    /* A reservation row no ledger of whole units can hold (here: -5 units
     * of A-1, as a store written by an older syncd may carry) makes A-1's
     * pending units unreadable. Stock moves on both SKUs in Cin7: A-2's
     * level must still follow, while A-1 is set aside (counted, said, and
     * tried again later) and its level is left alone. */
    sdt_world w;
    sdt_start_basic(&w, "", NULL);
    sdt_kill_syncd(&w);
    char *path = xasprintf("%s/syncd.db", test_tmp_dir());
    sqlite3 *db = NULL;
    EXPECT_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    EXPECT_EQ_INT(sqlite3_exec(db,
                               "INSERT INTO reservations(shop, order_id, sku, qty, placed_at)"
                               " VALUES ('" SDT_SHOP "', '999', 'A-1', -5, 0)",
                               NULL, NULL, NULL),
                  SQLITE_OK);
    sqlite3_close(db);
    free(path);
    sdt_start_syncd(&w);
    sdt_wait_ready(&w);
    for (int i = 0; i < 2; i++) {
        char body[160];
        snprintf(body, sizeof body, "{\"sku\":\"A-%d\",\"location\":\"Main\",\"on_hand\":60}", i + 1);
        cJSON_Delete(e2e_expect(&w.cin7, "POST", "/_mock/adjust", NULL, body, 200, 1));
    }
    EXPECT_TRUE(sdt_wait_level(&w, "A-2", 60, 30000));
    EXPECT_TRUE(sdt_wait_metric(&w, "syncd_inventory_skus_set_aside_total", 2, 30000));
    EXPECT_EQ_INT(sdt_shop_available(&w, "A-1"), 100);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_inventory_retries_total") > 0, 0);
    sdt_stop(&w);
}
