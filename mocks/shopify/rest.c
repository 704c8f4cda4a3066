/* The REST Admin API of mock-shopify; see rest.h. Handlers lock the world
 * once, read or change it, build the answer and unlock; the filter runs
 * before them for authentication and the call limit. */
#include "rest.h"

#include "catalog.h"
#include "hmac.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "res.h"
#include "sbuf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IDS 250

struct rest {
    world *w;
    limiter *lim;
    mockd *m;
};

rest *rest_new(world *w, limiter *l, mockd *m)
{
    rest *r = xcalloc(1, sizeof *r);
    r->w = w;
    r->lim = l;
    r->m = m;
    return r;
}

void rest_free(rest *r)
{
    free(r);
}

/* ---- paths, shops, versions ------------------------------------------------ */

static int copy_segment(const char *s, char *out, size_t n, const char **after)
{
    size_t len = strcspn(s, "/");
    if (len == 0 || len >= n)
        return -1;
    memcpy(out, s, len);
    out[len] = '\0';
    *after = s + len;
    return 0;
}

int rest_api_path(const char *path, char *domain, size_t dn, char *version, size_t vn,
                  const char **tail)
{
    domain[0] = '\0';
    if (strncmp(path, "/shops/", 7) == 0) {
        if (copy_segment(path + 7, domain, dn, &path) != 0)
            return -1;
    }
    if (strncmp(path, "/admin/api/", 11) != 0)
        return -1;
    const char *after;
    if (copy_segment(path + 11, version, vn, &after) != 0 || *after != '/')
        return -1;
    *tail = after + 1;
    return 0;
}

ws_shop *rest_shop(world *w, const httpd_req *req)
{
    const char *d = httpd_capture(req, "shop");
    if (d)
        return world_shop_by_domain(w, d);
    char domain[256], version[32];
    const char *tail;
    if (rest_api_path(httpd_path(req), domain, sizeof domain, version, sizeof version, &tail) == 0 &&
        domain[0])
        return world_shop_by_domain(w, domain);
    return world_shop_for_host(w, httpd_header(req, "Host"));
}

void rest_version(world *w, const httpd_req *req, char *out, size_t n)
{
    char asked[32];
    const char *v = httpd_capture(req, "version");
    if (v) {
        snprintf(asked, sizeof asked, "%s", v);
    } else {
        char domain[256];
        const char *tail;
        if (rest_api_path(httpd_path(req), domain, sizeof domain, asked, sizeof asked, &tail) != 0)
            snprintf(asked, sizeof asked, "unstable");
    }
    if (spec_version_served(world_settings(w), asked, out, n) != 0)
        snprintf(out, n, "%s", asked);
}

/* ---- answers ------------------------------------------------------------------ */

static void reply(httpd_req *r, int status, cJSON *body)
{
    httpd_reply_json(r, status, body);
    cJSON_Delete(body);
}

void rest_error(httpd_req *req, int status, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "errors", msg);
    reply(req, status, o);
}

const char *rest_status_message(int status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "[API] Invalid API key or access token (unrecognized login or wrong password)";
    case 402: return "Unavailable Shop";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 423: return "Locked";
    case 429:
        return "Exceeded 2 calls per second for api client. Reduce request rates to resume "
               "uninterrupted service.";
    case 500: return "An unexpected error occurred";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    }
    return "Error";
}

/* {"errors":{"field":["msg"]}} (422 style) or {"errors":{"field":"msg"}}
 * (Shopify's 400 for a missing parameter). */
static void field_error(httpd_req *req, int status, const char *field, const char *msg, int list)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(o, "errors");
    if (list) {
        cJSON *a = cJSON_AddArrayToObject(e, field);
        cJSON_AddItemToArray(a, cJSON_CreateString(msg));
    } else {
        cJSON_AddStringToObject(e, field, msg);
    }
    reply(req, status, o);
}

static void missing_param(httpd_req *req, const char *field)
{
    field_error(req, 400, field, "Required parameter missing or invalid", 0);
}

/* A body reader's refusal, answered. */
static void body_error(httpd_req *req, const rest_body_err *e)
{
    if (e->status == 400)
        missing_param(req, e->field);
    else
        field_error(req, e->status, e->field, e->msg, 1);
}

static int refuse(rest_body_err *e, int status, const char *field, const char *msg)
{
    e->status = status;
    e->field = field;
    snprintf(e->msg, sizeof e->msg, "%s", msg);
    return -1;
}

/* refuse() for a field whose name says which entry: written into the
 * error's own buffer. */
static int refuse_at(rest_body_err *e, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse_at(rest_body_err *e, const char *msg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->field_buf, sizeof e->field_buf, fmt, ap);
    va_end(ap);
    return refuse(e, 422, e->field_buf, msg);
}

/* An optional string member: 0 with *out NULL when absent or null, -1
 * (422 "must be a string") when it is something else. */
static int opt_string(const cJSON *obj, const char *key, const char **out, rest_body_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsString(v))
        return refuse(e, 422, key, "must be a string");
    *out = v->valuestring;
    return 0;
}

static void not_found(httpd_req *req)
{
    rest_error(req, 404, rest_status_message(404));
}

static void not_found_handler(httpd_req *req, void *ud)
{
    (void)ud;
    not_found(req);
}

/* A whole object wrapped under key. */
static void reply_wrapped(httpd_req *r, int status, const char *key, cJSON *item)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, key, item);
    reply(r, status, o);
}

/* What the count.json endpoints answer. */
static void reply_count(httpd_req *r, size_t n)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "count", (double)n);
    reply(r, 200, o);
}

/* The request body as a JSON object; answers 400 and returns NULL otherwise. */
static cJSON *body_object(httpd_req *r)
{
    size_t len;
    const char *text = httpd_body(r, &len);
    json_err e;
    cJSON *v = json_parse(text, len, &e);
    if (!v) {
        char msg[600];
        snprintf(msg, sizeof msg, "Unable to parse the request body as JSON: %s", e.msg);
        rest_error(r, 400, msg);
        return NULL;
    }
    if (!cJSON_IsObject(v)) {
        rest_error(r, 400, "The request body must be a JSON object");
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

/* An integer from a JSON number or numeric string. */
static int json_int(const cJSON *v, int64_t *out)
{
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        /* The range first: casting a larger double is undefined. */
        if (!(d <= 9.0e15 && d >= -9.0e15) || d != (double)(int64_t)d)
            return -1;
        *out = (int64_t)d;
        return 0;
    }
    if (cJSON_IsString(v) && *v->valuestring) {
        char *end;
        errno = 0;
        long long x = strtoll(v->valuestring, &end, 10);
        if (*end || errno)
            return -1;
        *out = x;
        return 0;
    }
    return -1;
}

static int parse_id(const char *s, int64_t *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno || v <= 0)
        return -1;
    *out = v;
    return 0;
}

/* A comma-separated list of ids from a query parameter; -1 when malformed
 * or longer than max. */
static int parse_id_list(const char *s, int64_t **out, size_t *n, size_t max)
{
    *out = NULL;
    *n = 0;
    if (!s)
        return 0;
    size_t cap = 0;
    const char *p = s;
    while (*p) {
        size_t len = strcspn(p, ",");
        char buf[32];
        if (len == 0 || len >= sizeof buf)
            goto bad;
        memcpy(buf, p, len);
        buf[len] = '\0';
        int64_t id;
        if (parse_id(buf, &id) != 0)
            goto bad;
        if (*n == max)
            goto bad;
        XGROW(*out, *n, cap, 8);
        (*out)[(*n)++] = id;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
bad:
    free(*out);
    *out = NULL;
    *n = 0;
    return -1;
}

static int id_in(const int64_t *ids, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* ---- cursor pagination ------------------------------------------------------- */

/* A page request: its filter parameters (from the query on the first page,
 * from page_info on the others), the cursor and the page size. */
typedef struct {
    cJSON *params;  /* object of strings */
    int has_cursor;
    int dir_prev;
    int64_t cursor;
    int limit;
} page_req;

static void b64url_encode(const char *in, sbuf *out)
{
    size_t len = strlen(in);
    char *b = xmalloc(base64_encoded_len(len) + 1);
    base64_encode(in, len, b, base64_encoded_len(len) + 1);
    for (char *c = b; *c; c++) {
        if (*c == '+')
            *c = '-';
        else if (*c == '/')
            *c = '_';
        else if (*c == '=') {
            *c = '\0';
            break;
        }
    }
    sbuf_puts(out, b);
    free(b);
}

static char *b64url_decode(const char *in)
{
    size_t len = strlen(in);
    if (len > 4096)
        return NULL;
    char *t = xmalloc(len + 4);
    size_t k = 0;
    for (size_t i = 0; i < len; i++)
        t[k++] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
    while (k % 4)
        t[k++] = '=';
    unsigned char *out = xmalloc(k + 1);
    size_t n = 0;
    int rc = base64_decode(t, k, out, k, &n);
    free(t);
    if (rc != 0) {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    return (char *)out;
}

static char *page_token(const page_req *pr, int prev, int64_t cursor)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "direction", prev ? "prev" : "next");
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)cursor);
    cJSON_AddStringToObject(o, "last_id", id);
    cJSON_AddItemToObject(o, "filters", cJSON_Duplicate(pr->params, 1));
    char *text = json_print(o);
    cJSON_Delete(o);
    sbuf b = SBUF_INIT;
    b64url_encode(text, &b);
    free(text);
    return sbuf_take(&b);
}

/* Reads limit, page_info and the allowed filter keys. Answers 400 and
 * returns -1 on bad input. */
static int page_begin(httpd_req *r, const char *const *filters, page_req *pr)
{
    memset(pr, 0, sizeof *pr);
    pr->limit = 50;
    const char *lim = httpd_query(r, "limit");
    if (lim) {
        int64_t v;
        if (parse_id(lim, &v) != 0 || v > 250) {
            field_error(r, 400, "limit", "must be an integer between 1 and 250", 1);
            return -1;
        }
        pr->limit = (int)v;
    }
    const char *pi = httpd_query(r, "page_info");
    if (pi) {
        for (const char *const *f = filters; *f; f++)
            if (httpd_query(r, *f)) {
                char msg[128];
                snprintf(msg, sizeof msg, "Parameter '%s' is not allowed with page_info", *f);
                field_error(r, 400, "page_info", msg, 1);
                return -1;
            }
        char *text = b64url_decode(pi);
        json_err e;
        cJSON *o = text ? json_parse(text, strlen(text), &e) : NULL;
        free(text);
        const cJSON *dir = o ? cJSON_GetObjectItemCaseSensitive(o, "direction") : NULL;
        const cJSON *id = o ? cJSON_GetObjectItemCaseSensitive(o, "last_id") : NULL;
        const cJSON *fl = o ? cJSON_GetObjectItemCaseSensitive(o, "filters") : NULL;
        int64_t cur;
        if (!cJSON_IsString(dir) || !cJSON_IsString(id) || !cJSON_IsObject(fl) ||
            json_int(id, &cur) != 0) {
            cJSON_Delete(o);
            field_error(r, 400, "page_info", "Invalid value.", 1);
            return -1;
        }
        pr->has_cursor = 1;
        pr->dir_prev = strcmp(dir->valuestring, "prev") == 0;
        pr->cursor = cur;
        pr->params = cJSON_Duplicate(fl, 1);
        cJSON_Delete(o);
        return 0;
    }
    pr->params = cJSON_CreateObject();
    for (const char *const *f = filters; *f; f++) {
        const char *v = httpd_query(r, *f);
        if (v)
            cJSON_AddStringToObject(pr->params, *f, v);
    }
    return 0;
}

static const char *param(const page_req *pr, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(pr->params, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The id list filter key of pr (none when absent); answers status and
 * returns -1 when it is malformed or longer than MAX_IDS. */
static int ids_param(httpd_req *r, const page_req *pr, const char *key, int status, int64_t **ids,
                     size_t *n)
{
    if (parse_id_list(param(pr, key), ids, n, MAX_IDS) != 0) {
        field_error(r, status, key, "must be a comma-separated list of at most 250 ids", 1);
        return -1;
    }
    return 0;
}

/* since_id from v when given (*out untouched when v is NULL); answers 400
 * and returns -1 when it is not a positive integer. */
static int since_param(httpd_req *r, const char *v, int64_t *out)
{
    if (v && parse_id(v, out) != 0) {
        field_error(r, 400, "since_id", "must be a positive integer", 1);
        return -1;
    }
    return 0;
}

/* Picks the page out of keys (in display order, ascending or descending):
 * [*from, *to). */
static void page_slice(const int64_t *keys, size_t n, int desc, const page_req *pr, size_t *from,
                       size_t *to)
{
    size_t start = 0, end = n;
    if (pr->has_cursor) {
        /* The first index strictly after the cursor in display order. */
        size_t after = 0;
        while (after < n && (desc ? keys[after] >= pr->cursor : keys[after] <= pr->cursor))
            after++;
        if (pr->dir_prev) {
            size_t before = 0; /* items strictly before the cursor: [0, before) */
            while (before < n && (desc ? keys[before] > pr->cursor : keys[before] < pr->cursor))
                before++;
            end = before;
            start = end > (size_t)pr->limit ? end - (size_t)pr->limit : 0;
        } else {
            start = after;
        }
    }
    if (end - start > (size_t)pr->limit)
        end = start + (size_t)pr->limit;
    *from = start;
    *to = end;
}

/* The Link header of a page: previous and next URLs with page_info, on the
 * scheme-less host the client used and the same base path. */
static void page_links(httpd_req *r, const char *resource, page_req *pr, const int64_t *keys,
                       size_t n, size_t from, size_t to)
{
    int has_prev = from > 0 && to > from;
    int has_next = to < n && to > from;
    if (!has_prev && !has_next)
        return;
    const char *host = httpd_header(r, "Host");
    char domain[256], version[32];
    const char *tail;
    const char *path = httpd_path(r);
    rest_api_path(path, domain, sizeof domain, version, sizeof version, &tail);
    sbuf base = SBUF_INIT;
    sbuf_printf(&base, "http://%s%.*s%s?limit=%d&page_info=", host ? host : "127.0.0.1",
                (int)(tail - path), path, resource, pr->limit);
    sbuf link = SBUF_INIT;
    if (has_prev) {
        char *t = page_token(pr, 1, keys[from]);
        sbuf_printf(&link, "<%s%s>; rel=\"previous\"", sbuf_str(&base), t);
        free(t);
    }
    if (has_next) {
        char *t = page_token(pr, 0, keys[to - 1]);
        sbuf_printf(&link, "%s<%s%s>; rel=\"next\"", has_prev ? ", " : "", sbuf_str(&base), t);
        free(t);
    }
    httpd_add_header(r, "Link", sbuf_str(&link));
    sbuf_free(&base);
    sbuf_free(&link);
}

/* Keeps only the comma-separated fields of an object when asked to. */
static void keep_object_fields(cJSON *obj, const char *fields)
{
    if (!fields || !*fields)
        return;
    cJSON *f = obj->child;
    while (f) {
        cJSON *next = f->next;
        int keep = 0;
        for (const char *p = fields; *p && !keep;) {
            size_t len = strcspn(p, ",");
            while (len && p[len - 1] == ' ')
                len--;
            keep = strlen(f->string) == len && strncmp(p, f->string, len) == 0;
            p += strcspn(p, ",");
            if (*p == ',')
                p++;
            while (*p == ' ')
                p++;
        }
        if (!keep)
            cJSON_Delete(cJSON_DetachItemViaPointer(obj, f));
        f = next;
    }
}

/* The same for each object of a list. */
static void keep_fields(cJSON *items, const char *fields)
{
    cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        keep_object_fields(it, fields);
    }
}

/* ---- the filter ------------------------------------------------------------------ */

int rest_filter(rest *rs, httpd_req *r)
{
    char domain[256], version[32];
    const char *tail;
    if (rest_api_path(httpd_path(r), domain, sizeof domain, version, sizeof version, &tail) != 0)
        return 0;
    char served[32];
    if (spec_version_served(world_settings(rs->w), version, served, sizeof served) != 0) {
        not_found(r);
        return 1;
    }
    httpd_add_header(r, "X-Shopify-API-Version", served);
    const char *token = httpd_header(r, "X-Shopify-Access-Token");
    world_lock(rs->w);
    ws_shop *s = domain[0] ? world_shop_by_domain(rs->w, domain)
                           : world_shop_for_host(rs->w, httpd_header(r, "Host"));
    if (!s) {
        world_unlock(rs->w);
        not_found(r);
        return 1;
    }
    int tok = world_token_index(s, token);
    char *shop = xstrdup(s->domain);
    spec_limits lim = s->limits;
    world_unlock(rs->w);
    if (tok < 0) {
        free(shop);
        rest_error(r, 401, rest_status_message(401));
        return 1;
    }
    char client[300];
    snprintf(client, sizeof client, "%s#%d", shop, tok);
    mockd_set_client(r, client);
    if (strcmp(tail, "graphql.json") == 0) {
        free(shop);
        return 0; /* GraphQL has its own cost bucket */
    }
    limiter_rest_status st;
    int ok = limiter_rest(rs->lim, shop, token, &lim, mockd_throttle(rs->m, r),
                          clock_now_ms(mockd_clock(rs->m)), &st);
    free(shop);
    char hdr[48];
    snprintf(hdr, sizeof hdr, "%d/%d", st.used, st.size);
    httpd_add_header(r, "X-Shopify-Shop-Api-Call-Limit", hdr);
    if (!ok) {
        counters_add(mockd_counters(rs->m), "http_429 rest", 1);
        char ra[32];
        snprintf(ra, sizeof ra, "%.1f", world_settings(rs->w)->retry_after_s);
        httpd_add_header(r, "Retry-After", ra);
        rest_error(r, 429, rest_status_message(429));
        return 1;
    }
    return 0;
}

/* Every handler starts here: the world locked and the request's shop. */
static ws_shop *begin(rest *rs, httpd_req *r)
{
    world_lock(rs->w);
    ws_shop *s = rest_shop(rs->w, r);
    if (!s) {
        world_unlock(rs->w);
        not_found(r);
    }
    return s;
}

/* How each kind of object a route's {id} names is found; NULL when the
 * shop has none such. */
typedef void *(*find_fn)(ws_shop *s, int64_t id);

static void *find_location(ws_shop *s, int64_t id)
{
    int loc = world_location_index(s, id);
    return loc >= 0 ? &s->locations[loc] : NULL;
}

static void *find_product(ws_shop *s, int64_t id)
{
    return world_product_by_id(s, id);
}

static void *find_variant(ws_shop *s, int64_t id)
{
    return world_variant_by_id(s, id);
}

static void *find_item(ws_shop *s, int64_t id)
{
    return world_variant_by_item(s, id);
}

static void *find_order(ws_shop *s, int64_t id)
{
    return world_order_by_id(s, id);
}

static void *find_sub(ws_shop *s, int64_t id)
{
    return world_sub_by_id(s, id);
}

/* begin() for a route with an {id}: also the object it names, found with
 * find. Answers 404 and returns NULL (unlocked) when there is none. */
static void *begin_id(rest *rs, httpd_req *r, find_fn find, ws_shop **shop)
{
    ws_shop *s = begin(rs, r);
    if (!s)
        return NULL;
    int64_t id;
    void *x = parse_id(httpd_capture(r, "id"), &id) == 0 ? find(s, id) : NULL;
    if (!x) {
        world_unlock(rs->w);
        not_found(r);
        return NULL;
    }
    *shop = s;
    return x;
}

/* Every handler that answers one object ends here: unlocks, then answers
 * item (built under the lock) wrapped under key. */
static void end_wrapped(rest *rs, httpd_req *r, int status, const char *key, cJSON *item)
{
    world_unlock(rs->w);
    reply_wrapped(r, status, key, item);
}

/* ---- shop, locations, products, variants, items ---------------------------- */

static void h_shop(httpd_req *r, void *ud)
{
    rest *rs = ud;
    ws_shop *s = begin(rs, r);
    if (!s)
        return;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", (double)s->id);
    cJSON_AddStringToObject(j, "name", s->name);
    cJSON_AddStringToObject(j, "domain", s->domain);
    cJSON_AddStringToObject(j, "myshopify_domain", s->domain);
    cJSON_AddStringToObject(j, "email", "owner@example.com");
    cJSON_AddStringToObject(j, "currency", s->currency);
    cJSON_AddStringToObject(j, "plan_name", s->plan);
    cJSON_AddStringToObject(j, "plan_display_name", s->plan);
    cJSON_AddStringToObject(j, "iana_timezone", "Etc/UTC");
    cJSON_AddStringToObject(j, "country_code", s->n_locations ? s->locations[0].country_code : "US");
    if (s->n_locations)
        cJSON_AddNumberToObject(j, "primary_location_id", (double)s->locations[0].id);
    char d[RES_DATE_SIZE];
    res_date(s, s->created_ms, d);
    cJSON_AddStringToObject(j, "created_at", d);
    cJSON_AddStringToObject(j, "updated_at", d);
    end_wrapped(rs, r, 200, "shop", j);
}

static void h_locations(httpd_req *r, void *ud)
{
    rest *rs = ud;
    ws_shop *s = begin(rs, r);
    if (!s)
        return;
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < s->n_locations; i++)
        cJSON_AddItemToArray(a, res_location(s, &s->locations[i]));
    end_wrapped(rs, r, 200, "locations", a);
}

static void h_locations_count(httpd_req *r, void *ud)
{
    rest *rs = ud;
    ws_shop *s = begin(rs, r);
    if (!s)
        return;
    size_t n = s->n_locations;
    world_unlock(rs->w);
    reply_count(r, n);
}

static void h_location(httpd_req *r, void *ud)
{
    rest *rs = ud;
    ws_shop *s;
    const ws_location *l = begin_id(rs, r, find_location, &s);
    if (l)
        end_wrapped(rs, r, 200, "location", res_location(s, l));
}

static void h_products(httpd_req *r, void *ud)
{
    rest *rs = ud;
    static const char *const filters[] = {"ids", "since_id", "title", "vendor", "handle",
                                          "product_type", "status", NULL};
    page_req pr;
    if (page_begin(r, filters, &pr) != 0)
        return;
    int64_t *ids = NULL, since = 0;
    size_t n_ids = 0;
    if (ids_param(r, &pr, "ids", 400, &ids, &n_ids) != 0 ||
        since_param(r, param(&pr, "since_id"), &since) != 0)
        goto out;
    const char *status = param(&pr, "status");
    ws_shop *s = begin(rs, r);
    if (!s)
        goto out;
    int64_t *keys = xcalloc(s->n_products ? s->n_products : 1, sizeof *keys);
    size_t *idx = xcalloc(s->n_products ? s->n_products : 1, sizeof *idx);
    size_t n = 0;
    for (size_t i = 0; i < s->n_products; i++) {
        const ws_product *p = &s->products[i];
        if ((n_ids && !id_in(ids, n_ids, p->id)) || p->id <= since ||
            (param(&pr, "title") && strcmp(param(&pr, "title"), p->title) != 0) ||
            (param(&pr, "vendor") && strcmp(param(&pr, "vendor"), p->vendor) != 0) ||
            (param(&pr, "handle") && strcmp(param(&pr, "handle"), p->handle) != 0) ||
            (param(&pr, "product_type") && strcmp(param(&pr, "product_type"), p->product_type) != 0) ||
            (status && !strstr(status, "active")))
            continue;
        keys[n] = p->id;
        idx[n++] = i;
    }
    size_t from, to;
    page_slice(keys, n, 0, &pr, &from, &to);
    cJSON *a = cJSON_CreateArray();
    for (size_t i = from; i < to; i++)
        cJSON_AddItemToArray(a, res_product(s, &s->products[idx[i]]));
    world_unlock(rs->w);
    keep_fields(a, httpd_query(r, "fields"));
    page_links(r, "products.json", &pr, keys, n, from, to);
    free(keys);
    free(idx);
    reply_wrapped(r, 200, "products", a);
out:
    free(ids);
    cJSON_Delete(pr.params);
}

static void h_products_count(httpd_req *r, void *ud)
{
    rest *rs = ud;
    ws_shop *s = begin(rs, r);
    if (!s)
        return;
    size_t n = s->n_products;
    world_unlock(rs->w);
    reply_count(r, n);
}

static void h_product(httpd_req *r, void *ud)
{
    rest *rs = ud;
    ws_shop *s;
    const ws_product *p = begin_id(rs, r, find_product, &s);
    if (p)
        end_wrapped(rs, r, 200, "product", res_product(s, p));
}

static void h_product_variants(httpd_req *r, void *ud)
{
    rest *rs = ud;
    ws_shop *s;
    const ws_product *p = begin_id(rs, r, find_product, &s);
    if (!p)
        return;
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < p->n_variants; i++)
        cJSON_AddItemToArray(a, res_variant(s, &s->variants[p->variants[i]]));
    end_wrapped(rs, r, 200, "variants", a);
}

static void h_variant(httpd_req *r, void *ud)
{
    rest *rs = ud;
    ws_shop *s;
    const ws_variant *v = begin_id(rs, r, find_variant, &s);
    if (v)
        end_wrapped(rs, r, 200, "variant", res_variant(s, v));
}

static void h_inventory_items(httpd_req *r, void *ud)
{
    rest *rs = ud;
    int64_t *ids;
    size_t n;
    const char *q = httpd_query(r, "ids");
    if (!q) {
        missing_param(r, "ids");
        return;
    }
    if (parse_id_list(q, &ids, &n, 100) != 0) {
        field_error(r, 400, "ids", "must be a comma-separated list of at most 100 ids", 1);
        return;
    }
    ws_shop *s = begin(rs, r);
    if (!s) {
        free(ids);
        return;
    }
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        ws_variant *v = world_variant_by_item(s, ids[i]);
        if (v)
            cJSON_AddItemToArray(a, res_inventory_item(s, v));
    }
    free(ids);
    end_wrapped(rs, r, 200, "inventory_items", a);
}

static void h_inventory_item(httpd_req *r, void *ud)
{
    rest *rs = ud;
    ws_shop *s;
    const ws_variant *v = begin_id(rs, r, find_item, &s);
    if (v)
        end_wrapped(rs, r, 200, "inventory_item", res_inventory_item(s, v));
}

/* ---- inventory levels -------------------------------------------------------------- */

static void levels_list(httpd_req *r, rest *rs, int64_t only_location)
{
    static const char *const filters[] = {"inventory_item_ids", "location_ids", "updated_at_min",
                                          NULL};
    page_req pr;
    if (page_begin(r, filters, &pr) != 0)
        return;
    int64_t *items = NULL, *locs = NULL;
    size_t n_items = 0, n_locs = 0;
    if (ids_param(r, &pr, "inventory_item_ids", 422, &items, &n_items) != 0 ||
        ids_param(r, &pr, "location_ids", 422, &locs, &n_locs) != 0)
        goto out;
    if (!only_location && !n_items && !n_locs) {
        field_error(r, 422, "inventory_item_ids",
                    "inventory_item_ids or location_ids must be given", 1);
        goto out;
    }
    ws_shop *s = begin(rs, r);
    if (!s)
        goto out;
    int64_t updated_min = INT64_MIN;
    if (param(&pr, "updated_at_min") && res_parse_date(s, param(&pr, "updated_at_min"), &updated_min) != 0) {
        world_unlock(rs->w);
        field_error(r, 400, "updated_at_min", "is not a valid date", 1);
        goto out;
    }
    if (only_location && world_location_index(s, only_location) < 0) {
        world_unlock(rs->w);
        not_found(r);
        goto out;
    }
    /* Candidates in (item, location) order; the key packs both. */
    size_t cap = 64, n = 0;
    int64_t *keys = xmalloc(cap * sizeof *keys);
    size_t nv = s->n_variants;
    size_t *order = NULL;
    if (n_items) {
        /* Only the listed items, looked up one by one (the common case). */
        order = xcalloc(n_items, sizeof *order);
        size_t k = 0;
        for (size_t i = 0; i < n_items; i++) {
            ws_variant *v = world_variant_by_item(s, items[i]);
            if (v)
                order[k++] = (size_t)(v - s->variants);
        }
        /* Keep item order stable: ascending variant index, no repeats. */
        for (size_t i = 1; i < k; i++)
            for (size_t j = i; j > 0 && order[j - 1] > order[j]; j--) {
                size_t t = order[j];
                order[j] = order[j - 1];
                order[j - 1] = t;
            }
        size_t u = 0;
        for (size_t i = 0; i < k; i++)
            if (!u || order[u - 1] != order[i])
                order[u++] = order[i];
        nv = u;
    }
    for (size_t a = 0; a < nv; a++) {
        size_t vi = order ? order[a] : a;
        const ws_variant *v = &s->variants[vi];
        for (size_t l = 0; l < s->n_locations; l++) {
            int64_t lid = s->locations[l].id;
            if ((n_locs && !id_in(locs, n_locs, lid)) || (only_location && lid != only_location) ||
                v->level_updated_ms[l] < updated_min)
                continue;
            if (n == cap) {
                cap *= 2;
                keys = xrealloc(keys, cap * sizeof *keys);
            }
            keys[n++] = (int64_t)vi * 64 + (int64_t)l;
        }
    }
    free(order);
    size_t from, to;
    page_slice(keys, n, 0, &pr, &from, &to);
    cJSON *a = cJSON_CreateArray();
    for (size_t i = from; i < to; i++)
        cJSON_AddItemToArray(a, res_level(s, &s->variants[keys[i] / 64], (int)(keys[i] % 64)));
    world_unlock(rs->w);
    if (only_location) {
        char res[64];
        snprintf(res, sizeof res, "locations/%lld/inventory_levels.json", (long long)only_location);
        page_links(r, res, &pr, keys, n, from, to);
    } else {
        page_links(r, "inventory_levels.json", &pr, keys, n, from, to);
    }
    free(keys);
    reply_wrapped(r, 200, "inventory_levels", a);
out:
    free(items);
    free(locs);
    cJSON_Delete(pr.params);
}

static void h_levels(httpd_req *r, void *ud)
{
    levels_list(r, ud, 0);
}

static void h_location_levels(httpd_req *r, void *ud)
{
    int64_t id;
    if (parse_id(httpd_capture(r, "id"), &id) != 0) {
        not_found(r);
        return;
    }
    levels_list(r, ud, id);
}

/* Reads the (item, location) of a set or adjust body; answers and returns
 * NULL on a problem. World lock held on success. */
static ws_variant *level_target(rest *rs, httpd_req *r, const rest_level_in *in, ws_shop **shop,
                                int *loc)
{
    int64_t item = in->item, lid = in->location;
    ws_shop *s = begin(rs, r);
    if (!s)
        return NULL;
    ws_variant *v = world_variant_by_item(s, item);
    if (!v) {
        world_unlock(rs->w);
        field_error(r, 422, "inventory_item_id", "Inventory item does not exist", 1);
        return NULL;
    }
    *loc = world_location_index(s, lid);
    if (*loc < 0) {
        world_unlock(rs->w);
        field_error(r, 422, "location_id", "Location does not exist", 1);
        return NULL;
    }
    *shop = s;
    return v;
}

/* POST inventory_levels/set.json ("available" is the new value) and, with
 * adjust, adjust.json ("available_adjustment" is added to it); available
 * stays within +-1000000000 either way. */
int rest_read_level(const cJSON *b, int adjust, rest_level_in *in, rest_body_err *e)
{
    const char *key = adjust ? "available_adjustment" : "available";
    const cJSON *av = cJSON_GetObjectItemCaseSensitive(b, key);
    if (!av || cJSON_IsNull(av))
        return refuse(e, 400, key, "");
    if (json_int(av, &in->value) != 0 || in->value < -1000000000 || in->value > 1000000000)
        return refuse(e, 422, key,
                      adjust ? "must be an integer"
                             : "must be an integer between -1000000000 and 1000000000");
    if (json_int(cJSON_GetObjectItemCaseSensitive(b, "location_id"), &in->location) != 0)
        return refuse(e, 400, "location_id", "");
    if (json_int(cJSON_GetObjectItemCaseSensitive(b, "inventory_item_id"), &in->item) != 0)
        return refuse(e, 400, "inventory_item_id", "");
    return 0;
}

static void levels_write(httpd_req *r, rest *rs, int adjust)
{
    cJSON *b = body_object(r);
    if (!b)
        return;
    const char *key = adjust ? "available_adjustment" : "available";
    rest_level_in in;
    rest_body_err e;
    if (rest_read_level(b, adjust, &in, &e) != 0) {
        body_error(r, &e);
    } else {
        int64_t value = in.value;
        ws_shop *s;
        int loc;
        ws_variant *v = level_target(rs, r, &in, &s, &loc);
        if (v) {
            int64_t next = adjust ? v->available[loc] + value : value;
            if (next > 1000000000 || next < -1000000000) {
                world_unlock(rs->w);
                field_error(r, 422, key, "would take available out of range", 1);
            } else {
                world_set_available(rs->w, s, v, loc, next, adjust ? "adjust" : "set", NULL);
                end_wrapped(rs, r, 200, "inventory_level", res_level(s, v, loc));
            }
        }
    }
    cJSON_Delete(b);
}

static void h_levels_set(httpd_req *r, void *ud)
{
    levels_write(r, ud, 0);
}

static void h_levels_adjust(httpd_req *r, void *ud)
{
    levels_write(r, ud, 1);
}

/* ---- orders ------------------------------------------------------------------------ */

typedef struct {
    int64_t *ids;
    size_t n_ids;
    int64_t since_id;
    const char *status, *financial, *fulfillment;
    int64_t created_min, created_max, updated_min, updated_max, processed_min, processed_max;
} order_filter;

static int order_matches(const order_filter *f, const ws_order *o)
{
    if (f->n_ids && !id_in(f->ids, f->n_ids, o->id))
        return 0;
    if (o->id <= f->since_id)
        return 0;
    int cancelled = o->cancelled_ms >= 0;
    if (strcmp(f->status, "open") == 0 && cancelled)
        return 0;
    if (strcmp(f->status, "cancelled") == 0 && !cancelled)
        return 0;
    if (strcmp(f->status, "closed") == 0)
        return 0; /* orders are never closed (archived) here */
    const char *fin = world_financial_name(o->financial);
    if (strcmp(f->financial, "any") != 0) {
        if (strcmp(f->financial, "unpaid") == 0) {
            if (o->financial != FIN_PENDING)
                return 0;
        } else if (strcmp(f->financial, fin) != 0) {
            return 0;
        }
    }
    const char *fs = world_fulfillment_status(o);
    if (strcmp(f->fulfillment, "shipped") == 0 && !(fs && strcmp(fs, "fulfilled") == 0))
        return 0;
    if (strcmp(f->fulfillment, "partial") == 0 && !(fs && strcmp(fs, "partial") == 0))
        return 0;
    if ((strcmp(f->fulfillment, "unshipped") == 0 || strcmp(f->fulfillment, "unfulfilled") == 0) &&
        fs && strcmp(fs, "fulfilled") == 0)
        return 0;
    if (strcmp(f->fulfillment, "unshipped") == 0 && fs)
        return 0;
    return o->created_ms >= f->created_min && o->created_ms <= f->created_max &&
           o->updated_ms >= f->updated_min && o->updated_ms <= f->updated_max &&
           o->processed_ms >= f->processed_min && o->processed_ms <= f->processed_max;
}

static int one_of(const char *v, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (strcmp(v, *allowed) == 0)
            return 1;
    return 0;
}

/* Reads the order filters from pr; answers 400 and returns -1 on bad ones.
 * World lock held (dates need the shop). */
static int order_filter_read(httpd_req *r, const ws_shop *s, const page_req *pr, order_filter *f)
{
    static const char *const statuses[] = {"open", "closed", "cancelled", "any", NULL};
    static const char *const fins[] = {"authorized", "pending", "paid", "partially_paid",
                                       "refunded", "voided", "partially_refunded", "any",
                                       "unpaid", NULL};
    static const char *const fuls[] = {"shipped", "partial", "unshipped", "any", "unfulfilled",
                                       NULL};
    memset(f, 0, sizeof *f);
    f->status = param(pr, "status") ? param(pr, "status") : "open";
    f->financial = param(pr, "financial_status") ? param(pr, "financial_status") : "any";
    f->fulfillment = param(pr, "fulfillment_status") ? param(pr, "fulfillment_status") : "any";
    if (!one_of(f->status, statuses)) {
        field_error(r, 400, "status", "must be one of open, closed, cancelled, any", 1);
        return -1;
    }
    if (!one_of(f->financial, fins)) {
        field_error(r, 400, "financial_status",
                    "must be one of authorized, pending, paid, partially_paid, refunded, voided, "
                    "partially_refunded, any, unpaid",
                    1);
        return -1;
    }
    if (!one_of(f->fulfillment, fuls)) {
        field_error(r, 400, "fulfillment_status",
                    "must be one of shipped, partial, unshipped, any, unfulfilled", 1);
        return -1;
    }
    if (ids_param(r, pr, "ids", 400, &f->ids, &f->n_ids) != 0 ||
        since_param(r, param(pr, "since_id"), &f->since_id) != 0)
        return -1;
    struct {
        const char *key;
        int64_t *out, def;
    } dates[] = {
        {"created_at_min", &f->created_min, INT64_MIN},   {"created_at_max", &f->created_max, INT64_MAX},
        {"updated_at_min", &f->updated_min, INT64_MIN},   {"updated_at_max", &f->updated_max, INT64_MAX},
        {"processed_at_min", &f->processed_min, INT64_MIN}, {"processed_at_max", &f->processed_max, INT64_MAX},
    };
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        *dates[i].out = dates[i].def;
        const char *v = param(pr, dates[i].key);
        if (v && res_parse_date(s, v, dates[i].out) != 0) {
            field_error(r, 400, dates[i].key, "is not a valid ISO 8601 date", 1);
            return -1;
        }
    }
    return 0;
}

static const char *const ORDER_FILTERS[] = {
    "ids", "since_id", "status", "financial_status", "fulfillment_status", "created_at_min",
    "created_at_max", "updated_at_min", "updated_at_max", "processed_at_min", "processed_at_max",
    NULL};

/* begin() for the order lists: also the order filters of pr into f.
 * Answers and returns NULL (unlocked) on a bad filter; f->ids is the
 * caller's to free either way. */
static ws_shop *begin_orders(rest *rs, httpd_req *r, const page_req *pr, order_filter *f)
{
    ws_shop *s = begin(rs, r);
    if (s && order_filter_read(r, s, pr, f) != 0) {
        world_unlock(rs->w);
        return NULL;
    }
    return s;
}

static void h_orders(httpd_req *r, void *ud)
{
    rest *rs = ud;
    page_req pr;
    if (page_begin(r, ORDER_FILTERS, &pr) != 0)
        return;
    order_filter f = {0};
    ws_shop *s = begin_orders(rs, r, &pr, &f);
    if (s) {
        /* Newest first, as Shopify lists orders. */
        int64_t *keys = xcalloc(s->n_orders ? s->n_orders : 1, sizeof *keys);
        size_t n = 0;
        for (size_t i = s->n_orders; i-- > 0;)
            if (order_matches(&f, &s->orders[i]))
                keys[n++] = s->orders[i].id;
        size_t from, to;
        page_slice(keys, n, 1, &pr, &from, &to);
        cJSON *a = cJSON_CreateArray();
        for (size_t i = from; i < to; i++)
            cJSON_AddItemToArray(a, res_order(s, world_order_by_id(s, keys[i])));
        world_unlock(rs->w);
        keep_fields(a, httpd_query(r, "fields"));
        page_links(r, "orders.json", &pr, keys, n, from, to);
        free(keys);
        reply_wrapped(r, 200, "orders", a);
    }
    free(f.ids);
    cJSON_Delete(pr.params);
}

static void h_orders_count(httpd_req *r, void *ud)
{
    rest *rs = ud;
    page_req pr = {.params = cJSON_CreateObject()};
    for (const char *const *k = ORDER_FILTERS; *k; k++)
        if (httpd_query(r, *k))
            cJSON_AddStringToObject(pr.params, *k, httpd_query(r, *k));
    order_filter f = {0};
    ws_shop *s = begin_orders(rs, r, &pr, &f);
    if (s) {
        size_t n = 0;
        for (size_t i = 0; i < s->n_orders; i++)
            n += order_matches(&f, &s->orders[i]);
        world_unlock(rs->w);
        reply_count(r, n);
    }
    free(f.ids);
    cJSON_Delete(pr.params);
}

static void h_order(httpd_req *r, void *ud)
{
    rest *rs = ud;
    ws_shop *s;
    const ws_order *o = begin_id(rs, r, find_order, &s);
    if (!o)
        return;
    cJSON *j = res_order(s, o);
    world_unlock(rs->w);
    keep_object_fields(j, httpd_query(r, "fields"));
    reply_wrapped(r, 200, "order", j);
}

int rest_read_cancel(const cJSON *b, rest_cancel_in *in, rest_body_err *e)
{
    in->restock = 1;
    in->email = 0;
    in->reason = NULL;
    const cJSON *em = cJSON_GetObjectItemCaseSensitive(b, "email");
    if (em && !cJSON_IsBool(em))
        return refuse(e, 422, "email", "must be true or false");
    in->email = cJSON_IsTrue(em);
    const cJSON *rv = cJSON_GetObjectItemCaseSensitive(b, "restock");
    if (rv && !cJSON_IsBool(rv))
        return refuse(e, 422, "restock", "must be true or false");
    if (rv)
        in->restock = cJSON_IsTrue(rv);
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(b, "reason");
    static const char *const reasons[] = {"customer", "fraud", "inventory", "declined", "other",
                                          NULL};
    if (reason && (!cJSON_IsString(reason) || !one_of(reason->valuestring, reasons)))
        return refuse(e, 422, "reason", "must be one of customer, fraud, inventory, declined, other");
    in->reason = reason ? reason->valuestring : NULL;
    return 0;
}

static void h_order_cancel(httpd_req *r, void *ud)
{
    rest *rs = ud;
    size_t len;
    httpd_body(r, &len);
    cJSON *b = len ? body_object(r) : cJSON_CreateObject();
    if (!b)
        return;
    rest_cancel_in in;
    rest_body_err be;
    if (rest_read_cancel(b, &in, &be) != 0) {
        body_error(r, &be);
        cJSON_Delete(b);
        return;
    }
    ws_shop *s;
    ws_order *o = begin_id(rs, r, find_order, &s);
    if (o) {
        cJSON *out;
        json_err e;
        if (world_cancel(rs->w, s, o, in.restock, in.email, in.reason, "api", &out, &e) != 0) {
            world_unlock(rs->w);
            const char *m = strstr(e.msg, ": ");
            field_error(r, 422, "base", m ? m + 2 : e.msg, 1);
        } else {
            end_wrapped(rs, r, 200, "order", out);
        }
    }
    cJSON_Delete(b);
}

/* ---- product edits ----------------------------------------------------------------- */

/* A money field of a REST edit into out; has set when given (null clears
 * when nullable). */
static int rest_money(const cJSON *o, const char *key, int nullable, int *has, char out[32],
                      rest_body_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        return 0;
    *has = 1;
    if (cJSON_IsNull(v)) {
        out[0] = '\0';
        return nullable ? 0 : refuse(e, 422, key, "can't be blank");
    }
    int rc = catalog_money(v, out);
    if (rc == -2)
        return refuse(e, 422, key, "must be greater than or equal to 0");
    if (rc != 0)
        return refuse(e, 422, key, "must be a decimal such as \"19.99\", up to 1000000000");
    return 0;
}

int rest_read_edit(const cJSON *b, int what, int unlisted, world_edit *ed, rest_body_err *e)
{
    static const char *const wrappers[] = {"product", "variant", "inventory_item"};
    static const char *const product_keys[] = {"id", "title", "status", NULL};
    static const char *const variant_keys[] = {"id", "price", "compare_at_price", "barcode", NULL};
    static const char *const item_keys[] = {"id", "cost", NULL};
    const char *const *keys[] = {product_keys, variant_keys, item_keys};
    memset(ed, 0, sizeof *ed);
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(b, wrappers[what]);
    if (!cJSON_IsObject(o))
        return refuse(e, 400, wrappers[what], "");
    const cJSON *it;
    cJSON_ArrayForEach(it, o)
    {
        if (!it->string[0]) /* named for the object that holds it: an empty name says nothing */
            return refuse(e, 422, wrappers[what], "has a field with an empty name");
        if (!one_of(it->string, keys[what]))
            return refuse_at(e, "is not a field the mock changes", "%.100s", it->string);
    }
    if (what == REST_EDIT_VARIANT) {
        const char *barcode = NULL;
        if (rest_money(o, "price", 0, &ed->has_price, ed->price, e) ||
            rest_money(o, "compare_at_price", 1, &ed->has_compare_at, ed->compare_at, e) ||
            opt_string(o, "barcode", &barcode, e))
            return -1;
        if (barcode && strlen(barcode) > 255)
            return refuse(e, 422, "barcode", "is too long (the mock's bound: 255 characters)");
        ed->has_barcode = cJSON_GetObjectItemCaseSensitive(o, "barcode") != NULL;
        ed->barcode = barcode && *barcode ? barcode : NULL;
        return 0;
    }
    if (what == REST_EDIT_ITEM)
        return rest_money(o, "cost", 1, &ed->has_cost, ed->cost, e);
    const char *status = NULL;
    if (opt_string(o, "title", &ed->title, e) || opt_string(o, "status", &status, e))
        return -1;
    if (ed->title && (!*ed->title || strlen(ed->title) > 255))
        return refuse(e, 422, "title", ed->title[0] ? "is too long (maximum is 255 characters)"
                                                    : "can't be blank");
    if (status) {
        /* REST spells ProductStatus in lower case. */
        char up[16];
        size_t k = 0;
        int lower = 1;
        for (; status[k] && k + 1 < sizeof up; k++) {
            lower &= !isupper((unsigned char)status[k]);
            up[k] = (char)toupper((unsigned char)status[k]);
        }
        up[k] = '\0';
        if (status[k] || !lower || catalog_status(up, unlisted, &ed->status) != 0)
            return refuse(e, 422, "status", unlisted ? "must be one of active, draft, archived, unlisted"
                                                     : "must be one of active, draft, archived");
        ed->has_status = 1;
    }
    return 0;
}

/* The client a REST edit is journaled under, as mockd names it. */
static void rest_client(ws_shop *s, httpd_req *r, char *out, size_t n)
{
    snprintf(out, n, "%s#%d", s->domain,
             world_token_index(s, httpd_header(r, "X-Shopify-Access-Token")));
}

/* PUT products/{id}.json, variants/{id}.json, inventory_items/{id}.json:
 * the edit through the world (journal, products/update), answered with the
 * object as GET shows it. */
static void rest_edit(httpd_req *r, rest *rs, int what)
{
    static const find_fn finds[] = {find_product, find_variant, find_item};
    static const char *const keys[] = {"product", "variant", "inventory_item"};
    cJSON *b = body_object(r);
    if (!b)
        return;
    world_edit ed;
    rest_body_err be;
    char served[32];
    rest_version(rs->w, r, served, sizeof served);
    int unlisted = strcmp(served, "2025-10") >= 0; /* "unstable" sorts after */
    if (rest_read_edit(b, what, unlisted, &ed, &be) != 0) {
        body_error(r, &be);
        cJSON_Delete(b);
        return;
    }
    ws_shop *s;
    void *x = begin_id(rs, r, finds[what], &s);
    if (x) {
        char by[300];
        rest_client(s, r, by, sizeof by);
        ws_variant *v = what == REST_EDIT_PRODUCT ? NULL : x;
        ws_product *p = what == REST_EDIT_PRODUCT ? x : &s->products[v->product];
        world_product_edit(rs->w, s, p, &ed, v ? &v : NULL, v ? &ed : NULL, v ? 1 : 0, by);
        cJSON *out = what == REST_EDIT_PRODUCT   ? res_product(s, p)
                     : what == REST_EDIT_VARIANT ? res_variant(s, v)
                                                 : res_inventory_item(s, v);
        end_wrapped(rs, r, 200, keys[what], out);
    }
    cJSON_Delete(b);
}

static void h_product_update(httpd_req *r, void *ud)
{
    rest_edit(r, ud, REST_EDIT_PRODUCT);
}

static void h_variant_update(httpd_req *r, void *ud)
{
    rest_edit(r, ud, REST_EDIT_VARIANT);
}

static void h_item_update(httpd_req *r, void *ud)
{
    rest_edit(r, ud, REST_EDIT_ITEM);
}

/* ---- fulfillments ----------------------------------------------------------------- */

/* An order's fulfillments or fulfillment orders, as one list. */
typedef void (*order_items_fn)(const ws_shop *s, const ws_order *o, cJSON *into);

static void add_fulfillments(const ws_shop *s, const ws_order *o, cJSON *into)
{
    for (size_t i = 0; i < o->n_fulfillments; i++)
        cJSON_AddItemToArray(into, res_fulfillment(s, o, &o->fulfillments[i]));
}

static void add_forders(const ws_shop *s, const ws_order *o, cJSON *into)
{
    for (size_t i = 0; i < o->n_forders; i++)
        cJSON_AddItemToArray(into, res_fulfillment_order(s, o, &o->forders[i]));
}

static void order_list(httpd_req *r, rest *rs, const char *key, order_items_fn add)
{
    ws_shop *s;
    const ws_order *o = begin_id(rs, r, find_order, &s);
    if (!o)
        return;
    cJSON *a = cJSON_CreateArray();
    add(s, o, a);
    end_wrapped(rs, r, 200, key, a);
}

static void h_fulfillments(httpd_req *r, void *ud)
{
    order_list(r, ud, "fulfillments", add_fulfillments);
}

/* The legacy POST orders/{id}/fulfillments.json was removed in 2022-07:
 * every version the mock serves answers it as Shopify does now. */
static void h_fulfillment_legacy(httpd_req *r, void *ud)
{
    (void)ud;
    not_found(r);
}

/* {"errors":{"base":[msg]}} or, for a missing fulfillment order, 404. */
static void fo_error(httpd_req *r, const world_fo_err *err)
{
    if (err->status == 404)
        not_found(r);
    else
        field_error(r, 422, "base", err->msg, 1);
}

static void h_order_forders(httpd_req *r, void *ud)
{
    order_list(r, ud, "fulfillment_orders", add_forders);
}

/* begin() for fulfillment_orders/{id}: the fulfillment order and its
 * order, or NULL (answered 404, unlocked). */
static ws_forder *begin_forder(rest *rs, httpd_req *r, ws_shop **shop, ws_order **order)
{
    ws_shop *s = begin(rs, r);
    if (!s)
        return NULL;
    int64_t id;
    ws_forder *fo = parse_id(httpd_capture(r, "id"), &id) == 0 ? world_forder_by_id(s, id, order)
                                                              : NULL;
    if (!fo) {
        world_unlock(rs->w);
        not_found(r);
        return NULL;
    }
    *shop = s;
    return fo;
}

static void h_forder(httpd_req *r, void *ud)
{
    rest *rs = ud;
    ws_shop *s;
    ws_order *o;
    const ws_forder *fo = begin_forder(rs, r, &s, &o);
    if (fo)
        end_wrapped(rs, r, 200, "fulfillment_order", res_fulfillment_order(s, o, fo));
}

/* REST writes enum values in lower case; the world keeps GraphQL's. */
static void upper(const char *in, char *out, size_t n)
{
    size_t i = 0;
    for (; in[i] && i + 1 < n; i++)
        out[i] = (char)toupper((unsigned char)in[i]);
    out[i] = '\0';
}

int rest_read_hold(const cJSON *b, rest_hold_in *in, rest_body_err *e)
{
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(b, "fulfillment_hold");
    const char *reason;
    in->reason[0] = '\0';
    in->notes = in->handle = NULL;
    if (!cJSON_IsObject(h))
        return refuse(e, 400, "fulfillment_hold", "");
    if (opt_string(h, "reason", &reason, e) != 0 || opt_string(h, "reason_notes", &in->notes, e) != 0 ||
        opt_string(h, "handle", &in->handle, e) != 0)
        return -1;
    if (!reason)
        return refuse(e, 422, "reason", "can't be blank");
    upper(reason, in->reason, sizeof in->reason);
    if (!world_hold_reason_ok(in->reason))
        return refuse(e, 422, "reason",
                      "must be one of awaiting_payment, awaiting_return_items, high_risk_of_fraud, "
                      "incorrect_address, inventory_out_of_stock, "
                      "online_store_post_purchase_cross_sell, other, unknown_delivery_date");
    return 0;
}

static void h_forder_hold(httpd_req *r, void *ud)
{
    rest *rs = ud;
    cJSON *b = body_object(r);
    if (!b)
        return;
    rest_hold_in in;
    rest_body_err be;
    if (rest_read_hold(b, &in, &be) != 0) {
        body_error(r, &be);
        goto out;
    }
    ws_shop *s;
    ws_order *o;
    ws_forder *fo = begin_forder(rs, r, &s, &o);
    if (!fo)
        goto out;
    world_fo_err err;
    if (!world_fo_hold(rs->w, s, o, fo, in.reason, in.notes, in.handle, &err)) {
        world_unlock(rs->w);
        fo_error(r, &err);
        goto out;
    }
    end_wrapped(rs, r, 200, "fulfillment_order", res_fulfillment_order(s, o, fo));
out:
    cJSON_Delete(b);
}

static void h_forder_release(httpd_req *r, void *ud)
{
    rest *rs = ud;
    ws_shop *s;
    ws_order *o;
    ws_forder *fo = begin_forder(rs, r, &s, &o);
    if (!fo)
        return;
    world_fo_err err;
    if (world_fo_release(rs->w, s, o, fo, NULL, 0, &err) != 0) {
        world_unlock(rs->w);
        fo_error(r, &err);
        return;
    }
    end_wrapped(rs, r, 200, "fulfillment_order", res_fulfillment_order(s, o, fo));
}

/* One line_items_by_fulfillment_order entry into req (items allocated into
 * *items); -1 with a 422 naming the entry, or its line item, when bad. */
static int read_fo_entry(const cJSON *e, size_t k, world_fo_req *req, world_fo_item **items,
                         rest_body_err *err)
{
    int64_t id;
    if (!cJSON_IsObject(e) ||
        json_int(cJSON_GetObjectItemCaseSensitive(e, "fulfillment_order_id"), &id) != 0)
        return refuse_at(err, "needs an integer fulfillment_order_id",
                         "line_items_by_fulfillment_order[%zu]", k);
    req->fo_id = id;
    const cJSON *li = cJSON_GetObjectItemCaseSensitive(e, "fulfillment_order_line_items");
    if (!li || cJSON_IsNull(li))
        return 0;
    if (!cJSON_IsArray(li) || cJSON_GetArraySize(li) > 250)
        return refuse_at(err, "fulfillment_order_line_items must be an array of at most 250",
                         "line_items_by_fulfillment_order[%zu]", k);
    *items = xcalloc((size_t)cJSON_GetArraySize(li) + 1, sizeof **items);
    req->items = *items;
    const cJSON *it;
    cJSON_ArrayForEach(it, li)
    {
        world_fo_item *x = &(*items)[req->n_items];
        if (!cJSON_IsObject(it) || json_int(cJSON_GetObjectItemCaseSensitive(it, "id"), &x->id) != 0 ||
            json_int(cJSON_GetObjectItemCaseSensitive(it, "quantity"), &x->qty) != 0)
            return refuse_at(err, "needs an integer id and quantity",
                             "line_items_by_fulfillment_order[%zu].fulfillment_order_line_items[%zu]",
                             k, req->n_items);
        req->n_items++;
    }
    return 0;
}

/* tracking_info (optional): number, company and url, each an optional
 * string; notify_customer an optional boolean. */
static int read_tracking(const cJSON *f, world_tracking *t, rest_body_err *e)
{
    const cJSON *ti = cJSON_GetObjectItemCaseSensitive(f, "tracking_info");
    if (ti && !cJSON_IsNull(ti)) {
        if (!cJSON_IsObject(ti))
            return refuse(e, 422, "tracking_info", "must be an object");
        if (opt_string(ti, "number", &t->number, e) != 0 ||
            opt_string(ti, "company", &t->company, e) != 0 || opt_string(ti, "url", &t->url, e) != 0)
            return -1;
    }
    const cJSON *nc = cJSON_GetObjectItemCaseSensitive(f, "notify_customer");
    if (nc && !cJSON_IsNull(nc) && !cJSON_IsBool(nc))
        return refuse(e, 422, "notify_customer", "must be true or false");
    t->notify_customer = cJSON_IsTrue(nc);
    return 0;
}

void rest_fulfillment_in_free(rest_fulfillment_in *in)
{
    for (size_t i = 0; in->items && i < in->n; i++)
        free(in->items[i]);
    free(in->items);
    free(in->reqs);
    memset(in, 0, sizeof *in);
}

int rest_read_fulfillment(const cJSON *b, rest_fulfillment_in *in, rest_body_err *e)
{
    memset(in, 0, sizeof *in);
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(b, "fulfillment");
    if (!cJSON_IsObject(f))
        return refuse(e, 400, "fulfillment", "");
    const cJSON *lbf = cJSON_GetObjectItemCaseSensitive(f, "line_items_by_fulfillment_order");
    if (!cJSON_IsArray(lbf) || cJSON_GetArraySize(lbf) == 0 || cJSON_GetArraySize(lbf) > 250)
        return refuse(e, 422, "line_items_by_fulfillment_order",
                      "must be an array of 1 to 250 fulfillment orders");
    if (read_tracking(f, &in->tracking, e) != 0)
        return -1;
    size_t cnt = (size_t)cJSON_GetArraySize(lbf);
    in->reqs = xcalloc(cnt, sizeof *in->reqs);
    in->items = xcalloc(cnt, sizeof *in->items);
    in->n = cnt; /* every slot freed on a refusal: unread ones are NULL */
    size_t k = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, lbf)
    {
        if (read_fo_entry(x, k, &in->reqs[k], &in->items[k], e) != 0) {
            rest_fulfillment_in_free(in);
            return -1;
        }
        k++;
    }
    return 0;
}

static void h_fulfillments_create(httpd_req *r, void *ud)
{
    rest *rs = ud;
    cJSON *b = body_object(r);
    if (!b)
        return;
    rest_fulfillment_in in;
    rest_body_err be;
    if (rest_read_fulfillment(b, &in, &be) != 0) {
        body_error(r, &be);
        goto out;
    }
    ws_shop *s = begin(rs, r);
    if (!s)
        goto out;
    world_fo_err err;
    ws_order *o;
    ws_fulfillment *ful = world_fulfill(rs->w, s, in.reqs, in.n, &in.tracking, &o, &err);
    if (!ful) {
        world_unlock(rs->w);
        fo_error(r, &err);
        goto out;
    }
    end_wrapped(rs, r, 201, "fulfillment", res_fulfillment(s, o, ful));
out:
    rest_fulfillment_in_free(&in);
    cJSON_Delete(b);
}

/* ---- webhooks ---------------------------------------------------------------------- */

static void h_webhooks(httpd_req *r, void *ud)
{
    rest *rs = ud;
    const char *topic = httpd_query(r, "topic"), *address = httpd_query(r, "address");
    int64_t since = 0;
    if (since_param(r, httpd_query(r, "since_id"), &since) != 0)
        return;
    ws_shop *s = begin(rs, r);
    if (!s)
        return;
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < s->n_subs; i++) {
        const ws_sub *sub = &s->subs[i];
        if ((topic && strcmp(topic, sub->topic) != 0) ||
            (address && strcmp(address, sub->address) != 0) || sub->id <= since)
            continue;
        cJSON_AddItemToArray(a, res_webhook(s, sub));
    }
    world_unlock(rs->w);
    keep_fields(a, httpd_query(r, "fields"));
    reply_wrapped(r, 200, "webhooks", a);
}

static void h_webhooks_count(httpd_req *r, void *ud)
{
    rest *rs = ud;
    const char *topic = httpd_query(r, "topic"), *address = httpd_query(r, "address");
    ws_shop *s = begin(rs, r);
    if (!s)
        return;
    size_t n = 0;
    for (size_t i = 0; i < s->n_subs; i++)
        n += (!topic || strcmp(topic, s->subs[i].topic) == 0) &&
             (!address || strcmp(address, s->subs[i].address) == 0);
    world_unlock(rs->w);
    reply_count(r, n);
}

static int valid_address(const char *a)
{
    if (strncmp(a, "http://", 7) != 0 && strncmp(a, "https://", 8) != 0)
        return 0;
    const char *host = a + (a[4] == 's' ? 8 : 7);
    return *host && *host != '/' && !strpbrk(a, " \t\r\n");
}

int rest_read_webhook(const cJSON *b, const char **topic_out, const char **address_out,
                      rest_body_err *e)
{
    const cJSON *wh = cJSON_GetObjectItemCaseSensitive(b, "webhook");
    const cJSON *topic = cJSON_IsObject(wh) ? cJSON_GetObjectItemCaseSensitive(wh, "topic") : NULL;
    const cJSON *address = cJSON_IsObject(wh) ? cJSON_GetObjectItemCaseSensitive(wh, "address") : NULL;
    const cJSON *format = cJSON_IsObject(wh) ? cJSON_GetObjectItemCaseSensitive(wh, "format") : NULL;
    if (!cJSON_IsObject(wh))
        return refuse(e, 400, "webhook", "");
    if (!cJSON_IsString(topic) || !*topic->valuestring)
        return refuse(e, 422, "topic", "can't be blank");
    if (!spec_topic_known(topic->valuestring)) {
        refuse(e, 422, "topic", "");
        snprintf(e->msg, sizeof e->msg, "Invalid topic specified: %.60s. Topics allowed: %s",
                 topic->valuestring, spec_topic_list());
        return -1;
    }
    if (!cJSON_IsString(address) || !*address->valuestring)
        return refuse(e, 422, "address", "can't be blank");
    if (!valid_address(address->valuestring))
        return refuse(e, 422, "address", "is invalid");
    if (format && !(cJSON_IsString(format) && strcmp(format->valuestring, "json") == 0))
        return refuse(e, 422, "format", "is not included in the list (this mock sends json)");
    *topic_out = topic->valuestring;
    *address_out = address->valuestring;
    return 0;
}

static void h_webhook_create(httpd_req *r, void *ud)
{
    rest *rs = ud;
    cJSON *b = body_object(r);
    if (!b)
        return;
    const char *topic, *address;
    rest_body_err e;
    char version[32];
    rest_version(rs->w, r, version, sizeof version);
    if (rest_read_webhook(b, &topic, &address, &e) != 0) {
        body_error(r, &e);
    } else {
        ws_shop *s = begin(rs, r);
        if (s) {
            int taken = 0;
            for (size_t i = 0; i < s->n_subs && !taken; i++)
                taken = strcmp(s->subs[i].topic, topic) == 0 && strcmp(s->subs[i].address, address) == 0;
            if (taken) {
                world_unlock(rs->w);
                field_error(r, 422, "address", "for this topic has already been taken", 1);
            } else {
                ws_sub *sub = world_sub_add(rs->w, s, topic, address, version, "api");
                end_wrapped(rs, r, 201, "webhook", res_webhook(s, sub));
            }
        }
    }
    cJSON_Delete(b);
}

static void h_webhook(httpd_req *r, void *ud)
{
    rest *rs = ud;
    ws_shop *s;
    const ws_sub *sub = begin_id(rs, r, find_sub, &s);
    if (sub)
        end_wrapped(rs, r, 200, "webhook", res_webhook(s, sub));
}

static void h_webhook_update(httpd_req *r, void *ud)
{
    rest *rs = ud;
    cJSON *b = body_object(r);
    if (!b)
        return;
    const cJSON *wh = cJSON_GetObjectItemCaseSensitive(b, "webhook");
    const cJSON *address = cJSON_IsObject(wh) ? cJSON_GetObjectItemCaseSensitive(wh, "address") : NULL;
    if (!cJSON_IsObject(wh)) {
        missing_param(r, "webhook");
    } else if (address && (!cJSON_IsString(address) || !valid_address(address->valuestring))) {
        field_error(r, 422, "address", "is invalid", 1);
    } else {
        ws_shop *s;
        ws_sub *sub = begin_id(rs, r, find_sub, &s);
        if (sub) {
            if (address)
                world_sub_update(rs->w, s, sub, address->valuestring);
            end_wrapped(rs, r, 200, "webhook", res_webhook(s, sub));
        }
    }
    cJSON_Delete(b);
}

static void h_webhook_delete(httpd_req *r, void *ud)
{
    rest *rs = ud;
    ws_shop *s;
    const ws_sub *sub = begin_id(rs, r, find_sub, &s);
    if (!sub)
        return;
    world_sub_remove(rs->w, s, sub->id, "api");
    world_unlock(rs->w);
    httpd_reply_json_text(r, 200, "{}");
}

/* ---- routes ------------------------------------------------------------------------- */

void rest_routes(rest *rs, httpd *srv, httpd_handler graphql, void *graphql_ud)
{
    static const struct {
        const char *method, *tail;
        httpd_handler fn;
    } table[] = {
        {"GET", "shop.json", h_shop},
        {"GET", "locations.json", h_locations},
        {"GET", "locations/count.json", h_locations_count},
        {"GET", "locations/{id}/inventory_levels.json", h_location_levels},
        {"GET", "locations/{id}.json", h_location},
        {"GET", "products.json", h_products},
        {"GET", "products/count.json", h_products_count},
        {"GET", "products/{id}/variants.json", h_product_variants},
        {"GET", "products/{id}.json", h_product},
        {"PUT", "products/{id}.json", h_product_update},
        {"GET", "variants/{id}.json", h_variant},
        {"PUT", "variants/{id}.json", h_variant_update},
        {"GET", "inventory_items.json", h_inventory_items},
        {"GET", "inventory_items/{id}.json", h_inventory_item},
        {"PUT", "inventory_items/{id}.json", h_item_update},
        {"GET", "inventory_levels.json", h_levels},
        {"POST", "inventory_levels/set.json", h_levels_set},
        {"POST", "inventory_levels/adjust.json", h_levels_adjust},
        {"GET", "orders.json", h_orders},
        {"GET", "orders/count.json", h_orders_count},
        {"GET", "orders/{id}/fulfillments.json", h_fulfillments},
        {"POST", "orders/{id}/fulfillments.json", h_fulfillment_legacy},
        {"GET", "orders/{id}/fulfillment_orders.json", h_order_forders},
        {"GET", "fulfillment_orders/{id}.json", h_forder},
        {"POST", "fulfillment_orders/{id}/hold.json", h_forder_hold},
        {"POST", "fulfillment_orders/{id}/release_hold.json", h_forder_release},
        {"POST", "fulfillments.json", h_fulfillments_create},
        {"POST", "orders/{id}/cancel.json", h_order_cancel},
        {"GET", "orders/{id}.json", h_order},
        {"GET", "webhooks.json", h_webhooks},
        {"POST", "webhooks.json", h_webhook_create},
        {"GET", "webhooks/count.json", h_webhooks_count},
        {"GET", "webhooks/{id}.json", h_webhook},
        {"PUT", "webhooks/{id}.json", h_webhook_update},
        {"DELETE", "webhooks/{id}.json", h_webhook_delete},
    };
    static const char *const prefixes[] = {"/admin/api/{version}/",
                                           "/shops/{shop}/admin/api/{version}/"};
    for (size_t p = 0; p < 2; p++) {
        char pat[256];
        snprintf(pat, sizeof pat, "%sgraphql.json", prefixes[p]);
        httpd_route(srv, "POST", pat, graphql, graphql_ud);
        for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
            snprintf(pat, sizeof pat, "%s%s", prefixes[p], table[i].tail);
            httpd_route(srv, table[i].method, pat, table[i].fn, rs);
        }
    }
    httpd_set_not_found(srv, not_found_handler, NULL);
    httpd_set_too_large_body(srv, "{\"errors\":\"Request body is too large (over 1 MiB)\"}");
}
