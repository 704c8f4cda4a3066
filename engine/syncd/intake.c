/* Webhook intake, health, metrics and admin; see intake.h. */
#include "intake.h"

#include "c7event.h"
#include "handlers.h"
#include "hmac.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "opsauth.h"
#include "ownsync.h"
#include "opspage.h"
#include "reconcile.h"
#include "routes.h"
#include "stockread.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Shopify topics syncd acts on, and how urgently. */
static const struct {
    const char *topic;
    int priority;
} shopify_topics[] = {
    {"orders/paid", EVENT_PRIO_NORMAL},
    {"orders/cancelled", EVENT_PRIO_NORMAL},
};

#define STOCK_TYPE "Stock/AvailableStockLevelChanged"

/* Cin7 webhook types syncd acts on, and how urgently: backorders first (a
 * sale another warehouse can fill is moved there while the units are
 * still there: behind a backlog of orders another channel may take them
 * meanwhile, and then one unit is sold twice; a move is a few calls, and
 * backorders are few), then stock (it is what oversells; it only marks
 * SKUs), then shipments (a fulfillment minutes late costs nothing). */
static const struct {
    const char *type;
    int priority;
} cin7_types[] = {
    {STOCK_TYPE, EVENT_PRIO_NORMAL},
    {"Sale/ShipmentAuthorised", EVENT_PRIO_SHIPMENT},
    {"Sale/Backordered", EVENT_PRIO_MOVE},
    {"Sale/Voided", EVENT_PRIO_SHIPMENT},
};

static void count(syncd *sd, const char *source, const char *result)
{
    char name[128];
    snprintf(name, sizeof name, "syncd_webhooks_total{source=\"%s\",result=\"%s\"}", source, result);
    metrics_inc(sd->m, name, 1);
}

/* Stores the event (or dead-letters it when its body is not JSON) and
 * answers: 200 once durable, 503 when the store failed (the sender retries).
 * Returns 1 when it was queued as new (not a duplicate, not dead on
 * arrival), else 0. */
static int accept(syncd *sd, httpd_req *r, store_event_in *in, const char *source, int64_t t0)
{
    json_err e;
    cJSON *v = json_parse(in->body, in->body_len, &e);
    int64_t id = 0;
    int rc, queued = 0;
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
        /* A Shopify order's id links the event to the order, for the ops
         * page's audit trail by order. */
        char oid[128];
        if (strcmp(source, "shopify") == 0 && cJSON_IsObject(v) &&
            json_id_text(cJSON_GetObjectItemCaseSensitive(v, "id"), oid, sizeof oid) == 0)
            in->order_id = oid;
        cJSON_Delete(v);
        rc = store_enqueue(sd->st, in, &id);
        if (rc == STORE_NEW) {
            count(sd, source, "queued");
            syncd_wake_workers(sd);
            queued = 1;
        }
    }
    if (rc == STORE_DUPLICATE)
        count(sd, source, "duplicate");
    if (rc < 0) {
        count(sd, source, "store_error");
        httpd_reply_error(r, 503, "could not store the event; retry");
        return 0;
    }
    httpd_reply_json_text(r, 200, "{\"ok\":true}");
    metrics_observe_ms(sd->m, "syncd_ack_latency_ms", (double)(clock_mono_us() - t0) / 1000.0);
    return queued;
}

/* The configured shop of a webhook's X-Shopify-Shop-Domain, or NULL. */
static const cfg_shop *shop_of(const syncd *sd, const char *domain)
{
    for (size_t i = 0; domain && i < sd->cfg.n_shops; i++)
        if (strcasecmp(sd->cfg.shops[i].domain, domain) == 0)
            return &sd->cfg.shops[i];
    return NULL;
}

/* Runs on the headers alone, before any byte of the body is kept: a
 * request from no known shop, unsigned or without a topic is answered at
 * once, so an unauthenticated client cannot make syncd hold its body. The
 * signature itself can only be checked on the body (on_shopify). */
static int shopify_hook_gate(httpd_req *r, void *ud)
{
    syncd *sd = ud;
    const char *sig = httpd_header(r, "X-Shopify-Hmac-Sha256");
    const char *topic = httpd_header(r, "X-Shopify-Topic");
    if (!shop_of(sd, httpd_header(r, "X-Shopify-Shop-Domain"))) {
        count(sd, "shopify", "unauthorized");
        httpd_reply_error(r, 401, "unknown shop (X-Shopify-Shop-Domain)");
        return 1;
    }
    if (!sig || !*sig) {
        count(sd, "shopify", "unauthorized");
        httpd_reply_error(r, 401, "missing X-Shopify-Hmac-Sha256");
        return 1;
    }
    if (!topic || !*topic) {
        httpd_reply_error(r, 400, "missing X-Shopify-Topic");
        return 1;
    }
    return 0;
}

static void on_shopify(httpd_req *r, void *ud)
{
    syncd *sd = ud;
    int64_t t0 = clock_mono_us();
    if (shopify_hook_gate(r, sd)) /* the gate ran already; this keeps the handler whole */
        return;
    const char *topic = httpd_header(r, "X-Shopify-Topic");
    const char *sig = httpd_header(r, "X-Shopify-Hmac-Sha256");
    const cfg_shop *shop = shop_of(sd, httpd_header(r, "X-Shopify-Shop-Domain"));
    size_t len;
    const char *body = httpd_body(r, &len);
    /* Verify before anything else: an unsigned request stores nothing. */
    if (!hmac_verify_base64(shop->api_secret, body, len, sig)) {
        count(sd, "shopify", "unauthorized");
        httpd_reply_error(r, 401, "invalid HMAC signature");
        return;
    }
    /* products/update (subscribed when product fields are owned) also
     * fires on every stock change: it is compared with the fields last
     * agreed and at most marks SKUs for a sooner ownership pass, never
     * queued (the pass is the durable part). Without ownership it is a
     * topic like any other syncd does not act on. */
    if (sd->cfg.ownership && strcmp(topic, "products/update") == 0) {
        int n = ownsync_product_hook(sd, shop->domain, body, len);
        count(sd, "shopify", n ? "product_marked" : "product_unchanged");
        httpd_reply_json_text(r, 200, n ? "{\"ok\":true,\"marked\":true}"
                                        : "{\"ok\":true,\"unchanged\":true}");
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
    /* De-duplication keys hold the ids whole: two long ids that share a
     * prefix are two deliveries (MHD's per-connection memory bounds how
     * long a header can be). */
    const char *wid = httpd_header(r, "X-Shopify-Webhook-Id");
    const char *eid = httpd_header(r, "X-Shopify-Event-Id");
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

/* Checks the Cin7 webhook's credentials against the configured scheme. */
static int cin7_authorized(syncd *sd, httpd_req *r)
{
    const char *type = sd->cfg.cin7_hook_auth;
    if (strcmp(type, "noauth") == 0)
        return 1;
    const char *secret = sd->cfg.cin7_hook_secret;
    if (strcmp(type, "header") == 0)
        return opsauth_same(httpd_header(r, sd->cfg.cin7_hook_header), secret);
    const char *auth = httpd_header(r, "Authorization");
    if (strcmp(type, "bearer") == 0)
        return opsauth_credential(auth, "Bearer ", secret);
    size_t n = strlen(secret);
    size_t cap = base64_encoded_len(n) + 1;
    char *b64 = xmalloc(cap);
    base64_encode(secret, n, b64, cap);
    int ok = opsauth_credential(auth, "Basic ", b64);
    free(b64);
    return ok;
}

/* Cin7's credentials ride in headers: checked before the body is kept. */
static int cin7_hook_gate(httpd_req *r, void *ud)
{
    syncd *sd = ud;
    if (cin7_authorized(sd, r))
        return 0;
    count(sd, "cin7", "unauthorized");
    httpd_reply_error(r, 401, "missing or wrong credentials");
    return 1;
}

/* A stock notification marks its SKUs as soon as it is stored, without
 * waiting for a worker: while orders back up behind Cin7's limit every
 * worker may be waiting on Cin7 for minutes, and the levels shops sell
 * from must not wait with them. Its queued event still runs (it
 * dead-letters bad rows; the marks fold into these). */
static void mark_stock_now(syncd *sd, const char *body, size_t len, int64_t received_at)
{
    char **skus = NULL, why[200];
    size_t n = 0;
    if (c7event_stock_skus(body, len, &skus, &n, why, sizeof why) < 0)
        return;
    stock_mark(sd, (const char *const *)skus, n, received_at);
    c7event_skus_free(skus, n);
}

static void on_cin7(httpd_req *r, void *ud)
{
    syncd *sd = ud;
    int64_t t0 = clock_mono_us();
    if (cin7_hook_gate(r, sd)) /* the gate ran already; this keeps the handler whole */
        return;
    size_t len;
    const char *body = httpd_body(r, &len);
    /* The type is in the URL syncd subscribed (?type=...); without it, the
     * payload tells: Cin7's thin notifications carry EventType, and the
     * stock notification is a bare array. */
    const char *type = httpd_query(r, "type");
    cJSON *v = NULL; /* the payload, when it names the type */
    if (!type || !*type) {
        v = json_parse(body, len, NULL);
        const cJSON *et = cJSON_GetObjectItemCaseSensitive(v, "EventType");
        type = cJSON_IsString(et) ? et->valuestring : STOCK_TYPE;
    }
    int priority = -1;
    for (size_t i = 0; i < sizeof cin7_types / sizeof cin7_types[0]; i++)
        if (strcasecmp(cin7_types[i].type, type) == 0) {
            type = cin7_types[i].type;
            priority = cin7_types[i].priority;
        }
    cJSON_Delete(v); /* type now points into cin7_types, or is not used */
    /* Shipments matter only when fulfillments go back to Shopify;
     * backorders then, or when backordered sales are moved. */
    int wanted = strcmp(type, STOCK_TYPE) == 0 || sd->cfg.fulfillments ||
                 (sd->cfg.move_backorders && strcmp(type, "Sale/Backordered") == 0);
    if (priority < 0 || !wanted) {
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
    if (accept(sd, r, &in, "cin7", t0) && strcmp(type, STOCK_TYPE) == 0)
        mark_stock_now(sd, body, len, in.now);
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
    int64_t now = clock_now_ms(&sd->clk);
    if (store_count(sd->st, now, &c) == 0) {
        metrics_set(sd->m, "syncd_queue_depth", c.ready + c.leased);
        metrics_set(sd->m, "syncd_queue_oldest_age_ms", c.oldest_at >= 0 ? now - c.oldest_at : 0);
        metrics_set(sd->m, "syncd_events{state=\"ready\"}", c.ready);
        metrics_set(sd->m, "syncd_events{state=\"leased\"}", c.leased);
        metrics_set(sd->m, "syncd_events{state=\"dead\"}", c.dead);
        metrics_set(sd->m, "syncd_events{state=\"done\"}", c.done);
    }
    /* A read a sync went on without owes its SKUs another sync: counted as
     * one SKU waiting, so nobody takes syncd for idle before it lands. */
    int64_t owed = sd->ready ? stockread_owed(sd->reader) : 0;
    pthread_mutex_lock(&sd->inv_lock);
    int64_t waiting = (int64_t)coalesce_waiting(sd->dirty) + owed;
    /* Taken and not yet written, or set aside for a while: owed all the
     * same (worker.c). */
    int64_t taken = (int64_t)sd->inv_owed;
    if (strcmp(sd->cfg.mode, "poll") == 0) {
        /* Only what a poll admitted is being synced; the rest waits for
         * the next poll by design (not a backlog to drain). */
        int64_t admitted = (int64_t)sd->inv_admit < waiting ? (int64_t)sd->inv_admit : waiting;
        metrics_set(sd->m, "syncd_dirty_skus", admitted + taken);
        metrics_set(sd->m, "syncd_poll_waiting_skus", waiting - admitted);
    } else {
        metrics_set(sd->m, "syncd_dirty_skus", waiting + taken);
    }
    pthread_mutex_unlock(&sd->inv_lock);
    metrics_set(sd->m, "syncd_ready", sd->ready);
    char *text = metrics_render(sd->m);
    httpd_reply_take(r, 200, "text/plain; version=0.0.4", text, strlen(text));
}

static void on_dlq(httpd_req *r, void *ud)
{
    syncd *sd = ud;
    if (!opspage_admin(sd, r))
        return;
    const char *lim = httpd_query(r, "limit");
    uint64_t limit = 100;
    if (lim && httpd_arg_u64(r, "limit", lim, 1, 10000, &limit) != 0)
        return;
    cJSON *list = store_dlq_list(sd->st, (size_t)limit);
    if (!list) {
        httpd_reply_error(r, 500, "could not read the dead-letter queue");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "dead_letters", list);
    httpd_reply_json(r, 200, o);
    cJSON_Delete(o);
}

/* The {id} of an admin route's path, or -1 when the request has been
 * answered (400 for a bad id). */
static int64_t admin_id(httpd_req *r)
{
    uint64_t id;
    return httpd_arg_u64(r, "id", httpd_capture(r, "id"), 1, INT64_MAX, &id) == 0 ? (int64_t)id
                                                                                 : -1;
}

/* Replays a dead letter. The ops page's Replay button posts here too: a
 * session's request goes back to the page, a script's gets JSON. */
static void on_dlq_retry(httpd_req *r, void *ud)
{
    syncd *sd = ud;
    int how = opspage_admin_change(sd, r);
    int64_t id = how ? admin_id(r) : -1;
    if (id < 0)
        return;
    char back[48];
    int rc = store_dlq_requeue(sd->st, id, clock_now_ms(&sd->clk));
    if (rc == 1 && how == OPS_SESSION) {
        snprintf(back, sizeof back, "gone=%lld", (long long)id);
        opspage_back(r, back);
        return;
    }
    if (rc == 1) {
        httpd_reply_error(r, 404, "no such dead-letter entry");
        return;
    }
    if (rc < 0) {
        httpd_reply_error(r, 500, "could not requeue");
        return;
    }
    store_audit(sd->st, id, clock_now_ms(&sd->clk), "requeued",
                how == OPS_SESSION ? "by the ops page" : "by the admin API");
    syncd_wake_workers(sd);
    if (how == OPS_SESSION) {
        snprintf(back, sizeof back, "replayed=%lld", (long long)id);
        opspage_back(r, back);
        return;
    }
    httpd_reply_json_text(r, 200, "{\"ok\":true}");
}

static void on_audit(httpd_req *r, void *ud)
{
    syncd *sd = ud;
    int64_t id = opspage_admin(sd, r) ? admin_id(r) : -1;
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
    if (!opspage_admin_change(sd, r))
        return;
    reconcile_request(sd->recon);
    httpd_reply_json_text(r, 202, "{\"ok\":true,\"queued\":true}");
}

static void on_config(httpd_req *r, void *ud)
{
    syncd *sd = ud;
    if (!opspage_admin(sd, r))
        return;
    cJSON *c = config_to_json(&sd->cfg);
    httpd_reply_json(r, 200, c);
    cJSON_Delete(c);
}

/* The admin API's credentials ride in headers: checked before any body
 * (the CSRF token of a session's change is checked on the body). */
static const route_row intake_table[] = {
    {"POST", "/webhooks/shopify", on_shopify, shopify_hook_gate},
    {"POST", "/webhooks/cin7", on_cin7, cin7_hook_gate},
    {"GET", "/healthz", on_health, NULL},
    {"GET", "/metrics", on_metrics, NULL},
    {"GET", "/admin/dlq", on_dlq, opspage_gate},
    {"POST", "/admin/dlq/{id}/retry", on_dlq_retry, opspage_gate},
    {"GET", "/admin/events/{id}/audit", on_audit, opspage_gate},
    {"GET", "/admin/config", on_config, opspage_gate},
    {"POST", "/admin/reconcile", on_reconcile, opspage_gate},
};

void intake_routes(syncd *sd, httpd *srv)
{
    routes_add(srv, intake_table, sizeof intake_table / sizeof intake_table[0], sd);
    opspage_routes(sd, srv);
}
