/*
 * surge: the command line. `surge run SCENARIO` runs a scenario against the
 * mocks and the engine and gates it; `surge demand SCENARIO` prints the
 * demand a scenario and seed produce (the same bytes every time), without
 * running anything.
 */
#include "demand.h"
#include "httpc.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "run.h"
#include "scenario.h"
#include "sim.h"

#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: surge run SCENARIO [options]   run a scenario, measure it, gate it\n"
            "       surge sim SCENARIO [options]   the same in the simulator, in virtual time\n"
            "                                      (docs/sim.md); run's options but --bin and\n"
            "                                      --cin7-proxy\n"
            "       surge demand SCENARIO [--seed S] [--set PATH=VALUE]\n"
            "                                      print the scenario's demand as CSV\n"
            "       surge get FILE.json PATH       print one value of a JSON file, e.g.\n"
            "                                      surge get summary.json metrics.oversell_units\n"
            "\n"
            "run options:\n"
            "  --out DIR            results folder (default results/<name>-<stamp>)\n"
            "  --time-scale K       simulated ms per real ms (default: the scenario's)\n"
            "  --seed S             seed (default: the scenario's)\n"
            "  --set PATH=VALUE     override a scenario field, e.g. engine.mode=poll (repeatable)\n"
            "  --gate METRIC<=V     add a gate (also >=; repeatable); see docs/scenarios.md\n"
            "  --quiet              plain progress lines, even on a terminal\n"
            "  --bin DIR            where mock-cin7, mock-shopify and syncd are (default: next\n"
            "                       to surge)\n"
            "  --cin7-proxy CMD     start CMD (sh -c) between the engine and mock-cin7, with\n"
            "                       {upstream} (mock-cin7's API base) and {port} (a free port)\n"
            "                       filled in; the engine calls http://127.0.0.1:{port}/, e.g.\n"
            "                       scripts/prism-cin7.sh {upstream} {port}\n"
            "\n"
            "exit codes: 0 all gates pass, 1 a gate failed, 2 bad usage or scenario,\n"
            "            3 the run broke, 4 the run is invalid (its numbers must not be trusted)\n");
}

static int parse_number(const char *flag, const char *v, double min, double *out)
{
    char *end;
    double d = strtod(v, &end);
    if (!*v || *end || !(d >= min)) {
        fprintf(stderr, "surge: %s: expected a number >= %g, got \"%s\"\n", flag, min, v);
        return -1;
    }
    *out = d;
    return 0;
}

/* Prints the value at a dotted path ("metrics.order_push_latency_ms.p99",
 * "gates.0.pass") of a JSON file: numbers and strings bare, anything else
 * as JSON. Exit 2 when the file or the path is not there. */
static int cmd_get(const char *file, const char *path)
{
    json_err e;
    cJSON *root = json_load_file(file, 256 * 1024 * 1024, &e);
    if (!root) {
        fprintf(stderr, "surge: %s\n", e.msg);
        return 2;
    }
    const cJSON *v = root;
    char part[256];
    for (const char *p = path; v && *p;) {
        size_t n = strcspn(p, ".");
        snprintf(part, sizeof part, "%.*s", (int)n, p);
        char *end;
        long idx = strtol(part, &end, 10);
        v = cJSON_IsArray(v) && !*end && n ? cJSON_GetArrayItem(v, (int)idx)
                                          : cJSON_GetObjectItemCaseSensitive(v, part);
        p += n;
        if (*p == '.')
            p++;
    }
    int rc = 0;
    if (!v) {
        fprintf(stderr, "surge: %s: no value at \"%s\"\n", file, path);
        rc = 2;
    } else if (cJSON_IsNumber(v)) {
        printf("%.17g\n", v->valuedouble);
    } else if (cJSON_IsString(v)) {
        printf("%s\n", v->valuestring);
    } else {
        char *t = json_print(v);
        printf("%s\n", t);
        free(t);
    }
    cJSON_Delete(root);
    return rc;
}

static int cmd_demand(const char *path, const char *const *sets, size_t n_sets, int64_t seed)
{
    scenario sc;
    json_err e;
    if (scenario_load(path, sets, n_sets, &sc, &e) != 0) {
        fprintf(stderr, "surge: %s\n", e.msg);
        return 2;
    }
    demand *d = demand_new(&sc, seed >= 0 ? (uint64_t)seed : sc.seed);
    demand_arrival a;
    sbuf b = SBUF_INIT;
    fputs("t_ms,seq,stream,channel,target,region,lines\n", stdout);
    while (demand_next(d, &a)) {
        sbuf_reset(&b);
        demand_csv(&sc, &a, &b);
        fwrite(b.data, 1, b.len, stdout);
    }
    sbuf_free(&b);
    demand_free(d);
    scenario_free(&sc);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "get") == 0) {
        if (argc != 4) {
            fprintf(stderr, "usage: surge get FILE.json PATH\n");
            return 2;
        }
        return cmd_get(argv[2], argv[3]);
    }
    if (strcmp(cmd, "run") != 0 && strcmp(cmd, "demand") != 0 && strcmp(cmd, "sim") != 0) {
        fprintf(stderr, "surge: unknown command \"%s\" (known: run, sim, demand, get)\n", cmd);
        usage(stderr);
        return 2;
    }
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"time-scale", required_argument, NULL, 'k'},
        {"seed", required_argument, NULL, 's'},
        {"set", required_argument, NULL, 'x'},
        {"gate", required_argument, NULL, 'g'},
        {"quiet", no_argument, NULL, 'q'},
        {"bin", required_argument, NULL, 'b'},
        {"cin7-proxy", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    run_opts o = {0};
    o.seed = -1;
    const char **sets = xcalloc((size_t)argc + 1, sizeof *sets);
    const char **gates = xcalloc((size_t)argc + 1, sizeof *gates);
    char bin_default[1024];
    int rc = 2, c;
    optind = 2;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        double v;
        switch (c) {
        case 'o': o.out_dir = optarg; break;
        case 'k':
            if (parse_number("--time-scale", optarg, 1e-3, &v))
                goto out;
            o.time_scale = v;
            break;
        case 's':
            if (parse_number("--seed", optarg, 0, &v))
                goto out;
            o.seed = (int64_t)v;
            break;
        case 'x': sets[o.n_sets++] = optarg; break;
        case 'g': gates[o.n_gates++] = optarg; break;
        case 'q': o.quiet = 1; break;
        case 'b': o.bin_dir = optarg; break;
        case 'p':
            if (!strstr(optarg, "{port}") || !strstr(optarg, "{upstream}")) {
                fprintf(stderr, "surge: --cin7-proxy: the command must contain {upstream} and "
                                "{port} (got \"%s\")\n", optarg);
                goto out;
            }
            o.cin7_proxy = optarg;
            break;
        case 'h': usage(stdout); rc = 0; goto out;
        default:
            fprintf(stderr, "surge: unknown or incomplete option \"%s\"\n", argv[optind - 1]);
            usage(stderr);
            goto out;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "surge: %s takes one scenario file\n", cmd);
        usage(stderr);
        goto out;
    }
    o.scenario_path = argv[optind];
    o.sets = sets;
    o.gates = gates;
    if (strcmp(cmd, "demand") == 0) {
        rc = cmd_demand(o.scenario_path, sets, o.n_sets, o.seed);
        goto out;
    }
    if (strcmp(cmd, "sim") == 0) {
        if (o.bin_dir || o.cin7_proxy) {
            fprintf(stderr, "surge: sim runs no programs: --bin and --cin7-proxy are for run\n");
            goto out;
        }
        log_init("surge", NULL);
        rc = sim_scenario(&o);
        goto out;
    }
    if (!o.bin_dir) {
        /* The programs live beside surge (bin/ or build/asan/bin/). */
        char self[1024];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n > 0) {
            self[n] = '\0';
            snprintf(bin_default, sizeof bin_default, "%s", dirname(self));
            o.bin_dir = bin_default;
        } else {
            o.bin_dir = "bin";
        }
    }
    log_init("surge", NULL);
    rc = run_scenario(&o);
    httpc_global_cleanup();
out:
    free(sets);
    free(gates);
    return rc;
}
