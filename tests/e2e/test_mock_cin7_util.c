/* Helpers for the mock-cin7 end-to-end tests; see test_mock_cin7.h. */
#include "test_mock_cin7.h"

#include "mem.h"
#include "sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const c7t_demo_auth[] = {"api-auth-accountid: demo", "api-auth-applicationkey: demo-key",
                                     NULL};
const char *const c7t_auth[] = {"api-auth-accountid: acme", "api-auth-applicationkey: k1", NULL};
const char *const c7t_auth2[] = {"api-auth-accountid: acme", "api-auth-applicationkey: k2", NULL};

/* The config of c7t_start_world; malloc'd. */
static char *world_config(const char *extra)
{
    return xasprintf(
        "{\"account\":\"acme\","
        "\"applications\":[{\"name\":\"sync\",\"key\":\"k1\"},"
        "{\"name\":\"erp\",\"key\":\"k2\",\"calls_per_minute\":5}],"
        "\"rate_limit\":{\"preset\":\"unlimited\"},"
        "\"locations\":[{\"name\":\"Main Warehouse\"},{\"name\":\"East\"},{\"name\":\"West\"}],"
        "\"suppliers\":[{\"name\":\"Acme Supply\",\"lead_time\":\"1h\",\"minimum_order\":50,"
        "\"currency\":\"EUR\",\"payment_term\":\"60 days\",\"locations\":[\"Main Warehouse\",\"East\"]}],"
        "\"products\":[{\"sku\":\"A-1\",\"name\":\"Anvil\",\"supplier\":\"Acme Supply\",\"price\":10,\"cost\":4},"
        "{\"sku\":\"A-2\",\"name\":\"Anvil XL\",\"supplier\":\"Acme Supply\",\"price\":20,\"cost\":8},"
        "{\"sku\":\"B-1\",\"name\":\"Bolt\"}],"
        "\"stock\":[{\"sku\":\"A-1\",\"location\":\"Main Warehouse\",\"on_hand\":100},"
        "{\"sku\":\"A-1\",\"location\":\"East\",\"on_hand\":5},"
        "{\"sku\":\"A-2\",\"location\":\"Main Warehouse\",\"on_hand\":10}],"
        "\"customers\":[{\"name\":\"Web Shop\"}]%s%s}",
        extra && *extra ? "," : "", extra ? extra : "");
}

void c7t_start_world(e2e_server *s, const char *extra, const char *const *args)
{
    char *config = world_config(extra);
    e2e_start_config(s, "mock-cin7", config, args);
    free(config);
}

cJSON *c7t_call(const e2e_server *s, const char *const *hdrs, const char *method,
                const char *path, const char *body, int status)
{
    return e2e_expect(s, method, path, hdrs, body, status, 1);
}

char *c7t_error(const e2e_server *s, const char *const *hdrs, const char *method, const char *path,
                const char *body, int status)
{
    cJSON *v = c7t_call(s, hdrs, method, path, body, status);
    const cJSON *e = cJSON_GetArrayItem(v, 0);
    EXPECT_TRUE(cJSON_IsArray(v));
    EXPECT_EQ_INT(c7t_num(e, "ErrorCode"), status);
    char *msg = xstrdup(c7t_str(e, "Exception"));
    cJSON_Delete(v);
    return msg;
}

void c7t_expect_error(const e2e_server *s, const char *const *hdrs, const char *method,
                      const char *path, const char *body, int status, const char *want)
{
    char *msg = c7t_error(s, hdrs, method, path, body, status);
    if (want)
        EXPECT_CONTAINS(msg, want);
    free(msg);
}

int c7t_status(const e2e_server *s, const char *const *hdrs, const char *method, const char *path,
               const char *body)
{
    httpc_resp r = e2e_call(s, method, path, hdrs, body);
    int st = r.result == HTTPC_OK ? r.status : 0;
    httpc_resp_free(&r);
    return st;
}

double c7t_num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        test_fail(__FILE__, __LINE__, "field %s is not a number", key);
    return v->valuedouble;
}

const char *c7t_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

const cJSON *c7t_entry(const cJSON *journal, const char *kind, int nth)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, journal)
    {
        const char *k = c7t_str(e, "kind");
        if (k && strcmp(k, kind) == 0 && nth-- == 0)
            return e;
    }
    return NULL;
}

int c7t_count(const cJSON *journal, const char *kind)
{
    int n = 0;
    while (c7t_entry(journal, kind, n))
        n++;
    return n;
}

cJSON *c7t_stock(const e2e_server *s, const char *sku, const char *location)
{
    cJSON *st = e2e_expect(s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    cJSON *found = NULL;
    const cJSON *row;
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(st, "stock"))
    {
        if (strcmp(c7t_str(row, "sku"), sku) == 0 && strcmp(c7t_str(row, "location"), location) == 0)
            found = cJSON_Duplicate(row, 1);
    }
    cJSON_Delete(st);
    if (!found)
        test_fail(__FILE__, __LINE__, "no stock row for %s at %s", sku, location);
    return found;
}

char *c7t_lines(const char *spec)
{
    sbuf b = SBUF_INIT;
    sbuf_putc(&b, '[');
    char *copy = xstrdup(spec);
    char *save = NULL;
    int n = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char sku[64];
        double qty = 0, price = 10;
        if (sscanf(tok, "%63[^:]:%lf@%lf", sku, &qty, &price) < 2)
            test_fail(__FILE__, __LINE__, "bad line spec \"%s\"", tok);
        sbuf_printf(&b,
                    "%s{\"SKU\":\"%s\",\"Name\":\"%s\",\"Quantity\":%.4f,\"Price\":%.4f,"
                    "\"Tax\":0,\"TaxRule\":\"Tax Exempt\",\"Total\":%.4f}",
                    n++ ? "," : "", sku, sku, qty, price, qty * price);
    }
    free(copy);
    sbuf_putc(&b, ']');
    return sbuf_take(&b);
}

/* The ID of an answer (fails the test when it has none); malloc'd. */
static char *id_of(cJSON *v)
{
    const char *id = c7t_str(v, "ID");
    if (!id)
        test_fail(__FILE__, __LINE__, "the answer has no ID");
    char *copy = xstrdup(id);
    cJSON_Delete(v);
    return copy;
}

/* POST path with {key: id, Status, Memo, Lines} (the section endpoints). */
static void post_section(const e2e_server *s, const char *path, const char *key, const char *id,
                         const char *spec, const char *status)
{
    char *lines = c7t_lines(spec);
    char *body = xasprintf("{\"%s\":\"%s\",\"Status\":\"%s\",\"Memo\":\"\",\"Lines\":%s}", key,
                           id, status, lines);
    cJSON_Delete(c7t_call(s, c7t_auth, "POST", path, body, 200));
    free(body);
    free(lines);
}

char *c7t_sale(const e2e_server *s, const char *ref, const char *location, const char *spec,
               const char *status)
{
    char *body = xasprintf(
        "{\"Customer\":\"Web Shop\",\"CustomerReference\":\"%s\",\"ExternalID\":\"x-%s\","
        "\"Location\":\"%s\",\"SkipQuote\":true,"
        "\"ShippingAddress\":{\"Line1\":\"1 Main St\",\"City\":\"Austin\",\"Country\":\"US\"}}",
        ref, ref, location);
    char *id = id_of(c7t_call(s, c7t_auth, "POST", "/ExternalApi/v2/sale", body, 200));
    free(body);
    post_section(s, "/ExternalApi/v2/sale/order", "SaleID", id, spec, status);
    return id;
}

cJSON *c7t_sale_doc(const e2e_server *s, const char *id)
{
    char *path = xasprintf("/ExternalApi/v2/sale?ID=%s", id);
    cJSON *v = c7t_call(s, c7t_auth, "GET", path, NULL, 200);
    free(path);
    return v;
}

char *c7t_purchase(const e2e_server *s, const char *location, const char *spec, const char *status)
{
    char *body = xasprintf("{\"Supplier\":\"Acme Supply\",\"Location\":\"%s\"}", location);
    char *id = id_of(c7t_call(s, c7t_auth, "POST", "/ExternalApi/v2/advanced-purchase", body, 200));
    free(body);
    if (spec)
        post_section(s, "/ExternalApi/v2/purchase/order", "TaskID", id, spec, status);
    return id;
}

/* ---- the receiver ---------------------------------------------------------------- */

static void on_hook(httpd_req *r, void *ud)
{
    c7t_receiver *rc = ud;
    size_t len;
    const char *body = httpd_body(r, &len);
    const char *auth = httpd_header(r, "Authorization");
    const char *custom = httpd_header(r, "X-Custom");
    pthread_mutex_lock(&rc->mu);
    int fail = rc->fail_first < 0 || rc->n < rc->fail_first;
    if (rc->n < (int)(sizeof rc->hits / sizeof rc->hits[0])) {
        c7t_hit *h = &rc->hits[rc->n++];
        snprintf(h->path, sizeof h->path, "%s", httpd_path(r));
        snprintf(h->authorization, sizeof h->authorization, "%s", auth ? auth : "");
        snprintf(h->custom, sizeof h->custom, "%s", custom ? custom : "");
        h->body = xstrndup(body, len);
    }
    pthread_mutex_unlock(&rc->mu);
    if (fail)
        httpd_reply_json_text(r, 500, "{\"error\":\"receiver says no\"}");
    else
        httpd_reply_json_text(r, 200, "{}");
}

void c7t_receiver_start(c7t_receiver *rc, int fail_first)
{
    memset(rc, 0, sizeof *rc);
    pthread_mutex_init(&rc->mu, NULL);
    rc->fail_first = fail_first;
    rc->srv = e2e_listen("POST", "/hook/*", on_hook, rc, 0);
}

void c7t_receiver_stop(c7t_receiver *rc)
{
    httpd_free(rc->srv);
    for (int i = 0; i < rc->n; i++)
        free(rc->hits[i].body);
    pthread_mutex_destroy(&rc->mu);
}

int c7t_receiver_count(c7t_receiver *rc)
{
    pthread_mutex_lock(&rc->mu);
    int n = rc->n;
    pthread_mutex_unlock(&rc->mu);
    return n;
}

char *c7t_receiver_body(c7t_receiver *rc, int i, c7t_hit *meta)
{
    char *body = NULL;
    pthread_mutex_lock(&rc->mu);
    if (i < rc->n) {
        body = xstrdup(rc->hits[i].body);
        if (meta) {
            *meta = rc->hits[i];
            meta->body = NULL;
        }
    }
    pthread_mutex_unlock(&rc->mu);
    return body;
}

char *c7t_subscribe(const e2e_server *s, c7t_receiver *rc, const char *type, const char *name,
                    const char *auth_fields)
{
    char *body = xasprintf("{\"Type\":\"%s\",\"ExternalURL\":\"http://127.0.0.1:%u/hook/%s\"%s%s}", type,
                           (unsigned)httpd_port(rc->srv), name, auth_fields ? "," : "",
                           auth_fields ? auth_fields : "");
    cJSON *v = c7t_call(s, c7t_auth, "POST", "/ExternalApi/v2/webhooks", body, 200);
    free(body);
    const cJSON *h = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "Webhooks"), 0);
    EXPECT_TRUE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "IsActive")));
    EXPECT_EQ_STR(c7t_str(h, "Type"), type);
    char *id = xstrdup(c7t_str(h, "ID"));
    cJSON_Delete(v);
    return id;
}

typedef struct {
    const e2e_server *s;
    const char *kind;
    int n;
} wait_kind;

static int has_kind(void *ud)
{
    wait_kind *w = ud;
    cJSON *j = e2e_journal(w->s);
    int ok = c7t_count(j, w->kind) >= w->n;
    cJSON_Delete(j);
    return ok;
}

int c7t_wait_kind(const e2e_server *s, const char *kind, int n, int timeout_ms)
{
    wait_kind w = {s, kind, n};
    return e2e_wait(has_kind, &w, timeout_ms);
}

typedef struct {
    c7t_receiver *rc;
    int n;
} wait_hits;

static int has_hits(void *ud)
{
    wait_hits *w = ud;
    return c7t_receiver_count(w->rc) >= w->n;
}

int c7t_wait_hits(c7t_receiver *rc, int n, int timeout_ms)
{
    wait_hits w = {rc, n};
    return e2e_wait(has_hits, &w, timeout_ms);
}
