/*
 * The journal reader; see ingest.h. Each journal is read in full, then
 * walked once in its order (the mocks' seq order, the order side effects
 * happened), each entry of a kind the metrics use becoming one model record.
 * Times become scenario ms: the mocks' clock less t0.
 */
#include "ingest.h"

#include "json.h"
#include "mem.h"
#include "setup.h"
#include "strmap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ENTRY_LINES 64 /* lines read from one entry */

typedef struct {
    cJSON **entries;
    size_t n;
} journal_data;

static int read_journal(const char *path, journal_data *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 0;
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t len;
    while ((len = getline(&line, &line_cap, f)) > 0) {
        json_err e;
        cJSON *v = json_parse(line, (size_t)len, &e);
        if (!v)
            continue; /* a process killed mid-write leaves a torn last line */
        XGROW(out->entries, out->n, cap, 4096);
        out->entries[out->n++] = v;
    }
    free(line);
    fclose(f);
    return 0;
}

static void journal_free(journal_data *j)
{
    for (size_t i = 0; i < j->n; i++)
        cJSON_Delete(j->entries[i]);
    free(j->entries);
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A number of an entry; dflt when it is none, or none a double holds
 * exactly (journals are read whatever they hold). */
static int64_t num(const cJSON *o, const char *key, int64_t dflt)
{
    int64_t n = dflt;
    json_int53(cJSON_GetObjectItemCaseSensitive(o, key), &n);
    return n;
}

static int is_true(const cJSON *o, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static int kind_is(const char *kind, const char *want)
{
    return strcmp(kind, want) == 0;
}

/* A purchase entry shows an open draft: Cin7's DRAFT or ORDERING status,
 * or an order part still in DRAFT. */
static int is_draft(const cJSON *e)
{
    const char *status = str(e, "status"), *ostatus = str(e, "order_status");
    return (status && (kind_is(status, "DRAFT") || kind_is(status, "ORDERING"))) ||
           (ostatus && kind_is(ostatus, "DRAFT"));
}

static int sku_of(const scenario *sc, const char *s, int shopify_side)
{
    if (!s)
        return -1;
    return shopify_side ? scenario_sku_by_shopify(sc, s) : scenario_sku_index(sc, s);
}

static int shop_index(const scenario *sc, const char *domain)
{
    for (size_t i = 0; domain && i < sc->n_shops; i++)
        if (strcmp(sc->shops[i].domain, domain) == 0)
            return (int)i;
    return -1;
}

/* The lines of an entry ("lines": [{"sku","qty"}]), at most cap. */
static size_t entry_lines(const scenario *sc, const cJSON *e, int shopify_side, model_line *out,
                          size_t cap)
{
    size_t n = 0;
    const cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(e, "lines"))
    {
        if (n == cap)
            break;
        out[n++] = (model_line){sku_of(sc, str(l, "sku"), shopify_side), num(l, "qty", 0)};
    }
    return n;
}

static void id_of(const cJSON *e, const char *key, char *buf, size_t n)
{
    json_id_text(cJSON_GetObjectItemCaseSensitive(e, key), buf, n);
}

/* ---- product data ----------------------------------------------------------------- */

/* A product data value as text (numbers in their JSON form, a weight
 * object as "VALUE UNIT"), in buf; NULL for none. */
static const char *value_text(const cJSON *v, char *buf, size_t n)
{
    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsNumber(v)) {
        snprintf(buf, n, "%.17g", v->valuedouble);
        return buf;
    }
    if (cJSON_IsObject(v)) {
        const cJSON *val = cJSON_GetObjectItemCaseSensitive(v, "value");
        const char *unit = str(v, "unit");
        if (!cJSON_IsNumber(val) || !unit)
            return NULL;
        snprintf(buf, n, "%.17g %s", val->valuedouble, unit);
        return buf;
    }
    return NULL;
}

/* Which field a side's name is: Cin7's product fields (its price tiers as
 * setup_price_tier maps them) or Shopify's; -1 for any other. */
static int product_field(const scenario *sc, const char *name, int shopify_side)
{
    static const char *const cin7[] = {NULL, NULL, "Name", "SupplierCost", "Barcode", "Weight",
                                       "Status", "WeightUnits"};
    static const char *const shopify[] = {"price", "compareAtPrice", "title", "cost",
                                          "barcode", "weight", "status", NULL};
    for (int f = 0; f < MODEL_N_FIELDS; f++) {
        const char *want = shopify_side ? shopify[f]
                           : f == SC_FIELD_PRICE      ? setup_price_tier(sc, 0)
                           : f == SC_FIELD_COMPARE_AT ? setup_price_tier(sc, 1)
                                                      : cin7[f];
        if (want && strcmp(want, name) == 0)
            return f;
    }
    return -1;
}

/* A product_updated entry of either mock: each field it names changed. */
static void product_entry(run_model *m, const cJSON *e, int64_t t, int shopify_side)
{
    if (!m->sc->ownership.given)
        return;
    int shop = shopify_side ? shop_index(m->sc, str(e, "shop")) : -1;
    int sku = sku_of(m->sc, str(e, "sku"), shopify_side);
    if (sku < 0 || (shopify_side && shop < 0))
        return;
    /* A person's edit names no client: Cin7's application, Shopify's by. */
    const cJSON *who = cJSON_GetObjectItemCaseSensitive(e, shopify_side ? "by" : "application");
    int staff = !who || cJSON_IsNull(who);
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(e, "fields"))
    {
        int field = f->string ? product_field(m->sc, f->string, shopify_side) : -1;
        char b[96], a[96];
        if (field >= 0)
            model_add_prodval(m, t, shop, sku, field, 0, staff,
                              value_text(cJSON_GetObjectItemCaseSensitive(f, "before"), b, sizeof b),
                              value_text(cJSON_GetObjectItemCaseSensitive(f, "after"), a, sizeof a));
    }
}

/* A price tier of a Cin7 product's final state ("PriceTierN" -> price_tiers[N-1]). */
static const cJSON *tier_of(const cJSON *p, const char *tier)
{
    int n = atoi(tier + 9);
    return n >= 1 ? cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p, "price_tiers"), n - 1)
                  : NULL;
}

/* The final product data of both mocks' states. */
static void final_products(run_model *m, const measure_input *in)
{
    const scenario *sc = m->sc;
    static const char *const cin7_keys[] = {NULL, NULL, "name", "supplier_cost", "barcode",
                                            "weight", "status", "weight_units"};
    static const char *const shop_keys[] = {"price", "compareAtPrice", "title", "cost",
                                            "barcode", "weight", "status", NULL};
    char buf[96];
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(in->cin7_state, "products"))
    {
        int sku = sku_of(sc, str(p, "sku"), 0);
        for (int f = 0; f < MODEL_N_FIELDS; f++) {
            const cJSON *v = f <= SC_FIELD_COMPARE_AT
                                 ? tier_of(p, setup_price_tier(sc, f == SC_FIELD_COMPARE_AT))
                                 : cJSON_GetObjectItemCaseSensitive(p, cin7_keys[f]);
            model_add_prodval(m, m->end, -1, sku, f, 1, 0, NULL, value_text(v, buf, sizeof buf));
        }
    }
    const cJSON *shop;
    cJSON_ArrayForEach(shop, cJSON_GetObjectItemCaseSensitive(in->shopify_state, "shops"))
    {
        int si = shop_index(sc, str(shop, "domain"));
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(shop, "catalog"))
        {
            int sku = sku_of(sc, str(p, "sku"), 1);
            for (int f = 0; si >= 0 && shop_keys[f]; f++)
                model_add_prodval(m, m->end, si, sku, f, 1, 0, NULL,
                                  value_text(cJSON_GetObjectItemCaseSensitive(p, shop_keys[f]), buf,
                                             sizeof buf));
        }
    }
    m->products_known = 1;
}

/* ---- Shopify ---------------------------------------------------------------------- */

static model_by level_by(const char *by)
{
    static const struct {
        const char *name;
        model_by by;
    } names[] = {{"set", MODEL_BY_ENGINE},        {"adjust", MODEL_BY_ENGINE},
                 {"graphql_set", MODEL_BY_ENGINE}, {"graphql_adjust", MODEL_BY_ENGINE},
                 {"checkout", MODEL_BY_SHOPPER},   {"cancel", MODEL_BY_SHOPPER},
                 {"refund", MODEL_BY_SHOPPER},     {"seed", MODEL_BY_SEED}};
    for (size_t i = 0; by && i < sizeof names / sizeof names[0]; i++)
        if (kind_is(by, names[i].name))
            return names[i].by;
    return MODEL_BY_OTHER;
}

/* A webhook delivery queued for an order: its topic, told by its id. */
typedef struct {
    char topic[40];
    char order[MODEL_ID_LEN];
} delivery;

typedef struct {
    delivery *d;
    size_t n, cap;
    strmap *by_id;
} shopify_walk;

/* mock-shopify's order_cancelled entry says who cancelled: "api" (an app's
 * REST or GraphQL call) or "shopper" (its /_mock/cancel, a cancellation in
 * Shopify's own screens). */
static void order_cancelled(run_model *m, const cJSON *e, int64_t t)
{
    char id[MODEL_ID_LEN];
    id_of(e, "order_id", id, sizeof id);
    const char *by = str(e, "by");
    model_order_cancelled(m, t, id, is_true(e, "restock"), !(by && kind_is(by, "api")));
}

static void fulfillment_order_entry(run_model *m, const cJSON *e, int release, int64_t t)
{
    char id[MODEL_ID_LEN];
    id_of(e, "order_id", id, sizeof id);
    const char *reason = str(e, "reason");
    model_add_hold(m, t, id, num(e, "fulfillment_order_id", -1), release,
                   reason && strcasecmp(reason, "INVENTORY_OUT_OF_STOCK") == 0);
}

static void notification_entry(run_model *m, const cJSON *e, int64_t t)
{
    char id[MODEL_ID_LEN];
    id_of(e, "order_id", id, sizeof id);
    const char *tpl = str(e, "template");
    model_note_kind k = !tpl                                     ? MODEL_NOTE_OTHER
                        : kind_is(tpl, "shipping_confirmation") ? MODEL_NOTE_SHIPPING
                        : kind_is(tpl, "order_cancelled")       ? MODEL_NOTE_CANCELLED
                                                                : MODEL_NOTE_OTHER;
    model_add_notification(m, t, id, k);
}

static void shopify_entry(run_model *m, const cJSON *e, const char *kind, int64_t t, shopify_walk *w)
{
    const scenario *sc = m->sc;
    char id[MODEL_ID_LEN];
    model_line lines[MAX_ENTRY_LINES];
    if (kind_is(kind, "checkout")) {
        const char *result = str(e, "result");
        int accepted = result && kind_is(result, "accepted");
        if (!accepted && !(result && kind_is(result, "sold_out")))
            return;
        size_t n = entry_lines(sc, e, 1, lines, MAX_ENTRY_LINES);
        id_of(e, "order_id", id, sizeof id);
        model_add_checkout(m, t, shop_index(sc, str(e, "shop")), accepted, id, lines, n);
    } else if (kind_is(kind, "order_paid")) {
        id_of(e, "order_id", id, sizeof id);
        model_order_paid(m, t, id);
    } else if (kind_is(kind, "order_cancelled")) {
        order_cancelled(m, e, t);
    } else if (kind_is(kind, "fulfillment")) {
        size_t n = entry_lines(sc, e, 1, lines, MAX_ENTRY_LINES);
        id_of(e, "order_id", id, sizeof id);
        model_add_fulfillment(m, t, id, lines, n);
    } else if (kind_is(kind, "fulfillment_order_hold") || kind_is(kind, "fulfillment_order_release")) {
        fulfillment_order_entry(m, e, kind_is(kind, "fulfillment_order_release"), t);
    } else if (kind_is(kind, "notification")) {
        notification_entry(m, e, t);
    } else if (kind_is(kind, "webhook_queued")) {
        const char *wid = str(e, "id");
        if (!wid)
            return;
        XGROW(w->d, w->n, w->cap, 1024);
        delivery *d = &w->d[w->n];
        snprintf(d->topic, sizeof d->topic, "%s", str(e, "topic") ? str(e, "topic") : "");
        id_of(e, "resource_id", d->order, sizeof d->order);
        strmap_put(w->by_id, wid, (long)w->n++);
    } else if (kind_is(kind, "webhook_attempt") && is_true(e, "ok")) {
        long di = strmap_get(w->by_id, str(e, "id"));
        if (di >= 0 && w->d[di].order[0])
            model_order_acked(m, t, w->d[di].order, w->d[di].topic);
    } else if (kind_is(kind, "request") && str(e, "client")) {
        model_add_request(m, t, MODEL_SHOPIFY, (int)num(e, "status", 0), 0);
    } else if (kind_is(kind, "product_updated")) {
        product_entry(m, e, t, 1);
    } else if (kind_is(kind, "inventory")) {
        model_add_level(m, t, shop_index(sc, str(e, "shop")), sku_of(sc, str(e, "sku"), 1),
                        num(e, "new", 0), level_by(str(e, "by")));
    }
}

/* Mock-shopify's journal, in its order. */
static void shopify_journal(run_model *m, const journal_data *sj, int64_t t0)
{
    shopify_walk w = {.by_id = strmap_new(0)};
    for (size_t i = 0; i < sj->n; i++) {
        const char *kind = str(sj->entries[i], "kind");
        if (kind)
            shopify_entry(m, sj->entries[i], kind, num(sj->entries[i], "t", 0) - t0, &w);
    }
    m->statuses_known = 1;
    free(w.d);
    strmap_free(w.by_id);
}

/* ---- Cin7 ------------------------------------------------------------------------- */

static model_cause stock_cause(const char *cause)
{
    static const struct {
        const char *name;
        model_cause cause;
    } names[] = {{"sale", MODEL_CAUSE_SALE},
                 {"channel_sale", MODEL_CAUSE_CHANNEL_SALE},
                 {"purchase_received", MODEL_CAUSE_PURCHASE_RECEIVED},
                 {"adjustment", MODEL_CAUSE_ADJUSTMENT},
                 {"sale_voided", MODEL_CAUSE_SALE_VOIDED}};
    if (!cause)
        return MODEL_CAUSE_NONE;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (kind_is(cause, names[i].name))
            return names[i].cause;
    return MODEL_CAUSE_OTHER;
}

static model_po_kind po_kind(const char *kind)
{
    static const char *const names[] = {"purchase_created", "purchase_updated", "purchase_authorised",
                                        "purchase_voided", "purchase_received"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (kind_is(kind, names[i]))
            return (model_po_kind)i;
    return MODEL_PO_OTHER;
}

static void sale_entry(run_model *m, const cJSON *e, model_sale_kind k, int64_t t)
{
    int64_t units = 0;
    const cJSON *l;
    if (k == MODEL_SALE_AUTHORISED)
        cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(e, "lines")) units += num(l, "qty", 0);
    model_add_sale(m, t, k, str(e, "id"), str(e, "customer_reference"),
                   model_location(m, str(e, "location")), units);
}

/* A shipment at its stage_t (the mock's clock, as t is), else at t. */
static void shipment_entry(run_model *m, const cJSON *e, int64_t t, int64_t t0)
{
    model_line lines[MAX_ENTRY_LINES];
    size_t n = entry_lines(m->sc, e, 0, lines, MAX_ENTRY_LINES);
    model_add_shipment(m, num(e, "stage_t", t + t0) - t0, str(e, "id"), str(e, "customer_reference"),
                       model_location(m, str(e, "location")), (int)num(e, "fulfilment", 1),
                       is_true(e, "complete"), lines, n);
}

static void cin7_entry(run_model *m, const cJSON *e, const char *kind, int64_t t, int64_t t0)
{
    const scenario *sc = m->sc;
    if (kind_is(kind, "sale_created")) {
        sale_entry(m, e, MODEL_SALE_CREATED, t);
    } else if (kind_is(kind, "sale_authorised")) {
        sale_entry(m, e, MODEL_SALE_AUTHORISED, t);
    } else if (kind_is(kind, "sale_voided")) {
        /* A user's void (POST /_mock/void, or Cin7's own screens) names no
         * application; the API's names the caller's. */
        const cJSON *app = cJSON_GetObjectItemCaseSensitive(e, "application");
        model_add_void(m, t, str(e, "id"), str(e, "customer_reference"),
                       model_location(m, str(e, "location")), cJSON_IsNull(app));
    } else if (kind_is(kind, "sale_shipment")) {
        shipment_entry(m, e, t, t0);
    } else if (kind_is(kind, "backorder") || kind_is(kind, "backorder_filled")) {
        model_add_backorder(m, t, kind_is(kind, "backorder_filled"), str(e, "sale"),
                            str(e, "customer_reference"), sku_of(sc, str(e, "sku"), 0),
                            model_location(m, str(e, "location")), num(e, "qty", 0),
                            num(e, "still_backordered", INT64_MIN));
    } else if (kind_is(kind, "product_updated")) {
        product_entry(m, e, t, 0);
    } else if (kind_is(kind, "channel_sale")) {
        model_add_channel_sale(m, t, sku_of(sc, str(e, "sku"), 0), num(e, "qty", 0),
                               is_true(e, "accepted"));
    } else if (kind_is(kind, "stock")) {
        model_add_stock(m, t, sku_of(sc, str(e, "sku"), 0), model_location(m, str(e, "location")),
                        stock_cause(str(e, "cause")), num(e, "available", 0),
                        num(e, "on_hand", 0) + num(e, "on_order", 0) + num(e, "in_transit", 0) -
                            num(e, "allocated", 0));
    } else if (strncmp(kind, "purchase_", 9) == 0) {
        if (!str(e, "id"))
            return;
        model_line lines[MAX_ENTRY_LINES];
        size_t n = entry_lines(sc, e, 0, lines, MAX_ENTRY_LINES);
        model_add_purchase(m, t, po_kind(kind), str(e, "id"), str(e, "supplier"), is_draft(e), lines,
                           n);
    } else if (kind_is(kind, "request") && str(e, "client")) {
        const char *route = str(e, "route"), *method = str(e, "method");
        int sale_write = route && method && kind_is(method, "POST") &&
                         (kind_is(route, "/ExternalApi/v2/sale") ||
                          kind_is(route, "/ExternalApi/v2/sale/order"));
        model_add_request(m, t, MODEL_CIN7, (int)num(e, "status", 0), sale_write);
    }
}

/* ---- final states ------------------------------------------------------------------ */

static void final_states(run_model *m, const measure_input *in)
{
    const scenario *sc = m->sc;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(in->cin7_state, "products"))
        model_set_product(m, sku_of(sc, str(p, "sku"), 0), num(p, "initial", 0), num(p, "received", 0),
                          num(p, "adjusted", 0));
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(in->cin7_state, "stock"))
        model_add_final_stock(m, sku_of(sc, str(p, "sku"), 0), model_location(m, str(p, "location")),
                              num(p, "available", 0));
    const cJSON *shop;
    cJSON_ArrayForEach(shop, cJSON_GetObjectItemCaseSensitive(in->shopify_state, "shops"))
    {
        int si = shop_index(sc, str(shop, "domain"));
        const cJSON *lv;
        cJSON_ArrayForEach(lv, cJSON_GetObjectItemCaseSensitive(shop, "levels"))
            model_add_final_level(m, si, sku_of(sc, str(lv, "sku"), 1), num(lv, "available", 0));
    }
    /* Dead letters name their order in their body. */
    m->dead_letters_unknown = in->dlq == NULL;
    const cJSON *d;
    cJSON_ArrayForEach(d, in->dlq)
    {
        const char *body = str(d, "body");
        cJSON *b = body ? json_parse(body, strlen(body), NULL) : NULL;
        char id[MODEL_ID_LEN];
        id_of(b, "id", id, sizeof id);
        model_add_dead_letter(m, id);
        cJSON_Delete(b);
    }
}

int ingest_run(const measure_input *in, run_model **out, char *err, size_t errlen)
{
    *out = NULL;
    journal_data cj, sj;
    if (read_journal(in->cin7_journal, &cj, err, errlen))
        return -1;
    if (read_journal(in->shopify_journal, &sj, err, errlen)) {
        journal_free(&cj);
        return -1;
    }
    bounds_limits lim;
    setup_api_limits(in->sc, &lim);
    run_model *m = model_new(in->sc, in->end > 0 ? in->end : in->sc->duration_ms, &lim);
    /* Shopify first: Cin7's records name the orders its checkouts made. */
    shopify_journal(m, &sj, in->t0);
    for (size_t i = 0; i < cj.n; i++) {
        const char *kind = str(cj.entries[i], "kind");
        if (kind)
            cin7_entry(m, cj.entries[i], kind, num(cj.entries[i], "t", 0) - in->t0, in->t0);
    }
    final_states(m, in);
    /* Product data is judged only against a scenario's owners; without
     * them it is not kept (a catalog of 100,000 SKUs holds a lot of it). */
    if (in->sc->ownership.given)
        final_products(m, in);
    for (size_t i = 0; i < in->n_records; i++)
        model_add_arrival(m, &in->records[i]);
    for (size_t i = 0; i < in->n_samples; i++)
        model_add_sample(m, in->samples[i].t, in->samples[i].depth);
    journal_free(&cj);
    journal_free(&sj);
    *out = m;
    return 0;
}
