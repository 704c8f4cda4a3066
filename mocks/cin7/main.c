/*
 * bin/mock-cin7: a Cin7 Core API v2 that holds the physical truth of a run
 * (stock per SKU and location, sales, purchases, other channels' sales) in
 * simulated time. mockd supplies the command line, the control API and
 * the journal; this file wires the world, the API and the /_mock/ routes
 * into it. docs/mock-cin7.md is the user's reference.
 */
#include "api.h"
#include "config.h"
#include "mem.h"
#include "mockd.h"
#include "world.h"

#include <stdlib.h>

static void *create(mockd *m, const cJSON *config, json_err *e)
{
    c7cfg *cfg = NULL;
    if (!config)
        cfg = c7config_demo();
    else if (c7config_parse(config, 0, &cfg, e) != 0)
        return NULL;
    c7server *s = xcalloc(1, sizeof *s);
    s->m = m;
    s->w = c7world_new(m, cfg, e);
    c7config_free(cfg);
    if (!s->w) {
        free(s);
        return NULL;
    }
    return s;
}

static void destroy(void *app)
{
    c7server *s = app;
    c7world_free(s->w);
    free(s);
}

static void routes(void *app, httpd *srv)
{
    c7api_routes(app, srv);
}

static void control_routes(void *app, httpd *srv)
{
    c7control_routes(app, srv);
}

static int filter(void *app, httpd_req *r)
{
    return c7api_filter(app, r);
}

static void reset(void *app)
{
    c7world_reset(((c7server *)app)->w);
}

static int seed(void *app, const cJSON *body, json_err *e)
{
    c7cfg *doc = NULL;
    if (c7config_parse(body, 1, &doc, e) != 0)
        return -1;
    int rc = c7world_seed(((c7server *)app)->w, doc, e);
    c7config_free(doc);
    return rc;
}

static cJSON *state(void *app)
{
    return c7world_state(((c7server *)app)->w);
}

static void stats(void *app, cJSON *out)
{
    c7world_stats(((c7server *)app)->w, out);
}

static long pending(void *app)
{
    return c7world_pending(((c7server *)app)->w);
}

static char *fault_body(int status)
{
    const char *msg = status == 500   ? "Internal Server Error"
                      : status == 502 ? "Bad Gateway"
                      : status == 503 ? "Service Unavailable"
                      : status == 504 ? "Gateway Timeout"
                      : status == 429 ? "Too Many Requests"
                                      : "The request failed";
    return c7api_error_text(status, msg);
}

static const mock_app app = {
    .name = "mock-cin7",
    .default_port = 8082,
    .create = create,
    .destroy = destroy,
    .routes = routes,
    .filter = filter,
    .reset = reset,
    .seed = seed,
    .state = state,
    .stats = stats,
    .pending = pending,
    .fault_body = fault_body,
    .control_routes = control_routes,
};

int main(int argc, char **argv)
{
    return mockd_main(argc, argv, &app);
}
