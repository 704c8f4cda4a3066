/*
 * mock-cin7's own routes under /_mock/, beside the ones mockd serves: the
 * people and channels the API does not show. A buyer approves a draft
 * purchase (POST /_mock/approve), the dock receives one early
 * (POST /_mock/receive), a wholesale or retail channel sells from the same
 * shelves (POST /_mock/channel-sale), a stock take corrects a count
 * (POST /_mock/adjust). Bodies are JSON objects whose unknown keys are
 * refused; errors are {"error":"..."} like the rest of /_mock/.
 */
#include "api.h"

/* A world result: its body, or its error in /_mock/'s shape. */
static void reply_result(httpd_req *r, c7result *res)
{
    if (res->body)
        c7api_reply(r, res);
    else
        httpd_reply_error(r, res->status, res->error);
}

typedef void (*purchase_fn)(c7world *w, const char *id, c7result *out);

/* approve and receive: {"id": "<purchase GUID>"} (or "ID"). */
static void purchase_action(httpd_req *r, c7server *s, purchase_fn fn)
{
    static const char *const keys[] = {"id", "ID", NULL};
    cJSON *v = mockd_body(r, keys);
    if (!v)
        return;
    const char *id = NULL;
    json_err e;
    if (json_get_str(v, "$", "id", JSON_OPTIONAL, &id, &e) ||
        (!id && json_get_str(v, "$", "ID", JSON_REQUIRED, &id, &e))) {
        httpd_reply_error(r, 400, e.msg);
    } else {
        c7result res = {0};
        fn(s->w, id, &res);
        reply_result(r, &res);
    }
    cJSON_Delete(v);
}

static void approve(httpd_req *r, void *ud)
{
    purchase_action(r, ud, c7world_approve);
}

static void receive(httpd_req *r, void *ud)
{
    purchase_action(r, ud, c7world_receive_now);
}

typedef void (*cell_fn)(c7world *w, const char *sku, const char *location, int64_t n,
                        const char *text, c7result *out);

/* channel-sale and adjust: {"sku", "location", keys[2]: a whole number of
 * at least min, keys[3]: a text that defaults to text}. */
static void cell_action(httpd_req *r, c7server *s, const char *const keys[5], int64_t min,
                        const char *text, cell_fn fn)
{
    cJSON *v = mockd_body(r, keys);
    if (!v)
        return;
    const char *sku = NULL, *loc = NULL;
    int64_t n = 0;
    json_err e;
    if (json_get_str(v, "$", "sku", JSON_REQUIRED, &sku, &e) ||
        json_get_str(v, "$", "location", JSON_OPTIONAL, &loc, &e) ||
        json_get_int(v, "$", keys[2], JSON_REQUIRED, min, 1000000000, &n, &e) ||
        json_get_str(v, "$", keys[3], JSON_OPTIONAL, &text, &e)) {
        httpd_reply_error(r, 400, e.msg);
    } else {
        c7result res = {0};
        fn(s->w, sku, loc, n, text, &res);
        reply_result(r, &res);
    }
    cJSON_Delete(v);
}

static void channel_sale(httpd_req *r, void *ud)
{
    static const char *const keys[] = {"sku", "location", "qty", "channel", NULL};
    cell_action(r, ud, keys, 1, "other", c7world_channel_sale);
}

static void adjust(httpd_req *r, void *ud)
{
    static const char *const keys[] = {"sku", "location", "on_hand", "reason", NULL};
    cell_action(r, ud, keys, 0, "stock take", c7world_adjust);
}

void c7control_routes(c7server *s, httpd *srv)
{
    httpd_route(srv, "POST", "/_mock/approve", approve, s);
    httpd_route(srv, "POST", "/_mock/receive", receive, s);
    httpd_route(srv, "POST", "/_mock/channel-sale", channel_sale, s);
    httpd_route(srv, "POST", "/_mock/adjust", adjust, s);
}
