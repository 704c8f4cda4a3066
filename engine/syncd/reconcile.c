/*
 * Reconciliation and poll mode; see reconcile.h. One thread runs the
 * schedule: it sleeps until the next run is due (or the admin API asks for
 * one), runs the four parts in order, and schedules the next. Watermarks and
 * the next due time are kept in the store as wall-clock instants (epoch ms,
 * ISO-8601), so they survive a restart whatever the clock's origin.
 */
#include "reconcile.h"

#include "httpc.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "roles.h"
#include "sbuf.h"
#include "c7qty.h"
#include "fulfil.h"
#include "recon.h"
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reconciler {
    syncd *sd;
    pthread_t thread;
    int started;
    pthread_mutex_t lock;
    pthread_cond_t cv;
    int requested; /* a run was asked for (lock) */
    int64_t runs;
};

/* What one run found, for its summary line. */
typedef struct {
    int64_t orders, shipments, purchase_anomalies, purchases_checked, errors;
} tally;

static int is_poll(const syncd *sd)
{
    return strcmp(sd->cfg.mode, "poll") == 0;
}

static int64_t epoch_now(const syncd *sd)
{
    return clock_epoch_ms(&sd->clk, clock_now_ms(&sd->clk));
}

/* Sleeps up to sim_ms, waking early when stopping and, when heed is set,
 * on a request for a run. */
static void nap(reconciler *r, int64_t sim_ms, int heed)
{
    struct timespec ts;
    clock_deadline(&r->sd->clk, sim_ms > 0 ? sim_ms : 0, &ts);
    pthread_mutex_lock(&r->lock);
    if (!r->sd->stopping && !(heed && r->requested))
        pthread_cond_timedwait(&r->cv, &r->lock, &ts);
    pthread_mutex_unlock(&r->lock);
}

/* ---- watermarks --------------------------------------------------------------- */

/* The instant stored under key (ISO-8601), or dflt when absent or unreadable. */
static int64_t mark_get(syncd *sd, const char *key, int64_t dflt)
{
    char *v = store_kv_get(sd->st, key);
    int64_t at;
    int ok = v && clock_parse_iso(v, &at) == 0;
    free(v);
    return ok ? at : dflt;
}

static void mark_set(syncd *sd, const char *key, int64_t epoch)
{
    char iso[40];
    clock_format_iso(epoch, 1, iso, sizeof iso);
    if (store_kv_set(sd->st, key, iso) != 0)
        log_warn("reconcile: cannot store %s", key);
}

/* Sets key to epoch when it has no value yet (the first start). */
static void mark_init(syncd *sd, const char *key, int64_t epoch)
{
    char *v = store_kv_get(sd->st, key);
    if (!v)
        mark_set(sd, key, epoch);
    free(v);
}

static void shop_mark_key(const char *domain, char *buf, size_t n)
{
    snprintf(buf, n, "reconcile:%s:watermark", domain);
}

#define PURCHASES_MARK "reconcile:cin7:purchases:watermark"
#define SALES_MARK "reconcile:cin7:sales:watermark"
#define DUE_KEY "reconcile:due"
/* Keys are built whole (not into fixed buffers): two ids sharing a long
 * prefix must not share a key. */
#define PURCHASE_DONE "reconciled-purchase:"

/* Cin7's date form: yyyy-MM-ddTHH:mm:ss.fff, UTC, no zone. */
static void cin7_date(int64_t epoch, char *buf, size_t n)
{
    clock_format_iso(epoch, 1, buf, n);
    size_t len = strlen(buf);
    if (len && buf[len - 1] == 'Z')
        buf[len - 1] = '\0';
}

/* Lists the Cin7 rows (under key, "SaleList") updated since the watermark
 * mark (began when it has none) less the overlap: query is the path up to
 * that date ("saleList?UpdatedSince="), which goes into since. Fills *rows
 * (caller frees) and *o (the caller logs its error, then outbound_done).
 * Returns 1 when the listing succeeded. */
static int list_since(syncd *sd, const char *mark, int64_t began, const char *query,
                      const char *key, char *since, size_t since_n, cJSON **rows, outcome *o)
{
    cin7_date(mark_get(sd, mark, began) - sd->cfg.reconcile_overlap_ms, since, since_n);
    sbuf path = SBUF_INIT;
    sbuf_puts(&path, query);
    sbuf_urlenc(&path, since);
    cin7_list(sd->c7, sbuf_str(&path), key, PRIO_BULK, rows, o);
    sbuf_free(&path);
    return o->action == POLICY_DONE;
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- (a) levels ------------------------------------------------------------------ */

/* Marks every mapped SKU for a sync against a fresh Cin7 snapshot, as the
 * inventory thread's drift check; in poll mode also admits what waits. */
static size_t check_levels(syncd *sd, const catalog *cat)
{
    size_t n;
    const char *const *skus = catalog_skus(cat, &n);
    int64_t now = clock_now_ms(&sd->clk);
    pthread_mutex_lock(&sd->inv_lock);
    for (size_t i = 0; i < n; i++)
        coalesce_mark(sd->dirty, skus[i], now);
    size_t waiting = coalesce_waiting(sd->dirty);
    sd->inv_audit = waiting;
    if (is_poll(sd))
        sd->inv_admit = waiting;
    sd->stock_changed = 1;
    pthread_cond_signal(&sd->inv_cv);
    pthread_mutex_unlock(&sd->inv_lock);
    return n;
}

/* ---- (b) orders ------------------------------------------------------------------ */

/* 1 when syncd has seen the order (a routing plan or a reservation), 0 when
 * not, -1 when the store cannot tell. */
static int order_seen(syncd *sd, const char *domain, const char *id)
{
    char *key = xasprintf("route:%s:%s", domain, id); /* whole: ids may share a prefix */
    char *plan = store_idem_get(sd->st, key);
    free(key);
    if (plan) {
        free(plan);
        return 1;
    }
    return store_reservation_exists(sd->st, domain, id);
}

/* Queues an event as if it had come in (topic, shop, body), under a dedup
 * key so that one order or sale is queued by reconciliation at most once;
 * order_id (or NULL) names the Shopify order it is about.
 * Returns STORE_NEW, STORE_DUPLICATE or -1. */
static int queue_event(syncd *sd, const char *topic, const char *shop, const char *order_id,
                       const cJSON *body, int priority, const char *dedup, int64_t *id)
{
    char *text = json_print(body);
    store_event_in in = {
        .source = "reconcile",
        .topic = topic,
        .shop = shop,
        .body = text,
        .body_len = strlen(text),
        .priority = priority,
        .now = clock_now_ms(&sd->clk),
        .dedup = {dedup, NULL, NULL, NULL},
        .order_id = order_id,
    };
    int rc = store_enqueue(sd->st, &in, id);
    free(text);
    if (rc == STORE_NEW)
        syncd_wake_workers(sd);
    return rc;
}

/* Queues order id of shop domain, which syncd missed (in poll mode: has
 * not seen yet), once. Returns 0, or -1 when the store failed. */
static int queue_missed_order(syncd *sd, const char *domain, const char *id, const cJSON *order,
                              tally *t)
{
    char *dedup = xasprintf("rc:%s:%s", domain, id);
    int64_t ev = 0;
    int rc = queue_event(sd, "orders/paid", domain, id, order, EVENT_PRIO_NORMAL, dedup, &ev);
    free(dedup);
    if (rc < 0)
        return -1;
    if (rc != STORE_NEW)
        return 0; /* queued by an earlier run: in flight or dead-lettered */
    t->orders++;
    char evid[32];
    snprintf(evid, sizeof evid, "ev-%lld", (long long)ev);
    if (is_poll(sd)) {
        metrics_inc(sd->m, "syncd_poll_orders_total", 1);
        log_event(LOG_INFO, evid, "poll: order %s of %s is new: queued", id, domain);
    } else {
        metrics_inc(sd->m, "syncd_reconcile_orders_recovered_total", 1);
        metrics_inc(sd->m, "syncd_reconcile_anomalies_total{kind=\"order_missed\"}", 1);
        log_event(LOG_WARN, evid,
                  "reconcile: paid order %s of %s never reached syncd by webhook: queued", id,
                  domain);
    }
    return 0;
}

/* One listed order of shop domain: queued when it is reconciliation's
 * business (recon_order_due) and syncd never saw it. Returns 0, or -1 when
 * the store could not tell or failed (the shop's watermark stays). */
static int recover_order(syncd *sd, const char *domain, const cJSON *order, tally *t)
{
    char id[64];
    if (json_id_text(cJSON_GetObjectItemCaseSensitive(order, "id"), id, sizeof id) != 0)
        return 0;
    if (!recon_order_due(str_of(order, "financial_status"), str_of(order, "cancelled_at") != NULL))
        return 0;
    int seen = order_seen(sd, domain, id);
    if (seen != 0)
        return seen > 0 ? 0 : -1;
    return queue_missed_order(sd, domain, id, order, t);
}

/* Shop s's paid orders since its watermark; the watermark moves to began
 * when every one was looked at. */
static void fetch_shop_orders(syncd *sd, size_t s, int64_t began, tally *t)
{
    const char *domain = sd->cfg.shops[s].domain;
    char key[300], since[40];
    shop_mark_key(domain, key, sizeof key);
    int64_t mark = mark_get(sd, key, began);
    clock_format_iso(mark - sd->cfg.reconcile_overlap_ms, 1, since, sizeof since);
    cJSON *orders = NULL;
    outcome o;
    shopify_paid_orders(sd->shops[s], since, PRIO_BULK, &orders, &o);
    if (o.action != POLICY_DONE) {
        log_warn("reconcile: %s: cannot list paid orders since %s: %s", domain, since, o.error);
        metrics_inc(sd->m, "syncd_reconcile_errors_total", 1);
        t->errors++;
        outbound_done(&o);
        return;
    }
    outbound_done(&o);
    int ok = 1;
    const cJSON *order;
    cJSON_ArrayForEach(order, orders)
    {
        if (recover_order(sd, domain, order, t) != 0)
            ok = 0;
    }
    cJSON_Delete(orders);
    if (ok)
        mark_set(sd, key, began);
    else
        t->errors++;
}

static void fetch_orders(syncd *sd, int64_t began, tally *t)
{
    for (size_t s = 0; s < sd->cfg.n_shops && !sd->stopping; s++)
        fetch_shop_orders(sd, s, began, t);
}

/* ---- (c) received purchases ---------------------------------------------------------- */

/* Appends the lines of arr (every item: one without a SKU is left out by
 * recon_purchase) to *v. */
static void add_lines(const cJSON *arr, recon_line **v, size_t *n, size_t *cap)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, arr)
    {
        const cJSON *q = cJSON_GetObjectItemCaseSensitive(x, "Quantity");
        XGROW(*v, *n, *cap, 16);
        (*v)[(*n)++] = (recon_line){str_of(x, "SKU"), str_of(x, "Location"),
                                    cJSON_IsNumber(q) ? c7qty_from(q->valuedouble) : 0};
    }
}

/* The lines purchase p received: those of its StockReceived sections (a
 * Simple Purchase has one, an Advanced one a list of them), or its order's
 * lines when none has lines. A malloc'd array of *n; strings borrowed
 * from p. */
static recon_line *received_lines(const cJSON *p, size_t *n)
{
    recon_line *v = NULL;
    size_t cap = 0;
    *n = 0;
    const cJSON *sr = cJSON_GetObjectItemCaseSensitive(p, "StockReceived");
    if (cJSON_IsArray(sr)) {
        const cJSON *task;
        cJSON_ArrayForEach(task, sr)
            add_lines(cJSON_GetObjectItemCaseSensitive(task, "Lines"), &v, n, &cap);
    } else {
        add_lines(cJSON_GetObjectItemCaseSensitive(sr, "Lines"), &v, n, &cap);
    }
    if (*n == 0)
        add_lines(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "Order"),
                                                   "Lines"),
                  &v, n, &cap);
    return v;
}

int64_t reconcile_check_purchase(const cJSON *p, const cin7_snapshot *snap)
{
    const char *number = str_of(p, "OrderNumber");
    size_t n;
    recon_line *lines = received_lines(p, &n);
    recon_stock *stock = xcalloc(snap->n + 1, sizeof *stock);
    for (size_t i = 0; i < snap->n; i++)
        stock[i] = (recon_stock){snap->rows[i].sku, snap->rows[i].location, snap->rows[i].on_hand};
    recon_anomaly *a = xcalloc(n + 1, sizeof *a);
    size_t found = recon_purchase(lines, n, str_of(p, "Location"), stock, snap->n, a);
    for (size_t k = 0; k < found; k++)
        log_event(LOG_WARN, NULL,
                  "reconcile: purchase %s received %lld x %s at %s, but Cin7's OnHand there is %lld",
                  number ? number : "?", (long long)a[k].received, a[k].sku, a[k].location,
                  (long long)a[k].on_hand);
    free(a);
    free(stock);
    free(lines);
    return (int64_t)found;
}

/* One run's check of received purchases: one fresh availability read for
 * all of them, made at the first purchase not checked before. */
typedef struct {
    syncd *sd;
    tally *t;
    cin7_snapshot snap;
    int have_snap;
} purchase_run;

/* 1 when purchase id was checked in an earlier run (the overlap lists it
 * again). */
static int purchase_checked(syncd *sd, const char *id)
{
    char *key = xasprintf(PURCHASE_DONE "%s", id);
    char *done = store_idem_get(sd->st, key);
    free(key);
    free(done);
    return done != NULL;
}

/* The run's availability read, once. Returns 0, or -1 when Cin7 could not
 * be read. */
static int purchase_snapshot(purchase_run *pr)
{
    if (pr->have_snap)
        return 0;
    outcome o;
    cin7_availability(pr->sd->c7, NULL, PRIO_BULK, &pr->snap, &o);
    int ok = o.action == POLICY_DONE;
    if (!ok)
        log_warn("reconcile: cannot read Cin7 availability: %s", o.error);
    outbound_done(&o);
    pr->have_snap = ok;
    return ok ? 0 : -1;
}

/* Purchase id (a purchaseList row) read back whole, by its Type, into
 * *doc (caller frees). Returns 0, or -1 when Cin7 could not be read. */
static int read_purchase(syncd *sd, const cJSON *row, const char *id, cJSON **doc)
{
    sbuf p = SBUF_INIT;
    const char *type = str_of(row, "Type");
    sbuf_puts(&p, type && strcmp(type, "Advanced Purchase") == 0 ? "advanced-purchase?ID="
                                                                 : "purchase?ID=");
    sbuf_urlenc(&p, id);
    outcome o;
    *doc = NULL;
    cin7_get_json(sd->c7, sbuf_str(&p), PRIO_BULK, doc, &o);
    sbuf_free(&p);
    int ok = o.action == POLICY_DONE;
    if (!ok)
        log_warn("reconcile: cannot read purchase %s: %s", id, o.error);
    outbound_done(&o);
    return ok ? 0 : -1;
}

/* Counts purchase id's anomalies and marks it checked. */
static void purchase_done(syncd *sd, tally *t, const char *id, int64_t anomalies)
{
    t->purchases_checked++;
    t->purchase_anomalies += anomalies;
    metrics_inc(sd->m, "syncd_reconcile_purchases_checked_total", 1);
    if (anomalies) {
        metrics_inc(sd->m, "syncd_reconcile_purchase_anomalies_total", anomalies);
        metrics_inc(sd->m, "syncd_reconcile_anomalies_total{kind=\"purchase_stock\"}", anomalies);
    }
    char *key = xasprintf(PURCHASE_DONE "%s", id);
    if (store_idem_claim(sd->st, key, "1", NULL) < 0)
        log_warn("reconcile: cannot mark purchase %s checked (it is checked again)", id);
    free(key);
}

/* Checks received purchase id (a purchaseList row) unless an earlier run
 * did. Returns 0, or -1 when Cin7 could not be read (the run stops there
 * and the watermark stays). */
static int check_purchase(purchase_run *pr, const cJSON *row, const char *id)
{
    if (purchase_checked(pr->sd, id))
        return 0;
    cJSON *doc = NULL;
    if (purchase_snapshot(pr) != 0 || read_purchase(pr->sd, row, id, &doc) != 0) {
        cJSON_Delete(doc);
        return -1;
    }
    int64_t a = reconcile_check_purchase(doc, &pr->snap);
    cJSON_Delete(doc);
    purchase_done(pr->sd, pr->t, id, a);
    return 0;
}

static void check_purchases(syncd *sd, int64_t began, tally *t)
{
    char since[40];
    cJSON *rows = NULL;
    outcome o;
    /* Received is StockReceivedStatus AUTHORISED, whatever the status went
     * on to (recon_received): filtered here, as purchaseList filters by
     * order and invoice status, not by receipt. */
    int ok = list_since(sd, PURCHASES_MARK, began, "purchaseList?UpdatedSince=", "PurchaseList",
                        since, sizeof since, &rows, &o);
    if (!ok)
        log_warn("reconcile: cannot list received purchases: %s", o.error);
    outbound_done(&o);
    purchase_run pr = {sd, t, {0}, 0};
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
    {
        const char *id = str_of(row, "ID");
        if (!ok || !id || sd->stopping)
            break;
        if (recon_received(str_of(row, "StockReceivedStatus")))
            ok = check_purchase(&pr, row, id) == 0;
    }
    if (pr.have_snap)
        cin7_snapshot_free(&pr.snap);
    cJSON_Delete(rows);
    if (ok)
        mark_set(sd, PURCHASES_MARK, began);
    else {
        metrics_inc(sd->m, "syncd_reconcile_errors_total", 1);
        t->errors++;
    }
}

/* ---- (d) shipments ------------------------------------------------------------------- */

static void fetch_shipments(syncd *sd, int64_t began, tally *t)
{
    int poll = is_poll(sd);
    char since[40];
    cJSON *rows = NULL;
    outcome o;
    int ok = list_since(sd, SALES_MARK, began, "saleList?UpdatedSince=", "SaleList", since,
                        sizeof since, &rows, &o);
    if (!ok) {
        log_warn("reconcile: cannot list sales updated since %s: %s", since, o.error);
        metrics_inc(sd->m, "syncd_reconcile_errors_total", 1);
        t->errors++;
    }
    outbound_done(&o);
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
    {
        const char *id = str_of(row, "SaleID");
        long si = fulfil_shop_of(sd, str_of(row, "ExternalID"));
        if (!id || si < 0)
            continue;
        const char *shop = sd->cfg.shops[si].domain;
        status_sale st = {str_of(row, "Status"), str_of(row, "CombinedShippingStatus"),
                          str_of(row, "FulFilmentStatus")};
        status_action a = status_map(&st, NULL, 0, NULL);
        if (a.kind != STATUS_FULFIL)
            continue;
        char *key = xasprintf("fulfil:%s", id);
        char *done = store_idem_get(sd->st, key);
        free(key);
        if (done) {
            free(done);
            continue;
        }
        char *dedup = xasprintf("ship:%s", id);
        int64_t ev = 0;
        int rc = queue_event(sd, "Sale/ShipmentAuthorised", shop, NULL, row, EVENT_PRIO_SHIPMENT, dedup,
                             &ev);
        free(dedup);
        if (rc < 0)
            ok = 0;
        if (rc != STORE_NEW)
            continue;
        t->shipments++;
        char evid[32];
        snprintf(evid, sizeof evid, "ev-%lld", (long long)ev);
        if (poll) {
            metrics_inc(sd->m, "syncd_poll_shipments_total", 1);
            log_event(LOG_INFO, evid, "poll: sale %s shipped: queued its fulfillment", id);
        } else {
            metrics_inc(sd->m, "syncd_reconcile_shipments_recovered_total", 1);
            metrics_inc(sd->m, "syncd_reconcile_anomalies_total{kind=\"shipment_missed\"}", 1);
            log_event(LOG_WARN, evid,
                      "reconcile: sale %s shipped but no fulfillment was made: queued", id);
        }
    }
    cJSON_Delete(rows);
    if (ok)
        mark_set(sd, SALES_MARK, began);
}

/* ---- the schedule -------------------------------------------------------------------- */

/* Rows of each kind one housekeeping round removes at most, and the
 * rounds one run takes at most (a million rows of each kind). */
#define HOUSEKEEP_BATCH 1000
#define HOUSEKEEP_ROUNDS 1000
/* Dedup keys outlive any redelivery: Shopify retries a webhook for 48
 * hours. */
#define DEDUP_KEPT_MS (3 * 86400000LL)

/* Removes what the store no longer needs (store_housekeep): rows older
 * than `retention`, dedup keys and the velocity window's history kept at
 * least as long as they can matter. In rounds, so the store is never held
 * for long. */
static void housekeep(syncd *sd)
{
    int64_t keep = sd->cfg.retention_ms;
    if (keep <= 0)
        return;
    int64_t now = clock_now_ms(&sd->clk);
    store_cutoffs before = {
        .dedup = now - (keep > DEDUP_KEPT_MS ? keep : DEDUP_KEPT_MS),
        .history = now - (keep > sd->cfg.replen_window_ms ? keep : sd->cfg.replen_window_ms),
        .audit = now - keep,
        .bodies = now - keep,
    };
    store_pruned sum = {0}, p;
    int more = 1;
    for (int i = 0; i < HOUSEKEEP_ROUNDS && more && !sd->stopping; i++) {
        if (store_housekeep(sd->st, &before, HOUSEKEEP_BATCH, &p) != 0) {
            log_warn("housekeeping: the store failed; the rest waits for the next run");
            break;
        }
        sum.dedup += p.dedup;
        sum.history += p.history;
        sum.audit += p.audit;
        sum.order_events += p.order_events;
        sum.bodies += p.bodies;
        more = p.dedup == HOUSEKEEP_BATCH || p.history == HOUSEKEEP_BATCH ||
               p.audit == HOUSEKEEP_BATCH || p.order_events == HOUSEKEEP_BATCH ||
               p.bodies == HOUSEKEEP_BATCH;
    }
    metrics_inc(sd->m, "syncd_housekept_rows_total{kind=\"dedup\"}", sum.dedup);
    metrics_inc(sd->m, "syncd_housekept_rows_total{kind=\"history\"}", sum.history);
    metrics_inc(sd->m, "syncd_housekept_rows_total{kind=\"audit\"}", sum.audit);
    metrics_inc(sd->m, "syncd_housekept_rows_total{kind=\"order_events\"}", sum.order_events);
    metrics_inc(sd->m, "syncd_housekept_rows_total{kind=\"write_bodies\"}", sum.bodies);
    if (sum.dedup + sum.history + sum.audit + sum.order_events + sum.bodies > 0)
        log_info("housekeeping: %lld dedup keys, %lld history lines, %lld audit rows, %lld order "
                 "links and %lld write bodies older than kept removed",
                 (long long)sum.dedup, (long long)sum.history, (long long)sum.audit,
                 (long long)sum.order_events, (long long)sum.bodies);
}

static void run(reconciler *r)
{
    syncd *sd = r->sd;
    const catalog *cat = syncd_catalog(sd);
    int poll = is_poll(sd);
    int64_t began = epoch_now(sd);
    r->runs++;
    metrics_inc(sd->m, "syncd_reconcile_runs_total", 1);
    if (poll)
        metrics_inc(sd->m, "syncd_poll_runs_total", 1);
    tally t = {0};
    size_t skus = check_levels(sd, cat);
    fetch_orders(sd, began, &t);
    if (!sd->stopping)
        check_purchases(sd, began, &t);
    if (!sd->stopping && sd->cfg.fulfillments)
        fetch_shipments(sd, began, &t);
    if (!sd->stopping)
        housekeep(sd);
    metrics_set(sd->m, "syncd_reconcile_last_run_epoch_ms", began);
    log_info("%s %lld: %zu SKUs checked against a fresh Cin7 read, %lld orders %s, %lld shipments "
             "queued, %lld received purchases checked (%lld anomalies), %lld errors",
             poll ? "poll" : "reconcile", (long long)r->runs, skus, (long long)t.orders,
             poll ? "new" : "recovered", (long long)t.shipments, (long long)t.purchases_checked,
             (long long)t.purchase_anomalies, (long long)t.errors);
}

static void *recon_main(void *arg)
{
    reconciler *r = arg;
    syncd *sd = r->sd;
    while (!sd->stopping && !(sd->ready && syncd_catalog(sd)))
        nap(r, 1000, 0);
    if (sd->stopping)
        return NULL;
    int poll = is_poll(sd);
    int64_t interval = poll ? sd->cfg.poll_interval_ms : sd->cfg.reconcile_interval_ms;
    int64_t start = epoch_now(sd);
    /* The first start fixes where the watermarks begin: orders from before
     * syncd ever ran are not its business. */
    for (size_t s = 0; s < sd->cfg.n_shops; s++) {
        char key[300];
        shop_mark_key(sd->cfg.shops[s].domain, key, sizeof key);
        mark_init(sd, key, start);
    }
    mark_init(sd, PURCHASES_MARK, start);
    mark_init(sd, SALES_MARK, start);
    /* Poll mode polls at once. Reconciliation waits one interval on a
     * fresh store and keeps its schedule across restarts (so frequent
     * restarts never postpone it for good). */
    int64_t due = start;
    if (!poll) {
        due = mark_get(sd, DUE_KEY, start + interval);
        if (due > start + interval)
            due = start + interval;
        mark_set(sd, DUE_KEY, due);
    }
    while (!sd->stopping) {
        int64_t now = epoch_now(sd);
        pthread_mutex_lock(&r->lock);
        int asked = r->requested;
        r->requested = 0;
        pthread_mutex_unlock(&r->lock);
        if (!asked && now < due) {
            nap(r, due - now, 1);
            continue;
        }
        /* With several instances on one store, the one holding the
         * schedule's role runs it; the others follow the due time it
         * keeps in the store, and take over when it stops renewing. */
        if (!roles_held(sd->roles, ROLE_SCHEDULE, NULL)) {
            if (asked)
                log_info("%s requested: run by the instance holding claim \"%s\"",
                         poll ? "poll" : "reconcile", roles_name(sd->roles, ROLE_SCHEDULE));
            roles_wait(sd->roles, ROLE_SCHEDULE, 0, sd->cfg.claim_ttl_ms);
            if (!poll)
                due = mark_get(sd, DUE_KEY, due);
            continue;
        }
        run(r);
        due = now + interval;
        if (!poll)
            mark_set(sd, DUE_KEY, due);
    }
    httpc_thread_cleanup();
    return NULL;
}

reconciler *reconcile_start(syncd *sd)
{
    reconciler *r = xcalloc(1, sizeof *r);
    r->sd = sd;
    pthread_mutex_init(&r->lock, NULL);
    clock_cond_init(&r->cv);
    if (pthread_create(&r->thread, NULL, recon_main, r) != 0) {
        fprintf(stderr, "fatal: cannot start the reconciliation thread\n");
        abort();
    }
    r->started = 1;
    return r;
}

void reconcile_request(reconciler *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->requested = 1;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->lock);
}

void reconcile_stop(reconciler *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->lock);
    if (r->started)
        pthread_join(r->thread, NULL);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->cv);
    free(r);
}
