/*
 * An HTTP server over libmicrohttpd for the mocks, syncd and the benchmark.
 * It owns what every server here needs and MHD leaves to the application:
 * a route table (method + path pattern with captures such as
 * "/orders/{id}.json"), query and header access, the request body collected
 * up to a cap (413 beyond it), JSON answers, binding to an address and port
 * (port 0 picks a free one, reported by httpd_port), MHD's internal thread
 * pool sized for two cores, and a clean stop.
 *
 * For fault injection it can also hold an answer for a while before sending
 * it, hold and then drop the connection, or drop it at once, without tying
 * up a pool thread (the connection is suspended meanwhile).
 *
 * Limits for clients nobody vouches for: a cap on connections (over it, new
 * ones wait in the listen backlog) and optionally per client address (over
 * it, refused at once), a real-time deadline on receiving each request, and
 * route gates that see the headers before any byte of the body is kept.
 *
 * Threads: handlers run on MHD's pool threads, several at once; anything they
 * share needs its own lock.
 */
#ifndef SURGE_HTTPD_H
#define SURGE_HTTPD_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

typedef struct httpd httpd;
typedef struct httpd_req httpd_req;

/* Answers one request by calling one of the httpd_reply* functions (and, for
 * faults, httpd_delay or httpd_reset). A handler that answers nothing yields
 * a 500. */
typedef void (*httpd_handler)(httpd_req *req, void *ud);
/* Runs before routing, for authentication, rate limits and faults. Returns 0
 * to go on to the route, non-zero when it has answered (or reset). */
typedef int (*httpd_filter)(httpd_req *req, void *ud);
/* Runs once per request after its answer is sent or the connection dropped:
 * status is what was sent, 0 when nothing was (reset). */
typedef void (*httpd_done_fn)(httpd_req *req, int status, void *ud);

typedef struct {
    const char *bind;         /* IPv4 address; NULL means 127.0.0.1 */
    uint16_t port;            /* 0 picks a free port */
    size_t body_cap;          /* bytes; 0 means 1 MiB. Larger bodies get 413. */
    unsigned threads;         /* pool threads; 0 means 2 (one per core) */
    unsigned idle_timeout_s;  /* idle keep-alive connections close; 0 means 60 */
    /* Real ms from a request's headers to the last byte of its body; a
     * request still arriving then is cut (408 when MHD can still answer,
     * else the connection is closed). 0 means 10000. The header phase is
     * bounded by idle_timeout_s between bytes and MHD's 32 KiB of memory
     * per connection. */
    unsigned request_deadline_ms;
    /* Connections open at once; more wait in the listen backlog until one
     * closes. 0 means 256 (2 cores; each may buffer up to body_cap). */
    unsigned max_connections;
    /* Connections open at once from one client address; more are closed at
     * once. 0 means no limit (the harness sends everything from 127.0.0.1). */
    unsigned max_connections_per_ip;
} httpd_config;

httpd *httpd_new(void);
/* Routes match in the order added. method "*" matches any method. In a
 * pattern, "{name}" captures the text up to the next '/' or up to the literal
 * that follows the brace, and a final "*" matches the rest of the path. A path
 * that matches a pattern under another method gets 405 with an Allow header.
 * Strings are copied. Add routes before httpd_start. */
void httpd_route(httpd *s, const char *method, const char *pattern, httpd_handler fn,
                 void *ud);
/* Gives the route added with exactly this method and pattern a gate: fn
 * runs on the request's first call, once its headers are known and before
 * any byte of its body is read (captures are not filled yet; the body is
 * empty). A gate that answers (returns non-zero) ends the request there:
 * the body is never read and the connection closes after the answer, so an
 * unauthenticated client cannot make the server hold its body. Returns 0,
 * or -1 when no route has that method and pattern. */
int httpd_route_gate(httpd *s, const char *method, const char *pattern, httpd_filter fn,
                     void *ud);
void httpd_set_filter(httpd *s, httpd_filter fn, void *ud);
/* Runs after a route's handler (not after the filter answered), before the
 * answer leaves: it may read the answer (httpd_answer) and replace it, as a
 * fault that corrupts real answers does. */
void httpd_set_post(httpd *s, httpd_handler fn, void *ud);
void httpd_set_done(httpd *s, httpd_done_fn fn, void *ud);
/* Makes route patterns match paths whatever the ASCII case of their literal
 * parts (off by default): Cin7's API answers /SaleList and /saleList alike,
 * and integrations use both. Captures keep the request's own case. */
void httpd_set_ignore_case(httpd *s, int on);
/* Answers requests no route matches; default 404 {"error":"not found"}. */
void httpd_set_not_found(httpd *s, httpd_handler fn, void *ud);
/* The answer for bodies over the cap (default {"error":"request body too
 * large"}); body is copied. */
void httpd_set_too_large_body(httpd *s, const char *json);

/* Starts listening. Returns 0, or -1 with a message in err. */
int httpd_start(httpd *s, const httpd_config *cfg, char *err, size_t errlen);
/* The port listened on (the chosen one when cfg->port was 0). */
uint16_t httpd_port(const httpd *s);
/* Stops accepting, drops held connections and joins the pool threads. */
void httpd_stop(httpd *s);
/* Stops if running and frees everything; accepts NULL. */
void httpd_free(httpd *s);

/* --- the request. Strings are borrowed until the done callback returns. */
const char *httpd_method(const httpd_req *r);
/* The path without the query string, percent-decoded by MHD. */
const char *httpd_path(const httpd_req *r);
/* The pattern of the route that matched, NULL before routing or when none. */
const char *httpd_route_pattern(const httpd_req *r);
/* The text a "{name}" of the matched pattern captured, or NULL. */
const char *httpd_capture(const httpd_req *r, const char *name);
/* A query argument by exact name, or NULL. */
const char *httpd_query(const httpd_req *r, const char *key);
/* A query argument whatever the case of its name (Cin7's API ignores case). */
const char *httpd_query_ci(const httpd_req *r, const char *key);
/* A header, by case-insensitive name, or NULL. */
const char *httpd_header(const httpd_req *r, const char *name);
/* The body (NUL-terminated, may hold NULs) and its length. */
const char *httpd_body(const httpd_req *r, size_t *len);
/* A pointer the application may hang on the request (for the done callback). */
void httpd_set_user(httpd_req *r, void *p);
void *httpd_user(const httpd_req *r);

/* --- answers. One reply per request; headers added before it. */
void httpd_add_header(httpd_req *r, const char *name, const char *value);
/* body is copied. */
void httpd_reply(httpd_req *r, int status, const char *content_type, const char *body,
                 size_t len);
/* body (malloc'd) is taken over and freed by httpd. */
void httpd_reply_take(httpd_req *r, int status, const char *content_type, char *body,
                      size_t len);
/* Answers with JSON text (copied), as application/json. */
void httpd_reply_json_text(httpd_req *r, int status, const char *json);
/* Answers with a JSON tree (printed; the tree stays the caller's). */
void httpd_reply_json(httpd_req *r, int status, const cJSON *json);
/* Answers {"error": msg} (msg escaped as a JSON string), as application/json. */
void httpd_reply_error(httpd_req *r, int status, const char *msg);
/* Reads s, the request's argument name (a query parameter or a path
 * capture), as decimal digits only within [lo, hi]: no sign, no space, no
 * overflow (strtoull alone takes "-1" and turns 2^64 into 2^64-1). Returns
 * 0 with *out, or -1 after answering 400 naming name. */
int httpd_arg_u64(httpd_req *r, const char *name, const char *s, uint64_t lo, uint64_t hi,
                  uint64_t *out);
/* The status replied so far, 0 when none. */
int httpd_status(const httpd_req *r);
/* The body replied so far (NULL when none) and its length. */
const char *httpd_answer(const httpd_req *r, size_t *len);
/* Holds the connection real_ms before sending the answer; if no answer is
 * set when the handler returns, the connection is dropped after the wait
 * (a client-side timeout). */
void httpd_delay(httpd_req *r, double real_ms);
/* Drops the connection without an answer (after any delay). */
void httpd_reset(httpd_req *r);

/* --- the route table, for tools that list it (`--routes`) and for the
 * test that checks every route has a bad-input case. */
/* How many routes were added. */
size_t httpd_route_count(const httpd *s);
/* Route i (0-based, in the order added): its method and pattern, borrowed
 * until httpd_free. Returns 0, or -1 when i is out of range. */
int httpd_route_get(const httpd *s, size_t i, const char **method, const char **pattern);

#endif
