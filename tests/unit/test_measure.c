/*
 * Measurement (harness/measure.c) on hand-made ground truth: journals
 * written line by line in the very shapes the mocks write them
 * (docs/mock-cin7.md and docs/mock-shopify.md, "Journal kinds") and final
 * states in the shapes of their GET /_mock/state, so every metric of
 * DESIGN §6 is checked against a value worked out by hand.
 *
 * Journal times are the mocks' clock; the scenario's t = 0 is T0 on it, so
 * every time below is written as T0 + x and must come out as x.
 */
#include "../runner.h"

#include "json.h"
#include "measure.h"
#include "sbuf.h"
#include "scenario.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 700000
#define SHOP "s.myshopify.com"
#define OID(n) (5800000000000LL + (n)) /* Shopify order ids, as the mock numbers them */

/* Three SKUs (C is "c-web" in Shopify), two suppliers, two warehouses, one
 * shop; a shopper stream and a wholesale stream. */
static const char scenario_text[] =
    "{\"name\":\"m\",\"duration\":\"10s\",\"drain\":\"5s\","
    "\"suppliers\":[{\"name\":\"Acme\"},{\"name\":\"Bolt\"}],"
    "\"catalog\":{\"skus\":[{\"sku\":\"A\",\"supplier\":\"Acme\"},{\"sku\":\"B\",\"supplier\":\"Acme\"},"
    "{\"sku\":\"C\",\"shopify_sku\":\"c-web\",\"supplier\":\"Bolt\"}]},"
    "\"warehouses\":[{\"name\":\"W1\"},{\"name\":\"W2\"}],"
    "\"shops\":[{\"domain\":\"" SHOP "\"}],"
    "\"stock\":[{\"on_hand\":10}],"
    "\"demand\":[{\"name\":\"shoppers\",\"rate\":1},"
    "{\"name\":\"wholesale\",\"channel\":\"wholesale\",\"rate\":0.5,\"warehouse\":\"W1\"}]}";

static const char *const skus[3] = {"A", "B", "C"};
static const char *const shopify_skus[3] = {"A", "B", "c-web"};

typedef struct {
    sbuf cin7, shopify;          /* the journals, JSON lines */
    unsigned long long seq_c, seq_s;
    /* final state, per SKU A, B, C */
    long long initial[3], received[3], adjusted[3];
    long long avail_w1[3], avail_w2[3];
    long long shopify_avail[3];
    const char *dlq;             /* JSON text of the dead letters, NULL: [] */
    lg_record recs[16];
    size_t n_recs;
    measure_sample samples[8];
    size_t n_samples;
    int64_t end;                 /* 0: the scenario's duration */
    int64_t t0;
    const char *const *overrides;
    size_t n_overrides;
    const int64_t *shop_buffers; /* per shop, NULL: none */
    int64_t low_stock_split;     /* the engine's, -1: none */
    int64_t kit_low_stock_split; /* the engine's, -1: none */
    /* results */
    scenario sc;
    measure_output out;
    cJSON *m;                    /* out.metrics */
} fixture;

static void fx_init(fixture *f)
{
    memset(f, 0, sizeof *f);
    f->low_stock_split = -1;
    f->kit_low_stock_split = -1;
    for (int k = 0; k < 3; k++) {
        f->initial[k] = 20;
        f->avail_w1[k] = 10;
        f->avail_w2[k] = 10;
        f->shopify_avail[k] = 20;
    }
    f->t0 = T0;
}

static void fx_free(fixture *f)
{
    measure_output_free(&f->out);
    scenario_free(&f->sc);
    sbuf_free(&f->cin7);
    sbuf_free(&f->shopify);
}

/* One journal line at scenario time t: {"seq","t","kind",fields...}. */
static void jline(sbuf *b, unsigned long long *seq, int64_t t, const char *kind, const char *fmt,
                  va_list ap)
{
    sbuf_printf(b, "{\"seq\":%llu,\"t\":%lld,\"kind\":\"%s\"", ++*seq, (long long)(T0 + t), kind);
    if (fmt && *fmt) {
        sbuf_putc(b, ',');
        sbuf_vprintf(b, fmt, ap);
    }
    sbuf_puts(b, "}\n");
}

__attribute__((format(printf, 4, 5))) static void jc(fixture *f, int64_t t, const char *kind,
                                                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    jline(&f->cin7, &f->seq_c, t, kind, fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 4, 5))) static void js(fixture *f, int64_t t, const char *kind,
                                                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    jline(&f->shopify, &f->seq_s, t, kind, fmt, ap);
    va_end(ap);
}

/* ---- the mocks' entries -------------------------------------------------------- */

/* An accepted checkout of one or two lines (sku2 NULL: one). */
static void checkout(fixture *f, int64_t t, int n, const char *sku, int qty, const char *sku2,
                     int qty2)
{
    char lines[300];
    int len = snprintf(lines, sizeof lines, "{\"sku\":\"%s\",\"qty\":%d,\"line_item_id\":%lld}", sku,
                       qty, 14000000000000LL + 2 * n);
    if (sku2)
        snprintf(lines + len, sizeof lines - (size_t)len,
                 ",{\"sku\":\"%s\",\"qty\":%d,\"line_item_id\":%lld}", sku2, qty2,
                 14000000000001LL + 2 * n);
    js(f, t, "checkout",
       "\"shop\":\"" SHOP "\",\"result\":\"accepted\",\"order_id\":%lld,\"name\":\"#%d\",\"lines\":[%s]",
       OID(n), 1000 + n, lines);
    js(f, t, "order_created",
       "\"shop\":\"" SHOP "\",\"order_id\":%lld,\"name\":\"#%d\",\"financial_status\":\"pending\","
       "\"lines\":[%s],\"total_price\":\"10.00\"",
       OID(n), 1000 + n, lines);
}

static void paid(fixture *f, int64_t t, int n)
{
    js(f, t, "order_paid", "\"shop\":\"" SHOP "\",\"order_id\":%lld,\"name\":\"#%d\",\"financial_status\":\"paid\"",
       OID(n), 1000 + n);
}

/* Checkout and payment at once, as the mock does by default. */
static void order(fixture *f, int64_t t, int n, const char *sku, int qty)
{
    checkout(f, t, n, sku, qty, NULL, 0);
    paid(f, t, n);
}

static void sold_out(fixture *f, int64_t t, const char *sku, int qty, int available)
{
    js(f, t, "checkout",
       "\"shop\":\"" SHOP "\",\"result\":\"sold_out\",\"order_id\":null,\"name\":null,"
       "\"lines\":[{\"sku\":\"%s\",\"qty\":%d,\"line_item_id\":null}],"
       "\"short\":[{\"sku\":\"%s\",\"requested\":%d,\"available\":%d}]",
       sku, qty, sku, qty, available);
}

static void cancelled(fixture *f, int64_t t, int n, int restock)
{
    js(f, t, "order_cancelled",
       "\"shop\":\"" SHOP "\",\"order_id\":%lld,\"reason\":\"customer\",\"by\":\"shopper\","
       "\"restock\":%s",
       OID(n), restock ? "true" : "false");
}

/* A webhook delivery about order n (topic "orders/paid" ...), and its
 * first attempt answered with status. */
static void delivery(fixture *f, int64_t t, int n, const char *topic, int status)
{
    char id[64];
    snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", (int)(f->seq_s + 1));
    js(f, t, "webhook_queued",
       "\"id\":\"%s\",\"topic\":\"%s\",\"shop\":\"" SHOP "\",\"subscription_id\":1300000000001,"
       "\"event_id\":\"ev-%d\",\"address\":\"http://127.0.0.1:9/webhooks/shopify\","
       "\"resource_id\":%lld,\"copies\":0,\"delay_ms\":0,\"reorder_window_ms\":0,\"drop\":false",
       id, topic, n, OID(n));
    if (status >= 200 && status < 300)
        js(f, t + 5, "webhook_attempt",
           "\"id\":\"%s\",\"topic\":\"%s\",\"shop\":\"" SHOP "\",\"subscription_id\":1300000000001,"
           "\"event_id\":\"ev-%d\",\"attempt\":1,\"copy\":0,\"status\":%d,\"ok\":true,\"faulted\":false",
           id, topic, n, status);
    else
        js(f, t + 5, "webhook_attempt",
           "\"id\":\"%s\",\"topic\":\"%s\",\"shop\":\"" SHOP "\",\"subscription_id\":1300000000001,"
           "\"event_id\":\"ev-%d\",\"attempt\":1,\"copy\":0,\"status\":%d,\"ok\":false,"
           "\"faulted\":false,\"error\":\"HTTP %d\",\"next_in_ms\":56000",
           id, topic, n, status, status);
}

/* A Shopify level change of a SKU (its Shopify name). */
static void level(fixture *f, int64_t t, const char *sku, int old, int now, const char *by)
{
    int k = 0;
    while (k < 2 && strcmp(shopify_skus[k], sku) != 0)
        k++;
    js(f, t, "inventory",
       "\"shop\":\"" SHOP "\",\"sku\":\"%s\",\"inventory_item_id\":%lld,\"location_id\":61000000001,"
       "\"old\":%d,\"new\":%d,\"committed\":0,\"by\":\"%s\",\"key\":null",
       sku, 47000000000001LL + k, old, now, by);
}

static void request(fixture *f, int cin7, int64_t t, int status, const char *client)
{
    char cl[80];
    if (client)
        snprintf(cl, sizeof cl, "\"%s\"", client);
    else
        snprintf(cl, sizeof cl, "null");
    if (cin7)
        jc(f, t, "request",
           "\"method\":\"GET\",\"path\":\"/ExternalApi/v2/ref/productavailability\","
           "\"route\":\"/ExternalApi/v2/ref/productavailability\",\"status\":%d,\"client\":%s",
           status, cl);
    else
        js(f, t, "request",
           "\"method\":\"POST\",\"path\":\"/shops/" SHOP "/admin/api/2026-10/graphql.json\","
           "\"route\":\"/shops/{shop}/admin/api/{version}/graphql.json\",\"status\":%d,\"client\":%s",
           status, cl);
}

/* A Cin7 sale for order n (CustomerReference = the Shopify order id) as
 * mock-cin7 journals it: the header at t_header (POST sale), then the
 * order's lines authorised at t (POST sale/order), with its backorder. */
static void sale_at(fixture *f, int64_t t_header, int64_t t, int n, const char *loc,
                    const char *sku, int qty, int backorder)
{
    jc(f, t_header, "sale_created",
       "\"id\":\"sale-%d-%lld\",\"order_number\":\"SO-%05d\",\"customer_reference\":\"%lld\","
       "\"location\":\"%s\",\"customer\":\"Shopify " SHOP "\",\"customer_id\":\"c-1\","
       "\"external_id\":\"" SHOP "/%lld/%s\",\"type\":\"Simple Sale\",\"skip_quote\":true,"
       "\"status\":\"ESTIMATED\",\"application\":\"syncd\"",
       n, (long long)t, n, OID(n), loc, OID(n), loc);
    jc(f, t, "sale_order",
       "\"id\":\"sale-%d-%lld\",\"order_number\":\"SO-%05d\",\"customer_reference\":\"%lld\","
       "\"location\":\"%s\",\"order_status\":\"AUTHORISED\",\"application\":\"syncd\","
       "\"lines\":[{\"sku\":\"%s\",\"qty\":%d,\"price\":25,\"allocated\":0,\"backorder\":0,"
       "\"picked\":0}]",
       n, (long long)t, n, OID(n), loc, sku, qty);
    jc(f, t, "sale_authorised",
       "\"id\":\"sale-%d-%lld\",\"order_number\":\"SO-%05d\",\"customer_reference\":\"%lld\","
       "\"location\":\"%s\",\"status\":\"%s\",\"authorised_t\":%lld,"
       "\"lines\":[{\"sku\":\"%s\",\"qty\":%d,\"price\":25,\"allocated\":%d,\"backorder\":%d,"
       "\"picked\":0}]",
       n, (long long)t, n, OID(n), loc, backorder ? "BACKORDERED" : "ORDERED", (long long)t, sku, qty,
       qty - backorder, backorder);
    if (backorder)
        jc(f, t, "backorder",
           "\"sale\":\"sale-%d-%lld\",\"order_number\":\"SO-%05d\",\"customer_reference\":\"%lld\","
           "\"sku\":\"%s\",\"location\":\"%s\",\"qty\":%d",
           n, (long long)t, n, OID(n), sku, loc, backorder);
}

static void sale(fixture *f, int64_t t, int n, const char *loc, const char *sku, int qty,
                 int backorder)
{
    sale_at(f, t, t, n, loc, sku, qty, backorder);
}

static void sale_voided(fixture *f, int64_t t, int n, const char *loc)
{
    jc(f, t, "sale_voided",
       "\"id\":\"sale-%d\",\"customer_reference\":\"%lld\",\"location\":\"%s\","
       "\"status_before\":\"ORDERED\",\"application\":\"syncd\",\"lines\":[]",
       n, OID(n), loc);
}

static void stock(fixture *f, int64_t t, const char *sku, const char *loc, int on_hand,
                  const char *cause)
{
    jc(f, t, "stock",
       "\"sku\":\"%s\",\"location\":\"%s\",\"on_hand\":%d,\"allocated\":0,\"available\":%d,"
       "\"on_order\":0,\"in_transit\":0,\"cause\":\"%s\",\"ref\":null",
       sku, loc, on_hand, on_hand, cause);
}

static void channel_sale(fixture *f, int64_t t, const char *sku, int qty, int accepted)
{
    jc(f, t, "channel_sale",
       "\"sku\":\"%s\",\"location\":\"W1\",\"channel\":\"wholesale\",\"qty\":%d,\"accepted\":%s,"
       "\"available_before\":%d",
       sku, qty, accepted ? "true" : "false", accepted ? qty + 1 : qty - 1);
}

/* A purchase entry: kind purchase_created/updated/authorised/voided; lines
 * "A" or "A,B" (quantity 50 each). */
static void purchase(fixture *f, int64_t t, const char *kind, const char *id, const char *supplier,
                     const char *status, const char *order_status, const char *lines)
{
    sbuf l = SBUF_INIT;
    char copy[64];
    snprintf(copy, sizeof copy, "%s", lines);
    int first = 1;
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
        sbuf_printf(&l, "%s{\"sku\":\"%s\",\"qty\":50,\"price\":12.5}", first ? "" : ",", tok);
        first = 0;
    }
    jc(f, t, kind,
       "\"id\":\"%s\",\"order_number\":\"PO-%s\",\"supplier\":\"%s\",\"location\":\"W1\","
       "\"status\":\"%s\",\"order_status\":\"%s\",\"application\":\"syncd\",\"lines\":[%s]",
       id, id, supplier, status, order_status, sbuf_str(&l));
    sbuf_free(&l);
}

/* A load generator record. */
static lg_record *record(fixture *f, int64_t t, int stream, const char *sku, int qty,
                         lg_result result, int64_t order_id)
{
    lg_record *r = &f->recs[f->n_recs];
    memset(r, 0, sizeof *r);
    r->a.t = t;
    r->a.seq = f->n_recs++;
    r->a.stream = stream;
    r->a.shopify = stream == 0;
    r->a.shop = 0;
    r->a.warehouse = 0;
    r->a.region = -1;
    r->a.replay_row = -1;
    r->a.n_lines = 1;
    r->a.lines[0].sku = sku[0] - 'A';
    r->a.lines[0].qty = qty;
    r->result = result;
    r->status = 200;
    r->sent = t + 10;
    r->done = t + 30;
    r->order_id = order_id;
    return r;
}

/* ---- running measure_run ---------------------------------------------------------- */

static cJSON *cin7_state(const fixture *f)
{
    sbuf b = SBUF_INIT;
    sbuf_puts(&b, "{\"account\":\"surge\",\"t\":99999999,\"locations\":[{\"id\":\"l1\",\"name\":\"W1\"},"
                  "{\"id\":\"l2\",\"name\":\"W2\"}],\"products\":[");
    for (int k = 0; k < 3; k++)
        sbuf_printf(&b,
                    "%s{\"sku\":\"%s\",\"id\":\"p%d\",\"name\":\"%s\",\"supplier\":\"Acme\","
                    "\"initial\":%lld,\"received\":%lld,\"adjusted\":%lld,\"on_hand\":%lld}",
                    k ? "," : "", skus[k], k, skus[k], f->initial[k], f->received[k],
                    f->adjusted[k], f->avail_w1[k] + f->avail_w2[k]);
    sbuf_puts(&b, "],\"stock\":[");
    for (int k = 0; k < 3; k++)
        for (int w = 0; w < 2; w++) {
            long long a = w ? f->avail_w2[k] : f->avail_w1[k];
            sbuf_printf(&b,
                        "%s{\"sku\":\"%s\",\"location\":\"W%d\",\"on_hand\":%lld,\"allocated\":0,"
                        "\"available\":%lld,\"on_order\":0,\"in_transit\":0,\"initial\":%lld,"
                        "\"received\":0,\"adjusted\":0}",
                        k || w ? "," : "", skus[k], w + 1, a, a, f->initial[k] / 2);
        }
    sbuf_puts(&b, "],\"sales\":[],\"purchases\":[],\"channel_sales\":[],\"subscriptions\":[]}");
    cJSON *v = json_parse(sbuf_str(&b), b.len, NULL);
    sbuf_free(&b);
    if (!v)
        test_fail(__FILE__, __LINE__, "bad cin7 state");
    return v;
}

static cJSON *shopify_state(const fixture *f)
{
    sbuf b = SBUF_INIT;
    sbuf_puts(&b, "{\"shops\":[{\"domain\":\"" SHOP "\",\"plan\":\"plus\","
                  "\"locations\":[{\"id\":61000000001,\"name\":\"Online Store\"}],\"levels\":[");
    for (int k = 0; k < 3; k++)
        sbuf_printf(&b,
                    "%s{\"sku\":\"%s\",\"inventory_item_id\":%lld,\"location_id\":61000000001,"
                    "\"location\":\"Online Store\",\"available\":%lld,\"committed\":0}",
                    k ? "," : "", shopify_skus[k], 47000000000001LL + k, f->shopify_avail[k]);
    sbuf_puts(&b, "],\"orders\":[],\"subscriptions\":[]}],\"accepted_units\":{},"
                  "\"pending_payments\":0,\"webhooks_pending\":0,\"t\":99999999}");
    cJSON *v = json_parse(sbuf_str(&b), b.len, NULL);
    sbuf_free(&b);
    if (!v)
        test_fail(__FILE__, __LINE__, "bad shopify state");
    return v;
}

/* Loads the scenario, writes the journals and runs measure_run into f->out. */
static void fx_measure(fixture *f)
{
    json_err e;
    if (scenario_load_text(scenario_text, strlen(scenario_text), "m.json", NULL, f->overrides,
                           f->n_overrides, &f->sc, &e) != 0)
        test_fail(__FILE__, __LINE__, "scenario: %s", e.msg);
    char cpath[512], spath[512];
    snprintf(cpath, sizeof cpath, "%s/mock-cin7.journal.jsonl", test_tmp_dir());
    snprintf(spath, sizeof spath, "%s/mock-shopify.journal.jsonl", test_tmp_dir());
    test_write_file(cpath, sbuf_str(&f->cin7));
    test_write_file(spath, sbuf_str(&f->shopify));
    cJSON *cs = cin7_state(f), *ss = shopify_state(f);
    const char *dlq_text = f->dlq ? f->dlq : "[]";
    cJSON *dlq = json_parse(dlq_text, strlen(dlq_text), NULL);
    if (!dlq)
        test_fail(__FILE__, __LINE__, "bad dlq text");
    measure_input in = {&f->sc, f->t0, f->end, cpath, spath, cs, ss, dlq, f->recs, f->n_recs,
                        f->samples, f->n_samples, f->shop_buffers, f->low_stock_split,
                        f->kit_low_stock_split};
    char err[300];
    if (measure_run(&in, &f->out, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "measure_run: %s", err);
    cJSON_Delete(cs);
    cJSON_Delete(ss);
    cJSON_Delete(dlq);
    f->m = f->out.metrics;
}

/* A metric's value by its dotted name; fails the test unless it is a number. */
static double metric(const fixture *f, const char *name)
{
    double v = -1;
    int rc = measure_lookup(f->m, name, &v);
    if (rc != 1)
        test_fail(__FILE__, __LINE__, "metric %s: lookup gave %d", name, rc);
    return v;
}

static const cJSON *per_sku(const fixture *f, const char *sku)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, f->out.per_sku)
    {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "sku");
        if (cJSON_IsString(s) && strcmp(s->valuestring, sku) == 0)
            return o;
    }
    test_fail(__FILE__, __LINE__, "no per_sku entry for %s", sku);
}

static double sku_field(const fixture *f, const char *sku, const char *field)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(per_sku(f, sku), field);
    if (!cJSON_IsNumber(v))
        test_fail(__FILE__, __LINE__, "per_sku %s.%s is not a number", sku, field);
    return v->valuedouble;
}

/* Line i (0 = the header) of a CSV text, copied into buf. */
static const char *csv_line(const sbuf *b, int i, char *buf, size_t n)
{
    const char *p = sbuf_str(b);
    for (; i > 0 && p; i--) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (!p || !*p)
        return NULL;
    size_t len = strcspn(p, "\n");
    snprintf(buf, n, "%.*s", (int)len, p);
    return buf;
}

static int csv_lines(const sbuf *b)
{
    int n = 0;
    for (const char *p = sbuf_str(b); *p; p++)
        n += *p == '\n';
    return n;
}

/* ---- oversell and backorders ------------------------------------------------------ */

TEST(measure, oversell_is_units_taken_by_every_channel_beyond_what_existed)
{
    fixture f;
    fx_init(&f);
    /* A: 10 existed; Shopify accepted 5 + 4, wholesale 3 (a refused
     * wholesale sale and a sold-out checkout take nothing): 12 - 10 = 2. */
    f.initial[0] = 10;
    order(&f, 100, 1, "A", 5);
    order(&f, 200, 2, "A", 4);
    sold_out(&f, 300, "A", 3, 1);
    channel_sale(&f, 400, "A", 3, 1);
    channel_sale(&f, 500, "A", 5, 0);
    /* B: 2 initial + 3 received = 5 existed; 4 + 1 accepted, the 1 cancelled
     * with restock: 4 taken, no oversell (without the receipt it would be 2). */
    f.initial[1] = 2;
    f.received[1] = 3;
    order(&f, 600, 3, "B", 4);
    order(&f, 700, 4, "B", 1);
    cancelled(&f, 800, 4, 1);
    /* C (c-web in Shopify): 2 existed, 3 accepted, cancelled without
     * restock (the units are gone): 1 oversold. An adjustment (stock take)
     * of +1 on A counts as existing: A's oversell becomes 1. */
    f.initial[2] = 2;
    order(&f, 900, 5, "c-web", 3);
    cancelled(&f, 950, 5, 0);
    f.adjusted[0] = 1;
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "oversell_units"), 1 + 0 + 1);
    EXPECT_EQ_INT(sku_field(&f, "A", "oversell"), 1);
    EXPECT_EQ_INT(sku_field(&f, "A", "accepted"), 12);
    EXPECT_EQ_INT(sku_field(&f, "A", "accepted_shopify"), 9);
    EXPECT_EQ_INT(sku_field(&f, "A", "accepted_other"), 3);
    EXPECT_EQ_INT(sku_field(&f, "A", "initial"), 10);
    EXPECT_EQ_INT(sku_field(&f, "B", "oversell"), 0);
    EXPECT_EQ_INT(sku_field(&f, "B", "accepted"), 4);
    EXPECT_EQ_INT(sku_field(&f, "B", "received"), 3);
    EXPECT_EQ_INT(sku_field(&f, "C", "oversell"), 1);
    /* accepted_units: Shopify units less restocked cancellations. */
    EXPECT_EQ_INT(metric(&f, "accepted_units"), 9 + 4 + 3);
    fx_free(&f);
}

TEST(measure, oversell_without_the_adjustment_is_the_plain_difference)
{
    /* The brief's example: initial 10, Shopify 9 + wholesale 3 → 2. */
    fixture f;
    fx_init(&f);
    f.initial[0] = 10;
    order(&f, 100, 1, "A", 9);
    channel_sale(&f, 200, "A", 3, 1);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "oversell_units"), 2);
    fx_free(&f);
}

/* C made a kit of 2 A and 1 B (still "c-web" in Shopify, now with no
 * supplier); the "*" stock rule passes over it. */
static const char *const kit_c[] = {
    "catalog.skus[2]={\"sku\":\"C\",\"shopify_sku\":\"c-web\","
    "\"bom\":[{\"sku\":\"A\",\"qty\":2},{\"sku\":\"B\",\"qty\":1}]}"};

static int sku_is_kit(const fixture *f, const char *sku)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(per_sku(f, sku), "kit");
    if (!cJSON_IsBool(v))
        test_fail(__FILE__, __LINE__, "per_sku %s.kit is not a boolean", sku);
    return cJSON_IsTrue(v);
}

/* A per-SKU figure worked out by hand. */
typedef struct {
    const char *sku, *field;
    double want;
} sku_want;

static void expect_skus(const fixture *f, const sku_want *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double v = sku_field(f, w[i].sku, w[i].field);
        if (v != w[i].want)
            test_fail(__FILE__, __LINE__, "per_sku %s.%s: %g, worked out %g", w[i].sku, w[i].field,
                      v, w[i].want);
    }
}

/* The kit world: a and b units of A and B, c_own kits of C's own (a stock
 * take, say). */
static void kit_world(fixture *f, long long a, long long b, long long c_own)
{
    fx_init(f);
    f->overrides = kit_c;
    f->n_overrides = 1;
    f->initial[0] = a;
    f->initial[1] = b;
    f->initial[2] = 0;
    f->adjusted[2] = c_own;
}

TEST(measure, kits_sold_beyond_the_kits_that_existed_oversell_their_components_in_their_units)
{
    /* A and B: 10 each; C, the kit, none of its own. Shopify took 6 C and
     * 1 A. The 6 kits had to be assembled: 12 A and 6 B. A: 1 + 12 = 13
     * taken of 10, 3 oversold; B: 6 of 10, none. The kit's own row
     * oversells nothing: its shortfall is counted in A's units. */
    fixture f;
    kit_world(&f, 10, 10, 0);
    order(&f, 100, 1, "c-web", 4);
    order(&f, 200, 2, "c-web", 2);
    order(&f, 300, 3, "A", 1);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "oversell_units"), 3);
    static const sku_want want[] = {
        {"A", "oversell", 3}, {"A", "accepted", 1},      {"A", "taken_by_kits", 12},
        {"B", "oversell", 0}, {"B", "taken_by_kits", 6}, {"C", "oversell", 0},
        {"C", "accepted", 6}, {"C", "taken_by_kits", 0},
    };
    expect_skus(&f, want, sizeof want / sizeof want[0]);
    EXPECT_TRUE(sku_is_kit(&f, "C"));
    EXPECT_FALSE(sku_is_kit(&f, "A"));
    EXPECT_FALSE(sku_is_kit(&f, "B"));
    fx_free(&f);
}

/* A 10, B 3 and 2 kits of C's own; Shopify takes 5 C (one more ordered
 * and cancelled with restock) and 4 A, wholesale extra_a more A. */
static void kits_that_fit(fixture *f, int extra_a)
{
    kit_world(f, 10, 3, 2);
    order(f, 100, 1, "c-web", 5);
    order(f, 150, 2, "c-web", 1);
    cancelled(f, 160, 2, 1);
    order(f, 200, 3, "A", 4);
    if (extra_a)
        channel_sale(f, 300, "A", extra_a, 1);
    fx_measure(f);
}

TEST(measure, kits_their_components_make_oversell_nothing)
{
    /* 5 kits, 2 of them C's own: 3 assembled from 6 A and 3 B. A: 4 + 6 =
     * 10 of 10; B: 3 of 3. Nothing oversold. */
    fixture f;
    kits_that_fit(&f, 0);
    EXPECT_EQ_INT(metric(&f, "oversell_units"), 0);
    static const sku_want fit[] = {
        {"A", "taken_by_kits", 6}, {"B", "taken_by_kits", 3}, {"A", "oversell", 0},
        {"B", "oversell", 0},      {"C", "oversell", 0},
    };
    expect_skus(&f, fit, sizeof fit / sizeof fit[0]);
    fx_free(&f);
    /* One more A, by wholesale, is one too many. */
    kits_that_fit(&f, 1);
    EXPECT_EQ_INT(metric(&f, "oversell_units"), 1);
    static const sku_want one_more[] = {{"A", "oversell", 1}, {"A", "accepted", 5}};
    expect_skus(&f, one_more, sizeof one_more / sizeof one_more[0]);
    fx_free(&f);
}

/* The kit world at the end of a run: A 5 + 2, B 4 + 0 available; Cin7
 * can assemble 2 kits (at W1; W2 has no B). Shopify shows A 4, B 2, C 1. */
static void kits_at_the_end(fixture *f, int64_t split)
{
    kit_world(f, 10, 10, 0);
    f->kit_low_stock_split = split;
    f->avail_w1[0] = 5;
    f->avail_w2[0] = 2;
    f->avail_w1[1] = 4;
    f->avail_w2[1] = 0;
    f->avail_w1[2] = 2;
    f->avail_w2[2] = 0;
    f->shopify_avail[0] = 4;
    f->shopify_avail[1] = 2;
    f->shopify_avail[2] = 1;
    fx_measure(f);
}

TEST(measure, a_components_low_stock_is_split_with_its_kits_as_the_engine_splits_it)
{
    /* Split at 10 units or fewer: A's 7 go 4 to A's own listing and 3 to
     * the kit, B's 4 go 2 and 2; the kit's shares make min(3/2, 2/1) = 1.
     * What Shopify shows is what it should. */
    fixture f;
    kits_at_the_end(&f, 10);
    static const sku_want split[] = {
        {"A", "final_sellable", 4}, {"B", "final_sellable", 2}, {"C", "final_sellable", 1},
        {"A", "drift", 0},          {"B", "drift", 0},          {"C", "drift", 0},
    };
    expect_skus(&f, split, sizeof split / sizeof split[0]);
    EXPECT_EQ_INT(metric(&f, "final_drift_units"), 0);
    fx_free(&f);
    /* An engine that does not split should show A 7, B 4 and the kits Cin7
     * can assemble, 2 (its components together would make 3). */
    kits_at_the_end(&f, -1);
    static const sku_want whole[] = {
        {"A", "final_sellable", 7}, {"B", "final_sellable", 4}, {"C", "final_sellable", 2},
    };
    expect_skus(&f, whole, sizeof whole / sizeof whole[0]);
    EXPECT_EQ_INT(metric(&f, "final_drift_units"), 3 + 2 + 1);
    fx_free(&f);
}

TEST(measure, backorder_units_are_the_units_cin7_backordered)
{
    fixture f;
    fx_init(&f);
    order(&f, 100, 1, "A", 5);
    order(&f, 200, 2, "B", 3);
    sale(&f, 1000, 1, "W1", "A", 5, 2); /* 3 allocated, 2 backordered */
    sale(&f, 1100, 2, "W2", "B", 3, 1);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "backorder_units"), 3);
    EXPECT_EQ_INT(sku_field(&f, "A", "backorder"), 2);
    EXPECT_EQ_INT(sku_field(&f, "B", "backorder"), 1);
    EXPECT_EQ_INT(sku_field(&f, "C", "backorder"), 0);
    fx_free(&f);
}

/* ---- misrouted units --------------------------------------------------------------- */

#define MIN 60000

/* Cin7's entries of a backorder of sale(f, t_sale, n, ...) being filled
 * by qty (still: what stays backordered), and of that sale voided with its
 * line still holding backorder units. */
static void backorder_filled(fixture *f, int64_t t, int n, int64_t t_sale, const char *sku,
                             const char *loc, int qty, int still)
{
    jc(f, t, "backorder_filled",
       "\"sale\":\"sale-%d-%lld\",\"sku\":\"%s\",\"location\":\"%s\",\"qty\":%d,"
       "\"still_backordered\":%d",
       n, (long long)t_sale, sku, loc, qty, still);
}

static void sale_voided_at(fixture *f, int64_t t, int n, int64_t t_sale, const char *loc,
                           const char *sku, int qty, int backorder)
{
    jc(f, t, "sale_voided",
       "\"id\":\"sale-%d-%lld\",\"order_number\":\"SO-%05d\",\"customer_reference\":\"%lld\","
       "\"location\":\"%s\",\"status_before\":\"BACKORDERED\",\"application\":\"syncd\","
       "\"lines\":[{\"sku\":\"%s\",\"qty\":%d,\"price\":25,\"allocated\":%d,\"backorder\":%d,"
       "\"picked\":0}]",
       n, (long long)t_sale, n, OID(n), loc, sku, qty, qty - backorder, backorder);
}

/* Cin7's figures of a SKU at a location after a change: allocated held. */
static void stock_held(fixture *f, int64_t t, const char *sku, const char *loc, int on_hand,
                       int allocated, const char *cause)
{
    jc(f, t, "stock",
       "\"sku\":\"%s\",\"location\":\"%s\",\"on_hand\":%d,\"allocated\":%d,\"available\":%d,"
       "\"on_order\":0,\"in_transit\":0,\"cause\":\"%s\",\"ref\":null",
       sku, loc, on_hand, allocated, on_hand - allocated, cause);
}

TEST(measure, misrouted_units_wait_backordered_while_another_warehouse_has_them)
{
    /* The grace is twice mock-cin7's first webhook delay: 2 minutes. W1
     * has 10 of each SKU at first, W2 10. */
    fixture f;
    fx_init(&f);
    f.end = 30 * MIN;
    /* A: W1's 10 go to wholesale; order 1's 3 are backordered at W1 at
     * 1m and stay there to the end while W2 holds 10: 3 misrouted. */
    stock(&f, 30000, "A", "W1", 0, "channel_sale");
    order(&f, MIN - 500, 1, "A", 3);
    sale(&f, MIN, 1, "W1", "A", 3, 3);
    /* B: order 2's 2 backordered at W1 (its stock gone too), moved within
     * the grace: the sale is voided and sold again at W2 a minute later. */
    stock(&f, 30000, "B", "W1", 0, "channel_sale");
    order(&f, MIN - 400, 2, "B", 2);
    sale(&f, MIN, 2, "W1", "B", 2, 2);
    sale_voided_at(&f, 2 * MIN, 2, MIN, "W1", "B", 2, 2);
    sale(&f, 2 * MIN, 3, "W2", "B", 2, 0);
    stock_held(&f, 2 * MIN, "B", "W2", 10, 2, "sale_authorised");
    /* C: a receipt at W1 fills 1 of order 4's 2 units a minute after the
     * backorder, the last one 6 minutes later (W2 had 10 all along): the
     * unit that waited 7 minutes is misrouted, the other is not. */
    stock(&f, 30000, "C", "W1", 0, "channel_sale");
    checkout(&f, MIN - 300, 4, "c-web", 2, NULL, 0);
    sale(&f, MIN, 4, "W1", "C", 2, 2);
    backorder_filled(&f, 2 * MIN, 4, MIN, "C", "W1", 1, 1);
    backorder_filled(&f, 8 * MIN, 4, MIN, "C", "W1", 1, 0);
    /* A sale of no order the run placed (another app's) is not counted. */
    sale(&f, MIN, 9, "W1", "A", 4, 4);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "misrouted_units"), 3 + 0 + 1);
    EXPECT_EQ_INT(sku_field(&f, "A", "misrouted"), 3);
    EXPECT_EQ_INT(sku_field(&f, "B", "misrouted"), 0);
    EXPECT_EQ_INT(sku_field(&f, "C", "misrouted"), 1);
    EXPECT_EQ_INT(metric(&f, "backorder_units"), 3 + 2 + 2 + 4);
    fx_free(&f);
}

/* Misrouted units when both warehouses are out of A as order 1's unit is
 * backordered at W1 (at 1m), an unmapped location ("Elsewhere") has 50
 * and W2 gets 5 back at 20m (a receipt); the run ends at end. */
static double misrouted_after_receipt(int64_t end)
{
    fixture f;
    fx_init(&f);
    f.end = end;
    stock(&f, 1000, "A", "W1", 0, "channel_sale");
    stock(&f, 1000, "A", "W2", 0, "channel_sale");
    stock(&f, 1000, "A", "Elsewhere", 50, "adjustment");
    order(&f, MIN - 500, 1, "A", 1);
    sale(&f, MIN, 1, "W1", "A", 1, 1);
    stock(&f, 20 * MIN, "A", "W2", 5, "purchase_received");
    fx_measure(&f);
    double v = metric(&f, "misrouted_units");
    fx_free(&f);
    return v;
}

TEST(measure, a_backorder_is_not_misrouted_while_no_other_warehouse_has_the_units)
{
    /* A location the engine does not map is no stock to move to, so the
     * unit could move only from 20m: a run ending a minute later has no
     * misrouted unit, one ending 6 minutes later has it. */
    EXPECT_EQ_INT(misrouted_after_receipt(21 * MIN), 0);
    EXPECT_EQ_INT(misrouted_after_receipt(26 * MIN), 1);
}

/* Misrouted units of order 1's 2 units of A, backordered at W1 for 90 s
 * next to W2's stock, under the scenario's overrides. */
static double misrouted_after_90s(const char *const *overrides, size_t n)
{
    fixture f;
    fx_init(&f);
    f.end = 10 * MIN;
    f.overrides = overrides;
    f.n_overrides = n;
    stock(&f, 1000, "A", "W1", 0, "channel_sale");
    order(&f, MIN - 500, 1, "A", 2);
    sale(&f, MIN, 1, "W1", "A", 2, 2);
    sale_voided_at(&f, MIN + 90000, 1, MIN, "W1", "A", 2, 2);
    fx_measure(&f);
    double v = metric(&f, "misrouted_units");
    fx_free(&f);
    return v;
}

TEST(measure, the_misroute_grace_is_the_scenarios_when_it_sets_one)
{
    /* 90 s: within the default 2 minutes, beyond a scenario's 1 minute. */
    static const char *const one_minute[] = {"misroute_grace=\"1m\""};
    EXPECT_EQ_INT(misrouted_after_90s(NULL, 0), 0);
    EXPECT_EQ_INT(misrouted_after_90s(one_minute, 1), 2);
}

/* ---- order push latency --------------------------------------------------------- */

TEST(measure, order_push_latency_runs_from_paid_to_the_sale_covering_every_unit)
{
    fixture f;
    fx_init(&f);
    /* 1: placed at 900, paid at 1000, its sale's header at 2500, its lines
     * authorised (stock allocated) at 4000: 3000 ms, not 1500. */
    checkout(&f, 900, 1, "A", 2, NULL, 0);
    paid(&f, 1000, 1);
    sale_at(&f, 2500, 4000, 1, "W1", "A", 2, 0);
    /* 2: split over two warehouses: the first sale (2500) covers 1 of 3
     * units, the second (6000) the rest: 6000 - 2000 = 4000 ms. */
    checkout(&f, 2000, 2, "A", 1, "B", 2);
    paid(&f, 2000, 2);
    sale(&f, 2500, 2, "W1", "A", 1, 0);
    sale(&f, 6000, 2, "W2", "B", 2, 0);
    /* 3: paid, only part of it ever reaches Cin7: not pushed. */
    checkout(&f, 3000, 3, "A", 1, "B", 1);
    paid(&f, 3000, 3);
    sale(&f, 3500, 3, "W1", "A", 1, 0);
    /* 4: placed but never paid (pending): neither paid nor unpushed. */
    checkout(&f, 3200, 4, "B", 1, NULL, 0);
    /* 5: paid, its sale's header made but its lines never posted: a quote
     * allocates nothing, so it is not pushed. */
    checkout(&f, 3300, 5, "A", 1, NULL, 0);
    paid(&f, 3300, 5);
    jc(&f, 3400, "sale_created",
       "\"id\":\"sale-5\",\"order_number\":\"SO-00005\",\"customer_reference\":\"%lld\","
       "\"location\":\"W1\",\"status\":\"ESTIMATED\",\"application\":\"syncd\"",
       OID(5));
    /* A sale for an order the run did not place counts for nothing. */
    sale(&f, 5000, 77, "W1", "A", 1, 0);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "order_push_latency_ms.count"), 2);
    EXPECT_EQ_INT(metric(&f, "order_push_latency_ms.max"), 4000);
    EXPECT_EQ_INT(metric(&f, "order_push_latency_ms.mean"), 3500);
    /* Percentiles come from a log-linear histogram: within 1%. */
    EXPECT_NEAR(metric(&f, "order_push_latency_ms.p50"), 3000, 30);
    EXPECT_NEAR(metric(&f, "order_push_latency_ms.p95"), 4000, 40);
    EXPECT_NEAR(metric(&f, "order_push_latency_ms.p99"), 4000, 40);
    EXPECT_EQ_INT(metric(&f, "orders_paid"), 4);
    EXPECT_EQ_INT(metric(&f, "orders_pushed"), 2);
    EXPECT_EQ_INT(metric(&f, "orders_unpushed"), 2);
    /* Nothing was acknowledged by a webhook, so nothing was dropped. */
    EXPECT_EQ_INT(metric(&f, "dropped_events"), 0);
    fx_free(&f);
}

TEST(measure, a_single_latency_is_every_percentile)
{
    fixture f;
    fx_init(&f);
    order(&f, 1000, 1, "A", 2);
    sale(&f, 4000, 1, "W1", "A", 2, 0);
    fx_measure(&f);
    static const char *const names[] = {"p50", "p95", "p99", "max", "mean"};
    for (size_t i = 0; i < 5; i++) {
        char name[64];
        snprintf(name, sizeof name, "order_push_latency_ms.%s", names[i]);
        EXPECT_EQ_INT(metric(&f, name), 3000);
    }
    fx_free(&f);
}

/* ---- inventory propagation ------------------------------------------------------ */

TEST(measure, inventory_propagation_runs_from_a_cin7_change_to_the_next_level_write)
{
    fixture f;
    fx_init(&f);
    /* Before t0: a change the run did not make; not counted. */
    stock(&f, -500, "A", "W1", 9, "adjustment");
    /* A wholesale sale moves A at 2000; the engine wrote A's level at 1500
     * (before: not the answer) and at 7000; a shopper's checkout at 2500
     * is not an engine write: 7000 - 2000 = 5000. */
    channel_sale(&f, 2000, "A", 1, 1);
    stock(&f, 2000, "A", "W1", 8, "channel_sale");
    level(&f, 1500, "A", 20, 19, "graphql_set");
    level(&f, 2500, "A", 19, 18, "checkout");
    level(&f, 7000, "A", 18, 17, "graphql_set");
    /* C arrives from a purchase at 3000; Shopify knows it as c-web and gets
     * it at 3500 through REST: 500. */
    stock(&f, 3000, "C", "W2", 60, "purchase_received");
    level(&f, 3500, "c-web", 20, 70, "set");
    /* Allocation of the engine's own sale is not a change Shopify missed. */
    stock(&f, 3600, "B", "W1", 10, "sale_authorised");
    /* B is counted by a stock take at 8000, and nothing follows. */
    stock(&f, 8000, "B", "W1", 7, "adjustment");
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "inventory_propagation_ms.count"), 2);
    EXPECT_EQ_INT(metric(&f, "inventory_propagation_ms.max"), 5000);
    EXPECT_EQ_INT(metric(&f, "inventory_propagation_ms.mean"), 2750);
    EXPECT_NEAR(metric(&f, "inventory_propagation_ms.p50"), 500, 5);
    EXPECT_EQ_INT(metric(&f, "inventory_unpropagated"), 1);
    fx_free(&f);
}

/* ---- dropped events --------------------------------------------------------------- */

/* Order 1 acknowledged and never pushed; 2 delivered but refused (not
 * acknowledged); 3 acknowledged and pushed; 4 only its orders/create was
 * acknowledged; 5 pushed, then cancelled, the cancellation acknowledged. */
static void dropped_world(fixture *f, const char *dlq, int void_5)
{
    fx_init(f);
    f->dlq = dlq;
    order(f, 100, 1, "A", 1);
    delivery(f, 110, 1, "orders/paid", 200);
    order(f, 200, 2, "A", 1);
    delivery(f, 210, 2, "orders/paid", 500);
    order(f, 300, 3, "B", 1);
    delivery(f, 310, 3, "orders/paid", 200);
    sale(f, 400, 3, "W1", "B", 1, 0);
    order(f, 500, 4, "B", 1);
    delivery(f, 510, 4, "orders/create", 200);
    order(f, 600, 5, "A", 2);
    delivery(f, 610, 5, "orders/paid", 200);
    sale(f, 700, 5, "W1", "A", 2, 0);
    cancelled(f, 800, 5, 1);
    delivery(f, 810, 5, "orders/cancelled", 200);
    if (void_5)
        sale_voided(f, 900, 5, "W1");
}

TEST(measure, a_dropped_event_is_acknowledged_without_effect_and_not_dead_lettered)
{
    fixture f;
    dropped_world(&f, NULL, 1);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "dropped_events"), 1); /* order 1 */
    EXPECT_EQ_INT(metric(&f, "dead_lettered"), 0);
    EXPECT_EQ_INT(metric(&f, "orders_unpushed"), 3); /* 1, 2 and 4 */
    fx_free(&f);
}

TEST(measure, a_dead_lettered_order_is_not_dropped)
{
    /* The engine's dead letters carry the webhook body: the order. */
    char dlq[600];
    snprintf(dlq, sizeof dlq,
             "[{\"id\":1,\"source\":\"shopify\",\"topic\":\"orders/paid\",\"shop\":\"" SHOP "\","
             "\"reason\":\"cin7: 400\",\"attempts\":5,\"received_at\":110,\"dead_at\":900,"
             "\"body\":\"{\\\"id\\\":%lld,\\\"name\\\":\\\"#1001\\\"}\"}]",
             OID(1));
    fixture f;
    dropped_world(&f, dlq, 1);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "dropped_events"), 0);
    EXPECT_EQ_INT(metric(&f, "dead_lettered"), 1);
    fx_free(&f);
}

TEST(measure, an_acknowledged_cancellation_whose_sale_stays_is_dropped)
{
    fixture f;
    dropped_world(&f, NULL, 0);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "dropped_events"), 2); /* order 1, and 5's cancellation */
    fx_free(&f);
}

/* ---- purchase orders -------------------------------------------------------------- */

TEST(measure, a_second_open_draft_for_a_supplier_and_sku_is_a_duplicate)
{
    fixture f;
    fx_init(&f);
    purchase(&f, 100, "purchase_created", "P1", "Acme", "ORDERING", "DRAFT", "A");
    purchase(&f, 200, "purchase_created", "P2", "Acme", "ORDERING", "DRAFT", "A,B");
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "duplicate_pos"), 1); /* P2's A line */
    EXPECT_EQ_INT(metric(&f, "po_drafts"), 3);
    fx_free(&f);
}

TEST(measure, a_draft_authorised_voided_or_of_another_supplier_is_no_duplicate)
{
    fixture f;
    fx_init(&f);
    /* P1 authorised before P2 is drafted. */
    purchase(&f, 100, "purchase_created", "P1", "Acme", "ORDERING", "DRAFT", "A");
    purchase(&f, 150, "purchase_authorised", "P1", "Acme", "ORDERED", "AUTHORISED", "A");
    purchase(&f, 200, "purchase_created", "P2", "Acme", "ORDERING", "DRAFT", "A");
    /* P3 (B) voided before P4 (B). */
    purchase(&f, 300, "purchase_created", "P3", "Acme", "ORDERING", "DRAFT", "B");
    purchase(&f, 350, "purchase_voided", "P3", "Acme", "VOIDED", "VOIDED", "B");
    purchase(&f, 400, "purchase_created", "P4", "Acme", "ORDERING", "DRAFT", "B");
    /* P5: the same SKU from another supplier while P2 is open. */
    purchase(&f, 500, "purchase_created", "P5", "Bolt", "ORDERING", "DRAFT", "A");
    /* P6 created empty (DRAFT), then given C twice (an update of the same
     * line is not a new line); created authorised, P7 never was a draft. */
    purchase(&f, 600, "purchase_created", "P6", "Bolt", "DRAFT", "NOT AVAILABLE", "");
    purchase(&f, 610, "purchase_updated", "P6", "Bolt", "ORDERING", "DRAFT", "C");
    purchase(&f, 620, "purchase_updated", "P6", "Bolt", "ORDERING", "DRAFT", "C");
    purchase(&f, 700, "purchase_authorised", "P7", "Bolt", "ORDERED", "AUTHORISED", "C");
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "duplicate_pos"), 0);
    EXPECT_EQ_INT(metric(&f, "po_drafts"), 6); /* P1 A, P2 A, P3 B, P4 B, P5 A, P6 C */
    fx_free(&f);
}

TEST(measure, each_duplicate_line_counts_once_however_many_drafts_are_open)
{
    /* Three open drafts for (Acme, A): lines 2 and 3 were created while
     * another was open: 2 duplicates (DESIGN §6 counts PO lines). */
    fixture f;
    fx_init(&f);
    purchase(&f, 100, "purchase_created", "P1", "Acme", "ORDERING", "DRAFT", "A");
    purchase(&f, 200, "purchase_created", "P2", "Acme", "ORDERING", "DRAFT", "A");
    purchase(&f, 300, "purchase_created", "P3", "Acme", "ORDERING", "DRAFT", "A");
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "duplicate_pos"), 2);
    fx_free(&f);
}

TEST(measure, a_second_live_sale_of_an_order_at_one_location_is_a_duplicate_sale)
{
    fixture f;
    fx_init(&f);
    /* 1: pushed twice to W1 (a repeated write): one duplicate. */
    order(&f, 100, 1, "A", 2);
    sale(&f, 1000, 1, "W1", "A", 2, 0);
    sale(&f, 1200, 1, "W1", "A", 2, 0);
    /* 2: split over W1 and W2: two sales, no duplicate. */
    checkout(&f, 200, 2, "A", 1, "B", 1);
    paid(&f, 200, 2);
    sale(&f, 1300, 2, "W1", "A", 1, 0);
    sale(&f, 1400, 2, "W2", "B", 1, 0);
    /* 3: pushed twice to W2, then one of them voided: none left. */
    order(&f, 300, 3, "B", 1);
    sale(&f, 1500, 3, "W2", "B", 1, 0);
    sale(&f, 1600, 3, "W2", "B", 1, 0);
    sale_voided(&f, 1700, 3, "W2");
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "duplicate_sales"), 1);
    /* Latency is to the first sale that covers the order. */
    EXPECT_EQ_INT(metric(&f, "order_push_latency_ms.max"), 1400 - 200);
    EXPECT_EQ_INT(metric(&f, "orders_pushed"), 3);
    fx_free(&f);
}

TEST(measure, po_draft_latency_is_not_measured_without_a_replenishment_section)
{
    /* The cover rule is the scenario's; without it nothing crossed, so the
     * latency has no samples (count 0, the rest null) and nothing is missing. */
    fixture f;
    fx_init(&f);
    stock(&f, -10, "A", "W1", 10, "seed");
    order(&f, 100, 1, "A", 9);
    purchase(&f, 100, "purchase_created", "P1", "Acme", "ORDERING", "DRAFT", "A");
    fx_measure(&f);
    double v;
    EXPECT_EQ_INT(metric(&f, "po_draft_latency_ms.count"), 0);
    EXPECT_EQ_INT(measure_lookup(f.m, "po_draft_latency_ms.p99", &v), 0);
    EXPECT_EQ_INT(metric(&f, "po_drafts_missing"), 0);
    fx_free(&f);
}

/* Cin7's figures of a SKU at a location, with allocated units. */
static void stock_alloc(fixture *f, int64_t t, const char *sku, const char *loc, int on_hand,
                        int allocated, int on_order)
{
    jc(f, t, "stock",
       "\"sku\":\"%s\",\"location\":\"%s\",\"on_hand\":%d,\"allocated\":%d,\"available\":%d,"
       "\"on_order\":%d,\"in_transit\":0,\"cause\":\"sale\",\"ref\":null",
       sku, loc, on_hand, allocated, on_hand - allocated, on_order);
}

/* A fixture whose scenario gets the replenishment section of *override
 * ("replenishment={...}"), with every SKU's seed stock journaled. */
static void fx_init_replenishment(fixture *f, const char *const *override)
{
    fx_init(f);
    f->overrides = override;
    f->n_overrides = 1;
    for (int k = 0; k < 3; k++) {
        stock(f, -10, skus[k], "W1", 10, "seed");
        stock(f, -10, skus[k], "W2", 10, "seed");
    }
}

/* Two days of cover at most, four days' worth ordered, velocity over a day. */
static const char *const two_days_cover =
    "replenishment={\"cover_days\":2,\"target_days\":4,\"velocity_window\":\"1d\"}";

TEST(measure, po_draft_latency_runs_from_the_cover_crossing_to_the_first_draft_line)
{
    /* Two days of cover is the threshold; velocity is paid units over one
     * day, so a SKU crosses when its position (on hand + on order -
     * allocated, every location) falls below twice its paid units. */
    fixture f;
    fx_init_replenishment(&f, &two_days_cover);
    /* C: a draft line before any crossing, and C never crosses. */
    purchase(&f, 50, "purchase_created", "P0", "Bolt", "ORDERING", "DRAFT", "C");
    /* A: 4 paid (position 20, 5 days), allocated (16, 4 days), 4 more paid
     * (16 for 8 a day: exactly 2 days, not below), allocated (12: 1.5 days)
     * at 400. An on-order figure elsewhere does not hide it: W2 receives
     * nothing and keeps its 10. */
    order(&f, 100, 1, "A", 4);
    stock_alloc(&f, 200, "A", "W1", 10, 4, 0);
    order(&f, 300, 2, "A", 4);
    stock_alloc(&f, 400, "A", "W1", 10, 8, 0);
    /* The draft is first updated without A, then given A at 900. */
    purchase(&f, 600, "purchase_created", "P1", "Acme", "ORDERING", "DRAFT", "B");
    purchase(&f, 900, "purchase_updated", "P1", "Acme", "ORDERING", "DRAFT", "B,A");
    purchase(&f, 950, "purchase_updated", "P1", "Acme", "ORDERING", "DRAFT", "B,A");
    /* B: 30 paid at 500 against 20 crosses at once; B's line at 600 counts
     * for B, so only A and B are measured. */
    order(&f, 500, 3, "B", 30);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "po_draft_latency_ms.count"), 2);
    EXPECT_EQ_INT(metric(&f, "po_draft_latency_ms.max"), 900 - 400);
    EXPECT_EQ_INT(metric(&f, "po_draft_latency_ms.p50"), 600 - 500);
    EXPECT_EQ_INT(metric(&f, "po_drafts_missing"), 0);
    fx_free(&f);
}

TEST(measure, a_crossing_without_a_later_draft_line_is_missing)
{
    fixture f;
    fx_init_replenishment(&f, &two_days_cover);
    /* A's only draft line is older than its crossing; an authorised
     * purchase is no draft; B crosses and gets nothing at all. */
    purchase(&f, 50, "purchase_created", "P1", "Acme", "ORDERING", "DRAFT", "A");
    order(&f, 100, 1, "A", 15);
    order(&f, 200, 2, "B", 15);
    purchase(&f, 300, "purchase_authorised", "P2", "Acme", "ORDERED", "AUTHORISED", "B");
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "po_draft_latency_ms.count"), 0);
    EXPECT_EQ_INT(metric(&f, "po_drafts_missing"), 2);
    fx_free(&f);
}

TEST(measure, paid_units_older_than_the_velocity_window_leave_it)
{
    /* Window 1 s, threshold 0.0001 days (8.64 s): with 20 units a SKU
     * crosses once 3 units were paid within one second. */
    static const char *const rp =
        "replenishment={\"cover_days\":0.0001,\"target_days\":1,\"velocity_window\":\"1s\"}";
    fixture f;
    fx_init_replenishment(&f, &rp);
    order(&f, 100, 1, "A", 2);
    order(&f, 1500, 2, "A", 2); /* order 1 left the window at 1100: 2, not 4 */
    order(&f, 1800, 3, "A", 1); /* 3 within the second: crossed */
    purchase(&f, 2000, "purchase_created", "P1", "Acme", "ORDERING", "DRAFT", "A");
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "po_draft_latency_ms.count"), 1);
    EXPECT_EQ_INT(metric(&f, "po_draft_latency_ms.max"), 2000 - 1800);
    fx_free(&f);
}

/* ---- drift, API calls ------------------------------------------------------------- */

TEST(measure, final_drift_sums_shopify_against_cin7_sellable)
{
    fixture f;
    fx_init(&f);
    /* A: Cin7 has 3 + 2 available, Shopify offers 7: 2 too many. */
    f.avail_w1[0] = 3;
    f.avail_w2[0] = 2;
    f.shopify_avail[0] = 7;
    /* B: Cin7 has 4, one unit is in a paid order Cin7 never got: sellable
     * 3, and Shopify offers 3: no drift. */
    f.avail_w1[1] = 4;
    f.avail_w2[1] = 0;
    f.shopify_avail[1] = 3;
    order(&f, 100, 1, "B", 1);
    /* C: Cin7 has none, Shopify (c-web) offers 1. */
    f.avail_w1[2] = 0;
    f.avail_w2[2] = 0;
    f.shopify_avail[2] = 1;
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "final_drift_units"), 2 + 0 + 1);
    EXPECT_EQ_INT(sku_field(&f, "A", "drift"), 2);
    EXPECT_EQ_INT(sku_field(&f, "B", "final_sellable"), 3);
    EXPECT_EQ_INT(sku_field(&f, "B", "final_shopify"), 3);
    EXPECT_EQ_INT(sku_field(&f, "C", "drift"), 1);
    fx_free(&f);
}

TEST(measure, final_drift_leaves_each_shops_safety_buffer_out)
{
    /* The shop keeps 2 back: it should show Cin7's sellable less 2 (never
     * below 0). A: 5 - 2 = 3 against 7; B: 3 - 2 = 1 against 1; C: 0. */
    static const int64_t buffers[] = {2};
    fixture f;
    fx_init(&f);
    f.shop_buffers = buffers;
    f.avail_w1[0] = 3;
    f.avail_w2[0] = 2;
    f.shopify_avail[0] = 7;
    f.avail_w1[1] = 3;
    f.avail_w2[1] = 0;
    f.shopify_avail[1] = 1;
    f.avail_w1[2] = 1;
    f.avail_w2[2] = 0;
    f.shopify_avail[2] = 0;
    fx_measure(&f);
    EXPECT_EQ_INT(sku_field(&f, "A", "final_sellable"), 3);
    EXPECT_EQ_INT(sku_field(&f, "A", "drift"), 4);
    EXPECT_EQ_INT(sku_field(&f, "B", "drift"), 0);
    EXPECT_EQ_INT(sku_field(&f, "C", "final_sellable"), 0);
    EXPECT_EQ_INT(metric(&f, "final_drift_units"), 4);
    fx_free(&f);
}

/* A number of the i-th shop's entry in per_shop. */
static double shop_field(const fixture *f, int i, const char *field)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(f->out.per_shop, i), field);
    if (!cJSON_IsNumber(v))
        test_fail(__FILE__, __LINE__, "per_shop[%d].%s is not a number", i, field);
    return v->valuedouble;
}

TEST(measure, held_back_units_are_what_cin7_could_sell_and_a_shop_does_not_offer)
{
    /* Cin7 has 10 + 10 of each. The shop (keeping 2 back) offers A 17: 3
     * held back, its buffer and one more; B 25, more than Cin7 has: drift,
     * but nothing held back (never below 0); C all 20. */
    static const int64_t buffers[] = {2};
    static const struct {
        const char *sku;
        int offered, held;
    } want[] = {{"A", 17, 3}, {"B", 25, 0}, {"C", 20, 0}};
    fixture f;
    fx_init(&f);
    f.shop_buffers = buffers;
    for (int k = 0; k < 3; k++)
        f.shopify_avail[k] = want[k].offered;
    fx_measure(&f);
    for (int k = 0; k < 3; k++)
        EXPECT_EQ_INT(sku_field(&f, want[k].sku, "held_back"), want[k].held);
    EXPECT_EQ_INT(metric(&f, "held_back_units"), 3);
    EXPECT_EQ_INT(cJSON_GetArraySize(f.out.per_shop), 1);
    EXPECT_EQ_STR(cJSON_GetStringValue(
                      cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(f.out.per_shop, 0), "shop")),
                  SHOP);
    EXPECT_EQ_INT(shop_field(&f, 0, "held_back_units"), 3);
    EXPECT_EQ_INT(shop_field(&f, 0, "safety_buffer"), 2);
    EXPECT_EQ_INT(shop_field(&f, 0, "sellable_units"), 60);
    EXPECT_EQ_INT(shop_field(&f, 0, "offered_units"), 17 + 25 + 20);
    fx_free(&f);
}

TEST(measure, api_calls_429s_and_retries_per_system_and_per_order)
{
    fixture f;
    fx_init(&f);
    order(&f, 50, 1, "A", 1);
    order(&f, 60, 2, "A", 1);
    order(&f, 70, 3, "A", 1);
    order(&f, 80, 4, "A", 1);
    /* Shopify: 4 engine calls (one 429, one 502), and one without a
     * client (refused credentials) that is nobody's. */
    request(&f, 0, 100, 200, SHOP "#0");
    request(&f, 0, 200, 429, SHOP "#0");
    request(&f, 0, 300, 502, SHOP "#0");
    request(&f, 0, 400, 200, SHOP "#0");
    request(&f, 0, 500, 401, NULL);
    /* Cin7: 200, 503 (its over-the-limit answer), 429, 0 (no answer), 500. */
    request(&f, 1, 100, 200, "syncd");
    request(&f, 1, 200, 503, "syncd");
    request(&f, 1, 300, 429, "syncd");
    request(&f, 1, 400, 0, "syncd");
    request(&f, 1, 500, 500, "syncd");
    request(&f, 1, 600, 403, NULL);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "api_calls.shopify"), 4);
    EXPECT_EQ_INT(metric(&f, "api_calls.cin7"), 5);
    EXPECT_EQ_INT(metric(&f, "http_429.shopify"), 1);
    EXPECT_EQ_INT(metric(&f, "http_429.cin7"), 2);
    EXPECT_EQ_INT(metric(&f, "retries.shopify"), 2);
    EXPECT_EQ_INT(metric(&f, "retries.cin7"), 4);
    /* Per paid order (4), to two decimals. */
    EXPECT_NEAR(metric(&f, "api_calls.per_order"), 2.25, 1e-9);
    EXPECT_NEAR(metric(&f, "http_429.per_order"), 0.75, 1e-9);
    EXPECT_NEAR(metric(&f, "retries.per_order"), 1.5, 1e-9);
    fx_free(&f);
}

/* A sale write answered 200: POST of route (sale or sale/order). */
static void sale_write(fixture *f, int64_t t, const char *route, int status)
{
    jc(f, t, "request",
       "\"method\":\"POST\",\"path\":\"/ExternalApi/v2/%s\",\"route\":\"/ExternalApi/v2/%s\","
       "\"status\":%d,\"client\":\"syncd\"",
       route, route, status);
}

TEST(measure, what_a_pushed_order_costs)
{
    fixture f;
    fx_init(&f);
    /* Two orders paid; one pushed in its two writes (header, lines), plus a
     * read and a header refused by the rate limit; the other never. */
    checkout(&f, 100, 1, "A", 2, NULL, 0);
    paid(&f, 100, 1);
    checkout(&f, 200, 2, "A", 1, NULL, 0);
    paid(&f, 200, 2);
    request(&f, 1, 300, 200, "syncd");
    sale_write(&f, 400, "sale", 503);
    sale_write(&f, 500, "sale", 200);
    sale_write(&f, 600, "sale/order", 200);
    sale(&f, 600, 1, "W1", "A", 2, 0);
    request(&f, 0, 700, 200, SHOP "#0");
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "orders_pushed"), 1);
    EXPECT_EQ_INT(metric(&f, "api_calls.cin7"), 4);
    EXPECT_NEAR(metric(&f, "api_calls.cin7_per_pushed_order"), 4, 1e-9);
    EXPECT_NEAR(metric(&f, "api_calls.shopify_per_pushed_order"), 1, 1e-9);
    EXPECT_NEAR(metric(&f, "api_calls.cin7_sale_writes_per_pushed_order"), 2, 1e-9);
    EXPECT_NEAR(metric(&f, "api_calls.per_order"), 2.5, 1e-9); /* (4 + 1) / 2 paid */
    EXPECT_NEAR(metric(&f, "http_429.cin7_share"), 0.25, 1e-9); /* the 503 of 4 calls */
    fx_free(&f);
}

TEST(measure, per_order_figures_are_zero_without_paid_orders)
{
    fixture f;
    fx_init(&f);
    request(&f, 1, 100, 200, "syncd");
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "api_calls.cin7"), 1);
    EXPECT_EQ_INT(metric(&f, "api_calls.per_order"), 0);
    EXPECT_EQ_INT(metric(&f, "orders_paid"), 0);
    fx_free(&f);
}

/* ---- time -------------------------------------------------------------------------- */

TEST(measure, times_are_the_journals_less_t0)
{
    /* The same run seen with t0 1000 ms later: every latency is the same
     * (both ends move), the time series moves by one row. */
    for (int shift = 0; shift < 2; shift++) {
        fixture f;
        fx_init(&f);
        f.t0 = T0 + shift * 1000;
        f.end = 10000;
        order(&f, 1000, 1, "A", 2);
        sale(&f, 4000, 1, "W1", "A", 2, 0);
        request(&f, 1, 2500, 200, "syncd");
        fx_measure(&f);
        EXPECT_EQ_INT(metric(&f, "order_push_latency_ms.max"), 3000);
        char line[300];
        /* The request at T0 + 2500 is in row 2 with t0 = T0, in row 1 with
         * T0 + 1000; so is the checkout (row 1, row 0) in sellable_A. */
        EXPECT_EQ_STR(csv_line(&f.out.timeseries, 3 - shift, line, sizeof line),
                      shift ? "1.000,0,0,0,0,,1,0,0,0,20,18" : "2.000,0,0,0,0,,1,0,0,0,20,18");
        EXPECT_EQ_STR(csv_line(&f.out.timeseries, 1, line, sizeof line),
                      shift ? "0.000,0,0,0,0,,0,0,0,0,20,18" : "0.000,0,0,0,0,,0,0,0,0,20,20");
        fx_free(&f);
    }
}

/* ---- the time series and events.csv ------------------------------------------------ */

TEST(measure, time_series_has_a_row_per_tick_with_the_hot_skus)
{
    static const char *const hot[] = {"demand[0].skus={\"mix\":\"hot\",\"hot\":[\"A\"]}"};
    fixture f;
    fx_init(&f);
    f.overrides = hot;
    f.n_overrides = 1;
    f.end = 5000;
    /* Shopify's A: 20 at the start (seeded before t0), 18 after a
     * checkout at 1500, 15 once the engine writes it at 3200. */
    level(&f, -2000, "A", 0, 20, "seed");
    checkout(&f, 1500, 1, "A", 2, NULL, 0);
    paid(&f, 1500, 1);
    level(&f, 1500, "A", 20, 18, "checkout");
    sold_out(&f, 1700, "A", 50, 18);
    channel_sale(&f, 2500, "A", 3, 1);
    level(&f, 3200, "A", 18, 15, "graphql_set");
    /* Engine calls: one before t0 (setup; counted in row 0), two to
     * Shopify at 1200 and 1300 (a 429), one to Cin7 at 2100 (503). */
    request(&f, 0, -500, 200, SHOP "#0");
    request(&f, 0, 1200, 200, SHOP "#0");
    request(&f, 0, 1300, 429, SHOP "#0");
    request(&f, 1, 2100, 503, "syncd");
    /* What the generator sent, at its intended times. */
    record(&f, 1500, 0, "A", 2, OUT_ACCEPTED, OID(1));
    record(&f, 1700, 0, "A", 50, OUT_SOLD_OUT, 0);
    record(&f, 2500, 1, "A", 3, OUT_ACCEPTED, 0);
    /* The engine's queue, sampled at 1000 and 3000; carried forward. */
    f.samples[f.n_samples++] = (measure_sample){1000, 4};
    f.samples[f.n_samples++] = (measure_sample){3000, 0};
    fx_measure(&f);
    char line[400];
    EXPECT_EQ_STR(csv_line(&f.out.timeseries, 0, line, sizeof line),
                  "t_s,checkouts,accepted,sold_out,other_sales,queue_depth,api_calls_cin7,"
                  "api_calls_shopify,http_429_cin7,http_429_shopify,avail_A,sellable_A");
    /* Rows 0 .. end / tick. */
    EXPECT_EQ_INT(csv_lines(&f.out.timeseries), 1 + 6);
    /* sellable: 20 existed, less 2 (checkout) and 3 (wholesale). */
    EXPECT_EQ_STR(csv_line(&f.out.timeseries, 1, line, sizeof line), "0.000,0,0,0,0,,0,1,0,0,20,20");
    EXPECT_EQ_STR(csv_line(&f.out.timeseries, 2, line, sizeof line), "1.000,2,1,1,0,4,0,2,0,1,18,18");
    EXPECT_EQ_STR(csv_line(&f.out.timeseries, 3, line, sizeof line), "2.000,0,0,0,1,4,1,0,1,0,18,15");
    EXPECT_EQ_STR(csv_line(&f.out.timeseries, 4, line, sizeof line), "3.000,0,0,0,0,0,0,0,0,0,15,15");
    EXPECT_EQ_STR(csv_line(&f.out.timeseries, 6, line, sizeof line), "5.000,0,0,0,0,0,0,0,0,0,15,15");
    /* The totals also hold the call before t0. */
    EXPECT_EQ_INT(metric(&f, "api_calls.shopify"), 3);
    fx_free(&f);
}

TEST(measure, events_csv_has_a_row_per_arrival_joined_with_its_order)
{
    fixture f;
    fx_init(&f);
    checkout(&f, 1500, 1, "A", 2, NULL, 0);
    paid(&f, 1500, 1);
    sale(&f, 4500, 1, "W2", "A", 2, 0);
    checkout(&f, 1600, 2, "B", 1, NULL, 0); /* paid, never pushed */
    paid(&f, 1600, 2);
    record(&f, 1500, 0, "A", 2, OUT_ACCEPTED, OID(1));
    record(&f, 1600, 0, "B", 1, OUT_ACCEPTED, OID(2));
    record(&f, 1700, 0, "A", 50, OUT_SOLD_OUT, 0);
    lg_record *r = record(&f, 2500, 1, "C", 3, OUT_ERROR, 0);
    record(&f, 2600, 0, "B", 1, OUT_UNAVAILABLE, 0); /* taken off sale: no error */
    r->status = 0;
    r->a.warehouse = 1;
    fx_measure(&f);
    char line[400];
    EXPECT_EQ_INT(csv_lines(&f.out.events), 1 + 5);
    EXPECT_EQ_STR(csv_line(&f.out.events, 0, line, sizeof line),
                  "seq,intended_ms,sent_ms,done_ms,stream,channel,target,lines,result,status,"
                  "order_id,paid_ms,pushed_ms,push_latency_ms,push_bound_ms");
    EXPECT_EQ_STR(csv_line(&f.out.events, 1, line, sizeof line),
                  "0,1500,1510,1530,shoppers,shopify," SHOP ",A:2,accepted,200,5800000000001,1500,4500,3000,0");
    EXPECT_EQ_STR(csv_line(&f.out.events, 2, line, sizeof line),
                  "1,1600,1610,1630,shoppers,shopify," SHOP ",B:1,accepted,200,5800000000002,1600,,,");
    EXPECT_EQ_STR(csv_line(&f.out.events, 3, line, sizeof line),
                  "2,1700,1710,1730,shoppers,shopify," SHOP ",A:50,sold_out,200,,,,,");
    EXPECT_EQ_STR(csv_line(&f.out.events, 4, line, sizeof line),
                  "3,2500,2510,2530,wholesale,wholesale,W2,C:3,error,0,,,,,");
    EXPECT_EQ_STR(csv_line(&f.out.events, 5, line, sizeof line),
                  "4,2600,2610,2630,shoppers,shopify," SHOP ",B:1,unavailable,200,,,,,");
    EXPECT_EQ_INT(metric(&f, "sold_out_checkouts"), 1);
    EXPECT_EQ_INT(metric(&f, "checkout_errors"), 1);
    fx_free(&f);
}

TEST(measure, hot_skus_are_the_streams_hot_lists_then_the_best_sellers)
{
    static const char *const hot[] = {"demand[0].skus={\"mix\":\"hot\",\"hot\":[\"B\"]}"};
    for (int with_hot = 0; with_hot < 2; with_hot++) {
        fixture f;
        fx_init(&f);
        if (with_hot) {
            f.overrides = hot;
            f.n_overrides = 1;
        }
        order(&f, 100, 1, "c-web", 3);
        order(&f, 200, 2, "A", 9);
        fx_measure(&f);
        char *text = cJSON_PrintUnformatted(f.out.hot_skus);
        /* B sold nothing: only a hot list names it. */
        EXPECT_EQ_STR(text, with_hot ? "[\"B\",\"A\",\"C\"]" : "[\"A\",\"C\"]");
        free(text);
        char line[300];
        EXPECT_CONTAINS(csv_line(&f.out.timeseries, 0, line, sizeof line),
                        with_hot ? ",avail_B,sellable_B,avail_A,sellable_A,avail_C,sellable_C"
                                 : ",avail_A,sellable_A,avail_C,sellable_C");
        fx_free(&f);
    }
}

/* ---- names and lookups --------------------------------------------------------------- */

TEST(measure, every_metric_name_is_in_the_metrics_and_nothing_else_is_one)
{
    fixture f;
    fx_init(&f);
    order(&f, 100, 1, "A", 1);
    fx_measure(&f);
    size_t n = 0;
    for (const char *const *name = measure_metric_names(); *name; name++, n++) {
        double v = -1;
        int rc = measure_lookup(f.m, *name, &v);
        if (rc == -1)
            test_fail(__FILE__, __LINE__, "%s is listed but not known", *name);
        /* Only the latencies without samples are null, and the product
         * data metrics of a scenario without an ownership section. */
        if (rc == 0 && strncmp(*name, "order_push_latency_ms.", 22) != 0 &&
            strncmp(*name, "inventory_propagation_ms.", 25) != 0 &&
            strncmp(*name, "po_draft_latency_ms.", 20) != 0 &&
            strncmp(*name, "status_lag_ms.", 14) != 0 &&
            strncmp(*name, "discrepancy_minutes.", 20) != 0 &&
            strcmp(*name, "field_discrepancies") != 0 &&
            strcmp(*name, "price_discrepancy_revenue") != 0)
            test_fail(__FILE__, __LINE__, "%s is null", *name);
    }
    EXPECT_EQ_INT(n, 77);
    double v = 0;
    EXPECT_EQ_INT(measure_lookup(f.m, "oversell_units", &v), 1);
    EXPECT_EQ_INT(v, 0);
    EXPECT_EQ_INT(measure_lookup(f.m, "orders_paid", &v), 1);
    EXPECT_EQ_INT(v, 1);
    /* Measured as null: the order was never pushed. */
    EXPECT_EQ_INT(measure_lookup(f.m, "order_push_latency_ms.p99", &v), 0);
    EXPECT_EQ_INT(measure_lookup(f.m, "order_push_latency_ms.count", &v), 1);
    EXPECT_EQ_INT(v, 0);
    /* Not metrics: unknown, a group, a part, a made-up member. */
    EXPECT_EQ_INT(measure_lookup(f.m, "nope", &v), -1);
    EXPECT_EQ_INT(measure_lookup(f.m, "", &v), -1);
    EXPECT_EQ_INT(measure_lookup(f.m, "api_calls", &v), -1);
    EXPECT_EQ_INT(measure_lookup(f.m, "order_push_latency_ms", &v), -1);
    EXPECT_EQ_INT(measure_lookup(f.m, "oversell_units.p99", &v), -1);
    EXPECT_EQ_INT(measure_lookup(f.m, "api_calls.total", &v), -1);
    EXPECT_EQ_INT(measure_lookup(f.m, "accepted_orders", &v), -1);
    fx_free(&f);
}

/* ---- order status mapping ------------------------------------------------------------ */

/* mock-cin7's sale_shipment (contract A): fulfilment number fno of
 * sale(f, t_sale, n, ...) shipped qty of sku at stage_t, journaled at t
 * (a shipment's entry may come after its moment). */
static void shipment(fixture *f, int64_t t, int64_t stage_t, int n, int64_t t_sale, const char *loc,
                     int fno, const char *sku, int qty, int complete)
{
    jc(f, t, "sale_shipment",
       "\"id\":\"sale-%d-%lld\",\"order_number\":\"SO-%05d\",\"customer_reference\":\"%lld\","
       "\"location\":\"%s\",\"task_id\":\"task-%d-%d\",\"fulfilment\":%d,"
       "\"lines\":[{\"sku\":\"%s\",\"qty\":%d}],\"tracking_number\":\"TRK-%d-%d\",\"stage_t\":%lld,"
       "\"complete\":%s",
       n, (long long)t_sale, n, OID(n), loc, n, fno, fno, sku, qty, n, fno, (long long)(T0 + stage_t),
       complete ? "true" : "false");
}

/* A void of sale(f, t_sale, n, ...): by a user in Cin7 (application null)
 * or through the API by syncd. */
static void voided(fixture *f, int64_t t, int n, int64_t t_sale, const char *loc, int by_user)
{
    jc(f, t, "sale_voided",
       "\"id\":\"sale-%d-%lld\",\"order_number\":\"SO-%05d\",\"customer_reference\":\"%lld\","
       "\"location\":\"%s\",\"status_before\":\"ORDERED\",\"application\":%s,\"lines\":[]",
       n, (long long)t_sale, n, OID(n), loc, by_user ? "null" : "\"syncd\"");
}

/* mock-shopify's fulfillment of qty of a SKU (its Shopify name) of order n. */
static void fulfilled(fixture *f, int64_t t, int n, int fid, const char *sku, int qty)
{
    js(f, t, "fulfillment",
       "\"shop\":\"" SHOP "\",\"order_id\":%lld,\"fulfillment_id\":%d,\"location_id\":61000000001,"
       "\"fulfillment_order_ids\":[%d],\"tracking_number\":\"TRK\",\"tracking_company\":\"Other\","
       "\"lines\":[{\"sku\":\"%s\",\"qty\":%d,\"line_item_id\":%lld}]",
       OID(n), fid, 900 + n, sku, qty, 14000000000000LL + 2 * n);
}

/* A notification to order n's customer (template shipping_confirmation,
 * order_cancelled). */
static void notified(fixture *f, int64_t t, int n, const char *template)
{
    js(f, t, "notification", "\"shop\":\"" SHOP "\",\"order_id\":%lld,\"template\":\"%s\"", OID(n),
       template);
}

/* A hold placed (reason) or released (reason NULL) on order n's
 * fulfillment order 900 + n. */
static void held(fixture *f, int64_t t, int n, const char *reason)
{
    if (reason)
        js(f, t, "fulfillment_order_hold",
           "\"shop\":\"" SHOP "\",\"order_id\":%lld,\"fulfillment_order_id\":%d,"
           "\"location_id\":61000000001,\"status\":\"on_hold\",\"reason\":\"%s\"",
           OID(n), 900 + n, reason);
    else
        js(f, t, "fulfillment_order_release",
           "\"shop\":\"" SHOP "\",\"order_id\":%lld,\"fulfillment_order_id\":%d,"
           "\"location_id\":61000000001,\"status\":\"open\"",
           OID(n), 900 + n);
}

/* Order n cancelled through the API: orderCancel (GraphQL) telling the
 * customer, its notification, then the call's own request entry. */
static void api_cancelled(fixture *f, int64_t t, int n, int restock)
{
    js(f, t, "order_cancelled",
       "\"shop\":\"" SHOP "\",\"order_id\":%lld,\"reason\":\"other\",\"by\":\"api\",\"restock\":%s,"
       "\"notify_customer\":true",
       OID(n), restock ? "true" : "false");
    notified(f, t, n, "order_cancelled");
    request(f, 0, t + 20, 200, SHOP "#0");
}

/* Order 1: four A in one sale at W1 (authorised at 2000) that Cin7 ships in
 * two fulfilments, at 10000 and 20000; Shopify fulfils the first at 12500
 * (lag 2500) and, with second, the rest at 21000 (lag 1000). */
static void split_order(fixture *f, int second)
{
    order(f, 1000, 1, "A", 4);
    sale(f, 2000, 1, "W1", "A", 4, 0);
    shipment(f, 10050, 10000, 1, 2000, "W1", 1, "A", 2, 0);
    fulfilled(f, 12500, 1, 1, "A", 2);
    notified(f, 12500, 1, "shipping_confirmation");
    shipment(f, 20000, 20000, 1, 2000, "W1", 2, "A", 2, 1);
    if (second) {
        fulfilled(f, 21000, 1, 2, "A", 2);
        notified(f, 21000, 1, "shipping_confirmation");
    }
}

TEST(measure, a_split_order_shipped_twice_is_fulfilled_and_confirmed_twice)
{
    fixture f;
    fx_init(&f);
    split_order(&f, 1);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "status_mismatches"), 0);
    EXPECT_EQ_INT(metric(&f, "notifications_missing"), 0);
    EXPECT_EQ_INT(metric(&f, "notifications_duplicated"), 0);
    /* From each shipment's stage_t, not its entry's t. */
    EXPECT_EQ_INT(metric(&f, "status_lag_ms.count"), 2);
    EXPECT_EQ_INT(metric(&f, "status_lag_ms.max"), 2500);
    EXPECT_EQ_INT(metric(&f, "status_lag_ms.mean"), 1750);
    fx_free(&f);
}

TEST(measure, a_shipment_never_fulfilled_is_a_mismatch_and_a_missing_confirmation)
{
    fixture f;
    fx_init(&f);
    split_order(&f, 0);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "status_mismatches"), 1);
    EXPECT_EQ_INT(metric(&f, "notifications_missing"), 1);
    EXPECT_EQ_INT(metric(&f, "notifications_duplicated"), 0);
    /* The second shipment was never matched: no lag for it. */
    EXPECT_EQ_INT(metric(&f, "status_lag_ms.count"), 1);
    EXPECT_EQ_INT(metric(&f, "status_lag_ms.max"), 2500);
    fx_free(&f);
}

TEST(measure, a_second_confirmation_for_one_shipment_is_a_duplicate)
{
    fixture f;
    fx_init(&f);
    split_order(&f, 1);
    notified(&f, 21100, 1, "shipping_confirmation");
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "notifications_duplicated"), 1);
    EXPECT_EQ_INT(metric(&f, "notifications_missing"), 0);
    EXPECT_EQ_INT(metric(&f, "status_mismatches"), 0);
    fx_free(&f);
}

TEST(measure, fulfilled_units_beyond_the_shipped_ones_are_a_mismatch)
{
    fixture f;
    fx_init(&f);
    order(&f, 1000, 1, "A", 4);
    sale(&f, 2000, 1, "W1", "A", 4, 0);
    shipment(&f, 10000, 10000, 1, 2000, "W1", 1, "A", 2, 0);
    fulfilled(&f, 11000, 1, 1, "A", 4); /* all four: two more than Cin7 shipped */
    notified(&f, 11000, 1, "shipping_confirmation");
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "status_mismatches"), 1);
    EXPECT_EQ_INT(metric(&f, "status_lag_ms.count"), 1);
    EXPECT_EQ_INT(metric(&f, "status_lag_ms.max"), 1000);
    fx_free(&f);
}

TEST(measure, a_users_void_of_the_only_sale_cancels_the_order_once)
{
    /* Order 1's only sale voided by a user at 5000; Shopify cancels at 6500. */
    fixture f;
    fx_init(&f);
    order(&f, 1000, 1, "A", 1);
    sale(&f, 2000, 1, "W1", "A", 1, 0);
    voided(&f, 5000, 1, 2000, "W1", 1);
    api_cancelled(&f, 6500, 1, 1);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "status_mismatches"), 0);
    EXPECT_EQ_INT(metric(&f, "notifications_missing"), 0);
    EXPECT_EQ_INT(metric(&f, "notifications_duplicated"), 0);
    EXPECT_EQ_INT(metric(&f, "status_lag_ms.count"), 1);
    EXPECT_EQ_INT(metric(&f, "status_lag_ms.max"), 1500);
    fx_free(&f);

    /* Not cancelled: a mismatch (no notice is expected of an order that
     * was not cancelled). */
    fx_init(&f);
    order(&f, 1000, 1, "A", 1);
    sale(&f, 2000, 1, "W1", "A", 1, 0);
    voided(&f, 5000, 1, 2000, "W1", 1);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "status_mismatches"), 1);
    EXPECT_EQ_INT(metric(&f, "notifications_missing"), 0);
    EXPECT_EQ_INT(metric(&f, "status_lag_ms.count"), 0);
    fx_free(&f);

    /* Cancelled without restock, and a second notice: a mismatch and a
     * duplicate. */
    fx_init(&f);
    order(&f, 1000, 1, "A", 1);
    sale(&f, 2000, 1, "W1", "A", 1, 0);
    voided(&f, 5000, 1, 2000, "W1", 1);
    api_cancelled(&f, 6500, 1, 0);
    notified(&f, 6600, 1, "order_cancelled");
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "status_mismatches"), 1);
    EXPECT_EQ_INT(metric(&f, "notifications_duplicated"), 1);
    fx_free(&f);
}

TEST(measure, only_a_users_void_leaving_no_live_sale_and_nothing_shipped_cancels)
{
    /* Order 1: the engine's own void (a move) then the API's cancel: not
     * the mapping. Order 2: two sales, a user voids one, the other stands:
     * no cancel expected, none made. Order 3: shipped, then its sale voided
     * by a user: Shopify cannot cancel, and does not. */
    fixture f;
    fx_init(&f);
    order(&f, 1000, 1, "A", 1);
    sale(&f, 2000, 1, "W1", "A", 1, 0);
    voided(&f, 5000, 1, 2000, "W1", 0);
    api_cancelled(&f, 6500, 1, 1);
    checkout(&f, 1000, 2, "A", 1, "B", 1);
    paid(&f, 1000, 2);
    sale(&f, 2000, 2, "W1", "A", 1, 0);
    sale(&f, 2100, 2, "W2", "B", 1, 0);
    voided(&f, 5000, 2, 2000, "W1", 1);
    order(&f, 1000, 3, "B", 1);
    sale(&f, 2000, 3, "W1", "B", 1, 0);
    shipment(&f, 3000, 3000, 3, 2000, "W1", 1, "B", 1, 1);
    fulfilled(&f, 3100, 3, 3, "B", 1);
    notified(&f, 3100, 3, "shipping_confirmation");
    voided(&f, 5000, 3, 2000, "W1", 1);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "status_mismatches"), 1);
    /* Order 1's notice was not expected. */
    EXPECT_EQ_INT(metric(&f, "notifications_duplicated"), 1);
    EXPECT_EQ_INT(metric(&f, "notifications_missing"), 0);
    fx_free(&f);
}

TEST(measure, a_backorder_that_stays_is_held_out_of_stock_until_the_fill_releases_it)
{
    /* Order 1: three A, all backordered at W1 when authorised at 2000. */
    fixture f;
    fx_init(&f);
    order(&f, 1000, 1, "A", 3);
    sale(&f, 2000, 1, "W1", "A", 3, 3);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "status_mismatches"), 1); /* no hold */
    fx_free(&f);

    fx_init(&f);
    order(&f, 1000, 1, "A", 3);
    sale(&f, 2000, 1, "W1", "A", 3, 3);
    held(&f, 2600, 1, "INVENTORY_OUT_OF_STOCK");
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "status_mismatches"), 0);
    EXPECT_EQ_INT(metric(&f, "status_lag_ms.count"), 1);
    EXPECT_EQ_INT(metric(&f, "status_lag_ms.max"), 600);
    fx_free(&f);

    /* Held for another reason: still no out-of-stock hold. */
    fx_init(&f);
    order(&f, 1000, 1, "A", 3);
    sale(&f, 2000, 1, "W1", "A", 3, 3);
    held(&f, 2600, 1, "OTHER");
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "status_mismatches"), 1);
    EXPECT_EQ_INT(metric(&f, "status_lag_ms.count"), 0);
    fx_free(&f);

    /* Filled in two receipts (the hold stays after the first), released
     * 400 after the second. */
    fx_init(&f);
    order(&f, 1000, 1, "A", 3);
    sale(&f, 2000, 1, "W1", "A", 3, 3);
    held(&f, 2600, 1, "INVENTORY_OUT_OF_STOCK");
    backorder_filled(&f, 5000, 1, 2000, "A", "W1", 1, 2);
    backorder_filled(&f, 8000, 1, 2000, "A", "W1", 2, 0);
    held(&f, 8400, 1, NULL);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "status_mismatches"), 0);
    EXPECT_EQ_INT(metric(&f, "status_lag_ms.count"), 2);
    EXPECT_EQ_INT(metric(&f, "status_lag_ms.max"), 600);
    EXPECT_EQ_INT(metric(&f, "status_lag_ms.mean"), 500);
    fx_free(&f);

    /* The hold left after the fill. */
    fx_init(&f);
    order(&f, 1000, 1, "A", 3);
    sale(&f, 2000, 1, "W1", "A", 3, 3);
    held(&f, 2600, 1, "INVENTORY_OUT_OF_STOCK");
    backorder_filled(&f, 8000, 1, 2000, "A", "W1", 3, 0);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "status_mismatches"), 1);
    EXPECT_EQ_INT(metric(&f, "status_lag_ms.count"), 1);
    fx_free(&f);
}

TEST(measure, a_backordered_sale_voided_leaves_nothing_to_hold)
{
    /* The engine moves order 1's backordered sale: it voids it at W1 and
     * W2 allocates a new one; the hold placed meanwhile is released. */
    fixture f;
    fx_init(&f);
    order(&f, 1000, 1, "A", 3);
    sale(&f, 2000, 1, "W1", "A", 3, 3);
    held(&f, 2600, 1, "INVENTORY_OUT_OF_STOCK");
    voided(&f, 4000, 1, 2000, "W1", 0);
    sale(&f, 4100, 1, "W2", "A", 3, 0);
    held(&f, 4300, 1, NULL);
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "status_mismatches"), 0);
    fx_free(&f);
}

TEST(measure, orders_the_shopper_cancelled_are_left_out_of_the_status_metrics)
{
    /* Orders 1-3 each ship one A in Cin7 that Shopify never fulfils; each
     * is cancelled in Shopify. Order 1 by the shopper (/_mock/cancel, by
     * "shopper"), so it is left out; orders 2 and 3 by an app (by "api",
     * REST without a notice and GraphQL with one), so they count. */
    fixture f;
    fx_init(&f);
    for (int n = 1; n <= 3; n++) {
        order(&f, 1000, n, "A", 1);
        sale(&f, 2000, n, "W1", "A", 1, 0);
        shipment(&f, 3000, 3000, n, 2000, "W1", 1, "A", 1, 1);
    }
    cancelled(&f, 4000, 1, 1);
    js(&f, 5000, "order_cancelled",
       "\"shop\":\"" SHOP "\",\"order_id\":%lld,\"reason\":\"customer\",\"by\":\"api\","
       "\"restock\":true,\"notify_customer\":false",
       OID(2));
    api_cancelled(&f, 6000, 3, 1);
    fx_measure(&f);
    /* 2 and 3: cancelled though Cin7 shipped, never fulfilled, never confirmed. */
    EXPECT_EQ_INT(metric(&f, "status_mismatches"), 2);
    EXPECT_EQ_INT(metric(&f, "notifications_missing"), 2);
    fx_free(&f);
}

/* ---- journals as files ---------------------------------------------------------------- */

TEST(measure, a_torn_last_line_is_skipped)
{
    /* A mock killed mid-write leaves half a line. */
    fixture f;
    fx_init(&f);
    order(&f, 1000, 1, "A", 2);
    sale(&f, 4000, 1, "W1", "A", 2, 0);
    sbuf_puts(&f.cin7, "{\"seq\":99,\"t\":7050,\"kind\":\"sale_cre");
    sbuf_puts(&f.shopify, "{\"seq\":99,\"t\":7");
    fx_measure(&f);
    EXPECT_EQ_INT(metric(&f, "order_push_latency_ms.max"), 3000);
    fx_free(&f);
}

TEST(measure, a_missing_journal_is_an_error_naming_it)
{
    scenario sc;
    json_err e;
    if (scenario_load_text(scenario_text, strlen(scenario_text), "m.json", NULL, NULL, 0, &sc, &e))
        test_fail(__FILE__, __LINE__, "scenario: %s", e.msg);
    char path[512];
    snprintf(path, sizeof path, "%s/nowhere.jsonl", test_tmp_dir());
    cJSON *empty = cJSON_CreateObject();
    measure_input in = {&sc, T0, 0, path, path, empty, empty, NULL, NULL, 0, NULL, 0, NULL, -1, -1};
    measure_output out;
    char err[300] = "";
    EXPECT_EQ_INT(measure_run(&in, &out, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "nowhere.jsonl");
    cJSON_Delete(empty);
    scenario_free(&sc);
}
