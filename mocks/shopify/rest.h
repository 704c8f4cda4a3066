/*
 * mock-shopify's REST Admin API: the routes under /admin/api/{version}/
 * (and the same under /shops/{domain}/admin/api/{version}/ for a chosen
 * shop), the request filter that authenticates X-Shopify-Access-Token,
 * echoes the version and enforces the REST leaky bucket, and the helpers the
 * GraphQL endpoint shares (which shop and version a request is for).
 *
 * Answers use Shopify's shapes: {"errors": "..."} or {"errors": {"field":
 * [...]}} with 400, 401, 404, 422, 429; list endpoints page with a Link
 * header carrying page_info, as Shopify does.
 */
#ifndef SURGE_SHOPIFY_REST_H
#define SURGE_SHOPIFY_REST_H

#include <stddef.h>

#include "httpd.h"
#include "limiter.h"
#include "mockd.h"
#include "world.h"

typedef struct rest rest;

/* w, l and m are borrowed for the life of the rest. */
rest *rest_new(world *w, limiter *l, mockd *m);
void rest_free(rest *r); /* accepts NULL */
/* Adds the REST routes; POST .../graphql.json goes to graphql(ud). Also
 * sets Shopify's 404 and 413 bodies. */
void rest_routes(rest *r, httpd *srv, httpd_handler graphql, void *graphql_ud);
/* mock_app.filter: auth, version header, REST bucket. Non-zero: answered. */
int rest_filter(rest *r, httpd_req *req);

/* Splits an Admin API path: "/admin/api/V/tail" or
 * "/shops/D/admin/api/V/tail". Returns 0 with domain ("" when none given),
 * version and *tail (after "V/") set, or -1 when path is not one. */
int rest_api_path(const char *path, char *domain, size_t dn, char *version, size_t vn,
                  const char **tail);
/* The shop a request is for: the base path's domain, else the Host
 * header's, else the first shop. NULL when a base path names no shop.
 * World lock held. */
ws_shop *rest_shop(world *w, const httpd_req *req);
/* The API version that serves the request (the one asked for, or the
 * oldest supported one when it is not supported: Shopify's fall-forward);
 * X-Shopify-API-Version names it. */
void rest_version(world *w, const httpd_req *req, char *out, size_t n);
/* {"errors": msg} with status. */
void rest_error(httpd_req *req, int status, const char *msg);
/* Shopify's message for an error status (Shopify's own words for 401 and
 * 429, the reason phrase for the others, "Error" for a status it does not
 * answer with); the endpoints and the fault bodies share it. */
const char *rest_status_message(int status);

/* ---- the readers of request bodies (pure: the fuzz targets call them) ---- */

/* A body's refusal as REST Admin words it: a parameter missing (status 400,
 * msg empty) or a field's error (422 and its message). A field named per
 * entry ("line_items_by_fulfillment_order[3]") is written into field_buf,
 * so field may point into the struct itself: read it in place, do not copy
 * the struct. */
typedef struct {
    int status;
    const char *field; /* static, borrowed from the body, or field_buf */
    char field_buf[128];
    char msg[300];
} rest_body_err;
/* POST webhooks.json: {"webhook": {"topic", "address", "format"?}}; the
 * topic one this mock knows, the address an http(s) URL. Strings borrowed
 * from b. Returns 0, or -1 with e. */
int rest_read_webhook(const cJSON *b, const char **topic, const char **address, rest_body_err *e);
/* POST inventory_levels/set.json ("available") and adjust.json
 * ("available_adjustment"): the value within +-10^9, location_id and
 * inventory_item_id integers (numbers or numeric strings). */
typedef struct {
    int64_t value, location, item;
} rest_level_in;
int rest_read_level(const cJSON *b, int adjust, rest_level_in *in, rest_body_err *e);
/* POST orders/{id}/cancel.json: "restock" a boolean (true when absent),
 * "email" a boolean (false when absent: whether the customer is emailed),
 * "reason" one of customer, fraud, inventory, declined, other (NULL when
 * absent; borrowed from b). */
typedef struct {
    int restock;
    int email;
    const char *reason;
} rest_cancel_in;
int rest_read_cancel(const cJSON *b, rest_cancel_in *in, rest_body_err *e);
/* POST fulfillment_orders/{id}/hold.json: {"fulfillment_hold": {"reason",
 * "reason_notes"?, "handle"?}}, the reason one of Shopify's hold reasons
 * in lower case; kept upper-cased, as the world names them. notes and
 * handle borrowed from b, NULL when absent. */
typedef struct {
    char reason[64];
    const char *notes, *handle;
} rest_hold_in;
int rest_read_hold(const cJSON *b, rest_hold_in *in, rest_body_err *e);
/* POST fulfillments.json: {"fulfillment": {"line_items_by_fulfillment_order":
 * [1..250 of {"fulfillment_order_id", "fulfillment_order_line_items"?: [at
 * most 250 of {"id", "quantity"}]}], "tracking_info"?: {"number", "company",
 * "url"}, "notify_customer"?}}, ids and quantities integers (numbers or
 * numeric strings). reqs and items are malloc'd (free with
 * rest_fulfillment_in_free, which also clears a refused one); tracking
 * strings borrowed from b. */
typedef struct {
    world_fo_req *reqs;
    size_t n;
    world_fo_item **items; /* per entry: the array its reqs[i].items points to, or NULL */
    world_tracking tracking;
} rest_fulfillment_in;
int rest_read_fulfillment(const cJSON *b, rest_fulfillment_in *in, rest_body_err *e);
void rest_fulfillment_in_free(rest_fulfillment_in *in); /* accepts a cleared one */
/* Product edits (REST Admin, legacy since 2024-10) into the world's edit:
 * PUT products/{id}.json {"product": {"id"?, "title"?, "status"? (active,
 * draft, archived; unlisted from 2025-10)}}; PUT variants/{id}.json
 * {"variant": {"id"?, "price"?, "compare_at_price"?, "barcode"?}}; PUT
 * inventory_items/{id}.json {"inventory_item": {"id"?, "cost"?}}. Other
 * keys are refused (422 naming them: the mock's slice). unlisted: the
 * version knows it. Strings borrowed from b. 0, or -1 with e. */
enum { REST_EDIT_PRODUCT, REST_EDIT_VARIANT, REST_EDIT_ITEM };
int rest_read_edit(const cJSON *b, int what, int unlisted, world_edit *ed, rest_body_err *e);

#endif
