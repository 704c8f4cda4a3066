/* Demand generation; see demand.h. */
#include "demand.h"

#include "mem.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const sc_stream *st;
    int index;
    rng when;      /* arrival times */
    rng what;      /* contents */
    double next;   /* next arrival time, ms; INFINITY when done */
    uint64_t count;
    size_t replay_pos;
    double *zipf_cdf; /* over the candidate SKUs */
    int *cands;
    size_t n_cands;
} gen;

struct demand {
    const scenario *s;
    gen *gens;
    size_t n;
    uint64_t seq;
};

static double rate_at(const sc_stream *st, double t)
{
    switch (st->shape) {
    case SHAPE_RAMP: {
        double f = st->len > 0 ? (t - (double)st->at) / (double)st->len : 0;
        if (f < 0)
            f = 0;
        if (f > 1)
            f = 1;
        return st->rate + (st->rate_to - st->rate) * f;
    }
    case SHAPE_SPIKE:
        if (t >= (double)st->spike_at && t < (double)(st->spike_at + st->spike_len))
            return st->rate * st->spike_factor;
        return st->rate;
    default:
        return st->rate;
    }
}

static double rate_max(const sc_stream *st)
{
    switch (st->shape) {
    case SHAPE_RAMP: return st->rate > st->rate_to ? st->rate : st->rate_to;
    case SHAPE_SPIKE: return st->rate * (st->spike_factor > 1 ? st->spike_factor : 1);
    default: return st->rate;
    }
}

/* Moves g to its next arrival time (or INFINITY). */
static void advance(gen *g)
{
    const sc_stream *st = g->st;
    double end = (double)(st->at + st->len);
    double t;
    switch (st->shape) {
    case SHAPE_CONSTANT:
        t = (double)st->at + (double)g->count * 1000.0 / st->rate;
        break;
    case SHAPE_POISSON:
        t = (g->count ? g->next : (double)st->at) + rng_exponential(&g->when, 1000.0 / st->rate);
        break;
    case SHAPE_RAMP:
    case SHAPE_SPIKE: {
        /* Thinning: candidates at the peak rate, kept with rate(t)/peak. */
        double peak = rate_max(st);
        t = g->count ? g->next : (double)st->at;
        for (;;) {
            t += rng_exponential(&g->when, 1000.0 / peak);
            if (t >= end || rng_uniform(&g->when) * peak < rate_at(st, t))
                break;
        }
        break;
    }
    case SHAPE_REPLAY:
        if (g->replay_pos >= st->n_replay) {
            g->next = INFINITY;
            return;
        }
        t = (double)st->at + (double)st->replay[g->replay_pos].t / st->replay_speed;
        break;
    default:
        t = INFINITY;
    }
    g->next = t < end ? t : INFINITY;
}

demand *demand_new(const scenario *s, uint64_t seed)
{
    demand *d = xcalloc(1, sizeof *d);
    d->s = s;
    d->n = s->n_streams;
    d->gens = xcalloc(d->n + 1, sizeof *d->gens);
    for (size_t i = 0; i < d->n; i++) {
        gen *g = &d->gens[i];
        g->st = &s->streams[i];
        g->index = (int)i;
        rng_derive(&g->when, seed, 2 * i + 1);
        rng_derive(&g->what, seed, 2 * i + 2);
        if (g->st->n_skus) {
            g->cands = xcalloc(g->st->n_skus, sizeof *g->cands);
            memcpy(g->cands, g->st->skus, g->st->n_skus * sizeof *g->cands);
            g->n_cands = g->st->n_skus;
        } else {
            g->cands = xcalloc(s->n_skus, sizeof *g->cands);
            for (size_t k = 0; k < s->n_skus; k++)
                g->cands[k] = (int)k;
            g->n_cands = s->n_skus;
        }
        if (g->st->mix == MIX_ZIPF) {
            g->zipf_cdf = xcalloc(g->n_cands, sizeof *g->zipf_cdf);
            double sum = 0;
            for (size_t k = 0; k < g->n_cands; k++) {
                sum += 1.0 / pow((double)(k + 1), g->st->zipf_s);
                g->zipf_cdf[k] = sum;
            }
            for (size_t k = 0; k < g->n_cands; k++)
                g->zipf_cdf[k] /= sum;
        }
        advance(g);
    }
    return d;
}

void demand_free(demand *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->gens[i].zipf_cdf);
        free(d->gens[i].cands);
    }
    free(d->gens);
    free(d);
}

static int pick_sku(gen *g)
{
    const sc_stream *st = g->st;
    switch (st->mix) {
    case MIX_ZIPF: {
        double u = rng_uniform(&g->what);
        size_t lo = 0, hi = g->n_cands - 1;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (g->zipf_cdf[mid] < u)
                lo = mid + 1;
            else
                hi = mid;
        }
        return g->cands[lo];
    }
    case MIX_HOT:
        if (rng_uniform(&g->what) < st->hot_share)
            return st->hot[rng_below(&g->what, st->n_hot)];
        return g->cands[rng_below(&g->what, g->n_cands)];
    default:
        return g->cands[rng_below(&g->what, g->n_cands)];
    }
}

static int pick_region(gen *g)
{
    const sc_stream *st = g->st;
    if (!st->n_regions)
        return -1;
    double total = 0;
    for (size_t i = 0; i < st->n_regions; i++)
        total += st->regions[i].weight;
    double u = rng_uniform(&g->what) * total;
    for (size_t i = 0; i < st->n_regions; i++) {
        if (u < st->regions[i].weight)
            return (int)i;
        u -= st->regions[i].weight;
    }
    return (int)st->n_regions - 1;
}

static int64_t pick_range(rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)rng_below(r, (uint64_t)(hi - lo + 1));
}

/* Fills the contents of g's current arrival. */
static void fill(const scenario *s, gen *g, demand_arrival *a)
{
    const sc_stream *st = g->st;
    a->stream = g->index;
    a->shopify = strcmp(st->channel, "shopify") == 0;
    a->replay_row = -1;
    a->region = -1;
    a->warehouse = st->warehouse;
    /* Before the replay branch: a replayed other-channel sale needs a
     * warehouse too (first draw of every arrival, as before). */
    if (!a->shopify && a->warehouse < 0)
        a->warehouse = (int)rng_below(&g->what, s->n_warehouses);
    if (st->shape == SHAPE_REPLAY) {
        const sc_replay_order *row = &st->replay[g->replay_pos];
        a->replay_row = (int)g->replay_pos;
        a->shop = st->shop >= 0 ? st->shop : 0;
        if (row->shop)
            for (size_t k = 0; k < s->n_shops; k++)
                if (strcmp(s->shops[k].domain, row->shop) == 0)
                    a->shop = (int)k;
        /* The reader kept at most DEMAND_MAX_LINES lines, each a SKU of the
         * catalog (a Shopify SKU first, as Shopify's export gives). */
        a->n_lines = 0;
        for (size_t l = 0; l < row->n_lines && l < DEMAND_MAX_LINES; l++) {
            int sku = scenario_sku_by_shopify(s, row->lines[l].sku);
            if (sku < 0)
                sku = scenario_sku_index(s, row->lines[l].sku);
            int k = 0;
            while (k < a->n_lines && a->lines[k].sku != sku)
                k++; /* one SKU by both its names: one line */
            if (k == a->n_lines) {
                a->lines[k].sku = sku;
                a->lines[k].qty = 0;
                a->n_lines++;
            }
            a->lines[k].qty += row->lines[l].qty;
        }
        for (size_t r = 0; row->country && r < st->n_regions; r++)
            if (strcmp(st->regions[r].country, row->country) == 0 &&
                (!row->postcode || strncmp(row->postcode, st->regions[r].postcode,
                                           strlen(st->regions[r].postcode)) == 0))
                a->region = (int)r;
        return;
    }
    a->shop = st->shop >= 0 ? st->shop : (int)(g->count % s->n_shops);
    int n = a->shopify ? (int)pick_range(&g->what, st->lines_min, st->lines_max) : 1;
    if (n > DEMAND_MAX_LINES)
        n = DEMAND_MAX_LINES;
    a->n_lines = 0;
    for (int i = 0; i < n; i++) {
        int sku = pick_sku(g);
        int64_t qty = pick_range(&g->what, st->qty_min, st->qty_max);
        int merged = 0;
        for (int k = 0; k < a->n_lines && !merged; k++)
            if (a->lines[k].sku == sku) {
                a->lines[k].qty += qty;
                merged = 1;
            }
        if (!merged) {
            a->lines[a->n_lines].sku = sku;
            a->lines[a->n_lines].qty = qty;
            a->n_lines++;
        }
    }
    a->region = a->shopify ? pick_region(g) : -1;
}

int demand_next(demand *d, demand_arrival *out)
{
    gen *best = NULL;
    for (size_t i = 0; i < d->n; i++)
        if (d->gens[i].next != INFINITY && (!best || d->gens[i].next < best->next))
            best = &d->gens[i];
    if (!best)
        return 0;
    memset(out, 0, sizeof *out);
    out->t = (int64_t)llround(best->next);
    out->seq = d->seq++;
    fill(d->s, best, out);
    best->count++;
    best->replay_pos++;
    advance(best);
    return 1;
}

void demand_csv(const scenario *s, const demand_arrival *a, sbuf *out)
{
    sbuf_printf(out, "%lld,%llu,%s,%s,%s,%s,", (long long)a->t, (unsigned long long)a->seq,
                s->streams[a->stream].name, s->streams[a->stream].channel,
                a->shopify ? s->shops[a->shop].domain : s->warehouses[a->warehouse].name,
                a->region >= 0 ? s->streams[a->stream].regions[a->region].country : "");
    for (int i = 0; i < a->n_lines; i++)
        sbuf_printf(out, "%s%s:%lld", i ? ";" : "", s->skus[a->lines[i].sku].sku,
                    (long long)a->lines[i].qty);
    sbuf_putc(out, '\n');
}
