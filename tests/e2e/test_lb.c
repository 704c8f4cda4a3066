/*
 * HAProxy in front of engine instances (harness/lb.h), with real HTTP
 * servers as the instances: requests go round robin, an instance that
 * stops answering its health check is taken out and the others carry on,
 * and a started one comes back.
 */
#include "e2e.h"

#include "lb.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    volatile int healthy;
} instance;

static void on_health(httpd_req *r, void *ud)
{
    instance *in = ud;
    httpd_reply(r, in->healthy ? 200 : 503, "text/plain", in->healthy ? "ok\n" : "down\n",
                in->healthy ? 3 : 5);
}

static void on_who(httpd_req *r, void *ud)
{
    instance *in = ud;
    httpd_reply(r, 200, "text/plain", in->name, strlen(in->name));
}

static httpd *serve(instance *in)
{
    httpd *s = httpd_new();
    httpd_route(s, "GET", "/healthz", on_health, in);
    httpd_route(s, "POST", "/who", on_who, in);
    httpd_route(s, "GET", "/who", on_who, in);
    httpd_config cfg = {.port = 0, .threads = 2};
    char err[256];
    if (httpd_start(s, &cfg, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "instance %s: %s", in->name, err);
    return s;
}

/* Who answered GET /who through the balancer ("" on a failure). */
static void ask(uint16_t port, char *who, size_t n)
{
    char *url = xasprintf("http://127.0.0.1:%u/who", (unsigned)port);
    httpc_req req = {.url = url, .timeout_ms = 5000};
    httpc_resp r;
    httpc_do(&req, &r);
    snprintf(who, n, "%s", r.result == HTTPC_OK && r.status == 200 ? r.body : "");
    httpc_resp_free(&r);
    free(url);
}

typedef struct {
    uint16_t port;
    const char *want; /* every one of 6 answers from it */
} only_ctx;

static int only_from(void *ud)
{
    only_ctx *c = ud;
    char who[32];
    for (int i = 0; i < 6; i++) {
        ask(c->port, who, sizeof who);
        if (strcmp(who, c->want) != 0)
            return 0;
    }
    return 1;
}

TEST_T(lb, round_robin_and_health_checks, 60)
{
    instance a = {"a", 1}, b = {"b", 1};
    httpd *sa = serve(&a), *sb = serve(&b);
    uint16_t ports[] = {httpd_port(sa), httpd_port(sb)};
    char err[600];
    lb *bal = lb_start(test_tmp_dir(), ports, 2, 100, err, sizeof err);
    if (!bal)
        test_fail(__FILE__, __LINE__, "lb_start: %s", err);
    /* Both are up (rise 1): requests alternate. */
    int got_a = 0, got_b = 0;
    for (int i = 0; i < 10; i++) {
        char who[32];
        ask(lb_port(bal), who, sizeof who);
        got_a += strcmp(who, "a") == 0;
        got_b += strcmp(who, "b") == 0;
    }
    EXPECT_EQ_INT(got_a, 5);
    EXPECT_EQ_INT(got_b, 5);
    /* b fails its health check: within a few checks only a answers. */
    b.healthy = 0;
    only_ctx only_a = {lb_port(bal), "a"};
    EXPECT_TRUE(e2e_wait(only_from, &only_a, 10000));
    /* b gone altogether (a killed instance): still only a, no failure. */
    httpd_free(sb);
    EXPECT_TRUE(only_from(&only_a));
    EXPECT_TRUE(lb_alive(bal));
    lb_stop(bal);
    httpd_free(sa);
    /* The config it ran with is kept beside its log. */
    char *cfg = e2e_read_in(test_tmp_dir(), "haproxy.cfg");
    EXPECT_CONTAINS(cfg, "balance roundrobin");
    EXPECT_CONTAINS(cfg, "option httpchk GET /healthz");
    free(cfg);
}

TEST(lb, no_instances_is_refused)
{
    char err[200];
    EXPECT_TRUE(lb_start(test_tmp_dir(), NULL, 0, 0, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "no instances");
}
