/* The stock reader thread; see stockread.h. */
#include "stockread.h"

#include "clock.h"
#include "handlers.h"
#include "httpc.h"
#include "mem.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* After a failed read that syncs are owed, the next try (sim ms). */
#define RETRY_OWED_MS 30000

struct stockread {
    syncd *sd;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cv;       /* requests, results and stop */
    int requested, running;
    uint64_t done_seq;       /* reads finished */
    handled last;            /* the last read's outcome */
    /* Syncs went on the cached figures: the next read that succeeds marks
     * every SKU for another sync; until one does, one is tried at
     * retry_at (sim ms; 0 when none is planned). */
    int owed;
    int64_t retry_at;
};

/* Waits for a request, a planned retry coming due, or stop (lock held).
 * Returns 1 when a read is to run. */
static int next_read(stockread *r)
{
    while (!r->sd->stopping) {
        int64_t now = clock_now_ms(&r->sd->clk);
        if (r->requested || (r->owed && r->retry_at && now >= r->retry_at))
            return 1;
        if (r->owed && r->retry_at) {
            struct timespec ts;
            clock_deadline(&r->sd->clk, r->retry_at - now, &ts);
            pthread_cond_timedwait(&r->cv, &r->lock, &ts);
        } else {
            pthread_cond_wait(&r->cv, &r->lock);
        }
    }
    return 0;
}

static void *reader_main(void *arg)
{
    stockread *r = arg;
    pthread_mutex_lock(&r->lock);
    while (next_read(r)) {
        r->requested = 0;
        r->running = 1;
        r->retry_at = 0;
        pthread_mutex_unlock(&r->lock);
        handled h = inventory_refresh(r->sd);
        pthread_mutex_lock(&r->lock);
        r->running = 0;
        r->last = h;
        r->done_seq++;
        int mark = r->owed && h.kind == H_DONE;
        if (mark)
            r->owed = 0;
        else if (r->owed)
            r->retry_at = clock_now_ms(&r->sd->clk) + RETRY_OWED_MS;
        pthread_cond_broadcast(&r->cv);
        if (mark) {
            /* Syncs went on without it: every SKU may have moved (the read
             * replaced the figures they synced on). */
            pthread_mutex_unlock(&r->lock);
            const catalog *cat = syncd_catalog(r->sd);
            size_t n = 0;
            const char *const *skus = cat ? catalog_skus(cat, &n) : NULL;
            syncd_mark_dirty(r->sd, skus, n);
            pthread_mutex_lock(&r->lock);
        }
    }
    pthread_mutex_unlock(&r->lock);
    httpc_thread_cleanup();
    return NULL;
}

stockread *stockread_start(syncd *sd)
{
    stockread *r = xcalloc(1, sizeof *r);
    r->sd = sd;
    pthread_mutex_init(&r->lock, NULL);
    clock_cond_init(&r->cv);
    if (pthread_create(&r->thread, NULL, reader_main, r) != 0) {
        fprintf(stderr, "fatal: cannot start the stock reader thread\n");
        abort();
    }
    return r;
}

void stockread_stop(stockread *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->cv);
    free(r);
}

int stockread_owed(stockread *r)
{
    if (!r)
        return 0;
    pthread_mutex_lock(&r->lock);
    int owed = r->owed;
    pthread_mutex_unlock(&r->lock);
    return owed;
}

void stockread_owe(stockread *r, int64_t retry_in_ms)
{
    pthread_mutex_lock(&r->lock);
    r->owed = 1;
    if (!r->running && !r->requested) {
        int64_t at = clock_now_ms(&r->sd->clk) + (retry_in_ms > 0 ? retry_in_ms : 0);
        if (!r->retry_at || at < r->retry_at)
            r->retry_at = at;
        pthread_cond_broadcast(&r->cv);
    }
    pthread_mutex_unlock(&r->lock);
}

stockread_result stockread_fresh(stockread *r, int64_t wait_ms, handled *h)
{
    struct timespec ts;
    clock_deadline(&r->sd->clk, wait_ms, &ts);
    pthread_mutex_lock(&r->lock);
    /* A read running already will do: it started before the figures
     * could be older than asked, or at worst just after. */
    uint64_t seq = r->done_seq;
    if (!r->running) {
        r->requested = 1;
        pthread_cond_broadcast(&r->cv);
    }
    int rc = 0;
    while (r->done_seq == seq && !r->sd->stopping && rc == 0)
        rc = pthread_cond_timedwait(&r->cv, &r->lock, &ts);
    stockread_result res;
    if (r->done_seq == seq) {
        r->owed = 1;
        res = STOCKREAD_PENDING;
    } else {
        *h = r->last;
        res = r->last.kind == H_DONE ? STOCKREAD_FRESH : STOCKREAD_FAILED;
    }
    pthread_mutex_unlock(&r->lock);
    return res;
}
