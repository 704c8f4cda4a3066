/*
 * The fault model of DESIGN §5: a fault plan (a JSON array of rules) parsed
 * once, then asked per request "which fault fires here, now?" and per webhook
 * delivery "duplicate, delay, reorder or drop it?". The mocks call it from
 * their request filter and their webhook sender; the harness sets plans with
 * PUT /_mock/faults and reads them back with GET.
 *
 * Decisions are reproducible: rule i decides its n-th matching request from
 * (seed, i, n) alone, so the same requests to a route get the same faults
 * whatever other routes receive and however threads interleave. Time is the
 * caller's simulated milliseconds; nothing here reads a clock.
 *
 * Plan entries (every duration is sim ms or a string such as "5m"):
 *   kind         required: request faults status, latency, timeout, reset,
 *                malformed, outage, throttle; delivery faults duplicate,
 *                delay, reorder, drop
 *   target       "*" (default); request faults: [METHOD ]path-glob, e.g.
 *                "POST /ExternalApi/v2/sale*" ('*' crosses '/', the query
 *                string is ignored); delivery faults: a topic glob ("orders/paid", "Stock*")
 *   at, for      the window [at, at+for); at defaults to 0, for to forever
 *   probability  in [0, 1], default 1; outage and throttle take only 1
 *   name         optional label for stats
 *   status       status (100..599, default 500), body (default a JSON error)
 *   latency      ms | min+max (uniform) | median+p99 (lognormal), one form
 *   timeout      hold (default 60s): how long the connection hangs unanswered
 *   reset        (no fields) close the connection without an answer
 *   malformed    mode "truncated" (default) or "invalid", with status 200
 *   outage       status (default 503), body
 *   throttle     limit (positive): the lower rate limit in the API's unit
 *   duplicate    copies (1..100, default 1): extra deliveries
 *   delay        the latency fields, for deliveries
 *   reorder      window: deliveries within it may be shuffled
 *   drop         (no fields) every attempt of the delivery fails
 */
#ifndef SURGE_FAULTS_H
#define SURGE_FAULTS_H

#include "json.h"

#include <stddef.h>
#include <stdint.h>

/* Plans hold at most this many rules (plans come from outside). */
#define FAULTS_MAX_RULES 1024
/* Latency, delay, hold and reorder values above 30 days are rejected, and
 * lognormal draws are capped there, so sums of delays cannot overflow. */
#define FAULTS_MAX_MS (30LL * 86400000)

typedef struct fault_plan fault_plan;

/* Parses a plan (a JSON array) for a seed. Returns 0 with *out set (caller
 * frees with faults_free; plan is not kept), or -1 with *out = NULL and a
 * message in e naming the JSON path ("$[2].kind: unknown fault kind ..."). */
int faults_parse(const cJSON *plan, uint64_t seed, fault_plan **out, json_err *e);
/* Same from len bytes of JSON text; syntax errors name line and column. */
int faults_parse_text(const char *text, size_t len, uint64_t seed, fault_plan **out,
                      json_err *e);
/* Accepts NULL. Anything borrowed from the plan (bodies, names) dies with it,
 * so a mock that swaps plans must keep the old one until its users finish. */
void faults_free(fault_plan *p);

size_t faults_count(const fault_plan *p); /* rules; 0 for NULL */

/* The plan in canonical form: every field explicit except name (when not
 * given), for (when forever) and body (when defaulted); durations in ms.
 * Parsing it again gives the same plan. Caller frees with cJSON_Delete. */
cJSON *faults_to_json(const fault_plan *p);

typedef enum {
    FAULT_NONE,
    FAULT_STATUS,    /* answer status with body */
    FAULT_TIMEOUT,   /* hold the connection hold_ms, then drop it unanswered */
    FAULT_RESET,     /* close the connection without an answer */
    FAULT_MALFORMED, /* answer 200 with a broken body */
    FAULT_OUTAGE     /* answer status with body (the service is down) */
} fault_action;

typedef struct {
    fault_action action;   /* what ends the request; at most one */
    int status;            /* STATUS, OUTAGE */
    const char *body;      /* STATUS, OUTAGE; borrowed from the plan */
    int body_given;        /* STATUS, OUTAGE: the plan wrote the body; when
                              0, body is a generic default that a mock may
                              replace with its API's own error shape */
    int malformed_invalid; /* MALFORMED: 0 truncate the real answer, 1 replace
                              it with invalid JSON */
    int64_t delay_ms;      /* sum of the latency faults that fired, applied
                              before the action or the real answer */
    int64_t hold_ms;       /* TIMEOUT */
    int applied;           /* TIMEOUT, RESET: the request is carried out
                              first and only its answer is lost */
    int rule;              /* index of the rule that set action, -1 if none */
} fault_decision;

/* Decides for one request (method "GET", path with or without its query
 * string) at sim time now_ms. Rules go in order: every latency rule that
 * fires adds its delay, the first terminal rule that fires sets the action;
 * later terminal rules still consume their draw, so each rule's sequence
 * stays its own. Active throttle rules count as fired here. Thread-safe;
 * p may be NULL (no faults). */
void faults_decide(fault_plan *p, const char *method, const char *path, int64_t now_ms,
                   fault_decision *out);

/* The lowest limit of the throttle rules active for this request now, or -1
 * when none is. Thread-safe; p may be NULL. */
int faults_throttle(const fault_plan *p, const char *method, const char *path, int64_t now_ms);

typedef struct {
    int copies;                /* extra deliveries (sum over duplicate rules) */
    int64_t delay_ms;          /* sum over delay rules */
    int64_t reorder_window_ms; /* largest window of the reorder rules; 0 none */
    int drop;                  /* 1: every attempt fails until abandoned */
} fault_delivery;

/* Decides once per webhook delivery (not per attempt) of topic at now_ms.
 * Thread-safe; p may be NULL. */
void faults_decide_delivery(fault_plan *p, const char *topic, int64_t now_ms,
                            fault_delivery *out);

/* How often rule fired (took effect) since the plan was parsed; 0 when rule
 * is out of range. */
uint64_t faults_fired(const fault_plan *p, size_t rule);

/* [{"rule":0,"name":"...","kind":"status","fired":12}, ...] for /_mock/stats
 * (name only when given). Caller frees with cJSON_Delete. */
cJSON *faults_stats_json(const fault_plan *p);

#endif
