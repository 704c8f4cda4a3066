/*
 * bin/mock-shopify: the Shopify Admin API mock. This file only wires the
 * modules into the shared mock skeleton (mocks/common/mockd): the world
 * (world.c) built from --config or the demo world (spec.c), the REST and
 * GraphQL endpoints (rest.c, admin_gql.c) with their rate limits
 * (limiter.c), webhooks out (hooks.c), and the shopper routes (shopper.c).
 * docs/mock-shopify.md is the user's reference.
 */
#include "admin_gql.h"
#include "admin_gql_int.h"
#include "hooks.h"
#include "limiter.h"
#include "mem.h"
#include "mockd.h"
#include "rest.h"
#include "shopper.h"
#include "spec.h"
#include "world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    mockd *m;
    world *w;
    limiter *lim;
    hooks *h;
    rest *rest;
    agql *gql;
} app;

static void delivery_faults(void *ud, const char *topic, fault_delivery *out)
{
    mockd_delivery_faults(ud, topic, out);
}

static void *app_create(mockd *m, const cJSON *config, json_err *e)
{
    spec_world spec;
    if (config) {
        if (spec_parse_config(config, &spec, e) != 0) {
            spec_world_free(&spec);
            return NULL;
        }
    } else {
        spec_demo(&spec);
    }
    app *a = xcalloc(1, sizeof *a);
    a->m = m;
    world_env env = {.clk = mockd_clock(m), .jr = mockd_journal(m), .ctr = mockd_counters(m),
                     .seed = mockd_seed(m)};
    a->w = world_new(&spec, &env, e);
    spec_world_free(&spec); /* emptied by world_new; frees what is left on failure */
    if (!a->w) {
        free(a);
        return NULL;
    }
    hooks_env he = {.cfg = &world_settings(a->w)->webhooks, .clk = mockd_clock(m),
                    .jr = mockd_journal(m), .ctr = mockd_counters(m), .seed = mockd_seed(m),
                    .faults = delivery_faults, .faults_ud = m};
    a->h = hooks_new(&he, world_delivery_result, a->w);
    world_set_hooks(a->w, a->h);
    a->lim = limiter_new();
    a->rest = rest_new(a->w, a->lim, m);
    a->gql = agql_new(a->w, a->lim, m);
    return a;
}

static void app_destroy(void *p)
{
    app *a = p;
    /* No more webhooks from the world, then stop the senders (whose
     * callbacks use the world), then the world. */
    world_set_hooks(a->w, NULL);
    hooks_free(a->h);
    agql_free(a->gql);
    rest_free(a->rest);
    limiter_free(a->lim);
    world_free(a->w);
    free(a);
}

static void app_routes(void *p, httpd *srv)
{
    app *a = p;
    rest_routes(a->rest, srv, agql_handle, a->gql);
    /* Bulk query results: public, unauthenticated URLs, as Shopify's
     * signed result links are. */
    httpd_route(srv, "GET", "/bulk-results/{shop}/{id}.jsonl", ag_bulk_result, a->w);
}

static int app_filter(void *p, httpd_req *r)
{
    app *a = p;
    return rest_filter(a->rest, r);
}

static void app_reset(void *p)
{
    app *a = p;
    world_reset(a->w);
    limiter_reset(a->lim);
}

static int app_seed(void *p, const cJSON *body, json_err *e)
{
    app *a = p;
    spec_seed s;
    int rc = spec_parse_seed(body, &s, e);
    if (rc == 0)
        rc = world_seed(a->w, &s, e);
    spec_seed_free(&s);
    return rc;
}

static cJSON *app_state(void *p)
{
    app *a = p;
    return world_state(a->w);
}

static void app_stats(void *p, cJSON *out)
{
    app *a = p;
    cJSON *w = cJSON_AddObjectToObject(out, "webhooks");
    cJSON_AddNumberToObject(w, "pending", (double)hooks_pending(a->h));
    cJSON_AddNumberToObject(out, "pending_payments", (double)world_pending(a->w));
}

static long app_pending(void *p)
{
    app *a = p;
    return (long)hooks_pending(a->h) + world_pending(a->w);
}

static char *app_fault_body(int status)
{
    return xasprintf("{\"errors\":\"%s\"}", rest_status_message(status));
}

static void app_control_routes(void *p, httpd *srv)
{
    app *a = p;
    shopper_routes(a->w, srv);
}

int main(int argc, char **argv)
{
    static const mock_app shopify = {
        .name = "mock-shopify",
        .default_port = 8081,
        .create = app_create,
        .destroy = app_destroy,
        .routes = app_routes,
        .filter = app_filter,
        .reset = app_reset,
        .seed = app_seed,
        .state = app_state,
        .stats = app_stats,
        .pending = app_pending,
        .fault_body = app_fault_body,
        .control_routes = app_control_routes,
    };
    return mockd_main(argc, argv, &shopify);
}
