/* Replayed orders from CSV files; see replay.h. */
#include "replay.h"

#include "clock.h"
#include "csv.h"
#include "demand.h"
#include "mem.h"
#include "strmap.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_REPLAY_BYTES ((size_t)256 * 1024 * 1024)
/* Replay timestamps in ms: 2^53, some 285,000 years either side of 1970,
 * so that the times between orders are taken exactly. */
#define MAX_REPLAY_MS INT64_C(9007199254740992)
#define MAX_QTY 1000000
#define BIT(role) (1u << (role))

/* ---- formats ---------------------------------------------------------------- */

/* The roles' names in a csv format's "columns" object. */
static const char *const role_keys[REPLAY_COL_N] = {
    [REPLAY_COL_TIME] = "time",       [REPLAY_COL_ORDER] = "order",
    [REPLAY_COL_SKU] = "sku",         [REPLAY_COL_QTY] = "quantity",
    [REPLAY_COL_SHOP] = "shop",       [REPLAY_COL_COUNTRY] = "country",
    [REPLAY_COL_POSTCODE] = "postcode"};

static const struct {
    const char *name;
    replay_format format;
    const char *col[REPLAY_COL_N];
    unsigned required;
    replay_time time;
} formats[] = {
    {"surge",
     REPLAY_SURGE,
     {[REPLAY_COL_TIME] = "timestamp", [REPLAY_COL_SKU] = "sku", [REPLAY_COL_QTY] = "qty",
      [REPLAY_COL_SHOP] = "shop", [REPLAY_COL_COUNTRY] = "country", [REPLAY_COL_POSTCODE] = "postcode"},
     BIT(REPLAY_COL_TIME) | BIT(REPLAY_COL_SKU),
     REPLAY_TIME_ISO_OR_MS},
    /* Shopify admin's order export (help.shopify.com/en/manual/orders/export-orders). */
    {"shopify-orders-export",
     REPLAY_SHOPIFY,
     {[REPLAY_COL_TIME] = "Created at", [REPLAY_COL_ORDER] = "Name",
      [REPLAY_COL_SKU] = "Lineitem sku", [REPLAY_COL_QTY] = "Lineitem quantity",
      [REPLAY_COL_COUNTRY] = "Shipping Country", [REPLAY_COL_POSTCODE] = "Shipping Zip",
      [REPLAY_COL_PAID] = "Paid at", [REPLAY_COL_STATUS] = "Financial Status",
      [REPLAY_COL_CANCELLED] = "Cancelled at"},
     BIT(REPLAY_COL_TIME) | BIT(REPLAY_COL_ORDER) | BIT(REPLAY_COL_SKU) | BIT(REPLAY_COL_QTY) |
         BIT(REPLAY_COL_PAID) | BIT(REPLAY_COL_STATUS) | BIT(REPLAY_COL_CANCELLED),
     REPLAY_TIME_SHOPIFY},
    {"csv", REPLAY_CSV, {NULL}, 0, REPLAY_TIME_ISO},
};

static const struct {
    const char *name;
    replay_time time;
    const char *example;
} time_formats[] = {
    {"iso8601", REPLAY_TIME_ISO, "2026-03-14T10:19:59+11:00"},
    {"shopify", REPLAY_TIME_SHOPIFY, "2026-03-14 10:19:59 +1100"},
    {"epoch", REPLAY_TIME_EPOCH, "seconds since 1970, 1773443999"},
    {"iso8601-or-ms", REPLAY_TIME_ISO_OR_MS, "2026-03-14T10:19:59Z or milliseconds"},
};

/* Shopify's financial statuses (the Admin API's OrderDisplayFinancialStatus,
 * in the export in lower case): an order sold unless it is still unpaid. A
 * refund came after the sale, which took the stock all the same. */
static const struct {
    const char *name;
    int sold;
} statuses[] = {
    {"paid", 1},    {"partially_paid", 1}, {"partially_refunded", 1}, {"refunded", 1},
    {"pending", 0}, {"authorized", 0},     {"voided", 0},             {"expired", 0},
};

void replay_opts_default(replay_format format, replay_opts *o)
{
    memset(o, 0, sizeof *o);
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (formats[i].format == format) {
            o->format = format;
            memcpy(o->col, formats[i].col, sizeof o->col);
            o->required = formats[i].required;
            o->time = formats[i].time;
        }
}

static const char *time_example(replay_time t)
{
    for (size_t i = 0; i < sizeof time_formats / sizeof time_formats[0]; i++)
        if (time_formats[i].time == t)
            return time_formats[i].example;
    return "?";
}

/* ---- values ----------------------------------------------------------------- */

static int all_digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)p[i]))
            return 0;
    return n > 0;
}

/* "2026-03-14 10:19:59 +1100", exactly. */
static int parse_shopify_time(const char *v, int64_t *ms)
{
    if (strlen(v) != 25 || !all_digits(v, 4) || v[4] != '-' || !all_digits(v + 5, 2) ||
        v[7] != '-' || !all_digits(v + 8, 2) || v[10] != ' ' || !all_digits(v + 11, 2) ||
        v[13] != ':' || !all_digits(v + 14, 2) || v[16] != ':' || !all_digits(v + 17, 2) ||
        v[19] != ' ' || (v[20] != '+' && v[20] != '-') || !all_digits(v + 21, 4))
        return -1;
    char iso[32];
    snprintf(iso, sizeof iso, "%.10sT%.8s%.3s:%.2s", v, v + 11, v + 20, v + 23);
    return clock_parse_iso(iso, ms);
}

/* Seconds since 1970, an optional sign and fraction (milliseconds kept). */
static int parse_epoch(const char *v, int64_t *ms)
{
    const char *p = v;
    int neg = *p == '-';
    if (neg)
        p++;
    size_t whole = strspn(p, "0123456789");
    if (whole == 0 || whole > 15)
        return -1;
    int64_t s = 0, frac = 0;
    for (size_t i = 0; i < whole; i++)
        s = s * 10 + (p[i] - '0');
    p += whole;
    if (*p == '.') {
        p++;
        size_t nf = strspn(p, "0123456789");
        if (nf == 0)
            return -1;
        for (size_t i = 0; i < 3; i++)
            frac = frac * 10 + (i < nf ? p[i] - '0' : 0);
        p += nf;
    }
    if (*p)
        return -1;
    *ms = (neg ? -1 : 1) * (s * 1000 + frac);
    return 0;
}

static int parse_time(replay_time fmt, const char *v, int64_t *ms)
{
    int rc = -1;
    switch (fmt) {
    case REPLAY_TIME_ISO_OR_MS: {
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (*v && !*end && errno == 0) {
            *ms = n;
            rc = 0;
        } else {
            rc = clock_parse_iso(v, ms);
        }
        break;
    }
    case REPLAY_TIME_ISO: rc = clock_parse_iso(v, ms); break;
    case REPLAY_TIME_SHOPIFY: rc = parse_shopify_time(v, ms); break;
    case REPLAY_TIME_EPOCH: rc = parse_epoch(v, ms); break;
    }
    if (rc == 0 && (*ms < -MAX_REPLAY_MS || *ms > MAX_REPLAY_MS))
        rc = -1;
    return rc;
}

/* A value for a message: at most 40 bytes, control bytes as '?'. */
static const char *shown(const char *v, char *buf, size_t n)
{
    size_t len = strlen(v), i = 0;
    for (; i < len && i + 4 < n && i < 40; i++)
        buf[i] = iscntrl((unsigned char)v[i]) ? '?' : v[i];
    if (i < len && i + 4 <= n) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
    return buf;
}

/* ---- reading ---------------------------------------------------------------- */

/* An order as its rows come in. */
typedef struct {
    char *key;                      /* NULL: the format has no order column */
    size_t line;                    /* its first row */
    char *val[REPLAY_COL_N];        /* order-level values, as first given */
    size_t val_line[REPLAY_COL_N];
    sc_replay_line *lines;
    size_t *line_row;               /* the row each line came from */
    size_t n_lines, cap_lines;
    int64_t t;
    size_t seq;
} pending;

typedef struct {
    const char *name, *path;
    const replay_opts *o;
    json_err *e;
    int col[REPLAY_COL_N];          /* column index, or -1 */
    size_t n_head;
    pending *orders;
    size_t n, cap;
    strmap *by_key;
    size_t no_sku;                  /* line items without a SKU, left out */
} reader;

static int fail(reader *r, size_t line, int role, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(reader *r, size_t line, int role, const char *fmt, ...)
{
    char what[320], col[128] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (role >= 0 && r->col[role] >= 0)
        snprintf(col, sizeof col, "column %d (\"%s\"): ", r->col[role] + 1, r->o->col[role]);
    return json_fail(r->e, r->path, "%s:%zu: %s%s", r->name, line, col, what);
}

/* Field i of rec without surrounding blanks, copied; "" when absent. */
static char *field(const csv_record *rec, int i)
{
    if (i < 0 || (size_t)i >= rec->n)
        return xstrdup("");
    const char *v = rec->field[i];
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    return xstrndup(v, n);
}

static int read_header(reader *r, const csv_record *h)
{
    r->n_head = h->n;
    for (int role = 0; role < REPLAY_COL_N; role++) {
        r->col[role] = -1;
        if (!r->o->col[role])
            continue;
        for (size_t i = 0; i < h->n; i++) {
            char *name = field(h, (int)i);
            int same = strcmp(name, r->o->col[role]) == 0;
            free(name);
            if (same && r->col[role] >= 0)
                return json_fail(r->e, r->path, "%s:%zu: columns %d and %zu are both named \"%s\"",
                                 r->name, h->line, r->col[role] + 1, i + 1, r->o->col[role]);
            if (same)
                r->col[role] = (int)i;
        }
        if (r->col[role] < 0 && (r->o->required & BIT(role)))
            return json_fail(r->e, r->path, "%s:%zu: no column named \"%s\" in the header", r->name,
                             h->line, r->o->col[role]);
    }
    return 0;
}

/* "order #1001" or "the order of line 7", for messages. */
static const char *order_name(const pending *p, char *buf, size_t n)
{
    char v[48];
    if (p->key)
        snprintf(buf, n, "order \"%s\"", shown(p->key, v, sizeof v));
    else
        snprintf(buf, n, "the order of line %zu", p->line);
    return buf;
}

static pending *order_for(reader *r, const char *key, size_t line)
{
    long idx = key ? strmap_get(r->by_key, key) : -1;
    if (idx >= 0)
        return &r->orders[idx];
    XGROW(r->orders, r->n, r->cap, 64);
    pending *p = &r->orders[r->n];
    memset(p, 0, sizeof *p);
    p->key = key ? xstrdup(key) : NULL;
    p->line = line;
    p->seq = r->n;
    if (key)
        strmap_put(r->by_key, key, (long)r->n);
    r->n++;
    return p;
}

static int status_sold(const char *v)
{
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if (strcasecmp(statuses[i].name, v) == 0)
            return statuses[i].sold;
    return -1;
}

/* Checks an order-level value of a row: a time that parses, a status
 * Shopify has. */
static int check_value(reader *r, size_t line, int role, const char *v)
{
    char b[48];
    int64_t ms;
    if ((role == REPLAY_COL_TIME || role == REPLAY_COL_PAID) && parse_time(r->o->time, v, &ms))
        return fail(r, line, role, "\"%s\" is not a time (expected %s, within 2^53 ms of 1970)",
                    shown(v, b, sizeof b), time_example(r->o->time));
    if (role == REPLAY_COL_STATUS && status_sold(v) < 0)
        return fail(r, line, role,
                    "unknown financial status \"%s\" (known: paid, partially_paid, "
                    "partially_refunded, refunded, pending, authorized, voided, expired)",
                    shown(v, b, sizeof b));
    return 0;
}

/* Takes an order-level value of a row into its order: the first given
 * stands, a later different one is refused. */
static int take_value(reader *r, pending *p, size_t line, int role, char *v)
{
    char b1[48], b2[48], on[80];
    if (!*v || r->col[role] < 0) {
        free(v);
        return 0;
    }
    if (role == REPLAY_COL_POSTCODE && v[0] == '\'') /* Shopify keeps leading zeros so */
        memmove(v, v + 1, strlen(v));
    if (check_value(r, line, role, v)) {
        free(v);
        return -1;
    }
    if (!p->val[role]) {
        p->val[role] = v;
        p->val_line[role] = line;
        return 0;
    }
    int rc = 0;
    if (strcmp(p->val[role], v) != 0)
        rc = fail(r, line, role, "\"%s\" differs from \"%s\" on line %zu, in %s", shown(v, b1, sizeof b1),
                  shown(p->val[role], b2, sizeof b2), p->val_line[role], order_name(p, on, sizeof on));
    free(v);
    return rc;
}

static int parse_qty(reader *r, size_t line, const char *v, int64_t *qty)
{
    char b[48];
    if (!*v) {
        *qty = 1;
        return 0;
    }
    if (!all_digits(v, strlen(v)))
        return fail(r, line, REPLAY_COL_QTY, "\"%s\" is not a whole number", shown(v, b, sizeof b));
    if (strlen(v) > 7 || (*qty = strtoll(v, NULL, 10)) > MAX_QTY)
        return fail(r, line, REPLAY_COL_QTY, "\"%s\" is more than %d units", shown(v, b, sizeof b),
                    MAX_QTY);
    return 0;
}

static int add_line(reader *r, pending *p, size_t line, const char *sku, int64_t qty)
{
    char b[48], on[80];
    for (size_t i = 0; i < p->n_lines; i++)
        if (strcmp(p->lines[i].sku, sku) == 0) {
            if (p->lines[i].qty + qty > MAX_QTY)
                return fail(r, line, REPLAY_COL_QTY, "more than %d units of SKU \"%s\" in %s", MAX_QTY,
                            shown(sku, b, sizeof b), order_name(p, on, sizeof on));
            p->lines[i].qty += qty;
            return 0;
        }
    if (p->n_lines == p->cap_lines) {
        p->cap_lines = p->cap_lines ? p->cap_lines * 2 : 4;
        p->lines = xrealloc(p->lines, p->cap_lines * sizeof *p->lines);
        p->line_row = xrealloc(p->line_row, p->cap_lines * sizeof *p->line_row);
    }
    p->lines[p->n_lines] = (sc_replay_line){xstrdup(sku), qty};
    p->line_row[p->n_lines++] = line;
    return 0;
}

static int blank_record(const csv_record *rec)
{
    for (size_t i = 0; i < rec->n; i++)
        if (rec->field[i][strspn(rec->field[i], " \t")])
            return 0;
    return 1;
}

static int read_row(reader *r, const csv_record *rec)
{
    if (blank_record(rec))
        return 0;
    for (size_t i = r->n_head; i < rec->n; i++)
        if (rec->field[i][strspn(rec->field[i], " \t")])
            return json_fail(r->e, r->path, "%s:%zu: column %zu has a value, but the header names %zu columns",
                             r->name, rec->line, i + 1, r->n_head);
    char *key = NULL;
    if (r->col[REPLAY_COL_ORDER] >= 0) {
        key = field(rec, r->col[REPLAY_COL_ORDER]);
        if (!*key) {
            free(key);
            return fail(r, rec->line, REPLAY_COL_ORDER, "empty: every row names its order");
        }
    }
    pending *p = order_for(r, key, rec->line);
    free(key);
    static const int order_roles[] = {REPLAY_COL_TIME,    REPLAY_COL_SHOP,   REPLAY_COL_COUNTRY,
                                      REPLAY_COL_POSTCODE, REPLAY_COL_PAID,  REPLAY_COL_STATUS,
                                      REPLAY_COL_CANCELLED};
    for (size_t i = 0; i < sizeof order_roles / sizeof order_roles[0]; i++) {
        int role = order_roles[i];
        if (take_value(r, p, rec->line, role, field(rec, r->col[role])))
            return -1;
    }
    char *sku = field(rec, r->col[REPLAY_COL_SKU]), *q = field(rec, r->col[REPLAY_COL_QTY]);
    int64_t qty = 0;
    int rc = 0;
    if (!*sku)
        r->no_sku++; /* a custom item or a tip: no stock to take; counted in the note */
    else if (parse_qty(r, rec->line, q, &qty) == 0)
        rc = qty > 0 ? add_line(r, p, rec->line, sku, qty) : 0; /* 0 units: nothing sold */
    else
        rc = -1;
    free(sku);
    free(q);
    return rc;
}

static void pending_free(pending *p)
{
    free(p->key);
    for (int k = 0; k < REPLAY_COL_N; k++)
        free(p->val[k]);
    for (size_t i = 0; i < p->n_lines; i++)
        free(p->lines[i].sku);
    free(p->lines);
    free(p->line_row);
}

/* ---- choosing and checking the orders --------------------------------------------- */

typedef struct {
    size_t cancelled, unpaid, empty, outside;
} dropped;

/* The order's time; its status and cancellation, when the format has
 * them, decide whether it stays (1) or not (0). */
static int settle(reader *r, pending *p, dropped *d)
{
    char on[80];
    int role = p->val[REPLAY_COL_PAID] ? REPLAY_COL_PAID : REPLAY_COL_TIME;
    if (!p->val[role])
        return fail(r, p->line, REPLAY_COL_TIME, "empty on every row of %s", order_name(p, on, sizeof on));
    if (parse_time(r->o->time, p->val[role], &p->t))
        return -1; /* cannot happen: check_value took it */
    if (r->col[REPLAY_COL_STATUS] >= 0 && !p->val[REPLAY_COL_STATUS])
        return fail(r, p->line, REPLAY_COL_STATUS, "empty on every row of %s",
                    order_name(p, on, sizeof on));
    if (p->val[REPLAY_COL_CANCELLED]) {
        d->cancelled++;
        return 0;
    }
    if (p->val[REPLAY_COL_STATUS] && !status_sold(p->val[REPLAY_COL_STATUS])) {
        d->unpaid++;
        return 0;
    }
    if (p->n_lines == 0) {
        d->empty++;
        return 0;
    }
    return 1;
}

static int by_time(const void *a, const void *b)
{
    const pending *x = *(pending *const *)a, *y = *(pending *const *)b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int known_sku(const scenario *s, const char *sku)
{
    return scenario_sku_by_shopify(s, sku) >= 0 || scenario_sku_index(s, sku) >= 0;
}

/* What a kept order must be for the scenario it is replayed in. */
static int check_order(reader *r, const pending *p, const scenario *s, const sc_stream *st)
{
    char on[80], b[48];
    if (p->n_lines > DEMAND_MAX_LINES)
        return fail(r, p->line, REPLAY_COL_SKU, "%s has %zu different SKUs; a checkout carries at most %d",
                    order_name(p, on, sizeof on), p->n_lines, DEMAND_MAX_LINES);
    if (st && strcmp(st->channel, "shopify") != 0 && p->n_lines > 1)
        return fail(r, p->line, REPLAY_COL_SKU, "%s has %zu different SKUs; a %s sale carries one",
                    order_name(p, on, sizeof on), p->n_lines, st->channel);
    if (!s)
        return 0;
    for (size_t i = 0; i < p->n_lines; i++)
        if (!known_sku(s, p->lines[i].sku))
            return fail(r, p->line_row[i], REPLAY_COL_SKU, "SKU \"%s\" is not in the catalog",
                        shown(p->lines[i].sku, b, sizeof b));
    const char *shop = p->val[REPLAY_COL_SHOP];
    int known = !shop;
    for (size_t k = 0; !known && k < s->n_shops; k++)
        known = strcmp(s->shops[k].domain, shop) == 0;
    if (!known)
        return fail(r, p->val_line[REPLAY_COL_SHOP], REPLAY_COL_SHOP, "shop \"%s\" is not in $.shops",
                    shown(shop, b, sizeof b));
    return 0;
}

/* The orders that stay, in time order, inside the window, shifted so that
 * the window starts at 0; moved into st. */
static int choose(reader *r, const scenario *s, sc_stream *st)
{
    dropped d = {0, 0, 0, 0};
    pending **kept = xcalloc(r->n + 1, sizeof *kept);
    size_t n = 0;
    int rc = -1;
    for (size_t i = 0; i < r->n; i++) {
        int keep = settle(r, &r->orders[i], &d);
        if (keep < 0)
            goto out;
        if (keep)
            kept[n++] = &r->orders[i];
    }
    qsort(kept, n, sizeof *kept, by_time);
    const replay_opts *o = r->o;
    int64_t first = n ? kept[0]->t : 0;
    int64_t from = o->has_from ? (o->from_offset ? first + o->from : o->from) : first;
    int64_t to = o->has_to ? (o->to_offset ? first + o->to : o->to) : INT64_MAX;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (kept[i]->t < from || kept[i]->t >= to)
            d.outside++;
        else
            kept[w++] = kept[i];
    }
    n = w;
    if (n == 0) {
        json_fail(r->e, r->path,
                  "%s: no orders left: %zu read, %zu cancelled, %zu unpaid, %zu without units, "
                  "%zu outside from/to",
                  r->name, r->n, d.cancelled, d.unpaid, d.empty, d.outside);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (check_order(r, kept[i], s, st))
            goto out;
    st->replay = xcalloc(n, sizeof *st->replay);
    for (size_t i = 0; i < n; i++) {
        pending *p = kept[i];
        sc_replay_order *ro = &st->replay[st->n_replay++];
        ro->t = p->t - from;
        ro->shop = p->val[REPLAY_COL_SHOP];
        ro->country = p->val[REPLAY_COL_COUNTRY];
        ro->postcode = p->val[REPLAY_COL_POSTCODE];
        p->val[REPLAY_COL_SHOP] = p->val[REPLAY_COL_COUNTRY] = p->val[REPLAY_COL_POSTCODE] = NULL;
        ro->lines = p->lines;
        ro->n_lines = p->n_lines;
        p->lines = NULL;
        p->n_lines = 0;
    }
    free(st->replay_note);
    st->replay_note = xasprintf("%s: %zu orders read, %zu replayed; left out: %zu cancelled, %zu unpaid, "
                                "%zu without units, %zu outside from/to, %zu line items without a SKU "
                                "(custom items, tips)",
                                r->name, r->n, n, d.cancelled, d.unpaid, d.empty, d.outside, r->no_sku);
    rc = 0;
out:
    free(kept);
    return rc;
}

int replay_read(FILE *f, const char *name, const char *path, const replay_opts *o,
                const scenario *s, sc_stream *st, json_err *e)
{
    reader r = {.name = name, .path = path, .o = o, .e = e, .by_key = strmap_new(0)};
    csv_reader *c = csv_new(f, MAX_REPLAY_BYTES);
    csv_record rec;
    int rc = -1, got = csv_next(c, &rec);
    if (got == 0)
        json_fail(e, path, "%s: empty file (no header line)", name);
    if (got <= 0 || read_header(&r, &rec))
        goto out;
    while ((got = csv_next(c, &rec)) == 1)
        if (read_row(&r, &rec))
            goto out;
    if (got < 0)
        goto out;
    if (r.n == 0) {
        json_fail(e, path, "%s: no orders: the file has a header and no rows", name);
        goto out;
    }
    rc = choose(&r, s, st);
out:
    if (got < 0)
        json_fail(e, path, "%s:%zu: %s", name, csv_error_line(c), csv_error(c));
    for (size_t i = 0; i < r.n; i++)
        pending_free(&r.orders[i]);
    free(r.orders);
    strmap_free(r.by_key);
    csv_free(c);
    return rc;
}

/* ---- the scenario's replay object ----------------------------------------------- */

/* from or to: a time (ISO 8601 or Shopify's) or a duration after the first
 * order. */
static int read_bound(const cJSON *obj, const char *path, const char *key, int *has, int *offset,
                      int64_t *out, json_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return 0;
    *has = 1;
    if (cJSON_IsString(v) && (parse_time(REPLAY_TIME_ISO, v->valuestring, out) == 0 ||
                              parse_time(REPLAY_TIME_SHOPIFY, v->valuestring, out) == 0)) {
        *offset = 0;
        return 0;
    }
    *offset = 1;
    json_err ignored;
    if (json_get_duration(obj, path, key, JSON_REQUIRED, out, &ignored) == 0 && *out <= MAX_REPLAY_MS)
        return 0;
    char p[300];
    json_path_key(p, sizeof p, path, key);
    return json_fail(e, p,
                     "neither a time (2026-03-14T10:00:00+11:00, 2026-03-14 10:00:00 +1100) nor a "
                     "duration after the first order (\"90m\", milliseconds)");
}

static int read_columns(const cJSON *cols, const char *path, replay_opts *o, json_err *e)
{
    static const char *const keys[] = {"time", "order", "sku", "quantity", "shop", "country", "postcode", NULL};
    char p[300];
    json_path_key(p, sizeof p, path, "columns");
    if (json_only_keys(cols, p, keys, e))
        return -1;
    for (int role = 0; role < REPLAY_COL_N; role++) {
        if (!role_keys[role])
            continue;
        int required = role == REPLAY_COL_TIME || role == REPLAY_COL_SKU;
        if (json_get_str(cols, p, role_keys[role], required, &o->col[role], e))
            return -1;
        if (o->col[role] && !*o->col[role]) {
            char k[340];
            json_path_key(k, sizeof k, p, role_keys[role]);
            return json_fail(e, k, "an empty column name");
        }
        if (o->col[role])
            o->required |= BIT(role);
    }
    return 0;
}

static int read_opts(const cJSON *obj, const char *path, replay_opts *o, json_err *e)
{
    const char *format = "surge", *tf = NULL;
    const cJSON *cols = NULL;
    char p[300];
    if (json_get_str(obj, path, "format", JSON_OPTIONAL, &format, e) ||
        json_get_obj(obj, path, "columns", JSON_OPTIONAL, &cols, e) ||
        json_get_str(obj, path, "time_format", JSON_OPTIONAL, &tf, e))
        return -1;
    size_t fi = 0, nfmt = sizeof formats / sizeof formats[0];
    while (fi < nfmt && strcmp(formats[fi].name, format) != 0)
        fi++;
    json_path_key(p, sizeof p, path, "format");
    if (fi == nfmt)
        return json_fail(e, p, "unknown format \"%s\" (known: surge, shopify-orders-export, csv)", format);
    replay_opts_default(formats[fi].format, o);
    if (o->format == REPLAY_CSV && !cols)
        return json_fail(e, p, "format \"csv\" needs columns {time, sku, ...}: the header names to read");
    if (o->format != REPLAY_CSV && (cols || tf)) {
        json_path_key(p, sizeof p, path, cols ? "columns" : "time_format");
        return json_fail(e, p, "only for format \"csv\"; format \"%s\" has its own", format);
    }
    if (cols && read_columns(cols, path, o, e))
        return -1;
    if (tf) {
        /* The last time format is surge's own layout's, not offered. */
        size_t ti = 0, n_offered = sizeof time_formats / sizeof time_formats[0] - 1;
        while (ti < n_offered && strcmp(time_formats[ti].name, tf) != 0)
            ti++;
        json_path_key(p, sizeof p, path, "time_format");
        if (ti == n_offered)
            return json_fail(e, p, "unknown time format \"%s\" (known: iso8601, shopify, epoch)", tf);
        o->time = time_formats[ti].time;
    }
    if (read_bound(obj, path, "from", &o->has_from, &o->from_offset, &o->from, e) ||
        read_bound(obj, path, "to", &o->has_to, &o->to_offset, &o->to, e))
        return -1;
    if (o->has_from && o->has_to && o->from_offset == o->to_offset && o->to <= o->from) {
        json_path_key(p, sizeof p, path, "to");
        return json_fail(e, p, "not after from: the window holds nothing");
    }
    return 0;
}

int replay_load(const cJSON *obj, const char *path, const char *dir, const scenario *s,
                sc_stream *st, json_err *e)
{
    static const char *const keys[] = {"file", "speed", "format", "columns", "time_format", "from", "to", NULL};
    const char *file = NULL;
    replay_opts o;
    st->replay_speed = 1;
    if (json_only_keys(obj, path, keys, e) ||
        json_get_str(obj, path, "file", JSON_REQUIRED, &file, e) ||
        json_get_num(obj, path, "speed", JSON_OPTIONAL, 1e-6, 1e9, &st->replay_speed, e) ||
        read_opts(obj, path, &o, e))
        return -1;
    char full[1024], fp[300];
    if (file[0] == '/' || !dir)
        snprintf(full, sizeof full, "%s", file);
    else
        snprintf(full, sizeof full, "%s/%s", dir, file);
    json_path_key(fp, sizeof fp, path, "file");
    FILE *f = fopen(full, "r");
    if (!f)
        return json_fail(e, fp, "cannot open %s: %s", full, strerror(errno));
    int rc = replay_read(f, full, fp, &o, s, st, e);
    fclose(f);
    return rc;
}
