/*
 * Cin7 conformance by hand: what the reference says in prose, which Prism
 * cannot check (its schemas come from examples): call order (quote before
 * order, header before lines), the required fields of order lines, the
 * preconditions of each POST, the statuses a sale and a purchase go
 * through, the webhook types and the shape of their notifications. Each
 * case names the reference's words it holds the mock to; docs/fidelity.md
 * lists them. The last test holds syncd's Cin7 client to the reference's
 * availability rows: one per bin and batch, decimal quantities.
 */
#include "test_mock_cin7.h"

#include "cin7.h"
#include "json.h"
#include "mem.h"
#include "metrics.h"
#include "sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API "/ExternalApi/v2/"

/* POSTs a sale header (extra JSON members after Customer and Location);
 * returns its ID (malloc'd). */
static char *header(const e2e_server *s, const char *extra)
{
    char *body = xasprintf("{\"Customer\":\"C\",\"Location\":\"Main Warehouse\"%s%s}",
                           extra && *extra ? "," : "", extra ? extra : "");
    cJSON *v = c7t_call(s, c7t_auth, "POST", API "sale", body, 200);
    free(body);
    char *id = xstrdup(c7t_str(v, "ID"));
    cJSON_Delete(v);
    return id;
}

/* The body of a quote or order POST for document id under key. */
static char *section(const char *key, const char *id, const char *status, const char *lines)
{
    char *l = c7t_lines(lines);
    char *b = xasprintf("{\"%s\":\"%s\",\"Status\":\"%s\",\"Memo\":\"\",\"Lines\":%s}", key, id,
                        status, l);
    free(l);
    return b;
}

/* The sale's field, read with GET sale (a copy, malloc'd). */
static char *sale_field(const e2e_server *s, const char *id, const char *field)
{
    char *path = xasprintf(API "sale?ID=%s", id);
    cJSON *v = c7t_call(s, c7t_auth, "GET", path, NULL, 200);
    char *out = xstrdup(c7t_str(v, field) ? c7t_str(v, field) : "(absent)");
    cJSON_Delete(v);
    free(path);
    return out;
}

static void expect_sale_field(const e2e_server *s, const char *id, const char *field,
                              const char *want)
{
    char *got = sale_field(s, id, field);
    EXPECT_EQ_STR(got, want);
    free(got);
}

TEST(cin7_conformance, quote_before_order_as_the_reference_orders_them)
{
    e2e_server s;
    c7t_start_world(&s, "\"sales\":{\"pick_after\":null}", NULL);
    const char *line = "{\"SKU\":\"A-1\",\"Quantity\":2}";
    /* A sale with its quote: "DRAFT: quote and order are empty". */
    char *id = header(&s, NULL);
    expect_sale_field(&s, id, "Status", "DRAFT");
    /* "POST sale/order will return exception if Quote status is not
     * AUTHORISED." */
    char *order = section("SaleID", id, "AUTHORISED", line);
    c7t_expect_error(&s, c7t_auth, "POST", API "sale/order", order, 400, "quote");
    /* The quote: DRAFT is ESTIMATING, AUTHORISED is ESTIMATED. */
    char *quote = section("SaleID", id, "DRAFT", line);
    cJSON_Delete(c7t_call(&s, c7t_auth, "POST", API "sale/quote", quote, 200));
    expect_sale_field(&s, id, "Status", "ESTIMATING");
    free(quote);
    quote = section("SaleID", id, "AUTHORISED", line);
    cJSON_Delete(c7t_call(&s, c7t_auth, "POST", API "sale/quote", quote, 200));
    expect_sale_field(&s, id, "Status", "ESTIMATED");
    /* "POST sale/quote will return exception if Quote status is not DRAFT
     * or NOT AVAILABLE." */
    c7t_expect_error(&s, c7t_auth, "POST", API "sale/quote", quote, 400, "AUTHORISED");
    free(quote);
    /* A DRAFT order is ORDERING and allocates nothing; authorised, ORDERED. */
    char *draft = section("SaleID", id, "DRAFT", line);
    cJSON_Delete(c7t_call(&s, c7t_auth, "POST", API "sale/order", draft, 200));
    expect_sale_field(&s, id, "Status", "ORDERING");
    cJSON *row = c7t_stock(&s, "A-1", "Main Warehouse");
    EXPECT_EQ_INT(c7t_num(row, "allocated"), 0);
    cJSON_Delete(row);
    cJSON_Delete(c7t_call(&s, c7t_auth, "POST", API "sale/order", order, 200));
    expect_sale_field(&s, id, "Status", "ORDERED");
    row = c7t_stock(&s, "A-1", "Main Warehouse");
    EXPECT_EQ_INT(c7t_num(row, "allocated"), 2);
    cJSON_Delete(row);
    /* "POST sale/order will return exception if Order status is not DRAFT
     * or NOT AVAILABLE." */
    c7t_expect_error(&s, c7t_auth, "POST", API "sale/order", order, 400, "AUTHORISED");
    free(order);
    free(draft);
    free(id);
    /* "POST sale/quote will return exception if Sale's SkipQuote parameter
     * is true"; such a sale takes its order at once (ESTIMATED until then). */
    id = header(&s, "\"SkipQuote\":true");
    expect_sale_field(&s, id, "Status", "ESTIMATED");
    quote = section("SaleID", id, "AUTHORISED", line);
    c7t_expect_error(&s, c7t_auth, "POST", API "sale/quote", quote, 400, "SkipQuote");
    free(quote);
    free(id);
    /* Lines never ride on the header. */
    c7t_expect_error(&s, c7t_auth, "POST", API "sale",
                     "{\"Customer\":\"C\",\"Quote\":{\"Status\":\"DRAFT\",\"Lines\":[]}}", 400,
                     "Quote: ");
    e2e_stop(&s);
}

/* One order line with one thing wrong, and what the error must name. */
typedef struct {
    const char *line;
    const char *want;
} bad_line;

/* A line with every field the models require, for the cases to break. */
#define GOOD "\"SKU\":\"A-1\",\"Name\":\"Anvil\",\"Quantity\":2,\"Price\":10,\"Tax\":0,\"TaxRule\":\"Tax Exempt\""

static const bad_line bad_lines[] = {
    {"{\"Name\":\"Anvil\",\"Quantity\":2,\"Price\":10,\"Tax\":0,\"TaxRule\":\"Tax Exempt\"}", "Lines[0].SKU"},
    {"{\"SKU\":\"A-1\",\"Quantity\":2,\"Price\":10,\"Tax\":0,\"TaxRule\":\"Tax Exempt\"}", "Lines[0].Name"},
    {"{\"SKU\":\"A-1\",\"Name\":\"\",\"Quantity\":2,\"Price\":10,\"Tax\":0,\"TaxRule\":\"Tax Exempt\"}", "Lines[0].Name"},
    {"{\"SKU\":\"A-1\",\"Name\":\"Anvil\",\"Price\":10,\"Tax\":0,\"TaxRule\":\"Tax Exempt\"}", "Lines[0].Quantity"},
    {"{\"SKU\":\"A-1\",\"Name\":\"Anvil\",\"Quantity\":0.5,\"Price\":10,\"Tax\":0,\"TaxRule\":\"Tax Exempt\"}", "at least 1"},
    {"{\"SKU\":\"A-1\",\"Name\":\"Anvil\",\"Quantity\":1.00001,\"Price\":10,\"Tax\":0,\"TaxRule\":\"Tax Exempt\"}", "4 decimal places"},
    {"{\"SKU\":\"A-1\",\"Name\":\"Anvil\",\"Quantity\":2,\"Tax\":0,\"TaxRule\":\"Tax Exempt\"}", "Lines[0].Price"},
    {"{\"SKU\":\"A-1\",\"Name\":\"Anvil\",\"Quantity\":2,\"Price\":10,\"TaxRule\":\"Tax Exempt\"}", "Lines[0].Tax"},
    {"{\"SKU\":\"A-1\",\"Name\":\"Anvil\",\"Quantity\":2,\"Price\":10,\"Tax\":0}", "Lines[0].TaxRule"},
    {"{\"SKU\":\"A-1\",\"Name\":\"Anvil\",\"Quantity\":2,\"Price\":10,\"Tax\":0,\"TaxRule\":\"GST on Mars\"}",
     "not found"},
    {"{" GOOD ",\"Discount\":101}", "Lines[0].Discount"},
    {"{" GOOD ",\"Discount\":1.005}", "2 decimal places"},
    {"{" GOOD ",\"Total\":21}", "Lines[0].Total"},
    {"{\"SKU\":\"NOPE\",\"Name\":\"x\",\"Quantity\":2,\"Price\":10,\"Tax\":0,\"TaxRule\":\"Tax Exempt\"}", "NOPE"},
};

/* The JSON text "{"SaleID":...,<members>}" with the lines given raw. */
static void expect_refused(const e2e_server *s, const char *path, const char *key, const char *id,
                           const char *members, const char *want)
{
    char *body = xasprintf("{\"%s\":\"%s\"%s%s}", key, id, *members ? "," : "", members);
    c7t_expect_error(s, c7t_auth, "POST", path, body, 400, want);
    free(body);
}

TEST(cin7_conformance, order_lines_need_every_field_the_models_require)
{
    e2e_server s;
    c7t_start_world(&s, "", NULL);
    char *sale = header(&s, "\"SkipQuote\":true");
    cJSON *p = c7t_purchase(&s, c7t_auth, "Acme Supply", NULL, NULL, NULL, NULL);
    char *pur = xstrdup(c7t_str(p, "ID"));
    cJSON_Delete(p);
    for (size_t i = 0; i < sizeof bad_lines / sizeof bad_lines[0]; i++) {
        char *m = xasprintf("\"Status\":\"DRAFT\",\"Memo\":\"\",\"Lines\":[%s]", bad_lines[i].line);
        expect_refused(&s, API "sale/order", "SaleID", sale, m, bad_lines[i].want);
        free(m);
        /* Purchase lines also need their Total: give the right one, so the
         * case still fails on what it breaks. */
        const char *l = bad_lines[i].line;
        m = strstr(l, "Total")
                ? xasprintf("\"Status\":\"DRAFT\",\"Memo\":\"\",\"Lines\":[%s]", l)
                : xasprintf("\"Status\":\"DRAFT\",\"Memo\":\"\",\"Lines\":[%.*s,\"Total\":20}]",
                            (int)strlen(l) - 1, l);
        expect_refused(&s, API "purchase/order", "TaskID", pur, m, bad_lines[i].want);
        free(m);
    }
    /* The section's own fields: Status (DRAFT or AUTHORISED for POST),
     * Memo and Lines are required by the Order models. */
    static const bad_line sections[] = {
        {"\"Memo\":\"\",\"Lines\":[]", "Status: "},
        {"\"Status\":\"VOIDED\",\"Memo\":\"\",\"Lines\":[]", "Status: "},
        {"\"Status\":\"DRAFT\",\"Lines\":[]", "Memo: "},
        {"\"Status\":\"DRAFT\",\"Memo\":\"\"", "Lines: "},
        {"\"Status\":\"AUTHORISED\",\"Memo\":\"\",\"Lines\":[]", "at least one line"},
    };
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        expect_refused(&s, API "sale/order", "SaleID", sale, sections[i].line, sections[i].want);
        expect_refused(&s, API "purchase/order", "TaskID", pur, sections[i].line, sections[i].want);
    }
    /* Purchase lines need a Total ("Yes" in the Purchase Order Line
     * model); sale lines may leave it out. */
    expect_refused(&s, API "purchase/order", "TaskID", pur,
                   "\"Status\":\"DRAFT\",\"Memo\":\"\",\"Lines\":[{" GOOD "}]", "Lines[0].Total");
    char *ok = xasprintf("{\"SaleID\":\"%s\",\"Status\":\"DRAFT\",\"Memo\":\"m\",\"Lines\":[{\"SKU\":\"A-1\","
                         "\"Name\":\"Anvil\",\"Quantity\":2,\"Price\":10,\"Tax\":0,\"Discount\":12.5,"
                         "\"Total\":17.5,\"TaxRule\":\"tax on sales\"}]}",
                         sale);
    cJSON *v = c7t_call(&s, c7t_auth, "POST", API "sale/order", ok, 200);
    const cJSON *l = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "Lines"), 0);
    EXPECT_EQ_STR(c7t_str(l, "Name"), "Anvil");
    EXPECT_EQ_STR(c7t_str(l, "TaxRule"), "tax on sales");
    EXPECT_NEAR(c7t_num(l, "Total"), 17.5, 1e-9);
    cJSON_Delete(v);
    free(ok);
    /* Nothing of the refused ones was kept. */
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(c7t_count(j, "sale_updated"), 1);
    EXPECT_EQ_INT(c7t_count(j, "purchase_updated"), 0);
    cJSON_Delete(j);
    /* The account's tax rules, which TaxRule must name. */
    v = c7t_call(&s, c7t_auth, "GET", API "ref/tax?Name=exempt", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 1);
    const cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "TaxRuleList"), 0);
    EXPECT_EQ_STR(c7t_str(t, "Name"), "Tax Exempt");
    EXPECT_EQ_INT(strlen(c7t_str(t, "ID")), 36);
    cJSON_Delete(v);
    free(sale);
    free(pur);
    e2e_stop(&s);
}

TEST(cin7_conformance, sale_statuses_follow_the_reference_not_shipped)
{
    e2e_server s;
    const char *const args[] = {"--time-scale", "600", NULL};
    c7t_start_world(&s, "\"sales\":{\"pick_after\":\"1m\",\"pack_after\":\"1m\",\"ship_after\":\"1m\"}",
                    args);
    /* An Advanced sale ships and reads ORDERED all the while: there is no
     * SHIPPED sale Status; the combined statuses carry the progress. */
    cJSON *v = c7t_sale(&s, c7t_auth, "#A", "Main Warehouse", "{\"SKU\":\"A-1\",\"Quantity\":1}",
                        "AUTHORISED");
    char *id = xstrdup(c7t_str(v, "ID"));
    cJSON_Delete(v);
    char *path = xasprintf(API "sale?ID=%s", id);
    EXPECT_TRUE(c7t_wait_field(&s, path, "CombinedShippingStatus", "SHIPPED", 10000));
    free(path);
    expect_sale_field(&s, id, "Status", "ORDERED");
    expect_sale_field(&s, id, "FulFilmentStatus", "FULFILLED");
    free(id);
    /* A Simple sale without backorder takes AutoPickPackShipMode: picked,
     * packed and shipped with its order; Status reads PACKED (the
     * reference lists no Status for shipped-not-invoiced). */
    id = header(&s, "\"SkipQuote\":true,\"Type\":\"Simple Sale\"");
    char *order = section("SaleID", id, "AUTHORISED", "{\"SKU\":\"A-1\",\"Quantity\":1}");
    char *with_mode = xasprintf("%.*s,\"AutoPickPackShipMode\":\"AUTOPICKPACKSHIP\"}",
                                (int)strlen(order) - 1, order);
    cJSON_Delete(c7t_call(&s, c7t_auth, "POST", API "sale/order", with_mode, 200));
    expect_sale_field(&s, id, "Status", "PACKED");
    expect_sale_field(&s, id, "CombinedShippingStatus", "SHIPPED");
    expect_sale_field(&s, id, "Type", "Simple Sale");
    free(with_mode);
    free(order);
    free(id);
    /* With a backorder the mode does nothing (the reference: "Simple Sale
     * and with no backorder"). A-2 has 10 at Main Warehouse. */
    id = header(&s, "\"SkipQuote\":true,\"Type\":\"Simple Sale\"");
    order = section("SaleID", id, "AUTHORISED", "{\"SKU\":\"A-2\",\"Quantity\":12}");
    with_mode = xasprintf("%.*s,\"AutoPickPackShipMode\":\"AUTOPICKPACKSHIP\"}",
                          (int)strlen(order) - 1, order);
    cJSON_Delete(c7t_call(&s, c7t_auth, "POST", API "sale/order", with_mode, 200));
    expect_sale_field(&s, id, "Status", "BACKORDERED");
    expect_sale_field(&s, id, "CombinedPickingStatus", "NOT PICKED");
    free(with_mode);
    free(order);
    free(id);
    e2e_stop(&s);
}

TEST(cin7_conformance, simple_and_advanced_purchases_keep_their_endpoints)
{
    e2e_server s;
    c7t_start_world(&s, "", NULL);
    cJSON *adv = c7t_purchase(&s, c7t_auth, "Acme Supply", NULL, NULL, NULL, NULL);
    cJSON *sim = c7t_call(&s, c7t_auth, "POST", API "purchase", "{\"Supplier\":\"Acme Supply\"}", 200);
    EXPECT_EQ_STR(c7t_str(adv, "Type"), "Advanced Purchase");
    EXPECT_EQ_STR(c7t_str(sim, "Type"), "Simple Purchase");
    EXPECT_EQ_STR(c7t_str(adv, "Status"), "DRAFT");
    char path[256];
    snprintf(path, sizeof path, API "purchase?ID=%s", c7t_str(adv, "ID"));
    c7t_expect_error(&s, c7t_auth, "GET", path, NULL, 400, "advanced-purchase");
    snprintf(path, sizeof path, API "advanced-purchase?ID=%s", c7t_str(sim, "ID"));
    c7t_expect_error(&s, c7t_auth, "GET", path, NULL, 400, "use purchase");
    /* purchase/order serves both: lines for each. */
    const cJSON *both[] = {adv, sim};
    for (int i = 0; i < 2; i++) {
        char *body = section("TaskID", c7t_str(both[i], "ID"), "DRAFT",
                             "{\"SKU\":\"A-1\",\"Quantity\":50,\"Price\":4}");
        cJSON *v = c7t_call(&s, c7t_auth, "POST", API "purchase/order", body, 200);
        EXPECT_EQ_STR(c7t_str(v, "Status"), "DRAFT");
        cJSON_Delete(v);
        free(body);
    }
    cJSON *v = c7t_call(&s, c7t_auth, "GET", API "purchaseList?Status=ORDERING", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 2);
    cJSON_Delete(v);
    c7t_expect_error(&s, c7t_auth, "POST", API "advanced-purchase",
                     "{\"Supplier\":\"Acme Supply\",\"Approach\":\"BARTER\"}", 400, "Approach: ");
    cJSON_Delete(adv);
    cJSON_Delete(sim);
    e2e_stop(&s);
}

TEST(cin7_conformance, every_reference_webhook_type_subscribes_and_no_other)
{
    e2e_server s;
    c7t_start_world(&s, "", NULL);
    static const char *const types[] = {
        "Sale/QuoteAuthorised", "Sale/OrderAuthorised", "Sale/Voided", "Sale/Backordered",
        "Sale/ShipmentAuthorised", "Sale/InvoiceAuthorised", "Sale/PickAuthorised",
        "Sale/PackAuthorised", "Sale/CreditNoteAuthorised", "Sale/Undo",
        "Sale/PartialPaymentReceived", "Sale/FullPaymentReceived",
        "Sale/ShipmentTrackingNumberChanged", "Purchase/OrderAuthorised",
        "Purchase/InvoiceAuthorised", "Purchase/StockReceivedAuthorised",
        "Purchase/CreditNoteAuthorised", "Customer/Updated", "Supplier/Updated",
        "stock/availablestocklevelchanged"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        char *body = xasprintf("{\"Type\":\"%s\",\"ExternalURL\":\"https://example.invalid/h\"}", types[i]);
        cJSON_Delete(c7t_call(&s, c7t_auth, "POST", API "webhooks", body, 200));
        free(body);
    }
    cJSON *v = c7t_call(&s, c7t_auth, "GET", API "webhooks", NULL, 200);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(v, "Webhooks")), 20);
    cJSON_Delete(v);
    /* Newer client code's types are not the reference's. */
    c7t_expect_error(&s, c7t_auth, "POST", API "webhooks",
                     "{\"Type\":\"Sale/Created\",\"ExternalURL\":\"https://example.invalid/h\"}", 400,
                     "Sale/ShipmentAuthorised");
    e2e_stop(&s);
}

/* The keys of a JSON object, sorted and comma-joined, in out. */
static void keys_of(const cJSON *o, sbuf *out)
{
    const char *k[16];
    int n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, o) if (n < 16) k[n++] = it->string;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(k[j - 1], k[j]) > 0; j--) {
            const char *t = k[j];
            k[j] = k[j - 1];
            k[j - 1] = t;
        }
    for (int i = 0; i < n; i++)
        sbuf_printf(out, "%s%s", i ? "," : "", k[i]);
}

TEST(cin7_conformance, notifications_name_the_document_only)
{
    c7t_receiver rc;
    c7t_receiver_start(&rc, 0);
    e2e_server s;
    const char *const args[] = {"--time-scale", "600", NULL};
    c7t_start_world(&s,
                    "\"sales\":{\"pick_after\":\"1m\",\"pack_after\":\"1m\",\"ship_after\":\"1m\"},"
                    "\"webhooks\":{\"first_attempt_after\":\"1m\",\"coalesce_window\":\"10s\"}",
                    args);
    static const char *const types[] = {
        "Sale/QuoteAuthorised",    "Sale/OrderAuthorised",   "Sale/PickAuthorised",
        "Sale/PackAuthorised",     "Sale/ShipmentAuthorised", "Sale/Voided",
        "Purchase/OrderAuthorised", "Stock/AvailableStockLevelChanged"};
    size_t n_types = sizeof types / sizeof types[0];
    for (size_t i = 0; i < n_types; i++) {
        char *body = xasprintf("{\"Type\":\"%s\",\"ExternalURL\":\"http://127.0.0.1:%u/hook/%zu\"}",
                               types[i], (unsigned)httpd_port(rc.srv), i);
        cJSON_Delete(c7t_call(&s, c7t_auth, "POST", API "webhooks", body, 200));
        free(body);
    }
    /* A sale through its quote to its shipment, another voided, a purchase
     * authorised. */
    char *id = header(&s, NULL);
    char *q = section("SaleID", id, "AUTHORISED", "{\"SKU\":\"A-1\",\"Quantity\":1}");
    cJSON_Delete(c7t_call(&s, c7t_auth, "POST", API "sale/quote", q, 200));
    cJSON_Delete(c7t_call(&s, c7t_auth, "POST", API "sale/order", q, 200));
    free(q);
    cJSON *v = c7t_sale(&s, c7t_auth, "#V", "East", "{\"SKU\":\"A-1\",\"Quantity\":1}", "DRAFT");
    char *path = xasprintf(API "sale?ID=%s&Void=true", c7t_str(v, "ID"));
    cJSON_Delete(c7t_call(&s, c7t_auth, "DELETE", path, NULL, 200));
    free(path);
    cJSON_Delete(v);
    cJSON_Delete(c7t_purchase(&s, c7t_auth, "Acme Supply", NULL, NULL, "{\"SKU\":\"A-2\",\"Quantity\":5}",
                              "AUTHORISED"));
    /* Every subscribed type delivers once (stock: at least once). */
    for (int waited = 0; waited < 15000 && c7t_receiver_count(&rc) < (int)n_types; waited += 50)
        e2e_sleep_ms(50);
    EXPECT_GE_INT(c7t_receiver_count(&rc), (int)n_types);
    int seen[8] = {0};
    for (int i = 0; i < c7t_receiver_count(&rc); i++) {
        c7t_hit h;
        char *body = c7t_receiver_body(&rc, i, &h);
        size_t t = (size_t)atoi(h.path + 6); /* "/hook/N" */
        cJSON *b = json_parse(body, strlen(body), NULL);
        EXPECT_TRUE(b != NULL && t < n_types);
        if (!b || t >= n_types) {
            free(body);
            cJSON_Delete(b);
            continue;
        }
        seen[t]++;
        sbuf keys = SBUF_INIT;
        if (strncmp(types[t], "Stock/", 6) == 0) {
            /* A bare array of availability rows, no EventType. */
            EXPECT_TRUE(cJSON_IsArray(b));
            const cJSON *row = cJSON_GetArrayItem(b, 0);
            EXPECT_TRUE(cJSON_GetObjectItemCaseSensitive(row, "Bin") != NULL);
            EXPECT_TRUE(cJSON_GetObjectItemCaseSensitive(row, "Batch") != NULL);
            EXPECT_TRUE(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(row, "Available")));
        } else {
            keys_of(b, &keys);
            EXPECT_EQ_STR(c7t_str(b, "EventType"), types[t]);
            if (strcmp(types[t], "Sale/ShipmentAuthorised") == 0)
                EXPECT_EQ_STR(sbuf_str(&keys), "EventType,SaleID,SaleOrderNumber,SaleTaskID,TenantID");
            else if (strncmp(types[t], "Sale/", 5) == 0)
                EXPECT_EQ_STR(sbuf_str(&keys), "EventType,SaleID,SaleOrderNumber");
            else
                EXPECT_EQ_STR(sbuf_str(&keys), "EventType,PurchaseOrderNumber,Supplier,SupplierID,TaskID");
        }
        sbuf_free(&keys);
        cJSON_Delete(b);
        free(body);
    }
    for (size_t t = 0; t < n_types; t++)
        if (!seen[t])
            test_fail(__FILE__, __LINE__, "no %s notification arrived", types[t]);
    free(id);
    e2e_stop(&s);
    c7t_receiver_stop(&rc);
}

/* ---- syncd's Cin7 client against rows per bin and batch ---------------------------- */

/* A Cin7 stand-in answering ref/productavailability with several rows per
 * SKU x location, as Cin7 lists bins and batches, with decimal figures. */
static void bins_and_batches(httpd_req *r, void *ud)
{
    (void)ud;
    httpd_reply_json_text(
        r, 200,
        "{\"Total\":5,\"Page\":1,\"ProductAvailabilityList\":["
        "{\"SKU\":\"A-1\",\"Location\":\"Main\",\"Bin\":\"A1\",\"Batch\":\"L1\",\"OnHand\":2.5,"
        "\"Allocated\":0,\"Available\":2.5,\"OnOrder\":0,\"InTransit\":0},"
        "{\"SKU\":\"A-1\",\"Location\":\"Main\",\"Bin\":\"A2\",\"Batch\":\"L1\",\"OnHand\":1.25,"
        "\"Allocated\":0.25,\"Available\":1,\"OnOrder\":3,\"InTransit\":0},"
        "{\"SKU\":\"A-1\",\"Location\":\"Main\",\"Bin\":\"B1\",\"Batch\":\"L2\",\"OnHand\":0.5,"
        "\"Allocated\":0,\"Available\":0.5,\"OnOrder\":0,\"InTransit\":1},"
        "{\"SKU\":\"A-1\",\"Location\":\"East\",\"Bin\":null,\"Batch\":null,\"OnHand\":5,"
        "\"Allocated\":1,\"Available\":4,\"OnOrder\":0,\"InTransit\":0},"
        "{\"SKU\":\"B-1\",\"Location\":\"Main\",\"Bin\":\"C1\",\"Batch\":null,\"OnHand\":2.7,"
        "\"Allocated\":0,\"Available\":2.7,\"OnOrder\":0,\"InTransit\":0}]}");
}

TEST(cin7_conformance, syncd_sums_availability_over_bins_and_batches)
{
    httpd *h = e2e_listen("GET", "/ref/productavailability", bins_and_batches, NULL, 0);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%u/", (unsigned)httpd_port(h));
    sclock clk;
    clock_init(&clk, 1, -1);
    policy pol = {3, 100, 1000};
    metrics *m = metrics_new();
    cin7 *c = cin7_new(base, "acct", "key", 60, 1000, 5000, &pol, m, &clk);
    cin7_snapshot snap;
    outcome o;
    cin7_availability(c, NULL, 0, &snap, &o);
    EXPECT_EQ_INT(o.action, POLICY_DONE);
    outbound_done(&o);
    /* Three cells, each the sum of its rows; Shopify sells whole units, so
     * a sum's fraction is not offered (floor). */
    EXPECT_EQ_INT(snap.n, 3);
    for (size_t i = 0; i < snap.n; i++) {
        const cin7_row *r = &snap.rows[i];
        if (strcmp(r->sku, "A-1") == 0 && strcmp(r->location, "Main") == 0) {
            EXPECT_EQ_INT(r->available, 4);  /* 2.5 + 1 + 0.5 */
            EXPECT_EQ_INT(r->on_hand, 4);    /* 4.25 */
            EXPECT_EQ_INT(r->allocated, 0);  /* 0.25 */
            EXPECT_EQ_INT(r->on_order, 3);
            EXPECT_EQ_INT(r->in_transit, 1);
        } else if (strcmp(r->sku, "A-1") == 0) {
            EXPECT_EQ_STR(r->location, "East");
            EXPECT_EQ_INT(r->available, 4);
        } else {
            EXPECT_EQ_STR(r->sku, "B-1");
            EXPECT_EQ_INT(r->available, 2); /* 2.7 */
        }
    }
    cin7_snapshot_free(&snap);
    cin7_free(c);
    metrics_free(m);
    httpd_free(h);
}
