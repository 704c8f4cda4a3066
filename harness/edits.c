/* Staff edits of product data; see edits.h. */
#include "edits.h"

#include "mem.h"
#include "rng.h"
#include "setup.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Streams of the rngs: away from demand's (2i + 1, 2i + 2). */
#define EDITS_RNG_BASE 0x6f776e0000000000ULL

typedef struct {
    int64_t t;
    int stream;
    size_t rank;
} slot;

static int cmp_slot(const void *a, const void *b)
{
    const slot *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->stream != y->stream)
        return x->stream < y->stream ? -1 : 1;
    return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* Every stream's edit times, merged in time order. */
static slot *edit_times(const scenario *s, size_t *n_out)
{
    slot *sl = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < s->ownership.n_edits; i++) {
        const sc_edit_stream *st = &s->ownership.edits[i];
        rng when;
        rng_derive(&when, s->seed, EDITS_RNG_BASE + 2 * i);
        int64_t end = st->at + st->len < s->duration_ms ? st->at + st->len : s->duration_ms;
        double t = (double)st->at;
        for (size_t k = 0; n < EDITS_MAX; k++) {
            t += rng_exponential(&when, 1000.0 / st->rate);
            if (t >= (double)end)
                break;
            XGROW(sl, n, cap, 256);
            sl[n++] = (slot){(int64_t)t, (int)i, k};
        }
    }
    if (n)
        qsort(sl, n, sizeof *sl, cmp_slot);
    *n_out = n;
    return sl;
}

/* A SKU of the stream; for an edit of cost at Cin7, one with a supplier. */
static int draw_sku(const scenario *s, const sc_edit_stream *st, rng *r, int need_supplier)
{
    size_t n = st->skus ? st->n_skus : s->n_skus;
    for (;;) {
        size_t i = (size_t)rng_below(r, n);
        int k = st->skus ? st->skus[i] : (int)i;
        if (!need_supplier || s->skus[k].supplier)
            return k;
    }
}

/* A field of the stream; status only a tenth of the times it is drawn
 * while there are others. */
static sc_field draw_field(const sc_edit_stream *st, rng *r)
{
    sc_field list[SC_N_FIELDS];
    int n = 0;
    for (int f = 0; f < SC_N_FIELDS; f++)
        if (st->fields & (1u << f))
            list[n++] = (sc_field)f;
    sc_field f = list[rng_below(r, (uint64_t)n)];
    while (f == SC_FIELD_STATUS && n > 1 && rng_uniform(r) >= 0.1)
        f = list[rng_below(r, (uint64_t)n)];
    return f;
}

/* v moved by ±lo..hi (a fraction), at least 1 and never v itself. */
static int64_t moved(int64_t v, double lo, double hi, rng *r)
{
    double pct = rng_range(r, lo, hi);
    int64_t n = llround((double)v * (rng_uniform(r) < 0.5 ? 1 - pct : 1 + pct));
    if (n < 1)
        n = 1;
    return n == v ? v + 1 : n;
}

static int64_t new_value(sc_field f, const int64_t *cur, rng *r)
{
    switch (f) {
    case SC_FIELD_PRICE:
    case SC_FIELD_COST:
        return moved(cur[f], 0.05, 0.20, r);
    case SC_FIELD_COMPARE_AT: {
        int64_t price = cur[SC_FIELD_PRICE];
        if (cur[f] && rng_uniform(r) < 1.0 / 3)
            return 0;
        int64_t v = cur[f] ? moved(cur[f], 0.05, 0.20, r) : 0;
        if (v <= price)
            v = llround((double)price * (1 + rng_range(r, 0.05, 0.20)));
        return v > price ? v : price + 1;
    }
    case SC_FIELD_TITLE:
        return cur[f] + 1;
    case SC_FIELD_BARCODE:
        return 100000000000LL + (int64_t)rng_below(r, 900000000000ULL);
    case SC_FIELD_WEIGHT:
        return moved(cur[f], 0.02, 0.10, r);
    case SC_FIELD_STATUS:
    default:
        return !cur[f];
    }
}

void edits_plan(const scenario *s, edit_plan *out)
{
    out->e = NULL;
    out->n = 0;
    if (!s->ownership.given || !s->ownership.n_edits)
        return;
    size_t n = 0;
    slot *sl = edit_times(s, &n);
    int64_t *cur = xcalloc(s->n_skus * SC_N_FIELDS + 1, sizeof *cur);
    for (size_t k = 0; k < s->n_skus; k++) {
        int64_t *c = &cur[k * SC_N_FIELDS];
        c[SC_FIELD_PRICE] = setup_price_cents(s, k);
        c[SC_FIELD_COST] = setup_cost_cents(s, k);
        c[SC_FIELD_WEIGHT] = SETUP_WEIGHT_GRAMS;
        c[SC_FIELD_STATUS] = 1;
    }
    rng *what = xcalloc(s->ownership.n_edits, sizeof *what);
    for (size_t i = 0; i < s->ownership.n_edits; i++)
        rng_derive(&what[i], s->seed, EDITS_RNG_BASE + 2 * i + 1);
    out->e = xcalloc(n + 1, sizeof *out->e);
    for (size_t i = 0; i < n; i++) {
        const sc_edit_stream *st = &s->ownership.edits[sl[i].stream];
        rng *r = &what[sl[i].stream];
        sc_field f = draw_field(st, r);
        int cin7 = st->side == SC_OWNER_CIN7;
        int k = draw_sku(s, st, r, cin7 && f == SC_FIELD_COST);
        int64_t *c = &cur[(size_t)k * SC_N_FIELDS];
        edit *e = &out->e[out->n++];
        *e = (edit){sl[i].t, sl[i].stream, st->side,
                    cin7 ? -1 : (int)rng_below(r, s->n_shops), k, f, new_value(f, c, r)};
        c[f] = e->value;
    }
    free(what);
    free(cur);
    free(sl);
}

void edits_plan_free(edit_plan *p)
{
    free(p->e);
    p->e = NULL;
    p->n = 0;
}

static void add_money(cJSON *o, const char *key, int64_t cents, int cin7)
{
    if (cin7) {
        cJSON_AddNumberToObject(o, key, (double)cents / 100.0);
        return;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%lld.%02lld", (long long)(cents / 100), (long long)(cents % 100));
    cJSON_AddStringToObject(o, key, buf);
}

/* Cin7's field names (mock-cin7's /_mock/product_edit). */
static void cin7_fields(const scenario *s, const edit *e, cJSON *f)
{
    const sc_sku *k = &s->skus[e->sku];
    char buf[160];
    switch (e->field) {
    case SC_FIELD_PRICE:
        add_money(f, setup_price_tier(s, 0), e->value, 1);
        break;
    case SC_FIELD_COMPARE_AT:
        add_money(f, setup_price_tier(s, 1), e->value, 1);
        break;
    case SC_FIELD_TITLE:
        snprintf(buf, sizeof buf, "%s v%lld", k->sku, (long long)e->value);
        cJSON_AddStringToObject(f, "Name", buf);
        break;
    case SC_FIELD_COST:
        add_money(f, "SupplierCost", e->value, 1);
        break;
    case SC_FIELD_BARCODE:
        snprintf(buf, sizeof buf, "%lld", (long long)e->value);
        cJSON_AddStringToObject(f, "Barcode", buf);
        break;
    case SC_FIELD_WEIGHT:
        cJSON_AddNumberToObject(f, "Weight", (double)e->value);
        cJSON_AddStringToObject(f, "WeightUnits", "g");
        break;
    default:
        cJSON_AddStringToObject(f, "Status", e->value ? "Active" : "Deprecated");
    }
}

/* Shopify's (mock-shopify's /_mock/product_edit). */
static void shopify_fields(const scenario *s, const edit *e, cJSON *f)
{
    const sc_sku *k = &s->skus[e->sku];
    char buf[160];
    switch (e->field) {
    case SC_FIELD_PRICE:
        add_money(f, "price", e->value, 0);
        break;
    case SC_FIELD_COMPARE_AT:
        if (e->value)
            add_money(f, "compareAtPrice", e->value, 0);
        else
            cJSON_AddNullToObject(f, "compareAtPrice");
        break;
    case SC_FIELD_TITLE:
        snprintf(buf, sizeof buf, "%s v%lld", k->sku, (long long)e->value);
        cJSON_AddStringToObject(f, "title", buf);
        break;
    case SC_FIELD_COST:
        add_money(f, "cost", e->value, 0);
        break;
    case SC_FIELD_BARCODE:
        snprintf(buf, sizeof buf, "%lld", (long long)e->value);
        cJSON_AddStringToObject(f, "barcode", buf);
        break;
    case SC_FIELD_WEIGHT: {
        cJSON *w = cJSON_AddObjectToObject(f, "weight");
        cJSON_AddNumberToObject(w, "value", (double)e->value);
        cJSON_AddStringToObject(w, "unit", "GRAMS");
        break;
    }
    default:
        cJSON_AddStringToObject(f, "status", e->value ? "ACTIVE" : "ARCHIVED");
    }
}

cJSON *edits_body(const scenario *s, const edit *e)
{
    cJSON *b = cJSON_CreateObject();
    int cin7 = e->side == SC_OWNER_CIN7;
    if (!cin7)
        cJSON_AddStringToObject(b, "shop", s->shops[e->shop].domain);
    cJSON_AddStringToObject(b, "sku", cin7 ? s->skus[e->sku].sku : s->skus[e->sku].shopify_sku);
    cJSON *f = cJSON_AddObjectToObject(b, "fields");
    if (cin7)
        cin7_fields(s, e, f);
    else
        shopify_fields(s, e, f);
    return b;
}
