/* The shared mock server skeleton; see mockd.h. */
#include "mockd.h"

#include "httpc.h"
#include "log.h"
#include "mem.h"
#include "sbuf.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONFIG_BYTES (16 * 1024 * 1024)

struct mockd {
    const mock_app *app;
    void *state;
    sclock clk;
    journal *jr;
    counters *ctr;
    httpd *srv;
    uint64_t seed;
    pthread_rwlock_t plan_lock;
    fault_plan *plan;
    uint64_t plan_generation; /* reseeds each new plan so plans differ */
};

/* What mockd hangs on each request (httpd_user). */
typedef struct {
    char *client;
    int malformed; /* 1 truncate, 2 invalid JSON */
    int lose_answer; /* an applied reset or timeout: carry it out, answer nothing */
} req_info;

static req_info *info_of(httpd_req *r)
{
    req_info *i = httpd_user(r);
    if (!i) {
        i = xcalloc(1, sizeof *i);
        httpd_set_user(r, i);
    }
    return i;
}

sclock *mockd_clock(mockd *m)
{
    return &m->clk;
}

journal *mockd_journal(mockd *m)
{
    return m->jr;
}

counters *mockd_counters(mockd *m)
{
    return m->ctr;
}

uint64_t mockd_seed(mockd *m)
{
    return m->seed;
}

double mockd_real_ms(mockd *m, int64_t sim_ms)
{
    return clock_real_ms(&m->clk, sim_ms);
}

void mockd_set_client(httpd_req *r, const char *client)
{
    req_info *i = info_of(r);
    free(i->client);
    i->client = client ? xstrdup(client) : NULL;
}

void mockd_delivery_faults(mockd *m, const char *topic, fault_delivery *out)
{
    pthread_rwlock_rdlock(&m->plan_lock);
    faults_decide_delivery(m->plan, topic, clock_now_ms(&m->clk), out);
    pthread_rwlock_unlock(&m->plan_lock);
}

int mockd_throttle(mockd *m, httpd_req *r)
{
    pthread_rwlock_rdlock(&m->plan_lock);
    int t = faults_throttle(m->plan, httpd_method(r), httpd_path(r), clock_now_ms(&m->clk));
    pthread_rwlock_unlock(&m->plan_lock);
    return t;
}

static int is_control(const char *path)
{
    return strncmp(path, "/_mock/", 7) == 0;
}

/* ---- faults on API requests ---------------------------------------------- */

static int filter(httpd_req *r, void *ud)
{
    mockd *m = ud;
    info_of(r);
    if (is_control(httpd_path(r)))
        return 0;
    fault_decision d;
    pthread_rwlock_rdlock(&m->plan_lock);
    faults_decide(m->plan, httpd_method(r), httpd_path(r), clock_now_ms(&m->clk), &d);
    if (d.delay_ms > 0)
        httpd_delay(r, mockd_real_ms(m, d.delay_ms));
    int answered = 1;
    switch (d.action) {
    case FAULT_STATUS:
    case FAULT_OUTAGE:
        if (d.body && (d.body_given || !m->app->fault_body)) {
            httpd_reply_json_text(r, d.status, d.body);
        } else {
            char *body = m->app->fault_body(d.status);
            httpd_reply_take(r, d.status, "application/json; charset=utf-8", body, strlen(body));
        }
        break;
    case FAULT_TIMEOUT:
        httpd_delay(r, mockd_real_ms(m, d.hold_ms)); /* no answer: dropped after */
        if (d.applied) { /* the handler runs; post() drops its answer */
            info_of(r)->lose_answer = 1;
            answered = 0;
        }
        break;
    case FAULT_RESET:
        if (d.applied) {
            info_of(r)->lose_answer = 1;
            answered = 0;
        } else {
            httpd_reset(r);
        }
        break;
    case FAULT_MALFORMED:
        info_of(r)->malformed = d.malformed_invalid ? 2 : 1;
        answered = 0;
        break;
    case FAULT_NONE:
        answered = 0;
        break;
    }
    pthread_rwlock_unlock(&m->plan_lock);
    if (d.action != FAULT_NONE || d.delay_ms > 0) {
        static const char *const names[] = {"latency", "status", "timeout", "reset",
                                            "malformed", "outage"};
        counters_addf(m->ctr, 1, "faults %s", names[d.action]);
        sbuf b = SBUF_INIT;
        sbuf_printf(&b, "\"rule\":%d,\"action\":\"%s\",\"delay_ms\":%lld,\"method\":\"%s\",\"path\":",
                    d.rule, names[d.action], (long long)d.delay_ms, httpd_method(r));
        sbuf_json_str(&b, httpd_path(r));
        journal_addf(m->jr, "fault", "%s", sbuf_str(&b));
        sbuf_free(&b);
    }
    if (answered)
        return 1;
    return m->app->filter ? m->app->filter(m->state, r) : 0;
}

/* Corrupts a real answer for the malformed fault; loses it for an applied
 * reset or timeout (held first, for a timeout). */
static void post(httpd_req *r, void *ud)
{
    (void)ud;
    req_info *i = httpd_user(r);
    if (i && i->lose_answer) {
        httpd_reset(r);
        return;
    }
    if (!i || !i->malformed)
        return;
    size_t len;
    const char *body = httpd_answer(r, &len);
    if (i->malformed == 2 || !body || len < 2)
        httpd_reply_json_text(r, 200, "{\"data\": [1, 2,, oops");
    else
        httpd_reply(r, 200, "application/json; charset=utf-8", body, len / 2);
}

static void done(httpd_req *r, int status, void *ud)
{
    mockd *m = ud;
    req_info *i = httpd_user(r);
    const char *path = httpd_path(r);
    if (!is_control(path)) {
        const char *route = httpd_route_pattern(r);
        sbuf b = SBUF_INIT;
        sbuf_printf(&b, "\"method\":\"%s\",\"path\":", httpd_method(r));
        sbuf_json_str(&b, path);
        sbuf_puts(&b, ",\"route\":");
        if (route)
            sbuf_json_str(&b, route);
        else
            sbuf_puts(&b, "null");
        sbuf_printf(&b, ",\"status\":%d,\"client\":", status);
        if (i && i->client)
            sbuf_json_str(&b, i->client);
        else
            sbuf_puts(&b, "null");
        journal_addf(m->jr, "request", "%s", sbuf_str(&b));
        sbuf_free(&b);
        counters_addf(m->ctr, 1, "requests %s %s %d", httpd_method(r), route ? route : "(none)",
                      status);
        counters_addf(m->ctr, 1, "status %d", status);
    }
    if (i) {
        free(i->client);
        free(i);
    }
}

/* ---- the control API ------------------------------------------------------ */

cJSON *mockd_body(httpd_req *r, const char *const *keys)
{
    size_t len;
    const char *text = httpd_body(r, &len);
    json_err e;
    cJSON *v = json_parse(text, len, &e);
    if (!v || (keys && json_only_keys(v, "$", keys, &e) != 0)) {
        httpd_reply_error(r, 400, e.msg);
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

static void ctl_health(httpd_req *r, void *ud)
{
    mockd *m = ud;
    long pending = m->app->pending ? m->app->pending(m->state) : 0;
    char body[160];
    snprintf(body, sizeof body, "{\"ok\":true,\"t\":%lld,\"pending\":%ld,\"journal_seq\":%llu}",
             (long long)clock_now_ms(&m->clk), pending,
             (unsigned long long)journal_last_seq(m->jr));
    httpd_reply_json_text(r, 200, body);
}

static void ctl_reset(httpd_req *r, void *ud)
{
    mockd *m = ud;
    pthread_rwlock_wrlock(&m->plan_lock);
    faults_free(m->plan);
    m->plan = NULL;
    pthread_rwlock_unlock(&m->plan_lock);
    m->app->reset(m->state);
    journal_reset(m->jr);
    counters_reset(m->ctr);
    httpd_reply_json_text(r, 200, "{\"ok\":true}");
}

static void ctl_seed(httpd_req *r, void *ud)
{
    mockd *m = ud;
    cJSON *v = mockd_body(r, NULL);
    if (!v)
        return;
    json_err e;
    if (m->app->seed(m->state, v, &e) != 0)
        httpd_reply_error(r, 400, e.msg);
    else
        httpd_reply_json_text(r, 200, "{\"ok\":true}");
    cJSON_Delete(v);
}

static void ctl_faults_get(httpd_req *r, void *ud)
{
    mockd *m = ud;
    pthread_rwlock_rdlock(&m->plan_lock);
    cJSON *v = m->plan ? faults_to_json(m->plan) : cJSON_CreateArray();
    pthread_rwlock_unlock(&m->plan_lock);
    httpd_reply_json(r, 200, v);
    cJSON_Delete(v);
}

static void ctl_faults_put(httpd_req *r, void *ud)
{
    mockd *m = ud;
    size_t len;
    const char *body = httpd_body(r, &len);
    json_err e;
    fault_plan *p = NULL;
    pthread_rwlock_wrlock(&m->plan_lock);
    uint64_t seed = m->seed ^ rng_mix64(++m->plan_generation);
    pthread_rwlock_unlock(&m->plan_lock);
    if (faults_parse_text(body, len, seed, &p, &e) != 0) {
        httpd_reply_error(r, 400, e.msg); /* the active plan stays */
        return;
    }
    pthread_rwlock_wrlock(&m->plan_lock);
    fault_plan *old = m->plan;
    m->plan = p;
    pthread_rwlock_unlock(&m->plan_lock);
    faults_free(old); /* no reader holds it: they hold the lock while using it */
    journal_addf(m->jr, "faults_set", "\"rules\":%zu", faults_count(p));
    char ok[64];
    snprintf(ok, sizeof ok, "{\"ok\":true,\"rules\":%zu}", faults_count(p));
    httpd_reply_json_text(r, 200, ok);
}

static void ctl_state(httpd_req *r, void *ud)
{
    mockd *m = ud;
    cJSON *v = m->app->state(m->state);
    cJSON_AddNumberToObject(v, "t", (double)clock_now_ms(&m->clk));
    httpd_reply_json(r, 200, v);
    cJSON_Delete(v);
}

/* A query argument into out (left alone when the argument is absent);
 * 0, or -1 after answering 400 naming the parameter. */
static int query_u64(httpd_req *r, const char *name, uint64_t *out)
{
    const char *s = httpd_query(r, name);
    return s ? httpd_arg_u64(r, name, s, 0, UINT64_MAX, out) : 0;
}

static void ctl_journal(httpd_req *r, void *ud)
{
    mockd *m = ud;
    uint64_t since = 0, limit = 1000;
    if (query_u64(r, "since", &since) != 0 || query_u64(r, "limit", &limit) != 0)
        return;
    char *text = journal_query(m->jr, since, limit > SIZE_MAX ? SIZE_MAX : (size_t)limit);
    httpd_reply_take(r, 200, "application/json; charset=utf-8", text, strlen(text));
}

static void ctl_stats(httpd_req *r, void *ud)
{
    mockd *m = ud;
    cJSON *v = cJSON_CreateObject();
    cJSON_AddItemToObject(v, "counters", counters_json(m->ctr));
    pthread_rwlock_rdlock(&m->plan_lock);
    cJSON_AddItemToObject(v, "faults", m->plan ? faults_stats_json(m->plan) : cJSON_CreateArray());
    pthread_rwlock_unlock(&m->plan_lock);
    if (m->app->stats)
        m->app->stats(m->state, v);
    httpd_reply_json(r, 200, v);
    cJSON_Delete(v);
}

/* ---- main ------------------------------------------------------------------ */

static void usage(FILE *out, const mock_app *app)
{
    fprintf(out,
            "usage: %s [options]\n"
            "  --port N            port to listen on (default %u; 0 picks a free one)\n"
            "  --bind ADDR         address to bind (default 127.0.0.1)\n"
            "  --config FILE       world to serve (JSON); without it, the demo world\n"
            "  --time-scale K      simulated ms per real ms (default 1)\n"
            "  --clock-origin MS   unix epoch ms of simulated t=0 (default: now)\n"
            "  --seed S            seed for faults and random delays (default 1)\n"
            "  --journal FILE      also append every journal entry to FILE (JSON lines)\n"
            "  --journal-keep N    journal entries kept in memory (default 100000)\n"
            "  --log-level L       debug, info, warn or error (default info)\n"
            "  --routes            print the HTTP routes (METHOD PATTERN lines) and exit\n"
            "  --help              this text\n",
            app->name, (unsigned)app->default_port);
}

static int parse_number(const char *flag, const char *s, double min, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (*end || end == s || !(v >= min)) {
        fprintf(stderr, "%s: expected a number >= %g, got \"%s\"\n", flag, min, s);
        return -1;
    }
    *out = v;
    return 0;
}

int mockd_main(int argc, char **argv, const mock_app *app)
{
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},
        {"bind", required_argument, NULL, 'b'},
        {"config", required_argument, NULL, 'c'},
        {"time-scale", required_argument, NULL, 'k'},
        {"clock-origin", required_argument, NULL, 'o'},
        {"seed", required_argument, NULL, 's'},
        {"journal", required_argument, NULL, 'j'},
        {"journal-keep", required_argument, NULL, 'J'},
        {"log-level", required_argument, NULL, 'l'},
        {"routes", no_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int list_routes = 0;
    double port = app->default_port, scale = 1, origin = -1, seed = 1, keep = 100000;
    const char *bind = "127.0.0.1", *config_path = NULL, *journal_path = NULL;
    log_level level = LOG_INFO;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'p':
            bad = parse_number("--port", optarg, 0, &port) || port > 65535 || port != (int)port;
            if (bad && port > 65535)
                fprintf(stderr, "--port: expected 0..65535, got \"%s\"\n", optarg);
            break;
        case 'b': bind = optarg; break;
        case 'c': config_path = optarg; break;
        case 'k':
            bad = parse_number("--time-scale", optarg, 1e-6, &scale);
            break;
        case 'o': bad = parse_number("--clock-origin", optarg, 0, &origin); break;
        case 's': bad = parse_number("--seed", optarg, 0, &seed); break;
        case 'j': journal_path = optarg; break;
        case 'J': bad = parse_number("--journal-keep", optarg, 1, &keep); break;
        case 'l':
            if (log_parse_level(optarg, &level)) {
                fprintf(stderr, "--log-level: expected debug, info, warn or error, got \"%s\"\n",
                        optarg);
                bad = 1;
            }
            break;
        case 'h': usage(stdout, app); return 0;
        case 'R': list_routes = 1; break;
        default:
            fprintf(stderr, "%s: unknown or incomplete option \"%s\"\n", app->name,
                    argv[optind - 1]);
            usage(stderr, app);
            return 2;
        }
        if (bad)
            return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument \"%s\"\n", app->name, argv[optind]);
        usage(stderr, app);
        return 2;
    }

    mockd *m = xcalloc(1, sizeof *m);
    m->app = app;
    m->seed = (uint64_t)seed;
    clock_init(&m->clk, scale, (int64_t)origin);
    log_init(app->name, &m->clk);
    log_set_level(level);
    pthread_rwlock_init(&m->plan_lock, NULL);
    m->ctr = counters_new();
    int rc = 2;
    char err[512];
    cJSON *config = NULL;
    if (journal_open(journal_path, (size_t)keep, &m->clk, &m->jr, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", app->name, err);
        goto out;
    }
    json_err je;
    if (config_path) {
        config = json_load_file(config_path, MAX_CONFIG_BYTES, &je);
        if (!config) {
            fprintf(stderr, "%s: %s\n", app->name, je.msg);
            goto out;
        }
    }
    /* Signals go to sigwait below, not to the other threads: blocked
     * before app->create, which starts the world's and the webhook
     * senders' threads (they inherit the mask). A thread that did not
     * block SIGTERM could take it and end the process with status 143. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    m->state = app->create(m, config, &je);
    if (!m->state) {
        fprintf(stderr, "%s: %s%s%s\n", app->name, config_path ? config_path : "demo world",
                ": ", je.msg);
        goto out;
    }

    m->srv = httpd_new();
    if (app->control_routes)
        app->control_routes(m->state, m->srv);
    httpd_route(m->srv, "GET", "/_mock/health", ctl_health, m);
    httpd_route(m->srv, "POST", "/_mock/reset", ctl_reset, m);
    httpd_route(m->srv, "POST", "/_mock/seed", ctl_seed, m);
    httpd_route(m->srv, "GET", "/_mock/faults", ctl_faults_get, m);
    httpd_route(m->srv, "PUT", "/_mock/faults", ctl_faults_put, m);
    httpd_route(m->srv, "GET", "/_mock/state", ctl_state, m);
    httpd_route(m->srv, "GET", "/_mock/journal", ctl_journal, m);
    httpd_route(m->srv, "GET", "/_mock/stats", ctl_stats, m);
    app->routes(m->state, m->srv);
    httpd_set_filter(m->srv, filter, m);
    httpd_set_post(m->srv, post, m);
    httpd_set_done(m->srv, done, m);
    if (list_routes) { /* the world is built (routes may depend on it); nothing listens */
        const char *method, *pattern;
        for (size_t i = 0; httpd_route_get(m->srv, i, &method, &pattern) == 0; i++)
            printf("%s %s\n", method, pattern);
        rc = 0;
        goto out;
    }
    httpd_config hc = {.bind = bind, .port = (uint16_t)port, .body_cap = 1024 * 1024};
    if (httpd_start(m->srv, &hc, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", app->name, err);
        rc = 3;
        goto out;
    }
    printf("listening on %s:%u\n", bind, (unsigned)httpd_port(m->srv));
    fflush(stdout);
    log_info("serving on %s:%u, time scale %g, seed %llu", bind, (unsigned)httpd_port(m->srv),
             scale, (unsigned long long)m->seed);

    int sig = 0;
    sigwait(&sigs, &sig);
    log_info("stopping on signal %d", sig);
    rc = 0;
out:
    httpd_free(m->srv); /* no request runs past this */
    if (m->state)
        app->destroy(m->state);
    faults_free(m->plan);
    journal_close(m->jr);
    counters_free(m->ctr);
    cJSON_Delete(config);
    pthread_rwlock_destroy(&m->plan_lock);
    free(m);
    httpc_global_cleanup();
    return rc;
}
