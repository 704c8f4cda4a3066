/*
 * An HTTP client over libcurl for syncd, the harness and the mocks' webhook
 * senders. Each thread reuses its own curl handle, so keep-alive connections
 * survive between calls; connect and total timeouts are per request; the
 * answer carries status, headers and body. Transport failures are sorted by
 * what they mean for a write: a connect failure means the request never left
 * (safe to retry anything), a timeout or reset means its outcome is unknown
 * (a non-idempotent write must be looked up before it is retried).
 *
 * The retry helper does exponential backoff with full jitter and honours
 * Retry-After; its waits are simulated durations on the caller's clock.
 */
#ifndef SURGE_HTTPC_H
#define SURGE_HTTPC_H

#include <stddef.h>
#include <stdint.h>

#include "backoff.h"
#include "clock.h"
#include "rng.h"

typedef struct {
    const char *method;          /* NULL means GET, or POST when body is set */
    const char *url;
    const char *const *headers;  /* NULL-terminated "Name: value" lines, or NULL */
    const char *body;            /* borrowed; may be NULL */
    size_t body_len;
    long connect_timeout_ms;     /* 0 means 2000 */
    long timeout_ms;             /* 0 means 10000 */
    size_t max_body;             /* answers larger than this fail; 0 means 64 MiB */
    /* POST and PATCH go over a fresh connection unless the caller says a
     * replay is harmless: libcurl silently re-sends a request once when a
     * kept-alive connection dies before any answer, and a re-sent sale is a
     * duplicate sale. GET, HEAD, PUT and DELETE always reuse connections. */
    int idempotent;
} httpc_req;

typedef enum {
    HTTPC_OK = 0,      /* an HTTP answer came back, whatever its status */
    HTTPC_ERR_CONNECT, /* never connected: the request was not sent */
    HTTPC_ERR_TIMEOUT, /* connected, no full answer in time: outcome unknown */
    HTTPC_ERR_RESET,   /* connection dropped mid-exchange: outcome unknown */
    HTTPC_ERR_OTHER,   /* anything else (bad URL, answer too large, ...) */
} httpc_result;

typedef struct {
    httpc_result result;
    int status;          /* 0 unless result is HTTPC_OK */
    char *body;          /* malloc'd, NUL-terminated ("" when empty) */
    size_t body_len;
    char *headers;       /* malloc'd raw header lines of the final answer */
    double elapsed_ms;   /* real time the call took */
    int new_connections; /* connections opened for it (0: a kept-alive one served) */
    char error[256];     /* what went wrong, for result != HTTPC_OK */
} httpc_resp;

/* Performs one request. Returns 0 when an answer arrived (any status), -1
 * otherwise; out is always filled and must be released with httpc_resp_free. */
int httpc_do(const httpc_req *req, httpc_resp *out);
/* Copies the value of the first header named name (any case) into buf;
 * returns buf, or NULL when absent. */
const char *httpc_header(const httpc_resp *resp, const char *name, char *buf, size_t n);
void httpc_resp_free(httpc_resp *resp);
/* Releases the calling thread's handle now (threads that end release theirs
 * by themselves; call this from main before exit for a clean valgrind run). */
void httpc_thread_cleanup(void);
/* Releases libcurl's global state; call once from main before exit, after
 * every thread that used httpc has ended. */
void httpc_global_cleanup(void);
/* "connect", "timeout", ... */
const char *httpc_result_name(httpc_result r);

/* retry_policy and retry_backoff_ms: backoff.h. */
/* Whether an answer is worth retrying: transport errors, 429, 5xx. */
int retry_retryable(const httpc_resp *resp);
/* Retry-After of the answer in ms (seconds, decimals allowed, or an
 * HTTP-date), or -1 when absent or unreadable. */
int64_t retry_after_ms(const httpc_resp *resp);
/* httpc_do with retries under p: waits Retry-After when the answer has one,
 * else the jittered backoff, sleeping on clk. Returns like httpc_do for the
 * last try; *attempts (may be NULL) gets the number of tries made. */
int httpc_do_retry(const httpc_req *req, const retry_policy *p, rng *r, sclock *clk,
                   httpc_resp *out, int *attempts);

#endif
