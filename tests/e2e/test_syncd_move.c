/* A sale Cin7 backordered at one warehouse while another had the stock:
 * syncd routed on a stale figure (a wholesale sale took the units and Cin7's
 * stock webhook had not arrived), and moves the sale there, exactly once;
 * a cancellation afterwards voids the moved sale too. */
#include "test_syncd.h"

#include "json.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const cin7_auth[] = {"api-auth-accountid: e2e",
                                        "api-auth-applicationkey: e2e-key", NULL};

/* A purchase of qty units of sku for location, authorised through Cin7's
 * API and received at once (the mock's dock): Cin7 fills that location's
 * backorders from it, oldest sale first. */
static void receive(const sdt_world *w, const char *location, const char *sku, int qty)
{
    char *body = xasprintf("{\"Supplier\":\"E2E Supply\",\"Location\":\"%s\"}", location);
    cJSON *p = e2e_expect(&w->cin7, "POST", "/ExternalApi/v2/advanced-purchase", cin7_auth, body,
                          200, 1);
    free(body);
    char *id = xstrdup(sdt_str(p, "ID"));
    cJSON_Delete(p);
    body = xasprintf("{\"TaskID\":\"%s\",\"Status\":\"AUTHORISED\",\"Memo\":\"\",\"Lines\":"
                     "[{\"SKU\":\"%s\",\"Name\":\"%s\",\"Quantity\":%d,\"Price\":5,\"Tax\":0,"
                     "\"TaxRule\":\"Tax Exempt\",\"Total\":%d}]}",
                     id, sku, sku, qty, qty * 5);
    cJSON_Delete(e2e_expect(&w->cin7, "POST", "/ExternalApi/v2/purchase/order", cin7_auth, body,
                            200, 1));
    free(body);
    body = xasprintf("{\"id\":\"%s\"}", id);
    cJSON_Delete(e2e_expect(&w->cin7, "POST", "/_mock/receive", NULL, body, 200, 1));
    free(body);
    free(id);
}

/* The order's live sales as "location:units/backordered" joined by spaces,
 * and how many of its sales were voided (caller frees). */
static char *live_sales(const sdt_world *w, int64_t order, int *voided)
{
    cJSON *st = sdt_cin7_state(w);
    char ref[32];
    snprintf(ref, sizeof ref, "%lld", (long long)order);
    char *out = xstrdup("");
    *voided = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(st, "sales"))
    {
        if (strcmp(sdt_str(s, "customer_reference"), ref) != 0)
            continue;
        if (strcmp(sdt_str(s, "status"), "VOIDED") == 0) {
            (*voided)++;
            continue;
        }
        int64_t units = 0;
        const cJSON *l;
        cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(s, "lines"))
            units += (int64_t)sdt_num(l, "qty");
        char *next = xasprintf("%s%s%s:%lld/%lld", out, *out ? " " : "", sdt_str(s, "location"),
                               (long long)units, (long long)sdt_num(s, "backorder_units"));
        free(out);
        out = next;
    }
    cJSON_Delete(st);
    return out;
}

typedef struct {
    const sdt_world *w;
    int64_t order;
    const char *want;
    int voided;
} sales_ref;

static int sales_are(void *ud)
{
    const sales_ref *k = ud;
    int voided;
    char *got = live_sales(k->w, k->order, &voided);
    int same = strcmp(got, k->want) == 0 && voided == k->voided;
    free(got);
    return same;
}

static void expect_sales(const sdt_world *w, int64_t order, const char *want, int voided)
{
    sales_ref k = {w, order, want, voided};
    sdt_wait(sales_are, &k, 30000);
    int got_voided;
    char *got = live_sales(w, order, &got_voided);
    EXPECT_EQ_STR(got, want);
    EXPECT_EQ_INT(got_voided, voided);
    free(got);
}

/* Entries of a journal of kind whose numeric order_id is order. */
static int order_entries(const cJSON *journal, const char *kind, const char *tmpl, int64_t order)
{
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, journal)
    {
        if (strcmp(sdt_str(e, "kind"), kind) != 0 || (int64_t)sdt_num(e, "order_id") != order)
            continue;
        if (!tmpl || strcmp(sdt_str(e, "template"), tmpl) == 0)
            n++;
    }
    return n;
}

/* Whether mock-shopify journaled an entry of kind k->want for k->order. */
static int shop_has(void *ud)
{
    const sales_ref *k = ud;
    cJSON *j = sdt_journal(&k->w->shop);
    int n = order_entries(j, k->want, NULL, k->order);
    cJSON_Delete(j);
    return n > 0;
}

/* Main holds 4 of A-1, Second 10; Shopify shows 14. A wholesale sale
 * takes Main's 4 while Cin7's stock webhooks arrive ten simulated minutes
 * late (and Cin7's calls fail as faults says), then a shopper buys 3:
 * syncd routes them to Main on its stale figure. Returns the order. */
static int64_t stale_route_with(sdt_world *w, const char *faults, const char *overrides)
{
    sdt_start_world_take(
        w,
        sdt_cin7_config("[{\"name\":\"Main\"},{\"name\":\"Second\"}]",
                        "[{\"sku\":\"A-1\",\"price\":10}]",
                        "[{\"sku\":\"A-1\",\"location\":\"Main\",\"on_hand\":4},"
                        "{\"sku\":\"A-1\",\"location\":\"Second\",\"on_hand\":10}]"),
        sdt_shop_config("[{\"title\":\"A\",\"variants\":[{\"sku\":\"A-1\",\"available\":14}]}]", ""),
        "[{\"name\":\"Main\",\"priority\":1},{\"name\":\"Second\",\"priority\":2}]",
        overrides);
    EXPECT_TRUE(sdt_wait_level(w, "A-1", 14, 20000));
    sdt_wait_quiet(w, 20000);
    e2e_faults(&w->cin7, faults);
    cJSON_Delete(e2e_expect(&w->cin7, "POST", "/_mock/channel-sale", NULL,
                            "{\"sku\":\"A-1\",\"location\":\"Main\",\"qty\":4,\"channel\":\"wholesale\"}",
                            200, 1));
    return sdt_checkout(w, "A-1", 3, NULL);
}

static int64_t stale_route(sdt_world *w, const char *faults)
{
    return stale_route_with(w, faults, NULL);
}

TEST_T(syncd_e2e, a_backordered_sale_moves_to_the_warehouse_that_has_the_stock, 150)
{
    sdt_world w;
    int64_t order = stale_route(&w, "[{\"kind\":\"delay\",\"target\":\"Stock*\",\"ms\":\"10m\"}]");
    /* Cin7 backorders the 3 units at Main; syncd moves the sale to Second. */
    expect_sales(&w, order, "Second:3/0", 1);
    EXPECT_TRUE(sdt_wait_metric(&w, "syncd_sales_moved_total", 1, 20000));
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_sales_moved_total"), 1);
    /* syncd saw the backorder in Cin7's answer to the lines, before Cin7's
     * notification came. */
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_backorders_seen_on_push_total"), 1);
    /* The moved sale carries the next ExternalID. */
    cJSON *st = sdt_cin7_state(&w);
    char want_ext[96];
    snprintf(want_ext, sizeof want_ext, SDT_SHOP "/%lld~m1", (long long)order);
    int found = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(st, "sales"))
        found += strcmp(sdt_str(s, "external_id"), want_ext) == 0;
    cJSON_Delete(st);
    EXPECT_EQ_INT(found, 1);

    /* The stock webhooks and everything else delivered: nothing changes. */
    e2e_faults(&w.cin7, "[]");
    sdt_wait_quiet(&w, 30000);
    expect_sales(&w, order, "Second:3/0", 1);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_sales_moved_total"), 1);

    /* A cancellation voids the moved sale. */
    char *body = xasprintf("{\"shop\":\"" SDT_SHOP "\",\"order_id\":%lld}", (long long)order);
    cJSON_Delete(e2e_expect(&w.shop, "POST", "/_mock/cancel", NULL, body, 200, 1));
    free(body);
    expect_sales(&w, order, "", 2);
    /* Both voids were syncd's own (the move's, the cancellation's): their
     * Sale/Voided notifications ask nothing of Shopify. */
    sdt_wait_quiet(&w, 30000);
    EXPECT_LE_INT(sdt_metric(&w, "syncd_orders_cancelled_for_voids_total"), 0);
    EXPECT_LE_INT(sdt_metric(&w, "syncd_voids_reported_total"), 0);
    EXPECT_EQ_INT(sdt_dlq_count(&w), 0);
    sdt_stop(&w);
}

TEST_T(syncd_e2e, a_move_whose_answers_are_lost_happens_once, 180)
{
    /* Half of Cin7's sale writes (posts and voids) time out after they
     * were applied: every lost answer is looked up, none repeated. */
    sdt_world w;
    int64_t order = stale_route(
        &w, "[{\"kind\":\"delay\",\"target\":\"Stock*\",\"ms\":\"10m\"},"
            "{\"kind\":\"timeout\",\"target\":\"POST /ExternalApi/v2/sale*\",\"applied\":true,"
            "\"hold\":\"2s\",\"probability\":0.5},"
            "{\"kind\":\"timeout\",\"target\":\"DELETE /ExternalApi/v2/sale*\",\"applied\":true,"
            "\"hold\":\"2s\",\"probability\":0.5}]");
    expect_sales(&w, order, "Second:3/0", 1);
    e2e_faults(&w.cin7, "[]");
    sdt_wait_quiet(&w, 30000);
    expect_sales(&w, order, "Second:3/0", 1);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_sales_moved_total"), 1);
    EXPECT_EQ_INT(sdt_dlq_count(&w), 0);
    cJSON *j = e2e_journal(&w.cin7);
    EXPECT_GE_INT(sdt_count_kind(j, "fault", NULL, NULL), 1); /* answers were lost */
    cJSON_Delete(j);
    sdt_stop(&w);
}

/* Moves off: the sale stays backordered at Main. Cin7's Available does
 * not drop for backordered units (Main reads 0, Second 10), yet the 3 are
 * sold: offering Second's 10 would oversell them, so Shopify shows 7.
 * Stock arriving at Main fills the backorder; then the units are held in
 * Cin7's figures and the hold ends: 5 received, 3 of them to the sale,
 * Shopify shows 2 + 10. */
TEST_T(syncd_e2e, backordered_units_stay_off_sale_until_stock_fills_them, 180)
{
    sdt_world w;
    int64_t order =
        stale_route_with(&w, "[{\"kind\":\"delay\",\"target\":\"Stock*\",\"ms\":\"10m\"}]",
                         "{\"move_backorders\":false}");
    expect_sales(&w, order, "Main:3/3", 0);
    e2e_faults(&w.cin7, "[]");
    sdt_wait_quiet(&w, 30000);
    EXPECT_TRUE(sdt_wait_level(&w, "A-1", 7, 30000));
    EXPECT_EQ_INT(sdt_shop_available(&w, "A-1"), 7);
    expect_sales(&w, order, "Main:3/3", 0);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_sales_moved_total"), -1);
    /* The backorder stays: the order's fulfillment order is held at
     * Shopify, out of stock, with a note naming the units. */
    cJSON *j = sdt_journal(&w.shop);
    EXPECT_EQ_INT(order_entries(j, "fulfillment_order_hold", NULL, order), 1);
    EXPECT_EQ_INT(sdt_count_kind(j, "fulfillment_order_hold", "reason", "INVENTORY_OUT_OF_STOCK"), 1);
    EXPECT_EQ_INT(order_entries(j, "fulfillment_order_release", NULL, order), 0);
    cJSON_Delete(j);

    receive(&w, "Main", "A-1", 5);
    expect_sales(&w, order, "Main:3/0", 0);
    EXPECT_TRUE(sdt_wait_level(&w, "A-1", 12, 60000));
    /* Filled: syncd's hold is released. */
    sales_ref k = {&w, order, "fulfillment_order_release", 0};
    EXPECT_TRUE(sdt_wait(shop_has, &k, 60000));
    sdt_wait_quiet(&w, 30000);
    EXPECT_EQ_INT(sdt_shop_available(&w, "A-1"), 12);
    j = sdt_journal(&w.shop);
    EXPECT_EQ_INT(order_entries(j, "fulfillment_order_hold", NULL, order), 1);
    EXPECT_EQ_INT(order_entries(j, "fulfillment_order_release", NULL, order), 1);
    cJSON_Delete(j);
    EXPECT_EQ_INT(sdt_dlq_count(&w), 0);
    sdt_stop(&w);
}

/* A user voids the order's only sale in Cin7: syncd cancels the order at
 * Shopify (restocked, the customer told once), and the orders/cancelled
 * Shopify sends back voids nothing a second time: Cin7 sees one void, and
 * syncd sends none. */
TEST_T(syncd_e2e, a_sale_voided_in_cin7_cancels_its_order_once, 150)
{
    sdt_world w;
    sdt_start_basic(&w, "", NULL);
    EXPECT_TRUE(sdt_wait_level(&w, "A-1", 100, 20000));
    int64_t order = sdt_checkout(&w, "A-1", 2, NULL);
    EXPECT_TRUE(sdt_wait_sales(&w, &order, 1, 30000));
    cJSON *st = sdt_cin7_state(&w);
    const cJSON *sale = NULL;
    EXPECT_EQ_INT(sdt_sales_of(st, order, &sale), 1);
    char body[200];
    snprintf(body, sizeof body, "{\"id\":\"%s\"}", sale ? sdt_str(sale, "id") : "");
    cJSON_Delete(st);
    cJSON_Delete(e2e_expect(&w.cin7, "POST", "/_mock/void", NULL, body, 200, 1));

    sales_ref k = {&w, order, "order_cancelled", 1};
    EXPECT_TRUE(sdt_wait(shop_has, &k, 60000));
    sdt_wait_quiet(&w, 30000);
    cJSON *shop = sdt_journal(&w.shop);
    EXPECT_EQ_INT(order_entries(shop, "order_cancelled", NULL, order), 1);
    EXPECT_EQ_INT(order_entries(shop, "notification", "order_cancelled", order), 1);
    cJSON_Delete(shop);
    cJSON *c7 = sdt_journal(&w.cin7);
    EXPECT_EQ_INT(sdt_count_kind(c7, "sale_voided", NULL, NULL), 1);
    EXPECT_EQ_INT(sdt_count_kind(c7, "sale_voided", "application", "syncd"), 0);
    EXPECT_GT_INT(sdt_count_kind(c7, "request", "method", "GET"), 0); /* requests are there */
    EXPECT_EQ_INT(sdt_count_kind(c7, "request", "method", "DELETE"), 0);
    cJSON_Delete(c7);
    expect_sales(&w, order, "", 1);
    /* Restocked at Shopify, and the level stays where Cin7 has it. */
    EXPECT_TRUE(sdt_wait_level(&w, "A-1", 100, 30000));
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_orders_cancelled_for_voids_total"), 1);
    EXPECT_EQ_INT(sdt_dlq_count(&w), 0);
    sdt_stop(&w);
}

typedef struct {
    const sdt_world *w;
    int64_t order;
    const char *kind;
    int at_least;
} entries_ref;

static int shop_has_n(void *ud)
{
    const entries_ref *k = ud;
    cJSON *j = sdt_journal(&k->w->shop);
    int n = order_entries(j, k->kind, NULL, k->order);
    cJSON_Delete(j);
    return n >= k->at_least;
}

/* Cin7 ships a backordered sale's allocated unit first and the rest once a
 * receipt fills it (an Advanced sale, two fulfilments; mock-cin7's
 * ship_allocated): each shipment becomes its own fulfillment and tells the
 * customer once, and the units still backordered after the first stay held
 * at Shopify until the receipt fills them. */
TEST_T(syncd_e2e, a_backorder_ships_its_allocated_part_first_and_stays_held_for_the_rest, 240)
{
    sdt_world w;
    char *base = sdt_cin7_config("[{\"name\":\"Main\"},{\"name\":\"Second\"}]",
                                 "[{\"sku\":\"A-1\",\"price\":10}]",
                                 "[{\"sku\":\"A-1\",\"location\":\"Main\",\"on_hand\":4},"
                                 "{\"sku\":\"A-1\",\"location\":\"Second\",\"on_hand\":10}]");
    char *c7 = sdt_json_merge(base, "{\"sales\":{\"pick_after\":\"2m\",\"pack_after\":\"1m\","
                                    "\"ship_after\":\"1m\",\"task_draft_for\":\"1m\","
                                    "\"ship_allocated\":true}}");
    free(base);
    sdt_start_world_take(
        &w, c7, sdt_shop_config("[{\"title\":\"A\",\"variants\":[{\"sku\":\"A-1\",\"available\":14}]}]", ""),
        "[{\"name\":\"Main\",\"priority\":1},{\"name\":\"Second\",\"priority\":2}]",
        "{\"move_backorders\":false}");
    EXPECT_TRUE(sdt_wait_level(&w, "A-1", 14, 20000));
    sdt_wait_quiet(&w, 20000);
    /* A wholesale sale takes 3 of Main's 4 while Cin7's stock webhooks are
     * late: the shopper's 3 go to Main, which holds 1 and backorders 2. */
    e2e_faults(&w.cin7, "[{\"kind\":\"delay\",\"target\":\"Stock*\",\"ms\":\"10m\"}]");
    cJSON_Delete(e2e_expect(&w.cin7, "POST", "/_mock/channel-sale", NULL,
                            "{\"sku\":\"A-1\",\"location\":\"Main\",\"qty\":3,\"channel\":\"wholesale\"}",
                            200, 1));
    int64_t order = sdt_checkout(&w, "A-1", 3, NULL);
    expect_sales(&w, order, "Main:3/2", 0);
    e2e_faults(&w.cin7, "[]");

    /* The unit Cin7 holds ships: one fulfillment of 1, one confirmation,
     * and the 2 backordered units held (again) at Shopify. */
    entries_ref first = {&w, order, "fulfillment", 1};
    if (!sdt_wait(shop_has_n, &first, 90000))
        test_fail(__FILE__, __LINE__, "the allocated unit was never fulfilled (log %s)", w.syncd.log);
    sdt_wait_quiet(&w, 30000);
    cJSON *j = sdt_journal(&w.shop);
    EXPECT_EQ_INT(order_entries(j, "fulfillment", NULL, order), 1);
    EXPECT_EQ_INT(order_entries(j, "notification", "shipping_confirmation", order), 1);
    int holds = order_entries(j, "fulfillment_order_hold", NULL, order);
    int releases = order_entries(j, "fulfillment_order_release", NULL, order);
    EXPECT_GE_INT(holds, 1);
    EXPECT_EQ_INT(holds - releases, 1); /* one hold stands for the 2 units */
    cJSON_Delete(j);

    /* A receipt fills the backorder: the hold goes, the rest ships as a
     * second fulfillment with its own confirmation. */
    receive(&w, "Main", "A-1", 2);
    entries_ref second = {&w, order, "fulfillment", 2};
    if (!sdt_wait(shop_has_n, &second, 90000))
        test_fail(__FILE__, __LINE__, "the filled units were never fulfilled (log %s)", w.syncd.log);
    sdt_wait_quiet(&w, 30000);
    j = sdt_journal(&w.shop);
    EXPECT_EQ_INT(order_entries(j, "fulfillment", NULL, order), 2);
    EXPECT_EQ_INT(order_entries(j, "notification", "shipping_confirmation", order), 2);
    EXPECT_EQ_INT(order_entries(j, "fulfillment_order_hold", NULL, order),
                  order_entries(j, "fulfillment_order_release", NULL, order));
    int units = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        if (strcmp(sdt_str(e, "kind"), "fulfillment") != 0 || (int64_t)sdt_num(e, "order_id") != order)
            continue;
        const cJSON *l;
        cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(e, "lines"))
            units += (int)sdt_num(l, "qty");
    }
    EXPECT_EQ_INT(units, 3);
    cJSON_Delete(j);
    EXPECT_EQ_INT(sdt_dlq_count(&w), 0);
    sdt_stop(&w);
}
