/* Exactly-once outbound writes (xwrite.h). */
#include "xwrite.h"

#include "log.h"
#include "mem.h"
#include "once.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(WRITE_INTENT == (int)ONCE_INTENT && WRITE_DONE == (int)ONCE_DONE &&
                   WRITE_FAILED == (int)ONCE_FAILED && WRITE_UNKNOWN == (int)ONCE_UNKNOWN,
               "the store's ledger states are once.h's");

/* Keys being written in this process. The ledger alone cannot keep two
 * runners of one key apart: a worker whose lease ran out while it waited at
 * a rate gate leaves its event to another, and the second would find the
 * intent open, look the write up before the first one's call landed, and
 * send it again. So a second runner of a key waits here until the first
 * has recorded its outcome, then reads the ledger. Runs of one key never
 * nest another's, so the wait cannot deadlock. */
static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t busy_cv = PTHREAD_COND_INITIALIZER;
static char **busy;
static size_t n_busy, cap_busy;

static long busy_find(const char *key)
{
    for (size_t i = 0; i < n_busy; i++)
        if (strcmp(busy[i], key) == 0)
            return (long)i;
    return -1;
}

static void key_claim(const char *key)
{
    pthread_mutex_lock(&busy_lock);
    while (busy_find(key) >= 0)
        pthread_cond_wait(&busy_cv, &busy_lock);
    if (n_busy == cap_busy) {
        cap_busy = cap_busy ? cap_busy * 2 : 16;
        busy = xrealloc(busy, cap_busy * sizeof *busy);
    }
    busy[n_busy++] = xstrdup(key);
    pthread_mutex_unlock(&busy_lock);
}

static void key_release(const char *key)
{
    pthread_mutex_lock(&busy_lock);
    long i = busy_find(key);
    if (i >= 0) {
        free(busy[i]);
        busy[i] = busy[--n_busy];
    }
    if (n_busy == 0) { /* nothing in flight: give the table back */
        free(busy);
        busy = NULL;
        cap_busy = 0;
    }
    pthread_cond_broadcast(&busy_cv);
    pthread_mutex_unlock(&busy_lock);
}

/* ---- runners in other processes (xwrite_share) ------------------------------ */

static char *share_holder;
static int64_t share_ttl_ms;

void xwrite_share(const char *holder, int64_t ttl_ms)
{
    free(share_holder);
    share_holder = holder ? xstrdup(holder) : NULL;
    share_ttl_ms = ttl_ms;
}

/* One run's hold on its key's claim. */
typedef struct {
    store *st;
    const sclock *clk;
    char name[300];
    int64_t epoch;
    int lost; /* the claim was found taken over: nothing may be sent or recorded */
} key_hold;

/* The send guard: the claim is renewed under the same epoch, or the
 * request stays unsent. */
static int still_ours(void *ud)
{
    key_hold *k = ud;
    int64_t epoch = 0;
    int rc = store_claim(k->st, k->name, share_holder, clock_now_ms(k->clk), share_ttl_ms, &epoch);
    if (rc != 1 || epoch != k->epoch) {
        k->lost = 1;
        log_warn("write ledger: %s was taken over by another instance; not sent", k->name + 3);
        return 1;
    }
    return 0;
}

/* Records key's outcome. A record that fails leaves the intent open, so the
 * next try looks the write up: safe, and said. */
static void record(store *st, const sclock *clk, const char *key, once_state state,
                   const char *remote)
{
    if (store_write_outcome(st, key, (int)state, remote, clock_now_ms(clk)) != 0)
        log_warn("write ledger: cannot record the outcome of %s (it will be looked up)", key);
}

static handled run_claimed(store *st, const sclock *clk, const xwrite_op *op, key_hold *hold,
                           xwrite_how *how, char **remote)
{
    *remote = NULL;
    *how = XWRITE_WRITTEN;
    int state = WRITE_INTENT;
    char *stored = NULL;
    int fresh = store_write_intent(st, op->key, op->kind, op->body, clock_now_ms(clk), &state,
                                   &stored);
    if (fresh < 0)
        return handled_retry(1000, "store: cannot record the intent of %.250s", op->key);
    handled h = handled_done();
    once_step step = once_begin(fresh, (once_state)state);
    if (step == ONCE_ALREADY) {
        *how = XWRITE_ALREADY;
        *remote = stored;
        return h;
    }
    free(stored);
    if (step == ONCE_LOOK_UP) {
        char *found = NULL;
        int rc = op->look_up(op->ud, &found, &h);
        if (rc < 0) {
            free(found);
            return h;
        }
        if (rc > 0) {
            record(st, clk, op->key, ONCE_DONE, found);
            *how = XWRITE_FOUND;
            *remote = found;
            return h;
        }
        free(found);
    }
    if (step == ONCE_REOPEN &&
        store_write_outcome(st, op->key, WRITE_INTENT, NULL, clock_now_ms(clk)) != 0)
        return handled_retry(1000, "store: cannot reopen the intent of %.250s", op->key);
    outcome o;
    memset(&o, 0, sizeof o);
    char *id = NULL;
    if (hold)
        outbound_guard(still_ours, hold);
    int rc = op->write(op->ud, &id, &o, &h);
    outbound_guard(NULL, NULL);
    if (hold && hold->lost) {
        /* The other instance owns the key now: what this run saw is not
         * the ledger's to keep. */
        free(id);
        outbound_done(&o);
        return handled_retry(0, "%.250s was taken over by another instance", op->key);
    }
    if (rc > 0) {
        record(st, clk, op->key, ONCE_DONE, id);
        *remote = id;
    } else if (rc < 0) {
        free(id);
        if (o.action == POLICY_DONE)
            o.action = POLICY_LOOKUP; /* a success the caller cannot use: it may exist */
        record(st, clk, op->key, once_after(o.action), NULL);
        h = handled_from_outcome(&o);
        if (o.action == POLICY_LOOKUP)
            h.kind = H_RETRY; /* the next try looks it up */
    } else {
        free(id);
    }
    outbound_done(&o);
    return h;
}

handled xwrite_run(store *st, const sclock *clk, const xwrite_op *op, xwrite_how *how,
                   char **remote)
{
    key_claim(op->key);
    key_hold hold = {.st = st, .clk = clk};
    handled h;
    if (share_holder) {
        snprintf(hold.name, sizeof hold.name, "xw:%s", op->key);
        store_claim_state cs;
        const char *names[1] = {hold.name};
        int64_t now = clock_now_ms(clk);
        int rc = store_claim_each(st, names, 1, share_holder, now, share_ttl_ms, &cs);
        if (rc < 0) {
            key_release(op->key);
            *how = XWRITE_WRITTEN;
            *remote = NULL;
            return handled_retry(1000, "store: cannot claim %.250s", hold.name);
        }
        if (rc == 0) {
            key_release(op->key);
            *how = XWRITE_WRITTEN;
            *remote = NULL;
            return handled_retry(cs.until > now ? cs.until - now : 0,
                                 "%.250s is being written by another instance", op->key);
        }
        hold.epoch = cs.epoch;
    }
    h = run_claimed(st, clk, op, share_holder ? &hold : NULL, how, remote);
    if (share_holder && !hold.lost && store_release(st, hold.name, share_holder) < 0)
        log_warn("store: cannot release %s (it ends by itself)", hold.name);
    key_release(op->key);
    return h;
}
