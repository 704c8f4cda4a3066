/*
 * What mock-cin7 says about its world: the Cin7 Core API's JSON shapes for
 * sales, purchases, products, suppliers, locations, customers, tax rules
 * and webhook subscriptions, with the reference's field names and casing
 * (text the mock has none of is "", as Cin7 answers it), and
 * the ground-truth state behind GET /_mock/state. Answers carry the fields
 * an integration reads and leave out the reference's long tail (attachments,
 * custom fields, accounting). Called with the world's lock held.
 */
#include "world_int.h"

#include "clock.h"
#include "mem.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void c7render_str_or_null(cJSON *o, const char *key, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

void c7render_str_or_empty(cJSON *o, const char *key, const char *v)
{
    cJSON_AddStringToObject(o, key, v ? v : "");
}

/* A unix epoch instant under key as Cin7's date text, or null when < 0. */
static void add_epoch_date(cJSON *o, const char *key, int64_t epoch_ms)
{
    if (epoch_ms < 0) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    char d[40];
    c7w_epoch_date(epoch_ms, d, sizeof d);
    cJSON_AddStringToObject(o, key, d);
}

void c7render_date(const c7world *w, cJSON *o, const char *key, int64_t sim_ms)
{
    add_epoch_date(o, key, sim_ms < 0 ? -1 : clock_epoch_ms(w->clk, sim_ms));
}

/* A line's product, as every line of an answer starts. */
static cJSON *product_line(const c7prod *p, const char *name)
{
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "ProductID", p->id);
    cJSON_AddStringToObject(l, "SKU", p->sku);
    cJSON_AddStringToObject(l, "Name", name ? name : p->name);
    return l;
}

/* What a purchase line tells of its product beyond the mock's model
 * (custom fields, dimensions, weight): keys the reference's purchase
 * answer requires (the custom fields typed string), empty. */
static void add_product_extras(cJSON *l)
{
    static const char *const dims[] = {"ProductLength", "ProductWidth", "ProductHeight",
                                       "ProductWeight"};
    for (int i = 1; i <= 10; i++) {
        char k[32];
        snprintf(k, sizeof k, "ProductCustomField%d", i);
        cJSON_AddStringToObject(l, k, "");
    }
    for (size_t i = 0; i < sizeof dims / sizeof *dims; i++)
        cJSON_AddNumberToObject(l, dims[i], 0);
    cJSON_AddStringToObject(l, "WeightUnits", "");
    cJSON_AddStringToObject(l, "DimensionsUnits", "");
}

/* A contact's AdditionalAttribute1..10 (customers "", suppliers null, as
 * the reference's examples have them). */
static void add_attributes(cJSON *o, int empty_string)
{
    for (int i = 1; i <= 10; i++) {
        char k[32];
        snprintf(k, sizeof k, "AdditionalAttribute%d", i);
        if (empty_string)
            cJSON_AddStringToObject(o, k, "");
        else
            cJSON_AddNullToObject(o, k);
    }
    cJSON_AddNullToObject(o, "AttributeSet");
}

/* An order or quote section's lines and totals into o. */
static void add_lines(const c7world *w, cJSON *o, const c7section *sec, int sale)
{
    cJSON *arr = cJSON_AddArrayToObject(o, "Lines");
    qty4 before = 0, tax = 0;
    for (size_t i = 0; i < sec->n; i++) {
        const c7line *ln = &sec->lines[i];
        const c7prod *p = &w->prods[ln->product];
        cJSON *l = product_line(p, ln->name);
        qty4_add(l, "Quantity", ln->qty);
        qty4_add(l, "Price", ln->price);
        qty4_add(l, "Discount", ln->discount);
        qty4_add(l, "Tax", ln->tax);
        cJSON_AddStringToObject(l, "TaxRule", ln->tax_rule);
        c7render_str_or_empty(l, "Comment", ln->comment);
        if (sale) {
            qty4_add(l, "AverageCost", p->cost);
            cJSON_AddBoolToObject(l, "DropShip", 0);
            qty4_add(l, "BackorderQuantity", ln->backorder);
        } else {
            cJSON_AddStringToObject(l, "SupplierSKU", "");
            add_product_extras(l);
        }
        qty4_add(l, "Total", ln->total);
        cJSON_AddItemToArray(arr, l);
        before += ln->total;
        tax += ln->tax;
    }
    cJSON_AddArrayToObject(o, "AdditionalCharges");
    qty4_add(o, "TotalBeforeTax", before);
    qty4_add(o, "Tax", tax);
    qty4_add(o, "Total", before + tax);
}

/* ---- sales ------------------------------------------------------------------ */

static void add_sale_section(const c7world *w, cJSON *o, const c7sale *s, int quote)
{
    const c7section *sec = quote ? &s->quote_lines : &s->order_lines;
    if (!quote)
        cJSON_AddStringToObject(o, "SaleOrderNumber", s->number);
    c7render_str_or_empty(o, "Memo", sec->memo);
    cJSON_AddStringToObject(o, "Status", c7_task_names[quote ? s->quote : s->order]);
    add_lines(w, o, sec, 1);
}

cJSON *c7render_sale_section(const c7world *w, const c7sale *s, int quote)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "SaleID", s->id);
    add_sale_section(w, o, s, quote);
    return o;
}

/* The address as given, every field a string ("" when not given), with
 * Cin7's display lines. */
static cJSON *shipping_address(const c7sale *s)
{
    cJSON *a = cJSON_CreateObject();
    const char *f[C7_ADDRESS_FIELDS];
    for (size_t i = 0; i < C7_ADDRESS_FIELDS; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(s->shipping_address, c7_address_fields[i]);
        f[i] = cJSON_IsString(v) ? v->valuestring : "";
        cJSON_AddStringToObject(a, c7_address_fields[i], f[i]);
    }
    sbuf d1 = SBUF_INIT, d2 = SBUF_INIT;
    sbuf_printf(&d1, "%s%s%s", f[0], *f[1] ? " " : "", f[1]);
    for (size_t i = 2; i < C7_ADDRESS_FIELDS; i++)
        if (*f[i])
            sbuf_printf(&d2, "%s%s", d2.len ? " " : "", f[i]);
    cJSON_AddStringToObject(a, "DisplayAddressLine1", sbuf_str(&d1));
    cJSON_AddStringToObject(a, "DisplayAddressLine2", sbuf_str(&d2));
    cJSON_AddBoolToObject(a, "ShipToOther", 0);
    sbuf_free(&d1);
    sbuf_free(&d2);
    return a;
}

/* One pick or pack line: units of a line from one lot. */
static cJSON *task_line(const c7world *w, const c7sale *s, const c7line *ln, const c7hold *h,
                        qty4 qty, int pack)
{
    const c7lot *lot = &w->prods[ln->product].cells[s->location].lots[h->lot];
    cJSON *l = product_line(&w->prods[ln->product], ln->name);
    cJSON_AddStringToObject(l, "Location", w->locs[s->location].name);
    cJSON_AddStringToObject(l, "LocationID", w->locs[s->location].id);
    qty4_add(l, "Quantity", qty);
    c7render_str_or_empty(l, "BatchSN", lot->batch);
    if (lot->expiry_ms >= 0)
        add_epoch_date(l, "ExpiryDate", lot->expiry_ms);
    if (pack)
        cJSON_AddStringToObject(l, "Box", "Box 1");
    return l;
}

/* A fulfilment's pick or pack lines: its picked units (by lot) once its
 * pick is authorised; while the pick is DRAFT, the units it will take of
 * those held, first held first. */
static void task_lines(const c7world *w, const c7sale *s, const c7ful *f, cJSON *lines, int pack)
{
    for (size_t i = 0; f->lines && i < s->order_lines.n; i++) {
        const c7line *ln = &s->order_lines.lines[i];
        const c7fline *fl = &f->lines[i];
        if (f->pick == C7_AUTH) {
            for (size_t k = 0; k < fl->n_picks; k++)
                cJSON_AddItemToArray(lines, task_line(w, s, ln, &fl->picks[k], fl->picks[k].qty, pack));
            continue;
        }
        qty4 left = fl->qty;
        for (size_t k = 0; k < ln->n_holds && left > 0; k++) {
            qty4 q = ln->holds[k].qty < left ? ln->holds[k].qty : left;
            cJSON_AddItemToArray(lines, task_line(w, s, ln, &ln->holds[k], q, pack));
            left -= q;
        }
    }
}

static cJSON *fulfilment(const c7world *w, const c7sale *s, size_t fi)
{
    const c7ful *fu = &s->fuls[fi];
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "TaskID", fu->task_id);
    cJSON_AddNumberToObject(f, "FulfillmentNumber", (double)(fi + 1));
    cJSON_AddStringToObject(f, "LinkedInvoiceNumber", "");
    cJSON_AddStringToObject(f, "FulFilmentStatus", c7sale_ful_status(s, fu));
    const char *names[] = {"Pick", "Pack"};
    const int status[] = {fu->pick, fu->pack};
    for (int k = 0; k < 2; k++) {
        cJSON *st = cJSON_AddObjectToObject(f, names[k]);
        cJSON_AddStringToObject(st, "Status", c7_task_names[status[k]]);
        cJSON *lines = cJSON_AddArrayToObject(st, "Lines");
        if (status[k] != C7_NA)
            task_lines(w, s, fu, lines, k == 1);
    }
    cJSON *ship = cJSON_AddObjectToObject(f, "Ship");
    cJSON_AddStringToObject(ship, "Status", c7_task_names[fu->ship]);
    if (s->ship_by_ms >= 0)
        add_epoch_date(ship, "RequireBy", s->ship_by_ms);
    cJSON_AddItemToObject(ship, "ShippingAddress", shipping_address(s));
    cJSON_AddStringToObject(ship, "ShippingNotes", "");
    cJSON *lines = cJSON_AddArrayToObject(ship, "Lines");
    if (fu->ship != C7_NA) {
        cJSON *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "ID", fu->task_id);
        c7render_date(w, l, "ShipmentDate", fu->ship == C7_AUTH ? fu->shipped_ms : s->updated_ms);
        cJSON_AddStringToObject(l, "Carrier", "DEFAULT Carrier");
        cJSON_AddStringToObject(l, "Boxes", "Box 1");
        cJSON_AddStringToObject(l, "TrackingNumber", fu->tracking);
        cJSON_AddStringToObject(l, "TrackingURL", "");
        cJSON_AddBoolToObject(l, "IsShipped", fu->ship == C7_AUTH);
        cJSON_AddItemToArray(lines, l);
    }
    return f;
}

/* The customer fields; ExternalID unset is null in a sale (its reference
 * example) and "" in a saleList row (typed string there, and so in its
 * example). */
static void add_customer(const c7world *w, cJSON *o, const c7sale *s, int row)
{
    cJSON_AddStringToObject(o, "Customer", w->custs[s->customer].name);
    cJSON_AddStringToObject(o, "CustomerID", w->custs[s->customer].id);
    c7render_str_or_empty(o, "CustomerReference", s->customer_reference);
    if (row)
        c7render_str_or_empty(o, "ExternalID", s->external_id);
    else
        c7render_str_or_null(o, "ExternalID", s->external_id);
    /* Read-only in Cin7 (the sale's source); the mock's sales come from
     * the API. */
    cJSON_AddStringToObject(o, "SourceChannel", "");
}

static void add_combined(cJSON *o, const c7sale *s)
{
    c7combined c = c7sale_combined(s);
    cJSON_AddStringToObject(o, "CombinedPickingStatus", c.pick);
    cJSON_AddStringToObject(o, "CombinedPackingStatus", c.pack);
    cJSON_AddStringToObject(o, "CombinedShippingStatus", c.ship);
    cJSON_AddStringToObject(o, "CombinedInvoiceStatus", c.invoice);
    cJSON_AddStringToObject(o, "CombinedPaymentStatus", c.payment);
    /* Every shipment's tracking number, in fulfilment order, joined by ", "
     * (mock's choice: the reference shows the field only empty). */
    sbuf t = SBUF_INIT;
    for (size_t k = 0; k < s->n_fuls; k++)
        if (s->fuls[k].tracking[0])
            sbuf_printf(&t, "%s%s", t.len ? ", " : "", s->fuls[k].tracking);
    cJSON_AddStringToObject(o, "CombinedTrackingNumbers", sbuf_str(&t));
    sbuf_free(&t);
    cJSON_AddStringToObject(o, "FulFilmentStatus", c.fulfilment);
}

static const char *type_name(const c7sale *s)
{
    return s->type == C7_ADVANCED ? "Advanced Sale" : "Simple Sale";
}

cJSON *c7render_sale(const c7world *w, const c7sale *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ID", s->id);
    add_customer(w, o, s, 0);
    cJSON_AddStringToObject(o, "Location", w->locs[s->location].name);
    cJSON_AddStringToObject(o, "Status", c7sale_status(s));
    cJSON_AddStringToObject(o, "Type", type_name(s));
    cJSON_AddBoolToObject(o, "SkipQuote", s->skip_quote);
    c7render_date(w, o, "SaleOrderDate", s->created_ms);
    c7render_date(w, o, "LastModifiedOn", s->updated_ms);
    if (s->ship_by_ms >= 0)
        add_epoch_date(o, "ShipBy", s->ship_by_ms);
    cJSON_AddItemToObject(o, "ShippingAddress", shipping_address(s));
    c7render_str_or_empty(o, "Note", s->note);
    cJSON_AddStringToObject(o, "BaseCurrency", "USD");
    cJSON_AddStringToObject(o, "CustomerCurrency", "USD");
    add_combined(o, s);
    if (!s->skip_quote)
        add_sale_section(w, cJSON_AddObjectToObject(o, "Quote"), s, 1);
    add_sale_section(w, cJSON_AddObjectToObject(o, "Order"), s, 0);
    cJSON *fs = cJSON_AddArrayToObject(o, "Fulfilments");
    for (size_t k = 0; s->order == C7_AUTH && k < s->n_fuls; k++)
        cJSON_AddItemToArray(fs, fulfilment(w, s, k));
    return o;
}

cJSON *c7render_sale_row(const c7world *w, const c7sale *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "SaleID", s->id);
    cJSON_AddStringToObject(o, "OrderNumber", s->number);
    cJSON_AddStringToObject(o, "Status", c7sale_status(s));
    c7render_date(w, o, "OrderDate", s->created_ms);
    add_customer(w, o, s, 1);
    cJSON_AddStringToObject(o, "OrderStatus", c7_task_names[s->order]);
    cJSON_AddStringToObject(o, "QuoteStatus", c7_task_names[s->quote]);
    add_combined(o, s);
    cJSON_AddStringToObject(o, "OrderLocationID", w->locs[s->location].id);
    /* Every key the row's schema requires is there, null where the
     * reference's examples show null for what a sale does not have. */
    add_epoch_date(o, "ShipBy", s->ship_by_ms);
    if (s->invoice_number[0]) {
        cJSON_AddStringToObject(o, "InvoiceNumber", s->invoice_number);
        c7render_date(w, o, "InvoiceDate", s->invoiced_ms);
        /* Due after the customer's payment term (30 days, as rendered). */
        c7render_date(w, o, "InvoiceDueDate", s->invoiced_ms + INT64_C(30) * 86400000);
    } else {
        cJSON_AddNullToObject(o, "InvoiceNumber");
        cJSON_AddNullToObject(o, "InvoiceDate");
        cJSON_AddNullToObject(o, "InvoiceDueDate");
    }
    /* The mock makes no credit notes, so nothing to restock either. */
    cJSON_AddNullToObject(o, "CreditNoteNumber");
    cJSON_AddStringToObject(o, "CreditNoteStatus", "NOT AVAILABLE");
    cJSON_AddStringToObject(o, "RestockStatus", "NOT AVAILABLE");
    qty4 total = 0;
    for (size_t i = 0; i < s->order_lines.n; i++)
        total += s->order_lines.lines[i].total + s->order_lines.lines[i].tax;
    int invoiced = s->invoice == C7_AUTH || s->invoice == C7_PAID;
    qty4_add(o, "InvoiceAmount", invoiced ? total : 0);
    qty4_add(o, "PaidAmount", s->invoice == C7_PAID ? total : 0);
    cJSON_AddStringToObject(o, "BaseCurrency", "USD");
    cJSON_AddStringToObject(o, "CustomerCurrency", "USD");
    cJSON_AddStringToObject(o, "Type", type_name(s));
    c7render_date(w, o, "Updated", s->updated_ms);
    return o;
}

/* ---- purchases -------------------------------------------------------------- */

static void add_purchase_order_fields(const c7world *w, cJSON *o, const c7purchase *p)
{
    cJSON_AddStringToObject(o, "Status", c7_task_names[p->order]);
    c7render_str_or_empty(o, "Memo", p->order_lines.memo);
    add_lines(w, o, &p->order_lines, 0);
}

cJSON *c7render_purchase_order(const c7world *w, const c7purchase *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "TaskID", p->id);
    add_purchase_order_fields(w, o, p);
    return o;
}

static const char *receiving_status(const c7purchase *p)
{
    return p->voided ? "VOIDED" : p->order != C7_AUTH ? "NOT AVAILABLE"
                      : p->received == C7_AUTH     ? "FULLY RECEIVED"
                                                   : "NOT RECEIVED";
}

static const char *invoice_status(const c7purchase *p)
{
    return p->voided ? "VOIDED" : p->order != C7_AUTH ? "NOT AVAILABLE"
                      : p->invoice == C7_AUTH      ? "INVOICED"
                                                   : "NOT INVOICED";
}

/* The stock received section: {Status, Lines[...]} (with TaskID for an
 * advanced purchase's tasks). */
static cJSON *stock_section(const c7world *w, const c7purchase *p)
{
    cJSON *sr = cJSON_CreateObject();
    if (p->advanced)
        cJSON_AddStringToObject(sr, "TaskID", p->id);
    cJSON_AddStringToObject(sr, "Status", c7_task_names[p->received]);
    cJSON *lines = cJSON_AddArrayToObject(sr, "Lines");
    for (size_t i = 0; p->received == C7_AUTH && i < p->order_lines.n; i++) {
        const c7line *ln = &p->order_lines.lines[i];
        cJSON *l = product_line(&w->prods[ln->product], ln->name);
        qty4_add(l, "Quantity", ln->qty);
        cJSON_AddStringToObject(l, "Location", w->locs[p->location].name);
        cJSON_AddStringToObject(l, "LocationID", w->locs[p->location].id);
        c7render_date(w, l, "Date", p->received_ms);
        /* Received loose: no batch, no expiry. */
        cJSON_AddStringToObject(l, "BatchSN", "");
        cJSON_AddNullToObject(l, "ExpiryDate");
        cJSON_AddStringToObject(l, "SupplierSKU", "");
        cJSON_AddBoolToObject(l, "Received", 1);
        cJSON_AddItemToArray(lines, l);
    }
    return sr;
}

static cJSON *invoice_section(const c7purchase *p)
{
    cJSON *inv = cJSON_CreateObject();
    if (p->advanced)
        cJSON_AddStringToObject(inv, "TaskID", p->id);
    cJSON_AddStringToObject(inv, "Status", c7_task_names[p->invoice]);
    cJSON_AddArrayToObject(inv, "Lines");
    return inv;
}

cJSON *c7render_purchase_stock(const c7world *w, const c7purchase *p)
{
    if (!p->advanced) {
        cJSON *sr = stock_section(w, p);
        cJSON_AddStringToObject(sr, "TaskID", p->id);
        return sr;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "PurchaseID", p->id);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "StockReceiving"), stock_section(w, p));
    return o;
}

cJSON *c7render_purchase(const c7world *w, const c7purchase *p)
{
    const c7sup *s = &w->sups[p->supplier];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ID", p->id);
    cJSON_AddStringToObject(o, "Supplier", s->name);
    cJSON_AddStringToObject(o, "SupplierID", s->id);
    cJSON_AddStringToObject(o, "Location", w->locs[p->location].name);
    cJSON_AddStringToObject(o, "OrderNumber", p->number);
    c7render_date(w, o, "OrderDate", p->created_ms);
    add_epoch_date(o, "RequiredBy", p->required_by_ms);
    cJSON_AddStringToObject(o, "Status", c7purchase_status(p));
    cJSON_AddStringToObject(o, "Type", p->advanced ? "Advanced Purchase" : "Simple Purchase");
    cJSON_AddStringToObject(o, "Approach", p->approach == C7_INVOICE_APPROACH ? "INVOICE" : "STOCK");
    cJSON_AddStringToObject(o, "Terms", p->terms ? p->terms : "");
    c7render_str_or_empty(o, "Note", p->note);
    cJSON_AddStringToObject(o, "BaseCurrency", "USD");
    cJSON_AddStringToObject(o, "SupplierCurrency", s->currency);
    cJSON_AddNumberToObject(o, "CurrencyRate", 1);
    cJSON_AddBoolToObject(o, "BlindReceipt", 0);
    c7render_date(w, o, "LastUpdatedDate", p->updated_ms);
    cJSON_AddStringToObject(o, "CombinedReceivingStatus", receiving_status(p));
    cJSON_AddStringToObject(o, "CombinedInvoiceStatus", invoice_status(p));
    cJSON_AddStringToObject(o, "CombinedPaymentStatus", "UNPAID");
    cJSON *order = cJSON_AddObjectToObject(o, "Order");
    cJSON_AddStringToObject(order, "TaskID", p->id);
    add_purchase_order_fields(w, order, p);
    /* A Simple Purchase has one stock received and one invoice section; an
     * Advanced Purchase a list of each (the reference's answers). */
    if (p->advanced) {
        cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "StockReceived"), stock_section(w, p));
        cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "Invoice"), invoice_section(p));
    } else {
        cJSON_AddItemToObject(o, "StockReceived", stock_section(w, p));
        cJSON_AddItemToObject(o, "Invoice", invoice_section(p));
    }
    return o;
}

cJSON *c7render_purchase_row(const c7world *w, const c7purchase *p)
{
    const c7sup *s = &w->sups[p->supplier];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ID", p->id);
    cJSON_AddStringToObject(o, "OrderNumber", p->number);
    cJSON_AddStringToObject(o, "Status", c7purchase_status(p));
    c7render_date(w, o, "OrderDate", p->created_ms);
    add_epoch_date(o, "RequiredBy", p->required_by_ms);
    cJSON_AddStringToObject(o, "Supplier", s->name);
    cJSON_AddStringToObject(o, "SupplierID", s->id);
    cJSON_AddStringToObject(o, "SupplierCurrency", s->currency);
    cJSON_AddStringToObject(o, "BaseCurrency", "USD");
    cJSON_AddStringToObject(o, "OrderStatus", c7_task_names[p->order]);
    cJSON_AddStringToObject(o, "StockReceivedStatus", c7_task_names[p->received]);
    cJSON_AddStringToObject(o, "CombinedReceivingStatus", receiving_status(p));
    cJSON_AddStringToObject(o, "InvoiceStatus", c7_task_names[p->invoice]);
    cJSON_AddStringToObject(o, "CombinedInvoiceStatus", invoice_status(p));
    cJSON_AddStringToObject(o, "CombinedPaymentStatus", "UNPAID");
    /* Typed strings in the row's schema: "" until there is an invoice.
     * The supplier's invoice is numbered after its purchase. */
    int invoiced = p->invoice == C7_AUTH;
    qty4 total = 0;
    for (size_t i = 0; i < p->order_lines.n; i++)
        total += p->order_lines.lines[i].total + p->order_lines.lines[i].tax;
    if (invoiced) {
        char num[24];
        snprintf(num, sizeof num, "INV-%s", p->number);
        cJSON_AddStringToObject(o, "InvoiceNumber", num);
        c7render_date(w, o, "InvoiceDate", p->invoiced_ms);
        c7render_date(w, o, "InvoiceDueDate", p->invoiced_ms + INT64_C(30) * 86400000);
    } else {
        cJSON_AddStringToObject(o, "InvoiceNumber", "");
        cJSON_AddStringToObject(o, "InvoiceDate", "");
        cJSON_AddStringToObject(o, "InvoiceDueDate", "");
    }
    qty4_add(o, "InvoiceAmount", invoiced ? total : 0);
    qty4_add(o, "PaidAmount", 0);
    /* No credit notes, no unstocking, no drop-ship in the mock. */
    cJSON_AddStringToObject(o, "CreditNoteNumber", "");
    cJSON_AddStringToObject(o, "CreditNoteStatus", "NOT AVAILABLE");
    cJSON_AddStringToObject(o, "UnstockStatus", "NOT AVAILABLE");
    cJSON_AddNullToObject(o, "DropShipTaskID");
    cJSON_AddStringToObject(o, "Type", p->advanced ? "Advanced Purchase" : "Simple Purchase");
    cJSON_AddBoolToObject(o, "BlindReceipt", 0);
    cJSON_AddBoolToObject(o, "IsServiceOnly", 0);
    c7render_date(w, o, "LastUpdatedDate", p->updated_ms);
    return o;
}

/* ---- catalog ----------------------------------------------------------------- */

/* Lead times are whole days in Cin7; the mock's may be shorter (tests run
 * hours-long leads), so a fraction of a day stays a fraction. */
static double lead_days(int64_t ms)
{
    return round((double)ms / 86400000.0 * 10000.0) / 10000.0;
}

cJSON *c7render_product(const c7world *w, long pi, int suppliers, int reorder_levels, int bom)
{
    const c7prod *p = &w->prods[pi];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ID", p->id);
    cJSON_AddStringToObject(o, "SKU", p->sku);
    cJSON_AddStringToObject(o, "Name", p->name);
    cJSON_AddStringToObject(o, "Status", p->status);
    cJSON_AddStringToObject(o, "Type", "Stock");
    cJSON_AddStringToObject(o, "UOM", "Item");
    cJSON_AddStringToObject(o, "Category", "General");
    cJSON_AddStringToObject(o, "CostingMethod", "FIFO");
    cJSON_AddStringToObject(o, "DefaultLocation", w->n_locs ? w->locs[0].name : "");
    cJSON_AddBoolToObject(o, "Sellable", 1);
    qty4_add(o, "AverageCost", p->cost);
    c7render_str_or_empty(o, "Barcode", p->barcode);
    qty4_add(o, "Weight", p->weight);
    /* In the PUT and POST bodies (REF:38531), not in the answer's example:
     * shown so that a reader knows Weight's unit (mock's choice). */
    cJSON_AddStringToObject(o, "WeightUnits", p->weight_units);
    /* Ten flat tiers and the same as a map (REF:38659ff, 38222-38243). */
    cJSON *tiers = cJSON_CreateObject();
    for (int t = 0; t < C7_PRICE_TIERS; t++) {
        char key[24];
        snprintf(key, sizeof key, "PriceTier%d", t + 1);
        qty4_add(o, key, p->tiers[t]);
        snprintf(key, sizeof key, "Tier %d", t + 1);
        qty4_add(tiers, key, p->tiers[t]);
    }
    cJSON_AddItemToObject(o, "PriceTiers", tiers);
    cJSON_AddNumberToObject(o, "MinimumBeforeReorder", (double)p->min_before_reorder);
    cJSON_AddNumberToObject(o, "ReorderQuantity", (double)p->reorder_qty);
    c7render_date(w, o, "LastModifiedOn", p->modified_ms);
    /* The reference's product model: BillOfMaterial, AutoAssembly,
     * AutoDisassembly always; the components with IncludeBOM. */
    cJSON_AddBoolToObject(o, "BillOfMaterial", p->n_bom > 0);
    cJSON_AddBoolToObject(o, "AutoAssembly", p->auto_assembly);
    cJSON_AddBoolToObject(o, "AutoDisassembly", 0);
    if (bom) {
        cJSON *arr = cJSON_AddArrayToObject(o, "BillOfMaterialsProducts");
        for (size_t k = 0; k < p->n_bom; k++) {
            const c7prod *c = &w->prods[p->bom[k]];
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "ComponentProductID", c->id);
            cJSON_AddStringToObject(e, "ProductCode", c->sku);
            cJSON_AddStringToObject(e, "Name", c->name);
            qty4_add(e, "Quantity", p->bom_qty[k]);
            cJSON_AddNumberToObject(e, "WastagePercent", 0);
            cJSON_AddNumberToObject(e, "WastageQuantity", 0);
            cJSON_AddNumberToObject(e, "CostPercentage", 0);
            cJSON_AddItemToArray(arr, e);
        }
        cJSON_AddArrayToObject(o, "BillOfMaterialsServices");
    }
    if (suppliers) {
        cJSON *arr = cJSON_AddArrayToObject(o, "Suppliers");
        if (p->supplier >= 0) {
            const c7sup *s = &w->sups[p->supplier];
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "SupplierID", s->id);
            cJSON_AddStringToObject(e, "SupplierName", s->name);
            cJSON_AddStringToObject(e, "SupplierInventoryCode", "");
            cJSON_AddStringToObject(e, "SupplierProductName", p->name);
            qty4_add(e, "Cost", p->supplier_cost);
            cJSON_AddNumberToObject(e, "FixedCost", 0);
            cJSON_AddStringToObject(e, "Currency", s->currency);
            cJSON_AddBoolToObject(e, "DropShip", 0);
            cJSON *opts = cJSON_AddArrayToObject(e, "ProductSupplierOptions");
            size_t n = s->n_locs ? s->n_locs : w->n_locs;
            for (size_t i = 0; i < n; i++) {
                long l = s->n_locs ? s->locs[i] : (long)i;
                cJSON *op = cJSON_CreateObject();
                cJSON_AddStringToObject(op, "LocationID", w->locs[l].id);
                cJSON_AddStringToObject(op, "LocationName", w->locs[l].name);
                cJSON_AddNumberToObject(op, "Lead", lead_days(s->lead_ms));
                cJSON_AddNumberToObject(op, "MinimumToReorder", (double)s->moq);
                cJSON_AddNumberToObject(op, "ReorderQuantity", (double)p->reorder_qty);
                cJSON_AddNumberToObject(op, "Safety", 0);
                cJSON_AddItemToArray(opts, op);
            }
            cJSON_AddItemToArray(arr, e);
        }
    }
    if (reorder_levels) {
        cJSON *arr = cJSON_AddArrayToObject(o, "ReorderLevels");
        for (size_t l = 0; l < w->n_locs; l++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "LocationID", w->locs[l].id);
            cJSON_AddStringToObject(e, "LocationName", w->locs[l].name);
            cJSON_AddNumberToObject(e, "MinimumBeforeReorder", (double)p->min_before_reorder);
            cJSON_AddNumberToObject(e, "ReorderQuantity", (double)p->reorder_qty);
            cJSON_AddStringToObject(e, "StockLocator", "");
            cJSON_AddStringToObject(e, "PickZones", "");
            cJSON_AddItemToArray(arr, e);
        }
    }
    return o;
}

cJSON *c7render_supplier(const c7world *w, long si)
{
    const c7sup *s = &w->sups[si];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ID", s->id);
    cJSON_AddStringToObject(o, "Name", s->name);
    cJSON_AddStringToObject(o, "Currency", s->currency);
    cJSON_AddStringToObject(o, "PaymentTerm", s->payment_term);
    cJSON_AddStringToObject(o, "Status", "Active");
    cJSON_AddNumberToObject(o, "Discount", 0);
    cJSON_AddStringToObject(o, "AccountPayable", "800");
    cJSON_AddStringToObject(o, "TaxRule", "Tax Exempt");
    cJSON_AddNullToObject(o, "Comments");
    cJSON_AddNullToObject(o, "TaxNumber");
    add_attributes(o, 0);
    c7render_date(w, o, "LastModifiedOn", s->modified_ms);
    cJSON_AddArrayToObject(o, "Addresses");
    cJSON_AddArrayToObject(o, "Contacts");
    return o;
}

cJSON *c7render_location(const c7world *w, long l, int is_default)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ID", w->locs[l].id);
    cJSON_AddStringToObject(o, "Name", w->locs[l].name);
    cJSON_AddBoolToObject(o, "IsDefault", is_default);
    cJSON_AddBoolToObject(o, "IsDeprecated", 0);
    cJSON_AddNullToObject(o, "ParentID");
    cJSON_AddNullToObject(o, "ParentName");
    cJSON_AddStringToObject(o, "AddressLine1", "");
    cJSON_AddStringToObject(o, "AddressLine2", "");
    cJSON_AddStringToObject(o, "AddressCitySuburb", "");
    cJSON_AddStringToObject(o, "AddressStateProvince", "");
    cJSON_AddStringToObject(o, "AddressZipPostCode", "");
    cJSON_AddStringToObject(o, "AddressCountry", "");
    /* Not a fixed-assets, co-manufacturing, shop-floor or staging
     * location; no pick zones; nothing refers to it yet. */
    cJSON_AddBoolToObject(o, "FixedAssetsLocation", 0);
    cJSON_AddBoolToObject(o, "IsCoMan", 0);
    cJSON_AddBoolToObject(o, "IsShopfloor", 0);
    cJSON_AddBoolToObject(o, "IsStaging", 0);
    cJSON_AddNullToObject(o, "PickZones");
    cJSON_AddNumberToObject(o, "ReferenceCount", 0);
    cJSON_AddNullToObject(o, "Bins");
    return o;
}

cJSON *c7render_customer(const c7world *w, long ci)
{
    const c7cust *c = &w->custs[ci];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ID", c->id);
    cJSON_AddStringToObject(o, "Name", c->name);
    cJSON_AddStringToObject(o, "Status", "Active");
    cJSON_AddStringToObject(o, "Currency", "USD");
    cJSON_AddStringToObject(o, "PaymentTerm", "30 days");
    cJSON_AddStringToObject(o, "AccountReceivable", "610");
    cJSON_AddStringToObject(o, "RevenueAccount", "200");
    cJSON_AddStringToObject(o, "TaxRule", w->n_taxes ? w->taxes[0].name : "");
    cJSON_AddStringToObject(o, "Comments", "");
    /* Terms the mock does not model, at Cin7's defaults: no discount, no
     * credit limit or hold, the first price tier, no carrier, tags or tax
     * number, no default location or sales representative. */
    cJSON_AddNumberToObject(o, "Discount", 0);
    cJSON_AddNumberToObject(o, "CreditLimit", 0);
    cJSON_AddBoolToObject(o, "IsOnCreditHold", 0);
    cJSON_AddStringToObject(o, "PriceTier", "Tier 1");
    cJSON_AddStringToObject(o, "Carrier", "");
    cJSON_AddStringToObject(o, "Tags", "");
    cJSON_AddStringToObject(o, "TaxNumber", "");
    cJSON_AddStringToObject(o, "Location", "");
    cJSON_AddNullToObject(o, "SalesRepresentative");
    add_attributes(o, 1);
    c7render_date(w, o, "LastModifiedOn", c->modified_ms);
    cJSON_AddArrayToObject(o, "Addresses");
    cJSON_AddArrayToObject(o, "Contacts");
    return o;
}

cJSON *c7render_tax(const c7tax *t)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ID", t->id);
    cJSON_AddStringToObject(o, "Name", t->name);
    cJSON_AddStringToObject(o, "Account", "820");
    cJSON_AddBoolToObject(o, "IsActive", t->active);
    cJSON_AddBoolToObject(o, "TaxInclusive", 0);
    qty4_add(o, "TaxPercent", t->percent);
    cJSON_AddBoolToObject(o, "IsTaxForSale", t->for_sale);
    cJSON_AddBoolToObject(o, "IsTaxForPurchase", t->for_purchase);
    cJSON_AddArrayToObject(o, "Components");
    return o;
}

cJSON *c7render_hook(const c7sub *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ID", s->id);
    cJSON_AddStringToObject(o, "Type", s->type);
    cJSON_AddStringToObject(o, "Name", s->name ? s->name : c7config_hook_name(s->type));
    cJSON_AddBoolToObject(o, "IsActive", s->active);
    cJSON_AddStringToObject(o, "ExternalURL", s->url);
    cJSON_AddStringToObject(o, "ExternalAuthorizationType", s->auth);
    cJSON_AddStringToObject(o, "ExternalUserName", s->username ? s->username : "");
    cJSON_AddStringToObject(o, "ExternalPassword", s->password ? s->password : "");
    c7render_str_or_null(o, "ExternalBearerToken", s->token);
    cJSON *h = cJSON_AddArrayToObject(o, "ExternalHeaders");
    for (size_t i = 0; i < s->n_headers; i++) {
        cJSON *kv = cJSON_CreateObject();
        cJSON_AddStringToObject(kv, "Key", s->hkeys[i]);
        cJSON_AddStringToObject(kv, "Value", s->hvals[i]);
        cJSON_AddItemToArray(h, kv);
    }
    return o;
}

cJSON *c7render_journal_lines(const c7world *w, const c7line *lines, size_t n, int sale)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        const c7line *ln = &lines[i];
        cJSON *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "sku", w->prods[ln->product].sku);
        qty4_add(l, "qty", ln->qty);
        qty4_add(l, "price", ln->price);
        if (sale) {
            qty4_add(l, "allocated", ln->allocated);
            qty4_add(l, "backorder", ln->backorder);
            qty4_add(l, "picked", ln->picked);
        }
        cJSON_AddItemToArray(arr, l);
    }
    return arr;
}

/* ---- the ground truth ------------------------------------------------------------ */

cJSON *c7render_purchase_truth(const c7world *w, const c7purchase *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", p->id);
    cJSON_AddStringToObject(o, "order_number", p->number);
    cJSON_AddStringToObject(o, "supplier", w->sups[p->supplier].name);
    cJSON_AddStringToObject(o, "location", w->locs[p->location].name);
    cJSON_AddStringToObject(o, "status", c7purchase_status(p));
    cJSON_AddStringToObject(o, "order_status", c7_task_names[p->order]);
    cJSON_AddStringToObject(o, "type", p->advanced ? "Advanced Purchase" : "Simple Purchase");
    return o;
}

static void add_sim_t(cJSON *o, const char *key, int64_t t)
{
    if (t < 0)
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddNumberToObject(o, key, (double)t);
}

cJSON *c7render_ful_lines(const c7world *w, const c7sale *s, const c7ful *f)
{
    cJSON *lines = cJSON_CreateArray();
    for (size_t i = 0; f->lines && i < s->order_lines.n; i++) {
        if (f->lines[i].qty <= 0)
            continue;
        cJSON *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "sku", w->prods[s->order_lines.lines[i].product].sku);
        qty4_add(l, "qty", f->lines[i].qty);
        cJSON_AddItemToArray(lines, l);
    }
    return lines;
}

/* A sale's fulfilments in the state: what each took and where it stands. */
static cJSON *state_fulfilments(const c7world *w, const c7sale *s)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t k = 0; k < s->n_fuls; k++) {
        const c7ful *f = &s->fuls[k];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "task_id", f->task_id);
        cJSON_AddNumberToObject(o, "fulfilment", (double)(k + 1));
        cJSON_AddStringToObject(o, "status", c7sale_ful_status(s, f));
        cJSON_AddStringToObject(o, "pick", c7_task_names[f->pick]);
        cJSON_AddStringToObject(o, "pack", c7_task_names[f->pack]);
        cJSON_AddStringToObject(o, "ship", c7_task_names[f->ship]);
        c7render_str_or_null(o, "tracking_number", f->tracking[0] ? f->tracking : NULL);
        add_sim_t(o, "shipped_t", f->shipped_ms);
        cJSON_AddItemToObject(o, "lines", c7render_ful_lines(w, s, f));
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

cJSON *c7render_state(const c7world *w)
{
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "account", w->cfg->account);
    cJSON *apps = cJSON_AddArrayToObject(v, "applications");
    for (size_t i = 0; i < w->n_apps; i++) {
        const c7app *a = w->apps[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", a->name);
        int64_t cpm = a->cpm ? a->cpm : w->cfg->calls_per_minute;
        if (cpm == C7_UNLIMITED)
            cJSON_AddStringToObject(o, "calls_per_minute", "unlimited");
        else
            cJSON_AddNumberToObject(o, "calls_per_minute", (double)cpm);
        cJSON_AddItemToArray(apps, o);
    }
    cJSON *locs = cJSON_AddArrayToObject(v, "locations");
    for (size_t i = 0; i < w->n_locs; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", w->locs[i].id);
        cJSON_AddStringToObject(o, "name", w->locs[i].name);
        cJSON_AddItemToArray(locs, o);
    }
    cJSON *sups = cJSON_AddArrayToObject(v, "suppliers");
    for (size_t i = 0; i < w->n_sups; i++) {
        const c7sup *s = &w->sups[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", s->id);
        cJSON_AddStringToObject(o, "name", s->name);
        cJSON_AddNumberToObject(o, "lead_time_ms", (double)s->lead_ms);
        cJSON_AddNumberToObject(o, "minimum_order", (double)s->moq);
        cJSON_AddStringToObject(o, "currency", s->currency);
        cJSON_AddStringToObject(o, "payment_term", s->payment_term);
        cJSON *ls = cJSON_AddArrayToObject(o, "locations");
        for (size_t k = 0; k < s->n_locs; k++)
            cJSON_AddItemToArray(ls, cJSON_CreateString(w->locs[s->locs[k]].name));
        cJSON_AddItemToArray(sups, o);
    }
    cJSON *prods = cJSON_AddArrayToObject(v, "products");
    cJSON *stock = cJSON_AddArrayToObject(v, "stock");
    for (size_t i = 0; i < w->n_prods; i++) {
        const c7prod *p = &w->prods[i];
        qty4 initial = 0, received = 0, adjusted = 0, on_hand = 0;
        for (size_t l = 0; l < w->n_locs; l++) {
            const c7cell *c = &p->cells[l];
            c7sum sum = c7stock_sum(c);
            initial += c->initial;
            received += c->received;
            adjusted += c->adjusted;
            on_hand += sum.on_hand;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "sku", p->sku);
            cJSON_AddStringToObject(o, "location", w->locs[l].name);
            qty4_add(o, "on_hand", sum.on_hand);
            qty4_add(o, "allocated", sum.allocated);
            qty4_add(o, "available", sum.available);
            qty4_add(o, "on_order", c->on_order);
            qty4_add(o, "in_transit", c->in_transit);
            qty4_add(o, "initial", c->initial);
            qty4_add(o, "received", c->received);
            qty4_add(o, "adjusted", c->adjusted);
            qty4_add(o, "assembled", c->assembled);
            qty4_add(o, "consumed", c->consumed);
            cJSON *lots = cJSON_AddArrayToObject(o, "lots");
            for (size_t k = 0; k < c->n_lots; k++) {
                const c7lot *lot = &c->lots[k];
                cJSON *x = cJSON_CreateObject();
                c7render_str_or_null(x, "bin", lot->bin);
                c7render_str_or_null(x, "batch", lot->batch);
                add_epoch_date(x, "expiry", lot->expiry_ms);
                qty4_add(x, "on_hand", lot->on_hand);
                qty4_add(x, "allocated", lot->allocated);
                cJSON_AddItemToArray(lots, x);
            }
            cJSON_AddItemToArray(stock, o);
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "sku", p->sku);
        cJSON_AddStringToObject(o, "id", p->id);
        cJSON_AddStringToObject(o, "name", p->name);
        c7render_str_or_null(o, "supplier",
                             p->supplier >= 0 ? w->sups[p->supplier].name : NULL);
        cJSON_AddStringToObject(o, "status", p->status);
        qty4_add(o, "price", p->tiers[0]);
        cJSON *tiers = cJSON_AddArrayToObject(o, "price_tiers");
        for (int t = 0; t < C7_PRICE_TIERS; t++)
            cJSON_AddItemToArray(tiers, cJSON_CreateNumber(qty4_double(p->tiers[t])));
        qty4_add(o, "supplier_cost", p->supplier_cost);
        c7render_str_or_null(o, "barcode", p->barcode);
        qty4_add(o, "weight", p->weight);
        cJSON_AddStringToObject(o, "weight_units", p->weight_units);
        c7render_date(w, o, "last_modified", p->modified_ms);
        qty4_add(o, "initial", initial);
        qty4_add(o, "received", received);
        qty4_add(o, "adjusted", adjusted);
        qty4_add(o, "on_hand", on_hand);
        cJSON_AddItemToArray(prods, o);
    }
    cJSON *custs = cJSON_AddArrayToObject(v, "customers");
    for (size_t i = 0; i < w->n_custs; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", w->custs[i].id);
        cJSON_AddStringToObject(o, "name", w->custs[i].name);
        cJSON_AddItemToArray(custs, o);
    }
    cJSON *sales = cJSON_AddArrayToObject(v, "sales");
    for (size_t i = 0; i < w->n_sales; i++) {
        const c7sale *s = &w->sales[i];
        c7combined cb = c7sale_combined(s);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", s->id);
        cJSON_AddStringToObject(o, "order_number", s->number);
        cJSON_AddStringToObject(o, "customer", w->custs[s->customer].name);
        c7render_str_or_null(o, "customer_reference", s->customer_reference);
        c7render_str_or_null(o, "external_id", s->external_id);
        cJSON_AddStringToObject(o, "type", s->type == C7_ADVANCED ? "Advanced Sale" : "Simple Sale");
        cJSON_AddStringToObject(o, "location", w->locs[s->location].name);
        cJSON_AddStringToObject(o, "status", c7sale_status(s));
        cJSON_AddStringToObject(o, "quote_status", c7_task_names[s->quote]);
        cJSON_AddStringToObject(o, "order_status", c7_task_names[s->order]);
        cJSON_AddStringToObject(o, "shipping_status", cb.ship);
        cJSON_AddStringToObject(o, "fulfilment_status", cb.fulfilment);
        cJSON_AddStringToObject(o, "invoice_status", cb.invoice);
        const char *trk = c7sale_tracking(s);
        c7render_str_or_null(o, "tracking_number", trk[0] ? trk : NULL);
        c7render_str_or_null(o, "application", s->client);
        add_sim_t(o, "created_t", s->created_ms);
        add_sim_t(o, "authorised_t", s->authorised_ms);
        add_sim_t(o, "shipped_t", s->shipped_ms);
        add_sim_t(o, "updated_t", s->updated_ms);
        qty4 bo = 0;
        for (size_t k = 0; k < s->order_lines.n; k++)
            bo += s->order_lines.lines[k].backorder;
        qty4_add(o, "backorder_units", bo);
        cJSON_AddItemToObject(o, "lines", c7render_journal_lines(w, s->order_lines.lines,
                                                                 s->order_lines.n, 1));
        cJSON_AddItemToObject(o, "fulfilments", state_fulfilments(w, s));
        cJSON_AddItemToArray(sales, o);
    }
    cJSON *purs = cJSON_AddArrayToObject(v, "purchases");
    for (size_t i = 0; i < w->n_purs; i++) {
        const c7purchase *p = &w->purs[i];
        cJSON *o = c7render_purchase_truth(w, p);
        c7render_str_or_null(o, "application", p->client);
        add_sim_t(o, "created_t", p->created_ms);
        add_sim_t(o, "authorised_t", p->authorised_ms);
        add_sim_t(o, "due_t", p->due_ms);
        add_sim_t(o, "received_t", p->received_ms);
        add_sim_t(o, "invoiced_t", p->invoiced_ms);
        cJSON_AddItemToObject(o, "lines", c7render_journal_lines(w, p->order_lines.lines,
                                                                 p->order_lines.n, 0));
        cJSON_AddItemToArray(purs, o);
    }
    cJSON *chs = cJSON_AddArrayToObject(v, "channel_sales");
    for (size_t i = 0; i < w->n_chs; i++) {
        const c7chsale *c = &w->chs[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "t", (double)c->t);
        cJSON_AddStringToObject(o, "sku", w->prods[c->product].sku);
        cJSON_AddStringToObject(o, "location", w->locs[c->location].name);
        qty4_add(o, "qty", c->qty);
        cJSON_AddStringToObject(o, "channel", c->channel);
        cJSON_AddBoolToObject(o, "accepted", c->accepted);
        qty4_add(o, "available_before", c->available_before);
        cJSON_AddItemToArray(chs, o);
    }
    cJSON *subs = cJSON_AddArrayToObject(v, "subscriptions");
    for (size_t i = 0; i < w->n_subs; i++) {
        const c7sub *s = &w->subs[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", s->id);
        cJSON_AddStringToObject(o, "type", s->type);
        cJSON_AddStringToObject(o, "url", s->url);
        cJSON_AddStringToObject(o, "auth", s->auth);
        cJSON_AddBoolToObject(o, "active", s->active);
        cJSON_AddBoolToObject(o, "deleted", s->deleted);
        add_sim_t(o, "created_t", s->created_ms);
        add_sim_t(o, "deactivated_t", s->deactivated_ms);
        cJSON_AddNumberToObject(o, "delivered", (double)s->delivered);
        cJSON_AddNumberToObject(o, "failed_attempts", (double)s->failed_attempts);
        cJSON_AddNumberToObject(o, "abandoned", (double)s->abandoned);
        cJSON_AddItemToArray(subs, o);
    }
    return v;
}
