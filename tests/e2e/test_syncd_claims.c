/*
 * Two syncd instances on one PostgreSQL store behind one address (HAProxy,
 * harness/lb), with the mocks: the work only one instance may do is done
 * once. One set of webhook subscriptions is registered (read back from
 * mock-cin7's and mock-shopify's APIs); paid orders spread over both
 * instances end in one draft purchase for their supplier; and when the
 * instance holding the roles is killed (-9), the other takes them over
 * once their claims run out and checks the subscriptions again, making
 * the one that went missing, and runs reconciliation. The PostgreSQL server is the runner's
 * throwaway cluster (tests/unit/pgtest.h).
 */
#include "../runner.h"
#include "../unit/pgtest.h"
#include "test_syncd.h"

#include "lb.h"
#include "mem.h"
#include "port.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((constructor)) static void claims_fixture(void)
{
    test_register_fixture("syncd_claims.", pgtest_setup, pgtest_teardown);
}

#define SHOP_HOOKS "/shops/" SDT_SHOP "/admin/api/2026-10/webhooks.json"
static const char *const shop_auth[] = {"X-Shopify-Access-Token: shpat_e2e", NULL};
static const char *const cin7_auth[] = {"api-auth-accountid: e2e", "api-auth-applicationkey: e2e-key",
                                        NULL};

/* Subscriptions as the APIs list them: Shopify's (webhooks[].topic,
 * address) or Cin7's (Webhooks[].Type, ExternalURL). Caller frees. */
static cJSON *shop_hooks(const sdt_world *w)
{
    return e2e_expect(&w->shop, "GET", SHOP_HOOKS, shop_auth, NULL, 200, 1);
}

static cJSON *cin7_hooks(const sdt_world *w)
{
    return e2e_expect(&w->cin7, "GET", "/ExternalApi/v2/webhooks", cin7_auth, NULL, 200, 1);
}

/* How many subscriptions list (under key) has; the test fails when two
 * have the same kind (field kind) or one is not delivered to address. */
static int one_set(const cJSON *list, const char *kind, const char *url_field,
                   const char *address)
{
    int n = 0;
    const cJSON *a, *b;
    cJSON_ArrayForEach(a, list)
    {
        n++;
        EXPECT_CONTAINS(sdt_str(a, url_field), address);
        int same = 0;
        cJSON_ArrayForEach(b, list)
        {
            same += strcmp(sdt_str(a, kind), sdt_str(b, kind)) == 0;
        }
        if (same != 1)
            test_fail(__FILE__, __LINE__, "%d subscriptions of %s", same, sdt_str(a, kind));
    }
    return n;
}

static int shop_hook_count(void *ud)
{
    cJSON *v = shop_hooks(ud);
    int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(v, "webhooks"));
    cJSON_Delete(v);
    return n;
}

static int shop_has_two_hooks(void *ud)
{
    return shop_hook_count(ud) == 2;
}

/* A wait for a purchase that has a line of each of skus (NULL-ended) at
 * qty. */
typedef struct {
    const sdt_world *w;
    const char *const *skus;
    int qty;
} lines_wait;

static int purchase_has_lines(void *ud)
{
    lines_wait *lw = ud;
    cJSON *st = sdt_cin7_state(lw->w);
    const cJSON *p, *l;
    int found = 0;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(st, "purchases"))
    {
        int want = 0, have = 0;
        for (const char *const *k = lw->skus; *k; k++) {
            want++;
            cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(p, "lines"))
            {
                have += strcmp(sdt_str(l, "sku"), *k) == 0 && (int)sdt_num(l, "qty") == lw->qty;
            }
        }
        found |= have == want;
    }
    cJSON_Delete(st);
    return found;
}

/* One warehouse with of one supplier, 12 each; every sale
 * crosses the cover threshold (see test_replen.c). */
static void start_mocks(sdt_world *w)
{
    const char *prods = "[{\"sku\":\"R-1\",\"price\":10,\"cost\":4},"
                        "{\"sku\":\"R-2\",\"price\":10,\"cost\":4}]";
    const char *stock = "[{\"sku\":\"R-1\",\"location\":\"Main\",\"on_hand\":12},"
                        "{\"sku\":\"R-2\",\"location\":\"Main\",\"on_hand\":12}]";
    char *c7 = sdt_cin7_config_with("[{\"name\":\"Main\"}]", NULL, prods, stock);
    char *sh = sdt_shop_config("[{\"title\":\"R\",\"variants\":["
                               "{\"sku\":\"R-1\",\"price\":\"10.00\",\"available\":12},"
                               "{\"sku\":\"R-2\",\"price\":\"10.00\",\"available\":12}]}]",
                               "");
    sdt_start_mocks(w, c7, sh);
    free(c7);
    free(sh);
}

/* Instance name on port, on the store where, behind the balancer at url. */
static void start_instance(sdt_world *w, const char *name, uint16_t port, const char *where,
                           const char *url)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "store", where);
    cJSON_AddStringToObject(o, "instance", name);
    cJSON_AddStringToObject(o, "public_url", url);
    /* One real second at the tests' time scale. */
    cJSON_AddStringToObject(o, "claim_ttl", "60s");
    cJSON *r = cJSON_AddObjectToObject(o, "replenishment");
    cJSON_AddNumberToObject(r, "cover_days", 30);
    cJSON_AddNumberToObject(r, "target_days", 60);
    cJSON_AddStringToObject(r, "velocity_window", "1d");
    cJSON_AddStringToObject(r, "interval", "6h");
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    sdt_write_syncd_config(w, "[{\"name\":\"Main\"}]", text);
    free(text);
    /* Each instance its own config file: the next write is the other's. */
    char own[600];
    snprintf(own, sizeof own, "%s/syncd-%s.json", test_tmp_dir(), name);
    EXPECT_EQ_INT(rename(w->syncd_config, own), 0);
    snprintf(w->syncd_config, sizeof w->syncd_config, "%s", own);
    w->syncd_port = port; /* the balancer's backend */
    sdt_start_syncd(w);
    sdt_wait_ready(w);
}

/* Two instances, inst-a in *a and inst-b in *b (the same mocks and clock),
 * on a fresh database named after prefix, behind a balancer whose address
 * goes to url; returns the balancer. */
static lb *two_instances(const char *prefix, sdt_world *a, sdt_world *b, char *url, size_t n)
{
    char db[32], where[512];
    snprintf(db, sizeof db, "%s_%d", prefix, (int)getpid());
    pgtest_create_db(db);
    pgtest_where(db, where, sizeof where);
    memset(a, 0, sizeof *a);
    start_mocks(a);
    *b = *a; /* the same mocks and clock; its own syncd */
    memset(&b->syncd, 0, sizeof b->syncd);
    b->syncd_port = 0;
    uint16_t ports[2] = {port_free(), port_free()};
    EXPECT_TRUE(ports[0] && ports[1] && ports[0] != ports[1]);
    char err[512] = "";
    lb *bal = lb_start(test_tmp_dir(), ports, 2, 100, err, sizeof err);
    if (!bal)
        test_fail(__FILE__, __LINE__, "lb_start: %s", err);
    snprintf(url, n, "http://127.0.0.1:%u", (unsigned)lb_port(bal));
    start_instance(a, "inst-a", ports[0], where, url);
    start_instance(b, "inst-b", ports[1], where, url);
    return bal;
}

static const char *const ROLE_METRIC = "syncd_claim_held{claim=\"webhooks\"}";

TEST_T(syncd_claims, two_instances_register_once_draft_once_and_take_over_after_kill, 180)
{
    sdt_world a, b;
    char url[64];
    lb *bal = two_instances("claims", &a, &b, url, sizeof url);

    /* One instance holds the role; one set of subscriptions, at the
     * balancer's address. */
    int64_t held_a = sdt_metric(&a, ROLE_METRIC), held_b = sdt_metric(&b, ROLE_METRIC);
    EXPECT_EQ_INT(held_a + held_b, 1);
    sdt_world *holder = held_a == 1 ? &a : &b, *other = held_a == 1 ? &b : &a;
    cJSON *sh = shop_hooks(&a), *c7 = cin7_hooks(&a);
    EXPECT_EQ_INT(one_set(cJSON_GetObjectItemCaseSensitive(sh, "webhooks"), "topic", "address", url),
                  2);
    EXPECT_GE_INT(one_set(cJSON_GetObjectItemCaseSensitive(c7, "Webhooks"), "Type", "ExternalURL",
                          url),
                  1);
    int n_cin7 = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(c7, "Webhooks"));
    cJSON_Delete(c7);

    /* Paid orders through the balancer reach both instances, which both
     * want a draft of the one supplier: one draft is made, both SKUs on
     * it. */
    for (int i = 0; i < 4; i++)
        sdt_checkout(&a, i % 2 ? "R-2" : "R-1", 2, NULL);
    /* Two orders of 2 of each: 120 x 2 - (12 - 4) wanted of each. */
    static const char *const both[] = {"R-1", "R-2", NULL};
    lines_wait lw = {&a, both, 232};
    if (!e2e_wait(purchase_has_lines, &lw, 60000)) {
        cJSON *st = sdt_cin7_state(&a);
        char *text = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(st, "purchases"));
        test_fail(__FILE__, __LINE__, "no draft with R-1 and R-2 x 232 within 60 s: %s (logs %s, %s)",
                  text, a.syncd.log, b.syncd.log);
    }
    sdt_wait_quiet(&a, 60000);
    cJSON *journal = e2e_journal(&a.cin7);
    int created = sdt_count_kind(journal, "purchase_created", NULL, NULL);
    cJSON_Delete(journal);
    EXPECT_EQ_INT(created, 1);
    cJSON *state = sdt_cin7_state(&a);
    const cJSON *purchases = cJSON_GetObjectItemCaseSensitive(state, "purchases");
    EXPECT_EQ_INT(cJSON_GetArraySize(purchases), 1);
    cJSON_Delete(state);
    printf("draft claims deferred: %lld on a, %lld on b; stock claims deferred: %lld, %lld\n",
           (long long)sdt_metric(&a, "syncd_claims_deferred_total{claim=\"podraft\"}"),
           (long long)sdt_metric(&b, "syncd_claims_deferred_total{claim=\"podraft\"}"),
           (long long)sdt_metric(&a, "syncd_claims_deferred_total{claim=\"stock\"}"),
           (long long)sdt_metric(&b, "syncd_claims_deferred_total{claim=\"stock\"}"));

    /* A subscription goes missing; its holder checked them already and
     * will not look again. Killed, its roles pass to the other instance
     * once their claims run out, which checks the subscriptions and makes
     * the missing one (and no second of the others). */
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(sh, "webhooks"), 0);
    char *del = xasprintf("/shops/" SDT_SHOP "/admin/api/2026-10/webhooks/%.0f.json",
                          sdt_num(first, "id"));
    cJSON_Delete(e2e_expect(&a.shop, "DELETE", del, shop_auth, NULL, 200, 0));
    free(del);
    cJSON_Delete(sh);
    EXPECT_EQ_INT(shop_hook_count(&a), 1);
    sdt_kill_syncd(holder);
    EXPECT_TRUE(sdt_wait_metric(other, ROLE_METRIC, 1, 30000));
    EXPECT_TRUE(sdt_wait_metric(other, "syncd_claim_held{claim=\"reconcile\"}", 1, 30000));
    EXPECT_TRUE(e2e_wait(shop_has_two_hooks, other, 30000));
    sh = shop_hooks(&a);
    EXPECT_EQ_INT(one_set(cJSON_GetObjectItemCaseSensitive(sh, "webhooks"), "topic", "address", url),
                  2);
    cJSON_Delete(sh);
    c7 = cin7_hooks(&a);
    EXPECT_EQ_INT(one_set(cJSON_GetObjectItemCaseSensitive(c7, "Webhooks"), "Type", "ExternalURL",
                          url),
                  n_cin7);
    cJSON_Delete(c7);

    /* The schedule's role came with it: a reconciliation asked of the
     * survivor runs there. */
    static const char *const admin[] = {SDT_ADMIN, NULL};
    cJSON_Delete(e2e_expect(&other->syncd, "POST", "/admin/reconcile", admin, NULL, 202, 0));
    EXPECT_TRUE(sdt_wait_metric(other, "syncd_reconcile_runs_total", 1, 30000));

    e2e_stop(&other->syncd);
    sdt_stop(&a); /* the mocks (a's syncd is stopped or killed) */
    lb_stop(bal);
}

/* ---- work another instance holds ---------------------------------------------------- */

typedef struct {
    store *s;
    const char *name, *holder;
} holder_wait;

/* The claim's row names holder (asked at time 0, so whatever its end). */
static int held_by(void *ud)
{
    holder_wait *h = ud;
    char *who = NULL;
    int rc = store_claim_holder(h->s, h->name, 0, &who, NULL, NULL);
    int yes = rc == 1 && who && strcmp(who, h->holder) == 0;
    free(who);
    return yes;
}

typedef struct {
    store *s;
    const sdt_world *w;
    const char *name;
    int64_t ttl_ms;
} claim_try;

/* Takes the claim as "elsewhere" when it is free. */
static int claimed(void *ud)
{
    claim_try *c = ud;
    return store_claim(c->s, c->name, "elsewhere", sdt_now(c->w), c->ttl_ms, NULL) == 1;
}

/* The test's own store handle stands for another instance holding a
 * supplier's draft claim and a SKU's level write: syncd defers both
 * (counted), makes no draft while the claim is held, writes the SKU's
 * levels once that instance's window has ended (it then holds the SKU's
 * claim itself), and makes the draft once the claim is released. */
TEST_T(syncd_claims, work_another_instance_holds_waits_for_it_and_is_not_dropped, 120)
{
    char db[32], where[512], err[512] = "";
    snprintf(db, sizeof db, "held_%d", (int)getpid());
    pgtest_create_db(db);
    pgtest_where(db, where, sizeof where);
    sdt_world w;
    memset(&w, 0, sizeof w);
    start_mocks(&w);
    uint16_t port = port_free();
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)port);
    start_instance(&w, "inst-a", port, where, url);
    store *s = NULL;
    if (store_open(where, NULL, &s, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "store_open: %s", err);

    cJSON *state = sdt_cin7_state(&w);
    const cJSON *sup = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(state, "suppliers"), 0);
    EXPECT_EQ_STR(sdt_str(sup, "name"), "E2E Supply");
    char *draft = xasprintf("podraft:%s", sdt_str(sup, "id"));
    cJSON_Delete(state);
    /* The draft's claim for good, the SKU's for 10 real seconds. */
    claim_try dt = {s, &w, draft, INT64_C(1) << 40};
    EXPECT_TRUE(e2e_wait(claimed, &dt, 10000));
    /* (syncd's first sync of every SKU holds R-1 for a window: taken once
     * that window is over.) */
    claim_try ct = {s, &w, "stock:R-1", 10000 * SDT_SCALE};
    EXPECT_TRUE(e2e_wait(claimed, &ct, 10000));

    sdt_checkout(&w, "R-1", 2, NULL);
    EXPECT_TRUE(sdt_wait_metric(&w, "syncd_claims_deferred_total{claim=\"stock\"}", 1, 30000));
    EXPECT_TRUE(sdt_wait_metric(&w, "syncd_claims_deferred_total{claim=\"podraft\"}", 1, 30000));
    state = sdt_cin7_state(&w);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(state, "purchases")), 0);
    cJSON_Delete(state);

    /* The SKU was put back, not dropped: synced once the window ended. */
    holder_wait hw = {s, "stock:R-1", "inst-a"};
    EXPECT_TRUE(e2e_wait(held_by, &hw, 40000));

    /* Released, the draft is made at the next try. */
    EXPECT_EQ_INT(store_release(s, draft, "elsewhere"), 0);
    static const char *const r1[] = {"R-1", NULL};
    lines_wait lw = {&w, r1, 120 - 10};
    EXPECT_TRUE(e2e_wait(purchase_has_lines, &lw, 60000));
    cJSON *journal = e2e_journal(&w.cin7);
    EXPECT_EQ_INT(sdt_count_kind(journal, "purchase_created", NULL, NULL), 1);
    cJSON_Delete(journal);
    free(draft);
    store_close(s);
    sdt_stop(&w);
}

/* ---- one instance's Cin7 read serves the other ------------------------------------ */

/* The instance of the two whose full reads of Cin7 went up from before. */
typedef struct {
    sdt_world *w[2];
    int64_t before[2];
    int reader;
} read_wait;

static int one_read_again(void *ud)
{
    read_wait *r = ud;
    for (int i = 0; i < 2; i++)
        if (sdt_metric(r->w[i], "syncd_snapshot_reads_total") > r->before[i]) {
            r->reader = i;
            return 1;
        }
    return 0;
}

/* Cin7 sells 5 of R-1 in another channel; the stock webhook reaches one
 * instance through the balancer, which reads Cin7 afresh and lowers
 * Shopify's level. A paid order then reaches the other instance alone: it
 * takes the first one's read from the store rather than go on its own
 * older figures, so the level it writes counts both sales and is never
 * raised back (with its own figures it would put the 5 units back). */
TEST_T(syncd_claims, a_read_one_instance_makes_is_the_others_too, 180)
{
    sdt_world a, b;
    char url[64];
    lb *bal = two_instances("reads", &a, &b, url, sizeof url);
    sdt_wait_quiet(&a, 30000);
    int64_t level0 = sdt_shop_available(&a, "R-1");
    EXPECT_GE_INT(level0, 6);

    read_wait rw = {{&a, &b}, {0, 0}, -1};
    for (int i = 0; i < 2; i++)
        rw.before[i] = sdt_metric(rw.w[i], "syncd_snapshot_reads_total");
    cJSON_Delete(e2e_expect(&a.cin7, "POST", "/_mock/channel-sale", NULL,
                            "{\"sku\":\"R-1\",\"location\":\"Main\",\"qty\":5}", 200, 1));
    if (!e2e_wait(one_read_again, &rw, 30000))
        test_fail(__FILE__, __LINE__, "no instance read Cin7 after its stock webhook (logs %s, %s)",
                  a.syncd.log, b.syncd.log);
    EXPECT_TRUE(sdt_wait_level(&a, "R-1", level0 - 5, 30000));
    sdt_world *other = rw.w[1 - rw.reader];

    /* A shopper buys 1; the webhook Shopify sends goes to the balancer,
     * and the same order is given to the other instance by hand, so it
     * handles it whichever instance the balancer picked. */
    int64_t order = sdt_checkout(&a, "R-1", 1, NULL);
    char *body = sdt_order_json(&a, order);
    char hook[64];
    snprintf(hook, sizeof hook, "by-hand-%lld", (long long)order);
    EXPECT_EQ_INT(sdt_send_webhook(other, "orders/paid", body, SDT_SECRET, hook, hook), 200);
    free(body);
    EXPECT_EQ_INT(sdt_wait_sales(&a, &order, 1, 30000), 1);
    sdt_wait_quiet(&a, 30000);
    EXPECT_TRUE(sdt_wait_level(&a, "R-1", level0 - 6, 30000));
    sdt_expect_one_sale_each(&a, &order, 1);
    /* The other instance took the first one's read. */
    EXPECT_GE_INT(sdt_metric(other, "syncd_snapshots_adopted_total"), 1);

    /* Never raised after the channel sale: every level syncd set for R-1
     * from then on is at most the one before it. */
    cJSON *j = e2e_journal(&a.shop);
    const cJSON *e;
    int after_sale = 0, raised = 0;
    cJSON_ArrayForEach(e, j)
    {
        if (strcmp(sdt_str(e, "kind"), "inventory") != 0)
            continue;
        const cJSON *sku = cJSON_GetObjectItemCaseSensitive(e, "sku");
        if (!cJSON_IsString(sku) || strcmp(sku->valuestring, "R-1") != 0)
            continue;
        if (sdt_num(e, "new") == (double)(level0 - 5))
            after_sale = 1;
        if (after_sale && sdt_num(e, "new") > sdt_num(e, "old"))
            raised++;
    }
    cJSON_Delete(j);
    EXPECT_TRUE(after_sale);
    EXPECT_EQ_INT(raised, 0);

    e2e_stop(&a.syncd);
    e2e_stop(&b.syncd);
    sdt_stop(&a);
    lb_stop(bal);
}
