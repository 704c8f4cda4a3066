/*
 * syncd end to end, issue 7: reconciliation recovers an order whose
 * webhooks were all dropped (once, and still once when the webhook comes
 * after all); poll mode moves levels only on the poll; shipped Cin7 sales
 * become Shopify fulfillments with their tracking numbers, once, partial
 * for a split order; `syncd audit-skus` output and exit codes. Each test
 * runs mock-cin7, mock-shopify and syncd on one simulated clock (the world
 * of test_syncd_util.c) and judges by the mocks' ground truth. Every wait
 * is bounded.
 */
#include "test_syncd.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* Members merged over mock-cin7's config: its sales are picked, packed and
 * shipped a simulated minute apart (by default they stay ORDERED). */
#define SHIPPING "{\"sales\":{\"pick_after\":\"1m\",\"pack_after\":\"1m\",\"ship_after\":\"1m\"}}"
#define POLL_HOURLY "{\"mode\":\"poll\",\"poll_interval\":\"1h\"}"

/* ---- helpers ---------------------------------------------------------------------- */

/* A string field that may be missing: NULL then. */
static const char *str_or_null(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* mock-cin7's config (sdt_cin7_config) with sales that ship (SHIPPING). */
static char *cin7_shipping(const char *locations, const char *products, const char *stock)
{
    char *base = sdt_cin7_config(locations, products, stock);
    char *c7 = sdt_json_merge(base, SHIPPING);
    free(base);
    return c7;
}

/* Asks syncd for a reconciliation run (in poll mode: a poll) now. */
static void reconcile_now(const sdt_world *w)
{
    const char *const admin[] = {SDT_ADMIN, NULL};
    cJSON *v = e2e_expect(&w->syncd, "POST", "/admin/reconcile", admin, "", 202, 1);
    cJSON_Delete(v);
}

static void wait_metric(const sdt_world *w, const char *name, int64_t at_least, int timeout_ms)
{
    if (!sdt_wait_metric(w, name, at_least, timeout_ms))
        test_fail(__FILE__, __LINE__, "%s stayed below %lld for %d ms (it is %lld; log %s)", name,
                  (long long)at_least, timeout_ms, (long long)sdt_metric(w, name), w->syncd.log);
}

static int queue_empty(void *ud)
{
    return sdt_metric(ud, "syncd_queue_depth") == 0;
}

/* mock-shopify journal entries of kind whose field key contains text. */
static int shop_journal_count(const sdt_world *w, const char *kind, const char *key,
                              const char *text)
{
    cJSON *j = e2e_journal(&w->shop);
    int n = sdt_count_kind(j, kind, key, text);
    cJSON_Delete(j);
    return n;
}

/* Levels syncd wrote to Shopify. */
static int level_writes(const sdt_world *w)
{
    return shop_journal_count(w, "inventory", "by", "graphql_set");
}

/* ---- reconciliation ---------------------------------------------------------------- */

TEST_T(syncd7, reconcile_recovers_an_order_whose_webhooks_were_all_dropped, 120)
{
    sdt_world w;
    /* A reconcile interval of 2 simulated minutes: 2 s here. */
    sdt_start_basic(&w, "", "{\"reconcile\":{\"interval\":\"2m\",\"overlap\":\"10m\"}}");
    e2e_faults(&w.shop, "[{\"kind\":\"drop\",\"target\":\"orders/paid\"}]");
    int64_t order = sdt_checkout(&w, "A-1", 2, NULL);

    /* No webhook brings it; a reconciliation run does, once. */
    if (sdt_wait_sales(&w, &order, 1, 30000) != 1)
        test_fail(__FILE__, __LINE__, "order %lld never reached Cin7 (log %s)", (long long)order,
                  w.syncd.log);
    EXPECT_EQ_INT(sdt_sales_now(&w, order), 1);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_reconcile_orders_recovered_total"), 1);
    EXPECT_GE_INT(sdt_metric(&w, "syncd_reconcile_runs_total"), 1);
    /* Every delivery attempt of orders/paid failed: the drop was real. */
    cJSON *j = e2e_journal(&w.shop);
    int attempts = 0, delivered = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        const char *topic = str_or_null(e, "topic");
        if (strcmp(sdt_str(e, "kind"), "webhook_attempt") != 0 || !topic ||
            strcmp(topic, "orders/paid") != 0)
            continue;
        attempts++;
        delivered += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "ok"));
    }
    cJSON_Delete(j);
    EXPECT_GE_INT(attempts, 1);
    EXPECT_EQ_INT(delivered, 0);

    /* The webhook arrives after all (Shopify's last retry, say): still one
     * sale. */
    char *body = sdt_order_json(&w, order);
    EXPECT_EQ_INT(sdt_send_webhook(&w, "orders/paid", body, SDT_SECRET, "late-delivery-1", NULL), 200);
    free(body);
    wait_metric(&w, "syncd_events_done_total", 2, 20000);
    EXPECT_TRUE(e2e_wait(queue_empty, &w, 20000));
    EXPECT_EQ_INT(sdt_sales_now(&w, order), 1);

    /* Later runs see the order known and leave it alone. */
    int64_t runs = sdt_metric(&w, "syncd_reconcile_runs_total");
    wait_metric(&w, "syncd_reconcile_runs_total", runs + 2, 30000);
    EXPECT_TRUE(e2e_wait(queue_empty, &w, 20000));
    EXPECT_EQ_INT(sdt_sales_now(&w, order), 1);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_reconcile_orders_recovered_total"), 1);
    /* And Shopify shows what Cin7 has left. (Whether a run found drift
     * depends on timing: the start-up sync may land after the checkout,
     * before any baseline, and re-offer its units until a run repairs it.) */
    EXPECT_EQ_INT(sdt_shop_available(&w, "A-1"), 98);
    sdt_stop(&w);
}

TEST_T(syncd7, reconcile_repairs_level_drift, 120)
{
    sdt_world w;
    sdt_start_basic(&w, "", "{\"reconcile\":{\"interval\":\"1h\"}}");
    /* A fresh start waits one interval: no run yet. */
    EXPECT_LE_INT(sdt_metric(&w, "syncd_reconcile_runs_total"), 0);
    /* The start-up sync has read the levels (and found them right), so
     * what follows is drift only a reconciliation finds. */
    if (!e2e_wait(sdt_levels_read, &w, 20000))
        test_fail(__FILE__, __LINE__, "syncd never read the Shopify levels (log %s)", w.syncd.log);
    /* Someone sets the Shopify level by hand; no webhook tells syncd. */
    cJSON *v = e2e_expect(&w.shop, "POST", "/_mock/seed", NULL,
                          "{\"levels\":[{\"sku\":\"A-1\",\"available\":250}]}", 200, 1);
    cJSON_Delete(v);
    EXPECT_EQ_INT(sdt_shop_available(&w, "A-1"), 250);
    /* The admin API asks for a run now. */
    reconcile_now(&w);
    wait_metric(&w, "syncd_reconcile_drift_skus_total", 1, 20000);
    EXPECT_EQ_INT(sdt_shop_available(&w, "A-1"), 100);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_reconcile_drift_skus_total"), 1);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_reconcile_anomalies_total{kind=\"level_drift\"}"), 1);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_reconcile_runs_total"), 1);
    sdt_stop(&w);
}

/* ---- poll mode ------------------------------------------------------------------------ */

TEST_T(syncd7, poll_mode_moves_levels_only_on_the_poll, 120)
{
    sdt_world w;
    /* An hour between polls: a minute of real time. The test asks for
     * the second poll through the admin API instead of waiting. */
    sdt_start_world_take(
        &w,
        sdt_cin7_config("[{\"name\":\"Main\"}]", "[{\"sku\":\"A-1\",\"price\":10}]",
                        "[{\"sku\":\"A-1\",\"location\":\"Main\",\"on_hand\":80}]"),
        sdt_shop_config("[{\"title\":\"A\",\"variants\":[{\"sku\":\"A-1\",\"price\":\"10.00\","
                        "\"available\":100}]}]",
                        ""),
        "[{\"name\":\"Main\"}]", POLL_HOURLY);

    /* The first poll comes at once and writes the level. */
    if (!sdt_wait_level(&w, "A-1", 80, 20000))
        test_fail(__FILE__, __LINE__, "the first poll did not write 80 (log %s)", w.syncd.log);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_poll_runs_total"), 1);
    EXPECT_EQ_INT(level_writes(&w), 1);
    /* No webhook was registered on either side. */
    cJSON *st = sdt_shop_state(&w);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
                      cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, "shops"), 0),
                      "subscriptions")),
                  0);
    cJSON_Delete(st);
    st = sdt_cin7_state(&w);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(st, "subscriptions")), 0);
    cJSON_Delete(st);

    /* Between polls: a shopper buys 5, the shop floor sells 10. */
    int64_t order = sdt_checkout(&w, "A-1", 5, NULL);
    cJSON *v = e2e_expect(&w.cin7, "POST", "/_mock/channel-sale", NULL,
                          "{\"sku\":\"A-1\",\"location\":\"Main\",\"qty\":10}", 200, 1);
    cJSON_Delete(v);
    /* Three simulated minutes later (of the hour): nothing moved. */
    e2e_sleep_ms(3000);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_poll_runs_total"), 1);
    EXPECT_EQ_INT(level_writes(&w), 1);
    EXPECT_EQ_INT(sdt_shop_available(&w, "A-1"), 75);
    EXPECT_EQ_INT(sdt_sales_now(&w, order), 0);

    /* The next poll: the order is pushed, the level written once:
     * Cin7's 70 less the 5 of the order Cin7 may not show yet. */
    reconcile_now(&w);
    EXPECT_EQ_INT(sdt_wait_sales(&w, &order, 1, 20000), 1);
    EXPECT_TRUE(sdt_wait_level(&w, "A-1", 65, 20000));
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_poll_runs_total"), 2);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_poll_orders_total"), 1);
    /* The pushed order marks its SKU (syncd_poll_waiting_skus), which
     * waits for the next poll: two simulated minutes on, no write. */
    EXPECT_TRUE(e2e_wait(queue_empty, &w, 20000));
    EXPECT_GE_INT(sdt_metric(&w, "syncd_poll_waiting_skus"), 0);
    e2e_sleep_ms(2000);
    EXPECT_EQ_INT(level_writes(&w), 2);
    EXPECT_EQ_INT(sdt_shop_available(&w, "A-1"), 65);
    EXPECT_EQ_INT(sdt_sales_now(&w, order), 1);
    sdt_stop(&w);
}

/* ---- fulfillments --------------------------------------------------------------------- */

/* Fulfillment journal entries of an order; *entries (may be NULL) gets
 * copies of them (caller frees). */
static int fulfillments_of(const sdt_world *w, int64_t order, cJSON **entries)
{
    cJSON *j = e2e_journal(&w->shop);
    cJSON *out = cJSON_CreateArray();
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        if (strcmp(sdt_str(e, "kind"), "fulfillment") == 0 && (int64_t)sdt_num(e, "order_id") == order)
            cJSON_AddItemToArray(out, cJSON_Duplicate(e, 1));
    }
    cJSON_Delete(j);
    int n = cJSON_GetArraySize(out);
    if (entries)
        *entries = out;
    else
        cJSON_Delete(out);
    return n;
}

typedef struct {
    const sdt_world *w;
    int64_t order;
    int want;
} ful_wait;

static int fulfilled(void *ud)
{
    ful_wait *f = ud;
    return fulfillments_of(f->w, f->order, NULL) >= f->want;
}

/* The shipping confirmations mock-shopify recorded for an order. */
static int confirmations_of(const sdt_world *w, int64_t order)
{
    cJSON *j = e2e_journal(&w->shop);
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
        n += strcmp(sdt_str(e, "kind"), "notification") == 0 &&
             strcmp(sdt_str(e, "template"), "shipping_confirmation") == 0 &&
             (int64_t)sdt_num(e, "order_id") == order;
    cJSON_Delete(j);
    return n;
}

/* Waits (bounded) until the order has at least want fulfillments. */
static int wait_fulfilled(const sdt_world *w, int64_t order, int want, int timeout_ms)
{
    ful_wait f = {w, order, want};
    return e2e_wait(fulfilled, &f, timeout_ms);
}

/* The tracking number of a sale (by its location) of an order, or NULL;
 * malloc'd. */
static char *tracking_of(const sdt_world *w, int64_t order, const char *location)
{
    cJSON *st = sdt_cin7_state(w);
    char ref[32];
    snprintf(ref, sizeof ref, "%lld", (long long)order);
    char *t = NULL;
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(st, "sales"))
    {
        const char *r = str_or_null(s, "customer_reference"), *loc = str_or_null(s, "location");
        const char *trk = str_or_null(s, "tracking_number");
        if (r && loc && trk && *trk && strcmp(r, ref) == 0 && strcmp(loc, location) == 0)
            t = xstrdup(trk);
    }
    cJSON_Delete(st);
    return t;
}

TEST_T(syncd7, shipped_sales_become_fulfillments_once, 150)
{
    sdt_world w;
    /* East holds A-1, West holds A-2; sales ship three simulated minutes
     * after they are authorised. */
    sdt_start_world_take(
        &w,
        cin7_shipping("[{\"name\":\"East\"},{\"name\":\"West\"}]",
                      "[{\"sku\":\"A-1\",\"price\":10},{\"sku\":\"A-2\",\"price\":20}]",
                      "[{\"sku\":\"A-1\",\"location\":\"East\",\"on_hand\":20},"
                      "{\"sku\":\"A-2\",\"location\":\"West\",\"on_hand\":20}]"),
        sdt_shop_config("[{\"title\":\"A1\",\"variants\":[{\"sku\":\"A-1\",\"available\":20}]},"
                        "{\"title\":\"A2\",\"variants\":[{\"sku\":\"A-2\",\"available\":20}]}]",
                        ""),
        "[{\"name\":\"East\",\"priority\":1},{\"name\":\"West\",\"priority\":2}]", NULL);
    /* Default reconciliation is nightly: nothing ran at start. */
    EXPECT_LE_INT(sdt_metric(&w, "syncd_reconcile_runs_total"), 0);

    /* One sale for the whole order: one complete fulfillment. */
    int64_t whole = sdt_checkout(&w, "A-1", 2, NULL);
    if (!wait_fulfilled(&w, whole, 1, 40000))
        test_fail(__FILE__, __LINE__, "order %lld was never fulfilled (log %s)", (long long)whole,
                  w.syncd.log);
    char *trk = tracking_of(&w, whole, "East");
    EXPECT_TRUE(trk != NULL);
    cJSON *fs = NULL;
    EXPECT_EQ_INT(fulfillments_of(&w, whole, &fs), 1);
    const cJSON *f = cJSON_GetArrayItem(fs, 0);
    EXPECT_EQ_STR(sdt_str(f, "tracking_number"), trk);
    EXPECT_EQ_STR(sdt_str(f, "tracking_company"), "DEFAULT Carrier");
    const cJSON *lines = cJSON_GetObjectItemCaseSensitive(f, "lines");
    EXPECT_EQ_INT(cJSON_GetArraySize(lines), 1);
    EXPECT_EQ_STR(sdt_str(cJSON_GetArrayItem(lines, 0), "sku"), "A-1");
    EXPECT_EQ_INT(sdt_num(cJSON_GetArrayItem(lines, 0), "qty"), 2);
    cJSON_Delete(fs);

    /* The split order: one sale per warehouse, two partial fulfillments
     * with their own tracking numbers that together cover the order. */
    int64_t split = sdt_checkout_lines(&w, "[{\"sku\":\"A-1\",\"qty\":1},{\"sku\":\"A-2\",\"qty\":3}]",
                                       NULL);
    if (!wait_fulfilled(&w, split, 2, 40000))
        test_fail(__FILE__, __LINE__, "split order %lld: not two fulfillments (log %s)",
                  (long long)split, w.syncd.log);
    char *east = tracking_of(&w, split, "East"), *west = tracking_of(&w, split, "West");
    EXPECT_TRUE(east && west && strcmp(east, west) != 0);
    EXPECT_EQ_INT(fulfillments_of(&w, split, &fs), 2);
    int seen_east = 0, seen_west = 0;
    cJSON_ArrayForEach(f, fs)
    {
        lines = cJSON_GetObjectItemCaseSensitive(f, "lines");
        EXPECT_EQ_INT(cJSON_GetArraySize(lines), 1);
        const char *sku = sdt_str(cJSON_GetArrayItem(lines, 0), "sku");
        int64_t qty = (int64_t)sdt_num(cJSON_GetArrayItem(lines, 0), "qty");
        const char *t = sdt_str(f, "tracking_number");
        if (strcmp(sku, "A-1") == 0) {
            seen_east++;
            EXPECT_EQ_INT(qty, 1);
            EXPECT_EQ_STR(t, east);
        } else {
            seen_west++;
            EXPECT_EQ_STR(sku, "A-2");
            EXPECT_EQ_INT(qty, 3);
            EXPECT_EQ_STR(t, west);
        }
    }
    EXPECT_EQ_INT(seen_east, 1);
    EXPECT_EQ_INT(seen_west, 1);
    cJSON_Delete(fs);
    EXPECT_GE_INT(sdt_metric(&w, "syncd_fulfillments_partial_total"), 1);

    /* A duplicate shipment webhook fulfils nothing twice. */
    cJSON *st = sdt_cin7_state(&w);
    const cJSON *sale = NULL;
    EXPECT_EQ_INT(sdt_sales_of(st, whole, &sale), 1);
    /* Cin7's notification is thin: it names the sale. */
    char *dup = xasprintf("{\"SaleID\":\"%s\",\"SaleOrderNumber\":\"%s\",\"SaleTaskID\":\"%s\","
                          "\"TenantID\":\"%s\",\"EventType\":\"Sale/ShipmentAuthorised\"}",
                          sdt_str(sale, "id"), sdt_str(sale, "order_number"), sdt_str(sale, "id"),
                          sdt_str(sale, "id"));
    cJSON_Delete(st);
    int64_t dups = sdt_metric(&w, "syncd_fulfillments_duplicate_total");
    const char *hdrs[] = {"Authorization: Bearer " SDT_CIN7_HOOK_TOKEN,
                          "Content-Type: application/json", NULL};
    for (int i = 0; i < 2; i++) {
        cJSON *ok = e2e_expect(&w.syncd, "POST", "/webhooks/cin7?type=Sale/ShipmentAuthorised",
                               hdrs, dup, 200, 1);
        cJSON_Delete(ok);
    }
    free(dup);
    wait_metric(&w, "syncd_fulfillments_duplicate_total", (dups > 0 ? dups : 0) + 2, 20000);
    EXPECT_EQ_INT(fulfillments_of(&w, whole, NULL), 1);
    EXPECT_EQ_INT(fulfillments_of(&w, split, NULL), 2);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_fulfillments_created_total"), 3);
    /* Each shipment told its customer once (notify_customer is on by
     * default). */
    EXPECT_EQ_INT(confirmations_of(&w, whole), 1);
    EXPECT_EQ_INT(confirmations_of(&w, split), 2);
    /* The Shopify order is fulfilled in full. */
    cJSON *shop = sdt_shop_state(&w);
    const cJSON *o;
    int full = 0;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(shop, "shops"), 0),
                              "orders"))
    {
        if ((int64_t)sdt_num(o, "id") != split)
            continue;
        const cJSON *l;
        full = 1;
        cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(o, "lines"))
            full &= sdt_num(l, "fulfilled") == sdt_num(l, "quantity");
    }
    cJSON_Delete(shop);
    EXPECT_TRUE(full);
    free(trk);
    free(east);
    free(west);
    sdt_stop(&w);
}

typedef struct {
    const sdt_world *w;
    int64_t order;
} shipped_wait;

static int sale_shipped(void *ud)
{
    shipped_wait *sw = ud;
    cJSON *st = sdt_cin7_state(sw->w);
    const cJSON *sale = NULL;
    /* Shipped is the shipping status: Cin7 has no SHIPPED sale status. */
    int ok = sdt_sales_of(st, sw->order, &sale) == 1 &&
             strcmp(sdt_str(sale, "shipping_status"), "SHIPPED") == 0;
    cJSON_Delete(st);
    return ok;
}

TEST_T(syncd7, poll_mode_fulfils_what_shipped_on_the_next_poll, 120)
{
    sdt_world w;
    sdt_start_world_take(
        &w,
        cin7_shipping("[{\"name\":\"Main\"}]", "[{\"sku\":\"A-1\",\"price\":10}]",
                      "[{\"sku\":\"A-1\",\"location\":\"Main\",\"on_hand\":50}]"),
        sdt_shop_config("[{\"title\":\"A\",\"variants\":[{\"sku\":\"A-1\",\"available\":50}]}]", ""),
        "[{\"name\":\"Main\"}]", POLL_HOURLY);
    wait_metric(&w, "syncd_poll_runs_total", 1, 20000);
    int64_t order = sdt_checkout(&w, "A-1", 4, NULL);
    reconcile_now(&w);
    EXPECT_EQ_INT(sdt_wait_sales(&w, &order, 1, 20000), 1);
    /* It ships in Cin7; no webhook says so; the next poll finds it. */
    shipped_wait hw = {&w, order};
    EXPECT_TRUE(e2e_wait(sale_shipped, &hw, 30000));
    EXPECT_EQ_INT(fulfillments_of(&w, order, NULL), 0);
    reconcile_now(&w);
    if (!wait_fulfilled(&w, order, 1, 20000))
        test_fail(__FILE__, __LINE__, "the poll did not fulfil order %lld (log %s)", (long long)order,
                  w.syncd.log);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_poll_shipments_total"), 1);
    /* Polls after that leave it alone. */
    reconcile_now(&w);
    wait_metric(&w, "syncd_poll_runs_total", 4, 20000);
    EXPECT_TRUE(e2e_wait(queue_empty, &w, 20000));
    EXPECT_EQ_INT(fulfillments_of(&w, order, NULL), 1);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_poll_shipments_total"), 1);
    sdt_stop(&w);
}

/* ---- SKU audit ------------------------------------------------------------------------- */

/* Runs syncd audit-skus with the extra arguments; returns its exit code and
 * its output (stdout and stderr, malloc'd) in *out. */
static int run_audit(const sdt_world *w, const char *const *extra, char **out)
{
    static int runs;
    char log[600], bin[600];
    snprintf(log, sizeof log, "%s/audit-%d.out", test_tmp_dir(), ++runs);
    snprintf(bin, sizeof bin, "%s/syncd", test_bin_dir());
    const char *argv[16] = {bin, "audit-skus", "--config", w->syncd_config};
    int n = 4;
    for (int i = 0; extra && extra[i] && n < 15; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    proc *p;
    uint16_t port;
    char err[512];
    if (proc_start((char *const *)argv, log, 0, 0, &p, &port, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "cannot run syncd audit-skus: %s", err);
    int status = 0;
    if (!proc_wait(p, 30000, &status))
        test_fail(__FILE__, __LINE__, "syncd audit-skus did not finish within 30 s (%s)", log);
    proc_stop(p, 0);
    char *text = test_read_file(log);
    *out = text ? text : xstrdup("");
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_T(syncd7, audit_skus_output_and_exit_codes, 90)
{
    sdt_world w;
    /* Cin7: match or nearly; "300" is ACME-300 without its
     * prefix; C-9 only Cin7 has. Shopify: a-2 differs in case, " A-3 "
     * in whitespace, SHOP-ONLY only Shopify has. */
    char *c7 = sdt_cin7_config("[{\"name\":\"Main\"}]",
                               "[{\"sku\":\"A-1\"},{\"sku\":\"A-2\"},{\"sku\":\"A-3\"},"
                               "{\"sku\":\"300\"},{\"sku\":\"C-9\"}]",
                               "[]");
    char *sh = sdt_shop_config("[{\"title\":\"P\",\"variants\":[{\"sku\":\"A-1\"},{\"sku\":\"a-2\"},"
                               "{\"sku\":\" A-3 \"},{\"sku\":\"ACME-300\"},{\"sku\":\"SHOP-ONLY\"}]}]",
                               "");
    sdt_start_mocks(&w, c7, sh);
    free(c7);
    free(sh);
    sdt_write_syncd_config(&w, "[{\"name\":\"Main\"}]", NULL);

    char *out = NULL;
    EXPECT_EQ_INT(run_audit(&w, NULL, &out), 1);
    EXPECT_CONTAINS(out, "shop " SDT_SHOP ": 5 SKUs, 1 matched, 1 Shopify-only, 3 near misses\n");
    EXPECT_CONTAINS(out, "cin7: 5 products, 1 matched, 1 Cin7-only\n");
    EXPECT_CONTAINS(out, "shopify-only " SDT_SHOP " \"SHOP-ONLY\"\n");
    EXPECT_CONTAINS(out, "cin7-only \"C-9\"\n");
    EXPECT_CONTAINS(out, "near-miss " SDT_SHOP " \"a-2\" ~ \"A-2\" (case)\n");
    EXPECT_CONTAINS(out, "near-miss " SDT_SHOP " \" A-3 \" ~ \"A-3\" (whitespace)\n");
    EXPECT_CONTAINS(out, "near-miss " SDT_SHOP " \"ACME-300\" ~ \"300\" (prefix)\n");
    EXPECT_CONTAINS(out, "result: mismatch (1 matched, 1 Shopify-only, 1 Cin7-only, 3 near misses)\n");
    free(out);

    /* Explicit pairs for every one of them: all match. */
    const char *fixed[] = {"--set",
                           "sku_map.pairs={\"a-2\":\"A-2\",\" A-3 \":\"A-3\",\"ACME-300\":\"300\","
                           "\"SHOP-ONLY\":\"C-9\"}",
                           NULL};
    EXPECT_EQ_INT(run_audit(&w, fixed, &out), 0);
    EXPECT_CONTAINS(out, "result: all 5 SKUs match\n");
    free(out);

    /* Bad usage or configuration: 2. */
    const char *bad_flag[] = {"--frobnicate", NULL};
    EXPECT_EQ_INT(run_audit(&w, bad_flag, &out), 2);
    free(out);
    const char *bad_cfg[] = {"--set", "mode=fax", NULL};
    EXPECT_EQ_INT(run_audit(&w, bad_cfg, &out), 2);
    EXPECT_CONTAINS(out, "$.mode");
    free(out);

    /* An API that cannot be read: 3 (Shopify refuses the token; Cin7 is
     * not there). */
    const char *bad_token[] = {"--set", "shops[0].access_token=\"wrong\"", NULL};
    EXPECT_EQ_INT(run_audit(&w, bad_token, &out), 3);
    EXPECT_CONTAINS(out, "cannot read the variants of " SDT_SHOP);
    free(out);
    const char *no_cin7[] = {"--cin7-url", "http://127.0.0.1:1/ExternalApi/v2/", NULL};
    EXPECT_EQ_INT(run_audit(&w, no_cin7, &out), 3);
    EXPECT_CONTAINS(out, "cannot read Cin7's products");
    free(out);

    sdt_stop(&w);
}

/* Holds the first fulfillment order of a Shopify order at the mock (REST,
 * as a merchant's app would) for reason. */
static void hold_order(const sdt_world *w, int64_t order, const char *reason)
{
    const char *hdr[] = {"X-Shopify-Access-Token: shpat_e2e", "Content-Type: application/json", NULL};
    char path[200];
    snprintf(path, sizeof path, "/admin/api/2026-10/orders/%lld/fulfillment_orders.json",
             (long long)order);
    cJSON *fos = e2e_expect(&w->shop, "GET", path, hdr, NULL, 200, 1);
    double fo = cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(fos, "fulfillment_orders"), 0), "id")
                    ->valuedouble;
    cJSON_Delete(fos);
    snprintf(path, sizeof path, "/admin/api/2026-10/fulfillment_orders/%.0f/hold.json", fo);
    char body[160];
    snprintf(body, sizeof body, "{\"fulfillment_hold\":{\"reason\":\"%s\"}}", reason);
    cJSON *v = e2e_expect(&w->shop, "POST", path, hdr, body, 200, 1);
    cJSON_Delete(v);
}

TEST_T(syncd7, held_fulfillment_orders_are_released_or_reported, 150)
{
    sdt_world w;
    sdt_start_world_take(&w,
                         cin7_shipping("[{\"name\":\"Main\"}]", "[{\"sku\":\"A-1\",\"price\":10}]",
                                       "[{\"sku\":\"A-1\",\"location\":\"Main\",\"on_hand\":50}]"),
                         sdt_shop_config("[{\"title\":\"A1\",\"variants\":[{\"sku\":\"A-1\",\"available\":50}]}]",
                                         ""),
                         "[{\"name\":\"Main\"}]", NULL);
    /* Held because stock was out: the shipment proves it is there, so
     * syncd releases the hold and fulfils. */
    int64_t stock = sdt_checkout(&w, "A-1", 2, NULL);
    hold_order(&w, stock, "inventory_out_of_stock");
    /* Held by the merchant for fraud: never released by syncd; reported. */
    int64_t fraud = sdt_checkout(&w, "A-1", 1, NULL);
    hold_order(&w, fraud, "high_risk_of_fraud");
    if (!wait_fulfilled(&w, stock, 1, 40000))
        test_fail(__FILE__, __LINE__, "order %lld was never fulfilled (log %s)", (long long)stock,
                  w.syncd.log);
    wait_metric(&w, "syncd_fulfillments_held_total", 1, 40000);
    EXPECT_GE_INT(sdt_metric(&w, "syncd_fulfillment_holds_released_total"), 1);
    EXPECT_EQ_INT(fulfillments_of(&w, fraud, NULL), 0);
    cJSON *j = e2e_journal(&w.shop);
    EXPECT_EQ_INT(sdt_count_kind(j, "fulfillment_order_release", NULL, NULL), 1);
    /* Every call went to GraphQL or the fulfillment-order endpoints:
     * nothing to the legacy fulfillments path. */
    EXPECT_EQ_INT(sdt_count_kind(j, "request", "path", "/fulfillments.json"), 0);
    EXPECT_GE_INT(sdt_count_kind(j, "request", "path", "graphql.json"), 1);
    cJSON_Delete(j);
    sdt_stop(&w);
}

TEST_T(syncd7, each_fulfillment_order_fulfils_at_its_own_location, 150)
{
    sdt_world w;
    /* Shopify stocks A-1 at East and A-2 at West, as Cin7 does: a split
     * order gets one fulfillment order per Shopify location. */
    char *shop = sdt_shop_config(
        "[{\"title\":\"A1\",\"variants\":[{\"sku\":\"A-1\",\"stock\":{\"East\":20}}]},"
        "{\"title\":\"A2\",\"variants\":[{\"sku\":\"A-2\",\"stock\":{\"West\":20}}]}]",
        "");
    char *two = sdt_json_merge(shop, "{}");
    free(shop);
    /* Swap the one location sdt_shop_config writes for East and West. */
    char *p = strstr(two, "[{\"name\":\"Online Store\"}]");
    if (!p)
        test_fail(__FILE__, __LINE__, "shop config has no location list: %s", two);
    char *cfg = xasprintf("%.*s[{\"name\":\"East\"},{\"name\":\"West\"}]%s", (int)(p - two), two,
                          p + strlen("[{\"name\":\"Online Store\"}]"));
    free(two);
    sdt_start_world_take(&w,
                         cin7_shipping("[{\"name\":\"East\"},{\"name\":\"West\"}]",
                                       "[{\"sku\":\"A-1\",\"price\":10},{\"sku\":\"A-2\",\"price\":20}]",
                                       "[{\"sku\":\"A-1\",\"location\":\"East\",\"on_hand\":20},"
                                       "{\"sku\":\"A-2\",\"location\":\"West\",\"on_hand\":20}]"),
                         cfg, "[{\"name\":\"East\",\"priority\":1},{\"name\":\"West\",\"priority\":2}]",
                         NULL);
    int64_t split = sdt_checkout_lines(&w, "[{\"sku\":\"A-1\",\"qty\":1},{\"sku\":\"A-2\",\"qty\":3}]",
                                       NULL);
    if (!wait_fulfilled(&w, split, 2, 40000))
        test_fail(__FILE__, __LINE__, "split order %lld: not two fulfillments (log %s)",
                  (long long)split, w.syncd.log);
    cJSON *st = sdt_shop_state(&w);
    const cJSON *locs = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, "shops"), 0), "locations");
    int64_t east = (int64_t)sdt_num(cJSON_GetArrayItem(locs, 0), "id");
    int64_t west = (int64_t)sdt_num(cJSON_GetArrayItem(locs, 1), "id");
    cJSON_Delete(st);
    cJSON *fs = NULL;
    EXPECT_EQ_INT(fulfillments_of(&w, split, &fs), 2);
    const cJSON *f;
    int64_t fo_east = 0, fo_west = 0;
    cJSON_ArrayForEach(f, fs)
    {
        const cJSON *lines = cJSON_GetObjectItemCaseSensitive(f, "lines");
        EXPECT_EQ_INT(cJSON_GetArraySize(lines), 1);
        const char *sku = sdt_str(cJSON_GetArrayItem(lines, 0), "sku");
        int64_t at = (int64_t)sdt_num(f, "location_id");
        const cJSON *ids = cJSON_GetObjectItemCaseSensitive(f, "fulfillment_order_ids");
        EXPECT_EQ_INT(cJSON_GetArraySize(ids), 1);
        int64_t fo = cJSON_IsNumber(cJSON_GetArrayItem(ids, 0))
                         ? (int64_t)cJSON_GetArrayItem(ids, 0)->valuedouble
                         : 0;
        if (strcmp(sku, "A-1") == 0) {
            EXPECT_EQ_INT(at, east);
            EXPECT_EQ_INT(sdt_num(cJSON_GetArrayItem(lines, 0), "qty"), 1);
            fo_east = fo;
        } else {
            EXPECT_EQ_STR(sku, "A-2");
            EXPECT_EQ_INT(at, west);
            EXPECT_EQ_INT(sdt_num(cJSON_GetArrayItem(lines, 0), "qty"), 3);
            fo_west = fo;
        }
    }
    EXPECT_TRUE(fo_east && fo_west && fo_east != fo_west);
    cJSON_Delete(fs);
    sdt_stop(&w);
}

/* Cin7 ships every sale in two parts (an Advanced sale, two fulfilments,
 * each with its own TaskID and tracking number): each part becomes its own
 * fulfillment and tells the customer once, and repeated notifications of
 * either part fulfil nothing more. */
TEST_T(syncd7, a_sale_shipped_in_two_parts_is_fulfilled_and_told_twice, 150)
{
    sdt_world w;
    char *base = sdt_cin7_config("[{\"name\":\"East\"}]", "[{\"sku\":\"A-1\",\"price\":10}]",
                                 "[{\"sku\":\"A-1\",\"location\":\"East\",\"on_hand\":20}]");
    char *c7 = sdt_json_merge(base, "{\"sales\":{\"pick_after\":\"1m\",\"pack_after\":\"1m\","
                                    "\"ship_after\":\"1m\",\"split_share\":1,"
                                    "\"split_gap\":\"3m\"}}");
    free(base);
    sdt_start_world_take(
        &w, c7, sdt_shop_config("[{\"title\":\"A1\",\"variants\":[{\"sku\":\"A-1\",\"available\":20}]}]", ""),
        "[{\"name\":\"East\",\"priority\":1}]", NULL);
    int64_t order = sdt_checkout(&w, "A-1", 5, NULL);
    if (!wait_fulfilled(&w, order, 2, 60000))
        test_fail(__FILE__, __LINE__, "order %lld: not two fulfillments (log %s)", (long long)order,
                  w.syncd.log);
    sdt_wait_quiet(&w, 30000);
    cJSON *fs = NULL;
    EXPECT_EQ_INT(fulfillments_of(&w, order, &fs), 2);
    /* 3 units, then 2, each with its own tracking number. */
    const cJSON *a = cJSON_GetArrayItem(fs, 0), *b = cJSON_GetArrayItem(fs, 1);
    EXPECT_EQ_INT(sdt_num(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(a, "lines"), 0), "qty"), 3);
    EXPECT_EQ_INT(sdt_num(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(b, "lines"), 0), "qty"), 2);
    EXPECT_TRUE(strcmp(sdt_str(a, "tracking_number"), sdt_str(b, "tracking_number")) != 0);
    cJSON_Delete(fs);
    EXPECT_EQ_INT(confirmations_of(&w, order), 2);

    /* Cin7's notifications again, naming each part: nothing more. */
    cJSON *st = sdt_cin7_state(&w);
    const cJSON *sale = NULL;
    EXPECT_EQ_INT(sdt_sales_of(st, order, &sale), 1);
    char *dup = xasprintf("{\"SaleID\":\"%s\",\"SaleOrderNumber\":\"%s\","
                          "\"EventType\":\"Sale/ShipmentAuthorised\"}",
                          sdt_str(sale, "id"), sdt_str(sale, "order_number"));
    cJSON_Delete(st);
    const char *hdrs[] = {"Authorization: Bearer " SDT_CIN7_HOOK_TOKEN,
                          "Content-Type: application/json", NULL};
    int64_t dups = sdt_metric(&w, "syncd_fulfillments_duplicate_total");
    for (int i = 0; i < 2; i++)
        cJSON_Delete(e2e_expect(&w.syncd, "POST", "/webhooks/cin7?type=Sale/ShipmentAuthorised", hdrs,
                                dup, 200, 1));
    free(dup);
    wait_metric(&w, "syncd_fulfillments_duplicate_total", (dups > 0 ? dups : 0) + 2, 20000);
    EXPECT_EQ_INT(fulfillments_of(&w, order, NULL), 2);
    EXPECT_EQ_INT(confirmations_of(&w, order), 2);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_fulfillments_created_total"), 2);
    sdt_stop(&w);
}
