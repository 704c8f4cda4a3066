/*
 * syncd: the sync engine between Cin7 Core and Shopify. Parses its options
 * and configuration, opens the store, starts the HTTP intake and the
 * worker threads, and runs until SIGINT or SIGTERM, when it finishes the
 * calls in flight and leaves everything else queued for the next start.
 */
#include "audit.h"
#include "config.h"
#include "httpc.h"
#include "httpd.h"
#include "intake.h"
#include "log.h"
#include "mem.h"
#include "pgdb.h"
#include "syncd.h"
#include "worker.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* HTTP pool threads: see httpd_config below. */
#define INTAKE_THREADS 32

static void usage(FILE *out)
{
    fprintf(out,
            "usage: syncd [options]\n"
            "       syncd audit-skus [options]   compare Shopify variant SKUs with Cin7 product\n"
            "                       SKUs: matched, Shopify-only, Cin7-only, near misses; exit 0\n"
            "                       all match, 1 any mismatch, 2 bad usage or config, 3 an API\n"
            "                       could not be read (same options; see docs/syncd.md)\n"
            "  --config FILE        configuration (JSON, see docs/syncd.md); default: the demo\n"
            "                       configuration for the mocks' demo worlds\n"
            "  --port N             listen port (0 picks a free one)\n"
            "  --shopify-url URL    base URL of every shop (e.g. http://127.0.0.1:8081)\n"
            "  --cin7-url URL       Cin7 API base (e.g. http://127.0.0.1:8082/ExternalApi/v2/)\n"
            "  --store FILE         the SQLite database\n"
            "  --time-scale K       simulated ms per real ms (default 1)\n"
            "  --clock-origin MS    unix epoch ms of simulated t=0 (default: now)\n"
            "  --set PATH=VALUE     override any configuration field (repeatable)\n"
            "  --log-level L        debug, info, warn or error\n"
            "  --print-demo-config  print the demo configuration and exit\n"
            "  --routes             print the HTTP routes (METHOD PATTERN lines) and exit\n"
            "  --help               this text\n");
}

/* The intake's route table, for the bad-input matrix's coverage check:
 * the handlers are registered but never run, so they need no syncd. */
static int print_routes(void)
{
    httpd *srv = httpd_new();
    intake_routes(NULL, srv);
    const char *method, *pattern;
    for (size_t i = 0; httpd_route_get(srv, i, &method, &pattern) == 0; i++)
        printf("%s %s\n", method, pattern);
    httpd_free(srv);
    return 0;
}

typedef struct {
    const char *config_path;
    const char *shopify_url;
    char **overrides; /* "path=value" */
    size_t n_overrides;
} args;

static void args_free(args *a)
{
    for (size_t i = 0; i < a->n_overrides; i++)
        free(a->overrides[i]);
    free(a->overrides);
}

/* Returns -1 to go on, or the exit code (0 after --help, 2 on bad usage). */
static int parse_args(int argc, char **argv, args *a)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"port", required_argument, NULL, 'p'},
        {"shopify-url", required_argument, NULL, 'S'},
        {"cin7-url", required_argument, NULL, 'C'},
        {"store", required_argument, NULL, 's'},
        {"time-scale", required_argument, NULL, 'k'},
        {"clock-origin", required_argument, NULL, 'o'},
        {"set", required_argument, NULL, 'x'},
        {"log-level", required_argument, NULL, 'l'},
        {"print-demo-config", no_argument, NULL, 'D'},
        {"routes", no_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    a->overrides = xcalloc((size_t)argc + 1, sizeof *a->overrides);
    int c;
    opterr = 0;
    /* The shortcut flags become overrides, applied in order after the file. */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char **o = &a->overrides[a->n_overrides];
        switch (c) {
        case 'c': a->config_path = optarg; continue;
        case 'S': a->shopify_url = optarg; continue;
        case 'p': *o = xasprintf("port=%s", optarg); break;
        case 'C': *o = xasprintf("cin7.base_url=\"%s\"", optarg); break;
        case 's': *o = xasprintf("store=\"%s\"", optarg); break;
        case 'k': *o = xasprintf("time_scale=%s", optarg); break;
        case 'o': *o = xasprintf("clock_origin=%s", optarg); break;
        case 'x': *o = xstrdup(optarg); break;
        case 'l': *o = xasprintf("log_level=\"%s\"", optarg); break;
        case 'D': fputs(config_demo_text(), stdout); return 0;
        case 'R': return print_routes();
        case 'h': usage(stdout); return 0;
        default:
            fprintf(stderr, "syncd: unknown or incomplete option \"%s\"\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
        a->n_overrides++;
    }
    if (optind < argc) {
        fprintf(stderr, "syncd: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    return -1;
}

/* The configuration the options name, with their overrides. Returns -1
 * to go on, or the exit status (--help, --version, or an error said). */
static int load_config(int argc, char **argv, syncd_config *cfg)
{
    args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0) {
        args_free(&a);
        return rc;
    }
    json_err e;
    rc = config_load(a.config_path, (const char *const *)a.overrides, a.n_overrides, cfg, &e);
    if (rc != 0) {
        fprintf(stderr, "syncd: %s\n", e.msg);
        args_free(&a);
        return 2;
    }
    if (a.shopify_url)
        for (size_t i = 0; i < cfg->n_shops; i++) {
            free(cfg->shops[i].base_url);
            cfg->shops[i].base_url = xstrdup(a.shopify_url);
        }
    args_free(&a);
    return -1;
}

/* syncd audit-skus: the catalogs compared, nothing served. */
static int run_audit(syncd_config *cfg)
{
    sclock clk;
    clock_init(&clk, cfg->time_scale, cfg->clock_origin);
    log_init("syncd", &clk);
    log_set_level(LOG_ERROR);
    int rc = audit_skus(cfg, stdout, stderr);
    config_free(cfg);
    return rc;
}

/* Intake on its port: where the APIs reach syncd is known from now on. */
static int serve(syncd *sd, httpd *srv, char *err, size_t errlen)
{
    intake_routes(sd, srv);
    /* An intake handler answers only once its event is committed, so it
     * blocks a pool thread for an fsync: the pool is sized for webhooks
     * waiting on the store, not for cores. With two threads a group commit
     * never held more than two events (about 3,000 webhooks/s); with 32 it
     * batches what arrives meanwhile (bench/syncd_intake.c). */
    httpd_config hc = {.bind = sd->cfg.bind, .port = (uint16_t)sd->cfg.port,
                       .body_cap = (size_t)sd->cfg.body_cap, .threads = INTAKE_THREADS,
                       .request_deadline_ms = (unsigned)sd->cfg.request_deadline_real_ms,
                       .max_connections = sd->cfg.max_connections,
                       .max_connections_per_ip = sd->cfg.max_connections_per_ip};
    if (httpd_start(srv, &hc, err, errlen) != 0)
        return -1;
    if (!sd->cfg.public_url)
        sd->cfg.public_url = xasprintf("http://127.0.0.1:%u", (unsigned)httpd_port(srv));
    printf("listening on %s:%u\n", sd->cfg.bind, (unsigned)httpd_port(srv));
    fflush(stdout);
    char *shown = pgdb_shown(sd->cfg.store_path);
    log_info("syncd on %s:%u, store %s, mode %s, time scale %g", sd->cfg.bind,
             (unsigned)httpd_port(srv), shown, sd->cfg.mode, sd->cfg.time_scale);
    free(shown);
    return 0;
}

int main(int argc, char **argv)
{
    /* A subcommand takes the same options after its name. */
    int audit = argc > 1 && strcmp(argv[1], "audit-skus") == 0;
    if (audit) {
        argc--;
        argv++;
    }
    syncd_config cfg;
    int rc = load_config(argc, argv, &cfg);
    if (rc >= 0 || audit) {
        rc = rc >= 0 ? rc : run_audit(&cfg);
        httpc_global_cleanup();
        return rc;
    }
    /* SIGINT and SIGTERM go to sigwait below only. Blocked before any
     * thread starts (store_open starts the store's writer), since threads
     * inherit the mask: one that did not block SIGTERM could take it, and
     * syncd would die of it instead of stopping cleanly. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    char err[512];
    httpd *srv = httpd_new();
    workers *w = NULL;
    syncd *sd = NULL;
    rc = 3;
    if (syncd_new(&cfg, &sd, err, sizeof err) != 0 || serve(sd, srv, err, sizeof err) != 0) {
        fprintf(stderr, "syncd: %s\n", err);
        goto out;
    }
    w = workers_start(sd);
    int sig = 0;
    sigwait(&sigs, &sig);
    log_info("stopping on signal %d: finishing calls in flight", sig);
    rc = 0;
out:
    /* Intake first, so nothing new is acknowledged while we stop. */
    httpd_free(srv);
    if (w)
        workers_stop(w);
    syncd_free(sd);
    httpc_global_cleanup();
    return rc;
}
