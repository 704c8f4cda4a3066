/*
 * syncd end to end, issue 7: reconciliation recovers an order whose
 * webhooks were all dropped (once, and still once when the webhook comes
 * after all); poll mode moves levels only on the poll; shipped Cin7 sales
 * become Shopify fulfillments with their tracking numbers, once, partial
 * for a split order; `syncd audit-skus` output and exit codes. Each test
 * runs mock-cin7, mock-shopify and syncd on one simulated clock and judges
 * by the mocks' ground truth. The helpers are this file's own (s7_), in
 * the manner of test_syncd_util.c. Every wait is bounded.
 */
#include "e2e.h"

#include "clock.h"
#include "hmac.h"
#include "json.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define SHOP "e2e7.myshopify.com"
#define SECRET "e2e7-secret"
#define TOKEN "shpat_e2e7"
#define ACCOUNT "e2e7"
#define KEY "e2e7-key"
#define HOOK_TOKEN "e2e7-hook"
#define ADMIN "Authorization: Bearer e2e7-admin"
#define SCALE 60

typedef struct {
    e2e_server cin7, shop, syncd;
    int64_t origin;
    char config[600];
} world;

/* ---- helpers ---------------------------------------------------------------------- */

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Polls cond every 20 ms for at most timeout_ms (real); its last value. */
static int wait_for(int (*cond)(void *ud), void *ud, int timeout_ms)
{
    int64_t until = clock_mono_us() + (int64_t)timeout_ms * 1000;
    for (;;) {
        int v = cond(ud);
        if (v || clock_mono_us() >= until)
            return v;
        nap_ms(20);
    }
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        test_fail(__FILE__, __LINE__, "cannot write %s", path);
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int64_t num_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : -1;
}

/* sales: extra mock-cin7 "sales" settings as JSON members ("" for none:
 * sales then stay ORDERED). */
static char *cin7_config(const char *locations, const char *products, const char *stock,
                         const char *sales)
{
    return xasprintf(
        "{\"account\":\"" ACCOUNT "\",\"applications\":[{\"name\":\"syncd\",\"key\":\"" KEY "\"}],"
        "\"rate_limit\":{\"preset\":\"unlimited\"},"
        "\"sales\":{%s},"
        "\"webhooks\":{\"coalesce_window\":\"5s\",\"first_attempt_after\":\"5s\","
        "\"retry_after\":[\"10s\",\"20s\",\"30s\",\"60s\",\"120s\"],\"timeout\":\"60s\"},"
        "\"locations\":%s,\"products\":%s,\"stock\":%s}",
        *sales ? sales : "\"pick_after\":null", locations, products, stock);
}

static char *shop_config(const char *products)
{
    return xasprintf(
        "{\"shops\":[{\"domain\":\"" SHOP "\",\"plan\":\"plus\",\"access_token\":\"" TOKEN "\","
        "\"app_secret\":\"" SECRET "\",\"locations\":[{\"name\":\"Online Store\"}],"
        "\"products\":%s}],"
        "\"webhooks\":{\"timeout\":\"60s\",\"retry_waits\":[\"5s\",\"10s\",\"20s\",\"40s\"]}}",
        products);
}

static void start_mocks(world *w, const char *c7, const char *sh)
{
    memset(w, 0, sizeof *w);
    w->origin = clock_wall_ms();
    char scale[32], origin[32], c7p[600], shp[600];
    snprintf(scale, sizeof scale, "%d", SCALE);
    snprintf(origin, sizeof origin, "%lld", (long long)w->origin);
    snprintf(c7p, sizeof c7p, "%s/cin7.json", test_tmp_dir());
    snprintf(shp, sizeof shp, "%s/shopify.json", test_tmp_dir());
    write_file(c7p, c7);
    write_file(shp, sh);
    const char *a7[] = {"--config", c7p, "--time-scale", scale, "--clock-origin", origin, NULL};
    const char *ash[] = {"--config", shp, "--time-scale", scale, "--clock-origin", origin, NULL};
    e2e_start(&w->cin7, "mock-cin7", a7);
    e2e_start(&w->shop, "mock-shopify", ash);
}

/* syncd's config: both mocks, the clock, the store, locations (JSON
 * text), then the members of overrides (JSON object text or NULL). */
static void write_syncd_config(world *w, const char *locations, const char *overrides)
{
    char *text = xasprintf(
        "{\"port\":0,\"store\":\"%s/syncd.db\",\"admin_token\":\"e2e7-admin\","
        "\"time_scale\":%d,\"clock_origin\":%lld,\"workers\":4,\"coalesce_window\":\"2s\","
        "\"cin7\":{\"base_url\":\"http://127.0.0.1:%u/ExternalApi/v2/\",\"account_id\":\"" ACCOUNT "\","
        "\"application_key\":\"" KEY "\",\"calls_per_minute\":6000,"
        "\"webhook_auth\":{\"type\":\"bearer\",\"secret\":\"" HOOK_TOKEN "\"}},"
        "\"shops\":[{\"domain\":\"" SHOP "\",\"base_url\":\"http://127.0.0.1:%u/shops/" SHOP "\","
        "\"access_token\":\"" TOKEN "\",\"api_secret\":\"" SECRET "\"}],\"locations\":%s}",
        test_tmp_dir(), SCALE, (long long)w->origin, (unsigned)w->cin7.port, (unsigned)w->shop.port,
        locations);
    json_err e;
    cJSON *cfg = json_parse(text, strlen(text), &e);
    if (!cfg)
        test_fail(__FILE__, __LINE__, "syncd config: %s", e.msg);
    free(text);
    if (overrides) {
        cJSON *o = json_parse(overrides, strlen(overrides), &e);
        if (!o)
            test_fail(__FILE__, __LINE__, "overrides: %s: %s", e.msg, overrides);
        json_merge(cfg, o);
        cJSON_Delete(o);
    }
    snprintf(w->config, sizeof w->config, "%s/syncd.json", test_tmp_dir());
    text = json_print(cfg);
    cJSON_Delete(cfg);
    write_file(w->config, text);
    free(text);
}

/* A /metrics sample by exact name; -1 when absent. */
static int64_t metric(const world *w, const char *name)
{
    httpc_resp r = e2e_call(&w->syncd, "GET", "/metrics", NULL, NULL);
    if (r.result != HTTPC_OK || r.status != 200)
        test_fail(__FILE__, __LINE__, "GET /metrics: %s (status %d)", r.error, r.status);
    int64_t v = -1;
    size_t n = strlen(name);
    for (const char *line = r.body; line && *line;) {
        if (strncmp(line, name, n) == 0 && line[n] == ' ') {
            v = strtoll(line + n + 1, NULL, 10);
            break;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    httpc_resp_free(&r);
    return v;
}

static int ready(void *ud)
{
    const world *w = ud;
    httpc_resp r = e2e_call(&w->syncd, "GET", "/healthz", NULL, NULL);
    int ok = r.result == HTTPC_OK && r.status == 200;
    httpc_resp_free(&r);
    return ok && metric(w, "syncd_snapshot_reads_total") >= 1;
}

static void start_syncd(world *w)
{
    const char *args[] = {"--config", w->config, NULL};
    e2e_start(&w->syncd, "syncd", args);
    if (!wait_for(ready, w, 20000))
        test_fail(__FILE__, __LINE__, "syncd not ready within 20 s (log %s)", w->syncd.log);
}

static void stop_all(world *w)
{
    e2e_stop(&w->syncd);
    e2e_stop(&w->shop);
    e2e_stop(&w->cin7);
}

/* A checkout of lines (JSON array text); returns the order id. */
static int64_t checkout(const world *w, const char *lines)
{
    char *body = xasprintf("{\"lines\":%s}", lines);
    cJSON *v = e2e_expect(&w->shop, "POST", "/_mock/checkout", NULL, body, 200, 1);
    free(body);
    const char *res = str_of(v, "result");
    if (!res || strcmp(res, "accepted") != 0)
        test_fail(__FILE__, __LINE__, "checkout of %s not accepted", lines);
    int64_t id = num_of(v, "order_id");
    cJSON_Delete(v);
    return id;
}

/* Sales (not voided) of an order in a mock-cin7 state; *first may get one. */
static int sales_of(const cJSON *state, int64_t order, const cJSON **first)
{
    char ref[32];
    snprintf(ref, sizeof ref, "%lld", (long long)order);
    int n = 0;
    if (first)
        *first = NULL;
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(state, "sales"))
    {
        const char *r = str_of(s, "customer_reference"), *st = str_of(s, "status");
        if (!r || strcmp(r, ref) != 0 || (st && strcmp(st, "VOIDED") == 0))
            continue;
        if (first && !*first)
            *first = s;
        n++;
    }
    return n;
}

static int sales_now(const world *w, int64_t order)
{
    cJSON *st = e2e_expect(&w->cin7, "GET", "/_mock/state", NULL, NULL, 200, 1);
    int n = sales_of(st, order, NULL);
    cJSON_Delete(st);
    return n;
}

/* Every journal entry of a mock (caller frees). */
static cJSON *journal(const e2e_server *s)
{
    cJSON *all = cJSON_CreateArray();
    long long since = 0;
    for (int page = 0; page < 1000; page++) {
        char path[96];
        snprintf(path, sizeof path, "/_mock/journal?since=%lld&limit=10000", since);
        cJSON *v = e2e_expect(s, "GET", path, NULL, NULL, 200, 1);
        cJSON *entries = cJSON_GetObjectItemCaseSensitive(v, "entries");
        int n = cJSON_GetArraySize(entries);
        while (cJSON_GetArraySize(entries) > 0)
            cJSON_AddItemToArray(all, cJSON_DetachItemFromArray(entries, 0));
        since = num_of(v, "next");
        cJSON_Delete(v);
        if (n == 0)
            break;
    }
    return all;
}

static int level_writes(const world *w)
{
    cJSON *j = journal(&w->shop);
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        const char *k = str_of(e, "kind"), *by = str_of(e, "by");
        n += k && by && strcmp(k, "inventory") == 0 && strcmp(by, "graphql_set") == 0;
    }
    cJSON_Delete(j);
    return n;
}

static int64_t shop_available(const world *w, const char *sku)
{
    cJSON *st = e2e_expect(&w->shop, "GET", "/_mock/state", NULL, NULL, 200, 1);
    int64_t v = -1;
    const cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, "shops"), 0),
                              "levels"))
    {
        const char *s = str_of(l, "sku");
        if (s && strcmp(s, sku) == 0 && v < 0)
            v = num_of(l, "available");
    }
    cJSON_Delete(st);
    return v;
}

/* The order as Shopify's REST API gives it (the webhook body); caller frees. */
static char *order_json(const world *w, int64_t id)
{
    char path[200];
    snprintf(path, sizeof path, "/shops/" SHOP "/admin/api/2026-10/orders/%lld.json", (long long)id);
    const char *hdrs[] = {"X-Shopify-Access-Token: " TOKEN, NULL};
    cJSON *v = e2e_expect(&w->shop, "GET", path, hdrs, NULL, 200, 1);
    char *text = json_print(cJSON_GetObjectItemCaseSensitive(v, "order"));
    cJSON_Delete(v);
    return text;
}

/* POSTs a signed orders/paid webhook to syncd as Shopify would. */
static int send_paid_webhook(const world *w, const char *body, const char *webhook_id)
{
    char sig[HMAC_SHA256_B64_SIZE];
    hmac_sha256_base64(SECRET, body, strlen(body), sig);
    char h_sig[128], h_wid[128];
    snprintf(h_sig, sizeof h_sig, "X-Shopify-Hmac-Sha256: %s", sig);
    snprintf(h_wid, sizeof h_wid, "X-Shopify-Webhook-Id: %s", webhook_id);
    const char *hdrs[] = {"Content-Type: application/json", "X-Shopify-Shop-Domain: " SHOP,
                          "X-Shopify-Topic: orders/paid", h_sig, h_wid, NULL};
    httpc_resp r = e2e_call(&w->syncd, "POST", "/webhooks/shopify", hdrs, body);
    int status = r.result == HTTPC_OK ? r.status : 0;
    httpc_resp_free(&r);
    return status;
}

static int queue_empty(void *ud)
{
    return metric(ud, "syncd_queue_depth") == 0;
}

typedef struct {
    const world *w;
    const char *name;
    int64_t at_least;
} metric_wait;

static int metric_reached(void *ud)
{
    metric_wait *m = ud;
    return metric(m->w, m->name) >= m->at_least;
}

static void wait_metric(const world *w, const char *name, int64_t at_least, int timeout_ms)
{
    metric_wait m = {w, name, at_least};
    if (!wait_for(metric_reached, &m, timeout_ms))
        test_fail(__FILE__, __LINE__, "%s stayed below %lld for %d ms (it is %lld; log %s)", name,
                  (long long)at_least, timeout_ms, (long long)metric(w, name), w->syncd.log);
}

typedef struct {
    const world *w;
    int64_t order;
    int want;
} sales_wait;

static int sales_reached(void *ud)
{
    sales_wait *s = ud;
    return sales_now(s->w, s->order) >= s->want;
}

/* ---- reconciliation ---------------------------------------------------------------- */

static void start_basic(world *w, const char *overrides)
{
    char *c7 = cin7_config("[{\"name\":\"Main\"}]", "[{\"sku\":\"A-1\",\"price\":10}]",
                           "[{\"sku\":\"A-1\",\"location\":\"Main\",\"on_hand\":100}]", "");
    char *sh = shop_config("[{\"title\":\"A\",\"variants\":[{\"sku\":\"A-1\",\"price\":\"10.00\","
                           "\"available\":100}]}]");
    start_mocks(w, c7, sh);
    free(c7);
    free(sh);
    write_syncd_config(w, "[{\"name\":\"Main\"}]", overrides);
    start_syncd(w);
}

TEST_T(syncd7, reconcile_recovers_an_order_whose_webhooks_were_all_dropped, 120)
{
    world w;
    /* A reconcile interval of 2 simulated minutes: 2 s here. */
    start_basic(&w, "{\"reconcile\":{\"interval\":\"2m\",\"overlap\":\"10m\"}}");
    cJSON *v = e2e_expect(&w.shop, "PUT", "/_mock/faults", NULL,
                          "[{\"kind\":\"drop\",\"target\":\"orders/paid\"}]", 200, 1);
    cJSON_Delete(v);
    int64_t order = checkout(&w, "[{\"sku\":\"A-1\",\"qty\":2}]");

    /* No webhook brings it; a reconciliation run does, once. */
    sales_wait sw = {&w, order, 1};
    if (!wait_for(sales_reached, &sw, 30000))
        test_fail(__FILE__, __LINE__, "order %lld never reached Cin7 (log %s)", (long long)order,
                  w.syncd.log);
    EXPECT_EQ_INT(sales_now(&w, order), 1);
    EXPECT_EQ_INT(metric(&w, "syncd_reconcile_orders_recovered_total"), 1);
    EXPECT_GE_INT(metric(&w, "syncd_reconcile_runs_total"), 1);
    /* Every delivery attempt of orders/paid failed: the drop was real. */
    cJSON *j = journal(&w.shop);
    int attempts = 0, delivered = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        const char *k = str_of(e, "kind"), *topic = str_of(e, "topic");
        if (!k || !topic || strcmp(k, "webhook_attempt") != 0 || strcmp(topic, "orders/paid") != 0)
            continue;
        attempts++;
        delivered += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "ok"));
    }
    cJSON_Delete(j);
    EXPECT_GE_INT(attempts, 1);
    EXPECT_EQ_INT(delivered, 0);

    /* The webhook arrives after all (Shopify's last retry, say): still one
     * sale. */
    char *body = order_json(&w, order);
    EXPECT_EQ_INT(send_paid_webhook(&w, body, "late-delivery-1"), 200);
    free(body);
    wait_metric(&w, "syncd_events_done_total", 2, 20000);
    EXPECT_TRUE(wait_for(queue_empty, &w, 20000));
    EXPECT_EQ_INT(sales_now(&w, order), 1);

    /* Later runs see the order known and leave it alone. */
    int64_t runs = metric(&w, "syncd_reconcile_runs_total");
    wait_metric(&w, "syncd_reconcile_runs_total", runs + 2, 30000);
    EXPECT_TRUE(wait_for(queue_empty, &w, 20000));
    EXPECT_EQ_INT(sales_now(&w, order), 1);
    EXPECT_EQ_INT(metric(&w, "syncd_reconcile_orders_recovered_total"), 1);
    /* And Shopify shows what Cin7 has left. (Whether a run found drift
     * depends on timing: the start-up sync may land after the checkout,
     * before any baseline, and re-offer its units until a run repairs it.) */
    EXPECT_EQ_INT(shop_available(&w, "A-1"), 98);
    stop_all(&w);
}

/* syncd has read Shopify's inventory levels at least once. */
static int levels_read(void *ud)
{
    const world *w = ud;
    cJSON *j = journal(&w->shop);
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        const char *k = str_of(e, "kind"), *path = str_of(e, "path");
        n += k && path && strcmp(k, "request") == 0 && strstr(path, "inventory_levels.json");
    }
    cJSON_Delete(j);
    return n > 0;
}

TEST_T(syncd7, reconcile_repairs_level_drift, 120)
{
    world w;
    start_basic(&w, "{\"reconcile\":{\"interval\":\"1h\"}}");
    /* A fresh start waits one interval: no run yet. */
    EXPECT_LE_INT(metric(&w, "syncd_reconcile_runs_total"), 0);
    /* The start-up sync has read the levels (and found them right), so
     * what follows is drift only a reconciliation finds. */
    if (!wait_for(levels_read, &w, 20000))
        test_fail(__FILE__, __LINE__, "syncd never read the Shopify levels (log %s)", w.syncd.log);
    /* Someone sets the Shopify level by hand; no webhook tells syncd. */
    cJSON *v = e2e_expect(&w.shop, "POST", "/_mock/seed", NULL,
                          "{\"levels\":[{\"sku\":\"A-1\",\"available\":250}]}", 200, 1);
    cJSON_Delete(v);
    EXPECT_EQ_INT(shop_available(&w, "A-1"), 250);
    /* The admin API asks for a run now. */
    v = e2e_expect(&w.syncd, "POST", "/admin/reconcile", (const char *const[]){ADMIN, NULL}, "",
                   202, 1);
    cJSON_Delete(v);
    wait_metric(&w, "syncd_reconcile_drift_skus_total", 1, 20000);
    EXPECT_EQ_INT(shop_available(&w, "A-1"), 100);
    EXPECT_EQ_INT(metric(&w, "syncd_reconcile_drift_skus_total"), 1);
    EXPECT_EQ_INT(metric(&w, "syncd_reconcile_anomalies_total{kind=\"level_drift\"}"), 1);
    EXPECT_EQ_INT(metric(&w, "syncd_reconcile_runs_total"), 1);
    stop_all(&w);
}

/* ---- poll mode ------------------------------------------------------------------------ */

typedef struct {
    const world *w;
    const char *sku;
    int64_t want;
} level_wait;

static int level_is(void *ud)
{
    level_wait *l = ud;
    return shop_available(l->w, l->sku) == l->want;
}

TEST_T(syncd7, poll_mode_moves_levels_only_on_the_poll, 120)
{
    world w;
    char *c7 = cin7_config("[{\"name\":\"Main\"}]", "[{\"sku\":\"A-1\",\"price\":10}]",
                           "[{\"sku\":\"A-1\",\"location\":\"Main\",\"on_hand\":80}]", "");
    char *sh = shop_config("[{\"title\":\"A\",\"variants\":[{\"sku\":\"A-1\",\"price\":\"10.00\","
                           "\"available\":100}]}]");
    start_mocks(&w, c7, sh);
    free(c7);
    free(sh);
    /* An hour between polls: a minute of real time. The test asks for
     * the second poll through the admin API instead of waiting. */
    write_syncd_config(&w, "[{\"name\":\"Main\"}]", "{\"mode\":\"poll\",\"poll_interval\":\"1h\"}");
    start_syncd(&w);

    /* The first poll comes at once and writes the level. */
    level_wait lw = {&w, "A-1", 80};
    if (!wait_for(level_is, &lw, 20000))
        test_fail(__FILE__, __LINE__, "the first poll did not write 80 (log %s)", w.syncd.log);
    EXPECT_EQ_INT(metric(&w, "syncd_poll_runs_total"), 1);
    EXPECT_EQ_INT(level_writes(&w), 1);
    /* No webhook was registered on either side. */
    cJSON *st = e2e_expect(&w.shop, "GET", "/_mock/state", NULL, NULL, 200, 1);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
                      cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, "shops"), 0),
                      "subscriptions")),
                  0);
    cJSON_Delete(st);
    st = e2e_expect(&w.cin7, "GET", "/_mock/state", NULL, NULL, 200, 1);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(st, "subscriptions")), 0);
    cJSON_Delete(st);

    /* Between polls: a shopper buys 5, the shop floor sells 10. */
    int64_t order = checkout(&w, "[{\"sku\":\"A-1\",\"qty\":5}]");
    cJSON *v = e2e_expect(&w.cin7, "POST", "/_mock/channel-sale", NULL,
                          "{\"sku\":\"A-1\",\"location\":\"Main\",\"qty\":10}", 200, 1);
    cJSON_Delete(v);
    /* Three simulated minutes later (of the hour): nothing moved. */
    nap_ms(3000);
    EXPECT_EQ_INT(metric(&w, "syncd_poll_runs_total"), 1);
    EXPECT_EQ_INT(level_writes(&w), 1);
    EXPECT_EQ_INT(shop_available(&w, "A-1"), 75);
    EXPECT_EQ_INT(sales_now(&w, order), 0);

    /* The next poll: the order is pushed, the level written once:
     * Cin7's 70 less the 5 of the order Cin7 may not show yet. */
    v = e2e_expect(&w.syncd, "POST", "/admin/reconcile", (const char *const[]){ADMIN, NULL}, "",
                   202, 1);
    cJSON_Delete(v);
    sales_wait sw = {&w, order, 1};
    EXPECT_TRUE(wait_for(sales_reached, &sw, 20000));
    lw.want = 65;
    EXPECT_TRUE(wait_for(level_is, &lw, 20000));
    EXPECT_EQ_INT(metric(&w, "syncd_poll_runs_total"), 2);
    EXPECT_EQ_INT(metric(&w, "syncd_poll_orders_total"), 1);
    /* The pushed order marks its SKU (syncd_poll_waiting_skus), which
     * waits for the next poll: two simulated minutes on, no write. */
    EXPECT_TRUE(wait_for(queue_empty, &w, 20000));
    EXPECT_GE_INT(metric(&w, "syncd_poll_waiting_skus"), 0);
    nap_ms(2000);
    EXPECT_EQ_INT(level_writes(&w), 2);
    EXPECT_EQ_INT(shop_available(&w, "A-1"), 65);
    EXPECT_EQ_INT(sales_now(&w, order), 1);
    stop_all(&w);
}

/* ---- fulfillments --------------------------------------------------------------------- */

/* Fulfillment journal entries of an order. */
static int fulfillments_of(const world *w, int64_t order, cJSON **entries)
{
    cJSON *j = journal(&w->shop);
    cJSON *out = cJSON_CreateArray();
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        const char *k = str_of(e, "kind");
        if (k && strcmp(k, "fulfillment") == 0 && num_of(e, "order_id") == order)
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
    const world *w;
    int64_t order;
    int want;
} ful_wait;

static int fulfilled(void *ud)
{
    ful_wait *f = ud;
    return fulfillments_of(f->w, f->order, NULL) >= f->want;
}

/* The tracking number of a sale (by its location) of an order, or NULL. */
static char *tracking_of(const world *w, int64_t order, const char *location)
{
    cJSON *st = e2e_expect(&w->cin7, "GET", "/_mock/state", NULL, NULL, 200, 1);
    char ref[32];
    snprintf(ref, sizeof ref, "%lld", (long long)order);
    char *t = NULL;
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(st, "sales"))
    {
        const char *r = str_of(s, "customer_reference"), *loc = str_of(s, "location");
        const char *trk = str_of(s, "tracking_number");
        if (r && loc && trk && *trk && strcmp(r, ref) == 0 && strcmp(loc, location) == 0)
            t = xstrdup(trk);
    }
    cJSON_Delete(st);
    return t;
}

TEST_T(syncd7, shipped_sales_become_fulfillments_once, 150)
{
    world w;
    /* East holds A-1, West holds A-2; sales ship three simulated minutes
     * after they are authorised. */
    char *c7 = cin7_config(
        "[{\"name\":\"East\"},{\"name\":\"West\"}]",
        "[{\"sku\":\"A-1\",\"price\":10},{\"sku\":\"A-2\",\"price\":20}]",
        "[{\"sku\":\"A-1\",\"location\":\"East\",\"on_hand\":20},"
        "{\"sku\":\"A-2\",\"location\":\"West\",\"on_hand\":20}]",
        "\"pick_after\":\"1m\",\"pack_after\":\"1m\",\"ship_after\":\"1m\"");
    char *sh = shop_config("[{\"title\":\"A1\",\"variants\":[{\"sku\":\"A-1\",\"available\":20}]},"
                           "{\"title\":\"A2\",\"variants\":[{\"sku\":\"A-2\",\"available\":20}]}]");
    start_mocks(&w, c7, sh);
    free(c7);
    free(sh);
    write_syncd_config(&w, "[{\"name\":\"East\",\"priority\":1},{\"name\":\"West\",\"priority\":2}]",
                       NULL);
    start_syncd(&w);
    /* Default reconciliation is nightly: nothing ran at start. */
    EXPECT_LE_INT(metric(&w, "syncd_reconcile_runs_total"), 0);

    /* One sale for the whole order: one complete fulfillment. */
    int64_t whole = checkout(&w, "[{\"sku\":\"A-1\",\"qty\":2}]");
    ful_wait fw = {&w, whole, 1};
    if (!wait_for(fulfilled, &fw, 40000))
        test_fail(__FILE__, __LINE__, "order %lld was never fulfilled (log %s)", (long long)whole,
                  w.syncd.log);
    char *trk = tracking_of(&w, whole, "East");
    EXPECT_TRUE(trk != NULL);
    cJSON *fs = NULL;
    EXPECT_EQ_INT(fulfillments_of(&w, whole, &fs), 1);
    const cJSON *f = cJSON_GetArrayItem(fs, 0);
    EXPECT_EQ_STR(str_of(f, "tracking_number"), trk);
    EXPECT_EQ_STR(str_of(f, "tracking_company"), "DEFAULT Carrier");
    const cJSON *lines = cJSON_GetObjectItemCaseSensitive(f, "lines");
    EXPECT_EQ_INT(cJSON_GetArraySize(lines), 1);
    EXPECT_EQ_STR(str_of(cJSON_GetArrayItem(lines, 0), "sku"), "A-1");
    EXPECT_EQ_INT(num_of(cJSON_GetArrayItem(lines, 0), "qty"), 2);
    cJSON_Delete(fs);

    /* The split order: one sale per warehouse, two partial fulfillments
     * with their own tracking numbers that together cover the order. */
    int64_t split = checkout(&w, "[{\"sku\":\"A-1\",\"qty\":1},{\"sku\":\"A-2\",\"qty\":3}]");
    fw = (ful_wait){&w, split, 2};
    if (!wait_for(fulfilled, &fw, 40000))
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
        const char *sku = str_of(cJSON_GetArrayItem(lines, 0), "sku");
        int64_t qty = num_of(cJSON_GetArrayItem(lines, 0), "qty");
        const char *t = str_of(f, "tracking_number");
        if (sku && strcmp(sku, "A-1") == 0) {
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
    EXPECT_GE_INT(metric(&w, "syncd_fulfillments_partial_total"), 1);

    /* A duplicate shipment webhook fulfils nothing twice. */
    cJSON *st = e2e_expect(&w.cin7, "GET", "/_mock/state", NULL, NULL, 200, 1);
    const cJSON *sale = NULL;
    EXPECT_EQ_INT(sales_of(st, whole, &sale), 1);
    char *dup = xasprintf("{\"SaleID\":\"%s\",\"Status\":\"SHIPPED\",\"CustomerReference\":\"%s\","
                          "\"ExternalID\":\"%s\",\"TrackingNumber\":\"%s\",\"Location\":\"East\","
                          "\"Lines\":[{\"SKU\":\"A-1\",\"Quantity\":2,\"BackorderQuantity\":0}]}",
                          str_of(sale, "id"), str_of(sale, "customer_reference"),
                          str_of(sale, "external_id"), trk);
    cJSON_Delete(st);
    int64_t dups = metric(&w, "syncd_fulfillments_duplicate_total");
    const char *hdrs[] = {"Authorization: Bearer " HOOK_TOKEN, "Content-Type: application/json", NULL};
    for (int i = 0; i < 2; i++) {
        cJSON *ok = e2e_expect(&w.syncd, "POST", "/webhooks/cin7?type=Sale/ShipmentTrackingNumberChanged",
                               hdrs, dup, 200, 1);
        cJSON_Delete(ok);
    }
    free(dup);
    wait_metric(&w, "syncd_fulfillments_duplicate_total", (dups > 0 ? dups : 0) + 2, 20000);
    EXPECT_EQ_INT(fulfillments_of(&w, whole, NULL), 1);
    EXPECT_EQ_INT(fulfillments_of(&w, split, NULL), 2);
    EXPECT_EQ_INT(metric(&w, "syncd_fulfillments_created_total"), 3);
    /* The Shopify order is fulfilled in full. */
    cJSON *order = e2e_expect(&w.shop, "GET", "/_mock/state", NULL, NULL, 200, 1);
    const cJSON *o;
    int full = 0;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(order, "shops"), 0),
                              "orders"))
    {
        if (num_of(o, "id") != split)
            continue;
        const cJSON *l;
        full = 1;
        cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(o, "lines"))
            full &= num_of(l, "fulfilled") == num_of(l, "quantity");
    }
    cJSON_Delete(order);
    EXPECT_TRUE(full);
    free(trk);
    free(east);
    free(west);
    stop_all(&w);
}

typedef struct {
    const world *w;
    int64_t order;
} shipped_wait;

static int sale_shipped(void *ud)
{
    shipped_wait *sw = ud;
    cJSON *st = e2e_expect(&sw->w->cin7, "GET", "/_mock/state", NULL, NULL, 200, 1);
    const cJSON *sale = NULL;
    int ok = sales_of(st, sw->order, &sale) == 1 && str_of(sale, "status") &&
             strcmp(str_of(sale, "status"), "SHIPPED") == 0;
    cJSON_Delete(st);
    return ok;
}

TEST_T(syncd7, poll_mode_fulfils_what_shipped_on_the_next_poll, 120)
{
    world w;
    char *c7 = cin7_config("[{\"name\":\"Main\"}]", "[{\"sku\":\"A-1\",\"price\":10}]",
                           "[{\"sku\":\"A-1\",\"location\":\"Main\",\"on_hand\":50}]",
                           "\"pick_after\":\"1m\",\"pack_after\":\"1m\",\"ship_after\":\"1m\"");
    char *sh = shop_config("[{\"title\":\"A\",\"variants\":[{\"sku\":\"A-1\",\"available\":50}]}]");
    start_mocks(&w, c7, sh);
    free(c7);
    free(sh);
    write_syncd_config(&w, "[{\"name\":\"Main\"}]", "{\"mode\":\"poll\",\"poll_interval\":\"1h\"}");
    start_syncd(&w);
    wait_metric(&w, "syncd_poll_runs_total", 1, 20000);
    int64_t order = checkout(&w, "[{\"sku\":\"A-1\",\"qty\":4}]");
    const char *admin[] = {ADMIN, NULL};
    cJSON *v = e2e_expect(&w.syncd, "POST", "/admin/reconcile", admin, "", 202, 1);
    cJSON_Delete(v);
    sales_wait sw = {&w, order, 1};
    EXPECT_TRUE(wait_for(sales_reached, &sw, 20000));
    /* It ships in Cin7; no webhook says so; the next poll finds it. */
    shipped_wait hw = {&w, order};
    EXPECT_TRUE(wait_for(sale_shipped, &hw, 30000));
    EXPECT_EQ_INT(fulfillments_of(&w, order, NULL), 0);
    v = e2e_expect(&w.syncd, "POST", "/admin/reconcile", admin, "", 202, 1);
    cJSON_Delete(v);
    ful_wait fw = {&w, order, 1};
    if (!wait_for(fulfilled, &fw, 20000))
        test_fail(__FILE__, __LINE__, "the poll did not fulfil order %lld (log %s)", (long long)order,
                  w.syncd.log);
    EXPECT_EQ_INT(metric(&w, "syncd_poll_shipments_total"), 1);
    /* Polls after that leave it alone. */
    v = e2e_expect(&w.syncd, "POST", "/admin/reconcile", admin, "", 202, 1);
    cJSON_Delete(v);
    wait_metric(&w, "syncd_poll_runs_total", 4, 20000);
    EXPECT_TRUE(wait_for(queue_empty, &w, 20000));
    EXPECT_EQ_INT(fulfillments_of(&w, order, NULL), 1);
    EXPECT_EQ_INT(metric(&w, "syncd_poll_shipments_total"), 1);
    stop_all(&w);
}

/* ---- SKU audit ------------------------------------------------------------------------- */

/* Runs syncd audit-skus with the extra arguments; returns its exit code and
 * its output (stdout and stderr, malloc'd) in *out. */
static int run_audit(const world *w, const char *const *extra, char **out)
{
    static int runs;
    char log[600], bin[600];
    snprintf(log, sizeof log, "%s/audit-%d.out", test_tmp_dir(), ++runs);
    snprintf(bin, sizeof bin, "%s/syncd", test_bin_dir());
    const char *argv[16] = {bin, "audit-skus", "--config", w->config};
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
    FILE *f = fopen(log, "r");
    char *text = xcalloc(1, 65536);
    size_t got = f ? fread(text, 1, 65535, f) : 0;
    text[got] = '\0';
    if (f)
        fclose(f);
    *out = text;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_T(syncd7, audit_skus_output_and_exit_codes, 90)
{
    world w;
    /* Cin7: match or nearly; "300" is ACME-300 without its
     * prefix; C-9 only Cin7 has. Shopify: a-2 differs in case, " A-3 "
     * in whitespace, SHOP-ONLY only Shopify has. */
    char *c7 = cin7_config("[{\"name\":\"Main\"}]",
                           "[{\"sku\":\"A-1\"},{\"sku\":\"A-2\"},{\"sku\":\"A-3\"},{\"sku\":\"300\"},"
                           "{\"sku\":\"C-9\"}]",
                           "[]", "");
    char *sh = shop_config("[{\"title\":\"P\",\"variants\":[{\"sku\":\"A-1\"},{\"sku\":\"a-2\"},"
                           "{\"sku\":\" A-3 \"},{\"sku\":\"ACME-300\"},{\"sku\":\"SHOP-ONLY\"}]}]");
    start_mocks(&w, c7, sh);
    free(c7);
    free(sh);
    write_syncd_config(&w, "[{\"name\":\"Main\"}]", NULL);

    char *out = NULL;
    EXPECT_EQ_INT(run_audit(&w, NULL, &out), 1);
    EXPECT_CONTAINS(out, "shop " SHOP ": 5 SKUs, 1 matched, 1 Shopify-only, 3 near misses\n");
    EXPECT_CONTAINS(out, "cin7: 5 products, 1 matched, 1 Cin7-only\n");
    EXPECT_CONTAINS(out, "shopify-only " SHOP " \"SHOP-ONLY\"\n");
    EXPECT_CONTAINS(out, "cin7-only \"C-9\"\n");
    EXPECT_CONTAINS(out, "near-miss " SHOP " \"a-2\" ~ \"A-2\" (case)\n");
    EXPECT_CONTAINS(out, "near-miss " SHOP " \" A-3 \" ~ \"A-3\" (whitespace)\n");
    EXPECT_CONTAINS(out, "near-miss " SHOP " \"ACME-300\" ~ \"300\" (prefix)\n");
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
    EXPECT_CONTAINS(out, "cannot read the variants of " SHOP);
    free(out);
    const char *no_cin7[] = {"--cin7-url", "http://127.0.0.1:1/ExternalApi/v2/", NULL};
    EXPECT_EQ_INT(run_audit(&w, no_cin7, &out), 3);
    EXPECT_CONTAINS(out, "cannot read Cin7's products");
    free(out);

    e2e_stop(&w.shop);
    e2e_stop(&w.cin7);
}
