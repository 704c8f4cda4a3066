/*
 * A foreign engine (engine.external) as a team would test theirs: surge
 * starts the command, hands it the contract (SURGE_* variables and
 * engine.json), waits for its health URL, stops it after the drain and
 * measures it like syncd. The engine here is examples/naive-poller, a
 * Python connector, run under libfaketime; its oversell is checked against
 * what its poll interval and the scenario's demand imply.
 */
#include "e2e.h"

#include "json.h"
#include "mem.h"
#include "port.h"
#include "scenario.h"
#include "setup.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define POLLER "examples/naive-poller/naive-poller.json"

/* ---- what a naive poller must do on this demand ------------------------------------ */

typedef struct {
    int64_t t;
    int shopify; /* 1: a Shopify checkout, 0: an other channel's sale */
} arrival;

static int by_time(const void *a, const void *b)
{
    const arrival *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

/* The units oversold of SKU k by an engine that, every poll ms from t0,
 * pushes every Shopify order to Cin7 and then sets Shopify to Cin7's
 * available: Shopify sells from what the last poll wrote, Cin7's other
 * channels from what Cin7 knows, and neither sees the other's sales until
 * the next poll. Constant streams only (the scenario's). */
static int64_t poller_oversell(const scenario *sc, size_t k, int64_t poll)
{
    arrival *a = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < sc->n_streams; i++) {
        const sc_stream *st = &sc->streams[i];
        EXPECT_TRUE(st->shape == SHAPE_CONSTANT && st->n_skus == 1);
        if ((size_t)st->skus[0] != k)
            continue;
        double gap = 1000.0 / st->rate;
        int64_t end = st->at + st->len < sc->duration_ms ? st->at + st->len : sc->duration_ms;
        for (double t = (double)st->at; t < (double)end; t += gap) {
            if (n == cap)
                a = xrealloc(a, (cap = cap ? cap * 2 : 64) * sizeof *a);
            a[n++] = (arrival){(int64_t)llround(t), strcmp(st->channel, "shopify") == 0};
        }
    }
    qsort(a, n, sizeof *a, by_time);
    int64_t stock = setup_initial_units(sc, k);
    int64_t shown = stock, cin7 = stock, unpushed = 0, sold = 0;
    int64_t next_poll = 0;
    for (size_t i = 0; i < n; i++) {
        for (; next_poll <= a[i].t; next_poll += poll) {
            cin7 -= unpushed; /* Cin7 takes the orders, backordering */
            unpushed = 0;
            shown = cin7 > 0 ? cin7 : 0;
        }
        if (a[i].shopify && shown > 0) {
            shown--;
            unpushed++;
            sold++;
        } else if (!a[i].shopify && cin7 > 0) {
            cin7--;
            sold++;
        }
    }
    free(a);
    return sold > stock ? sold - stock : 0;
}

static const char *env_of(const scenario *sc, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sc->external->env, name));
}

/* The number of "poll:" lines of engine.log and the simulated seconds
 * between the first two. */
static int polls_logged(const char *log, double *gap_s)
{
    int n = 0;
    double first = 0;
    *gap_s = 0;
    for (const char *p = log; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        double t;
        int used = 0;
        if (sscanf(p, "%lf poll: %n", &t, &used) == 1 && used > 0) {
            if (n == 0)
                first = t;
            else if (n == 1)
                *gap_s = t - first;
            n++;
        }
    }
    return n;
}

TEST_T(external, naive_poller_oversells_as_its_poll_interval_implies, 150)
{
    if (access("/usr/bin/faketime", X_OK) != 0)
        test_fail(__FILE__, __LINE__, "faketime is missing: scripts/deps.sh --test installs it");
    scenario sc;
    json_err je;
    if (scenario_load(POLLER, NULL, 0, &sc, &je) != 0)
        test_fail(__FILE__, __LINE__, "%s", je.msg);
    int64_t poll = (int64_t)(atof(env_of(&sc, "POLL_INTERVAL")) * 1000);
    EXPECT_TRUE(poll > 0 && sc.external->faketime);

    char *dir = xasprintf("%s/poller", test_tmp_dir());
    const char *const args[] = {"run", POLLER, "--out", dir, "--quiet", NULL};
    e2e_surge_result r = e2e_surge(args);
    /* Its oversell gate fails; the others pass. */
    EXPECT_EXIT(r, 1);
    e2e_surge_free(&r);
    cJSON *s = e2e_load_in(dir, "summary.json");
    int64_t want_total = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(s, "per_sku"))
    {
        const char *sku = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "sku"));
        int k = scenario_sku_index(&sc, sku);
        EXPECT_TRUE(k >= 0);
        int64_t want = poller_oversell(&sc, (size_t)k, poll);
        int64_t got = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(row, "oversell"));
        printf("%s: oversell %lld, the poll interval implies %lld\n", sku, (long long)got,
               (long long)want);
        /* One unit either way: an arrival may meet a poll in progress. */
        if (llabs(got - want) > 1)
            test_fail(__FILE__, __LINE__, "%s oversold %lld units; a poller every %lld ms "
                      "oversells %lld", sku, (long long)got, (long long)poll, (long long)want);
        want_total += want;
    }
    EXPECT_TRUE(want_total > 0);
    EXPECT_TRUE(e2e_metric(s, "oversell_units") > 0);
    /* Every order reaches Cin7 within one interval (plus the few seconds a
     * poll takes), and after the drain's last poll nothing drifts. */
    EXPECT_EQ_INT(e2e_metric(s, "orders_unpushed"), 0);
    EXPECT_TRUE(e2e_metric(s, "orders_pushed") > 0);
    EXPECT_TRUE(e2e_metric(s, "order_push_latency_ms.max") <= (double)poll + 30000);
    EXPECT_TRUE(e2e_metric(s, "order_push_latency_ms.p50") >= (double)poll / 4);
    EXPECT_EQ_INT(e2e_metric(s, "final_drift_units"), 0);
    /* What surge cannot know of a foreign engine is unknown, not 0. */
    EXPECT_TRUE(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(s, "metrics"), "dead_lettered")));
    cJSON_Delete(s);

    /* The contract as the engine got it. */
    cJSON *ej = e2e_load_in(dir, "engine.json");
    const cJSON *clk = cJSON_GetObjectItemCaseSensitive(ej, "clock");
    EXPECT_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(clk, "kind")), "faketime");
    EXPECT_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(clk, "time_scale")), 1, 0);
    EXPECT_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(clk, "run_time_scale")), 60, 0);
    EXPECT_TRUE(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(clk, "t0_ms")) >
                cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(clk, "origin_ms")));
    EXPECT_TRUE(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(ej, "listen"), "port")) > 0);
    cJSON_Delete(ej);
    /* It ran on the run's clock: polls 300 simulated seconds apart (5 real
     * ones), and it was stopped with SIGTERM after the drain. */
    char *log = e2e_read_in(dir, "engine.log");
    double gap = 0;
    int polls = polls_logged(log, &gap);
    EXPECT_TRUE(polls >= 5);
    EXPECT_NEAR(gap, (double)poll / 1000, 5);
    EXPECT_CONTAINS(log, " stopped");
    free(log);
    /* The report says the queue is unknown rather than showing gnuplot's error. */
    char *html = e2e_read_in(dir, "report.html");
    EXPECT_CONTAINS(html, "queue depth unknown");
    EXPECT_TRUE(strstr(html, "x range is invalid") == NULL);
    EXPECT_TRUE(strstr(html, "could not be drawn") == NULL);
    free(html);
    scenario_free(&sc);
    free(dir);
}

/* ---- how a run fails when the engine does ------------------------------------------- */

/* A scenario whose engine is the given external object (JSON text). */
static char *scenario_with(const char *name, const char *external)
{
    char *path = xasprintf("%s/%s.json", test_tmp_dir(), name);
    FILE *f = fopen(path, "w");
    EXPECT_TRUE(f != NULL);
    fprintf(f,
            "{\"name\": \"%s\", \"duration\": \"2m\", \"drain\": \"1m\", \"time_scale\": 60,\n"
            " \"catalog\": {\"skus\": [{\"sku\": \"A-1\", \"price\": 10}]},\n"
            " \"warehouses\": [{\"name\": \"Main\"}], \"shops\": [{\"domain\": \"a.myshopify.com\"}],\n"
            " \"stock\": [{\"on_hand\": 10}],\n"
            " \"demand\": [{\"shape\": \"constant\", \"rate\": 0.05}],\n"
            " \"engine\": {\"external\": %s}}\n",
            name, external);
    fclose(f);
    return path;
}

TEST_T(external, an_engine_that_exits_breaks_the_run_with_the_end_of_its_log, 60)
{
    char *path = scenario_with("exits", "{\"command\": \"echo the engine gives up >&2; exit 3\"}");
    char *dir = xasprintf("%s/exits-out", test_tmp_dir());
    EXPECT_SURGE(3, "the engine gives up", "run", path, "--out", dir, "--quiet");
    char *log = e2e_read_in(dir, "engine.log");
    EXPECT_CONTAINS(log, "the engine gives up");
    free(log);
    free(dir);
    free(path);
}

TEST_T(external, an_engine_never_healthy_is_invalid_and_stopped, 60)
{
    /* It writes its pid, then never answers its health URL. */
    char *pidfile = xasprintf("%s/sleeper.pid", test_tmp_dir());
    char *ext = xasprintf("{\"command\": \"sh -c 'echo $$ > %s; exec sleep 60'\", "
                          "\"health\": \"http://127.0.0.1:{port}/healthz\", "
                          "\"start_within\": \"1s\"}",
                          pidfile);
    char *path = scenario_with("unhealthy", ext);
    char *dir = xasprintf("%s/unhealthy-out", test_tmp_dir());
    EXPECT_SURGE(4, "start_within", "run", path, "--out", dir, "--quiet");
    /* Its process group was stopped with the run, grandchildren included. */
    char *pid_text = e2e_read_in(test_tmp_dir(), "sleeper.pid");
    pid_t pid = (pid_t)atol(pid_text);
    EXPECT_TRUE(pid > 0);
    EXPECT_TRUE(kill(pid, 0) != 0);
    free(pid_text);
    free(dir);
    free(path);
    free(ext);
    free(pidfile);
}

TEST_T(external, a_busy_fixed_port_is_named_with_its_field, 60)
{
    /* Hold a port, as another run's mock would. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    EXPECT_TRUE(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 1) == 0);
    socklen_t len = sizeof a;
    EXPECT_TRUE(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    uint16_t other = port_free();
    char *ext = xasprintf("{\"shopify_webhooks\": \"http://127.0.0.1:9/hooks\", "
                          "\"shopify_port\": %u, \"cin7_port\": %u}",
                          (unsigned)ntohs(a.sin_port), (unsigned)other);
    char *path = scenario_with("busy", ext);
    char *dir = xasprintf("%s/busy-out", test_tmp_dir());
    char *want = xasprintf("port %u of 127.0.0.1 is already in use", (unsigned)ntohs(a.sin_port));
    EXPECT_SURGE(3, want, "run", path, "--out", dir, "--quiet");
    EXPECT_SURGE(3, "$.engine.external.shopify_port", "run", path, "--out", dir, "--quiet");
    close(fd);
    free(want);
    free(dir);
    free(path);
    free(ext);
}

TEST(external, the_scenario_fields_are_checked_with_their_paths)
{
    static const struct {
        const char *external, *want;
    } cases[] = {
        {"{\"health\": \"http://127.0.0.1:{port}/h\"}", "$.engine.external: health: {port}"},
        {"{\"command\": \"x\", \"clock\": \"slow\"}", "$.engine.external.clock: expected"},
        {"{\"command\": \"x\", \"env\": {\"A\": 1}}", "$.engine.external.env.A: expected a string"},
        {"{\"command\": []}", "$.engine.external.command: expected a string or a non-empty array"},
        {"{\"command\": [\"a\", 2]}", "$.engine.external.command[1]: expected a string"},
        {"{\"cwd\": \"x\"}", "apply to a command"},
        {"{\"command\": \"x\", \"metrics\": \"ftp://x\"}", "metrics: expected an http://"},
        {"{\"command\": \"x\", \"start_within\": 0}", "start_within: must be more than 0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = scenario_with("bad", cases[i].external);
        scenario sc;
        json_err je;
        EXPECT_EQ_INT(scenario_load(path, NULL, 0, &sc, &je), -1);
        EXPECT_CONTAINS(je.msg, cases[i].want);
        free(path);
    }
}
