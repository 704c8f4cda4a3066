/* A foreign engine in a run; see external.h and docs/DESIGN.md. */
#include "external.h"

#include "clock.h"
#include "hcall.h"
#include "json.h"
#include "mem.h"
#include "port.h"
#include "proc.h"
#include "results.h"
#include "sbuf.h"
#include "setup.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The Shopify API version engine.json names: mock-shopify's newest. */
#define SHOPIFY_API_VERSION "2026-10"
/* Real ms a hand-started engine has to answer on its health URL. */
#define HAND_STARTED_HEALTH_MS 60000
/* Real ms a started engine has to exit after SIGTERM. */
#define STOP_GRACE_MS 10000

struct external {
    const sc_external *x;
    external_env env;
    proc *p;            /* NULL for a hand-started engine */
    uint16_t port;      /* the port handed to a started engine */
    char *shopify_hooks, *cin7_hooks, *health, *metrics; /* {port} filled in */
    char log_path[1100];
};

static void nap_real_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* url with every {port} replaced; NULL stays NULL. */
static char *fill_port(const char *url, uint16_t port)
{
    if (!url)
        return NULL;
    sbuf b = SBUF_INIT;
    for (const char *p = url; *p;) {
        if (strncmp(p, "{port}", 6) == 0) {
            sbuf_printf(&b, "%u", (unsigned)port);
            p += 6;
        } else {
            sbuf_putc(&b, *p++);
        }
    }
    return sbuf_take(&b);
}

int external_ports_free(const sc_external *x, char *err, size_t errlen)
{
    const struct {
        int port;
        const char *field;
    } want[] = {{x->shopify_port, "shopify_port"}, {x->cin7_port, "cin7_port"}};
    for (size_t i = 0; i < 2; i++)
        if (want[i].port && port_open((uint16_t)want[i].port)) {
            snprintf(err, errlen,
                     "port %d of 127.0.0.1 is already in use, so the mock cannot listen there "
                     "($.engine.external.%s): stop what holds it (another surge run?), or give "
                     "the engine a command so the mocks take free ports",
                     want[i].port, want[i].field);
            return -1;
        }
    return 0;
}

/* ---- engine.json and the environment ---------------------------------------------- */

/* The time scale the engine applies itself: 1 under faketime, whose clock
 * already runs at the run's. */
static double own_scale(const external *e)
{
    return e->x->faketime ? 1 : e->env.time_scale;
}

static void add_url(cJSON *o, const char *key, const char *url)
{
    if (url)
        cJSON_AddStringToObject(o, key, url);
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *engine_json(const external *e)
{
    const scenario *sc = e->env.sc;
    const external_env *v = &e->env;
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "scenario", sc->name);
    cJSON_AddNumberToObject(c, "seed", (double)sc->seed);
    cJSON_AddStringToObject(c, "results_dir", v->dir);
    cJSON *clk = cJSON_AddObjectToObject(c, "clock");
    cJSON_AddStringToObject(clk, "kind", e->x->faketime ? "faketime" : "native");
    cJSON_AddNumberToObject(clk, "time_scale", own_scale(e));
    cJSON_AddNumberToObject(clk, "run_time_scale", v->time_scale);
    cJSON_AddNumberToObject(clk, "origin_ms", (double)v->origin);
    if (v->t0 >= 0)
        cJSON_AddNumberToObject(clk, "t0_ms", (double)(v->origin + v->t0));
    else
        cJSON_AddNullToObject(clk, "t0_ms"); /* a hand-started engine's run starts when it is ready */
    cJSON_AddNumberToObject(clk, "duration_ms", (double)sc->duration_ms);
    cJSON *listen = cJSON_AddObjectToObject(c, "listen");
    cJSON_AddStringToObject(listen, "host", "127.0.0.1");
    if (e->port)
        cJSON_AddNumberToObject(listen, "port", e->port);
    else
        cJSON_AddNullToObject(listen, "port");
    cJSON *hooks = cJSON_AddObjectToObject(c, "webhooks");
    add_url(hooks, "shopify", e->shopify_hooks);
    add_url(hooks, "cin7", e->cin7_hooks);
    cJSON *cin7 = cJSON_AddObjectToObject(c, "cin7");
    cJSON_AddStringToObject(cin7, "base_url", v->cin7_api);
    cJSON_AddStringToObject(cin7, "account_id", SETUP_CIN7_ACCOUNT);
    cJSON_AddStringToObject(cin7, "application_key", SETUP_CIN7_KEY);
    cJSON *shopify = cJSON_AddObjectToObject(c, "shopify");
    cJSON_AddStringToObject(shopify, "base_url", v->shopify_url);
    cJSON_AddStringToObject(shopify, "api_version", SHOPIFY_API_VERSION);
    cJSON_AddItemToObject(shopify, "shops", setup_shops_json(sc, v->shopify_url, "webhook_secret"));
    cJSON *locs = cJSON_AddArrayToObject(c, "locations");
    for (size_t w = 0; w < sc->n_warehouses; w++) {
        cJSON *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "name", sc->warehouses[w].name);
        cJSON_AddItemToArray(locs, l);
    }
    cJSON *skus = cJSON_AddArrayToObject(c, "skus");
    for (size_t k = 0; k < sc->n_skus; k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "cin7_sku", sc->skus[k].sku);
        cJSON_AddStringToObject(o, "shopify_sku", sc->skus[k].shopify_sku);
        cJSON_AddItemToArray(skus, o);
    }
    cJSON_AddNumberToObject(c, "safety_buffer", (double)e->x->safety_buffer);
    return c;
}

/* "NAME=value" entries, NULL-terminated: ours, then the scenario's env
 * (which may override ours). */
static char **engine_environ(const external *e, const char *config_path)
{
    const scenario *sc = e->env.sc;
    const external_env *v = &e->env;
    size_t n_user = (size_t)cJSON_GetArraySize(e->x->env);
    char **out = xcalloc(32 + n_user, sizeof *out);
    size_t n = 0;
    out[n++] = xasprintf("SURGE_ENGINE_CONFIG=%s", config_path);
    out[n++] = xasprintf("SURGE_RESULTS_DIR=%s", v->dir);
    out[n++] = xasprintf("SURGE_PORT=%u", (unsigned)e->port);
    out[n++] = xasprintf("SURGE_CLOCK=%s", e->x->faketime ? "faketime" : "native");
    out[n++] = xasprintf("SURGE_TIME_SCALE=%.17g", own_scale(e));
    out[n++] = xasprintf("SURGE_RUN_TIME_SCALE=%.17g", v->time_scale);
    out[n++] = xasprintf("SURGE_CLOCK_ORIGIN_MS=%lld", (long long)v->origin);
    out[n++] = xasprintf("SURGE_T0_MS=%lld", (long long)(v->origin + v->t0));
    out[n++] = xasprintf("SURGE_DURATION_MS=%lld", (long long)sc->duration_ms);
    out[n++] = xasprintf("SURGE_CIN7_URL=%s", v->cin7_api);
    out[n++] = xasprintf("SURGE_CIN7_ACCOUNT_ID=%s", SETUP_CIN7_ACCOUNT);
    out[n++] = xasprintf("SURGE_CIN7_APPLICATION_KEY=%s", SETUP_CIN7_KEY);
    out[n++] = xasprintf("SURGE_SHOPIFY_URL=%s", v->shopify_url);
    out[n++] = xasprintf("SURGE_SHOPIFY_API_VERSION=%s", SHOPIFY_API_VERSION);
    out[n++] = xasprintf("SURGE_SHOPIFY_SHOP=%s", sc->shops[0].domain);
    out[n++] = xasprintf("SURGE_SHOPIFY_SHOP_URL=%s/shops/%s", v->shopify_url, sc->shops[0].domain);
    out[n++] = xasprintf("SURGE_SHOPIFY_TOKEN=%s", sc->shops[0].token);
    out[n++] = xasprintf("SURGE_SHOPIFY_WEBHOOK_SECRET=%s", sc->shops[0].secret);
    out[n++] = xasprintf("SURGE_SAFETY_BUFFER=%lld", (long long)e->x->safety_buffer);
    const cJSON *it;
    cJSON_ArrayForEach(it, e->x->env)
        out[n++] = xasprintf("%s=%s", it->string, it->valuestring);
    out[n] = NULL;
    return out;
}

static void free_strv(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* ---- webhooks -------------------------------------------------------------------- */

/* POSTs seed to a mock's /_mock/seed; field names the scenario's URL in
 * the message. */
static int seed_mock(const char *mock_url, cJSON *seed, const char *field, char *err,
                     size_t errlen)
{
    char url[200], answer[400];
    snprintf(url, sizeof url, "%s/_mock/seed", mock_url);
    int st = hcall_send_json("POST", url, seed, answer, sizeof answer);
    cJSON_Delete(seed);
    if (st == 200)
        return 0;
    snprintf(err, errlen, "subscribing $.engine.external.%s at the mock failed: %s", field, answer);
    return -1;
}

/* Subscribes the engine's URLs: Shopify's orders/paid and orders/cancelled
 * of every shop, Cin7's Stock/AvailableStockLevelChanged. */
static int subscribe(const external *e, char *err, size_t errlen)
{
    const scenario *sc = e->env.sc;
    if (e->shopify_hooks) {
        cJSON *seed = cJSON_CreateObject();
        cJSON *hooks = cJSON_AddArrayToObject(seed, "webhooks");
        static const char *const topics[] = {"orders/paid", "orders/cancelled"};
        for (size_t s = 0; s < sc->n_shops; s++)
            for (size_t t = 0; t < 2; t++) {
                cJSON *w = cJSON_CreateObject();
                cJSON_AddStringToObject(w, "shop", sc->shops[s].domain);
                cJSON_AddStringToObject(w, "topic", topics[t]);
                cJSON_AddStringToObject(w, "address", e->shopify_hooks);
                cJSON_AddItemToArray(hooks, w);
            }
        if (seed_mock(e->env.shopify_url, seed, "shopify_webhooks", err, errlen))
            return -1;
    }
    if (e->cin7_hooks) {
        cJSON *seed = cJSON_CreateObject();
        cJSON *sub = cJSON_CreateObject();
        cJSON_AddStringToObject(sub, "type", "Stock/AvailableStockLevelChanged");
        cJSON_AddStringToObject(sub, "url", e->cin7_hooks);
        cJSON_AddItemToArray(cJSON_AddArrayToObject(seed, "subscriptions"), sub);
        if (seed_mock(e->env.cin7_url, seed, "cin7_webhooks", err, errlen))
            return -1;
    }
    return 0;
}

/* ---- the process ------------------------------------------------------------------ */

/* The last line of the engine's log, for messages. */
static void log_last(const char *path, char *out, size_t n)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[400];
    while (fgets(line, sizeof line, f))
        if (line[0] != '\n')
            snprintf(out, n, "%.*s", (int)(n - 1), line);
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
}

/* argv as started: the command, under faketime when asked. libfaketime's
 * clock starts at the offset given and runs time_scale times as fast from
 * the moment the command starts; the offset puts that moment where the
 * run's scaled clock has it. */
static char **command_argv(const external *e, char *err, size_t errlen)
{
    const sc_external *x = e->x;
    size_t extra = x->faketime ? 4 : 0;
    char **argv = xcalloc(x->n_argv + extra + 1, sizeof *argv);
    size_t n = 0;
    if (x->faketime) {
        char *ft = proc_find_program("faketime", NULL);
        if (!ft) {
            snprintf(err, errlen, "$.engine.external.clock is \"faketime\" but the faketime "
                     "command is not installed (Debian package faketime: apt-get install "
                     "faketime)");
            free(argv);
            return NULL;
        }
        double k = e->env.time_scale;
        double offset_s = (double)(clock_wall_ms() - e->env.origin) * (k - 1) / 1000.0;
        argv[n++] = ft;
        argv[n++] = xstrdup("-m");
        argv[n++] = xstrdup("-f");
        argv[n++] = xasprintf("%+.3f x%.6g", offset_s, k);
    }
    for (size_t i = 0; i < x->n_argv; i++)
        argv[n++] = xstrdup(x->argv[i]);
    return argv;
}

static int spawn(external *e, const char *config_path, char *err, size_t errlen)
{
    char **argv = command_argv(e, err, errlen);
    if (!argv)
        return -1;
    char **envv = engine_environ(e, config_path);
    char cwd[PATH_MAX];
    const char *where = realpath(e->x->cwd, cwd) ? cwd : e->x->cwd;
    proc_opts o = {.cwd = where, .env = envv, .group = 1};
    char why[600];
    int rc = proc_spawn(argv, e->log_path, &o, &e->p, why, sizeof why);
    if (rc != 0)
        snprintf(err, errlen, "cannot start $.engine.external.command: %s", why);
    free_strv(argv);
    free_strv(envv);
    return rc;
}

external *external_start(const external_env *env, char *err, size_t errlen)
{
    const sc_external *x = env->sc->external;
    external *e = xcalloc(1, sizeof *e);
    e->x = x;
    e->env = *env;
    snprintf(e->log_path, sizeof e->log_path, "%s/engine.log", env->dir);
    if (x->argv) {
        e->port = port_free();
        if (!e->port) {
            snprintf(err, errlen, "no free port on 127.0.0.1 for the engine");
            free(e);
            return NULL;
        }
    }
    e->shopify_hooks = fill_port(x->shopify_hooks, e->port);
    e->cin7_hooks = fill_port(x->cin7_hooks, e->port);
    e->health = fill_port(x->health, e->port);
    e->metrics = fill_port(x->metrics, e->port);
    char *config_path = xasprintf("%s/engine.json", env->dir);
    cJSON *c = engine_json(e);
    int rc = results_write_json(config_path, c);
    cJSON_Delete(c);
    if (rc != 0)
        snprintf(err, errlen, "cannot write %s", config_path);
    else
        rc = subscribe(e, err, errlen);
    if (rc == 0 && x->argv)
        rc = spawn(e, config_path, err, errlen);
    free(config_path);
    if (rc != 0) {
        external_stop(e);
        return NULL;
    }
    return e;
}

int external_alive(external *e, char *err, size_t errlen)
{
    int status = 0;
    if (!e->p || !proc_wait(e->p, 0, &status))
        return 1;
    char last[300];
    log_last(e->log_path, last, sizeof last);
    snprintf(err, errlen, "the engine exited (%s %d); the end of %s: %s",
             WIFEXITED(status) ? "status" : "signal",
             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), e->log_path,
             last[0] ? last : "(empty)");
    return 0;
}

int external_wait_ready(external *e, const volatile sig_atomic_t *interrupted, char *err,
                        size_t errlen)
{
    if (!e->p) {
        if (e->health && hcall_wait_healthy(e->health, HAND_STARTED_HEALTH_MS, NULL, interrupted)) {
            snprintf(err, errlen, "the engine did not answer 200 on %s within %d s "
                     "($.engine.external.health)", e->health, HAND_STARTED_HEALTH_MS / 1000);
            return -1;
        }
        return 0;
    }
    /* A started engine has until t0; it is not asked before then. */
    sclock clk;
    clock_init(&clk, e->env.time_scale, e->env.origin);
    int healthy = e->health == NULL;
    for (;;) {
        if (interrupted && *interrupted)
            return -1;
        if (!external_alive(e, err, errlen))
            return -2;
        if (!healthy)
            healthy = hcall_get_json(e->health, NULL, NULL) == 200;
        int64_t left = e->env.t0 - clock_now_ms(&clk);
        if (left <= 0)
            break;
        double real = clock_real_ms(&clk, left);
        nap_real_ms(real < 50 ? (int)real + 1 : 50);
    }
    if (!healthy) {
        char start[32];
        clock_format_duration(e->x->start_within, start, sizeof start);
        snprintf(err, errlen, "the engine did not answer 200 on %s within %s of its start "
                 "($.engine.external.start_within; its log: %s)", e->health, start, e->log_path);
        return -1;
    }
    return 0;
}

const char *external_metrics_url(const external *e)
{
    return e->metrics;
}

void external_stop(external *e)
{
    if (!e)
        return;
    proc_stop(e->p, STOP_GRACE_MS);
    free(e->shopify_hooks);
    free(e->cin7_hooks);
    free(e->health);
    free(e->metrics);
    free(e);
}
