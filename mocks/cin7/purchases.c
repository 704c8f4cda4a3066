/*
 * Purchases as Cin7 Core runs them (the reference's Purchase tag and its
 * "Available Purchase Statuses", operation prose of purchase/order, stock
 * and invoice, ../shared/API-NOTES.md):
 *
 *   POST advanced-purchase   the header only (supplier, location, Approach
 *                            STOCK or INVOICE, RequiredBy, ...)
 *   POST purchase            the same for the deprecated Simple Purchase,
 *                            still in the reference, so still served
 *   POST purchase/order      the lines; refused unless the order is DRAFT or
 *                            NOT AVAILABLE. AUTHORISED puts the lines on
 *                            order at the purchase's location.
 *
 * Then the dock and the accounts: the stock arrives after the supplier's
 * lead time (RECEIVED); the supplier's invoice is authorised
 * purchases.invoice_after after the receipt (Approach STOCK) or after the
 * order (Approach INVOICE, whose stock Cin7 receives only once invoiced:
 * "POST purchase/stock will return exception if Approach = INVOICE and
 * InvoiceStatus is not AUTHORISED"). Invoiced and received is COMPLETED.
 * Statuses derive from the parts (c7purchase_status).
 */
#include "world_int.h"

#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a C7EV_PURCHASE_STEP does. */
enum { PSTEP_APPROVE, PSTEP_RECEIVE, PSTEP_INVOICE };

const char *c7purchase_status(const c7purchase *p)
{
    if (p->voided)
        return "VOIDED";
    if (p->order == C7_NA)
        return "DRAFT";
    if (p->order == C7_DRAFT)
        return "ORDERING";
    int received = p->received == C7_AUTH, invoiced = p->invoice == C7_AUTH;
    if (received && invoiced)
        return "COMPLETED";
    if (invoiced)
        return "INVOICED";
    return received ? "RECEIVED" : "ORDERED";
}

/* kind: the journal's; by: who authorised or received it; client: the
 * application whose request did it (NULL: the one that created it). */
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
    cJSON_AddItemToObject(f, "lines", c7render_journal_lines(w, p->order_lines.lines,
                                                             p->order_lines.n, 0));
    c7w_journal(w, kind, f);
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

static void schedule_invoice(c7world *w, long pi)
{
    if (w->cfg->purchase_invoice_ms != C7_NEVER)
        c7w_schedule(w, C7EV_PURCHASE_STEP, c7w_now(w) + w->cfg->purchase_invoice_ms, pi,
                     PSTEP_INVOICE);
}

static void purchase_authorise(c7world *w, long pi, const char *by)
{
    c7purchase *p = &w->purs[pi];
    int64_t now = c7w_now(w);
    p->order = C7_AUTH;
    p->authorised_ms = p->updated_ms = now;
    p->due_ms = now + lead_time(w, p, pi);
    purchase_entry(w, "purchase_authorised", p, by, NULL);
    for (size_t i = 0; i < p->order_lines.n; i++) {
        const c7line *ln = &p->order_lines.lines[i];
        c7cell *c = &w->prods[ln->product].cells[p->location];
        c7before before = c7stock_before(c);
        c->on_order += ln->qty;
        c7stock_note(w, ln->product, p->location, &before, "purchase_authorised", p->id);
    }
    c7w_schedule(w, C7EV_PURCHASE_STEP, p->due_ms, pi, PSTEP_RECEIVE);
    if (p->approach == C7_INVOICE_APPROACH)
        schedule_invoice(w, pi);
    c7hooks_purchase_event(w, "Purchase/OrderAuthorised", p);
}

static void purchase_receive(c7world *w, long pi, const char *by)
{
    c7purchase *p = &w->purs[pi];
    if (p->voided || p->order != C7_AUTH || p->received == C7_AUTH)
        return;
    p->received = C7_AUTH;
    p->received_ms = p->updated_ms = c7w_now(w);
    purchase_entry(w, "purchase_received", p, by, NULL);
    for (size_t i = 0; i < p->order_lines.n; i++) {
        const c7line *ln = &p->order_lines.lines[i];
        c7cell *c = &w->prods[ln->product].cells[p->location];
        c7before before = c7stock_before(c);
        c->on_order -= ln->qty;
        c7stock_receive(w, ln->product, p->location, ln->qty);
        c7stock_note(w, ln->product, p->location, &before, "purchase_received", p->id);
    }
    for (size_t i = 0; i < p->order_lines.n; i++)
        c7sale_fill_backorders(w, p->order_lines.lines[i].product, p->location);
    c7hooks_purchase_event(w, "Purchase/StockReceivedAuthorised", p);
    if (p->approach == C7_STOCK_APPROACH)
        schedule_invoice(w, pi);
}

static void purchase_invoice(c7world *w, long pi)
{
    c7purchase *p = &w->purs[pi];
    if (p->voided || p->order != C7_AUTH || p->invoice == C7_AUTH)
        return;
    p->invoice = C7_AUTH;
    p->invoiced_ms = p->updated_ms = c7w_now(w);
    purchase_entry(w, "purchase_invoiced", p, "invoice_after", NULL);
    c7hooks_purchase_event(w, "Purchase/InvoiceAuthorised", p);
    /* Stock that came to the dock before its invoice is received now. */
    if (p->approach == C7_INVOICE_APPROACH && p->due_ms <= c7w_now(w))
        purchase_receive(w, pi, "lead_time");
}

void c7purchase_step(c7world *w, long pi, int step)
{
    if ((size_t)pi >= w->n_purs)
        return;
    c7purchase *p = &w->purs[pi];
    switch (step) {
    case PSTEP_APPROVE:
        if (!p->voided && p->order == C7_DRAFT && p->order_lines.n > 0)
            purchase_authorise(w, pi, "auto_approve");
        break;
    case PSTEP_RECEIVE:
        /* Approach INVOICE: the stock waits at the dock for the invoice. */
        if (p->approach == C7_STOCK_APPROACH || p->invoice == C7_AUTH)
            purchase_receive(w, pi, "lead_time");
        break;
    case PSTEP_INVOICE:
        purchase_invoice(w, pi);
        break;
    }
}

void c7purchase_free(c7purchase *p)
{
    free(p->terms);
    free(p->note);
    free(p->client);
    c7section_free(&p->order_lines);
}

/* ---- the API ------------------------------------------------------------------ */

static long find_purchase(const c7world *w, const char *id)
{
    return id ? strmap_get(w->pur_by_id, id) : -1;
}

/* Resolves a purchase header's supplier and location; sup and loc hold the
 * current values on entry (-1 when there are none). */
static int resolve_header(const c7world *w, const c7purchase_in *in, long *sup, long *loc,
                          c7result *r)
{
    if (in->supplier_id) {
        *sup = strmap_get(w->sup_by_id, in->supplier_id);
        if (*sup < 0) {
            c7w_fail(r, 400, "SupplierID: supplier %s not found", in->supplier_id);
            return -1;
        }
    } else if (in->supplier) {
        *sup = strmap_get(w->sup_by_name, in->supplier);
        if (*sup < 0) {
            c7w_fail(r, 400, "Supplier: supplier '%s' not found", in->supplier);
            return -1;
        }
    }
    if (*sup < 0) {
        c7w_fail(r, 400, "SupplierID: required (or Supplier, the supplier's name)");
        return -1;
    }
    const c7sup *s = &w->sups[*sup];
    if (in->location) {
        *loc = c7w_location(w, in->location);
        if (*loc < 0) {
            c7w_fail(r, 400, "Location: location '%s' not found", in->location);
            return -1;
        }
    } else if (*loc < 0) {
        if (s->n_locs)
            *loc = s->locs[0];
        else if (w->n_locs)
            *loc = 0;
        else {
            c7w_fail(r, 400, "Location: the account has no locations");
            return -1;
        }
    }
    if (s->n_locs) {
        int served = 0;
        for (size_t i = 0; i < s->n_locs; i++)
            served |= s->locs[i] == *loc;
        if (!served) {
            c7w_fail(r, 400, "Location: supplier '%s' does not deliver to '%s'", s->name,
                     w->locs[*loc].name);
            return -1;
        }
    }
    return 0;
}

static int approach_of(const char *a)
{
    return a && strcmp(a, "INVOICE") == 0 ? C7_INVOICE_APPROACH : C7_STOCK_APPROACH;
}

void c7world_purchase_create(c7world *w, const c7purchase_in *in, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long sup = -1, loc = -1;
    if (resolve_header(w, in, &sup, &loc, out))
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
    p->approach = approach_of(in->approach);
    p->terms = xstrdup(in->terms ? in->terms : w->sups[sup].payment_term);
    p->note = c7w_dup_or_null(in->note);
    p->client = c7w_dup_or_null(in->client);
    p->required_by_ms = in->has_required_by ? in->required_by_ms : -1;
    p->created_ms = p->updated_ms = c7w_now(w);
    p->authorised_ms = p->due_ms = p->received_ms = p->invoiced_ms = -1;
    strmap_put(w->pur_by_id, p->id, pi);
    counters_add(w->ctr, "purchases created", 1);
    purchase_entry(w, "purchase_created", p, NULL, NULL);
    c7w_reply(out, c7render_purchase(w, p));
out:
    pthread_mutex_unlock(&w->lock);
}

/* A purchase asked for through the endpoint of the other kind. */
static int wrong_kind(const c7purchase *p, int advanced, c7result *r)
{
    if (p->advanced == advanced)
        return 0;
    c7w_fail(r, 400, "ID: %s is %s Purchase: use the %s endpoints", p->number,
             p->advanced ? "an Advanced" : "a Simple", p->advanced ? "advanced-purchase" : "purchase");
    return -1;
}

void c7world_purchase_update(c7world *w, const c7purchase_in *in, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long pi = find_purchase(w, in->id);
    if (pi < 0) {
        c7w_fail(out, 400, "ID: purchase %s not found", in->id ? in->id : "");
        goto out;
    }
    c7purchase *p = &w->purs[pi];
    if (wrong_kind(p, in->advanced, out))
        goto out;
    if (p->voided || p->received == C7_AUTH) {
        c7w_fail(out, 400, "ID: purchase %s is %s and cannot be changed", p->number,
                 c7purchase_status(p));
        goto out;
    }
    long sup = p->supplier, loc = p->location;
    if (resolve_header(w, in, &sup, &loc, out))
        goto out;
    if ((sup != p->supplier || loc != p->location || in->approach) && p->order == C7_AUTH) {
        c7w_fail(out, 400, "%s: cannot change an authorised purchase's %s",
                 sup != p->supplier ? "Supplier" : loc != p->location ? "Location" : "Approach",
                 sup != p->supplier ? "supplier" : loc != p->location ? "location" : "approach");
        goto out;
    }
    p->supplier = sup;
    p->location = loc;
    if (in->approach)
        p->approach = approach_of(in->approach);
    if (in->terms)
        c7w_set_str(&p->terms, in->terms);
    if (in->note)
        c7w_set_str(&p->note, in->note);
    if (in->has_required_by)
        p->required_by_ms = in->required_by_ms;
    p->updated_ms = c7w_now(w);
    purchase_entry(w, "purchase_updated", p, NULL, in->client);
    c7w_reply(out, c7render_purchase(w, p));
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
        c7w_fail(out, 400, "TaskID: purchase %s not found", id ? id : "");
        goto out;
    }
    c7purchase *p = &w->purs[pi];
    if (p->voided || (p->order != C7_NA && p->order != C7_DRAFT)) {
        c7w_fail(out, 400, "Status: the order of %s is %s; only a DRAFT or NOT AVAILABLE order can "
                           "be posted", p->number, p->voided ? "VOIDED" : c7_task_names[p->order]);
        goto out;
    }
    if (c7w_resolve_lines(w, in, 0, &prods, out))
        goto out;
    c7w_set_section(w, &p->order_lines, in, prods);
    p->order = C7_DRAFT;
    p->updated_ms = c7w_now(w);
    purchase_entry(w, "purchase_updated", p, NULL, client);
    if (strcmp(in->status, "AUTHORISED") == 0)
        purchase_authorise(w, pi, "api");
    else if (w->cfg->auto_approve_ms != C7_NEVER && p->order_lines.n > 0)
        c7w_schedule(w, C7EV_PURCHASE_STEP, c7w_now(w) + w->cfg->auto_approve_ms, pi,
                     PSTEP_APPROVE);
    c7w_reply(out, c7render_purchase_order(w, p));
out:
    free(prods);
    pthread_mutex_unlock(&w->lock);
}

void c7world_purchase_get(c7world *w, const char *id, int what, int advanced, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long pi = find_purchase(w, id);
    const char *param = what == C7_GET_DOC ? "ID" : advanced ? "PurchaseID" : "TaskID";
    if (pi < 0) {
        c7w_fail(out, 400, "%s: purchase %s not found", param, id ? id : "");
    } else if (what != C7_GET_ORDER && !wrong_kind(&w->purs[pi], advanced, out)) {
        const c7purchase *p = &w->purs[pi];
        c7w_reply(out, what == C7_GET_DOC ? c7render_purchase(w, p) : c7render_purchase_stock(w, p));
    } else if (what == C7_GET_ORDER) {
        c7w_reply(out, c7render_purchase_order(w, &w->purs[pi]));
    }
    pthread_mutex_unlock(&w->lock);
}

void c7world_purchase_void(c7world *w, const char *id, const char *client, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long pi = find_purchase(w, id);
    if (pi < 0) {
        c7w_fail(out, 400, "ID: purchase %s not found", id ? id : "");
        goto out;
    }
    c7purchase *p = &w->purs[pi];
    if (p->voided || p->received == C7_AUTH) {
        c7w_fail(out, 400, "ID: purchase %s is %s and cannot be voided", p->number,
                 c7purchase_status(p));
        goto out;
    }
    int was_ordered = p->order == C7_AUTH;
    p->voided = 1;
    if (p->order != C7_NA)
        p->order = C7_VOIDED;
    p->updated_ms = c7w_now(w);
    purchase_entry(w, "purchase_voided", p, NULL, client);
    if (was_ordered)
        for (size_t i = 0; i < p->order_lines.n; i++) {
            const c7line *ln = &p->order_lines.lines[i];
            c7cell *c = &w->prods[ln->product].cells[p->location];
            c7before before = c7stock_before(c);
            c->on_order -= ln->qty;
            c7stock_note(w, ln->product, p->location, &before, "purchase_voided", p->id);
        }
    c7w_reply(out, c7render_purchase(w, p));
out:
    pthread_mutex_unlock(&w->lock);
}

void c7world_purchase_list(c7world *w, const c7query *q, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    cJSON *root, *arr = c7w_list_start(&root, "PurchaseList", q);
    int64_t total = 0;
    for (size_t i = 0; i < w->n_purs; i++) {
        const c7purchase *p = &w->purs[i];
        if (q->search && !c7w_contains(p->number, q->search) &&
            !c7w_contains(w->sups[p->supplier].name, q->search))
            continue;
        if (q->status && strcasecmp(q->status, c7purchase_status(p)) != 0)
            continue;
        if (q->order_status && strcasecmp(q->order_status, c7_task_names[p->order]) != 0)
            continue;
        if (q->updated_since_ms != INT64_MIN &&
            clock_epoch_ms(w->clk, p->updated_ms) < q->updated_since_ms)
            continue;
        if (c7w_on_page(q, &total))
            cJSON_AddItemToArray(arr, c7render_purchase_row(w, p));
    }
    c7w_list_end(root, total, out);
    pthread_mutex_unlock(&w->lock);
}

/* ---- the buyer and the dock (/_mock/ routes) ------------------------------------ */

void c7world_approve(c7world *w, const char *id, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long pi = find_purchase(w, id);
    if (pi < 0) {
        c7w_fail(out, 404, "purchase %s not found", id ? id : "");
    } else if (w->purs[pi].voided || w->purs[pi].order != C7_DRAFT || w->purs[pi].order_lines.n == 0) {
        c7w_fail(out, 409, "purchase %s is %s; only a DRAFT order with lines can be approved",
                 w->purs[pi].number, c7purchase_status(&w->purs[pi]));
    } else {
        purchase_authorise(w, pi, "approve");
        c7w_reply(out, c7render_purchase(w, &w->purs[pi]));
    }
    pthread_mutex_unlock(&w->lock);
}

void c7world_receive_now(c7world *w, const char *id, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    long pi = find_purchase(w, id);
    if (pi < 0) {
        c7w_fail(out, 404, "purchase %s not found", id ? id : "");
    } else if (w->purs[pi].voided || w->purs[pi].order != C7_AUTH ||
               w->purs[pi].received == C7_AUTH ||
               (w->purs[pi].approach == C7_INVOICE_APPROACH && w->purs[pi].invoice != C7_AUTH)) {
        c7w_fail(out, 409, "purchase %s is %s; only an ORDERED purchase (invoiced first under "
                           "Approach INVOICE) can be received",
                 w->purs[pi].number, c7purchase_status(&w->purs[pi]));
    } else {
        purchase_receive(w, pi, "receive");
        c7w_reply(out, c7render_purchase(w, &w->purs[pi]));
    }
    pthread_mutex_unlock(&w->lock);
}
