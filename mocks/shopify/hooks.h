/*
 * mock-shopify's outgoing webhooks: the headers Shopify sends (topic, HMAC
 * of the raw body with the app secret, shop domain, API version, a webhook
 * id stable across retries and duplicates, an event id shared by the topics
 * of one merchant action, the triggering time), handed to lib/deliver's
 * sender pool with the retry schedule and timeouts of the config.
 *
 * The misbehaviour Shopify documents — at least once, no ordering — comes
 * from the config (duplicate probability, extra delay distribution, reorder
 * window) and from the delivery faults of the active plan. Those draws are
 * seeded per delivery number, so a run with the same seed and the same
 * sequence of actions duplicates and delays the same deliveries.
 *
 * Every attempt is journaled (webhook_attempt; webhook_queued when queued,
 * webhook_abandoned at the end) and counted; the owner's result callback
 * decides whether a subscription that keeps failing goes away.
 *
 * Thread-safe: hooks_send may be called from any thread (world calls it with
 * its lock held); the result callback runs on a sender thread with no lock
 * of this module held.
 */
#ifndef SURGE_SHOPIFY_HOOKS_H
#define SURGE_SHOPIFY_HOOKS_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "counters.h"
#include "faults.h"
#include "journal.h"
#include "spec.h"

typedef struct hooks hooks;

typedef struct {
    const char *delivery_id; /* X-Shopify-Webhook-Id */
    const char *event_id;    /* X-Shopify-Event-Id */
    const char *topic, *shop;
    int64_t sub_id;
    int copy, attempt;       /* copy 0 is the original; attempt from 1 */
    int status;              /* HTTP status, 0 when none came back */
    int ok, abandoned, faulted;
    int64_t next_in_ms;      /* when it failed with attempts left */
    const char *error;       /* "" when ok */
} hooks_report;

/* Returns non-zero when the subscription is gone (remaining attempts of the
 * delivery are then dropped). */
typedef int (*hooks_result_fn)(void *ud, const hooks_report *r);
/* The delivery faults of the active plan for a topic, now. */
typedef void (*hooks_faults_fn)(void *ud, const char *topic, fault_delivery *out);

typedef struct {
    const spec_webhooks *cfg;  /* copied */
    const sclock *clk;         /* borrowed for the life of the hooks */
    journal *jr;
    counters *ctr;
    uint64_t seed;
    hooks_faults_fn faults;    /* may be NULL */
    void *faults_ud;
} hooks_env;

hooks *hooks_new(const hooks_env *env, hooks_result_fn on_result, void *ud);
/* Stops the senders (attempts in flight finish) and frees; accepts NULL. */
void hooks_free(hooks *h);

/* A fresh event id (a UUID, seeded) into out. */
void hooks_event_id(hooks *h, char out[40]);

typedef struct {
    const char *shop, *secret, *api_version;
    const char *topic, *address;
    const char *event_id;
    int64_t sub_id;
    const char *body;
    size_t body_len;
    int64_t triggered_epoch_ms;
    int64_t resource_id;  /* the order the delivery is about, 0 for none */
} hooks_msg;

/* Signs and queues one delivery (everything is copied). */
void hooks_send(hooks *h, const hooks_msg *m);
/* Drops the queued attempts of one subscription, or of all when sub_id < 0. */
void hooks_cancel(hooks *h, int64_t sub_id);
/* Deliveries queued or in flight. */
size_t hooks_pending(hooks *h);

#endif
