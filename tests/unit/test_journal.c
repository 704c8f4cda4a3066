/* Counters, the journal and the webhook deliverer. */
#include "../runner.h"

#include "counters.h"
#include "deliver.h"
#include "httpd.h"
#include "journal.h"
#include "json.h"
#include "mem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

TEST(counters, add_get_json_and_threads)
{
    counters *c = counters_new();
    counters_add(c, "http_429", 2);
    counters_addf(c, 1, "requests.%s %s.%d", "GET", "/ExternalApi/v2/sale", 200);
    counters_addf(c, 3, "requests.%s %s.%d", "GET", "/ExternalApi/v2/sale", 200);
    EXPECT_EQ_INT(counters_get(c, "http_429"), 2);
    EXPECT_EQ_INT(counters_get(c, "requests.GET /ExternalApi/v2/sale.200"), 4);
    EXPECT_EQ_INT(counters_get(c, "missing"), 0);
    /* Enough names to make the table grow several times. */
    for (int i = 0; i < 1000; i++)
        counters_addf(c, i, "n%04d", i);
    EXPECT_EQ_INT(counters_get(c, "n0999"), 999);
    cJSON *j = counters_json(c);
    EXPECT_EQ_INT(cJSON_GetArraySize(j), 1002);
    EXPECT_EQ_STR(j->child->string, "http_429"); /* name order */
    EXPECT_EQ_INT(cJSON_GetObjectItem(j, "n0500")->valuedouble, 500);
    cJSON_Delete(j);
    counters_reset(c);
    EXPECT_EQ_INT(counters_get(c, "n0999"), 0);
    counters_free(c);
    counters_free(NULL);
}

static void *bump(void *arg)
{
    for (int i = 0; i < 20000; i++)
        counters_add(arg, i % 2 ? "odd" : "even", 1);
    return NULL;
}

TEST(counters, concurrent_increments_are_not_lost)
{
    counters *c = counters_new();
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, bump, c);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    EXPECT_EQ_INT(counters_get(c, "odd"), 40000);
    EXPECT_EQ_INT(counters_get(c, "even"), 40000);
    counters_free(c);
}

static cJSON *query(journal *j, uint64_t since, size_t limit)
{
    char *text = journal_query(j, since, limit);
    json_err e;
    cJSON *v = json_parse(text, strlen(text), &e);
    if (!v)
        test_fail(__FILE__, __LINE__, "journal answer is not JSON: %s: %s", e.msg, text);
    free(text);
    return v;
}

TEST(journal, entries_in_order_with_time_and_fields)
{
    sclock c;
    clock_init_virtual(&c, 0);
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/journal.jsonl", test_tmp_dir());
    journal *j;
    EXPECT_EQ_INT(journal_open(path, 4, &c, &j, err, sizeof err), 0);
    clock_set_virtual_us(&c, 1500 * 1000);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "sku", "DEMO-001");
    cJSON_AddNumberToObject(f, "on_hand", 99);
    EXPECT_EQ_INT(journal_add(j, "stock", f), 1);
    EXPECT_EQ_INT(journal_addf(j, "request", "\"route\":\"GET /x\",\"status\":%d", 200), 2);
    EXPECT_EQ_INT(journal_add(j, "bare", NULL), 3);

    cJSON *v = query(j, 0, 100);
    cJSON *es = cJSON_GetObjectItem(v, "entries");
    EXPECT_EQ_INT(cJSON_GetArraySize(es), 3);
    cJSON *e0 = cJSON_GetArrayItem(es, 0);
    EXPECT_EQ_INT(cJSON_GetObjectItem(e0, "seq")->valuedouble, 1);
    EXPECT_EQ_INT(cJSON_GetObjectItem(e0, "t")->valuedouble, 1500);
    EXPECT_EQ_STR(cJSON_GetObjectItem(e0, "kind")->valuestring, "stock");
    EXPECT_EQ_STR(cJSON_GetObjectItem(e0, "sku")->valuestring, "DEMO-001");
    EXPECT_EQ_INT(cJSON_GetObjectItem(cJSON_GetArrayItem(es, 1), "status")->valuedouble, 200);
    EXPECT_EQ_INT(cJSON_GetObjectItem(v, "next")->valuedouble, 3);
    EXPECT_TRUE(cJSON_IsFalse(cJSON_GetObjectItem(v, "truncated")));
    cJSON_Delete(v);

    /* Paging with since/limit. */
    v = query(j, 1, 1);
    es = cJSON_GetObjectItem(v, "entries");
    EXPECT_EQ_INT(cJSON_GetArraySize(es), 1);
    EXPECT_EQ_INT(cJSON_GetObjectItem(cJSON_GetArrayItem(es, 0), "seq")->valuedouble, 2);
    EXPECT_EQ_INT(cJSON_GetObjectItem(v, "next")->valuedouble, 2);
    cJSON_Delete(v);
    v = query(j, 3, 10);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(v, "entries")), 0);
    EXPECT_EQ_INT(cJSON_GetObjectItem(v, "next")->valuedouble, 3);
    cJSON_Delete(v);

    /* Memory keeps 4; the fifth and sixth push the first two out. */
    journal_add(j, "e4", NULL);
    journal_add(j, "e5", NULL);
    journal_add(j, "e6", NULL);
    v = query(j, 0, 100);
    es = cJSON_GetObjectItem(v, "entries");
    EXPECT_EQ_INT(cJSON_GetArraySize(es), 4);
    EXPECT_EQ_INT(cJSON_GetObjectItem(cJSON_GetArrayItem(es, 0), "seq")->valuedouble, 3);
    EXPECT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(v, "truncated")));
    EXPECT_EQ_INT(cJSON_GetObjectItem(v, "oldest")->valuedouble, 3);
    cJSON_Delete(v);
    journal_close(j);

    /* The file holds all six, one JSON object a line. */
    FILE *fp = fopen(path, "r");
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, fp)) {
        json_err e;
        cJSON *x = json_parse(line, strlen(line), &e);
        EXPECT_TRUE(x != NULL);
        EXPECT_EQ_INT(cJSON_GetObjectItem(x, "seq")->valuedouble, n + 1);
        cJSON_Delete(x);
        n++;
    }
    fclose(fp);
    EXPECT_EQ_INT(n, 6);
}

TEST(journal, reset_starts_over)
{
    sclock c;
    clock_init_virtual(&c, 0);
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/j.jsonl", test_tmp_dir());
    journal *j;
    EXPECT_EQ_INT(journal_open(path, 0, &c, &j, err, sizeof err), 0);
    journal_add(j, "a", NULL);
    journal_add(j, "b", NULL);
    journal_reset(j);
    EXPECT_EQ_INT(journal_last_seq(j), 0);
    EXPECT_EQ_INT(journal_add(j, "c", NULL), 1);
    journal_close(j);
    FILE *fp = fopen(path, "r");
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, fp))
        n++;
    fclose(fp);
    EXPECT_EQ_INT(n, 1);
    EXPECT_EQ_INT(journal_open("/nonexistent-dir/j.jsonl", 0, &c, &j, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "/nonexistent-dir/j.jsonl");
}

/* ---- deliverer ------------------------------------------------------------ */

typedef struct {
    atomic_int hits;
    atomic_int fail_first; /* answer 500 to this many requests */
    char last_topic[64];
    char last_id[64];
    char last_body[256];
    pthread_mutex_t lock;
} receiver;

static void receive(httpd_req *r, void *ud)
{
    receiver *rc = ud;
    int n = atomic_fetch_add(&rc->hits, 1);
    pthread_mutex_lock(&rc->lock);
    const char *t = httpd_header(r, "X-Topic");
    const char *id = httpd_header(r, "X-Id");
    snprintf(rc->last_topic, sizeof rc->last_topic, "%s", t ? t : "");
    snprintf(rc->last_id, sizeof rc->last_id, "%s", id ? id : "");
    snprintf(rc->last_body, sizeof rc->last_body, "%s", httpd_body(r, NULL));
    pthread_mutex_unlock(&rc->lock);
    if (n < atomic_load(&rc->fail_first))
        httpd_reply_json_text(r, 500, "{}");
    else if (strcmp(httpd_path(r), "/redirect") == 0) {
        httpd_add_header(r, "Location", "/elsewhere");
        httpd_reply_json_text(r, 302, "{}");
    } else
        httpd_reply_json_text(r, 200, "{}");
}

typedef struct {
    pthread_mutex_t lock;
    int attempts, ok, abandoned, faulted, copies_seen;
    int cancel_after; /* return non-zero after this many attempts (0: never) */
} tally;

static int on_report(const deliver_report *r, void *ud)
{
    tally *t = ud;
    pthread_mutex_lock(&t->lock);
    t->attempts++;
    t->ok += r->ok;
    t->abandoned += r->abandoned;
    t->faulted += r->faulted;
    if (r->copy > t->copies_seen)
        t->copies_seen = r->copy;
    int stop = t->cancel_after && t->attempts >= t->cancel_after;
    pthread_mutex_unlock(&t->lock);
    return stop;
}

/* A deliverer on a clock at scale, with the retry waits given, and a
 * receiver answering 500 to its first fail_first requests; url is the
 * receiver's /hook. */
typedef struct {
    receiver rc;
    httpd *srv;
    sclock clk;
    tally t;
    deliverer *d;
    char url[128];
} rig;

static void rig_start(rig *g, double scale, const int64_t *waits, size_t n_retries, int fail_first)
{
    memset(g, 0, sizeof *g);
    pthread_mutex_init(&g->rc.lock, NULL);
    atomic_store(&g->rc.fail_first, fail_first);
    g->srv = httpd_new();
    httpd_route(g->srv, "POST", "/*", receive, &g->rc);
    char err[256];
    httpd_config cfg = {0};
    if (httpd_start(g->srv, &cfg, err, sizeof err))
        test_fail(__FILE__, __LINE__, "%s", err);
    clock_init(&g->clk, scale, -1);
    pthread_mutex_init(&g->t.lock, NULL);
    deliver_config dc = {.retry_waits = waits, .n_retries = n_retries};
    g->d = deliverer_start(&dc, &g->clk, on_report, &g->t);
    snprintf(g->url, sizeof g->url, "http://127.0.0.1:%u/hook", httpd_port(g->srv));
}

static void wait_idle(deliverer *d, int max_ms)
{
    for (int i = 0; i < max_ms / 5 && deliverer_pending(d) > 0; i++) {
        struct timespec nap = {0, 5 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
}

TEST(deliver, delivers_with_headers_and_body)
{
    rig g;
    int64_t waits[] = {60000};
    rig_start(&g, 1000.0, waits, 1, 0);
    const char *hdrs[] = {"X-Topic: orders/paid", "X-Id: w-1", NULL};
    deliver_msg m = {"w-1", "orders/paid", g.url, hdrs, "{\"id\":1}", 8, 5};
    deliverer_submit(g.d, &m, NULL);
    wait_idle(g.d, 5000);
    EXPECT_EQ_INT(atomic_load(&g.rc.hits), 1);
    EXPECT_EQ_STR(g.rc.last_topic, "orders/paid");
    EXPECT_EQ_STR(g.rc.last_id, "w-1");
    EXPECT_EQ_STR(g.rc.last_body, "{\"id\":1}");
    deliverer_free(g.d);
    EXPECT_EQ_INT(g.t.attempts, 1);
    EXPECT_EQ_INT(g.t.ok, 1);
    httpd_free(g.srv);
}

TEST(deliver, retries_on_schedule_then_abandons)
{
    rig g;
    /* Cin7's schedule: 1 min, then +5, +10, +15, +20, +25 min; 1 simulated
     * minute = 60 real ms. */
    int64_t waits[] = {60000, 300000, 600000, 900000, 1200000, 1500000};
    rig_start(&g, 1000.0, waits, 5, 1000);
    deliver_msg m = {"x", "Stock/AvailableStockLevelChanged", g.url, NULL, "[]", 2, 1};
    int64_t t0 = clock_now_ms(&g.clk);
    deliverer_submit(g.d, &m, NULL);
    wait_idle(g.d, 20000);
    int64_t took = clock_now_ms(&g.clk) - t0;
    deliverer_free(g.d);
    EXPECT_EQ_INT(atomic_load(&g.rc.hits), 6);
    EXPECT_EQ_INT(g.t.attempts, 6);
    EXPECT_EQ_INT(g.t.abandoned, 1);
    EXPECT_EQ_INT(g.t.ok, 0);
    /* The five waits before the last attempt: 1+5+10+15+20 = 51 min. */
    EXPECT_GE_INT(took, 51 * 60000);
    httpd_free(g.srv);
}

TEST(deliver, recovers_after_failures_and_counts_redirects_as_failures)
{
    rig g;
    int64_t waits[] = {1000, 1000, 1000};
    rig_start(&g, 10000.0, waits, 3, 2);
    deliver_msg m = {"x", "orders/paid", g.url, NULL, "{}", 2, 1};
    deliverer_submit(g.d, &m, NULL);
    wait_idle(g.d, 5000);
    EXPECT_EQ_INT(g.t.attempts, 3);
    EXPECT_EQ_INT(g.t.ok, 1);
    snprintf(g.url, sizeof g.url, "http://127.0.0.1:%u/redirect", httpd_port(g.srv));
    deliverer_submit(g.d, &m, NULL);
    wait_idle(g.d, 5000);
    deliverer_free(g.d);
    EXPECT_EQ_INT(g.t.attempts, 3 + 4);
    EXPECT_EQ_INT(g.t.abandoned, 1);
    httpd_free(g.srv);
}

TEST(deliver, faults_copy_drop_and_cancel)
{
    rig g;
    int64_t waits[] = {1000, 1000};
    rig_start(&g, 10000.0, waits, 2, 0);
    deliver_msg m = {"x", "orders/paid", g.url, NULL, "{}", 2, 1};
    fault_delivery dup = {.copies = 2};
    deliverer_submit(g.d, &m, &dup);
    wait_idle(g.d, 5000);
    EXPECT_EQ_INT(atomic_load(&g.rc.hits), 3);
    EXPECT_EQ_INT(g.t.copies_seen, 2);
    fault_delivery drop = {.drop = 1};
    deliverer_submit(g.d, &m, &drop);
    wait_idle(g.d, 5000);
    EXPECT_EQ_INT(atomic_load(&g.rc.hits), 3); /* nothing sent */
    EXPECT_EQ_INT(g.t.faulted, 3);             /* three failed attempts */
    EXPECT_EQ_INT(g.t.abandoned, 1);
    /* The callback cancels the rest of a delivery. */
    atomic_store(&g.rc.fail_first, 1000);
    g.t.cancel_after = g.t.attempts + 1;
    deliverer_submit(g.d, &m, NULL);
    wait_idle(g.d, 5000);
    EXPECT_EQ_INT(atomic_load(&g.rc.hits), 4);
    /* Cancel by subscription drops queued attempts. */
    fault_delivery later = {.delay_ms = 3600000};
    deliver_msg m2 = m;
    m2.sub_id = 9;
    deliverer_submit(g.d, &m2, &later);
    deliverer_submit(g.d, &m, &later);
    EXPECT_EQ_INT(deliverer_pending(g.d), 2);
    EXPECT_EQ_INT(deliverer_cancel(g.d, 9), 1);
    EXPECT_EQ_INT(deliverer_pending(g.d), 1);
    deliverer_free(g.d);
    httpd_free(g.srv);
}
