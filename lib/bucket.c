/* Rolling-window and leaky-bucket rate limiters in simulated time; see
 * bucket.h. */
#include "bucket.h"

#include "mem.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

/* ---- calls per rolling window ------------------------------------------- */

/* A ring of the timestamps of the last cap permits, cap being the largest
 * limit ever set. That is enough to answer exactly: no window can ever hold
 * more permits than the limit in force when its newest one was granted, so
 * nothing older than the ring can still be in a window. Timestamps are
 * non-decreasing because time never moves backwards here. */
struct window_limiter {
    pthread_mutex_t mu;
    int limit;
    int cap;  /* size of ts, >= max(limit, 1) */
    int n;    /* permits stored, <= cap */
    int head; /* where the next permit goes */
    int64_t window_ms;
    int64_t last_ms; /* latest time seen; INT64_MIN before the first call */
    int64_t *ts;
};

/* Clamps now to the latest time seen and remembers it. */
static int64_t window_advance(window_limiter *w, int64_t now_ms)
{
    if (now_ms < w->last_ms)
        now_ms = w->last_ms;
    w->last_ms = now_ms;
    return now_ms;
}

/* The k-th newest stored permit, 1 <= k <= n. */
static int64_t window_nth_newest(const window_limiter *w, int k)
{
    return w->ts[(w->head - k + w->cap) % w->cap];
}

static int64_t window_wait_locked(const window_limiter *w, int calls, int64_t now_ms)
{
    if (w->limit == 0 || calls > w->limit)
        return BUCKET_NEVER;
    /* calls new permits are allowed once at most limit - calls of those
     * stored are in (now - window, now]: once the (limit - calls + 1)-th
     * newest has left it. */
    int k = w->limit - calls + 1;
    if (w->n < k)
        return 0;
    int64_t leaves = window_nth_newest(w, k) + w->window_ms;
    return leaves > now_ms ? leaves - now_ms : 0;
}

window_limiter *window_new(int limit, int64_t window_ms)
{
    if (limit < 0 || window_ms < 1)
        return NULL;
    window_limiter *w = xcalloc(1, sizeof *w);
    pthread_mutex_init(&w->mu, NULL);
    w->limit = limit;
    w->cap = limit > 0 ? limit : 1;
    w->window_ms = window_ms;
    w->last_ms = INT64_MIN;
    w->ts = xcalloc((size_t)w->cap, sizeof *w->ts);
    return w;
}

void window_free(window_limiter *w)
{
    if (!w)
        return;
    pthread_mutex_destroy(&w->mu);
    free(w->ts);
    free(w);
}

int window_take(window_limiter *w, int64_t now_ms, int64_t *wait_ms)
{
    return window_take_n(w, 1, now_ms, wait_ms);
}

int window_take_n(window_limiter *w, int calls, int64_t now_ms, int64_t *wait_ms)
{
    if (calls < 1)
        calls = 1;
    pthread_mutex_lock(&w->mu);
    now_ms = window_advance(w, now_ms);
    int64_t wait = window_wait_locked(w, calls, now_ms);
    for (int i = 0; wait == 0 && i < calls; i++) {
        w->ts[w->head] = now_ms;
        w->head = (w->head + 1) % w->cap;
        if (w->n < w->cap)
            w->n++;
    }
    pthread_mutex_unlock(&w->mu);
    if (wait != 0 && wait_ms)
        *wait_ms = wait;
    return wait == 0;
}

int window_used(window_limiter *w, int64_t now_ms)
{
    pthread_mutex_lock(&w->mu);
    now_ms = window_advance(w, now_ms);
    int used = 0;
    while (used < w->n && window_nth_newest(w, used + 1) + w->window_ms > now_ms)
        used++;
    pthread_mutex_unlock(&w->mu);
    return used;
}

int64_t window_wait(window_limiter *w, int64_t now_ms)
{
    pthread_mutex_lock(&w->mu);
    now_ms = window_advance(w, now_ms);
    int64_t wait = window_wait_locked(w, 1, now_ms);
    pthread_mutex_unlock(&w->mu);
    return wait;
}

void window_set_limit(window_limiter *w, int limit)
{
    if (limit < 0)
        limit = 0;
    pthread_mutex_lock(&w->mu);
    if (limit > w->cap) {
        /* Unroll the ring oldest first into the larger array. */
        int64_t *ts = xcalloc((size_t)limit, sizeof *ts);
        for (int k = w->n; k >= 1; k--)
            ts[w->n - k] = window_nth_newest(w, k);
        free(w->ts);
        w->ts = ts;
        w->cap = limit;
        w->head = w->n % w->cap;
    }
    w->limit = limit;
    pthread_mutex_unlock(&w->mu);
}

/* ---- leaky bucket -------------------------------------------------------- */

struct leaky_bucket {
    pthread_mutex_t mu;
    double size;
    double leak_per_s;
    double level;
    int64_t last_ms; /* latest time seen; INT64_MIN before the first call */
};

/* Leaking by fractions of a unit per millisecond leaves rounding dust, so
 * "fits" allows a billionth of the size over: a caller that waited the
 * reported time must then be let in. */
static double leaky_slack(const leaky_bucket *b)
{
    return 1e-9 * (b->size > 1.0 ? b->size : 1.0);
}

static void leaky_advance(leaky_bucket *b, int64_t now_ms)
{
    if (now_ms < b->last_ms)
        now_ms = b->last_ms;
    if (b->last_ms != INT64_MIN) {
        b->level -= b->leak_per_s * (double)(now_ms - b->last_ms) / 1000.0;
        if (b->level < 0.0)
            b->level = 0.0;
    }
    b->last_ms = now_ms;
}

static int64_t leaky_wait_locked(const leaky_bucket *b, double cost)
{
    double slack = leaky_slack(b);
    double over = b->level + cost - b->size;
    if (over <= slack)
        return 0;
    if (cost > b->size + slack || b->leak_per_s <= 0.0)
        return BUCKET_NEVER;
    /* Aim half the slack below the limit so that the leak computed after
     * the wait lands inside it despite rounding. */
    double ms = ceil((over - slack / 2) * 1000.0 / b->leak_per_s);
    if (!(ms < 4e18)) /* a leak too slow to matter */
        return BUCKET_NEVER;
    return ms < 1.0 ? 1 : (int64_t)ms;
}

static int valid_size(double size)
{
    return size > 0.0 && isfinite(size);
}

static int valid_leak(double leak_per_s)
{
    return leak_per_s >= 0.0 && isfinite(leak_per_s);
}

leaky_bucket *leaky_new(double size, double leak_per_s)
{
    if (!valid_size(size) || !valid_leak(leak_per_s))
        return NULL;
    leaky_bucket *b = xcalloc(1, sizeof *b);
    pthread_mutex_init(&b->mu, NULL);
    b->size = size;
    b->leak_per_s = leak_per_s;
    b->last_ms = INT64_MIN;
    return b;
}

void leaky_free(leaky_bucket *b)
{
    if (!b)
        return;
    pthread_mutex_destroy(&b->mu);
    free(b);
}

int leaky_take(leaky_bucket *b, int64_t now_ms, double cost, int64_t *wait_ms)
{
    if (!(cost > 0.0)) /* also NaN */
        cost = 0.0;
    pthread_mutex_lock(&b->mu);
    leaky_advance(b, now_ms);
    int64_t wait = leaky_wait_locked(b, cost);
    if (wait == 0)
        b->level += cost;
    pthread_mutex_unlock(&b->mu);
    if (wait != 0 && wait_ms)
        *wait_ms = wait;
    return wait == 0;
}

double leaky_level(leaky_bucket *b, int64_t now_ms)
{
    pthread_mutex_lock(&b->mu);
    leaky_advance(b, now_ms);
    double level = b->level;
    pthread_mutex_unlock(&b->mu);
    return level;
}

double leaky_size(const leaky_bucket *b)
{
    /* The handle is const to the caller, but leaky_set may change the size
     * concurrently, so the read still takes the lock; the bucket itself was
     * allocated non-const, which makes dropping the qualifier sound. */
    leaky_bucket *m = (leaky_bucket *)b;
    pthread_mutex_lock(&m->mu);
    double size = m->size;
    pthread_mutex_unlock(&m->mu);
    return size;
}

double leaky_available(leaky_bucket *b, int64_t now_ms)
{
    pthread_mutex_lock(&b->mu);
    leaky_advance(b, now_ms);
    double avail = b->size - b->level;
    pthread_mutex_unlock(&b->mu);
    return avail > 0.0 ? avail : 0.0;
}

int64_t leaky_wait(leaky_bucket *b, int64_t now_ms, double cost)
{
    if (!(cost > 0.0))
        cost = 0.0;
    pthread_mutex_lock(&b->mu);
    leaky_advance(b, now_ms);
    int64_t wait = leaky_wait_locked(b, cost);
    pthread_mutex_unlock(&b->mu);
    return wait;
}

void leaky_set(leaky_bucket *b, double size, double leak_per_s)
{
    pthread_mutex_lock(&b->mu);
    if (valid_size(size))
        b->size = size;
    if (valid_leak(leak_per_s))
        b->leak_per_s = leak_per_s;
    pthread_mutex_unlock(&b->mu);
}

void leaky_observe(leaky_bucket *b, int64_t now_ms, double used, double size)
{
    pthread_mutex_lock(&b->mu);
    /* Advance first so the time before this response is not leaked again
     * from the adopted level. */
    leaky_advance(b, now_ms);
    b->level = used > 0.0 ? used : 0.0;
    if (valid_size(size))
        b->size = size;
    pthread_mutex_unlock(&b->mu);
}

void leaky_refund(leaky_bucket *b, double cost)
{
    if (!(cost > 0.0))
        return;
    pthread_mutex_lock(&b->mu);
    b->level -= cost;
    if (b->level < 0.0)
        b->level = 0.0;
    pthread_mutex_unlock(&b->mu);
}
