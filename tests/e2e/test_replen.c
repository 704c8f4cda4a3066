/*
 * syncd's replenishment end to end (issue 7): paid orders through
 * mock-shopify, syncd deciding, draft purchases landing in mock-cin7, and
 * the checks read from mock-cin7's state and journal.
 *
 * The cover rule of these tests: velocity is paid units over one day,
 * the threshold 30 days of cover, a purchase orders up to 60 days. With
 * 12 units on hand, one order of 2 leaves 10 for 2 a day (5 days), so
 * every sale crosses, and the wanted quantity is 60 x units - position:
 * after n orders of 2, 120n - (12 - 2n). E2E Supply asks at least 10 and
 * has a 7-day lead time.
 */
#include "../runner.h"
#include "test_syncd.h"

#include "json.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLEN_RULE                                                                               \
    "\"replenishment\":{\"cover_days\":30,\"target_days\":60,\"velocity_window\":\"1d\","       \
    "\"interval\":\"6h\"}"

/* One warehouse "Main" with R-1 and R-2 (12 each, also on Shopify); extra
 * products/suppliers for the dead-letter test. */
static void start_world(sdt_world *w, const char *suppliers, const char *more_products,
                        const char *overrides)
{
    char *prods = xasprintf("[{\"sku\":\"R-1\",\"price\":10,\"cost\":4},"
                            "{\"sku\":\"R-2\",\"price\":10,\"cost\":4}%s]",
                            more_products ? more_products : "");
    char *stock = xasprintf("[{\"sku\":\"R-1\",\"location\":\"Main\",\"on_hand\":12},"
                            "{\"sku\":\"R-2\",\"location\":\"Main\",\"on_hand\":12}%s]",
                            more_products ? ",{\"sku\":\"N-1\",\"location\":\"Main\",\"on_hand\":12},"
                                            "{\"sku\":\"L-1\",\"location\":\"Main\",\"on_hand\":12}"
                                          : "");
    char *c7 = sdt_cin7_config_with("[{\"name\":\"Main\"}]", suppliers, prods, stock);
    char *sh = sdt_shop_config(
        more_products ? "[{\"title\":\"R\",\"variants\":["
                        "{\"sku\":\"R-1\",\"price\":\"10.00\",\"available\":12},"
                        "{\"sku\":\"R-2\",\"price\":\"10.00\",\"available\":12},"
                        "{\"sku\":\"N-1\",\"price\":\"10.00\",\"available\":12},"
                        "{\"sku\":\"L-1\",\"price\":\"10.00\",\"available\":12}]}]"
                      : "[{\"title\":\"R\",\"variants\":["
                        "{\"sku\":\"R-1\",\"price\":\"10.00\",\"available\":12},"
                        "{\"sku\":\"R-2\",\"price\":\"10.00\",\"available\":12}]}]",
        "");
    sdt_start_mocks(w, c7, sh);
    free(prods);
    free(stock);
    free(c7);
    free(sh);
    char *ov = xasprintf("{" REPLEN_RULE "%s%s}", overrides ? "," : "", overrides ? overrides : "");
    sdt_write_syncd_config(w, "[{\"name\":\"Main\"}]", ov);
    free(ov);
    sdt_start_syncd(w);
    sdt_wait_ready(w);
}

/* Waits for a journal entry of a kind. */
typedef struct {
    const sdt_world *w;
    const char *kind;
} kind_wait;

static int journal_count(const sdt_world *w, const char *kind);

static int journal_has(void *ud)
{
    const kind_wait *k = ud;
    return journal_count(k->w, k->kind) > 0;
}

/* A buyer's own calls to Cin7 (the account syncd uses). */
static const char *const buyer[] = {"api-auth-accountid: e2e", "api-auth-applicationkey: e2e-key",
                                    "Content-Type: application/json", NULL};

/* Purchases (any status) in mock-cin7's state now; caller frees *state. */
static const cJSON *purchases(const sdt_world *w, cJSON **state)
{
    *state = sdt_cin7_state(w);
    return cJSON_GetObjectItemCaseSensitive(*state, "purchases");
}

/* The quantity of sku on purchase p, or -1 without such a line. */
static int64_t line_qty(const cJSON *p, const char *sku)
{
    const cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(p, "lines"))
    {
        if (strcmp(sdt_str(l, "sku"), sku) == 0)
            return (int64_t)sdt_num(l, "qty");
    }
    return -1;
}

static int journal_count(const sdt_world *w, const char *kind)
{
    cJSON *j = sdt_journal(&w->cin7);
    int n = sdt_count_kind(j, kind, NULL, NULL);
    cJSON_Delete(j);
    return n;
}

typedef struct {
    const sdt_world *w;
    const char *sku;
    int64_t qty;
} line_wait;

/* Some purchase has sku at qty (the decision settled there). */
static int line_reaches(void *ud)
{
    line_wait *lw = ud;
    cJSON *st;
    const cJSON *p;
    int found = 0;
    const cJSON *list = purchases(lw->w, &st);
    cJSON_ArrayForEach(p, list)
    {
        found |= line_qty(p, lw->sku) == lw->qty;
    }
    cJSON_Delete(st);
    return found;
}

static void expect_line(const sdt_world *w, const char *sku, int64_t qty, int timeout_ms)
{
    line_wait lw = {w, sku, qty};
    if (!sdt_wait(line_reaches, &lw, timeout_ms)) {
        cJSON *st;
        char *text = json_print(purchases(w, &st));
        test_fail(__FILE__, __LINE__, "no purchase with %s x %lld within %d ms: %s", sku,
                  (long long)qty, timeout_ms, text);
    }
}

/* Exactly one purchase, a DRAFT of E2E Supply made by syncd; returned
 * inside *state. */
static const cJSON *the_one_draft(const sdt_world *w, cJSON **state)
{
    const cJSON *list = purchases(w, state);
    EXPECT_EQ_INT(cJSON_GetArraySize(list), 1);
    const cJSON *p = cJSON_GetArrayItem(list, 0);
    EXPECT_EQ_STR(sdt_str(p, "supplier"), "E2E Supply");
    EXPECT_EQ_STR(sdt_str(p, "order_status"), "DRAFT");
    EXPECT_EQ_STR(sdt_str(p, "application"), "syncd");
    return p;
}

/* Once syncd is quiet: one draft of `lines` lines, created once. */
static void expect_one_draft_of_lines(const sdt_world *w, int lines)
{
    sdt_wait_quiet(w, 30000);
    cJSON *st;
    const cJSON *p = the_one_draft(w, &st);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "lines")), lines);
    cJSON_Delete(st);
    EXPECT_EQ_INT(journal_count(w, "purchase_created"), 1);
}

TEST_T(replen, three_rapid_orders_make_one_draft_with_one_line, 120)
{
    sdt_world w;
    start_world(&w, NULL, NULL, NULL);
    /* Three orders in a row: each crosses the point on its own, and the
     * decisions race the first draft's creation. */
    for (int i = 0; i < 3; i++)
        sdt_checkout(&w, "R-1", 2, NULL);
    expect_line(&w, "R-1", 120 * 3 - (12 - 6), 30000);
    sdt_wait_quiet(&w, 30000);
    cJSON *st;
    const cJSON *p = the_one_draft(&w, &st);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "lines")), 1);
    EXPECT_EQ_INT(line_qty(p, "R-1"), 354);
    cJSON_Delete(st);
    EXPECT_EQ_INT(journal_count(&w, "purchase_created"), 1);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_po_drafts_created_total"), 1);

    /* Another SKU of the same supplier is a second line on the same draft. */
    sdt_checkout(&w, "R-2", 2, NULL);
    expect_line(&w, "R-2", 120 - 10, 30000);
    p = the_one_draft(&w, &st);
    EXPECT_EQ_INT(line_qty(p, "R-1"), 354);
    cJSON_Delete(st);
    EXPECT_EQ_INT(journal_count(&w, "purchase_created"), 1);
    sdt_stop(&w);
}

TEST_T(replen, two_skus_crossing_together_are_two_lines_of_their_own_products, 120)
{
    sdt_world w;
    start_world(&w, NULL, NULL, NULL);
    /* One order of both SKUs: they cross in one check, one draft with a
     * line each, each line its own product (Cin7 refuses a line whose
     * SKU is not its ProductID's). */
    sdt_checkout_lines(&w, "[{\"sku\":\"R-1\",\"qty\":2},{\"sku\":\"R-2\",\"qty\":2}]", NULL);
    expect_line(&w, "R-1", 110, 30000);
    expect_line(&w, "R-2", 110, 30000);
    expect_one_draft_of_lines(&w, 2);
    sdt_stop(&w);
}

TEST_T(replen, a_duplicate_paid_webhook_changes_no_draft, 120)
{
    sdt_world w;
    start_world(&w, NULL, NULL, NULL);
    int64_t order = sdt_checkout(&w, "R-1", 2, NULL);
    expect_line(&w, "R-1", 120 - 10, 30000);
    sdt_wait_quiet(&w, 30000);
    int updates = journal_count(&w, "purchase_updated");
    /* Shopify sends the same order again as a new event (new webhook and
     * event ids, so intake cannot tell): the ledger knows the order. */
    char *body = sdt_order_json(&w, order);
    EXPECT_EQ_INT(sdt_send_webhook(&w, "orders/paid", body, SDT_SECRET, "dup-webhook-1", "dup-ev-1"),
                  200);
    free(body);
    sdt_wait_quiet(&w, 30000);
    /* Give a decision time to happen if it were going to (2 s simulated
     * coalescing is 33 ms here). */
    sdt_sleep_ms(500);
    cJSON *st;
    const cJSON *p = the_one_draft(&w, &st);
    EXPECT_EQ_INT(line_qty(p, "R-1"), 110); /* not 230: the order counted once */
    cJSON_Delete(st);
    EXPECT_EQ_INT(journal_count(&w, "purchase_created"), 1);
    EXPECT_EQ_INT(journal_count(&w, "purchase_updated"), updates);
    sdt_stop(&w);
}

TEST_T(replen, a_restart_in_the_middle_of_a_creation_makes_no_second_draft, 150)
{
    sdt_world w;
    /* Cin7 makes the purchase at once and answers 5 simulated minutes
     * later, past syncd's 30 s timeout: the outcome is unknown. */
    start_world(&w, NULL, NULL, "\"http_timeout\":\"30s\"");
    sdt_faults(&w.cin7,
               "[{\"kind\":\"latency\",\"target\":\"POST /ExternalApi/v2/advanced-purchase\","
               "\"ms\":\"5m\"}]");
    sdt_checkout(&w, "R-1", 2, NULL);
    /* The draft's header exists in Cin7 (no lines yet) while syncd still
     * waits for the answer: kill it there. */
    kind_wait kw = {&w, "purchase_created"};
    EXPECT_TRUE(sdt_wait(journal_has, &kw, 30000));
    sdt_kill_syncd(&w);
    sdt_faults(&w.cin7, "[]");
    sdt_start_syncd(&w);
    sdt_wait_ready(&w);
    /* Its first sweep adopts the header without lines (the intent was
     * unfinished) and a sale after the restart updates it: no second one. */
    sdt_checkout(&w, "R-1", 2, NULL);
    expect_line(&w, "R-1", 240 - 8, 30000);
    expect_one_draft_of_lines(&w, 1);
    sdt_stop(&w);
}

TEST_T(replen, an_authorised_draft_is_left_alone_and_the_next_is_new, 120)
{
    sdt_world w;
    start_world(&w, NULL, NULL, NULL);
    sdt_checkout(&w, "R-1", 2, NULL);
    expect_line(&w, "R-1", 110, 30000);
    sdt_wait_quiet(&w, 30000);
    cJSON *st;
    const cJSON *p = the_one_draft(&w, &st);
    char *first = xstrdup(sdt_str(p, "id"));
    cJSON_Delete(st);
    /* A buyer approves it, changed to other goods (so R-1 has nothing on
     * order and the next quantity is the plain rule's). */
    char *auth = xasprintf("{\"TaskID\":\"%s\",\"Status\":\"AUTHORISED\",\"Memo\":\"\","
                           "\"Lines\":[{\"SKU\":\"R-2\",\"Name\":\"R-2\",\"Quantity\":10,\"Price\":4,"
                           "\"Tax\":0,\"TaxRule\":\"Tax Exempt\",\"Total\":40}]}",
                           first);
    cJSON_Delete(e2e_expect(&w.cin7, "POST", "/ExternalApi/v2/purchase/order", buyer, auth, 200, 1));
    free(auth);
    /* The next crossing drafts a new purchase; the approved one is untouched. */
    sdt_checkout(&w, "R-1", 2, NULL);
    expect_line(&w, "R-1", 240 - 8, 30000);
    sdt_wait_quiet(&w, 30000);
    const cJSON *list = purchases(&w, &st);
    EXPECT_EQ_INT(cJSON_GetArraySize(list), 2);
    cJSON_ArrayForEach(p, list)
    {
        if (strcmp(sdt_str(p, "id"), first) == 0) {
            EXPECT_EQ_STR(sdt_str(p, "order_status"), "AUTHORISED");
            EXPECT_EQ_INT(line_qty(p, "R-1"), -1);
            EXPECT_EQ_INT(line_qty(p, "R-2"), 10);
        } else {
            EXPECT_EQ_STR(sdt_str(p, "order_status"), "DRAFT");
            EXPECT_EQ_INT(line_qty(p, "R-1"), 232);
        }
    }
    cJSON_Delete(st);
    free(first);
    sdt_stop(&w);
}

TEST_T(replen, a_buyers_own_open_draft_is_used_not_duplicated, 120)
{
    sdt_world w;
    start_world(&w, NULL, NULL, NULL);
    /* A buyer already drafted R-2 from E2E Supply by hand (a simple
     * purchase, as the deprecated endpoint still makes them). */
    cJSON *v = e2e_expect(&w.cin7, "POST", "/ExternalApi/v2/purchase", buyer,
                          "{\"Supplier\":\"E2E Supply\"}", 200, 1);
    char *lines = xasprintf("{\"TaskID\":\"%s\",\"Status\":\"DRAFT\",\"Memo\":\"by hand\","
                            "\"Lines\":[{\"SKU\":\"R-2\",\"Name\":\"R-2\",\"Quantity\":40,\"Price\":4,"
                            "\"Tax\":0,\"TaxRule\":\"Tax Exempt\",\"Total\":160,\"Comment\":\"keep\"}]}",
                            sdt_str(v, "ID"));
    cJSON_Delete(v);
    cJSON_Delete(e2e_expect(&w.cin7, "POST", "/ExternalApi/v2/purchase/order", buyer, lines, 200, 1));
    free(lines);
    sdt_checkout(&w, "R-1", 2, NULL);
    expect_line(&w, "R-1", 110, 30000);
    sdt_wait_quiet(&w, 30000);
    cJSON *st;
    const cJSON *list = purchases(&w, &st);
    EXPECT_EQ_INT(cJSON_GetArraySize(list), 1);
    const cJSON *p = cJSON_GetArrayItem(list, 0);
    EXPECT_EQ_INT(line_qty(p, "R-2"), 40); /* the buyer's line stays */
    EXPECT_EQ_INT(line_qty(p, "R-1"), 110);
    cJSON_Delete(st);
    sdt_stop(&w);
}

static int alerts_at_least_two(void *ud)
{
    return sdt_alerts_count(ud) >= 2;
}

TEST_T(replen, missing_supplier_or_lead_time_dead_letters_and_alerts, 120)
{
    sdt_alerts al;
    sdt_alerts_start(&al);
    sdt_world w;
    /* N-1 has no supplier; L-1's supplier gives no lead time. */
    char *ov = xasprintf("\"alert_url\":\"%s\"", al.url);
    start_world(&w, "[{\"name\":\"Vague Supply\",\"lead_time\":\"0s\"}]",
                ",{\"sku\":\"N-1\",\"price\":10,\"supplier\":\"\"},"
                "{\"sku\":\"L-1\",\"price\":10,\"supplier\":\"Vague Supply\"}",
                ov);
    free(ov);
    sdt_checkout(&w, "N-1", 2, NULL);
    sdt_checkout(&w, "L-1", 2, NULL);
    sdt_checkout(&w, "N-1", 2, NULL); /* a second sale: still one entry */
    EXPECT_TRUE(sdt_wait(alerts_at_least_two, &al, 30000));
    sdt_wait_quiet(&w, 30000);
    sdt_sleep_ms(300);
    const cJSON *list;
    cJSON *dlq = sdt_dlq(&w, &list);
    int n_missing = 0, l_missing = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, list)
    {
        char *text = json_print(d);
        if (strstr(text, "N-1") && strstr(text, "no supplier"))
            n_missing++;
        if (strstr(text, "L-1") && strstr(text, "no lead time"))
            l_missing++;
        free(text);
    }
    EXPECT_EQ_INT(n_missing, 1);
    EXPECT_EQ_INT(l_missing, 1);
    EXPECT_EQ_INT(cJSON_GetArraySize(list), 2); /* and the orders themselves went through */
    cJSON_Delete(dlq);
    int seen_n = 0, seen_l = 0;
    for (int i = 0; i < sdt_alerts_count(&al); i++) {
        cJSON *a = sdt_alerts_get(&al, i);
        const cJSON *sku = cJSON_GetObjectItemCaseSensitive(a, "sku");
        const cJSON *reason = cJSON_GetObjectItemCaseSensitive(a, "reason");
        if (cJSON_IsString(sku) && cJSON_IsString(reason)) {
            seen_n += strcmp(sku->valuestring, "N-1") == 0 && strstr(reason->valuestring, "supplier");
            seen_l += strcmp(sku->valuestring, "L-1") == 0 && strstr(reason->valuestring, "lead time");
        }
        cJSON_Delete(a);
    }
    EXPECT_EQ_INT(seen_n, 1);
    EXPECT_EQ_INT(seen_l, 1);
    cJSON *st;
    EXPECT_EQ_INT(cJSON_GetArraySize(purchases(&w, &st)), 0);
    cJSON_Delete(st);
    sdt_stop(&w);
    sdt_alerts_stop(&al);
}

/* Kits: Cin7 assembles a kit from its components when it is sold, so a
 * kit is never bought and its sales are its components' demand. BOX is
 * two of PART (12 on hand, E2E Supply's), and only BOX is listed in
 * Shopify, as gift packaging often is. */
TEST_T(replen, a_kits_sales_reorder_its_components_and_never_the_kit, 120)
{
    sdt_world w;
    char *c7 = sdt_cin7_config_with(
        "[{\"name\":\"Main\"}]", NULL,
        "[{\"sku\":\"PART\",\"price\":5,\"cost\":2},"
        "{\"sku\":\"BOX\",\"price\":15,\"supplier\":\"\",\"auto_assembly\":true,"
        "\"bom\":[{\"sku\":\"PART\",\"qty\":2}]}]",
        "[{\"sku\":\"PART\",\"location\":\"Main\",\"on_hand\":12}]");
    char *sh = sdt_shop_config(
        "[{\"title\":\"Box\",\"variants\":[{\"sku\":\"BOX\",\"price\":\"15.00\",\"available\":0}]}]", "");
    sdt_start_mocks(&w, c7, sh);
    free(c7);
    free(sh);
    sdt_write_syncd_config(&w, "[{\"name\":\"Main\"}]", "{" REPLEN_RULE "}");
    sdt_start_syncd(&w);
    sdt_wait_ready(&w);
    EXPECT_TRUE(sdt_wait_level(&w, "BOX", 6, 30000));
    /* One box: 2 parts a day against 10 left, 5 days of cover; the draft
     * orders PART up to 60 days, 120 - 10. */
    sdt_checkout(&w, "BOX", 1, NULL);
    expect_line(&w, "PART", 120 - 10, 30000);
    sdt_wait_quiet(&w, 30000);
    cJSON *st;
    const cJSON *p = the_one_draft(&w, &st);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "lines")), 1);
    EXPECT_EQ_INT(line_qty(p, "BOX"), -1);
    cJSON_Delete(st);
    /* The box has no supplier, and that is no fault: nothing dead-lettered. */
    EXPECT_EQ_INT(sdt_dlq_count(&w), 0);
    sdt_stop(&w);
}
