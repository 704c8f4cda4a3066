/*
 * syncd end to end: what a restart starts on, and level writes whose
 * answer was lost. A syncd restarted while Cin7 is down becomes ready on
 * the catalog, subscriptions and stock figures an earlier start kept, and
 * keeps the shops' levels right meanwhile; a level write Shopify applied
 * but never answered (syncd killed while waiting) is settled by sending it
 * again with its idempotency key, so the units syncd itself took off a
 * level never count as sold by nobody. Judged by the mocks' ground truth;
 * every wait is bounded.
 */
#include "test_syncd.h"

#include "json.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Waits (bounded) until syncd has read the Shopify levels; fails naming
 * its log otherwise. */
static void levels_read(sdt_world *w)
{
    if (!e2e_wait(sdt_levels_read, w, 20000))
        test_fail(__FILE__, __LINE__, "syncd never read the Shopify levels (log %s)", w->syncd.log);
}

/* Shopify level writes of sku to available `to` in mock-shopify's
 * journal. */
static int writes_to(const sdt_world *w, const char *sku, int64_t to)
{
    cJSON *j = e2e_journal(&w->shop);
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        if (strcmp(sdt_str(e, "kind"), "inventory") == 0 &&
            strcmp(sdt_str(e, "by"), "graphql_set") == 0 && strcmp(sdt_str(e, "sku"), sku) == 0 &&
            (int64_t)sdt_num(e, "new") == to)
            n++;
    }
    cJSON_Delete(j);
    return n;
}

TEST_T(syncd_boot, a_restart_while_cin7_is_down_starts_on_what_it_kept, 120)
{
    sdt_world w;
    sdt_start_basic(&w, "", "{\"reconcile\":{\"interval\":\"1h\"}}");
    levels_read(&w);
    /* Cin7 down for 20 simulated minutes (20 s here), and syncd restarted
     * in it. */
    int64_t at = sdt_now(&w), span = 1200000;
    char plan[256];
    snprintf(plan, sizeof plan,
             "[{\"kind\":\"outage\",\"target\":\"*/ExternalApi/v2/*\",\"at\":%lld,\"for\":%lld}]",
             (long long)at, (long long)span);
    e2e_faults(&w.cin7, plan);
    sdt_kill_syncd(&w);
    sdt_start_syncd(&w);
    if (!e2e_wait(sdt_healthy, &w, 10000))
        test_fail(__FILE__, __LINE__, "syncd not ready within 10 s of a restart during the outage "
                                      "(log %s)", w.syncd.log);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_boot_kept_total{what=\"catalog\"}"), 1);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_boot_kept_total{what=\"webhooks\"}"), 1);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_boot_kept_total{what=\"stock\"}"), 1);

    /* Someone sets a level by hand; a reconciliation run puts it back on
     * the kept figures, Cin7 still down. */
    cJSON_Delete(e2e_expect(&w.shop, "POST", "/_mock/seed", NULL,
                            "{\"levels\":[{\"sku\":\"A-1\",\"available\":250}]}", 200, 1));
    const char *const admin[] = {SDT_ADMIN, NULL};
    cJSON_Delete(e2e_expect(&w.syncd, "POST", "/admin/reconcile", admin, "", 202, 1));
    EXPECT_TRUE(sdt_wait_level(&w, "A-1", 100, 10000));
    EXPECT_LT_INT(sdt_now(&w), at + span);

    /* An order taken meanwhile reaches Cin7 once, after the outage. */
    int64_t order = sdt_checkout(&w, "A-2", 2, NULL);
    if (sdt_wait_sales(&w, &order, 1, 60000) != 1)
        test_fail(__FILE__, __LINE__, "order %lld never reached Cin7 (log %s)", (long long)order,
                  w.syncd.log);
    EXPECT_GE_INT(sdt_now(&w), at + span);
    sdt_wait_quiet(&w, 30000);
    sdt_expect_one_sale_each(&w, &order, 1);
    EXPECT_EQ_INT(sdt_shop_available(&w, "A-2"), 98);
    EXPECT_EQ_INT(sdt_dlq_count(&w), 0);
    sdt_stop(&w);
}

/* A level write of sku to `to` has reached mock-shopify. */
typedef struct {
    const sdt_world *w;
    const char *sku;
    int64_t to;
} write_wait;

static int written(void *ud)
{
    const write_wait *ww = ud;
    return writes_to(ww->w, ww->sku, ww->to) > 0;
}

TEST_T(syncd_boot, a_level_write_applied_but_unanswered_is_settled_not_counted_as_sold, 120)
{
    /* Shopify answers late (2 simulated minutes: 2 s here) but applies at
     * once; syncd waits up to 5 minutes for an answer, so it is still
     * waiting for its write's answer when it is killed. */
    sdt_world w;
    sdt_start_basic(&w, "", "{\"shopify_http_timeout\":\"5m\"}");
    levels_read(&w);
    e2e_faults(&w.shop, "[{\"kind\":\"latency\",\"target\":\"POST */graphql.json\",\"ms\":120000}]");
    /* Cin7 sells 40 units elsewhere: syncd writes A-1 down to 60. */
    cJSON_Delete(e2e_expect(&w.cin7, "POST", "/_mock/adjust", NULL,
                            "{\"sku\":\"A-1\",\"location\":\"Main\",\"on_hand\":60}", 200, 1));
    write_wait ww = {&w, "A-1", 60};
    if (!e2e_wait(written, &ww, 20000))
        test_fail(__FILE__, __LINE__, "syncd never wrote A-1 down to 60 (log %s)", w.syncd.log);
    sdt_kill_syncd(&w);
    e2e_faults(&w.shop, "[]");
    EXPECT_EQ_INT(sdt_shop_available(&w, "A-1"), 60);

    /* The restarted syncd settles the write before it syncs A-1 again: it
     * was applied, so the level's fall from 100 to 60 was syncd's own
     * and nobody's sale. Counted as an unknown sale it would take A-1 down
     * to 20. */
    sdt_start_syncd(&w);
    sdt_wait_ready(&w);
    levels_read(&w);
    sdt_wait_quiet(&w, 30000);
    EXPECT_EQ_INT(sdt_shop_available(&w, "A-1"), 60);
    EXPECT_EQ_INT(writes_to(&w, "A-1", 20), 0);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_inventory_writes_settled_total"), 1);
    /* Shopify answered the repeat from its idempotency record. */
    cJSON *stats = e2e_expect(&w.shop, "GET", "/_mock/stats", NULL, NULL, 200, 1);
    char *text = json_print(stats);
    EXPECT_CONTAINS(text, "graphql idempotent replays");
    free(text);
    cJSON_Delete(stats);
    sdt_stop(&w);
}

/* A harness ends its drain once syncd's backlog (syncd_queue_depth plus
 * syncd_dirty_skus) and both mocks' pending work read 0 a few times in a
 * row. A level sync taken out of the dirty set and still on its way must
 * count as waiting, or the run is measured before its write lands. */
TEST_T(syncd_boot, a_level_sync_on_its_way_counts_as_waiting_until_written, 60)
{
    sdt_world w;
    sdt_start_basic(&w, "", "{\"shopify_http_timeout\":\"2m\"}");
    levels_read(&w);
    sdt_wait_quiet(&w, 30000);
    /* Every GraphQL call now takes 20 simulated seconds (a third of a real one):
     * the sync's level read and its write. */
    e2e_faults(&w.shop, "[{\"kind\":\"latency\",\"target\":\"POST */graphql.json\",\"ms\":\"20s\"}]");
    cJSON_Delete(e2e_expect(&w.cin7, "POST", "/_mock/adjust", NULL,
                            "{\"sku\":\"A-1\",\"location\":\"Main\",\"on_hand\":60}", 200, 1));
    /* Until Shopify shows 60, nothing may look idle: the Cin7 change is
     * pending at mock-cin7, then queued, then marked, then on its way. */
    int looks = 0, idle = 0;
    while (sdt_shop_available(&w, "A-1") != 60 && looks < 1500) {
        looks++;
        int64_t queued = sdt_metric(&w, "syncd_queue_depth");
        int64_t dirty = sdt_metric(&w, "syncd_dirty_skus");
        if (queued == 0 && dirty == 0 && sdt_pending(&w.cin7) == 0 && sdt_pending(&w.shop) == 0)
            idle++;
        e2e_sleep_ms(10);
    }
    EXPECT_EQ_INT(sdt_shop_available(&w, "A-1"), 60);
    /* The read and the write took two thirds of a real second: they were
     * looked at meanwhile. */
    EXPECT_GT_INT(looks, 20);
    EXPECT_EQ_INT(idle, 0);
    e2e_faults(&w.shop, "[]");
    sdt_wait_quiet(&w, 30000);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_dirty_skus"), 0);
    sdt_stop(&w);
}

/* Without a clock_origin, a syncd on a SQLite store counts its times from
 * that store's first start, so a restart does not take the times it kept
 * (when an order's units reached Cin7, when a retry is due) for times to
 * come. Counted from each start, an order pushed before the restart read
 * as still on its way until the new clock caught up with it, and its
 * units came off the level a second time. */
TEST_T(syncd_boot, a_restart_without_a_clock_origin_keeps_the_times_it_kept, 120)
{
    sdt_world w;
    sdt_start_basic(&w, "", "{\"clock_origin\":-1}");
    levels_read(&w);
    int64_t order = sdt_checkout(&w, "A-1", 5, NULL);
    EXPECT_EQ_INT(sdt_wait_sales(&w, &order, 1, 30000), 1);
    sdt_wait_quiet(&w, 30000);
    EXPECT_TRUE(sdt_wait_level(&w, "A-1", 95, 30000));
    /* Three simulated minutes on, syncd restarts. */
    e2e_sleep_ms(3000);
    sdt_kill_syncd(&w);
    sdt_start_syncd(&w);
    sdt_wait_ready(&w);
    /* A count in Cin7 finds 99: 94 can be sold (the order holds 5). */
    cJSON_Delete(e2e_expect(&w.cin7, "POST", "/_mock/adjust", NULL,
                            "{\"sku\":\"A-1\",\"location\":\"Main\",\"on_hand\":99}", 200, 1));
    EXPECT_TRUE(sdt_wait_level(&w, "A-1", 94, 30000));
    sdt_wait_quiet(&w, 30000);
    EXPECT_EQ_INT(sdt_shop_available(&w, "A-1"), 94);
    EXPECT_EQ_INT(writes_to(&w, "A-1", 89), 0);
    sdt_stop(&w);
}
