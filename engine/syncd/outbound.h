/*
 * One outbound call through a credential's rate gate, with the retry policy
 * applied: short waits (rate limits, a blip) are retried inside the call;
 * anything longer goes back to the caller as "retry later", so a worker is
 * never parked for minutes and the event waits durably in the store
 * instead. Every try is counted (api calls, 429s, retries per system) and
 * timed. Waits are simulated time.
 */
#ifndef SURGE_SYNCD_OUTBOUND_H
#define SURGE_SYNCD_OUTBOUND_H

#include <stdint.h>

#include "clock.h"
#include "gate.h"
#include "httpc.h"
#include "metrics.h"
#include "policy.h"
#include "rng.h"

typedef struct {
    const char *system;      /* metric label: "cin7", "shopify" */
    gate *gate;              /* may be NULL */
    metrics *m;
    const sclock *clk;
    policy pol;
    int inline_attempts;     /* tries inside one call (>= 1) */
    int64_t inline_wait_cap; /* longest wait taken inside a call (sim ms) */
    int64_t timeout_ms;      /* per try, simulated */
    /* Called after every answer (e.g. to read rate-limit headers). */
    void (*observe)(void *ud, const httpc_resp *resp);
    void *observe_ud;
} outbound;

typedef struct {
    policy_action action;   /* DONE, PERMANENT, GIVE_UP, RETRY (later), LOOKUP */
    int64_t wait_ms;        /* RETRY, LOOKUP: wait before the next try */
    int attempts;           /* tries made in this call */
    int64_t sent_at;        /* sim ms the last try left, after its rate-limit permit */
    httpc_resp resp;        /* the last answer; free with outbound_done */
    char error[320];        /* what went wrong, for logs and the DLQ */
} outcome;

/* Sends req (its timeouts are set from o). cost: the gate cost (1 for call
 * counting, GraphQL's requested cost). Thread-safe for distinct outcomes. */
void outbound_call(outbound *o, const httpc_req *req, int prio, int idempotent, double cost,
                   outcome *out);
void outbound_done(outcome *out);
/* Takes calls (>= 2) permits of o's gate together, now, for this thread's
 * next calls through o (their first tries): calls that must follow one
 * another closely, such as a read and the write built from it, then
 * leave without waiting for the gate in between. Returns 0, or -1 when
 * the gate could not give them (stopped, or more calls than its limit);
 * the calls then wait for the gate one by one. What is left unused is
 * dropped by outbound_reserve_drop, which a caller always calls after. */
int outbound_reserve(outbound *o, int prio, int calls);
void outbound_reserve_drop(void);
/* A check made on this thread after each call's rate-limit permit and
 * before the request leaves: when it returns non-zero the request is not
 * sent, and the call ends with POLICY_RETRY, wait_ms 0 and "not sent" in
 * error. xwrite sets one around a write another instance may take over
 * (its claim is renewed there, right before the send). fn NULL clears it. */
void outbound_guard(int (*fn)(void *ud), void *ud);
/* The run's seed (set once, before any thread draws): every thread's
 * retry jitter is a stream derived from it, so a run replays from its
 * logged seed. */
void outbound_seed(uint64_t seed);
/* The calling thread's jitter stream (borrowed; the thread's own). */
rng *outbound_rng(void);

#endif
