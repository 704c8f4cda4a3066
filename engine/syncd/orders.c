/*
 * Orders from Shopify to Cin7. A paid order is mapped (Shopify SKU -> Cin7
 * SKU; unmapped lines dead-letter the order with an alert), reserved in the
 * ledger (so stock syncs stop offering its units), routed to warehouses,
 * and pushed as one Cin7 sale per warehouse, as Cin7 takes a sale: POST
 * sale (the header: customer, location, CustomerReference = the Shopify
 * order id, ExternalID = shop/order, plus /location when the order is
 * split, SkipQuote) then POST sale/order with the lines, AUTHORISED (Cin7
 * allocates then). Pushing twice never makes two sales: the routing plan is
 * stored the first time and reused, each step's intent is recorded before
 * its call, and after an unknown outcome the sale is looked up by its
 * ExternalID; a sale found without authorised lines gets them (sale/order
 * replaces lines, so posting them again is harmless), never a second sale.
 */
#include "handlers.h"
#include "xwrite.h"

#include "c7qty.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "paid.h"
#include "replen.h"
#include "route.h"
#include "routecfg.h"
#include "sbuf.h"
#include "sorder.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long shop_index(syncd *sd, const char *domain)
{
    for (size_t i = 0; domain && i < sd->cfg.n_shops; i++)
        if (strcmp(sd->cfg.shops[i].domain, domain) == 0)
            return (long)i;
    return -1;
}

/* A line as the order is pushed: paid.h's (the SKU borrowed from the
 * catalog, which outlives every event). */
typedef paid_line line;

/* The checked order's lines, mapped to Cin7 SKUs and merged (paid_lines).
 * Returns 0, or -1 with the reason in why. */
static int order_lines(const catalog *cat, const sorder *o, line **out, size_t *n, char *why,
                       size_t why_n)
{
    paid_line_in *in = xcalloc(o->n_lines + 1, sizeof *in);
    for (size_t i = 0; i < o->n_lines; i++)
        in[i] = (paid_line_in){o->lines[i].sku,
                               o->lines[i].sku ? catalog_cin7_sku(cat, o->lines[i].sku) : NULL,
                               o->lines[i].qty, o->lines[i].price};
    *out = xcalloc(o->n_lines + 1, sizeof **out);
    size_t bad = 0;
    paid_lines_result r = paid_lines(in, o->n_lines, *out, n, &bad);
    if (r == PAID_LINES_NO_SKU)
        snprintf(why, why_n, "unmapped SKU: line_items[%zu] has no SKU", bad);
    else if (r == PAID_LINES_UNMAPPED)
        snprintf(why, why_n, "unmapped SKU \"%.100s\"", in[bad].shopify_sku);
    else if (r == PAID_LINES_OVERFLOW)
        snprintf(why, why_n, "line_items: the units of SKU \"%.100s\" overflow", in[bad].cin7_sku);
    free(in);
    if (r == PAID_LINES_OK)
        return 0;
    free(*out);
    *out = NULL;
    *n = 0;
    return -1;
}

/* The lines' Cin7 SKUs as a list for syncd_mark_dirty and replen_mark
 * (caller frees the list; the strings stay the lines'). */
static const char **line_skus(const line *lines, size_t n)
{
    const char **skus = xcalloc(n + 1, sizeof *skus);
    for (size_t i = 0; i < n; i++)
        skus[i] = lines[i].sku;
    return skus;
}

/* What both order handlers start from. */
typedef struct {
    const catalog *cat;
    const char *domain; /* the shop's, as configured */
    sorder doc;         /* the event's body, checked; the caller frees it */
} order_event;

/* Reads an orders/paid or orders/cancelled event (topic, for messages).
 * Returns 0, or -1 with *h saying what becomes of the event (nothing to
 * free then). */
static int order_event_open(syncd *sd, const store_event *ev, const char *topic, order_event *x,
                            handled *h)
{
    x->cat = syncd_catalog(sd);
    if (!x->cat) {
        *h = handled_retry(2000, "catalog not loaded yet");
        return -1;
    }
    long shop = shop_index(sd, ev->shop);
    if (shop < 0) {
        *h = handled_dead("unknown shop \"%s\"", ev->shop ? ev->shop : "");
        return -1;
    }
    x->domain = sd->cfg.shops[shop].domain;
    /* Nothing of a body that fails the checks reaches a decision, the
     * ledger or a write: it is dead-lettered with the field at fault. */
    char why[400];
    if (sorder_parse(ev->body, ev->body_len, &x->doc, why, sizeof why) != 0) {
        *h = handled_dead("%s body refused: %s", topic, why);
        return -1;
    }
    return 0;
}

/* Routes the order and returns the plan as JSON:
 * [{"location":"...","lines":[{"sku":"...","qty":N,"price":P}]}]. */
static cJSON *make_plan(syncd *sd, const sorder_address *sa, const line *lines, size_t n)
{
    const syncd_config *cfg = &sd->cfg;
    routecfg rc;
    routecfg_init(&rc, cfg);
    route_address addr = {sa->has_coords, sa->lat, sa->lon, sa->country_code, sa->zip};

    int64_t *qty = xcalloc(n + 1, sizeof *qty);
    int64_t *avail = xcalloc(cfg->n_locations * n + 1, sizeof *avail);
    for (size_t j = 0; j < n; j++) {
        qty[j] = lines[j].qty;
        for (size_t l = 0; l < cfg->n_locations; l++)
        {
            avail[l * n + j] = stockcache_routable(sd->cache, lines[j].sku, cfg->locations[l].name);
            log_debug("route: %s at %s: %lld routable", lines[j].sku, cfg->locations[l].name,
                      (long long)avail[l * n + j]);
        }
    }
    route_plan p;
    cJSON *plan = cJSON_CreateArray();
    if (route_order(rc.locs, rc.n_locs, rc.regions, rc.n_regions, &addr, qty, n, avail, &p) == 0) {
        cJSON *group = NULL;
        size_t last = (size_t)-1;
        for (size_t a = 0; a < p.n_allocs; a++) {
            const route_alloc *al = &p.allocs[a];
            if (al->location != last) {
                group = cJSON_CreateObject();
                cJSON_AddStringToObject(group, "location", cfg->locations[al->location].name);
                cJSON_AddArrayToObject(group, "lines");
                cJSON_AddItemToArray(plan, group);
                last = al->location;
            }
            cJSON *ln = cJSON_CreateObject();
            cJSON_AddStringToObject(ln, "sku", lines[al->line].sku);
            cJSON_AddNumberToObject(ln, "qty", (double)al->qty);
            cJSON_AddNumberToObject(ln, "price", lines[al->line].price);
            cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(group, "lines"), ln);
        }
        route_plan_free(&p);
    }
    free(qty);
    free(avail);
    routecfg_free(&rc);
    return plan;
}

/* The sale key of one plan group, its ExternalID: "shop/order", or
 * "shop/order/location" when the order is split over warehouses; unique per
 * sale and per shop, and at most 256 characters as Cin7 allows. */
static void sale_ext(const char *shop, const char *id, const char *loc, int split, char *buf,
                     size_t n)
{
    if (split)
        snprintf(buf, n, "%.100s/%.40s/%.100s", shop, id, loc);
    else
        snprintf(buf, n, "%.100s/%.40s", shop, id);
}

static const char *group_location(const cJSON *group)
{
    return cJSON_GetObjectItemCaseSensitive(group, "location")->valuestring;
}

/* Tells the stock cache what the plan takes from each location. */
static void note_routed(syncd *sd, const char *shop, const char *id, const cJSON *plan)
{
    int split = cJSON_GetArraySize(plan) > 1;
    const cJSON *group;
    cJSON_ArrayForEach(group, plan)
    {
        const cJSON *loc = cJSON_GetObjectItemCaseSensitive(group, "location");
        if (!cJSON_IsString(loc))
            continue;
        char ext[300];
        sale_ext(shop, id, loc->valuestring, split, ext, sizeof ext);
        const cJSON *ln;
        cJSON_ArrayForEach(ln, cJSON_GetObjectItemCaseSensitive(group, "lines"))
        {
            const cJSON *sku = cJSON_GetObjectItemCaseSensitive(ln, "sku");
            const cJSON *qty = cJSON_GetObjectItemCaseSensitive(ln, "qty");
            if (cJSON_IsString(sku) && cJSON_IsNumber(qty))
                stockcache_routed(sd->cache, ext, sku->valuestring, loc->valuestring,
                                  (int64_t)qty->valuedouble);
        }
    }
}

/* The shipping address of a sale header, as Cin7 takes it, or NULL: Cin7
 * requires Line1 and Country in an address, and without them syncd sends
 * none (the sale still ships from its warehouse). Caller frees. */
static cJSON *address_json(const sorder_address *sa)
{
    if (!sa->address1 || !sa->country_code)
        return NULL;
    cJSON *a = cJSON_CreateObject();
    const char *const map[][2] = {{"Line1", sa->address1},      {"Line2", sa->address2},
                                  {"City", sa->city},           {"State", sa->province_code},
                                  {"Postcode", sa->zip},        {"Country", sa->country_code}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i][1])
            cJSON_AddStringToObject(a, map[i][0], map[i][1]);
    return a;
}

/* The header of the Cin7 sale for one group of the plan (POST sale);
 * address (copied) may be NULL. */
static cJSON *sale_header(const cfg_shop *shop, const char *id, const char *ext, const cJSON *group,
                          const cJSON *address)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "Customer", shop->cin7_customer);
    cJSON_AddStringToObject(s, "Location", group_location(group));
    cJSON_AddStringToObject(s, "CustomerReference", id);
    cJSON_AddStringToObject(s, "ExternalID", ext);
    /* A paid Shopify order needs no quote: the order goes in at once. */
    cJSON_AddBoolToObject(s, "SkipQuote", 1);
    if (address)
        cJSON_AddItemToObject(s, "ShippingAddress", cJSON_Duplicate(address, 1));
    return s;
}

/* The sale/order body: the group's lines, authorised. */
static cJSON *sale_order_body(syncd *sd, const char *sale_id, const cJSON *group)
{
    const catalog *cat = syncd_catalog(sd);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "SaleID", sale_id);
    cJSON_AddStringToObject(b, "Status", "AUTHORISED");
    cJSON_AddStringToObject(b, "Memo", "");
    cJSON *lines = cJSON_AddArrayToObject(b, "Lines");
    const cJSON *ln;
    cJSON_ArrayForEach(ln, cJSON_GetObjectItemCaseSensitive(group, "lines"))
    {
        const char *sku = cJSON_GetObjectItemCaseSensitive(ln, "sku")->valuestring;
        const cin7_product *p = catalog_product(cat, sku);
        cin7_line l = {
            .product_id = p ? p->id : NULL,
            .sku = sku,
            .name = p ? p->name : sku,
            .tax_rule = sd->cfg.cin7_tax_rule,
            .qty = cJSON_GetObjectItemCaseSensitive(ln, "qty")->valuedouble,
            .price = cJSON_GetObjectItemCaseSensitive(ln, "price")->valuedouble,
        };
        cJSON_AddItemToArray(lines, cin7_line_json(&l, 0));
    }
    return b;
}

/* An order status that says the lines are in and stock is allocated. */
static int lines_authorised(const char *order_status)
{
    return order_status && (strcmp(order_status, "AUTHORISED") == 0 ||
                            strcmp(order_status, "FULFILLED") == 0 ||
                            strcmp(order_status, "CLOSED") == 0);
}

/* One plan group's sale as the exactly-once writes see it. */
typedef struct {
    syncd *sd;
    const char *shop;       /* the order's shop domain */
    const char *order;      /* the order's id */
    const char *ext;        /* its ExternalID */
    const char *sale_id;    /* the header's id, once it exists */
    cJSON *body;            /* the header, or the lines */
    int authorised;         /* its lines were found authorised */
    int prio;               /* at Cin7's gate */
} sale_write;

/* A line's backordered units, whole (a fraction rounds up: it holds a
 * unit back all the same). Cin7 gives each line's BackorderQuantity both
 * in its answer to POST sale/order and in GET sale/order (the reference's
 * examples of both). */
static int64_t line_backordered(const cJSON *l)
{
    const cJSON *bq = cJSON_GetObjectItemCaseSensitive(l, "BackorderQuantity");
    return cJSON_IsNumber(bq) ? c7qty_ceil(c7qty_from(bq->valuedouble)) : 0;
}

/* A sale Cin7 backordered as it took its lines is queued for a move now
 * (move.h), not when Cin7's Sale/Backordered notification comes, a
 * minute or more later: meanwhile another channel may take the units the
 * other location has. The notification, when it comes, finds the move
 * made. A failure to queue loses nothing: the notification still comes.
 * Whether the lines were seen in Cin7's answer or, that answer lost, read
 * back. */
static void queue_move(syncd *sd, const char *sale_id)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "SaleID", sale_id);
    char *body = json_print(doc);
    cJSON_Delete(doc);
    char *dedup = xasprintf("backordered-on-push:%s", sale_id);
    store_event_in in = {
        .source = "internal",
        .topic = "Sale/Backordered",
        .body = body,
        .body_len = strlen(body),
        .priority = EVENT_PRIO_MOVE,
        .now = clock_now_ms(&sd->clk),
        .dedup = {dedup, NULL, NULL, NULL},
    };
    int64_t id = 0;
    int rc = store_enqueue(sd->st, &in, &id);
    if (rc == STORE_NEW) {
        log_info("sale %s: Cin7 backordered lines as it took them; a move is queued", sale_id);
        metrics_inc(sd->m, "syncd_backorders_seen_on_push_total", 1);
        syncd_wake_workers(sd);
    } else if (rc < 0) {
        metrics_inc(sd->m, "syncd_store_errors_total", 1);
    }
    free(body);
    free(dedup);
}

int orders_hold_backorders(syncd *sd, const char *shop, const char *order_id, const char *sale_id,
                           const char *const *skus, const int64_t *units, size_t n)
{
    int64_t at = clock_now_ms(&sd->clk);
    int held = 0;
    for (size_t i = 0; i < n; i++) {
        if (units[i] <= 0)
            continue;
        if (store_backorder_hold(sd->st, shop, order_id, sale_id, skus[i], units[i], at) != 0) {
            metrics_inc(sd->m, "syncd_store_errors_total", 1);
            log_event(LOG_ERROR, NULL, "store: cannot hold %lld backordered x %s of sale %s",
                      (long long)units[i], skus[i], sale_id);
            return -1;
        }
        held = 1;
    }
    if (held)
        syncd_mark_dirty(sd, skus, n);
    return 0;
}

size_t orders_backordered(const cJSON *order, const char ***skus, int64_t **units)
{
    const cJSON *lines = cJSON_GetObjectItemCaseSensitive(order, "Lines");
    size_t n = (size_t)cJSON_GetArraySize(lines), k = 0;
    *skus = xcalloc(n + 1, sizeof **skus);
    *units = xcalloc(n + 1, sizeof **units);
    const cJSON *l;
    cJSON_ArrayForEach(l, lines)
    {
        const cJSON *sku = cJSON_GetObjectItemCaseSensitive(l, "SKU");
        int64_t b = line_backordered(l);
        if (!cJSON_IsString(sku) || b <= 0)
            continue;
        size_t j = 0;
        while (j < k && strcmp((*skus)[j], sku->valuestring) != 0)
            j++;
        if (j == k)
            (*skus)[k++] = sku->valuestring;
        (*units)[j] += b;
    }
    return k;
}

/* The units Cin7 backordered as it took the sale's lines (its answer, or
 * the lines read back), held pending (orders_hold_backorders; a failure
 * there is said, and the Sale/Backordered handling holds them again), and
 * the move queued when moves are on. */
static void backorders_seen(sale_write *w, const cJSON *order)
{
    const char **skus;
    int64_t *units;
    size_t k = orders_backordered(order, &skus, &units);
    if (k) {
        if (orders_hold_backorders(w->sd, w->shop, w->order, w->sale_id, skus, units, k) != 0)
            log_warn("sale %s: its backordered units are not held yet; its Sale/Backordered "
                     "handling holds them", w->sale_id);
        if (w->sd->cfg.move_backorders)
            queue_move(w->sd, w->sale_id);
    }
    free(skus);
    free(units);
}

/* A sale header an earlier try may have made: by its ExternalID. */
static int sale_look_up(void *ud, char **remote, handled *h)
{
    sale_write *w = ud;
    char *ostatus = NULL;
    outcome o;
    cin7_sale_find(w->sd->c7, w->ext, w->prio, remote, &ostatus, &o);
    int rc = o.action != POLICY_DONE ? -1 : *remote ? 1 : 0;
    if (rc < 0)
        *h = handled_from_outcome(&o);
    outbound_done(&o);
    w->authorised = rc > 0 && lines_authorised(ostatus);
    metrics_inc(w->sd->m, rc > 0 ? "syncd_sale_lookups_total{result=\"found\"}"
                                 : "syncd_sale_lookups_total{result=\"absent\"}",
                rc >= 0);
    free(ostatus);
    return rc;
}

static int sale_write_header(void *ud, char **remote, outcome *o, handled *h)
{
    (void)h;
    sale_write *w = ud;
    cin7_sale_create(w->sd->c7, w->body, w->prio, remote, o);
    return o->action == POLICY_DONE && *remote ? 1 : -1;
}

/* Lines an earlier try may have posted: the sale's order, read. */
static int lines_look_up(void *ud, char **remote, handled *h)
{
    sale_write *w = ud;
    (void)remote;
    if (w->authorised)
        return 1;
    sbuf path = SBUF_INIT;
    sbuf_puts(&path, "sale/order?SaleID=");
    sbuf_urlenc(&path, w->sale_id);
    cJSON *doc = NULL;
    outcome o;
    cin7_get_json(w->sd->c7, sbuf_str(&path), w->prio, &doc, &o);
    sbuf_free(&path);
    if (!doc)
        *h = handled_from_outcome(&o);
    outbound_done(&o);
    if (!doc)
        return -1;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(doc, "Status");
    w->authorised = lines_authorised(cJSON_IsString(st) ? st->valuestring : NULL);
    if (w->authorised)
        backorders_seen(w, doc);
    cJSON_Delete(doc);
    return w->authorised;
}

static int lines_write(void *ud, char **remote, outcome *o, handled *h)
{
    (void)h;
    sale_write *w = ud;
    *remote = xstrdup(w->sale_id);
    if (w->authorised) /* found so with its header: nothing to post */
        return 1;
    cin7_post_order(w->sd->c7, "sale/order", w->body, w->prio, o);
    if (o->action != POLICY_DONE)
        return -1;
    cJSON *v = o->resp.body ? cJSON_ParseWithLength(o->resp.body, o->resp.body_len) : NULL;
    backorders_seen(w, v);
    cJSON_Delete(v);
    return 1;
}

/* The Cin7 sale of one plan group exists: its id into *sale_id (malloc'd),
 * and w->authorised when it was found with its lines authorised already.
 * Returns done, or what becomes of the event. */
static handled ensure_sale(syncd *sd, const store_event *ev, sale_write *w, const char *shop_domain,
                           const char *id, const cJSON *group, const cJSON *address,
                           char **sale_id)
{
    char key[320];
    snprintf(key, sizeof key, "sale:%s", w->ext);
    w->body = sale_header(&sd->cfg.shops[shop_index(sd, shop_domain)], id, w->ext, group, address);
    char *text = json_print(w->body);
    xwrite_op op = {key, "sale", text, sale_look_up, sale_write_header, w};
    xwrite_how how;
    handled h = xwrite_run(sd->st, &sd->clk, &op, &how, sale_id);
    free(text);
    cJSON_Delete(w->body);
    w->body = NULL;
    int64_t at = clock_now_ms(&sd->clk);
    if (h.kind == H_DONE && how == XWRITE_FOUND) {
        store_audit(sd->st, ev->id, at, "sale_found", *sale_id);
    } else if (h.kind == H_DONE && how == XWRITE_WRITTEN) {
        store_audit(sd->st, ev->id, at, "sale_created", *sale_id);
        metrics_inc(sd->m, "syncd_sales_created_total", 1);
    }
    if (h.kind == H_DONE && !*sale_id)
        h = handled_dead("write ledger: %.250s is done without a sale id", key);
    return h;
}

handled orders_push_sale(syncd *sd, const store_event *ev, const char *shop, const char *id,
                         const char *ext, const cJSON *group, const cJSON *address, int prio)
{
    const char *loc = group_location(group);
    char key[320];
    snprintf(key, sizeof key, "saleorder:%s", ext);
    sale_write w = {.sd = sd, .shop = shop, .order = id, .ext = ext, .prio = prio};
    char *sale_id = NULL;
    handled h = ensure_sale(sd, ev, &w, shop, id, group, address, &sale_id);
    if (h.kind != H_DONE) {
        free(sale_id);
        return h;
    }
    w.sale_id = sale_id;
    w.body = sale_order_body(sd, sale_id, group);
    xwrite_op op = {key, "sale_order", sale_id, lines_look_up, lines_write, &w};
    xwrite_how how;
    char *remote = NULL;
    h = xwrite_run(sd->st, &sd->clk, &op, &how, &remote);
    cJSON_Delete(w.body);
    free(remote);
    int64_t at = clock_now_ms(&sd->clk);
    if (h.kind == H_DONE) {
        orders_route_begin(sd);
        stockcache_pushed(sd->cache, ext, at);
        orders_route_end(sd, 1);
    }
    if (h.kind == H_DONE && how != XWRITE_ALREADY) {
        log_event(LOG_INFO, NULL, "order %s: sale %s authorised at %s", id, sale_id, loc);
        store_audit(sd->st, ev->id, at, "sale_authorised", sale_id);
        metrics_inc(sd->m, "syncd_sale_orders_authorised_total", 1);
    }
    free(sale_id);
    return h;
}

/* Whether the order is skipped (paid_decide), said and counted when it is. */
static int paid_skipped(syncd *sd, const store_event *ev, const order_event *x)
{
    char key[160];
    snprintf(key, sizeof key, "cancelled:%s:%s", x->domain, x->doc.id_text);
    char *cancelled = store_kv_get(sd->st, key);
    paid_step step = paid_decide(x->doc.financial_status, cancelled != NULL);
    free(cancelled);
    int64_t now = clock_now_ms(&sd->clk);
    if (step == PAID_SKIP_NOT_PAID) {
        store_audit(sd->st, ev->id, now, "skipped", "financial_status is not paid");
        metrics_inc(sd->m, "syncd_orders_skipped_total{reason=\"not_paid\"}", 1);
    } else if (step == PAID_SKIP_CANCELLED) {
        store_audit(sd->st, ev->id, now, "skipped", "order was cancelled");
    }
    return step != PAID_PUSH;
}

/* An order whose lines cannot be mapped: dead, with an alert naming the
 * SKU when there is one. */
static handled refuse_lines(syncd *sd, const store_event *ev, const order_event *x,
                            const char *why)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "reason", why);
    cJSON_AddStringToObject(a, "order", x->doc.id_text);
    cJSON_AddStringToObject(a, "shop", x->domain);
    const char *q = strchr(why, '"');
    if (q) {
        char sku[SORDER_SKU_MAX + 1];
        snprintf(sku, sizeof sku, "%s", q + 1);
        char *end = strrchr(sku, '"');
        if (end)
            *end = '\0';
        cJSON_AddStringToObject(a, "sku", sku);
    }
    syncd_alert(sd, ev->id, a);
    return handled_dead("%s", why);
}

/* The order's units in the reservation ledger (and the sales history),
 * then every shop's level of them and the reorder check marked. */
static handled reserve(syncd *sd, const order_event *x, const line *lines, size_t n,
                       int64_t placed)
{
    const char *domain = x->domain, *id = x->doc.id_text;
    for (size_t i = 0; i < n; i++)
        if (store_reserve(sd->st, domain, id, lines[i].sku, lines[i].qty, placed) < 0 ||
            store_history_add(sd->st, domain, id, lines[i].sku, lines[i].qty, placed) < 0)
            /* Without its reservation the order's units would be offered
             * again: try the whole order later (both writes are keyed by
             * order and SKU, so a repeat does not count twice). */
            return handled_retry(1000, "store: cannot record the reservation of order %s", id);
    const char **skus = line_skus(lines, n);
    /* Other shops showing the same stock must come down now, and the sale
     * may carry a SKU below its reorder point. */
    syncd_mark_dirty(sd, skus, n);
    replen_mark(sd, skus, n);
    free(skus);
    return handled_done();
}

/* The order's routing plan, made once and reused by every retry. Planning
 * and recording what it takes happen under the routing lock, so concurrent
 * orders see each other's units gone. */
static handled route_once(syncd *sd, const store_event *ev, const order_event *x,
                          const line *lines, size_t n, cJSON **out)
{
    const char *domain = x->domain, *id = x->doc.id_text;
    char plan_key[160];
    snprintf(plan_key, sizeof plan_key, "route:%s:%s", domain, id);
    orders_route_begin(sd);
    cJSON *plan = make_plan(sd, &x->doc.ship, lines, n);
    char *plan_text = json_print(plan);
    char *existing = NULL;
    int claimed = store_idem_claim(sd->st, plan_key, plan_text, &existing);
    if (claimed == 1)
        store_audit(sd->st, ev->id, clock_now_ms(&sd->clk), "routed", plan_text);
    free(plan_text);
    if (claimed == 0 && existing) {
        cJSON_Delete(plan);
        plan = json_parse(existing, strlen(existing), NULL);
        if (!plan)
            plan = cJSON_CreateArray();
    }
    free(existing);
    if (claimed >= 0)
        note_routed(sd, domain, id, plan);
    orders_route_end(sd, claimed >= 0);
    *out = plan;
    if (claimed < 0)
        return handled_retry(1000, "store: cannot record the routing plan");
    if (cJSON_GetArraySize(plan) == 0) /* units and nowhere to send them: never "pushed" */
        return handled_dead("order %s: no warehouse could be routed its lines", id);
    return handled_done();
}

/* Routing on a store several instances share: one instance routes at a
 * time (the store's claim "route", held for the few ms a plan takes), on
 * the routing records all of them made (kept in the store as "routes"), so
 * two orders routed by two instances never both take a location's last
 * units. The claim is waited for ROUTE_WAIT_REAL_MS at most; past that the
 * instance routes on its own records (logged), as one instance would. */
#define ROUTE_CLAIM "route"
#define ROUTE_ROUTES_KEY "routes"
#define ROUTE_TTL_MS 10000
#define ROUTE_WAIT_REAL_MS 2000

void orders_route_begin(syncd *sd)
{
    /* Another instance's newer read, when there is one. */
    inventory_adopt(sd);
    stockcache_route_begin(sd->cache);
    sd->route_held = 0;
    if (!store_is_shared(sd->st))
        return;
    for (int waited = 0; waited < ROUTE_WAIT_REAL_MS; waited += 2) {
        int rc = store_claim(sd->st, ROUTE_CLAIM, sd->cfg.instance, clock_now_ms(&sd->clk),
                             ROUTE_TTL_MS, NULL);
        if (rc != 0) {
            sd->route_held = rc == 1;
            break;
        }
        struct timespec ts = {0, 2000000L};
        nanosleep(&ts, NULL);
    }
    if (!sd->route_held) {
        log_warn("routing: the \"route\" claim could not be had; routing on this instance's "
                 "records");
        metrics_inc(sd->m, "syncd_routing_unshared_total", 1);
    }
    char *text = store_kv_get(sd->st, ROUTE_ROUTES_KEY);
    if (text && stockcache_routes_import(sd->cache, text) != 0)
        log_warn("routing: the routing records in the store cannot be read; this instance's own "
                 "are used");
    free(text);
}

void orders_route_end(syncd *sd, int changed)
{
    if (store_is_shared(sd->st)) {
        if (changed) {
            char *text = stockcache_routes_export(sd->cache);
            if (store_kv_set(sd->st, ROUTE_ROUTES_KEY, text) != 0)
                log_warn("routing: cannot keep the routing records in the store");
            free(text);
        }
        if (sd->route_held && store_release(sd->st, ROUTE_CLAIM, sd->cfg.instance) < 0)
            log_warn("routing: cannot release the \"route\" claim (it ends by itself)");
        sd->route_held = 0;
    }
    stockcache_route_end(sd->cache);
}

/* Whether the sale of ExternalID ext was moved (move.h): Cin7 backordered
 * it, maybe before this event's last try ended (the move is queued as
 * soon as Cin7's answer shows it), and the move carries the group from
 * then on (a move starts only on a sale whose lines Cin7 took, so the
 * group's push is complete). A store that cannot say is taken as not
 * moved: the push goes on and meets the voided sale at worst. */
static int group_moved(syncd *sd, const char *ext)
{
    return orders_idem_has(sd, "moved:", ext) == 1;
}

int orders_idem_has(syncd *sd, const char *prefix, const char *id)
{
    char *key = xasprintf("%s%s", prefix, id), *v = NULL;
    int has = store_idem_read(sd->st, key, &v);
    free(v);
    free(key);
    return has;
}

/* Every group of the plan as its Cin7 sale, exactly once. */
static handled push_plan(syncd *sd, const store_event *ev, const order_event *x,
                         const cJSON *plan)
{
    const char *domain = x->domain, *id = x->doc.id_text;
    /* From now until mark_pushed a stock read may show the sale or not
     * (replenishment waits for a later one rather than count it twice). */
    if (store_reservation_sent(sd->st, domain, id, clock_now_ms(&sd->clk)) != 0)
        return handled_retry(1000, "store: cannot record that order %s is being sent", id);
    int split = cJSON_GetArraySize(plan) > 1;
    if (split)
        metrics_inc(sd->m, "syncd_orders_split_total", 1);
    handled h = handled_done();
    cJSON *address = address_json(&x->doc.ship);
    const cJSON *group;
    cJSON_ArrayForEach(group, plan)
    {
        char ext[300];
        sale_ext(domain, id, group_location(group), split, ext, sizeof ext);
        if (group_moved(sd, ext))
            continue;
        h = orders_push_sale(sd, ev, domain, id, ext, group, address, PRIO_URGENT);
        if (h.kind == H_DEAD && group_moved(sd, ext))
            h = handled_done(); /* moved under it (its lines met the voided sale) */
        if (h.kind != H_DONE)
            break;
    }
    cJSON_Delete(address);
    return h;
}

/* Pushed: until the ledger says so its units count as pending (held back,
 * never offered twice), so a retry marks it (the sales are done). Its SKUs
 * are synced again on a read that starts after the push: until such a read
 * the units are held back as pending, and Cin7's own stock webhook, which
 * would ask for that read, may be late or lost; without this the levels
 * could stay that much too low. */
static handled mark_pushed(syncd *sd, const store_event *ev, const order_event *x,
                           const line *lines, size_t n, int64_t placed)
{
    int64_t done_at = clock_now_ms(&sd->clk);
    if (store_reservation_pushed(sd->st, x->domain, x->doc.id_text, done_at) != 0)
        return handled_retry(1000, "store: cannot mark order %s pushed", x->doc.id_text);
    const char **skus = line_skus(lines, n);
    sd->stock_changed = 1;
    syncd_mark_dirty(sd, skus, n);
    free(skus);
    metrics_observe_ms(sd->m, "syncd_order_push_latency_ms", (double)(done_at - placed));
    metrics_inc(sd->m, "syncd_orders_pushed_total", 1);
    store_audit(sd->st, ev->id, done_at, "pushed", x->doc.id_text);
    return handled_done();
}

/* orders/paid: read (the body checked, the lines mapped) -> decide (skip,
 * route) -> write (reserve, push, mark). */
handled orders_paid(syncd *sd, const store_event *ev)
{
    order_event x;
    handled h = handled_done();
    if (order_event_open(sd, ev, "orders/paid", &x, &h) != 0)
        return h;
    line *lines = NULL;
    size_t n = 0;
    char why[256];
    cJSON *plan = NULL;
    if (paid_skipped(sd, ev, &x))
        goto out;
    if (order_lines(x.cat, &x.doc, &lines, &n, why, sizeof why) != 0) {
        h = refuse_lines(sd, ev, &x, why);
        goto out;
    }
    if (n == 0) {
        /* Every line was edited or refunded down to nothing: no sale to
         * make, said in the audit trail and the metrics. */
        store_audit(sd->st, ev->id, clock_now_ms(&sd->clk), "skipped", "no line has units left");
        metrics_inc(sd->m, "syncd_orders_skipped_total{reason=\"no_units\"}", 1);
        goto out;
    }
    int64_t placed = syncd_sim_time(sd, x.doc.created_at);
    h = reserve(sd, &x, lines, n, placed);
    if (h.kind == H_DONE)
        h = route_once(sd, ev, &x, lines, n, &plan);
    if (h.kind == H_DONE)
        h = push_plan(sd, ev, &x, plan);
    if (h.kind == H_DONE)
        h = mark_pushed(sd, ev, &x, lines, n, placed);
out:
    cJSON_Delete(plan);
    free(lines);
    sorder_free(&x.doc);
    return h;
}

/* Voids the Cin7 sales of a cancelled order: those of its routing plan,
 * found by ExternalID, so only this shop's (no plan: nothing was pushed,
 * and the cancelled mark stops a late orders/paid). */
/* Voids the live sale whose ExternalID is ext, if there is one. */
static handled void_by_ext(syncd *sd, const store_event *ev, const char *ext)
{
    handled h = handled_done();
    char *sale = NULL, *ostatus = NULL;
    outcome oc;
    cin7_sale_find(sd->c7, ext, PRIO_URGENT, &sale, &ostatus, &oc);
    free(ostatus);
    if (oc.action == POLICY_DONE && sale) {
        outbound_done(&oc);
        cin7_sale_void(sd->c7, sale, PRIO_URGENT, &oc);
        if (oc.action == POLICY_DONE) {
            store_audit(sd->st, ev->id, clock_now_ms(&sd->clk), "sale_voided", sale);
            metrics_inc(sd->m, "syncd_sales_voided_total", 1);
        }
    }
    if (oc.action != POLICY_DONE)
        h = handled_from_outcome(&oc);
    outbound_done(&oc);
    free(sale);
    return h;
}

handled orders_each_ext(syncd *sd, const char *domain, const char *id, size_t *groups,
                        handled (*fn)(syncd *sd, const char *ext, void *ud), void *ud)
{
    handled h = handled_done();
    cJSON *plan = orders_plan(sd, domain, id);
    int split = cJSON_GetArraySize(plan) > 1;
    *groups = (size_t)cJSON_GetArraySize(plan);
    const cJSON *group;
    cJSON_ArrayForEach(group, plan)
    {
        /* The group's sale, then each sale it was moved to (move.c). */
        char ext[300];
        sale_ext(domain, id, group_location(group), split, ext, sizeof ext);
        for (int hop = 0; h.kind == H_DONE && hop <= ORDERS_MAX_MOVES && *ext; hop++) {
            h = fn(sd, ext, ud);
            char *next = orders_moved_to(sd, ext);
            snprintf(ext, sizeof ext, "%s", next ? next : "");
            free(next);
        }
        if (h.kind != H_DONE)
            break;
    }
    cJSON_Delete(plan);
    return h;
}

static handled void_one(syncd *sd, const char *ext, void *ud)
{
    return void_by_ext(sd, ud, ext);
}

static handled void_sales(syncd *sd, const store_event *ev, const char *domain, const char *id)
{
    size_t groups;
    return orders_each_ext(sd, domain, id, &groups, void_one, (void *)ev);
}

cJSON *orders_plan(syncd *sd, const char *shop, const char *id)
{
    char plan_key[160];
    snprintf(plan_key, sizeof plan_key, "route:%s:%s", shop, id);
    char *plan_text = store_idem_get(sd->st, plan_key);
    cJSON *plan = plan_text ? json_parse(plan_text, strlen(plan_text), NULL) : NULL;
    free(plan_text);
    if (cJSON_IsArray(plan))
        return plan;
    cJSON_Delete(plan);
    return cJSON_CreateArray();
}

void orders_group_ext(const char *shop, const char *id, const cJSON *plan, const cJSON *group,
                      char *buf, size_t n)
{
    sale_ext(shop, id, group_location(group), cJSON_GetArraySize(plan) > 1, buf, n);
}

char *orders_moved_to(syncd *sd, const char *ext)
{
    char key[320];
    snprintf(key, sizeof key, "moved:%s", ext);
    return store_idem_get(sd->st, key);
}

/* A move and a cancellation of one order never interleave: a cancellation
 * voids every sale a move made, and a move makes none for an order being
 * cancelled (move.c checks the cancelled mark under this lock). Moves are
 * rare, so one lock for all orders costs nothing that matters. */
static pthread_mutex_t sales_lock = PTHREAD_MUTEX_INITIALIZER;

void orders_sales_lock(void)
{
    pthread_mutex_lock(&sales_lock);
}

void orders_sales_unlock(void)
{
    pthread_mutex_unlock(&sales_lock);
}

handled orders_cancelled(syncd *sd, const store_event *ev)
{
    order_event x;
    handled h = handled_done();
    if (order_event_open(sd, ev, "orders/cancelled", &x, &h) != 0)
        return h;
    const char *domain = x.domain, *id = x.doc.id_text;
    line *lines = NULL;
    size_t n = 0;
    /* Shopify's HMAC covers the body, not the topic header: the signed body
     * of a paid order resent as orders/cancelled passes it. Only a body
     * that says the order is cancelled, confirmed by Shopify on reading the
     * order back, voids anything. */
    if (!x.doc.cancelled_at) {
        h = handled_dead("orders/cancelled body refused: $.cancelled_at: not set, so the body "
                         "is not a cancelled order's (a body replayed under another topic?)");
        goto out;
    }
    int confirmed = 0;
    outcome oc;
    shopify_order_cancelled(sd->shops[shop_index(sd, domain)], id, PRIO_URGENT, &confirmed, &oc);
    if (oc.action != POLICY_DONE) {
        h = handled_from_outcome(&oc);
        outbound_done(&oc);
        goto out;
    }
    outbound_done(&oc);
    if (!confirmed) {
        h = handled_dead("orders/cancelled refused: Shopify says order %s is not cancelled", id);
        goto out;
    }
    char key[160];
    snprintf(key, sizeof key, "cancelled:%s:%s", domain, id);
    orders_sales_lock();
    if (store_kv_set(sd->st, key, "1") < 0) { /* a late orders/paid will skip it */
        orders_sales_unlock();
        h = handled_retry(1000, "store: cannot mark order %s cancelled", id);
        goto out;
    }
    h = void_sales(sd, ev, domain, id);
    orders_sales_unlock();
    if (h.kind != H_DONE)
        goto out;
    /* Sales voided (a retry finds them so): the ledger must let the units
     * go, or they stay held back for good. */
    int64_t released = clock_now_ms(&sd->clk);
    if (store_reservation_released(sd->st, domain, id, released) != 0 ||
        store_backorder_settle(sd->st, domain, id, NULL, released) != 0 ||
        store_history_cancel(sd->st, domain, id) != 0) {
        h = handled_retry(1000, "store: cannot release order %s's reservation", id);
        goto out;
    }
    char why[256];
    if (order_lines(x.cat, &x.doc, &lines, &n, why, sizeof why) == 0) {
        const char **skus = line_skus(lines, n);
        syncd_mark_dirty(sd, skus, n);
        free(skus);
    }
out:
    free(lines);
    sorder_free(&x.doc);
    return h;
}
