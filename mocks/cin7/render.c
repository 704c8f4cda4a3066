/*
 * What mock-cin7 says about its world: the Cin7 Core API's JSON shapes for
 * sales, purchases, products, suppliers, locations, availability rows and
 * webhook subscriptions, with the reference's field names and casing, and
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

/* Money and quantities rounded to Cin7's four decimals, so sums print as
 * 0.3 rather than 0.30000000000000004. */
static double money(double v)
{
    return round(v * 10000.0) / 10000.0;
}

void c7render_str_or_null(cJSON *o, const char *key, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
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

/* A simulated instant under key as Cin7's date text, or null when unset
 * (< 0). A set one is never before the epoch: the clock's origin is not. */
static void add_date(const c7world *w, cJSON *o, const char *key, int64_t sim_ms)
{
    add_epoch_date(o, key, sim_ms < 0 ? -1 : clock_epoch_ms(w->clk, sim_ms));
}

/* A line's product, as every line of an answer starts. */
static cJSON *product_line(const c7prod *p)
{
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "ProductID", p->id);
    cJSON_AddStringToObject(l, "SKU", p->sku);
    cJSON_AddStringToObject(l, "Name", p->name);
    return l;
}

static double line_total(const c7line *ln)
{
    return money((double)ln->qty * ln->price * (1.0 - ln->discount / 100.0));
}

/* An order section's lines and totals into o. */
static void add_order_lines(const c7world *w, cJSON *o, const c7line *lines, size_t n, int sale)
{
    cJSON *arr = cJSON_AddArrayToObject(o, "Lines");
    double before = 0, tax = 0;
    for (size_t i = 0; i < n; i++) {
        const c7line *ln = &lines[i];
        const c7prod *p = &w->prods[ln->product];
        cJSON *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "ProductID", p->id);
        cJSON_AddStringToObject(l, "SKU", p->sku);
        cJSON_AddStringToObject(l, "Name", ln->name ? ln->name : p->name);
        cJSON_AddNumberToObject(l, "Quantity", (double)ln->qty);
        cJSON_AddNumberToObject(l, "Price", money(ln->price));
        cJSON_AddNumberToObject(l, "Discount", money(ln->discount));
        cJSON_AddNumberToObject(l, "Tax", money(ln->tax));
        cJSON_AddStringToObject(l, "TaxRule", ln->tax_rule ? ln->tax_rule : "");
        cJSON_AddNumberToObject(l, "AverageCost", money(p->cost));
        cJSON_AddNumberToObject(l, "Total", line_total(ln));
        cJSON_AddStringToObject(l, "Comment", ln->comment ? ln->comment : "");
        if (sale) {
            cJSON_AddBoolToObject(l, "Backorder", ln->backorder > 0);
            cJSON_AddNumberToObject(l, "BackorderQuantity", (double)ln->backorder);
            cJSON_AddBoolToObject(l, "DropShip", 0);
        } else {
            cJSON_AddStringToObject(l, "SupplierSKU", "");
        }
        cJSON_AddItemToArray(arr, l);
        before += line_total(ln);
        tax += ln->tax;
    }
    cJSON_AddArrayToObject(o, "AdditionalCharges");
    cJSON_AddNumberToObject(o, "TotalBeforeTax", money(before));
    cJSON_AddNumberToObject(o, "Tax", money(tax));
    cJSON_AddNumberToObject(o, "Total", money(before + tax));
}

/* ---- sales ------------------------------------------------------------------ */

/* The combined statuses of the reference's Sale model: NOT AVAILABLE until
 * the order is authorised, VOIDED once voided, then NOT <done> or <done> as
 * the floor reaches stage (the mock fulfils a sale in one go, so PARTIALLY
 * never shows). */
static const char *combined(const c7sale *s, int stage, const char *done, const char *not_done)
{
    if (s->stage == C7_SALE_VOIDED)
        return "VOIDED";
    if (s->order_status != C7_OS_AUTHORISED)
        return "NOT AVAILABLE";
    return s->stage >= stage ? done : not_done;
}

static const char *pick_status(const c7sale *s)
{
    return combined(s, C7_SALE_PICKED, "PICKED", "NOT PICKED");
}

static const char *pack_status(const c7sale *s)
{
    return combined(s, C7_SALE_PACKED, "PACKED", "NOT PACKED");
}

static const char *ship_status(const c7sale *s)
{
    return combined(s, C7_SALE_SHIPPED, "SHIPPED", "NOT SHIPPED");
}

static const char *fulfilment_status(const c7sale *s)
{
    return combined(s, C7_SALE_SHIPPED, "FULFILLED", "NOT FULFILLED");
}

/* A quote's or an order's section: its status, memo, lines and totals. */
static void add_section(const c7world *w, cJSON *o, int status, const char *memo,
                        const c7line *lines, size_t n, int sale)
{
    cJSON_AddStringToObject(o, "Status", c7_order_status_names[status]);
    cJSON_AddStringToObject(o, "Memo", memo ? memo : "");
    add_order_lines(w, o, lines, n, sale);
}

static void add_sale_order_fields(const c7world *w, cJSON *o, const c7sale *s)
{
    cJSON_AddStringToObject(o, "SaleOrderNumber", s->number);
    add_section(w, o, s->order_status, s->memo, s->lines, s->n_lines, 1);
}

static void add_sale_quote_fields(const c7world *w, cJSON *o, const c7sale *s)
{
    add_section(w, o, s->quote_status, s->quote_memo, s->quote_lines, s->n_quote_lines, 1);
}

cJSON *c7render_sale_quote(const c7world *w, const c7sale *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "SaleID", s->id);
    add_sale_quote_fields(w, o, s);
    return o;
}

cJSON *c7render_sale_order(const c7world *w, const c7sale *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "SaleID", s->id);
    add_sale_order_fields(w, o, s);
    return o;
}

/* The address as given: every field of it a string, "" when not given
 * (the reference types them as strings). */
static cJSON *shipping_address(const c7sale *s)
{
    cJSON *a = cJSON_CreateObject();
    for (size_t i = 0; i < C7_ADDRESS_FIELDS; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(s->shipping_address, c7_address_fields[i]);
        cJSON_AddStringToObject(a, c7_address_fields[i], cJSON_IsString(v) ? v->valuestring : "");
    }
    return a;
}

static cJSON *fulfilment(const c7world *w, const c7sale *s)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "TaskID", s->fulfil_task);
    cJSON_AddNumberToObject(f, "FulfillmentNumber", 1);
    cJSON_AddStringToObject(f, "FulFilmentStatus", fulfilment_status(s));
    const char *stages[] = {"Pick", "Pack"};
    for (int k = 0; k < 2; k++) {
        cJSON *st = cJSON_AddObjectToObject(f, stages[k]);
        int done = k == 0 ? s->stage >= C7_SALE_PICKED : s->stage >= C7_SALE_PACKED;
        cJSON_AddStringToObject(st, "Status", done ? "AUTHORISED" : "NOT AVAILABLE");
        cJSON *lines = cJSON_AddArrayToObject(st, "Lines");
        for (size_t i = 0; done && i < s->n_lines; i++) {
            if (s->lines[i].picked == 0)
                continue;
            cJSON *l = product_line(&w->prods[s->lines[i].product]);
            cJSON_AddStringToObject(l, "Location", w->locs[s->location].name);
            cJSON_AddStringToObject(l, "LocationID", w->locs[s->location].id);
            cJSON_AddNumberToObject(l, "Quantity", (double)s->lines[i].picked);
            if (k == 1)
                cJSON_AddStringToObject(l, "Box", "Box 1");
            cJSON_AddItemToArray(lines, l);
        }
    }
    cJSON *ship = cJSON_AddObjectToObject(f, "Ship");
    cJSON_AddStringToObject(ship, "Status", s->stage == C7_SALE_SHIPPED ? "AUTHORISED" : "NOT AVAILABLE");
    cJSON *lines = cJSON_AddArrayToObject(ship, "Lines");
    if (s->stage == C7_SALE_SHIPPED) {
        cJSON *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "Carrier", "DEFAULT Carrier");
        cJSON_AddStringToObject(l, "Boxes", "Box 1");
        cJSON_AddBoolToObject(l, "IsShipped", 1);
        add_date(w, l, "ShipmentDate", s->updated_ms);
        cJSON_AddStringToObject(l, "TrackingNumber", s->tracking);
        cJSON_AddStringToObject(l, "TrackingURL", "");
        cJSON_AddItemToArray(lines, l);
    }
    return f;
}

static void add_customer(cJSON *o, const c7sale *s)
{
    cJSON_AddStringToObject(o, "Customer", s->customer);
    cJSON_AddStringToObject(o, "CustomerID", s->customer_id);
    cJSON_AddStringToObject(o, "CustomerReference", s->customer_reference ? s->customer_reference : "");
    c7render_str_or_null(o, "ExternalID", s->external_id);
    cJSON_AddStringToObject(o, "SourceChannel", s->source_channel ? s->source_channel : "");
}

/* Ship By, a date the reference types as a string: left out when unset. */
static void add_ship_by(cJSON *o, const c7sale *s)
{
    if (s->ship_by_ms >= 0)
        add_epoch_date(o, "ShipBy", s->ship_by_ms);
}

static void add_combined(cJSON *o, const c7sale *s)
{
    cJSON_AddStringToObject(o, "CombinedPickingStatus", pick_status(s));
    cJSON_AddStringToObject(o, "CombinedPackingStatus", pack_status(s));
    cJSON_AddStringToObject(o, "CombinedShippingStatus", ship_status(s));
    cJSON_AddStringToObject(o, "CombinedInvoiceStatus", "NOT INVOICED");
    cJSON_AddStringToObject(o, "CombinedPaymentStatus", "UNPAID");
    cJSON_AddStringToObject(o, "CombinedTrackingNumbers", s->tracking);
    cJSON_AddStringToObject(o, "FulFilmentStatus", fulfilment_status(s));
}

cJSON *c7render_sale(const c7world *w, const c7sale *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ID", s->id);
    add_customer(o, s);
    cJSON_AddStringToObject(o, "Location", w->locs[s->location].name);
    cJSON_AddStringToObject(o, "Status", c7_sale_status(s));
    cJSON_AddStringToObject(o, "Type", s->simple ? "Simple Sale" : "Advanced Sale");
    cJSON_AddBoolToObject(o, "SkipQuote", s->skip_quote);
    add_date(w, o, "SaleOrderDate", s->created_ms);
    add_date(w, o, "LastModifiedOn", s->updated_ms);
    add_ship_by(o, s);
    cJSON_AddItemToObject(o, "ShippingAddress", shipping_address(s));
    cJSON_AddStringToObject(o, "Note", s->note ? s->note : "");
    cJSON_AddStringToObject(o, "BaseCurrency", "USD");
    cJSON_AddStringToObject(o, "CustomerCurrency", "USD");
    add_combined(o, s);
    if (!s->skip_quote)
        add_sale_quote_fields(w, cJSON_AddObjectToObject(o, "Quote"), s);
    cJSON *order = cJSON_AddObjectToObject(o, "Order");
    add_sale_order_fields(w, order, s);
    cJSON *fs = cJSON_AddArrayToObject(o, "Fulfilments");
    if (s->stage >= C7_SALE_PICKED && s->stage <= C7_SALE_SHIPPED)
        cJSON_AddItemToArray(fs, fulfilment(w, s));
    return o;
}

cJSON *c7render_sale_row(const c7world *w, const c7sale *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "SaleID", s->id);
    cJSON_AddStringToObject(o, "OrderNumber", s->number);
    cJSON_AddStringToObject(o, "Status", c7_sale_status(s));
    add_date(w, o, "OrderDate", s->created_ms);
    add_customer(o, s);
    cJSON_AddStringToObject(o, "OrderStatus", c7_order_status_names[s->order_status]);
    cJSON_AddStringToObject(o, "QuoteStatus", c7_order_status_names[s->quote_status]);
    add_combined(o, s);
    cJSON_AddStringToObject(o, "OrderLocationID", w->locs[s->location].id);
    add_ship_by(o, s);
    cJSON_AddNumberToObject(o, "InvoiceAmount", 0);
    cJSON_AddNumberToObject(o, "PaidAmount", 0);
    cJSON_AddStringToObject(o, "BaseCurrency", "USD");
    cJSON_AddStringToObject(o, "CustomerCurrency", "USD");
    cJSON_AddStringToObject(o, "Type", s->simple ? "Simple Sale" : "Advanced Sale");
    add_date(w, o, "Updated", s->updated_ms);
    return o;
}

/* ---- purchases -------------------------------------------------------------- */

static void add_purchase_order_fields(const c7world *w, cJSON *o, const c7purchase *p)
{
    add_section(w, o, p->order_status, p->memo, p->lines, p->n_lines, 0);
}

cJSON *c7render_purchase_order(const c7world *w, const c7purchase *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "TaskID", p->id);
    add_purchase_order_fields(w, o, p);
    return o;
}

static const char *received_status(const c7purchase *p)
{
    return p->stage == C7_PUR_RECEIVED ? "AUTHORISED" : "NOT AVAILABLE";
}

static const char *receiving_status(const c7purchase *p)
{
    return p->stage == C7_PUR_RECEIVED ? "FULLY RECEIVED" : "NOT RECEIVED";
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
    add_date(w, o, "OrderDate", p->created_ms);
    add_epoch_date(o, "RequiredBy", p->required_by_ms);
    cJSON_AddStringToObject(o, "Status", c7_purchase_stage_names[p->stage]);
    cJSON_AddStringToObject(o, "Type", p->advanced ? "Advanced Purchase" : "Simple Purchase");
    cJSON_AddStringToObject(o, "Approach", p->approach);
    cJSON_AddStringToObject(o, "Terms", p->terms ? p->terms : "");
    cJSON_AddStringToObject(o, "Note", p->note ? p->note : "");
    cJSON_AddStringToObject(o, "BaseCurrency", "USD");
    cJSON_AddStringToObject(o, "SupplierCurrency", s->currency);
    cJSON_AddNumberToObject(o, "CurrencyRate", 1);
    add_date(w, o, "LastUpdatedDate", p->updated_ms);
    cJSON_AddStringToObject(o, "CombinedReceivingStatus", receiving_status(p));
    cJSON *order = cJSON_AddObjectToObject(o, "Order");
    add_purchase_order_fields(w, order, p);
    cJSON *sr = cJSON_AddObjectToObject(o, "StockReceived");
    cJSON_AddStringToObject(sr, "Status", received_status(p));
    cJSON *lines = cJSON_AddArrayToObject(sr, "Lines");
    for (size_t i = 0; p->stage == C7_PUR_RECEIVED && i < p->n_lines; i++) {
        cJSON *l = product_line(&w->prods[p->lines[i].product]);
        cJSON_AddNumberToObject(l, "Quantity", (double)p->lines[i].qty);
        cJSON_AddStringToObject(l, "Location", w->locs[p->location].name);
        cJSON_AddStringToObject(l, "LocationID", w->locs[p->location].id);
        add_date(w, l, "Date", p->received_ms);
        cJSON_AddBoolToObject(l, "Received", 1);
        cJSON_AddItemToArray(lines, l);
    }
    cJSON *inv = cJSON_AddObjectToObject(o, "Invoice");
    cJSON_AddStringToObject(inv, "Status", "NOT AVAILABLE");
    cJSON_AddArrayToObject(inv, "Lines");
    return o;
}

cJSON *c7render_tax(const c7world *w, long t)
{
    const c7cfg_tax *x = &w->cfg->taxes[t];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ID", w->tax_ids[t]);
    cJSON_AddStringToObject(o, "Name", x->name);
    cJSON_AddStringToObject(o, "Account", "820");
    cJSON_AddBoolToObject(o, "IsActive", 1);
    cJSON_AddBoolToObject(o, "TaxInclusive", x->inclusive);
    cJSON_AddNumberToObject(o, "TaxPercent", x->percent);
    cJSON_AddBoolToObject(o, "IsTaxForSale", 1);
    cJSON_AddBoolToObject(o, "IsTaxForPurchase", 1);
    cJSON_AddArrayToObject(o, "Components");
    return o;
}

cJSON *c7render_purchase_row(const c7world *w, const c7purchase *p)
{
    const c7sup *s = &w->sups[p->supplier];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ID", p->id);
    cJSON_AddStringToObject(o, "OrderNumber", p->number);
    cJSON_AddStringToObject(o, "Status", c7_purchase_stage_names[p->stage]);
    add_date(w, o, "OrderDate", p->created_ms);
    add_epoch_date(o, "RequiredBy", p->required_by_ms);
    cJSON_AddStringToObject(o, "Supplier", s->name);
    cJSON_AddStringToObject(o, "SupplierID", s->id);
    cJSON_AddStringToObject(o, "SupplierCurrency", s->currency);
    cJSON_AddStringToObject(o, "BaseCurrency", "USD");
    cJSON_AddStringToObject(o, "OrderStatus", c7_order_status_names[p->order_status]);
    cJSON_AddStringToObject(o, "StockReceivedStatus", received_status(p));
    cJSON_AddStringToObject(o, "CombinedReceivingStatus", receiving_status(p));
    cJSON_AddStringToObject(o, "InvoiceStatus", "NOT AVAILABLE");
    cJSON_AddStringToObject(o, "CombinedInvoiceStatus", "NOT INVOICED");
    cJSON_AddStringToObject(o, "CombinedPaymentStatus", "UNPAID");
    cJSON_AddStringToObject(o, "Type", p->advanced ? "Advanced Purchase" : "Simple Purchase");
    cJSON_AddBoolToObject(o, "BlindReceipt", 0);
    cJSON_AddBoolToObject(o, "IsServiceOnly", 0);
    add_date(w, o, "LastUpdatedDate", p->updated_ms);
    return o;
}

/* ---- catalog ----------------------------------------------------------------- */

/* Lead times are whole days in Cin7; the mock's may be shorter (tests run
 * hours-long leads), so a fraction of a day stays a fraction. */
static double lead_days(int64_t ms)
{
    return round((double)ms / 86400000.0 * 10000.0) / 10000.0;
}

cJSON *c7render_product(const c7world *w, long pi, int suppliers, int reorder_levels)
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
    cJSON_AddNumberToObject(o, "AverageCost", money(p->cost));
    cJSON_AddNumberToObject(o, "PriceTier1", money(p->price));
    cJSON_AddNumberToObject(o, "MinimumBeforeReorder", (double)p->min_before_reorder);
    cJSON_AddNumberToObject(o, "ReorderQuantity", (double)p->reorder_qty);
    add_date(w, o, "LastModifiedOn", p->modified_ms);
    if (suppliers) {
        cJSON *arr = cJSON_AddArrayToObject(o, "Suppliers");
        if (p->supplier >= 0) {
            const c7sup *s = &w->sups[p->supplier];
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "SupplierID", s->id);
            cJSON_AddStringToObject(e, "SupplierName", s->name);
            cJSON_AddStringToObject(e, "SupplierInventoryCode", "");
            cJSON_AddStringToObject(e, "SupplierProductName", p->name);
            cJSON_AddNumberToObject(e, "Cost", money(p->cost));
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
    add_date(w, o, "LastModifiedOn", s->modified_ms);
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
    cJSON_AddStringToObject(o, "AddressLine1", "");
    cJSON_AddStringToObject(o, "AddressCitySuburb", "");
    cJSON_AddStringToObject(o, "AddressStateProvince", "");
    cJSON_AddStringToObject(o, "AddressZipPostCode", "");
    cJSON_AddStringToObject(o, "AddressCountry", "");
    cJSON_AddNullToObject(o, "Bins");
    return o;
}

void c7render_availability_row(const c7world *w, long pi, long l, sbuf *b)
{
    const c7prod *p = &w->prods[pi];
    const c7cell *c = &p->cells[l];
    sbuf_printf(b, "{\"ID\":\"%s\",\"SKU\":", p->id);
    sbuf_json_str(b, p->sku);
    sbuf_puts(b, ",\"Name\":");
    sbuf_json_str(b, p->name);
    sbuf_puts(b, ",\"Barcode\":null,\"Location\":");
    sbuf_json_str(b, w->locs[l].name);
    sbuf_printf(b,
                ",\"Bin\":null,\"Batch\":null,\"ExpiryDate\":null,\"OnHand\":%lld,"
                "\"Allocated\":%lld,\"Available\":%lld,\"OnOrder\":%lld,\"StockOnHand\":%.15g,"
                "\"InTransit\":%lld}",
                (long long)c->on_hand, (long long)c->allocated, (long long)c7w_available(c),
                (long long)c->on_order, money((double)c->on_hand * p->cost),
                (long long)c->in_transit);
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
        cJSON_AddNumberToObject(l, "qty", (double)ln->qty);
        cJSON_AddNumberToObject(l, "price", money(ln->price));
        if (sale) {
            cJSON_AddNumberToObject(l, "allocated", (double)ln->allocated);
            cJSON_AddNumberToObject(l, "backorder", (double)ln->backorder);
            cJSON_AddNumberToObject(l, "picked", (double)ln->picked);
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
    cJSON_AddStringToObject(o, "status", c7_purchase_stage_names[p->stage]);
    cJSON_AddStringToObject(o, "order_status", c7_order_status_names[p->order_status]);
    return o;
}

static void add_sim_t(cJSON *o, const char *key, int64_t t)
{
    if (t < 0)
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddNumberToObject(o, key, (double)t);
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
        int64_t initial = 0, received = 0, adjusted = 0, on_hand = 0;
        for (size_t l = 0; l < w->n_locs; l++) {
            const c7cell *c = &p->cells[l];
            initial += c->initial;
            received += c->received;
            adjusted += c->adjusted;
            on_hand += c->on_hand;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "sku", p->sku);
            cJSON_AddStringToObject(o, "location", w->locs[l].name);
            cJSON_AddNumberToObject(o, "on_hand", (double)c->on_hand);
            cJSON_AddNumberToObject(o, "allocated", (double)c->allocated);
            cJSON_AddNumberToObject(o, "available", (double)c7w_available(c));
            cJSON_AddNumberToObject(o, "on_order", (double)c->on_order);
            cJSON_AddNumberToObject(o, "in_transit", (double)c->in_transit);
            cJSON_AddNumberToObject(o, "initial", (double)c->initial);
            cJSON_AddNumberToObject(o, "received", (double)c->received);
            cJSON_AddNumberToObject(o, "adjusted", (double)c->adjusted);
            cJSON_AddItemToArray(stock, o);
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "sku", p->sku);
        cJSON_AddStringToObject(o, "id", p->id);
        cJSON_AddStringToObject(o, "name", p->name);
        c7render_str_or_null(o, "supplier",
                             p->supplier >= 0 ? w->sups[p->supplier].name : NULL);
        cJSON_AddNumberToObject(o, "initial", (double)initial);
        cJSON_AddNumberToObject(o, "received", (double)received);
        cJSON_AddNumberToObject(o, "adjusted", (double)adjusted);
        cJSON_AddNumberToObject(o, "on_hand", (double)on_hand);
        cJSON_AddItemToArray(prods, o);
    }
    cJSON *sales = cJSON_AddArrayToObject(v, "sales");
    for (size_t i = 0; i < w->n_sales; i++) {
        const c7sale *s = &w->sales[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", s->id);
        cJSON_AddStringToObject(o, "order_number", s->number);
        c7render_str_or_null(o, "customer_reference", s->customer_reference);
        c7render_str_or_null(o, "external_id", s->external_id);
        c7render_str_or_null(o, "source_channel", s->source_channel);
        cJSON_AddStringToObject(o, "location", w->locs[s->location].name);
        cJSON_AddStringToObject(o, "status", c7_sale_stage_names[s->stage]);
        cJSON_AddStringToObject(o, "cin7_status", c7_sale_status(s));
        cJSON_AddStringToObject(o, "order_status", c7_order_status_names[s->order_status]);
        c7render_str_or_null(o, "tracking_number", s->tracking[0] ? s->tracking : NULL);
        c7render_str_or_null(o, "application", s->client);
        add_sim_t(o, "created_t", s->created_ms);
        add_sim_t(o, "authorised_t", s->authorised_ms);
        add_sim_t(o, "updated_t", s->updated_ms);
        int64_t bo = 0;
        for (size_t k = 0; k < s->n_lines; k++)
            bo += s->lines[k].backorder;
        cJSON_AddNumberToObject(o, "backorder_units", (double)bo);
        cJSON_AddItemToObject(o, "lines", c7render_journal_lines(w, s->lines, s->n_lines, 1));
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
        cJSON_AddItemToObject(o, "lines", c7render_journal_lines(w, p->lines, p->n_lines, 0));
        cJSON_AddItemToArray(purs, o);
    }
    cJSON *chs = cJSON_AddArrayToObject(v, "channel_sales");
    for (size_t i = 0; i < w->n_chs; i++) {
        const c7chsale *c = &w->chs[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "t", (double)c->t);
        cJSON_AddStringToObject(o, "sku", w->prods[c->product].sku);
        cJSON_AddStringToObject(o, "location", w->locs[c->location].name);
        cJSON_AddNumberToObject(o, "qty", (double)c->qty);
        cJSON_AddStringToObject(o, "channel", c->channel);
        cJSON_AddBoolToObject(o, "accepted", c->accepted);
        cJSON_AddNumberToObject(o, "available_before", (double)c->available_before);
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
