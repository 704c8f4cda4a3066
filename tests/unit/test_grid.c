/* The sweep's pure parts: the grid of --vary values and its shards
 * (grid.h), and the table of results (sweeptab.h): its CSV both ways, the
 * order by objective, the Pareto front and the mean and spread over seeds. */
#include "../runner.h"

#include "grid.h"
#include "mem.h"
#include "sweeptab.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_ok(grid *g, const char *spec)
{
    char err[300];
    if (grid_add(g, spec, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "grid_add(%s): %s", spec, err);
}

/* grid_add must refuse spec with a message containing want. */
static void add_bad(grid *g, const char *spec, const char *want)
{
    char err[300] = "";
    size_t before = g->n_params;
    EXPECT_EQ_INT(grid_add(g, spec, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "--vary");
    EXPECT_CONTAINS(err, want);
    EXPECT_EQ_INT(g->n_params, before);
}

TEST(grid, the_points_are_the_cross_product_first_axis_slowest)
{
    grid g = GRID_INIT;
    EXPECT_EQ_INT(grid_points(&g), 1);
    add_ok(&g, "engine.config.safety_buffer=0,3,6");
    add_ok(&g, "engine.config.coalesce_window=1s,2s");
    EXPECT_EQ_INT(g.n_params, 2);
    EXPECT_EQ_INT(grid_points(&g), 6);
    static const char *const want[6][2] = {{"0", "1s"}, {"0", "2s"}, {"3", "1s"},
                                           {"3", "2s"}, {"6", "1s"}, {"6", "2s"}};
    for (size_t i = 0; i < 6; i++) {
        EXPECT_EQ_STR(grid_value(&g, i, 0), want[i][0]);
        EXPECT_EQ_STR(grid_value(&g, i, 1), want[i][1]);
    }
    /* Every pair appears once. */
    for (size_t a = 0; a < 6; a++)
        for (size_t b = a + 1; b < 6; b++)
            EXPECT_FALSE(strcmp(grid_value(&g, a, 0), grid_value(&g, b, 0)) == 0 &&
                         strcmp(grid_value(&g, a, 1), grid_value(&g, b, 1)) == 0);
    /* A value may itself hold '=' (only the first one splits). */
    add_ok(&g, "demand[0].name=a=b");
    EXPECT_EQ_INT(grid_points(&g), 6);
    EXPECT_EQ_STR(g.params[2].path, "demand[0].name");
    EXPECT_EQ_STR(grid_value(&g, 5, 2), "a=b");
    grid_free(&g);
    grid_free(&g); /* twice is harmless */
}

TEST(grid, bad_vary_specs_are_refused_naming_them)
{
    grid g = GRID_INIT;
    add_bad(&g, "engine.mode", "expected PATH=V1,V2");
    add_bad(&g, "=1,2", "expected PATH=V1,V2");
    add_bad(&g, "engine.mode=", "expected PATH=V1,V2");
    add_bad(&g, "engine.mode=poll,,event", "empty value");
    add_bad(&g, "engine.mode=poll,", "empty value");
    add_bad(&g, "engine.mode=poll,event,poll", "\"poll\" is given twice");
    add_ok(&g, "engine.mode=poll,event");
    add_bad(&g, "engine.mode=event", "already varied");
    /* Too many points in all. */
    char many[8000] = "demand[0].rate=";
    for (int i = 0; i < 1000; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%s%d", i ? "," : "", i);
    add_ok(&g, many); /* 2 x 1000 points */
    char more[400] = "demand[0].len=";
    for (int i = 0; i < 51; i++)
        snprintf(more + strlen(more), sizeof more - strlen(more), "%s%d", i ? "," : "", i);
    add_bad(&g, more, "more than 100000 points");
    EXPECT_EQ_INT(grid_points(&g), 2000);
    grid_free(&g);
}

TEST(grid, shards_split_the_points_so_each_runs_exactly_once)
{
    char err[200];
    size_t i, n;
    EXPECT_EQ_INT(grid_parse_shard("2/4", &i, &n, err, sizeof err), 0);
    EXPECT_EQ_INT(i, 2);
    EXPECT_EQ_INT(n, 4);
    EXPECT_EQ_INT(grid_parse_shard("1/1", &i, &n, err, sizeof err), 0);
    static const char *const bad[] = {"0/4", "5/4", "2", "2/", "/4", "a/b", "2/4x", "-1/4",
                                      "2/0", "1/100001", ""};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        err[0] = '\0';
        if (grid_parse_shard(bad[k], &i, &n, err, sizeof err) != -1)
            test_fail(__FILE__, __LINE__, "--shard %s was taken", bad[k]);
        EXPECT_CONTAINS(err, "--shard");
    }
    /* Over 1..7 shards of 23 points: each point in exactly one shard, and
     * the shards' sizes differ by at most one. */
    for (size_t shards = 1; shards <= 7; shards++) {
        size_t min = 1000, max = 0;
        for (size_t s = 1; s <= shards; s++) {
            size_t count = 0;
            for (size_t p = 0; p < 23; p++)
                count += (size_t)grid_in_shard(p, s, shards);
            min = count < min ? count : min;
            max = count > max ? count : max;
        }
        EXPECT_LE_INT(max - min, 1);
        for (size_t p = 0; p < 23; p++) {
            int owners = 0;
            for (size_t s = 1; s <= shards; s++)
                owners += grid_in_shard(p, s, shards);
            EXPECT_EQ_INT(owners, 1);
        }
    }
    EXPECT_TRUE(grid_in_shard(5, 2, 4));
    EXPECT_FALSE(grid_in_shard(5, 1, 4));
}

/* ---- the table ----------------------------------------------------------------- */

static const char *const params[] = {"engine.config.coalesce_window", "note"};
static const char *const metrics[] = {"oversell_units", "undersell_units",
                                      "order_push_latency_ms.p99"};

static sweep_row row(size_t index, const char *a, const char *b, const char *status, double over,
                     double under, double p99)
{
    sweep_row r = {.index = index, .shard = xstrdup("1/1")};
    r.values = xcalloc(3, sizeof *r.values);
    r.values[0] = xstrdup(a);
    r.values[1] = xstrdup(b);
    r.seeds = xstrdup("7 8");
    r.exits = xstrdup(strcmp(status, SWEEP_FAILED) == 0 ? "0 3" : "0 0");
    r.status = xstrdup(status);
    r.mean = xcalloc(3, sizeof *r.mean);
    r.sd = xcalloc(3, sizeof *r.sd);
    double v[3] = {over, under, p99};
    for (int m = 0; m < 3; m++) {
        r.mean[m] = v[m];
        r.sd[m] = isnan(v[m]) ? NAN : 0.5;
    }
    return r;
}

static void sample_table(sweep_table *t)
{
    sweeptab_init(t, params, 2, metrics, 3, 1);
    sweeptab_add(t, row(0, "1s", "plain", SWEEP_PASS, 4, NAN, 900));
    sweeptab_add(t, row(1, "2s", "has, a comma", SWEEP_GATE_FAILED, 0, NAN, 1500));
    sweeptab_add(t, row(2, "3s", "has \"quotes\"", SWEEP_PASS, 0, NAN, 1200));
    sweeptab_add(t, row(3, "4s", "x", SWEEP_FAILED, NAN, NAN, NAN));
    sweeptab_add(t, row(4, "5s", "y", SWEEP_PASS, 2, NAN, 800));
    sweeptab_add(t, row(5, "6s", "z", SWEEP_PASS, 4, NAN, 950));
}

TEST(sweeptab, csv_reads_back_what_it_wrote)
{
    sweep_table t, back;
    sample_table(&t);
    char *csv = sweeptab_csv(&t, NULL);
    EXPECT_TRUE(strncmp(csv, "index,shard,engine.config.coalesce_window,note,seeds,exit_codes,"
                             "status,oversell_units,oversell_units.sd,undersell_units,", 106) == 0);
    EXPECT_CONTAINS(csv, "\n1,1/1,2s,\"has, a comma\",7 8,0 0,gate_failed,0,0.5,,,1500,0.5\n");
    EXPECT_CONTAINS(csv, ",\"has \"\"quotes\"\"\",");
    char *path = xasprintf("%s/sweep.csv", test_tmp_dir());
    test_write_file(path, csv);
    char err[300];
    if (sweeptab_read(path, &back, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "%s", err);
    EXPECT_EQ_INT(back.n_params, 2);
    EXPECT_EQ_INT(back.n_metrics, 3);
    EXPECT_TRUE(back.with_sd);
    EXPECT_EQ_INT(back.n_rows, 6);
    EXPECT_EQ_STR(back.params[0], "engine.config.coalesce_window");
    EXPECT_EQ_STR(back.metrics[2], "order_push_latency_ms.p99");
    EXPECT_EQ_STR(back.rows[1].values[1], "has, a comma");
    EXPECT_EQ_STR(back.rows[2].values[1], "has \"quotes\"");
    EXPECT_EQ_STR(back.rows[3].status, SWEEP_FAILED);
    EXPECT_EQ_STR(back.rows[3].exits, "0 3");
    EXPECT_TRUE(isnan(back.rows[3].mean[0]));
    EXPECT_TRUE(isnan(back.rows[0].mean[1]));
    EXPECT_NEAR(back.rows[4].mean[2], 800, 0);
    EXPECT_NEAR(back.rows[4].sd[2], 0.5, 0);
    char *again = sweeptab_csv(&back, NULL);
    EXPECT_EQ_STR(again, csv);
    /* A kept subset writes only those rows. */
    unsigned char keep[6] = {0, 1, 0, 0, 1, 0};
    char *some = sweeptab_csv(&t, keep);
    EXPECT_TRUE(strstr(some, "\n0,") == NULL);
    EXPECT_CONTAINS(some, "\n1,");
    EXPECT_CONTAINS(some, "\n4,");
    free(some);
    free(again);
    sweeptab_free(&back);
    sweeptab_free(&t);
    free(csv);
    free(path);
}

TEST(sweeptab, a_file_that_is_not_a_sweep_csv_is_refused_naming_it_and_the_line)
{
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"a,b,c\n", "line 1: not a sweep.csv header"},
        {"index,shard,p,seeds,exit_codes,status,m\n0,1/1,x,7,0,pass\n", "line 2: wrong number"},
        {"index,shard,p,seeds,exit_codes,status,m\nzero,1/1,x,7,0,pass,1\n", "line 2: the index"},
        {"index,shard,p,seeds,exit_codes,status,m\n0,1/1,x,7,0,pass,many\n", "line 2: a metric"},
        {"index,shard,p,seeds,exit_codes,status,m\n0,1/1,\"x,7,0,pass,1\n", "not closed"},
        {"", "empty"},
    };
    char *path = xasprintf("%s/bad.csv", test_tmp_dir());
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        test_write_file(path, bad[i].text);
        sweep_table t;
        char err[300] = "";
        EXPECT_EQ_INT(sweeptab_read(path, &t, err, sizeof err), -1);
        EXPECT_CONTAINS(err, "bad.csv");
        EXPECT_CONTAINS(err, bad[i].want);
    }
    sweep_table t;
    char err[300] = "";
    char *missing = xasprintf("%s/none.csv", test_tmp_dir());
    EXPECT_EQ_INT(sweeptab_read(missing, &t, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "none.csv");
    free(missing);
    free(path);
}

TEST(sweeptab, order_puts_the_objective_first_then_the_tie_break_and_failures_last)
{
    sweep_table t;
    sample_table(&t);
    int by[2] = {0, 2}; /* oversell, then p99 */
    size_t *order = sweeptab_order(&t, by, 2);
    static const size_t want[] = {2, 1, 4, 0, 5, 3};
    for (size_t i = 0; i < 6; i++)
        EXPECT_EQ_INT(t.rows[order[i]].index, want[i]);
    free(order);
    /* By p99 alone: missing numbers after all numbers, failures last. */
    int by_p99[1] = {2};
    order = sweeptab_order(&t, by_p99, 1);
    static const size_t want_p99[] = {4, 0, 5, 2, 1, 3};
    for (size_t i = 0; i < 6; i++)
        EXPECT_EQ_INT(t.rows[order[i]].index, want_p99[i]);
    free(order);
    /* The printed table follows the order and shows mean ± sd. */
    char *path = xasprintf("%s/table.txt", test_tmp_dir());
    FILE *f = fopen(path, "w");
    EXPECT_TRUE(f != NULL);
    order = sweeptab_order(&t, by, 2);
    int cols[2] = {0, 2};
    sweeptab_print(&t, order, cols, 2, f);
    EXPECT_EQ_INT(fclose(f), 0);
    char *text = test_read_file(path);
    EXPECT_TRUE(strncmp(text, "rank  index  engine.config.coalesce_window", 42) == 0);
    EXPECT_CONTAINS(text, "\n1     2      3s");
    EXPECT_CONTAINS(text, "1200 ± 0.5");
    EXPECT_CONTAINS(text, "\n6     3      4s");
    free(text);
    free(order);
    free(path);
    sweeptab_free(&t);
}

TEST(sweeptab, the_pareto_front_is_the_rows_no_other_row_beats_everywhere)
{
    sweep_table t;
    sample_table(&t);
    unsigned char front[6];
    /* Oversell and p99 (undersell is missing everywhere, so it ties):
     * 2 (0, 1200) and 4 (2, 800) are not dominated; 1 (0, 1500) is by 2,
     * 0 (4, 900) by 4, 5 (4, 950) by 0 and 4; 3 failed. */
    int cols[3] = {0, 1, 2};
    EXPECT_EQ_INT(sweeptab_pareto(&t, cols, 3, front), 2);
    static const unsigned char want[6] = {0, 0, 1, 0, 1, 0};
    for (size_t i = 0; i < 6; i++)
        EXPECT_EQ_INT(front[i], want[i]);
    /* Two equal rows are both on the front (neither beats the other). */
    t.rows[5].mean[0] = 2;
    t.rows[5].mean[2] = 800;
    EXPECT_EQ_INT(sweeptab_pareto(&t, cols, 3, front), 3);
    EXPECT_TRUE(front[4] && front[5]);
    /* A column left out (-1) does not count. */
    int only_p99[3] = {-1, -1, 2};
    EXPECT_EQ_INT(sweeptab_pareto(&t, only_p99, 3, front), 2);
    sweeptab_free(&t);
}

TEST(sweeptab, stats_are_the_mean_and_sample_spread_of_the_numbers)
{
    double mean, sd;
    double v[] = {2, 4, NAN, 4, 4, 5, 5, 7, 9};
    sweeptab_stats(v, 9, &mean, &sd);
    EXPECT_NEAR(mean, 5, 1e-12);
    EXPECT_NEAR(sd, sqrt(32.0 / 7.0), 1e-12);
    double one[] = {NAN, 3};
    sweeptab_stats(one, 2, &mean, &sd);
    EXPECT_NEAR(mean, 3, 0);
    EXPECT_TRUE(isnan(sd));
    double none[] = {NAN};
    sweeptab_stats(none, 1, &mean, &sd);
    EXPECT_TRUE(isnan(mean));
    EXPECT_TRUE(isnan(sd));
}
