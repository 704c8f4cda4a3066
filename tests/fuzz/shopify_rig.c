/* An in-process mock-shopify world for tests; see shopify_rig.h. */
#include "shopify_rig.h"

#include "../../mocks/shopify/spec.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char SHOPIFY_RIG_CONFIG[] =
    "{\"shops\":[{\"domain\":\"rig.myshopify.com\",\"access_token\":\"shpat_demo\","
    "\"app_secret\":\"rig-secret\",\"locations\":[{\"name\":\"East\"},{\"name\":\"West\"}],"
    "\"products\":[{\"title\":\"Tee\",\"variants\":["
    "{\"sku\":\"TEE-S\",\"price\":\"19.00\",\"stock\":{\"East\":2,\"West\":10}},"
    "{\"sku\":\"TEE-M\",\"price\":\"21.00\",\"stock\":{\"West\":25}}]},"
    "{\"title\":\"Cap\",\"variants\":[{\"sku\":\"CAP\",\"price\":\"9.00\",\"stock\":{\"East\":5}}]}]}]}";

/* Four TEE-S take East's two and two of West's: a fulfillment order at
 * each location. */
const char SHOPIFY_RIG_CHECKOUT[] = "{\"lines\":[{\"sku\":\"TEE-S\",\"qty\":4},{\"sku\":\"CAP\",\"qty\":1}]}";

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "shopify_rig: %s: %s\n", what, msg);
    abort();
}

static cJSON *parse(const char *text)
{
    json_err e;
    cJSON *v = json_parse(text, strlen(text), &e);
    if (!v)
        die("bad JSON", e.msg);
    return v;
}

/* Places SHOPIFY_RIG_CHECKOUT's order, paid at once. */
static void place_order(shopify_rig *r)
{
    cJSON *body = parse(SHOPIFY_RIG_CHECKOUT);
    const cJSON *lines = cJSON_GetObjectItemCaseSensitive(body, "lines");
    world_line_req req_lines[8];
    size_t n = 0;
    const cJSON *l;
    cJSON_ArrayForEach(l, lines)
    {
        if (n == sizeof req_lines / sizeof req_lines[0])
            die("checkout", "too many lines");
        req_lines[n].sku = cJSON_GetObjectItemCaseSensitive(l, "sku")->valuestring;
        req_lines[n].qty = (int64_t)cJSON_GetObjectItemCaseSensitive(l, "qty")->valuedouble;
        n++;
    }
    world_checkout_req req = {.lines = req_lines, .n_lines = n, .pay = 1, .pay_after_ms = -1};
    cJSON *out = NULL;
    json_err e;
    world_lock(r->w);
    int rc = world_checkout(r->w, world_shop_at(r->w, 0), &req, &out, &e);
    world_unlock(r->w);
    if (rc != 0)
        die("checkout", e.msg);
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(out, "result");
    if (!cJSON_IsString(result) || strcmp(result->valuestring, "accepted") != 0)
        die("checkout", "not accepted");
    cJSON_Delete(out);
    cJSON_Delete(body);
}

void shopify_rig_open(shopify_rig *r)
{
    memset(r, 0, sizeof *r);
    clock_init_virtual(&r->clk, 1767225600000LL); /* 2026-01-01: time stands still */
    char err[200];
    if (journal_open(NULL, 1000, &r->clk, &r->jr, err, sizeof err) != 0)
        die("journal", err);
    r->ctr = counters_new();
    cJSON *cfg = parse(SHOPIFY_RIG_CONFIG);
    spec_world spec;
    json_err e;
    if (spec_parse_config(cfg, &spec, &e) != 0)
        die("config", e.msg);
    cJSON_Delete(cfg);
    world_env env = {.clk = &r->clk, .jr = r->jr, .ctr = r->ctr, .seed = 1};
    r->w = world_new(&spec, &env, &e);
    spec_world_free(&spec);
    if (!r->w)
        die("world", e.msg);
    r->g = agql_new(r->w, NULL, NULL);
    place_order(r);
}

void shopify_rig_reset(shopify_rig *r)
{
    world_reset(r->w);
    journal_reset(r->jr);
    place_order(r);
}

void shopify_rig_close(shopify_rig *r)
{
    agql_free(r->g);
    world_free(r->w);
    counters_free(r->ctr);
    journal_close(r->jr);
    memset(r, 0, sizeof *r);
}
