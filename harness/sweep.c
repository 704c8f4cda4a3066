/* `surge sweep` and `surge sweep merge`; see sweep.h. */
#include "sweep.h"

#include "clock.h"
#include "dirs.h"
#include "grid.h"
#include "json.h"
#include "measure.h"
#include "mem.h"
#include "proc.h"
#include "sbuf.h"
#include "scenario.h"
#include "sweepplot.h"
#include "sweeptab.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* sweep.json's format; merge refuses another. */
#define SWEEP_FORMAT 1
#define POLL_MS 50
/* A point's run may take twice its planned real time plus this much
 * (starting the programs, measuring) before the sweep gives up on it. */
#define RUN_SLACK_MS (5 * 60 * 1000)
#define SUMMARY_MAX_BYTES (256u << 20)

/* The metrics of sweep.csv, in its column order. undersell_units,
 * stranded_units and lost_revenue are not measured by every surge yet:
 * their cells stay empty until they are. */
static const char *const key_metrics[] = {
    "oversell_units", "undersell_units", "stranded_units", "lost_revenue",
    "order_push_latency_ms.p50", "order_push_latency_ms.p99", "inventory_propagation_ms.p99",
    "final_drift_units", "dropped_events", "duplicate_sales", "api_calls.cin7", "http_429.cin7",
};
#define N_KEY (sizeof key_metrics / sizeof key_metrics[0])
#define DEFAULT_OBJECTIVE "oversell_units"
/* What breaks ties of the objective, and the Pareto front's axes. */
#define P99 "order_push_latency_ms.p99"
#define UNDERSELL "undersell_units"

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* Monotonic real ms, for the runs' time limits. */
static int64_t now_ms(void)
{
    return clock_mono_us() / 1000;
}

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- metrics ----------------------------------------------------------------- */

static int name_known(const char *name)
{
    for (size_t i = 0; i < N_KEY; i++)
        if (strcmp(key_metrics[i], name) == 0)
            return 1;
    return measure_metric_known(name);
}

/* The metric columns: the key metrics, then the objective when it is not
 * one of them. Malloc'd array of borrowed names. */
static const char **metric_columns(const char *objective, size_t *n)
{
    const char **cols = xcalloc(N_KEY + 2, sizeof *cols);
    *n = 0;
    for (size_t i = 0; i < N_KEY; i++)
        cols[(*n)++] = key_metrics[i];
    int listed = 0;
    for (size_t i = 0; i < N_KEY; i++)
        listed |= strcmp(key_metrics[i], objective) == 0;
    if (!listed)
        cols[(*n)++] = objective;
    return cols;
}

/* A metric of summary.json's "metrics": through measure_lookup for the
 * names measure.c knows, else by walking the dotted name; NAN when it is
 * absent or not a number. */
static double metric_value(const cJSON *metrics, const char *name)
{
    double v;
    int known = measure_lookup(metrics, name, &v);
    if (known >= 0)
        return known == 1 ? v : NAN;
    const cJSON *at = metrics;
    char part[128];
    for (const char *p = name; at && *p;) {
        size_t len = strcspn(p, ".");
        snprintf(part, sizeof part, "%.*s", (int)len, p);
        at = cJSON_GetObjectItemCaseSensitive(at, part);
        p += len + (p[len] == '.');
    }
    return cJSON_IsNumber(at) ? at->valuedouble : NAN;
}

/* ---- files ------------------------------------------------------------------- */

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "surge: sweep: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    int ok = fputs(text, f) >= 0;
    ok = fclose(f) == 0 && ok;
    if (!ok)
        fprintf(stderr, "surge: sweep: cannot write %s\n", path);
    return ok ? 0 : -1;
}

static int write_in(const char *dir, const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", dir, name);
    int rc = write_text(path, text);
    free(path);
    return rc;
}

/* ---- the manifest (sweep.json) ------------------------------------------------ */

static cJSON *manifest_new(const sweep_opts *o, const grid *g, const char *name, uint64_t seed,
                           const char *objective)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddNumberToObject(m, "format", SWEEP_FORMAT);
    cJSON *sc = cJSON_AddObjectToObject(m, "scenario");
    cJSON_AddStringToObject(sc, "path", o->scenario_path);
    cJSON_AddStringToObject(sc, "name", name);
    cJSON_AddStringToObject(m, "mode", o->sim ? "sim" : "run");
    cJSON *vary = cJSON_AddArrayToObject(m, "vary");
    for (size_t i = 0; i < g->n_params; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "path", g->params[i].path);
        cJSON *vals = cJSON_AddArrayToObject(p, "values");
        for (size_t k = 0; k < g->params[i].n_values; k++)
            cJSON_AddItemToArray(vals, cJSON_CreateString(g->params[i].values[k]));
        cJSON_AddItemToArray(vary, p);
    }
    cJSON *sets = cJSON_AddArrayToObject(m, "sets");
    for (size_t i = 0; i < o->n_sets; i++)
        cJSON_AddItemToArray(sets, cJSON_CreateString(o->sets[i]));
    cJSON_AddNumberToObject(m, "repeat", (double)o->repeat);
    cJSON_AddNumberToObject(m, "seed", (double)seed);
    cJSON_AddNumberToObject(m, "points", (double)grid_points(g));
    cJSON *shard = cJSON_AddObjectToObject(m, "shard");
    cJSON_AddNumberToObject(shard, "index", (double)o->shard_i);
    cJSON_AddNumberToObject(shard, "count", (double)o->shard_n);
    cJSON_AddStringToObject(m, "objective", objective);
    return m;
}

/* The fields two slices of one sweep share. */
static const char *const same_fields[] = {"format", "scenario", "mode", "vary", "sets",
                                          "repeat", "seed", "points"};

/* -1 with a message naming dir when m is not a slice of the same sweep as
 * first (read from first_dir). */
static int manifest_check(const cJSON *first, const char *first_dir, const cJSON *m,
                          const char *dir)
{
    for (size_t i = 0; i < sizeof same_fields / sizeof same_fields[0]; i++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(first, same_fields[i]);
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(m, same_fields[i]);
        if (!a || !b || !cJSON_Compare(a, b, 1)) {
            char *ta = a ? json_print(a) : xstrdup("(none)");
            char *tb = b ? json_print(b) : xstrdup("(none)");
            fprintf(stderr, "surge: sweep merge: %s is not from the same sweep as %s: its %s is "
                            "%.300s, not %.300s\n",
                    dir, first_dir, same_fields[i], tb, ta);
            free(ta);
            free(tb);
            return -1;
        }
    }
    return 0;
}

/* ---- the runs ---------------------------------------------------------------- */

typedef struct {
    size_t point;
    uint64_t seed;
    char *dir;        /* DIR/points/<index>-s<seed> */
    int64_t limit_ms; /* real ms it may take */
    proc *p;
    int64_t started;  /* wall ms */
    int exit_code;    /* -1 until it ends; 3 when it broke without one */
} sweep_job;

/* The child's command: this binary, run or sim, the scenario, the sweep's
 * --set flags, then the point's values. Malloc'd, NULL-terminated. */
static char **job_argv(const sweep_opts *o, const grid *g, const sweep_job *j,
                       const char *self)
{
    size_t n = 0, cap = 12 + 2 * (o->n_sets + g->n_params);
    char **argv = xcalloc(cap, sizeof *argv);
    argv[n++] = xstrdup(self);
    argv[n++] = xstrdup(o->sim ? "sim" : "run");
    argv[n++] = xstrdup(o->scenario_path);
    argv[n++] = xstrdup("--quiet");
    argv[n++] = xstrdup("--no-report");
    argv[n++] = xstrdup("--out");
    argv[n++] = xstrdup(j->dir);
    argv[n++] = xstrdup("--seed");
    argv[n++] = xasprintf("%llu", (unsigned long long)j->seed);
    for (size_t i = 0; i < o->n_sets; i++) {
        argv[n++] = xstrdup("--set");
        argv[n++] = xstrdup(o->sets[i]);
    }
    for (size_t i = 0; i < g->n_params; i++) {
        argv[n++] = xstrdup("--set");
        argv[n++] = xasprintf("%s=%s", g->params[i].path, grid_value(g, j->point, i));
    }
    return argv;
}

static void argv_free(char **argv)
{
    for (char **a = argv; a && *a; a++)
        free(*a);
    free(argv);
}

static int job_start(const sweep_opts *o, const grid *g, sweep_job *j, const char *self)
{
    char err[600];
    char *log_path = xasprintf("%s/surge.log", j->dir);
    char *summary = xasprintf("%s/summary.json", j->dir);
    /* An earlier sweep's summary here must not pass for this run's. */
    unlink(summary);
    unlink(log_path);
    char **argv = job_argv(o, g, j, self);
    int rc = -1;
    if (dirs_make(j->dir) != 0)
        fprintf(stderr, "surge: sweep: cannot create %s: %s\n", j->dir, strerror(errno));
    else if (proc_start(argv, log_path, 0, 0, &j->p, NULL, err, sizeof err) != 0)
        fprintf(stderr, "surge: sweep: point %zu seed %llu: cannot start %s: %s\n", j->point,
                (unsigned long long)j->seed, self, err);
    else
        rc = 0;
    if (rc == 0)
        fprintf(stderr, "sweep: started point %zu seed %llu into %s\n", j->point,
                (unsigned long long)j->seed, j->dir);
    j->started = now_ms();
    argv_free(argv);
    free(log_path);
    free(summary);
    return rc;
}

/* 1 when the job has ended (its exit code set), 0 while it runs. */
static int job_poll(sweep_job *j)
{
    int status = 0;
    if (proc_wait(j->p, 0, &status)) {
        j->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 3;
    } else if (now_ms() - j->started > j->limit_ms) {
        fprintf(stderr, "surge: sweep: point %zu seed %llu ran over %lld s; stopped\n", j->point,
                (unsigned long long)j->seed, (long long)(j->limit_ms / 1000));
        j->exit_code = 3;
    } else {
        return 0;
    }
    proc_stop(j->p, 10000);
    j->p = NULL;
    fprintf(stderr, "sweep: finished point %zu seed %llu: exit %d in %.1f s\n", j->point,
            (unsigned long long)j->seed, j->exit_code,
            (double)(now_ms() - j->started) / 1000);
    return 1;
}

/* Runs the jobs, at most `jobs` at once. Returns 0, or -1 when stopped by
 * a signal (the running children are stopped too). Every job ends with an
 * exit code: each has a time limit. */
static int run_jobs(const sweep_opts *o, const grid *g, sweep_job *jobs, size_t n,
                    const char *self)
{
    size_t next = 0, running = 0, done = 0;
    while (done < n) {
        if (stop_requested)
            break;
        while (running < o->jobs && next < n) {
            sweep_job *j = &jobs[next++];
            if (job_start(o, g, j, self) != 0) {
                j->exit_code = 3;
                done++;
            } else {
                running++;
            }
        }
        for (size_t i = 0; i < next; i++)
            if (jobs[i].p && job_poll(&jobs[i])) {
                running--;
                done++;
            }
        /* A simulated point takes a few hundredths of a second: polling
         * as slowly as for real runs would leave the cores idle. */
        if (done < n)
            nap_ms(o->sim ? POLL_MS / 10 : POLL_MS);
    }
    if (done == n)
        return 0;
    fprintf(stderr, "surge: sweep: interrupted; stopping the runs\n");
    for (size_t i = 0; i < n; i++) {
        proc_stop(jobs[i].p, 10000);
        jobs[i].p = NULL;
    }
    return -1;
}

/* ---- from runs to rows --------------------------------------------------------- */

/* The row of a point from its jobs (repeat of them, seeds in order). */
static sweep_row point_row(const sweep_opts *o, const grid *g, const sweep_job *jobs,
                           const char *const *cols, size_t n_cols)
{
    sweep_row r = {.index = jobs[0].point};
    r.shard = xasprintf("%zu/%zu", o->shard_i, o->shard_n);
    r.values = xcalloc(g->n_params + 1, sizeof *r.values);
    for (size_t p = 0; p < g->n_params; p++)
        r.values[p] = xstrdup(grid_value(g, r.index, p));
    sbuf seeds = SBUF_INIT, exits = SBUF_INIT;
    double *v = xcalloc(n_cols * o->repeat + 1, sizeof *v);
    int failed = 0, gate = 0;
    for (size_t s = 0; s < o->repeat; s++) {
        const sweep_job *j = &jobs[s];
        sbuf_printf(&seeds, "%s%llu", s ? " " : "", (unsigned long long)j->seed);
        sbuf_printf(&exits, "%s%d", s ? " " : "", j->exit_code);
        cJSON *sum = NULL;
        if (j->exit_code == 0 || j->exit_code == 1) {
            char *path = xasprintf("%s/summary.json", j->dir);
            json_err e;
            sum = json_load_file(path, SUMMARY_MAX_BYTES, &e);
            if (!sum)
                fprintf(stderr, "surge: sweep: point %zu: %s\n", r.index, e.msg);
            free(path);
        }
        failed |= !sum;
        gate |= j->exit_code == 1;
        const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(sum, "metrics");
        for (size_t c = 0; c < n_cols; c++)
            v[c * o->repeat + s] = sum ? metric_value(metrics, cols[c]) : NAN;
        cJSON_Delete(sum);
    }
    r.mean = xcalloc(n_cols + 1, sizeof *r.mean);
    r.sd = xcalloc(n_cols + 1, sizeof *r.sd);
    for (size_t c = 0; c < n_cols; c++)
        sweeptab_stats(v + c * o->repeat, o->repeat, &r.mean[c], &r.sd[c]);
    free(v);
    r.seeds = sbuf_take(&seeds);
    r.exits = sbuf_take(&exits);
    r.status = xstrdup(failed ? SWEEP_FAILED : gate ? SWEEP_GATE_FAILED : SWEEP_PASS);
    return r;
}

/* ---- results: sweep.csv, pareto.csv, the table, the plots ------------------------- */

/* Writes the table's files into dir and prints it ordered by objective.
 * Returns 0, or -1 when a file cannot be written. */
static int sweep_finish(const char *dir, const sweep_table *t, const char *objective)
{
    int obj = sweeptab_metric(t, objective), p99 = sweeptab_metric(t, P99);
    int over = sweeptab_metric(t, DEFAULT_OBJECTIVE), under = sweeptab_metric(t, UNDERSELL);
    int by[2] = {obj, strcmp(objective, P99) == 0 ? over : p99};
    unsigned char *front = xcalloc(t->n_rows + 1, 1);
    int pareto_cols[3] = {over, under, p99};
    size_t n_front = sweeptab_pareto(t, pareto_cols, 3, front);
    char *csv = sweeptab_csv(t, NULL);
    char *pcsv = sweeptab_csv(t, front);
    int rc = write_in(dir, "sweep.csv", csv) | write_in(dir, "pareto.csv", pcsv);
    free(csv);
    free(pcsv);

    size_t *order = sweeptab_order(t, by, 2);
    int shown[4];
    size_t n_shown = 0;
    int wanted[4] = {obj, over, under, p99};
    for (size_t i = 0; i < 4; i++) {
        int dup = wanted[i] < 0;
        for (size_t k = 0; k < n_shown; k++)
            dup |= shown[k] == wanted[i];
        if (!dup)
            shown[n_shown++] = wanted[i];
    }
    printf("\n%zu point%s ordered by %s%s%s (mean over seeds):\n", t->n_rows,
           t->n_rows == 1 ? "" : "s", objective, by[1] >= 0 ? ", then " : "",
           by[1] >= 0 ? t->metrics[by[1]] : "");
    sweeptab_print(t, order, shown, n_shown, stdout);
    printf("\nPareto front of oversell, undersell and p99 push latency: %zu point%s:", n_front,
           n_front == 1 ? "" : "s");
    for (size_t i = 0; i < t->n_rows; i++)
        if (front[order[i]])
            printf(" %zu", t->rows[order[i]].index);
    printf("\n");
    fflush(stdout);

    sweepplot_input pin = {t, shown, n_shown, front, over, p99, under};
    size_t drawn = sweepplot_write(dir, &pin);
    printf("sweep: %s/sweep.csv, %s/pareto.csv, %zu plot%s\n", dir, dir, drawn,
           drawn == 1 ? "" : "s");
    free(order);
    free(front);
    return rc ? -1 : 0;
}

/* 3 when a row failed, else 0. */
static int rows_exit(const sweep_table *t)
{
    size_t failed = 0;
    for (size_t i = 0; i < t->n_rows; i++)
        failed += strcmp(t->rows[i].status, SWEEP_FAILED) == 0;
    if (failed)
        fprintf(stderr, "surge: sweep: %zu point%s failed (status %s in sweep.csv; see "
                        "points/*/surge.log)\n",
                failed, failed == 1 ? "" : "s", SWEEP_FAILED);
    return failed ? 3 : 0;
}

/* ---- checking before anything runs ------------------------------------------------ */

/* Loads the scenario with the sweep's --set flags, the seed and extra
 * overrides; 0 or -1 (e filled). */
static int load_with(const sweep_opts *o, const char *const *extra, size_t n_extra,
                     scenario *sc, json_err *e)
{
    const char **over = xcalloc(o->n_sets + n_extra + 2, sizeof *over);
    size_t n = 0;
    for (size_t i = 0; i < o->n_sets; i++)
        over[n++] = o->sets[i];
    char seed_set[64];
    if (o->seed >= 0) {
        snprintf(seed_set, sizeof seed_set, "seed=%lld", (long long)o->seed);
        over[n++] = seed_set;
    }
    for (size_t i = 0; i < n_extra; i++)
        over[n++] = extra[i];
    int rc = scenario_load(o->scenario_path, over, n, sc, e);
    free(over);
    return rc;
}

/* Every --vary value alone, then every point of this shard, loaded with
 * the scenario; each point's time limit into limits. Returns 0, or -1
 * after a message naming the flag and the value (or the point). */
static int check_grid(const sweep_opts *o, const grid *g, int64_t *limits)
{
    json_err e;
    scenario sc;
    for (size_t p = 0; p < g->n_params; p++)
        for (size_t k = 0; k < g->params[p].n_values; k++) {
            char *set = xasprintf("%s=%s", g->params[p].path, g->params[p].values[k]);
            const char *extra[] = {set};
            int rc = load_with(o, extra, 1, &sc, &e);
            if (rc != 0)
                fprintf(stderr, "surge: --vary %s: value \"%s\": %s\n", g->params[p].path,
                        g->params[p].values[k], e.msg);
            else
                scenario_free(&sc);
            free(set);
            if (rc != 0)
                return -1;
        }
    size_t n_points = grid_points(g);
    const char **extra = xcalloc(g->n_params + 1, sizeof *extra);
    int rc = 0;
    for (size_t i = 0; i < n_points && rc == 0; i++) {
        if (!grid_in_shard(i, o->shard_i, o->shard_n))
            continue;
        for (size_t p = 0; p < g->n_params; p++)
            extra[p] = xasprintf("%s=%s", g->params[p].path, grid_value(g, i, p));
        rc = load_with(o, extra, g->n_params, &sc, &e);
        if (rc != 0) {
            fprintf(stderr, "surge: --vary: point %zu (", i);
            for (size_t p = 0; p < g->n_params; p++)
                fprintf(stderr, "%s%s", p ? " " : "", extra[p]);
            fprintf(stderr, "): %s\n", e.msg);
        } else {
            double real = (double)(sc.duration_ms + sc.drain_ms) / sc.time_scale;
            limits[i] = 2 * (int64_t)real + RUN_SLACK_MS;
            scenario_free(&sc);
        }
        for (size_t p = 0; p < g->n_params; p++)
            free((char *)extra[p]);
    }
    free(extra);
    return rc;
}

/* The path of this program, for the children. */
static int self_path(char *out, size_t n)
{
    ssize_t len = readlink("/proc/self/exe", out, n - 1);
    if (len <= 0) {
        fprintf(stderr, "surge: sweep: cannot read /proc/self/exe: %s\n", strerror(errno));
        return -1;
    }
    out[len] = '\0';
    return 0;
}

/* ---- surge sweep ------------------------------------------------------------------ */

/* Sweep options that need no scenario; 0 or -1 after a message. */
static int check_opts(const sweep_opts *o, grid *g, const char *objective)
{
    char err[600];
    if (o->sim && !o->sim_built) {
        fprintf(stderr, "surge: --sim: surge sim is not built yet (the discrete-event "
                        "simulator); sweep real runs without --sim\n");
        return -1;
    }
    if (o->n_vary == 0) {
        fprintf(stderr, "surge: sweep: give at least one --vary PATH=V1,V2,...\n");
        return -1;
    }
    for (size_t i = 0; i < o->n_vary; i++) {
        if (grid_add(g, o->vary[i], err, sizeof err) != 0) {
            fprintf(stderr, "surge: %s\n", err);
            return -1;
        }
        if (strcmp(g->params[g->n_params - 1].path, "seed") == 0) {
            fprintf(stderr, "surge: --vary %s: seeds are set by --seed and --repeat\n",
                    o->vary[i]);
            return -1;
        }
    }
    if (!name_known(objective)) {
        fprintf(stderr, "surge: --objective %s: unknown metric (known: the columns of "
                        "sweep.csv, or a gate's metric; see docs/sweep.md)\n",
                objective);
        return -1;
    }
    return 0;
}

/* The jobs of this shard: each point with its seeds, in point order. */
static sweep_job *plan_jobs(const sweep_opts *o, const grid *g, const char *dir, uint64_t seed,
                            const int64_t *limits, size_t *n)
{
    size_t n_points = grid_points(g);
    sweep_job *jobs = xcalloc(n_points * o->repeat + 1, sizeof *jobs);
    *n = 0;
    for (size_t i = 0; i < n_points; i++)
        for (size_t s = 0; grid_in_shard(i, o->shard_i, o->shard_n) && s < o->repeat; s++)
            jobs[(*n)++] = (sweep_job){i, seed + s,
                                       xasprintf("%s/points/%zu-s%llu", dir, i,
                                                 (unsigned long long)(seed + s)),
                                       limits[i], NULL, 0, -1};
    return jobs;
}

/* The sweep folder (o->out_dir, or a fresh results/sweep-<name>-<stamp>)
 * with its sweep.json; its path into dir. 0, or -1 after a message. */
static int make_folder(const sweep_opts *o, const grid *g, const char *name, uint64_t seed,
                       const char *objective, char *dir, size_t n)
{
    if (o->out_dir) {
        snprintf(dir, n, "%s", o->out_dir);
    } else {
        char *base = xasprintf("sweep-%s", name);
        dirs_stamped(dir, n, "results", base);
        free(base);
    }
    if (dirs_make(dir) != 0) {
        fprintf(stderr, "surge: sweep: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    cJSON *manifest = manifest_new(o, g, name, seed, objective);
    char *text = cJSON_Print(manifest);
    int rc = write_in(dir, "sweep.json", text);
    free(text);
    cJSON_Delete(manifest);
    return rc;
}

int sweep_run(const sweep_opts *o)
{
    grid g = GRID_INIT;
    const char *objective = o->objective ? o->objective : DEFAULT_OBJECTIVE;
    scenario sc;
    json_err e;
    char self[1024], dir[1024];
    if (check_opts(o, &g, objective) != 0) {
        grid_free(&g);
        return 2;
    }
    if (load_with(o, NULL, 0, &sc, &e) != 0) {
        fprintf(stderr, "surge: %s\n", e.msg);
        grid_free(&g);
        return 2;
    }
    uint64_t seed = sc.seed;
    char *name = xstrdup(sc.name);
    scenario_free(&sc);
    int64_t *limits = xcalloc(grid_points(&g) + 1, sizeof *limits);
    int rc = 2;
    sweep_job *jobs = NULL;
    size_t n_jobs = 0;
    sweep_table t = {0};
    if (check_grid(o, &g, limits) != 0 || self_path(self, sizeof self) != 0)
        goto out;

    rc = 3;
    if (make_folder(o, &g, name, seed, objective, dir, sizeof dir) != 0)
        goto out;
    jobs = plan_jobs(o, &g, dir, seed, limits, &n_jobs);
    fprintf(stderr, "sweep: %s: %zu of %zu points (shard %zu/%zu) x %zu seed%s, %zu at once, "
                    "into %s\n",
            name, n_jobs / o->repeat, grid_points(&g), o->shard_i, o->shard_n, o->repeat,
            o->repeat == 1 ? "" : "s", o->jobs, dir);
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int stopped = run_jobs(o, &g, jobs, n_jobs, self);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (stopped != 0)
        goto out;

    size_t n_cols;
    const char **cols = metric_columns(objective, &n_cols);
    const char **params = xcalloc(g.n_params + 1, sizeof *params);
    for (size_t p = 0; p < g.n_params; p++)
        params[p] = g.params[p].path;
    sweeptab_init(&t, params, g.n_params, cols, n_cols, o->repeat > 1);
    free(params);
    for (size_t i = 0; i < n_jobs; i += o->repeat)
        sweeptab_add(&t, point_row(o, &g, &jobs[i], cols, n_cols));
    free(cols);
    rc = sweep_finish(dir, &t, objective) != 0 ? 3 : rows_exit(&t);
out:
    for (size_t i = 0; i < n_jobs; i++)
        free(jobs[i].dir);
    free(jobs);
    sweeptab_free(&t);
    free(limits);
    free(name);
    grid_free(&g);
    return rc;
}

/* ---- surge sweep merge ---------------------------------------------------------------- */

/* One slice: its manifest and table; -1 after a message naming dir. */
static int read_slice(const char *dir, cJSON **manifest, sweep_table *t)
{
    char *path = xasprintf("%s/sweep.json", dir);
    json_err e;
    char err[600];
    *manifest = json_load_file(path, 1 << 20, &e);
    free(path);
    if (!*manifest) {
        fprintf(stderr, "surge: sweep merge: %s\n", e.msg);
        return -1;
    }
    path = xasprintf("%s/sweep.csv", dir);
    int rc = sweeptab_read(path, t, err, sizeof err);
    free(path);
    if (rc != 0)
        fprintf(stderr, "surge: sweep merge: %s\n", err);
    return rc;
}

/* Moves src's rows into dst (same columns by name); -1 after a message
 * when a point is already there or the columns differ. */
static int take_rows(sweep_table *dst, sweep_table *src, const char *dir, const char **owner,
                     size_t n_points, const char *const *dirs)
{
    int same = src->n_params == dst->n_params && src->n_metrics == dst->n_metrics &&
               src->with_sd == dst->with_sd;
    for (size_t m = 0; same && m < src->n_metrics; m++)
        same = strcmp(src->metrics[m], dst->metrics[m]) == 0;
    if (!same) {
        fprintf(stderr, "surge: sweep merge: %s/sweep.csv has other columns than %s/sweep.csv\n",
                dir, dirs[0]);
        return -1;
    }
    for (size_t i = 0; i < src->n_rows; i++) {
        size_t index = src->rows[i].index;
        if (index >= n_points) {
            fprintf(stderr, "surge: sweep merge: %s/sweep.csv: point %zu is outside the grid "
                            "(%zu points)\n", dir, index, n_points);
            return -1;
        }
        if (owner[index]) {
            fprintf(stderr, "surge: sweep merge: point %zu is in both %s and %s\n", index,
                    owner[index], dir);
            return -1;
        }
        owner[index] = dir;
    }
    for (size_t i = 0; i < src->n_rows; i++)
        sweeptab_add(dst, src->rows[i]);
    free(src->rows);
    src->rows = NULL;
    src->n_rows = 0;
    return 0;
}

/* Warns about the points no slice had. */
static void warn_missing(const char **owner, size_t n_points)
{
    size_t missing = 0;
    for (size_t i = 0; i < n_points; i++)
        missing += !owner[i];
    if (!missing)
        return;
    fprintf(stderr, "surge: sweep merge: warning: %zu of %zu points are in none of the folders:",
            missing, n_points);
    size_t shown = 0;
    for (size_t i = 0; i < n_points && shown < 20; i++)
        if (!owner[i]) {
            fprintf(stderr, " %zu", i);
            shown++;
        }
    fprintf(stderr, "%s\n", missing > shown ? " ..." : "");
}

int sweep_merge(const char *const *dirs, size_t n_dirs, const char *out_dir,
                const char *objective)
{
    cJSON *first = NULL, *m = NULL;
    sweep_table all = {0}, t = {0};
    const char **owner = NULL;
    int rc = 2;
    if (n_dirs == 0) {
        fprintf(stderr, "surge: sweep merge: give the sweep folders to join\n");
        return 2;
    }
    if (read_slice(dirs[0], &first, &t) != 0)
        goto out;
    double points = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(first, "points"));
    if (!(points >= 1 && points <= GRID_MAX_POINTS)) {
        fprintf(stderr, "surge: sweep merge: %s/sweep.json: \"points\" is not a grid size\n",
                dirs[0]);
        goto out;
    }
    size_t n_points = (size_t)points;
    owner = xcalloc(n_points + 1, sizeof *owner);
    sweeptab_init(&all, (const char *const *)t.params, t.n_params,
                  (const char *const *)t.metrics, t.n_metrics, t.with_sd);
    for (size_t d = 0; d < n_dirs; d++) {
        if (d > 0) {
            cJSON_Delete(m);
            m = NULL;
            sweeptab_free(&t);
            if (read_slice(dirs[d], &m, &t) != 0 || manifest_check(first, dirs[0], m, dirs[d]))
                goto out;
        }
        if (take_rows(&all, &t, dirs[d], owner, n_points, dirs) != 0)
            goto out;
    }
    warn_missing(owner, n_points);
    sweeptab_sort_index(&all);

    const char *obj = objective ? objective
                                : cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(first,
                                                                                         "objective"));
    if (!obj || sweeptab_metric(&all, obj) < 0) {
        fprintf(stderr, "surge: sweep merge: --objective %s: not a column of sweep.csv\n",
                obj ? obj : "(none)");
        goto out;
    }
    char dir[1024];
    if (out_dir) {
        snprintf(dir, sizeof dir, "%s", out_dir);
    } else {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(first, "scenario"), "name"));
        char *base = xasprintf("sweep-%s-merged", name ? name : "unnamed");
        dirs_stamped(dir, sizeof dir, "results", base);
        free(base);
    }
    rc = 3;
    if (dirs_make(dir) != 0) {
        fprintf(stderr, "surge: sweep merge: cannot create %s: %s\n", dir, strerror(errno));
        goto out;
    }
    /* The merged manifest: the slices' shared fields, no shard, where from. */
    cJSON *merged = cJSON_Duplicate(first, 1);
    cJSON_ReplaceItemInObjectCaseSensitive(merged, "shard", cJSON_CreateNull());
    cJSON_ReplaceItemInObjectCaseSensitive(merged, "objective", cJSON_CreateString(obj));
    cJSON *from = cJSON_AddArrayToObject(merged, "merged_from");
    for (size_t d = 0; d < n_dirs; d++)
        cJSON_AddItemToArray(from, cJSON_CreateString(dirs[d]));
    char *text = cJSON_Print(merged);
    cJSON_Delete(merged);
    int wrc = write_in(dir, "sweep.json", text);
    free(text);
    if (wrc == 0 && sweep_finish(dir, &all, obj) == 0)
        rc = rows_exit(&all);
out:
    free(owner);
    cJSON_Delete(first);
    cJSON_Delete(m);
    sweeptab_free(&t);
    sweeptab_free(&all);
    return rc;
}
