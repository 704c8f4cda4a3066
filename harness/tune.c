/* `surge tune`; see tune.h. */
#include "tune.h"

#include "dirs.h"
#include "grid.h"
#include "json.h"
#include "measure.h"
#include "mem.h"
#include "proc.h"
#include "results.h"
#include "run.h"
#include "sbuf.h"
#include "sim.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define REFINE_ROUNDS 2
#define MAX_POINTS 10000 /* grid and refinement together */

typedef struct {
    char metric[128];
    double limit;
    int is_min;
} constraint;

typedef struct {
    char **values;   /* one per parameter */
    const char *phase;
    int ok;          /* every run measured the objective and the constraints */
    int feasible;
    double objective;
    double *cons;    /* per constraint, the mean */
} point;

typedef struct {
    const tune_opts *o;
    grid g;
    constraint *cons;
    size_t n_cons;
    point *pts;
    size_t n_pts, cap_pts;
    int64_t seed;
} tuner;

/* ---- numbers in values ---------------------------------------------------------- */

/* A value as a number and its unit ("", "ms", "s", "m", "h", "d"); 0, or
 * -1 when it is not one. */
static int value_number(const char *v, double *x, char *unit, size_t n)
{
    char *end;
    errno = 0;
    *x = strtod(v, &end);
    if (end == v || errno || !isfinite(*x))
        return -1;
    static const char *const units[] = {"", "ms", "s", "m", "h", "d"};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i]) == 0) {
            snprintf(unit, n, "%s", end);
            return 0;
        }
    return -1;
}

/* Whether parameter p is numeric: every grid value a number in one unit;
 * *integral when they are all whole. */
static int param_numeric(const grid_param *p, char *unit, size_t n, int *integral)
{
    *integral = 1;
    for (size_t i = 0; i < p->n_values; i++) {
        double x;
        char u[8];
        if (value_number(p->values[i], &x, u, sizeof u) != 0)
            return 0;
        if (i == 0)
            snprintf(unit, n, "%s", u);
        else if (strcmp(u, unit) != 0)
            return 0;
        *integral &= x == floor(x);
    }
    return p->n_values > 0;
}

/* ---- points ------------------------------------------------------------------------ */

static int same_values(const tuner *t, char *const *a, char *const *b)
{
    for (size_t i = 0; i < t->g.n_params; i++)
        if (strcmp(a[i], b[i]) != 0)
            return 0;
    return 1;
}

static int tried(const tuner *t, char *const *values)
{
    for (size_t i = 0; i < t->n_pts; i++)
        if (same_values(t, t->pts[i].values, values))
            return 1;
    return 0;
}

/* The overrides of a point: the --set list, then PATH=VALUE per parameter
 * (malloc'd strings in a malloc'd array of n). */
static char **point_sets(const tuner *t, char *const *values, size_t *n)
{
    const tune_opts *o = t->o;
    char **s = xcalloc(o->n_sets + t->g.n_params + 1, sizeof *s);
    *n = 0;
    for (size_t i = 0; i < o->n_sets; i++)
        s[(*n)++] = xstrdup(o->sets[i]);
    for (size_t i = 0; i < t->g.n_params; i++)
        s[(*n)++] = xasprintf("%s=%s", t->g.params[i].path, values[i]);
    return s;
}

static void sets_free(char **s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

static void point_free(point *p, size_t n_params)
{
    for (size_t i = 0; i < n_params; i++)
        free(p->values[i]);
    free(p->values);
    free(p->cons);
}

/* Runs a point in the simulator with each seed and keeps the means.
 * Returns 0, or the exit code of a failure (printed). */
static int evaluate(tuner *t, char **values, const char *phase)
{
    const tune_opts *o = t->o;
    XGROW(t->pts, t->n_pts, t->cap_pts, 64);
    point *p = &t->pts[t->n_pts++];
    *p = (point){values, phase, 1, 0, 0, xcalloc(t->n_cons + 1, sizeof *p->cons)};
    size_t n_sets;
    char **sets = point_sets(t, values, &n_sets);
    int rc = 0;
    for (size_t r = 0; r < o->repeat && p->ok; r++) {
        scenario sc;
        rc = results_load_scenario(o->scenario_path, (const char *const *)sets, n_sets,
                                   t->seed + (int64_t)r, &sc);
        if (rc != RUN_PASS)
            break;
        sim_outcome so;
        char err[600];
        rc = sim_measure(&sc, &so, err, sizeof err);
        scenario_free(&sc);
        if (rc != RUN_PASS) {
            fprintf(stderr, "surge tune: %s\n", err);
            break;
        }
        double v;
        if (measure_lookup(so.mo.metrics, o->minimize, &v) == 1)
            p->objective += v / (double)o->repeat;
        else
            p->ok = 0;
        for (size_t c = 0; c < t->n_cons; c++) {
            if (measure_lookup(so.mo.metrics, t->cons[c].metric, &v) == 1)
                p->cons[c] += v / (double)o->repeat;
            else
                p->ok = 0;
        }
        sim_outcome_free(&so);
    }
    sets_free(sets, n_sets);
    p->feasible = rc == RUN_PASS && p->ok;
    for (size_t c = 0; c < t->n_cons && p->feasible; c++)
        p->feasible = t->cons[c].is_min ? p->cons[c] >= t->cons[c].limit
                                        : p->cons[c] <= t->cons[c].limit;
    return rc;
}

/* The best feasible point (lowest objective; the earlier on ties) other
 * than `not` (-1: none); -1 when none is feasible. */
static long best_point(const tuner *t, long not)
{
    long b = -1;
    for (size_t i = 0; i < t->n_pts; i++) {
        if (!t->pts[i].feasible || (long)i == not)
            continue;
        if (b < 0 || t->pts[i].objective < t->pts[b].objective)
            b = (long)i;
    }
    return b;
}

/* One round of the finer search around the best point: per numeric
 * parameter, the midpoints between its value and the nearest values tried
 * below and above (the other parameters at the best point's). */
static int refine(tuner *t, long best)
{
    for (size_t p = 0; p < t->g.n_params; p++) {
        char unit[8];
        int integral;
        if (!param_numeric(&t->g.params[p], unit, sizeof unit, &integral))
            continue;
        double at, lo = -INFINITY, hi = INFINITY, x;
        char u[8];
        if (value_number(t->pts[best].values[p], &at, u, sizeof u) != 0)
            continue;
        for (size_t i = 0; i < t->n_pts; i++)
            if (value_number(t->pts[i].values[p], &x, u, sizeof u) == 0) {
                if (x < at && x > lo)
                    lo = x;
                if (x > at && x < hi)
                    hi = x;
            }
        double mids[2] = {(lo + at) / 2, (at + hi) / 2};
        for (int m = 0; m < 2; m++) {
            double v = integral ? round(mids[m]) : mids[m];
            if (!isfinite(v) || v == at || v == lo || v == hi || t->n_pts >= MAX_POINTS)
                continue;
            char **values = xcalloc(t->g.n_params + 1, sizeof *values);
            for (size_t i = 0; i < t->g.n_params; i++)
                values[i] = i == p ? xasprintf("%.10g%s", v, unit)
                                   : xstrdup(t->pts[best].values[i]);
            if (tried(t, values)) {
                for (size_t i = 0; i < t->g.n_params; i++)
                    free(values[i]);
                free(values);
                continue;
            }
            int rc = evaluate(t, values, "refine");
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

/* ---- output --------------------------------------------------------------------------- */

static void print_point(const tuner *t, const char *label, long i)
{
    if (i < 0) {
        printf("%-10s none\n", label);
        return;
    }
    const point *p = &t->pts[i];
    printf("%-10s", label);
    for (size_t k = 0; k < t->g.n_params; k++)
        printf(" %s=%s", t->g.params[k].path, p->values[k]);
    printf("\n%-10s %s %.6g", "", t->o->minimize, p->objective);
    for (size_t c = 0; c < t->n_cons; c++)
        printf(", %s %.6g", t->cons[c].metric, p->cons[c]);
    printf(" (simulated, mean of %zu seed%s)\n", t->o->repeat, t->o->repeat > 1 ? "s" : "");
}

static char *csv_text(const tuner *t)
{
    sbuf b = SBUF_INIT;
    sbuf_puts(&b, "phase");
    for (size_t k = 0; k < t->g.n_params; k++)
        sbuf_printf(&b, ",%s", t->g.params[k].path);
    sbuf_printf(&b, ",%s", t->o->minimize);
    for (size_t c = 0; c < t->n_cons; c++)
        sbuf_printf(&b, ",%s", t->cons[c].metric);
    sbuf_puts(&b, ",feasible\n");
    for (size_t i = 0; i < t->n_pts; i++) {
        const point *p = &t->pts[i];
        sbuf_puts(&b, p->phase);
        for (size_t k = 0; k < t->g.n_params; k++)
            sbuf_printf(&b, ",%s", p->values[k]);
        if (p->ok)
            sbuf_printf(&b, ",%.10g", p->objective);
        else
            sbuf_puts(&b, ",");
        for (size_t c = 0; c < t->n_cons; c++) {
            if (p->ok)
                sbuf_printf(&b, ",%.10g", p->cons[c]);
            else
                sbuf_puts(&b, ",");
        }
        sbuf_printf(&b, ",%s\n", p->feasible ? "yes" : "no");
    }
    return sbuf_take(&b);
}

static cJSON *point_json(const tuner *t, long i)
{
    if (i < 0)
        return cJSON_CreateNull();
    const point *p = &t->pts[i];
    cJSON *o = cJSON_CreateObject();
    cJSON *v = cJSON_AddObjectToObject(o, "values");
    for (size_t k = 0; k < t->g.n_params; k++)
        cJSON_AddStringToObject(v, t->g.params[k].path, p->values[k]);
    cJSON *m = cJSON_AddObjectToObject(o, "simulated");
    cJSON_AddNumberToObject(m, t->o->minimize, p->objective);
    for (size_t c = 0; c < t->n_cons; c++)
        cJSON_AddNumberToObject(m, t->cons[c].metric, p->cons[c]);
    return o;
}

/* ---- the confirmation ------------------------------------------------------------------- */

/* The winner as a real `surge run` of this binary into dir/confirm.
 * Returns its exit code (3 when it could not run) and its summary.json's
 * metrics in *metrics (NULL when there is none). */
static int confirm(const tuner *t, long best, const char *dir, cJSON **metrics)
{
    const tune_opts *o = t->o;
    *metrics = NULL;
    char self[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return 3;
    self[n] = '\0';
    size_t n_sets;
    char **sets = point_sets(t, t->pts[best].values, &n_sets);
    char *out = xasprintf("%s/confirm", dir);
    char seed[32];
    snprintf(seed, sizeof seed, "%lld", (long long)t->seed);
    char **argv = xcalloc(2 * n_sets + 12, sizeof *argv);
    size_t a = 0;
    const char *fixed[] = {self, "run", o->scenario_path, "--quiet", "--no-report", "--out",
                           out, "--seed", seed};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        argv[a++] = xstrdup(fixed[i]);
    for (size_t i = 0; i < n_sets; i++) {
        argv[a++] = xstrdup("--set");
        argv[a++] = xstrdup(sets[i]);
    }
    char *log_path = xasprintf("%s/confirm.log", dir);
    char err[600];
    proc *p = NULL;
    int code = 3, status = 0;
    fprintf(stderr, "tune: confirming the winner with a real run (log: %s)\n", log_path);
    if (proc_start(argv, log_path, 0, 0, &p, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "surge tune: cannot start the real run: %s\n", err);
    } else {
        /* A real run ends by itself: its drain is bounded by the scenario. */
        while (!proc_wait(p, 1000, &status))
            ;
        proc_stop(p, 1000);
        code = WIFEXITED(status) ? WEXITSTATUS(status) : 3;
        json_err e;
        char *path = xasprintf("%s/summary.json", out);
        cJSON *s = json_load_file(path, 64 << 20, &e);
        free(path);
        if (s) {
            *metrics = cJSON_DetachItemFromObjectCaseSensitive(s, "metrics");
            cJSON_Delete(s);
        }
    }
    for (size_t i = 0; i < a; i++)
        free(argv[i]);
    free(argv);
    free(log_path);
    free(out);
    sets_free(sets, n_sets);
    return code;
}

/* ---- the search ---------------------------------------------------------------------------- */

/* Everything checked before anything runs: the metrics, the constraints,
 * every grid value loaded with the scenario. 0, or 2 after printing why. */
static int check_usage(tuner *t)
{
    const tune_opts *o = t->o;
    if (!measure_metric_known(o->minimize)) {
        fprintf(stderr, "surge tune: --minimize %s: unknown metric (surge run --gate lists them)\n",
                o->minimize);
        return 2;
    }
    t->cons = xcalloc(o->n_subject_to + 1, sizeof *t->cons);
    for (size_t i = 0; i < o->n_subject_to; i++) {
        char err[300];
        constraint *c = &t->cons[t->n_cons];
        if (results_parse_gate(o->subject_to[i], c->metric, sizeof c->metric, &c->limit,
                               &c->is_min, err, sizeof err) != 0) {
            fprintf(stderr, "surge tune: --subject-to: %s\n", err);
            return 2;
        }
        if (!measure_metric_known(c->metric)) {
            fprintf(stderr, "surge tune: --subject-to %s: unknown metric %s\n", o->subject_to[i],
                    c->metric);
            return 2;
        }
        t->n_cons++;
    }
    for (size_t i = 0; i < o->n_vary; i++) {
        char err[600];
        if (grid_add(&t->g, o->vary[i], err, sizeof err) != 0) {
            fprintf(stderr, "surge tune: %s\n", err);
            return 2;
        }
    }
    if (t->g.n_params == 0) {
        fprintf(stderr, "surge tune: give at least one --vary PATH=V1,V2,...\n");
        return 2;
    }
    if (grid_points(&t->g) > MAX_POINTS / 2) {
        fprintf(stderr, "surge tune: %zu grid points; at most %d\n", grid_points(&t->g),
                MAX_POINTS / 2);
        return 2;
    }
    /* Each value with the scenario, and the scenario in the simulator. */
    for (size_t k = 0; k < t->g.n_params; k++)
        for (size_t i = 0; i < t->g.params[k].n_values; i++) {
            const grid_param *gp = &t->g.params[k];
            char *one = xasprintf("%s=%s", gp->path, gp->values[i]);
            const char **sets = xcalloc(o->n_sets + 2, sizeof *sets);
            for (size_t s = 0; s < o->n_sets; s++)
                sets[s] = o->sets[s];
            sets[o->n_sets] = one;
            scenario sc;
            int rc = results_load_scenario(o->scenario_path, sets, o->n_sets + 1, o->seed, &sc);
            char why[300];
            const char *no = rc == RUN_PASS ? sim_unsupported(&sc, why, sizeof why) : NULL;
            if (rc == RUN_PASS) {
                if (i == 0 && k == 0)
                    t->seed = o->seed >= 0 ? o->seed : (int64_t)sc.seed;
                scenario_free(&sc);
            }
            free(sets);
            if (rc != RUN_PASS || no) {
                if (no)
                    fprintf(stderr, "surge tune: the simulator cannot run it: %s\n", no);
                fprintf(stderr, "surge tune: --vary %s: value \"%s\" refused\n", gp->path,
                        gp->values[i]);
                free(one);
                return 2;
            }
            free(one);
        }
    return 0;
}

static int write_outputs(const tuner *t, const char *dir, long best, long runner,
                         cJSON *real, int real_code, int confirmed)
{
    char *csv = csv_text(t);
    char *path = xasprintf("%s/tune.csv", dir);
    int ok = results_write_file(path, csv, strlen(csv)) == 0;
    free(path);
    free(csv);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "scenario", t->o->scenario_path);
    cJSON_AddStringToObject(j, "minimize", t->o->minimize);
    cJSON *st = cJSON_AddArrayToObject(j, "subject_to");
    for (size_t i = 0; i < t->o->n_subject_to; i++)
        cJSON_AddItemToArray(st, cJSON_CreateString(t->o->subject_to[i]));
    cJSON_AddNumberToObject(j, "seed", (double)t->seed);
    cJSON_AddNumberToObject(j, "repeat", (double)t->o->repeat);
    cJSON_AddNumberToObject(j, "points_tried", (double)t->n_pts);
    cJSON_AddItemToObject(j, "best", point_json(t, best));
    cJSON_AddItemToObject(j, "runner_up", point_json(t, runner));
    if (real) {
        cJSON *c = cJSON_AddObjectToObject(j, "confirmation");
        cJSON_AddNumberToObject(c, "exit_code", real_code);
        cJSON_AddBoolToObject(c, "constraints_met", confirmed);
        cJSON_AddItemToObject(c, "metrics", cJSON_Duplicate(real, 1));
    }
    path = xasprintf("%s/tune.json", dir);
    ok &= results_write_json(path, j) == 0;
    free(path);
    cJSON_Delete(j);
    return ok ? 0 : -1;
}

int tune_run(const tune_opts *o)
{
    tuner t = {.o = o, .g = GRID_INIT};
    int rc = check_usage(&t);
    char dir[1024] = "";
    cJSON *real = NULL;
    if (rc != 0)
        goto out;
    if (o->out_dir) {
        snprintf(dir, sizeof dir, "%s", o->out_dir);
    } else {
        scenario sc;
        if (results_load_scenario(o->scenario_path, o->sets, o->n_sets, o->seed, &sc) != 0) {
            rc = 2;
            goto out;
        }
        char name[300];
        snprintf(name, sizeof name, "tune-%s", sc.name);
        scenario_free(&sc);
        dirs_stamped(dir, sizeof dir, "results", name);
    }
    if (dirs_make(dir) != 0) {
        fprintf(stderr, "surge tune: cannot create %s: %s\n", dir, strerror(errno));
        rc = 3;
        goto out;
    }
    /* The grid, then the finer search around the best point. */
    size_t n = grid_points(&t.g);
    fprintf(stderr, "tune: %zu grid points, %zu seed%s each, in the simulator\n", n, o->repeat,
            o->repeat > 1 ? "s" : "");
    for (size_t i = 0; i < n && rc == 0; i++) {
        char **values = xcalloc(t.g.n_params + 1, sizeof *values);
        for (size_t k = 0; k < t.g.n_params; k++)
            values[k] = xstrdup(grid_value(&t.g, i, k));
        rc = evaluate(&t, values, "grid");
    }
    for (int round = 0; round < REFINE_ROUNDS && rc == 0; round++) {
        long b = best_point(&t, -1);
        if (b < 0)
            break;
        rc = refine(&t, b);
    }
    if (rc != 0) {
        rc = rc == RUN_BAD_USAGE ? 2 : 3;
        goto out;
    }
    long best = best_point(&t, -1), runner = best_point(&t, best);
    printf("\n%zu settings tried (%zu on the grid); minimizing %s", t.n_pts, n, o->minimize);
    for (size_t c = 0; c < t.n_cons; c++)
        printf("%s %s", c ? "," : " subject to", o->subject_to[c]);
    printf("\n");
    print_point(&t, "best", best);
    print_point(&t, "runner-up", runner);
    if (best < 0) {
        printf("no setting meets the constraints in the simulator\n");
        rc = write_outputs(&t, dir, best, runner, NULL, 0, 0) == 0 ? 1 : 3;
        goto out;
    }
    int confirmed = 1, code = 0;
    if (o->confirm) {
        code = confirm(&t, best, dir, &real);
        if (!real) {
            fprintf(stderr, "surge tune: the real run gave no summary (exit %d; see %s/confirm.log)\n",
                    code, dir);
            rc = 3;
            goto out;
        }
        printf("\n%-36s %14s %14s\n", "the winner", "simulated", "real run");
        double v = NAN;
        measure_lookup(real, o->minimize, &v);
        printf("%-36s %14.6g %14.6g\n", o->minimize, t.pts[best].objective, v);
        for (size_t c = 0; c < t.n_cons; c++) {
            v = NAN;
            int known = measure_lookup(real, t.cons[c].metric, &v) == 1;
            int met = known && (t.cons[c].is_min ? v >= t.cons[c].limit : v <= t.cons[c].limit);
            confirmed &= met;
            printf("%-36s %14.6g %14.6g  %s %s %g\n", t.cons[c].metric, t.pts[best].cons[c], v,
                   met ? "meets" : "MISSES", t.cons[c].is_min ? ">=" : "<=", t.cons[c].limit);
        }
        if (code > 1)
            confirmed = 0;
    }
    if (write_outputs(&t, dir, best, runner, real, code, confirmed) != 0) {
        fprintf(stderr, "surge tune: cannot write into %s\n", dir);
        rc = 3;
        goto out;
    }
    printf("tune: %s/tune.csv, %s/tune.json\n", dir, dir);
    if (o->confirm)
        printf("exit %d: %s\n", confirmed ? 0 : code > 1 ? 3 : 1,
               confirmed ? "the winner meets every constraint in the real run"
               : code > 1 ? "the real run broke"
                          : "the winner misses a constraint in the real run");
    rc = confirmed ? 0 : code > 1 ? 3 : 1;
out:
    cJSON_Delete(real);
    for (size_t i = 0; i < t.n_pts; i++)
        point_free(&t.pts[i], t.g.n_params);
    free(t.pts);
    free(t.cons);
    grid_free(&t.g);
    return rc;
}
