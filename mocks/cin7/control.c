/*
 * mock-cin7's own routes under /_mock/, beside the ones mockd serves: the
 * people and channels the API does not show. A buyer approves a draft
 * purchase (POST /_mock/approve), the dock receives one early
 * (POST /_mock/receive), a user voids a sale in Cin7's screens
 * (POST /_mock/void), a wholesale or retail channel sells from the same
 * shelves (POST /_mock/channel-sale), a stock take corrects the count of a
 * bin or batch (POST /_mock/adjust), a purchasing user edits a product
 * (POST /_mock/product_edit). Quantities may be decimal, to 4 places. Bodies are JSON objects whose unknown keys are
 * refused; errors are {"error":"..."} like the rest of /_mock/.
 */
#include "api.h"
#include "product_in.h"

/* A world result: its body, or its error in /_mock/'s shape. */
static void reply_result(httpd_req *r, c7result *res)
{
    if (res->body)
        c7api_reply(r, res);
    else
        httpd_reply_error(r, res->status, res->error);
}

typedef void (*purchase_fn)(c7world *w, const char *id, c7result *out);

/* approve, receive and void: {"id": "<purchase or sale GUID>"} (or "ID"). */
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

/* A user voids a sale in Cin7's own screens: the API's void under no
 * application (its rules, journal entry and Sale/Voided webhook). */
static void user_void(c7world *w, const char *id, c7result *out)
{
    c7world_sale_void(w, id, NULL, out);
}

static void void_sale(httpd_req *r, void *ud)
{
    purchase_action(r, ud, user_void);
}

/* A quantity field of at most 4 decimal places from min to 10^9. */
static int get_qty(const cJSON *v, const char *key, qty4 min, qty4 *out, json_err *e)
{
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(v, key);
    char p[64];
    snprintf(p, sizeof p, "$.%s", key);
    if (!q)
        return json_fail(e, p, "required field is missing");
    if (qty4_from_json(q, 4, min, qty4_units(1000000000), out) != 0)
        return json_fail(e, p, "expected a number from %s to 1000000000 with at most 4 decimal places",
                         min ? "0.0001" : "0");
    return 0;
}

int c7control_read_channel_sale(const cJSON *v, c7channel_sale_in *in, json_err *e)
{
    *in = (c7channel_sale_in){NULL, NULL, 0, "other"};
    return json_get_str(v, "$", "sku", JSON_REQUIRED, &in->sku, e) ||
                   json_get_str(v, "$", "location", JSON_OPTIONAL, &in->location, e) ||
                   get_qty(v, "qty", 1, &in->qty, e) ||
                   json_get_str(v, "$", "channel", JSON_OPTIONAL, &in->channel, e)
               ? -1
               : 0;
}

/* channel-sale: {"sku", "location"?, "qty" > 0, "channel"?}. */
static void channel_sale(httpd_req *r, void *ud)
{
    c7server *s = ud;
    static const char *const keys[] = {"sku", "location", "qty", "channel", NULL};
    cJSON *v = mockd_body(r, keys);
    if (!v)
        return;
    c7channel_sale_in in;
    json_err e;
    if (c7control_read_channel_sale(v, &in, &e) != 0) {
        httpd_reply_error(r, 400, e.msg);
    } else {
        c7result res = {0};
        c7world_channel_sale(s->w, in.sku, in.location, in.qty, in.channel, &res);
        reply_result(r, &res);
    }
    cJSON_Delete(v);
}

int c7control_read_adjust(const cJSON *v, c7adjust_in *in, json_err *e)
{
    *in = (c7adjust_in){NULL, NULL, NULL, NULL, 0, "stock take"};
    if (json_get_str(v, "$", "sku", JSON_REQUIRED, &in->sku, e) ||
        json_get_str(v, "$", "location", JSON_OPTIONAL, &in->location, e) ||
        json_get_str(v, "$", "bin", JSON_OPTIONAL, &in->bin, e) ||
        json_get_str(v, "$", "batch", JSON_OPTIONAL, &in->batch, e) ||
        get_qty(v, "on_hand", 0, &in->on_hand, e) ||
        json_get_str(v, "$", "reason", JSON_OPTIONAL, &in->reason, e))
        return -1;
    if (in->bin && !*in->bin)
        in->bin = NULL;
    if (in->batch && !*in->batch)
        in->batch = NULL;
    return 0;
}

/* adjust (a stock take): {"sku", "location"?, "bin"?, "batch"?, "on_hand" >= 0, "reason"?}. */
static void adjust(httpd_req *r, void *ud)
{
    c7server *s = ud;
    static const char *const keys[] = {"sku", "location", "bin", "batch", "on_hand", "reason", NULL};
    cJSON *v = mockd_body(r, keys);
    if (!v)
        return;
    c7adjust_in in;
    json_err e;
    if (c7control_read_adjust(v, &in, &e) != 0) {
        httpd_reply_error(r, 400, e.msg);
    } else {
        c7result res = {0};
        c7world_adjust(s->w, in.sku, in.location, in.bin, in.batch, in.on_hand, in.reason, &res);
        reply_result(r, &res);
    }
    cJSON_Delete(v);
}

/* product_edit: a purchasing user edits a product in Cin7's screens,
 * {"sku", "fields": {...}} (product_in.h); PUT product's effect under no
 * application. */
static void product_edit(httpd_req *r, void *ud)
{
    c7server *s = ud;
    static const char *const keys[] = {"sku", "fields", NULL};
    cJSON *v = mockd_body(r, keys);
    if (!v)
        return;
    const char *sku;
    c7product_edit ed;
    json_err e;
    if (c7product_read_edit(v, &sku, &ed, &e) != 0) {
        httpd_reply_error(r, 400, e.msg);
    } else {
        c7result res = {0};
        c7world_product_update(s->w, NULL, sku, &ed, NULL, &res);
        reply_result(r, &res);
    }
    cJSON_Delete(v);
}

void c7control_routes(c7server *s, httpd *srv)
{
    httpd_route(srv, "POST", "/_mock/approve", approve, s);
    httpd_route(srv, "POST", "/_mock/void", void_sale, s);
    httpd_route(srv, "POST", "/_mock/receive", receive, s);
    httpd_route(srv, "POST", "/_mock/channel-sale", channel_sale, s);
    httpd_route(srv, "POST", "/_mock/adjust", adjust, s);
    httpd_route(srv, "POST", "/_mock/product_edit", product_edit, s);
}
