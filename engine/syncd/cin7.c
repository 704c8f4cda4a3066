/* The Cin7 Core client; see cin7.h. */
#include "cin7.h"

#include "json.h"
#include "log.h"
#include "mem.h"
#include "sbuf.h"
#include "strmap.h"

#include <math.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cin7 {
    char *base;
    char *hdr_account;
    char *hdr_key;
    int page_limit;
    gate *g;
    outbound out;
};

cin7 *cin7_new(const char *base_url, const char *account, const char *key, int calls_per_minute,
               int page_limit, int64_t timeout_ms, const policy *pol, metrics *m,
               const sclock *clk)
{
    cin7 *c = xcalloc(1, sizeof *c);
    c->base = xstrdup(base_url);
    c->hdr_account = xasprintf("api-auth-accountid: %s", account);
    c->hdr_key = xasprintf("api-auth-applicationkey: %s", key);
    c->page_limit = page_limit > 0 ? page_limit : 1000;
    c->g = gate_window(calls_per_minute, 60000, clk);
    c->out = (outbound){
        .system = "cin7",
        .gate = c->g,
        .m = m,
        .clk = clk,
        .pol = *pol,
        .inline_attempts = 3,
        .inline_wait_cap = 10000,
        .timeout_ms = timeout_ms,
    };
    return c;
}

void cin7_free(cin7 *c)
{
    if (!c)
        return;
    gate_free(c->g);
    free(c->base);
    free(c->hdr_account);
    free(c->hdr_key);
    free(c);
}

void cin7_stop(cin7 *c)
{
    gate_stop(c->g);
}

gate *cin7_gate(cin7 *c)
{
    return c->g;
}

void cin7_call(cin7 *c, const char *method, const char *path, const char *body, int prio,
               int idempotent, outcome *out)
{
    char *url = xasprintf("%s%s", c->base, path);
    const char *headers[] = {c->hdr_account, c->hdr_key, "Content-Type: application/json",
                             "Accept: application/json", NULL};
    httpc_req req = {.method = method, .url = url, .headers = headers, .body = body,
                     .body_len = body ? strlen(body) : 0, .idempotent = idempotent};
    outbound_call(&c->out, &req, prio, idempotent, 1, out);
    free(url);
}

/* Parses a DONE answer as JSON; on failure turns the outcome PERMANENT. */
static cJSON *answer_json(outcome *out)
{
    if (out->action != POLICY_DONE)
        return NULL;
    json_err e;
    cJSON *v = json_parse(out->resp.body, out->resp.body_len, &e);
    if (!v) {
        out->action = POLICY_RETRY; /* a garbled answer: try again later */
        out->wait_ms = 1000;
        snprintf(out->error, sizeof out->error, "cin7: unreadable answer: %.250s", e.msg);
    }
    return v;
}

static int64_t num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Pages through a Cin7 list: GETs <prefix>Page=N&Limit=<page limit><suffix>
 * for N = 1, 2, ... and hands each answer to page(), which takes its rows
 * and says whether another page is wanted (see more_pages). The outcome of
 * the previous page is released before the next call. Returns 0, or -1 when
 * a call failed (out says why; what page() took so far is the caller's). */
static int each_page(cin7 *c, const char *prefix, const char *suffix, int prio, outcome *out,
                     int (*page)(cJSON *v, int n, void *ud), void *ud)
{
    for (int n = 1;; n++) {
        char *path = xasprintf("%sPage=%d&Limit=%d%s", prefix, n, c->page_limit, suffix);
        cin7_call(c, "GET", path, NULL, prio, 1, out);
        free(path);
        cJSON *v = answer_json(out);
        if (!v)
            return -1;
        int more = page(v, n, ud);
        cJSON_Delete(v);
        if (!more)
            return 0;
        outbound_done(out);
    }
}

/* Whether a list goes on after a page that held got rows: the page was
 * full and fewer than the list's Total rows have been seen. */
static int more_pages(const cin7 *c, int got, int64_t seen, int64_t total)
{
    return got >= c->page_limit && seen < total;
}

/* The figures of one SKU x location, summed over its rows. */
enum { F_ON_HAND, F_ALLOCATED, F_AVAILABLE, F_ON_ORDER, F_IN_TRANSIT, N_FIGURES };
static const char *const figure_keys[N_FIGURES] = {"OnHand", "Allocated", "Available", "OnOrder",
                                                   "InTransit"};

typedef struct {
    const cin7 *c;
    cin7_snapshot *snap;
    size_t cap;
    strmap *cell;   /* "SKU\x1fLocation" -> index into snap->rows */
    double (*sums)[N_FIGURES];
    int64_t seen;   /* rows read, for paging */
} avail_ctx;

static double dnum(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* Cin7 lists a row per product x location x bin x batch: a location's
 * figures are the sums of its rows. Quantities may be decimal; they are
 * summed exactly as given and whole units taken at the end (floor), since
 * Shopify sells whole units. */
static int avail_page(cJSON *v, int n, void *ud)
{
    (void)n;
    avail_ctx *a = ud;
    cin7_snapshot *snap = a->snap;
    int got = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(v, "ProductAvailabilityList"))
    {
        got++;
        const char *s = str(row, "SKU"), *loc = str(row, "Location");
        if (!s || !loc)
            continue;
        char *key = xasprintf("%s\x1f%s", s, loc);
        long i = strmap_get(a->cell, key);
        if (i < 0) {
            size_t cap = a->cap;
            XGROW(snap->rows, snap->n, a->cap, 256);
            if (a->cap != cap)
                a->sums = xrealloc(a->sums, a->cap * sizeof *a->sums);
            i = (long)snap->n++;
            snap->rows[i] = (cin7_row){xstrdup(s), xstrdup(loc), 0, 0, 0, 0, 0};
            memset(a->sums[i], 0, sizeof a->sums[i]);
            strmap_put(a->cell, key, i);
        }
        free(key);
        for (int f = 0; f < N_FIGURES; f++)
            a->sums[i][f] += dnum(row, figure_keys[f]);
    }
    a->seen += got;
    return more_pages(a->c, got, a->seen, num(v, "Total"));
}

/* Whole units of a summed figure; a sum a hair under a whole number (binary
 * fractions of decimal quantities) counts as that number. */
static int64_t units(double v)
{
    return (int64_t)floor(v + 1e-6);
}

void cin7_availability(cin7 *c, const char *sku, int prio, cin7_snapshot *snap, outcome *out)
{
    memset(snap, 0, sizeof *snap);
    snap->read_started = clock_now_ms(c->out.clk);
    sbuf filter = SBUF_INIT;
    if (sku) {
        sbuf_puts(&filter, "&Sku=");
        sbuf_urlenc(&filter, sku);
    }
    avail_ctx a = {c, snap, 0, strmap_new(0), NULL, 0};
    if (each_page(c, "ref/productavailability?", sbuf_str(&filter), prio, out, avail_page, &a) < 0) {
        cin7_snapshot_free(snap);
    } else {
        for (size_t i = 0; i < snap->n; i++) {
            cin7_row *r = &snap->rows[i];
            r->on_hand = units(a.sums[i][F_ON_HAND]);
            r->allocated = units(a.sums[i][F_ALLOCATED]);
            r->available = units(a.sums[i][F_AVAILABLE]);
            r->on_order = units(a.sums[i][F_ON_ORDER]);
            r->in_transit = units(a.sums[i][F_IN_TRANSIT]);
        }
    }
    free(a.sums);
    strmap_free(a.cell);
    sbuf_free(&filter);
}

void cin7_snapshot_free(cin7_snapshot *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->rows[i].sku);
        free(s->rows[i].location);
    }
    free(s->rows);
    s->rows = NULL;
    s->n = 0;
}

typedef struct {
    const cin7 *c;
    char **skus;
    size_t n, cap;
} skus_ctx;

static int skus_page(cJSON *v, int n, void *ud)
{
    (void)n;
    skus_ctx *k = ud;
    int got = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(v, "Products"))
    {
        const char *s = str(p, "SKU");
        got++;
        if (!s)
            continue;
        XGROW(k->skus, k->n, k->cap, 64);
        k->skus[k->n++] = xstrdup(s);
    }
    return more_pages(k->c, got, (int64_t)k->n, num(v, "Total"));
}

void cin7_product_skus(cin7 *c, char ***skus, size_t *n, outcome *out)
{
    skus_ctx k = {c, NULL, 0, 0};
    each_page(c, "product?", "", PRIO_BULK, out, skus_page, &k);
    *skus = k.skus;
    *n = k.n;
}

void cin7_sale_create(cin7 *c, const cJSON *sale, int prio, char **sale_id, outcome *out)
{
    *sale_id = NULL;
    char *body = json_print(sale);
    cin7_call(c, "POST", "sale", body, prio, 0, out);
    free(body);
    cJSON *v = answer_json(out);
    if (!v)
        return;
    const char *id = str(v, "ID");
    if (id)
        *sale_id = xstrdup(id);
    cJSON_Delete(v);
}

void cin7_sale_order(cin7 *c, const cJSON *order, int prio, outcome *out)
{
    char *body = json_print(order);
    cin7_call(c, "POST", "sale/order", body, prio, 0, out);
    free(body);
}

void cin7_sale_order_status(cin7 *c, const char *sale_id, int prio, char **status, outcome *out)
{
    *status = NULL;
    sbuf path = SBUF_INIT;
    sbuf_puts(&path, "sale/order?SaleID=");
    sbuf_urlenc(&path, sale_id);
    cin7_call(c, "GET", sbuf_str(&path), NULL, prio, 1, out);
    sbuf_free(&path);
    cJSON *v = answer_json(out);
    if (!v)
        return;
    const char *s = str(v, "Status");
    *status = xstrdup(s ? s : "NOT AVAILABLE");
    cJSON_Delete(v);
}

/* A saleList row that is not voided. */
static int live(const cJSON *row)
{
    const char *status = str(row, "Status");
    return !status || strcmp(status, "VOIDED") != 0;
}

static const char *row_id(const cJSON *row)
{
    const char *id = str(row, "SaleID");
    return id ? id : str(row, "ID");
}

typedef struct {
    const cin7 *c;
    const char *external_id;
    char *found, *order_status;
} find_ctx;

static int find_page(cJSON *v, int n, void *ud)
{
    find_ctx *f = ud;
    int got = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(v, "SaleList"))
    {
        got++;
        const char *ext = str(row, "ExternalID"), *id = row_id(row);
        if (f->found || !live(row) || !id || !ext || strcmp(ext, f->external_id) != 0)
            continue;
        f->found = xstrdup(id);
        const char *os = str(row, "OrderStatus");
        f->order_status = xstrdup(os ? os : "NOT AVAILABLE");
    }
    return !f->found && more_pages(f->c, got, (int64_t)n * f->c->page_limit, num(v, "Total"));
}

void cin7_sale_find(cin7 *c, const char *external_id, int prio, char **sale_id,
                    char **order_status, outcome *out)
{
    sbuf filter = SBUF_INIT;
    sbuf_puts(&filter, "&ExternalID=");
    sbuf_urlenc(&filter, external_id);
    find_ctx f = {c, external_id, NULL, NULL};
    if (each_page(c, "saleList?", sbuf_str(&filter), prio, out, find_page, &f) < 0) {
        free(f.found);
        free(f.order_status);
        f.found = f.order_status = NULL;
    }
    sbuf_free(&filter);
    *sale_id = f.found;
    *order_status = f.order_status;
}

typedef struct {
    const cin7 *c;
    const char *ref, *prefix;
    char **ids;
    size_t n;
} ids_ctx;

static int ids_page(cJSON *v, int n, void *ud)
{
    ids_ctx *k = ud;
    int got = 0;
    size_t plen = strlen(k->prefix);
    const cJSON *row;
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(v, "SaleList"))
    {
        got++;
        const char *r = str(row, "CustomerReference"), *ext = str(row, "ExternalID");
        const char *id = row_id(row);
        if (!r || strcmp(r, k->ref) != 0 || !ext || strncmp(ext, k->prefix, plen) != 0 ||
            !live(row) || !id)
            continue;
        k->ids = xrealloc(k->ids, (k->n + 1) * sizeof *k->ids);
        k->ids[k->n++] = xstrdup(id);
    }
    return more_pages(k->c, got, (int64_t)n * k->c->page_limit, num(v, "Total"));
}

void cin7_sales_for(cin7 *c, const char *ref, const char *external_prefix, int prio, char ***ids,
                    size_t *n, outcome *out)
{
    sbuf search = SBUF_INIT;
    sbuf_puts(&search, "&Search=");
    sbuf_urlenc(&search, ref);
    ids_ctx k = {c, ref, external_prefix, NULL, 0};
    each_page(c, "saleList?", sbuf_str(&search), prio, out, ids_page, &k);
    sbuf_free(&search);
    *ids = k.ids;
    *n = k.n;
}

void cin7_sale_void(cin7 *c, const char *sale_id, int prio, outcome *out)
{
    sbuf path = SBUF_INIT;
    sbuf_puts(&path, "sale?ID=");
    sbuf_urlenc(&path, sale_id);
    sbuf_puts(&path, "&Void=true");
    cin7_call(c, "DELETE", sbuf_str(&path), NULL, prio, 1, out);
    sbuf_free(&path);
}

void cin7_webhooks(cin7 *c, cJSON **list, outcome *out)
{
    *list = NULL;
    cin7_call(c, "GET", "webhooks", NULL, PRIO_NORMAL, 1, out);
    cJSON *v = answer_json(out);
    if (!v)
        return;
    /* Either a bare array or {"Webhooks":[...]}. */
    if (cJSON_IsArray(v)) {
        *list = v;
        return;
    }
    cJSON *inner = cJSON_DetachItemFromObjectCaseSensitive(v, "Webhooks");
    cJSON_Delete(v);
    *list = inner ? inner : cJSON_CreateArray();
}

void cin7_webhook_create(cin7 *c, const char *type, const char *url, const char *auth_type,
                         const char *secret, const char *header, outcome *out)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Type", type);
    cJSON_AddStringToObject(o, "Name", "surge syncd");
    cJSON_AddBoolToObject(o, "IsActive", 1);
    cJSON_AddStringToObject(o, "ExternalURL", url);
    const char *cin7_type = "noauth";
    if (strcmp(auth_type, "basic") == 0) {
        cin7_type = "basicauth";
        const char *colon = strchr(secret, ':');
        char *user = xstrndup(secret, (size_t)(colon - secret));
        cJSON_AddStringToObject(o, "ExternalUserName", user);
        cJSON_AddStringToObject(o, "ExternalPassword", colon + 1);
        free(user);
    } else if (strcmp(auth_type, "bearer") == 0) {
        cin7_type = "bearerauth";
        cJSON_AddStringToObject(o, "ExternalBearerToken", secret);
    } else if (strcmp(auth_type, "header") == 0) {
        cJSON *hs = cJSON_AddArrayToObject(o, "ExternalHeaders");
        cJSON *h = cJSON_CreateObject();
        cJSON_AddStringToObject(h, "Key", header);
        cJSON_AddStringToObject(h, "Value", secret);
        cJSON_AddItemToArray(hs, h);
    }
    cJSON_AddStringToObject(o, "ExternalAuthorizationType", cin7_type);
    char *body = json_print(o);
    cJSON_Delete(o);
    cin7_call(c, "POST", "webhooks", body, PRIO_NORMAL, 0, out);
    free(body);
}

void cin7_get_json(cin7 *c, const char *path, int prio, cJSON **out, outcome *o)
{
    cin7_call(c, "GET", path, NULL, prio, 1, o);
    *out = answer_json(o);
}

typedef struct {
    const cin7 *c;
    const char *key;
    cJSON *rows;
} list_ctx;

static int list_page(cJSON *v, int n, void *ud)
{
    list_ctx *k = ud;
    cJSON *list = cJSON_GetObjectItemCaseSensitive(v, k->key);
    int got = cJSON_GetArraySize(list);
    json_array_move(k->rows, list);
    return more_pages(k->c, got, (int64_t)n * k->c->page_limit, num(v, "Total"));
}

void cin7_list(cin7 *c, const char *path, const char *key, int prio, cJSON **rows, outcome *o)
{
    char *prefix = xasprintf("%s%s", path, strchr(path, '?') ? "&" : "?");
    list_ctx k = {c, key, cJSON_CreateArray()};
    if (each_page(c, prefix, "", prio, o, list_page, &k) < 0) {
        cJSON_Delete(k.rows);
        k.rows = NULL;
    }
    free(prefix);
    *rows = k.rows;
}
