/* syncd's parts that need no remote: configuration, the rate gate, metrics
 * and the stock cache. */
#include "../runner.h"

#include "config.h"
#include "fulfil.h"
#include "gate.h"
#include "mem.h"
#include "metrics.h"
#include "outbound.h"
#include "../e2e/e2e.h"
#include "stockcache.h"
#include "store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int load(const char *text, const char *const *over, size_t n, syncd_config *c, json_err *e)
{
    return config_load_text(text, strlen(text), "test.json", over, n, c, e);
}

TEST(syncd_config, demo_defaults)
{
    syncd_config c;
    json_err e;
    EXPECT_EQ_INT(config_load(NULL, NULL, 0, &c, &e), 0);
    EXPECT_EQ_INT(c.port, 8080);
    EXPECT_EQ_STR(c.mode, "event");
    EXPECT_EQ_STR(c.cin7_url, "http://127.0.0.1:8082/ExternalApi/v2/");
    EXPECT_EQ_INT(c.cin7_calls_per_minute, 55);
    EXPECT_EQ_INT(c.n_shops, 1);
    EXPECT_EQ_STR(c.shops[0].domain, "demo.myshopify.com");
    EXPECT_EQ_STR(c.shops[0].api_version, "2026-10");
    EXPECT_EQ_INT(c.n_locations, 1);
    EXPECT_EQ_STR(c.locations[0].name, "Main Warehouse");
    EXPECT_EQ_INT(c.coalesce_ms, 2000);
    EXPECT_EQ_INT(c.map_identity, 1);
    EXPECT_EQ_STR(c.cin7_hook_auth, "bearer");
    config_free(&c);
}

TEST(syncd_config, overrides_and_env)
{
    setenv("SURGE_TEST_KEY", "from-env", 1);
    const char *over[] = {"cin7.calls_per_minute=30", "shops[0].safety_buffer=2",
                          "mode=poll", "poll_interval=\"5m\"", "cin7.application_key=env:SURGE_TEST_KEY",
                          "alert_url=http://127.0.0.1:9/alerts"};
    syncd_config c;
    json_err e;
    if (config_load(NULL, over, 6, &c, &e) != 0)
        test_fail(__FILE__, __LINE__, "%s", e.msg);
    EXPECT_EQ_INT(c.cin7_calls_per_minute, 30);
    EXPECT_EQ_INT(c.shops[0].safety_buffer, 2);
    EXPECT_EQ_STR(c.mode, "poll");
    EXPECT_EQ_INT(c.poll_interval_ms, 300000);
    EXPECT_EQ_STR(c.cin7_key, "from-env");
    EXPECT_EQ_STR(c.alert_url, "http://127.0.0.1:9/alerts"); /* not JSON: taken as a string */
    cJSON *j = config_to_json(&c);
    char *text = json_print(j);
    EXPECT_TRUE(strstr(text, "from-env") == NULL); /* secrets are masked */
    free(text);
    cJSON_Delete(j);
    config_free(&c);

    const char *bad_env[] = {"cin7.application_key=env:SURGE_TEST_UNSET_VAR"};
    unsetenv("SURGE_TEST_UNSET_VAR");
    EXPECT_EQ_INT(config_load(NULL, bad_env, 1, &c, &e), -1);
    EXPECT_CONTAINS(e.msg, "$.cin7.application_key: environment variable SURGE_TEST_UNSET_VAR is not set");
    const char *bad_index[] = {"shops[3].domain=x"};
    EXPECT_EQ_INT(config_load(NULL, bad_index, 1, &c, &e), -1);
    EXPECT_CONTAINS(e.msg, "index 3 is not in the array");
    const char *no_eq[] = {"port"};
    EXPECT_EQ_INT(config_load(NULL, no_eq, 1, &c, &e), -1);
    EXPECT_CONTAINS(e.msg, "expected path=value");
}

TEST(syncd_config, errors_name_the_json_path)
{
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        {"{\"cin7\":{}}", "test.json: $.cin7.base_url: required field is missing"},
        {"{\"colour\":1}", "test.json: $.colour: unknown field"},
        {"{\"port\":\"x\"}", "$.port: expected a number, got a string"},
        {"{\"mode\":\"push\"}", "$.mode: expected \"event\" or \"poll\""},
        {"{\"cin7\":{\"base_url\":\"u\",\"account_id\":\"a\",\"application_key\":\"k\","
         "\"webhook_auth\":{\"type\":\"magic\"}}}",
         "$.cin7.webhook_auth.type: unknown type \"magic\""},
        {"{\"cin7\":{\"base_url\":\"u\",\"account_id\":\"a\",\"application_key\":\"k\"},"
         "\"shops\":[{\"domain\":\"d\",\"base_url\":\"b\",\"access_token\":\"t\",\"api_secret\":\"s\","
         "\"inventory_write\":\"fax\"}]}",
         "$.shops[0].inventory_write: expected \"graphql\" (REST writes are gone)"},
        {"{\"cin7\":{\"base_url\":\"u\",\"account_id\":\"a\",\"application_key\":\"k\"},"
         "\"shops\":[{\"domain\":\"d\",\"base_url\":\"b\",\"access_token\":\"t\",\"api_secret\":\"s\"}],"
         "\"locations\":[{\"name\":\"A\",\"lat\":10}]}",
         "$.locations[0]: give both lat and lon"},
        {"{\"cin7\":{\"base_url\":\"u\",\"account_id\":\"a\",\"application_key\":\"k\"},"
         "\"shops\":[{\"domain\":\"d\",\"base_url\":\"b\",\"access_token\":\"t\",\"api_secret\":\"s\"}],"
         "\"locations\":[{\"name\":\"A\"}],\"regions\":[{\"country\":\"AU\",\"locations\":[\"B\"]}]}",
         "$.regions[0].locations[0]: \"B\" is not in $.locations"},
        {"{\"coalesce_window\":\"soon\"}", "$.coalesce_window: bad duration"},
        {"{\"port\":1,", "test.json: line 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        syncd_config c;
        json_err e;
        if (load(cases[i].text, NULL, 0, &c, &e) == 0)
            test_fail(__FILE__, __LINE__, "case %zu accepted", i);
        EXPECT_CONTAINS(e.msg, cases[i].want);
    }
}

/* ownership: each field's owner, the rest not synced; shown in the dump. */
TEST(syncd_config, ownership_fields_and_their_dump)
{
    syncd_config c;
    json_err e;
    EXPECT_EQ_INT(config_load(NULL, NULL, 0, &c, &e), 0);
    EXPECT_EQ_INT(c.ownership, 0);
    EXPECT_EQ_INT(c.own_owner[OWN_PRICE], -1);
    cJSON *j = config_to_json(&c);
    EXPECT_TRUE(cJSON_GetObjectItemCaseSensitive(j, "ownership") == NULL);
    cJSON_Delete(j);
    config_free(&c);

    const char *over[] = {"ownership.fields.price=shopify", "ownership.fields.cost=cin7",
                          "ownership.poll_interval=30s", "ownership.price_tier=PriceTier3"};
    EXPECT_EQ_INT(config_load(NULL, over, 4, &c, &e), 0);
    EXPECT_EQ_INT(c.ownership, 1);
    EXPECT_EQ_INT(c.own_owner[OWN_PRICE], OWN_SHOPIFY);
    EXPECT_EQ_INT(c.own_owner[OWN_COST], OWN_CIN7);
    EXPECT_EQ_INT(c.own_owner[OWN_TITLE], -1);
    EXPECT_EQ_INT(c.own_poll_ms, 30000);
    EXPECT_EQ_STR(c.own_price_tier, "PriceTier3");
    EXPECT_EQ_STR(c.own_compare_tier, "PriceTier2");
    j = config_to_json(&c);
    char *text = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(j, "ownership"));
    EXPECT_EQ_STR(text, "{\"fields\":{\"price\":\"shopify\",\"cost\":\"cin7\"},\"poll_interval\":30000,"
                        "\"price_tier\":\"PriceTier3\",\"compare_at_tier\":\"PriceTier2\"}");
    free(text);
    cJSON_Delete(j);
    config_free(&c);
}

TEST(syncd_config, ownership_errors_name_the_json_path)
{
    static const struct {
        const char *set, *want;
    } cases[] = {
        {"ownership={\"fields\":{\"colour\":\"cin7\"}}", "$.ownership.fields.colour: unknown field"},
        {"ownership={\"fields\":{\"price\":\"erp\"}}",
         "$.ownership.fields.price: must be \"cin7\" or \"shopify\""},
        {"ownership={\"fields\":{\"price\":1}}", "$.ownership.fields.price: must be"},
        {"ownership={\"fields\":[]}", "$.ownership.fields"},
        {"ownership={\"owner\":{}}", "$.ownership.owner: unknown field"},
        {"ownership={\"poll_interval\":0}", "$.ownership.poll_interval: must be more than 0"},
        {"ownership={\"price_tier\":\"Retail\"}", "$.ownership.price_tier: must be PriceTier1"},
        {"ownership={\"compare_at_tier\":\"PriceTier11\"}", "$.ownership.compare_at_tier"},
        {"ownership={\"compare_at_tier\":\"PriceTier1\"}",
         "$.ownership.compare_at_tier: is the price's tier too"},
        {"ownership=[]", "$.ownership"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        syncd_config c;
        json_err e;
        const char *over[] = {cases[i].set};
        if (config_load(NULL, over, 1, &c, &e) == 0)
            test_fail(__FILE__, __LINE__, "case %zu accepted", i);
        EXPECT_CONTAINS(e.msg, cases[i].want);
    }
}

/* Tokens and secrets that ride in headers are kept whole or refused, never
 * cut; the intake limits have defaults and bounds. */
TEST(syncd_config, secrets_whole_and_intake_limits)
{
    syncd_config c;
    json_err e;
    EXPECT_EQ_INT(config_load(NULL, NULL, 0, &c, &e), 0);
    EXPECT_EQ_INT(c.request_deadline_real_ms, 10000);
    EXPECT_EQ_INT(c.max_connections, 256);
    EXPECT_EQ_INT(c.max_connections_per_ip, 0);
    config_free(&c);

    char big[CONFIG_SECRET_MAX + 2];
    memset(big, 'k', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char *over_long = xasprintf("admin_token=\"%s\"", big);
    char *long_domain = xasprintf("shops[0].domain=\"%.254s\"", big);
    big[CONFIG_SECRET_MAX] = '\0';
    char *longest = xasprintf("admin_token=\"%s\"", big);
    char *hook = xasprintf("cin7.webhook_auth.secret=\"%s\"", big);
    const char *ok[] = {longest, hook, "intake={\"request_deadline_real_ms\":500,"
                                       "\"max_connections\":8,\"max_connections_per_ip\":2}"};
    if (config_load(NULL, ok, 3, &c, &e) != 0)
        test_fail(__FILE__, __LINE__, "%s", e.msg);
    EXPECT_EQ_INT(strlen(c.admin_token), CONFIG_SECRET_MAX);
    EXPECT_EQ_INT(strlen(c.cin7_hook_secret), CONFIG_SECRET_MAX);
    EXPECT_EQ_INT(c.request_deadline_real_ms, 500);
    EXPECT_EQ_INT(c.max_connections, 8);
    EXPECT_EQ_INT(c.max_connections_per_ip, 2);
    config_free(&c);

    static const struct {
        const char *over;
        const char *want;
    } cases[] = {
        {NULL, "$.admin_token: 4097 characters; at most 4096"},
        {"admin_token=\"\"", "$.admin_token: empty"},
        {"admin_token=\" padded\"", "$.admin_token: starts or ends with a space"},
        {"admin_token=\"a\\nb\"", "$.admin_token: control character at offset 1"},
        {"cin7.webhook_auth.secret=\"x\\ty\"", "$.cin7.webhook_auth.secret: control character"},
        {"intake.request_deadline_real_ms=0", "$.intake.request_deadline_real_ms"},
        {"intake.max_connections=0", "$.intake.max_connections"},
        {"intake.slowloris=1", "$.intake.slowloris: unknown field"},
        {NULL, "$.shops[0].domain: 254 characters; a domain has 1 to 253"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *over[] = {cases[i].over ? cases[i].over : i ? long_domain : over_long};
        if (config_load(NULL, over, 1, &c, &e) == 0)
            test_fail(__FILE__, __LINE__, "case %zu accepted", i);
        EXPECT_CONTAINS(e.msg, cases[i].want);
    }
    free(over_long);
    free(long_domain);
    free(longest);
    free(hook);
}

/* The Cin7 pace: its ceiling is calls_per_minute, floor and step come from
 * cin7.pace, and values out of range are refused naming their path. */
TEST(syncd_config, cin7_pace)
{
    syncd_config c;
    json_err e;
    EXPECT_EQ_INT(config_load(NULL, NULL, 0, &c, &e), 0);
    EXPECT_NEAR(c.cin7_pace.ceiling, 55, 1e-9);
    EXPECT_NEAR(c.cin7_pace.floor, PACE_FLOOR, 1e-9);
    EXPECT_NEAR(c.cin7_pace.step, PACE_STEP, 1e-9);
    EXPECT_NEAR(c.cin7_pace.cut, PACE_CUT, 1e-9);
    EXPECT_EQ_INT(c.cin7_pace.window_ms, 60000);
    config_free(&c);
    const char *ok[] = {"cin7.calls_per_minute=40",
                        "cin7.pace={\"min_calls_per_minute\":5,\"step_calls_per_minute\":0.5}"};
    if (config_load(NULL, ok, 2, &c, &e) != 0)
        test_fail(__FILE__, __LINE__, "%s", e.msg);
    EXPECT_NEAR(c.cin7_pace.ceiling, 40, 1e-9);
    EXPECT_NEAR(c.cin7_pace.floor, 5, 1e-9);
    EXPECT_NEAR(c.cin7_pace.step, 0.5, 1e-9);
    cJSON *j = config_to_json(&c);
    char *text = json_print(j);
    EXPECT_CONTAINS(text, "\"min_calls_per_minute\":5");
    free(text);
    cJSON_Delete(j);
    config_free(&c);

    static const struct {
        const char *over;
        const char *want;
    } cases[] = {
        {"cin7.pace.min_calls_per_minute=0", "$.cin7.pace.min_calls_per_minute: "},
        {"cin7.pace.min_calls_per_minute=56",
         "$.cin7.pace.min_calls_per_minute: 56 is above $.cin7.calls_per_minute (55)"},
        {"cin7.pace.min_calls_per_minute=2.5", "$.cin7.pace.min_calls_per_minute"},
        {"cin7.pace.step_calls_per_minute=0", "$.cin7.pace.step_calls_per_minute: "},
        {"cin7.pace.step_calls_per_minute=\"fast\"",
         "$.cin7.pace.step_calls_per_minute: expected a number"},
        {"cin7.pace.cut=0.9", "$.cin7.pace.cut: unknown field"},
        {"cin7.pace=3", "$.cin7.pace: expected an object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *over[] = {cases[i].over};
        if (config_load(NULL, over, 1, &c, &e) == 0)
            test_fail(__FILE__, __LINE__, "case %zu accepted", i);
        EXPECT_CONTAINS(e.msg, cases[i].want);
    }
}

/* ---- gate ------------------------------------------------------------------ */

typedef struct {
    gate *g;
    int prio;
    atomic_int *order;
    int got;
} waiter;

static void *acquire(void *arg)
{
    waiter *w = arg;
    gate_acquire(w->g, w->prio, 1);
    w->got = atomic_fetch_add(w->order, 1);
    return NULL;
}

TEST(gate, window_limit_then_priority_first)
{
    sclock clk;
    clock_init(&clk, 100.0, -1); /* a simulated minute is 600 real ms */
    gate *g = gate_window(3, 60000, &clk);
    int64_t t0 = clock_now_ms(&clk);
    /* One call now and two 20 simulated seconds later: when the window
     * rolls it frees one permit at a time, 20 s apart, so which waiter got
     * the first one is not a race between the two threads' next steps. */
    EXPECT_EQ_INT(gate_acquire(g, PRIO_NORMAL, 1), 0);
    struct timespec gap = {0, 200 * 1000 * 1000};
    nanosleep(&gap, NULL);
    for (int i = 0; i < 2; i++)
        EXPECT_EQ_INT(gate_acquire(g, PRIO_NORMAL, 1), 0);
    EXPECT_LT_INT(clock_now_ms(&clk) - t0, 60000); /* the first three did not wait */
    /* The window is full: a bulk caller arrives first, an urgent one later;
     * the urgent one must go first when a permit frees. */
    atomic_int order = 0;
    waiter bulk = {g, PRIO_BULK, &order, -1}, urgent = {g, PRIO_URGENT, &order, -1};
    pthread_t tb, tu;
    pthread_create(&tb, NULL, acquire, &bulk);
    /* Start the urgent caller only once the bulk one is queued, so the
     * order of arrival does not hang on the scheduler (bounded: 500 naps). */
    struct timespec nap = {0, 1000 * 1000};
    for (int i = 0; i < 500 && gate_waiting(g) < 1; i++)
        nanosleep(&nap, NULL);
    EXPECT_EQ_INT(gate_waiting(g), 1);
    pthread_create(&tu, NULL, acquire, &urgent);
    for (int i = 0; i < 500 && gate_waiting(g) < 2; i++)
        nanosleep(&nap, NULL);
    pthread_join(tb, NULL);
    pthread_join(tu, NULL);
    EXPECT_EQ_INT(urgent.got, 0);
    EXPECT_EQ_INT(bulk.got, 1);
    /* Both had to wait for the window to roll. */
    EXPECT_GE_INT(clock_now_ms(&clk) - t0, 60000);
    gate_stop(g);
    EXPECT_EQ_INT(gate_acquire(g, PRIO_URGENT, 1), -1);
    gate_free(g);
}

typedef struct {
    gate *g;
    atomic_int *order;
    int n;
} looper;

/* Takes n permits one after the other, as a worker pushing a backlog of
 * orders does. */
static void *acquire_many(void *arg)
{
    looper *l = arg;
    for (int i = 0; i < l->n; i++) {
        gate_acquire(l->g, PRIO_URGENT, 1);
        atomic_fetch_add(l->order, 1);
    }
    return NULL;
}

TEST(gate, normal_work_is_served_while_urgent_work_backs_up)
{
    /* Three workers push orders (urgent) through a gate of two calls a
     * simulated second, 40 calls each; a stock read (normal) arrives while
     * they wait. Under strict priority it went last, after the whole
     * backlog; with shares it goes within a few permits. */
    sclock clk;
    clock_init(&clk, 100.0, -1);
    gate *g = gate_window(2, 1000, &clk);
    atomic_int order = 0;
    looper l = {g, &order, 40};
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, acquire_many, &l);
    struct timespec nap = {0, 1000 * 1000};
    for (int i = 0; i < 500 && gate_waiting(g) < 2; i++)
        nanosleep(&nap, NULL);
    EXPECT_GE_INT(gate_waiting(g), 2);
    int start = atomic_load(&order);
    waiter read = {g, PRIO_NORMAL, &order, -1};
    acquire(&read);
    EXPECT_LE_INT(read.got - start, 6);
    EXPECT_LT_INT(read.got, 100);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    EXPECT_EQ_INT(atomic_load(&order), 121);
    gate_free(g);
}

TEST(gate, a_paced_gate_follows_its_answers)
{
    sclock clk;
    clock_init(&clk, 100.0, -1); /* a simulated minute is 600 real ms */
    pace_config pc = {4, 1, 2, 0.5, 60000};
    gate *g = gate_paced(&pc, &clk);
    int64_t t0 = clock_now_ms(&clk);
    EXPECT_EQ_INT(gate_acquire(g, PRIO_NORMAL, 1), 0);
    EXPECT_EQ_INT(gate_acquire(g, PRIO_NORMAL, 1), 0);
    /* A refusal halves the rate at once: the two calls already in the
     * window fill it, and the third waits for the window to roll. */
    double rate = 0;
    EXPECT_EQ_INT(gate_answer(g, PACE_LIMITED, &rate), PACE_CUT_DOWN);
    EXPECT_NEAR(rate, 2, 1e-9);
    EXPECT_EQ_INT(gate_answer(g, PACE_LIMITED, &rate), PACE_HELD);
    EXPECT_EQ_INT(gate_acquire(g, PRIO_NORMAL, 1), 0);
    EXPECT_GE_INT(clock_now_ms(&clk) - t0, 60000);
    gate_free(g);
    /* A gate that is not paced ignores answers. */
    gate *w = gate_window(3, 60000, &clk);
    EXPECT_EQ_INT(gate_answer(w, PACE_LIMITED, &rate), PACE_KEPT);
    EXPECT_NEAR(rate, 0, 1e-9);
    gate_free(w);
}

/* ---- outbound --------------------------------------------------------------- */

static void answer_ok(httpd_req *r, void *ud)
{
    (void)ud;
    httpd_reply_json_text(r, 200, "{}");
}

/* Calls through a window gate of limit calls a simulated minute (a
 * simulated minute is 600 real ms) to a server answering 200. */
typedef struct {
    sclock clk;
    gate *g;
    metrics *m;
    httpd *srv;
    char url[64];
    outbound o;
    httpc_req req;
} outbound_rig;

static void rig_up(outbound_rig *r, int limit)
{
    memset(r, 0, sizeof *r);
    clock_init(&r->clk, 100.0, -1);
    r->g = gate_window(limit, 60000, &r->clk);
    r->m = metrics_new();
    r->srv = e2e_listen("GET", "/x", answer_ok, NULL, 0);
    snprintf(r->url, sizeof r->url, "http://127.0.0.1:%u/x", (unsigned)httpd_port(r->srv));
    r->o = (outbound){.system = "cin7", .gate = r->g, .m = r->m, .clk = &r->clk,
                      .pol = {3, 1000, 10000}, .inline_attempts = 1, .inline_wait_cap = 10000,
                      .timeout_ms = 600000};
    r->req = (httpc_req){.method = "GET", .url = r->url};
}

/* One call, which must be answered 200. */
static void rig_call(outbound_rig *r, outcome *out)
{
    outbound_call(&r->o, &r->req, PRIO_NORMAL, 1, 1, out);
    EXPECT_EQ_INT(out->action, POLICY_DONE);
}

static void rig_down(outbound_rig *r)
{
    httpd_free(r->srv);
    metrics_free(r->m);
    gate_free(r->g);
}

TEST(outbound, a_call_is_stamped_when_it_leaves_not_when_it_queues)
{
    /* Figures read from Cin7 stand as of the moment the read left: a read
     * that queued behind the rate limit while sales were allocated shows
     * those sales, and stamping it with the moment it queued would count
     * them twice (syncd's routing and pending units did). */
    outbound_rig r;
    rig_up(&r, 1);
    outcome a, b;
    int64_t t0 = clock_now_ms(&r.clk);
    rig_call(&r, &a);
    EXPECT_GE_INT(a.sent_at, t0);
    EXPECT_LT_INT(a.sent_at - t0, 60000);
    /* The window holds one call: the second waits for it to roll, and is
     * stamped when it leaves. */
    rig_call(&r, &b);
    EXPECT_GE_INT(b.sent_at, t0 + 60000);
    EXPECT_LE_INT(b.sent_at, clock_now_ms(&r.clk));
    outbound_done(&a);
    outbound_done(&b);
    rig_down(&r);
}

/* A read and the write built from it (syncd's PUT of a Cin7 product) take
 * their permits together: the write leaves as soon as the read is
 * answered, not after the gate let other calls go in between. */
TEST(outbound, reserved_calls_leave_one_after_another)
{
    outbound_rig r;
    rig_up(&r, 2);
    outcome first, a, b, c;
    int64_t t0 = clock_now_ms(&r.clk);
    rig_call(&r, &first);
    /* One call is in the window of two: the pair waits until it leaves. */
    EXPECT_EQ_INT(outbound_reserve(&r.o, PRIO_NORMAL, 2), 0);
    int64_t reserved = clock_now_ms(&r.clk);
    EXPECT_GE_INT(reserved, t0 + 60000);
    rig_call(&r, &a);
    rig_call(&r, &b);
    /* Both used the permits reserved: neither waited for the window
     * (full with them) to roll. */
    EXPECT_LT_INT(b.sent_at - reserved, 30000);
    /* Used up: the next call waits for the gate again. */
    outbound_reserve_drop();
    rig_call(&r, &c);
    EXPECT_GE_INT(c.sent_at, a.sent_at + 60000);
    /* More calls than the gate's limit cannot be reserved; calls then go
     * one by one. */
    EXPECT_EQ_INT(outbound_reserve(&r.o, PRIO_NORMAL, 3), -1);
    outbound_reserve_drop();
    outbound_done(&first);
    outbound_done(&a);
    outbound_done(&b);
    outbound_done(&c);
    rig_down(&r);
}

TEST(gate, leaky_observe_and_pause)
{
    sclock clk;
    clock_init(&clk, 1000.0, -1);
    gate *g = gate_leaky(40, 2, &clk);
    /* The server says the bucket is full: the next call waits for a leak. */
    gate_observe(g, 40, 40);
    int64_t t0 = clock_now_ms(&clk);
    EXPECT_EQ_INT(gate_acquire(g, PRIO_NORMAL, 1), 0);
    EXPECT_GE_INT(clock_now_ms(&clk) - t0, 450); /* one unit leaks in 500 ms */
    gate_pause(g, 5000);
    t0 = clock_now_ms(&clk);
    EXPECT_EQ_INT(gate_acquire(g, PRIO_NORMAL, 1), 0);
    EXPECT_GE_INT(clock_now_ms(&clk) - t0, 4900);
    /* A cost larger than the bucket can never pass. */
    EXPECT_EQ_INT(gate_acquire(g, PRIO_NORMAL, 41), -1);
    gate_free(g);
}

/* ---- metrics ---------------------------------------------------------------- */

TEST(syncd_metrics, prometheus_text)
{
    metrics *m = metrics_new();
    metrics_inc(m, "syncd_api_calls_total{system=\"cin7\"}", 3);
    metrics_inc(m, "syncd_api_calls_total{system=\"shopify\"}", 2);
    metrics_set(m, "syncd_queue_depth", 7);
    metrics_set(m, "syncd_queue_depth", 5);
    for (int i = 1; i <= 100; i++)
        metrics_observe_ms(m, "syncd_ack_latency_ms", i);
    char *t = metrics_render(m);
    EXPECT_CONTAINS(t, "# TYPE syncd_api_calls_total counter\n"
                       "syncd_api_calls_total{system=\"cin7\"} 3\n"
                       "syncd_api_calls_total{system=\"shopify\"} 2\n");
    EXPECT_CONTAINS(t, "# TYPE syncd_queue_depth gauge\nsyncd_queue_depth 5\n");
    EXPECT_CONTAINS(t, "# TYPE syncd_ack_latency_ms summary\n");
    EXPECT_CONTAINS(t, "syncd_ack_latency_ms{quantile=\"0.5\"} 50.");
    EXPECT_CONTAINS(t, "syncd_ack_latency_ms{quantile=\"0.99\"} 99.");
    EXPECT_CONTAINS(t, "syncd_ack_latency_ms_count 100\n");
    EXPECT_EQ_INT(metrics_get(m, "syncd_api_calls_total{system=\"cin7\"}"), 3);
    free(t);
    metrics_free(m);
}

TEST(stockcache, newer_figures_win)
{
    stockcache *c = stockcache_new();
    stock_figures f = {10, 2, 8, 0, 0, 1000}, got;
    EXPECT_FALSE(stockcache_get(c, "SKU", "Main", &got));
    stockcache_put(c, "SKU", "Main", &f);
    EXPECT_TRUE(stockcache_get(c, "SKU", "Main", &got));
    EXPECT_EQ_INT(got.available, 8);
    stock_figures older = {99, 0, 99, 0, 0, 500};
    stockcache_put(c, "SKU", "Main", &older);
    stockcache_get(c, "SKU", "Main", &got);
    EXPECT_EQ_INT(got.available, 8);
    stock_figures newer = {10, 5, 5, 0, 0, 1500};
    stockcache_put(c, "SKU", "Main", &newer);
    stockcache_get(c, "SKU", "Main", &got);
    EXPECT_EQ_INT(got.available, 5);
    for (int i = 0; i < 2000; i++) {
        char sku[32];
        snprintf(sku, sizeof sku, "S%d", i);
        stock_figures x = {i, 0, i, 0, 0, 1};
        stockcache_put(c, sku, "Other", &x);
    }
    EXPECT_TRUE(stockcache_get(c, "S1999", "Other", &got));
    EXPECT_EQ_INT(got.available, 1999);
    EXPECT_EQ_INT(stockcache_full_read_at(c), 0);
    stockcache_set_full_read(c, 77);
    stockcache_set_full_read(c, 50);
    EXPECT_EQ_INT(stockcache_full_read_at(c), 77);
    stockcache_free(c);
}

TEST(syncd_config, seed_is_read_shown_and_checked)
{
    syncd_config c;
    json_err e;
    EXPECT_EQ_INT(config_load(NULL, NULL, 0, &c, &e), 0);
    EXPECT_EQ_INT(c.seed, -1); /* chosen at start */
    config_free(&c);
    const char *over[] = {"seed=42"};
    EXPECT_EQ_INT(config_load(NULL, over, 1, &c, &e), 0);
    EXPECT_EQ_INT(c.seed, 42);
    cJSON *j = config_to_json(&c);
    EXPECT_EQ_INT((int64_t)cJSON_GetObjectItemCaseSensitive(j, "seed")->valuedouble, 42);
    cJSON_Delete(j);
    config_free(&c);
    const char *bad[] = {"seed=-3"};
    EXPECT_EQ_INT(config_load(NULL, bad, 1, &c, &e), -1);
    EXPECT_CONTAINS(e.msg, "$.seed");
}

/* Each thread's jitter: a stream of the run's seed, so the same seed and
 * thread order give the same draws. */
static void *first_draw(void *arg)
{
    *(uint64_t *)arg = rng_next(outbound_rng());
    return NULL;
}

TEST(outbound, jitter_streams_come_from_the_seed)
{
    outbound_seed(1234);
    uint64_t a = 0, b = 0;
    pthread_t t;
    pthread_create(&t, NULL, first_draw, &a);
    pthread_join(t, NULL);
    pthread_create(&t, NULL, first_draw, &b);
    pthread_join(t, NULL);
    EXPECT_TRUE(a != b); /* two threads, two streams */
    /* Each is one of the seed's streams (the counter is process-wide). */
    int found_a = 0, found_b = 0;
    for (uint64_t s = 1; s < 4096; s++) {
        rng r;
        rng_derive(&r, 1234, s);
        uint64_t v = rng_next(&r);
        found_a |= v == a;
        found_b |= v == b;
    }
    EXPECT_TRUE(found_a && found_b);
}

/* The instance's name among those sharing a store: "<hostname>:<pid>"
 * unless given; a given one is kept whole or refused with its path, as
 * is a claim_ttl that is not positive. */
TEST(syncd_config, instance_name_and_claim_ttl)
{
    syncd_config c;
    json_err e;
    EXPECT_EQ_INT(config_load(NULL, NULL, 0, &c, &e), 0);
    char pid[32];
    snprintf(pid, sizeof pid, ":%ld", (long)getpid());
    EXPECT_TRUE(strlen(c.instance) > strlen(pid));
    EXPECT_EQ_STR(c.instance + strlen(c.instance) - strlen(pid), pid);
    EXPECT_EQ_INT(c.claim_ttl_ms, 30000);
    config_free(&c);

    const char *given[] = {"instance=\"eu-1 (rack 4)\"", "claim_ttl=\"5s\""};
    if (config_load(NULL, given, 2, &c, &e) != 0)
        test_fail(__FILE__, __LINE__, "%s", e.msg);
    EXPECT_EQ_STR(c.instance, "eu-1 (rack 4)");
    EXPECT_EQ_INT(c.claim_ttl_ms, 5000);
    cJSON *j = config_to_json(&c);
    EXPECT_EQ_STR(cJSON_GetObjectItemCaseSensitive(j, "instance")->valuestring, "eu-1 (rack 4)");
    cJSON_Delete(j);
    config_free(&c);

    char longest[202];
    memset(longest, 'i', 201);
    longest[201] = '\0';
    char *too_long = xasprintf("instance=\"%s\"", longest);
    static const struct {
        const char *over;
        const char *want;
    } bad[] = {
        {"instance=\"\"", "$.instance: expected 1 to 200 characters, got 0"},
        {"instance=\"a\\tb\"", "$.instance: control character at offset 1"},
        {"instance=7", "$.instance: expected a string"},
        {"claim_ttl=0", "$.claim_ttl: must be more than 0"},
        {"claim_ttl=\"later\"", "$.claim_ttl: bad duration"},
        {NULL, "$.instance: expected 1 to 200 characters, got 201"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *over[] = {bad[i].over ? bad[i].over : too_long};
        if (config_load(NULL, over, 1, &c, &e) == 0)
            test_fail(__FILE__, __LINE__, "%s accepted", over[0]);
        EXPECT_CONTAINS(e.msg, bad[i].want);
    }
    free(too_long);
}

/* How long the store keeps what housekeeping may remove: 30 days unless
 * given, 0 to keep everything, never negative. */
TEST(syncd_config, retention)
{
    syncd_config c;
    json_err e;
    EXPECT_EQ_INT(config_load(NULL, NULL, 0, &c, &e), 0);
    EXPECT_EQ_INT(c.retention_ms, 30LL * 86400000);
    config_free(&c);
    const char *given[] = {"retention=\"90d\""};
    if (config_load(NULL, given, 1, &c, &e) != 0)
        test_fail(__FILE__, __LINE__, "%s", e.msg);
    EXPECT_EQ_INT(c.retention_ms, 90LL * 86400000);
    cJSON *j = config_to_json(&c);
    EXPECT_EQ_INT((int64_t)cJSON_GetObjectItemCaseSensitive(j, "retention")->valuedouble,
                  90LL * 86400000);
    cJSON_Delete(j);
    config_free(&c);
    const char *off[] = {"retention=0"};
    if (config_load(NULL, off, 1, &c, &e) != 0)
        test_fail(__FILE__, __LINE__, "%s", e.msg);
    EXPECT_EQ_INT(c.retention_ms, 0);
    config_free(&c);
    const char *bad[] = {"retention=-5"};
    EXPECT_EQ_INT(config_load(NULL, bad, 1, &c, &e), -1);
    EXPECT_CONTAINS(e.msg, "$.retention");
}

/* ---- gates sharing a budget through the store (gate_share) ------------------
 * Two gates on one store stand for two instances; the store is SQLite
 * here (the API is the same on PostgreSQL, where syncd shares). */

static store *shared_store(void)
{
    char path[512], err[256] = "";
    snprintf(path, sizeof path, "%s/limits.db", test_tmp_dir());
    store *s = NULL;
    if (store_open(path, NULL, &s, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "store_open %s: %s", path, err);
    return s;
}

/* Two gates standing for two instances, sharing budget name of one store
 * (returned; end_shared frees all three). */
static store *share_two(gate *a, gate *b, const char *name)
{
    store *s = shared_store();
    gate_share(a, s, name);
    gate_share(b, s, name);
    return s;
}

static void end_shared(gate *a, gate *b, store *s)
{
    gate_free(a);
    gate_free(b);
    store_close(s);
}

TEST(gate, gates_sharing_a_budget_count_each_others_calls)
{
    sclock clk;
    clock_init(&clk, 100.0, -1); /* a simulated minute is 600 real ms */
    gate *a = gate_window(3, 60000, &clk), *b = gate_window(3, 60000, &clk);
    store *s = share_two(a, b, "cin7:e2e");
    int64_t t0 = clock_now_ms(&clk);
    EXPECT_EQ_INT(gate_acquire(a, PRIO_NORMAL, 1), 0);
    EXPECT_EQ_INT(gate_acquire(a, PRIO_NORMAL, 1), 0);
    EXPECT_EQ_INT(gate_acquire(b, PRIO_NORMAL, 1), 0);
    /* The budget holds the three calls of both gates. */
    int64_t wait = 0;
    EXPECT_EQ_INT(store_limit_take_call(s, "cin7:e2e", 3, 60000, 0, clock_now_ms(&clk), &wait, NULL),
                  0);
    EXPECT_GT_INT(wait, 0);
    /* Each gate alone would let a fourth call go; shared, it waits for
     * the window to roll past the first. */
    EXPECT_EQ_INT(gate_acquire(b, PRIO_NORMAL, 1), 0);
    EXPECT_GE_INT(clock_now_ms(&clk) - t0, 60000);
    /* A pause one gate is asked for holds the other too. */
    int64_t t1 = clock_now_ms(&clk);
    gate_pause(a, 30000);
    EXPECT_EQ_INT(gate_acquire(b, PRIO_NORMAL, 1), 0);
    EXPECT_GE_INT(clock_now_ms(&clk) - t1, 30000);
    end_shared(a, b, s);
}

TEST(gate, a_paced_gate_adopts_the_rate_another_stored)
{
    sclock clk;
    clock_init(&clk, 100.0, -1);
    pace_config pc = {4, 1, 2, 0.5, 60000};
    gate *a = gate_paced(&pc, &clk), *b = gate_paced(&pc, &clk);
    store *s = share_two(a, b, "cin7:e2e");
    EXPECT_EQ_INT(gate_acquire(a, PRIO_NORMAL, 1), 0);
    double rate = 0;
    EXPECT_EQ_INT(gate_answer(a, PACE_LIMITED, &rate), PACE_CUT_DOWN);
    EXPECT_NEAR(rate, 2, 1e-9);
    store_limit st;
    EXPECT_EQ_INT(store_limit_get(s, "cin7:e2e", &st), 0);
    EXPECT_NEAR(st.rate, 2, 1e-9);
    /* b learns the cut with its next permit, and takes it for its own:
     * its refusals within the window are held, not a second cut. */
    EXPECT_EQ_INT(gate_acquire(b, PRIO_NORMAL, 1), 0);
    EXPECT_EQ_INT(gate_answer(b, PACE_CLEAN, &rate), PACE_KEPT);
    EXPECT_NEAR(rate, 2, 1e-9);
    EXPECT_EQ_INT(gate_answer(b, PACE_LIMITED, &rate), PACE_HELD);
    EXPECT_NEAR(rate, 2, 1e-9);
    end_shared(a, b, s);
}

TEST(gate, leaky_gates_sharing_a_bucket_follow_the_server_level_either_saw)
{
    sclock clk;
    clock_init(&clk, 100.0, -1);
    gate *a = gate_leaky(40, 2, &clk), *b = gate_leaky(40, 2, &clk);
    store *s = share_two(a, b, "shopify:demo");
    /* The server told a that the bucket is full (at t0 or a little
     * later, once the store has it): b waits for a leak. */
    int64_t t0 = clock_now_ms(&clk);
    gate_observe(a, 40, 40);
    EXPECT_EQ_INT(gate_acquire(b, PRIO_NORMAL, 1), 0);
    EXPECT_GE_INT(clock_now_ms(&clk) - t0, 450); /* one unit leaks in 500 ms */
    /* More than the bucket holds never passes. */
    EXPECT_EQ_INT(gate_acquire(a, PRIO_NORMAL, 41), -1);
    /* b's take is in the shared bucket: set after a's observation, and
     * holding at least its own unit. */
    store_limit st;
    EXPECT_EQ_INT(store_limit_get(s, "shopify:demo", &st), 0);
    EXPECT_GE_INT(st.at, t0);
    EXPECT_GE_INT((int64_t)(st.level * 1000), 1000);
    end_shared(a, b, s);
}

/* An Advanced sale read back (GET sale): one shipment per fulfilment whose
 * Ship is authorised, with its own TaskID, units and tracking number; the
 * order's lines keep their backorders whatever shipped. */
TEST(fulfil_read, an_advanced_sale_has_a_shipment_per_authorised_fulfilment)
{
    const char *doc =
        "{\"ID\":\"S1\",\"Status\":\"BACKORDERED\",\"FulFilmentStatus\":\"PARTIALLY FULFILLED\","
        "\"CombinedTrackingNumbers\":\"T1\",\"CustomerReference\":\"42\","
        "\"Order\":{\"SaleOrderNumber\":\"SO-1\",\"Lines\":["
        "{\"SKU\":\"A\",\"Quantity\":5,\"BackorderQuantity\":2},{\"SKU\":\"B\",\"Quantity\":1}]},"
        "\"Fulfilments\":["
        "{\"TaskID\":\"F1\",\"FulfillmentNumber\":1,"
        " \"Pack\":{\"Lines\":[{\"SKU\":\"A\",\"Quantity\":2},{\"SKU\":\"B\",\"Quantity\":1}]},"
        " \"Ship\":{\"Status\":\"AUTHORISED\",\"Lines\":[{\"TrackingNumber\":\"T1\",\"Carrier\":\"C\"}]}},"
        "{\"TaskID\":\"F2\",\"FulfillmentNumber\":2,"
        " \"Pick\":{\"Lines\":[{\"SKU\":\"A\",\"Quantity\":1}]},"
        " \"Ship\":{\"Status\":\"AUTHORISED\",\"Lines\":[{\"TrackingNumber\":\"T2\"}]}},"
        "{\"TaskID\":\"F3\",\"FulfillmentNumber\":3,"
        " \"Pack\":{\"Lines\":[{\"SKU\":\"A\",\"Quantity\":2}]},\"Ship\":{\"Status\":\"DRAFT\"}}]}";
    cJSON *v = cJSON_Parse(doc);
    EXPECT_TRUE(v != NULL);
    fulfil_sale_info s;
    fulfil_sale_read(v, &s);
    cJSON_Delete(v);
    EXPECT_EQ_INT(s.n, 2);
    EXPECT_EQ_STR(s.lines[0].sku, "A");
    EXPECT_EQ_INT(s.lines[0].quantity, 5);
    EXPECT_EQ_INT(s.lines[0].backordered, 2);
    EXPECT_EQ_INT(s.lines[1].backordered, 0);
    EXPECT_EQ_INT(s.n_ships, 2); /* F3's shipment is still a draft */
    EXPECT_EQ_STR(s.ships[0].task, "F1");
    EXPECT_EQ_STR(s.ships[0].tracking, "T1");
    EXPECT_EQ_STR(s.ships[0].carrier, "C");
    EXPECT_EQ_INT(s.ships[0].n, 2);
    EXPECT_EQ_INT(s.ships[0].lines[0].quantity, 2);
    EXPECT_EQ_INT(s.ships[0].lines[1].quantity, 1);
    EXPECT_EQ_STR(s.ships[1].task, "F2");
    EXPECT_EQ_STR(s.ships[1].tracking, "T2");
    EXPECT_TRUE(s.ships[1].carrier == NULL);
    EXPECT_EQ_INT(s.ships[1].n, 1); /* no pack lines: the pick's */
    EXPECT_EQ_STR(s.ships[1].lines[0].sku, "A");
    EXPECT_EQ_INT(s.ships[1].lines[0].quantity, 1);
    fulfil_sale_info_free(&s);
}

TEST(syncd_config, notify_customer_is_on_unless_a_shop_turns_it_off)
{
    syncd_config c;
    json_err e;
    const char *over[] = {"shops[0].notify_customer=false"};
    EXPECT_EQ_INT(config_load(NULL, NULL, 0, &c, &e), 0);
    EXPECT_EQ_INT(c.shops[0].notify_customer, 1);
    config_free(&c);
    EXPECT_EQ_INT(config_load(NULL, over, 1, &c, &e), 0);
    EXPECT_EQ_INT(c.shops[0].notify_customer, 0);
    config_free(&c);
    const char *bad[] = {"shops[0].notify_customer=\"yes\""};
    EXPECT_EQ_INT(config_load(NULL, bad, 1, &c, &e), -1);
    EXPECT_TRUE(strstr(e.msg, "$.shops[0].notify_customer") != NULL);
}
