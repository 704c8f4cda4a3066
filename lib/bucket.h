/*
 * The two rate limiters the fake APIs enforce and the clients respect:
 * Cin7's "N calls per rolling window" (window_) and Shopify's leaky bucket
 * (leaky_), which also serves as the GraphQL cost bucket. Neither reads a
 * clock: every call takes the simulated time in milliseconds from the
 * caller, so the same code runs on the scaled clock and in the simulator's
 * virtual time. Time that goes backwards (two threads reading the clock in
 * one order and locking in the other) is taken as the latest time seen.
 *
 * Both are opaque and thread-safe: one mutex inside each, held only for the
 * arithmetic, so a limiter may be shared by every handler thread of a server.
 */
#ifndef SURGE_BUCKET_H
#define SURGE_BUCKET_H

#include <stdint.h>

/* A wait meaning "never at the current settings": the window limit is 0, or
 * a cost exceeds the bucket size, or the bucket does not leak. Callers must
 * treat it as a refusal, not sleep on it. */
#define BUCKET_NEVER INT64_C(-1)

/* ---- calls per rolling window (Cin7) -------------------------------------- */

typedef struct window_limiter window_limiter;

/* At most limit calls in any window of window_ms. limit >= 0 (0 refuses every
 * call), window_ms >= 1; returns NULL when they are out of range. Caller
 * frees with window_free, which accepts NULL. Memory is O(largest limit). */
window_limiter *window_new(int limit, int64_t window_ms);
void window_free(window_limiter *w);

/* Returns 1 and records the call when fewer than limit calls were permitted
 * in (now - window, now]. Otherwise returns 0 and sets *wait_ms (may be
 * NULL) to the time until the oldest of those calls leaves the window, or
 * BUCKET_NEVER when the limit is 0. */
int window_take(window_limiter *w, int64_t now_ms, int64_t *wait_ms);
/* The same for calls (>= 1) calls taken together at now: when at most
 * limit - calls were permitted in the window; *wait_ms BUCKET_NEVER when
 * calls exceed the limit. */
int window_take_n(window_limiter *w, int calls, int64_t now_ms, int64_t *wait_ms);
/* Calls permitted in (now - window, now]; may exceed a lowered limit. */
int window_used(window_limiter *w, int64_t now_ms);
/* 0 when window_take would permit a call now, else what it would set. */
int64_t window_wait(window_limiter *w, int64_t now_ms);
/* Changes the limit (below 0 means 0). Past calls are kept, so a lower limit
 * applies at once to the calls already in the window, and raising it back
 * counts them too. */
void window_set_limit(window_limiter *w, int limit);

/* ---- leaky bucket (Shopify REST call limit, GraphQL cost) ----------------- */

typedef struct leaky_bucket leaky_bucket;

/* An empty bucket of capacity size (> 0) draining leak_per_s (>= 0) units a
 * second; for GraphQL, size is the maximum available cost and the leak the
 * restore rate. Returns NULL when they are out of range. Caller frees with
 * leaky_free, which accepts NULL. */
leaky_bucket *leaky_new(double size, double leak_per_s);
void leaky_free(leaky_bucket *b);

/* Leaks for the time since the last call, then, when level + cost <= size,
 * adds cost and returns 1. Otherwise returns 0 and sets *wait_ms (may be
 * NULL) to the milliseconds, rounded up, until cost would fit, or
 * BUCKET_NEVER. A negative cost counts as 0. */
int leaky_take(leaky_bucket *b, int64_t now_ms, double cost, int64_t *wait_ms);
/* The fill after leaking ("used" in X-Shopify-Shop-Api-Call-Limit: used/size;
 * callers round up). */
double leaky_level(leaky_bucket *b, int64_t now_ms);
double leaky_size(const leaky_bucket *b);
/* GraphQL's "currently available": size - level, not below 0. */
double leaky_available(leaky_bucket *b, int64_t now_ms);
/* 0 when cost fits now, else what leaky_take would set. */
int64_t leaky_wait(leaky_bucket *b, int64_t now_ms, double cost);
/* New capacity and leak (throttle faults, plan changes); values out of range
 * leave that setting alone. The level is kept, so a smaller bucket may be
 * over-full for a while and refuses until it drains. */
void leaky_set(leaky_bucket *b, double size, double leak_per_s);
/* A client adopting the server's figures from a response (used/size), so its
 * view never lags the server's: level = used (not below 0), and size = size
 * when size > 0 (a header without a size keeps the current one). */
void leaky_observe(leaky_bucket *b, int64_t now_ms, double used, double size);
/* Gives back cost (GraphQL reserves the requested cost, then refunds
 * requested - actual); the level does not go below 0. */
void leaky_refund(leaky_bucket *b, double cost);

#endif
