/*
 * The Admin API's rate limits per (shop, access token): the REST leaky
 * bucket (size and leak from the shop's plan) and the GraphQL cost bucket
 * (maximumAvailable and restoreRate), both in simulated time on
 * lib/bucket's leaky_bucket. A throttle fault lowers a bucket's size for
 * its window, and its leak (restore rate) in proportion, as a plan of that
 * size has it; the plan's figures come back when it ends.
 *
 * Buckets are made on first use and live until limiter_reset. Thread-safe.
 */
#ifndef SURGE_SHOPIFY_LIMITER_H
#define SURGE_SHOPIFY_LIMITER_H

#include <stdint.h>

#include "spec.h"

typedef struct limiter limiter;

limiter *limiter_new(void);
void limiter_free(limiter *l); /* accepts NULL */
/* Forgets every bucket (they come back empty). */
void limiter_reset(limiter *l);

typedef struct {
    int used, size;   /* for X-Shopify-Shop-Api-Call-Limit: used/size */
    int64_t wait_ms;  /* refused: simulated ms until a call fits */
} limiter_rest_status;

/* One REST call at now. throttle > 0 is the bucket size a throttle fault
 * imposes (the leak shrinks in proportion). Returns 1 when permitted, 0 when the bucket is full. */
int limiter_rest(limiter *l, const char *shop, const char *token, const spec_limits *lim,
                 int throttle, int64_t now, limiter_rest_status *st);

typedef struct {
    double maximum, available, restore; /* throttleStatus */
} limiter_gql_status;

/* Reserves cost points at now. Returns 1 when reserved, 0 when the bucket
 * is short (nothing taken); st is filled either way (after the take). */
int limiter_gql_take(limiter *l, const char *shop, const char *token, const spec_limits *lim,
                     int throttle, int64_t now, double cost, limiter_gql_status *st);
/* Gives back the unused part of a reservation and refills st. */
void limiter_gql_refund(limiter *l, const char *shop, const char *token, const spec_limits *lim,
                        int64_t now, double amount, limiter_gql_status *st);

#endif
