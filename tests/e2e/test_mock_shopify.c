/* mock-shopify over HTTP: the demo world, authentication, the REST call
 * limit, REST endpoints and their errors, cursor pagination, several shops,
 * fulfillments, and config errors. GraphQL is in test_mock_shopify_gql.c,
 * shoppers and webhooks in test_mock_shopify_hooks.c. */
#include "mock_shopify_test.h"

#include "json.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TEST(mock_shopify, demo_world_answers_out_of_the_box)
{
    e2e_server s;
    e2e_start(&s, "mock-shopify", NULL);
    cJSON *locs = ms_json(&s, "GET", MS_API "/locations.json", NULL, 200);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(locs, "locations")), 1);
    EXPECT_EQ_STR(jstring(locs, "locations[0].name"), "Main Warehouse");
    double loc = jnumber(locs, "locations[0].id");
    cJSON_Delete(locs);

    cJSON *prods = ms_json(&s, "GET", MS_API "/products.json?limit=250", NULL, 200);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(prods, "products")), 10);
    EXPECT_EQ_STR(jstring(prods, "products[0].variants[0].sku"), "DEMO-001");
    EXPECT_EQ_STR(jstring(prods, "products[0].variants[0].inventory_policy"), "deny");
    double item = jnumber(prods, "products[0].variants[0].inventory_item_id");
    EXPECT_CONTAINS(jstring(prods, "products[9].variants[0].sku"), "DEMO-010");
    cJSON_Delete(prods);

    char path[256];
    snprintf(path, sizeof path, MS_API "/inventory_levels.json?inventory_item_ids=%.0f&location_ids=%.0f",
             item, loc);
    cJSON *lv = ms_json(&s, "GET", path, NULL, 200);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(lv, "inventory_levels")), 1);
    EXPECT_EQ_INT(jnumber(lv, "inventory_levels[0].available"), 100);
    EXPECT_CONTAINS(jstring(lv, "inventory_levels[0].admin_graphql_api_id"),
                    "gid://shopify/InventoryLevel/");
    cJSON_Delete(lv);

    cJSON *shop = ms_json(&s, "GET", MS_API "/shop.json", NULL, 200);
    EXPECT_EQ_STR(jstring(shop, "shop.myshopify_domain"), "demo.myshopify.com");
    EXPECT_EQ_STR(jstring(shop, "shop.plan_name"), "standard");
    cJSON_Delete(shop);

    cJSON *health = e2e_expect(&s, "GET", "/_mock/health", NULL, NULL, 200, 1);
    EXPECT_TRUE(cJSON_IsTrue(jp(health, "ok")));
    cJSON_Delete(health);
    e2e_stop(&s);
}

TEST(mock_shopify, token_version_and_shop_checks)
{
    e2e_server s;
    e2e_start(&s, "mock-shopify", NULL);
    httpc_resp r = ms_call(&s, "GET", MS_API "/products.json", NULL, NULL, NULL);
    EXPECT_EQ_INT(r.status, 401);
    EXPECT_CONTAINS(r.body, "Invalid API key or access token");
    httpc_resp_free(&r);
    r = ms_call(&s, "GET", MS_API "/products.json", NULL, "shpat_wrong", NULL);
    EXPECT_EQ_INT(r.status, 401);
    httpc_resp_free(&r);

    /* A supported version is served as asked; one too old or not yet
     * released falls forward to the oldest supported one, and the answer
     * names the version that served it. */
    char v[64];
    static const char *const asked[][2] = {{"2026-04", "2026-04"}, {"2024-07", "2026-01"},
                                           {"2025-10", "2026-01"}, {"2099-01", "2026-01"},
                                           {"unstable", "unstable"}};
    for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++) {
        char p[96];
        snprintf(p, sizeof p, "/admin/api/%s/locations.json", asked[i][0]);
        r = ms_call(&s, "GET", p, NULL, MS_TOKEN, NULL);
        EXPECT_EQ_INT(r.status, 200);
        EXPECT_EQ_STR(httpc_header(&r, "X-Shopify-API-Version", v, sizeof v), asked[i][1]);
        httpc_resp_free(&r);
    }
    r = ms_call(&s, "POST", "/admin/api/2020-01/graphql.json", "{\"query\":\"{ shop { name } }\"}",
                MS_TOKEN, NULL);
    EXPECT_EQ_INT(r.status, 200);
    EXPECT_EQ_STR(httpc_header(&r, "X-Shopify-API-Version", v, sizeof v), "2026-01");
    httpc_resp_free(&r);
    r = ms_call(&s, "GET", "/admin/api/latest-ish/locations.json", NULL, MS_TOKEN, NULL);
    EXPECT_EQ_INT(r.status, 404);
    EXPECT_EQ_STR(r.body, "{\"errors\":\"Not Found\"}");
    httpc_resp_free(&r);
    r = ms_call(&s, "GET", "/shops/nope.myshopify.com/admin/api/2026-10/locations.json", NULL,
                MS_TOKEN, NULL);
    EXPECT_EQ_INT(r.status, 404);
    httpc_resp_free(&r);
    r = ms_call(&s, "GET", MS_API "/no_such_thing.json", NULL, MS_TOKEN, NULL);
    EXPECT_EQ_INT(r.status, 404);
    EXPECT_EQ_STR(r.body, "{\"errors\":\"Not Found\"}");
    httpc_resp_free(&r);
    e2e_stop(&s);
}

/* The standard plan's bucket holds 40 calls: a burst gets exactly 40, the
 * 41st is refused with Retry-After, and the headers count up to 40/40. At
 * scale 1 a 41-call burst takes far less than the half second one call
 * needs to leak out. */
TEST(mock_shopify, rest_bucket_standard_plan_burst)
{
    e2e_server s;
    const char *args[] = {"--time-scale", "1", NULL};
    e2e_start(&s, "mock-shopify", args);
    int ok = 0;
    char hdr[64];
    for (int i = 1; i <= 40; i++) {
        httpc_resp r = ms_call(&s, "GET", MS_API "/locations.json", NULL, MS_TOKEN, NULL);
        EXPECT_EQ_INT(r.status, 200);
        char want[16];
        snprintf(want, sizeof want, "%d/40", i);
        EXPECT_EQ_STR(httpc_header(&r, "X-Shopify-Shop-Api-Call-Limit", hdr, sizeof hdr), want);
        ok += r.status == 200;
        httpc_resp_free(&r);
    }
    EXPECT_EQ_INT(ok, 40);
    httpc_resp r = ms_call(&s, "GET", MS_API "/locations.json", NULL, MS_TOKEN, NULL);
    EXPECT_EQ_INT(r.status, 429);
    EXPECT_EQ_STR(httpc_header(&r, "Retry-After", hdr, sizeof hdr), "2.0");
    EXPECT_EQ_STR(httpc_header(&r, "X-Shopify-Shop-Api-Call-Limit", hdr, sizeof hdr), "40/40");
    EXPECT_CONTAINS(r.body, "Exceeded 2 calls per second for api client");
    httpc_resp_free(&r);
    /* Another token of no shop is refused before the bucket; GraphQL has
     * its own bucket and still answers. */
    cJSON *g = ms_gql(&s, "2026-10", "{ shop { name } }", NULL, 200);
    EXPECT_EQ_STR(jstring(g, "data.shop.name"), "Demo Shop");
    cJSON_Delete(g);
    EXPECT_GE_INT(ms_counter(&s, "http_429 rest"), 1);
    e2e_stop(&s);
}

/* At a high time scale the bucket leaks fast: after Retry-After (simulated
 * seconds) calls go through again, and a quiet bucket empties entirely. */
TEST(mock_shopify, rest_bucket_leaks_in_simulated_time)
{
    e2e_server s;
    const char *args[] = {"--time-scale", "50", NULL};
    e2e_start(&s, "mock-shopify", args);
    int refused = 0, calls = 0;
    for (; calls < 400 && !refused; calls++) {
        httpc_resp r = ms_call(&s, "GET", MS_API "/locations.json", NULL, MS_TOKEN, NULL);
        refused = r.status == 429;
        httpc_resp_free(&r);
    }
    EXPECT_TRUE(refused);
    EXPECT_GE_INT(calls, 41); /* at least the bucket, plus what leaked meanwhile */
    e2e_sleep_ms(2000 / 50 + 20); /* Retry-After 2.0 simulated seconds */
    httpc_resp r = ms_call(&s, "GET", MS_API "/locations.json", NULL, MS_TOKEN, NULL);
    EXPECT_EQ_INT(r.status, 200);
    httpc_resp_free(&r);
    e2e_sleep_ms(25 * 1000 / 50); /* 25 s simulated: 50 calls leak out */
    r = ms_call(&s, "GET", MS_API "/locations.json", NULL, MS_TOKEN, NULL);
    char hdr[32];
    EXPECT_EQ_STR(httpc_header(&r, "X-Shopify-Shop-Api-Call-Limit", hdr, sizeof hdr), "1/40");
    httpc_resp_free(&r);
    e2e_stop(&s);
}

TEST(mock_shopify, plans_and_throttle_fault_set_bucket_size)
{
    e2e_server s;
    const char *cfg =
        "{\"shops\":[{\"domain\":\"std.myshopify.com\",\"plan\":\"standard\",\"access_token\":\"shpat_demo\","
        "\"app_secret\":\"s\"}]}";
    const char *args[] = {"--time-scale", "1", NULL};
    e2e_start_config(&s, "mock-shopify", cfg, args);
    httpc_resp r = ms_call(&s, "GET", MS_API "/locations.json", NULL, MS_TOKEN, NULL);
    char hdr[32];
    EXPECT_EQ_STR(httpc_header(&r, "X-Shopify-Shop-Api-Call-Limit", hdr, sizeof hdr), "1/40");
    httpc_resp_free(&r);
    e2e_faults(&s, "[{\"kind\":\"throttle\",\"target\":\"GET /admin/api/*\",\"limit\":5}]");
    int passed = 0, refused = 0;
    for (int i = 0; i < 10; i++) {
        r = ms_call(&s, "GET", MS_API "/locations.json", NULL, MS_TOKEN, NULL);
        passed += r.status == 200;
        refused += r.status == 429;
        if (r.status == 429)
            EXPECT_EQ_STR(httpc_header(&r, "X-Shopify-Shop-Api-Call-Limit", hdr, sizeof hdr), "5/5");
        httpc_resp_free(&r);
    }
    /* One call was already in the bucket. */
    EXPECT_EQ_INT(passed, 4);
    EXPECT_EQ_INT(refused, 6);
    e2e_stop(&s);
}

TEST(mock_shopify, inventory_set_and_adjust_with_errors_naming_fields)
{
    e2e_server s;
    e2e_start(&s, "mock-shopify", NULL);
    cJSON *st = e2e_expect(&s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    double item = jnumber(st, "shops[0].levels[0].inventory_item_id");
    double loc = jnumber(st, "shops[0].levels[0].location_id");
    cJSON_Delete(st);
    char body[256];
    snprintf(body, sizeof body, "{\"location_id\":%.0f,\"inventory_item_id\":%.0f,\"available\":42}",
             loc, item);
    cJSON *v = ms_json(&s, "POST", MS_API "/inventory_levels/set.json", body, 200);
    EXPECT_EQ_INT(jnumber(v, "inventory_level.available"), 42);
    cJSON_Delete(v);
    snprintf(body, sizeof body,
             "{\"location_id\":%.0f,\"inventory_item_id\":%.0f,\"available_adjustment\":-5}", loc, item);
    v = ms_json(&s, "POST", MS_API "/inventory_levels/adjust.json", body, 200);
    EXPECT_EQ_INT(jnumber(v, "inventory_level.available"), 37);
    cJSON_Delete(v);

    /* A missing parameter is a 400 naming it; a bad value a 422. */
    snprintf(body, sizeof body, "{\"inventory_item_id\":%.0f,\"available\":1}", item);
    v = ms_json(&s, "POST", MS_API "/inventory_levels/set.json", body, 400);
    EXPECT_EQ_STR(jstring(v, "errors.location_id"), "Required parameter missing or invalid");
    cJSON_Delete(v);
    snprintf(body, sizeof body, "{\"location_id\":%.0f,\"inventory_item_id\":%.0f,\"available\":\"x\"}",
             loc, item);
    v = ms_json(&s, "POST", MS_API "/inventory_levels/set.json", body, 422);
    EXPECT_TRUE(cJSON_IsArray(jp(v, "errors.available")));
    cJSON_Delete(v);
    snprintf(body, sizeof body, "{\"location_id\":%.0f,\"inventory_item_id\":1,\"available\":1}", loc);
    v = ms_json(&s, "POST", MS_API "/inventory_levels/set.json", body, 422);
    EXPECT_CONTAINS(jstring(v, "errors.inventory_item_id[0]"), "does not exist");
    cJSON_Delete(v);
    v = ms_json(&s, "POST", MS_API "/inventory_levels/set.json", "{\"location_id\":", 400);
    EXPECT_CONTAINS(jstring(v, "errors"), "line 1");
    cJSON_Delete(v);
    v = ms_json(&s, "GET", MS_API "/inventory_levels.json", NULL, 422);
    EXPECT_TRUE(cJSON_IsArray(jp(v, "errors.inventory_item_ids")));
    cJSON_Delete(v);
    v = ms_json(&s, "GET", MS_API "/inventory_levels.json?inventory_item_ids=1,x", NULL, 422);
    EXPECT_TRUE(cJSON_IsArray(jp(v, "errors.inventory_item_ids")));
    cJSON_Delete(v);
    v = ms_json(&s, "GET", MS_API "/orders.json?limit=251", NULL, 400);
    EXPECT_TRUE(cJSON_IsArray(jp(v, "errors.limit")));
    cJSON_Delete(v);
    v = ms_json(&s, "GET", MS_API "/orders.json?status=sideways", NULL, 400);
    EXPECT_TRUE(cJSON_IsArray(jp(v, "errors.status")));
    cJSON_Delete(v);
    v = ms_json(&s, "GET", MS_API "/orders.json?created_at_min=yesterday", NULL, 400);
    EXPECT_TRUE(cJSON_IsArray(jp(v, "errors.created_at_min")));
    cJSON_Delete(v);

    /* Bodies over the 1 MiB cap: 413 before they are read. */
    size_t big = 1024 * 1024 + 10;
    char *huge = xmalloc(big + 1);
    memset(huge, ' ', big);
    huge[big] = '\0';
    huge[0] = '{';
    huge[big - 1] = '}';
    httpc_resp r = ms_call(&s, "POST", MS_API "/inventory_levels/set.json", huge, MS_TOKEN, NULL);
    EXPECT_EQ_INT(r.status, 413);
    EXPECT_CONTAINS(r.body, "\"errors\"");
    httpc_resp_free(&r);
    free(huge);

    /* Every change is journaled with what made it. */
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(ms_journal_count(j, "inventory", "by", "set"), 1);
    EXPECT_EQ_INT(ms_journal_count(j, "inventory", "by", "adjust"), 1);
    EXPECT_EQ_INT(ms_journal_count(j, "inventory", "by", "seed"), 10);
    cJSON_Delete(j);
    e2e_stop(&s);
}

/* Seven orders, pages of three: the Link header leads through 3 + 3 + 1
 * newest first, its previous link leads back, and the filters ride along
 * in page_info. */
TEST(mock_shopify, orders_cursor_pagination_with_link_header)
{
    e2e_server s;
    e2e_start(&s, "mock-shopify", NULL);
    long long ids[7];
    for (int i = 0; i < 7; i++) {
        ids[i] = ms_checkout(&s, "DEMO-002", 1);
        EXPECT_GT_INT(ids[i], 0);
    }
    char path[2048];
    snprintf(path, sizeof path, MS_API "/orders.json?limit=3&status=any&financial_status=paid");
    long long seen[8];
    int n_seen = 0, pages = 0;
    char first_next[1900] = "";
    while (path[0] && pages < 5) {
        httpc_resp r = ms_call(&s, "GET", path, NULL, MS_TOKEN, NULL);
        EXPECT_EQ_INT(r.status, 200);
        cJSON *v = e2e_json(&r);
        const cJSON *o;
        cJSON_ArrayForEach(o, jp(v, "orders"))
        {
            if (n_seen < 8)
                seen[n_seen] = (long long)jnumber(o, "id");
            n_seen++;
        }
        cJSON_Delete(v);
        char link[4096];
        path[0] = '\0';
        if (httpc_header(&r, "Link", link, sizeof link)) {
            char *next = strstr(link, "rel=\"next\"");
            if (next) {
                /* <http://host/admin/api/...>; rel="next": take the path. */
                char *end = next;
                while (end > link && *end != '>')
                    end--;
                char *start = end;
                while (start > link && *start != '<')
                    start--;
                char *p = strstr(start, "/admin/api/");
                EXPECT_TRUE(p && p < end);
                snprintf(path, sizeof path, "%.*s", (int)(end - p), p);
                EXPECT_CONTAINS(path, "page_info=");
                if (!first_next[0])
                    snprintf(first_next, sizeof first_next, "%.1800s", path);
            }
            if (pages == 0)
                EXPECT_TRUE(strstr(link, "rel=\"previous\"") == NULL);
            if (pages > 0)
                EXPECT_CONTAINS(link, "rel=\"previous\"");
        }
        httpc_resp_free(&r);
        pages++;
    }
    EXPECT_EQ_INT(pages, 3);
    EXPECT_EQ_INT(n_seen, 7);
    for (int i = 0; i < 7; i++)
        EXPECT_EQ_INT(seen[i], ids[6 - i]); /* newest first, none twice */

    /* page_info carries the filters; giving one again is an error. */
    snprintf(path, sizeof path, "%.1800s&status=any", first_next);
    cJSON *v = ms_json(&s, "GET", path, NULL, 400);
    EXPECT_TRUE(cJSON_IsArray(jp(v, "errors.page_info")));
    cJSON_Delete(v);
    v = ms_json(&s, "GET", MS_API "/orders.json?page_info=garbage", NULL, 400);
    cJSON_Delete(v);

    /* Filters: nothing is pending or cancelled; count and since_id agree. */
    v = ms_json(&s, "GET", MS_API "/orders.json?financial_status=pending", NULL, 200);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "orders")), 0);
    cJSON_Delete(v);
    v = ms_json(&s, "GET", MS_API "/orders/count.json?status=any", NULL, 200);
    EXPECT_EQ_INT(jnumber(v, "count"), 7);
    cJSON_Delete(v);
    snprintf(path, sizeof path, MS_API "/orders.json?since_id=%lld&fields=id,name", ids[4]);
    v = ms_json(&s, "GET", path, NULL, 200);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "orders")), 2);
    EXPECT_TRUE(jp(v, "orders[0].line_items") == NULL); /* fields= keeps only id, name */
    EXPECT_CONTAINS(jstring(v, "orders[0].name"), "#100");
    cJSON_Delete(v);
    v = ms_json(&s, "GET", MS_API "/orders.json?created_at_min=2999-01-01T00:00:00Z", NULL, 200);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "orders")), 0);
    cJSON_Delete(v);
    e2e_stop(&s);
}

TEST(mock_shopify, order_resource_fields)
{
    e2e_server s;
    e2e_start(&s, "mock-shopify", NULL);
    long long id = ms_checkout(&s, "DEMO-004", 3);
    char path[128];
    snprintf(path, sizeof path, MS_API "/orders/%lld.json", id);
    cJSON *v = ms_json(&s, "GET", path, NULL, 200);
    const cJSON *o = jp(v, "order");
    EXPECT_EQ_INT(jnumber(o, "id"), id);
    char gid[96];
    snprintf(gid, sizeof gid, "gid://shopify/Order/%lld", id);
    EXPECT_EQ_STR(jstring(o, "admin_graphql_api_id"), gid);
    EXPECT_EQ_STR(jstring(o, "name"), "#1001");
    EXPECT_EQ_INT(jnumber(o, "order_number"), 1001);
    EXPECT_EQ_STR(jstring(o, "financial_status"), "paid");
    EXPECT_TRUE(cJSON_IsNull(jp(o, "fulfillment_status")));
    EXPECT_TRUE(cJSON_IsNull(jp(o, "cancelled_at")));
    EXPECT_TRUE(cJSON_IsNull(jp(o, "location_id")));
    EXPECT_EQ_STR(jstring(o, "currency"), "USD");
    EXPECT_EQ_STR(jstring(o, "total_price"), "75.00"); /* 3 x 25.00 */
    EXPECT_EQ_STR(jstring(o, "line_items[0].sku"), "DEMO-004");
    EXPECT_EQ_INT(jnumber(o, "line_items[0].quantity"), 3);
    EXPECT_EQ_INT(jnumber(o, "line_items[0].current_quantity"), 3);
    EXPECT_EQ_INT(jnumber(o, "line_items[0].fulfillable_quantity"), 3);
    EXPECT_TRUE(cJSON_IsTrue(jp(o, "line_items[0].requires_shipping")));
    EXPECT_EQ_STR(jstring(o, "shipping_address.country_code"), "US");
    EXPECT_EQ_STR(jstring(o, "shipping_address.zip"), "78701");
    EXPECT_NEAR(jnumber(o, "shipping_address.latitude"), 30.27, 1e-9);
    /* Dates: ISO 8601 with an offset, from simulated time. */
    const char *created = jstring(o, "created_at");
    EXPECT_EQ_INT(strlen(created), 25);
    EXPECT_CONTAINS(created, "+00:00");
    EXPECT_EQ_STR(jstring(o, "processed_at"), created);
    cJSON_Delete(v);
    snprintf(path, sizeof path, MS_API "/orders/99.json");
    v = ms_json(&s, "GET", path, NULL, 404);
    cJSON_Delete(v);
    e2e_stop(&s);
}

TEST(mock_shopify, partial_fulfillments_with_tracking)
{
    e2e_server s;
    e2e_start(&s, "mock-shopify", NULL);
    long long id = ms_checkout(&s, "DEMO-005", 3);
    char path[160], body[768];
    /* The legacy endpoint is gone (removed in 2022-07) at every version. */
    snprintf(path, sizeof path, MS_API "/orders/%lld/fulfillments.json", id);
    httpc_resp r = ms_call(&s, "POST", path, "{\"fulfillment\":{}}", MS_TOKEN, NULL);
    EXPECT_EQ_INT(r.status, 404);
    EXPECT_EQ_STR(r.body, "{\"errors\":\"Not Found\"}");
    httpc_resp_free(&r);
    /* One fulfillment order at the location the units are committed at. */
    snprintf(path, sizeof path, MS_API "/orders/%lld/fulfillment_orders.json", id);
    cJSON *fos = ms_json(&s, "GET", path, NULL, 200);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(fos, "fulfillment_orders")), 1);
    EXPECT_EQ_STR(jstring(fos, "fulfillment_orders[0].status"), "open");
    EXPECT_EQ_INT(jnumber(fos, "fulfillment_orders[0].assigned_location_id"), 61000000001);
    EXPECT_EQ_INT(jnumber(fos, "fulfillment_orders[0].line_items[0].fulfillable_quantity"), 3);
    double fo = jnumber(fos, "fulfillment_orders[0].id");
    double fl = jnumber(fos, "fulfillment_orders[0].line_items[0].id");
    cJSON_Delete(fos);
    snprintf(body, sizeof body,
             "{\"fulfillment\":{\"tracking_info\":{\"number\":\"1Z999\",\"company\":\"UPS\"},"
             "\"notify_customer\":false,\"line_items_by_fulfillment_order\":[{\"fulfillment_order_id\":"
             "%.0f,\"fulfillment_order_line_items\":[{\"id\":%.0f,\"quantity\":1}]}]}}",
             fo, fl);
    cJSON *f = ms_json(&s, "POST", MS_API "/fulfillments.json", body, 201);
    EXPECT_EQ_STR(jstring(f, "fulfillment.tracking_number"), "1Z999");
    EXPECT_EQ_STR(jstring(f, "fulfillment.tracking_company"), "UPS");
    EXPECT_EQ_INT(jnumber(f, "fulfillment.line_items[0].quantity"), 1);
    EXPECT_EQ_STR(jstring(f, "fulfillment.status"), "success");
    cJSON_Delete(f);
    /* Partial: the rest stays open on the same fulfillment order. */
    snprintf(path, sizeof path, MS_API "/fulfillment_orders/%.0f.json", fo);
    f = ms_json(&s, "GET", path, NULL, 200);
    EXPECT_EQ_STR(jstring(f, "fulfillment_order.status"), "in_progress");
    EXPECT_EQ_INT(jnumber(f, "fulfillment_order.line_items[0].fulfillable_quantity"), 2);
    cJSON_Delete(f);
    /* More than what is left is refused, naming why. */
    snprintf(body, sizeof body,
             "{\"fulfillment\":{\"line_items_by_fulfillment_order\":[{\"fulfillment_order_id\":%.0f,"
             "\"fulfillment_order_line_items\":[{\"id\":%.0f,\"quantity\":5}]}]}}",
             fo, fl);
    f = ms_json(&s, "POST", MS_API "/fulfillments.json", body, 422);
    EXPECT_CONTAINS(jstring(f, "errors.base[0]"), "2 remaining units");
    cJSON_Delete(f);
    f = ms_json(&s, "POST", MS_API "/fulfillments.json", "{}", 400);
    EXPECT_EQ_STR(jstring(f, "errors.fulfillment"), "Required parameter missing or invalid");
    cJSON_Delete(f);
    f = ms_json(&s, "POST", MS_API "/fulfillments.json",
                "{\"fulfillment\":{\"line_items_by_fulfillment_order\":[{\"fulfillment_order_id\":1}]}}",
                404);
    cJSON_Delete(f);
    /* A held fulfillment order refuses fulfilment until released. */
    snprintf(path, sizeof path, MS_API "/fulfillment_orders/%.0f/hold.json", fo);
    f = ms_json(&s, "POST", path, "{\"fulfillment_hold\":{\"reason\":\"sold_out\"}}", 422);
    EXPECT_CONTAINS(jstring(f, "errors.reason[0]"), "inventory_out_of_stock");
    cJSON_Delete(f);
    f = ms_json(&s, "POST", path,
                "{\"fulfillment_hold\":{\"reason\":\"inventory_out_of_stock\",\"reason_notes\":\"awaiting stock\"}}",
                200);
    EXPECT_EQ_STR(jstring(f, "fulfillment_order.status"), "on_hold");
    EXPECT_EQ_STR(jstring(f, "fulfillment_order.fulfillment_holds[0].reason"), "inventory_out_of_stock");
    EXPECT_EQ_STR(jstring(f, "fulfillment_order.fulfillment_holds[0].reason_notes"), "awaiting stock");
    cJSON_Delete(f);
    snprintf(body, sizeof body,
             "{\"fulfillment\":{\"line_items_by_fulfillment_order\":[{\"fulfillment_order_id\":%.0f}]}}", fo);
    f = ms_json(&s, "POST", MS_API "/fulfillments.json", body, 422);
    EXPECT_CONTAINS(jstring(f, "errors.base[0]"), "ON_HOLD");
    cJSON_Delete(f);
    snprintf(path, sizeof path, MS_API "/fulfillment_orders/%.0f/release_hold.json", fo);
    f = ms_json(&s, "POST", path, NULL, 200);
    EXPECT_EQ_STR(jstring(f, "fulfillment_order.status"), "in_progress");
    cJSON_Delete(f);
    f = ms_json(&s, "POST", path, NULL, 422); /* not on hold any more */
    cJSON_Delete(f);
    /* No line items: every remaining unit. */
    snprintf(body, sizeof body,
             "{\"fulfillment\":{\"tracking_info\":{\"number\":\"1Z1000\"},"
             "\"line_items_by_fulfillment_order\":[{\"fulfillment_order_id\":%.0f}]}}", fo);
    f = ms_json(&s, "POST", MS_API "/fulfillments.json", body, 201);
    EXPECT_EQ_INT(jnumber(f, "fulfillment.line_items[0].quantity"), 2);
    cJSON_Delete(f);
    snprintf(path, sizeof path, MS_API "/orders/%lld/fulfillments.json", id);
    f = ms_json(&s, "GET", path, NULL, 200);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(f, "fulfillments")), 2);
    cJSON_Delete(f);
    snprintf(path, sizeof path, MS_API "/orders/%lld.json", id);
    cJSON *o = ms_json(&s, "GET", path, NULL, 200);
    EXPECT_EQ_STR(jstring(o, "order.fulfillment_status"), "fulfilled");
    cJSON_Delete(o);
    snprintf(path, sizeof path, MS_API "/fulfillment_orders/%.0f.json", fo);
    f = ms_json(&s, "GET", path, NULL, 200);
    EXPECT_EQ_STR(jstring(f, "fulfillment_order.status"), "closed");
    cJSON_Delete(f);
    /* Shipped units left committed (and on hand); available kept its 97. */
    cJSON *st = e2e_expect(&s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    const cJSON *l;
    cJSON_ArrayForEach(l, jp(st, "shops[0].levels"))
        if (strcmp(jstring(l, "sku"), "DEMO-005") == 0) {
            EXPECT_EQ_INT(jnumber(l, "available"), 97);
            EXPECT_EQ_INT(jnumber(l, "committed"), 0);
        }
    cJSON_Delete(st);
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(ms_journal_count(j, "fulfillment", "tracking_company", "UPS"), 1);
    EXPECT_EQ_INT(ms_journal_count(j, "fulfillment", NULL, NULL), 2);
    EXPECT_EQ_INT(ms_journal_count(j, "fulfillment_order_hold", "reason", "INVENTORY_OUT_OF_STOCK"), 1);
    cJSON_Delete(j);
    e2e_stop(&s);
}

TEST(mock_shopify, webhooks_json_create_list_delete)
{
    e2e_server s;
    e2e_start(&s, "mock-shopify", NULL);
    cJSON *v = ms_json(&s, "POST", MS_API "/webhooks.json",
                       "{\"webhook\":{\"topic\":\"orders/paid\",\"address\":\"http://127.0.0.1:9/h\","
                       "\"format\":\"json\"}}",
                       201);
    double id = jnumber(v, "webhook.id");
    EXPECT_EQ_STR(jstring(v, "webhook.topic"), "orders/paid");
    EXPECT_EQ_STR(jstring(v, "webhook.api_version"), "2026-10");
    cJSON_Delete(v);
    v = ms_json(&s, "POST", MS_API "/webhooks.json",
                "{\"webhook\":{\"topic\":\"orders/paid\",\"address\":\"http://127.0.0.1:9/h\"}}", 422);
    EXPECT_CONTAINS(jstring(v, "errors.address[0]"), "already been taken");
    cJSON_Delete(v);
    v = ms_json(&s, "POST", MS_API "/webhooks.json",
                "{\"webhook\":{\"topic\":\"orders/exploded\",\"address\":\"http://x/h\"}}", 422);
    EXPECT_CONTAINS(jstring(v, "errors.topic[0]"), "Invalid topic specified");
    cJSON_Delete(v);
    v = ms_json(&s, "POST", MS_API "/webhooks.json",
                "{\"webhook\":{\"topic\":\"orders/create\",\"address\":\"ftp://x\"}}", 422);
    EXPECT_EQ_STR(jstring(v, "errors.address[0]"), "is invalid");
    cJSON_Delete(v);
    v = ms_json(&s, "POST", MS_API "/webhooks.json", "{\"hook\":{}}", 400);
    EXPECT_EQ_STR(jstring(v, "errors.webhook"), "Required parameter missing or invalid");
    cJSON_Delete(v);
    v = ms_json(&s, "GET", MS_API "/webhooks.json?topic=orders/paid", NULL, 200);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(v, "webhooks")), 1);
    cJSON_Delete(v);
    char path[128];
    snprintf(path, sizeof path, MS_API "/webhooks/%.0f.json", id);
    v = ms_json(&s, "PUT", path, "{\"webhook\":{\"address\":\"http://127.0.0.1:9/other\"}}", 200);
    EXPECT_EQ_STR(jstring(v, "webhook.address"), "http://127.0.0.1:9/other");
    cJSON_Delete(v);
    v = ms_json(&s, "DELETE", path, NULL, 200);
    cJSON_Delete(v);
    v = ms_json(&s, "DELETE", path, NULL, 404);
    cJSON_Delete(v);
    v = ms_json(&s, "GET", MS_API "/webhooks/count.json", NULL, 200);
    EXPECT_EQ_INT(jnumber(v, "count"), 0);
    cJSON_Delete(v);
    e2e_stop(&s);
}

/* Two shops in one process, told apart by Host or by base path, each with
 * its own token, locations and stock. */
TEST(mock_shopify, several_shops_by_host_and_base_path)
{
    e2e_server s;
    const char *cfg =
        "{\"shops\":["
        "{\"domain\":\"us.myshopify.com\",\"access_token\":\"shpat_us\",\"app_secret\":\"a\","
        " \"locations\":[{\"name\":\"Dallas\"}],"
        " \"products\":[{\"title\":\"Tee\",\"variants\":[{\"sku\":\"TEE\",\"available\":5}]}]},"
        "{\"domain\":\"eu.myshopify.com\",\"plan\":\"advanced\",\"access_token\":\"shpat_eu\","
        " \"app_secret\":\"b\",\"currency\":\"EUR\","
        " \"locations\":[{\"name\":\"Berlin\"},{\"name\":\"Paris\"}],"
        " \"products\":[{\"title\":\"Tee\",\"variants\":[{\"sku\":\"TEE\",\"stock\":{\"Paris\":7}}]}]}]}";
    e2e_start_config(&s, "mock-shopify", cfg, NULL);
    httpc_resp r = ms_call(&s, "GET", MS_API "/locations.json", NULL, "shpat_eu", "eu.myshopify.com");
    EXPECT_EQ_INT(r.status, 200);
    EXPECT_CONTAINS(r.body, "Berlin");
    char hdr[32];
    EXPECT_EQ_STR(httpc_header(&r, "X-Shopify-Shop-Api-Call-Limit", hdr, sizeof hdr), "1/80");
    httpc_resp_free(&r);
    /* A Host of no shop: the first shop. */
    r = ms_call(&s, "GET", MS_API "/locations.json", NULL, "shpat_us", "127.0.0.1:1234");
    EXPECT_CONTAINS(r.body, "Dallas");
    httpc_resp_free(&r);
    r = ms_call(&s, "GET", "/shops/eu.myshopify.com" MS_API "/locations.json", NULL, "shpat_eu", NULL);
    EXPECT_EQ_INT(r.status, 200);
    EXPECT_CONTAINS(r.body, "Paris");
    httpc_resp_free(&r);
    /* One shop's token is no good at the other. */
    r = ms_call(&s, "GET", "/shops/eu.myshopify.com" MS_API "/locations.json", NULL, "shpat_us", NULL);
    EXPECT_EQ_INT(r.status, 401);
    httpc_resp_free(&r);
    cJSON *v = e2e_expect(&s, "POST", "/_mock/checkout", NULL,
                          "{\"shop\":\"eu.myshopify.com\",\"lines\":[{\"sku\":\"TEE\",\"qty\":7}]}", 200, 1);
    EXPECT_EQ_STR(jstring(v, "result"), "accepted");
    cJSON_Delete(v);
    v = e2e_expect(&s, "POST", "/_mock/checkout", NULL,
                   "{\"shop\":\"eu.myshopify.com\",\"lines\":[{\"sku\":\"TEE\",\"qty\":1}]}", 200, 1);
    EXPECT_EQ_STR(jstring(v, "result"), "sold_out");
    cJSON_Delete(v);
    cJSON *st = e2e_expect(&s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    EXPECT_EQ_INT(jnumber(st, "shops[0].accepted_units.TEE"), 0);
    EXPECT_EQ_INT(jnumber(st, "shops[1].accepted_units.TEE"), 7);
    EXPECT_EQ_INT(jnumber(st, "accepted_units.TEE"), 7);
    cJSON_Delete(st);
    e2e_stop(&s);
}

/* Seeds add shops, stock and subscriptions; reset goes back to the config. */
TEST(mock_shopify, seed_and_reset)
{
    e2e_server s;
    e2e_start(&s, "mock-shopify", NULL);
    cJSON *v = e2e_expect(&s, "POST", "/_mock/seed", NULL,
                          "{\"shops\":[{\"domain\":\"demo.myshopify.com\",\"products\":[{\"title\":\"New\","
                          "\"variants\":[{\"sku\":\"NEW-1\",\"available\":3}]}]},"
                          "{\"domain\":\"two.myshopify.com\",\"access_token\":\"t2\",\"app_secret\":\"x\"}],"
                          "\"levels\":[{\"sku\":\"DEMO-001\",\"available\":7}]}",
                          200, 1);
    cJSON_Delete(v);
    cJSON *st = e2e_expect(&s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(st, "shops")), 2);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(st, "shops[0].levels")), 11);
    EXPECT_EQ_STR(jstring(st, "shops[0].levels[0].sku"), "DEMO-001");
    EXPECT_EQ_INT(jnumber(st, "shops[0].levels[0].available"), 7);
    cJSON_Delete(st);
    /* Errors name the path; nothing is applied. */
    e2e_expect_text(&s, "POST", "/_mock/seed", NULL, "{\"levels\":[{\"sku\":\"NOPE\",\"available\":1}]}", 400,
                    "$.levels[0].sku");
    e2e_expect_text(&s, "POST", "/_mock/seed", NULL, "{\"shops\":[{\"domain\":\"x\",\"colour\":1}]}", 400,
                    "$.shops[0].colour");
    EXPECT_GT_INT(ms_checkout(&s, "DEMO-001", 1), 0);
    v = e2e_expect(&s, "POST", "/_mock/reset", NULL, NULL, 200, 1);
    cJSON_Delete(v);
    st = e2e_expect(&s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(st, "shops")), 1);
    EXPECT_EQ_INT(cJSON_GetArraySize(jp(st, "shops[0].orders")), 0);
    EXPECT_EQ_INT(jnumber(st, "shops[0].levels[0].available"), 100);
    cJSON_Delete(st);
    e2e_stop(&s);
}

TEST(mock_shopify, config_errors_name_the_json_path)
{
    static const struct {
        const char *config, *want;
    } cases[] = {
        {"{\"shops\":[{\"domain\":\"a\",\"plan\":\"gold\",\"access_token\":\"t\",\"app_secret\":\"s\"}]}",
         "$.shops[0].plan: unknown plan \"gold\""},
        {"{\"shops\":[{\"domain\":\"a\",\"access_token\":\"t\",\"app_secret\":\"s\","
         "\"products\":[{\"variants\":[{\"sku\":\"A\",\"colour\":\"red\"}]}]}]}",
         "$.shops[0].products[0].variants[0].colour: unknown field"},
        {"{\"shops\":[{\"domain\":\"a\",\"access_token\":\"t\",\"app_secret\":\"s\"}],"
         "\"webhooks\":{\"duplicate_probability\":2}}",
         "$.webhooks.duplicate_probability"},
        {"{\"shops\":[]}", "$.shops"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        e2e_expect_refused("mock-shopify", cases[i].config, cases[i].want);
}
