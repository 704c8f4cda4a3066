/* Boot, worker and inventory threads; see worker.h. */
#include "worker.h"

#include "boot.h"
#include "stockread.h"
#include "fulfil.h"
#include "move.h"
#include "ownsync.h"
#include "handlers.h"
#include "httpc.h"
#include "json.h"
#include "reconcile.h"
#include "replen.h"
#include "roles.h"
#include "log.h"
#include "mem.h"
#include "rng.h"
#include "sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One event per lease: a worker that took several would run them one
 * after another, each holding its lease meanwhile, so an urgent event
 * queued later (a backordered sale to move) waited behind every worker's
 * whole batch, and a batch slower than the lease let another worker take
 * its last events again. A lease is one small store transaction; an
 * event is several API calls. */
#define LEASE_BATCH 1
#define SYNC_BATCH 250

struct workers {
    syncd *sd;
    pthread_t boot, inventory;
    pthread_t *threads;
    unsigned n;
};


/* ---- workers -------------------------------------------------------------- */

static handled dispatch(syncd *sd, const store_event *ev)
{
    if (strcmp(ev->topic, "orders/paid") == 0)
        return orders_paid(sd, ev);
    if (strcmp(ev->topic, "orders/cancelled") == 0)
        return orders_cancelled(sd, ev);
    if (strcmp(ev->topic, "Stock/AvailableStockLevelChanged") == 0)
        return stock_changed(sd, ev);
    if (strcmp(ev->topic, "Sale/ShipmentAuthorised") == 0)
        return fulfil_sale(sd, ev);
    if (strcmp(ev->topic, "Sale/Backordered") == 0)
        return move_backordered(sd, ev);
    if (strcmp(ev->topic, "Sale/Voided") == 0)
        return sale_voided(sd, ev);
    if (strcmp(ev->topic, MOVE_RECHECK_TOPIC) == 0)
        return move_recheck(sd, ev);
    handled h = {H_DEAD, 0, ""};
    snprintf(h.reason, sizeof h.reason, "no handler for topic \"%s\"", ev->topic);
    return h;
}

/* An outcome the queue did not take: the event's lease runs out and it is
 * handled again (handlers are idempotent), so nothing is lost; said and
 * counted. */
static void unsettled(syncd *sd, const char *evid, const char *what)
{
    log_event(LOG_WARN, evid, "store: cannot record the event as %s; it is handled again when "
                              "its lease runs out", what);
    metrics_inc(sd->m, "syncd_store_errors_total", 1);
}

/* Looks at what a settling call answered: 0 when this worker's lease was
 * superseded (it ran out and the event was leased again: the new holder
 * settles it, or has settled it already and the event has left the queue;
 * this worker records nothing more of it, no audit row and no alert), 1
 * otherwise, an outcome the queue did not take said and counted. */
static int settled(syncd *sd, const store_event *ev, const char *evid, int rc, const char *what)
{
    if (rc == STORE_FENCED || rc == 1) {
        log_event(LOG_WARN, evid, "%s: lease ran out and the event was leased again%s; its "
                                  "outcome (%s) is left to the new holder", ev->topic,
                  rc == 1 ? " and settled" : "", what);
        metrics_inc(sd->m, "syncd_events_fenced_total", 1);
        return 0;
    }
    if (rc != 0)
        unsettled(sd, evid, what);
    return 1;
}

static void settle(syncd *sd, const store_event *ev, const handled *h, rng *r)
{
    char evid[32];
    snprintf(evid, sizeof evid, "ev-%lld", (long long)ev->id);
    int64_t now = clock_now_ms(&sd->clk);
    if (h->kind == H_DONE) {
        if (!settled(sd, ev, evid, store_ack(sd->st, ev->id, ev->epoch), "done"))
            return;
        store_audit(sd->st, ev->id, now, "done", ev->topic);
        metrics_inc(sd->m, "syncd_events_done_total", 1);
        log_event(LOG_DEBUG, evid, "%s done", ev->topic);
        return;
    }
    int64_t wait = 0;
    policy_action next = policy_event(&sd->pol, ev->attempts, h->kind == H_DEAD, h->wait_ms, r, &wait);
    if (next == POLICY_RETRY) {
        if (!settled(sd, ev, evid, store_retry(sd->st, ev->id, ev->epoch, now + wait, h->reason),
                     "to retry"))
            return;
        store_audit(sd->st, ev->id, now, "retry", h->reason);
        metrics_inc(sd->m, "syncd_events_retried_total", 1);
        log_event(LOG_INFO, evid, "%s: try %d failed, again in %lld ms: %s", ev->topic,
                  ev->attempts, (long long)wait, h->reason);
        return;
    }
    if (!settled(sd, ev, evid, store_dead(sd->st, ev->id, ev->epoch, now, h->reason), "dead"))
        return;
    store_audit(sd->st, ev->id, now, "dead", h->reason);
    metrics_inc(sd->m, "syncd_events_dead_total", 1);
    log_event(LOG_ERROR, evid, "%s dead-lettered after %d tries: %s", ev->topic, ev->attempts,
              h->reason);
    /* Unmapped SKUs alert from the handler with the SKU named. */
    if (strncmp(h->reason, "unmapped SKU", 12) != 0) {
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "reason", h->reason);
        cJSON_AddStringToObject(a, "topic", ev->topic);
        if (ev->shop)
            cJSON_AddStringToObject(a, "shop", ev->shop);
        syncd_alert(sd, ev->id, a);
    }
}

static void *worker_main(void *arg)
{
    syncd *sd = arg;
    /* Backoff jitter only needs to differ between workers. */
    rng *jitter = outbound_rng();
    while (!sd->stopping) {
        if (!sd->ready) {
            syncd_nap(sd, &sd->work_lock, &sd->work_cv, 1000);
            continue;
        }
        store_event *evs[LEASE_BATCH];
        int n = store_lease(sd->st, clock_now_ms(&sd->clk), sd->cfg.lease_ms, evs, LEASE_BATCH);
        if (n <= 0) {
            /* Nothing ready: sleep until woken or a retry may be due. */
            struct timespec ts;
            clock_deadline(&sd->clk, 0, &ts);
            ts.tv_nsec += 50 * 1000 * 1000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_mutex_lock(&sd->work_lock);
            if (!sd->stopping)
                pthread_cond_timedwait(&sd->work_cv, &sd->work_lock, &ts);
            pthread_mutex_unlock(&sd->work_lock);
            continue;
        }
        for (int i = 0; i < n; i++) {
            if (sd->stopping) {
                /* Never tried: its try is given back for the next start. */
                if (store_unlease(sd->st, evs[i]->id, evs[i]->epoch) != 0)
                    log_warn("store: cannot give back event %lld's try (its lease runs out)",
                             (long long)evs[i]->id);
            } else if (evs[i]->attempts > sd->cfg.max_attempts) {
                /* Earlier leases never settled: its handler stopped the
                 * process each time (a crash, or kill -9 mid-work). Running
                 * it again would stop it again. */
                handled h = handled_dead("handler did not finish in %d tries (syncd stopped "
                                         "while handling it each time)%s%.200s",
                                         evs[i]->attempts - 1,
                                         evs[i]->last_error ? "; last error: " : "",
                                         evs[i]->last_error ? evs[i]->last_error : "");
                settle(sd, evs[i], &h, jitter);
            } else {
                /* What the handler writes is written for this lease: once
                 * another worker (or instance) took the event over, those
                 * writes are refused, like the outcome. The outcome and
                 * its audit row are written after, fenced by settle. */
                store_act_for(sd->st, evs[i]->id, evs[i]->epoch);
                handled h = dispatch(sd, evs[i]);
                store_act_for(sd->st, 0, 0);
                /* A handler cut short by shutdown leaves its event leased:
                 * the next start releases it. */
                if (!sd->stopping || h.kind == H_DONE)
                    settle(sd, evs[i], &h, jitter);
            }
            store_event_free(evs[i]);
        }
    }
    httpc_thread_cleanup();
    return NULL;
}

/* ---- inventory ------------------------------------------------------------ */

/* SKUs a sync left out because their ledger could not be read: said,
 * counted, and kept here for SET_ASIDE_MS before they are marked again
 * (marking them at once would retry them in a tight loop; the coalescer's
 * queue is first in, first out, so a mark dated later would hold back the
 * SKUs behind it). The rest of the catalog keeps moving meanwhile. */
#define SET_ASIDE_MS 5000
typedef struct {
    char **sku;
    int64_t *at;
    /* 1: a sync owed (a claim or a ledger waited for); 0: a recheck of
     * held backorders, which recurs while the hold lasts. */
    unsigned char *owed;
    size_t n, cap, n_owed;
} aside_list;

/* Keeps sku (copied) aside until at. */
static void aside_put(aside_list *a, const char *sku, int64_t at, int owed)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->sku = xrealloc(a->sku, a->cap * sizeof *a->sku);
        a->at = xrealloc(a->at, a->cap * sizeof *a->at);
        a->owed = xrealloc(a->owed, a->cap * sizeof *a->owed);
    }
    a->sku[a->n] = xstrdup(sku);
    a->owed[a->n] = owed != 0;
    a->n_owed += owed != 0;
    a->at[a->n++] = at;
}

/* Keeps the SKUs marked in which aside until at, each once: a SKU whose
 * backorder hold is still open comes back for another look at its held
 * sales (move.h) however many passes it has meanwhile. */
static void aside_again(aside_list *a, char **skus, const int *which, size_t n, int64_t at)
{
    for (size_t i = 0; i < n; i++) {
        if (!which[i])
            continue;
        size_t j = 0;
        while (j < a->n && strcmp(a->sku[j], skus[i]) != 0)
            j++;
        if (j == a->n)
            aside_put(a, skus[i], at, 0);
    }
}

static void aside_add(syncd *sd, aside_list *a, char **skus, const int *set_aside, size_t n)
{
    int64_t later = clock_now_ms(&sd->clk) + SET_ASIDE_MS;
    for (size_t i = 0; i < n; i++) {
        if (!set_aside[i])
            continue;
        log_warn("inventory: %s left out of this sync (its reservation ledger cannot be read); "
                 "again in %d ms",
                 skus[i], SET_ASIDE_MS);
        metrics_inc(sd->m, "syncd_inventory_skus_set_aside_total", 1);
        aside_put(a, skus[i], later, 1);
    }
}

/* The claims' names of batch's SKUs ("stock:<sku>"); names_free frees them. */
static char **stock_names(char **batch, size_t n)
{
    char **names = xcalloc(n, sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = xasprintf("stock:%s", batch[i]);
    return names;
}

static void names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* One level write per SKU per coalescing window across the instances
 * sharing the store: each SKU of the batch is claimed ("stock:<sku>",
 * roles.h) for the window, in one statement. A SKU another instance wrote
 * (or is writing) in its window is kept aside until that claim ends and
 * then marked again, so its levels are written afresh after it, not
 * dropped. The claim is not released after the write: it is the window.
 * Compacts batch to the SKUs held and returns how many; when the store
 * cannot be asked, all go ahead (the writes are compare-and-set, so a
 * second one in a window costs a call, not a wrong level). */
static size_t claim_stock(syncd *sd, aside_list *a, char **batch, size_t n)
{
    char **names = stock_names(batch, n);
    store_claim_state *st = xcalloc(n, sizeof *st);
    /* Held for the whole pass (its reads of Cin7 and Shopify, its writes:
     * a lease's time at most) and cut to the window once it ends
     * (stock_window): another instance that read the levels while this
     * one's write was on its way would find them "already right" and
     * keep a baseline the write then makes wrong. */
    int held = roles_claim_each(sd, "stock", (const char *const *)names, n,
                                sd->cfg.coalesce_ms + sd->cfg.lease_ms, st);
    size_t k = 0;
    int64_t now = clock_now_ms(&sd->clk);
    for (size_t i = 0; i < n; i++) {
        if (held < 0 || st[i].held) {
            batch[k++] = batch[i];
            continue;
        }
        aside_put(a, batch[i], st[i].until > now ? st[i].until : now + sd->cfg.coalesce_ms, 1);
        free(batch[i]);
    }
    if (held < 0)
        log_warn("inventory: cannot claim the SKUs' level writes (store error); writing anyway");
    names_free(names, n);
    free(st);
    return k;
}

/* The pass over batch has ended: its SKUs' claims now end one window from
 * here (the same holder renews them with a shorter life). */
static void stock_window(syncd *sd, char **batch, size_t n)
{
    char **names = stock_names(batch, n);
    store_claim_state *st = xcalloc(n, sizeof *st);
    if (store_claim_each(sd->st, (const char *const *)names, n, sd->cfg.instance,
                         clock_now_ms(&sd->clk), sd->cfg.coalesce_ms, st) < 0)
        log_warn("inventory: cannot end the SKUs' claims at their window (they end a lease "
                 "later)");
    names_free(names, n);
    free(st);
}

/* Marks again the SKUs whose time is up; returns when the next one is due
 * (INT64_MAX: none waits). */
static int64_t aside_release(syncd *sd, aside_list *a, int64_t now)
{
    int64_t next = INT64_MAX;
    size_t k = 0;
    for (size_t i = 0; i < a->n; i++) {
        if (a->at[i] <= now) {
            const char *one[] = {a->sku[i]};
            syncd_mark_dirty(sd, one, 1);
            free(a->sku[i]);
            a->n_owed -= a->owed[i];
            continue;
        }
        next = a->at[i] < next ? a->at[i] : next;
        a->sku[k] = a->sku[i];
        a->owed[k] = a->owed[i];
        a->at[k++] = a->at[i];
    }
    a->n = k;
    return next;
}

static void aside_free(aside_list *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->sku[i]);
    free(a->sku);
    free(a->at);
    free(a->owed);
}

static void *inventory_main(void *arg)
{
    syncd *sd = arg;
    char *batch[SYNC_BATCH];
    /* In poll mode levels move on the poll's timer only, as a native
     * connector's do: marks (paid orders, retries) wait until a poll
     * admits what is waiting, and then go at once, whatever their window. */
    int gated = strcmp(sd->cfg.mode, "poll") == 0;
    aside_list aside = {0};
    while (!sd->stopping) {
        int64_t next_aside = aside_release(sd, &aside, clock_now_ms(&sd->clk));
        pthread_mutex_lock(&sd->inv_lock);
        int64_t now = clock_now_ms(&sd->clk);
        int64_t due = coalesce_next_due(sd->dirty);
        size_t n = 0;
        if (sd->ready && gated && sd->inv_admit > 0) {
            n = coalesce_take(sd->dirty, INT64_MAX, batch,
                              sd->inv_admit < SYNC_BATCH ? sd->inv_admit : SYNC_BATCH);
            sd->inv_admit = n ? sd->inv_admit - n : 0;
        } else if (sd->ready && !gated && due >= 0 && due <= now) {
            n = coalesce_take(sd->dirty, now, batch, SYNC_BATCH);
        }
        int audit = n && sd->inv_audit > 0;
        if (audit)
            sd->inv_audit = sd->inv_audit > n ? sd->inv_audit - n : 0;
        /* Until the pass is over, its SKUs are owed work too. */
        sd->inv_owed = aside.n_owed + n;
        if (!n) {
            struct timespec ts;
            int64_t wait = !gated && due > now ? due - now : 1000;
            if (next_aside - now < wait)
                wait = next_aside > now ? next_aside - now : 1;
            clock_deadline(&sd->clk, wait, &ts);
            if (!sd->stopping)
                pthread_cond_timedwait(&sd->inv_cv, &sd->inv_lock, &ts);
            pthread_mutex_unlock(&sd->inv_lock);
            continue;
        }
        pthread_mutex_unlock(&sd->inv_lock);
        /* The kits and components tied to the batch are written with it,
         * so they are claimed with it. */
        size_t taken = n;
        char **work = inventory_tied(sd, batch, n, &n);
        n = claim_stock(sd, &aside, work, n);
        pthread_mutex_lock(&sd->inv_lock);
        sd->inv_owed = aside.n_owed + n;
        pthread_mutex_unlock(&sd->inv_lock);
        if (!n) {
            free(work);
            continue;
        }
        int *set_aside = xcalloc(n, sizeof *set_aside), *held = xcalloc(n, sizeof *held);
        handled h = inventory_sync(sd, work, n, audit, set_aside);
        move_queue_rechecks(sd, work, n, held);
        aside_again(&aside, work, held, n, clock_now_ms(&sd->clk) + MOVE_RECHECK_MS);
        stock_window(sd, work, n);
        aside_add(sd, &aside, work, set_aside, h.kind == H_DONE ? n : 0);
        if (h.kind != H_DONE && !sd->stopping) {
            log_warn("inventory sync of %zu SKUs failed, again in %lld ms: %s", n,
                     (long long)h.wait_ms, h.reason);
            metrics_inc(sd->m, "syncd_inventory_retries_total", 1);
            syncd_nap(sd, &sd->inv_lock, &sd->inv_cv, h.wait_ms > 30000 ? 30000 : h.wait_ms);
            syncd_mark_dirty(sd, (const char *const *)work, n);
            /* The retry belongs to the poll (or the check) that took them. */
            pthread_mutex_lock(&sd->inv_lock);
            if (gated)
                sd->inv_admit += taken;
            if (audit)
                sd->inv_audit += taken;
            pthread_mutex_unlock(&sd->inv_lock);
        }
        for (size_t i = 0; i < n; i++)
            free(work[i]);
        free(work);
        free(set_aside);
        free(held);
    }
    aside_free(&aside);
    httpc_thread_cleanup();
    return NULL;
}

/* ---- start and stop ------------------------------------------------------- */

workers *workers_start(syncd *sd)
{
    workers *w = xcalloc(1, sizeof *w);
    w->sd = sd;
    w->n = sd->cfg.workers;
    w->threads = xcalloc(w->n, sizeof *w->threads);
    sd->reader = stockread_start(sd);
    sd->roles = roles_start(sd);
    /* Before the boot thread, which makes syncd ready: the intake hands
     * products/update to it once ready. */
    sd->own = ownsync_start(sd);
    if (pthread_create(&w->boot, NULL, boot_main, sd) != 0 ||
        pthread_create(&w->inventory, NULL, inventory_main, sd) != 0) {
        fprintf(stderr, "fatal: cannot start syncd threads\n");
        abort();
    }
    for (unsigned i = 0; i < w->n; i++)
        if (pthread_create(&w->threads[i], NULL, worker_main, sd) != 0) {
            fprintf(stderr, "fatal: cannot start a worker thread\n");
            abort();
        }
    sd->replen = replen_start(sd);
    sd->recon = reconcile_start(sd);
    return w;
}

void workers_stop(workers *w)
{
    syncd *sd = w->sd;
    sd->stopping = 1;
    roles_interrupt(sd->roles);
    /* Calls waiting for a rate-limit permit give up; calls on the wire finish. */
    cin7_stop(sd->c7);
    for (size_t i = 0; i < sd->cfg.n_shops; i++)
        shopify_stop(sd->shops[i]);
    pthread_mutex_lock(&sd->work_lock);
    pthread_cond_broadcast(&sd->work_cv);
    pthread_mutex_unlock(&sd->work_lock);
    pthread_mutex_lock(&sd->inv_lock);
    pthread_cond_broadcast(&sd->inv_cv);
    pthread_mutex_unlock(&sd->inv_lock);
    reconcile_stop(sd->recon);
    sd->recon = NULL;
    ownsync_stop(sd->own);
    sd->own = NULL;
    replen_stop(sd->replen);
    sd->replen = NULL;
    pthread_join(w->boot, NULL);
    pthread_join(w->inventory, NULL);
    stockread_stop(sd->reader);
    sd->reader = NULL;
    inventory_free(sd); /* the inventory thread's memory, now that it is gone */
    for (unsigned i = 0; i < w->n; i++)
        pthread_join(w->threads[i], NULL);
    roles_stop(sd->roles); /* last: the work they guard has stopped */
    sd->roles = NULL;
    free(w->threads);
    free(w);
}
