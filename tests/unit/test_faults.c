/* Fault plans: parsing and its errors, windows, targets, probabilities and
 * their reproducibility, distributions, ordering, deliveries, threads. */
#include "../runner.h"

#include "faults.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static fault_plan *plan_seeded(const char *json, uint64_t seed)
{
    fault_plan *p = NULL;
    json_err e = {""};
    if (faults_parse_text(json, strlen(json), seed, &p, &e) != 0)
        test_fail(__FILE__, __LINE__, "plan rejected: %s\n  plan: %s", e.msg, json);
    return p;
}

static fault_plan *plan(const char *json)
{
    return plan_seeded(json, 1);
}

static fault_decision decide(fault_plan *p, const char *method, const char *path, int64_t now)
{
    fault_decision d;
    faults_decide(p, method, path, now, &d);
    return d;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

TEST(faults, parse_every_kind_with_defaults)
{
    fault_plan *p = plan("[{\"kind\":\"status\"},{\"kind\":\"latency\",\"ms\":5},"
                         "{\"kind\":\"timeout\"},{\"kind\":\"reset\"},{\"kind\":\"malformed\"},"
                         "{\"kind\":\"outage\"},{\"kind\":\"throttle\",\"limit\":3},"
                         "{\"kind\":\"duplicate\"},{\"kind\":\"delay\",\"min\":1,\"max\":2},"
                         "{\"kind\":\"reorder\",\"window\":\"10s\"},{\"kind\":\"drop\"}]");
    EXPECT_EQ_INT(faults_count(p), 11);
    cJSON *j = faults_to_json(p);
    char *s = json_print(j);
    EXPECT_EQ_STR(s, "["
                     "{\"kind\":\"status\",\"target\":\"*\",\"at\":0,\"probability\":1,\"status\":500},"
                     "{\"kind\":\"latency\",\"target\":\"*\",\"at\":0,\"probability\":1,\"ms\":5},"
                     "{\"kind\":\"timeout\",\"target\":\"*\",\"at\":0,\"probability\":1,\"hold\":60000,\"applied\":false},"
                     "{\"kind\":\"reset\",\"target\":\"*\",\"at\":0,\"probability\":1,\"applied\":false},"
                     "{\"kind\":\"malformed\",\"target\":\"*\",\"at\":0,\"probability\":1,\"mode\":\"truncated\"},"
                     "{\"kind\":\"outage\",\"target\":\"*\",\"at\":0,\"probability\":1,\"status\":503},"
                     "{\"kind\":\"throttle\",\"target\":\"*\",\"at\":0,\"probability\":1,\"limit\":3},"
                     "{\"kind\":\"duplicate\",\"target\":\"*\",\"at\":0,\"probability\":1,\"copies\":1},"
                     "{\"kind\":\"delay\",\"target\":\"*\",\"at\":0,\"probability\":1,\"min\":1,\"max\":2},"
                     "{\"kind\":\"reorder\",\"target\":\"*\",\"at\":0,\"probability\":1,\"window\":10000},"
                     "{\"kind\":\"drop\",\"target\":\"*\",\"at\":0,\"probability\":1}"
                     "]");
    free(s);
    cJSON_Delete(j);
    faults_free(p);

    /* The defaults as decisions: status 500 with a JSON body, outage 503,
     * timeout holding 60 s, malformed truncating. */
    p = plan("[{\"kind\":\"status\"}]");
    fault_decision d = decide(p, "GET", "/x", 0);
    EXPECT_EQ_INT(d.action, FAULT_STATUS);
    EXPECT_EQ_INT(d.status, 500);
    EXPECT_CONTAINS(d.body, "\"status\":500");
    EXPECT_EQ_INT(d.rule, 0);
    faults_free(p);
    p = plan("[{\"kind\":\"outage\"}]");
    d = decide(p, "GET", "/x", 0);
    EXPECT_EQ_INT(d.action, FAULT_OUTAGE);
    EXPECT_EQ_INT(d.status, 503);
    EXPECT_CONTAINS(d.body, "outage");
    faults_free(p);
    p = plan("[{\"kind\":\"timeout\"}]");
    d = decide(p, "GET", "/x", 0);
    EXPECT_EQ_INT(d.action, FAULT_TIMEOUT);
    EXPECT_EQ_INT(d.hold_ms, 60000);
    faults_free(p);
    p = plan("[{\"kind\":\"malformed\"}]");
    d = decide(p, "GET", "/x", 0);
    EXPECT_EQ_INT(d.action, FAULT_MALFORMED);
    EXPECT_EQ_INT(d.malformed_invalid, 0);
    faults_free(p);
    p = plan("[{\"kind\":\"reset\"}]");
    EXPECT_EQ_INT(decide(p, "GET", "/x", 0).action, FAULT_RESET);
    EXPECT_EQ_INT(decide(p, "GET", "/x", 0).applied, 0);
    faults_free(p);
    /* applied: the request is carried out, only its answer is lost. */
    p = plan("[{\"kind\":\"reset\",\"applied\":true},{\"kind\":\"timeout\",\"target\":\"/t\","
             "\"hold\":\"5s\",\"applied\":true}]");
    d = decide(p, "GET", "/x", 0);
    EXPECT_EQ_INT(d.action, FAULT_RESET);
    EXPECT_EQ_INT(d.applied, 1);
    faults_free(p);
    p = plan("[{\"kind\":\"timeout\",\"hold\":\"5s\",\"applied\":true}]");
    d = decide(p, "GET", "/x", 0);
    EXPECT_EQ_INT(d.action, FAULT_TIMEOUT);
    EXPECT_EQ_INT(d.hold_ms, 5000);
    EXPECT_EQ_INT(d.applied, 1);
    faults_free(p);
    p = plan("[{\"kind\":\"status\",\"status\":429,\"body\":\"{\\\"errors\\\":\\\"slow\\\"}\"}]");
    d = decide(p, "GET", "/x", 0);
    EXPECT_EQ_INT(d.status, 429);
    EXPECT_EQ_STR(d.body, "{\"errors\":\"slow\"}");
    faults_free(p);

    /* An empty plan is valid (it clears the faults); NULL plans decide nothing. */
    p = plan("[]");
    EXPECT_EQ_INT(faults_count(p), 0);
    EXPECT_EQ_INT(decide(p, "GET", "/x", 0).action, FAULT_NONE);
    faults_free(p);
    d = decide(NULL, "GET", "/x", 0);
    EXPECT_EQ_INT(d.action, FAULT_NONE);
    EXPECT_EQ_INT(d.rule, -1);
    EXPECT_EQ_INT(faults_count(NULL), 0);
    faults_free(NULL);
}

TEST(faults, errors_name_path_and_reason)
{
    static const struct {
        const char *plan, *want;
    } cases[] = {
        {"[{\"kind\":\"explode\"}]",
         "$[0].kind: unknown fault kind \"explode\" (known: status, latency, timeout, reset, "
         "malformed, outage, throttle, duplicate, delay, reorder, drop)"},
        {"[{\"kind\":\"reset\"},{\"kind\":\"drop\"},{\"kind\":\"explode\"}]",
         "$[2].kind: unknown fault kind \"explode\""},
        {"[{\"kind\":\"status\",\"colour\":\"red\"}]",
         "$[0].colour: unknown field (known: kind, target, at, for, probability, name, status, body)"},
        /* A field of another kind is unknown too, not silently ignored. */
        {"[{\"kind\":\"status\",\"ms\":5}]", "$[0].ms: unknown field"},
        {"[{\"kind\":\"reset\",\"status\":500}]", "$[0].status: unknown field"},
        {"[{\"kind\":\"reset\",\"applied\":\"yes\"}]", "$[0].applied"},
        {"[{\"kind\":\"status\",\"applied\":true}]", "$[0].applied: unknown field"},
        {"[{}]", "$[0].kind: required field is missing"},
        {"[{\"kind\":5}]", "$[0].kind: expected a string, got a number"},
        {"[42]", "$[0]: expected a fault object, got a number"},
        {"{\"faults\":[]}", "$: expected an array of faults, got an object"},
        {"[{\"kind\":\"status\",\"status\":\"500\"}]", "$[0].status: expected a number, got a string"},
        {"[{\"kind\":\"status\",\"status\":600}]", "$[0].status: 600 is out of range [100, 599]"},
        {"[{\"kind\":\"status\",\"status\":500.5}]", "$[0].status: expected an integer"},
        {"[{\"kind\":\"status\",\"name\":7}]", "$[0].name: expected a string, got a number"},
        {"[{\"kind\":\"status\",\"target\":[\"/x\"]}]", "$[0].target: expected a string, got an array"},
        {"[{\"kind\":\"latency\",\"ms\":\"5 minutes\"}]", "$[0].ms: "},
        {"[{\"kind\":\"status\",\"at\":\"soon\"}]", "$[0].at: "},
        {"[{\"kind\":\"status\",\"at\":-5}]", "$[0].at: expected a non-negative duration"},
        {"[{\"kind\":\"status\",\"for\":\"5x\"}]", "$[0].for: "},
        {"[{\"kind\":\"status\",\"for\":true}]", "$[0].for: expected a duration"},
        {"[{\"kind\":\"status\",\"for\":0}]", "$[0].for: an empty window never fires"},
        {"[{\"kind\":\"status\",\"probability\":1.5}]", "$[0].probability: 1.5 is out of range [0, 1]"},
        {"[{\"kind\":\"status\",\"probability\":-0.1}]", "$[0].probability: -0.1 is out of range [0, 1]"},
        {"[{\"kind\":\"status\",\"probability\":\"half\"}]", "$[0].probability: expected a number"},
        {"[{\"kind\":\"latency\"}]",
         "$[0]: latency needs one of ms, min+max (uniform) or median+p99 (lognormal)"},
        {"[{\"kind\":\"latency\",\"ms\":5,\"min\":1,\"max\":9}]",
         "$[0]: latency takes exactly one of ms, min+max or median+p99, got ms and min/max"},
        {"[{\"kind\":\"delay\",\"min\":1,\"max\":9,\"median\":3,\"p99\":5}]",
         "$[0]: delay takes exactly one of ms, min+max or median+p99, got min/max and median/p99"},
        {"[{\"kind\":\"latency\",\"min\":5}]", "$[0].max: required with min"},
        {"[{\"kind\":\"latency\",\"p99\":5}]", "$[0].median: required with p99"},
        {"[{\"kind\":\"latency\",\"min\":50,\"max\":10}]", "$[0].max: 10 ms is below min (50 ms)"},
        {"[{\"kind\":\"latency\",\"median\":0,\"p99\":10}]", "$[0].median: expected a positive duration"},
        {"[{\"kind\":\"delay\",\"median\":\"1s\",\"p99\":500}]", "$[0].p99: 500 ms is below median (1000 ms)"},
        {"[{\"kind\":\"latency\",\"ms\":\"31d\"}]", "$[0].ms: 2678400000 ms is longer than the 30-day limit"},
        {"[{\"kind\":\"outage\",\"probability\":0.5}]",
         "$[0].probability: outage applies to every request in its window; probability must be 1 "
         "(or omitted), got 0.5"},
        {"[{\"kind\":\"throttle\",\"limit\":5,\"probability\":0.1}]", "$[0].probability: throttle applies"},
        {"[{\"kind\":\"throttle\"}]", "$[0].limit: required field is missing"},
        {"[{\"kind\":\"throttle\",\"limit\":0}]", "$[0].limit: 0 is out of range"},
        {"[{\"kind\":\"malformed\",\"mode\":\"garbled\"}]",
         "$[0].mode: expected \"truncated\" or \"invalid\", got \"garbled\""},
        {"[{\"kind\":\"timeout\",\"hold\":0}]", "$[0].hold: expected a positive duration"},
        {"[{\"kind\":\"duplicate\",\"copies\":0}]", "$[0].copies: 0 is out of range [1, 100]"},
        {"[{\"kind\":\"reorder\"}]", "$[0].window: required field is missing"},
        {"[{\"kind\":\"status\",\"target\":\"sale\"}]", "$[0].target: expected \"*\", a path glob"},
        {"[{\"kind\":\"status\",\"target\":\"P0ST /x\"}]", "$[0].target: \"P0ST\" is not an HTTP method"},
        {"[{\"kind\":\"status\",\"target\":\"/x?a=1\"}]", "$[0].target: '?' is not allowed"},
        {"[{\"kind\":\"duplicate\",\"target\":\"POST /webhooks\"}]",
         "$[0].target: expected a webhook topic glob"},
        {"[{\"kind\":\"drop\",\"target\":\"\"}]", "$[0].target: expected a webhook topic glob"},
        {"[{\"kind\":\"status\"", "line 1, column"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        static char sentinel;
        fault_plan *p = (fault_plan *)(void *)&sentinel; /* must be reset to NULL */
        json_err e = {""};
        int rc = faults_parse_text(cases[i].plan, strlen(cases[i].plan), 1, &p, &e);
        if (rc == 0)
            test_fail(__FILE__, __LINE__, "accepted: %s", cases[i].plan);
        EXPECT_EQ_INT(rc, -1);
        EXPECT_TRUE(p == NULL);
        if (strncmp(e.msg, cases[i].want, strlen(cases[i].want)) != 0)
            test_fail(__FILE__, __LINE__, "plan %s\n  error: %s\n   want: %s...", cases[i].plan,
                      e.msg, cases[i].want);
    }
    /* A bad duration string keeps the clock's reason after the path. */
    json_err e;
    fault_plan *p;
    const char *bad = "[{\"kind\":\"latency\",\"ms\":\"5x\"}]";
    EXPECT_EQ_INT(faults_parse_text(bad, strlen(bad), 1, &p, &e), -1);
    EXPECT_CONTAINS(e.msg, "unknown unit \"x\"");
}

TEST(faults, window_edges)
{
    fault_plan *p = plan("[{\"kind\":\"status\",\"at\":\"1s\",\"for\":\"2s\"}]");
    EXPECT_EQ_INT(decide(p, "GET", "/x", 0).action, FAULT_NONE);
    EXPECT_EQ_INT(decide(p, "GET", "/x", 999).action, FAULT_NONE);
    EXPECT_EQ_INT(decide(p, "GET", "/x", 1000).action, FAULT_STATUS); /* at is inside */
    EXPECT_EQ_INT(decide(p, "GET", "/x", 2999).action, FAULT_STATUS);
    EXPECT_EQ_INT(decide(p, "GET", "/x", 3000).action, FAULT_NONE); /* at+for is not */
    EXPECT_EQ_INT(decide(p, "GET", "/x", 1000000).action, FAULT_NONE);
    faults_free(p);

    /* No "for": from at on, for ever. */
    p = plan("[{\"kind\":\"reset\",\"at\":5000}]");
    EXPECT_EQ_INT(decide(p, "GET", "/x", 4999).action, FAULT_NONE);
    EXPECT_EQ_INT(decide(p, "GET", "/x", 5000).action, FAULT_RESET);
    EXPECT_EQ_INT(decide(p, "GET", "/x", INT64_MAX / 2).action, FAULT_RESET);
    faults_free(p);

    /* Deliveries and throttles use the same window. */
    p = plan("[{\"kind\":\"drop\",\"at\":\"1m\",\"for\":\"1m\"},"
             "{\"kind\":\"throttle\",\"limit\":7,\"at\":\"1m\",\"for\":\"1m\"}]");
    fault_delivery dd;
    faults_decide_delivery(p, "orders/paid", 59999, &dd);
    EXPECT_EQ_INT(dd.drop, 0);
    faults_decide_delivery(p, "orders/paid", 60000, &dd);
    EXPECT_EQ_INT(dd.drop, 1);
    faults_decide_delivery(p, "orders/paid", 120000, &dd);
    EXPECT_EQ_INT(dd.drop, 0);
    EXPECT_EQ_INT(faults_throttle(p, "GET", "/x", 59999), -1);
    EXPECT_EQ_INT(faults_throttle(p, "GET", "/x", 60000), 7);
    EXPECT_EQ_INT(faults_throttle(p, "GET", "/x", 120000), -1);
    faults_free(p);
}

TEST(faults, target_matching)
{
    fault_plan *p = plan("[{\"kind\":\"status\",\"status\":501,\"target\":\"POST /ExternalApi/v2/sale*\"},"
                         "{\"kind\":\"status\",\"status\":502,"
                         "\"target\":\"GET /admin/api/*/inventory_levels.json\"},"
                         "{\"kind\":\"status\",\"status\":503,\"target\":\"/only/this\"},"
                         "{\"kind\":\"status\",\"status\":504,\"target\":\"put /lower\"}]");
    EXPECT_EQ_INT(decide(p, "POST", "/ExternalApi/v2/sale", 0).status, 501);
    EXPECT_EQ_INT(decide(p, "POST", "/ExternalApi/v2/saleList?Page=2", 0).status, 501);
    EXPECT_EQ_INT(decide(p, "GET", "/ExternalApi/v2/sale", 0).action, FAULT_NONE);
    EXPECT_EQ_INT(decide(p, "POST", "/ExternalApi/v2/purchase", 0).action, FAULT_NONE);

    EXPECT_EQ_INT(decide(p, "GET", "/admin/api/2024-01/inventory_levels.json", 0).status, 502);
    /* The query string is not part of the path. */
    EXPECT_EQ_INT(decide(p, "GET", "/admin/api/2024-01/inventory_levels.json?location_ids=1", 0).status,
                  502);
    /* '*' crosses '/' (fnmatch without FNM_PATHNAME). */
    EXPECT_EQ_INT(decide(p, "GET", "/admin/api/2024-01/x/inventory_levels.json", 0).status, 502);
    EXPECT_EQ_INT(decide(p, "POST", "/admin/api/2024-01/inventory_levels.json", 0).action, FAULT_NONE);
    EXPECT_EQ_INT(decide(p, "GET", "/admin/api/2024-01/inventory_levels.json.bak", 0).action,
                  FAULT_NONE);

    /* No method: any method. A glob without '*' is the exact path. */
    EXPECT_EQ_INT(decide(p, "PUT", "/only/this", 0).status, 503);
    EXPECT_EQ_INT(decide(p, "DELETE", "/only/this?x=1", 0).status, 503);
    EXPECT_EQ_INT(decide(p, "GET", "/only/this/not", 0).action, FAULT_NONE);
    EXPECT_EQ_INT(decide(p, "GET", "/only/thi", 0).action, FAULT_NONE);

    /* A method written in lower case in the plan matches the request's. */
    EXPECT_EQ_INT(decide(p, "PUT", "/lower", 0).status, 504);
    EXPECT_EQ_INT(decide(p, "GET", "/lower", 0).action, FAULT_NONE);
    cJSON *j = faults_to_json(p);
    EXPECT_EQ_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 3), "target")->valuestring, "PUT /lower");
    cJSON_Delete(j);
    faults_free(p);

    /* "*" matches every route, with or without a method given. */
    p = plan("[{\"kind\":\"reset\",\"target\":\"*\"},{\"kind\":\"status\",\"target\":\"GET *\"}]");
    EXPECT_EQ_INT(decide(p, "DELETE", "/anything/at/all?x=1", 0).action, FAULT_RESET);
    EXPECT_EQ_INT(decide(p, "GET", "/", 0).action, FAULT_RESET);
    EXPECT_EQ_INT(faults_fired(p, 1), 0);
    faults_free(p);
    p = plan("[{\"kind\":\"status\",\"target\":\"GET *\"}]");
    EXPECT_EQ_INT(decide(p, "GET", "/a/b", 0).action, FAULT_STATUS);
    EXPECT_EQ_INT(decide(p, "HEAD", "/a/b", 0).action, FAULT_NONE);
    faults_free(p);
}

enum { PROB_N = 20000 };

static void fire_sequence(fault_plan *p, unsigned char *fired, int n)
{
    for (int i = 0; i < n; i++)
        fired[i] = decide(p, "GET", "/x", 0).action != FAULT_NONE;
}

TEST(faults, probability_is_reproducible_per_seed)
{
    const char *json = "[{\"kind\":\"status\",\"probability\":0.3}]";
    static unsigned char a[PROB_N], b[PROB_N], c[PROB_N];
    fault_plan *p = plan_seeded(json, 42);
    fire_sequence(p, a, PROB_N);
    int n = 0;
    for (int i = 0; i < PROB_N; i++)
        n += a[i];
    EXPECT_NEAR((double)n / PROB_N, 0.3, 0.02);
    EXPECT_EQ_INT(faults_fired(p, 0), n);
    faults_free(p);

    p = plan_seeded(json, 42);
    fire_sequence(p, b, PROB_N);
    EXPECT_TRUE(memcmp(a, b, sizeof a) == 0);
    faults_free(p);

    p = plan_seeded(json, 43);
    fire_sequence(p, c, PROB_N);
    int differ = 0;
    for (int i = 0; i < PROB_N; i++)
        differ += a[i] != c[i];
    /* Independent sequences at p = 0.3 differ in about 42% of places. */
    EXPECT_GT_INT(differ, PROB_N / 4);
    faults_free(p);

    /* Probabilities 0 and 1 are exact. */
    p = plan("[{\"kind\":\"status\",\"probability\":0},{\"kind\":\"reset\",\"probability\":1}]");
    for (int i = 0; i < 1000; i++)
        EXPECT_EQ_INT(decide(p, "GET", "/x", 0).action, FAULT_RESET);
    EXPECT_EQ_INT(faults_fired(p, 0), 0);
    faults_free(p);
}

TEST(faults, rules_are_independent_of_other_routes)
{
    const char *json = "[{\"kind\":\"status\",\"target\":\"/a\",\"probability\":0.5},"
                       "{\"kind\":\"latency\",\"target\":\"/a\",\"min\":0,\"max\":1000},"
                       "{\"kind\":\"status\",\"status\":502,\"target\":\"/b\",\"probability\":0.5},"
                       "{\"kind\":\"latency\",\"target\":\"/b\",\"median\":10,\"p99\":100}]";
    enum { N = 2000 };
    static fault_decision alone[N], mixed[N];
    fault_plan *p = plan_seeded(json, 7);
    for (int i = 0; i < N; i++)
        alone[i] = decide(p, "GET", "/a", i);
    faults_free(p);

    p = plan_seeded(json, 7);
    uint64_t x = 12345;
    int b_fired = 0;
    for (int i = 0; i < N; i++) {
        /* 0 to 3 requests to /b before each request to /a. */
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        for (int k = 0; k < (int)(x >> 62); k++)
            b_fired += decide(p, "POST", "/b", i).action == FAULT_STATUS;
        mixed[i] = decide(p, "GET", "/a", i);
    }
    EXPECT_GT_INT(b_fired, 0);
    for (int i = 0; i < N; i++) {
        EXPECT_EQ_INT(mixed[i].action, alone[i].action);
        EXPECT_EQ_INT(mixed[i].delay_ms, alone[i].delay_ms);
    }
    faults_free(p);

    /* A rule's draws do not depend on whether an earlier rule fired either:
     * with the status rule never firing, the latencies stay the same. */
    p = plan_seeded("[{\"kind\":\"status\",\"target\":\"/a\",\"probability\":0},"
                    "{\"kind\":\"latency\",\"target\":\"/a\",\"min\":0,\"max\":1000}]",
                    7);
    for (int i = 0; i < N; i++)
        EXPECT_EQ_INT(decide(p, "GET", "/a", i).delay_ms, alone[i].delay_ms);
    faults_free(p);
}

TEST(faults, latency_distributions)
{
    fault_plan *p = plan("[{\"kind\":\"latency\",\"ms\":\"250ms\"}]");
    for (int i = 0; i < 100; i++) {
        fault_decision d = decide(p, "GET", "/x", i);
        EXPECT_EQ_INT(d.delay_ms, 250);
        EXPECT_EQ_INT(d.action, FAULT_NONE);
        EXPECT_EQ_INT(d.rule, -1);
    }
    faults_free(p);

    enum { N = 50000 };
    static int64_t v[N];
    p = plan("[{\"kind\":\"latency\",\"min\":100,\"max\":\"200ms\"}]");
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    double sum = 0;
    for (int i = 0; i < N; i++) {
        int64_t ms = decide(p, "GET", "/x", 0).delay_ms;
        EXPECT_GE_INT(ms, 100);
        EXPECT_LE_INT(ms, 200);
        lo = ms < lo ? ms : lo;
        hi = ms > hi ? ms : hi;
        sum += (double)ms;
    }
    EXPECT_EQ_INT(lo, 100); /* both ends are reachable */
    EXPECT_EQ_INT(hi, 200);
    EXPECT_NEAR(sum / N, 150.0, 1.0);
    faults_free(p);

    p = plan("[{\"kind\":\"latency\",\"median\":\"100ms\",\"p99\":\"1s\"}]");
    for (int i = 0; i < N; i++)
        v[i] = decide(p, "GET", "/x", 0).delay_ms;
    qsort(v, N, sizeof v[0], cmp_i64);
    EXPECT_NEAR((double)v[N / 2], 100.0, 10.0);
    EXPECT_NEAR((double)v[N * 99 / 100], 1000.0, 100.0);
    EXPECT_GE_INT(v[0], 0);
    faults_free(p);

    /* Draws of an extreme tail are capped, never overflow. */
    p = plan("[{\"kind\":\"latency\",\"median\":1,\"p99\":\"30d\"},"
             "{\"kind\":\"latency\",\"median\":1,\"p99\":\"30d\"}]");
    for (int i = 0; i < 1000; i++) {
        int64_t ms = decide(p, "GET", "/x", 0).delay_ms;
        EXPECT_GE_INT(ms, 0);
        EXPECT_LE_INT(ms, 2 * FAULTS_MAX_MS);
    }
    faults_free(p);
}

TEST(faults, latencies_add_and_first_terminal_wins)
{
    fault_plan *p = plan("[{\"kind\":\"latency\",\"ms\":100},{\"kind\":\"status\",\"status\":502},"
                         "{\"kind\":\"latency\",\"ms\":50},{\"kind\":\"timeout\"},{\"kind\":\"reset\"}]");
    fault_decision d = decide(p, "GET", "/x", 0);
    EXPECT_EQ_INT(d.delay_ms, 150);
    EXPECT_EQ_INT(d.action, FAULT_STATUS);
    EXPECT_EQ_INT(d.status, 502);
    EXPECT_EQ_INT(d.rule, 1);
    EXPECT_EQ_INT(d.hold_ms, 0);
    /* Only the rules that took effect count as fired. */
    EXPECT_EQ_INT(faults_fired(p, 0), 1);
    EXPECT_EQ_INT(faults_fired(p, 1), 1);
    EXPECT_EQ_INT(faults_fired(p, 2), 1);
    EXPECT_EQ_INT(faults_fired(p, 3), 0);
    EXPECT_EQ_INT(faults_fired(p, 4), 0);
    faults_free(p);

    /* A terminal rule that does not fire leaves the action to the next. */
    p = plan("[{\"kind\":\"status\",\"probability\":0},{\"kind\":\"malformed\",\"mode\":\"invalid\"},"
             "{\"kind\":\"outage\"}]");
    d = decide(p, "GET", "/x", 0);
    EXPECT_EQ_INT(d.action, FAULT_MALFORMED);
    EXPECT_EQ_INT(d.malformed_invalid, 1);
    EXPECT_EQ_INT(d.rule, 1);
    EXPECT_TRUE(d.body == NULL);
    faults_free(p);

    /* Rules outside their window or target do not take part. */
    p = plan("[{\"kind\":\"timeout\",\"hold\":\"2m\",\"target\":\"/y\"},"
             "{\"kind\":\"timeout\",\"hold\":\"90s\",\"at\":1000},{\"kind\":\"timeout\",\"hold\":\"5s\"}]");
    d = decide(p, "GET", "/x", 0);
    EXPECT_EQ_INT(d.action, FAULT_TIMEOUT);
    EXPECT_EQ_INT(d.hold_ms, 5000);
    EXPECT_EQ_INT(d.rule, 2);
    d = decide(p, "GET", "/x", 1000);
    EXPECT_EQ_INT(d.hold_ms, 90000);
    EXPECT_EQ_INT(d.rule, 1);
    faults_free(p);
}

TEST(faults, throttle_takes_lowest_active_limit)
{
    fault_plan *p = plan("[{\"kind\":\"throttle\",\"limit\":40},"
                         "{\"kind\":\"throttle\",\"limit\":10,\"target\":\"GET /admin/*\",\"at\":1000,\"for\":1000},"
                         "{\"kind\":\"throttle\",\"limit\":20,\"target\":\"/admin/*\"}]");
    EXPECT_EQ_INT(faults_throttle(p, "GET", "/admin/x.json", 0), 20);
    EXPECT_EQ_INT(faults_throttle(p, "GET", "/admin/x.json?limit=250", 1500), 10);
    EXPECT_EQ_INT(faults_throttle(p, "GET", "/admin/x.json", 2000), 20);
    EXPECT_EQ_INT(faults_throttle(p, "POST", "/admin/x.json", 1500), 20);
    EXPECT_EQ_INT(faults_throttle(p, "GET", "/other", 1500), 40);

    /* A throttle never ends a request, but counts as fired where it applied. */
    fault_decision d = decide(p, "GET", "/admin/x.json", 1500);
    EXPECT_EQ_INT(d.action, FAULT_NONE);
    EXPECT_EQ_INT(d.delay_ms, 0);
    EXPECT_EQ_INT(faults_fired(p, 0), 1);
    EXPECT_EQ_INT(faults_fired(p, 1), 1);
    EXPECT_EQ_INT(faults_fired(p, 2), 1);
    faults_free(p);

    p = plan("[{\"kind\":\"status\"}]");
    EXPECT_EQ_INT(faults_throttle(p, "GET", "/x", 0), -1);
    faults_free(p);
    EXPECT_EQ_INT(faults_throttle(NULL, "GET", "/x", 0), -1);
}

TEST(faults, delivery_decisions)
{
    fault_plan *p = plan("[{\"kind\":\"duplicate\",\"target\":\"orders/*\",\"copies\":2},"
                         "{\"kind\":\"duplicate\",\"target\":\"orders/paid\"},"
                         "{\"kind\":\"delay\",\"target\":\"orders/paid\",\"ms\":\"2s\"},"
                         "{\"kind\":\"reorder\",\"window\":\"30s\"},"
                         "{\"kind\":\"reorder\",\"target\":\"orders/*\",\"window\":\"1m\"},"
                         "{\"kind\":\"drop\",\"target\":\"Stock/*\",\"at\":\"1m\"}]");
    fault_delivery d;
    faults_decide_delivery(p, "orders/paid", 0, &d);
    EXPECT_EQ_INT(d.copies, 3);
    EXPECT_EQ_INT(d.delay_ms, 2000);
    EXPECT_EQ_INT(d.reorder_window_ms, 60000);
    EXPECT_EQ_INT(d.drop, 0);
    faults_decide_delivery(p, "orders/create", 0, &d);
    EXPECT_EQ_INT(d.copies, 2);
    EXPECT_EQ_INT(d.delay_ms, 0);
    EXPECT_EQ_INT(d.reorder_window_ms, 60000);
    faults_decide_delivery(p, "Stock/AvailableStockLevelChanged", 0, &d);
    EXPECT_EQ_INT(d.copies, 0);
    EXPECT_EQ_INT(d.reorder_window_ms, 30000);
    EXPECT_EQ_INT(d.drop, 0);
    faults_decide_delivery(p, "Stock/AvailableStockLevelChanged", 60000, &d);
    EXPECT_EQ_INT(d.drop, 1);
    EXPECT_EQ_INT(faults_fired(p, 0), 2);
    EXPECT_EQ_INT(faults_fired(p, 5), 1);

    /* Delivery faults never touch requests, even with a "*" target. */
    EXPECT_EQ_INT(faults_fired(p, 3), 4);
    fault_decision r = decide(p, "POST", "/orders/paid", 60000);
    EXPECT_EQ_INT(r.action, FAULT_NONE);
    EXPECT_EQ_INT(r.delay_ms, 0);
    EXPECT_EQ_INT(faults_fired(p, 3), 4);
    faults_free(p);

    /* ... and request faults never touch deliveries. */
    p = plan("[{\"kind\":\"latency\",\"ms\":5},{\"kind\":\"reset\"}]");
    faults_decide_delivery(p, "orders/paid", 0, &d);
    EXPECT_EQ_INT(d.delay_ms, 0);
    EXPECT_EQ_INT(faults_fired(p, 0), 0);
    faults_free(p);

    /* Duplicates fire with their probability and give their copies. */
    p = plan("[{\"kind\":\"duplicate\",\"probability\":0.5,\"copies\":3},"
             "{\"kind\":\"delay\",\"target\":\"orders/*\",\"min\":\"1s\",\"max\":\"2s\"}]");
    int dup = 0;
    for (int i = 0; i < 10000; i++) {
        faults_decide_delivery(p, "orders/paid", 0, &d);
        EXPECT_TRUE(d.copies == 0 || d.copies == 3);
        EXPECT_GE_INT(d.delay_ms, 1000);
        EXPECT_LE_INT(d.delay_ms, 2000);
        dup += d.copies != 0;
    }
    EXPECT_NEAR(dup / 10000.0, 0.5, 0.03);
    EXPECT_EQ_INT(faults_fired(p, 0), dup);
    faults_free(p);

    faults_decide_delivery(NULL, "orders/paid", 0, &d);
    EXPECT_EQ_INT(d.copies + d.delay_ms + d.reorder_window_ms + d.drop, 0);
}

TEST(faults, to_json_round_trips)
{
    const char *json =
        "[{\"kind\":\"latency\",\"target\":\"post /x*\",\"at\":\"1m\",\"for\":\"30s\","
        "\"median\":\"100ms\",\"p99\":\"1s\",\"name\":\"slow\"},"
        "{\"kind\":\"status\",\"status\":502,\"body\":\"bad gateway\",\"probability\":0.25},"
        "{\"kind\":\"latency\",\"min\":5,\"max\":9},{\"kind\":\"timeout\",\"hold\":\"90s\"},"
        "{\"kind\":\"reset\",\"probability\":0.1},{\"kind\":\"malformed\",\"mode\":\"invalid\"},"
        "{\"kind\":\"outage\",\"at\":1,\"for\":2,\"body\":\"down\"},"
        "{\"kind\":\"throttle\",\"limit\":2,\"target\":\"GET /a\"},"
        "{\"kind\":\"duplicate\",\"copies\":4,\"target\":\"orders/*\"},"
        "{\"kind\":\"delay\",\"ms\":7},{\"kind\":\"reorder\",\"window\":\"5s\"},"
        "{\"kind\":\"drop\",\"target\":\"Stock/*\",\"probability\":0.5}]";
    fault_plan *p1 = plan_seeded(json, 9);
    cJSON *j1 = faults_to_json(p1);
    char *s1 = json_print(j1);
    /* The canonical form of the first entry: fields explicit, durations in ms. */
    char *first = json_print(cJSON_GetArrayItem(j1, 0));
    EXPECT_EQ_STR(first, "{\"kind\":\"latency\",\"name\":\"slow\",\"target\":\"POST /x*\",\"at\":60000,"
                         "\"for\":30000,\"probability\":1,\"median\":100,\"p99\":1000}");
    free(first);

    fault_plan *p2 = NULL;
    json_err e = {""};
    if (faults_parse(j1, 9, &p2, &e) != 0)
        test_fail(__FILE__, __LINE__, "canonical form rejected: %s\n  %s", e.msg, s1);
    cJSON *j2 = faults_to_json(p2);
    char *s2 = json_print(j2);
    EXPECT_EQ_STR(s2, s1);

    /* Same plan, same seed: the same decisions. */
    const char *paths[] = {"/x1", "/a", "/b", "/x2?q=1"};
    for (int i = 0; i < 400; i++) {
        int64_t t = i % 4;
        fault_decision a = decide(p1, i % 2 ? "POST" : "GET", paths[i % 4], 60000 + t);
        fault_decision b = decide(p2, i % 2 ? "POST" : "GET", paths[i % 4], 60000 + t);
        EXPECT_EQ_INT(a.action, b.action);
        EXPECT_EQ_INT(a.delay_ms, b.delay_ms);
        EXPECT_EQ_INT(a.rule, b.rule);
        EXPECT_EQ_STR(a.body, b.body);
    }
    free(s1);
    free(s2);
    cJSON_Delete(j1);
    cJSON_Delete(j2);
    faults_free(p1);
    faults_free(p2);
}

TEST(faults, fired_counts_and_stats)
{
    fault_plan *p = plan("[{\"kind\":\"status\",\"target\":\"/a\",\"name\":\"a-fails\"},"
                         "{\"kind\":\"status\",\"target\":\"/b\",\"probability\":0}]");
    for (int i = 0; i < 5; i++)
        decide(p, "GET", "/a", 0);
    for (int i = 0; i < 3; i++)
        decide(p, "GET", "/b", 0);
    for (int i = 0; i < 2; i++)
        decide(p, "GET", "/c", 0);
    EXPECT_EQ_U64(faults_fired(p, 0), 5);
    EXPECT_EQ_U64(faults_fired(p, 1), 0);
    EXPECT_EQ_U64(faults_fired(p, 2), 0); /* out of range */
    EXPECT_EQ_U64(faults_fired(NULL, 0), 0);
    cJSON *st = faults_stats_json(p);
    char *s = json_print(st);
    EXPECT_EQ_STR(s, "[{\"rule\":0,\"name\":\"a-fails\",\"kind\":\"status\",\"fired\":5},"
                     "{\"rule\":1,\"kind\":\"status\",\"fired\":0}]");
    free(s);
    cJSON_Delete(st);
    faults_free(p);
}

enum { THREADS = 4, PER_THREAD = 10000 };

typedef struct {
    fault_plan *p;
    int fired;
    int64_t delay_sum;
} worker;

static void *decide_many(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        fault_decision d = decide(w->p, "GET", "/x", 0);
        w->fired += d.action != FAULT_NONE;
        w->delay_sum += d.delay_ms;
    }
    return NULL;
}

TEST(faults, threads_see_the_same_multiset)
{
    const char *json = "[{\"kind\":\"status\",\"probability\":0.5},"
                       "{\"kind\":\"latency\",\"min\":0,\"max\":1000}]";
    fault_plan *p = plan_seeded(json, 2024);
    pthread_t th[THREADS];
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){p, 0, 0};
        EXPECT_EQ_INT(pthread_create(&th[i], NULL, decide_many, &w[i]), 0);
    }
    int fired = 0;
    int64_t delay = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        fired += w[i].fired;
        delay += w[i].delay_sum;
    }
    EXPECT_EQ_INT(faults_fired(p, 0), fired);
    EXPECT_EQ_INT(faults_fired(p, 1), THREADS * PER_THREAD);
    faults_free(p);

    /* Per-rule numbering hands out draws 0..N-1 whatever the interleaving,
     * so a single thread making all the decisions sees the same totals. */
    p = plan_seeded(json, 2024);
    worker one = {p, 0, 0};
    for (int i = 0; i < THREADS; i++)
        decide_many(&one);
    EXPECT_EQ_INT(fired, one.fired);
    EXPECT_EQ_INT(delay, one.delay_sum);
    EXPECT_GT_INT(fired, 0);
    EXPECT_LT_INT(fired, THREADS * PER_THREAD);
    faults_free(p);
}
