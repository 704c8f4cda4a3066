/* The sweep's table; see sweeptab.h. */
#include "sweeptab.h"

#include "mem.h"
#include "sbuf.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* sweep.csv is small (a row per point); a larger file is not ours. */
#define SWEEPTAB_MAX_BYTES (64u << 20)

static char **dup_names(const char *const *names, size_t n)
{
    char **out = xcalloc(n + 1, sizeof *out);
    for (size_t i = 0; i < n; i++)
        out[i] = xstrdup(names[i]);
    return out;
}

void sweeptab_init(sweep_table *t, const char *const *params, size_t n_params,
                   const char *const *metrics, size_t n_metrics, int with_sd)
{
    memset(t, 0, sizeof *t);
    t->params = dup_names(params, n_params);
    t->n_params = n_params;
    t->metrics = dup_names(metrics, n_metrics);
    t->n_metrics = n_metrics;
    t->with_sd = with_sd;
}

void sweeptab_add(sweep_table *t, sweep_row r)
{
    t->rows = xrealloc(t->rows, (t->n_rows + 1) * sizeof *t->rows);
    t->rows[t->n_rows++] = r;
}

static int cmp_row_index(const void *a, const void *b)
{
    const sweep_row *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

void sweeptab_sort_index(sweep_table *t)
{
    if (t->n_rows)
        qsort(t->rows, t->n_rows, sizeof *t->rows, cmp_row_index);
}

static void row_free(sweep_row *r, size_t n_params)
{
    for (size_t i = 0; i < n_params && r->values; i++)
        free(r->values[i]);
    free(r->values);
    free(r->shard);
    free(r->seeds);
    free(r->exits);
    free(r->status);
    free(r->mean);
    free(r->sd);
}

static void names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n && names; i++)
        free(names[i]);
    free(names);
}

void sweeptab_free(sweep_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_rows; i++)
        row_free(&t->rows[i], t->n_params);
    free(t->rows);
    names_free(t->params, t->n_params);
    names_free(t->metrics, t->n_metrics);
    memset(t, 0, sizeof *t);
}

int sweeptab_metric(const sweep_table *t, const char *name)
{
    for (size_t i = 0; i < t->n_metrics; i++)
        if (strcmp(t->metrics[i], name) == 0)
            return (int)i;
    return -1;
}

void sweeptab_stats(const double *v, size_t n, double *mean, double *sd)
{
    double sum = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i])) {
            sum += v[i];
            k++;
        }
    *mean = k ? sum / (double)k : NAN;
    *sd = NAN;
    if (k < 2)
        return;
    double sq = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            sq += (v[i] - *mean) * (v[i] - *mean);
    *sd = sqrt(sq / (double)(k - 1));
}

/* ---- CSV ------------------------------------------------------------------- */

/* A cell, quoted when it holds a comma, a quote, a line break or edge spaces. */
static void csv_cell(sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (!strpbrk(s, ",\"\r\n") && !(n && (s[0] == ' ' || s[n - 1] == ' '))) {
        sbuf_puts(b, s);
        return;
    }
    sbuf_putc(b, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            sbuf_putc(b, '"');
        sbuf_putc(b, *p);
    }
    sbuf_putc(b, '"');
}

static void csv_number(sbuf *b, double v)
{
    if (!isnan(v))
        sbuf_printf(b, "%.10g", v);
}

char *sweeptab_csv(const sweep_table *t, const unsigned char *keep)
{
    sbuf b = SBUF_INIT;
    sbuf_puts(&b, "index,shard");
    for (size_t p = 0; p < t->n_params; p++) {
        sbuf_putc(&b, ',');
        csv_cell(&b, t->params[p]);
    }
    sbuf_puts(&b, ",seeds,exit_codes,status");
    for (size_t m = 0; m < t->n_metrics; m++) {
        sbuf_printf(&b, ",%s", t->metrics[m]);
        if (t->with_sd)
            sbuf_printf(&b, ",%s.sd", t->metrics[m]);
    }
    sbuf_putc(&b, '\n');
    for (size_t i = 0; i < t->n_rows; i++) {
        const sweep_row *r = &t->rows[i];
        if (keep && !keep[i])
            continue;
        sbuf_printf(&b, "%zu,", r->index);
        csv_cell(&b, r->shard);
        for (size_t p = 0; p < t->n_params; p++) {
            sbuf_putc(&b, ',');
            csv_cell(&b, r->values[p]);
        }
        sbuf_putc(&b, ',');
        csv_cell(&b, r->seeds);
        sbuf_putc(&b, ',');
        csv_cell(&b, r->exits);
        sbuf_putc(&b, ',');
        csv_cell(&b, r->status);
        for (size_t m = 0; m < t->n_metrics; m++) {
            sbuf_putc(&b, ',');
            csv_number(&b, r->mean[m]);
            if (t->with_sd) {
                sbuf_putc(&b, ',');
                csv_number(&b, r->sd[m]);
            }
        }
        sbuf_putc(&b, '\n');
    }
    return sbuf_take(&b);
}

/* One record of CSV text from *pos: its cells (malloc'd, NULL-terminated
 * array of malloc'd strings) and their count; NULL at the end of the text
 * or on an unterminated quote (*bad set). */
static char **csv_record(const char **pos, size_t *n, int *bad)
{
    const char *p = *pos;
    *n = 0;
    if (!*p)
        return NULL;
    char **cells = NULL;
    sbuf cell = SBUF_INIT;
    for (;;) {
        sbuf_reset(&cell);
        if (*p == '"') {
            for (p++;; p++) {
                if (!*p) {
                    *bad = 1;
                    break;
                }
                if (*p == '"' && p[1] != '"')
                    break;
                if (*p == '"')
                    p++;
                sbuf_putc(&cell, *p);
            }
            if (*bad)
                break;
            p++;
        }
        while (*p && *p != ',' && *p != '\n' && *p != '\r')
            sbuf_putc(&cell, *p++);
        cells = xrealloc(cells, (*n + 2) * sizeof *cells);
        cells[(*n)++] = xstrdup(sbuf_str(&cell));
        cells[*n] = NULL;
        if (*p != ',')
            break;
        p++;
    }
    sbuf_free(&cell);
    if (*p == '\r')
        p++;
    if (*p == '\n')
        p++;
    *pos = p;
    if (*bad) {
        names_free(cells, *n);
        return NULL;
    }
    return cells;
}

/* The table's shape from the header; -1 with a message when it is not a
 * sweep.csv header. */
static int read_header(char **h, size_t n, sweep_table *t, const char *path, char *err,
                       size_t errlen)
{
    size_t seeds = 2;
    while (seeds < n && strcmp(h[seeds], "seeds") != 0)
        seeds++;
    if (n < 5 || strcmp(h[0], "index") != 0 || strcmp(h[1], "shard") != 0 || seeds + 2 >= n ||
        strcmp(h[seeds + 1], "exit_codes") != 0 || strcmp(h[seeds + 2], "status") != 0) {
        snprintf(err, errlen, "%s: line 1: not a sweep.csv header (index,shard,PARAMS...,seeds,"
                              "exit_codes,status,METRICS...)", path);
        return -1;
    }
    size_t first = seeds + 3, n_cols = n - first;
    int with_sd = n_cols >= 2 && strlen(h[first + 1]) == strlen(h[first]) + 3 &&
                  strncmp(h[first + 1], h[first], strlen(h[first])) == 0;
    if (with_sd && n_cols % 2) {
        snprintf(err, errlen, "%s: line 1: a metric without its .sd column", path);
        return -1;
    }
    size_t n_metrics = with_sd ? n_cols / 2 : n_cols;
    const char **metrics = xcalloc(n_metrics + 1, sizeof *metrics);
    for (size_t m = 0; m < n_metrics; m++)
        metrics[m] = h[first + (with_sd ? 2 * m : m)];
    sweeptab_init(t, (const char *const *)h + 2, seeds - 2, metrics, n_metrics, with_sd);
    free(metrics);
    return 0;
}

/* A number cell: "" is NAN; -1 when it is not a number. */
static int read_number(const char *s, double *v)
{
    if (!*s) {
        *v = NAN;
        return 0;
    }
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return *end || errno ? -1 : 0;
}

static int read_row(char **c, size_t n, sweep_table *t, const char *path, size_t line,
                    char *err, size_t errlen)
{
    size_t want = 5 + t->n_params + t->n_metrics * (t->with_sd ? 2 : 1);
    char *end;
    errno = 0;
    unsigned long long index = strtoull(c[0], &end, 10);
    if (n != want || !*c[0] || *end || errno) {
        snprintf(err, errlen, "%s: line %zu: %s", path, line,
                 n != want ? "wrong number of cells" : "the index is not a whole number");
        return -1;
    }
    sweep_row r = {.index = (size_t)index, .shard = xstrdup(c[1])};
    r.values = xcalloc(t->n_params + 1, sizeof *r.values);
    for (size_t p = 0; p < t->n_params; p++)
        r.values[p] = xstrdup(c[2 + p]);
    size_t k = 2 + t->n_params;
    r.seeds = xstrdup(c[k]);
    r.exits = xstrdup(c[k + 1]);
    r.status = xstrdup(c[k + 2]);
    r.mean = xcalloc(t->n_metrics + 1, sizeof *r.mean);
    r.sd = xcalloc(t->n_metrics + 1, sizeof *r.sd);
    k += 3;
    int bad = 0;
    for (size_t m = 0; m < t->n_metrics; m++) {
        bad |= read_number(c[k++], &r.mean[m]);
        r.sd[m] = NAN;
        if (t->with_sd)
            bad |= read_number(c[k++], &r.sd[m]);
    }
    sweeptab_add(t, r);
    if (bad) {
        snprintf(err, errlen, "%s: line %zu: a metric cell is not a number", path, line);
        return -1;
    }
    return 0;
}

int sweeptab_read(const char *path, sweep_table *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    sbuf text = SBUF_INIT;
    int rc = sbuf_read_stream(&text, f, SWEEPTAB_MAX_BYTES);
    fclose(f);
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot be read (or is over %u bytes)", path,
                 SWEEPTAB_MAX_BYTES);
        sbuf_free(&text);
        return -1;
    }
    const char *pos = sbuf_str(&text);
    size_t n, line = 1;
    int bad = 0;
    char **cells = csv_record(&pos, &n, &bad);
    rc = cells ? read_header(cells, n, t, path, err, errlen) : -1;
    if (!cells)
        snprintf(err, errlen, "%s: empty, or a quote is not closed", path);
    names_free(cells, n);
    while (rc == 0 && (cells = csv_record(&pos, &n, &bad)) != NULL) {
        line++;
        rc = read_row(cells, n, t, path, line, err, errlen);
        names_free(cells, n);
    }
    if (rc == 0 && bad) {
        snprintf(err, errlen, "%s: line %zu: a quote is not closed", path, line + 1);
        rc = -1;
    }
    sbuf_free(&text);
    if (rc != 0)
        sweeptab_free(t);
    return rc;
}

/* ---- order, front, print ------------------------------------------------------ */

static int has_result(const sweep_row *r)
{
    return strcmp(r->status, SWEEP_FAILED) != 0;
}

/* -1, 0, 1 as a is better, equal, worse than b (missing numbers last). */
static int cmp_cell(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) - isnan(b);
    return (a > b) - (a < b);
}

typedef struct {
    const sweep_table *t;
    const int *by;
    size_t n_by;
} order_ctx;

static int cmp_order(const void *pa, const void *pb, void *ud)
{
    const order_ctx *o = ud;
    const sweep_row *a = &o->t->rows[*(const size_t *)pa];
    const sweep_row *b = &o->t->rows[*(const size_t *)pb];
    if (has_result(a) != has_result(b))
        return has_result(b) - has_result(a);
    for (size_t i = 0; i < o->n_by; i++) {
        int c = o->by[i] < 0 ? 0 : cmp_cell(a->mean[o->by[i]], b->mean[o->by[i]]);
        if (c)
            return c;
    }
    return (a->index > b->index) - (a->index < b->index);
}

size_t *sweeptab_order(const sweep_table *t, const int *by, size_t n_by)
{
    size_t *order = xcalloc(t->n_rows + 1, sizeof *order);
    for (size_t i = 0; i < t->n_rows; i++)
        order[i] = i;
    order_ctx o = {t, by, n_by};
    if (t->n_rows)
        qsort_r(order, t->n_rows, sizeof *order, cmp_order, &o);
    return order;
}

/* 1 when a dominates b on the columns: nowhere worse, somewhere better. */
static int dominates(const sweep_row *a, const sweep_row *b, const int *cols, size_t n)
{
    int better = 0;
    for (size_t i = 0; i < n; i++) {
        if (cols[i] < 0)
            continue;
        int c = cmp_cell(a->mean[cols[i]], b->mean[cols[i]]);
        if (c > 0)
            return 0;
        better |= c < 0;
    }
    return better;
}

size_t sweeptab_pareto(const sweep_table *t, const int *cols, size_t n_cols,
                       unsigned char *front)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_rows; i++) {
        front[i] = has_result(&t->rows[i]);
        for (size_t j = 0; j < t->n_rows && front[i]; j++)
            if (j != i && has_result(&t->rows[j]) &&
                dominates(&t->rows[j], &t->rows[i], cols, n_cols))
                front[i] = 0;
        n += front[i];
    }
    return n;
}

/* The text of row r's cell in printed column c (see sweeptab_print). */
static void print_cell(const sweep_table *t, const sweep_row *r, size_t rank, size_t c,
                       const int *cols, char *out, size_t n)
{
    size_t fixed = 3 + t->n_params;
    if (c == 0)
        snprintf(out, n, "%zu", rank);
    else if (c == 1)
        snprintf(out, n, "%zu", r->index);
    else if (c < 2 + t->n_params)
        snprintf(out, n, "%s", r->values[c - 2]);
    else if (c == 2 + t->n_params)
        snprintf(out, n, "%s", r->status);
    else {
        int m = cols[c - fixed];
        double mean = m >= 0 ? r->mean[m] : NAN, sd = m >= 0 ? r->sd[m] : NAN;
        if (isnan(mean))
            snprintf(out, n, "-");
        else if (t->with_sd && !isnan(sd))
            snprintf(out, n, "%.6g ± %.3g", mean, sd);
        else
            snprintf(out, n, "%.6g", mean);
    }
}

static const char *print_head(const sweep_table *t, size_t c, const int *cols)
{
    static const char *const fixed[] = {"rank", "index"};
    if (c < 2)
        return fixed[c];
    if (c < 2 + t->n_params)
        return t->params[c - 2];
    if (c == 2 + t->n_params)
        return "status";
    int m = cols[c - 3 - t->n_params];
    return m >= 0 ? t->metrics[m] : "?";
}

/* Display width of UTF-8 text (the ± counts once). */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        w += (*p & 0xC0) != 0x80;
    return w;
}

void sweeptab_print(const sweep_table *t, const size_t *order, const int *cols, size_t n_cols,
                    FILE *out)
{
    size_t n_print = 3 + t->n_params + n_cols;
    size_t *width = xcalloc(n_print, sizeof *width);
    char cell[128];
    for (size_t c = 0; c < n_print; c++) {
        width[c] = text_width(print_head(t, c, cols));
        for (size_t i = 0; i < t->n_rows; i++) {
            print_cell(t, &t->rows[order[i]], i + 1, c, cols, cell, sizeof cell);
            if (text_width(cell) > width[c])
                width[c] = text_width(cell);
        }
    }
    for (size_t i = 0; i <= t->n_rows; i++) {
        for (size_t c = 0; c < n_print; c++) {
            const char *text = cell;
            if (i == 0)
                text = print_head(t, c, cols);
            else
                print_cell(t, &t->rows[order[i - 1]], i, c, cols, cell, sizeof cell);
            fprintf(out, "%s%s%*s", c ? "  " : "", text, (int)(width[c] - text_width(text)), "");
        }
        fputc('\n', out);
    }
    free(width);
}
