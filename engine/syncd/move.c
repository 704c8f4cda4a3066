/* Moving a backordered sale; see move.h. */
#include "move.h"

#include "c7event.h"
#include "handlers.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "route.h"
#include "routecfg.h"
#include "sbuf.h"
#include "xwrite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One move as its steps see it. */
typedef struct {
    syncd *sd;
    const store_event *ev;
    const fulfil_sale_info *s;
    long shop;
    char order[64];
    const cJSON *address;    /* the sale's ShippingAddress (may be NULL) */
    cJSON *plan;             /* the order's routing plan */
    const cJSON *group;      /* the plan group the sale ships */
    char base[300];          /* that group's first ExternalID */
    int moves;               /* how many times the sale was moved already */
    int stayed;              /* the sale stays backordered where it is */
} move_job;

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The plan group whose sale s is: its ExternalID is the group's, or the
 * group's followed by move suffixes ("~m1", "~m1~m2"...). */
static int find_group(move_job *m)
{
    const char *shop = m->sd->cfg.shops[m->shop].domain;
    const cJSON *g;
    cJSON_ArrayForEach(g, m->plan)
    {
        orders_group_ext(shop, m->order, m->plan, g, m->base, sizeof m->base);
        size_t k = strlen(m->base);
        const char *rest = m->s->external + k;
        if (strncmp(m->s->external, m->base, k) != 0 || (*rest && strncmp(rest, "~m", 2) != 0))
            continue;
        m->group = g;
        for (const char *p = rest; (p = strstr(p, "~m")) != NULL; p += 2)
            m->moves++;
        return 0;
    }
    return -1;
}

/* Fresh Cin7 availability of the group's SKUs (one read each), into the
 * stock cache; a mapped location with no row holds none. */
static int read_fresh(move_job *m, handled *h)
{
    syncd *sd = m->sd;
    const cJSON *ln;
    cJSON_ArrayForEach(ln, cJSON_GetObjectItemCaseSensitive(m->group, "lines"))
    {
        const char *sku = jstr(ln, "sku");
        cin7_snapshot snap;
        outcome o;
        cin7_availability(sd->c7, sku, PRIO_CRITICAL, &snap, &o);
        if (o.action != POLICY_DONE) {
            *h = handled_from_outcome(&o);
            outbound_done(&o);
            return -1;
        }
        outbound_done(&o);
        for (size_t l = 0; l < sd->cfg.n_locations; l++) {
            stock_figures f = {.as_of = snap.read_started};
            for (size_t i = 0; i < snap.n; i++) {
                const cin7_row *r = &snap.rows[i];
                if (strcmp(r->sku, sku) == 0 && strcmp(r->location, sd->cfg.locations[l].name) == 0)
                    f = (stock_figures){r->on_hand, r->allocated, r->available, r->on_order,
                                        r->in_transit, snap.read_started};
            }
            stockcache_put(sd->cache, sku, sd->cfg.locations[l].name, &f);
        }
        cin7_snapshot_free(&snap);
    }
    return 0;
}

/* Where the sale goes (route_move on the cache's routable units), the
 * decision kept in the store so every retry takes the same one. Returns 1
 * with target set, 0 when no location can fill it, -1 with *h. */
static int decide(move_job *m, char *target, size_t n, handled *h)
{
    syncd *sd = m->sd;
    char key[160];
    snprintf(key, sizeof key, "move:%s", m->s->id);
    char *kept = store_idem_get(sd->st, key);
    if (kept) {
        snprintf(target, n, "%s", kept);
        free(kept);
        return 1;
    }
    if (read_fresh(m, h) != 0)
        return -1;
    routecfg rc;
    routecfg_init(&rc, &sd->cfg);
    const cJSON *lines = cJSON_GetObjectItemCaseSensitive(m->group, "lines");
    size_t n_lines = (size_t)cJSON_GetArraySize(lines);
    int64_t *qty = xcalloc(n_lines + 1, sizeof *qty);
    int64_t *avail = xcalloc(rc.n_locs * n_lines + 1, sizeof *avail);
    size_t *order = xcalloc(rc.n_locs + 1, sizeof *order);
    route_address addr = {0, 0, 0, jstr(m->address, "Country"), jstr(m->address, "Postcode")};
    route_preference(rc.locs, rc.n_locs, rc.regions, rc.n_regions, &addr, order);
    orders_route_begin(sd);
    size_t j = 0;
    const cJSON *ln;
    cJSON_ArrayForEach(ln, lines)
    {
        qty[j] = (int64_t)cJSON_GetObjectItemCaseSensitive(ln, "qty")->valuedouble;
        for (size_t l = 0; l < rc.n_locs; l++)
            avail[l * n_lines + j] = stockcache_routable(sd->cache, jstr(ln, "sku"), rc.locs[l].name);
        j++;
    }
    long from = routecfg_find(&rc, m->s->location);
    int t = from < 0 ? -1 : route_move(rc.locs, rc.n_locs, order, (size_t)from, qty, n_lines, avail);
    int rc_out = 0;
    if (t >= 0) {
        char *existing = NULL;
        int claimed = store_idem_claim(sd->st, key, rc.locs[t].name, &existing);
        snprintf(target, n, "%s", existing ? existing : rc.locs[t].name);
        free(existing);
        rc_out = claimed < 0 ? -1 : 1;
        if (claimed < 0)
            *h = handled_retry(1000, "store: cannot record the move of sale %.60s", m->s->id);
    }
    orders_route_end(sd, 0);
    free(qty);
    free(avail);
    free(order);
    routecfg_free(&rc);
    return rc_out;
}

/* The old sale's void, exactly once: a lost answer is read back. */
static int void_look_up(void *ud, char **remote, handled *h)
{
    move_job *m = ud;
    (void)remote;
    sbuf path = SBUF_INIT;
    sbuf_puts(&path, "sale?ID=");
    sbuf_urlenc(&path, m->s->id);
    cJSON *doc = NULL;
    outcome o;
    cin7_get_json(m->sd->c7, sbuf_str(&path), PRIO_CRITICAL, &doc, &o);
    sbuf_free(&path);
    if (!doc)
        *h = handled_from_outcome(&o);
    outbound_done(&o);
    if (!doc)
        return -1;
    const char *st = jstr(doc, "Status");
    int voided = st && strcmp(st, "VOIDED") == 0;
    cJSON_Delete(doc);
    return voided;
}

static int void_write(void *ud, char **remote, outcome *o, handled *h)
{
    move_job *m = ud;
    (void)remote;
    cin7_sale_void(m->sd->c7, m->s->id, PRIO_CRITICAL, o);
    if (o->action == POLICY_DONE)
        return 1;
    /* Refused: because Cin7 will not void it (picked meanwhile), or
     * because it is voided already, by a try whose answer was lost (a
     * runner whose lease ran out while it waited may have sent it). Only
     * the sale can tell; voided is what this write wanted. */
    if (o->action == POLICY_PERMANENT) {
        handled ignored = handled_done();
        if (void_look_up(ud, remote, &ignored) == 1) {
            log_info("sale %s: voided already (an earlier try's answer was lost)", m->s->id);
            return 1;
        }
    }
    (void)h;
    return -1;
}

static handled stays(move_job *m, const char *why);

/* The old sale voided, exactly once. Returns done, or what becomes of the
 * event; *refused is set when Cin7 will not void it (its stock has left
 * the shelf: it ships where it is after all). */
static handled void_old(move_job *m, int *refused)
{
    syncd *sd = m->sd;
    char void_key[160];
    snprintf(void_key, sizeof void_key, "void:%s", m->s->id);
    xwrite_op op = {void_key, "sale_void", m->s->id, void_look_up, void_write, m};
    xwrite_how how;
    char *remote = NULL;
    handled h = xwrite_run(sd->st, &sd->clk, &op, &how, &remote);
    free(remote);
    *refused = h.kind == H_DEAD;
    return h;
}

/* Every unit of the group held against sale id (a move raises the
 * backorder's hold to the whole group before the void lets the allocated
 * units go, and settles it once the new sale holds them). */
static int hold_group(move_job *m, const char *id)
{
    const cJSON *lines = cJSON_GetObjectItemCaseSensitive(m->group, "lines");
    size_t n = (size_t)cJSON_GetArraySize(lines), k = 0;
    const char **skus = xcalloc(n + 1, sizeof *skus);
    int64_t *units = xcalloc(n + 1, sizeof *units);
    const cJSON *ln;
    cJSON_ArrayForEach(ln, lines)
    {
        const cJSON *q = cJSON_GetObjectItemCaseSensitive(ln, "qty");
        skus[k] = jstr(ln, "sku");
        units[k] = cJSON_IsNumber(q) ? (int64_t)q->valuedouble : 0;
        k += skus[k] != NULL;
    }
    int rc = orders_hold_backorders(m->sd, m->sd->cfg.shops[m->shop].domain, m->order, id, skus,
                                    units, k);
    free(skus);
    free(units);
    return rc;
}

/* The old sale voided, then the sale again at target under the next
 * ExternalID. Void first: a sale Cin7 will not void any more (picked
 * meanwhile, its backorder filled) stays, and no second sale ships the
 * order twice. The order is without a sale between the two steps only;
 * a crash there resumes at the creation (both steps are exactly once). */
static handled carry_out(move_job *m, const char *target)
{
    syncd *sd = m->sd;
    const char *shop = sd->cfg.shops[m->shop].domain;
    char ext[320], key[340];
    snprintf(ext, sizeof ext, "%.290s~m%d", m->base, m->moves + 1);
    /* The chain first, so a cancellation from now on voids the new sale. */
    snprintf(key, sizeof key, "moved:%s", m->s->external);
    char *existing = NULL;
    if (store_idem_claim(sd->st, key, ext, &existing) < 0)
        return handled_retry(1000, "store: cannot record the move of sale %.60s", m->s->id);
    if (existing)
        snprintf(ext, sizeof ext, "%s", existing);
    free(existing);
    if (hold_group(m, m->s->id) != 0)
        return handled_retry(1000, "store: cannot hold the units of sale %.60s", m->s->id);
    int refused = 0;
    handled h = void_old(m, &refused);
    if (refused)
        return stays(m, "Cin7 will not void it any more");
    if (h.kind != H_DONE)
        return h;
    cJSON *moved = cJSON_Duplicate(m->group, 1);
    cJSON_ReplaceItemInObjectCaseSensitive(moved, "location", cJSON_CreateString(target));
    const cJSON *ln;
    orders_route_begin(sd);
    cJSON_ArrayForEach(ln, cJSON_GetObjectItemCaseSensitive(moved, "lines"))
        stockcache_routed(sd->cache, ext, jstr(ln, "sku"), target,
                          (int64_t)cJSON_GetObjectItemCaseSensitive(ln, "qty")->valuedouble);
    orders_route_end(sd, 1);
    h = orders_push_sale(sd, m->ev, shop, m->order, ext, moved, m->address, PRIO_CRITICAL);
    cJSON_Delete(moved);
    /* The new sale holds the units (or its own backorder does): the old
     * sale's hold ends. */
    if (h.kind == H_DONE &&
        store_backorder_settle(sd->st, NULL, NULL, m->s->id, clock_now_ms(&sd->clk)) != 0)
        return handled_retry(1000, "store: cannot settle the hold of sale %.60s", m->s->id);
    /* Said and counted once, however many events resume the move (Cin7's
     * notification comes after the one syncd queued on the push). */
    snprintf(key, sizeof key, "moved-said:%s", m->s->id);
    if (h.kind == H_DONE && store_idem_claim(sd->st, key, ext, NULL) == 1) {
        char what[700];
        snprintf(what, sizeof what, "sale %s at %s -> %s at %s", m->s->id, m->s->location, ext,
                 target);
        store_audit(sd->st, m->ev->id, clock_now_ms(&sd->clk), "sale_moved", what);
        metrics_inc(sd->m, "syncd_sales_moved_total", 1);
        log_info("order %s: backordered %s moved (the old sale voided, a new one made)", m->order,
                 what);
    }
    return h;
}

/* Why a backordered sale stays where it is: said and counted. */
static handled stays(move_job *m, const char *why)
{
    log_event(LOG_WARN, NULL, "sale %s (order %s) stays backordered at %s: %s", m->s->id, m->order,
              m->s->location ? m->s->location : "?", why);
    metrics_inc(m->sd->m, "syncd_backorders_unmoved_total", 1);
    store_audit(m->sd->st, m->ev->id, clock_now_ms(&m->sd->clk), "backorder_stays", why);
    m->stayed = 1;
    return handled_done();
}

/* Whether the sale's move is decided ("move:<sale>" kept): a voided
 * sale that is mid-move has its hold end when the new sale exists
 * (carry_out), not when it reads voided. A store that cannot say: not
 * (the hold ends a little early, once). */
static int mid_move(syncd *sd, const char *sale_id)
{
    return orders_idem_has(sd, "move:", sale_id) == 1;
}

/* Whether sale s reads voided now. */
static int reads_voided(const fulfil_sale_info *s)
{
    return s->status && strcmp(s->status, "VOIDED") == 0;
}


/* Whether the sale is one to move now: some units backordered, not voided
 * (a move decided earlier resumes whatever the sale reads now: its void may
 * be what the last try did). */
static int wants_move(const move_job *m)
{
    return fulfil_backordered(m->s) > 0 && !reads_voided(m->s);
}

static handled move_locked(move_job *m)
{
    syncd *sd = m->sd;
    char key[160];
    snprintf(key, sizeof key, "cancelled:%s:%s", sd->cfg.shops[m->shop].domain, m->order);
    char *cancelled = store_kv_get(sd->st, key);
    int is_cancelled = cancelled != NULL;
    free(cancelled);
    if (is_cancelled)
        return handled_done(); /* its sales are being voided */
    int resumed = mid_move(sd, m->s->id);
    if (!resumed && !wants_move(m))
        return handled_done();
    m->plan = orders_plan(sd, sd->cfg.shops[m->shop].domain, m->order);
    if (find_group(m) != 0)
        return stays(m, "its ExternalID is in no routing plan");
    if (!resumed && m->moves >= ORDERS_MAX_MOVES)
        return stays(m, "moved as many times as it may be already");
    char target[128];
    handled h = handled_done();
    int d = decide(m, target, sizeof target, &h);
    if (d < 0)
        return h;
    if (d == 0)
        return stays(m, "no other mapped location can fill it whole");
    return carry_out(m, target);
}

/* Moves the sale (read as doc, and as s) when it is one to move; *stayed
 * is set when it stays backordered where it is (moves off, or no move). */
static handled move_sale(syncd *sd, const store_event *ev, const cJSON *doc,
                         const fulfil_sale_info *s, int *stayed)
{
    move_job m = {.sd = sd, .ev = ev, .s = s, .shop = fulfil_shop_of(sd, s->external)};
    *stayed = !sd->cfg.move_backorders && wants_move(&m);
    if (!sd->cfg.move_backorders || m.shop < 0 || !s->id || !s->location)
        return handled_done();
    fulfil_order_of(s, m.order, sizeof m.order);
    if (!*m.order)
        return handled_done();
    m.address = cJSON_GetObjectItemCaseSensitive(doc, "ShippingAddress");
    if (!cJSON_IsObject(m.address))
        m.address = NULL;
    orders_sales_lock();
    handled h = move_locked(&m);
    orders_sales_unlock();
    *stayed = m.stayed;
    cJSON_Delete(m.plan);
    return h;
}

/* The sale's backorders, logged, counted and audited. */
static void say_backordered(syncd *sd, const store_event *ev, const fulfil_sale_info *s)
{
    char evid[32];
    snprintf(evid, sizeof evid, "ev-%lld", (long long)ev->id);
    sbuf what = SBUF_INIT;
    int64_t units = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->lines[i].backordered > 0) {
            sbuf_printf(&what, "%s%lld x %s", units ? ", " : "", (long long)s->lines[i].backordered,
                        s->lines[i].sku);
            units += s->lines[i].backordered;
        }
    fulfil_count_state(sd, "backordered");
    metrics_inc(sd->m, "syncd_backordered_units_total", units);
    log_event(LOG_WARN, evid, "sale %s (order %s) at %s is backordered: %s wait for stock",
              s->number ? s->number : "?", s->reference ? s->reference : "?",
              s->location ? s->location : "?", units ? sbuf_str(&what) : "no units");
    store_audit(sd->st, ev->id, clock_now_ms(&sd->clk), "backordered",
                units ? sbuf_str(&what) : "");
    sbuf_free(&what);
}

/* The holds of sale id end now, and its SKUs (doc's order lines) are
 * marked for a sync, whose figures then count the units once. */
static int settle_sale(syncd *sd, const char *id, const cJSON *doc)
{
    if (store_backorder_settle(sd->st, NULL, NULL, id, clock_now_ms(&sd->clk)) != 0)
        return -1;
    const cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(doc, "Order"), "Lines"))
    {
        const char *one[] = {jstr(l, "SKU")};
        if (one[0])
            syncd_mark_dirty(sd, one, 1);
    }
    return 0;
}

/* The sale s (its document doc) as read now: its backordered units held
 * (the order's lines' BackorderQuantity), or, when it has none left (stock
 * arrived and filled them) or was voided outside a move, its holds
 * settled. 0, or -1 on a storage error. */
static int hold_or_settle(syncd *sd, const fulfil_sale_info *s, const cJSON *doc)
{
    char order[64];
    fulfil_order_of(s, order, sizeof order);
    const char **skus;
    int64_t *units;
    size_t k = orders_backordered(cJSON_GetObjectItemCaseSensitive(doc, "Order"), &skus, &units);
    int voided = reads_voided(s);
    int rc = 0;
    if (k && !voided)
        rc = orders_hold_backorders(sd, sd->cfg.shops[fulfil_shop_of(sd, s->external)].domain,
                                    order, s->id, skus, units, k);
    else if (!voided || !mid_move(sd, s->id))
        rc = settle_sale(sd, s->id, doc);
    free(skus);
    free(units);
    return rc;
}

/* How many held sales one call queues a look at, at most: each look is
 * one of Cin7's calls, and a fill only ends an undersell. */
#define RECHECKS_PER_CALL 4

void move_queue_rechecks(syncd *sd, char *const *skus, size_t n, int *held)
{
    int64_t now = clock_now_ms(&sd->clk);
    size_t queued = 0;
    for (size_t i = 0; i < n; i++) {
        cJSON *due = queued < RECHECKS_PER_CALL
                         ? store_backorders_due(sd->st, skus[i], now - MOVE_RECHECK_MS,
                                                RECHECKS_PER_CALL - queued)
                         : NULL;
        const cJSON *id;
        cJSON_ArrayForEach(id, due)
        {
            cJSON *doc = cJSON_CreateObject();
            cJSON_AddStringToObject(doc, "SaleID", id->valuestring);
            char *body = json_print(doc);
            cJSON_Delete(doc);
            char dedup[200];
            snprintf(dedup, sizeof dedup, "backorder-check:%.120s:%lld", id->valuestring,
                     (long long)now);
            store_event_in in = {
                .source = "internal",
                .topic = MOVE_RECHECK_TOPIC,
                .body = body,
                .body_len = strlen(body),
                .priority = EVENT_PRIO_SHIPMENT,
                .now = now,
                .dedup = {dedup, NULL, NULL, NULL},
            };
            int64_t ev_id = 0;
            if (store_enqueue(sd->st, &in, &ev_id) < 0 ||
                store_backorder_checked(sd->st, id->valuestring, now) != 0)
                metrics_inc(sd->m, "syncd_store_errors_total", 1);
            else
                queued++;
            free(body);
        }
        cJSON_Delete(due);
        /* Any hold still open, looked at lately or not: the SKU comes back. */
        cJSON *open = store_backorders_due(sd->st, skus[i], INT64_MAX, 1);
        held[i] = !open || cJSON_GetArraySize(open) > 0;
        cJSON_Delete(open);
    }
    if (queued)
        syncd_wake_workers(sd);
}

/* The sale the event names ({"SaleID"} or Cin7's notification), read at
 * prio: 0 with *s and *doc (the caller frees both), or -1 with *h. */
static int read_named_sale(syncd *sd, const store_event *ev, const char *what, int prio,
                           char *id, fulfil_sale_info *s, cJSON **doc, handled *h)
{
    char why[300];
    *doc = NULL;
    if (c7event_sale_id(ev->body, ev->body_len, id, why, sizeof why) != 0) {
        *h = handled_dead("%s refused: %s", what, why);
        return -1;
    }
    *h = handled_done();
    return fulfil_read_sale(sd, id, prio, s, h, doc);
}

/* Whether sale s, as read now, stands with nothing backordered. */
static int filled(const fulfil_sale_info *s)
{
    return fulfil_backordered(s) == 0 && !reads_voided(s);
}

handled move_recheck(syncd *sd, const store_event *ev)
{
    char id[C7EVENT_ID_LEN];
    fulfil_sale_info s;
    handled h;
    cJSON *doc;
    if (read_named_sale(sd, ev, "backorder check", PRIO_NORMAL, id, &s, &doc, &h) != 0)
        return h;
    int rc = fulfil_shop_of(sd, s.external) >= 0
                 ? hold_or_settle(sd, &s, doc)
                 : store_backorder_settle(sd->st, NULL, NULL, id, clock_now_ms(&sd->clk));
    h = rc == 0 ? handled_done()
                : handled_retry(1000, "store: cannot settle the hold of sale %.60s", id);
    if (h.kind == H_DONE && filled(&s))
        h = foholds_release(sd, &s);
    cJSON_Delete(doc);
    fulfil_sale_info_free(&s);
    return h;
}

handled move_backordered(syncd *sd, const store_event *ev)
{
    /* Every call of a move goes first at Cin7's gate (critical): the
     * other location's units may go to another channel while it waits. */
    char id[C7EVENT_ID_LEN];
    fulfil_sale_info s;
    handled h;
    cJSON *doc;
    if (read_named_sale(sd, ev, "sale notification", PRIO_CRITICAL, id, &s, &doc, &h) != 0)
        return h;
    if (fulfil_shop_of(sd, s.external) >= 0) {
        say_backordered(sd, ev, &s);
        int stayed = 0;
        if (hold_or_settle(sd, &s, doc) != 0)
            h = handled_retry(1000, "store: cannot hold the backorders of sale %.60s", id);
        else
            h = move_sale(sd, ev, doc, &s, &stayed);
        if (h.kind == H_DONE && stayed)
            h = foholds_place(sd, &s);
        else if (h.kind == H_DONE && filled(&s))
            h = foholds_release(sd, &s);
    }
    cJSON_Delete(doc);
    fulfil_sale_info_free(&s);
    return h;
}
