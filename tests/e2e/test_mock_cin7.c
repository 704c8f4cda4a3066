/* mock-cin7 over HTTP: authentication, the catalog and availability reads,
 * sales and purchases with their errors, the rate limit, other channels,
 * reset/seed/state and the config's errors. Webhooks, faults and the
 * journal are in test_mock_cin7_hooks.c. */
#include "test_mock_cin7.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define API "/ExternalApi/v2/"

static const cJSON *first(const cJSON *answer, const char *list)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(answer, list), 0);
}

static int list_len(const cJSON *answer, const char *list)
{
    return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(answer, list));
}

TEST(mock_cin7, demo_world_and_auth)
{
    e2e_server s;
    e2e_start(&s, "mock-cin7", NULL);
    cJSON *v = c7t_call(&s, c7t_demo_auth, "GET", API "ref/productavailability", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 10);
    EXPECT_EQ_INT(list_len(v, "ProductAvailabilityList"), 10);
    const cJSON *row = first(v, "ProductAvailabilityList");
    EXPECT_EQ_STR(c7t_str(row, "SKU"), "DEMO-001");
    EXPECT_EQ_STR(c7t_str(row, "Location"), "Main Warehouse");
    EXPECT_EQ_INT(c7t_num(row, "OnHand"), 100);
    EXPECT_EQ_INT(c7t_num(row, "Available"), 100);
    cJSON_Delete(v);

    v = c7t_call(&s, c7t_demo_auth, "GET", API "me", NULL, 200);
    EXPECT_EQ_STR(c7t_str(v, "Company"), "demo");
    cJSON_Delete(v);
    v = c7t_call(&s, c7t_demo_auth, "GET", API "supplier", NULL, 200);
    EXPECT_EQ_STR(c7t_str(first(v, "SupplierList"), "Name"), "Demo Supplier");
    cJSON_Delete(v);
    v = c7t_call(&s, c7t_demo_auth, "GET", API "product?Sku=DEMO-010&IncludeSuppliers=true", NULL,
                 200);
    const cJSON *opt = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(first(v, "Products"), "Suppliers"), 0),
            "ProductSupplierOptions"),
        0);
    EXPECT_EQ_INT(c7t_num(opt, "Lead"), 7);
    EXPECT_EQ_INT(c7t_num(opt, "MinimumToReorder"), 50);
    cJSON_Delete(v);

    /* Missing, wrong key, wrong account: 403 in Cin7's shape. */
    const char *const wrong_key[] = {"api-auth-accountid: demo", "api-auth-applicationkey: nope", NULL};
    const char *const wrong_acct[] = {"api-auth-accountid: other", "api-auth-applicationkey: demo-key",
                                      NULL};
    c7t_expect_error(&s, NULL, "GET", API "ref/productavailability", NULL, 403, "api-auth-accountid");
    c7t_expect_error(&s, wrong_key, "GET", API "product", NULL, 403, NULL);
    c7t_expect_error(&s, wrong_acct, "POST", API "sale", "{}", 403, NULL);

    /* Paths and parameter names in any case; unknown endpoints and methods. */
    v = c7t_call(&s, c7t_demo_auth, "GET", "/externalapi/v2/Ref/ProductAvailability?sku=DEMO-002",
                 NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 1);
    cJSON_Delete(v);
    v = c7t_call(&s, c7t_demo_auth, "GET", "/ExternalApi/v2/SaleList", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 0);
    cJSON_Delete(v);
    c7t_expect_error(&s, c7t_demo_auth, "GET", API "Products", NULL, 404, NULL);
    c7t_expect_error(&s, c7t_demo_auth, "PATCH", API "sale", "{}", 405, NULL);
    e2e_stop(&s);
}

TEST(mock_cin7, availability_filters_and_pages)
{
    e2e_server s;
    c7t_start_world(&s, "", NULL);
    /* Every SKU x location in one call when no Sku is given. */
    cJSON *v = c7t_call(&s, c7t_auth, "GET", API "ref/productavailability", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 9);
    EXPECT_EQ_INT(list_len(v, "ProductAvailabilityList"), 9);
    cJSON_Delete(v);
    v = c7t_call(&s, c7t_auth, "GET", API "ref/productavailability?Sku=A-1", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 3);
    cJSON_Delete(v);
    v = c7t_call(&s, c7t_auth, "GET", API "ref/productavailability?Sku=A-1&Location=East", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 1);
    EXPECT_EQ_INT(c7t_num(first(v, "ProductAvailabilityList"), "OnHand"), 5);
    cJSON_Delete(v);
    v = c7t_call(&s, c7t_auth, "GET", API "ref/productavailability?Limit=4&Page=3", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 9);
    EXPECT_EQ_INT(c7t_num(v, "Page"), 3);
    EXPECT_EQ_INT(list_len(v, "ProductAvailabilityList"), 1);
    cJSON_Delete(v);
    v = c7t_call(&s, c7t_auth, "GET", API "ref/productavailability?Limit=5000", NULL, 200);
    EXPECT_EQ_INT(list_len(v, "ProductAvailabilityList"), 9);
    cJSON_Delete(v);
    v = c7t_call(&s, c7t_auth, "GET", API "ref/productavailability?Sku=NOPE", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 0);
    cJSON_Delete(v);
    c7t_expect_error(&s, c7t_auth, "GET", API "ref/productavailability?Page=0", NULL, 400, "Page");
    c7t_expect_error(&s, c7t_auth, "GET", API "product?IncludeSuppliers=maybe", NULL, 400, "IncludeSuppliers");

    /* Products: Sku contains, suppliers and reorder levels on request. */
    v = c7t_call(&s, c7t_auth, "GET", API "product?Sku=A-", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 2);
    EXPECT_TRUE(cJSON_GetObjectItemCaseSensitive(first(v, "Products"), "Suppliers") == NULL);
    cJSON_Delete(v);
    v = c7t_call(&s, c7t_auth, "GET", API "product?Sku=A-1&IncludeSuppliers=true&IncludeReorderLevels=true",
                 NULL, 200);
    const cJSON *p = first(v, "Products");
    const cJSON *sup = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p, "Suppliers"), 0);
    EXPECT_EQ_STR(c7t_str(sup, "SupplierName"), "Acme Supply");
    EXPECT_EQ_STR(c7t_str(sup, "Currency"), "EUR");
    /* Served locations only: Main Warehouse and East. */
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(sup, "ProductSupplierOptions")), 2);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "ReorderLevels")), 3);
    cJSON_Delete(v);
    v = c7t_call(&s, c7t_auth, "GET", API "supplier?Name=acme", NULL, 200);
    EXPECT_EQ_STR(c7t_str(first(v, "SupplierList"), "PaymentTerm"), "60 days");
    cJSON_Delete(v);
    v = c7t_call(&s, c7t_auth, "GET", API "ref/location", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 3);
    cJSON_Delete(v);
    e2e_stop(&s);
}

static const cJSON *order_line(const cJSON *sale, int i)
{
    return cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sale, "Order"), "Lines"), i);
}

TEST(mock_cin7, sale_allocates_and_backorders)
{
    e2e_server s;
    c7t_start_world(&s, "\"sales\":{\"pick_after\":null}", NULL);
    char *id = c7t_sale(&s, "#1001", "Main Warehouse", "A-1:30@9.5", "AUTHORISED");
    cJSON *v = c7t_sale_doc(&s, id);
    EXPECT_EQ_STR(c7t_str(v, "Status"), "ORDERED");
    EXPECT_EQ_STR(c7t_str(v, "CustomerReference"), "#1001");
    EXPECT_EQ_STR(c7t_str(v, "Customer"), "Web Shop");
    EXPECT_TRUE(c7t_str(v, "CustomerID") && strlen(c7t_str(v, "CustomerID")) == 36);
    const cJSON *order = cJSON_GetObjectItemCaseSensitive(v, "Order");
    EXPECT_EQ_STR(c7t_str(order, "Status"), "AUTHORISED");
    EXPECT_EQ_STR(c7t_str(order, "SaleOrderNumber"), "SO-00001");
    EXPECT_EQ_INT(c7t_num(order_line(v, 0), "BackorderQuantity"), 0);
    EXPECT_NEAR(c7t_num(order_line(v, 0), "Total"), 285, 1e-9);
    cJSON_Delete(v);

    cJSON *row = c7t_stock(&s, "A-1", "Main Warehouse");
    EXPECT_EQ_INT(c7t_num(row, "on_hand"), 100);
    EXPECT_EQ_INT(c7t_num(row, "allocated"), 30);
    EXPECT_EQ_INT(c7t_num(row, "available"), 70);
    cJSON_Delete(row);

    /* 80 more where 70 are available: 10 silently backordered, journaled. */
    char *id2 = c7t_sale(&s, "#1002", "Main Warehouse", "A-1:80", "AUTHORISED");
    v = c7t_sale_doc(&s, id2);
    EXPECT_EQ_STR(c7t_str(v, "Status"), "BACKORDERED");
    EXPECT_EQ_INT(c7t_num(order_line(v, 0), "BackorderQuantity"), 10);
    cJSON_Delete(v);
    free(id2);
    cJSON *j = e2e_journal(&s);
    const cJSON *bo = c7t_entry(j, "backorder", 0);
    EXPECT_TRUE(bo != NULL);
    EXPECT_EQ_STR(c7t_str(bo, "customer_reference"), "#1002");
    EXPECT_EQ_STR(c7t_str(bo, "sku"), "A-1");
    EXPECT_EQ_INT(c7t_num(bo, "qty"), 10);
    EXPECT_EQ_INT(c7t_count(j, "backorder"), 1);
    const cJSON *created = c7t_entry(j, "sale_created", 1);
    EXPECT_EQ_STR(c7t_str(created, "customer_reference"), "#1002");
    EXPECT_EQ_STR(c7t_str(created, "external_id"), "x-#1002");
    EXPECT_EQ_STR(c7t_str(created, "application"), "sync");
    EXPECT_EQ_STR(c7t_str(created, "status"), "ESTIMATED"); /* SkipQuote, no order yet */
    const cJSON *auth = c7t_entry(j, "sale_authorised", 1);
    EXPECT_EQ_STR(c7t_str(auth, "customer_reference"), "#1002");
    EXPECT_EQ_INT(c7t_num(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(auth, "lines"), 0),
                          "backorder"),
                  10);
    cJSON_Delete(j);
    row = c7t_stock(&s, "A-1", "Main Warehouse");
    EXPECT_EQ_INT(c7t_num(row, "allocated"), 100);
    EXPECT_EQ_INT(c7t_num(row, "available"), 0);
    cJSON_Delete(row);

    /* Reads: by ID, by search, by status, by ExternalID (exact). */
    v = c7t_sale_doc(&s, id);
    EXPECT_EQ_STR(c7t_str(cJSON_GetObjectItemCaseSensitive(v, "ShippingAddress"), "City"), "Austin");
    /* Text not given is "" (the reference types it a string), not null. */
    EXPECT_EQ_STR(c7t_str(cJSON_GetObjectItemCaseSensitive(v, "ShippingAddress"), "State"), "");
    EXPECT_EQ_STR(c7t_str(cJSON_GetObjectItemCaseSensitive(v, "ShippingAddress"), "Line2"), "");
    EXPECT_TRUE(cJSON_GetObjectItemCaseSensitive(v, "ShipBy") == NULL);
    cJSON_Delete(v);
    v = c7t_call(&s, c7t_auth, "GET", API "saleList?Search=%231002", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 1);
    EXPECT_EQ_STR(c7t_str(first(v, "SaleList"), "CustomerReference"), "#1002");
    EXPECT_EQ_STR(c7t_str(first(v, "SaleList"), "Status"), "BACKORDERED");
    cJSON_Delete(v);
    v = c7t_call(&s, c7t_auth, "GET", API "saleList?ExternalID=x-%231001", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 1);
    EXPECT_EQ_STR(c7t_str(first(v, "SaleList"), "OrderStatus"), "AUTHORISED");
    cJSON_Delete(v);
    v = c7t_call(&s, c7t_auth, "GET", API "saleList?ExternalID=x-%2310", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 0);
    cJSON_Delete(v);
    v = c7t_call(&s, c7t_auth, "GET", API "saleList?Status=ORDERED", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 1);
    cJSON_Delete(v);
    v = c7t_call(&s, c7t_auth, "GET", API "saleList?UpdatedSince=2000-01-01T00:00:00", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 2);
    cJSON_Delete(v);
    v = c7t_call(&s, c7t_auth, "GET", API "saleList?UpdatedSince=2999-01-01T00:00:00", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 0);
    cJSON_Delete(v);

    /* Void releases the allocation. */
    char path[256];
    snprintf(path, sizeof path, API "sale?ID=%s&Void=true", id);
    v = c7t_call(&s, c7t_auth, "DELETE", path, NULL, 200);
    EXPECT_EQ_STR(c7t_str(v, "Status"), "VOIDED");
    cJSON_Delete(v);
    c7t_expect_error(&s, c7t_auth, "DELETE", path, NULL, 400, NULL); /* twice */
    row = c7t_stock(&s, "A-1", "Main Warehouse");
    EXPECT_EQ_INT(c7t_num(row, "allocated"), 70);
    cJSON_Delete(row);
    free(id);
    e2e_stop(&s);
}

TEST(mock_cin7, authorising_a_sale_journals_each_products_new_figures_once)
{
    /* Lines of, then A-2 again: one stock entry per product, with
     * every line of it allocated (the second product's was once lost: its
     * figures were taken again after the allocation, so no change showed,
     * no entry was written and no webhook announced it). */
    e2e_server s;
    c7t_start_world(&s, "\"sales\":{\"pick_after\":null}", NULL);
    char *id = c7t_sale(&s, "#2001", "Main Warehouse", "A-2:4,A-1:3,A-2:1", "AUTHORISED");
    cJSON *j = e2e_journal(&s);
    static const struct {
        const char *sku;
        int allocated, available;
    } want[] = {{"A-2", 5, 5}, {"A-1", 3, 97}};
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        const char *cause = c7t_str(e, "cause");
        if (strcmp(c7t_str(e, "kind"), "stock") != 0 || !cause || strcmp(cause, "sale_authorised"))
            continue;
        if (n < 2) {
            EXPECT_EQ_STR(c7t_str(e, "sku"), want[n].sku);
            EXPECT_EQ_STR(c7t_str(e, "location"), "Main Warehouse");
            EXPECT_EQ_STR(c7t_str(e, "ref"), id);
            EXPECT_EQ_INT(c7t_num(e, "allocated"), want[n].allocated);
            EXPECT_EQ_INT(c7t_num(e, "available"), want[n].available);
        }
        n++;
    }
    EXPECT_EQ_INT(n, 2);
    cJSON_Delete(j);
    free(id);
    e2e_stop(&s);
}

TEST(mock_cin7, bad_writes_change_nothing)
{
    e2e_server s;
    c7t_start_world(&s, "", NULL);
    /* The header refuses lines; what is wrong is named. */
    c7t_expect_error(&s, c7t_auth, "POST", API "sale",
                     "{\"Customer\":\"Web Shop\",\"Order\":{\"Status\":\"AUTHORISED\",\"Lines\":[]}}",
                     400, "Order: POST sale creates the header only");
    c7t_expect_error(&s, c7t_auth, "POST", API "sale",
                     "{\"Customer\":\"Nobody\",\"Location\":\"Main Warehouse\"}", 400,
                     "Customer: customer 'Nobody' not found");
    c7t_expect_error(&s, c7t_auth, "POST", API "sale", "{\"Customer\":\"Web Shop\",\"Location\":\"Nowhere\"}",
                     400, "Location");
    c7t_expect_error(&s, c7t_auth, "POST", API "sale", "{\"CustomerReference\":\"x\"}", 400, "Customer");
    c7t_expect_error(&s, c7t_auth, "POST", API "sale",
                     "{\"Customer\":\"Web Shop\",\"ShippingAddress\":{\"City\":\"Austin\"}}", 400,
                     "ShippingAddress.Line1");
    c7t_expect_error(&s, c7t_auth, "POST", API "sale", "{\"Customer\": [1,", 400, "JSON");
    c7t_expect_error(&s, c7t_auth, "POST", API "sale", "[1,2]", 400, NULL);
    c7t_expect_error(&s, c7t_auth, "POST", API "sale", "", 400, NULL);

    /* One unknown SKU in the second line: 400 naming it, no lines, no
     * stock move. */
    cJSON *v = c7t_call(&s, c7t_auth, "POST", API "sale",
                        "{\"Customer\":\"Web Shop\",\"SkipQuote\":true}", 200);
    char id[64];
    snprintf(id, sizeof id, "%s", c7t_str(v, "ID"));
    cJSON_Delete(v);
    char *lines = c7t_lines("A-1:1,NOPE:1");
    char *body = xasprintf("{\"SaleID\":\"%s\",\"Status\":\"AUTHORISED\",\"Memo\":\"\",\"Lines\":%s}", id,
                           lines);
    char *msg = c7t_error(&s, c7t_auth, "POST", API "sale/order", body, 400);
    EXPECT_CONTAINS(msg, "Lines[1].SKU");
    EXPECT_CONTAINS(msg, "NOPE");
    free(msg);
    free(body);
    free(lines);

    /* A purchase with one bad line changes nothing either. */
    char *pid = c7t_purchase(&s, "Main Warehouse", NULL, NULL);
    lines = c7t_lines("A-1:5");
    body = xasprintf("{\"TaskID\":\"%s\",\"Status\":\"AUTHORISED\",\"Memo\":\"\",\"Lines\":[%.*s,"
                     "{\"ProductID\":\"00000000-0000-4000-8000-000000000000\",\"Name\":\"x\","
                     "\"Quantity\":5,\"Price\":1,\"Tax\":0,\"TaxRule\":\"Tax Exempt\",\"Total\":5}]}",
                     pid, (int)strlen(lines) - 2, lines + 1);
    c7t_expect_error(&s, c7t_auth, "POST", API "purchase/order", body, 400, "Lines[1].ProductID");
    free(body);
    free(lines);
    free(pid);
    c7t_expect_error(&s, c7t_auth, "POST", API "advanced-purchase", "{\"Location\":\"East\"}", 400,
                     "SupplierID");
    c7t_expect_error(&s, c7t_auth, "POST", API "advanced-purchase",
                     "{\"Supplier\":\"Acme Supply\",\"Location\":\"West\"}", 400, "does not deliver");
    c7t_expect_error(&s, c7t_auth, "POST", API "advanced-purchase",
                     "{\"Supplier\":\"Acme Supply\",\"Order\":{\"Lines\":[]}}", 400,
                     "Order: POST advanced-purchase creates the header only");
    c7t_expect_error(&s, c7t_auth, "POST", API "purchase",
                     "{\"Supplier\":\"Acme Supply\",\"Approach\":\"BARTER\"}", 400, "Approach");

    /* Over 1 MiB: 413 in Cin7's shape. */
    size_t big = 1024 * 1024 + 100;
    char *huge = xmalloc(big + 1);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    huge[big] = '\0';
    c7t_expect_error(&s, c7t_auth, "POST", API "sale", huge, 413, NULL);
    free(huge);

    cJSON *st = e2e_expect(&s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    const cJSON *sale = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, "sales"), 0);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(st, "sales")), 1);
    EXPECT_EQ_STR(c7t_str(sale, "order_status"), "NOT AVAILABLE");
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(sale, "lines")), 0);
    const cJSON *pur = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, "purchases"), 0);
    EXPECT_EQ_STR(c7t_str(pur, "status"), "DRAFT");
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(pur, "lines")), 0);
    cJSON_Delete(st);
    cJSON *row = c7t_stock(&s, "A-1", "Main Warehouse");
    EXPECT_EQ_INT(c7t_num(row, "allocated"), 0);
    EXPECT_EQ_INT(c7t_num(row, "on_order"), 0);
    cJSON_Delete(row);
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(c7t_count(j, "sale_order"), 0);
    EXPECT_EQ_INT(c7t_count(j, "purchase_updated"), 0);
    cJSON_Delete(j);
    e2e_stop(&s);
}

/* Waiting on a JSON condition read through a callback. */
typedef struct {
    const e2e_server *s;
    const char *path;
    const char *field;
    const char *want;
} wait_field;

static int field_is(void *ud)
{
    wait_field *wf = ud;
    cJSON *v = c7t_call(wf->s, c7t_auth, "GET", wf->path, NULL, 200);
    const char *got = c7t_str(v, wf->field);
    int ok = got && strcmp(got, wf->want) == 0;
    cJSON_Delete(v);
    return ok;
}

TEST(mock_cin7, sale_is_picked_packed_and_shipped)
{
    e2e_server s;
    /* At 600x a simulated minute is 100 ms; tasks are DRAFT 30 s each. */
    const char *const args[] = {"--time-scale", "600", NULL};
    c7t_start_world(&s,
                    "\"sales\":{\"pick_after\":\"1m\",\"pack_after\":\"2m\",\"ship_after\":\"3m\","
                    "\"task_draft_for\":\"30s\",\"invoice_after\":\"1m\",\"paid_after\":\"1m\"}",
                    args);
    char *id = c7t_sale(&s, "#2001", "East", "A-1:2", "AUTHORISED");
    char path[256];
    snprintf(path, sizeof path, API "sale?ID=%s", id);
    wait_field wf = {&s, path, "Status", "COMPLETED"};
    EXPECT_TRUE(e2e_wait(field_is, &wf, 10000));
    cJSON *v = c7t_sale_doc(&s, id);
    EXPECT_EQ_STR(c7t_str(v, "CombinedShippingStatus"), "SHIPPED");
    EXPECT_EQ_STR(c7t_str(v, "FulFilmentStatus"), "FULFILLED");
    EXPECT_EQ_STR(c7t_str(v, "CombinedInvoiceStatus"), "INVOICED");
    EXPECT_EQ_STR(c7t_str(v, "CombinedPaymentStatus"), "PAID");
    char tracking[64];
    snprintf(tracking, sizeof tracking, "%s", c7t_str(v, "CombinedTrackingNumbers"));
    EXPECT_TRUE(strlen(tracking) > 3);
    const cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "Fulfilments"), 0);
    EXPECT_EQ_STR(c7t_str(cJSON_GetObjectItemCaseSensitive(f, "Ship"), "Status"), "AUTHORISED");
    const cJSON *pick = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(f, "Pick"), "Lines"), 0);
    EXPECT_EQ_INT(c7t_num(pick, "Quantity"), 2);
    cJSON_Delete(v);
    /* Picking took the units off the shelf. */
    cJSON *row = c7t_stock(&s, "A-1", "East");
    EXPECT_EQ_INT(c7t_num(row, "on_hand"), 3);
    EXPECT_EQ_INT(c7t_num(row, "allocated"), 0);
    cJSON_Delete(row);
    /* Statuses in the reference's order, each task DRAFT before it is
     * authorised, each no sooner than its delay (simulated time); there is
     * no SHIPPED status. */
    cJSON *j = e2e_journal(&s);
    const cJSON *auth = c7t_entry(j, "sale_authorised", 0);
    static const struct {
        const char *status, *task;
        double after; /* since the sale was authorised */
    } want[] = {
        {"PICKING", "pick", 30000},    {"PICKED", "pick", 60000},     {"PACKING", "pack", 150000},
        {"PACKED", "pack", 180000},    {"SHIPPING", "ship", 330000},  {"INVOICING", "ship", 360000},
        {"INVOICED", "invoice", 420000}, {"COMPLETED", "payment", 480000},
    };
    double t0 = c7t_num(auth, "authorised_t");
    for (int i = 0; i < 8; i++) {
        const cJSON *st = c7t_entry(j, "sale_status", i);
        EXPECT_TRUE(st != NULL);
        EXPECT_EQ_STR(c7t_str(st, "status"), want[i].status);
        EXPECT_EQ_STR(c7t_str(st, "task"), want[i].task);
        EXPECT_GE_INT(c7t_num(st, "stage_t") - t0, want[i].after);
    }
    EXPECT_EQ_STR(c7t_str(c7t_entry(j, "sale_status", 5), "tracking_number"), tracking);
    EXPECT_EQ_STR(c7t_str(c7t_entry(j, "sale_status", 5), "shipping_status"), "SHIPPED");
    cJSON_Delete(j);
    free(id);
    e2e_stop(&s);
}

TEST(mock_cin7, purchase_lifecycle_to_receipt)
{
    e2e_server s;
    /* Lead 1h at 7200x: half a real second. */
    const char *const args[] = {"--time-scale", "7200", NULL};
    c7t_start_world(&s, "\"purchases\":{\"lead_time_jitter\":\"30m\",\"invoice_after\":\"1h\"}", args);
    cJSON *v = c7t_call(&s, c7t_auth, "POST", API "advanced-purchase",
                        "{\"Supplier\":\"Acme Supply\",\"Location\":\"Main Warehouse\","
                        "\"RequiredBy\":\"2030-01-02T00:00:00\",\"Approach\":\"Stock\"}",
                        200);
    EXPECT_EQ_STR(c7t_str(v, "Status"), "DRAFT");
    EXPECT_EQ_STR(c7t_str(v, "Type"), "Advanced Purchase");
    EXPECT_EQ_STR(c7t_str(v, "Approach"), "STOCK");
    EXPECT_EQ_STR(c7t_str(v, "OrderNumber"), "PO-00001");
    EXPECT_EQ_STR(c7t_str(v, "Terms"), "60 days");
    EXPECT_EQ_STR(c7t_str(v, "RequiredBy"), "2030-01-02T00:00:00.000");
    EXPECT_EQ_STR(c7t_str(cJSON_GetObjectItemCaseSensitive(v, "Order"), "Status"), "NOT AVAILABLE");
    char id[64];
    snprintf(id, sizeof id, "%s", c7t_str(v, "ID"));
    cJSON_Delete(v);
    char *lines = c7t_lines("A-2:50@7.25");
    char *body = xasprintf("{\"TaskID\":\"%s\",\"Status\":\"AUTHORISED\",\"Memo\":\"restock\",\"Lines\":%s}",
                           id, lines);
    v = c7t_call(&s, c7t_auth, "POST", API "purchase/order", body, 200);
    EXPECT_EQ_STR(c7t_str(v, "Status"), "AUTHORISED");
    EXPECT_NEAR(c7t_num(v, "Total"), 362.5, 1e-9);
    cJSON_Delete(v);
    free(body);
    free(lines);
    char path[256];
    snprintf(path, sizeof path, API "advanced-purchase?ID=%s", id);
    /* Received after the lead time, then invoiced: COMPLETED. */
    wait_field wf = {&s, path, "Status", "COMPLETED"};
    EXPECT_TRUE(e2e_wait(field_is, &wf, 10000));
    cJSON *row = c7t_stock(&s, "A-2", "Main Warehouse");
    EXPECT_EQ_INT(c7t_num(row, "on_hand"), 60);
    EXPECT_EQ_INT(c7t_num(row, "on_order"), 0);
    EXPECT_EQ_INT(c7t_num(row, "received"), 50);
    EXPECT_EQ_INT(c7t_num(row, "initial"), 10);
    cJSON_Delete(row);
    v = c7t_call(&s, c7t_auth, "GET", path, NULL, 200);
    const cJSON *sr = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "StockReceived"), 0);
    EXPECT_EQ_STR(c7t_str(sr, "Status"), "AUTHORISED");
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(sr, "Lines")), 1);
    EXPECT_EQ_STR(c7t_str(v, "CombinedReceivingStatus"), "FULLY RECEIVED");
    EXPECT_EQ_STR(c7t_str(v, "CombinedInvoiceStatus"), "INVOICED");
    cJSON_Delete(v);
    /* An advanced purchase is read through its own endpoints. */
    snprintf(path, sizeof path, API "purchase?ID=%s", id);
    c7t_expect_error(&s, c7t_auth, "GET", path, NULL, 400, "advanced-purchase");
    snprintf(path, sizeof path, API "advanced-purchase/stock?PurchaseID=%s", id);
    v = c7t_call(&s, c7t_auth, "GET", path, NULL, 200);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(v, "StockReceiving")), 1);
    cJSON_Delete(v);
    /* OnOrder while in transit, then receipt after lead time (+ jitter),
     * then the invoice. */
    cJSON *j = e2e_journal(&s);
    const cJSON *a = c7t_entry(j, "purchase_authorised", 0);
    const cJSON *r = c7t_entry(j, "purchase_received", 0);
    const cJSON *inv = c7t_entry(j, "purchase_invoiced", 0);
    EXPECT_TRUE(a && r && inv);
    double lead = c7t_num(a, "due_t") - c7t_num(a, "authorised_t");
    EXPECT_GE_INT(lead, 3600000);
    EXPECT_LE_INT(lead, 3600000 + 1800000 + 1);
    EXPECT_GE_INT(c7t_num(r, "t"), c7t_num(a, "due_t"));
    EXPECT_EQ_STR(c7t_str(r, "status"), "RECEIVED");
    EXPECT_EQ_STR(c7t_str(inv, "status"), "COMPLETED");
    EXPECT_GE_INT(c7t_num(inv, "t") - c7t_num(r, "t"), 3600000);
    int saw_on_order = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        if (strcmp(c7t_str(e, "kind"), "stock") == 0 && strcmp(c7t_str(e, "cause"), "purchase_authorised") == 0)
            saw_on_order = c7t_num(e, "on_order") == 50;
    }
    EXPECT_TRUE(saw_on_order);
    cJSON_Delete(j);
    v = c7t_call(&s, c7t_auth, "GET", API "purchaseList?Status=COMPLETED", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 1);
    EXPECT_EQ_STR(c7t_str(first(v, "PurchaseList"), "StockReceivedStatus"), "AUTHORISED");
    cJSON_Delete(v);
    e2e_stop(&s);
}

TEST(mock_cin7, invoice_approach_receives_once_invoiced)
{
    e2e_server s;
    const char *const args[] = {"--time-scale", "7200", NULL};
    /* The invoice comes 2 h after the order, the stock is due after 1 h:
     * under Approach INVOICE it waits at the dock for the invoice. */
    c7t_start_world(&s, "\"purchases\":{\"invoice_after\":\"2h\"}", args);
    cJSON *v = c7t_call(&s, c7t_auth, "POST", API "purchase",
                        "{\"Supplier\":\"Acme Supply\",\"Location\":\"East\",\"Approach\":\"INVOICE\"}", 200);
    EXPECT_EQ_STR(c7t_str(v, "Type"), "Simple Purchase");
    char id[64];
    snprintf(id, sizeof id, "%s", c7t_str(v, "ID"));
    cJSON_Delete(v);
    char *lines = c7t_lines("A-1:10@4");
    char *body = xasprintf("{\"TaskID\":\"%s\",\"Status\":\"AUTHORISED\",\"Memo\":\"\",\"Lines\":%s}", id, lines);
    cJSON_Delete(c7t_call(&s, c7t_auth, "POST", API "purchase/order", body, 200));
    free(body);
    free(lines);
    char path[256];
    snprintf(path, sizeof path, API "purchase?ID=%s", id);
    wait_field wf = {&s, path, "Status", "COMPLETED"};
    EXPECT_TRUE(e2e_wait(field_is, &wf, 10000));
    cJSON *j = e2e_journal(&s);
    const cJSON *inv = c7t_entry(j, "purchase_invoiced", 0);
    const cJSON *r = c7t_entry(j, "purchase_received", 0);
    EXPECT_EQ_STR(c7t_str(inv, "status"), "INVOICED");
    EXPECT_GE_INT(c7t_num(r, "t"), c7t_num(inv, "t"));
    cJSON_Delete(j);
    /* A simple purchase's stock received is one section. */
    snprintf(path, sizeof path, API "purchase/stock?TaskID=%s", id);
    v = c7t_call(&s, c7t_auth, "GET", path, NULL, 200);
    EXPECT_EQ_STR(c7t_str(v, "Status"), "AUTHORISED");
    cJSON_Delete(v);
    e2e_stop(&s);
}

TEST(mock_cin7, draft_purchases_wait_for_a_buyer)
{
    e2e_server s;
    c7t_start_world(&s, "", NULL);
    cJSON *v = c7t_call(&s, c7t_auth, "POST", API "advanced-purchase", "{\"Supplier\":\"Acme Supply\"}", 200);
    EXPECT_EQ_STR(c7t_str(v, "Status"), "DRAFT");
    EXPECT_EQ_STR(c7t_str(v, "Location"), "Main Warehouse"); /* the supplier's first */
    char id[64];
    snprintf(id, sizeof id, "%s", c7t_str(v, "ID"));
    cJSON_Delete(v);
    /* Lines through purchase/order, as Cin7's API takes them. */
    char *lines = c7t_lines("A-1:60@4");
    char *body = xasprintf("{\"TaskID\":\"%s\",\"Status\":\"DRAFT\",\"Memo\":\"\",\"Lines\":%s}", id, lines);
    v = c7t_call(&s, c7t_auth, "POST", API "purchase/order", body, 200);
    EXPECT_EQ_STR(c7t_str(v, "Status"), "DRAFT");
    EXPECT_NEAR(c7t_num(v, "Total"), 240, 1e-9);
    cJSON_Delete(v);
    free(body);
    free(lines);
    v = c7t_call(&s, c7t_auth, "GET", API "purchaseList?Status=ORDERING", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 1);
    EXPECT_EQ_STR(c7t_str(first(v, "PurchaseList"), "OrderStatus"), "DRAFT");
    cJSON_Delete(v);
    /* Posting the order again replaces its lines while DRAFT; a bad line
     * changes nothing; PUT changes the header only. */
    lines = c7t_lines("A-1:70@4,X:1");
    body = xasprintf("{\"TaskID\":\"%s\",\"Status\":\"DRAFT\",\"Memo\":\"\",\"Lines\":%s}", id, lines);
    c7t_expect_error(&s, c7t_auth, "POST", API "purchase/order", body, 400, "Lines[1].SKU");
    free(body);
    free(lines);
    lines = c7t_lines("A-1:70@4");
    body = xasprintf("{\"TaskID\":\"%s\",\"Status\":\"DRAFT\",\"Memo\":\"\",\"Lines\":%s}", id, lines);
    cJSON_Delete(c7t_call(&s, c7t_auth, "POST", API "purchase/order", body, 200));
    free(body);
    free(lines);
    body = xasprintf("{\"ID\":\"%s\",\"Note\":\"n\"}", id);
    v = c7t_call(&s, c7t_auth, "PUT", API "advanced-purchase", body, 200);
    EXPECT_EQ_INT(c7t_num(order_line(v, 0), "Quantity"), 70);
    EXPECT_EQ_STR(c7t_str(v, "Note"), "n");
    cJSON_Delete(v);
    free(body);
    body = xasprintf("{\"ID\":\"%s\",\"Order\":{\"Lines\":[]}}", id);
    c7t_expect_error(&s, c7t_auth, "PUT", API "advanced-purchase", body, 400, "purchase/order");
    free(body);
    cJSON *row = c7t_stock(&s, "A-1", "Main Warehouse");
    EXPECT_EQ_INT(c7t_num(row, "on_order"), 0); /* nothing ordered while DRAFT */
    cJSON_Delete(row);

    /* The buyer approves it. */
    char approve[128];
    snprintf(approve, sizeof approve, "{\"id\":\"%s\"}", id);
    v = e2e_expect(&s, "POST", "/_mock/approve", NULL, approve, 200, 1);
    EXPECT_EQ_STR(c7t_str(v, "Status"), "ORDERED");
    cJSON_Delete(v);
    cJSON_Delete(e2e_expect(&s, "POST", "/_mock/approve", NULL, approve, 409, 1));
    cJSON_Delete(e2e_expect(&s, "POST", "/_mock/approve", NULL, "{\"id\":\"nope\"}", 404, 1));
    cJSON_Delete(e2e_expect(&s, "POST", "/_mock/approve", NULL, "{\"colour\":1}", 400, 1));
    row = c7t_stock(&s, "A-1", "Main Warehouse");
    EXPECT_EQ_INT(c7t_num(row, "on_order"), 70);
    cJSON_Delete(row);
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_STR(c7t_str(c7t_entry(j, "purchase_authorised", 0), "by"), "approve");
    cJSON_Delete(j);
    /* Authorised: the order is closed to POSTs (the reference: "exception
     * if Order status is not DRAFT or NOT AVAILABLE"); void takes it off
     * order. */
    lines = c7t_lines("A-1:1@4");
    body = xasprintf("{\"TaskID\":\"%s\",\"Status\":\"DRAFT\",\"Memo\":\"\",\"Lines\":%s}", id, lines);
    c7t_expect_error(&s, c7t_auth, "POST", API "purchase/order", body, 400, "AUTHORISED");
    free(body);
    free(lines);
    char path[256];
    snprintf(path, sizeof path, API "advanced-purchase?ID=%s&Void=true", id);
    v = c7t_call(&s, c7t_auth, "DELETE", path, NULL, 200);
    EXPECT_EQ_STR(c7t_str(v, "Status"), "VOIDED");
    cJSON_Delete(v);
    row = c7t_stock(&s, "A-1", "Main Warehouse");
    EXPECT_EQ_INT(c7t_num(row, "on_order"), 0);
    cJSON_Delete(row);
    e2e_stop(&s);
}

TEST(mock_cin7, auto_approval_and_backorders_filled_on_receipt)
{
    e2e_server s;
    const char *const args[] = {"--time-scale", "7200", NULL};
    c7t_start_world(&s, "\"purchases\":{\"auto_approve_after\":\"10m\"},\"sales\":{\"pick_after\":null}",
                    args);
    /* 15 wanted at East where 5 are: 10 backordered. */
    char *id = c7t_sale(&s, "#3001", "East", "A-1:15", "AUTHORISED");
    char sale[256];
    snprintf(sale, sizeof sale, API "sale?ID=%s", id);
    free(id);
    char *pid = c7t_purchase(&s, "East", "A-1:50@4", "DRAFT");
    free(pid);
    /* Approved after 10 min, received an hour later: the backorder is filled. */
    wait_field wf = {&s, sale, "Status", "ORDERED"};
    EXPECT_TRUE(e2e_wait(field_is, &wf, 10000));
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_STR(c7t_str(c7t_entry(j, "purchase_authorised", 0), "by"), "auto_approve");
    EXPECT_GE_INT(c7t_num(c7t_entry(j, "purchase_authorised", 0), "t") -
                      c7t_num(c7t_entry(j, "purchase_updated", 0), "t"),
                  600000);
    const cJSON *f = c7t_entry(j, "backorder_filled", 0);
    EXPECT_TRUE(f != NULL);
    EXPECT_EQ_INT(c7t_num(f, "qty"), 10);
    cJSON_Delete(j);
    cJSON *row = c7t_stock(&s, "A-1", "East");
    EXPECT_EQ_INT(c7t_num(row, "on_hand"), 55);
    EXPECT_EQ_INT(c7t_num(row, "allocated"), 15);
    EXPECT_EQ_INT(c7t_num(row, "available"), 40);
    cJSON_Delete(row);
    e2e_stop(&s);
}

TEST(mock_cin7, rate_limit_exact_per_application)
{
    e2e_server s;
    /* 20 calls per simulated minute; at 30x a window is two real seconds,
     * far longer than a burst of 25 local calls. */
    const char *const args[] = {"--time-scale", "30", NULL};
    e2e_start_config(&s, "mock-cin7",
                     "{\"account\":\"acme\",\"applications\":[{\"name\":\"a\",\"key\":\"k1\"},"
                     "{\"name\":\"b\",\"key\":\"k2\"}],"
                     "\"rate_limit\":{\"calls_per_minute\":20},\"locations\":[{\"name\":\"Main\"}]}",
                     args);
    int ok = 0, limited = 0;
    for (int i = 0; i < 25; i++) {
        int st = c7t_status(&s, c7t_auth, "GET", API "ref/location", NULL);
        ok += st == 200;
        limited += st == 503;
    }
    EXPECT_EQ_INT(ok, 20);
    EXPECT_EQ_INT(limited, 5);
    char *msg = c7t_error(&s, c7t_auth, "GET", API "ref/location", NULL, 503);
    EXPECT_EQ_STR(msg, "You reached 20 calls per minute API limit");
    free(msg);
    /* Another application has its own minute. */
    EXPECT_EQ_INT(c7t_status(&s, c7t_auth2, "GET", API "ref/location", NULL), 200);
    /* Refused calls do not count: after the window the first app may call
     * again (bounded wait of 5 s real for a 2 s window). */
    int back = 0;
    for (int i = 0; i < 50 && !back; i++) {
        usleep(100000);
        back = c7t_status(&s, c7t_auth, "GET", API "ref/location", NULL) == 200;
    }
    EXPECT_TRUE(back);
    cJSON *st = e2e_expect(&s, "GET", "/_mock/stats", NULL, NULL, 200, 1);
    EXPECT_GE_INT(c7t_num(cJSON_GetObjectItemCaseSensitive(st, "counters"), "rate_limited a"), 6);
    cJSON_Delete(st);
    e2e_stop(&s);

    /* The 429 variant, and the practitioner preset's figure. */
    e2e_start_config(&s, "mock-cin7",
                     "{\"account\":\"acme\",\"applications\":[{\"key\":\"k1\"}],"
                     "\"rate_limit\":{\"preset\":\"practitioner\",\"status\":429}}",
                     NULL);
    ok = 0;
    for (int i = 0; i < 101; i++)
        ok += c7t_status(&s, c7t_auth, "GET", API "ref/location", NULL) == 200;
    EXPECT_EQ_INT(ok, 100);
    msg = c7t_error(&s, c7t_auth, "GET", API "ref/location", NULL, 429);
    EXPECT_EQ_STR(msg, "You reached 100 calls per minute API limit");
    free(msg);
    e2e_stop(&s);
}

TEST(mock_cin7, channel_sales_need_available_stock)
{
    e2e_server s;
    c7t_start_world(&s, "\"sales\":{\"pick_after\":null}", NULL);
    free(c7t_sale(&s, "#1", "Main Warehouse", "A-2:4", "AUTHORISED"));
    /* 6 available (10 on hand, 4 allocated). */
    cJSON *v = e2e_expect(&s, "POST", "/_mock/channel-sale", NULL,
                          "{\"sku\":\"A-2\",\"location\":\"Main Warehouse\",\"qty\":7,\"channel\":\"pos\"}",
                          200, 1);
    EXPECT_FALSE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "accepted")));
    cJSON_Delete(v);
    v = e2e_expect(&s, "POST", "/_mock/channel-sale", NULL,
                   "{\"sku\":\"A-2\",\"location\":\"Main Warehouse\",\"qty\":6,\"channel\":\"wholesale\"}",
                   200, 1);
    EXPECT_TRUE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "accepted")));
    EXPECT_EQ_INT(c7t_num(v, "available"), 0);
    cJSON_Delete(v);
    cJSON_Delete(e2e_expect(&s, "POST", "/_mock/channel-sale", NULL, "{\"sku\":\"ZZ\",\"qty\":1}", 400, 1));
    cJSON_Delete(e2e_expect(&s, "POST", "/_mock/channel-sale", NULL, "{\"sku\":\"A-2\",\"qty\":0}", 400, 1));
    cJSON *row = c7t_stock(&s, "A-2", "Main Warehouse");
    EXPECT_EQ_INT(c7t_num(row, "on_hand"), 4);
    EXPECT_EQ_INT(c7t_num(row, "available"), 0);
    cJSON_Delete(row);
    cJSON *st = e2e_expect(&s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    const cJSON *chs = cJSON_GetObjectItemCaseSensitive(st, "channel_sales");
    EXPECT_EQ_INT(cJSON_GetArraySize(chs), 2);
    EXPECT_EQ_STR(c7t_str(cJSON_GetArrayItem(chs, 1), "channel"), "wholesale");
    cJSON_Delete(st);
    cJSON *j = e2e_journal(&s);
    EXPECT_FALSE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c7t_entry(j, "channel_sale", 0), "accepted")));
    EXPECT_TRUE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c7t_entry(j, "channel_sale", 1), "accepted")));
    cJSON_Delete(j);
    /* A stock take sets on hand. */
    v = e2e_expect(&s, "POST", "/_mock/adjust", NULL, "{\"sku\":\"A-2\",\"location\":\"Main Warehouse\",\"on_hand\":9}",
                   200, 1);
    EXPECT_EQ_INT(c7t_num(v, "available"), 5);
    cJSON_Delete(v);
    e2e_stop(&s);
}

TEST(mock_cin7, reset_seed_and_state)
{
    e2e_server s;
    e2e_start(&s, "mock-cin7", NULL);
    cJSON_Delete(e2e_expect(&s, "POST", "/_mock/reset", NULL, "", 200, 1));
    cJSON *v = c7t_call(&s, c7t_demo_auth, "GET", API "ref/productavailability", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 0); /* the account stays, its world is empty */
    cJSON_Delete(v);
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(c7t_num(cJSON_GetArrayItem(j, 0), "seq"), 1);
    cJSON_Delete(j);

    const char *seed =
        "{\"locations\":[{\"name\":\"North\"},{\"name\":\"South\"}],"
        "\"suppliers\":[{\"name\":\"S1\",\"lead_time\":\"3d\",\"minimum_order\":12}],"
        "\"products\":[{\"sku\":\"N-1\",\"supplier\":\"S1\"},{\"sku\":\"N-2\"}],"
        "\"stock\":[{\"sku\":\"N-1\",\"location\":\"North\",\"on_hand\":7}],"
        "\"applications\":[{\"name\":\"harness\",\"key\":\"hk\"}]}";
    cJSON_Delete(e2e_expect(&s, "POST", "/_mock/seed", NULL, seed, 200, 1));
    /* Additive, and all or nothing: a bad reference adds nothing. */
    v = e2e_expect(&s, "POST", "/_mock/seed", NULL,
                   "{\"products\":[{\"sku\":\"N-3\"}],\"stock\":[{\"sku\":\"N-3\",\"location\":\"Mars\",\"on_hand\":1}]}",
                   400, 1);
    EXPECT_CONTAINS(c7t_str(v, "error"), "$.stock[0].location");
    cJSON_Delete(v);
    v = e2e_expect(&s, "POST", "/_mock/seed", NULL, "{\"products\":[{\"sku\":\"N-1\"}]}", 400, 1);
    EXPECT_CONTAINS(c7t_str(v, "error"), "already exists");
    cJSON_Delete(v);
    v = e2e_expect(&s, "POST", "/_mock/seed", NULL, "{\"rate_limit\":{}}", 400, 1);
    EXPECT_CONTAINS(c7t_str(v, "error"), "$.rate_limit: unknown field");
    cJSON_Delete(v);
    v = e2e_expect(&s, "POST", "/_mock/seed", NULL, "{\"products\":[{\"sku\":\"Q\",\"colour\":1}]}", 400, 1);
    EXPECT_CONTAINS(c7t_str(v, "error"), "$.products[0].colour");
    cJSON_Delete(v);
    cJSON_Delete(e2e_expect(&s, "POST", "/_mock/seed", NULL, "{\"products\":[{\"sku\":\"N-3\"}]}", 200, 1));

    const char *const harness[] = {"api-auth-accountid: demo", "api-auth-applicationkey: hk", NULL};
    v = c7t_call(&s, harness, "GET", API "ref/productavailability", NULL, 200);
    EXPECT_EQ_INT(c7t_num(v, "Total"), 6); /* 3 SKUs x 2 locations */
    cJSON_Delete(v);
    cJSON *st = e2e_expect(&s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    EXPECT_EQ_STR(c7t_str(st, "account"), "demo");
    EXPECT_TRUE(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(st, "t")));
    const cJSON *p0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, "products"), 0);
    EXPECT_EQ_STR(c7t_str(p0, "sku"), "N-1");
    EXPECT_EQ_INT(c7t_num(p0, "initial"), 7);
    EXPECT_EQ_STR(c7t_str(p0, "supplier"), "S1");
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(st, "stock")), 6);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(st, "locations")), 2);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(st, "applications")), 2);
    cJSON_Delete(st);
    j = e2e_journal(&s);
    EXPECT_EQ_INT(c7t_count(j, "seed"), 2);
    cJSON_Delete(j);
    e2e_stop(&s);
}

TEST(mock_cin7, config_errors_name_the_path)
{
    static const struct {
        const char *config, *want;
    } cases[] = {
        {"{\"rate_limit\":{\"preset\":\"turbo\"}}", "$.rate_limit.preset"},
        {"{\"locations\":[{\"name\":\"A\"}],\"stock\":[{\"sku\":\"nope\",\"location\":\"A\",\"on_hand\":1}]}",
         "$.stock[0].sku"},
        {"{\"webhooks\":{\"retry_after\":[\"5m\",\"soon\"]}}", "$.webhooks.retry_after[1]"},
        {"{\"suppliers\":[{\"name\":\"S\",\"lead_time\":-1}]}", "$.suppliers[0].lead_time"},
        {"{\"sales\":{\"pick_after\":\"1m\",\"dance\":true}}", "$.sales.dance: unknown field"},
        {"{\"sales\":{\"split_share\":1.5}}", "$.sales.split_share"},
        {"{\"sales\":{\"void_share\":-0.1}}", "$.sales.void_share"},
        {"{\"sales\":{\"split_share\":\"half\"}}", "$.sales.split_share"},
        {"{\"sales\":{\"split_gap\":\"soon\"}}", "$.sales.split_gap"},
        {"{\"sales\":{\"void_after\":-5}}", "$.sales.void_after"},
        {"{\"sales\":{\"ship_allocated\":\"yes\"}}", "$.sales.ship_allocated"},
        {"{\"applications\":[{\"key\":\"a\"},{\"key\":\"a\"}]}", "$.applications[1].key"},
        {"[1, 2", "line 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        e2e_expect_refused("mock-cin7", cases[i].config, cases[i].want);
}
