/*
 * `surge sweep` as a user runs it: the real binary over a grid of points,
 * each a real `surge run` of scenarios/ci-smoke.json made tiny with --set
 * (30 simulated seconds of demand at its 60x: a run takes a few seconds).
 * Checks the usage errors that stop a sweep before anything runs, two
 * points run side by side with --jobs 2, a point whose run breaks, and
 * shards run by GNU parallel then joined by `surge sweep merge`. Every wait
 * is bounded; nothing asserts on speed.
 */
#include "e2e.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SCENARIO "scenarios/ci-smoke.json"
/* ci-smoke's seed: each point's folder is points/<index>-s7. */
#define SEED "7"

/* A sweep command that must exit 2 (bad usage) saying err_has. */
#define EXPECT_USAGE(err_has, ...) EXPECT_SURGE(2, err_has, "sweep", __VA_ARGS__)

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int exists_in(const char *dir, const char *name)
{
    char *path = xasprintf("%s/%s", dir, name);
    int ok = exists(path);
    free(path);
    return ok;
}

/* The lines of text as a NULL-terminated array of malloc'd strings. */
static char **lines_of(const char *text, int *n)
{
    char **lines = xcalloc(strlen(text) + 2, sizeof *lines);
    *n = 0;
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\n");
        lines[(*n)++] = xstrndup(p, len);
        p += len + (p[len] == '\n');
    }
    return lines;
}

static void lines_free(char **lines)
{
    for (char **l = lines; *l; l++)
        free(*l);
    free(lines);
}

/* The string at scenario.engine.config.coalesce_window of a summary. */
static const char *coalesce_of(const cJSON *summary)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(summary, "scenario");
    static const char *const path[] = {"engine", "config", "coalesce_window"};
    for (size_t i = 0; i < 3; i++)
        v = cJSON_GetObjectItemCaseSensitive(v, path[i]);
    return cJSON_GetStringValue(v);
}

/* ---- before anything runs ---------------------------------------------------------- */

TEST(surge_sweep, bad_usage_exits_2_naming_the_flag_and_the_value_before_running)
{
    char *dir = xasprintf("%s/out", test_tmp_dir());
    EXPECT_USAGE("--vary engine.mode: value \"warp\"", SCENARIO, "--out", dir, "--vary",
                 "engine.mode=poll,warp");
    EXPECT_USAGE("--vary demand[9].rate: value \"1\"", SCENARIO, "--out", dir, "--vary",
                 "demand[9].rate=1");
    EXPECT_USAGE("--vary demand[0].rate: value \"fast\"", SCENARIO, "--out", dir, "--vary",
                 "demand[0].rate=0.5,fast");
    EXPECT_USAGE("--vary engine.mode: expected PATH=V1,V2", SCENARIO, "--out", dir, "--vary",
                 "engine.mode");
    EXPECT_USAGE("empty value", SCENARIO, "--out", dir, "--vary", "engine.mode=poll,,event");
    EXPECT_USAGE("seeds are set by --seed and --repeat", SCENARIO, "--vary", "seed=1,2");
    EXPECT_USAGE("at least one --vary", SCENARIO, "--out", dir);
    EXPECT_USAGE("--shard 5/4", SCENARIO, "--vary", "engine.mode=poll", "--shard", "5/4");
    EXPECT_USAGE("--repeat", SCENARIO, "--vary", "engine.mode=poll", "--repeat", "0");
    EXPECT_USAGE("--jobs", SCENARIO, "--vary", "engine.mode=poll", "--jobs", "1.5");
    EXPECT_USAGE("--objective oversold: unknown metric", SCENARIO, "--vary", "engine.mode=poll",
                 "--objective", "oversold");
    /* --sim stops with a clear word while this surge has no sim command,
     * and is taken once it has one (then the bad objective stops it). */
    const char *const sim_args[] = {"sim", SCENARIO, "--help", NULL};
    e2e_surge_result sim = e2e_surge(sim_args);
    if (strstr(sim.err, "unknown command \"sim\""))
        EXPECT_USAGE("surge sim is not built yet", SCENARIO, "--vary", "engine.mode=poll", "--sim");
    else
        EXPECT_USAGE("--objective oversold", SCENARIO, "--vary", "engine.mode=poll", "--sim",
                     "--objective", "oversold");
    e2e_surge_free(&sim);
    EXPECT_USAGE("no-such.json", "no-such.json", "--vary", "engine.mode=poll");
    EXPECT_USAGE("one scenario file", "--vary", "engine.mode=poll");
    /* A --set that breaks the scenario is named too. */
    EXPECT_USAGE("$.demand[0].shape", SCENARIO, "--vary", "engine.mode=poll", "--set",
                 "demand[0].shape=wave");
    EXPECT_FALSE(exists(dir));
    free(dir);
}

/* ---- real runs ----------------------------------------------------------------------- */

TEST_T(surge_sweep, two_points_run_side_by_side_and_each_gets_its_value, 240)
{
    char *dir = xasprintf("%s/sweep", test_tmp_dir());
    const char *args[] = {"sweep", SCENARIO, "--set", "duration=30s", "--set", "drain=1m",
                          "--vary", "engine.config.coalesce_window=1s,3s", "--jobs", "2",
                          "--out", dir, NULL};
    e2e_surge_result r = e2e_surge(args);
    EXPECT_EXIT(r, 0);
    /* Both runs started before either finished: they overlapped. */
    const char *second_start = strstr(r.err, "started point 1 seed " SEED);
    const char *first_end = strstr(r.err, "finished point");
    EXPECT_TRUE(strstr(r.err, "started point 0 seed " SEED) != NULL);
    EXPECT_TRUE(second_start != NULL && first_end != NULL && second_start < first_end);
    EXPECT_CONTAINS(r.out, "2 points ordered by oversell_units, then order_push_latency_ms.p99");

    int n;
    char *csv = e2e_read_in(dir, "sweep.csv");
    char **lines = lines_of(csv, &n);
    EXPECT_EQ_INT(n, 3);
    EXPECT_TRUE(strncmp(lines[0], "index,shard,engine.config.coalesce_window,seeds,exit_codes,"
                                  "status,oversell_units,undersell_units,", 87) == 0);
    EXPECT_TRUE(strstr(lines[0], ".sd") == NULL); /* one seed: no spread */
    static const char *const values[] = {"1s", "3s"};
    for (int i = 0; i < 2; i++) {
        char *head = xasprintf("%d,1/1,%s,%s,", i, values[i], SEED);
        if (strncmp(lines[1 + i], head, strlen(head)) != 0)
            test_fail(__FILE__, __LINE__, "row %d: \"%s\" does not start with \"%s\"", i,
                      lines[1 + i], head);
        EXPECT_TRUE(strstr(lines[1 + i], ",pass,") || strstr(lines[1 + i], ",gate_failed,"));
        free(head);
        /* The run of the point had the point's value, and only its summary
         * and CSV files: no plots or page per point. */
        char *point = xasprintf("%s/points/%d-s%s", dir, i, SEED);
        cJSON *s = e2e_load_in(point, "summary.json");
        EXPECT_EQ_STR(coalesce_of(s), values[i]);
        EXPECT_EQ_INT(cJSON_GetObjectItemCaseSensitive(s, "seed")->valuedouble, 7);
        /* ci-smoke as the sweep's --set made it. */
        EXPECT_EQ_INT(cJSON_GetObjectItemCaseSensitive(s, "duration_ms")->valuedouble, 30000);
        EXPECT_TRUE(exists_in(point, "timeseries.csv"));
        EXPECT_FALSE(exists_in(point, "report.html"));
        EXPECT_FALSE(exists_in(point, "demand.png"));
        cJSON_Delete(s);
        free(point);
    }
    /* The manifest and the other outputs. */
    cJSON *m = e2e_load_in(dir, "sweep.json");
    EXPECT_EQ_INT(cJSON_GetObjectItemCaseSensitive(m, "points")->valuedouble, 2);
    EXPECT_EQ_INT(cJSON_GetObjectItemCaseSensitive(m, "seed")->valuedouble, 7);
    EXPECT_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "mode")), "run");
    EXPECT_TRUE(exists_in(dir, "pareto.csv"));
    char *pareto = e2e_read_in(dir, "pareto.csv");
    EXPECT_TRUE(strncmp(pareto, lines[0], strlen(lines[0])) == 0);
    EXPECT_TRUE(exists_in(dir, "pareto.png"));
    EXPECT_TRUE(exists_in(dir, "pareto.svg"));
    EXPECT_TRUE(exists_in(dir, "oversell_units-by-engine.config.coalesce_window.png"));
    EXPECT_TRUE(exists_in(dir, "order_push_latency_ms.p99-by-engine.config.coalesce_window.svg"));
    free(pareto);
    cJSON_Delete(m);
    lines_free(lines);
    free(csv);
    e2e_surge_free(&r);
    free(dir);
}

/* The cell of the named column in a CSV line (no quoted cells), malloc'd;
 * the test fails when the header has no such column. */
static char *csv_cell_named(const char *header, const char *line, const char *name)
{
    int col = -1, i = 0;
    for (const char *p = header; *p; i++) {
        size_t len = strcspn(p, ",");
        if (len == strlen(name) && strncmp(p, name, len) == 0)
            col = i;
        p += len + (p[len] == ',');
    }
    if (col < 0)
        test_fail(__FILE__, __LINE__, "no column %s in \"%s\"", name, header);
    const char *p = line;
    for (i = 0; i < col && p; i++) {
        p = strchr(p, ',');
        p = p ? p + 1 : NULL;
    }
    if (!p)
        test_fail(__FILE__, __LINE__, "no cell %d in \"%s\"", col, line);
    return xstrndup(p, strcspn(p, ","));
}

TEST_T(surge_sweep, repeat_runs_each_point_with_its_seeds_and_gives_mean_and_spread, 180)
{
    /* One point, seeds 3 and 4 side by side, ordered by a metric outside
     * the key ones: it gets a column of its own. */
    char *dir = xasprintf("%s/sweep", test_tmp_dir());
    const char *args[] = {"sweep", SCENARIO, "--set", "duration=30s", "--set", "drain=1m",
                          "--vary", "engine.config.coalesce_window=2s", "--seed", "3",
                          "--repeat", "2", "--jobs", "2", "--objective", "api_calls.per_order",
                          "--out", dir, NULL};
    e2e_surge_result r = e2e_surge(args);
    EXPECT_EXIT(r, 0);
    EXPECT_CONTAINS(r.out, "1 point ordered by api_calls.per_order, then "
                           "order_push_latency_ms.p99");
    int n;
    char *csv = e2e_read_in(dir, "sweep.csv");
    char **lines = lines_of(csv, &n);
    EXPECT_EQ_INT(n, 2);
    EXPECT_CONTAINS(lines[0], ",oversell_units,oversell_units.sd,undersell_units,");
    EXPECT_CONTAINS(lines[0], ",http_429.cin7.sd,api_calls.per_order,api_calls.per_order.sd");
    EXPECT_TRUE(strncmp(lines[1], "0,1/1,2s,3 4,", 13) == 0);
    /* The mean is the two runs' mean, read from their own summaries. */
    double sum = 0;
    for (int seed = 3; seed <= 4; seed++) {
        char *point = xasprintf("%s/points/0-s%d", dir, seed);
        cJSON *s = e2e_load_in(point, "summary.json");
        EXPECT_EQ_INT(cJSON_GetObjectItemCaseSensitive(s, "seed")->valuedouble, seed);
        EXPECT_EQ_STR(coalesce_of(s), "2s");
        const cJSON *calls = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(s, "metrics"), "api_calls");
        sum += cJSON_GetObjectItemCaseSensitive(calls, "per_order")->valuedouble;
        cJSON_Delete(s);
        free(point);
    }
    char *mean = csv_cell_named(lines[0], lines[1], "api_calls.per_order");
    char *sd = csv_cell_named(lines[0], lines[1], "api_calls.cin7.sd");
    char *under = csv_cell_named(lines[0], lines[1], "undersell_units");
    EXPECT_NEAR(atof(mean), sum / 2, 1e-6);
    EXPECT_TRUE(*sd != '\0' && atof(sd) >= 0); /* two numbers: a spread */
    /* undersell is empty until surge run measures it, a number after. */
    EXPECT_TRUE(*under == '\0' || atof(under) >= 0);
    free(under);
    free(sd);
    free(mean);
    lines_free(lines);
    free(csv);
    e2e_surge_free(&r);
    free(dir);
}

TEST_T(surge_sweep, a_point_whose_run_breaks_is_marked_failed_and_the_sweep_exits_3, 120)
{
    /* syncd refuses a config field it does not know, so both runs break
     * (exit 3) as soon as they start the engine. */
    char *dir = xasprintf("%s/sweep", test_tmp_dir());
    const char *args[] = {"sweep", SCENARIO, "--set", "duration=30s", "--vary",
                          "engine.config.no_such_knob=1,2", "--out", dir, NULL};
    e2e_surge_result r = e2e_surge(args);
    EXPECT_EXIT(r, 3);
    EXPECT_CONTAINS(r.err, "2 points failed");
    char *csv = e2e_read_in(dir, "sweep.csv");
    EXPECT_CONTAINS(csv, "\n0,1/1,1," SEED ",3,failed,");
    EXPECT_CONTAINS(csv, "\n1,1/1,2," SEED ",3,failed,");
    /* No point has a result: the Pareto plot is an empty frame that says so. */
    EXPECT_TRUE(exists_in(dir, "pareto.png"));
    EXPECT_TRUE(strstr(r.err, "plot pareto failed") == NULL);
    /* The run's own words are kept beside it. */
    char *log = e2e_read_in(dir, "points/0-s7/surge.log");
    EXPECT_CONTAINS(log, "no_such_knob");
    free(log);
    free(csv);
    e2e_surge_free(&r);
    free(dir);
}

/* ---- shards and merge ------------------------------------------------------------------ */

/* The index column of each row of a sweep.csv, counted: seen[i] is how
 * many rows have index i (indexes >= n are counted in seen[n]). */
static void count_indexes(const char *dir, int *seen, int n)
{
    char *csv = e2e_read_in(dir, "sweep.csv");
    int n_lines;
    char **lines = lines_of(csv, &n_lines);
    for (int i = 1; i < n_lines; i++) {
        int index = atoi(lines[i]);
        seen[index >= 0 && index < n ? index : n]++;
    }
    lines_free(lines);
    free(csv);
}

TEST_T(surge_sweep, shards_run_by_gnu_parallel_merge_into_every_point_once, 300)
{
    if (system("command -v parallel >/dev/null 2>&1") != 0)
        test_fail(__FILE__, __LINE__,
                  "GNU parallel is not installed (Debian parallel; scripts/deps.sh --test "
                  "installs it)");
    const char *tmp = test_tmp_dir();
    /* Three points over two shards, both shards at once, as two hosts would. */
    char *cmd = xasprintf(
        "timeout 240 parallel --will-cite -j2 '%s/surge' sweep " SCENARIO
        " --set duration=30s --set drain=1m --vary engine.config.coalesce_window=1s,2s,3s"
        " --shard {}/2 --out '%s/shard-{}' ::: 1 2 >'%s/parallel.log' 2>&1",
        test_bin_dir(), tmp, tmp);
    int rc = system(cmd);
    free(cmd);
    if (rc != 0) {
        char *log = xasprintf("%s/parallel.log", tmp);
        char *text = test_read_file(log);
        test_fail(__FILE__, __LINE__, "parallel exited with status %d:\n%.3000s", rc,
                  text ? text : "(no log)");
    }
    char *s1 = xasprintf("%s/shard-1", tmp), *s2 = xasprintf("%s/shard-2", tmp);
    int seen1[4] = {0}, seen2[4] = {0};
    count_indexes(s1, seen1, 3);
    count_indexes(s2, seen2, 3);
    EXPECT_TRUE(seen1[0] == 1 && seen1[1] == 0 && seen1[2] == 1 && seen1[3] == 0);
    EXPECT_TRUE(seen2[0] == 0 && seen2[1] == 1 && seen2[2] == 0 && seen2[3] == 0);

    char *merged = xasprintf("%s/merged", tmp);
    const char *merge[] = {"sweep", "merge", s1, s2, "--out", merged, NULL};
    e2e_surge_result r = e2e_surge(merge);
    EXPECT_EXIT(r, 0);
    EXPECT_CONTAINS(r.out, "3 points ordered by");
    int seen[4] = {0};
    count_indexes(merged, seen, 3);
    for (int i = 0; i < 4; i++)
        EXPECT_EQ_INT(seen[i], i < 3 ? 1 : 0);
    char *csv = e2e_read_in(merged, "sweep.csv");
    EXPECT_CONTAINS(csv, "\n0,1/2,1s,");
    EXPECT_CONTAINS(csv, "\n1,2/2,2s,");
    EXPECT_CONTAINS(csv, "\n2,1/2,3s,");
    cJSON *m = e2e_load_in(merged, "sweep.json");
    EXPECT_TRUE(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(m, "shard")));
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(m, "merged_from")), 2);
    EXPECT_TRUE(exists_in(merged, "pareto.png"));
    cJSON_Delete(m);
    free(csv);
    e2e_surge_free(&r);

    /* A point in two folders is refused, naming both. */
    EXPECT_USAGE("point 0 is in both", "merge", s1, s1, "--out", merged);

    /* A slice of another sweep (another repeat) is refused, naming it. */
    char *other = xasprintf("%s/other", tmp);
    cmd = xasprintf("mkdir -p '%s' && cp '%s/sweep.csv' '%s/' && sed 's/\"repeat\":\t1/"
                    "\"repeat\":\t2/' '%s/sweep.json' >'%s/sweep.json'",
                    other, s2, other, s2, other);
    EXPECT_EQ_INT(system(cmd), 0);
    free(cmd);
    char *m_text = e2e_read_in(other, "sweep.json");
    EXPECT_CONTAINS(m_text, "\"repeat\":\t2");
    free(m_text);
    EXPECT_USAGE("other is not from the same sweep as", "merge", s1, other, "--out", merged);
    EXPECT_USAGE("its repeat is 2, not 1", "merge", s1, other, "--out", merged);

    /* One slice alone merges with a warning about the points it lacks. */
    char *half = xasprintf("%s/half", tmp);
    EXPECT_SURGE(0, "2 of 3 points are in none of the folders: 0 2", "sweep", "merge", s2,
                 "--out", half);

    /* Without gnuplot the merge says so once, keeps the scripts and
     * writes every table all the same. */
    char *path = xasprintf("%s/no-gnuplot", tmp);
    EXPECT_EQ_INT(setenv("PATH", "/nonexistent", 1), 0);
    EXPECT_SURGE(0, "no plots: gnuplot is not installed", "sweep", "merge", s1, s2, "--out", path);
    EXPECT_TRUE(exists_in(path, "sweep.csv"));
    EXPECT_TRUE(exists_in(path, "pareto.csv"));
    EXPECT_TRUE(exists_in(path, "pareto.gp"));
    EXPECT_FALSE(exists_in(path, "pareto.png"));
    free(path);

    /* A folder that is no sweep is named. */
    EXPECT_USAGE("sweep.json", "merge", s1, tmp, "--out", half);
    free(half);
    free(other);
    free(merged);
    free(s1);
    free(s2);
}
