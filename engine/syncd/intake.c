/* Webhook intake, health, metrics and admin; see intake.h. */
#include "intake.h"

#include "hmac.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "reconcile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Shopify topics syncd acts on, and how urgently. */
static const struct {
    const char *topic;
    int priority;
} shopify_topics[] = {
    {"orders/paid", 2},
    {"orders/cancelled", 2},
};

/* Cin7 webhook types syncd acts on, and how urgently: stock first (it is
 * what oversells), shipments after (a fulfillment minutes late costs
 * nothing), backorders last (logged only). */
static const struct {
    const char *type;
    int priority;
} cin7_types[] = {
    {"Stock/AvailableStockLevelChanged", 2},
    {"Sale/ShipmentAuthorised", 1},
    {"Sale/Backordered", 0},
};

static void count(syncd *sd, const char *source, const char *result)
{
    char name[128];
    snprintf(name, sizeof name, "syncd_webhooks_total{source=\"%s\",result=\"%s\"}", source, result);
    metrics_inc(sd->m, name, 1);
}

/* Stores the event (or dead-letters it when its body is not JSON) and
 * answers: 200 once durable, 503 when the store failed (the sender retries). */
static void accept(syncd *sd, httpd_req *r, store_event_in *in, const char *source, int64_t t0)
{
    json_err e;
    cJSON *v = json_parse(in->body, in->body_len, &e);
    int64_t id = 0;
    int rc;
    if (!v) {
        char reason[600];
        snprintf(reason, sizeof reason, "malformed body: %s", e.msg);
        rc = store_dead_on_arrival(sd->st, in, reason, &id);
        if (rc == STORE_NEW) {
            count(sd, source, "dead_on_arrival");
            char ev[32];
            snprintf(ev, sizeof ev, "ev-%lld", (long long)id);
            log_event(LOG_WARN, ev, "%s %s dead-lettered: %s", source, in->topic, reason);
            cJSON *a = cJSON_CreateObject();
            cJSON_AddStringToObject(a, "reason", reason);
            cJSON_AddStringToObject(a, "topic", in->topic);
            syncd_alert(sd, id, a);
        }
    } else {
        cJSON_Delete(v);
        rc = store_enqueue(sd->st, in, &id);
        if (rc == STORE_NEW) {
            count(sd, source, "queued");
            syncd_wake_workers(sd);
        }
    }
    if (rc == STORE_DUPLICATE)
        count(sd, source, "duplicate");
    if (rc < 0) {
        count(sd, source, "store_error");
        httpd_reply_error(r, 503, "could not store the event; retry");
        return;
    }
    httpd_reply_json_text(r, 200, "{\"ok\":true}");
    metrics_observe_ms(sd->m, "syncd_ack_latency_ms", (double)(clock_mono_us() - t0) / 1000.0);
}

/* The configured shop a Shopify request names, or NULL. */
static const cfg_shop *shop_of(const syncd *sd, httpd_req *r)
{
    const char *domain = httpd_header(r, "X-Shopify-Shop-Domain");
    for (size_t i = 0; domain && i < sd->cfg.n_shops; i++)
        if (strcasecmp(sd->cfg.shops[i].domain, domain) == 0)
            return &sd->cfg.shops[i];
    return NULL;
}

static void on_shopify(httpd_req *r, void *ud)
{
    syncd *sd = ud;
    int64_t t0 = clock_mono_us();
    const char *topic = httpd_header(r, "X-Shopify-Topic");
    const char *sig = httpd_header(r, "X-Shopify-Hmac-Sha256");
    const cfg_shop *shop = shop_of(sd, r);
    size_t len;
    const char *body = httpd_body(r, &len);
    /* Verify before anything else: an unsigned request stores nothing. */
    if (!shop || !hmac_verify_base64(shop->api_secret, body, len, sig)) {
        count(sd, "shopify", "unauthorized");
        httpd_reply_error(r, 401, shop ? "invalid HMAC signature" : "unknown shop");
        return;
    }
    if (!topic || !*topic) {
        httpd_reply_error(r, 400, "missing X-Shopify-Topic");
        return;
    }
    int priority = -1;
    for (size_t i = 0; i < sizeof shopify_topics / sizeof shopify_topics[0]; i++)
        if (strcmp(shopify_topics[i].topic, topic) == 0)
            priority = shopify_topics[i].priority;
    if (priority < 0) {
        count(sd, "shopify", "ignored");
        httpd_reply_json_text(r, 200, "{\"ok\":true,\"ignored\":true}");
        return;
    }
    const char *wid = httpd_header(r, "X-Shopify-Webhook-Id");
    const char *eid = httpd_header(r, "X-Shopify-Event-Id");
    /* Keys are kept whole: two long ids that share a prefix are two
     * deliveries, not one. */
    char *k1 = wid && *wid ? xasprintf("wh:%s", wid) : NULL;
    char *k2 = eid && *eid ? xasprintf("ev:%s:%s", eid, topic) : NULL;
    store_event_in in = {
        .source = "shopify",
        .topic = topic,
        .shop = shop->domain,
        .body = body,
        .body_len = len,
        .priority = priority,
        .now = clock_now_ms(&sd->clk),
        .dedup = {k1, k2, NULL, NULL},
    };
    accept(sd, r, &in, "shopify", t0);
    free(k1);
    free(k2);
}

/* Whether the credential a request carried (NULL when none) is want, in
 * time that does not depend on where they differ. */
static int same_secret(const char *got, const char *want)
{
    size_t n = strlen(want);
    return got && strlen(got) == n && ct_equal(got, want, n);
}

/* Checks the Cin7 webhook's credentials against the configured scheme.
 * The expected value is built whole, however long the secret. */
static int cin7_authorized(syncd *sd, httpd_req *r)
{
    const char *type = sd->cfg.cin7_hook_auth;
    if (strcmp(type, "noauth") == 0)
        return 1;
    const char *secret = sd->cfg.cin7_hook_secret;
    const char *got = NULL;
    char *want = NULL;
    if (strcmp(type, "header") == 0) {
        got = httpd_header(r, sd->cfg.cin7_hook_header);
        want = xstrdup(secret);
    } else if (strcmp(type, "bearer") == 0) {
        got = httpd_header(r, "Authorization");
        want = xasprintf("Bearer %s", secret);
    } else {
        got = httpd_header(r, "Authorization");
        size_t n = strlen(secret), cap = base64_encoded_len(n) + 1;
        char *b64 = xmalloc(cap);
        base64_encode(secret, n, b64, cap);
        want = xasprintf("Basic %s", b64);
        free(b64);
    }
    int ok = same_secret(got, want);
    free(want);
    return ok;
}

static void on_cin7(httpd_req *r, void *ud)
{
    syncd *sd = ud;
    int64_t t0 = clock_mono_us();
    if (!cin7_authorized(sd, r)) {
        count(sd, "cin7", "unauthorized");
        httpd_reply_error(r, 401, "missing or wrong credentials");
        return;
    }
    size_t len;
    const char *body = httpd_body(r, &len);
    /* The type is in the URL syncd subscribed (?type=...); without it, the
     * payload tells: Cin7's thin notifications carry EventType, and the
     * stock notification is a bare array. */
    const char *type = httpd_query(r, "type");
    char event_type[64] = "Stock/AvailableStockLevelChanged";
    if (!type || !*type) {
        cJSON *v = json_parse(body, len, NULL);
        const cJSON *et = cJSON_GetObjectItemCaseSensitive(v, "EventType");
        if (cJSON_IsString(et))
            snprintf(event_type, sizeof event_type, "%s", et->valuestring);
        cJSON_Delete(v);
        type = event_type;
    }
    int priority = -1;
    for (size_t i = 0; i < sizeof cin7_types / sizeof cin7_types[0]; i++)
        if (strcasecmp(cin7_types[i].type, type) == 0) {
            type = cin7_types[i].type;
            priority = cin7_types[i].priority;
        }
    /* Shipments matter only when fulfillments go back to Shopify. */
    if (priority < 0 || (priority < 2 && !sd->cfg.fulfillments)) {
        count(sd, "cin7", "ignored");
        httpd_reply_json_text(r, 200, "{\"ok\":true,\"ignored\":true}");
        return;
    }
    store_event_in in = {
        .source = "cin7",
        .topic = type,
        .body = body,
        .body_len = len,
        .priority = priority,
        .now = clock_now_ms(&sd->clk),
    };
    accept(sd, r, &in, "cin7", t0);
}

static void on_health(httpd_req *r, void *ud)
{
    syncd *sd = ud;
    char body[200];
    snprintf(body, sizeof body, "{\"ok\":%s,\"ready\":%s,\"mode\":\"%s\",\"schema\":%d}",
             sd->ready ? "true" : "false", sd->ready ? "true" : "false", sd->cfg.mode,
             store_schema_version(sd->st));
    httpd_reply_json_text(r, sd->ready ? 200 : 503, body);
}

static void on_metrics(httpd_req *r, void *ud)
{
    syncd *sd = ud;
    store_counts c;
    if (store_count(sd->st, clock_now_ms(&sd->clk), &c) == 0) {
        metrics_set(sd->m, "syncd_queue_depth", c.ready + c.leased);
        metrics_set(sd->m, "syncd_events{state=\"ready\"}", c.ready);
        metrics_set(sd->m, "syncd_events{state=\"leased\"}", c.leased);
        metrics_set(sd->m, "syncd_events{state=\"dead\"}", c.dead);
        metrics_set(sd->m, "syncd_events{state=\"done\"}", c.done);
    }
    pthread_mutex_lock(&sd->inv_lock);
    int64_t waiting = (int64_t)coalesce_waiting(sd->dirty);
    if (strcmp(sd->cfg.mode, "poll") == 0) {
        /* Only what a poll admitted is being synced; the rest waits for
         * the next poll by design (not a backlog to drain). */
        int64_t admitted = (int64_t)sd->inv_admit < waiting ? (int64_t)sd->inv_admit : waiting;
        metrics_set(sd->m, "syncd_dirty_skus", admitted);
        metrics_set(sd->m, "syncd_poll_waiting_skus", waiting - admitted);
    } else {
        metrics_set(sd->m, "syncd_dirty_skus", waiting);
    }
    pthread_mutex_unlock(&sd->inv_lock);
    metrics_set(sd->m, "syncd_ready", sd->ready);
    char *text = metrics_render(sd->m);
    httpd_reply_take(r, 200, "text/plain; version=0.0.4", text, strlen(text));
}

static int admin_ok(syncd *sd, httpd_req *r)
{
    if (!sd->cfg.admin_token) {
        httpd_reply_error(r, 403, "admin API disabled (set admin_token)");
        return 0;
    }
    const char *auth = httpd_header(r, "Authorization");
    char *want = xasprintf("Bearer %s", sd->cfg.admin_token); /* whole, however long */
    int ok = same_secret(auth, want);
    free(want);
    if (!ok) {
        httpd_reply_error(r, 401, "admin API needs Authorization: Bearer <admin_token>");
        return 0;
    }
    return 1;
}

static void on_dlq(httpd_req *r, void *ud)
{
    syncd *sd = ud;
    if (!admin_ok(sd, r))
        return;
    const char *lim = httpd_query(r, "limit");
    long limit = lim ? strtol(lim, NULL, 10) : 100;
    cJSON *list = store_dlq_list(sd->st, limit > 0 && limit <= 10000 ? (size_t)limit : 100);
    if (!list) {
        httpd_reply_error(r, 500, "could not read the dead-letter queue");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "dead_letters", list);
    httpd_reply_json(r, 200, o);
    cJSON_Delete(o);
}

/* The {id} of an admin route's path once the caller is let in, or -1
 * when the request has been answered (401, 403, or 400 for a bad id). */
static int64_t admin_id(syncd *sd, httpd_req *r)
{
    if (!admin_ok(sd, r))
        return -1;
    const char *s = httpd_capture(r, "id");
    char *end;
    long long v = s ? strtoll(s, &end, 10) : -1;
    if (s && !*end && v > 0)
        return v;
    httpd_reply_error(r, 400, "id: expected a positive integer");
    return -1;
}

static void on_dlq_retry(httpd_req *r, void *ud)
{
    syncd *sd = ud;
    int64_t id = admin_id(sd, r);
    if (id < 0)
        return;
    int rc = store_dlq_requeue(sd->st, id, clock_now_ms(&sd->clk));
    if (rc == 1) {
        httpd_reply_error(r, 404, "no such dead-letter entry");
        return;
    }
    if (rc < 0) {
        httpd_reply_error(r, 500, "could not requeue");
        return;
    }
    store_audit(sd->st, id, clock_now_ms(&sd->clk), "requeued", "by the admin API");
    syncd_wake_workers(sd);
    httpd_reply_json_text(r, 200, "{\"ok\":true}");
}

static void on_audit(httpd_req *r, void *ud)
{
    syncd *sd = ud;
    int64_t id = admin_id(sd, r);
    if (id < 0)
        return;
    cJSON *a = store_audit_of(sd->st, id);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "event", (double)id);
    cJSON_AddItemToObject(o, "audit", a ? a : cJSON_CreateArray());
    httpd_reply_json(r, 200, o);
    cJSON_Delete(o);
}

static void on_reconcile(httpd_req *r, void *ud)
{
    syncd *sd = ud;
    if (!admin_ok(sd, r))
        return;
    reconcile_request(sd->recon);
    httpd_reply_json_text(r, 202, "{\"ok\":true,\"queued\":true}");
}

static void on_config(httpd_req *r, void *ud)
{
    syncd *sd = ud;
    if (!admin_ok(sd, r))
        return;
    cJSON *c = config_to_json(&sd->cfg);
    httpd_reply_json(r, 200, c);
    cJSON_Delete(c);
}

/* Runs once a request's headers are in, before any byte of its body is
 * kept: a webhook that cannot be authentic (no signature, an unknown shop,
 * no topic, wrong Cin7 credentials) or an admin call without the token is
 * answered at once, so an unauthenticated client cannot make syncd buffer
 * a body. The signature over the body is checked once it is in. */
static int early_check(httpd_req *r, void *ud)
{
    syncd *sd = ud;
    const char *path = httpd_path(r);
    if (strcmp(path, "/webhooks/shopify") == 0) {
        const char *sig = httpd_header(r, "X-Shopify-Hmac-Sha256");
        const char *topic = httpd_header(r, "X-Shopify-Topic");
        const cfg_shop *shop = shop_of(sd, r);
        if (!shop || !sig || !*sig) {
            count(sd, "shopify", "unauthorized");
            httpd_reply_error(r, 401, shop ? "missing X-Shopify-Hmac-Sha256" : "unknown shop");
            return 1;
        }
        if (!topic || !*topic) {
            httpd_reply_error(r, 400, "missing X-Shopify-Topic");
            return 1;
        }
        return 0;
    }
    if (strcmp(path, "/webhooks/cin7") == 0 && !cin7_authorized(sd, r)) {
        count(sd, "cin7", "unauthorized");
        httpd_reply_error(r, 401, "missing or wrong credentials");
        return 1;
    }
    if (strncmp(path, "/admin/", 7) == 0 && !admin_ok(sd, r))
        return 1;
    return 0;
}

void intake_routes(syncd *sd, httpd *srv)
{
    httpd_set_early(srv, early_check, sd);
    httpd_route(srv, "POST", "/webhooks/shopify", on_shopify, sd);
    httpd_route(srv, "POST", "/webhooks/cin7", on_cin7, sd);
    httpd_route(srv, "GET", "/healthz", on_health, sd);
    httpd_route(srv, "GET", "/metrics", on_metrics, sd);
    httpd_route(srv, "GET", "/admin/dlq", on_dlq, sd);
    httpd_route(srv, "POST", "/admin/dlq/{id}/retry", on_dlq_retry, sd);
    httpd_route(srv, "GET", "/admin/events/{id}/audit", on_audit, sd);
    httpd_route(srv, "GET", "/admin/config", on_config, sd);
    httpd_route(srv, "POST", "/admin/reconcile", on_reconcile, sd);
}
