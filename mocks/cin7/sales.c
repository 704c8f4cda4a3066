/*
 * Sales as Cin7 Core runs them (the reference's Sale tag, operation prose of
 * sale/quote and sale/order, ../shared/API-NOTES.md):
 *
 *   POST sale          the header only (customer, location, references,
 *                      SkipQuote, Type); lines in the body are refused
 *   POST sale/quote    quote lines; refused when SkipQuote is true or the
 *                      quote is neither DRAFT nor NOT AVAILABLE
 *   POST sale/order    order lines; refused unless the quote is AUTHORISED
 *                      (or skipped) and the order is DRAFT or NOT AVAILABLE.
 *                      AUTHORISED allocates; what is not available is
 *                      silently backordered. AutoPickPackShipMode acts on
 *                      Simple sales without a backorder.
 *
 * Then the warehouse floor: after the configured delays each task (pick,
 * pack, ship) is first DRAFT, then AUTHORISED; picking takes the held units
 * off the shelves; shipping gives a tracking number and drafts the invoice,
 * which the accountant authorises (INVOICED) and marks paid (COMPLETED).
 * A sale's Status is derived from its parts as the reference's "Available
 * Sale Statuses" table says (c7sale_status); Advanced sales stay ORDERED or
 * BACKORDERED until fully fulfilled and invoiced (Cin7's help, "Sales list
 * views and order status values"). There is no SHIPPED status: shipping
 * shows in CombinedShippingStatus, FulFilmentStatus and Fulfilments.
 */
#include "world_int.h"

#include "clock.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const c7_address_fields[C7_ADDRESS_FIELDS] = {"Line1", "Line2",    "City",
                                                          "State", "Postcode", "Country"};

/* Steps of the floor and the accounts. The arg of C7EV_SALE_STEP is a step
 * plus STEP_FUL times the index of the fulfilment it acts on (the invoice,
 * the payment and a user's void concern the whole sale: index 0). */
enum { STEP_PICK_DRAFT, STEP_PICK, STEP_PACK_DRAFT, STEP_PACK, STEP_SHIP_DRAFT, STEP_SHIP,
       STEP_INVOICE, STEP_PAY, STEP_VOID };
#define STEP_FUL 16

/* Streams of the per-sale draws (rng_derive), apart from the purchases'. */
#define DRAW_SPLIT UINT64_C(0xc1a7500000)
#define DRAW_VOID UINT64_C(0xc1a7600000)

/* The tasks of a fulfilment, for the sums below. */
enum { TASK_PICK, TASK_PACK, TASK_SHIP };

static int backordered(const c7sale *s)
{
    for (size_t i = 0; i < s->order_lines.n; i++)
        if (s->order_lines.lines[i].backorder > 0)
            return 1;
    return 0;
}

/* Units the order's lines ask for. */
static qty4 units_total(const c7sale *s)
{
    qty4 n = 0;
    for (size_t i = 0; i < s->order_lines.n; i++)
        n += s->order_lines.lines[i].qty;
    return n;
}

/* Units held for the sale and not picked yet: what its next fulfilment
 * can take. */
static qty4 units_held(const c7sale *s)
{
    qty4 n = 0;
    for (size_t i = 0; i < s->order_lines.n; i++)
        n += s->order_lines.lines[i].allocated;
    return n;
}

qty4 c7sale_ful_units(const c7sale *s, const c7ful *f)
{
    qty4 n = 0;
    for (size_t i = 0; f->lines && i < s->order_lines.n; i++)
        n += f->lines[i].qty;
    return n;
}

static int ful_task(const c7ful *f, int task)
{
    return task == TASK_PICK ? f->pick : task == TASK_PACK ? f->pack : f->ship;
}

/* Units whose task (TASK_*) is authorised, over the sale's fulfilments. */
static qty4 units_done(const c7sale *s, int task)
{
    qty4 n = 0;
    for (size_t k = 0; k < s->n_fuls; k++)
        if (ful_task(&s->fuls[k], task) == C7_AUTH)
            n += c7sale_ful_units(s, &s->fuls[k]);
    return n;
}

/* A task of the whole sale: AUTHORISED once every unit went through it,
 * DRAFT while a fulfilment's is DRAFT, NOT AVAILABLE otherwise — also
 * while some units went through it and the rest wait (the reference names
 * no partial Combined value: docs/mock-cin7.md, "Physics"). */
static int sale_task(const c7sale *s, int task)
{
    if (s->n_fuls && units_done(s, task) >= units_total(s))
        return C7_AUTH;
    for (size_t k = 0; k < s->n_fuls; k++)
        if (ful_task(&s->fuls[k], task) == C7_DRAFT)
            return C7_DRAFT;
    return C7_NA;
}

static int picked_any(const c7sale *s)
{
    for (size_t k = 0; k < s->n_fuls; k++)
        if (s->fuls[k].pick == C7_AUTH)
            return 1;
    return 0;
}

const char *c7sale_tracking(const c7sale *s)
{
    for (size_t k = s->n_fuls; k-- > 0;)
        if (s->fuls[k].tracking[0])
            return s->fuls[k].tracking;
    return "";
}

const char *c7sale_status(const c7sale *s)
{
    if (s->voided)
        return "VOIDED";
    if (s->order == C7_NA) {
        if (s->quote == C7_AUTH || s->skip_quote)
            return "ESTIMATED";
        return s->quote == C7_DRAFT ? "ESTIMATING" : "DRAFT";
    }
    if (s->order == C7_DRAFT)
        return "ORDERING";
    const char *waiting = backordered(s) ? "BACKORDERED" : "ORDERED";
    int invoiced = s->invoice == C7_AUTH || s->invoice == C7_PAID;
    if (s->type == C7_ADVANCED)
        return sale_task(s, TASK_SHIP) == C7_AUTH && invoiced ? "COMPLETED" : waiting;
    /* A Simple sale has its one fulfilment (made when the order was
     * authorised). */
    static const c7ful none = {.pick = C7_NA};
    const c7ful *f = s->n_fuls ? &s->fuls[0] : &none;
    if (s->invoice == C7_PAID && f->ship == C7_AUTH)
        return "COMPLETED";
    if (invoiced)
        return "INVOICED";
    if (s->invoice == C7_DRAFT)
        return "INVOICING";
    static const char *const stages[][2] = {{"SHIPPING", NULL}, {"PACKING", "PACKED"},
                                            {"PICKING", "PICKED"}};
    const int tasks[] = {f->ship, f->pack, f->pick};
    for (size_t i = 0; i < 3; i++) {
        if (tasks[i] == C7_DRAFT)
            return stages[i][0];
        if (tasks[i] == C7_AUTH && stages[i][1])
            return stages[i][1];
    }
    return waiting;
}

c7combined c7sale_combined(const c7sale *s)
{
    if (s->voided)
        return (c7combined){"VOIDED", "VOIDED", "VOIDED", "VOIDED", "VOIDED", "VOIDED"};
    if (s->order != C7_AUTH)
        return (c7combined){"NOT AVAILABLE", "NOT AVAILABLE", "NOT AVAILABLE", "NOT AVAILABLE",
                            "UNPAID",        "NOT AVAILABLE"};
    static const char *const pick[] = {"NOT PICKED", "PICKING", "PICKED"};
    static const char *const pack[] = {"NOT PACKED", "PACKING", "PACKED"};
    static const char *const ship[] = {"NOT SHIPPED", "SHIPPING", "SHIPPED"};
    int shipped = sale_task(s, TASK_SHIP);
    return (c7combined){
        pick[sale_task(s, TASK_PICK)],
        pack[sale_task(s, TASK_PACK)],
        ship[shipped],
        s->invoice == C7_AUTH || s->invoice == C7_PAID ? "INVOICED" : "NOT INVOICED",
        s->invoice == C7_PAID ? "PAID" : "UNPAID",
        shipped == C7_AUTH              ? "FULFILLED"
        : units_done(s, TASK_SHIP) > 0 ? "PARTIALLY FULFILLED"
                                        : "NOT FULFILLED",
    };
}

const char *c7sale_ful_status(const c7sale *s, const c7ful *f)
{
    if (s->voided)
        return "VOIDED";
    return f->ship == C7_AUTH ? "FULFILLED" : "NOT FULFILLED";
}

/* ---- journal ---------------------------------------------------------------- */

static cJSON *sale_fields(const c7world *w, const c7sale *s)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "id", s->id);
    cJSON_AddStringToObject(f, "order_number", s->number);
    c7render_str_or_null(f, "customer_reference", s->customer_reference);
    cJSON_AddStringToObject(f, "location", w->locs[s->location].name);
    return f;
}

/* The sale's status moved (task: what did it). */
static void status_entry(c7world *w, const c7sale *s, const char *task)
{
    cJSON *f = sale_fields(w, s);
    cJSON_AddStringToObject(f, "status", c7sale_status(s));
    cJSON_AddStringToObject(f, "task", task);
    c7combined c = c7sale_combined(s);
    cJSON_AddStringToObject(f, "shipping_status", c.ship);
    /* The instant of the change, read before journaling: delays measured
     * between stage_t values are exact. */
    cJSON_AddNumberToObject(f, "stage_t", (double)s->updated_ms);
    const char *trk = c7sale_tracking(s);
    if (trk[0])
        cJSON_AddStringToObject(f, "tracking_number", trk);
    c7w_journal(w, "sale_status", f);
}

/* A fulfilment's shipment was authorised: what it took, per order line. */
static void shipment_entry(c7world *w, const c7sale *s, size_t fi, int complete)
{
    const c7ful *fu = &s->fuls[fi];
    cJSON *f = sale_fields(w, s);
    cJSON_AddStringToObject(f, "task_id", fu->task_id);
    cJSON_AddNumberToObject(f, "fulfilment", (double)(fi + 1));
    cJSON_AddItemToObject(f, "lines", c7render_ful_lines(w, s, fu));
    c7render_str_or_null(f, "tracking_number", fu->tracking[0] ? fu->tracking : NULL);
    cJSON_AddNumberToObject(f, "stage_t", (double)fu->shipped_ms);
    cJSON_AddBoolToObject(f, "complete", complete);
    c7w_journal(w, "sale_shipment", f);
}

/* ---- the floor and the accounts ------------------------------------------------ */

static void schedule_step(c7world *w, long si, int step, int64_t delay)
{
    c7w_schedule(w, C7EV_SALE_STEP, c7w_now(w) + (delay > 0 ? delay : 0), si, step);
}

/* A task of fulfilment fi that takes delay: DRAFT task_draft_for before it
 * is authorised. */
static void schedule_task(c7world *w, long si, size_t fi, int draft_step, int64_t delay)
{
    if (delay == C7_NEVER)
        return;
    int base = (int)fi * STEP_FUL;
    schedule_step(w, si, base + draft_step, delay - w->cfg->task_draft_ms);
    schedule_step(w, si, base + draft_step + 1, delay);
}

/* Whether a new fulfilment may start: units are held for it, and nothing
 * is backordered unless the config ships what is held first. */
static int can_start(const c7world *w, const c7sale *s)
{
    return units_held(s) > 0 && (!backordered(s) || w->cfg->ship_allocated);
}

/* Schedules the pick of fulfilment fi, not planned yet, after delay. */
static void schedule_start(c7world *w, long si, size_t fi, int64_t delay)
{
    c7sale *s = &w->sales[si];
    if (s->pick_due || !can_start(w, s) || delay == C7_NEVER)
        return;
    s->pick_due = 1;
    schedule_task(w, si, fi, STEP_PICK_DRAFT, delay);
}

/* Schedules what comes next for an authorised sale: the next task of its
 * current fulfilment; once that shipped, the next fulfilment (after
 * split_gap for a split sale's second half, pick_after otherwise) while
 * units are left, else the invoice and the payment. */
static void floor_next(c7world *w, long si)
{
    const c7sale *s = &w->sales[si];
    const c7cfg *cfg = w->cfg;
    size_t fi = s->n_fuls - 1;
    const c7ful *f = &s->fuls[fi];
    if (f->pick != C7_AUTH) {
        if (!f->lines)
            schedule_start(w, si, fi, cfg->pick_after_ms);
    } else if (f->pack != C7_AUTH) {
        schedule_task(w, si, fi, STEP_PACK_DRAFT, cfg->pack_after_ms);
    } else if (f->ship != C7_AUTH) {
        schedule_task(w, si, fi, STEP_SHIP_DRAFT, cfg->ship_after_ms);
    } else if (units_done(s, TASK_SHIP) < units_total(s)) {
        schedule_start(w, si, fi + 1, f->split_first ? cfg->split_gap_ms : cfg->pick_after_ms);
    } else if (s->invoice == C7_DRAFT && cfg->sale_invoice_ms != C7_NEVER) {
        schedule_step(w, si, STEP_INVOICE, cfg->sale_invoice_ms);
    } else if (s->invoice == C7_AUTH && cfg->sale_pay_ms != C7_NEVER) {
        schedule_step(w, si, STEP_PAY, cfg->sale_pay_ms);
    }
}

/* Stock filled the last backorder of a sale: the floor goes on, unless a
 * fulfilment is under way or the next one's pick is due already (the sale
 * shipped what it held first: sales.ship_allocated). */
static void floor_resume(c7world *w, long si)
{
    const c7sale *s = &w->sales[si];
    const c7ful *f = &s->fuls[s->n_fuls - 1];
    if (s->pick_due || (f->lines && f->ship != C7_AUTH))
        return;
    floor_next(w, si);
}

/* Staff plan fulfilment fi as its pick starts: the units held for the sale,
 * or for the first half of a split sale the first ceil(U/2) whole units of
 * the U held, in line order. A fulfilment that leaves units of the sale to
 * another makes it Advanced (the reference: a Simple sale has a "single
 * invoice/fulfilment/credit note"; POST sale/fulfilment turns it Advanced). */
static void plan(c7sale *s, size_t fi)
{
    c7ful *f = &s->fuls[fi];
    qty4 held = units_held(s), take = held;
    if (fi == 0 && s->split) {
        qty4 half = (held + 2 * QTY4_ONE - 1) / (2 * QTY4_ONE) * QTY4_ONE;
        if (half < held) {
            take = half;
            f->split_first = 1;
        }
    }
    size_t n = s->order_lines.n;
    f->lines = xcalloc(n ? n : 1, sizeof *f->lines);
    for (size_t i = 0; i < n; i++) {
        qty4 a = s->order_lines.lines[i].allocated;
        f->lines[i].qty = a < take ? a : take;
        take -= f->lines[i].qty;
    }
    if (fi > 0 || c7sale_ful_units(s, f) < units_total(s))
        s->type = C7_ADVANCED;
}

/* The fulfilment a pick step acts on, made and planned when it has not
 * been (its TaskID a fresh GUID); NULL when it cannot start. A fulfilment
 * after the first starts once the one before shipped (the reference's
 * POST sale/fulfilment wants every earlier pick authorised). */
static c7ful *pick_ful(c7world *w, c7sale *s, size_t fi)
{
    if (fi < s->n_fuls && s->fuls[fi].lines)
        return &s->fuls[fi];
    if (fi > s->n_fuls || !can_start(w, s))
        return NULL;
    if (fi == s->n_fuls) {
        if (s->fuls[fi - 1].ship != C7_AUTH)
            return NULL;
        s->fuls = xrealloc(s->fuls, (s->n_fuls + 1) * sizeof *s->fuls);
        c7ful *f = &s->fuls[s->n_fuls++];
        memset(f, 0, sizeof *f);
        c7w_guid(w, f->task_id);
        f->shipped_ms = -1;
    }
    plan(s, fi);
    s->pick_due = 0;
    return &s->fuls[fi];
}

/* Moves want units of a line's holds, first held first, into the picks of
 * its part of a fulfilment. */
static void take_holds(c7line *ln, qty4 want, c7fline *fl)
{
    size_t k = 0;
    while (want > 0 && k < ln->n_holds) {
        c7hold *h = &ln->holds[k];
        qty4 t = h->qty < want ? h->qty : want;
        fl->picks = xrealloc(fl->picks, (fl->n_picks + 1) * sizeof *fl->picks);
        fl->picks[fl->n_picks++] = (c7hold){.lot = h->lot, .qty = t};
        h->qty -= t;
        want -= t;
        if (h->qty == 0)
            k++;
    }
    memmove(ln->holds, ln->holds + k, (ln->n_holds - k) * sizeof *ln->holds);
    ln->n_holds -= k;
    if (ln->n_holds == 0) {
        free(ln->holds);
        ln->holds = NULL;
    }
}

/* Picking: the fulfilment's held units leave the shelves (and stay known
 * by lot). */
static void do_pick(c7world *w, c7sale *s, c7ful *f)
{
    for (size_t i = 0; i < s->order_lines.n; i++) {
        c7line *ln = &s->order_lines.lines[i];
        c7fline *fl = &f->lines[i];
        if (fl->qty <= 0)
            continue;
        c7cell *c = &w->prods[ln->product].cells[s->location];
        c7before before = c7stock_before(c);
        take_holds(ln, fl->qty, fl);
        c7stock_take_held(w, ln->product, s->location, fl->picks, fl->n_picks);
        ln->picked += fl->qty;
        ln->allocated -= fl->qty;
        c7stock_note(w, ln->product, s->location, &before, "sale_picked", s->id);
    }
}

/* Fulfilment fi's shipment is authorised. The invoice is drafted when the
 * sale's last unit ships (one invoice per sale: mock's choice). */
static void do_ship(c7world *w, c7sale *s, size_t fi, int with_tracking)
{
    c7ful *f = &s->fuls[fi];
    if (with_tracking)
        snprintf(f->tracking, sizeof f->tracking, "TRK%010" PRIu64,
                 rng_next(&w->ids) % UINT64_C(10000000000));
    f->ship = C7_AUTH;
    f->shipped_ms = s->updated_ms;
    int complete = units_done(s, TASK_SHIP) >= units_total(s);
    if (complete) {
        s->shipped_ms = s->updated_ms;
        s->invoice = C7_DRAFT; /* the accountant drafts the invoice on shipping */
    }
    status_entry(w, s, "ship");
    shipment_entry(w, s, fi, complete);
    c7hooks_sale_shipped(w, s, f);
    if (f->tracking[0])
        c7hooks_sale_event(w, "Sale/ShipmentTrackingNumberChanged", s);
}

static void scheduled_void(c7world *w, long si);

/* A pick, pack or ship step of fulfilment fi. Each task waits for the one
 * before; a step that finds its task done already (a repeat) does nothing. */
static int task_step(c7world *w, long si, int step, size_t fi)
{
    static const char *const names[] = {"pick", "pick", "pack", "pack", "ship", "ship"};
    c7sale *s = &w->sales[si];
    c7ful *f = NULL;
    if (step <= STEP_PICK)
        f = pick_ful(w, s, fi);
    else if (fi < s->n_fuls && s->fuls[fi].lines)
        f = &s->fuls[fi];
    if (!f)
        return 0;
    int *task = step <= STEP_PICK ? &f->pick : step <= STEP_PACK ? &f->pack : &f->ship;
    int ready = step <= STEP_PICK ? 1 : step <= STEP_PACK ? f->pick == C7_AUTH : f->pack == C7_AUTH;
    switch (step) {
    case STEP_PICK_DRAFT:
    case STEP_PACK_DRAFT:
    case STEP_SHIP_DRAFT:
        if (ready && *task == C7_NA) {
            *task = C7_DRAFT;
            status_entry(w, s, names[step]);
        }
        return 0;
    case STEP_SHIP:
        if (!ready || *task == C7_AUTH)
            return 0;
        do_ship(w, s, fi, 1);
        return 1;
    default: /* STEP_PICK, STEP_PACK */
        if (!ready || *task == C7_AUTH)
            return 0;
        *task = C7_AUTH;
        if (step == STEP_PICK)
            do_pick(w, s, f);
        status_entry(w, s, names[step]);
        c7hooks_sale_event(w, step == STEP_PICK ? "Sale/PickAuthorised" : "Sale/PackAuthorised", s);
        return 1;
    }
}

void c7sale_step(c7world *w, long si, int arg)
{
    c7sale *s = &w->sales[si];
    int step = arg % STEP_FUL;
    size_t fi = (size_t)(arg / STEP_FUL);
    if (step == STEP_VOID) {
        scheduled_void(w, si);
        return;
    }
    if (s->voided || s->order != C7_AUTH || (backordered(s) && !w->cfg->ship_allocated))
        return;
    s->updated_ms = c7w_now(w);
    switch (step) {
    case STEP_INVOICE:
        if (s->invoice != C7_DRAFT)
            return;
        s->invoice = C7_AUTH;
        s->invoiced_ms = s->updated_ms;
        snprintf(s->invoice_number, sizeof s->invoice_number, "INV-%05zu",
                 ++w->n_sale_invoices);
        status_entry(w, s, "invoice");
        c7hooks_sale_event(w, "Sale/InvoiceAuthorised", s);
        break;
    case STEP_PAY:
        if (s->invoice != C7_AUTH)
            return;
        s->invoice = C7_PAID;
        status_entry(w, s, "payment");
        c7hooks_sale_event(w, "Sale/FullPaymentReceived", s);
        break;
    default:
        if (step > STEP_SHIP || !task_step(w, si, step, fi))
            return;
        break;
    }
    floor_next(w, si);
}

/* AutoPickPackShipMode: the tasks the mode authorises at once (Simple
 * sales without a backorder only, as the reference says), on the sale's
 * one fulfilment, whole. */
static void auto_tasks(c7world *w, c7sale *s, c7_auto_mode mode)
{
    if (mode == C7_NOPICK || s->type != C7_SIMPLE || backordered(s))
        return;
    s->split = 0;
    c7ful *f = pick_ful(w, s, 0);
    if (!f)
        return;
    f->pick = C7_AUTH;
    do_pick(w, s, f);
    status_entry(w, s, "pick");
    c7hooks_sale_event(w, "Sale/PickAuthorised", s);
    if (mode == C7_AUTOPICK)
        return;
    f->pack = C7_AUTH;
    status_entry(w, s, "pack");
    c7hooks_sale_event(w, "Sale/PackAuthorised", s);
    if (mode == C7_AUTOPICKPACKSHIP)
        do_ship(w, s, 0, 0); /* an automatic shipment has no tracking number */
}

/* ---- authorising and backorders ------------------------------------------------- */

static void remove_backordered(c7world *w, long si)
{
    size_t k = 0;
    for (size_t i = 0; i < w->n_backordered; i++)
        if (w->backordered[i] != si)
            w->backordered[k++] = w->backordered[i];
    w->n_backordered = k;
}

/* Whether line i is the first of the sale's order lines with its product. */
static int first_line_of(const c7sale *s, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (s->order_lines.lines[k].product == s->order_lines.lines[i].product)
            return 0;
    return 1;
}

/* Auto-assembly (Cin7 Core help, "Auto-assembly" and "Bill of materials
 * (assembly)"): authorising a sale of an auto-assembled product assembles
 * it from the components at the sale's location, enough for the line once
 * the product's own stock there is used, in whole units and only when the
 * components cover all of them ("never a partial assembly"); otherwise
 * nothing is assembled and the line backorders. The components leave the
 * location's shelves (journaled "assembly", stock cause "assembly") and the
 * units join the product's stock there, for the line to allocate. */
static void assemble(c7world *w, const c7sale *s, long p, qty4 want)
{
    long l = s->location;
    c7cell *cell = &w->prods[p].cells[l];
    qty4 own = c7stock_sum(cell).available;
    if (own >= want)
        return;
    qty4 units = (want - own + QTY4_ONE - 1) / QTY4_ONE * QTY4_ONE;
    if (c7stock_makeable(w, p, l) < units)
        return;
    const c7prod *pr = &w->prods[p];
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "sale", s->id);
    cJSON_AddStringToObject(f, "sku", pr->sku);
    cJSON_AddStringToObject(f, "location", w->locs[l].name);
    qty4_add(f, "qty", units);
    cJSON *comps = cJSON_AddArrayToObject(f, "components");
    for (size_t k = 0; k < pr->n_bom; k++) {
        long cp = pr->bom[k];
        qty4 take = qty4_muldiv(pr->bom_qty[k], units, QTY4_ONE);
        c7stock_take_noted(w, cp, l, take, "assembly", s->id);
        w->prods[cp].cells[l].consumed += take;
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "sku", w->prods[cp].sku);
        qty4_add(c, "qty", take);
        cJSON_AddItemToArray(comps, c);
    }
    c7w_journal(w, "assembly", f);
    counters_add(w->ctr, "assembled units", qty4_floor(units));
    cell = &w->prods[p].cells[l];
    size_t lot = c7stock_lot(w, cell, NULL, NULL, -1);
    cell->lots[lot].on_hand += units;
    cell->assembled += units;
}

/* Whether a sale falls in a share of the sales: a draw from the run's seed
 * and the sale's number (stream tells the draws apart), so a run replays. */
static int drawn(const c7world *w, long si, uint64_t stream, double share)
{
    if (share <= 0)
        return 0;
    rng g;
    rng_derive(&g, mockd_seed(w->m), stream + (uint64_t)si + 1);
    return rng_uniform(&g) < share;
}

static void sale_authorise(c7world *w, long si, c7_auto_mode mode)
{
    c7sale *s = &w->sales[si];
    s->order = C7_AUTH;
    s->authorised_ms = s->updated_ms = c7w_now(w);
    /* Its first fulfilment, whose TaskID was drawn with the sale. */
    s->fuls = xcalloc(1, sizeof *s->fuls);
    s->n_fuls = 1;
    memcpy(s->fuls[0].task_id, s->task_id, sizeof s->task_id);
    s->fuls[0].shipped_ms = -1;
    s->split = drawn(w, si, DRAW_SPLIT, w->cfg->split_share);
    if (drawn(w, si, DRAW_VOID, w->cfg->void_share))
        schedule_step(w, si, STEP_VOID, w->cfg->void_after_ms);
    /* Allocation first, so the journal names the backorders before the
     * stock entries show their effect. Lines of one product share a cell:
     * its figures are taken before its first line allocates, and noted
     * once, at that line, with all its lines' effect. */
    c7before *before = xcalloc(s->order_lines.n + 1, sizeof *before);
    for (size_t i = 0; i < s->order_lines.n; i++) {
        c7line *ln = &s->order_lines.lines[i];
        if (first_line_of(s, i))
            before[i] = c7stock_before(&w->prods[ln->product].cells[s->location]);
        if (w->prods[ln->product].auto_assembly)
            assemble(w, s, ln->product, ln->qty);
        ln->allocated = c7stock_hold(w, ln->product, s->location, ln->qty, &ln->holds, &ln->n_holds);
        ln->backorder = ln->qty - ln->allocated;
    }
    cJSON *f = sale_fields(w, s);
    cJSON_AddStringToObject(f, "status", c7sale_status(s));
    cJSON_AddNumberToObject(f, "authorised_t", (double)s->authorised_ms);
    cJSON_AddItemToObject(f, "lines", c7render_journal_lines(w, s->order_lines.lines,
                                                             s->order_lines.n, 1));
    c7w_journal(w, "sale_authorised", f);
    for (size_t i = 0; i < s->order_lines.n; i++)
        if (first_line_of(s, i))
            c7stock_note(w, s->order_lines.lines[i].product, s->location, &before[i],
                         "sale_authorised", s->id);
    free(before);
    int64_t bo_lines = 0;
    for (size_t i = 0; i < s->order_lines.n; i++) {
        const c7line *ln = &s->order_lines.lines[i];
        if (ln->backorder <= 0)
            continue;
        bo_lines++;
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "sale", s->id);
        cJSON_AddStringToObject(b, "order_number", s->number);
        c7render_str_or_null(b, "customer_reference", s->customer_reference);
        cJSON_AddStringToObject(b, "sku", w->prods[ln->product].sku);
        cJSON_AddStringToObject(b, "location", w->locs[s->location].name);
        qty4_add(b, "qty", ln->backorder);
        c7w_journal(w, "backorder", b);
        counters_add(w->ctr, "backorder units", qty4_floor(ln->backorder + QTY4_ONE - 1));
    }
    c7hooks_sale_event(w, "Sale/OrderAuthorised", s);
    if (bo_lines) {
        XGROW(w->backordered, w->n_backordered, w->cap_backordered, 16);
        w->backordered[w->n_backordered++] = si;
        c7hooks_sale_event(w, "Sale/Backordered", s);
        if (w->cfg->ship_allocated)
            floor_next(w, si); /* what is held ships now */
        return;
    }
    auto_tasks(w, s, mode);
    floor_next(w, si);
}

void c7sale_fill_backorders(c7world *w, long p, long l)
{
    size_t i = 0;
    while (i < w->n_backordered) {
        long si = w->backordered[i];
        c7sale *s = &w->sales[si];
        c7cell *c = &w->prods[p].cells[l];
        if (c7stock_sum(c).available <= 0)
            return;
        if (s->location != l) {
            i++;
            continue;
        }
        for (size_t k = 0; k < s->order_lines.n; k++) {
            c7line *ln = &s->order_lines.lines[k];
            if (ln->product != p || ln->backorder <= 0)
                continue;
            c7before before = c7stock_before(c);
            qty4 take = c7stock_hold(w, p, l, ln->backorder, &ln->holds, &ln->n_holds);
            if (take <= 0)
                continue;
            ln->backorder -= take;
            ln->allocated += take;
            c7stock_note(w, p, l, &before, "backorder_filled", s->id);
            cJSON *f = cJSON_CreateObject();
            cJSON_AddStringToObject(f, "sale", s->id);
            cJSON_AddStringToObject(f, "sku", w->prods[p].sku);
            cJSON_AddStringToObject(f, "location", w->locs[l].name);
            qty4_add(f, "qty", take);
            qty4_add(f, "still_backordered", ln->backorder);
            c7w_journal(w, "backorder_filled", f);
        }
        if (!backordered(s)) {
            s->updated_ms = c7w_now(w);
            status_entry(w, s, "order");
            remove_backordered(w, si); /* the next one slides into slot i */
            floor_resume(w, si);
        } else {
            i++;
        }
    }
}

/* ---- documents --------------------------------------------------------------------- */

void c7section_free(c7section *sec)
{
    for (size_t i = 0; i < sec->n; i++) {
        c7line *ln = &sec->lines[i];
        free(ln->name);
        free(ln->tax_rule);
        free(ln->comment);
        free(ln->holds);
    }
    free(sec->lines);
    free(sec->memo);
    memset(sec, 0, sizeof *sec);
}

void c7sale_free(c7sale *s)
{
    free(s->customer_reference);
    free(s->external_id);
    free(s->note);
    free(s->client);
    cJSON_Delete(s->shipping_address);
    for (size_t k = 0; k < s->n_fuls; k++) {
        for (size_t i = 0; s->fuls[k].lines && i < s->order_lines.n; i++)
            free(s->fuls[k].lines[i].picks);
        free(s->fuls[k].lines);
    }
    free(s->fuls);
    c7section_free(&s->quote_lines);
    c7section_free(&s->order_lines);
}

static long find_sale(const c7world *w, const char *id)
{
    return id ? strmap_get(w->sale_by_id, id) : -1;
}

/* The customer a sale names: by CustomerID, else by name; both must
 * exist (the mock's customers are a resource, GET customer). */
static long resolve_customer(const c7world *w, const c7sale_in *in, c7result *r)
{
    long byid = in->customer_id ? strmap_get(w->cust_by_id, in->customer_id) : -1;
    long byname = in->customer ? strmap_get(w->cust_by_name, in->customer) : -1;
    if (in->customer_id && byid < 0) {
        c7w_fail(r, 400, "CustomerID: customer %s not found", in->customer_id);
        return -1;
    }
    if (in->customer && !in->customer_id && byname < 0) {
        c7w_fail(r, 400, "Customer: customer '%s' not found (GET customer lists them)", in->customer);
        return -1;
    }
    if (in->customer && in->customer_id && byname != byid) {
        c7w_fail(r, 400, "Customer: '%s' is not the name of customer %s", in->customer,
                 in->customer_id);
        return -1;
    }
    return byid >= 0 ? byid : byname;
}

void c7world_sale_create(c7world *w, const c7sale_in *in, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long loc = 0;
    if (in->location) {
        loc = c7w_location(w, in->location);
        if (loc < 0) {
            c7w_fail(out, 400, "Location: location '%s' not found", in->location);
            goto out;
        }
    } else if (w->n_locs == 0) {
        c7w_fail(out, 400, "Location: the account has no locations");
        goto out;
    }
    long cust = resolve_customer(w, in, out);
    if (cust < 0)
        goto out;

    XGROW(w->sales, w->n_sales, w->cap_sales, 16);
    long si = (long)w->n_sales++;
    c7sale *s = &w->sales[si];
    memset(s, 0, sizeof *s);
    c7w_guid(w, s->id);
    c7w_guid(w, s->task_id);
    snprintf(s->number, sizeof s->number, "SO-%05zu", (size_t)si + 1);
    s->customer = cust;
    s->customer_reference = c7w_dup_or_null(in->customer_reference);
    s->external_id = c7w_dup_or_null(in->external_id);
    s->note = c7w_dup_or_null(in->note);
    s->client = c7w_dup_or_null(in->client);
    s->shipping_address = in->shipping_address ? cJSON_Duplicate(in->shipping_address, 1) : NULL;
    s->location = loc;
    s->type = in->type;
    s->skip_quote = in->skip_quote;
    s->ship_by_ms = in->ship_by_ms;
    s->created_ms = s->updated_ms = c7w_now(w);
    s->authorised_ms = s->shipped_ms = s->invoiced_ms = -1;
    strmap_put(w->sale_by_id, s->id, si);

    cJSON *f = sale_fields(w, s);
    cJSON_AddStringToObject(f, "customer", w->custs[cust].name);
    cJSON_AddStringToObject(f, "customer_id", w->custs[cust].id);
    c7render_str_or_null(f, "external_id", s->external_id);
    cJSON_AddStringToObject(f, "type", s->type == C7_ADVANCED ? "Advanced Sale" : "Simple Sale");
    cJSON_AddBoolToObject(f, "skip_quote", s->skip_quote);
    cJSON_AddStringToObject(f, "status", c7sale_status(s));
    if (s->client)
        cJSON_AddStringToObject(f, "application", s->client);
    c7w_journal(w, "sale_created", f);
    counters_add(w->ctr, "sales created", 1);
    c7w_reply(out, c7render_sale(w, s));
out:
    pthread_mutex_unlock(&w->lock);
}

void c7world_sale_section(c7world *w, const char *id, int quote, const c7order_in *in,
                          const char *client, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long *prods = NULL;
    long si = find_sale(w, id);
    if (si < 0) {
        c7w_fail(out, 400, "SaleID: sale %s not found", id ? id : "");
        goto out;
    }
    c7sale *s = &w->sales[si];
    if (s->voided) {
        c7w_fail(out, 400, "SaleID: sale %s is VOIDED", s->number);
        goto out;
    }
    if (quote) {
        if (s->skip_quote) {
            c7w_fail(out, 400, "SaleID: sale %s has SkipQuote true: it has no quote (post its "
                               "lines to sale/order)", s->number);
            goto out;
        }
        if (s->quote != C7_NA && s->quote != C7_DRAFT) {
            c7w_fail(out, 400, "Status: the quote of %s is %s; only a DRAFT or NOT AVAILABLE quote "
                               "can be posted", s->number, c7_task_names[s->quote]);
            goto out;
        }
    } else {
        if (!s->skip_quote && s->quote != C7_AUTH) {
            c7w_fail(out, 400, "SaleID: the quote of %s is %s; it must be AUTHORISED (POST "
                               "sale/quote) before the order, unless the sale has SkipQuote true",
                     s->number, c7_task_names[s->quote]);
            goto out;
        }
        if (s->order != C7_NA && s->order != C7_DRAFT) {
            c7w_fail(out, 400, "Status: the order of %s is %s; only a DRAFT or NOT AVAILABLE order "
                               "can be posted", s->number, c7_task_names[s->order]);
            goto out;
        }
    }
    if (c7w_resolve_lines(w, in, 1, &prods, out))
        goto out;
    int authorise = strcmp(in->status, "AUTHORISED") == 0;
    c7w_set_section(w, quote ? &s->quote_lines : &s->order_lines, in, prods);
    s->updated_ms = c7w_now(w);
    c7section *sec = quote ? &s->quote_lines : &s->order_lines;
    if (quote)
        s->quote = authorise ? C7_AUTH : C7_DRAFT;
    else
        s->order = C7_DRAFT;
    cJSON *f = sale_fields(w, s);
    cJSON_AddStringToObject(f, quote ? "quote_status" : "order_status", in->status);
    if (client)
        cJSON_AddStringToObject(f, "application", client);
    cJSON_AddItemToObject(f, "lines", c7render_journal_lines(w, sec->lines, sec->n, 1));
    c7w_journal(w, quote ? "sale_quote" : "sale_order", f);
    if (quote && authorise)
        c7hooks_sale_event(w, "Sale/QuoteAuthorised", s);
    if (!quote && authorise)
        sale_authorise(w, si, in->auto_mode);
    c7w_reply(out, c7render_sale_section(w, &w->sales[si], quote));
out:
    free(prods);
    pthread_mutex_unlock(&w->lock);
}

void c7world_sale_get(c7world *w, const char *id, int what, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long si = find_sale(w, id);
    if (si < 0)
        c7w_fail(out, 400, "%s: sale %s not found", what == C7_GET_DOC ? "ID" : "SaleID", id ? id : "");
    else if (what == C7_GET_DOC)
        c7w_reply(out, c7render_sale(w, &w->sales[si]));
    else
        c7w_reply(out, c7render_sale_section(w, &w->sales[si], what == C7_GET_QUOTE));
    pthread_mutex_unlock(&w->lock);
}

/* Voids sale si (checked already): its allocation is released, the journal
 * says who did it (application: the API client, null for a user in Cin7's
 * own screens) and Sale/Voided goes out. */
static void void_now(c7world *w, long si, const char *client)
{
    c7sale *s = &w->sales[si];
    const char *was = c7sale_status(s);
    int was_backordered = s->order == C7_AUTH && backordered(s);
    cJSON *f = sale_fields(w, s);
    cJSON_AddStringToObject(f, "status_before", was);
    c7render_str_or_null(f, "application", client);
    cJSON_AddItemToObject(f, "lines", c7render_journal_lines(w, s->order_lines.lines,
                                                             s->order_lines.n, 1));
    s->voided = 1;
    if (s->order != C7_NA)
        s->order = C7_VOIDED;
    if (s->quote != C7_NA)
        s->quote = C7_VOIDED;
    s->updated_ms = c7w_now(w);
    c7w_journal(w, "sale_voided", f);
    for (size_t i = 0; i < s->order_lines.n; i++) {
        c7line *ln = &s->order_lines.lines[i];
        c7cell *c = &w->prods[ln->product].cells[s->location];
        c7before before = c7stock_before(c);
        c7stock_release(w, ln->product, s->location, ln->holds, ln->n_holds);
        free(ln->holds);
        ln->holds = NULL;
        ln->n_holds = 0;
        ln->allocated = 0;
        ln->backorder = 0;
        c7stock_note(w, ln->product, s->location, &before, "sale_voided", s->id);
    }
    if (was_backordered)
        remove_backordered(w, si);
    c7hooks_sale_event(w, "Sale/Voided", s);
}

/* A user voids the sale void_after after it was authorised
 * (sales.void_share), as POST /_mock/void does; a sale picked or voided by
 * then is left alone, journaled as sale_void_skipped with the reason. */
static void scheduled_void(c7world *w, long si)
{
    c7sale *s = &w->sales[si];
    const char *why = s->voided ? "voided" : picked_any(s) ? "picked" : NULL;
    if (!why) {
        void_now(w, si, NULL);
        return;
    }
    cJSON *f = sale_fields(w, s);
    cJSON_AddStringToObject(f, "status", c7sale_status(s));
    cJSON_AddStringToObject(f, "reason", why);
    c7w_journal(w, "sale_void_skipped", f);
}

void c7world_sale_void(c7world *w, const char *id, const char *client, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long si = find_sale(w, id);
    if (si < 0) {
        c7w_fail(out, 400, "ID: sale %s not found", id ? id : "");
        goto out;
    }
    c7sale *s = &w->sales[si];
    if (s->voided) {
        c7w_fail(out, 400, "ID: sale %s is already voided", s->number);
        goto out;
    }
    if (picked_any(s)) {
        c7w_fail(out, 400, "ID: sale %s is %s: stock has left the shelf, it cannot be voided",
                 s->number, c7sale_status(s));
        goto out;
    }
    void_now(w, si, client);
    c7w_reply(out, c7render_sale(w, s));
out:
    pthread_mutex_unlock(&w->lock);
}

static int matches(const char *want, const char *have)
{
    return !want || strcasecmp(want, have) == 0;
}

void c7world_sale_list(c7world *w, const c7query *q, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    cJSON *root, *arr = c7w_list_start(&root, "SaleList", q);
    int64_t total = 0;
    for (size_t i = 0; i < w->n_sales; i++) {
        const c7sale *s = &w->sales[i];
        if (q->search && !c7w_contains(s->customer_reference, q->search) &&
            !c7w_contains(s->number, q->search) &&
            !c7w_contains(w->custs[s->customer].name, q->search) &&
            !c7w_contains(s->external_id, q->search))
            continue;
        const char *order = s->voided && s->order == C7_NA ? "NOT AVAILABLE"
                                                          : c7_task_names[s->order];
        if (!matches(q->status, c7sale_status(s)) || !matches(q->order_status, order) ||
            !matches(q->quote_status, c7_task_names[s->quote]) ||
            !matches(q->shipping_status, c7sale_combined(s).ship))
            continue;
        if (q->external_id && (!s->external_id || strcmp(q->external_id, s->external_id) != 0))
            continue;
        if (q->updated_since_ms != INT64_MIN &&
            clock_epoch_ms(w->clk, s->updated_ms) < q->updated_since_ms)
            continue;
        if (q->created_since_ms != INT64_MIN &&
            clock_epoch_ms(w->clk, s->created_ms) < q->created_since_ms)
            continue;
        if (c7w_on_page(q, &total))
            cJSON_AddItemToArray(arr, c7render_sale_row(w, s));
    }
    c7w_list_end(root, total, out);
    pthread_mutex_unlock(&w->lock);
}
