/* The run report: junit.xml checked by xmllint, plots drawn by the real
 * gnuplot, report.html read back, and rendered by headless Chromium when
 * it is installed. */
#include "../runner.h"

#include "json.h"
#include "log.h"
#include "mem.h"
#include "proc.h"
#include "report.h"
#include "sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char summary_text[] =
    "{\"name\":\"flash-sale\",\"seed\":42,\"time_scale\":60,\"started_at\":\"2026-11-23T23:00:00Z\","
    "\"duration_ms\":600000,\"drain_ms\":60000,"
    "\"versions\":{\"surge\":\"0.1.0\",\"git\":\"abc1234\"},"
    "\"valid\":true,\"invalid_reason\":null,\"exit_code\":1,"
    "\"demand\":{\"arrivals\":1200,\"checkouts\":1100,\"accepted\":1000,\"sold_out\":100,"
    "\"errors\":0,\"other_sales\":100,\"other_accepted\":90,\"max_lag_ms\":12},"
    "\"metrics\":{\"oversell_units\":0,\"backorder_units\":3,"
    "\"order_push_latency_ms\":{\"count\":1000,\"p50\":1200,\"p95\":5000,\"p99\":9000,\"max\":12000,\"mean\":1800,"
    "\"bound_p50\":600,\"bound_p99\":4500,\"efficiency_p50\":0.5,\"efficiency_p99\":0.5},"
    "\"inventory_propagation_ms\":{\"count\":80,\"p50\":2100,\"p95\":3000,\"p99\":4000,\"max\":4100,\"mean\":2200,"
    "\"bound_p50\":0,\"bound_p99\":1000,\"efficiency_p50\":0,\"efficiency_p99\":null},"
    "\"po_draft_latency_ms\":{\"count\":0,\"p50\":null,\"p95\":null,\"p99\":null,\"max\":null,\"mean\":null},"
    "\"duplicate_pos\":0,\"dropped_events\":null,\"dead_lettered\":0,\"final_drift_units\":7,"
    "\"misrouted_units\":2,\"held_back_units\":6,"
    "\"api_calls\":{\"cin7\":900,\"shopify\":2000,\"per_order\":2.9},"
    "\"http_429\":{\"cin7\":0,\"shopify\":5},\"retries\":{\"cin7\":0,\"shopify\":5}},"
    "\"gates\":[{\"metric\":\"oversell_units\",\"op\":\"<=\",\"limit\":0,\"value\":0,\"pass\":true},"
    "{\"metric\":\"order_push_latency_ms.p99\",\"op\":\"<=\",\"limit\":30000,\"value\":9000,\"pass\":true},"
    "{\"metric\":\"backorder_units\",\"op\":\"<=\",\"limit\":0,\"value\":3,\"pass\":false}],"
    "\"per_shop\":[{\"shop\":\"au.myshopify.com\",\"safety_buffer\":2,\"sellable_units\":40,"
    "\"offered_units\":36,\"held_back_units\":4},{\"shop\":\"nz.myshopify.com\",\"safety_buffer\":1,"
    "\"sellable_units\":40,\"offered_units\":38,\"held_back_units\":2}],"
    "\"hot_skus\":[\"HOT-001\",\"HOT-002\"],"
    "\"scenario\":{\"name\":\"flash-sale\",\"description\":\"Black Friday <midnight> drop\","
    "\"engine\":{\"external\":\"http://127.0.0.1:9/engine\"}}}";

static cJSON *summary(void)
{
    json_err e;
    cJSON *s = json_parse(summary_text, strlen(summary_text), &e);
    if (!s)
        test_fail(__FILE__, __LINE__, "summary_text: %s", e.msg);
    /* 150 SKUs: one oversold, one drifted, the rest clean. */
    cJSON *skus = cJSON_AddArrayToObject(s, "per_sku");
    for (int i = 0; i < 150; i++) {
        cJSON *r = cJSON_CreateObject();
        char sku[32];
        if (i == 120 || i == 60)
            snprintf(sku, sizeof sku, "%s", i == 120 ? "BAD-1" : "DRIFT-1");
        else
            snprintf(sku, sizeof sku, "S-%03d", i);
        cJSON_AddStringToObject(r, "sku", sku);
        cJSON_AddNumberToObject(r, "initial", 100);
        cJSON_AddNumberToObject(r, "received", 0);
        cJSON_AddNumberToObject(r, "accepted", i == 120 ? 105 : 10);
        cJSON_AddNumberToObject(r, "oversell", i == 120 ? 5 : 0);
        cJSON_AddNumberToObject(r, "backorder", 0);
        cJSON_AddNumberToObject(r, "final_shopify", 90);
        cJSON_AddNumberToObject(r, "final_sellable", 90);
        cJSON_AddNumberToObject(r, "drift", i == 60 ? -7 : 0);
        cJSON_AddItemToArray(skus, r);
    }
    return s;
}

static void put_file(const char *dir, const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", dir, name);
    test_write_file(path, text);
    free(path);
}

static char *slurp(const char *dir, const char *name)
{
    char *path = xasprintf("%s/%s", dir, name);
    char *text = test_read_file(path);
    if (!text)
        test_fail(__FILE__, __LINE__, "%s was not written", path);
    free(path);
    return text;
}

static int exists(const char *dir, const char *name)
{
    char *path = xasprintf("%s/%s", dir, name);
    int ok = access(path, F_OK) == 0;
    free(path);
    return ok;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Two minutes of a flash sale with two hot SKUs, and 300 orders' events. */
static void write_csvs(const char *dir)
{
    sbuf b = SBUF_INIT;
    sbuf_puts(&b, "t_s,checkouts,accepted,sold_out,other_sales,queue_depth,api_calls_cin7,"
                  "api_calls_shopify,http_429_cin7,http_429_shopify,"
                  "avail_HOT-001,sellable_HOT-001,avail_HOT_002's,sellable_HOT_002's\n");
    for (int t = 0; t < 120; t++) {
        int c = t < 30 ? 2 : t < 60 ? 20 : 3;
        int left = 100 - t > 0 ? 100 - t : 0;
        /* Some cells unknown, as the run writes them. */
        if (t % 17 == 5)
            sbuf_printf(&b, "%d,%d,,%d,1,,3,5,0,0,%d,,%d,%d\n", t, c, c / 4, left, left, left);
        else
            sbuf_printf(&b, "%d,%d,%d,%d,1,%d,3,5,0,%d,%d,%d,%d,%d\n", t, c, c - c / 4, c / 4,
                        t % 40, t == 45, left + (t > 50 ? 3 : 0), left, left, left);
    }
    put_file(dir, "timeseries.csv", sbuf_str(&b));
    sbuf_reset(&b);
    sbuf_puts(&b, "seq,intended_ms,sent_ms,done_ms,stream,channel,target,lines,result,status,"
                  "order_id,paid_ms,pushed_ms,push_latency_ms,push_bound_ms\n");
    for (int i = 0; i < 300; i++) {
        int ok = i % 10 != 0;
        if (ok)
            sbuf_printf(&b, "%d,%d,%d,%d,shoppers,shopify,\"demo, shop\",1,accepted,201,%d,%d,%d,%d,%d\n",
                        i, i * 100, i * 100 + 1, i * 100 + 9, 1000 + i, i * 100 + 9,
                        i * 100 + 9 + 800 + (i * 37) % 5000, 800 + (i * 37) % 5000,
                        (i * 37) % 3000);
        else
            sbuf_printf(&b, "%d,%d,%d,%d,shoppers,shopify,demo,1,sold_out,422,,,,,\n", i, i * 100,
                        i * 100 + 1, i * 100 + 9);
    }
    put_file(dir, "events.csv", sbuf_str(&b));
    /* 80 stock changes, each followed by a level write, with its bound. */
    sbuf_reset(&b);
    sbuf_puts(&b, "changed_ms,sku,location,latency_ms,bound_ms\n");
    for (int i = 0; i < 80; i++)
        sbuf_printf(&b, "%d,HOT-%03d,Sydney,%d,%d\n", i * 1000, i % 5 + 1, 1500 + (i * 53) % 2600,
                    (i * 17) % 900);
    put_file(dir, "propagation.csv", sbuf_str(&b));
    sbuf_free(&b);
}

/* Fails unless xmllint accepts the file. */
static void expect_well_formed(const char *dir, const char *name)
{
    if (system("command -v xmllint >/dev/null 2>&1") != 0)
        test_fail(__FILE__, __LINE__,
                  "xmllint is not installed (Debian libxml2-utils; scripts/deps.sh installs it)");
    char *cmd = xasprintf("xmllint --noout '%s/%s' 2>&1", dir, name);
    FILE *p = popen(cmd, "r");
    char out[2048] = "";
    size_t got = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[got] = '\0';
    int rc = p ? pclose(p) : -1;
    free(cmd);
    if (rc != 0)
        test_fail(__FILE__, __LINE__, "xmllint rejects %s (status %d): %s", name, rc, out);
}

static void require_gnuplot(void)
{
    if (system("command -v gnuplot >/dev/null 2>&1") != 0)
        test_fail(__FILE__, __LINE__,
                  "gnuplot is not installed (Debian gnuplot-nox; scripts/deps.sh installs it)");
}

/* Warnings of the report go to a file, not the test's output. */
static void quiet_log(void)
{
    char *path = xasprintf("%s/log.jsonl", test_tmp_dir());
    FILE *f = fopen(path, "a");
    free(path);
    if (f)
        log_set_output(f);
}

static void write_report(const char *dir, const cJSON *s)
{
    char err[512];
    quiet_log();
    if (report_write(dir, s, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "report_write: %s", err);
}

/* The report of the flash sale (summary() and write_csvs) in dir; the
 * summary, which the caller frees. */
static cJSON *flash_sale_report(const char *dir)
{
    write_csvs(dir);
    cJSON *s = summary();
    write_report(dir, s);
    return s;
}

/* junit.xml of s written to dir/name (report_junit must succeed); its
 * text, which the caller frees. */
static char *junit_of(const char *dir, const char *name, const cJSON *s)
{
    char err[256];
    char *path = xasprintf("%s/%s", dir, name);
    EXPECT_EQ_INT(report_junit(path, s, err, sizeof err), 0);
    free(path);
    return slurp(dir, name);
}

TEST(report, junit_counts_gates_and_failures)
{
    const char *dir = test_tmp_dir();
    cJSON *s = summary();
    char *x = junit_of(dir, "junit.xml", s);
    expect_well_formed(dir, "junit.xml");
    EXPECT_CONTAINS(x, "<testsuite name=\"surge.flash-sale\" tests=\"3\" failures=\"1\"");
    /* (600 s + 60 s simulated) at 60x: 11 real seconds. */
    EXPECT_CONTAINS(x, "time=\"11.000\"");
    EXPECT_EQ_INT(count(x, "<testsuite "), 1);
    EXPECT_EQ_INT(count(x, "<testcase "), 3);
    EXPECT_CONTAINS(x, "classname=\"surge.flash-sale.gates\" name=\"oversell_units &lt;= 0\"");
    EXPECT_CONTAINS(x, "name=\"order_push_latency_ms.p99 &lt;= 30000\"");
    EXPECT_CONTAINS(x, "name=\"backorder_units &lt;= 0\" time=\"0\">\n    <failure type=\"gate\" "
                       "message=\"value 3, limit 0\">value 3, limit 0</failure>");
    EXPECT_EQ_INT(count(x, "<failure"), 1);
    EXPECT_TRUE(strstr(x, "run.valid") == NULL);
    free(x);
    cJSON_Delete(s);
}

TEST(report, junit_invalid_run_always_fails)
{
    const char *dir = test_tmp_dir();
    cJSON *s = summary();
    cJSON_DeleteItemFromArray(cJSON_GetObjectItem(s, "gates"), 2); /* every gate passes */
    cJSON_ReplaceItemInObject(s, "valid", cJSON_CreateFalse());
    cJSON_ReplaceItemInObject(s, "invalid_reason",
                              cJSON_CreateString("generator lag <2500 ms> & \"more\""));
    char *x = junit_of(dir, "junit.xml", s);
    expect_well_formed(dir, "junit.xml");
    EXPECT_CONTAINS(x, "tests=\"3\" failures=\"1\"");
    EXPECT_CONTAINS(x, "classname=\"surge.flash-sale.run\" name=\"run.valid\"");
    EXPECT_CONTAINS(x, "message=\"generator lag &lt;2500 ms&gt; &amp; &quot;more&quot;\"");
    free(x);

    /* No valid flag at all counts as invalid too. */
    cJSON_DeleteItemFromObject(s, "valid");
    x = junit_of(dir, "junit2.xml", s);
    EXPECT_CONTAINS(x, "name=\"run.valid\"");
    free(x);
    cJSON_Delete(s);
}

TEST(report, junit_escapes_and_cleans_text)
{
    const char *dir = test_tmp_dir();
    cJSON *s = summary();
    cJSON_ReplaceItemInObject(s, "name", cJSON_CreateString("a<b>&\"c\"'"));
    cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItem(s, "gates"), 2);
    cJSON_ReplaceItemInObject(g, "metric", cJSON_CreateString("x<&>\"y\x01\xff"));
    cJSON_ReplaceItemInObject(g, "value", cJSON_CreateNull());
    char *x = junit_of(dir, "junit.xml", s);
    expect_well_formed(dir, "junit.xml");
    EXPECT_CONTAINS(x, "<testsuite name=\"surge.a&lt;b&gt;&amp;&quot;c&quot;&#39;\"");
    EXPECT_CONTAINS(x, "name=\"x&lt;&amp;&gt;&quot;y?\xEF\xBF\xBD &lt;= 0\"");
    EXPECT_CONTAINS(x, ">value not measured, limit 0</failure>");
    free(x);
    cJSON_Delete(s);
}

TEST(report, draws_every_plot_as_png_and_svg)
{
    require_gnuplot();
    const char *dir = test_tmp_dir();
    cJSON *s = flash_sale_report(dir);
    static const char *const names[] = {"demand", "queue", "latency", "propagation", "stock"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char png[32], svg[32], gp[32];
        snprintf(png, sizeof png, "%s.png", names[i]);
        snprintf(svg, sizeof svg, "%s.svg", names[i]);
        snprintf(gp, sizeof gp, "%s.gp", names[i]);
        char *path = xasprintf("%s/%s", dir, png);
        struct stat st;
        EXPECT_EQ_INT(stat(path, &st), 0);
        EXPECT_GT_INT(st.st_size, 1000);
        free(path);
        char *data = slurp(dir, png);
        if (memcmp(data, "\x89PNG\r\n\x1a\n", 8) != 0)
            test_fail(__FILE__, __LINE__, "%s does not start with the PNG signature", png);
        free(data);
        data = slurp(dir, svg);
        if (strncmp(data, "<?xml", 5) != 0 && strncmp(data, "<svg", 4) != 0)
            test_fail(__FILE__, __LINE__, "%s is not SVG: \"%.40s\"", svg, data);
        EXPECT_CONTAINS(data, "</svg>");
        free(data);
        EXPECT_TRUE(exists(dir, gp));
    }
    /* Series from the data, not placeholders. */
    char *stock = slurp(dir, "stock.svg");
    EXPECT_CONTAINS(stock, "HOT-001 available");
    EXPECT_CONTAINS(stock, "HOT_002's sellable");
    free(stock);
    char *lat = slurp(dir, "latency.gp");
    EXPECT_CONTAINS(lat, "fraction of 270 orders");
    /* The bound of the same orders, a second line. */
    EXPECT_CONTAINS(lat, "$bound << EOD");
    EXPECT_CONTAINS(lat, "$bound using 1:2 with steps");
    EXPECT_CONTAINS(lat, "title 'physical bound (rate limits only)'");
    free(lat);
    /* The propagation CDF with its bound, from propagation.csv. */
    char *prop = slurp(dir, "propagation.gp");
    EXPECT_CONTAINS(prop, "fraction of 80 stock changes");
    EXPECT_CONTAINS(prop, "$bound using 1:2 with steps");
    free(prop);
    char *html = slurp(dir, "report.html");
    EXPECT_TRUE(strstr(html, "Plots are missing") == NULL);
    EXPECT_EQ_INT(count(html, "src=\"data:image/png;base64,iVBORw0KGgo"), 5);
    free(html);
    cJSON_Delete(s);
}

TEST(report, html_shows_run_gates_metrics_and_skus)
{
    require_gnuplot();
    const char *dir = test_tmp_dir();
    cJSON *s = flash_sale_report(dir);
    char *h = slurp(dir, "report.html");
    EXPECT_CONTAINS(h, "<title>surge: flash-sale</title>");
    EXPECT_CONTAINS(h, "1 of 3 gates failed");
    EXPECT_CONTAINS(h, "<tr><td>backorder_units</td><td>&lt;=</td><td class=\"n\">0</td>"
                       "<td class=\"n\">3</td><td class=\"fail\">FAIL</td></tr>");
    EXPECT_CONTAINS(h, "<tr><td>oversell_units</td><td>&lt;=</td><td class=\"n\">0</td>"
                       "<td class=\"n\">0</td><td class=\"pass\">PASS</td></tr>");
    EXPECT_CONTAINS(h, "1: a gate failed");
    EXPECT_CONTAINS(h, "<th>seed</th><td>42</td>");
    EXPECT_CONTAINS(h, "60 (one real second is 60 simulated seconds)");
    EXPECT_CONTAINS(h, "flash-sale: Black Friday &lt;midnight&gt; drop");
    /* Metrics: latency percentiles, nested counters, not measured. */
    EXPECT_CONTAINS(h, "<tr><th>order_push_latency_ms</th><td class=\"n\">1000</td>"
                       "<td class=\"n\">1200</td><td class=\"n\">5000</td><td class=\"n\">9000</td>");
    /* The bound and the efficiency beside what was measured. */
    EXPECT_CONTAINS(h, "<th>mean</th><th>bound_p50</th><th>bound_p99</th><th>efficiency_p50</th>"
                       "<th>efficiency_p99</th></tr>");
    EXPECT_CONTAINS(h, "<td class=\"n\">1800</td><td class=\"n\">600</td><td class=\"n\">4500</td>"
                       "<td class=\"n\">0.5</td><td class=\"n\">0.5</td></tr>");
    EXPECT_CONTAINS(h, "<td class=\"n\">1000</td><td class=\"n\">0</td><td class=\"n na\">unknown</td></tr>");
    EXPECT_CONTAINS(h, "<tr><th>po_draft_latency_ms</th><td class=\"n\">0</td>");
    EXPECT_CONTAINS(h, "<td class=\"n na\">no bound</td>");
    EXPECT_CONTAINS(h, "<tr><th>api_calls.per_order</th><td class=\"n\">2.9</td></tr>");
    EXPECT_CONTAINS(h, "<tr><th>dropped_events</th><td class=\"n na\">unknown</td></tr>");
    EXPECT_CONTAINS(h, "<tr><th>max_lag_ms</th><td class=\"n\">12</td></tr>");
    EXPECT_CONTAINS(h, "<tr><th>misrouted_units</th><td class=\"n\">2</td></tr>");
    EXPECT_CONTAINS(h, "<tr><th>held_back_units</th><td class=\"n\">6</td></tr>");
    /* Per shop: what Cin7 could sell, what the shop offers, held back. */
    EXPECT_CONTAINS(h, "<h2>Per shop</h2>");
    EXPECT_CONTAINS(h, "<tr><th>shop</th><th>safety_buffer</th><th>sellable_units</th>"
                       "<th>offered_units</th><th>held_back_units</th></tr>");
    EXPECT_CONTAINS(h, "<tr><td>nz.myshopify.com</td><td class=\"n\">1</td><td class=\"n\">40</td>"
                       "<td class=\"n\">38</td><td class=\"n\">2</td></tr>");
    /* Worst SKUs first, at most 100 of them. */
    EXPECT_CONTAINS(h, "The 100 worst of 150 SKUs");
    const char *bad = strstr(h, "<td>BAD-1</td>"), *drift = strstr(h, "<td>DRIFT-1</td>");
    const char *clean = strstr(h, "<td>S-000</td>");
    EXPECT_TRUE(bad && drift && clean && bad < drift && drift < clean);
    EXPECT_TRUE(strstr(h, "<td>S-149</td>") == NULL);
    /* Self-contained: no URL in the source, even the scenario's. */
    EXPECT_TRUE(strstr(h, "http://") == NULL);
    EXPECT_TRUE(strstr(h, "https://") == NULL);
    EXPECT_CONTAINS(h, "http&#58;//127.0.0.1:9/engine");
    EXPECT_EQ_INT(count(h, "data:image/png;base64,"), 5);
    EXPECT_TRUE(strstr(h, "INVALID RUN") == NULL);
    /* No ownership section, nothing left apart: no such table. */
    EXPECT_TRUE(strstr(h, "Product fields left apart") == NULL);
    free(h);
    cJSON_Delete(s);
}

/* An ownership run that lost an edit names it: SKU, field, owner, the
 * value its people set, each system's, and since when. */
TEST(report, html_names_the_product_fields_left_apart)
{
    require_gnuplot();
    const char *dir = test_tmp_dir();
    write_csvs(dir);
    cJSON *s = summary();
    static const char apart[] =
        "[{\"sku\":\"TEE-BLK\",\"field\":\"cost\",\"owner\":\"cin7\","
        "\"owner_value\":\"12.5\",\"cin7\":\"11\",\"shops\":{\"au.myshopify.com\":\"11.00\"},"
        "\"apart_since_s\":754.2},{\"sku\":\"CAP<RED>\",\"field\":\"barcode\",\"owner\":\"cin7\","
        "\"owner_value\":\"0123\",\"cin7\":\"0123\",\"shops\":{\"au.myshopify.com\":null},"
        "\"apart_since_s\":null}]";
    cJSON_AddItemToObject(s, "fields_apart", json_parse(apart, strlen(apart), NULL));
    write_report(dir, s);
    char *h = slurp(dir, "report.html");
    EXPECT_CONTAINS(h, "<h2>Product fields left apart</h2>");
    EXPECT_CONTAINS(h, "<tr><th>sku</th><th>field</th><th>owner</th><th>owner_value</th>"
                       "<th>cin7</th><th>au.myshopify.com</th><th>apart_since_s</th></tr>");
    EXPECT_CONTAINS(h, "<tr class=\"bad\"><td>TEE-BLK</td><td>cost</td><td>cin7</td><td>12.5</td>"
                       "<td>11</td><td>11.00</td><td class=\"n\">754.2</td></tr>");
    EXPECT_CONTAINS(h, "<td>CAP&lt;RED&gt;</td><td>barcode</td><td>cin7</td><td>0123</td>"
                       "<td>0123</td><td class=\"na\">none</td>"
                       "<td class=\"na\">not in the journals</td></tr>");
    free(h);
    cJSON_Delete(s);
}

TEST(report, html_flags_an_invalid_run)
{
    const char *dir = test_tmp_dir();
    write_csvs(dir);
    cJSON *s = summary();
    cJSON_ReplaceItemInObject(s, "valid", cJSON_CreateFalse());
    cJSON_ReplaceItemInObject(s, "exit_code", cJSON_CreateNumber(4));
    cJSON_ReplaceItemInObject(s, "invalid_reason", cJSON_CreateString("lag <3 s> & \"rising\""));
    write_report(dir, s);
    char *h = slurp(dir, "report.html");
    EXPECT_CONTAINS(h, "<div class=\"banner invalid\" role=\"alert\"><strong>INVALID RUN</strong>");
    EXPECT_CONTAINS(h, "Reason: lag &lt;3 s&gt; &amp; &quot;rising&quot;</div>");
    EXPECT_CONTAINS(h, "4: the run is invalid");
    EXPECT_TRUE(strstr(h, "gates failed") == NULL);
    free(h);
    char *x = slurp(dir, "junit.xml");
    EXPECT_CONTAINS(x, "name=\"run.valid\"");
    free(x);
    cJSON_Delete(s);
}

TEST(report, missing_gnuplot_is_not_an_error)
{
    const char *dir = test_tmp_dir();
    write_csvs(dir);
    char *old_path = xstrdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    char *empty = xasprintf("%s/empty-bin", dir);
    mkdir(empty, 0755);
    setenv("PATH", empty, 1);
    cJSON *s = summary();
    write_report(dir, s);
    setenv("PATH", old_path, 1);
    char *h = slurp(dir, "report.html");
    EXPECT_CONTAINS(h, "Plots are missing (5 of 5): gnuplot is not installed");
    EXPECT_CONTAINS(h, "<div class=\"missing\">Plot missing (Engine queue depth)");
    EXPECT_EQ_INT(count(h, "data:image/png"), 0);
    EXPECT_CONTAINS(h, "FAIL");
    EXPECT_FALSE(exists(dir, "demand.png"));
    free(h);
    expect_well_formed(dir, "junit.xml");
    free(empty);
    free(old_path);
    cJSON_Delete(s);
}

TEST(report, placeholders_when_there_is_no_data)
{
    require_gnuplot();
    const char *dir = test_tmp_dir();
    /* No timeseries.csv; events with no latency measured. */
    put_file(dir, "events.csv", "seq,intended_ms,sent_ms,done_ms,stream,channel,target,lines,"
                                "result,status,order_id,paid_ms,pushed_ms,push_latency_ms\n"
                                "0,0,1,2,s,shopify,demo,1,error,0,,,,\n");
    json_err e;
    const char *text = "{\"name\":\"empty\",\"valid\":true,\"exit_code\":0,\"gates\":[],"
                       "\"metrics\":{\"oversell_units\":null,\"order_push_latency_ms\":"
                       "{\"count\":0,\"p50\":null,\"p95\":null,\"p99\":null,\"max\":null,\"mean\":null}}}";
    cJSON *s = json_parse(text, strlen(text), &e);
    write_report(dir, s);
    EXPECT_TRUE(exists(dir, "latency.png"));
    EXPECT_TRUE(exists(dir, "stock.svg"));
    char *h = slurp(dir, "report.html");
    EXPECT_CONTAINS(h, "no order push latencies were measured");
    EXPECT_CONTAINS(h, "timeseries.csv is missing");
    EXPECT_CONTAINS(h, "All 0 gates passed");
    EXPECT_CONTAINS(h, "The scenario sets no gates.");
    EXPECT_CONTAINS(h, "The summary has no per-SKU figures.");
    EXPECT_EQ_INT(count(h, "data:image/png;base64,"), 5);
    free(h);
    expect_well_formed(dir, "junit.xml");
    char *x = slurp(dir, "junit.xml");
    EXPECT_CONTAINS(x, "tests=\"0\" failures=\"0\"");
    free(x);
    cJSON_Delete(s);
}

TEST(report, long_runs_are_drawn_from_buckets)
{
    require_gnuplot();
    const char *dir = test_tmp_dir();
    sbuf b = SBUF_INIT;
    sbuf_puts(&b, "t_s,checkouts,accepted,sold_out,other_sales,queue_depth,avail_A,sellable_A\n");
    for (int t = 0; t < 5000; t++)
        sbuf_printf(&b, "%d,%d,1,0,0,%d,%d,%d\n", t, t % 3, t == 4000 ? 900 : 1, t, t);
    put_file(dir, "timeseries.csv", sbuf_str(&b));
    sbuf_free(&b);
    cJSON *s = summary();
    write_report(dir, s);
    char *gp = slurp(dir, "demand.gp");
    /* 5000 rows in buckets of 3: 1667 points, means of 0, 1 and 2. */
    EXPECT_CONTAINS(gp, "set ylabel 'per second (mean over 3 s)'");
    EXPECT_CONTAINS(gp, "\n2997,1,1,0,0\n");
    EXPECT_EQ_INT(count(gp, "\n") < 1800, 1);
    EXPECT_CONTAINS(gp, "simulated time (min)");
    free(gp);
    gp = slurp(dir, "queue.gp");
    EXPECT_CONTAINS(gp, "\n3999,900\n"); /* the peak survives: max per bucket */
    free(gp);
    gp = slurp(dir, "stock.gp");
    EXPECT_CONTAINS(gp, "\n3999,4001,4001\n"); /* levels: the bucket's last row */
    free(gp);
    EXPECT_TRUE(exists(dir, "demand.png"));
    cJSON_Delete(s);
}

TEST(report, demand_is_per_second_whatever_the_tick)
{
    require_gnuplot();
    const char *dir = test_tmp_dir();
    /* Half-second ticks, as a scenario with "tick": "500ms" writes them. */
    put_file(dir, "timeseries.csv",
             "t_s,checkouts,accepted,sold_out,other_sales,queue_depth\n"
             "0.000,1,1,0,0,0\n0.500,3,2,1,0,\n1.000,1,1,0,0,2\n");
    cJSON *s = summary();
    write_report(dir, s);
    char *gp = slurp(dir, "demand.gp");
    EXPECT_CONTAINS(gp, "\n0,2,2,0,0\n0.5,6,4,2,0\n1,2,2,0,0\nEOD\n");
    EXPECT_CONTAINS(gp, "set ylabel 'per second'\n");
    free(gp);
    gp = slurp(dir, "queue.gp");
    EXPECT_CONTAINS(gp, "\n0,0\n0.5,\n1,2\nEOD\n"); /* unknown stays unknown */
    free(gp);
    cJSON_Delete(s);
}

TEST(report, reads_summary_json_when_not_given)
{
    const char *dir = test_tmp_dir();
    put_file(dir, "summary.json", summary_text);
    write_report(dir, NULL);
    char *x = slurp(dir, "junit.xml");
    EXPECT_CONTAINS(x, "surge.flash-sale");
    free(x);
    EXPECT_TRUE(exists(dir, "report.html"));
}

TEST(report, unwritable_folder_is_an_error)
{
    char *dir = xasprintf("%s/no/such/dir", test_tmp_dir());
    cJSON *s = summary();
    char err[512] = "";
    quiet_log();
    EXPECT_EQ_INT(report_write(dir, s, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "no/such/dir/junit.xml");
    err[0] = '\0';
    EXPECT_EQ_INT(report_write(dir, NULL, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "summary.json");
    free(dir);
    cJSON_Delete(s);
}

/* Headless Chromium loads dir's report.html under its own
 * Content-Security-Policy (plus inline script for this check) and a script
 * writes each image's natural width into the DOM that --dump-dom prints:
 * every image must have rendered, 960 wide. Returns the DOM (caller frees). */
static char *chromium_renders(const char *dir)
{
    static const char chromium[] = "/usr/bin/chromium";
    if (access(chromium, X_OK) != 0)
        test_fail(__FILE__, __LINE__, "%s is missing: scripts/deps.sh --test installs it", chromium);
    char *h = slurp(dir, "report.html");
    sbuf page = SBUF_INIT;
    const char *csp = strstr(h, "default-src 'none';");
    const char *end = strstr(h, "</body>");
    EXPECT_TRUE(csp && end && csp < end);
    sbuf_append(&page, h, (size_t)(csp - h));
    sbuf_puts(&page, "default-src 'none'; script-src 'unsafe-inline';");
    csp += strlen("default-src 'none';");
    sbuf_append(&page, csp, (size_t)(end - csp));
    sbuf_puts(&page,
              "<script>window.addEventListener('load', function () {\n"
              "  var w = [];\n"
              "  for (var i = 0; i < document.images.length; i++) {\n"
              "    var im = document.images[i];\n"
              "    w.push(im.complete ? im.naturalWidth : -1);\n"
              "  }\n"
              "  var p = document.createElement('pre');\n"
              "  p.textContent = 'IMG' + 'CHECK n=' + document.images.length + ' w=' + w.join(',') + ';';\n"
              "  document.body.appendChild(p);\n"
              "});</script>\n");
    sbuf_puts(&page, end);
    put_file(dir, "check.html", sbuf_str(&page));
    sbuf_free(&page);
    free(h);

    char *profile = xasprintf("--user-data-dir=%s/chromium-profile", dir);
    char *url = xasprintf("file://%s/check.html", dir);
    char *out = xasprintf("%s/chromium.out", dir);
    char a0[] = "/usr/bin/chromium", a1[] = "--headless", a2[] = "--no-sandbox",
         a3[] = "--disable-gpu", a4[] = "--disable-background-networking",
         a5[] = "--disable-component-update", a6[] = "--disable-sync", a7[] = "--no-first-run",
         a8[] = "--disable-dev-shm-usage", a9[] = "--virtual-time-budget=5000",
         a10[] = "--dump-dom";
    char *argv[] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, profile, a10, url, NULL};
    char err[512];
    proc *p = NULL;
    if (proc_start(argv, out, 0, 0, &p, NULL, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "chromium: %s", err);
    int status = 0;
    if (!proc_wait(p, 90000, &status)) {
        proc_stop(p, 0);
        test_fail(__FILE__, __LINE__, "chromium did not finish within 90 s");
    }
    proc_stop(p, 0);
    char *dom = slurp(dir, "chromium.out");
    const char *mark = strstr(dom, "IMGCHECK n=");
    if (!mark)
        test_fail(__FILE__, __LINE__, "no IMGCHECK line in chromium's output (status %d): %.600s",
                  status, dom);
    int n = 0, used = 0;
    EXPECT_EQ_INT(sscanf(mark, "IMGCHECK n=%d w=%n", &n, &used), 1);
    EXPECT_EQ_INT(n, 5);
    const char *w = mark + used;
    for (int i = 0; i < n; i++) {
        char *next;
        long width = strtol(w, &next, 10);
        if (width <= 0)
            test_fail(__FILE__, __LINE__, "image %d did not render: %.80s", i, mark);
        EXPECT_EQ_INT(width, 960);
        w = next + 1;
    }
    printf("chromium: %.*s\n", (int)strcspn(mark, ";<"), mark);
    free(profile);
    free(url);
    free(out);
    return dom;
}

TEST_T(report, chromium_renders_every_image, 120)
{
    require_gnuplot();
    const char *dir = test_tmp_dir();
    cJSON *s = flash_sale_report(dir);
    cJSON_Delete(s);
    free(chromium_renders(dir));
}

/* A foreign engine without a metrics URL: the queue column has no value at
 * all, which gnuplot cannot plot (it stops with "x range is invalid"). The
 * page draws a note in its place and shows no tool's error. */
TEST_T(report, chromium_shows_no_tool_error_for_an_unknown_queue, 120)
{
    require_gnuplot();
    const char *dir = test_tmp_dir();
    write_csvs(dir);
    sbuf b = SBUF_INIT;
    sbuf_puts(&b, "t_s,checkouts,accepted,sold_out,other_sales,queue_depth,api_calls_cin7,"
                  "api_calls_shopify,http_429_cin7,http_429_shopify,avail_HOT-001,sellable_HOT-001\n");
    for (int t = 0; t < 60; t++)
        sbuf_printf(&b, "%d,2,2,0,0,,3,5,0,0,%d,%d\n", t, 60 - t, 60 - t);
    put_file(dir, "timeseries.csv", sbuf_str(&b));
    sbuf_free(&b);
    cJSON *s = summary();
    write_report(dir, s);
    cJSON_Delete(s);
    char *dom = chromium_renders(dir);
    EXPECT_CONTAINS(dom, "queue depth unknown");
    static const char *const tool_words[] = {"x range is invalid", "exited with status",
                                             ".gp\" line", "all points y value undefined",
                                             "gnuplot&gt;", "Traceback"};
    for (size_t i = 0; i < sizeof tool_words / sizeof tool_words[0]; i++)
        if (strstr(dom, tool_words[i]))
            test_fail(__FILE__, __LINE__, "the page shows a tool's error: %s", tool_words[i]);
    free(dom);
}
