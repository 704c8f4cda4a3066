/*
 * mock-cin7 against what Cin7 Core's reference says in prose and in its
 * model tables, which a schema validator (Prism, test_prism.c) cannot
 * check: the order of the calls (quote before order, lines only through
 * the order endpoints), the required line fields and the Total check, the
 * order status preconditions, the statuses and their fields through a
 * whole flow, thin webhooks of every type the mock sends, stock in bins
 * and batches, and decimal quantities. Where it can, a table drives it.
 */
#include "test_mock_cin7.h"

#include "json.h"
#include "mem.h"
#include "sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define API "/ExternalApi/v2/"

/* A sale header: SkipQuote as given. Returns its ID (malloc'd). */
static char *header(const e2e_server *s, int skip_quote, const char *type)
{
    char *body = xasprintf("{\"Customer\":\"Web Shop\",\"Location\":\"Main Warehouse\",\"SkipQuote\":%s%s%s%s}",
                           skip_quote ? "true" : "false", type ? ",\"Type\":\"" : "", type ? type : "",
                           type ? "\"" : "");
    cJSON *v = c7t_call(s, c7t_auth, "POST", API "sale", body, 200);
    free(body);
    char *id = xstrdup(c7t_str(v, "ID"));
    cJSON_Delete(v);
    return id;
}

/* POST path {key: id, Status, Memo, Lines: lines (JSON text)}; the answer's
 * status. */
static int post_section(const e2e_server *s, const char *path, const char *key, const char *id,
                        const char *status, const char *lines, char **error)
{
    char *body = xasprintf("{\"%s\":\"%s\",\"Status\":\"%s\",\"Memo\":\"\",\"Lines\":%s}", key, id,
                           status, lines);
    httpc_resp r = e2e_call(s, "POST", path, c7t_auth, body);
    free(body);
    int st = r.result == HTTPC_OK ? r.status : 0;
    if (error) {
        *error = NULL;
        json_err e;
        cJSON *v = st >= 400 ? json_parse(r.body, r.body_len, &e) : NULL;
        const char *x = c7t_str(cJSON_GetArrayItem(v, 0), "Exception");
        *error = xstrdup(x ? x : "");
        cJSON_Delete(v);
    }
    httpc_resp_free(&r);
    return st;
}

static const char *sale_status(const e2e_server *s, const char *id, const char *field)
{
    static char buf[64];
    cJSON *v = c7t_sale_doc(s, id);
    snprintf(buf, sizeof buf, "%s", c7t_str(v, field) ? c7t_str(v, field) : "(none)");
    cJSON_Delete(v);
    return buf;
}

TEST(cin7_conformance, the_quote_comes_before_the_order)
{
    e2e_server s;
    c7t_start_world(&s, "\"sales\":{\"pick_after\":null}", NULL);
    char *lines = c7t_lines("A-1:2");
    char *err = NULL;
    /* Without SkipQuote the sale is DRAFT and its order refused until the
     * quote is AUTHORISED (sale/order: "exception if Quote status is not
     * AUTHORISED"). */
    char *id = header(&s, 0, NULL);
    EXPECT_EQ_STR(sale_status(&s, id, "Status"), "DRAFT");
    EXPECT_EQ_INT(post_section(&s, API "sale/order", "SaleID", id, "AUTHORISED", lines, &err), 400);
    EXPECT_CONTAINS(err, "must be AUTHORISED");
    free(err);
    EXPECT_EQ_INT(post_section(&s, API "sale/quote", "SaleID", id, "DRAFT", lines, NULL), 200);
    EXPECT_EQ_STR(sale_status(&s, id, "Status"), "ESTIMATING");
    EXPECT_EQ_INT(post_section(&s, API "sale/order", "SaleID", id, "DRAFT", lines, &err), 400);
    free(err);
    EXPECT_EQ_INT(post_section(&s, API "sale/quote", "SaleID", id, "AUTHORISED", lines, NULL), 200);
    EXPECT_EQ_STR(sale_status(&s, id, "Status"), "ESTIMATED");
    /* An authorised quote is closed ("exception if Quote status is not
     * DRAFT or NOT AVAILABLE"). */
    EXPECT_EQ_INT(post_section(&s, API "sale/quote", "SaleID", id, "DRAFT", lines, &err), 400);
    EXPECT_CONTAINS(err, "AUTHORISED");
    free(err);
    EXPECT_EQ_INT(post_section(&s, API "sale/order", "SaleID", id, "DRAFT", lines, NULL), 200);
    EXPECT_EQ_STR(sale_status(&s, id, "Status"), "ORDERING");
    /* A DRAFT order allocates nothing and may be posted again. */
    cJSON *row = c7t_stock(&s, "A-1", "Main Warehouse");
    EXPECT_EQ_INT(c7t_num(row, "allocated"), 0);
    cJSON_Delete(row);
    EXPECT_EQ_INT(post_section(&s, API "sale/order", "SaleID", id, "AUTHORISED", lines, NULL), 200);
    EXPECT_EQ_STR(sale_status(&s, id, "Status"), "ORDERED");
    /* An authorised order is closed too. */
    EXPECT_EQ_INT(post_section(&s, API "sale/order", "SaleID", id, "AUTHORISED", lines, &err), 400);
    EXPECT_CONTAINS(err, "only a DRAFT or NOT AVAILABLE order");
    free(err);
    cJSON *q = c7t_call(&s, c7t_auth, "GET", API "sale/quote?SaleID=", NULL, 400);
    cJSON_Delete(q);
    free(id);
    /* With SkipQuote there is no quote to post ("exception if Sale's
     * SkipQuote parameter is true"). */
    id = header(&s, 1, NULL);
    EXPECT_EQ_STR(sale_status(&s, id, "Status"), "ESTIMATED");
    EXPECT_EQ_INT(post_section(&s, API "sale/quote", "SaleID", id, "DRAFT", lines, &err), 400);
    EXPECT_CONTAINS(err, "SkipQuote");
    free(err);
    free(id);
    free(lines);
    e2e_stop(&s);
}

/* One line that breaks one rule, and what the error must name. */
static const struct {
    const char *line, *want;
} line_cases[] = {
    /* Each required field missing. */
    {"{\"Name\":\"A\",\"Quantity\":1,\"Price\":10,\"Tax\":0,\"TaxRule\":\"Tax Exempt\",\"Total\":10}",
     "Lines[0].SKU: required field is missing (or ProductID)"},
    {"{\"SKU\":\"A-1\",\"Quantity\":1,\"Price\":10,\"Tax\":0,\"TaxRule\":\"Tax Exempt\",\"Total\":10}",
     "Lines[0].Name"},
    {"{\"SKU\":\"A-1\",\"Name\":\"A\",\"Price\":10,\"Tax\":0,\"TaxRule\":\"Tax Exempt\",\"Total\":10}",
     "Lines[0].Quantity"},
    {"{\"SKU\":\"A-1\",\"Name\":\"A\",\"Quantity\":1,\"Tax\":0,\"TaxRule\":\"Tax Exempt\",\"Total\":10}",
     "Lines[0].Price"},
    {"{\"SKU\":\"A-1\",\"Name\":\"A\",\"Quantity\":1,\"Price\":10,\"TaxRule\":\"Tax Exempt\",\"Total\":10}",
     "Lines[0].Tax"},
    {"{\"SKU\":\"A-1\",\"Name\":\"A\",\"Quantity\":1,\"Price\":10,\"Tax\":0,\"Total\":10}",
     "Lines[0].TaxRule"},
    {"{\"SKU\":\"A-1\",\"Name\":\"A\",\"Quantity\":1,\"Price\":10,\"Tax\":0,\"TaxRule\":\"Tax Exempt\"}",
     "Lines[0].Total"},
    /* The Total check: Quantity x Price x (1 - Discount/100), within 0.01. */
    {"{\"SKU\":\"A-1\",\"Name\":\"A\",\"Quantity\":3,\"Price\":19.99,\"Tax\":0,\"TaxRule\":\"Tax Exempt\",\"Total\":59.95}",
     "Lines[0].Total: 59.95 does not match Quantity x Price x (1 - Discount/100) = 59.97"},
    {"{\"SKU\":\"A-1\",\"Name\":\"A\",\"Quantity\":2,\"Price\":10,\"Discount\":10,\"Tax\":0,\"TaxRule\":\"Tax Exempt\",\"Total\":20}",
     "= 18 (tolerance 0.01)"},
    /* Decimals: at most 4 places, at least 1 (the models' "Minimal value
     * is 1"), a discount with 2 places, from 0 to 100. */
    {"{\"SKU\":\"A-1\",\"Name\":\"A\",\"Quantity\":1.23456,\"Price\":1,\"Tax\":0,\"TaxRule\":\"Tax Exempt\",\"Total\":1.2346}",
     "Lines[0].Quantity: at most 4 decimal places"},
    {"{\"SKU\":\"A-1\",\"Name\":\"A\",\"Quantity\":0.5,\"Price\":1,\"Tax\":0,\"TaxRule\":\"Tax Exempt\",\"Total\":0.5}",
     "Lines[0].Quantity: expected a value from 1"},
    {"{\"SKU\":\"A-1\",\"Name\":\"A\",\"Quantity\":1,\"Price\":10,\"Discount\":1.005,\"Tax\":0,\"TaxRule\":\"Tax Exempt\",\"Total\":9.9}",
     "Lines[0].Discount: at most 2 decimal places"},
    {"{\"SKU\":\"A-1\",\"Name\":\"A\",\"Quantity\":1,\"Price\":10,\"Discount\":120,\"Tax\":0,\"TaxRule\":\"Tax Exempt\",\"Total\":0}",
     "Lines[0].Discount"},
    {"{\"SKU\":\"A-1\",\"Name\":\"A\",\"Quantity\":1,\"Price\":-1,\"Tax\":0,\"TaxRule\":\"Tax Exempt\",\"Total\":-1}",
     "Lines[0].Price"},
    /* A tax rule that exists, and is for sales. */
    {"{\"SKU\":\"A-1\",\"Name\":\"A\",\"Quantity\":1,\"Price\":10,\"Tax\":0,\"TaxRule\":\"Zero Rated\",\"Total\":10}",
     "Lines[0].TaxRule: tax rule 'Zero Rated' not found"},
    {"{\"SKU\":\"A-1\",\"Name\":\"A\",\"Quantity\":1,\"Price\":10,\"Tax\":1,\"TaxRule\":\"Tax on Purchases\",\"Total\":10}",
     "Lines[0].TaxRule: tax rule 'Tax on Purchases' is not for sales"},
    /* A product that exists; SKU and ProductID that agree. */
    {"{\"SKU\":\"ZZ-9\",\"Name\":\"A\",\"Quantity\":1,\"Price\":10,\"Tax\":0,\"TaxRule\":\"Tax Exempt\",\"Total\":10}",
     "Lines[0].SKU: product with SKU 'ZZ-9' not found"},
    {"\"not a line\"", "Lines[0]: expected a line object"},
};

TEST(cin7_conformance, order_lines_follow_the_reference_rules)
{
    e2e_server s;
    c7t_start_world(&s, "\"sales\":{\"pick_after\":null}", NULL);
    char *id = header(&s, 1, NULL);
    for (size_t i = 0; i < sizeof line_cases / sizeof line_cases[0]; i++) {
        char *lines = xasprintf("[%s]", line_cases[i].line);
        char *err = NULL;
        int st = post_section(&s, API "sale/order", "SaleID", id, "AUTHORISED", lines, &err);
        if (st != 400 || !strstr(err, line_cases[i].want))
            test_fail(__FILE__, __LINE__, "case %zu: got %d \"%s\", expected 400 naming \"%s\"", i, st,
                      err, line_cases[i].want);
        free(err);
        free(lines);
    }
    /* The section's own fields. */
    static const struct {
        const char *body, *want;
    } bodies[] = {
        {"{\"SaleID\":\"%s\",\"Memo\":\"\",\"Lines\":[]}", "Status: required"},
        {"{\"SaleID\":\"%s\",\"Status\":\"VOIDED\",\"Memo\":\"\",\"Lines\":[]}", "Status: expected DRAFT or AUTHORISED"},
        {"{\"SaleID\":\"%s\",\"Status\":\"DRAFT\",\"Lines\":[]}", "Memo: required"},
        {"{\"SaleID\":\"%s\",\"Status\":\"DRAFT\",\"Memo\":\"\"}", "Lines: required"},
        {"{\"SaleID\":\"%s\",\"Status\":\"AUTHORISED\",\"Memo\":\"\",\"Lines\":[]}", "at least one line"},
        {"{\"SaleID\":\"%s\",\"Status\":\"DRAFT\",\"Memo\":\"\",\"Lines\":[],\"AutoPickPackShipMode\":\"YES\"}",
         "AutoPickPackShipMode"},
        {"{\"Status\":\"DRAFT\",\"Memo\":\"\",\"Lines\":[]}", "SaleID: required"},
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        char *body = xasprintf(bodies[i].body, id);
        c7t_expect_error(&s, c7t_auth, "POST", API "sale/order", body, 400, bodies[i].want);
        free(body);
    }
    /* Nothing of it reached the sale. */
    EXPECT_EQ_STR(sale_status(&s, id, "Status"), "ESTIMATED");
    /* Within the tolerance, decimals and a discount: accepted, exact. */
    EXPECT_EQ_INT(post_section(&s, API "sale/order", "SaleID", id, "AUTHORISED",
                               "[{\"SKU\":\"A-1\",\"Name\":\"Anvil\",\"Quantity\":2.5,\"Price\":19.99,"
                               "\"Discount\":12.5,\"Tax\":4.37,\"TaxRule\":\"Tax on Sales\",\"Total\":43.73}]",
                               NULL),
                  200);
    cJSON *v = c7t_sale_doc(&s, id);
    const cJSON *order = cJSON_GetObjectItemCaseSensitive(v, "Order");
    EXPECT_NEAR(c7t_num(order, "TotalBeforeTax"), 43.73, 1e-9);
    EXPECT_NEAR(c7t_num(order, "Total"), 48.1, 1e-9);
    EXPECT_EQ_STR(c7t_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(order, "Lines"), 0), "TaxRule"),
                  "Tax on Sales");
    cJSON_Delete(v);
    cJSON *row = c7t_stock(&s, "A-1", "Main Warehouse");
    EXPECT_NEAR(c7t_num(row, "allocated"), 2.5, 1e-9);
    EXPECT_NEAR(c7t_num(row, "available"), 97.5, 1e-9);
    cJSON_Delete(row);
    /* Purchase lines: the same rules, a purchase tax rule, and no
     * AutoPickPackShipMode. */
    char *pid = c7t_purchase(&s, "Main Warehouse", NULL, NULL);
    char *err = NULL;
    EXPECT_EQ_INT(post_section(&s, API "purchase/order", "TaskID", pid, "DRAFT",
                               "[{\"SKU\":\"A-1\",\"Name\":\"A\",\"Quantity\":1,\"Price\":4,\"Tax\":0,"
                               "\"TaxRule\":\"Tax on Sales\",\"Total\":4}]",
                               &err),
                  400);
    EXPECT_CONTAINS(err, "is not for purchases");
    free(err);
    char *body = xasprintf("{\"TaskID\":\"%s\",\"Status\":\"DRAFT\",\"Memo\":\"\",\"Lines\":[],"
                           "\"AutoPickPackShipMode\":\"AUTOPICK\"}", pid);
    c7t_expect_error(&s, c7t_auth, "POST", API "purchase/order", body, 400, "only POST sale/order");
    free(body);
    free(pid);
    /* GET ref/tax lists the rules the lines name. */
    v = c7t_call(&s, c7t_auth, "GET", API "ref/tax", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 3);
    const cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "TaxRuleList"), 1);
    EXPECT_EQ_STR(c7t_str(t, "Name"), "Tax on Sales");
    EXPECT_EQ_INT(c7t_num(t, "TaxPercent"), 10);
    EXPECT_TRUE(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(t, "IsTaxForPurchase")));
    cJSON_Delete(v);
    free(id);
    e2e_stop(&s);
}

/* Waits (bounded, real time) until a sale's field reads want. */
typedef struct {
    const e2e_server *s;
    const char *id, *field, *want;
} sale_wait;

static int sale_field_is(void *ud)
{
    sale_wait *w = ud;
    return strcmp(sale_status(w->s, w->id, w->field), w->want) == 0;
}

TEST(cin7_conformance, an_advanced_sale_stays_ordered_while_it_ships)
{
    e2e_server s;
    const char *const args[] = {"--time-scale", "6000", NULL};
    c7t_start_world(&s,
                    "\"sales\":{\"pick_after\":\"1m\",\"pack_after\":\"1m\",\"ship_after\":\"1m\","
                    "\"invoice_after\":\"1h\",\"paid_after\":\"1h\"}",
                    args);
    char *id = header(&s, 1, "Advanced");
    char *lines = c7t_lines("A-1:1");
    EXPECT_EQ_INT(post_section(&s, API "sale/order", "SaleID", id, "AUTHORISED", lines, NULL), 200);
    free(lines);
    sale_wait w = {&s, id, "CombinedShippingStatus", "SHIPPED"};
    EXPECT_TRUE(e2e_wait(sale_field_is, &w, 10000));
    /* Shipped, not invoiced: still ORDERED (Cin7's help, "Sales list views
     * and order status values"), then COMPLETED once invoiced. */
    cJSON *v = c7t_sale_doc(&s, id);
    EXPECT_EQ_STR(c7t_str(v, "Type"), "Advanced Sale");
    EXPECT_EQ_STR(c7t_str(v, "FulFilmentStatus"), "FULFILLED");
    int invoiced = strcmp(c7t_str(v, "CombinedInvoiceStatus"), "INVOICED") == 0;
    EXPECT_EQ_STR(c7t_str(v, "Status"), invoiced ? "COMPLETED" : "ORDERED");
    cJSON_Delete(v);
    w = (sale_wait){&s, id, "Status", "COMPLETED"};
    EXPECT_TRUE(e2e_wait(sale_field_is, &w, 10000));
    /* No status of any sale ever read SHIPPED. */
    cJSON *j = e2e_journal(&s);
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        const char *st = c7t_str(e, "status");
        EXPECT_TRUE(!st || strcmp(st, "SHIPPED") != 0);
    }
    cJSON_Delete(j);
    free(id);
    e2e_stop(&s);
}

/* The keys a saleList row must have: the `required` list of the row's
 * schema in Cin7's reference (GET saleList). */
static const char *const sale_row_keys[] = {
    "BaseCurrency",     "CombinedInvoiceStatus", "CombinedPackingStatus", "CombinedPaymentStatus",
    "CombinedPickingStatus", "CombinedShippingStatus", "CombinedTrackingNumbers",
    "CreditNoteNumber", "CreditNoteStatus",      "Customer",              "CustomerCurrency",
    "CustomerID",       "CustomerReference",     "ExternalID",            "FulFilmentStatus",
    "InvoiceAmount",    "InvoiceDate",           "InvoiceDueDate",        "InvoiceNumber",
    "OrderDate",        "OrderLocationID",       "OrderNumber",           "OrderStatus",
    "PaidAmount",       "QuoteStatus",           "RestockStatus",         "SaleID",
    "ShipBy",           "SourceChannel",         "Status",                "Type",
    "Updated"};

/* The saleList row of sale id. Caller deletes *list. */
static const cJSON *sale_row(const e2e_server *s, const char *id, cJSON **list)
{
    *list = c7t_call(s, c7t_auth, "GET", API "saleList", NULL, 200);
    const cJSON *row;
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(*list, "SaleList"))
    {
        const char *rid = c7t_str(row, "SaleID");
        if (rid && strcmp(rid, id) == 0)
            return row;
    }
    return NULL;
}

TEST(cin7_conformance, sale_list_rows_have_every_key_the_reference_requires)
{
    e2e_server s;
    const char *const args[] = {"--time-scale", "6000", NULL};
    c7t_start_world(&s,
                    "\"sales\":{\"pick_after\":\"1m\",\"pack_after\":\"1m\",\"ship_after\":\"1m\","
                    "\"invoice_after\":\"1m\",\"paid_after\":null}",
                    args);
    char *bare = header(&s, 0, NULL);
    char *id = header(&s, 1, NULL);
    char *lines = c7t_lines("A-1:1");
    EXPECT_EQ_INT(post_section(&s, API "sale/order", "SaleID", id, "AUTHORISED", lines, NULL), 200);
    free(lines);
    sale_wait w = {&s, id, "CombinedInvoiceStatus", "INVOICED"};
    EXPECT_TRUE(e2e_wait(sale_field_is, &w, 10000));
    cJSON *list;
    const cJSON *row = sale_row(&s, bare, &list);
    EXPECT_TRUE(row != NULL);
    for (size_t i = 0; row && i < sizeof sale_row_keys / sizeof *sale_row_keys; i++)
        EXPECT_TRUE(cJSON_GetObjectItemCaseSensitive(row, sale_row_keys[i]) != NULL);
    /* A quote: no invoice, no ship-by date, no ExternalID (typed string:
     * empty, as in the reference's example). */
    EXPECT_TRUE(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(row, "InvoiceNumber")));
    EXPECT_TRUE(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(row, "ShipBy")));
    EXPECT_EQ_STR(c7t_str(row, "ExternalID"), "");
    EXPECT_EQ_STR(c7t_str(row, "CreditNoteStatus"), "NOT AVAILABLE");
    cJSON_Delete(list);
    row = sale_row(&s, id, &list);
    EXPECT_TRUE(row != NULL);
    for (size_t i = 0; row && i < sizeof sale_row_keys / sizeof *sale_row_keys; i++)
        EXPECT_TRUE(cJSON_GetObjectItemCaseSensitive(row, sale_row_keys[i]) != NULL);
    /* Invoiced: the invoice's number and dates. */
    EXPECT_EQ_STR(c7t_str(row, "InvoiceNumber"), "INV-00001");
    EXPECT_TRUE(c7t_str(row, "InvoiceDate") != NULL);
    EXPECT_TRUE(c7t_str(row, "InvoiceDueDate") != NULL);
    EXPECT_TRUE(strcmp(c7t_str(row, "InvoiceDueDate"), c7t_str(row, "InvoiceDate")) > 0);
    cJSON_Delete(list);
    free(bare);
    free(id);
    e2e_stop(&s);
}

/* A Simple sale (quote skipped) whose order of lines ("SKU:qty,...") is
 * authorised with AutoPickPackShipMode mode. Returns its ID (caller
 * frees). */
static char *authorised_with_mode(const e2e_server *s, const char *lines, const char *mode)
{
    char *id = header(s, 1, NULL);
    char *l = c7t_lines(lines);
    char *body = xasprintf("{\"SaleID\":\"%s\",\"Status\":\"AUTHORISED\",\"Memo\":\"\",\"Lines\":%s,"
                           "\"AutoPickPackShipMode\":\"%s\"}", id, l, mode);
    cJSON_Delete(c7t_call(s, c7t_auth, "POST", API "sale/order", body, 200));
    free(body);
    free(l);
    return id;
}

TEST(cin7_conformance, auto_pick_pack_ship_modes)
{
    e2e_server s;
    c7t_start_world(&s, "\"sales\":{\"pick_after\":null}", NULL);
    /* AUTOPICKPACK on a Simple sale in stock: picked and packed at once. */
    char *id = authorised_with_mode(&s, "A-1:2", "AUTOPICKPACK");
    EXPECT_EQ_STR(sale_status(&s, id, "Status"), "PACKED");
    EXPECT_EQ_STR(sale_status(&s, id, "CombinedPackingStatus"), "PACKED");
    cJSON *row = c7t_stock(&s, "A-1", "Main Warehouse");
    EXPECT_EQ_INT(c7t_num(row, "on_hand"), 98);
    cJSON_Delete(row);
    free(id);
    /* With a backorder the mode does nothing (the reference: "only Sales
     * with Type = Simple Sale and with no backorder"). */
    id = authorised_with_mode(&s, "A-2:11", "AUTOPICKPACKSHIP");
    EXPECT_EQ_STR(sale_status(&s, id, "Status"), "BACKORDERED");
    EXPECT_EQ_STR(sale_status(&s, id, "CombinedPickingStatus"), "NOT PICKED");
    free(id);
    /* AUTOPICKPACKSHIP ships (no tracking number) and drafts the invoice. */
    id = authorised_with_mode(&s, "A-1:1", "AUTOPICKPACKSHIP");
    EXPECT_EQ_STR(sale_status(&s, id, "CombinedShippingStatus"), "SHIPPED");
    EXPECT_EQ_STR(sale_status(&s, id, "Status"), "INVOICING");
    EXPECT_EQ_STR(sale_status(&s, id, "CombinedTrackingNumbers"), "");
    free(id);
    e2e_stop(&s);
}

/* Every key of a payload, sorted and comma-joined, for comparison. */
static void keys_of(const cJSON *o, char *out, size_t n)
{
    const char *keys[16];
    int k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, o) if (k < 16) keys[k++] = it->string;
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            const char *t = keys[j];
            keys[j] = keys[j - 1];
            keys[j - 1] = t;
        }
    out[0] = '\0';
    for (int i = 0; i < k; i++)
        snprintf(out + strlen(out), n - strlen(out), "%s%s", i ? "," : "", keys[i]);
}

/* The payload shapes Cin7 sends (../shared/API-NOTES.md). */
static const struct {
    const char *type, *keys;
} shapes[] = {
    {"Sale/QuoteAuthorised", "EventType,SaleID,SaleOrderNumber"},
    {"Sale/OrderAuthorised", "EventType,SaleID,SaleOrderNumber"},
    {"Sale/Backordered", "EventType,SaleID,SaleOrderNumber"},
    {"Sale/PickAuthorised", "EventType,SaleID,SaleOrderNumber"},
    {"Sale/PackAuthorised", "EventType,SaleID,SaleOrderNumber"},
    {"Sale/ShipmentAuthorised", "EventType,SaleID,SaleOrderNumber,SaleTaskID,TenantID"},
    {"Sale/ShipmentTrackingNumberChanged", "EventType,SaleID,SaleOrderNumber"},
    {"Sale/InvoiceAuthorised", "EventType,SaleID,SaleOrderNumber"},
    {"Sale/FullPaymentReceived", "EventType,SaleID,SaleOrderNumber"},
    {"Sale/Voided", "EventType,SaleID,SaleOrderNumber"},
    {"Purchase/OrderAuthorised", "EventType,PurchaseOrderNumber,Supplier,SupplierID,TaskID"},
    {"Purchase/StockReceivedAuthorised", "EventType,PurchaseOrderNumber,Supplier,SupplierID,TaskID"},
    {"Purchase/InvoiceAuthorised", "EventType,PurchaseOrderNumber,Supplier,SupplierID,TaskID"},
};

TEST(cin7_conformance, thin_webhooks_of_every_type_sent)
{
    c7t_receiver rc;
    c7t_receiver_start(&rc, 0);
    e2e_server s;
    const char *const args[] = {"--time-scale", "36000", NULL};
    c7t_start_world(&s,
                    "\"sales\":{\"pick_after\":\"1m\",\"pack_after\":\"1m\",\"ship_after\":\"1m\","
                    "\"invoice_after\":\"1m\",\"paid_after\":\"1m\"},"
                    "\"purchases\":{\"invoice_after\":\"1m\"},"
                    "\"webhooks\":{\"first_attempt_after\":\"1m\",\"coalesce_window\":\"1m\"}",
                    args);
    /* Every type the reference lists is accepted; one subscription each. */
    const char *const *types = NULL;
    static const char *const all[] = {
        "Sale/QuoteAuthorised", "Sale/OrderAuthorised", "Sale/Voided", "Sale/Backordered",
        "Sale/ShipmentAuthorised", "Sale/InvoiceAuthorised", "Sale/PickAuthorised",
        "Sale/PackAuthorised", "Sale/CreditNoteAuthorised", "Sale/Undo",
        "Sale/PartialPaymentReceived", "Sale/FullPaymentReceived",
        "Sale/ShipmentTrackingNumberChanged", "Purchase/OrderAuthorised",
        "Purchase/InvoiceAuthorised", "Purchase/StockReceivedAuthorised",
        "Purchase/CreditNoteAuthorised", "Customer/Updated", "Supplier/Updated",
        "Stock/AvailableStockLevelChanged", NULL};
    types = all;
    int n_types = 0;
    for (; types[n_types]; n_types++) {
        char *body = xasprintf("{\"Type\":\"%s\",\"ExternalURL\":\"http://127.0.0.1:%u/hook/%d\"}",
                               types[n_types], (unsigned)httpd_port(rc.srv), n_types);
        cJSON_Delete(c7t_call(&s, c7t_auth, "POST", API "webhooks", body, 200));
        free(body);
    }
    EXPECT_EQ_INT(n_types, 20);
    /* Newer client code names more types; the reference does not. */
    c7t_expect_error(&s, c7t_auth, "POST", API "webhooks",
                     "{\"Type\":\"Sale/Created\",\"ExternalURL\":\"http://127.0.0.1:1/x\"}", 400,
                     "unknown webhook type 'Sale/Created' (the reference lists");

    /* A quote, an order that ships and is invoiced and paid, a backordered
     * one, a voided one, and a purchase received and invoiced. */
    char *id = header(&s, 0, NULL);
    char *lines = c7t_lines("A-1:1");
    EXPECT_EQ_INT(post_section(&s, API "sale/quote", "SaleID", id, "AUTHORISED", lines, NULL), 200);
    EXPECT_EQ_INT(post_section(&s, API "sale/order", "SaleID", id, "AUTHORISED", lines, NULL), 200);
    free(lines);
    free(id);
    free(c7t_sale(&s, "#bo", "Main Warehouse", "A-2:11", "AUTHORISED"));
    char *vid = c7t_sale(&s, "#void", "East", "A-1:1", "DRAFT");
    char path[256];
    snprintf(path, sizeof path, API "sale?ID=%s&Void=true", vid);
    cJSON_Delete(c7t_call(&s, c7t_auth, "DELETE", path, NULL, 200));
    free(vid);
    free(c7t_purchase(&s, "East", "B-1:5@2", "AUTHORISED"));

    /* Wait for a delivery of every type the flows make. */
    int want = (int)(sizeof shapes / sizeof shapes[0]) + 1; /* + the stock rows */
    int seen[32] = {0}, distinct = 0;
    for (int tries = 0; tries < 200 && distinct < want; tries++) {
        usleep(50000);
        distinct = 0;
        memset(seen, 0, sizeof seen);
        int n = c7t_receiver_count(&rc);
        for (int i = 0; i < n; i++) {
            c7t_hit h;
            free(c7t_receiver_body(&rc, i, &h));
            int t = atoi(h.path + strlen("/hook/"));
            if (t >= 0 && t < 32 && !seen[t]++)
                distinct++;
        }
    }
    EXPECT_EQ_INT(distinct, want);
    int n = c7t_receiver_count(&rc);
    int checked[32] = {0};
    for (int i = 0; i < n; i++) {
        c7t_hit h;
        char *body = c7t_receiver_body(&rc, i, &h);
        const char *type = types[atoi(h.path + strlen("/hook/"))];
        json_err e;
        cJSON *v = json_parse(body, strlen(body), &e);
        free(body);
        EXPECT_TRUE(v != NULL);
        if (strcmp(type, "Stock/AvailableStockLevelChanged") == 0) {
            /* A bare array of per-location rows, no EventType. */
            EXPECT_TRUE(cJSON_IsArray(v));
            char keys[256];
            keys_of(cJSON_GetArrayItem(v, 0), keys, sizeof keys);
            EXPECT_EQ_STR(keys, "Allocated,Available,Batch,Bin,Location,OnHand,OnOrder,SKU,StockOnHand");
        } else {
            size_t k = 0;
            while (k < sizeof shapes / sizeof shapes[0] && strcmp(shapes[k].type, type) != 0)
                k++;
            if (k == sizeof shapes / sizeof shapes[0])
                test_fail(__FILE__, __LINE__, "a delivery of %s, which no flow here makes", type);
            char keys[256];
            keys_of(v, keys, sizeof keys);
            EXPECT_EQ_STR(keys, shapes[k].keys);
            EXPECT_EQ_STR(c7t_str(v, "EventType"), type);
            checked[k] = 1;
        }
        cJSON_Delete(v);
    }
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
        if (!checked[k])
            test_fail(__FILE__, __LINE__, "no delivery of %s", shapes[k].type);
    e2e_stop(&s);
    c7t_receiver_stop(&rc);
}

TEST(cin7_conformance, bins_and_batches_add_up_and_allocate_earliest_expiry_first)
{
    e2e_server s;
    /* A-1 at Main: a bin of loose stock and two batches with expiry dates,
     * the later one given first; 100 + 30 + 20 on hand. */
    const char *const args[] = {"--time-scale", "600", NULL};
    c7t_start_world(&s, "\"sales\":{\"pick_after\":\"1m\",\"task_draft_for\":0}", args);
    cJSON_Delete(e2e_expect(&s, "POST", "/_mock/seed", NULL,
                            "{\"products\":[{\"sku\":\"L-1\",\"name\":\"Lot\"}],\"stock\":["
                            "{\"sku\":\"L-1\",\"location\":\"Main Warehouse\",\"bin\":\"A1\",\"on_hand\":5},"
                            "{\"sku\":\"L-1\",\"location\":\"Main Warehouse\",\"bin\":\"B2\",\"batch\":\"LATE\","
                            "\"expiry\":\"2031-06-30\",\"on_hand\":3.5},"
                            "{\"sku\":\"L-1\",\"location\":\"Main Warehouse\",\"bin\":\"B2\",\"batch\":\"EARLY\","
                            "\"expiry\":\"2030-01-31\",\"on_hand\":2}]}",
                            200, 1));
    cJSON *v = c7t_call(&s, c7t_auth, "GET", API "ref/productavailability?Sku=L-1&Location=Main%20Warehouse",
                        NULL, 200);
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(v, "ProductAvailabilityList");
    EXPECT_EQ_INT(cJSON_GetArraySize(rows), 3);
    double on_hand = 0, available = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
    {
        on_hand += c7t_num(row, "OnHand");
        available += c7t_num(row, "Available");
    }
    EXPECT_NEAR(on_hand, 10.5, 1e-9);
    EXPECT_NEAR(available, 10.5, 1e-9);
    cJSON_Delete(v);
    v = c7t_call(&s, c7t_auth, "GET", API "ref/productavailability?Sku=L-1&Batch=EARLY", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 1);
    EXPECT_EQ_STR(c7t_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "ProductAvailabilityList"), 0),
                          "ExpiryDate"),
                  "2030-01-31T00:00:00.000");
    cJSON_Delete(v);
    /* 4.5 units: the EARLY batch (2), then LATE (2.5); loose stock last. */
    char *id = c7t_sale(&s, "#lot", "Main Warehouse", "L-1:4.5@2", "AUTHORISED");
    cJSON *st = e2e_expect(&s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    const cJSON *cell = NULL;
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(st, "stock"))
        if (strcmp(c7t_str(row, "sku"), "L-1") == 0 && strcmp(c7t_str(row, "location"), "Main Warehouse") == 0)
            cell = row;
    EXPECT_TRUE(cell != NULL);
    EXPECT_NEAR(c7t_num(cell, "allocated"), 4.5, 1e-9);
    EXPECT_NEAR(c7t_num(cell, "available"), 6, 1e-9);
    const cJSON *lot;
    cJSON_ArrayForEach(lot, cJSON_GetObjectItemCaseSensitive(cell, "lots"))
    {
        const char *batch = c7t_str(lot, "batch");
        double want = !batch ? 0 : strcmp(batch, "EARLY") == 0 ? 2 : 2.5;
        EXPECT_NEAR(c7t_num(lot, "allocated"), want, 1e-9);
    }
    cJSON_Delete(st);
    /* The picking list names the batches. */
    cJSON_Delete(e2e_expect(&s, "POST", "/_mock/adjust", NULL,
                            "{\"sku\":\"L-1\",\"location\":\"Main Warehouse\",\"bin\":\"A1\",\"on_hand\":6}",
                            200, 1));
    sale_wait w = {&s, id, "CombinedPickingStatus", "PICKED"};
    EXPECT_TRUE(e2e_wait(sale_field_is, &w, 20000));
    v = c7t_sale_doc(&s, id);
    const cJSON *pick = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "Fulfilments"), 0), "Pick");
    char batches[64] = "";
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(pick, "Lines"))
        snprintf(batches + strlen(batches), sizeof batches - strlen(batches), "%s%s:%g",
                 *batches ? "," : "", c7t_str(row, "BatchSN"), c7t_num(row, "Quantity"));
    EXPECT_EQ_STR(batches, "EARLY:2,LATE:2.5");
    cJSON_Delete(v);
    free(id);
    /* A stock take of one bin leaves the others; on hand is their sum. */
    cJSON *cellrow = c7t_stock(&s, "L-1", "Main Warehouse");
    EXPECT_NEAR(c7t_num(cellrow, "on_hand"), 7, 1e-9);
    EXPECT_NEAR(c7t_num(cellrow, "adjusted"), 1, 1e-9);
    cJSON_Delete(cellrow);
    e2e_stop(&s);
}

TEST(cin7_conformance, purchase_order_preconditions_and_header_rules)
{
    e2e_server s;
    c7t_start_world(&s, "", NULL);
    /* An order with lines goes DRAFT (ORDERING), then AUTHORISED
     * (ORDERED), then is closed to POSTs. */
    char *id = c7t_purchase(&s, "Main Warehouse", "A-1:10@4", "DRAFT");
    char path[256];
    snprintf(path, sizeof path, API "advanced-purchase?ID=%s", id);
    cJSON *v = c7t_call(&s, c7t_auth, "GET", path, NULL, 200);
    EXPECT_EQ_STR(c7t_str(v, "Status"), "ORDERING");
    cJSON_Delete(v);
    char *lines = c7t_lines("A-1:12@4");
    char *err = NULL;
    EXPECT_EQ_INT(post_section(&s, API "purchase/order", "TaskID", id, "AUTHORISED", lines, NULL), 200);
    EXPECT_EQ_INT(post_section(&s, API "purchase/order", "TaskID", id, "DRAFT", lines, &err), 400);
    EXPECT_CONTAINS(err, "only a DRAFT or NOT AVAILABLE order");
    free(err);
    free(lines);
    v = c7t_call(&s, c7t_auth, "GET", path, NULL, 200);
    EXPECT_EQ_STR(c7t_str(v, "Status"), "ORDERED");
    /* Supplier and location are fixed once authorised. */
    char *body = xasprintf("{\"ID\":\"%s\",\"Location\":\"East\"}", id);
    c7t_expect_error(&s, c7t_auth, "PUT", API "advanced-purchase", body, 400, "Location");
    free(body);
    cJSON_Delete(v);
    /* The deprecated simple purchase is served, header only as well. */
    c7t_expect_error(&s, c7t_auth, "POST", API "purchase",
                     "{\"Supplier\":\"Acme Supply\",\"Lines\":[]}", 400, "Lines: POST purchase creates the header only");
    v = c7t_call(&s, c7t_auth, "GET", API "purchaseList?OrderStatus=AUTHORISED", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 1);
    EXPECT_EQ_STR(c7t_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "PurchaseList"), 0), "Type"),
                  "Advanced Purchase");
    cJSON_Delete(v);
    free(id);
    e2e_stop(&s);
}

TEST(cin7_conformance, sale_header_rules)
{
    e2e_server s;
    c7t_start_world(&s, "", NULL);
    /* ExternalID and CustomerReference: up to 256 characters. */
    char long_id[300];
    memset(long_id, 'x', 257);
    long_id[257] = '\0';
    char *body = xasprintf("{\"Customer\":\"Web Shop\",\"ExternalID\":\"%s\"}", long_id);
    c7t_expect_error(&s, c7t_auth, "POST", API "sale", body, 400, "ExternalID: longer than 256");
    free(body);
    long_id[256] = '\0';
    body = xasprintf("{\"Customer\":\"Web Shop\",\"ExternalID\":\"%s\"}", long_id);
    cJSON_Delete(c7t_call(&s, c7t_auth, "POST", API "sale", body, 200));
    free(body);
    /* Customers are a resource: by name or by ID, which must agree. */
    cJSON *v = c7t_call(&s, c7t_auth, "GET", API "customer?Name=web", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 1);
    char cid[64];
    snprintf(cid, sizeof cid, "%s",
             c7t_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "CustomerList"), 0), "ID"));
    cJSON_Delete(v);
    body = xasprintf("{\"CustomerID\":\"%s\",\"Type\":\"Advanced Sale\"}", cid);
    v = c7t_call(&s, c7t_auth, "POST", API "sale", body, 200);
    EXPECT_EQ_STR(c7t_str(v, "Customer"), "Web Shop");
    EXPECT_EQ_STR(c7t_str(v, "Type"), "Advanced Sale");
    EXPECT_TRUE(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(v, "SkipQuote")));
    EXPECT_EQ_STR(c7t_str(v, "Status"), "DRAFT");
    cJSON_Delete(v);
    free(body);
    body = xasprintf("{\"CustomerID\":\"%s\",\"Customer\":\"Someone Else\"}", cid);
    c7t_expect_error(&s, c7t_auth, "POST", API "sale", body, 400, "is not the name of customer");
    free(body);
    c7t_expect_error(&s, c7t_auth, "POST", API "sale",
                     "{\"CustomerID\":\"00000000-0000-4000-8000-000000000000\"}", 400, "CustomerID");
    c7t_expect_error(&s, c7t_auth, "POST", API "sale", "{\"Customer\":\"Web Shop\",\"Type\":\"Service\"}",
                     400, "Type");
    c7t_expect_error(&s, c7t_auth, "POST", API "sale", "{\"Customer\":\"Web Shop\",\"SkipQuote\":\"yes\"}",
                     400, "SkipQuote");
    /* SourceChannel is read-only (the sale's source): ignored. */
    v = c7t_call(&s, c7t_auth, "POST", API "sale", "{\"Customer\":\"Web Shop\",\"SourceChannel\":\"Amazon\"}",
                 200);
    EXPECT_EQ_STR(c7t_str(v, "SourceChannel"), "");
    cJSON_Delete(v);
    e2e_stop(&s);
}
