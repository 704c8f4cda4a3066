/*
 * The Cin7 budget several syncd instances share. Starts a throwaway
 * PostgreSQL cluster (lib/pgcluster), mock-cin7 allowing --limit calls a
 * minute (60 by default: the documented figure), mock-shopify with one
 * shop, and --instances syncd processes (3) on the same database and
 * config (calls_per_minute --ceiling), all on one simulated clock at time
 * scale 60; then places --orders orders at once, a backlog of minutes of
 * the budget, and waits until mock-cin7 has authorised a sale for each.
 * The figures come from mock-cin7's journal, its ground truth of every
 * call it answered: the calls a minute it answered while the backlog
 * lasted (its first and last minute left out: orders still arriving, the
 * last sales no longer keeping every worker busy) as a share of the
 * limit, and the share of all the backlog's calls it refused (503 or
 * 429). Printed, never asserted: they depend on the machine.
 *
 *   bench-cin7-budget [--instances N] [--limit N] [--ceiling N] [--orders N] [--bin DIR]
 */
#include "benchopt.h"

#include "clock.h"
#include "httpc.h"
#include "json.h"
#include "mem.h"
#include "pgcluster.h"
#include "proc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCALE 60
#define MINUTE 60000
#define MAX_INSTANCES 8
#define SHOP "bench.myshopify.com"

typedef struct {
    long instances, limit, ceiling, orders;
    const char *bin; /* where mock-cin7, mock-shopify and syncd are */
} opts;

static const benchopt options[] = {
    {{"instances", required_argument, NULL, 'i'}, "N", "syncd instances on one store (default 3, at most 8)"},
    {{"limit", required_argument, NULL, 'l'}, "N", "calls a minute mock-cin7 allows (default 60)"},
    {{"ceiling", required_argument, NULL, 'c'}, "N", "syncd's cin7.calls_per_minute (default: the limit)"},
    {{"orders", required_argument, NULL, 'o'}, "N", "orders of the backlog (default 4 x the limit)"},
    {{"bin", required_argument, NULL, 'b'}, "DIR", "the programs' directory (default bin)"},
};
static const benchopt_cli cli = {"the Cin7 budget used by syncd instances sharing it", options,
                                 sizeof options / sizeof options[0], 18};

static void set(void *ud, int val, const char *arg, const char *prog)
{
    opts *o = ud;
    switch (val) {
    case 'i': o->instances = benchopt_positive(prog, "instances", arg, MAX_INSTANCES); break;
    case 'l': o->limit = benchopt_positive(prog, "limit", arg, 100000); break;
    case 'c': o->ceiling = benchopt_positive(prog, "ceiling", arg, 100000); break;
    case 'o': o->orders = benchopt_positive(prog, "orders", arg, 100000); break;
    case 'b': o->bin = arg; break;
    }
}

/* ---- the world -------------------------------------------------------------- */

typedef struct {
    char dir[256];
    int64_t origin;
    proc *cin7, *shop, *syncd[MAX_INSTANCES];
    uint16_t cin7_port, shop_port, syncd_port[MAX_INSTANCES];
    int n_syncd;
} world;

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* Starts bin/prog with its config text (written to DIR/name.json) and
 * the shared clock; 0, or -1 said on stderr. */
static int start(world *w, const opts *o, const char *prog, const char *name, const char *config,
                 int journal, proc **p, uint16_t *port)
{
    char exe[512], cfg[512], log[512], jr[512], scale[16], origin[32], err[1024];
    snprintf(exe, sizeof exe, "%s/%s", o->bin, prog);
    snprintf(cfg, sizeof cfg, "%s/%s.json", w->dir, name);
    snprintf(log, sizeof log, "%s/%s.log", w->dir, name);
    snprintf(jr, sizeof jr, "%s/%s-journal.jsonl", w->dir, name);
    snprintf(scale, sizeof scale, "%d", SCALE);
    snprintf(origin, sizeof origin, "%lld", (long long)w->origin);
    if (write_text(cfg, config) != 0) {
        fprintf(stderr, "bench-cin7-budget: cannot write %s\n", cfg);
        return -1;
    }
    char *argv[] = {exe, (char *)"--port", (char *)"0", (char *)"--config", cfg,
                    (char *)"--time-scale", scale, (char *)"--clock-origin", origin,
                    journal ? (char *)"--journal" : NULL, jr, NULL};
    if (proc_start(argv, log, 1, 15000, p, port, err, sizeof err) != 0) {
        fprintf(stderr, "bench-cin7-budget: %s: %s\n", name, err);
        return -1;
    }
    return 0;
}

static char *cin7_config(const opts *o)
{
    return xasprintf(
        "{\"account\":\"bench\",\"applications\":[{\"name\":\"syncd\",\"key\":\"bench-key\"}],"
        "\"rate_limit\":{\"calls_per_minute\":%ld},\"sales\":{\"pick_after\":null},"
        "\"suppliers\":[{\"name\":\"Bench Supply\",\"lead_time\":\"7d\",\"minimum_order\":10}],"
        "\"customers\":[{\"name\":\"Shopify " SHOP "\"}],\"locations\":[{\"name\":\"Main\"}],"
        "\"products\":[{\"sku\":\"A-1\",\"price\":10,\"supplier\":\"Bench Supply\"}],"
        "\"stock\":[{\"sku\":\"A-1\",\"location\":\"Main\",\"on_hand\":1000000}]}",
        o->limit);
}

static char *shop_config(void)
{
    return xstrdup("{\"shops\":[{\"domain\":\"" SHOP "\",\"plan\":\"plus\","
                   "\"access_token\":\"shpat_bench\",\"app_secret\":\"bench-secret\","
                   "\"locations\":[{\"name\":\"Online Store\"}],\"products\":[{\"title\":\"A\","
                   "\"variants\":[{\"sku\":\"A-1\",\"price\":\"10.00\",\"available\":1000000}]}]}]}");
}

static char *syncd_config(const world *w, const opts *o, const char *store)
{
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "store", store);
    cJSON_AddStringToObject(v, "admin_token", "bench-admin");
    cJSON_AddStringToObject(v, "log_level", "warn");
    cJSON *c7 = cJSON_AddObjectToObject(v, "cin7");
    char *url = xasprintf("http://127.0.0.1:%u/ExternalApi/v2/", (unsigned)w->cin7_port);
    cJSON_AddStringToObject(c7, "base_url", url);
    free(url);
    cJSON_AddStringToObject(c7, "account_id", "bench");
    cJSON_AddStringToObject(c7, "application_key", "bench-key");
    cJSON_AddNumberToObject(c7, "calls_per_minute", (double)o->ceiling);
    cJSON *shop = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(v, "shops"), shop);
    cJSON_AddStringToObject(shop, "domain", SHOP);
    url = xasprintf("http://127.0.0.1:%u/shops/" SHOP, (unsigned)w->shop_port);
    cJSON_AddStringToObject(shop, "base_url", url);
    free(url);
    cJSON_AddStringToObject(shop, "access_token", "shpat_bench");
    cJSON_AddStringToObject(shop, "api_secret", "bench-secret");
    cJSON *loc = cJSON_CreateObject();
    cJSON_AddStringToObject(loc, "name", "Main");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(v, "locations"), loc);
    char *text = json_print(v);
    cJSON_Delete(v);
    return text;
}

/* One HTTP call to a local server: the answer's JSON when it is status
 * want, else NULL. */
static cJSON *call(uint16_t port, const char *method, const char *path, const char *body, int want)
{
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", (unsigned)port, path);
    const char *hdrs[] = {"Content-Type: application/json", NULL};
    httpc_req req = {.method = method, .url = url, .headers = hdrs, .body = body,
                     .body_len = body ? strlen(body) : 0, .timeout_ms = 30000};
    httpc_resp r;
    httpc_do(&req, &r);
    json_err e;
    cJSON *v = r.result == HTTPC_OK && r.status == want ? json_parse(r.body, r.body_len, &e) : NULL;
    httpc_resp_free(&r);
    return v;
}

static int healthy(uint16_t port)
{
    cJSON *v = call(port, "GET", "/healthz", NULL, 200);
    cJSON_Delete(v);
    return v != NULL;
}

/* Every entry of mock-cin7's journal, page by page; NULL on a failure. */
static cJSON *journal(uint16_t port)
{
    cJSON *all = cJSON_CreateArray();
    double since = 0;
    for (int page = 0; page < 1000; page++) {
        char path[96];
        snprintf(path, sizeof path, "/_mock/journal?since=%.0f&limit=10000", since);
        cJSON *v = call(port, "GET", path, NULL, 200);
        cJSON *entries = cJSON_GetObjectItemCaseSensitive(v, "entries");
        const cJSON *next = cJSON_GetObjectItemCaseSensitive(v, "next");
        if (!cJSON_IsArray(entries) || !cJSON_IsNumber(next)) {
            cJSON_Delete(v);
            cJSON_Delete(all);
            return NULL;
        }
        int n = cJSON_GetArraySize(entries);
        json_array_move(all, entries);
        since = next->valuedouble;
        cJSON_Delete(v);
        if (n < 10000)
            break;
    }
    return all;
}

static const char *str_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static int64_t num_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : -1;
}

typedef struct {
    long calls, refused;   /* Cin7 API calls, and of them 503/429 */
    long authorised;       /* sales authorised */
    int64_t last;          /* the last authorisation */
} tally;

static tally count(const cJSON *j, int64_t from, int64_t to)
{
    tally t = {0, 0, 0, -1};
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        int64_t at = num_of(e, "t");
        if (at < from || at >= to)
            continue;
        if (strcmp(str_of(e, "kind"), "sale_authorised") == 0) {
            t.authorised++;
            t.last = at > t.last ? at : t.last;
        }
        if (strcmp(str_of(e, "kind"), "request") != 0 ||
            strncmp(str_of(e, "path"), "/ExternalApi/", 13) != 0)
            continue;
        int status = (int)num_of(e, "status");
        t.calls++;
        t.refused += status == 503 || status == 429;
    }
    return t;
}

static int start_world(world *w, const opts *o, const char *store)
{
    char *c7 = cin7_config(o), *sh = shop_config();
    int rc = start(w, o, "mock-cin7", "cin7", c7, 1, &w->cin7, &w->cin7_port) ||
             start(w, o, "mock-shopify", "shopify", sh, 0, &w->shop, &w->shop_port);
    free(c7);
    free(sh);
    if (rc)
        return -1;
    char *sd = syncd_config(w, o, store);
    for (long i = 0; i < o->instances && rc == 0; i++) {
        char name[32];
        snprintf(name, sizeof name, "syncd%ld", i + 1);
        rc = start(w, o, "syncd", name, sd, 0, &w->syncd[i], &w->syncd_port[i]);
        w->n_syncd += rc == 0;
    }
    free(sd);
    for (int i = 0; i < w->n_syncd && rc == 0; i++) {
        int k = 0;
        while (k < 300 && !healthy(w->syncd_port[i])) {
            usleep(100000);
            k++;
        }
        if (k == 300) {
            fprintf(stderr, "bench-cin7-budget: syncd%d not healthy within 30 s (log in %s)\n",
                    i + 1, w->dir);
            rc = -1;
        }
    }
    return rc ? -1 : 0;
}

static void stop_world(world *w)
{
    for (int i = 0; i < w->n_syncd; i++)
        proc_stop(w->syncd[i], 10000);
    proc_stop(w->shop, 10000);
    proc_stop(w->cin7, 10000);
}

/* Places the orders, then waits (bounded) until each has its sale
 * authorised. Returns the journal, or NULL. */
static cJSON *run_backlog(world *w, const opts *o, int64_t *t0)
{
    sclock clk;
    clock_init(&clk, SCALE, w->origin);
    *t0 = clock_now_ms(&clk);
    for (long i = 0; i < o->orders; i++) {
        cJSON *v = call(w->shop_port, "POST", "/_mock/checkout",
                        "{\"lines\":[{\"sku\":\"A-1\",\"qty\":1}]}", 200);
        if (!v) {
            fprintf(stderr, "bench-cin7-budget: checkout %ld refused\n", i + 1);
            return NULL;
        }
        cJSON_Delete(v);
    }
    /* At the limit each order's two or three calls take minutes of
     * simulated time, seconds of real time; give it ten times that. */
    long wait_s = 10 * (o->orders * 3 / o->limit + 1) * MINUTE / 1000 / SCALE + 60;
    for (long s = 0; s < wait_s * 2; s++) {
        cJSON *j = journal(w->cin7_port);
        if (!j)
            return NULL;
        if (count(j, *t0, INT64_MAX).authorised >= o->orders)
            return j;
        cJSON_Delete(j);
        usleep(500000);
    }
    fprintf(stderr, "bench-cin7-budget: the backlog was not done within %ld s\n", wait_s);
    return NULL;
}

static void report(const cJSON *j, const opts *o, int64_t t0)
{
    tally all = count(j, t0, INT64_MAX);
    int64_t from = t0 + MINUTE, to = all.last - MINUTE;
    if (to - from < MINUTE) {
        printf("cin7 budget: the backlog lasted %.1f simulated minutes: too short to measure; "
               "raise --orders\n", (double)(all.last - t0) / MINUTE);
        return;
    }
    tally mid = count(j, from, to);
    double per_minute = (double)mid.calls * MINUTE / (double)(to - from);
    printf("cin7 budget, %ld syncd instances on PostgreSQL (calls_per_minute %ld), mock-cin7 "
           "limit %ld/min, backlog of %ld orders: %.1f calls/min over %.1f min = %.1f%% of the "
           "limit (target >= 95%%); %ld of %ld calls refused 503/429 = %.2f%% (target <= 1%%)\n",
           o->instances, o->ceiling, o->limit, o->orders, per_minute,
           (double)(to - from) / MINUTE, 100.0 * per_minute / (double)o->limit, all.refused,
           all.calls, all.calls ? 100.0 * (double)all.refused / (double)all.calls : 0.0);
}

int main(int argc, char **argv)
{
    opts o = {3, 60, 0, 0, "bin"};
    benchopt_parse(argc, argv, &cli, set, &o);
    if (!o.ceiling)
        o.ceiling = o.limit;
    if (!o.orders)
        o.orders = 4 * o.limit;
    world w = {.origin = clock_wall_ms()};
    snprintf(w.dir, sizeof w.dir, "/tmp/surge-cin7-budget-XXXXXX");
    if (!mkdtemp(w.dir)) {
        perror("mkdtemp");
        return 1;
    }
    char err[1024];
    pgcluster *pg = NULL;
    if (pgcluster_start(NULL, &pg, err, sizeof err) != 0) {
        fprintf(stderr, "bench-cin7-budget: %s\n", err);
        return 1;
    }
    int rc = 1;
    int64_t t0 = 0;
    cJSON *j = NULL;
    if (start_world(&w, &o, pgcluster_conninfo(pg)) == 0 && (j = run_backlog(&w, &o, &t0))) {
        report(j, &o, t0);
        rc = 0;
    }
    cJSON_Delete(j);
    stop_world(&w);
    if (pgcluster_stop(pg, 10000, err, sizeof err) != 0)
        fprintf(stderr, "bench-cin7-budget: stopping the cluster: %s\n", err);
    if (rc)
        fprintf(stderr, "bench-cin7-budget: logs kept in %s\n", w.dir);
    else {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", w.dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench-cin7-budget: cannot remove %s\n", w.dir);
    }
    return rc;
}
