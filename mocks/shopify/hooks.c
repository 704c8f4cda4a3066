/* Shopify-style webhook deliveries over lib/deliver; see hooks.h. */
#include "hooks.h"

#include "deliver.h"
#include "hmac.h"
#include "mem.h"
#include "rng.h"
#include "sbuf.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hooks {
    spec_webhooks cfg;
    const sclock *clk;
    journal *jr;
    counters *ctr;
    uint64_t seed;
    hooks_faults_fn faults;
    void *faults_ud;
    hooks_result_fn on_result;
    void *ud;
    deliverer *d;
    pthread_mutex_t lock; /* the id streams and the delivery counter */
    rng ids;
    uint64_t deliveries;
};

/* A UUID (version 4 layout) from the id stream; lock held. */
static void uuid_locked(hooks *h, char out[40])
{
    uint64_t a = rng_next(&h->ids), b = rng_next(&h->ids);
    a = (a & ~UINT64_C(0xF000)) | UINT64_C(0x4000);               /* version 4 */
    b = (b & ~(UINT64_C(3) << 62)) | (UINT64_C(2) << 62);         /* variant 10 */
    snprintf(out, 40, "%08llx-%04llx-%04llx-%04llx-%012llx", (unsigned long long)(a >> 32),
             (unsigned long long)((a >> 16) & 0xFFFF), (unsigned long long)(a & 0xFFFF),
             (unsigned long long)(b >> 48), (unsigned long long)(b & UINT64_C(0xFFFFFFFFFFFF)));
}

void hooks_event_id(hooks *h, char out[40])
{
    pthread_mutex_lock(&h->lock);
    uuid_locked(h, out);
    pthread_mutex_unlock(&h->lock);
}

/* The value of header name in a "Name: value" list, or "". */
static const char *header_value(const char *const *headers, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; headers && headers[i]; i++)
        if (strncmp(headers[i], name, n) == 0 && headers[i][n] == ':')
            return headers[i] + n + 2;
    return "";
}

/* The fields every webhook journal entry opens with. */
static void put_delivery(sbuf *b, const char *id, const char *topic, const char *shop,
                         int64_t sub_id, const char *event_id)
{
    sbuf_puts(b, "\"id\":");
    sbuf_json_str(b, id);
    sbuf_puts(b, ",\"topic\":");
    sbuf_json_str(b, topic);
    sbuf_puts(b, ",\"shop\":");
    sbuf_json_str(b, shop);
    sbuf_printf(b, ",\"subscription_id\":%lld,\"event_id\":", (long long)sub_id);
    sbuf_json_str(b, event_id);
}

static int on_attempt(const deliver_report *r, void *ud)
{
    hooks *h = ud;
    const deliver_msg *m = r->msg;
    hooks_report hr = {
        .delivery_id = m->id,
        .event_id = header_value(m->headers, "X-Shopify-Event-Id"),
        .topic = m->topic,
        .shop = header_value(m->headers, "X-Shopify-Shop-Domain"),
        .sub_id = m->sub_id,
        .copy = r->copy,
        .attempt = r->attempt,
        .status = r->status,
        .ok = r->ok,
        .abandoned = r->abandoned,
        .faulted = r->faulted,
        .next_in_ms = r->next_in_ms,
        .error = r->error,
    };
    sbuf b = SBUF_INIT;
    put_delivery(&b, hr.delivery_id, hr.topic, hr.shop, hr.sub_id, hr.event_id);
    sbuf_printf(&b, ",\"attempt\":%d,\"copy\":%d,\"status\":%d,\"ok\":%s,\"faulted\":%s", hr.attempt,
                hr.copy, hr.status, hr.ok ? "true" : "false", hr.faulted ? "true" : "false");
    if (!hr.ok) {
        sbuf_puts(&b, ",\"error\":");
        sbuf_json_str(&b, hr.error);
        if (!hr.abandoned)
            sbuf_printf(&b, ",\"next_in_ms\":%lld", (long long)hr.next_in_ms);
    }
    journal_addf(h->jr, "webhook_attempt", "%s", sbuf_str(&b));
    sbuf_free(&b);
    counters_add(h->ctr, "webhooks attempts", 1);
    if (hr.ok) {
        counters_add(h->ctr, "webhooks delivered", 1);
    } else {
        counters_add(h->ctr, "webhooks failed attempts", 1);
        if (!hr.abandoned)
            counters_add(h->ctr, "webhooks retried", 1);
    }
    if (hr.abandoned) {
        counters_add(h->ctr, "webhooks abandoned", 1);
        sbuf a = SBUF_INIT;
        put_delivery(&a, hr.delivery_id, hr.topic, hr.shop, hr.sub_id, hr.event_id);
        sbuf_printf(&a, ",\"copy\":%d,\"attempts\":%d", hr.copy, hr.attempt);
        journal_addf(h->jr, "webhook_abandoned", "%s", sbuf_str(&a));
        sbuf_free(&a);
    }
    return h->on_result ? h->on_result(h->ud, &hr) : 0;
}

hooks *hooks_new(const hooks_env *env, hooks_result_fn on_result, void *ud)
{
    hooks *h = xcalloc(1, sizeof *h);
    h->cfg = *env->cfg;
    h->clk = env->clk;
    h->jr = env->jr;
    h->ctr = env->ctr;
    h->seed = env->seed;
    h->faults = env->faults;
    h->faults_ud = env->faults_ud;
    h->on_result = on_result;
    h->ud = ud;
    pthread_mutex_init(&h->lock, NULL);
    rng_derive(&h->ids, env->seed, 0x1d5);
    deliver_config dc = {
        .threads = h->cfg.threads,
        .retry_waits = h->cfg.retry_waits,
        .n_retries = h->cfg.retries,
        .connect_timeout_ms = h->cfg.connect_timeout_ms,
        .timeout_ms = h->cfg.timeout_ms,
        .seed = env->seed ^ UINT64_C(0x7e0a),
    };
    h->d = deliverer_start(&dc, env->clk, on_attempt, h);
    return h;
}

void hooks_free(hooks *h)
{
    if (!h)
        return;
    deliverer_free(h->d);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

/* The configured extra delay for one delivery. */
static int64_t draw_delay(const spec_delay *d, rng *g)
{
    if (d->kind == SPEC_DELAY_NONE || rng_uniform(g) >= d->probability)
        return 0;
    double v = 0;
    switch (d->kind) {
    case SPEC_DELAY_NONE: break;
    case SPEC_DELAY_FIXED: v = (double)d->a_ms; break;
    case SPEC_DELAY_UNIFORM: v = rng_range(g, (double)d->a_ms, (double)d->b_ms + 1); break;
    case SPEC_DELAY_LOGNORMAL: v = rng_lognormal(g, (double)d->a_ms, (double)d->b_ms); break;
    case SPEC_DELAY_EXPONENTIAL: v = rng_exponential(g, (double)d->a_ms); break;
    }
    if (!(v > 0))
        return 0;
    if (v > FAULTS_MAX_MS)
        v = FAULTS_MAX_MS;
    return (int64_t)floor(v);
}

void hooks_send(hooks *h, const hooks_msg *m)
{
    char id[40];
    uint64_t n;
    pthread_mutex_lock(&h->lock);
    uuid_locked(h, id);
    n = h->deliveries++;
    pthread_mutex_unlock(&h->lock);

    /* This delivery's own stream: its draws depend on its number alone. */
    rng g;
    rng_derive(&g, h->seed ^ UINT64_C(0x5b0f), n);
    fault_delivery fd = {0};
    if (h->faults)
        h->faults(h->faults_ud, m->topic, &fd);
    int dup = rng_uniform(&g) < h->cfg.duplicate_probability;
    int64_t extra = draw_delay(&h->cfg.extra_delay, &g);
    fd.copies += dup;
    fd.delay_ms += extra;
    if (h->cfg.reorder_window_ms > fd.reorder_window_ms)
        fd.reorder_window_ms = h->cfg.reorder_window_ms;

    char sig[HMAC_SHA256_B64_SIZE];
    hmac_sha256_base64(m->secret, m->body, m->body_len, sig);
    char triggered[40];
    clock_format_iso(m->triggered_epoch_ms, 1, triggered, sizeof triggered);
    char *hdr[12];
    int k = 0;
    hdr[k++] = xstrdup("Content-Type: application/json");
    hdr[k++] = xstrdup("User-Agent: Shopify-Captain-Hook");
    hdr[k++] = xasprintf("X-Shopify-Topic: %s", m->topic);
    hdr[k++] = xasprintf("X-Shopify-Hmac-Sha256: %s", sig);
    hdr[k++] = xasprintf("X-Shopify-Shop-Domain: %s", m->shop);
    hdr[k++] = xasprintf("X-Shopify-API-Version: %s", m->api_version);
    hdr[k++] = xasprintf("X-Shopify-Webhook-Id: %s", id);
    hdr[k++] = xasprintf("X-Shopify-Event-Id: %s", m->event_id);
    hdr[k++] = xasprintf("X-Shopify-Triggered-At: %s", triggered);
    hdr[k] = NULL;
    deliver_msg dm = {
        .id = id,
        .topic = m->topic,
        .url = m->address,
        .headers = (const char *const *)hdr,
        .body = m->body,
        .body_len = m->body_len,
        .sub_id = m->sub_id,
    };
    sbuf b = SBUF_INIT;
    put_delivery(&b, id, m->topic, m->shop, m->sub_id, m->event_id);
    sbuf_puts(&b, ",\"address\":");
    sbuf_json_str(&b, m->address);
    if (m->resource_id)
        sbuf_printf(&b, ",\"resource_id\":%lld", (long long)m->resource_id);
    else
        sbuf_puts(&b, ",\"resource_id\":null");
    sbuf_printf(&b, ",\"copies\":%d,\"delay_ms\":%lld,\"reorder_window_ms\":%lld,\"drop\":%s",
                fd.copies, (long long)fd.delay_ms, (long long)fd.reorder_window_ms,
                fd.drop ? "true" : "false");
    journal_addf(h->jr, "webhook_queued", "%s", sbuf_str(&b));
    sbuf_free(&b);
    counters_add(h->ctr, "webhooks queued", 1);
    if (fd.copies)
        counters_add(h->ctr, "webhooks duplicates", fd.copies);
    deliverer_submit(h->d, &dm, &fd);
    for (int i = 0; i < k; i++)
        free(hdr[i]);
}

void hooks_cancel(hooks *h, int64_t sub_id)
{
    deliverer_cancel(h->d, sub_id);
}

size_t hooks_pending(hooks *h)
{
    return deliverer_pending(h->d);
}
