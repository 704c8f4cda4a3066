/*
 * Cin7 sales to Shopify fulfillments; see fulfil.h. The event only names
 * the sale (Cin7 sends thin notifications); the sale is read back from
 * Cin7 (GET sale?ID=) and its CombinedShippingStatus, FulFilmentStatus and
 * Fulfilments decide (engine/core/status.h): for a sale that shipped, the
 * Shopify order is read (its line items and what they still let fulfil)
 * and one fulfillment is posted for the units the sale's authorised
 * shipments carried, with their tracking number and carrier.
 */
#include "fulfil.h"
#include "xwrite.h"

#include "c7event.h"
#include "c7qty.h"
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

void fulfil_sale_info_free(fulfil_sale_info *s)
{
    free(s->id);
    free(s->number);
    free(s->status);
    free(s->shipping);
    free(s->fulfilment);
    free(s->tracking);
    free(s->carrier);
    free(s->reference);
    free(s->external);
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

/* A quantity in whole units: Shopify's are whole, so a fraction of a unit
 * that Cin7 shipped is not fulfilled (c7qty.h). */
static int64_t units_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? c7qty_floor(c7qty_from(v->valuedouble)) : 0;
}

/* Adds units of sku to the sale's shipped lines. */
static void add_units(fulfil_sale_info *s, const char *sku, int64_t qty, int64_t backordered)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->lines[i].sku, sku) == 0) {
            s->lines[i].quantity += qty;
            s->lines[i].backordered += backordered;
            return;
        }
    s->lines = xrealloc(s->lines, (s->n + 1) * sizeof *s->lines);
    s->lines[s->n++] = (status_line){xstrdup(sku), qty, backordered};
}

/* What shipped: the packed (else picked) lines of every fulfilment whose
 * shipment is authorised; a sale that says it shipped but shows no
 * fulfilment lines shipped its order lines less their backorders. */
static void shipped_lines(const cJSON *v, fulfil_sale_info *s)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(v, "Fulfilments"))
    {
        const cJSON *ship = cJSON_GetObjectItemCaseSensitive(f, "Ship");
        const char *st = str_of(ship, "Status");
        if (!st || (strcmp(st, "AUTHORISED") != 0 && strcmp(st, "PARTIALLY AUTHORISED") != 0))
            continue;
        const cJSON *l;
        cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(ship, "Lines"))
        {
            if (!s->tracking)
                s->tracking = dup_of(l, "TrackingNumber");
            if (!s->carrier)
                s->carrier = dup_of(l, "Carrier");
        }
        const cJSON *lines = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(f, "Pack"), "Lines");
        if (!cJSON_GetArraySize(lines))
            lines = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(f, "Pick"),
                                                     "Lines");
        cJSON_ArrayForEach(l, lines)
            if (str_of(l, "SKU"))
                add_units(s, str_of(l, "SKU"), units_of(l, "Quantity"), 0);
    }
    if (s->n)
        return;
    const cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(v, "Order"),
                                                           "Lines"))
        if (str_of(l, "SKU"))
            add_units(s, str_of(l, "SKU"), units_of(l, "Quantity"), units_of(l, "BackorderQuantity"));
}

void fulfil_sale_read(const cJSON *v, fulfil_sale_info *s)
{
    memset(s, 0, sizeof *s);
    s->id = dup_of(v, "ID");
    s->number = dup_of(cJSON_GetObjectItemCaseSensitive(v, "Order"), "SaleOrderNumber");
    s->status = dup_of(v, "Status");
    s->shipping = dup_of(v, "CombinedShippingStatus");
    s->fulfilment = dup_of(v, "FulFilmentStatus");
    s->reference = dup_of(v, "CustomerReference");
    s->external = dup_of(v, "ExternalID");
    s->location = dup_of(v, "Location");
    shipped_lines(v, s);
    if (!s->tracking)
        s->tracking = dup_of(v, "CombinedTrackingNumbers");
}

/* GET sale?ID: the sale as it is now. Returns 0, or -1 with *h saying what
 * becomes of the event. */
int fulfil_read_sale(syncd *sd, const char *sale_id, int prio, fulfil_sale_info *s, handled *h,
                     cJSON **keep)
{
    sbuf path = SBUF_INIT;
    sbuf_puts(&path, "sale?ID=");
    sbuf_urlenc(&path, sale_id);
    cJSON *doc = NULL;
    outcome o;
    cin7_get_json(sd->c7, sbuf_str(&path), prio, &doc, &o);
    sbuf_free(&path);
    if (!doc) {
        *h = handled_from_outcome(&o);
        outbound_done(&o);
        return -1;
    }
    outbound_done(&o);
    fulfil_sale_read(doc, s);
    if (keep)
        *keep = doc;
    else
        cJSON_Delete(doc);
    return 0;
}

long fulfil_shop_of(const syncd *sd, const char *external_id)
{
    for (size_t i = 0; external_id && i < sd->cfg.n_shops; i++) {
        const char *d = sd->cfg.shops[i].domain;
        size_t n = strlen(d);
        if (strncmp(external_id, d, n) == 0 && external_id[n] == '/')
            return (long)i;
    }
    return -1;
}

void fulfil_order_of(const fulfil_sale_info *s, char *buf, size_t n)
{
    buf[0] = '\0';
    if (s->reference) {
        snprintf(buf, n, "%s", s->reference);
    } else if (s->external) {
        const char *a = strchr(s->external, '/');
        const char *b = a ? strchr(a + 1, '/') : NULL;
        size_t len = a ? (b ? (size_t)(b - a - 1) : strlen(a + 1)) : 0;
        if (a && len < n)
            snprintf(buf, n, "%.*s", (int)len, a + 1);
    }
    for (const char *p = buf; *p; p++)
        if (*p < '0' || *p > '9') {
            buf[0] = '\0'; /* Shopify order ids are numbers */
            break;
        }
}

void fulfil_count_state(syncd *sd, const char *state)
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

/* What the order's line items still let fulfil, as Cin7 SKUs, for
 * status_allocate (items[i] borrows from ord and the catalog). */
static status_item *order_items(const catalog *cat, const shopify_order *ord)
{
    status_item *items = xcalloc(ord->n_lines + 1, sizeof *items);
    for (size_t i = 0; i < ord->n_lines; i++)
        items[i] = (status_item){ord->lines[i].sku ? catalog_cin7_sku(cat, ord->lines[i].sku) : NULL,
                                 ord->lines[i].unfulfilled};
    return items;
}

/* One shipped sale's fulfilment as the exactly-once write sees it. */
typedef struct {
    syncd *sd;
    const store_event *ev;
    const char *sale_id, *order;
    const fulfil_sale_info *s;
    size_t shop;
    const int64_t *ship;
    shopify_order ord;
    int have_order;
    int nothing_left;            /* Shopify had nothing left to fulfil */
    status_fit fit;
    shopify_fulfil_result res;
} fulfil_write;

/* The Shopify order, read once per try. Returns 0, or -1 with *h. */
static int order_read(fulfil_write *w, handled *h)
{
    if (w->have_order)
        return 0;
    outcome o;
    shopify_order_read(w->sd->shops[w->shop], w->order, &w->ord, &o);
    int ok = o.action == POLICY_DONE;
    if (!ok)
        *h = handled_from_outcome(&o);
    outbound_done(&o);
    w->have_order = ok;
    return ok ? 0 : -1;
}

/* A fulfillment an earlier try may have made: the order's fulfillments
 * carrying the sale's tracking number show it landed. */
static int fulfil_look_up(void *ud, char **remote, handled *h)
{
    fulfil_write *w = ud;
    (void)remote;
    if (order_read(w, h) != 0)
        return -1;
    return shopify_order_has_tracking(&w->ord, w->s->tracking);
}

/* A merchant's hold stopped the fulfilment: said loudly, tried later. */
static handled fulfil_held(fulfil_write *w)
{
    syncd *sd = w->sd;
    metrics_inc(sd->m, "syncd_fulfillments_held_total", 1);
    store_audit(sd->st, w->ev->id, clock_now_ms(&sd->clk), "held", w->res.held_reason);
    cJSON *al = cJSON_CreateObject();
    cJSON_AddStringToObject(al, "reason", "fulfillment order on hold");
    cJSON_AddStringToObject(al, "hold", w->res.held_reason);
    cJSON_AddStringToObject(al, "order", w->order);
    cJSON_AddStringToObject(al, "sale", w->sale_id);
    syncd_alert(sd, w->ev->id, al);
    return handled_retry(600000, "order %.40s: a fulfillment order is on hold (%.60s); sale %.60s "
                                 "shipped and waits for the merchant to release it",
                         w->order, w->res.held_reason, w->sale_id);
}

/* The shipped units fitted onto the order's unfulfilled line items and
 * fulfilled through its fulfillment orders (shopify_fulfil). */
static int fulfil_write_one(void *ud, char **remote, outcome *o, handled *h)
{
    fulfil_write *w = ud;
    if (order_read(w, h) != 0)
        return 0;
    const catalog *cat = syncd_catalog(w->sd);
    status_item *items = order_items(cat, &w->ord);
    int64_t *qty = xcalloc(w->ord.n_lines + 1, sizeof *qty);
    w->fit = status_allocate(w->s->lines, w->ship, w->s->n, items, w->ord.n_lines, qty);
    int rc = 1;
    if (w->fit.units == 0) {
        w->nothing_left = 1;
    } else {
        shopify_fulfil(w->sd->shops[w->shop], &w->ord, qty,
                       location_for(cat, w->shop, w->s->location), w->s->tracking, w->s->carrier,
                       &w->res, o);
        if (w->res.released)
            metrics_inc(w->sd->m, "syncd_fulfillment_holds_released_total", w->res.released);
        if (o->action == POLICY_DONE && w->res.held) {
            *h = fulfil_held(w); /* nothing was written: the intent stays open */
            rc = 0;
        } else if (o->action == POLICY_DONE) {
            *remote = xstrdup(w->res.fulfillment_id);
        } else {
            rc = -1;
        }
    }
    free(items);
    free(qty);
    return rc;
}

/* The sale's done mark; without it the next event of the sale finds the
 * ledger's done entry and sets it then. */
static void mark_done(syncd *sd, const char *done_key, const char *value)
{
    if (store_idem_set(sd->st, done_key, value) != 0)
        log_warn("fulfilment: cannot record %s (the write ledger still has it done)", done_key);
}

/* What a fulfilment that went through leaves: the done mark, the audit
 * trail, metrics and the log. */
static void fulfil_settled(fulfil_write *w, xwrite_how how, const char *fulfillment_id,
                           const char *done_key)
{
    syncd *sd = w->sd;
    int64_t at = clock_now_ms(&sd->clk);
    char evid[32];
    snprintf(evid, sizeof evid, "ev-%lld", (long long)w->ev->id);
    if (how != XWRITE_WRITTEN) {
        mark_done(sd, done_key, "found");
        store_audit(sd->st, w->ev->id, at, "fulfillment_found", w->s->tracking);
        return;
    }
    if (w->nothing_left) {
        log_event(LOG_WARN, evid, "sale %s (order %s) shipped, but Shopify has nothing left to fulfil",
                  w->sale_id, w->order);
        mark_done(sd, done_key, "nothing left");
        metrics_inc(sd->m, "syncd_fulfillments_nothing_left_total", 1);
        store_audit(sd->st, w->ev->id, at, "skipped", "nothing left to fulfil");
        return;
    }
    const shopify_fulfil_result *res = &w->res;
    mark_done(sd, done_key, fulfillment_id);
    store_audit(sd->st, w->ev->id, at, w->fit.partial ? "fulfilled_partially" : "fulfilled",
                fulfillment_id);
    metrics_inc(sd->m, "syncd_fulfillments_created_total", 1);
    if (w->fit.partial)
        metrics_inc(sd->m, "syncd_fulfillments_partial_total", 1);
    log_event(LOG_INFO, evid, "order %s: %s fulfillment %s of %lld units for sale %s, tracking %s%s%s",
              w->order, w->fit.partial ? "partial" : "complete", fulfillment_id,
              (long long)res->fulfilled, w->sale_id, w->s->tracking ? w->s->tracking : "none",
              w->s->carrier ? " by " : "", w->s->carrier ? w->s->carrier : "");
    if (w->fit.unplaced || res->fulfilled < w->fit.units)
        log_event(LOG_WARN, evid,
                  "sale %s: %lld shipped units found no unfulfilled line item or fulfillment order",
                  w->sale_id, (long long)(w->fit.unplaced + w->fit.units - res->fulfilled));
}

/* The Shopify side of a shipped sale, once per sale (xwrite: a fulfilment
 * whose answer was lost is found by its tracking number). A fulfillment
 * order a merchant put on hold is reported (alert, retried later,
 * dead-lettered in the end), never skipped in silence. */
static handled fulfil_at_shopify(syncd *sd, const store_event *ev, const char *sale_id,
                                 const fulfil_sale_info *s, size_t shop, const char *order,
                                 const int64_t *ship)
{
    char done_key[200], write_key[200];
    snprintf(done_key, sizeof done_key, "fulfil:%s", sale_id);
    snprintf(write_key, sizeof write_key, "fulfillment:%s", sale_id);
    fulfil_write w = {.sd = sd, .ev = ev, .sale_id = sale_id, .order = order, .s = s,
                      .shop = shop, .ship = ship};
    xwrite_op op = {write_key, "fulfillment", NULL, fulfil_look_up, fulfil_write_one, &w};
    xwrite_how how;
    char *id = NULL;
    handled h = xwrite_run(sd->st, &sd->clk, &op, &how, &id);
    if (h.kind == H_DONE)
        fulfil_settled(&w, how, id ? id : "", done_key);
    free(id);
    if (w.have_order)
        shopify_order_free(&w.ord);
    return h;
}

/* The sale the event names, read from Cin7: fulfil it once if it shipped. */
static handled fulfil_locked(syncd *sd, const store_event *ev, const char *evid,
                             const char *sale_id)
{
    int64_t now = clock_now_ms(&sd->clk);
    char done_key[200];
    snprintf(done_key, sizeof done_key, "fulfil:%s", sale_id);
    char *prior = store_idem_get(sd->st, done_key);
    if (prior) {
        free(prior);
        metrics_inc(sd->m, "syncd_fulfillments_duplicate_total", 1);
        store_audit(sd->st, ev->id, now, "skipped", "sale already fulfilled");
        return handled_done();
    }
    /* Cin7's events are thin: the sale as it is now tells what shipped. */
    fulfil_sale_info s;
    handled h = handled_done();
    int64_t *ship = NULL;
    char order[64];
    long shop;
    int rc = fulfil_order_sale(sd, ev, sale_id, &s, order, sizeof order, &shop, &h);
    if (rc < 0)
        return h;
    if (rc > 0)
        goto out;
    ship = xcalloc(s.n + 1, sizeof *ship);
    status_sale st = {s.status, s.shipping, s.fulfilment};
    status_action a = status_map(&st, s.lines, s.n, ship);
    fulfil_count_state(sd, a.state);
    if (a.kind != STATUS_FULFIL) {
        log_event(LOG_INFO, evid, "sale %s (order %s): %s", sale_id, order, a.note);
        store_audit(sd->st, ev->id, now, a.state, a.note);
        goto out;
    }
    h = fulfil_at_shopify(sd, ev, sale_id, &s, (size_t)shop, order, ship);
out:
    free(ship);
    fulfil_sale_info_free(&s);
    return h;
}

int fulfil_event_sale(syncd *sd, const store_event *ev, char *id, handled *h)
{
    char why[300];
    if (!sd->cfg.fulfillments) {
        store_audit(sd->st, ev->id, clock_now_ms(&sd->clk), "skipped", "fulfillments are off");
        *h = handled_done();
    } else if (!syncd_catalog(sd)) {
        *h = handled_retry(2000, "catalog not loaded yet");
    } else if (c7event_sale_id(ev->body, ev->body_len, id, why, sizeof why) != 0) {
        *h = handled_dead("sale notification refused: %s", why);
    } else {
        return 0;
    }
    return -1;
}

int fulfil_order_sale(syncd *sd, const store_event *ev, const char *sale_id, fulfil_sale_info *s,
                      char *order, size_t n, long *shop, handled *h)
{
    *h = handled_done();
    if (fulfil_read_sale(sd, sale_id, PRIO_NORMAL, s, h, NULL) != 0)
        return -1;
    fulfil_order_of(s, order, n);
    *shop = fulfil_shop_of(sd, s->external);
    if (*shop < 0 || !*order) {
        store_audit(sd->st, ev->id, clock_now_ms(&sd->clk), "skipped",
                    "not a sale of a Shopify order");
        return 1;
    }
    return 0;
}

handled fulfil_sale(syncd *sd, const store_event *ev)
{
    char evid[32];
    snprintf(evid, sizeof evid, "ev-%lld", (long long)ev->id);
    char id[C7EVENT_ID_LEN];
    handled h;
    if (fulfil_event_sale(sd, ev, id, &h) != 0)
        return h;
    pthread_mutex_lock(&one_at_a_time);
    h = fulfil_locked(sd, ev, evid, id);
    pthread_mutex_unlock(&one_at_a_time);
    return h;
}
