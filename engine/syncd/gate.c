/* The priority rate gate; see gate.h. Waiters hold tickets; only the head
 * ticket (the oldest of the class share.h picks among the waiting ones) may
 * take a permit, and it sleeps exactly until the limiter says one is free;
 * the others sleep until the head leaves. The pick is made again on every
 * wake-up and recorded only when a permit is taken, so a caller arriving
 * while the head waits is counted in. */
#include "gate.h"

#include "bucket.h"
#include "log.h"
#include "mem.h"
#include "share.h"
#include "store.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct ticket {
    int prio;
    uint64_t seq;
    struct ticket *next;
} ticket;

struct gate {
    const sclock *clk;
    window_limiter *win;
    leaky_bucket *leaky;
    pthread_mutex_t lock;
    pthread_cond_t cv;
    ticket *waiters;
    int n_class[SHARE_CLASSES]; /* waiters per priority */
    share sh;
    pace *pc; /* paced window gates: the limit follows it */
    uint64_t next_seq;
    int64_t paused_until;
    int stopped;
    int n_waiting;
    /* a limit shared through the store (gate_share) */
    store *st;
    char *name;
    int limit;          /* window gates without a pace: calls per window */
    int64_t window_ms;  /* the same */
    double leak;        /* leaky gates: the leak last set */
    int in_store;       /* a waiter is in a store round trip */
    int rate_writes;    /* own pace changes not yet stored */
    uint64_t rate_seq;  /* own pace changes made */
    int store_failing;  /* the last shared take failed (logged once) */
    int64_t trip_ms;    /* store round trips lately, at most (sim ms, decaying) */
};

static gate *gate_make(const sclock *clk)
{
    gate *g = xcalloc(1, sizeof *g);
    g->clk = clk;
    share_init(&g->sh);
    pthread_mutex_init(&g->lock, NULL);
    clock_cond_init(&g->cv);
    return g;
}

gate *gate_window(int limit, int64_t window_ms, const sclock *clk)
{
    gate *g = gate_make(clk);
    g->win = window_new(limit, window_ms);
    g->limit = limit;
    g->window_ms = window_ms;
    return g;
}

gate *gate_paced(const pace_config *pc, const sclock *clk)
{
    gate *g = gate_make(clk);
    g->pc = xcalloc(1, sizeof *g->pc);
    pace_init(g->pc, pc, clock_now_ms(clk));
    g->win = window_new(pace_calls(g->pc), g->pc->cfg.window_ms);
    return g;
}

gate *gate_leaky(double size, double leak_per_s, const sclock *clk)
{
    gate *g = gate_make(clk);
    g->leaky = leaky_new(size, leak_per_s);
    g->leak = leak_per_s;
    return g;
}

void gate_free(gate *g)
{
    if (!g)
        return;
    window_free(g->win);
    leaky_free(g->leaky);
    free(g->pc);
    free(g->name);
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->cv);
    free(g);
}

_Static_assert((int)PRIO_BULK == (int)SHARE_BULK && (int)PRIO_NORMAL == (int)SHARE_NORMAL &&
                   (int)PRIO_URGENT == (int)SHARE_URGENT && (int)PRIO_CRITICAL == (int)SHARE_CRITICAL,
               "a priority is its share class");

/* A priority as a share class: out-of-range values count as the nearest. */
static int prio_class(int prio)
{
    return prio < 0 ? 0 : prio >= SHARE_CLASSES ? SHARE_CLASSES - 1 : prio;
}

static void waiting_classes(const gate *g, int waiting[SHARE_CLASSES])
{
    for (int c = 0; c < SHARE_CLASSES; c++)
        waiting[c] = g->n_class[c] > 0;
}

/* The ticket that takes the next permit: the oldest of the class whose
 * turn it is. */
static const ticket *head(const gate *g)
{
    int waiting[SHARE_CLASSES];
    waiting_classes(g, waiting);
    int c = share_next(&g->sh, waiting);
    const ticket *h = NULL;
    for (const ticket *t = g->waiters; t; t = t->next)
        if (t->prio == c && (!h || t->seq < h->seq))
            h = t;
    return h;
}

static void unlink_ticket(gate *g, ticket *t)
{
    for (ticket **p = &g->waiters; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            return;
        }
}

static int take_shared(gate *g, int64_t now, double cost, int64_t *wait);

/* A window gate's cost: calls taken together, at least one. */
static int window_calls(double cost)
{
    return cost >= 2 ? (int)cost : 1;
}

int gate_acquire(gate *g, int prio, double cost)
{
    ticket me = {prio_class(prio), 0, NULL};
    pthread_mutex_lock(&g->lock);
    me.seq = g->next_seq++;
    me.next = g->waiters;
    g->waiters = &me;
    g->n_waiting++;
    g->n_class[me.prio]++;
    int rc = -1;
    while (!g->stopped) {
        if (head(g) != &me) {
            pthread_cond_wait(&g->cv, &g->lock);
            continue;
        }
        int64_t now = clock_now_ms(g->clk);
        int64_t wait = 0;
        if (g->paused_until > now) {
            wait = g->paused_until - now;
        } else if (g->in_store) {
            pthread_cond_wait(&g->cv, &g->lock); /* another head's round trip */
            continue;
        } else {
            int ok = g->st    ? take_shared(g, now, cost, &wait)
                     : g->win ? window_take_n(g->win, window_calls(cost), now, &wait)
                              : leaky_take(g->leaky, now, cost, &wait);
            if (ok) {
                int waiting[SHARE_CLASSES];
                waiting_classes(g, waiting);
                share_took(&g->sh, me.prio, waiting);
                rc = 0;
                break;
            }
            if (wait == BUCKET_NEVER)
                break;
        }
        struct timespec ts;
        clock_deadline(g->clk, wait > 0 ? wait : 1, &ts);
        pthread_cond_timedwait(&g->cv, &g->lock, &ts);
    }
    unlink_ticket(g, &me);
    g->n_waiting--;
    g->n_class[me.prio]--;
    pthread_cond_broadcast(&g->cv); /* the next head may go now */
    pthread_mutex_unlock(&g->lock);
    return rc;
}

pace_event gate_answer(gate *g, pace_answer a, double *rate)
{
    if (!g->pc) {
        *rate = 0;
        return PACE_KEPT;
    }
    pthread_mutex_lock(&g->lock);
    int before = pace_calls(g->pc);
    pace_event ev = pace_on_answer(g->pc, a, clock_now_ms(g->clk));
    *rate = g->pc->rate;
    if (pace_calls(g->pc) != before) {
        window_set_limit(g->win, pace_calls(g->pc));
        pthread_cond_broadcast(&g->cv);
    }
    int moved = ev == PACE_CUT_DOWN || ev == PACE_RAISED || ev == PACE_CEILING ||
                ev == PACE_RESTORED;
    if (!g->st || !moved) {
        pthread_mutex_unlock(&g->lock);
        return ev;
    }
    /* The other instances adopt it from the store; until it is there,
     * this gate adopts nothing (the store still holds the old rate). */
    g->rate_writes++;
    g->rate_seq++;
    pthread_mutex_unlock(&g->lock);
    if (store_limit_set_rate(g->st, g->name, *rate) != 0)
        log_warn("gate %s: the pace's rate %.1f could not be shared", g->name, *rate);
    pthread_mutex_lock(&g->lock);
    g->rate_writes--;
    pthread_mutex_unlock(&g->lock);
    return ev;
}

void gate_observe(gate *g, double used, double size)
{
    if (!g->leaky)
        return;
    int64_t now = clock_now_ms(g->clk);
    pthread_mutex_lock(&g->lock);
    leaky_observe(g->leaky, now, used, size);
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->lock);
    if (g->st && store_limit_observe(g->st, g->name, used > 0 ? used : 0, now) != 0)
        log_warn("gate %s: the server's level could not be shared", g->name);
}

void gate_set_leak(gate *g, double leak_per_s)
{
    if (!g->leaky || leak_per_s <= 0)
        return;
    pthread_mutex_lock(&g->lock);
    leaky_set(g->leaky, leaky_size(g->leaky), leak_per_s);
    g->leak = leak_per_s;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->lock);
}

void gate_refund(gate *g, double cost)
{
    if (!g->leaky || cost <= 0)
        return;
    pthread_mutex_lock(&g->lock);
    leaky_refund(g->leaky, cost);
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->lock);
    if (g->st && store_limit_refund(g->st, g->name, cost) != 0)
        log_warn("gate %s: a refund could not be shared", g->name);
}

void gate_pause(gate *g, int64_t ms)
{
    pthread_mutex_lock(&g->lock);
    int64_t until = clock_now_ms(g->clk) + ms;
    if (until > g->paused_until)
        g->paused_until = until;
    pthread_mutex_unlock(&g->lock);
    if (g->st && store_limit_pause(g->st, g->name, until) != 0)
        log_warn("gate %s: the pause could not be shared", g->name);
}

void gate_stop(gate *g)
{
    pthread_mutex_lock(&g->lock);
    g->stopped = 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->lock);
}

int gate_waiting(gate *g)
{
    pthread_mutex_lock(&g->lock);
    int n = g->n_waiting;
    pthread_mutex_unlock(&g->lock);
    return n;
}

/* ---- a limit shared by several instances ------------------------------------- */

/* How long a head waits before trying the store again after it failed
 * (sim ms): the store is also syncd's queue, so little runs meanwhile. */
#define STORE_RETRY_MS 1000

void gate_share(gate *g, store *st, const char *name)
{
    pthread_mutex_lock(&g->lock);
    g->st = st;
    free(g->name);
    g->name = xstrdup(name);
    pthread_mutex_unlock(&g->lock);
}

/* The head's take from the shared budget. Called and returns with the
 * lock held, released for the round trip (in_store keeps other heads
 * out meanwhile). 1 taken; 0 not, with *wait. A paced gate adopts the
 * shared rate the take read, unless its own change is not stored yet (or
 * was made during the trip): the store's rate is older than its own. */
static int take_shared(gate *g, int64_t now, double cost, int64_t *wait)
{
    int limit = g->pc ? pace_calls(g->pc) : g->limit;
    /* A call is stamped with now, read before the trip, but leaves after
     * it: the window counts back that much further, so calls that left
     * late are still in it when the server counts them. */
    int64_t window = (g->pc ? g->pc->cfg.window_ms : g->window_ms) + g->trip_ms;
    double size = g->leaky ? leaky_size(g->leaky) : 0, leak = g->leak;
    uint64_t seq = g->rate_seq;
    int settled = g->rate_writes == 0;
    g->in_store = 1;
    pthread_mutex_unlock(&g->lock);
    store_limit row;
    /* Calls spread over the window (store.h): three quarters of an even
     * share apart, since a head that waited out the spacing still makes a
     * trip before its call goes; the window keeps the count. */
    int rc = g->win ? store_limit_take_calls(g->st, g->name, window_calls(cost), limit, window,
                                             window * 3 / (4 * limit), now, wait, &row)
                    : store_limit_take_cost(g->st, g->name, size, leak, cost, now, wait, &row);
    pthread_mutex_lock(&g->lock);
    g->in_store = 0;
    pthread_cond_broadcast(&g->cv);
    int64_t trip = clock_now_ms(g->clk) - now;
    g->trip_ms = trip > g->trip_ms ? trip : g->trip_ms - (g->trip_ms - trip) / 8;
    if (rc < 0) {
        if (!g->store_failing)
            log_warn("gate %s: the shared budget cannot be read; trying again", g->name);
        g->store_failing = 1;
        *wait = STORE_RETRY_MS;
        return 0;
    }
    g->store_failing = 0;
    if (g->pc && settled && g->rate_writes == 0 && seq == g->rate_seq &&
        pace_adopt(g->pc, row.rate, now) != PACE_KEPT)
        window_set_limit(g->win, pace_calls(g->pc));
    return rc;
}
