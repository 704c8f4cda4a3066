/*
 * The run's report: junit.xml, gnuplot plots and a self-contained
 * report.html (see report.h). Everything here reads files the run has
 * already written and the parsed summary; nothing feeds back into the run.
 * Text from outside (scenario names, SKUs, reasons) may hold any bytes, so
 * every string goes through one escaper that also replaces invalid UTF-8
 * and the control characters XML 1.0 forbids.
 */
#include "report.h"

#include "hmac.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "proc.h"
#include "sbuf.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Caps on what we read back: our own files, but a long run is big. */
#define MAX_SUMMARY_BYTES (64u << 20)
#define MAX_PNG_BYTES (16u << 20)
#define MAX_CSV_FIELDS 256
#define MAX_HOT 8
#define MAX_SKU_ROWS 100
/* Points of the latency CDF handed to gnuplot, whatever the order count. */
#define CDF_POINTS 1000
/* Points of each time series handed to gnuplot (about two per pixel). */
#define MAX_TS_POINTS 2000
#define GNUPLOT_TIMEOUT_MS 60000

/* ---- small helpers ------------------------------------------------------ */

static const cJSON *get(const cJSON *o, const char *key)
{
    return o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

static const char *get_str(const cJSON *o, const char *key, const char *dflt)
{
    const cJSON *v = get(o, key);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : dflt;
}

static double get_num(const cJSON *o, const char *key, double dflt)
{
    const cJSON *v = get(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/* Length of the valid UTF-8 sequence at s (1 to 4), or 0 when the bytes
 * there are not one (overlong forms, surrogates, beyond U+10FFFF, and the
 * non-characters U+FFFE/U+FFFF that XML forbids). */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xEF && s[1] == 0xBF && (s[2] == 0xBE || s[2] == 0xBF))
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        return 4;
    }
    return 0;
}

/* Appends s escaped for XML or HTML text and attribute values. Bytes that
 * are not valid UTF-8 become U+FFFD and forbidden control characters '?'.
 * For HTML, "://" is written as "&#58;//": it renders the same, and a page
 * whose source holds no literal "http://" can be checked for external
 * references with a plain search, even when a scenario quotes a URL. */
static void put_esc(sbuf *b, const char *s, int html)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        switch (*p) {
        case '&': sbuf_puts(b, "&amp;"); p++; continue;
        case '<': sbuf_puts(b, "&lt;"); p++; continue;
        case '>': sbuf_puts(b, "&gt;"); p++; continue;
        case '"': sbuf_puts(b, "&quot;"); p++; continue;
        case '\'': sbuf_puts(b, "&#39;"); p++; continue;
        case ':':
            if (html && p[1] == '/' && p[2] == '/') {
                sbuf_puts(b, "&#58;");
                p++;
                continue;
            }
            break;
        default:
            break;
        }
        if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7F) {
            sbuf_putc(b, '?');
            p++;
            continue;
        }
        size_t n = utf8_len(p);
        if (n == 0) {
            sbuf_puts(b, "\xEF\xBF\xBD");
            p++;
        } else {
            sbuf_append(b, p, n);
            p += n;
        }
    }
}

static void xml_esc(sbuf *b, const char *s)
{
    put_esc(b, s, 0);
}

static void html_esc(sbuf *b, const char *s)
{
    put_esc(b, s, 1);
}

/* A number as people read it: integers whole, fractions to two places
 * (more digits below 1). */
static void fmt_double(char *out, size_t n, double v)
{
    if (!isfinite(v)) {
        snprintf(out, n, "%s", isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf");
    } else if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(out, n, "%.0f", v);
    } else if (fabs(v) >= 1) {
        snprintf(out, n, "%.2f", v);
        char *dot = strchr(out, '.');
        if (dot) {
            char *end = out + strlen(out);
            while (end > dot + 1 && end[-1] == '0')
                *--end = '\0';
        }
    } else {
        snprintf(out, n, "%.3g", v);
    }
}

/* The text of a JSON value for tables and messages; NULL when absent or
 * null (not measured). The result lives in out or in v. */
static const char *fmt_value(const cJSON *v, char *out, size_t n)
{
    if (!v || cJSON_IsNull(v))
        return NULL;
    if (cJSON_IsNumber(v)) {
        fmt_double(out, n, v->valuedouble);
        return out;
    }
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v) ? "true" : "false";
    if (cJSON_IsString(v) && v->valuestring)
        return v->valuestring;
    char *text = json_print(v);
    snprintf(out, n, "%s", text);
    free(text);
    return out;
}

/* Writes len bytes to path through path.tmp and a rename, so a reader
 * never sees half a file. */
static int write_file(const char *path, const char *data, size_t len, char *err,
                      size_t errlen)
{
    int rc = -1;
    char *tmp = xasprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    size_t put = fwrite(data, 1, len, f);
    int werr = put != len || fflush(f) != 0 ? errno : 0;
    if (fclose(f) != 0 && !werr)
        werr = errno ? errno : EIO;
    if (put != len || werr) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(werr ? werr : EIO));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    free(tmp);
    return rc;
}

/* Reads a whole file of at most max bytes; malloc'd, caller frees. NULL when
 * it cannot be read or is larger. */
static char *read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    sbuf b = SBUF_INIT;
    int bad = sbuf_read_stream(&b, f, max);
    fclose(f);
    if (bad) {
        sbuf_free(&b);
        return NULL;
    }
    *len = b.len;
    return sbuf_take(&b);
}

/* ---- JUnit -------------------------------------------------------------- */

/* The test cases of a comparison's limits (compare.h), one per limit,
 * failing with the limit's message, which has the numbers. */
static void junit_limit_cases(sbuf *b, const char *classname, const cJSON *limits)
{
    const cJSON *l;
    char num[64];
    cJSON_ArrayForEach(l, limits) {
        const char *limit = fmt_value(get(l, "limit"), num, sizeof num);
        int pct = strcmp(get_str(l, "kind", ""), "max_regress") == 0;
        sbuf_puts(b, "  <testcase classname=\"");
        xml_esc(b, classname);
        sbuf_puts(b, "\" name=\"");
        xml_esc(b, get_str(l, "metric", "?"));
        sbuf_puts(b, pct ? " max-regress " : " max-increase ");
        xml_esc(b, limit ? limit : "null");
        sbuf_puts(b, pct ? "%\" time=\"0\"" : "\" time=\"0\"");
        if (cJSON_IsTrue(get(l, "pass"))) {
            sbuf_puts(b, "/>\n");
            continue;
        }
        const char *msg = get_str(l, "message", "the limit failed");
        sbuf_puts(b, ">\n    <failure type=\"regression\" message=\"");
        xml_esc(b, msg);
        sbuf_puts(b, "\">");
        xml_esc(b, msg);
        sbuf_puts(b, "</failure>\n  </testcase>\n");
    }
}

/* Tests and failures among a comparison's limits. */
static void count_limits(const cJSON *limits, int *tests, int *failures)
{
    const cJSON *l;
    cJSON_ArrayForEach(l, limits) {
        (*tests)++;
        *failures += !cJSON_IsTrue(get(l, "pass"));
    }
}

static char *junit_text(const cJSON *s)
{
    const char *name = get_str(s, "name", "unnamed");
    const cJSON *gates = get(s, "gates");
    int valid = cJSON_IsTrue(get(s, "valid"));
    int tests = 0, failures = 0;
    const cJSON *g;
    if (!cJSON_IsArray(gates))
        gates = NULL;
    cJSON_ArrayForEach(g, gates) {
        tests++;
        failures += !cJSON_IsTrue(get(g, "pass"));
    }
    if (!valid) {
        tests++;
        failures++;
    }
    const cJSON *limits = get(get(s, "baseline"), "limits");
    count_limits(limits, &tests, &failures);
    /* The real time the run took: durations are simulated (DESIGN §2). */
    double scale = get_num(s, "time_scale", 1);
    if (!(scale > 0))
        scale = 1;
    double secs = (get_num(s, "duration_ms", 0) + get_num(s, "drain_ms", 0)) / scale / 1000;
    if (!(secs >= 0) || !isfinite(secs))
        secs = 0;

    sbuf b = SBUF_INIT;
    char num[64], num2[64];
    sbuf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"surge.");
    xml_esc(&b, name);
    sbuf_printf(&b, "\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"0\" time=\"%.3f\"",
                tests, failures, secs);
    const char *started = get_str(s, "started_at", NULL);
    if (started) {
        sbuf_puts(&b, " timestamp=\"");
        xml_esc(&b, started);
        sbuf_putc(&b, '"');
    }
    sbuf_puts(&b, ">\n  <properties>\n");
    static const char *const props[] = {"seed", "time_scale", "exit_code", "valid"};
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++) {
        const char *v = fmt_value(get(s, props[i]), num, sizeof num);
        sbuf_printf(&b, "    <property name=\"%s\" value=\"", props[i]);
        xml_esc(&b, v ? v : "null");
        sbuf_puts(&b, "\"/>\n");
    }
    const cJSON *ver, *versions = get(s, "versions");
    if (!cJSON_IsObject(versions))
        versions = NULL;
    cJSON_ArrayForEach(ver, versions) {
        const char *v = fmt_value(ver, num, sizeof num);
        sbuf_puts(&b, "    <property name=\"version.");
        xml_esc(&b, ver->string);
        sbuf_puts(&b, "\" value=\"");
        xml_esc(&b, v ? v : "null");
        sbuf_puts(&b, "\"/>\n");
    }
    sbuf_puts(&b, "  </properties>\n");

    cJSON_ArrayForEach(g, gates) {
        const char *metric = get_str(g, "metric", "?");
        const char *op = get_str(g, "op", "?");
        const char *limit = fmt_value(get(g, "limit"), num, sizeof num);
        sbuf_puts(&b, "  <testcase classname=\"surge.");
        xml_esc(&b, name);
        sbuf_puts(&b, ".gates\" name=\"");
        xml_esc(&b, metric);
        sbuf_putc(&b, ' ');
        xml_esc(&b, op);
        sbuf_putc(&b, ' ');
        xml_esc(&b, limit ? limit : "null");
        sbuf_puts(&b, "\" time=\"0\"");
        if (cJSON_IsTrue(get(g, "pass"))) {
            sbuf_puts(&b, "/>\n");
            continue;
        }
        const char *value = fmt_value(get(g, "value"), num2, sizeof num2);
        sbuf sb = SBUF_INIT;
        sbuf_printf(&sb, "value %s, limit %s", value ? value : "not measured",
                    limit ? limit : "null");
        sbuf_puts(&b, ">\n    <failure type=\"gate\" message=\"");
        xml_esc(&b, sbuf_str(&sb));
        sbuf_puts(&b, "\">");
        xml_esc(&b, sbuf_str(&sb));
        sbuf_puts(&b, "</failure>\n  </testcase>\n");
        sbuf_free(&sb);
    }
    char *classname = xasprintf("surge.%s.baseline", name);
    junit_limit_cases(&b, classname, limits);
    free(classname);
    if (!valid) {
        const char *reason = get_str(s, "invalid_reason", NULL);
        if (!reason)
            reason = get(s, "valid") ? "no reason given" : "the summary has no \"valid\" flag";
        sbuf_puts(&b, "  <testcase classname=\"surge.");
        xml_esc(&b, name);
        sbuf_puts(&b, ".run\" name=\"run.valid\" time=\"0\">\n    <failure type=\"invalid\" message=\"");
        xml_esc(&b, reason);
        sbuf_puts(&b, "\">the run is invalid, its numbers must not be trusted: ");
        xml_esc(&b, reason);
        sbuf_puts(&b, "</failure>\n  </testcase>\n");
    }
    sbuf_puts(&b, "</testsuite>\n");
    return sbuf_take(&b);
}

int report_junit(const char *path, const cJSON *summary, char *err, size_t errlen)
{
    char *text = junit_text(summary);
    int rc = write_file(path, text, strlen(text), err, errlen);
    free(text);
    return rc;
}

int report_compare_junit(const char *path, const cJSON *cmp, char *err, size_t errlen)
{
    int tests = 0, failures = 0;
    const cJSON *limits = get(cmp, "limits");
    count_limits(limits, &tests, &failures);
    sbuf b = SBUF_INIT;
    sbuf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"surge.compare\" "
                    "tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"0\" time=\"0\">\n"
                    "  <properties>\n",
                tests, failures);
    static const char *const props[] = {"base", "new"};
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++) {
        sbuf_printf(&b, "    <property name=\"%s\" value=\"", props[i]);
        xml_esc(&b, get_str(cmp, props[i], ""));
        sbuf_puts(&b, "\"/>\n");
    }
    sbuf_puts(&b, "  </properties>\n");
    junit_limit_cases(&b, "surge.compare", limits);
    sbuf_puts(&b, "</testsuite>\n");
    int rc = write_file(path, sbuf_str(&b), b.len, err, errlen);
    sbuf_free(&b);
    return rc;
}

/* ---- CSV input ---------------------------------------------------------- */

/* Splits one line in place into at most max fields (RFC 4180 quoting, the
 * line end removed). Returns the number of fields. */
static size_t csv_split(char *line, char **fields, size_t max)
{
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    size_t n = 0;
    char *p = line;
    for (;;) {
        char *start = p, *w = p;
        if (*p == '"') {
            p++;
            while (*p) {
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            }
            while (*p && *p != ',')
                p++;
        } else {
            while (*p && *p != ',')
                p++;
            w = p;
        }
        char sep = *p;
        *w = '\0';
        if (n < max)
            fields[n++] = start;
        if (sep != ',')
            break;
        p++;
    }
    return n;
}

/* What the plots need to know of timeseries.csv; columns are 1-based as
 * gnuplot counts them, 0 when absent. */
typedef struct {
    const char *path; /* borrowed */
    int exists;
    long rows;
    long bucket;      /* rows per plotted point */
    double tick_s;    /* simulated seconds per row (rows are ticks, 1 s by default) */
    double span_s;    /* t_s of the last row */
    int t, checkouts, accepted, sold_out, other_sales, queue;
    long queue_values; /* rows with a queue depth (none: the engine reported none) */
    size_t n_hot;
    struct {
        char *sku; /* malloc'd */
        int avail, sellable;
    } hot[MAX_HOT];
} ts_info;

static int find_col(char **fields, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(fields[i], name) == 0)
            return (int)i + 1;
    return 0;
}

/* The number in a cell (1-based column), or 0 when it is absent or empty. */
static int cell(char **fields, size_t n, int col, double *out)
{
    if (col <= 0 || (size_t)col > n || fields[col - 1][0] == '\0')
        return 0;
    char *end;
    double v = strtod(fields[col - 1], &end);
    if (*end != '\0' || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

static void ts_read(const char *path, ts_info *ts)
{
    memset(ts, 0, sizeof *ts);
    ts->path = path;
    ts->bucket = 1;
    ts->tick_s = 1;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    if (getline(&line, &cap, f) > 0) {
        ts->exists = 1;
        char *fields[MAX_CSV_FIELDS];
        size_t n = csv_split(line, fields, MAX_CSV_FIELDS);
        ts->t = find_col(fields, n, "t_s");
        ts->checkouts = find_col(fields, n, "checkouts");
        ts->accepted = find_col(fields, n, "accepted");
        ts->sold_out = find_col(fields, n, "sold_out");
        ts->other_sales = find_col(fields, n, "other_sales");
        ts->queue = find_col(fields, n, "queue_depth");
        for (size_t i = 0; i < n && ts->n_hot < MAX_HOT; i++) {
            if (strncmp(fields[i], "avail_", 6) != 0)
                continue;
            char *want = xasprintf("sellable_%s", fields[i] + 6);
            int sellable = find_col(fields, n, want);
            free(want);
            ts->hot[ts->n_hot].sku = xstrdup(fields[i] + 6);
            ts->hot[ts->n_hot].avail = (int)i + 1;
            ts->hot[ts->n_hot].sellable = sellable;
            ts->n_hot++;
        }
        /* Rows are counted and the tick read from the first two times. */
        double t, first = 0;
        while (getline(&line, &cap, f) > 0) {
            size_t nf = csv_split(line, fields, MAX_CSV_FIELDS);
            if (!cell(fields, nf, ts->t, &t))
                continue;
            double q;
            ts->queue_values += cell(fields, nf, ts->queue, &q);
            if (ts->rows == 0)
                first = t;
            else if (ts->rows == 1 && t > first)
                ts->tick_s = t - first;
            ts->span_s = t;
            ts->rows++;
        }
        if (!(ts->tick_s > 0))
            ts->tick_s = 1;
        if (ts->rows > MAX_TS_POINTS)
            ts->bucket = (ts->rows + MAX_TS_POINTS - 1) / MAX_TS_POINTS;
    }
    free(line);
    fclose(f);
}

static void ts_free(ts_info *ts)
{
    for (size_t i = 0; i < ts->n_hot; i++)
        free(ts->hot[i].sku);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The values of a column of events.csv (push_latency_ms, push_bound_ms),
 * sorted; malloc'd (NULL when there are none), count in *n. *exists says
 * whether the file had the column. */
static double *read_latencies(const char *path, const char *column, size_t *n, int *exists)
{
    *n = 0;
    *exists = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    double *v = NULL;
    size_t cap_v = 0;
    char *line = NULL;
    size_t cap = 0;
    char *fields[MAX_CSV_FIELDS];
    int col = 0;
    if (getline(&line, &cap, f) > 0)
        col = find_col(fields, csv_split(line, fields, MAX_CSV_FIELDS), column);
    *exists = col > 0;
    while (col > 0 && getline(&line, &cap, f) > 0) {
        size_t nf = csv_split(line, fields, MAX_CSV_FIELDS);
        if ((size_t)col > nf || fields[col - 1][0] == '\0')
            continue;
        char *end;
        double x = strtod(fields[col - 1], &end);
        if (*end != '\0' || !isfinite(x) || x < 0)
            continue;
        if (*n == cap_v) {
            cap_v = cap_v ? cap_v * 2 : 1024;
            v = xrealloc(v, cap_v * sizeof *v);
        }
        v[(*n)++] = x;
    }
    free(line);
    fclose(f);
    if (*n)
        qsort(v, *n, sizeof *v, cmp_double);
    return v;
}

/* The q-quantile of sorted values (nearest rank). */
static double quantile(const double *v, size_t n, double q)
{
    size_t rank = (size_t)ceil(q * (double)n);
    return v[rank ? rank - 1 : 0];
}

/* ---- plots -------------------------------------------------------------- */

enum { PLOT_DEMAND, PLOT_QUEUE, PLOT_LATENCY, PLOT_PROPAGATION, PLOT_STOCK, N_PLOTS };

typedef struct {
    const char *name;    /* file stem: NAME.gp, NAME.png, NAME.svg */
    const char *caption;
    char note[256];      /* why the plot is a placeholder; "" when it has data */
    char missing[512];   /* why there is no image; "" when there is */
} plot;

/* Appends s as a gnuplot single-quoted string ('' stands for a quote;
 * control characters, which would end the command, are dropped). */
static void gp_str(sbuf *b, const char *s)
{
    sbuf_putc(b, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            sbuf_puts(b, "''");
        else if ((unsigned char)*p >= 0x20 && *p != 0x7F)
            sbuf_putc(b, *p);
    }
    sbuf_putc(b, '\'');
}

static void gp_begin(sbuf *b, const char *name, const char *title)
{
    sbuf_printf(b,
                "# Drawn by surge from the files beside it; to redraw: cd to this folder,\n"
                "# then gnuplot %s.gp\n"
                "set encoding utf8\n"
                "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
                "    set terminal pngcairo size 960,480 noenhanced font 'sans,10'\n"
                "} else {\n"
                "    set terminal png size 960,480 noenhanced\n"
                "}\n"
                "set output '%s.png'\n"
                "set datafile separator comma\n"
                "set datafile columnheaders\n"
                "set grid\n"
                "set key outside right top\n"
                "set title ",
                name, name);
    gp_str(b, title);
    sbuf_putc(b, '\n');
}

static void gp_end(sbuf *b, const char *name)
{
    sbuf_printf(b,
                "set terminal svg size 960,480 noenhanced font 'sans,10' background '#ffffff'\n"
                "set output '%s.svg'\n"
                "replot\n"
                "unset output\n",
                name);
}

/* An empty frame that says why there is nothing to draw. */
static void gp_placeholder(sbuf *b, const char *note)
{
    sbuf_puts(b, "unset border\nunset tics\nunset key\nunset grid\n"
                 "set xrange [0:1]\nset yrange [0:1]\nset label 1 ");
    gp_str(b, note);
    sbuf_puts(b, " at graph 0.5, graph 0.5 center\nplot 2 notitle\n");
}

/* Long runs are drawn from buckets of rows so that a plot holds about
 * MAX_TS_POINTS points whatever the run's length: a day is 86400 rows,
 * which 960 pixels cannot show and which take gnuplot minutes to stroke. */
typedef enum { AGG_MEAN, AGG_MAX, AGG_LAST } agg_kind;

/* Appends the datablock $ts: t_s, then the given columns of
 * timeseries.csv (1-based), one row per bucket of ts->bucket rows with
 * each column reduced by agg; a bucket with no known value stays empty,
 * which gnuplot skips. */
static void gp_ts_block(sbuf *b, const ts_info *ts, const int *cols, size_t n, agg_kind agg,
                        double scale)
{
    sbuf_puts(b, "$ts << EOD\nt_s");
    for (size_t i = 0; i < n; i++)
        sbuf_printf(b, ",c%zu", i + 1);
    sbuf_putc(b, '\n');
    FILE *f = fopen(ts->path, "r");
    double *acc = xcalloc(n, sizeof *acc);
    long *cnt = xcalloc(n, sizeof *cnt);
    char *line = NULL;
    size_t cap = 0;
    char *fields[MAX_CSV_FIELDS];
    long in_bucket = 0;
    double t0 = 0;
    if (f && getline(&line, &cap, f) > 0) {
        for (int more = 1; more;) {
            more = getline(&line, &cap, f) > 0;
            if (more) {
                size_t nf = csv_split(line, fields, MAX_CSV_FIELDS);
                double t, v;
                if (!cell(fields, nf, ts->t, &t))
                    continue;
                if (in_bucket++ == 0)
                    t0 = t;
                for (size_t i = 0; i < n; i++) {
                    if (!cell(fields, nf, cols[i], &v))
                        continue;
                    acc[i] = agg == AGG_MEAN ? acc[i] + v
                             : agg == AGG_MAX ? (cnt[i] && acc[i] > v ? acc[i] : v)
                                              : v;
                    cnt[i]++;
                }
                if (in_bucket < ts->bucket)
                    continue;
            }
            if (!in_bucket)
                continue;
            sbuf_printf(b, "%.10g", t0);
            for (size_t i = 0; i < n; i++) {
                if (cnt[i])
                    sbuf_printf(b, ",%.10g",
                                scale * (agg == AGG_MEAN ? acc[i] / (double)cnt[i] : acc[i]));
                else
                    sbuf_putc(b, ',');
                acc[i] = 0;
                cnt[i] = 0;
            }
            sbuf_putc(b, '\n');
            in_bucket = 0;
        }
    }
    if (f)
        fclose(f);
    free(line);
    free(acc);
    free(cnt);
    sbuf_puts(b, "EOD\n");
}

/* x of the time series: minutes for long runs, seconds otherwise. */
static const char *gp_time_axis(sbuf *b, const ts_info *ts)
{
    int minutes = ts->span_s > 1200;
    sbuf_printf(b, "set xlabel 'simulated time (%s)'\n", minutes ? "min" : "s");
    /* Headroom, so that a plateau at the maximum stays visible. */
    sbuf_puts(b, "set offsets 0, 0, graph 0.08, 0\n");
    return minutes ? "($1/60.0)" : "1";
}

/* The y label, saying how rows were reduced when they were. */
static void gp_ylabel(sbuf *b, const ts_info *ts, const char *label, const char *how)
{
    sbuf sb = SBUF_INIT;
    sbuf_puts(&sb, label);
    if (ts->bucket > 1)
        sbuf_printf(&sb, " (%s %g s)", how, (double)ts->bucket * ts->tick_s);
    sbuf_puts(b, "set ylabel ");
    gp_str(b, sbuf_str(&sb));
    sbuf_putc(b, '\n');
    sbuf_free(&sb);
}

/* One curve of $ts; block column k (2 is the first after t_s). */
static void gp_series(sbuf *b, int *first, const char *x, int k, const char *style,
                      const char *title)
{
    sbuf_puts(b, *first ? "plot $ts" : ", \\\n     $ts");
    sbuf_printf(b, " using %s:%d with %s title ", x, k, style);
    gp_str(b, title);
    *first = 0;
}

static char *script_demand(const ts_info *ts, plot *pl)
{
    sbuf b = SBUF_INIT;
    gp_begin(&b, pl->name, "Demand per simulated second");
    if (!ts->rows || !ts->t || !(ts->checkouts || ts->accepted || ts->sold_out)) {
        snprintf(pl->note, sizeof pl->note, "%s",
                 ts->exists ? "timeseries.csv has no demand rows"
                            : "timeseries.csv is missing");
        gp_placeholder(&b, pl->note);
    } else {
        const int cols[] = {ts->checkouts, ts->accepted, ts->sold_out, ts->other_sales};
        static const char *const styles[] = {
            "lines lw 1.5 lc rgb '#1f77b4'", "lines lw 1.5 lc rgb '#2ca02c'",
            "lines lw 1.5 lc rgb '#d62728'", "lines lw 1 lc rgb '#9467bd' dt 2"};
        static const char *const titles[] = {"checkouts", "accepted", "sold out",
                                             "other channels' sales"};
        /* Rows count per tick; the plot shows rates per second. */
        gp_ts_block(&b, ts, cols, 4, AGG_MEAN, 1 / ts->tick_s);
        const char *x = gp_time_axis(&b, ts);
        gp_ylabel(&b, ts, "per second", "mean over");
        sbuf_puts(&b, "set yrange [0:*]\n");
        int first = 1;
        for (int i = 0; i < 4; i++)
            if (cols[i])
                gp_series(&b, &first, x, i + 2, styles[i], titles[i]);
        sbuf_putc(&b, '\n');
    }
    gp_end(&b, pl->name);
    return sbuf_take(&b);
}

static char *script_queue(const ts_info *ts, plot *pl)
{
    sbuf b = SBUF_INIT;
    gp_begin(&b, pl->name, "Engine queue depth");
    if (!ts->rows || !ts->t || !ts->queue) {
        snprintf(pl->note, sizeof pl->note, "%s",
                 !ts->exists ? "timeseries.csv is missing"
                 : ts->queue ? "timeseries.csv has no rows"
                             : "timeseries.csv has no queue_depth column");
        gp_placeholder(&b, pl->note);
    } else if (!ts->queue_values) {
        snprintf(pl->note, sizeof pl->note, "%s",
                 "queue depth unknown: the engine gave no metrics URL with syncd_queue_depth "
                 "(engine.external.metrics)");
        gp_placeholder(&b, pl->note);
    } else {
        gp_ts_block(&b, ts, &ts->queue, 1, AGG_MAX, 1);
        const char *x = gp_time_axis(&b, ts);
        gp_ylabel(&b, ts, "events queued", "max over");
        sbuf_puts(&b, "set yrange [0:*]\n");
        int first = 1;
        gp_series(&b, &first, x, 2, "steps lw 1.5 lc rgb '#ff7f0e'", "queue depth");
        sbuf_putc(&b, '\n');
    }
    gp_end(&b, pl->name);
    return sbuf_take(&b);
}

/* A CDF as a gnuplot datablock $name: at most CDF_POINTS steps, each the
 * value at an even rank, so the script stays small however many orders
 * there were. */
static void gp_cdf(sbuf *b, const char *name, const double *v, size_t n)
{
    sbuf_printf(b, "$%s << EOD\nlatency_s,fraction\n", name);
    size_t steps = n < CDF_POINTS ? n : CDF_POINTS;
    for (size_t i = 1; i <= steps; i++) {
        size_t rank = (size_t)ceil((double)i * (double)n / (double)steps);
        sbuf_printf(b, "%.3f,%.6f\n", v[rank - 1] / 1000.0, (double)rank / (double)n);
    }
    sbuf_puts(b, "EOD\n");
}

/* A latency CDF: the measured one and, when the file has it, the CDF of
 * the physical bound of the same work (bounds.h): how close to the rate
 * limits the engine came. */
typedef struct {
    const char *file;     /* "events.csv" */
    const char *column;   /* its latency column */
    const char *bound;    /* its bound column */
    const char *title;
    const char *line;     /* the measured line's legend */
    const char *noun;     /* "orders": what one sample is */
    const char *none;     /* the placeholder when nothing was measured */
} cdf_spec;

static char *script_cdf(const char *dir, const cdf_spec *c, plot *pl)
{
    size_t n, nb;
    int exists, bound_exists;
    char *path = xasprintf("%s/%s", dir, c->file);
    double *v = read_latencies(path, c->column, &n, &exists);
    double *vb = read_latencies(path, c->bound, &nb, &bound_exists);
    free(path);
    sbuf b = SBUF_INIT;
    gp_begin(&b, pl->name, c->title);
    if (!n) {
        if (exists)
            snprintf(pl->note, sizeof pl->note, "%s", c->none);
        else
            snprintf(pl->note, sizeof pl->note, "%s is missing or has no %s column", c->file,
                     c->column);
        gp_placeholder(&b, pl->note);
    } else {
        gp_cdf(&b, "cdf", v, n);
        if (nb)
            gp_cdf(&b, "bound", vb, nb);
        static const struct {
            double q;
            const char *label;
        } marks[] = {{0.50, "p50"}, {0.95, "p95"}, {0.99, "p99"}};
        for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
            double x = quantile(v, n, marks[i].q) / 1000.0;
            /* Labels near the right edge go left of their line. */
            int right = x > 0.6 * v[n - 1] / 1000.0;
            sbuf_printf(&b,
                        "set arrow %zu from %.3f, graph 0 to %.3f, graph 1 nohead dt 3 lc rgb '#888888'\n"
                        "set label %zu '%s %.3f s' at %.3f, graph %.2f %s offset %s0.5,0\n",
                        i + 1, x, x, i + 1, marks[i].label, x, x, 0.30 - 0.08 * (double)i,
                        right ? "right" : "left", right ? "-" : "");
        }
        sbuf_printf(&b,
                    "set xlabel 'latency (s)'\nset ylabel 'fraction of %zu %s'\n"
                    "set xrange [0:*]\nset yrange [0:1.02]\nset key inside bottom right\n"
                    "plot $cdf using 1:2 with steps lw 1.5 lc rgb '#1f77b4' title '%s'",
                    n, c->noun, c->line);
        if (nb)
            sbuf_puts(&b, ", \\\n     $bound using 1:2 with steps lw 1.5 dt 2 lc rgb '#d62728' "
                          "title 'physical bound (rate limits only)'");
        sbuf_putc(&b, '\n');
    }
    free(v);
    free(vb);
    gp_end(&b, pl->name);
    return sbuf_take(&b);
}

static const cdf_spec push_cdf = {"events.csv", "push_latency_ms", "push_bound_ms",
                                  "Order push latency (Shopify paid to Cin7 sale), CDF",
                                  "order push latency", "orders",
                                  "no order push latencies were measured"};
static const cdf_spec prop_cdf = {"propagation.csv", "latency_ms", "bound_ms",
                                  "Inventory propagation (Cin7 stock change to Shopify level), CDF",
                                  "inventory propagation", "stock changes",
                                  "no stock change Shopify had to follow was measured"};

static char *script_stock(const ts_info *ts, plot *pl)
{
    static const char *const colours[MAX_HOT] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                                 "#9467bd", "#8c564b", "#e377c2", "#17becf"};
    sbuf b = SBUF_INIT;
    gp_begin(&b, pl->name, "Hot SKUs: Shopify available (solid) vs truly sellable (dashed)");
    if (!ts->rows || !ts->t || !ts->n_hot) {
        snprintf(pl->note, sizeof pl->note, "%s",
                 !ts->exists ? "timeseries.csv is missing"
                 : ts->n_hot ? "timeseries.csv has no rows"
                             : "the scenario tracks no hot SKUs");
        gp_placeholder(&b, pl->note);
    } else {
        int cols[2 * MAX_HOT];
        for (size_t i = 0; i < ts->n_hot; i++) {
            cols[2 * i] = ts->hot[i].avail;
            cols[2 * i + 1] = ts->hot[i].sellable;
        }
        gp_ts_block(&b, ts, cols, 2 * ts->n_hot, AGG_LAST, 1);
        const char *x = gp_time_axis(&b, ts);
        gp_ylabel(&b, ts, "units", "sampled every");
        int first = 1;
        for (size_t i = 0; i < ts->n_hot; i++) {
            char style[96], title[300];
            snprintf(style, sizeof style, "steps lw 1.5 lc rgb '%s' dt 1", colours[i]);
            snprintf(title, sizeof title, "%s available", ts->hot[i].sku);
            gp_series(&b, &first, x, (int)(2 * i) + 2, style, title);
            if (!ts->hot[i].sellable)
                continue;
            snprintf(style, sizeof style, "steps lw 1.5 lc rgb '%s' dt 2", colours[i]);
            snprintf(title, sizeof title, "%s sellable", ts->hot[i].sku);
            gp_series(&b, &first, x, (int)(2 * i) + 3, style, title);
        }
        sbuf_putc(&b, '\n');
    }
    gp_end(&b, pl->name);
    return sbuf_take(&b);
}

/* gnuplot's path in PATH; malloc'd, or NULL. */
static int file_starts(const char *path, const char *magic, size_t n)
{
    char head[16];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t got = fread(head, 1, n, f);
    fclose(f);
    return got == n && memcmp(head, magic, n) == 0;
}

/* The last line of gnuplot's log that says something, for messages. */
static void log_last_line(const char *path, char *out, size_t n)
{
    out[0] = '\0';
    size_t len;
    char *text = read_file(path, 1u << 20, &len);
    if (!text)
        return;
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        text[--len] = '\0';
    char *line = strrchr(text, '\n');
    snprintf(out, n, "%s", line ? line + 1 : text);
    free(text);
}

/* Runs "gnuplot -e 'cd DIR' NAME.gp": gnuplot opens the script after the
 * cd, and the script names its files relative to the folder, so that it can
 * be rerun by hand there. */
static void run_gnuplot(const char *gnuplot, const char *dir, plot *pl, const char *log_path)
{
    char *script = xasprintf("%s.gp", pl->name);
    char *png = xasprintf("%s/%s.png", dir, pl->name);
    char *svg = xasprintf("%s/%s.svg", dir, pl->name);
    sbuf cd = SBUF_INIT;
    sbuf_puts(&cd, "cd ");
    gp_str(&cd, dir);
    /* A failed run must not leave an older run's images looking current. */
    unlink(png);
    unlink(svg);
    char opt_e[] = "-e";
    char *argv[] = {(char *)gnuplot, opt_e, cd.data, script, NULL};
    char err[400];
    proc *p = NULL;
    int status = 0;
    if (proc_start(argv, log_path, 0, 0, &p, NULL, err, sizeof err) != 0) {
        /* The page says what is missing; the tool's own words go to the log. */
        log_warn("report: cannot start gnuplot: %s", err);
        snprintf(pl->missing, sizeof pl->missing, "gnuplot could not be started (surge's log says why)");
        goto out;
    }
    if (!proc_wait(p, GNUPLOT_TIMEOUT_MS, &status)) {
        proc_stop(p, 0);
        snprintf(pl->missing, sizeof pl->missing, "gnuplot did not finish within %d s",
                 GNUPLOT_TIMEOUT_MS / 1000);
        goto out;
    }
    proc_stop(p, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char last[300];
        log_last_line(log_path, last, sizeof last);
        log_warn("report: gnuplot %s %d on %s.gp: %s",
                 WIFEXITED(status) ? "exited with status" : "was killed by signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), pl->name, last);
        snprintf(pl->missing, sizeof pl->missing,
                 "the %s plot could not be drawn (gnuplot's messages are in gnuplot.log)", pl->name);
        goto out;
    }
    if (!file_starts(png, "\x89PNG\r\n\x1a\n", 8))
        snprintf(pl->missing, sizeof pl->missing, "gnuplot wrote no %s.png", pl->name);
    else if (!file_starts(svg, "<?xml", 5) && !file_starts(svg, "<svg", 4))
        snprintf(pl->missing, sizeof pl->missing, "gnuplot wrote no %s.svg", pl->name);
out:
    /* No half-drawn files beside a plot reported missing. */
    if (pl->missing[0]) {
        unlink(png);
        unlink(svg);
    }
    sbuf_free(&cd);
    free(script);
    free(png);
    free(svg);
}

/* Writes the scripts and draws every plot; a plot that cannot be drawn
 * says why in its missing field. Returns 0, or -1 when a script cannot be
 * written (the folder is not writable). */
static int draw_plots(const char *dir, plot *plots, char *err, size_t errlen)
{
    char *ts_path = xasprintf("%s/timeseries.csv", dir);
    char *log_path = xasprintf("%s/gnuplot.log", dir);
    ts_info ts;
    ts_read(ts_path, &ts);
    int rc = 0;
    char *gnuplot = proc_find_program("gnuplot", NULL);

    unlink(log_path);
    for (int i = 0; i < N_PLOTS; i++) {
        plot *pl = &plots[i];
        char *text = i == PLOT_DEMAND        ? script_demand(&ts, pl)
                     : i == PLOT_QUEUE       ? script_queue(&ts, pl)
                     : i == PLOT_LATENCY     ? script_cdf(dir, &push_cdf, pl)
                     : i == PLOT_PROPAGATION ? script_cdf(dir, &prop_cdf, pl)
                                             : script_stock(&ts, pl);
        char *script = xasprintf("%s/%s.gp", dir, pl->name);
        int wrc = write_file(script, text, strlen(text), err, errlen);
        free(script);
        free(text);
        if (wrc != 0) {
            rc = -1;
            break;
        }
        if (!gnuplot) {
            snprintf(pl->missing, sizeof pl->missing,
                     "gnuplot is not installed (not found in PATH; scripts/deps.sh installs "
                     "gnuplot-nox)");
            continue;
        }
        run_gnuplot(gnuplot, dir, pl, log_path);
        if (pl->missing[0])
            log_warn("report: plot %s missing: %s", pl->name, pl->missing);
    }
    if (!gnuplot && rc == 0)
        log_warn("report: no plots: %s", plots[0].missing);
    /* Keep gnuplot's log only when it has something to say. */
    struct stat st;
    if (stat(log_path, &st) == 0 && st.st_size == 0)
        unlink(log_path);
    free(gnuplot);
    ts_free(&ts);
    free(ts_path);
    free(log_path);
    return rc;
}

/* ---- HTML --------------------------------------------------------------- */

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;"
    "max-width:1100px;padding:1rem 1.5rem;color:#1b1f23;background:#fff}"
    "h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.2rem;margin:1.6rem 0 .5rem;"
    "border-bottom:1px solid #ddd;padding-bottom:.2rem}"
    ".sub{color:#555;margin:0 0 1rem}"
    "table{border-collapse:collapse;margin:.3rem 0 1rem}"
    "th,td{border:1px solid #ddd;padding:.25rem .6rem;text-align:left;vertical-align:top}"
    "th{background:#f5f6f8}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".banner{padding:.8rem 1rem;border-radius:6px;font-size:1.05rem;margin:.8rem 0}"
    ".banner.invalid{background:#7a0010;color:#fff;font-size:1.25rem;border:3px solid #400008}"
    ".banner.fail{background:#fde2e2;color:#7a0010;border:1px solid #e99}"
    ".banner.pass{background:#e3f6e5;color:#14532d;border:1px solid #9c9}"
    ".banner.broke{background:#fff1d6;color:#6b4500;border:1px solid #e8c170}"
    "td.pass{background:#e3f6e5;color:#14532d;font-weight:600}"
    "td.fail{background:#fde2e2;color:#7a0010;font-weight:600}"
    "tr.bad td{background:#fdecec}tr.warn td{background:#fff7e0}"
    ".na{color:#888}.missing{background:#fff1d6;border:1px solid #e8c170;padding:.5rem .8rem;"
    "border-radius:4px}"
    "figure{margin:0 0 1.2rem}figure img{max-width:100%;height:auto;border:1px solid #eee}"
    "figcaption{color:#555;font-size:.9rem}"
    "pre{background:#f5f6f8;padding:.6rem;overflow:auto;font-size:12px}"
    "footer{color:#777;font-size:.85rem;margin-top:2rem}";

static void html_value_td(sbuf *b, const cJSON *v)
{
    char num[128];
    const char *text = fmt_value(v, num, sizeof num);
    if (!text) {
        sbuf_puts(b, "<td class=\"n na\">unknown</td>");
        return;
    }
    sbuf_puts(b, cJSON_IsNumber(v) ? "<td class=\"n\">" : "<td>");
    html_esc(b, text);
    sbuf_puts(b, "</td>");
}

static void html_kv_row(sbuf *b, const char *key, const char *value)
{
    sbuf_puts(b, "<tr><th>");
    html_esc(b, key);
    sbuf_puts(b, "</th><td>");
    html_esc(b, value);
    sbuf_puts(b, "</td></tr>\n");
}

static int is_latency(const cJSON *v)
{
    return cJSON_IsObject(v) && get(v, "p50") != NULL;
}

/* Rows "key" or "key.sub" for every value of obj but latency objects. */
static void html_flat_rows(sbuf *b, const cJSON *obj, const char *prefix)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, obj) {
        if (is_latency(v))
            continue;
        char *key = prefix ? xasprintf("%s.%s", prefix, v->string) : xstrdup(v->string);
        if (cJSON_IsObject(v)) {
            html_flat_rows(b, v, key);
        } else {
            sbuf_puts(b, "<tr><th>");
            html_esc(b, key);
            sbuf_puts(b, "</th>");
            html_value_td(b, v);
            sbuf_puts(b, "</tr>\n");
        }
        free(key);
    }
}

static const char *exit_meaning(int code)
{
    switch (code) {
    case 0: return "all gates passed";
    case 1: return "a gate failed";
    case 2: return "bad usage or scenario";
    case 3: return "the run itself broke";
    case 4: return "the run is invalid: its numbers must not be trusted";
    default: return "unknown exit code";
    }
}

/* "10m 0s", "1h 2m 3s", "1.5 s", "250 ms" for simulated milliseconds. */
static void fmt_duration(char *out, size_t n, double ms)
{
    if (ms < 1000) {
        snprintf(out, n, "%.0f ms", ms);
    } else if (ms < 60000) {
        snprintf(out, n, "%.3g s", ms / 1000);
    } else {
        long long s = (long long)(ms / 1000);
        if (s >= 3600)
            snprintf(out, n, "%lldh %lldm %llds", s / 3600, s / 60 % 60, s % 60);
        else
            snprintf(out, n, "%lldm %llds", s / 60, s % 60);
    }
}

static void html_banner(sbuf *b, const cJSON *s)
{
    int valid = cJSON_IsTrue(get(s, "valid"));
    int gates = 0, failed = 0;
    const cJSON *g, *arr = get(s, "gates");
    if (!cJSON_IsArray(arr))
        arr = NULL;
    cJSON_ArrayForEach(g, arr) {
        gates++;
        failed += !cJSON_IsTrue(get(g, "pass"));
    }
    int code = (int)get_num(s, "exit_code", -1);
    if (!valid) {
        const char *reason = get_str(s, "invalid_reason", "no reason given");
        sbuf_puts(b, "<div class=\"banner invalid\" role=\"alert\"><strong>INVALID RUN</strong>"
                     " &mdash; the numbers below must not be trusted. Reason: ");
        html_esc(b, reason);
        sbuf_puts(b, "</div>\n");
    } else if (code == 3) {
        sbuf_puts(b, "<div class=\"banner broke\" role=\"alert\"><strong>The run itself broke"
                     "</strong> (exit code 3); the figures below may be incomplete.</div>\n");
    } else if (failed) {
        sbuf_printf(b, "<div class=\"banner fail\"><strong>%d of %d gates failed</strong></div>\n",
                    failed, gates);
    } else {
        sbuf_printf(b, "<div class=\"banner pass\"><strong>All %d gates passed</strong></div>\n",
                    gates);
    }
}

static void html_run(sbuf *b, const cJSON *s)
{
    char buf[256], num[64];
    const cJSON *sc = get(s, "scenario");
    sbuf_puts(b, "<h2>Run</h2>\n<table>\n");
    html_kv_row(b, "name", get_str(s, "name", "unnamed"));
    const char *sc_name = get_str(sc, "name", NULL);
    const char *sc_desc = get_str(sc, "description", NULL);
    if (sc_name || sc_desc) {
        snprintf(buf, sizeof buf, "%s%s%s", sc_name ? sc_name : "", sc_name && sc_desc ? ": " : "",
                 sc_desc ? sc_desc : "");
        html_kv_row(b, "scenario", buf);
    } else {
        html_kv_row(b, "scenario", cJSON_IsObject(sc) ? "(unnamed)" : "(not recorded)");
    }
    const char *seed = fmt_value(get(s, "seed"), num, sizeof num);
    html_kv_row(b, "seed", seed ? seed : "not recorded");
    const char *scale = fmt_value(get(s, "time_scale"), num, sizeof num);
    if (scale)
        snprintf(buf, sizeof buf, "%s (one real second is %s simulated seconds)", scale, scale);
    html_kv_row(b, "time scale", scale ? buf : "not recorded");
    html_kv_row(b, "started at", get_str(s, "started_at", "not recorded"));
    if (cJSON_IsNumber(get(s, "duration_ms"))) {
        fmt_duration(buf, sizeof buf, get_num(s, "duration_ms", 0));
        html_kv_row(b, "duration (simulated)", buf);
    }
    if (cJSON_IsNumber(get(s, "drain_ms"))) {
        fmt_duration(buf, sizeof buf, get_num(s, "drain_ms", 0));
        html_kv_row(b, "drain (simulated)", buf);
    }
    int valid = cJSON_IsTrue(get(s, "valid"));
    if (valid) {
        html_kv_row(b, "validity", "valid");
    } else {
        snprintf(buf, sizeof buf, "INVALID: %s", get_str(s, "invalid_reason", "no reason given"));
        html_kv_row(b, "validity", buf);
    }
    const cJSON *code = get(s, "exit_code");
    if (cJSON_IsNumber(code)) {
        snprintf(buf, sizeof buf, "%d: %s", code->valueint, exit_meaning(code->valueint));
        html_kv_row(b, "exit code", buf);
    } else {
        html_kv_row(b, "exit code", "not recorded");
    }
    const cJSON *v, *vers = get(s, "versions");
    if (!cJSON_IsObject(vers))
        vers = NULL;
    cJSON_ArrayForEach(v, vers) {
        const char *text = fmt_value(v, num, sizeof num);
        snprintf(buf, sizeof buf, "version of %s", v->string);
        html_kv_row(b, buf, text ? text : "unknown");
    }
    sbuf_puts(b, "</table>\n");
}

static void html_gates(sbuf *b, const cJSON *s)
{
    const cJSON *g, *gates = get(s, "gates");
    sbuf_puts(b, "<h2>Gates</h2>\n");
    if (!cJSON_IsArray(gates) || !cJSON_GetArraySize(gates)) {
        sbuf_puts(b, "<p>The scenario sets no gates.</p>\n");
        return;
    }
    sbuf_puts(b, "<table>\n<tr><th>metric</th><th>condition</th><th>limit</th>"
                 "<th>value</th><th>result</th></tr>\n");
    cJSON_ArrayForEach(g, gates) {
        int pass = cJSON_IsTrue(get(g, "pass"));
        sbuf_puts(b, "<tr><td>");
        html_esc(b, get_str(g, "metric", "?"));
        sbuf_puts(b, "</td><td>");
        html_esc(b, get_str(g, "op", "?"));
        sbuf_puts(b, "</td>");
        html_value_td(b, get(g, "limit"));
        html_value_td(b, get(g, "value"));
        sbuf_printf(b, "<td class=\"%s\">%s</td></tr>\n", pass ? "pass" : "fail",
                    pass ? "PASS" : "FAIL");
    }
    sbuf_puts(b, "</table>\n");
}

/* summary.json's "baseline" (surge run --baseline): the comparison's
 * limits, then every metric beside the baseline's. */
static void html_baseline(sbuf *b, const cJSON *s)
{
    const cJSON *cmp = get(s, "baseline"), *row;
    if (!cJSON_IsObject(cmp))
        return;
    sbuf_puts(b, "<h2>Against the baseline</h2>\n<p>Baseline: ");
    html_esc(b, get_str(cmp, "base", "?"));
    sbuf_printf(b, ". %g worse, %g better, %g not comparable (not measured on one side or both).</p>\n",
                get_num(cmp, "worse", 0), get_num(cmp, "better", 0), get_num(cmp, "unknown", 0));
    cJSON_ArrayForEach(row, get(cmp, "notes")) {
        sbuf_puts(b, "<p class=\"missing\">Note: ");
        html_esc(b, cJSON_GetStringValue(row) ? cJSON_GetStringValue(row) : "?");
        sbuf_puts(b, "</p>\n");
    }
    const cJSON *limits = get(cmp, "limits");
    if (cJSON_GetArraySize(limits) > 0) {
        sbuf_puts(b, "<table>\n<tr><th>limit</th><th>result</th></tr>\n");
        cJSON_ArrayForEach(row, limits) {
            int pass = cJSON_IsTrue(get(row, "pass"));
            sbuf_puts(b, "<tr><td>");
            html_esc(b, get_str(row, "message", "?"));
            sbuf_printf(b, "</td><td class=\"%s\">%s</td></tr>\n", pass ? "pass" : "fail",
                        pass ? "PASS" : "FAIL");
        }
        sbuf_puts(b, "</table>\n");
    }
    sbuf_puts(b, "<table>\n<tr><th>metric</th><th>worse when</th><th>baseline</th><th>this run</th>"
                 "<th>change</th><th>change %</th><th>verdict</th></tr>\n");
    cJSON_ArrayForEach(row, get(cmp, "metrics")) {
        const char *verdict = get_str(row, "verdict", "?");
        sbuf_puts(b, "<tr><td>");
        html_esc(b, get_str(row, "metric", "?"));
        sbuf_puts(b, "</td><td>");
        html_esc(b, get_str(row, "worse", "?"));
        sbuf_puts(b, "</td>");
        html_value_td(b, get(row, "base"));
        html_value_td(b, get(row, "new"));
        /* No change without both figures, and no percentage of a baseline 0. */
        for (int k = 0; k < 2; k++) {
            const cJSON *c = get(row, k ? "change_pct" : "change");
            if (cJSON_IsNumber(c))
                html_value_td(b, c);
            else
                sbuf_puts(b, "<td class=\"n na\"></td>");
        }
        sbuf_printf(b, "<td class=\"%s\">", strcmp(verdict, "worse") == 0    ? "fail"
                                             : strcmp(verdict, "better") == 0 ? "pass"
                                                                              : "na");
        html_esc(b, verdict);
        sbuf_puts(b, "</td></tr>\n");
    }
    sbuf_puts(b, "</table>\n");
}

static void html_metrics(sbuf *b, const cJSON *s)
{
    const cJSON *m = get(s, "metrics"), *v;
    sbuf_puts(b, "<h2>Metrics</h2>\n");
    if (!cJSON_IsObject(m)) {
        sbuf_puts(b, "<p>The summary has no metrics.</p>\n");
        return;
    }
    int any_latency = 0;
    cJSON_ArrayForEach(v, m) any_latency |= is_latency(v);
    if (any_latency) {
        /* The physical bound and the efficiency (bound / measured) beside
         * the measured figures, for the latencies that have them. */
        static const char *const cols[] = {"count",     "p50",       "p95",
                                           "p99",       "max",       "mean",
                                           "bound_p50", "bound_p99", "efficiency_p50",
                                           "efficiency_p99"};
        size_t n_cols = 6;
        cJSON_ArrayForEach(v, m) if (is_latency(v) && get(v, "bound_p50")) n_cols = 10;
        sbuf_puts(b, "<table>\n<tr><th>latency (simulated ms)</th>");
        for (size_t i = 0; i < n_cols; i++)
            sbuf_printf(b, "<th>%s</th>", cols[i]);
        sbuf_puts(b, "</tr>\n");
        cJSON_ArrayForEach(v, m) {
            if (!is_latency(v))
                continue;
            sbuf_puts(b, "<tr><th>");
            html_esc(b, v->string);
            sbuf_puts(b, "</th>");
            for (size_t i = 0; i < n_cols; i++) {
                if (i >= 6 && !get(v, cols[i]))
                    sbuf_puts(b, "<td class=\"n na\">no bound</td>");
                else
                    html_value_td(b, get(v, cols[i]));
            }
            sbuf_puts(b, "</tr>\n");
        }
        sbuf_puts(b, "</table>\n");
    }
    sbuf_puts(b, "<table>\n<tr><th>metric</th><th>value</th></tr>\n");
    html_flat_rows(b, m, NULL);
    sbuf_puts(b, "</table>\n");
}

static void html_demand(sbuf *b, const cJSON *s)
{
    const cJSON *d = get(s, "demand");
    sbuf_puts(b, "<h2>Demand</h2>\n");
    if (!cJSON_IsObject(d)) {
        sbuf_puts(b, "<p>The summary has no demand figures.</p>\n");
        return;
    }
    sbuf_puts(b, "<table>\n<tr><th>figure</th><th>value</th></tr>\n");
    html_flat_rows(b, d, NULL);
    sbuf_puts(b, "</table>\n");
}

/* Per shop: what Cin7 could sell, what the shop offers and the difference
 * held back at the end (a safety buffer shows here, not as drift). */
static void html_shops(sbuf *b, const cJSON *s)
{
    const cJSON *arr = get(s, "per_shop"), *e, *col;
    const cJSON *first = cJSON_IsArray(arr) ? cJSON_GetArrayItem(arr, 0) : NULL;
    if (!cJSON_IsObject(first))
        return;
    sbuf_puts(b, "<h2>Per shop</h2>\n<p>At the end: units Cin7 could sell (Available over the "
                 "warehouses), units the shop offers, and the units held back (sellable, not "
                 "offered; per SKU, never below 0).</p>\n<table>\n<tr>");
    cJSON_ArrayForEach(col, first) {
        sbuf_puts(b, "<th>");
        html_esc(b, col->string);
        sbuf_puts(b, "</th>");
    }
    sbuf_puts(b, "</tr>\n");
    cJSON_ArrayForEach(e, arr) {
        if (!cJSON_IsObject(e))
            continue;
        sbuf_puts(b, "<tr>");
        cJSON_ArrayForEach(col, first) html_value_td(b, get(e, col->string));
        sbuf_puts(b, "</tr>\n");
    }
    sbuf_puts(b, "</table>\n");
}

/* A cell of that table: null is a value's absence, said as null_text. */
static void apart_td(sbuf *b, const cJSON *v, const char *null_text)
{
    if (!cJSON_IsNull(v)) {
        html_value_td(b, v);
        return;
    }
    sbuf_puts(b, "<td class=\"na\">");
    html_esc(b, null_text);
    sbuf_puts(b, "</td>");
}

/* The product fields left apart after the drain (summary.json's
 * fields_apart), when there are any: which edit was lost and where. */
static void html_fields_apart(sbuf *b, const cJSON *s)
{
    const cJSON *arr = get(s, "fields_apart"), *e, *v;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return;
    sbuf_puts(b, "<h2>Product fields left apart</h2>\n<p>After the drain, the fields whose value "
                 "in Cin7 or a shop is not what the owner's people set; since when (simulated "
                 "seconds from the start) they differed.</p>\n<table>\n<tr><th>sku</th>"
                 "<th>field</th><th>owner</th><th>owner_value</th><th>cin7</th>");
    const cJSON *shops = get(cJSON_GetArrayItem(arr, 0), "shops");
    cJSON_ArrayForEach(v, shops) {
        sbuf_puts(b, "<th>");
        html_esc(b, v->string);
        sbuf_puts(b, "</th>");
    }
    sbuf_puts(b, "<th>apart_since_s</th></tr>\n");
    cJSON_ArrayForEach(e, arr) {
        sbuf_puts(b, "<tr class=\"bad\">");
        static const char *const cols[] = {"sku", "field", "owner", "owner_value", "cin7"};
        for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
            apart_td(b, get(e, cols[i]), "none");
        cJSON_ArrayForEach(v, shops) apart_td(b, get(get(e, "shops"), v->string), "none");
        apart_td(b, get(e, "apart_since_s"), "not in the journals");
        sbuf_puts(b, "</tr>\n");
    }
    sbuf_puts(b, "</table>\n");
}

static int cmp_sku(const void *pa, const void *pb)
{
    const cJSON *a = *(const cJSON *const *)pa, *b = *(const cJSON *const *)pb;
    double oa = get_num(a, "oversell", 0), ob = get_num(b, "oversell", 0);
    if (oa != ob)
        return oa > ob ? -1 : 1;
    double da = fabs(get_num(a, "drift", 0)), db = fabs(get_num(b, "drift", 0));
    if (da != db)
        return da > db ? -1 : 1;
    return strcmp(get_str(a, "sku", ""), get_str(b, "sku", ""));
}

static void html_skus(sbuf *b, const cJSON *s)
{
    const cJSON *arr = get(s, "per_sku"), *e;
    sbuf_puts(b, "<h2>Per SKU</h2>\n");
    int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
    if (n == 0) {
        sbuf_puts(b, "<p>The summary has no per-SKU figures.</p>\n");
        return;
    }
    const cJSON **rows = xcalloc((size_t)n, sizeof *rows);
    int k = 0;
    cJSON_ArrayForEach(e, arr) if (cJSON_IsObject(e)) rows[k++] = e;
    if (k == 0) {
        sbuf_puts(b, "<p>The summary has no per-SKU figures.</p>\n");
        free(rows);
        return;
    }
    qsort(rows, (size_t)k, sizeof *rows, cmp_sku);
    int shown = k < MAX_SKU_ROWS ? k : MAX_SKU_ROWS;
    if (k > shown)
        sbuf_printf(b, "<p>The %d worst of %d SKUs, by oversell, then drift.</p>\n", shown, k);
    else
        sbuf_printf(b, "<p>%d SKUs, worst first (by oversell, then drift).</p>\n", k);
    /* Columns are the first row's keys, so new per-SKU fields show up. */
    const cJSON *col;
    sbuf_puts(b, "<table>\n<tr>");
    cJSON_ArrayForEach(col, rows[0]) {
        sbuf_puts(b, "<th>");
        html_esc(b, col->string);
        sbuf_puts(b, "</th>");
    }
    sbuf_puts(b, "</tr>\n");
    for (int i = 0; i < shown; i++) {
        const char *cls = get_num(rows[i], "oversell", 0) > 0 ? " class=\"bad\""
                          : get_num(rows[i], "drift", 0) != 0 ? " class=\"warn\""
                                                              : "";
        sbuf_printf(b, "<tr%s>", cls);
        cJSON_ArrayForEach(col, rows[0]) html_value_td(b, get(rows[i], col->string));
        sbuf_puts(b, "</tr>\n");
    }
    sbuf_puts(b, "</table>\n");
    free(rows);
}

/* Appends the PNG as a data: URI image, or a note saying why there is none. */
static void html_plot(sbuf *b, const char *dir, const plot *pl)
{
    char why[600];
    snprintf(why, sizeof why, "%s", pl->missing);
    size_t len = 0;
    char *png = NULL;
    if (!why[0]) {
        char *path = xasprintf("%s/%s.png", dir, pl->name);
        png = read_file(path, MAX_PNG_BYTES, &len);
        if (!png)
            snprintf(why, sizeof why, "%s.png cannot be read or is over %u MB", pl->name,
                     MAX_PNG_BYTES >> 20);
        free(path);
    }
    sbuf_puts(b, "<figure>\n");
    if (why[0]) {
        sbuf_puts(b, "<div class=\"missing\">Plot missing (");
        html_esc(b, pl->caption);
        sbuf_puts(b, "): ");
        html_esc(b, why);
        sbuf_puts(b, "</div>\n");
    } else {
        size_t cap = base64_encoded_len(len) + 1;
        char *b64 = xmalloc(cap);
        base64_encode(png, len, b64, cap);
        sbuf_puts(b, "<img alt=\"");
        html_esc(b, pl->caption);
        sbuf_puts(b, "\" width=\"960\" height=\"480\" src=\"data:image/png;base64,");
        sbuf_puts(b, b64);
        sbuf_puts(b, "\">\n<figcaption>");
        html_esc(b, pl->caption);
        if (pl->note[0]) {
            sbuf_puts(b, " &mdash; ");
            html_esc(b, pl->note);
        }
        sbuf_printf(b, " &middot; <a href=\"%s.svg\">SVG</a> &middot; <a href=\"%s.png\">PNG</a>"
                       "</figcaption>\n", pl->name, pl->name);
        free(b64);
    }
    sbuf_puts(b, "</figure>\n");
    free(png);
}

static void html_plots(sbuf *b, const char *dir, const plot *plots)
{
    sbuf_puts(b, "<h2>Plots</h2>\n");
    int missing = 0;
    for (int i = 0; i < N_PLOTS; i++)
        missing += plots[i].missing[0] != '\0';
    if (missing) {
        sbuf_printf(b, "<p class=\"missing\">Plots are missing (%d of %d): ", missing, N_PLOTS);
        for (int i = 0, first = 1; i < N_PLOTS; i++) {
            /* Each reason once: usually they all say the same. */
            int seen = !plots[i].missing[0];
            for (int j = 0; j < i && !seen; j++)
                seen = strcmp(plots[j].missing, plots[i].missing) == 0;
            if (seen)
                continue;
            if (!first)
                sbuf_puts(b, "; ");
            html_esc(b, plots[i].missing);
            first = 0;
        }
        sbuf_puts(b, "</p>\n");
    }
    for (int i = 0; i < N_PLOTS; i++)
        html_plot(b, dir, &plots[i]);
}

static char *html_text(const char *dir, const cJSON *s, const plot *plots)
{
    sbuf b = SBUF_INIT;
    const char *name = get_str(s, "name", "unnamed");
    /* The policy makes the page's promise checkable: a browser refuses
     * anything but inline styles and data: images. */
    sbuf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                  "img-src data:; style-src 'unsafe-inline'\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<title>surge: ");
    html_esc(&b, name);
    sbuf_printf(&b, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>surge run: ", css);
    html_esc(&b, name);
    sbuf_puts(&b, "</h1>\n<p class=\"sub\">");
    char num[64], num2[64];
    const char *seed = fmt_value(get(s, "seed"), num, sizeof num);
    const char *scale = fmt_value(get(s, "time_scale"), num2, sizeof num2);
    sbuf_puts(&b, "seed ");
    html_esc(&b, seed ? seed : "?");
    sbuf_puts(&b, " &middot; time scale ");
    html_esc(&b, scale ? scale : "?");
    sbuf_puts(&b, "&times; &middot; started ");
    html_esc(&b, get_str(s, "started_at", "?"));
    sbuf_puts(&b, "</p>\n");
    html_banner(&b, s);
    html_gates(&b, s);
    html_baseline(&b, s);
    html_run(&b, s);
    html_plots(&b, dir, plots);
    html_metrics(&b, s);
    html_demand(&b, s);
    html_shops(&b, s);
    html_fields_apart(&b, s);
    html_skus(&b, s);
    const cJSON *sc = get(s, "scenario");
    if (sc) {
        char *text = cJSON_Print(sc);
        sbuf_puts(&b, "<h2>Scenario</h2>\n<details><summary>the scenario as loaded</summary>"
                      "<pre>");
        html_esc(&b, text ? text : "");
        sbuf_puts(&b, "</pre></details>\n");
        cJSON_free(text);
    }
    sbuf_puts(&b, "<footer>Written by surge from summary.json, timeseries.csv, events.csv and "
                  "propagation.csv in this folder; plots drawn by gnuplot from the .gp scripts beside them. "
                  "All times are simulated unless marked real.</footer>\n</body>\n</html>\n");
    return sbuf_take(&b);
}

/* ---- the whole report --------------------------------------------------- */

int report_write(const char *dir, const cJSON *summary, char *err, size_t errlen)
{
    int rc = -1;
    cJSON *loaded = NULL;
    char *path = NULL, *html = NULL;
    plot plots[N_PLOTS] = {
        {"demand", "Demand: checkouts, accepted and sold out per second", "", ""},
        {"queue", "Engine queue depth", "", ""},
        {"latency", "Order push latency distribution (CDF)", "", ""},
        {"propagation", "Inventory propagation latency distribution (CDF)", "", ""},
        {"stock", "Hot SKUs: Shopify available vs truly sellable", "", ""},
    };
    if (!summary) {
        json_err je;
        path = xasprintf("%s/summary.json", dir);
        loaded = json_load_file(path, MAX_SUMMARY_BYTES, &je);
        if (!loaded) {
            snprintf(err, errlen, "%s", je.msg);
            goto out;
        }
        summary = loaded;
        free(path);
        path = NULL;
    }
    path = xasprintf("%s/junit.xml", dir);
    if (report_junit(path, summary, err, errlen) != 0)
        goto out;
    if (draw_plots(dir, plots, err, errlen) != 0)
        goto out;
    html = html_text(dir, summary, plots);
    free(path);
    path = xasprintf("%s/report.html", dir);
    if (write_file(path, html, strlen(html), err, errlen) != 0)
        goto out;
    rc = 0;
out:
    free(html);
    free(path);
    cJSON_Delete(loaded);
    return rc;
}
