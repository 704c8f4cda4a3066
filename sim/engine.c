/*
 * The model of syncd: its calls and the Cin7 gate (pace and shares from
 * engine/core), the workers and the orders/paid handler (routing from
 * engine/core), the inventory pass with its stock reader (levels from
 * engine/core's avail.h), and poll mode.
 */
#include "simint.h"

#include "avail.h"
#include "faults.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

static void worker_next(world *w, size_t wi);
static void inv_call_done(world *w, long ci);
static void order_call_done(world *w, long ci);
static void poll_listed(world *w);
static void inv_level_pass(world *w);

/* ---- the engine: calls and the Cin7 gate ----------------------------------------------- */


static void send_call(world *w, long ci)
{
    call *c = &w->calls[ci];
    c->sent = w->now;
    w->in_flight++;
    if (c->kind == CALL_STOCK_READ && !w->read_sent) {
        /* A read's figures are as of its first page leaving, after the
         * gate (outbound.c's sent_at), not of the pass asking for it. */
        w->read_sent = 1;
        w->read_started = w->now;
    }
    int64_t lat = sw_draw(w, &w->r_net, c->to == SYS_CIN7 ? &w->p.cin7_call : &w->p.shopify_call);
    sw_schedule(w, EV_CALL_ARRIVE, w->now + lat / 2, ci, lat - lat / 2);
}

void sw_gate_pump(world *w)
{
    for (;;) {
        int waiting[SHARE_CLASSES], any = 0;
        for (int c = 0; c < SHARE_CLASSES; c++) {
            waiting[c] = w->n_wait[c] > w->head_wait[c];
            any |= waiting[c];
        }
        if (!any)
            return;
        window_set_limit(w->gate, pace_calls(&w->pc));
        int64_t wait = window_wait(w->gate, w->now);
        if (wait > 0) {
            if (w->gate_at < 0 || w->gate_at > w->now + wait) {
                w->gate_at = w->now + wait;
                sw_schedule(w, EV_GATE, w->gate_at, 0, 0);
            }
            return;
        }
        int c = share_next(&w->sh, waiting);
        if (c < 0 || !window_take(w->gate, w->now, NULL))
            return;
        share_took(&w->sh, c, waiting);
        long ci = w->waiting[c][w->head_wait[c]++];
        send_call(w, ci);
    }
}

/* A new call of the engine: Cin7 calls wait at the gate, Shopify calls go
 * at once (syncd's own pacing by the GraphQL cost its answers report is
 * left out: its calls use a small part of the bucket; a refusal, 429 under
 * a throttle fault, is retried through the policy). */
long sw_new_call(world *w, call_kind kind, sys to, int prio, long owner, int group)
{
    XGROW(w->calls, w->n_calls, w->cap_calls, 1024);
    long ci = (long)w->n_calls++;
    w->calls[ci] = (call){kind, to, prio, owner, group, -1, 0, 1, 0, 0, kind, 0};
    if (to == SYS_CIN7) {
        XGROW(w->waiting[prio], w->n_wait[prio], w->cap_wait[prio], 256);
        w->waiting[prio][w->n_wait[prio]++] = ci;
        sw_gate_pump(w);
    } else {
        send_call(w, ci);
    }
    return ci;
}

/* The request reaches its API: the limiter, then the effect. */
/* The request's method and path at its API, as the mocks see them (fault
 * targets match these). */
static void call_path(const world *w, const call *c, const char **method, char *path, size_t n)
{
    static const char *const routes[] = {
        [CALL_SALE] = "sale", [CALL_SALE_LINES] = "sale/order",
        [CALL_STOCK_READ] = "ref/productavailability", [CALL_PRODUCTS] = "product",
        [CALL_PO_LIST] = "purchaseList", [CALL_PO_HEADER] = "advanced-purchase",
        [CALL_PO_READ] = "purchase/order", [CALL_PO_LINES] = "purchase/order",
        [CALL_LOOKUP] = "saleList"};
    if (c->to == SYS_CIN7) {
        *method = c->kind == CALL_SALE || c->kind == CALL_SALE_LINES || c->kind == CALL_PO_HEADER ||
                          c->kind == CALL_PO_LINES
                      ? "POST"
                      : "GET";
        snprintf(path, n, "/ExternalApi/v2/%s", routes[c->kind] ? routes[c->kind] : "");
        return;
    }
    int shop = c->owner >= 0 && (size_t)c->owner < w->n_shops ? (int)c->owner : 0;
    *method = c->kind == CALL_ORDERS_LIST ? "GET" : "POST";
    snprintf(path, n, "/shops/%s/admin/api/%s/%s", w->sc->shops[shop].domain,
             w->cfg->shops[shop].api_version,
             c->kind == CALL_ORDERS_LIST ? "orders.json" : "graphql.json");
}

/* The API's limiter, with a throttle fault's lower limit while it lasts. */
static int limiter_admits(world *w, const call *c, const char *method, const char *path)
{
    if (c->to == SYS_CIN7) {
        int t = faults_throttle(w->fp_cin7, method, path, w->now);
        window_set_limit(w->c7_limit, t > 0 && t < w->c7_calls ? t : w->c7_calls);
        return window_take(w->c7_limit, w->now, NULL);
    }
    int shop = c->owner >= 0 && (size_t)c->owner < w->n_shops ? (int)c->owner : 0;
    int t = faults_throttle(w->fp_shop, method, path, w->now);
    double size = w->gql_size[shop], leak = w->gql_leak[shop];
    /* A throttled plan: the bucket of that size, its restore rate in
     * proportion (docs/faults.md). */
    if (t > 0 && t < size) {
        leak = leak * t / size;
        size = t;
    }
    leaky_set(w->gql[shop], size, leak);
    double cost = c->kind == CALL_LEVEL_WRITE ? 10 : c->kind == CALL_LEVEL_READ ? 5 : 1;
    return leaky_take(w->gql[shop], w->now, cost, NULL);
}

/* The call's effect at its API (it was carried out). */
static void call_effect(world *w, call *c)
{
    c->applied = 1;
    if (c->kind == CALL_SALE) {
        const order *o = &w->orders[c->owner];
        char sale[48], ref[32];
        snprintf(sale, sizeof sale, "sale-%ld-%d", o->id, c->group);
        sw_order_id(o, ref, sizeof ref);
        model_add_sale(w->m, w->now, MODEL_SALE_CREATED, sale, ref, o->g_loc[c->group], 0);
    } else if (c->kind == CALL_SALE_LINES) {
        sw_c7_sale_lines(w, &w->orders[c->owner], c->group);
    } else if (c->kind == CALL_STOCK_READ) {
        /* The page's figures as Cin7 has them now. */
        for (size_t k = 0; k < w->n_skus; k++)
            for (size_t l = 0; l < w->n_wh; l++)
                w->fig_new[k * w->n_wh + l] = sw_c7_avail(w, (int)k, (int)l);
    } else if (c->kind == CALL_ORDERS_LIST) {
        w->poll_cutoff = w->now;
    } else if (c->kind == CALL_LOOKUP) {
        /* Found or not: the looked-up write's fate, kept on this call. */
    } else if (c->kind >= CALL_PRODUCTS) {
        sw_replen_arrive(w, c);
    } else if (c->kind == CALL_LEVEL_READ) {
        for (size_t i = 0; i < w->n_pass; i++)
            w->read_level[i] = *sw_lvl(w, (int)c->owner, w->pass_sku[i]);
    } else if (c->kind == CALL_LEVEL_WRITE) {
        /* Compare-and-set: the whole mutation fails when a level moved
         * since it was read (a checkout in between). */
        int stale = 0;
        for (size_t i = 0; i < w->n_pass; i++)
            stale |= *sw_lvl(w, (int)c->owner, w->pass_sku[i]) != w->read_level[i];
        if (stale) {
            c->status = 409; /* a userError in a 200; the engine reads it as stale */
            c->applied = 0;
            return;
        }
        /* Shopify sets the levels now, whether or not the answer arrives. */
        int shop = (int)c->owner;
        for (size_t i = 0; i < w->n_pass; i++) {
            int k = w->pass_sku[i];
            int64_t target = w->read_level[w->n_pass + i];
            if (target == w->read_level[i])
                continue;
            *sw_lvl(w, shop, k) = target;
            model_add_level(w->m, w->now, shop, k, target, MODEL_BY_ENGINE);
        }
    }
}

/* The request reaches its API: the fault plan (as the mocks' request
 * filter applies it), the limiter, then the effect; the answer (or its
 * absence) goes back after `back` and any fault delay. */
void sw_call_arrive(world *w, long ci, int64_t back)
{
    call *c = &w->calls[ci];
    const char *method;
    char path[300];
    call_path(w, c, &method, path, sizeof path);
    fault_decision d;
    faults_decide(c->to == SYS_CIN7 ? w->fp_cin7 : w->fp_shop, method, path, w->now, &d);
    back += d.delay_ms;
    c->status = 200;
    c->lost = 0;
    c->applied = 0;
    if (d.action == FAULT_STATUS || d.action == FAULT_OUTAGE) {
        c->status = d.status;
    } else if (!limiter_admits(w, c, method, path)) {
        c->status = c->to == SYS_CIN7 ? w->c7_over_status : 429;
    } else {
        int run = d.action == FAULT_NONE || d.action == FAULT_MALFORMED || d.applied;
        if (run && c->replay)
            c->applied = 1; /* the first try's result, not a second write */
        else if (run)
            call_effect(w, c);
        if (d.action == FAULT_TIMEOUT) {
            /* No answer: the engine gives up at its own timeout. */
            int64_t limit = c->to == SYS_CIN7 ? w->cfg->http_timeout_ms
                                              : w->cfg->shopify_http_timeout_ms;
            c->lost = POLICY_NET_TIMEOUT;
            back = d.delay_ms + (d.hold_ms < limit ? d.hold_ms : limit);
        } else if (d.action == FAULT_RESET || d.action == FAULT_MALFORMED) {
            c->lost = POLICY_NET_RESET; /* a broken body is no answer either */
        }
    }
    /* The mocks journal the requests their handlers served: one a fault
     * answered or dropped before the handler is not among them. */
    if (c->applied || !(d.action == FAULT_STATUS || d.action == FAULT_OUTAGE ||
                        d.action == FAULT_TIMEOUT || d.action == FAULT_RESET)) {
        /* A served request whose answer was lost: no status. */
        int status = c->status;
        if (c->lost)
            c->status = 0;
        sw_record_request(w, c);
        c->status = status;
    }
    sw_schedule(w, EV_CALL_DONE, w->now + back, ci, 0);
}

/* Which calls may be sent again as they are: reads, and writes that are
 * idempotent (GraphQL level writes with their key; a draft's lines replace
 * the lines). Cin7's sale and purchase headers are not: a lost answer is
 * looked up first. */
static int idempotent(call_kind k)
{
    return k != CALL_SALE && k != CALL_SALE_LINES && k != CALL_PO_HEADER;
}

/* A call of the inventory pass failed for good: a read leaves the pass on
 * the cached figures (owed a read), a level call leaves that shop's SKUs
 * for the next pass. */
static void inv_call_failed(world *w, const call *c)
{
    if (c->kind == CALL_STOCK_READ) {
        if (!w->reads_left)
            return; /* another page already failed the read */
        w->reads_left = 0;
        w->stock_changed = 1; /* the next try reads afresh */
        if (w->pass_waiting) {
            w->pass_waiting = 0;
            w->read_owed = 1;
            inv_level_pass(w);
        }
        return;
    }
    for (size_t i = 0; i < w->n_pass; i++)
        coalesce_mark(w->marks, sw_sku_name(w, w->pass_sku[i]), w->now);
    w->pass_shop++;
    w->cas_tries = 0;
    inv_level_pass(w);
}

/* The call's work failed for good: what its owner does then. */
static void call_failed(world *w, const call *c)
{
    if (c->kind == CALL_SALE || c->kind == CALL_SALE_LINES) {
        char id[32];
        sw_order_id(&w->orders[c->owner], id, sizeof id);
        model_add_dead_letter(w->m, id);
        for (size_t i = 0; i < w->n_workers; i++)
            if (w->workers[i].busy && w->workers[i].order == c->owner)
                worker_next(w, i);
    } else if (c->kind >= CALL_PRODUCTS) {
        sw_replen_call_failed(w, c);
    } else if (c->kind == CALL_ORDERS_LIST) {
        /* Nothing now: the next poll lists the same orders and more. */
    } else {
        inv_call_failed(w, c);
    }
}

/* The answer (or its absence) reaches the engine. */
void sw_call_done(world *w, long ci)
{
    call *c = &w->calls[ci];
    w->in_flight--;
    if (c->to == SYS_CIN7 && !c->lost)
        pace_on_answer(&w->pc, pace_answer_of(c->status == 409 ? 200 : c->status), w->now);
    /* Any failure, a refusal for the rate included (Cin7 answers 503 when
     * it is down too), goes through syncd's policy: a retry after a backoff
     * growing with the tries, or a look-up of a write whose answer was
     * lost. */
    if (c->lost || (c->status >= 500 || c->status == 423) || (c->status >= 400 && c->status != 409)) {
        policy_outcome out = {c->lost ? (policy_net)c->lost : POLICY_NET_ANSWERED, c->status, -1};
        int64_t wait = 0;
        policy_action a = policy_decide(&w->pol, c->attempt, &out, idempotent(c->kind),
                                        &w->r_pol, &wait);
        if (a == POLICY_RETRY || a == POLICY_LOOKUP) {
            sw_schedule(w, EV_RESEND, w->now + wait, ci, a == POLICY_LOOKUP);
            return;
        }
        call_failed(w, c);
        return;
    }
    if (c->kind == CALL_LOOKUP) {
        /* Did the lost write land? Then it is done; else send it again. */
        const call *orig = &w->calls[c->group];
        if (!orig->applied) {
            sw_resend(w, c->group);
            return;
        }
        c = &w->calls[c->group];
    }
    if (c->kind == CALL_SALE || c->kind == CALL_SALE_LINES)
        order_call_done(w, (long)(c - w->calls));
    else if (c->kind >= CALL_PRODUCTS)
        sw_replen_call_done(w, (long)(c - w->calls));
    else if (c->kind == CALL_ORDERS_LIST)
        poll_listed(w);
    else
        inv_call_done(w, (long)(c - w->calls));
}

/* EV_RESEND: a retry of ci is due (arg: look the write up first). */
void sw_retry_due(world *w, long ci, int lookup)
{
    if (lookup) {
        long li = sw_new_call(w, CALL_LOOKUP, SYS_CIN7, w->calls[ci].prio, w->calls[ci].owner, 0);
        w->calls[li].group = (int)ci; /* the write looked up */
        w->calls[li].of = w->calls[ci].kind;
        return;
    }
    sw_resend(w, ci);
}

/* Sends ci again as a new try. A level write that landed is sent with
 * its idempotency key, and Shopify answers with the first result instead
 * of writing again (levelintent.c): a replay. */
void sw_resend(world *w, long ci)
{
    call c = w->calls[ci];
    long ni = sw_new_call(w, c.kind, c.to, c.prio, c.owner, c.group);
    w->calls[ni].attempt = c.attempt + 1;
    w->calls[ni].replay = c.applied && c.kind == CALL_LEVEL_WRITE;
}

/* ---- the engine: workers and orders/paid ------------------------------------------------- */

static void mark_skus(world *w, const lines *l, int changed)
{
    if (w->poll)
        return; /* poll mode: levels move only on the poll */
    for (int i = 0; i < l->n; i++)
        coalesce_mark(w->marks, sw_sku_name(w, l->sku[i]), w->now);
    if (changed)
        w->stock_changed = 1;
    if (!w->inv_busy && !w->inv_wake) {
        w->inv_wake = 1;
        sw_schedule(w, EV_INV, w->now, 0, 0);
    }
}

void sw_enqueue_order(world *w, long oi)
{
    order *o = &w->orders[oi];
    if (o->queued)
        return; /* the intake's dedup: the same order once */
    o->queued = 1;
    XGROW(w->queue, w->n_queue, w->cap_queue, 256);
    w->queue[w->n_queue++] = oi;
    for (size_t i = 0; i < w->n_workers; i++)
        if (!w->workers[i].busy) {
            worker_next(w, i);
            break;
        }
}

static void worker_next(world *w, size_t wi)
{
    worker *wk = &w->workers[wi];
    if (w->head_queue == w->n_queue) {
        wk->busy = 0;
        return;
    }
    wk->busy = 1;
    wk->order = w->queue[w->head_queue++];
    wk->step = 0;
    sw_schedule(w, EV_STEP, w->now + sw_draw(w, &w->r_net, &w->p.handling), (long)wi, 0);
}

/* Units routed to a cell that the cached figures cannot show yet: not
 * pushed before the read behind them started (stockcache_routable). */
static int64_t routed_since(const world *w, size_t cell)
{
    int64_t n = 0;
    for (size_t i = 0; i < w->n_routes; i++)
        if (w->routes[i].cell == cell && w->routes[i].at >= w->full_read_at)
            n += w->routes[i].qty;
    return n;
}

/* Routing from the cached figures less what was routed since (route.h). */
static void plan_order(world *w, order *o)
{
    route_address addr = {0};
    if (o->region >= 0) {
        const sc_region *reg = &w->sc->streams[o->stream].regions[o->region];
        addr = (route_address){reg->has_coords, reg->lat, reg->lon, reg->country, reg->postcode};
    }
    int64_t qty[DEMAND_MAX_LINES];
    int64_t *avail = xcalloc(w->n_wh * (size_t)o->l.n + 1, sizeof *avail);
    for (int i = 0; i < o->l.n; i++) {
        qty[i] = o->l.qty[i];
        for (size_t l = 0; l < w->n_wh; l++) {
            size_t c = (size_t)o->l.sku[i] * w->n_wh + l;
            avail[l * (size_t)o->l.n + (size_t)i] = w->fig[c] - routed_since(w, c);
        }
    }
    o->n_groups = 0;
    route_plan plan;
    if (route_order(w->locs, w->n_wh, w->regions, w->cfg->n_regions, &addr, qty, (size_t)o->l.n,
                    avail, &plan) == 0) {
        for (size_t a = 0; a < plan.n_allocs; a++) {
            const route_alloc *al = &plan.allocs[a];
            int g = -1;
            for (int k = 0; k < o->n_groups; k++)
                if (o->g_loc[k] == (int)al->location)
                    g = k;
            if (g < 0 && o->n_groups < MAX_GROUPS) {
                g = o->n_groups++;
                o->g_loc[g] = (int)al->location;
                o->g_lines[g].n = 0;
            }
            if (g < 0)
                continue;
            lines *gl = &o->g_lines[g];
            gl->sku[gl->n] = o->l.sku[al->line];
            gl->qty[gl->n++] = al->qty;
            XGROW(w->routes, w->n_routes, w->cap_routes, 256);
            w->routes[w->n_routes++] = (struct route_rec){
                (size_t)o->l.sku[al->line] * w->n_wh + al->location, (long)(o - w->orders), g,
                al->qty, INT64_MAX};
        }
        route_plan_free(&plan);
    }
    free(avail);
}

static void push_group(world *w, long oi)
{
    order *o = &w->orders[oi];
    if (o->sent < 0)
        o->sent = w->now;
    sw_new_call(w, CALL_SALE, SYS_CIN7, SHARE_URGENT, oi, o->next_group);
}

void sw_worker_step(world *w, size_t wi)
{
    worker *wk = &w->workers[wi];
    order *o = &w->orders[wk->order];
    if (wk->step == 0) {
        /* Reserved: the units are pending, and every shop's level of
         * them comes down on the next pass. */
        o->reserved = 1;
        for (int i = 0; i < o->l.n; i++) {
            w->known[(size_t)o->shop * w->n_skus + (size_t)o->l.sku[i]] += o->l.qty[i];
            w->reserved_units[o->l.sku[i]] += o->l.qty[i];
        }
        mark_skus(w, &o->l, 0);
        sw_replen_mark(w, &o->l);
        plan_order(w, o);
        wk->step = 1;
        o->next_group = 0;
        if (o->n_groups == 0) {
            wk->step = 2;
            sw_schedule(w, EV_STEP, w->now, (long)wi, 0);
            return;
        }
        push_group(w, wk->order);
    } else if (wk->step == 2) {
        o->pushed = w->now;
        for (int i = 0; i < o->l.n; i++) {
            struct pushes *p = &w->pushed[o->l.sku[i]];
            if (p->n == p->cap) {
                p->cap = p->cap ? p->cap * 2 : 16;
                p->t = xrealloc(p->t, p->cap * sizeof *p->t);
                p->cum = xrealloc(p->cum, p->cap * sizeof *p->cum);
            }
            p->t[p->n] = w->now;
            p->cum[p->n] = (p->n ? p->cum[p->n - 1] : 0) + o->l.qty[i];
            p->n++;
        }
        mark_skus(w, &o->l, 1);
        worker_next(w, wi);
    }
}

static void order_call_done(world *w, long ci)
{
    call c = w->calls[ci];
    order *o = &w->orders[c.owner];
    if (c.kind == CALL_SALE) {
        sw_new_call(w, CALL_SALE_LINES, SYS_CIN7, SHARE_URGENT, c.owner, c.group);
        return;
    }
    for (size_t i = 0; i < w->n_routes; i++)
        if (w->routes[i].order == c.owner && w->routes[i].group == c.group)
            w->routes[i].at = w->now; /* stockcache_pushed */
    o->next_group++;
    if (o->next_group < o->n_groups) {
        push_group(w, c.owner);
        return;
    }
    for (size_t i = 0; i < w->n_workers; i++)
        if (w->workers[i].busy && w->workers[i].order == c.owner) {
            w->workers[i].step = 2;
            sw_schedule(w, EV_STEP, w->now + sw_draw(w, &w->r_net, &w->p.handling), (long)i, 0);
        }
}

/* ---- the engine: the inventory pass -------------------------------------------------------- */

static int64_t known_units(const world *w, int shop, int k)
{
    return w->known[(size_t)shop * w->n_skus + (size_t)k];
}

/* Units of orders the figures read at as_of cannot show: reserved, and
 * not pushed before the read started. Pushes come in time order, so each
 * SKU's are a running total searched by time. */
int64_t sw_pending_units(const world *w, int k, int64_t as_of)
{
    const struct pushes *p = &w->pushed[k];
    size_t lo = 0, hi = p->n; /* the first push at or after as_of */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->t[mid] < as_of)
            lo = mid + 1;
        else
            hi = mid;
    }
    return w->reserved_units[k] - (lo ? p->cum[lo - 1] : 0);
}


/* syncd's rule (inventory_refresh): a read when the figures are older than
 * snapshot_max_age, or when Cin7 stock moved and they are older than a
 * coalescing window (bursts share one read). Returns whether one started. */
static int read_start(world *w)
{
    int64_t age = w->now - w->full_read_at;
    if (!(w->full_read_at < 0 || age > w->cfg->snapshot_max_age_ms ||
          (w->stock_changed && age > w->cfg->coalesce_ms)))
        return 0;
    w->stock_changed = 0;
    size_t rows = w->n_skus * w->n_wh, page = (size_t)w->cfg->cin7_page_limit;
    w->reads_left = (int)((rows + page - 1) / page);
    w->read_sent = 0;
    for (int i = 0; i < w->reads_left; i++)
        sw_new_call(w, CALL_STOCK_READ, SYS_CIN7, SHARE_NORMAL, -1, 0);
    return 1;
}

void sw_mark_all(world *w)
{
    if (w->poll)
        return; /* poll mode: levels move only on the poll */
    for (size_t k = 0; k < w->n_skus; k++)
        coalesce_mark(w->marks, sw_sku_name(w, (int)k), w->now);
    if (!w->inv_busy && !w->inv_wake) {
        w->inv_wake = 1;
        sw_schedule(w, EV_INV, w->now, 0, 0);
    }
}

/* A read landed: the cache takes its figures; a waiting pass goes on, or
 * the SKUs synced on older figures meanwhile are synced again. */
static void read_done(world *w)
{
    memcpy(w->fig, w->fig_new, w->n_skus * w->n_wh * sizeof *w->fig);
    w->full_read_at = w->read_started;
    size_t keep = 0;
    for (size_t i = 0; i < w->n_routes; i++)
        if (w->routes[i].at >= w->full_read_at)
            w->routes[keep++] = w->routes[i];
    w->n_routes = keep;
    if (w->pass_waiting) {
        w->pass_waiting = 0;
        inv_level_pass(w);
    } else if (w->read_owed) {
        w->read_owed = 0;
        sw_mark_all(w);
    }
    if (w->read_requested) {
        w->read_requested = 0;
        read_start(w);
    }
}

void sw_read_wait_over(world *w, uint64_t seq)
{
    if (!w->pass_waiting || seq != w->pass_seq)
        return;
    w->pass_waiting = 0;
    w->read_owed = 1;
    inv_level_pass(w);
}

void sw_inv_start(world *w)
{
    w->inv_wake = 0;
    if (w->inv_busy)
        return;
    size_t n = coalesce_take(w->marks, w->now, w->batch, LEVEL_BATCH);
    if (!n) {
        int64_t due = coalesce_next_due(w->marks);
        if (due >= 0) {
            w->inv_wake = 1;
            sw_schedule(w, EV_INV, due, 0, 0);
        }
        return;
    }
    w->inv_busy = 1;
    w->n_pass = n;
    for (size_t i = 0; i < n; i++) {
        w->pass_sku[i] = (int)strmap_get(w->sku_index, w->batch[i]);
        free(w->batch[i]);
    }
    w->pass_shop = 0;
    w->cas_tries = 0;
    /* The pass asks the stock reader for fresh figures and waits for them
     * READ_WAIT_MS at most, then goes on the cached ones (inventory.c's
     * fresh_or_cached); a read still running then is owed to every SKU. */
    if (w->reads_left) {
        w->read_requested = 1;
    } else if (!read_start(w)) {
        inv_level_pass(w);
        return;
    }
    w->pass_waiting = 1;
    sw_schedule(w, EV_READ_WAIT, w->now + READ_WAIT_MS, 0, (int64_t)++w->pass_seq);
}

static void inv_level_pass(world *w)
{
    if ((size_t)w->pass_shop >= w->n_shops) {
        w->inv_busy = 0;
        if (!w->inv_wake) {
            w->inv_wake = 1;
            sw_schedule(w, EV_INV, w->now, 0, 0);
        }
        return;
    }
    sw_new_call(w, CALL_LEVEL_READ, SYS_SHOPIFY, SHARE_URGENT, w->pass_shop, 0);
}

/* The levels of the pass's shop are read: what each should show, written
 * when it differs. */
static void inv_plan_writes(world *w)
{
    int shop = w->pass_shop, any = 0;
    int64_t buffer = w->cfg->shops[shop].safety_buffer;
    for (size_t i = 0; i < w->n_pass; i++) {
        int k = w->pass_sku[i];
        int64_t unknown_total = 0;
        for (size_t s = 0; s < w->n_shops; s++) {
            baseline *b = &w->base[s * w->n_skus + (size_t)k];
            int64_t now_level = s == (size_t)shop ? w->read_level[i] : *sw_lvl(w, (int)s, k);
            int64_t known = known_units(w, (int)s, k);
            int64_t u = b->have ? avail_unknown(b->unknown, b->level - now_level, known - b->known)
                                : 0;
            unknown_total += u;
        }
        int64_t cin7 = 0;
        for (size_t l = 0; l < w->n_wh; l++)
            cin7 += w->fig[(size_t)k * w->n_wh + l];
        avail_input in = {cin7, sw_pending_units(w, k, w->full_read_at), unknown_total, 0};
        int64_t target = avail_shop_level(avail_target(&in), w->n_shops, (size_t)shop,
                                          w->cfg->low_stock_split, buffer);
        if (avail_should_write(target, w->read_level[i]))
            any = 1;
        w->read_level[w->n_pass + i] = target;
    }
    if (any) {
        sw_new_call(w, CALL_LEVEL_WRITE, SYS_SHOPIFY, SHARE_URGENT, shop, 0);
        return;
    }
    /* Nothing to write: the levels read are the new baselines. */
    for (size_t i = 0; i < w->n_pass; i++) {
        int k = w->pass_sku[i];
        baseline *b = &w->base[(size_t)shop * w->n_skus + (size_t)k];
        int64_t known = known_units(w, shop, k);
        b->unknown = b->have ? avail_unknown(b->unknown, b->level - w->read_level[i],
                                             known - b->known)
                             : 0;
        b->level = w->read_level[i];
        b->known = known;
        b->have = 1;
    }
    w->pass_shop++;
    w->cas_tries = 0;
    inv_level_pass(w);
}

static void inv_call_done(world *w, long ci)
{
    call c = w->calls[ci];
    if (c.kind == CALL_STOCK_READ) {
        if (--w->reads_left > 0)
            return;
        read_done(w);
    } else if (c.kind == CALL_LEVEL_READ) {
        inv_plan_writes(w);
    } else if (c.kind == CALL_LEVEL_WRITE) {
        int shop = w->pass_shop;
        if (c.status == 409 && ++w->cas_tries < MAX_CAS_TRIES) {
            inv_level_pass(w); /* stale: read and decide again */
            return;
        }
        if (c.status == 200) {
            for (size_t i = 0; i < w->n_pass; i++) {
                int k = w->pass_sku[i];
                int64_t target = w->read_level[w->n_pass + i];
                baseline *bl = &w->base[(size_t)shop * w->n_skus + (size_t)k];
                int64_t known = known_units(w, shop, k);
                bl->unknown = bl->have ? avail_unknown(bl->unknown, bl->level - w->read_level[i],
                                                       known - bl->known)
                                       : 0;
                bl->level = target;
                bl->known = known;
                bl->have = 1;
            }
        }
        w->pass_shop++;
        w->cas_tries = 0;
        inv_level_pass(w);
    }
}

/* ---- the engine: poll mode ------------------------------------------------------------------ */

void sw_poll_tick(world *w)
{
    sw_new_call(w, CALL_ORDERS_LIST, SYS_SHOPIFY, SHARE_NORMAL, 0, 0);
    sw_schedule(w, EV_POLL, w->now + w->cfg->poll_interval_ms, 0, 0);
}

/* The orders paid since the last poll become events; every SKU is synced
 * from a fresh read. */
static void poll_listed(world *w)
{
    for (size_t i = 0; i < w->n_orders; i++)
        if (w->orders[i].placed < w->poll_cutoff)
            sw_enqueue_order(w, (long)i);
    for (size_t k = 0; k < w->n_skus; k++)
        coalesce_mark(w->marks, sw_sku_name(w, (int)k), w->now);
    w->stock_changed = 1;
    if (!w->inv_busy && !w->inv_wake) {
        w->inv_wake = 1;
        sw_schedule(w, EV_INV, w->now, 0, 0);
    }
}


