/*
 * Exponential backoff with full jitter, as a pure function: the wait
 * before try attempt+1 is uniform in [0, min(cap, base * 2^(attempt-1))].
 * Kept apart from the HTTP client so the engine's retry policy links
 * without libcurl.
 */
#ifndef SURGE_BACKOFF_H
#define SURGE_BACKOFF_H

#include <stdint.h>

#include "rng.h"

typedef struct {
    int max_attempts;   /* total tries, >= 1 */
    int64_t base_ms;    /* first backoff ceiling (simulated ms) */
    int64_t cap_ms;     /* largest backoff ceiling */
} retry_policy;

/* The wait after attempt failures (attempt >= 1; below counts as 1). */
int64_t retry_backoff_ms(const retry_policy *p, int attempt, rng *r);

#endif
