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

#include "mem.h"
#include "sbuf.h"

#include <string.h>

static void reply_error(httpd_req *r, int status, const char *msg)
{
    sbuf b = SBUF_INIT;
    sbuf_puts(&b, "{\"error\":");
    sbuf_json_str(&b, msg);
    sbuf_putc(&b, '}');
    httpd_reply_json_text(r, status, sbuf_str(&b));
    sbuf_free(&b);
}

static void reply_result(httpd_req *r, c7result *res)
{
    if (res->body) {
        httpd_reply_take(r, res->status, "application/json; charset=utf-8", res->body,
                         strlen(res->body));
        res->body = NULL;
    } else {
        reply_error(r, res->status, res->error);
    }
}

/* The body as an object with only the given keys, or NULL after a 400. */
static cJSON *body_of(httpd_req *r, const char *const *keys)
{
    size_t len;
    const char *text = httpd_body(r, &len);
    json_err e;
    cJSON *v = json_parse(text, len, &e);
    if (!v || json_only_keys(v, "$", keys, &e) != 0) {
        reply_error(r, 400, e.msg);
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

/* {"id": "<purchase GUID>"} (or "ID") for approve and receive. */
static const char *purchase_id(httpd_req *r, cJSON *v)
{
    const char *id = NULL;
    json_err e;
    if (json_get_str(v, "$", "id", JSON_OPTIONAL, &id, &e) ||
        (!id && json_get_str(v, "$", "ID", JSON_REQUIRED, &id, &e))) {
        reply_error(r, 400, e.msg);
        return NULL;
    }
    return id;
}

static void approve(httpd_req *r, void *ud)
{
    c7server *s = ud;
    static const char *const keys[] = {"id", "ID", NULL};
    cJSON *v = body_of(r, keys);
    if (!v)
        return;
    const char *id = purchase_id(r, v);
    if (id) {
        c7result res = {0};
        c7world_approve(s->w, id, &res);
        reply_result(r, &res);
    }
    cJSON_Delete(v);
}

static void receive(httpd_req *r, void *ud)
{
    c7server *s = ud;
    static const char *const keys[] = {"id", "ID", NULL};
    cJSON *v = body_of(r, keys);
    if (!v)
        return;
    const char *id = purchase_id(r, v);
    if (id) {
        c7result res = {0};
        c7world_receive_now(s->w, id, &res);
        reply_result(r, &res);
    }
    cJSON_Delete(v);
}

static void channel_sale(httpd_req *r, void *ud)
{
    c7server *s = ud;
    static const char *const keys[] = {"sku", "location", "qty", "channel", NULL};
    cJSON *v = body_of(r, keys);
    if (!v)
        return;
    const char *sku = NULL, *loc = NULL, *channel = "other";
    int64_t qty = 0;
    json_err e;
    if (json_get_str(v, "$", "sku", JSON_REQUIRED, &sku, &e) ||
        json_get_str(v, "$", "location", JSON_OPTIONAL, &loc, &e) ||
        json_get_int(v, "$", "qty", JSON_REQUIRED, 1, 1000000000, &qty, &e) ||
        json_get_str(v, "$", "channel", JSON_OPTIONAL, &channel, &e)) {
        reply_error(r, 400, e.msg);
    } else {
        c7result res = {0};
        c7world_channel_sale(s->w, sku, loc, qty, channel, &res);
        reply_result(r, &res);
    }
    cJSON_Delete(v);
}

static void adjust(httpd_req *r, void *ud)
{
    c7server *s = ud;
    static const char *const keys[] = {"sku", "location", "on_hand", "reason", NULL};
    cJSON *v = body_of(r, keys);
    if (!v)
        return;
    const char *sku = NULL, *loc = NULL, *reason = "stock take";
    int64_t on_hand = 0;
    json_err e;
    if (json_get_str(v, "$", "sku", JSON_REQUIRED, &sku, &e) ||
        json_get_str(v, "$", "location", JSON_OPTIONAL, &loc, &e) ||
        json_get_int(v, "$", "on_hand", JSON_REQUIRED, 0, 1000000000, &on_hand, &e) ||
        json_get_str(v, "$", "reason", JSON_OPTIONAL, &reason, &e)) {
        reply_error(r, 400, e.msg);
    } else {
        c7result res = {0};
        c7world_adjust(s->w, sku, loc, on_hand, reason, &res);
        reply_result(r, &res);
    }
    cJSON_Delete(v);
}

void c7control_routes(c7server *s, httpd *srv)
{
    httpd_route(srv, "POST", "/_mock/approve", approve, s);
    httpd_route(srv, "POST", "/_mock/receive", receive, s);
    httpd_route(srv, "POST", "/_mock/channel-sale", channel_sale, s);
    httpd_route(srv, "POST", "/_mock/adjust", adjust, s);
}
