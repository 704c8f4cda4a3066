/* Helpers for the mock-shopify end-to-end tests; see mock_shopify_test.h. */
#include "mock_shopify_test.h"

#include "json.h"
#include "mem.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

httpc_resp ms_call(const e2e_server *s, const char *method, const char *path, const char *body,
                   const char *token, const char *host)
{
    char th[256], hh[256];
    const char *headers[4];
    int k = 0;
    headers[k++] = "Content-Type: application/json";
    if (token) {
        snprintf(th, sizeof th, "X-Shopify-Access-Token: %s", token);
        headers[k++] = th;
    }
    if (host) {
        snprintf(hh, sizeof hh, "Host: %s", host);
        headers[k++] = hh;
    }
    headers[k] = NULL;
    httpc_resp r = e2e_call(s, method, path, headers, body);
    if (r.result != HTTPC_OK)
        test_fail(__FILE__, __LINE__, "%s %s: %s", method, path, r.error);
    return r;
}

cJSON *ms_json(const e2e_server *s, const char *method, const char *path, const char *body,
               int status)
{
    httpc_resp r = ms_call(s, method, path, body, MS_TOKEN, NULL);
    if (r.status != status)
        test_fail(__FILE__, __LINE__, "%s %s: expected status %d, got %d: %.500s", method, path,
                  status, r.status, r.body);
    cJSON *v = e2e_json(&r);
    httpc_resp_free(&r);
    return v;
}

cJSON *ms_gql(const e2e_server *s, const char *version, const char *query, const char *vars,
              int status)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "query", query);
    if (vars) {
        json_err e;
        cJSON *v = json_parse(vars, strlen(vars), &e);
        if (!v)
            test_fail(__FILE__, __LINE__, "bad variables in the test: %s", e.msg);
        cJSON_AddItemToObject(b, "variables", v);
    }
    char *text = json_print(b);
    cJSON_Delete(b);
    char path[128];
    snprintf(path, sizeof path, "/admin/api/%s/graphql.json", version);
    httpc_resp r = ms_call(s, "POST", path, text, MS_TOKEN, NULL);
    free(text);
    if (r.status != status)
        test_fail(__FILE__, __LINE__, "graphql: expected status %d, got %d: %.500s", status,
                  r.status, r.body);
    cJSON *v = e2e_json(&r);
    httpc_resp_free(&r);
    return v;
}

const cJSON *jp(const cJSON *v, const char *path)
{
    const char *p = path;
    while (v && *p) {
        if (*p == '.') {
            p++;
            continue;
        }
        if (*p == '[') {
            char *end;
            long i = strtol(p + 1, &end, 10);
            v = cJSON_GetArrayItem(v, (int)i);
            p = *end == ']' ? end + 1 : end;
            continue;
        }
        size_t len = strcspn(p, ".[");
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)len, p);
        v = cJSON_GetObjectItemCaseSensitive(v, key);
        p += len;
    }
    return v;
}

double jnumber(const cJSON *v, const char *path)
{
    const cJSON *x = jp(v, path);
    if (!cJSON_IsNumber(x)) {
        char *t = json_print(v);
        test_fail(__FILE__, __LINE__, "no number at %s in %.600s", path, t);
    }
    return x->valuedouble;
}

const char *jstring(const cJSON *v, const char *path)
{
    const cJSON *x = jp(v, path);
    if (!cJSON_IsString(x)) {
        char *t = json_print(v);
        test_fail(__FILE__, __LINE__, "no string at %s in %.600s", path, t);
    }
    return x->valuestring;
}

int ms_journal_count(const cJSON *entries, const char *kind, const char *key, const char *value)
{
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, entries)
    {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "kind");
        if (!cJSON_IsString(k) || strcmp(k->valuestring, kind) != 0)
            continue;
        if (key) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, key);
            if (!v)
                continue;
            if (value) {
                char buf[64];
                const char *text = NULL;
                if (cJSON_IsString(v)) {
                    text = v->valuestring;
                } else if (cJSON_IsNumber(v)) {
                    snprintf(buf, sizeof buf, "%.0f", v->valuedouble);
                    text = buf;
                } else if (cJSON_IsBool(v)) {
                    text = cJSON_IsTrue(v) ? "true" : "false";
                }
                if (!text || strcmp(text, value) != 0)
                    continue;
            }
        }
        n++;
    }
    return n;
}

long ms_counter(const e2e_server *s, const char *name)
{
    cJSON *st = e2e_expect(s, "GET", "/_mock/stats", NULL, NULL, 200, 1);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(st, "counters"),
                                                      name);
    long v = cJSON_IsNumber(c) ? (long)c->valuedouble : 0;
    cJSON_Delete(st);
    return v;
}

long long ms_checkout(const e2e_server *s, const char *sku, int qty)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"lines\":[{\"sku\":\"%s\",\"qty\":%d}],\"shipping_address\":{\"first_name\":\"Ann\","
             "\"last_name\":\"Lee\",\"city\":\"Austin\",\"province_code\":\"TX\",\"zip\":\"78701\","
             "\"country_code\":\"US\",\"latitude\":30.27,\"longitude\":-97.74}}",
             sku, qty);
    cJSON *v = e2e_expect(s, "POST", "/_mock/checkout", NULL, body, 200, 1);
    long long id = 0;
    if (strcmp(jstring(v, "result"), "accepted") == 0)
        id = (long long)jnumber(v, "order_id");
    cJSON_Delete(v);
    return id;
}

/* ---- the receiver ------------------------------------------------------------ */

struct ms_receiver {
    httpd *srv;
    pthread_mutex_t lock;
    ms_delivery *d;
    int n, cap;
    int status;
    char url[128];
};

static void copy_header(httpd_req *r, const char *name, char *out, size_t n)
{
    const char *v = httpd_header(r, name);
    snprintf(out, n, "%s", v ? v : "");
}

static void on_hook(httpd_req *r, void *ud)
{
    ms_receiver *rc = ud;
    ms_delivery d;
    memset(&d, 0, sizeof d);
    copy_header(r, "X-Shopify-Topic", d.topic, sizeof d.topic);
    copy_header(r, "X-Shopify-Hmac-Sha256", d.hmac, sizeof d.hmac);
    copy_header(r, "X-Shopify-Shop-Domain", d.shop, sizeof d.shop);
    copy_header(r, "X-Shopify-API-Version", d.version, sizeof d.version);
    copy_header(r, "X-Shopify-Webhook-Id", d.webhook_id, sizeof d.webhook_id);
    copy_header(r, "X-Shopify-Event-Id", d.event_id, sizeof d.event_id);
    copy_header(r, "X-Shopify-Triggered-At", d.triggered, sizeof d.triggered);
    size_t len;
    const char *body = httpd_body(r, &len);
    d.body = xmalloc(len + 1);
    memcpy(d.body, body, len);
    d.body[len] = '\0';
    d.body_len = len;
    pthread_mutex_lock(&rc->lock);
    if (rc->n == rc->cap) {
        rc->cap = rc->cap ? rc->cap * 2 : 64;
        rc->d = xrealloc(rc->d, (size_t)rc->cap * sizeof *rc->d);
    }
    rc->d[rc->n++] = d;
    int status = rc->status;
    pthread_mutex_unlock(&rc->lock);
    if (status >= 300 && status < 400)
        httpd_add_header(r, "Location", "http://127.0.0.1:1/elsewhere");
    httpd_reply_json_text(r, status, "{}");
}

ms_receiver *ms_receiver_start(int status)
{
    ms_receiver *rc = xcalloc(1, sizeof *rc);
    pthread_mutex_init(&rc->lock, NULL);
    rc->status = status;
    rc->srv = e2e_listen("POST", "/hooks", on_hook, rc, 4);
    snprintf(rc->url, sizeof rc->url, "http://127.0.0.1:%u/hooks", httpd_port(rc->srv));
    return rc;
}

void ms_receiver_set_status(ms_receiver *r, int status)
{
    pthread_mutex_lock(&r->lock);
    r->status = status;
    pthread_mutex_unlock(&r->lock);
}

const char *ms_receiver_url(const ms_receiver *r)
{
    return r->url;
}

int ms_receiver_count(ms_receiver *r)
{
    pthread_mutex_lock(&r->lock);
    int n = r->n;
    pthread_mutex_unlock(&r->lock);
    return n;
}

ms_delivery ms_receiver_get(ms_receiver *r, int i)
{
    pthread_mutex_lock(&r->lock);
    if (i < 0 || i >= r->n) {
        pthread_mutex_unlock(&r->lock);
        test_fail(__FILE__, __LINE__, "no delivery %d", i);
    }
    ms_delivery d = r->d[i];
    d.body = xmalloc(d.body_len + 1);
    memcpy(d.body, r->d[i].body, d.body_len + 1);
    pthread_mutex_unlock(&r->lock);
    return d;
}

void ms_delivery_free(ms_delivery *d)
{
    free(d->body);
    d->body = NULL;
}

int ms_receiver_wait(ms_receiver *r, int n, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 5) {
        if (ms_receiver_count(r) >= n)
            break;
        e2e_sleep_ms(5);
    }
    return ms_receiver_count(r);
}

void ms_receiver_stop(ms_receiver *r)
{
    if (!r)
        return;
    httpd_free(r->srv);
    for (int i = 0; i < r->n; i++)
        free(r->d[i].body);
    free(r->d);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
