/* The libcurl client wrapper and retry helper; see httpc.h. */
#include "httpc.h"

#include "mem.h"
#include "sbuf.h"

#include <curl/curl.h>
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DEFAULT_MAX_BODY (64u * 1024 * 1024)

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static pthread_key_t handle_key;

static void handle_destroy(void *h)
{
    curl_easy_cleanup(h);
}

static void global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_key_create(&handle_key, handle_destroy);
}

static CURL *thread_handle(void)
{
    pthread_once(&global_once, global_init);
    CURL *h = pthread_getspecific(handle_key);
    if (!h) {
        h = curl_easy_init();
        if (!h) {
            fprintf(stderr, "fatal: curl_easy_init failed\n");
            abort();
        }
        pthread_setspecific(handle_key, h);
    }
    return h;
}

void httpc_thread_cleanup(void)
{
    pthread_once(&global_once, global_init);
    CURL *h = pthread_getspecific(handle_key);
    if (h) {
        curl_easy_cleanup(h);
        pthread_setspecific(handle_key, NULL);
    }
}

void httpc_global_cleanup(void)
{
    httpc_thread_cleanup();
    curl_global_cleanup();
}

typedef struct {
    sbuf body;
    sbuf headers;
    size_t max_body;
    int too_large;
} sink;

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    sink *k = ud;
    size_t len = size * n;
    if (k->body.len + len > k->max_body) {
        k->too_large = 1;
        return 0; /* makes curl fail the transfer */
    }
    sbuf_append(&k->body, data, len);
    return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    sink *k = ud;
    size_t len = size * n;
    /* A new status line starts a new answer (after 100 Continue): keep only
     * the headers of the last one. */
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0)
        sbuf_reset(&k->headers);
    sbuf_append(&k->headers, data, len);
    return len;
}

const char *httpc_result_name(httpc_result r)
{
    switch (r) {
    case HTTPC_OK: return "ok";
    case HTTPC_ERR_CONNECT: return "connect";
    case HTTPC_ERR_TIMEOUT: return "timeout";
    case HTTPC_ERR_RESET: return "reset";
    case HTTPC_ERR_OTHER: return "error";
    }
    return "error";
}

int httpc_do(const httpc_req *req, httpc_resp *out)
{
    memset(out, 0, sizeof *out);
    CURL *h = thread_handle();
    curl_easy_reset(h); /* keeps the connection cache */
    sink k = {SBUF_INIT, SBUF_INIT, req->max_body ? req->max_body : DEFAULT_MAX_BODY, 0};
    struct curl_slist *hdrs = NULL;
    for (const char *const *p = req->headers; p && *p; p++)
        hdrs = curl_slist_append(hdrs, *p);
    /* No "Expect: 100-continue" round trip before bodies. */
    hdrs = curl_slist_append(hdrs, "Expect:");

    const char *method = req->method ? req->method : (req->body ? "POST" : "GET");
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     req->connect_timeout_ms > 0 ? req->connect_timeout_ms : 2000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 10000L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &k);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &k);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    if (!req->idempotent && (strcmp(method, "POST") == 0 || strcmp(method, "PATCH") == 0))
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        if (req->body || strcmp(method, "DELETE") != 0) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                             (curl_off_t)(req->body ? req->body_len : 0));
        }
    }

    CURLcode rc = curl_easy_perform(h);
    double total = 0;
    curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &total);
    out->elapsed_ms = total * 1000.0;
    long connects = 0;
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
    out->new_connections = (int)connects;
    if (rc == CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        out->result = HTTPC_OK;
        out->status = (int)status;
    } else {
        curl_off_t connect_us = 0;
        curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
        switch (rc) {
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
            out->result = HTTPC_ERR_CONNECT;
            break;
        case CURLE_OPERATION_TIMEDOUT:
            out->result = connect_us > 0 ? HTTPC_ERR_TIMEOUT : HTTPC_ERR_CONNECT;
            break;
        case CURLE_GOT_NOTHING:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_PARTIAL_FILE:
            out->result = HTTPC_ERR_RESET;
            break;
        default:
            out->result = HTTPC_ERR_OTHER;
        }
        if (k.too_large)
            snprintf(out->error, sizeof out->error, "%s %s: answer larger than %zu bytes", method,
                     req->url, k.max_body);
        else
            snprintf(out->error, sizeof out->error, "%s %s: %s", method, req->url,
                     curl_easy_strerror(rc));
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    out->body_len = k.body.len;
    out->body = sbuf_take(&k.body);
    out->headers = sbuf_take(&k.headers);
    return out->result == HTTPC_OK ? 0 : -1;
}

const char *httpc_header(const httpc_resp *resp, const char *name, char *buf, size_t n)
{
    size_t nl = strlen(name);
    for (const char *line = resp->headers; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (len > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
            const char *v = line + nl + 1;
            const char *end = line + len;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            while (end > v && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
                end--;
            snprintf(buf, n, "%.*s", (int)(end - v), v);
            return buf;
        }
        if (!eol)
            break;
        line = eol + 1;
    }
    return NULL;
}

void httpc_resp_free(httpc_resp *resp)
{
    free(resp->body);
    free(resp->headers);
    resp->body = resp->headers = NULL;
}

int retry_retryable(const httpc_resp *resp)
{
    if (resp->result != HTTPC_OK)
        return resp->result != HTTPC_ERR_OTHER;
    return resp->status == 429 || resp->status >= 500;
}

int64_t retry_after_ms(const httpc_resp *resp)
{
    char v[128];
    if (!httpc_header(resp, "Retry-After", v, sizeof v) || !*v)
        return -1;
    if (isdigit((unsigned char)v[0]) || v[0] == '.') {
        char *end;
        double secs = strtod(v, &end);
        if (*end || !isfinite(secs) || secs < 0)
            return -1;
        return (int64_t)llround(secs * 1000.0);
    }
    time_t when = curl_getdate(v, NULL);
    if (when < 0)
        return -1;
    int64_t ms = (int64_t)when * 1000 - clock_wall_ms();
    return ms > 0 ? ms : 0;
}

int httpc_do_retry(const httpc_req *req, const retry_policy *p, rng *r, sclock *clk,
                   httpc_resp *out, int *attempts)
{
    int max = p->max_attempts > 0 ? p->max_attempts : 1;
    int rc = -1;
    for (int n = 1;; n++) {
        rc = httpc_do(req, out);
        if (attempts)
            *attempts = n;
        if (n >= max || !retry_retryable(out))
            return rc;
        int64_t wait = retry_after_ms(out);
        if (wait < 0)
            wait = retry_backoff_ms(p, n, r);
        httpc_resp_free(out);
        clock_sleep_ms(clk, wait);
    }
}
