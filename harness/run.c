/* `surge run`; see run.h. */
#include "run.h"

#include "clock.h"
#include "demand.h"
#include "edits.h"
#include "external.h"
#include "hcall.h"
#include "httpc.h"
#include "json.h"
#include "lb.h"
#include "loadgen.h"
#include "log.h"
#include "measure.h"
#include "mem.h"
#include "pgcluster.h"
#include "pgdb.h"
#include "port.h"
#include "proc.h"
#include "report.h"
#include "results.h"
#include "sbuf.h"
#include "scenario.h"
#include "setup.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define POLL_REAL_MS 100
#define EXISTED_EVERY_MS 5000 /* how often the progress line re-reads what existed */
#define HEALTH_TIMEOUT_MS 60000
/* How long a --cin7-proxy may take to listen (real ms). */
#define PROXY_START_MS 120000

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* ---- small helpers ------------------------------------------------------------ */

static void nap_real_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The value of one sample line of Prometheus text, or -1. */
static int64_t prom_value(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; p && *p;) {
        if (strncmp(p, name, n) == 0 && p[n] == ' ')
            return strtoll(p + n + 1, NULL, 10);
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return -1;
}

/* One engine's queued events and SKUs waiting for a level sync (*dirty),
 * or -1 when its metrics cannot be read. */
static int64_t engine_queue(const char *metrics_url, int64_t *dirty)
{
    httpc_req req = {.url = metrics_url, .timeout_ms = 5000};
    httpc_resp r;
    int64_t q = -1;
    if (httpc_do(&req, &r) == 0 && r.status == 200) {
        q = prom_value(r.body, "syncd_queue_depth");
        *dirty = prom_value(r.body, "syncd_dirty_skus");
    }
    httpc_resp_free(&r);
    return q;
}

static int64_t mock_pending(const char *base)
{
    char url[300];
    snprintf(url, sizeof url, "%s/_mock/health", base);
    cJSON *v = NULL;
    int st = hcall_get_json(url, NULL, &v);
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(v, "pending");
    int64_t n = st == 200 && cJSON_IsNumber(p) ? (int64_t)p->valuedouble : -1;
    cJSON_Delete(v);
    return n;
}

/* ---- the run's processes ----------------------------------------------------------- */

/* A planned engine crash as it happened, in scenario ms. */
typedef struct {
    int64_t planned, killed, restarted; /* -1: not (yet) */
} run_crash;

/* One syncd instance: its process (NULL while it is down), address,
 * command line (its port is added once it has one, so a restart comes
 * back at the same address) and log's name. */
typedef struct {
    proc *p;
    char url[64];
    char metrics_url[96];
    char *argv[8];
    char name[24];     /* "syncd", or "syncd-N" of several */
    int64_t restart_at; /* scenario ms it is to start again; -1: none pending */
    size_t crash;       /* the crash whose restart is pending */
} run_inst;

typedef struct {
    const run_opts *o;
    scenario sc;
    char dir[1024];
    double k;
    int64_t origin;
    sclock clk;
    proc *cin7, *shopify, *proxy;
    external *ext; /* a foreign engine, or NULL */
    char cin7_url[64], shopify_url[64];
    char cin7_api[96]; /* the Cin7 API base the engine is given */
    run_inst inst[SCENARIO_MAX_INSTANCES];
    int n_inst;        /* syncd instances (0 with a foreign engine) */
    lb *balancer;      /* haproxy in front of several instances, or NULL */
    char public_url[64]; /* the balancer's address, given to every instance */
    pgcluster *pg;     /* the run's throwaway PostgreSQL cluster, or NULL */
    char pg_db[64];    /* the database made on the --pg server, or "" */
    char metrics_url[160]; /* a foreign engine's metrics, or "" */
    int64_t *existed; /* per SKU, Cin7's initial + received + adjusted; NULL until read */
    /* The planned crashes as they happened (scenario ms; -1 not yet),
     * indexed like the scenario's, and the next one due. */
    run_crash *crashes;
    size_t next_crash;
} run_ctx;

static int start_mock(run_ctx *r, const char *name, const char *config, int port, proc **p,
                      char *url, size_t url_n)
{
    char bin[1024], cfg[1100], journal[1100], log_path[1100], k[32], origin[32], seed[32],
        port_s[16];
    snprintf(bin, sizeof bin, "%s/%s", r->o->bin_dir, name);
    snprintf(cfg, sizeof cfg, "%s/%s", r->dir, config);
    snprintf(journal, sizeof journal, "%s/%s.journal.jsonl", r->dir, name);
    snprintf(log_path, sizeof log_path, "%s/%s.log", r->dir, name);
    snprintf(k, sizeof k, "%.17g", r->k);
    snprintf(origin, sizeof origin, "%lld", (long long)r->origin);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->sc.seed);
    snprintf(port_s, sizeof port_s, "%d", port);
    const char *argv[] = {bin, "--port", port_s, "--config", cfg, "--journal", journal,
                          "--time-scale", k, "--clock-origin", origin, "--seed", seed,
                          "--log-level", "warn", NULL};
    uint16_t got = 0;
    char err[600];
    if (proc_start((char *const *)argv, log_path, 1, 15000, p, &got, err, sizeof err) != 0) {
        fprintf(stderr, "surge: cannot start %s: %s\n", name, err);
        return -1;
    }
    snprintf(url, url_n, "http://127.0.0.1:%u", (unsigned)got);
    char health[128];
    snprintf(health, sizeof health, "%s/_mock/health", url);
    if (hcall_wait_healthy(health, 15000, *p, &interrupted) != 0) {
        fprintf(stderr, "surge: %s did not become healthy (log: %s)\n", name, log_path);
        return -1;
    }
    return 0;
}

static int start_syncd(run_ctx *r, run_inst *in)
{
    char log_path[1100], err[600];
    snprintf(log_path, sizeof log_path, "%s/%s.log", r->dir, in->name);
    uint16_t got = 0;
    if (proc_start(in->argv, log_path, 1, 15000, &in->p, &got, err, sizeof err) != 0) {
        fprintf(stderr, "surge: cannot start %s: %s\n", in->name, err);
        return -1;
    }
    snprintf(in->url, sizeof in->url, "http://127.0.0.1:%u", (unsigned)got);
    snprintf(in->metrics_url, sizeof in->metrics_url, "%s/metrics", in->url);
    /* A restarted engine comes back on the same port, as a restarted
     * service keeps its address: the webhook subscriptions it made point
     * there (or the balancer does), and deliveries queued while it was
     * down retry there. */
    if (!in->argv[3]) {
        in->argv[3] = xstrdup("--port");
        in->argv[4] = xasprintf("%u", (unsigned)got);
    }
    return 0;
}

/* The engine's backlog: the queue (in the store every instance shares, so
 * one answer is enough) plus the SKUs waiting for a level sync, which
 * each instance keeps for itself; -1 when no engine answers. */
static int64_t engine_backlog(const run_ctx *r)
{
    int64_t queue = -1, dirty = 0;
    int n = r->ext ? 1 : r->n_inst;
    for (int i = 0; i < n; i++) {
        const char *url = r->ext ? r->metrics_url : r->inst[i].p ? r->inst[i].metrics_url : "";
        int64_t d = 0, q = url[0] ? engine_queue(url, &d) : -1;
        if (q < 0)
            continue;
        queue = q > queue ? q : queue;
        dirty += d > 0 ? d : 0;
    }
    return queue < 0 ? -1 : queue + dirty;
}

/* A live instance's address (the first), or NULL when all are down. */
static const char *live_instance(const run_ctx *r)
{
    for (int i = 0; i < r->n_inst; i++)
        if (r->inst[i].p)
            return r->inst[i].url;
    return NULL;
}

/* Copies cmd into out with every {upstream} and {port} replaced; -1 when
 * it does not fit. */
static int expand_proxy(const char *cmd, const char *upstream, uint16_t port, sbuf *out)
{
    char port_s[8];
    snprintf(port_s, sizeof port_s, "%u", (unsigned)port);
    for (const char *p = cmd; *p;) {
        if (strncmp(p, "{upstream}", 10) == 0) {
            sbuf_puts(out, upstream);
            p += 10;
        } else if (strncmp(p, "{port}", 6) == 0) {
            sbuf_puts(out, port_s);
            p += 6;
        } else {
            sbuf_putc(out, *p++);
        }
    }
    return out->len > 8192 ? -1 : 0;
}

/* Starts the --cin7-proxy command between the engine and mock-cin7 and
 * waits until it answers HTTP on its port; the engine is then given the
 * proxy's root as its Cin7 API base. */
static int start_cin7_proxy(run_ctx *r)
{
    char upstream[128], log_path[1100], err[600];
    snprintf(upstream, sizeof upstream, "%s/ExternalApi/v2", r->cin7_url);
    snprintf(log_path, sizeof log_path, "%s/cin7-proxy.log", r->dir);
    uint16_t port = port_free();
    sbuf cmd = SBUF_INIT;
    if (port == 0 || expand_proxy(r->o->cin7_proxy, upstream, port, &cmd) != 0) {
        fprintf(stderr, "surge: --cin7-proxy: %s\n",
                port ? "the command is longer than 8192 bytes" : "no free port on 127.0.0.1");
        sbuf_free(&cmd);
        return -1;
    }
    char *argv[] = {(char *)"/bin/sh", (char *)"-c", (char *)sbuf_str(&cmd), NULL};
    int rc = proc_start(argv, log_path, 0, 0, &r->proxy, NULL, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "surge: cannot start the Cin7 proxy: %s\n", err);
    sbuf_free(&cmd);
    if (rc != 0)
        return -1;
    snprintf(r->cin7_api, sizeof r->cin7_api, "http://127.0.0.1:%u/", (unsigned)port);
    /* A proxy may take a while to load what it validates against (Prism
     * reads a 2 MB reference). */
    for (int waited = 0; waited < PROXY_START_MS && !interrupted; waited += 100) {
        if (port_open(port))
            return 0;
        if (proc_wait(r->proxy, 0, NULL)) {
            fprintf(stderr, "surge: the Cin7 proxy exited before it listened on port %u (log: %s)\n",
                    (unsigned)port, log_path);
            return -1;
        }
        nap_real_ms(100);
    }
    fprintf(stderr, "surge: the Cin7 proxy did not answer on port %u within %d s (log: %s)\n",
            (unsigned)port, PROXY_START_MS / 1000, log_path);
    return -1;
}

static void stop_all(run_ctx *r)
{
    for (int i = 0; i < r->n_inst; i++) {
        proc_stop(r->inst[i].p, 10000);
        r->inst[i].p = NULL;
    }
    lb_stop(r->balancer);
    r->balancer = NULL;
    external_stop(r->ext);
    r->ext = NULL;
    proc_stop(r->proxy, 10000);
    r->proxy = NULL;
    proc_stop(r->shopify, 10000);
    r->shopify = NULL;
    proc_stop(r->cin7, 10000);
    r->cin7 = NULL;
}

/* ---- the store and the instances ------------------------------------------------- */

/* Where the instances keep their state (written into store, n bytes):
 * syncd.db in the results folder; or, with engine.store "postgres", a
 * fresh database on the --pg server or the run's own throwaway cluster.
 * The password stays out of the results folder: the instances get it in
 * PGPASSWORD. Returns 0, or -1 having said why. */
static int open_store(run_ctx *r, char *store, size_t n)
{
    char err[600];
    if (!r->sc.store_postgres) {
        snprintf(store, n, "%s/syncd.db", r->dir);
        return 0;
    }
    const char *server = r->o->pg;
    if (!server) {
        pgcluster_opts po = {.dbname = "surge"};
        if (pgcluster_start(&po, &r->pg, err, sizeof err) != 0) {
            fprintf(stderr, "surge: engine.store \"postgres\": cannot start a PostgreSQL "
                            "cluster: %s\n", err);
            return -1;
        }
        server = pgcluster_conninfo(r->pg);
        fprintf(stderr, "surge: PostgreSQL: a throwaway cluster in %s on port %u (removed "
                        "after the run)\n", pgcluster_dir(r->pg), (unsigned)pgcluster_port(r->pg));
    } else {
        snprintf(r->pg_db, sizeof r->pg_db, "surge_%ld_%lld", (long)getpid(),
                 (long long)r->origin);
        if (pgdb_create(server, r->pg_db, err, sizeof err) != 0) {
            fprintf(stderr, "surge: --pg: %s\n", err);
            r->pg_db[0] = '\0';
            return -1;
        }
        fprintf(stderr, "surge: PostgreSQL: database %s on the --pg server (dropped after "
                        "the run)\n", r->pg_db);
    }
    char *password = pgdb_password(server);
    char *info = pgdb_conninfo(server, r->pg_db[0] ? r->pg_db : "surge", 0, err, sizeof err);
    int rc = -1;
    if (!info)
        fprintf(stderr, "surge: --pg: %s\n", err);
    else if (strlen(info) >= n)
        fprintf(stderr, "surge: --pg: the connection string is too long\n");
    else if (password && setenv("PGPASSWORD", password, 1) != 0)
        fprintf(stderr, "surge: cannot set PGPASSWORD: %s\n", strerror(errno));
    else {
        snprintf(store, n, "%s", info);
        rc = 0;
    }
    free(info);
    free(password);
    return rc;
}

/* Removes what open_store made: the cluster, or the database on the --pg
 * server (kept, and said so, when it cannot be dropped). */
static void close_store(run_ctx *r)
{
    char err[600];
    if (r->pg && pgcluster_stop(r->pg, 10000, err, sizeof err) != 0)
        fprintf(stderr, "surge: stopping the PostgreSQL cluster: %s\n", err);
    r->pg = NULL;
    if (r->pg_db[0] && pgdb_drop(r->o->pg, r->pg_db, err, sizeof err) != 0)
        fprintf(stderr, "surge: --pg: kept database %s, which could not be dropped: %s\n",
                r->pg_db, err);
    r->pg_db[0] = '\0';
}

/* Writes each instance's config (syncd.json, or syncd-N.json of several:
 * the same store and clock, a port of its own, the balancer's address as
 * the public one its webhooks are registered at) and starts haproxy in
 * front of several. Returns 0, or -1 having said why. */
static int setup_instances(run_ctx *r, const char *store)
{
    uint16_t ports[SCENARIO_MAX_INSTANCES] = {0};
    char err[600];
    r->n_inst = r->sc.instances;
    if (r->n_inst > 1) {
        /* Ports fixed beforehand, so haproxy can be told them. */
        for (int i = 0; i < r->n_inst; i++) {
            ports[i] = port_free_except(ports, (size_t)i);
            if (!ports[i]) {
                fprintf(stderr, "surge: no free port on 127.0.0.1 for syncd-%d\n", i + 1);
                return -1;
            }
        }
        r->balancer = lb_start(r->dir, ports, (size_t)r->n_inst, 0, err, sizeof err);
        if (!r->balancer) {
            fprintf(stderr, "surge: engine.instances: %s\n", err);
            return -1;
        }
        snprintf(r->public_url, sizeof r->public_url, "http://127.0.0.1:%u",
                 (unsigned)lb_port(r->balancer));
        fprintf(stderr, "surge: %d syncd instances behind haproxy on %s\n", r->n_inst,
                r->public_url);
    }
    for (int i = 0; i < r->n_inst; i++) {
        run_inst *in = &r->inst[i];
        in->restart_at = -1;
        if (r->n_inst > 1)
            snprintf(in->name, sizeof in->name, "syncd-%d", i + 1);
        else
            snprintf(in->name, sizeof in->name, "syncd");
        char cfg_path[1100];
        cJSON *c = setup_syncd_config(&r->sc, r->cin7_api, r->shopify_url, store, r->k, r->origin);
        if (r->n_inst > 1) {
            cJSON_ReplaceItemInObjectCaseSensitive(c, "port", cJSON_CreateNumber(ports[i]));
            cJSON_AddStringToObject(c, "public_url", r->public_url);
            /* The holder's name in the store's claims: a restarted
             * instance renews what it held before it was killed. */
            cJSON_AddStringToObject(c, "instance", in->name);
        }
        snprintf(cfg_path, sizeof cfg_path, "%s/%s.json", r->dir, in->name);
        results_write_json(cfg_path, c);
        cJSON_Delete(c);
        in->argv[0] = xasprintf("%s/syncd", r->o->bin_dir);
        in->argv[1] = xstrdup("--config");
        in->argv[2] = xstrdup(cfg_path);
    }
    return 0;
}

/* Starts every instance and waits until each answers /healthz. Returns
 * 0, -1 having said why, or 1 when one never became healthy (invalid
 * says which). */
static int start_instances(run_ctx *r, char *invalid, size_t n)
{
    for (int i = 0; i < r->n_inst; i++)
        if (start_syncd(r, &r->inst[i]))
            return -1;
    for (int i = 0; i < r->n_inst; i++) {
        char health[200];
        snprintf(health, sizeof health, "%s/healthz", r->inst[i].url);
        if (hcall_wait_healthy(health, HEALTH_TIMEOUT_MS, r->inst[i].p, &interrupted) != 0) {
            snprintf(invalid, n, "the engine never became healthy (see %s.log)", r->inst[i].name);
            return 1;
        }
    }
    return 0;
}

/* An instance that exited without a planned kill; NULL when none did. */
static const run_inst *instance_died(run_ctx *r)
{
    for (int i = 0; i < r->n_inst; i++)
        if (r->inst[i].p && proc_wait(r->inst[i].p, 0, NULL))
            return &r->inst[i];
    return NULL;
}

/* Each instance's final /metrics, kept as syncd-N.metrics in the results
 * folder when there are several (which instance took what). */
static void save_instance_metrics(const run_ctx *r)
{
    for (int i = 0; r->n_inst > 1 && i < r->n_inst; i++) {
        if (!r->inst[i].p)
            continue;
        httpc_req req = {.url = r->inst[i].metrics_url, .timeout_ms = 5000};
        httpc_resp resp;
        if (httpc_do(&req, &resp) == 0 && resp.status == 200) {
            char path[1100];
            snprintf(path, sizeof path, "%s/%s.metrics", r->dir, r->inst[i].name);
            FILE *f = fopen(path, "w");
            if (f) {
                fputs(resp.body, f);
                if (fclose(f) != 0)
                    fprintf(stderr, "surge: cannot write %s\n", path);
            }
        }
        httpc_resp_free(&resp);
    }
}

/* Whether an instance is down for a planned crash and due back. */
static int restart_pending(const run_ctx *r)
{
    for (int i = 0; i < r->n_inst; i++)
        if (r->inst[i].restart_at >= 0)
            return 1;
    return 0;
}

/* The engine's planned crashes, polled by the run's loop: kills the
 * crash's instance (kill -9) once the next crash is due, while the others
 * go on, and starts it again restart_after after the kill as it happened.
 * The loop notices a due crash up to a poll (and at a high time scale many
 * simulated seconds) late, so a restart timed from the plan would make the
 * downtime shorter than planned, and a crash late enough none at all. A
 * crash due while its instance is still down waits until it is back.
 * Returns 0, or -1 when an instance cannot be started again. */
static int crash_step(run_ctx *r, int64_t t0, int tty)
{
    const scenario *sc = &r->sc;
    int64_t now = clock_now_ms(&r->clk) - t0;
    const sc_crash *due = r->next_crash < sc->n_crashes ? &sc->crashes[r->next_crash] : NULL;
    run_inst *in = due ? &r->inst[due->instance] : NULL;
    if (due && now >= due->at && in->p) {
        run_crash *c = &r->crashes[r->next_crash];
        proc_kill(in->p, SIGKILL);
        c->killed = clock_now_ms(&r->clk) - t0;
        proc_stop(in->p, 1000);
        in->p = NULL;
        in->restart_at = c->killed + due->restart_after;
        in->crash = r->next_crash;
        fprintf(stderr, "%ssurge: t=%.1fs: killed %s (kill -9) as planned at t=%.1fs; restart at t=%.1fs\n",
                tty ? "\n" : "", (double)c->killed / 1000, in->name, (double)c->planned / 1000,
                (double)in->restart_at / 1000);
        r->next_crash++;
        return 0;
    }
    for (int i = 0; i < r->n_inst; i++) {
        in = &r->inst[i];
        if (in->restart_at < 0 || now < in->restart_at)
            continue;
        in->restart_at = -1;
        if (start_syncd(r, in))
            return -1;
        now = clock_now_ms(&r->clk) - t0;
        r->crashes[in->crash].restarted = now;
        fprintf(stderr, "%ssurge: t=%.1fs: %s restarted\n", tty ? "\n" : "", (double)now / 1000,
                in->name);
    }
    return 0;
}

/* summary.json's "crashes": each planned crash and what became of it
 * (scenario ms; null for what did not happen). */
static cJSON *crashes_json(const run_ctx *r)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < r->sc.n_crashes; i++) {
        const run_crash *cr = &r->crashes[i];
        const struct {
            const char *key;
            int64_t ms;
        } fields[] = {{"planned_ms", cr->planned},
                      {"restart_after_ms", r->sc.crashes[i].restart_after},
                      {"killed_ms", cr->killed},
                      {"restarted_ms", cr->restarted}};
        cJSON *c = cJSON_CreateObject();
        if (r->n_inst > 1)
            cJSON_AddNumberToObject(c, "instance", r->sc.crashes[i].instance + 1);
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
            if (fields[f].ms >= 0)
                cJSON_AddNumberToObject(c, fields[f].key, (double)fields[f].ms);
            else
                cJSON_AddNullToObject(c, fields[f].key);
        cJSON_AddItemToArray(arr, c);
    }
    return arr;
}

/* Shifts each rule's window by t0 (scenario time to the mocks' clock). */
static cJSON *shifted_plan(const cJSON *plan, int64_t t0)
{
    cJSON *out = cJSON_Duplicate(plan, 1);
    cJSON *rule;
    cJSON_ArrayForEach(rule, out)
    {
        int64_t at = 0;
        json_get_duration(rule, "$", "at", JSON_OPTIONAL, &at, NULL);
        cJSON_DeleteItemFromObjectCaseSensitive(rule, "at");
        cJSON_AddNumberToObject(rule, "at", (double)(at + t0));
    }
    return out;
}

/* ---- progress ---------------------------------------------------------------------- */

/* What physically existed per SKU, from mock-cin7's state (the oversell
 * of the progress line; the final figure is measure.c's). */
static void read_existed(run_ctx *r)
{
    char url[200];
    snprintf(url, sizeof url, "%s/_mock/state", r->cin7_url);
    cJSON *v = NULL;
    if (hcall_get_json(url, NULL, &v) != 200) {
        cJSON_Delete(v);
        return;
    }
    if (!r->existed)
        r->existed = xcalloc(r->sc.n_skus + 1, sizeof *r->existed);
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(v, "products"))
    {
        const char *sku = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "sku"));
        int k = sku ? scenario_sku_index(&r->sc, sku) : -1;
        if (k >= 0)
            r->existed[k] =
                (int64_t)(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(p, "initial")) +
                          cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(p, "received")) +
                          cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(p, "adjusted")));
    }
    cJSON_Delete(v);
}

static void progress(run_ctx *r, loadgen *g, int64_t now, int64_t backlog, int tty, int final)
{
    uint64_t sent, accepted, sold_out;
    int64_t lag;
    loadgen_progress(g, &sent, &accepted, &sold_out, &lag);
    double t = (double)now / 1000.0, d = (double)r->sc.duration_ms / 1000.0;
    double eta = t < d ? (d - t) / r->k : 0;
    char q[32] = "?", ov[32] = "?";
    if (backlog >= 0)
        snprintf(q, sizeof q, "%lld", (long long)backlog);
    if (r->existed) {
        /* Counted as measure.c counts it: kits in their components' units. */
        size_t nk = r->sc.n_skus + 1;
        int64_t *taken = xcalloc(nk, sizeof *taken), *by_kits = xcalloc(nk, sizeof *by_kits);
        int64_t *over = xcalloc(nk, sizeof *over);
        for (size_t k = 0; k < r->sc.n_skus; k++)
            taken[k] = loadgen_taken(g, k);
        int64_t total = measure_oversell(&r->sc, taken, r->existed, by_kits, over);
        snprintf(ov, sizeof ov, "%lld", (long long)total);
        free(taken);
        free(by_kits);
        free(over);
    }
    if (tty)
        fprintf(stderr, "\r[%6.0fs/%.0fs] orders %llu accepted %llu sold out %llu oversell %s queue %s lag %lldms ETA %.0fs   %s",
                t, d, (unsigned long long)sent, (unsigned long long)accepted,
                (unsigned long long)sold_out, ov, q, (long long)lag, eta, final ? "\n" : "");
    else
        fprintf(stderr, "progress: t=%.0fs/%.0fs orders=%llu accepted=%llu sold_out=%llu oversell=%s queue=%s lag_ms=%lld\n",
                t, d, (unsigned long long)sent, (unsigned long long)accepted,
                (unsigned long long)sold_out, ov, q, (long long)lag);
}

/* ---- the run ----------------------------------------------------------------------- */

/* A body for a mock's POST /_mock/product_edit; returns 0, or -1 after
 * saying why when the mock refused it and *told is 0. */
static int send_edit(const char *base, const cJSON *body, const char *what, int *told)
{
    char url[200], answer[400];
    snprintf(url, sizeof url, "%s/_mock/product_edit", base);
    int st = hcall_send_json("POST", url, body, answer, sizeof answer);
    if (st == 200)
        return 0;
    if (!*told)
        fprintf(stderr, "\nsurge: %s was refused (HTTP %d): %s\n", what, st, answer);
    *told = 1;
    return -1;
}

/* Shopify's variant costs made Cin7's before the engine starts (setup.h):
 * mock-shopify's config takes none. */
static int seed_costs(const run_ctx *r)
{
    cJSON *arr = setup_cost_seeds(&r->sc);
    int rc = 0, told = 0;
    const cJSON *b;
    cJSON_ArrayForEach(b, arr)
    {
        if (send_edit(r->shopify_url, b, "setting a variant's starting cost", &told) != 0) {
            rc = -1;
            break;
        }
    }
    cJSON_Delete(arr);
    return rc;
}

/* The staff edits due by now (scenario ms), in their order. A refused one
 * is counted and the run goes on: the journals show what was applied. */
static void edits_step(const run_ctx *r, const edit_plan *p, size_t *next, int64_t now,
                       size_t *refused)
{
    int told = *refused > 0;
    while (*next < p->n && p->e[*next].t <= now) {
        const edit *e = &p->e[(*next)++];
        cJSON *b = edits_body(&r->sc, e);
        if (send_edit(e->side == SC_OWNER_CIN7 ? r->cin7_url : r->shopify_url, b, "a staff edit",
                      &told) != 0)
            (*refused)++;
        cJSON_Delete(b);
    }
}

int run_scenario(const run_opts *o)
{
    run_ctx r = {0};
    r.o = o;
    int rc = results_load_scenario(o->scenario_path, o->sets, o->n_sets, o->seed, &r.sc);
    if (rc != RUN_PASS)
        return rc;
    scenario_replay_notes(&r.sc, stderr);
    scenario *sc = &r.sc;
    if (o->pg && !sc->store_postgres) {
        fprintf(stderr, "surge: --pg: the scenario's engine.store is \"sqlite\"; set it to "
                        "\"postgres\" (--set engine.store=postgres) or leave --pg out\n");
        scenario_free(&r.sc);
        return RUN_BAD_USAGE;
    }
    r.crashes = xcalloc(sc->n_crashes + 1, sizeof *r.crashes);
    for (size_t i = 0; i < sc->n_crashes; i++)
        r.crashes[i] = (run_crash){sc->crashes[i].at, -1, -1};
    sc_gate *gates = NULL;
    size_t n_gates = 0;
    rc = results_prepare(sc, o->gates, o->n_gates, o->out_dir, &gates, &n_gates, r.dir,
                         sizeof r.dir);
    if (rc != RUN_PASS)
        goto early;
    r.k = o->time_scale > 0 ? o->time_scale : sc->time_scale;
    r.origin = clock_wall_ms();
    clock_init(&r.clk, r.k, r.origin);
    {
        char path[1100];
        snprintf(path, sizeof path, "%s/scenario.json", r.dir);
        results_write_json(path, sc->source);
        cJSON *c = setup_cin7_config(sc);
        snprintf(path, sizeof path, "%s/cin7.json", r.dir);
        results_write_json(path, c);
        cJSON_Delete(c);
        c = setup_shopify_config(sc);
        snprintf(path, sizeof path, "%s/shopify.json", r.dir);
        results_write_json(path, c);
        cJSON_Delete(c);
    }
    fprintf(stderr, "surge: running %s (seed %llu, time scale %g) into %s\n", sc->name,
            (unsigned long long)sc->seed, r.k, r.dir);

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    const sc_external *x = sc->external;
    char invalid[700] = "";
    /* What the run gathers, freed at out however it ends. */
    measure_sample *samples = NULL;
    lg_record *records = NULL;
    cJSON *cin7_state = NULL, *shopify_state = NULL, *dlq = NULL;
    edit_plan staff = {0};
    size_t next_edit = 0, edits_refused = 0;
    rc = RUN_BROKE;
    char err[600];
    if (x && external_ports_free(x, err, sizeof err) != 0) {
        fprintf(stderr, "surge: %s\n", err);
        goto out;
    }
    if (start_mock(&r, "mock-cin7", "cin7.json", x ? x->cin7_port : 0, &r.cin7, r.cin7_url,
                   sizeof r.cin7_url) ||
        start_mock(&r, "mock-shopify", "shopify.json", x ? x->shopify_port : 0, &r.shopify,
                   r.shopify_url, sizeof r.shopify_url))
        goto out;
    snprintf(r.cin7_api, sizeof r.cin7_api, "%s/ExternalApi/v2/", r.cin7_url);
    if (o->cin7_proxy && start_cin7_proxy(&r))
        goto out;
    if (seed_costs(&r) != 0)
        goto out;

    /* t0: the scenario's zero on the shared clock, on a whole tick, once
     * the engine is ready; a foreign engine surge starts is told it, so it
     * is fixed first and the engine has until then to be ready. */
    int64_t t0 = -1;
    if (x && x->argv) {
        t0 = clock_now_ms(&r.clk) + sc->tick_ms + (int64_t)((double)x->start_within * r.k);
        t0 -= t0 % sc->tick_ms;
    }
    if (!x) {
        char store[1100];
        int started = open_store(&r, store, sizeof store) == 0 && setup_instances(&r, store) == 0
                          ? start_instances(&r, invalid, sizeof invalid)
                          : -1;
        if (started < 0)
            goto out;
        if (started > 0) {
            rc = RUN_INVALID;
            goto out;
        }
    } else {
        /* Someone else's engine: started (when it has a command), told
         * where everything is, subscribed to the mocks' webhooks. */
        external_env ee = {sc, r.dir, r.k, r.origin, t0, r.cin7_api, r.cin7_url, r.shopify_url};
        r.ext = external_start(&ee, err, sizeof err);
        if (!r.ext) {
            fprintf(stderr, "surge: %s\n", err);
            goto out;
        }
        if (x->argv)
            fprintf(stderr, "surge: started the engine (log: %s/engine.log); it has until t0 "
                            "to be ready\n", r.dir);
        int ready = external_wait_ready(r.ext, &interrupted, err, sizeof err);
        if (ready == -2 || (ready != 0 && interrupted)) {
            if (!interrupted)
                fprintf(stderr, "surge: %s\n", err);
            goto out;
        }
        if (ready != 0) {
            snprintf(invalid, sizeof invalid, "%s", err);
            rc = RUN_INVALID;
            goto out;
        }
        if (external_metrics_url(r.ext))
            snprintf(r.metrics_url, sizeof r.metrics_url, "%s", external_metrics_url(r.ext));
        fprintf(stderr, "surge: mock-shopify on %s, mock-cin7 on %s\n", r.shopify_url, r.cin7_url);
    }
    if (t0 < 0) {
        t0 = clock_now_ms(&r.clk) + sc->tick_ms;
        t0 -= t0 % sc->tick_ms;
    }

    for (int side = 0; side < 2; side++) {
        const cJSON *plan = side ? sc->faults_shopify : sc->faults_cin7;
        if (cJSON_GetArraySize(plan) == 0)
            continue;
        cJSON *shifted = shifted_plan(plan, t0);
        char url[200], answer[400];
        snprintf(url, sizeof url, "%s/_mock/faults", side ? r.shopify_url : r.cin7_url);
        int st = hcall_send_json("PUT", url, shifted, answer, sizeof answer);
        cJSON_Delete(shifted);
        if (st != 200) {
            fprintf(stderr, "surge: the %s fault plan was refused: %s\n", side ? "Shopify" : "Cin7",
                    answer);
            goto out;
        }
    }

    edits_plan(sc, &staff);
    if (sc->ownership.given)
        fprintf(stderr, "surge: %zu staff edits of product data planned ($.ownership.edits)\n",
                staff.n);
    lg_config lc = {.sc = sc, .clk = &r.clk, .shopify_url = r.shopify_url,
                    .cin7_url = r.cin7_url, .offset_ms = t0, .end_ms = sc->duration_ms};
    loadgen *g = loadgen_start(&lc);
    int tty = isatty(STDERR_FILENO) && !o->quiet;
    size_t n_samples = 0, cap_samples = 0;
    int64_t last_print = 0, existed_read = 0;
    int engine_died = 0;
    int64_t backlog = -1;

    /* The demand window, then the drain. */
    int draining = 0, quiet_polls = 0;
    int64_t drain_started = 0;
    for (;;) {
        nap_real_ms(POLL_REAL_MS);
        int64_t now = clock_now_ms(&r.clk) - t0;
        if (interrupted)
            break;
        if (crash_step(&r, t0, tty) != 0) {
            engine_died = 1;
            break;
        }
        if (proc_wait(r.cin7, 0, NULL) || proc_wait(r.shopify, 0, NULL)) {
            fprintf(stderr, "\nsurge: a mock exited during the run (see its log in %s)\n", r.dir);
            engine_died = 2;
            break;
        }
        const run_inst *died = instance_died(&r);
        if (died) {
            fprintf(stderr, "\nsurge: %s exited during the run (see %s/%s.log)\n", died->name,
                    r.dir, died->name);
            engine_died = 1;
            break;
        }
        if (r.ext && !external_alive(r.ext, err, sizeof err)) {
            fprintf(stderr, "\nsurge: %s\n", err);
            engine_died = 1;
            break;
        }
        edits_step(&r, &staff, &next_edit, now, &edits_refused);
        backlog = engine_backlog(&r);
        if (backlog >= 0) {
            if (n_samples == cap_samples) {
                cap_samples = cap_samples ? cap_samples * 2 : 1024;
                samples = xrealloc(samples, cap_samples * sizeof *samples);
            }
            samples[n_samples++] = (measure_sample){now, backlog};
        }
        int64_t real_now = clock_wall_ms();
        if (!r.existed || real_now - existed_read >= EXISTED_EVERY_MS) {
            read_existed(&r);
            existed_read = real_now;
        }
        if (tty ? real_now - last_print >= 250 : real_now - last_print >= 10000) {
            progress(&r, g, now, backlog, tty, 0);
            last_print = real_now;
        }
        if (!draining) {
            if (loadgen_done(g) && !restart_pending(&r) && next_edit == staff.n) {
                draining = 1;
                drain_started = now;
                if (tty)
                    fputc('\n', stderr);
                fprintf(stderr, "surge: demand done at t=%.1fs; draining (at most %.0fs)\n",
                        (double)now / 1000, (double)sc->drain_ms / 1000);
            }
            continue;
        }
        /* Quiet: nothing queued in the engine or the mocks, twice running. */
        int64_t pend = mock_pending(r.cin7_url) + mock_pending(r.shopify_url);
        int quiet = backlog <= 0 && pend == 0 && !restart_pending(&r);
        quiet_polls = quiet ? quiet_polls + 1 : 0;
        int64_t drained = now - drain_started;
        if ((quiet_polls >= 3 && drained >= sc->drain_min_ms) || drained >= sc->drain_ms)
            break;
    }
    int64_t end = clock_now_ms(&r.clk) - t0;
    progress(&r, g, end, backlog, tty, tty);
    if (interrupted)
        loadgen_cancel(g);
    size_t n_records;
    int64_t max_lag;
    loadgen_finish(g, &records, &n_records, &max_lag);
    if (interrupted)
        fprintf(stderr, "surge: interrupted; stopping everything\n");
    if (edits_refused)
        fprintf(stderr, "surge: %zu of %zu staff edits were refused by the mocks\n",
                edits_refused, next_edit);
    if (interrupted || engine_died) {
        rc = RUN_BROKE;
        goto out;
    }
    if (max_lag > sc->lag_tolerance_ms)
        snprintf(invalid, sizeof invalid,
                 "the load generator fell %lld ms behind its schedule (tolerance %.0f ms): the "
                 "numbers describe the generator, not the system",
                 (long long)max_lag, sc->lag_tolerance_ms);

    /* Ground truth, then stop everything so the journals are complete. */
    {
        char url[200];
        snprintf(url, sizeof url, "%s/_mock/state", r.cin7_url);
        hcall_get_json(url, NULL, &cin7_state);
        snprintf(url, sizeof url, "%s/_mock/state", r.shopify_url);
        hcall_get_json(url, NULL, &shopify_state);
        if (live_instance(&r)) {
            cJSON *v = NULL;
            snprintf(url, sizeof url, "%s/admin/dlq?limit=10000", live_instance(&r));
            hcall_get_json(url, SETUP_ADMIN_TOKEN, &v);
            dlq = cJSON_DetachItemFromObjectCaseSensitive(v, "dead_letters");
            cJSON_Delete(v);
        }
        /* A foreign engine's dead letters are unknown (NULL). */
        if (!dlq && !x)
            dlq = cJSON_CreateArray();
        save_instance_metrics(&r);
    }
    stop_all(&r);
    if (!cin7_state || !shopify_state) {
        fprintf(stderr, "surge: could not read the mocks' final state\n");
        goto out;
    }
    char cj[1100], sj[1100];
    snprintf(cj, sizeof cj, "%s/mock-cin7.journal.jsonl", r.dir);
    snprintf(sj, sizeof sj, "%s/mock-shopify.journal.jsonl", r.dir);
    int64_t *buffers = setup_shop_buffers(sc);
    measure_input mi = {sc, t0, end, cj, sj, cin7_state, shopify_state, dlq, records, n_records,
                        samples, n_samples, buffers, x ? -1 : setup_low_stock_split(sc),
                        x ? -1 : setup_kit_low_stock_split(sc)};
    measure_output mo;
    int measured = measure_run(&mi, &mo, err, sizeof err);
    free(buffers);
    if (measured != 0) {
        fprintf(stderr, "surge: measuring failed: %s\n", err);
        goto out;
    }

    results_in ri = {.dir = r.dir, .sc = sc, .gates = gates, .n_gates = n_gates,
                     .invalid = invalid, .time_scale = r.k, .origin = r.origin, .end = end,
                     .records = records, .n_records = n_records, .max_lag = max_lag,
                     .crashes = crashes_json(&r), .what = "run",
                     .no_report = o->no_report, .baseline = o->baseline};
    rc = results_write(&ri, &mo);
    measure_output_free(&mo);
out:
    stop_all(&r);
    close_store(&r);
    cJSON_Delete(cin7_state);
    cJSON_Delete(shopify_state);
    cJSON_Delete(dlq);
    free(records);
    free(samples);
    edits_plan_free(&staff);
    if (rc == RUN_INVALID && invalid[0])
        fprintf(stderr, "surge: INVALID: %s\n", invalid);
    for (int i = 0; i < SCENARIO_MAX_INSTANCES; i++)
        for (size_t a = 0; a < 8; a++)
            free(r.inst[i].argv[a]);
    free(r.existed);
early:
    results_gates_free(gates, n_gates);
    scenario_free(&r.sc);
    free(r.crashes);
    return rc;
}
