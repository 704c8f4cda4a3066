/* Issue 7's pure decisions: the Cin7 sale state -> Shopify fulfillment
 * table (every state), how a shipment spreads over the order's line items
 * (full, split across warehouses, backordered, duplicate), and the SKU
 * audit's matching and near-miss rules; the store read reconciliation
 * uses to tell an order syncd has seen. */
#include "../runner.h"

#include "c7qty.h"
#include "skumatch.h"
#include "status.h"
#include "store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the status table ------------------------------------------------------------ */

static const status_line two_lines[] = {{"A-1", 3, 0}, {"A-2", 2, 0}};

/* A sale that says it shipped (Status does not matter). */
static const status_sale shipped = {"ORDERED", "SHIPPED", "FULFILLED"};

/* A state that tells Shopify nothing: kind, state name, no units. */
static void expect_none(const char *status, const char *shipping, const char *fulfilment,
                        const char *state)
{
    int64_t ship[2] = {-1, -1};
    status_sale s = {status, shipping, fulfilment};
    status_action a = status_map(&s, two_lines, 2, ship);
    if (a.kind != STATUS_NONE)
        test_fail(__FILE__, __LINE__, "status %s/%s/%s: expected no action, got kind %d",
                  status ? status : "-", shipping ? shipping : "-", fulfilment ? fulfilment : "-",
                  a.kind);
    EXPECT_EQ_STR(a.state, state);
    EXPECT_TRUE(a.note && *a.note);
    EXPECT_EQ_INT(ship[0], 0);
    EXPECT_EQ_INT(ship[1], 0);
}

TEST(syncd7_status, before_shipping_nothing_reaches_shopify)
{
    expect_none("DRAFT", "NOT AVAILABLE", "NOT AVAILABLE", "not_ordered");
    expect_none("ORDERING", "NOT AVAILABLE", "NOT AVAILABLE", "not_ordered");
    expect_none("ESTIMATING", NULL, NULL, "not_ordered");
    expect_none("ESTIMATED", NULL, NULL, "not_ordered");
    expect_none("ORDERED", "NOT SHIPPED", "NOT FULFILLED", "ordered");
    expect_none("PICKING", "NOT SHIPPED", "NOT FULFILLED", "picked");
    expect_none("PICKED", "NOT SHIPPED", "NOT FULFILLED", "picked");
    expect_none("PACKING", "NOT SHIPPED", "NOT FULFILLED", "packed");
    expect_none("PACKED", "NOT SHIPPED", "NOT FULFILLED", "packed");
    /* A shipment still DRAFT has not left. */
    expect_none("SHIPPING", "SHIPPING", "NOT FULFILLED", "shipping");
    /* An Advanced sale reads ORDERED while it ships: the parts decide. */
    expect_none("ORDERED", "SHIPPING", "NOT FULFILLED", "ordered");
}

TEST(syncd7_status, backordered_voided_credited_and_unknown)
{
    expect_none("BACKORDERED", "NOT SHIPPED", "NOT FULFILLED", "backordered");
    /* Voided wins over whatever the parts say. */
    expect_none("VOIDED", "VOIDED", "VOIDED", "voided");
    expect_none("VOIDED", "SHIPPED", "FULFILLED", "voided");
    expect_none("CREDITED", NULL, NULL, "credited");
    expect_none("TELEPORTED", NULL, NULL, "unknown");
    expect_none(NULL, NULL, NULL, "unknown");
    expect_none("", "", "", "unknown");
}

/* A sale voided in Cin7: nothing when syncd voided it or Shopify has the
 * order cancelled; cancel when it was the order's only sale; report when
 * another stands or the order's sales are unknown. */
TEST(syncd7_status, a_void_in_cin7_cancels_an_order_only_when_nothing_else_stands)
{
    EXPECT_EQ_INT(status_void(1, 0, 1, 0).kind, VOID_NOTHING);
    EXPECT_EQ_INT(status_void(1, 0, 0, 3).kind, VOID_NOTHING);
    EXPECT_EQ_INT(status_void(0, 1, 1, 0).kind, VOID_NOTHING);
    EXPECT_EQ_INT(status_void(0, 0, 1, 0).kind, VOID_CANCEL_ORDER);
    EXPECT_EQ_INT(status_void(0, 0, 1, 1).kind, VOID_REPORT);
    EXPECT_EQ_INT(status_void(0, 0, 0, 0).kind, VOID_REPORT);
    EXPECT_CONTAINS(status_void(0, 0, 1, 2).note, "cannot cancel part");
}

TEST(syncd7_status, there_is_no_shipped_status)
{
    /* Cin7 has no SHIPPED sale status: one that says so, with nothing in
     * its parts, is not taken for a shipment. */
    expect_none("SHIPPED", "NOT SHIPPED", "NOT FULFILLED", "unknown");
    /* Invoiced or completed is not shipped either. */
    expect_none("INVOICED", "NOT SHIPPED", "NOT FULFILLED", "invoiced");
    expect_none("COMPLETED", NULL, NULL, "invoiced");
}

/* A state that ships: kind, state "shipped", every unit of the lines. */
static void expect_fulfil(const char *status, const char *shipping, const char *fulfilment)
{
    int64_t ship[2] = {-1, -1};
    status_sale s = {status, shipping, fulfilment};
    status_action a = status_map(&s, two_lines, 2, ship);
    if (a.kind != STATUS_FULFIL)
        test_fail(__FILE__, __LINE__, "status %s/%s/%s: expected a fulfillment, got kind %d",
                  status ? status : "-", shipping ? shipping : "-", fulfilment ? fulfilment : "-",
                  a.kind);
    EXPECT_EQ_STR(a.state, "shipped");
    EXPECT_EQ_INT(ship[0], 3);
    EXPECT_EQ_INT(ship[1], 2);
}

TEST(syncd7_status, the_shipping_status_decides)
{
    /* A Simple sale shipping on to INVOICED and COMPLETED; an Advanced one
     * still ORDERED; either field is enough; any case. */
    expect_fulfil("INVOICING", "SHIPPED", "FULFILLED");
    expect_fulfil("INVOICED", "SHIPPED", "FULFILLED");
    expect_fulfil("COMPLETED", "SHIPPED", "FULFILLED");
    expect_fulfil("ORDERED", "SHIPPED", "FULFILLED");
    expect_fulfil("ORDERED", "shipped", NULL);
    expect_fulfil("ORDERED", NULL, "Fulfilled");
    expect_fulfil("ORDERED", "PARTIALLY SHIPPED", "PARTIALLY FULFILLED");
    status_action a = status_map(&shipped, two_lines, 2, NULL); /* ship may be left out */
    EXPECT_EQ_INT(a.kind, STATUS_FULFIL);
}

/* What an allocation placed: units in all, units left over, partial or not. */
static void expect_fit(status_fit f, int64_t units, int64_t unplaced, int partial)
{
    EXPECT_EQ_INT(f.units, units);
    EXPECT_EQ_INT(f.unplaced, unplaced);
    EXPECT_EQ_INT(f.partial, partial);
}

TEST(syncd7_status, shipped_with_a_backorder_ships_the_allocated_units)
{
    /* 5 ordered, 2 of them backordered: 3 shipped; a fully backordered
     * line ships nothing; a silly negative backorder counts as none. */
    const status_line lines[] = {{"A-1", 5, 2}, {"A-2", 4, 4}, {"A-3", 1, -1}};
    int64_t ship[3];
    status_action a = status_map(&shipped, lines, 3, ship);
    EXPECT_EQ_INT(a.kind, STATUS_FULFIL);
    EXPECT_EQ_INT(ship[0], 3);
    EXPECT_EQ_INT(ship[1], 0);
    EXPECT_EQ_INT(ship[2], 1);
    /* Spread over the order: the backordered units stay, so it is partial. */
    const status_item items[] = {{"A-1", 5}, {"A-2", 4}, {"A-3", 1}};
    int64_t out[3];
    expect_fit(status_allocate(lines, ship, 3, items, 3, out), 4, 0, 1);
    EXPECT_EQ_INT(out[0], 3);
    EXPECT_EQ_INT(out[1], 0);
    EXPECT_EQ_INT(out[2], 1);
}

TEST(syncd7_status, one_sale_for_the_whole_order_is_a_full_fulfillment)
{
    int64_t ship[2];
    status_map(&shipped, two_lines, 2, ship);
    const status_item items[] = {{"A-2", 2}, {"A-1", 3}};
    int64_t out[2];
    expect_fit(status_allocate(two_lines, ship, 2, items, 2, out), 5, 0, 0);
    EXPECT_EQ_INT(out[0], 2);
    EXPECT_EQ_INT(out[1], 3);
}

/* An order shipped by two sales of one line each (one per warehouse): the
 * first fulfils its units and leaves the order partial, the second, on
 * what the first left to fulfil, completes it. */
typedef struct {
    status_line first, second;
    status_item items[2];
    size_t n_items;
    int64_t out_first[2], out_second[2];
} two_sales;

static void expect_two_sales(const two_sales *c)
{
    status_item items[2];
    memcpy(items, c->items, sizeof items);
    int64_t ship[1], out[2];
    status_map(&shipped, &c->first, 1, ship);
    status_fit f = status_allocate(&c->first, ship, 1, items, c->n_items, out);
    EXPECT_TRUE(f.partial);
    for (size_t k = 0; k < c->n_items; k++) {
        EXPECT_EQ_INT(out[k], c->out_first[k]);
        items[k].fulfillable -= out[k];
    }
    status_map(&shipped, &c->second, 1, ship);
    f = status_allocate(&c->second, ship, 1, items, c->n_items, out);
    EXPECT_FALSE(f.partial);
    for (size_t k = 0; k < c->n_items; k++)
        EXPECT_EQ_INT(out[k], c->out_second[k]);
}

TEST(syncd7_status, split_across_locations_gives_partial_then_complete)
{
    /* The order: 3 x A-1 and 2 x A-2, routed as one sale per warehouse. */
    const two_sales c = {{"A-1", 3, 0}, {"A-2", 2, 0}, {{"A-1", 3}, {"A-2", 2}}, 2, {3, 0}, {0, 2}};
    expect_two_sales(&c);
}

TEST(syncd7_status, one_sku_split_across_locations)
{
    /* 5 x A-1 on one line item: 3 ship from one warehouse, 2 from another. */
    const two_sales c = {{"A-1", 3, 0}, {"A-1", 2, 0}, {{"A-1", 5}}, 1, {3}, {2}};
    expect_two_sales(&c);
}

TEST(syncd7_status, nothing_left_and_unmapped_items)
{
    /* A repeat after the order is fulfilled places nothing. */
    int64_t ship[2], out[3];
    status_map(&shipped, two_lines, 2, ship);
    const status_item done[] = {{"A-1", 0}, {"A-2", 0}};
    expect_fit(status_allocate(two_lines, ship, 2, done, 2, out), 0, 5, 0);
    /* Two line items of one SKU share the units in order; an unmapped
     * item (a gift card) stays unfulfilled, so the fulfillment is partial. */
    const status_item items[] = {{"A-1", 2}, {NULL, 1}, {"A-1", 4}};
    const status_line one[] = {{"A-1", 3, 0}};
    status_map(&shipped, one, 1, ship);
    status_fit f = status_allocate(one, ship, 1, items, 3, out);
    EXPECT_EQ_INT(out[0], 2);
    EXPECT_EQ_INT(out[1], 0);
    EXPECT_EQ_INT(out[2], 1);
    EXPECT_EQ_INT(f.units, 3);
    EXPECT_TRUE(f.partial);
}

/* ---- SKU matching ------------------------------------------------------------------- */

static void expect_kinds(const char *a, const char *b, const char *want)
{
    char got[64];
    skumatch_kind_name(skumatch_near(a, b), got, sizeof got);
    if (strcmp(got, want) != 0)
        test_fail(__FILE__, __LINE__, "near(\"%s\", \"%s\"): expected \"%s\", got \"%s\"", a, b, want,
                  got);
    /* The relation is symmetric. */
    skumatch_kind_name(skumatch_near(b, a), got, sizeof got);
    EXPECT_EQ_STR(got, want);
}

TEST(syncd7_skus, near_miss_rules)
{
    expect_kinds("ABC-1", "ABC-1", "");
    expect_kinds("abc-1", "ABC-1", "case");
    expect_kinds(" ABC-1", "ABC-1", "whitespace");
    expect_kinds("ABC-1\t\r\n", "ABC-1", "whitespace");
    expect_kinds(" abc-1 ", "ABC-1", "case+whitespace");
    expect_kinds("ACME-123", "123", "prefix");
    expect_kinds("acme-abc", "ABC", "case+prefix");
    expect_kinds("us/TEE-1", "tee-1", "case+prefix");
    expect_kinds("X:ABC ", "ABC", "prefix+whitespace");
    expect_kinds("ACME 123", "123", "prefix");
    expect_kinds("-123", "123", "prefix");
    /* Not near: no separator before the core, a core under 3 characters,
     * a prefix over 16, a suffix instead of a prefix, different SKUs. */
    expect_kinds("ACME123", "123", "");
    expect_kinds("A-12", "12", "");
    expect_kinds("ABCDEFGHIJKLMNOP-123", "123", "");
    expect_kinds("ABCDEFGHIJKLMNO-123", "123", "prefix");
    expect_kinds("123-ACME", "123", "");
    expect_kinds("ABC-1", "ABC-2", "");
    expect_kinds("   ", "", "");
    EXPECT_EQ_INT(skumatch_near(NULL, "A"), 0);
}

TEST(syncd7_skus, run_matches_pairs_identity_and_finds_near_misses)
{
    const char *shop[] = {"A-1", "a-2", "ACME-300", "B-9", "OLD-1", "Z-9 ", "NOPE"};
    const char *cin7[] = {"A-1", "A-2", "300", "C-1", "NEW-1", "Z-9", "acme-nope"};
    const char *from[] = {"OLD-1", "B-9"};
    const char *to[] = {"NEW-1", "MISSING"};
    skumatch_result r;
    skumatch_run(shop, 7, cin7, 7, from, to, 2, 1, &r);
    EXPECT_EQ_INT(r.match[0], 0);  /* identity */
    EXPECT_EQ_INT(r.match[1], -1); /* case differs */
    EXPECT_EQ_INT(r.match[2], -1);
    EXPECT_EQ_INT(r.match[3], -1); /* its pair names a SKU Cin7 lacks */
    EXPECT_EQ_INT(r.match[4], 4);  /* explicit pair */
    EXPECT_EQ_INT(r.match[5], -1);
    EXPECT_EQ_INT(r.match[6], -1);
    /* Near misses: a-2 ~ A-2 (case), ACME-300 ~ 300 (prefix), Z-9 ~ Z-9
     * (whitespace), NOPE ~ acme-nope (Cin7 carries the prefix). */
    static const struct {
        size_t shop_sku, cin7_sku;
        const char *kinds;
    } near[] = {{1, 1, "case"}, {2, 2, "prefix"}, {5, 5, "whitespace"}, {6, 6, "case+prefix"}};
    EXPECT_EQ_INT(r.n_near, 4);
    for (size_t i = 0; i < 4; i++) {
        char k[64];
        EXPECT_EQ_INT(r.near[i].shop_sku, near[i].shop_sku);
        EXPECT_EQ_INT(r.near[i].cin7_sku, near[i].cin7_sku);
        skumatch_kind_name(r.near[i].kinds, k, sizeof k);
        EXPECT_EQ_STR(k, near[i].kinds);
    }
    skumatch_result_free(&r);

    /* Without identity only the pairs match. */
    skumatch_run(shop, 7, cin7, 7, from, to, 2, 0, &r);
    EXPECT_EQ_INT(r.match[0], -1);
    EXPECT_EQ_INT(r.match[4], 4);
    skumatch_result_free(&r);
    skumatch_result_free(NULL);
}

TEST(syncd7_skus, a_large_catalog_finds_only_the_case_misses)
{
    /* 20,000 on each side, every tenth differing in case: only those are
     * near misses (a pairwise comparison would be 4e8 steps). */
    enum { N = 20000 };
    char **shop = calloc(N, sizeof *shop), **cin7 = calloc(N, sizeof *cin7);
    for (int i = 0; i < N; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "SKU-%05d", i);
        cin7[i] = strdup(buf);
        if (i % 10 == 0)
            buf[0] = 's';
        shop[i] = strdup(buf);
    }
    skumatch_result r;
    skumatch_run((const char *const *)shop, N, (const char *const *)cin7, N, NULL, NULL, 0, 1, &r);
    EXPECT_EQ_INT(r.n_near, N / 10);
    size_t unmatched = 0;
    for (int i = 0; i < N; i++)
        unmatched += r.match[i] < 0;
    EXPECT_EQ_INT(unmatched, N / 10);
    skumatch_result_free(&r);
    for (int i = 0; i < N; i++) {
        free(shop[i]);
        free(cin7[i]);
    }
    free(shop);
    free(cin7);
}

/* ---- the store read reconciliation uses -------------------------------------------- */

TEST(syncd7_store, reservation_exists_per_shop_and_order)
{
    char path[600], err[256];
    snprintf(path, sizeof path, "%s/syncd7.db", test_tmp_dir());
    store *st = NULL;
    EXPECT_EQ_INT(store_open(path, NULL, &st, err, sizeof err), 0);
    EXPECT_EQ_INT(store_reservation_exists(st, "a.myshopify.com", "1001"), 0);
    EXPECT_EQ_INT(store_reserve(st, "a.myshopify.com", "1001", "A-1", 2, 100), 0);
    EXPECT_EQ_INT(store_reserve(st, "a.myshopify.com", "1001", "A-2", 1, 100), 0);
    EXPECT_EQ_INT(store_reservation_exists(st, "a.myshopify.com", "1001"), 1);
    EXPECT_EQ_INT(store_reservation_exists(st, "b.myshopify.com", "1001"), 0);
    EXPECT_EQ_INT(store_reservation_exists(st, "a.myshopify.com", "1002"), 0);
    /* Pushed or released, it still tells that syncd saw the order. */
    EXPECT_EQ_INT(store_reservation_pushed(st, "a.myshopify.com", "1001", 200), 0);
    EXPECT_EQ_INT(store_reservation_exists(st, "a.myshopify.com", "1001"), 1);
    EXPECT_EQ_INT(store_reservation_exists(st, NULL, "1001"), -1);
    store_close(st);
}

TEST(syncd7_qty, cin7_numbers_in_ten_thousandths)
{
    EXPECT_EQ_INT(c7qty_from(2.5), 25000);
    EXPECT_EQ_INT(c7qty_from(0.1234), 1234);
    EXPECT_EQ_INT(c7qty_from(0.00005), 1);   /* half away from zero */
    EXPECT_EQ_INT(c7qty_from(-0.00005), -1);
    EXPECT_EQ_INT(c7qty_from(0.00004), 0);
    /* Whole units: sellable rounds down, held rounds up, negatives too. */
    EXPECT_EQ_INT(c7qty_floor(c7qty_from(2.9999)), 2);
    EXPECT_EQ_INT(c7qty_ceil(c7qty_from(2.0001)), 3);
    EXPECT_EQ_INT(c7qty_floor(c7qty_from(-0.5)), -1);
    EXPECT_EQ_INT(c7qty_ceil(c7qty_from(-0.5)), 0);
    EXPECT_EQ_INT(c7qty_floor(c7qty_from(3)), 3);
    EXPECT_EQ_INT(c7qty_ceil(c7qty_from(3)), 3);
}

TEST(syncd7_qty, outside_numbers_cannot_overflow_a_sum)
{
    /* Whatever an answer says, a number is held within +-C7QTY_MAX and sums
     * stay there (no signed overflow, which the sanitizer build traps). */
    EXPECT_EQ_INT(c7qty_from(1e300), C7QTY_MAX);
    EXPECT_EQ_INT(c7qty_from(-1e300), -C7QTY_MAX);
    EXPECT_EQ_INT(c7qty_from(NAN), 0);
    int64_t s = 0;
    for (int i = 0; i < 100; i++)
        s = c7qty_add(s, c7qty_from(9e17));
    EXPECT_EQ_INT(s, C7QTY_MAX);
    for (int i = 0; i < 300; i++)
        s = c7qty_add(s, c7qty_from(-9e17));
    EXPECT_EQ_INT(s, -C7QTY_MAX);
    EXPECT_EQ_INT(c7qty_add(c7qty_from(1.5), c7qty_from(2.25)), 37500);
}

TEST(syncd7_qty, line_totals_to_the_cent)
{
    EXPECT_NEAR(c7qty_line_total(3, 19.99, 0), 59.97, 1e-9);
    EXPECT_NEAR(c7qty_line_total(2.5, 4, 10), 9.0, 1e-9);
    EXPECT_NEAR(c7qty_line_total(1, 0.125, 0), 0.13, 1e-9); /* half away from zero */
    EXPECT_NEAR(c7qty_line_total(7, 10, 100), 0.0, 1e-9);
}
