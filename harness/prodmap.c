/*
 * Product data ownership; see prodmap.h. Each side's values sit in one
 * table, key (side, SKU, field) with side 0 Cin7 and 1 + i shop i; the
 * changes and the accepted checkouts are replayed in time order over it.
 */
#include "prodmap.h"

#include "mem.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A value in comparable form. */
typedef enum { V_NONE, V_NUM, V_TEXT } vkind;

typedef struct {
    vkind kind;
    int64_t n;
    const char *s; /* V_TEXT: trimmed, s[0 .. len) */
    size_t len;
} canon;

static canon text_of(const char *raw)
{
    canon c = {V_NONE, 0, NULL, 0};
    if (!raw)
        return c;
    while (isspace((unsigned char)*raw))
        raw++;
    size_t len = strlen(raw);
    while (len && isspace((unsigned char)raw[len - 1]))
        len--;
    if (len)
        c = (canon){V_TEXT, 0, raw, len};
    return c;
}

/* A decimal number filling the trimmed text; 0 when it is not one. */
static int number_of(const char *raw, double *v, const char **rest)
{
    if (!raw)
        return 0;
    char *end;
    *v = strtod(raw, &end);
    if (end == raw || !isfinite(*v))
        return 0;
    while (isspace((unsigned char)*end))
        end++;
    if (rest)
        *rest = end;
    return rest || !*end;
}

/* Money in cents; zero_is_none: 0 means none (compare-at price, cost). */
static canon money(const char *raw, int zero_is_none)
{
    double v;
    canon c = text_of(raw);
    if (c.kind == V_NONE || !number_of(raw, &v, NULL))
        return c;
    int64_t cents = llround(v * 100);
    if (cents == 0 && zero_is_none)
        return (canon){V_NONE, 0, NULL, 0};
    return (canon){V_NUM, cents, NULL, 0};
}

/* mg in one unit, by either API's name of it; 0 unknown. */
static double mg_per(const char *unit, size_t len)
{
    static const struct {
        const char *name;
        double mg;
    } units[] = {{"mg", 1},          {"g", 1000},          {"kg", 1e6},
                 {"oz", 28349.523125}, {"lb", 453592.37},  {"GRAMS", 1000},
                 {"KILOGRAMS", 1e6}, {"OUNCES", 28349.523125}, {"POUNDS", 453592.37}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strlen(units[i].name) == len && strncasecmp(units[i].name, unit, len) == 0)
            return units[i].mg;
    return 0;
}

/* Weight in mg: Cin7's number and its unit, or Shopify's "VALUE UNIT";
 * none (no value) weighs 0. */
static canon weight(const char *raw, const char *units, int cin7)
{
    double v;
    const char *rest = NULL;
    if (!raw || !*raw)
        return (canon){V_NUM, 0, NULL, 0};
    if (!number_of(raw, &v, &rest))
        return text_of(raw);
    canon u = text_of(cin7 ? units : rest);
    double per = u.kind == V_TEXT ? mg_per(u.s, u.len) : 0;
    if (per == 0)
        return text_of(raw);
    return (canon){V_NUM, llround(v * per), NULL, 0};
}

/* Offered (1) or not (0): Cin7's Active / Deprecated, Shopify's ACTIVE,
 * UNLISTED / DRAFT, ARCHIVED. */
static canon offered(const char *raw)
{
    static const struct {
        const char *name;
        int on;
    } names[] = {{"Active", 1}, {"Deprecated", 0}, {"UNLISTED", 1}, {"DRAFT", 0}, {"ARCHIVED", 0}};
    canon c = text_of(raw);
    for (size_t i = 0; c.kind == V_TEXT && i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == c.len && strncasecmp(names[i].name, c.s, c.len) == 0)
            return (canon){V_NUM, names[i].on, NULL, 0};
    return c;
}

static canon canon_of(int field, const char *raw, const char *units, int cin7)
{
    switch (field) {
    case SC_FIELD_PRICE:
        return money(raw, 0);
    case SC_FIELD_COMPARE_AT:
    case SC_FIELD_COST:
        return money(raw, 1);
    case SC_FIELD_WEIGHT:
        return weight(raw, units, cin7);
    case SC_FIELD_STATUS:
        return offered(raw);
    default:
        return text_of(raw);
    }
}

int prodmap_same(int field, const char *a, const char *units_a, int a_cin7, const char *b,
                 const char *units_b, int b_cin7)
{
    canon x = canon_of(field, a, units_a, a_cin7), y = canon_of(field, b, units_b, b_cin7);
    if (x.kind != y.kind)
        return 0;
    if (x.kind == V_NUM)
        return x.n == y.n;
    return x.kind == V_NONE || (x.len == y.len && memcmp(x.s, y.s, x.len) == 0);
}

/* ---- the replay ---------------------------------------------------------------- */

typedef struct {
    const run_model *m;
    size_t n_skus, n_sides;
    const char **val;        /* per key; borrowed from the model's records */
    const char **own;        /* per (SKU, field): the owner's value, as its people set it */
    unsigned char *known;
    unsigned char *differ;   /* per (SKU, field) */
    int64_t *since;
} pm;

static size_t key(const pm *x, size_t side, size_t sku, int field)
{
    return (side * x->n_skus + sku) * MODEL_N_FIELDS + (size_t)field;
}

static int cin7_owns(const pm *x, int field)
{
    return x->m->sc->ownership.owner[field] == SC_OWNER_CIN7;
}

static size_t own_key(size_t sku, int field)
{
    return sku * MODEL_N_FIELDS + (size_t)field;
}

/* Side side's value of a field (0 Cin7, 1 + i shop i) is the owner's. */
static int side_agrees(const pm *x, size_t side, size_t sku, int field)
{
    const char *units = side ? NULL : x->val[key(x, 0, sku, MODEL_FIELD_WEIGHT_UNITS)];
    int c7 = cin7_owns(x, field);
    const char *own_units = c7 ? x->own[own_key(sku, MODEL_FIELD_WEIGHT_UNITS)] : NULL;
    return prodmap_same(field, x->val[key(x, side, sku, field)], units, side == 0,
                        x->own[own_key(sku, field)], own_units, c7);
}

/* A pair differs while either system shows a value other than the one
 * its owner's people set: the other side not yet carried over, or the
 * owner's own side overwritten by an engine. */
static int pair_differs(const pm *x, size_t sku, int field)
{
    for (size_t i = 0; i < x->n_sides; i++)
        if (!side_agrees(x, i, sku, field))
            return 1;
    return 0;
}

/* The owner's side of a field: Cin7 (0) or the first shop (1). */
static size_t owner_side(const pm *x, int field)
{
    return cin7_owns(x, field) ? 0 : 1;
}

/* The start values: each key's first change's before, else its final value. */
static void start_values(pm *x)
{
    const run_model *m = x->m;
    for (int final = 0; final < 2; final++)
        for (size_t i = 0; i < m->n_prodvals; i++) {
            const model_prodval *r = &m->prodvals[i];
            size_t k = key(x, (size_t)(r->shop + 1), (size_t)r->sku, r->field);
            if (r->final != final || x->known[k])
                continue;
            x->known[k] = 1;
            x->val[k] = final ? r->after : r->before;
        }
    for (size_t k = 0; k < x->n_skus; k++)
        for (int f = 0; f < SC_N_FIELDS; f++) {
            size_t side = owner_side(x, f);
            x->own[own_key(k, f)] = x->val[key(x, side, k, f)];
            if (f == SC_FIELD_WEIGHT && side == 0)
                x->own[own_key(k, MODEL_FIELD_WEIGHT_UNITS)] =
                    x->val[key(x, 0, k, MODEL_FIELD_WEIGHT_UNITS)];
        }
}

/* A moment of the replay: a change (prodvals index) or a checkout. */
typedef struct {
    int64_t t;
    int checkout;
    size_t i;
} moment;

static int cmp_moment(const void *a, const void *b)
{
    const moment *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->checkout != y->checkout)
        return x->checkout - y->checkout; /* changes of a moment first */
    return x->i < y->i ? -1 : x->i > y->i;
}

static moment *moments(const run_model *m, size_t *n_out)
{
    moment *mo = xcalloc(m->n_prodvals + m->n_checkouts + 1, sizeof *mo);
    size_t n = 0;
    for (size_t i = 0; i < m->n_prodvals; i++)
        if (!m->prodvals[i].final)
            mo[n++] = (moment){m->prodvals[i].t, 0, i};
    for (size_t i = 0; i < m->n_checkouts; i++)
        if (m->checkouts[i].accepted)
            mo[n++] = (moment){m->checkouts[i].t, 1, i};
    if (n)
        qsort(mo, n, sizeof *mo, cmp_moment);
    *n_out = n;
    return mo;
}

static int owned(const pm *x, int field)
{
    return field < SC_N_FIELDS && x->m->sc->ownership.owner[field] != SC_OWNER_NONE;
}

/* From t = 0 on: which pairs differ, each a stretch from 0. */
static void open_stretches(pm *x)
{
    for (size_t k = 0; k < x->n_skus; k++)
        for (int f = 0; f < SC_N_FIELDS; f++)
            if (owned(x, f))
                x->differ[k * SC_N_FIELDS + f] = (unsigned char)pair_differs(x, k, f);
}

/* A change moves its side's value; a person's change on the owner's side
 * (any shop, when Shopify owns the field) is the owner's new value. */
static void apply_change(pm *x, const model_prodval *r)
{
    x->val[key(x, (size_t)(r->shop + 1), (size_t)r->sku, r->field)] = r->after;
    int f = r->field == MODEL_FIELD_WEIGHT_UNITS ? SC_FIELD_WEIGHT : r->field;
    if (r->staff && f < SC_N_FIELDS && (r->shop < 0) == cin7_owns(x, f))
        x->own[own_key((size_t)r->sku, r->field)] = r->after;
}

/* A pair after the changes of a moment: a stretch opens or closes at t. */
static void judge_pair(pm *x, const model_prodval *r, hist *h)
{
    int f = r->field == MODEL_FIELD_WEIGHT_UNITS ? SC_FIELD_WEIGHT : r->field;
    if (!owned(x, f))
        return;
    size_t p = (size_t)r->sku * SC_N_FIELDS + (size_t)f;
    int d = pair_differs(x, (size_t)r->sku, f);
    if (d && !x->differ[p])
        x->since[p] = r->t;
    else if (!d && x->differ[p])
        hist_record(h, r->t - x->since[p]);
    x->differ[p] = (unsigned char)d;
}

/* Revenue of a checkout's lines sold at a Shopify price other than the
 * owner's. */
static int64_t checkout_revenue(const pm *x, const model_checkout *c)
{
    const run_model *m = x->m;
    if (c->shop < 0 || (size_t)c->shop + 1 >= x->n_sides)
        return 0;
    int64_t cents = 0;
    for (size_t l = c->first_line; l < c->first_line + c->n_lines; l++) {
        size_t sku = (size_t)m->lines[l].sku;
        if (side_agrees(x, 1 + (size_t)c->shop, sku, SC_FIELD_PRICE))
            continue;
        canon p = money(x->val[key(x, 1 + (size_t)c->shop, sku, SC_FIELD_PRICE)], 0);
        cents += p.kind == V_NUM ? p.n * m->lines[l].qty : 0;
    }
    return cents;
}

/* After the drain, from the final values (the replayed ones where a
 * state left a value out): the pairs that differ, into fig. */
static void final_discrepancies(pm *x, prodmap_figures *fig)
{
    const run_model *m = x->m;
    for (size_t i = 0; i < m->n_prodvals; i++) {
        const model_prodval *r = &m->prodvals[i];
        if (r->final)
            x->val[key(x, (size_t)(r->shop + 1), (size_t)r->sku, r->field)] = r->after;
    }
    size_t cap = 0;
    for (size_t k = 0; k < x->n_skus; k++)
        for (int f = 0; f < SC_N_FIELDS; f++) {
            if (!owned(x, f) || !pair_differs(x, k, f))
                continue;
            XGROW(fig->apart, fig->n_apart, cap, 8);
            prodmap_apart *a = &fig->apart[fig->n_apart++];
            size_t p = k * SC_N_FIELDS + (size_t)f;
            int weight = f == SC_FIELD_WEIGHT;
            *a = (prodmap_apart){
                .sku = k,
                .field = f,
                .since = x->differ[p] ? x->since[p] : -1,
                .owner = x->own[own_key(k, f)],
                .owner_units = weight && cin7_owns(x, f)
                                   ? x->own[own_key(k, MODEL_FIELD_WEIGHT_UNITS)]
                                   : NULL,
                .value = xcalloc(x->n_sides, sizeof(const char *)),
                .cin7_units = weight ? x->val[key(x, 0, k, MODEL_FIELD_WEIGHT_UNITS)] : NULL,
            };
            for (size_t side = 0; side < x->n_sides; side++)
                a->value[side] = x->val[key(x, side, k, f)];
        }
}

void prodmap_figures_free(prodmap_figures *f)
{
    for (size_t i = 0; i < f->n_apart; i++)
        free(f->apart[i].value);
    free(f->apart);
    f->apart = NULL;
    f->n_apart = 0;
}

prodmap_figures prodmap_measure(const run_model *m, hist *stretch)
{
    prodmap_figures fig = {0, NULL, 0};
    pm x = {.m = m, .n_skus = m->sc->n_skus, .n_sides = 1 + m->sc->n_shops};
    size_t n_keys = x.n_sides * x.n_skus * MODEL_N_FIELDS;
    x.val = xcalloc(n_keys + 1, sizeof *x.val);
    x.own = xcalloc(x.n_skus * MODEL_N_FIELDS + 1, sizeof *x.own);
    x.known = xcalloc(n_keys + 1, 1);
    x.differ = xcalloc(x.n_skus * SC_N_FIELDS + 1, 1);
    x.since = xcalloc(x.n_skus * SC_N_FIELDS + 1, sizeof *x.since);
    start_values(&x);
    size_t n;
    moment *mo = moments(m, &n);
    int counting = 0;
    int priced = m->sc->ownership.owner[SC_FIELD_PRICE] != SC_OWNER_NONE;
    for (size_t i = 0; i < n;) {
        if (!counting && mo[i].t >= 0) {
            open_stretches(&x);
            counting = 1;
        }
        /* The changes of one moment (several fields of one entry, both
         * sides at once) all apply before any pair is judged. */
        size_t j = i;
        for (; j < n && mo[j].t == mo[i].t && !mo[j].checkout; j++)
            apply_change(&x, &m->prodvals[mo[j].i]);
        for (size_t k = i; counting && k < j; k++)
            judge_pair(&x, &m->prodvals[mo[k].i], stretch);
        if (j == i) {
            if (priced)
                fig.revenue_cents += checkout_revenue(&x, &m->checkouts[mo[i].i]);
            j++;
        }
        i = j;
    }
    if (!counting)
        open_stretches(&x);
    for (size_t p = 0; p < x.n_skus * SC_N_FIELDS; p++)
        if (x.differ[p])
            hist_record(stretch, m->end > x.since[p] ? m->end - x.since[p] : 0);
    final_discrepancies(&x, &fig);
    free(mo);
    free(x.val);
    free(x.own);
    free(x.known);
    free(x.differ);
    free(x.since);
    return fig;
}
