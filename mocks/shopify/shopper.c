/* Shopper routes of mock-shopify; see shopper.h. Bodies are checked field
 * by field (unknown keys refused, errors name the JSON path) before the
 * world is touched. */
#include "shopper.h"

#include "catalog.h"
#include "json.h"
#include "mem.h"
#include "mockd.h"
#include "res.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The shop a body names ($.shop, a domain), or the first; answers 404 when
 * there is no such shop. World lock held. */
static ws_shop *shop_of(world *w, httpd_req *r, const cJSON *body)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(body, "shop");
    ws_shop *shop = NULL;
    if (cJSON_IsString(s))
        shop = world_shop_by_domain(w, s->valuestring);
    else if (!s || cJSON_IsNull(s))
        shop = world_shop_at(w, 0);
    if (!shop) {
        char msg[160];
        snprintf(msg, sizeof msg, "$.shop: no shop \"%.100s\"",
                 cJSON_IsString(s) ? s->valuestring : "(not a string)");
        httpd_reply_error(r, 404, msg);
    }
    return shop;
}

static int id_of(const cJSON *v, int64_t *out)
{
    if (cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble < 9.0e15 &&
        v->valuedouble == (double)(int64_t)v->valuedouble) {
        *out = (int64_t)v->valuedouble;
        return 0;
    }
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        const char *slash = strrchr(s, '/');
        if (strncmp(s, "gid://shopify/Order/", 20) == 0 && slash)
            s = slash + 1;
        char *end;
        long long x = strtoll(s, &end, 10);
        if (*s && !*end && x > 0) {
            *out = x;
            return 0;
        }
    }
    return -1;
}

static void h_checkout(httpd_req *r, void *ud)
{
    world *w = ud;
    static const char *const keys[] = {"shop", "lines", "shipping_address", "email",
                                       "financial_status", "pay_after", NULL};
    cJSON *b = mockd_body(r, keys);
    if (!b)
        return;
    json_err e;
    const cJSON *lines = NULL, *addr = NULL;
    const char *email = NULL, *fin = NULL;
    int64_t pay_after = -1;
    world_line_req *req_lines = NULL;
    if (json_get_arr(b, "$", "lines", JSON_REQUIRED, &lines, &e) != 0 ||
        json_get_obj(b, "$", "shipping_address", 0, &addr, &e) != 0 ||
        json_get_str(b, "$", "email", 0, &email, &e) != 0 ||
        json_get_str(b, "$", "financial_status", 0, &fin, &e) != 0 ||
        json_get_duration(b, "$", "pay_after", 0, &pay_after, &e) != 0) {
        httpd_reply_error(r, 400, e.msg);
        goto out;
    }
    int pay = -1;
    if (fin) {
        if (strcmp(fin, "paid") != 0 && strcmp(fin, "pending") != 0) {
            httpd_reply_error(r, 400, "$.financial_status: expected \"paid\" or \"pending\"");
            goto out;
        }
        pay = strcmp(fin, "paid") == 0;
    }
    size_t n = (size_t)cJSON_GetArraySize(lines);
    if (n > 250) {
        httpd_reply_error(r, 400, "$.lines: at most 250 lines");
        goto out;
    }
    req_lines = xcalloc(n ? n : 1, sizeof *req_lines);
    const cJSON *it;
    size_t i = 0;
    cJSON_ArrayForEach(it, lines)
    {
        static const char *const lkeys[] = {"sku", "qty", NULL};
        char p[64];
        json_path_index(p, sizeof p, "$.lines", i);
        if (json_only_keys(it, p, lkeys, &e) != 0 ||
            json_get_str(it, p, "sku", JSON_REQUIRED, &req_lines[i].sku, &e) != 0 ||
            json_get_int(it, p, "qty", JSON_REQUIRED, 1, 1000000, &req_lines[i].qty, &e) != 0) {
            httpd_reply_error(r, 400, e.msg);
            goto out;
        }
        i++;
    }
    world_checkout_req req = {.lines = req_lines, .n_lines = n, .shipping_address = addr,
                              .email = email, .pay = pay, .pay_after_ms = pay_after};
    world_lock(w);
    ws_shop *s = shop_of(w, r, b);
    cJSON *ans = NULL;
    int rc = s ? world_checkout(w, s, &req, &ans, &e) : 0;
    world_unlock(w);
    if (!s) {
        /* shop_of answered */
    } else if (rc != 0) {
        httpd_reply_error(r, 400, e.msg);
    } else {
        httpd_reply_json(r, 200, ans);
        cJSON_Delete(ans);
    }
out:
    free(req_lines);
    cJSON_Delete(b);
}

/* The order a body names; answers and returns NULL when there is none.
 * World lock held. */
static ws_order *order_of(world *w, httpd_req *r, const cJSON *b, ws_shop **shop)
{
    ws_shop *s = shop_of(w, r, b);
    if (!s)
        return NULL;
    int64_t id;
    if (id_of(cJSON_GetObjectItemCaseSensitive(b, "order_id"), &id) != 0) {
        httpd_reply_error(r, 400, "$.order_id: expected an order id (number, string or gid)");
        return NULL;
    }
    ws_order *o = world_order_by_id(s, id);
    if (!o) {
        char msg[128];
        snprintf(msg, sizeof msg, "$.order_id: no order %lld in %s", (long long)id, s->domain);
        httpd_reply_error(r, 404, msg);
        return NULL;
    }
    *shop = s;
    return o;
}

/* Answers a merchant's action on an order once the world lock is released:
 * 409 naming why the world refused it (rc != 0), or 200 with
 * {"result": result, key: out}; out is consumed. */
static void reply_action(httpd_req *r, int rc, const json_err *e, const char *result,
                         const char *key, cJSON *out)
{
    if (rc != 0) {
        httpd_reply_error(r, 409, e->msg);
        return;
    }
    cJSON *ans = cJSON_CreateObject();
    cJSON_AddStringToObject(ans, "result", result);
    cJSON_AddItemToObject(ans, key, out);
    httpd_reply_json(r, 200, ans);
    cJSON_Delete(ans);
}

static void h_cancel(httpd_req *r, void *ud)
{
    world *w = ud;
    static const char *const keys[] = {"shop", "order_id", "restock", "reason", NULL};
    cJSON *b = mockd_body(r, keys);
    if (!b)
        return;
    json_err e;
    int restock = 1;
    const char *reason = NULL;
    if (json_get_bool(b, "$", "restock", 0, &restock, &e) != 0 ||
        json_get_str(b, "$", "reason", 0, &reason, &e) != 0) {
        httpd_reply_error(r, 400, e.msg);
        cJSON_Delete(b);
        return;
    }
    world_lock(w);
    ws_shop *s;
    ws_order *o = order_of(w, r, b, &s);
    cJSON *res = NULL;
    int rc = o ? world_cancel(w, s, o, restock, 0, reason, "shopper", &res, &e) : 0;
    world_unlock(w);
    if (o)
        reply_action(r, rc, &e, "cancelled", "order", res);
    cJSON_Delete(b);
}

static void h_refund(httpd_req *r, void *ud)
{
    world *w = ud;
    static const char *const keys[] = {"shop", "order_id", "lines", "restock", "note", NULL};
    cJSON *b = mockd_body(r, keys);
    if (!b)
        return;
    json_err e;
    int restock = 1;
    const char *note = NULL;
    const cJSON *lines = NULL;
    world_refund_line *rl = NULL;
    size_t n = 0;
    if (json_get_bool(b, "$", "restock", 0, &restock, &e) != 0 ||
        json_get_str(b, "$", "note", 0, &note, &e) != 0 ||
        json_get_arr(b, "$", "lines", 0, &lines, &e) != 0) {
        httpd_reply_error(r, 400, e.msg);
        goto out;
    }
    if (lines) {
        size_t cnt = (size_t)cJSON_GetArraySize(lines);
        rl = xcalloc(cnt ? cnt : 1, sizeof *rl);
        const cJSON *it;
        cJSON_ArrayForEach(it, lines)
        {
            static const char *const lkeys[] = {"sku", "line_item_id", "qty", NULL};
            char p[64];
            json_path_index(p, sizeof p, "$.lines", n);
            if (json_only_keys(it, p, lkeys, &e) != 0 ||
                json_get_str(it, p, "sku", 0, &rl[n].sku, &e) != 0 ||
                json_get_int(it, p, "line_item_id", 0, 1, INT64_C(9000000000000000), &rl[n].line_id,
                             &e) != 0 ||
                json_get_int(it, p, "qty", JSON_REQUIRED, 1, 1000000, &rl[n].qty, &e) != 0) {
                httpd_reply_error(r, 400, e.msg);
                goto out;
            }
            if (!rl[n].sku && !rl[n].line_id) {
                char msg[96];
                snprintf(msg, sizeof msg, "%s: give sku or line_item_id", p);
                httpd_reply_error(r, 400, msg);
                goto out;
            }
            n++;
        }
    }
    world_lock(w);
    ws_shop *s;
    ws_order *o = order_of(w, r, b, &s);
    cJSON *res = NULL;
    int rc = o ? world_refund(w, s, o, rl, n, restock, note, &res, &e) : 0;
    world_unlock(w);
    if (o)
        reply_action(r, rc, &e, "refunded", "refund", res);
out:
    free(rl);
    cJSON_Delete(b);
}

/* A merchandiser edits a product in the Shopify admin: {"shop"?, "sku",
 * "fields"} (catalog.h). The edit is journaled with by null and delivers
 * products/update, as an app's would. */
static void h_product_edit(httpd_req *r, void *ud)
{
    world *w = ud;
    static const char *const keys[] = {"shop", "sku", "fields", NULL};
    cJSON *b = mockd_body(r, keys);
    if (!b)
        return;
    const char *sku;
    world_edit e;
    json_err je;
    if (catalog_read_edit(b, &sku, &e, &je) != 0) {
        httpd_reply_error(r, 400, je.msg);
        cJSON_Delete(b);
        return;
    }
    world_lock(w);
    ws_shop *s = shop_of(w, r, b);
    ws_variant *v = s ? world_variant_by_sku(s, sku) : NULL;
    cJSON *res = NULL;
    if (v) {
        ws_product *p = &s->products[v->product];
        int variant = e.has_price || e.has_compare_at || e.has_barcode || e.has_cost || e.has_weight;
        world_product_edit(w, s, p, &e, variant ? &v : NULL, variant ? &e : NULL, variant ? 1 : 0,
                           NULL);
        res = res_product(s, p);
    }
    world_unlock(w);
    if (res) {
        reply_action(r, 0, NULL, "edited", "product", res);
    } else if (s) {
        char msg[160];
        snprintf(msg, sizeof msg, "$.sku: no variant with SKU \"%.100s\"", sku);
        httpd_reply_error(r, 400, msg);
    }
    cJSON_Delete(b);
}

void shopper_routes(world *w, httpd *srv)
{
    httpd_route(srv, "POST", "/_mock/checkout", h_checkout, w);
    httpd_route(srv, "POST", "/_mock/cancel", h_cancel, w);
    httpd_route(srv, "POST", "/_mock/refund", h_refund, w);
    httpd_route(srv, "POST", "/_mock/product_edit", h_product_edit, w);
}
