/*
 * Physical bounds (harness/bounds.c) on hand-made arrival lists, with
 * limits small enough to work every call out by hand: Cin7 allows 2 calls
 * in any rolling second (a call at t leaves the window at t + 1000), and
 * Shopify's bucket holds one level write (10 points) and restores 10
 * points a second. And the limits a scenario's mocks are started with
 * (setup_api_limits).
 */
#include "../runner.h"

#include "bounds.h"
#include "setup.h"

#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const bounds_limits tiny = {.cin7_calls = 2,
                                   .cin7_window_ms = 1000,
                                   .shopify_bucket = 10,
                                   .shopify_restore_per_s = 10};

TEST(bounds, pushes_wait_for_the_window_in_the_order_they_were_paid)
{
    /* Two calls an order: the first order fills the window at 0, the next
     * two wait a second each; the one paid at 500 waits behind them. */
    const int64_t paid[] = {0, 0, 0, 500};
    const int64_t want[] = {0, 1000, 2000, 2500};
    int64_t lat[N(paid)];
    EXPECT_EQ_INT(bounds_push(&tiny, paid, N(paid), lat), 0);
    for (size_t i = 0; i < N(paid); i++)
        EXPECT_EQ_INT(lat[i], want[i]);
}

TEST(bounds, pushes_spread_out_wait_for_nothing)
{
    const int64_t paid[] = {0, 1000, 2000, 5000};
    int64_t lat[N(paid)];
    EXPECT_EQ_INT(bounds_push(&tiny, paid, N(paid), lat), 0);
    for (size_t i = 0; i < N(paid); i++)
        EXPECT_EQ_INT(lat[i], 0);
}

TEST(bounds, an_unlimited_cin7_pushes_at_once)
{
    bounds_limits lim = tiny;
    lim.cin7_calls = 0;
    const int64_t paid[] = {0, 0, 0, 0, 0, 0, 7};
    int64_t lat[N(paid)];
    EXPECT_EQ_INT(bounds_push(&lim, paid, N(paid), lat), 0);
    for (size_t i = 0; i < N(paid); i++)
        EXPECT_EQ_INT(lat[i], 0);
}

TEST(bounds, a_change_waits_for_its_read_and_then_for_its_write)
{
    /* Reads at 0, 0 and 1000 (the window is full until then); writes at
     * 0, 1000 (the bucket restores 10 points a second) and 2000. */
    const int64_t changes[] = {0, 0, 100};
    const int64_t want[] = {0, 1000, 1900};
    int64_t lat[N(changes)];
    EXPECT_EQ_INT(bounds_propagation(&tiny, NULL, 0, changes, N(changes), lat), 0);
    for (size_t i = 0; i < N(changes); i++)
        EXPECT_EQ_INT(lat[i], want[i]);
}

TEST(bounds, reads_go_first_but_calls_already_made_for_pushes_fill_the_window)
{
    /* An order paid at 0 and a change at 0: the read goes first, then the
     * order's first call fills the window, so the change at 10 is read at
     * 1000. Shopify unlimited: the writes wait for nothing. */
    bounds_limits lim = tiny;
    lim.shopify_bucket = 0;
    const int64_t paid[] = {0};
    const int64_t changes[] = {0, 10};
    int64_t lat[N(changes)];
    EXPECT_EQ_INT(bounds_propagation(&lim, paid, N(paid), changes, N(changes), lat), 0);
    EXPECT_EQ_INT(lat[0], 0);
    EXPECT_EQ_INT(lat[1], 990);
    /* Without the order, both are read at once. */
    EXPECT_EQ_INT(bounds_propagation(&lim, NULL, 0, changes, N(changes), lat), 0);
    EXPECT_EQ_INT(lat[1], 0);
}

TEST(bounds, a_waiting_read_overtakes_waiting_pushes)
{
    /* Three orders paid at 0 need 6 calls; the window takes 2 a second. A
     * change at 1 is read at 1000, ahead of the 4 push calls still waiting. */
    bounds_limits lim = tiny;
    lim.shopify_bucket = 0;
    const int64_t paid[] = {0, 0, 0};
    const int64_t changes[] = {1};
    int64_t lat[1];
    EXPECT_EQ_INT(bounds_propagation(&lim, paid, N(paid), changes, 1, lat), 0);
    EXPECT_EQ_INT(lat[0], 999);
}

TEST(bounds, a_write_the_bucket_can_never_hold_has_no_bound)
{
    bounds_limits lim = tiny;
    lim.shopify_bucket = 5; /* a mutation costs 10 */
    const int64_t changes[] = {0, 50};
    int64_t lat[N(changes)];
    EXPECT_EQ_INT(bounds_propagation(&lim, NULL, 0, changes, N(changes), lat), -1);
    EXPECT_EQ_INT(lat[0], -1);
    EXPECT_EQ_INT(lat[1], -1);
}

/* The limits of a scenario with these "mocks" and shops. */
static bounds_limits limits_of(const char *shops, const char *mocks)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"name\":\"b\",\"duration\":\"10s\",\"catalog\":{\"skus\":[{\"sku\":\"A\"}]},"
             "\"warehouses\":[{\"name\":\"W1\"}],\"shops\":%s,\"stock\":[{\"on_hand\":1}],"
             "\"demand\":[{\"name\":\"d\",\"rate\":1}]%s%s}",
             shops, mocks ? ",\"mocks\":" : "", mocks ? mocks : "");
    scenario sc;
    json_err e;
    bounds_limits lim;
    memset(&lim, 0, sizeof lim);
    if (scenario_load_text(text, strlen(text), "b.json", NULL, NULL, 0, &sc, &e) != 0)
        test_fail(__FILE__, __LINE__, "scenario: %s", e.msg);
    setup_api_limits(&sc, &lim);
    scenario_free(&sc);
    return lim;
}

TEST(bounds, the_limits_are_the_mocks_defaults_and_the_scenarios_overrides)
{
    /* A scenario's shop is on plus unless it says otherwise. */
    bounds_limits lim = limits_of("[{\"domain\":\"a.myshopify.com\"}]", NULL);
    EXPECT_EQ_INT(lim.cin7_calls, 60);
    EXPECT_EQ_INT(lim.cin7_window_ms, 60000);
    EXPECT_NEAR(lim.shopify_bucket, 20000, 1e-9);
    EXPECT_NEAR(lim.shopify_restore_per_s, 1000, 1e-9);
    /* Cin7's preset and window; two shops, standard and plus: the buckets
     * add up; a shop's own limits beat its plan's. */
    lim = limits_of("[{\"domain\":\"a.myshopify.com\",\"plan\":\"standard\"},"
                    "{\"domain\":\"b.myshopify.com\"}]",
                    "{\"cin7\":{\"rate_limit\":{\"preset\":\"practitioner\",\"window\":\"30s\"}}}");
    EXPECT_EQ_INT(lim.cin7_calls, 100);
    EXPECT_EQ_INT(lim.cin7_window_ms, 30000);
    EXPECT_NEAR(lim.shopify_bucket, 2000 + 20000, 1e-9);
    EXPECT_NEAR(lim.shopify_restore_per_s, 100 + 1000, 1e-9);
    lim = limits_of("[{\"domain\":\"a.myshopify.com\",\"plan\":\"advanced\"}]",
                    "{\"shopify\":{\"shops\":[{\"limits\":{\"graphql_restore_per_s\":50}}]}}");
    EXPECT_NEAR(lim.shopify_restore_per_s, 50, 1e-9);
    EXPECT_NEAR(lim.shopify_bucket, 1000, 1e-9);
    /* A figure beats the preset; unlimited is 0. */
    lim = limits_of("[{\"domain\":\"a.myshopify.com\"}]",
                    "{\"cin7\":{\"rate_limit\":{\"preset\":\"core\",\"calls_per_minute\":7}}}");
    EXPECT_EQ_INT(lim.cin7_calls, 7);
    lim = limits_of("[{\"domain\":\"a.myshopify.com\"}]",
                    "{\"cin7\":{\"rate_limit\":{\"preset\":\"unlimited\"}}}");
    EXPECT_EQ_INT(lim.cin7_calls, 0);
}
