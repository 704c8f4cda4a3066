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
 * Stock changes are coalesced: each SKU x location whose Available moved is
 * marked, and when the window that its first change opened closes, one
 * delivery per subscriber carries the current rows of all marked cells.
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

void c7hooks_set_headers(c7sub *s, const c7hook_in *in)
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
    c7hooks_set_headers(s, in);
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
    sbuf b = SBUF_INIT;
    size_t rows = 0;
    sbuf_putc(&b, '[');
    for (size_t p = 0; p < w->n_prods; p++)
        for (size_t l = 0; l < w->n_locs; l++) {
            c7cell *c = &w->prods[p].cells[l];
            if (!c->dirty)
                continue;
            c->dirty = 0;
            if (rows++)
                sbuf_putc(&b, ',');
            c7render_availability_row(w, (long)p, (long)l, &b);
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

/* Cin7's sale events are notifications, not documents: the sale's ID and
 * order number and the event's type (Sale/ShipmentAuthorised adds the
 * fulfilment's task and the tenant). A receiver reads the sale back with
 * GET sale?ID= to learn its state. */
char *c7hooks_sale_payload(const c7world *w, const c7sale *s, const char *type)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "SaleID", s->id);
    cJSON_AddStringToObject(o, "SaleOrderNumber", s->number);
    if (strcmp(type, "Sale/ShipmentAuthorised") == 0) {
        cJSON_AddStringToObject(o, "SaleTaskID", s->fulfil_task);
        cJSON_AddStringToObject(o, "TenantID", w->tenant);
    }
    cJSON_AddStringToObject(o, "EventType", type);
    return payload_text(o);
}

/* Purchase events likewise: the task, its number, its supplier and the
 * event's type. */
char *c7hooks_purchase_payload(const c7world *w, const c7purchase *p, const char *type)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "TaskID", p->id);
    cJSON_AddStringToObject(o, "PurchaseOrderNumber", p->number);
    cJSON_AddStringToObject(o, "SupplierID", w->sups[p->supplier].id);
    cJSON_AddStringToObject(o, "Supplier", w->sups[p->supplier].name);
    cJSON_AddStringToObject(o, "EventType", type);
    return payload_text(o);
}
