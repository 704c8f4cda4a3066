/*
 * The world's lock, its physics and its operations; see world.h. Shapes of
 * answers live in render.c, webhook deliveries in hooks.c.
 *
 * Stock arithmetic, per SKU and location: Available = OnHand - Allocated. A
 * sale allocates at its location what is available there and backorders the
 * rest; picking takes the allocated units out of OnHand; a purchase adds to
 * OnOrder when authorised and moves it to OnHand on receipt, which first
 * fills the oldest backorders at that location. Other channels take units
 * straight out of OnHand, and only when Available covers them.
 */
#include "world_int.h"

#include "clock.h"
#include "httpc.h"
#include "log.h"
#include "mem.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const c7_order_status_names[] = {"NOT AVAILABLE", "DRAFT", "AUTHORISED", "VOIDED"};
const char *const c7_sale_stage_names[] = {"ORDERING", "ORDERED", "BACKORDERED", "PICKED",
                                           "PACKED",   "SHIPPED", "VOIDED"};
const char *const c7_purchase_stage_names[] = {"DRAFT", "ORDERING", "ORDERED", "RECEIVED",
                                               "VOIDED"};
const char *const c7_address_fields[C7_ADDRESS_FIELDS] = {"Line1", "Line2",    "City",
                                                          "State", "Postcode", "Country"};

/* Cin7's sale Status (the reference's "Available Sale Statuses"), from the
 * quote, the order and the floor's stage. Picking, packing and shipping
 * show in Status only for Simple sales; an Advanced sale stays ORDERED and
 * shows them in its fulfilment. The reference lists no Status for a Simple
 * sale that has shipped but is not invoiced: it stays PACKED, and
 * CombinedShippingStatus says SHIPPED. */
const char *c7_sale_status(const c7sale *s)
{
    switch (s->stage) {
    case C7_SALE_VOIDED: return "VOIDED";
    case C7_SALE_ORDERED: return "ORDERED";
    case C7_SALE_BACKORDERED: return "BACKORDERED";
    case C7_SALE_PICKED: return s->simple ? "PICKED" : "ORDERED";
    case C7_SALE_PACKED:
    case C7_SALE_SHIPPED: return s->simple ? "PACKED" : "ORDERED";
    default: break;
    }
    if (s->order_status == C7_OS_DRAFT)
        return "ORDERING";
    if (s->skip_quote || s->quote_status == C7_OS_AUTHORISED)
        return "ESTIMATED";
    return s->quote_status == C7_OS_DRAFT ? "ESTIMATING" : "DRAFT";
}

/* ---- small helpers ---------------------------------------------------------- */

int64_t c7w_now(const c7world *w)
{
    return clock_now_ms(w->clk);
}

void c7w_epoch_date(int64_t epoch_ms, char *buf, size_t n)
{
    clock_format_iso(epoch_ms, 1, buf, n);
    size_t len = strlen(buf);
    if (len && buf[len - 1] == 'Z')
        buf[len - 1] = '\0'; /* Cin7 writes yyyy-MM-ddTHH:mm:ss.fff, UTC implied */
}

void c7w_date(const c7world *w, int64_t sim_ms, char *buf, size_t n)
{
    c7w_epoch_date(clock_epoch_ms(w->clk, sim_ms), buf, n);
}

void c7w_guid(c7world *w, char out[C7_ID_LEN])
{
    uint64_t a = rng_next(&w->ids), b = rng_next(&w->ids);
    a = (a & ~UINT64_C(0xF000)) | UINT64_C(0x4000); /* version 4 */
    b = (b & UINT64_C(0x3FFFFFFFFFFFFFFF)) | UINT64_C(0x8000000000000000); /* variant 1 */
    snprintf(out, C7_ID_LEN, "%08" PRIx32 "-%04" PRIx32 "-%04" PRIx32 "-%04" PRIx32 "-%012" PRIx64,
             (uint32_t)(a >> 32), (uint32_t)((a >> 16) & 0xFFFF), (uint32_t)(a & 0xFFFF),
             (uint32_t)(b >> 48), b & UINT64_C(0xFFFFFFFFFFFF));
}

int64_t c7w_available(const c7cell *c)
{
    return c->on_hand - c->allocated;
}

void c7w_set_id(c7world *w, char out[C7_ID_LEN], const char *given)
{
    if (given)
        snprintf(out, C7_ID_LEN, "%s", given);
    else
        c7w_guid(w, out);
}

char *c7w_dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void set_str(char **dst, const char *s)
{
    free(*dst);
    *dst = c7w_dup_or_null(s);
}

static void fail(c7result *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(c7result *r, int status, const char *fmt, ...)
{
    r->status = status;
    r->body = NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
}

/* Answers 200 with v, which is consumed. */
static void reply(c7result *r, cJSON *v)
{
    r->status = 200;
    r->body = json_print(v);
    r->error[0] = '\0';
    cJSON_Delete(v);
}

/* A journal entry whose fields are an object built by the caller. */
static void jadd(c7world *w, const char *kind, cJSON *fields)
{
    journal_add(w->jr, kind, fields);
}

/* ---- the timetable and the world's thread ---------------------------------- */

static void schedule(c7world *w, c7ev_kind kind, int64_t due, long ref, int arg)
{
    c7ev ev = {.due_ms = due, .kind = kind, .ref = ref, .arg = arg};
    c7sched_push(&w->sched, ev);
    pthread_cond_signal(&w->cv);
}

static void fire(c7world *w, const c7ev *ev);

static void *world_main(void *arg)
{
    c7world *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stopping) {
        const c7ev *top = c7sched_peek(&w->sched);
        if (!top) {
            pthread_cond_wait(&w->cv, &w->lock);
            continue;
        }
        int64_t now = c7w_now(w);
        if (top->due_ms > now) {
            struct timespec ts;
            clock_deadline(w->clk, top->due_ms - now, &ts);
            pthread_cond_timedwait(&w->cv, &w->lock, &ts);
            continue;
        }
        c7ev ev = c7sched_pop(&w->sched);
        fire(w, &ev);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* ---- stock ------------------------------------------------------------------ */

/* Appends "sku":...,"location":..., a cell's name in journal entries. */
static void put_cell(sbuf *b, const c7world *w, long p, long l)
{
    sbuf_puts(b, "\"sku\":");
    sbuf_json_str(b, w->prods[p].sku);
    sbuf_puts(b, ",\"location\":");
    sbuf_json_str(b, w->locs[l].name);
}

/* Journals a cell's new figures when they differ from before, and marks the
 * cell for the next stock webhook when Available moved. */
static void stock_note(c7world *w, long p, long l, const c7cell *before, const char *cause,
                       const char *ref)
{
    c7cell *c = &w->prods[p].cells[l];
    if (c->on_hand == before->on_hand && c->allocated == before->allocated &&
        c->on_order == before->on_order && c->in_transit == before->in_transit)
        return;
    sbuf b = SBUF_INIT;
    put_cell(&b, w, p, l);
    sbuf_printf(&b,
                ",\"on_hand\":%lld,\"allocated\":%lld,\"available\":%lld,\"on_order\":%lld,"
                "\"in_transit\":%lld,\"cause\":\"%s\",\"ref\":",
                (long long)c->on_hand, (long long)c->allocated, (long long)c7w_available(c),
                (long long)c->on_order, (long long)c->in_transit, cause);
    if (ref)
        sbuf_json_str(&b, ref);
    else
        sbuf_puts(&b, "null");
    journal_addf(w->jr, "stock", "%s", sbuf_str(&b));
    sbuf_free(&b);
    /* Seeds set the scene before a run; they are not events to announce. */
    if (c7w_available(c) != c7w_available(before) && !c->dirty && strcmp(cause, "seed") != 0) {
        c->dirty = 1;
        if (!w->flush_pending) {
            /* The first change of a window starts it; the rows leave
             * together when it closes (coalescing per SKU and location). */
            w->flush_pending = 1;
            schedule(w, C7EV_FLUSH_STOCK, c7w_now(w) + w->cfg->coalesce_ms, 0, 0);
        }
    }
}

/* ---- sales ------------------------------------------------------------------ */

static void free_lines(c7line *lines, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(lines[i].name);
        free(lines[i].tax_rule);
        free(lines[i].comment);
    }
    free(lines);
}

static void emit_sale(c7world *w, const char *type, const c7sale *s)
{
    char *body = c7hooks_sale_payload(w, s, type);
    c7hooks_emit(w, type, body);
    free(body);
}

static void emit_purchase(c7world *w, const char *type, const c7purchase *p)
{
    char *body = c7hooks_purchase_payload(w, p, type);
    c7hooks_emit(w, type, body);
    free(body);
}

static void sale_status_entry(c7world *w, const c7sale *s)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "id", s->id);
    cJSON_AddStringToObject(f, "order_number", s->number);
    c7render_str_or_null(f, "customer_reference", s->customer_reference);
    cJSON_AddStringToObject(f, "status", c7_sale_stage_names[s->stage]);
    /* The instant of the change, read before journaling: delays measured
     * between stage_t values are exact. */
    cJSON_AddNumberToObject(f, "stage_t", (double)s->updated_ms);
    if (s->tracking[0])
        cJSON_AddStringToObject(f, "tracking_number", s->tracking);
    jadd(w, "sale_status", f);
}

/* Schedules the sale's move to stage `to` after delay, unless switched off. */
static void sale_next(c7world *w, long si, int to, int64_t delay)
{
    if (delay != C7_NEVER)
        schedule(w, C7EV_SALE_STEP, c7w_now(w) + delay, si, to);
}

/* Splits each line into what the location can allocate now and what must be
 * backordered, without touching stock (so the journal can name the
 * backorders before the stock moves). */
static void plan_allocation(c7world *w, c7sale *s)
{
    for (size_t i = 0; i < s->n_lines; i++) {
        c7line *ln = &s->lines[i];
        int64_t avail = c7w_available(&w->prods[ln->product].cells[s->location]);
        for (size_t j = 0; j < i; j++)
            if (s->lines[j].product == ln->product)
                avail -= s->lines[j].allocated;
        if (avail < 0)
            avail = 0;
        ln->allocated = ln->qty < avail ? ln->qty : avail;
        ln->backorder = ln->qty - ln->allocated;
        ln->picked = 0;
    }
}

static void remove_backordered(c7world *w, long si)
{
    size_t k = 0;
    for (size_t i = 0; i < w->n_backordered; i++)
        if (w->backordered[i] != si)
            w->backordered[k++] = w->backordered[i];
    w->n_backordered = k;
}

static void sale_step(c7world *w, long si, int to);

/* Authorises a sale's order: allocates, records backorders, starts the
 * floor's work or waits for stock. */
static void sale_authorise(c7world *w, long si)
{
    c7sale *s = &w->sales[si];
    plan_allocation(w, s);
    s->order_status = C7_OS_AUTHORISED;
    s->authorised_ms = s->updated_ms = c7w_now(w);
    int64_t backordered = 0;
    for (size_t i = 0; i < s->n_lines; i++)
        backordered += s->lines[i].backorder;
    s->stage = backordered ? C7_SALE_BACKORDERED : C7_SALE_ORDERED;

    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "id", s->id);
    cJSON_AddStringToObject(f, "order_number", s->number);
    c7render_str_or_null(f, "customer_reference", s->customer_reference);
    cJSON_AddStringToObject(f, "location", w->locs[s->location].name);
    cJSON_AddStringToObject(f, "status", c7_sale_stage_names[s->stage]);
    cJSON_AddNumberToObject(f, "authorised_t", (double)s->authorised_ms);
    cJSON_AddItemToObject(f, "lines", c7render_journal_lines(w, s->lines, s->n_lines, 1));
    jadd(w, "sale_authorised", f);

    for (size_t i = 0; i < s->n_lines; i++) {
        c7line *ln = &s->lines[i];
        c7cell *c = &w->prods[ln->product].cells[s->location];
        c7cell before = *c;
        c->allocated += ln->allocated;
        stock_note(w, ln->product, s->location, &before, "sale_authorised", s->id);
    }
    for (size_t i = 0; i < s->n_lines; i++) {
        const c7line *ln = &s->lines[i];
        if (!ln->backorder)
            continue;
        sbuf b = SBUF_INIT;
        sbuf_printf(&b, "\"sale\":\"%s\",\"order_number\":\"%s\",\"customer_reference\":", s->id,
                    s->number);
        if (s->customer_reference)
            sbuf_json_str(&b, s->customer_reference);
        else
            sbuf_puts(&b, "null");
        sbuf_putc(&b, ',');
        put_cell(&b, w, ln->product, s->location);
        sbuf_printf(&b, ",\"qty\":%lld", (long long)ln->backorder);
        journal_addf(w->jr, "backorder", "%s", sbuf_str(&b));
        sbuf_free(&b);
        counters_add(w->ctr, "backorder units", ln->backorder);
    }
    emit_sale(w, "Sale/OrderAuthorised", s);
    if (backordered) {
        XGROW(w->backordered, w->n_backordered, w->cap_backordered, 16);
        w->backordered[w->n_backordered++] = si;
        emit_sale(w, "Sale/Backordered", s);
    } else if (s->simple && s->auto_mode != C7_AUTO_NOPICK) {
        /* AutoPickPackShipMode authorises the first stages with the order
         * (Simple sales without backorder only, as the reference says); the
         * floor's delays run from the last of them. */
        sale_step(w, si, C7_SALE_PICKED);
        if (s->auto_mode >= C7_AUTO_PICKPACK)
            sale_step(w, si, C7_SALE_PACKED);
        if (s->auto_mode >= C7_AUTO_PICKPACKSHIP)
            sale_step(w, si, C7_SALE_SHIPPED);
    } else {
        sale_next(w, si, C7_SALE_PICKED, w->cfg->pick_after_ms);
    }
}

/* Stock arrived at (p, l): the oldest backorders there take it first. */
static void fill_backorders(c7world *w, long p, long l)
{
    size_t i = 0;
    while (i < w->n_backordered) {
        long si = w->backordered[i];
        c7sale *s = &w->sales[si];
        c7cell *c = &w->prods[p].cells[l];
        if (c7w_available(c) <= 0)
            return;
        if (s->location != l) {
            i++;
            continue;
        }
        int64_t left = 0;
        for (size_t k = 0; k < s->n_lines; k++) {
            c7line *ln = &s->lines[k];
            int64_t avail = c7w_available(c);
            if (ln->product == p && ln->backorder > 0 && avail > 0) {
                int64_t take = ln->backorder < avail ? ln->backorder : avail;
                c7cell before = *c;
                ln->backorder -= take;
                ln->allocated += take;
                c->allocated += take;
                stock_note(w, p, l, &before, "backorder_filled", s->id);
                sbuf b = SBUF_INIT;
                sbuf_printf(&b, "\"sale\":\"%s\",", s->id);
                put_cell(&b, w, p, l);
                sbuf_printf(&b, ",\"qty\":%lld,\"still_backordered\":%lld", (long long)take,
                            (long long)ln->backorder);
                journal_addf(w->jr, "backorder_filled", "%s", sbuf_str(&b));
                sbuf_free(&b);
            }
            left += ln->backorder;
        }
        if (left == 0) {
            s->stage = C7_SALE_ORDERED;
            s->updated_ms = c7w_now(w);
            sale_status_entry(w, s);
            remove_backordered(w, si); /* the next one slides into slot i */
            sale_next(w, si, C7_SALE_PICKED, w->cfg->pick_after_ms);
        } else {
            i++;
        }
    }
}

static void sale_step(c7world *w, long si, int to)
{
    c7sale *s = &w->sales[si];
    int from = to == C7_SALE_PICKED ? C7_SALE_ORDERED : to - 1;
    if (s->stage != from)
        return; /* voided, or moved on some other way */
    s->stage = to;
    s->updated_ms = c7w_now(w);
    if (to == C7_SALE_PICKED) {
        for (size_t i = 0; i < s->n_lines; i++) {
            c7line *ln = &s->lines[i];
            c7cell *c = &w->prods[ln->product].cells[s->location];
            c7cell before = *c;
            c->on_hand -= ln->allocated;
            c->allocated -= ln->allocated;
            ln->picked += ln->allocated;
            ln->allocated = 0;
            stock_note(w, ln->product, s->location, &before, "sale_picked", s->id);
        }
        sale_status_entry(w, s);
        emit_sale(w, "Sale/PickAuthorised", s);
        sale_next(w, si, C7_SALE_PACKED, w->cfg->pack_after_ms);
    } else if (to == C7_SALE_PACKED) {
        sale_status_entry(w, s);
        emit_sale(w, "Sale/PackAuthorised", s);
        sale_next(w, si, C7_SALE_SHIPPED, w->cfg->ship_after_ms);
    } else if (to == C7_SALE_SHIPPED) {
        snprintf(s->tracking, sizeof s->tracking, "TRK%010" PRIu64,
                 rng_next(&w->ids) % UINT64_C(10000000000));
        sale_status_entry(w, s);
        emit_sale(w, "Sale/ShipmentAuthorised", s);
        emit_sale(w, "Sale/ShipmentTrackingNumberChanged", s);
    }
}

/* ---- purchases -------------------------------------------------------------- */

/* by: who authorised or received it; client: the application whose
 * request did it (NULL: the one that created it). */
static void purchase_entry(c7world *w, const char *kind, const c7purchase *p, const char *by,
                           const char *client)
{
    cJSON *f = c7render_purchase_truth(w, p);
    if (by)
        cJSON_AddStringToObject(f, "by", by);
    if (p->authorised_ms >= 0)
        cJSON_AddNumberToObject(f, "authorised_t", (double)p->authorised_ms);
    if (p->due_ms >= 0)
        cJSON_AddNumberToObject(f, "due_t", (double)p->due_ms);
    if (client && *client)
        cJSON_AddStringToObject(f, "application", client);
    else if (p->client)
        cJSON_AddStringToObject(f, "application", p->client);
    cJSON_AddItemToObject(f, "lines", c7render_journal_lines(w, p->lines, p->n_lines, 0));
    jadd(w, kind, f);
}

/* The receipt's delay: the supplier's lead time plus a jitter drawn from
 * the run's seed and the purchase's number, so it replays exactly. */
static int64_t lead_time(c7world *w, const c7purchase *p, long pi)
{
    int64_t lead = w->sups[p->supplier].lead_ms;
    if (w->cfg->lead_jitter_ms > 0) {
        rng g;
        rng_derive(&g, mockd_seed(w->m), UINT64_C(0xc1a7000000) + (uint64_t)pi);
        lead += (int64_t)rng_below(&g, (uint64_t)w->cfg->lead_jitter_ms + 1);
    }
    return lead;
}

static void purchase_authorise(c7world *w, long pi, const char *by)
{
    c7purchase *p = &w->purs[pi];
    int64_t now = c7w_now(w);
    p->order_status = C7_OS_AUTHORISED;
    p->stage = C7_PUR_ORDERED;
    p->authorised_ms = p->updated_ms = now;
    p->due_ms = now + lead_time(w, p, pi);
    purchase_entry(w, "purchase_authorised", p, by, NULL);
    for (size_t i = 0; i < p->n_lines; i++) {
        const c7line *ln = &p->lines[i];
        c7cell *c = &w->prods[ln->product].cells[p->location];
        c7cell before = *c;
        c->on_order += ln->qty;
        stock_note(w, ln->product, p->location, &before, "purchase_authorised", p->id);
    }
    schedule(w, C7EV_RECEIVE, p->due_ms, pi, 0);
    emit_purchase(w, "Purchase/OrderAuthorised", p);
}

static void purchase_receive(c7world *w, long pi, const char *by)
{
    c7purchase *p = &w->purs[pi];
    if (p->stage != C7_PUR_ORDERED)
        return;
    p->stage = C7_PUR_RECEIVED;
    p->received_ms = p->updated_ms = c7w_now(w);
    purchase_entry(w, "purchase_received", p, by, NULL);
    for (size_t i = 0; i < p->n_lines; i++) {
        const c7line *ln = &p->lines[i];
        c7cell *c = &w->prods[ln->product].cells[p->location];
        c7cell before = *c;
        c->on_order -= ln->qty;
        c->on_hand += ln->qty;
        c->received += ln->qty;
        stock_note(w, ln->product, p->location, &before, "purchase_received", p->id);
    }
    for (size_t i = 0; i < p->n_lines; i++)
        fill_backorders(w, p->lines[i].product, p->location);
    emit_purchase(w, "Purchase/StockReceivedAuthorised", p);
}

static void fire(c7world *w, const c7ev *ev)
{
    switch (ev->kind) {
    case C7EV_RECEIVE:
        if ((size_t)ev->ref < w->n_purs)
            purchase_receive(w, ev->ref, "lead_time");
        break;
    case C7EV_APPROVE:
        if ((size_t)ev->ref < w->n_purs && w->purs[ev->ref].order_status == C7_OS_DRAFT &&
            w->purs[ev->ref].n_lines > 0)
            purchase_authorise(w, ev->ref, "auto_approve");
        break;
    case C7EV_SALE_STEP:
        if ((size_t)ev->ref < w->n_sales)
            sale_step(w, ev->ref, ev->arg);
        break;
    case C7EV_FLUSH_STOCK:
        w->flush_pending = 0;
        c7hooks_flush_stock(w);
        break;
    }
}

/* ---- building the world from a config or a seed ------------------------------ */

static long add_location(c7world *w, const char *name, const char *id)
{
    XGROW(w->locs, w->n_locs, w->cap_locs, 16);
    long l = (long)w->n_locs++;
    c7loc *loc = &w->locs[l];
    loc->name = xstrdup(name);
    c7w_set_id(w, loc->id, id);
    strmap_put(w->loc_by_name, loc->name, l);
    strmap_put(w->loc_by_id, loc->id, l);
    for (size_t p = 0; p < w->n_prods; p++) {
        w->prods[p].cells = xrealloc(w->prods[p].cells, w->n_locs * sizeof(c7cell));
        memset(&w->prods[p].cells[l], 0, sizeof(c7cell));
    }
    return l;
}

/* A location by name or GUID, or -1. */
static long find_location(const c7world *w, const char *s)
{
    long l = strmap_get(w->loc_by_name, s);
    return l >= 0 ? l : strmap_get(w->loc_by_id, s);
}

static long find_product(const c7world *w, const char *sku, const char *id)
{
    return id ? strmap_get(w->prod_by_id, id) : strmap_get(w->prod_by_sku, sku);
}

/* Live webhook subscriptions of type, but except (or -1). */
static int64_t hooks_of_type(const c7world *w, const char *type, long except)
{
    int64_t n = 0;
    for (size_t i = 0; i < w->n_subs; i++)
        n += (long)i != except && !w->subs[i].deleted && strcmp(w->subs[i].type, type) == 0;
    return n;
}

/* Takes a document's own id, if it gives one, for the seed being checked:
 * fails when the world (taken) or an earlier document of the seed (ids)
 * holds it already. */
static int claim_id(strmap *ids, const char *id, int taken, const char *path, json_err *e)
{
    if (!id)
        return 0;
    if (taken || strmap_get(ids, id) >= 0)
        return json_fail(e, path, "id %s is already in use", id);
    strmap_put(ids, id, 0);
    return 0;
}

/* Checks a document's references against the world and the document itself
 * before anything is added, so a seed is all or nothing. */
static int check_world_doc(c7world *w, const c7cfg *c, json_err *e)
{
    int rc = -1;
    char p[256];
    strmap *locs = strmap_new(1), *sups = strmap_new(1), *skus = strmap_new(1), *ids = strmap_new(1);
    for (size_t i = 0; i < c->n_apps; i++)
        for (size_t j = 0; j < w->n_apps; j++)
            if (strcmp(w->apps[j]->key, c->apps[i].key) == 0) {
                snprintf(p, sizeof p, "$.applications[%zu].key", i);
                json_fail(e, p, "application key already exists");
                goto out;
            }
    for (size_t i = 0; i < c->n_locations; i++) {
        const c7cfg_location *l = &c->locations[i];
        snprintf(p, sizeof p, "$.locations[%zu]", i);
        if (find_location(w, l->name) >= 0) {
            json_fail(e, p, "location \"%s\" already exists", l->name);
            goto out;
        }
        if (claim_id(ids, l->id, l->id && find_location(w, l->id) >= 0, p, e))
            goto out;
        strmap_put(locs, l->name, (long)i);
    }
    for (size_t i = 0; i < c->n_suppliers; i++) {
        const c7cfg_supplier *s = &c->suppliers[i];
        snprintf(p, sizeof p, "$.suppliers[%zu]", i);
        if (strmap_get(w->sup_by_name, s->name) >= 0) {
            json_fail(e, p, "supplier \"%s\" already exists", s->name);
            goto out;
        }
        if (claim_id(ids, s->id, s->id && strmap_get(w->sup_by_id, s->id) >= 0, p, e))
            goto out;
        for (size_t k = 0; k < s->n_locations; k++)
            if (find_location(w, s->locations[k]) < 0 && strmap_get(locs, s->locations[k]) < 0) {
                snprintf(p, sizeof p, "$.suppliers[%zu].locations[%zu]", i, k);
                json_fail(e, p, "unknown location \"%s\"", s->locations[k]);
                goto out;
            }
        strmap_put(sups, s->name, (long)i);
    }
    for (size_t i = 0; i < c->n_products; i++) {
        const c7cfg_product *pr = &c->products[i];
        snprintf(p, sizeof p, "$.products[%zu]", i);
        if (strmap_get(w->prod_by_sku, pr->sku) >= 0 || strmap_get(skus, pr->sku) >= 0) {
            json_fail(e, p, "SKU \"%s\" already exists", pr->sku);
            goto out;
        }
        if (claim_id(ids, pr->id, pr->id && strmap_get(w->prod_by_id, pr->id) >= 0, p, e))
            goto out;
        if (pr->supplier && strmap_get(w->sup_by_name, pr->supplier) < 0 &&
            strmap_get(sups, pr->supplier) < 0) {
            snprintf(p, sizeof p, "$.products[%zu].supplier", i);
            json_fail(e, p, "unknown supplier \"%s\"", pr->supplier);
            goto out;
        }
        strmap_put(skus, pr->sku, (long)i);
    }
    if (w->n_locs + c->n_locations == 0 && c->n_stock > 0) {
        json_fail(e, "$.stock", "there is no location to hold stock");
        goto out;
    }
    for (size_t i = 0; i < c->n_stock; i++) {
        const c7cfg_stock *s = &c->stock[i];
        if (strmap_get(w->prod_by_sku, s->sku) < 0 && strmap_get(skus, s->sku) < 0) {
            snprintf(p, sizeof p, "$.stock[%zu].sku", i);
            json_fail(e, p, "unknown SKU \"%s\"", s->sku);
            goto out;
        }
        if (find_location(w, s->location) < 0 && strmap_get(locs, s->location) < 0) {
            snprintf(p, sizeof p, "$.stock[%zu].location", i);
            json_fail(e, p, "unknown location \"%s\"", s->location);
            goto out;
        }
    }
    for (size_t i = 0; i < c->n_subs; i++) {
        const c7cfg_sub *s = &c->subs[i];
        snprintf(p, sizeof p, "$.subscriptions[%zu]", i);
        if (claim_id(ids, s->id, s->id && strmap_get(w->sub_by_id, s->id) >= 0, p, e))
            goto out;
        int64_t same = hooks_of_type(w, s->type, -1);
        for (size_t k = 0; k < i; k++)
            same += strcmp(c->subs[k].type, s->type) == 0;
        if (same >= w->cfg->hooks_per_type) {
            json_fail(e, p, "there is a limit of %lld webhooks of the same type",
                      (long long)w->cfg->hooks_per_type);
            goto out;
        }
        if (strcmp(s->auth, "basicauth") == 0 && (!s->username || !s->password)) {
            json_fail(e, p, "basicauth needs username and password");
            goto out;
        }
        if (strcmp(s->auth, "bearerauth") == 0 && !s->token) {
            json_fail(e, p, "bearerauth needs token");
            goto out;
        }
    }
    rc = 0;
out:
    strmap_free(locs);
    strmap_free(sups);
    strmap_free(skus);
    strmap_free(ids);
    return rc;
}

static void add_world_doc(c7world *w, const c7cfg *c)
{
    int64_t now = c7w_now(w);
    for (size_t i = 0; i < c->n_apps; i++) {
        c7app *a = xcalloc(1, sizeof *a);
        a->name = xstrdup(c->apps[i].name);
        a->key = xstrdup(c->apps[i].key);
        a->cpm = c->apps[i].calls_per_minute;
        w->apps = xrealloc(w->apps, (w->n_apps + 1) * sizeof *w->apps);
        w->apps[w->n_apps++] = a;
    }
    for (size_t i = 0; i < c->n_locations; i++)
        add_location(w, c->locations[i].name, c->locations[i].id);
    for (size_t i = 0; i < c->n_suppliers; i++) {
        const c7cfg_supplier *cs = &c->suppliers[i];
        XGROW(w->sups, w->n_sups, w->cap_sups, 16);
        long si = (long)w->n_sups++;
        c7sup *s = &w->sups[si];
        memset(s, 0, sizeof *s);
        c7w_set_id(w, s->id, cs->id);
        s->name = xstrdup(cs->name);
        s->currency = xstrdup(cs->currency);
        s->payment_term = xstrdup(cs->payment_term);
        s->lead_ms = cs->lead_ms;
        s->moq = cs->minimum_order;
        s->modified_ms = now;
        s->locs = xcalloc(cs->n_locations ? cs->n_locations : 1, sizeof *s->locs);
        for (size_t k = 0; k < cs->n_locations; k++)
            s->locs[s->n_locs++] = find_location(w, cs->locations[k]);
        strmap_put(w->sup_by_name, s->name, si);
        strmap_put(w->sup_by_id, s->id, si);
    }
    for (size_t i = 0; i < c->n_products; i++) {
        const c7cfg_product *cp = &c->products[i];
        XGROW(w->prods, w->n_prods, w->cap_prods, 16);
        long pi = (long)w->n_prods++;
        c7prod *p = &w->prods[pi];
        memset(p, 0, sizeof *p);
        c7w_set_id(w, p->id, cp->id);
        p->sku = xstrdup(cp->sku);
        p->name = xstrdup(cp->name);
        p->status = xstrdup(cp->status);
        p->supplier = cp->supplier ? strmap_get(w->sup_by_name, cp->supplier) : -1;
        p->cost = cp->cost;
        p->price = cp->price;
        p->min_before_reorder = cp->minimum_before_reorder;
        p->reorder_qty = cp->reorder_quantity;
        p->modified_ms = now;
        p->cells = xcalloc(w->n_locs ? w->n_locs : 1, sizeof(c7cell));
        strmap_put(w->prod_by_sku, p->sku, pi);
        strmap_put(w->prod_by_id, p->id, pi);
    }
    for (size_t i = 0; i < c->n_stock; i++) {
        const c7cfg_stock *cs = &c->stock[i];
        long p = strmap_get(w->prod_by_sku, cs->sku), l = find_location(w, cs->location);
        c7cell *cell = &w->prods[p].cells[l];
        c7cell before = *cell;
        cell->initial += cs->on_hand - cell->on_hand;
        cell->on_hand = cs->on_hand;
        cell->in_transit = cs->in_transit;
        stock_note(w, p, l, &before, "seed", NULL);
    }
    for (size_t i = 0; i < c->n_subs; i++) {
        const c7cfg_sub *cs = &c->subs[i];
        c7hook_in in = {
            .id = cs->id, .type = cs->type, .url = cs->url, .auth = cs->auth,
            .username = cs->username, .password = cs->password, .token = cs->token,
            .header_keys = (const char *const *)cs->header_keys,
            .header_values = (const char *const *)cs->header_values,
            .n_headers = cs->n_headers, .active = cs->active, .client = "seed",
        };
        c7hooks_add(w, &in);
    }
    journal_addf(w->jr, "seed",
                 "\"applications\":%zu,\"locations\":%zu,\"suppliers\":%zu,\"products\":%zu,"
                 "\"stock\":%zu,\"subscriptions\":%zu",
                 c->n_apps, c->n_locations, c->n_suppliers, c->n_products, c->n_stock, c->n_subs);
}

/* The world's lookups by name and id, made, emptied and freed together. */
enum { N_INDEXES = 11 };

static void world_indexes(c7world *w, strmap **out[N_INDEXES])
{
    strmap **all[N_INDEXES] = {
        &w->loc_by_name, &w->loc_by_id, &w->sup_by_name, &w->sup_by_id, &w->prod_by_sku,
        &w->prod_by_id, &w->sale_by_id, &w->pur_by_id, &w->sub_by_id, &w->cust_by_name,
        &w->cust_by_id,
    };
    memcpy(out, all, sizeof all);
}

static c7cfg *copy_settings(const c7cfg *c)
{
    c7cfg *s = xmalloc(sizeof *s);
    *s = *c; /* numbers */
    s->account = xstrdup(c->account);
    c7config_copy_taxes(s, c);
    s->apps = NULL;
    s->n_apps = 0;
    s->locations = NULL;
    s->n_locations = 0;
    s->suppliers = NULL;
    s->n_suppliers = 0;
    s->products = NULL;
    s->n_products = 0;
    s->stock = NULL;
    s->n_stock = 0;
    s->subs = NULL;
    s->n_subs = 0;
    return s;
}

c7world *c7world_new(mockd *m, const c7cfg *cfg, json_err *e)
{
    c7world *w = xcalloc(1, sizeof *w);
    w->m = m;
    w->clk = mockd_clock(m);
    w->jr = mockd_journal(m);
    w->ctr = mockd_counters(m);
    w->cfg = copy_settings(cfg);
    pthread_mutex_init(&w->lock, NULL);
    clock_cond_init(&w->cv);
    rng_derive(&w->ids, mockd_seed(m), 0x1d5);
    strmap **idx[N_INDEXES];
    world_indexes(w, idx);
    for (size_t i = 0; i < N_INDEXES; i++)
        *idx[i] = strmap_new(1);
    w->next_sub_num = 1;
    c7w_guid(w, w->tenant);
    w->tax_ids = xcalloc(w->cfg->n_taxes ? w->cfg->n_taxes : 1, sizeof *w->tax_ids);
    for (size_t i = 0; i < w->cfg->n_taxes; i++)
        c7w_guid(w, w->tax_ids[i]);
    if (check_world_doc(w, cfg, e) != 0) {
        c7world_free(w);
        return NULL;
    }
    c7hooks_start(w);
    pthread_mutex_lock(&w->lock);
    add_world_doc(w, cfg);
    pthread_mutex_unlock(&w->lock);
    if (pthread_create(&w->thread, NULL, world_main, w) != 0) {
        fprintf(stderr, "fatal: cannot start the world's thread\n");
        abort();
    }
    w->started = 1;
    return w;
}

/* Empties the documents (not the account, its applications or settings). */
static void clear_world(c7world *w)
{
    for (size_t i = 0; i < w->n_locs; i++)
        free(w->locs[i].name);
    w->n_locs = 0;
    for (size_t i = 0; i < w->n_sups; i++) {
        c7sup *s = &w->sups[i];
        free(s->name);
        free(s->currency);
        free(s->payment_term);
        free(s->locs);
    }
    w->n_sups = 0;
    for (size_t i = 0; i < w->n_prods; i++) {
        c7prod *p = &w->prods[i];
        free(p->sku);
        free(p->name);
        free(p->status);
        free(p->cells);
    }
    w->n_prods = 0;
    for (size_t i = 0; i < w->n_sales; i++) {
        c7sale *s = &w->sales[i];
        free(s->customer);
        free(s->customer_id);
        free(s->customer_reference);
        free(s->external_id);
        free(s->source_channel);
        free(s->note);
        free(s->memo);
        free(s->quote_memo);
        free(s->client);
        cJSON_Delete(s->shipping_address);
        free_lines(s->lines, s->n_lines);
        free_lines(s->quote_lines, s->n_quote_lines);
    }
    w->n_sales = 0;
    for (size_t i = 0; i < w->n_custs; i++)
        free(w->custs[i].name);
    w->n_custs = 0;
    w->n_backordered = 0;
    for (size_t i = 0; i < w->n_purs; i++) {
        c7purchase *p = &w->purs[i];
        free(p->terms);
        free(p->note);
        free(p->memo);
        free(p->client);
        free_lines(p->lines, p->n_lines);
    }
    w->n_purs = 0;
    for (size_t i = 0; i < w->n_subs; i++)
        c7hooks_free_sub(&w->subs[i]);
    w->n_subs = 0;
    for (size_t i = 0; i < w->n_chs; i++)
        free(w->chs[i].channel);
    w->n_chs = 0;
    strmap **idx[N_INDEXES];
    world_indexes(w, idx);
    for (size_t i = 0; i < N_INDEXES; i++)
        strmap_clear(*idx[i]);
    c7sched_clear(&w->sched);
    w->flush_pending = 0;
}

void c7world_free(c7world *w)
{
    if (!w)
        return;
    if (w->started) {
        pthread_mutex_lock(&w->lock);
        w->stopping = 1;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
    }
    /* The senders may be waiting for the lock in their callback; they must
     * finish before the world goes. */
    c7hooks_stop(w);
    clear_world(w);
    for (size_t i = 0; i < w->n_apps; i++) {
        free(w->apps[i]->name);
        free(w->apps[i]->key);
        window_free(w->apps[i]->lim);
        free(w->apps[i]);
    }
    free(w->apps);
    free(w->locs);
    free(w->sups);
    free(w->prods);
    free(w->sales);
    free(w->custs);
    free(w->tax_ids);
    free(w->backordered);
    free(w->purs);
    free(w->subs);
    free(w->chs);
    strmap **idx[N_INDEXES];
    world_indexes(w, idx);
    for (size_t i = 0; i < N_INDEXES; i++)
        strmap_free(*idx[i]);
    c7sched_free(&w->sched);
    c7config_free(w->cfg);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cv);
    free(w);
}

void c7world_reset(c7world *w)
{
    pthread_mutex_lock(&w->lock);
    deliverer_cancel(w->dl, -1);
    clear_world(w);
    for (size_t i = 0; i < w->n_apps; i++) {
        window_free(w->apps[i]->lim); /* a fresh minute for everyone */
        w->apps[i]->lim = NULL;
    }
    rng_derive(&w->ids, mockd_seed(w->m), 0x1d5);
    pthread_mutex_unlock(&w->lock);
}

int c7world_seed(c7world *w, const c7cfg *seed, json_err *e)
{
    pthread_mutex_lock(&w->lock);
    int rc = check_world_doc(w, seed, e);
    if (rc == 0)
        add_world_doc(w, seed);
    pthread_mutex_unlock(&w->lock);
    return rc;
}

long c7world_pending(c7world *w)
{
    /* What will reach a subscriber soon: deliveries, and a stock-change
     * window still open. Scheduled physics (receipts days away, shipping)
     * is not "pending" for a harness waiting for the engine to go quiet. */
    pthread_mutex_lock(&w->lock);
    long n = w->flush_pending ? 1 : 0;
    pthread_mutex_unlock(&w->lock);
    return n + (long)deliverer_pending(w->dl);
}

void c7world_stats(c7world *w, cJSON *out)
{
    pthread_mutex_lock(&w->lock);
    cJSON *o = cJSON_AddObjectToObject(out, "world");
    cJSON_AddNumberToObject(o, "products", (double)w->n_prods);
    cJSON_AddNumberToObject(o, "locations", (double)w->n_locs);
    cJSON_AddNumberToObject(o, "sales", (double)w->n_sales);
    cJSON_AddNumberToObject(o, "sales_backordered", (double)w->n_backordered);
    cJSON_AddNumberToObject(o, "purchases", (double)w->n_purs);
    cJSON_AddNumberToObject(o, "channel_sales", (double)w->n_chs);
    size_t active = 0;
    for (size_t i = 0; i < w->n_subs; i++)
        active += w->subs[i].active && !w->subs[i].deleted;
    cJSON_AddNumberToObject(o, "subscriptions_active", (double)active);
    cJSON_AddNumberToObject(o, "scheduled_events", (double)w->sched.n);
    cJSON *apps = cJSON_AddObjectToObject(o, "calls_in_window");
    int64_t now = c7w_now(w);
    for (size_t i = 0; i < w->n_apps; i++)
        cJSON_AddNumberToObject(apps, w->apps[i]->name,
                                w->apps[i]->lim ? window_used(w->apps[i]->lim, now) : 0);
    pthread_mutex_unlock(&w->lock);
    cJSON_AddNumberToObject(o, "deliveries_pending", (double)deliverer_pending(w->dl));
}

cJSON *c7world_state(c7world *w)
{
    pthread_mutex_lock(&w->lock);
    cJSON *v = c7render_state(w);
    pthread_mutex_unlock(&w->lock);
    return v;
}

/* ---- admission ---------------------------------------------------------------- */

int c7world_admit(c7world *w, const char *account, const char *key, int throttle, char *client,
                  size_t client_len, char *msg, size_t msg_len)
{
    pthread_mutex_lock(&w->lock);
    c7app *a = NULL;
    if (account && key && strcmp(account, w->cfg->account) == 0)
        for (size_t i = 0; i < w->n_apps && !a; i++)
            if (strcmp(w->apps[i]->key, key) == 0)
                a = w->apps[i];
    if (!a) {
        pthread_mutex_unlock(&w->lock);
        snprintf(msg, msg_len, "%s",
                 !account || !key
                     ? "Authentication failed: the api-auth-accountid and api-auth-applicationkey headers are required"
                     : "Authentication failed: incorrect api-auth-accountid or api-auth-applicationkey");
        return 403;
    }
    snprintf(client, client_len, "%s", a->name);
    int64_t limit = a->cpm ? a->cpm : w->cfg->calls_per_minute;
    if (throttle >= 0 && (limit == C7_UNLIMITED || throttle < limit))
        limit = throttle;
    int status = 0;
    if (limit != C7_UNLIMITED) {
        if (!a->lim) {
            a->lim = window_new((int)limit, w->cfg->window_ms);
            a->lim_limit = (int)limit;
        } else if (a->lim_limit != (int)limit) {
            window_set_limit(a->lim, (int)limit);
            a->lim_limit = (int)limit;
        }
        if (!window_take(a->lim, c7w_now(w), NULL)) {
            status = w->cfg->over_limit_status;
            snprintf(msg, msg_len, "You reached %lld calls per minute API limit", (long long)limit);
            counters_addf(w->ctr, 1, "rate_limited %s", a->name);
        }
    }
    pthread_mutex_unlock(&w->lock);
    return status;
}

/* ---- lines ---------------------------------------------------------------------- */

/* Finds the product of every line before anything changes; prods gets one
 * index per line (malloc'd, caller frees). */
static int resolve_lines(const c7world *w, const c7order_in *o, long **prods, c7result *r)
{
    *prods = xcalloc(o->n_lines ? o->n_lines : 1, sizeof **prods);
    for (size_t i = 0; i < o->n_lines; i++) {
        const c7line_in *ln = &o->lines[i];
        long p = find_product(w, ln->sku, ln->product_id);
        if (p < 0) {
            if (ln->product_id)
                fail(r, 400, "%s.ProductID: product %s not found", ln->path, ln->product_id);
            else
                fail(r, 400, "%s.SKU: product with SKU '%s' not found", ln->path, ln->sku);
            free(*prods);
            *prods = NULL;
            return -1;
        }
        (*prods)[i] = p;
        int known = 0;
        for (size_t t = 0; t < w->cfg->n_taxes && !known; t++)
            known = strcasecmp(w->cfg->taxes[t].name, ln->tax_rule) == 0;
        if (!known) {
            fail(r, 400, "%s.TaxRule: tax rule '%s' not found (GET ref/tax lists them)", ln->path,
                 ln->tax_rule);
            free(*prods);
            *prods = NULL;
            return -1;
        }
    }
    return 0;
}

static c7line *make_lines(const c7order_in *o, const long *prods)
{
    c7line *lines = xcalloc(o->n_lines ? o->n_lines : 1, sizeof *lines);
    for (size_t i = 0; i < o->n_lines; i++) {
        const c7line_in *in = &o->lines[i];
        c7line *ln = &lines[i];
        ln->product = prods[i];
        ln->qty = in->quantity;
        ln->price = in->price;
        ln->discount = in->discount;
        ln->tax = in->tax;
        ln->name = xstrdup(in->name);
        ln->tax_rule = xstrdup(in->tax_rule);
        ln->comment = c7w_dup_or_null(in->comment);
    }
    return lines;
}

/* ---- sales ---------------------------------------------------------------------- */

static long find_sale(const c7world *w, const char *id)
{
    return id ? strmap_get(w->sale_by_id, id) : -1;
}

/* The customer named name, made on first mention: customers are not seeded,
 * so any name is one, and it keeps one GUID for the run. */
static long customer_of(c7world *w, const char *name)
{
    long ci = strmap_get(w->cust_by_name, name);
    if (ci >= 0)
        return ci;
    XGROW(w->custs, w->n_custs, w->cap_custs, 16);
    ci = (long)w->n_custs++;
    c7cust *c = &w->custs[ci];
    c7w_guid(w, c->id);
    c->name = xstrdup(name);
    strmap_put(w->cust_by_name, c->name, ci);
    strmap_put(w->cust_by_id, c->id, ci);
    return ci;
}

void c7world_sale_create(c7world *w, const c7sale_in *in, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long loc = 0, cust = -1;
    if (in->location) {
        loc = find_location(w, in->location);
        if (loc < 0) {
            fail(out, 400, "Location: location '%s' not found", in->location);
            goto out;
        }
    } else if (w->n_locs == 0) {
        fail(out, 400, "Location: the account has no locations");
        goto out;
    }
    if (in->customer_id) {
        cust = strmap_get(w->cust_by_id, in->customer_id);
        if (cust < 0) {
            fail(out, 400, "CustomerID: customer %s not found", in->customer_id);
            goto out;
        }
    } else {
        cust = customer_of(w, in->customer);
    }

    XGROW(w->sales, w->n_sales, w->cap_sales, 16);
    long si = (long)w->n_sales++;
    c7sale *s = &w->sales[si];
    memset(s, 0, sizeof *s);
    c7w_guid(w, s->id);
    c7w_guid(w, s->fulfil_task);
    snprintf(s->number, sizeof s->number, "SO-%05zu", (size_t)si + 1);
    s->customer = xstrdup(w->custs[cust].name);
    s->customer_id = xstrdup(w->custs[cust].id);
    s->customer_reference = c7w_dup_or_null(in->customer_reference);
    s->external_id = c7w_dup_or_null(in->external_id);
    s->source_channel = c7w_dup_or_null(in->source_channel);
    s->note = c7w_dup_or_null(in->note);
    s->client = c7w_dup_or_null(in->client);
    s->shipping_address = in->shipping_address ? cJSON_Duplicate(in->shipping_address, 1) : NULL;
    s->location = loc;
    s->ship_by_ms = in->ship_by_ms;
    s->skip_quote = in->skip_quote;
    s->simple = in->simple;
    s->created_ms = s->updated_ms = c7w_now(w);
    s->authorised_ms = -1;
    s->lines = xcalloc(1, sizeof *s->lines);
    s->quote_lines = xcalloc(1, sizeof *s->quote_lines);
    s->order_status = C7_OS_NONE;
    s->quote_status = C7_OS_NONE;
    s->stage = C7_SALE_ORDERING;
    strmap_put(w->sale_by_id, s->id, si);

    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "id", s->id);
    cJSON_AddStringToObject(f, "order_number", s->number);
    cJSON_AddStringToObject(f, "customer", s->customer);
    c7render_str_or_null(f, "customer_reference", s->customer_reference);
    c7render_str_or_null(f, "external_id", s->external_id);
    c7render_str_or_null(f, "source_channel", s->source_channel);
    cJSON_AddStringToObject(f, "location", w->locs[loc].name);
    cJSON_AddBoolToObject(f, "skip_quote", s->skip_quote);
    cJSON_AddStringToObject(f, "type", s->simple ? "Simple Sale" : "Advanced Sale");
    if (s->client)
        cJSON_AddStringToObject(f, "application", s->client);
    jadd(w, "sale_created", f);
    counters_add(w->ctr, "sales created", 1);
    reply(out, c7render_sale(w, &w->sales[si]));
out:
    pthread_mutex_unlock(&w->lock);
}

/* The sale named by id for a quote or order POST, or -1 after failing r. */
static long sale_for_post(const c7world *w, const char *id, c7result *r)
{
    long si = find_sale(w, id);
    if (si < 0)
        fail(r, 400, "SaleID: sale %s not found", id ? id : "");
    else if (w->sales[si].stage == C7_SALE_VOIDED)
        fail(r, 400, "SaleID: sale %s is VOIDED", w->sales[si].number);
    return si;
}

void c7world_sale_quote(c7world *w, const char *id, const c7order_in *in, const char *client,
                        c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long *prods = NULL;
    long si = sale_for_post(w, id, out);
    if (si < 0)
        goto out;
    c7sale *s = &w->sales[si];
    /* The reference: POST sale/quote fails when the sale skips its quote,
     * and unless the quote is DRAFT or NOT AVAILABLE. */
    if (s->skip_quote) {
        fail(out, 400, "SaleID: sale %s skips its quote (SkipQuote is true)", s->number);
        goto out;
    }
    if (s->quote_status != C7_OS_NONE && s->quote_status != C7_OS_DRAFT) {
        fail(out, 400, "Status: the quote is %s; only a DRAFT or NOT AVAILABLE quote can be posted",
             c7_order_status_names[s->quote_status]);
        goto out;
    }
    if (resolve_lines(w, in, &prods, out))
        goto out;
    if (strcmp(in->status, "AUTHORISED") == 0 && in->n_lines == 0) {
        fail(out, 400, "Lines: a quote needs at least one line to be authorised");
        goto out;
    }
    free_lines(s->quote_lines, s->n_quote_lines);
    s->quote_lines = make_lines(in, prods);
    s->n_quote_lines = in->n_lines;
    set_str(&s->quote_memo, in->memo);
    s->quote_status = strcmp(in->status, "AUTHORISED") == 0 ? C7_OS_AUTHORISED : C7_OS_DRAFT;
    s->updated_ms = c7w_now(w);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "id", s->id);
    c7render_str_or_null(f, "customer_reference", s->customer_reference);
    cJSON_AddStringToObject(f, "quote_status", c7_order_status_names[s->quote_status]);
    if (client)
        cJSON_AddStringToObject(f, "application", client);
    cJSON_AddItemToObject(f, "lines", c7render_journal_lines(w, s->quote_lines, s->n_quote_lines, 1));
    jadd(w, "sale_quote", f);
    if (s->quote_status == C7_OS_AUTHORISED)
        emit_sale(w, "Sale/QuoteAuthorised", s);
    reply(out, c7render_sale_quote(w, s));
out:
    free(prods);
    pthread_mutex_unlock(&w->lock);
}

void c7world_sale_order(c7world *w, const char *id, const c7order_in *in, const char *client,
                        c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long *prods = NULL;
    long si = sale_for_post(w, id, out);
    if (si < 0)
        goto out;
    c7sale *s = &w->sales[si];
    /* The reference: POST sale/order fails unless the order is DRAFT or
     * NOT AVAILABLE, and unless the quote is AUTHORISED (or skipped). */
    if (s->order_status != C7_OS_NONE && s->order_status != C7_OS_DRAFT) {
        fail(out, 400, "Status: the order is %s; only a DRAFT or NOT AVAILABLE order can be posted",
             c7_order_status_names[s->order_status]);
        goto out;
    }
    if (!s->skip_quote && s->quote_status != C7_OS_AUTHORISED) {
        fail(out, 400,
             "SaleID: the quote of sale %s is %s; authorise it (POST sale/quote) or create the sale "
             "with SkipQuote true before posting its order",
             s->number, c7_order_status_names[s->quote_status]);
        goto out;
    }
    if (resolve_lines(w, in, &prods, out))
        goto out;
    int authorise = strcmp(in->status, "AUTHORISED") == 0;
    if (authorise && in->n_lines == 0) {
        fail(out, 400, "Lines: an order needs at least one line to be authorised");
        goto out;
    }
    free_lines(s->lines, s->n_lines);
    s->lines = make_lines(in, prods);
    s->n_lines = in->n_lines;
    set_str(&s->memo, in->memo);
    s->auto_mode = in->auto_mode;
    s->order_status = s->n_lines ? C7_OS_DRAFT : C7_OS_NONE;
    s->updated_ms = c7w_now(w);
    if (authorise)
        plan_allocation(w, s); /* so the entry names the backorders */
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "id", s->id);
    c7render_str_or_null(f, "customer_reference", s->customer_reference);
    cJSON_AddStringToObject(f, "order_status", authorise ? "AUTHORISED" : c7_order_status_names[s->order_status]);
    if (client)
        cJSON_AddStringToObject(f, "application", client);
    cJSON_AddItemToObject(f, "lines", c7render_journal_lines(w, s->lines, s->n_lines, 1));
    jadd(w, "sale_updated", f);
    if (authorise)
        sale_authorise(w, si);
    reply(out, c7render_sale_order(w, &w->sales[si]));
out:
    free(prods);
    pthread_mutex_unlock(&w->lock);
}

void c7world_sale_get(c7world *w, const char *id, int order_only, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long si = find_sale(w, id);
    if (si < 0)
        fail(out, 400, "%s: sale %s not found", order_only ? "SaleID" : "ID", id ? id : "");
    else
        reply(out, order_only ? c7render_sale_order(w, &w->sales[si])
                              : c7render_sale(w, &w->sales[si]));
    pthread_mutex_unlock(&w->lock);
}

void c7world_sale_quote_get(c7world *w, const char *id, int order_only, c7result *out)
{
    (void)order_only;
    pthread_mutex_lock(&w->lock);
    long si = find_sale(w, id);
    if (si < 0)
        fail(out, 400, "SaleID: sale %s not found", id ? id : "");
    else
        reply(out, c7render_sale_quote(w, &w->sales[si]));
    pthread_mutex_unlock(&w->lock);
}

void c7world_sale_void(c7world *w, const char *id, const char *client, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long si = find_sale(w, id);
    if (si < 0) {
        fail(out, 400, "ID: sale %s not found", id ? id : "");
        goto out;
    }
    c7sale *s = &w->sales[si];
    if (s->stage == C7_SALE_VOIDED) {
        fail(out, 400, "Sale %s is already voided", s->number);
        goto out;
    }
    if (s->stage >= C7_SALE_PICKED) {
        fail(out, 400, "Sale %s is %s: stock has left the shelf, it cannot be voided", s->number,
             c7_sale_stage_names[s->stage]);
        goto out;
    }
    int was = s->stage;
    s->stage = C7_SALE_VOIDED;
    s->order_status = C7_OS_VOIDED;
    s->updated_ms = c7w_now(w);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "id", s->id);
    if (s->customer_reference)
        cJSON_AddStringToObject(f, "customer_reference", s->customer_reference);
    cJSON_AddStringToObject(f, "location", w->locs[s->location].name);
    cJSON_AddStringToObject(f, "status_before", c7_sale_stage_names[was]);
    if (client)
        cJSON_AddStringToObject(f, "application", client);
    cJSON_AddItemToObject(f, "lines", c7render_journal_lines(w, s->lines, s->n_lines, 1));
    jadd(w, "sale_voided", f);
    for (size_t i = 0; i < s->n_lines; i++) {
        c7line *ln = &s->lines[i];
        c7cell *c = &w->prods[ln->product].cells[s->location];
        c7cell before = *c;
        c->allocated -= ln->allocated;
        ln->allocated = 0;
        ln->backorder = 0;
        stock_note(w, ln->product, s->location, &before, "sale_voided", s->id);
    }
    if (was == C7_SALE_BACKORDERED)
        remove_backordered(w, si);
    emit_sale(w, "Sale/Voided", s);
    reply(out, c7render_sale(w, s));
out:
    pthread_mutex_unlock(&w->lock);
}

/* Case-insensitive substring test; a NULL haystack never matches. */
static int contains_ci(const char *hay, const char *needle)
{
    return hay && strcasestr(hay, needle) != NULL;
}

/* Starts a paged list: {"Total":N,"Page":P,name:[...]}; returns the array. */
static cJSON *list_start(cJSON **root, const char *name, const c7query *q)
{
    *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(*root, "Total", 0);
    cJSON_AddNumberToObject(*root, "Page", (double)q->page);
    return cJSON_AddArrayToObject(*root, name);
}

/* Counts a match; returns whether it falls on the requested page. */
static int on_page(const c7query *q, int64_t *total)
{
    int64_t i = (*total)++;
    return i >= (q->page - 1) * q->limit && i < q->page * q->limit;
}

static void list_end(cJSON *root, int64_t total, c7result *out)
{
    cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(root, "Total"), (double)total);
    reply(out, root);
}

void c7world_sale_list(c7world *w, const c7query *q, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    cJSON *root, *arr = list_start(&root, "SaleList", q);
    int64_t total = 0;
    for (size_t i = 0; i < w->n_sales; i++) {
        const c7sale *s = &w->sales[i];
        if (q->search && !contains_ci(s->customer_reference, q->search) &&
            !contains_ci(s->number, q->search) && !contains_ci(s->customer, q->search) &&
            !contains_ci(s->external_id, q->search))
            continue;
        if (q->status && strcasecmp(q->status, c7_sale_stage_names[s->stage]) != 0)
            continue;
        if (q->order_status && strcasecmp(q->order_status, c7_order_status_names[s->order_status]) != 0)
            continue;
        if (q->external_id && (!s->external_id || strcmp(q->external_id, s->external_id) != 0))
            continue;
        if (q->updated_since_ms != INT64_MIN &&
            clock_epoch_ms(w->clk, s->updated_ms) < q->updated_since_ms)
            continue;
        if (q->created_since_ms != INT64_MIN &&
            clock_epoch_ms(w->clk, s->created_ms) < q->created_since_ms)
            continue;
        if (on_page(q, &total))
            cJSON_AddItemToArray(arr, c7render_sale_row(w, s));
    }
    list_end(root, total, out);
    pthread_mutex_unlock(&w->lock);
}

/* ---- purchases ------------------------------------------------------------------- */

static long find_purchase(const c7world *w, const char *id)
{
    return id ? strmap_get(w->pur_by_id, id) : -1;
}

/* Resolves a purchase header's supplier and location; sup and loc hold the
 * current values on entry (-1 when there are none). */
static int resolve_purchase_header(const c7world *w, const c7purchase_in *in, long *sup,
                                   long *loc, c7result *r)
{
    if (in->supplier_id) {
        *sup = strmap_get(w->sup_by_id, in->supplier_id);
        if (*sup < 0) {
            fail(r, 400, "SupplierID: supplier %s not found", in->supplier_id);
            return -1;
        }
    } else if (in->supplier) {
        *sup = strmap_get(w->sup_by_name, in->supplier);
        if (*sup < 0) {
            fail(r, 400, "Supplier: supplier '%s' not found", in->supplier);
            return -1;
        }
    }
    if (*sup < 0) {
        fail(r, 400, "SupplierID: required (or Supplier, the supplier's name)");
        return -1;
    }
    const c7sup *s = &w->sups[*sup];
    if (in->location) {
        *loc = find_location(w, in->location);
        if (*loc < 0) {
            fail(r, 400, "Location: location '%s' not found", in->location);
            return -1;
        }
    } else if (*loc < 0) {
        if (s->n_locs)
            *loc = s->locs[0];
        else if (w->n_locs)
            *loc = 0;
        else {
            fail(r, 400, "Location: the account has no locations");
            return -1;
        }
    }
    if (s->n_locs) {
        int served = 0;
        for (size_t i = 0; i < s->n_locs; i++)
            served |= s->locs[i] == *loc;
        if (!served) {
            fail(r, 400, "Location: supplier '%s' does not deliver to '%s'", s->name,
                 w->locs[*loc].name);
            return -1;
        }
    }
    return 0;
}

/* Checks an order section against a purchase's state before anything
 * changes. */
static int check_purchase_order(const c7purchase *p, const c7order_in *o, c7result *r)
{
    /* The reference: POST purchase/order fails unless the order is DRAFT or
     * NOT AVAILABLE. */
    if (p->order_status == C7_OS_AUTHORISED || p->order_status == C7_OS_VOIDED) {
        fail(r, 400, "Status: the order is %s; only a DRAFT or NOT AVAILABLE order can be posted",
             c7_order_status_names[p->order_status]);
        return -1;
    }
    if (strcmp(o->status, "AUTHORISED") == 0 && o->n_lines == 0) {
        fail(r, 400, "Lines: an order needs at least one line to be authorised");
        return -1;
    }
    return 0;
}

/* Saves purchase pi's order section o (lines resolved to prods), journals
 * the purchase (client: the application whose request it was), then
 * authorises it or arms the auto-approval as the section asks. */
static void save_purchase_order(c7world *w, long pi, const c7order_in *o, const long *prods,
                                const char *client)
{
    c7purchase *p = &w->purs[pi];
    free_lines(p->lines, p->n_lines);
    p->lines = make_lines(o, prods);
    p->n_lines = o->n_lines;
    set_str(&p->memo, o->memo);
    p->order_status = p->n_lines ? C7_OS_DRAFT : C7_OS_NONE;
    p->stage = p->n_lines ? C7_PUR_ORDERING : C7_PUR_DRAFT;
    p->updated_ms = c7w_now(w);
    purchase_entry(w, "purchase_updated", p, NULL, client);
    if (strcmp(o->status, "AUTHORISED") == 0)
        purchase_authorise(w, pi, "api");
    else if (p->order_status == C7_OS_DRAFT && w->cfg->auto_approve_ms != C7_NEVER)
        schedule(w, C7EV_APPROVE, c7w_now(w) + w->cfg->auto_approve_ms, pi, 0);
}

void c7world_purchase_create(c7world *w, const c7purchase_in *in, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long sup = -1, loc = -1;
    if (resolve_purchase_header(w, in, &sup, &loc, out))
        goto out;

    XGROW(w->purs, w->n_purs, w->cap_purs, 16);
    long pi = (long)w->n_purs++;
    c7purchase *p = &w->purs[pi];
    memset(p, 0, sizeof *p);
    c7w_guid(w, p->id);
    snprintf(p->number, sizeof p->number, "PO-%05zu", (size_t)pi + 1);
    p->supplier = sup;
    p->location = loc;
    p->advanced = in->advanced;
    p->approach = in->approach && strcmp(in->approach, "STOCK") == 0 ? "STOCK" : "INVOICE";
    p->terms = xstrdup(in->terms ? in->terms : w->sups[sup].payment_term);
    p->note = c7w_dup_or_null(in->note);
    p->client = c7w_dup_or_null(in->client);
    p->required_by_ms = in->has_required_by ? in->required_by_ms : -1;
    p->created_ms = p->updated_ms = c7w_now(w);
    p->authorised_ms = p->due_ms = p->received_ms = -1;
    p->order_status = C7_OS_NONE;
    p->stage = C7_PUR_DRAFT;
    p->lines = xcalloc(1, sizeof *p->lines);
    strmap_put(w->pur_by_id, p->id, pi);
    counters_add(w->ctr, "purchases created", 1);
    purchase_entry(w, "purchase_created", p, NULL, NULL);
    reply(out, c7render_purchase(w, &w->purs[pi]));
out:
    pthread_mutex_unlock(&w->lock);
}

void c7world_purchase_update(c7world *w, const c7purchase_in *in, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long pi = find_purchase(w, in->id);
    if (pi < 0) {
        fail(out, 400, "ID: purchase %s not found", in->id ? in->id : "");
        goto out;
    }
    c7purchase *p = &w->purs[pi];
    if (p->stage == C7_PUR_VOIDED || p->stage == C7_PUR_RECEIVED) {
        fail(out, 400, "Purchase %s is %s and cannot be changed", p->number,
             c7_purchase_stage_names[p->stage]);
        goto out;
    }
    long sup = p->supplier, loc = p->location;
    if (resolve_purchase_header(w, in, &sup, &loc, out))
        goto out;
    if ((sup != p->supplier || loc != p->location) && p->order_status == C7_OS_AUTHORISED) {
        fail(out, 400, "%s: cannot change an authorised purchase's %s",
             sup != p->supplier ? "Supplier" : "Location", sup != p->supplier ? "supplier" : "location");
        goto out;
    }
    p->supplier = sup;
    p->location = loc;
    if (in->terms)
        set_str(&p->terms, in->terms);
    if (in->note)
        set_str(&p->note, in->note);
    if (in->has_required_by)
        p->required_by_ms = in->required_by_ms;
    p->updated_ms = c7w_now(w);
    purchase_entry(w, "purchase_updated", p, NULL, in->client);
    reply(out, c7render_purchase(w, &w->purs[pi]));
out:
    pthread_mutex_unlock(&w->lock);
}

void c7world_purchase_order(c7world *w, const char *id, const c7order_in *in, const char *client,
                            c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long *prods = NULL;
    long pi = find_purchase(w, id);
    if (pi < 0) {
        fail(out, 400, "TaskID: purchase %s not found", id ? id : "");
        goto out;
    }
    if (check_purchase_order(&w->purs[pi], in, out) || resolve_lines(w, in, &prods, out))
        goto out;
    save_purchase_order(w, pi, in, prods, client);
    reply(out, c7render_purchase_order(w, &w->purs[pi]));
out:
    free(prods);
    pthread_mutex_unlock(&w->lock);
}

/* The purchase id names, for an endpoint of one kind (advanced 0: purchase,
 * 1: advanced-purchase, -1: either, as purchase/order); -1 after failing r.
 * Simple and Advanced Purchases have their own endpoints in the reference:
 * the other kind's is refused rather than guessed. */
static long purchase_of_kind(const c7world *w, const char *id, int advanced, const char *field,
                             c7result *r)
{
    long pi = find_purchase(w, id);
    if (pi < 0) {
        fail(r, 400, "%s: purchase %s not found", field, id ? id : "");
        return -1;
    }
    if (advanced >= 0 && w->purs[pi].advanced != advanced) {
        fail(r, 400, "%s: purchase %s is %s Purchase; use %s", field, w->purs[pi].number,
             w->purs[pi].advanced ? "an Advanced" : "a Simple",
             w->purs[pi].advanced ? "advanced-purchase" : "purchase");
        return -1;
    }
    return pi;
}

static void purchase_get_kind(c7world *w, const char *id, int order_only, int advanced,
                              c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long pi = purchase_of_kind(w, id, order_only ? -1 : advanced, order_only ? "TaskID" : "ID", out);
    if (pi >= 0)
        reply(out, order_only ? c7render_purchase_order(w, &w->purs[pi])
                              : c7render_purchase(w, &w->purs[pi]));
    pthread_mutex_unlock(&w->lock);
}

void c7world_purchase_get(c7world *w, const char *id, int order_only, c7result *out)
{
    purchase_get_kind(w, id, order_only, 0, out);
}

void c7world_advanced_purchase_get(c7world *w, const char *id, int order_only, c7result *out)
{
    purchase_get_kind(w, id, order_only, 1, out);
}

static void purchase_void_kind(c7world *w, const char *id, const char *client, int advanced,
                               c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long pi = purchase_of_kind(w, id, advanced, "ID", out);
    if (pi < 0)
        goto out;
    c7purchase *p = &w->purs[pi];
    if (p->stage == C7_PUR_VOIDED || p->stage == C7_PUR_RECEIVED) {
        fail(out, 400, "Purchase %s is %s and cannot be voided", p->number,
             c7_purchase_stage_names[p->stage]);
        goto out;
    }
    int was_ordered = p->stage == C7_PUR_ORDERED;
    p->stage = C7_PUR_VOIDED;
    p->order_status = C7_OS_VOIDED;
    p->updated_ms = c7w_now(w);
    purchase_entry(w, "purchase_voided", p, NULL, client);
    if (was_ordered)
        for (size_t i = 0; i < p->n_lines; i++) {
            const c7line *ln = &p->lines[i];
            c7cell *c = &w->prods[ln->product].cells[p->location];
            c7cell before = *c;
            c->on_order -= ln->qty;
            stock_note(w, ln->product, p->location, &before, "purchase_voided", p->id);
        }
    reply(out, c7render_purchase(w, p));
out:
    pthread_mutex_unlock(&w->lock);
}

void c7world_purchase_void(c7world *w, const char *id, const char *client, c7result *out)
{
    purchase_void_kind(w, id, client, 0, out);
}

void c7world_advanced_purchase_void(c7world *w, const char *id, const char *client,
                                    c7result *out)
{
    purchase_void_kind(w, id, client, 1, out);
}

void c7world_purchase_list(c7world *w, const c7query *q, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    cJSON *root, *arr = list_start(&root, "PurchaseList", q);
    int64_t total = 0;
    for (size_t i = 0; i < w->n_purs; i++) {
        const c7purchase *p = &w->purs[i];
        if (q->search && !contains_ci(p->number, q->search) &&
            !contains_ci(w->sups[p->supplier].name, q->search))
            continue;
        if (q->status && strcasecmp(q->status, c7_purchase_stage_names[p->stage]) != 0)
            continue;
        if (q->order_status && strcasecmp(q->order_status, c7_order_status_names[p->order_status]) != 0)
            continue;
        if (q->updated_since_ms != INT64_MIN &&
            clock_epoch_ms(w->clk, p->updated_ms) < q->updated_since_ms)
            continue;
        if (on_page(q, &total))
            cJSON_AddItemToArray(arr, c7render_purchase_row(w, p));
    }
    list_end(root, total, out);
    pthread_mutex_unlock(&w->lock);
}

void c7world_me(c7world *w, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Company", w->cfg->account);
    cJSON_AddStringToObject(o, "Currency", "USD");
    cJSON_AddStringToObject(o, "DefaultWeightUnits", "g");
    cJSON_AddStringToObject(o, "DefaultDimensionsUnits", "cm");
    cJSON_AddNullToObject(o, "LockDate");
    cJSON_AddStringToObject(o, "MaximumDecimalPlacesInQuantity", "N0");
    reply(out, o);
    pthread_mutex_unlock(&w->lock);
}

/* ---- catalog queries --------------------------------------------------------------- */

void c7world_availability(c7world *w, const c7query *q, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long only_loc = -1;
    if (q->location) {
        only_loc = find_location(w, q->location);
        if (only_loc < 0) {
            /* Cin7 answers an unknown location with an empty list. */
            out->status = 200;
            out->body = xasprintf("{\"Total\":0,\"Page\":%lld,\"ProductAvailabilityList\":[]}",
                                  (long long)q->page);
            pthread_mutex_unlock(&w->lock);
            return;
        }
    }
    sbuf b = SBUF_INIT;
    int64_t total = 0;
    int first = 1;
    sbuf_puts(&b, "{\"ProductAvailabilityList\":[");
    long from = 0, to = (long)w->n_prods;
    if (q->sku || q->id) {
        /* One product: the index finds it without a scan. */
        long p = find_product(w, q->sku, q->id);
        if (p >= 0 && q->sku && q->id && p != strmap_get(w->prod_by_sku, q->sku))
            p = -1;
        from = p >= 0 ? p : 0;
        to = p >= 0 ? p + 1 : 0;
    }
    for (long p = from; p < to; p++) {
        if (q->name && !contains_ci(w->prods[p].name, q->name))
            continue;
        for (long l = 0; l < (long)w->n_locs; l++) {
            if (only_loc >= 0 && l != only_loc)
                continue;
            if (!on_page(q, &total))
                continue;
            if (!first)
                sbuf_putc(&b, ',');
            first = 0;
            c7render_availability_row(w, p, l, &b);
        }
    }
    sbuf_printf(&b, "],\"Total\":%lld,\"Page\":%lld}", (long long)total, (long long)q->page);
    pthread_mutex_unlock(&w->lock);
    out->status = 200;
    out->body = sbuf_take(&b);
}

void c7world_products(c7world *w, const c7query *q, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    cJSON *root, *arr = list_start(&root, "Products", q);
    int64_t total = 0;
    for (size_t i = 0; i < w->n_prods; i++) {
        const c7prod *p = &w->prods[i];
        if (q->id && strcasecmp(q->id, p->id) != 0)
            continue;
        if (q->sku && !contains_ci(p->sku, q->sku))
            continue;
        if (q->name && !contains_ci(p->name, q->name))
            continue;
        if (!q->include_deprecated && strcmp(p->status, "Deprecated") == 0)
            continue;
        if (q->updated_since_ms != INT64_MIN &&
            clock_epoch_ms(w->clk, p->modified_ms) < q->updated_since_ms)
            continue;
        if (on_page(q, &total))
            cJSON_AddItemToArray(arr, c7render_product(w, (long)i, q->include_suppliers,
                                                       q->include_reorder_levels));
    }
    list_end(root, total, out);
    pthread_mutex_unlock(&w->lock);
}

void c7world_suppliers(c7world *w, const c7query *q, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    cJSON *root, *arr = list_start(&root, "SupplierList", q);
    int64_t total = 0;
    for (size_t i = 0; i < w->n_sups; i++) {
        const c7sup *s = &w->sups[i];
        if (q->id && strcasecmp(q->id, s->id) != 0)
            continue;
        if (q->name && !contains_ci(s->name, q->name))
            continue;
        if (q->updated_since_ms != INT64_MIN &&
            clock_epoch_ms(w->clk, s->modified_ms) < q->updated_since_ms)
            continue;
        if (on_page(q, &total))
            cJSON_AddItemToArray(arr, c7render_supplier(w, (long)i));
    }
    list_end(root, total, out);
    pthread_mutex_unlock(&w->lock);
}

void c7world_locations(c7world *w, const c7query *q, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    cJSON *root, *arr = list_start(&root, "LocationList", q);
    int64_t total = 0;
    for (size_t i = 0; i < w->n_locs; i++) {
        if (q->id && strcasecmp(q->id, w->locs[i].id) != 0)
            continue;
        if (q->name && !contains_ci(w->locs[i].name, q->name))
            continue;
        if (on_page(q, &total))
            cJSON_AddItemToArray(arr, c7render_location(w, (long)i, i == 0));
    }
    list_end(root, total, out);
    pthread_mutex_unlock(&w->lock);
}

void c7world_taxes(c7world *w, const c7query *q, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    cJSON *root, *arr = list_start(&root, "TaxRuleList", q);
    int64_t total = 0;
    for (size_t i = 0; i < w->cfg->n_taxes; i++) {
        if (q->id && strcasecmp(q->id, w->tax_ids[i]) != 0)
            continue;
        if (q->name && !contains_ci(w->cfg->taxes[i].name, q->name))
            continue;
        if (on_page(q, &total))
            cJSON_AddItemToArray(arr, c7render_tax(w, (long)i));
    }
    list_end(root, total, out);
    pthread_mutex_unlock(&w->lock);
}

/* ---- webhook subscriptions -------------------------------------------------------- */

static long find_sub(const c7world *w, const char *id)
{
    long i = id ? strmap_get(w->sub_by_id, id) : -1;
    return i >= 0 && !w->subs[i].deleted ? i : -1;
}

static cJSON *hooks_answer(const c7sub *s)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "Webhooks");
    if (s)
        cJSON_AddItemToArray(arr, c7render_hook(s));
    return root;
}

static int check_hook_auth(const char *auth, const char *user, const char *pass, const char *token,
                           c7result *r)
{
    if (strcmp(auth, "basicauth") == 0 && (!user || !*user || !pass)) {
        fail(r, 400, "ExternalUserName: basicauth needs ExternalUserName and ExternalPassword");
        return -1;
    }
    if (strcmp(auth, "bearerauth") == 0 && (!token || !*token)) {
        fail(r, 400, "ExternalBearerToken: bearerauth needs a token");
        return -1;
    }
    return 0;
}

/* Fails unless one more webhook of type fits beside the live ones (but
 * except, a subscription changing its type, or -1). */
static int check_hook_room(const c7world *w, const char *type, long except, c7result *r)
{
    if (hooks_of_type(w, type, except) >= w->cfg->hooks_per_type) {
        fail(r, 400, "Type: there is a limit of %lld webhooks of the same type",
             (long long)w->cfg->hooks_per_type);
        return -1;
    }
    return 0;
}

void c7world_hooks_list(c7world *w, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    cJSON *root = hooks_answer(NULL);
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "Webhooks");
    for (size_t i = 0; i < w->n_subs; i++)
        if (!w->subs[i].deleted)
            cJSON_AddItemToArray(arr, c7render_hook(&w->subs[i]));
    reply(out, root);
    pthread_mutex_unlock(&w->lock);
}

static void hook_entry(c7world *w, const char *kind, const c7sub *s, const char *client)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "subscription", s->id);
    cJSON_AddStringToObject(f, "type", s->type);
    cJSON_AddStringToObject(f, "url", s->url);
    cJSON_AddBoolToObject(f, "active", s->active);
    if (client)
        cJSON_AddStringToObject(f, "application", client);
    jadd(w, kind, f);
}

void c7world_hook_create(c7world *w, const c7hook_in *in, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    if (check_hook_auth(in->auth, in->username, in->password, in->token, out))
        goto out;
    if (check_hook_room(w, in->type, -1, out))
        goto out;
    long i = c7hooks_add(w, in);
    hook_entry(w, "webhook_subscribed", &w->subs[i], in->client);
    reply(out, hooks_answer(&w->subs[i]));
out:
    pthread_mutex_unlock(&w->lock);
}

void c7world_hook_update(c7world *w, const c7hook_in *in, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long i = find_sub(w, in->id);
    if (i < 0) {
        fail(out, 400, "ID: webhook %s not found", in->id ? in->id : "");
        goto out;
    }
    c7sub *s = &w->subs[i];
    const char *type = in->type ? in->type : s->type;
    const char *auth = in->auth ? in->auth : s->auth;
    const char *user = in->username ? in->username : s->username;
    const char *pass = in->password ? in->password : s->password;
    const char *token = in->token ? in->token : s->token;
    if (check_hook_auth(auth, user, pass, token, out))
        goto out;
    if (strcmp(type, s->type) != 0 && check_hook_room(w, type, i, out))
        goto out;
    s->type = type; /* both spellings are static */
    if (in->url)
        set_str(&s->url, in->url);
    if (in->name)
        set_str(&s->name, in->name);
    if (in->auth)
        set_str(&s->auth, in->auth);
    if (in->username)
        set_str(&s->username, in->username);
    if (in->password)
        set_str(&s->password, in->password);
    if (in->token)
        set_str(&s->token, in->token);
    if (in->has_headers)
        c7hooks_set_headers(s, in);
    if (in->active >= 0) {
        if (in->active && !s->active)
            s->deactivated_ms = -1;
        s->active = in->active;
    }
    hook_entry(w, "webhook_updated", s, in->client);
    reply(out, hooks_answer(s));
out:
    pthread_mutex_unlock(&w->lock);
}

void c7world_hook_delete(c7world *w, const char *id, const char *client, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long i = find_sub(w, id);
    if (i < 0) {
        fail(out, 400, "ID: webhook %s not found", id ? id : "");
    } else {
        w->subs[i].deleted = 1;
        w->subs[i].active = 0;
        deliverer_cancel(w->dl, w->subs[i].num);
        hook_entry(w, "webhook_deleted", &w->subs[i], client);
        reply(out, hooks_answer(NULL));
    }
    pthread_mutex_unlock(&w->lock);
}

/* ---- the buyer, the floor and other channels ------------------------------------- */

void c7world_approve(c7world *w, const char *id, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long pi = find_purchase(w, id);
    if (pi < 0) {
        fail(out, 404, "purchase %s not found", id ? id : "");
    } else if (w->purs[pi].order_status != C7_OS_DRAFT || w->purs[pi].n_lines == 0) {
        fail(out, 409, "purchase %s is %s; only a DRAFT order with lines can be approved",
             w->purs[pi].number, c7_purchase_stage_names[w->purs[pi].stage]);
    } else {
        purchase_authorise(w, pi, "approve");
        reply(out, c7render_purchase(w, &w->purs[pi]));
    }
    pthread_mutex_unlock(&w->lock);
}

void c7world_receive_now(c7world *w, const char *id, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long pi = find_purchase(w, id);
    if (pi < 0) {
        fail(out, 404, "purchase %s not found", id ? id : "");
    } else if (w->purs[pi].stage != C7_PUR_ORDERED) {
        fail(out, 409, "purchase %s is %s; only an ORDERED purchase can be received",
             w->purs[pi].number, c7_purchase_stage_names[w->purs[pi].stage]);
    } else {
        purchase_receive(w, pi, "receive");
        reply(out, c7render_purchase(w, &w->purs[pi]));
    }
    pthread_mutex_unlock(&w->lock);
}

/* The cell a /_mock/ request names by SKU and location (the first when
 * none); -1 after failing r when there is no such cell. */
static int find_cell(const c7world *w, const char *sku, const char *location, long *p, long *l,
                     c7result *r)
{
    *p = strmap_get(w->prod_by_sku, sku);
    *l = location ? find_location(w, location) : (w->n_locs ? 0 : -1);
    if (*p < 0) {
        fail(r, 400, "sku: unknown SKU \"%s\"", sku);
        return -1;
    }
    if (*l < 0) {
        fail(r, 400, "location: unknown location \"%s\"", location ? location : "");
        return -1;
    }
    return 0;
}

void c7world_channel_sale(c7world *w, const char *sku, const char *location, int64_t qty,
                          const char *channel, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long p, l;
    if (find_cell(w, sku, location, &p, &l, out) == 0) {
        c7cell *c = &w->prods[p].cells[l];
        int64_t avail = c7w_available(c);
        int accepted = avail >= qty;
        XGROW(w->chs, w->n_chs, w->cap_chs, 16);
        c7chsale *cs = &w->chs[w->n_chs++];
        cs->t = c7w_now(w);
        cs->product = p;
        cs->location = l;
        cs->qty = qty;
        cs->available_before = avail;
        cs->channel = xstrdup(channel);
        cs->accepted = accepted;
        sbuf b = SBUF_INIT;
        put_cell(&b, w, p, l);
        sbuf_puts(&b, ",\"channel\":");
        sbuf_json_str(&b, channel);
        sbuf_printf(&b, ",\"qty\":%lld,\"accepted\":%s,\"available_before\":%lld", (long long)qty,
                    accepted ? "true" : "false", (long long)avail);
        journal_addf(w->jr, "channel_sale", "%s", sbuf_str(&b));
        sbuf_free(&b);
        counters_addf(w->ctr, 1, "channel_sales %s", accepted ? "accepted" : "refused");
        if (accepted) {
            c7cell before = *c;
            c->on_hand -= qty;
            stock_note(w, p, l, &before, "channel_sale", channel);
        }
        cJSON *v = cJSON_CreateObject();
        cJSON_AddBoolToObject(v, "accepted", accepted);
        cJSON_AddStringToObject(v, "sku", w->prods[p].sku);
        cJSON_AddStringToObject(v, "location", w->locs[l].name);
        cJSON_AddNumberToObject(v, "qty", (double)qty);
        cJSON_AddStringToObject(v, "channel", channel);
        cJSON_AddNumberToObject(v, "available", (double)c7w_available(c));
        reply(out, v);
    }
    pthread_mutex_unlock(&w->lock);
}

void c7world_adjust(c7world *w, const char *sku, const char *location, int64_t on_hand,
                    const char *reason, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long p, l;
    if (find_cell(w, sku, location, &p, &l, out) == 0) {
        c7cell *c = &w->prods[p].cells[l];
        c7cell before = *c;
        c->adjusted += on_hand - c->on_hand;
        c->on_hand = on_hand;
        stock_note(w, p, l, &before, "adjustment", reason);
        cJSON *v = cJSON_CreateObject();
        cJSON_AddStringToObject(v, "sku", w->prods[p].sku);
        cJSON_AddStringToObject(v, "location", w->locs[l].name);
        cJSON_AddNumberToObject(v, "on_hand", (double)c->on_hand);
        cJSON_AddNumberToObject(v, "available", (double)c7w_available(c));
        reply(out, v);
    }
    pthread_mutex_unlock(&w->lock);
}
