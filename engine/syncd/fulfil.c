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
#include <strings.h>

/* One fulfillment at a time: two copies of one sale's event taken by two
 * workers must not both find it unfulfilled and both post. Shipments are
 * few and never urgent, so the lock costs nothing that matters. */
static pthread_mutex_t one_at_a_time = PTHREAD_MUTEX_INITIALIZER;

static void lines_free(status_line *lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((char *)lines[i].sku);
    free(lines);
}

void fulfil_sale_info_free(fulfil_sale_info *s)
{
    free(s->id);
    free(s->number);
    free(s->status);
    free(s->shipping);
    free(s->fulfilment);
    free(s->tracking);
    free(s->reference);
    free(s->external);
    free(s->location);
    lines_free(s->lines, s->n);
    for (size_t i = 0; i < s->n_ships; i++) {
        free(s->ships[i].task);
        free(s->ships[i].tracking);
        free(s->ships[i].carrier);
        lines_free(s->ships[i].lines, s->ships[i].n);
    }
    free(s->ships);
    memset(s, 0, sizeof *s);
}

int64_t fulfil_backordered(const fulfil_sale_info *s)
{
    int64_t units = 0;
    for (size_t i = 0; i < s->n; i++)
        units += s->lines[i].backordered > 0 ? s->lines[i].backordered : 0;
    return units;
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

/* Adds units of sku to *lines (*n of them). */
static void add_units(status_line **lines, size_t *n, const char *sku, int64_t qty,
                      int64_t backordered)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*lines)[i].sku, sku) == 0) {
            (*lines)[i].quantity += qty;
            (*lines)[i].backordered += backordered;
            return;
        }
    *lines = xrealloc(*lines, (*n + 1) * sizeof **lines);
    (*lines)[(*n)++] = (status_line){xstrdup(sku), qty, backordered};
}

/* The sale's shipments: every fulfilment whose shipment is authorised,
 * with its packed (else picked) lines. */
static void shipments(const cJSON *v, fulfil_sale_info *s)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(v, "Fulfilments"))
    {
        const cJSON *ship = cJSON_GetObjectItemCaseSensitive(f, "Ship");
        const char *st = str_of(ship, "Status");
        if (!st || (strcmp(st, "AUTHORISED") != 0 && strcmp(st, "PARTIALLY AUTHORISED") != 0))
            continue;
        s->ships = xrealloc(s->ships, (s->n_ships + 1) * sizeof *s->ships);
        fulfil_shipment *sh = &s->ships[s->n_ships++];
        memset(sh, 0, sizeof *sh);
        sh->task = dup_of(f, "TaskID");
        const cJSON *l;
        cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(ship, "Lines"))
        {
            if (!sh->tracking)
                sh->tracking = dup_of(l, "TrackingNumber");
            if (!sh->carrier)
                sh->carrier = dup_of(l, "Carrier");
        }
        const cJSON *lines = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(f, "Pack"), "Lines");
        if (!cJSON_GetArraySize(lines))
            lines = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(f, "Pick"),
                                                     "Lines");
        cJSON_ArrayForEach(l, lines)
            if (str_of(l, "SKU"))
                add_units(&sh->lines, &sh->n, str_of(l, "SKU"), units_of(l, "Quantity"), 0);
    }
}

void fulfil_sale_read(const cJSON *v, fulfil_sale_info *s)
{
    memset(s, 0, sizeof *s);
    s->id = dup_of(v, "ID");
    const cJSON *order = cJSON_GetObjectItemCaseSensitive(v, "Order");
    s->number = dup_of(order, "SaleOrderNumber");
    s->status = dup_of(v, "Status");
    s->shipping = dup_of(v, "CombinedShippingStatus");
    s->fulfilment = dup_of(v, "FulFilmentStatus");
    s->reference = dup_of(v, "CustomerReference");
    s->external = dup_of(v, "ExternalID");
    s->location = dup_of(v, "Location");
    s->tracking = dup_of(v, "CombinedTrackingNumbers");
    const cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(order, "Lines"))
        if (str_of(l, "SKU"))
            add_units(&s->lines, &s->n, str_of(l, "SKU"), units_of(l, "Quantity"),
                      units_of(l, "BackorderQuantity"));
    shipments(v, s);
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

/* One shipment's fulfilment as the exactly-once write sees it. */
typedef struct {
    syncd *sd;
    const store_event *ev;
    const char *sale_id, *order;
    const fulfil_sale_info *s;
    const fulfil_shipment *sh;
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
 * carrying the shipment's tracking number show it landed. */
static int fulfil_look_up(void *ud, char **remote, handled *h)
{
    fulfil_write *w = ud;
    (void)remote;
    if (order_read(w, h) != 0)
        return -1;
    return shopify_order_has_tracking(&w->ord, w->sh->tracking);
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
    w->fit = status_allocate(w->sh->lines, w->ship, w->sh->n, items, w->ord.n_lines, qty);
    int rc = 1;
    if (w->fit.units == 0) {
        w->nothing_left = 1;
    } else {
        shopify_fulfil(w->sd->shops[w->shop], &w->ord, qty,
                       location_for(cat, w->shop, w->s->location), w->sh->tracking,
                       w->sh->carrier, w->sd->cfg.shops[w->shop].notify_customer, &w->res, o);
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
        store_audit(sd->st, w->ev->id, at, "fulfillment_found", w->sh->tracking);
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
              (long long)res->fulfilled, w->sale_id, w->sh->tracking ? w->sh->tracking : "none",
              w->sh->carrier ? " by " : "", w->sh->carrier ? w->sh->carrier : "");
    if (w->fit.unplaced || res->fulfilled < w->fit.units)
        log_event(LOG_WARN, evid,
                  "sale %s: %lld shipped units found no unfulfilled line item or fulfillment order",
                  w->sale_id, (long long)(w->fit.unplaced + w->fit.units - res->fulfilled));
}

/* The keys of one shipment: its done mark and its write in the ledger
 * (a sale's only shipment without a TaskID goes by the sale's id). */
static void shipment_keys(const char *sale_id, const fulfil_shipment *sh, char *done, char *write,
                          size_t n)
{
    if (sh->task) {
        snprintf(done, n, "fulfil:%s:%s", sale_id, sh->task);
        snprintf(write, n, "fulfillment:%s:%s", sale_id, sh->task);
    } else {
        snprintf(done, n, "fulfil:%s", sale_id);
        snprintf(write, n, "fulfillment:%s", sale_id);
    }
}

/* The Shopify side of one shipment, once (xwrite: a fulfilment whose
 * answer was lost is found by its tracking number). A fulfillment order a
 * merchant put on hold is reported (alert, retried later, dead-lettered
 * in the end), never skipped in silence. *done is set when the shipment
 * was fulfilled before. */
static handled fulfil_at_shopify(syncd *sd, const store_event *ev, const char *sale_id,
                                 const fulfil_sale_info *s, const fulfil_shipment *sh,
                                 size_t shop, const char *order, const int64_t *ship, int *done)
{
    char done_key[240], write_key[240];
    shipment_keys(sale_id, sh, done_key, write_key, sizeof done_key);
    char *prior = store_idem_get(sd->st, done_key);
    *done = prior != NULL;
    free(prior);
    if (*done)
        return handled_done();
    fulfil_write w = {.sd = sd, .ev = ev, .sale_id = sale_id, .order = order, .s = s, .sh = sh,
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

/* 1 when no unit of s is left to ship: its fulfilments say so, or it is a
 * Simple sale that says it shipped. */
static int all_shipped(const fulfil_sale_info *s)
{
    if (s->fulfilment)
        return strcasecmp(s->fulfilment, "FULFILLED") == 0;
    return s->shipping && strcasecmp(s->shipping, "SHIPPED") == 0;
}

/* Each shipment of sale s not fulfilled yet becomes a fulfillment, in
 * Cin7's order; a sale that says it shipped but shows no authorised
 * fulfilment ships its order lines less their backorders. Stops at the
 * first that does not go through. *fresh counts those fulfilled now. */
static handled fulfil_shipments(syncd *sd, const store_event *ev, const char *sale_id,
                                fulfil_sale_info *s, size_t shop, const char *order, size_t *fresh)
{
    fulfil_shipment whole = {NULL, s->tracking, NULL, s->lines, s->n};
    const fulfil_shipment *ships = s->n_ships ? s->ships : &whole;
    size_t n = s->n_ships ? s->n_ships : 1;
    status_sale st = {s->status, s->shipping, s->fulfilment};
    handled h = handled_done();
    *fresh = 0;
    for (size_t i = 0; i < n && h.kind == H_DONE; i++) {
        int64_t *ship = xcalloc(ships[i].n + 1, sizeof *ship);
        (void)status_map(&st, ships[i].lines, ships[i].n, ship);
        int done = 0;
        h = fulfil_at_shopify(sd, ev, sale_id, s, &ships[i], shop, order, ship, &done);
        if (h.kind == H_DONE && !done)
            (*fresh)++;
        free(ship);
    }
    return h;
}

/* The sale the event names, read from Cin7: each of its shipments
 * fulfilled once. */
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
    char order[64];
    long shop;
    int rc = fulfil_order_sale(sd, ev, sale_id, &s, order, sizeof order, &shop, &h);
    if (rc < 0)
        return h;
    if (rc > 0)
        goto out;
    status_sale st = {s.status, s.shipping, s.fulfilment};
    status_action a = status_map(&st, s.lines, s.n, NULL);
    fulfil_count_state(sd, a.state);
    if (a.kind != STATUS_FULFIL) {
        log_event(LOG_INFO, evid, "sale %s (order %s): %s", sale_id, order, a.note);
        store_audit(sd->st, ev->id, now, a.state, a.note);
        goto out;
    }
    size_t fresh;
    h = fulfil_shipments(sd, ev, sale_id, &s, (size_t)shop, order, &fresh);
    if (h.kind == H_DONE && !fresh) {
        metrics_inc(sd->m, "syncd_fulfillments_duplicate_total", 1);
        store_audit(sd->st, ev->id, now, "skipped", "its shipments are fulfilled already");
    }
    if (h.kind == H_DONE && fresh)
        h = foholds_after_shipment(sd, &s);
    /* A sale with nothing left to ship is done with: later copies of its
     * events need not read it again. */
    if (h.kind == H_DONE && s.n_ships && all_shipped(&s))
        mark_done(sd, done_key, "shipped");
out:
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
