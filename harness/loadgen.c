/* The open-model load generator; see loadgen.h. */
#include "loadgen.h"

#include "httpc.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "sbuf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_CAP 65536

struct loadgen {
    lg_config cfg;
    pthread_t dispatcher;
    pthread_t *senders;
    unsigned n_senders;

    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    lg_record **queue; /* ring of pointers into records */
    size_t head, count;
    int closed;        /* the dispatcher has released everything */
    atomic_int cancel;

    /* Every released arrival, in order; each record is its own allocation,
     * so senders may hold pointers while the array grows. */
    lg_record **records;
    size_t n_records, cap_records;
    pthread_mutex_t records_lock;

    atomic_ullong sent, accepted, sold_out, answered;
    atomic_llong *taken; /* per SKU: units of accepted sales, every channel */
    atomic_llong max_lag;
};

static void put_address(const scenario *s, const demand_arrival *a, sbuf *b)
{
    const sc_stream *st = &s->streams[a->stream];
    const char *country = NULL, *postcode = NULL;
    int has_coords = 0;
    double lat = 0, lon = 0;
    if (a->replay_row >= 0) {
        country = st->replay[a->replay_row].country;
        postcode = st->replay[a->replay_row].postcode;
    }
    if (a->region >= 0) {
        const sc_region *r = &st->regions[a->region];
        country = r->country;
        if (!postcode)
            postcode = r->postcode;
        has_coords = r->has_coords;
        lat = r->lat;
        lon = r->lon;
    }
    /* A shopper always has a country; without regions, the first
     * warehouse's neighbourhood stands in. */
    if (!country) {
        country = "AU";
        postcode = postcode ? postcode : "2000";
    }
    sbuf_puts(b, ",\"shipping_address\":{\"first_name\":\"Surge\",\"last_name\":\"Shopper\","
                 "\"address1\":\"1 Flash Sale Lane\",\"city\":\"Surge City\"");
    if (country) {
        sbuf_puts(b, ",\"country_code\":");
        sbuf_json_str(b, country);
    }
    if (postcode && *postcode) {
        sbuf_puts(b, ",\"zip\":");
        sbuf_json_str(b, postcode);
    }
    if (has_coords)
        sbuf_printf(b, ",\"latitude\":%.6f,\"longitude\":%.6f", lat, lon);
    sbuf_putc(b, '}');
}

/* Sends one arrival and fills its record. */
static void send_one(loadgen *g, lg_record *r)
{
    const scenario *s = g->cfg.sc;
    const demand_arrival *a = &r->a;
    sbuf body = SBUF_INIT;
    char url[512];
    if (a->shopify) {
        snprintf(url, sizeof url, "%s/_mock/checkout", g->cfg.shopify_url);
        sbuf_puts(&body, "{\"shop\":");
        sbuf_json_str(&body, s->shops[a->shop].domain);
        sbuf_puts(&body, ",\"lines\":[");
        for (int i = 0; i < a->n_lines; i++) {
            sbuf_printf(&body, "%s{\"sku\":", i ? "," : "");
            sbuf_json_str(&body, s->skus[a->lines[i].sku].shopify_sku);
            sbuf_printf(&body, ",\"qty\":%lld}", (long long)a->lines[i].qty);
        }
        sbuf_putc(&body, ']');
        put_address(s, a, &body);
        sbuf_putc(&body, '}');
    } else {
        snprintf(url, sizeof url, "%s/_mock/channel-sale", g->cfg.cin7_url);
        sbuf_puts(&body, "{\"sku\":");
        sbuf_json_str(&body, s->skus[a->lines[0].sku].sku);
        sbuf_puts(&body, ",\"location\":");
        sbuf_json_str(&body, s->warehouses[a->warehouse].name);
        sbuf_printf(&body, ",\"qty\":%lld,\"channel\":", (long long)a->lines[0].qty);
        sbuf_json_str(&body, s->streams[a->stream].channel);
        sbuf_putc(&body, '}');
    }
    const char *headers[] = {"Content-Type: application/json", NULL};
    /* Shoppers are not retried: a checkout that failed is a lost sale, and
     * that is what the record says. */
    httpc_req req = {.method = "POST", .url = url, .headers = headers, .body = body.data,
                     .body_len = body.len, .timeout_ms = 30000, .idempotent = 1};
    httpc_resp resp;
    r->sent = clock_now_ms(g->cfg.clk) - g->cfg.offset_ms;
    httpc_do(&req, &resp);
    r->done = clock_now_ms(g->cfg.clk) - g->cfg.offset_ms;
    r->status = resp.status;
    r->result = OUT_ERROR;
    if (resp.result == HTTPC_OK && resp.status == 200) {
        cJSON *v = json_parse(resp.body, resp.body_len, NULL);
        if (a->shopify) {
            const cJSON *res = cJSON_GetObjectItemCaseSensitive(v, "result");
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(v, "order_id");
            if (cJSON_IsString(res) && strcmp(res->valuestring, "accepted") == 0) {
                r->result = OUT_ACCEPTED;
                r->order_id = cJSON_IsNumber(id) ? (int64_t)id->valuedouble : 0;
            } else if (cJSON_IsString(res) && strcmp(res->valuestring, "sold_out") == 0) {
                r->result = OUT_SOLD_OUT;
            } else if (cJSON_IsString(res) && strcmp(res->valuestring, "unavailable") == 0) {
                r->result = OUT_UNAVAILABLE;
            }
        } else {
            const cJSON *acc = cJSON_GetObjectItemCaseSensitive(v, "accepted");
            if (cJSON_IsBool(acc))
                r->result = cJSON_IsTrue(acc) ? OUT_ACCEPTED : OUT_SOLD_OUT;
        }
        cJSON_Delete(v);
    }
    if (r->result == OUT_ACCEPTED) {
        atomic_fetch_add(&g->accepted, 1);
        for (int i = 0; i < (a->shopify ? a->n_lines : 1); i++) /* other channels: one line */
            atomic_fetch_add(&g->taken[a->lines[i].sku], (long long)a->lines[i].qty);
    }
    else if (r->result == OUT_SOLD_OUT)
        atomic_fetch_add(&g->sold_out, 1);
    httpc_resp_free(&resp);
    sbuf_free(&body);
}

static void *sender_main(void *arg)
{
    loadgen *g = arg;
    for (;;) {
        pthread_mutex_lock(&g->lock);
        while (g->count == 0 && !g->closed)
            pthread_cond_wait(&g->not_empty, &g->lock);
        if (g->count == 0) {
            pthread_mutex_unlock(&g->lock);
            break;
        }
        lg_record *r = g->queue[g->head];
        g->head = (g->head + 1) % QUEUE_CAP;
        g->count--;
        pthread_cond_signal(&g->not_full);
        pthread_mutex_unlock(&g->lock);
        /* Lag: how late the request leaves against its intended time. */
        int64_t lag = clock_now_ms(g->cfg.clk) - g->cfg.offset_ms - r->a.t;
        long long seen = atomic_load(&g->max_lag);
        while (lag > seen && !atomic_compare_exchange_weak(&g->max_lag, &seen, lag))
            ;
        if (atomic_load(&g->cancel))
            r->result = OUT_ERROR;
        else
            send_one(g, r);
        atomic_fetch_add(&g->answered, 1);
    }
    httpc_thread_cleanup();
    return NULL;
}

static void *dispatcher_main(void *arg)
{
    loadgen *g = arg;
    demand *d = demand_new(g->cfg.sc, g->cfg.sc->seed);
    demand_arrival a;
    while (!atomic_load(&g->cancel) && demand_next(d, &a)) {
        if (a.t >= g->cfg.end_ms)
            break;
        /* Wait for the intended time, in short naps so a cancel is quick. */
        for (;;) {
            int64_t now = clock_now_ms(g->cfg.clk) - g->cfg.offset_ms;
            if (now >= a.t || atomic_load(&g->cancel))
                break;
            int64_t wait = a.t - now;
            sclock c = *g->cfg.clk;
            clock_sleep_ms(&c, wait < 50 * (int64_t)c.scale ? wait : 50 * (int64_t)c.scale);
        }
        lg_record *r = xcalloc(1, sizeof *r);
        r->a = a;
        pthread_mutex_lock(&g->records_lock);
        if (g->n_records == g->cap_records) {
            g->cap_records = g->cap_records ? g->cap_records * 2 : 4096;
            g->records = xrealloc(g->records, g->cap_records * sizeof *g->records);
        }
        g->records[g->n_records++] = r;
        pthread_mutex_unlock(&g->records_lock);
        pthread_mutex_lock(&g->lock);
        while (g->count == QUEUE_CAP && !atomic_load(&g->cancel))
            pthread_cond_wait(&g->not_full, &g->lock);
        g->queue[(g->head + g->count) % QUEUE_CAP] = r;
        g->count++;
        pthread_cond_signal(&g->not_empty);
        pthread_mutex_unlock(&g->lock);
        atomic_fetch_add(&g->sent, 1);
    }
    demand_free(d);
    pthread_mutex_lock(&g->lock);
    g->closed = 1;
    pthread_cond_broadcast(&g->not_empty);
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

loadgen *loadgen_start(const lg_config *cfg)
{
    loadgen *g = xcalloc(1, sizeof *g);
    g->cfg = *cfg;
    g->n_senders = cfg->senders ? cfg->senders : 8;
    g->queue = xcalloc(QUEUE_CAP, sizeof *g->queue);
    g->taken = xcalloc(cfg->sc->n_skus + 1, sizeof *g->taken);
    for (size_t i = 0; i < cfg->sc->n_skus; i++)
        atomic_init(&g->taken[i], 0);
    pthread_mutex_init(&g->lock, NULL);
    pthread_mutex_init(&g->records_lock, NULL);
    pthread_cond_init(&g->not_empty, NULL);
    pthread_cond_init(&g->not_full, NULL);
    g->senders = xcalloc(g->n_senders, sizeof *g->senders);
    for (unsigned i = 0; i < g->n_senders; i++)
        pthread_create(&g->senders[i], NULL, sender_main, g);
    pthread_create(&g->dispatcher, NULL, dispatcher_main, g);
    return g;
}

void loadgen_progress(loadgen *g, uint64_t *sent, uint64_t *accepted, uint64_t *sold_out,
                      int64_t *max_lag_ms)
{
    *sent = atomic_load(&g->sent);
    *accepted = atomic_load(&g->accepted);
    *sold_out = atomic_load(&g->sold_out);
    *max_lag_ms = atomic_load(&g->max_lag);
}

int64_t loadgen_taken(loadgen *g, size_t sku)
{
    return sku < g->cfg.sc->n_skus ? (int64_t)atomic_load(&g->taken[sku]) : 0;
}

int loadgen_done(loadgen *g)
{
    pthread_mutex_lock(&g->lock);
    int closed = g->closed;
    pthread_mutex_unlock(&g->lock);
    return closed && atomic_load(&g->answered) == atomic_load(&g->sent);
}

void loadgen_cancel(loadgen *g)
{
    atomic_store(&g->cancel, 1);
    pthread_mutex_lock(&g->lock);
    pthread_cond_broadcast(&g->not_full);
    pthread_mutex_unlock(&g->lock);
}

void loadgen_finish(loadgen *g, lg_record **records, size_t *n, int64_t *max_lag_ms)
{
    pthread_join(g->dispatcher, NULL);
    for (unsigned i = 0; i < g->n_senders; i++)
        pthread_join(g->senders[i], NULL);
    *n = g->n_records;
    *records = xcalloc(g->n_records + 1, sizeof **records);
    for (size_t i = 0; i < g->n_records; i++) {
        (*records)[i] = *g->records[i];
        free(g->records[i]);
    }
    *max_lag_ms = atomic_load(&g->max_lag);
    free(g->records);
    free(g->queue);
    free((void *)g->taken);
    free(g->senders);
    pthread_mutex_destroy(&g->lock);
    pthread_mutex_destroy(&g->records_lock);
    pthread_cond_destroy(&g->not_empty);
    pthread_cond_destroy(&g->not_full);
    free(g);
}
