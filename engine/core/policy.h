/*
 * What to do after an outbound call, as a pure function: done, retry after a
 * wait, look the write up before retrying it, or give up (dead-letter).
 *
 * Retryable: 429, 503 (Cin7's documented rate-limit answer), other 5xx, 423,
 * connection failures, timeouts and resets. Retry-After, when the answer has
 * one, sets the wait; otherwise exponential backoff with full jitter up to a
 * cap. A write that is not idempotent (a Cin7 sale or purchase POST) whose
 * outcome is unknown — timeout, reset, or a 5xx other than 503 — may have
 * been applied, so the caller must look it up (by CustomerReference) before
 * sending it again, even after the last try (out of tries, such a write
 * is a look-up, never a give-up). Other 4xx answers are permanent:
 * retrying cannot help.
 */
#ifndef SURGE_POLICY_H
#define SURGE_POLICY_H

#include <stdint.h>

#include "backoff.h"
#include "rng.h"

typedef enum {
    POLICY_DONE,         /* 2xx */
    POLICY_RETRY,        /* wait *wait_ms, send again */
    POLICY_LOOKUP,       /* wait *wait_ms, look the write up, send only if absent */
    POLICY_GIVE_UP,      /* out of attempts: dead-letter with the last error */
    POLICY_PERMANENT,    /* a 4xx that no retry fixes: dead-letter now */
} policy_action;

typedef struct {
    int max_attempts;  /* total tries before giving up, >= 1 */
    int64_t base_ms;   /* first backoff ceiling */
    int64_t cap_ms;    /* largest wait, Retry-After included */
} policy;

/* How a call went on the wire (the HTTP client's outcome, mapped by the
 * caller: the policy knows no HTTP library). */
typedef enum {
    POLICY_NET_ANSWERED,   /* an HTTP answer came back, whatever its status */
    POLICY_NET_UNSENT,     /* never connected: the request was not sent */
    POLICY_NET_TIMEOUT,    /* connected, no full answer in time: outcome unknown */
    POLICY_NET_RESET,      /* dropped mid-exchange: outcome unknown */
    POLICY_NET_BROKEN,     /* anything else (bad URL, answer too large...) */
} policy_net;

typedef struct {
    policy_net result;     /* transport outcome */
    int status;            /* HTTP status when result is POLICY_NET_ANSWERED */
    int64_t retry_after_ms; /* from the answer, < 0 when none */
} policy_outcome;

/* Decides after try number attempt (1-based). idempotent: the call may be
 * repeated safely (reads, GraphQL writes with an idempotency key). */
policy_action policy_decide(const policy *p, int attempt, const policy_outcome *o,
                            int idempotent, rng *r, int64_t *wait_ms);
/* What becomes of a queued event whose handler did not finish it, after
 * its try number attempts (1-based): dead (POLICY_PERMANENT) when the
 * handler said so, POLICY_GIVE_UP when its tries are spent, else
 * POLICY_RETRY after *wait_ms: backoff with full jitter growing with the
 * event's tries, or the handler's own wait when longer (a Retry-After). The
 * handler's wait alone would only know its last call's short inline
 * backoff, and an event would spend its tries within a minute or two of an
 * outage meant to be ridden out for about half an hour. */
policy_action policy_event(const policy *p, int attempts, int handler_dead,
                           int64_t handler_wait_ms, rng *r, int64_t *wait_ms);
/* "done", "retry", ... */
const char *policy_action_name(policy_action a);

#endif
