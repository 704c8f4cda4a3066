/* mock-shopify's shoppers and webhooks over HTTP: atomic checkouts under
 * concurrency, signed deliveries with Shopify's headers, pending orders
 * paid later, cancel and refund, retries on Shopify's schedule, abandonment
 * and subscription removal, and seeded duplicates. A receiver runs in the
 * test process. */
#include "mock_shopify_test.h"

#include "hmac.h"
#include "json.h"
#include "mem.h"
#include "sbuf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Starts a receiver answering status and mock-shopify (with args) on a
 * config of two of the demo SKUs whose shop subscribes the receiver to
 * topics (NULL-terminated), with extra shop fields and top-level settings
 * (each starting with a comma; may be NULL). Returns the receiver; stop
 * both with stop_hooked. */
static ms_receiver *start_hooked(e2e_server *s, int status, const char *const *topics,
                                 const char *extra_shop, const char *extra_top,
                                 const char *const *args)
{
    ms_receiver *rc = ms_receiver_start(status);
    sbuf subs = SBUF_INIT;
    for (int i = 0; topics[i]; i++)
        sbuf_printf(&subs, "%s{\"topic\":\"%s\",\"address\":\"%s\"}", i ? "," : "", topics[i],
                    ms_receiver_url(rc));
    char *cfg = xasprintf(
        "{\"shops\":[{\"domain\":\"demo.myshopify.com\",\"access_token\":\"shpat_demo\","
        "\"app_secret\":\"demo-secret\"%s,"
        "\"products\":[{\"title\":\"One\",\"variants\":[{\"sku\":\"DEMO-001\",\"available\":100}]},"
        "{\"title\":\"Two\",\"variants\":[{\"sku\":\"DEMO-002\",\"available\":100}]}],"
        "\"webhooks\":[%s]}]%s}",
        extra_shop ? extra_shop : "", sbuf_str(&subs), extra_top ? extra_top : "");
    e2e_start_config(s, "mock-shopify", cfg, args);
    free(cfg);
    sbuf_free(&subs);
    return rc;
}

static void stop_hooked(e2e_server *s, ms_receiver *rc)
{
    e2e_stop(s);
    ms_receiver_stop(rc);
}

/* Naps 10 ms at a time, for at most timeout_ms of naps, until the mock's
 * counter name is at least 1. */
static void wait_counter(const e2e_server *s, const char *name, int timeout_ms)
{
    for (int napped = 0; napped < timeout_ms && ms_counter(s, name) < 1; napped += 10)
        e2e_sleep_ms(10);
}

typedef struct {
    const e2e_server *s;
    const char *sku;
    pthread_barrier_t *go;
    int accepted;
} shopper;

static void *shop_once(void *arg)
{
    shopper *sh = arg;
    pthread_barrier_wait(sh->go);
    char body[128];
    snprintf(body, sizeof body, "{\"lines\":[{\"sku\":\"%s\",\"qty\":1}]}", sh->sku);
    httpc_resp r = e2e_call(sh->s, "POST", "/_mock/checkout", NULL, body);
    sh->accepted = r.status == 200 && strstr(r.body, "\"accepted\"") != NULL;
    httpc_resp_free(&r);
    httpc_thread_cleanup();
    return NULL;
}

/* Eight shoppers at once for the last unit of each of five SKUs: exactly
 * one gets it, and available never goes below zero. */
TEST(mock_shopify, concurrent_checkouts_on_one_unit)
{
    e2e_server s;
    e2e_start(&s, "mock-shopify", NULL);
    cJSON *v = e2e_expect(&s, "POST", "/_mock/seed", NULL,
                          "{\"levels\":[{\"sku\":\"DEMO-001\",\"available\":1},{\"sku\":\"DEMO-002\",\"available\":1},"
                          "{\"sku\":\"DEMO-003\",\"available\":1},{\"sku\":\"DEMO-004\",\"available\":1},"
                          "{\"sku\":\"DEMO-005\",\"available\":1}]}",
                          200, 1);
    cJSON_Delete(v);
    enum { SHOPPERS = 8, SKUS = 5 };
    for (int k = 0; k < SKUS; k++) {
        char sku[24];
        snprintf(sku, sizeof sku, "DEMO-%03d", k + 1);
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, SHOPPERS);
        shopper sh[SHOPPERS];
        pthread_t t[SHOPPERS];
        for (int i = 0; i < SHOPPERS; i++) {
            sh[i] = (shopper){.s = &s, .sku = sku, .go = &go};
            pthread_create(&t[i], NULL, shop_once, &sh[i]);
        }
        int accepted = 0;
        for (int i = 0; i < SHOPPERS; i++) {
            pthread_join(t[i], NULL);
            accepted += sh[i].accepted;
        }
        pthread_barrier_destroy(&go);
        EXPECT_EQ_INT(accepted, 1);
    }
    cJSON *st = e2e_expect(&s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    for (int k = 0; k < SKUS; k++) {
        char p[64];
        snprintf(p, sizeof p, "shops[0].levels[%d].available", k);
        EXPECT_EQ_INT(jnumber(st, p), 0);
        snprintf(p, sizeof p, "shops[0].levels[%d].committed", k);
        EXPECT_EQ_INT(jnumber(st, p), 1);
    }
    EXPECT_EQ_INT(jnumber(st, "accepted_units.DEMO-003"), 1);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(st, "shops[0].orders")), SKUS);
    cJSON_Delete(st);
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(ms_journal_count(j, "checkout", "result", "accepted"), SKUS);
    EXPECT_EQ_INT(ms_journal_count(j, "checkout", "result", "sold_out"), SKUS * (SHOPPERS - 1));
    EXPECT_EQ_INT(ms_journal_count(j, "inventory", "by", "checkout"), SKUS);
    cJSON_Delete(j);
    /* Bad shopper input names the field. */
    e2e_expect_text(&s, "POST", "/_mock/checkout", NULL, "{\"lines\":[{\"sku\":\"NOPE\",\"qty\":1}]}", 400,
                    "$.lines[0].sku");
    e2e_expect_text(&s, "POST", "/_mock/checkout", NULL, "{\"lines\":[{\"sku\":\"DEMO-009\",\"qty\":0}]}",
                    400, "$.lines[0].qty");
    e2e_stop(&s);
}

/* orders/create and orders/paid arrive signed with the app secret, with
 * Shopify's headers; both topics of the checkout share the event id. */
/* e2e_wait condition: the mock's journal has three successful webhook
 * attempts. */
static int three_attempts_noted(void *ud)
{
    cJSON *j = e2e_journal(ud);
    int n = ms_journal_count(j, "webhook_attempt", "ok", "true");
    cJSON_Delete(j);
    return n >= 3;
}

TEST(mock_shopify, webhooks_are_signed_with_shopify_headers)
{
    const char *const topics[] = {"orders/create", "orders/paid", "inventory_levels/update", NULL};
    const char *const args[] = {"--time-scale", "100", NULL};
    e2e_server s;
    ms_receiver *rc = start_hooked(&s, 200, topics, NULL, NULL, args);
    long long id = ms_checkout(&s, "DEMO-002", 2);
    EXPECT_GT_INT(id, 0);
    EXPECT_EQ_INT(ms_receiver_wait(rc, 3, 10000), 3);
    int creates = 0, paids = 0, levels = 0;
    char event_create[64] = "", event_paid[64] = "", wid[3][64];
    for (int i = 0; i < 3; i++) {
        ms_delivery d = ms_receiver_get(rc, i);
        snprintf(wid[i], sizeof wid[i], "%s", d.webhook_id);
        EXPECT_TRUE(hmac_verify_base64("demo-secret", d.body, d.body_len, d.hmac));
        EXPECT_FALSE(hmac_verify_base64("other-secret", d.body, d.body_len, d.hmac));
        EXPECT_EQ_STR(d.shop, "demo.myshopify.com");
        EXPECT_EQ_STR(d.version, "2026-10");
        EXPECT_EQ_INT(strlen(d.webhook_id), 36);
        EXPECT_EQ_INT(strlen(d.event_id), 36);
        EXPECT_CONTAINS(d.triggered, "T");
        json_err e;
        cJSON *b = json_parse(d.body, d.body_len, &e);
        EXPECT_TRUE(b != NULL);
        if (strcmp(d.topic, "inventory_levels/update") == 0) {
            levels++;
            EXPECT_EQ_INT(jnumber(b, "available"), 98);
        } else {
            EXPECT_EQ_INT(jnumber(b, "id"), id);
            EXPECT_EQ_STR(jstring(b, "line_items[0].sku"), "DEMO-002");
            EXPECT_EQ_STR(jstring(b, "shipping_address.country_code"), "US");
            EXPECT_EQ_STR(jstring(b, "financial_status"), "paid");
            if (strcmp(d.topic, "orders/create") == 0) {
                creates++;
                snprintf(event_create, sizeof event_create, "%s", d.event_id);
            } else {
                paids++;
                snprintf(event_paid, sizeof event_paid, "%s", d.event_id);
            }
        }
        cJSON_Delete(b);
        ms_delivery_free(&d);
    }
    EXPECT_EQ_INT(creates, 1);
    EXPECT_EQ_INT(paids, 1);
    EXPECT_EQ_INT(levels, 1);
    EXPECT_EQ_STR(event_create, event_paid);
    EXPECT_TRUE(strcmp(wid[0], wid[1]) != 0 && strcmp(wid[1], wid[2]) != 0);
    /* The mock notes an attempt once the answer is back, which can be
     * after the receiver has handed the body over. */
    EXPECT_TRUE(e2e_wait(three_attempts_noted, &s, 10000));
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(ms_journal_count(j, "webhook_attempt", "ok", "true"), 3);
    EXPECT_EQ_INT(ms_journal_count(j, "order_created", NULL, NULL), 1);
    EXPECT_EQ_INT(ms_journal_count(j, "order_paid", NULL, NULL), 1);
    cJSON_Delete(j);
    stop_hooked(&s, rc);
}

/* Pending orders are paid after the configured delay, as their own action. */
TEST(mock_shopify, pending_orders_are_paid_later)
{
    const char *const topics[] = {"orders/create", "orders/paid", "orders/cancelled", "refunds/create", NULL};
    const char *const args[] = {"--time-scale", "1000", NULL};
    e2e_server s;
    ms_receiver *rc = start_hooked(&s, 200, topics,
                                   ",\"payment\":{\"mode\":\"pending\",\"pay_after\":\"20s\"}", NULL, args);
    long long id = ms_checkout(&s, "DEMO-001", 1);
    EXPECT_EQ_INT(ms_receiver_wait(rc, 2, 10000), 2);
    ms_delivery a = ms_receiver_get(rc, 0), b = ms_receiver_get(rc, 1);
    EXPECT_EQ_STR(a.topic, "orders/create");
    EXPECT_CONTAINS(a.body, "\"financial_status\":\"pending\"");
    EXPECT_EQ_STR(b.topic, "orders/paid");
    EXPECT_CONTAINS(b.body, "\"financial_status\":\"paid\"");
    EXPECT_TRUE(strcmp(a.event_id, b.event_id) != 0);
    ms_delivery_free(&a);
    ms_delivery_free(&b);
    cJSON *st0 = e2e_expect(&s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    EXPECT_GE_INT(jnumber(st0, "shops[0].orders[0].paid_t") - jnumber(st0, "shops[0].orders[0].created_t"),
                  20000);
    cJSON_Delete(st0);
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(ms_journal_count(j, "order_paid", NULL, NULL), 1);
    cJSON_Delete(j);
    /* A checkout may ask for pending itself; cancelling it restocks. */
    cJSON *v = e2e_expect(&s, "POST", "/_mock/checkout", NULL,
                          "{\"lines\":[{\"sku\":\"DEMO-002\",\"qty\":4}],\"financial_status\":\"pending\","
                          "\"pay_after\":\"1h\"}",
                          200, 1);
    long long pid = (long long)jnumber(v, "order_id");
    cJSON_Delete(v);
    char body[128];
    snprintf(body, sizeof body, "{\"order_id\":%lld,\"reason\":\"customer\"}", pid);
    v = e2e_expect(&s, "POST", "/_mock/cancel", NULL, body, 200, 1);
    EXPECT_EQ_STR(jstring(v, "order.financial_status"), "voided");
    EXPECT_TRUE(cJSON_IsString(jp(v, "order.cancelled_at")));
    cJSON_Delete(v);
    httpc_resp r = e2e_call(&s, "POST", "/_mock/cancel", NULL, body);
    EXPECT_EQ_INT(r.status, 409);
    httpc_resp_free(&r);
    /* A partial refund of the paid order, restocked. */
    snprintf(body, sizeof body, "{\"order_id\":%lld,\"lines\":[{\"sku\":\"DEMO-001\",\"qty\":1}]}", id);
    v = e2e_expect(&s, "POST", "/_mock/refund", NULL, body, 200, 1);
    EXPECT_EQ_INT(jnumber(v, "refund.refund_line_items[0].quantity"), 1);
    cJSON_Delete(v);
    EXPECT_EQ_INT(ms_receiver_wait(rc, 5, 10000), 5);
    cJSON *st = e2e_expect(&s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    EXPECT_EQ_INT(jnumber(st, "shops[0].levels[0].available"), 100);
    EXPECT_EQ_INT(jnumber(st, "shops[0].levels[0].committed"), 0);
    EXPECT_EQ_INT(jnumber(st, "shops[0].levels[1].available"), 100);
    EXPECT_EQ_STR(jstring(st, "shops[0].orders[0].financial_status"), "refunded");
    EXPECT_EQ_INT(jnumber(st, "accepted_units.DEMO-002"), 4); /* what shoppers bought stays */
    cJSON_Delete(st);
    stop_hooked(&s, rc);
}

/* A receiver that fails: every delivery is tried 1 + retries times on the
 * exponential schedule, then abandoned and counted; the subscription goes
 * after 8 consecutive failures. */
TEST(mock_shopify, webhook_retries_abandonment_and_removal)
{
    const char *const topics[] = {"orders/paid", NULL};
    const char *const args[] = {"--time-scale", "1000", NULL};
    e2e_server s;
    ms_receiver *rc = start_hooked(&s, 500, topics,
                                   NULL, ",\"webhooks\":{\"retries\":3,\"retry_total\":\"70s\"}", args);
    EXPECT_GT_INT(ms_checkout(&s, "DEMO-001", 1), 0);
    EXPECT_EQ_INT(ms_receiver_wait(rc, 4, 10000), 4);
    wait_counter(&s, "webhooks abandoned", 2000);
    EXPECT_EQ_INT(ms_counter(&s, "webhooks abandoned"), 1);
    cJSON *j = e2e_journal(&s);
    /* retries 3 over 70 s: waits 10 s, 20 s, 40 s. */
    EXPECT_EQ_INT(ms_journal_count(j, "webhook_attempt", "next_in_ms", "10000"), 1);
    EXPECT_EQ_INT(ms_journal_count(j, "webhook_attempt", "next_in_ms", "20000"), 1);
    EXPECT_EQ_INT(ms_journal_count(j, "webhook_attempt", "next_in_ms", "40000"), 1);
    EXPECT_EQ_INT(ms_journal_count(j, "webhook_abandoned", "attempts", "4"), 1);
    cJSON_Delete(j);
    /* All four attempts carried the same webhook id. */
    ms_delivery d0 = ms_receiver_get(rc, 0), d3 = ms_receiver_get(rc, 3);
    EXPECT_EQ_STR(d0.webhook_id, d3.webhook_id);
    ms_delivery_free(&d0);
    ms_delivery_free(&d3);
    cJSON *st = e2e_expect(&s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(st, "shops[0].subscriptions")), 1);
    EXPECT_EQ_INT(jnumber(st, "shops[0].subscriptions[0].consecutive_failures"), 4);
    cJSON_Delete(st);
    /* A second failing delivery reaches 8 consecutive failures: gone. A
     * redirect is a failure too. */
    ms_receiver_set_status(rc, 302);
    EXPECT_GT_INT(ms_checkout(&s, "DEMO-001", 1), 0);
    EXPECT_EQ_INT(ms_receiver_wait(rc, 8, 10000), 8);
    wait_counter(&s, "webhooks subscriptions removed", 2000);
    st = e2e_expect(&s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(st, "shops[0].subscriptions")), 0);
    cJSON_Delete(st);
    j = e2e_journal(&s);
    EXPECT_EQ_INT(ms_journal_count(j, "subscription_removed", "reason", "failures"), 1);
    EXPECT_EQ_INT(ms_journal_count(j, "webhook_attempt", "status", "302"), 4);
    cJSON_Delete(j);
    /* No subscription, no more deliveries. */
    EXPECT_GT_INT(ms_checkout(&s, "DEMO-001", 1), 0);
    e2e_sleep_ms(100);
    EXPECT_EQ_INT(ms_receiver_count(rc), 8);
    stop_hooked(&s, rc);
}

/* Shopify's default: 8 retries over 4 hours (time-scaled), doubling. */
TEST(mock_shopify, webhook_default_schedule_is_eight_retries_over_four_hours)
{
    const char *const topics[] = {"orders/create", NULL};
    const char *const args[] = {"--time-scale", "200000", NULL};
    e2e_server s;
    ms_receiver *rc = start_hooked(&s, 503, topics, NULL, NULL, args);
    EXPECT_GT_INT(ms_checkout(&s, "DEMO-001", 1), 0);
    EXPECT_EQ_INT(ms_receiver_wait(rc, 9, 15000), 9);
    wait_counter(&s, "webhooks subscriptions removed", 3000);
    cJSON *j = e2e_journal(&s);
    double total = 0, prev = 0;
    int retries = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        const cJSON *n = jp(e, "next_in_ms");
        if (strcmp(jstring(e, "kind"), "webhook_attempt") != 0 || !n)
            continue;
        if (prev > 0)
            EXPECT_NEAR(n->valuedouble / prev, 2.0, 0.01);
        prev = n->valuedouble;
        total += n->valuedouble;
        retries++;
    }
    EXPECT_EQ_INT(retries, 8);
    EXPECT_NEAR(total, 4 * 3600 * 1000.0, 1);
    EXPECT_EQ_INT(ms_journal_count(j, "webhook_abandoned", "attempts", "9"), 1);
    EXPECT_EQ_INT(ms_journal_count(j, "subscription_removed", "reason", "failures"), 1);
    cJSON_Delete(j);
    stop_hooked(&s, rc);
}

/* Runs n checkouts against a mock with seed and duplicate probability p;
 * returns the number of extra copies delivered (checked against the
 * receiver and the mock's own count). */
static int duplicates_for_seed(const char *seed, int n)
{
    const char *const topics[] = {"orders/create", NULL};
    const char *const args[] = {"--time-scale", "100", "--seed", seed, NULL};
    e2e_server s;
    ms_receiver *rc = start_hooked(&s, 200, topics,
                                   NULL, ",\"webhooks\":{\"duplicate_probability\":0.3}", args);
    for (int i = 0; i < n; i++)
        EXPECT_GT_INT(ms_checkout(&s, "DEMO-001", 1), 0);
    for (int i = 0; i < 500; i++) {
        cJSON *h = e2e_expect(&s, "GET", "/_mock/health", NULL, NULL, 200, 1);
        int pending = (int)jnumber(h, "pending");
        cJSON_Delete(h);
        if (pending == 0)
            break;
        e2e_sleep_ms(10);
    }
    int dups = (int)ms_counter(&s, "webhooks duplicates");
    int got = ms_receiver_count(rc);
    /* Every copy was delivered once; a slow answer may add a retry. */
    EXPECT_EQ_INT(ms_counter(&s, "webhooks delivered"), n + dups);
    EXPECT_GE_INT(got, n + dups);
    /* Copies share their delivery's webhook id: n distinct ids. */
    char (*ids)[64] = xcalloc((size_t)got, sizeof *ids);
    int distinct = 0;
    for (int i = 0; i < got; i++) {
        ms_delivery d = ms_receiver_get(rc, i);
        int seen = 0;
        for (int k = 0; k < distinct && !seen; k++)
            seen = strcmp(ids[k], d.webhook_id) == 0;
        if (!seen)
            snprintf(ids[distinct++], 64, "%s", d.webhook_id);
        ms_delivery_free(&d);
    }
    EXPECT_EQ_INT(distinct, n);
    free(ids);
    stop_hooked(&s, rc);
    return dups;
}

TEST(mock_shopify, duplicates_at_the_configured_rate_for_a_seed)
{
    int n = 60;
    int a = duplicates_for_seed("7", n);
    /* p = 0.3 of 60: mean 18, sd 3.5; the bounds are 4 sd wide. */
    EXPECT_GE_INT(a, 4);
    EXPECT_LE_INT(a, 32);
    /* The same seed, the same duplicates. */
    int b = duplicates_for_seed("7", n);
    EXPECT_EQ_INT(a, b);
}

/* Delivery faults of the plan apply: a drop fails every attempt without
 * sending anything, so the delivery is retried and abandoned. */
TEST(mock_shopify, delivery_drop_fault_abandons_without_sending)
{
    const char *const topics[] = {"orders/paid", "orders/create", NULL};
    const char *const args[] = {"--time-scale", "1000", NULL};
    e2e_server s;
    ms_receiver *rc = start_hooked(&s, 200, topics,
                                   NULL, ",\"webhooks\":{\"retries\":1,\"retry_total\":\"1s\"}", args);
    e2e_faults(&s, "[{\"kind\":\"drop\",\"target\":\"orders/paid\"}]");
    EXPECT_GT_INT(ms_checkout(&s, "DEMO-001", 1), 0);
    wait_counter(&s, "webhooks abandoned", 3000);
    EXPECT_EQ_INT(ms_counter(&s, "webhooks abandoned"), 1);
    EXPECT_EQ_INT(ms_receiver_wait(rc, 1, 5000), 1); /* orders/create only */
    ms_delivery d = ms_receiver_get(rc, 0);
    EXPECT_EQ_STR(d.topic, "orders/create");
    ms_delivery_free(&d);
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(ms_journal_count(j, "webhook_attempt", "faulted", "true"), 2);
    EXPECT_EQ_INT(ms_journal_count(j, "webhook_queued", "drop", "true"), 1);
    cJSON_Delete(j);
    stop_hooked(&s, rc);
}
