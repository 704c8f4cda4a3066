/*
 * The Cin7 Core API v2 as mock-cin7 serves it under /ExternalApi/v2/: the
 * routes, authentication and rate limiting (as mockd's app filter), reading
 * query strings and bodies into the world's inputs, and answers in Cin7's
 * shapes, errors as [{"ErrorCode":N,"Exception":"..."}] naming the field.
 * Paths match whatever their case, as Cin7's do.
 */
#ifndef SURGE_CIN7_API_H
#define SURGE_CIN7_API_H

#include "httpd.h"
#include "mockd.h"
#include "world.h"

/* The state mockd hands back to mock-cin7's hooks. */
typedef struct {
    mockd *m;
    c7world *w;
} c7server;

void c7api_routes(c7server *s, httpd *srv);
/* Authenticates and rate-limits API requests; non-zero when it answered. */
int c7api_filter(c7server *s, httpd_req *r);
/* Cin7's error body for status and message; malloc'd, caller frees. */
char *c7api_error_text(int status, const char *msg);
/* Answers a world operation's result (frees its body). */
void c7api_reply(httpd_req *r, c7result *res);

/* ---- the readers of request bodies (pure: the fuzz targets call them) ----
 * Each reads a JSON object into the world's input, its strings borrowed
 * from v, and returns 0, or -1 with e naming the JSON path of what is wrong. */

/* POST/PUT purchase and advanced-purchase (the header; lines come through
 * purchase/order). */
int c7api_read_purchase(const cJSON *v, int advanced, c7purchase_in *in, json_err *e);
/* POST sale (the header; lines come through sale/quote and sale/order). */
int c7api_read_sale(const cJSON *v, c7sale_in *in, json_err *e);
/* POST (create: Type and ExternalURL required) and PUT webhooks; the
 * header arrays are malloc'd: c7api_hook_body_free, also after a failure. */
typedef struct {
    c7hook_in in;
    const char **keys, **values;
} c7hook_body;
int c7api_read_hook(const cJSON *v, int create, c7hook_body *h, json_err *e);
void c7api_hook_body_free(c7hook_body *h);

/* The /_mock/ routes of control.c: approve, receive, void, channel-sale,
 * adjust, product_edit. */
void c7control_routes(c7server *s, httpd *srv);
/* Their bodies' readers (pure, for the fuzz targets), strings borrowed from
 * v: 0, or -1 with e naming the JSON path. channel-sale: {"sku",
 * "location"?, "qty" > 0, "channel"? ("other")}. */
typedef struct {
    const char *sku, *location;
    qty4 qty;
    const char *channel;
} c7channel_sale_in;
int c7control_read_channel_sale(const cJSON *v, c7channel_sale_in *in, json_err *e);
/* adjust: {"sku", "location"?, "bin"?, "batch"? (empty: none), "on_hand"
 * >= 0, "reason"? ("stock take")}. */
typedef struct {
    const char *sku, *location, *bin, *batch;
    qty4 on_hand;
    const char *reason;
} c7adjust_in;
int c7control_read_adjust(const cJSON *v, c7adjust_in *in, json_err *e);

#endif
