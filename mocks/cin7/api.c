/*
 * mock-cin7's Cin7 Core API v2; see api.h. Handlers read the query string
 * (parameter names in any case, as Cin7 reads them) or the JSON body into
 * the world's inputs, checking every field first so that a request with one
 * bad line changes nothing, then make one world call and send its result.
 * Unknown body fields are ignored, as Cin7 ignores them: real clients send
 * whole documents back. PUT product, whose fields the reference lists,
 * refuses only keys its product does not have (product_in.h).
 */
#include "api.h"
#include "product_in.h"

#include "clock.h"
#include "mem.h"
#include "sbuf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BASE "/ExternalApi/v2/"

/* The application the filter admitted, for the handler that runs right
 * after it on the same thread (httpd dispatches filter and handler in one
 * call); mockd keeps its own copy for the request's journal entry. */
static _Thread_local char current_client[128];

char *c7api_error_text(int status, const char *msg)
{
    sbuf b = SBUF_INIT;
    sbuf_printf(&b, "[{\"ErrorCode\":%d,\"Exception\":", status);
    sbuf_json_str(&b, msg);
    sbuf_puts(&b, "}]");
    return sbuf_take(&b);
}

static void reply_error(httpd_req *r, int status, const char *msg)
{
    char *body = c7api_error_text(status, msg);
    httpd_reply_take(r, status, "application/json; charset=utf-8", body, strlen(body));
}

/* A json_err message without the "$." of its path: "Order.Lines[0].SKU: ...". */
static void reply_json_err(httpd_req *r, const json_err *e)
{
    const char *m = e->msg;
    if (strncmp(m, "$.", 2) == 0)
        m += 2;
    else if (strncmp(m, "$: ", 3) == 0)
        m += 3;
    else if (m[0] == '$')
        m += 1;
    reply_error(r, 400, m);
}

void c7api_reply(httpd_req *r, c7result *res)
{
    if (res->body) {
        httpd_reply_take(r, res->status, "application/json; charset=utf-8", res->body,
                         strlen(res->body));
        res->body = NULL;
    } else {
        reply_error(r, res->status ? res->status : 500, res->error);
    }
}

/* ---- admission ---------------------------------------------------------------- */

static int is_api_path(const char *path)
{
    return strncasecmp(path, "/ExternalApi/", 13) == 0;
}

int c7api_filter(c7server *s, httpd_req *r)
{
    current_client[0] = '\0';
    if (!is_api_path(httpd_path(r)))
        return 0;
    char msg[256];
    int status = c7world_admit(s->w, httpd_header(r, "api-auth-accountid"),
                               httpd_header(r, "api-auth-applicationkey"), mockd_throttle(s->m, r),
                               current_client, sizeof current_client, msg, sizeof msg);
    if (current_client[0])
        mockd_set_client(r, current_client);
    if (status == 0)
        return 0;
    reply_error(r, status, msg);
    return 1;
}

/* ---- query strings --------------------------------------------------------------- */

static const char *qarg(httpd_req *r, const char *name)
{
    const char *v = httpd_query_ci(r, name);
    return v && *v ? v : NULL;
}

/* A query parameter the route cannot do without, or NULL after a 400. */
static const char *required_arg(httpd_req *r, const char *name)
{
    const char *v = qarg(r, name);
    if (!v) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s: required query parameter is missing", name);
        reply_error(r, 400, msg);
    }
    return v;
}

static int q_bool(httpd_req *r, const char *name, int *out, char *err, size_t n)
{
    const char *v = qarg(r, name);
    if (!v)
        return 0;
    if (strcasecmp(v, "true") == 0)
        *out = 1;
    else if (strcasecmp(v, "false") == 0)
        *out = 0;
    else {
        snprintf(err, n, "%s: expected true or false, got '%s'", name, v);
        return -1;
    }
    return 0;
}

static int q_date(httpd_req *r, const char *name, int64_t *out, char *err, size_t n)
{
    const char *v = qarg(r, name);
    if (!v)
        return 0;
    if (clock_parse_iso(v, out) != 0) {
        snprintf(err, n, "%s: expected a date such as 2026-11-23T22:10:29.123 (UTC), got '%s'",
                 name, v);
        return -1;
    }
    return 0;
}

static int q_count(httpd_req *r, const char *name, int64_t *out, char *err, size_t n)
{
    const char *v = qarg(r, name);
    if (!v)
        return 0;
    char *end;
    long long x = strtoll(v, &end, 10);
    if (*end || x < 1 || x > 1000000000) {
        snprintf(err, n, "%s: expected a whole number of at least 1, got '%s'", name, v);
        return -1;
    }
    *out = x;
    return 0;
}

/* Reads the parameters every list takes; answers 400 and returns -1 on a
 * bad one. Limit above 1000 is taken as 1000, Cin7's largest page. */
static int read_query(httpd_req *r, c7query *q)
{
    memset(q, 0, sizeof *q);
    q->page = 1;
    q->limit = 100;
    q->updated_since_ms = q->created_since_ms = INT64_MIN;
    char err[256];
    if (q_count(r, "Page", &q->page, err, sizeof err) ||
        q_count(r, "Limit", &q->limit, err, sizeof err) ||
        q_date(r, "UpdatedSince", &q->updated_since_ms, err, sizeof err) ||
        q_date(r, "CreatedSince", &q->created_since_ms, err, sizeof err) ||
        q_bool(r, "IncludeSuppliers", &q->include_suppliers, err, sizeof err) ||
        q_bool(r, "IncludeReorderLevels", &q->include_reorder_levels, err, sizeof err) ||
        q_bool(r, "IncludeBOM", &q->include_bom, err, sizeof err) ||
        q_bool(r, "IncludeDeprecated", &q->include_deprecated, err, sizeof err)) {
        reply_error(r, 400, err);
        return -1;
    }
    if (q->updated_since_ms == INT64_MIN &&
        q_date(r, "ModifiedSince", &q->updated_since_ms, err, sizeof err)) {
        reply_error(r, 400, err);
        return -1;
    }
    if (q->limit > 1000)
        q->limit = 1000;
    q->id = qarg(r, "ID");
    q->name = qarg(r, "Name");
    q->sku = qarg(r, "Sku");
    q->location = qarg(r, "Location");
    q->batch = qarg(r, "Batch");
    q->search = qarg(r, "Search");
    q->status = qarg(r, "Status");
    q->order_status = qarg(r, "OrderStatus");
    q->quote_status = qarg(r, "QuoteStatus");
    q->shipping_status = qarg(r, "CombinedShippingStatus");
    q->external_id = qarg(r, "ExternalID");
    return 0;
}

/* ---- bodies ------------------------------------------------------------------------ */

/* The body as a JSON object, or NULL after answering 400. */
static cJSON *body_object(httpd_req *r)
{
    size_t len;
    const char *text = httpd_body(r, &len);
    if (len == 0) {
        reply_error(r, 400, "The request body is empty: expected a JSON object");
        return NULL;
    }
    json_err e;
    cJSON *v = json_parse(text, len, &e);
    if (!v) {
        char msg[600];
        snprintf(msg, sizeof msg, "The request body is not valid JSON: %s", e.msg);
        reply_error(r, 400, msg);
        return NULL;
    }
    if (!cJSON_IsObject(v)) {
        reply_error(r, 400, "The request body must be a JSON object");
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

/* An optional string that may also be null; empty strings count as absent
 * where absent is allowed, as Cin7 treats them. */
static int opt_str(const cJSON *o, const char *path, const char *key, const char **out,
                   json_err *e)
{
    if (json_get_str(o, path, key, JSON_OPTIONAL, out, e))
        return -1;
    if (*out && !**out)
        *out = NULL;
    if (*out && strlen(*out) > 4096) {
        char p[256];
        json_path_key(p, sizeof p, path, key);
        return json_fail(e, p, "longer than 4096 characters");
    }
    return 0;
}

static int opt_date(const cJSON *o, const char *path, const char *key, int *has, int64_t *out,
                    json_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        return 0;
    *has = 1;
    if (cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring)) {
        *out = -1;
        return 0;
    }
    char p[256];
    json_path_key(p, sizeof p, path, key);
    if (!cJSON_IsString(v) || clock_parse_iso(v->valuestring, out) != 0)
        return json_fail(e, p, "expected a date such as 2026-11-30T00:00:00 (UTC) or null");
    return 0;
}

/* Refuses lines in a document's header: Cin7 takes them only through the
 * document's order (and quote) endpoints. The reference gives POST sale no
 * body schema and POST advanced-purchase none with lines; the strict
 * reading, which protects an integration, refuses them rather than ignore
 * them. */
static int no_lines(const cJSON *v, const char *doc, const char *where, json_err *e)
{
    static const char *const keys[] = {"Order", "Quote", "Lines", NULL};
    for (size_t i = 0; keys[i]; i++)
        if (cJSON_GetObjectItemCaseSensitive(v, keys[i])) {
            char p[64];
            snprintf(p, sizeof p, "$.%s", keys[i]);
            return json_fail(e, p, "POST %s creates the header only: lines go through %s", doc,
                             where);
        }
    return 0;
}

/* ---- handler shapes: every list, GET, DELETE and order POST -------------------- */

typedef void (*query_fn)(c7world *w, const c7query *q, c7result *out);

static void run_query(httpd_req *r, c7server *s, query_fn fn)
{
    c7query q;
    if (read_query(r, &q))
        return;
    c7result res = {0};
    fn(s->w, &q, &res);
    c7api_reply(r, &res);
}

typedef void (*delete_fn)(c7world *w, const char *id, const char *client, c7result *out);

/* Void=true voids; Cin7's undo (Void=false) is not simulated. */
static int want_void(httpd_req *r)
{
    int v = 0;
    char err[128];
    if (q_bool(r, "Void", &v, err, sizeof err) != 0) {
        reply_error(r, 400, err);
        return 0;
    }
    if (!v) {
        reply_error(r, 400, "Void: only Void=true is supported by the mock (undo is not simulated)");
        return 0;
    }
    return 1;
}

/* DELETE of the document ?ID= names; sales and purchases (voided, not
 * deleted) also take Void=true. */
static void delete_one(httpd_req *r, c7server *s, delete_fn fn, int voids)
{
    const char *id = required_arg(r, "ID");
    if (!id || (voids && !want_void(r)))
        return;
    c7result res = {0};
    fn(s->w, id, current_client, &res);
    c7api_reply(r, &res);
}

/* POST sale/quote, sale/order and purchase/order: the document's id under
 * key and the section at the top level (lines.h). */
static void post_section(httpd_req *r, c7server *s, const char *key, int kind)
{
    cJSON *v = body_object(r);
    if (!v)
        return;
    c7order_in o = {0};
    const char *id = NULL;
    json_err e;
    if (json_get_str(v, "$", key, JSON_REQUIRED, &id, &e) || c7lines_read(v, kind, &o, &e)) {
        reply_json_err(r, &e);
    } else {
        c7result res = {0};
        if (kind == C7LINES_PURCHASE_ORDER)
            c7world_purchase_order(s->w, id, &o, current_client, &res);
        else
            c7world_sale_section(s->w, id, kind == C7LINES_QUOTE, &o, current_client, &res);
        c7api_reply(r, &res);
    }
    c7lines_free(&o);
    cJSON_Delete(v);
}

/* ---- catalog ---------------------------------------------------------------------- */

static void get_me(httpd_req *r, void *ud)
{
    c7server *s = ud;
    c7result res = {0};
    c7world_me(s->w, &res);
    c7api_reply(r, &res);
}

static void get_availability(httpd_req *r, void *ud)
{
    run_query(r, ud, c7world_availability);
}

static void get_products(httpd_req *r, void *ud)
{
    run_query(r, ud, c7world_products);
}

/* PUT product: the reader checks the body whole (product_in.h), then one
 * world call edits the product the ID names. */
static void put_product(httpd_req *r, void *ud)
{
    c7server *s = ud;
    cJSON *v = body_object(r);
    if (!v)
        return;
    c7product_put in;
    json_err e;
    if (c7product_read_put(v, &in, &e)) {
        reply_json_err(r, &e);
    } else {
        c7result res = {0};
        c7world_product_update(s->w, in.id, in.sku, &in.ed, current_client[0] ? current_client : NULL,
                               &res);
        c7api_reply(r, &res);
    }
    cJSON_Delete(v);
}

static void get_suppliers(httpd_req *r, void *ud)
{
    run_query(r, ud, c7world_suppliers);
}

static void get_locations(httpd_req *r, void *ud)
{
    run_query(r, ud, c7world_locations);
}

static void get_purchase_list(httpd_req *r, void *ud)
{
    run_query(r, ud, c7world_purchase_list);
}

static void get_sale_list(httpd_req *r, void *ud)
{
    run_query(r, ud, c7world_sale_list);
}

static void get_customers(httpd_req *r, void *ud)
{
    run_query(r, ud, c7world_customers);
}

static void get_taxes(httpd_req *r, void *ud)
{
    run_query(r, ud, c7world_taxes);
}

/* ---- purchases ------------------------------------------------------------------- */

int c7api_read_purchase(const cJSON *v, int advanced, c7purchase_in *in, json_err *e)
{
    memset(in, 0, sizeof *in);
    in->client = current_client[0] ? current_client : NULL;
    in->advanced = advanced;
    if (opt_str(v, "$", "ID", &in->id, e) || opt_str(v, "$", "SupplierID", &in->supplier_id, e) ||
        opt_str(v, "$", "Supplier", &in->supplier, e) ||
        opt_str(v, "$", "Location", &in->location, e) || opt_str(v, "$", "Terms", &in->terms, e) ||
        opt_str(v, "$", "Note", &in->note, e) || opt_str(v, "$", "Approach", &in->approach, e) ||
        opt_date(v, "$", "RequiredBy", &in->has_required_by, &in->required_by_ms, e) ||
        no_lines(v, advanced ? "advanced-purchase" : "purchase", "POST purchase/order", e))
        return -1;
    if (in->approach) {
        if (strcasecmp(in->approach, "STOCK") == 0)
            in->approach = "STOCK";
        else if (strcasecmp(in->approach, "INVOICE") == 0)
            in->approach = "INVOICE";
        else
            return json_fail(e, "$.Approach", "expected STOCK or INVOICE, got '%s'", in->approach);
    }
    return 0;
}

/* POST creates; PUT changes the one its ID names. */
static void write_purchase(httpd_req *r, c7server *s, int create, int advanced)
{
    cJSON *v = body_object(r);
    if (!v)
        return;
    c7purchase_in in;
    json_err e;
    if (c7api_read_purchase(v, advanced, &in, &e)) {
        reply_json_err(r, &e);
    } else if (!create && !in.id) {
        reply_error(r, 400, "ID: required field is missing");
    } else {
        c7result res = {0};
        if (create)
            c7world_purchase_create(s->w, &in, &res);
        else
            c7world_purchase_update(s->w, &in, &res);
        c7api_reply(r, &res);
    }
    cJSON_Delete(v);
}

static void post_purchase(httpd_req *r, void *ud)
{
    write_purchase(r, ud, 1, 0);
}

static void put_purchase(httpd_req *r, void *ud)
{
    write_purchase(r, ud, 0, 0);
}

static void post_advanced_purchase(httpd_req *r, void *ud)
{
    write_purchase(r, ud, 1, 1);
}

static void put_advanced_purchase(httpd_req *r, void *ud)
{
    write_purchase(r, ud, 0, 1);
}

/* GET of a purchase part by the query parameter param. */
static void get_purchase_part(httpd_req *r, c7server *s, const char *param, int what, int advanced)
{
    const char *id = required_arg(r, param);
    if (!id)
        return;
    c7result res = {0};
    c7world_purchase_get(s->w, id, what, advanced, &res);
    c7api_reply(r, &res);
}

static void get_purchase(httpd_req *r, void *ud)
{
    get_purchase_part(r, ud, "ID", C7_GET_DOC, 0);
}

static void get_advanced_purchase(httpd_req *r, void *ud)
{
    get_purchase_part(r, ud, "ID", C7_GET_DOC, 1);
}

static void get_purchase_stock(httpd_req *r, void *ud)
{
    get_purchase_part(r, ud, "TaskID", C7_GET_STOCK, 0);
}

static void get_advanced_purchase_stock(httpd_req *r, void *ud)
{
    get_purchase_part(r, ud, "PurchaseID", C7_GET_STOCK, 1);
}

static void get_purchase_order(httpd_req *r, void *ud)
{
    get_purchase_part(r, ud, "TaskID", C7_GET_ORDER, 0);
}

static void delete_purchase(httpd_req *r, void *ud)
{
    delete_one(r, ud, c7world_purchase_void, 1);
}

static void post_purchase_order(httpd_req *r, void *ud)
{
    post_section(r, ud, "TaskID", C7LINES_PURCHASE_ORDER);
}

/* ---- sales ------------------------------------------------------------------------ */

/* Type: "Simple Sale" or "Advanced Sale" as Cin7 answers it, "Simple" or
 * "Advanced" as it is also written (any case). */
static int sale_type(const char *t, int *out)
{
    static const char *const names[][2] = {{"Simple", "Simple Sale"}, {"Advanced", "Advanced Sale"}};
    for (int i = 0; i < 2; i++)
        if (strcasecmp(t, names[i][0]) == 0 || strcasecmp(t, names[i][1]) == 0) {
            *out = i;
            return 0;
        }
    return -1;
}

int c7api_read_sale(const cJSON *v, c7sale_in *in, json_err *e)
{
    memset(in, 0, sizeof *in);
    in->ship_by_ms = -1;
    in->client = current_client[0] ? current_client : NULL;
    int has_ship_by = 0;
    const char *type = NULL;
    /* SourceChannel is read-only in Cin7 (the sale's source): ignored. */
    if (opt_str(v, "$", "Customer", &in->customer, e) ||
        opt_str(v, "$", "CustomerID", &in->customer_id, e) ||
        opt_str(v, "$", "Location", &in->location, e) ||
        opt_str(v, "$", "CustomerReference", &in->customer_reference, e) ||
        opt_str(v, "$", "ExternalID", &in->external_id, e) ||
        opt_str(v, "$", "Note", &in->note, e) || opt_str(v, "$", "Type", &type, e) ||
        json_get_bool(v, "$", "SkipQuote", JSON_OPTIONAL, &in->skip_quote, e) ||
        opt_date(v, "$", "ShipBy", &has_ship_by, &in->ship_by_ms, e) ||
        json_get_obj(v, "$", "ShippingAddress", JSON_OPTIONAL, &in->shipping_address, e) ||
        no_lines(v, "sale", "POST sale/quote and POST sale/order", e))
        return -1;
    if (!in->customer && !in->customer_id)
        return json_fail(e, "$.Customer", "required field is missing (or CustomerID)");
    /* The reference's limits: ExternalID is "up to 256 characters", the
     * customer's name 256 (Customer model), a reference 256. */
    if (in->external_id && strlen(in->external_id) > 256)
        return json_fail(e, "$.ExternalID", "longer than 256 characters (Cin7's limit)");
    if (in->customer_reference && strlen(in->customer_reference) > 256)
        return json_fail(e, "$.CustomerReference", "longer than 256 characters (Cin7's limit)");
    if (type && sale_type(type, &in->type) != 0)
        return json_fail(e, "$.Type", "expected Simple or Advanced (Sale), got '%s'", type);
    if (in->shipping_address) {
        const char *s = NULL;
        for (size_t i = 0; i < C7_ADDRESS_FIELDS; i++) {
            int required = i == 0 || i == C7_ADDRESS_FIELDS - 1; /* Line1, Country */
            if (json_get_str(in->shipping_address, "$.ShippingAddress", c7_address_fields[i],
                             required ? JSON_REQUIRED : JSON_OPTIONAL, &s, e))
                return -1;
            if (s && strlen(s) > (i == 4 ? 20u : 256u)) {
                char p[128];
                json_path_key(p, sizeof p, "$.ShippingAddress", c7_address_fields[i]);
                return json_fail(e, p, "longer than %u characters (Cin7's limit)",
                                 i == 4 ? 20u : 256u);
            }
        }
    }
    return 0;
}

static void post_sale(httpd_req *r, void *ud)
{
    c7server *s = ud;
    cJSON *v = body_object(r);
    if (!v)
        return;
    c7sale_in in;
    json_err e;
    if (c7api_read_sale(v, &in, &e)) {
        reply_json_err(r, &e);
    } else {
        c7result res = {0};
        c7world_sale_create(s->w, &in, &res);
        c7api_reply(r, &res);
    }
    cJSON_Delete(v);
}

typedef void (*get_fn)(c7world *w, const char *id, int what, c7result *out);

/* GET of one sale part by the query parameter param. */
static void get_one(httpd_req *r, c7server *s, const char *param, get_fn fn, int what)
{
    const char *id = required_arg(r, param);
    if (!id)
        return;
    c7result res = {0};
    fn(s->w, id, what, &res);
    c7api_reply(r, &res);
}

static void get_sale(httpd_req *r, void *ud)
{
    get_one(r, ud, "ID", c7world_sale_get, C7_GET_DOC);
}

static void delete_sale(httpd_req *r, void *ud)
{
    delete_one(r, ud, c7world_sale_void, 1);
}

static void post_sale_order(httpd_req *r, void *ud)
{
    post_section(r, ud, "SaleID", C7LINES_SALE_ORDER);
}

static void post_sale_quote(httpd_req *r, void *ud)
{
    post_section(r, ud, "SaleID", C7LINES_QUOTE);
}

static void get_sale_order(httpd_req *r, void *ud)
{
    get_one(r, ud, "SaleID", c7world_sale_get, C7_GET_ORDER);
}

static void get_sale_quote(httpd_req *r, void *ud)
{
    get_one(r, ud, "SaleID", c7world_sale_get, C7_GET_QUOTE);
}

/* ---- webhooks -------------------------------------------------------------------- */

int c7api_read_hook(const cJSON *v, int create, c7hook_body *h, json_err *e)
{
    memset(h, 0, sizeof *h);
    c7hook_in *in = &h->in;
    in->active = -1;
    in->client = current_client[0] ? current_client : NULL;
    if (opt_str(v, "$", "ID", &in->id, e) ||
        json_get_str(v, "$", "Type", create, &in->type, e) ||
        json_get_str(v, "$", "ExternalURL", create, &in->url, e) ||
        opt_str(v, "$", "ExternalAuthorizationType", &in->auth, e) ||
        opt_str(v, "$", "ExternalUserName", &in->username, e) ||
        json_get_str(v, "$", "ExternalPassword", JSON_OPTIONAL, &in->password, e) ||
        opt_str(v, "$", "ExternalBearerToken", &in->token, e) ||
        opt_str(v, "$", "Name", &in->name, e) ||
        json_get_bool(v, "$", "IsActive", JSON_OPTIONAL, &in->active, e))
        return -1;
    if (in->type) {
        const char *t = c7config_hook_type(in->type);
        if (!t) {
            sbuf known = SBUF_INIT;
            for (size_t i = 0; c7config_hook_types[i]; i++)
                sbuf_printf(&known, "%s%s", i ? ", " : "", c7config_hook_types[i]);
            json_fail(e, "$.Type", "unknown webhook type '%s' (the reference lists %s)", in->type,
                      sbuf_str(&known));
            sbuf_free(&known);
            return -1;
        }
        in->type = t;
    }
    if (in->url && strncasecmp(in->url, "http://", 7) != 0 && strncasecmp(in->url, "https://", 8) != 0)
        return json_fail(e, "$.ExternalURL", "expected an http:// or https:// URL, got '%s'", in->url);
    if (in->auth) {
        const char *a = c7config_auth_type(in->auth);
        if (!a)
            return json_fail(e, "$.ExternalAuthorizationType",
                             "expected noauth, basicauth or bearerauth, got '%s'", in->auth);
        in->auth = a;
    } else if (create) {
        in->auth = "noauth";
    }
    const cJSON *hs = NULL;
    if (json_get_arr(v, "$", "ExternalHeaders", JSON_OPTIONAL, &hs, e))
        return -1;
    if (hs) {
        size_t n = (size_t)cJSON_GetArraySize(hs);
        if (n > 50)
            return json_fail(e, "$.ExternalHeaders", "more than 50 headers");
        h->keys = xcalloc(n ? n : 1, sizeof *h->keys);
        h->values = xcalloc(n ? n : 1, sizeof *h->values);
        in->has_headers = 1;
        const cJSON *it = NULL;
        cJSON_ArrayForEach(it, hs)
        {
            char p[128];
            json_path_index(p, sizeof p, "$.ExternalHeaders", in->n_headers);
            const char *k = NULL, *val = NULL;
            if (json_get_str(it, p, "Key", JSON_REQUIRED, &k, e) ||
                json_get_str(it, p, "Value", JSON_REQUIRED, &val, e))
                return -1;
            if (!*k || strpbrk(k, ": \t\r\n") || strpbrk(val, "\r\n"))
                return json_fail(e, p, "expected a header name and a one-line value");
            h->keys[in->n_headers] = k;
            h->values[in->n_headers++] = val;
        }
        in->header_keys = h->keys;
        in->header_values = h->values;
    }
    return 0;
}

void c7api_hook_body_free(c7hook_body *h)
{
    free(h->keys);
    free(h->values);
}

static void get_hooks(httpd_req *r, void *ud)
{
    c7server *s = ud;
    c7result res = {0};
    c7world_hooks_list(s->w, &res);
    c7api_reply(r, &res);
}

static void write_hook(httpd_req *r, c7server *s, int create)
{
    cJSON *v = body_object(r);
    if (!v)
        return;
    c7hook_body h;
    json_err e;
    if (c7api_read_hook(v, create, &h, &e)) {
        reply_json_err(r, &e);
    } else if (!create && !h.in.id) {
        reply_error(r, 400, "ID: required field is missing");
    } else {
        c7result res = {0};
        if (create)
            c7world_hook_create(s->w, &h.in, &res);
        else
            c7world_hook_update(s->w, &h.in, &res);
        c7api_reply(r, &res);
    }
    c7api_hook_body_free(&h);
    cJSON_Delete(v);
}

static void post_hook(httpd_req *r, void *ud)
{
    write_hook(r, ud, 1);
}

static void put_hook(httpd_req *r, void *ud)
{
    write_hook(r, ud, 0);
}

static void delete_hook(httpd_req *r, void *ud)
{
    delete_one(r, ud, c7world_hook_delete, 0);
}

/* ---- routing ----------------------------------------------------------------------- */

/* Answers methods a path does not take, in Cin7's shape. */
static void method_not_allowed(httpd_req *r, void *ud)
{
    httpd_add_header(r, "Allow", ud);
    reply_error(r, 405, "The requested resource does not support this HTTP method");
}

static void not_found(httpd_req *r, void *ud)
{
    (void)ud;
    if (is_api_path(httpd_path(r)))
        reply_error(r, 404, "Endpoint not found");
    else
        httpd_reply_json_text(r, 404, "{\"error\":\"not found\"}");
}

typedef struct {
    const char *method;
    const char *path; /* under BASE */
    httpd_handler fn;
} route_def;

static const route_def routes[] = {
    {"GET", "me", get_me},
    {"GET", "ref/productavailability", get_availability},
    {"GET", "product", get_products},
    {"PUT", "product", put_product},
    {"GET", "supplier", get_suppliers},
    {"GET", "ref/location", get_locations},
    {"GET", "ref/tax", get_taxes},
    {"GET", "customer", get_customers},
    {"GET", "advanced-purchase", get_advanced_purchase},
    {"POST", "advanced-purchase", post_advanced_purchase},
    {"PUT", "advanced-purchase", put_advanced_purchase},
    {"DELETE", "advanced-purchase", delete_purchase},
    {"GET", "advanced-purchase/stock", get_advanced_purchase_stock},
    {"GET", "purchase", get_purchase},
    {"POST", "purchase", post_purchase},
    {"PUT", "purchase", put_purchase},
    {"DELETE", "purchase", delete_purchase},
    {"GET", "purchase/order", get_purchase_order},
    {"POST", "purchase/order", post_purchase_order},
    {"GET", "purchase/stock", get_purchase_stock},
    {"GET", "purchaseList", get_purchase_list},
    {"GET", "sale", get_sale},
    {"POST", "sale", post_sale},
    {"DELETE", "sale", delete_sale},
    {"GET", "sale/quote", get_sale_quote},
    {"POST", "sale/quote", post_sale_quote},
    {"GET", "sale/order", get_sale_order},
    {"POST", "sale/order", post_sale_order},
    {"GET", "saleList", get_sale_list},
    {"GET", "webhooks", get_hooks},
    {"POST", "webhooks", post_hook},
    {"PUT", "webhooks", put_hook},
    {"DELETE", "webhooks", delete_hook},
};

/* The Allow lists for the 405 routes, one per distinct path; static
 * storage because httpd keeps the ud pointer. */
static char allow_lists[sizeof routes / sizeof routes[0]][64];

void c7api_routes(c7server *s, httpd *srv)
{
    size_t n = sizeof routes / sizeof routes[0];
    httpd_set_ignore_case(srv, 1);
    httpd_set_not_found(srv, not_found, s);
    httpd_set_too_large_body(srv, "[{\"ErrorCode\":413,\"Exception\":\"The request body is larger than 1 MiB\"}]");
    for (size_t i = 0; i < n; i++) {
        char path[128];
        snprintf(path, sizeof path, BASE "%s", routes[i].path);
        httpd_route(srv, routes[i].method, path, routes[i].fn, s);
    }
    /* After every path's own methods, a catch-all that names them. */
    for (size_t i = 0; i < n; i++) {
        int first = 1;
        for (size_t j = 0; j < i; j++)
            first &= strcmp(routes[j].path, routes[i].path) != 0;
        if (!first)
            continue;
        char *allow = allow_lists[i];
        allow[0] = '\0';
        for (size_t j = i; j < n; j++)
            if (strcmp(routes[j].path, routes[i].path) == 0) {
                size_t len = strlen(allow);
                snprintf(allow + len, sizeof allow_lists[i] - len, "%s%s", len ? ", " : "",
                         routes[j].method);
            }
        char path[128];
        snprintf(path, sizeof path, BASE "%s", routes[i].path);
        httpd_route(srv, "*", path, method_not_allowed, allow);
    }
}
