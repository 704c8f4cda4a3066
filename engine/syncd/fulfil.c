/*
 * Cin7 sales to Shopify fulfillments; see fulfil.h. The event says which
 * sale and in what state; for a sale that shipped, the sale itself is read
 * back from Cin7 (its lines, tracking number and carrier as they are now,
 * whatever a late or repeated webhook carried), the Shopify order is read
 * (its line items and what they still let fulfil), and one fulfillment is
 * posted for the units that sale shipped.
 */
#include "fulfil.h"

#include "json.h"
#include "log.h"
#include "mem.h"
#include "sbuf.h"
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One fulfillment at a time: two copies of one sale's event taken by two
 * workers must not both find it unfulfilled and both post. Shipments are
 * few and never urgent, so the lock costs nothing that matters. */
static pthread_mutex_t one_at_a_time = PTHREAD_MUTEX_INITIALIZER;

typedef struct {
    char *id, *number, *status, *tracking, *carrier, *reference, *external, *channel, *location;
    status_line *lines; /* skus owned */
    size_t n;
    int has_lines;
} sale_info;

static void info_free(sale_info *s)
{
    free(s->id);
    free(s->number);
    free(s->status);
    free(s->tracking);
    free(s->carrier);
    free(s->reference);
    free(s->external);
    free(s->channel);
    free(s->location);
    for (size_t i = 0; i < s->n; i++)
        free((char *)s->lines[i].sku);
    free(s->lines);
    memset(s, 0, sizeof *s);
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) && *v->valuestring ? v->valuestring : NULL;
}

static char *dup_of(const cJSON *o, const char *key)
{
    const char *s = str_of(o, key);
    return s ? xstrdup(s) : NULL;
}

static int64_t int_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static void read_lines(const cJSON *lines, sale_info *s)
{
    s->has_lines = cJSON_IsArray(lines);
    s->lines = xcalloc((size_t)cJSON_GetArraySize(lines) + 1, sizeof *s->lines);
    const cJSON *l;
    cJSON_ArrayForEach(l, lines)
    {
        const char *sku = str_of(l, "SKU");
        if (sku)
            s->lines[s->n++] = (status_line){xstrdup(sku), int_of(l, "Quantity"),
                                             int_of(l, "BackorderQuantity")};
    }
}

/* The fields a webhook payload, a saleList row and GET sale all name alike. */
static void info_common(const cJSON *v, sale_info *s)
{
    s->status = dup_of(v, "Status");
    s->reference = dup_of(v, "CustomerReference");
    s->external = dup_of(v, "ExternalID");
    s->channel = dup_of(v, "SourceChannel");
    s->location = dup_of(v, "Location");
}

/* From a webhook payload or a saleList row. */
static void info_from_event(const cJSON *v, sale_info *s)
{
    memset(s, 0, sizeof *s);
    info_common(v, s);
    s->id = dup_of(v, "SaleID");
    if (!s->id)
        s->id = dup_of(v, "ID");
    s->number = dup_of(v, "SaleOrderNumber");
    if (!s->number)
        s->number = dup_of(v, "OrderNumber");
    s->tracking = dup_of(v, "TrackingNumber");
    if (!s->tracking)
        s->tracking = dup_of(v, "CombinedTrackingNumbers");
    read_lines(cJSON_GetObjectItemCaseSensitive(v, "Lines"), s);
}

/* The sale an event's body (a webhook payload or a saleList row) names.
 * Returns 0, or -1 when the body is not a JSON object (*s untouched). */
static int sale_of_event(const store_event *ev, sale_info *s)
{
    cJSON *v = json_parse(ev->body, ev->body_len, NULL);
    int rc = cJSON_IsObject(v) ? 0 : -1;
    if (rc == 0)
        info_from_event(v, s);
    cJSON_Delete(v);
    return rc;
}

/* From the sale as GET sale answers it. */
static void info_from_sale(const cJSON *v, sale_info *s)
{
    memset(s, 0, sizeof *s);
    info_common(v, s);
    const cJSON *order = cJSON_GetObjectItemCaseSensitive(v, "Order");
    s->id = dup_of(v, "ID");
    s->number = dup_of(order, "SaleOrderNumber");
    /* The tracking number and carrier of the first shipped line. */
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(v, "Fulfilments"))
    {
        const cJSON *l;
        cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(
                                  cJSON_GetObjectItemCaseSensitive(f, "Ship"), "Lines"))
        {
            if (!s->tracking)
                s->tracking = dup_of(l, "TrackingNumber");
            if (!s->carrier)
                s->carrier = dup_of(l, "Carrier");
        }
    }
    if (!s->tracking)
        s->tracking = dup_of(v, "CombinedTrackingNumbers");
    read_lines(cJSON_GetObjectItemCaseSensitive(order, "Lines"), s);
}

/* The shop the sale came from (ExternalID "shop/order/location", else
 * SourceChannel), or -1 when it is not a sale syncd pushed. */
static long shop_of(const syncd *sd, const sale_info *s)
{
    for (size_t i = 0; i < sd->cfg.n_shops; i++) {
        const char *d = sd->cfg.shops[i].domain;
        size_t n = strlen(d);
        if ((s->external && strncmp(s->external, d, n) == 0 && s->external[n] == '/') ||
            (s->channel && strcmp(s->channel, d) == 0))
            return (long)i;
    }
    return -1;
}

/* The Shopify order id: CustomerReference, else ExternalID's middle part. */
static void order_of(const sale_info *s, char *buf, size_t n)
{
    buf[0] = '\0';
    if (s->reference) {
        snprintf(buf, n, "%s", s->reference);
    } else if (s->external) {
        const char *a = strchr(s->external, '/');
        const char *b = a ? strchr(a + 1, '/') : NULL;
        if (a && b && (size_t)(b - a - 1) < n)
            snprintf(buf, n, "%.*s", (int)(b - a - 1), a + 1);
    }
    for (const char *p = buf; *p; p++)
        if (*p < '0' || *p > '9') {
            buf[0] = '\0'; /* Shopify order ids are numbers */
            break;
        }
}

static void count_state(syncd *sd, const char *state)
{
    char name[96];
    snprintf(name, sizeof name, "syncd_sale_states_total{state=\"%s\"}", state);
    metrics_inc(sd->m, name, 1);
}

/* The Shopify location showing the sale's Cin7 location, else the shop's
 * first; 0 when the shop has none (Shopify then picks). */
static int64_t location_for(const catalog *cat, size_t shop, const char *cin7_location)
{
    size_t n;
    const catalog_location *locs = catalog_locations(cat, shop, &n);
    for (size_t l = 0; cin7_location && l < n; l++)
        for (size_t k = 0; k < locs[l].n_cin7; k++)
            if (strcmp(locs[l].cin7[k], cin7_location) == 0)
                return locs[l].id;
    return n ? locs[0].id : 0;
}

/* GETs path (relative to the shop's Admin API) into *v (caller frees).
 * Returns 0, or -1 with *h saying what the failure calls for. */
static int shop_get(syncd *sd, size_t shop, const char *path, cJSON **v, handled *h)
{
    outcome o;
    *v = NULL;
    shopify_json(sd->shops[shop], "GET", path, NULL, PRIO_NORMAL, 1, v, &o);
    int rc = *v ? 0 : -1;
    if (rc != 0)
        *h = handled_from_outcome(&o);
    outbound_done(&o);
    return rc;
}

/* A fulfillment of the order carrying this tracking number already exists
 * (a POST that reached Shopify unanswered). Returns 1, 0, or -1 with *h. */
static int already_there(syncd *sd, size_t shop, const char *order, const char *tracking,
                         handled *h)
{
    if (!tracking)
        return 0; /* nothing to know it by: Shopify's fulfillable units guard */
    char path[160];
    snprintf(path, sizeof path, "orders/%s/fulfillments.json", order);
    cJSON *v;
    if (shop_get(sd, shop, path, &v, h) != 0)
        return -1;
    int found = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(v, "fulfillments"))
    {
        const char *t = str_of(f, "tracking_number");
        found |= t && strcmp(t, tracking) == 0;
    }
    cJSON_Delete(v);
    return found;
}

/* Reads the order's line items into items (Cin7 SKUs, fulfillable units)
 * and ids. Returns 0, or -1 with *h. */
static int order_items(syncd *sd, const catalog *cat, size_t shop, const char *order,
                       status_item **items, int64_t **ids, size_t *n, handled *h)
{
    char path[160];
    snprintf(path, sizeof path, "orders/%s.json", order);
    cJSON *v;
    if (shop_get(sd, shop, path, &v, h) != 0)
        return -1;
    const cJSON *li = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(v, "order"),
                                                       "line_items");
    size_t cap = (size_t)cJSON_GetArraySize(li) + 1;
    *items = xcalloc(cap, sizeof **items);
    *ids = xcalloc(cap, sizeof **ids);
    *n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, li)
    {
        const char *sku = str_of(it, "sku");
        const cJSON *fq = cJSON_GetObjectItemCaseSensitive(it, "fulfillable_quantity");
        (*items)[*n] = (status_item){sku ? catalog_cin7_sku(cat, sku) : NULL,
                                     cJSON_IsNumber(fq) ? (int64_t)fq->valuedouble : 0};
        (*ids)[*n] = int_of(it, "id");
        (*n)++;
    }
    cJSON_Delete(v);
    return 0;
}

static char *fulfillment_body(int64_t location, const sale_info *s, const int64_t *ids,
                              const int64_t *qty, size_t n)
{
    cJSON *b = cJSON_CreateObject();
    cJSON *f = cJSON_AddObjectToObject(b, "fulfillment");
    if (location)
        cJSON_AddNumberToObject(f, "location_id", (double)location);
    if (s->tracking)
        cJSON_AddStringToObject(f, "tracking_number", s->tracking);
    if (s->carrier)
        cJSON_AddStringToObject(f, "tracking_company", s->carrier);
    cJSON_AddBoolToObject(f, "notify_customer", 0);
    cJSON *items = cJSON_AddArrayToObject(f, "line_items");
    for (size_t k = 0; k < n; k++) {
        if (!qty[k])
            continue;
        cJSON *i = cJSON_CreateObject();
        cJSON_AddNumberToObject(i, "id", (double)ids[k]);
        cJSON_AddNumberToObject(i, "quantity", (double)qty[k]);
        cJSON_AddItemToArray(items, i);
    }
    char *text = json_print(b);
    cJSON_Delete(b);
    return text;
}

/* The sale (read from Cin7) is shipped: fulfil it once. */
static handled fulfil_locked(syncd *sd, const store_event *ev, const char *evid,
                             const char *sale_id)
{
    int64_t now = clock_now_ms(&sd->clk);
    char done_key[200], write_key[200];
    snprintf(done_key, sizeof done_key, "fulfil:%s", sale_id);
    snprintf(write_key, sizeof write_key, "fulfillment:%s", sale_id);
    char *prior = store_idem_get(sd->st, done_key);
    if (prior) {
        free(prior);
        metrics_inc(sd->m, "syncd_fulfillments_duplicate_total", 1);
        store_audit(sd->st, ev->id, now, "skipped", "sale already fulfilled");
        return handled_done();
    }
    const catalog *cat = syncd_catalog(sd);
    /* The sale as it is now. */
    sbuf path = SBUF_INIT;
    sbuf_puts(&path, "sale?ID=");
    sbuf_urlenc(&path, sale_id);
    cJSON *doc = NULL;
    outcome o;
    cin7_get_json(sd->c7, sbuf_str(&path), PRIO_NORMAL, &doc, &o);
    sbuf_free(&path);
    if (!doc) {
        handled h = handled_from_outcome(&o);
        outbound_done(&o);
        return h;
    }
    outbound_done(&o);
    sale_info s;
    info_from_sale(doc, &s);
    cJSON_Delete(doc);
    handled h = handled_done();
    status_item *items = NULL;
    int64_t *ids = NULL, *qty = NULL, *ship = NULL;
    size_t n_items = 0;
    char order[64];
    order_of(&s, order, sizeof order);
    long shop = shop_of(sd, &s);
    if (shop < 0 || !*order) {
        store_audit(sd->st, ev->id, now, "skipped", "not a sale of a Shopify order");
        goto out;
    }
    ship = xcalloc(s.n + 1, sizeof *ship);
    status_action a = status_map(s.status, s.tracking, s.lines, s.n, ship);
    if (a.kind != STATUS_FULFIL) {
        /* It moved on (voided?) since the event. */
        log_event(LOG_INFO, evid, "sale %s (order %s): %s", sale_id, order, a.note);
        store_audit(sd->st, ev->id, now, a.state, a.note);
        goto out;
    }
    int state = WRITE_INTENT;
    int fresh = store_write_intent(sd->st, write_key, "fulfillment", NULL, now, &state, NULL);
    if (fresh < 0) {
        h = handled_retry(1000, "store: cannot record the intent of %.250s", write_key);
        goto out;
    }
    if (!fresh && (state == WRITE_INTENT || state == WRITE_UNKNOWN)) {
        int there = already_there(sd, (size_t)shop, order, s.tracking, &h);
        if (there < 0)
            goto out;
        if (there) {
            store_write_outcome(sd->st, write_key, WRITE_DONE, NULL, now);
            store_idem_set(sd->st, done_key, "found");
            store_audit(sd->st, ev->id, now, "fulfillment_found", s.tracking);
            goto out;
        }
    }
    if (order_items(sd, cat, (size_t)shop, order, &items, &ids, &n_items, &h) != 0)
        goto out;
    qty = xcalloc(n_items + 1, sizeof *qty);
    status_fit fit = status_allocate(s.lines, ship, s.n, items, n_items, qty);
    if (fit.units == 0) {
        log_event(LOG_WARN, evid, "sale %s (order %s) shipped, but Shopify has nothing left to fulfil",
                  sale_id, order);
        store_write_outcome(sd->st, write_key, WRITE_DONE, NULL, now);
        store_idem_set(sd->st, done_key, "nothing left");
        metrics_inc(sd->m, "syncd_fulfillments_nothing_left_total", 1);
        store_audit(sd->st, ev->id, now, "skipped", "nothing left to fulfil");
        goto out;
    }
    char *body = fulfillment_body(location_for(cat, (size_t)shop, s.location), &s, ids, qty, n_items);
    char fpath[160];
    snprintf(fpath, sizeof fpath, "orders/%s/fulfillments.json", order);
    cJSON *answer = NULL;
    shopify_json(sd->shops[shop], "POST", fpath, body, PRIO_NORMAL, 0, &answer, &o);
    free(body);
    int64_t at = clock_now_ms(&sd->clk);
    if (o.action == POLICY_DONE) {
        const cJSON *fid = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(answer, "fulfillment"), "id");
        char idtext[40] = "";
        if (cJSON_IsNumber(fid))
            snprintf(idtext, sizeof idtext, "%.0f", fid->valuedouble);
        store_write_outcome(sd->st, write_key, WRITE_DONE, idtext, at);
        store_idem_set(sd->st, done_key, idtext);
        store_audit(sd->st, ev->id, at, fit.partial ? "fulfilled_partially" : "fulfilled", idtext);
        metrics_inc(sd->m, "syncd_fulfillments_created_total", 1);
        if (fit.partial)
            metrics_inc(sd->m, "syncd_fulfillments_partial_total", 1);
        log_event(LOG_INFO, evid,
                  "order %s: %s fulfillment %s of %lld units for sale %s, tracking %s%s%s", order,
                  fit.partial ? "partial" : "complete", idtext, (long long)fit.units, sale_id,
                  s.tracking ? s.tracking : "none", s.carrier ? " by " : "", s.carrier ? s.carrier : "");
        if (fit.unplaced)
            log_event(LOG_WARN, evid, "sale %s: %lld shipped units found no unfulfilled line item",
                      sale_id, (long long)fit.unplaced);
    } else {
        h = handled_write_failed(sd, write_key, &o, at);
    }
    cJSON_Delete(answer);
    outbound_done(&o);
out:
    free(items);
    free(ids);
    free(qty);
    free(ship);
    info_free(&s);
    return h;
}

handled fulfil_sale(syncd *sd, const store_event *ev)
{
    int64_t now = clock_now_ms(&sd->clk);
    char evid[32];
    snprintf(evid, sizeof evid, "ev-%lld", (long long)ev->id);
    if (!sd->cfg.fulfillments) {
        store_audit(sd->st, ev->id, now, "skipped", "fulfillments are off");
        return handled_done();
    }
    if (!syncd_catalog(sd))
        return handled_retry(2000, "catalog not loaded yet");
    sale_info s;
    if (sale_of_event(ev, &s) != 0)
        return handled_dead("sale event body is not a JSON object");
    handled h = handled_done();
    if (!s.id) {
        h = handled_dead("sale event has no SaleID");
    } else if (shop_of(sd, &s) < 0) {
        store_audit(sd->st, ev->id, now, "skipped", "not a sale of a Shopify order");
    } else {
        /* Decide on the event's status first: states that tell Shopify
         * nothing cost no call. A shipment is then read back from Cin7. */
        status_action a = status_map(s.status, s.tracking, NULL, 0, NULL);
        count_state(sd, a.state);
        if (a.kind != STATUS_FULFIL) {
            log_event(LOG_INFO, evid, "sale %s (order %s): %s", s.id,
                      s.reference ? s.reference : "?", a.note);
            store_audit(sd->st, ev->id, now, a.state, a.note);
        } else {
            pthread_mutex_lock(&one_at_a_time);
            h = fulfil_locked(sd, ev, evid, s.id);
            pthread_mutex_unlock(&one_at_a_time);
        }
    }
    info_free(&s);
    return h;
}

handled fulfil_backordered(syncd *sd, const store_event *ev)
{
    int64_t now = clock_now_ms(&sd->clk);
    char evid[32];
    snprintf(evid, sizeof evid, "ev-%lld", (long long)ev->id);
    sale_info s;
    if (sale_of_event(ev, &s) != 0)
        return handled_dead("sale event body is not a JSON object");
    if (shop_of(sd, &s) >= 0) {
        sbuf what = SBUF_INIT;
        int64_t units = 0;
        for (size_t i = 0; i < s.n; i++)
            if (s.lines[i].backordered > 0) {
                sbuf_printf(&what, "%s%lld x %s", units ? ", " : "", (long long)s.lines[i].backordered,
                            s.lines[i].sku);
                units += s.lines[i].backordered;
            }
        status_action a = status_map(s.status, s.tracking, NULL, 0, NULL);
        count_state(sd, "backordered");
        metrics_inc(sd->m, "syncd_backordered_units_total", units);
        log_event(LOG_WARN, evid, "sale %s (order %s) at %s is backordered: %s wait for stock (%s)",
                  s.id ? s.id : "?", s.reference ? s.reference : "?",
                  s.location ? s.location : "?", units ? sbuf_str(&what) : "no units", a.note);
        store_audit(sd->st, ev->id, now, "backordered", units ? sbuf_str(&what) : "");
        sbuf_free(&what);
    }
    info_free(&s);
    return handled_done();
}
