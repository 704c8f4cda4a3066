/*
 * Webhooks out of mock-cin7: subscriptions as GET/POST/PUT/DELETE webhooks
 * keep them, the payloads of each event type, and delivery through
 * lib/deliver.h on Cin7's schedule (the first attempt a minute after the
 * event, then 5, 10, 15, 20 and 25 minutes after the previous one, all
 * configurable and in simulated time). A subscription whose delivery fails
 * on its last attempt is deactivated, as Cin7 does; the deactivation is
 * journaled and counted. There is no signature: a subscriber authenticates
 * the mock by the basic, bearer or custom headers it asked for.
 *
 * Payloads are Cin7's thin notifications (../shared/API-NOTES.md, from
 * Cin7's API blueprint): sale events {SaleID, SaleOrderNumber, EventType}
 * (Sale/ShipmentAuthorised adds SaleTaskID and TenantID), purchase events
 * {TaskID, PurchaseOrderNumber, SupplierID, Supplier, EventType}; the
 * receiver reads the document back. Stock changes are coalesced: each
 * SKU x location whose Available moved is marked, and when the window that
 * its first change opened closes, one delivery per subscriber carries the
 * current rows of all marked cells as a bare array (no EventType).
 */
#include "world_int.h"

#include "hmac.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs on a sender thread after every attempt; see deliver.h. */
static int on_report(const deliver_report *r, void *ud)
{
    c7world *w = ud;
    pthread_mutex_lock(&w->lock);
    c7sub *s = NULL;
    for (size_t i = 0; i < w->n_subs && !s; i++)
        if (w->subs[i].num == r->msg->sub_id)
            s = &w->subs[i];
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "delivery", r->msg->id);
    if (s)
        cJSON_AddStringToObject(f, "subscription", s->id);
    else
        cJSON_AddNullToObject(f, "subscription");
    cJSON_AddStringToObject(f, "type", r->msg->topic);
    cJSON_AddNumberToObject(f, "attempt", r->attempt);
    cJSON_AddNumberToObject(f, "copy", r->copy);
    cJSON_AddNumberToObject(f, "status", r->status);
    cJSON_AddBoolToObject(f, "ok", r->ok);
    if (!r->ok) {
        cJSON_AddStringToObject(f, "error", r->error);
        cJSON_AddBoolToObject(f, "faulted", r->faulted);
        if (!r->abandoned)
            cJSON_AddNumberToObject(f, "next_in_ms", (double)r->next_in_ms);
    }
    journal_add(w->jr, "webhook_attempt", f);
    counters_add(w->ctr, r->ok ? "webhooks sent" : "webhooks failed", 1);
    int stop = 0;
    if (!s || s->deleted) {
        stop = 1;
    } else if (r->ok) {
        s->delivered++;
    } else {
        s->failed_attempts++;
        if (r->abandoned) {
            s->abandoned++;
            counters_add(w->ctr, "webhooks abandoned", 1);
            cJSON *a = cJSON_CreateObject();
            cJSON_AddStringToObject(a, "delivery", r->msg->id);
            cJSON_AddStringToObject(a, "subscription", s->id);
            cJSON_AddStringToObject(a, "type", r->msg->topic);
            cJSON_AddNumberToObject(a, "attempts", r->attempt);
            journal_add(w->jr, "webhook_abandoned", a);
            if (s->active) {
                /* Cin7 deactivates a webhook whose event failed every
                 * attempt; what else was queued for it goes too. */
                s->active = 0;
                s->deactivated_ms = c7w_now(w);
                counters_add(w->ctr, "webhooks deactivated", 1);
                cJSON *d = cJSON_CreateObject();
                cJSON_AddStringToObject(d, "subscription", s->id);
                cJSON_AddStringToObject(d, "type", s->type);
                cJSON_AddStringToObject(d, "url", s->url);
                size_t dropped = deliverer_cancel(w->dl, s->num);
                cJSON_AddNumberToObject(d, "dropped", (double)dropped);
                journal_add(w->jr, "webhook_deactivated", d);
            }
        } else if (!s->active) {
            stop = 1; /* switched off meanwhile: no more retries */
        } else {
            counters_add(w->ctr, "webhooks retried", 1);
        }
    }
    pthread_mutex_unlock(&w->lock);
    return stop;
}

void c7hooks_start(c7world *w)
{
    deliver_config dc = {
        .threads = (unsigned)w->cfg->hook_senders,
        .retry_waits = w->cfg->retry_ms,
        .n_retries = w->cfg->n_retries,
        .connect_timeout_ms = w->cfg->hook_connect_timeout_ms,
        .timeout_ms = w->cfg->hook_timeout_ms,
        .seed = mockd_seed(w->m),
    };
    w->dl = deliverer_start(&dc, w->clk, on_report, w);
}

void c7hooks_stop(c7world *w)
{
    deliverer_free(w->dl);
    w->dl = NULL;
}

static void free_headers(c7sub *s)
{
    for (size_t i = 0; i < s->n_headers; i++) {
        free(s->hkeys[i]);
        free(s->hvals[i]);
    }
    free(s->hkeys);
    free(s->hvals);
}

void c7hooks_free_sub(c7sub *s)
{
    free(s->name);
    free(s->url);
    free(s->auth);
    free(s->username);
    free(s->password);
    free(s->token);
    free_headers(s);
}

static void set_headers(c7sub *s, const c7hook_in *in)
{
    free_headers(s);
    s->n_headers = in->n_headers;
    s->hkeys = xcalloc(in->n_headers ? in->n_headers : 1, sizeof *s->hkeys);
    s->hvals = xcalloc(in->n_headers ? in->n_headers : 1, sizeof *s->hvals);
    for (size_t k = 0; k < in->n_headers; k++) {
        s->hkeys[k] = xstrdup(in->header_keys[k]);
        s->hvals[k] = xstrdup(in->header_values[k]);
    }
}

long c7hooks_add(c7world *w, const c7hook_in *in)
{
    XGROW(w->subs, w->n_subs, w->cap_subs, 16);
    long i = (long)w->n_subs++;
    c7sub *s = &w->subs[i];
    memset(s, 0, sizeof *s);
    c7w_set_id(w, s->id, in->id);
    /* Never reused, not even after a reset, so a late report of an old
     * subscription's attempt cannot land on a new one. */
    s->num = w->next_sub_num++;
    s->type = c7config_hook_type(in->type);
    s->name = c7w_dup_or_null(in->name);
    s->url = xstrdup(in->url);
    s->auth = xstrdup(in->auth ? in->auth : "noauth");
    s->username = c7w_dup_or_null(in->username);
    s->password = c7w_dup_or_null(in->password);
    s->token = c7w_dup_or_null(in->token);
    set_headers(s, in);
    s->active = in->active != 0; /* -1 (not given) means active */
    s->created_ms = c7w_now(w);
    s->deactivated_ms = -1;
    strmap_put(w->sub_by_id, s->id, i);
    return i;
}

/* The header lines of a delivery to s: NULL-terminated, all malloc'd. */
static char **headers_for(const c7sub *s)
{
    char **h = xcalloc(s->n_headers + 3, sizeof *h);
    size_t n = 0;
    h[n++] = xstrdup("Content-Type: application/json");
    if (strcmp(s->auth, "basicauth") == 0) {
        char *plain = xasprintf("%s:%s", s->username ? s->username : "",
                                s->password ? s->password : "");
        size_t len = strlen(plain);
        char *b64 = xmalloc(base64_encoded_len(len) + 1);
        base64_encode(plain, len, b64, base64_encoded_len(len) + 1);
        h[n++] = xasprintf("Authorization: Basic %s", b64);
        free(b64);
        free(plain);
    } else if (strcmp(s->auth, "bearerauth") == 0) {
        h[n++] = xasprintf("Authorization: Bearer %s", s->token ? s->token : "");
    }
    for (size_t i = 0; i < s->n_headers; i++)
        h[n++] = xasprintf("%s: %s", s->hkeys[i], s->hvals[i]);
    h[n] = NULL;
    return h;
}

static void emit_after(c7world *w, const char *type, const char *body, int64_t delay_ms)
{
    for (size_t i = 0; i < w->n_subs; i++) {
        c7sub *s = &w->subs[i];
        if (s->deleted || !s->active || strcmp(s->type, type) != 0)
            continue;
        char id[C7_ID_LEN];
        c7w_guid(w, id);
        char **h = headers_for(s);
        deliver_msg msg = {
            .id = id, .topic = type, .url = s->url, .headers = (const char *const *)h,
            .body = body, .body_len = strlen(body), .sub_id = s->num,
        };
        fault_delivery fd;
        mockd_delivery_faults(w->m, type, &fd);
        fd.delay_ms += delay_ms;
        /* Journaled before it is queued, so that no attempt can be seen
         * (or journaled) before the entry announcing it, and the first
         * attempt's t minus this t is at least the delay. */
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "delivery", id);
        cJSON_AddStringToObject(f, "subscription", s->id);
        cJSON_AddStringToObject(f, "type", type);
        cJSON_AddNumberToObject(f, "first_attempt_in_ms", (double)fd.delay_ms);
        if (fd.copies)
            cJSON_AddNumberToObject(f, "extra_copies", fd.copies);
        if (fd.drop)
            cJSON_AddBoolToObject(f, "dropped_by_fault", 1);
        journal_add(w->jr, "webhook_queued", f);
        deliverer_submit(w->dl, &msg, &fd);
        for (char **p = h; *p; p++)
            free(*p);
        free(h);
        counters_add(w->ctr, "webhooks queued", 1);
    }
}

void c7hooks_emit(c7world *w, const char *type, const char *body)
{
    emit_after(w, type, body, w->cfg->first_attempt_ms);
}

void c7hooks_flush_stock(c7world *w)
{
    /* Cin7 sends the rows of the changed stock as a bare JSON array, one
     * row per location, bin and batch, with no EventType. */
    sbuf b = SBUF_INIT;
    size_t rows = 0;
    sbuf_putc(&b, '[');
    for (size_t p = 0; p < w->n_prods; p++)
        for (size_t l = 0; l < w->n_locs; l++) {
            c7cell *c = &w->prods[p].cells[l];
            if (!c->dirty)
                continue;
            c->dirty = 0;
            rows += c7stock_rows(w, (long)p, (long)l, &b, 1, rows == 0);
        }
    sbuf_putc(&b, ']');
    if (rows) {
        /* The window opened with the first change, so what is left of
         * Cin7's minute after the event is first_attempt - window. */
        int64_t delay = w->cfg->first_attempt_ms - w->cfg->coalesce_ms;
        emit_after(w, "Stock/AvailableStockLevelChanged", sbuf_str(&b), delay > 0 ? delay : 0);
    }
    sbuf_free(&b);
}

/* The payload's text; o is consumed. */
static char *payload_text(cJSON *o)
{
    char *text = json_print(o);
    cJSON_Delete(o);
    return text;
}

static void emit_object(c7world *w, const char *type, cJSON *o)
{
    cJSON_AddStringToObject(o, "EventType", type);
    char *body = payload_text(o);
    c7hooks_emit(w, type, body);
    free(body);
}

/* Thin notifications: the receiver reads the sale back (GET sale?ID=). A
 * shipment names its fulfilment (task_id) and the account. */
static void sale_note(c7world *w, const char *type, const c7sale *s, const char *task_id)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "SaleID", s->id);
    cJSON_AddStringToObject(o, "SaleOrderNumber", s->number);
    if (task_id) {
        cJSON_AddStringToObject(o, "SaleTaskID", task_id);
        cJSON_AddStringToObject(o, "TenantID", w->tenant);
    }
    emit_object(w, type, o);
}

void c7hooks_sale_event(c7world *w, const char *type, const c7sale *s)
{
    sale_note(w, type, s, NULL);
}

void c7hooks_sale_shipped(c7world *w, const c7sale *s, const c7ful *f)
{
    sale_note(w, "Sale/ShipmentAuthorised", s, f->task_id);
}

void c7hooks_purchase_event(c7world *w, const char *type, const c7purchase *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "TaskID", p->id);
    cJSON_AddStringToObject(o, "PurchaseOrderNumber", p->number);
    cJSON_AddStringToObject(o, "SupplierID", w->sups[p->supplier].id);
    cJSON_AddStringToObject(o, "Supplier", w->sups[p->supplier].name);
    emit_object(w, type, o);
}

int64_t c7hooks_of_type(const c7world *w, const char *type, long except)
{
    int64_t n = 0;
    for (size_t i = 0; i < w->n_subs; i++)
        n += (long)i != except && !w->subs[i].deleted && strcmp(w->subs[i].type, type) == 0;
    return n;
}

/* ---- subscriptions: GET, POST, PUT, DELETE webhooks ------------------------------- */

static long find_sub(const c7world *w, const char *id)
{
    long i = id ? strmap_get(w->sub_by_id, id) : -1;
    return i >= 0 && !w->subs[i].deleted ? i : -1;
}

static cJSON *hooks_answer(const c7sub *s)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "Webhooks");
    if (s)
        cJSON_AddItemToArray(arr, c7render_hook(s));
    return root;
}

static int check_hook_auth(const char *auth, const char *user, const char *pass, const char *token,
                           c7result *r)
{
    if (strcmp(auth, "basicauth") == 0 && (!user || !*user || !pass)) {
        c7w_fail(r, 400, "ExternalUserName: basicauth needs ExternalUserName and ExternalPassword");
        return -1;
    }
    if (strcmp(auth, "bearerauth") == 0 && (!token || !*token)) {
        c7w_fail(r, 400, "ExternalBearerToken: bearerauth needs a token");
        return -1;
    }
    return 0;
}

/* Fails unless one more webhook of type fits beside the live ones (but
 * except, a subscription changing its type, or -1). */
static int check_hook_room(const c7world *w, const char *type, long except, c7result *r)
{
    if (c7hooks_of_type(w, type, except) >= w->cfg->hooks_per_type) {
        c7w_fail(r, 400, "Type: there is a limit of %lld webhooks of the same type",
             (long long)w->cfg->hooks_per_type);
        return -1;
    }
    return 0;
}

void c7world_hooks_list(c7world *w, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    cJSON *root = hooks_answer(NULL);
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "Webhooks");
    for (size_t i = 0; i < w->n_subs; i++)
        if (!w->subs[i].deleted)
            cJSON_AddItemToArray(arr, c7render_hook(&w->subs[i]));
    c7w_reply(out, root);
    pthread_mutex_unlock(&w->lock);
}

static void hook_entry(c7world *w, const char *kind, const c7sub *s, const char *client)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "subscription", s->id);
    cJSON_AddStringToObject(f, "type", s->type);
    cJSON_AddStringToObject(f, "url", s->url);
    cJSON_AddBoolToObject(f, "active", s->active);
    if (client)
        cJSON_AddStringToObject(f, "application", client);
    c7w_journal(w, kind, f);
}

void c7world_hook_create(c7world *w, const c7hook_in *in, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    if (check_hook_auth(in->auth, in->username, in->password, in->token, out))
        goto out;
    if (check_hook_room(w, in->type, -1, out))
        goto out;
    long i = c7hooks_add(w, in);
    hook_entry(w, "webhook_subscribed", &w->subs[i], in->client);
    c7w_reply(out, hooks_answer(&w->subs[i]));
out:
    pthread_mutex_unlock(&w->lock);
}

void c7world_hook_update(c7world *w, const c7hook_in *in, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long i = find_sub(w, in->id);
    if (i < 0) {
        c7w_fail(out, 400, "ID: webhook %s not found", in->id ? in->id : "");
        goto out;
    }
    c7sub *s = &w->subs[i];
    const char *type = in->type ? in->type : s->type;
    const char *auth = in->auth ? in->auth : s->auth;
    const char *user = in->username ? in->username : s->username;
    const char *pass = in->password ? in->password : s->password;
    const char *token = in->token ? in->token : s->token;
    if (check_hook_auth(auth, user, pass, token, out))
        goto out;
    if (strcmp(type, s->type) != 0 && check_hook_room(w, type, i, out))
        goto out;
    s->type = type; /* both spellings are static */
    if (in->url)
        c7w_set_str(&s->url, in->url);
    if (in->name)
        c7w_set_str(&s->name, in->name);
    if (in->auth)
        c7w_set_str(&s->auth, in->auth);
    if (in->username)
        c7w_set_str(&s->username, in->username);
    if (in->password)
        c7w_set_str(&s->password, in->password);
    if (in->token)
        c7w_set_str(&s->token, in->token);
    if (in->has_headers)
        set_headers(s, in);
    if (in->active >= 0) {
        if (in->active && !s->active)
            s->deactivated_ms = -1;
        s->active = in->active;
    }
    hook_entry(w, "webhook_updated", s, in->client);
    c7w_reply(out, hooks_answer(s));
out:
    pthread_mutex_unlock(&w->lock);
}

void c7world_hook_delete(c7world *w, const char *id, const char *client, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long i = find_sub(w, id);
    if (i < 0) {
        c7w_fail(out, 400, "ID: webhook %s not found", id ? id : "");
    } else {
        w->subs[i].deleted = 1;
        w->subs[i].active = 0;
        deliverer_cancel(w->dl, w->subs[i].num);
        hook_entry(w, "webhook_deleted", &w->subs[i], client);
        c7w_reply(out, hooks_answer(NULL));
    }
    pthread_mutex_unlock(&w->lock);
}

