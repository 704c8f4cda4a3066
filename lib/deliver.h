/*
 * Webhook delivery for the mocks: a pool of sender threads that POST queued
 * deliveries at their due (simulated) time, retry failures on a schedule and
 * give up after the last retry, reporting every attempt to the caller (who
 * journals it, counts it and removes subscriptions that keep failing).
 * Any answer but 2xx is a failure, redirects included; so are timeouts and
 * dropped connections.
 *
 * Delivery faults (lib/faults.h) apply here: extra copies, a later first
 * attempt, a random shift inside a reorder window, or a drop (every attempt
 * fails without being sent, so the delivery is retried and abandoned).
 */
#ifndef SURGE_DELIVER_H
#define SURGE_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "faults.h"
#include "httpc.h"

typedef struct deliverer deliverer;

typedef struct {
    unsigned threads;            /* sender threads; 0 means 4 */
    const int64_t *retry_waits;  /* sim ms before retry 1, 2, ...; copied */
    size_t n_retries;            /* attempts = 1 + n_retries */
    int64_t connect_timeout_ms;  /* simulated; 0 means 1000 */
    int64_t timeout_ms;          /* simulated; 0 means 5000 */
    double min_real_timeout_ms;  /* floor of the real timeouts; 0 means 50 */
    uint64_t seed;               /* for reorder shifts */
} deliver_config;

/* A delivery to queue; everything is copied. */
typedef struct {
    const char *id;              /* the delivery's id (stable across retries) */
    const char *topic;
    const char *url;
    const char *const *headers;  /* NULL-terminated "Name: value" lines */
    const char *body;
    size_t body_len;
    int64_t sub_id;              /* the caller's subscription id */
} deliver_msg;

typedef struct {
    const deliver_msg *msg;  /* borrowed for the callback */
    int copy;                /* 0 the original, 1.. copies from duplicate faults */
    int attempt;             /* 1-based */
    int status;              /* HTTP status, 0 when there was none */
    httpc_result result;
    int faulted;             /* failed by a drop fault: nothing was sent */
    int ok;                  /* 2xx: delivered, no more attempts */
    int abandoned;           /* failed with no attempt left */
    int64_t next_in_ms;      /* failed with attempts left: sim ms until the next */
    char error[256];         /* why it failed */
} deliver_report;

/* Runs on a sender thread after every attempt; must not call
 * deliverer_stop or deliverer_free. Returning non-zero cancels the
 * remaining attempts of this delivery (its subscription is gone). */
typedef int (*deliver_cb)(const deliver_report *r, void *ud);

/* Starts the pool. clk is borrowed; cb may be NULL. */
deliverer *deliverer_start(const deliver_config *cfg, const sclock *clk, deliver_cb cb, void *ud);
/* Queues a delivery (and its copies) due now, shaped by fd (NULL: no
 * faults). Ignored after stop. */
void deliverer_submit(deliverer *d, const deliver_msg *m, const fault_delivery *fd);
/* Drops queued attempts of one subscription, or of all when sub_id < 0
 * (reset); returns how many were dropped. An attempt in flight finishes. */
size_t deliverer_cancel(deliverer *d, int64_t sub_id);
/* Deliveries queued or in flight (for "is it quiet yet"). */
size_t deliverer_pending(deliverer *d);
/* Stops the threads (attempts in flight finish) and drops the queue. */
void deliverer_stop(deliverer *d);
void deliverer_free(deliverer *d); /* stops if needed; accepts NULL */

#endif
