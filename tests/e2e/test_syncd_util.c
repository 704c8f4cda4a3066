/* Helpers for syncd's end-to-end tests; see test_syncd.h. */
#include "test_syncd.h"

#include "clock.h"
#include "hmac.h"
#include "json.h"
#include "mem.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOP_TOKEN "shpat_e2e"
#define CIN7_ACCOUNT "e2e"
#define CIN7_KEY "e2e-key"

const char *sdt_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v))
        test_fail(__FILE__, __LINE__, "field %s is not a string", key);
    return v->valuestring;
}

double sdt_num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        test_fail(__FILE__, __LINE__, "field %s is not a number", key);
    return v->valuedouble;
}

/* ---- the world ----------------------------------------------------------------- */

char *sdt_cin7_config_with(const char *locations, const char *suppliers, const char *products,
                           const char *stock)
{
    /* Every product has a supplier, as a real catalog does (replenishment
     * dead-letters a SKU it cannot reorder), unless it names "" (none). */
    json_err e;
    cJSON *prods = json_parse(products, strlen(products), &e);
    if (!cJSON_IsArray(prods))
        test_fail(__FILE__, __LINE__, "products: %s: %s", e.msg, products);
    cJSON *p;
    cJSON_ArrayForEach(p, prods)
    {
        const cJSON *sup = cJSON_GetObjectItemCaseSensitive(p, "supplier");
        if (!sup)
            cJSON_AddStringToObject(p, "supplier", "E2E Supply");
        else if (cJSON_IsString(sup) && !*sup->valuestring)
            cJSON_DeleteItemFromObjectCaseSensitive(p, "supplier");
    }
    char *with = json_print(prods);
    cJSON_Delete(prods);
    int extra = suppliers && strcmp(suppliers, "[]") != 0;
    char *text = xasprintf(
        "{\"account\":\"" CIN7_ACCOUNT "\","
        "\"applications\":[{\"name\":\"syncd\",\"key\":\"" CIN7_KEY "\"}],"
        "\"rate_limit\":{\"preset\":\"unlimited\"},"
        "\"sales\":{\"pick_after\":null},"
        "\"webhooks\":{\"coalesce_window\":\"5s\",\"first_attempt_after\":\"5s\","
        "\"retry_after\":[\"10s\",\"20s\",\"30s\",\"60s\",\"120s\"],\"timeout\":\"60s\"},"
        "\"suppliers\":[{\"name\":\"E2E Supply\",\"lead_time\":\"7d\",\"minimum_order\":10}%s%.*s],"
        "\"customers\":[{\"name\":\"Shopify " SDT_SHOP "\"}],"
        "\"locations\":%s,\"products\":%s,\"stock\":%s}",
        extra ? "," : "", extra ? (int)strlen(suppliers) - 2 : 0, extra ? suppliers + 1 : "",
        locations, with, stock);
    free(with);
    return text;
}

char *sdt_cin7_config(const char *locations, const char *products, const char *stock)
{
    return sdt_cin7_config_with(locations, NULL, products, stock);
}

char *sdt_shop_config(const char *products, const char *webhooks_extra)
{
    int extra = webhooks_extra && *webhooks_extra;
    return xasprintf(
        "{\"shops\":[{\"domain\":\"" SDT_SHOP "\",\"plan\":\"plus\","
        "\"access_token\":\"" SHOP_TOKEN "\",\"app_secret\":\"" SDT_SECRET "\","
        "\"locations\":[{\"name\":\"Online Store\"}],\"products\":%s}],"
        "\"webhooks\":{\"timeout\":\"60s\","
        "\"retry_waits\":[\"5s\",\"10s\",\"20s\",\"40s\",\"80s\",\"160s\"]%s%s}}",
        products, extra ? "," : "", extra ? webhooks_extra : "");
}

void sdt_start_mocks(sdt_world *w, const char *cin7_config, const char *shop_config)
{
    memset(w, 0, sizeof *w);
    w->origin = clock_wall_ms();
    char scale[32], origin[32], j7[600], jsh[600];
    snprintf(scale, sizeof scale, "%d", SDT_SCALE);
    snprintf(origin, sizeof origin, "%lld", (long long)w->origin);
    snprintf(j7, sizeof j7, "%s/cin7-journal.jsonl", test_tmp_dir());
    snprintf(jsh, sizeof jsh, "%s/shopify-journal.jsonl", test_tmp_dir());
    const char *a7[] = {"--time-scale", scale, "--clock-origin", origin, "--journal", j7, NULL};
    const char *ash[] = {"--time-scale", scale, "--clock-origin", origin, "--journal", jsh, NULL};
    e2e_start_config(&w->cin7, "mock-cin7", cin7_config, a7);
    e2e_start_config(&w->shop, "mock-shopify", shop_config, ash);
}

char *sdt_json_merge(const char *text, const char *overrides)
{
    json_err e;
    cJSON *v = json_parse(text, strlen(text), &e);
    if (!cJSON_IsObject(v))
        test_fail(__FILE__, __LINE__, "config: %s: %s", e.msg, text);
    if (overrides) {
        cJSON *o = json_parse(overrides, strlen(overrides), &e);
        if (!o)
            test_fail(__FILE__, __LINE__, "overrides: %s: %s", e.msg, overrides);
        json_merge(v, o);
        cJSON_Delete(o);
    }
    char *merged = json_print(v);
    cJSON_Delete(v);
    return merged;
}

void sdt_write_syncd_config(sdt_world *w, const char *locations, const char *overrides)
{
    char *text = xasprintf(
        "{\"port\":0,\"store\":\"%s/syncd.db\",\"admin_token\":\"e2e-admin\","
        "\"time_scale\":%d,\"clock_origin\":%lld,\"workers\":4,\"log_level\":\"info\","
        "\"coalesce_window\":\"2s\","
        "\"cin7\":{\"base_url\":\"http://127.0.0.1:%u/ExternalApi/v2/\","
        "\"account_id\":\"" CIN7_ACCOUNT "\",\"application_key\":\"" CIN7_KEY "\","
        "\"calls_per_minute\":6000,"
        "\"webhook_auth\":{\"type\":\"bearer\",\"secret\":\"" SDT_CIN7_HOOK_TOKEN "\"}},"
        "\"shops\":[{\"domain\":\"" SDT_SHOP "\","
        "\"base_url\":\"http://127.0.0.1:%u/shops/" SDT_SHOP "\","
        "\"access_token\":\"" SHOP_TOKEN "\",\"api_secret\":\"" SDT_SECRET "\"}],"
        "\"locations\":%s}",
        test_tmp_dir(), SDT_SCALE, (long long)w->origin, (unsigned)w->cin7.port,
        (unsigned)w->shop.port, locations);
    char *merged = sdt_json_merge(text, overrides);
    free(text);
    snprintf(w->syncd_config, sizeof w->syncd_config, "%s/syncd.json", test_tmp_dir());
    test_write_file(w->syncd_config, merged);
    free(merged);
}

void sdt_start_syncd(sdt_world *w)
{
    char port[16];
    snprintf(port, sizeof port, "%u", (unsigned)w->syncd_port);
    /* A restart keeps the port, so the subscriptions made at the first
     * start (and Shopify's retries) still reach it. */
    const char *first[] = {"--config", w->syncd_config, NULL};
    const char *again[] = {"--config", w->syncd_config, "--port", port, NULL};
    e2e_start(&w->syncd, "syncd", w->syncd_port ? again : first);
    w->syncd_port = w->syncd.port;
}

int sdt_healthy(void *ud)
{
    const sdt_world *w = ud;
    httpc_resp r = e2e_call(&w->syncd, "GET", "/healthz", NULL, NULL);
    int ok = r.result == HTTPC_OK && r.status == 200;
    httpc_resp_free(&r);
    return ok;
}

int sdt_levels_read(void *ud)
{
    return sdt_metric(ud, "syncd_shopify_level_reads_total") > 0;
}

static int snapshot_read(void *ud)
{
    return sdt_metric(ud, "syncd_snapshot_reads_total") >= 1;
}

void sdt_wait_ready(sdt_world *w)
{
    if (!e2e_wait(sdt_healthy, w, 15000))
        test_fail(__FILE__, __LINE__, "syncd not healthy within 15 s (log %s)", w->syncd.log);
    if (!e2e_wait(snapshot_read, w, 15000))
        test_fail(__FILE__, __LINE__, "syncd read no Cin7 snapshot within 15 s (log %s)",
                  w->syncd.log);
}

void sdt_stop(sdt_world *w)
{
    e2e_stop(&w->syncd);
    e2e_stop(&w->shop);
    e2e_stop(&w->cin7);
}

void sdt_kill_syncd(sdt_world *w)
{
    if (proc_kill(w->syncd.p, SIGKILL) != 0 || !proc_wait(w->syncd.p, 10000, NULL))
        test_fail(__FILE__, __LINE__, "syncd did not die of SIGKILL");
    proc_stop(w->syncd.p, 0);
    w->syncd.p = NULL;
    test_count("kill -9 of syncd", 1);
}

void sdt_start_world_take(sdt_world *w, char *cin7_config, char *shop_config, const char *locations,
                          const char *overrides)
{
    sdt_start_mocks(w, cin7_config, shop_config);
    free(cin7_config);
    free(shop_config);
    sdt_write_syncd_config(w, locations, overrides);
    sdt_start_syncd(w);
    sdt_wait_ready(w);
}

void sdt_start_basic(sdt_world *w, const char *webhooks_extra, const char *overrides)
{
    char *c7 = sdt_cin7_config("[{\"name\":\"Main\"}]",
                               "[{\"sku\":\"A-1\",\"price\":10},{\"sku\":\"A-2\",\"price\":20}]",
                               "[{\"sku\":\"A-1\",\"location\":\"Main\",\"on_hand\":100},"
                               "{\"sku\":\"A-2\",\"location\":\"Main\",\"on_hand\":100}]");
    char *sh = sdt_shop_config("[{\"title\":\"A\",\"variants\":["
                               "{\"sku\":\"A-1\",\"price\":\"10.00\",\"available\":100},"
                               "{\"sku\":\"A-2\",\"price\":\"20.00\",\"available\":100}]}]",
                               webhooks_extra);
    sdt_start_world_take(w, c7, sh, "[{\"name\":\"Main\"}]", overrides);
}

char *sdt_order_json(const sdt_world *w, int64_t id)
{
    char path[200];
    snprintf(path, sizeof path, "/shops/" SDT_SHOP "/admin/api/2026-10/orders/%lld.json",
             (long long)id);
    const char *hdrs[] = {"X-Shopify-Access-Token: " SHOP_TOKEN, NULL};
    cJSON *v = e2e_expect(&w->shop, "GET", path, hdrs, NULL, 200, 1);
    char *text = json_print(cJSON_GetObjectItemCaseSensitive(v, "order"));
    cJSON_Delete(v);
    return text;
}

int64_t sdt_now(const sdt_world *w)
{
    return (clock_wall_ms() - w->origin) * SDT_SCALE;
}

/* ---- shoppers and ground truth ------------------------------------------------------ */

int64_t sdt_checkout_lines(sdt_world *w, const char *lines, const char *address)
{
    char *body = xasprintf("{\"lines\":%s%s%s}", lines, address ? ",\"shipping_address\":" : "",
                           address ? address : "");
    cJSON *v = e2e_expect(&w->shop, "POST", "/_mock/checkout", NULL, body, 200, 1);
    free(body);
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(v, "result");
    if (!cJSON_IsString(res) || strcmp(res->valuestring, "accepted") != 0) {
        char *t = json_print(v);
        test_fail(__FILE__, __LINE__, "checkout of %s not accepted: %.300s", lines, t);
    }
    int64_t id = (int64_t)sdt_num(v, "order_id");
    cJSON_Delete(v);
    return id;
}

int64_t sdt_checkout(sdt_world *w, const char *sku, int qty, const char *address)
{
    char lines[200];
    snprintf(lines, sizeof lines, "[{\"sku\":\"%s\",\"qty\":%d}]", sku, qty);
    return sdt_checkout_lines(w, lines, address);
}

cJSON *sdt_cin7_state(const sdt_world *w)
{
    return e2e_expect(&w->cin7, "GET", "/_mock/state", NULL, NULL, 200, 1);
}

int sdt_sales_of(const cJSON *state, int64_t order, const cJSON **first)
{
    char ref[32];
    snprintf(ref, sizeof ref, "%lld", (long long)order);
    int n = 0;
    if (first)
        *first = NULL;
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(state, "sales"))
    {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(s, "customer_reference");
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(s, "status");
        if (!cJSON_IsString(r) || strcmp(r->valuestring, ref) != 0)
            continue;
        if (cJSON_IsString(st) && strcmp(st->valuestring, "VOIDED") == 0)
            continue;
        if (first && !*first)
            *first = s;
        n++;
    }
    return n;
}

int sdt_sales_now(const sdt_world *w, int64_t order)
{
    cJSON *st = sdt_cin7_state(w);
    int n = sdt_sales_of(st, order, NULL);
    cJSON_Delete(st);
    return n;
}

void sdt_expect_one_sale_each(const sdt_world *w, const int64_t *orders, int n)
{
    cJSON *st = sdt_cin7_state(w);
    for (int i = 0; i < n; i++)
        EXPECT_EQ_INT(sdt_sales_of(st, orders[i], NULL), 1);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(st, "sales")), n);
    cJSON_Delete(st);
}

typedef struct {
    const sdt_world *w;
    const int64_t *orders;
    int n, have;
} sales_wait;

static int all_sold(void *ud)
{
    sales_wait *s = ud;
    cJSON *st = sdt_cin7_state(s->w);
    s->have = 0;
    for (int i = 0; i < s->n; i++)
        s->have += sdt_sales_of(st, s->orders[i], NULL) > 0;
    cJSON_Delete(st);
    return s->have == s->n;
}

int sdt_wait_sales(const sdt_world *w, const int64_t *orders, int n, int timeout_ms)
{
    sales_wait s = {w, orders, n, 0};
    e2e_wait(all_sold, &s, timeout_ms);
    return s.have;
}

int sdt_count_kind(const cJSON *journal, const char *kind, const char *key, const char *text)
{
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, journal)
    {
        if (strcmp(sdt_str(e, "kind"), kind) != 0)
            continue;
        const cJSON *v = key ? cJSON_GetObjectItemCaseSensitive(e, key) : NULL;
        if (!key || (cJSON_IsString(v) && strstr(v->valuestring, text)))
            n++;
    }
    return n;
}

cJSON *sdt_shop_state(const sdt_world *w)
{
    return e2e_expect(&w->shop, "GET", "/_mock/state", NULL, NULL, 200, 1);
}

int64_t sdt_shop_available(const sdt_world *w, const char *sku)
{
    cJSON *st = sdt_shop_state(w);
    int64_t v = -1;
    const cJSON *shop = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, "shops"), 0);
    const cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(shop, "levels"))
    {
        if (strcmp(sdt_str(l, "sku"), sku) == 0 && v < 0)
            v = (int64_t)sdt_num(l, "available");
    }
    cJSON_Delete(st);
    return v;
}

typedef struct {
    const sdt_world *w;
    const char *sku;
    int64_t want;
} level_wait;

static int level_is(void *ud)
{
    level_wait *l = ud;
    return sdt_shop_available(l->w, l->sku) == l->want;
}

int sdt_wait_level(const sdt_world *w, const char *sku, int64_t want, int timeout_ms)
{
    level_wait l = {w, sku, want};
    return e2e_wait(level_is, &l, timeout_ms);
}

/* ---- syncd ---------------------------------------------------------------------- */

int64_t sdt_metric(const sdt_world *w, const char *name)
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

typedef struct {
    const sdt_world *w;
    const char *name;
    int64_t at_least;
} metric_wait;

static int metric_reached(void *ud)
{
    metric_wait *m = ud;
    return sdt_metric(m->w, m->name) >= m->at_least;
}

int sdt_wait_metric(const sdt_world *w, const char *name, int64_t at_least, int timeout_ms)
{
    metric_wait m = {w, name, at_least};
    return e2e_wait(metric_reached, &m, timeout_ms);
}

cJSON *sdt_dlq(const sdt_world *w, const cJSON **list)
{
    const char *const hdrs[] = {SDT_ADMIN, NULL};
    cJSON *v = e2e_expect(&w->syncd, "GET", "/admin/dlq", hdrs, NULL, 200, 1);
    *list = cJSON_GetObjectItemCaseSensitive(v, "dead_letters");
    if (!cJSON_IsArray(*list))
        test_fail(__FILE__, __LINE__, "GET /admin/dlq: no dead_letters array");
    return v;
}

int sdt_dlq_count(const sdt_world *w)
{
    const cJSON *list;
    cJSON *v = sdt_dlq(w, &list);
    int n = cJSON_GetArraySize(list);
    cJSON_Delete(v);
    return n;
}

cJSON *sdt_one_dead_letter(const sdt_world *w, const char *topic, const char *reason,
                           const cJSON **dead)
{
    const cJSON *list;
    cJSON *v = sdt_dlq(w, &list);
    EXPECT_EQ_INT(cJSON_GetArraySize(list), 1);
    *dead = cJSON_GetArrayItem(list, 0);
    EXPECT_CONTAINS(sdt_str(*dead, "reason"), reason);
    EXPECT_EQ_STR(sdt_str(*dead, "topic"), topic);
    return v;
}

int sdt_send_webhook(const sdt_world *w, const char *topic, const char *body, const char *secret,
                     const char *webhook_id, const char *event_id)
{
    char sig[HMAC_SHA256_B64_SIZE];
    if (secret)
        hmac_sha256_base64(secret, body, strlen(body), sig);
    else /* a well-formed signature, of other bytes */
        hmac_sha256_base64(SDT_SECRET, "forged", 6, sig);
    /* Headers whole, whatever the length of the topic or ids under test. */
    char *h_topic = xasprintf("X-Shopify-Topic: %s", topic);
    char *h_sig = xasprintf("X-Shopify-Hmac-Sha256: %s", sig);
    char *h_wid = webhook_id ? xasprintf("X-Shopify-Webhook-Id: %s", webhook_id) : NULL;
    char *h_eid = event_id ? xasprintf("X-Shopify-Event-Id: %s", event_id) : NULL;
    const char *hdrs[8];
    int k = 0;
    hdrs[k++] = "Content-Type: application/json";
    hdrs[k++] = "X-Shopify-Shop-Domain: " SDT_SHOP;
    hdrs[k++] = h_topic;
    hdrs[k++] = h_sig;
    if (h_wid)
        hdrs[k++] = h_wid;
    if (h_eid)
        hdrs[k++] = h_eid;
    hdrs[k] = NULL;
    httpc_resp r = e2e_call(&w->syncd, "POST", "/webhooks/shopify", hdrs, body);
    free(h_topic);
    free(h_sig);
    free(h_wid);
    free(h_eid);
    if (r.result != HTTPC_OK)
        test_fail(__FILE__, __LINE__, "POST /webhooks/shopify: %s", r.error);
    int status = r.status;
    httpc_resp_free(&r);
    return status;
}

int64_t sdt_pending(const e2e_server *s)
{
    cJSON *h = e2e_expect(s, "GET", "/_mock/health", NULL, NULL, 200, 1);
    int64_t n = (int64_t)sdt_num(h, "pending");
    cJSON_Delete(h);
    return n;
}

static int quiet(void *ud)
{
    const sdt_world *w = ud;
    return sdt_pending(&w->shop) == 0 && sdt_pending(&w->cin7) == 0 &&
           sdt_metric(w, "syncd_queue_depth") == 0;
}

void sdt_wait_quiet(const sdt_world *w, int timeout_ms)
{
    /* Twice, apart: a stock webhook may open just as the first look ends. */
    for (int i = 0; i < 2; i++) {
        if (!e2e_wait(quiet, (void *)w, timeout_ms))
            test_fail(__FILE__, __LINE__, "not quiet within %d ms (syncd log %s)", timeout_ms,
                      w->syncd.log);
        e2e_sleep_ms(200);
    }
}

/* ---- alerts --------------------------------------------------------------------- */

static void on_alert(httpd_req *r, void *ud)
{
    sdt_alerts *a = ud;
    size_t len;
    const char *body = httpd_body(r, &len);
    pthread_mutex_lock(&a->mu);
    if (a->n < (int)(sizeof a->bodies / sizeof a->bodies[0]))
        a->bodies[a->n++] = xstrndup(body, len);
    pthread_mutex_unlock(&a->mu);
    httpd_reply_json_text(r, 200, "{}");
}

void sdt_alerts_start(sdt_alerts *a)
{
    memset(a, 0, sizeof *a);
    pthread_mutex_init(&a->mu, NULL);
    a->srv = e2e_listen("POST", "/alerts", on_alert, a, 0);
    snprintf(a->url, sizeof a->url, "http://127.0.0.1:%u/alerts", (unsigned)httpd_port(a->srv));
}

int sdt_alerts_count(sdt_alerts *a)
{
    pthread_mutex_lock(&a->mu);
    int n = a->n;
    pthread_mutex_unlock(&a->mu);
    return n;
}

cJSON *sdt_alerts_get(sdt_alerts *a, int i)
{
    cJSON *v = NULL;
    pthread_mutex_lock(&a->mu);
    if (i < a->n)
        v = json_parse(a->bodies[i], strlen(a->bodies[i]), NULL);
    pthread_mutex_unlock(&a->mu);
    return v;
}

void sdt_alerts_stop(sdt_alerts *a)
{
    httpd_free(a->srv);
    for (int i = 0; i < a->n; i++)
        free(a->bodies[i]);
    pthread_mutex_destroy(&a->mu);
}

void sdt_hold_sale_answers(sdt_world *w, const char *hold, const char *span)
{
    char plan[256];
    snprintf(plan, sizeof plan,
             "[{\"kind\":\"latency\",\"target\":\"POST /ExternalApi/v2/sale\",\"ms\":\"%s\","
             "\"at\":%lld,\"for\":\"%s\"}]",
             hold, (long long)sdt_now(w), span);
    e2e_faults(&w->cin7, plan);
}
