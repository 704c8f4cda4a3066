/*
 * surge: the command line. `surge run SCENARIO` runs a scenario against the
 * mocks and the engine and gates it; `surge demand SCENARIO` prints the
 * demand a scenario and seed produce (the same bytes every time), without
 * running anything; `surge sim SCENARIO` runs it in the simulator (sim.h);
 * `surge sweep SCENARIO --vary ...` runs a grid of parameter values
 * (sweep.h); `surge compare BASE NEW` sets two runs' metrics side by side
 * and gates on regressions (compare.h).
 */
#include "compare.h"
#include "demand.h"
#include "grid.h"
#include "httpc.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "pgdb.h"
#include "run.h"
#include "scenario.h"
#include "sim.h"
#include "sweep.h"
#include "tune.h"

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
            "       surge sweep SCENARIO --vary PATH=V1,V2,... [options]\n"
            "                                      run a grid of parameter values (docs/sweep.md)\n"
            "       surge sweep merge DIR... [--out DIR] [--objective METRIC]\n"
            "                                      join the folders of sweep shards\n"
            "       surge tune SCENARIO --vary PATH=V1,V2,... --minimize METRIC\n"
            "                  [--subject-to METRIC<=V]... [--repeat N] [--seed S] [--set P=V]\n"
            "                  [--out DIR] [--no-confirm]\n"
            "                                      search the settings in the simulator, then\n"
            "                                      confirm the best with a real run\n"
            "       surge compare BASE NEW [--max-regress METRIC=PCT]...\n"
            "                  [--max-increase METRIC=V]... [--out DIR]\n"
            "                                      two results folders' metrics side by side;\n"
            "                                      exit 1 when a limited metric got worse beyond\n"
            "                                      its limit (docs/compare.md)\n"
            "\n"
            "run options:\n"
            "  --out DIR            results folder (default results/<name>-<stamp>)\n"
            "  --time-scale K       simulated ms per real ms (default: the scenario's)\n"
            "  --seed S             seed (default: the scenario's)\n"
            "  --set PATH=VALUE     override a scenario field, e.g. engine.mode=poll (repeatable)\n"
            "  --gate METRIC<=V     add a gate (also >=; repeatable); see docs/scenarios.md\n"
            "  --quiet              plain progress lines, even on a terminal\n"
            "  --no-report          write summary.json and the CSV files, no plots or report.html\n"
            "  --bin DIR            where mock-cin7, mock-shopify and syncd are (default: next\n"
            "                       to surge)\n"
            "  --cin7-proxy CMD     start CMD (sh -c) between the engine and mock-cin7, with\n"
            "                       {upstream} (mock-cin7's API base) and {port} (a free port)\n"
            "                       filled in; the engine calls http://127.0.0.1:{port}/, e.g.\n"
            "                       scripts/prism-cin7.sh {upstream} {port}\n"
            "  --pg CONNINFO        with engine.store \"postgres\": use this PostgreSQL server (a\n"
            "                       libpq conninfo or postgres:// URI) instead of a throwaway\n"
            "                       cluster; the run makes a database of its own in it and\n"
            "                       drops it afterwards\n"
            "  --baseline DIR       compare with an earlier run's results folder (its\n"
            "                       summary.json): a table on stdout and in report.html\n"
            "  --max-regress METRIC=PCT  with --baseline: fail (exit 1) when METRIC got worse\n"
            "                       by more than PCT percent of the baseline (repeatable)\n"
            "  --max-increase METRIC=V   with --baseline: fail when METRIC got worse by more\n"
            "                       than V in its own units (repeatable)\n"
            "\n"
            "sweep options (and --seed, --set, --out as for run):\n"
            "  --vary PATH=V1,V2,...  an axis of the grid (repeatable; the grid is the product)\n"
            "  --repeat N           seeds per point: S, S+1 ... S+N-1 (default 1)\n"
            "  --jobs N             runs at once (default 1)\n"
            "  --shard I/N          run only the points whose index %% N is I-1\n"
            "  --objective METRIC   order the table by METRIC (default oversell_units, then\n"
            "                       order_push_latency_ms.p99)\n"
            "  --sim                run the points in the simulator (surge sim)\n"
            "\n"
            "compare options: --max-regress, --max-increase as for run, and\n"
            "  --out DIR            where compare.json and compare-junit.xml go (default NEW)\n"
            "\n"
            "exit codes: 0 all gates pass, 1 a gate (or baseline limit) failed, 2 bad usage or\n"
            "            scenario,\n"
            "            3 the run broke, 4 the run is invalid (its numbers must not be trusted);\n"
            "            sweep: 0 every point has a result, 2 bad usage, 3 a point broke;\n"
            "            tune: 0 the winner meets its constraints in the real run, 1 it does\n"
            "            not (or nothing met them in the simulator), 2 bad usage, 3 broke;\n"
            "            compare: 0 no limit failed, 1 a limit failed, 2 bad usage or input,\n"
            "            3 its files cannot be written\n");
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
    scenario_replay_notes(&sc, stderr);
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

static int main_get(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: surge get FILE.json PATH\n");
        return 2;
    }
    return cmd_get(argv[2], argv[3]);
}

static int main_run(int argc, char **argv);
static int main_sweep(int argc, char **argv);
static int main_tune(int argc, char **argv);
static int main_compare(int argc, char **argv);

/* The commands, by name. `surge sweep --sim` asks this table whether the
 * simulator's command exists in this build. */
static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
} commands[] = {
    {"run", main_run},
    {"sim", main_run},
    {"demand", main_run},
    {"get", main_get},
    {"sweep", main_sweep},
    {"tune", main_tune},
    {"compare", main_compare},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static int command_index(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return (int)i;
    return -1;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    int c = command_index(argv[1]);
    if (c < 0) {
        fprintf(stderr, "surge: unknown command \"%s\" (known:", argv[1]);
        for (size_t i = 0; i < N_COMMANDS; i++)
            fprintf(stderr, "%s %s", i ? "," : "", commands[i].name);
        fprintf(stderr, ")\n");
        usage(stderr);
        return 2;
    }
    return commands[c].fn(argc, argv);
}

/* An option getopt refused, named with its command (NULL for run, sim and
 * demand), then the usage. */
static void bad_option(const char *cmd, char **argv)
{
    fprintf(stderr, "surge: %s%sunknown or incomplete option \"%s\"\n", cmd ? cmd : "",
            cmd ? ": " : "", argv[optind - 1]);
    usage(stderr);
}

/* The scenario file when exactly one operand is left, else NULL after a
 * message and the usage. */
static const char *one_scenario(int argc, char **argv, const char *cmd)
{
    if (optind == argc - 1)
        return argv[optind];
    fprintf(stderr, "surge: %s takes one scenario file\n", cmd);
    usage(stderr);
    return NULL;
}

/* A whole number in [min, max] for flag; -1 after a message. */
static int parse_whole(const char *flag, const char *v, size_t min, size_t max, size_t *out)
{
    double d;
    if (parse_number(flag, v, (double)min, &d) != 0)
        return -1;
    if (d > (double)max || d != (double)(size_t)d) {
        fprintf(stderr, "surge: %s: expected a whole number from %zu to %zu, got \"%s\"\n", flag,
                min, max, v);
        return -1;
    }
    *out = (size_t)d;
    return 0;
}

/* surge sweep merge DIR... [--out DIR] [--objective METRIC] */
static int main_sweep_merge(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"objective", required_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *objective = NULL;
    int c;
    optind = 3;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'j': objective = optarg; break;
        case 'h': usage(stdout); return 0;
        default:
            fprintf(stderr, "surge: sweep merge: unknown or incomplete option \"%s\"\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    log_init("surge", NULL);
    return sweep_merge((const char *const *)argv + optind, (size_t)(argc - optind), out,
                       objective);
}

static int main_sweep(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[2], "merge") == 0)
        return main_sweep_merge(argc, argv);
    static const struct option opts[] = {
        {"vary", required_argument, NULL, 'v'},
        {"set", required_argument, NULL, 'x'},
        {"seed", required_argument, NULL, 's'},
        {"repeat", required_argument, NULL, 'r'},
        {"jobs", required_argument, NULL, 'J'},
        {"shard", required_argument, NULL, 'S'},
        {"out", required_argument, NULL, 'o'},
        {"objective", required_argument, NULL, 'j'},
        {"sim", no_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    sweep_opts o = {.seed = -1, .repeat = 1, .jobs = 1, .shard_i = 1, .shard_n = 1};
    o.sim_built = command_index("sim") >= 0;
    const char **vary = xcalloc((size_t)argc + 1, sizeof *vary);
    const char **sets = xcalloc((size_t)argc + 1, sizeof *sets);
    char err[300];
    int rc = 2, c;
    optind = 2;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        double v = 0;
        int bad = 0;
        switch (c) {
        case 'v': vary[o.n_vary++] = optarg; break;
        case 'x': sets[o.n_sets++] = optarg; break;
        case 's':
            bad = parse_number("--seed", optarg, 0, &v);
            o.seed = (int64_t)v;
            break;
        case 'r': bad = parse_whole("--repeat", optarg, 1, 1000, &o.repeat); break;
        case 'J': bad = parse_whole("--jobs", optarg, 1, 256, &o.jobs); break;
        case 'S':
            bad = grid_parse_shard(optarg, &o.shard_i, &o.shard_n, err, sizeof err);
            if (bad)
                fprintf(stderr, "surge: %s\n", err);
            break;
        case 'o': o.out_dir = optarg; break;
        case 'j': o.objective = optarg; break;
        case 'm': o.sim = 1; break;
        case 'h': usage(stdout); rc = 0; goto out;
        default:
            bad_option("sweep", argv);
            goto out;
        }
        if (bad)
            goto out;
    }
    o.scenario_path = one_scenario(argc, argv, "sweep");
    if (!o.scenario_path)
        goto out;
    o.vary = vary;
    o.sets = sets;
    log_init("surge", NULL);
    rc = sweep_run(&o);
out:
    free(vary);
    free(sets);
    return rc;
}

/* surge tune SCENARIO --vary ... --minimize METRIC [--subject-to METRIC<=V]... */
static int main_tune(int argc, char **argv)
{
    static const struct option opts[] = {
        {"vary", required_argument, NULL, 'v'},
        {"set", required_argument, NULL, 'x'},
        {"minimize", required_argument, NULL, 'M'},
        {"subject-to", required_argument, NULL, 'c'},
        {"seed", required_argument, NULL, 's'},
        {"repeat", required_argument, NULL, 'r'},
        {"out", required_argument, NULL, 'o'},
        {"no-confirm", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    tune_opts o = {.seed = -1, .repeat = 1, .confirm = 1};
    const char **vary = xcalloc((size_t)argc + 1, sizeof *vary);
    const char **sets = xcalloc((size_t)argc + 1, sizeof *sets);
    const char **cons = xcalloc((size_t)argc + 1, sizeof *cons);
    int rc = 2, c;
    optind = 2;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        double v = 0;
        int bad = 0;
        switch (c) {
        case 'v': vary[o.n_vary++] = optarg; break;
        case 'x': sets[o.n_sets++] = optarg; break;
        case 'M': o.minimize = optarg; break;
        case 'c': cons[o.n_subject_to++] = optarg; break;
        case 's':
            bad = parse_number("--seed", optarg, 0, &v);
            o.seed = (int64_t)v;
            break;
        case 'r': bad = parse_whole("--repeat", optarg, 1, 100, &o.repeat); break;
        case 'o': o.out_dir = optarg; break;
        case 'n': o.confirm = 0; break;
        case 'h': usage(stdout); rc = 0; goto out;
        default:
            bad_option("tune", argv);
            goto out;
        }
        if (bad)
            goto out;
    }
    o.scenario_path = one_scenario(argc, argv, "tune");
    if (!o.scenario_path)
        goto out;
    if (!o.minimize) {
        fprintf(stderr, "surge: tune: --minimize METRIC is required\n");
        goto out;
    }
    o.vary = vary;
    o.sets = sets;
    o.subject_to = cons;
    log_init("surge", NULL);
    rc = tune_run(&o);
out:
    free(vary);
    free(sets);
    free(cons);
    return rc;
}

/* A --max-regress (pct) or --max-increase limit appended to limits (room
 * for argc of them); -1 after a message. */
static int add_limit(compare_limit *limits, size_t *n, const char *flag, const char *spec,
                     int pct)
{
    char err[400];
    if (compare_parse_limit(flag, spec, pct, &limits[*n], err, sizeof err) != 0) {
        fprintf(stderr, "surge: %s\n", err);
        return -1;
    }
    (*n)++;
    return 0;
}

/* surge compare BASE NEW [--max-regress M=PCT]... [--max-increase M=V]... [--out DIR] */
static int main_compare(int argc, char **argv)
{
    static const struct option opts[] = {
        {"max-regress", required_argument, NULL, 'R'},
        {"max-increase", required_argument, NULL, 'I'},
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    compare_limit *limits = xcalloc((size_t)argc + 1, sizeof *limits);
    size_t n_limits = 0;
    const char *out = NULL;
    int rc = 2, c;
    optind = 2;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'R':
        case 'I':
            if (add_limit(limits, &n_limits, c == 'R' ? "--max-regress" : "--max-increase",
                          optarg, c == 'R'))
                goto out;
            break;
        case 'o': out = optarg; break;
        case 'h': usage(stdout); rc = 0; goto out;
        default:
            bad_option("compare", argv);
            goto out;
        }
    }
    if (optind != argc - 2) {
        fprintf(stderr, "surge: compare takes two results folders, BASE and NEW\n");
        usage(stderr);
        goto out;
    }
    rc = compare_command(argv[optind], argv[optind + 1], limits, n_limits, out);
out:
    free(limits);
    return rc;
}

static int main_run(int argc, char **argv)
{
    const char *cmd = argv[1];
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"time-scale", required_argument, NULL, 'k'},
        {"seed", required_argument, NULL, 's'},
        {"set", required_argument, NULL, 'x'},
        {"gate", required_argument, NULL, 'g'},
        {"quiet", no_argument, NULL, 'q'},
        {"no-report", no_argument, NULL, 'n'},
        {"bin", required_argument, NULL, 'b'},
        {"cin7-proxy", required_argument, NULL, 'p'},
        {"baseline", required_argument, NULL, 'B'},
        {"pg", required_argument, NULL, 'P'},
        {"max-regress", required_argument, NULL, 'R'},
        {"max-increase", required_argument, NULL, 'I'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    run_opts o = {0};
    const char *baseline_dir = NULL;
    compare_limit *limits = xcalloc((size_t)argc + 1, sizeof *limits);
    size_t n_limits = 0;
    compare_spec baseline = {0};
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
        case 'n': o.no_report = 1; break;
        case 'b': o.bin_dir = optarg; break;
        case 'p':
            if (!strstr(optarg, "{port}") || !strstr(optarg, "{upstream}")) {
                fprintf(stderr, "surge: --cin7-proxy: the command must contain {upstream} and "
                                "{port} (got \"%s\")\n", optarg);
                goto out;
            }
            o.cin7_proxy = optarg;
            break;
        case 'B': baseline_dir = optarg; break;
        case 'P': {
            char err[200];
            char *ok = pgdb_conninfo(optarg, "surge", 0, err, sizeof err);
            if (!ok) {
                fprintf(stderr, "surge: --pg: %s\n", err);
                goto out;
            }
            free(ok);
            o.pg = optarg;
            break;
        }
        case 'R':
        case 'I':
            if (add_limit(limits, &n_limits, c == 'R' ? "--max-regress" : "--max-increase",
                          optarg, c == 'R'))
                goto out;
            break;
        case 'h': usage(stdout); rc = 0; goto out;
        default:
            bad_option(NULL, argv);
            goto out;
        }
    }
    o.scenario_path = one_scenario(argc, argv, cmd);
    if (!o.scenario_path)
        goto out;
    o.sets = sets;
    o.gates = gates;
    if (n_limits && !baseline_dir) {
        fprintf(stderr, "surge: --max-regress and --max-increase need --baseline DIR\n");
        goto out;
    }
    if (baseline_dir && strcmp(cmd, "demand") != 0) {
        char err[800];
        int bad = compare_spec_open(&baseline, baseline_dir, limits, n_limits, err, sizeof err);
        limits = NULL; /* the spec's now */
        if (bad) {
            fprintf(stderr, "surge: --baseline: %s\n", err);
            goto out;
        }
        o.baseline = &baseline;
    }
    if (strcmp(cmd, "demand") == 0) {
        rc = cmd_demand(o.scenario_path, sets, o.n_sets, o.seed);
        goto out;
    }
    if (strcmp(cmd, "sim") == 0) {
        if (o.bin_dir || o.cin7_proxy || o.pg) {
            fprintf(stderr, "surge: sim runs no programs: --bin, --cin7-proxy and --pg are for "
                            "run\n");
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
    free(limits);
    compare_spec_free(&baseline);
    return rc;
}
