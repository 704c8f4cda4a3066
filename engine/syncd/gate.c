/* The priority rate gate; see gate.h. Waiters hold tickets; only the best
 * ticket (highest priority, then oldest) may take a permit, and it sleeps
 * exactly until the limiter says one is free; the others sleep until the
 * best one leaves. */
#include "gate.h"

#include "bucket.h"
#include "mem.h"

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
    uint64_t next_seq;
    int64_t paused_until;
    int stopped;
    int n_waiting;
};

static gate *gate_make(const sclock *clk)
{
    gate *g = xcalloc(1, sizeof *g);
    g->clk = clk;
    pthread_mutex_init(&g->lock, NULL);
    clock_cond_init(&g->cv);
    return g;
}

gate *gate_window(int limit, int64_t window_ms, const sclock *clk)
{
    gate *g = gate_make(clk);
    g->win = window_new(limit, window_ms);
    return g;
}

gate *gate_leaky(double size, double leak_per_s, const sclock *clk)
{
    gate *g = gate_make(clk);
    g->leaky = leaky_new(size, leak_per_s);
    return g;
}

void gate_free(gate *g)
{
    if (!g)
        return;
    window_free(g->win);
    leaky_free(g->leaky);
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->cv);
    free(g);
}

static int better(const ticket *a, const ticket *b)
{
    return a->prio > b->prio || (a->prio == b->prio && a->seq < b->seq);
}

static const ticket *best(const gate *g)
{
    const ticket *b = g->waiters;
    for (const ticket *t = g->waiters; t; t = t->next)
        if (better(t, b))
            b = t;
    return b;
}

static void unlink_ticket(gate *g, ticket *t)
{
    for (ticket **p = &g->waiters; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            return;
        }
}

int gate_acquire(gate *g, int prio, double cost)
{
    ticket me = {prio, 0, NULL};
    pthread_mutex_lock(&g->lock);
    me.seq = g->next_seq++;
    me.next = g->waiters;
    g->waiters = &me;
    g->n_waiting++;
    int rc = -1;
    while (!g->stopped) {
        if (best(g) != &me) {
            pthread_cond_wait(&g->cv, &g->lock);
            continue;
        }
        int64_t now = clock_now_ms(g->clk);
        int64_t wait = 0;
        if (g->paused_until > now) {
            wait = g->paused_until - now;
        } else {
            int ok = g->win ? window_take(g->win, now, &wait)
                            : leaky_take(g->leaky, now, cost, &wait);
            if (ok) {
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
    pthread_cond_broadcast(&g->cv); /* the next best may go now */
    pthread_mutex_unlock(&g->lock);
    return rc;
}

void gate_observe(gate *g, double used, double size)
{
    if (!g->leaky)
        return;
    pthread_mutex_lock(&g->lock);
    leaky_observe(g->leaky, clock_now_ms(g->clk), used, size);
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->lock);
}

void gate_set_leak(gate *g, double leak_per_s)
{
    if (!g->leaky || leak_per_s <= 0)
        return;
    pthread_mutex_lock(&g->lock);
    leaky_set(g->leaky, leaky_size(g->leaky), leak_per_s);
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
}

void gate_pause(gate *g, int64_t ms)
{
    pthread_mutex_lock(&g->lock);
    int64_t until = clock_now_ms(g->clk) + ms;
    if (until > g->paused_until)
        g->paused_until = until;
    pthread_mutex_unlock(&g->lock);
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
