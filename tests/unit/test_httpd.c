/* The server wrapper (lib/httpd) and the client wrapper (lib/httpc), each
 * tested against the other over loopback. */
#include "../runner.h"

#include "clock.h"
#include "httpc.h"
#include "httpd.h"
#include "mem.h"
#include "sbuf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static void echo(httpd_req *r, void *ud)
{
    (void)ud;
    sbuf b = SBUF_INIT;
    const char *id = httpd_capture(r, "id");
    const char *ver = httpd_capture(r, "version");
    const char *rest = httpd_capture(r, "*");
    const char *q = httpd_query(r, "q");
    const char *qi = httpd_query_ci(r, "sku");
    const char *h = httpd_header(r, "x-test");
    size_t len;
    const char *body = httpd_body(r, &len);
    sbuf_printf(&b, "%s|%s|%s|%s|%s|%s|%s|%s|%zu|%s", httpd_method(r), httpd_path(r),
                id ? id : "-", ver ? ver : "-", rest ? rest : "-", q ? q : "-", qi ? qi : "-",
                h ? h : "-", len, body);
    httpd_add_header(r, "X-Route", httpd_route_pattern(r));
    httpd_reply(r, 200, "text/plain", b.data, b.len);
    sbuf_free(&b);
}

static void json_hello(httpd_req *r, void *ud)
{
    (void)ud;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "hello", "world");
    httpd_reply_json(r, 201, o);
    cJSON_Delete(o);
}

static void slow(httpd_req *r, void *ud)
{
    (void)ud;
    const char *ms = httpd_query(r, "ms");
    if (!httpd_query(r, "noanswer"))
        httpd_reply_json_text(r, 200, "{\"slow\":true}");
    httpd_delay(r, ms ? atof(ms) : 100);
}

static atomic_int drop_calls;

static void drop(httpd_req *r, void *ud)
{
    (void)ud;
    atomic_fetch_add(&drop_calls, 1);
    httpd_reset(r);
}

static void silent(httpd_req *r, void *ud)
{
    (void)r;
    (void)ud;
}

static atomic_int done_count, done_status_sum;

static void on_done(httpd_req *r, int status, void *ud)
{
    (void)r;
    (void)ud;
    atomic_fetch_add(&done_count, 1);
    atomic_fetch_add(&done_status_sum, status);
}

static int deny_filter(httpd_req *r, void *ud)
{
    (void)ud;
    if (httpd_header(r, "X-Deny")) {
        httpd_reply_json_text(r, 403, "{\"error\":\"denied\"}");
        return 1;
    }
    return 0;
}

/* Cuts answers short when asked to, as the "malformed" fault does. */
static void truncate_post(httpd_req *r, void *ud)
{
    (void)ud;
    size_t len;
    const char *body = httpd_answer(r, &len);
    if (body && httpd_header(r, "X-Truncate") && len > 4)
        httpd_reply(r, httpd_status(r), "application/json", body, len / 2);
}

static httpd *start_server(size_t body_cap)
{
    httpd *s = httpd_new();
    httpd_route(s, "GET", "/orders/{id}.json", echo, NULL);
    httpd_route(s, "POST", "/admin/api/{version}/orders/{id}/fulfillments.json", echo, NULL);
    httpd_route(s, "POST", "/echo", echo, NULL);
    httpd_route(s, "PUT", "/echo", echo, NULL);
    httpd_route(s, "*", "/any", echo, NULL);
    httpd_route(s, "GET", "/files/*", echo, NULL);
    httpd_route(s, "GET", "/json", json_hello, NULL);
    httpd_route(s, "GET", "/slow", slow, NULL);
    httpd_route(s, "*", "/drop", drop, NULL);
    httpd_route(s, "GET", "/silent", silent, NULL);
    httpd_set_filter(s, deny_filter, NULL);
    httpd_set_post(s, truncate_post, NULL);
    httpd_set_done(s, on_done, NULL);
    httpd_config cfg = {.port = 0, .body_cap = body_cap};
    char err[256];
    if (httpd_start(s, &cfg, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "httpd_start: %s", err);
    return s;
}

static httpc_resp call(httpd *s, const char *method, const char *path, const char *body,
                       const char *const *headers)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", httpd_port(s), path);
    httpc_req req = {.method = method, .url = url, .headers = headers, .body = body,
                     .body_len = body ? strlen(body) : 0, .timeout_ms = 5000};
    httpc_resp resp;
    httpc_do(&req, &resp);
    return resp;
}

TEST(httpd, routes_and_captures)
{
    httpd *s = start_server(0);
    EXPECT_GT_INT(httpd_port(s), 0);
    httpc_resp r = call(s, "GET", "/orders/4501.json?q=a%20b", NULL, NULL);
    EXPECT_EQ_INT(r.status, 200);
    EXPECT_EQ_STR(r.body, "GET|/orders/4501.json|4501|-|-|a b|-|-|0|");
    char v[128];
    EXPECT_EQ_STR(httpc_header(&r, "x-route", v, sizeof v), "/orders/{id}.json");
    httpc_resp_free(&r);

    r = call(s, "POST", "/admin/api/2026-10/orders/77/fulfillments.json", "{}", NULL);
    EXPECT_EQ_STR(r.body, "POST|/admin/api/2026-10/orders/77/fulfillments.json|77|2026-10|-|-|-|-|2|{}");
    httpc_resp_free(&r);

    r = call(s, "DELETE", "/any", NULL, NULL);
    EXPECT_EQ_INT(r.status, 200);
    EXPECT_CONTAINS(r.body, "DELETE|/any|");
    httpc_resp_free(&r);

    r = call(s, "GET", "/files/a/b/c.txt", NULL, NULL);
    EXPECT_CONTAINS(r.body, "|a/b/c.txt|");
    httpc_resp_free(&r);

    /* A capture never spans '/', and an empty capture does not match. */
    r = call(s, "GET", "/orders/1/2.json", NULL, NULL);
    EXPECT_EQ_INT(r.status, 404);
    httpc_resp_free(&r);
    r = call(s, "GET", "/orders/.json", NULL, NULL);
    EXPECT_EQ_INT(r.status, 404);
    httpc_resp_free(&r);
    httpd_free(s);
}

TEST(httpd, not_found_and_method_not_allowed)
{
    httpd *s = start_server(0);
    httpc_resp r = call(s, "GET", "/nowhere", NULL, NULL);
    EXPECT_EQ_INT(r.status, 404);
    EXPECT_EQ_STR(r.body, "{\"error\":\"not found\"}");
    httpc_resp_free(&r);
    r = call(s, "DELETE", "/echo", NULL, NULL);
    EXPECT_EQ_INT(r.status, 405);
    char v[128];
    EXPECT_EQ_STR(httpc_header(&r, "Allow", v, sizeof v), "POST, PUT");
    httpc_resp_free(&r);
    httpd_free(s);
}

TEST(httpd, query_headers_body_and_json)
{
    httpd *s = start_server(0);
    const char *hdrs[] = {"X-Test: hello", NULL};
    httpc_resp r = call(s, "POST", "/echo?SKU=DEMO-001", "payload", hdrs);
    EXPECT_EQ_STR(r.body, "POST|/echo|-|-|-|-|DEMO-001|hello|7|payload");
    httpc_resp_free(&r);

    r = call(s, "GET", "/json", NULL, NULL);
    EXPECT_EQ_INT(r.status, 201);
    EXPECT_EQ_STR(r.body, "{\"hello\":\"world\"}");
    char v[128];
    EXPECT_CONTAINS(httpc_header(&r, "content-type", v, sizeof v), "application/json");
    httpc_resp_free(&r);
    httpd_free(s);
}

TEST(httpd, post_hook_may_replace_the_answer)
{
    httpd *s = start_server(0);
    const char *hdrs[] = {"X-Truncate: 1", NULL};
    httpc_resp r = call(s, "GET", "/json", NULL, hdrs);
    EXPECT_EQ_INT(r.status, 201);
    EXPECT_EQ_STR(r.body, "{\"hello\""); /* 8 of 17 bytes */
    httpc_resp_free(&r);
    /* Not after the filter answered. */
    const char *both[] = {"X-Truncate: 1", "X-Deny: 1", NULL};
    r = call(s, "GET", "/json", NULL, both);
    EXPECT_EQ_STR(r.body, "{\"error\":\"denied\"}");
    httpc_resp_free(&r);
    httpd_free(s);
}

TEST(httpd, body_over_cap_gets_413)
{
    httpd *s = start_server(1024);
    char *big = xmalloc(4097);
    memset(big, 'x', 4096);
    big[4096] = '\0';
    httpc_resp r = call(s, "POST", "/echo", big, NULL);
    EXPECT_EQ_INT(r.status, 413);
    EXPECT_EQ_STR(r.body, "{\"error\":\"request body too large\"}");
    httpc_resp_free(&r);

    /* Chunked upload (no Content-Length): refused once the cap is passed. */
    const char *chunked[] = {"Transfer-Encoding: chunked", NULL};
    r = call(s, "POST", "/echo", big, chunked);
    EXPECT_EQ_INT(r.status, 413);
    httpc_resp_free(&r);

    /* Exactly at the cap is fine. */
    big[1024] = '\0';
    r = call(s, "POST", "/echo", big, NULL);
    EXPECT_EQ_INT(r.status, 200);
    EXPECT_CONTAINS(r.body, "|1024|");
    httpc_resp_free(&r);
    free(big);
    httpd_free(s);
}

TEST(httpd, filter_answers_first_and_done_sees_every_status)
{
    atomic_store(&done_count, 0);
    atomic_store(&done_status_sum, 0);
    httpd *s = start_server(0);
    const char *deny[] = {"X-Deny: 1", NULL};
    httpc_resp r = call(s, "GET", "/json", NULL, deny);
    EXPECT_EQ_INT(r.status, 403);
    httpc_resp_free(&r);
    r = call(s, "GET", "/json", NULL, NULL);
    EXPECT_EQ_INT(r.status, 201);
    httpc_resp_free(&r);
    r = call(s, "GET", "/silent", NULL, NULL);
    EXPECT_EQ_INT(r.status, 500);
    httpc_resp_free(&r);
    r = call(s, "POST", "/drop", "{}", NULL);
    EXPECT_EQ_INT(r.result, HTTPC_ERR_RESET);
    httpc_resp_free(&r);
    httpd_free(s); /* joins the pool, so every done callback has run */
    EXPECT_EQ_INT(atomic_load(&done_count), 4);
    EXPECT_EQ_INT(atomic_load(&done_status_sum), 403 + 201 + 500 + 0);
}

typedef struct {
    httpd *s;
    const char *path;
    httpc_resp resp;
    atomic_int *finished;
} bg_call;

static void *bg_main(void *arg)
{
    bg_call *c = arg;
    c->resp = call(c->s, "GET", c->path, NULL, NULL);
    atomic_fetch_add(c->finished, 1);
    httpc_thread_cleanup();
    return NULL;
}

TEST(httpd, held_answers_do_not_block_the_pool)
{
    httpd *s = start_server(0);
    atomic_int finished = 0;
    bg_call calls[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        calls[i] = (bg_call){s, "/slow?ms=3000", {0}, &finished};
        pthread_create(&th[i], NULL, bg_main, &calls[i]);
    }
    /* Let all four arrive and be held (more than the two pool threads). */
    struct timespec nap = {0, 300 * 1000 * 1000};
    nanosleep(&nap, NULL);
    httpc_resp r = call(s, "GET", "/json", NULL, NULL);
    EXPECT_EQ_INT(r.status, 201);
    EXPECT_EQ_INT(atomic_load(&finished), 0); /* answered while four are held */
    httpc_resp_free(&r);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        EXPECT_EQ_INT(calls[i].resp.status, 200);
        EXPECT_GE_INT(calls[i].resp.elapsed_ms, 2900);
        httpc_resp_free(&calls[i].resp);
    }
    httpd_free(s);
}

TEST(httpd, held_without_answer_times_the_client_out)
{
    httpd *s = start_server(0);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/slow?ms=2000&noanswer=1", httpd_port(s));
    httpc_req req = {.url = url, .timeout_ms = 300};
    httpc_resp r;
    EXPECT_EQ_INT(httpc_do(&req, &r), -1);
    EXPECT_EQ_INT(r.result, HTTPC_ERR_TIMEOUT);
    EXPECT_CONTAINS(r.error, "/slow");
    httpc_resp_free(&r);
    /* After the hold the server drops the connection without an answer. */
    req.timeout_ms = 5000;
    EXPECT_EQ_INT(httpc_do(&req, &r), -1);
    EXPECT_EQ_INT(r.result, HTTPC_ERR_RESET);
    httpc_resp_free(&r);
    httpd_free(s);
}

TEST(httpd, stop_drops_held_connections)
{
    httpd *s = start_server(0);
    atomic_int finished = 0;
    bg_call c = {s, "/slow?ms=60000", {0}, &finished};
    pthread_t th;
    pthread_create(&th, NULL, bg_main, &c);
    struct timespec nap = {0, 200 * 1000 * 1000};
    nanosleep(&nap, NULL);
    httpd_free(s); /* must not wait the minute out */
    pthread_join(th, NULL);
    EXPECT_NE_INT(c.resp.result, HTTPC_OK);
    httpc_resp_free(&c.resp);
}

TEST(httpd, free_ports_and_bad_bind)
{
    httpd *a = start_server(0), *b = start_server(0);
    EXPECT_NE_INT(httpd_port(a), httpd_port(b));
    httpd *c = httpd_new();
    char err[256];
    httpd_config bad = {.bind = "not-an-ip"};
    EXPECT_EQ_INT(httpd_start(c, &bad, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "not-an-ip");
    httpd_config taken = {.port = httpd_port(a), .bind = "127.0.0.1"};
    /* SO_REUSEADDR does not let two listeners share a port. */
    EXPECT_EQ_INT(httpd_start(c, &taken, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "cannot listen");
    httpd_free(c);
    httpd_free(a);
    httpd_free(b);
    httpd_free(NULL);
}

/* ---- client ---------------------------------------------------------------- */

static atomic_int flaky_calls;

static void flaky(httpd_req *r, void *ud)
{
    (void)ud;
    int n = atomic_fetch_add(&flaky_calls, 1);
    const char *mode = httpd_query(r, "mode");
    if (n < 2) {
        if (mode && strcmp(mode, "429") == 0) {
            httpd_add_header(r, "Retry-After", "2.5");
            httpd_reply_json_text(r, 429, "{\"errors\":\"slow down\"}");
        } else {
            httpd_reply_json_text(r, 503, "[{\"ErrorCode\":503}]");
        }
        return;
    }
    httpd_reply_json_text(r, 200, "{\"ok\":true}");
}

TEST(httpc, keep_alive_reuses_the_connection)
{
    httpd *s = start_server(0);
    httpc_resp r = call(s, "GET", "/json", NULL, NULL);
    EXPECT_EQ_INT(r.new_connections, 1);
    httpc_resp_free(&r);
    r = call(s, "GET", "/json", NULL, NULL);
    EXPECT_EQ_INT(r.status, 201);
    EXPECT_EQ_INT(r.new_connections, 0);
    httpc_resp_free(&r);
    httpd_free(s);
}

TEST(httpc, a_reset_post_is_never_resent)
{
    httpd *s = start_server(0);
    httpc_resp r = call(s, "GET", "/json", NULL, NULL); /* leaves a kept-alive connection */
    httpc_resp_free(&r);
    atomic_store(&drop_calls, 0);
    r = call(s, "POST", "/drop", "{\"sale\":1}", NULL);
    EXPECT_EQ_INT(r.result, HTTPC_ERR_RESET);
    EXPECT_EQ_INT(atomic_load(&drop_calls), 1);
    httpc_resp_free(&r);
    httpd_free(s);
}

TEST(httpc, connect_failure_is_told_apart)
{
    httpd *s = start_server(0);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/json", httpd_port(s));
    httpd_free(s); /* nothing listens there now */
    httpc_req req = {.url = url};
    httpc_resp r;
    EXPECT_EQ_INT(httpc_do(&req, &r), -1);
    EXPECT_EQ_INT(r.result, HTTPC_ERR_CONNECT);
    EXPECT_EQ_STR(httpc_result_name(r.result), "connect");
    EXPECT_TRUE(retry_retryable(&r));
    httpc_resp_free(&r);
}

TEST(httpc, retries_503_then_succeeds)
{
    atomic_store(&flaky_calls, 0);
    httpd *s = httpd_new();
    httpd_route(s, "GET", "/flaky", flaky, NULL);
    char err[256];
    httpd_config cfg = {0};
    EXPECT_EQ_INT(httpd_start(s, &cfg, err, sizeof err), 0);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/flaky", httpd_port(s));
    httpc_req req = {.url = url};
    retry_policy p = {.max_attempts = 5, .base_ms = 100, .cap_ms = 1000};
    rng g;
    rng_seed(&g, 7);
    sclock vc;
    clock_init_virtual(&vc, 0);
    httpc_resp r;
    int attempts = 0;
    EXPECT_EQ_INT(httpc_do_retry(&req, &p, &g, &vc, &r, &attempts), 0);
    EXPECT_EQ_INT(r.status, 200);
    EXPECT_EQ_INT(attempts, 3);
    /* Two backoffs: at most 100 + 200 ms of (virtual) waiting. */
    EXPECT_LE_INT(clock_now_ms(&vc), 300);
    httpc_resp_free(&r);

    /* Retry-After is honoured exactly: two waits of 2.5 s. */
    atomic_store(&flaky_calls, 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/flaky?mode=429", httpd_port(s));
    clock_init_virtual(&vc, 0);
    EXPECT_EQ_INT(httpc_do_retry(&req, &p, &g, &vc, &r, &attempts), 0);
    EXPECT_EQ_INT(attempts, 3);
    EXPECT_EQ_INT(clock_now_ms(&vc), 5000);
    httpc_resp_free(&r);

    /* Out of attempts: the last failure comes back. */
    atomic_store(&flaky_calls, 0);
    p.max_attempts = 2;
    EXPECT_EQ_INT(httpc_do_retry(&req, &p, &g, &vc, &r, &attempts), 0);
    EXPECT_EQ_INT(attempts, 2);
    EXPECT_EQ_INT(r.status, 429);
    httpc_resp_free(&r);
    httpd_free(s);
}

TEST(httpc, backoff_is_full_jitter_under_the_cap)
{
    retry_policy p = {.max_attempts = 10, .base_ms = 100, .cap_ms = 5000};
    rng g;
    rng_seed(&g, 1);
    for (int attempt = 1; attempt <= 10; attempt++) {
        int64_t ceiling = 100LL << (attempt - 1);
        if (ceiling > 5000)
            ceiling = 5000;
        int64_t lo = INT64_MAX, hi = -1;
        for (int i = 0; i < 2000; i++) {
            int64_t w = retry_backoff_ms(&p, attempt, &g);
            if (w < lo)
                lo = w;
            if (w > hi)
                hi = w;
        }
        EXPECT_GE_INT(lo, 0);
        EXPECT_LE_INT(hi, ceiling);
        /* Full jitter spreads over the whole range. */
        EXPECT_LT_INT(lo, ceiling / 20 + 1);
        EXPECT_GT_INT(hi, ceiling - ceiling / 20 - 1);
    }
}

TEST(httpc, retry_after_forms)
{
    httpc_resp r = {0};
    r.result = HTTPC_OK;
    r.status = 429;
    r.headers = xstrdup("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2.0\r\n\r\n");
    EXPECT_EQ_INT(retry_after_ms(&r), 2000);
    EXPECT_TRUE(retry_retryable(&r));
    free(r.headers);
    r.headers = xstrdup("HTTP/1.1 503 x\r\nretry-after:  7 \r\n\r\n");
    EXPECT_EQ_INT(retry_after_ms(&r), 7000);
    free(r.headers);
    r.headers = xstrdup("HTTP/1.1 503 x\r\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n\r\n");
    EXPECT_EQ_INT(retry_after_ms(&r), 0); /* a date in the past: no wait */
    free(r.headers);
    r.headers = xstrdup("HTTP/1.1 503 x\r\nRetry-After: soon\r\n\r\n");
    EXPECT_EQ_INT(retry_after_ms(&r), -1);
    free(r.headers);
    r.headers = xstrdup("HTTP/1.1 404 x\r\n\r\n");
    r.status = 404;
    EXPECT_EQ_INT(retry_after_ms(&r), -1);
    EXPECT_FALSE(retry_retryable(&r));
    free(r.headers);
}
