/* Prometheus metrics; see metrics.h. */
#include "metrics.h"

#include "counters.h"
#include "hist.h"
#include "mem.h"
#include "sbuf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *name;
    hist *h;
} summary;

struct metrics {
    counters *counts;
    counters *gauges;
    pthread_mutex_t lock; /* summaries */
    summary *sums;
    size_t n_sums;
};

metrics *metrics_new(void)
{
    metrics *m = xcalloc(1, sizeof *m);
    m->counts = counters_new();
    m->gauges = counters_new();
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

void metrics_free(metrics *m)
{
    if (!m)
        return;
    counters_free(m->counts);
    counters_free(m->gauges);
    for (size_t i = 0; i < m->n_sums; i++) {
        free(m->sums[i].name);
        hist_free(m->sums[i].h);
    }
    free(m->sums);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void metrics_inc(metrics *m, const char *name, int64_t delta)
{
    counters_add(m->counts, name, delta);
}

int64_t metrics_get(metrics *m, const char *name)
{
    return counters_get(m->counts, name);
}

void metrics_set(metrics *m, const char *name, int64_t value)
{
    counters_add(m->gauges, name, value - counters_get(m->gauges, name));
}

void metrics_observe_ms(metrics *m, const char *name, double ms)
{
    pthread_mutex_lock(&m->lock);
    summary *s = NULL;
    for (size_t i = 0; i < m->n_sums && !s; i++)
        if (strcmp(m->sums[i].name, name) == 0)
            s = &m->sums[i];
    if (!s) {
        m->sums = xrealloc(m->sums, (m->n_sums + 1) * sizeof *m->sums);
        s = &m->sums[m->n_sums++];
        s->name = xstrdup(name);
        s->h = hist_new();
    }
    hist_record(s->h, (int64_t)(ms * 1000.0));
    pthread_mutex_unlock(&m->lock);
}

typedef struct {
    sbuf *out;
    const char *type;
    char last[128];
} render_ctx;

/* The metric name without its labels. */
static void base_name(const char *name, char *out, size_t n)
{
    size_t len = strcspn(name, "{");
    if (len >= n)
        len = n - 1;
    memcpy(out, name, len);
    out[len] = '\0';
}

static void render_one(const char *name, int64_t value, void *ud)
{
    render_ctx *c = ud;
    char base[128];
    base_name(name, base, sizeof base);
    if (strcmp(base, c->last) != 0) {
        sbuf_printf(c->out, "# TYPE %s %s\n", base, c->type);
        snprintf(c->last, sizeof c->last, "%s", base);
    }
    sbuf_printf(c->out, "%s %lld\n", name, (long long)value);
}

/* name{a="b"} + quantile → name{a="b",quantile="0.5"} */
static void with_label(sbuf *b, const char *name, const char *suffix, const char *label)
{
    const char *brace = strchr(name, '{');
    if (!brace) {
        sbuf_printf(b, "%s%s", name, suffix);
        if (label)
            sbuf_printf(b, "{%s}", label);
        return;
    }
    sbuf_append(b, name, (size_t)(brace - name));
    sbuf_puts(b, suffix);
    size_t inner = strlen(brace) - 2; /* without braces */
    sbuf_putc(b, '{');
    sbuf_append(b, brace + 1, inner);
    if (label)
        sbuf_printf(b, ",%s", label);
    sbuf_putc(b, '}');
}

char *metrics_render(metrics *m)
{
    sbuf b = SBUF_INIT;
    render_ctx c = {&b, "counter", ""};
    counters_each(m->counts, render_one, &c);
    render_ctx g = {&b, "gauge", ""};
    counters_each(m->gauges, render_one, &g);
    static const double qs[] = {0.5, 0.95, 0.99, 1.0};
    pthread_mutex_lock(&m->lock);
    char last[128] = "";
    for (size_t i = 0; i < m->n_sums; i++) {
        summary *s = &m->sums[i];
        char base[128];
        base_name(s->name, base, sizeof base);
        if (strcmp(base, last) != 0) {
            sbuf_printf(&b, "# TYPE %s summary\n", base);
            snprintf(last, sizeof last, "%s", base);
        }
        for (size_t q = 0; q < sizeof qs / sizeof qs[0]; q++) {
            char label[32];
            snprintf(label, sizeof label, "quantile=\"%g\"", qs[q]);
            with_label(&b, s->name, "", label);
            sbuf_printf(&b, " %.3f\n", (double)hist_percentile(s->h, qs[q] * 100) / 1000.0);
        }
        with_label(&b, s->name, "_sum", NULL);
        sbuf_printf(&b, " %.3f\n", hist_mean(s->h) * (double)hist_count(s->h) / 1000.0);
        with_label(&b, s->name, "_count", NULL);
        sbuf_printf(&b, " %llu\n", (unsigned long long)hist_count(s->h));
    }
    pthread_mutex_unlock(&m->lock);
    return sbuf_take(&b);
}
