/*
 * The running engine: what every part of syncd shares. syncd.c builds and
 * frees it; intake, workers, orders and inventory borrow it. Everything reachable from
 * here is thread-safe or read-only after start.
 */
#ifndef SURGE_SYNCD_H
#define SURGE_SYNCD_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>

#include "catalog.h"
#include "cin7.h"
#include "clock.h"
#include "coalesce.h"
#include "config.h"
#include "metrics.h"
#include "policy.h"
#include "shopify.h"
#include "stockcache.h"
#include "store.h"

/* Alerts the ops page shows (the newest). */
#define SYNCD_ALERTS_KEPT 50
/* Ops page sessions: how many at once, idle and longest life (real ms). */
#define SYNCD_SESSIONS_MAX 64
#define SYNCD_SESSION_IDLE_MS (30 * 60 * 1000)
#define SYNCD_SESSION_MAX_AGE_MS (8 * 60 * 60 * 1000)

typedef struct syncd {
    syncd_config cfg;
    sclock clk;
    store *st;
    metrics *m;
    policy pol;
    cin7 *c7;
    shopify **shops;          /* one per cfg.shops entry */
    stockcache *cache;
    catalog *cat;             /* NULL until loaded; then read-only */
    /* A catalog built from stored sources at start, replaced by a live one
     * once the APIs answer: kept until syncd_free, since workers may still
     * hold it. */
    catalog *cat_stored;
    pthread_mutex_t cat_lock; /* guards the pointer */

    /* Inventory work: SKUs waiting for a level sync. */
    pthread_mutex_t inv_lock;
    pthread_cond_t inv_cv;
    coalescer *dirty;
    /* Poll mode: marked SKUs wait in dirty until a poll admits them; this
     * many of the waiting ones may be taken now (inv_lock). */
    size_t inv_admit;
    /* Reconciliation: this many of the next SKUs taken are its drift check
     * (their writes count as drift repaired; inv_lock). */
    size_t inv_audit;
    /* SKUs taken out of dirty and not yet written, or kept aside until
     * another instance's claim on them ends or their ledger can be read:
     * work owed all the same, counted in syncd_dirty_skus so a harness
     * does not take syncd for idle meanwhile (inv_lock). Rechecks of held
     * backorders are not counted: they recur while a hold lasts. */
    size_t inv_owed;

    /* What the inventory thread last wrote (or found right) per shop,
     * location and SKU; owned by that thread (see inventory.c). */
    struct lastwrites *lw;
    /* Set by Cin7 stock webhooks: the next level sync reads a fresh
     * snapshot (sooner than snapshot_max_age). */
    volatile sig_atomic_t stock_changed;

    /* Workers sleep here until an event arrives. */
    pthread_mutex_t work_lock;
    pthread_cond_t work_cv;

    struct replenisher *replen;   /* replen.c */
    struct stockread *reader;     /* stockread.c: Cin7 stock reads */
    struct reconciler *recon;     /* reconcile.c */
    struct ownsync *own;          /* ownsync.c: product data ownership */
    struct opsauth *ops;          /* opsauth.c: admin sessions of the ops page */
    struct alertring *alerts;     /* alertring.c: the last alerts, for the ops page */
    struct roles *roles;          /* roles.c: the work one instance does at a time */

    volatile sig_atomic_t stopping;
    int ready; /* catalog, webhooks and stock figures in place (boot.h) */
    int route_held; /* this instance holds the store's "route" claim (orders_route_begin) */
} syncd;

/* Builds the context from cfg, which it takes over (cfg is emptied):
 * the scaled clock and the log, the run's seed (chosen and logged when
 * cfg has none), metrics, the store, the Cin7 and Shopify clients. Returns
 * 0, or -1 with err when the store cannot be opened; *out is set either
 * way and must go to syncd_free. Threads (the store's writer) start here:
 * block the signals the caller waits for first. */
int syncd_new(syncd_config *cfg, syncd **out, char *err, size_t errlen);
/* Frees the context once the workers and intake have stopped; accepts
 * NULL. */
void syncd_free(syncd *sd);
/* The catalog once loaded, else NULL. */
const catalog *syncd_catalog(syncd *sd);
/* Sleeps up to sim_ms on cv (lock is its mutex), waking early when
 * stopping (syncd_stop broadcasts) or when cv is signalled. */
void syncd_nap(syncd *sd, pthread_mutex_t *lock, pthread_cond_t *cv, int64_t sim_ms);
/* Wakes a worker: new events are queued. */
void syncd_wake_workers(syncd *sd);
/* Marks Cin7 SKUs as needing a level sync (coalesced). */
void syncd_mark_dirty(syncd *sd, const char *const *skus, size_t n);
/* Posts an alert (JSON object: sku, order, reason...) to the configured
 * URL, logs it and keeps it among the last SYNCD_ALERTS_KEPT for the ops
 * page; never blocks a caller for long. obj is consumed. */
void syncd_alert(syncd *sd, int64_t event_id, cJSON *obj);
/* Sim ms of a Shopify timestamp (ISO-8601), or now when unreadable. */
int64_t syncd_sim_time(syncd *sd, const char *iso);

#endif
