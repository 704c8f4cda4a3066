/* mock-cin7 over HTTP, part two: webhook subscriptions and deliveries to a
 * receiver in the test process (auth headers, coalescing, Cin7's retry
 * schedule, deactivation), request and delivery faults for a seed, and the
 * journal's order and completeness. */
#include "test_mock_cin7.h"

#include "json.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define API "/ExternalApi/v2/"

static void sell(const e2e_server *s, const char *ref, const char *sku, int qty)
{
    char spec[64];
    snprintf(spec, sizeof spec, "%s:%d", sku, qty);
    free(c7t_sale(s, ref, "Main Warehouse", spec, "AUTHORISED"));
}


/* The journal entry of a kind whose field equals value, nth match. */
static const cJSON *entry_where(const cJSON *j, const char *kind, const char *field,
                                const char *value, int nth)
{
    const cJSON *e;
    for (int i = 0; (e = c7t_entry(j, kind, i)) != NULL; i++) {
        const char *v = c7t_str(e, field);
        if (v && strcmp(v, value) == 0 && nth-- == 0)
            return e;
    }
    return NULL;
}

TEST(mock_cin7, webhooks_delivered_with_auth_headers)
{
    c7t_receiver rc;
    c7t_receiver_start(&rc, 0);
    e2e_server s;
    /* At 600x Cin7's minute before the first attempt is 100 ms. */
    const char *const args[] = {"--time-scale", "600", NULL};
    c7t_start_world(&s,
                    "\"sales\":{\"pick_after\":null},"
                    "\"webhooks\":{\"coalesce_window\":\"10s\",\"first_attempt_after\":\"1m\"}",
                    args);
    free(c7t_subscribe(&s, &rc, "Stock/AvailableStockLevelChanged", "stock",
                   "\"ExternalAuthorizationType\":\"basicauth\",\"ExternalUserName\":\"u\","
                   "\"ExternalPassword\":\"p\",\"ExternalHeaders\":[{\"Key\":\"X-Custom\",\"Value\":\"v1\"}]"));
    free(c7t_subscribe(&s, &rc, "Sale/OrderAuthorised", "sale",
                   "\"ExternalAuthorizationType\":\"bearerauth\",\"ExternalBearerToken\":\"tok\""));
    sell(&s, "#501", "A-1", 3);
    EXPECT_TRUE(c7t_wait_hits(&rc, 2, 10000));
    int seen_stock = 0, seen_sale = 0;
    for (int i = 0; i < 2; i++) {
        c7t_hit h;
        char *body = c7t_receiver_body(&rc, i, &h);
        json_err e;
        cJSON *v = json_parse(body, strlen(body), &e);
        EXPECT_TRUE(v != NULL);
        if (strcmp(h.path, "/hook/stock") == 0) {
            seen_stock = 1;
            EXPECT_EQ_STR(h.authorization, "Basic dTpw"); /* base64("u:p") */
            EXPECT_EQ_STR(h.custom, "v1");
            EXPECT_TRUE(cJSON_IsArray(v));
            EXPECT_EQ_INT(cJSON_GetArraySize(v), 1);
            const cJSON *row = cJSON_GetArrayItem(v, 0);
            EXPECT_EQ_STR(c7t_str(row, "SKU"), "A-1");
            EXPECT_EQ_STR(c7t_str(row, "Location"), "Main Warehouse");
            EXPECT_EQ_INT(c7t_num(row, "Available"), 97);
            EXPECT_EQ_INT(c7t_num(row, "Allocated"), 3);
        } else {
            seen_sale = 1;
            EXPECT_EQ_STR(h.path, "/hook/sale");
            EXPECT_EQ_STR(h.authorization, "Bearer tok");
            /* A thin notification: the receiver reads the sale back. */
            EXPECT_EQ_INT(cJSON_GetArraySize(v), 3);
            EXPECT_EQ_STR(c7t_str(v, "EventType"), "Sale/OrderAuthorised");
            EXPECT_EQ_STR(c7t_str(v, "SaleOrderNumber"), "SO-00001");
            EXPECT_TRUE(c7t_str(v, "SaleID") && strlen(c7t_str(v, "SaleID")) == 36);
        }
        cJSON_Delete(v);
        free(body);
    }
    EXPECT_TRUE(seen_stock && seen_sale);
    EXPECT_TRUE(c7t_wait_kind(&s, "webhook_attempt", 2, 5000));
    /* No attempt before Cin7's minute after the event. */
    cJSON *j = e2e_journal(&s);
    const cJSON *change = entry_where(j, "stock", "cause", "sale_authorised", 0);
    const cJSON *att = entry_where(j, "webhook_attempt", "type", "Stock/AvailableStockLevelChanged", 0);
    EXPECT_TRUE(change && att);
    EXPECT_TRUE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(att, "ok")));
    EXPECT_EQ_INT(c7t_num(att, "attempt"), 1);
    EXPECT_GE_INT(c7t_num(att, "t") - c7t_num(change, "t"), 60000);
    const cJSON *q = entry_where(j, "webhook_queued", "type", "Sale/OrderAuthorised", 0);
    att = entry_where(j, "webhook_attempt", "type", "Sale/OrderAuthorised", 0);
    EXPECT_TRUE(q && att);
    EXPECT_EQ_STR(c7t_str(att, "delivery"), c7t_str(q, "delivery"));
    EXPECT_GE_INT(c7t_num(att, "t") - c7t_num(q, "t"), 60000);
    cJSON_Delete(j);
    e2e_stop(&s);
    c7t_receiver_stop(&rc);
}

TEST(mock_cin7, stock_changes_are_coalesced)
{
    c7t_receiver rc;
    c7t_receiver_start(&rc, 0);
    e2e_server s;
    /* A 10-minute window is one real second at 600x: the three sales below
     * land in it, and leave as one delivery with one row per SKU x location. */
    const char *const args[] = {"--time-scale", "600", NULL};
    c7t_start_world(&s,
                    "\"sales\":{\"pick_after\":null},"
                    "\"webhooks\":{\"coalesce_window\":\"10m\",\"first_attempt_after\":\"1m\"}",
                    args);
    free(c7t_subscribe(&s, &rc, "Stock/AvailableStockLevelChanged", "stock", NULL));
    sell(&s, "#1", "A-1", 1);
    sell(&s, "#2", "A-1", 2);
    sell(&s, "#3", "A-2", 1);
    EXPECT_TRUE(c7t_wait_hits(&rc, 1, 10000));
    usleep(300000); /* half a simulated window: room for a wrong second delivery */
    EXPECT_EQ_INT(c7t_receiver_count(&rc), 1);
    char *body = c7t_receiver_body(&rc, 0, NULL);
    json_err e;
    cJSON *v = json_parse(body, strlen(body), &e);
    free(body);
    EXPECT_EQ_INT(cJSON_GetArraySize(v), 2);
    const cJSON *row;
    cJSON_ArrayForEach(row, v)
    {
        if (strcmp(c7t_str(row, "SKU"), "A-1") == 0)
            EXPECT_EQ_INT(c7t_num(row, "Available"), 97);
        else
            EXPECT_EQ_INT(c7t_num(row, "Available"), 9);
    }
    cJSON_Delete(v);
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(c7t_count(j, "webhook_queued"), 1);
    cJSON_Delete(j);
    e2e_stop(&s);
    c7t_receiver_stop(&rc);
}

TEST(mock_cin7, failed_deliveries_follow_cin7_schedule_then_deactivate)
{
    c7t_receiver bad, flaky;
    c7t_receiver_start(&bad, -1);  /* always 500 */
    c7t_receiver_start(&flaky, 2); /* 500 twice, then 200 */
    e2e_server s;
    /* 1 + 5 + 10 + 15 + 20 + 25 simulated minutes pass in about 130 ms at 36000x. */
    const char *const args[] = {"--time-scale", "36000", NULL};
    c7t_start_world(&s, "\"sales\":{\"pick_after\":null}", args);
    char *bad_id = c7t_subscribe(&s, &bad, "Sale/OrderAuthorised", "bad", NULL);
    char *flaky_id = c7t_subscribe(&s, &flaky, "Sale/OrderAuthorised", "flaky", NULL);
    sell(&s, "#9", "A-1", 1);
    EXPECT_TRUE(c7t_wait_kind(&s, "webhook_deactivated", 1, 15000));
    cJSON *j = e2e_journal(&s);
    /* Six attempts for the failing one, spaced at least 5, 10, 15, 20, 25 min. */
    const cJSON *q = entry_where(j, "webhook_queued", "subscription", bad_id, 0);
    EXPECT_TRUE(q != NULL);
    const char *delivery = c7t_str(q, "delivery");
    double waits[] = {60000, 300000, 600000, 900000, 1200000, 1500000};
    double prev = c7t_num(q, "t");
    for (int i = 0; i < 6; i++) {
        const cJSON *a = entry_where(j, "webhook_attempt", "delivery", delivery, i);
        EXPECT_TRUE(a != NULL);
        EXPECT_EQ_INT(c7t_num(a, "attempt"), i + 1);
        EXPECT_EQ_INT(c7t_num(a, "status"), 500);
        EXPECT_FALSE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "ok")));
        EXPECT_GE_INT(c7t_num(a, "t") - prev, waits[i]);
        prev = c7t_num(a, "t");
    }
    EXPECT_TRUE(entry_where(j, "webhook_attempt", "delivery", delivery, 6) == NULL);
    EXPECT_TRUE(entry_where(j, "webhook_abandoned", "subscription", bad_id, 0) != NULL);
    const cJSON *d = entry_where(j, "webhook_deactivated", "subscription", bad_id, 0);
    EXPECT_TRUE(d != NULL);
    EXPECT_EQ_INT(c7t_count(j, "webhook_deactivated"), 1);
    /* The flaky receiver got it on the third attempt and stays subscribed. */
    q = entry_where(j, "webhook_queued", "subscription", flaky_id, 0);
    const cJSON *third = entry_where(j, "webhook_attempt", "delivery", c7t_str(q, "delivery"), 2);
    EXPECT_TRUE(third != NULL);
    EXPECT_TRUE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(third, "ok")));
    cJSON_Delete(j);
    EXPECT_EQ_INT(c7t_receiver_count(&bad), 6);
    EXPECT_EQ_INT(c7t_receiver_count(&flaky), 3);

    cJSON *v = c7t_call(&s, c7t_auth, "GET", API "webhooks", NULL, 200);
    const cJSON *h;
    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(v, "Webhooks"))
    {
        int active = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "IsActive"));
        EXPECT_EQ_INT(active, strcmp(c7t_str(h, "ID"), flaky_id) == 0);
    }
    cJSON_Delete(v);
    cJSON *st = e2e_expect(&s, "GET", "/_mock/stats", NULL, NULL, 200, 1);
    const cJSON *ctr = cJSON_GetObjectItemCaseSensitive(st, "counters");
    EXPECT_EQ_INT(c7t_num(ctr, "webhooks deactivated"), 1);
    EXPECT_EQ_INT(c7t_num(ctr, "webhooks abandoned"), 1);
    EXPECT_EQ_INT(c7t_num(ctr, "webhooks failed"), 8);
    cJSON_Delete(st);

    /* A deactivated subscription gets nothing more, until it is switched
     * back on. */
    sell(&s, "#10", "A-1", 1);
    j = e2e_journal(&s);
    EXPECT_TRUE(entry_where(j, "webhook_queued", "subscription", bad_id, 1) == NULL);
    cJSON_Delete(j);
    char *body = xasprintf("{\"ID\":\"%s\",\"IsActive\":true}", bad_id);
    cJSON_Delete(c7t_call(&s, c7t_auth, "PUT", API "webhooks", body, 200));
    free(body);
    sell(&s, "#11", "A-1", 1);
    j = e2e_journal(&s);
    EXPECT_TRUE(entry_where(j, "webhook_queued", "subscription", bad_id, 1) != NULL);
    cJSON_Delete(j);
    free(bad_id);
    free(flaky_id);
    e2e_stop(&s);
    c7t_receiver_stop(&bad);
    c7t_receiver_stop(&flaky);
}

TEST(mock_cin7, webhook_subscriptions_crud_and_limits)
{
    c7t_receiver rc;
    c7t_receiver_start(&rc, 0);
    e2e_server s;
    c7t_start_world(&s, "", NULL);
    cJSON *v = c7t_call(&s, c7t_auth, "GET", API "webhooks", NULL, 200);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(v, "Webhooks")), 0);
    cJSON_Delete(v);
    char *ids[5];
    for (int i = 0; i < 5; i++)
        ids[i] = c7t_subscribe(&s, &rc, "Purchase/OrderAuthorised", "p", NULL);
    char body[512];
    snprintf(body, sizeof body,
             "{\"Type\":\"purchase/orderauthorised\",\"ExternalURL\":\"http://127.0.0.1:%u/hook/x\"}",
             (unsigned)httpd_port(rc.srv));
    c7t_expect_error(&s, c7t_auth, "POST", API "webhooks", body, 400, "limit of 5");
    c7t_expect_error(&s, c7t_auth, "POST", API "webhooks",
                     "{\"Type\":\"Sale/Exploded\",\"ExternalURL\":\"http://x/\"}", 400, "Type");
    c7t_expect_error(&s, c7t_auth, "POST", API "webhooks",
                     "{\"Type\":\"Sale/Backordered\",\"ExternalURL\":\"ftp://x/\"}", 400, "ExternalURL");
    c7t_expect_error(&s, c7t_auth, "POST", API "webhooks",
                     "{\"Type\":\"Sale/Backordered\",\"ExternalURL\":\"http://x/\","
                     "\"ExternalAuthorizationType\":\"basicauth\"}",
                     400, "ExternalUserName");
    c7t_expect_error(&s, c7t_auth, "POST", API "webhooks", "{\"ExternalURL\":\"http://x/\"}", 400, NULL);

    snprintf(body, sizeof body, "{\"ID\":\"%s\",\"ExternalURL\":\"http://127.0.0.1:1/other\",\"IsActive\":false}",
             ids[0]);
    v = c7t_call(&s, c7t_auth, "PUT", API "webhooks", body, 200);
    const cJSON *h = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "Webhooks"), 0);
    EXPECT_EQ_STR(c7t_str(h, "ExternalURL"), "http://127.0.0.1:1/other");
    EXPECT_FALSE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "IsActive")));
    EXPECT_EQ_STR(c7t_str(h, "Name"), "Purchase order has been authorised");
    cJSON_Delete(v);
    snprintf(body, sizeof body, API "webhooks?ID=%s", ids[1]);
    v = c7t_call(&s, c7t_auth, "DELETE", body, NULL, 200);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(v, "Webhooks")), 0);
    cJSON_Delete(v);
    cJSON_Delete(c7t_call(&s, c7t_auth, "DELETE", body, NULL, 400)); /* gone */
    v = c7t_call(&s, c7t_auth, "GET", API "webhooks", NULL, 200);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(v, "Webhooks")), 4);
    cJSON_Delete(v);
    /* Deleting made room for one more. */
    free(c7t_subscribe(&s, &rc, "Purchase/OrderAuthorised", "p", NULL));
    for (int i = 0; i < 5; i++)
        free(ids[i]);
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(c7t_count(j, "webhook_subscribed"), 6);
    EXPECT_EQ_INT(c7t_count(j, "webhook_deleted"), 1);
    cJSON_Delete(j);
    e2e_stop(&s);
    c7t_receiver_stop(&rc);
}

/* The statuses of n availability reads, as a string of 'o' (200) and 'x'
 * (500), for a mock started with seed and the plan below. */
static void fault_run(const char *seed, int n, char *out)
{
    e2e_server s;
    const char *const args[] = {"--seed", seed, NULL};
    c7t_start_world(&s, "", args);
    e2e_faults(&s, "[{\"kind\":\"status\",\"target\":\"GET /ExternalApi/v2/ref/productavailability\","
                   "\"status\":500,\"probability\":0.25,\"name\":\"flaky reads\"}]");
    int fired = 0;
    for (int i = 0; i < n; i++) {
        httpc_resp r = e2e_call(&s, "GET", API "ref/productavailability?Sku=A-1", c7t_auth, NULL);
        EXPECT_EQ_INT(r.result, HTTPC_OK);
        EXPECT_TRUE(r.status == 200 || r.status == 500);
        out[i] = r.status == 200 ? 'o' : 'x';
        if (r.status == 500) {
            fired++;
            EXPECT_CONTAINS(r.body, "\"ErrorCode\":500");
        }
        httpc_resp_free(&r);
    }
    out[n] = '\0';
    /* Other routes are untouched. */
    for (int i = 0; i < 20; i++)
        EXPECT_EQ_INT(c7t_status(&s, c7t_auth, "GET", API "product", NULL), 200);
    cJSON *st = e2e_expect(&s, "GET", "/_mock/stats", NULL, NULL, 200, 1);
    const cJSON *rule = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, "faults"), 0);
    EXPECT_EQ_INT(c7t_num(rule, "fired"), fired);
    EXPECT_EQ_STR(c7t_str(rule, "name"), "flaky reads");
    cJSON_Delete(st);
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(c7t_count(j, "fault"), fired);
    cJSON_Delete(j);
    e2e_stop(&s);
}

TEST(mock_cin7, faults_fire_at_the_planned_rate_for_a_seed)
{
    enum { N = 200 };
    char a[N + 1], b[N + 1], c[N + 1];
    fault_run("42", N, a);
    fault_run("42", N, b);
    fault_run("43", N, c);
    int fired = 0;
    for (int i = 0; i < N; i++)
        fired += a[i] == 'x';
    /* 25% of 200 is 50; the bounds are more than 3 standard deviations. */
    EXPECT_GE_INT(fired, 30);
    EXPECT_LE_INT(fired, 70);
    EXPECT_EQ_STR(a, b);               /* the same seed, the same faults */
    EXPECT_TRUE(strcmp(a, c) != 0);    /* another seed, others */
}

TEST(mock_cin7, delivery_faults_duplicate_and_drop)
{
    c7t_receiver rc;
    c7t_receiver_start(&rc, 0);
    e2e_server s;
    const char *const args[] = {"--time-scale", "36000", NULL};
    c7t_start_world(&s, "\"sales\":{\"pick_after\":null},\"webhooks\":{\"coalesce_window\":0}",
                    args);
    free(c7t_subscribe(&s, &rc, "Stock/AvailableStockLevelChanged", "stock", NULL));
    char *sale_sub = c7t_subscribe(&s, &rc, "Sale/OrderAuthorised", "sale", NULL);
    e2e_faults(&s, "[{\"kind\":\"duplicate\",\"target\":\"Stock/*\",\"copies\":2},"
                   "{\"kind\":\"drop\",\"target\":\"Sale/*\"}]");
    sell(&s, "#77", "A-2", 1);
    EXPECT_TRUE(c7t_wait_kind(&s, "webhook_deactivated", 1, 15000));
    EXPECT_TRUE(c7t_wait_hits(&rc, 3, 5000));
    usleep(100000);
    /* Three copies of the stock delivery; nothing of the dropped sale event. */
    EXPECT_EQ_INT(c7t_receiver_count(&rc), 3);
    for (int i = 0; i < 3; i++) {
        c7t_hit h;
        free(c7t_receiver_body(&rc, i, &h));
        EXPECT_EQ_STR(h.path, "/hook/stock");
    }
    cJSON *j = e2e_journal(&s);
    const cJSON *d = c7t_entry(j, "webhook_deactivated", 0);
    EXPECT_EQ_STR(c7t_str(d, "subscription"), sale_sub);
    int faulted = 0;
    const cJSON *e;
    for (int i = 0; (e = entry_where(j, "webhook_attempt", "type", "Sale/OrderAuthorised", i)); i++)
        faulted += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "faulted"));
    EXPECT_EQ_INT(faulted, 6);
    cJSON_Delete(j);
    free(sale_sub);
    e2e_stop(&s);
    c7t_receiver_stop(&rc);
}

TEST(mock_cin7, journal_is_ordered_and_complete)
{
    e2e_server s;
    char path[512];
    snprintf(path, sizeof path, "%s/journal.jsonl", test_tmp_dir());
    const char *const args[] = {"--journal", path, NULL};
    c7t_start_world(&s, "\"sales\":{\"pick_after\":null}", args);
    int requests = 0;
    sell(&s, "#J1", "A-1", 2);
    requests += 2; /* the header, then its order */
    char *pid = c7t_purchase(&s, "Main Warehouse", "A-2:50@8", "AUTHORISED");
    requests += 2;
    char body[128];
    snprintf(body, sizeof body, "{\"id\":\"%s\"}", pid);
    free(pid);
    cJSON_Delete(e2e_expect(&s, "POST", "/_mock/receive", NULL, body, 200, 1));
    cJSON_Delete(e2e_expect(&s, "POST", "/_mock/channel-sale", NULL, "{\"sku\":\"A-1\",\"qty\":1,\"channel\":\"pos\"}",
                            200, 1));
    EXPECT_EQ_INT(c7t_status(&s, NULL, "GET", API "product", NULL), 403);
    EXPECT_EQ_INT(c7t_status(&s, c7t_auth, "POST", API "sale", "{}"), 400);
    EXPECT_EQ_INT(c7t_status(&s, c7t_auth, "GET", API "saleList", NULL), 200);
    requests += 3;

    cJSON *j = e2e_journal(&s);
    int n = cJSON_GetArraySize(j);
    double prev_t = -1;
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        EXPECT_EQ_INT(c7t_num(e, "seq"), i + 1); /* no gaps */
        EXPECT_GE_INT(c7t_num(e, "t"), prev_t);  /* time never goes back */
        prev_t = c7t_num(e, "t");
        i++;
    }
    EXPECT_EQ_INT(c7t_count(j, "request"), requests); /* /_mock/ calls are not requests */
    /* A request's effects come before its own entry, in cause order: the
     * header's, then the order's. */
    double created = c7t_num(c7t_entry(j, "sale_created", 0), "seq");
    double header = c7t_num(entry_where(j, "request", "method", "POST", 0), "seq");
    double order = c7t_num(c7t_entry(j, "sale_order", 0), "seq");
    double authorised = c7t_num(c7t_entry(j, "sale_authorised", 0), "seq");
    double stock = c7t_num(entry_where(j, "stock", "cause", "sale_authorised", 0), "seq");
    double request = c7t_num(entry_where(j, "request", "method", "POST", 1), "seq");
    EXPECT_LT_INT(created, header);
    EXPECT_LT_INT(header, order);
    EXPECT_LT_INT(order, authorised);
    EXPECT_LT_INT(authorised, stock);
    EXPECT_LT_INT(stock, request);
    EXPECT_EQ_STR(c7t_str(entry_where(j, "request", "method", "POST", 1), "route"),
                  "/ExternalApi/v2/sale/order");
    const cJSON *req = entry_where(j, "request", "method", "POST", 0);
    EXPECT_EQ_STR(c7t_str(req, "route"), "/ExternalApi/v2/sale");
    EXPECT_EQ_STR(c7t_str(req, "client"), "sync");
    EXPECT_EQ_INT(c7t_num(req, "status"), 200);
    const char *kinds[] = {"seed",          "stock",           "sale_created",       "sale_order",
                           "sale_authorised", "purchase_created", "purchase_updated", "purchase_authorised",
                           "purchase_received", "channel_sale",   "request"};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        EXPECT_GT_INT(c7t_count(j, kinds[k]), 0);
    const cJSON *received = c7t_entry(j, "purchase_received", 0);
    EXPECT_EQ_STR(c7t_str(received, "by"), "receive");
    cJSON_Delete(j);
    e2e_stop(&s);

    /* The file holds every entry, one JSON object per line. */
    FILE *f = fopen(path, "r");
    EXPECT_TRUE(f != NULL);
    char line[8192];
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
        json_err err;
        cJSON *o = json_parse(line, strlen(line), &err);
        EXPECT_TRUE(o != NULL);
        EXPECT_EQ_INT(c7t_num(o, "seq"), lines + 1);
        cJSON_Delete(o);
        lines++;
    }
    fclose(f);
    EXPECT_GE_INT(lines, n);
}

TEST(mock_cin7, throttle_fault_lowers_the_rate_limit)
{
    e2e_server s;
    c7t_start_world(&s, "", NULL); /* unlimited */
    for (int i = 0; i < 10; i++)
        EXPECT_EQ_INT(c7t_status(&s, c7t_auth, "GET", API "ref/location", NULL), 200);
    e2e_faults(&s, "[{\"kind\":\"throttle\",\"target\":\"/ExternalApi/*\",\"limit\":3}]");
    int ok = 0;
    for (int i = 0; i < 5; i++)
        ok += c7t_status(&s, c7t_auth, "GET", API "ref/location", NULL) == 200;
    EXPECT_EQ_INT(ok, 3);
    char *msg = c7t_error(&s, c7t_auth, "GET", API "ref/location", NULL, 503);
    EXPECT_EQ_STR(msg, "You reached 3 calls per minute API limit");
    free(msg);
    /* Without the plan the account is unlimited again. */
    e2e_faults(&s, "[]");
    EXPECT_EQ_INT(c7t_status(&s, c7t_auth, "GET", API "ref/location", NULL), 200);
    e2e_stop(&s);
}

static int purchases_in_state(const e2e_server *s)
{
    cJSON *st = e2e_expect(s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(st, "purchases"));
    cJSON_Delete(st);
    return n;
}

TEST(mock_cin7, applied_reset_and_timeout_carry_the_request_out_and_lose_the_answer)
{
    e2e_server s;
    c7t_start_world(&s, "", NULL);
    static const char body[] = "{\"Supplier\":\"Acme Supply\"}";
    static const char *const plans[] = {
        "[{\"kind\":\"reset\",\"target\":\"POST /ExternalApi/v2/purchase\"}]",
        "[{\"kind\":\"reset\",\"target\":\"POST /ExternalApi/v2/purchase\",\"applied\":true}]",
        "[{\"kind\":\"timeout\",\"target\":\"POST /ExternalApi/v2/purchase\",\"hold\":\"300ms\","
        "\"applied\":true}]"};
    static const int made[] = {0, 1, 2}; /* purchases in the state after each */
    for (int i = 0; i < 3; i++) {
        e2e_faults(&s, plans[i]);
        httpc_resp r = e2e_call(&s, "POST", API "purchase", c7t_auth, body);
        EXPECT_NE_INT(r.result, HTTPC_OK); /* no answer, whatever happened */
        httpc_resp_free(&r);
        EXPECT_EQ_INT(purchases_in_state(&s), made[i]);
    }
    /* The journal says the fault fired and the purchase was made. */
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(c7t_count(j, "fault"), 3);
    EXPECT_EQ_INT(c7t_count(j, "purchase_created"), 2);
    cJSON_Delete(j);
    e2e_stop(&s);
}
